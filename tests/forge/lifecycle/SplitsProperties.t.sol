// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {SplitsBase} from "./SplitsBase.sol";
import {ISplits} from "../../../interfaces/ISplits.sol";

/// @notice Properties of splits and consolidations, over fuzzed holdings (twelve holders: the
/// suite's four and eight more, each its own investor, with random balances), ratios, and ways
/// of applying them (claims, batches split anywhere, frozen holders held and applied later,
/// everything applied again):
/// - each holder ends with exactly `floor(balanceAt * n / d)` units, applied once: applying again
///   (batches, claims) mints and burns nothing more;
/// - the supply after is the sum of the holders' balances, `floor`-rounded per holder: at most
///   `S * n / d` and more than `S * n / d - N` (`N` holders, `S` the supply at the record date);
/// - every holder's share of the supply (balance / totalSupply) equals its share at the record
///   date exactly for an integer ratio (`d` divides `n`), and otherwise within the rounding
///   bound: with `b`, `b'` its balances before and after and `S'` the supply after,
///   `-S < b' * S - b * S' < b * N`, i.e. its share `b' / S'` is less than `1 / S'` below `b / S`
///   and less than `N * (b / S) / S'` above it.
contract SplitsPropertiesTest is SplitsBase {
    uint256 internal constant EXTRA = 8;
    uint256 internal constant MAX_BALANCE = 1e15;

    address[] internal holders; // ascending

    function setUp() public override {
        super.setUp();
        address[] memory list = new address[](4 + EXTRA);
        (list[0], list[1], list[2], list[3]) = (alice, alice2, bob, carol);
        for (uint256 i; i < EXTRA; ++i) {
            address holder = _actor(string.concat("fuzzHolder", vm.toString(i)));
            vm.prank(registryRegistrar);
            registry.registerInvestor(holder, keccak256(abi.encode("fuzzHolder", i)), DE, 1, EXPIRY);
            list[4 + i] = holder;
        }
        list = _sorted(list);
        for (uint256 i; i < list.length; ++i) {
            holders.push(list[i]);
        }
    }

    // ------------------------------------------------------------------ helpers

    /// @notice Give the eight extra holders fuzzed balances (0 to MAX_BALANCE each).
    function _mintExtra(uint256[EXTRA] memory amounts) internal {
        uint256 k;
        for (uint256 i; i < holders.length; ++i) {
            address h = holders[i];
            if (h == alice || h == alice2 || h == bob || h == carol) continue;
            uint256 amount = bound(amounts[k++], 0, MAX_BALANCE);
            if (amount != 0) _mint(h, amount);
        }
    }

    function _balances() internal view returns (uint256[] memory list) {
        list = new uint256[](holders.length);
        for (uint256 i; i < holders.length; ++i) {
            list[i] = token.balanceOf(holders[i]);
        }
    }

    /// @notice Apply `id` to every holder in a way chosen by `seed`: some claim for themselves,
    /// the rest go in batches cut anywhere; holders in `frozenMask` are frozen meanwhile (a split
    /// holds them) and applied once unfrozen. Then everything is applied again, which must change
    /// nothing.
    function _applyAll(uint256 id, uint256 seed, uint256 frozenMask) internal {
        uint256 n = holders.length;
        for (uint256 i; i < n; ++i) {
            if (frozenMask & (1 << i) != 0) _freezeAll(holders[i], true);
        }
        address[] memory batch = new address[](n);
        uint256 count;
        for (uint256 i; i < n; ++i) {
            address h = holders[i];
            uint256 choice = (seed >> (2 * i)) & 3;
            if (choice == 0 && frozenMask & (1 << i) == 0 && splits.entitlementOf(id, h) != 0) {
                _claimSplit(h, id);
            } else {
                batch[count++] = h;
            }
            if (count != 0 && (choice == 3 || i == n - 1)) {
                _applyTo(id, _prefix(batch, count));
                count = 0;
            }
        }
        for (uint256 i; i < n; ++i) {
            if (frozenMask & (1 << i) != 0) _freezeAll(holders[i], false);
        }
        _applyTo(id, holders); // the held ones now; nobody twice
        uint256[] memory after_ = _balances();
        uint256 supplyAfter = token.totalSupply();
        _applyTo(id, holders);
        for (uint256 i; i < n; ++i) {
            address h = holders[i];
            vm.prank(h);
            (bool ok,) = address(splits).call(abi.encodeCall(ISplits.claim, (id)));
            assertFalse(ok, "a second claim is refused");
            assertEq(token.balanceOf(h), after_[i], "applied once");
        }
        assertEq(token.totalSupply(), supplyAfter, "nothing more minted or burned");
    }

    function _prefix(address[] memory list, uint256 count) internal pure returns (address[] memory out) {
        out = new address[](count);
        for (uint256 i; i < count; ++i) {
            out[i] = list[i];
        }
    }

    /// @notice The properties, from the balances at the record date and after.
    function _check(uint256[] memory before, uint256 n, uint256 d, bool exact) internal view {
        uint256 count = holders.length;
        uint256 s;
        uint256 sum;
        uint256 holding; // holders with units at the record date
        for (uint256 i; i < count; ++i) {
            s += before[i];
            sum += token.balanceOf(holders[i]);
            if (before[i] != 0) ++holding;
        }
        uint256 s2 = token.totalSupply();
        assertEq(s2, sum, "supply after == sum over holders");
        assertLe(s2 * d, s * n, "supply after <= S * n / d");
        assertGe((s2 + holding) * d, s * n + 1, "supply after > S * n / d - N");
        for (uint256 i; i < count; ++i) {
            uint256 b = before[i];
            uint256 b2 = token.balanceOf(holders[i]);
            assertEq(b2, b * n / d, "floor(balanceAt * n / d)");
            if (exact) {
                assertEq(b2 * s, b * s2, "share exactly unchanged");
            } else if (b != 0) {
                assertGe(b2 * s + s, b * s2 + 1, "share: -S < b' * S - b * S'");
                assertLe(b2 * s + 1, b * s2 + b * holding, "share: b' * S - b * S' < b * N");
            }
        }
    }

    // ------------------------------------------------------------------ properties

    /// @notice An integer split (`d` divides `n`: 2:1, 3:1, 6:2, ...) keeps every holder's share
    /// exactly, whatever the order and way of applying it.
    function testFuzz_split_integerRatio_keepsEverySharesExactly(
        uint256[EXTRA] memory amounts,
        uint256 factor,
        uint256 denominator,
        uint256 seed,
        uint256 frozenMask
    ) public {
        _mintExtra(amounts);
        uint32 k = uint32(bound(factor, 2, 10));
        uint32 d = uint32(bound(denominator, 1, 50));
        uint256 id = _readySplit(SPLIT, k * d, d);
        uint256[] memory before = _balances();
        _applyAll(id, seed, bound(frozenMask, 0, (1 << holders.length) - 1));
        _check(before, k * d, d, true);
        assertEq(token.totalSupply(), book.totalSupplyAt(address(token), splits.split(id).recordDateId) * k, "S' = S * k");
        ISplits.Split memory s = splits.split(id);
        assertEq(s.minted, token.totalSupply() - book.totalSupplyAt(address(token), s.recordDateId), "minted");
        assertEq(s.held, 0, "nothing held at the end");
    }

    /// @notice Any split ratio up to 1,000,000:1: per-holder floors, within the rounding bound.
    function testFuzz_split_anyRatio_withinTheRoundingBound(
        uint256[EXTRA] memory amounts,
        uint256 numerator,
        uint256 denominator,
        uint256 seed
    ) public {
        _mintExtra(amounts);
        uint32 d = uint32(bound(denominator, 1, 999_999));
        uint32 n = uint32(bound(numerator, d + 1, 1_000_000));
        uint256 id = _readySplit(SPLIT, n, d);
        uint256[] memory before = _balances();
        _applyAll(id, seed, 0);
        _check(before, n, d, false);
    }

    /// @notice Any consolidation (including 1:1,000,000, where small holdings vanish into the
    /// fractions): per-holder floors, within the rounding bound; every unit burned is counted.
    function testFuzz_consolidation_anyRatio_withinTheRoundingBound(
        uint256[EXTRA] memory amounts,
        uint256 numerator,
        uint256 denominator,
        uint256 seed,
        uint256 frozenMask
    ) public {
        _mintExtra(amounts);
        uint32 n = uint32(bound(numerator, 1, 999_999));
        uint32 d = uint32(bound(denominator, n + 1, 1_000_000));
        uint256 id = _readySplit(CONSOLIDATION, n, d);
        uint256[] memory before = _balances();
        uint256 supply = token.totalSupply();
        _applyAll(id, seed, bound(frozenMask, 0, (1 << holders.length) - 1)); // frozen wallets are burned too
        _check(before, n, d, d % n == 0 && _allDivisible(before, d / n));
        assertEq(splits.split(id).burned, supply - token.totalSupply(), "burned");
    }

    function _allDivisible(uint256[] memory list, uint256 by) internal pure returns (bool) {
        for (uint256 i; i < list.length; ++i) {
            if (list[i] % by != 0) return false;
        }
        return true;
    }
}

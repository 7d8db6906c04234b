// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {TestBase} from "../utils/SuiteTest.sol";
import {LifecycleTest, IDistributionsProxy} from "./LifecycleTest.sol";
import {IDistributions} from "../../../interfaces/IDistributions.sol";
import {ISecurityToken} from "../../../interfaces/ISecurityToken.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @notice The invariant runner's handler: after the record date of two distributions on the
/// shares (one per unit, one a total shared pro rata), random claims, batches, freezes and
/// unfreezes, releases of held entitlements, transfers, mints and burns of the shares, the
/// passing of time across the claim deadline, and sweeps. An action that is refused reverts and
/// is discarded by the runner.
contract DistributionsHandler is TestBase {
    struct Actors {
        address agent;
        address registrar;
        address enforcer;
        address issuer;
    }

    IDistributionsProxy public immutable dist;
    ISecurityToken public immutable token;
    Actors internal actors;
    address[] internal holders;
    uint256[2] internal ids;

    constructor(IDistributionsProxy dist_, ISecurityToken token_, Actors memory actors_, address[] memory holders_, uint256[2] memory ids_) {
        (dist, token, actors, holders, ids) = (dist_, token_, actors_, holders_, ids_);
    }

    function _holder(uint256 seed) internal view returns (address) {
        return holders[seed % holders.length];
    }

    function _id(uint256 seed) internal view returns (uint256) {
        return ids[seed % 2];
    }

    function claim(uint256 who, uint256 which) external {
        vm.prank(_holder(who));
        dist.claim(_id(which));
    }

    function pay(uint256 mask, uint256 which) external {
        uint256 n = holders.length;
        address[] memory batch = new address[](n);
        uint256 count;
        for (uint256 i; i < n; ++i) {
            if (mask & (1 << i) != 0) batch[count++] = holders[i];
        }
        if (count == 0) return;
        address[] memory sorted = new address[](count);
        for (uint256 i; i < count; ++i) {
            address x = batch[i];
            uint256 j = i;
            while (j > 0 && sorted[j - 1] > x) {
                sorted[j] = sorted[j - 1];
                --j;
            }
            sorted[j] = x;
        }
        vm.prank(actors.agent);
        dist.pay(_id(which), sorted);
    }

    function freeze(uint256 who, bool frozen) external {
        vm.prank(actors.enforcer);
        token.setAddressFrozen(_holder(who), frozen);
    }

    function release(uint256 who, uint256 to, uint256 which, uint256 amount) external {
        uint256 id = _id(which);
        address holder = _holder(who);
        IDistributions.Entry memory e = dist.entry(id, holder);
        if (e.status != IDistributions.Status.Held) return;
        address[] memory recipients = new address[](1);
        recipients[0] = _holder(to);
        uint256[] memory amounts = new uint256[](1);
        amounts[0] = bound(amount, 1, e.held);
        vm.prank(actors.registrar);
        dist.release(id, holder, recipients, amounts);
    }

    function transfer(uint256 from, uint256 to, uint256 amount) external {
        address sender = _holder(from);
        uint256 balance = token.balanceOf(sender);
        if (balance == 0) return;
        vm.prank(sender);
        token.transfer(_holder(to), bound(amount, 1, balance));
    }

    function mintOrBurn(uint256 who, uint256 amount, bool burn) external {
        address holder = _holder(who);
        uint256 units = burn ? bound(amount, 0, token.balanceOf(holder)) : bound(amount, 1, 1_000);
        vm.prank(actors.issuer);
        if (burn) token.burn(holder, units);
        else token.mint(holder, units);
    }

    function warp(uint256 secs) external {
        vm.warp(vm.getBlockTimestamp() + bound(secs, 1 hours, 12 days));
    }

    function sweep(uint256 which) external {
        dist.sweep(_id(which));
    }
}

/// @notice Distributions' conservation, under any sequence of the handler's actions:
/// the contract holds exactly funded - paid - swept for each distribution; paid + held +
/// unclaimed entitlements + rounding remainder == funded, with every entitlement computed here
/// from the balances at the record date; what holders received is what was paid and what the
/// announcer received is what was swept; the sweep takes only unclaimed entitlements and the
/// remainder. And a property test: an entitlement is the balance at the record date times the
/// rate, whatever transfers, mints and burns happen after it.
contract DistributionsPropertiesTest is LifecycleTest {
    struct FuzzSelector {
        address addr;
        bytes4[] selectors;
    }

    uint256 internal constant RATE = 1_250_000;
    uint256 internal constant TOTAL = 1_000_000_003;

    DistributionsHandler internal handler;
    address[] internal holders;
    uint256[2] internal ids;
    mapping(uint256 id => mapping(address holder => uint256)) internal expected; // entitlements
    mapping(uint256 id => uint256) internal expectedSum;

    function setUp() public override {
        super.setUp();
        holders.push(alice);
        holders.push(alice2);
        holders.push(bob);
        holders.push(carol);
        holders.push(dave);
        holders.push(escrow);
        _mint(dave, 200);
        vm.prank(bob);
        token.transfer(escrow, 500);
        ids[0] = _announce(token, IDistributions.Kind.PerUnit, RATE);
        ids[1] = _announce(token, IDistributions.Kind.Total, TOTAL);
        uint256 supply = token.totalSupply();
        for (uint256 i; i < holders.length; ++i) {
            uint256 balance = token.balanceOf(holders[i]); // nothing moves before the record date
            expected[ids[0]][holders[i]] = balance * RATE;
            expected[ids[1]][holders[i]] = TOTAL * balance / supply;
            expectedSum[ids[0]] += balance * RATE;
            expectedSum[ids[1]] += TOTAL * balance / supply;
        }
        vm.warp(T0 + 2 days);
        _fundDist(ids[0]);
        _fundDist(ids[1]);
        handler = new DistributionsHandler(
            dist,
            ISecurityToken(address(token)),
            DistributionsHandler.Actors({agent: agent, registrar: registrar, enforcer: enforcer, issuer: issuer}),
            holders,
            ids
        );
    }

    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    function targetSelectors() public view returns (FuzzSelector[] memory targets) {
        bytes4[] memory selectors = new bytes4[](9);
        selectors[0] = DistributionsHandler.claim.selector;
        selectors[1] = DistributionsHandler.pay.selector;
        selectors[2] = DistributionsHandler.freeze.selector;
        selectors[3] = DistributionsHandler.release.selector;
        selectors[4] = DistributionsHandler.transfer.selector;
        selectors[5] = DistributionsHandler.mintOrBurn.selector;
        selectors[6] = DistributionsHandler.warp.selector;
        selectors[7] = DistributionsHandler.sweep.selector;
        selectors[8] = DistributionsHandler.claim.selector; // claims twice as often
        targets = new FuzzSelector[](1);
        targets[0] = FuzzSelector({addr: address(handler), selectors: selectors});
    }

    function invariant_cashHeldIsFundedLessPaidLessSwept() public view {
        uint256 owed;
        for (uint256 k; k < 2; ++k) {
            IDistributions.Distribution memory d = dist.distribution(ids[k]);
            owed += d.funded - d.paid - d.swept;
        }
        assertEq(cash.balanceOf(address(dist)), owed, "contract balance == sum of (funded - paid - swept)");
    }

    function invariant_paidHeldUnclaimedAndRemainderMakeTheFunding() public view {
        for (uint256 k; k < 2; ++k) {
            uint256 id = ids[k];
            IDistributions.Distribution memory d = dist.distribution(id);
            uint256 unclaimed;
            uint256 held;
            for (uint256 i; i < holders.length; ++i) {
                IDistributions.Entry memory e = dist.entry(id, holders[i]);
                if (e.status == IDistributions.Status.None) unclaimed += expected[id][holders[i]];
                if (e.status == IDistributions.Status.Held) {
                    assertLe(e.held, expected[id][holders[i]], "held <= entitlement");
                    assertTrue(e.held != 0, "a held record holds something");
                } else {
                    assertEq(e.held, 0, "only held records hold");
                }
                held += e.held;
            }
            assertEq(held, d.held, "held == sum of held records");
            assertLe(expectedSum[id], d.funded, "entitlements fit the funding");
            uint256 remainder = d.funded - expectedSum[id];
            assertLe(remainder, holders.length, "remainder < one cash unit per holder");
            assertEq(d.paid + d.held + unclaimed + remainder, d.funded, "paid + held + unclaimed + remainder == funded");
            assertLe(d.swept, unclaimed + remainder, "only unclaimed entitlements and the remainder are swept");
            if (d.swept != 0) assertEq(d.swept, unclaimed + remainder, "the sweep takes all of them");
        }
    }

    function invariant_holdersReceivedWhatWasPaid_announcerWhatWasSwept() public view {
        uint256 received;
        for (uint256 i; i < holders.length; ++i) {
            received += cash.balanceOf(holders[i]);
        }
        uint256 paid = dist.distribution(ids[0]).paid + dist.distribution(ids[1]).paid;
        uint256 swept = dist.distribution(ids[0]).swept + dist.distribution(ids[1]).swept;
        assertEq(received, paid, "holders received exactly what was paid");
        assertEq(cash.balanceOf(agent), swept, "the announcer received exactly what was swept");
    }
}

/// @notice Entitlement == balance at the record date x rate, whatever happens after it.
contract DistributionsEntitlementFuzzTest is LifecycleTest {
    function testFuzz_entitlementIsTheBalanceAtTheRecordDateTimesTheRate(
        uint256 before1,
        uint256 before2,
        uint256 seed,
        uint256 rate
    ) public {
        rate = bound(rate, 1, 1e12);
        _fundCash(treasury, 1e30);
        address[5] memory who = [alice, alice2, bob, carol, dave];
        uint256 id = _announce(token, IDistributions.Kind.PerUnit, rate);
        // before the record date: moves that count
        vm.prank(carol);
        token.transfer(dave, bound(before1, 0, 6_000));
        vm.warp(T0 + 1 days);
        vm.prank(bob);
        token.transfer(alice, bound(before2, 0, 3_000)); // in the block stamped at the record date
        uint256[5] memory atRecord;
        for (uint256 i; i < 5; ++i) {
            atRecord[i] = token.balanceOf(who[i]);
        }
        // after it: moves that do not
        vm.warp(T0 + 1 days + 1);
        for (uint256 k; k < 8; ++k) {
            uint256 r = uint256(keccak256(abi.encode(seed, k)));
            address from = who[r % 5];
            address to = who[(r >> 8) % 5];
            uint256 balance = token.balanceOf(from);
            uint256 amount = (r >> 16) % (balance + 1);
            if ((r >> 128) % 4 == 0) {
                vm.prank(issuer);
                token.burn(from, amount);
            } else if ((r >> 128) % 4 == 1) {
                _mint(to, (r >> 64) % 5_000);
            } else if (from != to) {
                vm.prank(from);
                token.transfer(to, amount);
            }
        }
        vm.warp(T0 + 2 days);
        _fundDist(id);
        for (uint256 i; i < 5; ++i) {
            uint256 due = atRecord[i] * rate;
            assertEq(dist.entitlementOf(id, who[i]), due, "entitlement == balance at the record date x rate");
            if (due == 0) continue;
            uint256 before = cash.balanceOf(who[i]);
            assertEq(_claim(who[i], id), due, "claimed");
            assertEq(cash.balanceOf(who[i]) - before, due, "received");
        }
        IDistributions.Distribution memory d = dist.distribution(id);
        assertEq(d.paid, d.funded, "per unit, whole units: nothing left over");
    }
}

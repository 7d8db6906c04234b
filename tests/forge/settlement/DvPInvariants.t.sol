// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {TestBase} from "../utils/SuiteTest.sol";
import {SettlementTest} from "./SettlementTest.sol";
import {IDvPEscrow} from "../../../interfaces/IDvPEscrow.sol";
import {ISecurityToken} from "../../../interfaces/ISecurityToken.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @notice The invariant runner's handler: random proposals (by either side), affirmations,
/// settlements one by one and in batches, cancellations, reclaims, freezes that make settlement
/// or reclaim refuse, and the passing of time (deadlines expire). An action whose preconditions
/// do not hold is skipped; one that reverts anyway is discarded by the runner.
contract DvPHandler is TestBase {
    IDvPEscrow public immutable dvp;
    ISecurityToken public immutable token;
    IERC20 public immutable cash;
    address internal immutable enforcer;
    address[] internal parties;
    bytes32[] internal ids;

    uint256 public settledCount;
    uint256 public reclaimCount;
    uint256 public cancelCount;

    constructor(IDvPEscrow dvp_, ISecurityToken token_, IERC20 cash_, address enforcer_, address[] memory parties_) {
        (dvp, token, cash, enforcer) = (dvp_, token_, cash_, enforcer_);
        parties = parties_;
    }

    function tradeCount() external view returns (uint256) {
        return ids.length;
    }

    function tradeId(uint256 i) external view returns (bytes32) {
        return ids[i];
    }

    function partyCount() external view returns (uint256) {
        return parties.length;
    }

    function party(uint256 i) external view returns (address) {
        return parties[i];
    }

    function _now() internal view returns (uint256) {
        return vm.getBlockTimestamp();
    }

    /// @dev The first trade from `seed` on (cyclically) whose effective status is `s` (an open
    /// trade past its deadline reads as `Expired`).
    function _find(uint256 seed, IDvPEscrow.Status s)
        internal
        view
        returns (bool found, bytes32 id, IDvPEscrow.Trade memory t)
    {
        uint256 n = ids.length;
        for (uint256 k; k < n; ++k) {
            id = ids[(seed % n + k) % n];
            t = dvp.trade(id);
            if (t.status == s) return (true, id, t);
        }
    }

    function _canPay(address who, bool seller, uint256 amount) internal view returns (bool) {
        if (seller) {
            (bytes1 code,) = token.canTransfer(who, address(dvp), amount);
            return code == 0x51;
        }
        return cash.balanceOf(who) >= amount;
    }

    // ------------------------------------------------------------------ actions

    function propose(uint256 sellerSeed, uint256 buyerSeed, uint256 qty, uint256 amount, bool byBuyer, uint256 period)
        external
    {
        uint256 n = parties.length;
        address seller = parties[sellerSeed % n];
        address buyer = parties[buyerSeed % n];
        if (seller == buyer) buyer = parties[(buyerSeed + 1) % n];
        IDvPEscrow.TradeTerms memory t = IDvPEscrow.TradeTerms({
            seller: seller,
            buyer: buyer,
            security: token,
            quantity: uint128(bound(qty, 1, 500)),
            cashToken: cash,
            amount: uint128(bound(amount, 1, 5_000e6)),
            deadline: uint40(_now() + bound(period, 1 hours, 3 days))
        });
        address proposer = byBuyer ? buyer : seller;
        if (!_canPay(proposer, !byBuyer, byBuyer ? t.amount : t.quantity)) return;
        vm.prank(proposer);
        ids.push(dvp.instruct(t, string.concat("INV-", vm.toString(ids.length))));
    }

    function affirm(uint256 seed) external {
        (bool found, bytes32 id, IDvPEscrow.Trade memory t) = _find(seed, IDvPEscrow.Status.Proposed);
        if (!found) return;
        bool sellerAffirms = !t.sellerHeld;
        address who = sellerAffirms ? t.seller : t.buyer;
        if (!_canPay(who, sellerAffirms, sellerAffirms ? t.quantity : t.amount)) return;
        vm.prank(who);
        dvp.affirm(id);
    }

    function settle(uint256 seed) external {
        (bool found, bytes32 id, IDvPEscrow.Trade memory t) = _find(seed, IDvPEscrow.Status.Matched);
        if (!found) return;
        (bytes1 code,) = token.canTransfer(address(dvp), t.buyer, t.quantity);
        if (code != 0x51) return;
        dvp.settle(id);
        ++settledCount;
    }

    function settleBatch(uint256 seed, uint256 count) external {
        uint256 n = ids.length;
        if (n == 0) return;
        count = bound(count, 1, 6);
        bytes32[] memory batch = new bytes32[](count);
        for (uint256 i; i < count; ++i) {
            batch[i] = ids[(seed % n + i * 7) % n]; // repeats and any status included
        }
        (bool[] memory settled,) = dvp.settleBatch(batch);
        for (uint256 i; i < count; ++i) {
            if (settled[i]) ++settledCount;
        }
    }

    function cancel(uint256 seed, bool bySeller) external {
        (bool found, bytes32 id, IDvPEscrow.Trade memory t) = _find(seed, IDvPEscrow.Status.Matched);
        if (!found) (found, id, t) = _find(seed, IDvPEscrow.Status.Proposed);
        if (!found) return;
        if (t.status == IDvPEscrow.Status.Matched && (bySeller ? t.sellerCancels : t.buyerCancels)) return;
        vm.prank(bySeller ? t.seller : t.buyer);
        dvp.cancel(id);
        ++cancelCount;
    }

    function reclaim(uint256 seed, bool seller) external {
        uint256 n = ids.length;
        for (uint256 k; k < n; ++k) {
            bytes32 id = ids[(seed % n + k) % n];
            IDvPEscrow.Trade memory t = dvp.trade(id);
            if (t.status != IDvPEscrow.Status.Cancelled && t.status != IDvPEscrow.Status.Expired) continue;
            if (seller ? !t.sellerHeld : !t.buyerHeld) continue;
            if (seller) {
                (bytes1 code,) = token.canTransfer(address(dvp), t.seller, t.quantity);
                if (code != 0x51) continue;
            }
            vm.prank(seller ? t.seller : t.buyer);
            dvp.reclaim(id);
            ++reclaimCount;
            return;
        }
    }

    function freeze(uint256 seed, bool frozen) external {
        address who = parties[seed % parties.length];
        if (token.isFrozen(who) == frozen) return;
        vm.prank(enforcer);
        token.setAddressFrozen(who, frozen);
    }

    function warp(uint256 secondsAhead) external {
        vm.warp(_now() + bound(secondsAhead, 0, 1 days));
    }
}

/// @notice Conservation under the handler's random trading: the escrow holds exactly the open
/// legs; every party's balance plus what the escrow holds for it moves only by settled trades,
/// both legs at once (no trade settles half); the per-owner views add up; each status has the
/// legs it should.
contract DvPInvariantsTest is SettlementTest {
    struct FuzzSelector {
        address addr;
        bytes4[] selectors;
    }

    DvPHandler internal handler;
    mapping(address => uint256) internal startUnits;
    mapping(address => uint256) internal startCash;
    uint256 internal unitsSupply;
    uint256 internal cashSupply;

    function setUp() public override {
        super.setUp();
        _fund(carol, CASH);
        address[] memory parties = new address[](5);
        (parties[0], parties[1], parties[2], parties[3], parties[4]) = (alice, alice2, bob, carol, dave);
        _mint(bob, UNITS);
        _mint(dave, UNITS);
        handler = new DvPHandler(
            IDvPEscrow(address(dvp)), ISecurityToken(address(token)), IERC20(address(cash)), enforcer, parties
        );
        for (uint256 i; i < parties.length; ++i) {
            startUnits[parties[i]] = token.balanceOf(parties[i]);
            startCash[parties[i]] = cash.balanceOf(parties[i]);
        }
        unitsSupply = token.totalSupply();
        cashSupply = cash.totalSupply();
    }

    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    function targetSelectors() public view returns (FuzzSelector[] memory targets) {
        bytes4[] memory selectors = new bytes4[](8);
        selectors[0] = DvPHandler.propose.selector;
        selectors[1] = DvPHandler.affirm.selector;
        selectors[2] = DvPHandler.settle.selector;
        selectors[3] = DvPHandler.settleBatch.selector;
        selectors[4] = DvPHandler.cancel.selector;
        selectors[5] = DvPHandler.reclaim.selector;
        selectors[6] = DvPHandler.freeze.selector;
        selectors[7] = DvPHandler.warp.selector;
        targets = new FuzzSelector[](1);
        targets[0] = FuzzSelector({addr: address(handler), selectors: selectors});
    }

    function invariant_escrowHoldsExactlyTheOpenLegs() public view {
        uint256 units;
        uint256 money;
        uint256 n = handler.tradeCount();
        for (uint256 i; i < n; ++i) {
            IDvPEscrow.Trade memory t = dvp.trade(handler.tradeId(i));
            if (t.sellerHeld) units += t.quantity;
            if (t.buyerHeld) money += t.amount;
        }
        assertEq(token.balanceOf(address(dvp)), units, "units in escrow == open securities legs");
        assertEq(cash.balanceOf(address(dvp)), money, "cash in escrow == open cash legs");
        assertEq(token.totalSupply(), unitsSupply, "no units created");
        assertEq(cash.totalSupply(), cashSupply, "no cash created");
    }

    function invariant_eachPartyMovesOnlyBySettledTrades_bothLegsAtOnce() public view {
        uint256 p = handler.partyCount();
        for (uint256 j; j < p; ++j) {
            address who = handler.party(j);
            (int256 unitsDelta, int256 cashDelta, uint256 heldUnits, uint256 heldCash) = _expected(who);
            assertEq(
                token.balanceOf(who) + dvp.escrowedSecurities(who, address(token)),
                uint256(int256(startUnits[who]) + unitsDelta),
                "units: balance + escrowed == start + settled"
            );
            assertEq(
                cash.balanceOf(who) + dvp.escrowedCash(who, address(cash)),
                uint256(int256(startCash[who]) + cashDelta),
                "cash: balance + escrowed == start + settled"
            );
            assertEq(dvp.escrowedSecurities(who, address(token)), heldUnits, "escrowed units view");
            assertEq(dvp.escrowedCash(who, address(cash)), heldCash, "escrowed cash view");
        }
    }

    function _expected(address who)
        internal
        view
        returns (int256 unitsDelta, int256 cashDelta, uint256 heldUnits, uint256 heldCash)
    {
        uint256 n = handler.tradeCount();
        for (uint256 i; i < n; ++i) {
            IDvPEscrow.Trade memory t = dvp.trade(handler.tradeId(i));
            if (t.status == IDvPEscrow.Status.Settled) {
                int256 q = int256(uint256(t.quantity));
                int256 a = int256(uint256(t.amount));
                if (t.buyer == who) (unitsDelta, cashDelta) = (unitsDelta + q, cashDelta - a);
                if (t.seller == who) (unitsDelta, cashDelta) = (unitsDelta - q, cashDelta + a);
            }
            if (t.seller == who && t.sellerHeld) heldUnits += t.quantity;
            if (t.buyer == who && t.buyerHeld) heldCash += t.amount;
        }
    }

    function invariant_legsMatchTheStatus() public view {
        uint256 n = handler.tradeCount();
        for (uint256 i; i < n; ++i) {
            bytes32 id = handler.tradeId(i);
            IDvPEscrow.Trade memory t = dvp.trade(id);
            if (t.status == IDvPEscrow.Status.Settled) {
                assertFalse(t.sellerHeld || t.buyerHeld, "a settled trade holds nothing");
                assertTrue(t.settledAt != 0, "settled at");
            } else {
                assertEq(t.settledAt, 0, "only settled trades have a settlement time");
            }
            if (t.status == IDvPEscrow.Status.Proposed) assertTrue(t.sellerHeld != t.buyerHeld, "proposed: one leg");
            if (t.status == IDvPEscrow.Status.Matched) assertTrue(t.sellerHeld && t.buyerHeld, "matched: both legs");
        }
    }
}

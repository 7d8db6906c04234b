// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {SettlementTest} from "./SettlementTest.sol";
import {HostileToken} from "./HostileTokens.sol";
import {IDvPEscrow} from "../../../interfaces/IDvPEscrow.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

/// @notice A malicious cash token that re-enters the escrow while it is paid out or paid in
/// cannot settle a trade twice, reclaim twice or take anything: every entry point is guarded,
/// state is written before any token call, and a re-entry that is bubbled up undoes the whole
/// call. A fee-on-transfer token is refused at deposit.
contract DvPReentrancyTest is SettlementTest {
    HostileToken internal hostile;

    bytes4 internal constant GUARD_ERROR = bytes4(keccak256("ReentrancyGuardReentrantCall()"));

    function setUp() public override {
        super.setUp();
        hostile = new HostileToken();
        hostile.mint(dave, CASH);
        hostile.mint(bob, CASH);
        vm.prank(dave);
        hostile.approve(address(dvp), type(uint256).max);
        vm.prank(bob);
        hostile.approve(address(dvp), type(uint256).max);
    }

    function _hostileTerms(address seller, address buyer) internal view returns (IDvPEscrow.TradeTerms memory t) {
        t = _terms(seller, buyer);
        t.cashToken = IERC20(address(hostile));
    }

    /// @notice Both parties' legs in, the cash token armed to re-enter with `payload` on its payout.
    function _armedTrade(bytes memory payload, bool bubble) internal returns (bytes32 id) {
        id = _matched(_hostileTerms(carol, dave), REF);
        hostile.arm(HostileToken.Mode.Reenter, address(dvp), payload, bubble, false);
    }

    function _assertSettledOnce(bytes32 id) internal view {
        assertEq(_status(id), uint8(IDvPEscrow.Status.Settled), "settled");
        assertEq(token.balanceOf(dave), QTY, "units delivered once");
        assertEq(hostile.balanceOf(carol), PRICE, "cash paid once");
        assertEq(token.balanceOf(address(dvp)), 0, "no units left");
        assertEq(hostile.balanceOf(address(dvp)), 0, "no cash left");
    }

    function _assertGuardStopped() internal view {
        assertTrue(hostile.attempted(), "re-entry attempted");
        assertFalse(hostile.reentered(), "re-entry refused");
        assertEq(hostile.reentryError(), abi.encodePacked(GUARD_ERROR), "by the guard");
    }

    function test_settle_reenteringSettle_cannotSettleTwice() public {
        bytes32 id = _matched(_hostileTerms(carol, dave), REF);
        hostile.arm(HostileToken.Mode.Reenter, address(dvp), abi.encodeCall(IDvPEscrow.settle, (id)), false, false);
        dvp.settle(id);
        _assertGuardStopped();
        _assertSettledOnce(id);
    }

    function test_settle_reenteringSettleBatch_cannotSettleTwice() public {
        bytes32[] memory ids = new bytes32[](1);
        bytes32 id = _armedTrade("", false);
        ids[0] = id;
        bytes memory reentry = abi.encodeCall(IDvPEscrow.settleBatch, (ids));
        hostile.arm(HostileToken.Mode.Reenter, address(dvp), reentry, false, false);
        dvp.settle(id);
        _assertGuardStopped();
        _assertSettledOnce(id);
    }

    function test_settle_reenteringSettleOne_isNotTheEscrow() public {
        bytes32 id = _matched(_hostileTerms(carol, dave), REF);
        hostile.arm(HostileToken.Mode.Reenter, address(dvp), abi.encodeCall(IDvPEscrow.settleOne, (id)), false, false);
        dvp.settle(id);
        assertEq(hostile.reentryError(), abi.encodeWithSelector(IDvPEscrow.OnlySelf.selector), "only the escrow");
        _assertSettledOnce(id);
    }

    function test_settle_reenteringToStealAnotherTrade_refused() public {
        // another trade's legs sit in the escrow: a cancelled one the attacker is not party to
        IDvPEscrow.TradeTerms memory other = _terms(alice, bob);
        bytes32 victim = _matched(other, "VICTIM");
        _cancelBoth(victim, other);
        bytes32 id = _matched(_hostileTerms(carol, dave), REF);
        bytes memory reentry = abi.encodeCall(IDvPEscrow.reclaim, (victim));
        hostile.arm(HostileToken.Mode.Reenter, address(dvp), reentry, false, false);
        dvp.settle(id);
        _assertGuardStopped();
        assertEq(token.balanceOf(dave), QTY, "units delivered once");
        assertEq(hostile.balanceOf(carol), PRICE, "cash paid once");
        assertEq(token.balanceOf(address(dvp)), QTY, "only the victim's units left");
        assertEq(dvp.escrowedSecurities(alice, address(token)), QTY, "victim's units still booked");
        assertEq(cash.balanceOf(address(dvp)), PRICE, "victim's cash still there");
    }

    function test_settle_bubbledReentry_undoesEverything() public {
        bytes32 id = _armedTrade("", false);
        hostile.arm(HostileToken.Mode.Reenter, address(dvp), abi.encodeCall(IDvPEscrow.settle, (id)), true, false);
        vm.expectRevert(ReentrancyGuardTransient.ReentrancyGuardReentrantCall.selector);
        dvp.settle(id);
        assertEq(_status(id), uint8(IDvPEscrow.Status.Matched), "still matched");
        assertEq(token.balanceOf(address(dvp)), QTY, "units kept");
        assertEq(hostile.balanceOf(address(dvp)), PRICE, "cash kept");
        hostile.disarm();
        dvp.settle(id);
        _assertSettledOnce(id);
    }

    function test_settleBatch_reenteringSettle_cannotSettleTwice() public {
        bytes32 id = _matched(_hostileTerms(carol, dave), REF);
        hostile.arm(HostileToken.Mode.Reenter, address(dvp), abi.encodeCall(IDvPEscrow.settle, (id)), false, false);
        bytes32[] memory ids = new bytes32[](2);
        (ids[0], ids[1]) = (id, id);
        (bool[] memory settled,) = dvp.settleBatch(ids);
        assertTrue(settled[0] && !settled[1], "once");
        _assertGuardStopped();
        _assertSettledOnce(id);
    }

    function test_settleBatch_bubbledReentry_failsOnlyThatTrade() public {
        bytes32 id = _matched(_hostileTerms(carol, dave), REF);
        bytes32 good = _matched(_terms(alice, bob), "GOOD");
        hostile.arm(HostileToken.Mode.Reenter, address(dvp), abi.encodeCall(IDvPEscrow.cancel, (id)), true, false);
        bytes32[] memory ids = new bytes32[](2);
        (ids[0], ids[1]) = (id, good);
        (bool[] memory settled, bytes32[] memory reasons) = dvp.settleBatch(ids);
        assertTrue(!settled[0] && settled[1], "the good one settles");
        assertEq(reasons[0], "TRANSFER_FAILED", "reason");
        assertEq(_status(id), uint8(IDvPEscrow.Status.Matched), "hostile trade untouched");
    }

    function test_reclaim_reenteringReclaim_paysOnce() public {
        IDvPEscrow.TradeTerms memory t = _hostileTerms(carol, dave);
        bytes32 id = _matched(t, REF);
        _cancelBoth(id, t);
        hostile.arm(HostileToken.Mode.Reenter, address(dvp), abi.encodeCall(IDvPEscrow.reclaim, (id)), false, false);
        vm.prank(dave);
        dvp.reclaim(id);
        _assertGuardStopped();
        assertEq(hostile.balanceOf(dave), CASH, "cash back once");
        assertEq(hostile.balanceOf(address(dvp)), 0, "nothing left");
        vm.expectRevert(_withSide(IDvPEscrow.NothingToReclaim.selector, id, IDvPEscrow.Side.Buyer));
        vm.prank(dave);
        dvp.reclaim(id);
    }

    function test_reclaimTo_reenteringReclaimTo_paysOnce() public {
        IDvPEscrow.TradeTerms memory t = _hostileTerms(carol, dave);
        bytes32 id = _matched(t, REF);
        _cancelBoth(id, t);
        hostile.arm(
            HostileToken.Mode.Reenter,
            address(dvp),
            abi.encodeCall(IDvPEscrow.reclaimTo, (id, IDvPEscrow.Side.Buyer, dave)),
            false,
            false
        );
        vm.prank(dave);
        dvp.reclaimTo(id, IDvPEscrow.Side.Buyer, dave);
        _assertGuardStopped();
        assertEq(hostile.balanceOf(dave), CASH, "cash back once");
    }

    function test_instruct_reenteringOnDeposit_refused() public {
        IDvPEscrow.TradeTerms memory t = _hostileTerms(carol, dave);
        bytes32 id = _instruct(carol, t, REF);
        hostile.arm(HostileToken.Mode.Reenter, address(dvp), abi.encodeCall(IDvPEscrow.settle, (id)), false, true);
        _instruct(dave, t, REF);
        _assertGuardStopped();
        assertEq(_status(id), uint8(IDvPEscrow.Status.Matched), "matched, not settled by the re-entry");
        hostile.disarm();
        dvp.settle(id);
        _assertSettledOnce(id);
    }

    function test_affirm_reenteringAffirm_refused() public {
        IDvPEscrow.TradeTerms memory t = _hostileTerms(carol, dave);
        bytes32 id = _instruct(carol, t, REF);
        hostile.arm(HostileToken.Mode.Reenter, address(dvp), abi.encodeCall(IDvPEscrow.affirm, (id)), false, true);
        vm.prank(dave);
        dvp.affirm(id);
        _assertGuardStopped();
        assertEq(hostile.balanceOf(address(dvp)), PRICE, "paid in once");
    }

    function test_recoverSecurities_andInstruct_guarded() public {
        // a re-entry into recoverSecurities or instruct during a payout is refused as well
        bytes32 id = _matched(_hostileTerms(carol, dave), REF);
        hostile.arm(
            HostileToken.Mode.Reenter,
            address(dvp),
            abi.encodeCall(IDvPEscrow.recoverSecurities, (id, dave, "x")),
            false,
            false
        );
        dvp.settle(id);
        _assertGuardStopped();
        bytes32 next = _matched(_hostileTerms(alice, dave), "NEXT");
        hostile.arm(
            HostileToken.Mode.Reenter,
            address(dvp),
            abi.encodeCall(IDvPEscrow.instruct, (_terms(alice, bob), "INNER")),
            false,
            false
        );
        dvp.settle(next);
        _assertGuardStopped();
    }

    function test_instruct_feeOnTransferToken_refused() public {
        IDvPEscrow.TradeTerms memory t = _hostileTerms(carol, dave);
        hostile.arm(HostileToken.Mode.Fee, address(dvp), "", false, true);
        vm.expectRevert(
            abi.encodeWithSelector(IDvPEscrow.DepositShortfall.selector, address(hostile), PRICE, PRICE - 1)
        );
        _instruct(dave, t, REF);
    }

    function test_instruct_tokenThatTakesTheWholeAmount_reportsZeroReceived() public {
        // a fee that takes everything: nothing arrives
        IDvPEscrow.TradeTerms memory t = _hostileTerms(carol, dave);
        t.amount = 1;
        hostile.arm(HostileToken.Mode.Fee, address(dvp), "", false, true);
        vm.expectRevert(abi.encodeWithSelector(IDvPEscrow.DepositShortfall.selector, address(hostile), 1, 0));
        _instruct(dave, t, REF);
    }
}

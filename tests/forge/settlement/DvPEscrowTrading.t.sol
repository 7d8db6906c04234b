// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {SettlementTest, IDvPEscrowProxy} from "./SettlementTest.sol";
import {IDvPEscrow} from "../../../interfaces/IDvPEscrow.sol";
import {ITransferRules} from "../../../interfaces/ITransferRules.sol";
import {ISecurityToken} from "../../../interfaces/ISecurityToken.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {Initializable} from "@openzeppelin/contracts/proxy/utils/Initializable.sol";

/// @notice The escrow's set-up and roles, matching (instruct, affirm, mismatched terms), settlement
/// with the token's rules, and cancellation: every path and every refusal.
contract DvPEscrowTradingTest is SettlementTest {
    bytes32 internal constant ESCROW_UPGRADER_ROLE = keccak256("UPGRADER_ROLE");

    // ------------------------------------------------------------------ set-up and roles

    function test_initialize_grantsRoles_upgraderAdministersItself() public view {
        assertEq(dvp.defaultAdmin(), dvpAdmin, "admin");
        assertTrue(dvp.hasRole(DEFAULT_ADMIN_ROLE, dvpAdmin), "admin role");
        assertTrue(dvp.hasRole(ESCROW_UPGRADER_ROLE, dvpUpgrader), "upgrader role");
        assertEq(dvp.getRoleAdmin(ESCROW_UPGRADER_ROLE), ESCROW_UPGRADER_ROLE, "upgrader administers itself");
        assertEq(dvp.UPGRADER_ROLE(), ESCROW_UPGRADER_ROLE, "role id");
        assertEq(dvp.defaultAdminDelay(), 1 days, "admin delay");
        assertEq(dvp.MAX_BATCH(), 100, "max batch");
        assertEq(dvp.TRADE_GAS(), 500_000, "trade gas");
        assertEq(dvp.MAX_REFERENCE_LENGTH(), 35, "max reference");
        assertEq(dvp.MAX_SETTLEMENT_PERIOD(), 365 days, "max period");
    }

    function test_initialize_refusesZeroUpgrader_zeroAdmin_andSecondCalls() public {
        vm.expectRevert(abi.encodeWithSelector(IDvPEscrow.InvalidConfiguration.selector, bytes32("upgrader")));
        _newProxy(dvpImpl, _initData(dvpAdmin, address(0)));
        vm.expectRevert(abi.encodeWithSignature("AccessControlInvalidDefaultAdmin(address)", address(0)));
        _newProxy(dvpImpl, _initData(address(0), dvpUpgrader));
        vm.expectRevert(Initializable.InvalidInitialization.selector);
        dvp.initialize(stranger, 0, stranger);
        vm.expectRevert(Initializable.InvalidInitialization.selector);
        IDvPEscrowProxy(dvpImpl).initialize(stranger, 0, stranger);
    }

    function test_supportsInterface() public view {
        assertTrue(dvp.supportsInterface(type(IDvPEscrow).interfaceId), "IDvPEscrow");
        assertTrue(dvp.supportsInterface(type(IAccessControl).interfaceId), "IAccessControl");
        assertTrue(dvp.supportsInterface(type(IERC165).interfaceId), "IERC165");
        assertFalse(dvp.supportsInterface(0xdeadbeef), "other");
    }

    function test_upgrade_onlyByUpgrader_keepsTrades() public {
        bytes32 id = _matched();
        address next = _deploy(DVP_ARTIFACT, "");
        vm.expectRevert(_unauthorized(dvpAdmin, ESCROW_UPGRADER_ROLE));
        vm.prank(dvpAdmin);
        dvp.upgradeToAndCall(next, "");
        vm.expectRevert(_unauthorized(dvpAdmin, ESCROW_UPGRADER_ROLE));
        vm.prank(dvpAdmin);
        dvp.grantRole(ESCROW_UPGRADER_ROLE, dvpAdmin);
        vm.prank(dvpUpgrader);
        dvp.upgradeToAndCall(next, "");
        bytes32 slot = 0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc; // ERC-1967
        assertEq(address(uint160(uint256(vm.load(address(dvp), slot)))), next, "implementation");
        assertEq(_status(id), uint8(IDvPEscrow.Status.Matched), "trade kept");
        dvp.settle(id);
        assertEq(token.balanceOf(bob), QTY, "settles after the upgrade");
    }

    // ------------------------------------------------------------------ proposing

    function test_instruct_bySeller_proposesAndEscrowsTheUnits() public {
        IDvPEscrow.TradeTerms memory t = _terms(alice, bob);
        bytes32 id = _expectedId(t, REF);
        vm.expectEmit(address(dvp));
        emit IDvPEscrow.TradeProposed(id, alice, IDvPEscrow.Side.Seller, t, REF);
        assertEq(_instruct(alice, t, REF), id, "id");
        assertEq(dvp.computeTradeId(t, REF), id, "computeTradeId");
        assertEq(token.balanceOf(alice), UNITS - QTY, "seller paid in");
        assertEq(token.balanceOf(address(dvp)), QTY, "escrow holds");
        assertEq(dvp.escrowedSecurities(alice, address(token)), QTY, "beneficial owner");
        assertEq(token.investorBalance(_key(ALICE_ID)), 2 * UNITS - QTY, "alice's holding leaves the cap table count");
        assertEq(_status(id), uint8(IDvPEscrow.Status.Proposed), "proposed");

        IDvPEscrow.Trade memory tr = dvp.trade(id);
        assertEq(tr.seller, alice, "seller");
        assertEq(tr.buyer, bob, "buyer");
        assertEq(address(tr.security), address(token), "security");
        assertEq(address(tr.cashToken), address(cash), "cash token");
        assertEq(tr.quantity, QTY, "quantity");
        assertEq(tr.amount, PRICE, "amount");
        assertEq(tr.deadline, t.deadline, "deadline");
        assertTrue(tr.sellerHeld, "seller held");
        assertFalse(tr.buyerHeld, "buyer not held");
        assertEq(tr.tradeRef, REF, "reference");
        assertEq(tr.settledAt, 0, "not settled");
    }

    function test_instruct_byBuyer_proposesAndEscrowsTheCash() public {
        IDvPEscrow.TradeTerms memory t = _terms(alice, bob);
        bytes32 id = _expectedId(t, REF);
        vm.expectEmit(address(dvp));
        emit IDvPEscrow.TradeProposed(id, bob, IDvPEscrow.Side.Buyer, t, REF);
        _instruct(bob, t, REF);
        assertEq(cash.balanceOf(bob), CASH - PRICE, "buyer paid in");
        assertEq(cash.balanceOf(address(dvp)), PRICE, "escrow holds");
        assertEq(dvp.escrowedCash(bob, address(cash)), PRICE, "cash owner");
        assertEq(dvp.escrowedSecurities(alice, address(token)), 0, "nothing from the seller yet");
        assertEq(_status(id), uint8(IDvPEscrow.Status.Proposed), "proposed");
    }

    function test_instruct_counterpartySameTerms_matches() public {
        IDvPEscrow.TradeTerms memory t = _terms(alice, bob);
        bytes32 id = _instruct(bob, t, REF);
        vm.expectEmit(address(dvp));
        emit IDvPEscrow.TradeMatched(id, alice, IDvPEscrow.Side.Seller, REF);
        assertEq(_instruct(alice, t, REF), id, "same id");
        assertEq(_status(id), uint8(IDvPEscrow.Status.Matched), "matched");
        assertEq(token.balanceOf(address(dvp)), QTY, "units in");
        assertEq(cash.balanceOf(address(dvp)), PRICE, "cash in");
    }

    function test_affirm_matchesAProposal() public {
        IDvPEscrow.TradeTerms memory t = _terms(alice, bob);
        bytes32 id = _instruct(alice, t, REF);
        vm.expectEmit(address(dvp));
        emit IDvPEscrow.TradeMatched(id, bob, IDvPEscrow.Side.Buyer, REF);
        vm.prank(bob);
        dvp.affirm(id);
        assertEq(_status(id), uint8(IDvPEscrow.Status.Matched), "matched");
        assertEq(dvp.escrowedCash(bob, address(cash)), PRICE, "cash owner");
    }

    function test_mismatchedTerms_areAnotherTrade() public {
        IDvPEscrow.TradeTerms memory t = _terms(alice, bob);
        bytes32 id = _instruct(alice, t, REF);
        IDvPEscrow.TradeTerms memory other = _terms(alice, bob);
        other.amount = PRICE - 1;
        bytes32 otherId = _instruct(bob, other, REF);
        assertTrue(otherId != id, "another id");
        assertEq(_status(id), uint8(IDvPEscrow.Status.Proposed), "first still proposed");
        assertEq(_status(otherId), uint8(IDvPEscrow.Status.Proposed), "second proposed");
    }

    function test_sameReference_otherParties_isAnotherTrade() public {
        bytes32 a = _instruct(alice, _terms(alice, bob), REF);
        bytes32 b = _instruct(carol, _terms(carol, bob), REF);
        bytes32 c = _instruct(alice, _terms(alice, dave), REF);
        assertTrue(a != b && a != c && b != c, "three trades");
    }

    function test_instruct_refusesAStranger() public {
        IDvPEscrow.TradeTerms memory t = _terms(alice, bob);
        vm.expectRevert(_notAParty(_expectedId(t, REF), carol));
        _instruct(carol, t, REF);
    }

    function test_instruct_refusesInvalidTerms() public {
        IDvPEscrow.TradeTerms memory t = _terms(address(0), bob);
        _expectInvalid(t, REF, "parties");
        t = _terms(alice, address(0));
        _expectInvalid(t, REF, "parties");
        t = _terms(alice, alice);
        _expectInvalid(t, REF, "parties");
        t = _terms(address(dvp), alice);
        _expectInvalid(t, REF, "parties");
        t = _terms(alice, address(dvp));
        _expectInvalid(t, REF, "parties");
        t = _terms(alice, bob);
        t.security = ISecurityToken(stranger);
        _expectInvalid(t, REF, "security");
        t = _terms(alice, bob);
        t.cashToken = IERC20(stranger);
        _expectInvalid(t, REF, "cash token");
        t.cashToken = IERC20(address(token));
        _expectInvalid(t, REF, "cash token");
        t = _terms(alice, bob);
        t.quantity = 0;
        _expectInvalid(t, REF, "quantity");
        t = _terms(alice, bob);
        t.amount = 0;
        _expectInvalid(t, REF, "amount");
        t = _terms(alice, bob);
        t.deadline = uint40(_now());
        _expectInvalid(t, REF, "deadline");
        t.deadline = uint40(_now() + 365 days + 1);
        _expectInvalid(t, REF, "deadline");
        t = _terms(alice, bob);
        _expectInvalid(t, "", "reference");
        _expectInvalid(t, "123456789012345678901234567890123456", "reference"); // 36 bytes
    }

    function test_instruct_acceptsTheLimits() public {
        IDvPEscrow.TradeTerms memory t = _terms(alice, bob);
        t.deadline = uint40(_now() + 365 days);
        bytes32 id = _instruct(alice, t, "12345678901234567890123456789012345"); // 35 bytes
        assertEq(_status(id), uint8(IDvPEscrow.Status.Proposed), "proposed");
        t = _terms(alice, bob);
        t.deadline = uint40(_now() + 1);
        _instruct(alice, t, "X");
    }

    function _expectInvalid(IDvPEscrow.TradeTerms memory t, string memory ref, bytes32 field) internal {
        vm.expectRevert(_invalidTerms(field));
        _instruct(t.seller == address(0) ? alice : t.seller, t, ref);
    }

    function test_instruct_twiceBySameParty_refused() public {
        IDvPEscrow.TradeTerms memory t = _terms(alice, bob);
        bytes32 id = _instruct(alice, t, REF);
        vm.expectRevert(_withSide(IDvPEscrow.AlreadyInstructed.selector, id, IDvPEscrow.Side.Seller));
        _instruct(alice, t, REF);
        vm.expectRevert(_withSide(IDvPEscrow.AlreadyInstructed.selector, id, IDvPEscrow.Side.Seller));
        vm.prank(alice);
        dvp.affirm(id);
    }

    function test_instruct_onAMatchedOrSettledTrade_refused() public {
        IDvPEscrow.TradeTerms memory t = _terms(alice, bob);
        bytes32 id = _matched(t, REF);
        vm.expectRevert(_withStatus(IDvPEscrow.TradeNotOpen.selector, id, IDvPEscrow.Status.Matched));
        _instruct(alice, t, REF);
        dvp.settle(id);
        vm.expectRevert(_withStatus(IDvPEscrow.TradeNotOpen.selector, id, IDvPEscrow.Status.Settled));
        vm.prank(bob);
        dvp.affirm(id);
    }

    function test_affirm_refusesUnknownStrangerAndLate() public {
        vm.expectRevert(_err(IDvPEscrow.UnknownTrade.selector, bytes32(uint256(1))));
        vm.prank(bob);
        dvp.affirm(bytes32(uint256(1)));
        IDvPEscrow.TradeTerms memory t = _terms(alice, bob);
        bytes32 id = _instruct(alice, t, REF);
        vm.expectRevert(_notAParty(id, dave));
        vm.prank(dave);
        dvp.affirm(id);
        vm.warp(t.deadline);
        vm.expectRevert(abi.encodeWithSelector(IDvPEscrow.DeadlinePassed.selector, id, t.deadline));
        vm.prank(bob);
        dvp.affirm(id);
        assertEq(_status(id), uint8(IDvPEscrow.Status.Expired), "expired");
    }

    function test_instruct_theTokensRulesApplyOnTheWayIn() public {
        // a frozen seller cannot pay units in
        _freezeAll(alice, true);
        vm.expectRevert(_restricted(CODE_FUNDS_LOCKED, SENDER_FROZEN));
        _instruct(alice, _terms(alice, bob), REF);
        // an escrow that is not a registered system account cannot receive units
        IDvPEscrowProxy unregistered = IDvPEscrowProxy(_newProxy(dvpImpl, _initData(dvpAdmin, dvpUpgrader)));
        vm.prank(carol);
        token.approve(address(unregistered), QTY);
        vm.expectRevert(_restricted(CODE_INVALID_RECEIVER, RECIPIENT_NOT_REGISTERED));
        vm.prank(carol);
        unregistered.instruct(_terms(carol, bob), REF);
    }

    function test_instruct_needsAnAllowance() public {
        vm.prank(dave);
        cash.approve(address(dvp), PRICE - 1);
        vm.expectRevert(
            abi.encodeWithSelector(IERC20Errors.ERC20InsufficientAllowance.selector, address(dvp), PRICE - 1, PRICE)
        );
        _instruct(dave, _terms(alice, dave), REF);
    }

    // ------------------------------------------------------------------ settling

    function test_settle_deliversBothLegs_byAnyone() public {
        IDvPEscrow.TradeTerms memory t = _terms(alice, bob);
        bytes32 id = _matched(t, REF);
        vm.warp(_now() + 1 hours);
        svm.roll(svm.getBlockNumber() + 7);
        vm.expectEmit(address(dvp));
        emit IDvPEscrow.TradeSettled(id, alice, bob, REF);
        vm.prank(stranger);
        dvp.settle(id);
        assertEq(token.balanceOf(bob), QTY, "buyer got the units");
        assertEq(cash.balanceOf(alice), CASH + PRICE, "seller got the cash");
        assertEq(token.balanceOf(address(dvp)), 0, "no units left");
        assertEq(cash.balanceOf(address(dvp)), 0, "no cash left");
        assertEq(dvp.escrowedSecurities(alice, address(token)), 0, "no escrowed units");
        assertEq(dvp.escrowedCash(bob, address(cash)), 0, "no escrowed cash");
        assertEq(token.investorBalance(_key(BOB_ID)), QTY, "bob counted");
        IDvPEscrow.Trade memory tr = dvp.trade(id);
        assertEq(uint8(tr.status), uint8(IDvPEscrow.Status.Settled), "settled");
        assertEq(tr.settledAt, _now(), "settled at");
        assertEq(tr.settledBlock, svm.getBlockNumber(), "settled block");
        assertFalse(tr.sellerHeld || tr.buyerHeld, "nothing held");
        // settled stays settled after the deadline
        vm.warp(t.deadline + 1);
        assertEq(_status(id), uint8(IDvPEscrow.Status.Settled), "still settled");
    }

    function test_settle_refusesWhatIsNotMatched() public {
        vm.expectRevert(_withStatus(IDvPEscrow.TradeNotMatched.selector, bytes32(0), IDvPEscrow.Status.None));
        dvp.settle(bytes32(0));
        IDvPEscrow.TradeTerms memory t = _terms(alice, bob);
        bytes32 id = _instruct(alice, t, REF);
        vm.expectRevert(_withStatus(IDvPEscrow.TradeNotMatched.selector, id, IDvPEscrow.Status.Proposed));
        dvp.settle(id);
        _instruct(bob, t, REF);
        dvp.settle(id);
        vm.expectRevert(_withStatus(IDvPEscrow.TradeNotMatched.selector, id, IDvPEscrow.Status.Settled));
        dvp.settle(id);
    }

    function test_settle_deadlineEdges() public {
        IDvPEscrow.TradeTerms memory t = _terms(alice, bob);
        bytes32 id = _matched(t, REF);
        vm.warp(t.deadline);
        vm.expectRevert(abi.encodeWithSelector(IDvPEscrow.DeadlinePassed.selector, id, t.deadline));
        dvp.settle(id);
        vm.warp(t.deadline - 1);
        dvp.settle(id);
        assertEq(_status(id), uint8(IDvPEscrow.Status.Settled), "settled one second before");
    }

    function test_settle_buyerNoLongerEligible_refusedWithTheRulesReason() public {
        IDvPEscrow.TradeTerms memory t = _terms(alice, bob);
        bytes32 id = _matched(t, REF);
        _setExpiry(BOB_ID, bob, uint40(_now() + 1 hours));
        vm.warp(_now() + 1 hours);
        vm.expectRevert(_refused(id, CODE_INVALID_RECEIVER, RECIPIENT_ELIGIBILITY_EXPIRED));
        dvp.settle(id);
        // nothing moved, still matched: renewed, it settles
        assertEq(token.balanceOf(address(dvp)), QTY, "units kept");
        assertEq(cash.balanceOf(address(dvp)), PRICE, "cash kept");
        assertEq(_status(id), uint8(IDvPEscrow.Status.Matched), "still matched");
        _setExpiry(BOB_ID, bob, EXPIRY);
        dvp.settle(id);
        assertEq(token.balanceOf(bob), QTY, "settled once eligible");
    }

    function test_settle_otherRefusals_carryTheirReasons() public {
        bytes32 id = _matched();
        _freezeAll(bob, true);
        vm.expectRevert(_refused(id, CODE_INVALID_RECEIVER, RECIPIENT_FROZEN));
        dvp.settle(id);
        _freezeAll(bob, false);
        vm.prank(pauser);
        token.pause();
        vm.expectRevert(_refused(id, CODE_FAILURE, TOKEN_PAUSED));
        dvp.settle(id);
        vm.prank(pauser);
        token.unpause();
        _denyCountry(US);
        vm.expectRevert(_refused(id, CODE_INVALID_RECEIVER, COUNTRY_DENIED));
        dvp.settle(id);
        vm.prank(registryRegistrar);
        registry.removeWallet(bob);
        vm.expectRevert(_refused(id, CODE_INVALID_RECEIVER, RECIPIENT_NOT_REGISTERED));
        dvp.settle(id);
    }

    function test_settle_lockUpSwitchedOnAfterMatching_refused() public {
        bytes32 id = _matched();
        _setRule(ITransferRules.RuleType.LockUp, _now() + 10 days);
        vm.expectRevert(_refused(id, CODE_FUNDS_LOCKED, LOCKED_UP));
        dvp.settle(id);
    }

    function test_settleOne_onlyForTheEscrowItself() public {
        bytes32 id = _matched();
        vm.expectRevert(IDvPEscrow.OnlySelf.selector);
        vm.prank(stranger);
        dvp.settleOne(id);
    }

    // ------------------------------------------------------------------ cancelling

    function test_cancel_proposedByItsProposer() public {
        bytes32 id = _instruct(alice, _terms(alice, bob), REF);
        vm.expectEmit(address(dvp));
        emit IDvPEscrow.TradeCancelled(id, alice, REF);
        vm.prank(alice);
        dvp.cancel(id);
        assertEq(_status(id), uint8(IDvPEscrow.Status.Cancelled), "cancelled");
    }

    function test_cancel_proposedDeclinedByTheCounterparty() public {
        bytes32 id = _instruct(alice, _terms(alice, bob), REF);
        vm.prank(bob);
        dvp.cancel(id);
        assertEq(_status(id), uint8(IDvPEscrow.Status.Cancelled), "cancelled");
        vm.expectRevert(_withStatus(IDvPEscrow.TradeNotOpen.selector, id, IDvPEscrow.Status.Cancelled));
        vm.prank(bob);
        dvp.affirm(id);
    }

    function test_cancel_matchedNeedsBothParties() public {
        IDvPEscrow.TradeTerms memory t = _terms(alice, bob);
        bytes32 id = _matched(t, REF);
        vm.expectEmit(address(dvp));
        emit IDvPEscrow.CancelRequested(id, bob, IDvPEscrow.Side.Buyer, REF);
        vm.prank(bob);
        dvp.cancel(id);
        assertEq(_status(id), uint8(IDvPEscrow.Status.Matched), "one request: still matched");
        assertTrue(dvp.trade(id).buyerCancels, "buyer asked");
        vm.expectRevert(_withSide(IDvPEscrow.CancelAlreadyRequested.selector, id, IDvPEscrow.Side.Buyer));
        vm.prank(bob);
        dvp.cancel(id);
        vm.expectEmit(address(dvp));
        emit IDvPEscrow.CancelRequested(id, alice, IDvPEscrow.Side.Seller, REF);
        vm.expectEmit(address(dvp));
        emit IDvPEscrow.TradeCancelled(id, alice, REF);
        vm.prank(alice);
        dvp.cancel(id);
        assertEq(_status(id), uint8(IDvPEscrow.Status.Cancelled), "cancelled");
        vm.expectRevert(_withStatus(IDvPEscrow.TradeNotMatched.selector, id, IDvPEscrow.Status.Cancelled));
        dvp.settle(id);
    }

    function test_cancel_sellerTwice_refused_andSettlementStillWins() public {
        bytes32 id = _matched();
        vm.prank(alice);
        dvp.cancel(id);
        vm.expectRevert(_withSide(IDvPEscrow.CancelAlreadyRequested.selector, id, IDvPEscrow.Side.Seller));
        vm.prank(alice);
        dvp.cancel(id);
        dvp.settle(id);
        assertEq(_status(id), uint8(IDvPEscrow.Status.Settled), "a cancel request does not block settlement");
    }

    function test_cancel_refusals() public {
        vm.expectRevert(_err(IDvPEscrow.UnknownTrade.selector, bytes32(uint256(7))));
        dvp.cancel(bytes32(uint256(7)));
        IDvPEscrow.TradeTerms memory t = _terms(alice, bob);
        bytes32 id = _matched(t, REF);
        vm.expectRevert(_notAParty(id, carol));
        vm.prank(carol);
        dvp.cancel(id);
        vm.warp(t.deadline);
        vm.expectRevert(abi.encodeWithSelector(IDvPEscrow.DeadlinePassed.selector, id, t.deadline));
        vm.prank(alice);
        dvp.cancel(id);
        vm.warp(t.deadline - 1);
        dvp.settle(id);
        vm.expectRevert(_withStatus(IDvPEscrow.TradeNotOpen.selector, id, IDvPEscrow.Status.Settled));
        vm.prank(alice);
        dvp.cancel(id);
    }

    // ------------------------------------------------------------------ views

    function test_views_unknownTrade() public view {
        assertEq(_status(keccak256("nothing")), uint8(IDvPEscrow.Status.None), "none");
        IDvPEscrow.Trade memory tr = dvp.trade(keccak256("nothing"));
        assertEq(tr.seller, address(0), "empty");
        assertEq(bytes(tr.tradeRef).length, 0, "no reference");
    }

    function test_views_expiredIsReportedFromTheDeadline() public {
        IDvPEscrow.TradeTerms memory t = _terms(alice, bob);
        bytes32 proposed = _instruct(alice, t, "P");
        bytes32 matched = _matched(t, "M");
        vm.warp(t.deadline - 1);
        assertEq(_status(proposed), uint8(IDvPEscrow.Status.Proposed), "proposed before");
        assertEq(_status(matched), uint8(IDvPEscrow.Status.Matched), "matched before");
        vm.warp(t.deadline);
        assertEq(_status(proposed), uint8(IDvPEscrow.Status.Expired), "proposed expires");
        assertEq(uint8(dvp.trade(matched).status), uint8(IDvPEscrow.Status.Expired), "matched expires");
    }
}

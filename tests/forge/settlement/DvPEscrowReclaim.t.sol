// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {SettlementTest} from "./SettlementTest.sol";
import {Vm} from "../utils/Vm.sol";
import {IDvPEscrow} from "../../../interfaces/IDvPEscrow.sol";

/// @notice Getting legs back: reclaim after a cancellation or the deadline (each party on its
/// own, exactly what it escrowed, once), the rules on the way back, and the paths that leave
/// nothing stuck: another wallet of the same investor (`reclaimTo`: a retired or lost wallet) and
/// the instrument's registrar (`recoverSecurities`: an owner who cannot receive at all).
contract DvPEscrowReclaimTest is SettlementTest {
    address internal carolNew = _actor("carolNew");
    address internal bobNew = _actor("bobNew");

    function _cancelledProposal(address seller) internal returns (bytes32 id) {
        id = _instruct(seller, _terms(seller, bob), REF);
        vm.prank(seller);
        dvp.cancel(id);
    }

    function _cancelledMatch(address seller, address buyer) internal returns (bytes32 id) {
        IDvPEscrow.TradeTerms memory t = _terms(seller, buyer);
        id = _matched(t, REF);
        _cancelBoth(id, t);
    }

    // ------------------------------------------------------------------ reclaim

    function test_reclaim_cancelledProposal_returnsExactlyTheUnits_once() public {
        bytes32 id = _cancelledProposal(alice);
        vm.expectEmit(address(dvp));
        emit IDvPEscrow.LegReclaimed(id, IDvPEscrow.Side.Seller, alice, address(token), QTY, REF);
        vm.prank(alice);
        dvp.reclaim(id);
        assertEq(token.balanceOf(alice), UNITS, "units back");
        assertEq(token.balanceOf(address(dvp)), 0, "escrow empty");
        assertEq(dvp.escrowedSecurities(alice, address(token)), 0, "nothing escrowed");
        vm.expectRevert(_withSide(IDvPEscrow.NothingToReclaim.selector, id, IDvPEscrow.Side.Seller));
        vm.prank(alice);
        dvp.reclaim(id);
        vm.expectRevert(_withSide(IDvPEscrow.NothingToReclaim.selector, id, IDvPEscrow.Side.Buyer));
        vm.prank(bob);
        dvp.reclaim(id);
    }

    function test_reclaim_mutuallyCancelled_eachPartyOnItsOwn() public {
        bytes32 id = _cancelledMatch(alice, bob);
        vm.expectEmit(address(dvp));
        emit IDvPEscrow.LegReclaimed(id, IDvPEscrow.Side.Buyer, bob, address(cash), PRICE, REF);
        vm.prank(bob);
        dvp.reclaim(id);
        assertEq(cash.balanceOf(bob), CASH, "cash back");
        assertEq(token.balanceOf(address(dvp)), QTY, "the seller's leg waits for the seller");
        assertEq(dvp.escrowedCash(bob, address(cash)), 0, "no escrowed cash");
        vm.prank(alice);
        dvp.reclaim(id);
        assertEq(token.balanceOf(alice), UNITS, "units back");
        assertEq(cash.balanceOf(address(dvp)) + token.balanceOf(address(dvp)), 0, "escrow empty");
    }

    function test_reclaim_deadlineEdge_expiresOnFirstReclaim() public {
        IDvPEscrow.TradeTerms memory t = _terms(alice, bob);
        bytes32 id = _matched(t, REF);
        vm.warp(t.deadline - 1);
        vm.expectRevert(_withStatus(IDvPEscrow.NotReclaimable.selector, id, IDvPEscrow.Status.Matched));
        vm.prank(bob);
        dvp.reclaim(id);
        vm.warp(t.deadline);
        vm.expectEmit(address(dvp));
        emit IDvPEscrow.TradeExpired(id, REF);
        vm.expectEmit(address(dvp));
        emit IDvPEscrow.LegReclaimed(id, IDvPEscrow.Side.Buyer, bob, address(cash), PRICE, REF);
        vm.prank(bob);
        dvp.reclaim(id);
        assertEq(uint8(dvp.trade(id).status), uint8(IDvPEscrow.Status.Expired), "stored expired");
        vm.recordLogs();
        vm.prank(alice);
        dvp.reclaim(id);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        uint256 fromEscrow;
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].emitter == address(dvp)) {
                ++fromEscrow;
                assertTrue(logs[i].topics[0] != IDvPEscrow.TradeExpired.selector, "expired once");
            }
        }
        assertEq(fromEscrow, 1, "one event: the reclaim");
        assertEq(token.balanceOf(alice), UNITS, "units back");
        assertEq(cash.balanceOf(bob), CASH, "cash back");
    }

    function test_reclaim_expiredProposal() public {
        IDvPEscrow.TradeTerms memory t = _terms(alice, bob);
        bytes32 id = _instruct(bob, t, REF);
        vm.warp(t.deadline);
        vm.prank(bob);
        dvp.reclaim(id);
        assertEq(cash.balanceOf(bob), CASH, "cash back");
    }

    function test_reclaim_refusals() public {
        vm.expectRevert(_err(IDvPEscrow.UnknownTrade.selector, bytes32(uint256(3))));
        dvp.reclaim(bytes32(uint256(3)));
        IDvPEscrow.TradeTerms memory t = _terms(alice, bob);
        bytes32 id = _instruct(alice, t, REF);
        vm.expectRevert(_withStatus(IDvPEscrow.NotReclaimable.selector, id, IDvPEscrow.Status.Proposed));
        vm.prank(alice);
        dvp.reclaim(id);
        _instruct(bob, t, REF);
        dvp.settle(id);
        vm.warp(t.deadline + 1);
        vm.expectRevert(_withStatus(IDvPEscrow.NotReclaimable.selector, id, IDvPEscrow.Status.Settled));
        vm.prank(alice);
        dvp.reclaim(id);
        bytes32 other = _cancelledProposal(carol);
        vm.expectRevert(_notAParty(other, dave));
        vm.prank(dave);
        dvp.reclaim(other);
    }

    function test_reclaim_theRulesApplyOnTheWayBack_withTheirReason() public {
        bytes32 id = _cancelledProposal(carol);
        _freezeAll(carol, true);
        vm.expectRevert(_reclaimRefused(id, CODE_INVALID_RECEIVER, RECIPIENT_FROZEN));
        vm.prank(carol);
        dvp.reclaim(id);
        _freezeAll(carol, false);
        _setExpiry(CAROL_ID, carol, uint40(_now() + 1));
        vm.warp(_now() + 1);
        vm.expectRevert(_reclaimRefused(id, CODE_INVALID_RECEIVER, RECIPIENT_ELIGIBILITY_EXPIRED));
        vm.prank(carol);
        dvp.reclaim(id);
        _setExpiry(CAROL_ID, carol, EXPIRY);
        vm.prank(carol);
        dvp.reclaim(id);
        assertEq(token.balanceOf(carol), UNITS, "back once eligible");
    }

    // ------------------------------------------------------------------ reclaimTo

    function test_reclaimTo_retiredSellerWallet_toAnotherWalletOfTheInvestor() public {
        bytes32 id = _cancelledProposal(alice);
        vm.prank(registryRegistrar);
        registry.removeWallet(alice);
        vm.expectRevert(_reclaimRefused(id, CODE_INVALID_RECEIVER, RECIPIENT_NOT_REGISTERED));
        vm.prank(alice);
        dvp.reclaim(id);
        vm.expectEmit(address(dvp));
        emit IDvPEscrow.LegReclaimed(id, IDvPEscrow.Side.Seller, alice2, address(token), QTY, REF);
        vm.prank(alice);
        dvp.reclaimTo(id, IDvPEscrow.Side.Seller, alice2);
        assertEq(token.balanceOf(alice2), UNITS + QTY, "to the other wallet");
        assertEq(dvp.escrowedSecurities(alice, address(token)), 0, "nothing escrowed");
    }

    function test_reclaimTo_lostSellerKey_theRecoveredWalletReclaims() public {
        bytes32 id = _cancelledProposal(carol);
        vm.prank(registryRegistrar);
        registry.recoverWallet(carol, carolNew);
        vm.prank(carolNew);
        dvp.reclaimTo(id, IDvPEscrow.Side.Seller, carolNew);
        assertEq(token.balanceOf(carolNew), QTY, "units at the new wallet");
    }

    function test_reclaimTo_lostBuyerKey_theRecoveredWalletReclaimsTheCash() public {
        bytes32 id = _cancelledMatch(alice, bob);
        vm.prank(registryRegistrar);
        registry.recoverWallet(bob, bobNew);
        vm.prank(bobNew);
        dvp.reclaimTo(id, IDvPEscrow.Side.Buyer, bobNew);
        assertEq(cash.balanceOf(bobNew), PRICE, "cash at the new wallet");
        assertEq(dvp.escrowedCash(bob, address(cash)), 0, "nothing escrowed");
    }

    function test_reclaimTo_cashToASiblingWallet_byTheSibling() public {
        bytes32 id = _cancelledMatch(carol, alice);
        vm.prank(alice2);
        dvp.reclaimTo(id, IDvPEscrow.Side.Buyer, alice2);
        assertEq(cash.balanceOf(alice2), CASH + PRICE, "cash to the sibling");
        assertEq(cash.balanceOf(alice), CASH - PRICE, "not to the party");
    }

    function test_reclaimTo_aSiblingReturnsTheLegToTheParty() public {
        bytes32 id = _cancelledMatch(carol, alice);
        vm.prank(alice2);
        dvp.reclaimTo(id, IDvPEscrow.Side.Buyer, alice);
        assertEq(cash.balanceOf(alice), CASH, "cash back to the party");
    }

    function test_reclaimTo_toThePartyItself_isAPlainReclaim() public {
        bytes32 id = _cancelledMatch(alice, bob);
        vm.prank(bob);
        dvp.reclaimTo(id, IDvPEscrow.Side.Buyer, bob);
        assertEq(cash.balanceOf(bob), CASH, "cash back");
        vm.expectRevert(_withSide(IDvPEscrow.NothingToReclaim.selector, id, IDvPEscrow.Side.Buyer));
        vm.prank(bob);
        dvp.reclaimTo(id, IDvPEscrow.Side.Buyer, bob);
    }

    function test_reclaimTo_neverLeavesTheInvestor() public {
        bytes32 id = _cancelledMatch(alice, bob);
        // a stranger (another investor) cannot take either leg
        vm.expectRevert(abi.encodeWithSelector(IDvPEscrow.NotSameInvestor.selector, id, dave));
        vm.prank(dave);
        dvp.reclaimTo(id, IDvPEscrow.Side.Seller, dave);
        // the party cannot send its leg to another investor
        vm.expectRevert(abi.encodeWithSelector(IDvPEscrow.NotSameInvestor.selector, id, carol));
        vm.prank(alice);
        dvp.reclaimTo(id, IDvPEscrow.Side.Seller, carol);
        vm.expectRevert(abi.encodeWithSelector(IDvPEscrow.NotSameInvestor.selector, id, dave));
        vm.prank(bob);
        dvp.reclaimTo(id, IDvPEscrow.Side.Buyer, dave);
        vm.expectRevert(abi.encodeWithSelector(IDvPEscrow.NotSameInvestor.selector, id, address(0)));
        vm.prank(bob);
        dvp.reclaimTo(id, IDvPEscrow.Side.Buyer, address(0));
    }

    function test_reclaimTo_aRetiredSiblingCannotAct() public {
        bytes32 id = _cancelledProposal(alice2);
        vm.prank(registryRegistrar);
        registry.removeWallet(alice);
        vm.expectRevert(abi.encodeWithSelector(IDvPEscrow.NotSameInvestor.selector, id, alice));
        vm.prank(alice);
        dvp.reclaimTo(id, IDvPEscrow.Side.Seller, alice2);
    }

    function test_reclaimTo_aFrozenSellersUnitsStayFrozen() public {
        bytes32 id = _cancelledProposal(alice);
        _freezeAll(alice, true);
        vm.expectRevert(_reclaimRefused(id, CODE_FUNDS_LOCKED, SENDER_FROZEN));
        vm.prank(alice);
        dvp.reclaimTo(id, IDvPEscrow.Side.Seller, alice2);
        vm.expectRevert(_reclaimRefused(id, CODE_INVALID_RECEIVER, RECIPIENT_FROZEN));
        vm.prank(alice);
        dvp.reclaimTo(id, IDvPEscrow.Side.Seller, alice);
    }

    function test_reclaimTo_aSystemAccountSellerHasNoSiblings() public {
        vm.prank(issuer);
        token.mint(escrow, QTY);
        bytes32 id = _cancelledProposal(escrow);
        vm.expectRevert(abi.encodeWithSelector(IDvPEscrow.NotSameInvestor.selector, id, alice));
        vm.prank(escrow);
        dvp.reclaimTo(id, IDvPEscrow.Side.Seller, alice);
        vm.prank(escrow);
        dvp.reclaim(id);
        assertEq(token.balanceOf(escrow), QTY, "back to the system account");
    }

    function test_reclaimTo_refusesOpenTrades() public {
        bytes32 id = _matched();
        vm.expectRevert(_withStatus(IDvPEscrow.NotReclaimable.selector, id, IDvPEscrow.Status.Matched));
        vm.prank(alice);
        dvp.reclaimTo(id, IDvPEscrow.Side.Seller, alice2);
    }

    // ------------------------------------------------------------------ the registrar's path

    function test_recoverSecurities_whenTheOwnerCannotReceive() public {
        bytes32 id = _cancelledProposal(carol);
        _denyCountry(FR);
        vm.expectRevert(_reclaimRefused(id, CODE_INVALID_RECEIVER, COUNTRY_DENIED));
        vm.prank(carol);
        dvp.reclaim(id);
        vm.expectEmit(address(dvp));
        emit IDvPEscrow.SecuritiesRecovered(id, registrar, dave, QTY, "court order 2026-17", REF);
        vm.prank(registrar);
        dvp.recoverSecurities(id, dave, "court order 2026-17");
        assertEq(token.balanceOf(dave), QTY, "moved");
        assertEq(dvp.escrowedSecurities(carol, address(token)), 0, "nothing escrowed");
        assertEq(token.balanceOf(address(dvp)), 0, "escrow empty");
        vm.expectRevert(_withSide(IDvPEscrow.NothingToReclaim.selector, id, IDvPEscrow.Side.Seller));
        vm.prank(registrar);
        dvp.recoverSecurities(id, dave, "again");
    }

    function test_recoverSecurities_afterTheDeadline_expiresTheTrade() public {
        IDvPEscrow.TradeTerms memory t = _terms(carol, bob);
        bytes32 id = _matched(t, REF);
        vm.warp(t.deadline);
        vm.prank(registrar);
        dvp.recoverSecurities(id, carol, "owner's instruction");
        assertEq(uint8(dvp.trade(id).status), uint8(IDvPEscrow.Status.Expired), "expired");
        assertEq(token.balanceOf(carol), UNITS, "units back");
        vm.prank(bob);
        dvp.reclaim(id);
        assertEq(cash.balanceOf(bob), CASH, "cash back");
    }

    function test_recoverSecurities_refusals() public {
        vm.expectRevert(_err(IDvPEscrow.UnknownTrade.selector, bytes32(uint256(5))));
        vm.prank(registrar);
        dvp.recoverSecurities(bytes32(uint256(5)), dave, "x");
        bytes32 id = _instruct(carol, _terms(carol, bob), REF);
        vm.expectRevert(abi.encodeWithSelector(IDvPEscrow.NotInstrumentRegistrar.selector, address(token), tokenAdmin));
        vm.prank(tokenAdmin);
        dvp.recoverSecurities(id, dave, "x");
        vm.expectRevert(_withStatus(IDvPEscrow.NotReclaimable.selector, id, IDvPEscrow.Status.Proposed));
        vm.prank(registrar);
        dvp.recoverSecurities(id, dave, "x");
        vm.prank(carol);
        dvp.cancel(id);
        vm.expectRevert(_reclaimRefused(id, CODE_INVALID_RECEIVER, RECIPIENT_NOT_REGISTERED));
        vm.prank(registrar);
        dvp.recoverSecurities(id, nobody, "x");
        vm.expectRevert(_reclaimRefused(id, CODE_INVALID_RECEIVER, INVALID_RECIPIENT));
        vm.prank(registrar);
        dvp.recoverSecurities(id, address(0), "x");
    }

    function test_recoverSecurities_neverTouchesTheCash() public {
        bytes32 id = _instruct(bob, _terms(carol, bob), REF);
        vm.prank(bob);
        dvp.cancel(id);
        vm.expectRevert(_withSide(IDvPEscrow.NothingToReclaim.selector, id, IDvPEscrow.Side.Seller));
        vm.prank(registrar);
        dvp.recoverSecurities(id, dave, "x");
        assertEq(cash.balanceOf(address(dvp)), PRICE, "cash untouched");
    }
}

// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {RecordDatesBase} from "./RecordDatesBase.sol";
import {SecurityToken} from "../../../contracts/token/SecurityToken.sol";
import {ISecurityToken} from "../../../interfaces/ISecurityToken.sol";
import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";

/// @notice Lifecycle states of an instrument: what each allows (mints, transfers, burns, forced
/// transfers, recoveries), that `canTransfer` agrees with the transfer in each, every transition
/// with its role, the maturity date, and instruments from before lifecycle states.
contract LifecycleStatesTest is RecordDatesBase {
    ISecurityToken.LifecycleState internal constant ACTIVE = ISecurityToken.LifecycleState.Active;
    ISecurityToken.LifecycleState internal constant ISSUED = ISecurityToken.LifecycleState.Issued;
    ISecurityToken.LifecycleState internal constant SUSPENDED = ISecurityToken.LifecycleState.Suspended;
    ISecurityToken.LifecycleState internal constant MATURED = ISecurityToken.LifecycleState.Matured;
    ISecurityToken.LifecycleState internal constant REDEEMED = ISecurityToken.LifecycleState.Redeemed;

    event LifecycleStateChanged(
        ISecurityToken.LifecycleState indexed from, ISecurityToken.LifecycleState indexed to, address indexed by
    );

    function _state(SecurityToken t) internal view returns (uint256) {
        return uint256(t.lifecycleState());
    }

    // ------------------------------------------------------------------ creation

    function test_newShare_isActive_andTheHotPathReadsNothingMore() public view {
        assertEq(_state(token), uint256(ACTIVE), "state");
        assertFalse(_lifecycleOn(token) || _checkpointsOn(token), "no lifecycle slot read for a share");
        assertEq(uint256(vm.load(address(token), LIFECYCLE_SLOT)), 0, "lifecycle slot empty");
        assertEq(token.CORPORATE_ACTION_ROLE(), CORPORATE_ACTION_ROLE, "role id");
    }

    function test_newBond_isActive_untilItsMaturityDate_thenMatured() public {
        SecurityToken b = _bond();
        assertTrue(_lifecycleOn(b), "a dated instrument reads its lifecycle slot");
        assertEq(_state(b), uint256(ACTIVE), "active before maturity");
        vm.warp(MATURITY - 1);
        assertEq(_state(b), uint256(ACTIVE), "active the second before");
        vm.warp(MATURITY);
        assertEq(_state(b), uint256(MATURED), "matured from the maturity date on");
    }

    // ------------------------------------------------------------------ Issued (placement)

    function test_issued_issuerMints_holdersCannotTransfer() public {
        vm.expectEmit(address(token));
        emit LifecycleStateChanged(ACTIVE, ISSUED, issuer);
        _setState(token, ISSUED, issuer);
        assertEq(_state(token), uint256(ISSUED), "issued");
        assertTrue(_lifecycleOn(token), "slot read while issued");
        _agree(token, address(0), alice, 100, OK);
        _agree(token, address(0), escrow, 100, OK);
        _agree(token, alice, bob, 10, INSTRUMENT_NOT_ACTIVE);
        _agree(token, escrow, bob, 10, INSTRUMENT_NOT_ACTIVE); // system accounts wait too
        _agree(token, alice, alice2, 10, INSTRUMENT_NOT_ACTIVE);
        // The issuer corrects the placement; the registrar's tools go on.
        _burnFrom(token, alice, 10);
        _force(token, alice, bob, 5);
        assertEq(token.balanceOf(alice), 85, "alice after burn and forced transfer");
        // Closing the placement opens trading.
        vm.expectEmit(address(token));
        emit LifecycleStateChanged(ISSUED, ACTIVE, issuer);
        _setState(token, ACTIVE, issuer);
        _agree(token, alice, bob, 10, OK);
        assertFalse(_lifecycleOn(token), "back to no extra read");
    }

    function test_issued_opensOnlyWithNoUnitOutstanding() public {
        _mintTo(token, alice, 7);
        vm.expectRevert(abi.encodeWithSelector(ISecurityToken.UnitsOutstanding.selector, 7));
        _setState(token, ISSUED, issuer);
    }

    function test_issued_transitionsAreTheIssuers() public {
        vm.expectRevert(_unauthorized(agent, ISSUER_ROLE));
        _setState(token, ISSUED, agent);
        _setState(token, ISSUED, issuer);
        vm.expectRevert(_unauthorized(agent, ISSUER_ROLE));
        _setState(token, ACTIVE, agent);
        vm.expectRevert(_unauthorized(stranger, ISSUER_ROLE));
        _setState(token, ACTIVE, stranger);
    }

    // ------------------------------------------------------------------ Suspended

    function test_suspended_noTransferNorMint_butBurnsForcedTransfersAndRecoveries() public {
        _mintTo(token, alice, 100);
        _mintTo(token, escrow, 100);
        vm.expectEmit(address(token));
        emit LifecycleStateChanged(ACTIVE, SUSPENDED, agent);
        _setState(token, SUSPENDED, agent);
        _agree(token, address(0), alice, 1, INSTRUMENT_SUSPENDED);
        _agree(token, alice, bob, 1, INSTRUMENT_SUSPENDED);
        _agree(token, escrow, bob, 1, INSTRUMENT_SUSPENDED);
        _burnFrom(token, alice, 10); // partial redemption
        _force(token, alice, bob, 10);
        vm.prank(registrar);
        token.recoverWallet(alice, alice2);
        assertEq(token.balanceOf(alice2), 80, "recovered");
        assertEq(token.balanceOf(bob), 10, "forced");
        assertEq(token.totalSupply(), 190, "burned");
        vm.expectEmit(address(token));
        emit LifecycleStateChanged(SUSPENDED, ACTIVE, agent);
        _setState(token, ACTIVE, agent);
        _agree(token, alice2, bob, 1, OK);
        _agree(token, address(0), carol, 1, OK);
    }

    function test_suspended_transitionsAreTheCorporateActionAgents() public {
        vm.expectRevert(_unauthorized(issuer, CORPORATE_ACTION_ROLE));
        _setState(token, SUSPENDED, issuer);
        vm.expectRevert(_unauthorized(pauser, CORPORATE_ACTION_ROLE));
        _setState(token, SUSPENDED, pauser);
        _setState(token, SUSPENDED, agent);
        vm.expectRevert(_unauthorized(stranger, CORPORATE_ACTION_ROLE));
        _setState(token, ACTIVE, stranger);
    }

    function test_pause_answersFirst_andZeroValueTransfersMoveNothingInEveryState() public {
        _mintTo(token, alice, 10);
        _setState(token, SUSPENDED, agent);
        vm.prank(pauser);
        token.pause();
        _assertCan(alice, bob, 1, CODE_FAILURE, TOKEN_PAUSED);
        vm.prank(pauser);
        token.unpause();
        _agree(token, alice, bob, 0, OK); // a zero-value transfer moves nothing: as in ERC-20
        _agree(token, address(0), bob, 0, OK);
    }

    // ------------------------------------------------------------------ Matured

    function test_matured_onlySystemOutflowsTransfersToTheIssuerAndBurns() public {
        SecurityToken b = _bond();
        _mintTo(b, alice, 100);
        _mintTo(b, bob, 100);
        _mintTo(b, escrow, 100); // custody of bridged units, or a seller's escrowed leg
        vm.warp(MATURITY);
        assertEq(_state(b), uint256(MATURED), "matured");
        _agree(b, address(0), alice, 1, INSTRUMENT_MATURED); // no mint
        _agree(b, alice, bob, 1, INSTRUMENT_MATURED); // no trading
        _agree(b, alice, alice2, 1, INSTRUMENT_MATURED); // not even between one investor's wallets
        _agree(b, alice, escrow, 1, INSTRUMENT_MATURED); // nor into an escrow or custody
        // Units come home: out of custody or escrow, to their holder (the investor rules apply).
        _agree(b, escrow, alice, 30, OK);
        // ... and go to the issuer (a redemption contract or the remote bridge endpoint) to be burned.
        _agree(b, bob, redeemer, 40, OK);
        // The recipient's own checks still apply: the issuer's unregistered wallet cannot receive.
        (bytes1 code, bytes32 reason) = b.canTransfer(bob, issuer, 1);
        assertEq(reason, RECIPIENT_NOT_REGISTERED, "an issuer must still be able to receive");
        assertCode(code, CODE_INVALID_RECEIVER);
        _burnFrom(b, redeemer, 40);
        _burnFrom(b, alice, 130); // redemption
        // The registrar's tools go on (a lost wallet must still be redeemable).
        _force(b, bob, carol, 10);
        assertEq(b.balanceOf(alice), 0, "alice redeemed");
        assertEq(b.totalSupply(), 130, "bob 50, carol 10, escrow 70");
    }

    function test_matured_recoveryGoesOn() public {
        SecurityToken b = _bond();
        _mintTo(b, alice, 100);
        vm.warp(MATURITY + 1 days);
        vm.prank(registrar);
        b.recoverWallet(alice, alice2);
        assertEq(b.balanceOf(alice2), 100, "recovered after maturity");
        _burnFrom(b, alice2, 100);
        assertEq(b.totalSupply(), 0, "redeemed");
    }

    function test_matured_leftOnlyToRedeemed_whenNoUnitIsLeft() public {
        SecurityToken b = _bond();
        _mintTo(b, alice, 100);
        vm.warp(MATURITY);
        vm.expectRevert(_invalid(MATURED, ACTIVE));
        _setState(b, ACTIVE, agent);
        vm.expectRevert(_invalid(MATURED, SUSPENDED));
        _setState(b, SUSPENDED, agent);
        vm.expectRevert(_invalid(MATURED, ISSUED));
        _setState(b, ISSUED, issuer);
        vm.expectRevert(_invalid(MATURED, MATURED));
        _setState(b, MATURED, agent);
        vm.expectRevert(abi.encodeWithSelector(ISecurityToken.UnitsOutstanding.selector, 100));
        _setState(b, REDEEMED, agent);
        vm.expectRevert(_unauthorized(issuer, CORPORATE_ACTION_ROLE));
        _setState(b, REDEEMED, issuer);
        _burnFrom(b, alice, 100);
        vm.expectEmit(address(b));
        emit LifecycleStateChanged(MATURED, REDEEMED, agent);
        _setState(b, REDEEMED, agent);
        assertEq(_state(b), uint256(REDEEMED), "redeemed");
    }

    function test_suspendedBond_maturesOnItsDate() public {
        SecurityToken b = _bond();
        _mintTo(b, escrow, 10);
        _setState(b, SUSPENDED, agent);
        _agree(b, escrow, alice, 1, INSTRUMENT_SUSPENDED);
        vm.warp(MATURITY);
        assertEq(_state(b), uint256(MATURED), "the date wins over the suspension");
        _agree(b, escrow, alice, 1, OK);
        vm.expectRevert(_invalid(MATURED, ACTIVE));
        _setState(b, ACTIVE, agent);
    }

    // ------------------------------------------------------------------ Redeemed

    function test_redeemed_isTerminal_andNothingMoves() public {
        _mintTo(token, alice, 5);
        _burnFrom(token, alice, 5);
        _setState(token, REDEEMED, agent);
        assertEq(_state(token), uint256(REDEEMED), "redeemed");
        _agree(token, address(0), alice, 1, INSTRUMENT_REDEEMED);
        _agree(token, alice, bob, 0, OK); // moves nothing
        for (uint256 to; to < 5; ++to) {
            vm.expectRevert(_invalid(REDEEMED, ISecurityToken.LifecycleState(to)));
            _setState(token, ISecurityToken.LifecycleState(to), agent);
        }
        // No unit exists: a burn or forced transfer has nothing to take.
        vm.expectRevert(abi.encodeWithSelector(IERC20Errors.ERC20InsufficientBalance.selector, alice, 0, 1));
        _burnFrom(token, alice, 1);
        vm.expectRevert(abi.encodeWithSelector(IERC20Errors.ERC20InsufficientBalance.selector, alice, 0, 1));
        _force(token, alice, bob, 1);
    }

    function test_redeemed_evenAfterTheMaturityDate() public {
        SecurityToken b = _bond();
        _setState(b, REDEEMED, agent); // called early, before any unit was placed
        vm.warp(MATURITY + 1);
        assertEq(_state(b), uint256(REDEEMED), "redeemed, not matured");
        _agree(b, address(0), alice, 1, INSTRUMENT_REDEEMED);
    }

    // ------------------------------------------------------------------ every transition

    /// @notice Every (from, to) pair: the allowed ones land with their role (and not with the
    /// other role), the rest revert `InvalidLifecycleTransition(from, to)` whoever asks.
    function test_transitions_table() public {
        // allowed[from][to]: 1 issuer, 2 corporate-action agent, 0 invalid.
        uint8[5][5] memory allowed;
        allowed[uint8(ACTIVE)][uint8(ISSUED)] = 1;
        allowed[uint8(ISSUED)][uint8(ACTIVE)] = 1;
        allowed[uint8(ACTIVE)][uint8(SUSPENDED)] = 2;
        allowed[uint8(SUSPENDED)][uint8(ACTIVE)] = 2;
        allowed[uint8(ACTIVE)][uint8(REDEEMED)] = 2;
        allowed[uint8(ISSUED)][uint8(REDEEMED)] = 2;
        allowed[uint8(SUSPENDED)][uint8(REDEEMED)] = 2;
        allowed[uint8(MATURED)][uint8(REDEEMED)] = 2;
        SecurityToken b = _bond();
        for (uint8 from; from < 5; ++from) {
            for (uint8 to; to < 5; ++to) {
                uint256 snap = lvm.snapshotState();
                _reach(b, ISecurityToken.LifecycleState(from));
                assertEq(_state(b), from, "reached");
                ISecurityToken.LifecycleState f = ISecurityToken.LifecycleState(from);
                ISecurityToken.LifecycleState t = ISecurityToken.LifecycleState(to);
                if (allowed[from][to] == 0) {
                    vm.expectRevert(_invalid(f, t));
                    _setState(b, t, agent);
                    vm.expectRevert(_invalid(f, t));
                    _setState(b, t, issuer);
                } else {
                    (address right, address wrong) = allowed[from][to] == 1 ? (issuer, agent) : (agent, issuer);
                    bytes32 role = allowed[from][to] == 1 ? ISSUER_ROLE : CORPORATE_ACTION_ROLE;
                    vm.expectRevert(_unauthorized(wrong, role));
                    _setState(b, t, wrong);
                    _setState(b, t, right);
                    assertEq(_state(b), to, "landed");
                }
                lvm.revertToState(snap);
            }
        }
    }

    function _reach(SecurityToken b, ISecurityToken.LifecycleState s) internal {
        if (s == ISSUED) _setState(b, ISSUED, issuer);
        else if (s == SUSPENDED) _setState(b, SUSPENDED, agent);
        else if (s == MATURED) vm.warp(MATURITY);
        else if (s == REDEEMED) _setState(b, REDEEMED, agent);
    }

    // ------------------------------------------------------------------ canTransfer == transfer

    /// @notice In every state, for random parties and amounts, `canTransfer` and the mint or
    /// transfer agree (the same `_assess`).
    function testFuzz_canTransferAgreesWithTheTransferInEveryState(
        uint8 stateSeed,
        uint8 fromSeed,
        uint8 toSeed,
        uint256 amount
    ) public {
        SecurityToken b = _bond();
        address[7] memory parties = [address(0), alice, alice2, bob, escrow, redeemer, nobody];
        ISecurityToken.LifecycleState s = ISecurityToken.LifecycleState(stateSeed % 4); // Redeemed needs supply 0
        if (s == ISSUED) _reach(b, s); // a placement opens with no unit outstanding
        _mintTo(b, alice, 50);
        _mintTo(b, escrow, 50);
        _mintTo(b, redeemer, 50);
        if (s != ISSUED) _reach(b, s);
        address from = parties[fromSeed % parties.length];
        address to = parties[1 + toSeed % (parties.length - 1)];
        amount = bound(amount, 0, 60);
        (bytes1 code, bytes32 reason) = b.canTransfer(from, to, amount);
        bool ok;
        if (from == address(0)) {
            vm.prank(issuer);
            (ok,) = address(b).call(abi.encodeCall(b.mint, (to, amount)));
        } else {
            vm.prank(from);
            (ok,) = address(b).call(abi.encodeCall(b.transfer, (to, amount)));
        }
        assertEq(ok, code == CODE_SUCCESS, string.concat("agreement on ", vm.toString(reason)));
    }

    // ------------------------------------------------------------------ instruments from before

    /// @notice An instrument created before lifecycle states (its lifecycle slot and flag all
    /// zero, as after an upgrade) reads Active and keeps working as before, its maturity date
    /// included, until `syncMaturity` (anyone, idempotent) copies the date.
    function test_upgradedInstrument_readsActive_untilSyncMaturity() public {
        SecurityToken b = _bond();
        _mintTo(b, alice, 10);
        lvm.store(address(b), LIFECYCLE_SLOT, bytes32(0));
        lvm.store(address(b), RULES_SLOT, bytes32(uint256(vm.load(address(b), RULES_SLOT)) & ~LIFECYCLE_ON));
        vm.warp(MATURITY + 1);
        assertEq(_state(b), uint256(ACTIVE), "reads Active");
        _agree(b, alice, bob, 1, OK); // as before the upgrade
        vm.prank(stranger);
        b.syncMaturity();
        assertEq(_state(b), uint256(MATURED), "matured once synced");
        _agree(b, alice, bob, 1, INSTRUMENT_MATURED);
        b.syncMaturity(); // idempotent
        assertEq(_state(b), uint256(MATURED), "still matured");
    }

    function test_syncMaturity_onAShareChangesNothing() public {
        token.syncMaturity();
        assertFalse(_lifecycleOn(token), "a share without maturity reads no slot");
        assertEq(uint256(vm.load(address(token), LIFECYCLE_SLOT)), 0, "slot empty");
    }
}

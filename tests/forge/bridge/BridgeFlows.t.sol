// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {BridgeTest} from "./BridgeTest.sol";
import {BridgeEndpoint} from "../../../contracts/bridge/BridgeEndpoint.sol";
import {IBridgeEndpoint} from "../../../interfaces/IBridgeEndpoint.sol";
import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";

/// @notice The bridge's flows between the two ends: sending (lock, burn), executing (release,
/// mint), queueing by the rate limits, failing on the destination's rules and refunding, with
/// every refusal of each flow.
contract BridgeFlowsTest is BridgeTest {
    // ------------------------------------------------------------------ round trip

    function test_roundTrip_homeToRemoteAndBack_conservesUnits() public {
        IBridgeEndpoint.Message memory out = _sendHome(alice, alice, 400);
        assertEq(token.balanceOf(alice), START_BALANCE - 400, "alice home after lock");
        assertEq(custody.balance(), 400, "custody after lock");
        (IBridgeEndpoint.OutboundStatus s, bytes32 h) = lock.outbound(1);
        assertEq(uint8(s), uint8(IBridgeEndpoint.OutboundStatus.Sent), "outbound sent");
        assertEq(h, keccak256(abi.encode(out)), "outbound hash");
        assertEq(lock.nextNonce(), 2, "next nonce");

        _deliver(out);
        assertEq(mirror.balanceOf(alice), 400, "alice remote after mint");
        assertEq(uint8(_status(mint, out)), uint8(IBridgeEndpoint.InboundStatus.Executed), "executed");

        IBridgeEndpoint.Message memory back = _sendRemote(alice, bob, 150);
        assertEq(mirror.balanceOf(alice), 250, "alice remote after burn");
        assertEq(mirror.totalSupply(), 250, "mirror supply after burn");
        assertEq(uint8(_outStatus(mint, 1)), uint8(IBridgeEndpoint.OutboundStatus.Sent), "remote outbound sent");

        _deliver(back);
        assertEq(token.balanceOf(bob), START_BALANCE + 150, "bob home after release");
        assertEq(custody.balance(), 250, "custody after release");
        assertEq(custody.balance(), mirror.totalSupply(), "custody == mirror supply");
        assertEq(uint8(_status(lock, back)), uint8(IBridgeEndpoint.InboundStatus.Executed), "home executed");

        (uint256 sent, uint256 received, uint256 refunded) = lock.totals();
        assertEq(sent, 400, "home sent");
        assertEq(received, 150, "home received");
        assertEq(refunded, 0, "home refunded");
        (sent, received, refunded) = mint.totals();
        assertEq(sent, 150, "remote sent");
        assertEq(received, 400, "remote received");
    }

    function test_send_emitsMessageSentUnderTheDestinationsId() public {
        IBridgeEndpoint.Message memory m = _homeTransfer(1, alice, bob, 100);
        vm.prank(alice);
        token.approve(address(lock), 100);
        vm.expectEmit(address(lock));
        emit IBridgeEndpoint.MessageSent(_id(m), 1, m);
        vm.prank(alice);
        assertEq(lock.send(REMOTE, bob, 100), 1, "nonce");
        assertEq(lock.messageId(m), _id(m), "source computes the destination's id");
        assertEq(mint.messageId(m), _id(m), "destination computes the same id");
    }

    function test_messageId_isTheDestinationsEip712Digest() public {
        IBridgeEndpoint.Message memory m = _homeTransfer(7, alice, bob, 100);
        _onRemote();
        (, string memory name, string memory version, uint256 chainId, address verifying,,) = mint.eip712Domain();
        assertEq(name, "SecuritiesRailsBridge", "domain name");
        assertEq(version, "1", "domain version");
        assertEq(chainId, REMOTE, "domain chain");
        assertEq(verifying, address(mint), "domain contract");
        bytes32 separator = keccak256(
            abi.encode(DOMAIN_TYPEHASH, keccak256(bytes(name)), keccak256(bytes(version)), chainId, verifying)
        );
        bytes32 digest = keccak256(abi.encodePacked(hex"1901", separator, keccak256(abi.encode(MESSAGE_TYPEHASH, m))));
        assertEq(mint.messageId(m), digest, "message id");
    }

    function test_execute_emitsMessageExecuted() public {
        IBridgeEndpoint.Message memory m = _sendHome(alice, bob, 100);
        bytes[] memory sigs = _attest(m);
        _onRemote();
        vm.expectEmit(address(mint));
        emit IBridgeEndpoint.MessageExecuted(_id(m), m);
        vm.prank(stranger); // anyone may execute
        mint.execute(m, sigs);
        assertEq(mirror.balanceOf(bob), 100, "bob minted");
    }

    function test_execute_withAllFiveSignatures() public {
        IBridgeEndpoint.Message memory m = _sendHome(alice, bob, 100);
        bytes[] memory sigs = _attest(m, 5);
        _onRemote();
        mint.execute(m, sigs);
        assertEq(mirror.balanceOf(bob), 100, "bob minted");
    }

    // ------------------------------------------------------------------ send refusals

    function test_send_refusesUnknownPeer() public {
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IBridgeEndpoint.UnknownPeer.selector, uint64(99)));
        lock.send(99, alice, 100);
    }

    function test_send_refusesZeroRecipient() public {
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IBridgeEndpoint.InvalidRecipient.selector, address(0)));
        lock.send(REMOTE, address(0), 100);
    }

    function test_send_refusesZeroAndOversizedAmounts() public {
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IBridgeEndpoint.InvalidAmount.selector, 0, MAX_TRANSFER));
        lock.send(REMOTE, alice, 0);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IBridgeEndpoint.InvalidAmount.selector, MAX_TRANSFER + 1, MAX_TRANSFER));
        lock.send(REMOTE, alice, MAX_TRANSFER + 1);
    }

    function test_send_refusedWhileOutboundPaused() public {
        vm.prank(guardian);
        lock.pause(IBridgeEndpoint.Direction.Outbound);
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(IBridgeEndpoint.DirectionIsPaused.selector, IBridgeEndpoint.Direction.Outbound)
        );
        lock.send(REMOTE, alice, 100);
    }

    function test_send_appliesTheTokensRules() public {
        _freezeAll(alice, true);
        vm.prank(alice);
        token.approve(address(lock), 100);
        vm.prank(alice);
        vm.expectRevert(_restricted(CODE_FUNDS_LOCKED, SENDER_FROZEN));
        lock.send(REMOTE, alice, 100);
    }

    function test_send_needsAnAllowance() public {
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IERC20Errors.ERC20InsufficientAllowance.selector, address(lock), 0, 100));
        lock.send(REMOTE, alice, 100);
    }

    function test_sendFromRemote_burnsUnderTheMirrorsRules() public {
        _bridgeOut(alice, alice, 300);
        _onRemote();
        vm.prank(enforcer);
        mirror.setAddressFrozen(alice, true);
        vm.prank(alice);
        mirror.approve(address(mint), 100);
        vm.prank(alice);
        vm.expectRevert(_restricted(CODE_FUNDS_LOCKED, SENDER_FROZEN));
        mint.send(HOME, alice, 100);
        vm.prank(enforcer);
        mirror.setAddressFrozen(alice, false);
        vm.prank(alice);
        mint.send(HOME, alice, 100);
        assertEq(mirror.totalSupply(), 200, "burned");
        assertEq(mirror.balanceOf(address(mint)), 0, "nothing left on the endpoint");
    }

    // ------------------------------------------------------------------ execute refusals

    function test_execute_refusesWrongKind() public {
        IBridgeEndpoint.Message memory m = _sendHome(alice, bob, 100);
        m.kind = uint8(IBridgeEndpoint.Kind.Refund);
        bytes[] memory sigs = _attest(m);
        _onRemote();
        vm.expectRevert(abi.encodeWithSelector(IBridgeEndpoint.WrongKind.selector, uint8(1)));
        mint.execute(m, sigs);
        m.kind = 2;
        vm.expectRevert(abi.encodeWithSelector(IBridgeEndpoint.WrongKind.selector, uint8(2)));
        mint.execute(m, sigs);
    }

    function test_execute_refusesReplayOnAnotherChain() public {
        IBridgeEndpoint.Message memory m = _sendHome(alice, bob, 100);
        bytes[] memory sigs = _attest(m);
        bvm.chainId(REMOTE + 1); // a fork of the remote chain with another chain id
        vm.expectRevert(abi.encodeWithSelector(IBridgeEndpoint.WrongChain.selector, REMOTE + 1, REMOTE));
        mint.execute(m, sigs);
    }

    function test_execute_refusesReplayOnTheSameChain() public {
        IBridgeEndpoint.Message memory m = _sendHome(alice, bob, 100);
        bytes[] memory sigs = _attest(m);
        _onRemote();
        mint.execute(m, sigs);
        vm.expectRevert(
            abi.encodeWithSelector(
                IBridgeEndpoint.AlreadyProcessed.selector, _id(m), IBridgeEndpoint.InboundStatus.Executed
            )
        );
        mint.execute(m, sigs);
        assertEq(mirror.balanceOf(bob), 100, "minted once");
    }

    function test_execute_refusesWrongDestinationBridge() public {
        IBridgeEndpoint.Message memory m = _sendHome(alice, bob, 100);
        m.destinationBridge = stranger;
        bytes[] memory sigs = _attest(m);
        _onRemote();
        vm.expectRevert(abi.encodeWithSelector(IBridgeEndpoint.WrongBridge.selector, address(mint), stranger));
        mint.execute(m, sigs);
    }

    function test_execute_refusesWrongInstrument() public {
        IBridgeEndpoint.Message memory m = _sendHome(alice, bob, 100);
        m.isin = "XS2021832634";
        bytes[] memory sigs = _attest(m);
        _onRemote();
        vm.expectRevert(abi.encodeWithSelector(IBridgeEndpoint.WrongInstrument.selector, ISIN, bytes12("XS2021832634")));
        mint.execute(m, sigs);
    }

    function test_execute_refusesUnknownSourceChain() public {
        IBridgeEndpoint.Message memory m = _sendHome(alice, bob, 100);
        m.sourceChainId = 99;
        bytes[] memory sigs = _attest(m);
        _onRemote();
        vm.expectRevert(abi.encodeWithSelector(IBridgeEndpoint.UnknownPeer.selector, uint64(99)));
        mint.execute(m, sigs);
    }

    function test_execute_refusesWrongSourceBridge() public {
        IBridgeEndpoint.Message memory m = _sendHome(alice, bob, 100);
        m.sourceBridge = stranger;
        bytes[] memory sigs = _attest(m);
        _onRemote();
        vm.expectRevert(abi.encodeWithSelector(IBridgeEndpoint.WrongBridge.selector, address(lock), stranger));
        mint.execute(m, sigs);
    }

    function test_execute_refusedWhileInboundPaused_thenRuns() public {
        IBridgeEndpoint.Message memory m = _sendHome(alice, bob, 100);
        bytes[] memory sigs = _attest(m);
        _onRemote();
        vm.prank(guardian);
        mint.pause(IBridgeEndpoint.Direction.Inbound);
        vm.expectRevert(
            abi.encodeWithSelector(IBridgeEndpoint.DirectionIsPaused.selector, IBridgeEndpoint.Direction.Inbound)
        );
        mint.execute(m, sigs);
        vm.prank(bridgeAdmin);
        mint.unpause(IBridgeEndpoint.Direction.Inbound);
        mint.execute(m, sigs);
        assertEq(mirror.balanceOf(bob), 100, "minted after unpause");
    }

    function test_execute_whileTheTokenIsPaused_revertsAndRunsLater() public {
        IBridgeEndpoint.Message memory m = _sendHome(alice, bob, 100);
        bytes[] memory sigs = _attest(m);
        _onRemote();
        vm.prank(pauser);
        mirror.pause();
        vm.expectRevert(abi.encodeWithSelector(BridgeEndpoint.TokenPaused.selector, address(mirror)));
        mint.execute(m, sigs);
        assertEq(uint8(_status(mint, m)), uint8(IBridgeEndpoint.InboundStatus.None), "not decided");
        vm.prank(pauser);
        mirror.unpause();
        mint.execute(m, sigs);
        assertEq(mirror.balanceOf(bob), 100, "minted after the token resumed");
    }

    // ------------------------------------------------------------------ refused delivery, refunds

    function test_refusedMint_failsThenSenderReclaimsAtHome() public {
        // carol is not registered on the remote chain
        IBridgeEndpoint.Message memory m = _sendHome(alice, carol, 300);
        bytes[] memory sigs = _attest(m);
        _onRemote();
        vm.expectEmit(address(mint));
        emit IBridgeEndpoint.TransferFailed(_id(m), m, RECIPIENT_NOT_REGISTERED);
        mint.execute(m, sigs);
        assertEq(uint8(_status(mint, m)), uint8(IBridgeEndpoint.InboundStatus.Failed), "failed");
        assertEq(mirror.totalSupply(), 0, "nothing minted");
        (, uint256 available) = mint.rateLimit(IBridgeEndpoint.Direction.Inbound);
        assertEq(available, CAPACITY, "a failure uses no inbound headroom");
        (, uint256 received,) = mint.totals();
        assertEq(received, 0, "nothing received");
        vm.expectRevert(
            abi.encodeWithSelector(
                IBridgeEndpoint.AlreadyProcessed.selector, _id(m), IBridgeEndpoint.InboundStatus.Failed
            )
        );
        mint.execute(m, sigs);

        IBridgeEndpoint.Message memory refund = _refundOf(m);
        bytes[] memory refundSigs = _attest(refund);
        _onHome();
        vm.expectEmit(address(lock));
        emit IBridgeEndpoint.MessageExecuted(_id(refund), refund);
        vm.expectEmit(address(lock));
        emit IBridgeEndpoint.Refunded(1, alice, 300);
        vm.prank(stranger); // anyone may carry the refund
        lock.reclaim(refund, refundSigs);
        assertEq(token.balanceOf(alice), START_BALANCE, "alice paid back");
        assertEq(custody.balance(), 0, "custody empty");
        assertEq(uint8(_outStatus(lock, 1)), uint8(IBridgeEndpoint.OutboundStatus.Refunded), "refunded");
        assertEq(uint8(_status(lock, refund)), uint8(IBridgeEndpoint.InboundStatus.Executed), "refund processed");
        (,, uint256 refunded) = lock.totals();
        assertEq(refunded, 300, "refunded total");

        vm.expectRevert(
            abi.encodeWithSelector(
                IBridgeEndpoint.AlreadyProcessed.selector, _id(refund), IBridgeEndpoint.InboundStatus.Executed
            )
        );
        lock.reclaim(refund, refundSigs);
        assertEq(token.balanceOf(alice), START_BALANCE, "paid once");
    }

    function test_refusedRelease_failsThenSenderReclaimsOnRemote() public {
        _bridgeOut(alice, alice, 500);
        // `nobody` is not registered at home: custody may not pay it
        IBridgeEndpoint.Message memory m = _sendRemote(alice, nobody, 200);
        assertEq(mirror.totalSupply(), 300, "burned");
        _deliver(m);
        assertEq(uint8(_status(lock, m)), uint8(IBridgeEndpoint.InboundStatus.Failed), "failed at home");
        assertEq(custody.balance(), 500, "custody keeps the units");

        IBridgeEndpoint.Message memory refund = _refundOf(m);
        bytes[] memory sigs = _attest(refund);
        _onRemote();
        mint.reclaim(refund, sigs);
        assertEq(mirror.balanceOf(alice), 500, "alice re-minted");
        assertEq(custody.balance(), mirror.totalSupply(), "custody == mirror supply");
    }

    function test_reclaim_refusesATransferKind() public {
        IBridgeEndpoint.Message memory m = _sendHome(alice, carol, 300);
        bytes[] memory sigs = _attest(m);
        vm.expectRevert(abi.encodeWithSelector(IBridgeEndpoint.WrongKind.selector, uint8(0)));
        lock.reclaim(m, sigs);
    }

    function test_reclaim_checksTheRoute() public {
        IBridgeEndpoint.Message memory refund = _refundOf(_sendHome(alice, carol, 300));
        bytes[] memory sigs = _attest(refund);
        bvm.chainId(HOME + 100);
        vm.expectRevert(abi.encodeWithSelector(IBridgeEndpoint.WrongChain.selector, HOME + 100, HOME));
        lock.reclaim(refund, sigs);
        _onHome();
        vm.prank(guardian);
        lock.pause(IBridgeEndpoint.Direction.Inbound);
        vm.expectRevert(
            abi.encodeWithSelector(IBridgeEndpoint.DirectionIsPaused.selector, IBridgeEndpoint.Direction.Inbound)
        );
        lock.reclaim(refund, sigs);
    }

    function test_reclaim_refusesAnUnknownOrAlteredTransfer() public {
        IBridgeEndpoint.Message memory t = _sendHome(alice, carol, 300);
        IBridgeEndpoint.Message memory never = _refundOf(_homeTransfer(9, alice, carol, 300));
        bytes[] memory sigs = _attest(never);
        vm.expectRevert(abi.encodeWithSelector(IBridgeEndpoint.UnknownOutbound.selector, uint64(9)));
        lock.reclaim(never, sigs);

        IBridgeEndpoint.Message memory inflated = _refundOf(t);
        inflated.amount = 3000;
        sigs = _attest(inflated);
        vm.expectRevert(abi.encodeWithSelector(IBridgeEndpoint.UnknownOutbound.selector, uint64(1)));
        lock.reclaim(inflated, sigs);
    }

    function test_reclaim_refusesAQueuedTransfer() public {
        _sendHome(alice, bob, 600);
        IBridgeEndpoint.Message memory queued = _sendHome(alice, carol, 600); // over the outbound limit
        assertEq(uint8(_outStatus(lock, 2)), uint8(IBridgeEndpoint.OutboundStatus.Queued), "queued");
        IBridgeEndpoint.Message memory refund = _refundOf(queued);
        bytes[] memory sigs = _attest(refund);
        vm.expectRevert(abi.encodeWithSelector(IBridgeEndpoint.UnknownOutbound.selector, uint64(2)));
        lock.reclaim(refund, sigs);
    }

    function test_reclaim_needsTheAttestation() public {
        IBridgeEndpoint.Message memory refund = _refundOf(_sendHome(alice, carol, 300));
        bytes[] memory sigs = _attest(refund, 2);
        vm.expectRevert(abi.encodeWithSelector(IBridgeEndpoint.BelowThreshold.selector, 2, 3));
        lock.reclaim(refund, sigs);
        // signatures of the transfer itself do not attest its refund
        sigs = _attest(_homeTransfer(1, alice, carol, 300));
        vm.expectPartialRevert(IBridgeEndpoint.NotValidator.selector);
        lock.reclaim(refund, sigs);
    }

    function test_reclaim_whileTheSenderCannotBePaid_revertsAndRunsLater() public {
        IBridgeEndpoint.Message memory refund = _refundOf(_sendHome(alice, carol, 300));
        bytes[] memory sigs = _attest(refund);
        _freezeAll(alice, true);
        vm.expectRevert(abi.encodeWithSelector(IBridgeEndpoint.RefundNotPayable.selector, uint64(1), RECIPIENT_FROZEN));
        lock.reclaim(refund, sigs);
        _freezeAll(alice, false);
        vm.prank(pauser);
        token.pause();
        vm.expectRevert(abi.encodeWithSelector(IBridgeEndpoint.RefundNotPayable.selector, uint64(1), TOKEN_PAUSED));
        lock.reclaim(refund, sigs);
        vm.prank(pauser);
        token.unpause();
        lock.reclaim(refund, sigs);
        assertEq(token.balanceOf(alice), START_BALANCE, "paid back");
    }

    function test_reclaim_drawsOnTheInboundLimit_andRunsOnceItRefills() public {
        IBridgeEndpoint.Message memory refund = _refundOf(_sendHome(alice, carol, 300));
        bytes[] memory sigs = _attest(refund);
        vm.startPrank(guardian); // an incident: the guardian squeezes home's inbound flow to 100
        lock.setMaxTransfer(100);
        lock.setRateLimit(IBridgeEndpoint.Direction.Inbound, 100, 1);
        vm.stopPrank();
        vm.expectRevert(
            abi.encodeWithSelector(
                IBridgeEndpoint.RateLimited.selector, IBridgeEndpoint.Direction.Inbound, uint256(300), uint256(100)
            )
        );
        lock.reclaim(refund, sigs);
        assertEq(token.balanceOf(alice), START_BALANCE - 300, "not paid back yet");
        vm.prank(governor);
        lock.setRateLimit(IBridgeEndpoint.Direction.Inbound, CAPACITY, 1); // no refill on change
        vm.warp(block.timestamp + 200);
        lock.reclaim(refund, sigs);
        assertEq(token.balanceOf(alice), START_BALANCE, "paid back once the bucket refilled");
        (, uint256 available) = lock.rateLimit(IBridgeEndpoint.Direction.Inbound);
        assertEq(available, 0, "the refund used the inbound headroom");
    }

    // ------------------------------------------------------------------ outbound rate limit

    function test_sendOverTheLimit_isQueuedThenSentAfterRefill() public {
        _sendHome(alice, bob, 600);
        IBridgeEndpoint.Message memory m = _homeTransfer(2, alice, bob, 600);
        vm.prank(alice);
        token.approve(address(lock), 600);
        vm.expectEmit(address(lock));
        emit IBridgeEndpoint.OutboundQueued(2, m);
        vm.prank(alice);
        lock.send(REMOTE, bob, 600);
        assertEq(uint8(_outStatus(lock, 2)), uint8(IBridgeEndpoint.OutboundStatus.Queued), "queued");
        assertEq(custody.balance(), 1200, "units taken when queued");
        (uint256 sent,,) = lock.totals();
        assertEq(sent, 1200, "sent total counts queued transfers");

        vm.expectRevert(
            abi.encodeWithSelector(IBridgeEndpoint.RateLimited.selector, IBridgeEndpoint.Direction.Outbound, 600, 400)
        );
        lock.sendQueued(m);

        vm.warp(_now() + 200);
        vm.expectEmit(address(lock));
        emit IBridgeEndpoint.MessageSent(_id(m), 2, m);
        vm.prank(stranger);
        lock.sendQueued(m);
        assertEq(uint8(_outStatus(lock, 2)), uint8(IBridgeEndpoint.OutboundStatus.Sent), "sent");
        (, uint256 available) = lock.rateLimit(IBridgeEndpoint.Direction.Outbound);
        assertEq(available, 0, "bucket emptied");

        vm.expectRevert(abi.encodeWithSelector(IBridgeEndpoint.NotQueuedOutbound.selector, uint64(2)));
        lock.sendQueued(m);
        _deliver(m);
        assertEq(mirror.balanceOf(bob), 600, "the queued transfer is delivered once sent");
    }

    function test_sendQueued_refusesAlteredMessagesAndPause() public {
        _sendHome(alice, bob, 600);
        IBridgeEndpoint.Message memory m = _sendHome(alice, bob, 600);
        vm.warp(_now() + 1000);
        IBridgeEndpoint.Message memory altered = _homeTransfer(2, alice, dave, 600);
        vm.expectRevert(abi.encodeWithSelector(IBridgeEndpoint.NotQueuedOutbound.selector, uint64(2)));
        lock.sendQueued(altered);
        vm.expectRevert(abi.encodeWithSelector(IBridgeEndpoint.NotQueuedOutbound.selector, uint64(1)));
        lock.sendQueued(_homeTransfer(1, alice, bob, 600)); // sent, not queued
        vm.prank(guardian);
        lock.pause(IBridgeEndpoint.Direction.Outbound);
        vm.expectRevert(
            abi.encodeWithSelector(IBridgeEndpoint.DirectionIsPaused.selector, IBridgeEndpoint.Direction.Outbound)
        );
        lock.sendQueued(m);
    }

    // ------------------------------------------------------------------ inbound rate limit

    /// @dev Two 600-unit transfers home → remote, both sent (the home bucket refilled between them),
    /// not yet executed.
    function _twoSent() internal returns (IBridgeEndpoint.Message memory a, IBridgeEndpoint.Message memory b) {
        a = _sendHome(alice, bob, 600);
        vm.warp(_now() + 600);
        b = _sendHome(alice, dave, 600);
        assertEq(uint8(_outStatus(lock, 2)), uint8(IBridgeEndpoint.OutboundStatus.Sent), "second sent");
    }

    function test_executeOverTheLimit_isQueuedThenExecutedAfterRefill() public {
        (IBridgeEndpoint.Message memory a, IBridgeEndpoint.Message memory b) = _twoSent();
        _deliver(a);
        bytes[] memory sigs = _attest(b);
        _onRemote();
        vm.expectEmit(address(mint));
        emit IBridgeEndpoint.InboundQueued(_id(b), b);
        mint.execute(b, sigs);
        assertEq(uint8(_status(mint, b)), uint8(IBridgeEndpoint.InboundStatus.Queued), "queued");
        assertEq(mirror.balanceOf(dave), 0, "not minted yet");
        vm.expectRevert(
            abi.encodeWithSelector(
                IBridgeEndpoint.AlreadyProcessed.selector, _id(b), IBridgeEndpoint.InboundStatus.Queued
            )
        );
        mint.execute(b, sigs);

        vm.expectRevert(
            abi.encodeWithSelector(IBridgeEndpoint.RateLimited.selector, IBridgeEndpoint.Direction.Inbound, 600, 400)
        );
        mint.executeQueued(b);

        vm.warp(_now() + 200);
        vm.expectEmit(address(mint));
        emit IBridgeEndpoint.MessageExecuted(_id(b), b);
        vm.prank(stranger);
        mint.executeQueued(b);
        assertEq(mirror.balanceOf(dave), 600, "minted from the queue");
        assertEq(uint8(_status(mint, b)), uint8(IBridgeEndpoint.InboundStatus.Executed), "executed");
        assertEq(custody.balance(), mirror.totalSupply(), "custody == mirror supply");

        vm.expectRevert(abi.encodeWithSelector(IBridgeEndpoint.NotQueued.selector, _id(b)));
        mint.executeQueued(b);
    }

    function test_executeQueued_refusedWhilePausedOrOnAFork() public {
        (IBridgeEndpoint.Message memory a, IBridgeEndpoint.Message memory b) = _twoSent();
        _deliver(a);
        _deliver(b); // queued
        vm.warp(_now() + 1000);
        bvm.chainId(REMOTE + 1);
        vm.expectRevert(abi.encodeWithSelector(IBridgeEndpoint.WrongChain.selector, REMOTE + 1, REMOTE));
        mint.executeQueued(b);
        _onRemote();
        vm.prank(bridgeAdmin);
        mint.pause(IBridgeEndpoint.Direction.Inbound);
        vm.expectRevert(
            abi.encodeWithSelector(IBridgeEndpoint.DirectionIsPaused.selector, IBridgeEndpoint.Direction.Inbound)
        );
        mint.executeQueued(b);
        vm.prank(bridgeAdmin);
        mint.unpause(IBridgeEndpoint.Direction.Inbound);
        vm.prank(pauser);
        mirror.pause();
        vm.expectRevert(abi.encodeWithSelector(BridgeEndpoint.TokenPaused.selector, address(mirror)));
        mint.executeQueued(b);
    }

    function test_executeQueued_recipientNoLongerEligible_failsAndIsRefundable() public {
        (IBridgeEndpoint.Message memory a, IBridgeEndpoint.Message memory b) = _twoSent();
        _deliver(a);
        _deliver(b); // queued, for dave
        vm.prank(registryRegistrar);
        remoteRegistry.removeWallet(dave);
        vm.warp(_now() + 1000);
        _onRemote();
        vm.expectEmit(address(mint));
        emit IBridgeEndpoint.TransferFailed(_id(b), b, RECIPIENT_NOT_REGISTERED);
        mint.executeQueued(b);
        assertEq(uint8(_status(mint, b)), uint8(IBridgeEndpoint.InboundStatus.Failed), "failed");

        IBridgeEndpoint.Message memory refund = _refundOf(b);
        bytes[] memory sigs = _attest(refund);
        _onHome();
        lock.reclaim(refund, sigs);
        assertEq(token.balanceOf(alice), START_BALANCE - 600, "second transfer paid back");
    }

    function test_complianceReturnsAQueuedTransfer_thenItIsRefundable() public {
        (IBridgeEndpoint.Message memory a, IBridgeEndpoint.Message memory b) = _twoSent();
        _deliver(a);
        _deliver(b); // queued
        _onRemote();
        vm.prank(stranger);
        vm.expectRevert(_unauthorized(stranger, COMPLIANCE_ROLE));
        mint.returnQueued(b, "SANCTIONS");
        vm.expectEmit(address(mint));
        emit IBridgeEndpoint.TransferFailed(_id(b), b, "SANCTIONS");
        vm.prank(compliance);
        mint.returnQueued(b, "SANCTIONS");
        assertEq(uint8(_status(mint, b)), uint8(IBridgeEndpoint.InboundStatus.Failed), "failed");
        vm.prank(compliance);
        vm.expectRevert(abi.encodeWithSelector(IBridgeEndpoint.NotQueued.selector, _id(b)));
        mint.returnQueued(b, "SANCTIONS");
        vm.expectRevert(abi.encodeWithSelector(IBridgeEndpoint.NotQueued.selector, _id(b)));
        mint.executeQueued(b);

        IBridgeEndpoint.Message memory refund = _refundOf(b);
        bytes[] memory sigs = _attest(refund);
        _onHome();
        lock.reclaim(refund, sigs);
        assertEq(token.balanceOf(alice), START_BALANCE - 600, "paid back");
        assertEq(custody.balance(), mirror.totalSupply(), "custody == mirror supply");
    }

    // ------------------------------------------------------------------ limits and time

    function test_changingTheLimit_neverRefills() public {
        _sendHome(alice, bob, 600);
        (, uint256 available) = lock.rateLimit(IBridgeEndpoint.Direction.Outbound);
        assertEq(available, 400, "after a send");
        vm.prank(governor);
        lock.setRateLimit(IBridgeEndpoint.Direction.Outbound, 5_000, 1);
        (IBridgeEndpoint.RateLimit memory limit, uint256 afterRaise) =
            lock.rateLimit(IBridgeEndpoint.Direction.Outbound);
        assertEq(limit.capacity, 5_000, "capacity");
        assertEq(afterRaise, 400, "raising the capacity adds nothing");
        vm.prank(guardian);
        lock.setRateLimit(IBridgeEndpoint.Direction.Outbound, 600, 1);
        (, uint256 afterLower) = lock.rateLimit(IBridgeEndpoint.Direction.Outbound);
        assertEq(afterLower, 400, "level kept under the lower capacity");
        vm.prank(guardian);
        lock.setRateLimit(IBridgeEndpoint.Direction.Outbound, 600, 0);
        vm.prank(governor);
        lock.setMaxTransfer(300);
        vm.prank(guardian);
        lock.setRateLimit(IBridgeEndpoint.Direction.Outbound, 300, 0);
        (, uint256 capped) = lock.rateLimit(IBridgeEndpoint.Direction.Outbound);
        assertEq(capped, 300, "capped at the new capacity");
        vm.prank(governor);
        lock.setRateLimit(IBridgeEndpoint.Direction.Outbound, 1_000, 0);
        vm.warp(_now() + 1 days);
        (, uint256 later) = lock.rateLimit(IBridgeEndpoint.Direction.Outbound);
        assertEq(later, 300, "no refill at rate 0, and none from raising");
    }

    function test_changingTheRate_settlesAtTheOldRateFirst() public {
        _sendHome(alice, bob, 600); // 400 left
        vm.warp(_now() + 100); // +100 at 1/s
        vm.prank(governor);
        lock.setRateLimit(IBridgeEndpoint.Direction.Outbound, CAPACITY, 10);
        (, uint256 available) = lock.rateLimit(IBridgeEndpoint.Direction.Outbound);
        assertEq(available, 500, "settled at the old rate");
        vm.warp(_now() + 10);
        (, available) = lock.rateLimit(IBridgeEndpoint.Direction.Outbound);
        assertEq(available, 600, "then the new rate");
        vm.warp(_now() + 1 days);
        (, available) = lock.rateLimit(IBridgeEndpoint.Direction.Outbound);
        assertEq(available, CAPACITY, "never above capacity");
    }
}

// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {BridgeTest, BridgeSigning} from "./BridgeTest.sol";
import {BridgeLock} from "../../../contracts/bridge/BridgeLock.sol";
import {BridgeMint} from "../../../contracts/bridge/BridgeMint.sol";
import {BridgeCustody} from "../../../contracts/bridge/BridgeCustody.sol";
import {SecurityToken} from "../../../contracts/token/SecurityToken.sol";
import {IBridgeEndpoint} from "../../../interfaces/IBridgeEndpoint.sol";

/// @notice The invariant runner's handler: random sends in both directions (to eligible and to
/// ineligible recipients), relays of attested messages, queue flushes in both directions,
/// compliance returns, refunds, pauses of either direction on either end, and the passing of
/// time. Each action lands whenever the state allows it and is skipped otherwise; the handler
/// records every message, and reads its state from the endpoints.
contract BridgeHandler is BridgeSigning {
    struct Actors {
        address guardian;
        address admin;
        address compliance;
    }

    SecurityToken public immutable token;
    SecurityToken public immutable mirror;
    BridgeLock public immutable lock;
    BridgeMint public immutable mint;
    BridgeCustody public immutable custody;
    Actors internal actors;

    /// @dev Senders hold units at home; recipients include one ineligible wallet on each side.
    address[] internal homeSenders;
    address[] internal remoteRecipients; // last: not registered on the remote chain
    address[] internal homeRecipients; // last: not registered at home

    IBridgeEndpoint.Message[] internal messages;

    // ------------------------------------------------------------------ ghosts
    uint256 public delivered;
    uint256 public failed;
    uint256 public refunds;
    uint256 public queuedOut;
    uint256 public queuedIn;

    constructor(
        SecurityToken token_,
        SecurityToken mirror_,
        BridgeLock lock_,
        BridgeMint mint_,
        BridgeCustody custody_,
        Actors memory actors_,
        uint256[] memory keys_,
        address[] memory homeSenders_,
        address[] memory remoteRecipients_,
        address[] memory homeRecipients_
    ) {
        (token, mirror, lock, mint, custody) = (token_, mirror_, lock_, mint_, custody_);
        actors = actors_;
        keys = keys_;
        homeSenders = homeSenders_;
        remoteRecipients = remoteRecipients_;
        homeRecipients = homeRecipients_;
    }

    function messageCount() external view returns (uint256) {
        return messages.length;
    }

    function message(uint256 i) external view returns (IBridgeEndpoint.Message memory) {
        return messages[i];
    }

    // ------------------------------------------------------------------ helpers

    function _source(IBridgeEndpoint.Message memory m) internal view returns (IBridgeEndpoint) {
        return m.sourceChainId == HOME ? IBridgeEndpoint(address(lock)) : IBridgeEndpoint(address(mint));
    }

    function _destination(IBridgeEndpoint.Message memory m) internal view returns (IBridgeEndpoint) {
        return m.destinationChainId == HOME ? IBridgeEndpoint(address(lock)) : IBridgeEndpoint(address(mint));
    }

    function _outStatus(IBridgeEndpoint.Message memory m) internal view returns (IBridgeEndpoint.OutboundStatus s) {
        (s,) = _source(m).outbound(m.nonce);
    }

    function _inStatus(IBridgeEndpoint.Message memory m) internal view returns (IBridgeEndpoint.InboundStatus) {
        return _destination(m).inboundStatus(_id(m));
    }

    /// @dev The first message from `seed` on (cyclically) that `wanted` accepts, or none.
    function _find(uint256 seed, function(IBridgeEndpoint.Message memory) internal view returns (bool) wanted)
        internal
        view
        returns (bool found, IBridgeEndpoint.Message memory m)
    {
        uint256 n = messages.length;
        for (uint256 k; k < n; ++k) {
            m = messages[(seed % n + k) % n];
            if (wanted(m)) return (true, m);
        }
    }

    /// @dev The ineligible recipient (the list's last) one time in three, else an eligible one.
    function _recipient(address[] storage list, uint256 seed) internal view returns (address) {
        uint256 n = list.length;
        return seed % 3 == 0 ? list[n - 1] : list[(seed / 3) % (n - 1)];
    }

    function _headroom(IBridgeEndpoint e, IBridgeEndpoint.Direction d) internal view returns (uint256 available) {
        (, available) = e.rateLimit(d);
    }

    // ------------------------------------------------------------------ sends

    function sendHome(uint256 fromSeed, uint256 toSeed, uint256 amount) external {
        address from = homeSenders[fromSeed % homeSenders.length];
        address to = _recipient(remoteRecipients, toSeed);
        uint256 balance = token.balanceOf(from);
        if (balance == 0 || lock.paused(IBridgeEndpoint.Direction.Outbound)) return;
        amount = bound(amount, 1, balance < lock.maxTransfer() ? balance : lock.maxTransfer());
        bvm.chainId(HOME);
        vm.prank(from);
        token.approve(address(lock), amount);
        vm.prank(from);
        uint64 nonce = lock.send(REMOTE, to, amount);
        messages.push(
            _message(
                IBridgeEndpoint.Kind.Transfer,
                HOME,
                REMOTE,
                address(lock),
                address(mint),
                nonce,
                lock.isin(),
                from,
                to,
                amount
            )
        );
        if (_outStatus(messages[messages.length - 1]) == IBridgeEndpoint.OutboundStatus.Queued) ++queuedOut;
    }

    function sendRemote(uint256 fromSeed, uint256 toSeed, uint256 amount) external {
        // remote holders are among the eligible remote recipients
        address from = remoteRecipients[fromSeed % (remoteRecipients.length - 1)];
        address to = _recipient(homeRecipients, toSeed);
        uint256 balance = mirror.balanceOf(from);
        if (balance == 0 || mint.paused(IBridgeEndpoint.Direction.Outbound)) return;
        amount = bound(amount, 1, balance < mint.maxTransfer() ? balance : mint.maxTransfer());
        bvm.chainId(REMOTE);
        vm.prank(from);
        mirror.approve(address(mint), amount);
        vm.prank(from);
        uint64 nonce = mint.send(HOME, to, amount);
        messages.push(
            _message(
                IBridgeEndpoint.Kind.Transfer,
                REMOTE,
                HOME,
                address(mint),
                address(lock),
                nonce,
                mint.isin(),
                from,
                to,
                amount
            )
        );
        if (_outStatus(messages[messages.length - 1]) == IBridgeEndpoint.OutboundStatus.Queued) ++queuedOut;
    }

    // ------------------------------------------------------------------ relays

    function _relayable(IBridgeEndpoint.Message memory m) internal view returns (bool) {
        return _outStatus(m) == IBridgeEndpoint.OutboundStatus.Sent
            && _inStatus(m) == IBridgeEndpoint.InboundStatus.None
            && !_destination(m).paused(IBridgeEndpoint.Direction.Inbound);
    }

    /// @notice Execute up to two sent messages on their destinations, each with a random 3..5 of
    /// the validators.
    function relay(uint256 seed, uint256 signers) external {
        for (uint256 i; i < 2; ++i) {
            (bool found, IBridgeEndpoint.Message memory m) = _find(seed, _relayable);
            if (!found) return;
            bytes[] memory sigs = _attest(m, bound(signers >> (8 * i), 3, keys.length));
            bvm.chainId(m.destinationChainId);
            _destination(m).execute(m, sigs);
            IBridgeEndpoint.InboundStatus s = _inStatus(m);
            if (s == IBridgeEndpoint.InboundStatus.Executed) ++delivered;
            else if (s == IBridgeEndpoint.InboundStatus.Failed) ++failed;
            else ++queuedIn;
        }
    }

    function _outboundQueued(IBridgeEndpoint.Message memory m) internal view returns (bool) {
        return _outStatus(m) == IBridgeEndpoint.OutboundStatus.Queued
            && !_source(m).paused(IBridgeEndpoint.Direction.Outbound)
            && _headroom(_source(m), IBridgeEndpoint.Direction.Outbound) >= m.amount;
    }

    function flushOutbound(uint256 seed) external {
        (bool found, IBridgeEndpoint.Message memory m) = _find(seed, _outboundQueued);
        if (!found) return;
        bvm.chainId(m.sourceChainId);
        _source(m).sendQueued(m);
    }

    function _inboundQueued(IBridgeEndpoint.Message memory m) internal view returns (bool) {
        return _inStatus(m) == IBridgeEndpoint.InboundStatus.Queued
            && !_destination(m).paused(IBridgeEndpoint.Direction.Inbound)
            && _headroom(_destination(m), IBridgeEndpoint.Direction.Inbound) >= m.amount;
    }

    function flushInbound(uint256 seed) external {
        (bool found, IBridgeEndpoint.Message memory m) = _find(seed, _inboundQueued);
        if (!found) return;
        bvm.chainId(m.destinationChainId);
        _destination(m).executeQueued(m);
        if (_inStatus(m) == IBridgeEndpoint.InboundStatus.Executed) ++delivered;
        else ++failed;
    }

    function _queuedInbound(IBridgeEndpoint.Message memory m) internal view returns (bool) {
        return _inStatus(m) == IBridgeEndpoint.InboundStatus.Queued;
    }

    /// @notice Compliance refuses a queued inbound transfer (one call in two acts).
    function returnQueued(uint256 seed) external {
        if (seed % 2 == 0) return;
        (bool found, IBridgeEndpoint.Message memory m) = _find(seed, _queuedInbound);
        if (!found) return;
        bvm.chainId(m.destinationChainId);
        vm.prank(actors.compliance);
        _destination(m).returnQueued(m, "COMPLIANCE");
        ++failed;
    }

    function _refundable(IBridgeEndpoint.Message memory m) internal view returns (bool) {
        return _inStatus(m) == IBridgeEndpoint.InboundStatus.Failed
            && _outStatus(m) == IBridgeEndpoint.OutboundStatus.Sent
            && !_source(m).paused(IBridgeEndpoint.Direction.Inbound);
    }

    /// @notice Reclaim up to two failed transfers on their sources.
    function refund(uint256 seed) external {
        for (uint256 i; i < 2; ++i) {
            (bool found, IBridgeEndpoint.Message memory m) = _find(seed, _refundable);
            if (!found) return;
            IBridgeEndpoint.Message memory r = _refundOf(m);
            bytes[] memory sigs = _attest(r);
            bvm.chainId(r.destinationChainId);
            _source(m).reclaim(r, sigs);
            ++refunds;
        }
    }

    // ------------------------------------------------------------------ guardian, admin, time

    /// @notice Pause (guardian) one call in four, otherwise unpause (admin), a random direction of
    /// a random end.
    function setPaused(uint256 seed) external {
        IBridgeEndpoint e = (seed >> 8) % 2 == 0 ? IBridgeEndpoint(address(lock)) : IBridgeEndpoint(address(mint));
        IBridgeEndpoint.Direction d = IBridgeEndpoint.Direction((seed >> 16) % 2);
        bool pause = seed % 4 == 0;
        if (pause == e.paused(d)) return;
        if (pause) {
            vm.prank(actors.guardian);
            e.pause(d);
        } else {
            vm.prank(actors.admin);
            e.unpause(d);
        }
    }

    function warp(uint256 secondsAhead) external {
        vm.warp(vm.getBlockTimestamp() + bound(secondsAhead, 0, 20 minutes));
    }
}

/// @notice Conservation across the two ends under the handler's random operations: the units in
/// custody are the mirror supply plus every transfer in flight (taken on its source, neither
/// delivered on its destination nor refunded), and the endpoints' totals agree with both.
contract BridgeInvariantsTest is BridgeTest {
    struct FuzzSelector {
        address addr;
        bytes4[] selectors;
    }

    BridgeHandler internal handler;

    function setUp() public override {
        super.setUp();
        address[] memory senders = new address[](2);
        (senders[0], senders[1]) = (alice, bob);
        address[] memory remote = new address[](4);
        (remote[0], remote[1], remote[2], remote[3]) = (alice, bob, dave, carol); // carol: not on the remote
        address[] memory home = new address[](4);
        (home[0], home[1], home[2], home[3]) = (alice, bob, carol, nobody); // nobody: not at home
        handler = new BridgeHandler(
            token,
            mirror,
            lock,
            mint,
            custody,
            BridgeHandler.Actors({guardian: guardian, admin: bridgeAdmin, compliance: compliance}),
            keys,
            senders,
            remote,
            home
        );
    }

    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    function targetSelectors() public view returns (FuzzSelector[] memory targets) {
        bytes4[] memory selectors = new bytes4[](9);
        selectors[0] = BridgeHandler.sendHome.selector;
        selectors[1] = BridgeHandler.sendRemote.selector;
        selectors[2] = BridgeHandler.relay.selector;
        selectors[3] = BridgeHandler.flushOutbound.selector;
        selectors[4] = BridgeHandler.flushInbound.selector;
        selectors[5] = BridgeHandler.returnQueued.selector;
        selectors[6] = BridgeHandler.refund.selector;
        selectors[7] = BridgeHandler.setPaused.selector;
        selectors[8] = BridgeHandler.warp.selector;
        targets = new FuzzSelector[](1);
        targets[0] = FuzzSelector({addr: address(handler), selectors: selectors});
    }

    /// @dev In flight per direction: taken on the source, not delivered, not refunded.
    function _inFlight() internal view returns (uint256 homeToRemote, uint256 remoteToHome) {
        uint256 n = handler.messageCount();
        for (uint256 i; i < n; ++i) {
            IBridgeEndpoint.Message memory m = handler.message(i);
            bool fromHome = m.sourceChainId == HOME;
            IBridgeEndpoint src = fromHome ? IBridgeEndpoint(address(lock)) : IBridgeEndpoint(address(mint));
            IBridgeEndpoint dst = fromHome ? IBridgeEndpoint(address(mint)) : IBridgeEndpoint(address(lock));
            (IBridgeEndpoint.OutboundStatus s,) = src.outbound(m.nonce);
            IBridgeEndpoint.InboundStatus d = dst.inboundStatus(_id(m));
            if (s == IBridgeEndpoint.OutboundStatus.Refunded || d == IBridgeEndpoint.InboundStatus.Executed) continue;
            if (fromHome) homeToRemote += m.amount;
            else remoteToHome += m.amount;
        }
    }

    function invariant_custodyIsMirrorSupplyPlusInFlight() public view {
        (uint256 out, uint256 back) = _inFlight();
        assertEq(custody.balance(), mirror.totalSupply() + out + back, "custody == mirror supply + in flight");
    }

    function invariant_totalsAgreeWithBalances() public view {
        (uint256 lockSent, uint256 lockReceived, uint256 lockRefunded) = lock.totals();
        (uint256 mintSent, uint256 mintReceived, uint256 mintRefunded) = mint.totals();
        assertEq(custody.balance(), lockSent - lockReceived - lockRefunded, "custody from the home totals");
        assertEq(mirror.totalSupply(), mintReceived + mintRefunded - mintSent, "mirror supply from the remote totals");
        (uint256 out, uint256 back) = _inFlight();
        assertEq(out, lockSent - mintReceived - lockRefunded, "home to remote in flight");
        assertEq(back, mintSent - lockReceived - mintRefunded, "remote to home in flight");
    }

    /// @dev A transfer is delivered or refunded, never both; a refund follows a failure.
    function invariant_neverDeliveredAndRefunded() public view {
        uint256 n = handler.messageCount();
        for (uint256 i; i < n; ++i) {
            IBridgeEndpoint.Message memory m = handler.message(i);
            bool fromHome = m.sourceChainId == HOME;
            IBridgeEndpoint src = fromHome ? IBridgeEndpoint(address(lock)) : IBridgeEndpoint(address(mint));
            IBridgeEndpoint dst = fromHome ? IBridgeEndpoint(address(mint)) : IBridgeEndpoint(address(lock));
            (IBridgeEndpoint.OutboundStatus s,) = src.outbound(m.nonce);
            if (s == IBridgeEndpoint.OutboundStatus.Refunded) {
                assertEq(
                    uint8(dst.inboundStatus(_id(m))), uint8(IBridgeEndpoint.InboundStatus.Failed), "refunded => failed"
                );
            }
        }
    }
}

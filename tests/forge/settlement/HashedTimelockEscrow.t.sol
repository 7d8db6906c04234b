// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {SettlementTest} from "./SettlementTest.sol";
import {HostileToken, PlainToken} from "./HostileTokens.sol";
import {IHashedTimelockEscrow} from "../../../interfaces/IHashedTimelockEscrow.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @notice The hash-time-locked escrow: locking, claiming with the secret strictly before the
/// timelock, refunding from the timelock on (both sides of the boundary), exactly one of the two,
/// the registrar's recovery, and the cross-chain protocol end to end with two escrows (chain A:
/// the security, chain B: the cash) including its failure paths.
contract HashedTimelockEscrowTest is SettlementTest {
    bytes32 internal constant SECRET = keccak256("the seller's secret");
    string internal constant HREF = "XCHAIN-2026-0042";

    IHashedTimelockEscrow internal htlcB; // the escrow on the cash chain
    bytes32 internal hashlock;
    uint40 internal timelock;

    function setUp() public override {
        super.setUp();
        htlcB = IHashedTimelockEscrow(_deploy(HTLC_ARTIFACT, ""));
        vm.prank(bob);
        cash.approve(address(htlcB), type(uint256).max);
        hashlock = sha256(abi.encodePacked(SECRET));
        timelock = uint40(_now() + 1 days);
    }

    function _lockUnits() internal returns (bytes32) {
        vm.prank(alice);
        return htlc.lock(IERC20(address(token)), QTY, bob, hashlock, timelock, HREF);
    }

    function _unknown(bytes4 selector, bytes32 id) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(selector, id);
    }

    function _notLocked(bytes32 id, IHashedTimelockEscrow.State s) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(IHashedTimelockEscrow.NotLocked.selector, id, s);
    }

    function _timelockErr(bytes4 selector, bytes32 id, uint40 t) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(selector, id, t);
    }

    // ------------------------------------------------------------------ lock

    function test_lock_escrowsAndRecords() public {
        bytes32 expected = keccak256(
            abi.encode(block.chainid, address(htlc), alice, bob, address(token), uint256(QTY), hashlock, timelock, HREF)
        );
        vm.expectEmit(address(htlc));
        emit IHashedTimelockEscrow.Locked(expected, alice, bob, address(token), QTY, hashlock, timelock, HREF);
        bytes32 id = _lockUnits();
        assertEq(id, expected, "id");
        assertEq(
            htlc.computeLockId(alice, bob, IERC20(address(token)), QTY, hashlock, timelock, HREF), id, "computeLockId"
        );
        assertEq(token.balanceOf(address(htlc)), QTY, "escrowed");
        IHashedTimelockEscrow.Lock memory l = htlc.lockOf(id);
        assertEq(l.sender, alice, "sender");
        assertEq(l.recipient, bob, "recipient");
        assertEq(address(l.token), address(token), "token");
        assertEq(l.amount, QTY, "amount");
        assertEq(l.hashlock, hashlock, "hashlock");
        assertEq(l.timelock, timelock, "timelock");
        assertEq(uint8(l.state), uint8(IHashedTimelockEscrow.State.Locked), "locked");
        assertEq(l.secret, bytes32(0), "no secret yet");
        assertEq(l.tradeRef, HREF, "reference");
        assertEq(htlc.MINIMUM_MARGIN(), 1 hours, "margin");
        assertEq(htlc.MAX_LOCK_PERIOD(), 30 days, "max period");
    }

    function test_lock_refusals() public {
        IERC20 t = IERC20(address(token));
        _expectInvalid(IERC20(stranger), QTY, bob, hashlock, timelock, HREF, "token");
        _expectInvalid(t, 0, bob, hashlock, timelock, HREF, "amount");
        _expectInvalid(t, QTY, address(0), hashlock, timelock, HREF, "recipient");
        _expectInvalid(t, QTY, alice, hashlock, timelock, HREF, "recipient");
        _expectInvalid(t, QTY, address(htlc), hashlock, timelock, HREF, "recipient");
        _expectInvalid(t, QTY, bob, bytes32(0), timelock, HREF, "hashlock");
        _expectInvalid(t, QTY, bob, hashlock, uint40(_now()), HREF, "timelock");
        _expectInvalid(t, QTY, bob, hashlock, uint40(_now() + 30 days + 1), HREF, "timelock");
        _expectInvalid(t, QTY, bob, hashlock, timelock, "", "reference");
        _expectInvalid(t, QTY, bob, hashlock, timelock, "123456789012345678901234567890123456", "reference");
        // the limits themselves are fine
        vm.prank(alice);
        htlc.lock(t, QTY, bob, hashlock, uint40(_now() + 30 days), "12345678901234567890123456789012345");
    }

    function _expectInvalid(
        IERC20 t,
        uint256 amount,
        address recipient,
        bytes32 h,
        uint40 until,
        string memory ref,
        bytes32 field
    ) internal {
        vm.expectRevert(abi.encodeWithSelector(IHashedTimelockEscrow.InvalidLock.selector, field));
        vm.prank(alice);
        htlc.lock(t, amount, recipient, h, until, ref);
    }

    function test_lock_twice_refused() public {
        bytes32 id = _lockUnits();
        vm.expectRevert(_unknown(IHashedTimelockEscrow.LockExists.selector, id));
        _lockUnits();
    }

    function test_lock_theTokensRulesApply() public {
        _freezeAll(alice, true);
        vm.expectRevert(_restricted(CODE_FUNDS_LOCKED, SENDER_FROZEN));
        _lockUnits();
        // an escrow that is not a registered system account cannot hold the units
        vm.prank(carol);
        token.approve(address(htlcB), QTY);
        vm.expectRevert(_restricted(CODE_INVALID_RECEIVER, RECIPIENT_NOT_REGISTERED));
        vm.prank(carol);
        htlcB.lock(IERC20(address(token)), QTY, bob, hashlock, timelock, HREF);
    }

    function test_lock_feeOnTransferToken_refused() public {
        HostileToken hostile = new HostileToken();
        hostile.mint(bob, 100);
        vm.prank(bob);
        hostile.approve(address(htlc), 100);
        hostile.arm(HostileToken.Mode.Fee, address(htlc), "", false, true);
        vm.expectRevert(
            abi.encodeWithSelector(IHashedTimelockEscrow.DepositShortfall.selector, address(hostile), 100, 99)
        );
        vm.prank(bob);
        htlc.lock(IERC20(address(hostile)), 100, alice, hashlock, timelock, HREF);
        hostile.arm(HostileToken.Mode.Fee, address(htlc), "", false, true);
        vm.expectRevert(
            abi.encodeWithSelector(IHashedTimelockEscrow.DepositShortfall.selector, address(hostile), 1, 0)
        );
        vm.prank(bob);
        htlc.lock(IERC20(address(hostile)), 1, alice, hashlock, timelock, HREF);
    }

    // ------------------------------------------------------------------ claim

    function test_claim_withTheSecret_byAnyone_paysTheRecipientAndRevealsIt() public {
        bytes32 id = _lockUnits();
        vm.expectEmit(address(htlc));
        emit IHashedTimelockEscrow.Claimed(id, bob, SECRET, HREF);
        vm.prank(stranger);
        htlc.claim(id, SECRET);
        assertEq(token.balanceOf(bob), QTY, "paid");
        assertEq(token.balanceOf(address(htlc)), 0, "empty");
        IHashedTimelockEscrow.Lock memory l = htlc.lockOf(id);
        assertEq(uint8(l.state), uint8(IHashedTimelockEscrow.State.Claimed), "claimed");
        assertEq(l.secret, SECRET, "secret public");
    }

    function test_claim_timelockEdges() public {
        bytes32 id = _lockUnits();
        vm.warp(timelock);
        vm.expectRevert(_timelockErr(IHashedTimelockEscrow.TimelockPassed.selector, id, timelock));
        htlc.claim(id, SECRET);
        vm.warp(timelock - 1);
        htlc.claim(id, SECRET);
        assertEq(token.balanceOf(bob), QTY, "claimed one second before");
    }

    function test_claim_refusals() public {
        vm.expectRevert(_unknown(IHashedTimelockEscrow.UnknownLock.selector, bytes32(uint256(1))));
        htlc.claim(bytes32(uint256(1)), SECRET);
        bytes32 id = _lockUnits();
        vm.expectRevert(_unknown(IHashedTimelockEscrow.WrongSecret.selector, id));
        htlc.claim(id, keccak256("guess"));
        vm.expectRevert(_unknown(IHashedTimelockEscrow.WrongSecret.selector, id));
        htlc.claim(id, hashlock); // the hash is not the secret
        htlc.claim(id, SECRET);
        vm.expectRevert(_notLocked(id, IHashedTimelockEscrow.State.Claimed));
        htlc.claim(id, SECRET);
        vm.warp(timelock);
        vm.expectRevert(_notLocked(id, IHashedTimelockEscrow.State.Claimed));
        htlc.refund(id);
    }

    function test_claim_anIneligibleRecipient_isRefusedByTheRules_thenRefunded() public {
        vm.prank(alice);
        bytes32 id = htlc.lock(IERC20(address(token)), QTY, nobody, hashlock, timelock, HREF);
        vm.expectRevert(_restricted(CODE_INVALID_RECEIVER, RECIPIENT_NOT_REGISTERED));
        htlc.claim(id, SECRET);
        vm.warp(timelock);
        htlc.refund(id);
        assertEq(token.balanceOf(alice), UNITS, "refunded");
    }

    // ------------------------------------------------------------------ refund

    function test_refund_timelockEdges() public {
        bytes32 id = _lockUnits();
        vm.warp(timelock - 1);
        vm.expectRevert(_timelockErr(IHashedTimelockEscrow.TimelockNotReached.selector, id, timelock));
        htlc.refund(id);
        vm.warp(timelock);
        vm.expectEmit(address(htlc));
        emit IHashedTimelockEscrow.Refunded(id, alice, HREF);
        vm.prank(stranger);
        htlc.refund(id);
        assertEq(token.balanceOf(alice), UNITS, "refunded");
        assertEq(uint8(htlc.lockOf(id).state), uint8(IHashedTimelockEscrow.State.Refunded), "refunded state");
        vm.expectRevert(_notLocked(id, IHashedTimelockEscrow.State.Refunded));
        htlc.refund(id);
        vm.warp(timelock - 1); // even back in time, a refunded lock is never claimed
        vm.expectRevert(_notLocked(id, IHashedTimelockEscrow.State.Refunded));
        htlc.claim(id, SECRET);
    }

    /// @notice At any time exactly one of claim and refund succeeds, and after it neither does.
    function testFuzz_exactlyOneOfClaimOrRefund(uint256 at) public {
        bytes32 id = _lockUnits();
        at = bound(at, _now(), uint256(timelock) + 2 days);
        vm.warp(at);
        if (at < timelock) {
            vm.expectRevert(_timelockErr(IHashedTimelockEscrow.TimelockNotReached.selector, id, timelock));
            htlc.refund(id);
            htlc.claim(id, SECRET);
            assertEq(token.balanceOf(bob), QTY, "claimed");
        } else {
            vm.expectRevert(_timelockErr(IHashedTimelockEscrow.TimelockPassed.selector, id, timelock));
            htlc.claim(id, SECRET);
            htlc.refund(id);
            assertEq(token.balanceOf(alice), UNITS, "refunded");
        }
        vm.expectRevert();
        htlc.claim(id, SECRET);
        vm.expectRevert();
        htlc.refund(id);
        assertEq(token.balanceOf(address(htlc)), 0, "paid out exactly once");
    }

    // ------------------------------------------------------------------ recover

    function test_recover_byTheRegistrar_whenTheSenderCannotReceive() public {
        bytes32 id = _lockUnits();
        vm.prank(registryRegistrar);
        registry.removeWallet(alice);
        vm.warp(timelock);
        vm.expectRevert(_restricted(CODE_INVALID_RECEIVER, RECIPIENT_NOT_REGISTERED));
        htlc.refund(id);
        vm.expectEmit(address(htlc));
        emit IHashedTimelockEscrow.Recovered(id, registrar, alice2, "wallet retired", HREF);
        vm.prank(registrar);
        htlc.recover(id, alice2, "wallet retired");
        assertEq(token.balanceOf(alice2), UNITS + QTY, "to the investor's other wallet");
        assertEq(uint8(htlc.lockOf(id).state), uint8(IHashedTimelockEscrow.State.Recovered), "recovered");
        vm.expectRevert(_notLocked(id, IHashedTimelockEscrow.State.Recovered));
        htlc.refund(id);
    }

    function test_recover_refusals() public {
        bytes32 id = _lockUnits();
        vm.expectRevert(_timelockErr(IHashedTimelockEscrow.TimelockNotReached.selector, id, timelock));
        vm.prank(registrar);
        htlc.recover(id, alice2, "early");
        vm.warp(timelock);
        vm.expectRevert(
            abi.encodeWithSelector(IHashedTimelockEscrow.NotInstrumentRegistrar.selector, address(token), tokenAdmin)
        );
        vm.prank(tokenAdmin);
        htlc.recover(id, alice2, "x");
        // a token with roles but no registrar (the cash token), and one without roles at all
        vm.warp(_now() - 1 days);
        vm.prank(bob);
        bytes32 cashLock = htlc.lock(IERC20(address(cash)), PRICE, alice, hashlock, timelock, HREF);
        PlainToken plain = new PlainToken();
        plain.mint(bob, 10);
        vm.prank(bob);
        plain.approve(address(htlc), 10);
        vm.prank(bob);
        bytes32 plainLock = htlc.lock(IERC20(address(plain)), 10, alice, hashlock, timelock, HREF);
        vm.warp(timelock);
        vm.expectRevert(
            abi.encodeWithSelector(IHashedTimelockEscrow.NotInstrumentRegistrar.selector, address(cash), registrar)
        );
        vm.prank(registrar);
        htlc.recover(cashLock, alice, "x");
        vm.expectRevert(
            abi.encodeWithSelector(IHashedTimelockEscrow.NotInstrumentRegistrar.selector, address(plain), registrar)
        );
        vm.prank(registrar);
        htlc.recover(plainLock, alice, "x");
    }

    // ------------------------------------------------------------------ ordering

    function test_isSafeOrdering_edges() public view {
        uint40 t1 = uint40(_now() + 2 days);
        assertTrue(htlc.isSafeOrdering(t1, t1 - 1 hours), "exactly the margin");
        assertFalse(htlc.isSafeOrdering(t1, t1 - 1 hours + 1), "one second short");
        assertFalse(htlc.isSafeOrdering(t1, t1), "equal");
        assertFalse(htlc.isSafeOrdering(t1, type(uint40).max), "no overflow");
    }

    // ------------------------------------------------------------------ cross-chain DvP

    /// @dev Chain A: the security in `htlc`; chain B: the cash in `htlcB` (one EVM, two escrows).
    function _crossChainLocks(uint40 t1, uint40 t2) internal returns (bytes32 unitsLock, bytes32 cashLock) {
        vm.prank(alice); // 1-2. the seller locks the units first, with the longer timelock
        unitsLock = htlc.lock(IERC20(address(token)), QTY, bob, hashlock, t1, HREF);
        // 3. the buyer checks the lock, its eligibility and the ordering, then locks the cash
        IHashedTimelockEscrow.Lock memory l = htlc.lockOf(unitsLock);
        assertEq(l.recipient, bob, "for the buyer");
        assertEq(l.amount, QTY, "the quantity");
        (bytes1 code,) = token.canTransfer(address(htlc), bob, QTY);
        assertCode(code, CODE_SUCCESS, "buyer can receive");
        assertTrue(htlcB.isSafeOrdering(l.timelock, t2), "ordering");
        vm.prank(bob);
        cashLock = htlcB.lock(IERC20(address(cash)), PRICE, alice, l.hashlock, t2, HREF);
    }

    function test_crossChain_settlesAtomically_atTheLatestInstants() public {
        uint40 t1 = uint40(_now() + 2 days);
        uint40 t2 = t1 - 1 hours;
        (bytes32 unitsLock, bytes32 cashLock) = _crossChainLocks(t1, t2);
        // 4. the seller claims the cash at the last second, revealing the secret on chain B
        vm.warp(t2 - 1);
        vm.prank(alice);
        htlcB.claim(cashLock, SECRET);
        assertEq(cash.balanceOf(alice), CASH + PRICE, "seller paid");
        // 5. the buyer reads the secret on chain B and claims the units on chain A before T1
        bytes32 revealed = htlcB.lockOf(cashLock).secret;
        vm.warp(t1 - 1);
        vm.prank(bob);
        htlc.claim(unitsLock, revealed);
        assertEq(token.balanceOf(bob), QTY, "buyer delivered");
        assertEq(cash.balanceOf(bob), CASH - PRICE, "buyer paid once");
    }

    function test_crossChain_sellerNeverClaims_bothRefund() public {
        uint40 t1 = uint40(_now() + 2 days);
        uint40 t2 = t1 - 6 hours;
        (bytes32 unitsLock, bytes32 cashLock) = _crossChainLocks(t1, t2);
        vm.warp(t2);
        vm.expectRevert(_timelockErr(IHashedTimelockEscrow.TimelockPassed.selector, cashLock, t2));
        vm.prank(alice);
        htlcB.claim(cashLock, SECRET); // too late: the seller can no longer take the cash
        htlcB.refund(cashLock);
        assertEq(cash.balanceOf(bob), CASH, "buyer refunded");
        vm.warp(t1);
        htlc.refund(unitsLock);
        assertEq(token.balanceOf(alice), UNITS, "seller refunded");
    }

    function test_crossChain_buyerNeverLocks_sellerRefunds() public {
        uint40 t1 = uint40(_now() + 2 days);
        vm.prank(alice);
        bytes32 unitsLock = htlc.lock(IERC20(address(token)), QTY, bob, hashlock, t1, HREF);
        vm.warp(t1);
        htlc.refund(unitsLock);
        assertEq(token.balanceOf(alice), UNITS, "seller refunded");
    }
}

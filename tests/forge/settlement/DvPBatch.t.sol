// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {SettlementTest} from "./SettlementTest.sol";
import {HostileToken} from "./HostileTokens.sol";
import {IDvPEscrow} from "../../../interfaces/IDvPEscrow.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @notice Batch settlement: every trade on its own, a failing trade (rules, state, deadline, a
/// cash token that reverts or burns its gas) reported and left as it was without blocking the
/// others, the bounds on the batch, and gas that cannot be gamed.
contract DvPBatchTest is SettlementTest {
    HostileToken internal hostile;

    bytes32 internal constant NOT_MATCHED = "NOT_MATCHED";
    bytes32 internal constant EXPIRED = "EXPIRED";
    bytes32 internal constant TRANSFER_FAILED = "TRANSFER_FAILED";

    function setUp() public override {
        super.setUp();
        hostile = new HostileToken();
        hostile.mint(dave, CASH);
        vm.prank(dave);
        hostile.approve(address(dvp), type(uint256).max);
    }

    function _ids(bytes32 a, bytes32 b, bytes32 c) internal pure returns (bytes32[] memory ids) {
        ids = new bytes32[](3);
        (ids[0], ids[1], ids[2]) = (a, b, c);
    }

    function _hostileTrade(string memory ref) internal returns (bytes32) {
        IDvPEscrow.TradeTerms memory t = _terms(carol, dave);
        t.cashToken = IERC20(address(hostile));
        return _matched(t, ref);
    }

    function test_settleBatch_settlesEveryTrade() public {
        bytes32 a = _matched(_terms(alice, bob), "A");
        bytes32 b = _matched(_terms(carol, dave), "B");
        bytes32 c = _matched(_terms(alice2, bob), "C");
        vm.prank(stranger);
        (bool[] memory settled, bytes32[] memory reasons) = dvp.settleBatch(_ids(a, b, c));
        for (uint256 i; i < 3; ++i) {
            assertTrue(settled[i], "settled");
            assertEq(reasons[i], OK, "reason");
        }
        assertEq(token.balanceOf(bob), 2 * QTY, "bob's units");
        assertEq(token.balanceOf(dave), QTY, "dave's units");
        assertEq(cash.balanceOf(carol), PRICE, "carol's cash");
        assertEq(token.balanceOf(address(dvp)) + cash.balanceOf(address(dvp)), 0, "escrow empty");
    }

    function test_settleBatch_aRefusedTradeDoesNotBlockTheOthers() public {
        bytes32 a = _matched(_terms(alice, bob), "A");
        bytes32 b = _matched(_terms(carol, dave), "B");
        bytes32 c = _matched(_terms(alice2, bob), "C");
        _freezeAll(dave, true);
        vm.expectEmit(address(dvp));
        emit IDvPEscrow.SettlementFailed(b, CODE_INVALID_RECEIVER, RECIPIENT_FROZEN, "B");
        (bool[] memory settled, bytes32[] memory reasons) = dvp.settleBatch(_ids(a, b, c));
        assertTrue(settled[0] && !settled[1] && settled[2], "only b failed");
        assertEq(reasons[1], RECIPIENT_FROZEN, "b's reason");
        assertEq(_status(b), uint8(IDvPEscrow.Status.Matched), "b left as it was");
        assertEq(token.balanceOf(address(dvp)), QTY, "b's units still escrowed");
        assertEq(cash.balanceOf(address(dvp)), PRICE, "b's cash still escrowed");
        _freezeAll(dave, false);
        dvp.settle(b);
        assertEq(token.balanceOf(dave), QTY, "b settles later");
    }

    function test_settleBatch_reportsStateAndDeadline() public {
        bytes32 proposed = _instruct(alice, _terms(alice, bob), "P");
        IDvPEscrow.TradeTerms memory soon = _terms(carol, dave, QTY, PRICE, uint40(_now() + 1 hours));
        bytes32 expiring = _matched(soon, "E");
        bytes32 good = _matched(_terms(alice2, bob), "G");
        vm.warp(soon.deadline);
        vm.expectEmit(address(dvp));
        emit IDvPEscrow.SettlementFailed(proposed, CODE_FAILURE, NOT_MATCHED, "P");
        vm.expectEmit(address(dvp));
        emit IDvPEscrow.SettlementFailed(expiring, CODE_FAILURE, EXPIRED, "E");
        (bool[] memory settled, bytes32[] memory reasons) = dvp.settleBatch(_ids(proposed, expiring, good));
        assertEq(reasons[0], NOT_MATCHED, "proposed");
        assertEq(reasons[1], EXPIRED, "expired");
        assertTrue(!settled[0] && !settled[1] && settled[2], "only the good one");
    }

    function test_settleBatch_unknownAndDuplicateIds() public {
        bytes32 a = _matched();
        vm.expectEmit(address(dvp));
        emit IDvPEscrow.SettlementFailed(bytes32(uint256(9)), CODE_FAILURE, NOT_MATCHED, "");
        (bool[] memory settled, bytes32[] memory reasons) = dvp.settleBatch(_ids(a, bytes32(uint256(9)), a));
        assertTrue(settled[0] && !settled[1] && !settled[2], "first settles, the repeat does not");
        assertEq(reasons[2], NOT_MATCHED, "repeat");
        assertEq(token.balanceOf(bob), QTY, "delivered once");
        assertEq(cash.balanceOf(alice), CASH + PRICE, "paid once");
    }

    function test_settleBatch_aRevertingCashTokenFailsOnlyItsTrade() public {
        bytes32 a = _matched(_terms(alice, bob), "A");
        bytes32 h = _hostileTrade("H");
        hostile.arm(HostileToken.Mode.Revert, address(dvp), "", false, false);
        (bool[] memory settled, bytes32[] memory reasons) = dvp.settleBatch(_ids(h, a, h));
        assertTrue(!settled[0] && settled[1] && !settled[2], "only a");
        assertEq(reasons[0], TRANSFER_FAILED, "reason");
        assertEq(token.balanceOf(dave), 0, "no units moved for h");
        assertEq(token.balanceOf(address(dvp)), QTY, "h's units kept");
        assertEq(hostile.balanceOf(address(dvp)), PRICE, "h's cash kept");
        assertEq(_status(h), uint8(IDvPEscrow.Status.Matched), "h left as it was");
        // alone, it reverts with the token's error
        vm.expectRevert(HostileToken.Hostile.selector);
        dvp.settle(h);
    }

    function test_settleBatch_readsOnlyAWellFormedRefusal() public {
        bytes32 h = _hostileTrade("H");
        // a token reverting with a truncated SettlementRefused is a failed transfer
        bytes memory truncated = abi.encodeWithSelector(IDvPEscrow.SettlementRefused.selector, h);
        hostile.arm(HostileToken.Mode.Revert, address(dvp), truncated, false, false);
        bytes32[] memory ids = new bytes32[](1);
        ids[0] = h;
        (, bytes32[] memory reasons) = dvp.settleBatch(ids);
        assertEq(reasons[0], TRANSFER_FAILED, "truncated");
        assertEq(_status(h), uint8(IDvPEscrow.Status.Matched), "left as it was");
        // long revert data: only its first 100 bytes are read
        bytes memory longData = abi.encodeWithSelector(HostileToken.Hostile.selector, new bytes(200));
        hostile.arm(HostileToken.Mode.Revert, address(dvp), longData, false, false);
        (, reasons) = dvp.settleBatch(ids);
        assertEq(reasons[0], TRANSFER_FAILED, "long");
    }

    function test_settleBatch_aGasBurningCashTokenFailsOnlyItsTrade() public {
        bytes32 h = _hostileTrade("H");
        bytes32 a = _matched(_terms(alice, bob), "A");
        hostile.arm(HostileToken.Mode.BurnGas, address(dvp), "", false, false);
        (bool[] memory settled, bytes32[] memory reasons) = dvp.settleBatch{gas: 3_000_000}(_ids(h, a, h));
        assertTrue(!settled[0] && settled[1] && !settled[2], "a settles after a trade that burnt its gas");
        assertEq(reasons[0], TRANSFER_FAILED, "reason");
        assertEq(reasons[2], TRANSFER_FAILED, "reason again");
    }

    function test_settleBatch_aReturnBombCostsTheBatchNoMoreThanTheTradesGas() public {
        bytes32 h = _hostileTrade("H");
        hostile.arm(HostileToken.Mode.Bomb, address(dvp), "", false, false);
        bytes32[] memory ids = new bytes32[](1);
        ids[0] = h;
        uint256 before = gasleft();
        (bool[] memory settled, bytes32[] memory reasons) = dvp.settleBatch(ids);
        uint256 used = before - gasleft();
        assertFalse(settled[0], "not settled");
        assertEq(reasons[0], TRANSFER_FAILED, "reason");
        assertLe(used, dvp.TRADE_GAS() + 100_000, "300 kB of revert data are not copied");
    }

    function test_settleBatch_refusesTooLittleGas_ratherThanFailATrade() public {
        bytes32 a = _matched();
        bytes32[] memory ids = new bytes32[](1);
        ids[0] = a;
        vm.expectRevert(abi.encodeWithSelector(IDvPEscrow.InsufficientGas.selector, 0));
        dvp.settleBatch{gas: 450_000}(ids);
        assertEq(_status(a), uint8(IDvPEscrow.Status.Matched), "untouched");
        dvp.settleBatch{gas: 700_000}(ids);
        assertEq(_status(a), uint8(IDvPEscrow.Status.Settled), "settled with enough gas");
    }

    function test_settleBatch_bounds() public {
        vm.expectRevert(abi.encodeWithSelector(IDvPEscrow.InvalidBatch.selector, 0, 100));
        dvp.settleBatch(new bytes32[](0));
        vm.expectRevert(abi.encodeWithSelector(IDvPEscrow.InvalidBatch.selector, 101, 100));
        dvp.settleBatch(new bytes32[](101));
        (bool[] memory settled, bytes32[] memory reasons) = dvp.settleBatch(new bytes32[](100));
        assertEq(settled.length, 100, "hundred results");
        assertEq(reasons[99], NOT_MATCHED, "unknown ids");
    }
}

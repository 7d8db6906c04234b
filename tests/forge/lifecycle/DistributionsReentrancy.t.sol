// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {LifecycleTest} from "./LifecycleTest.sol";
import {HostileToken} from "../settlement/HostileTokens.sol";
import {IDistributions} from "../../../interfaces/IDistributions.sol";
import {ISecurityToken} from "../../../interfaces/ISecurityToken.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @notice A cash token that re-enters the distributions contract while it pays out cannot make
/// it pay twice: every entry point is guarded and all state is written before the first
/// transfer; a re-entry that is bubbled up undoes the whole call. A fee-on-transfer cash token is
/// refused at funding.
contract DistributionsReentrancyTest is LifecycleTest {
    uint256 internal constant RATE = 1_250_000;
    bytes4 internal constant GUARD_ERROR = bytes4(keccak256("ReentrancyGuardReentrantCall()"));

    HostileToken internal hostile;
    uint256 internal id;

    function setUp() public override {
        super.setUp();
        hostile = new HostileToken();
        hostile.mint(treasury, 1e30);
        vm.prank(treasury);
        hostile.approve(address(dist), type(uint256).max);
        vm.prank(agent);
        id = dist.announce(_dterms(ISecurityToken(address(token)), IERC20(address(hostile)), uint40(T0 + 1 days), uint40(T0 + 2 days), uint40(T0 + 30 days), IDistributions.Kind.PerUnit, RATE), REF);
        vm.warp(T0 + 2 days);
        _fundDist(id);
    }

    function _arm(bytes memory payload, bool bubble) internal {
        hostile.arm(HostileToken.Mode.Reenter, address(dist), payload, bubble, false);
    }

    function _assertGuardStopped() internal view {
        assertTrue(hostile.attempted(), "re-entry attempted");
        assertFalse(hostile.reentered(), "re-entry refused");
        assertEq(hostile.reentryError(), abi.encodePacked(GUARD_ERROR), "by the guard");
    }

    function test_claim_reenteringClaimOrPay_paysOnce() public {
        _arm(abi.encodeCall(IDistributions.claim, (id)), false);
        _claim(bob, id);
        _assertGuardStopped();
        assertEq(hostile.balanceOf(bob), 3_000 * RATE, "paid once");
        _arm(abi.encodeCall(IDistributions.pay, (id, _one(carol))), false);
        _claim(alice, id);
        _assertGuardStopped();
        assertEq(hostile.balanceOf(alice), 1_000 * RATE, "alice paid once");
        assertEq(hostile.balanceOf(carol), 0, "carol not paid by the re-entry");
        assertEq(dist.distribution(id).paid, 4_000 * RATE, "paid total");
        assertEq(hostile.balanceOf(address(dist)), (10_500 - 4_000) * RATE, "the rest stays");
    }

    function test_pay_reenteringPay_paysEachHolderOnce() public {
        address[] memory batch = _pair(bob, carol);
        _arm(abi.encodeCall(IDistributions.pay, (id, batch)), false);
        _pay(id, batch);
        _assertGuardStopped();
        assertEq(hostile.balanceOf(bob), 3_000 * RATE, "bob once");
        assertEq(hostile.balanceOf(carol), 6_000 * RATE, "carol once");
    }

    function test_bubbledReentry_undoesEverything() public {
        _arm(abi.encodeCall(IDistributions.sweep, (id)), true);
        vm.expectRevert(GUARD_ERROR);
        _claim(bob, id);
        assertEq(uint8(dist.entry(id, bob).status), uint8(IDistributions.Status.None), "not paid");
        assertEq(dist.distribution(id).paid, 0, "nothing paid");
        hostile.disarm();
        assertEq(_claim(bob, id), 3_000 * RATE, "then paid once");
    }

    function test_releaseAndSweep_reentering_payOnce() public {
        _freezeAll(alice2, true);
        _claim(alice2, id);
        address[] memory to = _one(alice);
        uint256[] memory amounts = new uint256[](1);
        amounts[0] = 500 * RATE;
        _arm(abi.encodeCall(IDistributions.release, (id, alice2, to, amounts)), false);
        vm.prank(registrar);
        dist.release(id, alice2, to, amounts);
        _assertGuardStopped();
        assertEq(hostile.balanceOf(alice), 500 * RATE, "released once");
        vm.warp(T0 + 30 days);
        _arm(abi.encodeCall(IDistributions.sweep, (id)), false);
        uint256 swept = dist.sweep(id);
        _assertGuardStopped();
        assertEq(swept, 10_000 * RATE, "everything unclaimed");
        assertEq(hostile.balanceOf(agent), swept, "swept once");
        assertEq(hostile.balanceOf(address(dist)), 0, "nothing left");
    }

    function test_fund_feeOnTransferToken_refused() public {
        vm.prank(agent);
        uint256 other = dist.announce(_dterms(ISecurityToken(address(token)), IERC20(address(hostile)), uint40(T0 + 3 days), uint40(T0 + 4 days), uint40(T0 + 30 days), IDistributions.Kind.Total, 100), REF);
        hostile.arm(HostileToken.Mode.Fee, address(dist), "", false, true);
        vm.expectRevert(abi.encodeWithSelector(IDistributions.DepositShortfall.selector, address(hostile), 100, 99));
        _fundDist(other);
        vm.prank(agent);
        uint256 one = dist.announce(_dterms(ISecurityToken(address(token)), IERC20(address(hostile)), uint40(T0 + 3 days), uint40(T0 + 4 days), uint40(T0 + 30 days), IDistributions.Kind.Total, 1), REF);
        vm.expectRevert(abi.encodeWithSelector(IDistributions.DepositShortfall.selector, address(hostile), 1, 0));
        _fundDist(one);
    }
}

// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {BridgeTest} from "./BridgeTest.sol";
import {BridgeLock} from "../../../contracts/bridge/BridgeLock.sol";
import {IBridgeEndpoint} from "../../../interfaces/IBridgeEndpoint.sol";
import {IBridgeCustody} from "../../../interfaces/IBridgeCustody.sol";
import {IAccessControlDefaultAdminRules} from
    "@openzeppelin/contracts/access/extensions/IAccessControlDefaultAdminRules.sol";

/// @notice BridgeCustody: holds the locked units apart from the bridge logic; only the bridge
/// role releases, under the token's rules; replacing the bridge moves no units.
contract BridgeCustodyTest is BridgeTest {
    function test_constructor_setsTokenAndAdmin() public view {
        assertEq(custody.token(), address(token), "token");
        assertEq(custody.balance(), 0, "empty");
        assertEq(custody.defaultAdmin(), custodyAdmin, "admin");
        assertEq(custody.defaultAdminDelay(), 1 days, "admin delay");
        assertEq(custody.BRIDGE_ROLE(), BRIDGE_ROLE, "bridge role id");
        assertTrue(custody.hasRole(BRIDGE_ROLE, address(lock)), "the lock endpoint releases");
    }

    function test_constructor_refusesZeroTokenOrAdmin() public {
        vm.expectRevert(IBridgeCustody.ZeroAddress.selector);
        _deploy(CUSTODY_ARTIFACT, abi.encode(address(0), custodyAdmin, uint48(0)));
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControlDefaultAdminRules.AccessControlInvalidDefaultAdmin.selector, address(0)
            )
        );
        _deploy(CUSTODY_ARTIFACT, abi.encode(address(token), address(0), uint48(0)));
    }

    function test_release_onlyTheBridgeRole() public {
        _sendHome(alice, alice, 300);
        address[4] memory outsiders = [custodyAdmin, stranger, governor, alice];
        for (uint256 i; i < outsiders.length; ++i) {
            vm.prank(outsiders[i]);
            vm.expectRevert(_unauthorized(outsiders[i], BRIDGE_ROLE));
            custody.release(alice, 1);
        }
        assertEq(custody.balance(), 300, "nothing left");
    }

    function test_release_paysUnderTheTokensRules() public {
        _sendHome(alice, alice, 300);
        vm.expectEmit(address(custody));
        emit IBridgeCustody.Released(address(lock), bob, 50);
        vm.prank(address(lock));
        custody.release(bob, 50);
        assertEq(token.balanceOf(bob), START_BALANCE + 50, "paid");
        assertEq(custody.balance(), 250, "balance");

        vm.prank(address(lock));
        vm.expectRevert(_restricted(CODE_INVALID_RECEIVER, RECIPIENT_NOT_REGISTERED));
        custody.release(nobody, 50);
        vm.prank(address(lock));
        vm.expectRevert(IBridgeCustody.ZeroAddress.selector);
        custody.release(address(0), 50);
    }

    function test_replacingTheBridge_keepsCustodyAndMovesTheRole() public {
        _bridgeOut(alice, alice, 500);
        IBridgeEndpoint.Message memory pending = _sendRemote(alice, bob, 100); // addressed to the old lock

        BridgeLock next = _newLock(_setup());
        _onHome();
        vm.prank(governor);
        next.setPeer(REMOTE, address(mint), 64);
        _onRemote();
        vm.prank(governor);
        mint.setPeer(HOME, address(next), 12);
        vm.startPrank(custodyAdmin);
        custody.grantRole(BRIDGE_ROLE, address(next));
        custody.revokeRole(BRIDGE_ROLE, address(lock));
        vm.stopPrank();
        assertEq(custody.balance(), 500, "custody untouched by the replacement");
        assertEq(address(next.custody()), address(custody), "same custody");

        // the old endpoint can no longer release
        bytes[] memory sigs = _attest(pending);
        _onHome();
        vm.expectRevert(_unauthorized(address(lock), BRIDGE_ROLE));
        lock.execute(pending, sigs);

        // the new one releases from the same custody
        _onRemote();
        vm.prank(alice);
        mirror.approve(address(mint), 100);
        vm.prank(alice);
        uint64 nonce = mint.send(HOME, bob, 100);
        IBridgeEndpoint.Message memory m = _message(
            IBridgeEndpoint.Kind.Transfer, REMOTE, HOME, address(mint), address(next), nonce, ISIN, alice, bob, 100
        );
        sigs = _attest(m);
        _onHome();
        next.execute(m, sigs);
        assertEq(token.balanceOf(bob), START_BALANCE + 100, "released by the new endpoint");
        assertEq(custody.balance(), 400, "from the same custody");
    }
}

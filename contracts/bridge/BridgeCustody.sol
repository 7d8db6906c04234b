// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {AccessControlDefaultAdminRules} from
    "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {IBridgeCustody} from "../../interfaces/IBridgeCustody.sol";

/// @title BridgeCustody
/// @notice Holds one instrument's canonical units locked by the home end of the bridge. Not
/// upgradeable, and apart from the bridge logic: replacing or upgrading the bridge never moves
/// the units. Only a holder of the bridge role (the current `BridgeLock`) releases; the admin
/// (the timelock in production; two-step handover) grants and revokes that role.
/// @dev Register this contract as a system account in the investor registry, so that it may
/// hold units without counting as an investor.
/// @custom:security-contact see docs/security.md
contract BridgeCustody is IBridgeCustody, AccessControlDefaultAdminRules {
    using SafeERC20 for IERC20;

    /// @notice Releases units (the current `BridgeLock`).
    bytes32 public constant BRIDGE_ROLE = keccak256("BRIDGE_ROLE");

    IERC20 private immutable _token;

    /// @param token_ The instrument held.
    /// @param admin Grants and revokes the bridge role (the timelock).
    /// @param adminDelay Delay, in seconds, of an admin handover.
    constructor(address token_, address admin, uint48 adminDelay) AccessControlDefaultAdminRules(adminDelay, admin) {
        if (token_ == address(0)) revert ZeroAddress();
        _token = IERC20(token_);
    }

    /// @inheritdoc IBridgeCustody
    function release(address to, uint256 amount) external onlyRole(BRIDGE_ROLE) {
        if (to == address(0)) revert ZeroAddress();
        emit Released(_msgSender(), to, amount);
        _token.safeTransfer(to, amount);
    }

    /// @inheritdoc IBridgeCustody
    function token() external view returns (address) {
        return address(_token);
    }

    /// @inheritdoc IBridgeCustody
    function balance() external view returns (uint256) {
        return _token.balanceOf(address(this));
    }
}

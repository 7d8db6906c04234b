// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ISecurityToken} from "../../interfaces/ISecurityToken.sol";
import {BridgeEndpoint} from "./BridgeEndpoint.sol";

/// @title BridgeMint
/// @notice The remote end of the bridge for one instrument: inbound transfers and refunds mint
/// the mirror token (its rules apply to the recipient); `send` takes the sender's mirror units by
/// an ordinary transfer (rules and freezes apply) and burns them.
/// @dev Holds the mirror token's issuer role and is registered as a system account in the remote
/// investor registry, so that it may receive the units it burns.
/// @custom:security-contact see docs/security.md
contract BridgeMint is BridgeEndpoint {
    using SafeERC20 for IERC20;

    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor() {
        _disableInitializers();
    }

    /// @notice Initialise the endpoint behind its proxy.
    /// @param setup Roles, validators and limits.
    /// @param token_ The mirror instrument (same ISIN as the canonical one).
    function initialize(BridgeSetup calldata setup, address token_) external initializer {
        __BridgeEndpoint_init(setup, token_);
    }

    /// @dev Burn: transfer the units in (the mirror token's rules and freezes apply), then burn them.
    function _take(address from, uint256 amount) internal override {
        address token_ = _endpoint().token;
        IERC20(token_).safeTransferFrom(from, address(this), amount);
        ISecurityToken(token_).burn(address(this), amount);
    }

    /// @dev Mint to the recipient.
    function _deliver(address to, uint256 amount) internal override {
        ISecurityToken(_endpoint().token).mint(to, amount);
    }

    /// @dev What the token says of a mint to `to`.
    function _eligibility(address to, uint256 amount) internal view override returns (bytes1, bytes32) {
        return ISecurityToken(_endpoint().token).canTransfer(address(0), to, amount);
    }
}

// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {IBridgeCustody} from "../../interfaces/IBridgeCustody.sol";
import {ISecurityToken} from "../../interfaces/ISecurityToken.sol";
import {BridgeEndpoint} from "./BridgeEndpoint.sol";

/// @title BridgeLock
/// @notice The home end of the bridge for one instrument: `send` locks the sender's canonical
/// units in a separate `BridgeCustody` (an ordinary transfer, so the token's rules apply);
/// inbound transfers and refunds are released from custody, again under the token's rules.
/// @dev Custody is fixed at initialisation. This endpoint holds no units itself: it only
/// instructs custody, through custody's bridge role, which custody's admin grants and revokes.
/// @custom:security-contact see docs/security.md
contract BridgeLock is BridgeEndpoint {
    using SafeERC20 for IERC20;

    /// @custom:storage-location erc7201:securities-rails.storage.BridgeLock
    struct LockStorage {
        IBridgeCustody custody;
    }

    // keccak256(abi.encode(uint256(keccak256("securities-rails.storage.BridgeLock")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant LOCK_STORAGE_LOCATION = 0x26cd2b7a78bd4e9fe03abeca37c6a9e548c1530335ad91040a600ba957dc9600;

    function _lock() private pure returns (LockStorage storage $) {
        assembly {
            $.slot := LOCK_STORAGE_LOCATION
        }
    }

    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor() {
        _disableInitializers();
    }

    /// @notice Initialise the endpoint behind its proxy.
    /// @param setup Roles, validators and limits.
    /// @param token_ The canonical instrument.
    /// @param custody_ The custody contract holding this instrument's locked units.
    function initialize(BridgeSetup calldata setup, address token_, IBridgeCustody custody_) external initializer {
        if (address(custody_).code.length == 0 || custody_.token() != token_) revert InvalidConfiguration("custody");
        __BridgeEndpoint_init(setup, token_);
        _lock().custody = custody_;
    }

    /// @notice The custody contract holding the locked units.
    function custody() external view returns (IBridgeCustody) {
        return _lock().custody;
    }

    /// @dev Lock: an ordinary transfer from the sender to custody (a registered system account).
    function _take(address from, uint256 amount) internal override {
        IERC20(_endpoint().token).safeTransferFrom(from, address(_lock().custody), amount);
    }

    /// @dev Release from custody.
    function _deliver(address to, uint256 amount) internal override {
        _lock().custody.release(to, amount);
    }

    /// @dev What the token says of a transfer from custody to `to`.
    function _eligibility(address to, uint256 amount) internal view override returns (bytes1, bytes32) {
        return ISecurityToken(_endpoint().token).canTransfer(address(_lock().custody), to, amount);
    }
}

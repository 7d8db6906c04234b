// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {BridgeMint} from "../../../contracts/bridge/BridgeMint.sol";

/// @title BridgeMintV2
/// @notice Test-only upgrade of `BridgeMint`: a new view, and a migration that writes raw storage
/// slots (as a careless migration might), so that the tests can show an upgrade is refused when
/// the configuration it leaves fails `checkConfiguration`.
contract BridgeMintV2 is BridgeMint {
    /// @notice The migration run by `upgradeToAndCall`: `slots[i] := values[i]`.
    function migrate(bytes32[] calldata slots, bytes32[] calldata values) external reinitializer(2) {
        for (uint256 i; i < slots.length; ++i) {
            bytes32 slot = slots[i];
            bytes32 value = values[i];
            assembly {
                sstore(slot, value)
            }
        }
    }

    /// @notice Present only in this version.
    function upgradedVersion() external pure returns (uint256) {
        return 2;
    }
}

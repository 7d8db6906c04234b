// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title IBridgeCustody
/// @notice Holds the canonical units locked by the home end of the bridge, apart from the bridge
/// logic: replacing or upgrading the bridge never moves custody. Only an account holding the
/// bridge role (the current `BridgeLock`) can release units; the admin (behind the timelock)
/// decides which bridge that is. The custody contract is registered as a system account in the
/// investor registry, so it may hold units without counting as an investor.
interface IBridgeCustody {
    /// @notice Units left custody to `to` on the instruction of `bridge`.
    event Released(address indexed bridge, address indexed to, uint256 amount);

    error ZeroAddress();

    /// @notice The instrument held.
    function token() external view returns (address);

    /// @notice Units held now.
    function balance() external view returns (uint256);

    /// @notice Pay `amount` units to `to` (bridge role only). The token's transfer rules apply.
    function release(address to, uint256 amount) external;
}

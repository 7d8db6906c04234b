// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";

/// @title SuiteTimelock
/// @notice OpenZeppelin's TimelockController under a project name, so that `ape run upgrade
/// timelock deploy` can deploy it (ape exposes only contracts defined in the project). Give it the
/// upgrader role on a proxy and upgrades of that proxy go through schedule, delay, execute.
/// @custom:security-contact see docs/security.md
contract SuiteTimelock is TimelockController {
    /// @param minDelay Minimum delay, in seconds, between scheduling and executing an operation.
    /// @param proposers Who may schedule (and cancel) operations.
    /// @param executors Who may execute ready operations (address(0): anyone).
    /// @param admin Optional admin of the timelock's roles (address(0): the timelock itself only).
    constructor(uint256 minDelay, address[] memory proposers, address[] memory executors, address admin)
        TimelockController(minDelay, proposers, executors, admin)
    {}
}

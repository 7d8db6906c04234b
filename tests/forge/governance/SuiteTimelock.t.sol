// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {TestBase} from "../utils/SuiteTest.sol";
import {SuiteTimelock} from "../../../contracts/governance/SuiteTimelock.sol";

/// @notice SuiteTimelock (OpenZeppelin's TimelockController under the project's name): the delay
/// and the proposer, canceller and executor roles are set as deployed.
contract SuiteTimelockTest is TestBase {
    address internal constant PROPOSER = address(0xA11CE);
    address internal constant EXECUTOR = address(0xB0B);

    function test_constructor_setsDelayAndRoles() public {
        address[] memory proposers = new address[](1);
        proposers[0] = PROPOSER;
        address[] memory executors = new address[](1);
        executors[0] = EXECUTOR;
        SuiteTimelock timelock = new SuiteTimelock(2 days, proposers, executors, address(0));
        assertEq(timelock.getMinDelay(), 2 days, "min delay");
        assertTrue(timelock.hasRole(timelock.PROPOSER_ROLE(), PROPOSER), "proposer");
        assertTrue(timelock.hasRole(timelock.CANCELLER_ROLE(), PROPOSER), "canceller");
        assertTrue(timelock.hasRole(timelock.EXECUTOR_ROLE(), EXECUTOR), "executor");
        assertTrue(!timelock.hasRole(timelock.PROPOSER_ROLE(), EXECUTOR), "executor cannot propose");
        assertTrue(timelock.hasRole(timelock.DEFAULT_ADMIN_ROLE(), address(timelock)), "self-admin");
    }
}

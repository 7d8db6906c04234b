// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title Vm
/// @notice The few Forge cheatcodes the suite's Solidity tests use (forge-std is not on npm, so
/// they are declared here). Every one lives at the cheatcode address `VM_ADDRESS`.
interface Vm {
    struct Log {
        bytes32[] topics;
        bytes data;
        address emitter;
    }

    // ------------------------------------------------------------------ callers
    function prank(address msgSender) external;
    function startPrank(address msgSender) external;
    function stopPrank() external;

    // ------------------------------------------------------------------ expectations
    function expectRevert() external;
    function expectRevert(bytes4 revertData) external;
    function expectRevert(bytes calldata revertData) external;
    function expectPartialRevert(bytes4 revertData) external;
    function expectEmit() external;
    function expectEmit(address emitter) external;
    function expectEmit(bool checkTopic1, bool checkTopic2, bool checkTopic3, bool checkData) external;
    function expectEmit(bool checkTopic1, bool checkTopic2, bool checkTopic3, bool checkData, address emitter) external;

    function recordLogs() external;
    function getRecordedLogs() external returns (Log[] memory logs);

    // ------------------------------------------------------------------ environment
    function warp(uint256 newTimestamp) external;
    /// @dev Read the timestamp through the VM: with via-IR, `block.timestamp` may be cached
    /// across a `warp` inside one test function.
    function getBlockTimestamp() external view returns (uint256);
    function load(address target, bytes32 slot) external view returns (bytes32 data);
    /// @dev Creation code of a compiled artifact ("path/File.sol:Contract"), from the current build.
    function getCode(string calldata artifactPath) external view returns (bytes memory creationBytecode);
    function getNonce(address account) external view returns (uint64 nonce);
    function computeCreateAddress(address deployer, uint256 nonce) external pure returns (address);

    // ------------------------------------------------------------------ fuzzing
    function assume(bool condition) external pure;

    // ------------------------------------------------------------------ test control
    function skip(bool skipTest) external;
    function envOr(string calldata name, bool defaultValue) external view returns (bool value);

    // ------------------------------------------------------------------ utilities
    function addr(uint256 privateKey) external pure returns (address);
    function label(address account, string calldata newLabel) external;
    function toString(uint256 value) external pure returns (string memory);
    function toString(int256 value) external pure returns (string memory);
    function toString(address value) external pure returns (string memory);
    function toString(bytes32 value) external pure returns (string memory);
    function toString(bool value) external pure returns (string memory);
    function toString(bytes calldata value) external pure returns (string memory);
}

/// @dev keccak256("hevm cheat code") truncated to 20 bytes.
address constant VM_ADDRESS = 0x7109709ECfa91a80626fF3989D68f67F5b1DD12D;

// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title BaselineERC20
/// @notice A plain OpenZeppelin ERC-20, deployed only by the gas benchmark as the baseline a
/// compliant transfer is compared with. Not part of the suite.
contract BaselineERC20 is ERC20 {
    /// @param supply Units minted to the deployer.
    constructor(uint256 supply) ERC20("Baseline", "BASE") {
        _mint(msg.sender, supply);
    }
}

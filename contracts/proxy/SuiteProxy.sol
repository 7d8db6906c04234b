// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ERC1967Proxy} from "@openzeppelin/contracts/proxy/ERC1967/ERC1967Proxy.sol";

/// @title SuiteProxy
/// @notice OpenZeppelin's ERC1967Proxy, named in this project so that deployment scripts can
/// deploy it (ape exposes only contracts defined in the project). Registry, factory and every
/// instrument sit behind one of these, pointing to a UUPS implementation.
contract SuiteProxy is ERC1967Proxy {
    /// @param implementation The UUPS implementation.
    /// @param data The initialiser call, run in the proxy's constructor (no front-running window).
    constructor(address implementation, bytes memory data) payable ERC1967Proxy(implementation, data) {}
}

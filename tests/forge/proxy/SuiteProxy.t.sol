// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {SuiteTest} from "../utils/SuiteTest.sol";
import {InvestorRegistry} from "../../../contracts/registry/InvestorRegistry.sol";
import {ERC1967Utils} from "@openzeppelin/contracts/proxy/ERC1967/ERC1967Utils.sol";
import {ERC1967Proxy} from "@openzeppelin/contracts/proxy/ERC1967/ERC1967Proxy.sol";

/// @notice SuiteProxy (OpenZeppelin's ERC1967Proxy under the project's name): points at its
/// implementation, runs the initialiser in its constructor, refuses an implementation without
/// code and a deployment without an initialiser.
contract SuiteProxyTest is SuiteTest {
    bytes32 internal constant IMPLEMENTATION_SLOT = 0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc;

    function test_constructor_initialisesThroughTheProxy() public {
        address proxy = _newProxy(
            address(registryImpl),
            abi.encodeCall(InvestorRegistry.initialize, (admin, registryRegistrar, registryUpgrader))
        );
        assertEq(address(uint160(uint256(vm.load(address(proxy), IMPLEMENTATION_SLOT)))), address(registryImpl), "slot");
        assertEq(InvestorRegistry(address(proxy)).defaultAdmin(), admin, "initialised");
    }

    function test_constructor_revertsWithoutInitialiser() public {
        // OpenZeppelin 5.6+: a proxy is never left uninitialised (no front-running window).
        vm.expectRevert(ERC1967Proxy.ERC1967ProxyUninitialized.selector);
        _newProxy(address(registryImpl), "");
        vm.expectRevert(ERC1967Proxy.ERC1967ProxyUninitialized.selector);
        _deploy(PROXY_ARTIFACT, abi.encode(address(registryImpl), bytes("")), 1);
    }

    function test_constructor_revertsOnImplementationWithoutCode() public {
        vm.expectRevert(abi.encodeWithSelector(ERC1967Utils.ERC1967InvalidImplementation.selector, stranger));
        _newProxy(stranger, abi.encodeCall(InvestorRegistry.initialize, (admin, registryRegistrar, registryUpgrader)));
    }
}

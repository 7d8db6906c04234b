// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {SuiteTest} from "../utils/SuiteTest.sol";
import {SecurityToken} from "../../../contracts/token/SecurityToken.sol";
import {SecurityTokenFactory} from "../../../contracts/token/SecurityTokenFactory.sol";
import {ISecurityToken} from "../../../interfaces/ISecurityToken.sol";
import {ISecurityTokenFactory} from "../../../interfaces/ISecurityTokenFactory.sol";
import {IInstrumentErrors} from "../../../interfaces/IInstrumentErrors.sol";
import {IInvestorRegistry} from "../../../interfaces/IInvestorRegistry.sol";
import {
    IAccessControlDefaultAdminRules
} from "@openzeppelin/contracts/access/extensions/IAccessControlDefaultAdminRules.sol";
import {Initializable} from "@openzeppelin/contracts/proxy/utils/Initializable.sol";

/// @notice SecurityTokenFactory: initialisation (every revert branch), instrument creation (one
/// per ISIN, initialised in the same transaction), implementation changes, roles and upgrades.
contract SecurityTokenFactoryTest is SuiteTest {
    bytes32 internal constant IMPLEMENTATION_SLOT = 0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc;

    function _implOf(address proxy) internal view returns (address) {
        return address(uint160(uint256(vm.load(proxy, IMPLEMENTATION_SLOT))));
    }

    function _bond() internal pure returns (ISecurityToken.Instrument memory d) {
        d = _instrument();
        d.isin = "XS2021832634";
        d.cfi = "DBFTFB";
        d.currency = "EUR";
        d.decimals = 2;
        d.maturity = ISSUE_DATE + 3650 days;
    }

    function _deployFactory(address admin_, address creator_, address upgrader_, address impl, address reg)
        internal
        returns (SecurityTokenFactory)
    {
        return SecurityTokenFactory(
            address(
                _newProxy(
                    address(factoryImpl),
                    abi.encodeCall(
                        SecurityTokenFactory.initialize, (admin_, creator_, upgrader_, impl, IInvestorRegistry(reg))
                    )
                )
            )
        );
    }

    // ------------------------------------------------------------------ initialisation

    function test_initialize_setsEverything() public view {
        assertEq(factory.implementation(), address(tokenImpl), "implementation");
        assertEq(factory.registry(), address(registry), "registry");
        assertEq(factory.defaultAdmin(), admin, "admin");
        assertTrue(factory.hasRole(CREATOR_ROLE, creator), "creator");
        assertTrue(factory.hasRole(UPGRADER_ROLE, factoryUpgrader), "upgrader");
        assertEq(factory.CREATOR_ROLE(), CREATOR_ROLE, "creator role");
        assertEq(factory.UPGRADER_ROLE(), UPGRADER_ROLE, "upgrader role");
        assertEq(factory.getRoleAdmin(UPGRADER_ROLE), UPGRADER_ROLE, "upgrader administers itself");
        assertEq(factory.getRoleAdmin(CREATOR_ROLE), DEFAULT_ADMIN_ROLE, "admin administers creators");
        assertEq(_implOf(address(factory)), address(factoryImpl), "factory impl");
    }

    function test_initialize_revertsOnImplementationWithoutCode() public {
        vm.expectRevert(abi.encodeWithSelector(ISecurityTokenFactory.InvalidImplementation.selector, address(0)));
        _deployFactory(admin, creator, factoryUpgrader, address(0), address(registry));
        vm.expectRevert(abi.encodeWithSelector(ISecurityTokenFactory.InvalidImplementation.selector, stranger));
        _deployFactory(admin, creator, factoryUpgrader, stranger, address(registry));
    }

    function test_initialize_revertsOnRegistryWithoutCode() public {
        vm.expectRevert(IInstrumentErrors.InvalidRegistry.selector);
        _deployFactory(admin, creator, factoryUpgrader, address(tokenImpl), stranger);
    }

    function test_initialize_revertsOnZeroRoleHolders() public {
        vm.expectRevert(abi.encodeWithSelector(IInstrumentErrors.InvalidRoleHolder.selector, "creator"));
        _deployFactory(admin, address(0), factoryUpgrader, address(tokenImpl), address(registry));
        vm.expectRevert(abi.encodeWithSelector(IInstrumentErrors.InvalidRoleHolder.selector, "upgrader"));
        _deployFactory(admin, creator, address(0), address(tokenImpl), address(registry));
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControlDefaultAdminRules.AccessControlInvalidDefaultAdmin.selector, address(0)
            )
        );
        _deployFactory(address(0), creator, factoryUpgrader, address(tokenImpl), address(registry));
    }

    function test_initialize_onlyOnce() public {
        vm.expectRevert(Initializable.InvalidInitialization.selector);
        factory.initialize(admin, creator, factoryUpgrader, address(tokenImpl), IInvestorRegistry(address(registry)));
        vm.expectRevert(Initializable.InvalidInitialization.selector);
        factoryImpl.initialize(
            admin, creator, factoryUpgrader, address(tokenImpl), IInvestorRegistry(address(registry))
        );
    }

    // ------------------------------------------------------------------ createInstrument

    function test_createInstrument() public {
        address predicted = vm.computeCreateAddress(address(factory), vm.getNonce(address(factory)));
        vm.expectEmit(true, true, false, true, address(factory));
        emit ISecurityTokenFactory.InstrumentCreated(
            "XS2021832634", predicted, address(tokenImpl), "Acme 2035", "ACME35"
        );
        vm.prank(creator);
        address created = factory.createInstrument("Acme 2035", "ACME35", _bond(), _roles());
        assertEq(created, predicted, "address");
        assertEq(factory.tokenOf("XS2021832634"), created, "tokenOf");
        assertEq(factory.tokenOf("US0378331005"), address(token), "first instrument");
        assertEq(factory.tokenOf("DE000BAY0017"), address(0), "unknown ISIN");
        SecurityToken bond = SecurityToken(created);
        assertEq(_implOf(created), address(tokenImpl), "implementation");
        assertEq(bond.name(), "Acme 2035", "name");
        assertEq(bond.symbol(), "ACME35", "symbol");
        assertEq(uint256(bond.decimals()), 2, "decimals");
        assertEq(address(bond.registry()), address(registry), "factory's registry");
        assertEq(bond.defaultAdmin(), tokenAdmin, "admin");
        assertTrue(bond.hasRole(ISSUER_ROLE, issuer), "issuer");
        // It works: the registry's investors can hold it.
        vm.prank(issuer);
        bond.mint(alice, 10);
        assertEq(bond.balanceOf(alice), 10, "minted");
    }

    function test_createInstrument_revertsOnExistingIsin() public {
        vm.prank(creator);
        vm.expectRevert(
            abi.encodeWithSelector(
                ISecurityTokenFactory.InstrumentExists.selector, bytes12("US0378331005"), address(token)
            )
        );
        factory.createInstrument("Again", "AGN", _instrument(), _roles());
    }

    function test_createInstrument_bubblesInitialiserErrors() public {
        ISecurityToken.Instrument memory d = _bond();
        d.cfi = "ZZZZZZ";
        vm.prank(creator);
        vm.expectRevert(abi.encodeWithSelector(IInstrumentErrors.InvalidInstrument.selector, "cfi"));
        factory.createInstrument("Bad", "BAD", d, _roles());
        ISecurityToken.Roles memory r = _roles();
        r.pauser = address(0);
        vm.prank(creator);
        vm.expectRevert(abi.encodeWithSelector(IInstrumentErrors.InvalidRoleHolder.selector, "pauser"));
        factory.createInstrument("Bad", "BAD", _bond(), r);
        assertEq(factory.tokenOf("XS2021832634"), address(0), "nothing recorded");
    }

    function test_createInstrument_revertsForNonCreator() public {
        vm.prank(admin);
        vm.expectRevert(_unauthorized(admin, CREATOR_ROLE));
        factory.createInstrument("Acme 2035", "ACME35", _bond(), _roles());
    }

    // ------------------------------------------------------------------ setImplementation

    function test_setImplementation_newInstrumentsOnly() public {
        SecurityToken next = _newTokenImpl();
        vm.expectEmit(true, true, false, false, address(factory));
        emit ISecurityTokenFactory.ImplementationChanged(address(tokenImpl), address(next));
        vm.prank(admin);
        factory.setImplementation(address(next));
        assertEq(factory.implementation(), address(next), "implementation");
        vm.prank(creator);
        address created = factory.createInstrument("Acme 2035", "ACME35", _bond(), _roles());
        assertEq(_implOf(created), address(next), "new instrument on the new implementation");
        assertEq(_implOf(address(token)), address(tokenImpl), "existing instrument keeps its own");
    }

    function test_setImplementation_revertsWithoutCode() public {
        vm.prank(admin);
        vm.expectRevert(abi.encodeWithSelector(ISecurityTokenFactory.InvalidImplementation.selector, stranger));
        factory.setImplementation(stranger);
    }

    function test_setImplementation_revertsForNonAdmin() public {
        vm.prank(creator);
        vm.expectRevert(_unauthorized(creator, DEFAULT_ADMIN_ROLE));
        factory.setImplementation(address(tokenImpl));
    }

    // ------------------------------------------------------------------ roles and upgrades

    function test_roles_adminCannotGrantUpgrader() public {
        vm.prank(admin);
        vm.expectRevert(_unauthorized(admin, UPGRADER_ROLE));
        factory.grantRole(UPGRADER_ROLE, admin);
        vm.prank(factoryUpgrader);
        factory.grantRole(UPGRADER_ROLE, stranger);
        assertTrue(factory.hasRole(UPGRADER_ROLE, stranger), "upgrader hands on");
        vm.prank(admin);
        factory.grantRole(CREATOR_ROLE, stranger);
        assertTrue(factory.hasRole(CREATOR_ROLE, stranger), "admin grants creators");
    }

    function test_upgrade_onlyByUpgrader() public {
        SecurityTokenFactory next = _newFactoryImpl();
        vm.prank(admin);
        vm.expectRevert(_unauthorized(admin, UPGRADER_ROLE));
        factory.upgradeToAndCall(address(next), "");
        vm.prank(factoryUpgrader);
        factory.upgradeToAndCall(address(next), "");
        assertEq(_implOf(address(factory)), address(next), "upgraded");
        assertEq(factory.tokenOf("US0378331005"), address(token), "state kept");
        assertEq(factory.implementation(), address(tokenImpl), "token implementation kept");
    }

    // ------------------------------------------------------------------ fuzz

    /// @notice Any valid ISIN gets exactly one instrument; the second creation reverts.
    function testFuzz_createInstrument_onePerIsin(uint256 seed) public {
        bytes12 isin = _validIsin(seed);
        vm.assume(isin != bytes12("US0378331005"));
        ISecurityToken.Instrument memory d = _instrument();
        d.isin = isin;
        vm.prank(creator);
        address created = factory.createInstrument("F", "F", d, _roles());
        assertEq(factory.tokenOf(isin), created, "recorded");
        assertEq(SecurityToken(created).isin(), string(abi.encodePacked(isin)), "isin");
        vm.prank(creator);
        vm.expectRevert(abi.encodeWithSelector(ISecurityTokenFactory.InstrumentExists.selector, isin, created));
        factory.createInstrument("F", "F", d, _roles());
    }

    /// @dev A random body of 2 letters and 9 digits, completed with the check digit found by trial.
    function _validIsin(uint256 seed) internal pure returns (bytes12) {
        bytes memory b = new bytes(12);
        b[0] = bytes1(uint8(0x41 + seed % 26));
        b[1] = bytes1(uint8(0x41 + (seed / 26) % 26));
        for (uint256 i = 2; i < 11; ++i) {
            b[i] = bytes1(uint8(0x30 + (seed >> (8 * i)) % 10));
        }
        // Luhn over the digits of the body, letters expanded (A = 10 ... Z = 35).
        bytes memory digits;
        for (uint256 i; i < 11; ++i) {
            uint8 c = uint8(b[i]);
            if (c >= 0x41) digits = bytes.concat(digits, bytes1((c - 0x37) / 10), bytes1((c - 0x37) % 10));
            else digits = bytes.concat(digits, bytes1(c - 0x30));
        }
        uint256 sum;
        for (uint256 k; k < digits.length; ++k) {
            uint256 d = uint8(digits[digits.length - 1 - k]);
            if (k % 2 == 0) {
                d *= 2;
                if (d > 9) d -= 9;
            }
            sum += d;
        }
        b[11] = bytes1(uint8(0x30 + (10 - sum % 10) % 10));
        return bytes12(b);
    }
}

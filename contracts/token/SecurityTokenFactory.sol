// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {AccessControlDefaultAdminRulesUpgradeable} from
    "@openzeppelin/contracts-upgradeable/access/extensions/AccessControlDefaultAdminRulesUpgradeable.sol";
import {UUPSUpgradeable} from "@openzeppelin/contracts-upgradeable/proxy/utils/UUPSUpgradeable.sol";
import {ERC1967Proxy} from "@openzeppelin/contracts/proxy/ERC1967/ERC1967Proxy.sol";
import {ISecurityToken} from "../../interfaces/ISecurityToken.sol";
import {ISecurityTokenFactory} from "../../interfaces/ISecurityTokenFactory.sol";
import {IInvestorRegistry} from "../../interfaces/IInvestorRegistry.sol";
import {SecurityToken} from "./SecurityToken.sol";

/// @title SecurityTokenFactory
/// @notice Creates instruments: each is an ERC1967 proxy to the shared SecurityToken
/// implementation, initialised in the same transaction, one per ISIN (enforced here).
/// @custom:security-contact see docs/security.md
contract SecurityTokenFactory is ISecurityTokenFactory, AccessControlDefaultAdminRulesUpgradeable, UUPSUpgradeable {
    /// @notice Creates instruments.
    bytes32 public constant CREATOR_ROLE = keccak256("CREATOR_ROLE");
    /// @notice Upgrades the factory implementation; administers itself.
    bytes32 public constant UPGRADER_ROLE = keccak256("UPGRADER_ROLE");

    /// @custom:storage-location erc7201:securities-rails.storage.SecurityTokenFactory
    struct FactoryStorage {
        address implementation;
        IInvestorRegistry registry;
        mapping(bytes12 isin => address) tokens;
    }

    // keccak256(abi.encode(uint256(keccak256("securities-rails.storage.SecurityTokenFactory")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant STORAGE_LOCATION = 0x5c352901270318bb609709aa7d0df897625f10a94f5243656f018095cad17d00;

    function _factory() private pure returns (FactoryStorage storage $) {
        assembly {
            $.slot := STORAGE_LOCATION
        }
    }

    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor() {
        _disableInitializers();
    }

    /// @notice Initialise the factory behind its proxy.
    /// @param admin Governance (two-step handover).
    /// @param creator First holder of the creator role.
    /// @param upgrader First holder of the upgrader role.
    /// @param implementation_ The SecurityToken implementation new instruments use.
    /// @param registry_ The investor registry new instruments read.
    function initialize(
        address admin,
        address creator,
        address upgrader,
        address implementation_,
        IInvestorRegistry registry_
    ) external initializer {
        if (implementation_.code.length == 0) revert InvalidImplementation(implementation_);
        if (address(registry_).code.length == 0) revert InvalidRegistry();
        if (creator == address(0)) revert InvalidRoleHolder("creator");
        if (upgrader == address(0)) revert InvalidRoleHolder("upgrader");
        __AccessControlDefaultAdminRules_init(0, admin);
        _setRoleAdmin(UPGRADER_ROLE, UPGRADER_ROLE);
        _grantRole(CREATOR_ROLE, creator);
        _grantRole(UPGRADER_ROLE, upgrader);
        FactoryStorage storage $ = _factory();
        $.implementation = implementation_;
        $.registry = registry_;
    }

    /// @inheritdoc ISecurityTokenFactory
    function createInstrument(
        string calldata name,
        string calldata symbol,
        ISecurityToken.Instrument calldata data,
        ISecurityToken.Roles calldata roles
    ) external onlyRole(CREATOR_ROLE) returns (address token) {
        FactoryStorage storage $ = _factory();
        address existing = $.tokens[data.isin];
        if (existing != address(0)) revert InstrumentExists(data.isin, existing);
        address impl = $.implementation;
        token = address(
            new ERC1967Proxy(impl, abi.encodeCall(SecurityToken.initialize, (name, symbol, data, roles, $.registry)))
        );
        $.tokens[data.isin] = token;
        emit InstrumentCreated(data.isin, token, impl, name, symbol);
    }

    /// @inheritdoc ISecurityTokenFactory
    function setImplementation(address implementation_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (implementation_.code.length == 0) revert InvalidImplementation(implementation_);
        FactoryStorage storage $ = _factory();
        emit ImplementationChanged($.implementation, implementation_);
        $.implementation = implementation_;
    }

    /// @inheritdoc ISecurityTokenFactory
    function implementation() external view returns (address) {
        return _factory().implementation;
    }

    /// @inheritdoc ISecurityTokenFactory
    function registry() external view returns (address) {
        return address(_factory().registry);
    }

    /// @inheritdoc ISecurityTokenFactory
    function tokenOf(bytes12 isin) external view returns (address) {
        return _factory().tokens[isin];
    }

    function _authorizeUpgrade(address) internal override onlyRole(UPGRADER_ROLE) {}
}

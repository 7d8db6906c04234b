// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {AccessControlDefaultAdminRulesUpgradeable} from
    "@openzeppelin/contracts-upgradeable/access/extensions/AccessControlDefaultAdminRulesUpgradeable.sol";
import {UUPSUpgradeable} from "@openzeppelin/contracts-upgradeable/proxy/utils/UUPSUpgradeable.sol";
import {AccessControlUpgradeable} from "@openzeppelin/contracts-upgradeable/access/AccessControlUpgradeable.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {IInvestorRegistry} from "../../interfaces/IInvestorRegistry.sol";

/// @title InvestorRegistry
/// @notice Investor registry shared by many instruments. Each wallet has one packed record
/// (investor key, country, category, expiry, kind) so that a token reads one slot per party.
/// Investor attributes are copied into each of the investor's wallets; `updateInvestor` rewrites
/// them all (at most MAX_WALLETS_PER_INVESTOR, passed in by the caller and checked on-chain).
/// @dev The investor key is the first 12 bytes of the investor id (itself a hash of the
/// registrar's off-chain id), so no counter or id mapping is written when an investor is added.
/// A removed or replaced wallet is retired, never reused: token balances left in it keep
/// counting for the investor it was bound to.
/// @custom:security-contact see docs/security.md
contract InvestorRegistry is IInvestorRegistry, AccessControlDefaultAdminRulesUpgradeable, UUPSUpgradeable {
    /// @notice Writes investors, wallets and system accounts.
    bytes32 public constant REGISTRAR_ROLE = keccak256("REGISTRAR_ROLE");
    /// @notice Upgrades the registry implementation.
    bytes32 public constant UPGRADER_ROLE = keccak256("UPGRADER_ROLE");
    /// @inheritdoc IInvestorRegistry
    uint8 public constant MAX_WALLETS_PER_INVESTOR = 16;

    /// @dev An investor in one slot: the id is `bytes12(key) ++ idTail`, so only its last 20 bytes
    /// are stored; attributes are shared by all its wallets. `expiry != 0` marks an investor.
    struct Investor {
        bytes20 idTail;
        uint16 country;
        uint8 category;
        uint40 expiry;
        uint8 walletCount;
    }

    /// @custom:storage-location erc7201:securities-rails.storage.InvestorRegistry
    struct RegistryStorage {
        mapping(address wallet => Identity) wallets;
        mapping(uint96 key => Investor) investors;
        mapping(uint8 category => string) categoryLabels;
    }

    // keccak256(abi.encode(uint256(keccak256("securities-rails.storage.InvestorRegistry")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant STORAGE_LOCATION = 0x9b5a6cfd52da164e0d482c7df7433ef0cc128b1e4f675f8be850077655c21b00;

    function _store() private pure returns (RegistryStorage storage $) {
        assembly {
            $.slot := STORAGE_LOCATION
        }
    }

    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor() {
        _disableInitializers();
    }

    /// @notice Initialise the registry behind its proxy.
    /// @param admin Governance (two-step handover, see AccessControlDefaultAdminRules).
    /// @param registrar First holder of the registrar role.
    /// @param upgrader First holder of the upgrader role.
    function initialize(address admin, address registrar, address upgrader) external initializer {
        if (registrar == address(0) || upgrader == address(0)) revert ZeroValue();
        __AccessControlDefaultAdminRules_init(0, admin);
        _grantRole(REGISTRAR_ROLE, registrar);
        _grantRole(UPGRADER_ROLE, upgrader);
        RegistryStorage storage $ = _store();
        _defineCategory($, 1, "retail");
        _defineCategory($, 2, "professional");
        _defineCategory($, 3, "institutional");
    }

    // ------------------------------------------------------------------ writes

    /// @inheritdoc IInvestorRegistry
    function registerInvestor(address wallet, bytes32 investorId, uint16 country, uint8 category, uint40 expiry)
        external
        onlyRole(REGISTRAR_ROLE)
    {
        _register(_store(), wallet, investorId, country, category, expiry);
    }

    /// @inheritdoc IInvestorRegistry
    function registerInvestors(
        address[] calldata wallets,
        bytes32[] calldata investorIds,
        uint16[] calldata countries,
        uint8[] calldata categories,
        uint40[] calldata expiries
    ) external onlyRole(REGISTRAR_ROLE) {
        uint256 n = wallets.length;
        if (
            n == 0 || investorIds.length != n || countries.length != n || categories.length != n
                || expiries.length != n
        ) revert LengthMismatch();
        RegistryStorage storage $ = _store();
        for (uint256 i; i < n; ++i) {
            _register($, wallets[i], investorIds[i], countries[i], categories[i], expiries[i]);
        }
    }

    /// @inheritdoc IInvestorRegistry
    function updateInvestor(
        bytes32 investorId,
        address[] calldata wallets,
        uint16 country,
        uint8 category,
        uint40 expiry
    ) external onlyRole(REGISTRAR_ROLE) {
        RegistryStorage storage $ = _store();
        _checkAttributes($, country, category, expiry);
        uint96 key = investorKey(investorId);
        Investor storage inv = $.investors[key];
        if (!_isInvestor(inv, investorId)) revert UnknownInvestor(investorId);
        if (wallets.length != inv.walletCount) revert WalletListMismatch(investorId);
        address previous = address(0);
        for (uint256 i; i < wallets.length; ++i) {
            address w = wallets[i];
            Identity storage rec = $.wallets[w];
            // Ascending order proves the list has no duplicates; with the count, it is complete.
            if (w <= previous || rec.kind != WalletKind.Investor || rec.investor != key) {
                revert WalletListMismatch(investorId);
            }
            previous = w;
            rec.country = country;
            rec.category = category;
            rec.expiry = expiry;
        }
        inv.country = country;
        inv.category = category;
        inv.expiry = expiry;
        emit InvestorUpdated(investorId, country, category, expiry);
    }

    /// @inheritdoc IInvestorRegistry
    function removeWallet(address wallet) external onlyRole(REGISTRAR_ROLE) {
        RegistryStorage storage $ = _store();
        Identity storage rec = $.wallets[wallet];
        if (rec.kind != WalletKind.Investor) revert WalletNotRegistered(wallet);
        Investor storage inv = $.investors[rec.investor];
        rec.kind = WalletKind.Retired;
        inv.walletCount -= 1;
        emit WalletRemoved(wallet, _idOf(rec.investor, inv));
    }

    /// @inheritdoc IInvestorRegistry
    function recoverWallet(address lostWallet, address newWallet) external onlyRole(REGISTRAR_ROLE) {
        RegistryStorage storage $ = _store();
        Identity memory lost = $.wallets[lostWallet];
        if (lost.kind != WalletKind.Investor) revert WalletNotRegistered(lostWallet);
        if (newWallet == address(0)) revert ZeroValue();
        WalletKind newKind = $.wallets[newWallet].kind;
        if (newKind != WalletKind.None) revert WalletAlreadyRegistered(newWallet, newKind);
        $.wallets[newWallet] = lost;
        $.wallets[lostWallet].kind = WalletKind.Retired;
        emit WalletRecovered(lostWallet, newWallet, _idOf(lost.investor, $.investors[lost.investor]));
    }

    /// @inheritdoc IInvestorRegistry
    function registerSystemAccount(address account, string calldata label) external onlyRole(REGISTRAR_ROLE) {
        if (account == address(0)) revert ZeroValue();
        RegistryStorage storage $ = _store();
        WalletKind kind = $.wallets[account].kind;
        if (kind != WalletKind.None) revert WalletAlreadyRegistered(account, kind);
        $.wallets[account] = Identity({investor: 0, country: 0, category: 0, expiry: 0, kind: WalletKind.System});
        emit SystemAccountRegistered(account, label);
    }

    /// @inheritdoc IInvestorRegistry
    function removeSystemAccount(address account) external onlyRole(REGISTRAR_ROLE) {
        Identity storage rec = _store().wallets[account];
        if (rec.kind != WalletKind.System) revert WalletNotRegistered(account);
        rec.kind = WalletKind.Retired;
        emit SystemAccountRemoved(account);
    }

    /// @inheritdoc IInvestorRegistry
    function defineCategory(uint8 category, string calldata label) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (category == 0 || bytes(label).length == 0) revert UnknownCategory(category);
        _defineCategory(_store(), category, label);
    }

    // ------------------------------------------------------------------ reads

    /// @inheritdoc IInvestorRegistry
    function identityOf(address wallet) external view returns (Identity memory) {
        return _store().wallets[wallet];
    }

    /// @inheritdoc IInvestorRegistry
    function identityPair(address from, address to) external view returns (Identity memory, Identity memory) {
        RegistryStorage storage $ = _store();
        return ($.wallets[from], $.wallets[to]);
    }

    /// @inheritdoc IInvestorRegistry
    function investorIdOf(address wallet) external view returns (bytes32) {
        RegistryStorage storage $ = _store();
        uint96 key = $.wallets[wallet].investor;
        return key == 0 ? bytes32(0) : _idOf(key, $.investors[key]);
    }

    /// @inheritdoc IInvestorRegistry
    function investor(bytes32 investorId)
        external
        view
        returns (uint96 key, uint16 country, uint8 category, uint40 expiry, uint8 walletCount)
    {
        key = investorKey(investorId);
        Investor storage inv = _store().investors[key];
        if (!_isInvestor(inv, investorId)) return (key, 0, 0, 0, 0);
        return (key, inv.country, inv.category, inv.expiry, inv.walletCount);
    }

    /// @inheritdoc IInvestorRegistry
    function investorKey(bytes32 investorId) public pure returns (uint96) {
        return uint96(bytes12(investorId));
    }

    /// @inheritdoc IInvestorRegistry
    function isEligible(address wallet) external view returns (bool) {
        Identity storage rec = _store().wallets[wallet];
        return rec.kind == WalletKind.System || (rec.kind == WalletKind.Investor && rec.expiry > block.timestamp);
    }

    /// @inheritdoc IInvestorRegistry
    function categoryLabel(uint8 category) external view returns (string memory) {
        return _store().categoryLabels[category];
    }

    /// @notice The role that grants and revokes `role`: the upgrader role administers itself, so
    /// the admin cannot grant itself the power to upgrade; the admin administers the others.
    function getRoleAdmin(bytes32 role)
        public
        view
        override(AccessControlUpgradeable, IAccessControl)
        returns (bytes32)
    {
        return role == UPGRADER_ROLE ? UPGRADER_ROLE : super.getRoleAdmin(role);
    }

    // ------------------------------------------------------------------ internals

    function _register(
        RegistryStorage storage $,
        address wallet,
        bytes32 investorId,
        uint16 country,
        uint8 category,
        uint40 expiry
    ) private {
        if (wallet == address(0) || investorId == bytes32(0)) revert ZeroValue();
        WalletKind kind = $.wallets[wallet].kind;
        if (kind != WalletKind.None) revert WalletAlreadyRegistered(wallet, kind);
        _checkAttributes($, country, category, expiry);
        uint96 key = investorKey(investorId);
        if (key == 0) revert ZeroValue(); // key 0 means "no investor" (system accounts) to tokens
        Investor storage inv = $.investors[key];
        if (inv.expiry == 0) {
            $.investors[key] =
                Investor({idTail: bytes20(uint160(uint256(investorId))), country: country, category: category, expiry: expiry, walletCount: 1});
            emit InvestorUpdated(investorId, country, category, expiry);
        } else {
            if (!_isInvestor(inv, investorId)) revert InvestorKeyCollision(investorId, _idOf(key, inv));
            if (inv.country != country || inv.category != category || inv.expiry != expiry) {
                revert InvestorAttributesDiffer(investorId);
            }
            if (inv.walletCount >= MAX_WALLETS_PER_INVESTOR) {
                revert TooManyWallets(investorId, MAX_WALLETS_PER_INVESTOR);
            }
            inv.walletCount += 1;
        }
        $.wallets[wallet] =
            Identity({investor: key, country: country, category: category, expiry: expiry, kind: WalletKind.Investor});
        emit WalletRegistered(wallet, investorId, key);
    }

    function _checkAttributes(RegistryStorage storage $, uint16 country, uint8 category, uint40 expiry)
        private
        view
    {
        if (country == 0 || country > 999) revert InvalidCountry(country);
        // Categories 1-3 are built in; only admin-defined ones cost a storage read.
        if (category == 0 || (category > 3 && bytes($.categoryLabels[category]).length == 0)) {
            revert UnknownCategory(category);
        }
        if (expiry <= block.timestamp) revert ExpiryNotInFuture(expiry);
    }

    function _isInvestor(Investor storage inv, bytes32 investorId) private view returns (bool) {
        return inv.expiry != 0 && inv.idTail == bytes20(uint160(uint256(investorId)));
    }

    function _idOf(uint96 key, Investor storage inv) private view returns (bytes32) {
        return bytes32(uint256(key) << 160 | uint256(uint160(inv.idTail)));
    }

    function _defineCategory(RegistryStorage storage $, uint8 category, string memory label) private {
        $.categoryLabels[category] = label;
        emit CategoryDefined(category, label);
    }

    /// @dev Only the upgrader role upgrades (not the admin).
    function _authorizeUpgrade(address) internal override onlyRole(UPGRADER_ROLE) {}
}

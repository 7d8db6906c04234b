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
/// (investor key, country, category, expiry, kind, multi-wallet flag) so that a token reads one
/// slot per party. Investor attributes are copied into each of the investor's wallets;
/// `updateInvestor` rewrites them all (at most MAX_WALLETS_PER_INVESTOR, passed in by the caller
/// and checked on-chain).
/// @dev The investor key is the first 12 bytes of the investor id (itself a hash of the
/// registrar's off-chain id), so no counter or id mapping is written when an investor is added.
/// A removed or replaced wallet is retired, never reused: token balances left in it keep
/// counting for the investor it was bound to.
///
/// Tokens count holdings per investor. While an investor has had only one wallet, its holding of
/// an instrument is that wallet's balance, and tokens store nothing more. The registry therefore
/// remembers each investor's first wallet, and when a second wallet is linked (registration or
/// recovery) it sets `multiWallet` on the first wallet's record and on every later one: tokens
/// keep a holding record for those investors, started from the first wallet's balance.
/// Registering an investor still writes two slots, because the investor id's last 20 bytes are
/// stored half in the investor's slot and half in its first wallet's record.
/// @custom:security-contact see docs/security.md
contract InvestorRegistry is IInvestorRegistry, AccessControlDefaultAdminRulesUpgradeable, UUPSUpgradeable {
    /// @notice Writes investors, wallets and system accounts.
    bytes32 public constant REGISTRAR_ROLE = keccak256("REGISTRAR_ROLE");
    /// @notice Upgrades the registry implementation.
    bytes32 public constant UPGRADER_ROLE = keccak256("UPGRADER_ROLE");
    /// @inheritdoc IInvestorRegistry
    uint8 public constant MAX_WALLETS_PER_INVESTOR = 16;

    /// @dev An investor in one slot. The id is `bytes12(key) ++ idMiddle ++ idEnd`, with `idEnd` in
    /// the first wallet's record; the attributes live in the wallet records (the first wallet's is
    /// kept current even once retired). `firstWallet != 0` marks an investor.
    struct Investor {
        address firstWallet;
        bytes10 idMiddle;
        uint8 walletCount; // wallets linked now (retired ones excluded)
        bool multiWallet; // has had more than one wallet
    }

    /// @dev A wallet in one slot: its `Identity`, plus, in an investor's first wallet only, the
    /// last 10 bytes of the investor id.
    struct Record {
        uint96 investor;
        uint16 country;
        uint8 category;
        uint40 expiry;
        WalletKind kind;
        bool multiWallet;
        bytes10 idEnd;
    }

    /// @custom:storage-location erc7201:securities-rails.storage.InvestorRegistry
    struct RegistryStorage {
        mapping(address wallet => Record) wallets;
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
        if (!_isInvestor($, inv, investorId)) revert UnknownInvestor(investorId);
        if (wallets.length != inv.walletCount) revert WalletListMismatch(investorId);
        address previous = address(0);
        for (uint256 i; i < wallets.length; ++i) {
            address w = wallets[i];
            Record storage rec = $.wallets[w];
            // Ascending order proves the list has no duplicates; with the count, it is complete.
            if (w <= previous || rec.kind != WalletKind.Investor || rec.investor != key) {
                revert WalletListMismatch(investorId);
            }
            previous = w;
            _writeAttributes(rec, country, category, expiry);
        }
        // The first wallet's record holds the investor's attributes even once it is retired.
        _writeAttributes($.wallets[inv.firstWallet], country, category, expiry);
        emit InvestorUpdated(investorId, country, category, expiry);
    }

    /// @inheritdoc IInvestorRegistry
    function removeWallet(address wallet) external onlyRole(REGISTRAR_ROLE) {
        RegistryStorage storage $ = _store();
        Record storage rec = $.wallets[wallet];
        if (rec.kind != WalletKind.Investor) revert WalletNotRegistered(wallet);
        Investor storage inv = $.investors[rec.investor];
        rec.kind = WalletKind.Retired;
        inv.walletCount -= 1;
        emit WalletRemoved(wallet, _idOf($, rec.investor, inv));
    }

    /// @inheritdoc IInvestorRegistry
    function recoverWallet(address lostWallet, address newWallet) external onlyRole(REGISTRAR_ROLE) {
        RegistryStorage storage $ = _store();
        Record memory lost = $.wallets[lostWallet];
        if (lost.kind != WalletKind.Investor) revert WalletNotRegistered(lostWallet);
        if (newWallet == address(0)) revert ZeroValue();
        WalletKind newKind = $.wallets[newWallet].kind;
        if (newKind != WalletKind.None) revert WalletAlreadyRegistered(newWallet, newKind);
        Investor storage inv = $.investors[lost.investor];
        // Units of instruments not recovered yet stay in the lost wallet: the investor now has two.
        _markMultiWallet($, inv);
        $.wallets[lostWallet].kind = WalletKind.Retired;
        // The new wallet takes the lost one's record (an investor wallet), as a later wallet.
        (lost.multiWallet, lost.idEnd) = (true, bytes10(0));
        $.wallets[newWallet] = lost;
        emit WalletRecovered(lostWallet, newWallet, _idOf($, lost.investor, inv));
    }

    /// @inheritdoc IInvestorRegistry
    function registerSystemAccount(address account, string calldata label) external onlyRole(REGISTRAR_ROLE) {
        if (account == address(0)) revert ZeroValue();
        RegistryStorage storage $ = _store();
        WalletKind kind = $.wallets[account].kind;
        if (kind != WalletKind.None) revert WalletAlreadyRegistered(account, kind);
        $.wallets[account].kind = WalletKind.System;
        emit SystemAccountRegistered(account, label);
    }

    /// @inheritdoc IInvestorRegistry
    function removeSystemAccount(address account) external onlyRole(REGISTRAR_ROLE) {
        Record storage rec = _store().wallets[account];
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
        return _identity(_store().wallets[wallet]);
    }

    /// @inheritdoc IInvestorRegistry
    function identityPair(address from, address to) external view returns (Identity memory, Identity memory) {
        RegistryStorage storage $ = _store();
        return (_identity($.wallets[from]), _identity($.wallets[to]));
    }

    /// @inheritdoc IInvestorRegistry
    function firstWallet(uint96 key) external view returns (address) {
        return _store().investors[key].firstWallet;
    }

    /// @inheritdoc IInvestorRegistry
    function investorIdOf(address wallet) external view returns (bytes32) {
        RegistryStorage storage $ = _store();
        uint96 key = $.wallets[wallet].investor;
        return key == 0 ? bytes32(0) : _idOf($, key, $.investors[key]);
    }

    /// @inheritdoc IInvestorRegistry
    function investor(bytes32 investorId)
        external
        view
        returns (uint96 key, uint16 country, uint8 category, uint40 expiry, uint8 walletCount)
    {
        RegistryStorage storage $ = _store();
        key = investorKey(investorId);
        Investor storage inv = $.investors[key];
        if (!_isInvestor($, inv, investorId)) return (key, 0, 0, 0, 0);
        Record storage first = $.wallets[inv.firstWallet];
        return (key, first.country, first.category, first.expiry, inv.walletCount);
    }

    /// @inheritdoc IInvestorRegistry
    function investorKey(bytes32 investorId) public pure returns (uint96) {
        return uint96(bytes12(investorId));
    }

    /// @inheritdoc IInvestorRegistry
    function isEligible(address wallet) external view returns (bool) {
        Record storage rec = _store().wallets[wallet];
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
        bool isFirst = inv.firstWallet == address(0);
        if (isFirst) {
            $.investors[key] =
                Investor({firstWallet: wallet, idMiddle: bytes10(investorId << 96), walletCount: 1, multiWallet: false});
            emit InvestorUpdated(investorId, country, category, expiry);
        } else {
            if (!_isInvestor($, inv, investorId)) revert InvestorKeyCollision(investorId, _idOf($, key, inv));
            Record storage first = $.wallets[inv.firstWallet];
            if (first.country != country || first.category != category || first.expiry != expiry) {
                revert InvestorAttributesDiffer(investorId);
            }
            if (inv.walletCount >= MAX_WALLETS_PER_INVESTOR) {
                revert TooManyWallets(investorId, MAX_WALLETS_PER_INVESTOR);
            }
            inv.walletCount += 1;
            _markMultiWallet($, inv);
        }
        // The first wallet keeps the id's last 10 bytes; every later one is a multi-wallet's.
        $.wallets[wallet] = Record({
            investor: key,
            country: country,
            category: category,
            expiry: expiry,
            kind: WalletKind.Investor,
            multiWallet: !isFirst,
            idEnd: isFirst ? bytes10(investorId << 176) : bytes10(0)
        });
        emit WalletRegistered(wallet, investorId, key);
    }

    /// @dev The investor gets (or got) a second wallet: from now on tokens keep a holding record
    /// for it, so its first wallet is marked too (every later wallet is marked when written).
    function _markMultiWallet(RegistryStorage storage $, Investor storage inv) private {
        if (!inv.multiWallet) {
            inv.multiWallet = true;
            $.wallets[inv.firstWallet].multiWallet = true;
        }
    }

    function _writeAttributes(Record storage rec, uint16 country, uint8 category, uint40 expiry) private {
        rec.country = country;
        rec.category = category;
        rec.expiry = expiry;
    }

    /// @dev The public part of a wallet record (all but `idEnd`), unpacked from one storage read.
    function _identity(Record storage rec) private view returns (Identity memory id) {
        uint256 word;
        assembly ("memory-safe") {
            word := sload(rec.slot)
        }
        // Record's packing, from the lowest bits: investor 96, country 16, category 8, expiry 40,
        // kind 8, multiWallet 8 (idEnd, the last 80 bits, is not part of the identity).
        id.investor = uint96(word);
        id.country = uint16(word >> 96);
        id.category = uint8(word >> 112);
        id.expiry = uint40(word >> 120);
        id.kind = WalletKind(uint8(word >> 160));
        id.multiWallet = uint8(word >> 168) != 0;
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

    function _isInvestor(RegistryStorage storage $, Investor storage inv, bytes32 investorId)
        private
        view
        returns (bool)
    {
        address first = inv.firstWallet;
        return first != address(0) && inv.idMiddle == bytes10(investorId << 96)
            && $.wallets[first].idEnd == bytes10(investorId << 176);
    }

    function _idOf(RegistryStorage storage $, uint96 key, Investor storage inv) private view returns (bytes32) {
        return bytes32(uint256(key) << 160) | (bytes32(inv.idMiddle) >> 96)
            | (bytes32($.wallets[inv.firstWallet].idEnd) >> 176);
    }

    function _defineCategory(RegistryStorage storage $, uint8 category, string memory label) private {
        $.categoryLabels[category] = label;
        emit CategoryDefined(category, label);
    }

    /// @dev Only the upgrader role upgrades (not the admin).
    function _authorizeUpgrade(address) internal override onlyRole(UPGRADER_ROLE) {}
}

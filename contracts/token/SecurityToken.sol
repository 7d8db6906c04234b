// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ERC20Upgradeable} from "@openzeppelin/contracts-upgradeable/token/ERC20/ERC20Upgradeable.sol";
import {AccessControlDefaultAdminRulesUpgradeable} from
    "@openzeppelin/contracts-upgradeable/access/extensions/AccessControlDefaultAdminRulesUpgradeable.sol";
import {PausableUpgradeable} from "@openzeppelin/contracts-upgradeable/utils/PausableUpgradeable.sol";
import {UUPSUpgradeable} from "@openzeppelin/contracts-upgradeable/proxy/utils/UUPSUpgradeable.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {LowLevelCall} from "@openzeppelin/contracts/utils/LowLevelCall.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {AccessControlUpgradeable} from "@openzeppelin/contracts-upgradeable/access/AccessControlUpgradeable.sol";
import {ISecurityToken} from "../../interfaces/ISecurityToken.sol";
import {IRecordDates} from "../../interfaces/IRecordDates.sol";
import {IInvestorRegistry} from "../../interfaces/IInvestorRegistry.sol";
import {TransferRules} from "../rules/TransferRules.sol";
import {ERC1643Documents} from "./ERC1643Documents.sol";
import {InstrumentIdentifiers} from "./InstrumentIdentifiers.sol";
import {IInstrumentErrors} from "../../interfaces/IInstrumentErrors.sol";

/// @title SecurityToken
/// @notice A tokenised security behind a UUPS proxy: an ERC-20 whose mints and transfers obey the
/// instrument's rules (TransferRules), carrying its ISIN, CFI, issuer LEI and currency, with
/// role-separated powers: admin (governance, rules; two-step handover), issuer (mint, burn,
/// documents), registrar (forced transfer, wallet recovery), enforcer (freezes), pauser, upgrader,
/// corporate-action agent (suspension, redemption, record dates).
/// @dev Pause stops transfers, mints and burns; the registrar's forced transfers and recoveries go
/// on, as they are the tools used during an incident. The upgrader role administers itself, so
/// the admin cannot grant itself the power to upgrade. Lifecycle states (ISecurityToken.
/// LifecycleState) are checked by `_assess` with the rules; every balance change goes through
/// `_commit`, which reports it to the record-date book once a record date has passed.
/// @custom:security-contact see docs/security.md
contract SecurityToken is
    ISecurityToken,
    ERC20Upgradeable,
    AccessControlDefaultAdminRulesUpgradeable,
    PausableUpgradeable,
    UUPSUpgradeable,
    TransferRules,
    ERC1643Documents
{
    /// @notice Mints, burns and manages documents.
    bytes32 public constant ISSUER_ROLE = keccak256("ISSUER_ROLE");
    /// @notice Transfer agent: forced transfers and wallet recovery.
    bytes32 public constant REGISTRAR_ROLE = keccak256("REGISTRAR_ROLE");
    /// @notice Freezes and unfreezes addresses and amounts.
    bytes32 public constant ENFORCER_ROLE = keccak256("ENFORCER_ROLE");
    /// @notice Pauses and unpauses the instrument.
    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");
    /// @notice Upgrades the implementation; administers itself.
    bytes32 public constant UPGRADER_ROLE = keccak256("UPGRADER_ROLE");
    /// @notice Corporate-action agent: suspends and resumes the instrument, marks it redeemed,
    /// and schedules record dates in the record-date book (also granted, by the admin, to the
    /// distribution and redemption contracts).
    bytes32 public constant CORPORATE_ACTION_ROLE = keccak256("CORPORATE_ACTION_ROLE");

    // Lifecycle transitions as bit sets: bit `8 * from + to` (LifecycleState values, Active 0,
    // Issued 1, Suspended 2, Matured 3, Redeemed 4) is set for each transition in the set.
    // TRANSITIONS: Active->Issued, Active->Suspended, Issued->Active, Suspended->Active, and
    // Active/Issued/Suspended/Matured->Redeemed. BY_ISSUER: the placement's two (the others need
    // the corporate-action role). NEED_NO_SUPPLY: opening a placement and redeeming.
    uint256 private constant TRANSITIONS = (1 << 1) | (1 << 2) | (1 << 8) | (1 << 16) | (1 << 4) | (1 << 12)
        | (1 << 20) | (1 << 28);
    uint256 private constant BY_ISSUER = (1 << 1) | (1 << 8);
    uint256 private constant NEED_NO_SUPPLY = (1 << 1) | (1 << 4) | (1 << 12) | (1 << 20) | (1 << 28);

    /// @custom:storage-location erc7201:securities-rails.storage.SecurityToken
    struct TokenStorage {
        Instrument instrument;
        Lifecycle lifecycle; // appended (lifecycle states and record dates)
    }

    /// @dev One slot, read by the hot path only when TransferRules' LIFECYCLE_ON (state, maturity)
    /// or CHECKPOINTS_ON (record dates) bit is set. All zero (an instrument from before lifecycle
    /// states) means Active, no maturity, no book.
    struct Lifecycle {
        IRecordDates recordDates; // the record-date book, or 0
        LifecycleState state; // stored state: Active, Issued, Suspended or Redeemed (never Matured)
        uint40 maturity; // copy of instrument.maturity (0: none), so the hot path reads one slot
        uint40 checkpointsFrom; // timestamp of the first record date (0: none scheduled)
    }

    // keccak256(abi.encode(uint256(keccak256("securities-rails.storage.SecurityToken")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant STORAGE_LOCATION = 0xf110c4924bcd8dbe8bbcf41a2c212c8f5e117b332f9029edfbc82d5c88882c00;

    function _token() private pure returns (TokenStorage storage $) {
        assembly {
            $.slot := STORAGE_LOCATION
        }
    }

    /// @dev The checks `initialize` runs, deployed by this implementation's constructor (an
    /// immutable: part of the code, not of the proxy's storage).
    InstrumentInitCheck private immutable _INIT_CHECK;

    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor() {
        _disableInitializers();
        _INIT_CHECK = new InstrumentInitCheck();
    }

    /// @notice Initialise the instrument behind its proxy (the factory does it at creation).
    /// @param name_ ERC-20 name.
    /// @param symbol_ ERC-20 symbol.
    /// @param data Instrument data, fixed for the life of the instrument.
    /// @param roles First holder of each role.
    /// @param registry_ The investor registry the rules read.
    function initialize(
        string calldata name_,
        string calldata symbol_,
        Instrument calldata data,
        Roles calldata roles,
        IInvestorRegistry registry_
    ) external initializer {
        // The checks take this function's own arguments: the calldata after the selector. Their
        // error (InvalidInstrument, InvalidRegistry, InvalidRoleHolder) is bubbled up as it is.
        bytes memory args = bytes.concat(InstrumentInitCheck.check.selector, msg.data[4:]);
        if (!LowLevelCall.staticcallNoReturn(address(_INIT_CHECK), args)) LowLevelCall.bubbleRevert();
        __ERC20_init(name_, symbol_);
        __AccessControlDefaultAdminRules_init(0, roles.admin);
        __Pausable_init();
        _grantRole(ISSUER_ROLE, roles.issuer);
        _grantRole(REGISTRAR_ROLE, roles.registrar);
        _grantRole(ENFORCER_ROLE, roles.enforcer);
        _grantRole(PAUSER_ROLE, roles.pauser);
        _grantRole(UPGRADER_ROLE, roles.upgrader);
        _token().instrument = data;
        _initRules(registry_);
        if (data.maturity != 0) _storeLifecycle(_token().lifecycle);
    }

    // ------------------------------------------------------------------ instrument data

    /// @inheritdoc ISecurityToken
    function instrument() external view returns (Instrument memory) {
        return _token().instrument;
    }

    /// @inheritdoc ISecurityToken
    function isin() external view returns (string memory) {
        return string(abi.encodePacked(_token().instrument.isin));
    }

    /// @inheritdoc ISecurityToken
    function registry() external view returns (IInvestorRegistry) {
        return _rules().config.registry;
    }

    /// @notice Decimals of the instrument (0 for shares).
    function decimals() public view override(ERC20Upgradeable, IERC20Metadata) returns (uint8) {
        return _token().instrument.decimals;
    }

    // ------------------------------------------------------------------ issuer

    /// @inheritdoc ISecurityToken
    function mint(address to, uint256 amount) external onlyRole(ISSUER_ROLE) {
        _mint(to, amount);
    }

    /// @inheritdoc ISecurityToken
    function batchMint(address[] calldata to, uint256[] calldata amounts) external onlyRole(ISSUER_ROLE) {
        if (to.length == 0 || to.length != amounts.length) revert BatchLengthMismatch();
        for (uint256 i; i < to.length; ++i) {
            _mint(to[i], amounts[i]);
        }
    }

    /// @inheritdoc ISecurityToken
    function burn(address from, uint256 amount) external onlyRole(ISSUER_ROLE) {
        _burn(from, amount);
    }

    /// @inheritdoc ISecurityToken
    function batchBurn(address[] calldata from, uint256[] calldata amounts) external onlyRole(ISSUER_ROLE) {
        if (from.length == 0 || from.length != amounts.length) revert BatchLengthMismatch();
        for (uint256 i; i < from.length; ++i) {
            _burn(from[i], amounts[i]);
        }
    }

    // ------------------------------------------------------------------ registrar

    /// @inheritdoc ISecurityToken
    function forcedTransfer(address from, address to, uint256 amount, string calldata reason)
        external
        onlyRole(REGISTRAR_ROLE)
    {
        if (from == to) revert SameAddress(from);
        if (from == address(0)) revert ERC20InvalidSender(address(0));
        (IInvestorRegistry.Identity memory a, IInvestorRegistry.Identity memory b) =
            _identityPair(from, to);
        if (b.kind != IInvestorRegistry.WalletKind.Investor && b.kind != IInvestorRegistry.WalletKind.System) {
            revert RecipientNotRegistered(to);
        }
        uint256 balance = balanceOf(from);
        if (amount > balance) revert ERC20InsufficientBalance(from, balance, amount);
        _releaseFrozen(from, balance, amount);
        _recordHoldings(from, a, to, b, amount);
        _commit(from, to, amount);
        emit ForcedTransfer(from, to, amount, reason);
    }

    /// @inheritdoc ISecurityToken
    function recoverWallet(address lostWallet, address newWallet) external onlyRole(REGISTRAR_ROLE) {
        if (lostWallet == newWallet) revert SameAddress(lostWallet);
        (IInvestorRegistry.Identity memory lost, IInvestorRegistry.Identity memory fresh) =
            _identityPair(lostWallet, newWallet);
        if (lost.investor == 0 || fresh.kind != IInvestorRegistry.WalletKind.Investor || fresh.investor != lost.investor)
        {
            revert NotSameInvestor(lostWallet, newWallet);
        }
        RulesStorage storage $ = _rules();
        Freeze memory moved = $.freezes[lostWallet];
        if (moved.all || moved.amount != 0) {
            Freeze memory target = $.freezes[newWallet];
            if (target.all || target.amount != 0) $.config.frozenWallets -= 1; // two frozen wallets become one
            delete $.freezes[lostWallet];
            uint256 frozen = uint256(target.amount) + moved.amount; // a clear error, never a panic
            $.freezes[newWallet] = Freeze({all: target.all || moved.all, amount: SafeCast.toUint248(frozen)});
        }
        uint256 amount = balanceOf(lostWallet);
        // Same investor on both sides: its holding and the investor count do not change (its
        // holding record is started if it has none yet).
        _recordHoldings(lostWallet, lost, newWallet, fresh, amount);
        _commit(lostWallet, newWallet, amount);
        emit WalletRecovered(lostWallet, newWallet, amount, moved.amount);
    }

    // ------------------------------------------------------------------ enforcer

    /// @inheritdoc ISecurityToken
    function setAddressFrozen(address wallet, bool frozen) external onlyRole(ENFORCER_ROLE) {
        Freeze memory f = _rules().freezes[wallet];
        f.all = frozen;
        _writeFreeze(wallet, f);
        emit AddressFrozen(wallet, frozen, _msgSender());
    }

    /// @inheritdoc ISecurityToken
    function freezePartialTokens(address wallet, uint256 amount) external onlyRole(ENFORCER_ROLE) {
        Freeze memory f = _rules().freezes[wallet];
        uint256 available = balanceOf(wallet) - f.amount;
        if (amount == 0 || amount > available) revert FreezeAmountInvalid(wallet, amount, available);
        f.amount = SafeCast.toUint248(f.amount + amount); // never truncate: a freeze must hold
        _writeFreeze(wallet, f);
        emit TokensFrozen(wallet, amount);
    }

    /// @inheritdoc ISecurityToken
    function unfreezePartialTokens(address wallet, uint256 amount) external onlyRole(ENFORCER_ROLE) {
        Freeze memory f = _rules().freezes[wallet];
        if (amount == 0 || amount > f.amount) revert FreezeAmountInvalid(wallet, amount, f.amount);
        f.amount -= uint248(amount);
        _writeFreeze(wallet, f);
        emit TokensUnfrozen(wallet, amount);
    }

    /// @inheritdoc ISecurityToken
    function isFrozen(address wallet) external view returns (bool) {
        return _rules().freezes[wallet].all;
    }

    /// @inheritdoc ISecurityToken
    function frozenTokens(address wallet) external view returns (uint256) {
        return _rules().freezes[wallet].amount;
    }

    // ------------------------------------------------------------------ pauser

    /// @inheritdoc ISecurityToken
    function pause() external onlyRole(PAUSER_ROLE) {
        _pause();
        _storeLifecycle(_token().lifecycle); // sets LIFECYCLE_ON, so that `_assess` reads the pause
    }

    /// @inheritdoc ISecurityToken
    function unpause() external onlyRole(PAUSER_ROLE) {
        _unpause();
        _storeLifecycle(_token().lifecycle);
    }

    /// @notice The role that grants and revokes `role`: the upgrader role administers itself,
    /// every other role is administered by the admin.
    /// @dev An override rather than `_setRoleAdmin`, which would cost a storage write per instrument.
    function getRoleAdmin(bytes32 role)
        public
        view
        override(AccessControlUpgradeable, IAccessControl)
        returns (bytes32)
    {
        return role == UPGRADER_ROLE ? UPGRADER_ROLE : super.getRoleAdmin(role);
    }

    // ------------------------------------------------------------------ ERC-165

    /// @notice ERC-165: the interfaces this token implements.
    function supportsInterface(bytes4 interfaceId)
        public
        view
        override(AccessControlDefaultAdminRulesUpgradeable)
        returns (bool)
    {
        return interfaceId == type(ISecurityToken).interfaceId || super.supportsInterface(interfaceId);
    }

    // ------------------------------------------------------------------ lifecycle

    /// @inheritdoc ISecurityToken
    function lifecycleState() public view returns (LifecycleState) {
        return _lifecycleFlags() & LIFECYCLE_ON != 0 ? _lifecycleState() : LifecycleState.Active;
    }

    /// @inheritdoc ISecurityToken
    function setLifecycleState(LifecycleState to) external {
        LifecycleState from = lifecycleState();
        uint256 t = 1 << (uint256(from) * 8 + uint256(to)); // bit of the transition in the tables
        if (t & TRANSITIONS == 0) revert InvalidLifecycleTransition(from, to);
        _checkRole(t & BY_ISSUER != 0 ? ISSUER_ROLE : CORPORATE_ACTION_ROLE);
        uint256 supply = totalSupply();
        if (t & NEED_NO_SUPPLY != 0 && supply > 0) revert UnitsOutstanding(supply);
        Lifecycle memory l = _token().lifecycle;
        l.state = to;
        _storeLifecycle(l);
        emit LifecycleStateChanged(from, to, _msgSender());
    }

    /// @inheritdoc ISecurityToken
    function syncMaturity() external {
        _storeLifecycle(_token().lifecycle);
    }

    /// @inheritdoc ISecurityToken
    function recordDates() external view returns (address) {
        return address(_token().lifecycle.recordDates);
    }

    /// @inheritdoc ISecurityToken
    function setRecordDates(address book) external onlyRole(DEFAULT_ADMIN_ROLE) {
        Lifecycle memory l = _token().lifecycle;
        if (l.checkpointsFrom != 0 || (book != address(0) && book.code.length == 0)) revert RecordDatesLocked(book);
        emit RecordDatesSet(address(l.recordDates), book);
        l.recordDates = IRecordDates(book);
        _storeLifecycle(l);
    }

    /// @inheritdoc ISecurityToken
    function recordDateScheduled(uint40 timestamp) external {
        Lifecycle memory l = _token().lifecycle;
        if (msg.sender != address(l.recordDates)) revert NotRecordDates(msg.sender);
        if (l.checkpointsFrom == 0) {
            l.checkpointsFrom = timestamp;
            _storeLifecycle(l);
            emit CheckpointsFrom(timestamp);
        }
    }

    // ------------------------------------------------------------------ internals

    /// @dev Every mint, burn and ordinary transfer comes here. Mints and transfers pass the rules
    /// (`_assess`, the same code as `canTransfer`); burns only check the pause and release frozen
    /// units when they must.
    function _update(address from, address to, uint256 value) internal override {
        if (to == address(0)) {
            if (paused()) revert TransferRestricted(CODE_FAILURE, TOKEN_PAUSED);
            uint256 balance = balanceOf(from);
            if (value > balance) revert ERC20InsufficientBalance(from, balance, value);
            _releaseFrozen(from, balance, value);
            (IInvestorRegistry.Identity memory idFrom,) = _identityPair(from, from);
            IInvestorRegistry.Identity memory none = IInvestorRegistry.Identity({
                investor: 0,
                country: 0,
                category: 0,
                expiry: 0,
                kind: IInvestorRegistry.WalletKind.None,
                multiWallet: false
            });
            _recordHoldings(from, idFrom, address(0), none, value);
            _commit(from, to, value);
            return;
        }
        (bytes1 code, bytes32 reason, IInvestorRegistry.Identity memory a, IInvestorRegistry.Identity memory b) =
            _assess(from, to, value);
        if (code != CODE_SUCCESS) {
            if (reason == INSUFFICIENT_BALANCE) revert ERC20InsufficientBalance(from, balanceOf(from), value);
            revert TransferRestricted(code, reason);
        }
        _recordHoldings(from, a, to, b, value);
        _commit(from, to, value);
    }

    /// @dev Every balance change (mint, burn, transfer, forced transfer, recovery) ends here: the
    /// ERC-20 update, then, once the instrument's first record date has passed, the record-date
    /// book's hook with the balances after the change (and, for mints and burns, the supply). The
    /// book is called last, after every state write of the operation (checks-effects-interactions).
    function _commit(address from, address to, uint256 value) private {
        ERC20Upgradeable._update(from, to, value);
        if (_lifecycleFlags() & CHECKPOINTS_ON != 0) {
            Lifecycle storage l = _token().lifecycle;
            if (block.timestamp > l.checkpointsFrom) {
                l.recordDates.onBalanceChange(
                    from,
                    to,
                    value,
                    from == address(0) ? 0 : balanceOf(from),
                    to == address(0) ? 0 : balanceOf(to),
                    from == address(0) || to == address(0) ? totalSupply() : 0
                );
            }
        }
    }

    /// @dev Store the lifecycle slot with a copy of the instrument's maturity (fixed for life),
    /// and tell the hot path whether to read it and the pause flag (LIFECYCLE_ON).
    function _storeLifecycle(Lifecycle memory l) private {
        TokenStorage storage $ = _token();
        l.maturity = $.instrument.maturity;
        $.lifecycle = l;
        _setLifecycleFlags(
            (l.state != LifecycleState.Active || l.maturity != 0 || paused() ? LIFECYCLE_ON : 0)
                | (l.checkpointsFrom != 0 ? CHECKPOINTS_ON : 0)
        );
    }

    /// @dev Reads the members it needs from storage (not the whole struct into memory): the hot
    /// path pays one cold storage read.
    function _lifecycleState() private view returns (LifecycleState state) {
        Lifecycle storage l = _token().lifecycle;
        state = l.state;
        uint40 maturity = l.maturity;
        if (state != LifecycleState.Redeemed && maturity != 0 && block.timestamp >= maturity) {
            state = LifecycleState.Matured;
        }
    }

    /// @dev One reason per state: Issued refuses transfers (mints go on), Suspended and Redeemed
    /// refuse both, Matured refuses mints (and, in `_assess`, most transfers).
    function _lifecycleRefusal(bool mint) internal view override returns (bytes32, bool) {
        LifecycleState state = _lifecycleState();
        if (state == LifecycleState.Active) return (OK, false);
        if (state == LifecycleState.Matured) return (mint ? INSTRUMENT_MATURED : OK, true);
        if (state == LifecycleState.Issued) return (mint ? OK : INSTRUMENT_NOT_ACTIVE, false);
        return (state == LifecycleState.Suspended ? INSTRUMENT_SUSPENDED : INSTRUMENT_REDEEMED, false);
    }

    function _isIssuer(address account) internal view override returns (bool) {
        return hasRole(ISSUER_ROLE, account);
    }

    /// @dev When `amount` exceeds the unfrozen balance, unfreeze the difference (forced transfer, burn).
    function _releaseFrozen(address wallet, uint256 balance, uint256 amount) private {
        Freeze memory f = _rules().freezes[wallet];
        uint256 free = balance - f.amount;
        if (amount > free) {
            uint256 released = amount - free;
            f.amount -= uint248(released);
            _writeFreeze(wallet, f);
            emit TokensUnfrozen(wallet, released);
        }
    }

    /// @dev Write a wallet's freeze and keep the count of wallets with any freeze.
    function _writeFreeze(address wallet, Freeze memory f) private {
        RulesStorage storage $ = _rules();
        Freeze memory old = $.freezes[wallet];
        bool was = old.all || old.amount != 0;
        bool is_ = f.all || f.amount != 0;
        if (was && !is_) $.config.frozenWallets -= 1;
        else if (!was && is_) $.config.frozenWallets += 1;
        $.freezes[wallet] = f;
    }

    function _authorizeRulesChange() internal view override {
        _checkRole(DEFAULT_ADMIN_ROLE);
    }

    function _authorizeDocumentChange() internal view override {
        _checkRole(ISSUER_ROLE);
    }

    function _authorizeUpgrade(address) internal override onlyRole(UPGRADER_ROLE) {}

    function _isPaused() internal view override returns (bool) {
        return paused();
    }

    function _balanceOfWallet(address wallet) internal view override returns (uint256) {
        return balanceOf(wallet);
    }
}

/// @title InstrumentInitCheck
/// @notice Every check `SecurityToken.initialize` makes of its arguments, in its order: the
/// instrument data (ISIN check digit, CFI, issuer LEI check digits, currency, decimals <= 18,
/// issue date, maturity after issue: `InvalidInstrument(field)`), the registry (a contract:
/// `InvalidRegistry`), then each role holder, admin first (not zero: `InvalidRoleHolder(role)`).
/// The token and the factory bubble these errors up unchanged.
/// @dev Stateless. Each SecurityToken implementation deploys one in its constructor and calls it
/// (a static call, with `initialize`'s own calldata) once per instrument: code that runs once per
/// instrument is kept out of the token's runtime code, which is close to the EIP-170 size limit.
contract InstrumentInitCheck is IInstrumentErrors {
    using InstrumentIdentifiers for bytes12;

    /// @notice Revert with the first problem of `initialize`'s arguments, in the order above.
    /// @param d The instrument data.
    /// @param roles The first holder of each role.
    /// @param registry_ The investor registry.
    function check(
        string calldata,
        string calldata,
        ISecurityToken.Instrument calldata d,
        ISecurityToken.Roles calldata roles,
        IInvestorRegistry registry_
    ) external view {
        if (!d.isin.isValidIsin()) revert InvalidInstrument("isin");
        if (!InstrumentIdentifiers.isValidCfi(d.cfi)) revert InvalidInstrument("cfi");
        if (!InstrumentIdentifiers.isValidLei(d.issuerLei)) revert InvalidInstrument("issuerLei");
        if (!InstrumentIdentifiers.isValidCurrency(d.currency)) revert InvalidInstrument("currency");
        if (d.decimals > 18) revert InvalidInstrument("decimals");
        if (d.issueDate == 0) revert InvalidInstrument("issueDate");
        if (d.maturity != 0 && d.maturity <= d.issueDate) revert InvalidInstrument("maturity");
        if (address(registry_).code.length == 0) revert InvalidRegistry();
        if (roles.admin == address(0)) revert InvalidRoleHolder("admin");
        if (roles.issuer == address(0)) revert InvalidRoleHolder("issuer");
        if (roles.registrar == address(0)) revert InvalidRoleHolder("registrar");
        if (roles.enforcer == address(0)) revert InvalidRoleHolder("enforcer");
        if (roles.pauser == address(0)) revert InvalidRoleHolder("pauser");
        if (roles.upgrader == address(0)) revert InvalidRoleHolder("upgrader");
    }
}

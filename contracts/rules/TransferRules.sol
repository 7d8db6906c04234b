// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IInvestorRegistry} from "../../interfaces/IInvestorRegistry.sol";
import {ITransferRules} from "../../interfaces/ITransferRules.sol";

/// @title TransferRules
/// @notice The rules engine of one instrument: the always-on identity rule (both parties
/// registered and unexpired) plus the catalogue in `ITransferRules.RuleType`, switched on and off
/// by the instrument's admin. It also counts holdings per investor (all wallets of one investor
/// together), which the investor-count and holding-cap rules need.
/// @dev Inherited by the token so that a compliant transfer pays for no extra contract call: the
/// hot configuration (registry, active rules, lock-up date, limits) is packed into two slots.
/// An investor that has only ever had one wallet (the registry's `multiWallet` flag is off) holds
/// exactly that wallet's balance, so its holding costs no storage of its own; for the others the
/// rules keep a record, started from the first wallet's balance the first time one of the
/// investor's wallets moves units once the investor has several.
/// `canTransfer` and the transfer itself both go through `_assess`, so they cannot disagree. The
/// instrument's lifecycle state (the token's) is part of the same check: right after the pause,
/// zero-address and zero-value checks, one reason per state that refuses (INSTRUMENT_*, 0x50).
abstract contract TransferRules is ITransferRules {
    // ERC-1066 status codes.
    bytes1 internal constant CODE_FAILURE = 0x50;
    bytes1 internal constant CODE_SUCCESS = 0x51;
    bytes1 internal constant CODE_INSUFFICIENT_FUNDS = 0x54;
    bytes1 internal constant CODE_FUNDS_LOCKED = 0x55;
    bytes1 internal constant CODE_INVALID_SENDER = 0x56;
    bytes1 internal constant CODE_INVALID_RECEIVER = 0x57;

    // Reasons: one per rule, so that a user can tell what to fix (catalogue in docs/rules.md).
    bytes32 internal constant OK = "OK";
    bytes32 internal constant TOKEN_PAUSED = "TOKEN_PAUSED";
    bytes32 internal constant SENDER_FROZEN = "SENDER_FROZEN";
    bytes32 internal constant RECIPIENT_FROZEN = "RECIPIENT_FROZEN";
    bytes32 internal constant INSUFFICIENT_BALANCE = "INSUFFICIENT_BALANCE";
    bytes32 internal constant FROZEN_BALANCE = "FROZEN_BALANCE";
    bytes32 internal constant SENDER_NOT_REGISTERED = "SENDER_NOT_REGISTERED";
    bytes32 internal constant SENDER_ELIGIBILITY_EXPIRED = "SENDER_ELIGIBILITY_EXPIRED";
    bytes32 internal constant RECIPIENT_NOT_REGISTERED = "RECIPIENT_NOT_REGISTERED";
    bytes32 internal constant RECIPIENT_ELIGIBILITY_EXPIRED = "RECIPIENT_ELIGIBILITY_EXPIRED";
    bytes32 internal constant INVALID_RECIPIENT = "INVALID_RECIPIENT";
    bytes32 internal constant COUNTRY_NOT_ALLOWED = "COUNTRY_NOT_ALLOWED";
    bytes32 internal constant COUNTRY_DENIED = "COUNTRY_DENIED";
    bytes32 internal constant MAX_INVESTORS_REACHED = "MAX_INVESTORS_REACHED";
    bytes32 internal constant HOLDING_CAP_EXCEEDED = "HOLDING_CAP_EXCEEDED";
    bytes32 internal constant LOCKED_UP = "LOCKED_UP";
    bytes32 internal constant BELOW_MIN_TRANSFER = "BELOW_MIN_TRANSFER";
    // One reason per lifecycle state that refuses (docs/rules.md), all with CODE_FAILURE.
    bytes32 internal constant INSTRUMENT_NOT_ACTIVE = "INSTRUMENT_NOT_ACTIVE"; // Issued: placement
    bytes32 internal constant INSTRUMENT_SUSPENDED = "INSTRUMENT_SUSPENDED";
    bytes32 internal constant INSTRUMENT_MATURED = "INSTRUMENT_MATURED";
    bytes32 internal constant INSTRUMENT_REDEEMED = "INSTRUMENT_REDEEMED";

    /// @dev Bits 6 and 7 of `Config.active` (rule types use bits 0-5), kept in the slot every
    /// transfer already reads, so that an instrument with neither pays no extra storage read.
    /// LIFECYCLE_ON: the instrument is paused, or its lifecycle state is not plain Active (a stored
    /// state, or a maturity date), so `_assess` reads the pause flag and the token's lifecycle
    /// slot. CHECKPOINTS_ON: a record date has been scheduled, so every balance change reads the
    /// lifecycle slot (and, once that record date has passed, calls the record-date book).
    uint8 internal constant LIFECYCLE_ON = 0x80;
    uint8 internal constant CHECKPOINTS_ON = 0x40;

    uint8 private constant ALLOWED = 1;
    uint8 private constant DENIED = 2;

    /// @dev Slot 1 of the hot path. `frozenWallets` counts wallets with any freeze, so that
    /// instruments with none skip the per-wallet freeze reads.
    struct Config {
        IInvestorRegistry registry;
        uint8 active; // bit i set: RuleType(i) is on; bits 6, 7: CHECKPOINTS_ON, LIFECYCLE_ON
        uint40 lockUpUntil;
        uint24 maxInvestors;
        uint24 frozenWallets;
    }

    /// @dev Slot 2 of the hot path.
    struct Limits {
        uint128 minTransfer;
        uint128 holdingCap;
    }

    /// @dev A freeze on one wallet: the whole address, and/or an amount of its balance.
    struct Freeze {
        bool all;
        uint248 amount;
    }

    /// @custom:storage-location erc7201:securities-rails.storage.TransferRules
    struct RulesStorage {
        Config config;
        Limits limits;
        uint256 investorCount;
        mapping(uint16 country => uint8) countries; // ALLOWED | DENIED bits
        // Investors with several wallets only: holding + 1 (0: not recorded yet, see _holding).
        mapping(uint96 investor => uint256) investorBalances;
        mapping(address wallet => Freeze) freezes;
    }

    // keccak256(abi.encode(uint256(keccak256("securities-rails.storage.TransferRules")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant STORAGE_LOCATION = 0x9b74205f6e67ba47abaf69b181ec5eb2efea52133f2247605b390c2c72517c00;

    function _rules() internal pure returns (RulesStorage storage $) {
        assembly {
            $.slot := STORAGE_LOCATION
        }
    }

    /// @dev Set by the token's initialiser.
    function _initRules(IInvestorRegistry registry_) internal {
        _rules().config.registry = registry_;
    }

    /// @dev Access control of rule changes (the token restricts it to its admin).
    function _authorizeRulesChange() internal view virtual;

    /// @dev Whether the instrument is paused (the token's Pausable; pausing also sets LIFECYCLE_ON).
    function _isPaused() internal view virtual returns (bool);

    /// @dev Balance of a wallet (from the token's ERC-20).
    function _balanceOfWallet(address wallet) internal view virtual returns (uint256);

    /// @dev What the lifecycle state (from the token's lifecycle slot, read only when
    /// LIFECYCLE_ON) says of a mint (`mint`) or a transfer: `OK` or the state's reason, and whether
    /// the instrument has matured (a transfer then needs a system sender or the issuer as recipient).
    function _lifecycleRefusal(bool mint) internal view virtual returns (bytes32 refusal, bool matured);

    /// @dev Whether `account` is the issuer (holds the token's issuer role): matured units may
    /// still go to it (a redemption or bridge endpoint that burns them).
    function _isIssuer(address account) internal view virtual returns (bool);

    /// @dev Set LIFECYCLE_ON and CHECKPOINTS_ON to `flags` (the rule bits stay).
    function _setLifecycleFlags(uint8 flags) internal {
        Config storage cfg = _rules().config;
        cfg.active = (cfg.active & ~(LIFECYCLE_ON | CHECKPOINTS_ON)) | flags;
    }

    /// @dev The LIFECYCLE_ON and CHECKPOINTS_ON bits.
    function _lifecycleFlags() internal view returns (uint8) {
        return _rules().config.active & (LIFECYCLE_ON | CHECKPOINTS_ON);
    }

    // ------------------------------------------------------------------ rule administration

    /// @inheritdoc ITransferRules
    function setRule(RuleType ruleType, uint256 value) external {
        _authorizeRulesChange();
        RulesStorage storage $ = _rules();
        if (ruleType == RuleType.CountryAllowList || ruleType == RuleType.CountryDenyList) {
            if (value != 1) revert InvalidRuleValue(ruleType, value);
        } else if (ruleType == RuleType.MaxInvestors) {
            if (value == 0 || value > type(uint24).max) revert InvalidRuleValue(ruleType, value);
            $.config.maxInvestors = uint24(value);
        } else if (ruleType == RuleType.HoldingCap) {
            if (value == 0 || value > type(uint128).max) revert InvalidRuleValue(ruleType, value);
            $.limits.holdingCap = uint128(value);
        } else if (ruleType == RuleType.LockUp) {
            if (value == 0 || value > type(uint40).max) revert InvalidRuleValue(ruleType, value);
            $.config.lockUpUntil = uint40(value);
        } else {
            if (value == 0 || value > type(uint128).max) revert InvalidRuleValue(ruleType, value);
            $.limits.minTransfer = uint128(value);
        }
        $.config.active |= uint8(1 << uint8(ruleType));
        emit RuleSet(ruleType, value);
    }

    /// @inheritdoc ITransferRules
    function removeRule(RuleType ruleType) external {
        _authorizeRulesChange();
        RulesStorage storage $ = _rules();
        uint8 bit = uint8(1 << uint8(ruleType));
        if ($.config.active & bit == 0) revert RuleNotActive(ruleType);
        $.config.active &= ~bit;
        emit RuleRemoved(ruleType);
    }

    /// @inheritdoc ITransferRules
    function setCountries(RuleType list, uint16[] calldata countries, bool listed) external {
        _authorizeRulesChange();
        if (list != RuleType.CountryAllowList && list != RuleType.CountryDenyList) revert NotACountryList(list);
        uint8 bit = list == RuleType.CountryAllowList ? ALLOWED : DENIED;
        mapping(uint16 => uint8) storage flags = _rules().countries;
        for (uint256 i; i < countries.length; ++i) {
            uint16 c = countries[i];
            if (c == 0 || c > 999) revert InvalidRuleValue(list, c);
            flags[c] = listed ? flags[c] | bit : flags[c] & ~bit;
        }
        emit CountriesSet(list, countries, listed);
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc ITransferRules
    function rule(RuleType ruleType) external view returns (bool active, uint256 value) {
        RulesStorage storage $ = _rules();
        active = $.config.active & uint8(1 << uint8(ruleType)) != 0;
        if (ruleType == RuleType.MaxInvestors) value = $.config.maxInvestors;
        else if (ruleType == RuleType.HoldingCap) value = $.limits.holdingCap;
        else if (ruleType == RuleType.LockUp) value = $.config.lockUpUntil;
        else if (ruleType == RuleType.MinTransfer) value = $.limits.minTransfer;
        else value = active ? 1 : 0;
    }

    /// @inheritdoc ITransferRules
    function countryListed(RuleType list, uint16 country) external view returns (bool) {
        if (list != RuleType.CountryAllowList && list != RuleType.CountryDenyList) revert NotACountryList(list);
        return _rules().countries[country] & (list == RuleType.CountryAllowList ? ALLOWED : DENIED) != 0;
    }

    /// @inheritdoc ITransferRules
    function investorCount() external view returns (uint256) {
        return _rules().investorCount;
    }

    /// @inheritdoc ITransferRules
    function investorBalance(uint96 investor) external view returns (uint256) {
        // Read as for a multi-wallet investor: its record, or else its first wallet's balance
        // (the zero address, holding nothing, for an unknown investor).
        return investor == 0 ? 0 : _investorHolding(investor);
    }

    /// @inheritdoc ITransferRules
    function canTransfer(address from, address to, uint256 amount) external view returns (bytes1 code, bytes32 reason) {
        (code, reason,,) = _assess(from, to, amount);
    }

    // ------------------------------------------------------------------ the check

    /// @dev The one check behind every mint and ordinary transfer, and behind `canTransfer`.
    /// `from == 0` is a mint (sender checks skipped, lock-up and minimum size do not apply).
    /// Returns the identities it read, so that the holding update need not read them again.
    function _assess(address from, address to, uint256 amount)
        internal
        view
        returns (bytes1, bytes32, IInvestorRegistry.Identity memory idFrom, IInvestorRegistry.Identity memory idTo)
    {
        RulesStorage storage $ = _rules();
        Config memory cfg = $.config;
        // The pause sets LIFECYCLE_ON: an instrument neither paused nor in a lifecycle state
        // other than Active reads no slot for it.
        if (cfg.active & LIFECYCLE_ON != 0 && _isPaused()) return (CODE_FAILURE, TOKEN_PAUSED, idFrom, idTo);
        if (to == address(0)) return (CODE_INVALID_RECEIVER, INVALID_RECIPIENT, idFrom, idTo);
        // Zero-value transfers move nothing: as in ERC-20 they succeed (and emit Transfer).
        if (amount == 0) return (CODE_SUCCESS, OK, idFrom, idTo);
        bool anyFrozen = cfg.frozenWallets != 0;
        bool matured = false;
        if (cfg.active & LIFECYCLE_ON != 0) {
            (bytes32 refusal, bool hasMatured) = _lifecycleRefusal(from == address(0));
            if (refusal != OK) return (CODE_FAILURE, refusal, idFrom, idTo);
            matured = hasMatured;
        }

        if (from == address(0)) {
            (, idTo) = _identityPair(to, to); // a mint: idFrom stays empty
        } else {
            (idFrom, idTo) = _identityPair(from, to);
            // Matured: units only leave system accounts (custody, escrow bringing them home) or
            // go to the issuer (who burns them); no other transfer.
            if (matured && idFrom.kind != IInvestorRegistry.WalletKind.System && !_isIssuer(to)) {
                return (CODE_FAILURE, INSTRUMENT_MATURED, idFrom, idTo);
            }
            uint256 balance = _balanceOfWallet(from);
            if (amount > balance) return (CODE_INSUFFICIENT_FUNDS, INSUFFICIENT_BALANCE, idFrom, idTo);
            if (anyFrozen) {
                Freeze memory f = $.freezes[from];
                if (f.all) return (CODE_FUNDS_LOCKED, SENDER_FROZEN, idFrom, idTo);
                if (amount > balance - f.amount) return (CODE_FUNDS_LOCKED, FROZEN_BALANCE, idFrom, idTo);
            }
            if (idFrom.kind == IInvestorRegistry.WalletKind.Investor) {
                if (idFrom.expiry <= block.timestamp) {
                    return (CODE_INVALID_SENDER, SENDER_ELIGIBILITY_EXPIRED, idFrom, idTo);
                }
            } else if (idFrom.kind != IInvestorRegistry.WalletKind.System) {
                return (CODE_INVALID_SENDER, SENDER_NOT_REGISTERED, idFrom, idTo);
            }
            if (_on(cfg, RuleType.LockUp) && block.timestamp < cfg.lockUpUntil) {
                return (CODE_FUNDS_LOCKED, LOCKED_UP, idFrom, idTo);
            }
            if (_on(cfg, RuleType.MinTransfer) && amount < $.limits.minTransfer) {
                return (CODE_FAILURE, BELOW_MIN_TRANSFER, idFrom, idTo);
            }
        }

        if (anyFrozen && $.freezes[to].all) return (CODE_INVALID_RECEIVER, RECIPIENT_FROZEN, idFrom, idTo);
        // System accounts (escrow, custody) hold for others: no investor rules apply to them.
        if (idTo.kind == IInvestorRegistry.WalletKind.System) return (CODE_SUCCESS, OK, idFrom, idTo);
        if (idTo.kind != IInvestorRegistry.WalletKind.Investor) {
            return (CODE_INVALID_RECEIVER, RECIPIENT_NOT_REGISTERED, idFrom, idTo);
        }
        if (idTo.expiry <= block.timestamp) {
            return (CODE_INVALID_RECEIVER, RECIPIENT_ELIGIBILITY_EXPIRED, idFrom, idTo);
        }
        if (_on(cfg, RuleType.CountryAllowList) || _on(cfg, RuleType.CountryDenyList)) {
            uint8 flags = $.countries[idTo.country];
            if (_on(cfg, RuleType.CountryAllowList) && flags & ALLOWED == 0) {
                return (CODE_INVALID_RECEIVER, COUNTRY_NOT_ALLOWED, idFrom, idTo);
            }
            if (_on(cfg, RuleType.CountryDenyList) && flags & DENIED != 0) {
                return (CODE_INVALID_RECEIVER, COUNTRY_DENIED, idFrom, idTo);
            }
        }
        // Between two wallets of one investor, its holding and the investor count do not change.
        if (idFrom.investor == idTo.investor) return (CODE_SUCCESS, OK, idFrom, idTo);
        bytes32 refusal = _holdingRefusal(cfg, from, idFrom, to, idTo, amount);
        if (refusal != OK) return (CODE_INVALID_RECEIVER, refusal, idFrom, idTo);
        return (CODE_SUCCESS, OK, idFrom, idTo);
    }

    /// @dev The last checks of `_assess`, between two investors: the holding cap and the maximum
    /// number of investors (`OK`, `HOLDING_CAP_EXCEEDED` or `MAX_INVESTORS_REACHED`).
    function _holdingRefusal(
        Config memory cfg,
        address from,
        IInvestorRegistry.Identity memory idFrom,
        address to,
        IInvestorRegistry.Identity memory idTo,
        uint256 amount
    ) private view returns (bytes32) {
        bool capOn = _on(cfg, RuleType.HoldingCap);
        bool maxOn = _on(cfg, RuleType.MaxInvestors);
        if (!capOn && !maxOn) return OK;
        RulesStorage storage $ = _rules();
        uint256 held = _holding(to, idTo);
        if (capOn && held + amount > $.limits.holdingCap) return HOLDING_CAP_EXCEEDED;
        if (maxOn && held == 0 && $.investorCount >= cfg.maxInvestors) {
            // A new investor may join when the sender's investor leaves by this transfer.
            bool senderLeaves = idFrom.investor != 0 && _holding(from, idFrom) == amount;
            if (!senderLeaves || $.investorCount > cfg.maxInvestors) return MAX_INVESTORS_REACHED;
        }
        return OK;
    }

    /// @dev Units held now by the investor behind `wallet` (identity `id`, not a system account),
    /// before the movement being checked or recorded. An investor that has only had one wallet
    /// holds its balance; a multi-wallet investor not recorded yet holds its first wallet's balance
    /// (no other wallet of it can have received units: the first movement of any of them records it).
    function _holding(address wallet, IInvestorRegistry.Identity memory id) internal view returns (uint256) {
        return id.multiWallet ? _investorHolding(id.investor) : _balanceOfWallet(wallet);
    }

    /// @dev A multi-wallet investor's holding: its record, or its first wallet's balance.
    function _investorHolding(uint96 investor) private view returns (uint256) {
        RulesStorage storage $ = _rules();
        uint256 recorded = $.investorBalances[investor];
        return recorded != 0 ? recorded - 1 : _balanceOfWallet($.config.registry.firstWallet(investor));
    }

    /// @dev The registry records of two wallets: the token's one call site of the registry's
    /// getter (for mints and burns, twice the same wallet: the second read is a warm one).
    function _identityPair(address a, address b)
        internal
        view
        returns (IInvestorRegistry.Identity memory, IInvestorRegistry.Identity memory)
    {
        return _rules().config.registry.identityPair(a, b);
    }

    /// @dev Move `amount` from the investor behind `from` to the investor behind `to` and keep the
    /// investor count; called before the balances change. Investor key 0 (mint, burn, system
    /// accounts) holds nothing.
    function _recordHoldings(
        address from,
        IInvestorRegistry.Identity memory idFrom,
        address to,
        IInvestorRegistry.Identity memory idTo,
        uint256 amount
    ) internal {
        if (amount == 0) return;
        RulesStorage storage $ = _rules();
        if (idFrom.investor == idTo.investor) {
            // The holding stays, but it may stop being the first wallet's balance: record it first.
            if (idFrom.investor != 0 && (idFrom.multiWallet || idTo.multiWallet)) {
                if ($.investorBalances[idFrom.investor] == 0) {
                    $.investorBalances[idFrom.investor] = _holding(from, idFrom) + 1;
                }
            }
            return;
        }
        if (idFrom.investor != 0) {
            uint256 remaining = _holding(from, idFrom) - amount;
            if (idFrom.multiWallet) $.investorBalances[idFrom.investor] = remaining + 1;
            if (remaining == 0) $.investorCount -= 1;
        }
        if (idTo.investor != 0) {
            uint256 held = _holding(to, idTo);
            if (idTo.multiWallet) $.investorBalances[idTo.investor] = held + amount + 1;
            if (held == 0) $.investorCount += 1;
        }
    }

    function _on(Config memory cfg, RuleType ruleType) private pure returns (bool) {
        return cfg.active & uint8(1 << uint8(ruleType)) != 0;
    }
}

// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {AccessControlDefaultAdminRulesUpgradeable} from
    "@openzeppelin/contracts-upgradeable/access/extensions/AccessControlDefaultAdminRulesUpgradeable.sol";
import {UUPSUpgradeable} from "@openzeppelin/contracts-upgradeable/proxy/utils/UUPSUpgradeable.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IRedemption} from "../../interfaces/IRedemption.sol";
import {ISecurityToken} from "../../interfaces/ISecurityToken.sol";
import {ICashToken} from "../../interfaces/ICashToken.sol";
import {IInvestorRegistry} from "../../interfaces/IInvestorRegistry.sol";
import {IRecordDates} from "../../interfaces/IRecordDates.sol";

/// @title Redemption
/// @notice Redemption of units against cash, full at maturity or pro rata at a record date (see
/// `IRedemption`): each redeemed unit is burned through the token's `burn` in the transaction
/// that pays for it, so units burned and cash paid always match (`floor(units * price /
/// 10^decimals)`). No loop runs over all holders: holders redeem, or the agent redeems batches of
/// at most 100.
/// @dev Behind a UUPS proxy, state in an ERC-7201 namespace; one per chain, serving every
/// instrument. Roles here: the admin (two-step handover) administers roles; the upgrader upgrades
/// and administers itself. Powers over a redemption come from the instrument's own roles, read
/// with `hasRole` on the token: `CORPORATE_ACTION_ROLE` announces and redeems batches,
/// `REGISTRAR_ROLE` releases held units. The instrument's admin grants this contract the token's
/// `ISSUER_ROLE` (to burn) and `CORPORATE_ACTION_ROLE` (to schedule pro-rata record dates, and
/// to mark the instrument `Redeemed` once a redemption has burned its last unit). Every
/// state-changing entry point is `nonReentrant` (transient storage) and writes all its state
/// before its first call that can change state (burns, then cash transfers). Fee-on-transfer
/// cash tokens are refused at funding. Values that depend on the time or on balances are
/// compared without `==` (Slither's strict-equality check).
/// @custom:security-contact see docs/security.md
contract Redemption is IRedemption, AccessControlDefaultAdminRulesUpgradeable, UUPSUpgradeable, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @notice Upgrades the implementation; administers itself.
    bytes32 public constant UPGRADER_ROLE = keccak256("UPGRADER_ROLE");

    /// @inheritdoc IRedemption
    uint256 public constant MAX_BATCH = 100;
    /// @inheritdoc IRedemption
    uint256 public constant MAX_REFERENCE_LENGTH = 35;
    /// @inheritdoc IRedemption
    uint256 public constant MAX_PERIOD = 3650 days;

    /// @dev The instrument's roles (SecurityToken).
    bytes32 internal constant CORPORATE_ACTION_ROLE = keccak256("CORPORATE_ACTION_ROLE");
    bytes32 internal constant REGISTRAR_ROLE = keccak256("REGISTRAR_ROLE");
    bytes32 internal constant ISSUER_ROLE = keccak256("ISSUER_ROLE");

    // Why a holder is held, or passed over by a batch.
    bytes32 internal constant HOLDER_FROZEN = "HOLDER_FROZEN";
    bytes32 internal constant UNITS_FROZEN = "UNITS_FROZEN";
    bytes32 internal constant SYSTEM_ACCOUNT = "SYSTEM_ACCOUNT";
    bytes32 internal constant NOT_REGISTERED = "NOT_REGISTERED";
    bytes32 internal constant ELIGIBILITY_EXPIRED = "ELIGIBILITY_EXPIRED";
    bytes32 internal constant ALREADY_REDEEMED = "ALREADY_REDEEMED";
    bytes32 internal constant NOTHING_TO_REDEEM = "NOTHING_TO_REDEEM";
    bytes32 internal constant INSUFFICIENT_UNITS = "INSUFFICIENT_UNITS";
    bytes32 internal constant PERIOD_OVER = "PERIOD_OVER";
    /// @dev Not a refusal: the holder's units were recorded as held.
    bytes32 internal constant HELD = "HELD";

    /// @custom:storage-location erc7201:securities-rails.storage.Redemption
    struct RedemptionStorage {
        uint256 count;
        mapping(uint256 id => Redemption) redemptions;
        mapping(uint256 id => mapping(address holder => Entry)) entries;
    }

    // keccak256(abi.encode(uint256(keccak256("securities-rails.storage.Redemption")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant STORAGE_LOCATION = 0x47bc499a88f56f7171df8d3d30d5d0c392c1fe5db2d9f7facf59a0d56a7d5f00;

    function _store() private pure returns (RedemptionStorage storage $) {
        assembly {
            $.slot := STORAGE_LOCATION
        }
    }

    /// @dev What one call reads once.
    struct Context {
        uint256 id;
        ISecurityToken token;
        IInvestorRegistry registry;
        Kind kind;
        bool open; // between the start date and the deadline
        uint256 price;
        uint256 scale; // 10^tokenDecimals
        uint256 numerator;
        uint256 denominator;
        IRecordDates book;
        uint256 recordDateId;
        string ref;
    }

    /// @dev What one call adds up before writing it once.
    struct Totals {
        uint256 units;
        uint256 paid;
        uint256 reservedIn;
        uint256 reservedOut;
        uint256 heldIn;
        uint256 heldOut;
    }

    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor() {
        _disableInitializers();
    }

    /// @notice Initialise the contract behind its proxy.
    /// @param admin Administers the roles (two-step handover, `adminDelay` seconds).
    /// @param adminDelay Delay of an admin handover.
    /// @param upgrader First upgrader.
    function initialize(address admin, uint48 adminDelay, address upgrader) external initializer {
        if (upgrader == address(0)) revert InvalidConfiguration("upgrader");
        __AccessControlDefaultAdminRules_init(adminDelay, admin);
        _setRoleAdmin(UPGRADER_ROLE, UPGRADER_ROLE);
        _grantRole(UPGRADER_ROLE, upgrader);
    }

    // ------------------------------------------------------------------ actions

    /// @inheritdoc IRedemption
    function announce(Terms calldata terms, string calldata eventRef) external nonReentrant returns (uint256 id) {
        ISecurityToken.Instrument memory instrument = _checkTerms(terms, eventRef);
        uint256 price = terms.pricePerUnit;
        if (price == 0) price = _nominalPrice(terms.cashToken, instrument);
        (IRecordDates book, uint256 recordDateId, bool schedule) = _proRataRecordDate(terms);
        id = ++_store().count;
        _record(id, terms, instrument.decimals, price, book, recordDateId, eventRef);
        emit RedemptionAnnounced(
            id, address(terms.token), address(terms.cashToken), terms, price, recordDateId, msg.sender, eventRef
        );
        if (schedule && book.scheduleRecordDate(address(terms.token), terms.recordDate) != recordDateId) {
            revert InvalidConfiguration("recordDateId");
        }
    }

    /// @inheritdoc IRedemption
    function fund(uint256 id) external nonReentrant returns (uint256 amount) {
        Redemption storage r = _load(id);
        if (block.timestamp >= r.deadline) revert RedemptionPeriodOver(id, r.deadline);
        uint256 need = _required(r, id);
        uint256 funded = r.funded;
        if (funded >= need) revert AlreadyFunded(id);
        amount = need - funded;
        r.funded = need;
        emit RedemptionFunded(id, msg.sender, amount, need, r.eventRef);
        IERC20 cashToken = r.cashToken;
        uint256 before = cashToken.balanceOf(address(this));
        cashToken.safeTransferFrom(msg.sender, address(this), amount);
        uint256 balance = cashToken.balanceOf(address(this));
        if (balance < before + amount) {
            revert DepositShortfall(address(cashToken), amount, balance > before ? balance - before : 0);
        }
    }

    /// @inheritdoc IRedemption
    function redeem(uint256 id) external nonReentrant returns (uint256 units, uint256 payment) {
        Redemption storage r = _load(id);
        Context memory c = _context(r, id);
        Entry storage e = _store().entries[id][msg.sender];
        if (e.status != Status.Held) _requireOpen(r, c);
        Totals memory t = Totals(0, 0, 0, 0, 0, 0);
        bytes32 reason = 0;
        (units, payment, reason) = _process(c, t, e, msg.sender);
        if (reason != 0 && reason != HELD) _refuse(c, msg.sender, reason, units);
        _apply(r, t);
        if (reason != HELD) {
            _settle(c, r.cashToken, msg.sender, units, payment);
            _closeIfRedeemed(c.token);
        } else {
            (units, payment) = (0, 0);
        }
    }

    /// @inheritdoc IRedemption
    /// @dev Two passes: every holder's record, the totals and the events first, then the burns and
    /// transfers, so that no state is written after a call that can change state. Holders in
    /// strictly ascending order, so that a holder's balance is read once per batch.
    function redeemFor(uint256 id, address[] calldata holders) external nonReentrant returns (uint256, uint256) {
        Redemption storage r = _load(id);
        Context memory c = _context(r, id);
        if (!_hasRole(c.token, CORPORATE_ACTION_ROLE, msg.sender)) {
            revert NotCorporateActionAgent(address(c.token), msg.sender);
        }
        uint256 n = holders.length;
        if (n == 0 || n > MAX_BATCH) revert InvalidBatch(n, MAX_BATCH);
        if (c.open || block.timestamp < r.startDate) _requireOpen(r, c);
        Totals memory t = Totals(0, 0, 0, 0, 0, 0);
        uint256[] memory burned = new uint256[](n);
        uint256[] memory paid = new uint256[](n);
        address previous = address(0);
        for (uint256 i; i < n; ++i) {
            address holder = holders[i];
            if (holder <= previous) revert InvalidBatch(n, MAX_BATCH);
            previous = holder;
            (burned[i], paid[i]) = _batchOne(c, t, holder);
        }
        _apply(r, t);
        IERC20 cashToken = r.cashToken;
        for (uint256 i; i < n; ++i) {
            if (burned[i] != 0) _settle(c, cashToken, holders[i], burned[i], paid[i]);
        }
        _closeIfRedeemed(c.token);
        return (t.units, t.paid);
    }

    /// @inheritdoc IRedemption
    function release(uint256 id, address holder, address to) external nonReentrant {
        Redemption storage r = _load(id);
        ISecurityToken token = r.token;
        if (!_hasRole(token, REGISTRAR_ROLE, msg.sender)) revert NotInstrumentRegistrar(address(token), msg.sender);
        Entry storage e = _store().entries[id][holder];
        if (e.status != Status.Held) revert NotHeld(id, holder);
        IInvestorRegistry registry = token.registry();
        IInvestorRegistry.Identity memory source = registry.identityOf(holder);
        IInvestorRegistry.Identity memory target = registry.identityOf(to);
        if (
            to == holder || target.kind != IInvestorRegistry.WalletKind.Investor || target.expiry <= block.timestamp
                || target.investor != source.investor || token.isFrozen(to)
        ) revert InvalidReleaseRecipient(id, to);
        uint256 units = e.units;
        uint256 balance = token.balanceOf(holder);
        if (balance < units) revert InsufficientUnits(id, holder, units);
        uint256 payment = Math.mulDiv(units, r.price, 10 ** r.tokenDecimals);
        e.status = Status.Redeemed;
        r.reserved -= payment;
        r.unitsHeld -= units;
        r.paid += payment;
        r.unitsRedeemed += units;
        emit HeldRedemptionReleased(id, holder, to, units, payment, r.eventRef);
        token.burn(holder, units);
        r.cashToken.safeTransfer(to, payment);
        _closeIfRedeemed(token);
    }

    /// @inheritdoc IRedemption
    function sweep(uint256 id) external nonReentrant returns (uint256 amount) {
        Redemption storage r = _load(id);
        if (block.timestamp < r.deadline) revert RedemptionPeriodNotOver(id, r.deadline);
        amount = r.funded - r.paid - r.reserved - r.swept;
        if (amount < 1) revert NothingToSweep(id);
        r.swept += amount;
        address to = r.issuer;
        emit RedemptionSwept(id, to, amount, r.eventRef);
        r.cashToken.safeTransfer(to, amount);
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc IRedemption
    function redemptionCount() external view returns (uint256) {
        return _store().count;
    }

    /// @inheritdoc IRedemption
    function redemption(uint256 id) external view returns (Redemption memory) {
        return _load(id);
    }

    /// @inheritdoc IRedemption
    function entry(uint256 id, address holder) external view returns (Entry memory) {
        return _store().entries[id][holder];
    }

    /// @inheritdoc IRedemption
    function redeemable(uint256 id, address holder) external view returns (uint256 units, uint256 payment) {
        Redemption storage r = _load(id);
        Context memory c = _context(r, id);
        Entry storage e = _store().entries[id][holder];
        if (e.status == Status.Held) {
            units = e.units;
        } else if (c.kind != Kind.ProRata) {
            units = c.token.balanceOf(holder);
        } else {
            if (block.timestamp <= r.recordDate) revert RecordDateNotPassed(id, r.recordDate);
            if (e.status == Status.None) units = _proRataUnits(c, holder);
        }
        payment = _cash(c, units);
    }

    /// @inheritdoc IRedemption
    function required(uint256 id) external view returns (uint256) {
        return _required(_load(id), id);
    }

    /// @inheritdoc IRedemption
    function unused(uint256 id) external view returns (uint256) {
        Redemption storage r = _load(id);
        return r.funded - r.paid - r.reserved - r.swept;
    }

    /// @notice ERC-165: the interfaces this contract implements.
    function supportsInterface(bytes4 interfaceId) public view override returns (bool) {
        return interfaceId == type(IRedemption).interfaceId || super.supportsInterface(interfaceId);
    }

    // ------------------------------------------------------------------ internals

    /// @dev One holder of a batch: the units to burn and the cash to pay, or (0, 0) when held or
    /// passed over (with the reason in an event).
    function _batchOne(Context memory c, Totals memory t, address holder) private returns (uint256, uint256) {
        (uint256 units, uint256 payment, bytes32 reason) = _process(c, t, _store().entries[c.id][holder], holder);
        if (reason != 0) {
            if (reason != HELD) emit RedemptionSkipped(c.id, holder, reason, c.ref);
            return (0, 0);
        }
        return (units, payment);
    }

    /// @dev Store a new redemption.
    function _record(
        uint256 id,
        Terms calldata terms,
        uint8 decimals,
        uint256 price,
        IRecordDates book,
        uint256 recordDateId,
        string calldata eventRef
    ) private {
        Redemption storage r = _store().redemptions[id];
        r.token = terms.token;
        r.recordDate = terms.recordDate;
        r.startDate = terms.startDate;
        r.kind = terms.kind;
        r.cashToken = terms.cashToken;
        r.deadline = terms.deadline;
        r.tokenDecimals = decimals;
        r.recordDates = book;
        r.recordDateId = uint64(recordDateId);
        r.issuer = msg.sender;
        r.price = price;
        if (terms.kind == Kind.ProRata) {
            r.numerator = terms.numerator;
            r.denominator = terms.denominator;
        }
        r.eventRef = eventRef;
    }

    /// @dev For a pro-rata redemption, the token's book and the record date's id (to schedule, or
    /// shared with the token's last record date); nothing for a full one.
    function _proRataRecordDate(Terms calldata terms)
        private
        view
        returns (IRecordDates book, uint256 recordDateId, bool schedule)
    {
        if (terms.kind != Kind.ProRata) return (IRecordDates(address(0)), 0, false);
        book = IRecordDates(terms.token.recordDates());
        if (address(book) == address(0)) revert NoRecordDateBook(address(terms.token));
        (recordDateId, schedule) = _recordDateId(book, terms.token, terms.recordDate);
    }

    /// @dev All the announcement's checks: parties, dates, reference, roles; returns the instrument.
    function _checkTerms(Terms calldata terms, string calldata eventRef)
        private
        view
        returns (ISecurityToken.Instrument memory instrument)
    {
        instrument = _checkParties(terms);
        _checkDates(terms, instrument.maturity);
        uint256 length = bytes(eventRef).length;
        if (length == 0 || length > MAX_REFERENCE_LENGTH) revert InvalidTerms("reference");
        ISecurityToken token = terms.token;
        if (!_hasRole(token, CORPORATE_ACTION_ROLE, msg.sender)) {
            revert NotCorporateActionAgent(address(token), msg.sender);
        }
        if (!_hasRole(token, ISSUER_ROLE, address(this))) revert MissingInstrumentRole(address(token), ISSUER_ROLE);
        if (!_hasRole(token, CORPORATE_ACTION_ROLE, address(this))) {
            revert MissingInstrumentRole(address(token), CORPORATE_ACTION_ROLE);
        }
    }

    function _load(uint256 id) private view returns (Redemption storage r) {
        r = _store().redemptions[id];
        if (address(r.token) == address(0)) revert UnknownRedemption(id);
    }

    function _context(Redemption storage r, uint256 id) private view returns (Context memory c) {
        c.id = id;
        c.token = r.token;
        c.registry = c.token.registry();
        c.kind = r.kind;
        c.open = block.timestamp >= r.startDate && block.timestamp < r.deadline;
        c.price = r.price;
        c.scale = 10 ** r.tokenDecimals;
        c.numerator = r.numerator;
        c.denominator = r.denominator;
        c.book = r.recordDates;
        c.recordDateId = r.recordDateId;
        c.ref = r.eventRef;
    }

    /// @dev Redemption is open and fully funded (else a clear error).
    function _requireOpen(Redemption storage r, Context memory c) private view {
        if (block.timestamp < r.startDate) revert RedemptionNotStarted(c.id, r.startDate);
        if (block.timestamp >= r.deadline) revert RedemptionPeriodOver(c.id, r.deadline);
        uint256 need = _required(r, c.id);
        uint256 funded = r.funded;
        if (funded < need) revert Underfunded(c.id, need, funded);
    }

    /// @dev One holder: held units are redeemed when the wallet is eligible again; otherwise (open
    /// redemption only) the units due are redeemed, or held when the wallet cannot be. Writes the
    /// holder's record, adds to `t`, emits; burns and pays nothing. `reason` is 0 when the units
    /// are to be burned and paid, HELD when they were recorded as held, else why nothing happened
    /// (`units` then being the units due, for INSUFFICIENT_UNITS).
    function _process(Context memory c, Totals memory t, Entry storage e, address holder)
        private
        returns (uint256 units, uint256 payment, bytes32 reason)
    {
        Status s = e.status;
        if (s == Status.Held) return _processHeld(c, t, e, holder);
        if (s != Status.None && c.kind != Kind.Full) return (0, 0, ALREADY_REDEEMED); // Redeemed, pro rata
        if (!c.open) return (0, 0, PERIOD_OVER);
        uint256 balance = c.token.balanceOf(holder);
        units = c.kind != Kind.ProRata ? balance : _proRataUnits(c, holder);
        if (units < 1) return (0, 0, NOTHING_TO_REDEEM);
        reason = _ineligibility(c, holder);
        if (reason != 0) {
            if (reason != SYSTEM_ACCOUNT) return _hold(c, t, e, holder, units, reason);
            return (0, 0, reason);
        }
        if (balance < units) return (units, 0, INSUFFICIENT_UNITS);
        payment = _cash(c, units);
        e.status = Status.Redeemed;
        e.units = SafeCast.toUint248(units);
        _count(c, t, holder, units, payment);
    }

    /// @dev `_process` for held units: redeemed, exactly, once the wallet is eligible again.
    function _processHeld(Context memory c, Totals memory t, Entry storage e, address holder)
        private
        returns (uint256 units, uint256 payment, bytes32 reason)
    {
        reason = _ineligibility(c, holder);
        if (reason != 0) return (0, 0, reason);
        units = e.units;
        if (c.token.balanceOf(holder) < units) return (units, 0, INSUFFICIENT_UNITS);
        payment = _cash(c, units);
        t.reservedOut += payment;
        t.heldOut += units;
        e.status = Status.Redeemed;
        _count(c, t, holder, units, payment);
    }

    /// @dev Add a redemption to the call's totals and log it.
    function _count(Context memory c, Totals memory t, address holder, uint256 units, uint256 payment) private {
        t.units += units;
        t.paid += payment;
        emit UnitsRedeemed(c.id, holder, units, payment, c.ref);
    }

    /// @dev Record `units` of `holder` (and their cash) as held, for `reason`.
    function _hold(Context memory c, Totals memory t, Entry storage e, address holder, uint256 units, bytes32 reason)
        private
        returns (uint256, uint256, bytes32)
    {
        uint256 payment = _cash(c, units);
        e.status = Status.Held;
        e.units = SafeCast.toUint248(units);
        t.reservedIn += payment;
        t.heldIn += units;
        emit RedemptionHeld(c.id, holder, units, payment, reason, c.ref);
        return (0, 0, HELD);
    }

    /// @dev Revert with the error matching a `_process` refusal.
    function _refuse(Context memory c, address holder, bytes32 reason, uint256 units) private pure {
        if (reason != ALREADY_REDEEMED) {
            if (reason != NOTHING_TO_REDEEM) {
                if (reason != INSUFFICIENT_UNITS) revert HolderNotEligible(c.id, holder, reason);
                revert InsufficientUnits(c.id, holder, units);
            }
            revert NothingToRedeem(c.id, holder);
        }
        revert AlreadyRedeemed(c.id, holder);
    }

    function _apply(Redemption storage r, Totals memory t) private {
        r.paid += t.paid;
        r.unitsRedeemed += t.units;
        r.reserved = r.reserved + t.reservedIn - t.reservedOut;
        r.unitsHeld = r.unitsHeld + t.heldIn - t.heldOut;
    }

    /// @dev Burn, then pay (state already written).
    function _settle(Context memory c, IERC20 cashToken, address holder, uint256 units, uint256 payment) private {
        c.token.burn(holder, units);
        if (payment != 0) cashToken.safeTransfer(holder, payment);
    }

    /// @dev Once the last unit is burned, mark the instrument `Redeemed` (the token allows it to
    /// its corporate-action agent with a zero supply). Best effort: if this contract lost that
    /// role, the redemption stands and the agent marks the instrument itself.
    function _closeIfRedeemed(ISecurityToken token) private {
        if (token.totalSupply() != 0) return;
        if (token.lifecycleState() != ISecurityToken.LifecycleState.Redeemed) {
            try token.setLifecycleState(ISecurityToken.LifecycleState.Redeemed) {} catch {}
        }
    }

    function _required(Redemption storage r, uint256 id) private view returns (uint256) {
        uint256 scale = 10 ** r.tokenDecimals;
        ISecurityToken token = r.token;
        if (r.kind == Kind.Full) return r.paid + Math.mulDiv(token.totalSupply(), r.price, scale);
        if (block.timestamp <= r.recordDate) revert RecordDateNotPassed(id, r.recordDate);
        uint256 supply = r.recordDates.totalSupplyAt(address(token), r.recordDateId);
        return Math.mulDiv(Math.mulDiv(supply, r.numerator, r.denominator), r.price, scale);
    }

    function _proRataUnits(Context memory c, address holder) private view returns (uint256) {
        uint256 balance = c.book.balanceAt(address(c.token), holder, c.recordDateId);
        return Math.mulDiv(balance, c.numerator, c.denominator);
    }

    function _cash(Context memory c, uint256 units) private pure returns (uint256) {
        return Math.mulDiv(units, c.price, c.scale);
    }

    /// @dev Why `holder` cannot be redeemed now (0: it can).
    function _ineligibility(Context memory c, address holder) private view returns (bytes32) {
        if (c.token.isFrozen(holder)) return HOLDER_FROZEN;
        if (c.token.frozenTokens(holder) != 0) return UNITS_FROZEN;
        IInvestorRegistry.Identity memory who = c.registry.identityOf(holder);
        if (who.kind != IInvestorRegistry.WalletKind.Investor) {
            return who.kind != IInvestorRegistry.WalletKind.System ? NOT_REGISTERED : SYSTEM_ACCOUNT;
        }
        if (who.expiry <= block.timestamp) return ELIGIBILITY_EXPIRED;
        return 0;
    }

    /// @dev The nominal value (18 decimals) in the cash token's decimals, exactly; the cash token
    /// must be in the instrument's currency when it says which (`ICashToken.currency`).
    function _nominalPrice(IERC20 cashToken, ISecurityToken.Instrument memory instrument)
        private
        view
        returns (uint256 price)
    {
        try ICashToken(address(cashToken)).currency() returns (bytes3 currency) {
            if (currency != instrument.currency) revert InvalidTerms("cashToken");
        } catch {}
        uint256 nominal = instrument.nominalPerUnit;
        uint8 cashDecimals = IERC20Metadata(address(cashToken)).decimals();
        if (cashDecimals >= 18) {
            price = nominal * 10 ** (cashDecimals - 18);
        } else {
            uint256 unit = 10 ** (18 - cashDecimals);
            if (nominal % unit != 0) revert InvalidTerms("price");
            price = nominal / unit;
        }
        if (price == 0) revert InvalidTerms("price");
    }

    /// @dev The id `recordDate` has or will have in the book (shared with the token's last record
    /// date when it is the same timestamp).
    function _recordDateId(IRecordDates book, ISecurityToken token, uint40 recordDate)
        private
        view
        returns (uint256 recordDateId, bool schedule)
    {
        uint256 n = book.recordDateCount(address(token));
        if (n != 0 && book.recordDateOf(address(token), n) == recordDate) return (n, false);
        return (n + 1, true);
    }

    function _hasRole(ISecurityToken token, bytes32 role, address account) private view returns (bool) {
        return IAccessControl(address(token)).hasRole(role, account);
    }

    function _checkParties(Terms calldata terms) private view returns (ISecurityToken.Instrument memory) {
        address token = address(terms.token);
        if (token.code.length == 0) revert InvalidTerms("token");
        address cashToken = address(terms.cashToken);
        if (cashToken.code.length == 0 || cashToken == token) revert InvalidTerms("cashToken");
        return terms.token.instrument();
    }

    function _checkDates(Terms calldata terms, uint40 maturity) private view {
        uint40 start = terms.startDate;
        if (terms.kind == Kind.Full) {
            if (maturity == 0) revert InvalidTerms("kind");
            if (terms.recordDate != 0) revert InvalidTerms("recordDate");
            if (start < maturity) revert InvalidTerms("startDate");
        } else {
            if (terms.numerator == 0 || terms.numerator > terms.denominator) revert InvalidTerms("fraction");
            uint40 recordDate = terms.recordDate;
            if (recordDate <= block.timestamp || recordDate > block.timestamp + MAX_PERIOD) {
                revert InvalidTerms("recordDate");
            }
            if (start <= recordDate) revert InvalidTerms("startDate");
        }
        uint40 deadline = terms.deadline;
        if (deadline <= start || deadline <= block.timestamp || deadline > uint256(start) + MAX_PERIOD) {
            revert InvalidTerms("deadline");
        }
    }

    function _authorizeUpgrade(address) internal override onlyRole(UPGRADER_ROLE) {}
}

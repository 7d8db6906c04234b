// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {AccessControlDefaultAdminRulesUpgradeable} from
    "@openzeppelin/contracts-upgradeable/access/extensions/AccessControlDefaultAdminRulesUpgradeable.sol";
import {UUPSUpgradeable} from "@openzeppelin/contracts-upgradeable/proxy/utils/UUPSUpgradeable.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {ISplits} from "../../interfaces/ISplits.sol";
import {ISecurityToken} from "../../interfaces/ISecurityToken.sol";
import {IInvestorRegistry} from "../../interfaces/IInvestorRegistry.sol";
import {IRecordDates} from "../../interfaces/IRecordDates.sol";

/// @title Splits
/// @notice Splits and consolidations of a security token's units at a record date (see `ISplits`
/// for the lifecycle, the formulas, held units and rounding): new units are minted to each holder
/// (split) or the surplus burned from it (consolidation) through the token's `mint` and `burn`,
/// from its balance at the record date in the token's record-date book
/// (`IRecordDates.balanceAt`). No loop ever runs over all holders: a holder claims, or the agent
/// applies batches of at most 100 holders.
///
/// Cost (the documented alternative to a balance multiplier inside the token, for which the
/// token has no bytecode room): one mint or burn per holder, each writing the holder's entry
/// here, its balance, its investor's holding and its record-date checkpoint. Measured by
/// tests/forge/lifecycle/SplitsGas.t.sol (whole transactions, cold storage, optimiser on):
/// `applyTo` of a 2:1 split to 100 holders about 11.7M gas (about 117k per holder), of a 1:10
/// consolidation about 11.4M (about 114k per holder), a holder's own `claim` about 273k (the
/// first balance change after the record date, which also writes the supply's checkpoint and
/// moves the book's cursor). 10,000 holders are 100 batches, about 1.17 billion gas
/// for a split (the gas of 39 full 30M blocks), each batch well under a block's gas limit.
/// @dev Behind a UUPS proxy, state in an ERC-7201 namespace; one per chain, serving every
/// instrument. Roles here: the admin (two-step handover) administers roles and has no power over
/// splits; the upgrader upgrades and administers itself. Powers over a split come from the
/// instrument's own roles, read with `hasRole` on the token: its `CORPORATE_ACTION_ROLE`
/// announces and applies batches, its `REGISTRAR_ROLE` releases held units. The token's admin
/// grants this contract the token's `CORPORATE_ACTION_ROLE` (it schedules the record date in the
/// book, which checks that role on its caller) and `ISSUER_ROLE` (it mints and burns), and points
/// the token to its record-date book. Every state-changing entry point is `nonReentrant`
/// (transient storage); for each holder the checks (views: book, registry, transfer rules) come
/// first, then its record and the totals are written and the event emitted, then the token's
/// mint or burn is called last: the stored state is consistent at every external call that can
/// change state. Holders are processed one after the other, so that the transfer rules checked
/// for a holder see the mints of the holders before it (holding cap, investor count) and a mint
/// found acceptable is never refused. Values that depend on the time or on balances are
/// compared without `==` (Slither's strict-equality check).
/// @custom:security-contact see docs/security.md
contract Splits is ISplits, AccessControlDefaultAdminRulesUpgradeable, UUPSUpgradeable, ReentrancyGuardTransient {
    /// @notice Upgrades the implementation; administers itself.
    bytes32 public constant UPGRADER_ROLE = keccak256("UPGRADER_ROLE");

    /// @inheritdoc ISplits
    uint256 public constant MAX_BATCH = 100;
    /// @inheritdoc ISplits
    uint256 public constant MAX_REFERENCE_LENGTH = 35;
    /// @inheritdoc ISplits
    uint256 public constant MAX_PERIOD = 3650 days;
    /// @inheritdoc ISplits
    uint256 public constant MAX_RATIO_TERM = 1_000_000;

    /// @dev The instrument's roles (SecurityToken).
    bytes32 internal constant CORPORATE_ACTION_ROLE = keccak256("CORPORATE_ACTION_ROLE");
    bytes32 internal constant REGISTRAR_ROLE = keccak256("REGISTRAR_ROLE");
    bytes32 internal constant ISSUER_ROLE = keccak256("ISSUER_ROLE");

    /// @dev The token's answer to a transfer it allows (TransferRules, ERC-1066).
    bytes1 internal constant CODE_SUCCESS = 0x51;

    // Why a holder is passed over by a batch (a held split's reason is the token's refusal).
    bytes32 internal constant SYSTEM_ACCOUNT = "SYSTEM_ACCOUNT";
    bytes32 internal constant ALREADY_APPLIED = "ALREADY_APPLIED";
    bytes32 internal constant RELEASED = "RELEASED";
    bytes32 internal constant NOTHING_DUE = "NOTHING_DUE";
    bytes32 internal constant PERIOD_OVER = "PERIOD_OVER";
    bytes32 internal constant INSUFFICIENT_UNITS = "INSUFFICIENT_UNITS";
    /// @dev Not a refusal: the holder's units were recorded as held.
    bytes32 internal constant HELD = "HELD";

    /// @custom:storage-location erc7201:securities-rails.storage.Splits
    struct SplitsStorage {
        uint256 count;
        mapping(uint256 id => Split) splits;
        mapping(uint256 id => mapping(address holder => Entry)) entries;
        mapping(address token => uint256 id) latest; // the token's last split or consolidation
    }

    // keccak256(abi.encode(uint256(keccak256("securities-rails.storage.Splits")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant STORAGE_LOCATION = 0x2a275d6c221971a233b7aae61d8af654c19383bddb953a10ee30a6499dca1c00;

    function _store() private pure returns (SplitsStorage storage $) {
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
        bool open; // before the deadline
        uint40 deadline;
        uint256 numerator;
        uint256 denominator;
        IRecordDates book;
        uint256 recordDateId;
        string ref;
    }

    /// @dev The wallet whose held units are released.
    struct Source {
        ISecurityToken token;
        IInvestorRegistry registry;
        address holder;
        uint96 investor;
        bool system;
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

    /// @inheritdoc ISplits
    /// @dev A consolidation is announced only while the instrument is Suspended, so that nothing
    /// moves units between the announcement, the record date and the burns (the agent keeps it
    /// suspended until every holder is applied). Refuses a record date at or before the deadline
    /// of the token's previous split or consolidation: a holder applied by both would otherwise
    /// get the second ratio on a balance that the first may or may not have changed yet.
    function announce(Terms calldata terms, string calldata eventRef) external nonReentrant returns (uint256 id) {
        ISecurityToken token = terms.token;
        _checkTerms(terms, eventRef);
        _checkRoles(token);
        IRecordDates book = _checkInstrument(terms);
        (uint256 recordDateId, bool schedule) = _recordDateId(book, token, terms.recordDate);
        SplitsStorage storage $ = _store();
        id = ++$.count;
        $.latest[address(token)] = id;
        _record(id, terms, book, recordDateId, eventRef);
        emit SplitAnnounced(id, address(token), terms.kind, terms, recordDateId, msg.sender, eventRef);
        if (schedule && book.scheduleRecordDate(address(token), terms.recordDate) != recordDateId) {
            revert InvalidConfiguration("recordDateId");
        }
    }

    /// @inheritdoc ISplits
    /// @dev One holder after the other: its checks, then its record, the totals and its event,
    /// then its mint or burn. A consolidation requires the instrument Suspended at every batch.
    function applyTo(uint256 id, address[] calldata holders) external nonReentrant returns (uint256 units) {
        Split storage s = _load(id);
        Context memory c = _context(s, id);
        if (!_hasRole(c.token, CORPORATE_ACTION_ROLE, msg.sender)) {
            revert NotCorporateActionAgent(address(c.token), msg.sender);
        }
        uint256 n = holders.length;
        if (n == 0 || n > MAX_BATCH) revert InvalidBatch(n, MAX_BATCH);
        _requireApplicable(s, c);
        mapping(address holder => Entry) storage entries = _store().entries[id];
        address previous = address(0);
        units = 0;
        for (uint256 i; i < n; ++i) {
            address holder = holders[i];
            if (holder <= previous) revert InvalidBatch(n, MAX_BATCH);
            previous = holder;
            (uint256 due, bytes32 reason) = _process(c, s, entries[holder], holder);
            if (reason != 0) {
                if (reason != HELD) emit SplitSkipped(id, holder, reason, c.ref);
            } else {
                units += due;
                _move(c, holder, due);
            }
        }
    }

    /// @inheritdoc ISplits
    function claim(uint256 id) external nonReentrant returns (uint256 units) {
        Split storage s = _load(id);
        Context memory c = _context(s, id);
        _requireApplicable(s, c);
        bytes32 reason = 0;
        (units, reason) = _process(c, s, _store().entries[id][msg.sender], msg.sender);
        if (reason != 0) {
            if (reason != HELD) _refuse(c, msg.sender, reason, units);
            return 0;
        }
        _move(c, msg.sender, units);
    }

    /// @inheritdoc ISplits
    /// @dev Records the release (holder's record and totals) first, then checks each recipient
    /// and mints to it; a refused recipient reverts the whole release.
    function release(uint256 id, address holder, address[] calldata to, uint256[] calldata amounts)
        external
        nonReentrant
    {
        Split storage s = _load(id);
        ISecurityToken token = s.token;
        if (!_hasRole(token, REGISTRAR_ROLE, msg.sender)) revert NotInstrumentRegistrar(address(token), msg.sender);
        uint256 n = to.length;
        if (n == 0 || n > MAX_BATCH || amounts.length != n) revert InvalidBatch(n, MAX_BATCH);
        Entry storage e = _store().entries[id][holder];
        if (e.status != Status.Held) revert NotHeld(id, holder);
        _requireState(token, Kind.Split);
        _deductHeld(s, e, id, holder, amounts);
        _mintReleased(_source(token, holder), id, to, amounts, s.eventRef);
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc ISplits
    function splitCount() external view returns (uint256) {
        return _store().count;
    }

    /// @inheritdoc ISplits
    function split(uint256 id) external view returns (Split memory) {
        return _load(id);
    }

    /// @inheritdoc ISplits
    function entry(uint256 id, address holder) external view returns (Entry memory) {
        return _store().entries[id][holder];
    }

    /// @inheritdoc ISplits
    function entitlementOf(uint256 id, address holder) external view returns (uint256) {
        Split storage s = _load(id);
        if (block.timestamp <= s.recordDate) revert RecordDateNotPassed(id, s.recordDate);
        return _due(_context(s, id), holder);
    }

    /// @notice ERC-165: the interfaces this contract implements.
    function supportsInterface(bytes4 interfaceId) public view override returns (bool) {
        return interfaceId == type(ISplits).interfaceId || super.supportsInterface(interfaceId);
    }

    // ------------------------------------------------------------------ internals

    /// @dev One holder: held units (split) are minted once the wallet can receive them; otherwise
    /// (before the deadline only) the units due are applied, or held when a split's mint is
    /// refused. Writes the holder's record and the totals and emits; mints and burns nothing.
    /// `reason` is 0 when `units` are to be minted or burned now, HELD when they were recorded as
    /// held, else why nothing happened (`units` then being the units due, for INSUFFICIENT_UNITS).
    function _process(Context memory c, Split storage s, Entry storage e, address holder)
        private
        returns (uint256 units, bytes32 reason)
    {
        Status status = e.status;
        if (status == Status.Held) return _processHeld(c, s, e, holder);
        if (status != Status.None) return (0, status == Status.Applied ? ALREADY_APPLIED : RELEASED);
        if (!c.open) return (0, PERIOD_OVER);
        units = _due(c, holder);
        if (units < 1) return (0, NOTHING_DUE);
        if (c.kind != Kind.Split) {
            reason = _systemAccount(c.registry, holder);
            if (reason != 0) return (0, reason);
            if (c.token.balanceOf(holder) < units) return (units, INSUFFICIENT_UNITS);
            s.burned += units;
        } else {
            reason = _mintRefusal(c, holder, units);
            if (reason != 0) {
                e.status = Status.Held;
                e.units = SafeCast.toUint248(units);
                s.held += units;
                emit SplitHeld(c.id, holder, units, reason, c.ref);
                return (0, HELD);
            }
            s.minted += units;
        }
        e.status = Status.Applied;
        e.units = SafeCast.toUint248(units);
        emit SplitApplied(c.id, holder, c.kind, units, c.ref);
    }

    /// @dev `_process` for held units (a split's only): minted, exactly, once the wallet can
    /// receive them.
    function _processHeld(Context memory c, Split storage s, Entry storage e, address holder)
        private
        returns (uint256 units, bytes32 reason)
    {
        units = e.units;
        reason = _mintRefusal(c, holder, units);
        if (reason != 0) return (0, reason);
        e.status = Status.Applied;
        s.held -= units;
        s.minted += units;
        emit SplitApplied(c.id, holder, c.kind, units, c.ref);
    }

    /// @dev `release`'s effects: take the sum of `amounts` (more than 0, at most what is held)
    /// off the holder's held units and the totals, and count it as minted.
    function _deductHeld(Split storage s, Entry storage e, uint256 id, address holder, uint256[] calldata amounts)
        private
    {
        uint256 total = 0;
        for (uint256 i; i < amounts.length; ++i) {
            total += amounts[i];
        }
        uint256 held = e.units;
        if (total == 0 || total > held) revert ReleaseExceedsHeld(id, holder, total, held);
        e.units = uint248(held - total); // held fits in uint248
        if (held == total) e.status = Status.Released;
        s.held -= total;
        s.minted += total;
    }

    /// @dev `release`'s interactions: check each recipient, then mint to it (zero amounts ignored).
    function _mintReleased(
        Source memory src,
        uint256 id,
        address[] calldata to,
        uint256[] calldata amounts,
        string memory ref
    ) private {
        for (uint256 i; i < to.length; ++i) {
            uint256 amount = amounts[i];
            if (amount == 0) continue;
            address recipient = to[i];
            if (!_validRecipient(src, recipient, amount)) revert InvalidReleaseRecipient(id, recipient);
            emit SplitReleased(id, src.holder, recipient, amount, ref);
            src.token.mint(recipient, amount);
        }
    }

    /// @dev Mint (split) or burn (consolidation) `units` of `holder`: the call's last step.
    function _move(Context memory c, address holder, uint256 units) private {
        if (c.kind != Kind.Split) c.token.burn(holder, units);
        else c.token.mint(holder, units);
    }

    /// @dev Revert with the error matching a `_process` refusal.
    function _refuse(Context memory c, address holder, bytes32 reason, uint256 units) private view {
        if (reason != ALREADY_APPLIED && reason != RELEASED) {
            if (reason != NOTHING_DUE) {
                if (reason != PERIOD_OVER) {
                    if (reason != INSUFFICIENT_UNITS) revert HolderNotEligible(c.id, holder, reason);
                    revert InsufficientUnits(c.id, holder, units, c.token.balanceOf(holder));
                }
                revert PeriodOver(c.id, c.deadline);
            }
            revert NothingDue(c.id, holder);
        }
        revert AlreadyApplied(c.id, holder);
    }

    /// @dev The units due to or from `holder`: `floor(b * n / d) - b` (split) or `b - floor(b *
    /// n / d)` (consolidation), `b` its balance at the record date; rounded down per holder.
    function _due(Context memory c, address holder) private view returns (uint256) {
        uint256 balance = c.book.balanceAt(address(c.token), holder, c.recordDateId);
        uint256 scaled = Math.mulDiv(balance, c.numerator, c.denominator);
        return c.kind != Kind.Split ? balance - scaled : scaled - balance;
    }

    /// @dev Why `units` cannot be minted to `holder` now (0: they can): the token's refusal of
    /// the mint (its transfer rules, as `canTransfer` answers for a mint), or SYSTEM_ACCOUNT.
    function _mintRefusal(Context memory c, address holder, uint256 units) private view returns (bytes32 reason) {
        reason = _refusal(c.token, holder, units);
        if (reason != 0) return reason;
        return _systemAccount(c.registry, holder);
    }

    /// @dev The token's reason for refusing a mint of `amount` to `to` now; 0 when it accepts it.
    function _refusal(ISecurityToken token, address to, uint256 amount) private view returns (bytes32) {
        (bytes1 code, bytes32 reason) = token.canTransfer(address(0), to, amount);
        return code != CODE_SUCCESS ? reason : bytes32(0);
    }

    /// @dev SYSTEM_ACCOUNT for a system account (escrow, custody: it holds units for others), else 0.
    function _systemAccount(IInvestorRegistry registry, address wallet) private view returns (bytes32) {
        return registry.identityOf(wallet).kind != IInvestorRegistry.WalletKind.System ? bytes32(0) : SYSTEM_ACCOUNT;
    }

    /// @dev The calls that concern every holder: the record date has passed; a consolidation is
    /// before its deadline (it has no held units to apply after it); the instrument can mint or
    /// burn now.
    function _requireApplicable(Split storage s, Context memory c) private view {
        if (block.timestamp <= s.recordDate) revert RecordDateNotPassed(c.id, s.recordDate);
        if (c.kind != Kind.Split && !c.open) revert PeriodOver(c.id, c.deadline);
        _requireState(c.token, c.kind);
    }

    /// @dev A split mints: the instrument must be Active or Issued; a consolidation burns: it
    /// must be Suspended (no transfer, no mint); neither while the token is paused (the only
    /// refusal of a zero-value mint is the pause, TOKEN_PAUSED).
    function _requireState(ISecurityToken token, Kind kind) private view {
        ISecurityToken.LifecycleState state = token.lifecycleState();
        if (kind != Kind.Split) {
            if (state != ISecurityToken.LifecycleState.Suspended) revert InvalidInstrumentState(address(token), state);
        } else if (state != ISecurityToken.LifecycleState.Active && state != ISecurityToken.LifecycleState.Issued) {
            revert InvalidInstrumentState(address(token), state);
        }
        if (_refusal(token, address(this), 0) != 0) revert InstrumentPaused(address(token));
    }

    /// @dev The wallet whose held units are released, as the registry knows it.
    function _source(ISecurityToken token, address holder) private view returns (Source memory) {
        IInvestorRegistry registry = token.registry();
        IInvestorRegistry.Identity memory source = registry.identityOf(holder);
        return Source({
            token: token,
            registry: registry,
            holder: holder,
            investor: source.investor,
            system: source.kind == IInvestorRegistry.WalletKind.System
        });
    }

    /// @dev An investor wallet other than the holder that can receive a mint of `amount` now: for
    /// an investor's wallet (also a retired one), one of the same investor; for a system account,
    /// any (a beneficial owner).
    function _validRecipient(Source memory src, address recipient, uint256 amount) private view returns (bool) {
        IInvestorRegistry.Identity memory target = src.registry.identityOf(recipient);
        if (recipient == src.holder || target.kind != IInvestorRegistry.WalletKind.Investor) return false;
        if (!src.system && target.investor != src.investor) return false;
        if (_refusal(src.token, recipient, amount) != 0) return false;
        return true;
    }

    /// @dev Store a new split or consolidation.
    function _record(uint256 id, Terms calldata terms, IRecordDates book, uint256 recordDateId, string calldata eventRef)
        private
    {
        Split storage s = _store().splits[id];
        s.token = terms.token;
        s.recordDate = terms.recordDate;
        s.deadline = terms.deadline;
        s.kind = terms.kind;
        s.recordDates = book;
        s.recordDateId = uint64(recordDateId);
        s.issuer = msg.sender;
        s.numerator = terms.numerator;
        s.denominator = terms.denominator;
        s.eventRef = eventRef;
    }

    function _load(uint256 id) private view returns (Split storage s) {
        s = _store().splits[id];
        if (address(s.token) == address(0)) revert UnknownSplit(id);
    }

    function _context(Split storage s, uint256 id) private view returns (Context memory c) {
        c.id = id;
        c.token = s.token;
        c.registry = c.token.registry();
        c.kind = s.kind;
        c.deadline = s.deadline;
        c.open = block.timestamp < c.deadline;
        c.numerator = s.numerator;
        c.denominator = s.denominator;
        c.book = s.recordDates;
        c.recordDateId = s.recordDateId;
        c.ref = s.eventRef;
    }

    /// @dev The id `recordDate` has or will have in the book: the token's last record date when
    /// it is the same timestamp (shared), else the next id (the book numbers from 1 upwards).
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

    /// @dev The caller is the instrument's corporate-action agent; this contract holds the
    /// instrument's roles it needs (the book would refuse the schedule, the token the mints).
    function _checkRoles(ISecurityToken token) private view {
        if (!_hasRole(token, CORPORATE_ACTION_ROLE, msg.sender)) {
            revert NotCorporateActionAgent(address(token), msg.sender);
        }
        if (!_hasRole(token, ISSUER_ROLE, address(this))) revert MissingInstrumentRole(address(token), ISSUER_ROLE);
        if (!_hasRole(token, CORPORATE_ACTION_ROLE, address(this))) {
            revert MissingInstrumentRole(address(token), CORPORATE_ACTION_ROLE);
        }
    }

    /// @dev The instrument's state allows the action, it has a record-date book (returned), and
    /// the record date is after the deadline of its previous split or consolidation.
    function _checkInstrument(Terms calldata terms) private view returns (IRecordDates book) {
        ISecurityToken token = terms.token;
        ISecurityToken.LifecycleState state = token.lifecycleState();
        if (
            terms.kind == Kind.Consolidation
                ? state != ISecurityToken.LifecycleState.Suspended
                : state == ISecurityToken.LifecycleState.Matured || state == ISecurityToken.LifecycleState.Redeemed
        ) revert InvalidInstrumentState(address(token), state);
        book = IRecordDates(token.recordDates());
        if (address(book) == address(0)) revert NoRecordDateBook(address(token));
        SplitsStorage storage $ = _store();
        uint256 previous = $.latest[address(token)];
        if (previous != 0) {
            uint40 deadline = $.splits[previous].deadline;
            if (terms.recordDate <= deadline) revert OverlapsPrevious(address(token), previous, deadline);
        }
    }

    function _checkTerms(Terms calldata terms, string calldata eventRef) private view {
        if (address(terms.token).code.length == 0) revert InvalidTerms("token");
        uint256 numerator = terms.numerator;
        uint256 denominator = terms.denominator;
        if (numerator == 0 || numerator > MAX_RATIO_TERM) revert InvalidTerms("numerator");
        if (denominator == 0 || denominator > MAX_RATIO_TERM) revert InvalidTerms("denominator");
        if (terms.kind == Kind.Split ? numerator <= denominator : numerator >= denominator) {
            revert InvalidTerms("ratio");
        }
        uint40 recordDate = terms.recordDate;
        if (recordDate <= block.timestamp || recordDate > block.timestamp + MAX_PERIOD) {
            revert InvalidTerms("recordDate");
        }
        uint40 deadline = terms.deadline;
        if (deadline <= recordDate || deadline > uint256(recordDate) + MAX_PERIOD) revert InvalidTerms("deadline");
        uint256 length = bytes(eventRef).length;
        if (length == 0 || length > MAX_REFERENCE_LENGTH) revert InvalidTerms("reference");
    }

    function _authorizeUpgrade(address) internal override onlyRole(UPGRADER_ROLE) {}
}

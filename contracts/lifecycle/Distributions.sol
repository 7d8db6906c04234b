// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {AccessControlDefaultAdminRulesUpgradeable} from
    "@openzeppelin/contracts-upgradeable/access/extensions/AccessControlDefaultAdminRulesUpgradeable.sol";
import {UUPSUpgradeable} from "@openzeppelin/contracts-upgradeable/proxy/utils/UUPSUpgradeable.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IDistributions} from "../../interfaces/IDistributions.sol";
import {ISecurityToken} from "../../interfaces/ISecurityToken.sol";
import {IInvestorRegistry} from "../../interfaces/IInvestorRegistry.sol";
import {IRecordDates} from "../../interfaces/IRecordDates.sol";

/// @title Distributions
/// @notice Coupons and dividends in a cash token, to the holders of a security token at a record
/// date (see `IDistributions` for the lifecycle, the entitlement formulas and held entitlements).
/// Entitlements come from the token's record-date book (`IRecordDates.balanceAt`), so no loop
/// ever runs over all holders: a holder claims, or the agent pays batches of at most 100 holders
/// (10,000 holders are 100 batches, each well under a block's gas).
/// @dev Behind a UUPS proxy, state in an ERC-7201 namespace; one per chain, serving every
/// instrument. Roles here: the admin (two-step handover) administers roles and has no power over
/// distributions; the upgrader upgrades and administers itself. Powers over a distribution come
/// from the instrument's own roles, read with `hasRole` on the token: its
/// `CORPORATE_ACTION_ROLE` announces and pays batches, its `REGISTRAR_ROLE` releases held
/// entitlements. The token's admin must grant this contract the token's `CORPORATE_ACTION_ROLE`
/// (it schedules the record date in the book, which checks that role on its caller) and point
/// the token to its record-date book (`setRecordDates`). Every state-changing entry point is
/// `nonReentrant` (transient storage) and writes all its state before the first token call that
/// can change state; view calls (book, registry, freezes) come first. Rounding is down, per
/// holder; the remainder stays with the issuer (swept). Fee-on-transfer cash tokens are refused
/// at funding; rebasing tokens are not supported. Values that depend on the time or on balances
/// are compared without `==` (Slither's strict-equality check).
/// @custom:security-contact see docs/security.md
contract Distributions is
    IDistributions,
    AccessControlDefaultAdminRulesUpgradeable,
    UUPSUpgradeable,
    ReentrancyGuardTransient
{
    using SafeERC20 for IERC20;

    /// @notice Upgrades the implementation; administers itself.
    bytes32 public constant UPGRADER_ROLE = keccak256("UPGRADER_ROLE");

    /// @inheritdoc IDistributions
    uint256 public constant MAX_BATCH = 100;
    /// @inheritdoc IDistributions
    uint256 public constant MAX_REFERENCE_LENGTH = 35;
    /// @inheritdoc IDistributions
    uint256 public constant MAX_CLAIM_PERIOD = 3650 days;

    /// @dev The instrument's roles (SecurityToken.CORPORATE_ACTION_ROLE, REGISTRAR_ROLE).
    bytes32 internal constant CORPORATE_ACTION_ROLE = keccak256("CORPORATE_ACTION_ROLE");
    bytes32 internal constant REGISTRAR_ROLE = keccak256("REGISTRAR_ROLE");

    // Why a holder is not paid, or passed over by a batch.
    bytes32 internal constant HOLDER_FROZEN = "HOLDER_FROZEN";
    bytes32 internal constant SYSTEM_ACCOUNT = "SYSTEM_ACCOUNT";
    bytes32 internal constant NOT_REGISTERED = "NOT_REGISTERED";
    bytes32 internal constant ELIGIBILITY_EXPIRED = "ELIGIBILITY_EXPIRED";
    bytes32 internal constant ALREADY_PAID = "ALREADY_PAID";
    bytes32 internal constant RELEASED = "RELEASED";
    bytes32 internal constant NOTHING_ENTITLED = "NOTHING_ENTITLED";
    bytes32 internal constant CLAIM_PERIOD_OVER = "CLAIM_PERIOD_OVER";

    /// @custom:storage-location erc7201:securities-rails.storage.Distributions
    struct DistributionsStorage {
        uint256 count;
        mapping(uint256 id => Distribution) distributions;
        mapping(uint256 id => mapping(address holder => Entry)) entries;
    }

    // keccak256(abi.encode(uint256(keccak256("securities-rails.storage.Distributions")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant STORAGE_LOCATION = 0x7758eaf9fdc000fcdcd2e77859d3bd0525685f704164b9a0708f8b2b8491e500;

    function _store() private pure returns (DistributionsStorage storage $) {
        assembly {
            $.slot := STORAGE_LOCATION
        }
    }

    /// @dev What one call reads once from a distribution and its instrument.
    struct Context {
        ISecurityToken token;
        IRecordDates book;
        uint256 recordDateId;
        Kind kind;
        uint256 value;
        uint256 scale; // 10^tokenDecimals
        uint256 supply; // totalSupplyAt, read only for `Total`
        IInvestorRegistry registry;
        uint256 id; // set by `pay`
        bool open; // set by `pay`: before the claim deadline
        string ref; // set by `pay`
    }

    /// @dev What a batch adds up before writing it once.
    struct Tally {
        uint256 paid;
        uint256 heldIn;
        uint256 heldOut;
    }

    /// @dev The wallet whose held entitlement is released.
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

    /// @inheritdoc IDistributions
    function announce(Terms calldata terms, string calldata eventRef) external nonReentrant returns (uint256 id) {
        ISecurityToken token = terms.token;
        _checkTerms(terms, eventRef);
        _requireRole(token, CORPORATE_ACTION_ROLE, msg.sender);
        IRecordDates book = IRecordDates(token.recordDates());
        if (address(book) == address(0)) revert NoRecordDateBook(address(token));
        // the book checks the role on its caller: say so clearly rather than let it refuse
        _requireRole(token, CORPORATE_ACTION_ROLE, address(this));
        (uint256 recordDateId, bool schedule) = _recordDateId(book, token, terms.recordDate);
        id = ++_store().count;
        _record(id, terms, book, recordDateId, eventRef);
        emit DistributionAnnounced(
            id, address(token), address(terms.cashToken), terms, recordDateId, msg.sender, eventRef
        );
        if (schedule && book.scheduleRecordDate(address(token), terms.recordDate) != recordDateId) {
            revert InvalidConfiguration("recordDateId");
        }
    }

    /// @inheritdoc IDistributions
    function fund(uint256 id) external nonReentrant returns (uint256 amount) {
        Distribution storage d = _load(id);
        if (block.timestamp >= d.claimDeadline) revert ClaimPeriodOver(id, d.claimDeadline);
        uint256 need = _required(d, id);
        uint256 funded = d.funded;
        if (funded >= need) revert AlreadyFunded(id);
        amount = need - funded;
        d.funded = need;
        emit DistributionFunded(id, msg.sender, amount, need, d.eventRef);
        IERC20 cashToken = d.cashToken;
        uint256 before = cashToken.balanceOf(address(this));
        cashToken.safeTransferFrom(msg.sender, address(this), amount);
        uint256 balance = cashToken.balanceOf(address(this));
        if (balance < before + amount) {
            revert DepositShortfall(address(cashToken), amount, balance > before ? balance - before : 0);
        }
    }

    /// @inheritdoc IDistributions
    function claim(uint256 id) external nonReentrant returns (uint256 amount) {
        Distribution storage d = _load(id);
        Entry storage e = _store().entries[id][msg.sender];
        Status s = e.status;
        if (s == Status.Paid || s == Status.Released) revert AlreadyPaid(id, msg.sender);
        Context memory c = _context(d, s == Status.Held);
        string memory ref = d.eventRef;
        bytes32 why = _ineligibility(c, msg.sender);
        if (s == Status.Held) {
            if (why != 0) revert HolderNotEligible(id, msg.sender, why);
            amount = e.held;
            e.status = Status.Paid;
            e.held = 0;
            d.held -= amount;
        } else {
            _requireOpen(d, id, c);
            amount = _entitlement(c, msg.sender);
            if (amount < 1) revert NothingEntitled(id, msg.sender);
            if (why != 0) {
                e.status = Status.Held;
                e.held = SafeCast.toUint248(amount);
                d.held += amount;
                emit EntitlementHeld(id, msg.sender, amount, why, ref);
                return 0;
            }
            e.status = Status.Paid;
        }
        d.paid += amount;
        emit EntitlementPaid(id, msg.sender, amount, ref);
        d.cashToken.safeTransfer(msg.sender, amount);
    }

    /// @inheritdoc IDistributions
    /// @dev Two passes: every holder's record, the totals and the events first, then the
    /// transfers, so that no state is written after a cash-token call.
    function pay(uint256 id, address[] calldata holders) external nonReentrant returns (uint256) {
        Distribution storage d = _load(id);
        _requireRole(d.token, CORPORATE_ACTION_ROLE, msg.sender);
        uint256 n = holders.length;
        if (n == 0 || n > MAX_BATCH) revert InvalidBatch(n, MAX_BATCH);
        bool open = block.timestamp < d.claimDeadline;
        Context memory c = _context(d, !open);
        if (open) _requireOpen(d, id, c);
        c.id = id;
        c.open = open;
        c.ref = d.eventRef;
        Tally memory t = Tally(0, 0, 0);
        uint256[] memory amounts = new uint256[](n);
        address previous = address(0);
        for (uint256 i; i < n; ++i) {
            address holder = holders[i];
            if (holder <= previous) revert InvalidBatch(n, MAX_BATCH);
            previous = holder;
            amounts[i] = _payOne(c, t, holder);
        }
        d.paid += t.paid;
        d.held = d.held + t.heldIn - t.heldOut;
        IERC20 cashToken = d.cashToken;
        for (uint256 i; i < n; ++i) {
            if (amounts[i] != 0) cashToken.safeTransfer(holders[i], amounts[i]);
        }
        return t.paid;
    }

    /// @inheritdoc IDistributions
    function release(uint256 id, address holder, address[] calldata to, uint256[] calldata amounts)
        external
        nonReentrant
    {
        Distribution storage d = _load(id);
        _requireRole(d.token, REGISTRAR_ROLE, msg.sender);
        uint256 n = to.length;
        if (n == 0 || n > MAX_BATCH || amounts.length != n) revert InvalidBatch(n, MAX_BATCH);
        Entry storage e = _store().entries[id][holder];
        if (e.status != Status.Held) revert NotHeld(id, holder);
        uint256 total = _checkRelease(id, _source(d.token, holder), d.eventRef, to, amounts);
        uint256 held = e.held;
        if (total == 0 || total > held) revert ReleaseExceedsHeld(id, holder, total, held);
        e.held = uint248(held - total);
        if (held == total) e.status = Status.Released;
        d.held -= total;
        d.paid += total;
        IERC20 cashToken = d.cashToken;
        for (uint256 i; i < n; ++i) {
            if (amounts[i] != 0) cashToken.safeTransfer(to[i], amounts[i]);
        }
    }

    /// @inheritdoc IDistributions
    function sweep(uint256 id) external nonReentrant returns (uint256 amount) {
        Distribution storage d = _load(id);
        if (block.timestamp < d.claimDeadline) revert ClaimPeriodNotOver(id, d.claimDeadline);
        amount = d.funded - d.paid - d.held - d.swept;
        if (amount < 1) revert NothingToSweep(id);
        d.swept += amount;
        address to = d.issuer;
        emit DistributionSwept(id, to, amount, d.eventRef);
        d.cashToken.safeTransfer(to, amount);
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc IDistributions
    function distributionCount() external view returns (uint256) {
        return _store().count;
    }

    /// @inheritdoc IDistributions
    function distribution(uint256 id) external view returns (Distribution memory) {
        return _load(id);
    }

    /// @inheritdoc IDistributions
    function entry(uint256 id, address holder) external view returns (Entry memory) {
        return _store().entries[id][holder];
    }

    /// @inheritdoc IDistributions
    function entitlementOf(uint256 id, address holder) external view returns (uint256) {
        Distribution storage d = _load(id);
        if (block.timestamp <= d.recordDate) revert RecordDateNotPassed(id, d.recordDate);
        return _entitlement(_context(d, false), holder);
    }

    /// @inheritdoc IDistributions
    function required(uint256 id) external view returns (uint256) {
        return _required(_load(id), id);
    }

    /// @inheritdoc IDistributions
    function unclaimed(uint256 id) external view returns (uint256) {
        Distribution storage d = _load(id);
        return d.funded - d.paid - d.held - d.swept;
    }

    /// @notice ERC-165: the interfaces this contract implements.
    function supportsInterface(bytes4 interfaceId) public view override returns (bool) {
        return interfaceId == type(IDistributions).interfaceId || super.supportsInterface(interfaceId);
    }

    // ------------------------------------------------------------------ internals

    /// @dev Store a new distribution.
    function _record(uint256 id, Terms calldata terms, IRecordDates book, uint256 recordDateId, string calldata eventRef)
        private
    {
        Distribution storage d = _store().distributions[id];
        d.token = terms.token;
        d.recordDate = terms.recordDate;
        d.paymentDate = terms.paymentDate;
        d.kind = terms.kind;
        d.cashToken = terms.cashToken;
        d.claimDeadline = terms.claimDeadline;
        d.tokenDecimals = terms.token.decimals();
        d.recordDates = book;
        d.recordDateId = uint64(recordDateId);
        d.issuer = msg.sender;
        d.value = terms.value;
        d.eventRef = eventRef;
    }

    /// @dev One holder of a batch: paid (returns the amount to transfer), held, or passed over.
    /// Writes its record and adds to `t`; transfers nothing.
    function _payOne(Context memory c, Tally memory t, address holder) private returns (uint256 amount) {
        Entry storage e = _store().entries[c.id][holder];
        Status s = e.status;
        if (s == Status.Paid || s == Status.Released) {
            emit PaymentSkipped(c.id, holder, s == Status.Paid ? ALREADY_PAID : RELEASED, c.ref);
            return 0;
        }
        bytes32 why = _ineligibility(c, holder);
        if (s == Status.Held) {
            if (why != 0) {
                emit PaymentSkipped(c.id, holder, why, c.ref);
                return 0;
            }
            amount = e.held;
            e.held = 0;
            t.heldOut += amount;
        } else {
            if (!c.open) {
                emit PaymentSkipped(c.id, holder, CLAIM_PERIOD_OVER, c.ref);
                return 0;
            }
            amount = _entitlement(c, holder);
            if (amount < 1) {
                emit PaymentSkipped(c.id, holder, NOTHING_ENTITLED, c.ref);
                return 0;
            }
            if (why != 0) {
                e.status = Status.Held;
                e.held = SafeCast.toUint248(amount);
                t.heldIn += amount;
                emit EntitlementHeld(c.id, holder, amount, why, c.ref);
                return 0;
            }
        }
        e.status = Status.Paid;
        t.paid += amount;
        emit EntitlementPaid(c.id, holder, amount, c.ref);
    }

    /// @dev Check every recipient of a release, emit the releases, and return their sum.
    function _checkRelease(
        uint256 id,
        Source memory src,
        string memory ref,
        address[] calldata to,
        uint256[] calldata amounts
    ) private returns (uint256 total) {
        total = 0;
        for (uint256 i; i < to.length; ++i) {
            address recipient = to[i];
            if (!_validRecipient(src, recipient)) revert InvalidReleaseRecipient(id, recipient);
            total += amounts[i];
            emit EntitlementReleased(id, src.holder, recipient, amounts[i], ref);
        }
    }

    /// @dev The wallet whose held entitlement is released, as the registry knows it.
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

    /// @dev An eligible, unfrozen investor wallet other than the holder: for an investor's
    /// wallet, one of the same investor; for a system account, any (a beneficial owner).
    function _validRecipient(Source memory src, address recipient) private view returns (bool) {
        IInvestorRegistry.Identity memory target = src.registry.identityOf(recipient);
        if (recipient == src.holder || target.kind != IInvestorRegistry.WalletKind.Investor) return false;
        if (target.expiry <= block.timestamp) return false;
        if (!src.system && target.investor != src.investor) return false;
        return !src.token.isFrozen(recipient);
    }

    function _load(uint256 id) private view returns (Distribution storage d) {
        d = _store().distributions[id];
        if (address(d.token) == address(0)) revert UnknownDistribution(id);
    }

    /// @dev What a call reads once. `heldOnly`: the caller pays held amounts only, which need
    /// neither the book nor the supply.
    function _context(Distribution storage d, bool heldOnly) private view returns (Context memory c) {
        c.token = d.token;
        c.registry = c.token.registry();
        if (heldOnly) return c;
        c.book = d.recordDates;
        c.recordDateId = d.recordDateId;
        c.kind = d.kind;
        c.value = d.value;
        c.scale = 10 ** d.tokenDecimals;
        if (c.kind != Kind.PerUnit && block.timestamp > d.recordDate) {
            c.supply = c.book.totalSupplyAt(address(c.token), c.recordDateId);
        }
    }

    /// @dev Payment may start: from the payment date, before the deadline, fully funded. `fund`
    /// sets `funded` to exactly the requirement, in one call, and the requirement never changes
    /// (a fixed total, or the supply at a passed record date): any funding is the full funding,
    /// so the requirement is computed only while nothing is funded.
    function _requireOpen(Distribution storage d, uint256 id, Context memory c) private view {
        if (block.timestamp < d.paymentDate) revert PaymentNotStarted(id, d.paymentDate);
        if (block.timestamp >= d.claimDeadline) revert ClaimPeriodOver(id, d.claimDeadline);
        if (d.funded == 0) {
            uint256 need = c.kind != Kind.PerUnit ? c.value : _perUnitRequired(c);
            if (need != 0) revert Underfunded(id, need, 0);
        }
    }

    /// @dev Rounded down per holder: the remainder stays with the issuer.
    function _entitlement(Context memory c, address holder) private view returns (uint256) {
        uint256 balance = c.book.balanceAt(address(c.token), holder, c.recordDateId);
        if (c.kind != Kind.Total) return Math.mulDiv(balance, c.value, c.scale);
        return balance != 0 ? Math.mulDiv(c.value, balance, c.supply) : 0; // supply >= balance > 0
    }

    function _required(Distribution storage d, uint256 id) private view returns (uint256) {
        if (d.kind == Kind.Total) return d.value;
        if (block.timestamp <= d.recordDate) revert RecordDateNotPassed(id, d.recordDate);
        return _perUnitRequired(_context(d, false));
    }

    /// @dev floor(totalSupplyAt * rate / 10^decimals): at least the sum of the holders' floors.
    function _perUnitRequired(Context memory c) private view returns (uint256) {
        return Math.mulDiv(c.book.totalSupplyAt(address(c.token), c.recordDateId), c.value, c.scale);
    }

    /// @dev Why `holder` cannot be paid now (0: it can).
    function _ineligibility(Context memory c, address holder) private view returns (bytes32) {
        if (c.token.isFrozen(holder)) return HOLDER_FROZEN;
        IInvestorRegistry.Identity memory who = c.registry.identityOf(holder);
        if (who.kind != IInvestorRegistry.WalletKind.Investor) {
            return who.kind != IInvestorRegistry.WalletKind.System ? NOT_REGISTERED : SYSTEM_ACCOUNT;
        }
        if (who.expiry <= block.timestamp) return ELIGIBILITY_EXPIRED;
        return 0;
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

    function _requireRole(ISecurityToken token, bytes32 role, address account) private view {
        if (!IAccessControl(address(token)).hasRole(role, account)) {
            if (role == REGISTRAR_ROLE) revert NotInstrumentRegistrar(address(token), account);
            revert NotCorporateActionAgent(address(token), account);
        }
    }

    function _checkTerms(Terms calldata terms, string calldata eventRef) private view {
        address token = address(terms.token);
        if (token.code.length == 0) revert InvalidTerms("token");
        address cashToken = address(terms.cashToken);
        if (cashToken.code.length == 0 || cashToken == token) revert InvalidTerms("cashToken");
        uint40 recordDate = terms.recordDate;
        if (recordDate <= block.timestamp || recordDate > block.timestamp + MAX_CLAIM_PERIOD) {
            revert InvalidTerms("recordDate");
        }
        uint40 paymentDate = terms.paymentDate;
        if (paymentDate <= recordDate) revert InvalidTerms("paymentDate");
        uint40 claimDeadline = terms.claimDeadline;
        if (claimDeadline <= paymentDate || claimDeadline > uint256(paymentDate) + MAX_CLAIM_PERIOD) {
            revert InvalidTerms("claimDeadline");
        }
        if (terms.value == 0) revert InvalidTerms("value");
        uint256 length = bytes(eventRef).length;
        if (length == 0 || length > MAX_REFERENCE_LENGTH) revert InvalidTerms("reference");
    }

    function _authorizeUpgrade(address) internal override onlyRole(UPGRADER_ROLE) {}
}

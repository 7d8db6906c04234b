// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {AccessControlDefaultAdminRulesUpgradeable} from
    "@openzeppelin/contracts-upgradeable/access/extensions/AccessControlDefaultAdminRulesUpgradeable.sol";
import {UUPSUpgradeable} from "@openzeppelin/contracts-upgradeable/proxy/utils/UUPSUpgradeable.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {Checkpoints} from "@openzeppelin/contracts/utils/structs/Checkpoints.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IRecordDates} from "../../interfaces/IRecordDates.sol";
import {ISecurityToken} from "../../interfaces/ISecurityToken.sol";

/// @title RecordDates
/// @notice The record-date book of every instrument of a chain (see `IRecordDates`): record dates
/// scheduled by each instrument's corporate-action agent, and the balance of every holder and the
/// supply fixed at each record date by lazy checkpoints, never by a loop over holders.
/// @dev Behind a UUPS proxy, state in an ERC-7201 namespace, one `Book` per token. Checkpoints are
/// OpenZeppelin `Checkpoints.Trace224` keyed by the number of record dates passed when they were
/// written (a record-date id), in the style of OpenZeppelin 4's ERC20Snapshot: on a balance change
/// of an account, if a record date has passed since the account's last checkpoint, its balance
/// before the change is stored under the number of record dates passed now; the balance at record
/// date `id` is then the first checkpoint with a key >= `id`, or, when there is none, the current
/// balance (nothing changed since). Only a token writes its own book (`msg.sender`), with the
/// values it passes, so the book never calls a token back during a transfer.
/// The only loop of a balance change advances the book's cursor over the record dates that have
/// passed since the token's last balance change: at most the number of record dates scheduled,
/// usually none or one. Roles: the admin (two-step handover) administers roles and has no power
/// over record dates; the upgrader upgrades and administers itself.
/// @custom:security-contact see docs/security.md
contract RecordDates is IRecordDates, AccessControlDefaultAdminRulesUpgradeable, UUPSUpgradeable {
    using Checkpoints for Checkpoints.Trace224;

    /// @notice Upgrades the implementation; administers itself.
    bytes32 public constant UPGRADER_ROLE = keccak256("UPGRADER_ROLE");
    /// @dev The instrument's corporate-action role (SecurityToken.CORPORATE_ACTION_ROLE).
    bytes32 internal constant CORPORATE_ACTION_ROLE = keccak256("CORPORATE_ACTION_ROLE");

    /// @dev The record dates and checkpoints of one token. The first four members share a slot:
    /// a balance change reads that one slot when no record date has passed since the last change.
    struct Book {
        uint32 count; // record dates scheduled: the last id
        uint32 passed; // record dates passed as of the token's last balance change (the cursor)
        uint40 next; // timestamp of record date `passed + 1`; 0 when none is pending
        uint40 last; // timestamp of record date `count`; 0 when none
        mapping(uint256 id => uint40) dates;
        Checkpoints.Trace224 supply;
        mapping(address account => Checkpoints.Trace224) balances;
    }

    /// @custom:storage-location erc7201:securities-rails.storage.RecordDates
    struct RecordDatesStorage {
        mapping(address token => Book) books;
    }

    // keccak256(abi.encode(uint256(keccak256("securities-rails.storage.RecordDates")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant STORAGE_LOCATION = 0xb0c7942ecf4586784c994dfb52a83ddb79dcbdc1e19dc9777484403ee84daa00;

    function _recordDates() private pure returns (RecordDatesStorage storage $) {
        assembly {
            $.slot := STORAGE_LOCATION
        }
    }

    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor() {
        _disableInitializers();
    }

    /// @notice Initialise the book behind its proxy.
    /// @param admin Administers the roles (two-step handover, `adminDelay` seconds).
    /// @param adminDelay Delay of an admin handover.
    /// @param upgrader First upgrader.
    function initialize(address admin, uint48 adminDelay, address upgrader) external initializer {
        if (upgrader == address(0)) revert InvalidConfiguration("upgrader");
        __AccessControlDefaultAdminRules_init(adminDelay, admin);
        _setRoleAdmin(UPGRADER_ROLE, UPGRADER_ROLE);
        _grantRole(UPGRADER_ROLE, upgrader);
    }

    // ------------------------------------------------------------------ record dates

    /// @inheritdoc IRecordDates
    /// @dev Checks the role and that the token points to this book, records the date, then tells
    /// the token (its last step), from which the token knows when to start calling
    /// `onBalanceChange`.
    function scheduleRecordDate(address token, uint40 timestamp) external returns (uint256 id) {
        if (!IAccessControl(token).hasRole(CORPORATE_ACTION_ROLE, msg.sender)) {
            revert NotCorporateActionAgent(token, msg.sender);
        }
        if (ISecurityToken(token).recordDates() != address(this)) revert NotTokenRecordDates(token);
        Book storage b = _recordDates().books[token];
        uint40 last = b.last;
        uint40 earliest = last >= block.timestamp ? last + 1 : SafeCast.toUint40(block.timestamp + 1);
        if (timestamp < earliest) revert InvalidRecordDate(token, timestamp, earliest);
        id = uint256(b.count) + 1;
        b.count = SafeCast.toUint32(id);
        b.last = timestamp;
        b.dates[id] = timestamp;
        if (b.next == 0) b.next = timestamp; // every earlier record date had passed: this one is next
        emit RecordDateScheduled(token, id, timestamp, msg.sender);
        ISecurityToken(token).recordDateScheduled(timestamp);
    }

    /// @inheritdoc IRecordDates
    function recordDateCount(address token) external view returns (uint256) {
        return _recordDates().books[token].count;
    }

    /// @inheritdoc IRecordDates
    function recordDateOf(address token, uint256 id) external view returns (uint40) {
        Book storage b = _recordDates().books[token];
        if (id == 0 || id > b.count) revert UnknownRecordDate(token, id);
        return b.dates[id];
    }

    /// @inheritdoc IRecordDates
    function passedRecordDates(address token) external view returns (uint256 passed) {
        Book storage b = _recordDates().books[token];
        passed = b.passed;
        uint256 count = b.count;
        while (passed < count && b.dates[passed + 1] < block.timestamp) ++passed;
    }

    /// @inheritdoc IRecordDates
    function balanceAt(address token, address account, uint256 id) external view returns (uint256) {
        Book storage b = _passedBook(token, id);
        (bool found, uint256 balance) = _lookup(b.balances[account], id);
        return found ? balance : IERC20(token).balanceOf(account);
    }

    /// @inheritdoc IRecordDates
    function totalSupplyAt(address token, uint256 id) external view returns (uint256) {
        Book storage b = _passedBook(token, id);
        (bool found, uint256 supply) = _lookup(b.supply, id);
        return found ? supply : IERC20(token).totalSupply();
    }

    // ------------------------------------------------------------------ the token's hook

    /// @inheritdoc IRecordDates
    /// @dev Writes only the caller's book. Before the first record date of the caller has passed
    /// it changes nothing (the token does not even call it then).
    function onBalanceChange(
        address from,
        address to,
        uint256 value,
        uint256 fromBalance,
        uint256 toBalance,
        uint256 supply
    ) external {
        if (value == 0 || from == to) return;
        Book storage b = _recordDates().books[msg.sender];
        uint256 id = _advance(b);
        if (id == 0) return;
        if (from != address(0)) _checkpoint(b.balances[from], from, id, fromBalance + value);
        if (to != address(0)) _checkpoint(b.balances[to], to, id, toBalance - value);
        if (from == address(0)) _checkpoint(b.supply, address(0), id, supply - value);
        else if (to == address(0)) _checkpoint(b.supply, address(0), id, supply + value);
    }

    // ------------------------------------------------------------------ ERC-165 and upgrades

    /// @notice ERC-165: the interfaces this contract implements.
    function supportsInterface(bytes4 interfaceId) public view override returns (bool) {
        return interfaceId == type(IRecordDates).interfaceId || super.supportsInterface(interfaceId);
    }

    function _authorizeUpgrade(address) internal override onlyRole(UPGRADER_ROLE) {}

    // ------------------------------------------------------------------ internals

    /// @dev Move the cursor over the record dates passed since the last call, and return the number
    /// of record dates passed (the key of any checkpoint written now). One storage read when none
    /// has passed; otherwise one read per record date passed since, bounded by the number scheduled.
    function _advance(Book storage b) private returns (uint256 passed) {
        passed = b.passed;
        uint40 next = b.next;
        if (next == 0 || block.timestamp <= next) return passed;
        uint256 count = b.count;
        do {
            ++passed;
        } while (passed < count && b.dates[passed + 1] < block.timestamp);
        b.passed = uint32(passed); // passed <= count, a uint32
        b.next = passed < count ? b.dates[passed + 1] : 0;
    }

    /// @dev Store `balance` (the value before the change) under `id` unless a checkpoint already
    /// covers record date `id` (one written since it passed).
    function _checkpoint(Checkpoints.Trace224 storage trace, address account, uint256 id, uint256 balance) private {
        (bool exists, uint32 key,) = trace.latestCheckpoint();
        if (exists && key >= id) return;
        (, uint224 stored) = trace.push(uint32(id), SafeCast.toUint224(balance));
        emit Checkpointed(msg.sender, account, id, stored);
    }

    /// @dev The value at record date `id`: the first checkpoint at or after it; none (`found`
    /// false) when the value has not changed since the record date.
    function _lookup(Checkpoints.Trace224 storage trace, uint256 id) private view returns (bool found, uint256 value) {
        (bool exists, uint32 key,) = trace.latestCheckpoint();
        if (!exists || key < id) return (false, 0);
        return (true, trace.lowerLookup(uint32(id)));
    }

    /// @dev The token's book, once record date `id` exists and has passed.
    function _passedBook(address token, uint256 id) private view returns (Book storage b) {
        b = _recordDates().books[token];
        if (id == 0 || id > b.count) revert UnknownRecordDate(token, id);
        uint40 timestamp = b.dates[id];
        if (block.timestamp <= timestamp) revert RecordDateNotPassed(token, id, timestamp);
    }
}

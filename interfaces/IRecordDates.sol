// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title IRecordDates
/// @notice Record dates of every instrument of a chain, and the balance of each holder (and the
/// supply) fixed at each of them, without a loop over holders.
///
/// A record date is a Unix time `T`, scheduled in the future by an account holding the
/// instrument's `CORPORATE_ACTION_ROLE`; ids start at 1 per instrument and their timestamps
/// strictly increase. The balance "at" record date `T` is the balance after every transaction in
/// blocks with `timestamp <= T` (a transfer in a block stamped exactly `T` counts); it can be
/// read once `block.timestamp > T`, and never changes afterwards.
///
/// Lazy checkpoints (as OpenZeppelin 4's ERC20Snapshot, keyed by record-date id): the token calls
/// `onBalanceChange` on every balance change (mint, burn, transfer, forced transfer, wallet
/// recovery), passing what the book needs so that it never calls back. When a record date has passed
/// since the account's last checkpoint, its balance before the change is stored once, under the
/// number of record dates passed; a lookup takes the first checkpoint at or after the id asked,
/// or the current balance when there is none. The token calls the hook only once its first
/// record date has passed, so scheduling a record date is what makes later transfers pay for
/// checkpoints.
interface IRecordDates {
    /// @notice A record date was scheduled.
    event RecordDateScheduled(address indexed token, uint256 indexed id, uint40 timestamp, address indexed by);
    /// @notice A checkpoint was written: `balance` was the balance of `account` (0: the total
    /// supply) at every record date of `token` up to `id` that no earlier checkpoint covers.
    event Checkpointed(address indexed token, address indexed account, uint256 indexed id, uint256 balance);

    /// @notice The caller does not hold the token's `CORPORATE_ACTION_ROLE`.
    error NotCorporateActionAgent(address token, address account);
    /// @notice The timestamp is not in the future, or not after the token's last record date.
    error InvalidRecordDate(address token, uint40 timestamp, uint40 earliest);
    /// @notice No record date with this id for the token (ids start at 1).
    error UnknownRecordDate(address token, uint256 id);
    /// @notice The record date has not passed yet: balances at it are not final.
    error RecordDateNotPassed(address token, uint256 id, uint40 timestamp);
    /// @notice The token does not point to this contract as its record-date book.
    error NotTokenRecordDates(address token);
    /// @notice Bad initialisation parameter.
    error InvalidConfiguration(bytes32 reason);

    /// @notice Schedule a record date for `token` at `timestamp` (strictly in the future and
    /// after its last record date). By an account holding `CORPORATE_ACTION_ROLE` on the token
    /// (checked with `IAccessControl(token).hasRole`), and only that role: once a token's first
    /// record date has passed, every balance change of the token calls this book and pays for
    /// the checkpoints it writes. The token must point to this contract (`recordDates()`).
    /// @return id The record date's id, from 1 upwards per token.
    function scheduleRecordDate(address token, uint40 timestamp) external returns (uint256 id);

    /// @notice Number of record dates scheduled for `token` (the last id).
    function recordDateCount(address token) external view returns (uint256);

    /// @notice Timestamp of record date `id` of `token` (reverts for an unknown id).
    function recordDateOf(address token, uint256 id) external view returns (uint40);

    /// @notice Number of record dates of `token` whose timestamp is before the current block's.
    function passedRecordDates(address token) external view returns (uint256);

    /// @notice Balance of `account` at record date `id` of `token`; reverts for an unknown id and
    /// while the record date has not passed (`block.timestamp <= timestamp`).
    function balanceAt(address token, address account, uint256 id) external view returns (uint256);

    /// @notice Total supply of `token` at record date `id`; reverts as `balanceAt`.
    function totalSupplyAt(address token, uint256 id) external view returns (uint256);

    /// @notice The token's hook, called by the token itself (`msg.sender` is the token whose
    /// checkpoints are written) after each balance change once its first record date has passed,
    /// with the values after the change: the balances before it are these plus or minus `value`.
    /// A change that moves nothing (zero value, or from an account to itself) is ignored. The only
    /// loop advances over the record dates passed since the token's previous call: at most the
    /// number scheduled, one storage read each.
    /// @param from Sender, or 0 for a mint.
    /// @param to Recipient, or 0 for a burn.
    /// @param value Units moved.
    /// @param fromBalance Balance of `from` after the change (ignored for a mint).
    /// @param toBalance Balance of `to` after the change (ignored for a burn).
    /// @param supply Total supply after the change (read for mints and burns only).
    function onBalanceChange(
        address from,
        address to,
        uint256 value,
        uint256 fromBalance,
        uint256 toBalance,
        uint256 supply
    )
        external;
}

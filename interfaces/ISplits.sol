// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ISecurityToken} from "./ISecurityToken.sol";
import {IRecordDates} from "./IRecordDates.sol";

/// @title ISplits
/// @notice Splits and consolidations (reverse splits) of a security token's units, applied to
/// every holding at a record date without a loop over holders, by minting and burning units.
///
/// Why not a balance multiplier. A multiplier inside the token would rescale every balance at
/// once, but the token has no room for it (it is within a few hundred bytes of EIP-170's size
/// limit) and every holding-based rule (holding cap, investor balances, freezes, checkpoints)
/// would have to be rescaled with it. Instead the new units are minted (split) or the surplus
/// burned (consolidation) per holder, in batches, from the balances the token's record-date book
/// (`IRecordDates`) fixes at the record date. The cost is gas per holder (one mint or burn
/// each); see the contract's NatSpec for the figures.
///
/// Lifecycle. The instrument's corporate-action agent (`CORPORATE_ACTION_ROLE` on the token)
/// `announce`s a split or a consolidation: the ratio `numerator:denominator` (new units for old
/// units), the record date and the deadline, with its ISO 20022 corporate-action event
/// reference. The record date is scheduled in the token's record-date book, which is why this
/// contract holds the token's `CORPORATE_ACTION_ROLE`; it mints and burns through the token, which
/// is why it also holds the token's `ISSUER_ROLE` (both checked at announce). After the record
/// date and until the deadline, the agent `applyTo`s batches of at most `MAX_BATCH` holders, or a
/// holder `claim`s for itself; each holder is applied once. After the deadline only held units
/// (split) are still minted.
///
/// Split (a bonus issue: a CSD credits the new units to the positions at the record date).
/// Ratio `n:d` with `n > d`. Each holder at the record date receives `floor(balanceAt * n / d) -
/// balanceAt` new units, minted to it. The instrument must accept mints when units are minted
/// (Active or Issued, not paused). A holder whose mint the transfer rules refuse (frozen wallet,
/// not registered, eligibility expired, holding cap, country rules, investor count) or that is a
/// system account (a settlement escrow, the bridge custody, which hold units for others) is not
/// minted to: its new units are recorded as held (`SplitHeld`, with the token's reason) and are
/// minted later, also after the deadline, by `applyTo` or `claim` once the wallet can receive
/// them, or released by the instrument's registrar to other wallets (`release`): another
/// eligible wallet of the same investor, or for a system account the beneficial owners.
///
/// Consolidation. Ratio `n:d` with `n < d`. Each holder at the record date has `balanceAt -
/// floor(balanceAt * n / d)` units burned from its balance now. The instrument must be
/// Suspended at announce and whenever units are burned, so that no transfer and no mint moves
/// units between the record date and the burns (burns, forced transfers and recoveries still go
/// on while suspended: see `INSUFFICIENT_UNITS`). The agent resumes the instrument once every
/// holder is applied. A holder that now holds fewer units than it must lose (the registrar moved
/// units away after the record date) is skipped (`INSUFFICIENT_UNITS`) and can be applied later,
/// before the deadline, once it holds them again. System accounts are never burned from
/// (`SYSTEM_ACCOUNT`): bring escrowed and bridged units home before the record date. Frozen
/// wallets are consolidated like any other (burns ignore freezes; frozen units go last).
///
/// Rounding. Always down, per holder, in the token's smallest units: a holder's new holding is
/// `floor(balanceAt * n / d)`, less than one smallest unit below the exact `balanceAt * n / d`.
/// For a split with an integer ratio (`d` divides `n`, e.g. 2:1, 3:1) nothing is rounded and
/// every holder's share of the supply is unchanged. Otherwise, with `b` and `b'` a holder's units
/// before and after, `S` and `S'` the supply, `N` the number of holders, its share `b' / S'`
/// is less than `1 / S'` below `b / S`, and less than `N * (b / S) / S'` above it (the fractions
/// the others lose raise every share a little). The fractions are not paid by this contract: each
/// holder's fraction is `(balanceAt * n) mod d / d` of a smallest unit (from the book's
/// `balanceAt`), and cash in lieu of it is paid off-chain, or by a `Distributions` distribution
/// (which shares a total pro rata of the balances at the record date, so it matches each
/// holder's own fraction only approximately).
///
/// Totals: `minted` (units minted, to holders or by releases), `burned`, `held` (units recorded
/// for holders not yet minted); for a split, the sum of the holders' units applied, held and
/// released is `minted + held`.
///
/// What is not rescaled. Everything the token keeps in units stays as it is: partial freezes (a
/// split's new units are unfrozen; a consolidation burns unfrozen units first), and the rules'
/// parameters (holding cap, minimum transfer). The instrument's enforcer and admin adjust them
/// around the action when they must follow the ratio. Other corporate actions whose record date
/// falls while a split is being applied see some holders before and some after it: the agent
/// schedules them after every holder is applied. Held units of a split minted after the record
/// date of a later one are not multiplied by the later ratio (a token's record dates must be
/// after the deadline of its previous split, so this concerns held units only).
interface ISplits {
    // ------------------------------------------------------------------ types

    /// @notice Which corporate action.
    enum Kind {
        Split, // numerator > denominator: new units are minted to each holder
        Consolidation // numerator < denominator: units are burned from each holder
    }

    /// @notice Where one holder stands.
    enum Status {
        None, // not applied yet (nothing due, skipped, or not reached by a batch)
        Applied, // units minted to it (split) or burned from it (consolidation)
        Held, // split: its new units are recorded, not minted (the mint is refused, or a system account)
        Released // split: its held units were all released by the registrar to other wallets
    }

    /// @notice What the agent announces.
    /// @param token The instrument; it must have a record-date book.
    /// @param kind `Split` or `Consolidation`.
    /// @param numerator New units in the ratio, 1 to `MAX_RATIO_TERM`.
    /// @param denominator Old units in the ratio, 1 to `MAX_RATIO_TERM`; below the numerator for a
    /// split, above it for a consolidation.
    /// @param recordDate In the future, at most `MAX_PERIOD` ahead, not before the token's last
    /// record date (equal shares it), and after the deadline of the token's previous split or
    /// consolidation.
    /// @param deadline After the record date, at most `MAX_PERIOD` after it.
    struct Terms {
        ISecurityToken token;
        Kind kind;
        uint32 numerator;
        uint32 denominator;
        uint40 recordDate;
        uint40 deadline;
    }

    /// @notice A split or consolidation as stored.
    /// @param token The instrument.
    /// @param recordDate Unix time of the record date: balances after the last block stamped at
    /// or before it count.
    /// @param deadline Unix time from which nothing more is applied (held units excepted).
    /// @param kind `Split` or `Consolidation`.
    /// @param recordDates The record-date book the record date was scheduled in.
    /// @param recordDateId The record date's id in that book.
    /// @param issuer The announcer.
    /// @param numerator New units in the ratio.
    /// @param denominator Old units in the ratio.
    /// @param minted Units minted (split): to holders, and by releases.
    /// @param burned Units burned (consolidation).
    /// @param held Units held now (split): recorded for holders, not yet minted nor released.
    /// @param eventRef ISO 20022 corporate-action event reference (Max35Text).
    struct Split {
        ISecurityToken token;
        uint40 recordDate;
        uint40 deadline;
        Kind kind;
        IRecordDates recordDates;
        uint64 recordDateId;
        address issuer;
        uint32 numerator;
        uint32 denominator;
        uint256 minted;
        uint256 burned;
        uint256 held;
        string eventRef;
    }

    /// @notice One holder's record: its status and units (minted to or burned from it when
    /// `Applied`, still held when `Held`, 0 when `Released`).
    struct Entry {
        Status status;
        uint248 units;
    }

    // ------------------------------------------------------------------ events

    /// @notice A split or consolidation was announced and its record date scheduled (or shared).
    event SplitAnnounced(
        uint256 indexed id, address indexed token, Kind indexed kind, Terms terms, uint256 recordDateId, address issuer, string eventRef
    );
    /// @notice `units` were minted to `holder` (split) or burned from it (consolidation).
    event SplitApplied(uint256 indexed id, address indexed holder, Kind kind, uint256 units, string eventRef);
    /// @notice `holder`'s `units` new units are held, for `reason`: the token's refusal of the
    /// mint (RECIPIENT_FROZEN, RECIPIENT_NOT_REGISTERED, RECIPIENT_ELIGIBILITY_EXPIRED,
    /// HOLDING_CAP_EXCEEDED, COUNTRY_NOT_ALLOWED, COUNTRY_DENIED, MAX_INVESTORS_REACHED) or
    /// SYSTEM_ACCOUNT.
    event SplitHeld(uint256 indexed id, address indexed holder, uint256 units, bytes32 reason, string eventRef);
    /// @notice The registrar minted `units` of `holder`'s held units to `to`.
    event SplitReleased(uint256 indexed id, address indexed holder, address indexed to, uint256 units, string eventRef);
    /// @notice A batch passed over `holder` for `reason` (ALREADY_APPLIED, RELEASED, NOTHING_DUE,
    /// PERIOD_OVER, SYSTEM_ACCOUNT, INSUFFICIENT_UNITS, or why its held units are still held).
    event SplitSkipped(uint256 indexed id, address indexed holder, bytes32 reason, string eventRef);

    // ------------------------------------------------------------------ errors

    /// @notice Bad initialisation parameter, or the book scheduled another record-date id.
    error InvalidConfiguration(bytes32 field);
    /// @notice An announced term is wrong: `token` (not a contract), `numerator` or
    /// `denominator` (0 or above `MAX_RATIO_TERM`), `ratio` (not above 1 for a split, not below 1
    /// for a consolidation), `recordDate` (not in the future, or too far), `deadline` (not after
    /// the record date, or too far), `reference` (empty or longer than 35 bytes).
    error InvalidTerms(bytes32 field);
    /// @notice `account` does not hold the instrument's `CORPORATE_ACTION_ROLE`.
    error NotCorporateActionAgent(address token, address account);
    /// @notice `account` does not hold the instrument's `REGISTRAR_ROLE`.
    error NotInstrumentRegistrar(address token, address account);
    /// @notice This contract lacks `role` on the instrument (ISSUER_ROLE to mint and burn,
    /// CORPORATE_ACTION_ROLE to schedule record dates).
    error MissingInstrumentRole(address token, bytes32 role);
    /// @notice The instrument has no record-date book (`ISecurityToken.recordDates`).
    error NoRecordDateBook(address token);
    /// @notice The record date is not after the deadline of the token's previous split or
    /// consolidation `previous` (their applications would overlap).
    error OverlapsPrevious(address token, uint256 previous, uint40 deadline);
    /// @notice The instrument is in the wrong lifecycle state: a consolidation needs `Suspended`;
    /// a split needs mints (`Active` or `Issued`; announced also while `Suspended`).
    error InvalidInstrumentState(address token, ISecurityToken.LifecycleState state);
    /// @notice The instrument is paused: no mint and no burn.
    error InstrumentPaused(address token);
    /// @notice No split or consolidation with this id.
    error UnknownSplit(uint256 id);
    /// @notice Balances at the record date are not final yet (until `block.timestamp > recordDate`).
    error RecordDateNotPassed(uint256 id, uint40 recordDate);
    /// @notice The deadline has passed.
    error PeriodOver(uint256 id, uint40 deadline);
    /// @notice `holder` is due nothing (no balance at the record date, or rounded to 0).
    error NothingDue(uint256 id, address holder);
    /// @notice `holder` was already applied, or its held units released.
    error AlreadyApplied(uint256 id, address holder);
    /// @notice `holder` cannot be applied now, for `reason` (a system account, or the token's
    /// refusal of the mint of its held units).
    error HolderNotEligible(uint256 id, address holder, bytes32 reason);
    /// @notice `holder` holds `balance`, fewer than the `units` to burn.
    error InsufficientUnits(uint256 id, address holder, uint256 units, uint256 balance);
    /// @notice A batch is empty, longer than `max`, its holders not in strictly ascending order,
    /// or (release) its arrays of different lengths.
    error InvalidBatch(uint256 size, uint256 max);
    /// @notice `holder` has no held units.
    error NotHeld(uint256 id, address holder);
    /// @notice The release asks for more than is held, or for nothing.
    error ReleaseExceedsHeld(uint256 id, address holder, uint256 amount, uint256 held);
    /// @notice `to` may not receive a release of `holder`'s units: not an investor wallet, the
    /// holder itself, another investor's wallet (for an investor's holder), or refused by the
    /// transfer rules for a mint.
    error InvalidReleaseRecipient(uint256 id, address to);

    // ------------------------------------------------------------------ constants

    /// @notice Most holders in one `applyTo` batch or recipients in one `release`.
    function MAX_BATCH() external view returns (uint256);
    /// @notice Longest reference (ISO 20022 Max35Text).
    function MAX_REFERENCE_LENGTH() external view returns (uint256);
    /// @notice Longest time from now to the record date, and from the record date to the deadline.
    function MAX_PERIOD() external view returns (uint256);
    /// @notice Largest numerator or denominator (1,000,000).
    function MAX_RATIO_TERM() external view returns (uint256);

    // ------------------------------------------------------------------ actions

    /// @notice Announce a split or consolidation and schedule its record date (caller: the
    /// instrument's corporate-action agent; this contract must hold the instrument's
    /// `CORPORATE_ACTION_ROLE` and `ISSUER_ROLE`). A consolidation only while the instrument is
    /// Suspended; a split not once it has matured or been redeemed. When the token's last record
    /// date is the same timestamp, it is shared, not scheduled again.
    /// @param terms The instrument, kind, ratio, record date and deadline (see `Terms`).
    /// @param eventRef ISO 20022 corporate-action event id, 1 to 35 bytes.
    /// @return id The id (from 1).
    function announce(Terms calldata terms, string calldata eventRef) external returns (uint256 id);

    /// @notice Apply the action to `holders` (caller: the instrument's corporate-action agent;
    /// after the record date, until the deadline; a split's held units also after it). Each holder
    /// is applied, held (split) or passed over (`SplitSkipped`) without reverting the batch; the
    /// batch reverts only for what concerns every holder (state, pause, dates, caller).
    /// @dev Named `applyTo` because `apply` is a reserved word in Solidity.
    /// @param holders At most `MAX_BATCH` wallets, in strictly ascending order.
    /// @return units Units minted (split) or burned (consolidation) by this batch.
    function applyTo(uint256 id, address[] calldata holders) external returns (uint256 units);

    /// @notice Apply the action to the caller (same dates and instrument states as `applyTo`).
    /// A split whose mint the caller cannot receive records its units as held (`SplitHeld`) and
    /// mints nothing; it mints them once the caller can receive them, also after the deadline.
    /// @return units Units minted to the caller or burned from it (0 when held).
    function claim(uint256 id) external returns (uint256 units);

    /// @notice Mint part or all of `holder`'s held units (split) to other wallets (caller: the
    /// instrument's registrar; also after the deadline): for an investor's wallet, other wallets
    /// of the same investor; for a system account, investor wallets (the beneficial owners of what
    /// it held at the record date). Every recipient must be able to receive the mint under the
    /// transfer rules; zero amounts are ignored. What is not released stays held.
    /// @param to At most `MAX_BATCH` recipients; `amounts` of the same length, summing to at most
    /// what is held (and more than 0).
    function release(uint256 id, address holder, address[] calldata to, uint256[] calldata amounts) external;

    // ------------------------------------------------------------------ views

    /// @notice Number of splits and consolidations announced (the last id).
    function splitCount() external view returns (uint256);
    /// @notice A split or consolidation with its totals (reverts `UnknownSplit`).
    function split(uint256 id) external view returns (Split memory);
    /// @notice `holder`'s record.
    function entry(uint256 id, address holder) external view returns (Entry memory);
    /// @notice Units due to `holder` by the ratio, from its balance at the record date: to mint
    /// (split) or to burn (consolidation), whether or not applied yet (see `entry`). Reverts
    /// before the record date has passed.
    function entitlementOf(uint256 id, address holder) external view returns (uint256);
}

// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ISecurityToken} from "./ISecurityToken.sol";
import {IRecordDates} from "./IRecordDates.sol";

/// @title IDistributions
/// @notice Cash distributions (coupons, dividends) to the holders of a security token at a
/// record date, paid in a cash token.
///
/// Lifecycle. The instrument's corporate-action agent (`CORPORATE_ACTION_ROLE` on the token)
/// `announce`s a distribution: record date, payment date, claim deadline, and either a rate per
/// whole unit (`PerUnit`) or a total amount shared pro rata (`Total`), with its ISO 20022
/// corporate-action event reference. The record date is scheduled in the token's record-date book
/// (`IRecordDates`), which fixes every holder's balance at it without a loop over holders; the
/// distributions contract schedules it itself, so it must hold the token's
/// `CORPORATE_ACTION_ROLE`. Anyone `fund`s it with exactly the amount required (for `PerUnit`
/// known only once the record date has passed: `floor(totalSupplyAt * rate / 10^decimals)`).
/// From the payment date until the claim deadline holders `claim`, or the agent `pay`s them in
/// batches of at most `MAX_BATCH`; nothing is paid while the distribution is underfunded. After
/// the deadline anyone may `sweep` what was not paid nor held back to the announcer.
///
/// Entitlement. `PerUnit`: `floor(balanceAt * rate / 10^tokenDecimals)`; `Total`:
/// `floor(total * balanceAt / totalSupplyAt)`, with `balanceAt` the holder's balance at the record
/// date, whatever happens after it. Rounding is always down, per holder: the remainder
/// (`funded - sum of entitlements`, less than one cash unit per holder) is never paid to anyone
/// and goes back to the announcer with the sweep.
///
/// Held entitlements. A holder whose wallet is frozen on the token, that is not an eligible
/// investor in the registry (unregistered, retired, expired) or that is a system account (a
/// settlement escrow, the bridge custody) is not paid: its entitlement is recorded as held and is
/// excluded from the sweep. It is paid later, also after the deadline, by `claim` or `pay` once the
/// wallet is eligible, or released by the instrument's registrar to another wallet of the same
/// investor or, for a system account, to the beneficial owners (`release`).
///
/// Conservation: `funded == paid + held + swept + unclaimed`, where `unclaimed` (`funded - paid -
/// held - swept`, what the contract still keeps for the distribution apart from held amounts)
/// includes the rounding remainder; nothing is paid twice.
interface IDistributions {
    // ------------------------------------------------------------------ types

    /// @notice How the amount is given.
    enum Kind {
        PerUnit, // `value` is the cash (smallest units) paid per whole unit of the security
        Total // `value` is the total cash shared pro rata of the balances at the record date
    }

    /// @notice Where one holder's entitlement stands.
    enum Status {
        None, // not paid nor held yet
        Paid, // paid to the holder
        Held, // recorded, not paid: the holder is frozen, ineligible or a system account
        Released // a held entitlement entirely released by the registrar to other wallets
    }

    /// @notice What the agent announces.
    /// @param token The instrument; it must have a record-date book.
    /// @param cashToken The cash token paid (a contract, not the instrument).
    /// @param recordDate In the future, at most `MAX_CLAIM_PERIOD` ahead, and after the token's
    /// last record date (or equal to it, which shares it).
    /// @param paymentDate After the record date (balances at it are final once it has passed).
    /// @param claimDeadline After the payment date, at most `MAX_CLAIM_PERIOD` after it.
    /// @param kind `PerUnit` or `Total`.
    /// @param value Cash per whole unit, or total cash (smallest units of the cash token), not 0.
    struct Terms {
        ISecurityToken token;
        IERC20 cashToken;
        uint40 recordDate;
        uint40 paymentDate;
        uint40 claimDeadline;
        Kind kind;
        uint256 value;
    }

    /// @notice A distribution as stored.
    /// @param token The instrument.
    /// @param recordDate Unix time of the record date: balances after the last block stamped at
    /// or before it count.
    /// @param paymentDate Unix time from which the entitlement is paid (after the record date).
    /// @param kind `PerUnit` or `Total`.
    /// @param cashToken The cash token paid.
    /// @param claimDeadline Unix time from which nothing is claimed (held amounts excepted) and the
    /// rest may be swept.
    /// @param tokenDecimals The instrument's decimals (10^decimals smallest units make a whole unit).
    /// @param recordDates The record-date book the record date was scheduled in.
    /// @param recordDateId The record date's id in that book.
    /// @param issuer The announcer: receives the sweep.
    /// @param value Rate per whole unit (`PerUnit`) or total amount (`Total`), in cash smallest units.
    /// @param funded Cash received.
    /// @param paid Cash paid to holders (claims, batches and releases).
    /// @param held Entitlements held now (recorded, not yet paid or released).
    /// @param swept Cash returned to the announcer.
    /// @param eventRef ISO 20022 corporate-action event reference (Max35Text).
    struct Distribution {
        ISecurityToken token;
        uint40 recordDate;
        uint40 paymentDate;
        Kind kind;
        IERC20 cashToken;
        uint40 claimDeadline;
        uint8 tokenDecimals;
        IRecordDates recordDates;
        uint64 recordDateId;
        address issuer;
        uint256 value;
        uint256 funded;
        uint256 paid;
        uint256 held;
        uint256 swept;
        string eventRef;
    }

    /// @notice One holder's record: its status and the amount held now.
    struct Entry {
        Status status;
        uint248 held;
    }

    // ------------------------------------------------------------------ events

    /// @notice A distribution was announced and its record date scheduled (or shared).
    event DistributionAnnounced(
        uint256 indexed id, address indexed token, address indexed cashToken, Terms terms, uint256 recordDateId, address issuer, string eventRef
    );
    /// @notice `amount` was received from `funder`; `funded` is the new total.
    event DistributionFunded(uint256 indexed id, address indexed funder, uint256 amount, uint256 funded, string eventRef);
    /// @notice `holder` was paid `amount`.
    event EntitlementPaid(uint256 indexed id, address indexed holder, uint256 amount, string eventRef);
    /// @notice `holder`'s entitlement of `amount` is held, for `reason` (HOLDER_FROZEN,
    /// SYSTEM_ACCOUNT, NOT_REGISTERED, ELIGIBILITY_EXPIRED).
    event EntitlementHeld(uint256 indexed id, address indexed holder, uint256 amount, bytes32 reason, string eventRef);
    /// @notice `amount` of `holder`'s held entitlement was paid to `to` by the registrar.
    event EntitlementReleased(
        uint256 indexed id, address indexed holder, address indexed to, uint256 amount, string eventRef
    );
    /// @notice A batch passed over `holder` for `reason` (ALREADY_PAID, RELEASED, NOTHING_ENTITLED,
    /// or the reason its held entitlement is still held).
    event PaymentSkipped(uint256 indexed id, address indexed holder, bytes32 reason, string eventRef);
    /// @notice `amount` (unclaimed entitlements and the rounding remainder) went back to `to`.
    event DistributionSwept(uint256 indexed id, address indexed to, uint256 amount, string eventRef);

    // ------------------------------------------------------------------ errors

    /// @notice Bad initialisation parameter.
    error InvalidConfiguration(bytes32 field);
    /// @notice An announced term is wrong: `token`, `cashToken`, `recordDate` (not in the future,
    /// or too far), `paymentDate` (not after the record date), `claimDeadline` (not after the
    /// payment date, or more than `MAX_CLAIM_PERIOD` after it), `value` (zero) or `reference`
    /// (empty or longer than 35 bytes).
    error InvalidTerms(bytes32 field);
    /// @notice `account` does not hold the instrument's `CORPORATE_ACTION_ROLE`.
    error NotCorporateActionAgent(address token, address account);
    /// @notice `account` does not hold the instrument's `REGISTRAR_ROLE`.
    error NotInstrumentRegistrar(address token, address account);
    /// @notice The instrument has no record-date book (`ISecurityToken.recordDates`).
    error NoRecordDateBook(address token);
    /// @notice No distribution with this id.
    error UnknownDistribution(uint256 id);
    /// @notice Balances at the record date are not final yet (until `block.timestamp > recordDate`).
    error RecordDateNotPassed(uint256 id, uint40 recordDate);
    /// @notice Payment starts at the payment date.
    error PaymentNotStarted(uint256 id, uint40 paymentDate);
    /// @notice The claim deadline has passed.
    error ClaimPeriodOver(uint256 id, uint40 claimDeadline);
    /// @notice Nothing is swept before the claim deadline.
    error ClaimPeriodNotOver(uint256 id, uint40 claimDeadline);
    /// @notice Nothing is paid while the distribution holds less than it requires.
    error Underfunded(uint256 id, uint256 required, uint256 funded);
    /// @notice The distribution already holds what it requires.
    error AlreadyFunded(uint256 id);
    /// @notice The cash token credited less than was sent (fee-on-transfer tokens are refused).
    error DepositShortfall(address token, uint256 expected, uint256 received);
    /// @notice `holder` is entitled to nothing (no balance at the record date, or rounded to 0).
    error NothingEntitled(uint256 id, address holder);
    /// @notice `holder`'s entitlement was already paid or released.
    error AlreadyPaid(uint256 id, address holder);
    /// @notice `holder`'s entitlement is held and the wallet still cannot be paid, for `reason`.
    error HolderNotEligible(uint256 id, address holder, bytes32 reason);
    /// @notice A batch is empty, longer than `max`, or its holders are not in strictly ascending
    /// order (each named once).
    error InvalidBatch(uint256 size, uint256 max);
    /// @notice `holder` has no held entitlement.
    error NotHeld(uint256 id, address holder);
    /// @notice The release asks for more than is held.
    error ReleaseExceedsHeld(uint256 id, address holder, uint256 amount, uint256 held);
    /// @notice `to` may not receive a release of `holder`'s entitlement: not an eligible investor
    /// wallet, frozen, the holder itself, or (for an investor's wallet) another investor's.
    error InvalidReleaseRecipient(uint256 id, address to);
    /// @notice Nothing left to sweep.
    error NothingToSweep(uint256 id);

    // ------------------------------------------------------------------ constants

    /// @notice Most holders in one `pay` batch or recipients in one `release`.
    function MAX_BATCH() external view returns (uint256);
    /// @notice Longest reference (ISO 20022 Max35Text).
    function MAX_REFERENCE_LENGTH() external view returns (uint256);
    /// @notice Longest time from the payment date to the claim deadline, and from now to the
    /// record date (10 years).
    function MAX_CLAIM_PERIOD() external view returns (uint256);

    // ------------------------------------------------------------------ actions

    /// @notice Announce a distribution and schedule its record date (caller: the instrument's
    /// corporate-action agent; this contract must hold the same role on the instrument). When the
    /// token's last scheduled record date is the same timestamp, it is shared, not scheduled again.
    /// @param terms What is distributed, when, in which cash token (see `Terms`).
    /// @param eventRef ISO 20022 corporate-action event id, 1 to 35 bytes.
    /// @return id The distribution's id (from 1).
    function announce(Terms calldata terms, string calldata eventRef) external returns (uint256 id);

    /// @notice Pull from the caller exactly what the distribution still misses (`required -
    /// funded`); the caller approved this contract. For `PerUnit`, once the record date has passed.
    /// Refused after the claim deadline, when nothing is missing, and for fee-on-transfer tokens.
    /// @return amount The cash pulled.
    function fund(uint256 id) external returns (uint256 amount);

    /// @notice Pay the caller its entitlement (from the payment date until the claim deadline; a
    /// held entitlement also after it). A caller that cannot be paid (frozen, ineligible, system
    /// account) has its entitlement recorded as held and receives nothing (`EntitlementHeld`).
    /// @return amount The cash paid (0 when held).
    function claim(uint256 id) external returns (uint256 amount);

    /// @notice Pay `holders` their entitlements (caller: the instrument's corporate-action agent;
    /// from the payment date until the claim deadline, then only held entitlements). Each holder is
    /// paid, held or passed over (`PaymentSkipped`) without reverting the batch.
    /// @param holders At most `MAX_BATCH` wallets, in strictly ascending order.
    /// @return total The cash paid by this batch.
    function pay(uint256 id, address[] calldata holders) external returns (uint256 total);

    /// @notice Release part or all of `holder`'s held entitlement to other wallets (caller: the
    /// instrument's registrar): for an investor's wallet, other eligible, unfrozen wallets of the
    /// same investor; for a system account, eligible, unfrozen investor wallets (the beneficial
    /// owners of what it held at the record date). What is not released stays held.
    /// @param to At most `MAX_BATCH` recipients; `amounts` of the same length, summing to at most
    /// what is held.
    function release(uint256 id, address holder, address[] calldata to, uint256[] calldata amounts) external;

    /// @notice After the claim deadline, send what is neither paid nor held (unclaimed
    /// entitlements and the rounding remainder) to the announcer. Anyone may call it.
    /// @return amount The cash swept.
    function sweep(uint256 id) external returns (uint256 amount);

    // ------------------------------------------------------------------ views

    /// @notice Number of distributions announced (the last id).
    function distributionCount() external view returns (uint256);
    /// @notice A distribution (reverts `UnknownDistribution`).
    function distribution(uint256 id) external view returns (Distribution memory);
    /// @notice `holder`'s record.
    function entry(uint256 id, address holder) external view returns (Entry memory);
    /// @notice `holder`'s entitlement, from its balance at the record date (reverts before the
    /// record date has passed).
    function entitlementOf(uint256 id, address holder) external view returns (uint256);
    /// @notice Cash the distribution requires: `value` for `Total`, `floor(totalSupplyAt * rate /
    /// 10^decimals)` for `PerUnit` (reverts before the record date has passed).
    function required(uint256 id) external view returns (uint256);
    /// @notice Cash kept for the distribution that is neither paid, held nor swept (unclaimed
    /// entitlements and the rounding remainder): `funded - paid - held - swept`.
    function unclaimed(uint256 id) external view returns (uint256);
}

// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ISecurityToken} from "./ISecurityToken.sol";
import {IRecordDates} from "./IRecordDates.sol";

/// @title IRedemption
/// @notice Redemption of a security token's units against cash: every unit at maturity (`Full`)
/// or a fraction of each holding at a record date (`ProRata`, a partial redemption). Units are
/// burned (through the token's `burn`, so this contract holds the token's `ISSUER_ROLE`) exactly
/// as they are paid for, in the same transaction.
///
/// Lifecycle. The instrument's corporate-action agent (`CORPORATE_ACTION_ROLE` on the token)
/// `announce`s a redemption with its price per whole unit (by default the instrument's nominal
/// value, converted to the cash token's decimals), its start date, deadline and ISO 20022
/// corporate-action event reference; a pro-rata one also has a record date (scheduled in the
/// token's record-date book, which is why this contract also holds `CORPORATE_ACTION_ROLE`) and
/// a fraction `numerator / denominator`. Anyone `fund`s it. From the start date until the
/// deadline holders `redeem`, or the agent `redeemFor`s them in batches of at most `MAX_BATCH`.
/// After the deadline anyone may `sweep` the cash neither paid nor held back to the announcer;
/// units not redeemed by then stay outstanding (the issuer announces another redemption for
/// them).
///
/// Units. `Full` (from the start date, at or after maturity): the holder's whole balance at the
/// time it redeems; it may redeem again when units reach it later, e.g. units bridged to another
/// chain, which sit in the bridge custody (a system account) at home and are redeemed once the
/// holder has brought them home (custody -> holder, which a matured instrument allows). `ProRata`:
/// `floor(balanceAt(recordDate) * numerator / denominator)` once per holder, burned from its
/// balance now (it must still hold them). Cash: `floor(units * price / 10^tokenDecimals)`; the
/// remainder of rounding stays with the issuer.
///
/// Held. A holder whose wallet is frozen, has frozen units, or is not an eligible investor
/// (unregistered, retired, expired) is not redeemed: its units are neither burned nor paid; they
/// and their cash are recorded as held (the cash is excluded from the sweep), redeemed later, also
/// after the deadline, when the wallet is eligible again, or by the instrument's registrar to
/// another wallet of the same investor (`release`: burns the held units, pays that wallet).
/// System accounts (escrow, custody) are never redeemed nor held: the units they keep belong to
/// others and are redeemed once they leave them.
///
/// Funding. `ProRata` requires `floor(floor(totalSupplyAt * numerator / denominator) * price /
/// 10^decimals)`, known once the record date has passed. `Full` requires `paid + floor(totalSupply
/// * price / 10^decimals)`: the cash for every unit still outstanding; nothing is redeemed while
/// the funding is short. Conservation: `funded == paid + reserved + swept + unused`.
interface IRedemption {
    // ------------------------------------------------------------------ types

    /// @notice Which units are redeemed.
    enum Kind {
        Full, // every unit, at or after maturity: each holder's balance when it redeems
        ProRata // a fraction of each holding at the record date
    }

    /// @notice Where one holder stands.
    enum Status {
        None, // nothing redeemed nor held yet
        Redeemed, // units burned and paid (`Full`: may redeem again if units reach it)
        Held // units and their cash held: the wallet cannot be redeemed now
    }

    /// @notice What the agent announces.
    /// @param token The instrument.
    /// @param cashToken The cash token paid (a contract, not the instrument).
    /// @param kind `Full` or `ProRata`.
    /// @param pricePerUnit Cash (smallest units) per whole unit of the instrument; 0 for the
    /// instrument's nominal value (`nominalPerUnit`, 18 decimals) converted exactly to the cash
    /// token's decimals, the cash token being in the instrument's currency when it says
    /// (`ICashToken.currency`).
    /// @param numerator Fraction of each holding redeemed (`ProRata`; ignored for `Full`).
    /// @param denominator Fraction of each holding redeemed (`ProRata`; ignored for `Full`).
    /// @param recordDate `ProRata`: in the future; `Full`: 0.
    /// @param startDate Redemption opens: after the record date (`ProRata`), at or after the
    /// instrument's maturity (`Full`).
    /// @param deadline Redemption closes; after the start date and now, at most `MAX_PERIOD` after
    /// the start date.
    struct Terms {
        ISecurityToken token;
        IERC20 cashToken;
        Kind kind;
        uint256 pricePerUnit;
        uint128 numerator;
        uint128 denominator;
        uint40 recordDate;
        uint40 startDate;
        uint40 deadline;
    }

    /// @notice A redemption as stored. `price` is the effective price per whole unit; `funded`,
    /// `paid` (to holders), `reserved` (cash of held units), `swept` (back to the announcer) are
    /// cash; `unitsRedeemed` and `unitsHeld` are units.
    struct Redemption {
        ISecurityToken token;
        uint40 recordDate;
        uint40 startDate;
        Kind kind;
        IERC20 cashToken;
        uint40 deadline;
        uint8 tokenDecimals;
        IRecordDates recordDates;
        uint64 recordDateId;
        address issuer;
        uint256 price;
        uint128 numerator;
        uint128 denominator;
        uint256 funded;
        uint256 paid;
        uint256 reserved;
        uint256 swept;
        uint256 unitsRedeemed;
        uint256 unitsHeld;
        string eventRef;
    }

    /// @notice One holder's record: its status and units (held now, or burned by its last redemption).
    struct Entry {
        Status status;
        uint248 units;
    }

    // ------------------------------------------------------------------ events

    /// @notice A redemption was announced (and, pro rata, its record date scheduled).
    event RedemptionAnnounced(
        uint256 indexed id, address indexed token, address indexed cashToken, Terms terms, uint256 price, uint256 recordDateId, address issuer, string eventRef
    );
    /// @notice `amount` was received from `funder`; `funded` is the new total.
    event RedemptionFunded(uint256 indexed id, address indexed funder, uint256 amount, uint256 funded, string eventRef);
    /// @notice `units` of `holder` were burned and `payment` paid to it.
    event UnitsRedeemed(uint256 indexed id, address indexed holder, uint256 units, uint256 payment, string eventRef);
    /// @notice `units` of `holder` (worth `payment`) are held, for `reason` (HOLDER_FROZEN,
    /// UNITS_FROZEN, NOT_REGISTERED, ELIGIBILITY_EXPIRED).
    event RedemptionHeld(
        uint256 indexed id, address indexed holder, uint256 units, uint256 payment, bytes32 reason, string eventRef
    );
    /// @notice The registrar burned `holder`'s held `units` and paid `payment` to `to`.
    event HeldRedemptionReleased(
        uint256 indexed id, address indexed holder, address indexed to, uint256 units, uint256 payment, string eventRef
    );
    /// @notice A batch passed over `holder` for `reason` (ALREADY_REDEEMED, NOTHING_TO_REDEEM,
    /// SYSTEM_ACCOUNT, INSUFFICIENT_UNITS, PERIOD_OVER, or why its held units are still held).
    event RedemptionSkipped(uint256 indexed id, address indexed holder, bytes32 reason, string eventRef);
    /// @notice `amount` of unused cash went back to `to`.
    event RedemptionSwept(uint256 indexed id, address indexed to, uint256 amount, string eventRef);

    // ------------------------------------------------------------------ errors

    /// @notice Bad initialisation parameter.
    error InvalidConfiguration(bytes32 field);
    /// @notice An announced term is wrong: `token`, `cashToken` (not a contract, the instrument,
    /// or another currency), `price` (0, or the nominal does not convert exactly), `kind` (`Full`
    /// of an instrument without maturity), `fraction`, `recordDate`, `startDate`, `deadline`,
    /// `reference`.
    error InvalidTerms(bytes32 field);
    /// @notice `account` does not hold the instrument's `CORPORATE_ACTION_ROLE`.
    error NotCorporateActionAgent(address token, address account);
    /// @notice `account` does not hold the instrument's `REGISTRAR_ROLE`.
    error NotInstrumentRegistrar(address token, address account);
    /// @notice This contract lacks `role` on the instrument (ISSUER_ROLE to burn,
    /// CORPORATE_ACTION_ROLE to schedule record dates and mark the instrument redeemed).
    error MissingInstrumentRole(address token, bytes32 role);
    /// @notice The instrument has no record-date book (`ISecurityToken.recordDates`).
    error NoRecordDateBook(address token);
    /// @notice No redemption with this id.
    error UnknownRedemption(uint256 id);
    /// @notice Balances at the record date are not final yet (until `block.timestamp > recordDate`).
    error RecordDateNotPassed(uint256 id, uint40 recordDate);
    /// @notice Redemption opens at the start date.
    error RedemptionNotStarted(uint256 id, uint40 startDate);
    /// @notice The deadline has passed.
    error RedemptionPeriodOver(uint256 id, uint40 deadline);
    /// @notice Nothing is swept before the deadline.
    error RedemptionPeriodNotOver(uint256 id, uint40 deadline);
    /// @notice Nothing is redeemed while the redemption holds less than it requires.
    error Underfunded(uint256 id, uint256 required, uint256 funded);
    /// @notice The redemption already holds what it requires.
    error AlreadyFunded(uint256 id);
    /// @notice The cash token credited less than was sent (fee-on-transfer tokens are refused).
    error DepositShortfall(address token, uint256 expected, uint256 received);
    /// @notice `holder` has no unit to redeem (none held now for `Full`, none at the record date
    /// for `ProRata`, or rounded to 0).
    error NothingToRedeem(uint256 id, address holder);
    /// @notice `holder` already redeemed its pro-rata units.
    error AlreadyRedeemed(uint256 id, address holder);
    /// @notice `holder` cannot be redeemed now, for `reason` (a system account, or held units
    /// whose wallet is still not eligible).
    error HolderNotEligible(uint256 id, address holder, bytes32 reason);
    /// @notice `holder` holds fewer than the `units` to burn.
    error InsufficientUnits(uint256 id, address holder, uint256 units);
    /// @notice A batch is empty, longer than `max`, or its holders are not in strictly ascending order.
    error InvalidBatch(uint256 size, uint256 max);
    /// @notice `holder` has no held units.
    error NotHeld(uint256 id, address holder);
    /// @notice `to` may not receive the cash of `holder`'s held units: not an eligible, unfrozen
    /// wallet of the same investor.
    error InvalidReleaseRecipient(uint256 id, address to);
    /// @notice Nothing left to sweep.
    error NothingToSweep(uint256 id);

    // ------------------------------------------------------------------ constants

    /// @notice Most holders in one `redeemFor` batch.
    function MAX_BATCH() external view returns (uint256);
    /// @notice Longest reference (ISO 20022 Max35Text).
    function MAX_REFERENCE_LENGTH() external view returns (uint256);
    /// @notice Longest time from the start date to the deadline, and from now to a record date.
    function MAX_PERIOD() external view returns (uint256);

    // ------------------------------------------------------------------ actions

    /// @notice Announce a redemption (caller: the instrument's corporate-action agent; this
    /// contract must hold the instrument's `ISSUER_ROLE` and `CORPORATE_ACTION_ROLE`).
    /// @param eventRef ISO 20022 corporate-action event id, 1 to 35 bytes.
    /// @return id The redemption's id (from 1).
    function announce(Terms calldata terms, string calldata eventRef) external returns (uint256 id);

    /// @notice Pull from the caller what the redemption still misses (`required - funded`); the
    /// caller approved this contract. Pro rata, once the record date has passed. Refused after the
    /// deadline, when nothing is missing, and for fee-on-transfer tokens.
    /// @return amount The cash pulled.
    function fund(uint256 id) external returns (uint256 amount);

    /// @notice Redeem the caller's units (from the start date until the deadline; held units also
    /// after it): burn them and pay their cash. A caller that cannot be redeemed (frozen, frozen
    /// units, ineligible) has its units recorded as held and nothing moves (`RedemptionHeld`).
    /// @return units Units burned (0 when held).
    /// @return payment Cash paid (0 when held).
    function redeem(uint256 id) external returns (uint256 units, uint256 payment);

    /// @notice Redeem `holders` (caller: the instrument's corporate-action agent); each is
    /// redeemed, held or passed over (`RedemptionSkipped`) without reverting the batch.
    /// @param holders At most `MAX_BATCH` wallets, in strictly ascending order.
    /// @return units Units burned by this batch.
    /// @return payment Cash paid by this batch.
    function redeemFor(uint256 id, address[] calldata holders) external returns (uint256 units, uint256 payment);

    /// @notice Burn `holder`'s held units and pay their cash to `to`, another eligible, unfrozen
    /// wallet of the same investor (caller: the instrument's registrar).
    function release(uint256 id, address holder, address to) external;

    /// @notice After the deadline, send the cash neither paid nor held to the announcer (anyone
    /// may call it).
    /// @return amount The cash swept.
    function sweep(uint256 id) external returns (uint256 amount);

    // ------------------------------------------------------------------ views

    /// @notice Number of redemptions announced (the last id).
    function redemptionCount() external view returns (uint256);
    /// @notice A redemption (reverts `UnknownRedemption`).
    function redemption(uint256 id) external view returns (Redemption memory);
    /// @notice `holder`'s record.
    function entry(uint256 id, address holder) external view returns (Entry memory);
    /// @notice Units `holder` would redeem now and their cash (pro rata: reverts before the record
    /// date has passed; already redeemed: 0).
    function redeemable(uint256 id, address holder) external view returns (uint256 units, uint256 payment);
    /// @notice Cash the redemption requires now (see Funding).
    function required(uint256 id) external view returns (uint256);
    /// @notice Cash kept for the redemption that is neither paid, reserved nor swept.
    function unused(uint256 id) external view returns (uint256);
}

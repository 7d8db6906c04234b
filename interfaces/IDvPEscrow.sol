// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ISecurityToken} from "./ISecurityToken.sol";

/// @title IDvPEscrow
/// @notice Delivery versus payment on one chain: a seller delivers units of a security token, a
/// buyer pays in a cash token, both legs move in one transaction or neither does.
///
/// Lifecycle. Either party `instruct`s the trade's terms, which escrows its own leg (the trade is
/// `Proposed`); the counterparty instructs the same terms, or `affirm`s the trade id, which
/// escrows its leg (the trade is `Matched`). Anyone may then `settle` it before its deadline:
/// the units go escrow -> buyer under the security token's transfer rules and the cash goes
/// escrow -> seller, atomically. Before the deadline the trade is `Cancelled` by either party
/// while `Proposed` (the proposer withdraws, or the counterparty declines) and by both parties
/// while `Matched`; from the deadline on, an unsettled trade is `Expired`. A cancelled or
/// expired trade gives each party back exactly the leg it escrowed, when it asks (`reclaim`).
///
/// The trade id is `keccak256(abi.encode(block.chainid, escrow, terms, tradeRef))`: every term,
/// both parties and the ISO 20022 trade reference are in it, so terms that differ in anything
/// (a mismatched instruction) are simply another trade, and the same reference between another
/// pair of parties is another trade. An id is used once: a settled, cancelled or expired trade
/// cannot be instructed again (use a new reference).
///
/// The escrow is registered in the investor registry as a system account: it holds units without
/// being an investor. The units it holds remain the seller's until settlement:
/// `escrowedSecurities(owner, security)` lets the cap table show them under their owner.
interface IDvPEscrow {
    // ------------------------------------------------------------------ types

    /// @notice A party of a trade.
    enum Side {
        Seller,
        Buyer
    }

    /// @notice Where a trade stands. `Expired` is reported by the views as soon as the deadline
    /// has passed on an unsettled, uncancelled trade, and is stored on its first reclaim.
    enum Status {
        None, // unknown id
        Proposed, // one leg escrowed
        Matched, // both legs escrowed: settleable until the deadline
        Settled, // both legs delivered
        Cancelled, // withdrawn (proposed) or cancelled by both (matched): legs reclaimable
        Expired // deadline passed unsettled: legs reclaimable
    }

    /// @notice What both parties agree; its hash with the reference is the trade id.
    /// @param seller Delivers `quantity` units of `security`.
    /// @param buyer Pays `amount` of `cashToken`.
    /// @param security The instrument (a `SecurityToken`).
    /// @param quantity Units, in the security's smallest unit.
    /// @param cashToken The cash token (6 decimals for `CashToken`).
    /// @param amount Cash, in the cash token's smallest unit.
    /// @param deadline Unix time: settlement is possible strictly before it; from it on the trade
    /// is expired and the legs reclaimable. At most `MAX_SETTLEMENT_PERIOD` ahead when proposed.
    struct TradeTerms {
        address seller;
        address buyer;
        ISecurityToken security;
        uint128 quantity;
        IERC20 cashToken;
        uint128 amount;
        uint40 deadline;
    }

    /// @notice A trade as stored (the `status` returned by `trade` is the effective one, see
    /// `Status`). `sellerHeld` / `buyerHeld`: that party's leg is in the escrow now.
    /// `sellerCancels` / `buyerCancels`: that party asked to cancel the matched trade.
    /// `settledAt` / `settledBlock`: time and block of settlement (0 until settled).
    /// @dev Packed into six slots and the reference; settlement reads five and writes two.
    struct Trade {
        address seller;
        uint40 deadline;
        Status status;
        bool sellerHeld;
        bool buyerHeld;
        bool sellerCancels;
        bool buyerCancels;
        address buyer;
        ISecurityToken security;
        IERC20 cashToken;
        uint40 settledAt;
        uint56 settledBlock;
        uint128 quantity;
        uint128 amount;
        string tradeRef;
    }

    // ------------------------------------------------------------------ events

    /// @notice A new trade: `proposer` instructed `terms` and escrowed its leg.
    event TradeProposed(
        bytes32 indexed tradeId, address indexed proposer, Side side, TradeTerms terms, string tradeRef
    );
    /// @notice The counterparty instructed the same terms (or affirmed) and escrowed its leg.
    event TradeMatched(bytes32 indexed tradeId, address indexed party, Side side, string tradeRef);
    /// @notice Both legs were delivered.
    event TradeSettled(bytes32 indexed tradeId, address indexed seller, address indexed buyer, string tradeRef);
    /// @notice A trade of a batch was not settled (it is left as it was); `code` and `reason` are
    /// the token's rule verdict, or 0x50 with NOT_MATCHED, EXPIRED or TRANSFER_FAILED.
    event SettlementFailed(bytes32 indexed tradeId, bytes1 code, bytes32 reason, string tradeRef);
    /// @notice One party of a matched trade asked to cancel it.
    event CancelRequested(bytes32 indexed tradeId, address indexed party, Side side, string tradeRef);
    /// @notice The trade is cancelled (`by` is the party whose call cancelled it).
    event TradeCancelled(bytes32 indexed tradeId, address indexed by, string tradeRef);
    /// @notice The deadline passed unsettled; recorded on the first reclaim.
    event TradeExpired(bytes32 indexed tradeId, string tradeRef);
    /// @notice A party's leg left the escrow back to its owner (`to`: the party or another wallet
    /// of its investor).
    event LegReclaimed(
        bytes32 indexed tradeId, Side indexed side, address indexed to, address token, uint256 amount, string tradeRef
    );
    /// @notice The instrument's registrar moved a reclaimable securities leg to `to`.
    event SecuritiesRecovered(
        bytes32 indexed tradeId,
        address indexed registrar,
        address indexed to,
        uint256 quantity,
        string reason,
        string tradeRef
    );

    // ------------------------------------------------------------------ errors

    /// @notice A term is unusable: "parties", "security", "cash token", "quantity", "amount",
    /// "deadline" or "reference".
    error InvalidTerms(bytes32 field);
    /// @notice A role holder given at initialisation is the zero address.
    error InvalidConfiguration(bytes32 reason);
    /// @notice No trade has this id.
    error UnknownTrade(bytes32 tradeId);
    /// @notice `account` is neither the seller nor the buyer of the trade.
    error NotAParty(bytes32 tradeId, address account);
    /// @notice The trade is not open for this (instructing, affirming or cancelling needs
    /// `Proposed` or `Matched`).
    error TradeNotOpen(bytes32 tradeId, Status status);
    /// @notice This party's leg is already escrowed.
    error AlreadyInstructed(bytes32 tradeId, Side side);
    /// @notice Settlement needs a matched trade.
    error TradeNotMatched(bytes32 tradeId, Status status);
    /// @notice The trade's deadline has passed (it can only be reclaimed now).
    error DeadlinePassed(bytes32 tradeId, uint40 deadline);
    /// @notice The security token refuses to deliver to the buyer: its rule verdict.
    error SettlementRefused(bytes32 tradeId, bytes1 code, bytes32 reason);
    /// @notice This party already asked to cancel.
    error CancelAlreadyRequested(bytes32 tradeId, Side side);
    /// @notice Reclaiming needs a cancelled or expired trade.
    error NotReclaimable(bytes32 tradeId, Status status);
    /// @notice That leg is not in the escrow (never escrowed, or already reclaimed).
    error NothingToReclaim(bytes32 tradeId, Side side);
    /// @notice The security token refuses to deliver the units back: its rule verdict.
    error ReclaimRefused(bytes32 tradeId, bytes1 code, bytes32 reason);
    /// @notice `account` is not a registered wallet of the investor who owns the leg.
    error NotSameInvestor(bytes32 tradeId, address account);
    /// @notice `account` does not hold the registrar role of `security`.
    error NotInstrumentRegistrar(address security, address account);
    /// @notice The token credited the escrow with less than the leg (a fee-on-transfer token).
    error DepositShortfall(address token, uint256 expected, uint256 received);
    /// @notice A batch is empty or longer than `MAX_BATCH`.
    error InvalidBatch(uint256 length, uint256 max);
    /// @notice Too little gas left to give trade `index` of a batch its full `TRADE_GAS`.
    error InsufficientGas(uint256 index);
    /// @notice `settleOne` is for the escrow's own batch only.
    error OnlySelf();

    // ------------------------------------------------------------------ trading

    /// @notice Instruct a trade and escrow the caller's leg: the seller's `quantity` units (an
    /// ordinary `transferFrom`, so the security's rules apply to seller -> escrow) or the buyer's
    /// `amount` of cash. The caller approves the escrow first. The first instruction proposes
    /// the trade; the counterparty's instruction of the same terms and reference matches it.
    /// @return tradeId The trade's id (`computeTradeId(terms, tradeRef)`).
    function instruct(TradeTerms calldata terms, string calldata tradeRef) external returns (bytes32 tradeId);

    /// @notice Accept a proposed trade by its id: the same as instructing its terms (escrows the
    /// caller's leg and matches the trade).
    function affirm(bytes32 tradeId) external;

    /// @notice Settle a matched trade before its deadline (anyone): units escrow -> buyer under the
    /// security's rules, cash escrow -> seller, both or neither. A rule refusal reverts with
    /// `SettlementRefused` carrying the token's code and reason (for example
    /// RECIPIENT_ELIGIBILITY_EXPIRED, or TOKEN_PAUSED).
    function settle(bytes32 tradeId) external;

    /// @notice Settle up to `MAX_BATCH` trades, each on its own (anyone): a trade that cannot
    /// settle is left as it was and reported, and does not stop the others. Each trade runs
    /// with exactly `TRADE_GAS`; the call reverts with `InsufficientGas` rather than run one with
    /// less, so the outcome never depends on the gas the caller chose.
    /// @return settled Per trade, whether it settled.
    /// @return reasons Per trade, "OK" or why not (see `SettlementFailed`).
    function settleBatch(bytes32[] calldata tradeIds)
        external
        returns (bool[] memory settled, bytes32[] memory reasons);

    /// @notice One trade of `settleBatch`, called by the escrow on itself (`OnlySelf` otherwise).
    function settleOne(bytes32 tradeId) external;

    /// @notice Cancel (a party, before the deadline). A proposed trade is cancelled at once, by
    /// its proposer or its counterparty; a matched trade once both parties asked. A cancel
    /// request does not stop a settlement that comes first.
    function cancel(bytes32 tradeId) external;

    /// @notice Take back the caller's escrowed leg of a cancelled or expired trade, to the caller
    /// (securities under the token's rules: a refusal reverts with `ReclaimRefused`).
    function reclaim(bytes32 tradeId) external;

    /// @notice Take back the leg of `side` to `to`, where the caller and `to` are each the party
    /// or another active wallet that the security's investor registry links to the party's
    /// investor: a leg only ever goes back to its owner. This is how an investor recovers a leg
    /// when the party's wallet was lost (recovered in the registry) or retired. Securities are
    /// not moved away from a frozen party wallet this way.
    function reclaimTo(bytes32 tradeId, Side side, address to) external;

    /// @notice The security's registrar (the holder of the token's REGISTRAR_ROLE) moves the
    /// securities leg of a cancelled or expired trade to `to`, under the token's rules: the
    /// transfer agent's path when the owner cannot receive its units back (a court order, a
    /// country now denied, an investor that left). `reason` is recorded in the event. Registrars
    /// use this, never the token's `forcedTransfer` out of the escrow, which would take units
    /// from under the escrow's books (the last trade of that security would then be short).
    function recoverSecurities(bytes32 tradeId, address to, string calldata reason) external;

    // ------------------------------------------------------------------ views

    /// @notice Most trades in one `settleBatch`.
    function MAX_BATCH() external view returns (uint256);

    /// @notice Gas each trade of a batch runs with.
    function TRADE_GAS() external view returns (uint256);

    /// @notice Longest reference, in bytes (ISO 20022 Max35Text).
    function MAX_REFERENCE_LENGTH() external view returns (uint256);

    /// @notice Longest time from proposal to deadline, in seconds.
    function MAX_SETTLEMENT_PERIOD() external view returns (uint256);

    /// @notice The id of a trade with these terms and reference on this escrow.
    function computeTradeId(TradeTerms calldata terms, string calldata tradeRef) external view returns (bytes32);

    /// @notice The trade, with its effective status (everything sese.024/025 need, with the
    /// security's ISIN from `security.isin()`).
    function trade(bytes32 tradeId) external view returns (Trade memory);

    /// @notice The effective status of a trade.
    function tradeStatus(bytes32 tradeId) external view returns (Status);

    /// @notice Units of `security` the escrow holds for `holder` (the seller of open or
    /// unreclaimed trades), so that the cap table shows them under their beneficial owner.
    function escrowedSecurities(address holder, address security) external view returns (uint256);

    /// @notice Cash of `cashToken` the escrow holds for `holder` (the buyer of open or unreclaimed trades).
    function escrowedCash(address holder, address cashToken) external view returns (uint256);
}

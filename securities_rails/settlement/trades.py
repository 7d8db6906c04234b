"""Delivery versus payment trades on the escrow: instruct, affirm, settle, cancel, reclaim.

Every action first reads what the chain can tell (the trade's status and deadline, the parties,
balances, frozen units, the security's transfer rules through ``canTransfer``) and raises a
UserError naming the field when the escrow would refuse, so that a refused action sends nothing
and says why in words rather than as a revert. Only then does it send, through
``chain.transact.send`` (a revert that slips through still becomes a UserError).

Time: the escrow compares deadlines with the timestamp of the block a transaction lands in, so
the checks use the pending block's timestamp (``pending_timestamp``), not the latest block's.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from ape.exceptions import ContractLogicError
from eth_utils import to_checksum_address

from securities_rails.chain.contracts import at, block_height, has_code, pending_timestamp
from securities_rails.chain.transact import send
from securities_rails.errors import UserError
from securities_rails.identifiers import (
    duration_seconds,
    format_amount,
    format_date,
    from_fixed_bytes,
    parse_address,
    parse_amount,
    parse_date,
    parse_duration,
    parse_reference,
)
from securities_rails.reasons import Reason, describe, explain, is_success
from securities_rails.registry.investors import KINDS
from securities_rails.settlement.deploy import ESCROW, Settlement, cash_token_for
from securities_rails.suite import Suite
from securities_rails.token.instruments import token_for

# IDvPEscrow.Status and IDvPEscrow.Side, by index.
STATUSES = ("none", "proposed", "matched", "settled", "cancelled", "expired")
NONE, PROPOSED, MATCHED, SETTLED, CANCELLED, EXPIRED = range(6)
SIDES = ("seller", "buyer")
SELLER, BUYER = 0, 1

UINT128_MAX = 2**128 - 1
UINT40_MAX = 2**40 - 1
DAY = 24 * 3600
_TRADE_ID_RE = re.compile(r"^0x[0-9a-fA-F]{64}$")

# The escrow's own reasons for a trade of a batch it did not settle (DvPEscrow._failure); the
# token's rule verdicts are explained by securities_rails.reasons.
ESCROW_REASONS = {
    "NOT_MATCHED": "the trade is not matched (a leg is missing, or it is settled or cancelled)",
    "EXPIRED": "the trade's deadline has passed: each party can reclaim its leg",
    "TRANSFER_FAILED": "a token transfer out of the escrow failed",
}

TradeId = str  # "0x" and 64 hex digits
Progress = Callable[[int], None] | None


# ---------------------------------------------------------------- terms


@dataclass(frozen=True)
class Terms:
    """What both parties agree (IDvPEscrow.TradeTerms); with the reference, the trade id.

    ``quantity`` and ``amount`` are in the tokens' smallest units; ``deadline`` is Unix time
    (settlement is possible strictly before it).
    """

    seller: str
    buyer: str
    security: str
    quantity: int
    cash_token: str
    amount: int
    deadline: int

    def as_tuple(self) -> tuple[str, str, str, int, str, int, int]:
        """The TradeTerms struct in field order, as the contract takes it."""
        return (
            self.seller,
            self.buyer,
            self.security,
            self.quantity,
            self.cash_token,
            self.amount,
            self.deadline,
        )


def parse_deadline(value: str, now: int, field: str = "deadline") -> int:
    """A deadline from a duration from `now` (``2h``, ``3d``), an ISO datetime with a zone, or an
    ISO date, which means the end of that day, UTC (settlement possible during the whole day)."""
    text = str(value).strip()
    if duration_seconds(text) is not None:
        return now + parse_duration(text, field)
    moment = parse_date(text, field)
    if re.match(r"^\d{4}-\d{2}-\d{2}$", text):
        return settlement_deadline(datetime.fromtimestamp(moment, UTC).date())
    return moment


def parse_terms(
    suite: Suite,
    settlement: Settlement,
    *,
    isin: str,
    seller: str,
    buyer: str,
    quantity: str,
    currency: str,
    amount: str,
    deadline: str,
    now: int | None = None,
) -> Terms:
    """Terms from user input: ISIN -> the instrument, currency -> the recorded cash token,
    quantity and amount in the tokens' decimals, the deadline a date or a duration."""
    seller_address = parse_address(seller, "seller")
    buyer_address = parse_address(buyer, "buyer")
    if seller_address == buyer_address:
        raise UserError("buyer", "the buyer must be another wallet than the seller")
    token = token_for(suite, isin)
    cash = cash_token_for(settlement.record, currency)
    units = parse_amount(quantity, int(token.decimals()), "quantity")
    cash_units = parse_amount(amount, int(cash.decimals()), "amount")
    moment = parse_deadline(deadline, pending_timestamp() if now is None else now)
    return Terms(
        seller=seller_address,
        buyer=buyer_address,
        security=token.address,
        quantity=units,
        cash_token=cash.address,
        amount=cash_units,
        deadline=moment,
    )


# ---------------------------------------------------------------- reading trades


@dataclass(frozen=True)
class Trade:
    """A trade as the escrow stores it, with its status as of the pending block."""

    trade_id: TradeId
    status: int
    seller: str
    buyer: str
    security: str
    quantity: int
    cash_token: str
    amount: int
    deadline: int
    seller_held: bool
    buyer_held: bool
    seller_cancels: bool
    buyer_cancels: bool
    settled_at: int
    settled_block: int
    reference: str

    @property
    def status_name(self) -> str:
        return STATUSES[self.status]

    def party(self, side: int) -> str:
        return self.seller if side == SELLER else self.buyer

    def held(self, side: int) -> bool:
        return self.seller_held if side == SELLER else self.buyer_held

    def side_of(self, account: str) -> int | None:
        """The side `account` is on, or None when it is neither party."""
        if same_address(account, self.seller):
            return SELLER
        if same_address(account, self.buyer):
            return BUYER
        return None

    def terms(self) -> Terms:
        return Terms(
            self.seller,
            self.buyer,
            self.security,
            self.quantity,
            self.cash_token,
            self.amount,
            self.deadline,
        )


def same_address(a: str, b: str) -> bool:
    return a.lower() == b.lower()


def _hex(value: Any) -> str:
    return "0x" + bytes(value).hex()


def read_trade(settlement: Settlement, trade_id: TradeId, field: str = "trade") -> Trade:
    """The trade of `trade_id`, its status as of the pending block; unknown -> UserError."""
    raw = settlement.escrow.trade(trade_id)
    status = int(raw.status)
    if status == NONE:
        raise UserError(field, f"no trade {trade_id} on the escrow {settlement.escrow.address}")
    deadline = int(raw.deadline)
    if status in (PROPOSED, MATCHED) and pending_timestamp() >= deadline:
        status = EXPIRED
    return Trade(
        trade_id=trade_id,
        status=status,
        seller=to_checksum_address(raw.seller),
        buyer=to_checksum_address(raw.buyer),
        security=to_checksum_address(raw.security),
        quantity=int(raw.quantity),
        cash_token=to_checksum_address(raw.cashToken),
        amount=int(raw.amount),
        deadline=deadline,
        seller_held=bool(raw.sellerHeld),
        buyer_held=bool(raw.buyerHeld),
        seller_cancels=bool(raw.sellerCancels),
        buyer_cancels=bool(raw.buyerCancels),
        settled_at=int(raw.settledAt),
        settled_block=int(raw.settledBlock),
        reference=str(raw.tradeRef),
    )


def compute_trade_id(settlement: Settlement, terms: Terms, reference: str) -> TradeId:
    """The id the escrow gives these terms and reference (a view call)."""
    return _hex(settlement.escrow.computeTradeId(terms.as_tuple(), reference))


def start_block(settlement: Settlement) -> int:
    """The block the escrow was deployed in: no trade event is older."""
    entry = settlement.record.contracts.get(ESCROW)
    return int(entry.block) if entry is not None else 0


def proposals(settlement: Settlement, reference: str | None = None) -> list[TradeId]:
    """The ids of the trades proposed on the escrow (only those with `reference` when given),
    oldest first, from its TradeProposed events since its deployment."""
    found: list[TradeId] = []
    escrow = settlement.escrow
    for log in escrow.TradeProposed.range(start_block(settlement), block_height() + 1):
        if reference is None or log.tradeRef == reference:
            found.append(_hex(log.tradeId))
    return found


def resolve_trade(settlement: Settlement, text: str, field: str = "trade") -> TradeId:
    """A trade from a 0x trade id or its reference; a reference that several trades carry (the
    same reference between other parties) is refused with their ids."""
    value = text.strip()
    if _TRADE_ID_RE.match(value):
        trade_id = value.lower()
        read_trade(settlement, trade_id, field)
        return trade_id
    parse_reference(value, field)
    found = proposals(settlement, value)
    if not found:
        raise UserError(field, f"no trade has the id or reference {value!r}")
    if len(found) > 1:
        listed = ", ".join(found)
        raise UserError(
            field, f"{len(found)} trades have the reference {value!r}: give the id, one of {listed}"
        )
    return found[0]


# ---------------------------------------------------------------- legs and their checks


@dataclass(frozen=True)
class Leg:
    """What one party escrows: units of the security (seller) or cash (buyer)."""

    side: int
    party: str
    token: Any
    amount: int

    @property
    def side_name(self) -> str:
        return SIDES[self.side]


def leg_of(terms: Terms, side: int) -> Leg:
    """The leg `side` escrows under `terms`."""
    if side == SELLER:
        return Leg(SELLER, terms.seller, at("SecurityToken", terms.security), terms.quantity)
    return Leg(BUYER, terms.buyer, at("CashToken", terms.cash_token), terms.amount)


def units_text(token: Any, amount: int) -> str:
    return format_amount(amount, int(token.decimals()))


def verdict(token: Any, source: str, target: str, amount: int) -> Reason | None:
    """The security's rule verdict on `source` -> `target` in the next block, or None when the
    rules allow it. Asked of the pending block: rules that depend on time (eligibility expiry,
    lock-up) are judged at the time the transaction will have, not the latest block's."""
    code, reason = token.canTransfer(source, target, amount, block_id="pending")
    code_int = int.from_bytes(bytes(code), "big")
    if is_success(code_int):
        return None
    return explain(code_int, bytes(reason))


def refusal(token: Any, source: str, target: str, amount: int) -> str | None:
    """Why the rules would refuse the transfer (decoded reason and fix), or None."""
    found = verdict(token, source, target, amount)
    return None if found is None else describe(found.code, found.name)


def check_leg(settlement: Settlement, leg: Leg, already: int = 0) -> None:
    """The party can escrow its leg now: enough units not frozen and the security's rules allow
    party -> escrow (seller), or enough cash (buyer). `already`: units of the same token this
    party escrows earlier in the same batch."""
    escrow = settlement.escrow.address
    wanted = already + leg.amount
    if leg.side == SELLER:
        token = leg.token
        free = int(token.balanceOf(leg.party)) - int(token.frozenTokens(leg.party))
        if free < wanted:
            raise UserError(
                "quantity",
                f"the seller {leg.party} has {units_text(token, max(free, 0))} units not frozen; "
                f"the trade needs {units_text(token, wanted)}",
            )
        if (why := refusal(token, leg.party, escrow, leg.amount)) is not None:
            raise UserError("seller", f"the security's rules refuse {leg.party} -> escrow: {why}")
        return
    balance = int(leg.token.balanceOf(leg.party))
    if balance < wanted:
        raise UserError(
            "amount",
            f"the buyer {leg.party} holds {units_text(leg.token, balance)} cash; "
            f"the trade needs {units_text(leg.token, wanted)}",
        )


def approve_leg(settlement: Settlement, signer: Any, token: Any, amount: int, field: str) -> None:
    """Let the escrow take `amount` of `token` from the signer: one approve, only when short."""
    escrow = settlement.escrow.address
    if int(token.allowance(signer.address, escrow)) < amount:
        send(token.approve, escrow, amount, sender=signer, field=field)


def field_of(side: int) -> str:
    return "quantity" if side == SELLER else "amount"


def _check_open(trade: Trade, action: str) -> None:
    """A trade that can still be instructed, affirmed or cancelled (proposed, or matched)."""
    if trade.status == EXPIRED:
        raise UserError(
            "trade",
            f"{trade.trade_id} expired at {format_date(trade.deadline)}: it cannot be {action}; "
            "each party can reclaim its leg",
        )
    if trade.status not in (PROPOSED, MATCHED):
        raise UserError("trade", f"{trade.trade_id} is {trade.status_name}: it cannot be {action}")


@dataclass(frozen=True)
class Instrument:
    """What a trade's two tokens are: the security's ISIN and decimals, the cash's ISO 4217
    currency and decimals."""

    isin: str
    security_decimals: int
    currency: str
    cash_decimals: int


def instrument_of(
    security: str, cash_token: str, cache: dict[str, tuple[str, int]] | None = None
) -> Instrument:
    """The ISIN and decimals of `security`, the currency and decimals of `cash_token`
    (`cache`: read each token once when listing many trades)."""
    cache = {} if cache is None else cache
    if security not in cache:
        token = at("SecurityToken", security)
        cache[security] = (str(token.isin()), int(token.decimals()))
    if cash_token not in cache:
        cash = at("CashToken", cash_token)
        cache[cash_token] = (_currency(cash), int(cash.decimals()))
    isin, security_decimals = cache[security]
    currency, cash_decimals = cache[cash_token]
    return Instrument(isin, security_decimals, currency, cash_decimals)


def _currency(cash: Any) -> str:
    """The cash token's ISO 4217 code (CashToken.currency(), else its symbol)."""
    try:
        return from_fixed_bytes(bytes(cash.currency()))
    except ContractLogicError:  # an ERC-20 other than CashToken has no currency()
        return str(cash.symbol())


# ---------------------------------------------------------------- instruct and affirm


@dataclass(frozen=True)
class Instruction:
    """A checked instruction: the trade id, and the leg the signer escrows."""

    trade_id: TradeId
    leg: Leg
    matches: bool  # True: the counterparty proposed these terms already


def check_new_terms(settlement: Settlement, terms: Terms, now: int) -> None:
    """What the escrow checks of the terms of a new trade (DvPEscrow._checkTerms)."""
    escrow = settlement.escrow.address
    if same_address(terms.seller, terms.buyer):
        raise UserError("buyer", "the buyer must be another wallet than the seller")
    for field, party in (("seller", terms.seller), ("buyer", terms.buyer)):
        if int(party, 16) == 0:
            raise UserError(field, "the zero address cannot be a party")
        if same_address(party, escrow):
            raise UserError(field, "the escrow cannot be a party of its own trade")
    if not has_code(terms.security):
        raise UserError("isin", f"no contract at the security address {terms.security}")
    if not has_code(terms.cash_token) or same_address(terms.cash_token, terms.security):
        raise UserError("currency", f"no cash token at {terms.cash_token}")
    for field, value in (("quantity", terms.quantity), ("amount", terms.amount)):
        if not 0 < value <= UINT128_MAX:
            raise UserError(field, f"must be above zero and fit 128 bits, got {value}")
    if terms.deadline <= now:
        raise UserError(
            "deadline",
            f"{format_date(terms.deadline)} is not in the future (chain time {format_date(now)})",
        )
    longest = int(settlement.escrow.MAX_SETTLEMENT_PERIOD())
    if terms.deadline > now + longest or terms.deadline > UINT40_MAX:
        raise UserError(
            "deadline",
            f"{format_date(terms.deadline)} is more than {longest // DAY} days ahead "
            f"(latest {format_date(now + longest)})",
        )


Committed = dict[tuple[str, str], int]  # (party, token) -> units escrowed by earlier rows


def _already(committed: Committed | None, leg: Leg) -> int:
    if committed is None:
        return 0
    return committed.get((leg.party.lower(), leg.token.address.lower()), 0)


def check_instruct(
    settlement: Settlement,
    signer: str,
    terms: Terms,
    reference: str,
    committed: Committed | None = None,
) -> Instruction:
    """Everything `instruct` would refuse, checked on the chain; sends nothing. `committed`:
    what earlier instructions of the same batch escrow, so balances cover them all."""
    parse_reference(reference)
    trade_id = compute_trade_id(settlement, terms, reference)
    now = pending_timestamp()
    if int(settlement.escrow.tradeStatus(trade_id)) != NONE:
        trade = read_trade(settlement, trade_id)
        side = trade.side_of(signer)
        if side is None:
            raise UserError("account", f"{signer} is neither the seller nor the buyer")
        _check_matchable(trade, side, by_terms=True)
        leg = leg_of(terms, side)
        check_leg(settlement, leg, _already(committed, leg))
        return Instruction(trade_id, leg, matches=True)
    check_new_terms(settlement, terms, now)
    side = (
        SELLER
        if same_address(signer, terms.seller)
        else BUYER
        if same_address(signer, terms.buyer)
        else None
    )
    if side is None:
        raise UserError(
            "account",
            f"{signer} is neither the seller {terms.seller} nor the buyer {terms.buyer}: "
            "a trade is instructed by one of its parties",
        )
    leg = leg_of(terms, side)
    check_leg(settlement, leg, _already(committed, leg))
    return Instruction(trade_id, leg, matches=False)


def _check_matchable(trade: Trade, side: int, by_terms: bool) -> None:
    """The trade exists: only its counterparty can still escrow, while it is proposed.
    `by_terms`: the trade was named by terms and reference (instruct), not by its id."""
    if trade.status in (SETTLED, CANCELLED, EXPIRED):
        if by_terms:
            raise UserError(
                "reference",
                f"trade {trade.trade_id} with these terms and reference is {trade.status_name}; "
                "a settled, cancelled or expired trade id is used once: give a new reference",
            )
        _check_open(trade, "affirmed")
    if trade.held(side):  # a matched trade holds both legs
        other = "matched: settle it" if trade.status == MATCHED else "waiting for the other party"
        raise UserError(
            "trade",
            f"{trade.trade_id} already holds the {SIDES[side]}'s leg (the trade is {other})",
        )


def instruct(settlement: Settlement, signer: Any, terms: Terms, reference: str) -> TradeId:
    """Instruct a trade (propose it, or match the counterparty's identical instruction) and
    escrow the signer's leg; approves the escrow for exactly that leg first when short."""
    checked = check_instruct(settlement, signer.address, terms, reference)
    leg = checked.leg
    approve_leg(settlement, signer, leg.token, leg.amount, field_of(leg.side))
    send(
        settlement.escrow.instruct,
        terms.as_tuple(),
        reference,
        sender=signer,
        field=field_of(leg.side),
    )
    return checked.trade_id


def check_affirm(settlement: Settlement, signer: str, trade_id: TradeId) -> Leg:
    """Everything `affirm` would refuse; the leg the signer would escrow."""
    trade = read_trade(settlement, trade_id)
    side = trade.side_of(signer)
    if side is None:
        raise UserError(
            "account",
            f"{signer} is neither the seller nor the buyer of {trade_id}: only the counterparty "
            "affirms",
        )
    _check_matchable(trade, side, by_terms=False)
    leg = leg_of(trade.terms(), side)
    check_leg(settlement, leg)
    return leg


def affirm(settlement: Settlement, signer: Any, trade_id: TradeId) -> Leg:
    """Accept a proposed trade by its id: escrow the signer's leg, which matches the trade."""
    leg = check_affirm(settlement, signer.address, trade_id)
    approve_leg(settlement, signer, leg.token, leg.amount, field_of(leg.side))
    send(settlement.escrow.affirm, trade_id, sender=signer, field="trade")
    return leg


# ---------------------------------------------------------------- settle


def check_settle(settlement: Settlement, trade_id: TradeId) -> Trade:
    """A matched trade, before its deadline, whose units the security's rules let the buyer
    receive (the escrow's own check, done here so that a refusal carries the rule's reason)."""
    trade = read_trade(settlement, trade_id)
    if trade.status == EXPIRED:
        raise UserError(
            "trade",
            f"{trade_id} expired at {format_date(trade.deadline)} unsettled: each party can "
            "reclaim its leg",
        )
    if trade.status != MATCHED:
        detail = " (the counterparty has not escrowed its leg)" if trade.status == PROPOSED else ""
        raise UserError("trade", f"{trade_id} is {trade.status_name}, not matched{detail}")
    token = at("SecurityToken", trade.security)
    why = refusal(token, settlement.escrow.address, trade.buyer, trade.quantity)
    if why is not None:
        raise UserError(
            "trade",
            f"{trade_id} cannot settle: the security refuses delivery to the buyer "
            f"{trade.buyer}: {why}",
        )
    return trade


def settle(settlement: Settlement, signer: Any, trade_id: TradeId) -> Any:
    """Settle one matched trade: both legs delivered in one transaction (anyone may)."""
    check_settle(settlement, trade_id)
    return send(settlement.escrow.settle, trade_id, sender=signer, field="trade")


@dataclass(frozen=True)
class BatchResult:
    """One trade of a settlement batch: settled, or why not (the reason in words)."""

    trade_id: TradeId
    reference: str
    settled: bool
    reason: str


def reason_text(code: int, reason: bytes) -> str:
    """A batch failure's reason in words: the escrow's own, or the token's rule verdict."""
    name = bytes(reason).rstrip(b"\0").decode("ascii", errors="replace")
    if name in ESCROW_REASONS:
        return f"{name}: {ESCROW_REASONS[name]}"
    found = explain(code, bytes(reason))
    return f"{found.name} (0x{code:02x}): {found.text}; fix: {found.fix}"


def check_batch(settlement: Settlement, trade_ids: Sequence[TradeId]) -> None:
    """1..MAX_BATCH known trades, each once. (Whether each can settle is the batch's answer,
    not a reason to refuse it; the gas is estimated by the node, which the escrow's own
    InsufficientGas guard makes sufficient.)"""
    escrow = settlement.escrow
    largest = int(escrow.MAX_BATCH())
    if not 0 < len(trade_ids) <= largest:
        raise UserError("trade", f"a batch settles 1 to {largest} trades, got {len(trade_ids)}")
    seen: set[str] = set()
    for trade_id in trade_ids:
        if trade_id in seen:
            raise UserError("trade", f"{trade_id} is listed twice")
        seen.add(trade_id)
        read_trade(settlement, trade_id)


def settle_batch(
    settlement: Settlement, signer: Any, trade_ids: Sequence[TradeId]
) -> list[BatchResult]:
    """Settle many trades in one `settleBatch` transaction, each on its own: a trade that cannot
    settle is left as it was. Returns each trade's outcome, read from the receipt's events."""
    ids = [trade_id.lower() for trade_id in trade_ids]
    check_batch(settlement, ids)
    receipt = send(settlement.escrow.settleBatch, ids, sender=signer, field="trade")
    outcome: dict[str, BatchResult] = {}
    for log in receipt.events:
        if not same_address(str(log.contract_address), settlement.escrow.address):
            continue
        if log.event_name == "TradeSettled":
            trade_id = _hex(log.tradeId)
            outcome[trade_id] = BatchResult(trade_id, log.tradeRef, True, "OK")
        elif log.event_name == "SettlementFailed":
            trade_id = _hex(log.tradeId)
            code = int.from_bytes(bytes(log.code), "big")
            text = reason_text(code, bytes(log.reason))
            outcome[trade_id] = BatchResult(trade_id, log.tradeRef, False, text)
    missing = [trade_id for trade_id in ids if trade_id not in outcome]
    if missing:
        raise UserError("trade", f"the receipt reports nothing for {', '.join(missing)}")
    return [outcome[trade_id] for trade_id in ids]


# ---------------------------------------------------------------- cancel and reclaim


def check_cancel(settlement: Settlement, signer: str, trade_id: TradeId) -> Trade:
    """A party cancels an open trade before its deadline, once."""
    trade = read_trade(settlement, trade_id)
    _check_open(trade, "cancelled")
    side = trade.side_of(signer)
    if side is None:
        raise UserError("account", f"{signer} is neither the seller nor the buyer of {trade_id}")
    asked = trade.seller_cancels if side == SELLER else trade.buyer_cancels
    if trade.status == MATCHED and asked:
        raise UserError(
            "trade",
            f"the {SIDES[side]} already asked to cancel {trade_id}: the other party must too",
        )
    return trade


def cancel(settlement: Settlement, signer: Any, trade_id: TradeId) -> str:
    """Cancel a proposed trade, or ask to cancel a matched one (cancelled once both asked);
    returns the trade's status afterwards."""
    check_cancel(settlement, signer.address, trade_id)
    send(settlement.escrow.cancel, trade_id, sender=signer, field="trade")
    return STATUSES[int(settlement.escrow.tradeStatus(trade_id))]


@dataclass(frozen=True)
class Reclaim:
    """A checked reclaim: the leg, and the wallet it goes back to."""

    leg: Leg
    to: str
    direct: bool  # True: the party itself to itself (`reclaim`), else `reclaimTo`


def _investor_of(registry: Any, wallet: str) -> tuple[str, int]:
    record = registry.identityOf(wallet)
    return KINDS[int(record.kind)], int(record.investor)


def check_reclaim(
    settlement: Settlement,
    signer: str,
    trade_id: TradeId,
    to: str | None = None,
    side: int | None = None,
) -> Reclaim:
    """The leg the signer takes back from a cancelled or expired trade, to itself or (`to`) to
    another active wallet of the same investor."""
    trade = read_trade(settlement, trade_id)
    if trade.status not in (CANCELLED, EXPIRED):
        open_ = trade.status in (PROPOSED, MATCHED)
        when = f" (deadline {format_date(trade.deadline)})" if open_ else ""
        raise UserError(
            "trade",
            f"{trade_id} is {trade.status_name}{when}: only a cancelled or expired trade's legs "
            "can be reclaimed",
        )
    token = at("SecurityToken", trade.security)
    registry = at("InvestorRegistry", token.registry())
    own = trade.side_of(signer)
    if side is None:
        side = own if own is not None else _side_by_investor(registry, trade, signer)
    party = trade.party(side)
    destination = party if to is None else to
    if not same_address(signer, party):
        _require_same_investor(registry, trade, side, signer, "account")
    if not same_address(destination, party):
        _require_same_investor(registry, trade, side, destination, "to")
        if side == SELLER and token.isFrozen(party):
            raise UserError(
                "to",
                f"the seller wallet {party} is frozen: its units can only go back to it",
            )
    if not trade.held(side):
        raise UserError(
            "trade", f"the {SIDES[side]}'s leg of {trade_id} is not in the escrow (reclaimed?)"
        )
    leg = leg_of(trade.terms(), side)
    if side == SELLER:
        why = refusal(token, settlement.escrow.address, destination, leg.amount)
        if why is not None:
            raise UserError("to", f"the security refuses the units back to {destination}: {why}")
    direct = same_address(signer, party) and same_address(destination, party)
    return Reclaim(leg, destination, direct)


def _side_by_investor(registry: Any, trade: Trade, signer: str) -> int:
    kind, investor = _investor_of(registry, signer)
    if kind == "investor" and investor:
        sides = [
            s for s in (SELLER, BUYER) if _investor_of(registry, trade.party(s))[1] == investor
        ]
        held = [s for s in sides if trade.held(s)]
        if len(held) == 1 or len(sides) == 1:
            return (held or sides)[0]
    raise UserError(
        "account",
        f"{signer} is neither a party of {trade.trade_id} nor another wallet of a party's investor",
    )


def _require_same_investor(registry: Any, trade: Trade, side: int, wallet: str, field: str) -> None:
    party = trade.party(side)
    _, owner = _investor_of(registry, party)
    kind, investor = _investor_of(registry, wallet)
    if not owner or kind != "investor" or investor != owner:
        raise UserError(
            field,
            f"{wallet} is not an active wallet of the investor of the {SIDES[side]} {party}: "
            "a leg only goes back to its owner",
        )


def reclaim(
    settlement: Settlement,
    signer: Any,
    trade_id: TradeId,
    to: str | None = None,
    side: int | None = None,
) -> Reclaim:
    """Take back an escrowed leg of a cancelled or expired trade (`reclaim`), or send it to
    another wallet of the same investor (`reclaimTo`)."""
    checked = check_reclaim(settlement, signer.address, trade_id, to, side)
    escrow = settlement.escrow
    if checked.direct:
        send(escrow.reclaim, trade_id, sender=signer, field="trade")
    else:
        send(escrow.reclaimTo, trade_id, checked.leg.side, checked.to, sender=signer, field="to")
    return checked


def settlement_deadline(day: date) -> int:
    """The deadline of an intended settlement date: the end of that day, UTC (the trade can
    settle during the whole day)."""
    return int(datetime.combine(day + timedelta(days=1), datetime.min.time(), UTC).timestamp())

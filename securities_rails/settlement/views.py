"""What the escrow says of its trades, for people (the CLI) and for ISO 20022 status messages.

Trades are found off-chain from the escrow's ``TradeProposed`` events over a bounded block range
(the escrow keeps no list on-chain, by design: no unbounded loop in a contract); each trade's
current state is then read from ``trade(id)``, with its effective status (a trade whose
deadline passed unsettled reads as expired).
"""

from __future__ import annotations

from dataclasses import dataclass

from securities_rails.chain.contracts import at, block_height, chain_id
from securities_rails.errors import UserError
from securities_rails.identifiers import format_amount, format_date
from securities_rails.settlement import messages
from securities_rails.settlement.deploy import Settlement
from securities_rails.settlement.trades import (
    MATCHED,
    SETTLED,
    STATUSES,
    Trade,
    TradeId,
    instrument_of,
    read_trade,
    refusal,
    start_block,
    verdict,
)

# ---------------------------------------------------------------- one trade


def settlement_tx(settlement: Settlement, trade: Trade) -> str | None:
    """The hash of the transaction that settled `trade` (its TradeSettled event), or None."""
    if trade.status != SETTLED or not trade.settled_block:
        return None
    block = trade.settled_block
    for log in settlement.escrow.TradeSettled.range(
        block, block + 1, search_topics={"tradeId": trade.trade_id}
    ):
        return "0x" + bytes.fromhex(str(log.transaction_hash).removeprefix("0x")).hex()
    return None


def snapshot(settlement: Settlement, trade_id: TradeId) -> messages.TradeSnapshot:
    """The trade as ISO 20022 status messages report it (sese.024 and sese.025). A matched
    trade the security's rules would not deliver now carries the rule's verdict as its reason
    (for example RECIPIENT_ELIGIBILITY_EXPIRED)."""
    trade = read_trade(settlement, trade_id)
    instrument = instrument_of(trade.security, trade.cash_token)
    reason = None
    if trade.status == MATCHED:
        token = at("SecurityToken", trade.security)
        reason = verdict(token, settlement.escrow.address, trade.buyer, trade.quantity)
    return messages.TradeSnapshot(
        chain_id=chain_id(),
        escrow=settlement.escrow.address,
        trade_id=trade.trade_id,
        reference=trade.reference,
        status=trade.status_name.capitalize(),
        isin=instrument.isin,
        quantity=trade.quantity,
        security_decimals=instrument.security_decimals,
        cash_amount=trade.amount,
        cash_decimals=instrument.cash_decimals,
        currency=instrument.currency,
        seller=trade.seller,
        buyer=trade.buyer,
        deadline=trade.deadline,
        settled_at=trade.settled_at,
        settled_block=trade.settled_block,
        settlement_tx=settlement_tx(settlement, trade),
        reason_code=reason.name if reason else None,
        reason_text=reason.text if reason else None,
    )


def describe(settlement: Settlement, trade_id: TradeId) -> dict[str, str]:
    """One trade for people: parties, terms in units, status, deadline, legs, settlement."""
    trade = read_trade(settlement, trade_id)
    instrument = instrument_of(trade.security, trade.cash_token)
    status = trade.status_name
    if trade.status == MATCHED and (trade.seller_cancels or trade.buyer_cancels):
        asked = "seller" if trade.seller_cancels else "buyer"
        status += f" (the {asked} asked to cancel)"
    shown = {
        "trade id": trade.trade_id,
        "reference": trade.reference,
        "status": status,
        "seller": trade.seller,
        "buyer": trade.buyer,
        "security": f"{instrument.isin} ({trade.security})",
        "quantity": format_amount(trade.quantity, instrument.security_decimals),
        "cash": f"{instrument.currency} ({trade.cash_token})",
        "amount": format_amount(trade.amount, instrument.cash_decimals),
        "deadline": format_date(trade.deadline),
        "seller's leg": "in escrow" if trade.seller_held else "not in escrow",
        "buyer's leg": "in escrow" if trade.buyer_held else "not in escrow",
    }
    if trade.status == MATCHED:
        token = at("SecurityToken", trade.security)
        why = refusal(token, settlement.escrow.address, trade.buyer, trade.quantity)
        shown["delivery to the buyer"] = "allowed by the rules" if why is None else why
    if trade.status == SETTLED:
        shown["settled at"] = f"{format_date(trade.settled_at)} (block {trade.settled_block})"
        shown["settlement tx"] = settlement_tx(settlement, trade) or "-"
    return shown


# ---------------------------------------------------------------- many trades


@dataclass(frozen=True)
class TradeRow:
    """One trade of the list, with its current (effective) status."""

    trade_id: TradeId
    reference: str
    status: str
    seller: str
    buyer: str
    isin: str
    quantity: str
    currency: str
    amount: str
    deadline: int
    proposed_block: int


def trades(
    settlement: Settlement,
    *,
    status: str | None = None,
    party: str | None = None,
    from_block: int | None = None,
    to_block: int | None = None,
) -> list[TradeRow]:
    """Trades proposed between `from_block` (default: the escrow's deployment) and `to_block`
    (default: the latest block), oldest first; only those with `status` (a status name) and
    `party` (seller or buyer) when given."""
    if status is not None and status not in STATUSES[1:]:
        raise UserError("status", f"unknown status {status!r}: one of {', '.join(STATUSES[1:])}")
    first = start_block(settlement) if from_block is None else from_block
    last = block_height() if to_block is None else to_block
    if last < first:
        raise UserError("to-block", f"block {last} is before block {first}")
    cache: dict[str, tuple[str, int]] = {}
    rows: list[TradeRow] = []
    for log in settlement.escrow.TradeProposed.range(first, last + 1):
        trade = read_trade(settlement, "0x" + bytes(log.tradeId).hex())
        if party is not None and trade.side_of(party) is None:
            continue
        if status is not None and trade.status_name != status:
            continue
        instrument = instrument_of(trade.security, trade.cash_token, cache)
        rows.append(
            TradeRow(
                trade_id=trade.trade_id,
                reference=trade.reference,
                status=trade.status_name,
                seller=trade.seller,
                buyer=trade.buyer,
                isin=instrument.isin,
                quantity=format_amount(trade.quantity, instrument.security_decimals),
                currency=instrument.currency,
                amount=format_amount(trade.amount, instrument.cash_decimals),
                deadline=trade.deadline,
                proposed_block=int(log.block_number),
            )
        )
    return rows

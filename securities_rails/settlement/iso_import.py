"""Instruct a trade from an ISO 20022 sese.023 settlement instruction: the message checked, mapped
to on-chain terms and, when the counterparty already proposed the trade, compared with it
(naming the element of each difference), before anything is sent."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from securities_rails.errors import UserError
from securities_rails.identifiers import format_date
from securities_rails.iso20022.read import field as read_field
from securities_rails.settlement import messages
from securities_rails.settlement.deploy import Settlement, cash_token_for
from securities_rails.settlement.trades import (
    NONE,
    PROPOSED,
    Terms,
    Trade,
    TradeId,
    compute_trade_id,
    instruct,
    instrument_of,
    proposals,
    read_trade,
    same_address,
    settlement_deadline,
)
from securities_rails.suite import Suite
from securities_rails.token.instruments import token_for


def expected_terms(trade: Trade) -> messages.ExpectedTerms:
    """A trade's terms as an imported instruction is compared with them."""
    instrument = instrument_of(trade.security, trade.cash_token)
    return messages.ExpectedTerms(
        isin=instrument.isin,
        quantity=trade.quantity,
        security_decimals=instrument.security_decimals,
        cash_amount=trade.amount,
        cash_decimals=instrument.cash_decimals,
        currency=instrument.currency,
        seller=trade.seller,
        buyer=trade.buyer,
    )


def terms_from_instruction(
    suite: Suite, settlement: Settlement, instruction: messages.SettlementInstruction
) -> Terms:
    """The escrow's terms of a sese.023 instruction: ISIN -> the instrument, currency -> the
    recorded cash token, decimals -> smallest units (never rounded), settlement date -> the end
    of that day, UTC. Errors name the message's element."""
    try:
        token = token_for(suite, instruction.isin)
    except UserError as error:
        raise UserError(element(messages.ISIN_PATH), error.message) from None
    cash = cash_token_for(settlement.record, instruction.currency, messages.CURRENCY_FIELD)
    quantity, amount = messages.to_units(instruction, int(token.decimals()), int(cash.decimals()))
    return Terms(
        seller=instruction.seller,
        buyer=instruction.buyer,
        security=token.address,
        quantity=quantity,
        cash_token=cash.address,
        amount=amount,
        deadline=settlement_deadline(instruction.settlement_date),
    )


def element(path: str) -> str:
    """The full element path (from Document) that errors about a message name."""
    return read_field(path)


def _element_fields(instruction: messages.SettlementInstruction) -> dict[str, str]:
    """The instruction's element for each field the trade checks name."""
    return {
        "isin": element(messages.ISIN_PATH),
        "currency": messages.CURRENCY_FIELD,
        "quantity": instruction.quantity_field,
        "amount": element(messages.AMOUNT_PATH),
        "deadline": element(messages.SETTLEMENT_DATE_PATH),
        "seller": instruction.seller_field,
        "buyer": instruction.buyer_field,
        "reference": element(messages.REFERENCE_PATH),
        "account": element(messages.OWNER_WALLET_PATH),
    }


def check_counterparty_instruction(
    settlement: Settlement, instruction: messages.SettlementInstruction, terms: Terms
) -> TradeId | None:
    """When the counterparty already proposed this trade, it must match: the same id (checked
    term by term), or else no open trade between the same parties under the same reference
    (whose differing terms are named, element by element). Returns the matched trade's id."""
    reference = instruction.reference
    trade_id = compute_trade_id(settlement, terms, reference)
    if int(settlement.escrow.tradeStatus(trade_id)) != NONE:
        messages.check_matches(instruction, expected_terms(read_trade(settlement, trade_id)))
        return trade_id
    for other in proposals(settlement, reference):
        trade = read_trade(settlement, other)
        same_pair = same_address(trade.seller, terms.seller) and same_address(
            trade.buyer, terms.buyer
        )
        if not same_pair or trade.status != PROPOSED:
            continue
        found = messages.mismatches(instruction, expected_terms(trade))
        if trade.deadline != terms.deadline:
            last_day = datetime.fromtimestamp(trade.deadline - 1, UTC).date()
            found.append(
                UserError(
                    element(messages.SETTLEMENT_DATE_PATH),
                    f"{instruction.settlement_date} does not match the trade's deadline "
                    f"{format_date(trade.deadline)} (last settlement day {last_day})",
                )
            )
        head = found[0] if found else UserError(element(messages.REFERENCE_PATH), "differs")
        rest = "; ".join(str(error) for error in found[1:])
        raise UserError(
            head.field,
            f"{head.message}: the counterparty's trade {other} under the reference "
            f"{reference!r} has other terms{f' ({rest})' if rest else ''}; instruct its terms, "
            "or agree a new reference",
        )
    return None


def import_instruction(
    suite: Suite, settlement: Settlement, signer: Any, instruction: messages.SettlementInstruction
) -> TradeId:
    """Instruct a trade from a parsed sese.023: the signer must be the instructing party (the
    account owner's wallet); a proposal by the counterparty must match; then as `instruct`.
    Refusals name the message's element."""
    owner = instruction.account_owner_wallet
    if not same_address(owner, signer.address):
        raise UserError(
            element(messages.OWNER_WALLET_PATH),
            f"the instructing party is {owner}, not the signer {signer.address}: sign with the "
            "account owner's wallet",
        )
    terms = terms_from_instruction(suite, settlement, instruction)
    try:
        check_counterparty_instruction(settlement, instruction, terms)
        return instruct(settlement, signer, terms, instruction.reference)
    except UserError as error:
        where = _element_fields(instruction).get(error.field or "")
        if where is None:
            raise
        raise UserError(where, error.message) from None

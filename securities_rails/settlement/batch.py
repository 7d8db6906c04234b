"""Instruct many trades from a CSV file: every row checked before anything is sent, then the
rows sent in chunks, reporting exactly which landed."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from securities_rails.batches import send_in_chunks
from securities_rails.chain.contracts import pending_timestamp
from securities_rails.chain.transact import send
from securities_rails.csvio import read_rows
from securities_rails.errors import BatchError, RowError, UserError
from securities_rails.identifiers import (
    parse_reference,
)
from securities_rails.settlement.deploy import Settlement
from securities_rails.settlement.trades import (
    Committed,
    Instruction,
    Progress,
    Terms,
    TradeId,
    approve_leg,
    check_instruct,
    field_of,
    parse_terms,
)
from securities_rails.suite import Suite

INSTRUCTION_COLUMNS = (
    "isin",
    "seller",
    "buyer",
    "quantity",
    "currency",
    "amount",
    "reference",
    "deadline",
)


@dataclass(frozen=True)
class InstructionRow:
    """One trade to instruct, from a CSV file (``row`` counts data rows from 1)."""

    row: int
    terms: Terms
    reference: str


def read_instructions(
    path: str | os.PathLike[str], suite: Suite, settlement: Settlement
) -> list[InstructionRow]:
    """Read and parse every row (isin, seller, buyer, quantity, currency, amount, reference,
    deadline); every bad row is reported at once (BatchError)."""
    now = pending_timestamp()

    def parse(row: int, record: dict[str, str]) -> InstructionRow:
        terms = parse_terms(
            suite,
            settlement,
            isin=record["isin"],
            seller=record["seller"],
            buyer=record["buyer"],
            quantity=record["quantity"],
            currency=record["currency"],
            amount=record["amount"],
            deadline=record["deadline"],
            now=now,
        )
        return InstructionRow(row, terms, parse_reference(record["reference"]))

    return read_rows(path, INSTRUCTION_COLUMNS, parse)


def check_instructions(
    settlement: Settlement, signer: str, rows: Sequence[InstructionRow], source: str
) -> list[Instruction]:
    """Check every row as `instruct` would, counting what earlier rows of the file escrow from
    the same party; every refused row is reported at once (BatchError)."""
    errors: list[RowError] = []
    checked: list[Instruction] = []
    committed: Committed = {}
    first_row: dict[str, int] = {}
    for row in rows:
        try:
            instruction = check_instruct(settlement, signer, row.terms, row.reference, committed)
            first = first_row.setdefault(instruction.trade_id, row.row)
            if first != row.row:
                raise UserError("reference", f"the same trade (terms and reference) as row {first}")
        except UserError as error:
            errors.append(RowError(row.row, error.field, error.message))
            continue
        leg = instruction.leg
        key = (leg.party.lower(), leg.token.address.lower())
        committed[key] = committed.get(key, 0) + leg.amount
        checked.append(instruction)
    if errors:
        raise BatchError(source, errors)
    return checked


def instruct_many(
    settlement: Settlement,
    signer: Any,
    rows: Sequence[InstructionRow],
    source: str,
    progress: Progress = None,
) -> list[TradeId]:
    """Instruct every row, each its own transaction, after checking them all; the escrow is
    approved once per token for the total. A row refused on-chain stops the batch with the rows
    that landed named. Returns the trade ids, in row order."""
    checked = check_instructions(settlement, signer.address, rows, source)
    totals: dict[str, tuple[Any, int, int]] = {}
    for instruction in checked:
        leg = instruction.leg
        token, total, side = totals.get(leg.token.address, (leg.token, 0, leg.side))
        totals[leg.token.address] = (token, total + leg.amount, side)
    for token, total, side in totals.values():
        approve_leg(settlement, signer, token, total, field_of(side))

    def send_row(chunk: Sequence[InstructionRow]) -> None:
        row = chunk[0]
        send(
            settlement.escrow.instruct,
            row.terms.as_tuple(),
            row.reference,
            sender=signer,
            field="reference",
        )

    landed = send_in_chunks(rows, 1, send_row, progress)
    ids = {row.row: instruction.trade_id for row, instruction in zip(rows, checked, strict=True)}
    return [ids[number] for number in landed]

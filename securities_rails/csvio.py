"""Batch CSV input for the issuer CLI: investors to register and amounts to mint or pay.

Files are UTF-8 (a spreadsheet's byte-order mark is fine) with a header row naming the
columns in any order. Every row is checked before anything is sent to a chain: a file
with bad rows raises :class:`~securities_rails.errors.BatchError` listing each of them.

Row numbers count data rows from 1, so row *n* is line *n + 1* of a file whose header is
its first line (the same number a spreadsheet shows, less one). Blank lines and rows whose
cells are all empty are skipped.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from securities_rails.errors import BatchError, RowError, UserError
from securities_rails.identifiers import (
    investor_id_hash,
    parse_address,
    parse_amount,
    parse_category,
    parse_country,
    parse_date,
)

INVESTOR_COLUMNS = ("wallet", "investor_id", "country", "category", "expiry")
AMOUNT_COLUMNS = ("wallet", "amount")
UPDATE_COLUMNS = ("investor_id", "country", "category", "expiry")
WALLET_COLUMNS = ("wallet",)

T = TypeVar("T")
Record = dict[str, str]


@dataclass(frozen=True)
class InvestorRow:
    """One investor wallet to register; ``id_hash`` is what goes on chain."""

    row: int
    wallet: str
    investor_id: str
    id_hash: bytes
    country: int
    category: int
    expiry: int


@dataclass(frozen=True)
class AmountRow:
    """One wallet and an amount in the instrument's base units."""

    row: int
    wallet: str
    amount: int


def read_investors(path: str | os.PathLike[str]) -> list[InvestorRow]:
    """Read and check investors (wallet, investor_id, country, category, expiry).

    A wallet may appear only once, since it can be registered only once.
    """
    seen: dict[str, int] = {}

    def parse(row: int, record: Record) -> InvestorRow:
        investor = _investor_row(row, record)
        first = seen.setdefault(investor.wallet, row)
        if first != row:
            raise UserError(
                "wallet", f"{investor.wallet} is already in row {first}; register a wallet once"
            )
        return investor

    return read_rows(path, INVESTOR_COLUMNS, parse)


def _investor_row(row: int, record: Record) -> InvestorRow:
    investor_id = record["investor_id"].strip()
    return InvestorRow(
        row=row,
        wallet=parse_address(record["wallet"], "wallet"),
        investor_id=investor_id,
        id_hash=investor_id_hash(investor_id),
        country=parse_country(record["country"]),
        category=parse_category(record["category"]),
        expiry=parse_date(record["expiry"], "expiry"),
    )


def read_amounts(path: str | os.PathLike[str], decimals: int) -> list[AmountRow]:
    """Read and check (wallet, amount) rows; amounts become base units of ``decimals``.

    A wallet may appear more than once (e.g. two tranches minted to one holder).
    """

    def parse(row: int, record: Record) -> AmountRow:
        wallet = parse_address(record["wallet"], "wallet")
        return AmountRow(row, wallet, parse_amount(record["amount"], decimals, "amount"))

    return read_rows(path, AMOUNT_COLUMNS, parse)


@dataclass(frozen=True)
class UpdateRow:
    """New attributes for one investor (all its wallets)."""

    row: int
    investor_id: str
    id_hash: bytes
    country: int
    category: int
    expiry: int


@dataclass(frozen=True)
class WalletRow:
    """One wallet (to remove)."""

    row: int
    wallet: str


def read_updates(path: str | os.PathLike[str]) -> list[UpdateRow]:
    """Read and check investor updates (investor_id, country, category, expiry), one each."""
    seen: dict[bytes, int] = {}

    def parse(row: int, record: Record) -> UpdateRow:
        investor_id = record["investor_id"].strip()
        update = UpdateRow(
            row=row,
            investor_id=investor_id,
            id_hash=investor_id_hash(investor_id),
            country=parse_country(record["country"]),
            category=parse_category(record["category"]),
            expiry=parse_date(record["expiry"], "expiry"),
        )
        first = seen.setdefault(update.id_hash, row)
        if first != row:
            raise UserError("investor_id", f"{investor_id} is already in row {first}")
        return update

    return read_rows(path, UPDATE_COLUMNS, parse)


def read_wallets(path: str | os.PathLike[str]) -> list[WalletRow]:
    """Read and check a list of wallets (column wallet); each at most once."""
    seen: dict[str, int] = {}

    def parse(row: int, record: Record) -> WalletRow:
        wallet = parse_address(record["wallet"], "wallet")
        first = seen.setdefault(wallet, row)
        if first != row:
            raise UserError("wallet", f"{wallet} is already in row {first}")
        return WalletRow(row, wallet)

    return read_rows(path, WALLET_COLUMNS, parse)


# --- shared reading and checking -------------------------------------------------------


def read_rows(
    path: str | os.PathLike[str],
    columns: tuple[str, ...],
    parse: Callable[[int, Record], T],
) -> list[T]:
    """Parse every data row of the file, collecting each bad row into one BatchError."""
    source = os.fspath(path)
    parsed: list[T] = []
    errors: list[RowError] = []
    for row, header, cells in _rows(source, columns):
        try:
            parsed.append(parse(row, _record(header, cells)))
        except UserError as exc:
            errors.append(RowError(row, exc.field, exc.message))
    if errors:
        raise BatchError(source, errors)
    if not parsed:
        raise UserError("file", f"{source} has a header but no data rows")
    return parsed


def _rows(source: str, columns: tuple[str, ...]) -> Iterator[tuple[int, list[str], list[str]]]:
    """Yield ``(row number, header, cells)`` for each non-blank data row."""
    reader = csv.reader(io.StringIO(_read_text(source)))
    try:
        header = _header(reader, source, columns)
        header_line = reader.line_num
        for cells in reader:
            if any(cell.strip() for cell in cells):
                yield reader.line_num - header_line, header, cells
    except csv.Error as exc:
        raise UserError("file", f"{source} line {reader.line_num}: {exc}") from None


def _record(header: list[str], cells: list[str]) -> Record:
    """Map a row's cells onto the header's column names."""
    if len(cells) != len(header):
        raise UserError(None, f"has {len(cells)} values; the header has {len(header)} columns")
    return dict(zip(header, cells, strict=True))


def _read_text(source: str) -> str:
    """Return the file's text, turning the ways reading can fail into UserErrors."""
    try:
        return Path(source).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise UserError("file", f"{source} does not exist") from None
    except IsADirectoryError:
        raise UserError("file", f"{source} is a directory, not a CSV file") from None
    except PermissionError:
        raise UserError("file", f"{source} cannot be read: permission denied") from None
    except UnicodeDecodeError as exc:
        message = f"{source} is not UTF-8 text (byte {exc.start}); save it as CSV UTF-8"
        raise UserError("file", message) from None


def _header(reader: Iterator[list[str]], source: str, columns: tuple[str, ...]) -> list[str]:
    """Read the first non-blank line as the header and check it has exactly ``columns``."""
    expected = ",".join(columns)
    for cells in reader:
        if any(cell.strip() for cell in cells):
            header = [cell.strip().lower() for cell in cells]
            _check_header(header, source, columns)
            return header
    raise UserError("file", f"{source} is empty; its first line must be the header {expected}")


def _check_header(header: list[str], source: str, columns: tuple[str, ...]) -> None:
    expected = ",".join(columns)
    problems = []
    if missing := [name for name in columns if name not in header]:
        problems.append(f"missing column(s) {', '.join(missing)}")
    if extra := [name or "(blank)" for name in header if name not in columns]:
        problems.append(f"unexpected column(s) {', '.join(extra)}")
    if repeated := sorted({name for name in header if name in columns and header.count(name) > 1}):
        problems.append(f"repeated column(s) {', '.join(repeated)}")
    if problems:
        raise UserError("header", f"{source}: {'; '.join(problems)}; expected {expected}")

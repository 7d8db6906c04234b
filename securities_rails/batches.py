"""Send checked CSV rows in chunks and report exactly which rows landed.

Each chunk is one transaction (atomic on-chain). A chunk refused on-chain stops the batch: the
error names the refused rows and the rows that landed before it; later rows are not sent.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol, TypeVar

from securities_rails.errors import UserError


class Row(Protocol):
    """A parsed CSV row: its 1-based data row number."""

    @property
    def row(self) -> int: ...


R = TypeVar("R", bound=Row)


def _rows(first: int, last: int) -> str:
    return f"row {first}" if first == last else f"rows {first}-{last}"


def send_in_chunks(
    rows: Sequence[R],
    size: int,
    send_chunk: Callable[[Sequence[R]], object],
    progress: Callable[[int], None] | None = None,
) -> list[int]:
    """Send `rows` `size` at a time through `send_chunk`; returns the row numbers that landed."""
    landed: list[int] = []
    for start in range(0, len(rows), size):
        chunk = rows[start : start + size]
        try:
            send_chunk(chunk)
        except UserError as error:
            done = f"{_rows(landed[0], landed[-1])} landed" if landed else "no row landed"
            refused = _rows(chunk[0].row, chunk[-1].row)
            raise UserError(
                error.field, f"{error.message} ({refused} refused, later rows not sent; {done})"
            ) from None
        landed.extend(r.row for r in chunk)
        if progress is not None:
            progress(len(chunk))
    return landed

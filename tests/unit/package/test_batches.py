"""Batches stop at the first chunk refused on-chain and name exactly the rows that landed."""

from dataclasses import dataclass

import pytest

from securities_rails.batches import send_in_chunks
from securities_rails.errors import UserError


@dataclass(frozen=True)
class Item:
    row: int


def test_every_chunk_is_sent_in_order_and_progress_counts_rows():
    sent, progressed = [], []
    rows = [Item(n) for n in range(1, 6)]
    landed = send_in_chunks(rows, 2, lambda c: sent.append([r.row for r in c]), progressed.append)
    assert landed == [1, 2, 3, 4, 5]
    assert sent == [[1, 2], [3, 4], [5]]
    assert progressed == [2, 2, 1]


def test_a_refused_chunk_names_its_rows_and_those_that_landed_and_sends_no_more():
    sent = []

    def send(chunk):
        if chunk[0].row == 3:
            raise UserError("wallet", "refused (0x57 RECIPIENT_NOT_REGISTERED)")
        sent.append(chunk[0].row)

    with pytest.raises(UserError) as refused:
        send_in_chunks([Item(n) for n in range(1, 7)], 2, send)
    assert str(refused.value) == (
        "wallet: refused (0x57 RECIPIENT_NOT_REGISTERED) "
        "(rows 3-4 refused, later rows not sent; rows 1-2 landed)"
    )
    assert sent == [1]


def test_a_first_single_row_refusal_says_no_row_landed():
    def send(chunk):
        raise UserError(None, "unknown investor")

    with pytest.raises(UserError) as refused:
        send_in_chunks([Item(1), Item(2)], 1, send)
    assert (
        str(refused.value) == "unknown investor (row 1 refused, later rows not sent; no row landed)"
    )

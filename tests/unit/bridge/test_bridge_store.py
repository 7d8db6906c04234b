"""The store, on SQLite and on PostgreSQL: idempotent inserts, atomic steps, guarded cursors."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from securities_rails.bridge.messages import TRANSFER, Message
from securities_rails.bridge.store import (
    DEFAULT_URL,
    DONE,
    LOST,
    MINED,
    OPEN_STATES,
    SENT,
    SIGNING,
    CursorMovedError,
    Sighting,
    Store,
)
from securities_rails.errors import UserError

VALIDATOR_A = "0x" + "aa" * 20
VALIDATOR_B = "0x" + "bb" * 20


def message(nonce: int = 1, amount: int = 100) -> Message:
    return Message(
        TRANSFER,
        1,
        2,
        "0x" + "11" * 20,
        "0x" + "22" * 20,
        nonce,
        b"US0378331005",
        "0x" + "33" * 20,
        "0x" + "44" * 20,
        amount,
    )


SEEN = Sighting("MessageSent", 1, 10, "0x" + "ab" * 32, 0)


class BoomError(Exception):
    pass


def test_a_signature_is_stored_once_per_message_and_validator(store: Store):
    m = message()
    with store.transaction() as tx:
        assert tx.add_message(m, SEEN, SIGNING) is True
        assert tx.add_signature(m.id_hex, VALIDATOR_A, b"\x01" * 65) is True
    with store.transaction() as tx:  # a redone step: nothing new
        assert tx.add_message(m, SEEN, SIGNING) is False
        assert tx.add_signature(m.id_hex, VALIDATOR_A, b"\x01" * 65) is False
        assert tx.add_signature(m.id_hex, VALIDATOR_B, b"\x02" * 65) is True
    assert store.signatures(m.id_hex) == {VALIDATOR_A: b"\x01" * 65, VALIDATOR_B: b"\x02" * 65}
    assert [s.id for s in store.messages()] == [m.id_hex]


def test_a_message_keeps_its_first_sighting_and_state(store: Store):
    m = message()
    with store.transaction() as tx:
        tx.add_message(m, SEEN, SIGNING)
        tx.set_state(m.id_hex, DONE, "delivered")
    with store.transaction() as tx:
        later = Sighting("MessageSent", 1, 99, "0x" + "cd" * 32, 3)
        tx.add_message(m, later, SIGNING)
    stored = store.message(m.id_hex)
    assert stored is not None
    assert (stored.state, stored.detail, stored.seen) == (DONE, "delivered", SEEN)
    assert stored.message == m
    assert store.messages(OPEN_STATES) == []


def test_cursor_and_writes_commit_together_or_not_at_all(store: Store):
    m = message()
    with pytest.raises(BoomError), store.transaction() as tx:
        tx.add_message(m, SEEN, SIGNING)
        tx.add_signature(m.id_hex, VALIDATOR_A, b"\x01" * 65)
        tx.advance_cursor("validator:a", 1, None, 10, "0x" + "01" * 32)
        raise BoomError  # killed before the commit
    assert store.cursor("validator:a", 1) is None
    assert store.message(m.id_hex) is None
    assert store.signatures(m.id_hex) == {}
    with store.transaction() as tx:
        tx.add_message(m, SEEN, SIGNING)
        tx.add_signature(m.id_hex, VALIDATOR_A, b"\x01" * 65)
        tx.advance_cursor("validator:a", 1, None, 10, "0x" + "01" * 32)
    cursor = store.cursor("validator:a", 1)
    assert cursor is not None and (cursor.block, cursor.block_hash) == (10, "0x" + "01" * 32)
    assert store.signatures(m.id_hex) == {VALIDATOR_A: b"\x01" * 65}


def test_a_cursor_only_moves_from_where_it_was_read(store: Store):
    with store.transaction() as tx:
        tx.advance_cursor("p", 1, None, 10, "0x10")
    with pytest.raises(CursorMovedError, match="cursor moved from 9"), store.transaction() as tx:
        tx.add_message(message(), SEEN, SIGNING)
        tx.advance_cursor("p", 1, 9, 12, "0x12")
    with pytest.raises(CursorMovedError, match="exists already"), store.transaction() as tx:
        tx.advance_cursor("p", 1, None, 12, "0x12")
    assert store.message(message().id_hex) is None  # rolled back with the refused advance
    with store.transaction() as tx:
        tx.advance_cursor("p", 1, 10, 12, "0x12")
    assert store.cursor("p", 1).block == 12
    assert store.cursor("p", 2) is None and store.cursor("q", 1) is None


def test_uint256_amounts_are_exact(store: Store):
    m = message(amount=2**256 - 1)
    with store.transaction() as tx:
        tx.add_message(m, SEEN, SIGNING)
    assert store.message(m.id_hex).message.amount == 2**256 - 1


def test_submissions_and_state_counts(store: Store):
    first, second = message(1), message(2)
    with store.transaction() as tx:
        tx.add_message(first, SEEN, SIGNING)
        tx.add_message(second, SEEN, SIGNING)
        tx.add_submission(first.id_hex, "execute", 2, "0x" + "ee" * 32, VALIDATOR_A, 4)
    assert [s.state for s in store.submissions(states=[SENT])] == [SENT]
    with store.transaction() as tx:
        tx.finish_submission("0x" + "ee" * 32, MINED, 77)
        tx.set_state(first.id_hex, DONE)
    (submission,) = store.submissions(first.id_hex)
    assert (submission.state, submission.block, submission.account_nonce) == (MINED, 77, 4)
    assert store.submissions(states=[SENT]) == []
    assert store.state_counts() == {(DONE, 1, 2): 1, (SIGNING, 1, 2): 1}


def test_concurrent_writers_of_one_message_both_succeed(store: Store):
    """Two validators insert the same message at the same time: neither fails."""
    m = message()
    with store.transaction() as first:
        first.add_message(m, SEEN, SIGNING)
        first.add_signature(m.id_hex, VALIDATOR_A, b"\x01" * 65)
    other = Store(store.engine.url.render_as_string(hide_password=False))
    try:
        with other.transaction() as second:
            assert second.add_message(m, SEEN, SIGNING) is False
            assert second.add_signature(m.id_hex, VALIDATOR_B, b"\x02" * 65) is True
    finally:
        other.close()
    assert set(store.signatures(m.id_hex)) == {VALIDATOR_A, VALIDATOR_B}


def test_sqlite_is_the_default(tmp_path: Path):
    assert DEFAULT_URL.startswith("sqlite:///")
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        store = Store()
        with store.transaction() as tx:
            tx.advance_cursor("p", 1, None, 1, "0x01")
        store.close()
    finally:
        os.chdir(cwd)
    assert (tmp_path / "bridge.sqlite3").exists()


@pytest.mark.parametrize(
    ("url", "reason"),
    [("mysql://u@h/db", "mysql is not supported"), ("not a url", "is not a database URL")],
)
def test_an_unsupported_database_is_refused_in_one_line(url: str, reason: str):
    with pytest.raises(UserError, match=rf"^db: .*{reason}"):
        Store(url)


def test_reads_can_be_limited_to_one_bridges_destinations(store: Store):
    ours = message(1)
    theirs = Message(
        TRANSFER,
        1,
        2,
        "0x" + "11" * 20,
        "0x" + "99" * 20,
        1,
        b"US0378331005",
        "0x" + "33" * 20,
        "0x" + "44" * 20,
        5,
    )  # same chains, another bridge
    with store.transaction() as tx:
        tx.add_message(ours, SEEN, SIGNING)
        tx.add_message(theirs, SEEN, SIGNING)
        tx.add_submission(theirs.id_hex, "execute", 2, "0x" + "ef" * 32, VALIDATOR_A, 1)
    mine = [(2, ours.destination_bridge), (1, "0x" + "12" * 20)]
    assert [m.id for m in store.messages(OPEN_STATES, mine)] == [ours.id_hex]
    assert len(store.messages(OPEN_STATES)) == 2
    assert store.submissions(states=[SENT], destinations=mine) == []
    assert len(store.submissions(states=[SENT])) == 1
    assert store.state_counts(mine) == {(SIGNING, 1, 2): 1}


def test_a_lost_transaction_journaled_again_is_one_submission(store: Store):
    m = message()
    tx_hash = "0x" + "ee" * 32
    with store.transaction() as tx:
        tx.add_message(m, SEEN, SIGNING)
        tx.add_submission(m.id_hex, "execute", 2, tx_hash, VALIDATOR_A, 4)
    with store.transaction() as tx:
        tx.finish_submission(tx_hash, LOST, None, "the node does not know it")
    with store.transaction() as tx:  # signed again: same nonce, same call, same hash
        tx.add_submission(m.id_hex, "execute", 2, tx_hash, VALIDATOR_A, 4)
    (submission,) = store.submissions(m.id_hex)
    assert (submission.state, submission.detail) == (SENT, None)

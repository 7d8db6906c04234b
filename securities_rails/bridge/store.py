"""What the bridge processes remember: scan cursors, messages, signatures, submissions.

SQLAlchemy 2 ORM over SQLite (a file, the default) or PostgreSQL (``postgresql+psycopg://…``).
Every write of a process iteration goes through one ``Transaction`` together with the cursor
advance, so a process killed at any point has either done a step completely or not at all, and
redoing a step is harmless: message and signature inserts do nothing when the row exists, and a
cursor only advances from the block the process read it at (``CursorMovedError`` otherwise).

Tables (created at startup, ``metadata.create_all``):

* ``bridge_cursors``: (process, chain_id) -> last block scanned and its hash (the process
  name includes its key and the endpoint scanned: several bridges may share a database);
* ``bridge_messages``: one row per message id, every message field, where it was seen and the
  relayer's state of it (``STATES``);
* ``bridge_signatures``: (message_id, validator) unique -> 65-byte signature;
* ``bridge_submissions``: the relayer's transactions (tx hash unique) and their state.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    DateTime,
    ForeignKey,
    Integer,
    SmallInteger,
    String,
    TypeDecorator,
    UniqueConstraint,
    and_,
    bindparam,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError, ProgrammingError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from securities_rails.bridge.messages import Message
from securities_rails.database import open_database
from securities_rails.errors import UserError

DEFAULT_URL = "sqlite:///bridge.sqlite3"

# Message states, as the relayer sees them.
OUTBOUND_QUEUED = "outbound_queued"  # taken on its source, waiting for outbound headroom
SIGNING = "signing"  # sent; waiting for signatures and execution on its destination
SUBMITTED = "submitted"  # a transaction for it is in flight
QUEUED = "queued"  # attested, queued on its destination by the inbound rate limit
DONE = "done"  # executed on its destination (transfer delivered, or refund paid)
FAILED = "failed"  # its destination refused it: the refund is another message
DROPPED = "dropped"  # seen on a block that is no longer on the chain
STATES = (OUTBOUND_QUEUED, SIGNING, SUBMITTED, QUEUED, DONE, FAILED, DROPPED)
OPEN_STATES = (OUTBOUND_QUEUED, SIGNING, SUBMITTED, QUEUED)

# Submission states.
SENT, MINED, REVERTED, LOST = "sent", "mined", "reverted", "lost"
SUBMISSION_STATES = (SENT, MINED, REVERTED, LOST)

DETAIL_LENGTH = 400
Destinations = Iterable[tuple[int, str]]  # (chain id, endpoint address): one bridge's two ends


def _now() -> datetime:
    return datetime.now(UTC)


class Uint256(TypeDecorator[int]):
    """A uint256 kept exactly, as decimal text (SQLite's numbers are 64-bit)."""

    impl = String(78)
    cache_ok = True

    def process_bind_param(self, value: int | None, dialect: Any) -> str | None:
        return None if value is None else str(int(value))

    def process_result_value(self, value: str | None, dialect: Any) -> int | None:
        return None if value is None else int(value)


class Base(DeclarativeBase):
    pass


class CursorRow(Base):
    __tablename__ = "bridge_cursors"

    process: Mapped[str] = mapped_column(String(128), primary_key=True)
    chain_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    block: Mapped[int] = mapped_column(BigInteger)
    block_hash: Mapped[str] = mapped_column(String(66))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)


class MessageRow(Base):
    __tablename__ = "bridge_messages"

    id: Mapped[str] = mapped_column(String(66), primary_key=True)
    kind: Mapped[int] = mapped_column(SmallInteger)
    source_chain_id: Mapped[int] = mapped_column(BigInteger)
    destination_chain_id: Mapped[int] = mapped_column(BigInteger, index=True)
    source_bridge: Mapped[str] = mapped_column(String(42))
    destination_bridge: Mapped[str] = mapped_column(String(42))
    nonce: Mapped[int] = mapped_column(BigInteger)
    isin: Mapped[str] = mapped_column(String(12))
    sender: Mapped[str] = mapped_column(String(42))
    recipient: Mapped[str] = mapped_column(String(42))
    amount: Mapped[int] = mapped_column(Uint256)
    # Where the message was first seen: the event, its chain, block, transaction and log index.
    event: Mapped[str] = mapped_column(String(32))
    seen_chain_id: Mapped[int] = mapped_column(BigInteger)
    seen_block: Mapped[int] = mapped_column(BigInteger)
    seen_tx: Mapped[str] = mapped_column(String(66))
    seen_log_index: Mapped[int] = mapped_column(Integer)
    refund_of: Mapped[str | None] = mapped_column(String(66))  # a refund: the failed transfer
    state: Mapped[str] = mapped_column(String(24), index=True)
    detail: Mapped[str | None] = mapped_column(String(DETAIL_LENGTH))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)


class SignatureRow(Base):
    __tablename__ = "bridge_signatures"
    __table_args__ = (UniqueConstraint("message_id", "validator"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    message_id: Mapped[str] = mapped_column(ForeignKey("bridge_messages.id"), index=True)
    validator: Mapped[str] = mapped_column(String(42))
    signature: Mapped[str] = mapped_column(String(132))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)


class SubmissionRow(Base):
    __tablename__ = "bridge_submissions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    message_id: Mapped[str] = mapped_column(ForeignKey("bridge_messages.id"), index=True)
    action: Mapped[str] = mapped_column(String(16))  # execute, reclaim, executeQueued, sendQueued
    chain_id: Mapped[int] = mapped_column(BigInteger)
    tx_hash: Mapped[str] = mapped_column(String(66), unique=True)
    sender: Mapped[str] = mapped_column(String(42))
    account_nonce: Mapped[int] = mapped_column(BigInteger)
    state: Mapped[str] = mapped_column(String(16), index=True)
    block: Mapped[int | None] = mapped_column(BigInteger)
    detail: Mapped[str | None] = mapped_column(String(DETAIL_LENGTH))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)


class CursorMovedError(UserError):
    """Another process with the same name moved the cursor since this one read it."""


# ------------------------------------------------------------------ plain records


@dataclass(frozen=True)
class Cursor:
    process: str
    chain_id: int
    block: int
    block_hash: str


@dataclass(frozen=True)
class Sighting:
    """Where a message was seen: an event log on a chain."""

    event: str
    chain_id: int
    block: int
    tx_hash: str
    log_index: int


@dataclass(frozen=True)
class StoredMessage:
    id: str
    message: Message
    state: str
    detail: str | None
    seen: Sighting
    refund_of: str | None


@dataclass(frozen=True)
class Submission:
    id: int
    message_id: str
    action: str
    chain_id: int
    tx_hash: str
    sender: str
    account_nonce: int
    state: str
    block: int | None
    detail: str | None


def _message(row: MessageRow) -> StoredMessage:
    message = Message(
        kind=row.kind,
        source_chain_id=row.source_chain_id,
        destination_chain_id=row.destination_chain_id,
        source_bridge=row.source_bridge,
        destination_bridge=row.destination_bridge,
        nonce=row.nonce,
        isin=row.isin.encode("ascii"),
        sender=row.sender,
        recipient=row.recipient,
        amount=row.amount,
    )
    seen = Sighting(row.event, row.seen_chain_id, row.seen_block, row.seen_tx, row.seen_log_index)
    return StoredMessage(row.id, message, row.state, row.detail, seen, row.refund_of)


def _submission(row: SubmissionRow) -> Submission:
    return Submission(
        id=row.id,
        message_id=row.message_id,
        action=row.action,
        chain_id=row.chain_id,
        tx_hash=row.tx_hash,
        sender=row.sender,
        account_nonce=row.account_nonce,
        state=row.state,
        block=row.block,
        detail=row.detail,
    )


def _clip(text: str | None) -> str | None:
    return None if text is None else text[:DETAIL_LENGTH]


def _message_values(
    message: Message, seen: Sighting, state: str, refund_of: str | None
) -> dict[str, Any]:
    """The row of a message."""
    if state not in STATES:
        raise ValueError(f"unknown message state {state}")
    return {
        "id": message.id_hex,
        "kind": message.kind,
        "source_chain_id": message.source_chain_id,
        "destination_chain_id": message.destination_chain_id,
        "source_bridge": message.source_bridge,
        "destination_bridge": message.destination_bridge,
        "nonce": message.nonce,
        "isin": message.isin.decode("ascii"),
        "sender": message.sender,
        "recipient": message.recipient,
        "amount": message.amount,
        "event": seen.event,
        "seen_chain_id": seen.chain_id,
        "seen_block": seen.block,
        "seen_tx": seen.tx_hash,
        "seen_log_index": seen.log_index,
        "refund_of": refund_of,
        "state": state,
        "created_at": _now(),
        "updated_at": _now(),
    }


# ------------------------------------------------------------------ writes


class Transaction:
    """The writes of one step; they commit together when the ``with`` block ends normally."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def _insert(self) -> Any:
        name = self.session.get_bind().dialect.name
        return postgresql.insert if name == "postgresql" else sqlite.insert

    def advance_cursor(
        self, process: str, chain_id: int, expected: int | None, block: int, block_hash: str
    ) -> None:
        """Move the cursor from ``expected`` (None: no cursor yet) to ``block``."""
        if expected is None:
            statement = (
                self._insert()(CursorRow)
                .values(
                    process=process,
                    chain_id=chain_id,
                    block=block,
                    block_hash=block_hash,
                    updated_at=_now(),
                )
                .on_conflict_do_nothing()
                .returning(CursorRow.block)
            )
            if self.session.execute(statement).first() is None:
                raise CursorMovedError(process, f"chain {chain_id}: a cursor exists already")
            return
        result = self.session.execute(
            update(CursorRow)
            .where(
                CursorRow.process == process,
                CursorRow.chain_id == chain_id,
                CursorRow.block == expected,
            )
            .values(block=block, block_hash=block_hash, updated_at=_now())
            .returning(CursorRow.block)
        )
        if result.first() is None:
            raise CursorMovedError(process, f"chain {chain_id}: cursor moved from {expected}")

    def add_message(
        self,
        message: Message,
        seen: Sighting,
        state: str,
        *,
        refund_of: str | None = None,
    ) -> bool:
        """Record a message unless its id is recorded already; True when inserted (RETURNING
        tells, as the driver's rowcount does not on every database)."""
        statement = (
            self._insert()(MessageRow)
            .values(**_message_values(message, seen, state, refund_of))
            .on_conflict_do_nothing()
            .returning(MessageRow.id)
        )
        return self.session.execute(statement).first() is not None

    def add_signed(
        self,
        signed: Sequence[tuple[Message, Sighting, str | None, bytes]],
        state: str,
        validator: str,
    ) -> None:
        """``add_message`` (in ``state``) and ``add_signature`` (by ``validator``) for each
        ``(message, sighting, refund_of, signature)``, as two multi-row statements: what exists
        already is left as it is."""
        if not signed:
            return
        connection = self.session.connection()
        connection.execute(
            self._insert()(MessageRow.__table__).on_conflict_do_nothing(),
            [_message_values(m, seen, state, refund_of) for m, seen, refund_of, _ in signed],
        )
        connection.execute(
            self._insert()(SignatureRow.__table__).on_conflict_do_nothing(),
            [
                {
                    "message_id": message.id_hex,
                    "validator": validator,
                    "signature": "0x" + signature.hex(),
                    "created_at": _now(),
                }
                for message, _, _, signature in signed
            ],
        )

    def add_signature(self, message_id: str, validator: str, signature: bytes) -> bool:
        """Record a validator's signature unless it has one for the message; True if inserted."""
        statement = (
            self._insert()(SignatureRow)
            .values(
                message_id=message_id,
                validator=validator,
                signature="0x" + signature.hex(),
                created_at=_now(),
            )
            .on_conflict_do_nothing()
            .returning(SignatureRow.id)
        )
        return self.session.execute(statement).first() is not None

    def set_state(self, message_id: str, state: str, detail: str | None = None) -> None:
        if state not in STATES:
            raise ValueError(f"unknown message state {state}")
        self.session.execute(
            update(MessageRow)
            .where(MessageRow.id == message_id)
            .values(state=state, detail=_clip(detail), updated_at=_now())
        )

    def set_states(self, changes: Sequence[tuple[str, str, str | None]]) -> None:
        """``set_state`` for each ``(message_id, state, detail)``, as one statement run for all
        (in order: a message listed twice ends in its last state)."""
        for _, state, _ in changes:
            if state not in STATES:
                raise ValueError(f"unknown message state {state}")
        if not changes:
            return
        table = MessageRow.__table__
        now = _now()
        self.session.connection().execute(
            update(table)
            .where(table.c.id == bindparam("message"))
            .values(state=bindparam("new_state"), detail=bindparam("new_detail"), updated_at=now),
            [
                {"message": message_id, "new_state": state, "new_detail": _clip(detail)}
                for message_id, state, detail in changes
            ],
        )

    def add_submissions(self, submissions: Sequence[tuple[str, str, int, str, str, int]]) -> None:
        """``add_submission`` for each ``(message_id, action, chain_id, tx_hash, sender,
        account_nonce)``, as one statement run for all."""
        if not submissions:
            return
        table = SubmissionRow.__table__
        now = _now()
        statement = self._insert()(table).on_conflict_do_update(
            index_elements=[table.c.tx_hash],
            set_={"state": SENT, "block": None, "detail": None, "updated_at": now},
        )
        self.session.connection().execute(
            statement,
            [
                {
                    "message_id": message_id,
                    "action": action,
                    "chain_id": chain_id,
                    "tx_hash": tx_hash,
                    "sender": sender,
                    "account_nonce": account_nonce,
                    "state": SENT,
                    "created_at": now,
                    "updated_at": now,
                }
                for message_id, action, chain_id, tx_hash, sender, account_nonce in submissions
            ],
        )

    def finish_submissions(
        self, outcomes: Sequence[tuple[str, str, int | None, str | None]]
    ) -> None:
        """``finish_submission`` for each ``(tx_hash, state, block, detail)``, as one statement
        run for all."""
        for _, state, _, _ in outcomes:
            if state not in SUBMISSION_STATES:
                raise ValueError(f"unknown submission state {state}")
        if not outcomes:
            return
        table = SubmissionRow.__table__
        now = _now()
        self.session.connection().execute(
            update(table)
            .where(table.c.tx_hash == bindparam("tx"))
            .values(
                state=bindparam("new_state"),
                block=bindparam("new_block"),
                detail=bindparam("new_detail"),
                updated_at=now,
            ),
            [
                {"tx": tx, "new_state": state, "new_block": block, "new_detail": _clip(detail)}
                for tx, state, block, detail in outcomes
            ],
        )

    def add_submission(
        self,
        message_id: str,
        action: str,
        chain_id: int,
        tx_hash: str,
        sender: str,
        account_nonce: int,
    ) -> None:
        """Journal a transaction before it is broadcast. The same transaction journaled again
        (one that was lost before reaching the node is signed again identically: same nonce,
        same call) is marked ``sent`` again rather than recorded twice."""
        statement = (
            self._insert()(SubmissionRow)
            .values(
                message_id=message_id,
                action=action,
                chain_id=chain_id,
                tx_hash=tx_hash,
                sender=sender,
                account_nonce=account_nonce,
                state=SENT,
                created_at=_now(),
                updated_at=_now(),
            )
            .on_conflict_do_update(
                index_elements=[SubmissionRow.tx_hash],
                set_={"state": SENT, "block": None, "detail": None, "updated_at": _now()},
            )
        )
        self.session.execute(statement)

    def finish_submission(
        self, tx_hash: str, state: str, block: int | None = None, detail: str | None = None
    ) -> None:
        if state not in SUBMISSION_STATES:
            raise ValueError(f"unknown submission state {state}")
        self.session.execute(
            update(SubmissionRow)
            .where(SubmissionRow.tx_hash == tx_hash)
            .values(state=state, block=block, detail=_clip(detail), updated_at=_now())
        )


# ------------------------------------------------------------------ the store


class Store:
    """The database of one deployment's bridge processes."""

    def __init__(self, url: str = DEFAULT_URL) -> None:
        database = open_database(url)
        self.url, self.dialect = database.url, database.dialect
        self.engine, self._reader = database.engine, database.reader
        self._create_tables()

    def _create_tables(self) -> None:
        """Create the tables that are missing. Two processes starting at once on an empty
        PostgreSQL database may both try to create one: the loser retries and finds it."""
        for attempt in range(3):
            try:
                Base.metadata.create_all(self.engine)
                return
            except (ProgrammingError, IntegrityError):
                if attempt == 2:
                    raise

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """One database transaction: committed at the end of the block, rolled back on error."""
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            yield Transaction(session)

    @contextmanager
    def _read(self) -> Iterator[Session]:
        """A read-only transaction (SQLite: a deferred one, which takes no write lock)."""
        with Session(self._reader) as session, session.begin():
            yield session

    # --------------------------------------------------------------- reads

    def cursor(self, process: str, chain_id: int) -> Cursor | None:
        with self._read() as session:
            row = session.get(CursorRow, (process, chain_id))
            if row is None:
                return None
            return Cursor(row.process, row.chain_id, row.block, row.block_hash)

    def cursors(self) -> list[Cursor]:
        """Every cursor, by process and chain."""
        with self._read() as session:
            rows = session.scalars(
                select(CursorRow).order_by(CursorRow.process, CursorRow.chain_id)
            )
            return [Cursor(r.process, r.chain_id, r.block, r.block_hash) for r in rows]

    def message(self, message_id: str) -> StoredMessage | None:
        with self._read() as session:
            row = session.get(MessageRow, message_id)
            return None if row is None else _message(row)

    def messages(
        self, states: Iterable[str] = OPEN_STATES, destinations: Destinations | None = None
    ) -> list[StoredMessage]:
        """Messages in ``states`` (to ``destinations`` only, when given), oldest sighting first."""
        with self._read() as session:
            query = (
                select(MessageRow)
                .where(MessageRow.state.in_(list(states)))
                .order_by(
                    MessageRow.seen_chain_id, MessageRow.seen_block, MessageRow.seen_log_index
                )
            )
            rows = session.scalars(_to(query, destinations))
            return [_message(row) for row in rows]

    def message_ids(
        self, states: Iterable[str], destinations: Destinations | None = None
    ) -> set[str]:
        """The ids of the messages in ``states`` (to ``destinations`` only, when given)."""
        with self._read() as session:
            query = select(MessageRow.id).where(MessageRow.state.in_(list(states)))
            return set(session.scalars(_to(query, destinations)))

    def sent_message_ids(self, destinations: Destinations | None = None) -> set[str]:
        """The ids of the messages with a submission still ``sent`` (in flight)."""
        with self._read() as session:
            query = (
                select(SubmissionRow.message_id)
                .join(MessageRow, MessageRow.id == SubmissionRow.message_id)
                .where(SubmissionRow.state == SENT)
            )
            return set(session.scalars(_to(query, destinations)))

    def last_signature(self) -> int:
        """The row number of the latest signature recorded (0: none): it grows with every
        signature any validator writes."""
        with self._read() as session:
            return int(session.scalar(select(func.max(SignatureRow.id))) or 0)

    def signatures(self, message_id: str) -> dict[str, bytes]:
        """Validator address -> signature, for one message."""
        with self._read() as session:
            rows = session.scalars(
                select(SignatureRow).where(SignatureRow.message_id == message_id)
            )
            return {row.validator: bytes.fromhex(row.signature[2:]) for row in rows}

    def signatures_of(self, message_ids: Iterable[str]) -> dict[str, dict[str, bytes]]:
        """``signatures`` of several messages in one query per 500: message id -> validator
        address -> signature (a message nobody signed is absent)."""
        wanted = list(dict.fromkeys(message_ids))
        found: dict[str, dict[str, bytes]] = {}
        with self._read() as session:
            for start in range(0, len(wanted), 500):
                rows = session.scalars(
                    select(SignatureRow).where(
                        SignatureRow.message_id.in_(wanted[start : start + 500])
                    )
                )
                for row in rows:
                    found.setdefault(row.message_id, {})[row.validator] = bytes.fromhex(
                        row.signature[2:]
                    )
        return found

    def submissions(
        self,
        message_id: str | None = None,
        states: Iterable[str] | None = None,
        destinations: Destinations | None = None,
    ) -> list[Submission]:
        """Submissions, oldest first: of one message, in ``states``, for messages to
        ``destinations``."""
        with self._read() as session:
            query = (
                select(SubmissionRow)
                .join(MessageRow, MessageRow.id == SubmissionRow.message_id)
                .order_by(SubmissionRow.id)
            )
            if message_id is not None:
                query = query.where(SubmissionRow.message_id == message_id)
            if states is not None:
                query = query.where(SubmissionRow.state.in_(list(states)))
            return [_submission(row) for row in session.scalars(_to(query, destinations))]

    def state_counts(
        self, destinations: Destinations | None = None
    ) -> dict[tuple[str, int, int], int]:
        """(state, source chain, destination chain) -> number of messages."""
        with self._read() as session:
            query = select(
                MessageRow.state,
                MessageRow.source_chain_id,
                MessageRow.destination_chain_id,
                func.count(),
            ).group_by(
                MessageRow.state, MessageRow.source_chain_id, MessageRow.destination_chain_id
            )
            rows = session.execute(_to(query, destinations))
            return {(state, src, dst): int(n) for state, src, dst, n in rows}


def _to(query: Any, destinations: Destinations | None) -> Any:
    """``query`` restricted to messages whose destination is one of ``destinations`` (several
    bridges may share a database)."""
    if destinations is None:
        return query
    return query.where(
        or_(
            *(
                and_(
                    MessageRow.destination_chain_id == chain,
                    MessageRow.destination_bridge == bridge,
                )
                for chain, bridge in destinations
            )
        )
    )

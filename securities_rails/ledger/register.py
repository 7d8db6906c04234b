"""The book-entry register: securities accounts, double-entry movements and holdings.

``Register(url)`` keeps everything in a database (SQLite file by default, PostgreSQL by
``postgresql+psycopg://…``), so a process can be killed at any point and started again: each
movement is ONE database transaction that writes the movement row and both holdings, or nothing.

A movement is exactly-once on its ``reference`` (unique in the register): asking again with the
same reference and the same content returns the movement already booked; the same reference
with other content is refused, naming the reference. Concurrent identical moves cannot
double-book: the unique constraint refuses the second row, and the loser retries and finds the
first. Each write locks the rows of the accounts it touches (``SELECT … FOR UPDATE`` on
PostgreSQL, in account-id order; SQLite serialises writers with ``BEGIN IMMEDIATE``), so checks
of holdings and of open accounts hold until the transaction commits.

Every refusal is a :class:`RefusedError` (a ``UserError``) raised before anything is written, with
an ISO 20022 reason code that a sese.024 status advice can carry (``REASONS``).

An omnibus account's holding of an ISIN may be broken down by beneficial owner. Once it is (any
``ledger_beneficial_owners`` row), every movement debiting or crediting that holding names the
owner on that side (``debit_owner`` / ``credit_owner``) and changes the owner's quantity in the
same transaction, so the breakdown always adds up to the holding.

The tables carry a version (``models.SCHEMA_VERSION``, the row of ``ledger_schema``) written when
the register creates them; a database whose register tables have another version, or none, is
refused when the register opens it (``UserError`` on ``db``), before anything reads or writes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, inspect, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, IntegrityError, ProgrammingError
from sqlalchemy.orm import Session

from securities_rails.database import open_database
from securities_rails.errors import UserError
from securities_rails.identifiers import parse_isin, parse_lei
from securities_rails.ledger.models import (
    CLIENT_KINDS,
    DIGITAL_OMNIBUS,
    ID_LENGTH,
    ISSUANCE,
    ISSUE,
    KINDS,
    MAX_DECIMALS,
    MOVEMENT_KINDS,
    NAME_LENGTH,
    OFF_CHAIN,
    OMNIBUS,
    ON_CHAIN,
    REDEEM,
    SCHEMA_TABLE,
    SCHEMA_VERSION,
    SETTLED,
    TABLE_PREFIX,
    TRANSFER,
    Base,
    BeneficialOwner,
    BeneficialOwnerSet,
    Holding,
    Instrument,
    Movement,
    SchemaVersion,
    SecuritiesAccount,
    now,
)

DEFAULT_URL = "sqlite:///ledger.sqlite3"
ATTEMPTS = 5  # a move that loses a race (same reference, a deadlock) is tried again

# ISO 20022 reason codes (sese.024) of the register's refusals.
# unknown, closed or unsuitable safekeeping account; also a beneficial owner named on a side that
# cannot have one, or not named on an omnibus side whose holding is broken down by owner
INVALID_ACCOUNT = "SAFE"
INVALID_SECURITY = "DSEC"  # RejectionReason: unknown ISIN, or not the ISIN of the account
INVALID_QUANTITY = "DQUA"  # RejectionReason: zero, negative or not whole smallest units
INVALID_REFERENCE = "REFE"  # RejectionReason: reference malformed or used for another movement
LACK_OF_SECURITIES = "LACK"  # PendingReason/FailingReason: the account, or the owner, lacks
OTHER = "OTHR"  # anything else, explained in the narrative
REASONS: dict[str, str] = {
    INVALID_ACCOUNT: "unknown, closed or unsuitable securities account or beneficial owner",
    INVALID_SECURITY: "unknown ISIN, or an ISIN the account does not hold",
    INVALID_QUANTITY: "the quantity is not a positive number of smallest units",
    INVALID_REFERENCE: "the reference is malformed or already used for another movement",
    LACK_OF_SECURITIES: "the account (or the beneficial owner debited) holds less than that",
    OTHER: "see the narrative",
}

# Movement kind -> (kinds of account it may debit, kinds it may credit).
RULES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    ISSUE: ((ISSUANCE,), CLIENT_KINDS),
    TRANSFER: (CLIENT_KINDS, CLIENT_KINDS),
    ON_CHAIN: (CLIENT_KINDS, (DIGITAL_OMNIBUS,)),
    OFF_CHAIN: ((DIGITAL_OMNIBUS,), CLIENT_KINDS),
    REDEEM: (CLIENT_KINDS, (ISSUANCE,)),
}


class RefusedError(UserError):
    """A refused register action: the field, what is wrong, and its ISO 20022 reason code."""

    def __init__(self, field: str | None, message: str, reason: str = OTHER) -> None:
        self.reason = reason
        super().__init__(field, message)


# ------------------------------------------------------------------ checks


def check_text(value: object, field: str, limit: int = ID_LENGTH, reason: str = OTHER) -> str:
    """An ISO 20022 text (``Max35Text`` by default): 1..limit characters, no outer spaces."""
    if not isinstance(value, str) or not value or value != value.strip():
        raise RefusedError(field, f"{value!r}: a text without surrounding spaces is needed", reason)
    if len(value) > limit:
        raise RefusedError(field, f"{value!r} is {len(value)} characters; at most {limit}", reason)
    return value


def check_quantity(value: object, field: str = "quantity") -> int:
    """A positive whole number of smallest units."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise RefusedError(
            field,
            f"{value!r}: give the quantity as a whole number of smallest units (an int)",
            INVALID_QUANTITY,
        )
    if value <= 0:
        raise RefusedError(field, f"{value} must be greater than zero", INVALID_QUANTITY)
    return value


def check_isin(value: str) -> str:
    """An ISIN, checked (check digit included); RefusedError DSEC when it is not one."""
    try:
        return parse_isin(value, "isin")
    except UserError as error:
        raise RefusedError(error.field, error.message, INVALID_SECURITY) from None


def _kind(value: str) -> str:
    if value not in MOVEMENT_KINDS:
        raise RefusedError(
            "kind", f"unknown movement kind {value!r}: use {', '.join(MOVEMENT_KINDS)}"
        )
    return value


# ------------------------------------------------------------------ the register


class Register:
    """A book-entry register in one database; every method is one transaction."""

    def __init__(self, url: str = DEFAULT_URL) -> None:
        database = open_database(url)
        self.url, self.dialect = database.url, database.dialect
        self.engine, self._reader = database.engine, database.reader
        try:
            self._open_tables()
        except BaseException:
            self.engine.dispose()
            raise

    def _open_tables(self) -> None:
        """An empty database: create the tables and their version row in ONE transaction (two
        processes starting at once: the loser retries and finds them). Register tables already
        there: their version must be this code's (UserError naming both otherwise)."""
        version: int | None = None
        for attempt in range(3):
            try:
                with self.engine.begin() as connection:
                    tables, version = _stored_version(connection)
                    if not tables:
                        Base.metadata.create_all(connection)
                        connection.execute(
                            insert(SchemaVersion).values(
                                id=1, version=SCHEMA_VERSION, created_at=now()
                            )
                        )
                        return
                break
            except (ProgrammingError, IntegrityError):
                if attempt == 2:
                    raise
        if version != SCHEMA_VERSION:
            raise _wrong_version(self.url, version)

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def _write(self) -> Iterator[Session]:
        """One write transaction: committed at the end of the block, rolled back on error."""
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            yield session

    def transaction(self) -> AbstractContextManager[Session]:
        """One write transaction for a caller that books with :func:`book` and writes rows of its
        own in the same commit (the register's bridge endpoint)."""
        return self._write()

    def reading(self) -> AbstractContextManager[Session]:
        """One read-only transaction (see ``_read``)."""
        return self._read()

    def retry(self, action: Any) -> Any:
        """Run ``action`` (one transaction) again when it lost a race (see ``_retry``)."""
        return self._retry(action)

    @contextmanager
    def _read(self) -> Iterator[Session]:
        """A read-only transaction (SQLite: a deferred one, which takes no write lock)."""
        with Session(self._reader, expire_on_commit=False) as session, session.begin():
            yield session

    # --------------------------------------------------------------- accounts and ISINs

    def open_account(
        self,
        account_id: str,
        owner_name: str,
        kind: str,
        *,
        owner_lei: str | None = None,
        isin: str | None = None,
        chain_id: int | None = None,
    ) -> SecuritiesAccount:
        """Open a securities account; a digital-omnibus account names its ISIN and chain id.

        Opening the same account again with the same details returns it (a restarted caller);
        other details under an existing id are refused.
        """
        row = SecuritiesAccount(
            id=check_text(account_id, "account", reason=INVALID_ACCOUNT),
            owner_name=check_text(owner_name, "owner_name", NAME_LENGTH),
            owner_lei=None if owner_lei is None else parse_lei(owner_lei, "owner_lei"),
            kind=_account_kind(kind),
            opened_at=now(),
        )
        if kind == DIGITAL_OMNIBUS:
            if isin is None or chain_id is None:
                raise RefusedError("isin", "a digital-omnibus account needs its ISIN and chain id")
            if isinstance(chain_id, bool) or not isinstance(chain_id, int) or chain_id <= 0:
                raise RefusedError("chain_id", f"{chain_id!r} is not a chain id (a positive int)")
            row.isin, row.chain_id = check_isin(isin), chain_id
        elif isin is not None or chain_id is not None:
            raise RefusedError("isin", f"only a digital-omnibus account names an ISIN, not {kind}")
        return self._retry(lambda: self._open(row))

    def _open(self, row: SecuritiesAccount) -> SecuritiesAccount:
        with self._write() as session:
            existing = session.get(SecuritiesAccount, row.id)
            if existing is None and row.kind == DIGITAL_OMNIBUS:
                existing = self._digital_omnibus(session, row.isin or "", row.chain_id or 0)
            if existing is not None:
                if _same_account(existing, row):
                    return existing
                raise RefusedError(
                    "account",
                    f"{existing.id} exists already ({existing.kind}, {existing.owner_name})"
                    if existing.id == row.id
                    else f"{existing.id} is the digital omnibus of {row.isin} on chain "
                    f"{row.chain_id} already",
                    INVALID_ACCOUNT,
                )
            session.add(row)
        return row

    @staticmethod
    def _digital_omnibus(session: Session, isin: str, chain_id: int) -> SecuritiesAccount | None:
        return session.scalar(
            select(SecuritiesAccount).where(
                SecuritiesAccount.kind == DIGITAL_OMNIBUS,
                SecuritiesAccount.isin == isin,
                SecuritiesAccount.chain_id == chain_id,
            )
        )

    def close_account(self, account_id: str) -> SecuritiesAccount:
        """Close an account that holds nothing; a closed account takes no further movement."""
        with self._write() as session:
            (account,) = _lock_accounts(session, [account_id])
            _require_open(account)
            held = session.scalars(
                select(Holding).where(Holding.account == account.id, Holding.quantity != 0)
            ).all()
            if held:
                listed = ", ".join(f"{h.isin} {h.quantity}" for h in held)
                raise RefusedError(
                    "account", f"{account.id} still holds {listed}: move it out first", OTHER
                )
            account.closed_at = now()
        return account

    def add_instrument(self, isin: str, issuance_account: str, decimals: int = 0) -> Instrument:
        """Keep an ISIN, issued from ``issuance_account``, in units of 10**-decimals."""
        code = check_isin(isin)
        if isinstance(decimals, bool) or not isinstance(decimals, int):
            raise RefusedError("decimals", f"{decimals!r} is not a whole number")
        if not 0 <= decimals <= MAX_DECIMALS:
            raise RefusedError("decimals", f"{decimals} is outside 0..{MAX_DECIMALS}")
        with self._write() as session:
            (account,) = _lock_accounts(session, [issuance_account])
            _require_open(account)
            if account.kind != ISSUANCE:
                raise RefusedError(
                    "issuance_account",
                    f"{account.id} is a {account.kind} account, not an issuance account",
                    INVALID_ACCOUNT,
                )
            existing = session.get(Instrument, code)
            if existing is not None:
                if (existing.issuance_account, existing.decimals) == (account.id, decimals):
                    return existing
                raise RefusedError(
                    "isin",
                    f"{code} is kept already, issued from {existing.issuance_account} with "
                    f"{existing.decimals} decimals",
                    INVALID_SECURITY,
                )
            row = Instrument(
                isin=code, decimals=decimals, issuance_account=account.id, created_at=now()
            )
            session.add(row)
        return row

    # --------------------------------------------------------------- movements

    def issue(
        self,
        isin: str,
        account: str,
        quantity: int,
        reference: str,
        *,
        message_id: str | None = None,
        credit_owner: str | None = None,
    ) -> Movement:
        """Issue ``quantity`` of ``isin`` to ``account``: its issuance account is debited.
        ``credit_owner``: the beneficial owner credited when ``account`` is an omnibus account
        (the debit side, an issuance account, has none)."""
        code = check_isin(isin)
        with self._read() as session:
            instrument = _instrument(session, code)
        return self.move(
            reference,
            code,
            instrument.issuance_account,
            account,
            quantity,
            ISSUE,
            message_id=message_id,
            credit_owner=credit_owner,
        )

    def move(
        self,
        reference: str,
        isin: str,
        debit: str,
        credit: str,
        quantity: int,
        kind: str = TRANSFER,
        *,
        message_id: str | None = None,
        debit_owner: str | None = None,
        credit_owner: str | None = None,
    ) -> Movement:
        """Book ``quantity`` of ``isin`` from ``debit`` to ``credit``, exactly once.

        Returns the movement (a detached snapshot). The same reference with the same content
        (owners included) returns the movement booked before, whatever happened since; with
        other content it is refused. ``debit_owner`` / ``credit_owner``: the beneficial owner
        debited / credited on an omnibus side (required once its holding of ``isin`` is broken
        down by owner). Refusals (:class:`RefusedError`) write nothing.
        """
        wanted = movement_of(
            reference,
            isin,
            debit,
            credit,
            quantity,
            kind,
            message_id,
            debit_owner=debit_owner,
            credit_owner=credit_owner,
        )
        return self._retry(lambda: self._move(wanted))

    def _move(self, wanted: Movement) -> Movement:
        found = self._booked(wanted)
        if found is not None:
            return found
        with self._write() as session:
            return book(session, wanted)

    def _booked(self, wanted: Movement) -> Movement | None:
        with self._read() as session:
            booked = _by_reference(session, wanted.reference)
            return None if booked is None else _repeat(booked, wanted)

    def _retry(self, action: Any) -> Any:
        """Run ``action`` again when it lost a race: a duplicate key (another process booked
        the same reference or opened the same account first) or a PostgreSQL deadlock or
        serialisation failure. The next attempt finds what the winner wrote."""
        for attempt in range(ATTEMPTS):
            try:
                return action()
            except IntegrityError:
                if attempt == ATTEMPTS - 1:
                    raise
            except DBAPIError as error:
                if _sqlstate(error) not in ("40001", "40P01") or attempt == ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")

    # --------------------------------------------------------------- beneficial owners

    def set_beneficial_owners(
        self, omnibus: str, isin: str, owners: Mapping[str, int]
    ) -> dict[str, int]:
        """Record who owns an omnibus account's holding of ``isin``: owner id -> quantity.

        Replaces the previous breakdown (and is kept, with its time, as the base of a past
        date's breakdown). The quantities must add up to the holding; from then on every
        movement on that holding names its owner and keeps the breakdown exact.
        """
        code = check_isin(isin)
        checked = {
            check_text(owner, "owner"): check_quantity(quantity, f"owners[{owner}]")
            for owner, quantity in owners.items()
        }
        with self._write() as session:
            (account,) = _lock_accounts(session, [omnibus])
            _require_open(account)
            if account.kind != OMNIBUS:
                raise RefusedError(
                    "account",
                    f"{account.id} is a {account.kind} account: only an omnibus account has "
                    "beneficial owners",
                    INVALID_ACCOUNT,
                )
            _instrument(session, code)
            held = holding_in(session, account.id, code)
            total = sum(checked.values())
            if total != held:
                raise RefusedError(
                    "owners",
                    f"the beneficial owners' quantities add up to {total}; {account.id} holds "
                    f"{held} of {code}",
                    INVALID_QUANTITY,
                )
            session.execute(
                delete(BeneficialOwner).where(
                    BeneficialOwner.account == account.id, BeneficialOwner.isin == code
                )
            )
            session.add_all(
                BeneficialOwner(account=account.id, isin=code, owner=owner, quantity=quantity)
                for owner, quantity in checked.items()
            )
            owners = {owner: str(quantity) for owner, quantity in sorted(checked.items())}
            session.add(
                BeneficialOwnerSet(
                    account=account.id, isin=code, owners=json.dumps(owners), set_at=now()
                )
            )
        return dict(sorted(checked.items()))

    def beneficial_owners(
        self, omnibus: str, isin: str, at: datetime | None = None
    ) -> dict[str, int]:
        """Owner id -> quantity of an omnibus account's holding of ``isin``: now, or just before
        the moment ``at`` (the last breakdown recorded before it, then the owners named by the
        movements booked after that and before ``at``)."""
        code = check_isin(isin)
        with self._read() as session:
            _account(session, omnibus)
            if at is not None:
                return _replayed_owners(session, omnibus, code, at)
            return breakdown_in(session, omnibus, code)

    def check_beneficial_owner(
        self, account: str, isin: str, quantity: int, owner: str | None, side: str
    ) -> None:
        """Refuse (RefusedError, as booking would) a movement of ``quantity`` that debits
        (``side`` "debit") or credits ("credit") ``account``'s holding of ``isin`` naming
        ``owner`` (or none); writes nothing. For callers that check before they start."""
        if side not in ("debit", "credit"):
            raise ValueError(f"side {side!r}: debit or credit")
        code = check_isin(isin)
        field = f"{side}_owner"
        named = None if owner is None else check_text(owner, field, reason=INVALID_ACCOUNT)
        sign = -1 if side == "debit" else 1
        with self._read() as session:
            row = _account(session, account)
            owner_change(session, row, code, check_quantity(quantity) * sign, named, field)

    # --------------------------------------------------------------- reads

    def account(self, account_id: str) -> SecuritiesAccount:
        with self._read() as session:
            return _account(session, account_id)

    def accounts(self) -> list[SecuritiesAccount]:
        """Every account, by id."""
        with self._read() as session:
            return list(session.scalars(select(SecuritiesAccount).order_by(SecuritiesAccount.id)))

    def instrument(self, isin: str) -> Instrument:
        with self._read() as session:
            return _instrument(session, check_isin(isin))

    def digital_omnibus(self, isin: str, chain_id: int) -> SecuritiesAccount | None:
        """The account that stands for ``isin``'s units on chain ``chain_id``, if opened."""
        with self._read() as session:
            return self._digital_omnibus(session, check_isin(isin), chain_id)

    def holding(self, account: str, isin: str) -> int:
        """What ``account`` holds of ``isin`` now (smallest units; 0 when nothing)."""
        code = check_isin(isin)
        with self._read() as session:
            _account(session, account)
            return holding_in(session, account, code)

    def holdings(self, account: str, at: datetime | None = None) -> dict[str, int]:
        """ISIN -> what ``account`` holds (nothing-held ISINs left out), now or just before the
        moment ``at`` (replayed from the movements booked before it)."""
        with self._read() as session:
            _account(session, account)
            if at is None:
                rows = session.scalars(
                    select(Holding).where(Holding.account == account).order_by(Holding.isin)
                )
                return {row.isin: row.quantity for row in rows if row.quantity != 0}
            totals: dict[str, int] = {}
            query = select(Movement).where(
                (Movement.debit == account) | (Movement.credit == account),
                Movement.created_at < at,
            )
            for row in session.scalars(query):
                sign = 1 if row.credit == account else -1
                totals[row.isin] = totals.get(row.isin, 0) + sign * row.quantity
            return {isin: q for isin, q in sorted(totals.items()) if q != 0}

    def movements(
        self,
        account: str | None = None,
        isin: str | None = None,
        since: datetime | None = None,
    ) -> list[Movement]:
        """Movements, oldest first: of an account (either side), of an ISIN, from ``since``."""
        query = select(Movement).order_by(Movement.id)
        if account is not None:
            query = query.where((Movement.debit == account) | (Movement.credit == account))
        if isin is not None:
            query = query.where(Movement.isin == check_isin(isin))
        if since is not None:
            query = query.where(Movement.created_at >= since)
        with self._read() as session:
            return list(session.scalars(query))

    def movement(self, reference: str) -> Movement | None:
        """The movement booked under ``reference``, if any."""
        with self._read() as session:
            return _by_reference(session, reference)

    def total_outside_issuance(self, isin: str) -> int:
        """The sum of every non-issuance account's holding of ``isin``: client accounts and
        digital omnibus accounts (units on chains). Equals :meth:`issued`."""
        return self._total(isin, lambda kind: kind != ISSUANCE)

    def issued(self, isin: str) -> int:
        """What has been issued of ``isin`` and not redeemed (minus the issuance holdings)."""
        return -self._total(isin, lambda kind: kind == ISSUANCE)

    def on_chains(self, isin: str) -> dict[int, int]:
        """Chain id -> what the digital omnibus of ``isin`` on that chain holds: the units the
        register has sent to the chain (its supply there plus what is in flight)."""
        code = check_isin(isin)
        with self._read() as session:
            rows = session.execute(
                select(SecuritiesAccount.chain_id, Holding.quantity)
                .join(Holding, Holding.account == SecuritiesAccount.id)
                .where(SecuritiesAccount.kind == DIGITAL_OMNIBUS, Holding.isin == code)
            )
            return {int(chain): int(quantity) for chain, quantity in rows}

    def _total(self, isin: str, included: Any) -> int:
        code = check_isin(isin)
        with self._read() as session:
            rows = session.execute(
                select(SecuritiesAccount.kind, Holding.quantity)
                .join(Holding, Holding.account == SecuritiesAccount.id)
                .where(Holding.isin == code)
            )
            return sum(int(quantity) for kind, quantity in rows if included(kind))


# ------------------------------------------------------------------ helpers
def movement_of(
    reference: str,
    isin: str,
    debit: str,
    credit: str,
    quantity: int,
    kind: str = TRANSFER,
    message_id: str | None = None,
    *,
    debit_owner: str | None = None,
    credit_owner: str | None = None,
) -> Movement:
    """The movement asked for, every field checked (RefusedError), not yet booked."""
    wanted = Movement(
        reference=check_text(reference, "reference", reason=INVALID_REFERENCE),
        isin=check_isin(isin),
        debit=check_text(debit, "debit", reason=INVALID_ACCOUNT),
        credit=check_text(credit, "credit", reason=INVALID_ACCOUNT),
        quantity=check_quantity(quantity),
        kind=_kind(kind),
        status=SETTLED,
        message_id=None if message_id is None else check_text(message_id, "message_id", 66),
        debit_owner=_owner_text(debit_owner, "debit_owner"),
        credit_owner=_owner_text(credit_owner, "credit_owner"),
    )
    if wanted.debit == wanted.credit:
        raise RefusedError("credit", f"{credit} is also the debited account", INVALID_ACCOUNT)
    return wanted


def book(session: Session, wanted: Movement) -> Movement:
    """Book ``wanted`` in ``session``'s transaction (the caller commits it with whatever else it
    writes): the booked movement, the one booked before under its reference when it repeats it,
    or a RefusedError (nothing of it written)."""
    accounts = {a.id: a for a in _lock_accounts(session, [wanted.debit, wanted.credit], wanted)}
    booked = _by_reference(session, wanted.reference)
    if booked is not None:  # booked while this one waited for the locks
        return _repeat(booked, wanted)
    instrument = _instrument(session, wanted.isin)
    debit, credit = accounts[wanted.debit], accounts[wanted.credit]
    for role, account in (("debit", debit), ("credit", credit)):
        _require_open(account, role)
    _check_rule(wanted, instrument, debit, credit)
    owners = [
        owner_change(
            session, debit, wanted.isin, -wanted.quantity, wanted.debit_owner, "debit_owner"
        ),
        owner_change(
            session, credit, wanted.isin, wanted.quantity, wanted.credit_owner, "credit_owner"
        ),
    ]
    row = Movement(
        reference=wanted.reference,
        isin=wanted.isin,
        debit=wanted.debit,
        credit=wanted.credit,
        quantity=wanted.quantity,
        kind=wanted.kind,
        status=SETTLED,
        created_at=now(),
        message_id=wanted.message_id,
        debit_owner=wanted.debit_owner,
        credit_owner=wanted.credit_owner,
    )
    _apply(session, debit, wanted.isin, -wanted.quantity)
    _apply(session, credit, wanted.isin, wanted.quantity)
    for change in owners:
        if change is not None:
            _apply_owner(session, *change)
    session.add(row)
    session.flush()
    return row


def _owner_text(owner: str | None, field: str) -> str | None:
    return None if owner is None else check_text(owner, field, reason=INVALID_ACCOUNT)


def breakdown_in(session: Session, account: str, isin: str) -> dict[str, int]:
    """Owner id -> quantity of ``account``'s holding of ``isin`` (empty: no breakdown)."""
    rows = session.scalars(
        select(BeneficialOwner)
        .where(BeneficialOwner.account == account, BeneficialOwner.isin == isin)
        .order_by(BeneficialOwner.owner)
    )
    return {row.owner: row.quantity for row in rows}


def owner_change(
    session: Session,
    account: SecuritiesAccount,
    isin: str,
    change: int,
    owner: str | None,
    field: str,
) -> tuple[str, str, str, int] | None:
    """The change a movement makes to ``account``'s breakdown of ``isin`` (``change`` units,
    negative on the debit side, to ``owner``), or None; RefusedError when the side may not, or
    must, name an owner, or when the owner debited holds less than asked."""
    if account.kind != OMNIBUS:
        if owner is not None:
            raise RefusedError(
                field,
                f"{account.id} is a {account.kind} account: only an omnibus account's holding "
                f"has beneficial owners (not {owner})",
                INVALID_ACCOUNT,
            )
        return None
    owners = breakdown_in(session, account.id, isin)
    if owner is None:
        if owners or broken_down(session, account.id, isin):
            raise RefusedError(
                field,
                f"{account.id}'s holding of {isin} is broken down by beneficial owner: name the "
                f"owner {'debited' if change < 0 else 'credited'}",
                INVALID_ACCOUNT,
            )
        return None
    held = holding_in(session, account.id, isin)
    if not owners and held:
        raise RefusedError(
            field,
            f"{account.id} holds {held} of {isin} with no beneficial-owner breakdown: record "
            f"it first (set_beneficial_owners), then name {owner}",
            INVALID_ACCOUNT,
        )
    has = owners.get(owner, 0)
    if has + change < 0:
        raise RefusedError(
            field,
            f"beneficial owner {owner} holds {has} of {isin} in {account.id}, less than the "
            f"{-change} asked",
            LACK_OF_SECURITIES,
        )
    return account.id, isin, owner, change


def broken_down(session: Session, account: str, isin: str) -> bool:
    """Whether ``account``'s holding of ``isin`` was ever broken down by owner: once it was, it
    stays so (at zero too), so units credited later cannot go unowned and a refund can always
    credit the owner its transfer debited."""
    recorded = select(BeneficialOwnerSet.id).where(
        BeneficialOwnerSet.account == account, BeneficialOwnerSet.isin == isin
    )
    owned = select(Movement.id).where(
        Movement.isin == isin,
        ((Movement.debit == account) & Movement.debit_owner.is_not(None))
        | ((Movement.credit == account) & Movement.credit_owner.is_not(None)),
    )
    return session.scalar(recorded.limit(1)) is not None or (
        session.scalar(owned.limit(1)) is not None
    )


def _apply_owner(session: Session, account: str, isin: str, owner: str, change: int) -> None:
    """Change one beneficial owner's quantity (a new owner is added, one at zero removed)."""
    row = session.get(BeneficialOwner, (account, isin, owner))
    if row is None:
        session.add(BeneficialOwner(account=account, isin=isin, owner=owner, quantity=change))
    elif row.quantity + change == 0:
        session.delete(row)
    else:
        row.quantity += change
    session.flush()


def _replayed_owners(session: Session, account: str, isin: str, at: datetime) -> dict[str, int]:
    """The breakdown just before ``at``: the last one recorded before it, plus the owners the
    movements booked after it (and before ``at``) debited and credited."""
    base = session.scalar(
        select(BeneficialOwnerSet)
        .where(
            BeneficialOwnerSet.account == account,
            BeneficialOwnerSet.isin == isin,
            BeneficialOwnerSet.set_at < at,
        )
        .order_by(BeneficialOwnerSet.set_at.desc(), BeneficialOwnerSet.id.desc())
        .limit(1)
    )
    owners = {} if base is None else {o: int(q) for o, q in json.loads(base.owners).items()}
    query = select(Movement).where(
        (Movement.debit == account) | (Movement.credit == account),
        Movement.isin == isin,
        Movement.created_at < at,
    )
    if base is not None:
        query = query.where(Movement.created_at > base.set_at)
    for movement in session.scalars(query.order_by(Movement.id)):
        for side, owner, sign in (
            (movement.debit, movement.debit_owner, -1),
            (movement.credit, movement.credit_owner, 1),
        ):
            if side == account and owner is not None:
                owners[owner] = owners.get(owner, 0) + sign * movement.quantity
    return {owner: q for owner, q in sorted(owners.items()) if q != 0}


def _stored_version(connection: Connection) -> tuple[bool, int | None]:
    """(whether the database has register tables, the version its ``ledger_schema`` says)."""
    names = [n for n in inspect(connection).get_table_names() if n.startswith(TABLE_PREFIX)]
    if SCHEMA_TABLE not in names:
        return bool(names), None
    version = connection.scalar(select(SchemaVersion.version).where(SchemaVersion.id == 1))
    return True, None if version is None else int(version)


def _wrong_version(url: str, version: int | None) -> UserError:
    found = (
        "no schema version (made before the register kept one)"
        if version is None
        else f"schema version {version}"
    )
    return UserError(
        "db",
        f"{url} holds register tables of {found}; this register needs schema version "
        f"{SCHEMA_VERSION}. Nothing was changed: export each account's holdings with a "
        "statement (`ape run ledger statement`) using the release that made the database, then "
        "open a new database (--db) and book them there",
    )


def _account_kind(kind: str) -> str:
    if kind not in KINDS:
        raise RefusedError("kind", f"unknown account kind {kind!r}: use {', '.join(KINDS)}")
    return kind


def _same_account(existing: SecuritiesAccount, row: SecuritiesAccount) -> bool:
    return existing.closed_at is None and (
        existing.id,
        existing.owner_name,
        existing.owner_lei,
        existing.kind,
        existing.isin,
        existing.chain_id,
    ) == (row.id, row.owner_name, row.owner_lei, row.kind, row.isin, row.chain_id)


def _lock_accounts(
    session: Session, ids: list[str], movement: Movement | None = None
) -> list[SecuritiesAccount]:
    """The accounts, locked for the rest of the transaction, in the order asked (locks are
    taken in id order, so two movements between the same accounts never deadlock)."""
    rows = session.scalars(
        select(SecuritiesAccount)
        .where(SecuritiesAccount.id.in_(ids))
        .order_by(SecuritiesAccount.id)
        .with_for_update()
    )
    found = {row.id: row for row in rows}
    for index, account_id in enumerate(ids):
        if account_id not in found:
            field = ("debit", "credit")[index] if movement is not None else "account"
            raise RefusedError(field, f"unknown account {account_id!r}", INVALID_ACCOUNT)
    return [found[account_id] for account_id in ids]


def _account(session: Session, account_id: str) -> SecuritiesAccount:
    row = session.get(SecuritiesAccount, account_id)
    if row is None:
        raise RefusedError("account", f"unknown account {account_id!r}", INVALID_ACCOUNT)
    return row


def _require_open(account: SecuritiesAccount, field: str = "account") -> None:
    if account.closed_at is not None:
        when = account.closed_at.isoformat(timespec="seconds")
        raise RefusedError(field, f"account {account.id} was closed on {when}", INVALID_ACCOUNT)


def _instrument(session: Session, isin: str) -> Instrument:
    row = session.get(Instrument, isin)
    if row is None:
        raise RefusedError("isin", f"{isin} is not kept in this register", INVALID_SECURITY)
    return row


def _by_reference(session: Session, reference: str) -> Movement | None:
    return session.scalar(select(Movement).where(Movement.reference == reference))


def _repeat(booked: Movement, wanted: Movement) -> Movement:
    """The booked movement when ``wanted`` repeats it; a refusal naming the reference when not."""
    if booked.same_content(wanted):
        return booked
    raise RefusedError(
        "reference",
        f"{wanted.reference} is already the reference of movement {booked.id} ({booked.kind} "
        f"of {booked.quantity} {booked.isin} from {booked.debit} to {booked.credit}); use a "
        "new reference for another movement",
        INVALID_REFERENCE,
    )


def _check_rule(
    wanted: Movement,
    instrument: Instrument,
    debit: SecuritiesAccount,
    credit: SecuritiesAccount,
) -> None:
    """The accounts suit the movement's kind and ISIN."""
    debits, credits = RULES[wanted.kind]
    for role, account, allowed in (("debit", debit, debits), ("credit", credit, credits)):
        if account.kind not in allowed:
            raise RefusedError(
                role,
                f"{account.id} is a {account.kind} account; a {wanted.kind} movement "
                f"{'debits' if role == 'debit' else 'credits'} {' or '.join(allowed)} accounts",
                INVALID_ACCOUNT,
            )
        if account.kind == ISSUANCE and account.id != instrument.issuance_account:
            raise RefusedError(
                role,
                f"{wanted.isin} is issued from {instrument.issuance_account}, not {account.id}",
                INVALID_SECURITY,
            )
        if account.kind == DIGITAL_OMNIBUS and account.isin != wanted.isin:
            raise RefusedError(
                "isin",
                f"{wanted.isin} does not match {account.id}, the digital omnibus of "
                f"{account.isin} on chain {account.chain_id}",
                INVALID_SECURITY,
            )


def holding_in(session: Session, account: str, isin: str) -> int:
    """What ``account`` holds of ``isin`` in ``session``'s transaction (0 when nothing)."""
    row = session.get(Holding, (account, isin))
    return 0 if row is None else row.quantity


def _apply(session: Session, account: SecuritiesAccount, isin: str, change: int) -> None:
    """Change a holding (written at once; the transaction still commits or rolls back whole).
    No holding goes below zero, except an issuance account's."""
    row = session.get(Holding, (account.id, isin))
    held = 0 if row is None else row.quantity
    if held + change < 0 and account.kind != ISSUANCE:
        raise RefusedError(
            "quantity",
            f"{account.id} holds {held} of {isin}, less than {-change}",
            LACK_OF_SECURITIES,
        )
    if row is None:
        session.add(Holding(account=account.id, isin=isin, quantity=change, updated_at=now()))
    else:
        row.quantity, row.updated_at = held + change, now()
    session.flush()


def _sqlstate(error: DBAPIError) -> str | None:
    return getattr(error.orig, "sqlstate", None)

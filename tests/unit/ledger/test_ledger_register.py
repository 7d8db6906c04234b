"""The book-entry register: accounts, double-entry movements exactly once, refusals that write
nothing, conservation, beneficial owners, restarts and races; on SQLite and on PostgreSQL."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from ledger_checks import refused, snapshot
from sqlalchemy import create_engine, inspect, select, text
from sqlalchemy.orm import Session

from securities_rails.bridge.store import Store
from securities_rails.errors import UserError
from securities_rails.ledger import register as register_module
from securities_rails.ledger.models import (
    DIGITAL_OMNIBUS,
    ISSUANCE,
    ISSUE,
    OFF_CHAIN,
    ON_CHAIN,
    REDEEM,
    SCHEMA_VERSION,
    SEGREGATED,
    TRANSFER,
    SchemaVersion,
    SecuritiesAccount,
)
from securities_rails.ledger.register import RefusedError, Register

# As in conftest.py (a test module cannot import it: several conftest modules share the name).
ISIN, OTHER_ISIN, CHAIN, ISSUED = "DE000BAY0017", "US0378331005", 31337, 10_000
Books = Any  # conftest.Books


def conservation(register: Register, isin: str = ISIN) -> int:
    """The sum of every account's holding (the issuance account negative)."""
    return sum(register.holdings(a.id).get(isin, 0) for a in register.accounts())


# --- accounts and instruments -----------------------------------------------------------


def test_accounts_keep_owner_kind_and_dates(books: Books):
    issuer = books.register.account(books.issuer)
    assert (issuer.kind, issuer.owner_lei, issuer.closed_at) == (
        ISSUANCE,
        "549300J4U55H3WP1XT59",
        None,
    )
    assert issuer.opened_at.tzinfo is not None
    chain = books.register.digital_omnibus(ISIN, CHAIN)
    assert chain is not None and (chain.id, chain.kind) == (books.chain, DIGITAL_OMNIBUS)
    assert books.register.digital_omnibus(ISIN, 1) is None
    assert books.register.instrument(ISIN).decimals == 2


def test_opening_an_account_again_with_the_same_details_returns_it(books: Books):
    again = books.register.open_account(books.alice, "Alice Example", SEGREGATED)
    assert again.id == books.alice
    refused(
        books.register,
        lambda: books.register.open_account(books.alice, "Someone Else", SEGREGATED),
        "account",
        "SAFE",
    )


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"account_id": "X" * 36}, "account"),
        ({"account_id": " padded"}, "account"),
        ({"kind": "savings"}, "kind"),
        ({"owner_lei": "549300J4U55H3WP1XT58"}, "owner_lei"),
        ({"isin": ISIN, "chain_id": 1}, "isin"),
    ],
)
def test_bad_account_details_are_refused(books: Books, kwargs: dict[str, Any], field: str):
    details = {"account_id": "NEW-1", "owner_name": "New", "kind": SEGREGATED, **kwargs}
    before = snapshot(books.register)
    with pytest.raises(UserError) as caught:
        books.register.open_account(**details)
    assert caught.value.field == field
    assert snapshot(books.register) == before


def test_one_digital_omnibus_per_isin_and_chain(books: Books):
    refused(
        books.register,
        lambda: books.register.open_account(
            "DLT-OTHER", "Chain", DIGITAL_OMNIBUS, isin=ISIN, chain_id=CHAIN
        ),
        "account",
        "SAFE",
    )
    books.register.open_account("DLT-2", "Chain 2", DIGITAL_OMNIBUS, isin=ISIN, chain_id=2)


def test_an_instrument_is_issued_from_an_issuance_account(books: Books):
    refused(
        books.register,
        lambda: books.register.add_instrument(OTHER_ISIN, books.alice),
        "issuance_account",
        "SAFE",
    )
    refused(
        books.register,
        lambda: books.register.add_instrument(ISIN, books.issuer, decimals=0),
        "isin",
        "DSEC",
    )
    assert books.register.add_instrument(ISIN, books.issuer, decimals=2).decimals == 2


def test_an_account_closes_only_when_empty_and_then_takes_nothing(books: Books):
    r = books.register
    refused(r, lambda: r.close_account(books.alice), "account", "OTHR")
    r.move("T-1", ISIN, books.alice, books.bob, ISSUED)
    closed = r.close_account(books.alice)
    assert closed.closed_at is not None
    refused(r, lambda: r.move("T-2", ISIN, books.bob, books.alice, 1), "credit", "SAFE")
    refused(r, lambda: r.close_account(books.alice), "account", "SAFE")


# --- movements ----------------------------------------------------------------------------


def test_every_movement_kind_books_both_sides(books: Books):
    r = books.register
    steps = [
        ("T-1", books.alice, books.bob, 1_000, TRANSFER),
        ("T-2", books.alice, books.bank, 2_000, TRANSFER),
        ("ON-1", books.bob, books.chain, 600, ON_CHAIN),
        ("OFF-1", books.chain, books.alice, 100, OFF_CHAIN),
        ("RED-1", books.bank, books.issuer, 500, REDEEM),
    ]
    for reference, debit, credit, quantity, kind in steps:
        before = (r.holding(debit, ISIN), r.holding(credit, ISIN))
        moved = r.move(reference, ISIN, debit, credit, quantity, kind)
        assert (moved.reference, moved.kind, moved.quantity, moved.status) == (
            reference,
            kind,
            quantity,
            "settled",
        )
        assert r.holding(debit, ISIN) == before[0] - quantity
        assert r.holding(credit, ISIN) == before[1] + quantity
    assert r.holdings(books.alice) == {ISIN: ISSUED - 3_000 + 100}
    assert r.holdings(books.bob) == {ISIN: 400}
    assert r.on_chains(ISIN) == {CHAIN: 500}
    assert r.issued(ISIN) == ISSUED - 500
    assert r.total_outside_issuance(ISIN) == ISSUED - 500
    assert conservation(r) == 0
    assert [m.kind for m in r.movements(isin=ISIN)] == [ISSUE, *(s[4] for s in steps)]
    assert [m.reference for m in r.movements(account=books.chain)] == ["ON-1", "OFF-1"]


def test_a_repeated_movement_is_booked_once(books: Books):
    r = books.register
    first = r.move("T-1", ISIN, books.alice, books.bob, 700, message_id="SESE023-1")
    again = r.move("T-1", ISIN, books.alice, books.bob, 700, message_id="SESE023-1")
    assert again.id == first.id
    assert r.holding(books.bob, ISIN) == 700
    assert r.issue(ISIN, books.alice, ISSUED, "ISSUE-0001").id == 1
    assert r.issued(ISIN) == ISSUED
    # Still the same movement once the debited account no longer holds enough.
    r.move("T-2", ISIN, books.alice, books.bob, ISSUED - 700)
    assert r.move("T-1", ISIN, books.alice, books.bob, 700, message_id="SESE023-1").id == first.id
    assert len(r.movements()) == 3


@pytest.mark.parametrize(
    "change",
    [
        {"quantity": 701},
        {"credit": "BANK-OMNI"},
        {"isin": OTHER_ISIN},
        {"kind": ON_CHAIN},
        {"message_id": "OTHER"},
    ],
)
def test_a_reference_reused_for_another_movement_is_refused_naming_it(
    books: Books, change: dict[str, Any]
):
    r = books.register
    r.move("T-1", ISIN, books.alice, books.bob, 700, message_id="SESE023-1")
    terms = {
        "reference": "T-1",
        "isin": ISIN,
        "debit": books.alice,
        "credit": books.bob,
        "quantity": 700,
        "kind": TRANSFER,
        "message_id": "SESE023-1",
        **change,
    }
    error = refused(r, lambda: r.move(**terms), "reference", "REFE")
    assert "T-1" in str(error)


def refusals(books: Books) -> list[tuple[str, Any, str, str]]:
    a, b, chain = books.alice, books.bob, books.chain
    return [
        ("unknown debit", ("T", ISIN, "NOBODY", b, 1), "debit", "SAFE"),
        ("unknown credit", ("T", ISIN, a, "NOBODY", 1), "credit", "SAFE"),
        ("insufficient holding", ("T", ISIN, a, b, ISSUED + 1), "quantity", "LACK"),
        ("empty account", ("T", ISIN, b, a, 1), "quantity", "LACK"),
        ("zero", ("T", ISIN, a, b, 0), "quantity", "DQUA"),
        ("negative", ("T", ISIN, a, b, -5), "quantity", "DQUA"),
        ("fraction", ("T", ISIN, a, b, 1.5), "quantity", "DQUA"),
        ("bad check digit", ("T", "DE000BAY0018", a, b, 1), "isin", "DSEC"),
        ("ISIN not kept", ("T", OTHER_ISIN, a, b, 1), "isin", "DSEC"),
        ("same account", ("T", ISIN, a, a, 1), "credit", "SAFE"),
        ("empty reference", ("", ISIN, a, b, 1), "reference", "REFE"),
        ("long reference", ("R" * 36, ISIN, a, b, 1), "reference", "REFE"),
        ("transfer to chain", ("T", ISIN, a, chain, 1, TRANSFER), "credit", "SAFE"),
        ("issue from client", ("T", ISIN, a, b, 1, ISSUE), "debit", "SAFE"),
        ("unknown kind", ("T", ISIN, a, b, 1, "gift"), "kind", "OTHR"),
    ]


@pytest.mark.parametrize("case", range(15))
def test_every_refusal_writes_nothing(books: Books, case: int):
    _, args, field, reason = refusals(books)[case]
    refused(books.register, lambda: books.register.move(*args), field, reason)


def test_a_digital_omnibus_takes_only_its_isin(books: Books):
    r = books.register
    r.open_account("ISSUER-APL", "Apple Inc.", ISSUANCE)
    r.add_instrument(OTHER_ISIN, "ISSUER-APL")
    r.issue(OTHER_ISIN, books.alice, 50, "ISSUE-APL")
    error = refused(
        r, lambda: r.move("ON-X", OTHER_ISIN, books.alice, books.chain, 5, ON_CHAIN), "isin", "DSEC"
    )
    assert books.chain in str(error)
    # Nor is another ISIN redeemed into this one's issuance account.
    refused(
        r, lambda: r.move("R-X", OTHER_ISIN, books.alice, books.issuer, 5, REDEEM), "credit", "DSEC"
    )


def test_only_the_issuance_account_goes_below_zero(books: Books):
    r = books.register
    assert r.holding(books.issuer, ISIN) == -ISSUED
    assert r.holdings(books.issuer) == {ISIN: -ISSUED}
    r.issue(ISIN, books.bob, 5, "ISSUE-0002")
    assert r.holding(books.issuer, ISIN) == -ISSUED - 5
    assert conservation(r) == 0


def test_movements_since_a_moment(books: Books):
    r = books.register
    later = datetime.now(UTC) + timedelta(seconds=1)
    assert [m.reference for m in r.movements(account=books.alice)] == ["ISSUE-0001"]
    assert r.movements(account=books.alice, since=later) == []
    assert r.holdings(books.alice, at=datetime(2000, 1, 1, tzinfo=UTC)) == {}
    assert r.holdings(books.alice, at=later) == {ISIN: ISSUED}


# --- beneficial owners ----------------------------------------------------------------------


def test_beneficial_owners_add_up_to_the_omnibus_holding(books: Books):
    r = books.register
    r.move("T-1", ISIN, books.alice, books.bank, 3_000)
    assert r.set_beneficial_owners(books.bank, ISIN, {"BO-2": 2_000, "BO-1": 1_000}) == {
        "BO-1": 1_000,
        "BO-2": 2_000,
    }
    assert r.beneficial_owners(books.bank, ISIN) == {"BO-1": 1_000, "BO-2": 2_000}
    refused(
        r,
        lambda: r.set_beneficial_owners(books.bank, ISIN, {"BO-1": 1_000}),
        "owners",
        "DQUA",
    )
    refused(
        r,
        lambda: r.set_beneficial_owners(books.bank, ISIN, {"BO-1": 0, "BO-2": 3_000}),
        "owners[BO-1]",
        "DQUA",
    )
    refused(
        r,
        lambda: r.set_beneficial_owners(books.alice, ISIN, {"BO-1": ISSUED - 3_000}),
        "account",
        "SAFE",
    )
    r.set_beneficial_owners(books.bank, ISIN, {"BO-3": 3_000})  # replaces the breakdown
    assert r.beneficial_owners(books.bank, ISIN) == {"BO-3": 3_000}


# --- restarts, crashes and races ----------------------------------------------------------


def test_the_register_is_all_in_the_database(books: Books, register_url: str):
    books.register.move("T-1", ISIN, books.alice, books.bob, 10)
    books.register.close()
    reopened = Register(register_url)
    try:
        assert reopened.holdings(books.bob) == {ISIN: 10}
        assert reopened.move("T-1", ISIN, books.alice, books.bob, 10).reference == "T-1"
        assert reopened.holding(books.bob, ISIN) == 10
    finally:
        reopened.close()


def test_a_crash_in_the_middle_of_a_move_leaves_nothing_written(
    books: Books, monkeypatch: pytest.MonkeyPatch
):
    r = books.register
    real = register_module._apply
    calls: list[str] = []

    def crash_on_credit(session: Session, account: SecuritiesAccount, isin: str, change: int):
        calls.append(account.id)
        if change > 0:
            raise KeyboardInterrupt("process killed")  # after the debit is written
        real(session, account, isin, change)

    monkeypatch.setattr(register_module, "_apply", crash_on_credit)
    before = snapshot(r)
    with pytest.raises(KeyboardInterrupt):
        r.move("T-1", ISIN, books.alice, books.bob, 10)
    assert calls == [books.alice, books.bob]
    assert snapshot(r) == before
    monkeypatch.setattr(register_module, "_apply", real)
    r.move("T-1", ISIN, books.alice, books.bob, 10)  # the restarted caller books it once
    assert (r.holding(books.alice, ISIN), r.holding(books.bob, ISIN)) == (ISSUED - 10, 10)


def test_concurrent_identical_moves_book_once(books: Books, register_url: str):
    """Eight processes (threads, each with its own connections) book the same reference."""
    registers = [Register(register_url) for _ in range(8)]
    barrier = threading.Barrier(len(registers))
    ids: list[int] = []
    errors: list[BaseException] = []

    def book(register: Register) -> None:
        barrier.wait()
        try:
            ids.append(register.move("T-RACE", ISIN, books.alice, books.bob, 25).id)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=book, args=(reg,)) for reg in registers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for reg in registers:
        reg.close()
    assert errors == []
    assert len(set(ids)) == 1 and len(ids) == 8
    assert books.register.holding(books.bob, ISIN) == 25
    assert len(books.register.movements(isin=ISIN)) == 2


def test_concurrent_moves_never_overdraw(books: Books, register_url: str):
    """Opposite and competing moves at once: no deadlock, no holding below zero."""
    r = books.register
    r.move("T-0", ISIN, books.alice, books.bob, 100)
    registers = [Register(register_url) for _ in range(6)]
    barrier = threading.Barrier(len(registers))
    outcomes: list[str] = []

    def book(index: int, register: Register) -> None:
        debit, credit = (books.bob, books.alice) if index % 2 else (books.bob, books.bank)
        barrier.wait()
        try:
            register.move(f"T-{index + 1}", ISIN, debit, credit, 40)
            outcomes.append("booked")
        except RefusedError as error:
            outcomes.append(error.reason)

    threads = [threading.Thread(target=book, args=pair) for pair in enumerate(registers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for reg in registers:
        reg.close()
    assert sorted(outcomes) == ["LACK"] * 4 + ["booked"] * 2
    assert r.holding(books.bob, ISIN) == 20
    assert conservation(r) == 0


def test_an_unsupported_database_is_refused():
    with pytest.raises(UserError, match=r"^db: .*mysql is not supported"):
        Register("mysql://u@h/db")


# --- the schema's version -----------------------------------------------------------------


def _sql(url: str, *statements: str) -> list[str]:
    """Run raw SQL on the database; the names of its tables afterwards."""
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            for statement in statements:
                connection.execute(text(statement))
        with engine.connect() as connection:
            return sorted(inspect(connection).get_table_names())
    finally:
        engine.dispose()


def test_a_new_database_gets_the_tables_and_their_version(register_url: str):
    Store(register_url).close()  # the bridge store's tables may share the database
    register = Register(register_url)
    try:
        with register.reading() as session:
            (row,) = session.scalars(select(SchemaVersion)).all()
        assert (row.id, row.version) == (1, SCHEMA_VERSION)
    finally:
        register.close()
    Register(register_url).close()  # opened again: the same version, nothing to do


def test_register_tables_without_a_version_are_refused_at_startup(register_url: str):
    """A database an older release made: its tables (here without ``deposit_address``)."""
    old = [
        "CREATE TABLE ledger_accounts (id VARCHAR(35) PRIMARY KEY, owner_name VARCHAR(140), "
        "owner_lei VARCHAR(20), kind VARCHAR(16), isin VARCHAR(12), chain_id BIGINT)",
        "INSERT INTO ledger_accounts (id, owner_name, kind) VALUES ('ALICE-001', 'Alice', "
        "'segregated')",
    ]
    tables = _sql(register_url, *old)
    with pytest.raises(UserError) as caught:
        Register(register_url)
    assert caught.value.field == "db"
    message = caught.value.message
    assert "no schema version" in message
    assert f"needs schema version {SCHEMA_VERSION}" in message
    assert "ape run ledger statement" in message and "new database" in message
    assert _sql(register_url) == tables == ["ledger_accounts"]  # nothing was changed


def test_a_database_of_another_schema_version_is_refused_at_startup(register_url: str):
    Register(register_url).close()
    tables = _sql(register_url, "UPDATE ledger_schema SET version = 1")
    with pytest.raises(UserError) as caught:
        Register(register_url)
    assert caught.value.field == "db"
    assert "tables of schema version 1;" in caught.value.message
    assert f"needs schema version {SCHEMA_VERSION}" in caught.value.message
    assert _sql(register_url) == tables
    _sql(register_url, "DELETE FROM ledger_schema")  # the row lost: refused, not rewritten
    with pytest.raises(UserError, match="no schema version"):
        Register(register_url)

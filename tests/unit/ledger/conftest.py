"""Fixtures for the book-entry register's tests: every test taking ``register`` runs on SQLite
and on PostgreSQL (the server of tests/conftest.py; skipped, saying why, when PostgreSQL is not
installed), and ``books`` is a register with accounts and an issue in it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from securities_rails.ledger.models import DIGITAL_OMNIBUS, ISSUANCE, OMNIBUS, SEGREGATED
from securities_rails.ledger.register import Register

ISIN = "DE000BAY0017"
OTHER_ISIN = "US0378331005"
CHAIN = 31337
ISSUER_LEI = "549300J4U55H3WP1XT59"
ISSUED = 10_000


@pytest.fixture
def register_url(database_url: str) -> str:
    """A fresh, empty database on SQLite, then on PostgreSQL (``database_url``)."""
    return database_url


@pytest.fixture
def register(register_url: str) -> Iterator[Register]:
    opened = Register(register_url)
    yield opened
    opened.close()


@dataclass(frozen=True)
class Books:
    """A register with an issuer, two clients, an omnibus and a digital omnibus on ``CHAIN``,
    and ``ISSUED`` units of ``ISIN`` issued to ``alice``."""

    register: Register
    issuer: str = "ISSUER-BAY"
    alice: str = "ALICE-001"
    bob: str = "BOB-001"
    bank: str = "BANK-OMNI"
    chain: str = "DLT-31337-BAY"


@pytest.fixture
def books(register: Register) -> Books:
    found = Books(register)
    register.open_account(found.issuer, "Bayer AG", ISSUANCE, owner_lei=ISSUER_LEI)
    register.open_account(found.alice, "Alice Example", SEGREGATED)
    register.open_account(found.bob, "Bob Example", SEGREGATED)
    register.open_account(found.bank, "Example Bank (clients)", OMNIBUS)
    register.open_account(found.chain, "Chain 31337", DIGITAL_OMNIBUS, isin=ISIN, chain_id=CHAIN)
    register.add_instrument(ISIN, found.issuer, decimals=2)
    register.issue(ISIN, found.alice, ISSUED, "ISSUE-0001")
    return found

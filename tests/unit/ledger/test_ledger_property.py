"""A property over random movements: the register's invariants hold after every sequence."""

from __future__ import annotations

import itertools
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from stdnum import isin as stdnum_isin

from securities_rails.ledger.models import (
    DIGITAL_OMNIBUS,
    ISSUANCE,
    OFF_CHAIN,
    OMNIBUS,
    ON_CHAIN,
    REDEEM,
    SEGREGATED,
    TRANSFER,
)
from securities_rails.ledger.register import RefusedError, Register

CLIENTS = 3
# (kind, debit index, credit index, quantity): indexes into the example's client accounts.
steps = st.lists(
    st.tuples(
        st.sampled_from(["issue", TRANSFER, ON_CHAIN, OFF_CHAIN, REDEEM]),
        st.integers(0, CLIENTS - 1),
        st.integers(0, CLIENTS - 1),
        st.integers(1, 500),
    ),
    max_size=25,
)
_examples = itertools.count()


def _fresh_books(register: Register) -> tuple[str, str, list[str], str]:
    """A new ISIN with its own issuance, client and digital-omnibus accounts (the database is
    shared by the examples of one test)."""
    n = next(_examples)
    body = f"XS{n:09d}"
    isin = body + stdnum_isin.calc_check_digit(body)
    issuer, chain = f"ISS-{n}", f"DLT-{n}"
    register.open_account(issuer, "Issuer", ISSUANCE)
    register.add_instrument(isin, issuer)
    clients = [f"C-{n}-{i}" for i in range(CLIENTS)]
    for i, client in enumerate(clients):
        register.open_account(client, f"Client {i}", OMNIBUS if i == 0 else SEGREGATED)
    register.open_account(chain, "Chain", DIGITAL_OMNIBUS, isin=isin, chain_id=1)
    return isin, issuer, clients, chain


@given(steps=steps)
def test_random_movements_keep_the_register_consistent(register: Register, steps: Any):
    isin, issuer, clients, chain = _fresh_books(register)
    accounts = [issuer, chain, *clients]
    booked: list[Any] = []
    for number, (kind, i, j, quantity) in enumerate(steps):
        debit, credit = {
            "issue": (issuer, clients[j]),
            TRANSFER: (clients[i], clients[j]),
            ON_CHAIN: (clients[i], chain),
            OFF_CHAIN: (chain, clients[j]),
            REDEEM: (clients[i], issuer),
        }[kind]
        reference = f"{isin}-{number}"
        try:
            if kind == "issue":
                booked.append(register.issue(isin, credit, quantity, reference))
            else:
                booked.append(register.move(reference, isin, debit, credit, quantity, kind))
        except RefusedError as refusal:
            assert refusal.reason in ("LACK", "SAFE"), refusal  # overdraft, or to itself
    holdings = {account: register.holding(account, isin) for account in accounts}
    assert all(q >= 0 for account, q in holdings.items() if account != issuer)
    assert sum(holdings.values()) == 0
    assert register.issued(isin) == register.total_outside_issuance(isin) == -holdings[issuer]
    assert register.on_chains(isin).get(1, 0) == holdings[chain]
    # Replaying every movement by its reference changes nothing.
    for movement in booked:
        again = register.move(
            movement.reference,
            isin,
            movement.debit,
            movement.credit,
            movement.quantity,
            movement.kind,
        )
        assert again.id == movement.id
    assert {account: register.holding(account, isin) for account in accounts} == holdings
    assert len(register.movements(isin=isin)) == len(booked)

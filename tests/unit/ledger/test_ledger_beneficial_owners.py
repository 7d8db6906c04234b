"""An omnibus account's beneficial owners follow every movement on it: each side on a broken-down
holding names its owner, the breakdown always adds up to the holding (a property over random
movements), a past date's breakdown is replayed, and the bridge credits an owner through its
own deposit address and refunds the owner it debited; on SQLite and on PostgreSQL."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from ledger_checks import refused, snapshot
from register_bridge import ALICE, ALICE_ACCOUNT, CAROL, ISSUED, RegisterBridge, make_bridge
from stdnum import isin as stdnum_isin
from suite_data import ISIN as BRIDGE_ISIN

from securities_rails.bridge.endpoint import InboundStatus, OutboundStatus
from securities_rails.bridge.register_book import deposit_address
from securities_rails.ledger.models import (
    DIGITAL_OMNIBUS,
    ISSUANCE,
    OFF_CHAIN,
    OMNIBUS,
    ON_CHAIN,
    REDEEM,
    SEGREGATED,
    TRANSFER,
    UNALLOCATED_OWNER,
)
from securities_rails.ledger.register import RefusedError, Register

ISIN, ISSUED_BOOKS = "DE000BAY0017", 10_000  # as in conftest.py
Books = Any  # conftest.Books


def adds_up(register: Register, account: str, isin: str = ISIN) -> dict[str, int]:
    owners = register.beneficial_owners(account, isin)
    held = register.holding(account, isin)
    assert not owners or sum(owners.values()) == held, (owners, held)
    assert all(quantity > 0 for quantity in owners.values())
    return owners


@pytest.fixture
def owned(books: Books) -> Books:
    """``books`` with 3,000 units in the omnibus, broken down: BO-1 1,000, BO-2 2,000."""
    books.register.move("T-0", ISIN, books.alice, books.bank, 3_000)
    books.register.set_beneficial_owners(books.bank, ISIN, {"BO-1": 1_000, "BO-2": 2_000})
    return books


# --- the rules ------------------------------------------------------------------------------


def test_every_movement_on_a_broken_down_holding_moves_its_owner(owned: Books):
    r, bank = owned.register, owned.bank
    r.move("T-1", ISIN, owned.alice, bank, 500, credit_owner="BO-3")  # a new owner
    r.move("T-2", ISIN, bank, owned.bob, 1_000, debit_owner="BO-1")  # down to 0: removed
    r.move("ON-1", ISIN, bank, owned.chain, 200, ON_CHAIN, debit_owner="BO-2")
    r.move("OFF-1", ISIN, owned.chain, bank, 50, OFF_CHAIN, credit_owner="BO-1")
    r.move("RED-1", ISIN, bank, owned.issuer, 100, REDEEM, debit_owner="BO-3")
    r.issue(ISIN, bank, 25, "ISSUE-0002", credit_owner="BO-2")
    assert adds_up(r, bank) == {"BO-1": 50, "BO-2": 1_825, "BO-3": 400}
    assert r.holding(bank, ISIN) == 2_275
    stored = r.movement("T-2")
    assert stored is not None and (stored.debit_owner, stored.credit_owner) == ("BO-1", None)


def test_a_side_on_a_broken_down_holding_must_name_its_owner(owned: Books):
    r, bank = owned.register, owned.bank
    error = refused(r, lambda: r.move("T-1", ISIN, bank, owned.bob, 5), "debit_owner", "SAFE")
    assert bank in error.message and ISIN in error.message
    error = refused(r, lambda: r.move("T-1", ISIN, owned.alice, bank, 5), "credit_owner", "SAFE")
    assert bank in error.message and ISIN in error.message
    refused(r, lambda: r.issue(ISIN, bank, 5, "ISSUE-0002"), "credit_owner", "SAFE")


def test_the_owner_debited_must_hold_enough(owned: Books):
    r = owned.register
    error = refused(
        r,
        lambda: r.move("T-1", ISIN, owned.bank, owned.bob, 1_001, debit_owner="BO-1"),
        "debit_owner",
        "LACK",
    )
    assert "BO-1" in error.message and "1000" in error.message and "1001" in error.message
    refused(
        r,
        lambda: r.move("T-1", ISIN, owned.bank, owned.bob, 1, debit_owner="NOBODY"),
        "debit_owner",
        "LACK",
    )


@pytest.mark.parametrize(
    ("terms", "field"),
    [
        ({"debit": "ALICE-001", "credit": "BOB-001", "debit_owner": "BO-1"}, "debit_owner"),
        ({"debit": "ALICE-001", "credit": "BOB-001", "credit_owner": "BO-1"}, "credit_owner"),
        (
            {"debit": "BANK-OMNI", "credit": "DLT-31337-BAY", "kind": ON_CHAIN,
             "debit_owner": "BO-1", "credit_owner": "BO-1"},
            "credit_owner",
        ),
        ({"debit": "ALICE-001", "credit": "BANK-OMNI", "credit_owner": " BO-1"}, "credit_owner"),
        ({"debit": "ALICE-001", "credit": "BANK-OMNI", "credit_owner": "B" * 36}, "credit_owner"),
    ],
    ids=["segregated-debit", "segregated-credit", "digital-omnibus", "padded", "too-long"],
)  # fmt: skip
def test_an_owner_is_named_only_on_an_omnibus_side(owned: Books, terms: dict[str, Any], field: str):
    movement = {"reference": "T-1", "isin": ISIN, "quantity": 5, "kind": TRANSFER, **terms}
    refused(owned.register, lambda: owned.register.move(**movement), field, "SAFE")


def test_an_owner_is_refused_on_a_holding_not_yet_broken_down(books: Books):
    r = books.register
    r.move("T-0", ISIN, books.alice, books.bank, 300)  # no breakdown: no owner needed
    error = refused(
        r,
        lambda: r.move("T-1", ISIN, books.alice, books.bank, 5, credit_owner="BO-1"),
        "credit_owner",
        "SAFE",
    )
    assert "300" in error.message
    r.move("T-1", ISIN, books.bank, books.alice, 300)  # emptied: an owner may start it
    r.move("T-2", ISIN, books.alice, books.bank, 40, credit_owner="BO-1")
    assert adds_up(r, books.bank) == {"BO-1": 40}
    refused(r, lambda: r.move("T-3", ISIN, books.alice, books.bank, 5), "credit_owner", "SAFE")


def test_the_owners_are_part_of_a_movement_booked_exactly_once(owned: Books):
    r = owned.register
    first = r.move("T-1", ISIN, owned.bank, owned.bob, 10, debit_owner="BO-1")
    assert r.move("T-1", ISIN, owned.bank, owned.bob, 10, debit_owner="BO-1").id == first.id
    refused(
        r,
        lambda: r.move("T-1", ISIN, owned.bank, owned.bob, 10, debit_owner="BO-2"),
        "reference",
        "REFE",
    )
    assert adds_up(r, owned.bank) == {"BO-1": 990, "BO-2": 2_000}


def test_check_beneficial_owner_refuses_as_booking_would_and_writes_nothing(owned: Books):
    r = owned.register
    r.check_beneficial_owner(owned.bank, ISIN, 1_000, "BO-1", "debit")
    r.check_beneficial_owner(owned.bank, ISIN, 5, "BO-9", "credit")
    r.check_beneficial_owner(owned.alice, ISIN, 5, None, "debit")
    for owner, side, field, reason in [
        ("BO-1", "debit", "debit_owner", "LACK"),
        (None, "credit", "credit_owner", "SAFE"),
    ]:
        refused(
            r,
            lambda o=owner, s=side: r.check_beneficial_owner(owned.bank, ISIN, 1_001, o, s),
            field,
            reason,
        )
    refused(
        r,
        lambda: r.check_beneficial_owner(owned.alice, ISIN, 1, "BO-1", "debit"),
        "debit_owner",
        "SAFE",
    )


# --- a past date's breakdown ----------------------------------------------------------------


def test_a_past_moment_s_breakdown_is_replayed(owned: Books):
    r = owned.register
    after_set = datetime.now(UTC)
    r.move("T-1", ISIN, owned.bank, owned.bob, 400, debit_owner="BO-2")
    r.move("T-2", ISIN, owned.alice, owned.bank, 70, credit_owner="BO-4")
    after_moves = datetime.now(UTC)
    r.set_beneficial_owners(owned.bank, ISIN, {"BO-5": 2_670})
    after_reset = datetime.now(UTC)
    r.move("T-3", ISIN, owned.bank, owned.bob, 600, debit_owner="BO-5")
    assert r.beneficial_owners(owned.bank, ISIN, at=after_set) == {"BO-1": 1_000, "BO-2": 2_000}
    assert r.beneficial_owners(owned.bank, ISIN, at=after_moves) == {
        "BO-1": 1_000,
        "BO-2": 1_600,
        "BO-4": 70,
    }
    assert r.beneficial_owners(owned.bank, ISIN, at=after_reset) == {"BO-5": 2_670}
    now = datetime.now(UTC)
    assert r.beneficial_owners(owned.bank, ISIN, at=now) == r.beneficial_owners(owned.bank, ISIN)
    assert r.beneficial_owners(owned.bank, ISIN, at=datetime(2000, 1, 1, tzinfo=UTC)) == {}
    for moment in (after_set, after_moves, after_reset, now):
        replayed = r.beneficial_owners(owned.bank, ISIN, at=moment)
        assert sum(replayed.values()) == r.holdings(owned.bank, at=moment)[ISIN]


# --- a property over random movements on an omnibus -----------------------------------------

OWNERS = ("BO-A", "BO-B", "BO-C")
# (kind, client index, owner index, quantity); client 0 is the omnibus account.
steps = st.lists(
    st.tuples(
        st.sampled_from(["issue", "in", "out", ON_CHAIN, OFF_CHAIN, REDEEM, "reset"]),
        st.integers(1, 2),
        st.integers(0, len(OWNERS) - 1),
        st.integers(1, 400),
    ),
    max_size=25,
)
_examples = itertools.count()


def _fresh_books(register: Register) -> tuple[str, str, list[str], str]:
    """A new ISIN with its own issuance account, an omnibus and two segregated accounts, and a
    digital omnibus (the database is shared by the examples of one test)."""
    n = next(_examples)
    body = f"XS{n:09d}"
    isin = body + stdnum_isin.calc_check_digit(body)
    issuer, chain = f"BISS-{n}", f"BDLT-{n}"
    register.open_account(issuer, "Issuer", ISSUANCE)
    register.add_instrument(isin, issuer)
    clients = [f"BC-{n}-{i}" for i in range(3)]
    for i, client in enumerate(clients):
        register.open_account(client, f"Client {i}", OMNIBUS if i == 0 else SEGREGATED)
    register.open_account(chain, "Chain", DIGITAL_OMNIBUS, isin=isin, chain_id=1)
    return isin, issuer, clients, chain


def _step(register: Register, books: tuple[str, str, list[str], str], step: Any, ref: str) -> None:
    isin, issuer, clients, chain = books
    kind, i, o, quantity = step
    omnibus, other, owner = clients[0], clients[i], OWNERS[o]
    if kind == "reset":  # a new breakdown of whatever the omnibus holds
        held = register.holding(omnibus, isin)
        register.set_beneficial_owners(omnibus, isin, {owner: held} if held else {})
    elif kind == "issue":
        register.issue(isin, omnibus, quantity, ref, credit_owner=owner)
    elif kind == "in":
        register.issue(isin, other, quantity, ref + "-I")
        register.move(ref, isin, other, omnibus, quantity, credit_owner=owner)
    elif kind == "out":
        register.move(ref, isin, omnibus, other, quantity, debit_owner=owner)
    elif kind == OFF_CHAIN:
        register.move(ref, isin, chain, omnibus, quantity, OFF_CHAIN, credit_owner=owner)
    else:  # on-chain or redeem: debit the omnibus's owner
        credit = chain if kind == ON_CHAIN else issuer
        register.move(ref, isin, omnibus, credit, quantity, kind, debit_owner=owner)


@given(steps=steps)
def test_random_movements_keep_the_breakdown_equal_to_the_holding(register: Register, steps: Any):
    books = _fresh_books(register)
    isin, omnibus = books[0], books[2][0]
    # The first breakdown: the omnibus starts empty, so naming an owner starts it.
    register.issue(isin, omnibus, 100, f"{isin}-START", credit_owner=OWNERS[0])
    for number, step in enumerate(steps):
        try:
            _step(register, books, step, f"{isin}-{number}")
        except RefusedError as refusal:  # every side names its owner: only an overdraft
            assert refusal.reason == "LACK", refusal
        owners = register.beneficial_owners(omnibus, isin)
        assert sum(owners.values()) == register.holding(omnibus, isin)
        assert all(quantity > 0 for quantity in owners.values())
    # Replaying the movements and breakdowns gives the breakdown of now.
    now = datetime.now(UTC)
    assert register.beneficial_owners(omnibus, isin, at=now) == register.beneficial_owners(
        omnibus, isin
    )


# --- the bridge: an owner's deposit address, debits and refunds ------------------------------

CUSTODIAN = "CUST-OMNI"


@pytest.fixture
def bridge(register: Register, register_url: str) -> Iterator[RegisterBridge]:
    """The register bridged to a fake chain, with an omnibus account holding 300 units broken
    down (OWNER-1 100, OWNER-2 200) and 500 units minted to alice's wallet."""
    made = make_bridge(register, register_url)
    register.open_account(CUSTODIAN, "Custodian (clients)", OMNIBUS)
    register.move("T-0", BRIDGE_ISIN, ALICE_ACCOUNT, CUSTODIAN, 300)
    register.set_beneficial_owners(CUSTODIAN, BRIDGE_ISIN, {"OWNER-1": 100, "OWNER-2": 200})
    made.home.send_from_account(ALICE_ACCOUNT, ALICE, BRIDGE_ISIN, 500, "TOKENISE-0")
    assert made.settle() == 0
    yield made
    made.store.close()


def owners_of(bridge: RegisterBridge) -> dict[str, int]:
    return adds_up(bridge.register, CUSTODIAN, BRIDGE_ISIN)


def test_units_sent_to_an_owner_s_deposit_address_credit_that_owner(bridge: RegisterBridge):
    address = bridge.home.deposit_address(CUSTODIAN, "OWNER-3")
    assert address == deposit_address("CSD-TEST", CUSTODIAN, "OWNER-3")
    assert address not in (
        bridge.home.deposit_address(CUSTODIAN),
        bridge.home.deposit_address(CUSTODIAN, "OWNER-1"),
        deposit_address("CSD-TEST", f"{CUSTODIAN} OWNER-3"),
    )
    assert bridge.home.deposit_address(CUSTODIAN, "OWNER-3") == address  # stored once
    sent = bridge.remote.send(ALICE, address, 40)
    assert bridge.settle() == 0
    assert bridge.home.inbound_status(sent.message_id()) == InboundStatus.EXECUTED
    assert owners_of(bridge) == {"OWNER-1": 100, "OWNER-2": 200, "OWNER-3": 40}
    assert bridge.reconciliation().ok


def test_units_sent_to_the_omnibus_s_own_address_are_refused_and_refunded(
    bridge: RegisterBridge,
):
    stray = bridge.remote.send(ALICE, bridge.home.deposit_address(CUSTODIAN), 30)
    assert bridge.settle() == 0
    assert bridge.home.inbound_status(stray.message_id()) == InboundStatus.FAILED
    reason, narrative = bridge.home.inbound_reason(stray.message_id())
    assert reason == "SAFE" and CUSTODIAN in (narrative or "")
    assert bridge.remote.held == 500  # burned, then minted back by the refund
    assert owners_of(bridge) == {"OWNER-1": 100, "OWNER-2": 200}
    assert bridge.reconciliation().ok


def test_a_send_debits_the_owner_and_a_chain_refusal_refunds_that_owner(bridge: RegisterBridge):
    message = bridge.home.send_from_account(
        CUSTODIAN, CAROL, BRIDGE_ISIN, 60, "TOKENISE-1", owner="OWNER-2"
    )
    assert message.sender == deposit_address("CSD-TEST", CUSTODIAN, "OWNER-2")
    assert owners_of(bridge) == {"OWNER-1": 100, "OWNER-2": 140}
    again = bridge.home.send_from_account(
        CUSTODIAN, CAROL, BRIDGE_ISIN, 60, "TOKENISE-1", owner="OWNER-2"
    )
    assert again == message
    with pytest.raises(RefusedError) as other_owner:
        bridge.home.send_from_account(
            CUSTODIAN, CAROL, BRIDGE_ISIN, 60, "TOKENISE-1", owner="OWNER-1"
        )
    assert other_owner.value.reason == "REFE"
    assert bridge.settle() == 0  # CAROL is refused on the chain: refunded
    assert bridge.home.outbound(message.nonce).status == OutboundStatus.REFUNDED
    assert owners_of(bridge) == {"OWNER-1": 100, "OWNER-2": 200}
    refund = [m for m in bridge.register.movements(CUSTODIAN) if m.kind == OFF_CHAIN]
    assert [(m.credit_owner, m.quantity) for m in refund] == [("OWNER-2", 60)]
    assert bridge.reconciliation().ok


def test_a_send_from_a_broken_down_omnibus_names_an_owner_who_holds_enough(
    bridge: RegisterBridge,
):
    head = bridge.home.head()
    for owner, quantity, field, reason in [
        (None, 10, "debit_owner", "SAFE"),
        ("OWNER-1", 101, "debit_owner", "LACK"),
    ]:
        with pytest.raises(RefusedError) as caught:
            bridge.home.send_from_account(
                CUSTODIAN, ALICE, BRIDGE_ISIN, quantity, "TOKENISE-9", owner=owner
            )
        assert (caught.value.field, caught.value.reason) == (field, reason)
    with pytest.raises(RefusedError) as segregated:
        bridge.home.send_from_account(
            ALICE_ACCOUNT, ALICE, BRIDGE_ISIN, 10, "TOKENISE-9", owner="OWNER-1"
        )
    assert (segregated.value.field, segregated.value.reason) == ("debit_owner", "SAFE")
    assert bridge.home.head() == head and bridge.register.movement("TOKENISE-9") is None
    assert bridge.holding(ALICE_ACCOUNT) == ISSUED - 800


def test_only_an_omnibus_account_s_owners_have_deposit_addresses(bridge: RegisterBridge):
    before = snapshot(bridge.register)
    with pytest.raises(RefusedError) as caught:
        bridge.home.deposit_address(ALICE_ACCOUNT, "OWNER-1")
    assert (caught.value.field, caught.value.reason) == ("owner", "SAFE")
    assert snapshot(bridge.register) == before


def test_a_refund_of_a_send_made_before_the_breakdown_credits_unallocated_units(
    bridge: RegisterBridge,
):
    bridge.register.open_account("CUST-TWO", "Second custodian (clients)", OMNIBUS)
    bridge.register.move("T-2", BRIDGE_ISIN, ALICE_ACCOUNT, "CUST-TWO", 100)
    message = bridge.home.send_from_account("CUST-TWO", CAROL, BRIDGE_ISIN, 50, "TOKENISE-2")
    # Broken down while the send is in flight: it debited no owner.
    bridge.register.set_beneficial_owners("CUST-TWO", BRIDGE_ISIN, {"OWNER-9": 50})
    assert bridge.settle() == 0  # CAROL is refused on the chain: refunded all the same
    assert bridge.home.outbound(message.nonce).status == OutboundStatus.REFUNDED
    assert adds_up(bridge.register, "CUST-TWO", BRIDGE_ISIN) == {
        UNALLOCATED_OWNER: 50,
        "OWNER-9": 50,
    }
    assert bridge.reconciliation().ok


def test_a_holding_once_broken_down_stays_so_at_zero(register: Register):
    register.open_account("ISSUER-X", "Issuer", ISSUANCE)
    register.open_account("OMNI-X", "Custodian", OMNIBUS)
    register.open_account("CLIENT-X", "Client", SEGREGATED)
    register.add_instrument(BRIDGE_ISIN, "ISSUER-X")
    register.issue(BRIDGE_ISIN, "OMNI-X", 10, "I-1", credit_owner="OWNER-1")
    register.move("M-1", BRIDGE_ISIN, "OMNI-X", "CLIENT-X", 10, debit_owner="OWNER-1")
    assert register.holding("OMNI-X", BRIDGE_ISIN) == 0
    assert register.beneficial_owners("OMNI-X", BRIDGE_ISIN) == {}
    with pytest.raises(RefusedError) as unowned:
        register.move("M-2", BRIDGE_ISIN, "CLIENT-X", "OMNI-X", 5)
    assert unowned.value.field == "credit_owner" and unowned.value.reason == "SAFE"
    assert register.movement("M-2") is None

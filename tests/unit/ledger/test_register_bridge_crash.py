"""Exactly once across crashes: the relayer, a validator or the register's own transaction
stopped by an exception at each step, then started again (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from register_bridge import (
    ALICE,
    ALICE_ACCOUNT,
    BOB_ACCOUNT,
    CAROL,
    ISSUED,
    RegisterBridge,
    make_bridge,
)
from suite_data import ISIN

from securities_rails.bridge import register_book as bridge_book
from securities_rails.bridge import relayer as relayer_module
from securities_rails.bridge import validator as validator_module
from securities_rails.bridge.store import SENT
from securities_rails.ledger.models import OFF_CHAIN, ON_CHAIN
from securities_rails.ledger.register import Register


class CrashError(Exception):
    """The process stopping at an injected point."""


def crash_once(point: str) -> Callable[[str], None]:
    """A hook that raises CrashError the first time ``point`` is reached."""
    hit: list[str] = []

    def hook(name: str) -> None:
        if name == point and not hit:
            hit.append(name)
            raise CrashError(name)

    return hook


@pytest.fixture
def bridge(register: Register, register_url: str) -> Iterator[RegisterBridge]:
    made = make_bridge(register, register_url)
    yield made
    made.store.close()


def tokenise(bridge: RegisterBridge, quantity: int = 100) -> None:
    bridge.home.send_from_account(ALICE_ACCOUNT, ALICE, ISIN, quantity, "TOKENISE-1")
    assert bridge.settle() == 0


def bridge_movements(bridge: RegisterBridge, kind: str) -> list[Any]:
    return [m for m in bridge.register.movements(isin=ISIN) if m.kind == kind]


@pytest.mark.parametrize("point", relayer_module.CRASH_POINTS)
def test_wallet_to_account_after_a_relayer_crash_books_once(
    bridge: RegisterBridge, point: str
) -> None:
    tokenise(bridge)
    bridge.remote.send(ALICE, bridge.deposit(BOB_ACCOUNT), 40)
    with pytest.raises(CrashError):
        bridge.settle(hook=crash_once(point))
    assert bridge.settle() == 0  # a new relayer over the same store
    assert bridge.holding(BOB_ACCOUNT) == 40
    assert len(bridge_movements(bridge, OFF_CHAIN)) == 1
    assert bridge.reconciliation().ok


@pytest.mark.parametrize("point", relayer_module.CRASH_POINTS)
def test_a_refund_after_a_relayer_crash_is_paid_once(bridge: RegisterBridge, point: str) -> None:
    bridge.home.send_from_account(ALICE_ACCOUNT, CAROL, ISIN, 100, "TOKENISE-1")
    assert bridge.settle() == 0  # the chain failed it: its refund is open
    hook = crash_once(point)
    for _ in range(3):  # the first submission that reaches ``point`` stops the relayer
        try:
            bridge.settle(hook=hook)
        except CrashError:
            break
    assert bridge.settle() == 0
    assert bridge.holding(ALICE_ACCOUNT) == ISSUED
    assert len(bridge_movements(bridge, OFF_CHAIN)) == 1
    assert bridge.home.totals().refunded == 100
    assert bridge.reconciliation().ok


@pytest.mark.parametrize("point", validator_module.CRASH_POINTS)
def test_account_to_wallet_after_a_validator_crash_mints_once(
    bridge: RegisterBridge, point: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    bridge.home.send_from_account(ALICE_ACCOUNT, ALICE, ISIN, 100, "TOKENISE-1")
    crashing = bridge.validators()[0]
    crashing.hook = crash_once(point)
    with pytest.raises(CrashError):
        crashing.step()
    assert bridge.settle() == 0
    assert bridge.remote.held == 100
    assert bridge.remote.calls.count("execute") == 1
    assert bridge.reconciliation().ok


def test_a_register_transaction_that_fails_midway_writes_nothing_and_is_retried(
    bridge: RegisterBridge, monkeypatch: pytest.MonkeyPatch
) -> None:
    tokenise(bridge)
    bridge.remote.send(ALICE, bridge.deposit(BOB_ACCOUNT), 40)
    original = bridge_book.record_totals
    calls: list[int] = []

    def fail_once(*args: Any) -> None:
        calls.append(1)
        if len(calls) == 2:  # the first call is prepare's dry run; the second, the broadcast
            raise CrashError("database connection lost")  # after the movement, before commit
        original(*args)

    monkeypatch.setattr(bridge_book, "record_totals", fail_once)
    head = bridge.home.head()
    with pytest.raises(CrashError):
        bridge.settle()
    assert bridge.holding(BOB_ACCOUNT) == 0  # rolled back whole
    assert bridge.home.head() == head
    (journaled,) = bridge.store.submissions(states=[SENT])  # broadcast, never recorded
    assert not bridge.home.is_known(journaled.tx_hash)
    assert bridge.settle() == 0  # the relayer finds the transaction unknown: submits it again
    assert bridge.holding(BOB_ACCOUNT) == 40
    assert len(bridge_movements(bridge, OFF_CHAIN)) == 1
    assert bridge.reconciliation().ok


def test_a_send_that_fails_midway_writes_nothing_and_can_be_asked_again(
    bridge: RegisterBridge, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = bridge_book.emit
    failures: list[int] = []

    def fail_once(*args: Any, **kwargs: Any) -> None:
        if not failures:
            failures.append(1)
            raise CrashError("killed")
        original(*args, **kwargs)

    monkeypatch.setattr(bridge_book, "emit", fail_once)
    with pytest.raises(CrashError):
        bridge.home.send_from_account(ALICE_ACCOUNT, ALICE, ISIN, 100, "TOKENISE-1")
    assert bridge.holding(ALICE_ACCOUNT) == ISSUED
    assert bridge.register.movement("TOKENISE-1") is None
    assert bridge.home.totals().sent == 0
    bridge.home.send_from_account(ALICE_ACCOUNT, ALICE, ISIN, 100, "TOKENISE-1")
    bridge.home.send_from_account(ALICE_ACCOUNT, ALICE, ISIN, 100, "TOKENISE-1")
    assert bridge.settle() == 0
    assert len(bridge_movements(bridge, ON_CHAIN)) == 1
    assert bridge.remote.held == 100
    assert bridge.reconciliation().ok

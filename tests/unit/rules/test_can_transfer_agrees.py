"""Property: ``canTransfer`` says exactly what the real transfer (or mint) then does.

Each example builds a random world on a pool of five wallets (registrations, expiries, balances,
freezes, rules, pause, lifecycle state: a primary placement or a suspension), then tries one or
two random transfers or mints. A transfer that
``canTransfer`` allows must succeed and move the units; one it refuses must revert with
TransferRestricted carrying the same code and reason (ERC20InsufficientBalance for
INSUFFICIENT_BALANCE). Holdings bookkeeping is checked at the end of each example.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from ape.exceptions import ContractLogicError
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from suite_data import FRANCE, GERMANY, USA, YEAR, instrument_data
from unit.checks import Rule, check_error, check_invariants, code_of, outcome_of

from securities_rails.chain.contracts import token_at
from securities_rails.identifiers import investor_id_hash
from securities_rails.reasons import encode_reason

ZERO = "0x0000000000000000000000000000000000000000"
ISIN = "NL0010273215"
POOL = 5
MINT = -1
ISSUED, SUSPENDED = 1, 2  # ISecurityToken.LifecycleState
# Investors a pool wallet may belong to: id -> (country, eligible for the whole example).
INVESTORS = {"A": (GERMANY, True), "B": (FRANCE, True), "C": (USA, True), "X": (GERMANY, False)}
# "retired": registered to investor R, given units, then removed from the registry.
REGISTRATIONS = [*INVESTORS, "none", "system", "retired"]
COUNTRIES = [GERMANY, FRANCE, USA]


@dataclass
class World:
    registrations: list[str]
    balances: list[int]
    partial_freezes: list[int]
    address_freezes: list[bool]
    allow: list[int] | None
    deny: list[int] | None
    max_investors: int | None
    holding_cap: int | None
    lock_up: str | None
    min_transfer: int | None
    paused: bool
    lifecycle: str | None
    actions: list[tuple[int, int, int | str]]


def _one_in(n: int) -> st.SearchStrategy[bool]:
    return st.sampled_from([False] * (n - 1) + [True])


def _sometimes(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """``strategy`` one time in three, else None (a rule switched off)."""
    return _one_in(3).flatmap(lambda on: strategy if on else st.none())


@st.composite
def worlds(draw: st.DrawFn) -> World:
    registration = st.sampled_from(["A", "A", "B", "B", "C", "C", "X", "none", "system", "retired"])
    registrations = draw(st.lists(registration, min_size=POOL, max_size=POOL))
    held = st.sampled_from([0, 1, 50, 100, 200, 300])
    balances = [0 if reg == "none" else draw(held) for reg in registrations]
    partial = [
        draw(_one_in(3).flatmap(lambda on, b=b: st.integers(1, b) if on else st.just(0)))
        if b
        else 0
        for b in balances
    ]
    countries = st.lists(st.sampled_from(COUNTRIES), unique=True, max_size=3)
    action = st.tuples(
        st.integers(MINT, POOL - 1),
        st.integers(0, POOL - 1),
        st.sampled_from(["all", "all", "half", "one", "more", "zero", "any"]).flatmap(
            lambda kind: st.integers(1, 350) if kind == "any" else st.just(kind)
        ),
    )
    return World(
        registrations=registrations,
        balances=balances,
        partial_freezes=partial,
        address_freezes=[draw(_one_in(20)) for _ in range(POOL)],
        allow=draw(_sometimes(countries)),
        deny=draw(_sometimes(countries)),
        max_investors=draw(_sometimes(st.integers(1, 5))),
        holding_cap=draw(_sometimes(st.integers(1, 700))),
        lock_up=draw(_sometimes(st.sampled_from(["running", "ended"]))),
        min_transfer=draw(_sometimes(st.integers(1, 100))),
        paused=draw(_one_in(10)),
        lifecycle=draw(st.sampled_from([None] * 4 + ["issued", "suspended"])),
        actions=draw(st.lists(action, min_size=1, max_size=2)),
    )


@pytest.fixture(scope="module")
def instrument(suite, admin, issuer, registrar, enforcer, pauser, upgrader):
    """An instrument of this module only: no holdings but the ones each example makes."""
    roles = tuple(a.address for a in (admin, issuer, registrar, enforcer, pauser, upgrader))
    data = instrument_data(ISIN)
    suite.factory.createInstrument("Agreement plc", "AGR", data, roles, sender=admin)
    token = token_at(suite.factory.tokenOf(data[0]))
    token.grantRole(token.CORPORATE_ACTION_ROLE(), admin, sender=admin)  # suspends
    return token


@pytest.fixture(scope="module")
def pool(accounts, chain):
    """Five wallets no other fixture registers, funded for gas."""
    wallets = [accounts.generate_test_account() for _ in range(POOL)]
    for wallet in wallets:
        chain.set_balance(wallet, 10**20)
    return wallets


def _build(world: World, pool, token, registry, admin, issuer, registrar, enforcer, pauser, chain):
    start = chain.pending_timestamp
    long_expiry, short_expiry = start + 10 * YEAR, start + 1000
    wallets, ids, countries, categories, expiries = [], [], [], [], []
    for wallet, reg in zip(pool, world.registrations, strict=True):
        if reg in INVESTORS or reg == "retired":
            country, lasting = INVESTORS.get(reg, (GERMANY, True))
            wallets.append(wallet)
            ids.append(investor_id_hash(f"can-transfer-agrees {reg}"))
            countries.append(country)
            categories.append(1)
            expiries.append(long_expiry if lasting else short_expiry)
        elif reg == "system":
            registry.registerSystemAccount(wallet, "escrow", sender=registrar)
    if wallets:
        registry.registerInvestors(wallets, ids, countries, categories, expiries, sender=registrar)
    if world.lifecycle == "issued":  # a primary placement: mints go on, transfers do not
        token.setLifecycleState(ISSUED, sender=issuer)
    funded = [(w, b) for w, b in zip(pool, world.balances, strict=True) if b]
    if funded:
        token.batchMint([w for w, _ in funded], [b for _, b in funded], sender=issuer)
    for wallet, reg, frozen, whole in zip(
        pool, world.registrations, world.partial_freezes, world.address_freezes, strict=True
    ):
        if reg == "retired":
            registry.removeWallet(wallet, sender=registrar)
        if frozen:
            token.freezePartialTokens(wallet, frozen, sender=enforcer)
        if whole:
            token.setAddressFrozen(wallet, True, sender=enforcer)
    for rule, countries_listed in (
        (Rule.COUNTRY_ALLOW_LIST, world.allow),
        (Rule.COUNTRY_DENY_LIST, world.deny),
    ):
        if countries_listed is not None:
            token.setRule(rule, 1, sender=admin)
            if countries_listed:
                token.setCountries(rule, countries_listed, True, sender=admin)
    for rule, value in (
        (Rule.MAX_INVESTORS, world.max_investors),
        (Rule.HOLDING_CAP, world.holding_cap),
        (Rule.MIN_TRANSFER, world.min_transfer),
    ):
        if value is not None:
            token.setRule(rule, value, sender=admin)
    if world.lock_up is not None:
        until = start + 30 * 24 * 3600 if world.lock_up == "running" else start + 1500
        token.setRule(Rule.LOCK_UP, until, sender=admin)
    chain.mine(timestamp=start + 2000)  # investor X's eligibility ran out
    if world.lifecycle == "suspended":
        token.setLifecycleState(SUSPENDED, sender=admin)
    if world.paused:
        token.pause(sender=pauser)


def _amount(token: Any, sender: Any, raw: int | str) -> int:
    """An amount, or one relative to the sender's balance."""
    if isinstance(raw, int):
        return raw
    held = token.balanceOf(sender) if sender is not None else 100
    return {"all": held, "half": held // 2, "one": 1, "more": held + 1, "zero": 0}[raw]


def _try(token, issuer, sender, recipient, amount) -> None:
    if sender is None:
        token.mint(recipient, amount, sender=issuer)
    else:
        token.transfer(recipient, amount, sender=sender)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(world=worlds())
def test_can_transfer_agrees_with_the_transfer(
    world, pool, instrument, registry, admin, issuer, registrar, enforcer, pauser, chain
):
    token = instrument
    snap = chain.snapshot()
    try:
        _build(world, pool, token, registry, admin, issuer, registrar, enforcer, pauser, chain)
        for sender_index, recipient_index, raw_amount in world.actions:
            sender = None if sender_index == MINT else pool[sender_index]
            recipient = pool[recipient_index]
            amount = _amount(token, sender, raw_amount)
            code, reason = outcome_of(token, sender or ZERO, recipient, amount)
            event(f"{'mint' if sender is None else 'transfer'}: {reason}")
            before = {w.address: token.balanceOf(w) for w in pool}
            try:
                _try(token, issuer, sender, recipient, amount)
            except ContractLogicError as error:
                assert reason != "OK", f"canTransfer allowed it, the transfer reverted: {error}"
                if reason == "INSUFFICIENT_BALANCE":
                    check_error(
                        error,
                        "ERC20InsufficientBalance",
                        sender=sender,
                        balance=before[sender.address],
                        needed=amount,
                    )
                    assert code == 0x54
                else:
                    check_error(
                        error,
                        "TransferRestricted",
                        code=bytes([code]),
                        reason=encode_reason(reason),
                    )
                    assert bytes([code]) == code_of(reason)
            else:
                assert (code, reason) == (0x51, "OK"), f"canTransfer said {reason}, it succeeded"
                after = {w.address: token.balanceOf(w) for w in pool}
                if sender is not None:
                    before[sender.address] -= amount
                before[recipient.address] += amount
                assert after == before
        check_invariants(token, registry, pool)
    finally:
        chain.restore(snap)

"""Properties of distributions, over random holdings, transfers, claims, payments and freezes
(the hypothesis profile of tests/conftest.py; each example rolls the chain back):

- an entitlement is the holder's balance at the record date times the rate (or its share of a
  total), whatever transfers, mints and burns happen after the record date; the holders the
  tooling finds at the record date are exactly those with units then;
- funded == paid + held + unclaimed + swept after every step, the contract keeps exactly the
  cash neither paid nor swept, and after the sweep the remainder of rounding (funded - sum of
  entitlements) is back with the announcer while nobody was paid twice.
"""

from __future__ import annotations

import contextlib
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from securities_rails.chain.contracts import pending_timestamp
from securities_rails.errors import UserError
from securities_rails.lifecycle import distributions as dist

DAY = 24 * 3600
SCALE = 10**2  # the bond's 2 decimals
MOVE = st.tuples(
    st.sampled_from(["transfer", "transfer", "mint", "burn"]),
    st.integers(0, 2),
    st.integers(0, 2),
    st.integers(1, 80_000),
)
VALUE = {"per-unit": st.integers(1, 10**8), "total": st.integers(1, 10**12)}


def _wallets(desk: Any) -> list[Any]:
    return [desk.alice, desk.bob, desk.carol]


def _move(desk: Any, balances: list[int], move: tuple[str, int, int, int]) -> None:
    """Apply one transfer, mint or burn to the chain and to `balances` (amounts capped by what the
    sender holds; nothing when it holds nothing)."""
    kind, source, target, amount = move
    wallets, token = _wallets(desk), desk.token
    if kind == "mint":
        token.mint(wallets[target], amount, sender=desk.issuer)
        balances[target] += amount
        return
    amount = min(amount, balances[source])
    if amount == 0 or (kind == "transfer" and source == target):
        return
    if kind == "burn":
        token.burn(wallets[source], amount, sender=desk.issuer)
    else:
        token.transfer(wallets[target], amount, sender=wallets[source])
        balances[target] += amount
    balances[source] -= amount


def _expected(kind: str, value: int, balance: int, supply: int) -> int:
    if kind == "per-unit":
        return balance * value // SCALE
    return value * balance // supply if balance else 0


def _announce(desk: Any, kind: str, value: int) -> tuple[int, dist.DistributionTerms]:
    now = pending_timestamp()
    terms = dist.DistributionTerms(
        desk.token.address, desk.cash.address, now + DAY, now + 2 * DAY, now + 30 * DAY, kind, value
    )
    return dist.announce(desk.lifecycle, desk.agent, terms, "PROP-1"), terms


@given(
    kind=st.sampled_from(["per-unit", "total"]),
    data=st.data(),
    before=st.lists(MOVE, max_size=4),
    after=st.lists(MOVE, max_size=5),
)
def test_entitlements_are_the_balances_at_the_record_date(
    bond_desk, chain, kind, data, before, after
):
    desk = bond_desk
    value = data.draw(VALUE[kind], label="value")
    snap = chain.snapshot()
    try:
        balances = [int(desk.token.balanceOf(w)) for w in _wallets(desk)]
        did, terms = _announce(desk, kind, value)
        for move in before:
            _move(desk, balances, move)
        at_record = list(balances)
        chain.mine(timestamp=terms.record_date + 1)
        for move in after:
            _move(desk, balances, move)
        supply = sum(at_record)
        for wallet, balance in zip(_wallets(desk), at_record, strict=True):
            expected = _expected(kind, value, balance, supply)
            assert dist.entitlement(desk.lifecycle, did, wallet.address) == expected
            assert dist.balance_at_record_date(desk.lifecycle, did, wallet.address) == balance
        holders = {w.address for w, b in zip(_wallets(desk), at_record, strict=True) if b}
        assert set(dist.holders_at_record_date(desk.lifecycle, did)) == holders
        required = value if kind == "total" else supply * value // SCALE
        assert dist.read(desk.lifecycle, did).required() == required
    finally:
        chain.restore(snap)


STEP = st.tuples(st.sampled_from(["claim", "pay", "freeze", "unfreeze"]), st.integers(0, 7))


def _check_books(desk: Any, did: int) -> dist.Distribution:
    d = dist.read(desk.lifecycle, did)
    unclaimed = int(desk.lifecycle.distributions.unclaimed(did))
    assert d.funded == d.paid + d.held + unclaimed + d.swept
    assert int(desk.cash.balanceOf(desk.lifecycle.distributions)) == d.funded - d.paid - d.swept
    return d


def _step(desk: Any, did: int, step: tuple[str, int]) -> None:
    action, target = step
    wallets = _wallets(desk)
    if action in ("freeze", "unfreeze"):
        desk.token.setAddressFrozen(wallets[target % 3], action == "freeze", sender=desk.enforcer)
    elif action == "claim":
        # already paid, nothing due, still held: refused before sending (the books are checked)
        with contextlib.suppress(UserError):
            dist.claim(desk.lifecycle, wallets[target % 3], did)
    else:
        chosen = [w.address for i, w in enumerate(wallets) if target & (1 << i)]
        if chosen:
            dist.pay(desk.lifecycle, desk.agent, did, chosen)


@given(
    kind=st.sampled_from(["per-unit", "total"]),
    data=st.data(),
    holdings=st.lists(st.integers(0, 60_000), min_size=3, max_size=3),
    steps=st.lists(STEP, max_size=6),
)
def test_funds_are_conserved_and_the_remainder_returns_to_the_announcer(
    bond_desk, chain, kind, data, holdings, steps
):
    desk = bond_desk
    value = data.draw(VALUE[kind], label="value")
    snap = chain.snapshot()
    try:
        for wallet, units in zip(_wallets(desk), holdings, strict=True):
            if units:
                desk.token.mint(wallet, units, sender=desk.issuer)
        balances = [int(desk.token.balanceOf(w)) for w in _wallets(desk)]
        did, terms = _announce(desk, kind, value)
        chain.mine(timestamp=terms.record_date + 1)
        start = int(desk.cash.balanceOf(desk.agent))
        funded = dist.fund(desk.lifecycle, desk.agent, did)
        chain.mine(timestamp=terms.payment_date)
        _check_books(desk, did)
        for step in steps:
            _step(desk, did, step)
            _check_books(desk, did)
        # Everyone is paid (or held, when frozen) before the deadline, then the rest is swept.
        dist.pay(desk.lifecycle, desk.agent, did, [w.address for w in _wallets(desk)])
        chain.mine(timestamp=terms.claim_deadline)
        entitled = [_expected(kind, value, b, sum(balances)) for b in balances]
        d = _check_books(desk, did)
        assert d.paid + d.held == sum(entitled)
        remainder = funded - sum(entitled)
        if remainder:
            assert dist.sweep(desk.lifecycle, desk.carol, did) == remainder
        d = _check_books(desk, did)
        assert d.swept == remainder
        assert int(desk.cash.balanceOf(desk.agent)) == start - sum(entitled)
        for wallet, due in zip(_wallets(desk), entitled, strict=True):
            status, held = dist.entry(desk.lifecycle, did, wallet.address)
            received = int(desk.cash.balanceOf(wallet))
            assert received + held == due  # paid once, or held: never twice
            assert received == (due if status == "paid" else 0)
    finally:
        chain.restore(snap)

"""Property: a redemption burns exactly the units it pays for. Over random holdings, prices,
fractions and who redeems alone or in the agent's batch, full (at maturity) or pro rata: the
supply drops by the units redeemed, each holder is paid floor(units * price / 10**decimals) for
the units burned from it (its whole balance, or its fraction of the balance at the record date),
and the contract's totals agree (the hypothesis profile of tests/conftest.py; each example rolls
the chain back)."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from securities_rails.chain.contracts import pending_timestamp
from securities_rails.lifecycle import redemption as red

DAY = 24 * 3600
SCALE = 10**2  # the bond's 2 decimals


def _wallets(desk: Any) -> list[Any]:
    return [desk.alice, desk.bob, desk.carol]


@st.composite
def fractions(draw: st.DrawFn) -> tuple[int, int]:
    denominator = draw(st.integers(1, 10**6))
    return draw(st.integers(1, denominator)), denominator


def _terms(desk: Any, kind: str, price: int, fraction: tuple[int, int], maturity: int) -> Any:
    if kind == "full":
        return red.RedemptionTerms(
            desk.token.address, desk.cash.address, "full", price, 0, 0, 0, maturity,
            maturity + 30 * DAY,
        )  # fmt: skip
    now = pending_timestamp()
    return red.RedemptionTerms(
        desk.token.address, desk.cash.address, "pro-rata", price, *fraction, now + DAY,
        now + 2 * DAY, now + 30 * DAY,
    )  # fmt: skip


@given(
    kind=st.sampled_from(["full", "pro-rata"]),
    price=st.integers(1, 10**9),
    fraction=fractions(),
    extra=st.lists(st.integers(0, 70_000), min_size=3, max_size=3),
    alone=st.lists(st.booleans(), min_size=3, max_size=3),
)
def test_redemption_burns_exactly_the_units_it_pays_for(
    bond_desk, maturity, chain, kind, price, fraction, extra, alone
):
    desk = bond_desk
    snap = chain.snapshot()
    try:
        wallets = _wallets(desk)
        for wallet, units in zip(wallets, extra, strict=True):
            if units:
                desk.token.mint(wallet, units, sender=desk.issuer)
        terms = _terms(desk, kind, price, fraction, maturity)
        rid = red.announce(desk.lifecycle, desk.agent, terms, "PROP-RED")
        at_record = [int(desk.token.balanceOf(w)) for w in wallets]
        chain.mine(timestamp=(terms.record_date + 1) if kind == "pro-rata" else maturity)
        red.fund(desk.lifecycle, desk.agent, rid)
        chain.mine(timestamp=max(terms.start_date, pending_timestamp()))
        numerator, denominator = fraction
        due = [b if kind == "full" else b * numerator // denominator for b in at_record]
        supply = int(desk.token.totalSupply())

        redeemed: dict[str, tuple[int, int]] = {}
        for wallet, units, by_itself in zip(wallets, due, alone, strict=True):
            if by_itself and units:
                row = red.redeem(desk.lifecycle, wallet, rid)
                redeemed[wallet.address] = (row.units, row.payment)
        rest = [w.address for w in wallets if w.address not in redeemed]
        if rest:
            for row in red.redeem_for(desk.lifecycle, desk.agent, rid, rest).rows:
                if row.outcome == "redeemed":
                    redeemed[row.holder] = (row.units, row.payment)

        for wallet, units, balance in zip(wallets, due, at_record, strict=True):
            cash = units * price // SCALE
            assert redeemed.get(wallet.address, (0, 0)) == (units, cash)
            assert int(desk.token.balanceOf(wallet)) == balance - units
            assert int(desk.cash.balanceOf(wallet)) == cash
        assert supply - int(desk.token.totalSupply()) == sum(due)
        r = red.read(desk.lifecycle, rid)
        assert (r.units_redeemed, r.paid) == (sum(due), sum(u * price // SCALE for u in due))
        assert int(desk.cash.balanceOf(desk.lifecycle.redemption)) == r.funded - r.paid
    finally:
        chain.restore(snap)

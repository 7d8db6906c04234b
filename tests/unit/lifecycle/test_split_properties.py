"""Properties of splits and consolidations on Anvil, over random holdings, ratios and transfers
after the record date (the hypothesis profile of tests/conftest.py: 25 examples, under 20 s a
test; each example rolls the chain back):

- a split with an integer ratio (D divides N) applied to every holder mints each record-date
  holder exactly balanceAt * (N/D - 1): its share of the supply is unchanged, exactly;
- with any other ratio, or a consolidation, each holder ends with exactly floor(b * N / D) of its
  record-date balance b (what it received or sent after the record date kept apart), and its
  share b'/S' moves by less than the documented bound (less than 1/S' below b/S, less than
  N_holders * (b/S) / S' above it);
- in every case the supply after is the sum of the balances.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from securities_rails.chain.contracts import pending_timestamp
from securities_rails.lifecycle import splits, state

DAY = 24 * 3600
HOLDINGS = st.lists(st.integers(0, 100_000), min_size=3, max_size=3)
TRANSFER = st.tuples(st.integers(0, 2), st.integers(0, 2), st.integers(1, 5_000))


def _wallets(desk: Any) -> list[Any]:
    return [desk.alice, desk.bob, desk.carol]


def _balances(desk: Any) -> list[int]:
    return [int(desk.token.balanceOf(w)) for w in _wallets(desk)]


def _mint(desk: Any, extra: list[int]) -> None:
    for wallet, units in zip(_wallets(desk), extra, strict=True):
        if units:
            desk.token.mint(wallet, units, sender=desk.issuer)


def _announce(desk: Any, numerator: int, denominator: int) -> tuple[int, splits.SplitTerms]:
    now = pending_timestamp()
    terms = splits.SplitTerms(
        desk.token.address,
        splits.kind_of(numerator, denominator),
        numerator,
        denominator,
        now + DAY,
        now + 30 * DAY,
    )
    return splits.announce(desk.lifecycle, desk.agent, terms, "PROP-SPLIT"), terms


def _transfer(desk: Any, move: tuple[int, int, int]) -> None:
    source, target, amount = move
    wallets = _wallets(desk)
    amount = min(amount, int(desk.token.balanceOf(wallets[source])))
    if amount and source != target:
        desk.token.transfer(wallets[target], amount, sender=wallets[source])


def _apply_everyone(desk: Any, sid: int) -> dict[str, int]:
    """Apply to every holder at the record date; the units each was applied."""
    result = splits.apply_to(desk.lifecycle, desk.agent, sid)
    assert {row.outcome for row in result.rows} <= {"applied", "skipped"}
    return {row.holder: row.units for row in result.rows if row.outcome == "applied"}


def _supply_is_the_sum_of_balances(desk: Any) -> None:
    assert int(desk.token.totalSupply()) == sum(_balances(desk))


@given(
    extra=HOLDINGS,
    factor=st.integers(2, 50),
    denominator=st.integers(1, 20),
    after=st.lists(TRANSFER, max_size=4),
)
def test_an_integer_split_keeps_every_share_of_the_supply_exactly(
    share_desk, chain, extra, factor, denominator, after
):
    desk = share_desk
    numerator = factor * denominator  # D divides N: N/D is the integer `factor`
    snap = chain.snapshot()
    try:
        _mint(desk, extra)
        sid, terms = _announce(desk, numerator, denominator)
        at_record = _balances(desk)
        supply = sum(at_record)
        chain.mine(timestamp=terms.record_date + 1)
        for move in after:
            _transfer(desk, move)
        before = _balances(desk)
        applied = _apply_everyone(desk, sid)
        minted_total = int(desk.token.totalSupply()) - supply
        assert minted_total == supply * (factor - 1)
        for wallet, b, held_before in zip(_wallets(desk), at_record, before, strict=True):
            minted = applied.get(wallet.address, 0)
            assert minted == b * (factor - 1)
            assert int(desk.token.balanceOf(wallet)) == held_before + minted
            # its share of the supply, from its record-date holding: exactly as before
            assert Fraction(b + minted, supply + minted_total) == Fraction(b, supply)
        assert splits.read(desk.lifecycle, sid).minted == minted_total
        _supply_is_the_sum_of_balances(desk)
    finally:
        chain.restore(snap)


@st.composite
def ratios(draw: st.DrawFn) -> tuple[int, int]:
    """A split whose D does not divide N, or a consolidation (N < D)."""
    if draw(st.booleans()):
        denominator = draw(st.integers(2, 1_000))
        numerator = draw(st.integers(denominator + 1, 10 * denominator))
        if numerator % denominator == 0:
            numerator += 1
        return numerator, denominator
    denominator = draw(st.integers(2, 1_000_000))
    return draw(st.integers(1, denominator - 1)), denominator


@given(extra=HOLDINGS, ratio=ratios(), after=st.lists(TRANSFER, max_size=4))
def test_each_holder_ends_with_the_floor_of_its_holding_times_the_ratio(
    share_desk, chain, extra, ratio, after
):
    desk = share_desk
    numerator, denominator = ratio
    consolidation = numerator < denominator
    snap = chain.snapshot()
    try:
        _mint(desk, extra)
        if consolidation:  # announced and applied while suspended: nothing moves in between
            state.set_state(desk.token, desk.agent, "suspended")
        sid, terms = _announce(desk, numerator, denominator)
        at_record = _balances(desk)
        chain.mine(timestamp=terms.record_date + 1)
        if not consolidation:
            for move in after:
                _transfer(desk, move)
        before = _balances(desk)
        applied = _apply_everyone(desk, sid)
        after_ratio = [b * numerator // denominator for b in at_record]
        for wallet, b, b_after, held_before in zip(
            _wallets(desk), at_record, after_ratio, before, strict=True
        ):
            change = applied.get(wallet.address, 0)
            assert change == abs(b_after - b)
            delta = change if not consolidation else -change
            assert int(desk.token.balanceOf(wallet)) == held_before + delta
        _supply_is_the_sum_of_balances(desk)
        # each record-date holder's share moves by less than the documented bound
        supply, supply_after = sum(at_record), sum(after_ratio)
        holders = sum(1 for b in at_record if b)
        if supply_after:
            for b, b_after in zip(at_record, after_ratio, strict=True):
                if not b:
                    continue
                share, share_after = Fraction(b, supply), Fraction(b_after, supply_after)
                assert share - share_after < Fraction(1, supply_after)
                assert share_after - share < holders * share / supply_after
        s = splits.read(desk.lifecycle, sid)
        moved = sum(abs(x - b) for x, b in zip(after_ratio, at_record, strict=True))
        assert (s.burned if consolidation else s.minted) == moved
    finally:
        chain.restore(snap)

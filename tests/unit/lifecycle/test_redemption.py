"""Redemption: full at maturity and pro rata at a record date, by the holder or in the agent's
batches; units burned exactly as paid for; held units released to another wallet; refusals
before sending."""

from __future__ import annotations

from typing import Any

import pytest
from suite_data import GERMANY

from securities_rails.chain.contracts import pending_timestamp
from securities_rails.errors import UserError
from securities_rails.lifecycle import redemption as red
from securities_rails.lifecycle.state import state_of

DAY = 24 * 3600
CAD = 10**6
NOTE = 100  # smallest units of a whole note (2 decimals)


def full_terms(desk: Any, maturity: int, price: int = 0) -> red.RedemptionTerms:
    return red.RedemptionTerms(
        token=desk.token.address,
        cash_token=desk.cash.address,
        kind="full",
        price_per_unit=price,
        numerator=0,
        denominator=0,
        record_date=0,
        start_date=maturity,
        deadline=maturity + 30 * DAY,
    )


def pro_rata_terms(
    desk: Any, numerator: int = 1, denominator: int = 4, record_in: int = DAY, price: int = 0
) -> red.RedemptionTerms:
    now = pending_timestamp()
    return red.RedemptionTerms(
        token=desk.token.address,
        cash_token=desk.cash.address,
        kind="pro-rata",
        price_per_unit=price,
        numerator=numerator,
        denominator=denominator,
        record_date=now + record_in,
        start_date=now + 2 * DAY,
        deadline=now + 30 * DAY,
    )


@pytest.fixture
def at_maturity(bond_desk: Any, maturity: int, chain: Any) -> tuple[Any, int]:
    """A full redemption of the bond at par (100 CAD a note), funded, at maturity."""
    rid = red.announce(bond_desk.lifecycle, bond_desk.agent, full_terms(bond_desk, maturity), "RED")
    chain.mine(timestamp=maturity)
    red.fund(bond_desk.lifecycle, bond_desk.agent, rid)
    return bond_desk, rid


@pytest.fixture
def pro_rata(share_desk: Any, chain: Any) -> tuple[Any, int, red.RedemptionTerms]:
    """A quarter of each share holding redeemed at the nominal (1 CAD), funded, open."""
    terms = pro_rata_terms(share_desk)
    rid = red.announce(share_desk.lifecycle, share_desk.agent, terms, "PCAL-1")
    chain.mine(timestamp=terms.record_date + 1)
    red.fund(share_desk.lifecycle, share_desk.agent, rid)
    chain.mine(timestamp=terms.start_date)
    return share_desk, rid, terms


def test_a_full_redemption_burns_every_unit_at_par_and_closes_the_instrument(at_maturity):
    desk, rid = at_maturity
    r = red.read(desk.lifecycle, rid)
    assert (r.kind, r.price, r.funded) == ("full", 100 * CAD, 1500 * 100 * CAD)
    assert red.redeemable(desk.lifecycle, rid, desk.bob.address) == (500 * NOTE, 50_000 * CAD)
    result = red.redeem_for(desk.lifecycle, desk.agent, rid)
    assert sorted((row.holder, row.outcome, row.units) for row in result.rows) == sorted(
        [
            (desk.alice.address, "redeemed", 1000 * NOTE),
            (desk.bob.address, "redeemed", 500 * NOTE),
        ]
    )
    assert desk.cash.balanceOf(desk.alice) == 100_000 * CAD
    assert desk.cash.balanceOf(desk.bob) == 50_000 * CAD
    assert desk.token.totalSupply() == 0 and state_of(desk.token) == "redeemed"
    r = red.read(desk.lifecycle, rid)
    assert (r.units_redeemed, r.paid, r.unused) == (1500 * NOTE, 150_000 * CAD, 0)


def test_a_pro_rata_redemption_takes_the_fraction_of_the_holding_at_the_record_date(
    share_desk, chain, nothing_sent
):
    desk = share_desk
    terms = pro_rata_terms(desk)
    rid = red.announce(desk.lifecycle, desk.agent, terms, "PCAL-1")
    chain.mine(timestamp=terms.record_date + 1)
    desk.token.transfer(desk.carol, 2000, sender=desk.bob)  # after the record date
    assert red.fund(desk.lifecycle, desk.agent, rid) == 1000 * CAD  # a quarter of 4,000 at 1 CAD
    chain.mine(timestamp=terms.start_date)

    row = red.redeem(desk.lifecycle, desk.alice, rid)
    assert (row.outcome, row.units, row.payment) == ("redeemed", 250, 250 * CAD)
    assert desk.token.balanceOf(desk.alice) == 750
    with nothing_sent(), pytest.raises(UserError, match="already redeemed its pro-rata units"):
        red.redeem(desk.lifecycle, desk.alice, rid)
    with (
        nothing_sent(),
        pytest.raises(UserError, match=r"holds no units .* to redeem \(at the record date"),
    ):
        red.redeem(desk.lifecycle, desk.carol, rid)
    result = red.redeem_for(desk.lifecycle, desk.agent, rid)
    outcomes = {row.holder: (row.outcome, row.units, row.reason) for row in result.rows}
    assert outcomes == {
        desk.alice.address: ("skipped", 0, "ALREADY_REDEEMED"),
        desk.bob.address: ("redeemed", 750, None),  # 3,000 at the record date
    }
    assert desk.token.balanceOf(desk.bob) == 250 and desk.token.totalSupply() == 3000


def test_a_holder_without_the_units_due_any_more_is_refused_and_skipped(pro_rata, nothing_sent):
    desk, rid, _ = pro_rata
    desk.token.transfer(desk.carol, 2500, sender=desk.bob)  # keeps 500 of the 750 due
    with (
        nothing_sent((desk.token, desk.bob)),
        pytest.raises(UserError, match="holds 500 LCS; redemption 1 burns 750 LCS"),
    ):
        red.redeem(desk.lifecycle, desk.bob, rid)
    result = red.redeem_for(desk.lifecycle, desk.agent, rid, [desk.bob.address])
    assert [(r.outcome, r.reason) for r in result.rows] == [("skipped", "INSUFFICIENT_UNITS")]


@pytest.fixture
def alice_second_wallet(accounts: Any, register: Any) -> Any:
    wallet = accounts.generate_test_account()
    register(wallet, "alice", GERMANY)
    return wallet


def test_frozen_units_are_held_then_released_to_another_wallet_of_the_investor(
    pro_rata, alice_second_wallet, chain, nothing_sent
):
    desk, rid, terms = pro_rata
    desk.token.freezePartialTokens(desk.alice, 10, sender=desk.enforcer)
    row = red.redeem(desk.lifecycle, desk.alice, rid)
    assert (row.outcome, row.units, row.payment, row.reason) == (
        "held",
        250,
        250 * CAD,
        "UNITS_FROZEN",
    )
    assert desk.token.balanceOf(desk.alice) == 1000 and desk.cash.balanceOf(desk.alice) == 0
    r = red.read(desk.lifecycle, rid)
    assert (r.units_held, r.reserved) == (250, 250 * CAD)
    with nothing_sent(), pytest.raises(UserError, match="are held: UNITS_FROZEN"):
        red.redeem(desk.lifecycle, desk.alice, rid)

    chain.mine(timestamp=terms.deadline)
    assert red.sweep(desk.lifecycle, desk.agent, rid) == 750 * CAD  # bob's share, unredeemed
    second = alice_second_wallet.address
    with nothing_sent(), pytest.raises(UserError, match="not a wallet of the investor"):
        red.release(desk.lifecycle, desk.registrar, rid, desk.alice.address, desk.bob.address)
    assert red.release(desk.lifecycle, desk.registrar, rid, desk.alice.address, second) == (
        250,
        250 * CAD,
    )
    assert desk.token.balanceOf(desk.alice) == 750 and desk.cash.balanceOf(second) == 250 * CAD
    r = red.read(desk.lifecycle, rid)
    assert (r.units_held, r.reserved, r.units_redeemed, r.paid) == (0, 0, 250, 250 * CAD)


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"numerator": 5}, "fraction", "5/4 is not a fraction of a holding"),
        ({"numerator": 0}, "fraction", "0/4 is not a fraction"),
        ({"record_in": -60}, "record_date", r"record date .* is in the past"),
        ({"record_in": 3 * DAY}, "start_date", r"start date .* is not after the record date"),
    ],
)
def test_bad_pro_rata_terms_are_refused(share_desk, nothing_sent, change, field, message):
    terms = pro_rata_terms(share_desk, **change)
    with nothing_sent(), pytest.raises(UserError, match=message) as refused:
        red.announce(share_desk.lifecycle, share_desk.agent, terms, "PCAL-BAD")
    assert refused.value.field == field


def test_full_redemption_needs_a_maturity_and_starts_at_it(
    share_desk, bond_desk, maturity, nothing_sent
):
    with nothing_sent(), pytest.raises(UserError, match="has no maturity"):
        red.announce(share_desk.lifecycle, share_desk.agent, full_terms(share_desk, maturity), "R")
    early = full_terms(bond_desk, maturity - DAY)
    with nothing_sent(), pytest.raises(UserError, match="is before the maturity"):
        red.announce(bond_desk.lifecycle, bond_desk.agent, early, "R")
    with nothing_sent(), pytest.raises(UserError, match="lacks the corporate-action role"):
        red.announce(bond_desk.lifecycle, bond_desk.issuer, full_terms(bond_desk, maturity), "R")


def test_nothing_is_redeemed_before_the_start_or_while_underfunded(
    bond_desk, maturity, chain, nothing_sent
):
    desk = bond_desk
    rid = red.announce(desk.lifecycle, desk.agent, full_terms(desk, maturity), "RED")
    with nothing_sent(), pytest.raises(UserError, match="redemption opens at"):
        red.redeem(desk.lifecycle, desk.alice, rid)
    chain.mine(timestamp=maturity)
    with (
        nothing_sent((desk.token, desk.alice)),
        pytest.raises(UserError, match=f"underfunded: requires {150_000 * CAD}, funded 0"),
    ):
        red.redeem(desk.lifecycle, desk.alice, rid)
    with nothing_sent(), pytest.raises(UserError, match="lacks the corporate-action role"):
        red.redeem_for(desk.lifecycle, desk.alice, rid, [desk.alice.address])
    with nothing_sent(), pytest.raises(UserError, match="nothing is swept before the deadline"):
        red.sweep(desk.lifecycle, desk.agent, rid)

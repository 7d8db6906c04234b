"""Distributions: announce, fund, claim, pay, sweep and release as a holder and an agent rely on
them; every refusal is a UserError naming what is wrong, before anything is sent."""

from __future__ import annotations

from typing import Any

import pytest
from suite_data import FRANCE

from securities_rails.chain.contracts import pending_timestamp
from securities_rails.errors import UserError
from securities_rails.lifecycle import distributions as dist
from securities_rails.lifecycle.deploy import CORPORATE_ACTION_ROLE

DAY = 24 * 3600
CAD = 10**6
RATE = 250_000  # 0.25 CAD a share


def terms_for(
    desk: Any,
    kind: str = "per-unit",
    value: int = RATE,
    record_in: int = DAY,
    pay_in: int = 2 * DAY,
    deadline_in: int = 30 * DAY,
) -> dist.DistributionTerms:
    now = pending_timestamp()
    return dist.DistributionTerms(
        token=desk.token.address,
        cash_token=desk.cash.address,
        record_date=now + record_in,
        payment_date=now + pay_in,
        claim_deadline=now + deadline_in,
        kind=kind,
        value=value,
    )


def at_time(chain: Any, moment: int) -> None:
    chain.mine(timestamp=moment)


def cash_kept(desk: Any) -> int:
    """Cash the distributions contract holds (for every distribution)."""
    return int(desk.cash.balanceOf(desk.lifecycle.distributions))


@pytest.fixture
def announced(share_desk: Any) -> tuple[Any, int, dist.DistributionTerms]:
    """A per-unit dividend of 0.25 CAD a share on alice's 1,000 and bob's 3,000 shares."""
    terms = terms_for(share_desk)
    return share_desk, dist.announce(share_desk.lifecycle, share_desk.agent, terms, "DIV-1"), terms


@pytest.fixture
def payable(announced: Any, chain: Any) -> tuple[Any, int, dist.DistributionTerms]:
    """The dividend funded (1,000 CAD) and at its payment date."""
    desk, did, terms = announced
    at_time(chain, terms.record_date + 1)
    dist.fund(desk.lifecycle, desk.agent, did)
    at_time(chain, terms.payment_date)
    return desk, did, terms


# ---------------------------------------------------------------- happy paths


def test_a_per_unit_dividend_pays_the_balances_at_the_record_date(announced, chain):
    desk, did, terms = announced
    lifecycle, token, cash = desk.lifecycle, desk.token, desk.cash
    d = dist.read(lifecycle, did)
    assert (d.kind, d.value, d.event_ref, d.issuer) == (
        "per-unit",
        RATE,
        "DIV-1",
        desk.agent.address,
    )
    assert d.required() is None  # per unit: known once the record date has passed
    token.transfer(desk.carol, 100, sender=desk.alice)  # before the record date: counts
    at_time(chain, terms.record_date + 1)
    token.transfer(desk.alice, 1000, sender=desk.bob)  # after it: does not count

    agent_cash = cash.balanceOf(desk.agent)
    assert dist.fund(lifecycle, desk.agent, did) == 1000 * CAD  # 4,000 shares x 0.25
    assert agent_cash - cash.balanceOf(desk.agent) == 1000 * CAD
    assert cash.allowance(desk.agent, lifecycle.distributions) == 0  # approved exactly that

    at_time(chain, terms.payment_date)
    claimed = dist.claim(lifecycle, desk.alice, did)
    assert (claimed.paid, claimed.held) == (225 * CAD, 0)  # 900 shares at the record date
    result = dist.pay(lifecycle, desk.agent, did)
    outcomes = {row.holder: (row.outcome, row.amount, row.reason) for row in result.rows}
    assert outcomes == {
        desk.alice.address: ("skipped", 0, "ALREADY_PAID"),
        desk.bob.address: ("paid", 750 * CAD, None),
        desk.carol.address: ("paid", 25 * CAD, None),
    }
    assert cash.balanceOf(desk.bob) == 750 * CAD and cash.balanceOf(desk.carol) == 25 * CAD
    d = dist.read(lifecycle, did)
    assert (d.funded, d.paid, d.held, d.swept) == (1000 * CAD, 1000 * CAD, 0, 0)
    assert [r.status for r in dist.status_rows(lifecycle, did)] == ["paid"] * 3


def test_a_total_amount_is_shared_pro_rata_and_the_remainder_is_swept_to_the_announcer(
    share_desk, chain
):
    desk = share_desk
    total = 1000 * CAD + 7  # 4,000 shares: a remainder of rounding
    terms = terms_for(desk, kind="total", value=total)
    did = dist.announce(desk.lifecycle, desk.agent, terms, "DIV-TOTAL")
    assert dist.read(desk.lifecycle, did).required() == total  # known at once
    assert dist.fund(desk.lifecycle, desk.agent, did) == total
    at_time(chain, terms.payment_date)
    dist.pay(desk.lifecycle, desk.agent, did)
    alice, bob = total * 1000 // 4000, total * 3000 // 4000
    assert desk.cash.balanceOf(desk.alice) == alice and desk.cash.balanceOf(desk.bob) == bob

    at_time(chain, terms.claim_deadline)
    before = desk.cash.balanceOf(desk.agent)
    assert dist.sweep(desk.lifecycle, desk.carol, did) == total - alice - bob  # anyone may sweep
    assert desk.cash.balanceOf(desk.agent) - before == total - alice - bob
    d = dist.read(desk.lifecycle, did)
    assert d.funded == d.paid + d.held + d.swept and d.unclaimed == 0
    assert cash_kept(desk) == 0


def test_unclaimed_entitlements_go_back_to_the_announcer_after_the_deadline(payable, chain):
    desk, did, terms = payable
    dist.claim(desk.lifecycle, desk.alice, did)  # bob never claims
    at_time(chain, terms.claim_deadline)
    with pytest.raises(UserError, match=r"claim deadline .* has passed"):
        dist.claim(desk.lifecycle, desk.bob, did)
    before = desk.cash.balanceOf(desk.agent)
    assert dist.sweep(desk.lifecycle, desk.agent, did) == 750 * CAD
    assert desk.cash.balanceOf(desk.agent) - before == 750 * CAD
    with pytest.raises(UserError, match=r"nothing left to sweep"):
        dist.sweep(desk.lifecycle, desk.agent, did)


# ---------------------------------------------------------------- refusals before sending


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"record_in": -60}, "record_date", r"record date .* is in the past"),
        ({"record_in": 0}, "record_date", r"record date .* is in the past"),
        (
            {"record_in": 2 * DAY, "pay_in": DAY},
            "payment_date",
            r"payment date .* is not after the record date",
        ),
        ({"deadline_in": DAY}, "claim_deadline", r"claim deadline .* is not after the payment"),
        ({"deadline_in": 2 * DAY + 3651 * DAY}, "claim_deadline", "more than 3650 days"),
        ({"value": 0}, "value", "must be above zero"),
        ({"kind": "bonus"}, "kind", "unknown kind 'bonus'"),
    ],
)
def test_bad_terms_are_refused_naming_the_term(share_desk, nothing_sent, change, field, message):
    desk = share_desk
    terms = terms_for(desk, **change)
    with nothing_sent((desk.cash, desk.agent)), pytest.raises(UserError, match=message) as refused:
        dist.announce(desk.lifecycle, desk.agent, terms, "DIV-BAD")
    assert refused.value.field == field
    assert dist.count(desk.lifecycle) == 0


def test_announcing_needs_the_corporate_action_role_a_cash_token_and_a_short_reference(
    share_desk, nothing_sent
):
    desk = share_desk
    terms = terms_for(desk)
    with nothing_sent(), pytest.raises(UserError, match=r"lacks the corporate-action role"):
        dist.announce(desk.lifecycle, desk.issuer, terms, "DIV-1")
    own = dist.DistributionTerms(**{**terms.__dict__, "cash_token": desk.token.address})
    with nothing_sent(), pytest.raises(UserError, match=r"the cash token is the instrument"):
        dist.announce(desk.lifecycle, desk.agent, own, "DIV-1")
    with nothing_sent(), pytest.raises(UserError, match=r"at most 35 fit"):
        dist.announce(desk.lifecycle, desk.agent, terms, "D" * 36)


def test_an_instrument_that_is_not_enabled_is_refused(
    share_desk, new_instrument, admin, nothing_sent
):
    desk = share_desk
    token = new_instrument("XS000LIFEX05", cfi="ESVUFR", decimals=0, maturity=0)
    token.grantRole(CORPORATE_ACTION_ROLE, desk.agent, sender=admin)
    terms = dist.DistributionTerms(**{**terms_for(desk).__dict__, "token": token.address})
    with nothing_sent(), pytest.raises(UserError, match=r"has no record-date book"):
        dist.announce(desk.lifecycle, desk.agent, terms, "DIV-1")


def test_a_record_date_before_the_instruments_last_one_is_refused(announced, nothing_sent):
    desk, _, first = announced
    earlier = terms_for(desk, record_in=DAY // 2)
    assert earlier.record_date < first.record_date
    with nothing_sent(), pytest.raises(UserError, match=r"before .* last scheduled record date"):
        dist.announce(desk.lifecycle, desk.agent, earlier, "DIV-2")
    same = dist.DistributionTerms(**{**earlier.__dict__, "record_date": first.record_date})
    second = dist.announce(desk.lifecycle, desk.agent, same, "DIV-2")  # shares the record date
    assert dist.read(desk.lifecycle, second).record_date_id == 1


def test_a_per_unit_distribution_is_funded_once_after_its_record_date(
    announced, chain, nothing_sent
):
    desk, did, terms = announced
    with (
        nothing_sent((desk.cash, desk.agent)),
        pytest.raises(UserError, match=r"record date .* has not passed"),
    ):
        dist.fund(desk.lifecycle, desk.agent, did)
    at_time(chain, terms.record_date + 1)
    with (
        nothing_sent((desk.cash, desk.alice)),
        pytest.raises(UserError, match=r"holds 0\.000000 tCAD; funding needs 1000\.000000"),
    ):
        dist.fund(desk.lifecycle, desk.alice, did)
    dist.fund(desk.lifecycle, desk.agent, did)
    with nothing_sent((desk.cash, desk.agent)), pytest.raises(UserError, match=r"already funded"):
        dist.fund(desk.lifecycle, desk.agent, did)


def test_an_underfunded_distribution_pays_nobody(announced, chain, nothing_sent):
    desk, did, terms = announced
    at_time(chain, terms.payment_date)
    kept = (desk.cash, desk.lifecycle.distributions.address)
    with (
        nothing_sent(kept, (desk.cash, desk.alice)),
        pytest.raises(UserError, match=f"underfunded: requires {1000 * CAD}, funded 0"),
    ):
        dist.claim(desk.lifecycle, desk.alice, did)
    with (
        nothing_sent(kept, (desk.cash, desk.bob)),
        pytest.raises(UserError, match=r"underfunded: requires"),
    ):
        dist.pay(desk.lifecycle, desk.agent, did)


def test_a_claim_by_a_non_holder_is_refused(payable, nothing_sent):
    desk, did, _ = payable
    with (
        nothing_sent((desk.cash, desk.carol), (desk.cash, desk.lifecycle.distributions.address)),
        pytest.raises(UserError, match=r"held no units of .* at the record date") as refused,
    ):
        dist.claim(desk.lifecycle, desk.carol, did)
    assert refused.value.field == "account"


def test_claims_before_the_payment_date_and_twice_are_refused(announced, chain, nothing_sent):
    desk, did, terms = announced
    at_time(chain, terms.record_date + 1)
    dist.fund(desk.lifecycle, desk.agent, did)
    with nothing_sent(), pytest.raises(UserError, match=r"payment starts at the payment date"):
        dist.claim(desk.lifecycle, desk.alice, did)
    at_time(chain, terms.payment_date)
    dist.claim(desk.lifecycle, desk.alice, did)
    with nothing_sent((desk.cash, desk.alice)), pytest.raises(UserError, match=r"already paid"):
        dist.claim(desk.lifecycle, desk.alice, did)


def test_paying_needs_the_agent_and_sweeping_waits_for_the_deadline(payable, nothing_sent):
    desk, did, _ = payable
    with nothing_sent(), pytest.raises(UserError, match=r"lacks the corporate-action role"):
        dist.pay(desk.lifecycle, desk.alice, did)
    with nothing_sent(), pytest.raises(UserError, match=r"nothing is swept before the claim"):
        dist.sweep(desk.lifecycle, desk.agent, did)
    with nothing_sent(), pytest.raises(UserError, match=r"no distribution 9 .ids 1 to 1"):
        dist.claim(desk.lifecycle, desk.alice, 9)


# ---------------------------------------------------------------- held entitlements


@pytest.fixture
def bob_second_wallet(accounts: Any, register: Any) -> Any:
    """Another wallet of bob's investor."""
    wallet = accounts.generate_test_account()
    register(wallet, "bob", FRANCE, category=2)
    return wallet


def test_a_frozen_holders_entitlement_is_held_then_released_to_its_other_wallet(
    payable, bob_second_wallet, chain, nothing_sent
):
    desk, did, terms = payable
    lifecycle = desk.lifecycle
    desk.token.setAddressFrozen(desk.bob, True, sender=desk.enforcer)
    result = dist.pay(lifecycle, desk.agent, did)
    rows = {row.holder: row for row in result.rows}
    assert (rows[desk.bob.address].outcome, rows[desk.bob.address].reason) == (
        "held",
        "HOLDER_FROZEN",
    )
    assert rows[desk.bob.address].amount == 750 * CAD and desk.cash.balanceOf(desk.bob) == 0
    assert dist.read(lifecycle, did).held == 750 * CAD
    with nothing_sent(), pytest.raises(UserError, match=r"is held: HOLDER_FROZEN"):
        dist.claim(lifecycle, desk.bob, did)

    # the deadline passes: the sweep leaves the held amount where it is
    at_time(chain, terms.claim_deadline)
    with nothing_sent(), pytest.raises(UserError, match=r"nothing left to sweep"):
        dist.sweep(lifecycle, desk.agent, did)

    second = bob_second_wallet.address
    with nothing_sent(), pytest.raises(UserError, match=r"lacks the registrar role"):
        dist.release(lifecycle, desk.agent, did, desk.bob.address, [second], [750 * CAD])
    with nothing_sent(), pytest.raises(UserError, match=r"not a wallet of the investor"):
        dist.release(lifecycle, desk.registrar, did, desk.bob.address, [desk.carol.address], [1])
    with nothing_sent(), pytest.raises(UserError, match=r"the amounts add up to"):
        dist.release(lifecycle, desk.registrar, did, desk.bob.address, [second], [751 * CAD])
    dist.release(lifecycle, desk.registrar, did, desk.bob.address, [second], [750 * CAD])
    assert desk.cash.balanceOf(second) == 750 * CAD
    d = dist.read(lifecycle, did)
    assert (d.paid, d.held, d.swept) == (1000 * CAD, 0, 0)
    statuses = {row.holder: row.status for row in dist.status_rows(lifecycle, did)}
    assert statuses[desk.bob.address] == "released"


def test_a_held_entitlement_is_paid_after_the_deadline_once_the_wallet_is_unfrozen(payable, chain):
    desk, did, terms = payable
    desk.token.setAddressFrozen(desk.bob, True, sender=desk.enforcer)
    claimed = dist.claim(desk.lifecycle, desk.bob, did)
    assert (claimed.paid, claimed.held, claimed.reason) == (0, 750 * CAD, "HOLDER_FROZEN")
    at_time(chain, terms.claim_deadline)
    assert dist.sweep(desk.lifecycle, desk.agent, did) == 250 * CAD  # alice's, unclaimed
    desk.token.setAddressFrozen(desk.bob, False, sender=desk.enforcer)
    claimed = dist.claim(desk.lifecycle, desk.bob, did)
    assert (claimed.paid, claimed.held) == (750 * CAD, 0)
    assert desk.cash.balanceOf(desk.bob) == 750 * CAD
    assert cash_kept(desk) == 0

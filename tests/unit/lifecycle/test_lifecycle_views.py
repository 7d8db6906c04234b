"""What the CLI shows and exports: summaries and per-holder rows read from the chain, and the
ISO 20022 inputs (seev.031 notification, seev.036 confirmations) built from its views and
events, which the message builders accept."""

from __future__ import annotations

from typing import Any

from lxml import etree

from securities_rails.chain.contracts import pending_timestamp
from securities_rails.lifecycle import distributions as dist
from securities_rails.lifecycle import redemption as red
from securities_rails.lifecycle import views
from securities_rails.lifecycle.messages import build_seev031, build_seev036

DAY = 24 * 3600
CAD = 10**6


def _text(document: bytes, name: str) -> list[str]:
    root = etree.fromstring(document)
    return [e.text or "" for e in root.iter() if etree.QName(e).localname == name]


def _dividend(desk: Any, chain: Any) -> tuple[int, dist.DistributionTerms]:
    now = pending_timestamp()
    terms = dist.DistributionTerms(
        desk.token.address, desk.cash.address, now + DAY, now + 2 * DAY, now + 30 * DAY,
        "per-unit", 250_000,
    )  # fmt: skip
    return dist.announce(desk.lifecycle, desk.agent, terms, "DIV-2026-1"), terms


def test_a_dividend_moves_from_announced_to_closed_and_is_shown_per_holder(share_desk, chain):
    desk = share_desk
    did, terms = _dividend(desk, chain)
    assert views.corporate_action_of(desk.lifecycle, "distribution", did).status == "announced"
    chain.mine(timestamp=terms.record_date + 1)
    dist.fund(desk.lifecycle, desk.agent, did)
    assert views.summary(desk.lifecycle, "distribution", did)["status"] == "funded"
    chain.mine(timestamp=terms.payment_date)
    dist.claim(desk.lifecycle, desk.alice, did)
    shown = views.summary(desk.lifecycle, "distribution", did)
    assert shown["status"] == "paying"
    assert shown["kind"] == "dividend, per-unit"
    assert shown["rate per unit"] == "0.250000 CAD"
    assert (shown["funded"], shown["paid"]) == ("1000.000000 CAD", "250.000000 CAD")
    columns, rows = views.holder_rows(desk.lifecycle, "distribution", did)
    assert columns == views.DISTRIBUTION_COLUMNS
    by_holder = {row[0]: row[1:] for row in rows}
    assert by_holder[desk.alice.address] == ("1000", "250.000000 CAD", "paid", "-")
    assert by_holder[desk.bob.address] == ("3000", "750.000000 CAD", "none", "-")
    chain.mine(timestamp=terms.claim_deadline)
    assert views.action_list(desk.lifecycle, "distribution")[0][7] == "closed"


def test_a_paid_dividend_exports_a_valid_notification_and_one_confirmation_per_payment(
    share_desk, chain
):
    desk = share_desk
    did, terms = _dividend(desk, chain)
    chain.mine(timestamp=terms.record_date + 1)
    dist.fund(desk.lifecycle, desk.agent, did)
    chain.mine(timestamp=terms.payment_date)
    paid = dist.pay(desk.lifecycle, desk.agent, did)

    action = views.corporate_action_of(desk.lifecycle, "distribution", did)
    assert (action.kind, action.reference, action.isin) == (
        "dividend",
        "DIV-2026-1",
        "XS000LIFES02",
    )
    assert (action.rate_per_unit, action.total_amount) == (250_000, None)
    assert (action.funded, action.paid, action.status) == (1000 * CAD, 1000 * CAD, "paying")
    notification = build_seev031(action)
    assert _text(notification, "CorpActnEvtId") == ["DIV-2026-1"]

    movements = views.movements_of(desk.lifecycle, "distribution", did)
    assert sorted((m.holder, m.entitled_quantity, m.cash_amount) for m in movements) == sorted(
        [(desk.alice.address, 1000, 250 * CAD), (desk.bob.address, 3000, 750 * CAD)]
    )
    assert {m.tx_hash for m in movements} == set(paid.transactions)
    for movement in movements:
        confirmation = build_seev036(movement)
        assert movement.holder in _text(confirmation, "Id") + _text(
            confirmation, "BlckChainAdrOrWllt"
        )
    only_bob = views.movements_of(desk.lifecycle, "distribution", did, desk.bob.address)
    assert [m.holder for m in only_bob] == [desk.bob.address]


def test_a_full_redemption_exports_its_notification_and_the_units_burned(
    bond_desk, maturity, chain
):
    desk = bond_desk
    terms = red.RedemptionTerms(
        desk.token.address, desk.cash.address, "full", 0, 0, 0, 0, maturity, maturity + 30 * DAY
    )
    rid = red.announce(desk.lifecycle, desk.agent, terms, "RED-LC5")
    chain.mine(timestamp=maturity)
    red.fund(desk.lifecycle, desk.agent, rid)
    red.redeem(desk.lifecycle, desk.alice, rid)

    action = views.corporate_action_of(desk.lifecycle, "redemption", rid)
    assert (action.kind, action.record_date, action.price_per_unit) == ("redemption", 0, 100 * CAD)
    assert (action.payment_date, action.claim_deadline) == (maturity, maturity + 30 * DAY)
    build_seev031(action)
    [movement] = views.movements_of(desk.lifecycle, "redemption", rid)
    assert (movement.holder, movement.units_burned, movement.cash_amount) == (
        desk.alice.address,
        1000 * 100,
        100_000 * CAD,
    )
    assert movement.entitled_quantity == movement.units_burned
    build_seev036(movement)
    shown = views.summary(desk.lifecycle, "redemption", rid)
    assert (shown["price per unit"], shown["units redeemed"]) == ("100.000000 CAD", "1000.00")
    columns, rows = views.holder_rows(desk.lifecycle, "redemption", rid)
    assert columns == views.REDEMPTION_COLUMNS
    by_holder = {row[0]: row[1:] for row in rows}
    assert by_holder[desk.alice.address] == ("0.00", "0.00", "0.000000 CAD", "redeemed", "1000.00")
    assert by_holder[desk.bob.address][:4] == ("500.00", "500.00", "50000.000000 CAD", "none")

"""What the views say of trades: the list, one trade for people, and the ISO 20022 snapshot the
status messages are built from (checked against the official schemas)."""

from __future__ import annotations

from typing import Any

import pytest
from suite_data import USA

from securities_rails import iso20022
from securities_rails.errors import UserError
from securities_rails.settlement import messages, trades, views
from securities_rails.settlement.trades import Terms

DAY = 24 * 3600
PRICE = 2_500 * 10**6


@pytest.fixture
def sell(settlement: Any, desk: Any, eur: Any, alice: Any, chain: Any) -> Any:
    """sell(buyer, reference, quantity=10) -> trade id proposed by alice (2 days to settle)."""

    def _sell(buyer: Any, reference: str, quantity: int = 10, days: int = 2) -> str:
        terms = Terms(
            seller=alice.address,
            buyer=buyer.address,
            security=desk.address,
            quantity=quantity,
            cash_token=eur.address,
            amount=PRICE,
            deadline=int(chain.pending_timestamp) + days * DAY,
        )
        return trades.instruct(settlement, alice, terms, reference)

    return _sell


def test_the_list_holds_every_trade_with_its_current_status(settlement, sell, bob, carol):
    first = sell(bob, "V-1")
    second = sell(carol, "V-2", quantity=5)
    trades.affirm(settlement, carol, second)
    listed = views.trades(settlement)
    assert [(r.trade_id, r.reference, r.status) for r in listed] == [
        (first, "V-1", "proposed"),
        (second, "V-2", "matched"),
    ]
    assert (listed[1].quantity, listed[1].amount, listed[1].currency) == ("5", "2500.000000", "EUR")
    assert [r.reference for r in views.trades(settlement, status="matched")] == ["V-2"]
    assert [r.reference for r in views.trades(settlement, party=bob.address)] == ["V-1"]
    assert [r.reference for r in views.trades(settlement, party=bob.address.lower())] == ["V-1"]


def test_the_list_reads_only_the_blocks_asked_for(settlement, sell, bob, carol, chain):
    sell(bob, "V-3")
    after = chain.blocks.height + 1
    sell(carol, "V-4")
    assert [r.reference for r in views.trades(settlement, from_block=after)] == ["V-4"]
    assert [r.reference for r in views.trades(settlement, to_block=after - 1)] == ["V-3"]
    with pytest.raises(UserError, match="to-block: block 1 is before block 5"):
        views.trades(settlement, from_block=5, to_block=1)
    with pytest.raises(UserError, match="status: unknown status 'open'"):
        views.trades(settlement, status="open")


def test_an_expired_trade_is_listed_as_expired(settlement, sell, bob, chain):
    sell(bob, "V-5", days=1)
    chain.mine(timestamp=int(chain.pending_timestamp) + 2 * DAY)
    assert [r.status for r in views.trades(settlement)] == ["expired"]


def test_a_matched_trade_the_rules_would_refuse_says_why(
    settlement, sell, bob, carol, enforcer, desk
):
    trade_id = sell(carol, "V-6")
    trades.affirm(settlement, carol, trade_id)
    assert views.describe(settlement, trade_id)["delivery to the buyer"] == "allowed by the rules"
    desk.setAddressFrozen(carol, True, sender=enforcer)
    shown = views.describe(settlement, trade_id)
    assert "RECIPIENT_FROZEN" in shown["delivery to the buyer"]
    assert (shown["status"], shown["seller's leg"], shown["buyer's leg"]) == (
        "matched",
        "in escrow",
        "in escrow",
    )


def test_a_matched_snapshot_carries_the_rule_verdict_into_a_valid_status_advice(
    settlement, sell, outsider, register, eur, issuer, chain
):
    register(outsider, "late", USA, expiry=int(chain.pending_timestamp) + DAY)
    eur.mint(outsider, PRICE, sender=issuer)
    trade_id = sell(outsider, "V-7", days=3)
    trades.affirm(settlement, outsider, trade_id)
    chain.mine(timestamp=int(chain.pending_timestamp) + 2 * DAY)
    snapshot = views.snapshot(settlement, trade_id)
    assert (snapshot.status, snapshot.reason_code) == ("Matched", "RECIPIENT_ELIGIBILITY_EXPIRED")
    assert snapshot.settlement_tx is None
    xml = messages.build_sese024(snapshot, movement="receive")
    iso20022.validate(xml, messages.SESE024)
    assert b"RECIPIENT_ELIGIBILITY_EXPIRED" in xml and b"V-7" in xml


def test_a_settled_snapshot_names_its_settlement_transaction(settlement, sell, bob, carol):
    trade_id = sell(bob, "V-8")
    trades.affirm(settlement, bob, trade_id)
    receipt = trades.settle(settlement, carol, trade_id)
    snapshot = views.snapshot(settlement, trade_id)
    assert snapshot.status == "Settled"
    assert snapshot.settlement_tx == receipt.txn_hash
    assert (snapshot.settled_block, snapshot.settled_at) == (
        receipt.block_number,
        receipt.timestamp,
    )
    assert (snapshot.quantity, snapshot.cash_amount, snapshot.currency) == (10, PRICE, "EUR")
    xml = messages.build_sese025(snapshot)
    iso20022.validate(xml, messages.SESE025)
    assert receipt.txn_hash.encode() in xml
    assert views.describe(settlement, trade_id)["settlement tx"] == receipt.txn_hash

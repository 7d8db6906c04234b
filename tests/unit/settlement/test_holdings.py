"""The cap table shows units in escrow under their beneficial owner, not under the escrow."""

from __future__ import annotations

from typing import Any

from securities_rails.settlement import trades
from securities_rails.settlement.holdings import escrowed_securities
from securities_rails.token import captable


def test_units_a_seller_escrowed_stay_in_the_sellers_row_until_settlement(
    settlement: Any, desk: Any, registry: Any, eur: Any, alice: Any, bob: Any, chain: Any
) -> None:
    token = desk
    terms = trades.Terms(
        seller=alice.address,
        buyer=bob.address,
        security=token.address,
        quantity=300,
        cash_token=eur.address,
        amount=3_000 * 10**6,
        deadline=chain.pending_timestamp + 3600,
    )
    trade_id = trades.instruct(settlement, alice, terms, "CAP-TABLE-1")
    escrow = settlement.escrow.address
    held = escrowed_securities(settlement, token)
    assert held[escrow] == {alice.address: 300}

    rows = {h.wallets[0]: h for h in captable.holders(token, registry, 0, held)}
    assert (rows[alice.address].balance, rows[alice.address].escrowed) == (700, 300)
    assert escrow not in rows  # everything the escrow holds is attributed
    assert sum(h.total for h in rows.values()) == token.totalSupply()

    trades.instruct(settlement, bob, terms, "CAP-TABLE-1")
    trades.settle(settlement, bob, trade_id)
    held = escrowed_securities(settlement, token)
    rows = {h.wallets[0]: h for h in captable.holders(token, registry, 0, held)}
    assert held[escrow] == {}
    assert (rows[alice.address].total, rows[bob.address].total) == (700, 1_300)


def test_units_the_escrow_holds_for_no_one_stay_in_its_own_row(
    settlement: Any, desk: Any, registry: Any, alice: Any
) -> None:
    token = desk
    token.transfer(settlement.escrow.address, 5, sender=alice)  # sent directly, not a trade
    rows = {h.wallets[0]: h for h in captable.holders(token, registry, 0, {})}
    held = escrowed_securities(settlement, token)
    attributed = {h.wallets[0]: h for h in captable.holders(token, registry, 0, held)}
    assert rows[settlement.escrow.address].kind == "system"
    assert attributed[settlement.escrow.address].balance == 5

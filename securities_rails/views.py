"""What the CLI and the demo show of an instrument: its data, rules and cap table."""

from __future__ import annotations

from typing import Any

from securities_rails.console import fields, table
from securities_rails.identifiers import category_label, country_label, format_amount
from securities_rails.rules.catalogue import rules_of
from securities_rails.settlement import deploy as settlement
from securities_rails.settlement.holdings import escrowed_securities
from securities_rails.suite import Suite
from securities_rails.token import captable, instruments


def show_info(token: Any) -> None:
    """Instrument data and the state of every rule."""
    data = instruments.describe(token)
    fields(f"Instrument {data['ISIN']}", data)
    rows = [
        (s.name, "on" if s.active else "off", s.shown if s.active else "-") for s in rules_of(token)
    ]
    table("Transfer rules (identity: always on)", ("rule", "state", "value"), rows)


def show_holders(suite: Suite, token: Any) -> None:
    """The cap table: investor, category, wallets, country, balance, units in escrow (still the
    investor's: DvP legs and hashed-timelock locks not yet delivered), share of supply."""
    isin = token.isin()
    entry = suite.record.instruments.get(isin)
    start = entry.block if entry else 0
    escrows = (
        escrowed_securities(settlement.load_settlement(suite.record), token, start)
        if settlement.is_deployed(suite.record)
        else {}
    )
    holdings = captable.holders(token, suite.registry, start, escrows)
    decimals, supply = int(token.decimals()), int(token.totalSupply())
    rows = []
    for h in holdings:
        share = f"{100 * h.total / supply:.2f}%" if supply else "-"
        label = "system account" if h.kind == "system" else h.investor[:10] + "…"
        rows.append(
            (
                label,
                category_label(h.category) if h.category else "-",
                "\n".join(h.wallets),
                country_label(h.country) if h.country else "-",
                format_amount(h.balance, decimals),
                format_amount(h.escrowed, decimals) if h.escrowed else "-",
                share,
            )
        )
    table(
        f"Cap table of {isin} (supply {format_amount(supply, decimals)})",
        ("investor", "category", "wallets", "country", "balance", "in escrow", "share"),
        rows,
    )

"""The cap table: holders grouped by investor, from the token's Transfer events and the registry."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from securities_rails.chain.contracts import block_height
from securities_rails.registry.investors import KINDS


@dataclass
class Holding:
    """One investor (or system account) and its wallets' balances."""

    investor: str  # investor id hash (hex), or the system account's label
    kind: str
    country: int
    category: int
    wallets: list[str] = field(default_factory=list)
    balance: int = 0


def holders(token: Any, registry: Any, start_block: int = 0) -> list[Holding]:
    """Every current holder, grouped by investor, largest first."""
    wallets: set[str] = set()
    for log in token.Transfer.range(start_block, block_height() + 1):
        wallets.add(log.to)
    groups: dict[str, Holding] = {}
    balances: dict[str, int] = defaultdict(int)
    for wallet in sorted(wallets):
        balance = int(token.balanceOf(wallet))
        if balance == 0:
            continue
        rec = registry.identityOf(wallet)
        kind = KINDS[int(rec.kind)]
        key = "0x" + bytes(registry.investorIdOf(wallet)).hex() if int(rec.investor) else wallet
        group = groups.setdefault(
            key,
            Holding(investor=key, kind=kind, country=int(rec.country), category=int(rec.category)),
        )
        group.wallets.append(wallet)
        balances[key] += balance
    for key, group in groups.items():
        group.balance = balances[key]
    return sorted(groups.values(), key=lambda h: (-h.balance, h.investor))

"""The cap table: holders grouped by investor, from the token's Transfer events and the registry.

Units an escrow holds for an owner (a DvP seller's leg, a hashed-timelock lock) are still that
owner's: the caller passes them in as ``escrows`` (escrow address -> owner wallet -> units), and
they are shown under the owner's investor; an escrow's own row keeps only what it holds for no
one (normally nothing, so the row disappears).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
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
    balance: int = 0  # in its own wallets
    escrowed: int = 0  # held for it by escrows (still its units)

    @property
    def total(self) -> int:
        return self.balance + self.escrowed


def holders(
    token: Any,
    registry: Any,
    start_block: int = 0,
    escrows: Mapping[str, Mapping[str, int]] | None = None,
) -> list[Holding]:
    """Every current holder, grouped by investor, largest first (by balance + escrowed)."""
    escrows = escrows or {}
    escrowed: dict[str, int] = defaultdict(int)
    for owners in escrows.values():
        for owner, units in owners.items():
            escrowed[owner] += units
    wallets: set[str] = set(escrowed)
    for log in token.Transfer.range(start_block, block_height() + 1):
        wallets.add(log.to)
    groups: dict[str, Holding] = {}
    balances: dict[str, int] = defaultdict(int)
    held: dict[str, int] = defaultdict(int)
    for wallet in sorted(wallets):
        balance = int(token.balanceOf(wallet))
        if wallet in escrows:  # what an escrow holds for owners is shown under them
            balance -= sum(escrows[wallet].values())
        if balance == 0 and not escrowed.get(wallet):
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
        held[key] += escrowed.get(wallet, 0)
    for key, group in groups.items():
        group.balance = balances[key]
        group.escrowed = held[key]
    return sorted(groups.values(), key=lambda h: (-h.total, h.investor))

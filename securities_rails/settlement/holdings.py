"""Units of a security that the settlement escrows hold for their owners, for the cap table.

A seller's units in the DvP escrow, or in a hashed-timelock lock, are still the seller's until
settlement or claim: the registrar must see them under their beneficial owner. The owners are
found off-chain from the escrows' events; the amounts are read from the escrows' views.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from eth_utils import to_checksum_address

from securities_rails.chain.contracts import block_height
from securities_rails.settlement.deploy import Settlement

LOCKED = 1  # IHashedTimelockEscrow.State.Locked
SELLER, SECURITY = 0, 2  # fields of IDvPEscrow.TradeTerms


def escrowed_securities(
    settlement: Settlement, token: Any, start_block: int = 0
) -> dict[str, dict[str, int]]:
    """Escrow address -> owner wallet -> units of `token` it holds for that owner."""
    last = block_height() + 1
    security = token.address
    # ape decodes the event's TradeTerms struct as a list of raw values (lower-case addresses).
    sellers = {
        to_checksum_address(log.terms[SELLER])
        for log in settlement.escrow.TradeProposed.range(start_block, last)
        if to_checksum_address(log.terms[SECURITY]) == security
    }
    in_escrow = {
        seller: units
        for seller in sorted(sellers)
        if (units := int(settlement.escrow.escrowedSecurities(seller, security)))
    }
    in_locks: dict[str, int] = defaultdict(int)
    for log in settlement.htlc.Locked.range(start_block, last):
        if to_checksum_address(log.token) != security:
            continue
        lock = settlement.htlc.lockOf(log.lockId)
        if int(lock.state) == LOCKED:
            in_locks[lock.sender] += int(lock.amount)
    return {settlement.escrow.address: in_escrow, settlement.htlc.address: dict(in_locks)}

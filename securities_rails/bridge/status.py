"""What `ape run bridge status` shows: messages by state and direction, relayer lag, headroom.

Message states come from the processes' database (what the validators saw and the relayer did),
headroom and heads from the chains. Reading only: nothing here sends a transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from securities_rails.bridge.deployment import BridgeDeployment, BridgeSide
from securities_rails.bridge.endpoint import Direction, Endpoint
from securities_rails.bridge.messages import REFUND, TRANSFER, Message
from securities_rails.bridge.store import (
    DONE,
    FAILED,
    OUTBOUND_QUEUED,
    QUEUED,
    SIGNING,
    SUBMITTED,
    Store,
    StoredMessage,
)
from securities_rails.errors import UserError

# The columns of the status table, and the message states each counts.
COLUMNS: dict[str, tuple[str, ...]] = {
    "pending": (OUTBOUND_QUEUED, SIGNING, SUBMITTED),
    "queued": (QUEUED,),
    "failed": (FAILED,),
    "executed": (DONE,),
}


@dataclass(frozen=True)
class Flow:
    """One direction of the bridge: message counts and units by column."""

    source: str
    destination: str
    kind: str
    counts: dict[str, int]
    units: dict[str, int]


@dataclass(frozen=True)
class Lag:
    """How far the relayer's scan is behind a chain's head, in blocks (None: never scanned)."""

    side: str
    head: int
    scanned: int | None

    @property
    def blocks(self) -> int | None:
        return None if self.scanned is None else self.head - self.scanned


@dataclass(frozen=True)
class Headroom:
    side: str
    direction: str
    capacity: int
    rate_per_second: int
    available: int


def _flow(
    deployment: BridgeDeployment, source: BridgeSide, kind: int, stored: list[StoredMessage]
) -> Flow:
    destination = deployment.other(source)
    counts = dict.fromkeys(COLUMNS, 0)
    units = dict.fromkeys(COLUMNS, 0)
    for item in stored:
        message = item.message
        if message.source_chain_id != source.chain_id or message.kind != kind:
            continue
        for column, states in COLUMNS.items():
            if item.state in states:
                counts[column] += 1
                units[column] += message.amount
    name = "transfer" if kind == TRANSFER else "refund"
    return Flow(source.name, destination.name, name, counts, units)


def flows(deployment: BridgeDeployment, store: Store) -> list[Flow]:
    """Transfers and refunds in each direction."""
    destinations = [(side.chain_id, side.endpoint) for side in deployment.sides]
    all_states = tuple(state for states in COLUMNS.values() for state in states)
    stored = store.messages(all_states, destinations)
    return [
        _flow(deployment, source, kind, stored)
        for kind in (TRANSFER, REFUND)
        for source in deployment.sides
    ]


def relayer_lag(
    deployment: BridgeDeployment, store: Store, endpoints: Mapping[str, Endpoint]
) -> list[Lag]:
    """For each chain: its head and the least advanced relayer cursor on it."""
    lags = []
    for side in deployment.sides:
        cursors = [
            cursor
            for cursor in store.cursors()
            if cursor.process.startswith("relayer:")
            and cursor.process.endswith(f"@{side.endpoint}")
            and cursor.chain_id == side.chain_id
        ]
        scanned = min((cursor.block for cursor in cursors), default=None)
        lags.append(Lag(side.name, endpoints[side.name].head(), scanned))
    return lags


def headroom(deployment: BridgeDeployment, endpoints: Mapping[str, Endpoint]) -> list[Headroom]:
    """Each end's rate limits and the units they let through now."""
    rows = []
    for side in deployment.sides:
        for direction in Direction:
            limit = endpoints[side.name].rate_limit(direction)
            rows.append(
                Headroom(
                    side.name,
                    direction.name.lower(),
                    limit.capacity,
                    limit.rate_per_second,
                    limit.available,
                )
            )
    return rows


def refund_for(
    deployment: BridgeDeployment, store: Store, source: BridgeSide, nonce: int
) -> StoredMessage:
    """The refund of transfer `nonce` sent from `source`, as the validators recorded it."""
    destinations = [(source.chain_id, source.endpoint)]
    all_states = tuple(state for states in COLUMNS.values() for state in states)
    for item in store.messages(all_states, destinations):
        message = item.message
        if message.kind == REFUND and message.nonce == nonce:
            return item
    other = deployment.other(source).name
    raise UserError(
        "nonce",
        f"no refund of transfer {nonce} from {source.name} is recorded: it has not failed on "
        f"{other}, or the validators have not attested the failure yet",
    )


def queued_inbound(deployment: BridgeDeployment, endpoint: Endpoint, nonce: int) -> Message:
    """The transfer with `nonce` from the other end that waits in `endpoint`'s inbound queue."""
    side = endpoint.side
    source = deployment.other(side)
    for event in endpoint.events("InboundQueued", side.deploy_block, endpoint.head()):
        message = Message.from_event(event.args)
        if message.nonce == nonce and message.source_chain_id == source.chain_id:
            return message
    raise UserError("nonce", f"transfer {nonce} from {source.name} was never queued on {side.name}")

"""A validator: attests the messages one chain's endpoint sends to the other, with one key.

For each side X of the bridge (Y the other side), one iteration:

1. reads its cursor for X (none yet: the block before X's ``deploy_block``); if the hash of the
   cursor block changed, the chain was reorganised deeper than the confirmations it waited for:
   it logs an alert and raises ``ReorgError`` (the process stops; it never signs on a fork);
2. reads ``Y.peer(X).confirmations`` (the destination decides how long its validators wait)
   and scans ``[cursor + 1, min(head - confirmations, cursor + max_blocks)]`` for ``MessageSent``
   (sign the message) and ``TransferFailed`` (sign its refund back to the source);
3. checks every event: emitted by X's configured endpoint, a transfer of this instrument whose
   source (for a failure: destination) is X's endpoint on X and whose other end is Y's, whose
   id is the EIP-712 digest of its fields; anything else is refused (alert, never signed);
4. signs, then writes messages, signatures and the cursor advance in ONE transaction.

An iteration that finds X's head where the previous one left it with nothing to scan reads
nothing else (no new block: nothing can have become confirmed); the checks of step 1 run again
with the next block, before anything is signed.

A process killed at any point has signed nothing into the store or everything for the range,
and redoing a range writes nothing new (signatures are deterministic, inserts idempotent).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from eth_account.signers.local import LocalAccount

from securities_rails.bridge.deployment import BridgeDeployment, BridgeSide
from securities_rails.bridge.endpoint import Endpoint, Peer
from securities_rails.bridge.messages import TRANSFER, Message, isin_bytes, refund_of
from securities_rails.bridge.metrics import Metrics, log
from securities_rails.bridge.store import SIGNING, Sighting, Store
from securities_rails.chain.rpc import Log
from securities_rails.errors import UserError

Hook = Callable[[str], None]
SIGNED_EVENTS = ("MessageSent", "TransferFailed")
CRASH_POINTS = ("after_sign_before_commit", "after_commit")


def no_hook(_point: str) -> None:
    return None


class ReorgError(Exception):
    """The chain under a scanned block changed: stop attesting, a human must look."""

    def __init__(self, chain: str, block: int, recorded: str, actual: str | None) -> None:
        self.chain = chain
        self.block = block
        super().__init__(
            f"{chain}: block {block} is now {actual or 'missing'}, was {recorded} when scanned: "
            "reorganisation deeper than the confirmations; not signing"
        )


class RefusedEventError(UserError):
    """An event that its chain's endpoint could not legitimately have emitted."""


@dataclass(frozen=True)
class ScanResult:
    chain: str
    from_block: int
    to_block: int
    signed: int
    refused: int
    more: bool  # blocks past to_block are confirmed already: scan again without waiting


def cursor_start(side: BridgeSide) -> int:
    """The cursor before anything was scanned: the block before the endpoint was deployed."""
    return max(side.deploy_block - 1, -1)


def check_peer(source: BridgeSide, destination: Endpoint) -> Peer:
    """The destination's peer entry for the source chain; refused unless it is the source's
    configured endpoint (messages from elsewhere would never execute)."""
    peer = destination.peer(source.chain_id)
    if peer.bridge != source.endpoint:
        raise UserError(
            f"{destination.name} endpoint",
            f"its peer for chain {source.chain_id} is {peer.bridge}, not {source.endpoint}",
        )
    return peer


def verify_event(deployment: BridgeDeployment, scanned: BridgeSide, event: Log) -> Message:
    """The message to sign for a ``MessageSent`` or ``TransferFailed`` log from ``scanned``
    (for a failure: its refund). Raises RefusedEventError for anything else."""
    other = deployment.other(scanned)
    where = f"{scanned.name} block {event.block_number} log {event.log_index}"
    if event.address != scanned.endpoint:
        raise RefusedEventError(where, f"emitted by {event.address}, not {scanned.endpoint}")
    message = Message.from_event(event.args)
    event_id = bytes(event.args["id"])
    if message.message_id() != event_id:
        raise RefusedEventError(where, f"id 0x{event_id.hex()} is not the message's digest")
    if message.kind != TRANSFER:
        raise RefusedEventError(where, f"kind {message.kind} is not a transfer")
    if message.isin != isin_bytes(deployment.isin):
        raise RefusedEventError(where, f"ISIN {message.isin_text} is not {deployment.isin}")
    if event.event == "MessageSent":
        here = (message.source_chain_id, message.source_bridge)
        there = (message.destination_chain_id, message.destination_bridge)
        if int(event.args["nonce"]) != message.nonce:
            raise RefusedEventError(where, f"event nonce {event.args['nonce']} != message nonce")
    elif event.event == "TransferFailed":
        here = (message.destination_chain_id, message.destination_bridge)
        there = (message.source_chain_id, message.source_bridge)
    else:
        raise RefusedEventError(where, f"{event.event} is not attested")
    if here != (scanned.chain_id, scanned.endpoint):
        raise RefusedEventError(where, f"names {here}, not this chain's endpoint")
    if there != (other.chain_id, other.endpoint):
        raise RefusedEventError(where, f"names {there} as its other end, not {other.name}'s")
    return message if event.event == "MessageSent" else refund_of(message)


class Validator:
    """One validator key attesting both directions of one bridge."""

    def __init__(
        self,
        deployment: BridgeDeployment,
        store: Store,
        account: LocalAccount,
        endpoints: Mapping[str, Endpoint],
        metrics: Metrics,
        *,
        max_blocks: int = 1000,
        hook: Hook = no_hook,
    ) -> None:
        if max_blocks < 1:
            raise UserError("max_blocks", f"{max_blocks} is not a positive number of blocks")
        self.deployment = deployment
        self.store = store
        self.account = account
        self.endpoints = endpoints
        self.metrics = metrics
        self.max_blocks = max_blocks
        self.hook = hook
        self.process = f"validator:{account.address}"
        # chain id -> (head, cursor block) of the last scan that left nothing to scan
        self._idle: dict[int, tuple[int, int]] = {}

    def cursor_name(self, side: BridgeSide) -> str:
        """The cursor's process name: this key on this endpoint."""
        return f"{self.process}@{side.endpoint}"

    def check(self) -> None:
        """Warn when this key is not a current validator on a destination (it still signs:
        it may be about to be added)."""
        for side in self.deployment.sides:
            current = self.endpoints[side.name].validator_set()
            if self.account.address not in current.validators:
                log(
                    logging.WARNING,
                    "not_a_validator",
                    chain=side.name,
                    validator=self.account.address,
                    version=current.version,
                )

    def step(self) -> bool:
        """Scan both chains once; True when either has confirmed blocks left to scan."""
        results = [self.scan(side) for side in self.deployment.sides]
        return any(result.more for result in results)

    def scan(self, side: BridgeSide) -> ScanResult:
        """Scan, verify, sign and record one range of ``side`` (see the module docstring)."""
        source = self.endpoints[side.name]
        destination = self.endpoints[self.deployment.other(side).name]
        head = source.head()
        idle = self._idle.pop(side.chain_id, None)
        if idle is not None and idle[0] == head:  # no new block since nothing was left
            self._idle[side.chain_id] = idle
            return ScanResult(side.name, idle[1] + 1, idle[1], 0, 0, more=False)
        name = self.cursor_name(side)
        cursor = self.store.cursor(name, side.chain_id)
        start = cursor.block if cursor is not None else cursor_start(side)
        if cursor is not None:
            actual = source.block_hash(cursor.block)
            if actual != cursor.block_hash:
                self._reorg(side, cursor.block, cursor.block_hash, actual)
        peer = check_peer(side, destination)
        self.metrics.last_block_seen.labels(side.name).set(head)
        safe = head - peer.confirmations
        end = min(safe, start + self.max_blocks)
        if end <= start:
            self.metrics.lag_blocks.labels(side.name).set(max(head - start, 0))
            self._idle[side.chain_id] = (head, start)
            return ScanResult(side.name, start + 1, start, 0, 0, more=False)
        end_hash = source.block_hash(end)
        events = [log_ for name in SIGNED_EVENTS for log_ in source.events(name, start + 1, end)]
        events.sort(key=lambda e: (e.block_number, e.log_index))
        self._check_canonical(side, source, events, end, end_hash)
        signed: list[tuple[Message, bytes, Log, str | None]] = []
        refused = 0
        for event in events:
            try:
                message = verify_event(self.deployment, side, event)
            except UserError as error:  # RefusedEventError, or a field out of range
                refused += 1
                self.metrics.failed.labels(side.name).inc()
                log(
                    logging.CRITICAL,
                    "event_refused",
                    chain=side.name,
                    reason=str(error),
                    tx=event.tx_hash,
                )
                continue
            failed_id = "0x" + bytes(event.args["id"]).hex() if message.kind != TRANSFER else None
            signed.append((message, message.sign(self.account.key), event, failed_id))
        if signed:
            self.hook("after_sign_before_commit")
        rows = [
            (
                message,
                Sighting(
                    event.event, side.chain_id, event.block_number, event.tx_hash, event.log_index
                ),
                failed_id,
                signature,
            )
            for message, signature, event, failed_id in signed
        ]
        with self.store.transaction() as tx:
            tx.add_signed(rows, SIGNING, self.account.address)
            tx.advance_cursor(
                name, side.chain_id, cursor.block if cursor else None, end, end_hash or ""
            )
        if signed:
            self.hook("after_commit")
        for message, _signature, event, _failed in signed:
            self.metrics.processed.labels(side.name).inc()
            log(
                logging.INFO,
                "signed",
                chain=side.name,
                id=message.id_hex,
                kind=message.kind,
                nonce=message.nonce,
                amount=message.amount,
                block=event.block_number,
                tx=event.tx_hash,
            )
        self.metrics.lag_blocks.labels(side.name).set(head - end)
        if end >= safe:
            self._idle[side.chain_id] = (head, end)
        return ScanResult(side.name, start + 1, end, len(signed), refused, more=end < safe)

    def _check_canonical(
        self, side: BridgeSide, source: Endpoint, events: list[Log], end: int, end_hash: str | None
    ) -> None:
        """Every log's block, and the range's last block, are still on the node's chain."""
        hashes: dict[int, str | None] = {end: end_hash}
        for event in events:
            if event.block_number not in hashes:
                hashes[event.block_number] = source.block_hash(event.block_number)
            if hashes[event.block_number] != event.block_hash:
                self._reorg(side, event.block_number, event.block_hash, hashes[event.block_number])
        actual = source.block_hash(end)
        if end_hash is None or actual != end_hash:
            self._reorg(side, end, end_hash or "missing", actual)

    def _reorg(self, side: BridgeSide, block: int, recorded: str, actual: str | None) -> None:
        error = ReorgError(side.name, block, recorded, actual)
        self.metrics.failed.labels(side.name).inc()
        log(
            logging.CRITICAL,
            "reorg_detected",
            chain=side.name,
            block=block,
            recorded=recorded,
            actual=actual,
            validator=self.account.address,
        )
        raise error

"""A Python model of the two-chain bridge, for the stateful conservation test (imported as
`bridge_model`; tests/e2e is on sys.path as the test's own directory).

The model knows nothing of the contracts' counters: it keeps every transfer's state on its source
(queued, sent, refunded) and on its destination (none, executed, queued, failed), who attested
it, every holder's balance on both chains, the custody balance, the mirror supply, each endpoint's
totals, the four token buckets and the pause flags. It is driven by the endpoints' events, in
chain order, with the timestamp of the block each one is in, and every event is checked against
what the model allows at that moment (an execution needs a threshold of attestations, an
unpaused direction, an eligible recipient and headroom in the bucket; a queue needs the bucket
to lack headroom; a second execution of one message is refused...). Anything the model does not
allow fails the test at once, naming the event.

Refunds (``reclaim``) draw on the inbound bucket of the chain that pays them, as deliveries do:
over the limit the call is refused (``RateLimited``) and the refund stays reclaimable.

In flight, from the model only: the amount of every transfer taken on its source (sent or
queued) and neither executed on its destination nor refunded on its source.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from securities_rails.bridge.endpoint import Direction, InboundStatus, OutboundStatus
from securities_rails.bridge.messages import REFUND, TRANSFER, Message, refund_of

HOME, REMOTE = "home", "remote"
SIDES = (HOME, REMOTE)
OUT, IN = Direction.OUTBOUND, Direction.INBOUND
PEOPLE = ("alice", "bob", "carol", "dave")
# Who may receive on each chain (registered investors): carol only at home, dave nowhere.
ELIGIBLE = {HOME: frozenset({"alice", "bob", "carol"}), REMOTE: frozenset({"alice", "bob"})}


def other(side: str) -> str:
    return REMOTE if side == HOME else HOME


@dataclass
class Bucket:
    """RateLimiter.Bucket: ``capacity`` units, refilled at ``rate`` a second, settled lazily."""

    capacity: int
    rate: int
    tokens: int
    last: int = 0

    def available(self, now: int) -> int:
        return min(self.capacity, self.tokens + (now - self.last) * self.rate)

    def consume(self, now: int, amount: int) -> bool:
        level = self.available(now)
        if amount > level:
            return False
        self.tokens, self.last = level - amount, now
        return True

    def set_limit(self, now: int, capacity: int, rate: int) -> None:
        """Settle the level at the old rate, then cap it at the new capacity (never refill)."""
        level = self.available(now)
        self.capacity, self.rate = capacity, rate
        self.tokens, self.last = min(level, capacity), now


@dataclass
class Transfer:
    """One transfer, as the model sees it on both chains."""

    message: Message
    source: str
    outbound: OutboundStatus  # QUEUED, SENT or REFUNDED
    inbound: InboundStatus = InboundStatus.NONE
    signers: set[str] = field(default_factory=set)  # validators that attested the transfer
    refund_signers: set[str] = field(default_factory=set)  # ... and its refund
    executions: int = 0  # MessageExecuted of the transfer on its destination
    refunds: int = 0  # MessageExecuted of its refund on its source

    @property
    def destination(self) -> str:
        return other(self.source)

    @property
    def id(self) -> str:
        return self.message.id_hex

    @property
    def amount(self) -> int:
        return self.message.amount

    @property
    def refund(self) -> Message:
        return refund_of(self.message)

    @property
    def sent(self) -> bool:
        """``MessageSent`` was emitted (so validators attest it)."""
        return self.outbound in (OutboundStatus.SENT, OutboundStatus.REFUNDED)

    @property
    def in_flight(self) -> bool:
        return self.outbound != OutboundStatus.REFUNDED and self.inbound != InboundStatus.EXECUTED

    def describe(self) -> str:
        m = self.message
        return (
            f"#{m.nonce} {self.source}->{self.destination} {m.amount} "
            f"[{self.outbound.name.lower()}/{self.inbound.name.lower()}, "
            f"{len(self.signers)} sig, {len(self.refund_signers)} refund sig]"
        )


@dataclass(frozen=True)
class Event:
    """One decoded endpoint event, where it is and when."""

    side: str
    name: str
    block: int
    log_index: int
    tx: str
    timestamp: int
    args: dict[str, Any]

    @property
    def message(self) -> Message:
        return Message.from_tuple(tuple(self.args["message"]))

    def __str__(self) -> str:
        return f"{self.name} on {self.side} (block {self.block}, log {self.log_index})"


@dataclass
class Totals:
    sent: int = 0
    received: int = 0
    refunded: int = 0

    def as_tuple(self) -> tuple[int, int, int]:
        return (self.sent, self.received, self.refunded)


class BridgeModel:
    """The bridge's expected state; ``apply`` checks and records one event."""

    def __init__(
        self,
        *,
        addresses: dict[str, str],
        ends: dict[str, tuple[int, str]],
        isin: bytes,
        admin: str,
        start: dict[tuple[str, str], int],
        capacity: int,
        rate: int,
        max_transfer: int,
        threshold: int,
    ) -> None:
        self.names = {address: name for name, address in addresses.items()}
        self.ends = ends  # side -> (chain id, endpoint)
        self.isin = isin
        self.admin = admin
        self.max_transfer = max_transfer
        self.threshold = threshold
        self.balances = {(side, who): start.get((side, who), 0) for side in SIDES for who in PEOPLE}
        self.custody = 0
        self.supply = 0
        self.totals = {side: Totals() for side in SIDES}
        self.buckets = {
            (side, d): Bucket(capacity, rate, capacity) for side in SIDES for d in (OUT, IN)
        }
        self.paused = {(side, d): False for side in SIDES for d in (OUT, IN)}
        self.nonces = dict.fromkeys(SIDES, 0)
        self.transfers: dict[str, Transfer] = {}
        self.by_nonce: dict[tuple[str, int], Transfer] = {}
        self.expected_sends: list[tuple[str, str, str, int]] = []
        self.executed: Counter[str] = Counter()  # message id -> MessageExecuted events
        self._refunded: Transfer | None = None  # a refund executed; its Refunded event follows

    # ------------------------------------------------------------------ views

    def name(self, address: str) -> str:
        assert address in self.names, f"{address} is nobody the test knows"
        return self.names[address]

    def holders(self, side: str) -> list[str]:
        return [who for who in PEOPLE if self.balances[(side, who)] > 0]

    def in_flight(self, source: str | None = None) -> int:
        return sum(
            t.amount
            for t in self.transfers.values()
            if t.in_flight and (source is None or t.source == source)
        )

    def deliverable(self, *, unpaused_only: bool) -> list[tuple[Transfer, Message]]:
        """Attested messages not yet processed where they go: transfers to execute, refunds to
        reclaim (with ``unpaused_only``, only those whose destination accepts them now)."""
        found: list[tuple[Transfer, Message]] = []
        for t in self.transfers.values():
            if (
                t.sent
                and t.inbound == InboundStatus.NONE
                and len(t.signers) >= self.threshold
                and not (unpaused_only and self.paused[(t.destination, IN)])
            ):
                found.append((t, t.message))
            if (
                t.inbound == InboundStatus.FAILED
                and t.outbound == OutboundStatus.SENT
                and len(t.refund_signers) >= self.threshold
                and not (unpaused_only and self.paused[(t.source, IN)])
            ):
                found.append((t, t.refund))
        return found

    def processed(self) -> list[tuple[Transfer, Message]]:
        """Messages their destination has processed already (a second delivery is refused)."""
        found: list[tuple[Transfer, Message]] = []
        for t in self.transfers.values():
            if t.inbound != InboundStatus.NONE:
                found.append((t, t.message))
            if t.outbound == OutboundStatus.REFUNDED:
                found.append((t, t.refund))
        return found

    def queued(self, where: str) -> list[Transfer]:
        """Transfers queued ``inbound`` on their destination or ``outbound`` on their source."""
        if where == "inbound":
            return [t for t in self.transfers.values() if t.inbound == InboundStatus.QUEUED]
        return [t for t in self.transfers.values() if t.outbound == OutboundStatus.QUEUED]

    def expected_signatures(self) -> dict[str, set[str]]:
        """Message id -> the validators whose signature the database must hold."""
        expected: dict[str, set[str]] = {}
        for t in self.transfers.values():
            if t.signers:
                expected[t.id] = set(t.signers)
            if t.refund_signers:
                expected[t.refund.id_hex] = set(t.refund_signers)
        return expected

    def describe_open(self) -> str:
        return "; ".join(t.describe() for t in self.transfers.values() if t.in_flight)

    # ------------------------------------------------------------------ actions of the test

    def expect_send(self, side: str, sender: str, recipient: str, amount: int) -> None:
        self.expected_sends.append((side, sender, recipient, amount))

    def attested(self, validators: set[str]) -> None:
        """``validators`` ran to the head after every event so far was confirmed: each signed
        every transfer sent and the refund of every transfer failed."""
        for t in self.transfers.values():
            if t.sent:
                t.signers |= validators
            if t.inbound == InboundStatus.FAILED:
                t.refund_signers |= validators

    # ------------------------------------------------------------------ events

    def apply(self, event: Event) -> None:
        handler = getattr(self, f"_on_{event.name}", None)
        assert handler is not None, f"unexpected event {event}: {event.args}"
        if event.name != "Refunded":
            assert self._refunded is None, f"Refunded missing before {event}"
        handler(event)

    def settled(self) -> None:
        """End of a batch of events: nothing half-done."""
        assert self._refunded is None, "a refund was executed without its Refunded event"

    def _check_route(self, event: Event, message: Message, source: str) -> None:
        assert (message.source_chain_id, message.source_bridge) == self.ends[source], (
            f"{event}: source {message.source_chain_id}/{message.source_bridge}"
        )
        destination = other(source)
        assert (message.destination_chain_id, message.destination_bridge) == self.ends[
            destination
        ], f"{event}: destination {message.destination_chain_id}/{message.destination_bridge}"
        assert message.isin == self.isin, f"{event}: ISIN {message.isin!r}"

    def _take(self, side: str, who: str, amount: int) -> None:
        self.balances[(side, who)] -= amount
        assert self.balances[(side, who)] >= 0, f"{who} on {side} sent more than held"
        if side == HOME:
            self.custody += amount
        else:
            self.supply -= amount

    def _deliver(self, side: str, who: str, amount: int) -> None:
        self.balances[(side, who)] += amount
        if side == HOME:
            self.custody -= amount
            assert self.custody >= 0, "custody released more than it held"
        else:
            self.supply += amount

    def _new_send(self, event: Event, queued: bool) -> None:
        side, m = event.side, event.message
        assert m.kind == TRANSFER, f"{event}: kind {m.kind}"
        self._check_route(event, m, side)
        assert m.nonce == self.nonces[side] + 1, f"{event}: nonce {m.nonce} after {self.nonces}"
        self.nonces[side] = m.nonce
        sender, recipient = self.name(m.sender), self.name(m.recipient)
        wanted = (side, sender, recipient, m.amount)
        assert wanted in self.expected_sends, f"{event}: nobody sent {wanted}"
        self.expected_sends.remove(wanted)
        assert not self.paused[(side, OUT)], f"{event}: sent while outbound is paused"
        assert 0 < m.amount <= self.max_transfer, f"{event}: amount {m.amount}"
        fits = self.buckets[(side, OUT)].consume(event.timestamp, m.amount)
        assert fits != queued, (
            f"{event}: {'queued with' if queued else 'sent without'} outbound headroom "
            f"({self.buckets[(side, OUT)].available(event.timestamp)} for {m.amount})"
        )
        self.totals[side].sent += m.amount
        self._take(side, sender, m.amount)
        t = Transfer(m, side, OutboundStatus.QUEUED if queued else OutboundStatus.SENT)
        assert t.id not in self.transfers, f"{event}: id {t.id} seen before"
        self.transfers[t.id] = t
        self.by_nonce[(side, m.nonce)] = t

    def _on_OutboundQueued(self, event: Event) -> None:  # noqa: N802 (event names)
        assert int(event.args["nonce"]) == event.message.nonce, f"{event}: nonce topic"
        self._new_send(event, queued=True)

    def _on_MessageSent(self, event: Event) -> None:  # noqa: N802
        m = event.message
        assert bytes(event.args["id"]) == m.message_id(), f"{event}: id is not the digest"
        assert int(event.args["nonce"]) == m.nonce, f"{event}: nonce topic"
        t = self.by_nonce.get((event.side, m.nonce))
        if t is None:
            self._new_send(event, queued=False)
            return
        # sendQueued
        assert t.message == m, f"{event}: message differs from the one queued"
        assert t.outbound == OutboundStatus.QUEUED, f"{event}: sent twice ({t.describe()})"
        assert not self.paused[(event.side, OUT)], f"{event}: sent while outbound is paused"
        bucket = self.buckets[(event.side, OUT)]
        available = bucket.available(event.timestamp)
        assert bucket.consume(event.timestamp, m.amount), (
            f"{event}: queued transfer sent without headroom ({available} for {m.amount})"
        )
        t.outbound = OutboundStatus.SENT

    def _inbound_transfer(self, event: Event) -> Transfer:
        m = event.message
        assert bytes(event.args["id"]) == m.message_id(), f"{event}: id is not the digest"
        assert m.kind == TRANSFER, f"{event}: kind {m.kind}"
        t = self.transfers.get(m.id_hex)
        assert t is not None, f"{event}: no such transfer was sent"
        assert t.destination == event.side and t.message == m, f"{event}: not {t.describe()}"
        assert t.sent, f"{event}: {t.describe()} never left its source"
        assert not self.paused[(event.side, IN)], f"{event}: processed while inbound is paused"
        return t

    def _on_MessageExecuted(self, event: Event) -> None:  # noqa: N802
        m = event.message
        self.executed[m.id_hex] += 1
        if m.kind == REFUND:
            self._refund_executed(event)
            return
        t = self._inbound_transfer(event)
        assert t.inbound in (InboundStatus.NONE, InboundStatus.QUEUED), (
            f"{event}: executed again ({t.describe()})"
        )
        if t.inbound == InboundStatus.NONE:
            assert len(t.signers) >= self.threshold, f"{event}: executed unattested"
        recipient = self.name(m.recipient)
        assert recipient in ELIGIBLE[event.side], f"{event}: delivered to ineligible {recipient}"
        bucket = self.buckets[(event.side, IN)]
        available = bucket.available(event.timestamp)
        assert bucket.consume(event.timestamp, m.amount), (
            f"{event}: executed without inbound headroom ({available} for {m.amount})"
        )
        t.inbound = InboundStatus.EXECUTED
        t.executions += 1
        self.totals[event.side].received += m.amount
        self._deliver(event.side, recipient, m.amount)

    def _refund_executed(self, event: Event) -> None:
        m = event.message
        assert bytes(event.args["id"]) == m.message_id(), f"{event}: id is not the digest"
        t = self.by_nonce.get((event.side, m.nonce))
        assert t is not None, f"{event}: refund of an unknown transfer #{m.nonce}"
        assert t.refund == m, f"{event}: refund does not match {t.describe()}"
        assert t.inbound == InboundStatus.FAILED, f"{event}: refund of {t.describe()}"
        assert t.outbound == OutboundStatus.SENT, f"{event}: refunded again ({t.describe()})"
        assert len(t.refund_signers) >= self.threshold, f"{event}: refund unattested"
        assert not self.paused[(event.side, IN)], f"{event}: reclaimed while inbound is paused"
        sender = self.name(m.sender)
        assert sender in ELIGIBLE[event.side], f"{event}: refund to ineligible {sender}"
        bucket = self.buckets[(event.side, IN)]  # refunds draw on the inbound limit too
        available = bucket.available(event.timestamp)
        assert bucket.consume(event.timestamp, m.amount), (
            f"{event}: refunded without inbound headroom ({available} for {m.amount})"
        )
        t.outbound = OutboundStatus.REFUNDED
        t.refunds += 1
        self.totals[event.side].refunded += m.amount
        self._deliver(event.side, sender, m.amount)
        self._refunded = t

    def _on_Refunded(self, event: Event) -> None:  # noqa: N802
        t, self._refunded = self._refunded, None
        assert t is not None, f"{event} without a refund executed"
        assert int(event.args["nonce"]) == t.message.nonce, f"{event}: nonce"
        assert event.args["sender"] == t.message.sender, f"{event}: sender"
        assert int(event.args["amount"]) == t.amount, f"{event}: amount"

    def _on_InboundQueued(self, event: Event) -> None:  # noqa: N802
        t = self._inbound_transfer(event)
        assert t.inbound == InboundStatus.NONE, f"{event}: queued again ({t.describe()})"
        assert len(t.signers) >= self.threshold, f"{event}: queued unattested"
        recipient = self.name(t.message.recipient)
        assert recipient in ELIGIBLE[event.side], f"{event}: queued for ineligible {recipient}"
        bucket = self.buckets[(event.side, IN)]
        available = bucket.available(event.timestamp)
        assert available < t.amount, f"{event}: queued with headroom ({available}/{t.amount})"
        t.inbound = InboundStatus.QUEUED

    def _on_TransferFailed(self, event: Event) -> None:  # noqa: N802
        t = self._inbound_transfer(event)
        assert t.inbound == InboundStatus.NONE, f"{event}: failed after {t.describe()}"
        assert len(t.signers) >= self.threshold, f"{event}: failed unattested"
        recipient = self.name(t.message.recipient)
        assert recipient not in ELIGIBLE[event.side], f"{event}: refused eligible {recipient}"
        t.inbound = InboundStatus.FAILED

    def _on_DirectionPaused(self, event: Event) -> None:  # noqa: N802
        assert event.args["by"] == self.admin, f"{event}: by {event.args['by']}"
        self.paused[(event.side, Direction(int(event.args["direction"])))] = bool(
            event.args["paused"]
        )

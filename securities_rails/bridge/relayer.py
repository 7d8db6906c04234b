"""The relayer: carries attested messages to their destination, and retries queued ones.

One iteration:

1. resolves its submissions still marked ``sent`` (a previous run may have been killed between
   broadcasting and recording): mined -> ``mined``/``reverted``; unknown to the node -> ``lost``;
   still pending -> left alone (its message is not submitted again meanwhile);
2. scans each chain for ``OutboundQueued`` (cursor per relayer key and chain, up to
   head - confirmations, as the validators), recording those transfers as ``outbound_queued``;
3. for every open message, reads its state on chain first (so no gas goes on a message that is
   processed already, by this relayer or another) and then:

   * a transfer (refund) not yet delivered: takes the stored signatures of the destination's
     CURRENT validators (``validatorSet()``), checks each recovers to its validator, orders them
     by ascending signer and keeps ``threshold`` of them, and sends ``execute`` (``reclaim``);
   * queued on its destination: ``executeQueued`` once ``rateLimit(Inbound).available`` covers
     it; queued on its source: ``sendQueued`` once ``rateLimit(Outbound).available`` does.

A submission is journaled before it is broadcast (message ``submitted``, submission ``sent``
with its hash), then its outcome is recorded with the message's new state read from the chain.
A revert because another relayer got there first (``AlreadyProcessed``, ``NotQueued``...) is
the message being done, not an error.

Pipelined mode (``pipeline=True``, ``--pipeline``): the same iteration, for many messages at once
and without waiting for any receipt. Statuses, simulations, sends and receipts go to each chain
in JSON-RPC batches; the transactions of one iteration get consecutive nonces of the relayer's
key; all of them are journaled (``sent``) in ONE database transaction before the first is
broadcast, then broadcast together; a later iteration resolves their receipts (step 1) and
records every outcome in one database transaction. So a ``step()`` returns with its
transactions in flight, not delivered. The crash points are the same (``after_intent``:
journaled, nothing broadcast; ``after_submit_before_record``: broadcast, not recorded;
``after_record``), each reached once per batch, and a restart settles a batch exactly as it
settles one submission. What it does not repeat when nothing changed:

* gas: the batch is simulated in order on the latest block (``eth_simulateV1``, one execution
  per call: a call that would revert is caught there, as by an estimate) and each call gets 1.5
  times the gas it used; a message whose submission reverted gets its own ``eth_estimateGas``
  the next time (and every call does, on a node that cannot simulate);
* receipts are looked at when their chain has a new block;
* the open messages are decided again only when a block, a signature or an outcome is new, a
  message's on-chain state is read once per block of its destination, and each signature is
  recovered once.

A transaction the node refuses at broadcast stays ``sent``; the next iteration finds it unknown
(``lost``) and submits its message again with the next nonce the node reports, which, for a
node that counts only the contiguous nonces of its pool, fills the gap the refused one left.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from eth_account.signers.local import LocalAccount

from securities_rails.bridge.deployment import BridgeDeployment, BridgeSide
from securities_rails.bridge.endpoint import (
    Direction,
    Endpoint,
    InboundStatus,
    OutboundStatus,
    ValidatorSet,
)
from securities_rails.bridge.messages import TRANSFER, Message, isin_bytes, recover_signer
from securities_rails.bridge.metrics import Metrics, log
from securities_rails.bridge.store import (
    DONE,
    DROPPED,
    FAILED,
    LOST,
    MINED,
    OPEN_STATES,
    OUTBOUND_QUEUED,
    QUEUED,
    REVERTED,
    SENT,
    SIGNING,
    SUBMITTED,
    Sighting,
    Store,
    StoredMessage,
    Submission,
)
from securities_rails.bridge.validator import check_peer, cursor_start
from securities_rails.chain.rpc import Log, MiningTimeoutError, Prepared, RevertError
from securities_rails.errors import UserError

Hook = Callable[[str], None]
CRASH_POINTS = ("after_intent", "after_submit_before_record", "after_record")
# Reverts meaning someone else processed the message first: re-read its state, no error.
RACED = frozenset({"AlreadyProcessed", "NotQueued", "NotQueuedOutbound"})
REWIND_BLOCKS = 256  # how far back the outbound-queue scan restarts after a reorganisation
BATCH_SIZE = 500  # pipelined mode: most transactions sent per chain and iteration
INBOUND_STATES = {
    InboundStatus.NONE: SIGNING,
    InboundStatus.EXECUTED: DONE,
    InboundStatus.QUEUED: QUEUED,
    InboundStatus.FAILED: FAILED,
}


def no_hook(_point: str) -> None:
    return None


def select_signatures(
    message_id: bytes,
    signatures: Mapping[str, bytes],
    validators: ValidatorSet,
    recover: Callable[[bytes, bytes], str] = recover_signer,
) -> list[bytes] | None:
    """``threshold`` signatures of current validators that recover to their validator, by
    ascending signer address; None when there are not enough. (``recover``: the signer of a
    signature, ``recover_signer`` or a cache of it.)"""
    current = {v.lower() for v in validators.validators}
    usable: list[tuple[int, bytes]] = []
    for validator, signature in signatures.items():
        if validator.lower() not in current:
            continue
        try:
            signer = recover(message_id, signature)
        except UserError:
            continue
        if signer.lower() == validator.lower():
            usable.append((int(signer, 16), signature))
    usable.sort()
    if validators.threshold < 1 or len(usable) < validators.threshold:
        return None
    return [signature for _, signature in usable[: validators.threshold]]


@dataclass(frozen=True)
class Decision:
    """A message's state read from the chain, and why."""

    state: str
    detail: str | None = None


class Relayer:
    """Submits attested and queued messages with one funded key, on both chains."""

    def __init__(
        self,
        deployment: BridgeDeployment,
        store: Store,
        account: LocalAccount,
        endpoints: Mapping[str, Endpoint],
        metrics: Metrics,
        *,
        max_blocks: int = 1000,
        receipt_timeout: float = 120.0,
        hook: Hook = no_hook,
        pipeline: bool = False,
        batch_size: int = BATCH_SIZE,
    ) -> None:
        self.deployment = deployment
        self.store = store
        self.account = account
        self.endpoints = endpoints
        self.metrics = metrics
        self.max_blocks = max_blocks
        self.receipt_timeout = receipt_timeout
        self.hook = hook
        self.pipeline = pipeline
        self.batch_size = batch_size
        self.process = f"relayer:{account.address}"
        self.destinations = [(side.chain_id, side.endpoint) for side in deployment.sides]
        self._validator_sets: dict[int, ValidatorSet] = {}
        self._ids: dict[str, bytes] = {}  # message id -> its digest, computed once while open
        self._idle: dict[int, int] = {}  # chain id -> head of the last scan that left nothing
        # pipelined mode: chain id -> head when submissions to it were last resolved, and
        # message id -> (its destination's head, the decision read at that head)
        self._resolved: dict[int, int] = {}
        self._decided: dict[str, tuple[int, Decision]] = {}
        self._reverted: set[str] = set()  # messages whose last submission reverted
        self._signers: dict[tuple[bytes, bytes], str | None] = {}  # recovered signatures
        self._seen: tuple[object, ...] | None = None  # what the last batch was decided on

    def endpoint(self, chain_id: int) -> Endpoint:
        return self.endpoints[self.deployment.by_chain_id(chain_id).name]

    # --------------------------------------------------------------- the iteration

    def step(self) -> bool:
        """One iteration; True when a chain has confirmed blocks left to scan."""
        self._validator_sets = {}
        if self.pipeline:
            return self._pipelined_step()
        self.resolve_submissions()
        more = False
        for side in self.deployment.sides:
            more = self.scan(side) or more
        sent = self.store.submissions(states=[SENT], destinations=self.destinations)
        in_flight = {submission.message_id for submission in sent}
        waiting = [
            stored
            for stored in self.store.messages(OPEN_STATES, self.destinations)
            if stored.id not in in_flight
        ]
        for stored in waiting:
            try:
                self.advance(stored)
            except UserError as error:
                self._not_relayed(stored, error)
        self._forget(in_flight | {stored.id for stored in waiting})
        self.update_gauges()
        return more

    def _pipelined_step(self) -> bool:
        """``step`` in pipelined mode: receipts are looked at when their chain has a new block,
        and the open messages are decided again only when a block, a signature or an outcome
        is new (nothing else changes what can be sent)."""
        heads = {side.chain_id: self.endpoints[side.name].head() for side in self.deployment.sides}
        self.resolve_batch(heads)
        more = False
        for side in self.deployment.sides:
            more = self.scan(side) or more
        in_flight = self.store.sent_message_ids(self.destinations)
        seen = (tuple(heads.values()), self.store.last_signature(), frozenset(in_flight))
        if seen == self._seen:
            return more
        waiting = self._waiting(in_flight)
        self.advance_batch(waiting)
        self._seen = seen
        self._forget(in_flight | {stored.id for stored in waiting})
        self.update_gauges()
        return more

    def _forget(self, still_open: set[str]) -> None:
        """Drop what is remembered of messages that are no longer open."""
        self._ids = {key: value for key, value in self._ids.items() if key in still_open}
        self._decided = {k: v for k, v in self._decided.items() if k in still_open}
        self._reverted &= still_open
        open_ids = set(self._ids.values())
        self._signers = {k: v for k, v in self._signers.items() if k[0] in open_ids}

    def _not_relayed(self, stored: StoredMessage, error: UserError) -> None:
        chain = self.deployment.by_chain_id(stored.message.destination_chain_id).name
        self.metrics.failed.labels(chain).inc()
        log(logging.WARNING, "not_relayed", id=stored.id, chain=chain, reason=str(error))

    def resolve_submissions(self) -> None:
        """Settle every submission still marked ``sent`` against its chain."""
        for submission in self.store.submissions(states=[SENT], destinations=self.destinations):
            endpoint = self.endpoint(submission.chain_id)
            receipt = endpoint.receipt(submission.tx_hash)
            if receipt is None and endpoint.is_known(submission.tx_hash):
                continue  # pending: wait for it rather than pay twice
            if receipt is None:
                outcome, block, detail = LOST, None, "the node does not know the transaction"
            elif receipt.ok:
                outcome, block, detail = MINED, receipt.block_number, None
            else:
                outcome, block = REVERTED, receipt.block_number
                detail = str(endpoint.revert_of(receipt))
            self._record(
                submission.message_id,
                submission.action,
                submission.tx_hash,
                outcome,
                block,
                detail,
            )

    def _record(
        self,
        message_id: str,
        action: str,
        tx_hash: str,
        outcome: str,
        block: int | None,
        detail: str | None,
    ) -> None:
        """Record a submission's outcome with its message's state as the chain now has it."""
        stored = self.store.message(message_id)
        decision = self.decide(stored) if stored is not None else Decision(SIGNING)
        with self.store.transaction() as tx:
            tx.finish_submission(tx_hash, outcome, block, detail)
            tx.set_state(message_id, decision.state, decision.detail or detail)
        self.hook("after_record")
        self._note_final(stored, decision)
        raced = outcome == REVERTED and decision.state in (DONE, FAILED, QUEUED)
        log(
            logging.INFO if outcome == MINED or raced else logging.WARNING,
            "submission_" + outcome,
            id=message_id,
            action=action,
            tx=tx_hash,
            state=decision.state,
            detail=detail,
        )

    # --------------------------------------------------------------- outbound queue scan

    def scan(self, side: BridgeSide) -> bool:
        """Record the transfers ``side`` queued outbound; True when more blocks are ready."""
        source = self.endpoints[side.name]
        destination = self.endpoints[self.deployment.other(side).name]
        head = source.head()
        if self._idle.get(side.chain_id) == head:  # no new block since nothing was left
            return False
        self._idle.pop(side.chain_id, None)
        name = f"{self.process}@{side.endpoint}"
        cursor = self.store.cursor(name, side.chain_id)
        start = cursor.block if cursor is not None else cursor_start(side)
        if cursor is not None and source.block_hash(cursor.block) != cursor.block_hash:
            # Not an alert here: what the relayer does is checked on chain before it is sent.
            rewound = max(cursor.block - REWIND_BLOCKS, cursor_start(side), 0)
            log(logging.WARNING, "reorg_rescan", chain=side.name, block=cursor.block, to=rewound)
            with self.store.transaction() as tx:
                rewound_hash = source.block_hash(rewound) or ""
                tx.advance_cursor(name, side.chain_id, cursor.block, rewound, rewound_hash)
            return True
        peer = check_peer(side, destination)
        safe = head - peer.confirmations
        end = min(safe, start + self.max_blocks)
        self.metrics.last_block_seen.labels(side.name).set(head)
        if end <= start:
            self._idle[side.chain_id] = head
            return False
        end_hash = source.block_hash(end) or ""
        found = [
            self._queued(side, event) for event in source.events("OutboundQueued", start + 1, end)
        ]
        with self.store.transaction() as tx:
            for message, event in (item for item in found if item is not None):
                seen = Sighting(
                    event.event, side.chain_id, event.block_number, event.tx_hash, event.log_index
                )
                tx.add_message(message, seen, OUTBOUND_QUEUED)
            tx.advance_cursor(name, side.chain_id, cursor.block if cursor else None, end, end_hash)
        self.metrics.lag_blocks.labels(side.name).set(head - end)
        if end >= safe:
            self._idle[side.chain_id] = head
        return end < safe

    def _queued(self, side: BridgeSide, event: Log) -> tuple[Message, Log] | None:
        """The transfer an ``OutboundQueued`` log describes, if it is one of this bridge's."""
        message = Message.from_event(event.args)
        other = self.deployment.other(side)
        fits = (
            event.address == side.endpoint
            and message.kind == TRANSFER
            and message.isin == isin_bytes(self.deployment.isin)
            and (message.source_chain_id, message.source_bridge) == (side.chain_id, side.endpoint)
            and (message.destination_chain_id, message.destination_bridge)
            == (other.chain_id, other.endpoint)
        )
        if not fits:
            self.metrics.failed.labels(side.name).inc()
            log(logging.ERROR, "queued_event_refused", chain=side.name, tx=event.tx_hash)
            return None
        return message, event

    # --------------------------------------------------------------- one message

    def decide(self, stored: StoredMessage) -> Decision:
        """A message's state, read from its chains."""
        message = stored.message
        destination = self.endpoint(message.destination_chain_id)
        if message.kind == TRANSFER:
            if stored.seen.event == "OutboundQueued":
                source = self.endpoint(message.source_chain_id)
                outbound = source.outbound(message.nonce)
                if outbound.status == OutboundStatus.NONE or (
                    outbound.message_hash != message.abi_hash()
                ):
                    return Decision(DROPPED, f"no such outbound #{message.nonce} on its source")
                if outbound.status == OutboundStatus.QUEUED:
                    return Decision(OUTBOUND_QUEUED)
            status = destination.inbound_status(message.message_id())
            return Decision(INBOUND_STATES[status])
        # A refund: its destination is the transfer's source, where the transfer is "Sent"
        # until reclaimed.
        outbound = destination.outbound(message.nonce)
        if outbound.status == OutboundStatus.REFUNDED:
            return Decision(DONE)
        if outbound.status == OutboundStatus.SENT:
            return Decision(SIGNING)
        return Decision(SIGNING, f"outbound #{message.nonce} is {outbound.status.name.lower()}")

    def advance(self, stored: StoredMessage) -> None:
        """Bring one open message a step further (see the module docstring)."""
        decision = self.decide(stored)
        if decision.state != stored.state:
            with self.store.transaction() as tx:
                tx.set_state(stored.id, decision.state, decision.detail)
            self._note_final(stored, decision)
        action = self.plan(stored, decision)
        if action is not None:
            self.submit(stored, *action)

    def plan(
        self,
        stored: StoredMessage,
        decision: Decision,
        budget: dict[tuple[int, Direction], int] | None = None,
        signatures: Mapping[str, bytes] | None = None,
    ) -> tuple[Endpoint, str, list[bytes] | None] | None:
        """The transaction that brings ``stored`` further in state ``decision`` (endpoint,
        function, signatures), or None when there is none yet. Pipelined mode passes
        ``budget`` (the units each rate limit still has for this batch, drawn down by what is
        planned) and the message's stored ``signatures``, read for the whole batch at once."""
        message = stored.message
        if decision.state == SIGNING:
            destination = self.endpoint(message.destination_chain_id)
            validators = self._validators(destination)
            if signatures is None:
                signatures = self.store.signatures(stored.id)
            chosen = select_signatures(
                self._message_id(stored), signatures, validators, self._recover
            )
            if chosen is None:
                return None  # the validators have not all signed yet
            function = "execute" if message.kind == TRANSFER else "reclaim"
            return destination, function, chosen
        if decision.state == QUEUED:
            endpoint, direction, function = (
                self.endpoint(message.destination_chain_id),
                Direction.INBOUND,
                "executeQueued",
            )
        elif decision.state == OUTBOUND_QUEUED:
            endpoint, direction, function = (
                self.endpoint(message.source_chain_id),
                Direction.OUTBOUND,
                "sendQueued",
            )
        else:
            return None
        key = (endpoint.chain_id, direction)
        if budget is None or key not in budget:
            available = endpoint.rate_limit(direction).available
            if budget is not None:
                budget[key] = available
        else:
            available = budget[key]
        if available < message.amount:
            return None
        if budget is not None:
            budget[key] = available - message.amount
        return endpoint, function, None

    def submit(
        self,
        stored: StoredMessage,
        endpoint: Endpoint,
        function: str,
        signatures: list[bytes] | None,
    ) -> None:
        """Journal, broadcast, wait for and record one transaction for ``stored``."""
        try:
            prepared = endpoint.prepare(self.account, function, stored.message, signatures)
        except RevertError as error:
            if self._not_needed(stored, function, error):
                return
            raise
        with self.store.transaction() as tx:
            tx.add_submission(
                stored.id,
                function,
                endpoint.chain_id,
                prepared.tx_hash,
                prepared.sender,
                prepared.nonce,
            )
            tx.set_state(stored.id, SUBMITTED)
        self.hook("after_intent")
        endpoint.broadcast(prepared)
        log(
            logging.INFO,
            "submitted",
            id=stored.id,
            function=function,
            tx=prepared.tx_hash,
            chain=endpoint.name,
        )
        self.hook("after_submit_before_record")
        try:
            receipt = endpoint.wait(prepared.tx_hash, self.receipt_timeout)
        except MiningTimeoutError as error:
            log(
                logging.WARNING,
                "not_mined_yet",
                id=stored.id,
                tx=prepared.tx_hash,
                reason=str(error),
            )
            return
        outcome, detail = MINED, None
        if not receipt.ok:
            outcome, detail = REVERTED, str(endpoint.revert_of(receipt))
        self._record(stored.id, function, prepared.tx_hash, outcome, receipt.block_number, detail)

    def _not_needed(self, stored: StoredMessage, function: str, error: RevertError) -> bool:
        """A call that would revert because the message is done, or the limit has no room:
        record its state as the chain has it and return True; any other revert: False."""
        if error.error not in RACED and error.error != "RateLimited":
            return False
        decision = self.decide(stored)
        with self.store.transaction() as tx:
            tx.set_state(stored.id, decision.state, str(error))
        self._note_final(stored, decision)
        log(
            logging.INFO,
            "not_needed",
            id=stored.id,
            function=function,
            reason=str(error),
            state=decision.state,
        )
        return True

    # --------------------------------------------------------------- pipelined mode

    def decide_batch(self, messages: Sequence[StoredMessage]) -> list[Decision]:
        """``decide`` for each message; the inbound statuses of plain transfers are read in one
        request per destination chain."""
        plain: dict[int, list[StoredMessage]] = {}
        for stored in messages:
            if stored.message.kind == TRANSFER and stored.seen.event != "OutboundQueued":
                plain.setdefault(stored.message.destination_chain_id, []).append(stored)
        decided: dict[str, Decision] = {}
        for chain_id, group in plain.items():
            endpoint = self.endpoint(chain_id)
            head = endpoint.head()  # a decision read at this head holds until the next block
            ask = []
            for stored in group:
                cached = self._decided.get(stored.id)
                if cached is not None and cached[0] == head:
                    decided[stored.id] = cached[1]
                else:
                    ask.append(stored)
            if not ask:
                continue
            found = endpoint.inbound_statuses([self._message_id(stored) for stored in ask])
            for stored, status in zip(ask, found, strict=True):
                decided[stored.id] = Decision(INBOUND_STATES[status])
                self._decided[stored.id] = (head, decided[stored.id])
        return [decided.get(stored.id) or self.decide(stored) for stored in messages]

    def _waiting(self, in_flight: set[str]) -> list[StoredMessage]:
        """The open messages without a transaction in flight. Those in flight (hundreds, when
        the chains are busy) are ``submitted``: they are left out of the query, and only a
        ``submitted`` message without a transaction in flight is read on its own."""
        states = [state for state in OPEN_STATES if state != SUBMITTED]
        waiting = [
            stored
            for stored in self.store.messages(states, self.destinations)
            if stored.id not in in_flight
        ]
        stray = self.store.message_ids([SUBMITTED], self.destinations) - in_flight
        for message_id in sorted(stray):
            stored = self.store.message(message_id)
            if stored is not None and stored.state in OPEN_STATES:
                waiting.append(stored)
        return waiting

    def advance_batch(self, waiting: Sequence[StoredMessage]) -> None:
        """Pipelined: decide every waiting message, record the changes in one database
        transaction, and submit what can go, per chain in batches (no receipt is awaited)."""
        if not waiting:
            return
        decisions = self.decide_batch(waiting)
        changed = [
            (stored, decision)
            for stored, decision in zip(waiting, decisions, strict=True)
            if decision.state != stored.state
        ]
        if changed:
            with self.store.transaction() as tx:
                tx.set_states([(stored.id, d.state, d.detail) for stored, d in changed])
            for stored, decision in changed:
                self._note_final(stored, decision)
        budget: dict[tuple[int, Direction], int] = {}
        batches: dict[int, list[tuple[StoredMessage, str, list[bytes] | None]]] = {}
        signing = [s.id for s, d in zip(waiting, decisions, strict=True) if d.state == SIGNING]
        stored_signatures = self.store.signatures_of(signing)
        for stored, decision in zip(waiting, decisions, strict=True):
            try:
                action = self.plan(stored, decision, budget, stored_signatures.get(stored.id, {}))
            except UserError as error:
                self._not_relayed(stored, error)
                continue
            if action is not None:
                endpoint, function, signatures = action
                batches.setdefault(endpoint.chain_id, []).append((stored, function, signatures))
        for chain_id, items in batches.items():
            endpoint = self.endpoint(chain_id)
            try:
                self.submit_batch(endpoint, items[: self.batch_size])
            except UserError as error:
                for stored, _function, _signatures in items[: self.batch_size]:
                    self._not_relayed(stored, error)

    def submit_batch(
        self,
        endpoint: Endpoint,
        items: Sequence[tuple[StoredMessage, str, list[bytes] | None]],
    ) -> None:
        """Sign ``items`` with consecutive nonces, journal them all in one database
        transaction, then broadcast them all; their receipts are the next step's business."""
        nonce = endpoint.pending_nonce(self.account.address)
        prepared_all = endpoint.prepare_batch(
            self.account,
            [(function, stored.message, signatures) for stored, function, signatures in items],
            nonce,
            each=[stored.id in self._reverted for stored, _, _ in items],
        )
        ready: list[tuple[StoredMessage, str, Prepared]] = []
        for (stored, function, _signatures), prepared in zip(items, prepared_all, strict=True):
            if isinstance(prepared, RevertError):
                if not self._not_needed(stored, function, prepared):
                    self._not_relayed(stored, prepared)
                continue
            ready.append((stored, function, prepared))
        if not ready:
            return
        with self.store.transaction() as tx:
            tx.add_submissions(
                [
                    (
                        stored.id,
                        function,
                        endpoint.chain_id,
                        prepared.tx_hash,
                        prepared.sender,
                        prepared.nonce,
                    )
                    for stored, function, prepared in ready
                ]
            )
            tx.set_states([(stored.id, SUBMITTED, None) for stored, _, _ in ready])
        self.hook("after_intent")
        refusals = endpoint.broadcast_batch([prepared for _, _, prepared in ready])
        for (stored, function, prepared), refusal in zip(ready, refusals, strict=True):
            if refusal is None:
                log(
                    logging.INFO,
                    "submitted",
                    id=stored.id,
                    function=function,
                    tx=prepared.tx_hash,
                    chain=endpoint.name,
                )
            else:  # stays "sent": resolved as lost, and submitted again, next iteration
                self._resolved.pop(endpoint.chain_id, None)
                self.metrics.failed.labels(endpoint.name).inc()
                log(
                    logging.WARNING,
                    "not_broadcast",
                    id=stored.id,
                    function=function,
                    tx=prepared.tx_hash,
                    chain=endpoint.name,
                    reason=refusal,
                )
        self.hook("after_submit_before_record")

    def resolve_batch(self, heads: Mapping[int, int]) -> None:
        """Pipelined ``resolve_submissions``: receipts in one request per chain, every outcome
        (with its message's state as the chain has it) in one database transaction. A chain
        whose head (``heads``: chain id -> head) is where it was at the last look is skipped:
        nothing can have been mined there since."""
        moved = {chain for chain, head in heads.items() if self._resolved.get(chain) != head}
        if not moved:
            return
        by_chain: dict[int, list[Submission]] = {chain: [] for chain in moved}
        for submission in self.store.submissions(states=[SENT], destinations=self.destinations):
            if submission.chain_id in moved:
                by_chain[submission.chain_id].append(submission)
        outcomes: list[tuple[Submission, str, int | None, str | None]] = []
        for chain_id, submissions in by_chain.items():
            endpoint = self.endpoint(chain_id)
            head = heads[chain_id]
            receipts = endpoint.receipts([s.tx_hash for s in submissions])
            unmined = [s.tx_hash for s, r in zip(submissions, receipts, strict=True) if r is None]
            known = dict(zip(unmined, endpoint.known(unmined), strict=True))
            for submission, receipt in zip(submissions, receipts, strict=True):
                if receipt is None:
                    if not known[submission.tx_hash]:
                        detail = "the node does not know the transaction"
                        outcomes.append((submission, LOST, None, detail))
                    continue  # pending: wait for it rather than pay twice
                if receipt.ok:
                    outcomes.append((submission, MINED, receipt.block_number, None))
                else:
                    detail = str(endpoint.revert_of(receipt))
                    outcomes.append((submission, REVERTED, receipt.block_number, detail))
                    self._reverted.add(submission.message_id)  # next time: its own estimate
            self._resolved[chain_id] = head
        if not outcomes:
            return
        submitted = {
            stored.id: stored for stored in self.store.messages([SUBMITTED], self.destinations)
        }
        found: list[StoredMessage | None] = [
            submitted.get(s.message_id) or self.store.message(s.message_id)
            for s, _, _, _ in outcomes
        ]
        known_messages = [stored for stored in found if stored is not None]
        decided = dict(
            zip(
                (stored.id for stored in known_messages),
                self.decide_batch(known_messages),
                strict=True,
            )
        )
        decisions = [
            decided[stored.id] if stored is not None else Decision(SIGNING) for stored in found
        ]
        with self.store.transaction() as tx:
            tx.finish_submissions(
                [(s.tx_hash, outcome, block, detail) for s, outcome, block, detail in outcomes]
            )
            tx.set_states(
                [
                    (s.message_id, decision.state, decision.detail or detail)
                    for (s, _, _, detail), decision in zip(outcomes, decisions, strict=True)
                ]
            )
        self.hook("after_record")
        for (submission, outcome, _block, detail), stored, decision in zip(
            outcomes, found, decisions, strict=True
        ):
            self._note_final(stored, decision)
            raced = outcome == REVERTED and decision.state in (DONE, FAILED, QUEUED)
            log(
                logging.INFO if outcome == MINED or raced else logging.WARNING,
                "submission_" + outcome,
                id=submission.message_id,
                action=submission.action,
                tx=submission.tx_hash,
                state=decision.state,
                detail=detail,
            )

    # --------------------------------------------------------------- helpers

    def _recover(self, message_id: bytes, signature: bytes) -> str:
        """``recover_signer``, each signature of an open message recovered once."""
        key = (message_id, signature)
        if key not in self._signers:
            try:
                self._signers[key] = recover_signer(message_id, signature)
            except UserError:
                self._signers[key] = None
        signer = self._signers[key]
        if signer is None:
            raise UserError("signature", f"cannot recover a signer of 0x{signature.hex()}")
        return signer

    def _message_id(self, stored: StoredMessage) -> bytes:
        """The message's id (its EIP-712 digest), computed once while it is open."""
        found = self._ids.get(stored.id)
        if found is None:
            found = self._ids[stored.id] = stored.message.message_id()
        return found

    def _validators(self, endpoint: Endpoint) -> ValidatorSet:
        if endpoint.chain_id not in self._validator_sets:
            self._validator_sets[endpoint.chain_id] = endpoint.validator_set()
        return self._validator_sets[endpoint.chain_id]

    def _note_final(self, stored: StoredMessage | None, decision: Decision) -> None:
        if stored is None or stored.state in (DONE, FAILED, DROPPED):
            return
        if decision.state in (DONE, FAILED):
            chain = self.deployment.by_chain_id(stored.message.destination_chain_id).name
            self.metrics.processed.labels(chain).inc()
            log(
                logging.INFO,
                "message_" + decision.state,
                id=stored.id,
                chain=chain,
                kind=stored.message.kind,
                nonce=stored.message.nonce,
            )

    def update_gauges(self) -> None:
        pending = {side.chain_id: 0 for side in self.deployment.sides}
        queued = dict(pending)
        for (state, source, destination), count in self.store.state_counts(
            self.destinations
        ).items():
            if state in (SIGNING, SUBMITTED) and destination in pending:
                pending[destination] += count
            elif state == QUEUED and destination in queued:
                queued[destination] += count
            elif state == OUTBOUND_QUEUED and source in queued:
                queued[source] += count
        for side in self.deployment.sides:
            self.metrics.pending.labels(side.name).set(pending[side.chain_id])
            self.metrics.queued.labels(side.name).set(queued[side.chain_id])

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
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
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
)
from securities_rails.bridge.validator import check_peer, cursor_start
from securities_rails.chain.rpc import Log, MiningTimeoutError, RevertError
from securities_rails.errors import UserError

Hook = Callable[[str], None]
CRASH_POINTS = ("after_intent", "after_submit_before_record", "after_record")
# Reverts meaning someone else processed the message first: re-read its state, no error.
RACED = frozenset({"AlreadyProcessed", "NotQueued", "NotQueuedOutbound"})
REWIND_BLOCKS = 256  # how far back the outbound-queue scan restarts after a reorganisation
INBOUND_STATES = {
    InboundStatus.NONE: SIGNING,
    InboundStatus.EXECUTED: DONE,
    InboundStatus.QUEUED: QUEUED,
    InboundStatus.FAILED: FAILED,
}


def no_hook(_point: str) -> None:
    return None


def select_signatures(
    message_id: bytes, signatures: Mapping[str, bytes], validators: ValidatorSet
) -> list[bytes] | None:
    """``threshold`` signatures of current validators that recover to their validator, by
    ascending signer address; None when there are not enough."""
    current = {v.lower() for v in validators.validators}
    usable: list[tuple[int, bytes]] = []
    for validator, signature in signatures.items():
        if validator.lower() not in current:
            continue
        try:
            signer = recover_signer(message_id, signature)
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
    ) -> None:
        self.deployment = deployment
        self.store = store
        self.account = account
        self.endpoints = endpoints
        self.metrics = metrics
        self.max_blocks = max_blocks
        self.receipt_timeout = receipt_timeout
        self.hook = hook
        self.process = f"relayer:{account.address}"
        self.destinations = [(side.chain_id, side.endpoint) for side in deployment.sides]
        self._validator_sets: dict[int, ValidatorSet] = {}

    def endpoint(self, chain_id: int) -> Endpoint:
        return self.endpoints[self.deployment.by_chain_id(chain_id).name]

    # --------------------------------------------------------------- the iteration

    def step(self) -> bool:
        """One iteration; True when a chain has confirmed blocks left to scan."""
        self._validator_sets = {}
        self.resolve_submissions()
        more = False
        for side in self.deployment.sides:
            more = self.scan(side) or more
        sent = self.store.submissions(states=[SENT], destinations=self.destinations)
        in_flight = {submission.message_id for submission in sent}
        for stored in self.store.messages(OPEN_STATES, self.destinations):
            if stored.id in in_flight:
                continue
            chain = self.deployment.by_chain_id(stored.message.destination_chain_id).name
            try:
                self.advance(stored)
            except UserError as error:
                self.metrics.failed.labels(chain).inc()
                log(logging.WARNING, "not_relayed", id=stored.id, chain=chain, reason=str(error))
        self.update_gauges()
        return more

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
        head = source.head()
        safe = head - peer.confirmations
        end = min(safe, start + self.max_blocks)
        self.metrics.last_block_seen.labels(side.name).set(head)
        if end <= start:
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
        message = stored.message
        if decision.state == SIGNING:
            destination = self.endpoint(message.destination_chain_id)
            validators = self._validators(destination)
            chosen = select_signatures(
                message.message_id(), self.store.signatures(stored.id), validators
            )
            if chosen is None:
                return  # the validators have not all signed yet
            function = "execute" if message.kind == TRANSFER else "reclaim"
            self.submit(stored, destination, function, chosen)
        elif decision.state == QUEUED:
            destination = self.endpoint(message.destination_chain_id)
            if destination.rate_limit(Direction.INBOUND).available >= message.amount:
                self.submit(stored, destination, "executeQueued", None)
        elif decision.state == OUTBOUND_QUEUED:
            source = self.endpoint(message.source_chain_id)
            if source.rate_limit(Direction.OUTBOUND).available >= message.amount:
                self.submit(stored, source, "sendQueued", None)

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
            if error.error in RACED or error.error == "RateLimited":
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

    # --------------------------------------------------------------- helpers

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

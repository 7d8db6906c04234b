"""An in-memory two-chain bridge with the methods of ``securities_rails.bridge.endpoint.Endpoint``
(imported as ``bridge_fakes``).

It follows IBridgeEndpoint: ``send`` takes units (queued when the outbound bucket lacks
headroom), ``execute`` checks the signatures (current validators, ascending, threshold) and
delivers, queues (inbound bucket) or marks Failed (a refused recipient), ``reclaim`` pays a
failed transfer back, and each state change emits the event the processes scan. Every
transaction is mined in a block of its own; ``reorg`` replaces the last blocks. It lets the
validator and relayer logic be tested at every step, crash and race without chains; the same
flows run against the real contracts in the end-to-end tests.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from eth_account import Account
from eth_utils import keccak, to_checksum_address
from suite_data import ISIN

from securities_rails.bridge.deployment import BridgeDeployment, BridgeSide
from securities_rails.bridge.endpoint import (
    Direction,
    InboundStatus,
    Outbound,
    OutboundStatus,
    Peer,
    RateLimit,
    Totals,
    ValidatorSet,
)
from securities_rails.bridge.messages import REFUND, TRANSFER, Message, recover_signer
from securities_rails.chain.rpc import Log, MiningTimeoutError, Prepared, Receipt, RevertError

HOME_CHAIN, REMOTE_CHAIN = 41_001, 41_002
VALIDATOR_KEYS = tuple("0x" + keccak(text=f"fake validator {i}").hex() for i in range(3))
VALIDATORS = tuple(Account.from_key(key).address for key in VALIDATOR_KEYS)
RELAYER_KEY = "0x" + keccak(text="fake relayer").hex()
ALICE = to_checksum_address("0x" + "a1" * 20)
BOB = to_checksum_address("0x" + "b0" * 20)
CAROL = to_checksum_address("0x" + "c0" * 20)  # refused on either side
ZERO = "0x" + "00" * 20
_hashes = itertools.count(1)


def _address(text: str) -> str:
    return to_checksum_address(keccak(text=text)[12:])


def _fresh_hash() -> str:
    return "0x" + keccak(text=f"block {next(_hashes)}").hex()


def deployment() -> BridgeDeployment:
    return BridgeDeployment(
        isin=ISIN,
        home=BridgeSide(
            "home",
            HOME_CHAIN,
            "http://home.invalid",
            _address("home endpoint"),
            _address("home token"),
            _address("home custody"),
            5,
        ),
        remote=BridgeSide(
            "remote",
            REMOTE_CHAIN,
            "http://remote.invalid",
            _address("remote endpoint"),
            _address("remote token"),
            None,
            3,
        ),
    )


def revert(name: str, **inputs: Any) -> RevertError:
    return RevertError("fake", f"{name}({inputs})", name, inputs)


@dataclass
class Tx:
    function: str
    message: Message
    signatures: list[bytes] | None
    sender: str


@dataclass
class FakeEndpoint:
    """One endpoint and its chain."""

    side: BridgeSide
    validators: list[str]
    threshold: int
    confirmations: int
    blocks: list[str] = field(default_factory=list)
    logs: list[Log] = field(default_factory=list)
    other: FakeEndpoint | None = None
    version: int = 1
    inbound: dict[bytes, InboundStatus] = field(default_factory=dict)
    outbounds: dict[int, Outbound] = field(default_factory=dict)
    available: dict[Direction, int] = field(
        default_factory=lambda: {Direction.OUTBOUND: 10**6, Direction.INBOUND: 10**6}
    )
    sent: int = 0
    received: int = 0
    refunded: int = 0
    held: int = 0  # home: units in custody; remote: mirror supply
    next_nonce: int = 0
    refused: set[str] = field(default_factory=lambda: {CAROL})
    prepared: dict[str, Tx] = field(default_factory=dict)
    receipts: dict[str, Receipt] = field(default_factory=dict)
    reverts: dict[str, RevertError] = field(default_factory=dict)
    known: set[str] = field(default_factory=set)
    automine: bool = True
    before_mining: Any = None  # called with the Tx before it is applied (races)
    calls: list[str] = field(default_factory=list)  # every transaction applied, by function
    account_nonces: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.blocks = [_fresh_hash() for _ in range(self.side.deploy_block)]

    # ----------------------------------------------------------- Endpoint's attributes

    @property
    def name(self) -> str:
        return self.side.name

    @property
    def chain_id(self) -> int:
        return self.side.chain_id

    @property
    def address(self) -> str:
        return self.side.endpoint

    # ----------------------------------------------------------- blocks

    def head(self) -> int:
        return len(self.blocks) - 1

    def block_hash(self, number: int) -> str | None:
        return self.blocks[number] if 0 <= number < len(self.blocks) else None

    def mine(self, count: int = 1) -> None:
        self.blocks += [_fresh_hash() for _ in range(count)]

    def reorg(self, depth: int) -> None:
        """Replace the last ``depth`` blocks (their logs are gone)."""
        cut = len(self.blocks) - depth
        self.logs = [log for log in self.logs if log.block_number < cut]
        self.blocks = self.blocks[:cut] + [_fresh_hash() for _ in range(depth)]

    def emit(self, event: str, address: str | None = None, **args: Any) -> Log:
        """A new block holding one ``event`` log."""
        self.mine()
        log = Log(
            event=event,
            args=args,
            address=address or self.address,
            block_number=self.head(),
            block_hash=self.blocks[-1],
            tx_hash="0x" + keccak(text=f"tx {self.blocks[-1]}").hex(),
            log_index=0,
        )
        self.logs.append(log)
        return log

    def events(self, name: str, from_block: int, to_block: int) -> list[Log]:
        return [
            log
            for log in self.logs
            if log.event == name and from_block <= log.block_number <= to_block
        ]

    # ----------------------------------------------------------- views

    def peer(self, chain_id: int) -> Peer:
        assert self.other is not None
        if chain_id == self.other.chain_id:
            return Peer(self.other.address, self.confirmations)
        return Peer(ZERO, 0)

    def validator_set(self) -> ValidatorSet:
        return ValidatorSet(tuple(self.validators), self.threshold, self.version)

    def inbound_status(self, message_id: bytes) -> InboundStatus:
        return self.inbound.get(message_id, InboundStatus.NONE)

    def outbound(self, nonce: int) -> Outbound:
        return self.outbounds.get(nonce, Outbound(OutboundStatus.NONE, b"\x00" * 32))

    def rate_limit(self, direction: Direction) -> RateLimit:
        return RateLimit(10**6, 1, self.available[direction])

    def totals(self, block: int | str = "latest") -> Totals:
        return Totals(self.sent, self.received, self.refunded)

    def custody_balance(self, block: int | str = "latest") -> int:
        assert self.side.custody is not None
        return self.held

    def token_supply(self, block: int | str = "latest") -> int:
        return self.held

    # ----------------------------------------------------------- contract behaviour

    def send(self, sender: str, recipient: str, amount: int) -> Message:
        """A holder sends ``amount`` to the other chain."""
        assert self.other is not None
        message = Message(
            TRANSFER,
            self.chain_id,
            self.other.chain_id,
            self.address,
            self.other.address,
            self.next_nonce,
            ISIN.encode(),
            sender,
            recipient,
            amount,
        )
        self.next_nonce += 1
        self.sent += amount
        self.held += amount if self.name == "home" else -amount  # lock, or burn
        if self.available[Direction.OUTBOUND] < amount:
            self.outbounds[message.nonce] = Outbound(OutboundStatus.QUEUED, message.abi_hash())
            self.emit("OutboundQueued", nonce=message.nonce, message=message.as_tuple())
        else:
            self._leave(message)
        return message

    def _leave(self, message: Message) -> None:
        self.available[Direction.OUTBOUND] -= message.amount
        self.outbounds[message.nonce] = Outbound(OutboundStatus.SENT, message.abi_hash())
        self.emit(
            "MessageSent",
            id=message.message_id(),
            nonce=message.nonce,
            message=message.as_tuple(),
        )

    def _check_signatures(self, message: Message, signatures: list[bytes]) -> None:
        previous = 0
        for index, signature in enumerate(signatures):
            signer = recover_signer(message.message_id(), signature)
            if int(signer, 16) <= previous:
                raise revert("SignersNotAscending", index=index, signer=signer)
            if signer not in self.validators:
                raise revert("NotValidator", index=index, signer=signer)
            previous = int(signer, 16)
        if len(signatures) < self.threshold:
            raise revert("BelowThreshold", signatures=len(signatures), threshold=self.threshold)

    def _apply(self, tx: Tx) -> None:
        """Run a transaction: raise RevertError, or change state and emit."""
        message = tx.message
        message_id = message.message_id()
        if tx.function == "sendQueued":
            if self.outbound(message.nonce).status != OutboundStatus.QUEUED:
                raise revert("NotQueuedOutbound", nonce=message.nonce)
            if self.available[Direction.OUTBOUND] < message.amount:
                raise revert("RateLimited", direction=0, amount=message.amount)
            self._leave(message)
            return
        if (message.destination_chain_id, message.destination_bridge) != (
            self.chain_id,
            self.address,
        ):
            raise revert("WrongChain", expected=self.chain_id, actual=message.destination_chain_id)
        if tx.function == "execute":
            assert tx.signatures is not None
            status = self.inbound_status(message_id)
            if status != InboundStatus.NONE:
                raise revert("AlreadyProcessed", id=message_id, status=int(status))
            self._check_signatures(message, tx.signatures)
            if message.recipient in self.refused:
                self.inbound[message_id] = InboundStatus.FAILED
                self.emit(
                    "TransferFailed",
                    id=message_id,
                    message=message.as_tuple(),
                    reason=b"refused".ljust(32, b"\0"),
                )
            elif self.available[Direction.INBOUND] < message.amount:
                self.inbound[message_id] = InboundStatus.QUEUED
                self.emit("InboundQueued", id=message_id, message=message.as_tuple())
            else:
                self._deliver(message)
        elif tx.function == "executeQueued":
            if self.inbound_status(message_id) != InboundStatus.QUEUED:
                raise revert("NotQueued", id=message_id)
            if self.available[Direction.INBOUND] < message.amount:
                raise revert("RateLimited", direction=1, amount=message.amount)
            self._deliver(message)
        elif tx.function == "reclaim":
            assert tx.signatures is not None and message.kind == REFUND
            status = self.inbound_status(message_id)
            if status != InboundStatus.NONE:
                raise revert("AlreadyProcessed", id=message_id, status=int(status))
            self._check_signatures(message, tx.signatures)
            if self.outbound(message.nonce).status != OutboundStatus.SENT:
                raise revert("UnknownOutbound", nonce=message.nonce)
            self.inbound[message_id] = InboundStatus.EXECUTED
            self.outbounds[message.nonce] = Outbound(
                OutboundStatus.REFUNDED, self.outbounds[message.nonce].message_hash
            )
            self.refunded += message.amount
            self.held += -message.amount if self.name == "home" else message.amount
            self.emit("Refunded", nonce=message.nonce, sender=message.sender, amount=message.amount)
        else:
            raise AssertionError(tx.function)

    def _deliver(self, message: Message) -> None:
        self.available[Direction.INBOUND] -= message.amount
        self.inbound[message.message_id()] = InboundStatus.EXECUTED
        self.received += message.amount
        self.held += -message.amount if self.name == "home" else message.amount
        self.emit("MessageExecuted", id=message.message_id(), message=message.as_tuple())

    # ----------------------------------------------------------- transactions

    def prepare(
        self,
        account: Any,
        function: str,
        message: Message,
        signatures: list[bytes] | None = None,
    ) -> Prepared:
        tx = Tx(function, message, signatures, account.address)
        snapshot = self._state()
        try:
            self._apply(tx)  # the gas estimate: run it, then roll back
        finally:
            self._restore(snapshot)
        nonce = self.account_nonces.get(account.address, 0)  # the node's pending count
        signed = f"{self.name} {account.address} {nonce} {function} {message.id_hex}"
        tx_hash = "0x" + keccak(text=signed).hex()  # signing again gives the same transaction
        self.prepared[tx_hash] = tx
        return Prepared(tx_hash, b"", account.address, nonce, 100_000, function)

    def broadcast(self, prepared: Prepared) -> str:
        if prepared.tx_hash not in self.known:
            self.account_nonces[prepared.sender] = prepared.nonce + 1
        self.known.add(prepared.tx_hash)
        if self.automine:
            self.mine_pending(prepared.tx_hash)
        return prepared.tx_hash

    def mine_pending(self, tx_hash: str) -> None:
        tx = self.prepared[tx_hash]
        if self.before_mining is not None:
            self.before_mining(tx)
        try:
            self._apply(tx)
            self.calls.append(tx.function)
            status = 1
        except RevertError as error:
            self.mine()
            self.reverts[tx_hash] = error
            status = 0
        self.receipts[tx_hash] = Receipt(tx_hash, status, self.head(), 50_000, ())

    def receipt(self, tx_hash: str) -> Receipt | None:
        return self.receipts.get(tx_hash)

    def is_known(self, tx_hash: str) -> bool:
        return tx_hash in self.known

    def wait(self, tx_hash: str, timeout: float) -> Receipt:
        receipt = self.receipts.get(tx_hash)
        if receipt is None:
            raise MiningTimeoutError(tx_hash, timeout)
        return receipt

    def revert_of(self, receipt: Receipt) -> RevertError:
        return self.reverts[receipt.tx_hash]

    def _state(self) -> tuple[Any, ...]:
        return (
            dict(self.inbound),
            dict(self.outbounds),
            dict(self.available),
            self.sent,
            self.received,
            self.refunded,
            self.held,
            list(self.blocks),
            list(self.logs),
        )

    def _restore(self, state: tuple[Any, ...]) -> None:
        (
            self.inbound,
            self.outbounds,
            self.available,
            self.sent,
            self.received,
            self.refunded,
            self.held,
            self.blocks,
            self.logs,
        ) = state


class FakeBridge:
    """Both ends, wired to each other: 2-of-3 validators, 2 confirmations on each side."""

    def __init__(self, confirmations: int = 2, threshold: int = 2) -> None:
        self.deployment = deployment()
        self.home = FakeEndpoint(self.deployment.home, list(VALIDATORS), threshold, confirmations)
        self.remote = FakeEndpoint(
            self.deployment.remote, list(VALIDATORS), threshold, confirmations
        )
        self.home.other, self.remote.other = self.remote, self.home

    @property
    def endpoints(self) -> dict[str, FakeEndpoint]:
        return {"home": self.home, "remote": self.remote}

    def confirm(self, blocks: int = 2) -> None:
        """Mine ``blocks`` on both chains, so what happened so far is confirmed."""
        self.home.mine(blocks)
        self.remote.mine(blocks)

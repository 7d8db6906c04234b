"""One end of the bridge on its chain, through ``securities_rails.chain.rpc``, with typed results.

The validator, relayer and reconciler use only the methods of ``Endpoint``; tests substitute an
object with the same methods.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from functools import cache
from typing import Any

from eth_account.signers.local import LocalAccount
from eth_utils import to_checksum_address
from requests import RequestException

from securities_rails.bridge.deployment import BridgeSide
from securities_rails.bridge.messages import Message
from securities_rails.chain import rpc_batch
from securities_rails.chain.rpc import (
    ABI,
    Chain,
    Log,
    Prepared,
    Receipt,
    RevertError,
    load_abi,
    merge_abis,
)
from securities_rails.errors import UserError


class Direction(IntEnum):
    OUTBOUND = 0
    INBOUND = 1


class InboundStatus(IntEnum):
    NONE = 0
    EXECUTED = 1
    QUEUED = 2
    FAILED = 3


class OutboundStatus(IntEnum):
    NONE = 0
    QUEUED = 1
    SENT = 2
    REFUNDED = 3


@dataclass(frozen=True)
class Peer:
    bridge: str
    confirmations: int


@dataclass(frozen=True)
class ValidatorSet:
    validators: tuple[str, ...]
    threshold: int
    version: int


@dataclass(frozen=True)
class Outbound:
    status: OutboundStatus
    message_hash: bytes


@dataclass(frozen=True)
class RateLimit:
    capacity: int
    rate_per_second: int
    available: int


@dataclass(frozen=True)
class Totals:
    sent: int
    received: int
    refunded: int


# Gas limit floors: `execute` estimated while the inbound bucket is a few units short takes the
# cheap queue path, yet mined a block later the bucket has refilled and it delivers (mint or
# release from custody, about 200,000 gas for a first-time holder). The limit must cover that.
DELIVERY_GAS_FLOOR = 240_000
DELIVERING = ("execute", "executeQueued", "reclaim")


def min_gas(function: str) -> int:
    """The least gas limit a call of ``function`` is sent with."""
    return DELIVERY_GAS_FLOOR if function in DELIVERING else 0


@cache
def endpoint_abi() -> ABI:
    """The endpoint's ABI, with the instrument's errors so that a bubbled revert decodes."""
    return merge_abis(load_abi("IBridgeEndpoint"), load_abi("IInstrumentErrors"))


@cache
def token_abi() -> ABI:
    return load_abi("ISecurityToken")


@cache
def custody_abi() -> ABI:
    return load_abi("IBridgeCustody")


class Endpoint:
    """A bridge endpoint (and its token and custody) on one chain."""

    def __init__(self, side: BridgeSide, chain: Chain | None = None) -> None:
        self.side = side
        self.name = side.name
        self.chain_id = side.chain_id
        self.address = side.endpoint
        self.chain = chain or Chain(side.rpc, name=side.name)
        self.contract = self.chain.contract(side.endpoint, endpoint_abi())

    def check_chain(self) -> None:
        """Refuse a node on another chain than the deployment says (UserError)."""
        try:
            actual = self.chain.chain_id
        except RequestException as error:
            raise UserError(
                f"deployment.{self.name}.rpc",
                f"cannot reach {self.side.rpc}: {type(error).__name__}",
            ) from None
        if actual != self.chain_id:
            raise UserError(
                f"deployment.{self.name}.rpc",
                f"{self.side.rpc} serves chain {actual}, not {self.chain_id}",
            )

    # --------------------------------------------------------------- blocks and events

    def head(self) -> int:
        return self.chain.head()

    def block_hash(self, number: int) -> str | None:
        return self.chain.block_hash(number)

    def events(self, name: str, from_block: int, to_block: int) -> list[Log]:
        """``Contract.logs`` of the endpoint, decoded by ``rpc_batch.event_logs`` (the same
        logs, faster: a validator decodes every transfer of every block)."""
        return rpc_batch.event_logs(self.contract, name, from_block, to_block)

    # --------------------------------------------------------------- views

    def peer(self, chain_id: int) -> Peer:
        bridge, confirmations = self.contract.call("peer", chain_id)
        return Peer(to_checksum_address(bridge), int(confirmations))

    def validator_set(self) -> ValidatorSet:
        validators, threshold, version = self.contract.call("validatorSet")
        return ValidatorSet(
            tuple(to_checksum_address(v) for v in validators), int(threshold), int(version)
        )

    def inbound_status(self, message_id: bytes) -> InboundStatus:
        return InboundStatus(int(self.contract.call("inboundStatus", message_id)))

    def outbound(self, nonce: int) -> Outbound:
        status, message_hash = self.contract.call("outbound", nonce)
        return Outbound(OutboundStatus(int(status)), bytes(message_hash))

    def rate_limit(self, direction: Direction) -> RateLimit:
        limit, available = self.contract.call("rateLimit", int(direction))
        capacity, rate = limit
        return RateLimit(int(capacity), int(rate), int(available))

    def totals(self, block: int | str = "latest") -> Totals:
        sent, received, refunded = self.contract.call("totals", block=block)
        return Totals(int(sent), int(received), int(refunded))

    def message_id(self, message: Message) -> bytes:
        """The id the contract computes for ``message``."""
        return bytes(self.contract.call("messageId", message.as_tuple()))

    def token_supply(self, block: int | str = "latest") -> int:
        token = self.chain.contract(self.side.token, token_abi())
        return int(token.call("totalSupply", block=block))

    def custody_balance(self, block: int | str = "latest") -> int:
        if self.side.custody is None:
            raise UserError(f"deployment.{self.name}.custody", "this side has no custody")
        custody = self.chain.contract(self.side.custody, custody_abi())
        return int(custody.call("balance", block=block))

    # --------------------------------------------------------------- transactions

    def prepare(
        self,
        account: LocalAccount,
        function: str,
        message: Message,
        signatures: list[bytes] | None = None,
    ) -> Prepared:
        """Sign ``function(message[, signatures])``; raises RevertError if it would revert."""
        args: list[Any] = [message.as_tuple()]
        if signatures is not None:
            args.append(signatures)
        return self.contract.prepare(account, function, *args, min_gas=min_gas(function))

    def broadcast(self, prepared: Prepared) -> str:
        return self.chain.broadcast(prepared)

    def receipt(self, tx_hash: str) -> Receipt | None:
        return self.chain.receipt(tx_hash)

    def is_known(self, tx_hash: str) -> bool:
        return self.chain.is_known(tx_hash)

    def wait(self, tx_hash: str, timeout: float) -> Receipt:
        return self.chain.wait(tx_hash, timeout)

    def revert_of(self, receipt: Receipt) -> RevertError:
        return self.contract.revert_of(receipt)

    # --------------------------------------------------------------- batches (pipelined relayer)

    def inbound_statuses(self, message_ids: Sequence[bytes]) -> list[InboundStatus]:
        """``inbound_status`` of each id, in one request."""
        results = rpc_batch.view_many(self.contract, "inboundStatus", [[i] for i in message_ids])
        for result in results:
            if isinstance(result, RevertError):
                raise result
        return [InboundStatus(int(result)) for result in results]

    def pending_nonce(self, address: str) -> int:
        """The next nonce of ``address``, counting its transactions in the node's pool."""
        return rpc_batch.pending_nonce(self.chain, address)

    def prepare_batch(
        self,
        account: LocalAccount,
        calls: Sequence[tuple[str, Message, list[bytes] | None]],
        nonce: int,
        each: Sequence[bool] | None = None,
    ) -> list[Prepared | RevertError]:
        """Sign each ``(function, message, signatures)`` call with consecutive nonces from
        ``nonce``; one that would revert gets its RevertError (and no nonce) instead. Gas:
        ``rpc_batch.prepare_many`` (``each``: which calls are estimated on their own)."""
        arguments = [
            (function, [message.as_tuple()] + ([signatures] if signatures is not None else []))
            for function, message, signatures in calls
        ]
        floor = max((min_gas(function) for function, _, _ in calls), default=0)
        return rpc_batch.prepare_many(
            self.contract, account, arguments, nonce, each=each, min_gas=floor
        )

    def broadcast_batch(self, prepared: Sequence[Prepared]) -> list[str | None]:
        """Send each transaction: None when the node has it, else why it refused it."""
        return rpc_batch.broadcast_many(self.chain, prepared)

    def receipts(self, tx_hashes: Sequence[str]) -> list[Receipt | None]:
        """The receipt of each transaction (None while pending or unknown), in one request."""
        return rpc_batch.receipts_many(self.chain, tx_hashes)

    def known(self, tx_hashes: Sequence[str]) -> list[bool]:
        """Whether the node knows each transaction, in one request."""
        return rpc_batch.known_many(self.chain, tx_hashes)

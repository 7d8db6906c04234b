"""What a holder, a guardian, compliance and the admin do on one end of the bridge (through ape).

Each function is called with that end's chain connected (``chain.networks.connected``) and
checks everything it can on the chain before sending: a refused action names what is wrong and
sends nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ape import project

from securities_rails.bridge.deployment import BridgeDeployment, BridgeSide
from securities_rails.bridge.endpoint import Endpoint, token_abi
from securities_rails.bridge.messages import Message
from securities_rails.chain.contracts import token_at
from securities_rails.chain.transact import send
from securities_rails.errors import UserError
from securities_rails.reasons import describe, is_success

DIRECTIONS = {"outbound": 0, "inbound": 1}
STATUS_IN = ("none", "executed", "queued", "failed")
STATUS_OUT = ("none", "queued", "sent", "refunded")
ZERO = "0x" + "00" * 20


def endpoint_at(side: BridgeSide) -> Any:
    """The ape contract of `side`'s endpoint (its chain must be connected)."""
    return (project.BridgeLock if side.name == "home" else project.BridgeMint).at(side.endpoint)


def direction_index(name: str) -> int:
    if name not in DIRECTIONS:
        raise UserError("direction", f"{name!r} is neither outbound nor inbound")
    return DIRECTIONS[name]


@dataclass(frozen=True)
class Sent:
    """A transfer taken by `send`: its nonce, message and id, and whether it left or is queued."""

    nonce: int
    message: Message
    message_id: str
    queued: bool
    tx_hash: str
    block: int


def _code(code: Any) -> int:
    return code[0] if isinstance(code, bytes | bytearray) else int(code)


def _delivering_account(side: BridgeSide) -> str:
    """Where delivered units come from: custody on the home chain, a mint (zero) remotely."""
    return side.custody if side.custody is not None else ZERO


def _holding_account(side: BridgeSide) -> str:
    """Where `send` moves the units first: custody on the home chain, the endpoint remotely."""
    return side.custody if side.custody is not None else side.endpoint


def check_send(
    deployment: BridgeDeployment, side: BridgeSide, sender: str, recipient: str, amount: int
) -> None:
    """Everything `send` would refuse, checked on the source chain first."""
    endpoint = endpoint_at(side)
    token = token_at(side.token)
    if int(recipient, 16) == 0:
        raise UserError("to", "the recipient is the zero address")
    maximum = int(endpoint.maxTransfer())
    if not 0 < amount <= maximum:
        raise UserError("amount", f"{amount} is not between 1 and the maximum {maximum}")
    if endpoint.paused(DIRECTIONS["outbound"]):
        raise UserError("side", f"the {side.name} end is paused for outbound transfers")
    other = deployment.other(side)
    if int(endpoint.peer(other.chain_id).bridge, 16) == 0:
        raise UserError("side", f"the {side.name} end has no peer on chain {other.chain_id}")
    available = int(token.balanceOf(sender)) - int(token.frozenTokens(sender))
    if available < amount:
        raise UserError("amount", f"{sender} has {available} transferable units, not {amount}")
    code, reason = token.canTransfer(sender, _holding_account(side), amount)
    if not is_success(_code(code)):
        raise UserError(
            "amount", f"the {side.name} token refuses the transfer: {describe(_code(code), reason)}"
        )
    # The destination's rules, asked now: a transfer they refuse would fail there and come back
    # as a refund. (They may still change before delivery; the refund path covers that.)
    destination = Endpoint(other)
    mirror = destination.chain.contract(other.token, token_abi())
    code, reason = mirror.call("canTransfer", _delivering_account(other), recipient, amount)
    if not is_success(_code(code)):
        raise UserError(
            "to",
            f"the {other.name} token would refuse {recipient}: {describe(_code(code), reason)}",
        )


def send_transfer(
    deployment: BridgeDeployment, side: BridgeSide, account: Any, recipient: str, amount: int
) -> Sent:
    """Approve (when needed) and send `amount` units from `account` to `recipient` on the other
    chain."""
    check_send(deployment, side, account.address, recipient, amount)
    endpoint = endpoint_at(side)
    token = token_at(side.token)
    other = deployment.other(side)
    if int(token.allowance(account.address, endpoint.address)) < amount:
        send(token.approve, endpoint.address, amount, sender=account, field="approve")
    receipt = send(endpoint.send, other.chain_id, recipient, amount, sender=account, field="send")
    for log in receipt.decode_logs():
        if log.event_name in ("MessageSent", "OutboundQueued"):
            message = Message.from_tuple(tuple(log.message))
            return Sent(
                nonce=int(log.nonce),
                message=message,
                message_id=message.id_hex,
                queued=log.event_name == "OutboundQueued",
                tx_hash=str(receipt.txn_hash),
                block=int(receipt.block_number),
            )
    raise UserError("send", f"transaction {receipt.txn_hash} emitted no bridge message")


def pause(side: BridgeSide, direction: str, account: Any) -> None:
    endpoint = endpoint_at(side)
    index = direction_index(direction)
    if endpoint.paused(index):
        raise UserError("direction", f"{side.name} {direction} is paused already")
    if not (
        endpoint.hasRole(endpoint.GUARDIAN_ROLE(), account.address)
        or endpoint.hasRole(b"\x00" * 32, account.address)
    ):
        raise UserError(
            "account", f"{account.address} is neither guardian nor admin on {side.name}"
        )
    send(endpoint.pause, index, sender=account, field="pause")


def unpause(side: BridgeSide, direction: str, account: Any) -> None:
    endpoint = endpoint_at(side)
    index = direction_index(direction)
    if not endpoint.paused(index):
        raise UserError("direction", f"{side.name} {direction} is not paused")
    if not endpoint.hasRole(b"\x00" * 32, account.address):
        raise UserError(
            "account", f"{account.address} is not the admin on {side.name}: only the admin unpauses"
        )
    send(endpoint.unpause, index, sender=account, field="unpause")


def set_limit(side: BridgeSide, direction: str, capacity: int, rate: int, account: Any) -> None:
    """Set a rate limit: a guardian may only lower it; raising goes through the governor."""
    endpoint = endpoint_at(side)
    index = direction_index(direction)
    (current_capacity, current_rate), _available = endpoint.rateLimit(index)
    raising = capacity > int(current_capacity) or rate > int(current_rate)
    if capacity <= 0:
        raise UserError("capacity", "rate limits are always on: capacity must be above 0")
    if capacity < int(endpoint.maxTransfer()):
        raise UserError(
            "capacity", f"below the per-transfer maximum {endpoint.maxTransfer()}: lower that first"
        )
    governor = endpoint.hasRole(endpoint.GOVERNOR_ROLE(), account.address)
    if raising and not governor:
        raise UserError(
            "capacity",
            f"raising the {direction} limit goes through the governor (timelock): "
            "schedule it with `validators propose`-style governance",
        )
    if not governor and not endpoint.hasRole(endpoint.GUARDIAN_ROLE(), account.address):
        raise UserError("account", f"{account.address} is neither guardian nor governor")
    send(endpoint.setRateLimit, index, capacity, rate, sender=account, field="limit")


def return_queued(side: BridgeSide, message: Message, reason: str, account: Any) -> None:
    """Compliance: refuse a queued inbound transfer, so that its sender reclaims it."""
    endpoint = endpoint_at(side)
    if not endpoint.hasRole(endpoint.COMPLIANCE_ROLE(), account.address):
        raise UserError("account", f"{account.address} lacks the compliance role on {side.name}")
    status = STATUS_IN[int(endpoint.inboundStatus(message.message_id()))]
    if status != "queued":
        raise UserError("nonce", f"the transfer is {status} on {side.name}, not queued")
    encoded = reason.encode()
    if len(encoded) > 32:
        raise UserError("reason", "at most 32 bytes")
    send(
        endpoint.returnQueued,
        message.as_tuple(),
        encoded.ljust(32, b"\x00"),
        sender=account,
        field="return",
    )


def reclaim(side: BridgeSide, refund: Message, signatures: list[bytes], account: Any) -> None:
    """Pay back a failed transfer on its source (`side`), with the refund's signatures."""
    endpoint = endpoint_at(side)
    status, _hash = endpoint.outbound(refund.nonce)
    if STATUS_OUT[int(status)] != "sent":
        raise UserError("nonce", f"transfer {refund.nonce} is {STATUS_OUT[int(status)]} here")
    send(endpoint.reclaim, refund.as_tuple(), signatures, sender=account, field="reclaim")

"""Governed changes to one end of the bridge, through that chain's timelock.

The endpoint's governor role (validator set and threshold, peers, raising limits) is held by the
chain's ``SuiteTimelock`` (an OpenZeppelin ``TimelockController``). A change is ``propose``d
(scheduled: visible on-chain for the whole delay) and ``execute``d once ready. The operation's
salt is derived from its call, so the same command line finds the same operation again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_utils import keccak

from securities_rails.chain.contracts import pending_timestamp
from securities_rails.chain.proxies import EXECUTOR_ROLE, PROPOSER_ROLE, ZERO_ADDRESS, timelock_at
from securities_rails.chain.transact import send
from securities_rails.errors import UserError

STATES = ("unset", "waiting", "ready", "done")  # TimelockController.OperationState
ZERO_HASH = b"\x00" * 32


@dataclass(frozen=True)
class Proposal:
    """A scheduled call on an endpoint."""

    operation: str
    target: str
    data: bytes
    state: str
    ready_at: int


def _operation(timelock: Any, target: str, data: bytes) -> tuple[bytes, bytes]:
    salt = keccak(data)
    operation = bytes(timelock.hashOperation(target, 0, data, ZERO_HASH, salt))
    return operation, salt


def governor_timelock(endpoint: Any, timelock_address: str) -> Any:
    """The timelock, checked to hold the endpoint's governor role."""
    timelock = timelock_at(timelock_address)
    if not endpoint.hasRole(endpoint.GOVERNOR_ROLE(), timelock.address):
        raise UserError(
            "timelock", f"{timelock.address} is not the governor of the endpoint {endpoint.address}"
        )
    return timelock


def status(timelock: Any, target: str, data: bytes) -> Proposal:
    """Where the operation of this call stands on the timelock."""
    operation, _salt = _operation(timelock, target, data)
    state = STATES[int(timelock.getOperationState(operation))]
    ready_at = int(timelock.getTimestamp(operation))
    return Proposal("0x" + operation.hex(), target, data, state, ready_at)


def propose(timelock: Any, target: str, data: bytes, account: Any) -> Proposal:
    """Schedule the call with the timelock's minimum delay (proposer role)."""
    current = status(timelock, target, data)
    if current.state != "unset":
        raise UserError("proposal", f"operation {current.operation} is {current.state} already")
    if not timelock.hasRole(PROPOSER_ROLE, account.address):
        raise UserError("account", f"{account.address} is not a proposer on {timelock.address}")
    _operation_id, salt = _operation(timelock, target, data)
    delay = int(timelock.getMinDelay())
    send(
        timelock.schedule, target, 0, data, ZERO_HASH, salt, delay, sender=account, field="timelock"
    )
    return status(timelock, target, data)


def execute(timelock: Any, target: str, data: bytes, account: Any) -> Proposal:
    """Execute the scheduled call once it is ready (executor role)."""
    current = status(timelock, target, data)
    if current.state == "unset":
        raise UserError("proposal", "no such operation is scheduled: propose it first")
    if current.state == "waiting":
        left = max(0, current.ready_at - pending_timestamp())
        raise UserError("proposal", f"operation {current.operation} is ready in {left} s")
    if current.state == "done":
        raise UserError("proposal", f"operation {current.operation} was executed already")
    if not (
        timelock.hasRole(EXECUTOR_ROLE, account.address)
        or timelock.hasRole(EXECUTOR_ROLE, ZERO_ADDRESS)
    ):
        raise UserError("account", f"{account.address} is not an executor on {timelock.address}")
    _operation_id, salt = _operation(timelock, target, data)
    send(timelock.execute, target, 0, data, ZERO_HASH, salt, sender=account, field="timelock")
    return status(timelock, target, data)


def validator_call(endpoint: Any, validators: list[str], threshold: int) -> bytes:
    """Calldata of setValidators, checked as the contract checks it."""
    if not validators:
        raise UserError("validator", "give at least one validator")
    if len({v.lower() for v in validators}) != len(validators):
        raise UserError("validator", "a validator is listed twice")
    if not 0 < threshold <= len(validators):
        raise UserError("threshold", f"must be between 1 and {len(validators)}, got {threshold}")
    return bytes(endpoint.setValidators.encode_input(validators, threshold))

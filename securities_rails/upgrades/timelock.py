"""Upgrades through a timelock (OpenZeppelin's TimelockController, deployed as SuiteTimelock).

The timelock holds ``UPGRADER_ROLE`` on the proxies (``grant``); then an upgrade is:

1. ``schedule``: the plan (``apply.plan_upgrade`` with the timelock as executor) passes every
   check, the new implementation is deployed (once), and one operation carrying an
   ``upgradeToAndCall`` per proxy (and the factory's ``setImplementation`` when the timelock is
   the factory's admin) is scheduled by a proposer; it is recorded with its id and ready time;
2. ``pending``: the recorded operations with their state on the chain;
3. ``execute`` after the delay, by an executor: refused while the operation is not ready, or when
   a proxy no longer points to the implementation it had when scheduled; each upgrade is recorded
   as the direct path records it, with ``via`` the timelock;
4. ``cancel``, by a canceller (proposers are cancellers), before execution.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from eth_utils import keccak, to_checksum_address

from securities_rails.chain.contracts import ADMIN_ROLE, block_height, has_code, pending_timestamp
from securities_rails.chain.journal import Deployed, Hook, deploy_once, no_hook
from securities_rails.chain.proxies import (
    CANCELLER_ROLE,
    EXECUTOR_ROLE,
    PROPOSER_ROLE,
    UPGRADER_ROLE,
    ZERO_ADDRESS,
    implementation_of,
    timelock_at,
    timelock_container,
    uups_at,
)
from securities_rails.chain.transact import send
from securities_rails.deployments import (
    DeploymentRecord,
    TimelockCall,
    TimelockOperation,
    UpgradeEntry,
)
from securities_rails.errors import UserError
from securities_rails.suite import Suite
from securities_rails.upgrades.apply import (
    FACTORY_SUBJECT,
    UpgradePlan,
    UpgradeResult,
    deploy_implementation,
    parse_target,
    record_factory_implementation,
    resolve_targets,
)

STEP = "SuiteTimelock"
ZERO_HASH = b"\x00" * 32
STATES = ("unset", "waiting", "ready", "done")  # TimelockController.OperationState
Log = Callable[[str], None]


def _quiet(_: str) -> None:
    return None


@dataclass(frozen=True)
class OperationView:
    """A recorded operation with what the chain says of it now."""

    operation: TimelockOperation
    state: str  # unset (cancelled), waiting, ready, done
    seconds_left: int


# ---------------------------------------------------------------------------- the timelock


def deploy_timelock(
    record: DeploymentRecord,
    account: Any,
    delay: int,
    proposers: Sequence[str],
    executors: Sequence[str],
    admin: str | None = None,
    *,
    log: Log = _quiet,
    hook: Hook = no_hook,
) -> str:
    """Deploy the suite's timelock (once per chain, journaled) and record it as SuiteTimelock."""
    if delay < 0:
        raise UserError("delay", "must be zero or more seconds")
    if not proposers:
        raise UserError("proposer", "give at least one proposer")

    def save(deployed: Deployed) -> None:
        record.set_contract(
            STEP, address=deployed.address, tx_hash=deployed.tx_hash, block=deployed.block
        )

    args = (delay, list(proposers), list(executors), admin or ZERO_ADDRESS)
    deployed = deploy_once(
        record, STEP, timelock_container(), account, *args, save=save, log=log, hook=hook
    )
    if deployed.fresh:
        log(f"{STEP}: deployed at {deployed.address} (minimum delay {delay} s)")
    return deployed.address


def timelock_of(record: DeploymentRecord) -> Any:
    """The recorded timelock; a UserError when there is none on the connected chain."""
    entry = record.contracts.get(STEP)
    if entry is None or not has_code(entry.address):
        raise UserError(
            "timelock",
            f"no timelock on chain {record.chain_id}: run `ape run upgrade timelock deploy`",
        )
    return timelock_at(entry.address)


def grant(
    suite: Suite,
    target: str | None,
    account: Any,
    *,
    all_instruments: bool = False,
    renounce: bool = False,
    log: Log = _quiet,
) -> list[str]:
    """Give the timelock UPGRADER_ROLE on the target proxies (sent by a holder of that role,
    which administers itself); ``renounce``: the account then gives up its own."""
    timelock = timelock_of(suite.record).address
    kind, isin = parse_target(target, all_instruments)
    targets, _ = resolve_targets(suite, kind, isin)
    proxies = [(t.label, uups_at(t.address)) for t in targets]
    missing = [label for label, proxy in proxies if not proxy.hasRole(UPGRADER_ROLE, account)]
    if missing:
        raise UserError("account", f"{account.address} lacks UPGRADER_ROLE on {', '.join(missing)}")
    for label, proxy in proxies:
        if not proxy.hasRole(UPGRADER_ROLE, timelock):
            send(proxy.grantRole, UPGRADER_ROLE, timelock, sender=account, field=label)
            log(f"{label}: the timelock {timelock} holds UPGRADER_ROLE")
        if renounce:
            send(proxy.renounceRole, UPGRADER_ROLE, account, sender=account, field=label)
            log(f"{label}: {account.address} renounced UPGRADER_ROLE")
    return [label for label, _ in proxies]


# ---------------------------------------------------------------------------- schedule


def schedule(
    plan: UpgradePlan,
    account: Any,
    *,
    salt: str | None = None,
    delay: int | None = None,
    log: Log = _quiet,
    hook: Hook = no_hook,
) -> TimelockOperation:
    """Deploy the plan's implementation and schedule its upgrade calls on the timelock."""
    record = plan.record
    timelock = timelock_of(record)
    if plan.executor is None or plan.executor.lower() != timelock.address.lower():
        raise UserError("timelock", f"the plan was checked for {plan.executor}, not the timelock")
    if not plan.ok:
        raise plan.refusal()
    if not timelock.hasRole(PROPOSER_ROLE, account):
        raise UserError(
            "account", f"{account.address} lacks PROPOSER_ROLE on the timelock {timelock.address}"
        )
    minimum = int(timelock.getMinDelay())
    delay = minimum if delay is None else delay
    if delay < minimum:
        raise UserError("delay", f"{delay} s is below the timelock's minimum delay of {minimum} s")
    if not plan.targets and not plan.set_factory:
        raise UserError("target", "nothing to schedule: " + plan.checks[-1].summary)
    result = deploy_implementation(plan, account, log=log, hook=hook)
    calls = _calls(plan, result)
    if not calls:
        raise UserError("target", f"every target is on {result.implementation} already")
    salt_bytes = (
        keccak(text=salt) if salt else keccak(text=f"{result.implementation}:{block_height()}")
    )
    targets = [c.target for c in calls]
    datas = [bytes.fromhex(c.data[2:]) for c in calls]
    if len(calls) == 1:
        op_id = timelock.hashOperation(targets[0], 0, datas[0], ZERO_HASH, salt_bytes)
    else:
        op_id = timelock.hashOperationBatch(targets, [0] * len(calls), datas, ZERO_HASH, salt_bytes)
    op_hex = _hex(op_id)
    if timelock.isOperation(op_id):
        raise UserError("salt", f"operation {op_hex} exists on the timelock already: give --salt")
    if len(calls) == 1:
        receipt = send(
            timelock.schedule,
            targets[0],
            0,
            datas[0],
            ZERO_HASH,
            salt_bytes,
            delay,
            sender=account,
            field="timelock",
        )
    else:
        receipt = send(
            timelock.scheduleBatch,
            targets,
            [0] * len(calls),
            datas,
            ZERO_HASH,
            salt_bytes,
            delay,
            sender=account,
            field="timelock",
        )
    operation = TimelockOperation(
        id=op_hex,
        timelock=timelock.address,
        calls=tuple(calls),
        implementation=result.implementation,
        contract=result.contract,
        layout_hash=result.layout_hash,
        predecessor=_hex(ZERO_HASH),
        salt=_hex(salt_bytes),
        ready_at=int(timelock.getTimestamp(op_id)),
        tx_hash=_hex(receipt.txn_hash),
        block=int(receipt.block_number),
        version=result.version,
    )
    record.operations[op_hex] = operation
    record.save()
    log(f"operation {op_hex} scheduled: {len(calls)} call(s), ready at {operation.ready_at}")
    return operation


def _calls(plan: UpgradePlan, result: UpgradeResult) -> list[TimelockCall]:
    calls = []
    for target in plan.targets:
        if implementation_of(target.address) == result.implementation:
            continue
        data = uups_at(target.address).upgradeToAndCall.encode_input(
            result.implementation, plan.call_data
        )
        calls.append(TimelockCall(target.subject, target.address, _hex(data), target.current))
    if plan.set_factory and str(plan.suite.factory.implementation()) != result.implementation:
        data = plan.suite.factory.setImplementation.encode_input(result.implementation)
        factory = plan.suite.factory.address
        calls.append(TimelockCall(FACTORY_SUBJECT, factory, _hex(data), plan.factory_current))
    return calls


# ---------------------------------------------------------------------------- the operations


def find(record: DeploymentRecord, operation: str) -> TimelockOperation:
    """A recorded operation by id, or by a unique prefix of it."""
    key = operation.strip().lower()
    found = [op for op_id, op in record.operations.items() if op_id.startswith(key)]
    if not found:
        raise UserError("operation", f"no recorded timelock operation {operation}")
    if len(found) > 1:
        raise UserError("operation", f"{operation} matches {len(found)} operations: give more")
    return found[0]


def views(record: DeploymentRecord, *, all_: bool = False) -> list[OperationView]:
    """The recorded operations (pending ones only, unless ``all_``) with their chain state."""
    now = pending_timestamp()
    rows = []
    for op in record.operations.values():
        if op.status != "pending" and not all_:
            continue
        state = STATES[int(timelock_at(op.timelock).getOperationState(op.id))]
        rows.append(OperationView(op, state, max(0, op.ready_at - now)))
    return rows


def execute(record: DeploymentRecord, operation: str, account: Any, *, log: Log = _quiet) -> Any:
    """Execute a ready operation and record each upgrade it makes."""
    op = find(record, operation)
    timelock = timelock_at(op.timelock)
    _require_state(timelock, op, ("ready",), "executed")
    if not (
        timelock.hasRole(EXECUTOR_ROLE, account) or timelock.hasRole(EXECUTOR_ROLE, ZERO_ADDRESS)
    ):
        raise UserError(
            "account", f"{account.address} lacks EXECUTOR_ROLE on the timelock {timelock.address}"
        )
    _require_unchanged(op)
    targets = [c.target for c in op.calls]
    datas = [bytes.fromhex(c.data[2:]) for c in op.calls]
    salt = bytes.fromhex(op.salt[2:])
    predecessor = bytes.fromhex(op.predecessor[2:])
    if len(op.calls) == 1:
        receipt = send(
            timelock.execute,
            targets[0],
            0,
            datas[0],
            predecessor,
            salt,
            sender=account,
            field="timelock",
        )
    else:
        receipt = send(
            timelock.executeBatch,
            targets,
            [0] * len(targets),
            datas,
            predecessor,
            salt,
            sender=account,
            field="timelock",
        )
    result = UpgradeResult(op.contract, op.implementation, op.version, op.layout_hash, False)
    for call in op.calls:
        if call.subject == FACTORY_SUBJECT:
            record_factory_implementation(record, result)
            continue
        upgrade = UpgradeEntry(
            implementation=op.implementation,
            tx_hash=_hex(receipt.txn_hash),
            block=int(receipt.block_number),
            version=op.version,
            layout_hash=op.layout_hash,
            via=op.timelock,
        )
        record.record_upgrade(call.subject, upgrade)
    record.operations[op.id] = replace(op, status="executed", closed_tx_hash=_hex(receipt.txn_hash))
    record.save()
    log(f"operation {op.id} executed: {len(op.calls)} call(s) (block {receipt.block_number})")
    return receipt


def cancel(record: DeploymentRecord, operation: str, account: Any, *, log: Log = _quiet) -> Any:
    """Cancel a pending operation (canceller role)."""
    op = find(record, operation)
    timelock = timelock_at(op.timelock)
    _require_state(timelock, op, ("waiting", "ready"), "cancelled")
    if not timelock.hasRole(CANCELLER_ROLE, account):
        raise UserError(
            "account", f"{account.address} lacks CANCELLER_ROLE on the timelock {timelock.address}"
        )
    receipt = send(timelock.cancel, bytes.fromhex(op.id[2:]), sender=account, field="timelock")
    record.operations[op.id] = replace(
        op, status="cancelled", closed_tx_hash=_hex(receipt.txn_hash)
    )
    record.save()
    log(f"operation {op.id} cancelled")
    return receipt


def _require_state(
    timelock: Any, op: TimelockOperation, allowed: tuple[str, ...], verb: str
) -> None:
    if op.status != "pending":
        raise UserError("operation", f"{op.id} was {op.status} already")
    state = STATES[int(timelock.getOperationState(bytes.fromhex(op.id[2:])))]
    if state in allowed:
        return
    if state == "waiting":
        left = max(0, op.ready_at - pending_timestamp())
        when = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(op.ready_at))
        raise UserError("operation", f"{op.id} is not ready until {when} ({left} s from now)")
    if state == "done":
        raise UserError("operation", f"{op.id} was executed already (outside this record)")
    raise UserError("operation", f"{op.id} is not pending on the timelock (cancelled?): not {verb}")


def _require_unchanged(op: TimelockOperation) -> None:
    """Each proxy still points to the implementation it had when the operation was scheduled
    (the layout check was against that one); the timelock still holds the upgrader role."""
    for call in op.calls:
        if call.subject == FACTORY_SUBJECT:
            if not uups_at(call.target).hasRole(ADMIN_ROLE, op.timelock):
                raise UserError(
                    "timelock",
                    f"{op.timelock} lacks DEFAULT_ADMIN_ROLE on SecurityTokenFactory",
                )
            continue
        now = implementation_of(call.target)
        if call.expected is not None and now != to_checksum_address(call.expected):
            raise UserError(
                "operation",
                f"{call.subject} moved to {now} since {op.id} was scheduled (from "
                f"{call.expected}): cancel it and schedule again",
            )
        if not uups_at(call.target).hasRole(UPGRADER_ROLE, op.timelock):
            raise UserError(
                "timelock", f"{op.timelock} lacks UPGRADER_ROLE on {call.subject} ({call.target})"
            )


def _hex(value: Any) -> str:
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    text = str(value)
    return text.lower() if text.startswith("0x") else "0x" + text.lower()

"""Deploy a contract at most once, whatever interrupts the deployment.

``deploy_once(record, step, container, sender, *args)``:

1. a step recorded with code on the chain is done: its address is returned;
2. a step with an ``Intent`` in the record (a deployment signed and perhaps sent before the
   process was killed or the node went down) is resolved first: if the intent's transaction was
   mined and created the contract at the expected address, that contract is adopted (recorded,
   nothing sent); if it is still pending, it is waited for; if the deployer's nonce was never
   used, or was used by a transaction that created nothing, the intent is abandoned;
3. otherwise the deployment is signed, the intent (step, deployer, nonce, expected CREATE
   address, transaction hash) is written to the record, and only then is it sent; once mined,
   the contract is recorded and the intent removed.

A contract at the expected address that the intent's transaction did not create (the nonce was
spent by another transaction) is never adopted: the step stops with a UserError.

``Hook`` is called at each point a real interruption could happen: after the intent is written
(``"intent"``), after the transaction is mined but before it is recorded (``"mined"``), and
after it is recorded (``"recorded"``). Tests raise from it to interrupt a deployment there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import rlp
from ape import chain
from ape.exceptions import ContractLogicError
from eth_utils import keccak, to_canonical_address, to_checksum_address

from securities_rails.chain.contracts import block_height, has_code
from securities_rails.chain.revert import explain_revert
from securities_rails.deployments import DeploymentRecord, Intent
from securities_rails.errors import UserError

Phase = Literal["intent", "mined", "recorded"]
Hook = Callable[[str, Phase], None]
Log = Callable[[str], None]


def no_hook(_step: str, _phase: Phase) -> None:
    return None


def _quiet(_: str) -> None:
    return None


@dataclass(frozen=True)
class Deployed:
    """A contract deployed (or found deployed) for one step."""

    address: str
    tx_hash: str
    block: int
    fresh: bool  # False: recorded already, or adopted from an intent


def create_address(deployer: str, nonce: int) -> str:
    """The address CREATE gives the contract deployed by ``deployer`` at ``nonce``."""
    encoded = rlp.encode([to_canonical_address(deployer), nonce])
    return to_checksum_address(keccak(encoded)[12:])


def nonce_of(address: str) -> int:
    """The number of transactions ``address`` has had mined."""
    return int(chain.provider.get_nonce(address))


def recorded(record: DeploymentRecord, step: str) -> str | None:
    """The address of ``step`` when it is recorded and has code on the connected chain."""
    entry = record.contracts.get(step)
    if entry is not None and has_code(entry.address):
        return entry.address
    return None


def deploy_once(
    record: DeploymentRecord,
    step: str,
    container: Any,
    sender: Any,
    *args: Any,
    save: Callable[[Deployed], None],
    log: Log = _quiet,
    hook: Hook = no_hook,
) -> Deployed:
    """Deploy ``container(*args)`` for ``step`` unless it is done (see the module docstring).

    ``save(deployed)`` writes the step's entry into ``record`` (the caller decides its fields);
    the record is saved here, with the intent removed, in the same write.
    """
    entry = record.contracts.get(step)
    if entry is not None and has_code(entry.address):
        return Deployed(entry.address, entry.tx_hash, entry.block, fresh=False)
    intent = record.journal.get(step)
    if intent is not None:
        adopted = _resolve(record, intent, log)
        if adopted is not None:
            _finish(record, step, adopted, save, hook)
            log(f"{step}: adopted the contract at {adopted.address} (deployed before the stop)")
            return adopted
    txn = container.constructor.serialize_transaction(*args)
    txn.sender = sender.address
    try:
        prepared = sender.prepare_transaction(txn)
    except ContractLogicError as error:  # the gas estimate reverts: nothing was sent
        raise UserError(step, explain_revert(error)) from None
    signed = sender.sign_transaction(prepared)
    if signed is None:
        raise UserError("account", f"{sender.address} did not sign the deployment of {step}")
    intent = Intent(
        step=step,
        deployer=to_checksum_address(sender.address),
        nonce=int(prepared.nonce),
        address=create_address(sender.address, int(prepared.nonce)),
        tx_hash="0x" + bytes(signed.txn_hash).hex(),
        block=block_height(),
    )
    record.journal[step] = intent
    record.save()
    hook(step, "intent")
    try:
        receipt = broadcast(signed)
    except ContractLogicError as error:  # mined and reverted: the re-run abandons the intent
        raise UserError(step, explain_revert(error)) from None
    address = receipt.contract_address
    if not address or to_checksum_address(address) != intent.address:
        raise UserError(step, f"transaction {intent.tx_hash} created no contract at {address}")
    deployed = Deployed(intent.address, intent.tx_hash, int(receipt.block_number), fresh=True)
    hook(step, "mined")
    _finish(record, step, deployed, save, hook)
    return deployed


def broadcast(signed: Any) -> Any:
    """Send a signed transaction and wait for its receipt."""
    return chain.provider.send_transaction(signed)


def _finish(
    record: DeploymentRecord,
    step: str,
    deployed: Deployed,
    save: Callable[[Deployed], None],
    hook: Hook,
) -> None:
    save(deployed)
    record.journal.pop(step, None)
    record.save()
    hook(step, "recorded")


def _resolve(record: DeploymentRecord, intent: Intent, log: Log) -> Deployed | None:
    """The contract an intent deployed, or None once the intent is abandoned."""
    receipt = _receipt(intent.tx_hash)
    if receipt is not None:
        created = receipt.get("contractAddress")
        ok = int(str(receipt.get("status", "0x0")), 16) == 1
        if ok and created and to_checksum_address(created) == intent.address:
            return Deployed(intent.address, intent.tx_hash, int(receipt["blockNumber"], 16), False)
        log(f"{intent.step}: transaction {intent.tx_hash} failed; deploying again")
    elif has_code(intent.address):
        raise UserError(
            intent.step,
            f"{intent.address} has code, but not from the recorded transaction {intent.tx_hash} "
            f"(nonce {intent.nonce} of {intent.deployer} was spent by another one): check that "
            f"contract, then remove the journal entry from {record.path}",
        )
    elif nonce_of(intent.deployer) > intent.nonce:
        log(f"{intent.step}: nonce {intent.nonce} was used by another transaction; deploying again")
    else:
        log(f"{intent.step}: nonce {intent.nonce} was never used; deploying again")
    record.journal.pop(intent.step, None)
    record.save()
    return None


def _receipt(tx_hash: str) -> dict[str, Any] | None:
    """The receipt of a transaction; waits for one that the node knows but has not mined."""
    provider = chain.provider
    receipt = provider.make_request("eth_getTransactionReceipt", [tx_hash])
    if receipt:
        return dict(receipt)
    if not provider.make_request("eth_getTransactionByHash", [tx_hash]):
        return None
    provider.get_receipt(tx_hash)  # pending: wait for it (the network's acceptance timeout)
    receipt = provider.make_request("eth_getTransactionReceipt", [tx_hash])
    return dict(receipt) if receipt else None

"""Deploy the suite (registry, token implementation, factory) and create instruments.

Deployment is a fixed list of steps; each step's result is written to the deployment record as
soon as it is mined, and a step whose contract is recorded and has code on the chain is skipped.
So running the deployment again changes nothing already deployed, and a deployment cut short
finishes where it stopped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ape import chain, project

from securities_rails.chain.contracts import (
    chain_id,
    factory_at,
    genesis_hash,
    has_code,
    registry_at,
    token_at,
)
from securities_rails.chain.transact import send
from securities_rails.deployments import DeploymentRecord
from securities_rails.errors import UserError

Log = Callable[[str], None]


@dataclass(frozen=True)
class SuiteRoles:
    """First holders of the suite-level roles."""

    admin: str
    registrar: str
    creator: str
    upgrader: str


@dataclass(frozen=True)
class Suite:
    """The deployed suite on the connected chain."""

    registry: Any
    factory: Any
    token_implementation: str
    record: DeploymentRecord


def _quiet(_: str) -> None:
    return None


def load_record(directory: str | None = None) -> DeploymentRecord:
    """The connected chain's deployment record; a stale one (another chain instance) is reset."""
    record = DeploymentRecord.load(chain_id(), directory)
    genesis = genesis_hash()
    if record.is_stale(genesis) or record.genesis_hash is None:
        record.reset(genesis)
    return record


def _deployed(record: DeploymentRecord, name: str) -> str | None:
    entry = record.contracts.get(name)
    if entry is not None and has_code(entry.address):
        return entry.address
    return None


def plan(record: DeploymentRecord) -> list[tuple[str, bool]]:
    """Each deployment step with whether it is already done on the connected chain."""
    return [(name, _deployed(record, name) is not None) for name in STEPS]


STEPS = (
    "InvestorRegistry.implementation",
    "InvestorRegistry",
    "SecurityToken.implementation",
    "SecurityTokenFactory.implementation",
    "SecurityTokenFactory",
)


def _deploy_contract(
    record: DeploymentRecord, name: str, contract: Any, sender: Any, log: Log, *args: Any
) -> str:
    if (address := _deployed(record, name)) is not None:
        log(f"{name}: already deployed at {address}")
        return address
    instance = contract.deploy(*args, sender=sender)
    receipt = chain.get_receipt(instance.txn_hash)
    record.set_contract(
        name, address=instance.address, tx_hash=receipt.txn_hash, block=receipt.block_number
    )
    record.save()
    log(f"{name}: deployed at {instance.address} (block {receipt.block_number})")
    return instance.address


def _deploy_proxy(
    record: DeploymentRecord, name: str, implementation: str, init: bytes, sender: Any, log: Log
) -> str:
    if (address := _deployed(record, name)) is not None:
        log(f"{name}: already deployed at {address}")
        return address
    proxy = project.SuiteProxy.deploy(implementation, init, sender=sender)
    receipt = chain.get_receipt(proxy.txn_hash)
    record.set_contract(
        name,
        address=proxy.address,
        tx_hash=receipt.txn_hash,
        block=receipt.block_number,
        kind="proxy",
        implementation=implementation,
        version="1",
    )
    record.save()
    log(f"{name}: proxy deployed at {proxy.address} -> {implementation}")
    return proxy.address


def deploy_suite(
    sender: Any, roles: SuiteRoles, record: DeploymentRecord | None = None, log: Log = _quiet
) -> Suite:
    """Deploy whatever of the suite is missing on the connected chain, recording every step."""
    record = record or load_record()
    registry_impl = _deploy_contract(record, STEPS[0], project.InvestorRegistry, sender, log)
    init = project.InvestorRegistry.at(registry_impl).initialize.encode_input(
        roles.admin, roles.registrar, roles.upgrader
    )
    registry = _deploy_proxy(record, STEPS[1], registry_impl, init, sender, log)
    token_impl = _deploy_contract(record, STEPS[2], project.SecurityToken, sender, log)
    factory_impl = _deploy_contract(record, STEPS[3], project.SecurityTokenFactory, sender, log)
    init = project.SecurityTokenFactory.at(factory_impl).initialize.encode_input(
        roles.admin, roles.creator, roles.upgrader, token_impl, registry
    )
    factory = _deploy_proxy(record, STEPS[4], factory_impl, init, sender, log)
    return Suite(
        registry=registry_at(registry),
        factory=factory_at(factory),
        token_implementation=token_impl,
        record=record,
    )


def load_suite(record: DeploymentRecord | None = None) -> Suite:
    """The suite recorded for the connected chain; a clear error when it is not deployed."""
    record = record or load_record()
    for name in STEPS:
        if _deployed(record, name) is None:
            raise UserError(
                "deployment",
                f"{name} is not deployed on chain {record.chain_id}: run `ape run deploy` first",
            )
    return Suite(
        registry=registry_at(record.contracts["InvestorRegistry"].address),
        factory=factory_at(record.contracts["SecurityTokenFactory"].address),
        token_implementation=record.contracts["SecurityToken.implementation"].address,
        record=record,
    )


def create_instrument(
    suite: Suite,
    sender: Any,
    name: str,
    symbol: str,
    instrument: tuple[Any, ...],
    roles: tuple[str, ...],
) -> Any:
    """Create an instrument through the factory and record it; returns the token."""
    isin_bytes = instrument[0]
    receipt = send(suite.factory.createInstrument, name, symbol, instrument, roles, sender=sender)
    address = suite.factory.tokenOf(isin_bytes)
    suite.record.add_instrument(
        isin_bytes.decode(),
        address=address,
        tx_hash=receipt.txn_hash,
        block=receipt.block_number,
        name=name,
        symbol=symbol,
    )
    suite.record.save()
    return token_at(address)

"""Deploy the suite (registry, token implementation, factory) and create instruments.

Deployment is a fixed list of steps, each deployed through ``journal.deploy_once``: an intent
(step, deployer, nonce, expected address, transaction) is written to the deployment record before
the transaction is sent, and the step's result as soon as it is mined. A step recorded with code
on the chain is skipped, and a step whose intent was mined but not recorded (the process was
killed in between) is adopted, not deployed again. So running the deployment again changes
nothing already deployed, and a deployment cut short at any point finishes where it stopped.

Each implementation is recorded with its storage layout (``Layout.to_dict()``, under its layout
hash), the baseline an upgrade is checked against.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ape import project
from eth_utils import keccak

from securities_rails.chain.contracts import (
    chain_id,
    factory_at,
    genesis_hash,
    has_code,
    registry_at,
    token_at,
)
from securities_rails.chain.journal import Deployed, Hook, deploy_once, no_hook
from securities_rails.chain.transact import send
from securities_rails.deployments import DeploymentRecord, ImplementationEntry
from securities_rails.errors import UserError
from securities_rails.upgrades.build import PROJECT_IMPLEMENTATIONS, project_layouts
from securities_rails.upgrades.model import Layout

Log = Callable[[str], None]
Layouts = Callable[[], dict[str, Layout]]
FIRST_VERSION = "1"


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


def deployed_address(record: DeploymentRecord, name: str) -> str | None:
    entry = record.contracts.get(name)
    if entry is not None and has_code(entry.address):
        return entry.address
    return None


STEPS = (
    "InvestorRegistry.implementation",
    "InvestorRegistry",
    "SecurityToken.implementation",
    "SecurityTokenFactory.implementation",
    "SecurityTokenFactory",
)


def plan(record: DeploymentRecord, steps: tuple[str, ...] = STEPS) -> list[tuple[str, str, str]]:
    """(step, status, detail) of each deployment step on the connected chain: done, to do, or
    in flight (an intent was written: the re-run adopts the contract if it was mined)."""
    rows = []
    for name in steps:
        intent = record.journal.get(name)
        if (address := deployed_address(record, name)) is not None:
            rows.append((name, "done", address))
        elif intent is not None:
            state = "mined, to be recorded" if has_code(intent.address) else "not mined"
            detail = (
                f"nonce {intent.nonce} of {intent.deployer} -> {intent.address}, "
                f"transaction {intent.tx_hash}"
            )
            rows.append((name, f"in flight ({state})", detail))
        else:
            rows.append((name, "to do", ""))
    return rows


def implementation_step(
    record: DeploymentRecord,
    step: str,
    name: str,
    sender: Any,
    layouts: Layouts,
    log: Log,
    hook: Hook,
) -> str:
    """Deploy implementation `name` for `step` unless recorded, with its storage layout."""
    if (address := deployed_address(record, step)) is not None:
        log(f"{step}: already deployed at {address}")
        return address
    container = getattr(project, name)
    layout = layouts()[name]  # before sending: a missing compiler stops the step here

    def save(deployed: Deployed) -> None:
        record_implementation(
            record,
            step,
            deployed,
            contract=name,
            layout=layout,
            version=FIRST_VERSION,
            source=PROJECT_IMPLEMENTATIONS[name],
            build_hash=_build_hash(container),
        )

    deployed = deploy_once(record, step, container, sender, save=save, log=log, hook=hook)
    if deployed.fresh:
        log(f"{step}: deployed at {deployed.address} (block {deployed.block})")
    return deployed.address


def proxy_step(
    record: DeploymentRecord,
    step: str,
    implementation: str,
    init: bytes,
    sender: Any,
    log: Log,
    hook: Hook,
) -> str:
    """Deploy a SuiteProxy for `step` over `implementation`, initialised with `init`."""
    if (address := deployed_address(record, step)) is not None:
        log(f"{step}: already deployed at {address}")
        return address
    logic = record.implementation(implementation)

    def save(deployed: Deployed) -> None:
        record.set_contract(
            step,
            address=deployed.address,
            tx_hash=deployed.tx_hash,
            block=deployed.block,
            kind="proxy",
            implementation=implementation,
            version=FIRST_VERSION,
            layout_hash=logic.layout_hash if logic else None,
        )

    proxy = project.SuiteProxy
    deployed = deploy_once(
        record, step, proxy, sender, implementation, init, save=save, log=log, hook=hook
    )
    if deployed.fresh:
        log(f"{step}: proxy deployed at {deployed.address} -> {implementation}")
    return deployed.address


def record_implementation(
    record: DeploymentRecord,
    step: str,
    deployed: Deployed,
    *,
    contract: str,
    layout: Layout,
    version: str | None,
    source: str,
    build_hash: str,
) -> None:
    """Record a mined implementation: its layout, its step entry and its implementation entry."""
    record.add_layout(layout.layout_hash, layout.to_dict())
    record.set_contract(
        step,
        address=deployed.address,
        tx_hash=deployed.tx_hash,
        block=deployed.block,
        version=version,
        layout_hash=layout.layout_hash,
    )
    record.add_implementation(
        deployed.address,
        ImplementationEntry(
            contract=contract,
            layout_hash=layout.layout_hash,
            version=version,
            tx_hash=deployed.tx_hash,
            block=deployed.block,
            source=source,
            build_hash=build_hash,
        ),
    )


def _build_hash(container: Any) -> str:
    code = container.contract_type.deployment_bytecode.bytecode
    return "0x" + keccak(hexstr=code).hex()


def deploy_suite(
    sender: Any,
    roles: SuiteRoles,
    record: DeploymentRecord | None = None,
    log: Log = _quiet,
    hook: Hook = no_hook,
    layouts: Layouts = project_layouts,
) -> Suite:
    """Deploy whatever of the suite is missing on the connected chain, recording every step.

    ``hook(step, phase)`` runs after each intent, mined transaction and recorded step;
    ``layouts()`` gives the implementations' storage layouts (compiled from contracts/, cached).
    """
    record = record or load_record()
    cached: dict[str, Layout] = {}

    def layouts_once() -> dict[str, Layout]:
        if not cached:
            cached.update(layouts())
        return cached

    def implementation(step: str, name: str) -> str:
        return implementation_step(record, step, name, sender, layouts_once, log, hook)

    registry_impl = implementation(STEPS[0], "InvestorRegistry")
    init = project.InvestorRegistry.at(registry_impl).initialize.encode_input(
        roles.admin, roles.registrar, roles.upgrader
    )
    registry = proxy_step(record, STEPS[1], registry_impl, init, sender, log, hook)
    token_impl = implementation(STEPS[2], "SecurityToken")
    factory_impl = implementation(STEPS[3], "SecurityTokenFactory")
    init = project.SecurityTokenFactory.at(factory_impl).initialize.encode_input(
        roles.admin, roles.creator, roles.upgrader, token_impl, registry
    )
    factory = proxy_step(record, STEPS[4], factory_impl, init, sender, log, hook)
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
        if deployed_address(record, name) is None:
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
    implementation = suite.factory.implementation()
    logic = suite.record.implementation(implementation)
    suite.record.add_instrument(
        isin_bytes.decode(),
        address=address,
        tx_hash=receipt.txn_hash,
        block=receipt.block_number,
        name=name,
        symbol=symbol,
        implementation=implementation,
        version=logic.version if logic else None,
        layout_hash=logic.layout_hash if logic else None,
    )
    suite.record.save()
    return token_at(address)

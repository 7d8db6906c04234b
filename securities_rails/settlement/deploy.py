"""Deploy the settlement contracts and record them next to the suite.

Steps, each journaled like the suite's (``journal.deploy_once``: intent before sending, result as
soon as mined, adopted rather than repeated after a crash):

- ``DvPEscrow.implementation`` and ``DvPEscrow``: the escrow, a UUPS proxy (its trades are the
  state an upgrade must keep);
- ``HashedTimelockEscrow``: stateless per lock and not upgradeable, so a plain contract;
- ``CashToken.<CUR>``: a cash token per ISO 4217 currency (a tokenised deposit or stablecoin
  stand-in), deployed on request.

Both escrows hold units of security tokens, so they are registered in the investor registry as
system accounts (``registerSystemAccount``): they may hold units, are not investors and are not
subject to holding caps. Registration is skipped when already done, so a re-run sends nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ape import project

from securities_rails.chain.contracts import at, has_code
from securities_rails.chain.journal import Deployed, Hook, deploy_once, no_hook
from securities_rails.deployments import DeploymentRecord
from securities_rails.errors import UserError
from securities_rails.identifiers import parse_currency
from securities_rails.registry import investors
from securities_rails.suite import (
    deployed_address,
    implementation_step,
    load_record,
    proxy_step,
)
from securities_rails.upgrades.build import project_layouts
from securities_rails.upgrades.model import Layout

Log = Callable[[str], None]
Layouts = Callable[[], dict[str, Layout]]

ESCROW_IMPLEMENTATION = "DvPEscrow.implementation"
ESCROW = "DvPEscrow"
HTLC = "HashedTimelockEscrow"
STEPS = (ESCROW_IMPLEMENTATION, ESCROW, HTLC)
CASH_PREFIX = "CashToken."
SYSTEM_LABELS = {ESCROW: "DvP escrow", HTLC: "hashed-timelock escrow"}


@dataclass(frozen=True)
class Settlement:
    """The settlement contracts on the connected chain."""

    escrow: Any
    htlc: Any
    record: DeploymentRecord


def _quiet(_: str) -> None:
    return None


def deploy_settlement(
    sender: Any,
    *,
    admin: str,
    upgrader: str,
    record: DeploymentRecord | None = None,
    registry: Any | None = None,
    registrar: Any | None = None,
    log: Log = _quiet,
    hook: Hook = no_hook,
    layouts: Layouts = project_layouts,
) -> Settlement:
    """Deploy whatever of the escrow and the hashed-timelock escrow is missing, and record it.

    With ``registry`` (the suite's investor registry), both are registered there as system
    accounts by ``registrar`` (an account holding the registry's registrar role; default the
    sender), unless they already are.
    """
    record = record or load_record()
    if registry is not None:
        investors.require_registrar(registry, registrar or sender)
    cached: dict[str, Layout] = {}

    def layouts_once() -> dict[str, Layout]:
        if not cached:
            cached.update(layouts())
        return cached

    logic = implementation_step(
        record, ESCROW_IMPLEMENTATION, "DvPEscrow", sender, layouts_once, log, hook
    )
    init = project.DvPEscrow.at(logic).initialize.encode_input(admin, 0, upgrader)
    escrow = proxy_step(record, ESCROW, logic, init, sender, log, hook)
    htlc = deploy_htlc(sender, record=record, log=log, hook=hook)
    if registry is not None:
        for step, address in ((ESCROW, escrow), (HTLC, htlc.address)):
            label = SYSTEM_LABELS[step]
            if investors.register_system_account(registry, registrar or sender, address, label):
                log(f"{step}: registered as a system account ({label})")
            else:
                log(f"{step}: already a system account of the registry")
    return Settlement(escrow=at("DvPEscrow", escrow), htlc=htlc, record=record)


def deploy_htlc(
    sender: Any,
    *,
    record: DeploymentRecord | None = None,
    log: Log = _quiet,
    hook: Hook = no_hook,
) -> Any:
    """The hashed-timelock escrow alone (a chain that only carries the cash leg needs no suite)."""
    record = record or load_record()
    if (address := deployed_address(record, HTLC)) is not None:
        log(f"{HTLC}: already deployed at {address}")
        return at(HTLC, address)
    deployed = deploy_once(
        record,
        HTLC,
        project.HashedTimelockEscrow,
        sender,
        save=_saver(record, HTLC),
        log=log,
        hook=hook,
    )
    if deployed.fresh:
        log(f"{HTLC}: deployed at {deployed.address} (block {deployed.block})")
    return at(HTLC, deployed.address)


def _saver(record: DeploymentRecord, step: str) -> Callable[[Deployed], None]:
    def save(deployed: Deployed) -> None:
        record.set_contract(
            step, address=deployed.address, tx_hash=deployed.tx_hash, block=deployed.block
        )

    return save


def load_settlement(record: DeploymentRecord | None = None) -> Settlement:
    """The settlement contracts recorded for the connected chain; a clear error when missing."""
    record = record or load_record()
    for step in STEPS:
        if deployed_address(record, step) is None:
            raise UserError(
                "deployment",
                f"{step} is not deployed on chain {record.chain_id}: run `ape run deploy` first",
            )
    return Settlement(
        escrow=at("DvPEscrow", record.contracts[ESCROW].address),
        htlc=at(HTLC, record.contracts[HTLC].address),
        record=record,
    )


def load_htlc(record: DeploymentRecord | None = None) -> Any:
    """The hashed-timelock escrow recorded for the connected chain; a clear error when missing."""
    record = record or load_record()
    if (address := deployed_address(record, HTLC)) is None:
        raise UserError(
            "deployment",
            f"{HTLC} is not deployed on chain {record.chain_id}: run `ape run deploy` "
            "(or `ape run settle deploy-htlc` on a chain that only carries cash)",
        )
    return at(HTLC, address)


def deploy_cash_token(
    sender: Any,
    *,
    currency: str,
    admin: str,
    issuer: str,
    name: str | None = None,
    symbol: str | None = None,
    record: DeploymentRecord | None = None,
    log: Log = _quiet,
    hook: Hook = no_hook,
) -> Any:
    """The cash token of `currency` (ISO 4217) on the connected chain: deployed once, recorded as
    ``CashToken.<CUR>``; a second call returns the recorded one."""
    record = record or load_record()
    code = parse_currency(currency)
    step = CASH_PREFIX + code
    if (address := deployed_address(record, step)) is not None:
        log(f"{step}: already deployed at {address}")
        return at("CashToken", address)
    deployed = deploy_once(
        record,
        step,
        project.CashToken,
        sender,
        name or f"Tokenised {code} deposit",
        symbol or f"t{code}",
        code.encode(),
        admin,
        0,
        issuer,
        save=_saver(record, step),
        log=log,
        hook=hook,
    )
    if deployed.fresh:
        log(f"{step}: deployed at {deployed.address} (block {deployed.block})")
    return at("CashToken", deployed.address)


def cash_tokens(record: DeploymentRecord) -> dict[str, str]:
    """Currency -> cash token address, of the cash tokens recorded (and present) on the chain."""
    found = {}
    for step in record.contracts:
        if step.startswith(CASH_PREFIX) and (address := deployed_address(record, step)):
            found[step.removeprefix(CASH_PREFIX)] = address
    return found


def cash_token_for(record: DeploymentRecord, currency: str, field: str = "currency") -> Any:
    """The recorded cash token of `currency`; a clear error naming the ones there are."""
    code = parse_currency(currency, field)
    known = cash_tokens(record)
    if code not in known:
        there = ", ".join(sorted(known)) or "none"
        raise UserError(
            field,
            f"no cash token for {code} on chain {record.chain_id} (deployed: {there}); "
            f"create one with `ape run settle cash create --currency {code}`",
        )
    return at("CashToken", known[code])


def is_deployed(record: DeploymentRecord) -> bool:
    """Whether every settlement step is recorded with code on the chain."""
    return all(
        (entry := record.contracts.get(step)) is not None and has_code(entry.address)
        for step in STEPS
    )

"""Deploy the lock-and-mint bridge for one instrument across two chains.

Home chain (where the instrument was created): a ``BridgeCustody`` that holds locked units,
registered in the home investor registry as a system account, and a ``BridgeLock`` endpoint (a
proxy) that alone may release from it. Remote chain: the suite (deployed if missing), a mirror
instrument with the same ISIN and instrument data created through the remote factory, and a
``BridgeMint`` endpoint (a proxy) that alone holds the mirror's issuer role and is registered as
a system account. Then each endpoint is pointed at the other, the governor role is handed to the
timelock (when one is given), and ``checkConfiguration()`` is called on both, on-chain.

Every contract is deployed through the deploy journal and every configuration step checks the
chain before sending, so running the deployment again completes one cut short and changes
nothing that is done. The result is written as a ``BridgeDeployment`` file, the configuration
the validators, the relayer and ``ape run bridge`` read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ape import project

from securities_rails.bridge.deployment import BridgeDeployment, BridgeSide
from securities_rails.chain.contracts import (
    block_height,
    chain_id,
    has_code,
    registry_at,
    token_at,
)
from securities_rails.chain.journal import Deployed, Hook, deploy_once, no_hook
from securities_rails.chain.networks import connected, rpc_url
from securities_rails.chain.transact import send
from securities_rails.deployments import DeploymentRecord, default_directory
from securities_rails.errors import UserError
from securities_rails.suite import (
    SuiteRoles,
    deploy_suite,
    deployed_address,
    implementation_step,
    load_record,
    proxy_step,
)
from securities_rails.upgrades.build import project_layouts
from securities_rails.upgrades.timelock import deploy_timelock

Log = Callable[[str], None]
ADMIN_ROLE = b"\x00" * 32


def _quiet(_: str) -> None:
    return None


@dataclass(frozen=True)
class Limits:
    """A token bucket: `capacity` units, refilled at `rate` units per second."""

    capacity: int
    rate: int

    def struct(self) -> tuple[int, int]:
        return (self.capacity, self.rate)


@dataclass(frozen=True)
class BridgeParams:
    """What the bridge is deployed with (the same on both ends unless stated)."""

    validators: tuple[str, ...]
    threshold: int
    outbound: Limits
    inbound: Limits
    max_transfer: int
    home_confirmations: int  # blocks validators wait on the home chain
    remote_confirmations: int  # ... and on the remote chain
    admin: str
    guardian: str
    compliance: str
    upgrader: str
    admin_delay: int = 0

    def check(self) -> None:
        """Refuse a configuration the contracts would refuse, before anything is sent."""
        count = len(self.validators)
        if count == 0:
            raise UserError("validators", "give at least one validator")
        if len({v.lower() for v in self.validators}) != count:
            raise UserError("validators", "a validator is listed twice")
        if not 0 < self.threshold <= count:
            raise UserError("threshold", f"must be between 1 and {count}, got {self.threshold}")
        for name, limit in (("outbound", self.outbound), ("inbound", self.inbound)):
            if limit.capacity <= 0:
                raise UserError(name, "rate limits are always on: capacity must be above 0")
            if self.max_transfer > limit.capacity:
                raise UserError(
                    "max-transfer",
                    f"{self.max_transfer} is above the {name} capacity {limit.capacity}: "
                    "such a transfer could never pass the limit",
                )
        if self.max_transfer <= 0:
            raise UserError("max-transfer", "must be above 0")

    def setup(self, governor: str, upgrader: str | None) -> tuple[Any, ...]:
        """The BridgeEndpoint.BridgeSetup struct, with `governor` as first governor and
        `upgrader` (a timelock) instead of the configured upgrader when given."""
        return (
            self.admin,
            self.admin_delay,
            governor,
            upgrader or self.upgrader,
            self.guardian,
            self.compliance,
            list(self.validators),
            self.threshold,
            self.outbound.struct(),
            self.inbound.struct(),
            self.max_transfer,
        )


@dataclass(frozen=True)
class Signers:
    """Who sends what. `deployer` is the bridge admin and first governor on both chains; the
    registrars register the custody and the remote endpoint as system accounts."""

    deployer: Any
    home_registrar: Any
    remote_registrar: Any


def _endpoint_step(isin: str, contract: str) -> str:
    return f"{contract}:{isin}"


def _grant(contract: Any, role: bytes, account: str, sender: Any, what: str, log: Log) -> None:
    if not contract.hasRole(role, account):
        send(contract.grantRole, role, account, sender=sender, field=what)
        log(f"{what}: granted to {account}")


def _revoke(contract: Any, role: bytes, account: str, sender: Any, what: str, log: Log) -> None:
    if contract.hasRole(role, account):
        send(contract.revokeRole, role, account, sender=sender, field=what)
        log(f"{what}: revoked from {account}")


def _system_account(registry: Any, account: str, label: str, registrar: Any, log: Log) -> None:
    identity = registry.identityOf(account)
    kind = int(identity.kind) if hasattr(identity, "kind") else int(identity[-1])
    if kind == 2:  # System
        return
    if kind != 0:
        raise UserError("registry", f"{account} is already registered, not as a system account")
    send(registry.registerSystemAccount, account, label, sender=registrar, field="registrar")
    log(f"{label}: registered {account} as a system account")


def _home_token(record: DeploymentRecord, isin: str) -> Any:
    entry = record.instruments.get(isin)
    if entry is None or not has_code(entry.address):
        raise UserError("isin", f"{isin} is not an instrument on chain {record.chain_id}")
    return token_at(entry.address)


def _timelock(
    record: DeploymentRecord, deployer: Any, delay: int | None, log: Log, hook: Hook
) -> str | None:
    """The chain's SuiteTimelock (deployed once, the deployer proposing and executing)."""
    if delay is None:
        return None
    return deploy_timelock(
        record, deployer, delay, [deployer.address], [deployer.address], log=log, hook=hook
    )


def _home_side(
    isin: str,
    params: BridgeParams,
    signers: Signers,
    delay: int | None,
    folder: str | None,
    log: Log,
    hook: Hook,
) -> dict[str, Any]:
    deployer = signers.deployer
    record = load_record(folder)
    token = _home_token(record, isin)
    layouts = project_layouts
    timelock = _timelock(record, deployer, delay, log, hook)
    step = _endpoint_step(isin, "BridgeCustody")
    custody = deployed_address(record, step)
    if custody is None:

        def save(deployed: Deployed) -> None:
            record.set_contract(
                step, address=deployed.address, tx_hash=deployed.tx_hash, block=deployed.block
            )

        custody = deploy_once(
            record,
            step,
            project.BridgeCustody,
            deployer,
            token.address,
            deployer.address,
            params.admin_delay,
            save=save,
            log=log,
            hook=hook,
        ).address
        log(f"{step}: deployed at {custody}")
    implementation = implementation_step(
        record, "BridgeLock.implementation", "BridgeLock", deployer, layouts, log, hook
    )
    init = project.BridgeLock.at(implementation).initialize.encode_input(
        params.setup(deployer.address, timelock), token.address, custody
    )
    lock = proxy_step(
        record, _endpoint_step(isin, "BridgeLock"), implementation, init, deployer, log, hook
    )
    custody_contract = project.BridgeCustody.at(custody)
    _grant(custody_contract, custody_contract.BRIDGE_ROLE(), lock, deployer, "custody bridge", log)
    _system_account(
        registry_at(token.registry()),
        custody,
        f"bridge custody {isin}",
        signers.home_registrar,
        log,
    )
    record.save()
    return {
        "chain_id": chain_id(),
        "endpoint": lock,
        "token": token.address,
        "custody": custody,
        "timelock": timelock,
        "deploy_block": record.contracts[_endpoint_step(isin, "BridgeLock")].block,
        "instrument": token.instrument(),
        "name": token.name(),
        "symbol": token.symbol(),
    }


def _remote_side(
    isin: str,
    home: dict[str, Any],
    params: BridgeParams,
    signers: Signers,
    delay: int | None,
    folder: str | None,
    log: Log,
    hook: Hook,
) -> dict[str, Any]:
    deployer = signers.deployer
    registrar = signers.remote_registrar
    record = load_record(folder)
    timelock = _timelock(record, deployer, delay, log, hook)
    roles = SuiteRoles(params.admin, registrar.address, deployer.address, params.upgrader)
    suite = deploy_suite(deployer, roles, record=record, log=log, hook=hook)
    mirror_address = suite.factory.tokenOf(isin.encode())
    if int(mirror_address, 16) == 0:
        holders = (
            params.admin,
            deployer.address,  # issuer until the endpoint exists; revoked below
            registrar.address,
            registrar.address,
            params.guardian,
            params.upgrader,
        )
        send(
            suite.factory.createInstrument,
            home["name"],
            home["symbol"],
            tuple(home["instrument"]),
            holders,
            sender=deployer,
            field="mirror",
        )
        mirror_address = suite.factory.tokenOf(isin.encode())
        log(f"mirror {isin}: created at {mirror_address}")
    mirror = token_at(mirror_address)
    if tuple(mirror.instrument()) != tuple(home["instrument"]):
        raise UserError("mirror", f"the mirror of {isin} on this chain has other instrument data")
    if not record.instruments.get(isin):
        record.add_instrument(
            isin,
            address=mirror_address,
            tx_hash="0x" + "00" * 32,
            block=block_height(),
            name=home["name"],
            symbol=home["symbol"],
            implementation=suite.factory.implementation(),
            version=None,
            layout_hash=None,
        )
    implementation = implementation_step(
        record, "BridgeMint.implementation", "BridgeMint", deployer, project_layouts, log, hook
    )
    init = project.BridgeMint.at(implementation).initialize.encode_input(
        params.setup(deployer.address, timelock), mirror_address
    )
    step = _endpoint_step(isin, "BridgeMint")
    endpoint = proxy_step(record, step, implementation, init, deployer, log, hook)
    issuer = mirror.ISSUER_ROLE()
    _grant(mirror, issuer, endpoint, deployer, "mirror issuer", log)
    _revoke(mirror, issuer, deployer.address, deployer, "mirror issuer", log)
    _system_account(suite.registry, endpoint, f"bridge {isin}", registrar, log)
    record.save()
    return {
        "chain_id": chain_id(),
        "endpoint": endpoint,
        "token": mirror_address,
        "custody": None,
        "timelock": timelock,
        "deploy_block": record.contracts[step].block,
    }


def _connect_ends(
    endpoint: Any,
    peer_chain: int,
    peer_bridge: str,
    confirmations: int,
    timelock: str | None,
    deployer: Any,
    log: Log,
) -> None:
    current = endpoint.peer(peer_chain)
    if current.bridge.lower() != peer_bridge.lower() or current.confirmations != confirmations:
        send(
            endpoint.setPeer, peer_chain, peer_bridge, confirmations, sender=deployer, field="peer"
        )
        log(f"peer on chain {peer_chain}: {peer_bridge} ({confirmations} confirmations)")
    if timelock is not None:
        governor = endpoint.GOVERNOR_ROLE()
        _grant(endpoint, governor, timelock, deployer, "governor", log)
        if endpoint.hasRole(governor, deployer.address):
            send(
                endpoint.renounceRole, governor, deployer.address, sender=deployer, field="governor"
            )
            log(f"governor: handed to the timelock {timelock}")
    endpoint.checkConfiguration()  # reverts, naming the reason, on a broken configuration


def deploy_bridge(
    isin: str,
    home: str,
    remote: str,
    params: BridgeParams,
    signers: Signers,
    *,
    directory: Path | None = None,
    timelock_delay: int | None = None,
    log: Log = _quiet,
    hook: Hook = no_hook,
) -> BridgeDeployment:
    """Deploy (or complete) the bridge of `isin` between the `home` and `remote` chains (network
    choices or RPC URLs) and write its deployment file; returns it."""
    params.check()
    folder = str(directory) if directory is not None else None
    with connected(home) as provider:
        home_side = _home_side(isin, params, signers, timelock_delay, folder, log, hook)
        home_side["rpc"] = rpc_url(provider)
    if home_side["chain_id"] is None:
        raise UserError("home", "no chain id")
    with connected(remote) as provider:
        if chain_id() == home_side["chain_id"]:
            raise UserError("remote", f"home and remote are both chain {chain_id()}")
        remote_side = _remote_side(
            isin, home_side, params, signers, timelock_delay, folder, log, hook
        )
        remote_side["rpc"] = rpc_url(provider)
        _connect_ends(
            project.BridgeMint.at(remote_side["endpoint"]),
            home_side["chain_id"],
            home_side["endpoint"],
            params.home_confirmations,
            remote_side["timelock"],
            signers.deployer,
            log,
        )
    with connected(home):
        _connect_ends(
            project.BridgeLock.at(home_side["endpoint"]),
            remote_side["chain_id"],
            remote_side["endpoint"],
            params.remote_confirmations,
            home_side["timelock"],
            signers.deployer,
            log,
        )
    deployment = BridgeDeployment.from_json(
        {
            "isin": isin,
            "home": {"name": "home", **_public(home_side)},
            "remote": {"name": "remote", **_public(remote_side)},
        }
    )
    path = bridge_file(isin, home_side["chain_id"], remote_side["chain_id"], directory)
    deployment.save(path)
    log(f"bridge deployment written to {path}")
    return deployment


def _public(side: dict[str, Any]) -> dict[str, Any]:
    keys = ("chain_id", "rpc", "endpoint", "token", "custody", "deploy_block")
    return {key: side[key] for key in keys}


def bridge_file(isin: str, home_chain: int, remote_chain: int, directory: Path | None) -> Path:
    """Where the deployment file of a bridge lives."""
    folder = directory or default_directory()
    return folder / f"bridge-{isin}-{home_chain}-{remote_chain}.json"


def deploy_mint_for_register(
    isin: str,
    remote: str,
    register_chain_id: int,
    register_bridge: str,
    params: BridgeParams,
    signers: Signers,
    instrument: tuple[Any, ...],
    name: str,
    symbol: str,
    *,
    directory: Path | None = None,
    log: Log = _quiet,
    hook: Hook = no_hook,
) -> BridgeSide:
    """Deploy (or complete) the remote side of a bridge whose home is a book-entry register
    (``securities_rails.ledger.endpoint``): the suite, the mirror of ``isin`` (``instrument``,
    ``name``, ``symbol``: its instrument data) and a ``BridgeMint`` peered with the register's
    pseudo chain id and bridge address (``params.home_confirmations`` blocks: 0 suits a
    register, which never reorganises). Returns the remote side of the deployment."""
    params.check()
    folder = str(directory) if directory is not None else None
    home = {"name": name, "symbol": symbol, "instrument": tuple(instrument)}
    with connected(remote) as provider:
        if chain_id() == register_chain_id:
            raise UserError(
                "remote", f"the register's pseudo chain id {register_chain_id} is taken"
            )
        side = _remote_side(isin, home, params, signers, None, folder, log, hook)
        side["rpc"] = rpc_url(provider)
        _connect_ends(
            project.BridgeMint.at(side["endpoint"]),
            register_chain_id,
            register_bridge,
            params.home_confirmations,
            None,
            signers.deployer,
            log,
        )
    return BridgeSide.from_json("remote", {"name": "remote", **_public(side)})

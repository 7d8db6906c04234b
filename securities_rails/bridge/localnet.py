"""A bridged instrument on two local Anvils: the chains, both suites, the bridge and its investors.

What the bridge benchmark (``bench/bridge.py``) needs, and anything else that wants a working
bridge on this machine without a test framework:

* ``start_chains`` starts two Anvils with different chain ids (``AnvilNode``), with interval
  mining when a block time is given;
* ``automine`` switches a node between mining each transaction at once (for a fast setup) and
  interval mining (``evm_setAutomine`` / ``evm_setIntervalMining``);
* ``deploy_local_bridge`` deploys, on the home chain, the suite and the instrument, registers the
  investors and mints to them; then the bridge (``deploy_bridge``: custody, ``BridgeLock``, the
  remote suite, the mirror, ``BridgeMint``, peers), and registers the same investors on the
  remote chain, so each can send home units to its own wallet there.

The chain calls go through ape (``connected(url)``), as the deployment does: call it from a
process that has the project compiled and the working directory at the project root.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from securities_rails.bridge.deploy import BridgeParams, Signers, deploy_bridge
from securities_rails.bridge.deployment import BridgeDeployment
from securities_rails.chain.anvil import AnvilNode, free_port
from securities_rails.chain.contracts import pending_timestamp, registry_at, token_at
from securities_rails.chain.networks import connected
from securities_rails.identifiers import investor_id_hash
from securities_rails.suite import SuiteRoles, create_instrument, deploy_suite, load_record

LEI = "5493001KJTIIGC8Y1R12"
GERMANY = 276
YEAR = 365 * 24 * 3600


def instrument_data(isin: str) -> tuple[Any, ...]:
    """The Instrument struct in field order: a share (CFI ESVUFR) in EUR, nominal 1, 0 decimals."""
    return (isin.encode(), b"ESVUFR", b"EUR", 0, 1_700_000_000, 0, LEI.encode(), 10**18)


def rpc(url: str, method: str, *params: Any, timeout: float = 10.0) -> Any:
    """One JSON-RPC call; an error reply raises RuntimeError."""
    reply = requests.post(
        url,
        json={"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)},
        timeout=timeout,
    ).json()
    if "error" in reply:
        raise RuntimeError(f"{method}: {reply['error']}")
    return reply["result"]


def start_chains(
    home_chain_id: int, remote_chain_id: int, block_time: int | None
) -> tuple[AnvilNode, AnvilNode]:
    """Two Anvils on free loopback ports (``--block-time`` when ``block_time`` is given)."""
    home = AnvilNode(chain_id=home_chain_id, port=free_port(), block_time=block_time).start()
    try:
        remote = AnvilNode(chain_id=remote_chain_id, port=free_port(), block_time=block_time)
        remote.start()
    except BaseException:
        home.stop()
        raise
    return home, remote


def automine(url: str, on: bool, block_time: int | None = None) -> None:
    """Mine every transaction at once (``on``), or go back to interval mining every
    ``block_time`` seconds (without one: mine only on request)."""
    if on:
        rpc(url, "evm_setAutomine", True)
    elif block_time is not None:
        rpc(url, "evm_setIntervalMining", block_time)
    else:
        rpc(url, "evm_setAutomine", False)


@dataclass(frozen=True)
class Roles:
    """The ape accounts that deploy and administer both chains."""

    admin: Any  # suite admin, instrument admin, bridge deployer, admin and first governor
    issuer: Any  # the home instrument's issuer
    registrar: Any  # registrar of both registries


def _register(registry: Any, registrar: Any, wallets: Sequence[str], names: Sequence[str]) -> None:
    """Register ``wallets`` (as investors ``names``, in Germany) in batches."""
    expiry = pending_timestamp() + 5 * YEAR
    batch = 100
    for start in range(0, len(wallets), batch):
        chunk = list(wallets[start : start + batch])
        registry.registerInvestors(
            chunk,
            [investor_id_hash(name) for name in names[start : start + batch]],
            [GERMANY] * len(chunk),
            [1] * len(chunk),
            [expiry] * len(chunk),
            sender=registrar,
        )


def deploy_local_bridge(
    home_url: str,
    remote_url: str,
    directory: Path,
    isin: str,
    params: BridgeParams,
    roles: Roles,
    investors: Sequence[str],
    holding: int,
    *,
    name: str = "Example AG ordinary shares",
    symbol: str = "EXAG",
) -> BridgeDeployment:
    """Deploy everything (records and the bridge file in ``directory``): ``investors`` are
    registered on both chains and hold ``holding`` units each on the home chain."""
    names = [f"INVESTOR-{index}" for index in range(len(investors))]
    admin, issuer, registrar = roles.admin, roles.issuer, roles.registrar
    with connected(home_url):
        record = load_record(str(directory))
        suite = deploy_suite(
            admin,
            SuiteRoles(admin.address, registrar.address, admin.address, admin.address),
            record=record,
        )
        token_roles = (
            admin.address,  # admin
            issuer.address,  # issuer
            registrar.address,  # registrar
            registrar.address,  # enforcer
            admin.address,  # pauser
            admin.address,  # upgrader
        )
        token = create_instrument(suite, admin, name, symbol, instrument_data(isin), token_roles)
        _register(suite.registry, registrar, investors, names)
        for start in range(0, len(investors), 100):
            chunk = list(investors[start : start + 100])
            token.batchMint(chunk, [holding] * len(chunk), sender=issuer)
    deployment = deploy_bridge(
        isin,
        home_url,
        remote_url,
        params,
        Signers(deployer=admin, home_registrar=registrar, remote_registrar=registrar),
        directory=directory,
    )
    with connected(remote_url):
        mirror = token_at(deployment.remote.token)
        _register(registry_at(mirror.registry()), registrar, investors, names)
    return deployment

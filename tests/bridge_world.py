"""Two chains with a bridged instrument, for the cross-chain tests (imported as `bridge_world`).

Two Anvils of their own (chain ids 31341 and 31342, random ports), apart from the Anvil ape
tests against: ape's per-test snapshot covers one chain only, and a bridge test must roll back
both. `BridgeWorld.snapshot()`/`revert()` do that for the two chains together.

Home chain: the suite, instrument ISIN with holders alice (1,000 units) and bob, carol registered
on home only (so a transfer to carol on the remote is refused there). Remote chain: the suite,
the mirror, alice and bob registered. Five validators (3-of-5); a relayer key; one timelock-free
governor (the deployer) unless a test hands it over.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from ape import accounts, project
from eth_account import Account
from eth_utils import keccak
from suite_data import FRANCE, GERMANY, ISIN, USA, YEAR, instrument_data

from securities_rails.bridge.deploy import BridgeParams, Limits, Signers, deploy_bridge
from securities_rails.bridge.deployment import BridgeDeployment
from securities_rails.bridge.endpoint import Endpoint
from securities_rails.bridge.messages import Message
from securities_rails.bridge.metrics import Metrics
from securities_rails.bridge.process import CRASH_ENV
from securities_rails.bridge.reconciler import Reconciler
from securities_rails.bridge.relayer import Relayer
from securities_rails.bridge.store import SENT, Store
from securities_rails.bridge.validator import Validator
from securities_rails.chain.anvil import AnvilNode, free_port
from securities_rails.chain.contracts import pending_timestamp, registry_at, token_at
from securities_rails.chain.networks import connected
from securities_rails.chain.rpc import load_abi
from securities_rails.identifiers import investor_id_hash
from securities_rails.suite import SuiteRoles, create_instrument, deploy_suite, load_record

HOME_CHAIN, REMOTE_CHAIN = 31341, 31342
VALIDATOR_KEYS = tuple("0x" + keccak(text=f"bridge validator {i}").hex() for i in range(5))
VALIDATORS = tuple(Account.from_key(key).address for key in VALIDATOR_KEYS)
THRESHOLD = 3
MINTED = 1_000
LIMITS = Limits(capacity=500, rate=5)
MAX_TRANSFER = 400
CONFIRMATIONS = 2


def rpc(url: str, method: str, *params: Any) -> Any:
    reply = requests.post(
        url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}, timeout=10
    ).json()
    if "error" in reply:
        raise RuntimeError(f"{method}: {reply['error']}")
    return reply["result"]


@dataclass
class BridgeWorld:
    home: AnvilNode
    remote: AnvilNode
    deployment: BridgeDeployment
    directory: Path
    people: dict[str, Any] = field(default_factory=dict)
    snapshots: tuple[str, str] | None = None

    @property
    def admin(self) -> Any:
        return self.people["admin"]

    def snapshot(self) -> None:
        self.snapshots = (rpc(self.home.url, "evm_snapshot"), rpc(self.remote.url, "evm_snapshot"))

    def revert(self) -> None:
        assert self.snapshots is not None
        home, remote = self.snapshots
        for node in (self.home, self.remote):  # mining mode is not part of a snapshot
            rpc(node.url, "evm_setAutomine", True)
        assert rpc(self.home.url, "evm_revert", home)
        assert rpc(self.remote.url, "evm_revert", remote)
        self.snapshot()  # a snapshot is used up by reverting to it

    def mine(self, url: str, blocks: int = 1) -> None:
        rpc(url, "anvil_mine", hex(blocks))

    def warp(self, seconds: int) -> None:
        for node in (self.home, self.remote):
            rpc(node.url, "evm_increaseTime", hex(seconds))
            rpc(node.url, "evm_mine")


def params(admin: str, **changes: Any) -> BridgeParams:
    values: dict[str, Any] = {
        "validators": VALIDATORS,
        "threshold": THRESHOLD,
        "outbound": LIMITS,
        "inbound": LIMITS,
        "max_transfer": MAX_TRANSFER,
        "home_confirmations": CONFIRMATIONS,
        "remote_confirmations": CONFIRMATIONS,
        "admin": admin,
        "guardian": admin,
        "compliance": admin,
        "upgrader": admin,
    }
    values.update(changes)
    return BridgeParams(**values)


def _register(registry: Any, registrar: Any, wallet: Any, name: str, country: int) -> None:
    expiry = pending_timestamp() + 5 * YEAR
    registry.registerInvestor(
        wallet.address, investor_id_hash(name), country, 1, expiry, sender=registrar
    )


def build(directory: Path, state_dir: Path | None = None, maturity: int = 0) -> BridgeWorld:
    """Start both chains, deploy everything, and return the world (not yet snapshotted).

    ``maturity`` (a Unix time, 0 for none) makes the instrument a dated one, on both chains.

    With ``state_dir``, each node keeps its chain in a file there (``home.json``,
    ``remote.json``), so that ``node.restart()`` (or stop, then start) brings the same chain
    back, block hashes included."""
    admin, issuer, registrar, alice, bob, carol = (accounts.test_accounts[i] for i in range(6))
    home_state = state_dir / "home.json" if state_dir is not None else None
    remote_state = state_dir / "remote.json" if state_dir is not None else None
    home = AnvilNode(chain_id=HOME_CHAIN, port=free_port(), state_file=home_state).start()
    remote = AnvilNode(chain_id=REMOTE_CHAIN, port=free_port(), state_file=remote_state).start()
    try:
        with connected(home.url):
            record = load_record(str(directory))
            suite = deploy_suite(
                admin,
                SuiteRoles(admin.address, registrar.address, admin.address, admin.address),
                record=record,
            )
            holders = (
                admin.address,
                issuer.address,
                registrar.address,
                registrar.address,
                admin.address,
                admin.address,
            )
            token = create_instrument(
                suite, admin, "Example AG", "EXAG", instrument_data(maturity=maturity), holders
            )
            for wallet, name, country in (
                (alice, "ALICE", GERMANY),
                (bob, "BOB", FRANCE),
                (carol, "CAROL", USA),
            ):
                _register(suite.registry, registrar, wallet, name, country)
            token.mint(alice.address, MINTED, sender=issuer)
        deployment = deploy_bridge(
            ISIN,
            home.url,
            remote.url,
            params(admin.address),
            Signers(deployer=admin, home_registrar=registrar, remote_registrar=registrar),
            directory=directory,
        )
        with connected(remote.url):
            mirror = token_at(deployment.remote.token)
            registry = registry_at(mirror.registry())
            for wallet, name, country in ((alice, "ALICE", GERMANY), (bob, "BOB", FRANCE)):
                _register(registry, registrar, wallet, name, country)
    except BaseException:
        home.stop()
        remote.stop()
        raise
    people = {
        "admin": admin,
        "issuer": issuer,
        "registrar": registrar,
        "alice": alice,
        "bob": bob,
        "carol": carol,
    }
    return BridgeWorld(home, remote, deployment, directory, people)


def endpoint(url: str, address: str, home_side: bool) -> Any:
    """The ape contract of an endpoint (use inside `connected(url)`)."""
    return (project.BridgeLock if home_side else project.BridgeMint).at(address)


SIGNERS = VALIDATOR_KEYS[:THRESHOLD]
PYTHON = sys.executable


class Harness:
    """The processes of one test, on one database."""

    def __init__(self, world: Any, tmp_path: Path, db_url: str | None = None) -> None:
        self.world = world
        self.deployment: BridgeDeployment = world.deployment
        self.path = tmp_path / "bridge.json"
        self.deployment.save(self.path)
        self.db_url = db_url or f"sqlite:///{tmp_path / 'bridge.sqlite3'}"
        self.store = Store(self.db_url)
        self.endpoints = {side.name: Endpoint(side) for side in self.deployment.sides}
        self.relayer_account = Account.from_key(world.people["admin"].private_key)

    @property
    def home(self) -> Endpoint:
        return self.endpoints["home"]

    @property
    def remote(self) -> Endpoint:
        return self.endpoints["remote"]

    def validators(self, keys: tuple[str, ...] = SIGNERS) -> list[Validator]:
        return [
            Validator(
                self.deployment,
                self.store,
                Account.from_key(key),
                self.endpoints,
                Metrics("validator"),
            )
            for key in keys
        ]

    def relayer(self, **options: Any) -> Relayer:
        return Relayer(
            self.deployment,
            self.store,
            self.relayer_account,
            self.endpoints,
            Metrics("relayer"),
            **options,
        )

    def mined(self) -> None:
        """Wait until every transaction the relayer broadcast and has not recorded yet (its
        submissions still ``sent``) is mined. A pipelined step returns with its transactions in
        flight and the next one records those mined by then: Anvil mines each a few milliseconds
        after the broadcast, later on a loaded machine, so a test waits before that next step."""
        by_chain = {endpoint.chain_id: endpoint for endpoint in self.endpoints.values()}
        for submission in self.store.submissions(states=[SENT]):
            by_chain[submission.chain_id].wait(submission.tx_hash, 30)

    def confirm(self) -> None:
        self.world.mine(self.world.home.url, CONFIRMATIONS)
        self.world.mine(self.world.remote.url, CONFIRMATIONS)

    def attest(self, keys: tuple[str, ...] = SIGNERS) -> None:
        self.confirm()
        for validator in self.validators(keys):
            while validator.step():
                pass

    def send(self, side: str, who: str, recipient: str, amount: int) -> Message:
        """``who`` sends ``amount`` from ``side`` to ``recipient`` on the other side."""
        account = Account.from_key(self.world.people[who].private_key)
        endpoint = self.endpoints[side]
        token = endpoint.chain.contract(endpoint.side.token, load_abi("ISecurityToken"))
        endpoint.chain.send(account, token, "approve", endpoint.address, amount)
        other = self.deployment.other(endpoint.side)
        before = endpoint.head()
        endpoint.chain.send(account, endpoint.contract, "send", other.chain_id, recipient, amount)
        (log,) = [
            log
            for name in ("MessageSent", "OutboundQueued")
            for log in endpoint.events(name, before + 1, endpoint.head())
        ]
        return Message.from_event(log.args)

    def balance(self, side: str, who: str) -> int:
        endpoint = self.endpoints[side]
        token = endpoint.chain.contract(endpoint.side.token, load_abi("ISecurityToken"))
        return int(token.call("balanceOf", self.world.people[who].address))

    def conserved(self) -> bool:
        reconciler = Reconciler(self.home, self.remote, Metrics("reconciler"))
        reconciler.step()
        return reconciler.last is not None and reconciler.last.ok

    def run(self, command: str, *args: str, crash_at: str | None = None, key: str | None = None):
        env = {**os.environ, "BRIDGE_KEY": key or ""}
        env.pop(CRASH_ENV, None)
        if crash_at is not None:
            env[CRASH_ENV] = crash_at
        argv = [PYTHON, "-m", "securities_rails.bridge", command, "--deployment", str(self.path)]
        if command != "reconcile":
            argv += ["--db", self.db_url, "--key-env", "BRIDGE_KEY"]
        return subprocess.run(
            [*argv, "--once", *args], env=env, capture_output=True, text=True, timeout=120
        )


class Killed(Exception):  # noqa: N818 (what it simulates)
    """Raised by a process hook at a crash point: the process dies there (``kill -9``)."""


def kill_at(point: str, nth: int) -> Callable[[str], None]:
    """A hook that raises ``Killed`` the ``nth`` time the process reaches ``point``."""
    reached = Counter[str]()

    def hook(name: str) -> None:
        reached[name] += 1
        if name == point and reached[name] == nth:
            raise Killed(f"killed at {point} (#{nth})")

    return hook

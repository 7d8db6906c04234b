"""The book-entry register bridged to a real chain: a ``BridgeMint`` and its mirror on an Anvil of
their own, peered with the register's pseudo chain id and bridge address; real validators and a
relayer (``InProcessBridge``, through ``endpoints_for`` and a deployment file) carry a round
trip book entry -> wallet -> book entry, and the reconciler proves conservation. Every test runs
with the register on SQLite and on PostgreSQL (``database_url``, tests/conftest.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ape import accounts
from bridge_world import SIGNERS, THRESHOLD, VALIDATORS, params, rpc
from eth_account import Account
from suite_data import GERMANY, ISIN, YEAR, instrument_data

from securities_rails.bridge.deploy import Signers, deploy_mint_for_register
from securities_rails.bridge.deployment import BridgeDeployment, BridgeSide
from securities_rails.bridge.endpoint import Endpoint
from securities_rails.bridge.metrics import Metrics
from securities_rails.bridge.process import CRASH_ENV, EXIT_CRASH
from securities_rails.bridge.reconciler import Reconciler
from securities_rails.bridge.register_book import bridge_address
from securities_rails.bridge.register_endpoint import RegisterEndpoint, configure
from securities_rails.bridge.relayer import CRASH_POINTS as RELAYER_CRASH_POINTS
from securities_rails.bridge.relayer import Relayer
from securities_rails.bridge.runner import InProcessBridge
from securities_rails.chain.anvil import AnvilNode, free_port
from securities_rails.chain.contracts import pending_timestamp, registry_at, token_at
from securities_rails.chain.networks import connected
from securities_rails.chain.rpc import load_abi
from securities_rails.identifiers import investor_id_hash
from securities_rails.ledger.models import ISSUANCE, SEGREGATED
from securities_rails.ledger.register import Register

CHAIN = 31_351
REGISTER_CHAIN = 71_351
REGISTER_ID = "CSD-E2E"
CONFIRMATIONS = 2


@pytest.fixture
def world(tmp_path: Path, database_url: str) -> Iterator[dict[str, Any]]:
    admin, registrar, alice = (accounts.test_accounts[i] for i in (0, 2, 3))
    node = AnvilNode(chain_id=CHAIN, port=free_port()).start()
    try:
        # The register's end comes first: BridgeMint is peered with its address.
        url = database_url  # SQLite, then PostgreSQL
        register = Register(url)
        register.open_account("ISSUER-EXAG", "Example AG", ISSUANCE)
        register.open_account("ALICE-001", "Alice Example", SEGREGATED)
        register.open_account("BOB-001", "Bob Example", SEGREGATED)
        register.add_instrument(ISIN, "ISSUER-EXAG")
        register.issue(ISIN, "ALICE-001", 1_000, "ISSUE-0001")
        remote = deploy_mint_for_register(
            ISIN,
            node.url,
            REGISTER_CHAIN,
            bridge_address(REGISTER_ID, ISIN),
            params(admin.address, home_confirmations=0),
            Signers(deployer=admin, home_registrar=registrar, remote_registrar=registrar),
            instrument_data(),
            "Example AG",
            "EXAG",
            directory=tmp_path,
        )
        with connected(node.url):
            registry = registry_at(token_at(remote.token).registry())
            expiry = pending_timestamp() + 5 * YEAR
            registry.registerInvestor(
                alice.address, investor_id_hash("ALICE"), GERMANY, 1, expiry, sender=registrar
            )
        row = configure(
            register,
            register_id=REGISTER_ID,
            chain_id=REGISTER_CHAIN,
            isin=ISIN,
            peer_chain_id=CHAIN,
            peer_bridge=remote.endpoint,
            validators=VALIDATORS,
            threshold=THRESHOLD,
            confirmations=CONFIRMATIONS,
        )
        home = BridgeSide(
            "home", REGISTER_CHAIN, url, row.address, row.address, None, 0, kind="register"
        )
        deployment = BridgeDeployment(ISIN, home, remote)
        path = tmp_path / "bridge.json"
        deployment.save(path)
        yield {
            "node": node,
            "register": register,
            "deployment": BridgeDeployment.load(path),
            "db": url,
            "admin": admin,
            "alice": alice,
        }
        register.close()
    finally:
        node.stop()


def test_book_entry_to_wallet_and_back_with_real_processes(world: dict[str, Any]) -> None:
    deployment: BridgeDeployment = world["deployment"]
    register: Register = world["register"]
    alice = Account.from_key(world["alice"].private_key)
    node = world["node"]
    bridge = InProcessBridge.start(deployment, world["db"], SIGNERS, world["admin"].private_key)
    home = RegisterEndpoint(deployment.home, register)
    chain = Endpoint(deployment.remote)
    mirror = chain.chain.contract(deployment.remote.token, load_abi("ISecurityToken"))

    def confirm() -> None:
        rpc(node.url, "anvil_mine", hex(CONFIRMATIONS))

    home.send_from_account("ALICE-001", alice.address, ISIN, 300, "TOKENISE-1")
    assert bridge.settle(confirm) == 0
    assert int(mirror.call("balanceOf", alice.address)) == 300
    assert register.holding("ALICE-001", ISIN) == 700

    chain.chain.send(alice, mirror, "approve", chain.address, 120)
    chain.chain.send(
        alice, chain.contract, "send", REGISTER_CHAIN, home.deposit_address("BOB-001"), 120
    )
    assert bridge.settle(confirm) == 0
    assert register.holding("BOB-001", ISIN) == 120
    assert int(mirror.call("totalSupply")) == 180
    digital = register.digital_omnibus(ISIN, CHAIN)
    assert digital is not None and register.holding(digital.id, ISIN) == 180

    reconciler = Reconciler(home, chain, Metrics("reconciler"))  # type: ignore[arg-type]
    reconciler.step()
    assert reconciler.last is not None and reconciler.last.ok, reconciler.last.lines()
    assert reconciler.last.reading.custody == 180 and reconciler.last.in_flight == 0


def test_refusals_on_either_side_are_refunded_and_reconcile_from_the_command_line(
    world: dict[str, Any], tmp_path: Path
) -> None:
    deployment: BridgeDeployment = world["deployment"]
    register: Register = world["register"]
    alice = Account.from_key(world["alice"].private_key)
    stranger = accounts.test_accounts[5].address  # not registered on the chain: refused
    node = world["node"]
    bridge = InProcessBridge.start(deployment, world["db"], SIGNERS, world["admin"].private_key)
    home = RegisterEndpoint(deployment.home, register)
    chain = Endpoint(deployment.remote)
    mirror = chain.chain.contract(deployment.remote.token, load_abi("ISecurityToken"))

    def settle() -> None:
        for _ in range(2):  # the second pass carries the refunds of failed transfers
            bridge.settle(lambda: rpc(node.url, "anvil_mine", hex(CONFIRMATIONS)))
        assert bridge.open_messages() == 0

    refused = home.send_from_account("ALICE-001", stranger, ISIN, 50, "TOKENISE-2")
    home.send_from_account("ALICE-001", alice.address, ISIN, 100, "TOKENISE-3")
    settle()
    assert chain.inbound_status(refused.message_id()).name == "FAILED"
    assert register.holding("ALICE-001", ISIN) == 900  # 50 refunded, 100 on the chain
    assert home.totals().refunded == 50

    chain.chain.send(alice, mirror, "approve", chain.address, 30)
    nowhere = "0x" + "77" * 20  # no account's deposit address
    chain.chain.send(alice, chain.contract, "send", REGISTER_CHAIN, nowhere, 30)
    settle()
    assert int(mirror.call("balanceOf", alice.address)) == 100  # burned, then minted back
    assert chain.totals().refunded == 30

    path = tmp_path / "bridge.json"
    deployment.save(path)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "securities_rails.bridge",
            "reconcile",
            "--deployment",
            str(path),
            "--once",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "difference: custody - (supply + in flight) = +0 units" in done.stdout


def test_a_pipelined_relayer_carries_batches_both_ways(world: dict[str, Any]) -> None:
    deployment: BridgeDeployment = world["deployment"]
    register: Register = world["register"]
    alice = Account.from_key(world["alice"].private_key)
    node = world["node"]
    started = InProcessBridge.start(deployment, world["db"], SIGNERS, world["admin"].private_key)
    relayer = Relayer(
        deployment,
        started.store,
        Account.from_key(world["admin"].private_key),
        started.relayer.endpoints,
        Metrics("relayer"),
        pipeline=True,
    )
    bridge = InProcessBridge(deployment, started.store, started.validators, relayer)
    home = RegisterEndpoint(deployment.home, register)
    chain = Endpoint(deployment.remote)
    mirror = chain.chain.contract(deployment.remote.token, load_abi("ISecurityToken"))

    def settle() -> None:
        for _ in range(3):  # a pipelined step leaves its transactions to the next one
            bridge.settle(lambda: rpc(node.url, "anvil_mine", hex(CONFIRMATIONS)))

    for n, quantity in enumerate((10, 20, 30)):
        home.send_from_account("ALICE-001", alice.address, ISIN, quantity, f"BATCH-{n}")
    settle()
    assert int(mirror.call("balanceOf", alice.address)) == 60
    chain.chain.send(alice, mirror, "approve", chain.address, 25)
    bob = home.deposit_address("BOB-001")
    for quantity in (5, 20):
        chain.chain.send(alice, chain.contract, "send", REGISTER_CHAIN, bob, quantity)
    settle()
    assert bridge.open_messages() == 0
    assert register.holding("BOB-001", ISIN) == 25
    assert home.pending_nonce(relayer.account.address) == 2  # one register transaction each
    reconciler = Reconciler(home, chain, Metrics("reconciler"))  # type: ignore[arg-type]
    reconciler.step()
    assert reconciler.last is not None and reconciler.last.ok


@pytest.mark.parametrize("point", RELAYER_CRASH_POINTS)
def test_a_relayer_process_killed_delivering_to_the_register_books_once(
    world: dict[str, Any], tmp_path: Path, point: str
) -> None:
    deployment: BridgeDeployment = world["deployment"]
    register: Register = world["register"]
    alice = Account.from_key(world["alice"].private_key)
    node = world["node"]
    bridge = InProcessBridge.start(deployment, world["db"], SIGNERS, world["admin"].private_key)
    home = RegisterEndpoint(deployment.home, register)
    chain = Endpoint(deployment.remote)
    mirror = chain.chain.contract(deployment.remote.token, load_abi("ISecurityToken"))
    home.send_from_account("ALICE-001", alice.address, ISIN, 100, "TOKENISE-1")
    assert bridge.settle(lambda: rpc(node.url, "anvil_mine", hex(CONFIRMATIONS))) == 0
    chain.chain.send(alice, mirror, "approve", chain.address, 40)
    chain.chain.send(
        alice, chain.contract, "send", REGISTER_CHAIN, home.deposit_address("BOB-001"), 40
    )
    rpc(node.url, "anvil_mine", hex(CONFIRMATIONS))
    for validator in bridge.validators:
        while validator.step():
            pass
    path = tmp_path / "bridge.json"
    deployment.save(path)
    argv = [sys.executable, "-m", "securities_rails.bridge", "relayer", "--deployment", str(path)]
    argv += ["--db", world["db"], "--key-env", "BRIDGE_KEY", "--once"]
    env = {**os.environ, "BRIDGE_KEY": world["admin"].private_key, CRASH_ENV: point}
    killed = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120)
    assert killed.returncode == EXIT_CRASH, killed.stderr
    env.pop(CRASH_ENV)
    again = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    assert bridge.open_messages() == 0
    assert register.holding("BOB-001", ISIN) == 40
    credits = [m for m in register.movements("BOB-001") if m.kind == "off-chain"]
    assert len(credits) == 1
    assert home.totals().received == 40

"""Actions and checks shared by the cross-chain attack, control and resilience tests (imported as
`bridge_actions`; tests/e2e is on sys.path as the tests' own directory).

Everything here talks to the two Anvils of tests/bridge_world.py through
`securities_rails.chain.rpc` (the path the processes use), except `deploy_second_mint`, which
uses ape inside `connected(url)`.

A refused call is checked twice: `prepare` (gas estimation) must refuse it, AND the same call
mined with a fixed gas limit (no estimate) must revert on chain with the same custom error.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import bridge_world
from ape import project
from bridge_world import PYTHON, Harness
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils import is_address, keccak, to_checksum_address

from securities_rails.bridge.endpoint import Endpoint, endpoint_abi
from securities_rails.bridge.messages import Message
from securities_rails.chain.networks import connected
from securities_rails.chain.rpc import ABI, Contract, RevertError, load_abi, merge_abis

FORCED_GAS = 3_000_000
PEOPLE = ("alice", "bob", "carol")
SIDES = ("home", "remote")


# ---------------------------------------------------------------------- accounts and keys


def account(harness: Harness, who: str) -> LocalAccount:
    """The eth_account key of one of the world's people (admin, alice, bob...)."""
    return Account.from_key(harness.world.people[who].private_key)


def address(harness: Harness, who: str) -> str:
    return str(harness.world.people[who].address)


def signer(key: str) -> str:
    return str(Account.from_key(key).address)


def new_key(label: str) -> str:
    """A deterministic private key outside the world's validator set."""
    return "0x" + keccak(text=f"bridge attack key {label}").hex()


def signed(message: Message, keys: Iterable[str], *, ascending: bool = True) -> list[bytes]:
    """Signatures of ``message``'s id by ``keys``, ordered by signer address (ascending unless
    told otherwise; ``ascending=False`` keeps the order given)."""
    pairs = [(int(signer(key), 16), message.sign(key)) for key in keys]
    if ascending:
        pairs.sort()
    return [signature for _, signature in pairs]


# ---------------------------------------------------------------------- contracts


@cache
def compiled_abi(name: str) -> ABI:
    """The ABI of a compiled project contract (with the OpenZeppelin errors it can raise)."""
    contract_type = getattr(project, name).contract_type
    return [
        entry.model_dump(mode="json", by_alias=True, exclude_none=True)
        for entry in contract_type.abi
    ]


def full(endpoint: Endpoint) -> Contract:
    """The endpoint with its complete compiled ABI, so that every revert decodes by name
    (AccessControlUnauthorizedAccount is not in the interface's ABI)."""
    name = "BridgeLock" if endpoint.name == "home" else "BridgeMint"
    return endpoint.chain.contract(endpoint.address, merge_abis(endpoint_abi(), compiled_abi(name)))


def token(endpoint: Endpoint) -> Contract:
    return endpoint.chain.contract(endpoint.side.token, load_abi("ISecurityToken"))


# ---------------------------------------------------------------------- refusals


def force(contract: Contract, sender: LocalAccount, function: str, *args: Any) -> RevertError:
    """Mine ``function(*args)`` with a fixed gas limit (no estimate, so the node accepts it);
    it must revert on chain. Returns the decoded reason (the call replayed at its block)."""
    chain = contract.chain
    web3 = chain.web3
    txn = contract.handle.functions[function](*args).build_transaction(
        {
            "from": sender.address,
            "chainId": chain.chain_id,
            "gas": FORCED_GAS,
            "nonce": web3.eth.get_transaction_count(sender.address, "pending"),
        }
    )
    raw = sender.sign_transaction(txn)
    tx_hash = "0x" + bytes(raw.hash).hex()
    web3.eth.send_raw_transaction(raw.raw_transaction)
    receipt = chain.wait(tx_hash, timeout=30)
    assert not receipt.ok, f"{function} was mined successfully: it should have been refused"
    return _checksummed(contract.revert_of(receipt))


def _checksummed(error: RevertError) -> RevertError:
    """The error with its address arguments checksummed (they decode in lower case)."""
    for name, value in error.inputs.items():
        if isinstance(value, str) and is_address(value):
            error.inputs[name] = to_checksum_address(value)
    return error


def refused(contract: Contract, sender: LocalAccount, function: str, *args: Any) -> RevertError:
    """``function(*args)`` is refused both at estimation (what `Chain.send`/`Endpoint.prepare`
    do) and when mined; the two reasons agree. Returns the mined reason."""
    try:
        contract.prepare(sender, function, *args)
    except RevertError as error:
        estimated = _checksummed(error)
    else:
        raise AssertionError(f"{function} would be accepted")
    mined = force(contract, sender, function, *args)
    assert (estimated.error, estimated.inputs) == (mined.error, mined.inputs), (estimated, mined)
    return mined


def execute_refused(
    endpoint: Endpoint, message: Message, signatures: Sequence[bytes], *, sender: LocalAccount
) -> RevertError:
    """``execute(message, signatures)`` on ``endpoint`` refused (prepare and mined)."""
    return refused(full(endpoint), sender, "execute", message.as_tuple(), list(signatures))


def reclaim_refused(
    endpoint: Endpoint, message: Message, signatures: Sequence[bytes], *, sender: LocalAccount
) -> RevertError:
    return refused(full(endpoint), sender, "reclaim", message.as_tuple(), list(signatures))


def execute(
    endpoint: Endpoint, message: Message, signatures: Sequence[bytes], *, sender: LocalAccount
) -> None:
    """``execute`` that must succeed (through `Chain.send`)."""
    endpoint.chain.send(sender, endpoint.contract, "execute", message.as_tuple(), list(signatures))


def approve(harness: Harness, side: str, who: str, amount: int) -> None:
    """``who`` allows ``side``'s endpoint to take ``amount`` units (one block)."""
    endpoint = harness.endpoints[side]
    endpoint.chain.send(account(harness, who), token(endpoint), "approve", endpoint.address, amount)


def send_approved(harness: Harness, side: str, who: str, recipient: str, amount: int) -> Message:
    """``send`` alone (one block; the allowance given before), as `Harness.send` without its
    approval: for tests that count blocks."""
    endpoint = harness.endpoints[side]
    other = harness.deployment.other(endpoint.side).chain_id
    receipt = endpoint.chain.send(
        account(harness, who), endpoint.contract, "send", other, recipient, amount
    )
    (log,) = [
        log
        for name in ("MessageSent", "OutboundQueued")
        for log in endpoint.events(name, receipt.block_number, receipt.block_number)
    ]
    return Message.from_event(log.args)


# ---------------------------------------------------------------------- what moved


@dataclass(frozen=True)
class Ledger:
    """Everything a bridge message could move, on both chains."""

    balances: dict[tuple[str, str], int]
    supplies: dict[str, int]
    custody: int
    totals: dict[str, tuple[int, int, int]]
    next_nonces: dict[str, int]
    inbound: dict[tuple[str, str], int]


def ledger(harness: Harness, messages: Iterable[Message] = ()) -> Ledger:
    """Balances, supplies, custody, totals, nonces, and the inbound status of ``messages`` on
    both ends."""
    ids = [message.message_id() for message in messages]
    balances = {(side, who): harness.balance(side, who) for side in SIDES for who in PEOPLE}
    supplies = {side: harness.endpoints[side].token_supply() for side in SIDES}
    totals = {}
    nonces = {}
    inbound = {}
    for side in SIDES:
        endpoint = harness.endpoints[side]
        t = endpoint.totals()
        totals[side] = (t.sent, t.received, t.refunded)
        nonces[side] = int(endpoint.contract.call("nextNonce"))
        for message_id in ids:
            inbound[(side, "0x" + message_id.hex())] = int(endpoint.inbound_status(message_id))
    return Ledger(balances, supplies, harness.home.custody_balance(), totals, nonces, inbound)


# ---------------------------------------------------------------------- governance by ape


def grant_role(harness: Harness, side: str, role_name: str, to: str) -> None:
    """The admin (holder of every role in the world) grants ``role_name`` on ``side``'s endpoint."""
    endpoint = harness.endpoints[side]
    contract = full(endpoint)
    role = bytes(contract.call(role_name))
    endpoint.chain.send(account(harness, "admin"), contract, "grantRole", role, to)


def deploy_second_mint(harness: Harness) -> str:
    """A second BridgeMint proxy on the remote chain: the same mirror, the same validators, the
    same peer (the home endpoint). Deployed with ape inside ``connected(remote url)``."""
    world = harness.world
    admin = world.people["admin"]
    setup = bridge_world.params(admin.address).setup(admin.address, None)
    with connected(world.remote.url):
        implementation = project.BridgeMint.deploy(sender=admin)
        init = implementation.initialize.encode_input(setup, harness.deployment.remote.token)
        proxy = project.SuiteProxy.deploy(implementation.address, init, sender=admin)
        second = project.BridgeMint.at(proxy.address)
        home = harness.deployment.home
        second.setPeer(home.chain_id, home.endpoint, bridge_world.CONFIRMATIONS, sender=admin)
        second.checkConfiguration()
        return str(proxy.address)


# ---------------------------------------------------------------------- process fleets


@dataclass
class Process:
    """One bridge process (`python -m securities_rails.bridge ...`) in loop mode."""

    name: str
    argv: list[str]
    env: dict[str, str]
    log_path: Path
    popen: subprocess.Popen[bytes] | None = None
    starts: int = 0
    kills: int = 0

    def start(self) -> None:
        assert self.popen is None or self.popen.poll() is not None
        self.starts += 1
        with self.log_path.open("ab") as log:
            log.write(f"--- start {self.starts}\n".encode())
            log.flush()
            self.popen = subprocess.Popen(
                self.argv, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )

    @property
    def pid(self) -> int:
        assert self.popen is not None
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def kill9(self) -> int:
        """SIGKILL the process (by its pid) and reap it; returns its exit status (-9)."""
        assert self.popen is not None
        os.kill(self.popen.pid, signal.SIGKILL)
        status = self.popen.wait(timeout=10)
        self.kills += 1
        return status

    def stop(self) -> int | None:
        """SIGTERM, then wait (the loop finishes its iteration); SIGKILL after 15 s."""
        if self.popen is None or self.popen.poll() is not None:
            return None if self.popen is None else self.popen.returncode
        self.popen.send_signal(signal.SIGTERM)
        try:
            return self.popen.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()
            return None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def process(
    harness: Harness, kind: str, key: str, tmp_path: Path, name: str, interval: float = 0.2
) -> Process:
    """A validator or relayer process of ``harness``'s deployment and database, not started."""
    env = {**os.environ, "BRIDGE_KEY": key}
    env.pop("SECURITIES_RAILS_CRASH_AT", None)
    argv = [
        PYTHON,
        "-m",
        "securities_rails.bridge",
        kind,
        "--deployment",
        str(harness.path),
        "--db",
        harness.db_url,
        "--key-env",
        "BRIDGE_KEY",
        "--interval",
        str(interval),
    ]
    return Process(name, argv, env, tmp_path / f"{name}.log")


def fleet(harness: Harness, tmp_path: Path, validator_keys: Sequence[str]) -> list[Process]:
    """Validators (one per key) and one relayer (the admin key), not started."""
    processes = [
        process(harness, "validator", key, tmp_path, f"validator-{i}")
        for i, key in enumerate(validator_keys)
    ]
    relayer_key = harness.world.people["admin"].private_key
    processes.append(process(harness, "relayer", relayer_key, tmp_path, "relayer"))
    return processes


def wait_until(
    condition: Callable[[], bool],
    *,
    timeout: float,
    what: str,
    between: Callable[[], None] | None = None,
    poll: float = 0.1,
) -> None:
    """Poll ``condition`` until it holds (AssertionError naming ``what`` after ``timeout`` s),
    calling ``between`` (mine a block, say) between polls."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        if between is not None:
            between()
        time.sleep(poll)


def mine_both(world: Any) -> None:
    world.mine(world.home.url)
    world.mine(world.remote.url)

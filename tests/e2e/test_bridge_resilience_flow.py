"""The bridge processes against failures on the two real Anvils: the destination node stopped
and restarted mid-flight, a reorganisation shallower than the confirmations, every process
SIGKILLed at arbitrary moments while transfers flow (SQLite), and the processes sharing one
PostgreSQL database.

The processes run as `python -m securities_rails.bridge ... --interval 0.2` subprocesses in loop
mode (bridge_actions.Process) where a test kills or outlives them; waits are bounded polls that
mine blocks on both chains (the validators wait for confirmations).
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import bridge_world
import pytest
import requests
from bridge_actions import (
    Process,
    address,
    approve,
    fleet,
    ledger,
    mine_both,
    process,
    send_approved,
    signer,
    wait_until,
)
from bridge_world import CONFIRMATIONS, MINTED, SIGNERS, BridgeWorld, Harness

from securities_rails.bridge.endpoint import InboundStatus
from securities_rails.bridge.messages import Message
from securities_rails.bridge.process import EXIT_ERROR
from securities_rails.bridge.store import DONE, MINED, SIGNING

STARTED = '"event": "started"'
FAILED_ITERATION = '"event": "iteration_failed"'


# ---------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def persistent_world(tmp_path_factory: Any) -> Iterator[BridgeWorld]:
    """A world of its own whose nodes keep their chains in files: a node stopped and started
    again is the same chain (the session world's snapshots would not survive a restart)."""
    folder = tmp_path_factory.mktemp("persistent-bridge")
    world = bridge_world.build(folder / "records", state_dir=folder / "state")
    try:
        yield world
    finally:
        world.home.stop()
        world.remote.stop()


@pytest.fixture
def harness(bridge: Any, tmp_path: Path) -> Harness:
    return Harness(bridge, tmp_path)


@pytest.fixture
def processes() -> Iterator[list[Process]]:
    """Processes a test starts; every one still running is stopped afterwards (before the
    `bridge` fixture rolls the chains back)."""
    started: list[Process] = []
    yield started
    for each in started:
        if each.alive():
            each.stop()


# ---------------------------------------------------------------------- helpers


def relayer_key(harness: Harness) -> str:
    return str(harness.world.people["admin"].private_key)


def state(harness: Harness, message: Message) -> str | None:
    stored = harness.store.message(message.id_hex)
    return None if stored is None else stored.state


def wait_started(harness: Harness, each: Process, timeout: float = 30.0) -> None:
    """Until ``each`` logged its start as often as it was started (mining meanwhile)."""
    wait_until(
        lambda: each.log().count(STARTED) >= each.starts,
        timeout=timeout,
        what=f"{each.name} to start (log: {each.log()[-2000:]})",
        between=lambda: mine_both(harness.world),
    )


def wait_delivered(harness: Harness, messages: list[Message], timeout: float) -> None:
    wait_until(
        lambda: all(state(harness, m) == DONE for m in messages),
        timeout=timeout,
        what="every transfer to be delivered: "
        + ", ".join(f"#{m.nonce} {state(harness, m)}" for m in messages),
        between=lambda: mine_both(harness.world),
    )


def assert_delivered_once(harness: Harness, messages: list[Message]) -> None:
    """Each message executed once on its destination: status, one MessageExecuted event, one
    mined submission; and conservation."""
    executed: Counter[bytes] = Counter()
    for endpoint in (harness.home, harness.remote):
        for log in endpoint.events("MessageExecuted", 0, endpoint.head()):
            executed[bytes(log.args["id"])] += 1
    for message in messages:
        destination = harness.deployment.by_chain_id(message.destination_chain_id).name
        endpoint = harness.endpoints[destination]
        assert endpoint.inbound_status(message.message_id()) == InboundStatus.EXECUTED
        assert executed[message.message_id()] == 1, message.describe()
        mined = [s for s in harness.store.submissions(message.id_hex) if s.state == MINED]
        assert len(mined) == 1, (message.describe(), harness.store.submissions(message.id_hex))
    assert sum(executed.values()) == len(messages)
    assert harness.conserved()


def assert_balances(harness: Harness, out: int, back: int) -> None:
    """alice sent ``out`` to bob and bob ``back`` to alice; everything delivered."""
    after = ledger(harness)
    assert after.balances[("home", "alice")] == MINTED - out + back
    assert after.balances[("remote", "bob")] == out - back
    assert after.supplies["remote"] == out - back
    assert after.custody == out - back
    assert after.totals == {"home": (out, back, 0), "remote": (back, out, 0)}


def doomed_block(harness: Harness, message: Message) -> int:
    """The block of ``message``'s MessageSent on its source."""
    source = harness.endpoints[harness.deployment.by_chain_id(message.source_chain_id).name]
    (log,) = [
        log
        for log in source.events("MessageSent", 0, source.head())
        if int(log.args["nonce"]) == message.nonce
    ]
    return log.block_number


# ---------------------------------------------------------------------- (a) node restart


def test_the_destination_node_restarted_mid_flight_delivers_exactly_once(
    persistent_world: BridgeWorld, tmp_path: Path, processes: list[Process]
):
    world = persistent_world
    harness = Harness(world, tmp_path)
    message = harness.send("home", "alice", address(harness, "bob"), 100)
    harness.attest(SIGNERS[:2])  # two of three: nothing to deliver yet
    relayer = process(harness, "relayer", relayer_key(harness), tmp_path, "relayer")
    processes.append(relayer)
    relayer.start()
    cursor = f"relayer:{signer(relayer_key(harness))}@{harness.deployment.home.endpoint}"
    wait_until(
        lambda: harness.store.cursor(cursor, bridge_world.HOME_CHAIN) is not None,
        timeout=30,
        what=f"the relayer's first pass (log: {relayer.log()[-2000:]})",
    )
    assert state(harness, message) == SIGNING
    last_block = harness.remote.head()
    last_hash = harness.remote.block_hash(last_block)
    world.remote.stop()  # the destination goes down, its chain kept in its state file
    # the third validator's signature lands while it is down
    with harness.store.transaction() as tx:
        tx.add_signature(message.id_hex, signer(SIGNERS[2]), message.sign(SIGNERS[2]))
    # the loop logs each failed pass and keeps going
    wait_until(
        lambda: relayer.log().count(FAILED_ITERATION) >= 3,
        timeout=30,
        what=f"failed passes of the relayer (log: {relayer.log()[-2000:]})",
    )
    assert relayer.alive()
    # in process, a pass raises the connection error (the loop catches it); a `--once` run
    # cannot even start against a node that is down
    with pytest.raises(requests.ConnectionError):
        harness.relayer().step()
    once = harness.run("relayer", key=relayer_key(harness))
    assert once.returncode == EXIT_ERROR, once.stderr
    assert "cannot reach" in once.stderr
    assert state(harness, message) == SIGNING
    assert harness.store.submissions(message.id_hex) == []
    world.remote.start()  # the same port, the same chain
    assert world.remote.url == harness.deployment.remote.rpc
    assert harness.remote.block_hash(last_block) == last_hash
    wait_delivered(harness, [message], timeout=30)
    assert relayer.alive()
    assert relayer.stop() == 0
    assert harness.balance("remote", "bob") == 100
    assert_delivered_once(harness, [message])


# ---------------------------------------------------------------------- (b) shallow reorg


def test_a_reorganisation_shallower_than_the_confirmations_never_reaches_a_signature(
    harness: Harness,
):
    url = harness.world.home.url
    bob = address(harness, "bob")
    relayer = harness.relayer()
    approve(harness, "home", "alice", 1_000)
    harness.attest()  # the validators' cursors are up to date
    snapshot = bridge_world.rpc(url, "evm_snapshot")
    doomed = send_approved(harness, "home", "alice", bob, 100)  # A, one block
    harness.world.mine(url, CONFIRMATIONS - 1)  # one confirmation short
    assert harness.home.head() == doomed_block(harness, doomed) + CONFIRMATIONS - 1
    for validator in harness.validators():
        while validator.step():
            pass
    relayer.step()
    assert harness.store.message(doomed.id_hex) is None
    assert harness.store.signatures(doomed.id_hex) == {}
    assert bridge_world.rpc(url, "evm_revert", snapshot)  # the lock is reorganised away
    assert harness.balance("home", "alice") == MINTED
    assert int(harness.home.contract.call("nextNonce")) == doomed.nonce
    replacement = send_approved(harness, "home", "alice", bob, 250)  # B, the same nonce
    assert replacement.nonce == doomed.nonce
    assert replacement.message_id() != doomed.message_id()
    harness.attest()  # no ReorgError: the scanned blocks were never replaced
    relayer.step()
    assert state(harness, replacement) == DONE
    assert harness.store.message(doomed.id_hex) is None
    assert harness.remote.inbound_status(doomed.message_id()) == InboundStatus.NONE
    assert harness.balance("remote", "bob") == 250
    assert_balances(harness, out=250, back=0)
    assert_delivered_once(harness, [replacement])


# ---------------------------------------------------------------------- (c) kill -9


def test_processes_killed_at_arbitrary_moments_deliver_every_transfer_exactly_once(
    harness: Harness, tmp_path: Path, processes: list[Process]
):
    world = harness.world
    rng = random.Random(0x5EC)  # a fixed schedule, unrelated to what the processes are doing
    processes.extend(fleet(harness, tmp_path, SIGNERS))
    for each in processes:
        each.start()
    for each in processes:
        wait_started(harness, each)
    bob, alice = address(harness, "bob"), address(harness, "alice")
    victims = list(processes)  # every process once, in a shuffled order
    rng.shuffle(victims)
    sent: list[Message] = []
    out = back = 0
    for round_, victim in enumerate(victims):
        amount = 30 + 10 * round_  # out: alice locks on home for bob
        sent.append(harness.send("home", "alice", bob, amount))
        out += amount
        if round_ >= 2:  # and back: bob burns on the remote what reached him, for alice
            wait_until(
                lambda: harness.balance("remote", "bob") >= 20,
                timeout=60,
                what="a first delivery to bob",
                between=lambda: mine_both(world),
            )
            sent.append(harness.send("remote", "bob", alice, 20))
            back += 20
        deadline = time.monotonic() + rng.uniform(0.2, 1.2)
        while time.monotonic() < deadline:  # let the work flow, then strike
            mine_both(world)
            time.sleep(0.1)
        assert victim.alive(), victim.log()[-3000:]
        assert victim.kill9() == -9
        victim.start()  # the next round goes on while it starts
    wait_delivered(harness, sent, timeout=60)
    assert {each.name for each in processes if each.kills} == {each.name for each in processes}
    for each in processes:
        wait_started(harness, each)  # SIGTERM is handled once a process has started
        assert each.alive(), each.log()[-3000:]
        assert each.stop() == 0
    validators = {signer(key) for key in SIGNERS}
    for message in sent:
        assert set(harness.store.signatures(message.id_hex)) == validators
    assert_delivered_once(harness, sent)
    assert_balances(harness, out=out, back=back)


# ---------------------------------------------------------------------- (d) PostgreSQL


def test_the_processes_share_one_postgresql_database_for_a_round_trip(
    bridge: Any, tmp_path: Path, postgres_database: str, processes: list[Process]
):
    harness = Harness(bridge, tmp_path, postgres_database)
    assert harness.store.url.startswith("postgresql")
    processes.extend(fleet(harness, tmp_path, SIGNERS))
    for each in processes:
        each.start()
    bob, alice = address(harness, "bob"), address(harness, "alice")
    out = harness.send("home", "alice", bob, 70)
    wait_delivered(harness, [out], timeout=60)
    back = harness.send("remote", "bob", alice, 30)
    wait_delivered(harness, [out, back], timeout=60)
    for each in processes:
        assert each.log().count(STARTED) == 1
        assert "postgresql" in each.log()  # its "started" line names the database
        assert each.stop() == 0
    assert_delivered_once(harness, [out, back])
    assert_balances(harness, out=70, back=30)

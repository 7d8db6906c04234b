"""The bridge processes against the real contracts on two Anvils (the `bridge` fixture of
tests/conftest.py, built by tests/bridge_world.py): transfers both ways, a refused transfer
refunded, rate-limit queues both ways, racing relayers, a reorganisation deeper than the
confirmations, and each process killed (exit 137) at each of its crash points and restarted.

The validators and the relayer run in this process where a test steps them, and as
`python -m securities_rails.bridge` subprocesses where a test kills them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import bridge_world
import pytest
from bridge_world import SIGNERS, Harness
from eth_account import Account

from securities_rails.bridge.endpoint import Direction, InboundStatus
from securities_rails.bridge.messages import refund_of
from securities_rails.bridge.process import EXIT_CONSERVATION, EXIT_CRASH, EXIT_REORG
from securities_rails.bridge.store import DONE, FAILED, MINED, OUTBOUND_QUEUED, QUEUED
from securities_rails.bridge.validator import ReorgError
from securities_rails.chain.rpc import load_abi


@pytest.fixture
def harness(bridge: Any, tmp_path: Path) -> Harness:
    return Harness(bridge, tmp_path)


def people(harness: Harness, name: str) -> str:
    return harness.world.people[name].address


def test_a_transfer_out_and_back_with_the_processes(harness: Harness):
    bob = people(harness, "bob")
    out = harness.send("home", "alice", bob, 300)
    relayer = harness.relayer()
    harness.attest()
    relayer.step()
    assert harness.store.message(out.id_hex).state == DONE
    assert harness.balance("remote", "bob") == 300
    assert harness.remote.inbound_status(out.message_id()) == InboundStatus.EXECUTED
    assert harness.conserved()
    back = harness.send("remote", "bob", people(harness, "alice"), 120)
    assert harness.conserved()  # 120 in flight, burned on remote, not yet released
    harness.attest()
    relayer.step()
    assert harness.store.message(back.id_hex).state == DONE
    assert harness.balance("home", "alice") == bridge_world.MINTED - 300 + 120
    assert harness.conserved()


def test_a_transfer_the_remote_refuses_is_refunded_at_home(harness: Harness):
    transfer = harness.send("home", "alice", people(harness, "carol"), 200)  # not registered there
    relayer = harness.relayer()
    harness.attest()
    relayer.step()
    assert harness.store.message(transfer.id_hex).state == FAILED
    assert harness.balance("home", "alice") == bridge_world.MINTED - 200
    assert harness.conserved()
    harness.attest()  # the validators sign the refund
    relayer.step()
    refund = refund_of(transfer)
    assert harness.store.message(refund.id_hex).state == DONE
    assert harness.balance("home", "alice") == bridge_world.MINTED
    assert harness.conserved()


def test_queued_transfers_complete_when_the_limits_refill(harness: Harness):
    bob = people(harness, "bob")
    guardian = Account.from_key(harness.world.people["admin"].private_key)
    capacity = bridge_world.LIMITS.capacity
    remote = harness.remote  # the guardian slows the remote inbound refill to 1 unit a second
    remote.chain.send(guardian, remote.contract, "setRateLimit", Direction.INBOUND, capacity, 1)
    relayer = harness.relayer()
    first = harness.send("home", "alice", bob, 400)
    second = harness.send("home", "alice", bob, 400)  # 100 left outbound: queued on home
    harness.confirm()
    relayer.step()
    assert harness.store.message(second.id_hex).state == OUTBOUND_QUEUED
    harness.attest()
    relayer.step()
    assert harness.store.message(first.id_hex).state == DONE
    assert harness.store.message(second.id_hex).state == OUTBOUND_QUEUED  # no headroom yet
    harness.world.warp(70)  # home outbound refills 5 a second: 450; remote inbound 1: ~170
    relayer.step()  # sendQueued
    harness.attest()
    relayer.step()  # execute: queued on the remote
    assert harness.store.message(second.id_hex).state == QUEUED
    relayer.step()
    assert harness.store.message(second.id_hex).state == QUEUED  # not enough available yet
    assert [s.action for s in harness.store.submissions(second.id_hex)] == ["sendQueued", "execute"]
    harness.world.warp(300)
    relayer.step()  # executeQueued
    assert harness.store.message(second.id_hex).state == DONE
    assert harness.balance("remote", "bob") == 800
    assert harness.conserved()


def test_racing_relayers_deliver_once(harness: Harness, tmp_path: Path):
    message = harness.send("home", "alice", people(harness, "bob"), 50)
    other = Harness(harness.world, tmp_path, f"sqlite:///{tmp_path / 'other.sqlite3'}")
    other.relayer_account = Account.from_key(harness.world.people["issuer"].private_key)
    harness.attest()
    other.attest()
    remote_url = harness.world.remote.url
    bridge_world.rpc(remote_url, "evm_setAutomine", False)
    try:
        harness.relayer(receipt_timeout=0.5).step()  # both see it undelivered and submit
        other.relayer(receipt_timeout=0.5).step()
        bridge_world.rpc(remote_url, "evm_mine")
    finally:
        bridge_world.rpc(remote_url, "evm_setAutomine", True)
    harness.relayer().step()
    other.relayer().step()
    assert harness.store.message(message.id_hex).state == DONE
    assert other.store.message(message.id_hex).state == DONE
    outcomes = sorted(
        s.state for h in (harness, other) for s in h.store.submissions(message.id_hex)
    )
    assert outcomes == ["mined", "reverted"]
    assert harness.balance("remote", "bob") == 50


def test_a_reorganisation_deeper_than_the_confirmations_stops_the_validator(harness: Harness):
    url = harness.world.home.url
    snapshot = bridge_world.rpc(url, "evm_snapshot")
    harness.send("home", "alice", people(harness, "bob"), 10)
    (validator,) = harness.validators(SIGNERS[:1])
    harness.attest(SIGNERS[:1])
    bridge_world.rpc(url, "evm_revert", snapshot)  # the scanned blocks are replaced
    bridge_world.rpc(url, "evm_increaseTime", 7)
    bridge_world.rpc(url, "anvil_mine", hex(8))
    with pytest.raises(ReorgError):
        validator.step()
    result = harness.run("validator", key=SIGNERS[0])
    assert result.returncode == EXIT_REORG, result.stderr
    assert '"event": "reorg_detected"' in result.stderr


@pytest.mark.parametrize("point", ["after_sign_before_commit", "after_commit"])
def test_a_validator_killed_at_each_step_signs_once(harness: Harness, point: str):
    message = harness.send("home", "alice", people(harness, "bob"), 10)
    harness.confirm()
    signer = Account.from_key(SIGNERS[0]).address
    killed = harness.run("validator", crash_at=point, key=SIGNERS[0])
    assert killed.returncode == EXIT_CRASH, killed.stderr
    stored = harness.store.signatures(message.id_hex)
    assert (signer in stored) == (point == "after_commit")
    again = harness.run("validator", key=SIGNERS[0])
    assert again.returncode == 0, again.stderr
    assert set(harness.store.signatures(message.id_hex)) == {signer}


@pytest.mark.parametrize("point", ["after_intent", "after_submit_before_record", "after_record"])
def test_a_relayer_killed_at_each_step_delivers_once(harness: Harness, point: str):
    message = harness.send("home", "alice", people(harness, "bob"), 25)
    harness.attest()
    key = harness.world.people["admin"].private_key
    killed = harness.run("relayer", crash_at=point, key=key)
    assert killed.returncode == EXIT_CRASH, killed.stderr
    for _ in range(2):
        again = harness.run("relayer", key=key)
        assert again.returncode == 0, again.stderr
    assert harness.store.message(message.id_hex).state == DONE
    assert harness.balance("remote", "bob") == 25
    # after_intent: the journaled transaction never reached the node; it is signed again
    # identically (same nonce, same call), so it is the same submission, now mined
    assert [s.state for s in harness.store.submissions(message.id_hex)] == [MINED]


def test_the_reconcile_command_names_a_break_in_units(harness: Harness):
    harness.send("home", "alice", people(harness, "bob"), 30)
    ok = harness.run("reconcile")
    assert ok.returncode == 0, ok.stderr
    assert "in flight: 30 home->remote, 0 remote->home, 30 in all" in ok.stdout
    custody = harness.deployment.home.custody
    assert custody is not None
    _transfer(harness, "alice", custody, 5)  # units put into custody outside the bridge
    broken = harness.run("reconcile")
    assert broken.returncode == EXIT_CONSERVATION
    assert broken.stderr.strip().splitlines()[-1] == (
        "error: conservation: custody holds 5 units more than the mirror supply plus in flight"
    )


def _transfer(harness: Harness, who: str, to: str, amount: int) -> None:
    account = Account.from_key(harness.world.people[who].private_key)
    chain = harness.home.chain
    token = chain.contract(harness.deployment.home.token, load_abi("ISecurityToken"))
    chain.send(account, token, "transfer", to, amount)

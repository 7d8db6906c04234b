"""The relayer's pipelined mode (``--pipeline``) against the real contracts on two Anvils: many
messages in one batch, both directions, a refused transfer refunded, and the process killed at
each crash point and restarted, delivering exactly once. Also: the endpoint's event decoder
gives what web3's does.

A pipelined ``step()`` returns with its transactions in flight; the next one records those
mined by then, so a test waits for them (``Harness.mined``) before that next step: Anvil mines
a few milliseconds after the broadcast, later on a loaded machine (the cause of this file's
flaky failure before the wait).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import bridge_world
import pytest
from bridge_world import Harness

from securities_rails.bridge.endpoint import InboundStatus
from securities_rails.bridge.messages import refund_of
from securities_rails.bridge.process import EXIT_CRASH
from securities_rails.bridge.relayer import CRASH_POINTS
from securities_rails.bridge.store import DONE, FAILED, MINED, SENT, SUBMITTED


@pytest.fixture
def harness(bridge: Any, tmp_path: Path) -> Harness:
    return Harness(bridge, tmp_path)


def people(harness: Harness, name: str) -> str:
    return harness.world.people[name].address


def test_a_batch_of_transfers_both_ways_is_sent_then_recorded(harness: Harness):
    bob, alice = people(harness, "bob"), people(harness, "alice")
    out = [harness.send("home", "alice", bob, amount) for amount in (10, 20, 30, 40)]
    relayer = harness.relayer(pipeline=True)
    harness.attest()
    relayer.step()  # one batch of four: journaled, broadcast, not waited for
    for message in out:
        assert harness.store.message(message.id_hex).state == SUBMITTED
        assert [s.state for s in harness.store.submissions(message.id_hex)] == [SENT]
    nonces = sorted(s.account_nonce for m in out for s in harness.store.submissions(m.id_hex))
    assert nonces == list(range(nonces[0], nonces[0] + 4))  # consecutive, one per message
    harness.mined()
    relayer.step()  # the receipts
    for message in out:
        assert harness.store.message(message.id_hex).state == DONE
        assert harness.remote.inbound_status(message.message_id()) == InboundStatus.EXECUTED
    assert harness.balance("remote", "bob") == 100
    back = [harness.send("remote", "bob", alice, amount) for amount in (5, 15)]
    harness.attest()
    relayer.step()
    harness.mined()
    relayer.step()
    assert all(harness.store.message(m.id_hex).state == DONE for m in back)
    assert harness.balance("home", "alice") == bridge_world.MINTED - 100 + 20
    assert harness.conserved()


def test_a_refused_transfer_is_refunded_in_pipelined_mode(harness: Harness):
    refused = harness.send("home", "alice", people(harness, "carol"), 200)
    delivered = harness.send("home", "alice", people(harness, "bob"), 50)
    relayer = harness.relayer(pipeline=True)
    harness.attest()
    relayer.step()
    harness.mined()
    relayer.step()
    assert harness.store.message(refused.id_hex).state == FAILED
    assert harness.store.message(delivered.id_hex).state == DONE
    harness.attest()  # the validators sign the refund
    relayer.step()
    harness.mined()
    relayer.step()
    assert harness.store.message(refund_of(refused).id_hex).state == DONE
    assert harness.balance("home", "alice") == bridge_world.MINTED - 50
    assert harness.conserved()


@pytest.mark.parametrize("point", CRASH_POINTS)
def test_a_pipelined_relayer_killed_at_each_step_delivers_once(harness: Harness, point: str):
    bob = people(harness, "bob")
    messages = [harness.send("home", "alice", bob, amount) for amount in (25, 35)]
    harness.attest()
    key = harness.world.people["admin"].private_key
    # A pipelined iteration sends; the next records: the crash comes in the first or second run.
    runs = [harness.run("relayer", "--pipeline", crash_at=point, key=key) for _ in range(2)]
    assert [run.returncode for run in runs].count(EXIT_CRASH) >= 1, runs[-1].stderr
    for _ in range(2):
        again = harness.run("relayer", "--pipeline", key=key)
        assert again.returncode == 0, again.stderr
    for message in messages:
        assert harness.store.message(message.id_hex).state == DONE
        assert [s.state for s in harness.store.submissions(message.id_hex)].count(MINED) == 1
    assert harness.balance("remote", "bob") == 60
    assert harness.conserved()


def test_the_endpoint_decodes_events_as_web3_does(harness: Harness):
    harness.send("home", "alice", people(harness, "carol"), 7)  # refused on the remote chain
    harness.send("home", "alice", people(harness, "bob"), 8)
    harness.attest()
    harness.relayer().step()
    for endpoint in (harness.home, harness.remote):
        head = endpoint.head()
        for event in ("MessageSent", "MessageExecuted", "TransferFailed", "OutboundQueued"):
            assert endpoint.events(event, 0, head) == endpoint.contract.logs(event, 0, head)
    (failure,) = harness.remote.events("TransferFailed", 0, harness.remote.head())
    assert isinstance(failure.args["reason"], bytes) and len(failure.args["reason"]) == 32

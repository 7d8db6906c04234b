"""The relayer against the in-memory bridge: signature selection, delivery, refunds, queues,
races with other relayers, and a kill at each step of a submission."""

from __future__ import annotations

import pytest
from bridge_fakes import ALICE, BOB, CAROL, RELAYER_KEY, VALIDATOR_KEYS, VALIDATORS, FakeBridge
from eth_account import Account

from securities_rails.bridge.endpoint import Direction, ValidatorSet
from securities_rails.bridge.messages import Message, refund_of
from securities_rails.bridge.metrics import Metrics
from securities_rails.bridge.relayer import CRASH_POINTS, Relayer, select_signatures
from securities_rails.bridge.store import (
    DONE,
    FAILED,
    MINED,
    OUTBOUND_QUEUED,
    QUEUED,
    REVERTED,
    SENT,
    SIGNING,
    SUBMITTED,
    Store,
)
from securities_rails.bridge.validator import Validator

RELAYER = Account.from_key(RELAYER_KEY)


class KilledError(Exception):
    pass


def kill_at(point: str):
    def hook(name: str) -> None:
        if name == point:
            raise KilledError(point)

    return hook


def relayer(fake_bridge: FakeBridge, store: Store, metrics: Metrics, **options: object) -> Relayer:
    return Relayer(
        fake_bridge.deployment, store, RELAYER, fake_bridge.endpoints, metrics, **options
    )


def attest(
    fake_bridge: FakeBridge, store: Store, keys: tuple[str, ...] = VALIDATOR_KEYS[:2]
) -> None:
    """Confirm what happened and let the validators with ``keys`` sign it."""
    fake_bridge.confirm()
    for key in keys:
        Validator(
            fake_bridge.deployment,
            store,
            Account.from_key(key),
            fake_bridge.endpoints,
            Metrics("v"),
        ).step()


def state(store: Store, message: Message) -> str:
    stored = store.message(message.id_hex)
    assert stored is not None
    return stored.state


# ------------------------------------------------------------------ signature selection


def test_select_signatures_keeps_current_validators_ascending_up_to_the_threshold():
    message = Message(
        0, 1, 2, "0x" + "11" * 20, "0x" + "22" * 20, 1, b"US0378331005", ALICE, BOB, 5
    )
    mid = message.message_id()
    outsider = "0x" + "cd" * 32
    signatures = {Account.from_key(k).address: message.sign(k) for k in VALIDATOR_KEYS}
    signatures[Account.from_key(outsider).address] = message.sign(outsider)
    current = ValidatorSet(VALIDATORS, 2, 1)
    chosen = select_signatures(mid, signatures, current)
    ordered = sorted(VALIDATORS, key=lambda a: int(a, 16))
    assert chosen == [signatures[ordered[0]], signatures[ordered[1]]]
    # a removed validator's signature no longer counts
    smaller = ValidatorSet((ordered[1], ordered[2]), 2, 2)
    assert select_signatures(mid, signatures, smaller) == [
        signatures[ordered[1]],
        signatures[ordered[2]],
    ]
    # a signature filed under the wrong validator, or malformed, is skipped
    swapped = dict(signatures)
    swapped[ordered[0]], swapped[ordered[1]] = signatures[ordered[1]], b"\x00" * 65
    assert select_signatures(mid, swapped, current) is None
    assert select_signatures(mid, swapped, ValidatorSet(VALIDATORS, 1, 1)) == [
        signatures[ordered[2]]
    ]
    assert select_signatures(mid, {ordered[0]: signatures[ordered[0]]}, current) is None
    assert select_signatures(mid, signatures, ValidatorSet(VALIDATORS, 0, 1)) is None


# ------------------------------------------------------------------ flows


def test_delivers_an_attested_transfer_and_counts_it(fake_bridge, sqlite_store, metrics):
    message = fake_bridge.home.send(ALICE, BOB, 100)
    process = relayer(fake_bridge, sqlite_store, metrics)
    attest(fake_bridge, sqlite_store, VALIDATOR_KEYS[:1])
    process.step()
    assert state(sqlite_store, message) == SIGNING  # 1 of 2 signatures: waits
    assert fake_bridge.remote.calls == []
    attest(fake_bridge, sqlite_store, VALIDATOR_KEYS[1:2])
    process.step()
    assert state(sqlite_store, message) == DONE
    assert fake_bridge.remote.calls == ["execute"] and fake_bridge.remote.received == 100
    (submission,) = sqlite_store.submissions(message.id_hex)
    assert (submission.action, submission.state) == ("execute", MINED)
    exposition = metrics.exposition()
    assert 'securities_rails_bridge_processed_total{chain="remote"} 1.0' in exposition
    assert 'securities_rails_bridge_pending{chain="remote"} 0.0' in exposition


def test_a_message_processed_by_another_relayer_costs_nothing(fake_bridge, sqlite_store, metrics):
    message = fake_bridge.home.send(ALICE, BOB, 100)
    attest(fake_bridge, sqlite_store)
    other = Relayer(
        fake_bridge.deployment,
        sqlite_store,
        Account.from_key("0x" + "42" * 32),
        fake_bridge.endpoints,
        Metrics("other"),
    )
    other.step()
    assert fake_bridge.remote.calls == ["execute"]
    process = relayer(fake_bridge, sqlite_store, metrics)
    assert state(sqlite_store, message) == DONE
    process.step()
    assert fake_bridge.remote.calls == ["execute"]  # checked on chain first: nothing sent


def test_a_race_lost_on_chain_is_done_not_an_error(fake_bridge, sqlite_store, metrics):
    message = fake_bridge.home.send(ALICE, BOB, 100)
    attest(fake_bridge, sqlite_store)
    sigs = select_signatures(
        message.message_id(),
        sqlite_store.signatures(message.id_hex),
        fake_bridge.remote.validator_set(),
    )

    def someone_else_first(tx):  # another relayer's transaction is mined first
        fake_bridge.remote.before_mining = None
        fake_bridge.remote._apply(type(tx)("execute", message, sigs, "0x" + "42" * 20))

    fake_bridge.remote.before_mining = someone_else_first
    relayer(fake_bridge, sqlite_store, metrics).step()
    assert state(sqlite_store, message) == DONE
    (submission,) = sqlite_store.submissions(message.id_hex)
    assert submission.state == REVERTED and "AlreadyProcessed" in (submission.detail or "")
    assert 'securities_rails_bridge_failed_total{chain="remote"}' not in metrics.exposition()


def test_a_refused_transfer_is_refunded_on_its_source(fake_bridge, sqlite_store, metrics):
    transfer = fake_bridge.home.send(ALICE, CAROL, 100)
    assert fake_bridge.home.held == 100
    process = relayer(fake_bridge, sqlite_store, metrics)
    attest(fake_bridge, sqlite_store)
    process.step()
    assert state(sqlite_store, transfer) == FAILED
    attest(fake_bridge, sqlite_store)  # the validators see TransferFailed and sign the refund
    process.step()
    refund = refund_of(transfer)
    assert state(sqlite_store, refund) == DONE
    assert fake_bridge.home.calls == ["reclaim"] and fake_bridge.home.refunded == 100
    assert fake_bridge.home.held == 0


def test_an_inbound_queued_transfer_is_executed_when_the_limit_allows(
    fake_bridge, sqlite_store, metrics
):
    fake_bridge.remote.available[Direction.INBOUND] = 50
    message = fake_bridge.home.send(ALICE, BOB, 100)
    process = relayer(fake_bridge, sqlite_store, metrics)
    attest(fake_bridge, sqlite_store)
    process.step()
    assert state(sqlite_store, message) == QUEUED
    assert 'securities_rails_bridge_queued{chain="remote"} 1.0' in metrics.exposition()
    process.step()
    assert fake_bridge.remote.calls == ["execute"]  # not enough available: nothing sent
    fake_bridge.remote.available[Direction.INBOUND] = 100
    process.step()
    assert state(sqlite_store, message) == DONE
    assert fake_bridge.remote.calls == ["execute", "executeQueued"]


def test_an_outbound_queued_transfer_is_sent_then_delivered(fake_bridge, sqlite_store, metrics):
    fake_bridge.home.available[Direction.OUTBOUND] = 10
    message = fake_bridge.home.send(ALICE, BOB, 100)
    process = relayer(fake_bridge, sqlite_store, metrics)
    fake_bridge.confirm()
    process.step()
    assert state(sqlite_store, message) == OUTBOUND_QUEUED
    assert 'securities_rails_bridge_queued{chain="home"} 1.0' in metrics.exposition()
    fake_bridge.home.available[Direction.OUTBOUND] = 1000
    process.step()
    assert fake_bridge.home.calls == ["sendQueued"]
    assert state(sqlite_store, message) == SIGNING
    attest(fake_bridge, sqlite_store)
    process.step()
    assert state(sqlite_store, message) == DONE and fake_bridge.remote.received == 100


def test_an_orphaned_outbound_queue_entry_is_dropped(fake_bridge, sqlite_store, metrics):
    fake_bridge.home.available[Direction.OUTBOUND] = 10
    message = fake_bridge.home.send(ALICE, BOB, 100)
    fake_bridge.confirm()
    process = relayer(fake_bridge, sqlite_store, metrics)
    process.step()
    fake_bridge.home.outbounds.clear()  # the chain no longer has it
    process.step()
    assert state(sqlite_store, message) == "dropped"


def test_signatures_of_a_removed_validator_do_not_count(fake_bridge, sqlite_store, metrics):
    message = fake_bridge.home.send(ALICE, BOB, 100)
    attest(fake_bridge, sqlite_store, VALIDATOR_KEYS[:2])
    removed = Account.from_key(VALIDATOR_KEYS[0]).address
    fake_bridge.remote.validators.remove(removed)
    fake_bridge.remote.version += 1
    process = relayer(fake_bridge, sqlite_store, metrics)
    process.step()
    assert state(sqlite_store, message) == SIGNING and fake_bridge.remote.calls == []
    attest(fake_bridge, sqlite_store, VALIDATOR_KEYS[2:])
    process.step()
    assert state(sqlite_store, message) == DONE


def test_an_unmined_submission_is_not_sent_twice(fake_bridge, sqlite_store, metrics):
    message = fake_bridge.home.send(ALICE, BOB, 100)
    attest(fake_bridge, sqlite_store)
    fake_bridge.remote.automine = False
    process = relayer(fake_bridge, sqlite_store, metrics, receipt_timeout=0)
    process.step()
    process.step()
    (submission,) = sqlite_store.submissions(message.id_hex)
    assert submission.state == SENT and state(sqlite_store, message) == SUBMITTED
    fake_bridge.remote.mine_pending(submission.tx_hash)
    process.step()
    assert state(sqlite_store, message) == DONE
    assert [s.state for s in sqlite_store.submissions(message.id_hex)] == [MINED]


@pytest.mark.parametrize("point", CRASH_POINTS)
def test_a_kill_at_each_step_of_a_submission(fake_bridge, sqlite_store, metrics, point):
    message = fake_bridge.home.send(ALICE, BOB, 100)
    attest(fake_bridge, sqlite_store)
    with pytest.raises(KilledError):
        relayer(fake_bridge, sqlite_store, metrics, hook=kill_at(point)).step()
    if point == "after_intent":  # journaled, never broadcast
        assert fake_bridge.remote.calls == [] and state(sqlite_store, message) == SUBMITTED
    else:
        assert fake_bridge.remote.calls == ["execute"]
    restarted = relayer(fake_bridge, sqlite_store, metrics)
    restarted.step()
    restarted.step()
    assert state(sqlite_store, message) == DONE
    assert fake_bridge.remote.calls == ["execute"]  # delivered exactly once, one transaction paid
    # after_intent: the journaled transaction never reached the node; it is signed again
    # identically (same nonce, same call), so it is the same submission, now mined
    assert [s.state for s in sqlite_store.submissions(message.id_hex)] == [MINED]

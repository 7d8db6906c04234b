"""The validator against the in-memory bridge: what it signs, when, what it refuses, how it
stops on a reorganisation, and that a kill at each step loses or repeats nothing."""

from __future__ import annotations

from dataclasses import replace

import pytest
from bridge_fakes import ALICE, BOB, CAROL, VALIDATOR_KEYS, FakeBridge
from eth_account import Account

from securities_rails.bridge.messages import REFUND, Message, recover_signer, refund_of
from securities_rails.bridge.metrics import Metrics
from securities_rails.bridge.store import SIGNING, Store
from securities_rails.bridge.validator import CRASH_POINTS, ReorgError, Validator
from securities_rails.errors import UserError

KEY = VALIDATOR_KEYS[0]
ADDRESS = Account.from_key(KEY).address


class KilledError(Exception):
    """Stands for the process dying at a crash point."""


def validator(
    fake_bridge: FakeBridge, store: Store, metrics: Metrics, *, key: str = KEY, **options: object
) -> Validator:
    account = Account.from_key(key)
    return Validator(
        fake_bridge.deployment, store, account, fake_bridge.endpoints, metrics, **options
    )


def kill_at(point: str):
    def hook(name: str) -> None:
        if name == point:
            raise KilledError(point)

    return hook


def signed_ids(store: Store) -> set[str]:
    return {m.id for m in store.messages([SIGNING])}


def test_signs_a_sent_transfer_once_it_is_confirmed(fake_bridge, sqlite_store, metrics):
    message = fake_bridge.home.send(ALICE, BOB, 100)
    process = validator(fake_bridge, sqlite_store, metrics)
    process.step()
    assert signed_ids(sqlite_store) == set()  # 0 confirmations so far: nothing signed
    fake_bridge.confirm(2)
    process.step()
    assert signed_ids(sqlite_store) == {message.id_hex}
    signature = sqlite_store.signatures(message.id_hex)[ADDRESS]
    assert recover_signer(message.message_id(), signature) == ADDRESS
    stored = sqlite_store.message(message.id_hex)
    assert stored is not None and stored.seen.event == "MessageSent" and stored.refund_of is None
    exposition = metrics.exposition()
    assert 'securities_rails_bridge_processed_total{chain="home"} 1.0' in exposition
    assert 'securities_rails_bridge_lag_blocks{chain="home"} 2.0' in exposition  # confirmations


def test_signs_both_directions(fake_bridge, sqlite_store, metrics):
    out = fake_bridge.home.send(ALICE, BOB, 100)
    back = fake_bridge.remote.send(BOB, ALICE, 40)
    fake_bridge.confirm()
    validator(fake_bridge, sqlite_store, metrics).step()
    assert signed_ids(sqlite_store) == {out.id_hex, back.id_hex}


def test_a_failed_transfer_is_attested_as_its_refund(fake_bridge, sqlite_store, metrics):
    transfer = fake_bridge.home.send(ALICE, CAROL, 100)
    failed_id = transfer.message_id()
    fake_bridge.remote.emit(
        "TransferFailed", id=failed_id, message=transfer.as_tuple(), reason=b"\0" * 32
    )
    fake_bridge.confirm()
    validator(fake_bridge, sqlite_store, metrics).step()
    refund = refund_of(transfer)
    assert signed_ids(sqlite_store) == {transfer.id_hex, refund.id_hex}
    stored = sqlite_store.message(refund.id_hex)
    assert stored is not None and stored.message.kind == REFUND
    assert stored.refund_of == transfer.id_hex
    assert stored.message.destination_chain_id == fake_bridge.home.chain_id
    signature = sqlite_store.signatures(refund.id_hex)[ADDRESS]
    assert recover_signer(refund.message_id(), signature) == ADDRESS


def _forged(fake_bridge: FakeBridge, case: str) -> None:
    """Emit on home a MessageSent that home's endpoint could not have sent."""
    good = Message(
        0,
        fake_bridge.home.chain_id,
        fake_bridge.remote.chain_id,
        fake_bridge.home.address,
        fake_bridge.remote.address,
        9,
        b"US0378331005",
        ALICE,
        BOB,
        5,
    )
    changes = {
        "source_chain": {"source_chain_id": 1},
        "source_bridge": {"source_bridge": "0x" + "66" * 20},
        "destination_bridge": {"destination_bridge": "0x" + "77" * 20},
        "isin": {"isin": b"DE0005140008"},
        "kind": {"kind": REFUND},
    }
    if case == "emitter":
        fake_bridge.home.emit(
            "MessageSent",
            address="0x" + "99" * 20,
            id=good.message_id(),
            nonce=9,
            message=good.as_tuple(),
        )
    elif case == "id":
        fake_bridge.home.emit("MessageSent", id=b"\x01" * 32, nonce=9, message=good.as_tuple())
    else:
        bad = replace(good, **changes[case])
        fake_bridge.home.emit("MessageSent", id=bad.message_id(), nonce=9, message=bad.as_tuple())


@pytest.mark.parametrize(
    "case", ["emitter", "id", "source_chain", "source_bridge", "destination_bridge", "isin", "kind"]
)
def test_never_signs_what_the_source_could_not_have_sent(fake_bridge, sqlite_store, metrics, case):
    _forged(fake_bridge, case)
    good = fake_bridge.home.send(ALICE, BOB, 1)
    fake_bridge.confirm()
    validator(fake_bridge, sqlite_store, metrics).step()
    assert signed_ids(sqlite_store) == {good.id_hex}  # the forged one is skipped, not fatal
    assert 'securities_rails_bridge_failed_total{chain="home"} 1.0' in metrics.exposition()


def test_stops_on_a_reorganisation_deeper_than_the_confirmations(
    fake_bridge, sqlite_store, metrics
):
    fake_bridge.home.send(ALICE, BOB, 100)
    fake_bridge.confirm(3)
    process = validator(fake_bridge, sqlite_store, metrics)
    process.step()
    cursor = sqlite_store.cursor(
        process.cursor_name(fake_bridge.deployment.home), fake_bridge.home.chain_id
    )
    assert cursor is not None
    fake_bridge.home.reorg(
        depth=fake_bridge.home.head() - cursor.block + 1
    )  # replaces the cursor block
    later = fake_bridge.home.send(ALICE, BOB, 7)
    fake_bridge.confirm(3)
    with pytest.raises(ReorgError, match="reorganisation deeper than the confirmations"):
        process.step()
    assert later.id_hex not in signed_ids(sqlite_store)
    after = sqlite_store.cursor(
        process.cursor_name(fake_bridge.deployment.home), fake_bridge.home.chain_id
    )
    assert after == cursor  # nothing advanced: a restart stops again until a human looks


def test_a_reorganisation_within_the_confirmations_is_harmless(fake_bridge, sqlite_store, metrics):
    process = validator(fake_bridge, sqlite_store, metrics)
    fake_bridge.confirm(3)
    process.step()
    orphan = fake_bridge.home.send(ALICE, BOB, 100)  # mined, then reorganised away unconfirmed
    fake_bridge.home.reorg(depth=1)
    kept = fake_bridge.home.send(ALICE, BOB, 50)
    fake_bridge.confirm(2)
    process.step()
    assert signed_ids(sqlite_store) == {kept.id_hex} and orphan.id_hex != kept.id_hex


def test_refuses_to_sign_when_the_destination_does_not_peer_with_the_source(
    fake_bridge, sqlite_store, metrics
):
    fake_bridge.home.send(ALICE, BOB, 100)
    fake_bridge.confirm()
    original = fake_bridge.remote.peer

    def wrong_peer(chain_id: int):
        return replace(original(chain_id), bridge="0x" + "99" * 20)

    fake_bridge.remote.peer = wrong_peer
    with pytest.raises(UserError, match=r"^remote endpoint: its peer for chain 41001 is 0x9999"):
        validator(fake_bridge, sqlite_store, metrics).scan(fake_bridge.deployment.home)
    assert signed_ids(sqlite_store) == set()


def test_max_blocks_bounds_an_iteration(fake_bridge, sqlite_store, metrics):
    first = fake_bridge.home.send(ALICE, BOB, 1)
    fake_bridge.home.mine(20)
    second = fake_bridge.home.send(ALICE, BOB, 2)
    fake_bridge.confirm()
    process = validator(fake_bridge, sqlite_store, metrics, max_blocks=10)
    assert process.step() is True  # more confirmed blocks wait
    assert signed_ids(sqlite_store) == {first.id_hex}
    while process.step():
        pass
    assert signed_ids(sqlite_store) == {first.id_hex, second.id_hex}


def test_several_validators_share_one_store(fake_bridge, sqlite_store, metrics):
    message = fake_bridge.home.send(ALICE, BOB, 100)
    fake_bridge.confirm()
    for key in VALIDATOR_KEYS:
        validator(fake_bridge, sqlite_store, Metrics("v"), key=key).step()
    assert set(sqlite_store.signatures(message.id_hex)) == {
        Account.from_key(key).address for key in VALIDATOR_KEYS
    }


@pytest.mark.parametrize("point", CRASH_POINTS)
def test_a_kill_at_each_step_neither_loses_nor_repeats(fake_bridge, sqlite_store, metrics, point):
    message = fake_bridge.home.send(ALICE, BOB, 100)
    fake_bridge.confirm()
    process = validator(fake_bridge, sqlite_store, metrics, hook=kill_at(point))
    with pytest.raises(KilledError):
        process.step()
    if point == "after_sign_before_commit":
        assert sqlite_store.signatures(message.id_hex) == {}
        assert (
            sqlite_store.cursor(
                process.cursor_name(fake_bridge.deployment.home), fake_bridge.home.chain_id
            )
            is None
        )
    else:
        assert set(sqlite_store.signatures(message.id_hex)) == {ADDRESS}
    restarted = validator(fake_bridge, sqlite_store, metrics)
    restarted.step()
    restarted.step()
    assert set(sqlite_store.signatures(message.id_hex)) == {ADDRESS}
    assert len(sqlite_store.messages([SIGNING])) == 1
    cursor = sqlite_store.cursor(
        process.cursor_name(fake_bridge.deployment.home), fake_bridge.home.chain_id
    )
    assert cursor is not None and cursor.block == fake_bridge.home.head() - 2

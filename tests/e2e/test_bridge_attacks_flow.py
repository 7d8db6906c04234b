"""Attacks on the bridge, on the two real Anvils of tests/bridge_world.py: forged, duplicated,
unordered, too few and retired signatures, replays (same chain, other chain, after a validator
set change), a message for another bridge, tampered fields, and a refund of a transfer that was
delivered.

Each attack is submitted by an outsider (mallory, no role) the way the processes submit:
`Endpoint.prepare` must refuse it at gas estimation AND the same call mined with a fixed gas
limit must revert on chain, with the same custom error (see bridge_actions.refused). Each test
asserts that error by name and its arguments, and that nothing moved on either chain (balances,
supplies, custody, totals, nonces, inbound status: bridge_actions.Ledger). Where the attack
reuses a genuine message, the test ends by showing that the genuine message still works, so a
refusal for any other reason would fail it.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from ape import accounts
from bridge_actions import (
    account,
    address,
    deploy_second_mint,
    execute,
    execute_refused,
    ledger,
    new_key,
    reclaim_refused,
    signed,
    signer,
)
from bridge_world import HOME_CHAIN, REMOTE_CHAIN, SIGNERS, THRESHOLD, VALIDATOR_KEYS, Harness
from eth_account import Account
from eth_account.signers.local import LocalAccount

from securities_rails.bridge.endpoint import Endpoint, InboundStatus, OutboundStatus
from securities_rails.bridge.messages import Message, refund_of
from securities_rails.bridge.store import DONE

AMOUNT = 100
EXECUTED, NONE = int(InboundStatus.EXECUTED), int(InboundStatus.NONE)


@pytest.fixture
def harness(bridge: Any, tmp_path: Path) -> Harness:
    return Harness(bridge, tmp_path)


@pytest.fixture(scope="module")
def mallory() -> LocalAccount:
    """A funded account holding no role and registered nowhere."""
    return Account.from_key(accounts.test_accounts[9].private_key)


def lock(harness: Harness, amount: int = AMOUNT) -> Message:
    """alice locks ``amount`` on home for bob on the remote (a genuine, attestable message)."""
    return harness.send("home", "alice", address(harness, "bob"), amount)


def rotate(harness: Harness, side: str, retired: str, joining: str) -> None:
    """The governor (the deployer, in this world) replaces one validator on ``side``."""
    endpoint = harness.endpoints[side]
    current = endpoint.validator_set()
    validators = [signer(joining) if v == signer(retired) else v for v in current.validators]
    assert validators != list(current.validators)
    admin = account(harness, "admin")
    endpoint.chain.send(admin, endpoint.contract, "setValidators", validators, current.threshold)
    assert endpoint.validator_set().version == current.version + 1


def test_a_signature_by_a_key_outside_the_set_is_refused(harness: Harness, mallory: Any):
    message = lock(harness)
    forger = new_key("forger")
    signatures = signed(message, (SIGNERS[0], SIGNERS[1], forger))
    order = sorted(int(signer(k), 16) for k in (SIGNERS[0], SIGNERS[1], forger))
    before = ledger(harness, [message])
    error = execute_refused(harness.remote, message, signatures, sender=mallory)
    assert error.error == "NotValidator"
    assert error.inputs == {"index": order.index(int(signer(forger), 16)), "signer": signer(forger)}
    assert ledger(harness, [message]) == before
    execute(harness.remote, message, signed(message, SIGNERS), sender=mallory)
    assert harness.balance("remote", "bob") == AMOUNT


def test_the_same_signature_twice_is_refused_as_signers_not_ascending(
    harness: Harness, mallory: Any
):
    message = lock(harness)
    first, second = signed(message, SIGNERS[:2])
    lowest = min(signer(SIGNERS[0]), signer(SIGNERS[1]), key=lambda a: int(a, 16))
    before = ledger(harness, [message])
    # three signatures, so the threshold would be met if the duplicate counted
    error = execute_refused(harness.remote, message, [first, first, second], sender=mallory)
    assert error.error == "SignersNotAscending"
    assert error.inputs == {"index": 1, "signer": lowest}
    assert ledger(harness, [message]) == before


def test_signatures_out_of_signer_order_are_refused(harness: Harness, mallory: Any):
    message = lock(harness)
    descending = list(reversed(signed(message, SIGNERS)))
    middle = sorted((signer(k) for k in SIGNERS), key=lambda a: int(a, 16))[1]
    before = ledger(harness, [message])
    error = execute_refused(harness.remote, message, descending, sender=mallory)
    assert error.error == "SignersNotAscending"
    assert error.inputs == {"index": 1, "signer": middle}
    assert ledger(harness, [message]) == before
    execute(harness.remote, message, signed(message, SIGNERS), sender=mallory)
    assert harness.balance("remote", "bob") == AMOUNT


def test_two_signatures_of_three_are_below_the_threshold(harness: Harness, mallory: Any):
    message = lock(harness)
    before = ledger(harness, [message])
    error = execute_refused(harness.remote, message, signed(message, SIGNERS[:2]), sender=mallory)
    assert error.error == "BelowThreshold"
    assert error.inputs == {"signatures": 2, "threshold": THRESHOLD}
    assert ledger(harness, [message]) == before


def test_a_retired_validator_is_refused_at_once_and_the_new_set_executes(
    harness: Harness, mallory: Any
):
    message = lock(harness)
    retired, joining = VALIDATOR_KEYS[0], new_key("joining validator")
    rotate(harness, "remote", retired, joining)
    assert not harness.remote.contract.call("isValidator", signer(retired))
    old_set = signed(message, SIGNERS)
    order = sorted(int(signer(k), 16) for k in SIGNERS)
    before = ledger(harness, [message])
    error = execute_refused(harness.remote, message, old_set, sender=mallory)
    assert error.error == "NotValidator"
    index = order.index(int(signer(retired), 16))
    assert error.inputs == {"index": index, "signer": signer(retired)}
    assert ledger(harness, [message]) == before
    execute(harness.remote, message, signed(message, (joining, *SIGNERS[1:])), sender=mallory)
    assert harness.balance("remote", "bob") == AMOUNT
    assert harness.remote.inbound_status(message.message_id()) == InboundStatus.EXECUTED


def test_a_replay_on_the_same_chain_after_execution_is_already_processed(
    harness: Harness, mallory: Any
):
    message = lock(harness)
    signatures = signed(message, SIGNERS)
    execute(harness.remote, message, signatures, sender=mallory)
    before = ledger(harness, [message])
    assert before.balances[("remote", "bob")] == AMOUNT
    error = execute_refused(harness.remote, message, signatures, sender=mallory)
    assert error.error == "AlreadyProcessed"
    assert error.inputs == {"id": message.message_id(), "status": EXECUTED}
    # every other signature set of the same message, too: the status is checked first
    other = signed(message, VALIDATOR_KEYS[2:5])
    assert execute_refused(harness.remote, message, other, sender=mallory).error == (
        "AlreadyProcessed"
    )
    assert ledger(harness, [message]) == before


def test_a_message_for_the_remote_replayed_on_the_home_chain_is_refused(
    harness: Harness, mallory: Any
):
    message = lock(harness)
    signatures = signed(message, SIGNERS)
    execute(harness.remote, message, signatures, sender=mallory)
    before = ledger(harness, [message])
    # execute checks the kind first, then the route: the destination chain comes first
    error = execute_refused(harness.home, message, signatures, sender=mallory)
    assert error.error == "WrongChain"
    assert error.inputs == {"expected": HOME_CHAIN, "actual": REMOTE_CHAIN}
    # presented to home as a refund, the transfer is not even the right kind
    error = reclaim_refused(harness.home, message, signatures, sender=mallory)
    assert error.error == "WrongKind"
    assert error.inputs == {"kind": message.kind}
    assert ledger(harness, [message]) == before
    assert harness.home.inbound_status(message.message_id()) == InboundStatus.NONE


def test_a_replay_after_a_validator_set_change_is_still_refused(harness: Harness, mallory: Any):
    message = lock(harness)
    old_set = signed(message, SIGNERS)
    execute(harness.remote, message, old_set, sender=mallory)
    joining = new_key("replay joiner")
    rotate(harness, "remote", VALIDATOR_KEYS[0], joining)
    new_set = signed(message, (joining, *SIGNERS[1:]))
    before = ledger(harness, [message])
    for signatures in (old_set, new_set):
        error = execute_refused(harness.remote, message, signatures, sender=mallory)
        assert error.error == "AlreadyProcessed"
        assert error.inputs == {"id": message.message_id(), "status": EXECUTED}
    assert ledger(harness, [message]) == before
    assert harness.balance("remote", "bob") == AMOUNT


def test_a_message_addressed_to_one_bridge_is_refused_by_another_on_the_same_chain(
    harness: Harness, mallory: Any
):
    message = lock(harness)
    second = deploy_second_mint(harness)
    second_endpoint = Endpoint(replace(harness.deployment.remote, endpoint=second))
    signatures = signed(message, SIGNERS)
    before = ledger(harness, [message])
    error = execute_refused(second_endpoint, message, signatures, sender=mallory)
    assert error.error == "WrongBridge"
    assert error.inputs == {"expected": second, "actual": harness.deployment.remote.endpoint}
    # re-addressed to the second bridge, the old signatures no longer recover to validators
    readdressed = replace(message, destination_bridge=second)
    error = execute_refused(second_endpoint, readdressed, signatures, sender=mallory)
    assert error.error == "NotValidator"
    assert error.inputs["index"] == 0
    assert not second_endpoint.contract.call("isValidator", error.inputs["signer"])
    assert ledger(harness, [message]) == before
    assert second_endpoint.inbound_status(readdressed.message_id()) == InboundStatus.NONE
    execute(harness.remote, message, signatures, sender=mallory)
    assert harness.balance("remote", "bob") == AMOUNT


@pytest.mark.parametrize("field", ["amount", "recipient"])
def test_a_tampered_message_does_not_recover_to_validators(
    harness: Harness, mallory: Any, field: str
):
    message = lock(harness)
    signatures = signed(message, SIGNERS)
    change = {"amount": 400} if field == "amount" else {"recipient": mallory.address}
    tampered = replace(message, **change)
    before = ledger(harness, [message, tampered])
    error = execute_refused(harness.remote, tampered, signatures, sender=mallory)
    assert error.error == "NotValidator"
    assert error.inputs["index"] == 0
    assert error.inputs["signer"] not in harness.remote.validator_set().validators
    assert ledger(harness, [message, tampered]) == before
    execute(harness.remote, message, signatures, sender=mallory)
    assert harness.balance("remote", "bob") == AMOUNT
    assert harness.endpoints["remote"].token_supply() == AMOUNT


def test_a_delivered_transfer_cannot_be_reclaimed(harness: Harness, mallory: Any):
    message = lock(harness)
    relayer = harness.relayer()
    harness.attest()
    relayer.step()
    assert harness.store.message(message.id_hex).state == DONE
    harness.attest()  # the validators look again: nothing failed, so they sign no refund
    refund = refund_of(message)
    assert harness.store.message(refund.id_hex) is None
    assert harness.store.signatures(refund.id_hex) == {}
    before = ledger(harness, [message, refund])
    assert before.balances[("home", "alice")] == 1_000 - AMOUNT
    # forged with two validator keys only
    error = reclaim_refused(harness.home, refund, signed(refund, SIGNERS[:2]), sender=mallory)
    assert error.error == "BelowThreshold"
    # a threshold of signatures for a transfer the home end never sent (another nonce, or the
    # same nonce with another amount): the stored hash does not match
    for forged in (replace(refund, nonce=refund.nonce + 7), replace(refund, amount=AMOUNT + 1)):
        error = reclaim_refused(harness.home, forged, signed(forged, SIGNERS), sender=mallory)
        assert error.error == "UnknownOutbound"
        assert error.inputs == {"nonce": forged.nonce}
    assert ledger(harness, [message, refund]) == before
    assert harness.home.outbound(message.nonce).status == OutboundStatus.SENT
    assert harness.balance("home", "alice") == 1_000 - AMOUNT
    assert harness.conserved()


def test_a_transfer_still_queued_at_home_cannot_be_reclaimed(harness: Harness, mallory: Any):
    lock(harness, 400)
    queued = lock(harness, 400)  # 100 left in the outbound bucket: queued, never sent
    assert harness.home.outbound(queued.nonce).status == OutboundStatus.QUEUED
    refund = refund_of(queued)
    before = ledger(harness, [refund])
    error = reclaim_refused(harness.home, refund, signed(refund, SIGNERS), sender=mallory)
    assert error.error == "UnknownOutbound"
    assert error.inputs == {"nonce": queued.nonce}
    assert ledger(harness, [refund]) == before
    assert harness.home.outbound(queued.nonce).status == OutboundStatus.QUEUED

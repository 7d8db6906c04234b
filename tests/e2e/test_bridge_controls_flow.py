"""The bridge's controls on the two real Anvils of tests/bridge_world.py: pause and who may lift
it, a pause holding a transfer in flight, rate-limit changes that never refill a bucket, who may
raise or lower a limit, compliance returning a queued transfer (refunded at home), changes
through a timelock (refused directly and before the delay, applied after it), the per-transfer
maximum, and the configuration check after deployment.

In the world the deployer (``admin``) is admin, governor, guardian and compliance at once; the
tests that need a guardian without the other roles grant GUARDIAN_ROLE to another account.
Refusals are checked at estimation and mined on chain (bridge_actions.refused), by error name
and arguments.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import bridge_world
import pytest
from ape import accounts, project
from bridge_actions import (
    account,
    address,
    compiled_abi,
    execute,
    execute_refused,
    full,
    grant_role,
    ledger,
    new_key,
    refused,
    signed,
    signer,
    token,
)
from bridge_world import (
    LIMITS,
    MAX_TRANSFER,
    REMOTE_CHAIN,
    SIGNERS,
    THRESHOLD,
    VALIDATOR_KEYS,
    VALIDATORS,
    Harness,
)
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils import keccak

from securities_rails.bridge import governance
from securities_rails.bridge.endpoint import Direction, InboundStatus, OutboundStatus
from securities_rails.bridge.messages import Message, refund_of
from securities_rails.bridge.store import DONE, FAILED, QUEUED, SIGNING
from securities_rails.chain.networks import connected
from securities_rails.errors import UserError
from securities_rails.suite import load_record
from securities_rails.upgrades.timelock import deploy_timelock

ADMIN_ROLE = b"\x00" * 32
GOVERNOR_ROLE = keccak(text="GOVERNOR_ROLE")
GUARDIAN_ROLE = keccak(text="GUARDIAN_ROLE")
COMPLIANCE_ROLE = keccak(text="COMPLIANCE_ROLE")
OUT, IN = int(Direction.OUTBOUND), int(Direction.INBOUND)
DELAY = 3_600
ZERO_HASH = b"\x00" * 32


@pytest.fixture
def harness(bridge: Any, tmp_path: Path) -> Harness:
    return Harness(bridge, tmp_path)


@pytest.fixture(scope="module")
def guardian() -> LocalAccount:
    """Funded, holding no role until a test grants it GUARDIAN_ROLE."""
    return Account.from_key(accounts.test_accounts[7].private_key)


@pytest.fixture(scope="module")
def mallory() -> LocalAccount:
    """Funded, holding no role and registered nowhere."""
    return Account.from_key(accounts.test_accounts[9].private_key)


def send_refused(harness: Harness, side: str, who: str, recipient: str, amount: int) -> Any:
    """``who`` approves and calls ``send`` on ``side``: refused (estimate and mined)."""
    endpoint = harness.endpoints[side]
    holder = account(harness, who)
    endpoint.chain.send(holder, token(endpoint), "approve", endpoint.address, amount)
    other = harness.deployment.other(endpoint.side).chain_id
    return refused(full(endpoint), holder, "send", other, recipient, amount)


def limit_of(harness: Harness, side: str, direction: Direction) -> tuple[int, int, int]:
    limit = harness.endpoints[side].rate_limit(direction)
    return limit.capacity, limit.rate_per_second, limit.available


def set_limit(harness: Harness, side: str, who: LocalAccount, direction: int, *limit: int) -> None:
    endpoint = harness.endpoints[side]
    endpoint.chain.send(who, endpoint.contract, "setRateLimit", direction, *limit)


# ---------------------------------------------------------------------- pause


def test_a_guardian_pauses_outbound_and_only_the_admin_unpauses(
    harness: Harness, guardian: LocalAccount, mallory: LocalAccount
):
    home = harness.home
    grant_role(harness, "home", "GUARDIAN_ROLE", guardian.address)
    error = refused(full(home), mallory, "pause", OUT)
    assert error.error == "AccessControlUnauthorizedAccount"
    assert error.inputs == {"account": mallory.address, "neededRole": GUARDIAN_ROLE}
    home.chain.send(guardian, home.contract, "pause", OUT)
    assert home.contract.call("paused", OUT)
    bob = address(harness, "bob")
    before = ledger(harness)
    error = send_refused(harness, "home", "alice", bob, 50)
    assert error.error == "DirectionIsPaused"
    assert error.inputs == {"direction": OUT}
    assert ledger(harness) == before
    error = refused(full(home), guardian, "unpause", OUT)
    assert error.error == "AccessControlUnauthorizedAccount"
    assert error.inputs == {"account": guardian.address, "neededRole": ADMIN_ROLE}
    assert home.contract.call("paused", OUT)
    home.chain.send(account(harness, "admin"), home.contract, "unpause", OUT)
    message = harness.send("home", "alice", bob, 50)
    assert message.nonce == before.next_nonces["home"]
    assert harness.balance("home", "alice") == bridge_world.MINTED - 50
    assert harness.home.outbound(message.nonce).status == OutboundStatus.SENT


def test_an_inbound_pause_holds_a_transfer_in_flight_until_the_admin_unpauses(
    harness: Harness, mallory: LocalAccount
):
    message = harness.send("home", "alice", address(harness, "bob"), 120)
    harness.attest()
    admin = account(harness, "admin")
    remote = harness.remote
    remote.chain.send(admin, remote.contract, "pause", IN)
    relayer = harness.relayer()
    relayer.step()  # its execute is refused at estimation: nothing sent, the message waits
    stored = harness.store.message(message.id_hex)
    assert stored is not None and stored.state == SIGNING
    assert harness.store.submissions(message.id_hex) == []
    assert remote.inbound_status(message.message_id()) == InboundStatus.NONE
    assert harness.balance("remote", "bob") == 0
    error = execute_refused(remote, message, signed(message, SIGNERS), sender=mallory)
    assert error.error == "DirectionIsPaused"
    assert error.inputs == {"direction": IN}
    assert harness.conserved()  # in flight, accounted for
    remote.chain.send(admin, remote.contract, "unpause", IN)
    relayer.step()
    assert harness.store.message(message.id_hex).state == DONE
    assert harness.balance("remote", "bob") == 120
    assert remote.inbound_status(message.message_id()) == InboundStatus.EXECUTED
    assert harness.conserved()


# ---------------------------------------------------------------------- rate limits


def test_changing_a_limit_never_refills_the_bucket(harness: Harness, guardian: LocalAccount):
    grant_role(harness, "home", "GUARDIAN_ROLE", guardian.address)
    governor = account(harness, "admin")
    # the guardian stops the refill, so that every level below is exact
    set_limit(harness, "home", guardian, OUT, LIMITS.capacity, 0)
    assert limit_of(harness, "home", Direction.OUTBOUND) == (LIMITS.capacity, 0, LIMITS.capacity)
    bob = address(harness, "bob")
    harness.send("home", "alice", bob, 400)
    assert limit_of(harness, "home", Direction.OUTBOUND) == (500, 0, 100)
    set_limit(harness, "home", guardian, OUT, 400, 0)  # lowered above the level: level kept
    assert limit_of(harness, "home", Direction.OUTBOUND) == (400, 0, 100)
    set_limit(harness, "home", governor, OUT, 2_000, 0)  # raised: the bucket does not jump
    assert limit_of(harness, "home", Direction.OUTBOUND) == (2_000, 0, 100)
    queued = harness.send("home", "alice", bob, 150)
    assert harness.home.outbound(queued.nonce).status == OutboundStatus.QUEUED
    # lowered below the level, the level is capped; raised again, it stays capped
    remote = "remote"
    assert limit_of(harness, remote, Direction.INBOUND)[2] == LIMITS.capacity
    set_limit(harness, remote, governor, IN, MAX_TRANSFER, 0)
    assert limit_of(harness, remote, Direction.INBOUND) == (MAX_TRANSFER, 0, MAX_TRANSFER)
    set_limit(harness, remote, governor, IN, 5_000, 0)
    assert limit_of(harness, remote, Direction.INBOUND) == (5_000, 0, MAX_TRANSFER)
    harness.world.warp(600)  # no refill at rate 0, whatever the limit says
    assert limit_of(harness, remote, Direction.INBOUND) == (5_000, 0, MAX_TRANSFER)


def test_a_guardian_may_lower_limits_but_not_raise_them(
    harness: Harness, guardian: LocalAccount, mallory: LocalAccount
):
    grant_role(harness, "remote", "GUARDIAN_ROLE", guardian.address)
    remote = full(harness.remote)
    capacity, rate = LIMITS.capacity, LIMITS.rate
    for limit in ((capacity + 1, rate), (capacity, rate + 1)):
        error = refused(remote, guardian, "setRateLimit", IN, *limit)
        assert error.error == "LimitRaiseNeedsGovernor"
        assert error.inputs == {"direction": IN}
    error = refused(remote, guardian, "setMaxTransfer", MAX_TRANSFER + 1)
    assert error.error == "MaxRaiseNeedsGovernor"
    assert error.inputs == {"current": MAX_TRANSFER, "requested": MAX_TRANSFER + 1}
    error = refused(remote, mallory, "setRateLimit", IN, capacity - 1, rate)
    assert error.error == "AccessControlUnauthorizedAccount"
    assert error.inputs == {"account": mallory.address, "neededRole": GOVERNOR_ROLE}
    assert limit_of(harness, "remote", Direction.INBOUND)[:2] == (capacity, rate)
    set_limit(harness, "remote", guardian, IN, capacity - 50, rate - 1)
    assert limit_of(harness, "remote", Direction.INBOUND)[:2] == (capacity - 50, rate - 1)
    chain = harness.remote.chain
    chain.send(guardian, harness.remote.contract, "setMaxTransfer", MAX_TRANSFER - 100)
    assert harness.remote.contract.call("maxTransfer") == MAX_TRANSFER - 100
    set_limit(harness, "remote", account(harness, "admin"), IN, capacity * 2, rate * 2)
    assert limit_of(harness, "remote", Direction.INBOUND)[:2] == (capacity * 2, rate * 2)


def test_the_per_transfer_maximum_refuses_larger_sends_both_ways(
    harness: Harness, guardian: LocalAccount
):
    bob, alice = address(harness, "bob"), address(harness, "alice")
    before = ledger(harness)
    for amount in (MAX_TRANSFER + 1, 0):
        error = send_refused(harness, "home", "alice", bob, amount)
        assert error.error == "InvalidAmount"
        assert error.inputs == {"amount": amount, "maximum": MAX_TRANSFER}
    error = send_refused(harness, "remote", "bob", alice, MAX_TRANSFER + 1)
    assert error.error == "InvalidAmount"
    assert ledger(harness) == before
    at_most = harness.send("home", "alice", bob, MAX_TRANSFER)
    assert harness.home.outbound(at_most.nonce).status == OutboundStatus.SENT
    grant_role(harness, "home", "GUARDIAN_ROLE", guardian.address)
    harness.home.chain.send(guardian, harness.home.contract, "setMaxTransfer", 300)
    error = send_refused(harness, "home", "alice", bob, 301)
    assert error.error == "InvalidAmount"
    assert error.inputs == {"amount": 301, "maximum": 300}


# ---------------------------------------------------------------------- compliance


def test_compliance_returns_a_queued_inbound_transfer_and_the_sender_reclaims_it(
    harness: Harness, mallory: LocalAccount
):
    admin = account(harness, "admin")  # compliance in this world
    remote = harness.remote
    # the remote inbound bucket holds 400 and no longer refills
    set_limit(harness, "remote", admin, IN, MAX_TRANSFER, 0)
    bob = address(harness, "bob")
    first = harness.send("home", "alice", bob, 300)
    second = harness.send("home", "alice", bob, 150)  # 100 left inbound: queued there
    relayer = harness.relayer()
    harness.attest()
    relayer.step()
    assert harness.store.message(first.id_hex).state == DONE
    assert harness.store.message(second.id_hex).state == QUEUED
    assert remote.inbound_status(second.message_id()) == InboundStatus.QUEUED
    reason = b"SANCTIONS SCREENING".ljust(32, b"\x00")
    error = refused(full(remote), mallory, "returnQueued", second.as_tuple(), reason)
    assert error.error == "AccessControlUnauthorizedAccount"
    assert error.inputs == {"account": mallory.address, "neededRole": COMPLIANCE_ROLE}
    remote.chain.send(admin, remote.contract, "returnQueued", second.as_tuple(), reason)
    assert remote.inbound_status(second.message_id()) == InboundStatus.FAILED
    for function, args in (("returnQueued", (reason,)), ("executeQueued", ())):
        error = refused(full(remote), admin, function, second.as_tuple(), *args)
        assert error.error == "NotQueued"
        assert error.inputs == {"id": second.message_id()}
    (failure,) = remote.events("TransferFailed", 0, remote.head())
    assert bytes(failure.args["reason"]) == reason
    relayer.step()
    assert harness.store.message(second.id_hex).state == FAILED
    assert harness.balance("home", "alice") == bridge_world.MINTED - 450
    assert harness.conserved()
    harness.attest()  # the validators attest the failure as a refund
    relayer.step()  # and the relayer reclaims it at home
    refund = refund_of(second)
    assert harness.store.message(refund.id_hex).state == DONE
    assert harness.home.outbound(second.nonce).status == OutboundStatus.REFUNDED
    assert harness.balance("home", "alice") == bridge_world.MINTED - 300
    assert harness.balance("remote", "bob") == 300
    assert harness.home.totals().refunded == 150
    assert harness.conserved()


# ---------------------------------------------------------------------- timelock


@contextmanager
def governed_by_timelock(harness: Harness, folder: Path) -> Iterator[tuple[Any, Any]]:
    """With the remote chain connected (ape): deploy a SuiteTimelock there (the deployer
    proposes and executes, DELAY seconds), hand it the endpoint's governor role (granted, then
    renounced by the deployer), and yield the endpoint and the timelock (ape contracts)."""
    admin = harness.world.people["admin"]
    with connected(harness.world.remote.url):
        record = load_record(str(folder))
        address_ = deploy_timelock(record, admin, DELAY, [admin.address], [admin.address])
        endpoint = project.BridgeMint.at(harness.deployment.remote.endpoint)
        endpoint.grantRole(GOVERNOR_ROLE, address_, sender=admin)
        endpoint.renounceRole(GOVERNOR_ROLE, admin.address, sender=admin)
        assert not endpoint.hasRole(GOVERNOR_ROLE, admin.address)
        yield endpoint, governance.governor_timelock(endpoint, address_)


def early_execution_refused(harness: Harness, endpoint: Any, timelock: Any, data: bytes) -> None:
    """Before the delay: the governance module refuses, and so does the timelock itself."""
    admin = harness.world.people["admin"]
    with pytest.raises(UserError, match=r"is ready in \d+ s"):
        governance.execute(timelock, endpoint.address, data, admin)
    direct = harness.remote.chain.contract(timelock.address, compiled_abi("SuiteTimelock"))
    args = (endpoint.address, 0, data, ZERO_HASH, keccak(data))
    error = refused(direct, account(harness, "admin"), "execute", *args)
    assert error.error == "TimelockUnexpectedOperationState"


def test_a_limit_raise_through_the_timelock_applies_only_after_the_delay(
    harness: Harness, tmp_path: Path
):
    admin = account(harness, "admin")
    remote = full(harness.remote)
    with governed_by_timelock(harness, tmp_path / "records") as (endpoint, timelock):
        error = refused(remote, admin, "setRateLimit", IN, 1_000, 10)  # admin is still guardian
        assert error.error == "LimitRaiseNeedsGovernor"
        error = refused(remote, admin, "grantRole", GOVERNOR_ROLE, admin.address)
        assert error.error == "AccessControlUnauthorizedAccount"
        assert error.inputs == {"account": admin.address, "neededRole": GOVERNOR_ROLE}
        data = bytes(endpoint.setRateLimit.encode_input(IN, 1_000, 10))
        proposal = governance.propose(timelock, endpoint.address, data, harness.world.admin)
        assert proposal.state == "waiting"
        early_execution_refused(harness, endpoint, timelock, data)
        assert limit_of(harness, "remote", Direction.INBOUND)[:2] == (LIMITS.capacity, LIMITS.rate)
        harness.world.warp(DELAY + 1)
        done = governance.execute(timelock, endpoint.address, data, harness.world.admin)
        assert done.state == "done"
    assert limit_of(harness, "remote", Direction.INBOUND)[:2] == (1_000, 10)


def test_a_validator_rotation_through_the_timelock_retires_the_old_key_after_the_delay(
    harness: Harness, tmp_path: Path, mallory: LocalAccount
):
    admin = account(harness, "admin")
    retired, joining = VALIDATOR_KEYS[0], new_key("timelocked joiner")
    validators = [signer(joining), *VALIDATORS[1:]]
    message: Message = harness.send("home", "alice", address(harness, "bob"), 60)
    with governed_by_timelock(harness, tmp_path / "records") as (endpoint, timelock):
        error = refused(full(harness.remote), admin, "setValidators", validators, THRESHOLD)
        assert error.error == "AccessControlUnauthorizedAccount"
        data = governance.validator_call(endpoint, validators, THRESHOLD)
        governance.propose(timelock, endpoint.address, data, harness.world.admin)
        early_execution_refused(harness, endpoint, timelock, data)
        assert harness.remote.validator_set().version == 1
        harness.world.warp(DELAY + 1)
        governance.execute(timelock, endpoint.address, data, harness.world.admin)
    current = harness.remote.validator_set()
    assert (current.validators, current.threshold, current.version) == (
        tuple(validators),
        THRESHOLD,
        2,
    )
    error = execute_refused(harness.remote, message, signed(message, SIGNERS), sender=mallory)
    assert error.error == "NotValidator"
    assert error.inputs["signer"] == signer(retired)
    execute(harness.remote, message, signed(message, (joining, *SIGNERS[1:])), sender=mallory)
    assert harness.balance("remote", "bob") == 60
    assert harness.conserved()


# ---------------------------------------------------------------------- configuration


def test_both_ends_pass_the_configuration_check_after_deployment(harness: Harness):
    deployment = harness.deployment
    for endpoint in (harness.home, harness.remote):
        other = deployment.other(endpoint.side)
        endpoint.contract.call("checkConfiguration")  # reverts, naming the reason, if broken
        assert endpoint.validator_set().validators == VALIDATORS
        assert endpoint.validator_set().threshold == THRESHOLD
        peer = endpoint.peer(other.chain_id)
        assert (peer.bridge, peer.confirmations) == (other.endpoint, bridge_world.CONFIRMATIONS)
        for direction in Direction:
            assert limit_of(harness, endpoint.name, direction)[:2] == (LIMITS.capacity, LIMITS.rate)
        assert endpoint.contract.call("maxTransfer") == MAX_TRANSFER
        assert endpoint.contract.call("paused", OUT) is False
        assert endpoint.contract.call("paused", IN) is False
        assert full(endpoint).call("hasRole", GOVERNOR_ROLE, address(harness, "admin"))
    assert int(harness.home.peer(REMOTE_CHAIN + 1).bridge, 16) == 0  # no other peer
    mirror = token(harness.remote)
    issuer = keccak(text="ISSUER_ROLE")
    mirror_full = harness.remote.chain.contract(
        deployment.remote.token, compiled_abi("SecurityToken")
    )
    assert mirror_full.call("hasRole", issuer, deployment.remote.endpoint)
    assert not mirror_full.call("hasRole", issuer, address(harness, "admin"))
    assert mirror.call("totalSupply") == 0

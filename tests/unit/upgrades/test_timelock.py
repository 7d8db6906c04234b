"""Upgrades through the timelock (SuiteTimelock = OpenZeppelin's TimelockController): schedule,
pending, execute after the delay, cancel, and every refusal before anything is sent.

The world (``world.py``) is the suite of the module; the timelock is deployed in each test with a
delay of one hour, the governance account as proposer and executor, and is given the upgrader
role on the proxies it upgrades.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from ape import project
from unit.upgrades.world import ISIN_A, ISIN_B, REGISTRY_V2, TOKEN_V2, World, snapshot, v2

from securities_rails.chain.proxies import implementation_of
from securities_rails.errors import UserError
from securities_rails.upgrades import apply, timelock
from securities_rails.upgrades.build import build

DELAY = 3600


@pytest.fixture
def lock(world: World) -> Any:
    timelock.deploy_timelock(
        world.record, world.gov, DELAY, [world.gov.address], [world.gov.address]
    )
    return timelock.timelock_of(world.record)


@contextmanager
def nothing_sent(chain: Any) -> Iterator[None]:
    height = chain.blocks.height
    yield
    assert chain.blocks.height == height


def plan_for(world: World, lock: Any, target: str | None = "registry", **options: Any) -> Any:
    source, contract = options.pop("v2", REGISTRY_V2)
    return apply.plan_upgrade(
        world.suite, target, source=source, contract=contract, executor=lock.address, **options
    )


def test_the_timelock_is_deployed_once(world: World, lock: Any, chain: Any):
    with nothing_sent(chain):
        again = timelock.deploy_timelock(
            world.record, world.gov, DELAY, [world.gov.address], [world.gov.address]
        )
    assert again == lock.address
    assert int(lock.getMinDelay()) == DELAY


def test_schedule_wait_execute_keeps_the_registry_and_records_the_upgrade(
    world: World, lock: Any, chain: Any
):
    timelock.grant(world.suite, "registry", world.gov, renounce=True)
    before = snapshot(chain, world)
    op = timelock.schedule(plan_for(world, lock), world.gov)
    assert op.ready_at >= chain.pending_timestamp + DELAY - 5
    (view,) = timelock.views(world.record)
    assert (view.operation.id, view.state) == (op.id, "waiting")
    assert view.seconds_left > DELAY - 60

    with nothing_sent(chain), pytest.raises(UserError, match="is not ready until"):
        timelock.execute(world.record, op.id[:10], world.gov)
    chain.mine(deltatime=DELAY + 1)
    assert timelock.views(world.record)[0].state == "ready"
    timelock.execute(world.record, op.id, world.gov)

    registry = world.suite.registry.address
    assert implementation_of(registry) == op.implementation
    assert v2(registry, build(*REGISTRY_V2)).version() == "2"
    assert snapshot(chain, world) == before
    entry = world.record.contracts["InvestorRegistry"]
    assert (entry.implementation, entry.version) == (op.implementation, "2")
    assert entry.upgrades[-1].via == lock.address
    assert world.record.operations[op.id].status == "executed"
    assert timelock.views(world.record) == []
    assert [v.state for v in timelock.views(world.record, all_=True)] == ["done"]


def test_every_instrument_in_one_batch_through_the_timelock(world: World, lock: Any, chain: Any):
    timelock.grant(world.suite, None, world.gov, all_instruments=True)
    with_factory = plan_for(world, lock, None, all_instruments=True, v2=TOKEN_V2)
    assert [c.summary for c in with_factory.failed] == [
        f"{lock.address} lacks DEFAULT_ADMIN_ROLE on SecurityTokenFactory"
    ]
    plan = plan_for(world, lock, None, all_instruments=True, factory=False, v2=TOKEN_V2)
    op = timelock.schedule(plan, world.gov)
    assert [c.subject for c in op.calls] == [f"instrument:{ISIN_B}", f"instrument:{ISIN_A}"]
    chain.mine(deltatime=DELAY + 1)
    timelock.execute(world.record, op.id, world.gov)
    for isin in (ISIN_A, ISIN_B):
        assert implementation_of(world.tokens[isin].address) == op.implementation
        assert world.record.instruments[isin].upgrades[-1].via == lock.address
    assert world.suite.factory.implementation() != op.implementation  # --no-factory

    # The factory's admin then repoints it: the instruments are on this build already, so the
    # only transaction is setImplementation, and the implementation is not deployed again.
    height = chain.blocks.height
    result = apply.upgrade_all_instruments(
        world.suite, world.gov, source=TOKEN_V2[0], contract=TOKEN_V2[1]
    )
    assert (result.upgraded, result.deployed, result.implementation) == (
        [],
        False,
        op.implementation,
    )
    assert result.factory_tx is not None and chain.blocks.height == height + 1
    assert world.suite.factory.implementation() == op.implementation


def test_a_timelock_without_the_upgrader_role_is_refused_before_scheduling(
    world: World, lock: Any, chain: Any
):
    plan = plan_for(world, lock)
    assert [c.name for c in plan.failed] == ["role"]
    with nothing_sent(chain), pytest.raises(UserError) as refused:
        timelock.schedule(plan, world.gov)
    assert f"{lock.address} lacks UPGRADER_ROLE on InvestorRegistry" in str(refused.value)


def test_only_a_proposer_schedules_and_only_an_executor_executes(
    world: World, lock: Any, chain: Any, accounts: Any
):
    timelock.grant(world.suite, "registry", world.gov)
    stranger = accounts[8]
    with nothing_sent(chain), pytest.raises(UserError, match="lacks PROPOSER_ROLE"):
        timelock.schedule(plan_for(world, lock), stranger)
    op = timelock.schedule(plan_for(world, lock), world.gov)
    chain.mine(deltatime=DELAY + 1)
    with nothing_sent(chain), pytest.raises(UserError, match="lacks EXECUTOR_ROLE"):
        timelock.execute(world.record, op.id, stranger)
    with nothing_sent(chain), pytest.raises(UserError, match="lacks CANCELLER_ROLE"):
        timelock.cancel(world.record, op.id, stranger)


def test_a_cancelled_operation_cannot_be_executed(world: World, lock: Any, chain: Any):
    timelock.grant(world.suite, "registry", world.gov)
    op = timelock.schedule(plan_for(world, lock), world.gov)
    current = implementation_of(world.suite.registry.address)
    timelock.cancel(world.record, op.id, world.gov)
    assert world.record.operations[op.id].status == "cancelled"
    chain.mine(deltatime=DELAY + 1)
    with nothing_sent(chain), pytest.raises(UserError, match="was cancelled already"):
        timelock.execute(world.record, op.id, world.gov)
    assert implementation_of(world.suite.registry.address) == current


def test_an_operation_whose_proxy_moved_since_scheduling_is_refused(
    world: World, lock: Any, chain: Any
):
    timelock.grant(world.suite, "registry", world.gov)  # gov keeps its own upgrader role
    op = timelock.schedule(plan_for(world, lock), world.gov)
    elsewhere = project.InvestorRegistry.deploy(sender=world.gov)
    world.suite.registry.upgradeToAndCall(elsewhere, b"", sender=world.gov)
    chain.mine(deltatime=DELAY + 1)
    with nothing_sent(chain), pytest.raises(UserError, match=r"since .* was scheduled"):
        timelock.execute(world.record, op.id, world.gov)


def test_operations_are_found_by_a_unique_prefix(world: World, lock: Any):
    timelock.grant(world.suite, "registry", world.gov)
    op = timelock.schedule(plan_for(world, lock), world.gov)
    assert timelock.find(world.record, op.id[:8]) == op
    with pytest.raises(UserError, match="no recorded timelock operation"):
        timelock.find(world.record, "0xdeadbeef")

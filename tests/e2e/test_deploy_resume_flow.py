"""A deployment killed at any point, then run again, ends with exactly one complete suite.

The deployment is interrupted after each of its five steps, and inside each step at the three
points where a real kill or a node going down could leave it: after the intent is written (signed,
not sent), after the transaction is mined but before it is recorded, and after it is recorded. The
re-run must deploy nothing twice: every contract the deployer created (counted over its nonces,
by code at each CREATE address) is one of the five recorded, and the suite is wired and
initialised. The command-line path is checked with the node failing under `ape run deploy`.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from securities_rails.chain import journal
from securities_rails.chain.contracts import ADMIN_ROLE, ROLES, has_code
from securities_rails.chain.journal import create_address, nonce_of
from securities_rails.chain.proxies import implementation_of
from securities_rails.deployments import ENV_VAR, DeploymentRecord
from securities_rails.errors import UserError
from securities_rails.lifecycle import deploy as lifecycle
from securities_rails.registry.investors import KINDS
from securities_rails.settlement import deploy as settlement
from securities_rails.suite import STEPS, SuiteRoles, deploy_suite, load_record

PHASES = ("intent", "mined", "recorded")
ALL_STEPS = STEPS + settlement.STEPS + lifecycle.STEPS  # what `ape run deploy` deploys
IMPLEMENTATIONS = {
    "InvestorRegistry.implementation": "InvestorRegistry",
    "SecurityToken.implementation": "SecurityToken",
    "SecurityTokenFactory.implementation": "SecurityTokenFactory",
}


class Killed(Exception):  # noqa: N818 (what happened to the process)
    """Stands for the process being killed, or the node going away, at that point."""


SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "deploy.py"


@pytest.fixture
def run_deploy(chain: Any) -> Callable[..., Result]:
    """`ape run deploy <args>` in-process, on the session's provider (as tests/cli's `run`)."""
    spec = importlib.util.spec_from_file_location("scripts_deploy", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    def _run(*args: str, account: int) -> Result:
        argv = [*args, "--account", f"TEST::{account}"]
        return CliRunner().invoke(
            module.cli, argv, obj={"provider": chain.provider}, catch_exceptions=False
        )

    return _run


@pytest.fixture
def deployer(accounts: Any, chain: Any) -> Any:
    """A funded account that has sent nothing yet (its nonces are the deployment's). Funded by
    setting its balance: a transfer from accounts[0] would depend on what earlier tests spent."""
    account = accounts.generate_test_account()
    chain.set_balance(account.address, 10**21)
    return account


@pytest.fixture
def directory(tmp_path: Path) -> str:
    return str(tmp_path)


def roles_of(account: Any) -> SuiteRoles:
    return SuiteRoles(account.address, account.address, account.address, account.address)


def created_by(deployer: Any, first_nonce: int) -> list[str]:
    """The contracts with code among the deployer's CREATE addresses since ``first_nonce``."""
    addresses = [
        create_address(deployer.address, n) for n in range(first_nonce, nonce_of(deployer.address))
    ]
    return [a for a in addresses if has_code(a)]


def assert_one_complete_suite(
    deployer: Any,
    first_nonce: int,
    directory: str,
    steps: tuple[str, ...] = STEPS,
    transactions: int = len(STEPS),
) -> DeploymentRecord:
    record = DeploymentRecord.load(load_record(directory).chain_id, directory)
    assert record.journal == {}
    recorded = {name: record.contracts[name].address for name in steps}
    assert sorted(created_by(deployer, first_nonce)) == sorted(recorded.values())
    assert nonce_of(deployer.address) - first_nonce == transactions  # nothing sent twice
    for step, contract in IMPLEMENTATIONS.items():
        entry = record.contracts[step]
        assert entry.layout_hash in record.layouts
        assert record.implementations[entry.address].contract == contract
    for proxy, implementation in (
        ("InvestorRegistry", "InvestorRegistry.implementation"),
        ("SecurityTokenFactory", "SecurityTokenFactory.implementation"),
    ):
        entry = record.contracts[proxy]
        assert implementation_of(entry.address) == entry.implementation == recorded[implementation]
        assert entry.layout_hash == record.contracts[implementation].layout_hash
    suite = deploy_suite(deployer, roles_of(deployer), record=record)  # a third run: no change
    assert suite.registry.hasRole(ROLES["upgrader"], deployer)
    assert suite.factory.hasRole(ADMIN_ROLE, deployer)
    assert suite.factory.implementation() == recorded["SecurityToken.implementation"]
    assert suite.factory.registry() == recorded["InvestorRegistry"]
    assert nonce_of(deployer.address) - first_nonce == transactions
    return record


def kill_at(step: str, phase: str) -> Callable[[str, str], None]:
    def hook(at_step: str, at_phase: str) -> None:
        if (at_step, at_phase) == (step, phase):
            raise Killed(f"killed at {step} ({phase})")

    return hook


@pytest.mark.parametrize("phase", PHASES)
@pytest.mark.parametrize("step", range(len(STEPS)), ids=lambda k: f"after-step-{k + 1}")
def test_a_deployment_killed_at_any_point_finishes_with_one_suite(
    deployer: Any, directory: str, step: int, phase: str
):
    first_nonce = nonce_of(deployer.address)
    with pytest.raises(Killed):
        deploy_suite(
            deployer,
            roles_of(deployer),
            record=load_record(directory),
            hook=kill_at(STEPS[step], phase),
        )
    messages: list[str] = []
    deploy_suite(deployer, roles_of(deployer), record=load_record(directory), log=messages.append)
    record = assert_one_complete_suite(deployer, first_nonce, directory)
    resumed = [m for m in messages if m.startswith(STEPS[step] + ":")]
    expected = {
        "intent": "was never used; deploying again",
        "mined": "adopted the contract at",
        "recorded": "already deployed at",
    }[phase]
    assert expected in resumed[0], messages
    assert len(record.contracts) == len(STEPS)


@pytest.mark.parametrize("killed_after", range(1, len(STEPS) + 1))
def test_a_deployment_stopped_from_the_log_after_step_k_of_n_finishes(
    deployer: Any, directory: str, killed_after: int
):
    first_nonce = nonce_of(deployer.address)
    done: list[str] = []

    def log(message: str) -> None:
        done.append(message)
        if len(done) == killed_after:
            raise Killed(message)

    with pytest.raises(Killed):
        deploy_suite(deployer, roles_of(deployer), record=load_record(directory), log=log)
    record = load_record(directory)
    assert [name for name in STEPS if name in record.contracts] == list(STEPS[:killed_after])
    deploy_suite(deployer, roles_of(deployer), record=record)
    assert_one_complete_suite(deployer, first_nonce, directory)


def test_an_intent_whose_nonce_was_spent_elsewhere_is_abandoned(
    deployer: Any, directory: str, accounts: Any
):
    first_nonce = nonce_of(deployer.address)
    with pytest.raises(Killed):
        deploy_suite(
            deployer,
            roles_of(deployer),
            record=load_record(directory),
            hook=kill_at(STEPS[1], "intent"),
        )
    deployer.transfer(accounts[0], 1)  # the nonce of the intent goes to a plain transfer
    messages: list[str] = []
    deploy_suite(deployer, roles_of(deployer), record=load_record(directory), log=messages.append)
    assert any("was used by another transaction" in m for m in messages), messages
    record = load_record(directory)
    assert sorted(created_by(deployer, first_nonce)) == sorted(
        record.contracts[n].address for n in STEPS
    )
    assert record.journal == {}


def test_a_contract_at_the_expected_address_from_another_transaction_is_not_adopted(
    deployer: Any, directory: str, chain: Any
):
    from ape import project

    with pytest.raises(Killed):
        deploy_suite(
            deployer,
            roles_of(deployer),
            record=load_record(directory),
            hook=kill_at(STEPS[0], "intent"),
        )
    intent = load_record(directory).journal[STEPS[0]]
    other = project.SuiteTimelock.deploy(
        0, [deployer.address], [deployer.address], deployer.address, sender=deployer
    )
    assert other.address == intent.address  # the intent's nonce created another contract
    height = chain.blocks.height
    with pytest.raises(UserError, match="not from the recorded transaction"):
        deploy_suite(deployer, roles_of(deployer), record=load_record(directory))
    assert chain.blocks.height == height


# ---------------------------------------------------------------------------- the command


def test_ape_run_deploy_finishes_after_the_node_fails_and_dry_run_shows_the_plan(
    run_deploy: Any, chain: Any, accounts: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    account = accounts[9]
    monkeypatch.setenv(ENV_VAR, str(tmp_path))
    first_nonce = nonce_of(account.address)
    real_broadcast = journal.broadcast
    sent: list[Any] = []

    def node_fails_on_the_third(signed: Any) -> Any:
        receipt = real_broadcast(signed)
        sent.append(receipt)
        if len(sent) == 3:
            raise ConnectionError("node went away")  # mined, never recorded
        return receipt

    monkeypatch.setattr(journal, "broadcast", node_fails_on_the_third)
    with pytest.raises(ConnectionError):
        run_deploy(account=9)
    monkeypatch.setattr(journal, "broadcast", real_broadcast)

    height = chain.blocks.height
    plan = run_deploy("--dry-run", account=9)
    assert plan.exit_code == 0, plan.output
    status = {
        cells[1].strip(): cells[2].strip()
        for line in plan.output.splitlines()
        if len(cells := line.split("│")) > 3
    }
    assert [status[step] for step in ALL_STEPS] == [
        "done",
        "done",
        "in flight (mined, to be recorded)",
    ] + ["to do"] * (len(ALL_STEPS) - 3)
    assert chain.blocks.height == height

    finished = run_deploy(account=9)
    assert finished.exit_code == 0, finished.output
    assert "adopted the contract" in finished.output
    # The escrows are registered as system accounts: two transactions besides the deployments.
    sent = len(ALL_STEPS) + 2
    record = assert_one_complete_suite(
        account, first_nonce, str(tmp_path), steps=ALL_STEPS, transactions=sent
    )
    registry = deploy_suite(account, roles_of(account), record=record).registry
    for step in (settlement.ESCROW, settlement.HTLC):
        assert KINDS[registry.identityOf(record.contracts[step].address).kind] == "system"
    again = run_deploy(account=9)
    assert again.exit_code == 0 and nonce_of(account.address) - first_nonce == sent
    assert len(record.contracts) == len(ALL_STEPS)

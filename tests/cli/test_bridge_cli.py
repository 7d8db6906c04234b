"""`ape run bridge`: each command against the two-chain world, and its refusals before sending."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from bridge_world import VALIDATORS, Harness
from click.testing import CliRunner, Result
from eth_account import Account

from securities_rails.bridge.endpoint import Direction, InboundStatus, token_abi
from securities_rails.bridge.operations import endpoint_at
from securities_rails.chain.networks import connected
from securities_rails.deployments import ENV_VAR


@pytest.fixture
def harness(bridge: Any, tmp_path: Path) -> Harness:
    return Harness(bridge, tmp_path)


@pytest.fixture
def bridge_cli(script: Any, harness: Harness) -> Any:
    """bridge_cli("send", ..., account=n) -> Result; --deployment and --db are filled in."""
    command = script("bridge").cli

    def invoke(*args: str, account: int | None = None, db: bool = False) -> Result:
        argv = [*args, "--deployment", str(harness.path)]
        if db:
            argv += ["--db", harness.db_url]
        if account is not None:
            argv += ["--account", f"TEST::{account}"]
        return CliRunner().invoke(command, argv, catch_exceptions=False)

    return invoke


ALICE, BOB = 3, 4  # test account indexes (bridge_world: admin 0, issuer 1, registrar 2)


def address(harness: Harness, name: str) -> str:
    return harness.world.people[name].address


def test_send_then_status_and_reconcile_show_the_transfer_delivered(bridge_cli, harness):
    sent = bridge_cli("send", "--to", address(harness, "bob"), "--amount", "25", account=ALICE)
    assert sent.exit_code == 0, sent.output
    assert "transfer" in sent.output and "sent" in sent.output
    harness.attest()
    harness.relayer().step()
    shown = bridge_cli("status", db=True)
    assert shown.exit_code == 0, shown.output
    line = next(row for row in shown.output.splitlines() if "home -> remote" in row)
    assert "transfer" in line and "1 (25 units)" in line
    assert harness.balance("remote", "bob") == 25
    checked = bridge_cli("reconcile")
    assert checked.exit_code == 0, checked.output
    assert "difference: custody - (supply + in flight) = +0 units" in checked.output


def test_reconcile_exits_non_zero_naming_units_custody_cannot_account_for(bridge_cli, harness):
    alice = harness.world.people["alice"]
    custody = harness.deployment.home.custody
    token = harness.endpoints["home"].chain.contract(harness.deployment.home.token, token_abi())
    token_owner = Account.from_key(alice.private_key)
    harness.endpoints["home"].chain.send(token_owner, token, "transfer", custody, 7)
    checked = bridge_cli("reconcile")
    assert checked.exit_code == 1
    assert "custody holds 7 units more than the mirror supply plus in flight" in checked.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--amount", "401"), "amount: 401 is not between 1 and the maximum 400"),
        (("--amount", "0"), "amount: 0 is not between 1 and the maximum 400"),
        (("--amount", "5000"), "is not between 1 and the maximum"),
    ],
)
def test_send_refuses_a_bad_amount_before_sending(bridge_cli, harness, args, message):
    result = bridge_cli("send", "--to", address(harness, "bob"), *args, account=ALICE)
    assert result.exit_code == 1
    assert message in result.output
    assert harness.endpoints["home"].totals().sent == 0


def test_send_refuses_a_recipient_the_destination_would_refuse(bridge_cli, harness):
    result = bridge_cli("send", "--to", address(harness, "carol"), "--amount", "5", account=ALICE)
    assert result.exit_code == 1
    assert "to: the remote token would refuse" in result.output
    assert harness.endpoints["home"].totals().sent == 0


def test_send_refuses_more_than_the_sender_can_transfer(bridge_cli, harness):
    result = bridge_cli("send", "--to", address(harness, "alice"), "--amount", "5", account=BOB)
    assert result.exit_code == 1
    assert "has 0 transferable units, not 5" in result.output


def test_pause_by_the_guardian_stops_sends_and_only_the_admin_unpauses(bridge_cli, harness):
    paused = bridge_cli("pause", "--side", "home", "--direction", "outbound", account=0)
    assert paused.exit_code == 0, paused.output
    refused = bridge_cli("send", "--to", address(harness, "bob"), "--amount", "5", account=ALICE)
    assert "paused for outbound transfers" in refused.output
    not_admin = bridge_cli("unpause", "--side", "home", "--direction", "outbound", account=ALICE)
    assert not_admin.exit_code == 1
    assert "only the admin unpauses" in not_admin.output
    again = bridge_cli("unpause", "--side", "home", "--direction", "outbound", account=0)
    assert again.exit_code == 0, again.output
    sent = bridge_cli("send", "--to", address(harness, "bob"), "--amount", "5", account=ALICE)
    assert sent.exit_code == 0, sent.output


def test_a_guardian_may_lower_a_limit_but_not_raise_it(bridge_cli, harness):
    lowered = bridge_cli(
        "limit",
        "--side",
        "remote",
        "--direction",
        "inbound",
        "--capacity",
        "450",
        "--rate",
        "1",
        account=0,
    )
    assert lowered.exit_code == 0, lowered.output
    limit = harness.endpoints["remote"].rate_limit(Direction.INBOUND)
    assert (limit.capacity, limit.rate_per_second) == (450, 1)
    below_max = bridge_cli(
        "limit",
        "--side",
        "remote",
        "--direction",
        "inbound",
        "--capacity",
        "10",
        "--rate",
        "1",
        account=0,
    )
    assert "below the per-transfer maximum 400" in below_max.output
    guardian = harness.world.people["issuer"]  # a guardian that is not the governor
    with connected(harness.deployment.remote.rpc):
        endpoint = endpoint_at(harness.deployment.remote)
        endpoint.grantRole(
            endpoint.GUARDIAN_ROLE(), guardian.address, sender=harness.world.people["admin"]
        )
    raised = bridge_cli(
        "limit",
        "--side",
        "remote",
        "--direction",
        "inbound",
        "--capacity",
        "460",
        "--rate",
        "1",
        account=1,
    )
    assert raised.exit_code == 1
    assert "raising the inbound limit goes through the governor" in raised.output
    lower = bridge_cli(
        "limit",
        "--side",
        "remote",
        "--direction",
        "inbound",
        "--capacity",
        "440",
        "--rate",
        "1",
        account=1,
    )
    assert lower.exit_code == 0, lower.output


def test_a_refused_transfer_is_reclaimed_from_the_command_line(bridge_cli, harness):
    message = harness.send("home", "alice", address(harness, "carol"), 40)
    harness.attest()
    harness.relayer().step()  # the remote refuses carol: marked failed
    assert harness.remote.inbound_status(message.message_id()) == InboundStatus.FAILED
    harness.attest()  # validators attest the failure as a refund
    before = harness.balance("home", "alice")
    result = bridge_cli(
        "reclaim", "--from", "home", "--nonce", str(message.nonce), db=True, account=5
    )
    assert result.exit_code == 0, result.output
    assert harness.balance("home", "alice") == before + 40
    again = bridge_cli(
        "reclaim", "--from", "home", "--nonce", str(message.nonce), db=True, account=5
    )
    assert again.exit_code == 1
    assert "is refunded here" in again.output


def test_reclaim_names_a_transfer_that_has_not_failed(bridge_cli, harness):
    result = bridge_cli("reclaim", "--from", "home", "--nonce", "99", db=True, account=5)
    assert result.exit_code == 1
    assert "no refund of transfer 99 from home is recorded" in result.output


def test_validators_show_lists_both_sets(bridge_cli, harness):
    result = bridge_cli("validators", "show")
    assert result.exit_code == 0, result.output
    assert result.output.count("3 of 5") == 10


def _deploy_args(harness: Harness, *extra: str) -> list[str]:
    d = harness.deployment
    args = ["deploy", "--isin", d.isin, "--home", d.home.rpc, "--remote", d.remote.rpc]
    for validator in VALIDATORS:
        args += ["--validator", validator]
    return [*args, "--capacity", "500", "--rate", "5", "--max-transfer", "400", *extra]


def test_deploy_refuses_an_impossible_threshold_before_sending(script, harness):
    result = CliRunner().invoke(
        script("bridge").cli,
        [*_deploy_args(harness, "--threshold", "6"), "--account", "TEST::0"],
        catch_exceptions=False,
    )
    assert result.exit_code == 1
    assert "threshold: must be between 1 and 5, got 6" in result.output


def test_deploy_run_again_finds_everything_deployed_and_changes_nothing(
    script, harness, monkeypatch
):
    monkeypatch.setenv(ENV_VAR, str(harness.world.directory))
    heads = (harness.home.head(), harness.remote.head())
    result = CliRunner().invoke(
        script("bridge").cli,
        [*_deploy_args(harness, "--threshold", "3"), "--account", "TEST::0"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert harness.deployment.home.endpoint in result.output
    assert harness.deployment.remote.endpoint in result.output
    assert (harness.home.head(), harness.remote.head()) == heads  # not one transaction sent

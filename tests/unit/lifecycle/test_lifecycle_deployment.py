"""Deploying the lifecycle contracts and enabling instruments: journaled, idempotent, refused
clearly when the signer cannot."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from suite_data import YEAR

from securities_rails.chain.contracts import ROLES, token_at
from securities_rails.chain.journal import nonce_of
from securities_rails.chain.proxies import implementation_of
from securities_rails.deployments import ENV_VAR
from securities_rails.errors import UserError
from securities_rails.lifecycle.deploy import (
    CONTRACTS,
    CORPORATE_ACTION_ROLE,
    STEPS,
    check_enable,
    deploy_lifecycle,
    enable_instrument,
    is_deployed,
    is_enabled,
    load_lifecycle,
)
from securities_rails.suite import load_record

SCRIPTS = Path(__file__).resolve().parents[3] / "scripts"
FRESH_ISIN = "XS000LIFEX05"


@pytest.fixture
def fresh(new_instrument, now) -> Any:
    """An instrument created in this test, not enabled."""
    return new_instrument(FRESH_ISIN, cfi="DBFTFR", decimals=0, maturity=now + YEAR)


def test_deploying_again_sends_nothing_and_returns_the_same_contracts(
    lifecycle, lifecycle_deployer, admin, upgrader, chain
):
    height, nonce = chain.blocks.height, nonce_of(lifecycle_deployer.address)
    lines: list[str] = []
    again = deploy_lifecycle(
        lifecycle_deployer,
        admin=admin.address,
        upgrader=upgrader.address,
        record=lifecycle.record,
        log=lines.append,
    )
    assert chain.blocks.height == height and nonce_of(lifecycle_deployer.address) == nonce
    assert len(lines) == len(STEPS) and all("already deployed" in line for line in lines)
    assert again.record_dates.address == lifecycle.record_dates.address
    assert again.distributions.address == lifecycle.distributions.address
    assert again.redemption.address == lifecycle.redemption.address
    assert again.splits.address == lifecycle.splits.address


def test_the_record_holds_all_eight_steps_and_each_proxy_points_to_its_implementation(
    lifecycle, admin, upgrader
):
    record = lifecycle.record
    assert record.journal == {}
    assert is_deployed(record)
    for implementation, proxy, name in CONTRACTS:
        logic, entry = record.contracts[implementation], record.contracts[proxy]
        assert record.implementations[logic.address].contract == name
        assert logic.layout_hash in record.layouts
        assert entry.kind == "proxy" and entry.implementation == logic.address
        assert implementation_of(entry.address) == logic.address
    assert [step for step in STEPS if step in record.contracts] == list(STEPS)
    loaded = load_lifecycle(record)
    assert loaded.distributions.address == lifecycle.distributions.address
    assert loaded.splits.address == lifecycle.splits.address
    for contract in (loaded.record_dates, loaded.distributions, loaded.redemption, loaded.splits):
        assert contract.hasRole(b"\x00" * 32, admin)
        assert contract.hasRole(ROLES["upgrader"], upgrader)


def test_loading_on_a_chain_without_the_contracts_says_to_deploy(lifecycle):
    record = lifecycle.record
    saved = record.contracts.pop("Redemption")
    try:
        with pytest.raises(
            UserError, match=r"Redemption is not deployed on chain \d+: run `ape run deploy`"
        ):
            load_lifecycle(record)
        assert not is_deployed(record)
    finally:
        record.contracts["Redemption"] = saved


def test_enabling_wires_the_instrument_once_and_a_second_run_sends_nothing(
    lifecycle, fresh, admin, agent, chain
):
    assert not is_enabled(lifecycle, fresh)
    lines = enable_instrument(lifecycle, fresh, admin, agent=agent.address)
    assert is_enabled(lifecycle, fresh)
    assert fresh.recordDates() == lifecycle.record_dates.address
    assert fresh.hasRole(CORPORATE_ACTION_ROLE, lifecycle.distributions)
    assert fresh.hasRole(CORPORATE_ACTION_ROLE, lifecycle.redemption)
    assert fresh.hasRole(ROLES["issuer"], lifecycle.redemption)
    assert fresh.hasRole(CORPORATE_ACTION_ROLE, agent)
    # a bond: the splits contract (which can mint) is granted nothing, and the log says why
    assert not fresh.hasRole(ROLES["issuer"], lifecycle.splits)
    assert not fresh.hasRole(CORPORATE_ACTION_ROLE, lifecycle.splits)
    assert "not a share (CFI DBFTFR)" in lines[1]
    steps = [line for line in lines if line != lines[1]]
    assert len(steps) == 5 and not any("already" in line for line in steps)

    height = chain.blocks.height
    again = enable_instrument(lifecycle, fresh, admin, agent=agent.address)
    assert chain.blocks.height == height
    assert len(again) == 6 and all("already" in line for line in again if line != again[1])


def test_enabling_a_share_grants_the_splits_contract_its_roles_once(
    lifecycle, new_instrument, admin, agent, chain
):
    share = new_instrument("XS000LIFEZ03", cfi="ESVUFR", decimals=0, maturity=0)
    lines = enable_instrument(lifecycle, share, admin, agent=agent.address)
    assert "a share (CFI ESVUFR)" in lines[1]
    assert f"XS000LIFEZ03: granted ISSUER_ROLE to splits {lifecycle.splits.address}" in lines
    assert share.hasRole(ROLES["issuer"], lifecycle.splits)
    assert share.hasRole(CORPORATE_ACTION_ROLE, lifecycle.splits)
    assert is_enabled(lifecycle, share)
    share.revokeRole(ROLES["issuer"], lifecycle.splits, sender=admin)
    assert not is_enabled(lifecycle, share)  # a share needs the splits contract's roles

    enable_instrument(lifecycle, share, admin, agent=agent.address)
    height = chain.blocks.height
    again = enable_instrument(lifecycle, share, admin, agent=agent.address)
    assert chain.blocks.height == height
    assert len(again) == 8 and all("already" in line for line in again if line != again[1])


def test_an_account_without_the_instruments_admin_role_is_refused(
    lifecycle, fresh, issuer, nothing_sent
):
    with (
        nothing_sent(),
        pytest.raises(UserError, match="lacks the instrument's admin role") as refused,
    ):
        enable_instrument(lifecycle, fresh, issuer)
    assert refused.value.field == "account"
    assert not is_enabled(lifecycle, fresh)


def test_an_instrument_locked_to_another_record_date_book_is_refused(
    lifecycle, fresh, admin, agent, accounts, chain, nothing_sent, tmp_path
):
    # Another book (deployed by an account of this test alone), in which a record date is
    # scheduled: from then on the token's book is fixed.
    other_deployer = accounts.generate_test_account()
    chain.set_balance(other_deployer, 10**20)
    other = deploy_lifecycle(
        other_deployer,
        admin=admin.address,
        upgrader=admin.address,
        record=load_record(str(tmp_path)),
    )
    fresh.setRecordDates(other.record_dates, sender=admin)
    fresh.grantRole(CORPORATE_ACTION_ROLE, agent, sender=admin)
    other.record_dates.scheduleRecordDate(fresh, int(chain.pending_timestamp) + 3600, sender=agent)
    with (
        nothing_sent(),
        pytest.raises(UserError, match="already writes its record dates to another book"),
    ):
        check_enable(lifecycle, fresh, admin.address)


def test_create_instrument_enables_the_new_instrument_when_the_signer_is_its_admin(
    lifecycle, suite, chain, monkeypatch
):
    monkeypatch.setenv(ENV_VAR, str(suite.record.directory))
    spec = importlib.util.spec_from_file_location("scripts_issuer", SCRIPTS / "issuer.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    argv = [
        "create-instrument",
        *("--name", "Enabled notes", "--symbol", "ENB", "--isin", "XS000LIFEY04"),
        *("--cfi", "DBFTFB", "--currency", "CAD", "--lei", "5493001KJTIIGC8Y1R12"),
        *("--issue-date", "2026-01-15", "--maturity", "2036-01-15"),
        *("--account", "TEST::0"),
    ]
    result = CliRunner().invoke(
        module.cli, argv, obj={"provider": chain.provider}, catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    created = token_at(suite.factory.tokenOf(b"XS000LIFEY04"))
    assert is_enabled(lifecycle, created)
    assert "granted CORPORATE_ACTION_ROLE to distributions" in result.output
    assert "granted ISSUER_ROLE to redemption" in result.output

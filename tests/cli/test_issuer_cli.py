"""The issuer CLI end to end against Anvil: what it does, and its one-line errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from suite_data import ISIN

ADMIN, ISSUER, REGISTRAR, ENFORCER, PAUSER = 0, 1, 2, 3, 4


def test_create_instrument_refuses_a_wrong_isin_check_digit_before_sending(run, suite):
    result = run(
        "issuer",
        "create-instrument",
        "--name",
        "X",
        "--symbol",
        "X",
        "--isin",
        "US0378331006",
        "--cfi",
        "ESVUFR",
        "--currency",
        "EUR",
        "--lei",
        "5493001KJTIIGC8Y1R12",
        "--issue-date",
        "2026-01-15",
    )
    assert result.exit_code == 1
    assert "isin: invalid ISIN check digit" in result.output


def test_create_instrument_refuses_an_existing_isin(run, token):
    result = run(
        "issuer",
        "create-instrument",
        "--name",
        "X",
        "--symbol",
        "X",
        "--isin",
        ISIN,
        "--cfi",
        "ESVUFR",
        "--currency",
        "EUR",
        "--lei",
        "5493001KJTIIGC8Y1R12",
        "--issue-date",
        "2026-01-15",
    )
    assert result.exit_code == 1
    assert f"an instrument with ISIN {ISIN} exists already" in result.output


def test_create_instrument_records_the_new_instrument(run, suite):
    result = run(
        "issuer",
        "create-instrument",
        "--name",
        "Bond",
        "--symbol",
        "BND",
        "--isin",
        "DE000BAY0017",
        "--cfi",
        "DBFTFB",
        "--currency",
        "EUR",
        "--lei",
        "5493001KJTIIGC8Y1R12",
        "--decimals",
        "2",
        "--nominal",
        "1000",
        "--issue-date",
        "2026-01-15",
        "--maturity",
        "2031-01-15",
    )
    assert result.exit_code == 0, result.output
    address = suite.factory.tokenOf(b"DE000BAY0017")
    assert (
        suite.record.__class__.load(suite.record.chain_id, suite.record.directory)
        .instrument("DE000BAY0017")
        .address
        == address
    )


def test_register_mint_and_transfer_from_the_command_line(run, token, alice, bob):
    for wallet, ident, country in ((alice, "cli-alice", "DE"), (bob, "cli-bob", "FRA")):
        result = run(
            "issuer",
            "register-investor",
            "--wallet",
            wallet.address,
            "--investor-id",
            ident,
            "--country",
            country,
            "--expiry",
            "2035-01-01",
            account=REGISTRAR,
        )
        assert result.exit_code == 0, result.output
    result = run(
        "issuer", "mint", "--isin", ISIN, "--to", alice.address, "--amount", "100", account=ISSUER
    )
    assert result.exit_code == 0, result.output
    result = run(
        "issuer", "transfer", "--isin", ISIN, "--to", bob.address, "--amount", "40", account=6
    )
    assert result.exit_code == 0, result.output
    assert (token.balanceOf(alice), token.balanceOf(bob)) == (60, 40)


def test_a_refused_transfer_prints_the_decoded_reason_and_sends_nothing(
    run, holders, alice, outsider, chain
):
    height = chain.blocks.height
    result = run(
        "issuer", "transfer", "--isin", ISIN, "--to", outsider.address, "--amount", "1", account=6
    )
    assert result.exit_code == 1
    assert "RECIPIENT_NOT_REGISTERED" in result.output
    assert "revert" not in result.output.lower()
    assert chain.blocks.height == height


def test_a_signer_without_the_role_is_told_which_role(run, holders, alice):
    result = run(
        "issuer", "mint", "--isin", ISIN, "--to", alice.address, "--amount", "1", account=6
    )
    assert result.exit_code == 1
    assert "lacks the issuer role" in result.output


def test_an_amount_above_balance_is_refused_before_sending(run, holders, alice):
    result = run(
        "issuer",
        "burn",
        "--isin",
        ISIN,
        "--wallet",
        alice.address,
        "--amount",
        "5000",
        account=ISSUER,
    )
    assert result.exit_code == 1
    assert "amount: above balance" in result.output


def test_an_unknown_instrument_is_named(run, suite):
    result = run("issuer", "info", "--isin", "DE0005190003", account=None)
    assert result.exit_code == 1
    assert "unknown instrument DE0005190003" in result.output


def test_batch_mint_from_csv_reports_the_rows_that_landed(run, holders, bob, alice, tmp_path: Path):
    path = tmp_path / "mint.csv"
    path.write_text(f"wallet,amount\n{alice.address},5\n{bob.address},7\n")
    result = run("issuer", "mint", "--isin", ISIN, "--csv", str(path), account=ISSUER)
    assert result.exit_code == 0, result.output
    assert "2 row(s) minted" in result.output
    assert (holders.balanceOf(alice), holders.balanceOf(bob)) == (1005, 1007)


def test_a_batch_with_one_bad_row_is_rejected_whole(run, holders, alice, outsider, tmp_path: Path):
    path = tmp_path / "mint.csv"
    path.write_text(f"wallet,amount\n{alice.address},5\n{outsider.address},7\n")
    result = run("issuer", "mint", "--isin", ISIN, "--csv", str(path), account=ISSUER)
    assert result.exit_code == 1
    assert "row 2" in result.output and "RECIPIENT_NOT_REGISTERED" in result.output
    assert holders.balanceOf(alice) == 1000


def test_freeze_force_transfer_pause_and_holders(run, holders, alice, bob):
    assert (
        run(
            "issuer",
            "freeze",
            "--isin",
            ISIN,
            "--wallet",
            alice.address,
            "--amount",
            "100",
            account=ENFORCER,
        ).exit_code
        == 0
    )
    assert holders.frozenTokens(alice) == 100
    result = run(
        "issuer",
        "force-transfer",
        "--isin",
        ISIN,
        "--from",
        alice.address,
        "--to",
        bob.address,
        "--amount",
        "950",
        "--reason",
        "court order",
        account=REGISTRAR,
    )
    assert result.exit_code == 0, result.output
    assert (holders.balanceOf(alice), holders.frozenTokens(alice)) == (50, 50)
    assert run("issuer", "pause", "--isin", ISIN, account=PAUSER).exit_code == 0
    result = run(
        "issuer", "transfer", "--isin", ISIN, "--to", alice.address, "--amount", "1", account=7
    )
    assert result.exit_code == 1 and "TOKEN_PAUSED" in result.output
    result = run("issuer", "holders", "--isin", ISIN, account=None)
    assert result.exit_code == 0
    assert bob.address in result.output and "97.50%" in result.output


def test_info_shows_instrument_data_and_rules(run, token: Any):
    assert (
        run(
            "issuer",
            "set-rule",
            "--isin",
            ISIN,
            "--rule",
            "max-investors",
            "--value",
            "10",
            account=ADMIN,
        ).exit_code
        == 0
    )
    result = run("issuer", "info", "--isin", ISIN, account=None)
    assert result.exit_code == 0
    assert "5493001KJTIIGC8Y1R12" in result.output and "max-investors" in result.output


def test_update_investors_from_csv_rewrites_every_wallet(
    run, holders, registry, alice, bob, tmp_path: Path
):
    path = tmp_path / "updates.csv"
    path.write_text(
        "investor_id,country,category,expiry\nalice,AT,professional,2036-01-01\n"
        "bob,IT,institutional,2036-01-01\n"
    )
    result = run("issuer", "update-investor", "--csv", str(path), account=REGISTRAR)
    assert result.exit_code == 0, result.output
    assert "2 investor(s) updated" in result.output
    assert (registry.identityOf(alice).country, registry.identityOf(alice).category) == (40, 2)
    assert (registry.identityOf(bob).country, registry.identityOf(bob).category) == (380, 3)


def test_an_update_file_with_an_unknown_investor_sends_nothing(
    run, holders, registry, alice, tmp_path: Path, chain
):
    path = tmp_path / "updates.csv"
    path.write_text(
        "investor_id,country,category,expiry\nalice,AT,retail,2036-01-01\n"
        "nobody,IT,retail,2036-01-01\n"
    )
    height = chain.blocks.height
    result = run("issuer", "update-investor", "--csv", str(path), account=REGISTRAR)
    assert result.exit_code == 1
    assert "row 2" in result.output and "unknown investor nobody" in result.output
    assert chain.blocks.height == height
    assert registry.identityOf(alice).country == 276


def test_remove_investors_from_csv_retires_the_wallets(
    run, holders, registry, alice, carol, tmp_path: Path
):
    path = tmp_path / "wallets.csv"
    path.write_text(f"wallet\n{alice.address}\n{carol.address}\n")
    result = run("issuer", "remove-investor", "--csv", str(path), account=REGISTRAR)
    assert result.exit_code == 0, result.output
    assert [int(registry.identityOf(w).kind) for w in (alice, carol)] == [3, 3]  # retired

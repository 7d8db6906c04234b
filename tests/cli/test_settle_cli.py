"""`ape run settle` end to end against Anvil: trading, views, batches, ISO 20022 in and out, the
cash leg, and the one-line refusals that send nothing.

Test accounts: issuer 1 (also the EUR cash issuer), alice 6 (holds 1,000 units), bob 7 (1,000
units and 1,000,000 EUR), carol 8 (1,000,000 EUR), outsider 9.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from suite_data import ISIN

from securities_rails import iso20022
from securities_rails.settlement import messages, trades
from securities_rails.settlement.deploy import Settlement, deploy_cash_token, deploy_settlement

ISSUER, ALICE, BOB, CAROL, OUTSIDER = 1, 6, 7, 8, 9
EUR = 10**6
DAY = 24 * 3600


@pytest.fixture(scope="session")
def dvp(suite: Any, accounts: Any, admin: Any, upgrader: Any, registrar: Any) -> Settlement:
    """The escrows deployed by accounts[7], which deploys nothing else (see
    tests/unit/settlement/conftest.py); the same record as the suite, so the CLI finds them."""
    return deploy_settlement(
        accounts[7],
        admin=admin.address,
        upgrader=upgrader.address,
        record=suite.record,
        registry=suite.registry,
        registrar=registrar,
    )


@pytest.fixture(scope="session")
def eur(dvp: Settlement, accounts: Any, admin: Any, issuer: Any) -> Any:
    return deploy_cash_token(
        accounts[7], currency="EUR", admin=admin.address, issuer=issuer.address, record=dvp.record
    )


@pytest.fixture
def desk(holders: Any, dvp: Settlement, eur: Any, issuer: Any, bob: Any, carol: Any) -> Any:
    eur.mint(bob, 1_000_000 * EUR, sender=issuer)
    eur.mint(carol, 1_000_000 * EUR, sender=issuer)
    return holders


def error_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.startswith("Error:")]
    assert len(lines) == 1, output
    return lines[0]


def instruct_args(seller: Any, buyer: Any, **overrides: str) -> list[str]:
    values = {
        "isin": ISIN,
        "seller": seller.address,
        "buyer": buyer.address,
        "quantity": "10",
        "currency": "EUR",
        "amount": "2500.00",
        "reference": "CLI-1",
        "deadline": "2d",
    } | overrides
    args = ["instruct"]
    for name, value in values.items():
        args += [f"--{name}", value]
    return args


def settlement_hash(dvp: Settlement, trade_id: str) -> str:
    """The transaction hash of the trade's TradeSettled event, read from the chain."""
    (log,) = dvp.escrow.TradeSettled.range(0, 0, search_topics={"tradeId": trade_id})
    return "0x" + bytes.fromhex(str(log.transaction_hash).removeprefix("0x")).hex()


def status_of(dvp: Settlement, reference: str) -> str:
    trade_id = trades.resolve_trade(dvp, reference)
    return trades.STATUSES[int(dvp.escrow.tradeStatus(trade_id))]


# ---------------------------------------------------------------- trading


def test_a_trade_is_instructed_affirmed_and_settled_from_the_command_line(
    run, dvp, desk, eur, alice, bob
):
    result = run("settle", *instruct_args(alice, bob), account=ALICE)
    assert result.exit_code == 0, result.output
    assert "proposed" in result.output
    result = run("settle", "affirm", "--trade", "CLI-1", account=BOB)
    assert result.exit_code == 0, result.output
    assert "matched: the buyer's leg is in escrow" in result.output
    shown = run("settle", "status", "--trade", "CLI-1", account=None)
    assert shown.exit_code == 0, shown.output
    assert "matched" in shown.output and "2500.000000" in shown.output
    assert "allowed by the rules" in shown.output
    result = run("settle", "settle", "--trade", "CLI-1", account=CAROL)
    assert result.exit_code == 0, result.output
    assert (desk.balanceOf(bob), eur.balanceOf(alice)) == (1010, 2500 * EUR)
    shown = run("settle", "status", "--trade", "CLI-1", account=None)
    trade_id = trades.resolve_trade(dvp, "CLI-1")
    assert "settled" in shown.output and trade_id in shown.output
    assert settlement_hash(dvp, trade_id) in shown.output


@pytest.mark.parametrize(
    ("overrides", "account", "expected"),
    [
        ({"isin": "US0378331006"}, ALICE, "isin: invalid ISIN check digit"),
        ({"currency": "USD"}, ALICE, "currency: no cash token for USD"),
        ({"deadline": "2020-01-01"}, ALICE, "deadline: 2020-01-02 is not in the future"),
        ({"deadline": "400d"}, ALICE, "deadline:"),
        ({"reference": "R" * 36}, ALICE, "reference:"),
        ({"quantity": "1000.5"}, ALICE, "quantity: 1000.5 has 1 decimal places"),
        ({"quantity": "1001"}, ALICE, "quantity: the seller"),
        ({"amount": "5000000"}, BOB, "amount: the buyer"),
        ({}, CAROL, "account: "),
    ],
)
def test_an_unusable_instruction_is_one_line_naming_the_field_and_sends_nothing(
    run, desk, alice, bob, chain, overrides, account, expected
):
    height = chain.blocks.height
    result = run("settle", *instruct_args(alice, bob, **overrides), account=account)
    assert result.exit_code == 1
    assert expected in error_line(result.output)
    assert "revert" not in result.output.lower()
    assert chain.blocks.height == height


def test_a_settlement_the_rules_refuse_prints_the_reason_and_sends_nothing(
    run, dvp, desk, alice, bob, enforcer, chain
):
    assert run("settle", *instruct_args(alice, bob), account=ALICE).exit_code == 0
    assert run("settle", "affirm", "--trade", "CLI-1", account=BOB).exit_code == 0
    desk.setAddressFrozen(bob, True, sender=enforcer)
    height = chain.blocks.height
    result = run("settle", "settle", "--trade", "CLI-1", account=ALICE)
    assert result.exit_code == 1
    assert "RECIPIENT_FROZEN" in error_line(result.output)
    assert chain.blocks.height == height and status_of(dvp, "CLI-1") == "matched"


def test_several_trades_settle_in_one_transaction_with_a_result_each(
    run, dvp, desk, alice, bob, carol, chain, tmp_path: Path
):
    for reference, buyer in (("CLI-A", bob), ("CLI-B", carol), ("CLI-C", carol)):
        args = instruct_args(alice, buyer, reference=reference)
        assert run("settle", *args, account=ALICE).exit_code == 0
    assert run("settle", "affirm", "--trade", "CLI-A", account=BOB).exit_code == 0
    assert run("settle", "affirm", "--trade", "CLI-C", account=CAROL).exit_code == 0
    height = chain.blocks.height
    result = run("settle", "settle", "--trade", "CLI-A", "--trade", "CLI-B", account=OUTSIDER)
    assert result.exit_code == 0, result.output
    assert chain.blocks.height == height + 1
    assert "1 of 2 trade(s) settled in one transaction" in result.output
    assert "NOT_MATCHED" in result.output
    assert [status_of(dvp, r) for r in ("CLI-A", "CLI-B")] == ["settled", "proposed"]
    path = tmp_path / "settle.csv"
    path.write_text(f"trade\nCLI-C\n{trades.resolve_trade(dvp, 'CLI-B')}\n")
    result = run("settle", "settle", "--csv", str(path), account=OUTSIDER)
    assert result.exit_code == 0, result.output
    assert "1 of 2 trade(s) settled" in result.output
    assert status_of(dvp, "CLI-C") == "settled"


def test_settling_names_an_unknown_trade(run, desk, chain):
    height = chain.blocks.height
    result = run("settle", "settle", "--trade", "NOPE", "--trade", "NOPE2", account=ALICE)
    assert result.exit_code == 1
    assert "trade: no trade has the id or reference 'NOPE'" in error_line(result.output)
    assert chain.blocks.height == height


def test_a_cancelled_trade_gives_each_leg_back(run, dvp, desk, eur, alice, bob, chain):
    assert run("settle", *instruct_args(alice, bob), account=ALICE).exit_code == 0
    assert run("settle", "affirm", "--trade", "CLI-1", account=BOB).exit_code == 0
    result = run("settle", "cancel", "--trade", "CLI-1", account=ALICE)
    assert result.exit_code == 0 and "the other party must ask too" in result.output
    result = run("settle", "reclaim", "--trade", "CLI-1", account=ALICE)
    assert result.exit_code == 1
    assert "only a cancelled or expired trade" in error_line(result.output)
    result = run("settle", "cancel", "--trade", "CLI-1", account=BOB)
    assert result.exit_code == 0 and "cancelled" in result.output
    result = run("settle", "reclaim", "--trade", "CLI-1", "--to", alice.address, account=BOB)
    assert result.exit_code == 1
    assert error_line(result.output).startswith("Error: to:")
    for account in (ALICE, BOB):
        result = run("settle", "reclaim", "--trade", "CLI-1", account=account)
        assert result.exit_code == 0, result.output
    assert (desk.balanceOf(alice), eur.balanceOf(bob)) == (1000, 1_000_000 * EUR)


def test_the_list_shows_trades_by_status_and_party(run, desk, alice, bob, carol):
    assert run("settle", *instruct_args(alice, bob, reference="L-1"), account=ALICE).exit_code == 0
    args = instruct_args(alice, carol, reference="L-2")
    assert run("settle", *args, account=ALICE).exit_code == 0
    assert run("settle", "affirm", "--trade", "L-2", account=CAROL).exit_code == 0
    everything = run("settle", "list", account=None)
    assert everything.exit_code == 0, everything.output
    assert "L-1" in everything.output and "L-2" in everything.output
    matched = run("settle", "list", "--status", "matched", account=None)
    assert "L-2" in matched.output and "L-1" not in matched.output
    with_bob = run("settle", "list", "--party", bob.address, account=None)
    assert "L-1" in with_bob.output and "L-2" not in with_bob.output


# ---------------------------------------------------------------- many instructions


def _instructions(tmp_path: Path, rows: list[str]) -> Path:
    path = tmp_path / "trades.csv"
    header = "isin,seller,buyer,quantity,currency,amount,reference,deadline"
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


def test_a_file_of_trades_is_instructed_row_by_row(run, dvp, desk, alice, bob, carol, tmp_path):
    path = _instructions(
        tmp_path,
        [
            f"{ISIN},{alice.address},{bob.address},10,EUR,2500,F-1,3d",
            f"{ISIN},{alice.address},{carol.address},5,EUR,1250.50,F-2,3d",
        ],
    )
    result = run("settle", "batch", "--csv", str(path), account=ALICE)
    assert result.exit_code == 0, result.output
    assert "2 trade(s) instructed" in result.output
    assert [status_of(dvp, r) for r in ("F-1", "F-2")] == ["proposed", "proposed"]
    assert desk.balanceOf(alice) == 985


def test_a_file_with_a_bad_row_sends_nothing(run, desk, alice, bob, outsider, chain, tmp_path):
    path = _instructions(
        tmp_path,
        [
            f"{ISIN},{alice.address},{bob.address},10,EUR,2500,F-3,3d",
            f"{ISIN},{alice.address},{outsider.address},999,EUR,2500,F-4,3d",
        ],
    )
    height = chain.blocks.height
    result = run("settle", "batch", "--csv", str(path), account=ALICE)
    assert result.exit_code == 1
    assert "1 bad row" in result.output and "row 2, quantity:" in result.output
    assert chain.blocks.height == height


# ---------------------------------------------------------------- ISO 20022


def _instruction(
    owner: Any, counterparty: Any, movement: str, day: Any, amount: str = "2500.00"
) -> messages.SettlementInstruction:
    return messages.SettlementInstruction(
        message_id="ISO-1",
        reference="ISO-1",
        movement=movement,
        payment="against",
        isin=ISIN,
        quantity=Decimal("10"),
        cash_amount=Decimal(amount),
        currency="EUR",
        trade_date=None,
        settlement_date=day,
        account_owner_wallet=owner.address,
        counterparty_wallet=counterparty.address,
    )


@pytest.fixture
def settlement_day(chain: Any) -> Any:
    return (datetime.fromtimestamp(int(chain.pending_timestamp), UTC) + timedelta(days=2)).date()


def _write(tmp_path: Path, instruction: messages.SettlementInstruction) -> Path:
    path = tmp_path / f"{instruction.movement}-{instruction.cash_amount}.xml"
    path.write_bytes(messages.build_sese023(instruction))
    return path


def _both_sides(tmp_path: Path, seller: Any, buyer: Any, day: Any) -> tuple[Path, Path]:
    """The seller's (deliver) and the buyer's (receive) sese.023 of the same trade."""
    return (
        _write(tmp_path, _instruction(seller, buyer, "deliver", day)),
        _write(tmp_path, _instruction(buyer, seller, "receive", day)),
    )


def test_instructions_imported_from_both_sides_match_and_export_their_status(
    run, dvp, desk, alice, bob, settlement_day, tmp_path
):
    seller_file, buyer_file = _both_sides(tmp_path, alice, bob, settlement_day)
    result = run("settle", "import", str(seller_file), account=ALICE)
    assert result.exit_code == 0, result.output
    assert "proposed" in result.output
    advice = tmp_path / "status.xml"
    result = run("settle", "import", str(buyer_file), "--status-out", str(advice), account=BOB)
    assert result.exit_code == 0, result.output
    assert "matched" in result.output
    iso20022.validate(advice.read_bytes(), messages.SESE024)
    assert b"<Mtchd" in advice.read_bytes()
    trade = trades.read_trade(dvp, trades.resolve_trade(dvp, "ISO-1"))
    assert trade.deadline == int(
        datetime.combine(settlement_day + timedelta(days=1), datetime.min.time(), UTC).timestamp()
    )
    assert (trade.quantity, trade.amount) == (10, 2500 * EUR)


def test_a_settled_trade_exports_a_valid_confirmation_with_its_transaction(
    run, dvp, desk, alice, bob, settlement_day, tmp_path
):
    seller_file, buyer_file = _both_sides(tmp_path, alice, bob, settlement_day)
    assert run("settle", "import", str(seller_file), account=ALICE).exit_code == 0
    assert run("settle", "import", str(buyer_file), account=BOB).exit_code == 0
    confirmation = tmp_path / "sese025.xml"
    refused = run(
        "settle", "export", "--trade", "ISO-1", "--message", "sese.025", "--out", str(confirmation),
        account=None,
    )  # fmt: skip
    assert refused.exit_code == 1
    assert "message: trade" in error_line(refused.output) and "is matched" in refused.output
    assert not confirmation.exists()
    assert run("settle", "settle", "--trade", "ISO-1", account=ALICE).exit_code == 0
    result = run(
        "settle", "export", "--trade", "ISO-1", "--message", "sese.025", "--out", str(confirmation),
        "--side", "buyer", account=None,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    xml = confirmation.read_bytes()
    iso20022.validate(xml, messages.SESE025)
    trade_id = trades.resolve_trade(dvp, "ISO-1")
    text = " ".join(etree.fromstring(xml).itertext())
    assert "ISO-1" in text and ISIN in text and settlement_hash(dvp, trade_id) in text
    assert bob.address in text and "2500" in text


def test_an_instruction_differing_from_the_counterpartys_is_refused_by_element(
    run, desk, alice, bob, settlement_day, chain, tmp_path
):
    seller_file, _ = _both_sides(tmp_path, alice, bob, settlement_day)
    assert run("settle", "import", str(seller_file), account=ALICE).exit_code == 0
    other = _instruction(bob, alice, "receive", settlement_day, amount="2400.00")
    buyer_file = _write(tmp_path, other)
    height = chain.blocks.height
    result = run("settle", "import", str(buyer_file), account=BOB)
    assert result.exit_code == 1
    line = error_line(result.output)
    assert "Document/SctiesSttlmTxInstr/SttlmAmt/Amt" in line and "does not match" in line
    assert chain.blocks.height == height


def test_only_the_instructing_party_imports_its_instruction(
    run, desk, alice, bob, settlement_day, chain, tmp_path
):
    path, _ = _both_sides(tmp_path, alice, bob, settlement_day)
    height = chain.blocks.height
    result = run("settle", "import", str(path), account=CAROL)
    assert result.exit_code == 1
    line = error_line(result.output)
    assert "QtyAndAcctDtls/BlckChainAdrOrWllt/Id" in line and "not the signer" in line
    assert chain.blocks.height == height


def test_an_invalid_message_is_named_by_its_element(run, desk, tmp_path, chain):
    path = tmp_path / "broken.xml"
    path.write_text("<Document>not ISO 20022</Document>")
    result = run("settle", "import", str(path), account=ALICE)
    assert result.exit_code == 1
    assert error_line(result.output).startswith("Error: ")


# ---------------------------------------------------------------- the cash leg


def test_the_cash_leg_is_created_minted_shown_and_burned(run, dvp, accounts, alice, chain):
    # Deployed by bob, the account that deploys the settlement contracts and nothing else.
    issuer = accounts[ISSUER].address
    result = run("settle", "cash", "create", "--currency", "CHF", "--issuer", issuer, account=BOB)
    assert result.exit_code == 0, result.output
    again = run("settle", "cash", "create", "--currency", "chf", account=BOB)
    assert again.exit_code == 1 and "currency: the CHF cash token exists already" in again.output
    refused = run(
        "settle", "cash", "mint", "--currency", "CHF", "--to", alice.address, "--amount", "10",
        account=ALICE,
    )  # fmt: skip
    assert refused.exit_code == 1 and "lacks CASH_ISSUER_ROLE" in error_line(refused.output)
    minted = run(
        "settle", "cash", "mint", "--currency", "CHF", "--to", alice.address, "--amount", "100.5",
        account=ISSUER,
    )  # fmt: skip
    assert minted.exit_code == 0, minted.output
    shown = run(
        "settle", "cash", "balance", "--currency", "CHF", "--wallet", alice.address, account=None
    )
    assert shown.exit_code == 0 and "100.500000" in shown.output
    height = chain.blocks.height
    burn = run(
        "settle", "cash", "burn", "--currency", "CHF", "--from", alice.address, "--amount", "1",
        account=ISSUER,
    )  # fmt: skip
    assert burn.exit_code == 1 and "from:" in error_line(burn.output)
    assert chain.blocks.height == height

"""`ape run corporate-action` end to end against Anvil: an instrument enabled, a dividend announced,
funded, paid in batches and claimed, its status and ISO 20022 messages; a pro-rata redemption;
lifecycle states; and the one-line refusals that send nothing.

The lifecycle contracts are deployed by accounts[4], as in tests/unit/lifecycle/conftest.py (same
account, same record: whichever fixture runs first deploys, the other finds them), and so is the
cash token, in SGD (the settlement tests expect no USD, CHF, GBP or JPY cash token). The
instrument is the shared `token` (ISIN US0378331005, an equity of 0 decimals: it pays dividends).
Test accounts: admin 0, issuer 1 (also the SGD cash issuer), registrar 2, the corporate-action
agent 3 (granted by `enable --agent`), alice 6 and bob 7 (1,000 units each), carol 8
(registered), outsider 9.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from eth_utils import keccak
from lxml import etree
from suite_data import ISIN, USA

from securities_rails import iso20022
from securities_rails.lifecycle import messages
from securities_rails.lifecycle.deploy import Lifecycle, deploy_lifecycle, enable_instrument
from securities_rails.settlement.deploy import deploy_cash_token

ADMIN, ISSUER, REGISTRAR, AGENT, ALICE, BOB, CAROL, OUTSIDER = 0, 1, 2, 3, 6, 7, 8, 9
SGD_UNIT = 10**6  # the cash token has 6 decimals
DAY = 24 * 3600
UNKNOWN_ISIN = "DE0007164600"  # a valid ISIN no instrument here has
CA = "corporate-action"


@pytest.fixture(scope="session")
def lifecycle(suite: Any, accounts: Any, admin: Any, upgrader: Any) -> Lifecycle:
    return deploy_lifecycle(
        accounts[4], admin=admin.address, upgrader=upgrader.address, record=suite.record
    )


@pytest.fixture(scope="session")
def sgd(lifecycle: Lifecycle, accounts: Any, admin: Any, issuer: Any) -> Any:
    return deploy_cash_token(
        accounts[4],
        currency="SGD",
        admin=admin.address,
        issuer=issuer.address,
        record=lifecycle.record,
    )


@pytest.fixture
def desk(holders: Any, lifecycle: Lifecycle, sgd: Any, issuer: Any, enforcer: Any) -> Any:
    """The instrument with alice and bob holding 1,000 each, and the agent (the enforcer
    account) holding 1,000,000 SGD, not enabled yet."""
    sgd.mint(enforcer, 1_000_000 * SGD_UNIT, sender=issuer)
    return holders


@pytest.fixture
def enabled(desk: Any, lifecycle: Lifecycle, admin: Any, enforcer: Any) -> Any:
    """`desk`, the instrument enabled with the enforcer account as its corporate-action agent."""
    enable_instrument(lifecycle, desk, admin, agent=enforcer.address)
    return desk


def error_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.startswith("Error:")]
    assert len(lines) == 1, output
    return lines[0]


def announce_args(**overrides: str) -> list[str]:
    values = {
        "isin": ISIN,
        "currency": "SGD",
        "rate": "0.50",
        "record-date": "+1d",
        "payment-date": "+2d",
        "claim-deadline": "+30d",
        "reference": "DIV-2026",
    } | overrides
    args = ["announce"]
    for name, value in values.items():
        if value:
            args += [f"--{name}", value]
    return args


def refused(result: Any, expected: str, chain: Any, height: int) -> str:
    """The command failed with one line containing `expected` and sent nothing."""
    assert result.exit_code == 1, result.output
    line = error_line(result.output)
    assert expected in line, line
    assert "revert" not in result.output.lower()
    assert chain.blocks.height == height
    return line


def text_of(xml: bytes) -> str:
    return " ".join(etree.fromstring(xml).itertext())


def field_of(output: str, name: str) -> str:
    """The value of a `fields` table's row `name`."""
    for line in output.splitlines():
        if line.startswith("│") and cells(line)[0] == name:
            return cells(line)[1]
    raise AssertionError(f"no field {name!r} in:\n{output}")


def holder_lines(output: str) -> list[str]:
    """The rows of the holders table (those starting with an address)."""
    return [line for line in output.splitlines() if line.startswith("│ 0x")]


def cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("│").split("│")]


# ---------------------------------------------------------------- the issue's flow


def test_a_dividend_is_announced_funded_paid_claimed_shown_and_exported(
    run, desk, sgd, issuer, enforcer, alice, bob, carol, chain, tmp_path: Path
):
    result = run(CA, "enable", "--isin", ISIN, "--agent", enforcer.address, account=ADMIN)
    assert result.exit_code == 0, result.output
    assert "granted CORPORATE_ACTION_ROLE to agent" in result.output
    assert f"{ISIN} is enabled for corporate actions" in result.output
    desk.mint(carol, 500, sender=issuer)  # three holders at the record date: 1,000/1,000/500

    result = run(CA, *announce_args(kind="dividend"), account=AGENT)
    assert result.exit_code == 0, result.output
    assert "distribution 1 (DIV-2026): dividend (DVCA) of 0.500000 SGD per unit" in result.output
    before_record = run(CA, "status", "--distribution", "DIV-2026", account=None)
    assert "holders are listed once the record date has passed" in before_record.output

    chain.pending_timestamp += DAY + 60  # past the record date
    desk.transfer(bob, 400, sender=alice)  # after it: entitlements stay as they were at it
    result = run(CA, "fund", "--distribution", "1", account=AGENT)
    assert result.exit_code == 0, result.output
    assert "funded with 1250.000000 SGD" in result.output

    chain.pending_timestamp += DAY  # past the payment date
    result = run(CA, "claim", "--distribution", "DIV-2026", account=BOB)
    assert result.exit_code == 0, result.output
    assert f"paid 500.000000 SGD to {bob.address}" in result.output
    only_alice = tmp_path / "holders.csv"
    only_alice.write_text(f"wallet\n{alice.address}\n")
    result = run(CA, "pay", "--distribution", "1", "--holders-csv", str(only_alice), account=AGENT)
    assert result.exit_code == 0, result.output
    assert "1 paid (500.000000 SGD), 0 held" in result.output
    assert sgd.balanceOf(alice) == sgd.balanceOf(bob) == 500 * SGD_UNIT

    shown = run(CA, "status", "--distribution", "1", account=None)
    assert shown.exit_code == 0, shown.output
    assert "dividend, per-unit" in shown.output
    assert field_of(shown.output, "unclaimed") == "250.000000 SGD"
    assert field_of(shown.output, "paid") == "1000.000000 SGD"
    rows = {line.split("│")[1].strip(): line for line in holder_lines(shown.output)}
    assert set(rows) == {alice.address, bob.address, carol.address}
    assert cells(rows[alice.address])[1:5] == ["1000", "500.000000 SGD", "500.000000 SGD", "paid"]
    assert cells(rows[carol.address])[1:5] == ["500", "250.000000 SGD", "-", "none"]

    result = run(CA, "pay", "--distribution", "1", "--batch-size", "2", account=AGENT)
    assert result.exit_code == 0, result.output
    assert "paying holders" in result.output
    assert (
        "1 paid (250.000000 SGD), 0 held (0.000000 SGD), 2 skipped, in 2 transaction(s)"
        in result.output
    )
    assert "ALREADY_PAID" in result.output
    assert sgd.balanceOf(carol) == 250 * SGD_UNIT

    listed = run(CA, "list", "--isin", ISIN, account=None)
    assert listed.exit_code == 0 and "DIV-2026" in listed.output

    notification = tmp_path / "notification.xml"
    result = run(
        CA, "export", "--distribution", "1", "--message", "seev.031", "--out", str(notification),
        account=None,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert str(notification) in result.output
    iso20022.validate(notification.read_bytes(), messages.SEEV031)
    words = text_of(notification.read_bytes())
    assert "DIV-2026" in words and "DVCA" in words and ISIN in words and "0.5" in words
    confirmations = tmp_path / "confirmations"
    result = run(
        CA, "export", "--distribution", "1", "--message", "seev.036", "--out", str(confirmations),
        account=None,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    written = sorted(confirmations.iterdir())
    assert len(written) == 3
    for path in written:
        iso20022.validate(path.read_bytes(), messages.SEEV036)
    bobs = [p for p in written if bob.address in p.name]
    assert len(bobs) == 1
    words = text_of(bobs[0].read_bytes())
    assert bob.address in words and "500" in words and "DIV-2026" in words


# ---------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    ("overrides", "account", "expected"),
    [
        (
            {"record-date": "2020-01-01"},
            AGENT,
            "record-date: record date 2020-01-01 is in the past",
        ),
        (
            {"record-date": "+3d", "payment-date": "+2d"},
            AGENT,
            "payment-date: payment date",
        ),
        ({"isin": UNKNOWN_ISIN}, AGENT, f"isin: unknown instrument {UNKNOWN_ISIN}"),
        ({}, ALICE, "lacks the corporate-action role (CORPORATE_ACTION_ROLE)"),
        ({"kind": "coupon"}, AGENT, "kind: US0378331005 (CFI ESVUFR) pays dividends, not coupons"),
        (
            {"total": "100"},
            AGENT,
            "rate: give one of --rate (cash per unit) and --total (cash shared): both",
        ),
        ({"currency": "CHF"}, AGENT, "currency: no cash token for CHF"),
        ({"reference": "R" * 36}, AGENT, "reference:"),
        ({"claim-deadline": "soon"}, AGENT, "claim-deadline: 'soon' is not a date"),
    ],
)
def test_an_unusable_announcement_is_one_line_naming_the_option_and_sends_nothing(
    run, enabled, chain, overrides, account, expected
):
    height = chain.blocks.height
    line = refused(run(CA, *announce_args(**overrides), account=account), expected, chain, height)
    if account == ALICE:
        assert line.startswith("Error: account: ")


def test_only_the_instruments_admin_enables_it(run, desk, lifecycle, chain):
    height = chain.blocks.height
    result = run(CA, "enable", "--isin", ISIN, account=AGENT)
    refused(result, "account: ", chain, height)
    assert "lacks the instrument's admin role" in result.output
    assert not desk.hasRole(keccak(text="CORPORATE_ACTION_ROLE"), lifecycle.distributions)


def test_nothing_is_paid_while_underfunded_nor_claimed_by_a_non_holder(
    run, enabled, sgd, enforcer, chain
):
    assert run(CA, *announce_args(), account=AGENT).exit_code == 0
    height = chain.blocks.height
    early = run(CA, "fund", "--distribution", "1", account=AGENT)
    refused(early, "distribution: 1: the record date", chain, height)
    assert "has not passed" in early.output
    chain.pending_timestamp += 2 * DAY + 60  # past the payment date, nothing funded
    height = chain.blocks.height
    result = run(CA, "pay", "--distribution", "1", account=AGENT)
    refused(result, "distribution: 1 is underfunded: requires 1000000000, funded 0", chain, height)
    result = run(CA, "claim", "--distribution", "1", account=ALICE)
    refused(result, "underfunded", chain, height)
    assert run(CA, "fund", "--distribution", "1", account=AGENT).exit_code == 0
    height = chain.blocks.height
    result = run(CA, "claim", "--distribution", "1", account=OUTSIDER)
    refused(result, "account: ", chain, height)
    assert "held no units of US0378331005 at the record date" in result.output
    again = run(CA, "fund", "--distribution", "DIV-2026", account=AGENT)
    refused(again, "distribution: 1 is already funded", chain, height)
    result = run(CA, "pay", "--distribution", "1", account=ALICE)
    refused(result, "account: ", chain, height)
    assert "CORPORATE_ACTION_ROLE" in result.output
    result = run(CA, "status", "--distribution", "7", account=None)
    refused(result, "distribution: no distribution 7 (ids 1 to 1)", chain, height)
    result = run(CA, "export", "--distribution", "1", "--message", "seev.036", account=None)
    refused(result, "distribution: distribution 1 has paid nothing yet", chain, height)
    result = run(CA, "sweep", "--distribution", "1", account=OUTSIDER)
    refused(result, "distribution: 1: nothing is swept before the claim deadline", chain, height)
    chain.pending_timestamp += 30 * DAY  # past the claim deadline: nobody claimed
    result = run(CA, "sweep", "--distribution", "1", account=OUTSIDER)
    assert result.exit_code == 0, result.output
    assert f"swept 1000.000000 SGD of distribution 1 back to {enforcer.address}" in result.output
    assert sgd.balanceOf(enforcer) == 1_000_000 * SGD_UNIT


def test_a_frozen_holders_entitlement_is_held_then_released_to_its_other_wallet(
    run, enabled, sgd, issuer, enforcer, register, carol, outsider, chain
):
    enabled.mint(carol, 200, sender=issuer)
    assert run(CA, *announce_args(), account=AGENT).exit_code == 0
    chain.pending_timestamp += DAY + 60
    assert run(CA, "fund", "--distribution", "1", account=AGENT).exit_code == 0
    chain.pending_timestamp += DAY
    enabled.setAddressFrozen(carol, True, sender=enforcer)
    result = run(CA, "pay", "--distribution", "1", account=AGENT)
    assert result.exit_code == 0, result.output
    assert "2 paid (1000.000000 SGD), 1 held (100.000000 SGD)" in result.output
    assert "HOLDER_FROZEN" in result.output
    register(outsider, "carol", USA, category=3)  # a second wallet of carol's investor
    height = chain.blocks.height
    result = run(
        CA, "release", "--distribution", "1", "--holder", carol.address, "--to", carol.address,
        account=REGISTRAR,
    )  # fmt: skip
    refused(result, "to: ", chain, height)
    result = run(
        CA, "release", "--distribution", "1", "--holder", carol.address, "--to", outsider.address,
        account=REGISTRAR,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert f"released 100.000000 SGD held for {carol.address} to {outsider.address}" in (
        result.output
    )
    assert sgd.balanceOf(outsider) == 100 * SGD_UNIT and sgd.balanceOf(carol) == 0
    shown = run(CA, "status", "--distribution", "1", account=None)
    rows = {cells(line)[0]: cells(line) for line in holder_lines(shown.output)}
    assert rows[carol.address][4] == "released"


# ---------------------------------------------------------------- redemption


def test_a_pro_rata_redemption_burns_what_it_pays_for(
    run, enabled, sgd, alice, bob, chain, tmp_path: Path
):
    args = [
        "announce-redemption", "--isin", ISIN, "--kind", "pro-rata", "--currency", "SGD",
        "--fraction", "1/4", "--record-date", "+1d", "--start-date", "+2d", "--deadline", "+30d",
        "--reference", "PCAL-2026",
    ]  # fmt: skip
    height = chain.blocks.height
    nominal = run(CA, *args, account=AGENT)
    refused(nominal, "currency: the cash token is in SGD, the instrument in EUR", chain, height)
    result = run(CA, *args, "--price", "2.00", account=AGENT)
    assert result.exit_code == 0, result.output
    assert "redemption 1 (PCAL-2026) of US0378331005: 1/4 of each holding at" in result.output
    chain.pending_timestamp += DAY + 60
    result = run(CA, "fund", "--redemption", "PCAL-2026", account=AGENT)
    assert result.exit_code == 0, result.output
    assert "funded with 1000.000000 SGD" in result.output  # 500 units at 2.00
    chain.pending_timestamp += DAY
    result = run(CA, "redeem", "--redemption", "1", account=ALICE)
    assert result.exit_code == 0, result.output
    assert "redeemed 250 EXAG" in result.output and "for 500.000000 SGD" in result.output
    result = run(CA, "redeem", "--redemption", "1", "--for-all", account=AGENT)
    assert result.exit_code == 0, result.output
    assert "redeeming holders" in result.output and "ALREADY_REDEEMED" in result.output
    assert "1 redeemed (250 EXAG for 500.000000 SGD), 0 held, 1 skipped" in result.output
    assert enabled.totalSupply() == 1500
    assert sgd.balanceOf(alice) == sgd.balanceOf(bob) == 500 * SGD_UNIT
    shown = run(CA, "status", "--redemption", "1", account=None)
    assert shown.exit_code == 0, shown.output
    assert field_of(shown.output, "units redeemed") == "500"
    assert field_of(shown.output, "fraction") == "1/4 of each holding"
    result = run(
        CA, "export", "--redemption", "1", "--message", "seev.036", "--holder", alice.address,
        "--out", str(tmp_path), account=None,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    (path,) = tmp_path.glob("*.seev.036.xml")
    iso20022.validate(path.read_bytes(), messages.SEEV036)
    words = text_of(path.read_bytes())
    assert "PCAL" in words and alice.address in words and "250" in words
    notification = tmp_path / "pcal.xml"
    result = run(
        CA, "export", "--redemption", "1", "--message", "seev.031", "--out", str(notification),
        account=None,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    iso20022.validate(notification.read_bytes(), messages.SEEV031)
    rate = etree.fromstring(notification.read_bytes()).find(".//{*}PrratnRate")
    assert rate is not None and "".join(rate.itertext()).split() == ["25"]  # 1/4: 25 %


# ---------------------------------------------------------------- lifecycle states


def test_the_agent_suspends_and_resumes_an_instrument(run, enabled, chain):
    shown = run(CA, "state", "--isin", ISIN, account=None)
    assert shown.exit_code == 0, shown.output
    assert field_of(shown.output, "state") == "active"
    assert field_of(shown.output, "corporate actions") == "enabled"
    height = chain.blocks.height
    anonymous = run(CA, "state", "--isin", ISIN, "--to", "suspended", account=None)
    refused(anonymous, "account: give --account", chain, height)
    result = run(CA, "state", "--isin", ISIN, "--to", "suspended", account=ALICE)
    refused(result, "account: ", chain, height)
    assert "corporate-action role" in result.output
    result = run(CA, "state", "--isin", ISIN, "--to", "redeemed", account=AGENT)
    refused(result, "state: US0378331005 has 2000 EXAG outstanding", chain, height)
    result = run(CA, "state", "--isin", ISIN, "--to", "suspended", account=AGENT)
    assert result.exit_code == 0, result.output
    assert "active -> suspended" in result.output
    assert enabled.lifecycleState() == 2  # Suspended
    height = chain.blocks.height
    result = run(CA, "state", "--isin", ISIN, "--to", "issued", account=AGENT)
    refused(result, "state: US0378331005 is suspended: it cannot move to issued", chain, height)
    assert run(CA, "state", "--isin", ISIN, "--to", "active", account=AGENT).exit_code == 0
    assert field_of(run(CA, "state", "--isin", ISIN, account=None).output, "state") == "active"


# ---------------------------------------------------------------- splits


def split_args(**overrides: str) -> list[str]:
    values = {
        "isin": ISIN,
        "ratio": "3:2",
        "record-date": "+1d",
        "deadline": "+30d",
        "reference": "SPLIT-2026",
    } | overrides
    args = ["announce-split"]
    for name, value in values.items():
        args += [f"--{name}", value]
    return args


def test_a_split_is_announced_claimed_applied_in_batches_and_shown(
    run, enabled, issuer, alice, bob, carol, chain
):
    enabled.mint(carol, 3, sender=issuer)  # 3 * 3/2 = 4.5: carol gets 1 unit, the half in cash
    result = run(CA, *split_args(), account=AGENT)
    assert result.exit_code == 0, result.output
    assert "split 1 (SPLIT-2026) of US0378331005: 3:2, holdings at the record date" in (
        result.output
    )
    chain.pending_timestamp += DAY + 60  # past the record date
    result = run(CA, "claim", "--split", "SPLIT-2026", account=CAROL)
    assert result.exit_code == 0, result.output
    assert f"1 EXAG minted to {carol.address}" in result.output
    result = run(CA, "apply-split", "--split", "1", "--batch-size", "1", account=AGENT)
    assert result.exit_code == 0, result.output
    assert "applying the split" in result.output and "ALREADY_APPLIED" in result.output
    assert "2 applied (1000 EXAG minted), 0 held (0 EXAG), 1 skipped, in 3 transaction(s)" in (
        result.output
    )
    assert [enabled.balanceOf(w) for w in (alice, bob, carol)] == [1500, 1500, 4]

    shown = run(CA, "status", "--split", "SPLIT-2026", account=None)
    assert shown.exit_code == 0, shown.output
    assert field_of(shown.output, "ratio") == "3:2 (new units for old)"
    assert field_of(shown.output, "minted") == "1001"
    rows = {cells(line)[0]: cells(line) for line in holder_lines(shown.output)}
    assert rows[carol.address][1:] == ["3", "1", "applied", "1", "4"]
    listed = run(CA, "list", "--isin", ISIN, account=None)
    assert listed.exit_code == 0 and "SPLIT-2026" in listed.output and "3:2" in listed.output
    height = chain.blocks.height
    result = run(CA, "export", "--split", "1", "--message", "seev.031", account=None)
    refused(result, "split: splits and consolidations have no ISO 20022 export", chain, height)


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"ratio": "1:1"}, "ratio: 1:1 changes nothing"),
        (
            {"ratio": "1:10"},
            "isin: US0378331005 is active: a consolidation is announced and applied only while "
            "the instrument is suspended",
        ),
    ],
)
def test_an_unusable_split_is_one_line_naming_the_option_and_sends_nothing(
    run, enabled, chain, overrides, expected
):
    height = chain.blocks.height
    refused(run(CA, *split_args(**overrides), account=AGENT), expected, chain, height)

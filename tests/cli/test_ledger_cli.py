"""`ape run ledger` end to end: a register opened, issued and bridged from the command line to a
BridgeMint on an Anvil of its own; the bridge's validators and relayer run in-process (as in
tests/e2e/test_ledger_bridge_flow.py) between commands. Every refusal exits 1 with one line
naming the field and moves nothing; every XML written validates against the ISO 20022 schemas.
Every test runs with the register on SQLite and on PostgreSQL (``database_url``)."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from ape import accounts
from bridge_world import SIGNERS, THRESHOLD, VALIDATORS, rpc
from click.testing import CliRunner, Result
from lxml import etree
from suite_data import GERMANY, ISIN, LEI, YEAR

from securities_rails.bridge.deployment import BridgeDeployment
from securities_rails.bridge.runner import InProcessBridge
from securities_rails.chain.anvil import AnvilNode, free_port
from securities_rails.chain.contracts import pending_timestamp, registry_at, token_at
from securities_rails.chain.networks import connected
from securities_rails.identifiers import investor_id_hash
from securities_rails.iso20022 import schema
from securities_rails.ledger.instructions import LedgerInstruction, build_instruction
from securities_rails.ledger.models import Holding
from securities_rails.ledger.register import Register

CHAIN = 31_361
REGISTER_CHAIN = 71_361
CONFIRMATIONS = 2
OTHER_ISIN = "DE0007164600"


def _load() -> Any:
    path = Path(__file__).resolve().parents[2] / "scripts" / "ledger.py"
    spec = importlib.util.spec_from_file_location("scripts_ledger", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


LEDGER = _load()


def cli(*args: str) -> Result:
    return CliRunner().invoke(LEDGER.cli, list(args), catch_exceptions=False)


def ok(result: Result) -> str:
    assert result.exit_code == 0, result.output
    return result.output


def refused(result: Result, field: str) -> str:
    """Exit 1 with one line, `Error: <field>: ...`."""
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Error: {field}: "), result.output
    return lines[0]


@pytest.fixture
def world(tmp_path: Path, database_url: str) -> Iterator[dict[str, Any]]:
    admin, alice = accounts.test_accounts[0], accounts.test_accounts[3]
    node = AnvilNode(chain_id=CHAIN, port=free_port()).start()
    db = database_url
    try:
        ok(cli("open-account", "--db", db, "--id", "ISSUER-EXAG", "--owner", "Example AG",
               "--kind", "issuance"))  # fmt: skip
        for account, owner in (("ALICE-001", "Alice Example"), ("BOB-001", "Bob Example")):
            ok(cli("open-account", "--db", db, "--id", account, "--owner", owner))
        ok(cli("add-instrument", "--db", db, "--isin", ISIN, "--issuance-account", "ISSUER-EXAG"))
        ok(cli("issue", "--db", db, "--isin", ISIN, "--securities-account", "ALICE-001",
               "--quantity", "1000", "--reference", "ISSUE-0001"))  # fmt: skip
        argv = ["deploy", "--db", db, "--isin", ISIN, "--register-id", "CSD-CLI"]
        argv += ["--register-chain-id", str(REGISTER_CHAIN), "--remote", node.url]
        for validator in VALIDATORS:
            argv += ["--validator", validator]
        argv += ["--threshold", str(THRESHOLD), "--capacity", "10000", "--rate", "100"]
        argv += ["--max-transfer", "5000", "--confirmations", str(CONFIRMATIONS)]
        argv += ["--name", "Example AG", "--symbol", "EXAG", "--lei", LEI]
        argv += ["--issue-date", "2026-01-15", "--directory", str(tmp_path)]
        argv += ["--account", "TEST::0"]
        ok(cli(*argv))
        (path,) = tmp_path.glob("bridge-*.json")
        written = path.read_text()
        deployment = BridgeDeployment.load(path)
        with connected(node.url):
            registry = registry_at(token_at(deployment.remote.token).registry())
            expiry = pending_timestamp() + 5 * YEAR
            registry.registerInvestor(
                alice.address, investor_id_hash("ALICE"), GERMANY, 1, expiry, sender=admin
            )
        register = Register(db)
        bridge = InProcessBridge.start(deployment, db, SIGNERS, admin.private_key)
        yield {
            "node": node,
            "db": db,
            "path": str(path),
            "register": register,
            "bridge": bridge,
            "alice": alice,
            "tmp": tmp_path,
            "deploy": argv,
            "written": written,
        }
        register.close()
    finally:
        node.stop()


def settle(world: dict[str, Any]) -> None:
    for _ in range(2):  # the second pass carries the refunds of failed transfers
        world["bridge"].settle(lambda: rpc(world["node"].url, "anvil_mine", hex(CONFIRMATIONS)))
    assert world["bridge"].open_messages() == 0


def instruction(world: dict[str, Any], name: str, **changes: Any) -> Path:
    fields: dict[str, Any] = {
        "reference": name,
        "isin": ISIN,
        "quantity": Decimal(300),
        "account": "ALICE-001",
        "wallet": world["alice"].address,
        "settlement_date": date(2026, 3, 2),
    }
    fields.update(changes)
    path = world["tmp"] / f"{name}.xml"
    path.write_bytes(build_instruction(LedgerInstruction(**fields)))
    return path


def validated(xml: bytes, message: str) -> etree._Element:
    schema.validate(xml, message)
    return etree.fromstring(xml)


def text(root: etree._Element, name: str) -> list[str]:
    return [e.text or "" for e in root.iter() if etree.QName(e).localname == name]


def test_an_instruction_goes_on_chain_and_back_with_confirmations_and_reconciliation(
    world: dict[str, Any],
) -> None:
    register: Register = world["register"]
    deployment = world["path"]
    ok(cli("import", "--deployment", deployment, str(instruction(world, "TOKENISE-1"))))
    assert register.holding("ALICE-001", ISIN) == 700
    # Not complete before the chain has minted: no confirmation yet.
    refused(cli("confirm", "--deployment", deployment, "--reference", "TOKENISE-1"), "reference")
    settle(world)
    out = world["tmp"] / "on.xml"
    ok(cli("confirm", "--deployment", deployment, "--reference", "TOKENISE-1", "--out", str(out)))
    root = validated(out.read_bytes(), "sese.025.001.12")
    assert text(root, "SctiesMvmntTp") == ["DELI"]
    assert text(root, "Unit") == ["300"] and "ALICE-001" in text(root, "Id")

    sent = ok(cli("off-chain", "--deployment", deployment, "--to-account", "BOB-001",
                  "--quantity", "120", "--account", "TEST::3"))  # fmt: skip
    message_id = sent.split("message ")[-1].split()[0]
    settle(world)
    assert register.holding("BOB-001", ISIN) == 120
    back = ok(cli("confirm", "--deployment", deployment, "--reference", message_id))
    root = validated(back.encode(), "sese.025.001.12")
    assert text(root, "SctiesMvmntTp") == ["RECE"] and "BOB-001" in text(root, "Id")
    assert world["alice"].address in text(root, "Id")

    statement = ok(cli("statement", "--db", world["db"], "--securities-account", "BOB-001"))
    root = validated(statement.encode(), "semt.002.001.12")
    assert ISIN in text(root, "ISIN")

    report = ok(cli("reconcile", "--deployment", deployment))
    assert "issued 1000" in report and "book entry (client accounts): 820" in report
    assert "supply 180, in flight 0" in report and "= +0 units" in report
    status = ok(cli("status", "--deployment", deployment))
    rows = {line.split()[1]: line.split()[-2] for line in status.splitlines() if "-0" in line}
    assert rows["ALICE-001"] == "700" and rows["BOB-001"] == "120"


def test_the_same_instruction_twice_moves_once(world: dict[str, Any]) -> None:
    path = instruction(world, "TOKENISE-2", quantity=Decimal(40))
    first = ok(cli("import", "--deployment", world["path"], str(path)))
    again = ok(cli("import", "--deployment", world["path"], str(path)))
    assert first.split("message ")[1].split()[0] == again.split("message ")[1].split()[0]
    assert world["register"].holding("ALICE-001", ISIN) == 960


@pytest.mark.parametrize(
    ("changes", "field", "reason"),
    [
        ({"account": "NOBODY-001"}, "account", "SAFE"),
        ({"quantity": Decimal(1001)}, "quantity", "OTHR"),  # LACK is not a rejection code
        ({"wallet": "0x" + "77" * 20}, "wallet", "SAFE"),  # not registered on the chain
        ({"isin": OTHER_ISIN}, "isin", "DSEC"),
    ],
    ids=["unknown-account", "insufficient-holding", "wallet-not-eligible", "isin-mismatch"],
)
def test_a_refused_instruction_exits_1_with_a_sese024_and_moves_nothing(
    world: dict[str, Any], changes: dict[str, Any], field: str, reason: str
) -> None:
    register: Register = world["register"]
    before = len(register.movements())
    path = instruction(world, "REFUSED-1", **changes)
    line = refused(cli("import", "--deployment", world["path"], str(path)), field)
    status = path.with_suffix(".sese024.xml")
    assert str(status) in line
    root = validated(status.read_bytes(), "sese.024.001.13")
    assert text(root, "AcctOwnrTxId") == ["REFUSED-1"]
    assert reason in text(root, "Cd")
    if reason == "OTHR":
        assert any(note.startswith("LACK") for note in text(root, "AddtlRsnInf"))
    assert len(register.movements()) == before
    assert register.holding("ALICE-001", ISIN) == 1000
    assert world["bridge"].open_messages() == 0


def test_on_chain_and_off_chain_refusals_are_one_line_and_move_nothing(
    world: dict[str, Any],
) -> None:
    deployment = world["path"]
    alice = world["alice"].address
    base = ["on-chain", "--deployment", deployment, "--reference", "OPT-1"]
    account = "--securities-account"
    refused(cli(*base, account, "NOBODY", "--wallet", alice, "--quantity", "5"), "account")
    refused(cli(*base, account, "ALICE-001", "--wallet", alice, "--quantity", "5000"),
            "quantity")  # fmt: skip
    stranger = accounts.test_accounts[5].address
    refused(cli(*base, account, "ALICE-001", "--wallet", stranger, "--quantity", "5"),
            "wallet")  # fmt: skip
    refused(cli(*base, account, "ISSUER-EXAG", "--wallet", alice, "--quantity", "5"),
            "account")  # fmt: skip
    assert world["register"].movement("OPT-1") is None
    # Off-chain: an unknown account, and more than the wallet holds.
    off = ["off-chain", "--deployment", deployment, "--account", "TEST::3", "--quantity", "5"]
    refused(cli(*off, "--to-account", "NOBODY"), "account")
    refused(cli(*off, "--to-account", "BOB-001"), "quantity")  # alice holds nothing on-chain
    assert world["register"].holding("BOB-001", ISIN) == 0
    # A document that is not a book entry -> wallet instruction: refused naming the element.
    path = instruction(world, "RECEIVE-1")
    path.write_bytes(path.read_bytes().replace(b"<Pmt>FREE", b"<Pmt>APMT"))
    refused(cli("import", "--deployment", deployment, str(path)),
            "Document/SctiesSttlmTxInstr/SttlmTpAndAddtlParams/Pmt")  # fmt: skip
    assert world["register"].movement("RECEIVE-1") is None
    refused(cli("open-account", "--db", world["db"], "--id", "BOB-001", "--owner", "Other"),
            "account")  # fmt: skip


def test_reconcile_exits_1_naming_the_difference(world: dict[str, Any]) -> None:
    deployment = world["path"]
    ok(cli("on-chain", "--deployment", deployment, "--securities-account", "ALICE-001", "--wallet",
           world["alice"].address, "--quantity", "50", "--reference", "OPT-2"))  # fmt: skip
    # In flight (not yet relayed): conservation still holds.
    assert "= +0 units" in ok(cli("reconcile", "--deployment", deployment))
    settle(world)
    ok(cli("reconcile", "--deployment", deployment))
    register: Register = world["register"]
    with register.transaction() as session:  # a book entry nobody booked: 5 units appear
        holding = session.get(Holding, ("BOB-001", ISIN))
        if holding is None:
            session.add(Holding(account="BOB-001", isin=ISIN, quantity=5))
        else:
            holding.quantity += 5
    result = cli("reconcile", "--deployment", deployment)
    assert result.exit_code == 1
    assert "Error: conservation: issued 1000 differs from supply 50 + book entry 955" in (
        result.output
    )
    assert "by -5 units" in result.output


def test_a_movement_the_chain_refuses_at_delivery_is_refunded_and_never_confirmed(
    world: dict[str, Any],
) -> None:
    deployment = world["path"]
    alice = world["alice"]
    ok(cli("on-chain", "--deployment", deployment, "--securities-account", "ALICE-001", "--wallet",
           alice.address, "--quantity", "70", "--reference", "OPT-3"))  # fmt: skip
    assert world["register"].holding("ALICE-001", ISIN) == 930
    # The wallet is struck off the chain's registry before the relayer delivers.
    loaded = BridgeDeployment.load(Path(deployment))
    with connected(world["node"].url):
        registry = registry_at(token_at(loaded.remote.token).registry())
        registry.removeWallet(alice.address, sender=accounts.test_accounts[0])
    settle(world)
    assert world["register"].holding("ALICE-001", ISIN) == 1000  # refunded to the account
    line = refused(cli("confirm", "--deployment", deployment, "--reference", "OPT-3"), "reference")
    assert "failed" in line
    assert "= +0 units" in ok(cli("reconcile", "--deployment", deployment))


def test_deploy_again_changes_nothing_and_an_isin_the_register_lacks_is_refused(
    world: dict[str, Any],
) -> None:
    argv: list[str] = world["deploy"]
    ok(cli(*argv))
    (path,) = world["tmp"].glob("bridge-*.json")
    assert path.read_text() == world["written"]
    other = list(argv)
    other[other.index("--isin") + 1] = OTHER_ISIN
    refused(cli(*other), "isin")
    assert [p.name for p in world["tmp"].glob("bridge-*.json")] == [path.name]


def test_an_omnibus_account_s_beneficial_owners_follow_every_command(
    world: dict[str, Any],
) -> None:
    from securities_rails.bridge.register_book import deposit_address

    db, deployment = world["db"], world["path"]
    register: Register = world["register"]
    wallet = world["alice"].address
    ok(cli("open-account", "--db", db, "--id", "CUST-OMNI", "--owner", "Custodian",
           "--kind", "omnibus"))  # fmt: skip
    ok(cli("issue", "--db", db, "--isin", ISIN, "--securities-account", "CUST-OMNI", "--quantity",
           "300", "--reference", "ISSUE-OMNI", "--beneficial-owner", "OWNER-1"))  # fmt: skip
    shown = ok(cli("beneficial-owners", "--db", db, "--securities-account", "CUST-OMNI",
                   "--isin", ISIN))  # fmt: skip
    assert "OWNER-1" in shown and "300" in shown
    ok(cli("beneficial-owners", "--db", db, "--securities-account", "CUST-OMNI", "--isin", ISIN,
           "--owner", "OWNER-1=100", "--owner", "OWNER-2=200"))  # fmt: skip
    owners = {"OWNER-1": 100, "OWNER-2": 200}
    assert register.beneficial_owners("CUST-OMNI", ISIN) == owners
    # Every movement on the broken-down holding names its owner; a refusal moves nothing.
    before = len(register.movements())
    transfer = ["transfer", "--db", db, "--isin", ISIN, "--from-account", "ALICE-001",
                "--to-account", "CUST-OMNI", "--quantity", "10",
                "--reference", "T-OMNI"]  # fmt: skip
    line = refused(cli(*transfer), "credit_owner")
    assert "CUST-OMNI" in line and ISIN in line and "SAFE" in line
    refused(cli(*transfer, "--debit-owner", "OWNER-1", "--credit-owner", "OWNER-3"),
            "debit_owner")  # fmt: skip  # ALICE-001 is segregated
    on = ["on-chain", "--deployment", deployment, "--securities-account", "CUST-OMNI",
          "--wallet", wallet, "--reference", "TOK-OMNI"]  # fmt: skip
    refused(cli(*on, "--quantity", "50"), "debit_owner")
    line = refused(cli(*on, "--quantity", "101", "--beneficial-owner", "OWNER-1"), "debit_owner")
    assert "OWNER-1 holds 100" in line and "101" in line
    off = ["off-chain", "--deployment", deployment, "--to-account", "CUST-OMNI",
           "--quantity", "20", "--account", "TEST::3"]  # fmt: skip
    refused(cli(*off), "credit_owner")  # checked before anything is sent on the chain
    assert len(register.movements()) == before
    assert register.beneficial_owners("CUST-OMNI", ISIN) == owners
    assert world["bridge"].open_messages() == 0

    ok(cli(*transfer, "--credit-owner", "OWNER-3"))
    ok(cli(*on, "--quantity", "50", "--beneficial-owner", "OWNER-2"))
    settle(world)
    address = ok(cli("deposit-address", "--deployment", deployment, "--securities-account",
                     "CUST-OMNI", "--beneficial-owner", "OWNER-4")).strip()  # fmt: skip
    assert address == deposit_address("CSD-CLI", "CUST-OMNI", "OWNER-4")
    sent = ok(cli(*off, "--beneficial-owner", "OWNER-4"))
    assert address in sent
    settle(world)
    xml = instruction(world, "TOK-OMNI-2", account="CUST-OMNI", owner="OWNER-1",
                      quantity=Decimal(30))  # fmt: skip
    ok(cli("import", "--deployment", deployment, str(xml)))
    settle(world)
    owners = {"OWNER-1": 70, "OWNER-2": 150, "OWNER-3": 10, "OWNER-4": 20}
    assert register.beneficial_owners("CUST-OMNI", ISIN) == owners
    assert register.holding("CUST-OMNI", ISIN) == sum(owners.values())

    confirmation = ok(cli("confirm", "--deployment", deployment, "--reference", "TOK-OMNI-2"))
    root = validated(confirmation.encode(), "sese.025.001.12")
    assert "OWNER-1" in text(root, "Id") and "CUST-OMNI" in text(root, "Issr")
    statement = ok(cli("statement", "--db", db, "--securities-account", "CUST-OMNI"))
    root = validated(statement.encode(), "semt.002.001.12")
    subs = root.iter("{*}SubAcctDtls")
    found = {s.findtext(".//{*}PrtryId/{*}Id"): s.findtext(".//{*}Unit") for s in subs}
    assert found == {owner: str(units) for owner, units in owners.items()}
    assert "= +0 units" in ok(cli("reconcile", "--deployment", deployment))


def test_a_register_database_of_another_schema_version_is_refused_in_one_line(
    tmp_path: Path,
) -> None:
    from sqlalchemy import create_engine
    from sqlalchemy import text as sql

    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    engine = create_engine(url)
    with engine.begin() as connection:  # an older release's table, and no version row
        connection.execute(sql("CREATE TABLE ledger_accounts (id VARCHAR(35) PRIMARY KEY)"))
    engine.dispose()
    line = refused(cli("statement", "--db", url, "--securities-account", "ALICE-001"), "db")
    assert "no schema version" in line and "new database" in line

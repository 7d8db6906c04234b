"""The register's ISO 20022 messages (securities_rails.ledger.instructions) and the checks of
securities_rails.ledger.operations that need no chain: every document written validates against
the official schema, every refused document names the element."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from lxml import etree

from securities_rails.errors import UserError
from securities_rails.iso20022 import schema
from securities_rails.ledger import operations
from securities_rails.ledger.instructions import (
    ACCOUNT_PATH,
    MOVEMENT_PATH,
    OWNER_PATH,
    PAYMENT_PATH,
    QUANTITY_PATH,
    SESE023,
    SESE024,
    SESE025,
    Completed,
    LedgerInstruction,
    Refusal,
    build_confirmation,
    build_instruction,
    build_refusal,
    parse_instruction,
)
from securities_rails.ledger.models import DIGITAL_OMNIBUS
from securities_rails.ledger.register import Register

ISIN = "DE000BAY0017"
WALLET = "0x90F79bf6EB2c4f870365E785982E1f101E93b906"
INSTRUCTION = LedgerInstruction(
    reference="TOKENISE-1",
    isin=ISIN,
    quantity=Decimal("12.5"),
    account="ALICE-001",
    wallet=WALLET,
    settlement_date=date(2026, 3, 2),
)


def texts(xml: bytes, name: str) -> list[str]:
    root = etree.fromstring(xml)
    return [e.text or "" for e in root.iter() if etree.QName(e).localname == name]


def replaced(xml: bytes, old: str, new: str) -> bytes:
    assert old.encode() in xml
    return xml.replace(old.encode(), new.encode())


def test_an_instruction_written_validates_and_reads_back() -> None:
    xml = build_instruction(INSTRUCTION)
    schema.validate(xml, SESE023)
    assert parse_instruction(xml) == INSTRUCTION
    assert INSTRUCTION.units(2) == 1250


def test_more_decimals_than_the_isin_has_are_refused_naming_the_quantity() -> None:
    with pytest.raises(UserError) as error:
        INSTRUCTION.units(0)
    assert error.value.field == f"Document/{QUANTITY_PATH}"


@pytest.mark.parametrize(
    ("old", "new", "path"),
    [
        ("<SctiesMvmntTp>DELI", "<SctiesMvmntTp>RECE", MOVEMENT_PATH),
        ("<Pmt>FREE", "<Pmt>APMT", PAYMENT_PATH),
        ("<Unit>12.5", "<Unit>0", QUANTITY_PATH),
    ],
    ids=["a-receipt", "against-payment", "zero-quantity"],
)
def test_an_instruction_the_register_does_not_take_is_refused_naming_the_element(
    old: str, new: str, path: str
) -> None:
    with pytest.raises(UserError) as error:
        parse_instruction(replaced(build_instruction(INSTRUCTION), old, new))
    assert error.value.field == f"Document/{path}"


def test_an_instruction_without_an_account_is_refused_naming_it() -> None:
    xml = build_instruction(INSTRUCTION)
    root = etree.fromstring(xml)
    account = next(e for e in root.iter() if etree.QName(e).localname == "SfkpgAcct")
    account.getparent().remove(account)
    with pytest.raises(UserError) as error:
        parse_instruction(etree.tostring(root))
    assert error.value.field == f"Document/{ACCOUNT_PATH}"


def refusal(reason: str) -> Refusal:
    return Refusal(
        reference="TOKENISE-1",
        isin=ISIN,
        quantity=Decimal(300),
        account="ALICE-001",
        wallet=WALLET,
        reason=reason,
        narrative="quantity: ALICE-001 holds 100",
        settlement_date=date(2026, 3, 2),
    )


def test_a_refusal_carries_a_rejection_code_sese024_has() -> None:
    xml = build_refusal(refusal("SAFE"))
    schema.validate(xml, SESE024)
    assert "SAFE" in texts(xml, "Cd")
    assert texts(xml, "AcctOwnrTxId") == ["TOKENISE-1"]
    assert texts(xml, "AddtlRsnInf") == ["quantity: ALICE-001 holds 100"]


def test_a_reason_sese024_has_no_rejection_code_for_goes_as_othr_with_the_narrative() -> None:
    xml = build_refusal(refusal("LACK"))
    schema.validate(xml, SESE024)
    assert "OTHR" in texts(xml, "Cd") and "LACK" not in texts(xml, "Cd")
    assert texts(xml, "AddtlRsnInf") == ["LACK: quantity: ALICE-001 holds 100"]


@pytest.mark.parametrize(("direction", "code", "side"), [
    ("on-chain", "DELI", "RcvgSttlmPties"),
    ("off-chain", "RECE", "DlvrgSttlmPties"),
])  # fmt: skip
def test_a_confirmation_names_the_account_the_wallet_and_the_message(
    direction: Any, code: str, side: str
) -> None:
    done = Completed(
        reference="TOKENISE-1",
        direction=direction,
        isin=ISIN,
        units=1250,
        decimals=2,
        account="ALICE-001",
        wallet=WALLET,
        booked_at=datetime(2026, 3, 2, 10, 0, tzinfo=UTC),
        message_id="0x" + "ab" * 32,
        chain_id=71_001,
        bridge="0x" + "22" * 20,
    )
    xml = build_confirmation(done)
    schema.validate(xml, SESE025)
    assert texts(xml, "SctiesMvmntTp") == [code]
    assert texts(xml, "Unit") == ["12.5"]
    assert "ALICE-001" in texts(xml, "Id") and WALLET in texts(xml, "Id")
    assert texts(xml, side)  # the wallet's side
    assert f"message=0x{'ab' * 32}" in texts(xml, "SttlmInstrPrcgAddtlDtls")[0]


def test_the_cli_opens_no_digital_omnibus(tmp_path: Any) -> None:
    register = Register(f"sqlite:///{tmp_path / 'r.sqlite3'}")
    try:
        with pytest.raises(UserError) as error:
            operations.open_account(register, "DIGITAL-1", "Omnibus", DIGITAL_OMNIBUS)
        assert error.value.field == "kind"
        assert register.accounts() == []
    finally:
        register.close()


# --- the beneficial owner in sese.023 / 024 / 025 ------------------------------------------

OWNED = LedgerInstruction(
    reference="TOKENISE-2",
    isin=ISIN,
    quantity=Decimal(40),
    account="CUST-OMNI",
    wallet=WALLET,
    settlement_date=date(2026, 3, 2),
    owner="OWNER-7",
)


def owner_ids(xml: bytes) -> list[tuple[str, str]]:
    """(Id, Issr) of every ``AcctOwnr/Id/PrtryId``."""
    root = etree.fromstring(xml)
    found = []
    for element in root.iter():
        if etree.QName(element).localname == "PrtryId":
            parent = element.getparent().getparent()  # PrtryId <- Id <- AcctOwnr
            if etree.QName(parent).localname == "AcctOwnr":
                values = {etree.QName(c).localname: c.text for c in element}
                found.append((values["Id"], values["Issr"]))
    return found


def test_the_beneficial_owner_goes_under_the_account_owner_issued_by_the_account() -> None:
    xml = build_instruction(OWNED)
    schema.validate(xml, SESE023)
    assert owner_ids(xml) == [("OWNER-7", "CUST-OMNI")]
    assert parse_instruction(xml) == OWNED
    assert parse_instruction(build_instruction(INSTRUCTION)).owner is None


def test_an_account_owner_issued_by_someone_else_names_no_beneficial_owner() -> None:
    xml = replaced(build_instruction(OWNED), "<Issr>CUST-OMNI</Issr>", "<Issr>GLEIF</Issr>")
    schema.validate(xml, SESE023)
    assert parse_instruction(xml).owner is None
    assert OWNER_PATH.endswith("QtyAndAcctDtls/AcctOwnr/Id/PrtryId")


def test_a_refusal_and_a_confirmation_carry_the_beneficial_owner() -> None:
    refused = Refusal(
        reference="TOKENISE-2",
        isin=ISIN,
        quantity=Decimal(40),
        account="CUST-OMNI",
        wallet=WALLET,
        reason="SAFE",
        narrative="debit_owner: name the owner debited",
        settlement_date=date(2026, 3, 2),
        owner="OWNER-7",
    )
    xml = build_refusal(refused)
    schema.validate(xml, SESE024)
    assert owner_ids(xml) == [("OWNER-7", "CUST-OMNI")]
    done = Completed(
        reference="TOKENISE-2",
        direction="off-chain",
        isin=ISIN,
        units=40,
        decimals=0,
        account="CUST-OMNI",
        wallet=WALLET,
        booked_at=datetime(2026, 3, 2, 10, 0, tzinfo=UTC),
        message_id="0x" + "cd" * 32,
        chain_id=71_001,
        bridge="0x" + "22" * 20,
        owner="OWNER-7",
    )
    xml = build_confirmation(done)
    schema.validate(xml, SESE025)
    assert owner_ids(xml) == [("OWNER-7", "CUST-OMNI")]

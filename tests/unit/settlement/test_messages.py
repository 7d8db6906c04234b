"""ISO 20022 for DvP: sese.023 import (every refusal names its element), sese.024/025 export."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from functools import cache
from importlib import resources
from pathlib import Path

import pytest
import xmlschema
from eth_utils import to_checksum_address
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree
from stdnum import isin as stdnum_isin

from securities_rails.errors import UserError
from securities_rails.settlement.messages import (
    SESE023,
    SESE024,
    SESE025,
    UINT128_MAX,
    ExpectedTerms,
    SettlementInstruction,
    TradeSnapshot,
    build_sese023,
    build_sese024,
    build_sese025,
    check_matches,
    mismatches,
    parse_sese023,
    to_units,
)

REPO = Path(__file__).resolve().parents[3]
FIXTURES = REPO / "tests" / "fixtures" / "iso20022"
SHARED = REPO.parent / "shared" / "iso20022"
INSTRUCTION = "Document/SctiesSttlmTxInstr"
QUANTITY = f"{INSTRUCTION}/QtyAndAcctDtls/SttlmQty/Qty/Unit"
AMOUNT = f"{INSTRUCTION}/SttlmAmt/Amt"
OWNER_WALLET = f"{INSTRUCTION}/QtyAndAcctDtls/BlckChainAdrOrWllt/Id"
RECEIVING_WALLET = f"{INSTRUCTION}/RcvgSttlmPties/Pty1/BlckChainAdrOrWllt/Id"
DELIVERING_WALLET = f"{INSTRUCTION}/DlvrgSttlmPties/Pty1/BlckChainAdrOrWllt/Id"
SELLER = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
BUYER = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
OTHER = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"
ESCROW = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
TRADE_ID = "0x" + "3f1c" * 16
SETTLEMENT_TX = "0x" + "9a0b" * 16
DEADLINE = 1_772_668_800  # 2026-03-05T00:00:00Z: settleable through 2026-03-04
SETTLED_AT = 1_772_620_000  # 2026-03-04T10:26:40Z


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def delivery_xml() -> bytes:
    return fixture("sese023_deliver_against_payment.xml")


def refusal(xml: bytes) -> UserError:
    with pytest.raises(UserError) as caught:
        parse_sese023(xml)
    return caught.value


def instruction(**changes: object) -> SettlementInstruction:
    base = SettlementInstruction(
        message_id="DVP-2026-0001",
        reference="DVP-2026-0001",
        movement="deliver",
        payment="against",
        isin="DE0007164600",
        quantity=Decimal("100"),
        cash_amount=Decimal("10500.50"),
        currency="EUR",
        trade_date=date(2026, 3, 2),
        settlement_date=date(2026, 3, 4),
        account_owner_wallet=SELLER,
        counterparty_wallet=BUYER,
    )
    return replace(base, **changes)


def snapshot(**changes: object) -> TradeSnapshot:
    base = TradeSnapshot(
        chain_id=31337,
        escrow=ESCROW,
        trade_id=TRADE_ID,
        reference="DVP-2026-0001",
        status="Settled",
        isin="DE0007164600",
        quantity=100,
        security_decimals=0,
        cash_amount=10_500_500_000,
        cash_decimals=6,
        currency="EUR",
        seller=SELLER,
        buyer=BUYER,
        deadline=DEADLINE,
        settled_at=SETTLED_AT,
        settled_block=42,
        settlement_tx=SETTLEMENT_TX,
    )
    return replace(base, **changes)


def terms(**changes: object) -> ExpectedTerms:
    return replace(snapshot().terms(), **changes)


@cache
def official(message: str) -> xmlschema.XMLSchema:
    """The packaged XSD loaded straight by xmlschema, independently of the package's code."""
    xsd = resources.files("securities_rails.iso20022").joinpath("xsd", f"{message}.xsd")
    with resources.as_file(xsd) as path:
        return xmlschema.XMLSchema(str(path))


@cache
def shared(message: str) -> xmlschema.XMLSchema:
    """The official copy in ../shared, which the packaged file must equal byte for byte."""
    return xmlschema.XMLSchema(str(SHARED / f"{message}.xsd"))


def assert_valid(xml: bytes, message: str) -> etree._Element:
    """Valid against the packaged XSD, and against the shared official copy when it is here."""
    official(message).validate(xml.decode("utf-8"))
    if SHARED.is_dir():
        shared(message).validate(xml.decode("utf-8"))
    return etree.fromstring(xml)


def at(root: etree._Element, path: str) -> str:
    """The text at ``path`` (local names below Document); fails the test when absent."""
    found = root.xpath("/*/" + "/".join(f"*[local-name()='{step}']" for step in path.split("/")))
    assert found, f"{path} is missing"
    return str(found[0].text or "")


def has(root: etree._Element, path: str) -> bool:
    steps = "/".join(f"*[local-name()='{step}']" for step in path.split("/"))
    return bool(root.xpath("/*/" + steps))


# --- sese.023 in -----------------------------------------------------------------------


def test_a_delivery_against_payment_is_read_with_every_term() -> None:
    read = parse_sese023(delivery_xml())
    assert read == instruction()
    assert (read.seller, read.buyer) == (SELLER, BUYER)
    assert read.quantity_field == QUANTITY


def test_a_receipt_against_payment_makes_the_counterparty_the_seller() -> None:
    read = parse_sese023(fixture("sese023_receive_against_payment.xml"))
    assert read.movement == "receive"
    assert (read.seller, read.buyer) == (SELLER, BUYER)  # BUYER given in lower case: checksummed
    assert read.account_owner_wallet == BUYER
    assert (read.quantity, read.quantity_element) == (Decimal("2.5"), "DgtlTknUnit")
    assert (read.cash_amount, read.currency, read.trade_date) == (Decimal("1000"), "USD", None)
    # 2026-03-04T23:30-02:00 is 2026-03-05 in UTC, the escrow's clock.
    assert read.settlement_date == date(2026, 3, 5)


def test_a_free_of_payment_instruction_is_refused_naming_the_payment_element() -> None:
    error = refusal(fixture("sese023_free_of_payment.xml"))
    assert error.field == f"{INSTRUCTION}/SttlmTpAndAddtlParams/Pmt"
    assert "settles against payment only" in error.message


def test_a_wrong_isin_check_digit_is_refused_naming_the_isin_element() -> None:
    error = refusal(fixture("sese023_bad_isin_check_digit.xml"))
    assert error.field == f"{INSTRUCTION}/FinInstrmId/ISIN"
    assert "check digit" in error.message
    assert "DE0007164601" in error.message


def test_malformed_xml_is_refused_with_the_line() -> None:
    error = refusal(fixture("sese023_malformed.xml"))
    assert error.field == "xml"
    assert error.message.startswith("not well-formed XML: ")
    assert "Quantity" in error.message
    assert error.message.endswith("(line 31)")


def test_a_document_failing_the_xsd_names_the_element_and_the_reason() -> None:
    error = refusal(fixture("sese023_fails_xsd.xml"))
    assert error.field == QUANTITY
    assert error.message == "1.123456789012345678 has 18 decimal places; at most 17 are allowed"


def test_another_message_type_is_refused_naming_it_and_the_expected_one() -> None:
    other = fixture("sese024_status_advice.xml")
    assert_valid(other, SESE024)  # a genuine sese.024, so only its type is wrong
    error = refusal(other)
    assert error.field == "Document"
    assert "sese.024.001.13" in error.message
    assert "expected sese.023.001.12" in error.message


@pytest.mark.parametrize(
    ("old", "new", "path", "words"),
    [
        (b"<CdtDbtInd>CRDT</CdtDbtInd>", b"<CdtDbtInd>DBIT</CdtDbtInd>",
         f"{INSTRUCTION}/SttlmAmt/CdtDbtInd", "use CRDT"),
        (b'Ccy="EUR"', b'Ccy="ABC"', f"{AMOUNT}/@Ccy", "unknown currency 'ABC'"),
        (b"<Amt Ccy=\"EUR\">10500.50</Amt>", b"<Amt Ccy=\"EUR\">0</Amt>", AMOUNT,
         "greater than zero"),
        (b"<Unit>100</Unit>", b"<Unit>-100</Unit>", QUANTITY, "greater than zero"),
        (b"<Unit>100</Unit>", b"<FaceAmt>100</FaceAmt>",
         f"{INSTRUCTION}/QtyAndAcctDtls/SttlmQty/Qty/FaceAmt", "not supported"),
        (SELLER.encode(), SELLER.replace("f39F", "f39f").encode(), OWNER_WALLET, "checksum"),
        (BUYER.encode(), SELLER.encode(), RECEIVING_WALLET, "is the instructing party"),
        (b"<RcvgSttlmPties>", b"<DlvrgSttlmPties>", RECEIVING_WALLET, "missing"),
        (b"<Dt>\n          <Dt>2026-03-04</Dt>\n        </Dt>", b"<DtCd><Cd>WISS</Cd></DtCd>",
         f"{INSTRUCTION}/TradDtls/SttlmDt/DtCd", "intended settlement date"),
        (b"<ISIN>DE0007164600</ISIN>",
         b"<OthrId><Id>716460</Id><Tp><Cd>WKN</Cd></Tp></OthrId>",
         f"{INSTRUCTION}/FinInstrmId/ISIN", "ISIN"),
        (b"<TxId>DVP-2026-0001</TxId>", "<TxId>ÜBERWEISUNG-ÄÖÜ-ÄÖÜ-ÄÖÜ-ÄÖÜ-Ä</TxId>".encode(),
         f"{INSTRUCTION}/TxId", "bytes"),
    ],
    ids=[
        "cash-direction", "currency", "zero-amount", "negative-quantity", "face-amount",
        "wallet-checksum", "self-trade", "counterparty-on-wrong-side", "date-code",
        "no-isin", "reference-bytes",
    ],
)  # fmt: skip
def test_each_refused_term_of_an_instruction_names_its_element(
    old: bytes, new: bytes, path: str, words: str
) -> None:
    xml = delivery_xml()
    assert old in xml
    if old == b"<RcvgSttlmPties>":
        xml = xml.replace(b"</RcvgSttlmPties>", b"</DlvrgSttlmPties>")
    error = refusal(xml.replace(old, new))
    assert error.field == path
    assert words in error.message


def test_a_missing_settlement_amount_is_refused_as_needed_against_payment() -> None:
    xml = delivery_xml()
    start, end = xml.index(b"<SttlmAmt>"), xml.index(b"</SttlmAmt>") + len(b"</SttlmAmt>")
    error = refusal(xml[:start] + xml[end:])
    assert error.field == f"{INSTRUCTION}/SttlmAmt"
    assert "against-payment" in error.message


def test_a_reference_longer_than_35_characters_is_refused_on_import() -> None:
    long = b"<TxId>" + b"R" * 36 + b"</TxId>"
    error = refusal(delivery_xml().replace(b"<TxId>DVP-2026-0001</TxId>", long))
    assert error.field == f"{INSTRUCTION}/TxId"
    assert "at most 35" in error.message


# --- sese.023 out, and back ------------------------------------------------------------


def test_a_built_instruction_is_valid_and_reads_back_the_same() -> None:
    for original in (instruction(), instruction(movement="receive", trade_date=None)):
        xml = build_sese023(original)
        assert_valid(xml, SESE023)
        assert parse_sese023(xml) == original


def test_building_is_deterministic() -> None:
    assert build_sese023(instruction()) == build_sese023(instruction())


def test_a_reference_of_35_characters_is_kept_and_one_of_36_refused() -> None:
    ok = "R" * 35
    assert parse_sese023(build_sese023(instruction(message_id=ok, reference=ok))).reference == ok
    with pytest.raises(UserError) as caught:
        build_sese023(instruction(message_id="R" * 36, reference="R" * 36))
    assert caught.value.field == f"{INSTRUCTION}/TxId"
    assert "at most 35" in caught.value.message


@pytest.mark.parametrize(
    ("changes", "path", "words"),
    [
        ({"payment": "free"}, f"{INSTRUCTION}/SttlmTpAndAddtlParams/Pmt", "against payment"),
        ({"isin": "DE0007164601"}, f"{INSTRUCTION}/FinInstrmId/ISIN", "check digit"),
        ({"currency": "ABC"}, f"{AMOUNT}/@Ccy", "unknown currency"),
        ({"cash_amount": Decimal("0.000001")}, AMOUNT, "6 decimal places"),
        ({"quantity": Decimal("0")}, QUANTITY, "greater than zero"),
        ({"counterparty_wallet": SELLER}, RECEIVING_WALLET, "is the instructing party"),
        ({"message_id": "OTHER"}, "message_id", "TxId"),
    ],
    ids=["free", "isin", "currency", "amount-decimals", "zero", "self-trade", "message-id"],
)
def test_an_instruction_the_import_would_refuse_is_not_built(
    changes: dict[str, object], path: str, words: str
) -> None:
    with pytest.raises(UserError) as caught:
        build_sese023(instruction(**changes))
    assert caught.value.field == path
    assert words in caught.value.message


def _isins() -> st.SearchStrategy[str]:
    body = st.tuples(
        st.sampled_from(["DE", "US", "FR", "GB", "CH"]),
        st.text("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=9, max_size=9),
    )
    return body.map(lambda parts: parts[0] + parts[1]).map(
        lambda stem: stem + stdnum_isin.calc_check_digit(stem)
    )


_WALLETS = st.lists(
    st.binary(min_size=20, max_size=20).filter(any).map(to_checksum_address),
    min_size=2, max_size=2, unique_by=str.lower,
)  # fmt: skip


@given(
    reference=st.text(
        st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=35
    ),
    movement=st.sampled_from(["deliver", "receive"]),
    isin=_isins(),
    quantity=st.decimals(min_value=Decimal("0.001"), max_value=Decimal(10**12), places=3),
    amount=st.decimals(min_value=Decimal("0.01"), max_value=Decimal(10**12), places=2),
    currency=st.sampled_from(["EUR", "USD", "CHF", "JPY", "GBP"]),
    trade_date=st.none() | st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 1, 1)),
    settlement_date=st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 1, 1)),
    wallets=_WALLETS,
    element=st.sampled_from(["Unit", "DgtlTknUnit"]),
)
def test_any_valid_instruction_round_trips_through_sese023(
    reference: str,
    movement: str,
    isin: str,
    quantity: Decimal,
    amount: Decimal,
    currency: str,
    trade_date: date | None,
    settlement_date: date,
    wallets: list[str],
    element: str,
) -> None:
    original = instruction(
        message_id=reference, reference=reference, movement=movement, isin=isin,
        quantity=quantity, cash_amount=amount, currency=currency, trade_date=trade_date,
        settlement_date=settlement_date, account_owner_wallet=wallets[0],
        counterparty_wallet=wallets[1], quantity_element=element,
    )  # fmt: skip
    assert parse_sese023(build_sese023(original)) == original


# --- on-chain units and matching -------------------------------------------------------


def test_an_instruction_converts_to_the_tokens_smallest_units() -> None:
    assert to_units(instruction(), 0, 6) == (100, 10_500_500_000)
    assert to_units(instruction(quantity=Decimal("2.5")), 18, 6)[0] == 25 * 10**17


@pytest.mark.parametrize(
    ("changes", "decimals", "path", "words"),
    [
        ({"quantity": Decimal("1.5")}, (0, 6), QUANTITY,
         "1.5 has 1 decimal places; the security has 0"),
        ({"cash_amount": Decimal("1.0000001")}, (0, 6), AMOUNT, "the cash token has 6"),
        ({"quantity": Decimal(UINT128_MAX + 1)}, (0, 6), QUANTITY, "above the escrow's limit"),
    ],
    ids=["security-decimals", "cash-decimals", "uint128"],
)  # fmt: skip
def test_to_units_refuses_what_the_tokens_cannot_hold_naming_the_element(
    changes: dict[str, object], decimals: tuple[int, int], path: str, words: str
) -> None:
    with pytest.raises(UserError) as caught:
        to_units(instruction(**changes), *decimals)
    assert caught.value.field == path
    assert words in caught.value.message


def test_an_instruction_with_the_trades_terms_matches() -> None:
    assert mismatches(instruction(), terms()) == []
    check_matches(instruction(), terms())
    # Addresses match whatever their case; amounts whatever their trailing zeros.
    assert (
        mismatches(instruction(cash_amount=Decimal("10500.500000")), terms(buyer=BUYER.lower()))
        == []
    )


@pytest.mark.parametrize(
    ("movement", "changes", "path", "message"),
    [
        ("deliver", {"isin": "US0378331005"}, f"{INSTRUCTION}/FinInstrmId/ISIN",
         "DE0007164600 does not match the trade's ISIN US0378331005"),
        ("deliver", {"quantity": 120}, QUANTITY,
         "100 does not match the trade's quantity 120"),
        ("deliver", {"cash_amount": 10_000_000_000}, AMOUNT,
         "10500.5 does not match the trade's amount 10000"),
        ("deliver", {"currency": "USD"}, f"{AMOUNT}/@Ccy",
         "EUR does not match the trade's currency USD"),
        ("deliver", {"seller": OTHER}, OWNER_WALLET,
         f"{SELLER} does not match the trade's seller {OTHER}"),
        ("deliver", {"buyer": OTHER}, RECEIVING_WALLET,
         f"{BUYER} does not match the trade's buyer {OTHER}"),
        ("receive", {"seller": OTHER}, DELIVERING_WALLET,
         f"{SELLER} does not match the trade's seller {OTHER}"),
        ("receive", {"buyer": OTHER}, OWNER_WALLET,
         f"{BUYER} does not match the trade's buyer {OTHER}"),
    ],
    ids=["isin", "quantity", "amount", "currency", "seller", "buyer", "seller-rece", "buyer-rece"],
)  # fmt: skip
def test_each_term_differing_from_the_trade_is_named_by_its_element(
    movement: str, changes: dict[str, object], path: str, message: str
) -> None:
    mine = instruction()
    if movement == "receive":
        mine = instruction(
            movement="receive", account_owner_wallet=BUYER, counterparty_wallet=SELLER
        )
    found = mismatches(mine, terms(**changes))
    assert [(error.field, error.message) for error in found] == [(path, message)]
    with pytest.raises(UserError) as caught:
        check_matches(mine, terms(**changes))
    assert str(caught.value) == f"{path}: {message}"


def test_every_differing_term_is_reported_and_the_first_is_raised() -> None:
    found = mismatches(instruction(), terms(isin="US0378331005", quantity=1, currency="USD"))
    assert [error.field for error in found] == [
        f"{INSTRUCTION}/FinInstrmId/ISIN", QUANTITY, f"{AMOUNT}/@Ccy",
    ]  # fmt: skip
    with pytest.raises(UserError) as caught:
        check_matches(instruction(), terms(isin="US0378331005", quantity=1))
    assert caught.value.field == f"{INSTRUCTION}/FinInstrmId/ISIN"


def test_a_quantity_finer_than_the_token_is_a_mismatch_not_a_rounding() -> None:
    found = mismatches(instruction(quantity=Decimal("100.4")), terms())
    assert [error.field for error in found] == [QUANTITY]
    assert "decimal places" in found[0].message


# --- sese.024 out ----------------------------------------------------------------------

STATUS_PATHS = {
    "Proposed": {
        "SctiesSttlmTxStsAdvc/PrcgSts/AckdAccptd/NoSpcfdRsn": "NORE",
        "SctiesSttlmTxStsAdvc/MtchgSts/Umtchd/Rsn/Cd/Cd": "CMIS",
    },
    "Matched": {
        "SctiesSttlmTxStsAdvc/PrcgSts/AckdAccptd/NoSpcfdRsn": "NORE",
        "SctiesSttlmTxStsAdvc/MtchgSts/Mtchd": "",
        "SctiesSttlmTxStsAdvc/SttlmSts/Pdg/NoSpcfdRsn": "NORE",
    },
    "Cancelled": {"SctiesSttlmTxStsAdvc/PrcgSts/Canc/NoSpcfdRsn": "NORE"},
    "Expired": {"SctiesSttlmTxStsAdvc/PrcgSts/Canc/Rsn/Cd/Cd": "CANS"},
}


@pytest.mark.parametrize("status", sorted(STATUS_PATHS))
def test_a_status_advice_reports_each_open_or_closed_status_with_the_schemas_codes(
    status: str,
) -> None:
    xml = build_sese024(snapshot(status=status, settled_at=0, settlement_tx=None))
    root = assert_valid(xml, SESE024)
    for path, value in STATUS_PATHS[status].items():
        assert at(root, path) == value
    others = {"MtchgSts", "SttlmSts"} - {path.split("/")[1] for path in STATUS_PATHS[status]}
    assert not any(has(root, f"SctiesSttlmTxStsAdvc/{name}") for name in others)
    assert at(root, "SctiesSttlmTxStsAdvc/TxId/AcctOwnrTxId") == "DVP-2026-0001"
    details = at(root, "SctiesSttlmTxStsAdvc/TxDtls/SttlmInstrPrcgAddtlDtls")
    assert f"trade={TRADE_ID}" in details
    assert f"escrow={ESCROW}" in details
    assert at(root, "SctiesSttlmTxStsAdvc/TxDtls/SttlmDt/Dt/Dt") == "2026-03-04"


def test_an_expired_trade_is_cancelled_by_the_system_saying_the_deadline_passed() -> None:
    root = etree.fromstring(build_sese024(snapshot(status="Expired")))
    narrative = at(root, "SctiesSttlmTxStsAdvc/PrcgSts/Canc/Rsn/AddtlRsnInf")
    assert "2026-03-05T00:00:00Z passed before settlement" in narrative
    assert "reclaim" in narrative


def test_a_pending_settlement_carries_the_token_rule_verdict_as_narrative() -> None:
    pending = snapshot(
        status="Matched",
        reason_code="RECIPIENT_ELIGIBILITY_EXPIRED",
        reason_text="the recipient's eligibility has expired",
    )
    root = assert_valid(build_sese024(pending), SESE024)
    assert at(root, "SctiesSttlmTxStsAdvc/SttlmSts/Pdg/Rsn/Cd/Cd") == "OTHR"
    assert at(root, "SctiesSttlmTxStsAdvc/SttlmSts/Pdg/Rsn/AddtlRsnInf") == (
        "RECIPIENT_ELIGIBILITY_EXPIRED: the recipient's eligibility has expired"
    )


@pytest.mark.parametrize("code", ["LACK", "lack", "MONY"])
def test_an_iso_pending_reason_code_is_used_as_the_code(code: str) -> None:
    root = assert_valid(build_sese024(snapshot(status="Matched", reason_code=code)), SESE024)
    assert at(root, "SctiesSttlmTxStsAdvc/SttlmSts/Pdg/Rsn/Cd/Cd") == code.upper()
    assert not has(root, "SctiesSttlmTxStsAdvc/SttlmSts/Pdg/Rsn/AddtlRsnInf")


def test_a_long_reason_is_clipped_to_the_narrative_limit() -> None:
    pending = snapshot(status="Matched", reason_code="OTHER", reason_text="x" * 400)
    root = assert_valid(build_sese024(pending), SESE024)
    assert len(at(root, "SctiesSttlmTxStsAdvc/SttlmSts/Pdg/Rsn/AddtlRsnInf")) == 210


def test_a_status_advice_for_the_buyer_is_a_debited_receipt() -> None:
    root = assert_valid(build_sese024(snapshot(status="Matched"), movement="receive"), SESE024)
    assert at(root, "SctiesSttlmTxStsAdvc/TxDtls/SctiesMvmntTp") == "RECE"
    assert at(root, "SctiesSttlmTxStsAdvc/TxDtls/SttlmAmt/CdtDbtInd") == "DBIT"
    assert at(root, "SctiesSttlmTxStsAdvc/TxDtls/BlckChainAdrOrWllt/Id") == BUYER


def test_a_settled_trade_has_no_status_advice_but_a_confirmation() -> None:
    with pytest.raises(UserError) as caught:
        build_sese024(snapshot())
    assert caught.value.field == "status"
    assert "sese.025" in caught.value.message


# --- sese.025 out ----------------------------------------------------------------------


@pytest.mark.parametrize("status", ["Proposed", "Matched", "Cancelled", "Expired"])
def test_only_a_settled_trade_is_confirmed(status: str) -> None:
    with pytest.raises(UserError) as caught:
        build_sese025(snapshot(status=status, settled_at=0, settlement_tx=None))
    assert caught.value.field == "status"
    assert f"the trade is {status}, not Settled" in caught.value.message


def test_a_confirmation_carries_the_settlement_as_the_chain_recorded_it() -> None:
    settled = snapshot(quantity=250, security_decimals=2)
    root = assert_valid(build_sese025(settled), SESE025)
    conf = "SctiesSttlmTxConf"
    assert at(root, f"{conf}/TxIdDtls/AcctOwnrTxId") == "DVP-2026-0001"
    assert at(root, f"{conf}/TxIdDtls/SctiesMvmntTp") == "DELI"
    assert at(root, f"{conf}/FinInstrmId/ISIN") == "DE0007164600"
    assert at(root, f"{conf}/QtyAndAcctDtls/SttldQty/Qty/Unit") == "2.5"
    assert at(root, f"{conf}/SttldAmt/Amt") == "10500.5"
    assert root.xpath("//*[local-name()='SttldAmt']/*[local-name()='Amt']/@Ccy") == ["EUR"]
    assert at(root, f"{conf}/SttldAmt/CdtDbtInd") == "CRDT"
    assert at(root, f"{conf}/TradDtls/FctvSttlmDt/Dt/DtTm") == "2026-03-04T10:26:40Z"
    assert at(root, f"{conf}/QtyAndAcctDtls/BlckChainAdrOrWllt/Id") == SELLER
    assert at(root, f"{conf}/DlvrgSttlmPties/Pty1/BlckChainAdrOrWllt/Id") == SELLER
    assert at(root, f"{conf}/RcvgSttlmPties/Pty1/BlckChainAdrOrWllt/Id") == BUYER
    ledger = f"eip155:31337:{ESCROW}"
    assert at(root, f"{conf}/DlvrgSttlmPties/Dpstry/Id/NmAndAdr/Nm") == ledger
    assert at(root, f"{conf}/TradDtls/SttlmInstrPrcgAddtlDtls") == (
        f"chain=eip155:31337; escrow={ESCROW}; trade={TRADE_ID}; tx={SETTLEMENT_TX}; block=42"
    )


def test_a_confirmation_for_the_buyer_is_a_debited_receipt() -> None:
    root = assert_valid(build_sese025(snapshot(), movement="receive"), SESE025)
    assert at(root, "SctiesSttlmTxConf/TxIdDtls/SctiesMvmntTp") == "RECE"
    assert at(root, "SctiesSttlmTxConf/SttldAmt/CdtDbtInd") == "DBIT"
    assert at(root, "SctiesSttlmTxConf/QtyAndAcctDtls/BlckChainAdrOrWllt/Id") == BUYER


def test_a_ledger_with_a_digital_token_identifier_is_named_by_it() -> None:
    root = assert_valid(build_sese025(snapshot(ledger_dti="X9J9K872S")), SESE025)
    assert at(root, "SctiesSttlmTxConf/RcvgSttlmPties/Dpstry/Id/DgtlLdgrId") == "X9J9K872S"


def test_a_token_quantity_too_fine_for_unit_is_given_in_token_units() -> None:
    fine = snapshot(quantity=10**18 + 1, security_decimals=18)
    root = assert_valid(build_sese025(fine), SESE025)
    assert at(root, "SctiesSttlmTxConf/QtyAndAcctDtls/SttldQty/Qty/DgtlTknUnit") == (
        "1.000000000000000001"
    )


def test_a_cash_amount_finer_than_the_message_allows_is_refused_not_rounded() -> None:
    with pytest.raises(UserError) as caught:
        build_sese025(snapshot(cash_amount=10_500_500_001))
    assert caught.value.field == "Document/SctiesSttlmTxConf/SttldAmt/Amt"
    assert "10500.500001 has 6 decimal places" in caught.value.message


@pytest.mark.parametrize(
    ("changes", "name"),
    [
        ({"settlement_tx": None}, "settlement_tx"),
        ({"settlement_tx": "0x1234"}, "settlement_tx"),
        ({"settled_at": 0}, "settled_at"),
        ({"trade_id": "0x12"}, "trade_id"),
        ({"seller": "0x123"}, "seller"),
        ({"currency": "ABC"}, "currency"),
        ({"status": "Settling"}, "status"),
        ({"reference": "R" * 36}, "reference"),
    ],
)
def test_a_snapshot_missing_what_the_message_needs_is_refused_naming_the_field(
    changes: dict[str, object], name: str
) -> None:
    with pytest.raises(UserError) as caught:
        build_sese025(snapshot(**changes))
    assert caught.value.field == name

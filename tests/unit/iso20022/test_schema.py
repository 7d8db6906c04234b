"""The generic ISO 20022 layer: packaged schemas, validation errors a user can act on, builders."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from importlib import resources
from pathlib import Path

import pytest
import xmlschema
from lxml import etree

from securities_rails.errors import UserError
from securities_rails.iso20022 import build, read, schema

REPO = Path(__file__).resolve().parents[3]
SHARED = REPO.parent / "shared" / "iso20022"
FIXTURES = REPO / "tests" / "fixtures" / "iso20022"
PACKAGED = (
    "seev.031.001.15.xsd",
    "seev.036.001.16.xsd",
    "sese.023.001.12.xsd",
    "sese.024.001.13.xsd",
    "sese.025.001.12.xsd",
    "semt.002.001.12.xsd",
    "SOURCES.md",
)
SESE023 = "sese.023.001.12"
INSTRUCTION = "Document/SctiesSttlmTxInstr"


def packaged(name: str) -> bytes:
    return resources.files("securities_rails.iso20022").joinpath("xsd", name).read_bytes()


def delivery() -> bytes:
    return (FIXTURES / "sese023_deliver_against_payment.xml").read_bytes()


def refusal(xml: bytes, message: str = SESE023) -> UserError:
    with pytest.raises(UserError) as caught:
        schema.parse(xml, message)
    assert "{urn:" not in str(caught.value), "errors name elements without namespaces"
    return caught.value


# --- the packaged schemas --------------------------------------------------------------


# SHA-256 of the official files, as published by the ISO 20022 Registration Authority and
# kept in ../shared/iso20022 on the development machines: the packaged copies must stay
# byte-identical on every machine, including those without ../shared.
OFFICIAL_SHA256 = {
    "seev.031.001.15.xsd": "eea4060b3829eaecc15276bbd8245259929a0ba673a775061f19161bf57f8780",
    "seev.036.001.16.xsd": "26c95eb46413334e4eab930b14f32bdeed809415410a8b97f66e8f7933cfda1a",
    "sese.023.001.12.xsd": "ff2ac0d6e97af5ddff27f43e1c82974fa57b4fd2de09123122d9e1621bc7fea7",
    "sese.024.001.13.xsd": "16745acf8fe1cbb9855e1783905edd8e8baa738ef9b8ec762f63c42fe0cab8cd",
    "sese.025.001.12.xsd": "ba6d75314c8bb9df2f4413057239e8d73e89ae6782c282d7b49e3139bc24526e",
    "semt.002.001.12.xsd": "8b8723865639f3baf0af0ace83b1ad12c689636fcc56b3a5a811ba7c90898210",
    "SOURCES.md": "26a6cf8b24fe968d54c939ee7ad88cb848d025e0e84c7e4e86456e5845181ca7",
}


@pytest.mark.parametrize("name", PACKAGED)
def test_packaged_schema_files_are_the_official_files_byte_for_byte(name: str) -> None:
    assert hashlib.sha256(packaged(name)).hexdigest() == OFFICIAL_SHA256[name]
    if SHARED.is_dir():  # where the official copies are at hand, compare them too
        assert packaged(name) == (SHARED / name).read_bytes()


def test_the_package_offers_exactly_its_xsd_files() -> None:
    assert schema.available_messages() == (
        "seev.031.001.15",
        "seev.036.001.16",
        "semt.002.001.12",
        "sese.023.001.12",
        "sese.024.001.13",
        "sese.025.001.12",
    )


def test_a_schema_is_built_once_and_reused() -> None:
    assert schema.load_schema(SESE023) is schema.load_schema(SESE023)


def test_a_message_without_a_packaged_schema_is_refused_listing_those_there_are() -> None:
    with pytest.raises(UserError) as caught:
        schema.load_schema("semt.017.001.13")
    assert caught.value.field == "message"
    assert "sese.023.001.12" in caught.value.message


def test_schema_facts_are_read_from_the_xsd() -> None:
    assert schema.decimal_limits(SESE023, "DecimalNumber") == (17, 18)
    assert schema.decimal_limits(SESE023, "ActiveCurrencyAndAmount") == (5, 18)
    assert schema.max_length(SESE023, "Max35Text") == 35
    assert schema.codes(SESE023, "DeliveryReceiptType2Code") == {"FREE", "APMT"}


# --- reading documents -----------------------------------------------------------------


def test_a_valid_document_is_parsed_to_its_root() -> None:
    root = schema.parse(delivery(), SESE023)
    assert read.text(root, "SctiesSttlmTxInstr/TxId") == "DVP-2026-0001"
    assert schema.element_path(read.find(root, "SctiesSttlmTxInstr/TxId")) == f"{INSTRUCTION}/TxId"


def test_malformed_xml_is_refused_with_lxml_reason_and_line() -> None:
    xml = b'<?xml version="1.0"?>\n<Document>\n  <A>\n  </B>\n</Document>\n'
    error = refusal(xml)
    assert error.field == "xml"
    assert error.message.startswith("not well-formed XML: Opening and ending tag mismatch")
    assert error.message.endswith("(line 4)")


def test_an_empty_file_is_malformed_xml() -> None:
    assert refusal(b"").field == "xml"


def test_a_doctype_is_refused_so_no_entity_is_ever_expanded() -> None:
    xml = delivery().replace(
        b"<Document ",
        b'<!DOCTYPE Document [<!ENTITY secret SYSTEM "file:///etc/passwd">]>\n<Document ',
    )
    error = refusal(xml)
    assert error.field == "xml"
    assert "DOCTYPE" in error.message


def test_another_message_is_refused_naming_what_it_is_and_what_was_expected() -> None:
    error = refusal((FIXTURES / "sese024_status_advice.xml").read_bytes())
    assert error.field == "Document"
    assert "sese.024.001.13" in error.message
    assert "SctiesSttlmTxStsAdvc" in error.message
    assert "expected sese.023.001.12" in error.message


def test_another_version_of_the_message_is_refused_as_unsupported() -> None:
    xml = delivery().replace(b"sese.023.001.12", b"sese.023.001.11")
    error = refusal(xml)
    assert "sese.023.001.11" in error.message
    assert "only this version is supported" in error.message


def test_a_root_outside_iso_20022_is_refused() -> None:
    error = refusal(b'<Document xmlns="urn:example:orders"><Order/></Document>')
    assert error.field == "Document"
    assert "not an ISO 20022 Document" in error.message


@pytest.mark.parametrize(
    ("old", "new", "path", "words"),
    [
        (
            b"<TxId>DVP-2026-0001</TxId>",
            b"<TxId>DVP-2026-0001-ABCDEFGHIJKLMNOPQRSTUV</TxId>",
            f"{INSTRUCTION}/TxId",
            "is 36 characters; at most 35 are allowed",
        ),
        (b"<TxId>DVP-2026-0001</TxId>", b"<TxId></TxId>", f"{INSTRUCTION}/TxId", "required"),
        (
            b"<Pmt>APMT</Pmt>",
            b"<Pmt>CASH</Pmt>",
            f"{INSTRUCTION}/SttlmTpAndAddtlParams/Pmt",
            "'CASH' is not an allowed code here; use one of FREE, APMT",
        ),
        (
            b"<Unit>100</Unit>",
            b"<Unit>0.123456789012345678</Unit>",
            f"{INSTRUCTION}/QtyAndAcctDtls/SttlmQty/Qty/Unit",
            "has 18 decimal places; at most 17 are allowed",
        ),
        (
            b"<Unit>100</Unit>",
            b"<Unit>1234567890123456789</Unit>",
            f"{INSTRUCTION}/QtyAndAcctDtls/SttlmQty/Qty/Unit",
            "has 19 digits; at most 18 are allowed",
        ),
        (
            b"<Unit>100</Unit>",
            b"<Unit>one hundred</Unit>",
            f"{INSTRUCTION}/QtyAndAcctDtls/SttlmQty/Qty/Unit",
            "is not a valid decimal number",
        ),
        (
            b"<Dt>2026-03-04</Dt>",
            b"<Dt>2026-02-30</Dt>",
            f"{INSTRUCTION}/TradDtls/SttlmDt/Dt/Dt",
            "'2026-02-30' is not a valid date (YYYY-MM-DD)",
        ),
        (
            b'Ccy="EUR"',
            b'Ccy="eur"',
            f"{INSTRUCTION}/SttlmAmt/Amt/@Ccy",
            "'eur' does not have the required form [A-Z]{3,3}",
        ),
        (
            b'<Amt Ccy="EUR">10500.50</Amt>',
            b'<Amt Ccy="EUR">-1</Amt>',
            f"{INSTRUCTION}/SttlmAmt/Amt",
            "-1 is below the minimum 0",
        ),
        (
            b"<ISIN>DE0007164600</ISIN>",
            b"<ISIN>de0007164600</ISIN>",
            f"{INSTRUCTION}/FinInstrmId/ISIN",
            "does not have the required form",
        ),
    ],
    ids=[
        "too-long",
        "empty",
        "unknown-code",
        "fraction-digits",
        "total-digits",
        "not-a-number",
        "not-a-date",
        "attribute",
        "minimum",
        "pattern",
    ],
)
def test_a_value_the_xsd_refuses_is_named_by_its_element_path_in_plain_words(
    old: bytes, new: bytes, path: str, words: str
) -> None:
    xml = delivery()
    assert old in xml
    error = refusal(xml.replace(old, new, 1))
    assert error.field == path
    assert words in error.message


def test_a_missing_required_element_is_named_by_its_own_path() -> None:
    xml = delivery()
    start, end = xml.index(b"<SttlmParams>"), xml.index(b"</SttlmParams>") + len(b"</SttlmParams>")
    error = refusal(xml[:start] + xml[end:])
    assert error.field == f"{INSTRUCTION}/SttlmParams"
    assert "missing" in error.message
    assert "RcvgSttlmPties" in error.message


def test_an_element_missing_at_the_end_of_its_parent_is_named() -> None:
    xml = delivery().replace(b"<CdtDbtInd>CRDT</CdtDbtInd>", b"")
    error = refusal(xml)
    assert error.field == f"{INSTRUCTION}/SttlmAmt/CdtDbtInd"
    assert error.message == "this required element is missing"


def test_an_unknown_element_is_named_and_what_was_expected_is_said() -> None:
    xml = delivery().replace(b"<FinInstrmId>", b"<Colour>blue</Colour><FinInstrmId>")
    error = refusal(xml)
    assert error.field == f"{INSTRUCTION}/Colour"
    assert "not allowed here" in error.message
    assert "FinInstrmId" in error.message


def test_a_repeated_element_is_named() -> None:
    xml = delivery().replace(b"<TxId>DVP-2026-0001</TxId>", b"<TxId>A</TxId><TxId>B</TxId>")
    error = refusal(xml)
    assert error.field == f"{INSTRUCTION}/TxId"
    assert "repeated" in error.message


def test_an_element_outside_the_document_namespace_is_named() -> None:
    xml = delivery().replace(b"<TxId>DVP-2026-0001</TxId>", b'<TxId xmlns="">X</TxId>')
    error = refusal(xml)
    assert error.field == f"{INSTRUCTION}/TxId"
    assert "namespace" in error.message


def test_validate_accepts_a_document_and_refuses_the_wrong_message() -> None:
    schema.validate(delivery(), SESE023)
    with pytest.raises(UserError) as caught:
        schema.validate(delivery(), "sese.025.001.12")
    assert "not the expected sese.025.001.12" in caught.value.message


def test_element_paths_number_repeated_siblings() -> None:
    root = etree.fromstring(b"<Document><A><B/><B/></A><C/></Document>")
    assert schema.element_path(root[0][1]) == "Document/A/B[2]"
    assert schema.element_path(root[1]) == "Document/C"


def test_required_text_names_the_missing_element() -> None:
    root = schema.parse(delivery(), SESE023)
    with pytest.raises(UserError) as caught:
        read.required_text(root, "SctiesSttlmTxInstr/TradDtls/LateDlvryDt", "a late date")
    assert caught.value.field == f"{INSTRUCTION}/TradDtls/LateDlvryDt"
    assert read.text(root, "SctiesSttlmTxInstr/OthrBizPties") is None


# --- building documents ----------------------------------------------------------------


def test_a_built_document_is_serialised_only_when_valid() -> None:
    root = build.document(SESE023)
    build.add(root, "SctiesSttlmTxInstr/TxId", "X")
    with pytest.raises(UserError) as caught:
        build.serialize(root, SESE023)
    assert caught.value.field == f"{INSTRUCTION}/SttlmTpAndAddtlParams"


def test_a_serialised_document_validates_against_the_packaged_xsd_file() -> None:
    original = schema.parse(delivery(), SESE023)
    xml = build.serialize(original, SESE023)
    assert xml.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns=')
    xsd = resources.files("securities_rails.iso20022").joinpath("xsd", f"{SESE023}.xsd")
    with resources.as_file(xsd) as path:
        xmlschema.XMLSchema(str(path)).validate(xml.decode("utf-8"))


def test_add_creates_nested_elements_in_the_parent_namespace() -> None:
    root = build.document(SESE023)
    amount = build.add(root, "SctiesSttlmTxInstr/SttlmAmt/Amt", "1.5", Ccy="EUR")
    assert etree.QName(amount).namespace == schema.namespace(SESE023)
    assert schema.element_path(amount) == f"{INSTRUCTION}/SttlmAmt/Amt"
    assert (amount.text, amount.get("Ccy")) == ("1.5", "EUR")


@pytest.mark.parametrize(
    ("value", "type_name", "text"),
    [
        (Decimal("10500.50"), "ActiveCurrencyAndAmount_SimpleType", "10500.5"),
        (Decimal("1E+3"), "DecimalNumber", "1000"),
        (Decimal("0.00001"), "ActiveCurrencyAndAmount_SimpleType", "0.00001"),
        (7, "DecimalNumber", "7"),
        (Decimal("1.00000000000000000000000000001"), "Max30DecimalNumber", None),
        (Decimal("0.1234567890123456789012345678"), "Max30DecimalNumber", None),
    ],
)
def test_decimals_are_written_plainly_and_exactly(
    value: Decimal | int, type_name: str, text: str | None
) -> None:
    expected = text if text is not None else format(Decimal(value), "f")
    assert build.decimal_text(value, SESE023, type_name, "amount") == expected


@pytest.mark.parametrize(
    ("value", "type_name", "words"),
    [
        (Decimal("0.000001"), "ActiveCurrencyAndAmount_SimpleType", "6 decimal places"),
        (Decimal("1234567890123456789"), "DecimalNumber", "19 digits"),
    ],
)
def test_decimals_beyond_what_the_schema_allows_are_refused_not_rounded(
    value: Decimal, type_name: str, words: str
) -> None:
    with pytest.raises(UserError) as caught:
        build.decimal_text(value, SESE023, type_name, "Document/X/Amt")
    assert caught.value.field == "Document/X/Amt"
    assert words in caught.value.message
    assert type_name in caught.value.message


def test_units_convert_to_decimals_exactly() -> None:
    assert build.units_to_decimal(10_500_500_000, 6) == Decimal("10500.5")
    assert build.units_to_decimal(10**30 + 1, 18) == Decimal("1000000000000.000000000000000001")


def test_dates_and_times_are_written_in_iso_form_in_utc() -> None:
    assert build.iso_date(date(2026, 3, 4)) == "2026-03-04"
    plus_two = timezone(timedelta(hours=2))
    assert (
        build.iso_datetime(datetime(2026, 3, 4, 1, 30, tzinfo=plus_two)) == "2026-03-03T23:30:00Z"
    )
    assert build.iso_datetime(1_772_668_800) == "2026-03-05T00:00:00Z"
    assert build.iso_datetime(datetime(2026, 3, 4, 12, 0, 1, 900, tzinfo=UTC)).endswith("12:00:01Z")
    with pytest.raises(ValueError, match="no time zone"):
        build.iso_datetime(datetime(2026, 3, 4, 12, 0))


def test_narratives_are_clipped_to_the_limit_with_a_mark() -> None:
    assert build.clip("short", 210) == "short"
    clipped = build.clip("x" * 300, 210)
    assert len(clipped) == 210
    assert clipped.endswith("…")

"""Behaviour of securities_rails.identifiers (and the UserError/RowError it raises)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from eth_utils import keccak
from hypothesis import given
from hypothesis import strategies as st

from securities_rails.errors import RowError, UserError
from securities_rails.identifiers import (
    CATEGORIES,
    NONE_DATE,
    UINT96_MAX,
    category_label,
    country_label,
    doc_name,
    format_amount,
    format_date,
    from_fixed_bytes,
    investor_id_hash,
    investor_key,
    parse_address,
    parse_amount,
    parse_category,
    parse_cfi,
    parse_country,
    parse_currency,
    parse_date,
    parse_isin,
    parse_lei,
    parse_nominal,
    to_fixed_bytes,
)

# Checked with stdnum: valid identifiers of real issuers.
APPLE_ISIN = "US0378331005"
SAP_ISIN = "DE0007164600"
VALID_LEI = "5493001KJTIIGC8Y1R12"
ADDRESS = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"  # EIP-55 example


def assert_error(exc: pytest.ExceptionInfo[UserError], field: str, *fragments: str) -> None:
    """Check the error names ``field``, is one line, and its message holds every fragment."""
    assert exc.value.field == field
    text = str(exc.value)
    assert text.startswith(f"{field}: ")
    assert "\n" not in text
    for fragment in fragments:
        assert fragment in exc.value.message


# --- errors ----------------------------------------------------------------------------


def test_user_error_str_is_field_then_message() -> None:
    assert str(UserError("isin", "invalid ISIN check digit")) == "isin: invalid ISIN check digit"


def test_user_error_without_field_is_just_the_message() -> None:
    assert str(UserError(None, "something broke")) == "something broke"


def test_row_error_str_names_row_and_field() -> None:
    error = RowError(3, "wallet", "not an Ethereum address")
    assert str(error) == "row 3, wallet: not an Ethereum address"
    assert (error.row, error.field, error.message) == (3, "wallet", "not an Ethereum address")
    assert isinstance(error, UserError)


def test_row_error_without_field_names_only_the_row() -> None:
    assert str(RowError(2, None, "has 3 values")) == "row 2: has 3 values"


# --- ISIN, LEI, CFI --------------------------------------------------------------------


@pytest.mark.parametrize("value", [APPLE_ISIN, SAP_ISIN, " us0378331005 ", "US 0378331005"])
def test_parse_isin_accepts_valid_isins_in_canonical_form(value: str) -> None:
    assert parse_isin(value) in {APPLE_ISIN, SAP_ISIN}


def test_parse_isin_reports_a_wrong_check_digit() -> None:
    with pytest.raises(UserError) as exc:
        parse_isin("US0378331006")
    assert_error(exc, "isin", "check digit")


@pytest.mark.parametrize("value", ["US037833100", "US03783310055", "US03783310-5", "12345678901X"])
def test_parse_isin_reports_a_wrong_format_distinctly(value: str) -> None:
    with pytest.raises(UserError) as exc:
        parse_isin(value, field="underlying")
    assert_error(exc, "underlying", "12 characters", "2-letter country")
    assert "check digit in" not in exc.value.message


def test_parse_isin_reports_an_unknown_country_prefix() -> None:
    with pytest.raises(UserError) as exc:
        parse_isin("XX0378331005")
    assert_error(exc, "isin", "country prefix 'XX'")


def test_parse_isin_requires_a_value() -> None:
    with pytest.raises(UserError) as exc:
        parse_isin("  ")
    assert_error(exc, "isin", "required")


@pytest.mark.parametrize("value", [VALID_LEI, "5493001kjtiigc8y1r12", " 5493 001K JTII GC8Y 1R12 "])
def test_parse_lei_accepts_a_valid_lei_in_canonical_form(value: str) -> None:
    assert parse_lei(value) == VALID_LEI


def test_parse_lei_reports_wrong_check_digits() -> None:
    with pytest.raises(UserError) as exc:
        parse_lei("5493001KJTIIGC8Y1R13")
    assert_error(exc, "lei", "check digits")


@pytest.mark.parametrize(
    "value", ["5493001KJTIIGC8Y1R1", "5493001KJTIIGC8Y1R123", "5493001KJTIIGC8Y1R1!"]
)
def test_parse_lei_reports_a_wrong_format_distinctly(value: str) -> None:
    with pytest.raises(UserError) as exc:
        parse_lei(value, field="issuer_lei")
    assert_error(exc, "issuer_lei", "20 characters")


@pytest.mark.parametrize("value", ["ESVUFR", "dbfugr", "CIOGEU"])
def test_parse_cfi_accepts_six_letters_with_a_known_category(value: str) -> None:
    assert parse_cfi(value) == value.upper()


@pytest.mark.parametrize("value", ["ESVUF", "ESVUFRX", "ES1UFR", "ES UFR"])
def test_parse_cfi_reports_the_wrong_shape(value: str) -> None:
    with pytest.raises(UserError) as exc:
        parse_cfi(value)
    assert_error(exc, "cfi", "6 letters")


def test_parse_cfi_names_the_unknown_category_letter() -> None:
    with pytest.raises(UserError) as exc:
        parse_cfi("XSVUFR")
    assert_error(exc, "cfi", "category 'X'", "E/C/D/R/O/F/S/H/I/J/K/L/T/M")


# --- countries, currencies, categories -------------------------------------------------


@pytest.mark.parametrize("value", ["DE", "de", "DEU", " deu ", "276", 276, " 276 "])
def test_parse_country_accepts_alpha2_alpha3_and_numeric(value: str | int) -> None:
    assert parse_country(value) == 276


def test_parse_country_accepts_codes_with_leading_zeros() -> None:
    assert parse_country("AU") == 36
    assert parse_country("036") == 36


@pytest.mark.parametrize("value", ["XX", "XXX", "999", 0, 1000, "Germany", True])
def test_parse_country_names_the_unknown_value(value: str | int) -> None:
    with pytest.raises(UserError) as exc:
        parse_country(value, field="residence")
    assert exc.value.field == "residence"
    assert repr(value) in exc.value.message or "must be text" in exc.value.message


def test_country_label_shows_alpha2_and_name() -> None:
    assert country_label(276) == "DE (Germany)"


def test_country_label_falls_back_to_the_number() -> None:
    assert country_label(999) == "999"


@pytest.mark.parametrize("value", ["EUR", "eur", " chf "])
def test_parse_currency_accepts_iso_4217_codes(value: str) -> None:
    assert parse_currency(value) == value.strip().upper()


@pytest.mark.parametrize("value", ["EURO", "XYZ", "€"])
def test_parse_currency_refuses_unknown_codes(value: str) -> None:
    with pytest.raises(UserError) as exc:
        parse_currency(value)
    assert_error(exc, "currency", "ISO 4217")


@pytest.mark.parametrize(
    ("value", "expected"),
    [("retail", 1), ("Professional", 2), (" INSTITUTIONAL ", 3), ("7", 7), (255, 255), (1, 1)],
)
def test_parse_category_accepts_names_and_numbers(value: str | int, expected: int) -> None:
    assert parse_category(value) == expected


@pytest.mark.parametrize("value", [0, 256, "0", "-1", "qualified"])
def test_parse_category_refuses_unknown_names_and_out_of_range_numbers(value: str | int) -> None:
    with pytest.raises(UserError) as exc:
        parse_category(value)
    assert_error(exc, "category", "1-255")


def test_category_label_names_known_categories_and_numbers_the_rest() -> None:
    assert [category_label(n) for n in CATEGORIES] == ["retail", "professional", "institutional"]
    assert category_label(9) == "9"


# --- amounts ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "decimals", "units"),
    [
        ("1.5", 2, 150),
        ("1.50", 2, 150),
        ("1.500", 2, 150),
        ("0.01", 2, 1),
        (".5", 1, 5),
        ("7.", 0, 7),
        ("1000", 0, 1000),
        (12, 3, 12000),
        (Decimal("2.25"), 2, 225),
        (Decimal("1E+3"), 0, 1000),
    ],
)
def test_parse_amount_converts_to_base_units(
    value: str | int | Decimal, decimals: int, units: int
) -> None:
    assert parse_amount(value, decimals) == units


def test_parse_amount_refuses_zero_unless_allowed() -> None:
    with pytest.raises(UserError) as exc:
        parse_amount("0.00", 2)
    assert_error(exc, "amount", "must be greater than zero")
    assert parse_amount("0", 2, allow_zero=True) == 0


@pytest.mark.parametrize("value", ["-1", -1, Decimal("-0.5")])
def test_parse_amount_refuses_negative_amounts(value: str | int | Decimal) -> None:
    with pytest.raises(UserError) as exc:
        parse_amount(value, 2, field="price")
    assert_error(exc, "price", "negative")


def test_parse_amount_refuses_more_decimal_places_than_the_instrument() -> None:
    with pytest.raises(UserError) as exc:
        parse_amount("1.234", 2)
    assert_error(exc, "amount", "has 3 decimal places; the instrument has 2")


@pytest.mark.parametrize("value", ["abc", "1,000", "1 000", "1e3", "1_000", "+1", ".", "0x10", ""])
def test_parse_amount_refuses_garbage(value: str) -> None:
    with pytest.raises(UserError) as exc:
        parse_amount(value, 2)
    assert exc.value.field == "amount"


@pytest.mark.parametrize("value", [1.5, True, None, Decimal("NaN"), Decimal("Infinity")])
def test_parse_amount_refuses_non_decimal_types(value: object) -> None:
    with pytest.raises(UserError):
        parse_amount(value, 2)  # type: ignore[arg-type]


def test_parse_amount_refuses_values_beyond_uint256() -> None:
    with pytest.raises(UserError) as exc:
        parse_amount(str(2**256), 0)
    assert_error(exc, "amount", "uint256")


@pytest.mark.parametrize(
    ("units", "decimals", "text"),
    [(150, 2, "1.50"), (1, 18, "0.000000000000000001"), (1000000, 0, "1000000"), (0, 2, "0.00")],
)
def test_format_amount_shows_exactly_the_instrument_decimals(
    units: int, decimals: int, text: str
) -> None:
    assert format_amount(units, decimals) == text


@given(units=st.integers(min_value=1, max_value=2**256 - 1), decimals=st.integers(0, 36))
def test_format_then_parse_amount_round_trips(units: int, decimals: int) -> None:
    assert parse_amount(format_amount(units, decimals), decimals) == units


@given(
    whole=st.integers(min_value=0, max_value=10**30),
    frac=st.text(alphabet="0123456789", max_size=18),
    decimals=st.integers(18, 30),
)
def test_parse_then_format_amount_preserves_the_value(whole: int, frac: str, decimals: int) -> None:
    text = f"{whole}.{frac}" if frac else str(whole)
    units = parse_amount(text, decimals, allow_zero=True)
    assert Decimal(format_amount(units, decimals)) == Decimal(text)


def test_parse_nominal_uses_18_decimals() -> None:
    assert parse_nominal("100") == 100 * 10**18
    assert parse_nominal("0.5", field="face_value") == 5 * 10**17


def test_parse_nominal_must_fit_in_uint96() -> None:
    largest = format_amount(UINT96_MAX, 18)
    assert parse_nominal(largest) == UINT96_MAX
    with pytest.raises(UserError) as exc:
        parse_nominal("79228162515")
    assert_error(exc, "nominal", "uint96")


# --- dates -----------------------------------------------------------------------------


def test_parse_date_reads_an_iso_date_as_midnight_utc() -> None:
    assert parse_date("2026-12-31", "maturity") == 1798675200


@pytest.mark.parametrize(
    "value", ["2026-12-31T12:00:00Z", "2026-12-31T12:00:00+00:00", "2026-12-31T14:00:00+02:00"]
)
def test_parse_date_reads_a_zoned_iso_datetime(value: str) -> None:
    assert parse_date(value, "maturity") == 1798675200 + 12 * 3600


@pytest.mark.parametrize("value", ["", "0", "none", "Perpetual", " NONE "])
def test_parse_date_gives_zero_for_no_date_only_when_allowed(value: str) -> None:
    assert parse_date(value, "maturity", allow_zero=True) == 0
    with pytest.raises(UserError) as exc:
        parse_date(value, "maturity")
    assert_error(exc, "maturity", "a date is required")


def test_parse_date_refuses_an_impossible_calendar_date() -> None:
    with pytest.raises(UserError) as exc:
        parse_date("2026-02-30", "expiry")
    assert_error(exc, "expiry", "not a calendar date")


def test_parse_date_refuses_a_datetime_without_time_zone() -> None:
    with pytest.raises(UserError) as exc:
        parse_date("2026-12-31T12:00:00", "expiry")
    assert_error(exc, "expiry", "no time zone")


@pytest.mark.parametrize("value", ["31/12/2026", "20261231", "tomorrow", "2026-12-31T25:00Z"])
def test_parse_date_refuses_non_iso_text(value: str) -> None:
    with pytest.raises(UserError) as exc:
        parse_date(value, "expiry")
    assert_error(exc, "expiry", "ISO date")


def test_parse_date_refuses_fractions_of_a_second() -> None:
    with pytest.raises(UserError) as exc:
        parse_date("2026-12-31T12:00:00.5Z", "expiry")
    assert_error(exc, "expiry", "whole seconds")


def test_parse_date_refuses_dates_before_the_epoch() -> None:
    with pytest.raises(UserError) as exc:
        parse_date("1969-12-31", "expiry")
    assert_error(exc, "expiry", "1970")


def test_format_date_shows_midnight_as_a_date_and_other_times_as_datetimes() -> None:
    assert format_date(1798675200) == "2026-12-31"
    assert format_date(1798675200 + 12 * 3600) == "2026-12-31T12:00:00Z"


def test_format_date_shows_zero_as_no_date() -> None:
    assert format_date(0) == NONE_DATE == "-"


@given(st.integers(min_value=1, max_value=253402300799))
def test_format_then_parse_date_round_trips(timestamp: int) -> None:
    assert parse_date(format_date(timestamp), "date") == timestamp


# --- investor ids ----------------------------------------------------------------------


def test_investor_id_hash_is_keccak_of_the_stripped_utf8_id() -> None:
    digest = investor_id_hash("  INV-0001 ")
    assert digest == keccak(b"INV-0001")
    assert len(digest) == 32
    assert investor_id_hash("Müller-7") == keccak("Müller-7".encode())


def test_investor_id_hash_refuses_an_empty_id() -> None:
    with pytest.raises(UserError) as exc:
        investor_id_hash("   ")
    assert_error(exc, "investor_id", "required")


def test_investor_key_is_the_first_12_bytes_as_uint96() -> None:
    digest = bytes(range(32))
    assert investor_key(digest) == int.from_bytes(bytes(range(12)), "big")
    assert investor_key(b"\xff" * 32) == 2**96 - 1


def test_investor_key_refuses_a_hash_that_is_not_32_bytes() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        investor_key(b"\x01" * 31)


# --- fixed-size ASCII fields -----------------------------------------------------------


def test_to_fixed_bytes_left_aligns_and_zero_pads() -> None:
    assert to_fixed_bytes("ABC", 8, "symbol") == b"ABC\0\0\0\0\0"


def test_to_fixed_bytes_refuses_text_that_does_not_fit() -> None:
    with pytest.raises(UserError) as exc:
        to_fixed_bytes("A" * 9, 8, "symbol")
    assert_error(exc, "symbol", "9 characters; at most 8 fit")


@pytest.mark.parametrize("text", ["Prospekt für Anleger", "tab\there", "nul\0"])
def test_to_fixed_bytes_refuses_non_printable_ascii(text: str) -> None:
    with pytest.raises(UserError) as exc:
        to_fixed_bytes(text, 32, "name")
    assert_error(exc, "name", "printable ASCII")


def test_from_fixed_bytes_strips_trailing_zeros() -> None:
    assert from_fixed_bytes(b"prospectus" + b"\0" * 22) == "prospectus"


@given(st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=32))
def test_fixed_bytes_round_trip(text: str) -> None:
    assert from_fixed_bytes(to_fixed_bytes(text, 32, "name")) == text.rstrip("\0")


def test_doc_name_packs_into_32_bytes() -> None:
    packed = doc_name("prospectus")
    assert len(packed) == 32
    assert from_fixed_bytes(packed) == "prospectus"


def test_doc_name_refuses_empty_and_long_names() -> None:
    with pytest.raises(UserError) as exc:
        doc_name(" ")
    assert_error(exc, "name", "required")
    with pytest.raises(UserError) as exc:
        doc_name("x" * 33)
    assert_error(exc, "name", "at most 32")


# --- addresses -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value", [ADDRESS, ADDRESS.lower(), " " + ADDRESS.upper().replace("0X", "0x")]
)
def test_parse_address_returns_the_checksummed_address(value: str) -> None:
    assert parse_address(value, "wallet") == ADDRESS


def test_parse_address_reports_a_bad_checksum() -> None:
    wrong = ADDRESS.replace("aA", "Aa", 1)
    with pytest.raises(UserError) as exc:
        parse_address(wrong, "wallet")
    assert_error(exc, "wallet", "checksum")


@pytest.mark.parametrize("value", ["0x1234", "alice.eth", ADDRESS[2:] + "00", ""])
def test_parse_address_refuses_non_addresses(value: str) -> None:
    with pytest.raises(UserError) as exc:
        parse_address(value, "wallet")
    assert exc.value.field == "wallet"


def test_parse_address_says_not_an_ethereum_address() -> None:
    with pytest.raises(UserError) as exc:
        parse_address("0x1234", "wallet")
    assert_error(exc, "wallet", "not an Ethereum address")


def test_parse_address_refuses_the_zero_address_unless_allowed() -> None:
    zero = "0x" + "0" * 40
    with pytest.raises(UserError) as exc:
        parse_address(zero, "wallet")
    assert_error(exc, "wallet", "zero address")
    assert parse_address(zero, "module", allow_zero=True) == zero

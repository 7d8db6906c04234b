"""Parse and format the identifiers and values the issuer tooling takes from users.

Every ``parse_*`` function raises :class:`~securities_rails.errors.UserError` naming the
field and what is wrong with it. Check digits are verified with maintained libraries
(``stdnum``, ``pycountry``), never by hand.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from decimal import Decimal

import pycountry
from eth_utils import is_address, is_checksum_address, keccak, to_checksum_address
from pycountry.db import Country
from stdnum import isin as stdnum_isin
from stdnum import lei as stdnum_lei
from stdnum.exceptions import InvalidChecksum, InvalidComponent, ValidationError

from securities_rails.errors import UserError

# --- securities identifiers -------------------------------------------------------------

ISIN_SHAPE = "an ISIN is 12 characters: 2-letter country, 9 alphanumerics, 1 check digit"
LEI_SHAPE = "a LEI is 20 characters: 18 alphanumerics and 2 check digits"
_ISIN_RE = re.compile(r"^[A-Z]{2}[0-9A-Z]{9}[0-9]$")
_LEI_RE = re.compile(r"^[0-9A-Z]{20}$")


def parse_isin(value: str, field: str = "isin") -> str:
    """Return the ISIN in canonical form (upper case, no spaces) after checking it."""
    text = stdnum_isin.compact(_required(value, field))
    if not _ISIN_RE.match(text):
        raise UserError(field, f"{text!r} is not an ISIN: {ISIN_SHAPE}")
    try:
        return stdnum_isin.validate(text)
    except InvalidChecksum:
        raise UserError(field, f"invalid ISIN check digit in {text}") from None
    except InvalidComponent:
        raise UserError(field, f"unknown ISIN country prefix {text[:2]!r} in {text}") from None
    except ValidationError:
        raise UserError(field, f"{text!r} is not an ISIN: {ISIN_SHAPE}") from None


def parse_lei(value: str, field: str = "lei") -> str:
    """Return the LEI in canonical form (upper case, no spaces) after checking it."""
    text = stdnum_lei.compact(_required(value, field))
    if not _LEI_RE.match(text):
        raise UserError(field, f"{text!r} is not a LEI: {LEI_SHAPE}")
    try:
        return stdnum_lei.validate(text)
    except InvalidChecksum:
        raise UserError(field, f"invalid LEI check digits in {text}") from None
    except ValidationError:
        raise UserError(field, f"{text!r} is not a LEI: {LEI_SHAPE}") from None


# ISO 10962:2021 categories (first letter of a CFI code).
CFI_CATEGORIES = "ECDROFSHIJKLTM"
_CFI_RE = re.compile(r"^[A-Z]{6}$")


def parse_cfi(value: str, field: str = "cfi") -> str:
    """Return an ISO 10962 CFI code after a structural check (6 letters, known category)."""
    text = _required(value, field).upper()
    if not _CFI_RE.match(text):
        raise UserError(field, f"{text!r} is not a CFI code: ISO 10962 codes are 6 letters A-Z")
    if text[0] not in CFI_CATEGORIES:
        allowed = "/".join(CFI_CATEGORIES)
        message = f"unknown CFI category {text[0]!r} in {text}: the first letter must be {allowed}"
        raise UserError(field, message)
    return text


# --- countries, currencies, investor categories -----------------------------------------


def parse_country(value: str | int, field: str = "country") -> int:
    """Return the ISO 3166-1 numeric code for an alpha-2, alpha-3 or numeric country code."""
    country = _lookup_country(value, field)
    if country is None:
        raise UserError(
            field, f"unknown country {value!r}: use an ISO 3166-1 code such as DE, DEU or 276"
        )
    return int(country.numeric)


def _lookup_country(value: str | int, field: str) -> Country | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return _country_by_number(value)
    text = _required(value, field).upper()
    if text.isdigit():
        return _country_by_number(int(text))
    if len(text) == 2:
        return pycountry.countries.get(alpha_2=text)
    if len(text) == 3:
        return pycountry.countries.get(alpha_3=text)
    return None


def _country_by_number(number: int) -> Country | None:
    if not 0 < number < 1000:
        return None
    return pycountry.countries.get(numeric=f"{number:03d}")


def country_label(numeric: int) -> str:
    """Return ``"DE (Germany)"`` for 276, or the bare number when it is not a known country."""
    country = _country_by_number(numeric)
    if country is None:
        return str(numeric)
    return f"{country.alpha_2} ({country.name})"


def parse_currency(value: str, field: str = "currency") -> str:
    """Return an ISO 4217 alpha-3 currency code (upper case) after checking it exists."""
    text = _required(value, field).upper()
    if len(text) != 3 or pycountry.currencies.get(alpha_3=text) is None:
        raise UserError(field, f"unknown currency {text!r}: use an ISO 4217 code such as EUR")
    return text


CATEGORIES: dict[int, str] = {1: "retail", 2: "professional", 3: "institutional"}
_CATEGORY_BY_NAME = {name: number for number, name in CATEGORIES.items()}
_CATEGORY_HINT = "use retail, professional, institutional or a number 1-255"


def parse_category(value: str | int, field: str = "category") -> int:
    """Return an investor category number from its name (any case) or a number 1..255."""
    if isinstance(value, int) and not isinstance(value, bool):
        return _category_number(value, field)
    text = _required(value, field).lower()
    if text.isdigit():
        return _category_number(int(text), field)
    if text not in _CATEGORY_BY_NAME:
        raise UserError(field, f"unknown category {text!r}: {_CATEGORY_HINT}")
    return _CATEGORY_BY_NAME[text]


def _category_number(number: int, field: str) -> int:
    if not 1 <= number <= 255:
        raise UserError(field, f"category {number} is out of range: {_CATEGORY_HINT}")
    return number


def category_label(number: int) -> str:
    """Return the category's name, or the bare number for a category without a name."""
    return CATEGORIES.get(number, str(number))


# --- amounts ---------------------------------------------------------------------------

UINT96_MAX = 2**96 - 1
UINT256_MAX = 2**256 - 1
NOMINAL_DECIMALS = 18
_DECIMAL_RE = re.compile(r"^(?P<whole>\d*)(?:\.(?P<frac>\d*))?$")


def parse_amount(
    value: str | int | Decimal, decimals: int, field: str = "amount", *, allow_zero: bool = False
) -> int:
    """Convert a decimal amount (``"1.5"``) into integer base units (150 for 2 decimals)."""
    _check_decimals(decimals)
    text = _amount_text(value, field)
    if text.startswith("-"):
        raise UserError(field, f"{text} is negative; amounts must not be negative")
    whole, frac = _split_decimal(text, field)
    if len(frac) > decimals:
        raise UserError(
            field, f"{text} has {len(frac)} decimal places; the instrument has {decimals}"
        )
    units = int(whole or "0") * 10**decimals + int(frac.ljust(decimals, "0") or "0")
    if units == 0 and not allow_zero:
        raise UserError(field, f"{text} must be greater than zero")
    if units > UINT256_MAX:
        raise UserError(field, f"{text} is too large for a uint256")
    return units


def _check_decimals(decimals: int) -> None:
    if not 0 <= decimals <= 77:
        raise ValueError(f"decimals must be 0..77, got {decimals}")


def _amount_text(value: str | int | Decimal, field: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise UserError(field, f"{value!r} is not a decimal number; give it as text, e.g. 1250.50")
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise UserError(field, f"{value} is not a finite number")
        return format(value, "f")
    return _required(str(value), field)


def _split_decimal(text: str, field: str) -> tuple[str, str]:
    """Split ``"12.50"`` into ``("12", "5")``: trailing fractional zeros are dropped."""
    match = _DECIMAL_RE.match(text)
    if match is None or not (match["whole"] or match["frac"]):
        raise UserError(
            field, f"{text!r} is not a decimal number; use digits and an optional '.', e.g. 1250.50"
        )
    return match["whole"], (match["frac"] or "").rstrip("0")


def format_amount(units: int, decimals: int) -> str:
    """Format base units with exactly ``decimals`` places (150, 2 -> ``"1.50"``)."""
    _check_decimals(decimals)
    sign = "-" if units < 0 else ""
    whole, frac = divmod(abs(units), 10**decimals)
    if decimals == 0:
        return f"{sign}{whole}"
    return f"{sign}{whole}.{frac:0{decimals}d}"


def parse_nominal(value: str | int | Decimal, field: str = "nominal") -> int:
    """Convert a nominal (face value) into an integer with 18 decimals that fits a uint96."""
    units = parse_amount(value, NOMINAL_DECIMALS, field)
    if units > UINT96_MAX:
        largest = format_amount(UINT96_MAX, NOMINAL_DECIMALS)
        raise UserError(field, f"{value} is too large: a nominal must fit in uint96 (<= {largest})")
    return units


# --- dates -----------------------------------------------------------------------------

NONE_DATE = "-"
_NO_DATE_WORDS = frozenset({"", "0", "none", "perpetual"})
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
_DATE_HINT = "use an ISO date such as 2026-12-31 or 2026-12-31T12:00:00Z"


def parse_date(value: str, field: str = "date", *, allow_zero: bool = False) -> int:
    """Convert an ISO date (midnight UTC) or zoned ISO datetime into Unix seconds.

    ``""``, ``"0"``, ``"none"`` and ``"perpetual"`` mean "no date" and give 0, but only
    when ``allow_zero`` is true.
    """
    text = str(value).strip()
    if text.lower() in _NO_DATE_WORDS:
        if allow_zero:
            return 0
        raise UserError(field, f"a date is required: {_DATE_HINT}")
    moment = _parse_moment(text, field)
    if moment.microsecond:
        raise UserError(field, f"{text} has fractions of a second; give whole seconds")
    seconds = int(moment.timestamp())
    if seconds <= 0:
        raise UserError(field, f"{text} is not after 1970-01-01T00:00:00Z")
    return seconds


def _parse_moment(text: str, field: str) -> datetime:
    if _DATE_RE.match(text):
        try:
            return datetime.combine(date.fromisoformat(text), time(), tzinfo=UTC)
        except ValueError as exc:
            raise UserError(field, f"{text} is not a calendar date: {exc}") from None
    try:
        moment = datetime.fromisoformat(text) if _DATETIME_RE.match(text) else None
    except ValueError:
        moment = None
    if moment is None:
        raise UserError(field, f"{text!r} is not a date: {_DATE_HINT}")
    if moment.tzinfo is None:
        raise UserError(field, f"{text} has no time zone; add one, e.g. {text}Z")
    return moment


def format_date(timestamp: int) -> str:
    """Format Unix seconds as ``2026-12-31`` (midnight UTC) or ``2026-12-31T12:00:00Z``.

    0 means "no date" and is shown as :data:`NONE_DATE`.
    """
    if timestamp == 0:
        return NONE_DATE
    try:
        moment = datetime.fromtimestamp(timestamp, UTC)
    except (OverflowError, ValueError, OSError):
        return str(timestamp)
    if moment.time() == time():
        return moment.date().isoformat()
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


# --- investor ids ----------------------------------------------------------------------


def investor_id_hash(investor_id: str, field: str = "investor_id") -> bytes:
    """Return the on-chain investor id: keccak256 of the UTF-8 of the stripped id (32 bytes)."""
    return keccak(_required(investor_id, field).encode("utf-8"))


def investor_key(id_hash: bytes) -> int:
    """Return the registry's uint96 key for an id hash: Solidity ``uint96(bytes12(idHash))``."""
    if len(id_hash) != 32:
        raise ValueError(f"an investor id hash is 32 bytes, got {len(id_hash)}")
    return int.from_bytes(id_hash[:12], "big")


# --- fixed-size ASCII fields -----------------------------------------------------------


def to_fixed_bytes(text: str, size: int, field: str) -> bytes:
    """Pack printable ASCII into ``size`` bytes, left-aligned and zero-padded on the right."""
    if not 1 <= size <= 32:
        raise ValueError(f"fixed bytes size must be 1..32, got {size}")
    if not (text.isascii() and text.isprintable()):
        raise UserError(field, f"{text!r} must be printable ASCII")
    if len(text) > size:
        raise UserError(field, f"{text!r} is {len(text)} characters; at most {size} fit")
    return text.encode("ascii").ljust(size, b"\0")


def from_fixed_bytes(data: bytes) -> str:
    """Unpack a left-aligned, zero-padded ASCII field (non-ASCII bytes become U+FFFD)."""
    return bytes(data).rstrip(b"\0").decode("ascii", errors="replace")


def doc_name(name: str, field: str = "name") -> bytes:
    """Pack a document name into the bytes32 the contracts key documents by."""
    if not name.strip():
        raise UserError(field, "a document name is required")
    return to_fixed_bytes(name, 32, field)


# --- addresses -------------------------------------------------------------------------

ZERO_ADDRESS = "0x" + "0" * 40
_HEX_ADDRESS_RE = re.compile(r"^0x[0-9a-fA-F]{40}$")


def parse_address(value: str, field: str = "address", *, allow_zero: bool = False) -> str:
    """Return the checksummed form of an Ethereum address; the zero address is refused.

    All-lower or all-upper case hex is accepted as is; mixed case must be a valid EIP-55
    checksum (``eth_utils.is_address`` alone does not check it).
    """
    text = _required(value, field)
    if not (_HEX_ADDRESS_RE.match(text) and is_address(text)):
        raise UserError(field, f"{text!r} is not an Ethereum address")
    digits = text[2:]
    mixed_case = digits not in (digits.lower(), digits.upper())
    if mixed_case and not is_checksum_address(text):
        raise UserError(
            field, f"{text} has a bad checksum: check for a typo, or give it in lower case"
        )
    address = to_checksum_address(text)
    if address == ZERO_ADDRESS and not allow_zero:
        raise UserError(field, "the zero address is not allowed here")
    return address


# --- durations and references ----------------------------------------------------------

_DURATION_RE = re.compile(r"^(?P<count>\d+)\s*(?P<unit>[smhdw])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 7 * 86_400}
MAX_REFERENCE_BYTES = 35  # ISO 20022 Max35Text, as the escrows check it


def duration_seconds(text: str) -> int | None:
    """Seconds of a duration such as ``90s``, ``30m``, ``2h``, ``3d`` or ``1w``; None when `text`
    is not one."""
    match = _DURATION_RE.match(str(text).strip().lower())
    if match is None:
        return None
    return int(match["count"]) * _UNIT_SECONDS[match["unit"]]


def parse_duration(value: str, field: str = "duration") -> int:
    """A positive duration in seconds from ``90s``, ``30m``, ``2h``, ``3d`` or ``1w``."""
    seconds = duration_seconds(value)
    if seconds is None:
        raise UserError(field, f"{value!r} is not a duration such as 90m, 2h, 3d or 1w")
    if seconds == 0:
        raise UserError(field, f"{value!r} is no time at all: give a positive duration")
    return seconds


def parse_reference(value: str, field: str = "reference") -> str:
    """An ISO 20022 transaction reference (Max35Text): 1 to 35 bytes of printable text, taken as
    is (it is part of a trade or lock id, so surrounding spaces are refused, not dropped)."""
    if not isinstance(value, str) or not value:
        raise UserError(field, "a reference is required (1 to 35 characters)")
    if value != value.strip():
        raise UserError(field, f"{value!r} starts or ends with a space; remove it")
    if not value.isprintable():
        raise UserError(field, f"{value!r} has a character that is not printable")
    size = len(value.encode("utf-8"))
    if size > MAX_REFERENCE_BYTES:
        raise UserError(
            field, f"{value!r} is {size} bytes; at most {MAX_REFERENCE_BYTES} fit (ISO 20022)"
        )
    return value


# --- shared ----------------------------------------------------------------------------


def _required(value: object, field: str) -> str:
    """Return ``value`` stripped, refusing non-text and empty values."""
    if not isinstance(value, str):
        raise UserError(field, f"{value!r} must be text")
    text = value.strip()
    if not text:
        raise UserError(field, "a value is required")
    return text

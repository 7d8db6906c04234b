"""Behaviour of securities_rails.reasons: decoding and explaining transfer restrictions."""

from __future__ import annotations

import pytest

from securities_rails.errors import UserError
from securities_rails.reasons import (
    REASONS,
    Reason,
    decode_reason,
    describe,
    encode_reason,
    explain,
    is_success,
)

EXPECTED_CODES = {
    "OK": 0x51,
    "TOKEN_PAUSED": 0x50,
    "SENDER_FROZEN": 0x55,
    "RECIPIENT_FROZEN": 0x57,
    "INSUFFICIENT_BALANCE": 0x54,
    "FROZEN_BALANCE": 0x55,
    "SENDER_NOT_REGISTERED": 0x56,
    "SENDER_ELIGIBILITY_EXPIRED": 0x56,
    "RECIPIENT_NOT_REGISTERED": 0x57,
    "RECIPIENT_ELIGIBILITY_EXPIRED": 0x57,
    "INVALID_RECIPIENT": 0x57,
    "COUNTRY_NOT_ALLOWED": 0x57,
    "COUNTRY_DENIED": 0x57,
    "MAX_INVESTORS_REACHED": 0x57,
    "HOLDING_CAP_EXCEEDED": 0x57,
    "LOCKED_UP": 0x55,
    "BELOW_MIN_TRANSFER": 0x50,
    "INSTRUMENT_NOT_ACTIVE": 0x50,
    "INSTRUMENT_SUSPENDED": 0x50,
    "INSTRUMENT_MATURED": 0x50,
    "INSTRUMENT_REDEEMED": 0x50,
}


def test_table_has_exactly_the_contract_reasons_with_their_codes() -> None:
    assert {name: reason.code for name, reason in REASONS.items()} == EXPECTED_CODES


def test_table_keys_match_reason_names() -> None:
    assert all(name == reason.name for name, reason in REASONS.items())


def test_reason_names_are_unique() -> None:
    names = [reason.name for reason in REASONS.values()]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("name", list(REASONS))
def test_reason_names_fit_in_bytes32_and_round_trip(name: str) -> None:
    packed = encode_reason(name)
    assert len(packed) == 32
    assert decode_reason(packed) == name


@pytest.mark.parametrize("reason", list(REASONS.values()), ids=list(REASONS))
def test_every_reason_has_text_and_a_fix(reason: Reason) -> None:
    assert reason.text.strip()
    assert reason.fix.strip()
    assert "\n" not in reason.text + reason.fix


def test_registration_fixes_point_at_the_register_command() -> None:
    for name in ("SENDER_NOT_REGISTERED", "RECIPIENT_NOT_REGISTERED"):
        assert "`ape run issuer register-investor`" in REASONS[name].fix


def test_encode_reason_refuses_names_longer_than_32_bytes() -> None:
    with pytest.raises(UserError, match="at most 32"):
        encode_reason("X" * 33)


def test_decode_reason_strips_trailing_nuls() -> None:
    assert decode_reason(b"LOCKED_UP" + b"\0" * 23) == "LOCKED_UP"


def test_is_success_only_for_0x51() -> None:
    assert is_success(0x51)
    assert not any(is_success(code) for code in (0x00, 0x50, 0x54, 0x55, 0x56, 0x57))


def test_explain_looks_up_a_bytes32_reason() -> None:
    found = explain(0x57, encode_reason("RECIPIENT_NOT_REGISTERED"))
    assert found == REASONS["RECIPIENT_NOT_REGISTERED"]


def test_explain_accepts_a_decoded_name_or_its_hex_form() -> None:
    hex_form = "0x" + encode_reason("LOCKED_UP").hex()
    assert explain(0x55, "LOCKED_UP") == explain(0x55, hex_form) == REASONS["LOCKED_UP"]


def test_explain_keeps_the_code_the_contract_gave() -> None:
    assert explain(0x50, "LOCKED_UP").code == 0x50


def test_explain_treats_an_empty_reason_with_success_as_ok() -> None:
    assert explain(0x51, b"\0" * 32).name == "OK"


def test_explain_never_raises_on_unknown_names() -> None:
    found = explain(0x57, encode_reason("NEW_RULE_V2"))
    assert found.name == "NEW_RULE_V2"
    assert found.code == 0x57
    assert "does not know" in found.text
    assert found.fix


def test_explain_shows_unprintable_reasons_as_hex() -> None:
    found = explain(0x99, b"\xff\x01" + b"\0" * 30)
    assert found.name == "0xff01"
    assert "unrecognised status" in found.text


def test_explain_names_an_empty_refusal_unknown() -> None:
    assert explain(0x50, b"").name == "UNKNOWN"


def test_describe_a_refusal_gives_code_name_text_and_fix_in_one_line() -> None:
    line = describe(0x57, encode_reason("RECIPIENT_NOT_REGISTERED"))
    assert line == (
        "refused (0x57 RECIPIENT_NOT_REGISTERED): the recipient wallet is not in the investor "
        "registry; fix: register the recipient with `ape run issuer register-investor`"
    )


def test_describe_a_success_says_allowed_without_a_fix() -> None:
    assert describe(0x51, encode_reason("OK")) == "allowed (0x51 OK): transfer allowed"


@pytest.mark.parametrize("name", list(REASONS))
def test_describe_is_one_line_for_every_reason(name: str) -> None:
    line = describe(REASONS[name].code, name)
    assert "\n" not in line
    assert name in line

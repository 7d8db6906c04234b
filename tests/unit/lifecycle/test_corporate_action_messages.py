"""ISO 20022 for corporate actions: seev.031 notifications and seev.036 movement confirmations.

Pure Python, no chain: every message is checked against the packaged XSD (and the official copy
in ../shared when it is there), read back with lxml element by element, and every inconsistent
input is refused naming its field or element.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from functools import cache
from importlib import resources
from pathlib import Path

import pytest
import xmlschema
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from securities_rails.errors import UserError
from securities_rails.lifecycle.messages import (
    SEEV031,
    SEEV036,
    CorporateAction,
    Movement,
    build_seev031,
    build_seev036,
    ledger_details,
)

REPO = Path(__file__).resolve().parents[3]
SHARED = REPO.parent / "shared" / "iso20022"
CONTRACT = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
HOLDER = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
ANNOUNCED_TX = "0x" + "a1b2" * 16
PAYMENT_TX = "0x" + "9c0d" * 16
RECORD_DATE = 1_772_668_800  # 2026-03-05T00:00:00Z
PAYMENT_DATE = 1_772_755_200  # 2026-03-06T00:00:00Z
CLAIM_DEADLINE = 1_775_347_200  # 2026-04-05T00:00:00Z
PAID_AT = 1_772_760_000  # 2026-03-06T01:20:00Z
NOTIFICATION = "CorpActnNtfctn"
OPTION = f"{NOTIFICATION}/CorpActnOptnDtls"
CONFIRMATION = "CorpActnMvmntConf"
CONF_OPTION = f"{CONFIRMATION}/CorpActnConfDtls"
POSTED_AMOUNT = f"Document/{CONF_OPTION}/CshMvmntDtls/AmtDtls/PstngAmt"
MOVEMENT_NARRATIVE = (
    f"chain=eip155:31337; contract={CONTRACT}; action=7; tx={PAYMENT_TX}; block=120"
)

# The terms each kind is announced with: a coupon of 0.05 EUR per unit, a dividend of 1.25 EUR,
# a redemption at 100 EUR per unit (all of every holding, or a quarter of it).
TERMS: dict[str, dict[str, object]] = {
    "coupon": {"reference": "CPN-2026-03", "rate_per_unit": 50_000},
    "dividend": {"reference": "DIV-2026", "rate_per_unit": 1_250_000},
    "redemption": {"reference": "RED-2026", "record_date": 0, "price_per_unit": 100_000_000},
    "partial_redemption": {
        "reference": "PCAL-2026-1",
        "price_per_unit": 100_000_000,
        "fraction": (1, 4),
    },
}
EVENT_TYPES = {
    "coupon": "INTR",
    "dividend": "DVCA",
    "redemption": "REDM",
    "partial_redemption": "PCAL",
}
PROCESSING = {
    "coupon": "DISN",
    "dividend": "DISN",
    "redemption": "REOR",
    "partial_redemption": "REOR",
}
RATES = {
    "coupon": ("RateAndAmtDtls/GrssIntrstRateUsdForPmt/Amt", "0.05"),
    "dividend": ("RateAndAmtDtls/GrssDstrbtnRate/Amt", "1.25"),
    "redemption": ("PricDtls/GncCshPricRcvdPerPdct/AmtPric/PricVal", "100"),
    "partial_redemption": ("PricDtls/GncCshPricRcvdPerPdct/AmtPric/PricVal", "100"),
}
# What one holder of 40 units (0 decimals) gets: the coupon 2 EUR, the dividend 50 EUR, the
# full redemption 4,000 EUR for its 40 units, the partial one 1,000 EUR for 10.
PAYMENTS = {
    "coupon": {"cash_amount": 2_000_000},
    "dividend": {"cash_amount": 50_000_000},
    "redemption": {"cash_amount": 4_000_000_000, "units_burned": 40},
    "partial_redemption": {"cash_amount": 1_000_000_000, "units_burned": 10},
}


def action(kind: str = "coupon", /, **changes: object) -> CorporateAction:
    base = CorporateAction(
        chain_id=31337,
        contract=CONTRACT,
        action_id=7,
        reference="CPN-2026-03",
        kind=kind,  # type: ignore[arg-type]
        isin="DE0007164600",
        security_decimals=0,
        currency="EUR",
        cash_decimals=6,
        record_date=RECORD_DATE,
        payment_date=PAYMENT_DATE,
        claim_deadline=CLAIM_DEADLINE,
        status="paying",
        funded=10**13,
        paid=10**12,
        held=0,
        announced_tx=ANNOUNCED_TX,
        announced_block=100,
    )
    return replace(base, **{**TERMS[kind], **changes})


def movement(
    kind: str = "coupon", /, *, of: CorporateAction | None = None, **changes: object
) -> Movement:
    base = Movement(
        action=of if of is not None else action(kind),
        holder=HOLDER,
        entitled_quantity=40,
        cash_amount=0,
        paid_at=PAID_AT,
        tx_hash=PAYMENT_TX,
        block=120,
    )
    return replace(base, **{**PAYMENTS[kind], **changes})


@cache
def packaged(message: str) -> xmlschema.XMLSchema:
    """The packaged XSD loaded straight by xmlschema, independently of the package's code."""
    xsd = resources.files("securities_rails.iso20022").joinpath("xsd", f"{message}.xsd")
    with resources.as_file(xsd) as path:
        return xmlschema.XMLSchema(str(path))


@cache
def shared(message: str) -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(SHARED / f"{message}.xsd"))


def assert_valid(xml: bytes, message: str) -> etree._Element:
    """Valid against the packaged XSD, and against the official copy when it is at hand."""
    packaged(message).validate(xml.decode("utf-8"))
    if SHARED.is_dir():
        shared(message).validate(xml.decode("utf-8"))
    return etree.fromstring(xml)


def _steps(path: str) -> str:
    return "/*/" + "/".join(f"*[local-name()='{step}']" for step in path.split("/"))


def at(root: etree._Element, path: str) -> str:
    """The text at ``path`` (local names below Document); fails the test when absent."""
    found = root.xpath(_steps(path))
    assert found, f"{path} is missing"
    return str(found[0].text or "")


def attribute(root: etree._Element, path: str, name: str) -> str:
    found = root.xpath(_steps(path))
    assert found, f"{path} is missing"
    return str(found[0].get(name))


def has(root: etree._Element, path: str) -> bool:
    return bool(root.xpath(_steps(path)))


def refusal(build: object, value: object) -> UserError:
    with pytest.raises(UserError) as caught:
        build(value)  # type: ignore[operator]
    return caught.value


# --- seev.031: the notification --------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(TERMS))
def test_each_kind_is_notified_with_its_event_type_dates_and_rate(kind: str) -> None:
    announced = action(kind)
    root = assert_valid(build_seev031(announced), SEEV031)
    general = f"{NOTIFICATION}/CorpActnGnlInf"
    assert at(root, f"{NOTIFICATION}/NtfctnGnlInf/NtfctnTp") == "NEWM"
    assert at(root, f"{NOTIFICATION}/NtfctnGnlInf/PrcgSts/Cd/EvtCmpltnsSts") == "COMP"
    assert at(root, f"{NOTIFICATION}/NtfctnGnlInf/PrcgSts/Cd/EvtConfSts") == "CONF"
    assert at(root, f"{general}/CorpActnEvtId") == announced.reference
    assert at(root, f"{general}/EvtTp/Cd") == EVENT_TYPES[kind]
    assert at(root, f"{general}/EvtPrcgTp/Cd") == PROCESSING[kind]
    assert at(root, f"{general}/MndtryVlntryEvtTp/Cd") == "MAND"
    assert at(root, f"{general}/UndrlygScty/FinInstrmId/ISIN") == "DE0007164600"
    assert at(root, f"{NOTIFICATION}/AcctDtls/ForAllAccts/IdCd") == "GENR"
    assert at(root, f"{NOTIFICATION}/CorpActnDtls/DtDtls/PmtDt/Dt") == "2026-03-06"
    assert at(root, f"{OPTION}/OptnTp/Cd") == "CASH"
    assert at(root, f"{OPTION}/DfltPrcgOrStgInstr/DfltOptnInd") == "true"
    assert at(root, f"{OPTION}/CcyOptn") == "EUR"
    assert at(root, f"{OPTION}/CshMvmntDtls/CdtDbtInd") == "CRDT"
    assert at(root, f"{OPTION}/CshMvmntDtls/DtDtls/PmtDt/Dt") == "2026-03-06"
    path, rate = RATES[kind]
    assert at(root, f"{OPTION}/CshMvmntDtls/{path}") == rate
    assert attribute(root, f"{OPTION}/CshMvmntDtls/{path}", "Ccy") == "EUR"
    assert at(root, f"{NOTIFICATION}/PngAgt/NmAndAdr/Nm") == f"eip155:31337:{CONTRACT}"
    assert at(root, f"{NOTIFICATION}/AddtlInf/AddtlTxt/AddtlInf") == (
        f"chain=eip155:31337; contract={CONTRACT}; action=7; tx={ANNOUNCED_TX}; block=100"
    )


@pytest.mark.parametrize("kind", ["coupon", "dividend", "partial_redemption"])
def test_the_record_date_is_notified_as_its_utc_date(kind: str) -> None:
    root = etree.fromstring(build_seev031(action(kind, record_date=RECORD_DATE - 1)))
    assert at(root, f"{NOTIFICATION}/CorpActnDtls/DtDtls/RcrdDt/Dt") == "2026-03-04"


def test_a_full_redemption_has_no_record_date_and_debits_the_securities() -> None:
    root = assert_valid(build_seev031(action("redemption")), SEEV031)
    assert not has(root, f"{NOTIFICATION}/CorpActnDtls/DtDtls/RcrdDt")
    securities = f"{OPTION}/SctiesMvmntDtls"
    assert at(root, f"{securities}/SctyDtls/FinInstrmId/ISIN") == "DE0007164600"
    assert at(root, f"{securities}/CdtDbtInd") == "DBIT"
    assert at(root, f"{securities}/DtDtls/PmtDt/Dt") == "2026-03-06"
    assert at(root, f"{OPTION}/CshMvmntDtls/PricDtls/GncCshPricRcvdPerPdct/AmtPric/AmtPricTp") == (
        "ACTU"
    )
    assert not has(root, f"{OPTION}/RateAndAmtDtls")


@pytest.mark.parametrize("kind", ["coupon", "dividend"])
def test_a_distribution_debits_no_securities(kind: str) -> None:
    root = etree.fromstring(build_seev031(action(kind)))
    assert not has(root, f"{OPTION}/SctiesMvmntDtls")
    assert not has(root, f"{OPTION}/CshMvmntDtls/PricDtls")


def test_the_claim_period_runs_from_the_payment_date_to_the_deadline() -> None:
    root = etree.fromstring(build_seev031(action()))
    period = f"{OPTION}/PrdDtls/ActnPrd/Prd"
    assert at(root, f"{period}/StartDt/Dt/DtTm") == "2026-03-06T00:00:00Z"
    assert at(root, f"{period}/EndDt/Dt/DtTm") == "2026-04-05T00:00:00Z"


@pytest.mark.parametrize(
    ("kind", "element"),
    [("coupon", "GrssIntrstRateUsdForPmt"), ("dividend", "GrssDstrbtnRate")],
)
def test_a_total_amount_is_notified_as_an_unspecified_rate_and_the_total_in_words(
    kind: str, element: str
) -> None:
    shared_total = action(kind, rate_per_unit=None, total_amount=1_000_000_500_000)
    root = assert_valid(build_seev031(shared_total), SEEV031)
    rate = f"{OPTION}/CshMvmntDtls/RateAndAmtDtls/{element}"
    assert at(root, f"{rate}/NotSpcfdRate") == "UKWN"
    assert not has(root, f"{rate}/Amt")
    words = at(root, f"{OPTION}/AddtlInf/AddtlTxt/AddtlInf")
    assert words.startswith("1000000.5 EUR in total is shared pro rata")


@pytest.mark.parametrize(
    ("fraction", "percentage"),
    [((1, 4), "25"), ((1, 8), "12.5"), ((4, 4), "100"), ((1, 3), None), ((1, 2**50), None)],
)
def test_a_partial_redemption_gives_its_exact_fraction_and_a_percentage_only_when_exact(
    fraction: tuple[int, int], percentage: str | None
) -> None:
    root = assert_valid(build_seev031(action("partial_redemption", fraction=fraction)), SEEV031)
    words = at(root, f"{OPTION}/AddtlInf/AddtlTxt/AddtlInf")
    assert words.startswith(f"{fraction[0]}/{fraction[1]} of each holding at the record date")
    if percentage is None:
        assert not has(root, f"{OPTION}/RateAndAmtDtls/PrratnRate")
    else:
        assert at(root, f"{OPTION}/RateAndAmtDtls/PrratnRate/Rate") == percentage


def test_a_ledger_with_a_digital_token_identifier_is_named_where_the_message_can() -> None:
    redemption = action("redemption", ledger_dti="X9J9K872S")
    root = assert_valid(build_seev031(redemption), SEEV031)
    assert at(root, f"{OPTION}/SctiesMvmntDtls/SfkpgPlc/DgtlLdgrId") == "X9J9K872S"
    assert at(root, f"{NOTIFICATION}/AddtlInf/AddtlTxt/AddtlInf").endswith("; dti=X9J9K872S")
    coupon = etree.fromstring(build_seev031(action(ledger_dti="X9J9K872S")))
    assert at(coupon, f"{NOTIFICATION}/AddtlInf/AddtlTxt/AddtlInf").endswith("; dti=X9J9K872S")


def test_identifiers_are_written_in_canonical_form() -> None:
    loose = action(contract=CONTRACT.lower(), isin="de 0007164600", currency="eur")
    root = assert_valid(build_seev031(loose), SEEV031)
    assert at(root, f"{NOTIFICATION}/CorpActnGnlInf/UndrlygScty/FinInstrmId/ISIN") == (
        "DE0007164600"
    )
    assert at(root, f"{OPTION}/CcyOptn") == "EUR"
    assert at(root, f"{NOTIFICATION}/PngAgt/NmAndAdr/Nm") == f"eip155:31337:{CONTRACT}"


@pytest.mark.parametrize("kind", sorted(TERMS))
def test_a_notification_is_the_same_bytes_for_the_same_action(kind: str) -> None:
    assert build_seev031(action(kind)) == build_seev031(action(kind))


def test_the_chain_references_fit_the_narrative_even_at_their_largest() -> None:
    largest = action(
        "redemption", chain_id=2**256 - 1, action_id=2**256 - 1, ledger_dti="X9J9K872S"
    )
    details = ledger_details(largest, PAYMENT_TX, 2**64 - 1)
    assert len(details) <= 350
    assert_valid(build_seev031(largest), SEEV031)
    assert_valid(build_seev036(movement("redemption", of=largest, block=2**64 - 1)), SEEV036)


# --- seev.036: one holder's movement ---------------------------------------------------


@pytest.mark.parametrize("kind", sorted(TERMS))
def test_each_kind_of_payment_is_confirmed_to_the_holder(kind: str) -> None:
    paid = movement(kind)
    root = assert_valid(build_seev036(paid), SEEV036)
    general = f"{CONFIRMATION}/CorpActnGnlInf"
    assert at(root, f"{general}/CorpActnEvtId") == paid.action.reference
    assert at(root, f"{general}/EvtTp/Cd") == EVENT_TYPES[kind]
    assert at(root, f"{general}/FinInstrmId/ISIN") == "DE0007164600"
    account = f"{CONFIRMATION}/AcctDtls"
    assert at(root, f"{account}/BlckChainAdrOrWllt") == HOLDER
    assert at(root, f"{account}/Bal/ConfdBal/ElgblBal/ShrtLngPos") == "LONG"
    assert at(root, f"{account}/Bal/ConfdBal/ElgblBal/Qty/Unit") == "40"
    assert at(root, f"{CONF_OPTION}/OptnNb/Nb") == "001"
    assert at(root, f"{CONF_OPTION}/OptnTp/Cd") == "CASH"
    cash = f"{CONF_OPTION}/CshMvmntDtls"
    assert at(root, f"{cash}/CdtDbtInd") == "CRDT"
    assert at(root, f"{cash}/Acct/CshAcct/BlckChainCshWllt/Id") == HOLDER
    expected = Decimal(paid.cash_amount).scaleb(-6)
    assert Decimal(at(root, f"{cash}/AmtDtls/PstngAmt")) == expected
    assert attribute(root, f"{cash}/AmtDtls/PstngAmt", "Ccy") == "EUR"
    assert at(root, f"{cash}/DtDtls/PstngDt/DtTm") == "2026-03-06T01:20:00Z"
    assert at(root, f"{cash}/DtDtls/ValDt") == "2026-03-06"
    assert at(root, f"{cash}/DtDtls/PmtDt") == "2026-03-06"
    path, rate = RATES[kind]
    assert at(root, f"{cash}/{path}") == rate
    assert at(root, f"{CONFIRMATION}/AddtlInf/AddtlTxt") == MOVEMENT_NARRATIVE
    assert at(root, f"{CONFIRMATION}/PngAgt/NmAndAdr/Nm") == f"eip155:31337:{CONTRACT}"


@pytest.mark.parametrize(("kind", "burned"), [("redemption", "40"), ("partial_redemption", "10")])
def test_a_redemption_confirms_the_units_debited_from_the_holder(kind: str, burned: str) -> None:
    root = assert_valid(build_seev036(movement(kind)), SEEV036)
    securities = f"{CONF_OPTION}/SctiesMvmntDtls"
    assert at(root, f"{securities}/FinInstrmId/ISIN") == "DE0007164600"
    assert at(root, f"{securities}/CdtDbtInd") == "DBIT"
    assert at(root, f"{securities}/PstngQty/Qty/Unit") == burned
    assert at(root, f"{securities}/DtDtls/PstngDt/DtTm") == "2026-03-06T01:20:00Z"


@pytest.mark.parametrize("kind", ["coupon", "dividend"])
def test_a_distribution_confirms_no_securities_movement(kind: str) -> None:
    root = etree.fromstring(build_seev036(movement(kind)))
    assert not has(root, f"{CONF_OPTION}/SctiesMvmntDtls")


def test_the_record_date_is_confirmed_when_the_action_has_one() -> None:
    coupon = etree.fromstring(build_seev036(movement()))
    assert at(coupon, f"{CONFIRMATION}/CorpActnDtls/DtDtls/RcrdDt/Dt") == "2026-03-05"
    full = etree.fromstring(build_seev036(movement("redemption")))
    assert not has(full, f"{CONFIRMATION}/CorpActnDtls")


def test_a_payment_of_a_shared_total_is_confirmed_without_a_rate() -> None:
    shared_total = action("dividend", rate_per_unit=None, total_amount=10**12)
    root = assert_valid(build_seev036(movement("dividend", of=shared_total)), SEEV036)
    assert not has(root, f"{CONF_OPTION}/CshMvmntDtls/RateAndAmtDtls")


def test_the_ledger_dti_is_the_holders_safekeeping_place() -> None:
    redemption = action("redemption", ledger_dti="X9J9K872S")
    root = assert_valid(build_seev036(movement("redemption", of=redemption)), SEEV036)
    assert at(root, f"{CONFIRMATION}/AcctDtls/SfkpgPlc/DgtlLdgrId") == "X9J9K872S"
    assert at(root, f"{CONF_OPTION}/SctiesMvmntDtls/SfkpgPlc/DgtlLdgrId") == "X9J9K872S"
    assert at(root, f"{CONFIRMATION}/AddtlInf/AddtlTxt") == f"{MOVEMENT_NARRATIVE}; dti=X9J9K872S"


def test_a_holder_given_in_lower_case_is_written_checksummed() -> None:
    root = etree.fromstring(build_seev036(movement(holder=HOLDER.lower())))
    assert at(root, f"{CONFIRMATION}/AcctDtls/BlckChainAdrOrWllt") == HOLDER


def test_a_token_quantity_too_fine_for_unit_is_given_in_token_units() -> None:
    fine = action(security_decimals=18)
    root = assert_valid(build_seev036(movement(of=fine, entitled_quantity=10**18 + 1)), SEEV036)
    balance = f"{CONFIRMATION}/AcctDtls/Bal/ConfdBal/ElgblBal/Qty"
    assert at(root, f"{balance}/DgtlTknUnit") == "1.000000000000000001"
    assert not has(root, f"{balance}/Unit")


@pytest.mark.parametrize("kind", sorted(TERMS))
def test_a_confirmation_is_the_same_bytes_for_the_same_movement(kind: str) -> None:
    assert build_seev036(movement(kind)) == build_seev036(movement(kind))


# --- amounts at the limits of the schema -----------------------------------------------


@pytest.mark.parametrize(
    ("units", "text"),
    [
        (10_500_123_450, "10500.12345"),  # 5 decimals: the most a posted amount has
        (9_999_999_999_999_999_990, "9999999999999.99999"),  # 18 digits, 5 of them decimals
        (10, "0.00001"),
        (1, None),  # 0.000001: a sixth decimal
        (10_500_123_456, None),
        (12_345_678_901_234_123_450, None),  # 19 digits
    ],
)
def test_a_six_decimal_cash_amount_is_posted_exactly_or_refused_never_rounded(
    units: int, text: str | None
) -> None:
    big = action(funded=2**200, paid=2**199)
    paid = movement(of=big, cash_amount=units)
    if text is not None:
        root = assert_valid(build_seev036(paid), SEEV036)
        assert at(root, f"{CONF_OPTION}/CshMvmntDtls/AmtDtls/PstngAmt") == text
        return
    with pytest.raises(UserError) as caught:
        build_seev036(paid)
    assert caught.value.field == POSTED_AMOUNT
    assert "seev.036.001.16 allows at most" in caught.value.message


def test_a_sixth_decimal_is_named_in_the_refusal() -> None:
    with pytest.raises(UserError) as caught:
        build_seev036(movement(cash_amount=2_000_001))
    assert caught.value.field == POSTED_AMOUNT
    assert caught.value.message.startswith("2.000001 has 6 decimal places; seev.036.001.16")


@given(units=st.integers(min_value=1, max_value=10**19))
def test_any_posted_amount_reads_back_to_the_units_paid_or_is_refused(units: int) -> None:
    big = action(funded=10**20, paid=10**20)
    paid = movement(of=big, cash_amount=units)
    value = Decimal(units).scaleb(-6)
    fits = units % 10 == 0 and len(value.normalize().as_tuple().digits) <= 18
    if not fits:
        with pytest.raises(UserError) as caught:
            build_seev036(paid)
        assert caught.value.field == POSTED_AMOUNT
        return
    root = etree.fromstring(build_seev036(paid))
    assert Decimal(at(root, f"{CONF_OPTION}/CshMvmntDtls/AmtDtls/PstngAmt")).scaleb(6) == units


def test_a_rate_keeps_every_decimal_of_a_six_decimal_cash_token() -> None:
    root = assert_valid(build_seev031(action(rate_per_unit=1)), SEEV031)
    rate = f"{OPTION}/CshMvmntDtls/RateAndAmtDtls/GrssIntrstRateUsdForPmt/Amt"
    assert at(root, rate) == "0.000001"


@pytest.mark.parametrize("build", [build_seev031, "seev036"])
def test_a_rate_finer_than_13_decimals_is_refused_naming_the_rate_element(build: object) -> None:
    fine = action(cash_decimals=18, rate_per_unit=10**18 + 10**3, funded=10**18, paid=10**18)
    if build == "seev036":
        with pytest.raises(UserError) as caught:
            build_seev036(movement(of=fine, cash_amount=10**13))
        root = f"Document/{CONF_OPTION}"
    else:
        with pytest.raises(UserError) as caught:
            build_seev031(fine)
        root = f"Document/{OPTION}"
    assert caught.value.field == f"{root}/CshMvmntDtls/RateAndAmtDtls/GrssIntrstRateUsdForPmt/Amt"
    assert "15 decimal places" in caught.value.message


def test_a_price_finer_than_13_decimals_is_refused_naming_the_price_element() -> None:
    fine = action("redemption", cash_decimals=18, price_per_unit=1)
    with pytest.raises(UserError) as caught:
        build_seev031(fine)
    assert caught.value.field == (
        f"Document/{OPTION}/CshMvmntDtls/PricDtls/GncCshPricRcvdPerPdct/AmtPric/PricVal"
    )
    assert "18 decimal places" in caught.value.message


# --- inconsistent input is refused, naming the field -----------------------------------


@pytest.mark.parametrize(
    ("kind", "changes", "name", "words"),
    [
        ("coupon", {"payment_date": RECORD_DATE}, "payment_date", "not after the record date"),
        ("coupon", {"payment_date": RECORD_DATE - 86_400}, "payment_date", "not after"),
        ("coupon", {"claim_deadline": PAYMENT_DATE}, "claim_deadline", "not after the payment"),
        ("coupon", {"record_date": 0}, "record_date", "at least 1"),
        ("partial_redemption", {"record_date": 0}, "record_date", "at least 1"),
        ("coupon", {"rate_per_unit": -5}, "rate_per_unit", "at least 1"),
        ("coupon", {"rate_per_unit": 0}, "rate_per_unit", "at least 1"),
        ("coupon", {"total_amount": 10**9}, "rate_per_unit", "both are given"),
        ("dividend", {"rate_per_unit": None}, "rate_per_unit", "neither is given"),
        ("dividend", {"price_per_unit": 100}, "price_per_unit", "has no price per unit"),
        ("coupon", {"fraction": (1, 2)}, "fraction", "has no fraction"),
        ("redemption", {"price_per_unit": None}, "price_per_unit", "needs its price"),
        ("redemption", {"rate_per_unit": 5}, "rate_per_unit", "at a price per unit"),
        ("redemption", {"fraction": (1, 2)}, "fraction", "only for a partial_redemption"),
        ("partial_redemption", {"fraction": None}, "fraction", "needs its fraction"),
        ("partial_redemption", {"fraction": (0, 4)}, "fraction", "0 < numerator"),
        ("partial_redemption", {"fraction": (5, 4)}, "fraction", "0 < numerator"),
        ("coupon", {"funded": -1}, "funded", "at least 0"),
        ("coupon", {"paid": -1}, "paid", "at least 0"),
        ("coupon", {"held": 1, "paid": 10**13}, "paid", "exceed the"),
        ("coupon", {"security_decimals": 78}, "security_decimals", "larger than"),
        ("coupon", {"cash_decimals": -1}, "cash_decimals", "at least 0"),
        ("coupon", {"kind": "split"}, "kind", "unknown kind 'split'"),
        ("coupon", {"status": "open"}, "status", "unknown status 'open'"),
        ("coupon", {"action_id": 0}, "action_id", "at least 1"),
        ("coupon", {"reference": "R" * 36}, "reference", "36 bytes"),
        ("coupon", {"reference": " CPN"}, "reference", "space"),
        ("coupon", {"isin": "DE0007164601"}, "isin", "check digit"),
        ("coupon", {"currency": "ABC"}, "currency", "unknown currency"),
        ("coupon", {"contract": "0x123"}, "contract", "not an Ethereum address"),
        ("coupon", {"announced_tx": "0x1234"}, "announced_tx", "transaction hash"),
        ("coupon", {"ledger_dti": "A9J9K872S"}, "ledger_dti", "Digital Token Identifier"),
        ("coupon", {"record_date": "2026-03-05"}, "record_date", "not a whole number"),
        ("coupon", {"claim_deadline": CLAIM_DEADLINE * 1000}, "claim_deadline", "after 9999-12-31"),
    ],
    ids=lambda value: value if isinstance(value, str) and " " not in value else None,
)
def test_an_inconsistent_action_is_refused_naming_the_field(
    kind: str, changes: dict[str, object], name: str, words: str
) -> None:
    inconsistent = action(kind, **changes)
    for build, value in (
        (build_seev031, inconsistent),
        (build_seev036, movement(kind, of=inconsistent)),
    ):
        error = refusal(build, value)
        assert error.field == name
        assert words in error.message


@pytest.mark.parametrize(
    ("kind", "changes", "name", "words"),
    [
        ("coupon", {"cash_amount": -1}, "cash_amount", "at least 0"),
        ("coupon", {"cash_amount": 0}, "cash_amount", "pays something"),
        ("coupon", {"entitled_quantity": 0}, "entitled_quantity", "at least 1"),
        ("coupon", {"units_burned": 3}, "units_burned", "burns no units"),
        ("redemption", {"units_burned": 0}, "units_burned", "burns the units it pays for"),
        ("partial_redemption", {"units_burned": 41}, "units_burned", "more than the 40 units"),
        ("partial_redemption", {"units_burned": -1}, "units_burned", "at least 0"),
        ("coupon", {"cash_amount": 10**12 + 1}, "cash_amount", "has paid in all"),
        ("coupon", {"paid_at": PAYMENT_DATE - 1}, "paid_at", "before the payment date"),
        ("coupon", {"paid_at": PAID_AT * 1000}, "paid_at", "Unix seconds are expected"),
        ("coupon", {"tx_hash": None}, "tx_hash", "transaction hash"),
        ("coupon", {"tx_hash": "0x" + "zz" * 32}, "tx_hash", "transaction hash"),
        ("coupon", {"holder": "0x" + "00" * 20}, "holder", "zero address"),
        ("coupon", {"holder": HOLDER.replace("C51812", "c51812")}, "holder", "checksum"),
        ("coupon", {"block": 99}, "block", "before the announcement's block 100"),
    ],
    ids=lambda value: value if isinstance(value, str) and " " not in value else None,
)
def test_an_inconsistent_movement_is_refused_naming_the_field(
    kind: str, changes: dict[str, object], name: str, words: str
) -> None:
    error = refusal(build_seev036, movement(kind, **changes))
    assert error.field == name
    assert words in error.message


def test_a_payment_after_the_claim_deadline_is_confirmed() -> None:
    # A held entitlement is paid once the wallet is eligible again, also after the deadline.
    late = movement(paid_at=CLAIM_DEADLINE + 86_400)
    root = assert_valid(build_seev036(late), SEEV036)
    assert at(root, f"{CONF_OPTION}/CshMvmntDtls/DtDtls/ValDt") == "2026-04-06"

"""ISO 20022 for corporate actions: seev.031 notification out, seev.036 movement confirmation out.

An announced distribution (coupon, dividend) or redemption (full, pro rata) is notified to every
holder in a seev.031.001.15; each holder's payment, or redemption, is confirmed to that holder in
a seev.036.001.16. The CLI reads the chain and fills :class:`CorporateAction` and
:class:`Movement`; this module only checks them and writes the messages (pure: no chain access).

The event and how it is paid (paths below ``Document/CorpActnNtfctn`` in seev.031):

=====================================================  =========================================
``NtfctnGnlInf/NtfctnTp``                              NEWM: a new announcement
``NtfctnGnlInf/PrcgSts/Cd``                            COMP and CONF: every term is fixed on
                                                       chain by the issuer's agent at announcement
``CorpActnGnlInf/CorpActnEvtId``                       ``reference``: the on-chain ``eventRef``
``CorpActnGnlInf/EvtPrcgTp/Cd``                        DISN (coupon, dividend) or REOR (redemption)
``CorpActnGnlInf/EvtTp/Cd``                            INTR, DVCA, REDM or PCAL (``EVENT_TYPES``)
``CorpActnGnlInf/MndtryVlntryEvtTp/Cd``                MAND: holders make no election
``CorpActnGnlInf/UndrlygScty/FinInstrmId/ISIN``        the instrument
``AcctDtls/ForAllAccts/IdCd``                          GENR: every holder of the instrument
``CorpActnDtls/DtDtls/RcrdDt/Dt``                      record date (UTC date; absent for a full
                                                       redemption, which has none)
``CorpActnDtls/DtDtls/PmtDt/Dt``                       payment date (redemption: start date)
``CorpActnOptnDtls/OptnNb``, ``OptnTp/Cd``             001, CASH: the one option, the default
``CorpActnOptnDtls/CcyOptn``                           the cash token's currency
``CorpActnOptnDtls/PrdDtls/ActnPrd``                   payment date to claim deadline (DtTm)
``CorpActnOptnDtls/RateAndAmtDtls/PrratnRate``         pro rata: the fraction as a percentage,
                                                       when it is one exactly (1/4 = 25)
``CorpActnOptnDtls/SctiesMvmntDtls``                   redemption: the ISIN debited (DBIT) on the
                                                       payment date; ``SfkpgPlc/DgtlLdgrId``
``CorpActnOptnDtls/CshMvmntDtls/CdtDbtInd``            CRDT: cash is paid to the holders
``.../CshMvmntDtls/DtDtls/PmtDt/Dt``                   payment date
``.../RateAndAmtDtls/GrssIntrstRateUsdForPmt/Amt``     coupon: cash per whole unit (``@Ccy``)
``.../RateAndAmtDtls/GrssDstrbtnRate/Amt``             dividend: cash per whole unit (``@Ccy``)
``.../RateAndAmtDtls/...Rate/NotSpcfdRate``            UKWN when a total amount is shared instead
``.../PricDtls/GncCshPricRcvdPerPdct/AmtPric``         redemption: ACTU price per whole unit
``CorpActnOptnDtls/AddtlInf/AddtlTxt``                 the exact fraction of a pro-rata redemption,
                                                       or the total amount shared, in words
``AddtlInf/AddtlTxt/AddtlInf``                         the chain's references (below)
``PngAgt/NmAndAdr/Nm``                                 the paying contract: ``eip155:<id>:<addr>``
=====================================================  =========================================

One holder's movement (paths below ``Document/CorpActnMvmntConf`` in seev.036):

=====================================================  =========================================
``CorpActnGnlInf/CorpActnEvtId``, ``EvtTp/Cd``         as in the notification
``CorpActnGnlInf/FinInstrmId/ISIN``                    the instrument
``AcctDtls/BlckChainAdrOrWllt``                        the holder's wallet (its account)
``AcctDtls/SfkpgPlc/DgtlLdgrId``                       the ledger's DTI, when it has one
``AcctDtls/Bal/ConfdBal/ElgblBal``                     LONG, the entitled quantity: the balance
                                                       at the record date (full redemption: the
                                                       units redeemed); ``Qty/Unit`` or
                                                       ``Qty/DgtlTknUnit``
``CorpActnDtls/DtDtls/RcrdDt/Dt``                      record date, when there is one
``CorpActnConfDtls/OptnNb/Nb``, ``OptnTp/Cd``          001, CASH
``CorpActnConfDtls/SctiesMvmntDtls``                   redemption: ISIN, DBIT, ``PstngQty`` (the
                                                       units burned), ``DtDtls/PstngDt/DtTm``
``CorpActnConfDtls/CshMvmntDtls/CdtDbtInd``            CRDT
``.../CshMvmntDtls/Acct/CshAcct/BlckChainCshWllt/Id``  the holder's wallet, which the cash reached
``.../CshMvmntDtls/AmtDtls/PstngAmt`` (``@Ccy``)       the cash paid
``.../CshMvmntDtls/DtDtls/PstngDt/DtTm``, ``ValDt``    ``paid_at``: the block's time, and its date
``.../CshMvmntDtls/DtDtls/PmtDt``                      the announced payment date
``.../CshMvmntDtls/RateAndAmtDtls``, ``PricDtls``      the rate or price, as in the notification
``AddtlInf/AddtlTxt``                                  the chain's references (below)
``PngAgt/NmAndAdr/Nm``                                 the paying contract: ``eip155:<id>:<addr>``
=====================================================  =========================================

Amounts are written from the tokens' smallest units with their decimals, exactly: a posted amount
(``ActiveCurrencyAndAmount``) has at most 5 decimals and a rate or price
(``ActiveCurrencyAnd13DecimalAmount``) 13, so a 6-decimal cash amount whose sixth decimal is not 0
is refused naming the element, never rounded. Quantities are ``Unit`` (18 digits, 17 decimals)
when they fit, else ``DgtlTknUnit`` (30 digits, 29 decimals).

The chain's own references (the announcement or payment transaction, 66 characters) fit no
``Max35Text`` identification; they go, whole, in the narrative as ``chain=eip155:<id>;
contract=<address>; action=<id>; tx=<hash>; block=<n>`` (and ``dti=<DTI>`` when the ledger has
one), see :func:`ledger_details`. The ledger is named by its ISO 24165 Digital Token Identifier
in ``SfkpgPlc/DgtlLdgrId`` wherever the message has a safekeeping place for it (seev.036's account,
the securities debited by a redemption); seev.031 notifies every account (``ForAllAccts``), which
has none, so a distribution's notification names the DTI in the narrative only. The paying
contract is the paying agent (``PngAgt``), as a CAIP-10 account id.

No creation time nor message identification is written (they belong to the Business Application
Header), so the builders are pure: the same action or movement always gives the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Literal

from eth_utils import is_hex
from lxml import etree

from securities_rails.errors import UserError
from securities_rails.identifiers import (
    parse_address,
    parse_currency,
    parse_isin,
    parse_reference,
)
from securities_rails.iso20022 import build, schema
from securities_rails.iso20022.build import EXACT, plain, units_to_decimal

SEEV031 = "seev.031.001.15"
SEEV036 = "seev.036.001.16"

Kind = Literal["coupon", "dividend", "redemption", "partial_redemption"]
Status = Literal["announced", "funded", "paying", "closed"]
KINDS: tuple[str, ...] = ("coupon", "dividend", "redemption", "partial_redemption")
STATUSES: tuple[str, ...] = ("announced", "funded", "paying", "closed")
DISTRIBUTIONS = frozenset({"coupon", "dividend"})
REDEMPTIONS = frozenset({"redemption", "partial_redemption"})

# ISO 20022 event types (CorporateActionEventType35Code in seev.031, ...37Code in seev.036):
# - coupon -> INTR "interest payment": the regular interest of an interest-bearing instrument.
# - dividend -> DVCA "cash dividend".
# - redemption -> REDM "final maturity": the Redemption contract redeems every unit only at or
#   after the instrument's maturity (MCAL, a full call, is an early redemption before it).
# - partial_redemption -> PCAL "partial redemption without pool factor reduction": each holding
#   is reduced (units burned) and the nominal of a unit is unchanged. PRED is the pool-factor
#   variant (nominal reduced, holdings unchanged) and DRAW a partial redemption by lot; neither
#   is what the contract does.
EVENT_TYPES: dict[str, str] = {
    "coupon": "INTR",
    "dividend": "DVCA",
    "redemption": "REDM",
    "partial_redemption": "PCAL",
}
# CorporateActionEventProcessingType1Code: a distribution of cash (DISN), or a reorganisation
# that changes the holding (REOR: units are debited).
PROCESSING_TYPES: dict[str, str] = {
    "coupon": "DISN",
    "dividend": "DISN",
    "redemption": "REOR",
    "partial_redemption": "REOR",
}
# Where the per-unit rate of a distribution goes in the cash movement's RateAndAmtDtls: a gross
# interest amount per unit for a coupon, a gross dividend per unit for a dividend. Both choices
# have NotSpcfdRate (UKWN) for a total amount shared pro rata, whose per-unit rate the chain only
# fixes at the record date.
RATE_ELEMENTS: dict[str, str] = {"coupon": "GrssIntrstRateUsdForPmt", "dividend": "GrssDstrbtnRate"}
MANDATORY = "MAND"
NEW_NOTIFICATION = "NEWM"
COMPLETE, CONFIRMED = "COMP", "CONF"
ALL_ACCOUNTS = "GENR"
OPTION_NUMBER, CASH_OPTION = "001", "CASH"
ACTUAL_PRICE = "ACTU"
NOT_SPECIFIED = "UKWN"
LONG = "LONG"
LANGUAGE = "en"
# XSD types of the values written.
QUANTITY_TYPES: dict[str, str] = {"Unit": "DecimalNumber", "DgtlTknUnit": "Max30DecimalNumber"}
AMOUNT_TYPE = "ActiveCurrencyAndAmount_SimpleType"  # a posted amount: 18 digits, 5 decimals
RATE_TYPE = "ActiveCurrencyAnd13DecimalAmount_SimpleType"  # a rate or price: 18 digits, 13
PERCENTAGE_TYPE = "Percentage14Rate"
DTI_TYPE = "DTI2024Identifier"
MAX_DECIMALS = 77  # 10**77 is the largest power of ten a uint256 holds
UINT256_MAX = 2**256 - 1
UINT64_MAX = 2**64 - 1
# 9999-12-31T23:59:59Z: the last moment an ISODate or ISODateTime can write (the contracts keep
# dates as uint40, which reaches far beyond it). A time in milliseconds lands after it.
LAST_TIME = 253_402_300_799
TOO_LATE = "is after 9999-12-31, the last date ISO 20022 writes (Unix seconds are expected)"

NOTIFICATION = "CorpActnNtfctn"
CONFIRMATION = "CorpActnMvmntConf"
OPTION = f"{NOTIFICATION}/CorpActnOptnDtls"
CONF_OPTION = f"{CONFIRMATION}/CorpActnConfDtls"


# --- the corporate action --------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class CorporateAction:
    """What the chain says about an announced distribution or redemption.

    ``contract`` is the Distributions or Redemption contract and ``action_id`` the action's id
    in it; ``reference`` its ISO 20022 event id (the on-chain ``eventRef``, Max35Text). Dates are
    Unix seconds: ``record_date`` 0 for a full redemption (it has none); for a redemption,
    ``payment_date`` is its start date and ``claim_deadline`` its deadline. Amounts are in the
    cash token's smallest units: ``rate_per_unit`` (per whole unit of the security) or
    ``total_amount`` for a distribution, ``price_per_unit`` for a redemption; ``fraction``
    ``(numerator, denominator)`` of each holding for a partial redemption. ``funded``, ``paid``
    and ``held`` are the cash received, paid to holders and held back for ineligible ones.
    ``ledger_dti`` is the chain's ISO 24165 Digital Token Identifier, when it has one.
    """

    chain_id: int
    contract: str
    action_id: int
    reference: str
    kind: Kind
    isin: str
    security_decimals: int
    currency: str
    cash_decimals: int
    record_date: int
    payment_date: int
    claim_deadline: int
    rate_per_unit: int | None = None
    total_amount: int | None = None
    price_per_unit: int | None = None
    fraction: tuple[int, int] | None = None
    status: Status
    funded: int
    paid: int
    held: int
    announced_tx: str
    announced_block: int
    ledger_dti: str | None = None


@dataclass(frozen=True, kw_only=True)
class Movement:
    """One holder's payment of a distribution, or redemption of its units, as the chain did it.

    ``entitled_quantity`` is the holder's balance at the record date (for a full redemption, the
    units it redeemed), in the security's smallest units; ``cash_amount`` the cash paid, in the
    cash token's; ``units_burned`` the units redeemed (0 for a distribution). ``paid_at`` is the
    Unix time of the block ``block`` that included ``tx_hash``.
    """

    action: CorporateAction
    holder: str
    entitled_quantity: int
    cash_amount: int
    units_burned: int = 0
    paid_at: int
    tx_hash: str
    block: int


def ledger_details(action: CorporateAction, tx_hash: str, block: int) -> str:
    """The chain's references of an action and one of its transactions, as ``key=value`` pairs.

    At most 345 characters even with uint256 chain and action ids: it fits the narratives
    (Max350Text) whole.
    """
    parts = [
        f"chain=eip155:{action.chain_id}",
        f"contract={action.contract}",
        f"action={action.action_id}",
        f"tx={tx_hash}",
        f"block={block}",
    ]
    if action.ledger_dti:
        parts.append(f"dti={action.ledger_dti}")
    return "; ".join(parts)


def paying_agent(action: CorporateAction) -> str:
    """The paying contract as a CAIP-10 account id: ``eip155:<chain id>:<address>``."""
    return f"eip155:{action.chain_id}:{action.contract}"


# --- seev.031: the notification --------------------------------------------------------


def build_seev031(action: CorporateAction) -> bytes:
    """A seev.031 notification of a newly announced corporate action (validated; pure).

    Refuses, naming the field, an action whose terms are inconsistent (see
    :func:`check_action`), and an amount more precise than the message allows (naming the
    element): a rate or price with more than 13 decimals or 18 digits.
    """
    checked = check_action(action)
    base = f"Document/{OPTION}"
    root = build.document(SEEV031)
    notification = build.add(root, NOTIFICATION)
    general = build.add(notification, "NtfctnGnlInf")
    build.add(general, "NtfctnTp", NEW_NOTIFICATION)
    status = build.add(general, "PrcgSts/Cd")
    build.add(status, "EvtCmpltnsSts", COMPLETE)
    build.add(status, "EvtConfSts", CONFIRMED)
    event = build.add(notification, "CorpActnGnlInf")
    build.add(event, "CorpActnEvtId", checked.reference)
    build.add(event, "EvtPrcgTp/Cd", PROCESSING_TYPES[checked.kind])
    build.add(event, "EvtTp/Cd", EVENT_TYPES[checked.kind])
    build.add(event, "MndtryVlntryEvtTp/Cd", MANDATORY)
    build.add(event, "UndrlygScty/FinInstrmId/ISIN", checked.isin)
    build.add(notification, "AcctDtls/ForAllAccts/IdCd", ALL_ACCOUNTS)
    dates = build.add(notification, "CorpActnDtls/DtDtls")
    if checked.record_date:
        build.add(dates, "RcrdDt/Dt", build.iso_date(_day(checked.record_date)))
    build.add(dates, "PmtDt/Dt", build.iso_date(_day(checked.payment_date)))
    _option(build.add(notification, "CorpActnOptnDtls"), checked, base)
    narrative = build.add(notification, "AddtlInf/AddtlTxt")
    build.add(narrative, "Lang", LANGUAGE)
    details = ledger_details(checked, checked.announced_tx, checked.announced_block)
    build.add(narrative, "AddtlInf", details)
    build.add(notification, "PngAgt/NmAndAdr/Nm", paying_agent(checked))
    return build.serialize(root, SEEV031)


def _option(option: etree._Element, action: CorporateAction, base: str) -> None:
    """The one (default) cash option: its period, rate or price, and the securities debited."""
    build.add(option, "OptnNb", OPTION_NUMBER)
    build.add(option, "OptnTp/Cd", CASH_OPTION)
    build.add(option, "CcyOptn", action.currency)
    build.add(option, "DfltPrcgOrStgInstr/DfltOptnInd", "true")
    period = build.add(option, "PrdDtls/ActnPrd/Prd")
    build.add(period, "StartDt/Dt/DtTm", build.iso_datetime(action.payment_date))
    build.add(period, "EndDt/Dt/DtTm", build.iso_datetime(action.claim_deadline))
    percentage = _fraction_percentage(action)
    if percentage is not None:
        build.add(option, "RateAndAmtDtls/PrratnRate/Rate", percentage)
    payment_day = build.iso_date(_day(action.payment_date))
    if action.kind in REDEMPTIONS:
        securities = build.add(option, "SctiesMvmntDtls")
        build.add(securities, "SctyDtls/FinInstrmId/ISIN", action.isin)
        build.add(securities, "CdtDbtInd", "DBIT")
        if action.ledger_dti:
            build.add(securities, "SfkpgPlc/DgtlLdgrId", action.ledger_dti)
        build.add(securities, "DtDtls/PmtDt/Dt", payment_day)
    cash = build.add(option, "CshMvmntDtls")
    build.add(cash, "CdtDbtInd", "CRDT")
    build.add(cash, "DtDtls/PmtDt/Dt", payment_day)
    _rate_or_price(cash, action, SEEV031, f"{base}/CshMvmntDtls")
    terms = _terms_in_words(action)
    if terms:
        narrative = build.add(option, "AddtlInf/AddtlTxt")
        build.add(narrative, "Lang", LANGUAGE)
        build.add(narrative, "AddtlInf", terms)


def _rate_or_price(cash: etree._Element, action: CorporateAction, message: str, where: str) -> None:
    """The cash per whole unit: a coupon's or dividend's rate, or a redemption's price.

    A distribution of a total amount has no rate per unit until the record date: seev.031 says
    so (NotSpcfdRate UKWN); seev.036, which has no such value, leaves the rate out.
    """
    if action.kind in DISTRIBUTIONS:
        name = RATE_ELEMENTS[action.kind]
        if action.rate_per_unit is None:
            if message == SEEV031:
                build.add(cash, f"RateAndAmtDtls/{name}/NotSpcfdRate", NOT_SPECIFIED)
            return
        path = f"{where}/RateAndAmtDtls/{name}/Amt"
        text = _cash_text(action.rate_per_unit, action, message, RATE_TYPE, path)
        build.add(cash, f"RateAndAmtDtls/{name}/Amt", text, Ccy=action.currency)
        return
    assert action.price_per_unit is not None  # check_action requires it for a redemption
    price = build.add(cash, "PricDtls/GncCshPricRcvdPerPdct/AmtPric")
    build.add(price, "AmtPricTp", ACTUAL_PRICE)
    path = f"{where}/PricDtls/GncCshPricRcvdPerPdct/AmtPric/PricVal"
    text = _cash_text(action.price_per_unit, action, message, RATE_TYPE, path)
    build.add(price, "PricVal", text, Ccy=action.currency)


def _terms_in_words(action: CorporateAction) -> str | None:
    """What the structured elements cannot say exactly: a pro-rata fraction, a total amount."""
    if action.fraction is not None:
        numerator, denominator = action.fraction
        return (
            f"{numerator}/{denominator} of each holding at the record date is redeemed "
            "(rounded down per holder, in the smallest unit of the security)"
        )
    if action.total_amount is not None:
        total = plain(units_to_decimal(action.total_amount, action.cash_decimals))
        return (
            f"{total} {action.currency} in total is shared pro rata of the balances at the "
            "record date (rounded down per holder, in the smallest unit of the cash token)"
        )
    return None


def _fraction_percentage(action: CorporateAction) -> str | None:
    """A pro-rata fraction as the percentage PrratnRate holds, when it is one exactly.

    1/4 is 25; 1/3 has no exact decimal and 1/2**50 too many decimals: those are given in the
    narrative only, never rounded.
    """
    if action.fraction is None:
        return None
    numerator, denominator = action.fraction
    percent = Fraction(numerator * 100, denominator)
    twos = fives = 0
    rest = percent.denominator
    while rest % 2 == 0:
        rest, twos = rest // 2, twos + 1
    while rest % 5 == 0:
        rest, fives = rest // 5, fives + 1
    if rest != 1:
        return None  # no finite decimal
    places = max(twos, fives)
    scaled = percent.numerator * (10**places // percent.denominator)
    value = Decimal(scaled).scaleb(-places, EXACT)
    return plain(value) if _fits(value, SEEV031, PERCENTAGE_TYPE) else None


# --- seev.036: one holder's movement ---------------------------------------------------


def build_seev036(movement: Movement) -> bytes:
    """A seev.036 confirmation of one holder's payment or redemption (validated; pure).

    Refuses, naming the field, a movement that does not fit its action (see
    :func:`check_movement`), and an amount more precise than the message allows, naming the
    element: a posted cash amount with more than 5 decimals, a rate or price with more than 13.
    """
    checked = check_movement(movement)
    action = checked.action
    base = f"Document/{CONF_OPTION}"
    root = build.document(SEEV036)
    confirmation = build.add(root, CONFIRMATION)
    event = build.add(confirmation, "CorpActnGnlInf")
    build.add(event, "CorpActnEvtId", action.reference)
    build.add(event, "EvtTp/Cd", EVENT_TYPES[action.kind])
    build.add(event, "FinInstrmId/ISIN", action.isin)
    account = build.add(confirmation, "AcctDtls")
    build.add(account, "BlckChainAdrOrWllt", checked.holder)
    if action.ledger_dti:
        build.add(account, "SfkpgPlc/DgtlLdgrId", action.ledger_dti)
    balance = build.add(account, "Bal/ConfdBal/ElgblBal")
    build.add(balance, "ShrtLngPos", LONG)
    where = f"Document/{CONFIRMATION}/AcctDtls/Bal/ConfdBal/ElgblBal/Qty"
    _quantity(balance, "Qty", checked.entitled_quantity, action, where)
    if action.record_date:
        day = build.iso_date(_day(action.record_date))
        build.add(confirmation, "CorpActnDtls/DtDtls/RcrdDt/Dt", day)
    option = build.add(confirmation, "CorpActnConfDtls")
    build.add(option, "OptnNb/Nb", OPTION_NUMBER)
    build.add(option, "OptnTp/Cd", CASH_OPTION)
    build.add(option, "CcyOptn", action.currency)
    posted = build.iso_datetime(checked.paid_at)
    if action.kind in REDEMPTIONS:
        securities = build.add(option, "SctiesMvmntDtls")
        build.add(securities, "FinInstrmId/ISIN", action.isin)
        build.add(securities, "CdtDbtInd", "DBIT")
        where = f"{base}/SctiesMvmntDtls/PstngQty/Qty"
        _quantity(build.add(securities, "PstngQty"), "Qty", checked.units_burned, action, where)
        if action.ledger_dti:
            build.add(securities, "SfkpgPlc/DgtlLdgrId", action.ledger_dti)
        build.add(securities, "DtDtls/PstngDt/DtTm", posted)
    cash = build.add(option, "CshMvmntDtls")
    build.add(cash, "CdtDbtInd", "CRDT")
    build.add(cash, "Acct/CshAcct/BlckChainCshWllt/Id", checked.holder)
    path = f"{base}/CshMvmntDtls/AmtDtls/PstngAmt"
    amount = _cash_text(checked.cash_amount, action, SEEV036, AMOUNT_TYPE, path)
    build.add(cash, "AmtDtls/PstngAmt", amount, Ccy=action.currency)
    dates = build.add(cash, "DtDtls")
    build.add(dates, "PstngDt/DtTm", posted)
    build.add(dates, "ValDt", build.iso_date(_day(checked.paid_at)))
    build.add(dates, "PmtDt", build.iso_date(_day(action.payment_date)))
    _rate_or_price(cash, action, SEEV036, f"{base}/CshMvmntDtls")
    details = ledger_details(action, checked.tx_hash, checked.block)
    build.add(confirmation, "AddtlInf/AddtlTxt", details)
    build.add(confirmation, "PngAgt/NmAndAdr/Nm", paying_agent(action))
    return build.serialize(root, SEEV036)


# --- values as the messages write them -------------------------------------------------


def _day(moment: int) -> date:
    """The UTC calendar date of a Unix time (the chain's clock)."""
    return datetime.fromtimestamp(moment, UTC).date()


def _cash_text(
    units: int, action: CorporateAction, message: str, type_name: str, where: str
) -> str:
    """Cash smallest units as the decimal ``type_name`` allows; more precision is refused."""
    value = units_to_decimal(units, action.cash_decimals)
    return build.decimal_text(value, message, type_name, where)


def _quantity(
    parent: etree._Element, name: str, units: int, action: CorporateAction, where: str
) -> None:
    """A quantity of the security in units: ``Unit`` when it fits (18 digits), else
    ``DgtlTknUnit`` (30 digits); finer or larger than that is refused naming the element."""
    value = units_to_decimal(units, action.security_decimals)
    element = "Unit" if _fits(value, SEEV036, QUANTITY_TYPES["Unit"]) else "DgtlTknUnit"
    text = build.decimal_text(value, SEEV036, QUANTITY_TYPES[element], f"{where}/{element}")
    build.add(parent, f"{name}/{element}", text)


def _fits(value: Decimal, message: str, type_name: str) -> bool:
    fraction_digits, total_digits = schema.decimal_limits(message, type_name)
    normal = value.normalize(EXACT)
    places = max(0, -int(normal.as_tuple().exponent))
    return places <= fraction_digits and len(normal.as_tuple().digits) <= total_digits


# --- checks ----------------------------------------------------------------------------


def check_action(action: CorporateAction) -> CorporateAction:
    """The action with its identifiers in canonical form, or a UserError naming the field.

    Refused: an unknown kind or status; a bad contract, ISIN, currency, reference, transaction
    hash or ledger DTI; decimals a token cannot have; a payment date not after the record date
    (a full redemption has no record date: 0) or a claim deadline not after the payment date; a
    distribution without exactly one of a rate and a total, or a redemption without a price; a
    fraction outside 0 < numerator <= denominator, or given to anything but a partial
    redemption; negative amounts, and more paid and held than funded.
    """
    if action.kind not in KINDS:
        raise UserError("kind", f"unknown kind {action.kind!r}: use {', '.join(KINDS)}")
    if action.status not in STATUSES:
        raise UserError("status", f"unknown status {action.status!r}: use {', '.join(STATUSES)}")
    _check_range("chain_id", action.chain_id, 1, UINT256_MAX)
    _check_range("action_id", action.action_id, 1, UINT256_MAX)
    for name, decimals in (
        ("security_decimals", action.security_decimals),
        ("cash_decimals", action.cash_decimals),
    ):
        _check_range(name, decimals, 0, MAX_DECIMALS)
    _check_dates(action)
    _check_terms(action)
    for name in ("funded", "paid", "held"):
        _check_range(name, getattr(action, name), 0, UINT256_MAX)
    if action.paid + action.held > action.funded:
        raise UserError(
            "paid",
            f"paid {action.paid} and held {action.held} exceed the {action.funded} funded: the "
            "contract never pays nor holds back more than it received",
        )
    _check_hash("announced_tx", action.announced_tx)
    _check_range("announced_block", action.announced_block, 0, UINT64_MAX)
    return replace(
        action,
        contract=parse_address(action.contract, "contract"),
        reference=parse_reference(action.reference, "reference"),
        isin=parse_isin(action.isin, "isin"),
        currency=parse_currency(action.currency, "currency"),
        ledger_dti=_checked_dti(action.ledger_dti),
    )


def _check_dates(action: CorporateAction) -> None:
    # A full redemption has no record date (0): each holder redeems what it holds when it does.
    no_record_date = action.kind == "redemption" and action.record_date == 0
    _check_range("record_date", action.record_date, 0 if no_record_date else 1, LAST_TIME, TOO_LATE)
    _check_range("payment_date", action.payment_date, 1, LAST_TIME, TOO_LATE)
    _check_range("claim_deadline", action.claim_deadline, 1, LAST_TIME, TOO_LATE)
    if action.payment_date <= action.record_date:
        raise UserError(
            "payment_date",
            f"{build.iso_datetime(action.payment_date)} is not after the record date "
            f"{build.iso_datetime(action.record_date)}: holders are paid after the record date",
        )
    if action.claim_deadline <= action.payment_date:
        raise UserError(
            "claim_deadline",
            f"{build.iso_datetime(action.claim_deadline)} is not after the payment date "
            f"{build.iso_datetime(action.payment_date)}",
        )


def _check_terms(action: CorporateAction) -> None:
    """A distribution's rate or total, a redemption's price and (pro rata) its fraction."""
    if action.kind in DISTRIBUTIONS:
        rate, total = action.rate_per_unit, action.total_amount
        if (rate is None) == (total is None):
            given = "both are given" if rate is not None else "neither is given"
            raise UserError(
                "rate_per_unit",
                f"a {action.kind} is paid at a rate per unit or shares a total amount: give "
                f"exactly one of rate_per_unit and total_amount ({given})",
            )
        name = "rate_per_unit" if rate is not None else "total_amount"
        _check_range(name, getattr(action, name), 1, UINT256_MAX)
        for other in ("price_per_unit", "fraction"):
            if getattr(action, other) is not None:
                raise UserError(other, f"a {action.kind} has no {other.replace('_', ' ')}")
        return
    for name in ("rate_per_unit", "total_amount"):
        if getattr(action, name) is not None:
            raise UserError(name, f"a redemption is paid at a price per unit, not a {name}")
    if action.price_per_unit is None:
        raise UserError("price_per_unit", "a redemption needs its price per whole unit")
    _check_range("price_per_unit", action.price_per_unit, 1, UINT256_MAX)
    if action.kind == "redemption":
        if action.fraction is not None:
            raise UserError(
                "fraction", "a full redemption redeems every unit: give a fraction only for a "
                "partial_redemption",
            )  # fmt: skip
        return
    if action.fraction is None:
        raise UserError("fraction", "a partial redemption needs its fraction of each holding")
    numerator, denominator = action.fraction
    if not (
        isinstance(numerator, int)
        and isinstance(denominator, int)
        and 0 < numerator <= denominator <= UINT256_MAX
    ):
        raise UserError(
            "fraction",
            f"{numerator}/{denominator} is not a fraction of a holding: 0 < numerator <= "
            "denominator",
        )


def check_movement(movement: Movement) -> Movement:
    """The movement with its action checked (:func:`check_action`), or a UserError naming the field.

    Refused beyond the action's own checks: a bad holder wallet or transaction hash; no
    entitled quantity, or a negative amount; a distribution paid nothing or with units burned; a
    redemption without units burned or burning more than the entitlement; more cash than the
    action has paid in all; a payment before the payment date or in a block before the
    announcement.
    """
    action = check_action(movement.action)
    _check_range("entitled_quantity", movement.entitled_quantity, 1, UINT256_MAX)
    _check_range("cash_amount", movement.cash_amount, 0, UINT256_MAX)
    _check_range("units_burned", movement.units_burned, 0, UINT256_MAX)
    if action.kind in DISTRIBUTIONS:
        if movement.cash_amount == 0:
            raise UserError(
                "cash_amount", f"0: a {action.kind} payment pays something (nothing is refused)"
            )
        if movement.units_burned:
            raise UserError(
                "units_burned", f"{movement.units_burned}: a {action.kind} burns no units"
            )
    else:
        if movement.units_burned == 0:
            raise UserError("units_burned", "0: a redemption burns the units it pays for")
        if movement.units_burned > movement.entitled_quantity:
            raise UserError(
                "units_burned",
                f"{movement.units_burned} is more than the {movement.entitled_quantity} units "
                "the holder was entitled to redeem",
            )
    if movement.cash_amount > action.paid:
        raise UserError(
            "cash_amount",
            f"{movement.cash_amount} is more than the {action.paid} the action has paid in all",
        )
    _check_range("paid_at", movement.paid_at, 1, LAST_TIME, TOO_LATE)
    if movement.paid_at < action.payment_date:
        raise UserError(
            "paid_at",
            f"{build.iso_datetime(movement.paid_at)} is before the payment date "
            f"{build.iso_datetime(action.payment_date)}: nothing is paid before it",
        )
    _check_hash("tx_hash", movement.tx_hash)
    _check_range("block", movement.block, 0, UINT64_MAX)
    if movement.block < action.announced_block:
        raise UserError(
            "block",
            f"{movement.block} is before the announcement's block {action.announced_block}",
        )
    return replace(movement, action=action, holder=parse_address(movement.holder, "holder"))


def _check_range(
    name: str, value: object, low: int, high: int, too_high: str = "is larger than the chain holds"
) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise UserError(name, f"{value!r} is not a whole number")
    if value < low:
        raise UserError(name, f"{value} must be at least {low}")
    if value > high:
        raise UserError(name, f"{value} {too_high}")


def _check_hash(name: str, value: object) -> None:
    """A 0x-prefixed 32-byte hex string: a transaction hash."""
    if not (isinstance(value, str) and len(value) == 66 and value[:2] == "0x" and is_hex(value)):
        raise UserError(name, f"{value!r} is not a 0x-prefixed 32-byte transaction hash")


def _checked_dti(value: str | None) -> str | None:
    """An ISO 24165 Digital Token Identifier as the schema's DTI2024Identifier has it."""
    if value is None:
        return None
    if not schema.load_schema(SEEV036).types[DTI_TYPE].is_valid(value):
        raise UserError(
            "ledger_dti",
            f"{value!r} is not a Digital Token Identifier (ISO 24165: 9 characters, digits and "
            "consonants, not starting with 0)",
        )
    return value


__all__ = [
    "EVENT_TYPES",
    "KINDS",
    "SEEV031",
    "SEEV036",
    "STATUSES",
    "CorporateAction",
    "Movement",
    "build_seev031",
    "build_seev036",
    "check_action",
    "check_movement",
    "ledger_details",
    "paying_agent",
]

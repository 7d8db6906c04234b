"""semt.002.001.12 statement of holdings of one securities account, built with lxml.

Where the register's data sits (paths below ``Document/SctiesBalCtdyRpt``):

==============================================  ============================================
``Pgntn``                                       one page: ``PgNb`` 1, ``LastPgInd`` true
``StmtGnlDtls/StmtDtTm/Dt``                     the statement date
``StmtGnlDtls/Frqcy/Cd``                        ADHO: a statement on request
``StmtGnlDtls/UpdTp/Cd``, ``StmtBsis/Cd``       COMP (complete), SETT (settled positions)
``StmtGnlDtls/ActvtyInd``                       movements on the account that day
``StmtGnlDtls/SubAcctInd``                      beneficial owners reported as sub-accounts
``AcctOwnr/LEI``                                the owner's LEI, when known
``SfkpgAcct/Id``, ``SfkpgAcct/Nm``              the account id, the owner's name
``BalForAcct/FinInstrmId/ISIN``                 each ISIN held
``BalForAcct/AggtBal/Qty/Qty/Qty/Unit``         its quantity in units (``DgtlTknUnit`` beyond
                                                18 digits); ``ShrtLngInd`` SHOR for an
                                                issuance account (it holds minus the issue)
``SubAcctDtls/AcctOwnr/Id/PrtryId``             an omnibus account's beneficial owner
``SubAcctDtls/BalForSubAcct``                   the owner's quantity of each ISIN
==============================================  ============================================

A statement for a past date replays the movements booked before the end of that day (UTC), and an
omnibus account's beneficial owners likewise: the last breakdown recorded before then
(``set_beneficial_owners`` keeps each one with its time) plus the owners the later movements
debited and credited (every movement on a broken-down holding names its owner). The builder is
pure: the same :class:`Statement` always gives the same bytes, and the document is validated
against the official XSD before it is returned.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from lxml import etree

from securities_rails.iso20022 import build, schema
from securities_rails.iso20022.build import units_to_decimal
from securities_rails.ledger.models import OMNIBUS
from securities_rails.ledger.register import Register

SEMT002 = "semt.002.001.12"
REPORT = "SctiesBalCtdyRpt"
QUANTITY_TYPES: dict[str, str] = {"Unit": "DecimalNumber", "DgtlTknUnit": "Max30DecimalNumber"}


@dataclass(frozen=True)
class Balance:
    """One ISIN's quantity in smallest units, and the ISIN's decimals."""

    isin: str
    quantity: int
    decimals: int


@dataclass(frozen=True)
class Statement:
    """What a statement of holdings says about one account on one date."""

    account: str
    owner_name: str
    statement_date: date
    balances: tuple[Balance, ...]
    owner_lei: str | None = None
    active: bool = False
    # Beneficial owner id -> their balances (omnibus accounts).
    sub_accounts: dict[str, tuple[Balance, ...]] = field(default_factory=dict)


def statement_of(register: Register, account: str, statement_date: date | None = None) -> Statement:
    """The statement of ``account`` at the end of ``statement_date`` (today, UTC, by default)."""
    today = datetime.now(UTC).date()
    day = statement_date or today
    start = datetime.combine(day, time(), UTC)
    end = start + timedelta(days=1)
    row = register.account(account)
    current = day >= today
    held = register.holdings(account) if current else register.holdings(account, at=end)
    decimals = {isin: register.instrument(isin).decimals for isin in held}
    balances = tuple(Balance(isin, quantity, decimals[isin]) for isin, quantity in held.items())
    active = any(m.created_at < end for m in register.movements(account, since=start))
    owners: dict[str, list[Balance]] = {}
    if row.kind == OMNIBUS:
        at = None if current else end
        for isin in held:
            for owner, quantity in register.beneficial_owners(account, isin, at).items():
                owners.setdefault(owner, []).append(Balance(isin, quantity, decimals[isin]))
    return Statement(
        account=row.id,
        owner_name=row.owner_name,
        statement_date=day,
        balances=balances,
        owner_lei=row.owner_lei,
        active=active,
        sub_accounts={owner: tuple(found) for owner, found in sorted(owners.items())},
    )


def export_statement(register: Register, account: str, statement_date: date | None = None) -> bytes:
    """The semt.002 statement of holdings of ``account`` (see :func:`statement_of`)."""
    return build_semt002(statement_of(register, account, statement_date))


def build_semt002(statement: Statement) -> bytes:
    """A semt.002.001.12 document for ``statement``, valid against the official schema."""
    root = build.document(SEMT002)
    report = build.add(root, REPORT)
    pagination = build.add(report, "Pgntn")
    build.add(pagination, "PgNb", "1")
    build.add(pagination, "LastPgInd", "true")
    general = build.add(report, "StmtGnlDtls")
    build.add(general, "StmtDtTm/Dt", build.iso_date(statement.statement_date))
    build.add(general, "Frqcy/Cd", "ADHO")
    build.add(general, "UpdTp/Cd", "COMP")
    build.add(general, "StmtBsis/Cd", "SETT")
    build.add(general, "ActvtyInd", _yes_no(statement.active))
    build.add(general, "SubAcctInd", _yes_no(bool(statement.sub_accounts)))
    if statement.owner_lei:
        owner = build.add(report, "AcctOwnr")
        _proprietary_id(owner, statement.owner_lei, "GLEIF", "LEI")
        build.add(owner, "LEI", statement.owner_lei)
    account = build.add(report, "SfkpgAcct")
    build.add(account, "Id", statement.account)
    build.add(
        account, "Nm", build.clip(statement.owner_name, schema.max_length(SEMT002, "Max70Text"))
    )
    base = f"Document/{REPORT}"
    for index, balance in enumerate(statement.balances, start=1):
        _balance(report, "BalForAcct", balance, f"{base}/BalForAcct[{index}]")
    for index, (owner_id, balances) in enumerate(statement.sub_accounts.items(), start=1):
        sub = build.add(report, "SubAcctDtls")
        _proprietary_id(build.add(sub, "AcctOwnr"), owner_id, statement.account, None)
        build.add(sub, "ActvtyInd", "false")
        for number, balance in enumerate(balances, start=1):
            where = f"{base}/SubAcctDtls[{index}]/BalForSubAcct[{number}]"
            _balance(sub, "BalForSubAcct", balance, where)
    return build.serialize(root, SEMT002)


def _yes_no(value: bool) -> str:
    return "true" if value else "false"


def _proprietary_id(parent: etree._Element, value: str, issuer: str, scheme: str | None) -> None:
    """``Id/PrtryId``: an identification, who issued it and, optionally, its scheme."""
    ident = build.add(parent, "Id/PrtryId")
    build.add(ident, "Id", value)
    build.add(ident, "Issr", issuer)
    if scheme:
        build.add(ident, "SchmeNm", scheme)


def _balance(parent: etree._Element, name: str, balance: Balance, where: str) -> None:
    """One ISIN's aggregate balance: LONG, or SHOR for a negative (issuance) holding."""
    entry = build.add(parent, name)
    build.add(entry, "FinInstrmId/ISIN", balance.isin)
    aggregate = build.add(entry, "AggtBal")
    build.add(aggregate, "ShrtLngInd", "SHOR" if balance.quantity < 0 else "LONG")
    value = units_to_decimal(abs(balance.quantity), balance.decimals)
    element = "Unit" if _fits(value, QUANTITY_TYPES["Unit"]) else "DgtlTknUnit"
    text = build.decimal_text(
        value, SEMT002, QUANTITY_TYPES[element], f"{where}/AggtBal/Qty/Qty/Qty/{element}"
    )
    build.add(aggregate, f"Qty/Qty/Qty/{element}", text)


def _fits(value: Decimal, type_name: str) -> bool:
    fraction_digits, total_digits = schema.decimal_limits(SEMT002, type_name)
    exponent = int(value.as_tuple().exponent)
    return -exponent <= fraction_digits and len(value.as_tuple().digits) <= total_digits

"""semt.002 statements of holdings: valid against the official schema, with the right numbers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from securities_rails.errors import UserError
from securities_rails.iso20022 import read, schema
from securities_rails.ledger.models import ON_CHAIN, BeneficialOwnerSet, Movement
from securities_rails.ledger.statement import (
    SEMT002,
    Balance,
    Statement,
    build_semt002,
    export_statement,
)

ISIN, ISSUED = "DE000BAY0017", 10_000  # as in conftest.py
REPORT = "SctiesBalCtdyRpt"
QUANTITY = "AggtBal/Qty/Qty/Qty"


def balances(root: Any, path: str = f"{REPORT}/BalForAcct") -> dict[str, tuple[str, str]]:
    """ISIN -> (SHOR or LONG, quantity text) of each balance under ``path``."""
    found = {}
    for entry in root.iterfind(_ns(path)):
        isin = entry.findtext(_ns("FinInstrmId/ISIN"))
        side = entry.findtext(_ns("AggtBal/ShrtLngInd"))
        quantity = entry.find(_ns(QUANTITY))[0]
        found[isin] = (side, quantity.text)
    return found


def _ns(path: str) -> str:
    uri = schema.namespace(SEMT002)
    return "/".join(f"{{{uri}}}{step}" for step in path.split("/"))


def test_a_client_statement_lists_each_isin_in_units(books: Any):
    books.register.move("ON-1", ISIN, books.alice, books.chain, 1_234, ON_CHAIN)
    root = schema.parse(export_statement(books.register, books.alice), SEMT002)
    assert read.text(root, f"{REPORT}/SfkpgAcct/Id") == books.alice
    assert read.text(root, f"{REPORT}/SfkpgAcct/Nm") == "Alice Example"
    assert (
        read.text(root, f"{REPORT}/StmtGnlDtls/StmtDtTm/Dt") == datetime.now(UTC).date().isoformat()
    )
    assert read.text(root, f"{REPORT}/StmtGnlDtls/ActvtyInd") == "true"
    assert balances(root) == {ISIN: ("LONG", "87.66")}  # 8766 hundredths (2 decimals)
    chain = schema.parse(export_statement(books.register, books.chain), SEMT002)
    assert balances(chain) == {ISIN: ("LONG", "12.34")}


def test_the_issuance_account_is_short_the_issue_and_names_its_lei(books: Any):
    root = schema.parse(export_statement(books.register, books.issuer), SEMT002)
    assert balances(root) == {ISIN: ("SHOR", "100")}
    assert read.text(root, f"{REPORT}/AcctOwnr/LEI") == "549300J4U55H3WP1XT59"


def test_an_omnibus_statement_reports_beneficial_owners_as_sub_accounts(books: Any):
    r = books.register
    r.move("T-1", ISIN, books.alice, books.bank, 3_000)
    r.set_beneficial_owners(books.bank, ISIN, {"BO-1": 1_000, "BO-2": 2_000})
    root = schema.parse(export_statement(r, books.bank), SEMT002)
    assert balances(root) == {ISIN: ("LONG", "30")}
    assert read.text(root, f"{REPORT}/StmtGnlDtls/SubAcctInd") == "true"
    owners = {
        sub.findtext(_ns("AcctOwnr/Id/PrtryId/Id")): balances(sub, "BalForSubAcct")
        for sub in root.iterfind(_ns(f"{REPORT}/SubAcctDtls"))
    }
    assert owners == {"BO-1": {ISIN: ("LONG", "10")}, "BO-2": {ISIN: ("LONG", "20")}}


def sub_accounts(root: Any) -> dict[str, dict[str, tuple[str, str]]]:
    return {
        sub.findtext(_ns("AcctOwnr/Id/PrtryId/Id")): balances(sub, "BalForSubAcct")
        for sub in root.iterfind(_ns(f"{REPORT}/SubAcctDtls"))
    }


def test_a_past_date_s_statement_reports_the_beneficial_owners_of_that_date(books: Any):
    r = books.register
    r.move("T-1", ISIN, books.alice, books.bank, 3_000)
    r.set_beneficial_owners(books.bank, ISIN, {"BO-1": 1_000, "BO-2": 2_000})
    r.move("T-2", ISIN, books.bank, books.bob, 500, debit_owner="BO-2")
    r.move("T-3", ISIN, books.alice, books.bank, 250, credit_owner="BO-3")
    with r.transaction() as session:  # all of that happened yesterday
        for row in session.scalars(select(Movement)):
            row.created_at -= timedelta(days=1)
        for mark in session.scalars(select(BeneficialOwnerSet)):
            mark.set_at -= timedelta(days=1)
    r.move("T-4", ISIN, books.bank, books.bob, 1_000, debit_owner="BO-1")  # today
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    past = schema.parse(export_statement(r, books.bank, yesterday), SEMT002)
    assert balances(past) == {ISIN: ("LONG", "27.5")}
    assert read.text(past, f"{REPORT}/StmtGnlDtls/SubAcctInd") == "true"
    assert sub_accounts(past) == {
        "BO-1": {ISIN: ("LONG", "10")},
        "BO-2": {ISIN: ("LONG", "15")},
        "BO-3": {ISIN: ("LONG", "2.5")},
    }
    today = schema.parse(export_statement(r, books.bank), SEMT002)
    assert balances(today) == {ISIN: ("LONG", "17.5")}
    assert sub_accounts(today) == {"BO-2": {ISIN: ("LONG", "15")}, "BO-3": {ISIN: ("LONG", "2.5")}}
    before = schema.parse(export_statement(r, books.bank, yesterday - timedelta(days=1)), SEMT002)
    assert balances(before) == {} and sub_accounts(before) == {}


def test_a_statement_for_a_past_date_replays_the_movements_before_its_end(books: Any):
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    root = schema.parse(export_statement(books.register, books.alice, yesterday), SEMT002)
    assert balances(root) == {}
    assert read.text(root, f"{REPORT}/StmtGnlDtls/ActvtyInd") == "false"
    assert read.text(root, f"{REPORT}/StmtGnlDtls/StmtDtTm/Dt") == yesterday.isoformat()


def test_an_unknown_account_has_no_statement(books: Any):
    with pytest.raises(UserError, match="unknown account 'NOBODY'"):
        export_statement(books.register, "NOBODY")


def test_a_quantity_beyond_eighteen_digits_is_given_in_token_units():
    big = Balance(ISIN, 10**25 + 1, 6)
    root = schema.parse(build_semt002(Statement("A-1", "Owner", date(2026, 3, 4), (big,))), SEMT002)
    (entry,) = root.iterfind(_ns(f"{REPORT}/BalForAcct"))
    quantity = entry.find(_ns(QUANTITY))[0]
    assert (quantity.tag.split("}")[1], quantity.text) == (
        "DgtlTknUnit",
        "10000000000000000000.000001",
    )


def test_the_builder_is_pure():
    statement = Statement("A-1", "Owner", date(2026, 3, 4), (Balance(ISIN, 5, 0),))
    assert build_semt002(statement) == build_semt002(statement)

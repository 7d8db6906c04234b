"""The trades package against Anvil: each action's effect, and each refusal before sending.

`desk` gives alice and bob 1,000 units each (carol none) and bob and carol 1,000,000 EUR each.
A refusal must raise a UserError naming the field and leave the signer's nonce where it was.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from suite_data import FRANCE, ISIN, USA

from securities_rails.errors import BatchError, UserError
from securities_rails.identifiers import parse_date
from securities_rails.settlement import batch, cash, iso_import, messages, trades
from securities_rails.settlement.trades import Terms

DAY = 24 * 3600
EUR = 10**6  # one euro in the cash token's units
PRICE = 2_500 * EUR


@pytest.fixture
def make_terms(settlement: Any, token: Any, eur: Any, alice: Any, bob: Any, chain: Any) -> Any:
    """make_terms(quantity=10, ...) -> Terms of alice selling to bob for 2,500 EUR in 2 days."""

    def _make(
        seller: Any = alice,
        buyer: Any = bob,
        quantity: int = 10,
        amount: int = PRICE,
        deadline: int | None = None,
    ) -> Terms:
        return Terms(
            seller=getattr(seller, "address", seller),
            buyer=getattr(buyer, "address", buyer),
            security=token.address,
            quantity=quantity,
            cash_token=eur.address,
            amount=amount,
            deadline=deadline or int(chain.pending_timestamp) + 2 * DAY,
        )

    return _make


@pytest.fixture
def matched(settlement: Any, desk: Any, make_terms: Any, alice: Any, bob: Any) -> str:
    """A matched trade: alice sells 10 units to bob for 2,500 EUR (reference M-1)."""
    trade_id = trades.instruct(settlement, alice, make_terms(), "M-1")
    trades.affirm(settlement, bob, trade_id)
    return trade_id


def refused(signer: Any, action: Callable[[], Any], field: str, *words: str) -> UserError:
    """Run `action`, expect a UserError on `field` mentioning `words`, and no transaction."""
    nonce = signer.nonce
    with pytest.raises(UserError) as caught:
        action()
    assert caught.value.field == field, str(caught.value)
    for word in words:
        assert word in caught.value.message, caught.value.message
    assert signer.nonce == nonce, "a refused action must send nothing"
    return caught.value


def status(settlement: Any, trade_id: str) -> str:
    return trades.STATUSES[int(settlement.escrow.tradeStatus(trade_id))]


# ---------------------------------------------------------------- instruct, affirm, settle


def test_the_sellers_instruction_escrows_the_units_and_proposes_the_trade(
    settlement, desk, make_terms, alice
):
    terms = make_terms()
    nonce = alice.nonce
    trade_id = trades.instruct(settlement, alice, terms, "T-1")
    assert trade_id == trades.compute_trade_id(settlement, terms, "T-1")
    assert status(settlement, trade_id) == "proposed"
    assert desk.balanceOf(alice) == 990
    assert settlement.escrow.escrowedSecurities(alice, desk.address) == 10
    assert alice.nonce == nonce + 2  # one approve (none before), one instruct


def test_an_allowance_already_large_enough_is_not_approved_again(
    settlement, desk, make_terms, bob, eur
):
    eur.approve(settlement.escrow.address, 10 * PRICE, sender=bob)
    nonce = bob.nonce
    trades.instruct(settlement, bob, make_terms(), "T-2")
    assert bob.nonce == nonce + 1
    assert settlement.escrow.escrowedCash(bob, eur.address) == PRICE


def test_the_counterparty_instructing_the_same_terms_matches_the_trade(
    settlement, desk, make_terms, alice, bob
):
    terms = make_terms()
    first = trades.instruct(settlement, bob, terms, "T-3")
    second = trades.instruct(settlement, alice, terms, "T-3")
    assert first == second
    assert status(settlement, first) == "matched"


def test_affirm_then_settle_delivers_both_legs(settlement, desk, make_terms, alice, bob, eur):
    trade_id = trades.instruct(settlement, alice, make_terms(), "T-4")
    leg = trades.affirm(settlement, bob, trade_id)
    assert (leg.side_name, leg.amount) == ("buyer", PRICE)
    assert status(settlement, trade_id) == "matched"
    trades.settle(settlement, alice, trade_id)
    assert status(settlement, trade_id) == "settled"
    assert (desk.balanceOf(alice), desk.balanceOf(bob)) == (990, 1010)
    assert (eur.balanceOf(alice), eur.balanceOf(bob)) == (PRICE, 1_000_000 * EUR - PRICE)


# ---------------------------------------------------------------- instruct refusals


@pytest.mark.parametrize(
    ("reference", "words"),
    [
        ("", ("required",)),
        ("X" * 36, ("36 bytes", "at most 35")),
        (" T-5", ("space",)),
        ("T\n5", ("not printable",)),
    ],
)
def test_an_unusable_reference_is_refused(settlement, desk, make_terms, alice, reference, words):
    refused(
        alice,
        lambda: trades.instruct(settlement, alice, make_terms(), reference),
        "reference",
        *words,
    )


def test_terms_the_escrow_would_refuse_are_refused_naming_the_field(
    settlement, desk, make_terms, alice, bob, chain
):
    now = int(chain.pending_timestamp)
    cases = [
        (make_terms(quantity=0), "quantity", "above zero"),
        (make_terms(amount=0), "amount", "above zero"),
        (make_terms(deadline=now - 1), "deadline", "not in the future"),
        (make_terms(deadline=now + 366 * DAY), "deadline", "365 days"),
        (make_terms(buyer=alice), "buyer", "another wallet"),
        (make_terms(buyer=settlement.escrow.address), "buyer", "escrow cannot be a party"),
    ]
    for terms, field, words in cases:
        refused(alice, lambda t=terms: trades.instruct(settlement, alice, t, "T-6"), field, words)


def test_a_signer_who_is_not_a_party_cannot_instruct(settlement, desk, make_terms, carol):
    refused(
        carol,
        lambda: trades.instruct(settlement, carol, make_terms(), "T-7"),
        "account",
        "neither the seller",
    )


def test_a_seller_short_of_units_is_refused(settlement, desk, make_terms, alice):
    refused(
        alice,
        lambda: trades.instruct(settlement, alice, make_terms(quantity=1001), "T-8"),
        "quantity",
        "1000 units not frozen",
        "needs 1001",
    )


def test_frozen_units_do_not_count(settlement, desk, make_terms, alice, enforcer):
    desk.freezePartialTokens(alice, 995, sender=enforcer)
    refused(
        alice,
        lambda: trades.instruct(settlement, alice, make_terms(quantity=10), "T-9"),
        "quantity",
        "5 units not frozen",
    )


def test_a_seller_the_rules_refuse_gets_the_decoded_reason(
    settlement, desk, make_terms, alice, enforcer
):
    desk.setAddressFrozen(alice, True, sender=enforcer)
    error = refused(
        alice,
        lambda: trades.instruct(settlement, alice, make_terms(), "T-10"),
        "seller",
        "SENDER_FROZEN",
        "fix:",
    )
    assert "revert" not in str(error).lower()


def test_a_buyer_short_of_cash_is_refused(settlement, desk, make_terms, bob):
    refused(
        bob,
        lambda: trades.instruct(settlement, bob, make_terms(amount=2_000_000 * EUR), "T-11"),
        "amount",
        "holds 1000000.000000",
    )


def test_a_settled_trade_id_needs_a_new_reference(settlement, matched, alice):
    terms = trades.read_trade(settlement, matched).terms()
    trades.settle(settlement, alice, matched)
    error = refused(
        alice,
        lambda: trades.instruct(settlement, alice, terms, "M-1"),
        "reference",
        "is settled",
        "new reference",
    )
    assert matched in error.message


def test_a_party_whose_leg_is_escrowed_cannot_instruct_again(settlement, desk, make_terms, alice):
    terms = make_terms()
    trades.instruct(settlement, alice, terms, "T-12")
    refused(
        alice,
        lambda: trades.instruct(settlement, alice, terms, "T-12"),
        "trade",
        "already holds the seller's leg",
    )


# ---------------------------------------------------------------- affirm refusals


def test_affirm_refusals(settlement, desk, make_terms, alice, bob, carol, chain):
    unknown = "0x" + "ab" * 32
    refused(bob, lambda: trades.affirm(settlement, bob, unknown), "trade", "no trade")
    trade_id = trades.instruct(settlement, alice, make_terms(), "T-13")
    refused(carol, lambda: trades.affirm(settlement, carol, trade_id), "account", "neither")
    refused(alice, lambda: trades.affirm(settlement, alice, trade_id), "trade", "already holds")
    chain.pending_timestamp += 3 * DAY
    refused(bob, lambda: trades.affirm(settlement, bob, trade_id), "trade", "expired")


# ---------------------------------------------------------------- settle refusals


def test_a_proposed_trade_cannot_be_settled(settlement, desk, make_terms, alice):
    trade_id = trades.instruct(settlement, alice, make_terms(), "T-14")
    refused(
        alice,
        lambda: trades.settle(settlement, alice, trade_id),
        "trade",
        "proposed, not matched",
    )


def test_an_expired_trade_cannot_be_settled(settlement, matched, alice, chain):
    chain.pending_timestamp += 2 * DAY
    refused(alice, lambda: trades.settle(settlement, alice, matched), "trade", "expired")


def test_a_buyer_whose_eligibility_lapsed_is_refused_with_the_decoded_reason(
    settlement, desk, make_terms, register, alice, outsider, issuer, eur, chain
):
    register(outsider, "late", FRANCE, expiry=int(chain.pending_timestamp) + DAY)
    eur.mint(outsider, PRICE, sender=issuer)
    terms = make_terms(buyer=outsider, deadline=int(chain.pending_timestamp) + 3 * DAY)
    trade_id = trades.instruct(settlement, alice, terms, "T-15")
    trades.affirm(settlement, outsider, trade_id)
    chain.pending_timestamp += 2 * DAY
    refused(
        alice,
        lambda: trades.settle(settlement, alice, trade_id),
        "trade",
        "RECIPIENT_ELIGIBILITY_EXPIRED",
        outsider.address,
    )
    assert status(settlement, trade_id) == "matched"


# ---------------------------------------------------------------- batches


def test_a_batch_settles_what_it_can_and_reports_each_trade(
    settlement, desk, make_terms, alice, bob, carol, outsider, register, eur, issuer, chain
):
    now = int(chain.pending_timestamp)
    good = trades.instruct(settlement, alice, make_terms(), "B-1")
    trades.affirm(settlement, bob, good)
    register(outsider, "late", USA, expiry=now + DAY)
    eur.mint(outsider, PRICE, sender=issuer)
    lapsed = trades.instruct(
        settlement, alice, make_terms(buyer=outsider, deadline=now + 3 * DAY), "B-2"
    )
    trades.affirm(settlement, outsider, lapsed)
    alone = trades.instruct(settlement, alice, make_terms(buyer=carol), "B-3")
    chain.pending_timestamp += 2 * DAY - 60  # outsider's eligibility lapsed; deadlines ahead
    results = trades.settle_batch(settlement, carol, [good, lapsed, alone])
    assert [(r.trade_id, r.reference, r.settled) for r in results] == [
        (good, "B-1", True),
        (lapsed, "B-2", False),
        (alone, "B-3", False),
    ]
    assert results[0].reason == "OK"
    assert "RECIPIENT_ELIGIBILITY_EXPIRED" in results[1].reason
    assert "eligibility has expired" in results[1].reason
    assert results[2].reason.startswith("NOT_MATCHED")
    assert [status(settlement, t) for t in (good, lapsed, alone)] == [
        "settled",
        "matched",
        "proposed",
    ]
    assert desk.balanceOf(bob) == 1010 and desk.balanceOf(outsider) == 0


def test_a_batch_is_refused_whole_when_an_id_is_unknown_repeated_or_missing(
    settlement, matched, bob
):
    unknown = "0x" + "cd" * 32
    refused(bob, lambda: trades.settle_batch(settlement, bob, []), "trade", "1 to 100")
    refused(bob, lambda: trades.settle_batch(settlement, bob, [matched, unknown]), "trade", unknown)
    refused(bob, lambda: trades.settle_batch(settlement, bob, [matched, matched]), "trade", "twice")
    assert status(settlement, matched) == "matched"


# ---------------------------------------------------------------- cancel and reclaim


def test_the_proposer_withdraws_and_takes_its_units_back(settlement, desk, make_terms, alice):
    trade_id = trades.instruct(settlement, alice, make_terms(), "C-1")
    assert trades.cancel(settlement, alice, trade_id) == "cancelled"
    refused(alice, lambda: trades.cancel(settlement, alice, trade_id), "trade", "cancelled")
    checked = trades.reclaim(settlement, alice, trade_id)
    assert (checked.leg.side_name, checked.to, checked.direct) == ("seller", alice.address, True)
    assert desk.balanceOf(alice) == 1000
    again = lambda: trades.reclaim(settlement, alice, trade_id)  # noqa: E731
    refused(alice, again, "trade", "not in the escrow")


def test_a_matched_trade_is_cancelled_only_once_both_parties_ask(
    settlement, matched, alice, bob, carol, eur
):
    refused(carol, lambda: trades.cancel(settlement, carol, matched), "account", "neither")
    assert trades.cancel(settlement, alice, matched) == "matched"
    refused(alice, lambda: trades.cancel(settlement, alice, matched), "trade", "already asked")
    refused(bob, lambda: trades.reclaim(settlement, bob, matched), "trade", "matched")
    assert trades.cancel(settlement, bob, matched) == "cancelled"
    trades.reclaim(settlement, bob, matched)
    assert eur.balanceOf(bob) == 1_000_000 * EUR


def test_both_legs_come_back_after_the_deadline(settlement, matched, alice, bob, desk, eur, chain):
    refused(alice, lambda: trades.reclaim(settlement, alice, matched), "trade", "matched")
    chain.pending_timestamp += 2 * DAY
    refused(alice, lambda: trades.cancel(settlement, alice, matched), "trade", "expired")
    trades.reclaim(settlement, alice, matched)
    trades.reclaim(settlement, bob, matched)
    assert status(settlement, matched) == "expired"
    assert (desk.balanceOf(alice), eur.balanceOf(bob)) == (1000, 1_000_000 * EUR)
    assert settlement.escrow.escrowedSecurities(alice, desk.address) == 0


def test_a_leg_goes_to_another_wallet_of_its_investor_and_nowhere_else(
    settlement, matched, alice, bob, accounts, register, desk, chain
):
    second = accounts.generate_test_account()
    register(second, "alice")  # alice's investor, a second wallet
    chain.pending_timestamp += 2 * DAY
    to_bob = lambda: trades.reclaim(settlement, alice, matched, to=bob.address)  # noqa: E731
    refused(alice, to_bob, "to", "owner")
    checked = trades.reclaim(settlement, alice, matched, to=second.address)
    assert (checked.to, checked.direct) == (second.address, False)
    assert (desk.balanceOf(second), desk.balanceOf(alice)) == (10, 990)


def test_a_stranger_cannot_reclaim(settlement, matched, carol, chain):
    chain.pending_timestamp += 2 * DAY
    refused(carol, lambda: trades.reclaim(settlement, carol, matched), "account", "neither a party")


# ---------------------------------------------------------------- naming trades


def test_a_trade_is_found_by_its_id_or_its_reference(settlement, matched):
    assert trades.resolve_trade(settlement, "M-1") == matched
    assert trades.resolve_trade(settlement, matched.upper().replace("0X", "0x")) == matched
    with pytest.raises(UserError, match="no trade has the id or reference 'NOPE'"):
        trades.resolve_trade(settlement, "NOPE")
    with pytest.raises(UserError, match="no trade 0x"):
        trades.resolve_trade(settlement, "0x" + "00" * 32)


def test_a_reference_two_pairs_use_must_be_given_as_an_id(
    settlement, desk, make_terms, alice, carol
):
    first = trades.instruct(settlement, alice, make_terms(), "SAME")
    second = trades.instruct(settlement, carol, make_terms(buyer=carol), "SAME")
    with pytest.raises(UserError) as caught:
        trades.resolve_trade(settlement, "SAME")
    assert "2 trades have the reference 'SAME'" in str(caught.value)
    assert first in str(caught.value) and second in str(caught.value)


# ---------------------------------------------------------------- parsing user input


def test_terms_are_parsed_into_units_with_each_tokens_decimals(
    settlement, suite, desk, eur, alice, bob, chain
):
    now = int(chain.pending_timestamp)
    terms = trades.parse_terms(
        suite,
        settlement,
        isin=ISIN,
        seller=alice.address.lower(),
        buyer=bob.address,
        quantity="25",
        currency="eur",
        amount="62500.5",
        deadline="3d",
        now=now,
    )
    assert terms == Terms(
        alice.address, bob.address, desk.address, 25, eur.address, 62_500_500_000, now + 3 * DAY
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", 90),
        ("30m", 1800),
        ("2h", 7200),
        ("1w", 7 * DAY),
    ],
)
def test_a_deadline_may_be_a_duration(text, expected):
    assert trades.parse_deadline(text, 1_000) == 1_000 + expected


def test_a_deadline_date_means_the_end_of_that_day_utc():
    assert trades.parse_deadline("2026-06-30", 0) == parse_date("2026-07-01")
    assert trades.parse_deadline("2026-06-30T12:00:00Z", 0) == parse_date("2026-06-30T12:00:00Z")
    with pytest.raises(UserError, match="deadline: 'soon' is not a date"):
        trades.parse_deadline("soon", 0)


def test_a_currency_without_a_cash_token_is_named(settlement, suite, token, eur, alice, bob):
    with pytest.raises(UserError) as caught:
        trades.parse_terms(
            suite,
            settlement,
            isin=ISIN,
            seller=alice.address,
            buyer=bob.address,
            quantity="1",
            currency="USD",
            amount="1",
            deadline="1d",
        )
    assert caught.value.field == "currency"
    assert "no cash token for USD" in caught.value.message and "EUR" in caught.value.message


# ---------------------------------------------------------------- many instructions


def _csv(tmp_path: Any, lines: list[str]) -> Any:
    path = tmp_path / "trades.csv"
    header = "isin,seller,buyer,quantity,currency,amount,reference,deadline"
    path.write_text("\n".join([header, *lines]) + "\n")
    return path


def test_instructions_from_a_file_all_land(settlement, suite, desk, alice, bob, carol, tmp_path):
    path = _csv(
        tmp_path,
        [
            f"{ISIN},{alice.address},{bob.address},10,EUR,2500,F-1,2d",
            f"{ISIN},{alice.address},{carol.address},20,EUR,5000,F-2,2026-12-31T00:00:00Z",
        ],
    )
    rows = batch.read_instructions(path, suite, settlement)
    ids = batch.instruct_many(settlement, alice, rows, str(path))
    assert [status(settlement, t) for t in ids] == ["proposed", "proposed"]
    assert [settlement.escrow.trade(t).tradeRef for t in ids] == ["F-1", "F-2"]
    assert desk.balanceOf(alice) == 970


def test_a_file_whose_rows_together_exceed_the_balance_sends_nothing(
    settlement, suite, desk, alice, bob, carol, tmp_path
):
    path = _csv(
        tmp_path,
        [
            f"{ISIN},{alice.address},{bob.address},600,EUR,2500,F-3,2d",
            f"{ISIN},{alice.address},{carol.address},600,EUR,2500,F-4,2d",
            f"{ISIN},{bob.address},{carol.address},1,EUR,1,F-5,2d",
        ],
    )
    rows = batch.read_instructions(path, suite, settlement)
    nonce = alice.nonce
    with pytest.raises(BatchError) as caught:
        batch.instruct_many(settlement, alice, rows, str(path))
    assert [(e.row, e.field) for e in caught.value.errors] == [(2, "quantity"), (3, "account")]
    assert alice.nonce == nonce


def test_bad_rows_are_all_named_before_the_chain_is_asked(
    settlement, suite, desk, alice, bob, tmp_path
):
    path = _csv(
        tmp_path,
        [
            f"US0378331006,{alice.address},{bob.address},1,EUR,1,F-6,2d",
            f"{ISIN},{alice.address},0x12,1,EUR,1,F-7,2d",
            f"{ISIN},{alice.address},{bob.address},1,GBP,1,F-8,2d",
            f"{ISIN},{alice.address},{bob.address},1,EUR,1,{'X' * 36},2d",
            f"{ISIN},{alice.address},{bob.address},1,EUR,1,F-9,tomorrow",
        ],
    )
    with pytest.raises(BatchError) as caught:
        batch.read_instructions(path, suite, settlement)
    assert [(e.row, e.field) for e in caught.value.errors] == [
        (1, "isin"),
        (2, "buyer"),
        (3, "currency"),
        (4, "reference"),
        (5, "deadline"),
    ]


# ---------------------------------------------------------------- the cash leg


def test_only_the_cash_issuer_mints_and_a_holder_must_approve_a_burn(eur, issuer, alice, bob):
    refused(alice, lambda: cash.mint_cash(eur, alice, bob.address, EUR), "account", "lacks")
    cash.mint_cash(eur, issuer, alice.address, 5 * EUR)
    too_much = lambda: cash.burn_cash(eur, issuer, alice.address, 6 * EUR)  # noqa: E731
    refused(issuer, too_much, "amount", "holds")
    refused(issuer, lambda: cash.burn_cash(eur, issuer, alice.address, EUR), "from", "approve")
    eur.approve(issuer, EUR, sender=alice)
    cash.burn_cash(eur, issuer, alice.address, EUR)
    assert eur.balanceOf(alice) == 4 * EUR


# ---------------------------------------------------------------- ISO 20022 sese.023 in


def _instruction(owner: Any, counterparty: Any, movement: str, day: Any, **changes: Any) -> Any:
    fields = {
        "message_id": "ISO-7",
        "reference": "ISO-7",
        "movement": movement,
        "payment": "against",
        "isin": ISIN,
        "quantity": Decimal("10"),
        "cash_amount": Decimal("2500"),
        "currency": "EUR",
        "trade_date": None,
        "settlement_date": day,
        "account_owner_wallet": owner.address,
        "counterparty_wallet": counterparty.address,
    }
    return messages.SettlementInstruction(**(fields | changes))


@pytest.fixture
def day(chain: Any) -> Any:
    """The day after tomorrow, chain time (UTC)."""
    return (datetime.fromtimestamp(int(chain.pending_timestamp), UTC) + timedelta(days=2)).date()


ELEMENT = "Document/SctiesSttlmTxInstr/"


@pytest.mark.parametrize(
    ("changes", "where", "words"),
    [
        ({"quantity": Decimal("10.5")}, "QtyAndAcctDtls/SttlmQty/Qty/Unit", "decimal places"),
        ({"quantity": Decimal("5000")}, "QtyAndAcctDtls/SttlmQty/Qty/Unit", "not frozen"),
        ({"isin": "DE0005190003"}, "FinInstrmId/ISIN", "unknown instrument"),
        ({"currency": "JPY"}, "SttlmAmt/Amt/@Ccy", "no cash token for JPY"),
        ({"settlement_date": date(2020, 1, 1)}, "TradDtls/SttlmDt", "not in the future"),
    ],
)
def test_an_imported_instruction_is_refused_naming_its_element(
    settlement, suite, desk, alice, bob, day, changes, where, words
):
    instruction = _instruction(alice, bob, "deliver", day, **changes)
    error = refused(
        alice,
        lambda: iso_import.import_instruction(suite, settlement, alice, instruction),
        ELEMENT + where,
        words,
    )
    assert "revert" not in str(error).lower()


def test_an_imported_instruction_matches_the_counterpartys_proposal(
    settlement, suite, desk, alice, bob, day
):
    proposed = iso_import.import_instruction(
        suite, settlement, alice, _instruction(alice, bob, "deliver", day)
    )
    matched = iso_import.import_instruction(
        suite, settlement, bob, _instruction(bob, alice, "receive", day)
    )
    assert proposed == matched and status(settlement, matched) == "matched"
    trade = trades.read_trade(settlement, matched)
    end_of_day = datetime.combine(day + timedelta(days=1), datetime.min.time(), UTC)
    assert trade.deadline == int(end_of_day.timestamp())


def test_a_different_settlement_date_from_the_counterparty_is_named(
    settlement, suite, desk, alice, bob, day
):
    iso_import.import_instruction(
        suite, settlement, alice, _instruction(alice, bob, "deliver", day)
    )
    later = _instruction(bob, alice, "receive", day + timedelta(days=1))
    error = refused(
        bob,
        lambda: iso_import.import_instruction(suite, settlement, bob, later),
        ELEMENT + "TradDtls/SttlmDt",
        "does not match the trade's deadline",
    )
    assert "agree a new reference" in error.message


def test_only_the_account_owner_imports_an_instruction(settlement, suite, desk, alice, bob, day):
    instruction = _instruction(alice, bob, "deliver", day)
    refused(
        bob,
        lambda: iso_import.import_instruction(suite, settlement, bob, instruction),
        ELEMENT + "QtyAndAcctDtls/BlckChainAdrOrWllt/Id",
        "not the signer",
    )

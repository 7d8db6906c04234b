"""Splits and consolidations: announce, apply in batches, claim, hold and release as an agent, a
holder and a registrar rely on them; every refusal is a UserError naming what is wrong, before
anything is sent.

The share of tests/unit/lifecycle/conftest.py (0 decimals, enabled: the splits contract holds its
corporate-action and issuer roles) with alice holding 1,000 and bob 3,000; carol registered.
"""

from __future__ import annotations

from typing import Any

import pytest
from suite_data import FRANCE

from securities_rails.chain.contracts import pending_timestamp
from securities_rails.chain.revert import explain_error
from securities_rails.chain.transact import send
from securities_rails.errors import UserError
from securities_rails.lifecycle import splits, state
from securities_rails.lifecycle.deploy import ISSUER_ROLE

DAY = 24 * 3600


def terms_for(
    desk: Any,
    ratio: tuple[int, int] = (2, 1),
    kind: str | None = None,
    record_in: int = DAY,
    deadline_in: int = 30 * DAY,
) -> splits.SplitTerms:
    now = pending_timestamp()
    return splits.SplitTerms(
        token=desk.token.address,
        kind=kind or splits.kind_of(*ratio),
        numerator=ratio[0],
        denominator=ratio[1],
        record_date=now + record_in,
        deadline=now + deadline_in,
    )


def announced(desk: Any, ratio: tuple[int, int], ref: str = "SPLIT-1") -> tuple[int, Any]:
    terms = terms_for(desk, ratio)
    return splits.announce(desk.lifecycle, desk.agent, terms, ref), terms


def wallets(desk: Any) -> list[Any]:
    return [desk.alice, desk.bob, desk.carol]


def balances(desk: Any) -> list[int]:
    return [int(desk.token.balanceOf(w)) for w in wallets(desk)]


# ---------------------------------------------------------------- splits


def test_a_2_for_1_split_applied_in_batches_doubles_the_holdings_at_the_record_date(
    share_desk, chain
):
    desk = share_desk
    desk.token.mint(desk.carol, 7, sender=desk.issuer)
    sid, terms = announced(desk, (2, 1))
    s = splits.read(desk.lifecycle, sid)
    assert (s.kind, s.ratio, s.event_ref, s.issuer) == (
        "split",
        "2:1",
        "SPLIT-1",
        desk.agent.address,
    )
    assert splits.find_by_reference(desk.lifecycle, "SPLIT-1") == sid
    chain.mine(timestamp=terms.record_date + 1)
    desk.token.transfer(desk.bob, 400, sender=desk.alice)  # after the record date: changes nothing
    supply = int(desk.token.totalSupply())
    before = balances(desk)  # 600, 3400, 7

    seen: list[tuple[int, int]] = []
    result = splits.apply_to(
        desk.lifecycle, desk.agent, sid, batch_size=2, progress=lambda d, t: seen.append((d, t))
    )
    assert len(result.transactions) == 2 and seen == [(2, 3), (3, 3)]
    minted = {row.holder: row.units for row in result.rows}
    assert minted == {desk.alice.address: 1000, desk.bob.address: 3000, desk.carol.address: 7}
    assert {row.outcome for row in result.rows} == {"applied"}
    assert balances(desk) == [before[0] + 1000, before[1] + 3000, before[2] + 7]
    assert int(desk.token.totalSupply()) == supply + 4007 == 2 * 4007
    s = splits.read(desk.lifecycle, sid)
    assert splits.totals(s) == {"minted": 4007, "burned": 0, "held": 0}
    assert splits.entry(desk.lifecycle, sid, desk.bob.address) == ("applied", 3000)

    again = splits.apply_to(desk.lifecycle, desk.agent, sid)  # a re-run mints nobody twice
    assert {(row.outcome, row.reason) for row in again.rows} == {("skipped", "ALREADY_APPLIED")}
    assert int(desk.token.totalSupply()) == 2 * 4007
    rows = {row.holder: row for row in splits.status_rows(desk.lifecycle, sid)}
    assert (rows[desk.alice.address].balance_at_record, rows[desk.alice.address].due) == (
        1000,
        1000,
    )
    assert rows[desk.carol.address].status == "applied"


def test_a_3_for_2_split_rounds_down_per_holder_and_a_holder_claims_its_own(
    share_desk, chain, nothing_sent
):
    desk = share_desk
    desk.token.mint(desk.carol, 7, sender=desk.issuer)
    sid, terms = announced(desk, (3, 2))
    chain.mine(timestamp=terms.record_date + 1)
    assert splits.check_claim(desk.lifecycle, desk.carol.address, sid) == 3  # floor(7 * 3/2) - 7
    result = splits.claim(desk.lifecycle, desk.carol, sid)
    assert (result.outcome, result.units, result.reason) == ("applied", 3, None)
    assert int(desk.token.balanceOf(desk.carol)) == 10
    with nothing_sent((desk.token, desk.carol)), pytest.raises(UserError) as refused:
        splits.claim(desk.lifecycle, desk.carol, sid)
    assert refused.value.field == "split" and "already applied" in refused.value.message

    rows = {r.holder: r for r in splits.apply_to(desk.lifecycle, desk.agent, sid).rows}
    assert (rows[desk.alice.address].outcome, rows[desk.alice.address].units) == ("applied", 500)
    assert rows[desk.bob.address].units == 1500
    assert rows[desk.carol.address].reason == "ALREADY_APPLIED"
    assert balances(desk) == [1500, 4500, 10]
    assert splits.read(desk.lifecycle, sid).minted == 2003


# ---------------------------------------------------------------- consolidation


def test_a_1_for_10_consolidation_burns_while_the_instrument_is_suspended(
    share_desk, chain, nothing_sent
):
    desk = share_desk
    desk.token.mint(desk.carol, 7, sender=desk.issuer)
    state.set_state(desk.token, desk.agent, "suspended")
    sid, terms = announced(desk, (1, 10), "CONS-1")
    assert splits.read(desk.lifecycle, sid).kind == "consolidation"
    chain.mine(timestamp=terms.record_date + 1)
    assert splits.entitlement(desk.lifecycle, sid, desk.bob.address) == 2700

    result = splits.apply_to(desk.lifecycle, desk.agent, sid, [desk.alice.address])
    assert [(r.outcome, r.units) for r in result.rows] == [("applied", 900)]
    state.set_state(desk.token, desk.agent, "active")  # resumed too early: nothing more is burned
    with nothing_sent((desk.token, desk.bob)), pytest.raises(UserError) as refused:
        splits.apply_to(desk.lifecycle, desk.agent, sid)
    assert refused.value.field == "instrument" and "suspended" in refused.value.message

    state.set_state(desk.token, desk.agent, "suspended")
    rows = {r.holder: r for r in splits.apply_to(desk.lifecycle, desk.agent, sid).rows}
    assert rows[desk.bob.address].units == 2700 and rows[desk.carol.address].units == 7
    assert rows[desk.alice.address].reason == "ALREADY_APPLIED"
    assert balances(desk) == [100, 300, 0]  # carol's 7 round down to 0: cash in lieu off-chain
    assert int(desk.token.totalSupply()) == 400
    assert splits.totals(splits.read(desk.lifecycle, sid)) == {
        "minted": 0,
        "burned": 3607,
        "held": 0,
    }


# ---------------------------------------------------------------- held and released


def test_a_frozen_holders_new_units_are_held_then_minted_or_released(
    share_desk, chain, register, outsider, nothing_sent
):
    desk = share_desk
    desk.token.mint(desk.carol, 50, sender=desk.issuer)
    sid, terms = announced(desk, (2, 1))
    chain.mine(timestamp=terms.record_date + 1)
    desk.token.setAddressFrozen(desk.bob, True, sender=desk.enforcer)
    desk.token.setAddressFrozen(desk.carol, True, sender=desk.enforcer)
    rows = {r.holder: r for r in splits.apply_to(desk.lifecycle, desk.agent, sid).rows}
    assert (rows[desk.bob.address].outcome, rows[desk.bob.address].units) == ("held", 3000)
    assert rows[desk.bob.address].reason == "RECIPIENT_FROZEN"
    assert "frozen" in splits.reason_text("RECIPIENT_FROZEN")
    assert splits.entry(desk.lifecycle, sid, desk.carol.address) == ("held", 50)
    assert balances(desk) == [2000, 3000, 50]
    assert splits.read(desk.lifecycle, sid).held == 3050

    with nothing_sent((desk.token, desk.carol)), pytest.raises(UserError) as refused:
        splits.claim(desk.lifecycle, desk.carol, sid)
    assert refused.value.field == "account" and "RECIPIENT_FROZEN" in refused.value.message

    # carol unfrozen after the deadline: her held units are still minted, exactly once
    chain.mine(timestamp=terms.deadline + 1)
    desk.token.setAddressFrozen(desk.carol, False, sender=desk.enforcer)
    rows = {r.holder: r for r in splits.apply_to(desk.lifecycle, desk.agent, sid).rows}
    assert (rows[desk.carol.address].outcome, rows[desk.carol.address].units) == ("applied", 50)
    assert rows[desk.bob.address].reason == "RECIPIENT_FROZEN"
    assert int(desk.token.balanceOf(desk.carol)) == 100

    # bob stays frozen: the registrar releases his new units to his investor's other wallet
    register(outsider, "bob", FRANCE, category=2)
    with nothing_sent((desk.token, desk.alice)), pytest.raises(UserError) as refused:
        splits.release(desk.lifecycle, desk.registrar, sid, desk.bob.address, [desk.alice.address],
                       [3000])  # fmt: skip
    assert refused.value.field == "to"
    assert (
        splits.release(
            desk.lifecycle, desk.registrar, sid, desk.bob.address, [outsider.address], [3000]
        )
        == 3000
    )
    assert int(desk.token.balanceOf(outsider)) == 3000
    assert splits.entry(desk.lifecycle, sid, desk.bob.address) == ("released", 0)
    s = splits.read(desk.lifecycle, sid)
    assert (s.minted, s.held) == (4050, 0)
    again = {r.holder: r for r in splits.apply_to(desk.lifecycle, desk.agent, sid).rows}
    assert again[desk.bob.address].reason == "RELEASED"
    assert int(desk.token.totalSupply()) == 2 * 4050


# ---------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2", "is not a ratio"),
        ("a:b", "is not a ratio"),
        ("1:1", "changes nothing"),
        ("0:1", "each term is 1 to 1,000,000"),
        ("2000000:1", "each term is 1 to 1,000,000"),
    ],
)
def test_a_ratio_that_is_not_n_to_d_is_refused(text, message):
    with pytest.raises(UserError, match=message) as refused:
        splits.parse_ratio(text)
    assert refused.value.field == "ratio"


def test_parse_ratio_gives_numerator_and_denominator():
    assert splits.parse_ratio("3:2") == (3, 2)
    assert splits.parse_ratio(" 1 : 10 ") == (1, 10)
    assert splits.kind_of(1, 10) == "consolidation" and splits.kind_of(3, 2) == "split"


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"numerator": 1, "denominator": 2}, "ratio", "is not a split"),
        ({"kind": "consolidation"}, "ratio", "is not a consolidation"),
        ({"numerator": 2_000_000}, "ratio", "each term is 1 to 1,000,000"),
        ({"record_date": 1}, "record_date", "is in the past"),
        ({"record_date": "far"}, "record_date", "more than 3650 days ahead"),
        ({"deadline": "before"}, "deadline", "is not after the record date"),
        ({"kind": "reverse"}, "kind", "unknown kind"),
    ],
)
def test_unusable_terms_are_refused_before_sending(
    share_desk, nothing_sent, change, field, message
):
    desk = share_desk
    terms = terms_for(desk)
    values = dict(terms.__dict__)
    for name, value in change.items():
        if value == "far":
            value = pending_timestamp() + 3651 * DAY
        if value == "before":
            value = terms.record_date
        values[name] = value
    with nothing_sent((desk.token, desk.alice)), pytest.raises(UserError, match=message) as refused:
        splits.announce(desk.lifecycle, desk.agent, splits.SplitTerms(**values), "SPLIT-X")
    assert refused.value.field == field


@pytest.mark.parametrize("reference", ["", "R" * 36])
def test_a_reference_of_0_or_36_bytes_is_refused(share_desk, nothing_sent, reference):
    with nothing_sent(), pytest.raises(UserError) as refused:
        splits.announce(share_desk.lifecycle, share_desk.agent, terms_for(share_desk), reference)
    assert refused.value.field == "reference"


def test_only_the_corporate_action_agent_announces_and_applies(share_desk, chain, nothing_sent):
    desk = share_desk
    with nothing_sent(), pytest.raises(UserError, match="CORPORATE_ACTION_ROLE") as refused:
        splits.announce(desk.lifecycle, desk.alice, terms_for(desk), "SPLIT-X")
    assert refused.value.field == "account"
    sid, terms = announced(desk, (2, 1))
    with nothing_sent(), pytest.raises(UserError, match="has not passed") as refused:
        splits.apply_to(desk.lifecycle, desk.agent, sid, [desk.alice.address])
    assert refused.value.field == "split"
    chain.mine(timestamp=terms.record_date + 1)
    with nothing_sent(), pytest.raises(UserError, match="CORPORATE_ACTION_ROLE") as refused:
        splits.apply_to(desk.lifecycle, desk.alice, sid)
    assert refused.value.field == "account"
    with nothing_sent(), pytest.raises(UserError, match="1 to 100 holders") as refused:
        splits.apply_to(desk.lifecycle, desk.agent, sid, batch_size=101)
    assert refused.value.field == "batch_size"
    with nothing_sent(), pytest.raises(UserError, match="due nothing") as refused:
        splits.claim(desk.lifecycle, desk.carol, sid)
    assert refused.value.field == "account"
    with nothing_sent(), pytest.raises(UserError, match="registrar") as refused:
        splits.release(desk.lifecycle, desk.agent, sid, desk.bob.address, [desk.carol.address], [1])
    assert refused.value.field == "account"
    with nothing_sent(), pytest.raises(UserError, match="no held units") as refused:
        splits.release(
            desk.lifecycle, desk.registrar, sid, desk.bob.address, [desk.carol.address], [1]
        )
    assert refused.value.field == "holder"
    with nothing_sent(), pytest.raises(UserError, match="no split or consolidation 9"):
        splits.read(desk.lifecycle, 9)


def test_a_bond_is_not_split_and_its_splits_contract_holds_no_role(bond_desk, nothing_sent):
    desk = bond_desk
    assert not desk.token.hasRole(ISSUER_ROLE, desk.lifecycle.splits)
    with nothing_sent(), pytest.raises(UserError, match="is not a share") as refused:
        splits.announce(desk.lifecycle, desk.agent, terms_for(desk), "SPLIT-X")
    assert refused.value.field == "instrument"


def test_a_consolidation_needs_the_instrument_suspended_and_nothing_is_announced_paused(
    share_desk, pauser, nothing_sent
):
    desk = share_desk
    with (
        nothing_sent(),
        pytest.raises(UserError, match="only while the instrument is suspended") as refused,
    ):
        splits.announce(desk.lifecycle, desk.agent, terms_for(desk, (1, 10)), "CONS-X")
    assert refused.value.field == "instrument"
    desk.token.pause(sender=pauser)
    with nothing_sent(), pytest.raises(UserError, match="is paused") as refused:
        splits.announce(desk.lifecycle, desk.agent, terms_for(desk), "SPLIT-X")
    assert refused.value.field == "instrument"


def test_a_split_overlapping_the_previous_ones_deadline_is_refused(share_desk, nothing_sent):
    desk = share_desk
    _, first = announced(desk, (2, 1))
    overlapping = terms_for(desk, (3, 1), record_in=20 * DAY, deadline_in=40 * DAY)
    assert overlapping.record_date <= first.deadline
    with nothing_sent(), pytest.raises(UserError, match="would overlap") as refused:
        splits.announce(desk.lifecycle, desk.agent, overlapping, "SPLIT-2")
    assert refused.value.field == "record_date"
    later = terms_for(desk, (3, 1), record_in=31 * DAY, deadline_in=40 * DAY)
    assert splits.announce(desk.lifecycle, desk.agent, later, "SPLIT-2") == 2


# ---------------------------------------------------------------- reverts past the checks


def test_a_revert_past_the_checks_still_reads_as_a_sentence(share_desk, chain):
    desk = share_desk
    sid, terms = announced(desk, (2, 1))
    chain.mine(timestamp=terms.record_date + 1)
    descending = sorted([desk.alice.address, desk.bob.address], key=lambda a: -int(a, 16))
    with pytest.raises(UserError) as refused:
        send(desk.lifecycle.splits.applyTo, sid, descending, sender=desk.agent, field="holders")
    assert refused.value.message == "a batch holds 1 to 100 wallets in ascending order, not 2"
    with pytest.raises(UserError) as refused:
        send(desk.lifecycle.splits.claim, sid, sender=desk.carol, field="split")
    assert refused.value.message == f"{desk.carol.address} is due nothing in split {sid} (no " + (
        "units at the record date, or rounded to 0)"
    )
    overlapping = terms_for(desk, (3, 1), record_in=2 * DAY).as_tuple()
    with pytest.raises(UserError, match=f"deadline .* of split {sid} of the instrument .* overlap"):
        send(desk.lifecycle.splits.announce, overlapping, "S-2", sender=desk.agent, field="terms")


@pytest.mark.parametrize(
    ("name", "inputs", "expected"),
    [
        ("InvalidTerms", {"field": b"recordDate"}, "the contract refuses the terms' recordDate"),
        ("InvalidBatch", {"length": 0, "max": 50}, "a batch holds 1 to 50 trades, not 0"),
        ("InvalidBatch", {"size": 0, "max": 100}, "a batch holds 1 to 100 wallets in ascending "),
        ("InvalidInstrumentState", {"token": "0xT", "state": 0}, "0xT is active: the action"),
        ("Underfunded", {"id": 3, "required": 10, "funded": 4}, "action 3 is underfunded"),
        ("HolderNotEligible", {"id": 1, "holder": "0xH", "reason": b"SYSTEM_ACCOUNT"}, "now: SYS"),
        (
            "RecordDateNotPassed",
            {"token": "0xT", "id": 2, "timestamp": DAY},
            "balances at record date 2 (1970-01-02) of 0xT are not final yet",
        ),
    ],
)
def test_the_lifecycle_errors_have_messages_whichever_contract_declares_them(
    name, inputs, expected
):
    assert expected in explain_error(name, inputs)

"""Lifecycle states: each allowed transition by its role, refusals that name the state, the
Python table agreeing with the token's, and what maturity does to transfers and redemption."""

from __future__ import annotations

from typing import Any

import pytest
from ape.exceptions import ContractLogicError

from securities_rails.errors import UserError
from securities_rails.lifecycle import redemption, state
from securities_rails.lifecycle.state import STATES, check_transition, set_state, state_of
from securities_rails.reasons import decode_reason
from securities_rails.token.operations import check_transfer

DAY = 24 * 3600
CAD = 10**6  # the cash token's decimals
BOND_DECIMALS = 2
ZERO = "0x0000000000000000000000000000000000000000"
# How to reach each start state from active with a zero supply: (state, who moves it there).
PATHS: dict[str, list[tuple[str, str]]] = {
    "active": [],
    "issued": [("issued", "issuer")],
    "suspended": [("suspended", "agent")],
    "redeemed": [("redeemed", "agent")],
}


def _reach(token: Any, start: str, signers: dict[str, Any], chain: Any, maturity: int) -> None:
    if start == "matured":
        chain.mine(timestamp=maturity)
        return
    for target, who in PATHS[start]:
        set_state(token, signers[who], target)
    assert state_of(token) == start


@pytest.fixture
def signers(issuer: Any, agent: Any) -> dict[str, Any]:
    return {"issuer": issuer, "agent": agent}


@pytest.mark.parametrize(
    ("start", "target", "who"),
    [
        ("active", "issued", "issuer"),
        ("issued", "active", "issuer"),
        ("active", "suspended", "agent"),
        ("suspended", "active", "agent"),
        ("active", "redeemed", "agent"),
        ("issued", "redeemed", "agent"),
        ("suspended", "redeemed", "agent"),
        ("matured", "redeemed", "agent"),
    ],
)
def test_each_allowed_transition_is_made_by_its_role(
    bond, signers, chain, maturity, start, target, who
):
    _reach(bond, start, signers, chain, maturity)
    assert state_of(bond) == start
    receipt = set_state(bond, signers[who], target)
    assert state_of(bond) == target
    [event] = [e for e in receipt.events if e.event_name == "LifecycleStateChanged"]
    assert (STATES[event.to], event.by) == (target, signers[who].address)


@pytest.mark.parametrize(
    ("start", "target", "who", "message"),
    [
        ("active", "suspended", "issuer", "lacks the corporate-action role"),
        ("active", "issued", "agent", "lacks the issuer role"),
        ("suspended", "issued", "agent", "is suspended: it cannot move to issued"),
        ("redeemed", "active", "agent", r"is redeemed: it cannot move to active .*final"),
        ("matured", "active", "agent", "is matured: it cannot move to active"),
        ("active", "matured", "agent", "matures by its maturity date alone"),
    ],
)
def test_a_refused_transition_names_the_state_and_sends_nothing(
    bond, signers, chain, maturity, nothing_sent, start, target, who, message
):
    _reach(bond, start, signers, chain, maturity)
    with nothing_sent(), pytest.raises(UserError, match=message):
        set_state(bond, signers[who], target)
    assert state_of(bond) == start


@pytest.mark.parametrize("target", ["issued", "redeemed"])
def test_opening_a_placement_or_redeeming_needs_a_zero_supply(
    share_desk, signers, nothing_sent, target
):
    who = signers["issuer" if target == "issued" else "agent"]
    with nothing_sent(), pytest.raises(UserError, match="4000 LCS outstanding") as refused:
        set_state(share_desk.token, who, target)
    assert refused.value.field == "state"


def test_the_python_table_agrees_with_the_tokens_for_every_pair(bond, signers, chain, maturity):
    for start in STATES:
        snap = chain.snapshot()
        try:
            _reach(bond, start, signers, chain, maturity)
            for target in STATES:
                for who, signer in signers.items():
                    try:
                        check_transition(bond, signer.address, target)
                        ours = True
                    except UserError:
                        ours = False
                    try:
                        bond.setLifecycleState.call(
                            STATES.index(target), sender=signer, block_id="pending"
                        )
                        theirs = True
                    except ContractLogicError:
                        theirs = False
                    assert ours == theirs, f"{start} -> {target} by {who}"
        finally:
            chain.restore(snap)


def test_after_maturity_investors_cannot_transfer_but_redemption_works(bond_desk, maturity, chain):
    d = bond_desk
    bond, alice, bob = d.token, d.alice, d.bob
    terms = redemption.RedemptionTerms(
        token=bond.address,
        cash_token=d.cash.address,
        kind="full",
        price_per_unit=0,  # the nominal, 100 CAD a note
        numerator=0,
        denominator=0,
        record_date=0,
        start_date=maturity,
        deadline=maturity + 30 * DAY,
    )
    rid = redemption.announce(d.lifecycle, d.agent, terms, "RED-LC5-AT-MATURITY")
    chain.mine(timestamp=maturity)
    assert state_of(bond) == "matured"

    code, reason = bond.canTransfer(alice, bob, 100)
    assert (code, decode_reason(reason)) == (b"\x50", "INSTRUMENT_MATURED")
    with pytest.raises(UserError, match="INSTRUMENT_MATURED"):
        check_transfer(bond, alice.address, bob.address, 100, "amount")
    with pytest.raises(ContractLogicError):
        bond.transfer(bob, 100, sender=alice)
    code, reason = bond.canTransfer(ZERO, alice, 100)
    assert decode_reason(reason) == "INSTRUMENT_MATURED"

    redemption.fund(d.lifecycle, d.agent, rid)
    cash_before = d.cash.balanceOf(alice)
    row = redemption.redeem(d.lifecycle, alice, rid)
    held = 1000 * 10**BOND_DECIMALS
    assert (row.outcome, row.units, row.payment) == ("redeemed", held, 1000 * 100 * CAD)
    assert bond.balanceOf(alice) == 0
    assert d.cash.balanceOf(alice) - cash_before == 100_000 * CAD
    result = redemption.redeem_for(d.lifecycle, d.agent, rid)
    assert [(r.holder, r.outcome) for r in result.rows] == [(bob.address, "redeemed")]
    assert bond.totalSupply() == 0
    assert state.state_of(bond) == "redeemed"  # the last burn closed the instrument

"""Lifecycle states of an instrument (``ISecurityToken.LifecycleState``) and moving between them.

========== ==================================================================================
active     normal: mints and transfers under the rules
issued     primary placement: the issuer mints; holders cannot transfer yet
suspended  no mint, no transfer
matured    from the maturity date on (by the date alone): no mint; units only leave system
           accounts or go to the issuer (redemption burns them)
redeemed   terminal: every unit redeemed (supply 0); nothing moves
========== ==================================================================================

Transitions, as the token's table has them, and who makes them: active <-> issued (issuer;
opening a placement needs a zero supply), active <-> suspended (corporate-action agent), any
state but redeemed -> redeemed (corporate-action agent; zero supply). Matured is reached by the
maturity date alone and left only to redeemed.
"""

from __future__ import annotations

from typing import Any

from securities_rails.chain.contracts import ROLES
from securities_rails.chain.transact import send
from securities_rails.errors import UserError
from securities_rails.lifecycle.common import PENDING, checksum, isin_of, units_text
from securities_rails.lifecycle.deploy import CORPORATE_ACTION_ROLE

STATES = ("active", "issued", "suspended", "matured", "redeemed")  # index == enum value
ACTIVE, ISSUED, SUSPENDED, MATURED, REDEEMED = STATES
ISSUER, AGENT = "issuer", "corporate-action agent"
# (from, to) -> who may make the transition (SecurityToken's TRANSITIONS and BY_ISSUER).
TRANSITIONS: dict[tuple[str, str], str] = {
    (ACTIVE, ISSUED): ISSUER,
    (ISSUED, ACTIVE): ISSUER,
    (ACTIVE, SUSPENDED): AGENT,
    (SUSPENDED, ACTIVE): AGENT,
    (ACTIVE, REDEEMED): AGENT,
    (ISSUED, REDEEMED): AGENT,
    (SUSPENDED, REDEEMED): AGENT,
    (MATURED, REDEEMED): AGENT,
}
NEED_NO_SUPPLY = frozenset({ISSUED, REDEEMED})  # target states that need a zero supply
ROLE_OF = {ISSUER: ROLES["issuer"], AGENT: CORPORATE_ACTION_ROLE}
ROLE_NAMES = {ISSUER: "issuer role", AGENT: "corporate-action role (CORPORATE_ACTION_ROLE)"}


def state_of(token: Any) -> str:
    """The state now, as the next block sees it (matured from the maturity date on)."""
    return STATES[int(token.lifecycleState(block_id=PENDING))]


def parse_state(value: str, field: str = "state") -> str:
    """A state name from user input (case and spaces ignored)."""
    text = str(value).strip().lower()
    if text not in STATES:
        raise UserError(field, f"unknown state {value!r}: one of {', '.join(STATES)}")
    return text


def next_states(current: str) -> list[str]:
    """The states the instrument can move to from `current`."""
    return [to for (start, to) in TRANSITIONS if start == current]


def check_transition(token: Any, signer: str, to: str) -> str:
    """The transition from the current state to `to` exists, the signer holds the role it needs
    (issuer for active <-> issued, corporate-action agent otherwise), and the supply is 0 when
    it opens a placement or redeems; returns the current state."""
    target = parse_state(to)
    current = state_of(token)
    isin = isin_of(token)
    if target == MATURED:
        raise UserError(
            "state", f"{isin} matures by its maturity date alone: no one moves it to matured"
        )
    who = TRANSITIONS.get((current, target))
    if who is None:
        allowed = ", ".join(next_states(current)) or "none (the state is final)"
        raise UserError(
            "state",
            f"{isin} is {current}: it cannot move to {target} (from {current}: {allowed})",
        )
    if not token.hasRole(ROLE_OF[who], checksum(signer)):
        raise UserError(
            "account",
            f"{checksum(signer)} lacks the {ROLE_NAMES[who]} on {isin}: {current} -> {target} is "
            f"for the {who}",
        )
    supply = int(token.totalSupply())
    if target in NEED_NO_SUPPLY and supply > 0:
        why = "a placement opens" if target == ISSUED else "it is redeemed"
        raise UserError(
            "state",
            f"{isin} has {units_text(token, supply)} outstanding: {why} only with no unit left",
        )
    return current


def set_state(token: Any, signer: Any, to: str) -> Any:
    """Move the instrument to state `to` (checked first); returns the receipt."""
    check_transition(token, signer.address, to)
    return send(
        token.setLifecycleState, STATES.index(parse_state(to)), sender=signer, field="state"
    )


def sync_maturity(token: Any, signer: Any) -> Any:
    """Copy the instrument's maturity into the slot transfers read (an instrument created before
    lifecycle states matures on its date once this ran). Anyone may; idempotent."""
    return send(token.syncMaturity, sender=signer, field="instrument")

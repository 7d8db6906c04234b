"""The rule types of ITransferRules.RuleType, their parameters, and reading a token's rules."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from securities_rails.errors import UserError
from securities_rails.identifiers import format_amount, format_date, parse_amount, parse_date

# In the order of the Solidity enum.
RULES = ("country-allow", "country-deny", "max-investors", "holding-cap", "lock-up", "min-transfer")


@dataclass(frozen=True)
class RuleState:
    """One rule as the token has it."""

    name: str
    active: bool
    value: int
    shown: str


def rule_index(name: str) -> int:
    """The RuleType number of a rule name."""
    try:
        return RULES.index(name)
    except ValueError:
        raise UserError("rule", f"unknown rule {name!r}; one of {', '.join(RULES)}") from None


def parse_value(name: str, value: str, decimals: int) -> int:
    """The on-chain parameter of a rule from its CLI text (units, a count, or a date)."""
    index = rule_index(name)
    if index in (0, 1):
        return 1
    if name == "max-investors":
        if not value.isdigit() or int(value) == 0:
            raise UserError("value", "max-investors takes a whole number above zero")
        return int(value)
    if name == "lock-up":
        return parse_date(value, "value")
    return parse_amount(value, decimals, "value")


def show_value(name: str, value: int, decimals: int) -> str:
    """A rule parameter for people."""
    if name in ("country-allow", "country-deny"):
        return "on" if value else "off"
    if name == "max-investors":
        return str(value)
    if name == "lock-up":
        return f"until {format_date(value)}"
    return format_amount(value, decimals)


def rules_of(token: Any) -> list[RuleState]:
    """Every rule of the catalogue with its state on `token`."""
    decimals = int(token.decimals())
    states = []
    for index, name in enumerate(RULES):
        active, value = token.rule(index)
        states.append(
            RuleState(name, bool(active), int(value), show_value(name, int(value), decimals))
        )
    return states

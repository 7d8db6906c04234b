"""Instrument data: parse and check it off-chain, create the instrument, read it back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from securities_rails.chain.contracts import CREATOR_ROLE, token_at
from securities_rails.deployments import InstrumentEntry
from securities_rails.errors import UserError
from securities_rails.identifiers import (
    format_amount,
    format_date,
    from_fixed_bytes,
    parse_address,
    parse_cfi,
    parse_currency,
    parse_date,
    parse_isin,
    parse_lei,
    parse_nominal,
)
from securities_rails.suite import Suite, create_instrument

ROLE_ORDER = ("admin", "issuer", "registrar", "enforcer", "pauser", "upgrader")


@dataclass(frozen=True)
class InstrumentSpec:
    """Everything needed to create an instrument, checked."""

    name: str
    symbol: str
    isin: str
    cfi: str
    currency: str
    issuer_lei: str
    decimals: int
    nominal: int  # 18 decimals
    issue_date: int
    maturity: int  # 0 = perpetual
    roles: dict[str, str]

    def struct(self) -> tuple[Any, ...]:
        """The ISecurityToken.Instrument struct in field order."""
        return (
            self.isin.encode(),
            self.cfi.encode(),
            self.currency.encode(),
            self.decimals,
            self.issue_date,
            self.maturity,
            self.issuer_lei.encode(),
            self.nominal,
        )

    def role_holders(self) -> tuple[str, ...]:
        """The ISecurityToken.Roles struct in field order."""
        return tuple(self.roles[name] for name in ROLE_ORDER)


def parse_spec(
    *,
    name: str,
    symbol: str,
    isin: str,
    cfi: str,
    currency: str,
    lei: str,
    decimals: int,
    nominal: str,
    issue_date: str,
    maturity: str,
    roles: dict[str, str],
) -> InstrumentSpec:
    """Check every field (check digits with python-stdnum, codes with pycountry)."""
    if not name.strip():
        raise UserError("name", "must not be empty")
    if not symbol.strip():
        raise UserError("symbol", "must not be empty")
    if not 0 <= decimals <= 18:
        raise UserError("decimals", "must be between 0 and 18")
    issued = parse_date(issue_date, "issue-date")
    matures = parse_date(maturity, "maturity", allow_zero=True)
    if matures and matures <= issued:
        raise UserError("maturity", "must be after the issue date (or 'perpetual')")
    holders = {role: parse_address(roles[role], role) for role in ROLE_ORDER}
    return InstrumentSpec(
        name=name.strip(),
        symbol=symbol.strip(),
        isin=parse_isin(isin),
        cfi=parse_cfi(cfi),
        currency=parse_currency(currency),
        issuer_lei=parse_lei(lei, "lei"),
        decimals=decimals,
        nominal=parse_nominal(nominal),
        issue_date=issued,
        maturity=matures,
        roles=holders,
    )


def create(suite: Suite, signer: Any, spec: InstrumentSpec) -> Any:
    """Create the instrument; refused before sending when the ISIN exists or the signer can't."""
    existing = suite.factory.tokenOf(spec.isin.encode())
    if int(existing, 16) != 0:
        raise UserError("isin", f"an instrument with ISIN {spec.isin} exists already at {existing}")
    if not suite.factory.hasRole(CREATOR_ROLE, signer):
        raise UserError("account", f"{signer.address} lacks the creator role on the factory")
    return create_instrument(
        suite, signer, spec.name, spec.symbol, spec.struct(), spec.role_holders()
    )


def token_for(suite: Suite, isin: str) -> Any:
    """The token of an ISIN: from the deployment record, else from the factory."""
    key = parse_isin(isin)
    entry: InstrumentEntry | None = suite.record.instruments.get(key)
    address = entry.address if entry else suite.factory.tokenOf(key.encode())
    if int(address, 16) == 0:
        raise UserError(
            "isin", f"unknown instrument {key}: create it with `ape run issuer create-instrument`"
        )
    return token_at(address)


def describe(token: Any) -> dict[str, str]:
    """The instrument's data for people, read from the chain."""
    data = token.instrument()
    decimals = int(data.decimals)
    return {
        "name": token.name(),
        "symbol": token.symbol(),
        "address": token.address,
        "ISIN": from_fixed_bytes(bytes(data.isin)),
        "CFI": from_fixed_bytes(bytes(data.cfi)),
        "issuer LEI": from_fixed_bytes(bytes(data.issuerLei)),
        "currency": from_fixed_bytes(bytes(data.currency)),
        "nominal per unit": format_amount(int(data.nominalPerUnit), 18).rstrip("0").rstrip("."),
        "decimals": str(decimals),
        "issue date": format_date(int(data.issueDate)),
        "maturity": format_date(int(data.maturity)) if int(data.maturity) else "perpetual",
        "total supply": format_amount(int(token.totalSupply()), decimals),
        "investors": str(token.investorCount()),
        "paused": "yes" if token.paused() else "no",
    }

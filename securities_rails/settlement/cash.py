"""The cash leg: mint and burn a cash token (its cash issuer), each checked before sending."""

from __future__ import annotations

from typing import Any

from securities_rails.chain.transact import send
from securities_rails.errors import UserError
from securities_rails.settlement.trades import (
    same_address,
    units_text,
)

CASH_ISSUER_ROLE_NAME = "CASH_ISSUER_ROLE"


def require_cash_issuer(cash: Any, signer: Any) -> None:
    """Refuse before sending when `signer` does not hold the cash token's issuer role."""
    if not cash.hasRole(cash.CASH_ISSUER_ROLE(), signer.address):
        raise UserError(
            "account",
            f"{signer.address} lacks {CASH_ISSUER_ROLE_NAME} on the {cash.symbol()} cash token",
        )


def mint_cash(cash: Any, signer: Any, to: str, amount: int) -> Any:
    """Issue cash to a wallet (the cash issuer)."""
    require_cash_issuer(cash, signer)
    if amount <= 0:
        raise UserError("amount", "must be greater than zero")
    return send(cash.mint, to, amount, sender=signer, field="amount")


def burn_cash(cash: Any, signer: Any, wallet: str, amount: int) -> Any:
    """Redeem cash: the issuer's own, or a holder's through the allowance it gave the issuer."""
    require_cash_issuer(cash, signer)
    held = int(cash.balanceOf(wallet))
    if amount > held:
        raise UserError("amount", f"above balance: {wallet} holds {units_text(cash, held)}")
    if not same_address(wallet, signer.address):
        allowed = int(cash.allowance(wallet, signer.address))
        if allowed < amount:
            raise UserError(
                "from",
                f"{wallet} allows the issuer to redeem {units_text(cash, allowed)} only; it must "
                f"approve {signer.address} for {units_text(cash, amount)} first",
            )
    return send(cash.burn, wallet, amount, sender=signer, field="amount")

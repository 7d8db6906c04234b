"""Send transactions; a revert becomes a UserError with the decoded reason."""

from __future__ import annotations

from typing import Any

from ape.exceptions import ContractLogicError

from securities_rails.chain.revert import explain_revert
from securities_rails.errors import UserError


def send(method: Any, *args: Any, sender: Any, field: str | None = None) -> Any:
    """Call a state-changing contract method; raise UserError(field, reason) when it reverts."""
    try:
        return method(*args, sender=sender)
    except ContractLogicError as error:
        raise UserError(field, explain_revert(error)) from None

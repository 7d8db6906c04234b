"""Issuer, registrar, enforcer and pauser actions on one instrument.

Each action checks what can be checked before sending (role, registration, balance, the
transfer rules through `canTransfer`) and raises a UserError naming the field and the reason;
only then does it send. Batches go in chunks, each atomic on-chain, and report which rows landed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

from securities_rails.batches import send_in_chunks
from securities_rails.chain.contracts import ROLES, registry_at
from securities_rails.chain.transact import send
from securities_rails.csvio import AmountRow
from securities_rails.errors import UserError
from securities_rails.identifiers import format_amount
from securities_rails.reasons import describe, is_success
from securities_rails.registry.investors import KINDS

ZERO = "0x0000000000000000000000000000000000000000"
CHUNK = 50  # rows per batch transaction
Progress = Callable[[int], None] | None


def require_role(token: Any, signer: Any, role: str) -> None:
    """Refuse before sending when `signer` lacks `role` on the instrument."""
    if not token.hasRole(ROLES[role], signer):
        raise UserError("account", f"{signer.address} lacks the {role} role on {token.isin()}")


def check_transfer(token: Any, sender: str, recipient: str, amount: int, field: str) -> None:
    """Refuse with the decoded reason when the rules would refuse (sender ZERO: a mint)."""
    code, reason = token.canTransfer(sender, recipient, amount)
    code_int = int.from_bytes(bytes(code), "big")
    if not is_success(code_int):
        raise UserError(field, describe(code_int, bytes(reason)))


def _units(token: Any, units: int) -> str:
    return format_amount(units, int(token.decimals()))


def mint(token: Any, signer: Any, to: str, amount: int) -> Any:
    """Mint to one registered investor."""
    require_role(token, signer, "issuer")
    check_transfer(token, ZERO, to, amount, "to")
    return send(token.mint, to, amount, sender=signer)


def burn(token: Any, signer: Any, wallet: str, amount: int) -> Any:
    """Burn from one holder (frozen units go last)."""
    require_role(token, signer, "issuer")
    held = int(token.balanceOf(wallet))
    if amount > held:
        raise UserError("amount", f"above balance: {wallet} holds {_units(token, held)}")
    if token.paused():
        raise UserError("instrument", "the instrument is paused: unpause it first")
    return send(token.burn, wallet, amount, sender=signer)


def _send_chunks(
    rows: Sequence[AmountRow], method: Any, signer: Any, progress: Progress
) -> list[int]:
    def send_chunk(chunk: Sequence[AmountRow]) -> None:
        send(method, [r.wallet for r in chunk], [r.amount for r in chunk], sender=signer)

    return send_in_chunks(rows, CHUNK, send_chunk, progress)


def batch_mint(
    token: Any, signer: Any, rows: Sequence[AmountRow], progress: Progress = None
) -> list[int]:
    """Mint many: every row is checked first; returns the row numbers that landed."""
    require_role(token, signer, "issuer")
    for row in rows:
        try:
            check_transfer(token, ZERO, row.wallet, row.amount, "wallet")
        except UserError as error:
            raise UserError(error.field, f"row {row.row}: {error.message}") from None
    return _send_chunks(rows, token.batchMint, signer, progress)


def batch_burn(
    token: Any, signer: Any, rows: Sequence[AmountRow], progress: Progress = None
) -> list[int]:
    """Burn many: balances are checked first (summing rows of one wallet)."""
    require_role(token, signer, "issuer")
    if token.paused():
        raise UserError("instrument", "the instrument is paused: unpause it first")
    wanted: dict[str, int] = defaultdict(int)
    for row in rows:
        wanted[row.wallet] += row.amount
        held = int(token.balanceOf(row.wallet))
        if wanted[row.wallet] > held:
            raise UserError(
                "amount", f"row {row.row}: above balance: {row.wallet} holds {_units(token, held)}"
            )
    return _send_chunks(rows, token.batchBurn, signer, progress)


def transfer(token: Any, signer: Any, to: str, amount: int) -> Any:
    """An ordinary transfer from the signer, refused with the rule's reason before sending."""
    check_transfer(token, signer.address, to, amount, "transfer")
    return send(token.transfer, to, amount, sender=signer)


def forced_transfer(token: Any, signer: Any, source: str, to: str, amount: int, reason: str) -> Any:
    """Registrar's transfer without the rules (court order, error correction)."""
    require_role(token, signer, "registrar")
    if source.lower() == to.lower():
        raise UserError("to", "must differ from the source wallet")
    if not reason.strip():
        raise UserError("reason", "a forced transfer must give its reason")
    kind = KINDS[int(token_registry(token).identityOf(to).kind)]
    if kind not in ("investor", "system"):
        raise UserError("to", f"{to} is not registered in the investor registry ({kind})")
    held = int(token.balanceOf(source))
    if amount > held:
        raise UserError("amount", f"above balance: {source} holds {_units(token, held)}")
    return send(token.forcedTransfer, source, to, amount, reason, sender=signer)


def token_registry(token: Any) -> Any:
    """The registry an instrument reads."""
    return registry_at(token.registry())


def recover_wallet(
    registry: Any, tokens: Sequence[Any], signer: Any, lost: str, new: str
) -> list[Any]:
    """Move a lost wallet's investor link (registry) and its holdings (each instrument)."""
    lost_rec, new_rec = registry.identityOf(lost), registry.identityOf(new)
    receipts = []
    if KINDS[int(new_rec.kind)] == "none":
        if not registry.hasRole(ROLES["registrar"], signer):
            raise UserError("account", f"{signer.address} lacks the registrar role on the registry")
        if KINDS[int(lost_rec.kind)] != "investor":
            raise UserError("lost", f"{lost} is not a registered investor wallet")
        receipts.append(send(registry.recoverWallet, lost, new, sender=signer))
    elif int(new_rec.investor) != int(lost_rec.investor) or int(lost_rec.investor) == 0:
        raise UserError("new", f"{new} is registered to another investor")
    for token in tokens:
        require_role(token, signer, "registrar")
        receipts.append(send(token.recoverWallet, lost, new, sender=signer))
    return receipts


def set_frozen(token: Any, signer: Any, wallet: str, frozen: bool) -> Any:
    """Freeze or unfreeze a whole address."""
    require_role(token, signer, "enforcer")
    if bool(token.isFrozen(wallet)) == frozen:
        raise UserError("wallet", f"{wallet} is already {'frozen' if frozen else 'not frozen'}")
    return send(token.setAddressFrozen, wallet, frozen, sender=signer)


def freeze_amount(token: Any, signer: Any, wallet: str, amount: int, freeze: bool) -> Any:
    """Freeze (or unfreeze) part of a wallet's balance."""
    require_role(token, signer, "enforcer")
    frozen = int(token.frozenTokens(wallet))
    available = int(token.balanceOf(wallet)) - frozen if freeze else frozen
    if amount > available:
        what = "unfrozen balance" if freeze else "frozen amount"
        raise UserError("amount", f"above the {what} of {wallet}: {_units(token, available)}")
    method = token.freezePartialTokens if freeze else token.unfreezePartialTokens
    return send(method, wallet, amount, sender=signer)


def set_paused(token: Any, signer: Any, paused: bool) -> Any:
    """Pause or unpause the instrument."""
    require_role(token, signer, "pauser")
    if bool(token.paused()) == paused:
        raise UserError("instrument", f"already {'paused' if paused else 'running'}")
    return send(token.pause if paused else token.unpause, sender=signer)


def set_document(token: Any, signer: Any, name: bytes, uri: str, content_hash: bytes) -> Any:
    """Attach or replace an ERC-1643 document."""
    require_role(token, signer, "issuer")
    if not uri.strip():
        raise UserError("uri", "must not be empty")
    return send(token.setDocument, name, uri, content_hash, sender=signer)


def set_rule(token: Any, signer: Any, index: int, value: int) -> Any:
    """Switch a rule on (or change its parameter)."""
    require_role(token, signer, "admin")
    return send(token.setRule, index, value, sender=signer, field="rule")


def remove_rule(token: Any, signer: Any, index: int) -> Any:
    """Switch a rule off."""
    require_role(token, signer, "admin")
    active, _ = token.rule(index)
    if not active:
        raise UserError("rule", "is not active")
    return send(token.removeRule, index, sender=signer, field="rule")


def set_countries(
    token: Any, signer: Any, index: int, countries: Sequence[int], listed: bool
) -> Any:
    """Put countries on, or take them off, the allow or deny list."""
    require_role(token, signer, "admin")
    return send(token.setCountries, index, list(countries), listed, sender=signer)

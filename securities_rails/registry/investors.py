"""Register, update and remove investors, checking every input before anything is sent."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from securities_rails.batches import send_in_chunks
from securities_rails.chain.contracts import ROLES, block_height, pending_timestamp
from securities_rails.chain.transact import send
from securities_rails.csvio import InvestorRow, UpdateRow, WalletRow
from securities_rails.errors import UserError

KINDS = ("none", "investor", "system", "retired")
CHUNK = 50  # wallets per registration transaction


@dataclass(frozen=True)
class Identity:
    """A wallet's record in the registry."""

    wallet: str
    investor: int
    country: int
    category: int
    expiry: int
    kind: str
    investor_id: bytes


def identity(registry: Any, wallet: str) -> Identity:
    """The registry's record of `wallet`."""
    rec = registry.identityOf(wallet)
    return Identity(
        wallet=wallet,
        investor=rec.investor,
        country=rec.country,
        category=rec.category,
        expiry=rec.expiry,
        kind=KINDS[int(rec.kind)],
        investor_id=bytes(registry.investorIdOf(wallet)),
    )


def require_registrar(registry: Any, signer: Any) -> None:
    """Refuse before sending when `signer` lacks the registry's registrar role."""
    if not registry.hasRole(ROLES["registrar"], signer):
        raise UserError("account", f"{signer.address} lacks the registrar role on the registry")


def register_system_account(registry: Any, signer: Any, account: str, label: str) -> bool:
    """Register `account` (an escrow, a bridge custody) as a system account: it may hold units
    without being an investor. False when it already is one; refused when it is anything else."""
    require_registrar(registry, signer)
    kind = KINDS[int(registry.identityOf(account).kind)]
    if kind == "system":
        return False
    if kind != "none":
        raise UserError("wallet", f"{account} is registered as {kind}, not as a system account")
    if not label.strip():
        raise UserError("label", "must name what the account is, e.g. 'DvP escrow'")
    send(registry.registerSystemAccount, account, label, sender=signer, field="wallet")
    return True


def remove_system_account(registry: Any, signer: Any, account: str) -> None:
    """Remove a system account (it can no longer receive units under the transfer rules)."""
    require_registrar(registry, signer)
    kind = KINDS[int(registry.identityOf(account).kind)]
    if kind != "system":
        raise UserError("wallet", f"{account} is not a system account (it is {kind})")
    send(registry.removeSystemAccount, account, sender=signer, field="wallet")


def _check_row(registry: Any, row: InvestorRow, now: int) -> None:
    kind = KINDS[int(registry.identityOf(row.wallet).kind)]
    if kind != "none":
        raise UserError("wallet", f"{row.wallet} is already registered ({kind})")
    if row.expiry <= now:
        raise UserError("expiry", "must be in the future")
    _key, country, category, expiry, _count = registry.investor(row.id_hash)
    if expiry == 0:  # a new investor: nothing to compare
        return
    if (country, category, expiry) != (row.country, row.category, row.expiry):
        raise UserError(
            "investor_id",
            f"investor {row.investor_id} exists with other attributes "
            "(country, category or expiry): use `update-investor`",
        )


def check_rows(registry: Any, rows: Sequence[InvestorRow]) -> None:
    """Check every row against the chain; a UserError naming the row for the first bad one."""
    now = pending_timestamp()
    for row in rows:
        try:
            _check_row(registry, row, now)
        except UserError as error:
            raise UserError(error.field, f"row {row.row}: {error.message}") from None


def register(
    registry: Any,
    signer: Any,
    rows: Sequence[InvestorRow],
    progress: Callable[[int], None] | None = None,
) -> list[int]:
    """Register wallets in chunks of CHUNK rows; returns the row numbers that landed.

    Every row is checked first, so a bad file sends nothing. If a chunk is refused on-chain
    anyway (the chain changed in between), the error names the rows that landed before it.
    """
    require_registrar(registry, signer)
    check_rows(registry, rows)

    def send_chunk(chunk: Sequence[InvestorRow]) -> None:
        if len(chunk) == 1:
            r = chunk[0]
            send(
                registry.registerInvestor,
                r.wallet,
                r.id_hash,
                r.country,
                r.category,
                r.expiry,
                sender=signer,
            )
        else:
            send(
                registry.registerInvestors,
                [r.wallet for r in chunk],
                [r.id_hash for r in chunk],
                [r.country for r in chunk],
                [r.category for r in chunk],
                [r.expiry for r in chunk],
                sender=signer,
            )

    return send_in_chunks(rows, CHUNK, send_chunk, progress)


def wallets_of(registry: Any, id_hash: bytes, start_block: int = 0) -> list[str]:
    """The investor's current wallets, from the registry's events, in ascending address order."""
    candidates: set[str] = set()
    for log in registry.WalletRegistered.range(
        start_block, block_height() + 1, search_topics={"investorId": id_hash}
    ):
        candidates.add(log.wallet)
    for log in registry.WalletRecovered.range(
        start_block, block_height() + 1, search_topics={"investorId": id_hash}
    ):
        candidates.add(log.newWallet)
    current = [w for w in candidates if KINDS[int(registry.identityOf(w).kind)] == "investor"]
    return sorted(current, key=lambda a: int(a, 16))


def _check_update(registry: Any, update: UpdateRow, now: int) -> None:
    if registry.investor(update.id_hash)[3] == 0:
        raise UserError("investor_id", f"unknown investor {update.investor_id}: register it first")
    if update.expiry <= now:
        raise UserError("expiry", "must be in the future")


def update_many(
    registry: Any,
    signer: Any,
    updates: Sequence[UpdateRow],
    progress: Callable[[int], None] | None = None,
) -> list[int]:
    """Change investors' attributes on all their wallets, one transaction per investor.

    Every row is checked first, so a bad file sends nothing; the row numbers that landed are
    returned, and a refusal on-chain names them.
    """
    require_registrar(registry, signer)
    now = pending_timestamp()
    for update in updates:
        try:
            _check_update(registry, update, now)
        except UserError as error:
            raise UserError(error.field, f"row {update.row}: {error.message}") from None

    def send_update(chunk: Sequence[UpdateRow]) -> None:
        u = chunk[0]
        wallets = wallets_of(registry, u.id_hash)
        send(
            registry.updateInvestor,
            u.id_hash,
            wallets,
            u.country,
            u.category,
            u.expiry,
            sender=signer,
        )

    return send_in_chunks(updates, 1, send_update, progress)


def remove_many(
    registry: Any,
    signer: Any,
    wallets: Sequence[WalletRow],
    progress: Callable[[int], None] | None = None,
) -> list[int]:
    """Unlink (retire) wallets, one transaction each, after checking every row."""
    require_registrar(registry, signer)
    for w in wallets:
        kind = KINDS[int(registry.identityOf(w.wallet).kind)]
        if kind != "investor":
            raise UserError(
                "wallet", f"row {w.row}: {w.wallet} is not a registered investor wallet ({kind})"
            )

    def send_removal(chunk: Sequence[WalletRow]) -> None:
        send(registry.removeWallet, chunk[0].wallet, sender=signer)

    return send_in_chunks(wallets, 1, send_removal, progress)

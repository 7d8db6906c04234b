"""Register, update and remove investors, checking every input before anything is sent."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

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
    landed: list[int] = []
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        try:
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
        except UserError as error:
            done = f"rows {landed[0]}-{landed[-1]} landed" if landed else "no row landed"
            raise UserError(
                error.field,
                f"{error.message} (rows {chunk[0].row}-{chunk[-1].row} refused; {done})",
            ) from None
        landed.extend(r.row for r in chunk)
        if progress is not None:
            progress(len(chunk))
    return landed


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


def _landed_error(error: UserError, row: int, landed: list[int]) -> UserError:
    done = f"rows {', '.join(map(str, landed))} landed" if landed else "no row landed"
    return UserError(error.field, f"row {row}: {error.message} (later rows not sent; {done})")


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
    landed: list[int] = []
    for u in updates:
        wallets = wallets_of(registry, u.id_hash)
        try:
            send(
                registry.updateInvestor,
                u.id_hash,
                wallets,
                u.country,
                u.category,
                u.expiry,
                sender=signer,
            )
        except UserError as error:
            raise _landed_error(error, u.row, landed) from None
        landed.append(u.row)
        if progress is not None:
            progress(1)
    return landed


def update(
    registry: Any, signer: Any, id_hash: bytes, country: int, category: int, expiry: int
) -> list[int]:
    """Change one investor's attributes on all its wallets."""
    row = UpdateRow(
        row=1,
        investor_id="0x" + id_hash.hex(),
        id_hash=id_hash,
        country=country,
        category=category,
        expiry=expiry,
    )
    return update_many(registry, signer, [row])


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
    landed: list[int] = []
    for w in wallets:
        try:
            send(registry.removeWallet, w.wallet, sender=signer)
        except UserError as error:
            raise _landed_error(error, w.row, landed) from None
        landed.append(w.row)
        if progress is not None:
            progress(1)
    return landed


def remove(registry: Any, signer: Any, wallet: str) -> list[int]:
    """Unlink (retire) one wallet."""
    return remove_many(registry, signer, [WalletRow(row=1, wallet=wallet)])

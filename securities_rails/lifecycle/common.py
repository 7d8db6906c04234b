"""What distributions and redemptions share: roles on the instrument, eligibility as the contracts
judge it, reasons in words, holders found from Transfer events, events of a receipt.

Time: the contracts compare dates with the timestamp of the block a transaction lands in, so the
checks use the pending block's timestamp (``pending_timestamp``) and read time-dependent views
(entitlements, requirements) on the pending block.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ape import chain
from ape.exceptions import ContractLogicError
from eth_utils import to_checksum_address

from securities_rails.chain.contracts import at, block_height, has_code
from securities_rails.chain.revert import explain_revert
from securities_rails.chain.rpc_batch import view_batch
from securities_rails.chain.transact import send
from securities_rails.errors import UserError
from securities_rails.identifiers import (
    format_amount,
    format_date,
    from_fixed_bytes,
)
from securities_rails.lifecycle.deploy import (
    CORPORATE_ACTION_ROLE,
    ISSUER_ROLE,
    REGISTRAR_ROLE,
    ZERO_ADDRESS,
)
from securities_rails.reasons import decode_reason
from securities_rails.registry.investors import KINDS

PENDING = "pending"
UINT40_MAX = 2**40 - 1
UINT128_MAX = 2**128 - 1
UINT256_MAX = 2**256 - 1
Progress = Callable[[int, int], None] | None

# Why the contracts hold back or pass over a holder (bytes32 reason names in their events and
# errors), in words.
LIFECYCLE_REASONS: dict[str, str] = {
    "HOLDER_FROZEN": "the wallet is frozen on the instrument",
    "UNITS_FROZEN": "part of the wallet's units are frozen",
    "SYSTEM_ACCOUNT": "a system account (escrow, bridge custody) holds the units for others",
    "NOT_REGISTERED": "the wallet is not a registered investor wallet",
    "ELIGIBILITY_EXPIRED": "the investor's eligibility has expired",
    "ALREADY_PAID": "already paid",
    "RELEASED": "its held entitlement was released to another wallet",
    "NOTHING_ENTITLED": "nothing is due: no units at the record date (or less than one cash unit)",
    "CLAIM_PERIOD_OVER": "the claim deadline has passed",
    "ALREADY_REDEEMED": "already redeemed",
    "NOTHING_TO_REDEEM": "no unit to redeem",
    "INSUFFICIENT_UNITS": "the wallet no longer holds the units due",
    "PERIOD_OVER": "the redemption deadline has passed",
}
REMEDIES: dict[str, str] = {
    "HOLDER_FROZEN": "the enforcer unfreezes the wallet, or the registrar releases the amount",
    "UNITS_FROZEN": "the enforcer unfreezes the units, or the registrar releases them",
    "NOT_REGISTERED": "register the wallet, or the registrar releases the amount to another wallet "
    "of the investor",
    "ELIGIBILITY_EXPIRED": "renew the investor's eligibility",
}


def reason_name(reason: bytes | str) -> str:
    """The name of a bytes32 reason (``HOLDER_FROZEN``)."""
    return reason if isinstance(reason, str) else decode_reason(bytes(reason))


def reason_text(reason: bytes | str) -> str:
    """A reason in words: ``HOLDER_FROZEN (the wallet is frozen on the instrument)``."""
    name = reason_name(reason)
    text = LIFECYCLE_REASONS.get(name)
    return f"{name} ({text})" if text else name


def same_address(a: str, b: str) -> bool:
    return str(a).lower() == str(b).lower()


def checksum(address: Any) -> str:
    return to_checksum_address(str(getattr(address, "address", address)))


def address_order(address: str) -> int:
    """The order the contracts want batches in: strictly ascending address values."""
    return int(address, 16)


def sorted_unique(addresses: Iterable[str]) -> list[str]:
    """Checksummed, without repeats, in ascending address order."""
    unique = {checksum(a) for a in addresses}
    return sorted(unique, key=address_order)


def chunks(items: Sequence[str], size: int) -> list[list[str]]:
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


def send_batches(
    method: Any,
    action_id: int,
    ordered: Sequence[str],
    *,
    signer: Any,
    batch_size: int,
    rows_of: Callable[[Any, list[str]], list[Any]],
    progress: Progress,
) -> tuple[list[Any], list[str]]:
    """Send `method(action_id, batch)` for each batch of at most `batch_size` of `ordered`
    holders, in order; return every holder's row (``rows_of(receipt, batch)``) and the
    transaction hashes. `progress(done, total)` after each batch. The batch call of
    distributions (``pay``), redemption (``redeemFor``) and splits (``applyTo``)."""
    rows: list[Any] = []
    transactions: list[str] = []
    done = 0
    for batch in chunks(ordered, batch_size):
        receipt = send(method, action_id, batch, sender=signer, field="holders")
        transactions.append(hex_hash(receipt.txn_hash))
        rows.extend(rows_of(receipt, batch))
        done += len(batch)
        if progress is not None:
            progress(done, len(ordered))
    return rows, transactions


# ---------------------------------------------------------------- tokens and roles


def security(address: str) -> Any:
    return at("SecurityToken", address)


def cash_token(address: str) -> Any:
    return at("CashToken", address)


def isin_of(token: Any) -> str:
    return str(token.isin())


def currency_of(cash: Any) -> str:
    """The cash token's ISO 4217 code (CashToken.currency(), else its symbol)."""
    try:
        return from_fixed_bytes(bytes(cash.currency()))
    except (ContractLogicError, AttributeError):
        return str(cash.symbol())


def units_text(token: Any, amount: int) -> str:
    """An amount of a token for people: ``1,000.50 LC5``."""
    return f"{format_amount(amount, int(token.decimals()))} {token.symbol()}"


def has_role(token: Any, role: bytes, account: str) -> bool:
    return bool(token.hasRole(role, account))


def require_agent(token: Any, signer: str, field: str = "account") -> None:
    """The signer holds the instrument's corporate-action role."""
    if not has_role(token, CORPORATE_ACTION_ROLE, signer):
        raise UserError(
            field,
            f"{signer} lacks the corporate-action role (CORPORATE_ACTION_ROLE) on "
            f"{isin_of(token)}: the instrument's admin grants it",
        )


def require_registrar(token: Any, signer: str, field: str = "account") -> None:
    """The signer holds the instrument's registrar role."""
    if not has_role(token, REGISTRAR_ROLE, signer):
        raise UserError(field, f"{signer} lacks the registrar role on {isin_of(token)}")


def require_book(token: Any, contract: Any, label: str, *, issuer: bool = False) -> Any:
    """The instrument is enabled for `contract`: it has a record-date book and grants `contract`
    the corporate-action role (and, `issuer`, the issuer role); returns the book."""
    book = str(token.recordDates())
    isin = isin_of(token)
    hint = "its admin runs `enable_instrument` (`ape run issuer create-instrument` does it)"
    if same_address(book, ZERO_ADDRESS):
        raise UserError("instrument", f"{isin} has no record-date book: {hint}")
    if not has_role(token, CORPORATE_ACTION_ROLE, contract.address):
        raise UserError(
            "instrument", f"{isin} does not grant the {label} contract its corporate-action role: "
            f"{hint}",
        )  # fmt: skip
    if issuer and not has_role(token, ISSUER_ROLE, contract.address):
        raise UserError(
            "instrument", f"{isin} does not grant the {label} contract its issuer role: {hint}"
        )
    return at("RecordDates", book)


# ---------------------------------------------------------------- eligibility


def ineligibility(token: Any, holder: str, now: int, *, units_frozen: bool = False) -> str | None:
    """Why the contracts would not pay `holder` now (their ``_ineligibility``), or None: frozen
    wallet, (`units_frozen`: frozen units,) not an investor wallet, system account, expired."""
    if token.isFrozen(holder):
        return "HOLDER_FROZEN"
    if units_frozen and int(token.frozenTokens(holder)) != 0:
        return "UNITS_FROZEN"
    registry = at("InvestorRegistry", token.registry())
    who = registry.identityOf(holder)
    kind = KINDS[int(who.kind)]
    if kind != "investor":
        return "SYSTEM_ACCOUNT" if kind == "system" else "NOT_REGISTERED"
    if int(who.expiry) <= now:
        return "ELIGIBILITY_EXPIRED"
    return None


def check_recipient(token: Any, holder: str, to: str, now: int, *, system_any: bool) -> None:
    """`to` may receive what is held for `holder`: an eligible, unfrozen investor wallet other
    than the holder, of the same investor (any investor when the holder is a system account and
    `system_any`)."""
    registry = at("InvestorRegistry", token.registry())
    source, target = registry.identityOf(holder), registry.identityOf(to)
    system = KINDS[int(source.kind)] == "system"
    if same_address(to, holder):
        raise UserError("to", f"{to} is the holder itself: give another wallet of its investor")
    if KINDS[int(target.kind)] != "investor":
        raise UserError("to", f"{to} is not a registered investor wallet")
    if int(target.expiry) <= now:
        raise UserError("to", f"the eligibility of {to}'s investor has expired")
    if not (system and system_any) and int(target.investor) != int(source.investor):
        raise UserError(
            "to", f"{to} is not a wallet of the investor of {holder}: held amounts go to its owner"
        )
    if token.isFrozen(to):
        raise UserError("to", f"{to} is frozen on {isin_of(token)}")


# ---------------------------------------------------------------- cash


def check_cash(cash: Any, payer: str, spender: str, amount: int, *, approving: bool) -> None:
    """`payer` can pay `amount` of `cash` to `spender` (balance; allowance unless `approving`)."""
    balance = int(cash.balanceOf(payer))
    if balance < amount:
        raise UserError(
            "account",
            f"{payer} holds {units_text(cash, balance)}; funding needs {units_text(cash, amount)}",
        )
    if not approving:
        allowance = int(cash.allowance(payer, spender))
        if allowance < amount:
            raise UserError(
                "account",
                f"{payer} allows {spender} {units_text(cash, allowance)}; funding needs "
                f"{units_text(cash, amount)} (approve it first)",
            )


def approve_exactly(cash: Any, signer: Any, spender: str, amount: int) -> None:
    """Let `spender` take `amount` of `cash` from the signer: one approve, only when short."""
    if int(cash.allowance(signer.address, spender)) < amount:
        send(cash.approve, spender, amount, sender=signer, field="account")


# ---------------------------------------------------------------- views on the pending block


def view(method: Any, *args: Any, field: str | None = None) -> Any:
    """A view on the pending block (the timestamp the next transaction sees); a revert becomes a
    UserError."""
    try:
        return method(*args, block_id=PENDING)
    except ContractLogicError as error:
        raise UserError(field, explain_revert(error)) from None


# ---------------------------------------------------------------- holders from Transfer events


def block_at(timestamp: int) -> int:
    """The last block stamped at or before `timestamp` (0 when none is)."""
    low, high = 0, block_height()
    if int(chain.blocks[high].timestamp) <= timestamp:
        return high
    if int(chain.blocks[0].timestamp) > timestamp:
        return 0
    while low < high:  # invariant: block `low` is stamped <= timestamp, block `high` after it
        middle = (low + high + 1) // 2
        if int(chain.blocks[middle].timestamp) <= timestamp:
            low = middle
        else:
            high = middle - 1
    return low


def recipients(token: Any, start_block: int, stop_block: int) -> set[str]:
    """Every wallet that received units of `token` in blocks `start_block`..`stop_block`."""
    found: set[str] = set()
    if stop_block < start_block:
        return found
    for log in token.Transfer.range(start_block, stop_block + 1):
        if not same_address(str(log.to), ZERO_ADDRESS):
            found.add(checksum(log.to))
    return found


def holders_at(
    token: Any, book: Any, record_date_id: int, record_date: int, start_block: int = 0
) -> list[str]:
    """Every wallet with units of `token` at a passed record date, from the Transfer events up to
    the record date's last block, kept when the book says its balance then was not 0; ascending."""
    wallets = sorted(recipients(token, start_block, block_at(record_date)), key=address_order)
    arguments = [(token.address, wallet, record_date_id) for wallet in wallets]
    balances = view_batch(book, "IRecordDates", "balanceAt", arguments)
    return [wallet for wallet, balance in zip(wallets, balances, strict=True) if int(balance) > 0]


def holders_now(token: Any, start_block: int = 0) -> list[str]:
    """Every wallet holding units of `token` now, from the Transfer events; ascending."""
    wallets = sorted(recipients(token, start_block, block_height()), key=address_order)
    balances = view_batch(token, "ISecurityToken", "balanceOf", [(w,) for w in wallets])
    return [wallet for wallet, balance in zip(wallets, balances, strict=True) if int(balance) > 0]


def token_start_block(record: Any, token: Any) -> int:
    """The block the instrument was created in, when the deployment record knows it (else 0)."""
    for entry in getattr(record, "instruments", {}).values():
        if same_address(entry.address, token.address):
            return int(entry.block)
    return 0


# ---------------------------------------------------------------- events


@dataclass(frozen=True)
class Event:
    """One decoded event of a receipt (or a log query)."""

    name: str
    args: dict[str, Any]
    tx_hash: str
    block: int


def hex_hash(value: Any) -> str:
    """A transaction hash as ``0x`` and 64 lower-case hex digits (from bytes or text)."""
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    return "0x" + str(value).removeprefix("0x").lower()


def tx_hash_of(log: Any) -> str:
    return hex_hash(log.transaction_hash)


def events_of(receipt: Any, contract: Any, names: Iterable[str]) -> list[Event]:
    """The events `names` that `contract` emitted in `receipt`, in order.

    Decoded with `contract`'s own ABI (``receipt.decode_logs``), not through ape's cache of
    contract types by address, which does not follow a switch to another chain (``connected``)."""
    decoded = []
    for name in dict.fromkeys(names):
        for log in receipt.decode_logs(getattr(contract, name)):
            if same_address(str(log.contract_address), contract.address):
                decoded.append(log)
    decoded.sort(key=lambda log: int(log.log_index))
    return [
        Event(log.event_name, dict(log.event_arguments), tx_hash_of(log), int(log.block_number))
        for log in decoded
    ]


def logs_of(contract: Any, name: str, start_block: int, action_id: int) -> list[Event]:
    """The events `name` of `contract` about action `action_id` (indexed ``id``), oldest first."""
    event = getattr(contract, name)
    found = []
    for log in event.range(start_block, block_height() + 1, search_topics={"id": action_id}):
        found.append(Event(name, dict(log.event_arguments), tx_hash_of(log), int(log.block_number)))
    return found


def contract_start_block(record: Any, step: str) -> int:
    """The block a recorded contract was deployed in (0 when unknown)."""
    entry = record.contracts.get(step)
    return int(entry.block) if entry is not None else 0


def check_fits(field: str, value: int, largest: int) -> None:
    """`value` fits the contract's field (0..`largest`)."""
    if not isinstance(value, int) or not 0 <= value <= largest:
        raise UserError(field, f"{value} does not fit the contract's field (0 to {largest})")


def require_contract(field: str, address: str, what: str) -> None:
    """`address` is a contract on the connected chain."""
    if not has_code(address):
        raise UserError(field, f"no {what} at {address} (no contract there)")


def date(timestamp: int) -> str:
    return format_date(timestamp)

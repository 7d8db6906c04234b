"""Delivery versus payment across two chains: a security on one, cash on another, one secret.

Both legs are locked in a ``HashedTimelockEscrow`` (interfaces/IHashedTimelockEscrow.sol): a lock
pays its recipient to whoever presents the SHA-256 preimage of its hashlock strictly before its
timelock, and pays its sender back from the timelock on. The exchange
(:func:`securities_rails.settlement.exchange.run_exchange`) runs:

1. the buyer draws the secret (32 random bytes) and keeps it in a 0600 state file;
2. the buyer locks the cash on the cash chain for the seller until ``T1``;
3. the seller checks that lock, then locks the units on the security chain for the buyer with the
   same hashlock until ``T2 = T1 - margin`` (``isSafeOrdering(T1, T2)``: at least
   ``MINIMUM_MARGIN`` earlier);
4. the buyer checks that lock and claims the units with the secret, which publishes it;
5. the seller (or anyone) reads the secret from the security chain and claims the cash before T1.

The security leg is claimed first because it is the one the token's transfer rules can refuse: a
refused claim must reveal nothing, so every claim is checked (the rules through ``canTransfer``,
then the whole call dry-run with ``eth_call``) before its transaction, which carries the secret,
is sent. A reverted transaction is still mined, calldata included. If the claim cannot happen,
the seller refunds the units from T2 and the buyer the cash from T1; the buyer, who holds the
secret, locked first and with the longer timelock, so neither party can lose both legs.

Every function here acts on the chain that is connected (``chain.networks.connected``); only
the exchange switches between the two. Every refusal is a UserError naming the field, raised
before anything is sent.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import stat
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from ape import chain
from ape.exceptions import ContractLogicError
from eth_abi import encode
from eth_utils import keccak, to_checksum_address

from securities_rails.chain.contracts import at, chain_id, has_code, pending_timestamp, token_at
from securities_rails.chain.revert import explain_revert
from securities_rails.chain.transact import send
from securities_rails.errors import UserError
from securities_rails.identifiers import (
    duration_seconds,
    format_amount,
    format_date,
    parse_address,
    parse_date,
    parse_duration,
    parse_reference,
)
from securities_rails.reasons import describe, is_success
from securities_rails.registry.investors import KINDS

Log = Callable[[str], None]
Phase = Literal["mined", "recorded"]
Hook = Callable[[str, Phase], None]

SECRET_SIZE = 32
DEFAULT_TIMELOCK = 2 * 3600  # T1, seconds from now
DEFAULT_MARGIN = 3600  # T1 - T2
STATES = ("none", "locked", "claimed", "refunded", "recovered")
ZERO_ADDRESS = "0x" + "00" * 20
ZERO32 = b"\x00" * 32
ADDRESS_FIELDS = ("sender", "recipient", "token")
PRIVATE_MODE = 0o600
STATE_FORMAT = 1
_HEX32 = re.compile(r"^(0x)?[0-9a-fA-F]{64}$")
_CAN_TRANSFER = keccak(text="canTransfer(address,address,uint256)")[:4]


def quiet(_: str) -> None:
    return None


def no_hook(_step: str, _phase: Phase) -> None:
    return None


# ------------------------------------------------------------------ secrets, hashes, timelocks


def new_secret() -> bytes:
    """32 random bytes from the operating system's CSPRNG: the preimage only the buyer knows."""
    return secrets.token_bytes(SECRET_SIZE)


def hashlock(secret: bytes) -> bytes:
    """``sha256(secret)``, as the escrow computes it (``sha256(abi.encodePacked(bytes32))``)."""
    if len(secret) != SECRET_SIZE:
        raise UserError("secret", f"must be {SECRET_SIZE} bytes, got {len(secret)}")
    return hashlib.sha256(secret).digest()


def parse_hex32(value: str, field: str) -> bytes:
    """A 32-byte value given as 64 hex digits (``0x`` optional): a secret, hashlock or lock id."""
    text = value.strip()
    if not _HEX32.match(text):
        raise UserError(field, f"{value!r} is not 32 bytes of hex (64 hex digits)")
    return bytes.fromhex(text.removeprefix("0x"))


def hex32(value: bytes) -> str:
    return "0x" + bytes(value).hex()


def parse_timelock(value: str, now: int, field: str = "timelock") -> int:
    """A timelock from user input: a duration from ``now`` (``90m``, ``2h``, ``3d``, ``3600s``) or
    an ISO date-time with a zone (``2026-12-31T12:00:00Z``)."""
    text = value.strip().lower()
    if duration_seconds(text) is not None:
        return now + parse_duration(text, field)
    if text.isdigit():
        raise UserError(field, f"{value!r}: give a unit (90m, 2h, 3d) or an ISO date-time")
    return parse_date(value, field)


# ------------------------------------------------------------------ private files


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` readable by its owner only (0600), atomically: a crash leaves
    the old file or the new one, never half of one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, PRIVATE_MODE)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def read_private(path: Path, field: str) -> str:
    """Read a file that holds a secret; refused when others may read it (like ssh's keys)."""
    path = Path(path)
    if not path.is_file():
        raise UserError(field, f"{path} does not exist")
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise UserError(
            field, f"{path} holds a secret but others may read it (mode {mode:04o}): chmod 600 it"
        )
    return path.read_text()


# ------------------------------------------------------------------ locks


@dataclass(frozen=True)
class LockTerms:
    """A lock as its sender makes it and its counterparty expects it."""

    sender: str
    recipient: str
    token: str
    amount: int
    hashlock: bytes
    timelock: int
    reference: str


@dataclass(frozen=True)
class LockView:
    """A lock as the escrow has it; ``secret`` is None until the lock is claimed."""

    lock_id: str
    state: str
    terms: LockTerms
    secret: bytes | None

    @property
    def timelock(self) -> int:
        return self.terms.timelock


class LockMismatchError(UserError):
    """The counterparty's lock differs from the agreed terms; ``mismatches`` maps each differing
    field to (on chain, expected). ``field`` names them all."""

    def __init__(self, lock_id: str, mismatches: dict[str, tuple[Any, Any]]) -> None:
        self.mismatches = mismatches
        detail = "; ".join(
            f"{name} is {_shown(actual)} on chain, {_shown(expected)} agreed"
            for name, (actual, expected) in mismatches.items()
        )
        super().__init__(", ".join(mismatches), f"lock {lock_id} differs from the terms: {detail}")


def _shown(value: Any) -> str:
    return hex32(value) if isinstance(value, bytes) else str(value)


def lock_id(htlc: Any, terms: LockTerms) -> str:
    """The id the escrow gives a lock with these terms (deterministic: chain, escrow, terms)."""
    value = htlc.computeLockId(
        terms.sender,
        terms.recipient,
        terms.token,
        terms.amount,
        terms.hashlock,
        terms.timelock,
        terms.reference,
    )
    return hex32(bytes(value))


def read_lock(htlc: Any, lock: str) -> LockView:
    """The lock ``lock`` (its id) as the escrow has it; state "none" when it does not exist."""
    raw = htlc.lockOf(lock)
    secret = bytes(raw.secret)
    terms = LockTerms(
        sender=to_checksum_address(raw.sender),
        recipient=to_checksum_address(raw.recipient),
        token=to_checksum_address(raw.token),
        amount=int(raw.amount),
        hashlock=bytes(raw.hashlock),
        timelock=int(raw.timelock),
        reference=str(raw.tradeRef),
    )
    return LockView(
        lock_id=lock,
        state=STATES[int(raw.state)],
        terms=terms,
        secret=secret if secret != ZERO32 else None,
    )


def security_at(address: str) -> Any | None:
    """The token at ``address`` when it has transfer rules (it answers ``canTransfer``), else
    None (cash). Asked with a raw ``eth_call``: a token without the function just reverts."""
    data = _CAN_TRANSFER + encode(["address", "address", "uint256"], [ZERO_ADDRESS, address, 1])
    try:
        answer = chain.provider.make_request("eth_call", [{"to": address, "data": hex32(data)}])
    except Exception:  # the provider raises its own error types for a revert
        return None
    if not isinstance(answer, str) or len(answer) != 2 + 2 * 64:
        return None
    return token_at(address)


def token_contract(address: str) -> tuple[Any, bool]:
    """An ape handle on the ERC-20 at ``address``, and whether it is a security token."""
    if not has_code(address):
        raise UserError("token", f"no contract at {address} on chain {chain_id()}")
    security = security_at(address)
    return (security, True) if security is not None else (at("CashToken", address), False)


def _refusal(token: Any, source: str, target: str, amount: int) -> str | None:
    """The decoded reason the token's rules would refuse ``source -> target``, or None."""
    code, reason = token.canTransfer(source, target, amount)
    value = int.from_bytes(bytes(code), "big") if isinstance(code, bytes | bytearray) else int(code)
    return None if is_success(value) else describe(value, bytes(reason))


def _payout_refusal(token: Any, escrow: str, recipient: str, amount: int) -> str | None:
    """Why the rules would refuse the escrow paying ``recipient`` once the units are locked.

    Before the lock the escrow may hold less than ``amount``, and ``canTransfer(escrow, ...)``
    would only say so; the escrow is a system account (investor key 0, no eligibility), for which
    the rules check the recipient exactly as for units newly issued (``from`` zero). The
    escrow-side rules (lock-up, minimum size, a frozen escrow) are those of the move into it,
    which the caller checks too."""
    source = escrow if int(token.balanceOf(escrow)) >= amount else ZERO_ADDRESS
    return _refusal(token, source, recipient, amount)


def _units(token: Any, amount: int) -> str:
    return f"{format_amount(amount, int(token.decimals()))} {token.symbol()}"


def _dry_run_then_send(method: Any, *args: Any, sender: Any, field: str) -> Any:
    """Send only what the chain accepts in the next block: an ``eth_call`` of the same call on
    the pending block first (its timestamp is the one the transaction will see), so that a
    refusal costs nothing and puts nothing (a secret, say) on chain: a reverted transaction is
    mined, calldata included."""
    try:
        method.call(*args, sender=sender, block_id="pending")
    except ContractLogicError as error:
        raise UserError(field, explain_revert(error)) from None
    return send(method, *args, sender=sender, field=field)


def check_lock(htlc: Any, terms: LockTerms) -> None:
    """Everything the escrow and the token would refuse in ``lock``, asked first.

    For a security, also what would make the lock useless: the rules must let the units go
    sender -> escrow and escrow -> recipient, and the recipient's eligibility must outlast the
    timelock (a claim after it expired would be refused)."""
    parse_reference(terms.reference)
    if terms.amount <= 0:
        raise UserError("amount", "must be greater than zero")
    for name, address in (("sender", terms.sender), ("recipient", terms.recipient)):
        parse_address(address, name)
    if terms.recipient.lower() in (terms.sender.lower(), htlc.address.lower()):
        raise UserError("recipient", f"{terms.recipient} is the sender or the escrow itself")
    if len(terms.hashlock) != 32 or terms.hashlock == ZERO32:
        raise UserError("hashlock", "must be 32 bytes, not zero")
    now = pending_timestamp()
    longest = int(htlc.MAX_LOCK_PERIOD())
    if not now < terms.timelock <= now + longest:
        raise UserError(
            "timelock",
            f"{format_date(terms.timelock)} is not between now ({format_date(now)}) and "
            f"{longest // 86400} days ahead",
        )
    existing = read_lock(htlc, lock_id(htlc, terms))
    if existing.state != "none":
        raise UserError(
            "reference",
            f"a lock with these terms exists already ({existing.state}): {existing.lock_id}; "
            "use another reference",
        )
    token, security = token_contract(terms.token)
    held = int(token.balanceOf(terms.sender))
    available = held - int(token.frozenTokens(terms.sender)) if security else held
    if available < terms.amount:
        raise UserError(
            "amount",
            f"{terms.sender} can lock {_units(token, available)}, "
            f"not {_units(token, terms.amount)}",
        )
    if not security:
        return
    if (refused := _refusal(token, terms.sender, htlc.address, terms.amount)) is not None:
        raise UserError("amount", f"the token refuses the move into the escrow: {refused}")
    if (refused := _payout_refusal(token, htlc.address, terms.recipient, terms.amount)) is not None:
        raise UserError("recipient", f"the token would refuse to pay {terms.recipient}: {refused}")
    _require_eligible_until(token, terms.recipient, terms.timelock)


def _require_eligible_until(token: Any, wallet: str, timelock: int) -> None:
    registry = at("InvestorRegistry", token.registry())
    record = registry.identityOf(wallet)
    if KINDS[int(record.kind)] == "investor" and int(record.expiry) < timelock:
        raise UserError(
            "recipient",
            f"the eligibility of {wallet} expires {format_date(int(record.expiry))}, before the "
            f"timelock {format_date(timelock)}: a claim after that would be refused",
        )


def lock(htlc: Any, signer: Any, terms: LockTerms) -> LockView:
    """Lock ``terms.amount`` of ``terms.token`` from ``signer`` (the sender) for the recipient.

    When the escrow's allowance is short, approves it for exactly the amount first (one
    transaction); then the lock is dry-run and sent."""
    if signer.address.lower() != terms.sender.lower():
        raise UserError("account", f"{signer.address} is not the sender {terms.sender}")
    check_lock(htlc, terms)
    token, _ = token_contract(terms.token)
    if int(token.allowance(signer.address, htlc.address)) < terms.amount:
        send(token.approve, htlc.address, terms.amount, sender=signer, field="approve")
    args = (terms.token, terms.amount, terms.recipient, terms.hashlock, terms.timelock)
    _dry_run_then_send(htlc.lock, *args, terms.reference, sender=signer, field="lock")
    view = read_lock(htlc, lock_id(htlc, terms))
    if view.state != "locked":
        raise UserError("lock", f"lock {view.lock_id} is {view.state} after locking")
    return view


def verify_lock(htlc: Any, lock: str, expected: LockTerms) -> LockView:
    """The counterparty's lock, checked against the agreed terms before acting on it: every
    differing field is named (LockMismatchError), then the lock must still be claimable."""
    view = read_lock(htlc, lock)
    if view.state == "none":
        raise UserError("lock", f"no lock {lock} on chain {chain_id()}")
    actual = asdict(view.terms)
    mismatches = {
        name: (actual[name], wanted)
        for name, wanted in asdict(expected).items()
        if not _same(name, actual[name], wanted)
    }
    if mismatches:
        raise LockMismatchError(lock, mismatches)
    if view.state != "locked":
        raise UserError("lock", f"lock {lock} is {view.state}, not locked")
    if pending_timestamp() >= view.timelock:
        raise UserError("timelock", f"lock {lock} expired at {format_date(view.timelock)}")
    return view


def _same(name: str, actual: Any, expected: Any) -> bool:
    if name in ADDRESS_FIELDS:
        return str(actual).lower() == str(expected).lower()
    return bool(actual == expected)


def require_safe_ordering(htlc: Any, first: int, second: int, field: str = "timelock") -> None:
    """The counter-lock's timelock ``second`` must end at least ``MINIMUM_MARGIN`` before the
    first lock's ``first`` (the escrow's ``isSafeOrdering``): the margin is the time the first
    lock's recipient has to claim with the secret published by the counter-lock's claim."""
    if not htlc.isSafeOrdering(first, second):
        margin = int(htlc.MINIMUM_MARGIN())
        raise UserError(
            field,
            f"{format_date(second)} is not at least {margin // 60} minutes before the first "
            f"lock's timelock {format_date(first)}: the claimant of the first lock could be left "
            "without time to claim",
        )


def claim(htlc: Any, signer: Any, lock: str, secret: bytes) -> LockView:
    """Claim ``lock`` for its recipient with ``secret`` (anyone may send it). Checked before the
    secret leaves this process: the lock is claimable, the secret matches, and for a security the
    rules would pay the recipient; a refusal reveals nothing."""
    view = read_lock(htlc, lock)
    if view.state != "locked":
        raise UserError("lock", f"lock {lock} is {view.state}, not locked")
    if pending_timestamp() >= view.timelock:
        raise UserError(
            "timelock",
            f"lock {lock} expired at {format_date(view.timelock)}: it can only be refunded now",
        )
    if hashlock(secret) != view.terms.hashlock:
        raise UserError("secret", f"is not the preimage of the hashlock of lock {lock}")
    security = security_at(view.terms.token)
    if security is not None:
        recipient, amount = view.terms.recipient, view.terms.amount
        if (refused := _refusal(security, htlc.address, recipient, amount)) is not None:
            raise UserError(
                "recipient",
                f"the token refuses to pay {recipient}: {refused} (nothing sent: the secret is "
                "still secret; both legs are refundable after their timelocks)",
            )
    _dry_run_then_send(htlc.claim, lock, secret, sender=signer, field="claim")
    return read_lock(htlc, lock)


def refund(htlc: Any, signer: Any, lock: str) -> LockView:
    """Pay a lock back to its sender (anyone may send it), from its timelock on."""
    view = read_lock(htlc, lock)
    if view.state != "locked":
        raise UserError("lock", f"lock {lock} is {view.state}, not locked")
    if pending_timestamp() < view.timelock:
        raise UserError(
            "timelock", f"lock {lock} is refundable from {format_date(view.timelock)}, not yet"
        )
    security = security_at(view.terms.token)
    if security is not None:
        sender, amount = view.terms.sender, view.terms.amount
        if (refused := _refusal(security, htlc.address, sender, amount)) is not None:
            raise UserError(
                "lock",
                f"the token refuses to pay {sender} back: {refused}; the instrument's registrar "
                "can move the units with the escrow's recover",
            )
    _dry_run_then_send(htlc.refund, lock, sender=signer, field="refund")
    return read_lock(htlc, lock)


def revealed_secret(htlc: Any, lock: str) -> bytes:
    """The secret a claim of ``lock`` published (the escrow keeps it with the lock, and in the
    ``Claimed`` event); refused while the lock is not claimed."""
    view = read_lock(htlc, lock)
    if view.state != "claimed" or view.secret is None:
        raise UserError("lock", f"lock {lock} is {view.state}: no secret is revealed yet")
    if hashlock(view.secret) != view.terms.hashlock:  # cannot happen with this escrow
        raise UserError("lock", f"lock {lock} holds a secret that does not match its hashlock")
    return view.secret


@dataclass(frozen=True)
class LockStatus:
    """A lock, and what can be done with it now."""

    view: LockView
    now: int

    @property
    def claimable(self) -> bool:
        return self.view.state == "locked" and self.now < self.view.timelock

    @property
    def refundable(self) -> bool:
        return self.view.state == "locked" and self.now >= self.view.timelock

    def rows(self, token: Any | None = None) -> dict[str, str]:
        """Name/value pairs for people."""
        terms = self.view.terms
        amount = _units(token, terms.amount) if token is not None else str(terms.amount)
        action = "claim" if self.claimable else "refund" if self.refundable else "none"
        return {
            "lock": self.view.lock_id,
            "state": self.view.state,
            "sender": terms.sender,
            "recipient": terms.recipient,
            "token": terms.token,
            "amount": amount,
            "hashlock": hex32(terms.hashlock),
            "timelock": format_date(terms.timelock),
            "reference": terms.reference,
            "secret": hex32(self.view.secret) if self.view.secret else "-",
            "possible now": action,
        }


def amount_of(view: LockView) -> str:
    """A lock's amount for people: in the token's decimals, with its symbol."""
    token, _ = token_contract(view.terms.token)
    return _units(token, view.terms.amount)


def status(htlc: Any, lock: str) -> LockStatus:
    """The lock and whether it can be claimed or refunded now; refused when it does not exist."""
    view = read_lock(htlc, lock)
    if view.state == "none":
        raise UserError("lock", f"no lock {lock} on chain {chain_id()}")
    return LockStatus(view=view, now=pending_timestamp())

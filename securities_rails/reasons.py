"""Transfer-restriction reasons: what the contracts' (status, reason) pairs mean and how to fix.

The contracts answer "can this transfer happen?" with an ERC-1066 status byte and a
bytes32 ASCII reason name (left-aligned, NUL-padded), e.g. ``(0x57, "RECIPIENT_FROZEN")``.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

from securities_rails.identifiers import from_fixed_bytes, to_fixed_bytes

# ERC-1066 status codes used by the contracts.
TRANSFER_FAILED = 0x50
TRANSFER_OK = 0x51
INSUFFICIENT_FUNDS = 0x54
FUNDS_LOCKED = 0x55
INVALID_SENDER = 0x56
INVALID_RECEIVER = 0x57

STATUS_TEXT: dict[int, str] = {
    TRANSFER_FAILED: "transfer failed",
    TRANSFER_OK: "transfer allowed",
    INSUFFICIENT_FUNDS: "insufficient funds",
    FUNDS_LOCKED: "funds locked",
    INVALID_SENDER: "invalid sender",
    INVALID_RECEIVER: "invalid recipient",
}

_REGISTER = "with `ape run issuer register-investor`"
_RENEW = "ask the issuer to renew the investor's eligibility with a later expiry date"


@dataclass(frozen=True)
class Reason:
    """One transfer outcome: its ERC-1066 code, reason name, meaning and remedy."""

    code: int
    name: str
    text: str
    fix: str


def _table(*reasons: Reason) -> dict[str, Reason]:
    return {reason.name: reason for reason in reasons}


REASONS: dict[str, Reason] = _table(
    Reason(TRANSFER_OK, "OK", "transfer allowed", "nothing to fix"),
    Reason(
        TRANSFER_FAILED,
        "TOKEN_PAUSED",
        "the instrument is paused, so no transfers can happen",
        "ask the pauser (role holder) to unpause the instrument",
    ),
    Reason(
        FUNDS_LOCKED,
        "SENDER_FROZEN",
        "the sender wallet is frozen",
        "ask the enforcer to unfreeze the sender wallet",
    ),
    Reason(
        INVALID_RECEIVER,
        "RECIPIENT_FROZEN",
        "the recipient wallet is frozen",
        "ask the enforcer to unfreeze the recipient wallet",
    ),
    Reason(
        INSUFFICIENT_FUNDS,
        "INSUFFICIENT_BALANCE",
        "the sender holds fewer tokens than the amount",
        "transfer a smaller amount, or fund the sender first",
    ),
    Reason(
        FUNDS_LOCKED,
        "FROZEN_BALANCE",
        "the amount exceeds the sender's unfrozen balance",
        "transfer at most the unfrozen balance, or ask the enforcer to unfreeze tokens",
    ),
    Reason(
        INVALID_SENDER,
        "SENDER_NOT_REGISTERED",
        "the sender wallet is not in the investor registry",
        f"register the sender {_REGISTER}",
    ),
    Reason(
        INVALID_SENDER,
        "SENDER_ELIGIBILITY_EXPIRED",
        "the sender's investor eligibility has expired",
        _RENEW,
    ),
    Reason(
        INVALID_RECEIVER,
        "RECIPIENT_NOT_REGISTERED",
        "the recipient wallet is not in the investor registry",
        f"register the recipient {_REGISTER}",
    ),
    Reason(
        INVALID_RECEIVER,
        "RECIPIENT_ELIGIBILITY_EXPIRED",
        "the recipient's investor eligibility has expired",
        _RENEW,
    ),
    Reason(
        INVALID_RECEIVER,
        "INVALID_RECIPIENT",
        "the recipient is the zero address",
        "give a real recipient wallet address",
    ),
    Reason(
        INVALID_RECEIVER,
        "COUNTRY_NOT_ALLOWED",
        "the recipient's country is not on the instrument's allow list",
        "ask the issuer to add the country to the allow list, or pick another recipient",
    ),
    Reason(
        INVALID_RECEIVER,
        "COUNTRY_DENIED",
        "the recipient's country is on the instrument's deny list",
        "ask the issuer to remove the country from the deny list, or pick another recipient",
    ),
    Reason(
        INVALID_RECEIVER,
        "MAX_INVESTORS_REACHED",
        "the instrument already has its maximum number of investors",
        "transfer to an existing holder, or ask the issuer to raise the investor limit",
    ),
    Reason(
        INVALID_RECEIVER,
        "HOLDING_CAP_EXCEEDED",
        "the recipient would hold more than the instrument's holding cap",
        "transfer a smaller amount, or ask the issuer to raise the holding cap",
    ),
    Reason(
        FUNDS_LOCKED,
        "LOCKED_UP",
        "the instrument is still in its lock-up period",
        "wait until the lock-up ends on the instrument's lock-up date",
    ),
    Reason(
        TRANSFER_FAILED,
        "BELOW_MIN_TRANSFER",
        "the amount is below the instrument's minimum transfer",
        "transfer at least the instrument's minimum transfer amount",
    ),
    Reason(
        TRANSFER_FAILED,
        "INSTRUMENT_NOT_ACTIVE",
        "the instrument is in its primary placement: only the issuer mints and burns",
        "wait until the issuer closes the placement and activates the instrument",
    ),
    Reason(
        TRANSFER_FAILED,
        "INSTRUMENT_SUSPENDED",
        "the instrument is suspended: no transfer or mint until it is resumed",
        "ask the corporate-action agent to resume the instrument",
    ),
    Reason(
        TRANSFER_FAILED,
        "INSTRUMENT_MATURED",
        "the instrument has matured: units can only be redeemed (or come home from a system "
        "account such as bridge custody or an escrow)",
        "redeem the units with the issuer's redemption; nothing else can move them",
    ),
    Reason(
        TRANSFER_FAILED,
        "INSTRUMENT_REDEEMED",
        "the instrument is redeemed: every unit is gone and nothing moves",
        "nothing to fix: the instrument has ended",
    ),
)

_HEX32_RE = re.compile(r"^0x[0-9a-fA-F]{64}$")


def is_success(code: int) -> bool:
    """Return whether an ERC-1066 status code means the transfer is allowed."""
    return code == TRANSFER_OK


def encode_reason(name: str) -> bytes:
    """Pack a reason name into the bytes32 the contracts return."""
    return to_fixed_bytes(name, 32, "reason")


def decode_reason(reason: bytes) -> str:
    """Unpack a bytes32 reason into its name (trailing NULs removed)."""
    return from_fixed_bytes(reason)


def explain(code: int, reason: bytes | str) -> Reason:
    """Return the :class:`Reason` for a (status, reason) pair; never raises.

    ``reason`` is the raw bytes32, its ``0x`` hex form, or an already-decoded name. The
    returned code is always the one the contract gave. An unknown name yields a generic
    :class:`Reason` carrying the raw name.
    """
    name = _reason_name(reason) or ("OK" if is_success(code) else "UNKNOWN")
    known = REASONS.get(name)
    if known is not None:
        return dataclasses.replace(known, code=code)
    return Reason(code, name, _generic_text(code), _GENERIC_FIX)


_GENERIC_FIX = "check that this tooling matches the deployed contracts' version"


def _reason_name(reason: bytes | str) -> str:
    if isinstance(reason, str):
        if _HEX32_RE.match(reason):
            return _reason_name(bytes.fromhex(reason[2:]))
        return reason.strip()
    name = decode_reason(reason)
    if name.isascii() and name.isprintable():
        return name
    return "0x" + bytes(reason).rstrip(b"\0").hex()


def _generic_text(code: int) -> str:
    status = STATUS_TEXT.get(code, "unrecognised status")
    return f"the contracts gave a reason this tooling does not know ({status})"


def describe(code: int, reason: bytes | str) -> str:
    """Return a one-line account of the outcome, with the fix when the transfer is refused.

    e.g. ``refused (0x57 RECIPIENT_NOT_REGISTERED): the recipient wallet is not in the
    investor registry; fix: register the recipient with `ape run issuer register-investor```.
    """
    found = explain(code, reason)
    head = f"(0x{found.code:02x} {found.name}): {found.text}"
    if is_success(found.code):
        return f"allowed {head}"
    return f"refused {head}; fix: {found.fix}"

"""Turn contract reverts into one-line messages that say what is wrong and what to do.

ape decodes a custom error when it knows which contract reverted; when it does not (a call
through another chain's provider, a revert inside a sub-call), the raw revert data is decoded
here against the errors of every contract of the project.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from ape import project
from ape.exceptions import ContractLogicError, CustomError
from eth_abi import decode as abi_decode
from eth_utils import keccak
from eth_utils.abi import abi_to_signature, get_abi_input_names, get_abi_input_types

from securities_rails.chain.contracts import role_name
from securities_rails.identifiers import format_date
from securities_rails.reasons import describe

# Messages for the suite's custom errors, by name; inputs are formatted in.
_MESSAGES: dict[str, str] = {
    "AccessControlUnauthorizedAccount": "{account} lacks the {neededRole} role",
    "ERC20InsufficientBalance": "insufficient balance: {sender} holds {balance}, needs {needed}",
    "ERC20InsufficientAllowance": "allowance of {spender} is {allowance}, needs {needed}",
    "ERC20InvalidReceiver": "invalid recipient {receiver}",
    "ERC20InvalidSender": "invalid sender {sender}",
    "EnforcedPause": "the instrument is paused",
    "ExpectedPause": "the instrument is not paused",
    "RecipientNotRegistered": "recipient {wallet} is not registered in the investor registry",
    "SameAddress": "sender and recipient are the same wallet {wallet}",
    "NotSameInvestor": "{newWallet} is not linked to the investor of {lostWallet} in the registry",
    "FreezeAmountInvalid": "cannot (un)freeze {amount} for {wallet}: {available} available",
    "InstrumentExists": "an instrument with ISIN {isin} exists already at {token}",
    "InvalidInstrument": "invalid instrument field {field}",
    "InvalidRoleHolder": "no holder given for the {role} role",
    "WalletAlreadyRegistered": "wallet {wallet} is already registered (kind {kind})",
    "WalletNotRegistered": "wallet {wallet} is not a registered investor wallet",
    "UnknownInvestor": "unknown investor {investorId}",
    "InvestorAttributesDiffer": "investor {investorId} exists with other attributes; update it",
    "TooManyWallets": "investor {investorId} already has the maximum of {max} wallets",
    "ExpiryNotInFuture": "eligibility expiry {expiry} is not in the future",
    "InvalidCountry": "invalid country code {country}",
    "UnknownCategory": "investor category {category} is not defined",
    "DocumentNotFound": "no document named {name}",
    "RuleNotActive": "rule {rule} is not active",
    "InvalidRuleValue": "value {value} does not fit rule {rule}",
    # The bridge endpoints (Direction: 0 outbound, 1 inbound; InboundStatus: 1 executed,
    # 2 queued, 3 failed).
    "InvalidAmount": "amount {amount} is not between 1 and the maximum {maximum}",
    "UnknownPeer": "no peer endpoint is configured for chain {chainId}",
    "DirectionIsPaused": "the bridge is paused in direction {direction} (0 out, 1 in)",
    "WrongChain": "this is chain {expected}; the message is for chain {actual}",
    "WrongBridge": "bridge {expected} expected, the message names {actual}",
    "WrongInstrument": "the message is for ISIN {actual}, this endpoint carries {expected}",
    "AlreadyProcessed": "message {id} was processed already (status {status})",
    "NotQueued": "message {id} is not queued",
    "NotQueuedOutbound": "transfer {nonce} is not queued for sending",
    "UnknownOutbound": "no sent transfer {nonce} matches this refund",
    "RateLimited": "rate limit: {amount} units asked, {available} available (direction "
    "{direction})",
    "InvalidSignature": "signature {index} is not a valid signature",
    "SignersNotAscending": "signature {index} (signer {signer}) repeats or is out of order",
    "NotValidator": "signature {index} is by {signer}, not a current validator",
    "BelowThreshold": "{signatures} validator signatures, {threshold} needed",
    "InvalidValidatorSet": "invalid validator set: {reason}",
    "InvalidConfiguration": "invalid configuration: {reason}",
    "LimitRaiseNeedsGovernor": "raising a limit needs the governor (the timelock)",
    "MaxRaiseNeedsGovernor": "raising the maximum from {current} to {requested} needs the governor",
    "RefundNotPayable": "transfer {nonce} cannot be paid back now: {reason}",
    "TokenPaused": "the instrument {token} is paused: delivery waits",
    # The DvP escrow.
    "InvalidTerms": "the contract refuses the terms' {field}",
    "UnknownTrade": "no trade {tradeId} on this escrow",
    "NotAParty": "{account} is neither the seller nor the buyer of trade {tradeId}",
    "TradeNotOpen": "trade {tradeId} is {status}: it can no longer be instructed or cancelled",
    "AlreadyInstructed": "the {side}'s leg of trade {tradeId} is already escrowed",
    "TradeNotMatched": "trade {tradeId} is {status}, not matched: it cannot settle",
    "DeadlinePassed": "trade {tradeId} expired at {deadline}: only reclaiming the legs remains",
    "SettlementRefused": "trade {tradeId} cannot settle: {verdict}",
    "CancelAlreadyRequested": "the {side} already asked to cancel trade {tradeId}",
    "NotReclaimable": "trade {tradeId} is {status}: only a cancelled or expired trade's legs "
    "can be reclaimed",
    "NothingToReclaim": "the {side}'s leg of trade {tradeId} is not in the escrow",
    "ReclaimRefused": "the units of trade {tradeId} cannot go back: {verdict}",
    "NotInstrumentRegistrar": "{account} does not hold the registrar role of the instrument",
    "DepositShortfall": "{token} credited {received} of {expected}: fee-on-transfer tokens "
    "cannot be escrowed",
    "InvalidBatch": "a batch holds 1 to {max} trades, not {length}",
    "InsufficientGas": "too little gas for trade {index} of the batch: send with more gas",
    "OnlySelf": "settleOne is for the escrow's own batches",
    # The hashed-timelock escrow.
    "InvalidLock": "the escrow refuses the lock's {field}",
    "LockExists": "lock {lockId} exists already: use another reference",
    "UnknownLock": "no lock {lockId} on this escrow",
    "NotLocked": "lock {lockId} is {state}, not locked",
    "TimelockPassed": "lock {lockId} expired at {timelock}: only a refund remains",
    "TimelockNotReached": "lock {lockId} is refundable from {timelock}, not yet",
    "WrongSecret": "the secret is not the preimage of the hashlock of lock {lockId}",
    # The lifecycle contracts (record dates, distributions, redemption, splits); an action's id is
    # a distribution's, a redemption's or a split's, after the contract that reverted.
    "NotCorporateActionAgent": "{account} lacks the corporate-action role "
    "(CORPORATE_ACTION_ROLE) of the instrument {token}",
    "MissingInstrumentRole": "the contract lacks the {role} role of the instrument {token}: its "
    "admin enables the instrument for corporate actions",
    "NoRecordDateBook": "the instrument {token} has no record-date book: its admin enables it for "
    "corporate actions",
    "NotTokenRecordDates": "{token} does not keep its record dates in this book",
    "InvalidRecordDate": "record date {timestamp} of {token} is refused: it must be in the future "
    "and not before {earliest}",
    "UnknownRecordDate": "{token} has no record date {id}",
    "RecordDateNotPassed": "balances at the record date {recordDate} of action {id} are not "
    "final yet: wait until it has passed",
    "UnknownDistribution": "no distribution {id}",
    "UnknownRedemption": "no redemption {id}",
    "UnknownSplit": "no split or consolidation {id}",
    "PaymentNotStarted": "distribution {id} pays from its payment date {paymentDate}",
    "ClaimPeriodOver": "the claim deadline {claimDeadline} of distribution {id} has passed",
    "ClaimPeriodNotOver": "distribution {id} is swept only after its claim deadline "
    "{claimDeadline}",
    "RedemptionNotStarted": "redemption {id} opens at {startDate}",
    "RedemptionPeriodOver": "the deadline {deadline} of redemption {id} has passed",
    "RedemptionPeriodNotOver": "redemption {id} is swept only after its deadline {deadline}",
    "PeriodOver": "the deadline {deadline} of split {id} has passed",
    "Underfunded": "action {id} is underfunded: requires {required}, funded {funded}",
    "AlreadyFunded": "action {id} is already funded",
    "NothingToSweep": "action {id} has nothing left to sweep",
    "NothingEntitled": "{holder} is entitled to nothing in distribution {id}",
    "NothingToRedeem": "{holder} has no unit to redeem in redemption {id}",
    "NothingDue": "{holder} is due nothing in split {id} (no units at the record date, or "
    "rounded to 0)",
    "AlreadyPaid": "{holder} was already paid by distribution {id}",
    "AlreadyRedeemed": "{holder} already redeemed in redemption {id}",
    "AlreadyApplied": "split {id} was already applied to {holder} (or its held units released)",
    "HolderNotEligible": "{holder} cannot be served by action {id} now: {reason}",
    "InsufficientUnits": "{holder} holds fewer units than the {units} action {id} burns",
    "NotHeld": "{holder} has nothing held in action {id}",
    "ReleaseExceedsHeld": "{holder} has {held} held in action {id}: a release of {amount} must "
    "be 1 to that",
    "InvalidReleaseRecipient": "{to} may not receive the release of action {id}: give another "
    "eligible wallet of the holder's investor",
    "OverlapsPrevious": "the record date is not after the deadline {deadline} of split "
    "{previous} of the instrument {token}: their applications would overlap",
    "InvalidInstrumentState": "the instrument {token} is {state}: the action is not allowed in "
    "that state (a consolidation needs it suspended, a split active or issued)",
    "InstrumentPaused": "the instrument {token} is paused: nothing is minted or burned",
}

# Other templates of an error name that several contracts declare with other inputs, tried in
# order when the first lacks one of the inputs.
_ALTERNATIVES: dict[str, tuple[str, ...]] = {
    "InvalidConfiguration": ("invalid configuration: {field}",),
    "InvalidBatch": ("a batch holds 1 to {max} wallets in ascending order, not {size}",),
    "RecordDateNotPassed": (
        "balances at record date {id} ({timestamp}) of {token} are not final yet",
    ),
}

# Enumerations an error reports by number, shown by name (per error, since names repeat).
_TRADE_STATUS = ("unknown", "proposed", "matched", "settled", "cancelled", "expired")
_SIDE = ("seller", "buyer")
_LOCK_STATE = ("unknown", "locked", "claimed", "refunded", "recovered")
_ENUMS: dict[str, dict[str, tuple[str, ...]]] = {
    "TradeNotOpen": {"status": _TRADE_STATUS},
    "TradeNotMatched": {"status": _TRADE_STATUS},
    "NotReclaimable": {"status": _TRADE_STATUS},
    "AlreadyInstructed": {"side": _SIDE},
    "CancelAlreadyRequested": {"side": _SIDE},
    "NothingToReclaim": {"side": _SIDE},
    "NotLocked": {"state": _LOCK_STATE},
    "InvalidInstrumentState": {
        "state": ("active", "issued", "suspended", "matured", "redeemed"),
    },
}
# Unix times, shown as dates.
_TIMES = (
    "deadline",
    "timelock",
    "recordDate",
    "timestamp",
    "earliest",
    "paymentDate",
    "claimDeadline",
    "startDate",
)
_VERDICTS = ("SettlementRefused", "ReclaimRefused")  # carry a transfer rule's code and reason
_CORPORATE_ACTION = keccak(text="CORPORATE_ACTION_ROLE")  # the instrument's, not a suite role
_CUSTOM_ERROR = re.compile(r"custom error 0x(?P<selector>[0-9a-fA-F]{8}):? ?(?P<args>[0-9a-fA-F]*)")


def _fmt(value: Any) -> str:
    if isinstance(value, bytes | bytearray):
        text = bytes(value).rstrip(b"\x00")
        if text and all(32 <= c < 127 for c in text):
            return text.decode()
        return "0x" + bytes(value).hex()
    return str(value)


def decode_revert(error: ContractLogicError) -> tuple[str, dict[str, Any]] | None:
    """The custom error's name and inputs: ape's decoding, else the revert data decoded against
    the errors of every contract of the project (None when it is none of them)."""
    if isinstance(error, CustomError):
        return error.name, dict(error.inputs)
    data = getattr(getattr(error, "base_err", None), "data", None)
    if isinstance(data, dict):
        data = data.get("data")
    if not isinstance(data, str) or not data.startswith("0x") or len(data) < 10:
        match = _CUSTOM_ERROR.search(str(error.message))
        data = "0x" + match["selector"] + match["args"] if match else None
    if data is None:
        return None
    raw = bytes.fromhex(data[2:])
    entry = _project_errors().get(raw[:4])
    if entry is None:
        return None
    values = abi_decode(get_abi_input_types(entry), raw[4:])
    return entry["name"], dict(zip(get_abi_input_names(entry), values, strict=True))


@functools.cache
def _project_errors() -> dict[bytes, dict[str, Any]]:
    """Every custom error of the project's contracts (OpenZeppelin's included), by selector."""
    errors: dict[bytes, dict[str, Any]] = {}
    for name in project.contracts:
        abi = getattr(project, name).contract_type.model_dump(mode="json", by_alias=True)["abi"]
        for entry in abi:
            if entry.get("type") == "error":
                errors.setdefault(keccak(text=abi_to_signature(entry))[:4], entry)
    return errors


def explain_revert(error: Exception) -> str:
    """One line for a contract revert: decoded custom error, transfer reason, or the raw message."""
    decoded = decode_revert(error) if isinstance(error, ContractLogicError) else None
    if decoded is not None:
        return explain_error(*decoded)
    if isinstance(error, ContractLogicError):
        return f"reverted: {error.message}"
    return str(error)


def explain_error(name: str, inputs: dict[str, Any]) -> str:
    """One line for custom error `name` with its decoded `inputs`."""
    inputs = dict(inputs)
    if name == "TransferRestricted":
        return describe(int.from_bytes(bytes(inputs["code"]), "big"), bytes(inputs["reason"]))
    if name == "AccessControlUnauthorizedAccount":
        inputs["neededRole"] = role_name(bytes(inputs["neededRole"]))
    if name == "MissingInstrumentRole":
        role = bytes(inputs["role"])
        inputs["role"] = "corporate-action" if role == _CORPORATE_ACTION else role_name(role)
    fields = {key: _fmt(value) for key, value in inputs.items()}
    for key, names in _ENUMS.get(name, {}).items():
        fields[key] = names[int(inputs[key])] if int(inputs[key]) < len(names) else fields[key]
    for key in _TIMES:
        if key in inputs and isinstance(inputs[key], int):
            fields[key] = format_date(int(inputs[key]))
    if name in _VERDICTS:
        fields["verdict"] = describe(
            int.from_bytes(bytes(inputs["code"]), "big"), bytes(inputs["reason"])
        )
    templates = [_MESSAGES[name]] if name in _MESSAGES else []
    for template in [*templates, *_ALTERNATIVES.get(name, ())]:
        try:
            return template.format(**fields)
        except KeyError:  # an error of the same name with other inputs (another contract's)
            continue
    args = ", ".join(f"{k}={v}" for k, v in fields.items())
    return f"{name}({args})"

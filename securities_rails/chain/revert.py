"""Turn contract reverts into one-line messages that say what is wrong and what to do."""

from __future__ import annotations

from typing import Any

from ape.exceptions import ContractLogicError, CustomError

from securities_rails.chain.contracts import role_name
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
    "InvalidConfiguration": "invalid bridge configuration: {reason}",
    "LimitRaiseNeedsGovernor": "raising a limit needs the governor (the timelock)",
    "MaxRaiseNeedsGovernor": "raising the maximum from {current} to {requested} needs the governor",
    "RefundNotPayable": "transfer {nonce} cannot be paid back now: {reason}",
    "TokenPaused": "the instrument {token} is paused: delivery waits",
}


def _fmt(value: Any) -> str:
    if isinstance(value, bytes | bytearray):
        text = bytes(value).rstrip(b"\x00")
        if text and all(32 <= c < 127 for c in text):
            return text.decode()
        return "0x" + bytes(value).hex()
    return str(value)


def explain_revert(error: Exception) -> str:
    """One line for a contract revert: decoded custom error, transfer reason, or the raw message."""
    if isinstance(error, CustomError):
        inputs = dict(error.inputs)
        if error.name == "TransferRestricted":
            return describe(int.from_bytes(bytes(inputs["code"]), "big"), bytes(inputs["reason"]))
        if error.name == "AccessControlUnauthorizedAccount":
            inputs["neededRole"] = role_name(bytes(inputs["neededRole"]))
        template = _MESSAGES.get(error.name)
        fields = {key: _fmt(value) for key, value in inputs.items()}
        if template is not None:
            return template.format(**fields)
        args = ", ".join(f"{k}={v}" for k, v in fields.items())
        return f"{error.name}({args})"
    if isinstance(error, ContractLogicError):
        return f"reverted: {error.message}"
    return str(error)

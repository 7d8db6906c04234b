"""The bridge message, its EIP-712 id, validator signatures, and the refund of a failed transfer.

A ``Message`` mirrors ``IBridgeEndpoint.Message``. Its id is the EIP-712 digest over the domain
(name "SecuritiesRailsBridge", version "1", chain id = the destination chain, verifying contract
= the destination bridge); validators sign that digest (65 bytes, r || s || v with v 27 or 28).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from functools import lru_cache
from typing import Any

from eth_abi import encode as abi_encode
from eth_account import Account
from eth_account.messages import _hash_eip191_message, encode_typed_data
from eth_keys import keys
from eth_keys.exceptions import BadSignature, ValidationError
from eth_utils import keccak, to_checksum_address

from securities_rails.errors import UserError

TRANSFER, REFUND = 0, 1
KINDS = {TRANSFER: "transfer", REFUND: "refund"}
DOMAIN_NAME = "SecuritiesRailsBridge"
DOMAIN_VERSION = "1"
TYPE_FIELDS: tuple[tuple[str, str], ...] = (
    ("kind", "uint8"),
    ("sourceChainId", "uint64"),
    ("destinationChainId", "uint64"),
    ("sourceBridge", "address"),
    ("destinationBridge", "address"),
    ("nonce", "uint64"),
    ("isin", "bytes12"),
    ("sender", "address"),
    ("recipient", "address"),
    ("amount", "uint256"),
)
TYPE_STRING = "BridgeMessage(" + ",".join(f"{t} {n}" for n, t in TYPE_FIELDS) + ")"
ABI_TUPLE = "(" + ",".join(t for _, t in TYPE_FIELDS) + ")"
UINT64 = 2**64
UINT256 = 2**256
# EIP-712 hashes that never change: the domain's type, name and version, and the message's type.
DOMAIN_TYPEHASH = keccak(
    text="EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
)
DOMAIN_HASHES = (DOMAIN_TYPEHASH, keccak(text=DOMAIN_NAME), keccak(text=DOMAIN_VERSION))
MESSAGE_TYPEHASH = keccak(text=TYPE_STRING)


def _word(value: int) -> bytes:
    return value.to_bytes(32, "big")


def _address_word(address: str) -> bytes:
    return bytes.fromhex(address[2:]).rjust(32, b"\0")


@lru_cache(maxsize=65_536)
def _checksummed(address: str) -> str:
    """``to_checksum_address``, remembered: a bridge sees the same few addresses again and again."""
    return str(to_checksum_address(address))


@dataclass(frozen=True)
class Message:
    """One bridge message; addresses are checksummed, ``isin`` is the 12 ASCII bytes."""

    kind: int
    source_chain_id: int
    destination_chain_id: int
    source_bridge: str
    destination_bridge: str
    nonce: int
    isin: bytes
    sender: str
    recipient: str
    amount: int

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise UserError("kind", f"unknown message kind {self.kind}")
        for name in ("source_chain_id", "destination_chain_id", "nonce"):
            value = getattr(self, name)
            if not 0 <= value < UINT64:
                raise UserError(name, f"{value} does not fit uint64")
        if not 0 <= self.amount < UINT256:
            raise UserError("amount", f"{self.amount} does not fit uint256")
        if len(self.isin) != 12:
            raise UserError("isin", f"{self.isin!r} is not 12 bytes")
        for name in ("source_bridge", "destination_bridge", "sender", "recipient"):
            value = getattr(self, name)
            checksummed = _checksummed(value) if isinstance(value, str) else None
            object.__setattr__(self, name, checksummed or to_checksum_address(value))

    # --------------------------------------------------------------- ABI

    def as_tuple(self) -> tuple[Any, ...]:
        """The struct as an ABI tuple, in field order (what ``execute`` takes)."""
        return tuple(getattr(self, f.name) for f in fields(self))

    @classmethod
    def from_tuple(cls, values: Sequence[Any]) -> Message:
        """From the struct as a tuple (a decoded call result or event argument)."""
        if len(values) != len(TYPE_FIELDS):
            raise UserError("message", f"expected {len(TYPE_FIELDS)} fields, got {len(values)}")
        kind, source, destination, source_bridge, destination_bridge = values[:5]
        nonce, isin, sender, recipient, amount = values[5:]
        return cls(
            kind=int(kind),
            source_chain_id=int(source),
            destination_chain_id=int(destination),
            source_bridge=str(source_bridge),
            destination_bridge=str(destination_bridge),
            nonce=int(nonce),
            isin=bytes(isin),
            sender=str(sender),
            recipient=str(recipient),
            amount=int(amount),
        )

    @classmethod
    def from_event(cls, args: Mapping[str, Any]) -> Message:
        """From a decoded event's arguments (``args["message"]``: a tuple or a mapping)."""
        value = args["message"]
        if isinstance(value, Mapping):
            value = tuple(value[name] for name, _ in TYPE_FIELDS)
        return cls.from_tuple(tuple(value))

    def abi_hash(self) -> bytes:
        """``keccak256(abi.encode(message))``: the hash ``outbound(nonce)`` keeps."""
        return keccak(abi_encode([ABI_TUPLE], [self.as_tuple()]))

    # --------------------------------------------------------------- EIP-712

    def typed_data(self) -> dict[str, Any]:
        """The full EIP-712 typed data of this message (domain of its destination)."""
        return {
            "types": {
                "EIP712Domain": [
                    {"name": "name", "type": "string"},
                    {"name": "version", "type": "string"},
                    {"name": "chainId", "type": "uint256"},
                    {"name": "verifyingContract", "type": "address"},
                ],
                "BridgeMessage": [{"name": n, "type": t} for n, t in TYPE_FIELDS],
            },
            "primaryType": "BridgeMessage",
            "domain": {
                "name": DOMAIN_NAME,
                "version": DOMAIN_VERSION,
                "chainId": self.destination_chain_id,
                "verifyingContract": self.destination_bridge,
            },
            "message": dict(zip((n for n, _ in TYPE_FIELDS), self.as_tuple(), strict=True)),
        }

    def message_id(self) -> bytes:
        """The message id: its EIP-712 digest, ``keccak256("\\x19\\x01" || domain separator ||
        struct hash)`` (the same as ``encode_typed_data`` over ``typed_data()``, computed
        directly, and once per message: the fields are frozen)."""
        digest = self.__dict__.get("_message_id")
        if digest is None:
            # abi.encode of static values: each one word, numbers and addresses left-padded,
            # bytes12 right-padded.
            words = [
                _word(self.kind),
                _word(self.source_chain_id),
                _word(self.destination_chain_id),
                _address_word(self.source_bridge),
                _address_word(self.destination_bridge),
                _word(self.nonce),
                self.isin.ljust(32, b"\0"),
                _address_word(self.sender),
                _address_word(self.recipient),
                _word(self.amount),
            ]
            domain = keccak(
                b"".join(
                    [
                        *DOMAIN_HASHES,
                        _word(self.destination_chain_id),
                        _address_word(self.destination_bridge),
                    ]
                )
            )
            struct = keccak(MESSAGE_TYPEHASH + b"".join(words))
            digest = keccak(b"\x19\x01" + domain + struct)
            object.__setattr__(self, "_message_id", digest)
        return digest

    def typed_data_id(self) -> bytes:
        """The id as eth-account's EIP-712 encoder computes it from ``typed_data()`` (a check
        on ``message_id``)."""
        return bytes(_hash_eip191_message(encode_typed_data(full_message=self.typed_data())))

    @property
    def id_hex(self) -> str:
        return "0x" + self.message_id().hex()

    def sign(self, private_key: bytes | str) -> bytes:
        """A validator's 65-byte signature (r || s || v, v in {27, 28}) of the message id."""
        signed = Account.unsafe_sign_hash(self.message_id(), private_key)
        return bytes(signed.signature)

    @property
    def isin_text(self) -> str:
        return self.isin.decode("ascii", errors="replace")

    def describe(self) -> str:
        return (
            f"{KINDS[self.kind]} #{self.nonce} {self.source_chain_id}->{self.destination_chain_id}"
            f" {self.amount} units {self.sender}->{self.recipient}"
        )


def recover_signer(message_id: bytes, signature: bytes) -> str:
    """The address that signed ``message_id`` (checksummed); a malformed signature raises
    UserError."""
    if len(signature) != 65 or signature[64] not in (27, 28):
        raise UserError("signature", f"not a 65-byte r||s||v signature: 0x{signature.hex()}")
    vrs = signature[:64] + bytes([signature[64] - 27])
    try:
        key = keys.Signature(signature_bytes=vrs).recover_public_key_from_msg_hash(message_id)
    except (BadSignature, ValidationError) as error:
        raise UserError("signature", f"cannot recover a signer: {error}") from None
    return to_checksum_address(key.to_canonical_address())


def refund_of(failed: Message) -> Message:
    """The Refund message for a Transfer its destination refused: kind Refund, chains and
    bridges swapped, every other field kept (the contract rebuilds the transfer from it)."""
    if failed.kind != TRANSFER:
        raise UserError("kind", f"only a transfer can be refunded, not a {KINDS[failed.kind]}")
    return replace(
        failed,
        kind=REFUND,
        source_chain_id=failed.destination_chain_id,
        destination_chain_id=failed.source_chain_id,
        source_bridge=failed.destination_bridge,
        destination_bridge=failed.source_bridge,
    )


def isin_bytes(isin: str) -> bytes:
    """An ISIN as the bytes12 the contracts keep."""
    data = isin.encode("ascii")
    if len(data) != 12:
        raise UserError("isin", f"{isin!r} is not 12 characters")
    return data

"""The bridge message: its EIP-712 id computed by hand, signatures, refunds, ABI round trips."""

from __future__ import annotations

import pytest
from eth_abi import encode
from eth_account import Account
from eth_utils import keccak, to_checksum_address
from hypothesis import given
from hypothesis import strategies as st

from securities_rails.bridge.messages import (
    REFUND,
    TRANSFER,
    TYPE_FIELDS,
    TYPE_STRING,
    Message,
    recover_signer,
    refund_of,
)
from securities_rails.errors import UserError

HOME, REMOTE = 31337, 8453
HOME_BRIDGE = "0x" + "11" * 20
REMOTE_BRIDGE = "0x" + "22" * 20
SENDER = "0x" + "33" * 20
RECIPIENT = "0x" + "44" * 20
KEY = "0x" + "ab" * 32


def transfer(**changes: object) -> Message:
    values: dict[str, object] = {
        "kind": TRANSFER,
        "source_chain_id": HOME,
        "destination_chain_id": REMOTE,
        "source_bridge": HOME_BRIDGE,
        "destination_bridge": REMOTE_BRIDGE,
        "nonce": 7,
        "isin": b"US0378331005",
        "sender": SENDER,
        "recipient": RECIPIENT,
        "amount": 250,
    }
    values.update(changes)
    return Message(**values)


def digest_by_hand(m: Message) -> bytes:
    """EIP-712, spelled out: keccak(0x1901 || domainSeparator || hashStruct(message))."""
    domain_type = keccak(
        text="EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
    )
    domain = keccak(
        encode(
            ["bytes32", "bytes32", "bytes32", "uint256", "address"],
            [
                domain_type,
                keccak(text="SecuritiesRailsBridge"),
                keccak(text="1"),
                m.destination_chain_id,
                m.destination_bridge,
            ],
        )
    )
    type_hash = keccak(
        text="BridgeMessage(uint8 kind,uint64 sourceChainId,uint64 destinationChainId,"
        "address sourceBridge,address destinationBridge,uint64 nonce,bytes12 isin,"
        "address sender,address recipient,uint256 amount)"
    )
    struct = keccak(
        encode(
            [
                "bytes32",
                "uint8",
                "uint64",
                "uint64",
                "address",
                "address",
                "uint64",
                "bytes12",
                "address",
                "address",
                "uint256",
            ],
            [
                type_hash,
                m.kind,
                m.source_chain_id,
                m.destination_chain_id,
                m.source_bridge,
                m.destination_bridge,
                m.nonce,
                m.isin,
                m.sender,
                m.recipient,
                m.amount,
            ],
        )
    )
    return keccak(b"\x19\x01" + domain + struct)


def test_the_type_string_is_the_interfaces():
    assert TYPE_STRING == (
        "BridgeMessage(uint8 kind,uint64 sourceChainId,uint64 destinationChainId,"
        "address sourceBridge,address destinationBridge,uint64 nonce,bytes12 isin,"
        "address sender,address recipient,uint256 amount)"
    )


def test_the_message_id_is_the_eip712_digest_computed_by_hand():
    message = transfer()
    assert message.message_id() == digest_by_hand(message)
    assert message.id_hex == "0x" + digest_by_hand(message).hex()


addresses = st.binary(min_size=20, max_size=20).map(lambda b: to_checksum_address(b))
uint64 = st.integers(min_value=0, max_value=2**64 - 1)


@given(
    kind=st.sampled_from([TRANSFER, REFUND]),
    source=uint64,
    destination=uint64,
    bridges=st.tuples(addresses, addresses),
    nonce=uint64,
    isin=st.binary(min_size=12, max_size=12),
    parties=st.tuples(addresses, addresses),
    amount=st.integers(min_value=0, max_value=2**256 - 1),
)
def test_every_message_id_matches_the_hand_computation(
    kind, source, destination, bridges, nonce, isin, parties, amount
):
    message = Message(kind, source, destination, *bridges, nonce, isin, *parties, amount)
    assert message.message_id() == digest_by_hand(message)


def test_each_field_and_the_domain_change_the_id():
    base = transfer().message_id()
    changes = [
        {"kind": REFUND},
        {"source_chain_id": HOME + 1},
        {"destination_chain_id": REMOTE + 1},
        {"source_bridge": "0x" + "12" * 20},
        {"destination_bridge": "0x" + "23" * 20},
        {"nonce": 8},
        {"isin": b"DE0005140008"},
        {"sender": "0x" + "34" * 20},
        {"recipient": "0x" + "45" * 20},
        {"amount": 251},
    ]
    ids = {transfer(**change).message_id() for change in changes}
    assert base not in ids and len(ids) == len(changes)


def test_a_signature_recovers_to_the_signer():
    message = transfer()
    signature = message.sign(KEY)
    assert len(signature) == 65 and signature[64] in (27, 28)
    assert recover_signer(message.message_id(), signature) == Account.from_key(KEY).address
    assert message.sign(KEY) == signature  # deterministic (RFC 6979): a redone step is identical
    other = transfer(nonce=8)
    assert recover_signer(other.message_id(), signature) != Account.from_key(KEY).address


def test_a_malformed_signature_is_refused_in_one_line():
    with pytest.raises(UserError, match=r"^signature: not a 65-byte"):
        recover_signer(transfer().message_id(), b"\x01" * 64)
    with pytest.raises(UserError, match=r"^signature: not a 65-byte"):
        recover_signer(transfer().message_id(), b"\x01" * 64 + b"\x05")


def test_refund_of_swaps_chains_and_bridges_and_keeps_the_rest():
    failed = transfer()
    refund = refund_of(failed)
    assert refund.kind == REFUND
    assert (refund.source_chain_id, refund.destination_chain_id) == (REMOTE, HOME)
    assert refund.source_bridge == to_checksum_address(REMOTE_BRIDGE)
    assert refund.destination_bridge == to_checksum_address(HOME_BRIDGE)
    kept = ("nonce", "isin", "sender", "recipient", "amount")
    assert all(getattr(refund, name) == getattr(failed, name) for name in kept)
    # signed for the original source: its domain is the home chain and bridge
    assert refund.typed_data()["domain"]["chainId"] == HOME
    assert refund.message_id() == digest_by_hand(refund) != failed.message_id()


def test_only_a_transfer_has_a_refund():
    with pytest.raises(UserError, match=r"^kind: only a transfer can be refunded"):
        refund_of(refund_of(transfer()))


def test_abi_tuple_and_event_round_trips():
    message = transfer(amount=2**256 - 1)
    assert Message.from_tuple(message.as_tuple()) == message
    assert Message.from_event({"message": message.as_tuple()}) == message
    named = dict(zip([name for name, _ in TYPE_FIELDS], message.as_tuple(), strict=True))
    assert Message.from_event({"message": named}) == message


def test_abi_hash_is_keccak_of_abi_encode():
    message = transfer()
    types = "(uint8,uint64,uint64,address,address,uint64,bytes12,address,address,uint256)"
    assert message.abi_hash() == keccak(encode([types], [message.as_tuple()]))


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"kind": 2}, "kind"),
        ({"nonce": 2**64}, "nonce"),
        ({"source_chain_id": -1}, "source_chain_id"),
        ({"amount": 2**256}, "amount"),
        ({"isin": b"US03783310"}, "isin"),
    ],
)
def test_out_of_range_fields_are_refused(change, field):
    with pytest.raises(UserError, match=rf"^{field}: "):
        transfer(**change)

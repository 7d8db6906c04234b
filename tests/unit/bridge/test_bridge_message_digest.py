"""The message id computed directly (``Message.message_id``) is eth-account's EIP-712 digest of
``typed_data()``, for any field values, and is computed once per message."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from securities_rails.bridge.messages import Message, refund_of

addresses = st.binary(min_size=20, max_size=20).map(lambda raw: "0x" + raw.hex())
uint64 = st.integers(min_value=0, max_value=2**64 - 1)

messages = st.builds(
    Message,
    kind=st.sampled_from([0, 1]),
    source_chain_id=uint64,
    destination_chain_id=uint64,
    source_bridge=addresses,
    destination_bridge=addresses,
    nonce=uint64,
    isin=st.binary(min_size=12, max_size=12),
    sender=addresses,
    recipient=addresses,
    amount=st.integers(min_value=0, max_value=2**256 - 1),
)


@given(messages)
def test_the_direct_digest_is_the_eip712_digest(message: Message):
    assert message.message_id() == message.typed_data_id()


@given(messages.filter(lambda m: m.kind == 0))
def test_a_refund_has_its_own_digest(message: Message):
    refund = refund_of(message)
    assert refund.message_id() == refund.typed_data_id() != message.message_id()


def test_the_digest_is_computed_once_and_equal_messages_stay_equal():
    fields = (0, 1, 2, "0x" + "11" * 20, "0x" + "22" * 20, 3, b"US0378331005", "0x" + "33" * 20)
    first = Message(*fields, "0x" + "44" * 20, 5)
    second = Message(*fields, "0x" + "44" * 20, 5)
    assert first.message_id() is first.message_id()
    assert first == second and hash(first) == hash(second)
    assert first.id_hex == "0x" + second.message_id().hex()

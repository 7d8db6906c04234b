"""rpc_batch without a chain: a transaction it signs is byte for byte eth-account's, and a call
it encodes is web3's."""

from __future__ import annotations

from eth_account import Account
from hypothesis import given, settings
from hypothesis import strategies as st

from securities_rails.bridge.endpoint import endpoint_abi
from securities_rails.bridge.messages import Message
from securities_rails.chain import rpc_batch
from securities_rails.chain.rpc import Chain

ACCOUNT = Account.from_key("0x" + "5e" * 32)
ENDPOINT = "0x" + "a5" * 20


def contract(chain_id: int):
    chain = Chain("http://127.0.0.1:9", name="nowhere")  # never contacted
    chain.__dict__["chain_id"] = chain_id  # the cached property, set
    return chain.contract(ENDPOINT, endpoint_abi())


@settings(max_examples=50)
@given(
    chain_id=st.integers(min_value=1, max_value=2**32),
    nonce=st.integers(min_value=0, max_value=2**40),
    gas=st.integers(min_value=21_000, max_value=30_000_000),
    tip=st.integers(min_value=0, max_value=10**12),
    base=st.integers(min_value=0, max_value=10**12),
    data=st.binary(max_size=700),
)
def test_a_signed_transaction_is_eth_accounts(chain_id, nonce, gas, tip, base, data):
    target = contract(chain_id)
    prepared = rpc_batch.sign(
        target,
        ACCOUNT,
        "execute",
        "0x" + data.hex(),
        nonce=nonce,
        gas=gas,
        max_fee=tip + base,
        tip=tip,
    )
    reference = ACCOUNT.sign_transaction(
        {
            "type": 2,
            "chainId": chain_id,
            "nonce": nonce,
            "to": target.address,
            "data": "0x" + data.hex(),
            "value": 0,
            "gas": gas,
            "maxFeePerGas": tip + base,
            "maxPriorityFeePerGas": tip,
        }
    )
    assert prepared.raw == bytes(reference.raw_transaction)
    assert prepared.tx_hash == "0x" + bytes(reference.hash).hex()
    assert (prepared.nonce, prepared.gas, prepared.sender) == (nonce, gas, ACCOUNT.address)


def test_a_call_is_encoded_as_web3_encodes_it():
    target = contract(31_337)
    message = Message(
        0,
        1,
        31_337,
        "0x" + "11" * 20,
        ENDPOINT,
        9,
        b"US0378331005",
        "0x" + "33" * 20,
        "0x" + "44" * 20,
        10**20,
    )
    signatures = [bytes([i]) * 65 for i in range(1, 4)]
    for function, args in (
        ("execute", [message.as_tuple(), signatures]),
        ("inboundStatus", [message.message_id()]),
        ("executeQueued", [message.as_tuple()]),
    ):
        assert rpc_batch.encode_call(target, function, args) == target.handle.encode_abi(
            function, args
        )

"""securities_rails.chain.rpc against the Anvil ape tests on: reads, logs, transactions signed by
a local key, reverts decoded (at estimate time and mined), pending transactions, reorgs."""

from __future__ import annotations

from typing import Any

import anvil_control
import pytest
from eth_account import Account

from securities_rails.chain.rpc import (
    Chain,
    MiningTimeoutError,
    RevertError,
    load_abi,
    merge_abis,
)
from securities_rails.errors import UserError

ZERO = "0x" + "00" * 20


@pytest.fixture
def rpc_chain(chain: Any) -> Chain:
    return Chain(chain.provider.http_uri, name="local")


@pytest.fixture
def token_contract(rpc_chain: Chain, holders: Any) -> Any:
    return rpc_chain.contract(holders.address, load_abi("ISecurityToken"))


def local(account: Any) -> Any:
    return Account.from_key(account.private_key)


def test_chain_facts_match_apes(rpc_chain: Chain, chain: Any):
    assert rpc_chain.chain_id == chain.chain_id
    assert rpc_chain.head() == chain.blocks.height
    head = chain.blocks.head
    assert rpc_chain.block_hash(head.number) == "0x" + bytes(head.hash).hex()
    assert rpc_chain.block_hash(head.number + 1000) is None


def test_logs_are_decoded_in_chain_order(token_contract: Any, rpc_chain: Chain, alice, bob):
    logs = token_contract.logs("Transfer", 0, rpc_chain.head())
    mints = [log for log in logs if log.args["from"] == ZERO]
    assert [(log.args["to"], log.args["value"]) for log in mints[-2:]] == [
        (alice.address, 1000),
        (bob.address, 1000),
    ]
    assert logs == sorted(logs, key=lambda log: (log.block_number, log.log_index))
    assert all(log.address == token_contract.address for log in logs)
    assert rpc_chain.block_hash(mints[-1].block_number) == mints[-1].block_hash


def test_views_read_at_a_pinned_block(token_contract: Any, rpc_chain: Chain, alice, bob):
    before = rpc_chain.head()
    assert token_contract.call("balanceOf", alice.address) == 1000
    rpc_chain.send(local(alice), token_contract, "transfer", bob.address, 10)
    assert token_contract.call("balanceOf", alice.address) == 990
    assert token_contract.call("balanceOf", alice.address, block=before) == 1000


def test_a_transaction_signed_by_a_local_key(token_contract: Any, rpc_chain: Chain, alice, bob):
    account = local(alice)
    prepared = token_contract.prepare(account, "transfer", bob.address, 25)
    assert prepared.nonce == rpc_chain.web3.eth.get_transaction_count(alice.address, "pending")
    assert prepared.gas > 21_000
    rpc_chain.broadcast(prepared)
    rpc_chain.broadcast(prepared)  # a node that knows it already: not an error
    receipt = rpc_chain.wait(prepared.tx_hash, timeout=30)
    assert receipt.ok and receipt.tx_hash == prepared.tx_hash
    assert token_contract.call("balanceOf", bob.address) == 1025


def test_a_revert_at_estimate_time_is_decoded_and_nothing_is_sent(
    token_contract: Any, rpc_chain: Chain, alice, outsider
):
    nonce = rpc_chain.web3.eth.get_transaction_count(alice.address, "pending")
    with pytest.raises(RevertError) as raised:
        token_contract.prepare(local(alice), "transfer", outsider.address, 5)
    assert raised.value.error == "TransferRestricted"
    assert "recipient wallet is not in the investor registry" in str(raised.value)
    assert str(raised.value).startswith("transfer: ") and "\n" not in str(raised.value)
    assert isinstance(raised.value, UserError)
    assert rpc_chain.web3.eth.get_transaction_count(alice.address, "pending") == nonce


def test_a_mined_revert_is_decoded(token_contract: Any, rpc_chain: Chain, alice, bob, pauser):
    prepared = token_contract.prepare(local(alice), "transfer", bob.address, 5)
    token = rpc_chain.contract(token_contract.address, load_abi("ISecurityToken"))
    rpc_chain.send(local(pauser), token, "pause")  # the state changes before it is mined
    rpc_chain.broadcast(prepared)
    receipt = rpc_chain.wait(prepared.tx_hash, timeout=30)
    assert not receipt.ok
    error = token_contract.revert_of(receipt)
    assert error.field == "transaction" and "\n" not in str(error)
    assert error.error == "TransferRestricted" and "the instrument is paused" in str(error)


def test_a_pending_transaction_is_known_but_has_no_receipt(
    token_contract: Any, rpc_chain: Chain, alice, bob
):
    anvil_control.set_automine(rpc_chain, False)
    try:
        prepared = token_contract.prepare(local(alice), "transfer", bob.address, 5)
        rpc_chain.broadcast(prepared)
        assert rpc_chain.is_known(prepared.tx_hash) and rpc_chain.receipt(prepared.tx_hash) is None
        expected = rf"^transaction: {prepared.tx_hash} not mined"
        with pytest.raises(MiningTimeoutError, match=expected):
            rpc_chain.wait(prepared.tx_hash, timeout=0.3, poll=0.1)
        anvil_control.mine(rpc_chain)
        assert rpc_chain.wait(prepared.tx_hash, timeout=5).ok
    finally:
        anvil_control.set_automine(rpc_chain, True)
    assert not rpc_chain.is_known("0x" + "ab" * 32)


def test_a_reorganised_block_has_another_hash(rpc_chain: Chain, chain: Any):
    snapshot = anvil_control.snapshot(rpc_chain)
    timestamp = int(chain.pending_timestamp) + 100
    anvil_control.mine(rpc_chain, 2, timestamp)
    number = rpc_chain.head()
    before = rpc_chain.block_hash(number)
    anvil_control.revert(rpc_chain, snapshot)
    anvil_control.mine(rpc_chain, 2, timestamp + 50)
    assert rpc_chain.head() == number
    assert rpc_chain.block_hash(number) != before


def test_merge_abis_keeps_each_entry_once():
    merged = merge_abis(
        load_abi("IBridgeEndpoint"), load_abi("IInstrumentErrors"), load_abi("IBridgeEndpoint")
    )
    names = [(entry["type"], entry.get("name")) for entry in merged]
    assert len(names) == len(set(names))
    assert ("error", "InvalidInstrument") in names and ("function", "execute") in names


def test_a_missing_abi_is_one_line(tmp_path):
    with pytest.raises(UserError, match=r"^abi: .*INothing.json is missing"):
        load_abi("INothing", tmp_path)


def test_a_transaction_whose_nonce_was_spent_is_refused_in_one_line(
    token_contract: Any, rpc_chain: Chain, alice, bob
):
    first = token_contract.prepare(local(alice), "transfer", bob.address, 1)
    second = token_contract.prepare(local(alice), "transfer", bob.address, 2)
    assert first.nonce == second.nonce
    rpc_chain.broadcast(first)
    with pytest.raises(UserError, match=rf"^transaction: {second.tx_hash} refused by local: "):
        rpc_chain.broadcast(second)

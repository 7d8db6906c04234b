"""The register as the home side of a bridge: round trips both ways through the real validators
and relayer, with an in-memory chain as the remote side (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import pytest
from eth_account import Account
from register_bridge import (
    ALICE,
    ALICE_ACCOUNT,
    BOB_ACCOUNT,
    CAROL,
    ISSUED,
    RELAYER_KEY,
    VALIDATOR_KEYS,
    RegisterBridge,
    make_bridge,
)
from suite_data import ISIN

from securities_rails.bridge import process
from securities_rails.bridge.deployment import BridgeDeployment
from securities_rails.bridge.endpoint import InboundStatus, OutboundStatus
from securities_rails.bridge.messages import recover_signer
from securities_rails.bridge.register_book import deposit_address, reference_of
from securities_rails.bridge.register_endpoint import RegisterEndpoint
from securities_rails.chain.rpc import RevertError
from securities_rails.ledger.models import OFF_CHAIN, ON_CHAIN, SEGREGATED
from securities_rails.ledger.register import Register


@pytest.fixture
def bridge(register: Register, register_url: str) -> Iterator[RegisterBridge]:
    made = make_bridge(register, register_url)
    yield made
    made.store.close()


def test_book_entry_to_wallet_and_back(bridge: RegisterBridge) -> None:
    message = bridge.home.send_from_account(ALICE_ACCOUNT, ALICE, ISIN, 100, "TOKENISE-1")
    assert bridge.holding(ALICE_ACCOUNT) == ISSUED - 100
    assert bridge.holding(bridge.omnibus) == 100
    movement = bridge.register.movement("TOKENISE-1")
    assert movement is not None and movement.kind == ON_CHAIN
    assert movement.message_id == message.id_hex
    assert message.sender == bridge.deposit(ALICE_ACCOUNT)
    assert bridge.home.outbound(message.nonce).status == OutboundStatus.SENT

    assert bridge.settle() == 0
    assert bridge.remote.held == 100  # minted to the wallet
    assert bridge.remote.inbound_status(message.message_id()) == InboundStatus.EXECUTED
    assert bridge.reconciliation().ok

    back = bridge.remote.send(ALICE, bridge.deposit(BOB_ACCOUNT), 40)
    assert bridge.settle() == 0
    assert bridge.home.inbound_status(back.message_id()) == InboundStatus.EXECUTED
    assert bridge.holding(BOB_ACCOUNT) == 40
    assert bridge.holding(bridge.omnibus) == 60
    assert bridge.remote.held == 60
    credit = bridge.register.movement(reference_of(back.id_hex))
    assert credit is not None and credit.kind == OFF_CHAIN and credit.message_id == back.id_hex
    reconciliation = bridge.reconciliation()
    assert reconciliation.ok, reconciliation.lines()
    assert reconciliation.reading.custody == 60
    assert bridge.home.totals().sent == 100 and bridge.home.totals().received == 40


def test_the_same_instruction_twice_sends_once(bridge: RegisterBridge) -> None:
    first = bridge.home.send_from_account(ALICE_ACCOUNT, ALICE, ISIN, 100, "TOKENISE-1")
    again = bridge.home.send_from_account(ALICE_ACCOUNT, ALICE, ISIN, 100, "TOKENISE-1")
    assert again == first
    assert bridge.holding(ALICE_ACCOUNT) == ISSUED - 100
    with pytest.raises(Exception, match="already the instruction") as refused:
        bridge.home.send_from_account(ALICE_ACCOUNT, ALICE, ISIN, 99, "TOKENISE-1")
    assert getattr(refused.value, "reason", None) == "REFE"


def test_a_message_executed_twice_books_once(bridge: RegisterBridge) -> None:
    bridge.home.send_from_account(ALICE_ACCOUNT, ALICE, ISIN, 100, "TOKENISE-1")
    assert bridge.settle() == 0
    back = bridge.remote.send(ALICE, bridge.deposit(BOB_ACCOUNT), 40)
    signatures = sorted(
        (back.sign(key) for key in VALIDATOR_KEYS[:2]),
        key=lambda signature: int(recover_signer(back.message_id(), signature), 16),
    )
    relayer = Account.from_key(RELAYER_KEY)
    prepared = bridge.home.prepare(relayer, "execute", back, signatures)
    bridge.home.broadcast(prepared)
    bridge.home.broadcast(prepared)  # the same transaction again: nothing more
    assert bridge.home.receipt(prepared.tx_hash).status == 1  # type: ignore[union-attr]
    with pytest.raises(RevertError) as again:  # a new transaction for it: refused
        bridge.home.prepare(relayer, "execute", back, signatures)
    assert again.value.error == "AlreadyProcessed"
    assert bridge.settle() == 0  # the validators and relayer find it done
    assert bridge.holding(BOB_ACCOUNT) == 40
    assert bridge.home.totals().received == 40
    assert bridge.reconciliation().ok


def test_execute_without_enough_validator_signatures_reverts(bridge: RegisterBridge) -> None:
    back = bridge.remote.send(ALICE, bridge.deposit(BOB_ACCOUNT), 40)
    relayer = Account.from_key(RELAYER_KEY)
    with pytest.raises(RevertError) as below:
        bridge.home.prepare(relayer, "execute", back, [back.sign(VALIDATOR_KEYS[0])])
    assert below.value.error == "BelowThreshold"
    outsider = "0x" + "11" * 32
    with pytest.raises(RevertError) as stranger:
        bridge.home.prepare(relayer, "execute", back, [back.sign(outsider)])
    assert stranger.value.error == "NotValidator"
    assert bridge.holding(BOB_ACCOUNT) == 0


def test_a_wallet_the_chain_refuses_is_refunded_to_the_account(bridge: RegisterBridge) -> None:
    message = bridge.home.send_from_account(ALICE_ACCOUNT, CAROL, ISIN, 100, "TOKENISE-1")
    assert bridge.settle() == 0
    assert bridge.remote.inbound_status(message.message_id()) == InboundStatus.FAILED
    assert bridge.home.outbound(message.nonce).status == OutboundStatus.REFUNDED
    assert bridge.holding(ALICE_ACCOUNT) == ISSUED
    assert bridge.holding(bridge.omnibus) == 0
    refunds = [m for m in bridge.register.movements(ALICE_ACCOUNT) if m.kind == OFF_CHAIN]
    assert len(refunds) == 1 and refunds[0].quantity == 100
    assert bridge.reconciliation().ok
    assert bridge.home.totals().refunded == 100


def test_units_sent_to_an_unknown_deposit_address_go_back_to_the_holder(
    bridge: RegisterBridge,
) -> None:
    bridge.home.send_from_account(ALICE_ACCOUNT, ALICE, ISIN, 100, "TOKENISE-1")
    assert bridge.settle() == 0
    stray = bridge.remote.send(ALICE, deposit_address("CSD-TEST", "NOBODY-001"), 30)
    assert bridge.settle() == 0
    assert bridge.home.inbound_status(stray.message_id()) == InboundStatus.FAILED
    assert bridge.home.inbound_reason(stray.message_id())[0] == "SAFE"
    assert bridge.remote.held == 100  # burned, then minted back by the refund
    assert bridge.holding(bridge.omnibus) == 100
    assert bridge.reconciliation().ok


def test_units_sent_to_a_derived_deposit_address_nobody_asked_for_are_credited(
    bridge: RegisterBridge,
) -> None:
    # BOB's account was open when the bridge was configured; CAROL's is opened after, and no one
    # asks the register for either address: both are derived from the ids alone.
    bridge.register.open_account("CAROL-001", "Carol Example", SEGREGATED)
    bridge.home.send_from_account(ALICE_ACCOUNT, ALICE, ISIN, 100, "TOKENISE-1")
    assert bridge.settle() == 0
    for account, quantity in ((BOB_ACCOUNT, 30), ("CAROL-001", 20)):
        sent = bridge.remote.send(ALICE, deposit_address("CSD-TEST", account), quantity)
        assert bridge.settle() == 0
        assert bridge.home.inbound_status(sent.message_id()) == InboundStatus.EXECUTED
        assert bridge.holding(account) == quantity
    assert bridge.register.account("CAROL-001").deposit_address == deposit_address(
        "CSD-TEST", "CAROL-001"
    )
    assert bridge.reconciliation().ok


def test_units_sent_to_a_closed_account_go_back_to_the_holder(bridge: RegisterBridge) -> None:
    bridge.home.send_from_account(ALICE_ACCOUNT, ALICE, ISIN, 100, "TOKENISE-1")
    assert bridge.settle() == 0
    address = bridge.deposit(BOB_ACCOUNT)
    bridge.register.close_account(BOB_ACCOUNT)
    stray = bridge.remote.send(ALICE, address, 30)
    assert bridge.settle() == 0
    assert bridge.home.inbound_reason(stray.message_id())[0] == "SAFE"
    assert bridge.remote.held == 100
    assert bridge.reconciliation().ok


@pytest.mark.parametrize(
    ("account", "wallet", "isin", "quantity", "reason"),
    [
        ("NOBODY-001", ALICE, ISIN, 10, "SAFE"),  # unknown account
        (ALICE_ACCOUNT, ALICE, ISIN, ISSUED + 1, "LACK"),  # insufficient holding
        (ALICE_ACCOUNT, ALICE, "DE000BAY0017", 10, "DSEC"),  # not this bridge's ISIN
        (ALICE_ACCOUNT, ALICE, ISIN, 0, "DQUA"),
        (ALICE_ACCOUNT, "0x1234", ISIN, 10, "SAFE"),  # not a wallet address
    ],
)
def test_a_refused_instruction_moves_nothing(
    bridge: RegisterBridge, account: str, wallet: str, isin: str, quantity: int, reason: str
) -> None:
    head = bridge.home.head()
    with pytest.raises(Exception) as refused:
        bridge.home.send_from_account(account, wallet, isin, quantity, "TOKENISE-9")
    assert getattr(refused.value, "reason", None) == reason
    assert bridge.home.head() == head
    assert bridge.register.movement("TOKENISE-9") is None
    assert bridge.holding(ALICE_ACCOUNT) == ISSUED
    assert bridge.home.totals().sent == 0


def test_the_deposit_address_is_derived_from_the_register_and_account(
    bridge: RegisterBridge,
) -> None:
    address = bridge.deposit(ALICE_ACCOUNT)
    assert address == deposit_address("CSD-TEST", ALICE_ACCOUNT)
    assert address != bridge.deposit(BOB_ACCOUNT)
    assert bridge.register.account(ALICE_ACCOUNT).deposit_address == address


def test_a_deployment_with_a_register_side_loads_and_gives_a_register_endpoint(
    bridge: RegisterBridge, monkeypatch: pytest.MonkeyPatch
) -> None:
    loaded = BridgeDeployment.from_json(bridge.deployment.to_json())
    assert loaded == bridge.deployment
    assert loaded.home.is_register and loaded.to_json()["home"]["kind"] == "register"
    assert "kind" not in loaded.to_json()["remote"]  # chain sides are written as before
    chain = SimpleNamespace(check_chain=lambda: None)  # a chain endpoint, not contacted here
    monkeypatch.setattr(process, "Endpoint", lambda side: chain)
    endpoints = process.endpoints_for(loaded)
    home = endpoints["home"]
    try:
        assert isinstance(home, RegisterEndpoint)
        assert home.head() == bridge.home.head()
        assert endpoints["remote"] is chain
    finally:
        home.register.close()  # type: ignore[attr-defined]


def test_a_register_side_must_be_home_with_a_database_url(bridge: RegisterBridge) -> None:
    data = bridge.deployment.to_json()
    wrong_url = {**data, "home": {**data["home"], "rpc": "http://127.0.0.1:8545"}}
    with pytest.raises(Exception, match="sqlite or postgresql"):
        BridgeDeployment.from_json(wrong_url)
    as_remote = {**data, "remote": {**data["remote"], "kind": "register"}}
    with pytest.raises(Exception, match="only be the home side"):
        BridgeDeployment.from_json(as_remote)


def test_conservation_names_a_movement_out_of_the_omnibus_outside_the_bridge(
    bridge: RegisterBridge,
) -> None:
    bridge.home.send_from_account(ALICE_ACCOUNT, ALICE, ISIN, 100, "TOKENISE-1")
    assert bridge.settle() == 0
    bridge.register.move("LEAK-1", ISIN, bridge.omnibus, BOB_ACCOUNT, 5, OFF_CHAIN)
    reconciliation = bridge.reconciliation()
    assert not reconciliation.ok
    assert reconciliation.difference == -5


def test_a_new_validator_set_is_what_the_register_checks(bridge: RegisterBridge) -> None:
    bridge.home.send_from_account(ALICE_ACCOUNT, ALICE, ISIN, 100, "TOKENISE-1")
    assert bridge.settle() == 0
    back = bridge.remote.send(ALICE, bridge.deposit(BOB_ACCOUNT), 40)
    newcomer = Account.from_key("0x" + "22" * 32)
    current = bridge.home.set_validators([newcomer.address], 1)
    assert current.validators == (newcomer.address,) and current.version == 2
    relayer = Account.from_key(RELAYER_KEY)
    old = [back.sign(VALIDATOR_KEYS[0])]
    with pytest.raises(RevertError) as refused:
        bridge.home.prepare(relayer, "execute", back, old)
    assert refused.value.error == "NotValidator"
    bridge.home.broadcast(bridge.home.prepare(relayer, "execute", back, [back.sign(newcomer.key)]))
    assert bridge.holding(BOB_ACCOUNT) == 40


def test_concurrent_sends_get_distinct_nonces_and_a_repeated_one_books_once(
    bridge: RegisterBridge,
) -> None:
    def send(reference: str) -> int:
        message = bridge.home.send_from_account(ALICE_ACCOUNT, ALICE, ISIN, 10, reference)
        return message.nonce

    references = [f"TOKENISE-{n % 4}" for n in range(8)]  # each reference asked twice
    with ThreadPoolExecutor(max_workers=8) as pool:
        nonces = list(pool.map(send, references))
    assert sorted(set(nonces)) == [0, 1, 2, 3]
    assert nonces[:4] == nonces[4:]  # a repeat returns the message its first asking made
    assert bridge.holding(ALICE_ACCOUNT) == ISSUED - 40
    assert bridge.home.totals().sent == 40
    assert bridge.settle() == 0
    assert bridge.remote.held == 40

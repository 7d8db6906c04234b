"""Upgrades on a chain: V2 of the registry and of the token keep every bit of state.

The world (``world.py``): a suite of its own with two instruments and 55 holders. Each test starts
from it with a fresh copy of its deployment record (the chain is reverted after each test by ape,
the record by the ``world`` fixture). V2 builds are compiled once (``build.build`` caches them on
disk).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from ape import project
from ape.contracts import ContractInstance
from ape.exceptions import ContractLogicError
from eth_utils import keccak
from unit.upgrades.world import (
    IMPLEMENTATION_SLOT,
    ISIN_A,
    ISIN_B,
    ISIN_NEW,
    REGISTRY_V2,
    TOKEN_V2,
    World,
    changed_slots,
    create,
    raw_storage,
    snapshot,
    v2,
)
from web3.exceptions import ContractCustomError as Web3ContractCustomError
from web3.exceptions import ContractLogicError as Web3ContractLogicError

from securities_rails.chain.contracts import ROLES
from securities_rails.chain.proxies import implementation_of
from securities_rails.deployments import DeploymentRecord
from securities_rails.errors import UserError
from securities_rails.upgrades import apply
from securities_rails.upgrades.build import build
from securities_rails.upgrades.model import erc7201_slot

# FactoryStorage.implementation, first member of the factory's namespace: setImplementation
FACTORY_IMPLEMENTATION = f"0x{erc7201_slot('securities-rails.storage.SecurityTokenFactory'):064x}"


@pytest.fixture(scope="module")
def token_v2() -> Any:
    return build(*TOKEN_V2)


@pytest.fixture(scope="module")
def registry_v2() -> Any:
    return build(*REGISTRY_V2)


def upgrade_everything(world: World) -> tuple[apply.UpgradeResult, apply.UpgradeResult]:
    registry = apply.upgrade_contract(
        world.suite, "registry", world.gov, source=REGISTRY_V2[0], contract=REGISTRY_V2[1]
    )
    tokens = apply.upgrade_all_instruments(
        world.suite, world.gov, source=TOKEN_V2[0], contract=TOKEN_V2[1]
    )
    return registry, tokens


def test_v2_of_registry_and_token_keep_every_holding_record_document_role_and_rule(
    world: World, chain: Any, token_v2: Any, registry_v2: Any
):
    proxies = world.proxies
    before = snapshot(chain, world)
    slots = world.written
    storage_before = raw_storage(chain, slots)
    assert len(world.wallets) >= 50
    assert sum(1 for b in before[ISIN_A]["balance"].values() if b) >= 50
    # Every balance, freeze, multi-wallet holding record, document, role... (an investor with
    # one wallet has no holding record: its holding is its balance).
    assert len(slots[proxies[ISIN_A]]) > 100

    registry_result, token_result = upgrade_everything(world)

    assert snapshot(chain, world) == before
    storage_after = raw_storage(chain, slots)
    for name, address in proxies.items():
        old, new = storage_before[address], storage_after[address]
        changed = {slot for slot in old if old[slot] != new[slot]}
        expected = {FACTORY_IMPLEMENTATION} if name == "factory" else {IMPLEMENTATION_SLOT}
        assert changed == expected, name
    upgrades = [world.record.contracts["InvestorRegistry"].upgrades[-1]]
    upgrades += [world.record.instruments[i].upgrades[-1] for i in (ISIN_A, ISIN_B)]
    for upgrade in upgrades:  # each upgrade transaction wrote the implementation slot only
        written = changed_slots(chain, upgrade.tx_hash)
        assert set().union(*written.values()) == {IMPLEMENTATION_SLOT}

    assert implementation_of(world.suite.registry.address) == registry_result.implementation
    for isin in (ISIN_A, ISIN_B):
        token = world.tokens[isin]
        assert implementation_of(token.address) == token_result.implementation
        assert v2(token.address, token_v2).version() == "2"
    assert v2(world.suite.registry.address, registry_v2).version() == "2"
    assert world.suite.factory.implementation() == token_result.implementation
    assert [u.label for u in token_result.upgraded] == [
        f"instrument {ISIN_B}",
        f"instrument {ISIN_A}",
    ]


def test_each_upgrade_is_recorded_with_version_implementation_layout_transaction_and_block(
    world: World, chain: Any
):
    registry_result, token_result = upgrade_everything(world)
    record = DeploymentRecord.load(world.record.chain_id, world.record.directory)
    entry = record.contracts["InvestorRegistry"]
    assert (entry.implementation, entry.version) == (registry_result.implementation, "2")
    assert entry.layout_hash == registry_result.layout_hash
    (upgrade,) = entry.upgrades
    receipt = chain.get_receipt(upgrade.tx_hash)
    assert (upgrade.block, upgrade.version, upgrade.implementation) == (
        receipt.block_number,
        "2",
        registry_result.implementation,
    )
    assert receipt.sender == world.gov.address
    for isin in (ISIN_A, ISIN_B):
        instrument = record.instruments[isin]
        assert (instrument.implementation, instrument.version) == (token_result.implementation, "2")
        assert instrument.upgrades[-1].layout_hash == token_result.layout_hash
    implementation = record.implementations[token_result.implementation]
    assert (implementation.contract, implementation.version) == ("SecurityTokenV2", "2")
    assert implementation.layout_hash in record.layouts
    shared = record.contracts["SecurityToken.implementation"]
    assert (shared.address, shared.version) == (token_result.implementation, "2")


def test_v2_adds_state_in_its_own_namespace(world: World, token_v2: Any, registry_v2: Any):
    upgrade_everything(world)
    token = v2(world.tokens[ISIN_A].address, token_v2)
    token.setMemo(b"dividend policy 2026".ljust(32, b"\0"), sender=world.gov)
    assert token.memo() == b"dividend policy 2026".ljust(32, b"\0")
    registry = v2(world.suite.registry.address, registry_v2)
    registry.setMemo("registry v2", sender=world.gov)
    assert registry.memo() == "registry v2"
    assert world.suite.registry.categoryLabel(4) == "family office"


def test_an_upgrade_run_again_sends_nothing(world: World, chain: Any):
    upgrade_everything(world)
    height = chain.blocks.height
    registry_again, tokens_again = upgrade_everything(world)
    assert chain.blocks.height == height
    assert not registry_again.deployed and not tokens_again.deployed
    assert not tokens_again.upgraded and tokens_again.factory_tx is None
    assert {why for _, why in tokens_again.skipped} == {"already on this implementation"}


def test_a_pinned_instrument_is_skipped_then_upgraded_on_its_own(world: World, token_v2: Any):
    apply.set_pinned(world.record, ISIN_B, True)
    v1 = implementation_of(world.tokens[ISIN_B].address)
    result = apply.upgrade_all_instruments(
        world.suite, world.gov, source=TOKEN_V2[0], contract=TOKEN_V2[1]
    )
    assert [u.label for u in result.upgraded] == [f"instrument {ISIN_A}"]
    assert result.skipped == [(f"instrument {ISIN_B}", "pinned at version 1")]
    assert implementation_of(world.tokens[ISIN_B].address) == v1
    assert world.record.instruments[ISIN_B].version == "1"

    apply.set_pinned(world.record, ISIN_B, False)
    again = apply.upgrade_instrument(
        world.suite, ISIN_B, world.gov, source=TOKEN_V2[0], contract=TOKEN_V2[1]
    )
    assert not again.deployed  # the same build, reused
    assert implementation_of(world.tokens[ISIN_B].address) == result.implementation
    assert v2(world.tokens[ISIN_B].address, token_v2).version() == "2"


def test_instruments_created_after_a_shared_upgrade_get_the_new_version(
    world: World, token_v2: Any
):
    _, result = upgrade_everything(world)
    token = create(world, ISIN_NEW, "New plc ordinary shares")
    assert implementation_of(token.address) == result.implementation
    assert v2(token.address, token_v2).version() == "2"
    entry = world.record.instruments[ISIN_NEW]
    assert (entry.implementation, entry.version) == (result.implementation, "2")


def test_an_upgrade_interrupted_between_instruments_finishes_when_run_again(world: World):
    calls = []

    def stop_after_first_instrument(message: str) -> None:
        calls.append(message)
        if "upgraded to" in message:
            raise KeyboardInterrupt("killed")

    with pytest.raises(KeyboardInterrupt):
        apply.upgrade_all_instruments(
            world.suite,
            world.gov,
            source=TOKEN_V2[0],
            contract=TOKEN_V2[1],
            log=stop_after_first_instrument,
        )
    record = DeploymentRecord.load(world.record.chain_id, world.record.directory)
    suite = replace(world.suite, record=record)
    result = apply.upgrade_all_instruments(
        suite, world.gov, source=TOKEN_V2[0], contract=TOKEN_V2[1]
    )
    assert not result.deployed
    assert [u.label for u in result.upgraded] == [f"instrument {ISIN_A}"]
    assert result.skipped == [(f"instrument {ISIN_B}", "already on this implementation")]
    assert {record.instruments[i].version for i in (ISIN_A, ISIN_B)} == {"2"}


# ---------------------------------------------------------------------------- refusals


def test_only_the_upgrader_upgrades_refused_before_sending(world: World, chain: Any):
    height = chain.blocks.height
    plan = apply.plan_upgrade(
        world.suite,
        "registry",
        source=REGISTRY_V2[0],
        contract=REGISTRY_V2[1],
        executor=world.outsider.address,
    )
    assert [c.name for c in plan.failed] == ["role"]
    with pytest.raises(UserError) as refused:
        apply.apply_upgrade(plan, world.outsider)
    first_line = str(refused.value).splitlines()[0]
    assert "UPGRADER_ROLE" in first_line and world.outsider.address in first_line
    assert chain.blocks.height == height


def revert_selector(chain: Any, contract: Any, method: str, *args: Any, sender: Any) -> str:
    """The 4-byte selector of the custom error a call reverts with ('' if it does not revert)."""
    calldata = getattr(contract, method).encode_input(*args)
    call = {"to": contract.address, "from": sender.address, "data": calldata}
    try:
        chain.provider.web3.eth.call(call)
    except (Web3ContractCustomError, Web3ContractLogicError) as error:
        data = error.data if isinstance(error.data, str) else ""
        return data[:10]
    return ""


def selector(signature: str) -> str:
    return "0x" + keccak(text=signature)[:4].hex()


UNAUTHORIZED = selector("AccessControlUnauthorizedAccount(address,bytes32)")
INVALID_INITIALIZATION = selector("InvalidInitialization()")


def test_an_unauthorised_upgrade_reverts_on_chain(world: World, chain: Any):
    registry_impl = apply.upgrade_contract(
        world.suite, "registry", world.gov, source=REGISTRY_V2[0], contract=REGISTRY_V2[1]
    ).implementation
    token = world.tokens[ISIN_A]
    token.grantRole(ROLES["issuer"], world.outsider, sender=world.gov)  # any role but upgrader
    for proxy in (world.suite.factory, world.suite.registry, token):
        before = implementation_of(proxy.address)
        args = (registry_impl, b"")
        found = revert_selector(chain, proxy, "upgradeToAndCall", *args, sender=world.outsider)
        assert found == UNAUTHORIZED
        with pytest.raises(ContractLogicError):
            proxy.upgradeToAndCall(*args, sender=world.outsider)
        assert implementation_of(proxy.address) == before


def test_without_the_pre_check_the_chain_still_refuses_and_the_revert_is_decoded(
    world: World, chain: Any
):
    plan = apply.plan_upgrade(
        world.suite,
        "registry",
        source=REGISTRY_V2[0],
        contract=REGISTRY_V2[1],
        executor=world.outsider.address,
    )
    plan.checks = [check for check in plan.checks if check.name != "role"]  # skip the pre-check
    with pytest.raises(UserError) as refused:
        apply.apply_upgrade(plan, world.outsider)
    assert str(refused.value) == (
        f"InvestorRegistry: {world.outsider.address} lacks the upgrader role"
    )
    assert world.record.contracts["InvestorRegistry"].upgrades == ()


def test_the_factory_is_not_repointed_without_its_admin_role(world: World, accounts: Any):
    token_upgrader = accounts[8]
    for token in world.tokens.values():
        token.grantRole(ROLES["upgrader"], token_upgrader, sender=world.gov)
    plan = apply.plan_upgrade(
        world.suite,
        None,
        all_instruments=True,
        source=TOKEN_V2[0],
        contract=TOKEN_V2[1],
        executor=token_upgrader.address,
    )
    (failed,) = plan.failed
    assert (
        failed.summary
        == f"{token_upgrader.address} lacks DEFAULT_ADMIN_ROLE on SecurityTokenFactory"
    )
    without = apply.plan_upgrade(
        world.suite,
        None,
        all_instruments=True,
        source=TOKEN_V2[0],
        contract=TOKEN_V2[1],
        factory=False,
        executor=token_upgrader.address,
    )
    assert without.ok


def handle(name: str, address: str) -> Any:
    """A project contract's ABI at ``address``, whatever ape has cached for that address."""
    return ContractInstance(address, getattr(project, name).contract_type)


def test_initialisers_cannot_run_twice_on_proxies_or_implementations(world: World, chain: Any):
    _, token_result = upgrade_everything(world)
    gov = world.gov.address
    by_contract: dict[str, list[str]] = {}
    for address, entry in world.record.implementations.items():
        by_contract.setdefault(entry.contract, []).append(address)
    registry = world.suite.registry.address
    token = world.tokens[ISIN_A]
    data = token.instrument()
    cases = [
        ("InvestorRegistry", [registry, *by_contract["InvestorRegistry"]], (gov, gov, gov)),
        ("InvestorRegistry", by_contract["InvestorRegistryV2"], (gov, gov, gov)),
        (
            "SecurityToken",
            [token.address, *by_contract["SecurityToken"], *by_contract["SecurityTokenV2"]],
            ("x", "X", data, (gov,) * 6, registry),
        ),
        (
            "SecurityTokenFactory",
            [world.suite.factory.address, *by_contract["SecurityTokenFactory"]],
            (gov, gov, gov, token_result.implementation, registry),
        ),
    ]
    for name, addresses, args in cases:
        for address in addresses:
            contract = handle(name, address)
            found = revert_selector(chain, contract, "initialize", *args, sender=world.gov)
            assert found == INVALID_INITIALIZATION, (name, address)
            with pytest.raises(ContractLogicError):
                contract.initialize(*args, sender=world.gov)

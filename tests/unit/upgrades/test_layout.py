"""Storage layouts: plain variables plus every ERC-7201 namespace, with canonical type labels."""

from __future__ import annotations

import re
from concurrent.futures import Future

import pytest
from unit.upgrades.cases import FIXTURES, PROJECT, ROOT

from securities_rails.upgrades import (
    Compilation,
    Layout,
    LayoutError,
    erc7201_slot,
)
from securities_rails.upgrades.layout import namespaced_structs, probe_source

OZ = "openzeppelin.storage."
SR = "securities-rails.storage."
OZ_ACCESS = {f"{OZ}AccessControl", f"{OZ}AccessControlDefaultAdminRules", f"{OZ}Initializable"}
EXPECTED_NAMESPACES = {
    "SecurityToken": {
        f"{SR}SecurityToken",
        f"{SR}TransferRules",
        f"{SR}ERC1643Documents",
        f"{OZ}ERC20",
        f"{OZ}Pausable",
        *OZ_ACCESS,
    },
    "InvestorRegistry": {f"{SR}InvestorRegistry", *OZ_ACCESS},
    "SecurityTokenFactory": {f"{SR}SecurityTokenFactory", *OZ_ACCESS},
}
CONSTANT = re.compile(
    r"erc7201:(\S+)\s.*?bytes32 private constant \w+ =\s*(0x[0-9a-fA-F]{64})", re.DOTALL
)


def test_erc7201_slot_is_the_formula_openzeppelin_uses():
    assert erc7201_slot("openzeppelin.storage.ERC20") == int(
        "52c63247e1f47db19d5ce0460030c497f067ca4cebf71ba98eeadabe20bace00", 16
    )
    assert erc7201_slot("example.main") == int(  # the example of the ERC itself
        "183a6125c38840424c4a85fa12bab2ab606c4b6d0e7cc73c0c06ba5300eab500", 16
    )


@pytest.mark.parametrize(
    "source",
    [
        "contracts/token/SecurityToken.sol",
        "contracts/rules/TransferRules.sol",
        "contracts/token/ERC1643Documents.sol",
        "contracts/registry/InvestorRegistry.sol",
        "contracts/token/SecurityTokenFactory.sol",
    ],
)
def test_each_project_storage_location_constant_is_its_erc7201_root(source: str):
    found = CONSTANT.findall((ROOT / source).read_text())
    assert found, source
    for namespace, constant in found:
        assert erc7201_slot(namespace) == int(constant, 16), namespace


@pytest.mark.parametrize("contract", PROJECT)
def test_project_layouts_have_the_expected_namespaces_and_no_plain_state(
    all_layouts: dict[str, Layout], contract: str
):
    found = all_layouts[contract]
    assert set(found.namespace_ids) == EXPECTED_NAMESPACES[contract]
    assert found.storage == ()
    for namespace in found.namespaces:
        assert namespace.root == erc7201_slot(namespace.id)
        assert namespace.members


def test_transfer_rules_namespace_in_detail(all_layouts: dict[str, Layout]):
    token = all_layouts["SecurityToken"]
    rules = token.namespace(f"{SR}TransferRules")
    assert rules is not None
    assert rules.struct == "TransferRules.RulesStorage"
    assert [(m.name, m.slot, m.offset, m.type) for m in rules.members] == [
        ("config", 0, 0, "t_struct(TransferRules.Config)_storage"),
        ("limits", 1, 0, "t_struct(TransferRules.Limits)_storage"),
        ("investorCount", 2, 0, "t_uint256"),
        ("countries", 3, 0, "t_mapping(t_uint16,t_uint8)"),
        ("investorBalances", 4, 0, "t_mapping(t_uint96,t_uint256)"),
        ("freezes", 5, 0, "t_mapping(t_address,t_struct(TransferRules.Freeze)_storage)"),
    ]
    config = token.type("t_struct(TransferRules.Config)_storage")
    assert [(m.name, m.slot, m.offset, m.type) for m in config.members] == [
        ("registry", 0, 0, "t_contract(IInvestorRegistry)"),
        ("active", 0, 20, "t_uint8"),
        ("lockUpUntil", 0, 21, "t_uint40"),
        ("maxInvestors", 0, 26, "t_uint24"),
        ("frozenWallets", 0, 29, "t_uint24"),
    ]
    limits = token.type("t_struct(TransferRules.Limits)_storage")
    assert [(m.name, m.slot, m.offset) for m in limits.members] == [
        ("minTransfer", 0, 0),
        ("holdingCap", 0, 16),
    ]
    freezes = token.type("t_mapping(t_address,t_struct(TransferRules.Freeze)_storage)")
    assert (freezes.encoding, freezes.key, freezes.value) == (
        "mapping",
        "t_address",
        "t_struct(TransferRules.Freeze)_storage",
    )


def test_documents_and_openzeppelin_namespaces(all_layouts: dict[str, Layout]):
    token = all_layouts["SecurityToken"]
    documents = token.namespace(f"{SR}ERC1643Documents")
    erc20 = token.namespace(f"{OZ}ERC20")
    assert documents is not None and erc20 is not None
    assert [(m.name, m.type) for m in documents.members] == [
        ("documents", "t_mapping(t_bytes32,t_struct(ERC1643Documents.Document)_storage)"),
        ("names", "t_array(t_bytes32)dyn_storage"),
    ]
    assert token.type("t_array(t_bytes32)dyn_storage").base == "t_bytes32"
    assert [m.name for m in erc20.members] == [
        "_balances",
        "_allowances",
        "_totalSupply",
        "_name",
        "_symbol",
    ]
    assert erc20.struct == "ERC20Upgradeable.ERC20Storage"


def test_type_labels_carry_no_ast_ids_and_enums_carry_their_values(
    all_layouts: dict[str, Layout],
):
    for found in all_layouts.values():
        for label, info in found.types.items():
            assert not re.search(r"\)\d", label), label
            assert info.label == label
    registry = all_layouts["InvestorRegistry"]
    record = registry.type("t_struct(InvestorRegistry.Record)_storage")
    assert [(m.name, m.offset) for m in record.members][-3:] == [
        ("kind", 20),
        ("multiWallet", 21),
        ("idEnd", 22),
    ]
    kind = registry.type("t_enum(IInvestorRegistry.WalletKind)")
    assert kind.enum_values == ("None", "Investor", "System", "Retired")


def test_types_hold_only_what_the_layout_reaches(all_layouts: dict[str, Layout]):
    registry = all_layouts["InvestorRegistry"]
    assert not any("TransferRules" in label for label in registry.types)


def test_security_token_v2_adds_a_namespace(all_layouts: dict[str, Layout]):
    v2 = all_layouts["SecurityTokenV2"]
    assert set(v2.namespace_ids) == EXPECTED_NAMESPACES["SecurityToken"] | {f"{SR}SecurityTokenV2"}
    memo = v2.namespace(f"{SR}SecurityTokenV2")
    assert memo is not None
    assert [(m.name, m.slot, m.type) for m in memo.members] == [("memo", 0, "t_bytes32")]


def test_a_redeclared_namespace_takes_the_most_derived_struct(all_layouts: dict[str, Layout]):
    registry = all_layouts["InvestorRegistryV2"].namespace(f"{SR}InvestorRegistry")
    assert registry is not None
    assert registry.struct == "InvestorRegistryV2.RegistryStorageV2"
    assert [(m.name, m.slot) for m in registry.members] == [
        ("wallets", 0),
        ("investors", 1),
        ("categoryLabels", 2),
        ("memo", 3),
    ]


def test_a_redeclaration_that_disagrees_with_the_base_is_refused(
    redeclared_badly: Future[Layout],
):
    with pytest.raises(LayoutError) as refused:
        redeclared_badly.result()
    message = str(refused.value)
    assert "InvestorRegistry.RegistryStorage" in message
    assert "RegistryRedeclaredBadly.RegistryStorageV2" in message
    assert "`wallets` slot 0 offset 0 -> slot 1 offset 0" in message


def test_namespaced_structs_come_from_the_whole_linearisation(compilation: Compilation):
    found = namespaced_structs(compilation, "SecurityTokenV2")
    assert found[0].struct == "SecurityTokenV2.TokenStorageV2"  # most derived first
    units = {s.unit for s in found}
    assert "contracts/rules/TransferRules.sol" in units
    assert "node_modules/@openzeppelin/contracts/proxy/utils/Initializable.sol" in units
    assert {s.namespace for s in found} >= EXPECTED_NAMESPACES["SecurityToken"]


def test_probe_source_imports_under_aliases(compilation: Compilation):
    text = probe_source(namespaced_structs(compilation, "InvestorRegistry"))
    assert "pragma solidity 0.8.28;" in text
    assert 'import * as U0 from "contracts/registry/InvestorRegistry.sol";' in text
    assert re.search(r"U\d\.InvestorRegistry\.RegistryStorage internal s0;", text)
    assert re.search(r"U\d\.Initializable\.InitializableStorage internal s\d;", text)


def test_layout_json_round_trips(all_layouts: dict[str, Layout]):
    for found in all_layouts.values():
        again = Layout.from_json(found.to_json())
        assert again == found
        assert again.layout_hash == found.layout_hash


def test_a_stored_layout_with_a_wrong_root_is_rejected(all_layouts: dict[str, Layout]):
    data = all_layouts["InvestorRegistry"].to_dict()
    data["namespaces"][f"{SR}InvestorRegistry"]["root"] = "0x" + "00" * 32
    with pytest.raises(ValueError, match="not its ERC-7201 slot"):
        Layout.from_dict(data)


def test_layout_hash_is_stable_across_compiles(
    registry_compiled_alone: Future[dict[str, Layout]], all_layouts: dict[str, Layout]
):
    """A compile of InvestorRegistry alone (other sources, other AST ids) gives the same layout
    and hash as the session's compile of everything."""
    alone = registry_compiled_alone.result()
    assert alone["InvestorRegistry"] == all_layouts["InvestorRegistry"]
    assert alone["InvestorRegistry"].layout_hash == all_layouts["InvestorRegistry"].layout_hash


def test_layout_hash_ignores_the_contract_name_but_not_the_layout(
    all_layouts: dict[str, Layout],
):
    registry = all_layouts["InvestorRegistry"]
    assert registry.layout_hash.startswith("0x") and len(registry.layout_hash) == 66
    renamed = Layout("Other", registry.storage, registry.namespaces, registry.types)
    assert renamed.layout_hash == registry.layout_hash
    assert all_layouts["InvestorRegistryV2"].layout_hash != registry.layout_hash


def test_fixture_sources_exist():
    assert (FIXTURES / "SecurityTokenV2.sol").is_file()
    assert (FIXTURES / "InvestorRegistryV2.sol").is_file()

"""safety.check() and the upgrade gate; the compiler's settings and errors."""

from __future__ import annotations

import json
import os
import tomllib

import pytest
import yaml
from unit.upgrades.cases import COMPATIBLE, GUARDS, INCOMPATIBLE, PROJECT, ROOT, UNSAFE, UPGRADES

from securities_rails.upgrades import (
    Compilation,
    CompilerError,
    Layout,
    UpgradeRefused,
    check,
    check_upgrade,
    require_safe_upgrade,
)
from securities_rails.upgrades.compiler import (
    LAYOUT_SETTINGS,
    PROJECT_SETTINGS,
    REMAPPINGS,
    compile_for_deployment,
    compile_sources,
)
from securities_rails.upgrades.safety import ISSUE_KINDS


@pytest.mark.parametrize("contract", [*PROJECT, *UPGRADES, *COMPATIBLE, *GUARDS])
def test_safe_implementations_have_no_issue(compilation: Compilation, contract: str):
    assert check(compilation, contract) == []


@pytest.mark.parametrize("contract", sorted(UNSAFE))
def test_each_unsafe_implementation_is_refused_with_its_kind(
    compilation: Compilation, contract: str
):
    issues = check(compilation, contract)
    assert {i.kind for i in issues} == UNSAFE[contract]
    assert all(i.kind in ISSUE_KINDS and i.contract and i.detail for i in issues)


def test_constructor_state_writes_are_each_named(compilation: Compilation):
    details = [str(i) for i in check(compilation, "RegistryConstructorWritesState")]
    assert details == [
        "RegistryConstructorWritesState: constructor assigns state variable `deployer` "
        "(constructor-writes-state)",
        "RegistryConstructorWritesState: constructor calls `_grantRole`, which may write state "
        "(constructor-writes-state)",
    ]


@pytest.mark.parametrize(
    ("contract", "detail"),
    [
        ("RegistrySelfdestruct", "`selfdestruct` in `RegistrySelfdestruct.destroy`"),
        ("RegistryDelegatecall", "delegatecall in `RegistryDelegatecall.execute`"),
        ("RegistryAssemblyDelegatecall", "delegatecall in `RegistryAssemblyDelegatecall.execute`"),
        (
            "RegistryFunctionDelegateCall",
            "`RegistryFunctionDelegateCall.execute` calls `Address.functionDelegateCall`, "
            "which delegatecalls",
        ),
        (
            "RegistryInitializersEnabled",
            "no constructor calls `_disableInitializers()`: anyone can initialise the "
            "implementation contract itself",
        ),
        (
            "RegistryUnguardedUpgrade",
            "`RegistryUnguardedUpgrade._authorizeUpgrade` has no access check: anyone can "
            "upgrade the proxy",
        ),
        (
            "RegistryWrongSlot",
            "`RegistryWrongSlot._storeV2` points `RegistryWrongSlot.RegistryStorageV2` at "
            "0x9b74205f6e67ba47abaf69b181ec5eb2efea52133f2247605b390c2c72517c00, not at the root "
            "of erc7201:securities-rails.storage.InvestorRegistry "
            "(0x9b5a6cfd52da164e0d482c7df7433ef0cc128b1e4f675f8be850077655c21b00)",
        ),
    ],
)
def test_issue_details(compilation: Compilation, contract: str, detail: str):
    assert [i.detail for i in check(compilation, contract)] == [detail]


# ------------------------------------------------------------------ the gate


@pytest.mark.parametrize(("new", "old"), sorted(UPGRADES.items()))
def test_v2_passes_the_gate(
    compilation: Compilation, all_layouts: dict[str, Layout], new: str, old: str
):
    report = require_safe_upgrade(all_layouts[old], compilation, new, new_layout=all_layouts[new])
    assert report.ok
    assert str(report) == f"{old} -> {new}: safe (layout {all_layouts[new].layout_hash})"


def test_an_incompatible_layout_is_refused_with_the_diff(
    compilation: Compilation, all_layouts: dict[str, Layout]
):
    old = all_layouts["SecurityToken"]
    new = all_layouts["RulesHoldingCapRetyped"]
    with pytest.raises(UpgradeRefused) as refused:
        require_safe_upgrade(old, compilation, "RulesHoldingCapRetyped", new_layout=new)
    assert str(refused.value).splitlines() == [
        "SecurityToken -> RulesHoldingCapRetyped: refused, 1 storage change(s), 0 issue(s)",
        f"  {INCOMPATIBLE['RulesHoldingCapRetyped'][1][0]}",
    ]
    assert refused.value.report.changes[0].variable == "limits.holdingCap"


def test_an_unsafe_implementation_is_refused_with_its_issue(
    compilation: Compilation, all_layouts: dict[str, Layout]
):
    report = check_upgrade(
        all_layouts["InvestorRegistry"],
        compilation,
        "RegistrySelfdestruct",
        new_layout=all_layouts["RegistrySelfdestruct"],
    )
    assert not report.ok
    assert report.changes == ()
    assert [i.kind for i in report.issues] == ["selfdestruct"]
    assert "(selfdestruct)" in str(report)


# ------------------------------------------------------------------ the compiler


def test_the_deployment_settings_are_the_projects():
    foundry = tomllib.loads((ROOT / "foundry.toml").read_text())["profile"]["default"]
    ape = yaml.safe_load((ROOT / "ape-config.yaml").read_text())["solidity"]
    assert PROJECT_SETTINGS.as_json() == {
        "evmVersion": foundry["evm_version"],
        "optimizer": {"enabled": foundry["optimizer"], "runs": foundry["optimizer_runs"]},
        "viaIR": foundry["via_ir"],
    }
    assert (ape["evm_version"], ape["optimization_runs"], ape["via_ir"]) == (
        PROJECT_SETTINGS.evm_version,
        PROJECT_SETTINGS.optimizer_runs,
        PROJECT_SETTINGS.via_ir,
    )
    assert list(REMAPPINGS) == foundry["remappings"]
    assert LAYOUT_SETTINGS.via_ir is False  # layout does not depend on it; no code generated


def test_solc_errors_are_listed():
    with pytest.raises(CompilerError) as refused:
        compile_sources([], root=ROOT, extra={"broken.sol": "contract Broken { function }"})
    assert refused.value.errors
    assert "ParserError" in refused.value.errors[0]
    assert "broken.sol" in str(refused.value)


def test_a_missing_source_is_an_error():
    with pytest.raises(CompilerError, match="no such source file"):
        compile_sources(["contracts/Missing.sol"], root=ROOT)


def test_contracts_are_found_by_name_or_path(compilation: Compilation):
    by_name = compilation.contract("InvestorRegistryV2")
    assert by_name.source == "tests/fixtures/upgrades/InvestorRegistryV2.sol"
    assert compilation.contract(by_name.qualified_name) == by_name
    assert by_name.storage_layout["storage"] == []
    assert by_name.bytecode == ""  # the layout compile generates no code
    with pytest.raises(KeyError, match="no contract"):
        compilation.contract("NoSuchContract")


def test_a_deployment_compile_uses_the_project_settings_for_the_contracts_asked_only():
    source = "tests/fixtures/upgrades/compiler/Pair.sol"
    compiled = compile_for_deployment([source], ["Wanted"], root=ROOT)
    assert compiled.settings == PROJECT_SETTINGS
    wanted = compiled.contract("Wanted")
    assert wanted.bytecode and wanted.deployed_bytecode
    assert [e["name"] for e in wanted.abi if e["type"] == "function"] == ["set", "value"]
    assert list(compiled.contracts[source]) == ["Wanted"]
    with pytest.raises(CompilerError, match="not found in the sources given: Missing"):
        compile_for_deployment([source], ["Missing"], root=ROOT)


@pytest.mark.skipif(
    not os.environ.get("UPGRADES_SLOW_TESTS"),
    reason="~30 s of viaIR code generation; set UPGRADES_SLOW_TESTS=1",
)
def test_deployment_bytecode_is_forges():
    """The deployment compile gives forge's bytecode (out/, from `forge build`) but for the
    metadata hash at the end (forge compiles other files alongside)."""
    artifact = ROOT / "out" / "InvestorRegistry.sol" / "InvestorRegistry.json"
    if not artifact.exists():
        pytest.skip("no forge build in out/")
    forge = json.loads(artifact.read_text())["deployedBytecode"]["object"].removeprefix("0x")
    sources = ["contracts/registry/InvestorRegistry.sol"]
    ours = compile_for_deployment(sources, ["InvestorRegistry"], root=ROOT)
    assert _without_metadata(ours.contract("InvestorRegistry").deployed_bytecode) == (
        _without_metadata(forge)
    )


def _without_metadata(code: str) -> str:
    """Drop the CBOR metadata at the end (its length is in the last two bytes)."""
    return code[: -(int(code[-4:], 16) * 2 + 4)]

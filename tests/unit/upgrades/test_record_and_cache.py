"""What upgrades keep outside the chain: the deployment record's new tables (no chain), and the
compile cache of ``build`` (a tiny project of its own, compiled with the project's solc)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from securities_rails.deployments import (
    DeploymentRecord,
    ImplementationEntry,
    Intent,
    TimelockCall,
    TimelockOperation,
    UpgradeEntry,
)
from securities_rails.errors import UserError
from securities_rails.upgrades import build

TX = "0x" + "11" * 32
PROXY = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
V1 = "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359"
V2 = "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB"
ISIN = "US0378331005"
LAYOUT = {"format": 1, "contract": "X", "storage": [], "namespaces": {}, "types": {}}


def full_record(directory: Path) -> DeploymentRecord:
    record = DeploymentRecord(31337, genesis_hash="0x" + "ab" * 32, directory=directory)
    record.add_layout("0xaa", LAYOUT)
    record.add_implementation(V1, ImplementationEntry("InvestorRegistry", "0xaa", "1", TX, 1))
    record.set_contract(
        "InvestorRegistry",
        address=PROXY,
        tx_hash=TX,
        block=2,
        kind="proxy",
        implementation=V1,
        version="1",
        layout_hash="0xaa",
    )
    record.add_instrument(ISIN, address=V2, tx_hash=TX, block=3, name="A", symbol="A")
    record.journal["Step"] = Intent("Step", PROXY, 7, V2, TX, 9)
    call = TimelockCall("contract:InvestorRegistry", PROXY, "0x1234", V1)
    record.operations["0x01"] = TimelockOperation(
        "0x01", V1, (call,), V2, "InvestorRegistryV2", "0xbb", "0x00", "0x00", 100, TX, 4
    )
    return record


def test_the_new_tables_round_trip_through_the_file(tmp_path: Path):
    record = full_record(tmp_path)
    record.record_upgrade("contract:InvestorRegistry", UpgradeEntry(V2, TX, 5, "2", "0xbb", via=V1))
    record.set_pinned(ISIN, True)
    record.save()
    again = DeploymentRecord.load(31337, tmp_path)
    assert again == record
    entry = again.contracts["InvestorRegistry"]
    assert (entry.implementation, entry.version, entry.layout_hash) == (V2, "2", "0xbb")
    assert entry.upgrades == (UpgradeEntry(V2, TX, 5, "2", "0xbb", V1),)
    assert again.instruments[ISIN].pinned
    data = json.loads(record.path.read_text())
    assert data["contracts"]["InvestorRegistry"]["upgrades"][0]["via"] == V1
    assert data["journal"]["Step"]["nonce"] == 7


def test_empty_tables_and_defaults_stay_out_of_the_file(tmp_path: Path):
    record = DeploymentRecord(1, directory=tmp_path)
    record.add_instrument(ISIN, address=V2, tx_hash=TX, block=3, name="A", symbol="A")
    data = json.loads(record.save().read_text())
    assert set(data) == {"format", "chain_id", "genesis_hash", "contracts", "instruments"}
    assert set(data["instruments"][ISIN]) == {"address", "tx_hash", "block", "name", "symbol"}


def test_reset_forgets_the_new_tables_too(tmp_path: Path):
    record = full_record(tmp_path)
    record.reset("0x" + "cd" * 32)
    assert (record.implementations, record.layouts, record.journal, record.operations) == (
        {},
        {},
        {},
        {},
    )


def test_an_implementation_needs_its_layout_and_an_upgrade_a_known_proxy(tmp_path: Path):
    record = DeploymentRecord(1, directory=tmp_path)
    with pytest.raises(ValueError, match="not in the record"):
        record.add_implementation(V1, ImplementationEntry("X", "0xmissing"))
    with pytest.raises(KeyError):
        record.record_upgrade("contract:Nope", UpgradeEntry(V2, TX, 1))
    with pytest.raises(UserError, match="unknown instrument"):
        record.set_pinned(ISIN, True)


# ---------------------------------------------------------------------------- compile cache

BASE = """// SPDX-License-Identifier: UNLICENSED
pragma solidity 0.8.28;

contract Base {
    /// @custom:storage-location erc7201:example.base
    struct BaseStorage { uint256 a; }
}
"""
IMPL = """// SPDX-License-Identifier: UNLICENSED
pragma solidity 0.8.28;

import {Base} from "./Base.sol";

contract Impl is Base {
    uint256 public constant X = 1;
}
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "ape-config.yaml").write_text("name: tiny\n")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "Base.sol").write_text(BASE)
    (tmp_path / "src" / "Impl.sol").write_text(IMPL)
    return tmp_path


def test_a_result_is_reused_until_any_source_it_read_changes(
    project: Path, monkeypatch: pytest.MonkeyPatch
):
    compiles: list[object] = []
    real = build.compile_for_layout

    def counting(*args: object, **kwargs: object) -> object:
        compiles.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(build, "compile_for_layout", counting)
    first = build.inspect("src/Impl.sol", "Impl", root=project)
    assert first.layout.namespace_ids == ["example.base"]
    assert build.inspect("src/Impl.sol", "Impl", root=project) == first
    assert len(compiles) == 1  # the second came from .build/upgrades
    (project / "src" / "Base.sol").write_text(BASE.replace("uint256 a;", "uint256 a; uint8 b;"))
    grown = build.inspect("src/Impl.sol", "Impl", root=project)
    assert len(compiles) == 2  # an imported file changed: compiled again
    (namespace,) = grown.layout.namespaces
    assert [m.name for m in namespace.members] == ["a", "b"]
    entries = list(build.cache_directory(project).glob("*.json"))
    assert len(entries) == 1
    units = json.loads(entries[0].read_text())["units"]
    assert set(units) == {"src/Base.sol", "src/Impl.sol"}


def test_a_corrupt_cache_entry_is_compiled_again(project: Path):
    first = build.inspect("src/Impl.sol", "Impl", root=project)
    for entry in build.cache_directory(project).glob("*.json"):
        entry.write_text("{not json")
    assert build.inspect("src/Impl.sol", "Impl", root=project) == first

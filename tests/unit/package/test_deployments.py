"""Behaviour of securities_rails.deployments: the per-chain record of deployed contracts."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from securities_rails import deployments
from securities_rails.deployments import (
    ContractEntry,
    DeploymentRecord,
    InstrumentEntry,
    default_directory,
    project_root,
)
from securities_rails.errors import UserError

GENESIS = "0x" + "ab" * 32
OTHER_GENESIS = "0x" + "cd" * 32
TX = "0x" + "11" * 32
REGISTRY = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
LOGIC = "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359"
TOKEN = "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB"
ISIN = "US0378331005"


def sample(tmp_path: Path) -> DeploymentRecord:
    """A record with one proxy and one instrument, stored under ``tmp_path``."""
    record = DeploymentRecord(31337, genesis_hash=GENESIS, directory=tmp_path)
    record.set_contract(
        "InvestorRegistry",
        address=REGISTRY,
        implementation=LOGIC,
        tx_hash=TX,
        block=3,
        kind="proxy",
        version="1.0.0",
    )
    record.add_instrument(ISIN, address=TOKEN, tx_hash=TX, block=7, name="Apple", symbol="AAPL")
    return record


# --- locating the record ---------------------------------------------------------------


def test_default_directory_is_deployments_under_the_project_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "ape-config.yaml").write_text("name: x\n")
    nested = tmp_path / "scripts" / "deep"
    nested.mkdir(parents=True)
    monkeypatch.chdir(nested)
    monkeypatch.delenv(deployments.ENV_VAR, raising=False)
    assert project_root() == tmp_path.resolve()
    assert default_directory() == tmp_path.resolve() / "deployments"


def test_env_var_overrides_the_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(deployments.ENV_VAR, str(tmp_path / "elsewhere"))
    assert default_directory() == tmp_path / "elsewhere"
    assert DeploymentRecord.load(1).path == tmp_path / "elsewhere" / "1.json"


def test_record_path_is_chain_id_json(tmp_path: Path) -> None:
    assert DeploymentRecord(11155111, directory=tmp_path).path == tmp_path / "11155111.json"


# --- load and save ---------------------------------------------------------------------


def test_load_gives_an_empty_record_when_the_file_is_missing(tmp_path: Path) -> None:
    record = DeploymentRecord.load(31337, tmp_path / "none-yet")
    assert (record.chain_id, record.genesis_hash) == (31337, None)
    assert record.contracts == {}
    assert record.instruments == {}


def test_save_then_load_round_trips(tmp_path: Path) -> None:
    record = sample(tmp_path)
    record.set_contract("Token", address=TOKEN.lower(), tx_hash=bytes(32), block=0)
    assert record.save() == tmp_path / "31337.json"
    assert DeploymentRecord.load(31337, tmp_path) == record


def test_save_writes_sorted_keys_indented_by_two(tmp_path: Path) -> None:
    text = sample(tmp_path).save().read_text()
    data = json.loads(text)
    assert text == json.dumps(data, indent=2, sort_keys=True) + "\n"
    assert data["contracts"]["InvestorRegistry"] == {
        "address": REGISTRY,
        "block": 3,
        "implementation": LOGIC,
        "kind": "proxy",
        "tx_hash": TX,
        "version": "1.0.0",
    }
    assert data["instruments"][ISIN]["symbol"] == "AAPL"


def test_save_leaves_optional_fields_out(tmp_path: Path) -> None:
    record = DeploymentRecord(1, directory=tmp_path)
    record.set_contract("Factory", address=TOKEN, tx_hash=TX, block=1)
    entry = json.loads(record.save().read_text())["contracts"]["Factory"]
    assert set(entry) == {"address", "tx_hash", "block", "kind"}


def test_save_creates_the_directory_and_leaves_no_temp_files(tmp_path: Path) -> None:
    folder = tmp_path / "a" / "b"
    sample(folder).save()
    sample(folder).save()
    assert sorted(p.name for p in folder.iterdir()) == ["31337.json"]
    assert stat.S_IMODE(os.stat(folder / "31337.json").st_mode) == 0o644


def test_save_replaces_the_file_atomically(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    record = sample(tmp_path)
    record.save()
    before = record.path.read_text()
    record.set_contract("Other", address=TOKEN, tx_hash=TX, block=9)

    def fail(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(deployments.os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        record.save()
    assert record.path.read_text() == before
    assert [p.name for p in tmp_path.iterdir()] == ["31337.json"]


def test_load_refuses_invalid_json(tmp_path: Path) -> None:
    (tmp_path / "5.json").write_text("{not json")
    with pytest.raises(UserError, match="not valid JSON") as exc:
        DeploymentRecord.load(5, tmp_path)
    assert exc.value.field == "file"


def test_load_refuses_a_record_for_another_chain(tmp_path: Path) -> None:
    (tmp_path / "5.json").write_text(json.dumps({"chain_id": 6}))
    with pytest.raises(UserError, match="is for chain 6, not 5"):
        DeploymentRecord.load(5, tmp_path)


@pytest.mark.parametrize(
    "data",
    [
        [],
        {"chain_id": 5, "contracts": {"X": {"address": REGISTRY}}},
        {"chain_id": 5, "contracts": []},
        {"chain_id": 5, "genesis_hash": "0x12"},
    ],
)
def test_load_refuses_malformed_records(tmp_path: Path, data: object) -> None:
    (tmp_path / "5.json").write_text(json.dumps(data))
    with pytest.raises(UserError, match="delete it") as exc:
        DeploymentRecord.load(5, tmp_path)
    assert exc.value.field == "file"


# --- staleness -------------------------------------------------------------------------


def test_is_stale_when_the_genesis_differs(tmp_path: Path) -> None:
    record = sample(tmp_path)
    assert record.is_stale(OTHER_GENESIS)
    assert not record.is_stale(GENESIS)
    assert not record.is_stale(GENESIS.upper().replace("0X", "0x"))
    assert not record.is_stale(bytes.fromhex("ab" * 32))


def test_a_record_without_genesis_is_never_stale(tmp_path: Path) -> None:
    assert not DeploymentRecord(1, directory=tmp_path).is_stale(OTHER_GENESIS)


def test_reset_forgets_everything_for_the_new_chain(tmp_path: Path) -> None:
    record = sample(tmp_path)
    record.reset(OTHER_GENESIS)
    assert (record.genesis_hash, record.contracts, record.instruments) == (OTHER_GENESIS, {}, {})


def test_genesis_hash_must_be_32_bytes(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="32-byte hash"):
        DeploymentRecord(1, genesis_hash="0x1234", directory=tmp_path)


# --- contracts -------------------------------------------------------------------------


def test_set_contract_checksums_addresses_and_normalises_hashes(tmp_path: Path) -> None:
    record = DeploymentRecord(1, directory=tmp_path)
    entry = record.set_contract("Token", address=TOKEN.lower(), tx_hash=TX.upper()[2:], block=4)
    assert entry == ContractEntry(address=TOKEN, tx_hash=TX, block=4, kind="contract")
    assert record.get_contract("Token") is entry


def test_set_contract_replaces_an_earlier_entry(tmp_path: Path) -> None:
    record = sample(tmp_path)
    record.set_contract("InvestorRegistry", address=TOKEN, tx_hash=TX, block=8)
    assert record.get_contract("InvestorRegistry").address == TOKEN


def test_set_contract_refuses_an_unknown_kind(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="kind"):
        DeploymentRecord(1, directory=tmp_path).set_contract(
            "X",
            address=TOKEN,
            tx_hash=TX,
            block=1,
            kind="library",  # type: ignore[arg-type]
        )


def test_set_contract_requires_a_proxy_implementation(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="implementation"):
        DeploymentRecord(1, directory=tmp_path).set_contract(
            "X", address=TOKEN, tx_hash=TX, block=1, kind="proxy"
        )


def test_set_contract_refuses_a_bad_address(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="not an Ethereum address"):
        DeploymentRecord(1, directory=tmp_path).set_contract(
            "X", address="0x12", tx_hash=TX, block=1
        )


@pytest.mark.parametrize("block", [-1, True, "3"])
def test_set_contract_refuses_a_bad_block(tmp_path: Path, block: object) -> None:
    with pytest.raises(ValueError, match="block"):
        DeploymentRecord(1, directory=tmp_path).set_contract(
            "X",
            address=TOKEN,
            tx_hash=TX,
            block=block,  # type: ignore[arg-type]
        )


def test_get_contract_tells_the_user_to_deploy(tmp_path: Path) -> None:
    with pytest.raises(UserError) as exc:
        DeploymentRecord(31337, directory=tmp_path).get_contract("InvestorRegistry")
    assert str(exc.value) == (
        "contract: InvestorRegistry is not deployed on chain 31337: run `ape run deploy`"
    )


# --- instruments -----------------------------------------------------------------------


def test_instrument_is_found_by_isin_in_any_case(tmp_path: Path) -> None:
    record = sample(tmp_path)
    assert record.instrument(" us0378331005 ") == InstrumentEntry(
        address=TOKEN, tx_hash=TX, block=7, name="Apple", symbol="AAPL"
    )


def test_instrument_tells_the_user_to_create_an_unknown_isin(tmp_path: Path) -> None:
    with pytest.raises(UserError) as exc:
        sample(tmp_path).instrument("DE0007164600")
    assert str(exc.value) == (
        "isin: unknown instrument DE0007164600: create it with `ape run issuer create-instrument`"
    )


def test_instrument_refuses_an_invalid_isin(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="check digit"):
        sample(tmp_path).instrument("US0378331006")


def test_add_instrument_refuses_an_isin_already_recorded_elsewhere(tmp_path: Path) -> None:
    record = sample(tmp_path)
    with pytest.raises(UserError, match="already recorded at") as exc:
        record.add_instrument(ISIN, address=REGISTRY, tx_hash=TX, block=9, name="A", symbol="A")
    assert exc.value.field == "isin"


def test_add_instrument_is_idempotent_for_the_same_entry(tmp_path: Path) -> None:
    record = sample(tmp_path)
    again = record.add_instrument(
        ISIN, address=TOKEN, tx_hash=TX, block=7, name="Apple", symbol="AAPL"
    )
    assert record.instruments == {ISIN: again}

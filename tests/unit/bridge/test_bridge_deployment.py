"""The bridge deployment file: round trip, and one-line errors naming the bad field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from securities_rails.bridge.deployment import BridgeDeployment
from securities_rails.errors import UserError

HOME = {
    "name": "home",
    "chain_id": 31337,
    "rpc": "http://127.0.0.1:8545",
    "endpoint": "0x" + "11" * 20,
    "token": "0x" + "12" * 20,
    "custody": "0x" + "13" * 20,
    "deploy_block": 12,
}
REMOTE = {
    "name": "remote",
    "chain_id": 31338,
    "rpc": "http://127.0.0.1:8546",
    "endpoint": "0x" + "21" * 20,
    "token": "0x" + "22" * 20,
    "custody": None,
    "deploy_block": 7,
}
DATA = {"isin": "US0378331005", "home": HOME, "remote": REMOTE}


def test_round_trip_through_a_file(tmp_path: Path):
    deployment = BridgeDeployment.from_json(DATA)
    path = tmp_path / "bridges" / "bridge.json"
    deployment.save(path)
    assert BridgeDeployment.load(path) == deployment
    written = json.loads(path.read_text())
    assert written["remote"]["custody"] is None and written["home"]["deploy_block"] == 12
    assert deployment.other(deployment.home) == deployment.remote
    assert deployment.by_chain_id(31338) == deployment.remote
    assert deployment.side("home").custody == "0x" + "13" * 20


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"isin": "US0378331006"}, "deployment.isin: invalid ISIN check digit"),
        ({"remote": {**REMOTE, "custody": HOME["custody"]}}, "deployment.remote.custody: "),
        ({"home": {**HOME, "custody": None}}, "deployment.home.custody: "),
        ({"home": {**HOME, "endpoint": "0x1234"}}, "deployment.home.endpoint: "),
        ({"home": {**HOME, "rpc": "ws://x"}}, "deployment.home.rpc: "),
        ({"home": {**HOME, "chain_id": "1"}}, "deployment.home.chain_id: "),
        ({"home": {**HOME, "deploy_block": -1}}, "deployment.home.deploy_block: "),
        ({"home": {**HOME, "name": "remote"}}, "deployment.home.name: "),
        ({"remote": {**REMOTE, "chain_id": 31337}}, "deployment.remote.chain_id: both sides"),
        ({"extra": 1}, "deployment: unknown fields extra"),
    ],
)
def test_a_bad_field_is_named(change, error):
    with pytest.raises(UserError) as raised:
        BridgeDeployment.from_json({**DATA, **change})
    assert str(raised.value).startswith(error) and "\n" not in str(raised.value)


def test_an_unreadable_file_is_one_line(tmp_path: Path):
    with pytest.raises(UserError, match=r"^deployment: cannot read .*missing.json"):
        BridgeDeployment.load(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(UserError, match=r"^deployment: .*bad.json is not JSON"):
        BridgeDeployment.load(tmp_path / "bad.json")

"""interfaces/abi/*.json must match the Solidity interfaces an integrator compiles against."""

import shutil
from pathlib import Path

from securities_rails.deployments import project_root
from securities_rails.interfaces import stale


def test_committed_abis_match_the_interfaces():
    assert stale() == []


def test_an_edited_interface_makes_its_abi_stale(tmp_path: Path):
    root = project_root()
    shutil.copytree(root / "interfaces", tmp_path / "interfaces")
    (tmp_path / "node_modules").symlink_to(root / "node_modules")
    path = tmp_path / "interfaces" / "ISecurityTokenFactory.sol"  # no interface inherits it
    original = "function setImplementation(address implementation) external;"
    text = path.read_text().replace(original, original + "\n    function extra() external;")
    path.write_text(text)
    assert stale(tmp_path) == ["interfaces/abi/ISecurityTokenFactory.json is stale"]

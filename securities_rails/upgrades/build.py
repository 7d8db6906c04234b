"""What an upgrade compiles, compiled once: layouts, safety issues and bytecode, cached on disk.

* ``inspect(source, contract)``: the new implementation's storage layout, ABI and safety issues
  (a layout compile: seconds);
* ``build(source, contract)``: its creation bytecode with the project's settings (viaIR: the
  token takes ~30 s);
* ``project_layouts()``: the layouts of the suite's three implementations, recorded at deployment.

Each result is kept in ``<project root>/.build/upgrades/<key>.json`` (``make clean`` removes it),
``key`` being a hash of the request (what, from which file, compiler and settings, and for layouts
and issues the code of this package that computes them). The entry lists every source unit solc
read with the SHA-256 of its content; it is used only while each of them is unchanged, so an edit
to any imported file, OpenZeppelin's included, compiles again. ``inspect_all`` and ``build_all``
compile what is not cached for many contracts in one solc run (each entry then lists the units of
that run: a superset, so still sound).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_utils import keccak

from securities_rails.deployments import project_root
from securities_rails.upgrades.compiler import (
    LAYOUT_SETTINGS,
    PROJECT_SETTINGS,
    SOLC_VERSION,
    Compilation,
    Json,
    compile_for_deployment,
    compile_for_layout,
    source_name,
)
from securities_rails.upgrades.layout import LayoutError, layouts
from securities_rails.upgrades.model import Layout
from securities_rails.upgrades.safety import Issue, check

CACHE_FORMAT = 1
PROJECT_IMPLEMENTATIONS: dict[str, str] = {  # contract -> source unit
    "InvestorRegistry": "contracts/registry/InvestorRegistry.sol",
    "SecurityToken": "contracts/token/SecurityToken.sol",
    "SecurityTokenFactory": "contracts/token/SecurityTokenFactory.sol",
    "BridgeLock": "contracts/bridge/BridgeLock.sol",
    "BridgeMint": "contracts/bridge/BridgeMint.sol",
    "DvPEscrow": "contracts/settlement/DvPEscrow.sol",
    "RecordDates": "contracts/lifecycle/RecordDates.sol",
    "Distributions": "contracts/lifecycle/Distributions.sol",
    "Redemption": "contracts/lifecycle/Redemption.sol",
    "Splits": "contracts/lifecycle/Splits.sol",
}
# The code that turns a compile into layouts and issues: a change to it invalidates those results.
_CHECKER_FILES = ("compiler.py", "layout.py", "model.py", "safety.py", "build.py")


@dataclass(frozen=True)
class Candidate:
    """A new implementation as the checks see it: layout, ABI and safety issues, no bytecode."""

    source: str  # source unit, relative to the project root
    contract: str
    layout: Layout
    abi: list[Json]
    issues: tuple[Issue, ...]

    def has_function(self, name: str) -> bool:
        return any(i.get("type") == "function" and i.get("name") == name for i in self.abi)


@dataclass(frozen=True)
class Artifact:
    """The deployable build of an implementation (project compiler settings)."""

    source: str
    contract: str
    abi: list[Json]
    bytecode: str  # creation code, 0x hex

    @property
    def build_hash(self) -> str:
        """keccak256 of the creation code: the same build is deployed once per chain."""
        return "0x" + keccak(hexstr=self.bytecode).hex()


def inspect(source: Path | str, contract: str, *, root: Path | None = None) -> Candidate:
    """Layout, ABI and safety issues of ``contract`` in ``source`` (cached)."""
    return inspect_all([(source, contract)], root=root)[0]


def inspect_all(
    pairs: Iterable[tuple[Path | str, str]], *, root: Path | None = None
) -> list[Candidate]:
    """``inspect`` for each (source, contract), compiling those not cached in one solc run."""
    root = (root or project_root()).resolve()
    wanted = [(source_name(source, root), contract) for source, contract in pairs]
    requests = {
        pair: {"what": "inspect", "source": pair[0], "contract": pair[1], **_checker(root)}
        for pair in wanted
    }
    results = {pair: _lookup(root, request) for pair, request in requests.items()}
    missing = [pair for pair, result in results.items() if result is None]
    if len(missing) > 1:
        try:
            _inspect_missing(root, missing, requests, results)
        except LayoutError:  # one contract's layout conflicts: find which, one by one
            for pair in missing:
                _inspect_missing(root, [pair], requests, results)
    elif missing:
        _inspect_missing(root, missing, requests, results)
    return [_candidate(pair, results[pair]) for pair in wanted]


def _inspect_missing(
    root: Path,
    missing: list[tuple[str, str]],
    requests: dict[tuple[str, str], Json],
    results: dict[tuple[str, str], Json | None],
) -> None:
    compilation = compile_for_layout(sorted({unit for unit, _ in missing}), root=root)
    names = [f"{unit}:{contract}" for unit, contract in missing]
    found = layouts(compilation, names)
    for pair, name in zip(missing, names, strict=True):
        result = {
            "layout": found[name].to_dict(),
            "abi": compilation.contract(name).abi,
            "issues": [[i.kind, i.contract, i.detail] for i in check(compilation, name)],
        }
        _store(root, requests[pair], result, compilation)
        results[pair] = result


def _candidate(pair: tuple[str, str], result: Json | None) -> Candidate:
    assert result is not None
    return Candidate(
        source=pair[0],
        contract=pair[1],
        layout=Layout.from_dict(result["layout"]),
        abi=list(result["abi"]),
        issues=tuple(Issue(kind, where, detail) for kind, where, detail in result["issues"]),
    )


def build(source: Path | str, contract: str, *, root: Path | None = None) -> Artifact:
    """The creation bytecode and ABI of ``contract`` in ``source``, project settings (cached)."""
    return build_all([(source, contract)], root=root)[0]


def build_all(
    pairs: Iterable[tuple[Path | str, str]], *, root: Path | None = None
) -> list[Artifact]:
    """``build`` for each (source, contract), compiling those not cached in one solc run."""
    root = (root or project_root()).resolve()
    wanted = [(source_name(source, root), contract) for source, contract in pairs]
    requests = {
        pair: {
            "what": "build",
            "source": pair[0],
            "contract": pair[1],
            "solc": SOLC_VERSION,
            "settings": PROJECT_SETTINGS.as_json(),
        }
        for pair in wanted
    }
    results = {pair: _lookup(root, request) for pair, request in requests.items()}
    missing = [pair for pair, result in results.items() if result is None]
    if missing:
        units = sorted({unit for unit, _ in missing})
        contracts = sorted({contract for _, contract in missing})
        compilation = compile_for_deployment(units, contracts, root=root)
        for pair in missing:
            output = compilation.contract(f"{pair[0]}:{pair[1]}")
            result = {"abi": output.abi, "bytecode": "0x" + output.bytecode}
            _store(root, requests[pair], result, compilation)
            results[pair] = result
    artifacts = []
    for unit, contract in wanted:
        result = results[(unit, contract)]
        assert result is not None
        artifacts.append(Artifact(unit, contract, list(result["abi"]), str(result["bytecode"])))
    return artifacts


def project_layouts(root: Path | None = None) -> dict[str, Layout]:
    """The storage layouts of InvestorRegistry, SecurityToken and SecurityTokenFactory (cached)."""
    root = (root or project_root()).resolve()
    request = {"what": "project-layouts", "contracts": PROJECT_IMPLEMENTATIONS, **_checker(root)}

    def compute() -> tuple[Json, Compilation]:
        compilation = compile_for_layout(PROJECT_IMPLEMENTATIONS.values(), root=root)
        found = layouts(compilation, PROJECT_IMPLEMENTATIONS)
        return {name: item.to_dict() for name, item in found.items()}, compilation

    result = _cached(root, request, compute)
    return {name: Layout.from_dict(data) for name, data in result.items()}


def cache_directory(root: Path) -> Path:
    return root / ".build" / "upgrades"


def _checker(root: Path) -> Json:
    here = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for name in _CHECKER_FILES:
        digest.update((here / name).read_bytes())
    return {
        "solc": SOLC_VERSION,
        "settings": LAYOUT_SETTINGS.as_json(),
        "checker": digest.hexdigest(),
    }


def _path(root: Path, request: Json) -> Path:
    text = json.dumps({"format": CACHE_FORMAT, **request}, sort_keys=True)
    return cache_directory(root) / f"{hashlib.sha256(text.encode()).hexdigest()}.json"


def _lookup(root: Path, request: Json) -> dict[str, Any] | None:
    """The cached result of ``request``, if every source it was compiled from is unchanged."""
    try:
        entry = json.loads(_path(root, request).read_text(encoding="utf-8"))
        if _unchanged(root, entry["units"]):
            return dict(entry["result"])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return None


def _store(root: Path, request: Json, result: Json, compilation: Compilation) -> None:
    units = {unit: _digest(root / unit) for unit in _source_units(compilation)}
    entry = {"request": request, "units": units, "result": result}
    _write(_path(root, request), json.dumps(entry))


def _cached(
    root: Path, request: Json, compute: Callable[[], tuple[Json, Compilation]]
) -> dict[str, Any]:
    found = _lookup(root, request)
    if found is not None:
        return found
    result, compilation = compute()
    _store(root, request, result, compilation)
    return result


def _source_units(compilation: Compilation) -> Iterable[str]:
    return sorted(unit for unit in compilation.sources if (compilation.root / unit).is_file())


def _unchanged(root: Path, units: dict[str, str]) -> bool:
    if not units:
        return False
    for unit, digest in units.items():
        try:
            if _digest(root / unit) != digest:
                return False
        except OSError:
            return False
    return True


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _write(path: Path, text: str) -> None:
    """Best effort: a cache that cannot be written only makes the next run slower."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temp, path)
    except OSError:
        return

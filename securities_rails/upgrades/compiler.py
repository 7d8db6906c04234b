"""Compile Solidity sources with the project's solc wrapper (solc-js 0.8.28) through standard JSON.

Two uses, two settings:

* ``compile_for_layout``: AST, ABI and storage layout, no code generation. Storage layout does not
  depend on the optimiser or the IR pipeline, so it compiles with ``viaIR: false`` (and, since no
  bytecode is requested, solc skips code generation altogether: a few seconds instead of ~30).
* ``compile_for_deployment``: the project's exact settings (cancun, optimiser 200 runs, viaIR), with
  bytecode for the contracts asked for; use only this output for bytecode that goes on a chain.

Sources are files (project contracts, fixtures), named to solc by their path relative to the
project root, so that a fixture importing ``../../../contracts/token/SecurityToken.sol`` and a
request for ``contracts/token/SecurityToken.sol`` refer to one source unit. In-memory sources
(the layout probe) can be added under a name of their own.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from securities_rails.deployments import project_root

SOLC_VERSION = "0.8.28"
REMAPPINGS: tuple[str, ...] = (
    "@openzeppelin/contracts-upgradeable/=node_modules/@openzeppelin/contracts-upgradeable/",
    "@openzeppelin/contracts/=node_modules/@openzeppelin/contracts/",
)
LAYOUT_OUTPUTS: tuple[str, ...] = ("abi", "storageLayout")
DEPLOYMENT_OUTPUTS: tuple[str, ...] = (
    "abi",
    "storageLayout",
    "evm.bytecode.object",
    "evm.deployedBytecode.object",
)
TIMEOUT_SECONDS = 900

Json = dict[str, Any]


class CompilerError(RuntimeError):
    """solc refused the sources (``errors`` lists solc's formatted messages) or could not run."""

    def __init__(self, message: str, errors: Sequence[str] = ()) -> None:
        self.errors = list(errors)
        text = message if not self.errors else message + ":\n" + "\n".join(self.errors)
        super().__init__(text)


@dataclass(frozen=True)
class CompilerSettings:
    """The settings that change the bytecode (not the storage layout)."""

    evm_version: str = "cancun"
    optimizer_runs: int = 200
    via_ir: bool = True

    def as_json(self) -> Json:
        return {
            "evmVersion": self.evm_version,
            "optimizer": {"enabled": True, "runs": self.optimizer_runs},
            "viaIR": self.via_ir,
        }


PROJECT_SETTINGS = CompilerSettings()  # as ape-config.yaml and foundry.toml
LAYOUT_SETTINGS = CompilerSettings(via_ir=False)


@dataclass(frozen=True)
class ContractOutput:
    """One compiled contract: ``source`` is its source unit name (path from the project root)."""

    source: str
    name: str
    output: Json = field(repr=False)

    @property
    def qualified_name(self) -> str:
        return f"{self.source}:{self.name}"

    @property
    def abi(self) -> list[Json]:
        return list(self.output.get("abi", []))

    @property
    def storage_layout(self) -> Json:
        return dict(self.output.get("storageLayout") or {"storage": [], "types": None})

    @property
    def bytecode(self) -> str:
        """Creation bytecode (hex, no 0x); empty when not requested or abstract."""
        return str(self.output.get("evm", {}).get("bytecode", {}).get("object", ""))

    @property
    def deployed_bytecode(self) -> str:
        return str(self.output.get("evm", {}).get("deployedBytecode", {}).get("object", ""))


@dataclass
class Compilation:
    """The output of one standard-JSON compile: per-source ASTs and per-contract outputs."""

    root: Path
    settings: CompilerSettings
    sources: dict[str, Json] = field(repr=False)  # source unit -> {"id", "ast"}
    contracts: dict[str, dict[str, Json]] = field(repr=False)  # source unit -> name -> output
    warnings: list[str] = field(default_factory=list, repr=False)

    def asts(self) -> Iterator[tuple[str, Json]]:
        for unit, data in self.sources.items():
            if "ast" in data:
                yield unit, data["ast"]

    @cached_property
    def nodes(self) -> dict[int, Json]:
        """Every AST node with an id, by id (ids are unique within one compile)."""
        index: dict[int, Json] = {}
        for _, ast in self.asts():
            for node in walk(ast):
                node_id = node.get("id")
                if isinstance(node_id, int):
                    index[node_id] = node
        return index

    @cached_property
    def unit_of(self) -> dict[int, str]:
        """Source unit of every contract definition, by node id."""
        units: dict[int, str] = {}
        for unit, ast in self.asts():
            for node in ast.get("nodes", []):
                if node.get("nodeType") == "ContractDefinition":
                    units[node["id"]] = unit
        return units

    def contract(self, name: str) -> ContractOutput:
        """A compiled contract by ``Name`` or ``path/File.sol:Name``."""
        source, _, short = name.rpartition(":")
        found = [
            ContractOutput(unit, short, output)
            for unit, by_name in self.contracts.items()
            if not source or unit == source
            for contract_name, output in by_name.items()
            if contract_name == short
        ]
        if not found:
            raise KeyError(f"no contract {name!r} in this compilation")
        if len(found) > 1:
            names = ", ".join(c.qualified_name for c in found)
            raise KeyError(f"contract name {name!r} is ambiguous: {names}")
        return found[0]

    def contract_node(self, name: str) -> Json:
        """The ContractDefinition AST node of a contract (``Name`` or ``path:Name``)."""
        source, _, short = name.rpartition(":")
        found = [
            node
            for unit, ast in self.asts()
            if not source or unit == source
            for node in ast.get("nodes", [])
            if node.get("nodeType") == "ContractDefinition" and node.get("name") == short
        ]
        if not found:
            raise KeyError(f"no contract {name!r} in this compilation")
        if len(found) > 1:
            raise KeyError(f"contract name {name!r} is ambiguous: give it as path:Name")
        return found[0]

    def linearized(self, contract: Json) -> list[Json]:
        """The contract and its bases, most derived first (C3 linearisation)."""
        return [self.nodes[i] for i in contract.get("linearizedBaseContracts", [contract["id"]])]


def walk(node: Any) -> Iterator[Json]:
    """Every AST node (a dict with ``nodeType``, Yul nodes included) under ``node``, pre-order."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if "nodeType" in item:
                yield item
            stack.extend(reversed(list(item.values())))
        elif isinstance(item, list):
            stack.extend(reversed(item))


def solc_path(root: Path) -> Path:
    folder = Path(os.environ.get("SOLCX_BINARY_PATH", root / ".solcx"))
    return folder / f"solc-v{SOLC_VERSION}"


def source_name(path: Path | str, root: Path) -> str:
    """The source unit name of a file: its path relative to the project root, POSIX style."""
    candidate = Path(path)
    absolute = candidate if candidate.is_absolute() else root / candidate
    absolute = absolute.resolve()
    try:
        return absolute.relative_to(root.resolve()).as_posix()
    except ValueError as exc:
        raise CompilerError(f"{path} is outside the project root {root}") from exc


def compile_sources(
    files: Iterable[Path | str],
    *,
    root: Path | None = None,
    settings: CompilerSettings = LAYOUT_SETTINGS,
    outputs: Sequence[str] = LAYOUT_OUTPUTS,
    only: Mapping[str, Sequence[str]] | None = None,
    extra: Mapping[str, str] | None = None,
    ast: bool = True,
) -> Compilation:
    """Compile ``files`` (plus in-memory ``extra`` sources: name -> text) in one standard-JSON run.

    ``outputs`` are requested for every contract, or only for those in ``only`` (source unit name
    -> contract names), which spares code generation for the rest. The AST of every source is
    requested unless ``ast`` is false. Raises ``CompilerError`` listing solc's errors.
    """
    root = (root or project_root()).resolve()
    sources: dict[str, Json] = {}
    for path in files:
        name = source_name(path, root)
        if not (root / name).is_file():
            raise CompilerError(f"no such source file: {root / name}")
        sources[name] = {"urls": [name]}
    for name, text in (extra or {}).items():
        sources[name] = {"content": text}
    if not sources:
        raise CompilerError("nothing to compile")
    selection: dict[str, dict[str, list[str]]] = {"*": {"": ["ast"]} if ast else {}}
    if only is None:
        selection["*"]["*"] = list(outputs)
    else:
        for unit, names in only.items():
            selection.setdefault(unit, {}).update({n: list(outputs) for n in names})
    request = {
        "language": "Solidity",
        "sources": sources,
        "settings": {
            **settings.as_json(),
            "remappings": list(REMAPPINGS),
            "outputSelection": selection,
        },
    }
    output = _run(request, root)
    problems = output.get("errors", [])
    errors = [e["formattedMessage"] for e in problems if e.get("severity") == "error"]
    if errors:
        raise CompilerError(f"solc {SOLC_VERSION} refused the sources", errors)
    return Compilation(
        root=root,
        settings=settings,
        sources=output.get("sources", {}),
        contracts=output.get("contracts", {}),
        warnings=[e["formattedMessage"] for e in problems if e.get("severity") != "error"],
    )


def compile_for_layout(files: Iterable[Path | str], *, root: Path | None = None) -> Compilation:
    """AST, ABI and storage layout of every contract in ``files``: no bytecode, fast."""
    return compile_sources(files, root=root)


def compile_for_deployment(
    files: Iterable[Path | str], contracts: Iterable[str], *, root: Path | None = None
) -> Compilation:
    """Bytecode with the project's settings for ``contracts`` (``Name`` in one of ``files``).

    Code is generated only for the contracts named (and what they deploy with ``new``).
    """
    root = (root or project_root()).resolve()
    files = list(files)
    wanted = set(contracts)
    units = [source_name(f, root) for f in files]
    only = {unit: sorted(wanted) for unit in units}
    compilation = compile_sources(
        files, root=root, settings=PROJECT_SETTINGS, outputs=DEPLOYMENT_OUTPUTS, only=only
    )
    missing = {n for n in wanted if not any(n in compilation.contracts.get(u, {}) for u in units)}
    if missing:
        raise CompilerError(f"not found in the sources given: {', '.join(sorted(missing))}")
    return compilation


def _run(request: Json, root: Path) -> Json:
    solc = solc_path(root)
    if not solc.exists():
        raise CompilerError(f"{solc} is missing: run `make install`")
    try:
        result = subprocess.run(
            [str(solc), "--standard-json", "--base-path", str(root)],
            input=json.dumps(request),
            capture_output=True,
            text=True,
            cwd=root,
            timeout=TIMEOUT_SECONDS,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise CompilerError(f"could not run {solc}: {exc}") from exc
    if result.returncode != 0:
        raise CompilerError(f"{solc} exited with {result.returncode}", [result.stderr.strip()])
    try:
        output: Json = json.loads(result.stdout)
    except json.JSONDecodeError as exc:
        raise CompilerError(f"{solc} printed no JSON", [result.stderr.strip()]) from exc
    return output

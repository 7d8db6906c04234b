"""The full storage layout of a contract: plain state variables plus every ERC-7201 namespace.

solc reports the layout of state variables only. Upgradeable contracts (ours and OpenZeppelin's)
keep their state in structs at ERC-7201 roots, declared by a NatSpec annotation on the struct:

    /// @custom:storage-location erc7201:securities-rails.storage.TransferRules
    struct RulesStorage { ... }

So: (1) find those structs in the contract and all its bases, from the AST of a first compile;
(2) compile a generated probe contract that declares one state variable of each struct type
(``U0.TransferRules.RulesStorage internal s0;``, every file imported under an alias so that names
cannot clash), so that solc lays the structs out, nested types included; (3) turn solc's output
into a ``Layout`` with canonical type labels (``model.py``).

When several structs of the linearisation declare one namespace (a V2 that redeclares its base's
struct with members appended), the most derived one is the namespace's layout, and each of the
others must be a prefix of it (``compare_members``), or ``LayoutError`` is raised.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from securities_rails.upgrades.compare import compare_members, format_changes
from securities_rails.upgrades.compiler import (
    SOLC_VERSION,
    Compilation,
    Json,
    compile_for_layout,
    compile_sources,
)
from securities_rails.upgrades.model import Layout, Member, Namespace, TypeInfo, erc7201_slot

STORAGE_LOCATION = re.compile(r"@custom:storage-location\s+([\w-]+):(\S+)")
PROBE_UNIT = "__upgrades__/LayoutProbe.sol"
PROBE_CONTRACT = "__LayoutProbe"
# solc type identifiers that carry an AST id: t_struct(Name)123, t_enum(...), t_contract(...), ...
TYPE_WITH_ID = re.compile(r"t_(struct|enum|contract|userDefinedValueType)\((\w+)\)(\d+)")
NAMED_LABEL_PREFIXES = ("struct ", "enum ", "contract ")


class LayoutError(ValueError):
    """The layout cannot be established (unknown formula, conflicting namespace declarations)."""


@dataclass(frozen=True)
class NamespacedStruct:
    """A struct annotated ``@custom:storage-location erc7201:<namespace>``."""

    namespace: str
    struct: str  # canonical name: Contract.Struct
    unit: str  # source unit that declares it

    @property
    def root(self) -> int:
        return erc7201_slot(self.namespace)


def namespaced_structs(compilation: Compilation, contract: str) -> list[NamespacedStruct]:
    """The namespaced structs of ``contract`` and all its bases, most derived first."""
    node = compilation.contract_node(contract)
    found: list[NamespacedStruct] = []
    for base in compilation.linearized(node):
        unit = compilation.unit_of[base["id"]]
        for member in base.get("nodes", []):
            if member.get("nodeType") != "StructDefinition":
                continue
            for formula, namespace in STORAGE_LOCATION.findall(_doc_text(member)):
                if formula != "erc7201":
                    raise LayoutError(
                        f"{member['canonicalName']}: storage location formula {formula!r} is "
                        "not supported (only erc7201)"
                    )
                found.append(NamespacedStruct(namespace, member["canonicalName"], unit))
    return found


def probe_source(structs: Iterable[NamespacedStruct], units: Iterable[str] = ()) -> str:
    """A contract with one state variable (s0, s1, ...) of each struct type, in order given."""
    unique = list(dict.fromkeys((s.unit, s.struct) for s in structs))
    imported = sorted({unit for unit, _ in unique} | set(units))
    alias = {unit: f"U{i}" for i, unit in enumerate(imported)}
    lines = ["// SPDX-License-Identifier: UNLICENSED", f"pragma solidity {SOLC_VERSION};", ""]
    lines += [f'import * as {alias[unit]} from "{unit}";' for unit in imported]
    lines += ["", f"contract {PROBE_CONTRACT} {{"]
    lines += [f"    {alias[unit]}.{name} internal s{i};" for i, (unit, name) in enumerate(unique)]
    lines += ["}", ""]
    return "\n".join(lines)


def layouts(compilation: Compilation, contracts: Iterable[str]) -> dict[str, Layout]:
    """The layout of each of ``contracts`` (``Name`` or ``path:Name`` in ``compilation``).

    Makes one more compile (the probe, with ``compilation``'s root), whatever the number of
    contracts.
    """
    contracts = list(dict.fromkeys(contracts))
    targets: dict[str, tuple[str, str]] = {}  # requested name -> (unit, contract name)
    structs: dict[str, list[NamespacedStruct]] = {}
    for contract in contracts:
        node = compilation.contract_node(contract)
        targets[contract] = (compilation.unit_of[node["id"]], node["name"])
        structs[contract] = namespaced_structs(compilation, contract)
    every = [s for found in structs.values() for s in found]
    unique = list(dict.fromkeys((s.unit, s.struct) for s in every))
    variable = {key: f"s{i}" for i, key in enumerate(unique)}
    units = sorted({unit for unit, _ in targets.values()})
    only: dict[str, list[str]] = {PROBE_UNIT: [PROBE_CONTRACT]}
    for unit, name in targets.values():
        only.setdefault(unit, []).append(name)
    probe = compile_sources(
        units,
        root=compilation.root,
        outputs=("storageLayout",),
        only=only,
        extra={PROBE_UNIT: probe_source(every, units)},
        ast=False,  # the probe's types are read from solc's layout; enums from `compilation`
    )
    probe_layout = probe.contract(f"{PROBE_UNIT}:{PROBE_CONTRACT}").storage_layout
    raw: dict[str, Json] = dict(probe_layout.get("types") or {})
    target_layouts = {}
    for contract, (unit, name) in targets.items():
        target_layouts[contract] = probe.contract(f"{unit}:{name}").storage_layout
        raw.update(target_layouts[contract].get("types") or {})
    names = _qualified_names(raw)
    enums = _enum_values(compilation)
    struct_type = {entry["label"]: entry["type"] for entry in probe_layout["storage"]}
    result: dict[str, Layout] = {}
    for contract, (_, name) in targets.items():
        table = _TypeTable(raw, names, enums)
        storage = tuple(table.member(e) for e in target_layouts[contract].get("storage", []))
        declared: dict[str, list[tuple[NamespacedStruct, tuple[Member, ...]]]] = {}
        for struct in structs[contract]:
            raw_label = struct_type[variable[(struct.unit, struct.struct)]]
            members = tuple(table.member(e) for e in raw[raw_label]["members"])
            declared.setdefault(struct.namespace, []).append((struct, members))
        namespaces = [_namespace(name, ns, decls, table) for ns, decls in declared.items()]
        result[contract] = Layout(
            contract=name,
            storage=storage,
            namespaces=tuple(sorted(namespaces, key=lambda n: n.id)),
            types=dict(sorted(table.types.items())),
        )
    return result


def layout(compilation: Compilation, contract: str) -> Layout:
    """The layout of one contract of ``compilation``."""
    return layouts(compilation, [contract])[contract]


def layouts_of(
    files: Iterable[Path | str], contracts: Iterable[str], *, root: Path | None = None
) -> dict[str, Layout]:
    """Compile ``files`` (no code generation); the layout of each of ``contracts``."""
    return layouts(compile_for_layout(files, root=root), contracts)


def layout_of(file: Path | str, contract: str, *, root: Path | None = None) -> Layout:
    """Compile one file and return the layout of one of its contracts."""
    return layouts_of([file], [contract], root=root)[contract]


def _namespace(
    contract: str,
    namespace: str,
    declarations: Sequence[tuple[NamespacedStruct, tuple[Member, ...]]],
    table: _TypeTable,
) -> Namespace:
    struct, members = declarations[0]  # the most derived declaration
    view = Layout(contract, (), (), table.types)
    for other, other_members in declarations[1:]:
        changes = compare_members(view, view, other_members, members, namespace)
        if changes:
            raise LayoutError(
                f"{contract}: namespace {namespace} is declared by {struct.struct} and "
                f"{other.struct}, which do not agree:\n{format_changes(changes)}"
            )
    return Namespace(namespace, erc7201_slot(namespace), struct.struct, members)


def _doc_text(node: Json) -> str:
    doc = node.get("documentation")
    if isinstance(doc, dict):
        return str(doc.get("text", ""))
    return str(doc or "")


def _qualified_names(raw: Mapping[str, Json]) -> dict[str, str]:
    """AST id -> qualified name (``TransferRules.Config``), from solc's type labels."""
    names: dict[str, str] = {}
    for key, entry in raw.items():
        match = TYPE_WITH_ID.match(key)
        if match is None:
            continue
        label = str(entry.get("label", match[2]))
        for prefix in NAMED_LABEL_PREFIXES:
            label = label.removeprefix(prefix)
        names[match[3]] = label
    return names


def _enum_values(compilation: Compilation) -> dict[str, tuple[str, ...] | None]:
    """Qualified enum name -> its values (None: two different enums have that name)."""
    enums: dict[str, tuple[str, ...] | None] = {}
    for node in compilation.nodes.values():
        if node.get("nodeType") == "EnumDefinition":
            name = str(node["canonicalName"])
            values = tuple(str(m["name"]) for m in node.get("members", []))
            enums[name] = values if enums.get(name, values) == values else None
    return enums


class _TypeTable:
    """Canonical ``TypeInfo`` of the types reachable from the members given to ``member``."""

    def __init__(
        self,
        raw: Mapping[str, Json],
        names: Mapping[str, str],
        enums: Mapping[str, tuple[str, ...] | None],
    ):
        self.raw = raw
        self.names = names
        self.enums = enums
        self.types: dict[str, TypeInfo] = {}
        self._source: dict[str, str] = {}  # canonical label -> solc's label

    def canonical(self, raw_label: str) -> str:
        return TYPE_WITH_ID.sub(
            lambda m: f"t_{m[1]}({self.names.get(m[3], m[2])})",
            raw_label,
        )

    def member(self, entry: Json) -> Member:
        return Member(
            str(entry["label"]), int(entry["slot"]), int(entry["offset"]), self.add(entry["type"])
        )

    def add(self, raw_label: str) -> str:
        label = self.canonical(raw_label)
        seen = self._source.get(label)
        if seen is not None:
            if seen != raw_label and self._shape(seen) != self._shape(raw_label):
                raise LayoutError(
                    f"two different types have the label {label}: give them distinct names"
                )
            return label
        self._source[label] = raw_label
        entry = self.raw[raw_label]
        value = entry.get("value")
        base = entry.get("base")
        kind = TYPE_WITH_ID.match(raw_label)
        self.types[label] = TypeInfo(
            label=label,
            encoding=str(entry["encoding"]),
            number_of_bytes=int(entry["numberOfBytes"]),
            members=tuple(self.member(m) for m in entry.get("members", [])),
            key=self.add(entry["key"]) if "key" in entry else None,
            value=self.add(value) if value is not None else None,
            base=self.add(base) if base is not None else None,
            enum_values=self._enum_values(kind[3]) if kind and kind[1] == "enum" else (),
        )
        return label

    def _enum_values(self, node_id: str) -> tuple[str, ...]:
        name = self.names.get(node_id, "")
        values = self.enums.get(name)
        if values is None:
            raise LayoutError(f"enum {name!r} is ambiguous or unknown: give it a distinct name")
        return values

    def _shape(self, raw_label: str) -> object:
        entry = self.raw[raw_label]
        return (
            entry.get("encoding"),
            entry.get("numberOfBytes"),
            [
                (m["label"], m["slot"], m["offset"], self.canonical(m["type"]))
                for m in entry.get("members", [])
            ],
        )

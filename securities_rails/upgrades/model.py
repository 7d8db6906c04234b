"""The storage layout of a contract, as plain data: what an upgrade must keep.

A ``Layout`` holds the contract's plain state variables (from slot 0) and every ERC-7201 namespace
it uses (root slot from the namespace id), each as an ordered list of ``Member`` (name, slot
relative to the start, byte offset in the slot, type). Types are keyed by a canonical label:
solc's type identifier with the AST ids replaced by qualified names, e.g.
``t_mapping(t_address,t_struct(IInvestorRegistry.Identity)_storage)``, so the same type compiled
twice, or from another set of sources, has the same label. ``to_dict``/``from_dict`` round-trip
through JSON; ``layout_hash`` is a SHA-256 of the canonical JSON without the contract's name.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from eth_utils import keccak

Json = dict[str, Any]
FORMAT = 1


def erc7201_slot(namespace_id: str) -> int:
    """ERC-7201 root slot: keccak256(abi.encode(uint256(keccak256(id)) - 1)) & ~0xff."""
    inner = int.from_bytes(keccak(namespace_id.encode("utf-8")), "big") - 1
    outer = int.from_bytes(keccak(inner.to_bytes(32, "big")), "big")
    return outer & ~0xFF


@dataclass(frozen=True)
class Member:
    """A state variable or struct member: ``slot`` is relative to the start of its container."""

    name: str
    slot: int
    offset: int
    type: str

    def to_dict(self) -> Json:
        return {"name": self.name, "slot": self.slot, "offset": self.offset, "type": self.type}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Member:
        return cls(str(data["name"]), int(data["slot"]), int(data["offset"]), str(data["type"]))


@dataclass(frozen=True)
class TypeInfo:
    """A storage type. ``encoding`` is solc's: inplace, mapping, dynamic_array or bytes."""

    label: str
    encoding: str
    number_of_bytes: int
    members: tuple[Member, ...] = ()  # structs
    key: str | None = None  # mappings
    value: str | None = None  # mappings
    base: str | None = None  # arrays
    enum_values: tuple[str, ...] = ()  # enums

    @property
    def is_struct(self) -> bool:
        return self.label.startswith("t_struct(")

    @property
    def is_enum(self) -> bool:
        return self.label.startswith("t_enum(")

    @property
    def is_static_array(self) -> bool:
        return self.label.startswith("t_array(") and self.encoding == "inplace"

    @property
    def slots(self) -> int:
        return (self.number_of_bytes + 31) // 32

    def to_dict(self) -> Json:
        data: Json = {"encoding": self.encoding, "numberOfBytes": self.number_of_bytes}
        if self.is_struct:
            data["members"] = [m.to_dict() for m in self.members]
        if self.key is not None:
            data["key"] = self.key
            data["value"] = self.value
        if self.base is not None:
            data["base"] = self.base
        if self.is_enum:
            data["values"] = list(self.enum_values)
        return data

    @classmethod
    def from_dict(cls, label: str, data: Mapping[str, Any]) -> TypeInfo:
        return cls(
            label=label,
            encoding=str(data["encoding"]),
            number_of_bytes=int(data["numberOfBytes"]),
            members=tuple(Member.from_dict(m) for m in data.get("members", [])),
            key=data.get("key"),
            value=data.get("value"),
            base=data.get("base"),
            enum_values=tuple(data.get("values", [])),
        )


@dataclass(frozen=True)
class Namespace:
    """An ERC-7201 namespace: ``struct`` is the qualified name of the struct that declares it."""

    id: str
    root: int
    struct: str
    members: tuple[Member, ...]

    def to_dict(self) -> Json:
        return {
            "root": f"0x{self.root:064x}",
            "struct": self.struct,
            "members": [m.to_dict() for m in self.members],
        }

    @classmethod
    def from_dict(cls, namespace_id: str, data: Mapping[str, Any]) -> Namespace:
        root = int(str(data["root"]), 16)
        if root != erc7201_slot(namespace_id):
            raise ValueError(
                f"namespace {namespace_id}: root {data['root']} is not its ERC-7201 slot"
            )
        members = tuple(Member.from_dict(m) for m in data["members"])
        return cls(namespace_id, root, str(data["struct"]), members)


@dataclass(frozen=True)
class Layout:
    """The full storage layout of one contract (see the module docstring)."""

    contract: str
    storage: tuple[Member, ...]
    namespaces: tuple[Namespace, ...]  # sorted by id
    types: Mapping[str, TypeInfo] = field(hash=False)

    def namespace(self, namespace_id: str) -> Namespace | None:
        return next((n for n in self.namespaces if n.id == namespace_id), None)

    @property
    def namespace_ids(self) -> list[str]:
        return [n.id for n in self.namespaces]

    def type(self, label: str) -> TypeInfo:
        try:
            return self.types[label]
        except KeyError:
            raise KeyError(f"layout of {self.contract} has no type {label}") from None

    def to_dict(self) -> Json:
        return {
            "format": FORMAT,
            "contract": self.contract,
            "storage": [m.to_dict() for m in self.storage],
            "namespaces": {n.id: n.to_dict() for n in sorted(self.namespaces, key=_by_id)},
            "types": {label: self.types[label].to_dict() for label in sorted(self.types)},
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Layout:
        if data.get("format") != FORMAT:
            raise ValueError(f"unknown layout format {data.get('format')!r} (expected {FORMAT})")
        namespaces = tuple(
            sorted(
                (Namespace.from_dict(i, n) for i, n in data["namespaces"].items()),
                key=_by_id,
            )
        )
        return cls(
            contract=str(data["contract"]),
            storage=tuple(Member.from_dict(m) for m in data["storage"]),
            namespaces=namespaces,
            types={label: TypeInfo.from_dict(label, t) for label, t in data["types"].items()},
        )

    @classmethod
    def from_json(cls, text: str) -> Layout:
        return cls.from_dict(json.loads(text))

    @property
    def layout_hash(self) -> str:
        """SHA-256 (hex, 0x-prefixed) of the canonical JSON of everything but the contract name."""
        data = self.to_dict()
        del data["contract"]
        text = json.dumps(data, sort_keys=True, separators=(",", ":"))
        return "0x" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def _by_id(namespace: Namespace) -> str:
    return namespace.id

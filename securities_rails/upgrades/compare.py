"""Compare two storage layouts: every change that would misread or orphan data after an upgrade.

Members are matched by name, namespace by namespace (and the plain state variables among
themselves). Reported, each as a ``Change``:

* ``removed``: a member of the old layout is gone (its data is orphaned, or read by whatever now
  sits there); a rename counts as a removal, with a hint in the detail;
* ``moved``: a member's slot or offset changed (reordering, or something before it grew);
* ``retyped``: same place, incompatible type (value types must be equal; ``address`` and contract
  types are interchangeable; enums may only gain values at the end; mapping keys must be equal);
* ``inserted``: a new member before the last of the old members (it takes their place);
* ``resized``: a struct or static array that grew or shrank where its size matters: followed by an
  old member, or as an array element (the stride of every element changes);
* ``namespace-removed``: a namespace id of the old layout is missing in the new one.

Appending members at the end of a namespace, of the plain variables, of a struct that is a
mapping value, or of a struct that is the last member of one of those, is safe and not reported.
Slots are relative to the start of the namespace (or slot 0 for plain variables); under a mapping
(``freezes[address].amount``) or an array (``names[]``) they are relative to the entry.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from securities_rails.upgrades.model import Layout, Member, TypeInfo

Kind = Literal["removed", "retyped", "moved", "inserted", "resized", "namespace-removed"]
KINDS: tuple[Kind, ...] = (
    "removed",
    "retyped",
    "moved",
    "inserted",
    "resized",
    "namespace-removed",
)
ADDRESS_LIKE = ("t_address", "t_address_payable")


@dataclass(frozen=True)
class Change:
    """One unsafe difference. ``namespace`` is None for plain state variables."""

    kind: Kind
    namespace: str | None
    variable: str
    slot: int
    offset: int
    old_type: str | None
    new_type: str | None
    new_slot: int | None = None
    new_offset: int | None = None
    detail: str = ""

    def __str__(self) -> str:
        return format_change(self)


def compare(old: Layout, new: Layout) -> list[Change]:
    """Every unsafe change from ``old`` to ``new`` (empty: the new layout keeps all the data)."""
    changes = _Diff(old, new, None).members(old.storage, new.storage, "", 0, growable=True)
    for namespace in old.namespaces:
        target = new.namespace(namespace.id)
        if target is None:
            changes.append(_namespace_removed(old, new, namespace.id))
            continue
        diff = _Diff(old, new, namespace.id)
        changes += diff.members(namespace.members, target.members, "", 0, growable=True)
    return changes


def compare_members(
    old: Layout,
    new: Layout,
    old_members: Sequence[Member],
    new_members: Sequence[Member],
    namespace: str | None = None,
) -> list[Change]:
    """Compare two member lists at the root of a namespace (types looked up in each layout)."""
    return _Diff(old, new, namespace).members(old_members, new_members, "", 0, growable=True)


def format_change(change: Change) -> str:
    """One line: ``N: `limits.holdingCap` slot 1 offset 16 t_uint128 -> t_uint64 (retyped)``."""
    where = f"namespace {change.namespace}" if change.namespace is not None else "storage"
    if change.kind == "namespace-removed":
        line = f"{where}: `{change.variable}` root 0x{change.slot:064x} (namespace-removed)"
        return f"{line}: {change.detail}" if change.detail else line
    position = f"slot {change.slot} offset {change.offset}"
    if change.new_slot is not None:
        position += f" -> slot {change.new_slot} offset {change.new_offset}"
    if change.old_type == change.new_type:
        types = str(change.old_type)
    else:
        types = f"{change.old_type or '(none)'} -> {change.new_type or '(none)'}"
    line = f"{where}: `{change.variable}` {position} {types} ({change.kind})"
    return f"{line}: {change.detail}" if change.detail else line


def format_changes(changes: Iterable[Change]) -> str:
    """One line per change (see ``format_change``)."""
    return "\n".join(format_change(c) for c in changes)


def _namespace_removed(old: Layout, new: Layout, namespace_id: str) -> Change:
    namespace = old.namespace(namespace_id)
    assert namespace is not None
    detail = f"{len(namespace.members)} member(s) left behind at its root"
    struct_name = namespace.struct.rpartition(".")[2]
    candidates = [
        n.id
        for n in new.namespaces
        if old.namespace(n.id) is None and n.struct.rpartition(".")[2] == struct_name
    ]
    if candidates:
        detail += f"; renamed to {', '.join(candidates)}? a new id is a new, empty root"
    return Change(
        kind="namespace-removed",
        namespace=namespace_id,
        variable=namespace.struct,
        slot=namespace.root,
        offset=0,
        old_type=f"t_struct({namespace.struct})_storage",
        new_type=None,
        detail=detail,
    )


def _category(info: TypeInfo) -> str:
    if info.encoding != "inplace":
        return info.encoding  # mapping, dynamic_array, bytes
    if info.is_struct:
        return "struct"
    if info.is_static_array:
        return "static_array"
    if info.is_enum:
        return "enum"
    if info.label in ADDRESS_LIKE or info.label.startswith("t_contract("):
        return "address"
    return "value"


def _key_name(label: str) -> str:
    """`address` for t_address, `uint96` for t_uint96, `Name` for t_contract(Name) and the like."""
    if "(" in label:
        return label[label.index("(") + 1 : label.index(")")]
    return label.removeprefix("t_").removesuffix("_storage").removesuffix("_memory_ptr")


class _Diff:
    """The comparison of one namespace (or of the plain variables) of two layouts."""

    def __init__(self, old: Layout, new: Layout, namespace: str | None) -> None:
        self.old = old
        self.new = new
        self.namespace = namespace
        self.changes: list[Change] = []
        self._visiting: set[tuple[str, str, bool]] = set()

    def add(
        self,
        kind: Kind,
        variable: str,
        slot: int,
        offset: int,
        old_type: str | None,
        new_type: str | None,
        *,
        new_slot: int | None = None,
        new_offset: int | None = None,
        detail: str = "",
    ) -> None:
        self.changes.append(
            Change(
                kind,
                self.namespace,
                variable,
                slot,
                offset,
                old_type,
                new_type,
                new_slot,
                new_offset,
                detail,
            )
        )

    def members(
        self,
        old_members: Sequence[Member],
        new_members: Sequence[Member],
        prefix: str,
        base: int,
        *,
        growable: bool,
    ) -> list[Change]:
        """Compare two member lists; ``growable``: members may be appended after the last one."""
        by_name = {m.name: m for m in new_members}
        old_names = {m.name for m in old_members}
        kept = [m for m in old_members if m.name in by_name]
        last_kept = kept[-1].name if kept else None
        fresh = [m for m in new_members if m.name not in old_names]
        for member in old_members:
            path = prefix + member.name
            match = by_name.get(member.name)
            if match is None:
                same_place = [
                    f"`{prefix}{m.name}`"
                    for m in fresh
                    if (m.slot, m.offset, m.type) == (member.slot, member.offset, member.type)
                ]
                detail = (
                    f"{same_place[0]} of the same type took its place (a rename?)"
                    if same_place
                    else ""
                )
                self.add(
                    "removed",
                    path,
                    base + member.slot,
                    member.offset,
                    member.type,
                    None,
                    detail=detail,
                )
                continue
            if (member.slot, member.offset) != (match.slot, match.offset):
                self.add(
                    "moved",
                    path,
                    base + member.slot,
                    member.offset,
                    member.type,
                    match.type,
                    new_slot=base + match.slot,
                    new_offset=match.offset,
                )
            tail = growable and member.name == last_kept
            self.types(member.type, match.type, path, base + member.slot, member.offset, tail)
        kept_positions = [i for i, m in enumerate(new_members) if m.name in old_names]
        for index, member in enumerate(new_members):
            following = [new_members[i].name for i in kept_positions if i > index]
            if member.name not in old_names and following:
                self.add(
                    "inserted",
                    prefix + member.name,
                    base + member.slot,
                    member.offset,
                    None,
                    member.type,
                    detail=f"before `{prefix}{following[0]}`",
                )
        return self.changes

    def types(
        self, old_label: str, new_label: str, path: str, slot: int, offset: int, growable: bool
    ) -> None:
        """Compare the types of one member; ``growable``: nothing old follows it."""
        key = (old_label, new_label, growable)
        if key in self._visiting:  # a recursive struct (through a mapping): compared once
            return
        self._visiting.add(key)
        try:
            self._types(old_label, new_label, path, slot, offset, growable)
        finally:
            self._visiting.discard(key)

    def _types(
        self, old_label: str, new_label: str, path: str, slot: int, offset: int, growable: bool
    ) -> None:
        old, new = self.old.type(old_label), self.new.type(new_label)
        category = _category(old)
        if category != _category(new):
            self.add("retyped", path, slot, offset, old_label, new_label)
            return
        if category == "struct":
            if not growable and old.number_of_bytes != new.number_of_bytes:
                self.add(
                    "resized",
                    path,
                    slot,
                    offset,
                    old_label,
                    new_label,
                    detail=self._resized(old, new, path),
                )
            self.members(old.members, new.members, path + ".", slot, growable=growable)
        elif category == "static_array":
            assert old.base is not None and new.base is not None
            if old.number_of_bytes != new.number_of_bytes and (
                not growable or new.number_of_bytes < old.number_of_bytes
            ):
                self.add(
                    "resized",
                    path,
                    slot,
                    offset,
                    old_label,
                    new_label,
                    detail=self._resized(old, new, path),
                )
            self.types(old.base, new.base, path + "[]", slot, 0, growable=False)
        elif category == "dynamic_array":
            assert old.base is not None and new.base is not None
            self.types(old.base, new.base, path + "[]", 0, 0, growable=False)
        elif category == "mapping":
            assert old.key is not None and new.key is not None
            assert old.value is not None and new.value is not None
            if not _same_value_type(self.old.type(old.key), self.new.type(new.key)):
                self.add(
                    "retyped",
                    path,
                    slot,
                    offset,
                    old_label,
                    new_label,
                    detail=f"mapping key {old.key} -> {new.key}",
                )
                return
            self.types(old.value, new.value, f"{path}[{_key_name(old.key)}]", 0, 0, growable=True)
        elif category == "enum":
            values_kept = new.enum_values[: len(old.enum_values)] == old.enum_values
            if old.number_of_bytes != new.number_of_bytes or not values_kept:
                detail = (
                    f"enum values {', '.join(old.enum_values)} -> {', '.join(new.enum_values)}"
                    " (values may only be added at the end)"
                )
                self.add("retyped", path, slot, offset, old_label, new_label, detail=detail)
        elif category == "address":
            pass  # address, address payable and contract types are stored alike
        elif old_label != new_label or old.number_of_bytes != new.number_of_bytes:
            self.add("retyped", path, slot, offset, old_label, new_label)

    @staticmethod
    def _resized(old: TypeInfo, new: TypeInfo, path: str) -> str:
        size = f"{old.number_of_bytes} -> {new.number_of_bytes} bytes"
        if path.endswith("[]"):
            return f"{size}: as an array element, every element after the first moves"
        return f"{size}: shifts the members after it"


def _same_value_type(old: TypeInfo, new: TypeInfo) -> bool:
    if _category(old) == _category(new) == "address":
        return True
    return old.label == new.label and old.number_of_bytes == new.number_of_bytes

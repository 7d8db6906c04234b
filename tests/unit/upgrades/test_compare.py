"""compare(): compatible upgrades pass; each incompatible one is refused with a precise diff."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from unit.upgrades.cases import COMPATIBLE, INCOMPATIBLE, PROJECT, UPGRADES

from securities_rails.upgrades import (
    Change,
    Layout,
    Member,
    Namespace,
    TypeInfo,
    compare,
    erc7201_slot,
    format_change,
    format_changes,
)

# ------------------------------------------------------------------ compiled fixtures


@pytest.mark.parametrize("contract", PROJECT)
def test_a_layout_is_compatible_with_itself(all_layouts: dict[str, Layout], contract: str):
    assert compare(all_layouts[contract], all_layouts[contract]) == []


@pytest.mark.parametrize(("new", "old"), sorted({**UPGRADES, **COMPATIBLE}.items()))
def test_compatible_upgrades_pass(all_layouts: dict[str, Layout], new: str, old: str):
    assert compare(all_layouts[old], all_layouts[new]) == []


@pytest.mark.parametrize("variant", sorted(INCOMPATIBLE))
def test_each_incompatible_variant_is_refused_with_its_diff(
    all_layouts: dict[str, Layout], variant: str
):
    old, expected = INCOMPATIBLE[variant]
    changes = compare(all_layouts[old], all_layouts[variant])
    assert format_changes(changes).splitlines() == expected


def test_a_retyped_member_names_namespace_variable_slot_offset_and_types(
    all_layouts: dict[str, Layout],
):
    (change,) = compare(all_layouts["SecurityToken"], all_layouts["RulesHoldingCapRetyped"])
    assert change == Change(
        kind="retyped",
        namespace="securities-rails.storage.TransferRules",
        variable="limits.holdingCap",
        slot=1,
        offset=16,
        old_type="t_uint128",
        new_type="t_uint64",
    )
    assert (
        str(change)
        == format_change(change)
        == (
            "namespace securities-rails.storage.TransferRules: `limits.holdingCap` "
            "slot 1 offset 16 t_uint128 -> t_uint64 (retyped)"
        )
    )


def test_going_back_from_v2_loses_what_v2_added(all_layouts: dict[str, Layout]):
    token = compare(all_layouts["SecurityTokenV2"], all_layouts["SecurityToken"])
    assert [(c.kind, c.namespace) for c in token] == [
        ("namespace-removed", "securities-rails.storage.SecurityTokenV2")
    ]
    registry = compare(all_layouts["InvestorRegistryV2"], all_layouts["InvestorRegistry"])
    assert [(c.kind, c.variable, c.slot, c.old_type) for c in registry] == [
        ("removed", "memo", 3, "t_string_storage")
    ]


def test_a_stored_layout_compares_like_a_compiled_one(all_layouts: dict[str, Layout]):
    stored = Layout.from_json(all_layouts["InvestorRegistry"].to_json())
    assert compare(stored, all_layouts["InvestorRegistryV2"]) == []
    assert compare(stored, all_layouts["RegistryMemberRemoved"]) == compare(
        all_layouts["InvestorRegistry"], all_layouts["RegistryMemberRemoved"]
    )


# ------------------------------------------------------------------ synthetic layouts

NS = "test.storage.Main"
SIZES = {"t_bool": 1, "t_uint8": 1, "t_uint16": 2, "t_uint64": 8, "t_uint128": 16}
SIZES |= {"t_address": 20, "t_uint256": 32, "t_bytes32": 32}
VALUE_TYPES = {label: TypeInfo(label, "inplace", size) for label, size in SIZES.items()}


def pack(fields: list[tuple[str, str]], types: dict[str, TypeInfo]) -> tuple[Member, ...]:
    """Lay out fields as solc does: in order, packed, each struct/mapping/array on new slots."""
    members, slot, offset = [], 0, 0
    for name, label in fields:
        info = types[label]
        whole = info.encoding != "inplace" or info.is_struct or info.number_of_bytes == 32
        if offset and (whole or offset + info.number_of_bytes > 32):
            slot, offset = slot + 1, 0
        members.append(Member(name, slot, offset, label))
        if whole:
            slot, offset = slot + info.slots, 0
        else:
            offset += info.number_of_bytes
    return tuple(members)


def struct(label: str, fields: list[tuple[str, str]], types: dict[str, TypeInfo]) -> TypeInfo:
    members = pack(fields, types)
    last = members[-1] if members else None
    used = 0 if last is None else last.slot * 32 + last.offset + types[last.type].number_of_bytes
    return TypeInfo(label, "inplace", max(32, (used + 31) // 32 * 32), members)


def mapping(key: str, value: str) -> TypeInfo:
    return TypeInfo(f"t_mapping({key},{value})", "mapping", 32, key=key, value=value)


def make(fields: list[tuple[str, str]], extra: list[TypeInfo] = (), plain=()) -> Layout:
    types = dict(VALUE_TYPES)
    for info in extra:
        types[info.label] = info
    namespace = Namespace(NS, erc7201_slot(NS), "Main.S", pack(fields, types))
    return Layout("Main", pack(list(plain), types), (namespace,), types)


ITEM = [("a", "t_uint128"), ("b", "t_uint128")]
ITEM_GROWN = [*ITEM, ("c", "t_uint256")]


def item_types(fields: list[tuple[str, str]]) -> list[TypeInfo]:
    base = dict(VALUE_TYPES)
    item = struct("t_struct(Item)_storage", fields, base)
    base[item.label] = item
    return [
        item,
        TypeInfo(
            "t_array(t_struct(Item)_storage)dyn_storage", "dynamic_array", 32, base=item.label
        ),
        mapping("t_address", item.label),
    ]


def test_appending_to_a_struct_in_a_mapping_is_safe_but_not_in_an_array():
    by_address = "t_mapping(t_address,t_struct(Item)_storage)"
    listed = "t_array(t_struct(Item)_storage)dyn_storage"
    old = make([("byAddress", by_address), ("list", listed)], item_types(ITEM))
    new = make([("byAddress", by_address), ("list", listed)], item_types(ITEM_GROWN))
    assert format_changes(compare(old, new)).splitlines() == [
        f"namespace {NS}: `list[]` slot 0 offset 0 t_struct(Item)_storage (resized): 32 -> 64 "
        "bytes: as an array element, every element after the first moves"
    ]


def test_a_struct_held_last_may_grow_but_not_one_followed_by_another_member():
    old_last = make([("n", "t_uint256"), ("item", "t_struct(Item)_storage")], item_types(ITEM))
    new_last = make(
        [("n", "t_uint256"), ("item", "t_struct(Item)_storage")], item_types(ITEM_GROWN)
    )
    assert compare(old_last, new_last) == []
    old = make([("item", "t_struct(Item)_storage"), ("n", "t_uint256")], item_types(ITEM))
    new = make([("item", "t_struct(Item)_storage"), ("n", "t_uint256")], item_types(ITEM_GROWN))
    assert [(c.kind, c.variable, c.slot, c.new_slot) for c in compare(old, new)] == [
        ("resized", "item", 0, None),
        ("moved", "n", 1, 2),
    ]


def test_a_member_inserted_inside_a_mapping_value_is_reported_at_its_path():
    by_address = "t_mapping(t_address,t_struct(Item)_storage)"
    old = make([("byAddress", by_address)], item_types(ITEM))
    new = make([("byAddress", by_address)], item_types([ITEM[0], ("x", "t_uint8"), ITEM[1]]))
    changes = compare(old, new)
    assert [(c.kind, c.variable, c.slot, c.offset) for c in changes] == [
        ("moved", "byAddress[address].b", 0, 16),
        ("inserted", "byAddress[address].x", 0, 16),
    ]


def test_a_mapping_key_change_is_a_retype():
    old = make([("m", "t_mapping(t_uint64,t_uint256)")], [mapping("t_uint64", "t_uint256")])
    new = make([("m", "t_mapping(t_uint128,t_uint256)")], [mapping("t_uint128", "t_uint256")])
    (change,) = compare(old, new)
    assert (change.kind, change.detail) == ("retyped", "mapping key t_uint64 -> t_uint128")


def test_address_and_contract_types_are_interchangeable():
    registry = TypeInfo("t_contract(IRegistry)", "inplace", 20)
    assert compare(make([("r", "t_address")]), make([("r", registry.label)], [registry])) == []


def test_enums_may_only_grow_at_the_end():
    def with_enum(values: tuple[str, ...]) -> Layout:
        return make([("k", "t_enum(K)")], [TypeInfo("t_enum(K)", "inplace", 1, enum_values=values)])

    assert compare(with_enum(("A", "B")), with_enum(("A", "B", "C"))) == []
    (change,) = compare(with_enum(("A", "B")), with_enum(("B", "A")))
    assert change.kind == "retyped"
    assert "enum values A, B -> B, A" in change.detail


def test_a_shrunk_static_array_is_reported_even_at_the_end():
    def with_array(length: int) -> Layout:
        array = TypeInfo(
            f"t_array(t_uint256){length}_storage", "inplace", 32 * length, base="t_uint256"
        )
        return make([("n", "t_uint256"), ("gap", array.label)], [array])

    assert compare(with_array(3), with_array(5)) == []  # grows at the end: safe
    (change,) = compare(with_array(5), with_array(3))
    assert (change.kind, change.variable) == ("resized", "gap")


def test_a_rename_is_reported_as_a_removal_with_a_hint():
    changes = compare(make([("a", "t_uint256")]), make([("b", "t_uint256")]))
    assert [(c.kind, c.variable) for c in changes] == [("removed", "a")]
    assert "`b` of the same type took its place (a rename?)" in changes[0].detail


def test_plain_state_variables_are_compared_too():
    old = make([], plain=[("owner", "t_address"), ("count", "t_uint256")])
    new = make([], plain=[("count", "t_uint256"), ("owner", "t_address")])
    lines = format_changes(compare(old, new)).splitlines()
    assert lines[0] == "storage: `owner` slot 0 offset 0 -> slot 1 offset 0 t_address (moved)"
    appended = make([], plain=[("owner", "t_address"), ("count", "t_uint256"), ("x", "t_bool")])
    assert compare(old, appended) == []


def test_a_recursive_struct_does_not_loop():
    node = "t_struct(Node)_storage"
    children = "t_mapping(t_uint256,t_struct(Node)_storage)"
    types = dict(VALUE_TYPES)
    types[children] = mapping("t_uint256", node)
    types[node] = struct(node, [("value", "t_uint256"), ("children", children)], types)
    old = make([("root", node)], [types[children], types[node]])
    assert compare(old, old) == []


# ------------------------------------------------------------------ properties

field_names = st.lists(st.sampled_from("abcdefghijklmnop"), min_size=1, max_size=10, unique=True)


@st.composite
def field_lists(draw: st.DrawFn) -> list[tuple[str, str]]:
    names = draw(field_names)
    return [(name, draw(st.sampled_from(sorted(SIZES)))) for name in names]


@given(field_lists(), st.lists(st.sampled_from(sorted(SIZES)), max_size=4))
def test_appending_at_the_end_of_a_namespace_is_always_safe(fields, appended):
    extra = [(f"new{i}", label) for i, label in enumerate(appended)]
    assert compare(make(fields), make(fields + extra)) == []


@given(field_lists(), st.data())
def test_removing_any_member_is_always_reported(fields, data):
    gone = data.draw(st.sampled_from(fields))
    kept = [f for f in fields if f != gone]
    changes = compare(make(fields), make(kept))
    assert ("removed", gone[0]) in [(c.kind, c.variable) for c in changes]


@given(field_lists(), st.data())
def test_inserting_before_the_last_member_is_always_reported(fields, data):
    index = data.draw(st.integers(0, len(fields) - 1))
    new = [*fields[:index], ("inserted", "t_uint8"), *fields[index:]]
    changes = compare(make(fields), make(new))
    assert ("inserted", "inserted") in [(c.kind, c.variable) for c in changes]


@given(field_lists(), st.permutations(range(10)))
def test_any_reordering_that_moves_data_is_reported(fields, order):
    shuffled = [fields[i] for i in order if i < len(fields)]
    old, new = make(fields), make(shuffled)
    position = {m.name: (m.slot, m.offset, m.type) for m in new.namespaces[0].members}
    same = all(position[m.name] == (m.slot, m.offset, m.type) for m in old.namespaces[0].members)
    assert (compare(old, new) == []) == same

"""Gas cannot grow silently: every benchmarked operation stays within 2% of its snapshot.

The snapshot is bench/results/gas.json, written by `make bench` and committed; a deliberate
change re-runs `make bench` and commits the new figures with it. Gas is deterministic, so this
compares exact figures; the 2% allowance covers only calldata that differs with the addresses a
fresh chain assigns.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SNAPSHOT = ROOT / "bench" / "results" / "gas.json"
ALLOWANCE = 0.02


def _bench() -> Any:
    spec = importlib.util.spec_from_file_location("bench_gas", ROOT / "bench" / "gas.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def measured() -> dict[str, int]:
    return _bench().measure()


def regressions(measured: dict[str, int], snapshot: dict[str, int]) -> list[str]:
    """Each operation more than ALLOWANCE above its snapshot, or missing from it."""
    problems = []
    for name, gas in sorted(measured.items()):
        if name not in snapshot:
            problems.append(f"{name}: {gas} gas has no snapshot (run `make bench`, commit it)")
        elif gas > snapshot[name] * (1 + ALLOWANCE):
            rise = 100 * (gas - snapshot[name]) / snapshot[name]
            problems.append(f"{name}: {gas} gas is {rise:.1f}% above its snapshot {snapshot[name]}")
    return problems


def test_no_operation_costs_more_than_two_percent_above_its_snapshot(measured):
    snapshot = json.loads(SNAPSHOT.read_text())
    assert regressions(measured, snapshot) == []


def test_the_gate_names_an_operation_that_grew_and_one_never_snapshotted():
    snapshot = {"mint": 100_000, "burn": 50_000}
    measured = {"mint": 102_000, "burn": 51_001, "freeze": 10}
    assert regressions(measured, snapshot) == [
        "burn: 51001 gas is 2.0% above its snapshot 50000",
        "freeze: 10 gas has no snapshot (run `make bench`, commit it)",
    ]

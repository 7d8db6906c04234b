"""Fixtures of the upgrade tests: compiles (no chain), and a populated suite on the chain.

solc-js takes seconds per compile, so the session compiles once: the project contracts and every
fixture in one standard-JSON run, then one probe compile for all their layouts. The two other
compiles the tests need (InvestorRegistry alone, for the hash stability test; the probe of a
refused redeclaration) run in a background thread, side by side with those.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from unit.upgrades.cases import LAYOUT_CONTRACTS, ROOT, SOURCES
from unit.upgrades.world import World, build_world

from securities_rails.deployments import DeploymentRecord
from securities_rails.suite import load_record
from securities_rails.upgrades import (
    Compilation,
    Layout,
    compile_for_layout,
    layout,
    layouts,
    layouts_of,
)


@pytest.fixture(scope="session")
def background() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="solc") as pool:
        yield pool


@pytest.fixture(scope="session")
def registry_compiled_alone(background: ThreadPoolExecutor) -> Future[dict[str, Layout]]:
    """InvestorRegistry's layout from a compile of its own file only (other AST ids)."""
    sources = ["contracts/registry/InvestorRegistry.sol"]
    return background.submit(layouts_of, sources, ["InvestorRegistry"], root=ROOT)


@pytest.fixture(scope="session")
def compilation(registry_compiled_alone: Future[dict[str, Layout]]) -> Compilation:
    return compile_for_layout(SOURCES, root=ROOT)


@pytest.fixture(scope="session")
def redeclared_badly(background: ThreadPoolExecutor, compilation: Compilation) -> Future[Layout]:
    return background.submit(layout, compilation, "RegistryRedeclaredBadly")


@pytest.fixture(scope="session")
def all_layouts(compilation: Compilation, redeclared_badly: Future[Layout]) -> dict[str, Layout]:
    return layouts(compilation, LAYOUT_CONTRACTS)


@pytest.fixture(scope="module")
def pristine(accounts: Any, chain: Any, tmp_path_factory: Any) -> World:
    """A suite of the module's own, populated (``world.py``); the chain is reverted by ape after
    each test, but not the deployment record: use ``world``."""
    directory = tmp_path_factory.mktemp("upgrades")
    return build_world(accounts, chain, str(directory), load_record(str(directory)))


@pytest.fixture
def world(pristine: World, tmp_path: Path) -> World:
    """The module's world with a fresh copy of its deployment record."""
    shutil.copy(pristine.record.path, tmp_path / pristine.record.path.name)
    record = DeploymentRecord.load(pristine.record.chain_id, tmp_path)
    suite = replace(pristine.suite, record=record)
    return replace(pristine, suite=suite, tokens=dict(pristine.tokens))

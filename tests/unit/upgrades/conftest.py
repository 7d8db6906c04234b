"""Session fixtures of the upgrade tests (no chain).

solc-js takes seconds per compile, so the session compiles once: the project contracts and every
fixture in one standard-JSON run, then one probe compile for all their layouts. The two other
compiles the tests need (InvestorRegistry alone, for the hash stability test; the probe of a
refused redeclaration) run in a background thread, side by side with those.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor

import pytest
from unit.upgrades.cases import LAYOUT_CONTRACTS, ROOT, SOURCES

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

"""Fixtures for the bridge processes' unit tests: store URLs (every store test runs on SQLite
and on PostgreSQL, the server of tests/conftest.py), and the in-memory two-chain bridge."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from bridge_fakes import FakeBridge

from securities_rails.bridge.metrics import Metrics
from securities_rails.bridge.store import Store


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: Any, tmp_path: Path) -> str:
    """A fresh, empty database: a SQLite file, or a new database on the PostgreSQL server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'bridge.sqlite3'}"
    return str(request.getfixturevalue("postgres_database"))


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    opened = Store(store_url)
    yield opened
    opened.close()


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    """A SQLite store: for the process tests, which do not depend on the database."""
    opened = Store(f"sqlite:///{tmp_path / 'bridge.sqlite3'}")
    yield opened
    opened.close()


@pytest.fixture
def fake_bridge() -> FakeBridge:
    return FakeBridge()


@pytest.fixture
def metrics() -> Metrics:
    return Metrics("test")

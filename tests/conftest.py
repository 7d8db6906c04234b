"""Fixtures shared by every pytest suite: accounts, a deployed suite, an instrument with holders.

ape's test plugin starts an Anvil for the session (make sets APE_FOUNDRY_HOST=auto, so it never
touches the chain `make node` keeps) and isolates each test with a snapshot.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import ape.utils.testing
import pytest
from hypothesis import HealthCheck, settings
from suite_data import FRANCE, GERMANY, USA, YEAR, instrument_data

from securities_rails.chain.anvil import free_port
from securities_rails.identifiers import investor_id_hash
from securities_rails.suite import (
    Suite,
    SuiteRoles,
    create_instrument,
    deploy_suite,
    load_record,
)

# ape-foundry prints a call trace for every revert, and building it derives the ten test
# accounts from the mnemonic again each time (about 0.5 s per expected revert). The derivation is
# a pure function of its arguments: cache it. (ape 0.8.51, pinned.)
ape.utils.testing._generate_dev_account = functools.lru_cache(maxsize=None)(
    ape.utils.testing._generate_dev_account
)

# Property and stateful tests: `make test` runs the "default" profile, `make fuzz` the long one.
settings.register_profile(
    "default",
    max_examples=25,
    stateful_step_count=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.register_profile(
    "fuzz", parent=settings.get_profile("default"), max_examples=1000, stateful_step_count=50
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


# Stateful flows that send thousands of transactions to the session's Anvil. They run last: Anvil
# keeps fewer historical states in memory once it holds that many (every transaction is traced
# step by step for ape), and tests that trace earlier transactions (the upgrade flow reads every
# slot written since its world was built) need those states.
RUN_LAST = ("tests/e2e/test_dvp_conservation_flow.py",)
# Tests that trace transactions (debug_traceTransaction): the upgrade flow reads every slot its
# world wrote. They run first, while the session's Anvil still keeps every state in memory; after
# the thousands of transactions of the rest of the session it keeps too few to trace a world
# of a few hundred blocks ("Resource not found").
RUN_FIRST = ("tests/unit/upgrades/",)


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    first = [item for item in items if item.nodeid.startswith(RUN_FIRST)]
    last = [item for item in items if item.nodeid.startswith(RUN_LAST)]
    middle = [item for item in items if not item.nodeid.startswith(RUN_FIRST + RUN_LAST)]
    items[:] = first + middle + last


@pytest.fixture(scope="session")
def admin(accounts: Any) -> Any:
    return accounts[0]


@pytest.fixture(scope="session")
def issuer(accounts: Any) -> Any:
    return accounts[1]


@pytest.fixture(scope="session")
def registrar(accounts: Any) -> Any:
    return accounts[2]


@pytest.fixture(scope="session")
def enforcer(accounts: Any) -> Any:
    return accounts[3]


@pytest.fixture(scope="session")
def pauser(accounts: Any) -> Any:
    return accounts[4]


@pytest.fixture(scope="session")
def upgrader(accounts: Any) -> Any:
    return accounts[5]


@pytest.fixture(scope="session")
def alice(accounts: Any) -> Any:
    return accounts[6]


@pytest.fixture(scope="session")
def bob(accounts: Any) -> Any:
    return accounts[7]


@pytest.fixture(scope="session")
def carol(accounts: Any) -> Any:
    return accounts[8]


@pytest.fixture(scope="session")
def outsider(accounts: Any) -> Any:
    """An account that holds no role and is not registered."""
    return accounts[9]


@pytest.fixture(scope="session")
def suite(admin: Any, registrar: Any, upgrader: Any, tmp_path_factory: Any) -> Suite:
    record = load_record(str(tmp_path_factory.mktemp("deployments")))
    roles = SuiteRoles(
        admin=admin.address,
        registrar=registrar.address,
        creator=admin.address,
        upgrader=upgrader.address,
    )
    return deploy_suite(admin, roles, record=record)


@pytest.fixture(scope="session")
def registry(suite: Suite) -> Any:
    return suite.registry


@pytest.fixture(scope="session")
def now(chain: Any) -> int:
    return int(chain.pending_timestamp)


@pytest.fixture(scope="session")
def token(
    suite: Suite, admin: Any, issuer: Any, registrar: Any, enforcer: Any, pauser: Any, upgrader: Any
) -> Any:
    roles = (
        admin.address,
        issuer.address,
        registrar.address,
        enforcer.address,
        pauser.address,
        upgrader.address,
    )
    return create_instrument(
        suite, admin, "Example AG ordinary shares", "EXAG", instrument_data(), roles
    )


@pytest.fixture(scope="session")
def register(registry: Any, registrar: Any, now: int) -> Callable[..., Any]:
    """Register a wallet: register(wallet, "investor id", country=GERMANY, category=1)."""

    def _register(
        wallet: Any,
        investor_id: str | None = None,
        country: int = GERMANY,
        category: int = 1,
        expiry: int | None = None,
    ) -> Any:
        ident = investor_id or f"investor-{wallet.address}"
        return registry.registerInvestor(
            wallet,
            investor_id_hash(ident),
            country,
            category,
            expiry or now + 10 * YEAR,
            sender=registrar,
        )

    return _register


@pytest.fixture
def holders(
    token: Any, issuer: Any, register: Callable[..., Any], alice: Any, bob: Any, carol: Any
) -> Any:
    """alice (DE) and bob (FR) registered and holding 1,000 each; carol (US) registered, empty.

    Function-scoped: each test gets this state afresh and ape reverts it afterwards, so tests
    that do not ask for it never see it.
    """
    register(alice, "alice", GERMANY)
    register(bob, "bob", FRANCE, category=2)
    register(carol, "carol", USA, category=3)
    token.mint(alice, 1000, sender=issuer)
    token.mint(bob, 1000, sender=issuer)
    return token


# ---------------------------------------------------------------------- two chains, one bridge


@pytest.fixture(scope="session")
def bridge_world(tmp_path_factory: Any) -> Iterator[Any]:
    """Two Anvils of their own with the bridged instrument deployed (see tests/bridge_world.py);
    stopped at the end of the session."""
    import bridge_world as world_module

    world = world_module.build(tmp_path_factory.mktemp("bridge"))
    world.snapshot()
    try:
        yield world
    finally:
        world.home.stop()
        world.remote.stop()


@pytest.fixture
def bridge(bridge_world: Any) -> Iterator[Any]:
    """The bridge world, rolled back on both chains after the test."""
    yield bridge_world
    bridge_world.revert()


# ---------------------------------------------------------------------- PostgreSQL


PG_BIN = Path(os.environ.get("SECURITIES_RAILS_PG_BIN", "/usr/lib/postgresql/15/bin"))


def _as_postgres(*command: str, log: Path | None = None) -> None:
    """Run a PostgreSQL tool as the postgres user (the server refuses to run as root)."""
    args = ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else list(command)
    result = subprocess.run(args, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        detail = log.read_text() if log is not None and log.exists() else result.stderr
        raise RuntimeError(f"{command[0]} failed: {result.stderr}\n{detail}")


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A throwaway PostgreSQL 15 server on a Unix socket (no TCP), stopped at the end."""
    if not (PG_BIN / "pg_ctl").exists():
        raise RuntimeError(f"PostgreSQL binaries not found in {PG_BIN}")
    base = Path(tempfile.mkdtemp(prefix="rails-pg-"))
    data, log = base / "data", base / "server.log"
    if os.geteuid() == 0:
        shutil.chown(base, "postgres", "postgres")
    port = free_port()
    _as_postgres(str(PG_BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "rails")
    options = f"-p {port} -k {base} -c listen_addresses='' -c fsync=off"
    _as_postgres(
        str(PG_BIN / "pg_ctl"),
        "-D",
        str(data),
        "-o",
        options,
        "-l",
        str(log),
        "-w",
        "start",
        log=log,
    )
    try:
        yield f"postgresql+psycopg://rails@/postgres?host={base}&port={port}"
    finally:
        _as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: Any, tmp_path: Path) -> str:
    """A fresh, empty database, once on each engine a register or bridge store runs on: a SQLite
    file, then a new database on the session's PostgreSQL server (skipped, saying why, when
    PostgreSQL is not installed; the SQLite run covers the same test)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'database.sqlite3'}"
    if not (PG_BIN / "pg_ctl").exists():
        pytest.skip(
            f"PostgreSQL is not installed: no pg_ctl in {PG_BIN} (install postgresql-15 or set "
            "SECURITIES_RAILS_PG_BIN); the SQLite run covers the same test"
        )
    return str(request.getfixturevalue("postgres_database"))


_databases = iter(range(1_000_000))


@pytest.fixture
def postgres_database(postgres_url: str) -> str:
    """The URL of a new, empty database on the session's PostgreSQL server."""
    import psycopg

    name = f"test_{os.getpid()}_{next(_databases)}"
    host = postgres_url.split("host=")[1].split("&")[0]
    port = postgres_url.split("port=")[1]
    with psycopg.connect(
        host=host, port=port, user="rails", dbname="postgres", autocommit=True
    ) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return postgres_url.replace("/postgres?", f"/{name}?")

"""Fixtures shared by every pytest suite: accounts, a deployed suite, an instrument with holders.

ape's test plugin starts an Anvil for the session (make sets APE_FOUNDRY_HOST=auto, so it never
touches the chain `make node` keeps) and isolates each test with a snapshot.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import Any

import ape.utils.testing
import pytest
from hypothesis import HealthCheck, settings
from suite_data import FRANCE, GERMANY, USA, YEAR, instrument_data

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

"""Fixtures shared by every pytest suite: accounts, a deployed suite, an instrument with holders.

ape's test plugin starts an Anvil for the session (make sets APE_FOUNDRY_HOST=auto, so it never
touches the chain `make node` keeps) and isolates each test with a snapshot.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from securities_rails.chain.deploy import (
    Suite,
    SuiteRoles,
    create_instrument,
    deploy_suite,
    load_record,
)
from securities_rails.identifiers import investor_id_hash

ISIN = "US0378331005"
LEI = "5493001KJTIIGC8Y1R12"
GERMANY, FRANCE, USA = 276, 250, 840
YEAR = 365 * 24 * 3600


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


def instrument_data(
    isin: str = ISIN, decimals: int = 0, issue_date: int = 1_700_000_000, maturity: int = 0
) -> tuple[Any, ...]:
    """The Instrument struct, in field order, for a share (CFI ESVUFR) in EUR with nominal 1."""
    return (isin.encode(), b"ESVUFR", b"EUR", decimals, issue_date, maturity, LEI.encode(), 10**18)


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


@pytest.fixture(scope="session")
def holders(
    token: Any, issuer: Any, register: Callable[..., Any], alice: Any, bob: Any, carol: Any
) -> Any:
    """alice (DE) and bob (FR) registered and holding 1,000 each; carol (US) registered, empty."""
    register(alice, "alice", GERMANY)
    register(bob, "bob", FRANCE, category=2)
    register(carol, "carol", USA, category=3)
    token.mint(alice, 1000, sender=issuer)
    token.mint(bob, 1000, sender=issuer)
    return token

"""Settlement fixtures: the escrow and hashed-timelock escrow deployed next to the suite, a EUR
cash token, and trades' parties funded.

The settlement contracts and the cash token are deployed by accounts[7] (bob), which deploys
nothing else in the session: ape remembers the contract type of every address, and another
fixture deploying from the same account and nonce after a snapshot rollback would get the same
address. Session scope: deployed once, kept for every settlement test.
"""

from __future__ import annotations

from typing import Any

import pytest

from securities_rails.settlement.deploy import Settlement, deploy_cash_token, deploy_settlement
from securities_rails.suite import Suite

CASH = 1_000_000 * 10**6  # cash minted to each buyer, in micro-euros


@pytest.fixture(scope="session")
def settlement(
    suite: Suite, accounts: Any, admin: Any, upgrader: Any, registrar: Any
) -> Settlement:
    return deploy_settlement(
        accounts[7],
        admin=admin.address,
        upgrader=upgrader.address,
        record=suite.record,
        registry=suite.registry,
        registrar=registrar,
    )


@pytest.fixture(scope="session")
def eur(settlement: Settlement, accounts: Any, admin: Any, issuer: Any) -> Any:
    """The EUR cash token; `issuer` holds its cash-issuer role."""
    return deploy_cash_token(
        accounts[7],
        currency="EUR",
        admin=admin.address,
        issuer=issuer.address,
        record=settlement.record,
    )


@pytest.fixture
def desk(holders: Any, eur: Any, issuer: Any, alice: Any, bob: Any, carol: Any) -> Any:
    """`holders` (alice 1,000 units, bob 1,000, carol registered) and 1,000,000 EUR of cash each
    for bob and carol. Function-scoped, rolled back after each test."""
    eur.mint(bob, CASH, sender=issuer)
    eur.mint(carol, CASH, sender=issuer)
    return holders

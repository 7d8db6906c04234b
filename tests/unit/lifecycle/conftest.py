"""Lifecycle fixtures: the record-date book, distributions and redemption deployed next to the
suite, a CAD cash token, a bond (with a maturity) and a share, both enabled, and their holders.

The lifecycle contracts and the cash token are deployed by accounts[4] (the pauser), which only
deploys at session scope (tests/cli/test_corporate_action_cli.py deploys the same lifecycle steps
into the same record, and its own cash token, from it too): ape remembers the contract type of
every address, and another fixture deploying from the same account and nonce after a snapshot
rollback would get the same address (accounts[0], [7], [8] and [9] deploy elsewhere). Session
scope: deployed once, kept for every lifecycle test. The instruments are created by the suite's
factory (admin) and enabled with `enable_instrument`, with accounts[3] (the enforcer) as their
corporate-action agent.

The cash token is in CAD, which no other suite uses or expects absent (the settlement tests
expect no USD, CHF, GBP or JPY cash token in the session's record); the instruments are in CAD
too, so that a redemption at the nominal value converts.

Holders are function-scoped (registered and minted afresh, rolled back after each test), so that
no other test sees alice, bob or carol registered. Dates are relative to the chain's time: the
bond matures `MATURITY_IN` after the session's start.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from suite_data import FRANCE, GERMANY, LEI, USA, YEAR

from securities_rails.chain.contracts import token_at
from securities_rails.lifecycle.deploy import Lifecycle, deploy_lifecycle, enable_instrument
from securities_rails.settlement.deploy import deploy_cash_token
from securities_rails.suite import Suite, create_instrument

DAY = 24 * 3600
BOND_ISIN = "XS000LIFEB01"
SHARE_ISIN = "XS000LIFES02"
BOND_DECIMALS = 2  # a unit of the bond is 0.01 of a note
BOND_NOMINAL = 100  # CAD per whole unit: redemption at par pays 100 CAD per note
CAD = 10**6  # the cash token has 6 decimals
MATURITY_IN = 3 * YEAR
CASH = 100_000_000 * CAD  # minted to the agent, who funds every action


def instrument_tuple(
    isin: str, *, cfi: str, decimals: int, maturity: int, nominal: int = 1
) -> tuple[Any, ...]:
    """The Instrument struct in field order (as suite_data.instrument_data), in CAD."""
    return (
        isin.encode(),
        cfi.encode(),
        b"CAD",
        decimals,
        1_700_000_000,
        maturity,
        LEI.encode(),
        nominal * 10**18,
    )


@pytest.fixture(scope="session")
def lifecycle_deployer(accounts: Any) -> Any:
    """Deploys the lifecycle contracts and the CAD cash token, and nothing else. Not named
    `deployer`: ape's isolation knows fixtures by name, and would take tests/e2e's function-scoped
    `deployer` for this session-scoped one and never roll its transfers back."""
    return accounts[4]


@pytest.fixture(scope="session")
def agent(accounts: Any) -> Any:
    """The instruments' corporate-action agent (announces, pays, suspends; funds from its cash)."""
    return accounts[3]


@pytest.fixture(scope="session")
def lifecycle(suite: Suite, lifecycle_deployer: Any, admin: Any, upgrader: Any) -> Lifecycle:
    return deploy_lifecycle(
        lifecycle_deployer, admin=admin.address, upgrader=upgrader.address, record=suite.record
    )


@pytest.fixture(scope="session")
def cad(lifecycle: Lifecycle, lifecycle_deployer: Any, admin: Any, issuer: Any) -> Any:
    """The CAD cash token (6 decimals); `issuer` holds its cash-issuer role."""
    return deploy_cash_token(
        lifecycle_deployer,
        currency="CAD",
        admin=admin.address,
        issuer=issuer.address,
        record=lifecycle.record,
    )


def _roles(*accounts: Any) -> tuple[str, ...]:
    return tuple(account.address for account in accounts)


@pytest.fixture(scope="session")
def instrument_roles(
    admin: Any, issuer: Any, registrar: Any, enforcer: Any, pauser: Any, upgrader: Any
) -> tuple[str, ...]:
    return _roles(admin, issuer, registrar, enforcer, pauser, upgrader)


@pytest.fixture(scope="session")
def maturity(now: int) -> int:
    """The bond's maturity date (Unix time)."""
    return now + MATURITY_IN


@pytest.fixture(scope="session")
def bond(
    suite: Suite,
    lifecycle: Lifecycle,
    admin: Any,
    agent: Any,
    instrument_roles: tuple[str, ...],
    maturity: int,
) -> Any:
    """A CAD note (CFI debt, 2 decimals, nominal 100 CAD) maturing `maturity`, enabled."""
    data = instrument_tuple(
        BOND_ISIN, cfi="DBFTFR", decimals=BOND_DECIMALS, maturity=maturity, nominal=BOND_NOMINAL
    )
    token = create_instrument(
        suite, admin, "Lifecycle Corp 5% notes", "LC5", data, instrument_roles
    )
    enable_instrument(lifecycle, token, admin, agent=agent.address)
    return token


@pytest.fixture(scope="session")
def share(
    suite: Suite, lifecycle: Lifecycle, admin: Any, agent: Any, instrument_roles: tuple[str, ...]
) -> Any:
    """A CAD ordinary share (CFI equity, 0 decimals, no maturity), enabled."""
    data = instrument_tuple(SHARE_ISIN, cfi="ESVUFR", decimals=0, maturity=0)
    token = create_instrument(suite, admin, "Lifecycle Corp shares", "LCS", data, instrument_roles)
    enable_instrument(lifecycle, token, admin, agent=agent.address)
    return token


@pytest.fixture
def new_instrument(
    suite: Suite, admin: Any, instrument_roles: tuple[str, ...]
) -> Callable[..., Any]:
    """new_instrument(isin, cfi=..., decimals=..., maturity=..., nominal=...) -> a token created
    in the test (rolled back after it), not enabled. Created through the factory without being
    recorded: the session's record would keep the ISIN after the rollback."""

    def _create(isin: str, **data: Any) -> Any:
        struct = instrument_tuple(isin, **data)
        suite.factory.createInstrument(
            f"Notes {isin}", isin[-4:], struct, instrument_roles, sender=admin
        )
        return token_at(suite.factory.tokenOf(struct[0]))

    return _create


@pytest.fixture
def investors(register: Callable[..., Any], alice: Any, bob: Any, carol: Any) -> tuple[Any, ...]:
    """alice (DE), bob (FR) and carol (US) registered as three investors (rolled back after)."""
    register(alice, "alice", GERMANY)
    register(bob, "bob", FRANCE, category=2)
    register(carol, "carol", USA, category=3)
    return alice, bob, carol


@pytest.fixture
def funded_agent(cad: Any, issuer: Any, agent: Any) -> Any:
    """The agent with `CASH` of CAD to fund distributions and redemptions."""
    cad.mint(agent, CASH, sender=issuer)
    return agent


@dataclass(frozen=True)
class Desk:
    """Everything a lifecycle test acts with."""

    lifecycle: Lifecycle
    token: Any
    cash: Any
    agent: Any
    issuer: Any
    registrar: Any
    enforcer: Any
    alice: Any
    bob: Any
    carol: Any


@pytest.fixture
def bond_desk(
    lifecycle: Lifecycle,
    bond: Any,
    cad: Any,
    funded_agent: Any,
    investors: tuple[Any, ...],
    issuer: Any,
    registrar: Any,
    enforcer: Any,
) -> Desk:
    """The bond with alice holding 1,000.00 notes and bob 500.00; carol registered, empty."""
    alice, bob, carol = investors
    bond.mint(alice, 1000 * 10**BOND_DECIMALS, sender=issuer)
    bond.mint(bob, 500 * 10**BOND_DECIMALS, sender=issuer)
    return Desk(lifecycle, bond, cad, funded_agent, issuer, registrar, enforcer, alice, bob, carol)


@pytest.fixture
def share_desk(
    lifecycle: Lifecycle,
    share: Any,
    cad: Any,
    funded_agent: Any,
    investors: tuple[Any, ...],
    issuer: Any,
    registrar: Any,
    enforcer: Any,
) -> Desk:
    """The share with alice holding 1,000 and bob 3,000; carol registered, empty."""
    alice, bob, carol = investors
    share.mint(alice, 1000, sender=issuer)
    share.mint(bob, 3000, sender=issuer)
    return Desk(lifecycle, share, cad, funded_agent, issuer, registrar, enforcer, alice, bob, carol)


@pytest.fixture
def nothing_sent(chain: Any) -> Callable[..., AbstractContextManager[None]]:
    """``with nothing_sent((token, wallet), ...):`` the block asserts that no transaction was
    mined and that each listed balance is unchanged."""

    @contextmanager
    def _check(*balances: tuple[Any, Any]) -> Iterator[None]:
        height = chain.blocks.height
        before = [int(token.balanceOf(wallet)) for token, wallet in balances]
        yield
        assert chain.blocks.height == height, "a transaction was sent"
        assert [int(token.balanceOf(wallet)) for token, wallet in balances] == before

    return _check

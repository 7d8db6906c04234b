"""The SecurityTokenFactory: who may create instruments and change the implementation, what a
new implementation changes, and its own upgrade and initialisation guards.

In the shared suite the admin also holds the creator role (conftest ``suite``).
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from ape import project
from suite_data import instrument_data
from unit.checks import Power, args_of, exercise, implementation_of, reverts_with, single_event

from securities_rails.chain.contracts import CREATOR_ROLE, ROLES, token_at

CALLERS = ("admin", "registrar", "upgrader", "outsider")
FACTORY_ROLES = ROLES | {"creator": CREATOR_ROLE}
HOLDERS = {"admin": {"admin", "creator"}, "upgrader": {"upgrader"}}
NEW_ISIN = "GB0002634946"


def _created(c: Any) -> bool:
    return c.factory.tokenOf(NEW_ISIN.encode()) != "0x" + "00" * 20


POWERS: dict[str, Power] = {
    "createInstrument": Power(
        "creator",
        lambda c: c.factory.createInstrument(
            "New plc", "NEW", instrument_data(NEW_ISIN), (c.admin.address,) * 6, sender=c.caller
        ),
        _created,
    ),
    "setImplementation": Power(
        "admin",
        lambda c: c.factory.setImplementation(c.new_token_implementation, sender=c.caller),
        lambda c: c.factory.implementation() == c.new_token_implementation.address,
    ),
    "grantRole(creator)": Power(
        "admin",
        lambda c: c.factory.grantRole(CREATOR_ROLE, c.carol, sender=c.caller),
        lambda c: c.factory.hasRole(CREATOR_ROLE, c.carol),
    ),
    "revokeRole(creator)": Power(
        "admin",
        lambda c: c.factory.revokeRole(CREATOR_ROLE, c.admin, sender=c.caller),
        lambda c: not c.factory.hasRole(CREATOR_ROLE, c.admin),
    ),
    "grantRole(upgrader)": Power(
        "upgrader",
        lambda c: c.factory.grantRole(ROLES["upgrader"], c.carol, sender=c.caller),
        lambda c: c.factory.hasRole(ROLES["upgrader"], c.carol),
    ),
    "upgradeToAndCall": Power(
        "upgrader",
        lambda c: c.factory.upgradeToAndCall(c.new_factory_implementation, b"", sender=c.caller),
        lambda c: (
            implementation_of(c.chain, c.factory) == c.new_factory_implementation.address.lower()
        ),
    ),
    "beginDefaultAdminTransfer": Power(
        "admin",
        lambda c: c.factory.beginDefaultAdminTransfer(c.carol, sender=c.caller),
        lambda c: c.factory.pendingDefaultAdmin().newAdmin == c.carol.address,
    ),
}


@pytest.fixture(scope="module")
def new_token_implementation(admin):
    return project.SecurityToken.deploy(sender=admin)


@pytest.fixture(scope="module")
def new_factory_implementation(admin):
    return project.SecurityTokenFactory.deploy(sender=admin)


@pytest.fixture
def ctx(suite, chain, new_token_implementation, new_factory_implementation, request):
    accounts = {name: request.getfixturevalue(name) for name in (*CALLERS, "carol")}
    return SimpleNamespace(
        factory=suite.factory,
        chain=chain,
        new_token_implementation=new_token_implementation,
        new_factory_implementation=new_factory_implementation,
        **accounts,
    )


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("power", POWERS)
def test_factory_function_is_allowed_for_its_role_only(ctx, power, caller):
    spec = POWERS[power]
    allowed = spec.role in HOLDERS.get(caller, set())
    exercise(spec, ctx, getattr(ctx, caller), allowed, FACTORY_ROLES[spec.role])


def test_creating_needs_the_creator_role_not_the_admin_role(suite, admin, carol):
    factory = suite.factory
    factory.grantRole(CREATOR_ROLE, carol, sender=admin)
    factory.revokeRole(CREATOR_ROLE, admin, sender=admin)
    with reverts_with("AccessControlUnauthorizedAccount", account=admin, neededRole=CREATOR_ROLE):
        factory.createInstrument(
            "x", "X", instrument_data(NEW_ISIN), (admin.address,) * 6, sender=admin
        )
    factory.createInstrument(
        "x", "X", instrument_data(NEW_ISIN), (carol.address,) * 6, sender=carol
    )
    assert token_at(factory.tokenOf(NEW_ISIN.encode())).defaultAdmin() == carol.address


def test_factory_reads_its_registry_and_implementation(suite, registry):
    assert suite.factory.registry() == registry.address
    assert suite.factory.implementation() == suite.token_implementation


def test_new_implementation_serves_new_instruments_only(
    suite, token, admin, chain, new_token_implementation
):
    factory = suite.factory
    receipt = factory.setImplementation(new_token_implementation, sender=admin)
    assert args_of(single_event(receipt, "ImplementationChanged")) == {
        "previous": suite.token_implementation,
        "current": new_token_implementation.address,
    }
    factory.createInstrument(
        "New plc", "NEW", instrument_data(NEW_ISIN), (admin.address,) * 6, sender=admin
    )
    created = token_at(factory.tokenOf(NEW_ISIN.encode()))
    assert implementation_of(chain, created) == new_token_implementation.address.lower()
    assert implementation_of(chain, token) == suite.token_implementation.lower()
    assert created.isin() == NEW_ISIN


def test_implementation_must_be_a_contract(suite, admin, outsider):
    with reverts_with("InvalidImplementation", implementation=outsider):
        suite.factory.setImplementation(outsider, sender=admin)


def test_factory_upgrader_role_administers_itself(suite, admin):
    factory = suite.factory
    assert factory.getRoleAdmin(ROLES["upgrader"]) == ROLES["upgrader"]
    with reverts_with(
        "AccessControlUnauthorizedAccount", account=admin, neededRole=ROLES["upgrader"]
    ):
        factory.grantRole(ROLES["upgrader"], admin, sender=admin)


def test_factory_implementation_is_locked(suite, registry, admin):
    address = suite.record.contracts["SecurityTokenFactory.implementation"].address
    implementation = project.SecurityTokenFactory.at(address)
    with reverts_with("InvalidInitialization"):
        implementation.initialize(
            admin, admin, admin, suite.token_implementation, registry, sender=admin
        )


def test_factory_proxy_cannot_be_initialised_twice(suite, registry, outsider):
    with reverts_with("InvalidInitialization"):
        suite.factory.initialize(
            outsider, outsider, outsider, suite.token_implementation, registry, sender=outsider
        )

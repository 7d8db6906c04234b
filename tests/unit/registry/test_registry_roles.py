"""Who may do what on the InvestorRegistry: registrar functions, admin-only categories and role
administration, the self-administered upgrader role, two-step admin handover, locked initialisers.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from ape import project
from suite_data import FRANCE, GERMANY, YEAR
from unit.checks import Kind, Power, exercise, implementation_of, reverts_with

from securities_rails.chain.contracts import ROLES
from securities_rails.identifiers import investor_id_hash

CALLERS = ("admin", "registrar", "upgrader", "outsider")
# Wallets and ids no shared fixture registers (conftest ``holders`` registers alice, bob, carol).
NEW_ID = investor_id_hash("registry-roles new investor")
KNOWN_ID = investor_id_hash("registry-roles known investor")
NEW_WALLET = "0x00000000000000000000000000000000000F4e51"
KNOWN_WALLET = "0x00000000000000000000000000000000000F4e52"
FRESH_WALLET = "0x00000000000000000000000000000000000F4e57"


def _register_known(c: Any) -> Any:
    return c.registry.registerInvestor(
        KNOWN_WALLET, KNOWN_ID, GERMANY, 1, c.expiry, sender=c.registrar
    )


def _kind(c: Any, wallet: Any) -> int:
    return c.registry.identityOf(wallet).kind


POWERS: dict[str, Power] = {
    "registerInvestor": Power(
        "registrar",
        lambda c: c.registry.registerInvestor(
            NEW_WALLET, NEW_ID, FRANCE, 2, c.expiry, sender=c.caller
        ),
        lambda c: _kind(c, NEW_WALLET) == Kind.INVESTOR,
    ),
    "registerInvestors": Power(
        "registrar",
        lambda c: c.registry.registerInvestors(
            [NEW_WALLET], [NEW_ID], [FRANCE], [2], [c.expiry], sender=c.caller
        ),
        lambda c: _kind(c, NEW_WALLET) == Kind.INVESTOR,
    ),
    "updateInvestor": Power(
        "registrar",
        lambda c: c.registry.updateInvestor(
            KNOWN_ID, [KNOWN_WALLET], FRANCE, 1, c.expiry, sender=c.caller
        ),
        lambda c: c.registry.identityOf(KNOWN_WALLET).country == FRANCE,
        prepare=_register_known,
    ),
    "removeWallet": Power(
        "registrar",
        lambda c: c.registry.removeWallet(KNOWN_WALLET, sender=c.caller),
        lambda c: _kind(c, KNOWN_WALLET) == Kind.RETIRED,
        prepare=_register_known,
    ),
    "recoverWallet": Power(
        "registrar",
        lambda c: c.registry.recoverWallet(KNOWN_WALLET, FRESH_WALLET, sender=c.caller),
        lambda c: _kind(c, FRESH_WALLET) == Kind.INVESTOR,
        prepare=_register_known,
    ),
    "registerSystemAccount": Power(
        "registrar",
        lambda c: c.registry.registerSystemAccount(NEW_WALLET, "escrow", sender=c.caller),
        lambda c: _kind(c, NEW_WALLET) == Kind.SYSTEM,
    ),
    "removeSystemAccount": Power(
        "registrar",
        lambda c: c.registry.removeSystemAccount(NEW_WALLET, sender=c.caller),
        lambda c: _kind(c, NEW_WALLET) == Kind.RETIRED,
        prepare=lambda c: c.registry.registerSystemAccount(
            NEW_WALLET, "escrow", sender=c.registrar
        ),
    ),
    "defineCategory": Power(
        "admin",
        lambda c: c.registry.defineCategory(7, "employee", sender=c.caller),
        lambda c: c.registry.categoryLabel(7) == "employee",
    ),
    "grantRole(registrar)": Power(
        "admin",
        lambda c: c.registry.grantRole(ROLES["registrar"], c.carol, sender=c.caller),
        lambda c: c.registry.hasRole(ROLES["registrar"], c.carol),
    ),
    "revokeRole(registrar)": Power(
        "admin",
        lambda c: c.registry.revokeRole(ROLES["registrar"], c.registrar, sender=c.caller),
        lambda c: not c.registry.hasRole(ROLES["registrar"], c.registrar),
    ),
    "grantRole(upgrader)": Power(
        "upgrader",
        lambda c: c.registry.grantRole(ROLES["upgrader"], c.carol, sender=c.caller),
        lambda c: c.registry.hasRole(ROLES["upgrader"], c.carol),
    ),
    "upgradeToAndCall": Power(
        "upgrader",
        lambda c: c.registry.upgradeToAndCall(c.new_implementation, b"", sender=c.caller),
        lambda c: implementation_of(c.chain, c.registry) == c.new_implementation.address.lower(),
    ),
    "beginDefaultAdminTransfer": Power(
        "admin",
        lambda c: c.registry.beginDefaultAdminTransfer(c.carol, sender=c.caller),
        lambda c: c.registry.pendingDefaultAdmin().newAdmin == c.carol.address,
    ),
}


@pytest.fixture(scope="module")
def new_implementation(admin):
    return project.InvestorRegistry.deploy(sender=admin)


@pytest.fixture
def ctx(registry, chain, new_implementation, request) -> SimpleNamespace:
    names = (*CALLERS, "carol")
    accounts = {name: request.getfixturevalue(name) for name in names}
    return SimpleNamespace(
        registry=registry,
        chain=chain,
        new_implementation=new_implementation,
        expiry=chain.pending_timestamp + YEAR,
        **accounts,
    )


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("power", POWERS)
def test_registry_function_is_allowed_for_its_role_only(ctx, power, caller):
    spec = POWERS[power]
    exercise(spec, ctx, getattr(ctx, caller), caller == spec.role, ROLES[spec.role])


def test_registry_upgrader_role_administers_itself(registry):
    assert registry.getRoleAdmin(ROLES["upgrader"]) == ROLES["upgrader"]
    assert registry.getRoleAdmin(ROLES["registrar"]) == ROLES["admin"]


def test_registry_admin_cannot_grant_itself_the_upgrader_role(registry, admin):
    with reverts_with(
        "AccessControlUnauthorizedAccount", account=admin, neededRole=ROLES["upgrader"]
    ):
        registry.grantRole(ROLES["upgrader"], admin, sender=admin)
    assert not registry.hasRole(ROLES["upgrader"], admin)


def test_registry_upgrade_keeps_the_records(
    registry, registrar, upgrader, chain, new_implementation
):
    expiry = chain.pending_timestamp + YEAR
    registry.registerInvestor(KNOWN_WALLET, KNOWN_ID, GERMANY, 1, expiry, sender=registrar)
    registry.upgradeToAndCall(new_implementation, b"", sender=upgrader)
    assert tuple(registry.identityOf(KNOWN_WALLET))[1:5] == (GERMANY, 1, expiry, Kind.INVESTOR)
    assert registry.categoryLabel(2) == "professional"


def test_registry_admin_handover_takes_two_steps(registry, admin, carol, chain):
    registry.beginDefaultAdminTransfer(carol, sender=admin)
    chain.mine(deltatime=1)
    registry.acceptDefaultAdminTransfer(sender=carol)
    assert registry.defaultAdmin() == carol.address
    registry.defineCategory(8, "foundation", sender=carol)
    with reverts_with("AccessControlUnauthorizedAccount", account=admin, neededRole=ROLES["admin"]):
        registry.defineCategory(9, "other", sender=admin)


def test_registry_admin_role_cannot_be_granted_directly(registry, admin, carol):
    with reverts_with("AccessControlEnforcedDefaultAdminRules"):
        registry.grantRole(ROLES["admin"], carol, sender=admin)


def test_registry_implementation_is_locked(suite, admin):
    address = suite.record.contracts["InvestorRegistry.implementation"].address
    implementation = project.InvestorRegistry.at(address)
    with reverts_with("InvalidInitialization"):
        implementation.initialize(admin, admin, admin, sender=admin)


def test_registry_proxy_cannot_be_initialised_twice(registry, admin, outsider):
    with reverts_with("InvalidInitialization"):
        registry.initialize(outsider, outsider, outsider, sender=outsider)
    assert registry.defaultAdmin() == admin.address

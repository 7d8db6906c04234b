"""Who may do what on a SecurityToken: every privileged function against every role holder.

Each function is allowed for exactly one role (and then has its effect); every other account is
refused with AccessControlUnauthorizedAccount(caller, neededRole). Also: the upgrader role
administers itself, the admin hands over in two steps, and initialisers run only once.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from ape import project
from suite_data import instrument_data
from unit.checks import Power, Rule, exercise, implementation_of, reverts_with, single_event

from securities_rails.chain.contracts import ROLES

CALLERS = ("admin", "issuer", "registrar", "enforcer", "pauser", "upgrader", "outsider")
FRESH_WALLET = "0x00000000000000000000000000000000000F4e57"
DOC = b"prospectus".ljust(32, b"\0")
DOC_HASH = b"\x11" * 32


def _recover_prepare(c: Any) -> Any:
    return c.registry.recoverWallet(c.alice, FRESH_WALLET, sender=c.registrar)


POWERS: dict[str, Power] = {
    "mint": Power(
        "issuer",
        lambda c: c.token.mint(c.alice, 10, sender=c.caller),
        lambda c: c.token.balanceOf(c.alice) == 1010,
    ),
    "batchMint": Power(
        "issuer",
        lambda c: c.token.batchMint([c.alice, c.bob], [1, 2], sender=c.caller),
        lambda c: (c.token.balanceOf(c.alice), c.token.balanceOf(c.bob)) == (1001, 1002),
    ),
    "burn": Power(
        "issuer",
        lambda c: c.token.burn(c.alice, 10, sender=c.caller),
        lambda c: c.token.balanceOf(c.alice) == 990,
    ),
    "batchBurn": Power(
        "issuer",
        lambda c: c.token.batchBurn([c.alice, c.bob], [1, 2], sender=c.caller),
        lambda c: (c.token.balanceOf(c.alice), c.token.balanceOf(c.bob)) == (999, 998),
    ),
    "forcedTransfer": Power(
        "registrar",
        lambda c: c.token.forcedTransfer(c.alice, c.bob, 10, "court order", sender=c.caller),
        lambda c: c.token.balanceOf(c.bob) == 1010,
    ),
    "recoverWallet": Power(
        "registrar",
        lambda c: c.token.recoverWallet(c.alice, FRESH_WALLET, sender=c.caller),
        lambda c: c.token.balanceOf(FRESH_WALLET) == 1000,
        prepare=_recover_prepare,
    ),
    "setAddressFrozen": Power(
        "enforcer",
        lambda c: c.token.setAddressFrozen(c.alice, True, sender=c.caller),
        lambda c: c.token.isFrozen(c.alice),
    ),
    "freezePartialTokens": Power(
        "enforcer",
        lambda c: c.token.freezePartialTokens(c.alice, 10, sender=c.caller),
        lambda c: c.token.frozenTokens(c.alice) == 10,
    ),
    "unfreezePartialTokens": Power(
        "enforcer",
        lambda c: c.token.unfreezePartialTokens(c.alice, 4, sender=c.caller),
        lambda c: c.token.frozenTokens(c.alice) == 6,
        prepare=lambda c: c.token.freezePartialTokens(c.alice, 10, sender=c.enforcer),
    ),
    "pause": Power(
        "pauser",
        lambda c: c.token.pause(sender=c.caller),
        lambda c: c.token.paused(),
    ),
    "unpause": Power(
        "pauser",
        lambda c: c.token.unpause(sender=c.caller),
        lambda c: not c.token.paused(),
        prepare=lambda c: c.token.pause(sender=c.pauser),
    ),
    "setDocument": Power(
        "issuer",
        lambda c: c.token.setDocument(DOC, "ipfs://terms", DOC_HASH, sender=c.caller),
        lambda c: list(c.token.getAllDocuments()) == [DOC],
    ),
    "removeDocument": Power(
        "issuer",
        lambda c: c.token.removeDocument(DOC, sender=c.caller),
        lambda c: list(c.token.getAllDocuments()) == [],
        prepare=lambda c: c.token.setDocument(DOC, "ipfs://terms", DOC_HASH, sender=c.issuer),
    ),
    "setRule": Power(
        "admin",
        lambda c: c.token.setRule(Rule.MAX_INVESTORS, 10, sender=c.caller),
        lambda c: tuple(c.token.rule(Rule.MAX_INVESTORS)) == (True, 10),
    ),
    "removeRule": Power(
        "admin",
        lambda c: c.token.removeRule(Rule.MAX_INVESTORS, sender=c.caller),
        lambda c: not c.token.rule(Rule.MAX_INVESTORS).active,
        prepare=lambda c: c.token.setRule(Rule.MAX_INVESTORS, 10, sender=c.admin),
    ),
    "setCountries": Power(
        "admin",
        lambda c: c.token.setCountries(Rule.COUNTRY_ALLOW_LIST, [276], True, sender=c.caller),
        lambda c: c.token.countryListed(Rule.COUNTRY_ALLOW_LIST, 276),
    ),
    "setRecordDates": Power(
        "admin",
        lambda c: c.token.setRecordDates(c.registry.address, sender=c.caller),
        lambda c: c.token.recordDates() == c.registry.address,
    ),
    "upgradeToAndCall": Power(
        "upgrader",
        lambda c: c.token.upgradeToAndCall(c.new_implementation, b"", sender=c.caller),
        lambda c: implementation_of(c.chain, c.token) == c.new_implementation.address.lower(),
    ),
    "grantRole(issuer)": Power(
        "admin",
        lambda c: c.token.grantRole(ROLES["issuer"], c.carol, sender=c.caller),
        lambda c: c.token.hasRole(ROLES["issuer"], c.carol),
    ),
    "revokeRole(issuer)": Power(
        "admin",
        lambda c: c.token.revokeRole(ROLES["issuer"], c.issuer, sender=c.caller),
        lambda c: not c.token.hasRole(ROLES["issuer"], c.issuer),
    ),
    "grantRole(upgrader)": Power(
        "upgrader",
        lambda c: c.token.grantRole(ROLES["upgrader"], c.carol, sender=c.caller),
        lambda c: c.token.hasRole(ROLES["upgrader"], c.carol),
    ),
    "revokeRole(upgrader)": Power(
        "upgrader",
        lambda c: c.token.revokeRole(ROLES["upgrader"], c.upgrader, sender=c.caller),
        lambda c: not c.token.hasRole(ROLES["upgrader"], c.upgrader),
    ),
    "beginDefaultAdminTransfer": Power(
        "admin",
        lambda c: c.token.beginDefaultAdminTransfer(c.carol, sender=c.caller),
        lambda c: c.token.pendingDefaultAdmin().newAdmin == c.carol.address,
    ),
}


@pytest.fixture(scope="module")
def new_implementation(admin):
    return project.SecurityToken.deploy(sender=admin)


@pytest.fixture
def ctx(holders, registry, chain, new_implementation, request) -> SimpleNamespace:
    names = (*CALLERS, "alice", "bob", "carol")
    accounts = {name: request.getfixturevalue(name) for name in names}
    return SimpleNamespace(
        token=holders,
        registry=registry,
        chain=chain,
        new_implementation=new_implementation,
        **accounts,
    )


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("power", POWERS)
def test_privileged_function_is_allowed_for_its_role_only(ctx, power, caller):
    spec = POWERS[power]
    exercise(spec, ctx, getattr(ctx, caller), caller == spec.role, ROLES[spec.role])


def test_every_external_state_changing_function_is_in_the_matrix():
    """The matrix above covers each privileged function of the ABI (a new one must be added)."""
    open_to_all = {
        "transfer",
        "transferFrom",
        "approve",
        "renounceRole",
        "acceptDefaultAdminTransfer",
        "initialize",
        "syncMaturity",  # copies the fixed maturity date; open to anyone
        "recordDateScheduled",  # only the token's record-date book (NotRecordDates), no role
    }
    # Needs the corporate-action role, which none of CALLERS holds (tests/unit/access and
    # tests/unit/lifecycle cover it; forge: tests/forge/lifecycle/LifecycleStates.t.sol).
    covered_elsewhere = {"setLifecycleState"}
    admin_only_not_in_matrix = {
        "cancelDefaultAdminTransfer",
        "changeDefaultAdminDelay",
        "rollbackDefaultAdminDelay",
    }
    mutating = {
        abi.name
        for abi in project.SecurityToken.contract_type.mutable_methods
        if abi.name not in open_to_all | admin_only_not_in_matrix | covered_elsewhere
    }
    in_matrix = {name.split("(")[0] for name in POWERS}
    assert mutating == in_matrix


# ------------------------------------------------------------------ upgrader role


def test_upgrader_role_administers_itself(token):
    assert token.getRoleAdmin(ROLES["upgrader"]) == ROLES["upgrader"]
    assert token.getRoleAdmin(ROLES["issuer"]) == ROLES["admin"]


def test_admin_cannot_grant_itself_the_upgrader_role(token, admin):
    with reverts_with(
        "AccessControlUnauthorizedAccount", account=admin, neededRole=ROLES["upgrader"]
    ):
        token.grantRole(ROLES["upgrader"], admin, sender=admin)
    assert not token.hasRole(ROLES["upgrader"], admin)


def test_a_granted_upgrader_can_upgrade(token, upgrader, carol, new_implementation, chain):
    token.grantRole(ROLES["upgrader"], carol, sender=upgrader)
    token.upgradeToAndCall(new_implementation, b"", sender=carol)
    assert implementation_of(chain, token) == new_implementation.address.lower()


def test_upgrade_keeps_the_state(holders, upgrader, alice, new_implementation):
    token = holders
    token.upgradeToAndCall(new_implementation, b"", sender=upgrader)
    assert token.balanceOf(alice) == 1000
    assert token.investorCount() == 2
    assert token.isin() == "US0378331005"


# ------------------------------------------------------------------ admin handover


def test_admin_handover_takes_two_steps(token, admin, carol, chain):
    receipt = token.beginDefaultAdminTransfer(carol, sender=admin)
    assert single_event(receipt, "DefaultAdminTransferScheduled").newAdmin == carol.address
    assert token.defaultAdmin() == admin.address  # nothing changed yet
    chain.mine(deltatime=1)  # the (zero) delay has passed once a later block exists
    token.acceptDefaultAdminTransfer(sender=carol)
    assert token.defaultAdmin() == carol.address
    assert not token.hasRole(ROLES["admin"], admin)
    token.setRule(Rule.MAX_INVESTORS, 5, sender=carol)
    with reverts_with("AccessControlUnauthorizedAccount", account=admin, neededRole=ROLES["admin"]):
        token.setRule(Rule.MAX_INVESTORS, 6, sender=admin)


def test_only_the_pending_admin_can_accept(token, admin, carol, outsider, chain):
    token.beginDefaultAdminTransfer(carol, sender=admin)
    chain.mine(deltatime=1)
    with reverts_with("AccessControlInvalidDefaultAdmin", defaultAdmin=outsider):
        token.acceptDefaultAdminTransfer(sender=outsider)
    assert token.defaultAdmin() == admin.address


def test_admin_role_cannot_be_granted_directly(token, admin, carol):
    with reverts_with("AccessControlEnforcedDefaultAdminRules"):
        token.grantRole(ROLES["admin"], carol, sender=admin)
    assert not token.hasRole(ROLES["admin"], carol)


# ------------------------------------------------------------------ initialisers


def _roles(*accounts: Any) -> tuple[str, ...]:
    return tuple(a.address for a in accounts)


def test_token_implementation_is_locked(suite, registry, admin):
    implementation = project.SecurityToken.at(suite.token_implementation)
    with reverts_with("InvalidInitialization"):
        implementation.initialize(
            "x", "X", instrument_data(), _roles(*[admin] * 6), registry, sender=admin
        )


def test_token_proxy_cannot_be_initialised_twice(token, registry, admin, outsider):
    with reverts_with("InvalidInitialization"):
        token.initialize(
            "x", "X", instrument_data(), _roles(*[outsider] * 6), registry, sender=outsider
        )
    assert token.defaultAdmin() == admin.address

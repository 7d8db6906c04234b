"""The access-control matrix, generated from the compiled ABIs and the role table.

Every state-changing external function of the token, registry, factory, bridge endpoints,
bridge custody, DvP escrow, cash token and hashed-timelock escrow is either public by design
(listed with its reason) or guarded by a role; each guard is exercised by an account that holds
no role, and must refuse it naming exactly the role the table expects.
"""

from __future__ import annotations

from typing import Any

import pytest
from ape import project
from ape.exceptions import ContractLogicError
from eth_utils import keccak
from role_table import GUARDS, PENDING_ADMIN, PUBLIC, PUBLIC_BY_CONTRACT

ROLE_IDS = {"admin": b"\x00" * 32} | {
    name: keccak(text=f"{name.upper()}_ROLE")
    for name in (
        "issuer",
        "registrar",
        "enforcer",
        "pauser",
        "upgrader",
        "creator",
        "governor",
        "guardian",
        "compliance",
        "bridge",
        "cash_issuer",
        "corporate_action",
    )
}
# The role each contract's grantRole/revokeRole is tried with (one its admin role administers).
GRANTED = {
    "SecurityToken": "issuer",
    "InvestorRegistry": "registrar",
    "SecurityTokenFactory": "creator",
    "BridgeLock": "guardian",
    "BridgeMint": "guardian",
    "BridgeCustody": "bridge",
    "DvPEscrow": "upgrader",
    "CashToken": "cash_issuer",
    "RecordDates": "upgrader",
    "Distributions": "upgrader",
    "Redemption": "upgrader",
    "Splits": "upgrader",
}
# Arguments that reach the role check (the default ones would fail an earlier check first).
ARGUMENTS = {("SecurityToken", "setLifecycleState"): [2]}  # Active -> Suspended
CONTRACTS = tuple(GUARDS)


def state_changing(contract_name: str) -> set[str]:
    abi = getattr(project, contract_name).contract_type.abi
    return {
        item.name
        for item in abi
        if item.type == "function" and item.stateMutability in ("nonpayable", "payable")
    }


def default_value(abi_type: str, components: Any, filler: str) -> Any:
    """A well-formed argument of `abi_type` (the role check runs before any other check)."""
    if abi_type.endswith("[]"):
        return [default_value(abi_type[:-2], components, filler)]
    if abi_type == "tuple":
        return tuple(default_value(c.type, c.components, filler) for c in components)
    if abi_type == "address":
        return filler
    if abi_type == "bool":
        return True
    if abi_type == "string":
        return "x"
    if abi_type == "bytes":
        return b""
    if abi_type.startswith("bytes"):
        return b"\x01" * int(abi_type[5:])
    return 0 if abi_type.startswith("uint8") else 1


def arguments(contract_name: str, function: str, filler: str) -> list[Any]:
    abi = getattr(project, contract_name).contract_type.abi
    item = next(i for i in abi if i.type == "function" and i.name == function)
    return [default_value(p.type, p.components, filler) for p in item.inputs]


def _endpoint(name: str, admin: Any, init_args: tuple[Any, ...]) -> Any:
    implementation = getattr(project, name).deploy(sender=admin)
    setup = (
        admin.address,
        0,
        admin.address,
        admin.address,
        admin.address,
        admin.address,
        [admin.address],
        1,
        (100, 1),
        (100, 1),
        10,
    )
    init = implementation.initialize.encode_input(setup, *init_args)
    proxy = project.SuiteProxy.deploy(implementation.address, init, sender=admin)
    return getattr(project, name).at(proxy.address)


def _proxied(name: str, admin: Any) -> Any:
    """`name` behind a SuiteProxy, initialised with (admin, delay 0, upgrader admin)."""
    implementation = getattr(project, name).deploy(sender=admin)
    init = implementation.initialize.encode_input(admin.address, 0, admin.address)
    proxy = project.SuiteProxy.deploy(implementation.address, init, sender=admin)
    return getattr(project, name).at(proxy.address)


@pytest.fixture(scope="module")
def deployed(suite: Any, token: Any, accounts: Any) -> dict[str, Any]:
    # Deployed by an account no other test deploys with: ape keeps the contract type of each
    # address after the module's snapshot is rolled back, and an instrument created later at
    # the same address (same deployer, same nonce) would otherwise be taken for a bridge.
    admin = accounts[8]
    custody = project.BridgeCustody.deploy(token.address, admin.address, 0, sender=admin)
    return {
        "SecurityToken": token,
        "InvestorRegistry": suite.registry,
        "SecurityTokenFactory": suite.factory,
        "BridgeLock": _endpoint("BridgeLock", admin, (token.address, custody.address)),
        "BridgeMint": _endpoint("BridgeMint", admin, (token.address,)),
        "BridgeCustody": custody,
        "DvPEscrow": _proxied("DvPEscrow", admin),
        "CashToken": project.CashToken.deploy(
            "Cash", "tEUR", b"EUR", admin.address, 0, admin.address, sender=admin
        ),
        "HashedTimelockEscrow": project.HashedTimelockEscrow.deploy(sender=admin),
        **{
            name: _proxied(name, admin)
            for name in ("RecordDates", "Distributions", "Redemption", "Splits")
        },
    }


@pytest.mark.parametrize("contract_name", CONTRACTS)
def test_every_state_changing_function_is_guarded_or_public_by_design(contract_name):
    listed = set(GUARDS[contract_name]) | PUBLIC_BY_CONTRACT[contract_name]
    assert PUBLIC_BY_CONTRACT[contract_name] <= set(PUBLIC)
    assert state_changing(contract_name) - listed == set(), "unlisted: add to role_table.py"
    assert listed - state_changing(contract_name) == set(), "stale entries in role_table.py"


GUARDED = [(c, f, role) for c, table in GUARDS.items() for f, role in sorted(table.items())]


@pytest.mark.parametrize(
    ("contract_name", "function", "role"), GUARDED, ids=[f"{c}.{f}" for c, f, _ in GUARDED]
)
def test_an_account_without_the_role_is_refused(deployed, outsider, contract_name, function, role):
    contract = deployed[contract_name]
    args = ARGUMENTS.get((contract_name, function)) or arguments(
        contract_name, function, outsider.address
    )
    if function in ("grantRole", "revokeRole"):
        args[0] = ROLE_IDS[GRANTED[contract_name]]
    with pytest.raises(ContractLogicError) as refused:
        getattr(contract, function)(*args, sender=outsider)
    error = refused.value
    if role == PENDING_ADMIN:
        assert error.name == "AccessControlInvalidDefaultAdmin"
        assert error.inputs["defaultAdmin"] == outsider.address
        return
    assert error.name == "AccessControlUnauthorizedAccount", error
    assert error.inputs["account"] == outsider.address
    assert bytes(error.inputs["neededRole"]) == ROLE_IDS[role]

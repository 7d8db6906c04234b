"""Proxies and implementations on the chain: the ERC-1967 slot, compiled contracts, timelocks."""

from __future__ import annotations

from typing import Any

from ape import chain, project
from ape.contracts import ContractContainer, ContractInstance
from eth_utils import keccak, to_checksum_address
from ethpm_types import ContractType

from securities_rails.chain.contracts import ROLES

# keccak256("eip1967.proxy.implementation") - 1
IMPLEMENTATION_SLOT = 0x360894A13BA1A3210667C828492DB98DCA3E2076CC3735A920A3CA505D382BBC
UPGRADER_ROLE = ROLES["upgrader"]
PROPOSER_ROLE = keccak(text="PROPOSER_ROLE")
EXECUTOR_ROLE = keccak(text="EXECUTOR_ROLE")
CANCELLER_ROLE = keccak(text="CANCELLER_ROLE")
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
ROLE_ARGS = [{"name": "role", "type": "bytes32"}, {"name": "account", "type": "address"}]
PROXY_ABI: list[dict[str, Any]] = [
    {
        "type": "function",
        "name": "upgradeToAndCall",
        "stateMutability": "payable",
        "inputs": [
            {"name": "newImplementation", "type": "address"},
            {"name": "data", "type": "bytes"},
        ],
        "outputs": [],
    },
    {
        "type": "function",
        "name": "hasRole",
        "stateMutability": "view",
        "inputs": ROLE_ARGS,
        "outputs": [{"name": "", "type": "bool"}],
    },
    {
        "type": "function",
        "name": "grantRole",
        "stateMutability": "nonpayable",
        "inputs": ROLE_ARGS,
        "outputs": [],
    },
    {
        "type": "function",
        "name": "renounceRole",
        "stateMutability": "nonpayable",
        "inputs": [
            {"name": "role", "type": "bytes32"},
            {"name": "callerConfirmation", "type": "address"},
        ],
        "outputs": [],
    },
]


# The errors a suite proxy's upgrade or role functions revert with, so that a revert is decoded.
PROXY_ERRORS = {
    "AccessControlUnauthorizedAccount": [("account", "address"), ("neededRole", "bytes32")],
    "AccessControlBadConfirmation": [],
    "UUPSUnauthorizedCallContext": [],
    "UUPSUnsupportedProxiableUUID": [("slot", "bytes32")],
    "ERC1967InvalidImplementation": [("implementation", "address")],
    "ERC1967NonPayable": [],
    "FailedCall": [],
    "InvalidInitialization": [],
    "NotInitializing": [],
}
PROXY_ABI += [
    {"type": "error", "name": name, "inputs": [{"name": n, "type": t} for n, t in inputs]}
    for name, inputs in PROXY_ERRORS.items()
]


def implementation_of(proxy: str) -> str:
    """The implementation address in a proxy's ERC-1967 slot (zero address: not a proxy)."""
    value = chain.provider.make_request(
        "eth_getStorageAt", [proxy, hex(IMPLEMENTATION_SLOT), "latest"]
    )
    raw = bytes.fromhex(str(value).removeprefix("0x").rjust(64, "0"))
    return to_checksum_address(raw[-20:])


def container(name: str, abi: list[dict[str, Any]], bytecode: str) -> Any:
    """A deployable contract from a compiler's ABI and creation code (outside ape's project)."""
    contract_type = ContractType.model_validate(
        {"contractName": name, "abi": abi, "deploymentBytecode": {"bytecode": bytecode}}
    )
    return ContractContainer(contract_type)


def instance(address: str, name: str, abi: list[dict[str, Any]]) -> Any:
    """A handle on the contract at ``address`` with exactly the given ABI (ape's cache of
    contract types by address is bypassed: after an upgrade, the ABI behind a proxy changes)."""
    contract_type = ContractType.model_validate({"contractName": name, "abi": abi})
    return ContractInstance(to_checksum_address(address), contract_type)


def uups_at(address: str) -> Any:
    """A suite proxy through what every one has: UUPS upgrade and AccessControl roles."""
    return instance(address, "SuiteProxy", PROXY_ABI)


def timelock_container() -> Any:
    """The project's SuiteTimelock (OpenZeppelin's TimelockController)."""
    return project.SuiteTimelock


def timelock_at(address: str) -> Any:
    return project.SuiteTimelock.at(address)

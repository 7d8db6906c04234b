"""Handles on the suite's contracts, and the role identifiers they use."""

from __future__ import annotations

from typing import Any

from ape import chain, project
from eth_utils import keccak

# Role identifiers, as the contracts compute them (keccak256 of the name; admin is zero).
ADMIN_ROLE = b"\x00" * 32
ROLE_NAMES = ("ISSUER_ROLE", "REGISTRAR_ROLE", "ENFORCER_ROLE", "PAUSER_ROLE", "UPGRADER_ROLE")
ROLES: dict[str, bytes] = {"admin": ADMIN_ROLE} | {
    name.removesuffix("_ROLE").lower(): keccak(text=name) for name in ROLE_NAMES
}
CREATOR_ROLE = keccak(text="CREATOR_ROLE")


def role_name(role: bytes) -> str:
    """The short name (admin, issuer, ...) of a role identifier, or its hex."""
    for name, value in ROLES.items():
        if value == bytes(role):
            return name
    if bytes(role) == CREATOR_ROLE:
        return "creator"
    return "0x" + bytes(role).hex()


def at(contract_name: str, address: str) -> Any:
    """The project contract `contract_name` at `address` (for a proxy: the implementation's ABI)."""
    return getattr(project, contract_name).at(address)


def token_at(address: str) -> Any:
    """A SecurityToken (behind its proxy)."""
    return at("SecurityToken", address)


def registry_at(address: str) -> Any:
    """The InvestorRegistry (behind its proxy)."""
    return at("InvestorRegistry", address)


def factory_at(address: str) -> Any:
    """The SecurityTokenFactory (behind its proxy)."""
    return at("SecurityTokenFactory", address)


def has_code(address: str) -> bool:
    """Whether a contract is deployed at `address` on the connected chain."""
    return len(chain.provider.get_code(address)) > 0


def chain_id() -> int:
    """The connected chain's id, as the node reports it (not the network's configured id)."""
    return int(chain.provider.make_request("eth_chainId", []), 16)


def genesis_hash() -> str:
    """The hash of block 0, which tells two chains with the same id apart."""
    return "0x" + bytes(chain.blocks[0].hash).hex()


def pending_timestamp() -> int:
    """The timestamp the next block will (at least) have."""
    return int(chain.pending_timestamp)


def block_height() -> int:
    """The number of the latest block."""
    return int(chain.blocks.height)

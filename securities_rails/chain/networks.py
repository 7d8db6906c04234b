"""Connect to one of several chains in turn, by ape network choice or by RPC URL.

A bridge deployment acts on two chains: ``with connected(target):`` makes ``target`` the active
ape provider for the block (ape keeps a stack, so the previous provider is active again after).
``target`` is an ape network choice (``ethereum:sepolia:node``) or the HTTP URL of a node, which
is reached through the local Foundry provider whatever its chain id.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ape import chain, networks

from securities_rails.errors import UserError

LOCAL_CHOICE = "ethereum:local:foundry"
FOUNDRY_HOST_VAR = "APE_FOUNDRY_HOST"


def is_url(target: str) -> bool:
    return target.startswith(("http://", "https://"))


@contextmanager
def connected(target: str) -> Iterator[Any]:
    """Make `target` the active provider inside the block; yields the provider."""
    if is_url(target):
        context = networks.parse_network_choice(LOCAL_CHOICE, provider_settings={"host": target})
    else:
        try:
            context = networks.parse_network_choice(target)
        except Exception as error:  # ape raises several types for a bad choice
            raise UserError("network", f"{target!r} is not a network ape knows: {error}") from None
    # ape-foundry lets APE_FOUNDRY_HOST (set by `make` to "auto" for ape's own node) override any
    # host it is given: hide it while this provider connects, so the URL is the node reached.
    saved = os.environ.pop(FOUNDRY_HOST_VAR, None) if is_url(target) else None
    try:
        provider = context.__enter__()
    finally:
        if saved is not None:
            os.environ[FOUNDRY_HOST_VAR] = saved
    # ape caches contract types and proxy targets by address for "the" local network; two local
    # chains share that cache, and a contract at the same address on the other chain (same
    # deployer, same nonce) would lend its type to this one. Each chain gets a cache of its own
    # for the block, and the previous chain's cache is put back afterwards.
    outer = _swap_caches(None)
    try:
        yield provider
    except BaseException as error:
        _swap_caches(outer)
        if not context.__exit__(type(error), error, error.__traceback__):
            raise
    else:
        _swap_caches(outer)
        context.__exit__(None, None, None)


def _swap_caches(replacement: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """Put `replacement` (or empty caches) in place of ape's in-memory contract caches; returns
    the caches taken out."""
    contracts = chain.contracts
    caches = (
        contracts.contract_types,
        contracts.proxy_infos,
        contracts.contract_creations,
        contracts.blueprints,
    )
    taken = [cache.memory for cache in caches]
    for cache, memory in zip(caches, replacement or [{} for _ in caches], strict=True):
        cache.memory = memory
    return taken


def rpc_url(provider: Any) -> str:
    """The HTTP URL of a connected provider (what the off-chain processes connect to)."""
    uri = getattr(provider, "http_uri", None) or getattr(provider, "uri", None)
    if not uri:
        raise UserError("network", f"provider {provider.name} has no HTTP URL")
    return str(uri)

"""Anvil's test-only RPC methods through a ``securities_rails.chain.rpc.Chain`` (imported as
``anvil_control``): snapshots, mining, automine."""

from __future__ import annotations

from typing import Any

from securities_rails.chain.rpc import Chain


def request(chain: Chain, method: str, *params: Any) -> Any:
    reply = chain.web3.provider.make_request(method, list(params))
    if "error" in reply:
        raise RuntimeError(f"{method}: {reply['error']}")
    return reply["result"]


def snapshot(chain: Chain) -> str:
    return str(request(chain, "evm_snapshot"))


def revert(chain: Chain, snapshot_id: str) -> None:
    if not request(chain, "evm_revert", snapshot_id):
        raise RuntimeError(f"evm_revert {snapshot_id} refused")


def mine(chain: Chain, blocks: int = 1, timestamp: int | None = None) -> None:
    for _ in range(blocks):
        if timestamp is None:
            request(chain, "evm_mine")
        else:
            request(chain, "evm_mine", timestamp)
            timestamp += 1


def set_automine(chain: Chain, enabled: bool) -> None:
    request(chain, "evm_setAutomine", enabled)

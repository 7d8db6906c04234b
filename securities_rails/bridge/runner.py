"""The validators and the relayer of one bridge, run in this process, step by step.

In production each is its own process (``ape run bridge validator|relayer``, or
``python -m securities_rails.bridge``). The demo runs them here, in turn, so that the story
reads top to bottom: ``settle()`` lets them work until nothing is left to attest or deliver.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from eth_account import Account
from eth_account.signers.local import LocalAccount

from securities_rails.bridge.deployment import BridgeDeployment
from securities_rails.bridge.metrics import Metrics
from securities_rails.bridge.process import endpoints_for
from securities_rails.bridge.relayer import Relayer
from securities_rails.bridge.store import OPEN_STATES, Store
from securities_rails.bridge.validator import Validator


@dataclass
class InProcessBridge:
    """Validators (one per key) and a relayer over one store."""

    deployment: BridgeDeployment
    store: Store
    validators: list[Validator]
    relayer: Relayer

    @classmethod
    def start(
        cls,
        deployment: BridgeDeployment,
        db_url: str,
        validator_keys: Sequence[str],
        relayer_key: str,
    ) -> InProcessBridge:
        store = Store(db_url)
        endpoints = endpoints_for(deployment)
        validators = [
            Validator(deployment, store, _account(key), endpoints, Metrics(f"validator-{n}"))
            for n, key in enumerate(validator_keys)
        ]
        relayer = Relayer(deployment, store, _account(relayer_key), endpoints, Metrics("relayer"))
        return cls(deployment, store, validators, relayer)

    def open_messages(self) -> int:
        """Messages not yet delivered, refunded or failed for good."""
        return len(self.store.messages(OPEN_STATES))

    def settle(self, confirm: Callable[[], None], rounds: int = 6) -> int:
        """Confirm (mine the confirmation depth on both chains), let every validator attest and
        the relayer deliver, until nothing is open; returns how many messages are still open."""
        for _ in range(rounds):
            confirm()
            for validator in self.validators:
                while validator.step():
                    pass
            self.relayer.step()
            if self.open_messages() == 0:
                break
        return self.open_messages()


def _account(key: str) -> LocalAccount:
    return Account.from_key(key)

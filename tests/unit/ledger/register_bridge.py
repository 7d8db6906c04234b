"""A bridge between the book-entry register (the real ``RegisterEndpoint``, home) and the
in-memory chain of ``tests/unit/bridge/bridge_fakes.py`` (``FakeEndpoint``, remote), with the
real validators and relayer over a store in the register's database."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bridge"))

from bridge_fakes import (
    ALICE,
    CAROL,
    RELAYER_KEY,
    REMOTE_CHAIN,
    VALIDATOR_KEYS,
    VALIDATORS,
    FakeEndpoint,
    deployment,
)
from eth_account import Account
from suite_data import ISIN

from securities_rails.bridge.deployment import BridgeDeployment, BridgeSide
from securities_rails.bridge.metrics import Metrics
from securities_rails.bridge.reconciler import Reconciliation, read, reconcile
from securities_rails.bridge.register_endpoint import RegisterEndpoint, configure
from securities_rails.bridge.relayer import Hook, Relayer, no_hook
from securities_rails.bridge.runner import InProcessBridge
from securities_rails.bridge.store import OPEN_STATES, Store
from securities_rails.bridge.validator import Validator
from securities_rails.ledger.models import ISSUANCE, SEGREGATED
from securities_rails.ledger.register import Register

REGISTER_ID = "CSD-TEST"
REGISTER_CHAIN = 71_001
ISSUER, ALICE_ACCOUNT, BOB_ACCOUNT = "ISSUER-APPLE", "ALICE-001", "BOB-001"
ISSUED = 1_000
CONFIRMATIONS = 2  # blocks the validators wait on the chain (the register never reorganises)


@dataclass
class RegisterBridge:
    """The register (home) and a fake chain (remote), its validators and relayer."""

    register: Register
    url: str
    home: RegisterEndpoint
    remote: FakeEndpoint
    deployment: BridgeDeployment
    store: Store
    relayer_hook: Hook = no_hook
    relayers: list[Relayer] = field(default_factory=list)

    @property
    def endpoints(self) -> dict[str, object]:
        return {"home": self.home, "remote": self.remote}

    def validators(self) -> list[Validator]:
        return [
            Validator(
                self.deployment,
                self.store,
                Account.from_key(key),
                self.endpoints,  # type: ignore[arg-type]
                Metrics(f"validator-{n}"),
            )
            for n, key in enumerate(VALIDATOR_KEYS)
        ]

    def relayer(self, hook: Hook = no_hook, pipeline: bool = False) -> Relayer:
        return Relayer(
            self.deployment,
            self.store,
            Account.from_key(RELAYER_KEY),
            self.endpoints,  # type: ignore[arg-type]
            Metrics("relayer"),
            hook=hook,
            pipeline=pipeline,
        )

    def settle(self, hook: Hook = no_hook, pipeline: bool = False, rounds: int = 8) -> int:
        """Validators and a (new) relayer until nothing is open, twice (a transfer its
        destination failed is closed before its refund is attested: the second pass carries
        the refund); the messages left open."""
        bridge = InProcessBridge(
            self.deployment, self.store, self.validators(), self.relayer(hook, pipeline)
        )
        bridge.settle(lambda: self.remote.mine(CONFIRMATIONS), rounds)
        return bridge.settle(lambda: self.remote.mine(CONFIRMATIONS), rounds)

    def open_messages(self) -> int:
        return len(self.store.messages(OPEN_STATES))

    def reconciliation(self) -> Reconciliation:
        return reconcile(read(self.home, self.remote))  # type: ignore[arg-type]

    def holding(self, account: str) -> int:
        return self.register.holding(account, ISIN)

    @property
    def omnibus(self) -> str:
        found = self.register.digital_omnibus(ISIN, REMOTE_CHAIN)
        assert found is not None
        return found.id

    def deposit(self, account: str) -> str:
        return self.home.deposit_address(account)


def open_books(register: Register) -> None:
    register.open_account(ISSUER, "Apple Inc.", ISSUANCE)
    register.open_account(ALICE_ACCOUNT, "Alice Example", SEGREGATED)
    register.open_account(BOB_ACCOUNT, "Bob Example", SEGREGATED)
    register.add_instrument(ISIN, ISSUER)
    register.issue(ISIN, ALICE_ACCOUNT, ISSUED, "ISSUE-0001")


def make_bridge(register: Register, url: str) -> RegisterBridge:
    """A register with accounts and an issue, its endpoint peered with a fake BridgeMint."""
    open_books(register)
    remote_side = deployment().remote
    row = configure(
        register,
        register_id=REGISTER_ID,
        chain_id=REGISTER_CHAIN,
        isin=ISIN,
        peer_chain_id=REMOTE_CHAIN,
        peer_bridge=remote_side.endpoint,
        validators=VALIDATORS,
        threshold=2,
        confirmations=CONFIRMATIONS,
    )
    home_side = BridgeSide(
        "home", REGISTER_CHAIN, url, row.address, row.address, None, 0, kind="register"
    )
    home = RegisterEndpoint(home_side, register)
    # The chain waits for no confirmation of the register's blocks (it has no reorganisation).
    remote = FakeEndpoint(remote_side, list(VALIDATORS), 2, 0)
    remote.other = home  # type: ignore[assignment]
    plan = BridgeDeployment(ISIN, home_side, remote_side)
    return RegisterBridge(register, url, home, remote, plan, Store(url))


Crash = Callable[[str], None]
__all__ = ["ALICE", "CAROL", "RELAYER_KEY", "VALIDATOR_KEYS", "FakeEndpoint", "RegisterBridge"]

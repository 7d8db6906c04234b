"""Stateful property test: reconciliation holds across the book-entry register AND a chain.

``test_reconciliation_holds_across_the_register_and_the_chain`` (on SQLite and on PostgreSQL): a
hypothesis ``RuleBasedStateMachine`` drives a REAL register (securities_rails/ledger) bridged to
a REAL ``BridgeMint`` and mirror on an Anvil of this module's own (``deploy_mint_for_register``,
as tests/e2e/test_ledger_bridge_flow.py), with the real validators (five keys, three needed)
and relayer in this process, against a Python model (tests/e2e/ledger_model.py).

Each example starts from the same known state: the chain is rolled back to the snapshot taken
after deployment (``evm_revert``: the BridgeMint peered with the register's bridge address, two
wallets registered, no supply), and the register, its endpoint and the processes' store live in
a NEW database (a SQLite file, or a new PostgreSQL database on the session's server) with the
same register id and ISIN, so the register's bridge address, and the chain's peer entry for
it, are the same in every example. The chain's rate limits are out of reach (no transfer is
queued): what is tested is conservation, not the limits (test_bridge_conservation_flow.py).

Accounts: the issuer's issuance account, three segregated client accounts; wallets alice and
bob registered on the chain, carol not. Rules (amounts random, some on purpose over what the
account or wallet holds):

* register: ``issue`` more to a client; ``transfer`` between client accounts (over the holding,
  or to itself: refused, ``LACK`` / ``SAFE``, nothing moves); ``redeem`` to the issuance account
  (a ``redeem`` movement; over the holding: ``LACK``);
* book entry -> wallet, through ``RegisterEndpoint.send_from_account`` or a sese.023 imported
  with ``ledger.operations.import_instruction``: more than the account holds is refused (``LACK``,
  a sese.024), nothing moves; to carol through the endpoint, the mint refuses it (``Failed`` on
  the chain) and the refund is credited back to the account; to carol through a sese.023, the
  register refuses it before anything moves (``SAFE``: it asks the chain's rules first);
* wallet -> book entry: ``BridgeMint.send`` to an account's deposit address, or to an address
  no account has, or to the issuance account's (refused by the register, refunded on the
  chain); more than the wallet holds is refused by the chain and moves nothing;
* wallet -> wallet on the chain (to carol: refused by the mirror's rules, nothing moves);
* ``attest``: mine the chain's confirmation depth, then step some validators (sometimes fewer
  than the threshold) to the head; ``relay``: one relayer iteration. Apart, so transfers stay
  in flight across steps. Before its step the process (for ``attest``, its first validator)
  may be restarted (dropped, new objects on the same database) or killed at one of its
  CRASH_POINTS (an exception from its ``hook``, as in test_bridge_conservation_flow.py) and
  restarted: it must finish the job exactly once.

Each example starts with units issued to two clients and some of them sent to wallets (in
half the examples attested and relayed at once), with a relayer that is plain (each
transaction awaited) or pipelined (batches, receipts recorded by the next iteration).

In flight is the model's alone: the amount of every transfer sent and neither delivered nor
paid back (ledger_model.py). After EVERY step (``@invariant``):

* issued (the register's issuance total) == client holdings in the register (the digital
  omnibus excluded) + mirror supply on the chain + in flight;
* the digital omnibus holds the mirror supply + in flight (it is the lock);
* every client account's holding, every wallet's balance, the issue and the supply equal the
  model's; each transfer's status on its destination and on its source is the model's;
* the ledger's reconciliation (``ledger.operations.reconcile``, what ``ape run ledger
  reconcile`` prints) and the bridge's ``Reconciler`` report ok, and their in-flight figures
  (per direction for the bridge's) equal the model's; when the model says nothing is in flight,
  both say so too.

A relayer iteration must bring everything due a step further (``LedgerModel.due``). At the end
of each example the validators attest and the relayer relays until nothing is in flight; then
the processes' store has nothing open and both reconciliations are ok with nothing in flight.

Sizes come from the hypothesis profile (tests/conftest.py): "default", 25 examples of up to 20
steps, about 1.5 minutes per database on the 2-core machine; HYPOTHESIS_PROFILE=fuzz, 1,000
of up to 50. ``-s`` prints what the state machine did.
"""

from __future__ import annotations

import functools
import itertools
import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from ape import accounts
from bridge_world import (
    CONFIRMATIONS,
    THRESHOLD,
    VALIDATOR_KEYS,
    VALIDATORS,
    Killed,
    kill_at,
    params,
    rpc,
)
from eth_account import Account
from eth_account.signers.local import LocalAccount
from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from ledger_model import BACK, FAILED, OUT, Flight, LedgerModel
from suite_data import GERMANY, ISIN, YEAR, instrument_data

from securities_rails.bridge.deploy import Limits, Signers, deploy_mint_for_register
from securities_rails.bridge.deployment import BridgeDeployment, BridgeSide
from securities_rails.bridge.endpoint import Endpoint, endpoint_abi
from securities_rails.bridge.messages import Message
from securities_rails.bridge.metrics import Metrics
from securities_rails.bridge.reconciler import Reconciler
from securities_rails.bridge.register_book import bridge_address
from securities_rails.bridge.register_endpoint import RegisterEndpoint, configure
from securities_rails.bridge.relayer import CRASH_POINTS as RELAYER_CRASH_POINTS
from securities_rails.bridge.relayer import Relayer
from securities_rails.bridge.store import OPEN_STATES, Store
from securities_rails.bridge.validator import CRASH_POINTS as VALIDATOR_CRASH_POINTS
from securities_rails.bridge.validator import Validator
from securities_rails.chain.anvil import AnvilNode, free_port
from securities_rails.chain.contracts import pending_timestamp, registry_at, token_at
from securities_rails.chain.networks import connected
from securities_rails.chain.rpc import Contract, RevertError, load_abi, merge_abis
from securities_rails.identifiers import investor_id_hash
from securities_rails.ledger.instructions import LedgerInstruction, build_instruction
from securities_rails.ledger.models import ISSUANCE, REDEEM, SEGREGATED, TRANSFER
from securities_rails.ledger.operations import Ledger, import_instruction, reconcile
from securities_rails.ledger.register import RefusedError, Register

CHAIN = 31_371
REGISTER_CHAIN = 71_371
REGISTER_ID = "CSD-PROPERTY"
ISSUER = "ISSUER-EXAG"
CLIENTS = ("ALICE-001", "BOB-001", "CAROL-001")
NOWHERE = "0x" + "77" * 20  # no account's deposit address
# Wallets by index in the test mnemonic: the relayer is the admin (0), the registrar is 2.
WALLETS = {"alice": 3, "bob": 4, "carol": 5}
REGISTERED = frozenset({"alice", "bob"})  # carol is not registered on the chain
# Far beyond anything the machine moves: no transfer is ever queued by a rate limit.
NO_LIMIT = Limits(capacity=10**15, rate=10**12)
# OpenZeppelin's IERC20Errors.ERC20InsufficientBalance, which the token and a send bubble up.
ERC20: list[dict[str, Any]] = [
    {
        "type": "error",
        "name": "ERC20InsufficientBalance",
        "inputs": [
            {"name": "sender", "type": "address"},
            {"name": "balance", "type": "uint256"},
            {"name": "needed", "type": "uint256"},
        ],
    }
]
PG_BIN = Path(os.environ.get("SECURITIES_RAILS_PG_BIN", "/usr/lib/postgresql/15/bin"))
STATS: Counter[str] = Counter()
EXAMPLES = itertools.count()


# ---------------------------------------------------------------------- the chain, deployed once


@dataclass
class ChainWorld:
    """The chain side, deployed once for the module: a BridgeMint and its mirror peered with
    the register's pseudo chain id and bridge address, alice and bob registered."""

    node: AnvilNode
    remote: BridgeSide
    chain: Endpoint
    mirror: Contract  # the mirror token, decoding ERC20InsufficientBalance too
    bridge: Contract  # the BridgeMint, decoding ERC20InsufficientBalance too
    keys: dict[str, LocalAccount]
    snapshot: str = ""

    def take_snapshot(self) -> None:
        self.snapshot = rpc(self.node.url, "evm_snapshot")

    def revert(self) -> None:
        assert rpc(self.node.url, "evm_revert", self.snapshot)
        self.take_snapshot()  # a snapshot is used up by reverting to it

    def confirm(self) -> None:
        rpc(self.node.url, "anvil_mine", hex(CONFIRMATIONS))

    def mined(self) -> None:
        """Wait until the node has mined every transaction it was sent (it automines, but a
        batch broadcast by the pipelined relayer may still be in its pool)."""
        deadline = time.monotonic() + 30
        while int(rpc(self.node.url, "txpool_status")["pending"], 16):
            assert time.monotonic() < deadline, "transactions left unmined"
            time.sleep(0.002)


@pytest.fixture(scope="module")
def chain_world(tmp_path_factory: Any) -> Iterator[ChainWorld]:
    directory = tmp_path_factory.mktemp("ledger-conservation")
    admin, registrar = accounts.test_accounts[0], accounts.test_accounts[2]
    node = AnvilNode(chain_id=CHAIN, port=free_port()).start()
    try:
        remote = deploy_mint_for_register(
            ISIN,
            node.url,
            REGISTER_CHAIN,
            bridge_address(REGISTER_ID, ISIN),
            params(
                admin.address,
                home_confirmations=0,  # the register never reorganises
                outbound=NO_LIMIT,
                inbound=NO_LIMIT,
                max_transfer=NO_LIMIT.capacity,
            ),
            Signers(deployer=admin, home_registrar=registrar, remote_registrar=registrar),
            instrument_data(),
            "Example AG",
            "EXAG",
            directory=directory,
        )
        keys = {
            name: Account.from_key(accounts.test_accounts[index].private_key)
            for name, index in {**WALLETS, "relayer": 0}.items()
        }
        with connected(node.url):
            registry = registry_at(token_at(remote.token).registry())
            expiry = pending_timestamp() + 5 * YEAR
            for name in sorted(REGISTERED):
                registry.registerInvestor(
                    keys[name].address,
                    investor_id_hash(name.upper()),
                    GERMANY,
                    1,
                    expiry,
                    sender=registrar,
                )
        chain = Endpoint(remote)
        world = ChainWorld(
            node,
            remote,
            chain,
            chain.chain.contract(remote.token, merge_abis(load_abi("ISecurityToken"), ERC20)),
            chain.chain.contract(remote.endpoint, merge_abis(endpoint_abi(), ERC20)),
            keys,
        )
        world.take_snapshot()
        yield world
    finally:
        node.stop()


# ---------------------------------------------------------------------- a database per example


@dataclass
class Databases:
    """A new, empty database per example: a SQLite file, or a database on the PostgreSQL
    server of tests/conftest.py (``postgres_url``)."""

    kind: str
    directory: Path
    server: str | None = None

    def new(self) -> str:
        n = next(EXAMPLES)
        if self.server is None:
            return f"sqlite:///{self.directory / f'example-{n}.sqlite3'}"
        name = f"ledger_property_{os.getpid()}_{n}"
        self._admin(f'CREATE DATABASE "{name}"')
        return self.server.replace("/postgres?", f"/{name}?")

    def drop(self, url: str) -> None:
        if self.server is None:
            path = url.removeprefix("sqlite:///")
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        else:
            name = url.split("/")[-1].split("?")[0]
            self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def _admin(self, statement: str) -> None:
        import psycopg

        assert self.server is not None
        host = self.server.split("host=")[1].split("&")[0]
        port = self.server.split("port=")[1]
        with psycopg.connect(
            host=host, port=port, user="rails", dbname="postgres", autocommit=True
        ) as connection:
            connection.execute(statement)


@pytest.fixture(params=["sqlite", "postgresql"])
def databases(request: Any, tmp_path: Path) -> Databases:
    """As ``register_url`` of tests/unit/ledger/conftest.py: SQLite, and PostgreSQL (skipped,
    saying why, when it is not installed)."""
    if request.param == "sqlite":
        return Databases("sqlite", tmp_path)
    if not (PG_BIN / "pg_ctl").exists():
        pytest.skip(
            f"PostgreSQL is not installed: no pg_ctl in {PG_BIN} (install postgresql-15 or set "
            "SECURITIES_RAILS_PG_BIN); the SQLite run covers the same property"
        )
    return Databases("postgresql", tmp_path, str(request.getfixturevalue("postgres_url")))


# ---------------------------------------------------------------------- strategies


def _weighted(*choices: tuple[int, st.SearchStrategy[Any]]) -> st.SearchStrategy[Any]:
    pool = [strategy for weight, strategy in choices for _ in range(weight)]
    return st.sampled_from(range(len(pool))).flatmap(lambda i: pool[i])


# An amount: ("up to", n) is n capped at the holding; ("all", _) the holding; ("over", _) one
# more than the holding (refused on purpose).
amounts = _weighted(
    (6, st.tuples(st.just("up to"), st.integers(1, 400))),
    (1, st.tuples(st.just("all"), st.none())),
    (1, st.tuples(st.just("over"), st.none())),
)
clients = st.sampled_from(CLIENTS)
to_wallets = st.sampled_from(("alice", "bob", "alice", "bob", "carol"))  # carol: refused
# Where a wallet sends units back: a client account, or a deposit address that is no client's.
to_accounts = st.sampled_from((*CLIENTS, *CLIENTS, NOWHERE, ISSUER))
holders = st.sampled_from(sorted(REGISTERED))
# What befalls a process before its step: nothing (None); "restart", dropped between steps and
# started again on the same database (new objects); or (crash point, n): killed the n-th time it
# reaches that point (an exception from its hook), then started again on the same database.
Fate = str | tuple[str, int] | None


def resolve(raw: tuple[str, int | None], held: int) -> int:
    """The quantity ``raw`` stands for against a holding of ``held`` (never zero: the register
    refuses a zero quantity before it looks at the holding)."""
    kind, value = raw
    if kind == "over" or held == 0:
        return held + 1
    if kind == "all":
        return held
    assert value is not None
    return min(value, held)


def note(label: str) -> None:
    """What happened, in hypothesis's statistics and in the summary printed with ``-s``."""
    event(label)
    STATS[label] += 1


def step(function: Callable[..., None]) -> Callable[..., None]:
    """A rule: counted in the statistics, and the ledgers are read afresh after it."""

    @functools.wraps(function)
    def rule_body(self: LedgerMachine, *args: Any, **kwargs: Any) -> None:
        STATS[f"rule {function.__name__}"] += 1
        self._reading = None
        function(self, *args, **kwargs)

    return rule_body


# ---------------------------------------------------------------------- the machine


class LedgerMachine(RuleBasedStateMachine):
    """The register (a new database), the chain (rolled back), the processes, and the model."""

    def __init__(self, world: ChainWorld, databases: Databases) -> None:
        super().__init__()
        STATS["examples"] += 1
        self.w = world
        self.databases = databases
        world.revert()
        self.url = databases.new()
        self.register = Register(self.url)
        self.stores: list[Store] = []
        self.pipeline = False  # the relayer's mode, drawn by `issue_to_clients`
        try:
            self._open_books()
            self.reader = self._store()
            self.validators = [self._validator(i) for i in range(len(VALIDATOR_KEYS))]
            self.relayer = self._relayer()
        except BaseException:
            self._close()
            raise
        self.reconciler = Reconciler(self.home, world.chain, Metrics("reconciler"))  # type: ignore[arg-type]
        self.model = LedgerModel(
            holdings=dict.fromkeys(CLIENTS, 0),
            wallets=dict.fromkeys(WALLETS, 0),
            registered=REGISTERED,
            threshold=THRESHOLD,
        )
        self.references = itertools.count()
        self._reading: dict[str, Any] | None = None

    def _open_books(self) -> None:
        register = self.register
        register.open_account(ISSUER, "Example AG", ISSUANCE)
        for account in CLIENTS:
            register.open_account(account, f"{account.split('-')[0].title()} Example", SEGREGATED)
        register.add_instrument(ISIN, ISSUER)
        row = configure(
            register,
            register_id=REGISTER_ID,
            chain_id=REGISTER_CHAIN,
            isin=ISIN,
            peer_chain_id=CHAIN,
            peer_bridge=self.w.remote.endpoint,
            validators=VALIDATORS,
            threshold=THRESHOLD,
            confirmations=CONFIRMATIONS,
        )
        peer = self.w.chain.peer(REGISTER_CHAIN)
        assert row.address == peer.bridge, "the chain is not peered with this register's endpoint"
        home = BridgeSide(
            "home", REGISTER_CHAIN, self.url, row.address, row.address, None, 0, kind="register"
        )
        self.deployment = BridgeDeployment(ISIN, home, self.w.remote)
        self.home = RegisterEndpoint(home, register)
        self.endpoints: dict[str, Any] = {"home": self.home, "remote": self.w.chain}
        self.ledger = Ledger(self.deployment, register)
        # The deposit addresses a holder can send to: the clients', the issuance account's
        # (not a client account: refused) and one no account has.
        self.deposits = {a: self.home.deposit_address(a) for a in (*CLIENTS, ISSUER)}
        self.deposits[NOWHERE] = NOWHERE

    # ------------------------------------------------------------------ processes

    def _store(self) -> Store:
        store = Store(self.url)
        self.stores.append(store)
        return store

    def _drop_store(self, store: Store) -> None:
        store.close()
        self.stores.remove(store)

    def _validator(self, index: int, hook: Callable[[str], None] | None = None) -> Validator:
        """A validator process: its own connection to the database, as a process has."""
        store = self._store() if hook is None else self.validators[index].store
        return Validator(
            self.deployment,
            store,
            Account.from_key(VALIDATOR_KEYS[index]),
            self.endpoints,
            Metrics(f"validator-{index}"),
            **({} if hook is None else {"hook": hook}),
        )

    def _relayer(self, hook: Callable[[str], None] | None = None) -> Relayer:
        store = self._store() if hook is None else self.relayer.store
        return Relayer(
            self.deployment,
            store,
            self.w.keys["relayer"],
            self.endpoints,
            Metrics("relayer"),
            receipt_timeout=30,
            pipeline=self.pipeline,
            **({} if hook is None else {"hook": hook}),
        )

    def restart_validator(self, index: int) -> None:
        self._drop_store(self.validators[index].store)
        self.validators[index] = self._validator(index)

    def restart_relayer(self) -> None:
        self._drop_store(self.relayer.store)
        self.relayer = self._relayer()

    def run_validators(self, indices: tuple[int, ...]) -> None:
        for index in indices:
            while self.validators[index].step():
                pass
        self.model.attested({VALIDATORS[i] for i in indices})

    def reference(self) -> str:
        return f"PROP-{next(self.references):04d}"

    # ------------------------------------------------------------------ rules: the register

    @initialize(
        quantities=st.tuples(st.integers(1, 1_000), st.integers(0, 1_000)),
        tokenised=st.lists(st.tuples(to_wallets, st.integers(1, 400)), max_size=3),
        delivered=st.booleans(),
        pipeline=st.booleans(),
    )
    @step
    def issue_to_clients(
        self,
        quantities: tuple[int, int],
        tokenised: list[tuple[str, int]],
        delivered: bool,
        pipeline: bool,
    ) -> None:
        """Every example starts with units in the first two client accounts, and the first
        one's tokenised to wallets, in half the examples attested and relayed at once (so
        wallets hold units, or a refund is open, from the first step). The relayer runs plain
        (one transaction at a time, each awaited) or ``pipeline``d (batches; receipts recorded
        by the next iteration) for the whole example."""
        self.pipeline = pipeline
        self.restart_relayer()
        note(f"relayer {'pipelined' if pipeline else 'plain'}")
        for account, quantity in zip(CLIENTS, quantities, strict=False):
            if quantity:
                self._issue(account, quantity)
        for wallet, quantity in tokenised:
            held = self.model.holdings[CLIENTS[0]]
            if held:
                self._tokenise(CLIENTS[0], wallet, min(quantity, held), sese023=False)
        if delivered:
            self._attest(tuple(range(THRESHOLD)), None)
            self._relay(None)

    def _issue(self, account: str, quantity: int) -> None:
        movement = self.register.issue(ISIN, account, quantity, self.reference())
        assert (movement.debit, movement.credit, movement.quantity) == (ISSUER, account, quantity)
        self.model.issue(account, quantity)

    def _move(self, kind: str, debit: str, credit: str, quantity: int) -> None:
        if kind == REDEEM:
            expected = self.model.redeem(debit, quantity)
        else:
            expected = self.model.transfer(debit, credit, quantity)
        try:
            self.register.move(self.reference(), ISIN, debit, credit, quantity, kind)
        except RefusedError as refusal:
            assert refusal.reason == expected, f"{kind} {quantity}: {refusal.reason}: {refusal}"
        else:
            assert expected is None, f"{kind} {quantity} {debit} -> {credit} not refused"
        note(f"{kind}: {expected or 'booked'}")

    @rule(
        kind=st.sampled_from(("issue", TRANSFER, TRANSFER, REDEEM)),
        debit=clients,
        credit=clients,
        raw=amounts,
        quantity=st.integers(1, 500),
    )
    @step
    def register_movement(
        self, kind: str, debit: str, credit: str, raw: tuple[str, int | None], quantity: int
    ) -> None:
        """In the register alone: ``issue`` more to ``credit``; a ``transfer`` between client
        accounts (to itself, or over the holding: refused); a ``redeem`` back to the issuance
        account (over the holding: refused). One rule, so that the bridge's rules weigh more."""
        if kind == "issue":
            self._issue(credit, quantity)
        elif kind == TRANSFER:
            self._move(TRANSFER, debit, credit, resolve(raw, self.model.holdings[debit]))
        else:
            self._move(REDEEM, debit, ISSUER, resolve(raw, self.model.holdings[debit]))

    # ------------------------------------------------------------------ rules: the bridge

    @rule(account=clients, wallet=to_wallets, raw=amounts, sese023=st.booleans())
    @step
    def book_entry_to_wallet(
        self, account: str, wallet: str, raw: tuple[str, int | None], sese023: bool
    ) -> None:
        """Tokenise: the endpoint's ``send_from_account`` (to carol: refused by the mint,
        refunded), or a sese.023 import (to carol: refused by the register before anything
        moves). Over the holding: refused (LACK), nothing moves."""
        self._tokenise(account, wallet, resolve(raw, self.model.holdings[account]), sese023)

    def _tokenise(self, account: str, wallet: str, quantity: int, sese023: bool) -> None:
        expected = self.model.refusal(account, quantity)
        if expected is None and sese023 and wallet not in REGISTERED:
            expected = "SAFE"  # the register asks the chain's rules first
        address, reference = self.w.keys[wallet].address, self.reference()
        message: Message | None = None
        if sese023:
            xml = build_instruction(
                LedgerInstruction(
                    reference, ISIN, Decimal(quantity), account, address, date(2026, 3, 2)
                )
            )
            imported = import_instruction(self.ledger, xml)
            refused = None if imported.refusal is None else imported.refusal.reason
            assert (imported.status is None) == (refused is None), "a refusal without a sese.024"
            message = imported.message
        else:
            try:
                message = self.home.send_from_account(account, address, ISIN, quantity, reference)
                refused = None
            except RefusedError as refusal:
                refused = refusal.reason
        assert refused == expected, f"tokenise {quantity} to {wallet}: {refused}, not {expected}"
        if message is not None:
            assert (message.recipient, message.amount) == (address, quantity)
            self.model.to_wallet(account, wallet, message)
        how = "sese.023" if sese023 else "endpoint"
        note(f"book entry -> {wallet} ({how}): {refused or 'sent'}")

    @precondition(lambda self: self.model.supply)
    @rule(wallet=holders, to=to_accounts, raw=amounts)
    @step
    def wallet_to_book_entry(self, wallet: str, to: str, raw: tuple[str, int | None]) -> None:
        """Detokenise: ``BridgeMint.send`` to a deposit address (no account's, or the issuance
        account's: refused by the register, refunded on the chain). Over the balance: refused
        by the chain, nothing moves."""
        quantity = resolve(raw, self.model.wallets[wallet])
        key, chain = self.w.keys[wallet], self.w.chain
        chain.chain.send(key, self.w.mirror, "approve", chain.address, quantity)
        try:
            receipt = chain.chain.send(
                key, self.w.bridge, "send", REGISTER_CHAIN, self.deposits[to], quantity
            )
        except RevertError as error:
            assert quantity > self.model.wallets[wallet], f"send {quantity}: {error}"
            assert error.error == "ERC20InsufficientBalance", f"send {quantity}: {error}"
            note(f"wallet -> book entry: refused {error.error}")
            return
        (log,) = chain.events("MessageSent", receipt.block_number, receipt.block_number)
        message = Message.from_event(log.args)
        assert (message.recipient, message.amount) == (self.deposits[to], quantity)
        self.model.to_account(wallet, to, to in CLIENTS, message)
        where = "a client" if to in CLIENTS else "no account" if to == NOWHERE else to
        note(f"wallet -> book entry: to {where}")

    @precondition(lambda self: self.model.supply)
    @rule(sender=holders, to=st.sampled_from(tuple(WALLETS)), raw=amounts)
    @step
    def wallet_to_wallet(self, sender: str, to: str, raw: tuple[str, int | None]) -> None:
        """A transfer on the chain; to carol (not registered) or over the balance: refused."""
        if to == sender:
            to = next(w for w in REGISTERED if w != sender)
        quantity = resolve(raw, self.model.wallets[sender])
        expected = None
        if quantity > self.model.wallets[sender]:
            expected = "ERC20InsufficientBalance"
        elif to not in REGISTERED:
            expected = "TransferRestricted"
        try:
            self.w.chain.chain.send(
                self.w.keys[sender], self.w.mirror, "transfer", self.w.keys[to].address, quantity
            )
            refused = None
        except RevertError as error:
            refused = error.error or str(error)
        assert refused == expected, f"{sender} -> {to} {quantity}: {refused}, not {expected}"
        assert self.model.wallet_transfer(sender, to, quantity) == (expected is None)
        note(f"wallet -> wallet: {refused or 'moved'}")

    # ------------------------------------------------------------------ rules: processes

    @precondition(lambda self: self.model.open_flights())
    @rule(
        indices=st.sets(st.integers(0, len(VALIDATOR_KEYS) - 1), min_size=1),
        restart=st.booleans(),
    )
    @step
    def attest(self, indices: set[int], restart: bool) -> None:
        """Mine the chain's confirmation depth, then step some validators (maybe fewer than the
        threshold) until they have nothing left to scan; the first of them maybe restarted
        first (dropped between steps, new objects on the same database)."""
        self._attest(tuple(sorted(indices)), "restart" if restart else None)

    @precondition(lambda self: self.unsigned())
    @rule(
        data=st.data(),
        point=st.sampled_from(VALIDATOR_CRASH_POINTS),
        nth=st.integers(1, 2),
        others=st.sets(st.integers(0, len(VALIDATOR_KEYS) - 1)),
    )
    @step
    def attest_after_a_crash(
        self, data: st.DataObject, point: str, nth: int, others: set[int]
    ) -> None:
        """A validator with something to sign killed at a crash point (the ``nth`` time it
        reaches it), restarted on the same database and run to the head with ``others``: it
        committed all or nothing of the scan it died in, and signs each message once."""
        index = data.draw(st.sampled_from(self.unsigned()), label="validator")
        self._attest((index, *sorted(others - {index})), (point, nth))

    def unsigned(self) -> list[int]:
        """The validators that have something to sign."""
        missing: set[str] = set()
        for flight in self.model.open_flights():
            if flight.state == FAILED:
                missing |= set(VALIDATORS) - flight.refund_signers
            else:
                missing |= set(VALIDATORS) - flight.signers
        return [i for i, address in enumerate(VALIDATORS) if address in missing]

    def _attest(self, chosen: tuple[int, ...], fate: Fate) -> None:
        self.w.confirm()
        if isinstance(fate, tuple):
            doomed = self._validator(chosen[0], hook=kill_at(*fate))
            try:
                while doomed.step():
                    pass
            except Killed:
                note(f"validator killed {fate[0]}")
        if fate is not None:
            self.restart_validator(chosen[0])
        self.run_validators(chosen)
        note(f"attest by {len(chosen)}")

    @precondition(lambda self: self.model.open_flights())
    @rule(restart=st.booleans())
    @step
    def relay(self, restart: bool) -> None:
        """One relayer iteration, maybe after a restart (dropped between steps, new objects on
        the same database). Everything due (``LedgerModel.due``) must be a step further,
        exactly once: a transfer delivered or refused, a refund paid."""
        self._relay("restart" if restart else None)

    @precondition(lambda self: self.model.due())
    @rule(point=st.sampled_from(RELAYER_CRASH_POINTS), nth=st.integers(1, 2))
    @step
    def relay_after_a_crash(self, point: str, nth: int) -> None:
        """A relayer killed at a crash point (the ``nth`` time it reaches it) while something
        is due, then restarted on the same database: its iteration must bring everything due a
        step further, each exactly once, whatever the dead one did."""
        self._relay((point, nth))

    def _relay(self, fate: Fate) -> None:
        if isinstance(fate, tuple):
            doomed = self._relayer(hook=kill_at(*fate))
            try:
                doomed.step()
            except Killed:
                note(f"relayer killed {fate[0]}")
            self.w.mined()
        if fate is not None:
            self.restart_relayer()
        self.relayer.step()
        self.w.mined()
        for flight in self.model.relayed():
            note(f"relayed {flight.direction}: {flight.state}")

    # tokenising, detokenising and relaying weigh twice as much as the other rules
    book_entry_to_wallet_too = book_entry_to_wallet
    wallet_to_book_entry_too = wallet_to_book_entry
    attest_too = attest
    relay_too = relay

    # ------------------------------------------------------------------ invariants

    def reading(self) -> dict[str, Any]:
        """Both ledgers, read once after each step."""
        if self._reading is None:
            register, mirror = self.register, self.w.mirror
            digital = register.digital_omnibus(ISIN, CHAIN)
            assert digital is not None
            self._reading = {
                "issued": register.issued(ISIN),
                "holdings": {a: register.holding(a, ISIN) for a in CLIENTS},
                "omnibus": register.holding(digital.id, ISIN),
                "wallets": {
                    w: int(mirror.call("balanceOf", key.address))
                    for w, key in self.w.keys.items()
                    if w in WALLETS
                },
                "supply": int(mirror.call("totalSupply")),
            }
        return self._reading

    @invariant()
    def issued_is_book_entry_plus_chain_plus_in_flight(self) -> None:
        seen, in_flight = self.reading(), self.model.in_flight()
        book = sum(seen["holdings"].values())
        assert seen["issued"] == book + seen["supply"] + in_flight, (
            f"issued {seen['issued']} != book entry {book} + supply {seen['supply']} + in flight "
            f"{in_flight} ({self.model.describe_open()})"
        )
        assert seen["omnibus"] == seen["supply"] + in_flight, (
            f"digital omnibus {seen['omnibus']} != supply {seen['supply']} + in flight "
            f"{in_flight} ({self.model.describe_open()})"
        )
        STATS["invariant checks"] += 1

    @invariant()
    def balances_as_modelled(self) -> None:
        seen = self.reading()
        assert seen["holdings"] == self.model.holdings, f"register: {seen['holdings']}"
        assert seen["wallets"] == self.model.wallets, f"chain: {seen['wallets']}"
        assert seen["issued"] == self.model.issued, f"issued {seen['issued']}"
        assert seen["supply"] == self.model.supply, f"mirror supply {seen['supply']}"

    @invariant()
    def statuses_as_modelled(self) -> None:
        for flight in self.model.flights:
            source, destination = self._ends(flight)
            inbound = destination.inbound_status(flight.message.message_id())
            outbound = source.outbound(flight.message.nonce)
            expected = flight.expected_statuses()
            assert (inbound, outbound.status) == expected, (
                f"{flight.describe()}: {inbound.name} / {outbound.status.name}"
            )
            assert outbound.message_hash == flight.message.abi_hash(), flight.describe()

    def _ends(self, flight: Flight) -> tuple[Any, Any]:
        chain, home = self.w.chain, self.home
        return (home, chain) if flight.direction == OUT else (chain, home)

    @invariant()
    def reconciliations_agree(self) -> None:
        """The ledger's reconciliation and the bridge's reconciler: ok, with the model's in
        flight (so both say nothing is in flight exactly when the model does)."""
        ledger = reconcile(self.ledger)
        assert ledger.ok, "\n".join([*ledger.differences, *ledger.lines()])
        assert ledger.in_flight == self.model.in_flight(), ledger.lines()
        assert (ledger.issued, ledger.book, ledger.supply) == (
            self.model.issued,
            self.model.book,
            self.model.supply,
        ), ledger.lines()
        self.reconciler.step()  # raises ConservationError when broken
        bridge = self.reconciler.last
        assert bridge is not None and bridge.ok, bridge and bridge.lines()
        assert bridge.outbound_in_flight == self.model.in_flight(OUT), bridge.lines()
        assert bridge.return_in_flight == self.model.in_flight(BACK), bridge.lines()
        if not self.model.in_flight():
            STATS["reconciled with nothing in flight"] += 1

    # ------------------------------------------------------------------ the end of an example

    def teardown(self) -> None:
        try:
            if sys.exc_info()[0] is None:  # the example passed so far: everything must land
                self.settle()
        finally:
            self._close()

    def settle(self) -> None:
        """Attest with every validator and relay until nothing is in flight; then nothing is
        open in the store, and both reconciliations are ok with nothing in flight."""
        rounds = 0
        while self.model.open_flights():
            rounds += 1
            assert rounds <= 3, f"still in flight: {self.model.describe_open()}"
            self._attest(tuple(range(len(VALIDATOR_KEYS))), None)
            self._relay(None)
        STATS[f"settled in {rounds} rounds"] += 1
        self.relayer.step()  # a pipelined relayer records the last batch's receipts now
        self.w.mined()
        self._reading = None
        self.issued_is_book_entry_plus_chain_plus_in_flight()
        self.balances_as_modelled()
        self.statuses_as_modelled()
        self.reconciliations_agree()
        assert not self.reader.messages(OPEN_STATES), "the store still has open messages"
        ledger = reconcile(self.ledger)
        assert ledger.ok and ledger.in_flight == 0 and ledger.difference == 0, ledger.lines()

    def _close(self) -> None:
        for store in list(self.stores):
            self._drop_store(store)
        self.register.close()
        self.databases.drop(self.url)


# ---------------------------------------------------------------------- the test


def test_reconciliation_holds_across_the_register_and_the_chain(
    chain_world: ChainWorld, databases: Databases
) -> None:
    STATS.clear()
    try:
        run_state_machine_as_test(
            lambda: LedgerMachine(chain_world, databases), settings=settings()
        )
    finally:
        print(f"\nledger state machine ({databases.kind}): {STATS['examples']} examples")
        for label, count in sorted(STATS.items()):
            print(f"  {count:6d}  {label}")

"""Stateful property test: whatever happens to the bridge, units are conserved on the two chains.

``test_units_are_conserved_across_both_chains_whatever_happens``: a hypothesis
``RuleBasedStateMachine`` drives the REAL contracts on the two Anvils of the ``bridge_world``
fixture (tests/bridge_world.py), and the real validators and relayer in this process, against a
Python model (tests/e2e/bridge_model.py). Each example starts from the same state: both chains
rolled back (``BridgeWorld.revert``), the processes on an empty database, and alice's first
sends (half the time attested and relayed at once, so the remote side has holders). Rules:

* send home -> remote (lock) from a holder to alice or bob, sometimes to carol, who is not
  registered on the remote: the mint is refused there (``Failed``), then refunded at home;
* send remote -> home (burn) from a holder of mirror units, sometimes to dave, who is registered
  nowhere: refused at home, then the refund is minted on the remote; some sends are refused
  (over the maximum, over the balance, direction paused) and must change nothing;
* attest: mine the confirmation depth, step some validators (sometimes fewer than the
  threshold); relay: step the relayer. Apart, so messages stay in flight across steps. Either
  may first kill its process at one of its crash points (an exception from its ``hook``) and
  restart it on the same database, which must then finish the job exactly once;
* restart a validator or the relayer between steps (objects dropped, recreated on the database);
* duplicate delivery: a message processed already (executed, queued, failed, refunded) submitted
  again with its signatures is refused with ``AlreadyProcessed``, by the gas estimate or mined
  with a fixed gas limit, and nothing changes;
* reordered delivery: the attested transfers and refunds executed directly (``execute`` /
  ``reclaim``, bypassing the relayer) in a random order, duplicates mixed in;
* pause and unpause a direction on either end (admin); deliveries and sends meanwhile are
  refused, never lost;
* time passes; queued transfers completed by anyone (``executeQueued`` / ``sendQueued``),
  refused (``RateLimited``) exactly when the model's bucket lacks room.

Sends are large (mostly 200 to 400 units against buckets of 500 refilled at 5 a second), so both
queues fill. Every block is one second after the previous one (Anvil's block timestamp interval,
for these tests only): an example replays exactly, and the model predicts every bucket to the
unit. After every step (``@invariant``) the chains must agree with the model:

* conservation, with in flight computed by the model from its message states (a send adds to it;
  an execution or a refund removes it): ``locked - released == minted - burned + in flight``
  (home custody and totals; mirror supply and remote totals), ``custody == mirror supply + in
  flight``, and the reconciler's in-flight figures per direction equal the model's;
* every holder's balance on both chains, the endpoints' totals, nonces, pauses and buckets;
* every message's status on both chains, and no message executed twice.

Every endpoint event is replayed into the model in chain order and must be one it allows (see
bridge_model.py), so an execution without a threshold of attestations, beyond the limit, to an
ineligible recipient or while paused fails at once. A relayer iteration must process everything
due (see ``BridgeMachine.due``). At the end of each example everything is unpaused, and time
passes, validators attest and the relayer relays until nothing is in flight; then the relayer's
database must agree with the chains.

``test_the_outbound_limit_queues_exactly_as_a_token_bucket``: a cheaper property test of one
endpoint's outbound limit (sends, time, limit and maximum changes, ``sendQueued``) against the
same bucket model.

``test_an_execute_estimated_short_of_headroom_has_gas_to_deliver``: the bug the state machine
found, written out (fixed: delivering calls get a gas-limit floor).

Sizes come from the hypothesis profile (tests/conftest.py): "default" (25 examples of up to 20
steps) or HYPOTHESIS_PROFILE=fuzz (1,000 of up to 50). ``-s`` prints what the state machine did
and where its time went.
"""

from __future__ import annotations

import functools
import itertools
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bridge_world
import pytest
import requests
from ape import accounts
from bridge_model import (
    HOME,
    IN,
    OUT,
    PEOPLE,
    REMOTE,
    SIDES,
    BridgeModel,
    Bucket,
    Event,
    Transfer,
    other,
)
from bridge_world import Harness, Killed, kill_at
from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils import function_abi_to_4byte_selector, keccak, to_checksum_address
from eth_utils.abi import abi_to_signature, collapse_if_tuple, get_abi_output_types
from hypothesis import event, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import text

from securities_rails.bridge.endpoint import (
    Direction,
    Endpoint,
    InboundStatus,
    OutboundStatus,
    endpoint_abi,
)
from securities_rails.bridge.messages import TRANSFER, Message, isin_bytes
from securities_rails.bridge.metrics import Metrics
from securities_rails.bridge.relayer import CRASH_POINTS as RELAYER_CRASH_POINTS
from securities_rails.bridge.relayer import Relayer, select_signatures
from securities_rails.bridge.store import DONE, FAILED, MINED, REVERTED, SENT, Store
from securities_rails.bridge.validator import CRASH_POINTS as VALIDATOR_CRASH_POINTS
from securities_rails.bridge.validator import Validator
from securities_rails.chain.rpc import (
    Contract,
    RevertError,
    load_abi,
    merge_abis,
)

FORCED_GAS = 3_000_000
ADMIN, COURIER = "admin", "courier"
# Wallets by index in the test mnemonic (tests/bridge_world.py takes 0-5): dave is registered on
# neither chain; the courier delivers messages directly, bypassing the relayer.
WALLETS = {"admin": 0, "alice": 3, "bob": 4, "carol": 5, "dave": 6, COURIER: 7}
SETTLE_VALIDATORS = (0, 1, 2)
# A bug this state machine found (test_an_execute_estimated_short_of_headroom_has_gas_to_deliver):
# the relayer's `execute` of a transfer whose destination bucket was a few units short at the
# latest block ran out of gas when mined a block later, on the dearer delivery path. Fixed by a
# gas-limit floor for delivering calls (bridge/endpoint.py, DELIVERY_GAS_FLOOR); `relay` now
# fails on it again (set True only to tolerate it while investigating a regression).
KNOWN_BUG_EXECUTE_GAS = False
STATS: Counter[str] = Counter()
SECONDS: Counter[str] = Counter()  # time spent, by rule and activity (printed with -s)
EXAMPLES = itertools.count()


@contextmanager
def timed(label: str) -> Iterator[None]:
    start = time.perf_counter()
    try:
        yield
    finally:
        SECONDS[label] += time.perf_counter() - start


def counted(function: Callable[..., None]) -> Callable[..., None]:
    """A rule that counts its runs and time in the statistics printed at the end (``-s``)."""

    @functools.wraps(function)
    def rule_body(self: Any, *args: Any, **kwargs: Any) -> None:
        STATS[f"rule {function.__name__}"] += 1
        with timed(f"rule {function.__name__}"):
            function(self, *args, **kwargs)

    return rule_body


# ---------------------------------------------------------------------- raw JSON-RPC reads


class Node:
    """Batched JSON-RPC to one Anvil: the invariants read everything in one request per chain."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.session = requests.Session()

    def batch(self, calls: list[tuple[str, list[Any]]]) -> list[Any]:
        if not calls:
            return []
        payload = [
            {"jsonrpc": "2.0", "id": i, "method": method, "params": params}
            for i, (method, params) in enumerate(calls)
        ]
        replies = {r["id"]: r for r in self.session.post(self.url, json=payload, timeout=30).json()}
        results = []
        for i, (method, _) in enumerate(calls):
            reply = replies[i]
            assert "error" not in reply, f"{method}: {reply['error']}"
            results.append(reply["result"])
        return results

    def request(self, method: str, *params: Any) -> Any:
        return self.batch([(method, list(params))])[0]

    def latest(self) -> tuple[int, int]:
        block = self.request("eth_getBlockByNumber", "latest", False)
        return int(block["number"], 16), int(block["timestamp"], 16)


class Function:
    """One view function of an ABI: an ``eth_call`` request and the decoding of its result."""

    def __init__(self, abi: list[dict[str, Any]], name: str) -> None:
        (entry,) = [e for e in abi if e.get("type") == "function" and e["name"] == name]
        self.selector = function_abi_to_4byte_selector(entry)
        self.inputs = [collapse_if_tuple(i) for i in entry["inputs"]]
        self.outputs = get_abi_output_types(entry)

    def call(self, to: str, *args: Any) -> tuple[str, list[Any]]:
        data = "0x" + (self.selector + abi_encode(self.inputs, list(args))).hex()
        return "eth_call", [{"to": to, "data": data}, "latest"]

    def decode(self, raw: str) -> Any:
        values = abi_decode(self.outputs, bytes.fromhex(raw[2:]))
        return values[0] if len(values) == 1 else values


class Events:
    """Decodes the logs of an endpoint with its ABI (an unknown event fails the test)."""

    def __init__(self, abi: list[dict[str, Any]]) -> None:
        self.by_topic = {
            keccak(text=abi_to_signature(e)): e for e in abi if e.get("type") == "event"
        }

    def decode(self, side: str, log: dict[str, Any], timestamp: int) -> Event:
        topics = [bytes.fromhex(t[2:]) for t in log["topics"]]
        entry = self.by_topic.get(topics[0])
        assert entry is not None, f"unknown event {log} on {side}"
        args: dict[str, Any] = {}
        indexed = [i for i in entry["inputs"] if i["indexed"]]
        for item, topic in zip(indexed, topics[1:], strict=True):
            (args[item["name"]],) = abi_decode([collapse_if_tuple(item)], topic)
        plain = [i for i in entry["inputs"] if not i["indexed"]]
        values = abi_decode([collapse_if_tuple(i) for i in plain], bytes.fromhex(log["data"][2:]))
        args.update(zip((i["name"] for i in plain), values, strict=True))
        for key, value in args.items():
            if isinstance(value, str) and value.startswith("0x") and len(value) == 42:
                args[key] = to_checksum_address(value)
        return Event(
            side=side,
            name=entry["name"],
            block=int(log["blockNumber"], 16),
            log_index=int(log["logIndex"], 16),
            tx=log["transactionHash"],
            timestamp=timestamp,
            args=args,
        )


# The token's ERC-20 errors (OpenZeppelin IERC20Errors), which a refused send bubbles up.
ERC20_ERRORS: list[dict[str, Any]] = [
    {
        "type": "error",
        "name": name,
        "inputs": [
            {"name": account, "type": "address"},
            {"name": held, "type": "uint256"},
            {"name": "needed", "type": "uint256"},
        ],
    }
    for name, account, held in (
        ("ERC20InsufficientBalance", "sender", "balance"),
        ("ERC20InsufficientAllowance", "spender", "allowance"),
    )
]
ENDPOINT_ABI = endpoint_abi()
TOKEN_ABI = load_abi("ISecurityToken")
F = {
    name: Function(ENDPOINT_ABI, name)
    for name in ("totals", "rateLimit", "paused", "nextNonce", "inboundStatus", "outbound")
}
BALANCE_OF, TOTAL_SUPPLY = Function(TOKEN_ABI, "balanceOf"), Function(TOKEN_ABI, "totalSupply")


# ---------------------------------------------------------------------- the shared world


@dataclass
class World:
    """What every example shares: the two chains, their endpoints, keys and readers."""

    bridge: Any  # bridge_world.BridgeWorld
    endpoints: dict[str, Endpoint]
    contracts: dict[str, Contract]  # the endpoints, decoding the token's errors too
    tokens: dict[str, Contract]
    nodes: dict[str, Node]
    keys: dict[str, LocalAccount]
    addresses: dict[str, str]
    validators: tuple[LocalAccount, ...]
    validator_sets: dict[str, Any]
    events: Events
    directory: Path

    @property
    def deployment(self) -> Any:
        return self.bridge.deployment

    @classmethod
    def build(cls, bridge: Any, directory: Path) -> World:
        endpoints = {side.name: Endpoint(side) for side in bridge.deployment.sides}
        keys = {
            name: Account.from_key(accounts.test_accounts[index].private_key)
            for name, index in WALLETS.items()
        }
        assert keys["alice"].address == bridge.people["alice"].address
        assert keys["carol"].address == bridge.people["carol"].address
        return cls(
            bridge=bridge,
            endpoints=endpoints,
            contracts={
                side: e.chain.contract(e.address, merge_abis(ENDPOINT_ABI, ERC20_ERRORS))
                for side, e in endpoints.items()
            },
            tokens={
                side: e.chain.contract(e.side.token, TOKEN_ABI) for side, e in endpoints.items()
            },
            nodes={HOME: Node(bridge.home.url), REMOTE: Node(bridge.remote.url)},
            keys=keys,
            addresses={name: key.address for name, key in keys.items()},
            validators=tuple(Account.from_key(k) for k in bridge_world.VALIDATOR_KEYS),
            validator_sets={side: e.validator_set() for side, e in endpoints.items()},
            events=Events(ENDPOINT_ABI),
            directory=directory,
        )

    def side_of(self, chain_id: int) -> str:
        return self.deployment.by_chain_id(chain_id).name

    def confirm(self) -> None:
        for node in self.nodes.values():
            node.request("anvil_mine", hex(bridge_world.CONFIRMATIONS))

    def warp(self, seconds: int, sides: tuple[str, ...] = SIDES) -> None:
        """``seconds`` pass (the next block is that much later than the latest)."""
        for side in sides:
            _, timestamp = self.nodes[side].latest()
            self.nodes[side].request("evm_setNextBlockTimestamp", timestamp + seconds)
            self.nodes[side].request("evm_mine")

    @contextmanager
    def one_second_blocks(self) -> Iterator[None]:
        """Every block one second after the previous one (Anvil's block timestamp interval),
        so that an example replays exactly; evm_increaseTime has no effect meanwhile."""
        for node in self.nodes.values():
            node.request("anvil_setBlockTimestampInterval", 1)
        try:
            yield
        finally:
            for node in self.nodes.values():
                node.request("anvil_removeBlockTimestampInterval")

    def mined(self) -> None:
        """Wait until both nodes have mined every transaction they were sent (Anvil automines,
        but a batch broadcast by the pipelined relayer may still be in the pool)."""
        deadline = time.monotonic() + 30
        for node in self.nodes.values():
            while int(node.request("txpool_status")["pending"], 16):
                assert time.monotonic() < deadline, "transactions left unmined"
                time.sleep(0.002)

    def verdict_time(self, side: str, forced: bool) -> int:
        """The block time a call is judged at: the latest block's for the gas estimate, the next
        block's (one second later) for a transaction mined without an estimate."""
        return self.nodes[side].latest()[1] + (1 if forced else 0)

    def transact(
        self, side: str, who: str, contract: Contract, function: str, *args: Any, forced=False
    ) -> str | None:
        """Send ``function(*args)`` from ``who``: None when mined successfully, else the name of
        the custom error it was refused with. Not ``forced``: refused by the gas estimate, so
        nothing is mined. ``forced``: a fixed gas limit, so a refusal is mined, reverted."""
        with timed("transactions"):
            return self._transact(side, who, contract, function, *args, forced=forced)

    def _transact(
        self, side: str, who: str, contract: Contract, function: str, *args: Any, forced=False
    ) -> str | None:
        chain = self.endpoints[side].chain
        account = self.keys[who]
        if not forced:
            try:
                contract.prepare(account, function, *args)  # only the estimate's verdict
            except RevertError as error:
                return error.error or str(error)
        # A fixed gas limit, not the estimate (see KNOWN_BUG_EXECUTE_GAS): the estimate runs at
        # the latest block, the transaction one second later, possibly on a dearer path.
        nonce = chain.web3.eth.get_transaction_count(account.address, "pending")
        txn = contract.handle.functions[function](*args).build_transaction(
            {"from": account.address, "chainId": chain.chain_id, "nonce": nonce, "gas": FORCED_GAS}
        )
        tx_hash = chain.web3.eth.send_raw_transaction(account.sign_transaction(txn).raw_transaction)
        receipt = chain.wait("0x" + bytes(tx_hash).hex(), timeout=30)
        if receipt.ok:
            return None
        error = contract.revert_of(receipt)
        assert forced, f"{function}: the estimate passed, then it reverted: {error}"
        return error.error or str(error)


# ---------------------------------------------------------------------- strategies


def _weighted(*choices: tuple[int, st.SearchStrategy[Any]]) -> st.SearchStrategy[Any]:
    pool = [strategy for weight, strategy in choices for _ in range(weight)]
    return st.sampled_from(range(len(pool))).flatmap(lambda i: pool[i])


# An amount: ("up to", n) is n capped at the balance; the others may be refused on purpose.
amounts = _weighted(
    (6, st.tuples(st.just("up to"), st.integers(200, 400))),
    (2, st.tuples(st.just("up to"), st.integers(1, 199))),
    (1, st.tuples(st.just("all"), st.none())),  # the balance, refused when above the maximum
    (1, st.sampled_from([("exactly", 0), ("exactly", 401), ("over", None)])),
)
home_to = st.sampled_from(("alice", "bob", "alice", "bob", "carol"))  # carol: refused remotely
remote_to = st.sampled_from(("alice", "bob", "alice", "bob", "carol", "dave"))  # dave: at home
sides = st.sampled_from(SIDES)
# (crash point, the how-many-th time the process reaches it), or None: no kill
validator_kills = st.one_of(
    st.none(), st.tuples(st.sampled_from(VALIDATOR_CRASH_POINTS), st.integers(1, 2))
)
relayer_kills = st.one_of(
    st.none(), st.tuples(st.sampled_from(RELAYER_CRASH_POINTS), st.integers(1, 3))
)
directions = st.sampled_from((OUT, IN))


def resolve(raw: tuple[str, int | None], balance: int) -> int:
    kind, value = raw
    if kind == "up to":
        assert value is not None
        return min(value, balance)
    if kind == "all":
        return balance
    if kind == "over":
        return balance + 1
    assert value is not None
    return value


# ---------------------------------------------------------------------- the machine


class BridgeMachine(RuleBasedStateMachine):
    """Both chains, the processes of one database, and the model."""

    def __init__(self, world: World) -> None:
        super().__init__()
        self.w = world
        with timed("revert"):
            world.bridge.revert()
        STATS["examples"] += 1
        self.db = world.directory / f"example-{next(EXAMPLES)}.sqlite3"
        self.db_url = f"sqlite:///{self.db}"
        self.stores: list[Store] = []
        self.reader = self._store()
        self.validators = [self._validator(i) for i in range(len(world.validators))]
        self.pipeline = False  # the relayer's mode, drawn by `alice_sends`
        self.relayer = self._relayer()
        self.cursor = {side: world.nodes[side].latest()[0] for side in SIDES}
        home, remote = world.deployment.home, world.deployment.remote
        self.model = BridgeModel(
            addresses={name: world.addresses[name] for name in PEOPLE},
            ends={HOME: (home.chain_id, home.endpoint), REMOTE: (remote.chain_id, remote.endpoint)},
            isin=isin_bytes(world.deployment.isin),
            admin=world.addresses[ADMIN],
            start={(HOME, "alice"): bridge_world.MINTED},
            capacity=bridge_world.LIMITS.capacity,
            rate=bridge_world.LIMITS.rate,
            max_transfer=bridge_world.MAX_TRANSFER,
            threshold=bridge_world.THRESHOLD,
        )
        self._reading: tuple[tuple[int, int], dict[str, Any]] | None = None

    # ------------------------------------------------------------------ processes

    def _store(self) -> Store:
        store = Store(self.db_url)
        self.stores.append(store)
        return store

    def _close(self, store: Store) -> None:
        store.close()
        self.stores.remove(store)

    def _validator(self, index: int, hook: Callable[[str], None] | None = None) -> Validator:
        """A validator process: its own connection to the database, as a process has."""
        store = self._store() if hook is None else self.validators[index].store
        options = {} if hook is None else {"hook": hook}
        return Validator(
            self.w.deployment,
            store,
            self.w.validators[index],
            self.w.endpoints,
            Metrics("validator"),
            **options,
        )

    def _relayer(self, hook: Callable[[str], None] | None = None) -> Relayer:
        store = self._store() if hook is None else self.relayer.store
        options = {} if hook is None else {"hook": hook}
        return Relayer(
            self.w.deployment,
            store,
            self.w.keys[ADMIN],
            self.w.endpoints,
            Metrics("relayer"),
            receipt_timeout=30,
            pipeline=self.pipeline,
            **options,
        )

    def restart_validator(self, index: int) -> None:
        self._close(self.validators[index].store)
        self.validators[index] = self._validator(index)

    def restart_relayer(self) -> None:
        self._close(self.relayer.store)
        self.relayer = self._relayer()

    def run_validators(self, indices: tuple[int, ...]) -> None:
        with timed("validators"):
            for index in indices:
                while self.validators[index].step():
                    pass
        self.model.attested({self.w.validators[i].address for i in indices})

    # ------------------------------------------------------------------ chain helpers

    def sync(self) -> list[Event]:
        """Replay every endpoint event since the last sync into the model (home, then remote;
        each in chain order)."""
        with timed("sync"):
            return self._sync()

    def _sync(self) -> list[Event]:
        found: list[Event] = []
        for side in SIDES:
            node, endpoint = self.w.nodes[side], self.w.endpoints[side]
            head = int(node.request("eth_blockNumber"), 16)
            if head <= self.cursor[side]:
                continue
            logs = node.request(
                "eth_getLogs",
                {
                    "address": endpoint.address,
                    "fromBlock": hex(self.cursor[side] + 1),
                    "toBlock": hex(head),
                },
            )
            blocks = sorted({log["blockNumber"] for log in logs})
            found_blocks = node.batch([("eth_getBlockByNumber", [b, False]) for b in blocks])
            stamps = {
                number: int(block["timestamp"], 16)
                for number, block in zip(blocks, found_blocks, strict=True)
            }
            events = [self.w.events.decode(side, log, stamps[log["blockNumber"]]) for log in logs]
            found += sorted(events, key=lambda e: (e.block, e.log_index))
            self.cursor[side] = head
        for item in found:
            STATS[f"event {item.side} {item.name}"] += 1
            self.model.apply(item)
        self.model.settled()
        return found

    def signatures(self, message: Message) -> list[bytes]:
        destination = self.w.side_of(message.destination_chain_id)
        chosen = select_signatures(
            message.message_id(),
            self.reader.signatures(message.id_hex),
            self.w.validator_sets[destination],
        )
        assert chosen is not None, f"{message.describe()}: too few signatures in the database"
        return chosen

    def deliver(self, message: Message, *, forced: bool = False) -> str | None:
        """``execute`` a transfer or ``reclaim`` a refund from the courier, with signatures from
        the validators' database."""
        side = self.w.side_of(message.destination_chain_id)
        function = "execute" if message.kind == TRANSFER else "reclaim"
        return self.w.transact(
            side,
            COURIER,
            self.w.contracts[side],
            function,
            message.as_tuple(),
            self.signatures(message),
            forced=forced,
        )

    def expected_refusal(self, t: Transfer, message: Message, forced: bool) -> str | None:
        """What ``execute``/``reclaim`` of ``message`` must be refused with now, if anything (in
        the contract's order of checks)."""
        if message.kind == TRANSFER:
            if self.model.paused[(t.destination, IN)]:
                return "DirectionIsPaused"
            return None if t.inbound == InboundStatus.NONE else "AlreadyProcessed"
        if self.model.paused[(t.source, IN)]:
            return "DirectionIsPaused"
        if t.outbound != OutboundStatus.SENT:
            return "AlreadyProcessed"
        available = self.model.buckets[(t.source, IN)].available(
            self.w.verdict_time(t.source, forced)
        )
        return "RateLimited" if available < t.amount else None

    def stored_signatures(self) -> dict[str, set[str]]:
        """Message id -> the validators with a signature of it in the database (every row)."""
        with self.reader.engine.connect() as connection:
            rows = connection.execute(text("SELECT message_id, validator FROM bridge_signatures"))
            stored: dict[str, set[str]] = {}
            for message_id, validator in rows:
                stored.setdefault(message_id, set()).add(validator)
        return stored

    def check_signatures(self) -> None:
        """The database holds exactly the signatures the model says were made: no message
        unsigned by a validator that ran past it, none signed that was never sent or failed."""
        stored, expected = self.stored_signatures(), self.model.expected_signatures()
        assert stored == expected, f"signatures: database {stored}, model {expected}"

    # ------------------------------------------------------------------ rules: sends

    def _send(self, side: str, pick: int, to: str, raw: tuple[str, int | None]) -> None:
        holders = self.model.holders(side)
        sender = holders[pick % len(holders)]
        balance = self.model.balances[(side, sender)]
        amount = resolve(raw, balance)
        expected: str | None = None
        if self.model.paused[(side, OUT)]:
            expected = "DirectionIsPaused"
        elif not 0 < amount <= bridge_world.MAX_TRANSFER:
            expected = "InvalidAmount"
        elif amount > balance:
            expected = "ERC20InsufficientBalance"
        endpoint = self.w.endpoints[side]
        token = self.w.tokens[side]
        assert self.w.transact(side, sender, token, "approve", endpoint.address, amount) is None
        if expected is None:
            self.model.expect_send(side, sender, to, amount)
        destination = self.w.deployment.side(other(side)).chain_id
        refused = self.w.transact(
            side, sender, self.w.contracts[side], "send", destination, self.w.addresses[to], amount
        )
        assert refused == expected, f"send {amount} by {sender}: {refused}, expected {expected}"
        events = self.sync()
        assert not self.model.expected_sends, "a send left no event"
        kind = refused or next(e.name for e in events if e.name != "DirectionPaused")
        STATS[f"send {side}: {kind}"] += 1
        event(f"send {side}: {kind}")

    @initialize(
        sends=st.lists(st.tuples(home_to, st.integers(150, 400)), min_size=1, max_size=3),
        delivered=st.booleans(),
        attest_kill=validator_kills,
        relay_kill=relayer_kills,
        pipeline=st.booleans(),
    )
    @counted
    def alice_sends(
        self,
        sends: list[tuple[str, int]],
        delivered: bool,
        attest_kill: tuple[str, int] | None,
        relay_kill: tuple[str, int] | None,
        pipeline: bool,
    ) -> None:
        """Every example starts with traffic: alice (the only holder) sends home -> remote; in
        half the examples these transfers are attested and relayed at once (maybe with a
        process killed on the way), so that the remote side has holders from the first step.
        The relayer runs plain (one transaction at a time, each awaited) or ``pipeline``d
        (batches, receipts looked at in the next iteration) for the whole example."""
        self.pipeline = pipeline
        self.restart_relayer()
        STATS[f"relayer {'pipelined' if pipeline else 'plain'}"] += 1
        for to, amount in sends:
            self._send(HOME, 0, to, ("up to", amount))
        if delivered:
            self.attest(set(SETTLE_VALIDATORS), attest_kill)
            self.relay(relay_kill)

    @precondition(lambda self: self.model.holders(HOME))
    @rule(pick=st.integers(0, 3), to=home_to, raw=amounts)
    @counted
    def send_home(self, pick: int, to: str, raw: tuple[str, int | None]) -> None:
        self._send(HOME, pick, to, raw)

    send_home_too = send_home  # sends weigh twice as much as any other rule

    @precondition(lambda self: self.model.holders(REMOTE))
    @rule(pick=st.integers(0, 3), to=remote_to, raw=amounts)
    @counted
    def send_remote(self, pick: int, to: str, raw: tuple[str, int | None]) -> None:
        self._send(REMOTE, pick, to, raw)

    send_remote_too = send_remote

    # ------------------------------------------------------------------ rules: processes

    @rule(
        indices=st.sets(st.integers(0, len(bridge_world.VALIDATOR_KEYS) - 1), min_size=1),
        kill=validator_kills,
    )
    @counted
    def attest(self, indices: set[int], kill: tuple[str, int] | None = None) -> None:
        """Mine the confirmation depth, then step some validators (maybe below threshold). With
        ``kill`` (a crash point, and which of its scans that sign anything), the first of them
        is killed there first (an exception from its hook) and restarted on the same database:
        it must have committed all or nothing of the scan it died in, and, run to the head
        again, hold each of its signatures exactly once."""
        chosen = tuple(sorted(indices))
        self.w.confirm()
        if kill is not None:
            self.kill_validator(chosen[0], *kill)
        self.run_validators(chosen)
        assert not self.sync()
        self.check_signatures()
        STATS[f"attest by {len(indices)}"] += 1

    def kill_validator(self, index: int, point: str, nth: int) -> None:
        address = self.w.validators[index].address
        before = self._signed_by(address)
        doomed = self._validator(index, hook=kill_at(point, nth))
        try:
            while doomed.step():
                pass
        except Killed:
            after = self._signed_by(address)
            assert after >= before, "signatures committed before the kill were lost"
            if nth == 1:  # killed in its first scan that signed anything
                if point == "after_sign_before_commit":
                    assert after == before, "a killed validator committed signatures"
                else:
                    assert after > before, "the validator's commit was lost"
            STATS[f"validator killed {point}"] += 1
        self.restart_validator(index)

    def _signed_by(self, address: str) -> set[str]:
        return {id_ for id_, signers in self.stored_signatures().items() if address in signers}

    def due(self) -> list[tuple[Transfer, Message]]:
        """What one relayer iteration must process: every attested transfer whose destination
        accepts deliveries now (executed, queued or failed, whatever the bucket), and every
        attested refund whose chain's inbound bucket covers everything that may draw on it in
        that iteration, whatever the order (transfers and refunds due, transfers queued)."""
        due = self.model.deliverable(unpaused_only=True)
        drawn = Counter[str]()
        for _t, message in due:
            drawn[self.w.side_of(message.destination_chain_id)] += message.amount
        for t in self.model.queued("inbound"):
            drawn[t.destination] += t.amount
        room = {
            side: self.model.buckets[(side, IN)].available(self.w.verdict_time(side, False))
            for side in SIDES
        }
        return [
            (t, message)
            for t, message in due
            if message.kind == TRANSFER or room[t.source] >= drawn[t.source]
        ]

    @rule(kill=relayer_kills)
    @counted
    def relay(self, kill: tuple[str, int] | None = None) -> None:
        """One relayer iteration: everything due (see ``due``) is processed. With ``kill`` (a
        crash point, and at which submission), the relayer is killed there first (an exception
        from its hook) and restarted on the same database; the restarted one's iteration must
        complete everything due, each exactly once."""
        due = self.due()
        if kill is not None:
            doomed = self._relayer(hook=kill_at(*kill))
            try:
                doomed.step()
            except Killed:
                STATS[f"relayer killed {kill[0]}"] += 1
            self.w.mined()
            self.sync()
            self.restart_relayer()
        with timed("relayer"):
            self.relayer.step()
            self.w.mined()
        self.sync()
        for t, message in due:
            if message.kind != TRANSFER:
                assert t.outbound == OutboundStatus.REFUNDED, f"relayer left refund {t.describe()}"
            elif t.inbound == InboundStatus.NONE:
                assert self.known_execute_gas_bug(t), f"relayer left {t.describe()}"
        STATS["relay"] += 1

    def known_execute_gas_bug(self, t: Transfer) -> bool:
        """Whether the relayer's ``execute`` of ``t`` ran out of gas: KNOWN_BUG_EXECUTE_GAS (see
        ``test_an_execute_estimated_short_of_headroom_has_gas_to_deliver``). Tolerated only
        with that flag, only for that cause (gas used up to the limit), and counted."""
        node = self.w.nodes[t.destination]
        for submission in self.reader.submissions(t.id):
            if submission.action != "execute" or submission.state != REVERTED:
                continue
            receipt, txn = node.batch(
                [
                    ("eth_getTransactionReceipt", [submission.tx_hash]),
                    ("eth_getTransactionByHash", [submission.tx_hash]),
                ]
            )
            used, limit = int(receipt["gasUsed"], 16), int(txn["gas"], 16)
            if used * 100 >= limit * 95:
                STATS["KNOWN BUG: the relayer's execute ran out of gas"] += 1
                event("KNOWN BUG: the relayer's execute ran out of gas")
                return KNOWN_BUG_EXECUTE_GAS
        return False

    @rule(index=st.integers(0, len(bridge_world.VALIDATOR_KEYS) - 1))
    @counted
    def restart_validator_process(self, index: int) -> None:
        """A validator process dropped between steps and started again on the same database."""
        self.restart_validator(index)
        STATS["validator restarted"] += 1

    @rule()
    @counted
    def restart_relayer_process(self) -> None:
        """The relayer process dropped between steps and started again on the same database."""
        self.restart_relayer()
        STATS["relayer restarted"] += 1

    # ------------------------------------------------------------------ rules: deliveries

    @precondition(lambda self: self.model.deliverable(unpaused_only=False))
    @rule(data=st.data(), duplicates=st.booleans())
    @counted
    def deliver_reordered(self, data: st.DataObject, duplicates: bool) -> None:
        """Attested transfers and refunds executed directly, bypassing the relayer, in a random
        order (with ``duplicates``, messages processed already mixed in)."""
        items = self.model.deliverable(unpaused_only=False)
        if duplicates:
            items += self.model.processed()[:3]
        for t, message in data.draw(st.permutations(items), label="order"):
            expected = self.expected_refusal(t, message, forced=False)
            before = (t.inbound, t.outbound)
            refused = self.deliver(message)
            assert refused == expected, f"{message.describe()}: {refused}, expected {expected}"
            events = self.sync()
            if expected is None:
                assert (t.inbound, t.outbound) != before, f"{message.describe()}: no effect"
                assert events, f"{message.describe()}: delivered without an event"
            else:
                assert not events, f"a refused {message.describe()} emitted {events}"
            STATS[
                f"direct {'execute' if message.kind == TRANSFER else 'reclaim'}: {refused or 'ok'}"
            ] += 1

    @precondition(lambda self: self.model.processed())
    @rule(data=st.data(), forced=st.booleans())
    @counted
    def deliver_again(self, data: st.DataObject, forced: bool) -> None:
        """A message its destination processed already, submitted again with its signatures:
        refused (``AlreadyProcessed``; mined and reverted when ``forced``), nothing changes."""
        t, message = data.draw(st.sampled_from(self.model.processed()), label="message")
        expected = self.expected_refusal(t, message, forced)
        assert expected is not None
        refused = self.deliver(message, forced=forced)
        assert refused == expected, f"{message.describe()} again: {refused}, expected {expected}"
        assert not self.sync(), "a refused duplicate emitted events"
        STATS[f"duplicate {'mined' if forced else 'estimated'}: {refused}"] += 1

    def _complete_queued(self, t: Transfer, where: str, forced: bool) -> None:
        """``executeQueued`` (``where`` inbound) or ``sendQueued`` (outbound) of ``t`` by anyone:
        refused while that direction is paused or its bucket lacks headroom."""
        side, direction, function = (
            (t.destination, IN, "executeQueued")
            if where == "inbound"
            else (t.source, OUT, "sendQueued")
        )
        available = self.model.buckets[(side, direction)].available(
            self.w.verdict_time(side, forced)
        )
        expected = None
        if self.model.paused[(side, direction)]:
            expected = "DirectionIsPaused"
        elif available < t.amount:
            expected = "RateLimited"
        refused = self.w.transact(
            side, COURIER, self.w.contracts[side], function, t.message.as_tuple(), forced=forced
        )
        assert refused == expected, f"{function} {t.describe()}: {refused}, not {expected}"
        self.sync()
        done = t.inbound == InboundStatus.EXECUTED if where == "inbound" else t.sent
        assert done == (expected is None), f"{function}: {t.describe()}"
        STATS[f"{function}: {refused or 'ok'}"] += 1

    @precondition(lambda self: self.model.queued("inbound"))
    @rule(data=st.data(), forced=st.booleans())
    @counted
    def execute_queued(self, data: st.DataObject, forced: bool) -> None:
        t = data.draw(st.sampled_from(self.model.queued("inbound")), label="transfer")
        self._complete_queued(t, "inbound", forced)

    @precondition(lambda self: self.model.queued("outbound"))
    @rule(data=st.data(), forced=st.booleans())
    @counted
    def send_queued(self, data: st.DataObject, forced: bool) -> None:
        t = data.draw(st.sampled_from(self.model.queued("outbound")), label="transfer")
        self._complete_queued(t, "outbound", forced)

    # ------------------------------------------------------------------ rules: controls, time

    def _set_paused(self, side: str, direction: Direction, paused: bool) -> None:
        contract = self.w.contracts[side]
        function = "pause" if paused else "unpause"
        assert self.w.transact(side, ADMIN, contract, function, int(direction)) is None
        self.sync()
        assert self.model.paused[(side, direction)] == paused

    @precondition(lambda self: not any(self.model.paused.values()))  # one pause at a time
    @rule(side=sides, direction=directions)
    @counted
    def pause(self, side: str, direction: Direction) -> None:
        self._set_paused(side, direction, True)
        STATS[f"pause {side} {direction.name.lower()}"] += 1

    @precondition(lambda self: any(self.model.paused.values()))
    @rule(data=st.data())
    @counted
    def unpause(self, data: st.DataObject) -> None:
        paused = sorted(key for key, value in self.model.paused.items() if value)
        side, direction = data.draw(st.sampled_from(paused), label="direction")
        self._set_paused(side, direction, False)

    # a pause lasts a few steps, not the rest of the example
    unpause_too = unpause
    unpause_also = unpause

    @rule(seconds=st.sampled_from((5, 20, 60, 120, 300)))
    @counted
    def time_passes(self, seconds: int) -> None:
        self.w.warp(seconds)
        assert not self.sync()

    time_passes_too = time_passes

    # ------------------------------------------------------------------ invariants

    def observed(self) -> dict[str, Any]:
        """Both chains as one reading (cached until a block is mined on either)."""
        with timed("invariants"):
            return self._observed()

    def _observed(self) -> dict[str, Any]:
        heads = tuple(self.w.nodes[side].latest()[0] for side in SIDES)
        if self._reading is not None and self._reading[0] == heads:
            return self._reading[1]
        transfers = list(self.model.transfers.values())
        seen: dict[str, Any] = {}
        for side in SIDES:
            endpoint, token = self.w.endpoints[side].address, self.w.tokens[side].address
            calls: list[tuple[str, tuple[str, list[Any]], Callable[[Any], Any]]] = [
                ("block", ("eth_getBlockByNumber", ["latest", False]), lambda b: b),
                ("supply", TOTAL_SUPPLY.call(token), TOTAL_SUPPLY.decode),
                ("totals", F["totals"].call(endpoint), F["totals"].decode),
                ("nonce", F["nextNonce"].call(endpoint), F["nextNonce"].decode),
            ]
            holders = [*PEOPLE, "custody"] if side == HOME else list(PEOPLE)
            for who in holders:
                address = self.w.deployment.home.custody if who == "custody" else None
                address = address or self.w.addresses[who]
                calls.append((f"balance {who}", BALANCE_OF.call(token, address), BALANCE_OF.decode))
            for d in (OUT, IN):
                calls.append(
                    (
                        f"limit {d.name}",
                        F["rateLimit"].call(endpoint, int(d)),
                        F["rateLimit"].decode,
                    )
                )
                calls.append(
                    (f"paused {d.name}", F["paused"].call(endpoint, int(d)), F["paused"].decode)
                )
            for t in transfers:
                if t.destination == side:
                    calls.append(
                        (
                            f"in {t.id}",
                            F["inboundStatus"].call(endpoint, t.message.message_id()),
                            F["inboundStatus"].decode,
                        )
                    )
                else:
                    calls.append(
                        (
                            f"out {t.id}",
                            F["outbound"].call(endpoint, t.message.nonce),
                            F["outbound"].decode,
                        )
                    )
                    calls.append(
                        (
                            f"refund {t.id}",
                            F["inboundStatus"].call(endpoint, t.refund.message_id()),
                            F["inboundStatus"].decode,
                        )
                    )
            results = self.w.nodes[side].batch([request for _, request, _ in calls])
            seen[side] = {
                key: decode(result) for (key, _, decode), result in zip(calls, results, strict=True)
            }
        self._reading = (heads, seen)
        return seen

    @invariant()
    def conservation_with_the_model_in_flight(self) -> None:
        seen = self.observed()
        home, remote = seen[HOME], seen[REMOTE]
        in_flight = self.model.in_flight()
        custody, supply = home["balance custody"], remote["supply"]
        h_sent, h_received, h_refunded = home["totals"]
        r_sent, r_received, r_refunded = remote["totals"]
        locked, released = h_sent, h_received + h_refunded
        minted, burned = r_received + r_refunded, r_sent
        assert locked - released == minted - burned + in_flight, (
            f"locked {locked} - released {released} != minted {minted} - burned {burned} + "
            f"in flight {in_flight} ({self.model.describe_open()})"
        )
        assert custody == supply + in_flight, f"custody {custody} != {supply} + {in_flight}"
        assert custody == locked - released, f"custody {custody} != {locked} - {released}"
        assert supply == minted - burned, f"mirror supply {supply} != {minted} - {burned}"
        # the reconciler's figures per direction, from the contracts' counters, agree
        assert h_sent - r_received - h_refunded == self.model.in_flight(HOME)
        assert r_sent - h_received - r_refunded == self.model.in_flight(REMOTE)
        STATS["invariant checks"] += 1

    @invariant()
    def balances_as_modelled(self) -> None:
        seen = self.observed()
        for side in SIDES:
            for who in PEOPLE:
                actual, expected = seen[side][f"balance {who}"], self.model.balances[(side, who)]
                assert actual == expected, f"{who} holds {actual} on {side}, model {expected}"
        assert seen[HOME]["balance custody"] == self.model.custody
        assert seen[REMOTE]["supply"] == self.model.supply
        assert seen[HOME]["supply"] == bridge_world.MINTED, "units appeared or vanished at home"

    @invariant()
    def endpoints_as_modelled(self) -> None:
        seen = self.observed()
        for side in SIDES:
            assert tuple(seen[side]["totals"]) == self.model.totals[side].as_tuple(), side
            assert seen[side]["nonce"] == self.model.nonces[side] + 1, f"{side} nonce"
            timestamp = int(seen[side]["block"]["timestamp"], 16)
            for d in (OUT, IN):
                assert seen[side][f"paused {d.name}"] == self.model.paused[(side, d)]
                _limit, available = seen[side][f"limit {d.name}"]
                modelled = self.model.buckets[(side, d)].available(timestamp)
                assert available == modelled, f"{side} {d.name}: {available}, model {modelled}"

    @invariant()
    def messages_as_modelled_and_executed_once(self) -> None:
        seen = self.observed()
        for t in self.model.transfers.values():
            inbound = seen[t.destination][f"in {t.id}"]
            assert inbound == t.inbound, f"{t.describe()}: inbound {InboundStatus(inbound).name}"
            status, message_hash = seen[t.source][f"out {t.id}"]
            assert status == t.outbound, f"{t.describe()}: outbound {OutboundStatus(status).name}"
            assert bytes(message_hash) == t.message.abi_hash(), f"{t.describe()}: stored hash"
            refund = seen[t.source][f"refund {t.id}"]
            refunded = t.outbound == OutboundStatus.REFUNDED
            expected = InboundStatus.EXECUTED if refunded else InboundStatus.NONE
            assert refund == expected, f"{t.describe()}: refund {InboundStatus(refund).name}"
            assert t.executions <= 1 and t.refunds <= 1, f"executed twice: {t.describe()}"
        assert all(n == 1 for n in self.model.executed.values()), "a message executed twice"

    # ------------------------------------------------------------------ the end of an example

    def teardown(self) -> None:
        try:
            if sys.exc_info()[0] is None:  # the example passed so far: everything must land
                with timed("settle"):
                    self.settle()
        finally:
            for store in list(self.stores):
                self._close(store)
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.db}{suffix}").unlink(missing_ok=True)

    def settle(self) -> None:
        """Unpause, then let time pass, attest and relay until nothing is in flight; then the
        relayer's database must agree with the chains."""
        for (side, direction), paused in sorted(self.model.paused.items()):
            if paused:
                self._set_paused(side, direction, False)
        rounds = 0
        while self.model.in_flight():
            rounds += 1
            assert rounds <= 3 * len(self.model.transfers) + 3, (
                f"still in flight after {rounds - 1} rounds: {self.model.describe_open()}"
            )
            self.w.warp(200)
            self.w.confirm()
            self.run_validators(SETTLE_VALIDATORS)
            self.relayer.step()
            self.w.mined()
            self.sync()
        STATS[f"settled in {rounds} rounds"] += 1
        self.relayer.step()  # the relayer learns what others delivered, and what it did
        self.w.mined()
        assert not self.sync()
        for t in self.model.transfers.values():
            stored = self.reader.message(t.id)
            assert stored is not None, f"{t.describe()} unknown to the relayer"
            expected = DONE if t.inbound == InboundStatus.EXECUTED else FAILED
            assert stored.state == expected, f"{t.describe()}: relayer says {stored.state}"
            if t.outbound == OutboundStatus.REFUNDED:
                refund = self.reader.message(t.refund.id_hex)
                assert refund is not None and refund.state == DONE, f"refund of {t.describe()}"
            for message in (t.message, t.refund):
                submissions = self.reader.submissions(message.id_hex)
                assert all(s.state != SENT for s in submissions), f"{t.describe()}: unresolved"
                mined = Counter(s.action for s in submissions if s.state == MINED)
                assert all(n == 1 for n in mined.values()), f"{t.describe()}: mined {mined}"


# ---------------------------------------------------------------------- the test


def test_units_are_conserved_across_both_chains_whatever_happens(bridge: Any, tmp_path: Path):
    world = World.build(bridge, tmp_path)
    STATS.clear()
    SECONDS.clear()
    try:
        with world.one_second_blocks():
            run_state_machine_as_test(lambda: BridgeMachine(world), settings=settings())
    finally:
        bridge.revert()
        print(f"\nbridge state machine: {STATS['examples']} examples")
        for label, count in sorted(STATS.items()):
            print(f"  {count:6d}  {label}")
        for label, seconds in SECONDS.most_common():
            print(f"  {seconds:6.1f}s {label}")


# ---------------------------------------------------------------------- a cheaper one: the bucket

# One operation on the home endpoint's outbound limit: a send of alice's, time passing, a limit
# or maximum set by the governor (up or down, sometimes refused), or sendQueued of a queued one.
bucket_operations = _weighted(
    (6, st.tuples(st.just("send"), st.integers(1, 400))),
    (3, st.tuples(st.just("wait"), st.sampled_from((1, 5, 13, 40, 100)))),
    (
        2,
        st.tuples(
            st.just("limit"),
            _weighted((4, st.integers(400, 700)), (1, st.sampled_from((0, 1, 150, 399)))),
            st.integers(0, 12),
        ),
    ),
    (1, st.tuples(st.just("max"), st.sampled_from((0, 50, 150, 150, 400, 501)))),
    (3, st.tuples(st.just("send queued"), st.integers(0, 9))),
)


@given(operations=st.lists(bucket_operations, min_size=1, max_size=14))
def test_the_outbound_limit_queues_exactly_as_a_token_bucket(
    bridge: Any, tmp_path: Path, operations: list[tuple[Any, ...]]
):
    """The home endpoint's outbound limit, against the model's ``Bucket``: each send is sent or
    queued exactly as the bucket says at its block's time; ``sendQueued`` goes through exactly
    when the bucket has room (else ``RateLimited``); a change of limit settles the level at the
    old rate, caps it at the new capacity and never refills it; a capacity below the per-transfer
    maximum, or a maximum above a capacity, is refused. After every operation the contract's
    limit and available units equal the model's. No processes and one chain: a few
    transactions an operation, a fraction of the state machine's time."""
    world = World.build(bridge, tmp_path)
    node, home = world.nodes[HOME], world.contracts[HOME]
    remote = world.deployment.remote
    alice, bob = world.addresses["alice"], world.addresses["bob"]
    capacity, rate = bridge_world.LIMITS.capacity, bridge_world.LIMITS.rate
    bucket = Bucket(capacity, rate, capacity)
    maximum, held = bridge_world.MAX_TRANSFER, bridge_world.MINTED
    queued: list[Message] = []

    def read(function: str, *args: Any) -> Any:
        return F[function].decode(node.batch([F[function].call(home.address, *args)])[0])

    with world.one_second_blocks():
        bridge.revert()
        approve = (HOME, "alice", world.tokens[HOME], "approve", home.address, held)
        assert world.transact(*approve) is None
        for kind, *values in operations:
            if kind == "send":
                amount = min(values[0], held, maximum)
                if amount == 0:
                    continue
                sent = world.transact(HOME, "alice", home, "send", remote.chain_id, bob, amount)
                assert sent is None, f"send {amount}: {sent}"
                held -= amount
                nonce = read("nextNonce") - 1
                fits = bucket.consume(node.latest()[1], amount)
                status, _ = read("outbound", nonce)
                expected = OutboundStatus.SENT if fits else OutboundStatus.QUEUED
                assert status == expected, f"send {amount}: {OutboundStatus(status).name}"
                event(f"send: {expected.name.lower()}")
                if not fits:
                    queued.append(
                        Message(
                            TRANSFER,
                            bridge_world.HOME_CHAIN,
                            remote.chain_id,
                            home.address,
                            remote.endpoint,
                            nonce,
                            isin_bytes(world.deployment.isin),
                            alice,
                            bob,
                            amount,
                        )
                    )
            elif kind == "wait":
                world.warp(values[0], (HOME,))
            elif kind == "limit":
                new_capacity, new_rate = values
                refused = world.transact(
                    HOME, ADMIN, home, "setRateLimit", int(OUT), new_capacity, new_rate
                )
                event(f"setRateLimit: {refused or 'ok'}")
                if new_capacity == 0 or maximum > new_capacity:
                    assert refused == "InvalidConfiguration", f"setRateLimit: {refused}"
                    continue
                assert refused is None, f"setRateLimit({new_capacity}, {new_rate}): {refused}"
                now = node.latest()[1]
                before = bucket.available(now)
                bucket.set_limit(now, new_capacity, new_rate)
                assert bucket.available(now) <= before  # the model's own promise
            elif kind == "max":
                (amount,) = values
                refused = world.transact(HOME, ADMIN, home, "setMaxTransfer", amount)
                event(f"setMaxTransfer: {refused or 'ok'}")
                if amount == 0 or amount > bucket.capacity or amount > capacity:
                    assert refused == "InvalidConfiguration", f"setMaxTransfer({amount}): {refused}"
                    continue
                assert refused is None, f"setMaxTransfer({amount}): {refused}"
                maximum = amount
            elif queued:  # send queued
                message = queued[values[0] % len(queued)]
                room = bucket.available(node.latest()[1])  # the estimate's verdict: the latest
                refused = world.transact(HOME, COURIER, home, "sendQueued", message.as_tuple())
                event(f"sendQueued: {refused or 'ok'}")
                if room < message.amount:
                    assert refused == "RateLimited", f"sendQueued {message.amount}: {refused}"
                    continue
                assert refused is None, f"sendQueued {message.amount} ({room}): {refused}"
                assert bucket.consume(node.latest()[1], message.amount)
                queued.remove(message)
            now = node.latest()[1]
            limit, available = read("rateLimit", int(OUT))
            assert tuple(limit) == (bucket.capacity, bucket.rate), f"limit {limit} after {kind}"
            assert available == bucket.available(now), (
                f"available {available}, model {bucket.available(now)} after {kind}"
            )


# ---------------------------------------------------------------------- the bug it found


def test_an_execute_estimated_short_of_headroom_has_gas_to_deliver(bridge: Any, tmp_path: Path):
    """Regression, found by the state machine above (shrunk, then written out): the relayer
    estimates ``execute`` at the latest block (``Endpoint.prepare`` -> ``Contract.prepare``:
    ``eth_estimateGas`` x ``GAS_MARGIN`` 1.25). The remote inbound bucket lacks 1 to 5 units
    there, so the estimate follows the cheap path (``InboundQueued``). The transaction is mined
    one block (one second, 5 units of refill) later: the bucket now has room, the contract mints,
    which costs more gas than the limit; the transaction reverts out of gas. Nothing is lost (the
    transfer stays executable and the relayer retries), but the relayer pays for a failed
    transaction, logs ``submission_reverted``, and delivers late; a real chain's blocks are
    seconds apart, so the window is ``rate x block time`` units wide."""
    harness = Harness(bridge, tmp_path)
    world = World.build(bridge, tmp_path)
    remote = world.nodes[REMOTE]
    bob = world.addresses["bob"]
    with world.one_second_blocks():
        bridge.revert()
        harness.send("home", "alice", bob, 400)
        harness.attest()
        relayer = harness.relayer()
        relayer.step()
        assert harness.balance("remote", "bob") == 400  # the remote inbound bucket: 100 left
        _, timestamp = remote.latest()
        left = harness.remote.rate_limit(Direction.INBOUND).available
        world.warp(60, (HOME,))  # the home outbound bucket refills
        amount = 300
        message = harness.send("home", "alice", bob, amount)
        harness.attest()
        # the remote's latest block where the bucket lacks 1 to 5 units of the amount
        rate = bridge_world.LIMITS.rate
        seconds = -(-(amount - rate - left) // rate)  # ceil
        assert left + rate * seconds < amount <= left + rate * (seconds + 1)
        assert remote.latest()[1] < timestamp + seconds
        remote.request("evm_setNextBlockTimestamp", timestamp + seconds)
        remote.request("evm_mine")
        assert harness.remote.rate_limit(Direction.INBOUND).available < amount
        relayer.step()
        submissions = harness.store.submissions(message.id_hex)
        assert [s.state for s in submissions] == [MINED], (
            f"execute: {[(s.state, s.detail) for s in submissions]}"
        )
        assert harness.balance("remote", "bob") == 400 + amount


@pytest.fixture(scope="module")
def own_world(tmp_path_factory: Any) -> Any:
    """Two chains of this module's own: the state machine warps time, switches mining modes and
    leaves transactions in the pool, none of which a snapshot rolls back."""
    world = bridge_world.build(tmp_path_factory.mktemp("conservation"))
    world.snapshot()
    try:
        yield world
    finally:
        world.home.stop()
        world.remote.stop()


@pytest.fixture
def bridge(own_world: Any) -> Any:
    """This module's world, rolled back on both chains after each test."""
    yield own_world
    own_world.revert()

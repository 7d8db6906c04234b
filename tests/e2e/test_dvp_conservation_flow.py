"""Stateful property test: whatever the parties do, the DvP escrow conserves both legs and never
settles a trade by half.

``test_escrow_conserves_both_legs_and_never_settles_half``: a hypothesis ``RuleBasedStateMachine``
drives the production ``DvPEscrow`` behind its proxy, deployed by
``securities_rails.settlement.deploy.deploy_settlement`` and registered as a system account of the
suite's investor registry, with the suite's real ``SecurityToken`` (its transfer rules apply on
the way into the escrow, at settlement and on the way back) and a ``CashToken``, against a Python
model (tests/e2e/dvp_model.py). Four investors trade: A (wallets alice and alice2, the second
holding nothing at first, there for ``reclaimTo``), B (bob), C (carol) and D (dave), each holding
units and cash and having approved the escrow. Each example starts from the same chain state
(an Anvil snapshot taken when the example starts, restored when it ends) and opens a few trades,
most of them matched. Rules:

* propose: a seller or a buyer instructs new terms (random quantity, amount and deadline; now and
  then more than the caller holds, a zero quantity or amount, or a deadline already past);
* instruct the same terms: the counterparty instructs an existing trade's exact terms and
  reference (it matches), or the proposer does again, or a non-party does; or the terms differ
  by one unit, which is another trade;
* affirm an existing trade (or an unknown id) by the counterparty, the proposer or a non-party;
* settle one trade (mostly matched ones), by anyone; settle a batch of random known ids, some not
  settleable (unmatched, expired, settled earlier in the same batch, refused by the token's rules,
  unknown): the call must return the per-trade result the model predicts and not revert;
* cancel by the seller, the buyer, both in turn, or a non-party (a matched trade needs both);
* time passes: past an open trade's deadline (it expires), to shortly before one, or by hours;
* reclaim a leg (by the seller, the buyer or a non-party; twice is refused); reclaimTo a leg to or
  from the other wallet of investor A (and from or to a wallet of another investor, refused);
  either sometimes right after time passes the trade's deadline;
* an investor's eligibility lapses (the registrar's ``updateInvestor`` sets an expiry a minute
  ahead and time passes it; an expiry in the past is refused by the registry) or is renewed, so
  that the token refuses settlement to the buyer, deposits from the seller and reclaims to him.

Every call is first made with ``eth_call``, which must give exactly the outcome the model predicts
(success, or the custom error and its arguments), then sent with a fixed gas limit so that a
refusal is mined as a reverted transaction: refused attempts (settle unmatched or after the
deadline, reclaim twice, affirm by a non-party, ...) must change nothing. A successful call must
emit exactly the ERC-20 transfers and escrow events the model predicts, in order.

After every step the chain must agree with the model (``DvPMachine.chain_agrees_with_model``):

* for the security and the cash token, the escrow's balance == the sum of the model's escrowed
  legs == the sum over parties of ``escrowedSecurities`` / ``escrowedCash``, and each party's
  figure equals the model's;
* every wallet's balance equals the model's, and both total supplies are unchanged;
* every trade's status (``trade`` and ``tradeStatus``), legs held and cancel requests equal the
  model's, and ``settledAt`` is set exactly on settled trades;
* no half settlement, read from the chain's logs: each Transfer is attributed to the escrow
  event before it (deposit, settlement, reclaim); a settled trade delivered exactly its units to
  its buyer and its cash to its seller, a trade not settled delivered nothing, and what each trade
  took in minus what it gave back equals the legs it still holds.

Nothing stays stuck: at the end of each example every investor is made eligible again, time
passes every deadline, every held leg is reclaimed by its party, and the escrow must then hold
nothing of either token.

Time is the latest block's: deadlines are hours ahead and time only jumps to instants at least
``GUARD`` from any open deadline or eligibility expiry, so the block a call is mined in (a few
seconds later at most, checked before every call) decides exactly as the model does. The exact
boundary (a call at the deadline's second) is the forge tests' business.

Sizes: HYPOTHESIS_PROFILE "default" (see ``PROFILES``) or "fuzz".
"""

from __future__ import annotations

import functools
import itertools
import os
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from dvp_model import (
    CASH,
    ESCROW,
    OPEN,
    SECURITY,
    DvPModel,
    Move,
    Outcome,
    Plan,
    Side,
    Status,
    Terms,
    Trade,
)
from eth_abi import decode, encode
from eth_utils import (
    event_abi_to_log_topic,
    function_abi_to_4byte_selector,
    get_abi_input_types,
    get_abi_output_types,
    keccak,
    to_checksum_address,
)
from hexbytes import HexBytes
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from suite_data import FRANCE, GERMANY, USA, YEAR

from securities_rails.identifiers import investor_id_hash
from securities_rails.settlement.deploy import deploy_cash_token, deploy_settlement
from securities_rails.suite import load_record

HOUR = 3600
GUARD = 600  # seconds kept between "now" and any open deadline or expiry when time jumps
DRIFT = 60  # most seconds a block may be ahead of the one before within a step (checked)
GAS = 1_000_000
BATCH_GAS = 300_000  # plus TRADE_GAS and its overheads per trade, see ``settle_batch``
MAX_BATCH_HERE = 6
UNIT = 10**6  # the cash token's decimals
START_UNITS = 1_000
START_CASH = 20_000 * UNIT
MAX_UINT = 2**256 - 1

# Sizes per HYPOTHESIS_PROFILE: about a minute on two cores for "default".
PROFILES: dict[str, dict[str, int]] = {
    "default": {"max_examples": 60, "stateful_step_count": 40},
    "fuzz": {"max_examples": 500, "stateful_step_count": 60},
}

# Investor -> (wallets, country); every investor is category 1.
INVESTORS: dict[str, tuple[tuple[str, ...], int]] = {
    "A": (("alice", "alice2"), GERMANY),
    "B": (("bob",), FRANCE),
    "C": (("carol",), USA),
    "D": (("dave",), GERMANY),
}
PARTIES = ("alice", "bob", "carol", "dave")  # who trades
WALLETS = (*PARTIES, "alice2")
# alice2 is not a test account: a fixed address, impersonated on Anvil.
ALICE2 = "0x00000000000000000000000000000000A11CE0D2"
TRANSFER_TOPIC = keccak(text="Transfer(address,address,uint256)")


def machine_settings() -> settings:
    """The sizes of HYPOTHESIS_PROFILE, no deadline (each step is a few RPC round trips)."""
    sizes = PROFILES.get(os.environ.get("HYPOTHESIS_PROFILE", "default"), PROFILES["default"])
    return settings(
        settings.default,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        **sizes,
    )


def _weighted(*choices: tuple[int, st.SearchStrategy[Any]]) -> st.SearchStrategy[Any]:
    """One of the strategies, each drawn in proportion to its weight (``one_of`` is uniform)."""
    pool = [strategy for weight, strategy in choices for _ in range(weight)]
    return st.sampled_from(range(len(pool))).flatmap(lambda i: pool[i])


quantities = _weighted((24, st.integers(1, 300)), (3, st.integers(900, 1_500)), (1, st.just(0)))
amounts = _weighted(
    (24, st.integers(1, 8_000).map(lambda n: n * UNIT)),
    (3, st.integers(1, UNIT)),
    (3, st.integers(15_000, 30_000).map(lambda n: n * UNIT)),
    (1, st.just(0)),
)
deadline_hours = _weighted((30, st.integers(1, 48)), (1, st.just(-1)))  # -1: already past
unknown_ids = st.binary(min_size=32, max_size=32)
# Biased choices: a preferred selection three times in four, a known trade nine times in ten.
PREFERRED = (True, True, True, False)
KNOWN = (True,) * 9 + (False,)


# ---------------------------------------------------------------------- raw JSON-RPC


class Abi:
    """One contract's functions, errors and events, encoded and decoded with eth-abi (ape's and
    web3's contract objects re-validate the ABI and print a trace for every revert: too slow for
    the hundreds of calls of a run)."""

    def __init__(self, instance: Any) -> None:
        self.address = to_checksum_address(instance.address)
        items = [item.model_dump(by_alias=True, mode="json") for item in instance.contract_type.abi]
        self.functions = {
            item["name"]: (
                function_abi_to_4byte_selector(item),
                get_abi_input_types(item),
                get_abi_output_types(item),
            )
            for item in items
            if item["type"] == "function"
        }
        self.errors = {
            function_abi_to_4byte_selector(item): (item["name"], get_abi_input_types(item))
            for item in items
            if item["type"] == "error"
        }
        self.events = {
            event_abi_to_log_topic(item): item["name"] for item in items if item["type"] == "event"
        }

    def data(self, fn: str, args: list[Any]) -> str:
        selector, inputs, _ = self.functions[fn]
        return "0x" + (selector + encode(inputs, args)).hex()

    def result(self, fn: str, raw: str) -> Any:
        values = decode(self.functions[fn][2], HexBytes(raw))
        return values[0] if len(values) == 1 else values


class Rpc:
    """Anvil through ape's provider, one JSON-RPC request at a time or in batches."""

    def __init__(self, chain: Any, contracts: list[Abi], names: dict[str, str]) -> None:
        self.provider = chain.provider.web3.provider
        self.names = names  # lower-case address -> name
        self.errors: dict[bytes, tuple[str, list[str]]] = {}
        for contract in contracts:  # a token's error bubbles up through the escrow
            self.errors.update(contract.errors)

    def request(self, method: str, params: list[Any]) -> Any:
        response = self.provider.make_request(method, params)
        assert "error" not in response, f"{method}: {response['error']}"
        return response["result"]

    def name(self, value: Any) -> Any:
        if isinstance(value, str) and value.startswith("0x") and len(value) == 42:
            return self.names.get(value.lower(), value)
        return value

    def _outcome(self, response: dict[str, Any]) -> Outcome:
        if "error" not in response:
            return Outcome()
        data = HexBytes(response["error"].get("data") or "0x")
        known = self.errors.get(bytes(data[:4]))
        assert known is not None, f"unknown revert: {response['error']}"
        name, types = known
        return Outcome(name, tuple(self.name(v) for v in decode(types, data[4:])))

    def call(self, contract: Abi, fn: str, *args: Any) -> Any:
        tx = {"to": contract.address, "data": contract.data(fn, list(args))}
        return contract.result(fn, self.request("eth_call", [tx, "latest"]))

    def execute(
        self, contract: Abi, fn: str, args: list[Any], sender: str, gas: int = GAS
    ) -> tuple[Outcome, Any, list[dict[str, Any]]]:
        """Call, then send with a fixed gas limit (a refusal is mined, reverted): the outcome,
        the call's return value on success, and the mined transaction's logs."""
        tx = {"from": sender, "to": contract.address, "data": contract.data(fn, args)}
        tx["gas"] = hex(gas)
        response = self.provider.make_request("eth_call", [tx, "latest"])
        outcome = self._outcome(response)
        output = contract.result(fn, response["result"]) if outcome.ok else None
        tx_hash = self.request("eth_sendTransaction", [tx])
        receipt = None
        while receipt is None:  # Anvil mines each transaction at once, but asynchronously
            receipt = self.request("eth_getTransactionReceipt", [tx_hash])
        mined = int(receipt["status"], 16) == 1
        assert mined == outcome.ok, f"{fn}{args}: eth_call said {outcome}, mined {mined}"
        return outcome, output, receipt["logs"]

    def batch(self, calls: list[tuple[Abi, str, list[Any]]]) -> list[Any]:
        """Several view calls in one JSON-RPC batch."""
        requests = [
            ("eth_call", [{"to": c.address, "data": c.data(fn, args)}, "latest"])
            for c, fn, args in calls
        ]
        responses = self.provider.make_batch_request(requests)
        results = []
        for (c, fn, args), response in zip(calls, responses, strict=True):
            assert "error" not in response, f"{fn}{args}: {response['error']}"
            results.append(c.result(fn, response["result"]))
        return results

    def timestamp(self) -> int:
        return int(self.request("eth_getBlockByNumber", ["latest", False])["timestamp"], 16)

    def warp(self, timestamp: int) -> None:
        self.request("evm_setNextBlockTimestamp", [timestamp])
        self.request("evm_mine", [])


# ---------------------------------------------------------------------- the shared world


@dataclass
class World:
    """What every example shares: the contracts, the wallets and the state each example starts
    from."""

    chain: Any
    rpc: Rpc
    chain_id: int
    escrow: Abi
    token: Abi
    cash: Abi
    registry: Abi
    address: dict[str, str]  # name -> address (wallets, escrow, registrar, the two tokens)
    investor_ids: dict[str, bytes]
    start_balances: dict[tuple[str, str], int]
    start_expiry: dict[str, int]

    def abi_of(self, token: str) -> Abi:
        return self.token if token == SECURITY else self.cash

    def terms_tuple(self, terms: Terms) -> tuple[Any, ...]:
        return (
            self.address[terms.seller],
            self.address[terms.buyer],
            self.token.address,
            terms.quantity,
            self.cash.address,
            terms.amount,
            terms.deadline,
        )

    def trade_id(self, terms: Terms, ref: str) -> bytes:
        """keccak256(abi.encode(block.chainid, escrow, terms, tradeRef)), as IDvPEscrow says."""
        encoded = encode(
            [
                "uint256",
                "address",
                "(address,address,address,uint128,address,uint128,uint40)",
                "string",
            ],
            [self.chain_id, self.escrow.address, self.terms_tuple(terms), ref],
        )
        return keccak(encoded)


@pytest.fixture(scope="module")
def dvp_world(
    accounts: Any,
    chain: Any,
    registry: Any,
    token: Any,
    admin: Any,
    issuer: Any,
    registrar: Any,
    upgrader: Any,
    alice: Any,
    bob: Any,
    carol: Any,
    outsider: Any,
    tmp_path_factory: Any,
) -> Iterator[World]:
    """The escrow and a cash token deployed by the package, investors registered, funded and
    approving the escrow. Module-scoped: ape reverts it all when the module ends."""
    # A fresh deployer: its nonces, hence the contracts' addresses, are used by nobody else.
    deployer = accounts.generate_test_account()
    chain.set_balance(deployer.address, 10**21)
    record = load_record(str(Path(tmp_path_factory.mktemp("dvp-deployments"))))
    settlement = deploy_settlement(
        deployer,
        admin=admin.address,
        upgrader=upgrader.address,
        registry=registry,
        registrar=registrar,
        record=record,
    )
    cash = deploy_cash_token(
        deployer, currency="EUR", admin=admin.address, issuer=issuer.address, record=record
    )
    escrow = settlement.escrow
    signers = {"alice": alice, "bob": bob, "carol": carol, "dave": outsider}
    address = {name: account.address for name, account in signers.items()}
    address |= {"alice2": to_checksum_address(ALICE2), ESCROW: escrow.address}
    address["registrar"] = registrar.address
    address |= {SECURITY: token.address, CASH: cash.address}
    chain.provider.web3.provider.make_request("anvil_impersonateAccount", [ALICE2])
    chain.set_balance(ALICE2, 10**21)

    now = int(chain.pending_timestamp)
    investor_ids = {name: investor_id_hash(f"dvp-investor-{name}") for name in INVESTORS}
    start_expiry = {}
    for name, (wallets, country) in INVESTORS.items():
        start_expiry[name] = now + 10 * YEAR
        for wallet in wallets:
            registry.registerInvestor(
                address[wallet],
                investor_ids[name],
                country,
                1,
                start_expiry[name],
                sender=registrar,
            )
    for signer in signers.values():
        token.mint(signer, START_UNITS, sender=issuer)
        cash.mint(signer, START_CASH, sender=issuer)
        token.approve(escrow, MAX_UINT, sender=signer)
        cash.approve(escrow, MAX_UINT, sender=signer)

    abis = {
        "escrow": Abi(escrow),
        "token": Abi(token),
        "cash": Abi(cash),
        "registry": Abi(registry),
    }
    names = {a.lower(): name for name, a in address.items()}
    rpc = Rpc(chain, list(abis.values()), names)
    start_balances = {}
    for wallet in (*WALLETS, ESCROW):
        start_balances[(SECURITY, wallet)] = token.balanceOf(address[wallet])
        start_balances[(CASH, wallet)] = cash.balanceOf(address[wallet])
    assert sum(v for (t, _), v in start_balances.items() if t == SECURITY) == token.totalSupply()
    assert sum(v for (t, _), v in start_balances.items() if t == CASH) == cash.totalSupply()
    try:
        yield World(
            chain=chain,
            rpc=rpc,
            chain_id=chain.chain_id,
            escrow=abis["escrow"],
            token=abis["token"],
            cash=abis["cash"],
            registry=abis["registry"],
            address=address,
            investor_ids=investor_ids,
            start_balances=start_balances,
            start_expiry=start_expiry,
        )
    finally:
        chain.provider.web3.provider.make_request("anvil_stopImpersonatingAccount", [ALICE2])


# ---------------------------------------------------------------------- the state machine


def step(function: Callable[..., None]) -> Callable[..., None]:
    """A rule: until the invariant has checked its result, the example is not clean (a failed
    example is not drained at its end, so that its own error is the one reported)."""

    @functools.wraps(function)
    def body(self: DvPMachine, *args: Any, **kwargs: Any) -> None:
        self.clean = False
        function(self, *args, **kwargs)

    return body


class DvPMachine(RuleBasedStateMachine):
    """The escrow and the model, compared after every step."""

    def __init__(self, world: World) -> None:
        super().__init__()
        self.w = world
        self.snapshot = world.chain.snapshot()
        self.clean = False  # the last step ended with the chain agreeing with the model
        try:
            self.now = world.rpc.timestamp()
            investor_of = {w: name for name, (ws, _) in INVESTORS.items() for w in ws}
            self.model = DvPModel(
                balances=world.start_balances,
                investor_of=investor_of,
                expiry=world.start_expiry,
            )
            self.refs = itertools.count(1)
            # What the logs show each trade took in, delivered at settlement and gave back.
            self.deposits: dict[bytes, list[Move]] = defaultdict(list)
            self.deliveries: dict[bytes, list[Move]] = defaultdict(list)
            self.returns: dict[bytes, list[Move]] = defaultdict(list)
        except BaseException:
            world.chain.restore(self.snapshot)
            raise

    def teardown(self) -> None:
        try:
            if self.clean:  # after a failure, leave its report alone
                self.drain()
        finally:
            self.w.chain.restore(self.snapshot)

    # ---------------------------------------------------------------- acting

    def require_clear(self) -> None:
        """No deadline or expiry between the latest block and the next one may matter: the
        model decides with the latest block's time."""
        latest = self.w.rpc.timestamp()
        assert latest - self.now <= DRIFT, f"time drifted {latest - self.now} s within a step"
        self.now = latest
        close = [c for c in self.model.critical_times() if self.now < c <= self.now + DRIFT]
        assert not close, f"harness: deadlines or expiries {close} too close to {self.now}"

    def act(
        self,
        label: str,
        sender: str,
        fn: str,
        args: list[Any],
        plan: Plan,
        *,
        gas: int = GAS,
        contract: Abi | None = None,
    ) -> Any:
        """Make the call the model planned, as ``sender``: the same outcome, and on success the
        same transfers and escrow events; then record it in the model."""
        outcome, output, logs = self.w.rpc.execute(
            contract or self.w.escrow, fn, args, self.w.address[sender], gas
        )
        assert outcome == plan.outcome, (
            f"{label} by {sender}: chain {self.show(outcome)}, model {self.show(plan.outcome)}"
        )
        if contract is None:
            self.check_logs(label, logs, plan)
        plan.commit()
        self.now = self.w.rpc.timestamp()
        return output

    def show(self, value: Any) -> str:
        """``value`` for a failure message: trade ids as their references, bytes32 reasons as
        text."""
        refs = {t.id: t.ref for t in self.model.trades.values()}

        def plain(item: Any) -> Any:
            if isinstance(item, Outcome):
                return (item.error, *map(plain, item.args)) if item.error else "ok"
            if isinstance(item, tuple | list):
                return type(item)(plain(i) for i in item)
            if isinstance(item, bytes) and item in refs:
                return refs[item]
            if isinstance(item, bytes) and len(item) == 32 and item.rstrip(b"\0").isascii():
                return item.rstrip(b"\0").decode()
            if isinstance(item, bytes):
                return "0x" + item.hex()
            return item

        return repr(plain(value))

    def check_logs(self, label: str, logs: list[dict[str, Any]], plan: Plan) -> None:
        """The escrow events and token transfers of a mined call, attributed to trades."""
        events: list[tuple[str, bytes]] = []
        moves: list[Move] = []
        current: tuple[str, bytes] | None = None
        tokens = {self.w.token.address.lower(): SECURITY, self.w.cash.address.lower(): CASH}
        for log in logs:
            where = log["address"].lower()
            topics = [HexBytes(t) for t in log["topics"]]
            if where == self.w.escrow.address.lower():
                name = self.w.escrow.events.get(bytes(topics[0]))
                assert name is not None, f"{label}: unknown escrow event {log}"
                current = (name, bytes(topics[1]))
                events.append(current)
                continue
            assert where in tokens, f"{label}: a log from {log['address']}"
            assert bytes(topics[0]) == TRANSFER_TOPIC, f"{label}: unexpected token event {log}"
            (source,), (to,) = decode(["address"], topics[1]), decode(["address"], topics[2])
            (value,) = decode(["uint256"], HexBytes(log["data"]))
            move = Move(tokens[where], self.w.rpc.name(source), self.w.rpc.name(to), value)
            moves.append(move)
            assert current is not None, f"{label}: {move} before any escrow event"
            name, trade_id = current
            ledger = {
                "TradeProposed": self.deposits,
                "TradeMatched": self.deposits,
                "TradeSettled": self.deliveries,
                "LegReclaimed": self.returns,
            }.get(name)
            assert ledger is not None, f"{label}: {move} after {name}"
            ledger[trade_id].append(move)
        assert events == plan.events, (
            f"{label}: events {self.show(events)}, model {self.show(plan.events)}"
        )
        assert moves == plan.moves, f"{label}: transfers {moves}, model {plan.moves}"

    def instruct(self, caller: str, terms: Terms, ref: str) -> None:
        self.require_clear()
        trade_id = self.w.trade_id(terms, ref)
        plan = self.model.plan_instruct(caller, terms, ref, trade_id, self.now)
        args = [self.w.terms_tuple(terms), ref]
        returned = self.act("instruct", caller, "instruct", args, plan)
        if plan.outcome.ok:
            assert returned == trade_id, f"instruct returned {returned.hex()}, not the trade id"

    def warp(self, target: int) -> None:
        """Mine a block at ``target`` moved later until no open deadline or eligibility expiry
        is within ``GUARD`` of it."""
        target = max(target, self.now + 1)
        critical = self.model.critical_times()
        while close := [c for c in critical if abs(c - target) < GUARD]:
            target = max(close) + GUARD
        self.w.rpc.warp(target)
        self.now = self.w.rpc.timestamp()
        assert self.now == target, f"mined at {self.now}, asked for {target}"

    def set_expiry(self, investor: str, expiry: int) -> None:
        """The registrar's ``updateInvestor``: same country and category, a new expiry."""
        wallets, country = INVESTORS[investor]
        addresses = sorted((self.w.address[w] for w in wallets), key=lambda a: int(a, 16))
        args = [self.w.investor_ids[investor], addresses, country, 1, expiry]
        self.require_clear()
        self.act(
            "updateInvestor",
            "registrar",
            "updateInvestor",
            args,
            Plan(Outcome(), commit=lambda: self.model.set_expiry(investor, expiry)),
            contract=self.w.registry,
        )

    # ---------------------------------------------------------------- choosing

    def pick_trade(self, data: st.DataObject, *prefer: Callable[[Trade], bool]) -> Trade:
        """A trade: three times in four among the first selection of ``prefer`` that is not
        empty, else among all."""
        trades = list(self.model.trades.values())
        if data.draw(st.sampled_from(PREFERRED), label="preferred"):
            for predicate in prefer:
                if chosen := [t for t in trades if predicate(t)]:
                    trades = chosen
                    break
        return self.draw_trade(data, trades)

    @staticmethod
    def draw_trade(data: st.DataObject, trades: list[Trade]) -> Trade:
        """One of ``trades``, drawn as a text that says which (hypothesis prints the draws)."""
        texts = [repr(t) for t in trades]  # unique: ids differ, and the repr shows every term
        return trades[texts.index(data.draw(st.sampled_from(texts), label="trade"))]

    def pick_caller(self, data: st.DataObject, t: Trade, roles: tuple[str, ...]) -> str:
        """The seller, the buyer, the side whose leg is not held ("counterparty"), one whose leg
        is ("proposer"), or a wallet that is no party ("other")."""
        role = data.draw(st.sampled_from(roles), label="caller")
        if role in ("seller", "buyer"):
            return t.terms.party(Side.SELLER if role == "seller" else Side.BUYER)
        if role in ("counterparty", "proposer"):
            sides = [s for s in Side if t.held(s) == (role == "proposer")] or list(Side)
            return t.terms.party(data.draw(st.sampled_from(sides), label="side"))
        others = [w for w in WALLETS if t.terms.side_of(w) is None]
        return data.draw(st.sampled_from(others), label="other")

    def expire(self, t: Trade) -> None:
        """Time passes the deadline of ``t`` if it is open."""
        if t.effective(self.now) in OPEN:
            self.warp(t.terms.deadline + GUARD)

    def reclaimable_leg(self, t: Trade) -> bool:
        return (t.seller_held or t.buyer_held) and t.effective(self.now) not in OPEN

    def trade_or_unknown(self, data: st.DataObject, prefer: Callable[[Trade], bool]) -> bytes:
        if not self.model.trades or data.draw(st.sampled_from(KNOWN), label="known") is False:
            return data.draw(unknown_ids, label="unknown id")
        return self.pick_trade(data, prefer).id

    # ---------------------------------------------------------------- rules

    @initialize(
        opening=st.lists(
            st.tuples(
                st.permutations(PARTIES),
                st.sampled_from(Side),
                st.integers(1, 300),
                st.integers(1, 8_000),
                st.integers(2, 48),
                _weighted((2, st.just(True)), (1, st.just(False))),
            ),
            min_size=1,
            max_size=4,
        )
    )
    @step
    def open_trades(self, opening: list[tuple[list[str], Side, int, int, int, bool]]) -> None:
        """Each example starts with a few trades, most of them matched by the counterparty
        instructing the same terms and reference."""
        for parties, side, quantity, cash, hours, matched in opening:
            terms = Terms(parties[0], parties[1], quantity, cash * UNIT, self.now + hours * HOUR)
            ref = f"DVP-{next(self.refs)}"
            self.instruct(terms.party(side), terms, ref)
            if matched:
                self.instruct(terms.party(Side(1 - side)), terms, ref)

    @rule(
        parties=st.permutations(PARTIES),
        side=st.sampled_from(Side),
        quantity=quantities,
        amount=amounts,
        hours=deadline_hours,
        seconds=st.integers(0, HOUR - 1),
    )
    @step
    def propose(
        self, parties: list[str], side: Side, quantity: int, amount: int, hours: int, seconds: int
    ) -> None:
        """The seller or the buyer instructs new terms under a new reference."""
        deadline = self.now + hours * HOUR + seconds if hours > 0 else self.now - HOUR
        terms = Terms(parties[0], parties[1], quantity, amount, deadline)
        self.instruct(terms.party(side), terms, f"DVP-{next(self.refs)}")

    @precondition(lambda self: self.model.trades)
    @rule(
        data=st.data(),
        role=st.sampled_from(("counterparty", "counterparty", "proposer", "other")),
        change=_weighted((6, st.just(None)), (1, st.sampled_from(("quantity", "amount")))),
    )
    @step
    def instruct_same_terms(self, data: st.DataObject, role: str, change: str | None) -> None:
        """An existing trade's exact terms and reference instructed again (it matches when the
        counterparty does so), or terms one unit off, which are another trade."""
        t = self.pick_trade(data, lambda t: t.effective(self.now) == Status.PROPOSED)
        caller = self.pick_caller(data, t, (role,))
        terms = t.terms
        if change == "quantity":
            terms = Terms(
                terms.seller, terms.buyer, terms.quantity + 1, terms.amount, terms.deadline
            )
        elif change == "amount":
            terms = Terms(
                terms.seller, terms.buyer, terms.quantity, terms.amount + 1, terms.deadline
            )
        self.instruct(caller, terms, t.ref)

    @precondition(lambda self: self.model.trades)
    @rule(data=st.data())
    @step
    def affirm(self, data: st.DataObject) -> None:
        """The counterparty accepts by id; the proposer again, a non-party, or an unknown id are
        refused."""
        trade_id = self.trade_or_unknown(data, lambda t: t.effective(self.now) == Status.PROPOSED)
        t = self.model.trades.get(trade_id)
        roles = ("counterparty", "counterparty", "proposer", "other")
        caller = self.pick_caller(data, t, roles) if t else data.draw(st.sampled_from(PARTIES))
        self.require_clear()
        plan = self.model.plan_affirm(caller, trade_id, self.now)
        self.act("affirm", caller, "affirm", [trade_id], plan)

    @precondition(lambda self: self.model.trades)
    @rule(data=st.data(), caller=st.sampled_from((*WALLETS, "registrar")))
    @step
    def settle(self, data: st.DataObject, caller: str) -> None:
        """Anyone settles a trade: only a matched one, before its deadline, to an eligible buyer."""
        trade_id = self.trade_or_unknown(data, lambda t: t.effective(self.now) == Status.MATCHED)
        self.require_clear()
        plan = self.model.plan_settle(trade_id, self.now)
        self.act("settle", caller, "settle", [trade_id], plan)

    @precondition(lambda self: self.model.trades)
    @rule(data=st.data(), size=st.integers(1, MAX_BATCH_HERE))
    @step
    def settle_batch(self, data: st.DataObject, size: int) -> None:
        """A batch of known trades (some not settleable, some twice, now and then an unknown id):
        it reports each trade's result and does not revert."""
        ids = [
            self.trade_or_unknown(data, lambda t: t.effective(self.now) == Status.MATCHED)
            for _ in range(size)
        ]
        self.require_clear()
        plan = self.model.plan_settle_batch(ids, self.now)
        gas = BATCH_GAS + size * 600_000  # TRADE_GAS + TRADE_GAS / 63 + BATCH_OVERHEAD < 600k
        settled, reasons = self.act("settleBatch", "registrar", "settleBatch", [ids], plan, gas=gas)
        got = [(bool(s), r.rstrip(b"\0").decode()) for s, r in zip(settled, reasons, strict=True)]
        assert got == plan.results, f"settleBatch returned {got}, model {plan.results}"

    @precondition(lambda self: self.model.trades)
    @rule(data=st.data(), role=st.sampled_from(("seller", "buyer", "both", "other")))
    @step
    def cancel(self, data: st.DataObject, role: str) -> None:
        """One party cancels, or both one after the other (a matched trade is cancelled once
        both asked); a non-party is refused."""
        t = self.pick_trade(data, lambda t: t.effective(self.now) in OPEN)
        roles = ("seller", "buyer") if role == "both" else (role,)
        for one in roles:
            caller = self.pick_caller(data, t, (one,))
            self.require_clear()
            plan = self.model.plan_cancel(caller, t.id, self.now)
            self.act("cancel", caller, "cancel", [t.id], plan)

    @precondition(lambda self: self.model.trades)
    @rule(
        data=st.data(),
        role=st.sampled_from(("seller", "buyer", "seller", "buyer", "other")),
        expire_first=st.booleans(),
    )
    @step
    def reclaim(self, data: st.DataObject, role: str, expire_first: bool) -> None:
        """A party takes its leg back from a cancelled or expired trade (sometimes time first
        passes the trade's deadline); twice, before the deadline, after settlement or by a
        non-party is refused."""
        t = self.pick_trade(data, self.reclaimable_leg, lambda t: t.seller_held or t.buyer_held)
        if expire_first:
            self.expire(t)
        caller = self.pick_caller(data, t, (role,))
        self.require_clear()
        plan = self.model.plan_reclaim(caller, t.id, self.now)
        self.act("reclaim", caller, "reclaim", [t.id], plan)

    @precondition(lambda self: self.model.trades)
    @rule(
        data=st.data(),
        side=st.sampled_from(Side),
        caller_role=st.sampled_from(("party", "party", "alice2", "other")),
        to_role=st.sampled_from(("party", "alice2", "alice2", "other")),
        expire_first=st.booleans(),
    )
    @step
    def reclaim_to(
        self, data: st.DataObject, side: Side, caller_role: str, to_role: str, expire_first: bool
    ) -> None:
        """A leg back to its party or the other wallet of investor A, asked by either (sometimes
        time first passes the trade's deadline); a wallet of another investor, as caller or
        recipient, is refused."""

        def of_alice(t: Trade) -> bool:
            return "alice" in (t.terms.seller, t.terms.buyer)

        t = self.pick_trade(
            data,
            lambda t: self.reclaimable_leg(t) and of_alice(t),
            lambda t: (t.seller_held or t.buyer_held) and of_alice(t),
            self.reclaimable_leg,
        )
        if expire_first:
            self.expire(t)
        held = [s for s in Side if t.held(s)]
        if held and data.draw(st.sampled_from(PREFERRED), label="a held leg"):
            side = data.draw(st.sampled_from(held), label="held side")
        party = t.terms.party(side)

        def wallet(role: str) -> str:
            if role == "party":
                return party
            if role == "alice2":
                return "alice2"
            return data.draw(st.sampled_from([w for w in PARTIES if w != party]), label="other")

        caller, to = wallet(caller_role), wallet(to_role)
        self.require_clear()
        plan = self.model.plan_reclaim_to(caller, t.id, side, to, self.now)
        self.act("reclaimTo", caller, "reclaimTo", [t.id, int(side), self.w.address[to]], plan)

    @precondition(lambda self: self.model.trades)
    @rule(
        data=st.data(),
        how=st.sampled_from(("past a deadline", "before a deadline", "hours")),
        extra=st.integers(0, 2 * HOUR),
    )
    @step
    def time_passes(self, data: st.DataObject, how: str, extra: int) -> None:
        """Time jumps: past an open trade's deadline (it expires), to shortly before one, or by
        some hours."""
        deadlines = sorted(
            t.terms.deadline for t in self.model.trades.values() if t.effective(self.now) in OPEN
        )
        if how == "hours" or not deadlines:
            self.warp(self.now + HOUR + extra * 6)
            return
        deadline = data.draw(st.sampled_from(deadlines), label="deadline")
        if how == "past a deadline":
            self.warp(deadline + GUARD + extra)
        else:
            self.warp(max(self.now + 1, deadline - GUARD - extra % GUARD))

    @precondition(lambda self: self.model.trades)
    @rule(data=st.data(), investor=st.sampled_from(sorted(INVESTORS)), lapse=st.booleans())
    @step
    def eligibility(self, data: st.DataObject, investor: str, lapse: bool) -> None:
        """The registrar renews an investor's eligibility (mostly a lapsed one's) or lets it
        lapse (mostly a matched trade's buyer's): the registry refuses an expiry in the past, so
        the expiry is set a minute ahead and time passes it."""
        if not lapse:
            lapsed = [i for i, expiry in self.model.expiry.items() if expiry <= self.now]
            if lapsed and data.draw(st.sampled_from(PREFERRED), label="a lapsed one"):
                investor = data.draw(st.sampled_from(lapsed), label="lapsed")
            self.set_expiry(investor, self.now + 10 * YEAR)
            return
        matched = [t for t in self.model.trades.values() if t.effective(self.now) == Status.MATCHED]
        if matched and data.draw(st.sampled_from(PREFERRED), label="a buyer"):
            investor = self.model.investor_of[self.draw_trade(data, matched).terms.buyer]
        expiry = self.now + DRIFT
        self.set_expiry(investor, expiry)
        self.warp(expiry + GUARD)

    # ---------------------------------------------------------------- invariants

    @invariant()
    def chain_agrees_with_model(self) -> None:
        self.clean = False
        self.check()
        self.clean = True

    def check(self) -> None:
        w, model = self.w, self.model
        wallets = (*WALLETS, ESCROW)
        calls: list[tuple[Abi, str, list[Any]]] = []
        for token in (SECURITY, CASH):
            abi = w.abi_of(token)
            calls += [(abi, "balanceOf", [w.address[x]]) for x in wallets]
            calls.append((abi, "totalSupply", []))
        calls += [
            (w.escrow, "escrowedSecurities", [w.address[x], w.token.address]) for x in WALLETS
        ]
        calls += [(w.escrow, "escrowedCash", [w.address[x], w.cash.address]) for x in WALLETS]
        trades = list(model.trades.values())
        calls += [(w.escrow, "trade", [t.id]) for t in trades]
        calls += [(w.escrow, "tradeStatus", [t.id]) for t in trades]
        results = iter(w.rpc.batch(calls))
        self.now = w.rpc.timestamp()

        for token in (SECURITY, CASH):
            chain_balances = {x: next(results) for x in wallets}
            supply = next(results)
            expected = {x: model.balance(token, x) for x in wallets}
            assert chain_balances == expected, (
                f"{token} balances {chain_balances}, model {expected}"
            )
            assert supply == model.supply[token], f"{token} supply {supply}, {model.supply[token]}"
            assert sum(expected.values()) == supply, f"{token}: units outside the known wallets"
        for token in (SECURITY, CASH):
            views = {x: next(results) for x in WALLETS}
            expected = {x: model.escrowed(token, x) for x in WALLETS}
            assert views == expected, f"escrowed {token} per holder {views}, model {expected}"
            held = model.escrowed(token)
            escrow_balance = model.balance(token, ESCROW)
            assert escrow_balance == held == sum(views.values()), (
                f"{token}: escrow holds {escrow_balance}, legs {held}, views {sum(views.values())}"
            )
        stored = [next(results) for _ in trades]
        statuses = [next(results) for _ in trades]
        for t, got, status in zip(trades, stored, statuses, strict=True):
            self.check_trade(t, got, status)

    def check_trade(self, t: Trade, got: tuple[Any, ...], status: int) -> None:
        (
            seller,
            deadline,
            stored_status,
            seller_held,
            buyer_held,
            seller_cancels,
            buyer_cancels,
            buyer,
            security,
            cash,
            settled_at,
            settled_block,
            quantity,
            amount,
            ref,
        ) = got
        name = self.w.rpc.name
        expected_status = t.effective(self.now)
        label = f"trade {t.ref} ({t.terms})"
        assert Status(status) == expected_status, f"{label}: tradeStatus {status}"
        assert Status(stored_status) == expected_status, f"{label}: trade().status {stored_status}"
        assert (name(seller), name(buyer), quantity, amount, deadline, ref) == (
            t.terms.seller,
            t.terms.buyer,
            t.terms.quantity,
            t.terms.amount,
            t.terms.deadline,
            t.ref,
        ), f"{label}: stored terms {got}"
        assert (name(security), name(cash)) == (SECURITY, CASH), f"{label}: {security}, {cash}"
        flags = (seller_held, buyer_held, seller_cancels, buyer_cancels)
        expected = (t.seller_held, t.buyer_held, t.seller_cancels, t.buyer_cancels)
        assert flags == expected, f"{label}: held/cancels {flags}, model {expected}"
        settled = t.status == Status.SETTLED
        assert (settled_at != 0, settled_block != 0) == (settled, settled), f"{label}: settledAt"
        # No half settlement, from the logs: both legs delivered, or neither.
        delivered = self.deliveries.get(t.id, [])
        if settled:
            both = [
                Move(SECURITY, ESCROW, t.terms.buyer, t.terms.quantity),
                Move(CASH, ESCROW, t.terms.seller, t.terms.amount),
            ]
            assert delivered == both, f"{label}: settled, delivered {delivered}"
        else:
            assert delivered == [], f"{label}: not settled, delivered {delivered}"
        taken = sorted((m.token, m.amount) for m in self.deposits.get(t.id, []))
        given = sorted((m.token, m.amount) for m in self.returns.get(t.id, []))
        held = [t.leg(side) for side in Side if t.held(side)]
        if settled:
            held = [t.leg(Side.SELLER), t.leg(Side.BUYER)]  # delivered, not given back
        assert sorted(taken) == sorted(given + held), (
            f"{label}: took {taken}, gave back {given}, holds {held}"
        )

    # ---------------------------------------------------------------- the end of an example

    def drain(self) -> None:
        """Everyone eligible, every deadline passed, every held leg reclaimed by its party: the
        escrow must then hold nothing."""
        for investor, expiry in list(self.model.expiry.items()):
            if expiry <= self.now + 10 * HOUR:
                self.set_expiry(investor, self.now + 10 * YEAR)
        open_deadlines = [t.terms.deadline for t in self.model.trades.values() if t.status in OPEN]
        if open_deadlines:
            self.warp(max(open_deadlines) + GUARD)
        for t, side in self.model.held_legs():
            party = t.terms.party(side)
            self.require_clear()
            plan = self.model.plan_reclaim(party, t.id, self.now)
            assert plan.outcome.ok, f"{t.ref}: the {side.name} leg cannot come back: {plan.outcome}"
            self.act("reclaim at the end", party, "reclaim", [t.id], plan)
        self.check()
        for token in (SECURITY, CASH):
            held = self.w.rpc.call(self.w.abi_of(token), "balanceOf", self.w.address[ESCROW])
            assert held == 0, f"the escrow still holds {held} {token} after every reclaim"
        for t in self.model.trades.values():
            assert t.effective(self.now) not in OPEN, f"{t.ref} still open"


def test_escrow_conserves_both_legs_and_never_settles_half(dvp_world: World) -> None:
    run_state_machine_as_test(lambda: DvPMachine(dvp_world), settings=machine_settings())

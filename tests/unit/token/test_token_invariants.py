"""Stateful property test: random sequences of token and registry operations keep the books right.

A hypothesis ``RuleBasedStateMachine`` drives the real SecurityToken and InvestorRegistry on Anvil
with every operation that moves units or changes who may hold them: mint, burn, transfer,
transferFrom, forced transfer, wallet recovery, address and partial freezes, pause, wallet
registration and removal, rules switched on and off, and time passing an eligibility expiry or
the lock-up date. A Python model keeps the expected balances, freezes, registry kinds and rules.

Every mint and ordinary transfer asks ``canTransfer`` first, which must give the answer the model
predicts (the order of checks in docs/rules.md), and is then sent for real: it succeeds exactly
when the answer is 0x51, and a refusal reverts TransferRestricted with the same code and reason
(ERC20InsufficientBalance for INSUFFICIENT_BALANCE, ERC20InvalidReceiver for the zero address, as
docs/rules.md says). Refused transactions are mined as reverted transactions, and nothing they
touch may change. After every step the chain must agree exactly with the model, and the holdings
bookkeeping with the balances (see ``Machine.supply_*`` and ``Machine.holdings_*``).

Pool: investor A with two wallets (alice, alice2), B (bob), C (carol, eligible for 30 days), D
(dave, the ``outsider`` account, holding nothing at first), a system account (escrow), and two
unregistered addresses (spare1, spare2) that rules may register or use as the target of a wallet
recovery. Each example starts from a random set of rules, then runs random steps.

Sizes come from the HYPOTHESIS_PROFILE environment variable: "default" (25 examples of up to 20
steps, for ``make test``) or "fuzz" (1,000 examples of up to 50 steps).
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

import pytest
from ape.exceptions import ContractLogicError
from eth_abi import decode, encode
from eth_utils import function_abi_to_4byte_selector, get_abi_input_types, get_abi_output_types
from hexbytes import HexBytes
from hypothesis import HealthCheck, event, note, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)
from suite_data import FRANCE, GERMANY, USA, YEAR
from web3 import Web3

from securities_rails.identifiers import investor_id_hash, investor_key
from securities_rails.reasons import REASONS, decode_reason, encode_reason

DAY = 24 * 3600
HOUR = 3600
GAS = 2_000_000
ZERO = "0x0000000000000000000000000000000000000000"
PANIC = bytes.fromhex("4e487b71")  # Panic(uint256)

# Example and step sizes per HYPOTHESIS_PROFILE (tests/conftest.py may register the same profiles).
PROFILES: dict[str, dict[str, int]] = {
    "default": {"max_examples": 25, "stateful_step_count": 20},
    "fuzz": {"max_examples": 1000, "stateful_step_count": 50},
}


def machine_settings() -> settings:
    """The loaded hypothesis profile, sized by HYPOTHESIS_PROFILE, with no deadline."""
    sizes = PROFILES.get(os.environ.get("HYPOTHESIS_PROFILE", "default"), {})
    return settings(
        settings.default,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        **sizes,
    )


class Kind(IntEnum):
    """IInvestorRegistry.WalletKind."""

    NONE = 0
    INVESTOR = 1
    SYSTEM = 2
    RETIRED = 3


class Rule(IntEnum):
    """ITransferRules.RuleType."""

    COUNTRY_ALLOW_LIST = 0
    COUNTRY_DENY_LIST = 1
    MAX_INVESTORS = 2
    HOLDING_CAP = 3
    LOCK_UP = 4
    MIN_TRANSFER = 5


@dataclass(frozen=True)
class InvestorSpec:
    country: int
    category: int
    lifetime: int  # seconds of eligibility from the start of the example


INVESTORS: dict[str, InvestorSpec] = {
    "A": InvestorSpec(GERMANY, 1, 10 * YEAR),
    "B": InvestorSpec(FRANCE, 2, 10 * YEAR),
    "C": InvestorSpec(USA, 3, 30 * DAY),
    "D": InvestorSpec(FRANCE, 1, 10 * YEAR),
}
KEYS = {name: investor_key(investor_id_hash(f"investor-{name}")) for name in INVESTORS}

# Wallets the fixtures do not provide: fixed addresses, impersonated on Anvil.
EXTRA_WALLETS = {
    "alice2": "0x00000000000000000000000000000000A11CE002",
    "escrow": "0x00000000000000000000000000000000E5C20001",
    "spare1": "0x00000000000000000000000000000000005BA2E1",
    "spare2": "0x00000000000000000000000000000000005BA2E2",
}
WALLETS = ("alice", "alice2", "bob", "carol", "dave", "escrow", "spare1", "spare2")
NOBODY = "nobody"  # the zero address, as a recipient
# Initial registrations (investor name, or "system") and balances of each example.
START_REGISTRATIONS = {
    "alice": "A",
    "alice2": "A",
    "bob": "B",
    "carol": "C",
    "dave": "D",
    "escrow": "system",
}
START_BALANCES = {"alice": 400, "alice2": 100, "bob": 300, "carol": 50, "escrow": 200}

HUGE = (2**128, 2**248, 2**248 + 3, 2**249)  # beyond the uint128 limits and the uint248 freezes
UINT248_MAX = 2**248 - 1
RELATIVE = ("all", "half", "one", "free", "all+1", "free+1")
COUNTRIES = (GERMANY, FRANCE, USA)
FREEZES = ("address", "unaddress", "tokens", "untokens")

STATS: Counter[str] = Counter()


def _weighted(*choices: tuple[int, st.SearchStrategy[Any]]) -> st.SearchStrategy[Any]:
    """One of the strategies, each drawn in proportion to its weight (``one_of`` is uniform)."""
    pool = [strategy for weight, strategy in choices for _ in range(weight)]
    return st.sampled_from(range(len(pool))).flatmap(lambda i: pool[i])


wallets = st.sampled_from(WALLETS)
recipients = st.sampled_from((*WALLETS, NOBODY))
# A sender: any wallet, or "holder#i", the i-th (modulo) of the wallets holding units when the
# rule runs (most wallets hold nothing, and a transfer from them is merely refused).
senders = st.one_of(wallets, st.integers(0, len(WALLETS) - 1).map(lambda i: f"holder#{i}"))
# An amount: absolute, relative to the party's balance (resolved when the rule runs), or huge.
amounts = _weighted(
    (6, st.sampled_from(RELATIVE[:4])),
    (1, st.sampled_from(RELATIVE[4:])),
    (3, st.integers(0, 600)),
    (1, st.sampled_from(HUGE)),
)
mint_amounts = _weighted((8, st.integers(0, 600)), (1, st.sampled_from(HUGE)))

COUNTRY_LISTS = (Rule.COUNTRY_ALLOW_LIST, Rule.COUNTRY_DENY_LIST)
# (action, rule type, value): lock-up values are days from now, -1 being a lock-up already over.
rule_changes = _weighted(
    (
        2,
        st.tuples(
            st.just("set"),
            st.sampled_from(COUNTRY_LISTS),
            _weighted((3, st.just(1)), (1, st.sampled_from([0, 2]))),
        ),
    ),
    (
        3,
        st.tuples(
            st.just("country"),
            st.sampled_from(COUNTRY_LISTS),
            st.tuples(
                st.lists(st.sampled_from(COUNTRIES), min_size=1, max_size=3, unique=True),
                st.booleans(),
            ),
        ),
    ),
    (1, st.tuples(st.just("set"), st.just(Rule.MAX_INVESTORS), st.integers(0, 4))),
    (
        1,
        st.tuples(
            st.just("set"),
            st.just(Rule.HOLDING_CAP),
            st.sampled_from([0, 1, 150, 450, 600, 1000, 2**128 - 1, 2**128]),
        ),
    ),
    (
        1,
        st.tuples(
            st.just("set"), st.just(Rule.MIN_TRANSFER), st.sampled_from([0, 1, 10, 100, 2**128])
        ),
    ),
    (1, st.tuples(st.just("set"), st.just(Rule.LOCK_UP), st.sampled_from([-1, 10]))),
    (1, st.tuples(st.just("remove"), st.sampled_from(list(Rule)), st.none())),
)


def resolve(raw: int | str, held: int, free: int) -> int:
    """An amount from a strategy value: ``held`` is the balance, ``free`` its unfrozen part."""
    if isinstance(raw, int):
        return raw
    return {
        "all": held,
        "half": held // 2,
        "one": 1,
        "all+1": held + 1,
        "free": free,
        "free+1": free + 1,
    }[raw]


def _norm(value: Any) -> Any:
    if isinstance(value, bytes | bytearray | HexBytes):
        return bytes(value)
    if isinstance(value, str) and value.startswith("0x") and len(value) == 42:
        return value.lower()
    if isinstance(value, IntEnum):
        return int(value)
    return value


@dataclass(frozen=True)
class Outcome:
    """What a transaction did: success, or the custom error (name and inputs) it reverted with."""

    ok: bool
    error: str = ""
    inputs: dict[str, Any] = field(default_factory=dict)

    @staticmethod
    def reverts(error: str, **inputs: Any) -> Outcome:
        return Outcome(False, error, {key: _norm(value) for key, value in inputs.items()})

    def __str__(self) -> str:
        return "ok" if self.ok else f"{self.error}{self.inputs}"


OK = Outcome(True)


def restricted(code: int, reason: str) -> Outcome:
    return Outcome.reverts("TransferRestricted", code=bytes([code]), reason=encode_reason(reason))


class Contract:
    """One contract's functions, encoded and decoded with eth-abi (web3's contract objects
    re-validate the whole ABI on every call, which would cost most of the run time)."""

    def __init__(self, instance: Any) -> None:
        self.address = Web3.to_checksum_address(instance.address)
        abi = [item.model_dump(by_alias=True, mode="json") for item in instance.contract_type.abi]
        self.functions = {
            item["name"]: (
                function_abi_to_4byte_selector(item),
                get_abi_input_types(item),
                get_abi_output_types(item),
            )
            for item in abi
            if item["type"] == "function"
        }

    def data(self, fn: str, args: list[Any]) -> str:
        selector, inputs, _ = self.functions[fn]
        return "0x" + (selector + encode(inputs, args)).hex()

    def result(self, fn: str, raw: str) -> Any:
        values = decode(self.functions[fn][2], HexBytes(raw))
        return values[0] if len(values) == 1 else values


class Rpc:
    """Raw JSON-RPC to Anvil: ape prints a call trace for every reverted transaction, too slow
    for hundreds of refusals.

    ``execute`` first calls the function (eth_call) to learn its outcome and revert data, then
    sends it for real with a fixed gas limit, so that a refused transaction is mined, reverted.
    """

    def __init__(self, chain: Any, token: Any, registry: Any) -> None:
        self.provider = chain.provider.web3.provider
        self.ecosystem = chain.provider.network.ecosystem
        self.token = Contract(token)
        self.registry = Contract(registry)

    def request(self, method: str, params: list[Any]) -> Any:
        response = self.provider.make_request(method, params)
        assert "error" not in response, f"{method}: {response['error']}"
        return response["result"]

    def _outcome(self, contract: Contract, response: dict[str, Any]) -> Outcome:
        if "error" not in response:
            return OK
        data = HexBytes(response["error"].get("data") or "0x")
        if data[:4] == PANIC:
            return Outcome.reverts("Panic", code=int.from_bytes(data[4:], "big"))
        error = self.ecosystem.decode_custom_error(data, contract.address) if data else None
        if error is None:
            return Outcome(False, "Revert", {"message": response["error"].get("message")})
        return Outcome.reverts(error.name, **error.inputs)

    def call(self, contract: Contract, fn: str, *args: Any) -> Any:
        tx = {"to": contract.address, "data": contract.data(fn, list(args))}
        return contract.result(fn, self.request("eth_call", [tx, "latest"]))

    def execute(self, contract: Contract, fn: str, args: list[Any], sender: str) -> Outcome:
        tx = {"from": sender, "to": contract.address, "data": contract.data(fn, args)}
        tx["gas"] = hex(GAS)
        outcome = self._outcome(contract, self.provider.make_request("eth_call", [tx, "latest"]))
        tx_hash = self.request("eth_sendTransaction", [tx])
        receipt = None
        while receipt is None:  # Anvil mines each transaction at once, but asynchronously
            receipt = self.request("eth_getTransactionReceipt", [tx_hash])
        status = int(receipt["status"], 16)
        assert (status == 1) == outcome.ok, f"{fn}{args}: eth_call said {outcome}, mined {status}"
        return outcome

    def batch(self, calls: list[tuple[Contract, str, list[Any]]]) -> list[Any]:
        """Several view calls in one JSON-RPC batch."""
        requests = [
            ("eth_call", [{"to": c.address, "data": c.data(fn, args)}, "latest"])
            for c, fn, args in calls
        ]
        responses = self.provider.make_batch_request(requests)
        return [
            c.result(fn, response["result"])
            for (c, fn, _), response in zip(calls, responses, strict=True)
        ]

    def timestamp(self) -> int:
        return int(self.request("eth_getBlockByNumber", ["latest", False])["timestamp"], 16)


class Machine(RuleBasedStateMachine):
    """The token, its registry and a Python model of both, compared after every step."""

    def __init__(self, rpc: Rpc, who: dict[str, str], chain: Any) -> None:
        super().__init__()
        self.rpc, self.who, self.chain = rpc, who, chain
        self.address = {name: who[name] for name in WALLETS} | {NOBODY: ZERO}
        self.version = 0  # bumped by every transaction: the invariants read the chain once each
        self._seen: tuple[int, dict[str, Any]] | None = None
        self.snapshot = chain.snapshot()
        STATS["examples"] += 1
        try:
            self._start()
        except BaseException:
            chain.restore(self.snapshot)
            raise

    def _start(self) -> None:
        self.start = self.now = self.rpc.timestamp()
        self.kind = dict.fromkeys(WALLETS, Kind.NONE)
        self.owner: dict[str, str | None] = dict.fromkeys(WALLETS)
        self.expiry: dict[str, int] = {}  # registered investors
        self.balance = dict.fromkeys(WALLETS, 0)
        self.frozen_all = dict.fromkeys(WALLETS, False)
        self.frozen = dict.fromkeys(WALLETS, 0)
        self.paused = False
        self.rules: dict[Rule, int] = {}  # active rules and their values
        self.listed: set[tuple[Rule, int]] = set()
        for wallet, whom in START_REGISTRATIONS.items():
            self.register_wallet(wallet, whom)
        for wallet, amount in START_BALANCES.items():
            self.mint(wallet, amount)
        assert all(self.balance[w] == b for w, b in START_BALANCES.items()), "set-up refused"

    @initialize(changes=st.lists(rule_changes, max_size=6))
    def configure_rules(self, changes: list[tuple[str, Any, Any]]) -> None:
        """Start from a random configuration of rules (steps change it too, but more rarely)."""
        STATS["initial configurations"] += 1
        for change in changes:
            self.change_rules(change)

    def teardown(self) -> None:
        self.chain.restore(self.snapshot)

    # ---------------------------------------------------------------- model

    def holding(self, investor: str | None) -> int:
        """An investor's units across its wallets, retired ones included."""
        return sum(self.balance[w] for w in WALLETS if investor and self.owner[w] == investor)

    def investor_count(self) -> int:
        return sum(1 for name in self.expiry if self.holding(name) > 0)

    def any_frozen(self) -> bool:
        return any(self.frozen_all[w] or self.frozen[w] for w in WALLETS)

    def on(self, rule_type: Rule) -> bool:
        return rule_type in self.rules

    def predict(self, sender: str | None, to: str, amount: int) -> tuple[int, str]:
        """``canTransfer`` by the order of checks in docs/rules.md; ``sender`` None is a mint."""
        if self.paused:
            return 0x50, "TOKEN_PAUSED"
        if to == NOBODY:
            return 0x57, "INVALID_RECIPIENT"
        if amount == 0:
            return 0x51, "OK"
        frozen = self.any_frozen()
        if sender is not None:
            held = self.balance[sender]
            if amount > held:
                return 0x54, "INSUFFICIENT_BALANCE"
            if frozen and self.frozen_all[sender]:
                return 0x55, "SENDER_FROZEN"
            if frozen and amount > held - self.frozen[sender]:
                return 0x55, "FROZEN_BALANCE"
            if self.kind[sender] == Kind.INVESTOR:
                if self.expiry[self.owner[sender]] <= self.now:
                    return 0x56, "SENDER_ELIGIBILITY_EXPIRED"
            elif self.kind[sender] != Kind.SYSTEM:
                return 0x56, "SENDER_NOT_REGISTERED"
            if self.on(Rule.LOCK_UP) and self.now < self.rules[Rule.LOCK_UP]:
                return 0x55, "LOCKED_UP"
            if self.on(Rule.MIN_TRANSFER) and amount < self.rules[Rule.MIN_TRANSFER]:
                return 0x50, "BELOW_MIN_TRANSFER"
        if frozen and self.frozen_all[to]:
            return 0x57, "RECIPIENT_FROZEN"
        if self.kind[to] == Kind.SYSTEM:
            return 0x51, "OK"
        if self.kind[to] != Kind.INVESTOR:
            return 0x57, "RECIPIENT_NOT_REGISTERED"
        investor = self.owner[to]
        if self.expiry[investor] <= self.now:
            return 0x57, "RECIPIENT_ELIGIBILITY_EXPIRED"
        country = INVESTORS[investor].country
        allow, deny = Rule.COUNTRY_ALLOW_LIST, Rule.COUNTRY_DENY_LIST
        if self.on(allow) and (allow, country) not in self.listed:
            return 0x57, "COUNTRY_NOT_ALLOWED"
        if self.on(deny) and (deny, country) in self.listed:
            return 0x57, "COUNTRY_DENIED"
        leaving = self.owner[sender] if sender is not None else None
        if leaving == investor:
            return 0x51, "OK"
        held = self.holding(investor)
        if self.on(Rule.HOLDING_CAP) and held + amount > self.rules[Rule.HOLDING_CAP]:
            return 0x57, "HOLDING_CAP_EXCEEDED"
        count, limit = self.investor_count(), self.rules.get(Rule.MAX_INVESTORS)
        if limit is not None and held == 0 and count >= limit:
            leaves = leaving is not None and self.holding(leaving) == amount
            if not leaves or count > limit:
                return 0x57, "MAX_INVESTORS_REACHED"
        return 0x51, "OK"

    def release_frozen(self, wallet: str, amount: int) -> None:
        """Forced transfers and burns unfreeze what they take beyond the unfrozen balance."""
        free = self.balance[wallet] - self.frozen[wallet]
        if amount > free:
            self.frozen[wallet] -= amount - free

    def sender(self, drawn: str) -> str:
        """A wallet name from the ``senders`` strategy."""
        if not drawn.startswith("holder#"):
            return drawn
        holders = [w for w in WALLETS if self.balance[w] > 0] or list(WALLETS)
        return holders[int(drawn.removeprefix("holder#")) % len(holders)]

    def move(self, sender: str | None, to: str | None, amount: int) -> None:
        if sender is not None:
            self.balance[sender] -= amount
        if to is not None:
            self.balance[to] += amount

    # ---------------------------------------------------------------- chain

    def tx(self, contract: str, fn: str, args: list[Any], sender: str, expected: Outcome) -> bool:
        """Send a transaction and check it does what the model expects; True when it succeeded."""
        target = self.rpc.token if contract == "token" else self.rpc.registry
        outcome = self.rpc.execute(target, fn, args, self.who[sender])
        self.version += 1
        STATS["transactions"] += 1
        label = f"{fn}: {'ok' if outcome.ok else outcome.error}"
        event(label)
        STATS[label] += 1
        assert outcome == expected, f"{fn}{args}: expected {expected}, got {outcome}"
        return outcome.ok

    def can_transfer(self, sender: str | None, to: str, amount: int) -> tuple[int, str]:
        """``canTransfer`` on the chain, which must agree with the model's prediction."""
        origin = ZERO if sender is None else self.address[sender]
        code, reason = self.rpc.call(
            self.rpc.token, "canTransfer", origin, self.address[to], amount
        )
        answer = (bytes(code)[0], decode_reason(bytes(reason)))
        predicted = self.predict(sender, to, amount)
        note(f"canTransfer({sender or 'mint'}, {to}, {amount}) = {answer[0]:#x} {answer[1]}")
        assert answer == predicted, f"canTransfer gave {answer}, the model predicts {predicted}"
        assert answer[0] == REASONS[answer[1]].code, f"{answer[1]} came with code {answer[0]:#x}"
        return answer

    def ordinary(
        self, sender: str | None, to: str, amount: int, fn: str, args: list[Any], caller: str
    ) -> bool:
        """A mint or transfer: canTransfer first, then the transaction, which must agree."""
        code, reason = self.can_transfer(sender, to, amount)
        event(f"{fn}: canTransfer {reason}")
        STATS[f"{fn}: canTransfer {reason}"] += 1
        if to == NOBODY:  # ERC-20 checks the zero address before the rules (docs/rules.md)
            expected = Outcome.reverts("ERC20InvalidReceiver", receiver=ZERO)
        elif code == 0x51:
            expected = OK
        elif reason == "INSUFFICIENT_BALANCE":
            held = self.balance[sender] if sender is not None else 0
            expected = Outcome.reverts(
                "ERC20InsufficientBalance",
                sender=self.address[sender] if sender else ZERO,
                balance=held,
                needed=amount,
            )
        else:
            expected = restricted(code, reason)
        parties = [w for w in (sender, to) if w is not None and w != NOBODY]
        before = [self.balance[w] for w in parties]
        done = self.tx("token", fn, args, caller, expected)
        if not done:  # no refused transfer ever lands
            after = [self.rpc.call(self.rpc.token, "balanceOf", self.address[w]) for w in parties]
            assert after == before, f"{fn} was refused ({reason}) yet balances moved"
        return done

    # ---------------------------------------------------------------- rules: units

    @rule(to=recipients, amount=mint_amounts)
    def mint(self, to: str, amount: int) -> None:
        if self.ordinary(None, to, amount, "mint", [self.address[to], amount], "issuer"):
            self.move(None, to, amount)

    @rule(wallet=senders, raw=amounts)
    def burn(self, wallet: str, raw: int | str) -> None:
        wallet = self.sender(wallet)
        held = self.balance[wallet]
        amount = resolve(raw, held, held - self.frozen[wallet])
        if self.paused:
            expected = restricted(0x50, "TOKEN_PAUSED")
        elif amount > held:
            expected = Outcome.reverts(
                "ERC20InsufficientBalance",
                sender=self.address[wallet],
                balance=held,
                needed=amount,
            )
        else:
            expected = OK
        if self.tx("token", "burn", [self.address[wallet], amount], "issuer", expected):
            self.release_frozen(wallet, amount)
            self.move(wallet, None, amount)

    @rule(sender=senders, to=recipients, raw=amounts)
    def transfer(self, sender: str, to: str, raw: int | str) -> None:
        sender = self.sender(sender)
        held = self.balance[sender]
        amount = resolve(raw, held, held - self.frozen[sender])
        if self.ordinary(sender, to, amount, "transfer", [self.address[to], amount], sender):
            self.move(sender, None if to == NOBODY else to, amount)

    @rule(sender=senders, to=recipients, raw=amounts)
    def transfer_again(self, sender: str, to: str, raw: int | str) -> None:
        """The same as ``transfer``: a second rule, so that transfers get more of the steps."""
        self.transfer(sender, to, raw)

    @rule(owner=senders, spender=wallets, to=recipients, raw=amounts)
    def transfer_from(self, owner: str, spender: str, to: str, raw: int | str) -> None:
        owner = self.sender(owner)
        held = self.balance[owner]
        amount = resolve(raw, held, held - self.frozen[owner])
        spender_address = self.address[spender]
        self.tx("token", "approve", [spender_address, amount], owner, OK)
        args = [self.address[owner], self.address[to], amount]
        done = self.ordinary(owner, to, amount, "transferFrom", args, spender)
        if done:
            self.move(owner, to, amount)
        allowance = self.rpc.call(self.rpc.token, "allowance", self.address[owner], spender_address)
        assert allowance == (0 if done else amount), "the allowance was not spent exactly once"

    @rule(sender=senders, to=recipients, raw=amounts)
    def forced_transfer(self, sender: str, to: str, raw: int | str) -> None:
        sender = self.sender(sender)
        held = self.balance[sender]
        amount = resolve(raw, held, held - self.frozen[sender])
        if sender == to:
            expected = Outcome.reverts("SameAddress", wallet=self.address[sender])
        elif to == NOBODY or self.kind[to] not in (Kind.INVESTOR, Kind.SYSTEM):
            expected = Outcome.reverts("RecipientNotRegistered", wallet=self.address[to])
        elif amount > held:
            expected = Outcome.reverts(
                "ERC20InsufficientBalance", sender=self.address[sender], balance=held, needed=amount
            )
        else:
            expected = OK
        args = [self.address[sender], self.address[to], amount, "court order"]
        if self.tx("token", "forcedTransfer", args, "registrar", expected):
            self.release_frozen(sender, amount)
            self.move(sender, to, amount)

    # ---------------------------------------------------------------- rules: freezes, pause

    @rule(wallet=senders, action=st.sampled_from(FREEZES), raw=amounts)
    def freeze(self, wallet: str, action: str, raw: int | str) -> None:
        """The enforcer: setAddressFrozen (``address``/``unaddress``), freezePartialTokens
        (``tokens``, ``raw`` of the unfrozen units) or unfreezePartialTokens (``untokens``)."""
        wallet = self.sender(wallet)
        address = self.address[wallet]
        if action in ("address", "unaddress"):
            self.tx("token", "setAddressFrozen", [address, action == "address"], "enforcer", OK)
            self.frozen_all[wallet] = action == "address"
            return
        freeze = action == "tokens"
        frozen = self.frozen[wallet]
        limit = self.balance[wallet] - frozen if freeze else frozen
        amount = resolve(raw, limit, limit)
        if amount == 0 or amount > limit:
            expected = Outcome.reverts(
                "FreezeAmountInvalid", wallet=address, amount=amount, available=limit
            )
        elif freeze and frozen + amount > UINT248_MAX:  # frozen amounts are uint248
            expected = Outcome.reverts(
                "SafeCastOverflowedUintDowncast", bits=248, value=frozen + amount
            )
        else:
            expected = OK
        fn = "freezePartialTokens" if freeze else "unfreezePartialTokens"
        if self.tx("token", fn, [address, amount], "enforcer", expected):
            self.frozen[wallet] += amount if freeze else -amount

    @rule(paused=_weighted((1, st.just(True)), (7, st.just(False))))
    def set_paused(self, paused: bool) -> None:
        """pause (``paused``) or unpause; an eighth of the calls pause, so pauses do not last."""
        if paused:
            expected = Outcome.reverts("EnforcedPause") if self.paused else OK
        else:
            expected = OK if self.paused else Outcome.reverts("ExpectedPause")
        if self.tx("token", "pause" if paused else "unpause", [], "pauser", expected):
            self.paused = paused

    # ---------------------------------------------------------------- rules: registry

    @rule(wallet=wallets, whom=st.sampled_from([*INVESTORS, "system"]))
    def register_wallet(self, wallet: str, whom: str) -> None:
        address = self.address[wallet]
        taken = Outcome.reverts("WalletAlreadyRegistered", wallet=address, kind=self.kind[wallet])
        if whom == "system":
            expected = taken if self.kind[wallet] != Kind.NONE else OK
            if self.tx(
                "registry", "registerSystemAccount", [address, "escrow"], "registrar", expected
            ):
                self.kind[wallet] = Kind.SYSTEM
            return
        spec = INVESTORS[whom]
        expiry = self.expiry.get(whom, self.start + spec.lifetime)
        if self.kind[wallet] != Kind.NONE:
            expected = taken
        elif expiry <= self.now:
            expected = Outcome.reverts("ExpiryNotInFuture", expiry=expiry)
        else:
            expected = OK
        investor_id = investor_id_hash(f"investor-{whom}")
        args = [address, investor_id, spec.country, spec.category, expiry]
        if self.tx("registry", "registerInvestor", args, "registrar", expected):
            self.kind[wallet], self.owner[wallet] = Kind.INVESTOR, whom
            self.expiry[whom] = expiry

    @rule(wallet=wallets)
    def remove_wallet(self, wallet: str) -> None:
        address = self.address[wallet]
        if self.kind[wallet] == Kind.SYSTEM:
            fn, expected = "removeSystemAccount", OK
        else:
            fn = "removeWallet"
            expected = (
                OK
                if self.kind[wallet] == Kind.INVESTOR
                else Outcome.reverts("WalletNotRegistered", wallet=address)
            )
        if self.tx("registry", fn, [address], "registrar", expected):
            self.kind[wallet] = Kind.RETIRED

    def _token_recover(self, lost: str, new: str) -> None:
        lost_address, new_address = self.address[lost], self.address[new]
        investor = self.owner[lost]
        if lost == new:
            expected = Outcome.reverts("SameAddress", wallet=lost_address)
        elif investor is None or self.kind[new] != Kind.INVESTOR or self.owner[new] != investor:
            expected = Outcome.reverts(
                "NotSameInvestor", lostWallet=lost_address, newWallet=new_address
            )
        elif (self.frozen_all[lost] or self.frozen[lost]) and (
            self.frozen[lost] + self.frozen[new] > UINT248_MAX
        ):
            # The two frozen amounts no longer fit a uint248: refused with SafeCast's error
            # (test_recovery_onto_a_frozen_wallet_does_not_panic).
            expected = Outcome.reverts(
                "SafeCastOverflowedUintDowncast",
                bits=248,
                value=self.frozen[lost] + self.frozen[new],
            )
        else:
            expected = OK
        args = [lost_address, new_address]
        if not self.tx("token", "recoverWallet", args, "registrar", expected):
            return
        if self.frozen_all[lost] or self.frozen[lost]:
            self.frozen_all[new] = self.frozen_all[new] or self.frozen_all[lost]
            self.frozen[new] += self.frozen[lost]
            self.frozen_all[lost], self.frozen[lost] = False, 0
        self.move(lost, new, self.balance[lost])

    @rule(lost=wallets, new=wallets, in_registry=st.booleans())
    def recover_wallet(self, lost: str, new: str, in_registry: bool) -> None:
        """The recovery procedure: the registry links the new wallet (``in_registry``), then the
        token moves the units; without the registry step, e.g. a retired wallet's units go to
        another wallet of its investor."""
        if in_registry:
            self._registry_recover(lost, new)
        self._token_recover(lost, new)

    def _registry_recover(self, lost: str, new: str) -> None:
        lost_address, new_address = self.address[lost], self.address[new]
        if self.kind[lost] != Kind.INVESTOR:
            expected = Outcome.reverts("WalletNotRegistered", wallet=lost_address)
        elif self.kind[new] != Kind.NONE:
            expected = Outcome.reverts(
                "WalletAlreadyRegistered", wallet=new_address, kind=self.kind[new]
            )
        else:
            expected = OK
        args = [lost_address, new_address]
        if self.tx("registry", "recoverWallet", args, "registrar", expected):
            self.kind[new], self.owner[new] = Kind.INVESTOR, self.owner[lost]
            self.kind[lost] = Kind.RETIRED

    # ---------------------------------------------------------------- rules: transfer rules

    @rule(change=rule_changes)
    def change_rules(self, change: tuple[str, Any, Any]) -> None:
        """Switch a rule on (or change its value), off, or list or unlist a country."""
        action, rule_type, value = change
        STATS[f"rules: {action} {rule_type.name}"] += 1
        if action == "remove":
            active = rule_type in self.rules
            expected = OK if active else Outcome.reverts("RuleNotActive", rule=rule_type)
            if self.tx("token", "removeRule", [int(rule_type)], "admin", expected):
                del self.rules[rule_type]
        elif action == "country":
            countries, listed = value
            self.tx("token", "setCountries", [int(rule_type), countries, listed], "admin", OK)
            for country in countries:
                if listed:
                    self.listed.add((rule_type, country))
                else:
                    self.listed.discard((rule_type, country))
        else:
            if rule_type == Rule.LOCK_UP:
                value = self.now + value * DAY
            limit = {Rule.MAX_INVESTORS: 2**24, Rule.LOCK_UP: 2**40}.get(rule_type, 2**128)
            valid = value == 1 if rule_type in COUNTRY_LISTS else 0 < value < limit
            expected = (
                OK if valid else Outcome.reverts("InvalidRuleValue", rule=rule_type, value=value)
            )
            if self.tx("token", "setRule", [int(rule_type), value], "admin", expected):
                self.rules[rule_type] = value

    # ---------------------------------------------------------------- rules: time

    @rule()
    def time_travel(self) -> None:
        """Go an hour past the next eligibility expiry or lock-up end (or a day, if none)."""
        dates = [expiry for expiry in self.expiry.values() if expiry > self.now]
        if self.on(Rule.LOCK_UP) and self.rules[Rule.LOCK_UP] > self.now:
            dates.append(self.rules[Rule.LOCK_UP])
        target = min(dates) + HOUR if dates else self.now + DAY
        self.chain.mine(timestamp=target)
        STATS["time travel"] += 1
        self.version += 1
        self.now = self.rpc.timestamp()
        assert self.now >= target

    # ---------------------------------------------------------------- invariants

    def seen(self) -> dict[str, Any]:
        """The chain's state, read in one batch per transaction."""
        if self._seen is not None and self._seen[0] == self.version:
            return self._seen[1]
        token, registry = self.rpc.token, self.rpc.registry
        calls = [(token, "totalSupply", []), (token, "paused", []), (token, "investorCount", [])]
        calls += [(token, "investorBalance", [KEYS[name]]) for name in INVESTORS]
        calls += [(token, "rule", [int(rule_type)]) for rule_type in Rule]
        for name in WALLETS:
            address = [self.address[name]]
            calls += [
                (token, "balanceOf", address),
                (token, "frozenTokens", address),
                (token, "isFrozen", address),
                (registry, "identityOf", address),
            ]
        results = self.rpc.batch(calls)
        supply, paused, count = results[:3]
        at = 3 + len(INVESTORS)
        state: dict[str, Any] = {
            "supply": supply,
            "paused": paused,
            "count": count,
            "investor_balance": dict(zip(INVESTORS, results[3:at], strict=True)),
            "rules": dict(zip(Rule, results[at : at + len(Rule)], strict=True)),
        }
        at += len(Rule)
        for i, name in enumerate(WALLETS):
            balance, frozen, all_frozen, identity = results[at + 4 * i : at + 4 * i + 4]
            investor, kind = identity[0], identity[4]
            state[name] = (balance, frozen, all_frozen, investor, kind)
        self._seen = (self.version, state)
        return state

    @invariant()
    def supply_is_the_sum_of_balances(self) -> None:
        STATS["invariant checks"] += 1  # after each step, and once before the first
        state = self.seen()
        balances = {name: state[name][0] for name in WALLETS}
        assert balances == self.balance, f"balances {balances}, model {self.balance}"
        assert sum(balances.values()) == state["supply"], "totalSupply is not the sum of balances"

    @invariant()
    def frozen_units_are_held(self) -> None:
        state = self.seen()
        for name in WALLETS:
            balance, frozen, all_frozen = state[name][:3]
            assert frozen <= balance, f"{name}: {frozen} frozen of {balance}"
            assert frozen == self.frozen[name], (
                f"{name}: {frozen} frozen, model {self.frozen[name]}"
            )
            assert all_frozen == self.frozen_all[name], f"{name}: isFrozen {all_frozen}"

    @invariant()
    def paused_and_rules_as_modelled(self) -> None:
        state = self.seen()
        assert state["paused"] == self.paused
        for rule_type, (active, value) in state["rules"].items():
            assert active == (rule_type in self.rules), f"{rule_type.name} active={active}"
            if active and rule_type not in (Rule.COUNTRY_ALLOW_LIST, Rule.COUNTRY_DENY_LIST):
                assert value == self.rules[rule_type], f"{rule_type.name} value {value}"

    @invariant()
    def registry_as_modelled(self) -> None:
        state = self.seen()
        for name in WALLETS:
            investor, kind = state[name][3:]
            assert kind == self.kind[name], f"{name}: kind {Kind(kind).name}"
            owner = self.owner[name]
            assert investor == (KEYS[owner] if owner else 0), f"{name}: investor key {investor}"

    @invariant()
    def holdings_add_up(self) -> None:
        state = self.seen()
        system = sum(state[name][0] for name in WALLETS if state[name][3] == 0)
        recorded = state["investor_balance"]
        assert sum(recorded.values()) == state["supply"] - system, "investor holdings ≠ supply"
        expected = {name: self.holding(name) for name in INVESTORS}
        assert recorded == expected, f"investorBalance {recorded}, model {expected}"

    @invariant()
    def investor_count_counts_holders(self) -> None:
        state = self.seen()
        holders = sum(1 for held in state["investor_balance"].values() if held > 0)
        assert state["count"] == holders, f"investorCount {state['count']}, {holders} hold units"


def test_token_state_machine(
    token: Any,
    registry: Any,
    chain: Any,
    admin: Any,
    issuer: Any,
    registrar: Any,
    enforcer: Any,
    pauser: Any,
    alice: Any,
    bob: Any,
    carol: Any,
    outsider: Any,
) -> None:
    rpc = Rpc(chain, token, registry)
    who = {
        "admin": admin.address,
        "issuer": issuer.address,
        "registrar": registrar.address,
        "enforcer": enforcer.address,
        "pauser": pauser.address,
        "alice": alice.address,
        "bob": bob.address,
        "carol": carol.address,
        "dave": outsider.address,
    } | {name: Web3.to_checksum_address(address) for name, address in EXTRA_WALLETS.items()}
    for address in EXTRA_WALLETS.values():
        rpc.request("anvil_impersonateAccount", [address])
        chain.set_balance(address, 10**21)
    STATS.clear()
    try:
        run_state_machine_as_test(lambda: Machine(rpc, who, chain), settings=machine_settings())
    finally:
        for address in EXTRA_WALLETS.values():
            rpc.request("anvil_stopImpersonatingAccount", [address])
        steps = STATS["invariant checks"] - STATS["examples"] - STATS["initial configurations"]
        print(f"\nstate machine: {STATS['examples']} examples, {steps} steps")
        for label, count in sorted(STATS.items()):
            print(f"  {count:6d}  {label}")


def test_freeze_beyond_uint248_is_refused_not_truncated(
    token: Any, issuer: Any, enforcer: Any, register: Any, alice: Any
) -> None:
    """Regression: frozen amounts are uint248, and freezePartialTokens once stored
    ``uint248(amount)``, freezing only ``amount mod 2**248`` while TokensFrozen said ``amount``."""
    register(alice, "alice")
    amount = 2**248 + 400
    token.mint(alice, amount, sender=issuer)
    with pytest.raises(ContractLogicError) as caught:
        token.freezePartialTokens(alice, amount, sender=enforcer)
    assert caught.value.name == "SafeCastOverflowedUintDowncast", caught.value
    assert token.frozenTokens(alice) == 0


def test_recovery_onto_a_frozen_wallet_does_not_panic(
    token: Any, issuer: Any, enforcer: Any, registrar: Any, register: Any, alice: Any, bob: Any
) -> None:
    """Regression: two frozen amounts whose sum exceeds uint248 once panicked (0x11); the
    recovery is now refused with a custom error, and nothing moves."""
    register(alice, "one investor")
    register(bob, "one investor")  # a second wallet of the same investor
    half = 2**247
    for wallet in (alice, bob):
        token.mint(wallet, half + 10, sender=issuer)
        token.freezePartialTokens(wallet, half, sender=enforcer)
    with pytest.raises(ContractLogicError) as refused:
        token.recoverWallet(alice, bob, sender=registrar)
    assert refused.value.name == "SafeCastOverflowedUintDowncast", refused.value
    assert token.balanceOf(alice) == half + 10
    assert (token.frozenTokens(alice), token.frozenTokens(bob)) == (half, half)

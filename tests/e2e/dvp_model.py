"""The expected state of the DvP escrow, for the state machine of test_dvp_conservation_flow.py.

The model keeps what the chain must show: every wallet's balance of the security and of the cash
token (the escrow's included), each investor's eligibility expiry, and every trade with its
stored status, which legs are in the escrow and which party asked to cancel. It predicts, for
every call the state machine makes, the outcome the contract must give (``Plan.outcome``: success,
or the custom error and its arguments, in the order DvPEscrow and the token check them), and on
success the ERC-20 transfers and escrow events the transaction must emit, in order. The machine
sends the call, compares, and only then ``commit``s the plan, so a refused call changes nothing
in the model and must change nothing on chain.

Everything is by name (``alice``, ``escrow``, ...): the test maps names to addresses. Trade ids are
the 32 bytes the contract computes; the test computes them and checks the contract agrees.
Time is the timestamp of the latest block: the test keeps every deadline and eligibility expiry
well away from it (see ``GUARD`` in the test), so the block a call is mined in decides the same.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

from securities_rails.reasons import INVALID_RECEIVER, INVALID_SENDER

SECURITY, CASH = "security", "cash"
TOKENS = (SECURITY, CASH)
ESCROW = "escrow"


class Status(IntEnum):
    """IDvPEscrow.Status."""

    NONE = 0
    PROPOSED = 1
    MATCHED = 2
    SETTLED = 3
    CANCELLED = 4
    EXPIRED = 5


class Side(IntEnum):
    """IDvPEscrow.Side."""

    SELLER = 0
    BUYER = 1


OPEN = (Status.PROPOSED, Status.MATCHED)
RECLAIMABLE = (Status.CANCELLED, Status.EXPIRED)


@dataclass(frozen=True)
class Terms:
    """IDvPEscrow.TradeTerms without the two token addresses (always the test's security and cash
    token)."""

    seller: str
    buyer: str
    quantity: int
    amount: int
    deadline: int

    def party(self, side: Side) -> str:
        return self.seller if side == Side.SELLER else self.buyer

    def side_of(self, wallet: str) -> Side | None:
        if wallet == self.seller:
            return Side.SELLER
        if wallet == self.buyer:
            return Side.BUYER
        return None


@dataclass
class Trade:
    """A trade as the escrow stores it (``status`` is the stored one, see ``effective``)."""

    id: bytes
    terms: Terms
    ref: str
    status: Status = Status.PROPOSED
    seller_held: bool = False
    buyer_held: bool = False
    seller_cancels: bool = False
    buyer_cancels: bool = False

    def __repr__(self) -> str:  # how a drawn trade shows in hypothesis's report
        legs = "".join(name for name, on in (("S", self.seller_held), ("B", self.buyer_held)) if on)
        asked = "".join(
            n for n, on in (("S", self.seller_cancels), ("B", self.buyer_cancels)) if on
        )
        return (
            f"<{self.ref} {self.terms.seller}->{self.terms.buyer} {self.terms.quantity} units for "
            f"{self.terms.amount} cash by {self.terms.deadline}: {self.status.name}, legs held "
            f"[{legs}], cancels [{asked}]>"
        )

    def held(self, side: Side) -> bool:
        return self.seller_held if side == Side.SELLER else self.buyer_held

    def leg(self, side: Side) -> tuple[str, int]:
        """The token and amount of a side's leg."""
        if side == Side.SELLER:
            return SECURITY, self.terms.quantity
        return CASH, self.terms.amount

    def effective(self, now: int) -> Status:
        """The status the views report: an open trade is expired from its deadline on."""
        if self.status in OPEN and now >= self.terms.deadline:
            return Status.EXPIRED
        return self.status


@dataclass(frozen=True)
class Outcome:
    """Success, or the custom error a call reverts with and its arguments (addresses as names,
    bytes1 and bytes32 as bytes, enums as ints)."""

    error: str | None = None
    args: tuple[Any, ...] = ()

    @property
    def ok(self) -> bool:
        return self.error is None

    def __str__(self) -> str:
        return "ok" if self.ok else f"{self.error}{self.args}"


OK = Outcome()


def refused(error: str, *args: Any) -> Outcome:
    return Outcome(error, args)


@dataclass(frozen=True)
class Move:
    """An ERC-20 ``Transfer`` the transaction must emit."""

    token: str
    source: str
    to: str
    amount: int


@dataclass
class Plan:
    """What a call must do: its outcome, and on success its transfers and escrow events (name,
    trade id) in order; ``commit`` records it in the model once the chain has agreed. For
    ``settleBatch``, ``results`` are the per-trade (settled, reason) it must return."""

    outcome: Outcome
    moves: list[Move] = field(default_factory=list)
    events: list[tuple[str, bytes]] = field(default_factory=list)
    results: list[tuple[bool, str]] = field(default_factory=list)
    commit: Callable[[], None] = lambda: None


def _refusal(outcome: Outcome) -> Plan:
    return Plan(outcome)


def reason_bytes(name: str) -> bytes:
    """A reason name as the bytes32 the contracts use (left-aligned, NUL-padded)."""
    return name.encode().ljust(32, b"\0")


class DvPModel:
    """The escrow, the two tokens' balances and the investors' eligibility, as they must be."""

    def __init__(
        self,
        *,
        balances: dict[tuple[str, str], int],
        investor_of: dict[str, str],
        expiry: dict[str, int],
    ) -> None:
        self.balances = dict(balances)
        self.supply = {token: self._total(token) for token in TOKENS}
        self.investor_of = dict(investor_of)  # wallet -> investor
        self.expiry = dict(expiry)  # investor -> eligibility expiry
        self.trades: dict[bytes, Trade] = {}

    # ------------------------------------------------------------------ views

    def _total(self, token: str) -> int:
        return sum(amount for (t, _), amount in self.balances.items() if t == token)

    def balance(self, token: str, wallet: str) -> int:
        return self.balances.get((token, wallet), 0)

    def eligible(self, wallet: str, now: int) -> bool:
        investor = self.investor_of.get(wallet)
        return investor is not None and self.expiry[investor] > now

    def same_investor(self, a: str, b: str) -> bool:
        return a in self.investor_of and self.investor_of.get(a) == self.investor_of.get(b)

    def escrowed(self, token: str, holder: str | None = None) -> int:
        """What the escrow holds for ``holder`` (the seller of securities legs, the buyer of cash
        legs), or for everyone."""
        side = Side.SELLER if token == SECURITY else Side.BUYER
        return sum(
            t.leg(side)[1]
            for t in self.trades.values()
            if t.held(side) and (holder is None or t.terms.party(side) == holder)
        )

    def held_legs(self) -> list[tuple[Trade, Side]]:
        return [(t, side) for t in self.trades.values() for side in Side if t.held(side)]

    def critical_times(self) -> list[int]:
        """Times at which a prediction changes: deadlines of open trades, eligibility expiries."""
        return [t.terms.deadline for t in self.trades.values() if t.status in OPEN] + list(
            self.expiry.values()
        )

    # ------------------------------------------------------------------ checks shared by calls

    def _deposit(self, t: Trade, side: Side, caller: str, now: int) -> Outcome:
        """The escrow pulls the caller's leg: the cash token checks the balance, the security
        token its rules for seller -> escrow (a system account: only the sender is checked)."""
        token, amount = t.leg(side)
        held = self.balance(token, caller)
        if held < amount:
            return refused("ERC20InsufficientBalance", caller, held, amount)
        if token == SECURITY and not self.eligible(caller, now):
            return refused(
                "TransferRestricted",
                bytes([INVALID_SENDER]),
                reason_bytes("SENDER_ELIGIBILITY_EXPIRED"),
            )
        return OK

    def _receive_units(self, to: str, now: int) -> tuple[bytes, bytes] | None:
        """The security token's verdict on escrow -> ``to`` (code, reason) when it refuses. The
        escrow is a system account holding every escrowed unit, nothing is frozen or paused and
        no rule is on: only the recipient's registration and eligibility can refuse."""
        if not self.eligible(to, now):
            return bytes([INVALID_RECEIVER]), reason_bytes("RECIPIENT_ELIGIBILITY_EXPIRED")
        return None

    def _move(self, move: Move) -> None:
        self.balances[(move.token, move.source)] -= move.amount
        assert self.balances[(move.token, move.source)] >= 0, f"model overdraft: {move}"
        self.balances[(move.token, move.to)] = self.balance(move.token, move.to) + move.amount

    def _commit(self, moves: Iterable[Move], change: Callable[[], None]) -> Callable[[], None]:
        def commit() -> None:
            change()
            for move in moves:
                self._move(move)

        return commit

    # ------------------------------------------------------------------ instruct, affirm

    def plan_instruct(self, caller: str, terms: Terms, ref: str, trade_id: bytes, now: int) -> Plan:
        """``instruct(terms, ref)`` by ``caller``: a new trade, or the match of an existing one."""
        if (t := self.trades.get(trade_id)) is not None:
            return self._plan_match(t, caller, now)
        for name, value in (("quantity", terms.quantity), ("amount", terms.amount)):
            if value == 0:
                return _refusal(refused("InvalidTerms", reason_bytes(name)))
        if terms.deadline <= now:
            return _refusal(refused("InvalidTerms", reason_bytes("deadline")))
        side = terms.side_of(caller)
        if side is None:
            return _refusal(refused("NotAParty", trade_id, caller))
        t = Trade(trade_id, terms, ref)
        outcome = self._deposit(t, side, caller, now)
        if not outcome.ok:
            return _refusal(outcome)
        token, amount = t.leg(side)
        moves = [Move(token, caller, ESCROW, amount)]

        def propose() -> None:
            self.trades[trade_id] = t
            self._hold(t, side, True)

        return Plan(OK, moves, [("TradeProposed", trade_id)], commit=self._commit(moves, propose))

    def plan_affirm(self, caller: str, trade_id: bytes, now: int) -> Plan:
        t = self.trades.get(trade_id)
        if t is None:
            return _refusal(refused("UnknownTrade", trade_id))
        return self._plan_match(t, caller, now)

    def _plan_match(self, t: Trade, caller: str, now: int) -> Plan:
        if t.status != Status.PROPOSED:
            return _refusal(refused("TradeNotOpen", t.id, int(t.status)))
        if now >= t.terms.deadline:
            return _refusal(refused("DeadlinePassed", t.id, t.terms.deadline))
        side = t.terms.side_of(caller)
        if side is None:
            return _refusal(refused("NotAParty", t.id, caller))
        if t.held(side):
            return _refusal(refused("AlreadyInstructed", t.id, int(side)))
        outcome = self._deposit(t, side, caller, now)
        if not outcome.ok:
            return _refusal(outcome)
        token, amount = t.leg(side)
        moves = [Move(token, caller, ESCROW, amount)]

        def match() -> None:
            t.status = Status.MATCHED
            self._hold(t, side, True)

        return Plan(OK, moves, [("TradeMatched", t.id)], commit=self._commit(moves, match))

    @staticmethod
    def _hold(t: Trade, side: Side, held: bool) -> None:
        if side == Side.SELLER:
            t.seller_held = held
        else:
            t.buyer_held = held

    # ------------------------------------------------------------------ settle

    def _settle_refusal(self, trade_id: bytes, now: int, settled: set[bytes]) -> Outcome:
        """Why ``settle`` refuses (``settled``: trades settled earlier in the same batch)."""
        t = self.trades.get(trade_id)
        status = Status.SETTLED if trade_id in settled else (t.status if t else Status.NONE)
        if t is None or status != Status.MATCHED:
            return refused("TradeNotMatched", trade_id, int(status))
        if now >= t.terms.deadline:
            return refused("DeadlinePassed", trade_id, t.terms.deadline)
        if (verdict := self._receive_units(t.terms.buyer, now)) is not None:
            return refused("SettlementRefused", trade_id, *verdict)
        return OK

    def _settlement(self, t: Trade) -> tuple[list[Move], Callable[[], None]]:
        moves = [
            Move(SECURITY, ESCROW, t.terms.buyer, t.terms.quantity),
            Move(CASH, ESCROW, t.terms.seller, t.terms.amount),
        ]

        def settle() -> None:
            t.status = Status.SETTLED
            t.seller_held = t.buyer_held = False

        return moves, self._commit(moves, settle)

    def plan_settle(self, trade_id: bytes, now: int) -> Plan:
        outcome = self._settle_refusal(trade_id, now, set())
        if not outcome.ok:
            return _refusal(outcome)
        moves, commit = self._settlement(self.trades[trade_id])
        return Plan(OK, moves, [("TradeSettled", trade_id)], commit=commit)

    def plan_settle_batch(self, trade_ids: list[bytes], now: int) -> Plan:
        """``settleBatch``: each trade on its own, in order; a refusal is reported (the token's
        reason, NOT_MATCHED or EXPIRED) and leaves the trade as it was."""
        settled: set[bytes] = set()
        plan = Plan(OK)
        commits: list[Callable[[], None]] = []
        for trade_id in trade_ids:
            outcome = self._settle_refusal(trade_id, now, settled)
            if outcome.ok:
                settled.add(trade_id)
                moves, commit = self._settlement(self.trades[trade_id])
                plan.moves += moves
                plan.events.append(("TradeSettled", trade_id))
                plan.results.append((True, "OK"))
                commits.append(commit)
                continue
            reason = {
                "TradeNotMatched": "NOT_MATCHED",
                "DeadlinePassed": "EXPIRED",
            }.get(outcome.error or "")
            if reason is None:  # SettlementRefused: the token's own verdict
                reason = outcome.args[2].rstrip(b"\0").decode()
            plan.events.append(("SettlementFailed", trade_id))
            plan.results.append((False, reason))

        def commit_all() -> None:
            for commit in commits:
                commit()

        plan.commit = commit_all
        return plan

    # ------------------------------------------------------------------ cancel

    def plan_cancel(self, caller: str, trade_id: bytes, now: int) -> Plan:
        t = self.trades.get(trade_id)
        if t is None:
            return _refusal(refused("UnknownTrade", trade_id))
        if t.status not in OPEN:
            return _refusal(refused("TradeNotOpen", trade_id, int(t.status)))
        if now >= t.terms.deadline:
            return _refusal(refused("DeadlinePassed", trade_id, t.terms.deadline))
        side = t.terms.side_of(caller)
        if side is None:
            return _refusal(refused("NotAParty", trade_id, caller))
        if t.status == Status.PROPOSED:

            def withdraw() -> None:
                t.status = Status.CANCELLED

            return Plan(OK, events=[("TradeCancelled", trade_id)], commit=withdraw)
        asked = t.seller_cancels if side == Side.SELLER else t.buyer_cancels
        if asked:
            return _refusal(refused("CancelAlreadyRequested", trade_id, int(side)))
        both = t.seller_cancels or t.buyer_cancels
        events = [("CancelRequested", trade_id)] + ([("TradeCancelled", trade_id)] if both else [])

        def request() -> None:
            if side == Side.SELLER:
                t.seller_cancels = True
            else:
                t.buyer_cancels = True
            if both:
                t.status = Status.CANCELLED

        return Plan(OK, events=events, commit=request)

    # ------------------------------------------------------------------ reclaim

    def _reclaimable(self, trade_id: bytes, now: int) -> tuple[Outcome, bool]:
        """Whether the trade's legs may come back, and whether this call stores it as expired."""
        t = self.trades.get(trade_id)
        if t is None:
            return refused("UnknownTrade", trade_id), False
        if t.status in RECLAIMABLE:
            return OK, False
        if t.status == Status.SETTLED or now < t.terms.deadline:
            return refused("NotReclaimable", trade_id, int(t.status)), False
        return OK, True

    def plan_reclaim(self, caller: str, trade_id: bytes, now: int) -> Plan:
        """``reclaim``: the caller's own leg, back to the caller."""
        outcome, expires = self._reclaimable(trade_id, now)
        if not outcome.ok:
            return _refusal(outcome)
        side = self.trades[trade_id].terms.side_of(caller)
        if side is None:
            return _refusal(refused("NotAParty", trade_id, caller))
        return self._plan_return(self.trades[trade_id], side, caller, expires, now)

    def plan_reclaim_to(self, caller: str, trade_id: bytes, side: Side, to: str, now: int) -> Plan:
        """``reclaimTo``: a leg back to its party or another wallet of the party's investor, by
        the party or another wallet of that investor (no wallet here is frozen)."""
        outcome, expires = self._reclaimable(trade_id, now)
        if not outcome.ok:
            return _refusal(outcome)
        t = self.trades[trade_id]
        party = t.terms.party(side)
        for wallet in (caller, to):
            if wallet != party and not self.same_investor(wallet, party):
                return _refusal(refused("NotSameInvestor", trade_id, wallet))
        return self._plan_return(t, side, to, expires, now)

    def _plan_return(self, t: Trade, side: Side, to: str, expires: bool, now: int) -> Plan:
        if not t.held(side):
            return _refusal(refused("NothingToReclaim", t.id, int(side)))
        if side == Side.SELLER and (verdict := self._receive_units(to, now)) is not None:
            return _refusal(refused("ReclaimRefused", t.id, *verdict))
        token, amount = t.leg(side)
        moves = [Move(token, ESCROW, to, amount)]
        events = [("TradeExpired", t.id)] if expires else []
        events.append(("LegReclaimed", t.id))

        def give_back() -> None:
            if expires:
                t.status = Status.EXPIRED
            self._hold(t, side, False)

        return Plan(OK, moves, events, commit=self._commit(moves, give_back))

    # ------------------------------------------------------------------ registry

    def set_expiry(self, investor: str, expiry: int) -> None:
        self.expiry[investor] = expiry

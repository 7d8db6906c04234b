"""The cross-chain exchange: a security on one chain for cash on another, through one secret.

``run_exchange`` drives the protocol of :mod:`securities_rails.settlement.htlc` across both chains
(``chain.networks.connected`` switches between them): the buyer draws the secret and locks the
cash until T1, the seller checks that lock and locks the units until T2 = T1 - margin, the buyer
claims the units (publishing the secret), and the seller claims the cash with it. Its progress
(the secret, the lock ids, the steps done) is kept in a 0600 JSON state file, written before
each transaction, so that a run interrupted after any step resumes without locking twice (lock
ids are deterministic, ``computeLockId``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from securities_rails.chain.contracts import at, chain_id, pending_timestamp
from securities_rails.chain.networks import connected
from securities_rails.errors import UserError
from securities_rails.identifiers import (
    format_amount,
    format_date,
    parse_amount,
    parse_isin,
    parse_reference,
)
from securities_rails.settlement.deploy import cash_token_for, load_htlc
from securities_rails.settlement.htlc import (
    DEFAULT_MARGIN,
    DEFAULT_TIMELOCK,
    STATE_FORMAT,
    Hook,
    LockTerms,
    Log,
    check_lock,
    claim,
    hashlock,
    hex32,
    lock,
    lock_id,
    new_secret,
    no_hook,
    parse_hex32,
    quiet,
    read_lock,
    read_private,
    require_safe_ordering,
    revealed_secret,
    verify_lock,
    write_private,
)
from securities_rails.suite import load_record, load_suite
from securities_rails.token.instruments import token_for

STEPS = ("secret", "cash_locked", "security_locked", "security_claimed", "cash_claimed")


@dataclass
class ExchangeState:
    """An exchange's terms and progress, kept in a 0600 JSON file (it holds the secret) so that
    an interrupted run resumes: lock ids derive from the terms, so a lock sent before the file
    recorded it is found on the chain and adopted, never made twice."""

    security_chain: int
    cash_chain: int
    security_htlc: str
    cash_htlc: str
    isin: str
    security_token: str
    currency: str
    cash_token: str
    seller: str
    buyer: str
    quantity: int
    amount: int
    security_decimals: int
    cash_decimals: int
    reference: str
    secret: str
    hashlock: str
    t1: int
    t2: int
    cash_lock: str = ""
    security_lock: str = ""
    done: list[str] = field(default_factory=list)
    format: int = STATE_FORMAT

    IDENTITY = (
        "security_chain",
        "cash_chain",
        "security_htlc",
        "cash_htlc",
        "security_token",
        "cash_token",
        "seller",
        "buyer",
        "quantity",
        "amount",
        "reference",
    )

    @classmethod
    def load(cls, path: Path) -> ExchangeState:
        try:
            data = json.loads(read_private(path, "state"))
            if data.get("format") != STATE_FORMAT:
                raise UserError(
                    "state", f"{path} has format {data.get('format')}, not {STATE_FORMAT}"
                )
            return cls(**data)
        except (ValueError, TypeError) as error:
            raise UserError("state", f"{path} is not an exchange state file: {error}") from None

    def save(self, path: Path) -> None:
        write_private(path, json.dumps(asdict(self), indent=2) + "\n")

    def mark(self, step: str) -> None:
        if step not in self.done:
            self.done.append(step)

    def cash_terms(self) -> LockTerms:
        """The buyer's lock: the cash, for the seller, until T1."""
        return LockTerms(
            sender=self.buyer,
            recipient=self.seller,
            token=self.cash_token,
            amount=self.amount,
            hashlock=bytes.fromhex(self.hashlock[2:]),
            timelock=self.t1,
            reference=self.reference,
        )

    def security_terms(self) -> LockTerms:
        """The seller's lock: the units, for the buyer, until T2."""
        return LockTerms(
            sender=self.seller,
            recipient=self.buyer,
            token=self.security_token,
            amount=self.quantity,
            hashlock=bytes.fromhex(self.hashlock[2:]),
            timelock=self.t2,
            reference=self.reference,
        )


@dataclass(frozen=True)
class Chains:
    """Where the two legs live: an ape network choice or an RPC URL each."""

    security: str
    cash: str


class Exchange:
    """Steps 2-5 of the protocol over two chains, each step resumable (see ``ExchangeState``)."""

    def __init__(
        self,
        chains: Chains,
        state: ExchangeState,
        path: Path,
        seller: Any,
        buyer: Any,
        *,
        log: Log = quiet,
        hook: Hook = no_hook,
    ) -> None:
        self.chains = chains
        self.state = state
        self.path = Path(path)
        self.seller = seller
        self.buyer = buyer
        self.log = log
        self.hook = hook

    @contextmanager
    def _on(self, leg: Literal["security", "cash"]) -> Iterator[Any]:
        """Connect to the chain of ``leg`` (checked: the one the state file was made on); yields
        its escrow."""
        target = self.chains.security if leg == "security" else self.chains.cash
        expected = self.state.security_chain if leg == "security" else self.state.cash_chain
        with connected(target):
            if chain_id() != expected:
                raise UserError(f"{leg}-network", f"{target} is chain {chain_id()}, not {expected}")
            address = self.state.security_htlc if leg == "security" else self.state.cash_htlc
            yield at("HashedTimelockEscrow", address)

    def _done(self, step: str) -> None:
        self.hook(step, "mined")
        self.state.mark(step)
        self.state.save(self.path)
        self.hook(step, "recorded")

    def run(self) -> ExchangeState:
        """Every step not yet done, in order; returns the final state."""
        for step, action in (
            ("cash_locked", self.lock_cash),
            ("security_locked", self.lock_security),
            ("security_claimed", self.claim_security),
            ("cash_claimed", self.claim_cash),
        ):
            if step in self.state.done:
                self.log(f"{step.replace('_', ' ')}: done in an earlier run")
                continue
            action()
        return self.state

    def lock_cash(self) -> None:
        """Step 2, the buyer: lock the cash for the seller until T1 (adopted if already there)."""
        terms = self.state.cash_terms()
        with self._on("cash") as htlc:
            self.state.cash_lock = lock_id(htlc, terms)
            self.state.save(self.path)  # the id before the transaction: a resume looks it up
            found = read_lock(htlc, self.state.cash_lock)
            if found.state == "none":
                lock(htlc, self.buyer, terms)
                self.log(
                    f"2/5 buyer locked {self._cash_units()} for the seller until "
                    f"{format_date(terms.timelock)}: lock {self.state.cash_lock}"
                )
            else:
                self.log(
                    f"2/5 cash lock {self.state.cash_lock} found {found.state}: not locked again"
                )
        self._done("cash_locked")

    def lock_security(self) -> None:
        """Step 3, the seller: check the buyer's cash lock and the timelock ordering, then lock the
        units for the buyer until T2 (adopted if already there)."""
        terms = self.state.security_terms()
        with self._on("security") as htlc:
            self.state.security_lock = lock_id(htlc, terms)
            self.state.save(self.path)
            found = read_lock(htlc, self.state.security_lock)
        if found.state != "none":
            self.log(f"3/5 security lock {found.lock_id} found {found.state}: not locked again")
            self._done("security_locked")
            return
        with self._on("cash") as htlc:
            verify_lock(htlc, self.state.cash_lock, self.state.cash_terms())
            require_safe_ordering(htlc, self.state.t1, self.state.t2)
        with self._on("security") as htlc:
            now = pending_timestamp()
            if now >= terms.timelock:
                raise UserError(
                    "timelock",
                    f"the security lock's timelock T2 {format_date(terms.timelock)} is not ahead "
                    f"on the security chain (now {format_date(now)}): no T2 safely before T1 "
                    f"{format_date(self.state.t1)} is left; nothing sent, the buyer refunds the "
                    "cash from T1",
                )
            lock(htlc, self.seller, terms)
        self.log(
            f"3/5 seller checked the cash lock and locked {self._security_units()} for the buyer "
            f"until {format_date(terms.timelock)}: "
            f"lock {self.state.security_lock}"
        )
        self._done("security_locked")

    def claim_security(self) -> None:
        """Step 4, the buyer: check the seller's lock, then claim the units with the secret."""
        with self._on("security") as htlc:
            found = read_lock(htlc, self.state.security_lock)
            if found.state == "claimed":
                self.log(f"4/5 security lock {found.lock_id} found claimed: not claimed again")
            else:
                verify_lock(htlc, self.state.security_lock, self.state.security_terms())
                require_safe_ordering(htlc, self.state.t1, self.state.t2)
                claim(htlc, self.buyer, self.state.security_lock, self._secret())
                self.log(
                    f"4/5 buyer claimed {self._security_units()}: the secret is public on the "
                    "security chain"
                )
        self._done("security_claimed")

    def claim_cash(self) -> None:
        """Step 5, the seller: read the secret the buyer's claim published, claim the cash."""
        with self._on("security") as htlc:
            secret = revealed_secret(htlc, self.state.security_lock)
        with self._on("cash") as htlc:
            found = read_lock(htlc, self.state.cash_lock)
            if found.state == "claimed":
                self.log(f"5/5 cash lock {found.lock_id} found claimed: not claimed again")
            else:
                claim(htlc, self.seller, self.state.cash_lock, secret)
                self.log(
                    f"5/5 seller read the secret from the security chain and claimed "
                    f"{self._cash_units()}"
                )
        self._done("cash_claimed")

    def _secret(self) -> bytes:
        secret = parse_hex32(self.state.secret, "state")
        if hashlock(secret) != parse_hex32(self.state.hashlock, "state"):
            raise UserError("state", f"{self.path}: the secret does not match the hashlock")
        return secret

    def _cash_units(self) -> str:
        return f"{format_amount(self.state.amount, self.state.cash_decimals)} {self.state.currency}"

    def _security_units(self) -> str:
        units = format_amount(self.state.quantity, self.state.security_decimals)
        return f"{units} units of {self.state.isin}"


@dataclass(frozen=True)
class _Resolved:
    """The terms as the two chains resolve them (addresses, smallest units, chain ids)."""

    state: ExchangeState
    security_now: int
    cash_now: int
    minimum_margin: int
    longest: int


def _resolve(
    chains: Chains,
    seller: str,
    buyer: str,
    isin: str,
    quantity: str,
    currency: str,
    amount: str,
    reference: str,
    directory: str | None,
) -> _Resolved:
    """Look the instrument, the cash token and both escrows up, and parse the amounts."""
    with connected(chains.cash):
        record = load_record(directory)
        htlc = load_htlc(record)
        cash = cash_token_for(record, currency)
        cash_decimals = int(cash.decimals())
        cash_units = parse_amount(amount, cash_decimals, "amount")
        cash_chain, cash_now = chain_id(), pending_timestamp()
        minimum_margin, longest = int(htlc.MINIMUM_MARGIN()), int(htlc.MAX_LOCK_PERIOD())
        cash_htlc, cash_address = htlc.address, cash.address
        code = cash.currency()
    with connected(chains.security):
        record = load_record(directory)
        token = token_for(load_suite(record), isin)
        units = parse_amount(quantity, int(token.decimals()), "quantity")
        state = ExchangeState(
            security_chain=chain_id(),
            cash_chain=cash_chain,
            security_htlc=load_htlc(record).address,
            cash_htlc=cash_htlc,
            isin=parse_isin(isin),
            security_token=token.address,
            currency=bytes(code).decode(),
            cash_token=cash_address,
            seller=seller,
            buyer=buyer,
            quantity=units,
            amount=cash_units,
            security_decimals=int(token.decimals()),
            cash_decimals=cash_decimals,
            reference=reference,
            secret="",
            hashlock="",
            t1=0,
            t2=0,
        )
        security_now = pending_timestamp()
    if state.security_chain == cash_chain:
        raise UserError("cash-network", f"both legs are on chain {cash_chain}: use two chains")
    return _Resolved(state, security_now, cash_now, minimum_margin, longest)


def _start(resolved: _Resolved, chains: Chains, timelock: int, margin: int) -> ExchangeState:
    """Step 1: fix T1 and T2, check both legs can be locked, draw the secret. Nothing is sent."""
    state = resolved.state
    if margin < resolved.minimum_margin:
        raise UserError(
            "margin",
            f"{margin} s is less than the escrow's minimum of {resolved.minimum_margin} s between "
            "T2 and T1: the seller would refuse to lock",
        )
    if not margin < timelock <= resolved.longest:
        raise UserError(
            "timelock",
            f"{timelock} s from now must exceed the margin ({margin} s) and be at most "
            f"{resolved.longest // 86400} days",
        )
    t1 = resolved.cash_now + timelock
    t2 = t1 - margin
    if t2 <= resolved.security_now:
        raise UserError(
            "timelock",
            f"T2 {format_date(t2)} is not ahead on the security chain (now "
            f"{format_date(resolved.security_now)}): its clock runs ahead of the cash chain's",
        )
    secret = new_secret()
    state = replace(state, secret=hex32(secret), hashlock=hex32(hashlock(secret)), t1=t1, t2=t2)
    with connected(chains.cash):
        check_lock(at("HashedTimelockEscrow", state.cash_htlc), state.cash_terms())
    with connected(chains.security):
        check_lock(at("HashedTimelockEscrow", state.security_htlc), state.security_terms())
    return state


def run_exchange(
    security_target: str,
    cash_target: str,
    seller: Any,
    buyer: Any,
    isin: str,
    quantity: str,
    currency: str,
    amount: str,
    reference: str,
    *,
    state_path: Path,
    timelock: int = DEFAULT_TIMELOCK,
    margin: int = DEFAULT_MARGIN,
    directory: str | None = None,
    log: Log = quiet,
    hook: Hook = no_hook,
) -> ExchangeState:
    """Exchange ``quantity`` units of ``isin`` (security chain) from ``seller`` for ``amount`` of
    ``currency`` (cash chain) from ``buyer``: steps 1-5, or the rest of them when ``state_path``
    holds an interrupted run of the same exchange.

    ``timelock`` is T1 in seconds from now, ``margin`` is T1 - T2; ``quantity`` and ``amount`` are
    decimal text in the tokens' units; ``directory`` holds the deployment records. ``hook(step,
    phase)`` runs after each step's transaction is mined and after it is recorded (tests
    interrupt the run there)."""
    chains = Chains(security=security_target, cash=cash_target)
    parse_reference(reference)
    if seller.address.lower() == buyer.address.lower():
        raise UserError("buyer-account", "the buyer and the seller are the same account")
    resolved = _resolve(
        chains,
        seller.address,
        buyer.address,
        isin,
        quantity,
        currency,
        amount,
        reference,
        directory,
    )
    path = Path(state_path)
    if path.exists():
        state = ExchangeState.load(path)
        for name in ExchangeState.IDENTITY:
            recorded, given = getattr(state, name), getattr(resolved.state, name)
            if str(recorded).lower() != str(given).lower():
                raise UserError(
                    "state",
                    f"{path} records another exchange: its {name} is {recorded}, not {given}",
                )
        log(f"resuming from {path}: done {', '.join(state.done) or 'nothing'}")
    else:
        state = _start(resolved, chains, timelock, margin)
        state.mark("secret")
        state.save(path)
        log(
            f"1/5 buyer drew the secret (kept in {path}, mode 0600); hashlock {state.hashlock}; "
            f"T1 {format_date(state.t1)}, T2 {format_date(state.t2)}"
        )
        hook("secret", "recorded")
    return Exchange(chains, state, path, seller, buyer, log=log, hook=hook).run()

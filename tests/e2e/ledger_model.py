"""A Python model of the book-entry register bridged to a chain, for the stateful property test
``test_ledger_conservation_flow.py`` (imported as `ledger_model`; tests/e2e is on sys.path as
the test's own directory).

The model knows nothing of the register's totals, the digital omnibus or the contracts'
counters: it keeps what each client account holds in the register, what each wallet holds on the
chain, what is issued, and every bridge transfer with its state and who attested it. Each state
change is predicted from what the test did (a rule) and what the destination accepts: a
registered wallet on the chain, a client account's deposit address in the register.

A transfer, either way (``OUT``: book entry -> wallet; ``BACK``: wallet -> book entry):

    SENT --(a threshold of validators attested, relayed)--> EXECUTED   (delivered)
    SENT --(attested, relayed, refused by the destination)--> FAILED
    FAILED --(its refund attested by a threshold, relayed)--> REFUNDED (paid back to the sender)

In flight, from the model only: the amount of every transfer SENT or FAILED (taken from its
source, neither delivered nor paid back). So the digital omnibus (the lock) must hold the mirror
supply plus what is in flight, and issued == client holdings + mirror supply + in flight.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from securities_rails.bridge.endpoint import InboundStatus, OutboundStatus
from securities_rails.bridge.messages import Message

OUT, BACK = "book entry -> wallet", "wallet -> book entry"
SENT, EXECUTED, FAILED, REFUNDED = "sent", "executed", "failed", "refunded"
LACK, SAFE = "LACK", "SAFE"  # the register's refusals (sese.024 reason codes)


@dataclass
class Flight:
    """One bridge transfer: ``sender`` is an account (OUT) or a wallet name (BACK),
    ``recipient`` a wallet name (OUT), an account id or a label for a deposit address no client
    account has (BACK); ``accepted``: whether its destination takes it."""

    direction: str
    message: Message
    sender: str
    recipient: str
    accepted: bool
    state: str = SENT
    signers: set[str] = field(default_factory=set)
    refund_signers: set[str] = field(default_factory=set)

    @property
    def amount(self) -> int:
        return self.message.amount

    @property
    def in_flight(self) -> bool:
        return self.state in (SENT, FAILED)

    def expected_statuses(self) -> tuple[InboundStatus, OutboundStatus]:
        """(status on the destination, outbound status on the source) the ledgers must show."""
        inbound = {
            SENT: InboundStatus.NONE,
            EXECUTED: InboundStatus.EXECUTED,
            FAILED: InboundStatus.FAILED,
            REFUNDED: InboundStatus.FAILED,
        }[self.state]
        outbound = OutboundStatus.REFUNDED if self.state == REFUNDED else OutboundStatus.SENT
        return inbound, outbound

    def describe(self) -> str:
        return (
            f"{self.direction} #{self.message.nonce} {self.amount} {self.sender} -> "
            f"{self.recipient}: {self.state}, attested by {len(self.signers)}, refund by "
            f"{len(self.refund_signers)}"
        )


@dataclass
class LedgerModel:
    """The register's client accounts, the chain's wallets and the transfers between them."""

    holdings: dict[str, int]  # client account -> units in the register
    wallets: dict[str, int]  # wallet name -> mirror units on the chain
    registered: frozenset[str]  # wallets the chain lets receive
    threshold: int
    issued: int = 0
    flights: list[Flight] = field(default_factory=list)

    @property
    def supply(self) -> int:
        return sum(self.wallets.values())

    @property
    def book(self) -> int:
        return sum(self.holdings.values())

    def in_flight(self, direction: str | None = None) -> int:
        return sum(
            f.amount
            for f in self.flights
            if f.in_flight and (direction is None or f.direction == direction)
        )

    @property
    def omnibus(self) -> int:
        """What the digital omnibus (the lock) must hold."""
        return self.supply + self.in_flight()

    def open_flights(self) -> list[Flight]:
        return [f for f in self.flights if f.in_flight]

    def describe_open(self) -> str:
        return "; ".join(f.describe() for f in self.open_flights()) or "nothing open"

    # ------------------------------------------------------------------ register movements

    def issue(self, account: str, quantity: int) -> None:
        self.holdings[account] += quantity
        self.issued += quantity

    def refusal(self, debit: str, quantity: int, credit: str | None = None) -> str | None:
        """What the register refuses a movement out of ``debit`` with, if anything."""
        if credit == debit:
            return SAFE
        return LACK if quantity > self.holdings[debit] else None

    def transfer(self, debit: str, credit: str, quantity: int) -> str | None:
        refused = self.refusal(debit, quantity, credit)
        if refused is None:
            self.holdings[debit] -= quantity
            self.holdings[credit] += quantity
        return refused

    def redeem(self, account: str, quantity: int) -> str | None:
        refused = self.refusal(account, quantity)
        if refused is None:
            self.holdings[account] -= quantity
            self.issued -= quantity
        return refused

    # ------------------------------------------------------------------ the bridge

    def to_wallet(self, account: str, wallet: str, message: Message) -> Flight:
        """A book entry -> wallet transfer sent (the register refused nothing)."""
        assert message.amount <= self.holdings[account], f"{account} sent more than it holds"
        self.holdings[account] -= message.amount
        flight = Flight(OUT, message, account, wallet, wallet in self.registered)
        self.flights.append(flight)
        return flight

    def to_account(self, wallet: str, recipient: str, accepted: bool, message: Message) -> Flight:
        """A wallet -> book entry transfer sent (burned on the chain)."""
        assert message.amount <= self.wallets[wallet], f"{wallet} burned more than it holds"
        self.wallets[wallet] -= message.amount
        flight = Flight(BACK, message, wallet, recipient, accepted)
        self.flights.append(flight)
        return flight

    def wallet_transfer(self, sender: str, recipient: str, quantity: int) -> bool:
        """A transfer on the chain; False when the token refuses it (nothing moves)."""
        if recipient not in self.registered or quantity > self.wallets[sender] or quantity == 0:
            return False
        self.wallets[sender] -= quantity
        self.wallets[recipient] += quantity
        return True

    def attested(self, validators: set[str]) -> None:
        """``validators`` ran to the head after every event so far was confirmed: each signed
        every transfer sent and the refund of every transfer failed."""
        for flight in self.flights:
            if flight.state == SENT:
                flight.signers |= validators
            elif flight.state == FAILED:
                flight.refund_signers |= validators

    def due(self) -> list[Flight]:
        """What one relayer iteration must bring a step further: every transfer attested by a
        threshold, and the refund of every failed transfer attested by a threshold."""
        return [
            f
            for f in self.flights
            if (f.state == SENT and len(f.signers) >= self.threshold)
            or (f.state == FAILED and len(f.refund_signers) >= self.threshold)
        ]

    def relayed(self) -> list[Flight]:
        """One relayer iteration: everything due delivered, refused, or paid back."""
        due = self.due()
        for flight in due:
            if flight.state == FAILED:
                flight.state = REFUNDED
                self._credit(flight.direction != OUT, flight.sender, flight.amount)
            elif flight.accepted:
                flight.state = EXECUTED
                self._credit(flight.direction == OUT, flight.recipient, flight.amount)
            else:
                flight.state = FAILED
        return due

    def _credit(self, on_chain: bool, who: str, amount: int) -> None:
        if on_chain:
            self.wallets[who] += amount
        else:
            self.holdings[who] += amount

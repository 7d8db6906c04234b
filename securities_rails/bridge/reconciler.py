"""Conservation check: the units in home custody back the mirror supply plus what is in flight.

    custody.balance() on home  ==  mirror totalSupply() on remote + in flight

    in flight = (home.sent - remote.received - home.refunded)     taken on home, not yet minted
                                                                   on remote nor refunded
              + (remote.sent - home.received - remote.refunded)   burned on remote, not yet
                                                                   released on home nor re-minted

with ``sent``, ``received`` and ``refunded`` from each endpoint's ``totals()``. Each chain's
figures are read at one block of that chain, home first: whatever the remote side has received
was sent on home before, so in-flight amounts are never negative when the bridge is sound.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from securities_rails.bridge.endpoint import Endpoint, Totals
from securities_rails.bridge.metrics import Metrics, log
from securities_rails.errors import UserError


@dataclass(frozen=True)
class Reading:
    """What both chains say, each at one block."""

    home_block: int
    remote_block: int
    custody: int
    mirror_supply: int
    home: Totals
    remote: Totals


@dataclass(frozen=True)
class Reconciliation:
    reading: Reading

    @property
    def outbound_in_flight(self) -> int:
        """Taken on home, not yet minted on remote nor refunded on home."""
        r = self.reading
        return r.home.sent - r.remote.received - r.home.refunded

    @property
    def return_in_flight(self) -> int:
        """Burned on remote, not yet released on home nor re-minted on remote."""
        r = self.reading
        return r.remote.sent - r.home.received - r.remote.refunded

    @property
    def in_flight(self) -> int:
        return self.outbound_in_flight + self.return_in_flight

    @property
    def difference(self) -> int:
        """custody - (mirror supply + in flight): positive, custody holds units nothing accounts
        for; negative, the mirror side has units that custody does not back."""
        return self.reading.custody - (self.reading.mirror_supply + self.in_flight)

    @property
    def ok(self) -> bool:
        return self.difference == 0 and self.outbound_in_flight >= 0 and self.return_in_flight >= 0

    def lines(self) -> list[str]:
        """A report: both sides, the in-flight amounts and the difference."""
        r = self.reading
        return [
            f"home   (block {r.home_block}): custody {r.custody}; sent {r.home.sent}, "
            f"received {r.home.received}, refunded {r.home.refunded}",
            f"remote (block {r.remote_block}): mirror supply {r.mirror_supply}; sent "
            f"{r.remote.sent}, received {r.remote.received}, refunded {r.remote.refunded}",
            f"in flight: {self.outbound_in_flight} home->remote, {self.return_in_flight} "
            f"remote->home, {self.in_flight} in all",
            f"difference: custody - (supply + in flight) = {self.difference:+d} units",
        ]

    def problem(self) -> str | None:
        """One line saying what is wrong, or None when conservation holds."""
        if self.difference > 0:
            return (
                f"custody holds {self.difference} units more than the mirror supply plus in flight"
            )
        if self.difference < 0:
            return (
                f"custody holds {-self.difference} units less than the mirror supply plus in flight"
            )
        if self.outbound_in_flight < 0:
            return f"remote delivered {-self.outbound_in_flight} units more than home sent"
        if self.return_in_flight < 0:
            return f"home delivered {-self.return_in_flight} units more than remote sent"
        return None


class ConservationError(UserError):
    """Conservation does not hold: the units are named in the message."""

    def __init__(self, reconciliation: Reconciliation) -> None:
        self.reconciliation = reconciliation
        super().__init__("conservation", reconciliation.problem() or "broken")


def reconcile(reading: Reading) -> Reconciliation:
    return Reconciliation(reading)


def read(home: Endpoint, remote: Endpoint) -> Reading:
    """Both sides' figures, each chain at one block, home first."""
    home_block = home.head()
    custody = home.custody_balance(home_block)
    home_totals = home.totals(home_block)
    remote_block = remote.head()
    supply = remote.token_supply(remote_block)
    remote_totals = remote.totals(remote_block)
    return Reading(home_block, remote_block, custody, supply, home_totals, remote_totals)


class Reconciler:
    """Reads, reconciles, reports (log and gauges); raises ConservationError when broken."""

    def __init__(self, home: Endpoint, remote: Endpoint, metrics: Metrics) -> None:
        self.home = home
        self.remote = remote
        self.metrics = metrics
        self.last: Reconciliation | None = None

    def step(self) -> bool:
        result = reconcile(read(self.home, self.remote))
        self.last = result
        self.metrics.custody_balance.set(result.reading.custody)
        self.metrics.mirror_supply.set(result.reading.mirror_supply)
        self.metrics.in_flight.set(result.in_flight)
        self.metrics.difference.set(result.difference)
        r = result.reading
        fields = {
            "home_block": r.home_block,
            "remote_block": r.remote_block,
            "custody": r.custody,
            "mirror_supply": r.mirror_supply,
            "in_flight_out": result.outbound_in_flight,
            "in_flight_back": result.return_in_flight,
            "difference": result.difference,
        }
        if not result.ok:
            log(logging.CRITICAL, "conservation_broken", reason=result.problem(), **fields)
            raise ConservationError(result)
        log(logging.INFO, "conserved", **fields)
        return False

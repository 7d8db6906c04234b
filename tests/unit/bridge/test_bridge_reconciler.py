"""The conservation check: its arithmetic on readings, and the process against the fake bridge."""

from __future__ import annotations

import pytest
from bridge_fakes import ALICE, BOB, CAROL, FakeBridge

from securities_rails.bridge.endpoint import Totals
from securities_rails.bridge.metrics import Metrics
from securities_rails.bridge.reconciler import (
    ConservationError,
    Reading,
    Reconciler,
    reconcile,
)


def reading(custody: int, supply: int, home: tuple[int, int, int], remote: tuple[int, int, int]):
    return Reading(100, 200, custody, supply, Totals(*home), Totals(*remote))


def test_nothing_bridged_is_conserved():
    result = reconcile(reading(0, 0, (0, 0, 0), (0, 0, 0)))
    assert result.ok and result.difference == 0 and result.problem() is None


def test_settled_flows_both_ways_are_conserved():
    # home sent 500 (all minted), remote sent 120 back (all released), one refund of 30 each way
    home = (530, 120, 30)  # sent, received, refunded
    remote = (150, 500, 30)
    custody = 530 - 120 - 30
    supply = 500 + 30 - 150
    result = reconcile(reading(custody, supply, home, remote))
    assert (result.outbound_in_flight, result.return_in_flight, result.in_flight) == (0, 0, 0)
    assert result.ok


def test_in_flight_units_count_on_both_sides():
    # 70 locked on home not yet minted; 20 burned on remote not yet released
    home = (570, 100, 0)
    remote = (120, 500, 0)
    custody = 570 - 100
    supply = 500 - 120
    result = reconcile(reading(custody, supply, home, remote))
    assert (result.outbound_in_flight, result.return_in_flight) == (70, 20)
    assert result.ok
    lines = result.lines()
    assert lines[0].startswith("home   (block 100): custody 470")
    assert lines[1].startswith("remote (block 200): mirror supply 380")
    assert lines[2] == "in flight: 70 home->remote, 20 remote->home, 90 in all"
    assert lines[3] == "difference: custody - (supply + in flight) = +0 units"


@pytest.mark.parametrize(
    ("custody", "supply", "difference", "message"),
    [
        (505, 500, 5, "custody holds 5 units more than the mirror supply plus in flight"),
        (500, 507, -7, "custody holds 7 units less than the mirror supply plus in flight"),
    ],
)
def test_a_break_names_the_difference_in_units(custody, supply, difference, message):
    result = reconcile(reading(custody, supply, (500, 0, 0), (0, 500, 0)))
    assert result.difference == difference and not result.ok
    assert result.problem() == message
    assert str(ConservationError(result)) == f"conservation: {message}"


def test_more_delivered_than_sent_is_a_break_even_when_the_totals_balance():
    result = reconcile(reading(0, 10, (0, 0, 0), (0, 10, 0)))
    assert result.difference == 0 and not result.ok
    assert result.problem() == "remote delivered 10 units more than home sent"


def test_the_process_reports_and_raises_on_the_fake_bridge():
    fake_bridge = FakeBridge()
    fake_bridge.home.send(ALICE, BOB, 100)
    fake_bridge.home.send(ALICE, CAROL, 40)
    fake_bridge.remote.held = 0
    metrics = Metrics("reconciler")
    process = Reconciler(fake_bridge.home, fake_bridge.remote, metrics)
    assert process.step() is False
    assert process.last is not None and process.last.in_flight == 140
    exposition = metrics.exposition()
    assert "securities_rails_bridge_custody_balance 140.0" in exposition
    assert "securities_rails_bridge_in_flight 140.0" in exposition
    assert "securities_rails_bridge_conservation_difference 0.0" in exposition
    fake_bridge.home.held += 3  # someone transferred units straight into custody
    with pytest.raises(ConservationError, match="custody holds 3 units more"):
        process.step()
    assert "securities_rails_bridge_conservation_difference 3.0" in metrics.exposition()

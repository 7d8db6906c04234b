"""Units bridged to another chain are redeemed at maturity once they have come home.

On two Anvils of this module's own, with the real bridge contracts, validators and relayer: a
dated instrument is bridged out before its maturity; at maturity holders can no longer trade it,
the redemption at home skips the bridge custody (a system account: the units it holds belong to
the holders on the other chain), and the units brought home (burned on the remote chain, released
from custody, which a matured instrument allows) are redeemed like any other. At the end nothing
is outstanding on either chain and the bridge is conserved.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import bridge_world
import pytest
from bridge_world import Harness

from securities_rails.bridge.store import DONE
from securities_rails.chain.contracts import pending_timestamp, token_at
from securities_rails.chain.networks import connected
from securities_rails.errors import UserError
from securities_rails.lifecycle import redemption, state
from securities_rails.lifecycle.deploy import deploy_lifecycle, enable_instrument
from securities_rails.settlement.cash import mint_cash
from securities_rails.settlement.deploy import deploy_cash_token
from securities_rails.suite import load_record
from securities_rails.token import operations

DAY = 24 * 3600
MATURITY_IN = 30 * DAY
OUT = 300  # units alice bridges to the remote chain
NOMINAL = 10**6  # 1.000000 EUR: the instrument's nominal of 1 EUR in the cash token's decimals


@pytest.fixture(scope="module")
def own_world(tmp_path_factory: Any) -> Any:
    """Two chains of this module's own (the test moves their clocks past the maturity)."""
    maturity = int(time.time()) + MATURITY_IN
    world = bridge_world.build(tmp_path_factory.mktemp("bridged-bond"), maturity=maturity)
    world.snapshot()
    try:
        yield world
    finally:
        world.home.stop()
        world.remote.stop()


@pytest.fixture
def harness(own_world: Any, tmp_path: Path) -> Any:
    yield Harness(own_world, tmp_path)
    own_world.revert()


def _deliver(harness: Harness, message: Any) -> None:
    relayer = harness.relayer()
    harness.attest()
    relayer.step()
    assert harness.store.message(message.id_hex).state == DONE


def test_units_bridged_out_are_redeemed_after_coming_home(harness: Harness):
    world = harness.world
    admin, alice, bob = (world.people[name] for name in ("admin", "alice", "bob"))
    out = harness.send("home", "alice", alice.address, OUT)
    _deliver(harness, out)
    assert harness.balance("remote", "alice") == OUT

    world.warp(MATURITY_IN + DAY)
    home = world.home.url
    with connected(home):
        token = token_at(world.deployment.home.token)
        custody = world.deployment.home.custody
        assert state.state_of(token) == "matured"
        with pytest.raises(UserError, match="INSTRUMENT_MATURED"):
            operations.transfer(token, alice, bob.address, 1)
        record = load_record(str(world.directory))
        lifecycle = deploy_lifecycle(
            admin, admin=admin.address, upgrader=admin.address, record=record
        )
        enable_instrument(lifecycle, token, admin, agent=admin.address)
        eur = deploy_cash_token(
            admin, currency="EUR", admin=admin.address, issuer=admin.address, record=record
        )
        now = pending_timestamp()
        terms = redemption.RedemptionTerms(
            token=token.address,
            cash_token=eur.address,
            kind="full",
            price_per_unit=0,
            numerator=0,
            denominator=0,
            record_date=0,
            start_date=now,
            deadline=now + 30 * DAY,
        )
        redemption_id = redemption.announce(lifecycle, admin, terms, "BRIDGED-BOND-RED")
        mint_cash(eur, admin, admin.address, bridge_world.MINTED * NOMINAL)
        redemption.fund(lifecycle, admin, redemption_id)
        first = redemption.redeem_for(lifecycle, admin, redemption_id, [alice.address, custody])
        outcome = {row.holder: row.outcome for row in first.rows}
        assert outcome[alice.address] == "redeemed"
        assert outcome[custody] != "redeemed"  # the custody's units belong to remote holders
        assert int(token.balanceOf(custody)) == OUT
        assert int(eur.balanceOf(alice.address)) == (bridge_world.MINTED - OUT) * NOMINAL

    back = harness.send("remote", "alice", alice.address, OUT)  # burned on the remote chain
    _deliver(harness, back)  # released from custody at home: allowed once matured
    assert harness.balance("home", "alice") == OUT

    with connected(home):
        units, payment = redemption.redeemable(lifecycle, redemption_id, alice.address)
        assert (units, payment) == (OUT, OUT * NOMINAL)
        row = redemption.redeem(lifecycle, alice, redemption_id)
        assert (row.outcome, row.units, row.payment) == ("redeemed", OUT, OUT * NOMINAL)
        assert int(token.totalSupply()) == 0
        assert int(eur.balanceOf(alice.address)) == bridge_world.MINTED * NOMINAL
        assert state.state_of(token) == "redeemed"
    assert harness.balance("remote", "alice") == 0
    assert harness.conserved()

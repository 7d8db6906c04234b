"""Paying 250 holders: found from the Transfer events at the record date, paid in three batches of
at most 100, and a run interrupted after its first batch resumed without paying anyone twice."""

from __future__ import annotations

from typing import Any

import pytest
from eth_utils import keccak, to_checksum_address
from suite_data import GERMANY, YEAR

from securities_rails.chain.contracts import pending_timestamp
from securities_rails.identifiers import investor_id_hash
from securities_rails.lifecycle import distributions as dist

DAY = 24 * 3600
HOLDERS = 250
RATE = 10_000  # 0.01 CAD a share
CHUNK = 50


def _address(i: int) -> str:
    return to_checksum_address(keccak(text=f"lifecycle batch holder {i}")[12:])


@pytest.fixture
def crowd(share: Any, registry: Any, registrar: Any, issuer: Any, now: int) -> list[str]:
    """250 registered investors holding 1 to 250 shares each (rolled back after the test)."""
    wallets = [_address(i) for i in range(HOLDERS)]
    for start in range(0, HOLDERS, CHUNK):
        chunk = wallets[start : start + CHUNK]
        registry.registerInvestors(
            chunk,
            [investor_id_hash(f"batch {w}") for w in chunk],
            [GERMANY] * len(chunk),
            [1] * len(chunk),
            [now + 10 * YEAR] * len(chunk),
            sender=registrar,
        )
        share.batchMint(chunk, list(range(start + 1, start + len(chunk) + 1)), sender=issuer)
    return wallets


@pytest.fixture
def payable(lifecycle, share, cad, funded_agent, crowd, chain) -> int:
    now = pending_timestamp()
    terms = dist.DistributionTerms(
        share.address, cad.address, now + DAY, now + 2 * DAY, now + 30 * DAY, "per-unit", RATE
    )
    did = dist.announce(lifecycle, funded_agent, terms, "DIV-CROWD")
    chain.mine(timestamp=terms.record_date + 1)
    dist.fund(lifecycle, funded_agent, did)
    chain.mine(timestamp=terms.payment_date)
    return did


def _entitled(wallets: list[str]) -> dict[str, int]:
    return {w: (i + 1) * RATE for i, w in enumerate(wallets)}


def test_250_holders_are_found_and_paid_in_three_batches(
    lifecycle, cad, funded_agent, crowd, payable
):
    holders = dist.holders_at_record_date(lifecycle, payable)
    assert holders == sorted(crowd, key=lambda a: int(a, 16))
    seen: list[tuple[int, int]] = []
    result = dist.pay(
        lifecycle, funded_agent, payable, progress=lambda done, total: seen.append((done, total))
    )
    assert len(result.transactions) == 3
    assert seen == [(100, 250), (200, 250), (250, 250)]
    assert result.count("paid") == HOLDERS
    expected = _entitled(crowd)
    assert {w: int(cad.balanceOf(w)) for w in crowd} == expected
    assert result.paid == sum(expected.values()) == dist.read(lifecycle, payable).paid


def test_a_run_resumed_after_its_first_batch_pays_nobody_twice(
    lifecycle, cad, funded_agent, crowd, payable
):
    ordered = dist.holders_at_record_date(lifecycle, payable)
    first = dist.pay(lifecycle, funded_agent, payable, ordered[:100])  # then the run stops
    assert first.count("paid") == 100
    resumed = dist.pay(lifecycle, funded_agent, payable)
    assert len(resumed.transactions) == 3
    assert resumed.count("paid") == 150
    skipped = {row.holder for row in resumed.rows if row.outcome == "skipped"}
    assert skipped == set(ordered[:100])
    assert {row.reason for row in resumed.rows if row.outcome == "skipped"} == {"ALREADY_PAID"}
    expected = _entitled(crowd)
    assert {w: int(cad.balanceOf(w)) for w in crowd} == expected
    d = dist.read(lifecycle, payable)
    assert d.paid == sum(expected.values()) == first.paid + resumed.paid

"""Prometheus series per process registry, served over HTTP, and JSON-lines logs."""

from __future__ import annotations

import io
import json
import logging
import socket
import urllib.request

import pytest

from securities_rails.bridge.metrics import Metrics, configure_logging, log
from securities_rails.errors import UserError

SERIES = (
    "securities_rails_bridge_processed_total",
    "securities_rails_bridge_failed_total",
    "securities_rails_bridge_pending",
    "securities_rails_bridge_queued",
    "securities_rails_bridge_lag_blocks",
    "securities_rails_bridge_last_block_seen",
    "securities_rails_bridge_custody_balance",
    "securities_rails_bridge_mirror_supply",
    "securities_rails_bridge_in_flight",
    "securities_rails_bridge_conservation_difference",
)


def _filled(metrics: Metrics) -> Metrics:
    for chain in ("home", "remote"):
        metrics.processed.labels(chain).inc(3)
        metrics.failed.labels(chain).inc()
        metrics.pending.labels(chain).set(2)
        metrics.queued.labels(chain).set(1)
        metrics.lag_blocks.labels(chain).set(4)
        metrics.last_block_seen.labels(chain).set(1234)
    return metrics


def test_the_exposition_names_every_series_by_chain():
    text = _filled(Metrics("relayer")).exposition()
    for name in SERIES:
        assert f"# TYPE {name} " in text, name
    assert 'securities_rails_bridge_processed_total{chain="home"} 3.0' in text
    assert 'securities_rails_bridge_last_block_seen{chain="remote"} 1234.0' in text


def test_each_process_has_its_own_registry():
    first, second = Metrics("a"), Metrics("b")
    first.processed.labels("home").inc()
    assert 'processed_total{chain="home"}' not in second.exposition()


def test_metrics_are_served_over_http():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    metrics = _filled(Metrics("validator"))
    metrics.serve(port)
    try:
        body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read()
    finally:
        metrics.stop()
    assert b'securities_rails_bridge_lag_blocks{chain="home"} 4.0' in body


def test_logs_are_json_lines_with_fields():
    out = io.StringIO()
    logger = configure_logging("validator", stream=out)
    try:
        log(logging.INFO, "signed", chain="home", nonce=7, amount=2**200)
        log(logging.CRITICAL, "reorg_detected", chain="remote", block=12)
    finally:
        for handler in list(logger.handlers):
            logger.removeHandler(handler)
        logger.propagate = True
    first, second = (json.loads(line) for line in out.getvalue().splitlines())
    assert first["event"] == "signed" and first["level"] == "info"
    assert first["process"] == "validator" and first["nonce"] == 7 and first["amount"] == 2**200
    assert second["level"] == "critical" and second["block"] == 12 and "ts" in second


def test_a_port_in_use_is_one_line():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(UserError, match=rf"^metrics-port: cannot serve metrics on .*:{port}"):
            Metrics("validator").serve(port)

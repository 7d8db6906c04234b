"""Prometheus metrics (one registry per process) and JSON-lines logging for the bridge processes.

Series, all prefixed ``securities_rails_bridge_`` and labelled by ``chain`` (the side name,
home or remote):

* ``processed_total``   counter: validator: messages signed; relayer: messages brought to a
  final state (delivered, refunded, or marked failed by the destination);
* ``failed_total``      counter: events refused (validator), submissions or steps that failed;
* ``pending``           gauge: messages waiting for signatures or execution, by destination;
* ``queued``            gauge: messages held by a rate limit (inbound: destination; outbound:
  source);
* ``lag_blocks``        gauge: head minus the last block scanned;
* ``last_block_seen``   gauge: the chain's head at the last scan;
* reconciler: ``custody_balance``, ``mirror_supply``, ``in_flight`` and
  ``conservation_difference`` (no chain label: one figure per bridge).
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest, start_http_server

from securities_rails.errors import UserError

PREFIX = "securities_rails_bridge"
LOGGER = "securities_rails.bridge"


class Metrics:
    """The bridge's series in a registry of their own (several processes may share a Python
    process in tests; each keeps its own figures)."""

    def __init__(self, process: str) -> None:
        self.process = process
        self.registry = CollectorRegistry()
        labels = ["chain"]
        self.processed = Counter(
            f"{PREFIX}_processed", "Messages processed", labels, registry=self.registry
        )
        self.failed = Counter(
            f"{PREFIX}_failed", "Events refused or steps failed", labels, registry=self.registry
        )
        self.pending = Gauge(
            f"{PREFIX}_pending", "Messages waiting to execute", labels, registry=self.registry
        )
        self.queued = Gauge(
            f"{PREFIX}_queued", "Messages held by a rate limit", labels, registry=self.registry
        )
        self.lag_blocks = Gauge(
            f"{PREFIX}_lag_blocks", "Head minus last block scanned", labels, registry=self.registry
        )
        self.last_block_seen = Gauge(
            f"{PREFIX}_last_block_seen",
            "Chain head at the last scan",
            labels,
            registry=self.registry,
        )
        self.custody_balance = Gauge(
            f"{PREFIX}_custody_balance", "Units in home custody", registry=self.registry
        )
        self.mirror_supply = Gauge(
            f"{PREFIX}_mirror_supply", "Mirror token supply on remote", registry=self.registry
        )
        self.in_flight = Gauge(
            f"{PREFIX}_in_flight",
            "Units taken on one side, not yet delivered or refunded",
            registry=self.registry,
        )
        self.difference = Gauge(
            f"{PREFIX}_conservation_difference",
            "Custody minus (mirror supply + in flight); 0 when conserved",
            registry=self.registry,
        )
        self._server: Any = None

    def serve(self, port: int, addr: str = "127.0.0.1") -> None:
        """Expose the registry over HTTP on ``port`` (``/metrics``)."""
        try:
            self._server, _thread = start_http_server(port, addr=addr, registry=self.registry)
        except OSError as error:
            raise UserError(
                "metrics-port", f"cannot serve metrics on {addr}:{port}: {error.strerror}"
            ) from None

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def exposition(self) -> str:
        """The text exposition format of every series."""
        return generate_latest(self.registry).decode()


# ------------------------------------------------------------------ logging


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, process, event (the message), and the fields given
    with ``extra={"fields": {...}}``."""

    def __init__(self, process: str) -> None:
        super().__init__()
        self.process = process

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "process": self.process,
            "event": record.getMessage(),
        }
        entry.update(getattr(record, "fields", {}) or {})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, sort_keys=False)


def configure_logging(
    process: str, level: int = logging.INFO, stream: TextIO | None = None
) -> logging.Logger:
    """The bridge logger, writing JSON lines to ``stream`` (default stderr)."""
    logger = logging.getLogger(LOGGER)
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter(process))
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False
    return logger


def log(level: int, event: str, **fields: Any) -> None:
    """Log ``event`` with structured ``fields`` on the bridge logger."""
    logging.getLogger(LOGGER).log(level, event, extra={"fields": fields})


def flush_logs() -> None:
    for handler in logging.getLogger(LOGGER).handlers:
        handler.flush()

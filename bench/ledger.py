"""Ledger benchmark: movements round trip between the book-entry register and a chain.

Run from anywhere with ``make bench`` (after the bridge benchmark) or ``python bench/ledger.py``
with the virtualenv and Anvil on PATH. For each database (SQLite in a temporary directory, then
PostgreSQL 15 on a throwaway server when its binaries are installed):

1. opens a register on that database: an issuance account, a client account holding every
   unit the run moves, a return account;
2. starts an Anvil (automine) and bridges the ISIN as ``ape run ledger deploy`` does
   (``ledger.operations.deploy``: the suite, the mirror token, a ``BridgeMint`` peered with the
   register's pseudo chain id and bridge address, rate limits far above what the run sends; the
   register's endpoint with 3-of-5 validators and 2 confirmations), and registers the wallet on
   the chain;
3. starts the validators (three keys: the threshold) and the relayer in this process
   (``InProcessBridge``, the bridge store on the same database);
4. moves ``--movements`` units one at a time round trip, in batches of ``--batch``: each
   movement is ``RegisterEndpoint.send_from_account`` (book entry -> wallet: debit into the
   digital omnibus, the relayer mints on the chain), then the holder's ``BridgeMint.send`` to
   the return account's deposit address (wallet -> book entry: burned on the chain, the relayer
   credits the account from the digital omnibus). ``settle()`` after each half batch mines the
   confirmations and lets the validators attest and the relayer deliver.

Measured, over step 4 only: movements per second (round trips / wall seconds), and where the
wall time went: in calls to Anvil (every HTTP request to the node, timed at the transport), in
the database (every statement, begin, commit and rollback through SQLAlchemy, register and
bridge store alike), the sleeps while polling for a receipt, and the rest (Python: signing,
ABI encoding, validation). The run checks at the end that the register reconciles (custody in
the digital omnibus == mirror supply, nothing in flight) and that every unit came back.

A benchmark, not a test: the exit status is 0 whatever the figures. Results:
bench/results/ledger.json (the N measured is in the file).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "ledger.json"

os.chdir(ROOT)  # ape reads ape-config.yaml and the compiled project from the working directory
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("APE_FOUNDRY_HOST", "auto")

import requests.adapters  # noqa: E402
from ape import accounts  # noqa: E402
from ape.logging import LogLevel, logger  # noqa: E402
from eth_account import Account  # noqa: E402
from eth_utils import keccak  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402
from sqlalchemy.engine.base import Connection  # noqa: E402

from securities_rails.bridge.deploy import BridgeParams, Limits, Signers  # noqa: E402
from securities_rails.bridge.endpoint import Endpoint  # noqa: E402
from securities_rails.bridge.metrics import Metrics  # noqa: E402
from securities_rails.bridge.reconciler import Reconciler  # noqa: E402
from securities_rails.bridge.register_endpoint import RegisterEndpoint  # noqa: E402
from securities_rails.bridge.runner import InProcessBridge  # noqa: E402
from securities_rails.chain.anvil import AnvilNode, free_port, mine  # noqa: E402
from securities_rails.chain.contracts import pending_timestamp, registry_at, token_at  # noqa: E402
from securities_rails.chain.networks import connected  # noqa: E402
from securities_rails.chain.rpc import load_abi  # noqa: E402
from securities_rails.identifiers import investor_id_hash  # noqa: E402
from securities_rails.ledger import operations  # noqa: E402
from securities_rails.ledger.models import ISSUANCE, SEGREGATED  # noqa: E402
from securities_rails.ledger.register import Register  # noqa: E402

CHAIN = 31_381
REGISTER_CHAIN = 71_381
REGISTER_ID = "CSD-BENCH"
ISIN = "US0378331005"
LEI = "5493001KJTIIGC8Y1R12"
GERMANY = 276
YEAR = 365 * 24 * 3600
CONFIRMATIONS = 2
VALIDATOR_KEYS = tuple("0x" + keccak(text=f"ledger bench validator {i}").hex() for i in range(5))
THRESHOLD = 3
NO_LIMIT = Limits(capacity=10**30, rate=10**30)
PG_BIN = Path(os.environ.get("SECURITIES_RAILS_PG_BIN", "/usr/lib/postgresql/15/bin"))
CLIENT, RETURNS = "CLIENT-001", "RETURNS-001"

console = Console()


# ------------------------------------------------------------------ where the time goes


@dataclass
class Clock:
    """Seconds spent in Anvil (HTTP) and in the database (SQLAlchemy), outermost calls only."""

    anvil: float = 0.0
    database: float = 0.0
    sleeping: float = 0.0
    anvil_calls: int = 0
    database_calls: int = 0
    _depth: int = 0

    def reset(self) -> None:
        self.anvil = self.database = self.sleeping = 0.0
        self.anvil_calls = self.database_calls = 0


CLOCK = Clock()


def _timed_http(original: Callable[..., Any]) -> Callable[..., Any]:
    def send(self: Any, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return original(self, *args, **kwargs)
        finally:
            CLOCK.anvil += time.perf_counter() - started
            CLOCK.anvil_calls += 1

    return send


def _timed_db(original: Callable[..., Any]) -> Callable[..., Any]:
    def call(self: Any, *args: Any, **kwargs: Any) -> Any:
        CLOCK._depth += 1
        started = time.perf_counter()
        try:
            return original(self, *args, **kwargs)
        finally:
            CLOCK._depth -= 1
            if CLOCK._depth == 0:
                CLOCK.database += time.perf_counter() - started
                CLOCK.database_calls += 1

    return call


def _timed_sleep(original: Callable[[float], None]) -> Callable[[float], None]:
    def sleep(seconds: float) -> None:
        started = time.perf_counter()
        try:
            original(seconds)
        finally:
            CLOCK.sleeping += time.perf_counter() - started

    return sleep


def install_clock() -> None:
    # Polls for a receipt sleep between two looks (Chain.wait): counted apart from both.
    time.sleep = _timed_sleep(time.sleep)  # type: ignore[assignment]
    # Every JSON-RPC request to Anvil (web3's provider and the batch helper) goes through
    # requests' HTTP adapter; PostgreSQL and SQLite do not use HTTP.
    adapter = requests.adapters.HTTPAdapter
    adapter.send = _timed_http(adapter.send)  # type: ignore[method-assign]
    for name in ("_execute_context", "_commit_impl", "_rollback_impl", "_begin_impl"):
        setattr(Connection, name, _timed_db(getattr(Connection, name)))


# ------------------------------------------------------------------ PostgreSQL


def _as_postgres(*command: str) -> None:
    args = ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else list(command)
    done = subprocess.run(args, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{command[0]} failed: {done.stderr}")


@contextlib.contextmanager
def postgres_server() -> Iterator[str]:
    """A throwaway PostgreSQL server on a Unix socket, like tests/conftest.py's postgres_url
    (fsync off there too, for the same reason: a benchmark of the code, not of the disk)."""
    base = Path(tempfile.mkdtemp(prefix="ledger-bench-pg-"))
    data = base / "data"
    if os.geteuid() == 0:
        shutil.chown(base, "postgres", "postgres")
    port = free_port()
    _as_postgres(str(PG_BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "rails")
    options = f"-p {port} -k {base} -c listen_addresses='' -c fsync=off"
    pg_ctl = str(PG_BIN / "pg_ctl")
    _as_postgres(pg_ctl, "-D", str(data), "-o", options, "-l", str(base / "log"), "-w", "start")
    try:
        yield f"postgresql+psycopg://rails@/postgres?host={base}&port={port}"
    finally:
        _as_postgres(pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(base, ignore_errors=True)


# ------------------------------------------------------------------ one run


def params(admin: str) -> BridgeParams:
    return BridgeParams(
        validators=tuple(Account.from_key(key).address for key in VALIDATOR_KEYS),
        threshold=THRESHOLD,
        outbound=NO_LIMIT,
        inbound=NO_LIMIT,
        max_transfer=10**24,
        home_confirmations=0,
        remote_confirmations=CONFIRMATIONS,
        admin=admin,
        guardian=admin,
        compliance=admin,
        upgrader=admin,
    )


def instrument_data() -> tuple[Any, ...]:
    return (ISIN.encode(), b"ESVUFR", b"EUR", 0, 1_700_000_000, 0, LEI.encode(), 10**18)


def run(database: str, url: str, movements: int, batch: int, workdir: Path) -> dict[str, Any]:
    admin, registrar, holder = (accounts.test_accounts[i] for i in (0, 2, 3))
    wallet = Account.from_key(holder.private_key)
    node = AnvilNode(chain_id=CHAIN, port=free_port()).start()
    try:
        register = Register(url)
        register.open_account("ISSUER-BENCH", "Bench issuer", ISSUANCE)
        register.open_account(CLIENT, "Bench client", SEGREGATED)
        register.open_account(RETURNS, "Bench returns", SEGREGATED)
        register.add_instrument(ISIN, "ISSUER-BENCH")
        register.issue(ISIN, CLIENT, movements, "ISSUE-BENCH")
        deployment, _ = operations.deploy(  # what `ape run ledger deploy` does
            register,
            register_id=REGISTER_ID,
            register_chain_id=REGISTER_CHAIN,
            isin=ISIN,
            remote=node.url,
            params=params(admin.address),
            signers=Signers(deployer=admin, home_registrar=registrar, remote_registrar=registrar),
            instrument=instrument_data(),
            name="Bench AG",
            symbol="BNCH",
            directory=workdir,
        )
        with connected(node.url):
            registry = registry_at(token_at(deployment.remote.token).registry())
            expiry = pending_timestamp() + 5 * YEAR
            registry.registerInvestor(
                wallet.address, investor_id_hash("BENCH"), GERMANY, 1, expiry, sender=registrar
            )
        bridge = InProcessBridge.start(
            deployment, url, VALIDATOR_KEYS[:THRESHOLD], admin.private_key
        )
        endpoint = RegisterEndpoint(deployment.home, register)
        chain = Endpoint(deployment.remote)
        mirror = chain.chain.contract(deployment.remote.token, load_abi("ISecurityToken"))
        deposit = endpoint.deposit_address(RETURNS)
        chain.chain.send(wallet, mirror, "approve", chain.address, movements)

        def settle() -> None:
            open_left = bridge.settle(lambda: mine(node.url, CONFIRMATIONS), rounds=20)
            if open_left:
                raise RuntimeError(f"{open_left} messages still open after settling")

        CLOCK.reset()
        started = time.perf_counter()
        done = 0
        batches: list[float] = []
        batch_sleeps: list[float] = []
        while done < movements:
            size = min(batch, movements - done)
            batch_started, slept_before = time.perf_counter(), CLOCK.sleeping
            for n in range(done, done + size):
                endpoint.send_from_account(CLIENT, wallet.address, ISIN, 1, f"BENCH-{n}")
            settle()
            for _ in range(size):
                chain.chain.send(wallet, chain.contract, "send", REGISTER_CHAIN, deposit, 1)
            settle()
            done += size
            batches.append(round(time.perf_counter() - batch_started, 3))
            batch_sleeps.append(round(CLOCK.sleeping - slept_before, 3))
            console.print(f"  {database}: {done:,} / {movements:,}", end="\r")
        wall = time.perf_counter() - started
        anvil, db, slept = CLOCK.anvil, CLOCK.database, CLOCK.sleeping
        rest = wall - anvil - db - slept
        anvil_calls, db_calls = CLOCK.anvil_calls, CLOCK.database_calls
        console.print()

        reconciler = Reconciler(endpoint, chain, Metrics("reconciler"))  # type: ignore[arg-type]
        reconciler.step()
        last = reconciler.last
        back = register.holding(RETURNS, ISIN)
        register.close()
        return {
            "database": database,
            "movements": movements,
            "batch": batch,
            "wall_s": round(wall, 3),
            "movements_per_s": round(movements / wall, 2),
            "on_chain_s": round(anvil, 3),
            "register_db_s": round(db, 3),
            "polling_sleep_s": round(slept, 3),
            "python_s": round(rest, 3),
            "on_chain_share": round(anvil / wall, 4),
            "register_db_share": round(db / wall, 4),
            "polling_sleep_share": round(slept / wall, 4),
            "python_share": round(rest / wall, 4),
            # The sleeps are waits for Anvil to mine a transaction just sent: chain time too.
            "on_chain_with_receipt_waits_share": round((anvil + slept) / wall, 4),
            "batch_s": batches,
            "batch_sleep_s": batch_sleeps,
            "anvil_requests": anvil_calls,
            "database_calls": db_calls,
            "reconciled": bool(last is not None and last.ok),
            "returned_units": back,
            "all_returned": back == movements,
        }
    finally:
        node.stop()


def show(results: list[dict[str, Any]]) -> None:
    grid = Table(title="Ledger round trips: book entry -> wallet -> book entry")
    columns = ("database", "N", "movements/s", "wall s", "on-chain", "register db", "sleep")
    columns += ("python",)
    for column in columns:
        grid.add_column(column, justify="right")
    for r in results:
        grid.add_row(
            r["database"],
            f"{r['movements']:,}",
            f"{r['movements_per_s']:.1f}",
            f"{r['wall_s']:.1f}",
            f"{r['on_chain_share']:.0%}",
            f"{r['register_db_share']:.0%}",
            f"{r['polling_sleep_share']:.0%}",
            f"{r['python_share']:.0%}",
        )
    console.print(grid)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--movements", type=int, default=10_000, help="round trips (10,000)")
    parser.add_argument("--batch", type=int, default=100, help="movements per settle (100)")
    parser.add_argument("--output", type=Path, default=RESULTS, help="the results file")
    parser.add_argument(
        "--databases", default="sqlite,postgresql", help="comma-separated: sqlite,postgresql"
    )
    args = parser.parse_args(argv)
    # Stopped with SIGTERM, still stop the Anvil and the PostgreSQL server (the finally blocks).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    logger.set_level(LogLevel.ERROR)
    install_clock()
    wanted = [name.strip() for name in args.databases.split(",") if name.strip()]
    results: list[dict[str, Any]] = []
    skipped: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="ledger-bench-") as tmp:
        work = Path(tmp)
        if "sqlite" in wanted:
            url = f"sqlite:///{work / 'register.sqlite3'}"
            (work / "sqlite").mkdir()
            results.append(run("sqlite", url, args.movements, args.batch, work / "sqlite"))
        if "postgresql" in wanted:
            if not (PG_BIN / "pg_ctl").exists():
                skipped["postgresql"] = f"PostgreSQL binaries not found in {PG_BIN}"
                console.print(f"[yellow]PostgreSQL skipped:[/yellow] {skipped['postgresql']}")
            else:
                (work / "postgresql").mkdir()
                with postgres_server() as url:
                    results.append(
                        run("postgresql", url, args.movements, args.batch, work / "postgresql")
                    )
    show(results)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}",
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        "movements_measured": args.movements,
        "movement": "one unit, book entry -> wallet -> book entry (two bridge messages)",
        "runs": results,
        "skipped": skipped,
    }
    args.output.write_text(json.dumps(document, indent=2) + "\n")
    console.print(f"written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

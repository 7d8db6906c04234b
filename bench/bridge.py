"""Bridge benchmark: sustained transfers per second end to end, and latency in source-chain blocks.

Run from anywhere with ``make bench`` (after the gas benchmark) or ``python bench/bridge.py`` with
the virtualenv and Anvil on PATH. What it does:

1. starts two Anvils (chain ids 31371 home, 31372 remote) with ``--block-time 1``: interval
   mining, one block a second, so a block is a unit of time on both chains (the setup runs with
   automine switched on for speed; interval mining is switched back on before the run);
2. deploys the suite, the instrument, the bridge (``securities_rails.bridge.localnet``: five
   validators, threshold 3, the confirmation depth on both peers, rate limits far above what the
   run sends), registers the senders on both chains, mints to them and lets each approve the
   home endpoint;
3. starts the off-chain processes as the production command line runs them, one OS process
   each (so that they use both cores), on one SQLite database: three validators (three of the
   five keys: exactly the threshold) and one relayer in pipelined mode
   (``python -m securities_rails.bridge validator|relayer [--pipeline] --interval 0.1``);
4. signs every lock (``BridgeLock.send``) beforehand, with explicit nonces, from 20 funded
   senders, and broadcasts them at the offered rate (170 a second by default) in JSON-RPC
   batches;
5. watches both chains' heads (every 20 ms) to timestamp each block when it appears, and waits
   until the remote endpoint has received everything.

Measured:

* transfers_per_s = delivered transfers / (first lock broadcast -> the remote block holding
  the last delivery appears);
* latency of one transfer, in home blocks = (the home head when the remote block holding its
  delivery (``MessageExecuted``) appears) - (the home block holding its lock (``MessageSent``));
  p50 and p95 by nearest rank.

Also reported: the relayer's transactions (one per transfer: exactly once), the reconciler's
conservation check at the end, and the CPU seconds each process used while measured. Method and
figures: bench/README.md.

It is a benchmark, not a test: a missed target is reported in the table, and the exit status is
0. Results go to bench/results/bridge.json.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "bridge.json"

os.chdir(ROOT)  # ape reads ape-config.yaml and the compiled project from the working directory
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
from ape import accounts  # noqa: E402
from ape.logging import LogLevel, logger  # noqa: E402
from eth_account import Account  # noqa: E402
from eth_utils import keccak  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402
from web3 import HTTPProvider, Web3  # noqa: E402

from securities_rails.bridge.deploy import BridgeParams, Limits  # noqa: E402
from securities_rails.bridge.endpoint import Endpoint  # noqa: E402
from securities_rails.bridge.localnet import (  # noqa: E402
    Roles,
    automine,
    deploy_local_bridge,
    rpc,
    start_chains,
)
from securities_rails.bridge.metrics import Metrics  # noqa: E402
from securities_rails.bridge.reconciler import ConservationError, Reconciler  # noqa: E402
from securities_rails.bridge.store import MINED, REVERTED, Store  # noqa: E402
from securities_rails.chain.rpc import load_abi  # noqa: E402

HOME_CHAIN, REMOTE_CHAIN = 31_371, 31_372
ISIN = "US0378331005"
VALIDATOR_KEYS = tuple("0x" + keccak(text=f"bench validator {i}").hex() for i in range(5))
THRESHOLD = 3
RELAYER_KEY = "0x" + keccak(text="bench relayer").hex()
# Rate limits far above anything the run sends: it measures throughput, not the limiter.
NO_LIMIT = Limits(capacity=10**30, rate=10**30)
AMOUNT = 1  # units per transfer
HOLDING = 10**9  # units each sender holds on home
ETHER = 10**18
POLL = 0.02  # seconds between two looks at the heads
TARGET_RATE = 100  # transfers per second, sustained
OFFERED_RATE = 170.0  # locks broadcast per second by default (0: all at once)
TARGET_EXTRA_BLOCKS = 2  # p95 latency <= confirmations + 2 blocks


def sender_key(index: int) -> str:
    return "0x" + keccak(text=f"bench sender {index}").hex()


# ------------------------------------------------------------------ block clock


@dataclass
class BlockClock:
    """When each block of each chain first appeared (monotonic seconds), from polling heads."""

    urls: dict[str, str]
    seen: dict[str, dict[int, float]] = field(default_factory=dict)
    stop: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None

    def start(self) -> BlockClock:
        self.seen = {name: {} for name in self.urls}
        self.thread = threading.Thread(target=self._run, name="block-clock", daemon=True)
        self.thread.start()
        return self

    def _run(self) -> None:
        session = requests.Session()
        last = dict.fromkeys(self.urls, -1)
        body = {"jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber", "params": []}
        while not self.stop.is_set():
            for name, url in self.urls.items():
                head = int(session.post(url, json=body, timeout=10).json()["result"], 16)
                now = time.monotonic()
                if last[name] < 0:
                    last[name] = head - 1
                for number in range(last[name] + 1, head + 1):
                    self.seen[name][number] = now
                last[name] = max(last[name], head)
            time.sleep(POLL)

    def halt(self) -> None:
        self.stop.set()
        if self.thread is not None:
            self.thread.join(timeout=5)

    def head_at(self, name: str, moment: float) -> int:
        """The chain's head at ``moment``: the highest block seen by then."""
        return max(number for number, seen in self.seen[name].items() if seen <= moment)


# ------------------------------------------------------------------ processes


@dataclass
class Processes:
    """The validators and the relayer, each an OS process (started here, stopped here)."""

    deployment_file: Path
    db_url: str
    logs: Path
    interval: float
    pipeline: bool
    profile: bool = False
    running: list[subprocess.Popen[bytes]] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)

    def start(self, command: str, key: str, label: str, *extra: str) -> None:
        env = {**os.environ, "BRIDGE_KEY": key, "PYTHONDONTWRITEBYTECODE": "1"}
        profiler = (
            ["-m", "cProfile", "-o", str(self.logs / f"{label}.prof")] if self.profile else []
        )
        argv = [
            sys.executable,
            *profiler,
            "-m",
            "securities_rails.bridge",
            command,
            "--deployment",
            str(self.deployment_file),
            "--db",
            self.db_url,
            "--key-env",
            "BRIDGE_KEY",
            "--interval",
            str(self.interval),
            *extra,
        ]
        log = (self.logs / f"{label}.log").open("wb")
        self.labels.append(label)
        self.running.append(
            subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
        )
        log.close()

    def start_all(self, validator_keys: Sequence[str]) -> None:
        for index, key in enumerate(validator_keys):
            self.start("validator", key, f"validator-{index}")
        self.start("relayer", RELAYER_KEY, "relayer", *(["--pipeline"] if self.pipeline else []))

    def check(self) -> None:
        for process in self.running:
            if process.poll() is not None:
                raise SystemExit(
                    f"a bridge process exited with status {process.returncode}: its log is in "
                    f"{self.logs} with --keep"
                )

    def stop(self) -> None:
        for process in self.running:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.running:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a live process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_ready(store: Store, processes: Processes, deployment: Any, timeout: float = 120) -> None:
    """Until every process has scanned both chains once (its cursors are in the database)."""
    names = [f"validator:{Account.from_key(k).address}" for k in VALIDATOR_KEYS[:THRESHOLD]]
    names.append(f"relayer:{Account.from_key(RELAYER_KEY).address}")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        processes.check()
        ready = all(
            store.cursor(f"{name}@{side.endpoint}", side.chain_id) is not None
            for name in names
            for side in deployment.sides
        )
        if ready:
            return
        time.sleep(0.2)
    raise SystemExit(f"the bridge processes were not ready within {timeout:.0f} s")


# ------------------------------------------------------------------ load


def batch_rpc(session: requests.Session, url: str, calls: list[tuple[str, list[Any]]]) -> list[Any]:
    """Several JSON-RPC calls in one request; results in order, an error raises."""
    body = [
        {"jsonrpc": "2.0", "id": index, "method": method, "params": params}
        for index, (method, params) in enumerate(calls)
    ]
    replies = sorted(session.post(url, json=body, timeout=60).json(), key=lambda r: r["id"])
    errors = [reply["error"] for reply in replies if "error" in reply]
    if errors:
        raise RuntimeError(f"{len(errors)} of {len(calls)} calls failed, first: {errors[0]}")
    return [reply["result"] for reply in replies]


def sign_locks(
    web3: Web3, lock: Any, senders: Sequence[Any], transfers: int, gas: int
) -> list[str]:
    """Every lock transaction, signed: sender ``i % n`` sends the ``i``-th to its own wallet on
    the remote chain, with consecutive nonces per sender."""
    block = web3.eth.get_block("latest")
    tip = 10**9
    max_fee = 4 * int(block["baseFeePerGas"]) + tip
    nonces = [web3.eth.get_transaction_count(s.address, "pending") for s in senders]
    raw = []
    for index in range(transfers):
        sender = senders[index % len(senders)]
        nonce = nonces[index % len(senders)] + index // len(senders)
        data = lock.encode_abi("send", args=[REMOTE_CHAIN, sender.address, AMOUNT])
        txn = {
            "type": 2,
            "chainId": HOME_CHAIN,
            "nonce": nonce,
            "to": lock.address,
            "data": data,
            "value": 0,
            "gas": gas,
            "maxFeePerGas": max_fee,
            "maxPriorityFeePerGas": tip,
        }
        raw.append("0x" + bytes(sender.sign_transaction(txn).raw_transaction).hex())
    return raw


def broadcast(url: str, raw: Sequence[str], rate: float, tick: float = 0.05) -> float:
    """Send the signed transactions, ``rate`` a second (0: all at once) in one JSON-RPC batch
    per tick; returns when the first batch was sent (monotonic seconds)."""
    session = requests.Session()
    start = time.monotonic()
    sent = 0
    while sent < len(raw):
        due = (
            len(raw)
            if rate <= 0
            else min(len(raw), math.floor((time.monotonic() - start) * rate) + 1)
        )
        if due > sent:
            batch_rpc(session, url, [("eth_sendRawTransaction", [tx]) for tx in raw[sent:due]])
            sent = due
        time.sleep(tick)
    return start


def wait_delivered(remote: Any, expected: int, processes: Processes, timeout: float) -> None:
    """Until the remote endpoint has received ``expected`` units."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        processes.check()
        _sent, received, _refunded = remote.functions.totals().call()
        if received >= expected:
            return
        time.sleep(0.1)
    raise TimeoutError(f"not everything was delivered within {timeout:.0f} s")


# ------------------------------------------------------------------ measurement


def nearest_rank(values: Sequence[int], percent: float) -> int:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(percent / 100 * len(ordered)) - 1)]


@dataclass(frozen=True)
class Outcome:
    transfers: int
    delivered: int
    duration_s: float
    send_window_s: float
    latencies: list[int]
    lock_blocks: int
    delivery_blocks: int

    @property
    def transfers_per_s(self) -> float:
        return self.delivered / self.duration_s


def measure(
    clock: BlockClock,
    home: Any,
    remote: Any,
    home_from: int,
    remote_from: int,
    started: float,
    sent_until: float,
    transfers: int,
) -> Outcome:
    """Latencies and throughput from the endpoints' events and the block clock."""
    locked = {
        bytes(e["args"]["id"]): int(e["blockNumber"])
        for e in home.events.MessageSent().get_logs(from_block=home_from)
    }
    delivered = {
        bytes(e["args"]["id"]): int(e["blockNumber"])
        for e in remote.events.MessageExecuted().get_logs(from_block=remote_from)
    }
    latencies = []
    last = started
    for message_id, lock_block in locked.items():
        remote_block = delivered.get(message_id)
        if remote_block is None:
            continue
        moment = clock.seen["remote"][remote_block]
        last = max(last, moment)
        latencies.append(clock.head_at("home", moment) - lock_block)
    return Outcome(
        transfers=transfers,
        delivered=len(latencies),
        duration_s=last - started,
        send_window_s=sent_until - started,
        latencies=latencies,
        lock_blocks=len(set(locked.values())),
        delivery_blocks=len(set(delivered.values())),
    )


def afterwards(deployment: Any, store: Store, remote_web3: Web3) -> dict[str, Any]:
    """What the run left: the relayer's transactions (mined, reverted), whether custody on the
    home chain still equals the mirror supply plus what is in flight, the block gas limit."""
    endpoints = {side.name: Endpoint(side) for side in deployment.sides}
    reconciler = Reconciler(endpoints["home"], endpoints["remote"], Metrics("reconciler"))
    with contextlib.suppress(ConservationError):  # a broken equation is reported below
        reconciler.step()
    submissions = store.submissions()
    return {
        "transactions": sum(s.state == MINED for s in submissions),
        "reverted": sum(s.state == REVERTED for s in submissions),
        "conserved": reconciler.last is not None and reconciler.last.ok,
        "block_gas_limit": int(remote_web3.eth.get_block("latest")["gasLimit"]),
    }


# ------------------------------------------------------------------ report


def verdict(met: bool, text: str) -> str:
    return f"[green]{text} — met[/green]" if met else f"[red]{text} — missed[/red]"


def report(result: dict[str, Any]) -> Table:
    confirmations = result["confirmations"]
    limit = confirmations + TARGET_EXTRA_BLOCKS
    table = Table(
        title=(
            f"Bridge, {result['transfers']:,} transfers home → remote, "
            f"{result['threshold']}-of-{result['validators']} validators, "
            f"{result['block_time_s']} s blocks, {confirmations} confirmations"
        )
    )
    table.add_column("figure")
    table.add_column("measured", justify="right")
    table.add_column("target")
    table.add_column("verdict")
    rate = result["transfers_per_s"]
    table.add_row(
        "sustained transfers/s",
        f"{rate:.1f}",
        f"≥ {TARGET_RATE}",
        verdict(rate >= TARGET_RATE, f"{rate / TARGET_RATE:.0%} of target"),
    )
    table.add_row("latency p50 (home blocks)", str(result["latency_p50_blocks"]), "—", "")
    p95 = result["latency_p95_blocks"]
    table.add_row(
        "latency p95 (home blocks)",
        str(p95),
        f"≤ {confirmations} + {TARGET_EXTRA_BLOCKS} = {limit}",
        verdict(p95 <= limit, f"{p95} blocks"),
    )
    table.add_row("latency max (home blocks)", str(result["latency_max_blocks"]), "—", "")
    table.add_row("delivered", f"{result['delivered']:,} of {result['transfers']:,}", "all", "")
    table.add_row("first send → last delivery", f"{result['duration_s']:.2f} s", "—", "")
    table.add_row(
        "relayer transactions",
        f"{result['relayer_transactions']:,} mined, {result['relayer_reverted']} reverted",
        "one per transfer",
        "",
    )
    table.add_row(
        "custody = mirror supply + in flight",
        "yes" if result["conserved"] else "NO",
        "yes",
        "" if result["conserved"] else "[red]broken[/red]",
    )
    table.add_row(
        "locks broadcast over",
        f"{result['send_window_s']:.2f} s",
        "—",
        "all at once"
        if result["offered_rate_per_s"] is None
        else f"offered {result['offered_rate_per_s']:g}/s",
    )
    return table


def write(result: dict[str, Any], path: Path = RESULTS) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n", encoding="utf-8")


# ------------------------------------------------------------------ main


def options(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--transfers", type=int, default=1000)
    parser.add_argument("--senders", type=int, default=20, help="funded accounts that lock")
    parser.add_argument(
        "--rate",
        type=float,
        default=OFFERED_RATE,
        help="locks offered per second (0: all at once)",
    )
    parser.add_argument("--confirmations", type=int, default=2)
    parser.add_argument("--block-time", type=int, default=1, help="seconds (interval mining)")
    parser.add_argument(
        "--interval", type=float, default=0.1, help="seconds between process iterations"
    )
    parser.add_argument(
        "--no-pipeline",
        dest="pipeline",
        action="store_false",
        help="relayer waits for each receipt (its default mode)",
    )
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    parser.add_argument(
        "--profile", action="store_true", help="run each process under cProfile (implies --keep)"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = options(argv)
    logger.set_level(LogLevel.WARNING)  # not a line per deployment transaction
    console = Console()
    if not console.is_terminal:
        console = Console(width=150)
    work = Path(tempfile.mkdtemp(prefix="bench-bridge-"))
    home_node, remote_node = start_chains(HOME_CHAIN, REMOTE_CHAIN, args.block_time)
    processes: Processes | None = None
    clock: BlockClock | None = None
    try:
        console.print(
            f"[dim]home Anvil {home_node.url} (chain {HOME_CHAIN}), remote Anvil "
            f"{remote_node.url} (chain {REMOTE_CHAIN}), --block-time {args.block_time}; "
            f"work directory {work}[/dim]"
        )
        for node in (home_node, remote_node):
            automine(node.url, True)
        senders = [Account.from_key(sender_key(i)) for i in range(args.senders)]
        relayer = Account.from_key(RELAYER_KEY)
        for node in (home_node, remote_node):
            for account in (*senders, relayer):
                rpc(node.url, "anvil_setBalance", account.address, hex(10_000 * ETHER))
        admin, issuer, registrar = (accounts.test_accounts[i] for i in range(3))
        validators = tuple(Account.from_key(key).address for key in VALIDATOR_KEYS)
        params = BridgeParams(
            validators=validators,
            threshold=THRESHOLD,
            outbound=NO_LIMIT,
            inbound=NO_LIMIT,
            max_transfer=NO_LIMIT.capacity,
            home_confirmations=args.confirmations,
            remote_confirmations=args.confirmations,
            admin=admin.address,
            guardian=admin.address,
            compliance=admin.address,
            upgrader=admin.address,
        )
        console.print("deploying the suite, the instrument and the bridge…")
        deployment = deploy_local_bridge(
            home_node.url,
            remote_node.url,
            work,
            ISIN,
            params,
            Roles(admin, issuer, registrar),
            [s.address for s in senders],
            HOLDING,
        )
        deployment_file = work / "bridge.json"
        deployment.save(deployment_file)

        home_web3 = Web3(HTTPProvider(home_node.url, request_kwargs={"timeout": 60}))
        remote_web3 = Web3(HTTPProvider(remote_node.url, request_kwargs={"timeout": 60}))
        abi = load_abi("IBridgeEndpoint")
        lock = home_web3.eth.contract(address=deployment.home.endpoint, abi=abi)
        mint = remote_web3.eth.contract(address=deployment.remote.endpoint, abi=abi)
        token = home_web3.eth.contract(
            address=deployment.home.token, abi=load_abi("ISecurityToken")
        )
        for sender in senders:  # each sender approves the endpoint once
            txn = token.functions.approve(lock.address, 2**255).build_transaction(
                {"from": sender.address, "chainId": HOME_CHAIN, "nonce": 0, "gas": 100_000}
            )
            home_web3.eth.send_raw_transaction(sender.sign_transaction(txn).raw_transaction)
        estimate = lock.functions.send(REMOTE_CHAIN, senders[0].address, AMOUNT).estimate_gas(
            {"from": senders[0].address}
        )
        raw = sign_locks(home_web3, lock, senders, args.transfers, int(estimate * 1.5))
        for node in (home_node, remote_node):
            automine(node.url, False, args.block_time)

        db_url = f"sqlite:///{work / 'bridge.sqlite3'}"
        store = Store(db_url)
        processes = Processes(
            deployment_file, db_url, work, args.interval, args.pipeline, args.profile
        )
        processes.start_all(VALIDATOR_KEYS[:THRESHOLD])
        console.print(
            f"started {THRESHOLD} validators and 1 relayer "
            f"({'pipelined' if args.pipeline else 'one receipt at a time'}); waiting for them…"
        )
        wait_ready(store, processes, deployment)
        clock = BlockClock({"home": home_node.url, "remote": remote_node.url}).start()
        time.sleep(1.5)  # the clock has seen a block of each chain appear
        home_from, remote_from = home_web3.eth.block_number, remote_web3.eth.block_number
        pids = {label: p.pid for label, p in zip(processes.labels, processes.running, strict=True)}
        assert home_node.process is not None and remote_node.process is not None
        pids |= {"anvil-home": home_node.process.pid, "anvil-remote": remote_node.process.pid}
        pids["bench"] = os.getpid()
        cpu_before = {label: cpu_seconds(pid) for label, pid in pids.items()}
        console.print(f"sending {args.transfers:,} locks from {len(senders)} senders…")
        started = broadcast(home_node.url, raw, args.rate)
        sent_until = time.monotonic()
        wait_delivered(mint, args.transfers * AMOUNT, processes, timeout=60 + args.transfers / 5)
        time.sleep(2 * POLL + 0.05)  # the clock has seen the last remote block
        cpu = {label: round(cpu_seconds(pid) - cpu_before[label], 2) for label, pid in pids.items()}
        outcome = measure(
            clock, lock, mint, home_from, remote_from, started, sent_until, args.transfers
        )
        checks = afterwards(deployment, store, remote_web3)
    finally:
        if clock is not None:
            clock.halt()
        if processes is not None:
            processes.stop()
        home_node.stop()
        remote_node.stop()
        if not (args.keep or args.profile):
            shutil.rmtree(work, ignore_errors=True)

    result = {
        "transfers": outcome.transfers,
        "delivered": outcome.delivered,
        "transfers_per_s": round(outcome.transfers_per_s, 1),
        "latency_p50_blocks": nearest_rank(outcome.latencies, 50),
        "latency_p95_blocks": nearest_rank(outcome.latencies, 95),
        "latency_max_blocks": max(outcome.latencies),
        "confirmations": args.confirmations,
        "validators": len(VALIDATOR_KEYS),
        "threshold": THRESHOLD,
        "validator_processes": THRESHOLD,
        "relayer_processes": 1,
        "relayer_mode": "pipelined" if args.pipeline else "sequential",
        "block_time_s": args.block_time,
        "block_gas_limit": checks["block_gas_limit"],
        "duration_s": round(outcome.duration_s, 2),
        "send_window_s": round(outcome.send_window_s, 2),
        "offered_rate_per_s": args.rate if args.rate > 0 else None,
        "senders": args.senders,
        "home_blocks_with_locks": outcome.lock_blocks,
        "remote_blocks_with_deliveries": outcome.delivery_blocks,
        "relayer_transactions": checks["transactions"],
        "relayer_reverted": checks["reverted"],
        "conserved": checks["conserved"],
        "cores": os.cpu_count(),
        "cpu_s": cpu,
    }
    console.print(report(result))
    console.print(
        "CPU seconds while measured: "
        + ", ".join(f"{label} {seconds:.1f}" for label, seconds in cpu.items())
    )
    write(result, args.output)
    console.print(f"written: {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

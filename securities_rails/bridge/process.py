"""Run the bridge processes: the command line, the loop, signals, keys and crash injection.

    python -m securities_rails.bridge validator|relayer|reconcile --deployment FILE --db URL
        [--key-env VAR | --key-file PATH --password-env VAR] [--metrics-port N]
        [--metrics-addr A] [--interval S] [--once] [--max-blocks N] [--log-level L]
        (relayer: [--receipt-timeout S] [--pipeline]; reconcile takes no key and uses no database)

Exit status: 0 stopped cleanly (SIGTERM/SIGINT: the current iteration finishes first) or
``--once`` succeeded; 1 a bad option, file or key, or (``--once``) a failed iteration; 3 the
validator saw a reorganisation deeper than its confirmations; 4 (reconcile ``--once``)
conservation is broken. In the loop, a failed iteration is logged and retried after the interval.

``SECURITIES_RAILS_CRASH_AT=<point>`` makes the process exit at once with status 137 (as if
SIGKILLed) when it reaches ``<point>``: validator ``after_sign_before_commit`` or
``after_commit``; relayer ``after_intent``, ``after_submit_before_record`` or ``after_record``.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from types import FrameType
from typing import Any

import click
from eth_account import Account
from eth_account.signers.local import LocalAccount

from securities_rails.bridge import relayer as relayer_module
from securities_rails.bridge import validator as validator_module
from securities_rails.bridge.deployment import BridgeDeployment
from securities_rails.bridge.endpoint import Endpoint
from securities_rails.bridge.metrics import Metrics, configure_logging, flush_logs, log
from securities_rails.bridge.reconciler import ConservationError, Reconciler
from securities_rails.bridge.register_endpoint import RegisterEndpoint
from securities_rails.bridge.relayer import Relayer
from securities_rails.bridge.store import DEFAULT_URL, Store
from securities_rails.bridge.validator import ReorgError, Validator
from securities_rails.console import UserErrorGroup
from securities_rails.errors import UserError

EXIT_OK, EXIT_ERROR, EXIT_REORG, EXIT_CONSERVATION, EXIT_CRASH = 0, 1, 3, 4, 137
CRASH_ENV = "SECURITIES_RAILS_CRASH_AT"
CRASH_POINTS = {
    "validator": validator_module.CRASH_POINTS,
    "relayer": relayer_module.CRASH_POINTS,
}
Hook = Callable[[str], None]


def crash_hook(environ: Mapping[str, str] | None = None) -> Hook:
    """The hook that ends the process with status 137 at the point ``$SECURITIES_RAILS_CRASH_AT``
    names (a no-op when it is unset)."""
    point = (environ if environ is not None else os.environ).get(CRASH_ENV, "").strip()

    def hook(name: str) -> None:
        if point and name == point:
            log(logging.CRITICAL, "crash_injected", point=name)
            flush_logs()
            os._exit(EXIT_CRASH)

    return hook


def load_key(key_env: str | None, key_file: str | None, password_env: str | None) -> LocalAccount:
    """The signing key: a hex private key in ``$key_env``, or an encrypted JSON keystore file
    whose password is in ``$password_env``."""
    if (key_env is None) == (key_file is None):
        raise UserError("key", "give exactly one of --key-env and --key-file")
    if key_env is not None:
        value = os.environ.get(key_env, "").strip()
        if not value:
            raise UserError("key-env", f"${key_env} is not set")
        try:
            return Account.from_key(value)
        except (ValueError, TypeError):
            raise UserError("key-env", f"${key_env} does not hold a private key") from None
    assert key_file is not None
    if password_env is None:
        raise UserError("password-env", "--key-file needs --password-env")
    password = os.environ.get(password_env)
    if password is None:
        raise UserError("password-env", f"${password_env} is not set")
    try:
        keystore = json.loads(Path(key_file).read_text())
    except OSError as error:
        raise UserError("key-file", f"cannot read {key_file}: {error.strerror}") from None
    except json.JSONDecodeError:
        raise UserError("key-file", f"{key_file} is not a JSON keystore") from None
    try:
        return Account.from_key(Account.decrypt(keystore, password))
    except (ValueError, KeyError, TypeError):
        raise UserError("key-file", f"cannot decrypt {key_file} with ${password_env}") from None


class Stopper:
    """SIGTERM and SIGINT ask the loop to stop after the current iteration."""

    def __init__(self) -> None:
        self.event = threading.Event()

    def install(self) -> None:
        signal.signal(signal.SIGTERM, self._handle)
        signal.signal(signal.SIGINT, self._handle)

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        log(logging.INFO, "stopping", signal=signal.Signals(signum).name)
        self.event.set()

    @property
    def stopped(self) -> bool:
        return self.event.is_set()

    def wait(self, seconds: float) -> None:
        self.event.wait(seconds)


def run_loop(step: Callable[[], bool], *, interval: float, once: bool, stopper: Stopper) -> int:
    """Run ``step`` until stopped (or once); returns the exit status."""
    while not stopper.stopped:
        more = False
        try:
            more = step()
        except ReorgError as error:
            log(logging.CRITICAL, "stopped_on_reorg", reason=str(error))
            return EXIT_REORG
        except ConservationError:
            if once:
                return EXIT_CONSERVATION
        except UserError as error:
            log(logging.ERROR, "iteration_failed", reason=str(error))
            if once:
                return EXIT_ERROR
        except Exception as error:  # an RPC or database outage: retried after the interval
            logging.getLogger("securities_rails.bridge").error(
                "iteration_failed", exc_info=True, extra={"fields": {"reason": repr(error)}}
            )
            if once:
                return EXIT_ERROR
        if once:
            return EXIT_OK
        if not more:
            stopper.wait(interval)
    log(logging.INFO, "stopped")
    return EXIT_OK


def endpoints_for(deployment: BridgeDeployment) -> dict[str, Endpoint]:
    """One endpoint per side, each checked to be on the chain the deployment names (a
    book-entry register's side: a ``RegisterEndpoint`` on its database, with the same methods)."""
    endpoints: dict[str, Any] = {
        side.name: RegisterEndpoint(side) if side.is_register else Endpoint(side)
        for side in deployment.sides
    }
    for endpoint in endpoints.values():
        endpoint.check_chain()
    return endpoints


def _serve(kind: str, metrics: tuple[str, int | None], body: Callable[[Metrics], int]) -> int:
    """Run ``body`` with the process's metrics, served on (address, port) when a port is given."""
    registry = Metrics(kind)
    address, port = metrics
    if port is not None:
        registry.serve(port, address)
    try:
        return body(registry)
    finally:
        registry.stop()
        flush_logs()


# ------------------------------------------------------------------ command line

deployment_option = click.option(
    "--deployment",
    "deployment_path",
    required=True,
    type=click.Path(dir_okay=False),
    help="the bridge deployment JSON file",
)
db_option = click.option(
    "--db", "db_url", default=DEFAULT_URL, show_default=True, help="database URL"
)
metrics_options = [
    click.option(
        "--metrics-port", type=click.IntRange(1, 65535), default=None, help="serve /metrics here"
    ),
    click.option(
        "--metrics-addr", default="127.0.0.1", show_default=True, help="address to serve it on"
    ),
]
interval_option = click.option(
    "--interval",
    type=click.FloatRange(min=0),
    default=5.0,
    show_default=True,
    help="seconds between iterations",
)
once_option = click.option("--once", is_flag=True, help="run one iteration and exit")
max_blocks_option = click.option(
    "--max-blocks",
    type=click.IntRange(min=1),
    default=1000,
    show_default=True,
    help="most blocks scanned per chain and iteration",
)
key_options = [
    click.option("--key-env", default=None, help="environment variable holding a hex key"),
    click.option("--key-file", default=None, help="encrypted JSON keystore file"),
    click.option("--password-env", default=None, help="environment variable holding its password"),
]
log_level_option = click.option(
    "--log-level",
    type=click.Choice(["debug", "info", "warning", "error"]),
    default="info",
    show_default=True,
)


def _options(*decorators: Any) -> Callable[[Any], Any]:
    def apply(function: Any) -> Any:
        for decorator in reversed(decorators):
            function = decorator(function)
        return function

    return apply


@click.group(cls=UserErrorGroup)
def cli() -> None:
    """The bridge's off-chain processes."""


@cli.command()
@_options(
    deployment_option,
    db_option,
    *key_options,
    *metrics_options,
    interval_option,
    once_option,
    max_blocks_option,
    log_level_option,
)
def validator(
    deployment_path: str,
    db_url: str,
    key_env: str | None,
    key_file: str | None,
    password_env: str | None,
    metrics_port: int | None,
    metrics_addr: str,
    interval: float,
    once: bool,
    max_blocks: int,
    log_level: str,
) -> None:
    """Attest the messages both endpoints send (one process per validator key)."""
    configure_logging("validator", getattr(logging, log_level.upper()))
    deployment = BridgeDeployment.load(deployment_path)
    account = load_key(key_env, key_file, password_env)
    store = Store(db_url)
    endpoints = endpoints_for(deployment)
    stopper = Stopper()
    stopper.install()

    def body(metrics: Metrics) -> int:
        process = Validator(
            deployment,
            store,
            account,
            endpoints,
            metrics,
            max_blocks=max_blocks,
            hook=crash_hook(),
        )
        process.check()
        log(logging.INFO, "started", validator=account.address, db=store.url)
        return run_loop(process.step, interval=interval, once=once, stopper=stopper)

    raise SystemExit(_serve("validator", (metrics_addr, metrics_port), body))


@cli.command()
@_options(
    deployment_option,
    db_option,
    *key_options,
    *metrics_options,
    interval_option,
    once_option,
    max_blocks_option,
    log_level_option,
)
@click.option(
    "--receipt-timeout",
    type=click.FloatRange(min=0),
    default=120.0,
    show_default=True,
    help="seconds to wait for a transaction to be mined",
)
@click.option(
    "--pipeline",
    is_flag=True,
    help="send each iteration's transactions in batches without waiting for their receipts",
)
def relayer(
    deployment_path: str,
    db_url: str,
    key_env: str | None,
    key_file: str | None,
    password_env: str | None,
    metrics_port: int | None,
    metrics_addr: str,
    interval: float,
    once: bool,
    max_blocks: int,
    log_level: str,
    receipt_timeout: float,
    pipeline: bool,
) -> None:
    """Submit attested messages and retry queued ones (pays gas on both chains)."""
    configure_logging("relayer", getattr(logging, log_level.upper()))
    deployment = BridgeDeployment.load(deployment_path)
    account = load_key(key_env, key_file, password_env)
    store = Store(db_url)
    endpoints = endpoints_for(deployment)
    stopper = Stopper()
    stopper.install()

    def body(metrics: Metrics) -> int:
        process = Relayer(
            deployment,
            store,
            account,
            endpoints,
            metrics,
            max_blocks=max_blocks,
            receipt_timeout=receipt_timeout,
            hook=crash_hook(),
            pipeline=pipeline,
        )
        log(logging.INFO, "started", relayer=account.address, db=store.url, pipeline=pipeline)
        return run_loop(process.step, interval=interval, once=once, stopper=stopper)

    raise SystemExit(_serve("relayer", (metrics_addr, metrics_port), body))


@cli.command()
@_options(
    deployment_option,
    *metrics_options,
    interval_option,
    once_option,
    log_level_option,
)
@click.option("--db", "db_url", default=None, help="not used: accepted like the other processes")
def reconcile(
    deployment_path: str,
    metrics_port: int | None,
    metrics_addr: str,
    interval: float,
    once: bool,
    log_level: str,
    db_url: str | None,
) -> None:
    """Check custody = mirror supply + in flight; with --once, exit 4 when it does not hold."""
    configure_logging("reconciler", getattr(logging, log_level.upper()))
    deployment = BridgeDeployment.load(deployment_path)
    endpoints = endpoints_for(deployment)
    stopper = Stopper()
    stopper.install()

    def body(metrics: Metrics) -> int:
        process = Reconciler(endpoints["home"], endpoints["remote"], metrics)
        status = run_loop(process.step, interval=interval, once=once, stopper=stopper)
        if once and process.last is not None:
            for line in process.last.lines():
                click.echo(line)
            if not process.last.ok:
                click.echo(f"error: conservation: {process.last.problem()}", err=True)
        return status

    raise SystemExit(_serve("reconciler", (metrics_addr, metrics_port), body))

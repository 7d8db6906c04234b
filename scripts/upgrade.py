"""Upgrade the suite's proxies: `ape run upgrade <target> [--network ...] [--account ...]`.

    ape run upgrade registry|factory|<ISIN> [--source F --contract C]   one proxy
    ape run upgrade token --all-instruments [--no-factory]              every instrument not pinned
    ape run upgrade --check-only [<target>]                             every check, nothing sent
    ape run upgrade --pin ISIN / --unpin ISIN                           record only
    ape run upgrade baseline <target> --source F --contract C           record a missing layout
    ape run upgrade timelock deploy|grant|schedule|pending|execute|cancel

Before anything is sent, the new implementation's storage layout (ERC-7201 namespaces included)
is compared with the layout recorded for the implementation each proxy points to, and the new
implementation is checked for a constructor writing state, selfdestruct, unprotected delegatecall,
initialisers left enabled and a missing upgrade authorisation; the account (or the timelock)
must hold UPGRADER_ROLE on every proxy. A refusal prints one line saying what is wrong, then the
diff. A compatible upgrade is applied and recorded in deployments/<chain id>.json.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from ape.cli import ConnectedProviderCommand, account_option

from securities_rails.console import UserErrorGroup, console, done, table
from securities_rails.errors import UserError
from securities_rails.identifiers import parse_address
from securities_rails.suite import load_suite
from securities_rails.upgrades import apply, timelock
from securities_rails.upgrades.apply import UpgradePlan, UpgradeResult

DEFAULT_COMMAND = "apply"


class UpgradeGroup(UserErrorGroup):
    """`ape run upgrade <target> ...` runs the `apply` command; subcommands run as such."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ctx.help_option_names:
            args = [DEFAULT_COMMAND, *args]
        return super().parse_args(ctx, args)


def target_options(command: Callable[..., Any]) -> Callable[..., Any]:
    options = (
        click.option(
            "--source",
            type=click.Path(exists=True, dir_okay=False, path_type=Path),
            help="Solidity file of the new implementation (default: the project's own, under "
            "contracts/).",
        ),
        click.option(
            "--contract",
            help="Contract in --source (default: InvestorRegistry, SecurityTokenFactory or "
            "SecurityToken).",
        ),
        click.option(
            "--version",
            "version_",
            help="Version to record (default: the contract's version(), else current + 1).",
        ),
        click.option(
            "--call-data",
            default="",
            help="Calldata for upgradeToAndCall (0x hex), e.g. a reinitializer; default: none.",
        ),
        click.option(
            "--all-instruments", is_flag=True, help="Every instrument that is not pinned."
        ),
        click.option(
            "--factory/--no-factory",
            default=True,
            show_default=True,
            help="With --all-instruments: new instruments get the new implementation too.",
        ),
    )
    for option in reversed(options):
        command = option(command)
    return command


def _call_data(text: str) -> bytes:
    try:
        return bytes.fromhex(text.strip().removeprefix("0x"))
    except ValueError:
        raise UserError("call-data", f"{text!r} is not 0x hex") from None


def _plan(
    suite: Any, target: str | None, executor: str | None, build_new: bool = True, **options: Any
) -> UpgradePlan:
    return apply.plan_upgrade(
        suite,
        target,
        all_instruments=options["all_instruments"],
        source=options["source"],
        contract=options["contract"],
        version=options["version_"],
        call_data=_call_data(options["call_data"]),
        factory=options["factory"],
        executor=executor,
        build_new=build_new,
    )


def show_plan(plan: UpgradePlan, *, details: bool) -> None:
    """The proxies, what each points to now, and every check (with the diff when asked)."""
    rows = []
    for target in plan.targets:
        entry = target.baseline
        now = f"{entry.contract} v{entry.version or '?'}" if entry else "(not recorded)"
        rows.append((target.label, target.address, f"{now} at {target.current}", "upgrade"))
    if plan.set_factory:
        rows.append(("new instruments (factory)", plan.suite.factory.address, "", "repoint"))
    rows += [(label, "", "", f"skip: {why}") for label, why in plan.skipped]
    table(f"Upgrade: {plan.title}", ("proxy", "address", "now", "action"), rows)
    checks = [(c.name, "✓" if c.ok else "✗", c.summary) for c in plan.checks]
    table("Checks", ("check", "ok", "result"), checks)
    if details:
        for check in plan.failed:
            for line in check.details:
                console.print(f"  [red]{check.name}[/red] {line}", highlight=False, soft_wrap=True)


def show_result(result: UpgradeResult, record_path: Path) -> None:
    rows = [(u.label, u.tx_hash, u.block) for u in [*result.upgraded, *result.factory]]
    rows += [(label, f"skipped: {why}", "") for label, why in result.skipped]
    version = result.version or "?"
    table(
        f"{result.contract} v{version} at {result.implementation}",
        ("proxy", "transaction", "block"),
        rows,
    )
    done(f"recorded in {record_path}")


HELP = (
    "Check and apply upgrades of the suite's UUPS proxies, directly or through a timelock.\n\n"
    "`ape run upgrade <target> [options]` runs `apply`: the target is registry, factory, an "
    "instrument's ISIN, or token with --all-instruments (every instrument not pinned, and the "
    "factory's implementation for new ones). Before anything is sent, the new implementation's "
    "storage layout (ERC-7201 namespaces included) is compared with the layout recorded for the "
    "implementation each proxy points to, the implementation is checked for what would break a "
    "proxy, and the account (or the timelock) must hold UPGRADER_ROLE on every proxy. A refusal is "
    "one line saying what is wrong, then the diff: one line per variable with its slot, offset "
    "and types. docs/upgrades.md is the runbook."
)
APPLY_HELP = (
    "Upgrade TARGET (registry, factory, an ISIN, or token --all-instruments), or with "
    "--check-only run every check and send nothing (exit 0 or 1; without TARGET: the registry, "
    "the factory and every instrument, against the project's sources)."
)
BASELINE_HELP = (
    "Record the layout of the implementation TARGET points to now, from its sources (for a "
    "suite deployed before layouts were recorded)."
)


@click.group(cls=UpgradeGroup, help=HELP)
def cli():
    pass


@cli.command(DEFAULT_COMMAND, cls=ConnectedProviderCommand, help=APPLY_HELP)
@account_option(prompt=False)
@click.argument("target", required=False)
@target_options
@click.option("--pin", multiple=True, help="Pin an instrument (ISIN): skipped by shared upgrades.")
@click.option("--unpin", multiple=True, help="Unpin an instrument (ISIN).")
@click.option("--check-only", is_flag=True, help="Run every check; send nothing; exit 0 or 1.")
@click.option("--upgrader", help="With --check-only: check this address's role, not the account's.")
@click.option(
    "--skip-build", is_flag=True, help="With --check-only: do not build for deployment (viaIR)."
)
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
def apply_command(account, target, pin, unpin, check_only, upgrader, skip_build, yes, **options):
    suite = load_suite()
    for isin in pin:
        apply.set_pinned(suite.record, isin, True)
        done(f"{isin} pinned")
    for isin in unpin:
        apply.set_pinned(suite.record, isin, False)
        done(f"{isin} unpinned")
    if target is None and not options["all_instruments"] and not check_only:
        if pin or unpin:
            return
        raise UserError("target", f"give what to upgrade: {apply.TARGETS_HELP}")
    if check_only:
        _check_only(suite, target, account, upgrader, not skip_build, options)
        return
    if account is None:
        raise UserError("account", "give --account: it signs the upgrade")
    plan = _plan(suite, target, account.address, **options)
    show_plan(plan, details=False)
    if not plan.ok:
        raise plan.refusal()
    if not plan.targets and not plan.set_factory:
        done("nothing to do: " + plan.checks[-1].summary)
        return
    count = len(plan.targets) + int(plan.set_factory)
    if not yes:
        click.confirm(f"Send {count} upgrade transaction(s)?", abort=True)
    result = apply.apply_upgrade(plan, account, log=console.print)
    show_result(result, suite.record.path)


def _check_only(
    suite: Any,
    target: str | None,
    account: Any,
    upgrader: str | None,
    build_new: bool,
    options: dict[str, Any],
) -> None:
    executor = parse_address(upgrader, "upgrader") if upgrader else None
    executor = executor or (account.address if account is not None else None)
    if target is None and not options["all_instruments"]:
        plans = apply.plan_everything(
            suite, executor, factory=options["factory"], build_new=build_new
        )
    else:
        plans = [_plan(suite, target, executor, build_new=build_new, **options)]
    for plan in plans:
        show_plan(plan, details=True)
    failed = [(plan, check) for plan in plans for check in plan.failed]
    if failed:
        first_plan, first = failed[0]
        raise UserError(
            None,
            f"{len(failed)} check(s) failed; first: {first_plan.title}: {first.name}: "
            f"{first.summary}",
        )
    done(f"every check passed ({len(plans)} upgrade(s)); nothing sent")


@cli.command("baseline", cls=ConnectedProviderCommand, help=BASELINE_HELP)
@click.argument("target")
@click.option(
    "--source",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Solidity file of the implementation TARGET points to now.",
)
@click.option("--contract", required=True, help="The contract in --source.")
@click.option("--force", is_flag=True, help="Replace a layout recorded already.")
def baseline(target, source, contract, force):
    suite = load_suite()
    address, layout_hash = apply.record_baseline(suite, target, source, contract, force=force)
    done(f"layout {layout_hash} recorded for {address}")


# ---------------------------------------------------------------------------- timelock


@cli.group("timelock", cls=UserErrorGroup)
def timelock_group():
    """Upgrades through a timelock: deploy, grant, schedule, pending, execute, cancel."""


@timelock_group.command("deploy", cls=ConnectedProviderCommand)
@account_option()
@click.option("--delay", type=int, required=True, help="Minimum delay in seconds.")
@click.option("--proposer", multiple=True, help="May schedule and cancel (default: the account).")
@click.option(
    "--executor", multiple=True, help="May execute (default: the account; 'anyone': open)."
)
@click.option("--admin", help="Admin of the timelock's roles (default: none, self-administered).")
def timelock_deploy(account, delay, proposer, executor, admin):
    """Deploy the suite's timelock (SuiteTimelock: OpenZeppelin's TimelockController)."""
    suite = load_suite()
    proposers = [parse_address(p, "proposer") for p in proposer] or [account.address]
    executors = [
        "0x0000000000000000000000000000000000000000"
        if e.strip().lower() == "anyone"
        else parse_address(e, "executor")
        for e in executor
    ] or [account.address]
    address = timelock.deploy_timelock(
        suite.record,
        account,
        delay,
        proposers,
        executors,
        parse_address(admin, "admin") if admin else None,
        log=console.print,
    )
    done(f"timelock at {address}; give it the upgrader role with `ape run upgrade timelock grant`")


@timelock_group.command("grant", cls=ConnectedProviderCommand)
@account_option()
@click.argument("target", required=False)
@click.option("--all-instruments", is_flag=True, help="Every instrument that is not pinned.")
@click.option("--renounce", is_flag=True, help="Then give up the account's own upgrader role.")
def timelock_grant(account, target, all_instruments, renounce):
    """Give the timelock UPGRADER_ROLE on TARGET (sent by a holder of that role)."""
    suite = load_suite()
    labels = timelock.grant(
        suite,
        target,
        account,
        all_instruments=all_instruments,
        renounce=renounce,
        log=console.print,
    )
    done(f"the timelock holds UPGRADER_ROLE on {', '.join(labels)}")


@timelock_group.command("schedule", cls=ConnectedProviderCommand)
@account_option()
@click.argument("target", required=False)
@target_options
@click.option("--salt", help="Salt of the operation (default: from the implementation and block).")
@click.option("--delay", type=int, help="Delay in seconds (default: the timelock's minimum).")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
def timelock_schedule(account, target, salt, delay, yes, **options):
    """Check an upgrade of TARGET, deploy its implementation and schedule it on the timelock."""
    suite = load_suite()
    lock = timelock.timelock_of(suite.record)
    plan = _plan(suite, target, lock.address, **options)
    show_plan(plan, details=False)
    if not plan.ok:
        raise plan.refusal()
    if not yes:
        click.confirm("Deploy the implementation and schedule the upgrade?", abort=True)
    op = timelock.schedule(plan, account, salt=salt, delay=delay, log=console.print)
    done(f"operation {op.id} scheduled; execute it from {_when(op.ready_at)}")


@timelock_group.command("pending", cls=ConnectedProviderCommand)
@click.option("--all", "all_", is_flag=True, help="Also the executed and cancelled ones.")
def timelock_pending(all_):
    """The recorded timelock operations and their state on the chain."""
    suite = load_suite()
    rows = [
        (
            view.operation.id[:18],
            ", ".join(c.subject for c in view.operation.calls),
            f"{view.operation.contract} v{view.operation.version or '?'}",
            view.state if view.operation.status == "pending" else view.operation.status,
            _when(view.operation.ready_at),
            view.seconds_left,
        )
        for view in timelock.views(suite.record, all_=all_)
    ]
    table(
        "Timelock operations",
        ("operation", "calls", "implementation", "state", "ready at", "seconds left"),
        rows,
    )


@timelock_group.command("execute", cls=ConnectedProviderCommand)
@account_option()
@click.argument("operation")
def timelock_execute(account, operation):
    """Execute a ready operation (id or unique prefix) and record its upgrades."""
    suite = load_suite()
    receipt = timelock.execute(suite.record, operation, account, log=console.print)
    done(f"executed in block {receipt.block_number}; recorded in {suite.record.path}")


@timelock_group.command("cancel", cls=ConnectedProviderCommand)
@account_option()
@click.argument("operation")
def timelock_cancel(account, operation):
    """Cancel a pending operation (id or unique prefix)."""
    suite = load_suite()
    timelock.cancel(suite.record, operation, account, log=console.print)
    done(f"operation {operation} cancelled")


def _when(timestamp: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(timestamp))

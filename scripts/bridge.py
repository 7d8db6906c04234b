"""The bridge CLI: `ape run bridge <command>`.

    deploy      deploy (or complete) an instrument's bridge between two chains
    send        lock (home) or burn (remote) units and send them to the other chain
    status      messages pending, queued, failed and executed; relayer lag; rate-limit headroom
    reclaim     pay a failed transfer back to its sender, from the validators' refund signatures
    return      compliance: refuse a queued inbound transfer (its sender then reclaims it)
    reconcile   check custody == mirror supply + in flight on both chains (exit 1 when not)
    validators  show the validator sets; propose / execute a change through the timelock
    pause       guardian or admin: pause a direction on one end
    unpause     admin: unpause it
    limit       guardian: lower a rate limit (raising goes through the timelock)
    validator   run one validator process (one key)
    relayer     run the relayer process

Each end is reached through the RPC URL in the bridge's deployment file
(deployments/bridge-<ISIN>-<home chain>-<remote chain>.json, written by `deploy`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from ape.cli import account_option

from securities_rails.bridge import deploy as bridge_deploy
from securities_rails.bridge import governance, operations, process, status
from securities_rails.bridge.deployment import BridgeDeployment
from securities_rails.bridge.process import endpoints_for
from securities_rails.bridge.reconciler import ConservationError, read, reconcile
from securities_rails.bridge.relayer import select_signatures
from securities_rails.bridge.store import DEFAULT_URL, Store
from securities_rails.chain.networks import connected
from securities_rails.console import UserErrorGroup, console, done, table
from securities_rails.deployments import default_directory
from securities_rails.errors import UserError
from securities_rails.identifiers import parse_address, parse_isin


def load_deployment(path: Path | None) -> BridgeDeployment:
    """The deployment file given, or the only bridge file in the deployments directory."""
    if path is not None:
        return BridgeDeployment.load(path)
    found = sorted(default_directory().glob("bridge-*.json"))
    if len(found) != 1:
        where = default_directory()
        raise UserError(
            "deployment",
            f"{len(found)} bridge files in {where}: name one with --deployment",
        )
    return BridgeDeployment.load(found[0])


deployment_option = click.option(
    "--deployment",
    "deployment_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The bridge's deployment file (default: the only one in the deployments directory).",
)
side_option = click.option(
    "--side", type=click.Choice(["home", "remote"]), required=True, help="Which end."
)
direction_option = click.option(
    "--direction", type=click.Choice(["outbound", "inbound"]), required=True
)


@click.group(cls=UserErrorGroup)
def cli() -> None:
    """Move an instrument between its home chain and a remote chain, and operate the bridge."""


@cli.command()
@account_option()
@click.option("--isin", required=True, help="The instrument (created on the home chain).")
@click.option("--home", required=True, help="Home chain: ape network choice or RPC URL.")
@click.option("--remote", required=True, help="Remote chain: ape network choice or RPC URL.")
@click.option("--validator", "validators", multiple=True, required=True, help="Repeat per key.")
@click.option("--threshold", type=int, required=True, help="Signatures needed (m of n).")
@click.option("--capacity", type=int, required=True, help="Rate-limit bucket, units (both ways).")
@click.option("--rate", type=int, required=True, help="Refill, units per second (both ways).")
@click.option("--max-transfer", type=int, required=True, help="Largest single transfer.")
@click.option("--home-confirmations", type=int, default=2, show_default=True)
@click.option("--remote-confirmations", type=int, default=2, show_default=True)
@click.option("--guardian", help="Guardian (pause, lower limits); default: the signer.")
@click.option("--compliance", help="Compliance (return queued transfers); default: the signer.")
@click.option(
    "--timelock",
    "timelock_delay",
    type=int,
    help="Deploy a timelock with this delay (s) on each chain and hand it the governor and "
    "upgrader roles (default: the signer keeps them).",
)
def deploy(
    account: Any,
    isin: str,
    home: str,
    remote: str,
    validators: tuple[str, ...],
    threshold: int,
    capacity: int,
    rate: int,
    max_transfer: int,
    home_confirmations: int,
    remote_confirmations: int,
    guardian: str | None,
    compliance: str | None,
    timelock_delay: int | None,
) -> None:
    """Deploy (or complete) the bridge of ISIN between HOME and REMOTE."""
    me = account.address
    limits = bridge_deploy.Limits(capacity, rate)
    params = bridge_deploy.BridgeParams(
        validators=tuple(parse_address(v, "validator") for v in validators),
        threshold=threshold,
        outbound=limits,
        inbound=limits,
        max_transfer=max_transfer,
        home_confirmations=home_confirmations,
        remote_confirmations=remote_confirmations,
        admin=me,
        guardian=parse_address(guardian, "guardian") if guardian else me,
        compliance=parse_address(compliance, "compliance") if compliance else me,
        upgrader=me,
    )
    signers = bridge_deploy.Signers(
        deployer=account, home_registrar=account, remote_registrar=account
    )
    deployment = bridge_deploy.deploy_bridge(
        parse_isin(isin, "isin"),
        home,
        remote,
        params,
        signers,
        timelock_delay=timelock_delay,
        log=console.print,
    )
    done(
        f"{deployment.isin}: home {deployment.home.endpoint} (chain {deployment.home.chain_id}) "
        f"<-> remote {deployment.remote.endpoint} (chain {deployment.remote.chain_id})"
    )


@cli.command(name="send")
@account_option()
@deployment_option
@click.option(
    "--from",
    "from_side",
    type=click.Choice(["home", "remote"]),
    default="home",
    show_default=True,
    help="The end the units leave from.",
)
@click.option("--to", "recipient", required=True, help="Recipient on the other chain.")
@click.option("--amount", type=int, required=True, help="Units.")
def send_command(
    account: Any, deployment_path: Path | None, from_side: str, recipient: str, amount: int
) -> None:
    """Lock (home) or burn (remote) units and send them to the other chain."""
    deployment = load_deployment(deployment_path)
    side = deployment.side(from_side)
    to = parse_address(recipient, "to")
    with connected(side.rpc):
        sent = operations.send_transfer(deployment, side, account, to, amount)
    state = "queued by the outbound rate limit" if sent.queued else "sent"
    done(f"transfer {sent.nonce} {state}: message {sent.message_id} (block {sent.block})")


@cli.command(name="pause")
@account_option()
@deployment_option
@side_option
@direction_option
def pause_command(account: Any, deployment_path: Path | None, side: str, direction: str) -> None:
    """Pause one direction of one end (guardian or admin)."""
    end = load_deployment(deployment_path).side(side)
    with connected(end.rpc):
        operations.pause(end, direction, account)
    done(f"{side} {direction} paused")


@cli.command(name="unpause")
@account_option()
@deployment_option
@side_option
@direction_option
def unpause_command(account: Any, deployment_path: Path | None, side: str, direction: str) -> None:
    """Unpause one direction of one end (admin only)."""
    end = load_deployment(deployment_path).side(side)
    with connected(end.rpc):
        operations.unpause(end, direction, account)
    done(f"{side} {direction} unpaused")


@cli.command(name="limit")
@account_option()
@deployment_option
@side_option
@direction_option
@click.option("--capacity", type=int, required=True, help="Bucket size, units.")
@click.option("--rate", type=int, required=True, help="Refill, units per second.")
def limit_command(
    account: Any, deployment_path: Path | None, side: str, direction: str, capacity: int, rate: int
) -> None:
    """Lower a rate limit at once (guardian); raising goes through the timelock."""
    end = load_deployment(deployment_path).side(side)
    with connected(end.rpc):
        operations.set_limit(end, direction, capacity, rate, account)
    done(f"{side} {direction} limit: {capacity} units, {rate} per second")


@cli.group(cls=UserErrorGroup)
def validators() -> None:
    """The validator sets: show them, or change one through its chain's timelock."""


@validators.command(name="show")
@deployment_option
def validators_show(deployment_path: Path | None) -> None:
    """The validator set, threshold and version on both ends."""
    deployment = load_deployment(deployment_path)
    rows = []
    for end in deployment.sides:
        with connected(end.rpc):
            members, threshold, version = operations.endpoint_at(end).validatorSet()
        for member in members:
            rows.append((end.name, end.chain_id, version, f"{threshold} of {len(members)}", member))
    table("Validators", ("side", "chain", "version", "threshold", "validator"), rows)


def _proposal_options(command: Any) -> Any:
    for option in reversed(
        (
            account_option(),
            deployment_option,
            side_option,
            click.option(
                "--validator",
                "members",
                multiple=True,
                required=True,
                help="A validator of the new set (repeat).",
            ),
            click.option("--threshold", type=int, required=True, help="Signatures needed."),
            click.option(
                "--timelock",
                "timelock_address",
                required=True,
                help="The chain's timelock (the endpoint's governor).",
            ),
        )
    ):
        command = option(command)
    return command


def _proposal(
    deployment_path: Path | None, side: str, members: tuple[str, ...], threshold: int
) -> tuple[Any, list[str]]:
    end = load_deployment(deployment_path).side(side)
    return end, [parse_address(m, "validator") for m in members]


@validators.command(name="propose")
@_proposal_options
def validators_propose(
    account: Any,
    deployment_path: Path | None,
    side: str,
    members: tuple[str, ...],
    threshold: int,
    timelock_address: str,
) -> None:
    """Schedule a new validator set on one end, through its timelock."""
    end, chosen = _proposal(deployment_path, side, members, threshold)
    with connected(end.rpc):
        endpoint = operations.endpoint_at(end)
        data = governance.validator_call(endpoint, chosen, threshold)
        timelock = governance.governor_timelock(
            endpoint, parse_address(timelock_address, "timelock")
        )
        proposal = governance.propose(timelock, endpoint.address, data, account)
    done(f"operation {proposal.operation} scheduled: executable from unix time {proposal.ready_at}")


@validators.command(name="execute")
@_proposal_options
def validators_execute(
    account: Any,
    deployment_path: Path | None,
    side: str,
    members: tuple[str, ...],
    threshold: int,
    timelock_address: str,
) -> None:
    """Apply a scheduled validator set once its delay has passed."""
    end, chosen = _proposal(deployment_path, side, members, threshold)
    with connected(end.rpc):
        endpoint = operations.endpoint_at(end)
        data = governance.validator_call(endpoint, chosen, threshold)
        timelock = governance.governor_timelock(
            endpoint, parse_address(timelock_address, "timelock")
        )
        governance.execute(timelock, endpoint.address, data, account)
        _members, threshold_now, version = endpoint.validatorSet()
    done(f"{side}: validator set version {version}, {threshold_now} of {len(chosen)}")


db_option = click.option(
    "--db",
    "db_url",
    default=DEFAULT_URL,
    show_default=True,
    help="The validators' and relayer's database (SQLite file or PostgreSQL URL).",
)


@cli.command(name="status")
@deployment_option
@db_option
def status_command(deployment_path: Path | None, db_url: str) -> None:
    """Messages pending, queued, failed and executed; relayer lag; rate-limit headroom."""
    deployment = load_deployment(deployment_path)
    store = Store(db_url)
    endpoints = endpoints_for(deployment)
    rows = [
        (
            f"{flow.source} -> {flow.destination}",
            flow.kind,
            *(f"{flow.counts[c]} ({flow.units[c]} units)" for c in status.COLUMNS),
        )
        for flow in status.flows(deployment, store)
    ]
    table(f"Bridge {deployment.isin}", ("direction", "kind", *status.COLUMNS), rows)
    lag_rows = [
        (
            lag.side,
            lag.head,
            "never" if lag.scanned is None else lag.scanned,
            "-" if lag.blocks is None else lag.blocks,
        )
        for lag in status.relayer_lag(deployment, store, endpoints)
    ]
    table("Relayer", ("chain", "head", "scanned to", "lag (blocks)"), lag_rows)
    room_rows = [
        (r.side, r.direction, r.capacity, r.rate_per_second, r.available)
        for r in status.headroom(deployment, endpoints)
    ]
    table("Rate limits", ("end", "direction", "capacity", "per second", "available"), room_rows)


@cli.command(name="reconcile")
@deployment_option
def reconcile_command(deployment_path: Path | None) -> None:
    """Check custody == mirror supply + in flight on both chains; exit 1 naming the difference."""
    deployment = load_deployment(deployment_path)
    endpoints = endpoints_for(deployment)
    result = reconcile(read(endpoints["home"], endpoints["remote"]))
    for line in result.lines():
        console.print(line)
    if not result.ok:
        raise ConservationError(result)
    done("conservation holds: custody == mirror supply + in flight")


@cli.command(name="reclaim")
@account_option()
@deployment_option
@db_option
@click.option(
    "--from",
    "from_side",
    type=click.Choice(["home", "remote"]),
    required=True,
    help="The end the failed transfer was sent from (where it is paid back).",
)
@click.option("--nonce", type=int, required=True, help="The failed transfer's nonce.")
def reclaim_command(
    account: Any, deployment_path: Path | None, db_url: str, from_side: str, nonce: int
) -> None:
    """Pay a failed transfer back to its sender, with the validators' refund signatures."""
    deployment = load_deployment(deployment_path)
    source = deployment.side(from_side)
    store = Store(db_url)
    refund = status.refund_for(deployment, store, source, nonce)
    endpoint = endpoints_for(deployment)[source.name]
    chosen = select_signatures(
        refund.message.message_id(), store.signatures(refund.id), endpoint.validator_set()
    )
    if chosen is None:
        raise UserError("nonce", f"the refund of {nonce} has too few validator signatures yet")
    with connected(source.rpc):
        operations.reclaim(source, refund.message, chosen, account)
    message = refund.message
    done(f"transfer {nonce} paid back: {message.amount} units to {message.sender} on {from_side}")


@cli.command(name="return")
@account_option()
@deployment_option
@side_option
@click.option("--nonce", type=int, required=True, help="The queued transfer's nonce.")
@click.option("--reason", required=True, help="Why (at most 32 bytes), recorded on-chain.")
def return_command(
    account: Any, deployment_path: Path | None, side: str, nonce: int, reason: str
) -> None:
    """Compliance: refuse a queued inbound transfer on SIDE; its sender then reclaims it."""
    deployment = load_deployment(deployment_path)
    end = deployment.side(side)
    message = status.queued_inbound(deployment, endpoints_for(deployment)[side], nonce)
    with connected(end.rpc):
        operations.return_queued(end, message, reason, account)
    done(f"transfer {nonce} returned: it is refunded to {message.sender} once attested")


# The off-chain processes (also `python -m securities_rails.bridge validator|relayer`).
cli.add_command(process.validator)
cli.add_command(process.relayer)

"""Deploy the suite to any ape network: `ape run deploy [--network ...] [--account ...]`.

Every step is recorded in deployments/<chain id>.json as soon as it is mined; running the
command again deploys only what is missing.
"""

from __future__ import annotations

import click
from ape.cli import ConnectedProviderCommand, account_option

from securities_rails.chain.deploy import STEPS, SuiteRoles, deploy_suite, load_record, plan
from securities_rails.console import console, done, table
from securities_rails.identifiers import parse_address


@click.command(cls=ConnectedProviderCommand)
@account_option()
@click.option("--admin", help="Suite admin (default: the deploying account).")
@click.option("--registrar", help="Registry registrar (default: the deploying account).")
@click.option("--creator", help="Who may create instruments (default: the deploying account).")
@click.option("--upgrader", help="Who may upgrade registry and factory (default: deployer).")
@click.option("--dry-run", is_flag=True, help="Print the plan and what is done; send nothing.")
def cli(account, admin, registrar, creator, upgrader, dry_run):
    """Deploy (or finish deploying) the investor registry, token implementation and factory."""
    record = load_record()
    if dry_run:
        table(
            f"Deployment plan on chain {record.chain_id}",
            ("step", "status"),
            [(name, "done" if ok else "to do") for name, ok in plan(record)],
        )
        return
    me = account.address
    roles = SuiteRoles(
        admin=parse_address(admin or me, "admin"),
        registrar=parse_address(registrar or me, "registrar"),
        creator=parse_address(creator or me, "creator"),
        upgrader=parse_address(upgrader or me, "upgrader"),
    )
    suite = deploy_suite(account, roles, record=record, log=console.print)
    rows = [(name, suite.record.contracts[name].address) for name in STEPS]
    table("Deployed suite", ("contract", "address"), rows)
    done(f"recorded in {suite.record.path}")

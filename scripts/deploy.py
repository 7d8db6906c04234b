"""Deploy the suite to any ape network: `ape run deploy [--network ...] [--account ...]`.

Every step is journaled in deployments/<chain id>.json: an intent (deployer, nonce, expected
address, transaction) before it is sent, the contract as soon as it is mined. Running the command
again after any interruption deploys only what is missing, adopting a contract whose deployment
was mined but not recorded. `--dry-run` prints the plan and what is already done.
"""

from __future__ import annotations

import click
from ape.cli import ConnectedProviderCommand, account_option

from securities_rails.chain.contracts import ROLES
from securities_rails.console import console, done, table
from securities_rails.identifiers import parse_address
from securities_rails.lifecycle import deploy as lifecycle
from securities_rails.settlement import deploy as settlement
from securities_rails.suite import STEPS, SuiteRoles, deploy_suite, load_record, plan

HELP = (
    "Deploy (or finish deploying) the investor registry, token implementation and factory, and "
    "the settlement escrows (DvP escrow, hashed-timelock escrow), registered in the registry as "
    "system accounts, and the lifecycle contracts (record-date book, distributions, "
    "redemption).\n\n"
    "Each step is journaled in deployments/<chain id>.json: before a deployment is sent, an "
    "intent (step, deployer, nonce, expected CREATE address, transaction hash); once mined, the "
    "contract. Run again after any interruption (the process killed, the node down), it deploys "
    "only what is missing and adopts a contract whose deployment was mined but not recorded. "
    "Each implementation is recorded with its storage layout, the baseline of `ape run upgrade`."
)


@click.command(cls=ConnectedProviderCommand, help=HELP)
@account_option()
@click.option("--admin", help="Suite admin (default: the deploying account).")
@click.option("--registrar", help="Registry registrar (default: the deploying account).")
@click.option("--creator", help="Who may create instruments (default: the deploying account).")
@click.option(
    "--upgrader",
    help="Who may upgrade registry, factory, escrow, lifecycle contracts (default: deployer).",
)
@click.option(
    "--dry-run", is_flag=True, help="Print each step: done, to do or in flight; send nothing."
)
def cli(account, admin, registrar, creator, upgrader, dry_run):
    record = load_record()
    steps = STEPS + settlement.STEPS + lifecycle.STEPS
    if dry_run:
        table(
            f"Deployment plan on chain {record.chain_id}",
            ("step", "status", "detail"),
            plan(record, steps),
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
    # The escrows are registered as system accounts when the deploying account is the registrar;
    # otherwise the registrar does it (`ape run issuer register-system-account`).
    registers = bool(suite.registry.hasRole(ROLES["registrar"], me))
    deployed = settlement.deploy_settlement(
        account,
        admin=roles.admin,
        upgrader=roles.upgrader,
        record=suite.record,
        registry=suite.registry if registers else None,
        log=console.print,
    )
    if not registers:
        for step, contract in (
            (settlement.ESCROW, deployed.escrow),
            (settlement.HTLC, deployed.htlc),
        ):
            console.print(
                f"{step}: the registrar must register {contract.address} as a system account: "
                f"ape run issuer register-system-account --wallet {contract.address} "
                f"--label '{settlement.SYSTEM_LABELS[step]}'"
            )
    # The lifecycle contracts (record-date book, distributions, redemption) serve every
    # instrument; each instrument's admin enables it (create-instrument does it for new ones).
    lifecycle.deploy_lifecycle(
        account,
        admin=roles.admin,
        upgrader=roles.upgrader,
        record=suite.record,
        log=console.print,
    )
    rows = [(name, suite.record.contracts[name].address) for name in steps]
    table("Deployed suite", ("contract", "address"), rows)
    done(f"recorded in {suite.record.path}")

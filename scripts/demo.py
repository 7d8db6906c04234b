"""The whole story so far, end to end on a local Anvil: `make demo` (or `ape run demo`).

Deploy the suite, create an instrument with its identifiers, register investors, switch rules on,
mint, make a compliant transfer and refused ones (with their decoded reasons), enforce (freeze,
forced transfer), print the cap table, then upgrade the live instrument (an incompatible version
refused with its storage diff, a compatible one applied) with every holding intact.
"""

from __future__ import annotations

import click
from ape import accounts
from ape.cli import ConnectedProviderCommand

from securities_rails import views
from securities_rails.chain.contracts import pending_timestamp
from securities_rails.console import console, done
from securities_rails.csvio import InvestorRow
from securities_rails.errors import UserError
from securities_rails.identifiers import investor_id_hash, parse_country
from securities_rails.registry import investors
from securities_rails.rules.catalogue import rule_index
from securities_rails.suite import SuiteRoles, deploy_suite, load_record
from securities_rails.token import instruments, operations
from securities_rails.upgrades import apply

YEAR = 365 * 24 * 3600


def step(title: str) -> None:
    console.rule(f"[bold]{title}")


@click.command(cls=ConnectedProviderCommand)
def cli():
    """Run the demo on the connected (local) network with Anvil's test accounts."""
    admin, issuer, agent, alice, bob, carol, dave = accounts.test_accounts[:7]

    step("1. Deploy the suite: investor registry, token implementation, factory")
    roles = SuiteRoles(admin.address, agent.address, admin.address, admin.address)
    suite = deploy_suite(admin, roles, record=load_record(), log=console.print)

    step("2. Create an instrument: ISIN, CFI, issuer LEI, currency checked off- and on-chain")
    spec = instruments.parse_spec(
        name="Example AG ordinary shares",
        symbol="EXAG",
        isin="DE000BAY0017",
        cfi="ESVUFR",
        currency="EUR",
        lei="5493001KJTIIGC8Y1R12",
        decimals=0,
        nominal="1",
        issue_date="2026-01-15",
        maturity="perpetual",
        roles={
            "admin": admin.address,
            "issuer": issuer.address,
            "registrar": agent.address,
            "enforcer": agent.address,
            "pauser": admin.address,
            "upgrader": admin.address,
        },
    )
    token = suite.record.instruments.get(spec.isin)
    token = (
        instruments.token_for(suite, spec.isin) if token else instruments.create(suite, admin, spec)
    )
    done(f"{spec.isin} at {token.address}")

    step("3. Register investors (one registry shared by every instrument)")
    expiry = pending_timestamp() + 2 * YEAR
    people = [
        (alice, "INV-ALICE", "DE", 1),
        (bob, "INV-BOB", "FR", 2),
        (carol, "INV-CAROL", "US", 3),
    ]
    rows = [
        InvestorRow(
            row=n,
            wallet=w.address,
            investor_id=i,
            id_hash=investor_id_hash(i),
            country=parse_country(c),
            category=cat,
            expiry=expiry,
        )
        for n, (w, i, c, cat) in enumerate(people, 1)
        if investors.identity(suite.registry, w.address).kind == "none"
    ]
    if rows:
        investors.register(suite.registry, agent, rows)
    done("alice (DE, retail), bob (FR, professional), carol (US, institutional) registered")

    step("4. Rules: EU-only (allow list DE, FR), at most 100 investors, cap 3,000 per investor")
    operations.set_countries(token, admin, rule_index("country-allow"), [276, 250], True)
    operations.set_rule(token, admin, rule_index("country-allow"), 1)
    operations.set_rule(token, admin, rule_index("max-investors"), 100)
    operations.set_rule(token, admin, rule_index("holding-cap"), 3_000)
    views.show_info(token)

    step("5. Mint and a compliant transfer")
    operations.mint(token, issuer, alice.address, 3_000)
    operations.mint(token, issuer, bob.address, 1_000)
    operations.transfer(token, alice, bob.address, 500)
    done("minted 3,000 to alice and 1,000 to bob; alice sent 500 to bob")

    step("6. Refused transfers, each with the rule that refused it (nothing is sent)")
    for label, to, amount in (
        ("to carol (US, not on the allow list)", carol, 10),
        ("to dave (not registered)", dave, 10),
        ("to bob, over his 3,000 cap", bob, 1_600),
    ):
        try:
            operations.transfer(token, alice, to.address, amount)
        except UserError as refused:
            console.print(f"[yellow]✗[/yellow] alice {label}: {refused.message}")

    step("7. Enforcement: partial freeze, then a forced transfer by the transfer agent")
    operations.freeze_amount(token, agent, bob.address, 200, True)
    try:
        operations.transfer(token, bob, alice.address, 1_400)
    except UserError as refused:
        console.print(f"[yellow]✗[/yellow] bob tries to move frozen units: {refused.message}")
    operations.forced_transfer(
        token, agent, bob.address, alice.address, 1_400, "court order 2026/42"
    )
    done("forced transfer of 1,400 from bob to alice: rules bypassed, 100 frozen units released")

    step("8. Cap table")
    views.show_holders(suite, token)

    step("9. Upgrade the live instrument: storage layout checked against the recorded one")
    try:
        apply.upgrade_instrument(
            suite,
            spec.isin,
            admin,
            source="tests/fixtures/upgrades/incompatible/RulesHoldingCapRetyped.sol",
            contract="RulesHoldingCapRetyped",
        )
    except UserError as refused:
        console.print(f"[yellow]✗[/yellow] an implementation that retypes a field: {refused}")
    result = apply.upgrade_instrument(
        suite,
        spec.isin,
        admin,
        source="tests/fixtures/upgrades/SecurityTokenV2.sol",
        contract="SecurityTokenV2",
        log=console.print,
    )
    done(f"{spec.isin} now runs {result.contract} v{result.version} at {result.implementation}")
    views.show_holders(suite, token)  # the same holders, the same balances

"""The whole story so far, end to end on a local Anvil: `make demo` (or `ape run demo`).

Deploy the suite, create an instrument with its identifiers, register investors, switch rules on,
mint, make a compliant transfer and refused ones (with their decoded reasons), enforce (freeze,
forced transfer), print the cap table, upgrade the live instrument (an incompatible version
refused with its storage diff, a compatible one applied) with every holding intact, then bridge
it to a second local chain (a second Anvil) and back through validators and a relayer, and
reconcile the supply on both chains; then settle delivery versus payment: a trade imported from
an ISO 20022 sese.023 instruction, settled both legs at once and confirmed in a sese.025, a
settlement the rules refuse undone leg by leg, and the security on one chain exchanged for cash
on the other through hashed timelocks; last, a bond's life: a coupon paid to the holders at its
record date (ISO 20022 seev.031 and seev.036), then maturity, where transfers stop and every
note is redeemed at nominal and burned; and finally the traditional ledger: a CSD's book-entry
register as one side of the bridge, units tokenised into a wallet and back, reconciled, and a
semt.002 statement of holdings.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import click
from ape import accounts, chain, networks
from ape.cli import ConnectedProviderCommand
from eth_account import Account
from eth_utils import keccak

from securities_rails import views
from securities_rails.bridge import operations as bridge_operations
from securities_rails.bridge import status
from securities_rails.bridge.deploy import (
    BridgeParams,
    Limits,
    Signers,
    deploy_bridge,
)
from securities_rails.bridge.deployment import BridgeDeployment
from securities_rails.bridge.process import endpoints_for
from securities_rails.bridge.reconciler import read, reconcile
from securities_rails.bridge.register_endpoint import RegisterEndpoint
from securities_rails.bridge.runner import InProcessBridge
from securities_rails.chain.anvil import AnvilNode, free_port, mine
from securities_rails.chain.contracts import pending_timestamp, registry_at, token_at
from securities_rails.chain.networks import connected, rpc_url
from securities_rails.chain.rpc import load_abi
from securities_rails.console import console, done, fields, progress_bar, table
from securities_rails.csvio import InvestorRow
from securities_rails.errors import UserError
from securities_rails.identifiers import format_amount, investor_id_hash, parse_country
from securities_rails.ledger import operations as ledger_operations
from securities_rails.ledger.models import ISSUANCE, OMNIBUS, SEGREGATED
from securities_rails.ledger.register import Register
from securities_rails.ledger.statement import export_statement
from securities_rails.lifecycle import deploy as lifecycle_deploy
from securities_rails.lifecycle import distributions, redemption
from securities_rails.lifecycle import messages as lifecycle_messages
from securities_rails.lifecycle import state as lifecycle_state
from securities_rails.lifecycle import views as lifecycle_views
from securities_rails.registry import investors
from securities_rails.rules.catalogue import rule_index
from securities_rails.settlement import cash as cash_leg
from securities_rails.settlement import exchange, iso_import, messages, trades
from securities_rails.settlement import views as settlement_views
from securities_rails.settlement.deploy import (
    cash_token_for,
    deploy_cash_token,
    deploy_htlc,
    deploy_settlement,
)
from securities_rails.suite import Suite, SuiteRoles, deploy_suite, load_record, load_suite
from securities_rails.token import instruments, operations
from securities_rails.upgrades import apply

YEAR = 365 * 24 * 3600
DAY = 24 * 3600
EUR = 10**6  # the cash token's 6 decimals
REMOTE_CHAIN_ID = 31338
LEDGER_CHAIN_ID = 71_337  # the register's pseudo chain id on its bridge
LEDGER_REGISTER = "CSD-DEMO"
LEDGER_ISIN = "DE0007164600"
CONFIRMATIONS = 2


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

    remote = AnvilNode(chain_id=REMOTE_CHAIN_ID, port=free_port()).start()
    try:
        bridge_story(spec.isin, rpc_url(networks.provider), remote, admin, agent, alice, bob)
        dvp_story(suite, token, admin, agent, alice, bob, carol)
        cross_chain_story(spec.isin, rpc_url(networks.provider), remote, admin, alice, bob)
    finally:
        remote.stop()
    lifecycle_story(suite, admin, issuer, agent, alice, bob)
    ledger_story(rpc_url(networks.provider), admin, agent, alice)


def bridge_story(
    isin: str, home_url: str, remote: AnvilNode, admin: Any, agent: Any, alice: Any, bob: Any
) -> None:
    """Steps 10-12: bridge the instrument to a second chain and back, then reconcile."""
    step("10. Bridge the instrument to a second chain (3-of-5 validators, rate limits on)")
    keys = [f"0x{keccak(text=f'demo validator {n}').hex()}" for n in range(5)]
    limits = Limits(capacity=2_000, rate=10)
    params = BridgeParams(
        validators=tuple(Account.from_key(key).address for key in keys),
        threshold=3,
        outbound=limits,
        inbound=limits,
        max_transfer=1_500,
        home_confirmations=CONFIRMATIONS,
        remote_confirmations=CONFIRMATIONS,
        admin=admin.address,
        guardian=admin.address,
        compliance=agent.address,
        upgrader=admin.address,
    )
    deployment = deploy_bridge(
        isin,
        home_url,
        remote.url,
        params,
        Signers(deployer=admin, home_registrar=agent, remote_registrar=agent),
    )
    done(
        f"home chain {deployment.home.chain_id}: BridgeLock {deployment.home.endpoint}, custody "
        f"{deployment.home.custody}; remote chain {deployment.remote.chain_id}: BridgeMint "
        f"{deployment.remote.endpoint}, mirror {deployment.remote.token} (same ISIN)"
    )
    with connected(remote.url):
        mirror = token_at(deployment.remote.token)
        registry = registry_at(mirror.registry())
        expiry = pending_timestamp() + 2 * YEAR
        for wallet, name, country in ((alice, "INV-ALICE", 276), (bob, "INV-BOB", 250)):
            if investors.identity(registry, wallet.address).kind == "none":
                registry.registerInvestor(
                    wallet.address, investor_id_hash(name), country, 1, expiry, sender=agent
                )
    done("alice and bob registered on the remote chain's own registry")

    step("11. Alice sends 1,000 units to the remote chain; validators attest, the relayer mints")
    database = Path(tempfile.mkdtemp(prefix="demo-bridge-")) / "bridge.sqlite3"
    processes = InProcessBridge.start(
        deployment, f"sqlite:///{database}", keys[:3], accounts.test_accounts[9].private_key
    )

    def confirm() -> None:
        mine(deployment.home.rpc, CONFIRMATIONS)
        mine(deployment.remote.rpc, CONFIRMATIONS)

    with connected(deployment.home.rpc):
        sent = bridge_operations.send_transfer(
            deployment, deployment.home, alice, alice.address, 1_000
        )
    done(f"locked in custody: transfer {sent.nonce}, message {sent.message_id[:18]}…")
    processes.settle(confirm)
    with connected(deployment.remote.rpc):
        try:
            bridge_operations.send_transfer(
                deployment, deployment.remote, alice, bob.address, 10_000
            )
        except UserError as refused:
            console.print(f"[yellow]✗[/yellow] alice tries to send 10,000 back: {refused}")
        bridge_operations.send_transfer(deployment, deployment.remote, alice, bob.address, 400)
    done("on the remote chain alice burns 400 to send them to bob at home")
    processes.settle(confirm)
    show_status(deployment, processes)

    step("12. Reconcile: custody on the home chain == mirror supply + in flight")
    endpoints = endpoints_for(deployment)
    result = reconcile(read(endpoints["home"], endpoints["remote"]))
    for line in result.lines():
        console.print(line)
    if not result.ok:
        raise UserError("conservation", result.problem() or "broken")
    done("supply conserved across both chains")


def dvp_story(suite: Suite, token: Any, admin: Any, agent: Any, *parties: Any) -> None:
    """Steps 13-14: delivery versus payment on this chain, from an ISO 20022 instruction to its
    confirmation; then a settlement the rules refuse, undone leg by leg."""
    alice, bob, carol = parties
    step("13. DvP: alice's sese.023 instruction, bob affirms, both legs settle in one transaction")
    settlement = deploy_settlement(
        admin,
        admin=admin.address,
        upgrader=admin.address,
        record=suite.record,
        registry=suite.registry,
        registrar=agent,
        log=console.print,
    )
    eur = deploy_cash_token(
        admin, currency="EUR", admin=admin.address, issuer=admin.address, record=suite.record
    )
    for buyer in (bob, carol):
        cash_leg.mint_cash(eur, admin, buyer.address, 50_000 * EUR)
    today = datetime.fromtimestamp(pending_timestamp(), UTC).date()
    instruction = messages.SettlementInstruction(
        message_id="DEMO-DVP-1",
        reference="DEMO-DVP-1",
        movement="deliver",
        payment=messages.AGAINST_PAYMENT,
        isin=token.isin(),
        quantity=Decimal(100),
        cash_amount=Decimal("10500.00"),
        currency="EUR",
        trade_date=today,
        settlement_date=today,
        account_owner_wallet=alice.address,
        counterparty_wallet=bob.address,
    )
    inbox = Path(tempfile.mkdtemp(prefix="demo-iso20022-"))
    received = inbox / "sese023-DEMO-DVP-1.xml"
    received.write_bytes(messages.build_sese023(instruction))
    trade_id = iso_import.import_instruction(
        suite, settlement, alice, messages.parse_sese023(received.read_bytes())
    )
    done(
        f"{received.name} validated and imported: trade {trade_id[:18]}…, "
        "alice's 100 units escrowed"
    )
    views.show_holders(suite, token)  # alice's 100 units in escrow, still hers
    trades.affirm(settlement, bob, trade_id)
    trades.settle(settlement, bob, trade_id)
    confirmation = inbox / "sese025-DEMO-DVP-1.xml"
    confirmation.write_bytes(
        messages.build_sese025(settlement_views.snapshot(settlement, trade_id), movement="deliver")
    )
    done(f"settled: 100 units to bob, 10,500.00 EUR to alice; {confirmation} (schema-valid)")

    step("14. A settlement the rules refuse moves nothing, and each party takes its leg back")
    terms = trades.Terms(
        seller=alice.address,
        buyer=carol.address,
        security=token.address,
        quantity=50,
        cash_token=eur.address,
        amount=5_250 * EUR,
        deadline=pending_timestamp() + 3600,
    )
    refused_id = trades.instruct(settlement, alice, terms, "DEMO-DVP-2")
    trades.instruct(settlement, carol, terms, "DEMO-DVP-2")
    try:
        trades.settle(settlement, carol, refused_id)
    except UserError as refused:
        console.print(f"[yellow]✗[/yellow] settle the trade to carol (US): {refused.message}")
    trades.cancel(settlement, alice, refused_id)
    trades.cancel(settlement, carol, refused_id)
    trades.reclaim(settlement, alice, refused_id)
    trades.reclaim(settlement, carol, refused_id)
    done("cancelled by both; alice has her 50 units back, carol her 5,250.00 EUR")


def cross_chain_story(
    isin: str, home_url: str, remote: AnvilNode, admin: Any, alice: Any, bob: Any
) -> None:
    """Step 15: the security on this chain against cash on the second one, through one secret."""
    step("15. Cross-chain DvP: units here against EUR on the second chain, hashed timelocks")
    with connected(remote.url):
        deploy_htlc(admin, log=console.print)
        eur = deploy_cash_token(admin, currency="EUR", admin=admin.address, issuer=admin.address)
        cash_leg.mint_cash(eur, admin, bob.address, 50_000 * EUR)
    people = (("alice (seller)", alice.address), ("bob (buyer)", bob.address))
    state = Path(tempfile.mkdtemp(prefix="demo-exchange-")) / "exchange.json"
    exchange.run_exchange(
        home_url,
        remote.url,
        alice,
        bob,
        isin,
        "200",
        "EUR",
        "21000.00",
        "DEMO-XCHAIN-1",
        state_path=state,
        log=console.print,
    )
    rows = []
    with connected(home_url):
        security = instruments.token_for(load_suite(), isin)
        cash = cash_token_for(load_record(), "EUR")
        rows += [("home", name, security.balanceOf(who), _eur(cash, who)) for name, who in people]
    with connected(remote.url):
        cash = cash_token_for(load_record(), "EUR")
        rows += [("second", name, "-", _eur(cash, who)) for name, who in people]
    table(f"After the exchange: {isin} units and EUR", ("chain", "party", "units", "EUR"), rows)
    done("both legs delivered; the secret bob revealed on this chain paid alice on the other")


def lifecycle_story(suite: Suite, admin: Any, issuer: Any, agent: Any, *holders: Any) -> None:
    """Steps 16-17: a bond pays a coupon to its holders at the record date, then matures and is
    redeemed at nominal, with Anvil's clock moved forward (the last steps: time only goes on)."""
    alice, bob = holders
    step("16. A bond pays its coupon: the record date fixes who is paid, without a holder loop")
    deployed = lifecycle_deploy.deploy_lifecycle(
        admin, admin=admin.address, upgrader=admin.address, record=suite.record, log=console.print
    )
    now = pending_timestamp()
    maturity = now + 90 * DAY
    spec = instruments.parse_spec(
        name="Example AG 2.5% notes",
        symbol="EXAG25",
        isin="XS2500000018",
        cfi="DBFTFB",
        currency="EUR",
        lei="5493001KJTIIGC8Y1R12",
        decimals=0,
        nominal="1000",
        issue_date=_day(now - DAY),
        maturity=_day(maturity),
        roles={
            "admin": admin.address,
            "issuer": issuer.address,
            "registrar": agent.address,
            "enforcer": agent.address,
            "pauser": admin.address,
            "upgrader": admin.address,
        },
    )
    bond = instruments.create(suite, admin, spec)
    lifecycle_deploy.enable_instrument(
        deployed, bond, admin, agent=agent.address, log=console.print
    )
    operations.mint(bond, issuer, alice.address, 600)
    operations.mint(bond, issuer, bob.address, 400)
    eur = cash_token_for(suite.record, "EUR")
    coupon = distributions.DistributionTerms(
        token=bond.address,
        cash_token=eur.address,
        record_date=now + DAY,
        payment_date=now + 2 * DAY,
        claim_deadline=now + 30 * DAY,
        kind="per-unit",
        value=25 * EUR,  # 2.5% of the 1,000 EUR nominal
    )
    coupon_id = distributions.announce(deployed, agent, coupon, "DEMO-COUPON-2026")
    done(f"{spec.isin}: 1,000 notes (alice 600, bob 400); coupon {coupon_id} of 25.00 EUR a note")
    chain.mine(timestamp=coupon.record_date + 60)
    operations.transfer(bond, alice, bob.address, 200)
    done("after the record date alice sells 200 notes to bob: the coupon still follows the date")
    cash_leg.mint_cash(eur, admin, issuer.address, 25_000 * EUR)
    distributions.fund(deployed, issuer, coupon_id)
    chain.mine(timestamp=coupon.payment_date)
    payees = distributions.holders_at_record_date(deployed, coupon_id)
    with progress_bar("paying the holders at the record date", len(payees)) as advance:
        counted = [0]

        def moved(so_far: int, _total: int) -> None:
            advance(so_far - counted[0])
            counted[0] = so_far

        result = distributions.pay(deployed, agent, coupon_id, payees, progress=moved)
    names = {alice.address: "alice", bob.address: "bob"}
    rows = [(names.get(r.holder, r.holder), r.outcome, _eur_text(r.amount)) for r in result.rows]
    batches = len(result.transactions)
    table(f"Coupon {coupon_id}, paid in {batches} batch(es)", ("holder", "", "EUR"), rows)
    fields("Coupon totals", lifecycle_views.summary(deployed, "distribution", coupon_id))
    outbox = Path(tempfile.mkdtemp(prefix="demo-seev-"))
    notice = outbox / "seev031-DEMO-COUPON-2026.xml"
    notice.write_bytes(
        lifecycle_messages.build_seev031(
            lifecycle_views.corporate_action_of(deployed, "distribution", coupon_id)
        )
    )
    movement = lifecycle_views.movements_of(deployed, "distribution", coupon_id, alice.address)[0]
    confirmation = outbox / "seev036-DEMO-COUPON-2026-alice.xml"
    confirmation.write_bytes(lifecycle_messages.build_seev036(movement))
    done(f"{notice.name} and {confirmation.name} written to {outbox} (schema-valid)")

    step("17. The bond matures: transfers stop, every note is redeemed at nominal and burned")
    chain.mine(timestamp=maturity)
    console.print(f"state of {spec.isin}: {lifecycle_state.state_of(bond)}")
    try:
        operations.transfer(bond, bob, alice.address, 10)
    except UserError as refused:
        console.print(f"[yellow]✗[/yellow] bob to alice after maturity: {refused.message}")
    terms = redemption.RedemptionTerms(
        token=bond.address,
        cash_token=eur.address,
        kind="full",
        price_per_unit=0,  # the nominal: 1,000.00 EUR a note
        numerator=0,
        denominator=0,
        record_date=0,
        start_date=maturity,
        deadline=maturity + 30 * DAY,
    )
    redemption_id = redemption.announce(deployed, agent, terms, "DEMO-REDEMPTION-2026")
    cash_leg.mint_cash(eur, admin, issuer.address, 1_000_000 * EUR)
    redemption.fund(deployed, issuer, redemption_id)
    redeemed = redemption.redeem_for(deployed, agent, redemption_id)
    rows = [
        (names.get(r.holder, r.holder), r.outcome, r.units, _eur_text(r.payment))
        for r in redeemed.rows
    ]
    table(f"Redemption {redemption_id}", ("holder", "", "notes burned", "EUR"), rows)
    done(
        f"supply {bond.totalSupply()}: {redeemed.units:,} notes burned against "
        f"{_eur_text(redeemed.paid)} EUR; with no unit left, the redemption closed the life of "
        f"{spec.isin}: {lifecycle_state.state_of(bond)}"
    )


def ledger_story(home_url: str, admin: Any, agent: Any, alice: Any) -> None:
    """Step 18: a CSD's book-entry register as the home side of a bridge to this chain."""
    step("18. The traditional ledger: a CSD register on one side of the bridge")
    folder = Path(tempfile.mkdtemp(prefix="demo-ledger-"))
    url = f"sqlite:///{folder / 'register.sqlite3'}"
    register = Register(url)
    register.open_account("ISSUER-EXBD", "Example Bank AG (issuer)", ISSUANCE)
    register.open_account("ALICE-001", "Alice Example", SEGREGATED)
    register.open_account("CUST-OMNI", "Example Custodian (omnibus)", OMNIBUS)
    register.add_instrument(LEDGER_ISIN, "ISSUER-EXBD")
    register.issue(LEDGER_ISIN, "ALICE-001", 5_000, "DEMO-ISSUE-1")
    done(f"register {url}: {LEDGER_ISIN} issued, 5,000 units booked to ALICE-001")

    keys = [f"0x{keccak(text=f'demo ledger validator {n}').hex()}" for n in range(5)]
    validators = tuple(Account.from_key(key).address for key in keys)
    limits = Limits(capacity=100_000, rate=100)
    params = BridgeParams(
        validators=validators,
        threshold=3,
        outbound=limits,
        inbound=limits,
        max_transfer=10_000,
        home_confirmations=0,  # a register does not reorganise
        remote_confirmations=CONFIRMATIONS,
        admin=admin.address,
        guardian=admin.address,
        compliance=agent.address,
        upgrader=admin.address,
    )
    deployment, _ = ledger_operations.deploy(  # what `ape run ledger deploy` does
        register,
        register_id=LEDGER_REGISTER,
        register_chain_id=LEDGER_CHAIN_ID,
        isin=LEDGER_ISIN,
        remote=home_url,
        params=params,
        signers=Signers(deployer=admin, home_registrar=agent, remote_registrar=agent),
        instrument=(
            LEDGER_ISIN.encode(),
            b"ESVUFR",
            b"EUR",
            0,
            pending_timestamp(),
            0,
            b"5493001KJTIIGC8Y1R12",
            10**18,
        ),
        name="Example Bank AG shares",
        symbol="EXBD",
        directory=folder,
    )
    remote = deployment.remote
    with connected(home_url):
        registry = registry_at(token_at(remote.token).registry())
        expiry = pending_timestamp() + 2 * YEAR
        if investors.identity(registry, alice.address).kind == "none":
            registry.registerInvestor(
                alice.address, investor_id_hash("INV-ALICE"), 276, 1, expiry, sender=agent
            )
    done(
        f"register endpoint {deployment.home.endpoint} (pseudo chain {LEDGER_CHAIN_ID}) peered "
        f"with BridgeMint {remote.endpoint} on chain {remote.chain_id}, mirror {remote.token}; "
        "alice's wallet registered"
    )

    processes = InProcessBridge.start(
        deployment, url, keys[:3], accounts.test_accounts[9].private_key
    )
    endpoints = endpoints_for(deployment)
    book = RegisterEndpoint(deployment.home, register)

    def confirm() -> None:
        mine(home_url, CONFIRMATIONS)

    stranger = accounts.test_accounts[8].address
    try:
        book.send_from_account("ALICE-001", alice.address, LEDGER_ISIN, 9_000, "DEMO-TOK-0")
    except UserError as refused:
        console.print(f"[yellow]✗[/yellow] 9,000 units from ALICE-001: {refused}")
    refused = book.send_from_account("ALICE-001", stranger, LEDGER_ISIN, 50, "DEMO-TOK-1")
    book.send_from_account("ALICE-001", alice.address, LEDGER_ISIN, 2_000, "DEMO-TOK-2")
    done("book entry -> wallet: 2,000 units debited into the digital omnibus for alice's wallet")
    for _ in range(2):  # the second pass carries the refund of the refused transfer
        processes.settle(confirm)
    remote_end = endpoints["remote"]
    done(
        f"minted to alice: {token_at(remote.token).balanceOf(alice.address):,} units; the 50 "
        f"for an unregistered wallet {remote_end.inbound_status(refused.message_id()).name}, "
        "refunded to ALICE-001"
    )
    holder = Account.from_key(alice.private_key)
    mirror = remote_end.chain.contract(remote.token, load_abi("ISecurityToken"))
    remote_end.chain.send(holder, mirror, "approve", remote_end.address, 700)
    deposit = book.deposit_address("CUST-OMNI")
    remote_end.chain.send(holder, remote_end.contract, "send", LEDGER_CHAIN_ID, deposit, 700)
    done("wallet -> book entry: alice burns 700 to the custodian's omnibus account")
    processes.settle(confirm)
    register.set_beneficial_owners("CUST-OMNI", LEDGER_ISIN, {"ALICE": 700})
    done("the custodian records the omnibus holding's beneficial owner: ALICE 700")
    # From now on every movement on that holding names its owner and keeps the breakdown exact.
    owner_deposit = book.deposit_address("CUST-OMNI", owner="ALICE")
    remote_end.chain.send(holder, mirror, "approve", remote_end.address, 300)
    remote_end.chain.send(holder, remote_end.contract, "send", LEDGER_CHAIN_ID, owner_deposit, 300)
    processes.settle(confirm)
    register.move("DEMO-OMNI-OUT", LEDGER_ISIN, "CUST-OMNI", "ALICE-001", 250, debit_owner="ALICE")
    try:
        register.move("DEMO-OMNI-BAD", LEDGER_ISIN, "CUST-OMNI", "ALICE-001", 50)
    except UserError as refused_move:
        console.print(f"[yellow]✗[/yellow] 50 out of CUST-OMNI naming no owner: {refused_move}")
    owners = register.beneficial_owners("CUST-OMNI", LEDGER_ISIN)
    done(
        "alice burns 300 more to her own deposit address in CUST-OMNI, then 250 move out of it "
        f"to ALICE-001 debiting her: breakdown {owners} == holding "
        f"{register.holding('CUST-OMNI', LEDGER_ISIN):,}"
    )

    rows = [
        (account.id, account.kind, f"{register.holding(account.id, LEDGER_ISIN):,}")
        for account in register.accounts()
        if account.kind != ISSUANCE
    ]
    table(f"Register holdings of {LEDGER_ISIN}", ("account", "kind", "units"), rows)
    reconciliation = reconcile(read(endpoints["home"], remote_end))
    for line in reconciliation.lines():
        console.print(line)
    supply = int(token_at(remote.token).totalSupply())
    issued = register.issued(LEDGER_ISIN)
    book_entry = issued - sum(register.on_chains(LEDGER_ISIN).values())
    in_flight = sum(register.on_chains(LEDGER_ISIN).values()) - supply
    console.print(
        f"issued {issued:,} == book entry {book_entry:,} + on chain {supply:,} "
        f"+ in flight {in_flight:,}"
    )
    if not reconciliation.ok or issued != book_entry + supply + in_flight or in_flight:
        raise UserError("conservation", reconciliation.problem() or "the ledgers disagree")
    statement = folder / "semt002-ALICE-001.xml"
    statement.write_bytes(export_statement(register, "ALICE-001"))
    done(f"ledgers reconciled; {statement.name} written to {folder} (schema-valid)")
    register.close()


def _day(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, UTC).date().isoformat()


def _eur_text(amount: int) -> str:
    return f"{Decimal(amount) / EUR:,.2f}"


def _eur(cash: Any, wallet: str) -> str:
    return format_amount(int(cash.balanceOf(wallet)), 6)


def show_status(deployment: BridgeDeployment, processes: InProcessBridge) -> None:
    rows = [
        (
            f"{flow.source} -> {flow.destination}",
            flow.kind,
            *(f"{flow.counts[c]} ({flow.units[c]} units)" for c in status.COLUMNS),
        )
        for flow in status.flows(deployment, processes.store)
        if any(flow.counts.values())
    ]
    table(f"Bridge {deployment.isin}", ("direction", "kind", *status.COLUMNS), rows)
    balances = []
    for side in deployment.sides:
        with connected(side.rpc):
            token = token_at(side.token)
            balances.append((side.name, side.chain_id, token.totalSupply(), token.name()))
    table("Supply on each chain", ("chain", "id", "supply", "instrument"), balances)

"""Gas benchmark: the suite's common operations against a plain ERC-20 and the issue's targets.

Run from anywhere with ``make bench`` (or ``python bench/gas.py`` with the virtualenv and Anvil on
PATH). It uses ape as a library on a fresh local Anvil that ape starts on a random port
(``APE_FOUNDRY_HOST=auto``), deploys the suite, measures ``gas_used`` of one transaction per
operation, prints a table and merges the figures into ``bench/results/gas.json`` (name -> gas).

It is a benchmark, not a test: a missed target is reported in the table, and the exit status is 0.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "gas.json"

# ape reads ape-config.yaml from the working directory, and must start its own Anvil rather than
# use the one `make node` keeps on port 8545: both are settled before ape is imported.
os.chdir(ROOT)
os.environ.setdefault("APE_FOUNDRY_HOST", "auto")
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from ape import accounts, chain, networks, project  # noqa: E402
from eth_account import Account  # noqa: E402
from eth_utils import keccak, to_checksum_address  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from securities_rails.bridge.messages import TRANSFER, Message, isin_bytes  # noqa: E402
from securities_rails.chain.contracts import token_at  # noqa: E402
from securities_rails.deployments import DeploymentRecord  # noqa: E402
from securities_rails.identifiers import investor_id_hash  # noqa: E402
from securities_rails.settlement.deploy import deploy_cash_token, deploy_settlement  # noqa: E402
from securities_rails.suite import SuiteRoles, create_instrument, deploy_suite  # noqa: E402

ISIN = "US0378331005"
LEI = "5493001KJTIIGC8Y1R12"
GERMANY, FRANCE, USA = 276, 250, 840
DAY = 24 * 3600
# A fixed eligibility expiry (2100-01-01 UTC): calldata, hence gas, is the same on every run.
EXPIRY = 4_102_444_800

# ITransferRules.RuleType, in declaration order.
COUNTRY_ALLOW, COUNTRY_DENY, MAX_INVESTORS, HOLDING_CAP, LOCK_UP, MIN_TRANSFER = range(6)

# The bridge, measured on this one chain: BridgeLock for one instrument (LOCK_ISIN), BridgeMint for
# another (MINT_ISIN, standing in for a mirror), each peered with a chain that is not running
# (PEER_CHAIN, whose endpoint is PEER_BRIDGE): inbound messages are built and signed here as that
# peer's validators would, by 3 of 5 validator keys.
LOCK_ISIN, MINT_ISIN = "DE0007164600", "US5949181045"
PEER_CHAIN = 4_242
PEER_BRIDGE = to_checksum_address("0x" + "b1" * 20)
VALIDATOR_KEYS = tuple("0x" + keccak(text=f"gas validator {i}").hex() for i in range(5))
THRESHOLD = 3
# Rate limit per direction: capacity, refill per second. No refill, so that the bucket is never
# full when measured (whether it has refilled up to its capacity depends on how many seconds
# the run took, and changes the figure by a few gas); the cost does not depend on the values.
LIMIT = (1_000_000, 0)

# DvP: trades on an instrument of their own, against a EUR cash token; 50 trades in the batch.
DVP_ISIN = "FR0000120271"
DVP_BATCH = 50
PRICE = 1_000_000  # 1.000000 EUR per trade

# Lifecycle: a dated bond (CFI DBFTFB, 2 decimals) paying a coupon in a USD cash token to 100
# holders paid in one batch, plus two holders who transfer and claim.
BOND_ISIN = "XS0000000017"
BOND_HOLDERS = 100
COUPON = 25_000  # 0.025000 USD per whole unit

# Operations in the order of the table; the first seven are the required measurements.
OPERATIONS = (
    "erc20_transfer_baseline",
    "register_investor",
    "create_instrument",
    "mint",
    "compliant_transfer",
    "forced_transfer",
    "freeze",
    "compliant_transfer_no_rules",
    "compliant_transfer_multi_wallet",
    "burn",
    "batch_mint_10",
    "bridge_lock",
    "bridge_mint",
    "bridge_release",
    "dvp_settle",
    "dvp_settle_batch_50",
    "bond_transfer",
    "corporate_action_announce",
    "transfer_first_checkpoint",
    "transfer_after_record_date",
    "distribution_claim",
    "distribution_pay_batch_100",
)

NOTES = {
    "erc20_transfer_baseline": "OpenZeppelin ERC20, both accounts already hold, 10 units",
    "register_investor": "new investor, its first wallet",
    "create_instrument": "factory: ERC1967 proxy + initialize",
    "mint": "to an investor who already holds, all rules on",
    "compliant_transfer": "both investors hold, all six rule types on",
    "forced_transfer": "registrar, rules bypassed",
    "freeze": "freezePartialTokens, first freeze of the instrument",
    "compliant_transfer_no_rules": "identity rule only",
    "compliant_transfer_multi_wallet": "recipient has two wallets (record kept), all rules on",
    "burn": "holder keeps a balance, all rules on",
    "batch_mint_10": "batchMint to 10 investors who already hold",
    "bridge_lock": "BridgeLock.send, all rules on; CCIP one-token send ≈ 332,000",
    "bridge_mint": "BridgeMint.execute, 3 signatures, to a holder; CCIP pool mint ≈ 105,000",
    "bridge_release": "BridgeLock.execute, 3 signatures, custody → a holder",
    "dvp_settle": "DvPEscrow.settle, all rules on, buyer holds units, seller holds cash",
    "dvp_settle_batch_50": "settleBatch of 50 such trades (10 buyers, 2 sellers)",
    "bond_transfer": "a dated bond (lifecycle on), identity rule only, no record date yet",
    "corporate_action_announce": "Distributions.announce, the instrument's first record date",
    "transfer_first_checkpoint": "after the record date: both holders' first checkpoint",
    "transfer_after_record_date": "after the record date, both holders already checkpointed",
    "distribution_claim": "Distributions.claim by a holder, per-unit coupon",
    "distribution_pay_batch_100": "Distributions.pay to 100 holders, each its first payment",
}


def instrument_data(isin: str = ISIN) -> tuple[Any, ...]:
    """The Instrument struct in field order (as tests/conftest.py): a share in EUR, nominal 1."""
    return (isin.encode(), b"ESVUFR", b"EUR", 0, 1_700_000_000, 0, LEI.encode(), 10**18)


def measure() -> dict[str, int]:
    """Deploy everything on the connected chain and return operation -> gas used."""
    acct = accounts.test_accounts
    admin, issuer, registrar, enforcer, pauser, upgrader = (acct[i] for i in range(6))
    alice, bob, carol = acct[6], acct[7], acct[8]
    gas: dict[str, int] = {}

    def record(name: str, receipt: Any) -> Any:
        gas[name] = int(receipt.gas_used)
        return receipt

    # Baseline: a plain OpenZeppelin ERC-20 transfer between two accounts that both hold.
    # Same sender, recipient and amount as the compliant transfer below (same calldata cost).
    baseline = project.BaselineERC20.deploy(1_000_000, sender=admin)
    baseline.transfer(alice, 1_000, sender=admin)
    baseline.transfer(bob, 1_000, sender=admin)
    record("erc20_transfer_baseline", baseline.transfer(bob, 10, sender=alice))

    # The suite, recorded in a throw-away directory (never the project's deployments/).
    with tempfile.TemporaryDirectory(prefix="bench-deployments-") as folder:
        roles = SuiteRoles(
            admin=admin.address,
            registrar=registrar.address,
            creator=admin.address,
            upgrader=upgrader.address,
        )
        suite = deploy_suite(
            admin, roles, record=DeploymentRecord(int(chain.chain_id), directory=folder)
        )
        registry = suite.registry

        def register(wallet: Any, ident: str, country: int) -> Any:
            return registry.registerInvestor(
                wallet, investor_id_hash(ident), country, 1, EXPIRY, sender=registrar
            )

        record("register_investor", register(alice, "alice", GERMANY))
        register(bob, "bob", FRANCE)
        register(carol, "carol", GERMANY)

        token_roles = (
            admin.address,
            issuer.address,
            registrar.address,
            enforcer.address,
            pauser.address,
            upgrader.address,
        )
        token = create_instrument(
            suite, admin, "Example AG ordinary shares", "EXAG", instrument_data(), token_roles
        )
        created = suite.record.instruments[ISIN]
        gas["create_instrument"] = int(chain.get_receipt(created.tx_hash).gas_used)

    # Ten more investors for the batch mint: addresses nobody signs for, registered in one call.
    batch = [to_checksum_address(f"0x{0xB000 + i:040x}") for i in range(10)]
    registry.registerInvestors(
        batch,
        [investor_id_hash(f"batch-{i}") for i in range(10)],
        [GERMANY] * 10,
        [1] * 10,
        [EXPIRY] * 10,
        sender=registrar,
    )

    # Everyone holds before anything is measured (no zero-to-non-zero balance writes below).
    token.batchMint([alice, bob, carol, *batch], [1_000] * 13, sender=issuer)

    # Identity rule only.
    record("compliant_transfer_no_rules", token.transfer(bob, 10, sender=alice))

    switch_on_every_rule(token, admin)
    if token.canTransfer(alice, bob, 10)[0] != b"\x51":
        raise RuntimeError("the transfer to be measured would be refused")

    record("compliant_transfer", token.transfer(bob, 10, sender=alice))
    record("mint", token.mint(alice, 10, sender=issuer))
    record("batch_mint_10", token.batchMint(batch, [10] * 10, sender=issuer))
    record("burn", token.burn(alice, 10, sender=issuer))
    record("forced_transfer", token.forcedTransfer(alice, bob, 10, "court order", sender=registrar))
    # Last on this instrument: a freeze makes later transfers read the freeze records.
    record("freeze", token.freezePartialTokens(carol, 10, sender=enforcer))

    # The bridge, on two instruments of their own (nothing frozen there).
    gas.update(measure_bridge(suite.factory, registry, token_roles))
    gas.update(measure_dvp(suite.factory, registry, token_roles))
    gas.update(measure_lifecycle(suite.factory, registry, token_roles))
    # Last, as the registry is shared: Carol gets a second wallet, and the token now keeps a
    # record of her holding. Her first movement after that starts the record; the next one is
    # measured, with no freeze left on the instrument (as for `compliant_transfer`).
    token.unfreezePartialTokens(carol, 10, sender=enforcer)
    register(acct[9], "carol", GERMANY)
    token.transfer(carol, 10, sender=bob)
    record("compliant_transfer_multi_wallet", token.transfer(carol, 10, sender=bob))
    return gas


def switch_on_every_rule(token: Any, admin: Any) -> None:
    """Every rule type on: German and French recipients allowed, US ones denied, limits far from
    reached, a lock-up that ended yesterday, a minimum transfer of 1."""
    token.setCountries(COUNTRY_ALLOW, [GERMANY, FRANCE], True, sender=admin)
    token.setRule(COUNTRY_ALLOW, 1, sender=admin)
    token.setCountries(COUNTRY_DENY, [USA], True, sender=admin)
    token.setRule(COUNTRY_DENY, 1, sender=admin)
    token.setRule(MAX_INVESTORS, 1_000, sender=admin)
    token.setRule(HOLDING_CAP, 10**9, sender=admin)
    token.setRule(LOCK_UP, int(chain.pending_timestamp) - DAY, sender=admin)
    token.setRule(MIN_TRANSFER, 1, sender=admin)
    if not all(token.rule(rule_type)[0] for rule_type in range(6)):
        raise RuntimeError("a rule type is not active: the measurement would not be all-rules")


def _endpoint(contract: str, init_args: tuple[Any, ...], admin: Any) -> Any:
    """A bridge endpoint (``BridgeLock`` or ``BridgeMint``) behind a SuiteProxy, initialised with
    its first configuration: 5 validators, threshold 3, the rate limits, peered with PEER_CHAIN."""
    container = getattr(project, contract)
    implementation = container.deploy(sender=admin)
    setup = (
        admin.address,  # admin
        0,  # admin handover delay
        admin.address,  # governor
        admin.address,  # upgrader
        admin.address,  # guardian
        admin.address,  # compliance
        [validator_address(key) for key in VALIDATOR_KEYS],
        THRESHOLD,
        LIMIT,  # outbound
        LIMIT,  # inbound
        LIMIT[0],  # per-transfer maximum
    )
    init = implementation.initialize.encode_input(setup, *init_args)
    proxy = project.SuiteProxy.deploy(implementation.address, init, sender=admin)
    endpoint = container.at(proxy.address)
    endpoint.setPeer(PEER_CHAIN, PEER_BRIDGE, 2, sender=admin)
    endpoint.checkConfiguration()
    return endpoint


def validator_address(key: str) -> str:
    return str(Account.from_key(key).address)


def inbound(endpoint: Any, isin: str, nonce: int, recipient: Any, amount: int) -> tuple[Any, Any]:
    """A transfer from the peer chain to ``endpoint`` and the threshold of validator signatures
    over it, ordered by ascending signer (as the relayer sends them): execute's arguments."""
    message = Message(
        kind=TRANSFER,
        source_chain_id=PEER_CHAIN,
        destination_chain_id=int(chain.chain_id),
        source_bridge=PEER_BRIDGE,
        destination_bridge=endpoint.address,
        nonce=nonce,
        isin=isin_bytes(isin),
        sender=PEER_BRIDGE,
        recipient=recipient.address,
        amount=amount,
    )
    signers = sorted(VALIDATOR_KEYS[:THRESHOLD], key=lambda k: int(validator_address(k), 16))
    return message.as_tuple(), [message.sign(key) for key in signers]


def measure_bridge(factory: Any, registry: Any, roles: tuple[str, ...]) -> dict[str, int]:
    """Lock, mint and release, each in the steady state of a bridge in use: the endpoint has
    moved units before (its counters, rate-limit bucket and custody balance are not zero), the
    holder (sender or recipient) already holds units of the instrument and keeps or adds to
    them, and every rule type is on."""
    acct = accounts.test_accounts
    admin, issuer, registrar = acct[0], acct[1], acct[2]
    alice, bob, carol = acct[6], acct[7], acct[8]
    gas: dict[str, int] = {}

    def instrument(isin: str, name: str, symbol: str) -> Any:
        factory.createInstrument(name, symbol, instrument_data(isin), roles, sender=admin)
        token = token_at(factory.tokenOf(isin.encode()))
        token.batchMint([alice, bob, carol], [1_000] * 3, sender=issuer)
        switch_on_every_rule(token, admin)
        return token

    # Home end: custody and BridgeLock for LOCK_ISIN.
    home = instrument(LOCK_ISIN, "Bridged AG ordinary shares", "BRDG")
    custody = project.BridgeCustody.deploy(home.address, admin.address, 0, sender=admin)
    lock = _endpoint("BridgeLock", (home.address, custody.address), admin)
    custody.grantRole(custody.BRIDGE_ROLE(), lock.address, sender=admin)
    registry.registerSystemAccount(custody.address, f"bridge custody {LOCK_ISIN}", sender=registrar)

    # A holder approves the amount and sends; the second send is measured (custody already
    # holds, the endpoint's nonce, total and bucket are set).
    for _ in range(2):
        home.approve(lock.address, 10, sender=alice)
        receipt = lock.send(PEER_CHAIN, bob.address, 10, sender=alice)
    gas["bridge_lock"] = int(receipt.gas_used)

    # Release: two inbound transfers from the peer, the second measured (to a holder; custody
    # keeps units).
    lock.execute(*inbound(lock, LOCK_ISIN, 1, carol, 5), sender=admin)
    receipt = lock.execute(*inbound(lock, LOCK_ISIN, 2, bob, 10), sender=admin)
    if home.balanceOf(custody.address) != 5:
        raise RuntimeError("the release did not come out of custody")
    gas["bridge_release"] = int(receipt.gas_used)

    # Remote end: BridgeMint for MINT_ISIN, the only issuer of that instrument from now on.
    remote = instrument(MINT_ISIN, "Mirror Corp ordinary shares", "MIRR")
    mint = _endpoint("BridgeMint", (remote.address,), admin)
    remote.grantRole(remote.ISSUER_ROLE(), mint.address, sender=admin)
    registry.registerSystemAccount(mint.address, f"bridge {MINT_ISIN}", sender=registrar)
    mint.execute(*inbound(mint, MINT_ISIN, 1, carol, 5), sender=admin)
    supply = remote.totalSupply()
    receipt = mint.execute(*inbound(mint, MINT_ISIN, 2, bob, 10), sender=admin)
    if remote.totalSupply() != supply + 10:
        raise RuntimeError("the mint did not mint")
    gas["bridge_mint"] = int(receipt.gas_used)
    return gas


def measure_dvp(factory: Any, registry: Any, roles: tuple[str, ...]) -> dict[str, int]:
    """Settlement of one trade and of a batch of 50, in the steady state of an escrow in use:
    it has settled trades before, buyers already hold units, sellers already hold cash, and
    every rule type is on. Each trade moves 1 unit against 1 EUR."""
    acct = accounts.test_accounts
    admin, issuer, registrar = acct[0], acct[1], acct[2]
    sellers = [acct[6], acct[8]]
    buyers = [acct[7]] + [acct.generate_test_account() for _ in range(9)]
    for buyer in buyers[1:]:
        admin.transfer(buyer, 10**19)
    for i, buyer in enumerate(buyers[1:]):
        registry.registerInvestor(
            buyer, investor_id_hash(f"dvp-buyer-{i}"), GERMANY, 1, EXPIRY, sender=registrar
        )
    factory.createInstrument(
        "Settled SA ordinary shares", "STLD", instrument_data(DVP_ISIN), roles, sender=admin
    )
    token = token_at(factory.tokenOf(DVP_ISIN.encode()))
    token.batchMint(sellers + buyers, [1_000] * (len(sellers) + len(buyers)), sender=issuer)
    switch_on_every_rule(token, admin)
    with tempfile.TemporaryDirectory(prefix="bench-deployments-") as folder:
        record = DeploymentRecord(int(chain.chain_id), directory=folder)
        escrow = deploy_settlement(
            admin,
            admin=admin.address,
            upgrader=admin.address,
            record=record,
            registry=registry,
            registrar=registrar,
        ).escrow
        cash = deploy_cash_token(
            admin, currency="EUR", admin=admin.address, issuer=admin.address, record=record
        )
    for party in sellers + buyers:
        cash.mint(party, 100 * PRICE, sender=admin)
        cash.approve(escrow.address, 2**255, sender=party)
        token.approve(escrow.address, 2**255, sender=party)
    deadline = int(chain.pending_timestamp) + DAY

    def matched(seller: Any, buyer: Any, reference: str) -> bytes:
        terms = (seller.address, buyer.address, token.address, 1, cash.address, PRICE, deadline)
        escrow.instruct(terms, reference, sender=seller)
        escrow.instruct(terms, reference, sender=buyer)
        return escrow.computeTradeId(terms, reference)

    gas: dict[str, int] = {}
    escrow.settle(matched(sellers[0], buyers[0], "WARM-UP"), sender=admin)
    gas["dvp_settle"] = int(
        escrow.settle(matched(sellers[0], buyers[0], "BENCH-1"), sender=admin).gas_used
    )
    batch = [
        matched(sellers[i % 2], buyers[i % len(buyers)], f"BATCH-{i}") for i in range(DVP_BATCH)
    ]
    receipt = escrow.settleBatch(batch, sender=admin)
    if (
        int(token.balanceOf(escrow.address)) != 0
        or len(receipt.events.filter(escrow.TradeSettled)) != DVP_BATCH
    ):
        raise RuntimeError("the batch did not settle every trade")
    gas["dvp_settle_batch_50"] = int(receipt.gas_used)
    return gas


def _proxied(contract: str, admin: Any) -> Any:
    """A lifecycle contract behind a SuiteProxy, initialised with (admin, delay 0, admin)."""
    implementation = getattr(project, contract).deploy(sender=admin)
    init = implementation.initialize.encode_input(admin.address, 0, admin.address)
    proxy = project.SuiteProxy.deploy(implementation.address, init, sender=admin)
    return getattr(project, contract).at(proxy.address)


def measure_lifecycle(factory: Any, registry: Any, roles: tuple[str, ...]) -> dict[str, int]:
    """A coupon on a dated bond: its announcement (the instrument's first record date), transfers
    after the record date (the checkpoints they write), one claim and one batch of 100 payments.
    The admin is also the corporate-action agent; every holder holds before the record date."""
    acct = accounts.test_accounts
    admin, issuer, registrar = acct[0], acct[1], acct[2]
    alice, bob = acct[6], acct[7]
    now = int(chain.pending_timestamp)
    bond = (BOND_ISIN.encode(), b"DBFTFB", b"USD", 2, now - DAY, now + 3650 * DAY, LEI.encode())
    factory.createInstrument("Bench 2036 bond", "B36", (*bond, 10**18), roles, sender=admin)
    token = token_at(factory.tokenOf(BOND_ISIN.encode()))
    book = _proxied("RecordDates", admin)
    distributions = _proxied("Distributions", admin)
    token.setRecordDates(book.address, sender=admin)
    agent_role = token.CORPORATE_ACTION_ROLE()
    token.grantRole(agent_role, admin.address, sender=admin)
    token.grantRole(agent_role, distributions.address, sender=admin)
    with tempfile.TemporaryDirectory(prefix="bench-deployments-") as folder:
        cash = deploy_cash_token(
            admin,
            currency="USD",
            admin=admin.address,
            issuer=admin.address,
            record=DeploymentRecord(int(chain.chain_id), directory=folder),
        )

    # In ascending order of address (as numbers), as `pay` requires.
    holders = [to_checksum_address(f"0x{0xC000 + i:040x}") for i in range(BOND_HOLDERS)]
    registry.registerInvestors(
        holders,
        [investor_id_hash(f"bond-{i}") for i in range(BOND_HOLDERS)],
        [GERMANY] * BOND_HOLDERS,
        [1] * BOND_HOLDERS,
        [EXPIRY] * BOND_HOLDERS,
        sender=registrar,
    )
    for start in range(0, BOND_HOLDERS, 50):
        token.batchMint(holders[start : start + 50], [10_000] * 50, sender=issuer)
    token.batchMint([alice, bob], [100_000, 100_000], sender=issuer)

    gas: dict[str, int] = {}
    token.transfer(bob, 100, sender=alice)  # warm-up: both already hold
    gas["bond_transfer"] = int(token.transfer(bob, 100, sender=alice).gas_used)

    record_date = int(chain.pending_timestamp) + DAY
    terms = (
        token.address,
        cash.address,
        record_date,
        record_date + DAY,
        record_date + 30 * DAY,
        0,  # PerUnit
        COUPON,
    )
    receipt = distributions.announce(terms, "BENCH-COUPON-1", sender=admin)
    gas["corporate_action_announce"] = int(receipt.gas_used)
    distribution_id = int(distributions.distributionCount())

    chain.mine(timestamp=record_date + 1)
    gas["transfer_first_checkpoint"] = int(token.transfer(bob, 100, sender=alice).gas_used)
    gas["transfer_after_record_date"] = int(token.transfer(bob, 100, sender=alice).gas_used)

    required = int(distributions.required(distribution_id))
    cash.mint(admin, required, sender=admin)
    cash.approve(distributions.address, required, sender=admin)
    distributions.fund(distribution_id, sender=admin)
    chain.mine(timestamp=record_date + DAY)
    gas["distribution_claim"] = int(distributions.claim(distribution_id, sender=alice).gas_used)
    receipt = distributions.pay(distribution_id, holders, sender=admin)
    paid = len(receipt.events.filter(distributions.EntitlementPaid))
    if paid != BOND_HOLDERS:
        raise RuntimeError(f"the batch paid {paid} holders, not {BOND_HOLDERS}")
    gas["distribution_pay_batch_100"] = int(receipt.gas_used)
    return gas


def targets(gas: dict[str, int]) -> dict[str, tuple[int, str]]:
    """Operation -> (maximum gas, how the target reads) for the issue's targets."""
    result = {
        "register_investor": (100_000, "≤ 100,000"),
        "create_instrument": (500_000, "≤ 500,000"),
        "bridge_lock": (150_000, "≤ 150,000"),
        "bridge_mint": (200_000, "≤ 200,000"),
        "dvp_settle": (150_000, "≤ 150,000"),
    }
    if "erc20_transfer_baseline" in gas:
        limit = 2 * gas["erc20_transfer_baseline"]
        result["compliant_transfer"] = (limit, f"≤ 2× baseline ({limit:,})")
    return result


def verdict(name: str, gas: dict[str, int], goals: dict[str, tuple[int, str]]) -> str:
    """The ratio to the target (or to the baseline, for transfers without one) and met/missed."""
    used = gas[name]
    base = gas.get("erc20_transfer_baseline")
    if name in goals:
        limit, _ = goals[name]
        if name == "compliant_transfer" and base:
            ratio = f"{used / base:.2f}× baseline"
        else:
            ratio = f"{used / limit:.0%} of target"
        if used <= limit:
            return f"[green]{ratio} — met[/green]"
        return f"[red]{ratio} — missed by {used - limit:,}[/red]"
    if base and name != "erc20_transfer_baseline" and "transfer" in name:
        return f"{used / base:.2f}× baseline"
    return ""


def report(gas: dict[str, int]) -> Table:
    goals = targets(gas)
    table = Table(title="Gas used per transaction (Anvil, cancun, solc 0.8.28 via-IR, 200 runs)")
    table.add_column("operation")
    table.add_column("gas", justify="right")
    table.add_column("target")
    table.add_column("ratio / verdict")
    table.add_column("measured as", style="dim")
    for name in OPERATIONS:
        if name in gas:
            target = goals[name][1] if name in goals else "—"
            table.add_row(name, f"{gas[name]:,}", target, verdict(name, gas, goals), NOTES[name])
    return table


def write(gas: dict[str, int], path: Path = RESULTS) -> dict[str, int]:
    """Merge `gas` into the JSON file (keys other benchmarks wrote are kept) and return it all."""
    merged: dict[str, int] = {}
    if path.exists():
        existing = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(existing, dict):
            raise SystemExit(f"{path} is not a JSON object: fix or delete it")
        merged.update(existing)
    merged.update(gas)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(merged, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return merged


def main(run: Callable[[], dict[str, int]] = measure) -> int:
    console = Console()
    if not console.is_terminal:  # piped or captured: do not squeeze the table into 80 columns
        console = Console(width=150)
    with networks.parse_network_choice("ethereum:local:foundry") as provider:
        console.print(f"[dim]fresh Anvil at {provider.uri} (chain {chain.chain_id})[/dim]")
        gas = run()
    console.print(report(gas))
    write(gas)
    console.print(f"written: {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

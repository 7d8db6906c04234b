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
from eth_utils import to_checksum_address  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from securities_rails.deployments import DeploymentRecord  # noqa: E402
from securities_rails.identifiers import investor_id_hash  # noqa: E402
from securities_rails.suite import SuiteRoles, create_instrument, deploy_suite  # noqa: E402

ISIN = "US0378331005"
LEI = "5493001KJTIIGC8Y1R12"
GERMANY, FRANCE, USA = 276, 250, 840
DAY = 24 * 3600
# A fixed eligibility expiry (2100-01-01 UTC): calldata, hence gas, is the same on every run.
EXPIRY = 4_102_444_800

# ITransferRules.RuleType, in declaration order.
COUNTRY_ALLOW, COUNTRY_DENY, MAX_INVESTORS, HOLDING_CAP, LOCK_UP, MIN_TRANSFER = range(6)

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
    "burn",
    "batch_mint_10",
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
    "burn": "holder keeps a balance, all rules on",
    "batch_mint_10": "batchMint to 10 investors who already hold",
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

    # Every rule type on: the recipient's country allowed and not denied, limits not reached.
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
    if token.canTransfer(alice, bob, 10)[0] != b"\x51":
        raise RuntimeError("the transfer to be measured would be refused")

    record("compliant_transfer", token.transfer(bob, 10, sender=alice))
    record("mint", token.mint(alice, 10, sender=issuer))
    record("batch_mint_10", token.batchMint(batch, [10] * 10, sender=issuer))
    record("burn", token.burn(alice, 10, sender=issuer))
    record("forced_transfer", token.forcedTransfer(alice, bob, 10, "court order", sender=registrar))
    # Last: a freeze makes later transfers read the freeze records.
    record("freeze", token.freezePartialTokens(carol, 10, sender=enforcer))
    return gas


def targets(gas: dict[str, int]) -> dict[str, tuple[int, str]]:
    """Operation -> (maximum gas, how the target reads) for the issue's targets."""
    result = {
        "register_investor": (100_000, "≤ 100,000"),
        "create_instrument": (500_000, "≤ 500,000"),
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

"""`ape run upgrade` end to end against Anvil: refusals (with their diff, nothing sent), the
check-only mode for CI, applied upgrades, pins, and the timelock commands.

The module deploys a suite of its own (``unit/upgrades/world.py``: one governance account holds
admin and upgrader everywhere; two instruments, 55 holders); each test runs the commands on a
fresh copy of its deployment record.
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
import pytest
from unit.upgrades.cases import INCOMPATIBLE, UNSAFE
from unit.upgrades.world import ISIN_A, ISIN_B, World, build_world

from securities_rails.chain.proxies import implementation_of
from securities_rails.deployments import ENV_VAR, DeploymentRecord
from securities_rails.suite import load_record
from securities_rails.upgrades.build import build_all, inspect_all

GOV, OUTSIDER = 0, 9
FIXTURES = "tests/fixtures/upgrades"
REGISTRY_V2 = ("--source", f"{FIXTURES}/InvestorRegistryV2.sol", "--contract", "InvestorRegistryV2")
TOKEN_V2 = ("--source", f"{FIXTURES}/SecurityTokenV2.sol", "--contract", "SecurityTokenV2")
UNSAFE_FILES = {
    "RegistryConstructorWritesState": "ConstructorWritesState",
    "RegistrySelfdestruct": "Selfdestruct",
    "RegistryDelegatecall": "UnprotectedDelegatecall",
    "RegistryInitializersEnabled": "InitializersEnabled",
    "RegistryUnguardedUpgrade": "UnguardedUpgrade",
    "RegistryWrongSlot": "NamespaceSlotMismatch",
}
ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "cli.md").read_text()
SCRIPT = ROOT / "scripts" / "upgrade.py"


@pytest.fixture(scope="module", autouse=True)
def compiled() -> Iterator[Future[Any]]:
    """Compile what the module needs up front: the layouts of every fixture in one solc run, and
    the two V2 builds (viaIR, ~45 s when not cached) in the background, while the refusal tests
    run. Tests that deploy a V2 wait for it with ``v2_built``."""
    variants = [f"{FIXTURES}/incompatible/{v}.sol" for v in INCOMPATIBLE]
    pairs = [
        *((source, variant) for source, variant in zip(variants, INCOMPATIBLE, strict=True)),
        *((f"{FIXTURES}/unsafe/{f}.sol", c) for c, f in UNSAFE_FILES.items()),
        (REGISTRY_V2[1], REGISTRY_V2[3]),
        (TOKEN_V2[1], TOKEN_V2[3]),
    ]
    pairs = [pair for pair in pairs if pair[1] != "RegistryRedeclaredBadly"]  # refused alone
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="solc") as pool:
        builds = pool.submit(
            build_all, [(REGISTRY_V2[1], REGISTRY_V2[3]), (TOKEN_V2[1], TOKEN_V2[3])]
        )
        inspect_all(pairs)
        yield builds


@pytest.fixture
def v2_built(compiled: Future[Any]) -> None:
    compiled.result()


@pytest.fixture(scope="module")
def pristine(accounts: Any, chain: Any, tmp_path_factory: Any) -> World:
    directory = tmp_path_factory.mktemp("upgrade-cli")
    return build_world(accounts, chain, str(directory), load_record(str(directory)))


@pytest.fixture
def record_path(pristine: World, run: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh copy of the module's record, which the commands (run in-process) use."""
    shutil.copy(pristine.record.path, tmp_path / pristine.record.path.name)
    monkeypatch.setenv(ENV_VAR, str(tmp_path))
    return tmp_path / pristine.record.path.name


@pytest.fixture
def upgrade(run: Any, record_path: Path) -> Callable[..., Any]:
    def _upgrade(*args: str, account: int | None = GOV) -> Any:
        return run("upgrade", *args, account=account)

    return _upgrade


def record_of(path: Path) -> DeploymentRecord:
    return DeploymentRecord.load(int(path.stem), path.parent)


@contextmanager
def nothing_sent(chain: Any, record_path: Path) -> Iterator[None]:
    height, text = chain.blocks.height, record_path.read_text()
    yield
    assert chain.blocks.height == height, "a transaction was sent"
    assert record_path.read_text() == text, "the record changed"


def error_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.startswith("Error: ")]
    assert lines, output
    return lines[0]


def flat(output: str) -> str:
    """The output with rich's and click's line wrapping undone."""
    return re.sub(r"\s+", " ", output)


# ---------------------------------------------------------------------------- refusals


@pytest.mark.parametrize("variant", sorted(set(INCOMPATIBLE) - {"RegistryRedeclaredBadly"}))
def test_each_kind_of_incompatible_change_is_refused_with_its_diff(
    upgrade: Any, chain: Any, record_path: Path, variant: str
):
    replaced, expected = INCOMPATIBLE[variant]
    target = "registry" if replaced == "InvestorRegistry" else ISIN_A
    source = f"{FIXTURES}/incompatible/{variant}.sol"
    with nothing_sent(chain, record_path):
        result = upgrade(target, "--source", source, "--contract", variant, "--yes")
    assert result.exit_code == 1
    assert f"upgrade to {variant} refused: {len(expected)} storage change(s)" in error_line(
        result.output
    )
    for line in expected:
        assert f"  {line}" in result.output.splitlines(), line


def test_each_kind_of_change_is_covered():
    kinds = {
        match[1]
        for _, lines in INCOMPATIBLE.values()
        for line in lines
        if (match := re.search(r"\(([a-z-]+)\)(:|$)", line))
    }
    assert {"removed", "retyped", "moved", "inserted", "resized", "namespace-removed"} <= kinds


def test_a_namespace_declared_twice_badly_is_refused_in_one_line(
    upgrade: Any, chain: Any, record_path: Path
):
    source = f"{FIXTURES}/incompatible/RegistryRedeclaredBadly.sol"
    with nothing_sent(chain, record_path):
        result = upgrade("registry", "--source", source, "--contract", "RegistryRedeclaredBadly")
    assert result.exit_code == 1
    assert "source: RegistryRedeclaredBadly" in error_line(result.output)


@pytest.mark.parametrize("contract", sorted(UNSAFE_FILES))
def test_an_unsafe_implementation_is_refused_naming_the_issue(
    upgrade: Any, chain: Any, record_path: Path, contract: str
):
    source = f"{FIXTURES}/unsafe/{UNSAFE_FILES[contract]}.sol"
    with nothing_sent(chain, record_path):
        result = upgrade("registry", "--source", source, "--contract", contract, "--yes")
    assert result.exit_code == 1
    (kind,) = UNSAFE[contract]
    assert kind in error_line(result.output)
    assert f"({kind})" in result.output


def test_an_account_without_the_upgrader_role_is_refused_naming_the_role(
    v2_built: None, upgrade: Any, chain: Any, record_path: Path, accounts: Any
):
    with nothing_sent(chain, record_path):
        result = upgrade("registry", *REGISTRY_V2, "--yes", account=OUTSIDER)
    assert result.exit_code == 1
    assert f"{accounts[OUTSIDER].address} lacks UPGRADER_ROLE on InvestorRegistry" in error_line(
        result.output
    )


def test_unknown_targets_and_missing_options_are_refused_in_one_line(upgrade: Any):
    for args, message in (
        (("nonsense",), "target: unknown target 'nonsense'"),
        (("token",), "SecurityToken is shared by every instrument"),
        (("US0378331006",), "target: unknown target"),
        (("DE0005140008",), "isin: unknown instrument DE0005140008"),
        (("registry", "--call-data", "0xzz"), "call-data: '0xzz' is not 0x hex"),
        (("registry", "--contract", "InvestorRegistryV2"), "source: InvestorRegistryV2 is not"),
    ):
        result = upgrade(*args)
        assert result.exit_code == 1, args
        assert message in error_line(result.output), args


# ---------------------------------------------------------------------------- check only


def test_check_only_passes_a_compatible_upgrade_and_sends_nothing(
    v2_built: None, upgrade: Any, chain: Any, record_path: Path
):
    with nothing_sent(chain, record_path):
        result = upgrade("registry", *REGISTRY_V2, "--check-only")
    assert result.exit_code == 0, result.output
    assert "every check passed" in result.output
    assert "built with the project settings" in flat(result.output)


def test_check_only_fails_an_incompatible_upgrade_with_exit_status_1(
    upgrade: Any, chain: Any, record_path: Path
):
    source = f"{FIXTURES}/incompatible/RulesHoldingCapRetyped.sol"
    with nothing_sent(chain, record_path):
        result = upgrade(
            ISIN_A, "--source", source, "--contract", "RulesHoldingCapRetyped", "--check-only"
        )
    assert result.exit_code == 1
    assert "`limits.holdingCap` slot 1 offset 16 t_uint128 -> t_uint64 (retyped)" in result.output
    assert "1 check(s) failed" in error_line(result.output)


def test_check_only_without_target_checks_every_proxy_against_the_project_sources(
    upgrade: Any, chain: Any, record_path: Path, accounts: Any
):
    with nothing_sent(chain, record_path):
        result = upgrade("--check-only", "--skip-build")
        assert result.exit_code == 0, result.output
        assert flat(result.output).count("compatible with recorded layout") == 3
        without_account = upgrade("--check-only", "--skip-build", account=None)
        assert without_account.exit_code == 0
        assert "not checked: no account given" in flat(without_account.output)
        outsider = accounts[OUTSIDER].address
        as_outsider = upgrade("--check-only", "--skip-build", "--upgrader", outsider)
    assert as_outsider.exit_code == 1
    assert "3 check(s) failed" in error_line(as_outsider.output)
    assert f"{outsider} lacks DEFAULT_ADMIN_ROLE on SecurityTokenFactory" in flat(
        as_outsider.output
    )


def test_a_missing_baseline_is_refused_then_recorded_from_the_deployed_sources(
    upgrade: Any, record_path: Path, pristine: World
):
    record = record_of(record_path)
    current = implementation_of(pristine.suite.registry.address)
    del record.implementations[current]  # a record written before layouts were recorded
    record.save()
    refused = upgrade("registry", "--check-only", "--skip-build")
    assert refused.exit_code == 1
    assert f"implementation {current} has no layout" in flat(refused.output)
    source = "contracts/registry/InvestorRegistry.sol"
    recorded = upgrade(
        "baseline", "registry", "--source", source, "--contract", "InvestorRegistry", account=None
    )
    assert recorded.exit_code == 0, recorded.output
    assert record_of(record_path).implementations[current].contract == "InvestorRegistry"
    assert upgrade("registry", "--check-only", "--skip-build").exit_code == 0
    again = upgrade("baseline", "registry", *TOKEN_V2, account=None)
    assert again.exit_code == 1 and "give --force to replace it" in error_line(again.output)


# ---------------------------------------------------------------------------- applying


def test_a_compatible_upgrade_is_applied_and_recorded(
    v2_built: None, upgrade: Any, pristine: World, record_path: Path, chain: Any
):
    result = upgrade("registry", *REGISTRY_V2, "--yes")
    assert result.exit_code == 0, result.output
    record = record_of(record_path)
    entry = record.contracts["InvestorRegistry"]
    assert implementation_of(pristine.suite.registry.address) == entry.implementation
    assert (entry.version, entry.upgrades[-1].block) == ("2", chain.blocks.height)
    assert entry.layout_hash == record.implementations[entry.implementation].layout_hash
    assert f"recorded in {record_path}" in flat(result.output)


def test_without_yes_the_upgrade_is_listed_and_confirmed(
    v2_built: None, upgrade: Any, chain: Any, record_path: Path, run: Any
):
    result = run("upgrade", "token", "--all-instruments", *TOKEN_V2, account=GOV)
    assert result.exit_code == 1
    assert "Send 3 upgrade transaction(s)?" in result.output and "Aborted" in result.output
    assert f"instrument {ISIN_A}" in result.output and f"instrument {ISIN_B}" in result.output


def test_pinned_instruments_are_skipped_by_an_upgrade_of_all_instruments(
    v2_built: None, upgrade: Any, pristine: World, record_path: Path
):
    assert upgrade("--pin", ISIN_B).exit_code == 0
    assert record_of(record_path).instruments[ISIN_B].pinned
    before = implementation_of(pristine.tokens[ISIN_B].address)
    result = upgrade("token", "--all-instruments", *TOKEN_V2, "--yes")
    assert result.exit_code == 0, result.output
    assert f"instrument {ISIN_B}" in result.output and "pinned at version 1" in result.output
    record = record_of(record_path)
    assert record.instruments[ISIN_A].version == "2"
    assert record.instruments[ISIN_B].version == "1"
    assert implementation_of(pristine.tokens[ISIN_B].address) == before
    assert upgrade("--unpin", ISIN_B).exit_code == 0
    assert not record_of(record_path).instruments[ISIN_B].pinned


# ---------------------------------------------------------------------------- timelock


def test_timelock_schedule_pending_execute_and_cancel(
    v2_built: None, upgrade: Any, pristine: World, record_path: Path, chain: Any
):
    assert upgrade("timelock", "deploy", "--delay", "3600").exit_code == 0
    granted = upgrade("timelock", "grant", "registry", "--renounce")
    assert granted.exit_code == 0, granted.output
    direct = upgrade("registry", *REGISTRY_V2, "--yes")  # the account gave up its role
    assert direct.exit_code == 1 and "lacks UPGRADER_ROLE" in error_line(direct.output)

    scheduled = upgrade("timelock", "schedule", "registry", *REGISTRY_V2, "--yes")
    assert scheduled.exit_code == 0, scheduled.output
    (op_id,) = record_of(record_path).operations
    pending = upgrade("timelock", "pending", account=None)
    assert op_id[:10] in pending.output and "waiting" in pending.output
    early = upgrade("timelock", "execute", op_id[:12])
    assert early.exit_code == 1 and "is not ready until" in error_line(early.output)

    chain.mine(deltatime=3601)
    executed = upgrade("timelock", "execute", op_id[:12])
    assert executed.exit_code == 0, executed.output
    record = record_of(record_path)
    entry = record.contracts["InvestorRegistry"]
    assert (
        entry.version == "2" and entry.upgrades[-1].via == record.contracts["SuiteTimelock"].address
    )
    assert implementation_of(pristine.suite.registry.address) == entry.implementation
    assert record.operations[op_id].status == "executed"

    again = upgrade("timelock", "cancel", op_id[:12])
    assert again.exit_code == 1 and "was executed already" in error_line(again.output)


def test_a_scheduled_upgrade_can_be_cancelled(v2_built: None, upgrade: Any, record_path: Path):
    assert upgrade("timelock", "deploy", "--delay", "60").exit_code == 0
    assert upgrade("timelock", "grant", "registry").exit_code == 0
    assert upgrade("timelock", "schedule", "registry", *REGISTRY_V2, "--yes").exit_code == 0
    (op_id,) = record_of(record_path).operations
    cancelled = upgrade("timelock", "cancel", op_id)
    assert cancelled.exit_code == 0, cancelled.output
    assert record_of(record_path).operations[op_id].status == "cancelled"
    assert upgrade("timelock", "execute", op_id).exit_code == 1


# ---------------------------------------------------------------------------- reference


def test_every_upgrade_command_and_option_is_documented():
    def walk(group: click.Group, prefix: str) -> Iterator[tuple[str, click.Command]]:
        for name, command in group.commands.items():
            path = prefix if name == "apply" else f"{prefix} {name}"
            if isinstance(command, click.Group):
                yield from walk(command, path)
            else:
                yield path, command

    spec = importlib.util.spec_from_file_location("scripts_upgrade_doc", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for path, command in walk(module.cli, "ape run upgrade"):
        assert f"### `{path}" in DOC, path
        for param in command.params:
            if isinstance(param, click.Option) and param.name != "network":
                assert f"`{param.opts[0]}`" in DOC, f"{path} {param.opts[0]}"


def test_the_record_stays_json_with_sorted_keys(v2_built: None, upgrade: Any, record_path: Path):
    assert upgrade("registry", *REGISTRY_V2, "--yes").exit_code == 0
    text = record_path.read_text()
    assert text == json.dumps(json.loads(text), indent=2, sort_keys=True) + "\n"

"""Upgrade the suite's proxies: check everything first, then deploy once, upgrade, record.

``plan_upgrade(suite, target, ...)`` reads the chain and the deployment record and sends nothing:
it resolves the proxies to upgrade (the registry, the factory, one instrument, or every instrument
not pinned), inspects the new implementation (``build.inspect``) and runs every check:

* ``proxy``: each target is an ERC-1967 proxy on the connected chain;
* ``baseline``: the implementation each proxy points to now has a storage layout in the record
  (recorded at deployment, or with ``record_baseline``);
* ``layout``: the new layout keeps every variable of each baseline (``compare``);
* ``safety``: no constructor writing state, selfdestruct, unprotected delegatecall, initialisers
  left enabled, missing upgrade authorisation (``safety.check``);
* ``role``: whoever will send the upgrade (the account, or a timelock) holds ``UPGRADER_ROLE`` on
  each proxy, and ``DEFAULT_ADMIN_ROLE`` on the factory when its implementation for new instruments
  changes too.

``apply_upgrade(plan, account)`` refuses a plan with a failed check (a ``UserError`` whose first
line says what is wrong, followed by the diff), builds the implementation with the project's
settings, deploys it once per chain (journaled, like ``ape run deploy``; the same build is reused),
sends one ``upgradeToAndCall`` per proxy and records each upgrade as soon as it is mined: version,
implementation, layout hash, transaction, block. Proxies already on the new implementation are
skipped, so an upgrade of every instrument cut short finishes when run again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from securities_rails.chain.contracts import ADMIN_ROLE, has_code
from securities_rails.chain.journal import Deployed, Hook, deploy_once, no_hook
from securities_rails.chain.proxies import (
    UPGRADER_ROLE,
    ZERO_ADDRESS,
    container,
    implementation_of,
    instance,
    uups_at,
)
from securities_rails.chain.transact import send
from securities_rails.deployments import DeploymentRecord, ImplementationEntry, UpgradeEntry
from securities_rails.errors import UserError
from securities_rails.identifiers import parse_isin
from securities_rails.suite import Suite, record_implementation
from securities_rails.upgrades.build import (
    PROJECT_IMPLEMENTATIONS,
    Artifact,
    Candidate,
    build,
    inspect,
)
from securities_rails.upgrades.compare import compare, format_change
from securities_rails.upgrades.compiler import CompilerError
from securities_rails.upgrades.layout import LayoutError
from securities_rails.upgrades.model import Layout

Kind = Literal["registry", "factory", "token"]
Log = Callable[[str], None]
ALIASES: dict[str, Kind] = {
    "registry": "registry",
    "investorregistry": "registry",
    "factory": "factory",
    "securitytokenfactory": "factory",
    "token": "token",
    "securitytoken": "token",
    "instruments": "token",
}
PROXY_ENTRY: dict[Kind, str] = {"registry": "InvestorRegistry", "factory": "SecurityTokenFactory"}
CONTRACT_OF: dict[Kind, str] = {
    "registry": "InvestorRegistry",
    "factory": "SecurityTokenFactory",
    "token": "SecurityToken",
}
SHARED_TOKEN_ENTRY = "SecurityToken.implementation"  # the factory's implementation for new ones
FACTORY_SUBJECT = "factory-implementation"
TARGETS_HELP = "registry, factory, an instrument's ISIN, or token with --all-instruments"


def _quiet(_: str) -> None:
    return None


@dataclass(frozen=True)
class Target:
    """A proxy to upgrade, as found on the chain and in the record."""

    subject: str  # contract:<record name> or instrument:<ISIN>
    label: str
    address: str
    current: str  # the implementation in its ERC-1967 slot
    baseline: ImplementationEntry | None  # the record's entry for `current`
    pinned: bool = False


@dataclass(frozen=True)
class Check:
    """One check of a plan: ``summary`` is one line; ``details`` the diff or the list behind it."""

    name: str
    ok: bool
    summary: str
    details: tuple[str, ...] = ()


@dataclass
class UpgradePlan:
    """Everything an upgrade will do, and every check on it; nothing sent yet."""

    kind: Kind
    suite: Suite
    candidate: Candidate
    targets: list[Target]
    skipped: list[tuple[str, str]]  # (label, why): pinned instruments, ...
    set_factory: bool  # also point the factory's new instruments at the new implementation
    factory_current: str | None  # the factory's implementation for new instruments, now
    executor: str | None  # who sends the upgrade calls: the account, or a timelock
    version: str | None  # as given; else found once the implementation is deployed
    call_data: bytes = b""
    checks: list[Check] = field(default_factory=list)
    artifact: Artifact | None = None  # the build to deploy, once the checks before it pass

    @property
    def record(self) -> DeploymentRecord:
        return self.suite.record

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    @property
    def failed(self) -> list[Check]:
        return [check for check in self.checks if not check.ok]

    @property
    def title(self) -> str:
        return f"{_what(self)} -> {self.candidate.contract} ({self.candidate.source})"

    def refusal(self) -> UserError:
        """The failed checks: one line saying what is wrong, then the diff, one line each."""
        head = f"{_what(self)}: upgrade to {self.candidate.contract} refused: " + "; ".join(
            check.summary for check in self.failed
        )
        lines = [f"  {line}" for check in self.failed for line in check.details]
        return UserError(None, "\n".join([head, *lines]))


@dataclass(frozen=True)
class Upgraded:
    label: str
    tx_hash: str
    block: int


@dataclass
class UpgradeResult:
    """What ``apply_upgrade`` did."""

    contract: str
    implementation: str
    version: str | None
    layout_hash: str
    deployed: bool  # False: the same build was deployed before and is reused
    upgraded: list[Upgraded] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    factory: list[Upgraded] = field(default_factory=list)  # setImplementation, when sent

    @property
    def factory_tx(self) -> str | None:
        return self.factory[0].tx_hash if self.factory else None


# ---------------------------------------------------------------------------- planning


def parse_target(target: str | None, all_instruments: bool) -> tuple[Kind, str | None]:
    """(kind, ISIN or None) from the command line's target."""
    if target is None:
        if all_instruments:
            return "token", None
        raise UserError("target", f"give what to upgrade: {TARGETS_HELP}")
    kind = ALIASES.get(target.strip().lower())
    if kind == "token":
        if not all_instruments:
            raise UserError(
                "target",
                "SecurityToken is shared by every instrument: give an ISIN, or --all-instruments",
            )
        return kind, None
    if kind is not None:
        if all_instruments:
            raise UserError("all-instruments", f"applies to token, not to {target}")
        return kind, None
    try:
        isin = parse_isin(target)
    except UserError:
        raise UserError("target", f"unknown target {target!r}: {TARGETS_HELP}") from None
    if all_instruments:
        raise UserError("all-instruments", f"give an ISIN or --all-instruments, not both ({isin})")
    return "token", isin


def plan_upgrade(
    suite: Suite,
    target: str | None,
    *,
    all_instruments: bool = False,
    source: Path | str | None = None,
    contract: str | None = None,
    version: str | None = None,
    call_data: bytes = b"",
    factory: bool = True,
    executor: str | None = None,
    build_new: bool = True,
) -> UpgradePlan:
    """Resolve the proxies, inspect the new implementation and run every check (sends nothing).

    ``source``/``contract`` default to the project's own contract for the target (the working
    tree's ``contracts/``); ``executor`` is the address that will send the upgrade (None: the role
    check is skipped); ``factory`` (upgrades of every instrument): also change the factory's
    implementation for new instruments. When the layout and safety checks pass and ``build_new``,
    the implementation is built with the project's settings (cached; ~30 s the first time), and
    the proxies already on that very build are skipped.
    """
    kind, isin = parse_target(target, all_instruments)
    targets, skipped = resolve_targets(suite, kind, isin)
    contract = contract or CONTRACT_OF[kind]
    source = source or _default_source(contract)
    candidate = inspect_candidate(source, contract)
    record = suite.record
    set_factory = kind == "token" and isin is None and factory
    factory_current = str(suite.factory.implementation()) if set_factory else None
    plan = UpgradePlan(
        kind=kind,
        suite=suite,
        candidate=candidate,
        targets=targets,
        skipped=skipped,
        set_factory=set_factory,
        factory_current=factory_current,
        executor=executor,
        version=version,
        call_data=call_data,
    )
    plan.checks = [
        _check_proxies(targets),
        _check_baselines(plan),
        _check_layout(plan, record),
        _check_safety(candidate),
    ]
    if plan.ok and build_new:
        plan.checks.append(_build(plan))
    if plan.artifact is not None:
        _skip_done(plan)
    plan.checks.append(_check_roles(plan))
    if not plan.targets and not plan.set_factory:
        plan.checks.append(_nothing_to_do(plan))
    return plan


def plan_everything(
    suite: Suite, executor: str | None, *, factory: bool = True, build_new: bool = True
) -> list[UpgradePlan]:
    """Plans for the registry, the factory and every instrument, each to its project source."""
    every = {"executor": executor, "build_new": build_new}
    return [
        plan_upgrade(suite, "registry", **every),
        plan_upgrade(suite, "factory", **every),
        plan_upgrade(suite, None, all_instruments=True, factory=factory, **every),
    ]


def inspect_candidate(source: Path | str, contract: str) -> Candidate:
    """``build.inspect``, with its failures as UserErrors (solc's errors, layout conflicts)."""
    try:
        return inspect(source, contract)
    except CompilerError as error:
        lines = [f"  {line}" for e in error.errors[:3] for line in e.splitlines()[:4]]
        head = f"{source} does not compile: {str(error).splitlines()[0]}"
        raise UserError("source", "\n".join([head, *lines])) from None
    except LayoutError as error:
        raise UserError("source", f"{contract}: {error}") from None
    except KeyError as error:
        raise UserError("contract", f"{error.args[0]} (in {source})") from None


def _default_source(contract: str) -> str:
    source = PROJECT_IMPLEMENTATIONS.get(contract)
    if source is None:
        raise UserError(
            "source",
            f"{contract} is not a project contract: give the file that declares it with --source",
        )
    return source


def resolve_targets(
    suite: Suite, kind: Kind, isin: str | None
) -> tuple[list[Target], list[tuple[str, str]]]:
    """The proxies to upgrade (from the record, their implementation from the chain), and the
    instruments left out because they are pinned, each with why."""
    record = suite.record
    if kind in PROXY_ENTRY:
        name = PROXY_ENTRY[kind]
        entry = record.get_contract(name)
        return [_target(record, f"contract:{name}", name, entry.address)], []
    if isin is not None:
        entry = record.instrument(isin)
        return [_target(record, f"instrument:{isin}", f"instrument {isin}", entry.address)], []
    targets: list[Target] = []
    skipped: list[tuple[str, str]] = []
    for code in sorted(record.instruments):
        entry = record.instruments[code]
        if entry.pinned:
            skipped.append((f"instrument {code}", f"pinned at version {entry.version or '?'}"))
            continue
        targets.append(_target(record, f"instrument:{code}", f"instrument {code}", entry.address))
    return targets, skipped


def _target(record: DeploymentRecord, subject: str, label: str, address: str) -> Target:
    current = implementation_of(address) if has_code(address) else ZERO_ADDRESS
    baseline = record.implementation(current) if current != ZERO_ADDRESS else None
    kind, _, key = subject.partition(":")
    pinned = kind == "instrument" and record.instruments[key].pinned
    return Target(subject, label, address, current, baseline, pinned)


def recorded_layout(record: DeploymentRecord, layout_hash: str) -> Layout:
    """A layout kept in the record, checked against its hash."""
    data = record.layouts.get(layout_hash)
    if data is None:
        raise UserError("record", f"layout {layout_hash} is missing from {record.path}")
    try:
        layout = Layout.from_dict(data)
    except (KeyError, TypeError, ValueError) as exc:
        message = f"layout {layout_hash} in {record.path} is malformed: {exc}"
        raise UserError("record", message) from None
    if layout.layout_hash != layout_hash:
        raise UserError("record", f"layout {layout_hash} in {record.path} does not match its hash")
    return layout


def _check_proxies(targets: Sequence[Target]) -> Check:
    bad = [t for t in targets if t.current == ZERO_ADDRESS]
    if not bad:
        return Check("proxy", True, f"{len(targets)} proxy(ies) found")
    details = tuple(f"{t.label} at {t.address}: no code or no ERC-1967 implementation" for t in bad)
    return Check("proxy", False, f"{len(bad)} target(s) are not proxies on this chain", details)


def _baselines(plan: UpgradePlan) -> list[tuple[str, str, ImplementationEntry | None]]:
    """(label, implementation, record entry) of each implementation being replaced."""
    rows = [(t.label, t.current, t.baseline) for t in plan.targets if t.current != ZERO_ADDRESS]
    if plan.set_factory and plan.factory_current:
        current = plan.factory_current
        rows.append(("new instruments (factory)", current, plan.record.implementation(current)))
    return rows


def _check_baselines(plan: UpgradePlan) -> Check:
    missing = [(label, impl) for label, impl, entry in _baselines(plan) if entry is None]
    if not missing:
        return Check("baseline", True, "every current implementation has a recorded layout")
    details = tuple(
        f"{label}: implementation {impl} has no layout in {plan.record.path} (record one with "
        "`ape run upgrade baseline`)"
        for label, impl in missing
    )
    summary = f"no recorded layout for the implementation of {missing[0][0]}"
    if len(missing) > 1:
        summary += f" and {len(missing) - 1} more"
    return Check("baseline", False, summary, details)


def _check_layout(plan: UpgradePlan, record: DeploymentRecord) -> Check:
    groups: dict[str, list[str]] = {}
    for label, _, entry in _baselines(plan):
        if entry is not None:
            groups.setdefault(entry.layout_hash, []).append(label)
    new = plan.candidate.layout
    details: list[str] = []
    count = 0
    for layout_hash, labels in groups.items():
        old = recorded_layout(record, layout_hash)
        changes = compare(old, new)
        count += len(changes)
        prefix = f"[{old.contract} of {', '.join(labels)}] " if len(groups) > 1 else ""
        details += [prefix + format_change(change) for change in changes]
    if count:
        return Check("layout", False, f"{count} storage change(s)", tuple(details))
    checked = ", ".join(sorted({h[:10] for h in groups})) or "none"
    return Check("layout", True, f"compatible with recorded layout(s) {checked}")


def _check_safety(candidate: Candidate) -> Check:
    if not candidate.issues:
        return Check("safety", True, f"no issue in {candidate.contract}")
    kinds = ", ".join(dict.fromkeys(issue.kind for issue in candidate.issues))
    details = tuple(str(issue) for issue in candidate.issues)
    return Check("safety", False, f"{len(candidate.issues)} issue(s): {kinds}", details)


def _check_roles(plan: UpgradePlan) -> Check:
    who = plan.executor
    if who is None:
        return Check("role", True, "not checked: no account given")
    missing = [t.label for t in plan.targets if not _has_role(t.address, UPGRADER_ROLE, who)]
    details = [f"{who} lacks UPGRADER_ROLE on {label}" for label in missing]
    if plan.set_factory and not plan.suite.factory.hasRole(ADMIN_ROLE, who):
        details.append(
            f"{who} lacks DEFAULT_ADMIN_ROLE on SecurityTokenFactory (setImplementation for new "
            "instruments; or give --no-factory)"
        )
    if not details:
        held = "UPGRADER_ROLE on every target"
        if plan.set_factory:
            held += " and DEFAULT_ADMIN_ROLE on the factory"
        return Check("role", True, f"{who} holds {held}")
    if missing:
        summary = f"{who} lacks UPGRADER_ROLE on {missing[0]}"
        if len(missing) > 1:
            summary += f" and {len(missing) - 1} more"
    else:
        summary = f"{who} lacks DEFAULT_ADMIN_ROLE on SecurityTokenFactory"
    return Check("role", False, summary, tuple(details))


def _build(plan: UpgradePlan) -> Check:
    candidate = plan.candidate
    try:
        plan.artifact = build(candidate.source, candidate.contract)
    except CompilerError as error:
        summary = f"{candidate.contract} does not compile with the project settings (viaIR)"
        return Check("build", False, summary, tuple(error.errors[:3]) or (str(error),))
    return Check("build", True, f"built with the project settings ({plan.artifact.build_hash})")


def _skip_done(plan: UpgradePlan) -> None:
    """Leave out the proxies (and the factory) already on the plan's build."""
    assert plan.artifact is not None
    build_hash = plan.artifact.build_hash
    done = "already on this implementation"
    remaining = []
    for target in plan.targets:
        if target.baseline is not None and target.baseline.build_hash == build_hash:
            plan.skipped.append((target.label, done))
        else:
            remaining.append(target)
    plan.targets = remaining
    if plan.set_factory and plan.factory_current:
        entry = plan.record.implementation(plan.factory_current)
        if entry is not None and entry.build_hash == build_hash:
            plan.set_factory = False
            plan.skipped.append(("new instruments (factory)", done))


def _nothing_to_do(plan: UpgradePlan) -> Check:
    done = [label for label, why in plan.skipped if why.startswith("already")]
    if done:
        return Check("targets", True, f"nothing to do: {len(done)} already on this build")
    if plan.skipped:
        summary = f"nothing to upgrade: all {len(plan.skipped)} instrument(s) are pinned"
    else:
        summary = "nothing to upgrade: no instrument is recorded"
    return Check("targets", False, summary)


def _has_role(proxy: str, role: bytes, account: str) -> bool:
    return bool(uups_at(proxy).hasRole(role, account))


def _what(plan: UpgradePlan) -> str:
    if plan.kind == "token" and plan.set_factory:
        return "every instrument"
    return ", ".join(t.label for t in plan.targets) or "(nothing)"


# ---------------------------------------------------------------------------- applying


def apply_upgrade(
    plan: UpgradePlan, account: Any, *, log: Log = _quiet, hook: Hook = no_hook
) -> UpgradeResult:
    """Deploy the new implementation (once) and upgrade every target; refuse a failed plan."""
    if not plan.ok:
        raise plan.refusal()
    if plan.executor is None or plan.executor.lower() != account.address.lower():
        raise UserError("account", f"the plan was checked for {plan.executor}, not {account}")
    if not plan.targets and not plan.set_factory:
        return _nothing_done(plan)
    result = deploy_implementation(plan, account, log=log, hook=hook)
    for target in plan.targets:
        if implementation_of(target.address) == result.implementation:
            result.skipped.append((target.label, "already on this implementation"))
            continue
        proxy = uups_at(target.address)
        receipt = send(
            proxy.upgradeToAndCall,
            result.implementation,
            plan.call_data,
            sender=account,
            field=target.label,
        )
        upgrade = _upgrade_entry(result, receipt)
        plan.record.record_upgrade(target.subject, upgrade)
        plan.record.save()
        _verify(target, result.implementation)
        result.upgraded.append(Upgraded(target.label, upgrade.tx_hash, upgrade.block))
        log(f"{target.label}: upgraded to {result.implementation} (block {upgrade.block})")
    result.skipped = [*plan.skipped, *result.skipped]
    if plan.set_factory and (sent := point_factory(plan, account, result, log)) is not None:
        result.factory.append(sent)
    return result


def deploy_implementation(
    plan: UpgradePlan, account: Any, *, log: Log = _quiet, hook: Hook = no_hook
) -> UpgradeResult:
    """Build the plan's implementation and deploy it, unless this build is on the chain already.

    The deployment is journaled under the step ``<Contract>@<build hash>`` and recorded with its
    layout, as an implementation of the record.
    """
    candidate = plan.candidate
    artifact = plan.artifact or build(candidate.source, candidate.contract)
    layout = candidate.layout
    version = plan.version or _next_version(plan)
    record = plan.record
    existing = _existing(record, artifact)
    if existing is not None:
        entry = record.implementations[existing]
        log(f"{candidate.contract}: this build is deployed already at {existing}")
        return UpgradeResult(
            candidate.contract, existing, entry.version, entry.layout_hash, deployed=False
        )
    step = f"{candidate.contract}@{artifact.build_hash[2:14]}"

    def save(deployed: Deployed) -> None:
        record_implementation(
            record,
            step,
            deployed,
            contract=candidate.contract,
            layout=layout,
            version=version,
            source=candidate.source,
            build_hash=artifact.build_hash,
        )

    deployable = container(candidate.contract, artifact.abi, artifact.bytecode)
    deployed = deploy_once(record, step, deployable, account, save=save, log=log, hook=hook)
    address = deployed.address
    if plan.version is None and candidate.has_function("version"):
        declared = str(instance(address, candidate.contract, artifact.abi).version())
        if declared != version:
            version = declared
            entry = record.implementations[address]
            record.implementations[address] = replace(entry, version=version)
            record.contracts[step] = replace(record.contracts[step], version=version)
            record.save()
    log(f"{candidate.contract}: implementation at {address} (version {version or '?'})")
    return UpgradeResult(candidate.contract, address, version, layout.layout_hash, deployed=True)


def _nothing_done(plan: UpgradePlan) -> UpgradeResult:
    assert plan.artifact is not None
    address = _existing(plan.record, plan.artifact)
    assert address is not None  # a target is on this build, so it is recorded
    entry = plan.record.implementations[address]
    return UpgradeResult(
        plan.candidate.contract,
        address,
        entry.version,
        entry.layout_hash,
        deployed=False,
        skipped=list(plan.skipped),
    )


def point_factory(
    plan: UpgradePlan, account: Any, result: UpgradeResult, log: Log
) -> Upgraded | None:
    """Make the factory create new instruments on the new implementation (admin role)."""
    factory = plan.suite.factory
    if str(factory.implementation()) == result.implementation:
        return None
    new = result.implementation
    receipt = send(factory.setImplementation, new, sender=account, field="factory")
    record_factory_implementation(plan.record, result)
    plan.record.save()
    log(f"factory: new instruments use {result.implementation}")
    label = "new instruments (factory)"
    return Upgraded(label, _hex(receipt.txn_hash), int(receipt.block_number))


def record_factory_implementation(record: DeploymentRecord, result: UpgradeResult) -> None:
    """The record's shared token implementation follows the factory's."""
    entry = record.implementations[result.implementation]
    record.set_contract(
        SHARED_TOKEN_ENTRY,
        address=result.implementation,
        tx_hash=entry.tx_hash or "0x" + "00" * 32,
        block=entry.block or 0,
        version=result.version,
        layout_hash=result.layout_hash,
    )


def _upgrade_entry(result: UpgradeResult, receipt: Any, via: str | None = None) -> UpgradeEntry:
    return UpgradeEntry(
        implementation=result.implementation,
        tx_hash=_hex(receipt.txn_hash),
        block=int(receipt.block_number),
        version=result.version,
        layout_hash=result.layout_hash,
        via=via,
    )


def _verify(target: Target, implementation: str) -> None:
    now = implementation_of(target.address)
    if now != implementation:
        message = f"still points to {now} after the upgrade to {implementation}"
        raise UserError(target.label, message)


def _existing(record: DeploymentRecord, artifact: Artifact) -> str | None:
    for address, entry in record.implementations.items():
        if entry.build_hash == artifact.build_hash and has_code(address):
            return address
    return None


def _next_version(plan: UpgradePlan) -> str | None:
    numbers = []
    for _, _, entry in _baselines(plan):
        if entry is not None and entry.version is not None and entry.version.isdigit():
            numbers.append(int(entry.version))
    return str(max(numbers) + 1) if numbers else None


def _hex(value: Any) -> str:
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    text = str(value)
    return text if text.startswith("0x") else "0x" + text


# ---------------------------------------------------------------------------- record only


def set_pinned(record: DeploymentRecord, isin: str, pinned: bool) -> None:
    """Pin (or unpin) an instrument: upgrades of every instrument skip a pinned one."""
    record.set_pinned(isin, pinned)
    record.save()


def record_baseline(
    suite: Suite, target: str, source: Path | str, contract: str, *, force: bool = False
) -> tuple[str, str]:
    """Record the layout of ``contract`` in ``source`` as the layout of the implementation
    ``target`` points to now (for a proxy deployed before layouts were recorded).

    Returns (implementation address, layout hash). Refuses to replace a recorded layout unless
    ``force``.
    """
    kind, isin = parse_target(target, all_instruments=False)
    targets, _ = resolve_targets(suite, kind, isin)
    candidate = inspect_candidate(source, contract)
    layout = candidate.layout
    record = suite.record
    current = targets[0].current
    if current == ZERO_ADDRESS:
        raise UserError("target", f"{targets[0].label} is not a proxy on this chain")
    existing = record.implementation(current)
    if existing is not None and not force and existing.layout_hash != layout.layout_hash:
        raise UserError(
            "target",
            f"implementation {current} has layout {existing.layout_hash} recorded already "
            "(give --force to replace it)",
        )
    record.add_layout(layout.layout_hash, layout.to_dict())
    record.add_implementation(
        current,
        ImplementationEntry(
            contract=contract,
            layout_hash=layout.layout_hash,
            version=existing.version if existing else None,
            tx_hash=existing.tx_hash if existing else None,
            block=existing.block if existing else None,
            source=candidate.source,
            build_hash=existing.build_hash if existing else None,
        ),
    )
    record.save()
    return current, layout.layout_hash


# ---------------------------------------------------------------------------- one call each


def upgrade_instrument(
    suite: Suite,
    isin: str,
    account: Any,
    *,
    source: Path | str | None = None,
    contract: str | None = None,
    version: str | None = None,
    log: Log = _quiet,
) -> UpgradeResult:
    """Check and upgrade one instrument (e.g. to ``tests/fixtures/upgrades/SecurityTokenV2.sol``,
    contract ``SecurityTokenV2``); raises UserError with the diff when it is refused."""
    plan = plan_upgrade(
        suite, isin, source=source, contract=contract, version=version, executor=account.address
    )
    return apply_upgrade(plan, account, log=log)


def upgrade_all_instruments(
    suite: Suite,
    account: Any,
    *,
    source: Path | str | None = None,
    contract: str | None = None,
    version: str | None = None,
    factory: bool = True,
    log: Log = _quiet,
) -> UpgradeResult:
    """Check and upgrade every instrument not pinned, and the factory's implementation."""
    plan = plan_upgrade(
        suite,
        None,
        all_instruments=True,
        source=source,
        contract=contract,
        version=version,
        factory=factory,
        executor=account.address,
    )
    return apply_upgrade(plan, account, log=log)


def upgrade_contract(
    suite: Suite,
    name: str,
    account: Any,
    *,
    source: Path | str | None = None,
    contract: str | None = None,
    version: str | None = None,
    log: Log = _quiet,
) -> UpgradeResult:
    """Check and upgrade the registry or the factory (``name``: registry or factory)."""
    plan = plan_upgrade(
        suite, name, source=source, contract=contract, version=version, executor=account.address
    )
    return apply_upgrade(plan, account, log=log)

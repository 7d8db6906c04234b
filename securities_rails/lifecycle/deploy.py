"""Deploy the lifecycle contracts, record them next to the suite, and enable instruments.

Steps, each journaled like the suite's (``journal.deploy_once``: intent before sending, result as
soon as mined, adopted rather than repeated after a crash), in this order:

- ``RecordDates.implementation`` and ``RecordDates``: the record-date book of every instrument;
- ``Distributions.implementation`` and ``Distributions``: coupons and dividends;
- ``Redemption.implementation`` and ``Redemption``: redemption at maturity or pro rata;
- ``Splits.implementation`` and ``Splits``: splits and consolidations of shares.

Each is a UUPS proxy initialised with ``initialize(admin, 0, upgrader)``. None of them holds units
of a security (redemption burns them in the holder's wallet), so none is registered in the
investor registry.

An instrument takes part once its admin has *enabled* it (``enable_instrument``): the token points
to the record-date book (``setRecordDates``), and grants the distributions and redemption contracts
its ``CORPORATE_ACTION_ROLE`` (they schedule record dates; redemption marks the instrument
redeemed) and the redemption contract its ``ISSUER_ROLE`` (it burns the units it pays for). A share
(CFI category ``E``) also grants the splits contract its ``CORPORATE_ACTION_ROLE`` (it schedules
record dates) and ``ISSUER_ROLE`` (it mints a split's new units and burns a consolidation's
surplus); any other instrument does not, since the splits contract can mint: a bond is never split,
so it keeps that power to its own issuer. Each of these steps is skipped when already done, so
enabling twice sends nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ape import project
from ape.exceptions import ContractLogicError
from eth_utils import keccak, to_checksum_address

from securities_rails.chain.contracts import ADMIN_ROLE, ROLES, at, has_code
from securities_rails.chain.journal import Hook, no_hook
from securities_rails.chain.revert import explain_revert
from securities_rails.chain.transact import send
from securities_rails.deployments import DeploymentRecord
from securities_rails.errors import UserError
from securities_rails.suite import deployed_address, implementation_step, load_record, proxy_step
from securities_rails.upgrades.build import project_layouts
from securities_rails.upgrades.model import Layout

Log = Callable[[str], None]
Layouts = Callable[[], dict[str, Layout]]

RECORD_DATES_IMPLEMENTATION = "RecordDates.implementation"
RECORD_DATES = "RecordDates"
DISTRIBUTIONS_IMPLEMENTATION = "Distributions.implementation"
DISTRIBUTIONS = "Distributions"
REDEMPTION_IMPLEMENTATION = "Redemption.implementation"
REDEMPTION = "Redemption"
SPLITS_IMPLEMENTATION = "Splits.implementation"
SPLITS = "Splits"
STEPS = (
    RECORD_DATES_IMPLEMENTATION,
    RECORD_DATES,
    DISTRIBUTIONS_IMPLEMENTATION,
    DISTRIBUTIONS,
    REDEMPTION_IMPLEMENTATION,
    REDEMPTION,
    SPLITS_IMPLEMENTATION,
    SPLITS,
)
# (implementation step, proxy step, contract name), in deployment order.
CONTRACTS = (
    (RECORD_DATES_IMPLEMENTATION, RECORD_DATES, "RecordDates"),
    (DISTRIBUTIONS_IMPLEMENTATION, DISTRIBUTIONS, "Distributions"),
    (REDEMPTION_IMPLEMENTATION, REDEMPTION, "Redemption"),
    (SPLITS_IMPLEMENTATION, SPLITS, "Splits"),
)

# The instrument's corporate-action role (SecurityToken.CORPORATE_ACTION_ROLE).
CORPORATE_ACTION_ROLE = keccak(text="CORPORATE_ACTION_ROLE")
ISSUER_ROLE = ROLES["issuer"]
REGISTRAR_ROLE = ROLES["registrar"]
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
# Instruments the splits contract serves: shares (CFI category E). It mints, so nothing else
# grants it the issuer role.
SPLIT_CFI_CATEGORIES = ("E",)


@dataclass(frozen=True)
class Lifecycle:
    """The lifecycle contracts on the connected chain (each at its proxy, with its own ABI)."""

    record_dates: Any
    distributions: Any
    redemption: Any
    splits: Any
    record: DeploymentRecord


def _quiet(_: str) -> None:
    return None


def deploy_lifecycle(
    sender: Any,
    *,
    admin: str,
    upgrader: str,
    record: DeploymentRecord | None = None,
    log: Log = _quiet,
    hook: Hook = no_hook,
    layouts: Layouts = project_layouts,
) -> Lifecycle:
    """Deploy whatever of the record-date book, distributions, redemption and splits is missing,
    and record it; a re-run on a complete deployment sends nothing."""
    record = record or load_record()
    cached: dict[str, Layout] = {}

    def layouts_once() -> dict[str, Layout]:
        if not cached:
            cached.update(layouts())
        return cached

    proxies: dict[str, str] = {}
    for implementation, proxy, name in CONTRACTS:
        logic = implementation_step(record, implementation, name, sender, layouts_once, log, hook)
        init = getattr(project, name).at(logic).initialize.encode_input(admin, 0, upgrader)
        proxies[name] = proxy_step(record, proxy, logic, init, sender, log, hook)
    return Lifecycle(
        record_dates=at("RecordDates", proxies["RecordDates"]),
        distributions=at("Distributions", proxies["Distributions"]),
        redemption=at("Redemption", proxies["Redemption"]),
        splits=at("Splits", proxies["Splits"]),
        record=record,
    )


def load_lifecycle(record: DeploymentRecord | None = None) -> Lifecycle:
    """The lifecycle contracts recorded for the connected chain; a clear error when missing."""
    record = record or load_record()
    for step in STEPS:
        if deployed_address(record, step) is None:
            raise UserError(
                "deployment",
                f"{step} is not deployed on chain {record.chain_id}: run `ape run deploy` first",
            )
    return Lifecycle(
        record_dates=at("RecordDates", record.contracts[RECORD_DATES].address),
        distributions=at("Distributions", record.contracts[DISTRIBUTIONS].address),
        redemption=at("Redemption", record.contracts[REDEMPTION].address),
        splits=at("Splits", record.contracts[SPLITS].address),
        record=record,
    )


def is_deployed(record: DeploymentRecord) -> bool:
    """Whether every lifecycle step is recorded with code on the chain."""
    return all(
        (entry := record.contracts.get(step)) is not None and has_code(entry.address)
        for step in STEPS
    )


# ---------------------------------------------------------------- enabling an instrument


def _address(account: Any) -> str:
    return to_checksum_address(getattr(account, "address", account))


def _same(a: str, b: str) -> bool:
    return str(a).lower() == str(b).lower()


def _isin(token: Any) -> str:
    try:
        return str(token.isin())
    except ContractLogicError:  # pragma: no cover - every SecurityToken has one
        return token.address


@dataclass(frozen=True)
class Grant:
    """One role an enabled instrument grants: to whom, and why (for the log)."""

    role: bytes
    role_label: str
    account: str
    label: str


def splits_apply(token: Any) -> bool:
    """Whether the splits contract serves `token`: a share (its CFI starts with ``E``)."""
    return cfi_of(token).startswith(SPLIT_CFI_CATEGORIES)


def cfi_of(token: Any) -> str:
    """The instrument's CFI code (``ESVUFR``), empty when unreadable."""
    try:
        return bytes(token.instrument().cfi).rstrip(b"\x00").decode("ascii", "replace")
    except ContractLogicError:  # pragma: no cover - every SecurityToken has one
        return ""


def grants(lifecycle: Lifecycle, agent: str | None = None, *, shares: bool = False) -> list[Grant]:
    """The roles an instrument grants when enabled (`shares`: the splits contract's too; and to
    `agent`, when given)."""
    wanted = [
        Grant(CORPORATE_ACTION_ROLE, "CORPORATE_ACTION_ROLE", lifecycle.distributions.address,
              "distributions"),
        Grant(CORPORATE_ACTION_ROLE, "CORPORATE_ACTION_ROLE", lifecycle.redemption.address,
              "redemption"),
        Grant(ISSUER_ROLE, "ISSUER_ROLE", lifecycle.redemption.address, "redemption"),
    ]  # fmt: skip
    if shares:
        wanted += [
            Grant(CORPORATE_ACTION_ROLE, "CORPORATE_ACTION_ROLE", lifecycle.splits.address,
                  "splits"),
            Grant(ISSUER_ROLE, "ISSUER_ROLE", lifecycle.splits.address, "splits"),
        ]  # fmt: skip
    if agent is not None:
        wanted.append(
            Grant(CORPORATE_ACTION_ROLE, "CORPORATE_ACTION_ROLE", _address(agent), "agent")
        )
    return wanted


def check_enable(lifecycle: Lifecycle, token: Any, admin: str) -> None:
    """Everything `enable_instrument` would be refused for, checked on the chain: the signer holds
    the instrument's admin role, and the token has no other record-date book that is locked (one
    in which a record date has been scheduled)."""
    signer = _address(admin)
    if not token.hasRole(ADMIN_ROLE, signer):
        raise UserError(
            "account",
            f"{signer} lacks the instrument's admin role on {_isin(token)}: the instrument's "
            "admin enables it",
        )
    book = lifecycle.record_dates.address
    current = str(token.recordDates())
    if _same(current, book) or _same(current, ZERO_ADDRESS):
        return
    try:
        token.setRecordDates.call(book, sender=signer)
    except ContractLogicError as error:
        raise UserError(
            "instrument",
            f"{_isin(token)} already writes its record dates to another book {current}, fixed "
            f"since a record date was scheduled there ({explain_revert(error)}): it cannot be "
            f"moved to {book}",
        ) from None


def enable_instrument(
    lifecycle: Lifecycle,
    token: Any,
    admin_signer: Any,
    *,
    agent: str | None = None,
    log: Log = _quiet,
) -> list[str]:
    """Wire one instrument to the lifecycle contracts (see the module docstring), each step skipped
    when already done; `agent` also receives the instrument's corporate-action role; the splits
    contract is granted its roles only for a share. Returns the lines logged, one per step (done
    now, or already done)."""
    check_enable(lifecycle, token, admin_signer.address)
    lines: list[str] = []

    def say(line: str) -> None:
        lines.append(line)
        log(line)

    isin = _isin(token)
    book = lifecycle.record_dates.address
    if _same(str(token.recordDates()), book):
        say(f"{isin}: record dates already kept in {book}")
    else:
        send(token.setRecordDates, book, sender=admin_signer, field="instrument")
        say(f"{isin}: record dates now kept in {book}")
    shares = splits_apply(token)
    if shares:
        say(f"{isin}: a share (CFI {cfi_of(token)}): the splits contract is granted its roles")
    else:
        say(
            f"{isin}: not a share (CFI {cfi_of(token)}): the splits contract is not granted the "
            "issuer role (splits and consolidations are for shares only)"
        )
    for grant in grants(lifecycle, agent, shares=shares):
        who = f"{grant.label} {grant.account}"
        if token.hasRole(grant.role, grant.account):
            say(f"{isin}: {who} already holds {grant.role_label}")
            continue
        send(token.grantRole, grant.role, grant.account, sender=admin_signer, field="instrument")
        say(f"{isin}: granted {grant.role_label} to {who}")
    return lines


def is_enabled(lifecycle: Lifecycle, token: Any) -> bool:
    """Whether the instrument points to the record-date book and grants every role it needs (the
    splits contract's only for a share)."""
    if not _same(str(token.recordDates()), lifecycle.record_dates.address):
        return False
    wanted = grants(lifecycle, shares=splits_apply(token))
    return all(token.hasRole(grant.role, grant.account) for grant in wanted)

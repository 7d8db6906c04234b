"""The record of what ``ape run deploy`` deployed on a chain: ``deployments/<chain_id>.json``.

Besides the contracts and instruments, the record keeps what upgrades need: the storage layout of
every implementation a proxy of the suite may point to (``implementations``, ``layouts``, by
layout hash), each proxy's upgrade history, the instruments pinned to their version, the
timelock operations scheduled, and the deployment journal: an ``Intent`` per deployment sent but
not yet recorded (so that a deployment cut short is adopted, not repeated).

The directory is ``<project root>/deployments`` unless the ``SECURITIES_RAILS_DEPLOYMENTS``
environment variable names another. The record keeps the hash of the chain's genesis
block, so a record left over from an earlier local chain (a restarted Anvil reuses the
chain id) is recognised as stale. This module makes no chain calls: the chain layer passes
the chain id and genesis hash in.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field, fields, is_dataclass, replace
from pathlib import Path
from typing import Any, Literal

from securities_rails.errors import UserError
from securities_rails.identifiers import parse_address, parse_isin

ENV_VAR = "SECURITIES_RAILS_DEPLOYMENTS"
PROJECT_MARKER = "ape-config.yaml"
FORMAT = 1
FILE_MODE = 0o644  # mkstemp creates 0600; the record is not secret

Kind = Literal["proxy", "contract"]
KINDS: tuple[Kind, ...] = ("proxy", "contract")


@dataclass(frozen=True)
class UpgradeEntry:
    """One upgrade applied to a proxy: the implementation it moved to, and how."""

    implementation: str
    tx_hash: str
    block: int
    version: str | None = None
    layout_hash: str | None = None
    via: str | None = None  # the timelock that executed it; None when sent directly

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> UpgradeEntry:
        return cls(**data)


@dataclass(frozen=True)
class ContractEntry:
    """A deployed contract; for a proxy, ``implementation`` is the logic contract."""

    address: str
    tx_hash: str
    block: int
    kind: Kind = "contract"
    implementation: str | None = None
    version: str | None = None
    layout_hash: str | None = None  # an implementation's (or a proxy's current) storage layout
    upgrades: tuple[UpgradeEntry, ...] = ()

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ContractEntry:
        upgrades = tuple(UpgradeEntry.from_json(u) for u in data.get("upgrades", ()))
        return cls(**{**data, "upgrades": upgrades})


@dataclass(frozen=True)
class InstrumentEntry:
    """A security token created for one ISIN (a proxy to the shared token implementation)."""

    address: str
    tx_hash: str
    block: int
    name: str
    symbol: str
    implementation: str | None = None
    version: str | None = None
    layout_hash: str | None = None
    pinned: bool = False  # skipped by an upgrade of all instruments
    upgrades: tuple[UpgradeEntry, ...] = ()

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> InstrumentEntry:
        upgrades = tuple(UpgradeEntry.from_json(u) for u in data.get("upgrades", ()))
        return cls(**{**data, "upgrades": upgrades})


@dataclass(frozen=True)
class ImplementationEntry:
    """A logic contract that proxies of the suite may point to, with its storage layout."""

    contract: str  # the contract's name, e.g. InvestorRegistryV2
    layout_hash: str  # key into DeploymentRecord.layouts
    version: str | None = None
    tx_hash: str | None = None  # None for a baseline recorded for a contract deployed elsewhere
    block: int | None = None
    source: str | None = None  # source unit it was compiled from
    build_hash: str | None = None  # keccak256 of the creation code: the same build is reused

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ImplementationEntry:
        return cls(**data)


@dataclass(frozen=True)
class Intent:
    """A deployment signed and about to be sent: written before sending, removed once recorded.

    ``address`` is the CREATE address of ``deployer`` at ``nonce``; ``block`` the chain height
    when the intent was written.
    """

    step: str
    deployer: str
    nonce: int
    address: str
    tx_hash: str
    block: int

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Intent:
        return cls(**data)


OperationStatus = Literal["pending", "executed", "cancelled"]


@dataclass(frozen=True)
class TimelockCall:
    """One call of a timelock operation, and the record entry it updates once executed.

    ``subject`` is ``contract:<name>`` (a suite proxy), ``instrument:<ISIN>``, or
    ``factory-implementation`` (the factory's implementation for new instruments).
    """

    subject: str
    target: str
    data: str  # calldata, 0x hex
    expected: str | None = None  # the target's implementation when scheduled


@dataclass(frozen=True)
class TimelockOperation:
    """An upgrade scheduled on a timelock (``id`` as TimelockController hashes it)."""

    id: str
    timelock: str
    calls: tuple[TimelockCall, ...]
    implementation: str
    contract: str
    layout_hash: str
    predecessor: str
    salt: str
    ready_at: int  # unix time from which it can be executed
    tx_hash: str
    block: int
    version: str | None = None
    status: OperationStatus = "pending"
    closed_tx_hash: str | None = None  # execute or cancel

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TimelockOperation:
        calls = tuple(TimelockCall(**c) for c in data.get("calls", ()))
        return cls(**{**data, "calls": calls})


def default_directory() -> Path:
    """Return ``$SECURITIES_RAILS_DEPLOYMENTS``, else ``<project root>/deployments``."""
    override = os.environ.get(ENV_VAR, "").strip()
    if override:
        return Path(override)
    return project_root() / "deployments"


def project_root(start: Path | None = None) -> Path:
    """Return the nearest directory at or above ``start`` (default: cwd) with ape-config.yaml."""
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / PROJECT_MARKER).is_file():
            return candidate
    return here


def normalise_hash(value: str | bytes) -> str:
    """Return a 32-byte hash as lower-case ``0x`` hex, from hex text or raw bytes."""
    if isinstance(value, bytes):
        value = value.hex()
    text = value.strip().lower().removeprefix("0x")
    if len(text) != 64 or any(char not in "0123456789abcdef" for char in text):
        raise ValueError(f"expected a 32-byte hash, got {value!r}")
    return "0x" + text


@dataclass
class DeploymentRecord:
    """Contracts and instruments deployed on one chain, loaded from and saved to JSON."""

    chain_id: int
    genesis_hash: str | None = None
    contracts: dict[str, ContractEntry] = field(default_factory=dict)
    instruments: dict[str, InstrumentEntry] = field(default_factory=dict)
    directory: Path = field(default_factory=default_directory)
    implementations: dict[str, ImplementationEntry] = field(default_factory=dict)  # by address
    layouts: dict[str, dict[str, Any]] = field(default_factory=dict)  # layout hash -> layout JSON
    journal: dict[str, Intent] = field(default_factory=dict)  # step -> deployment in flight
    operations: dict[str, TimelockOperation] = field(default_factory=dict)  # id -> operation

    def __post_init__(self) -> None:
        if isinstance(self.chain_id, bool) or not isinstance(self.chain_id, int):
            raise ValueError(f"chain_id must be an int, got {self.chain_id!r}")
        if self.genesis_hash is not None:
            self.genesis_hash = normalise_hash(self.genesis_hash)
        self.directory = Path(self.directory)

    @property
    def path(self) -> Path:
        """The JSON file this record is stored in."""
        return self.directory / f"{self.chain_id}.json"

    @classmethod
    def load(
        cls, chain_id: int, directory: str | os.PathLike[str] | None = None
    ) -> DeploymentRecord:
        """Read the record for ``chain_id``; an empty record when the file does not exist."""
        folder = Path(directory) if directory is not None else default_directory()
        record = cls(chain_id, directory=folder)
        try:
            text = record.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return record
        return cls._from_json(chain_id, folder, _parse_json(text, record.path))

    @classmethod
    def _from_json(cls, chain_id: int, folder: Path, data: dict[str, Any]) -> DeploymentRecord:
        path = folder / f"{chain_id}.json"
        if data.get("chain_id") != chain_id:
            message = f"{path} is for chain {data.get('chain_id')!r}, not {chain_id}"
            raise UserError("file", f"{message}; delete it or fix its chain_id")
        try:
            return cls(
                chain_id,
                genesis_hash=data.get("genesis_hash"),
                contracts=_entries(data, "contracts", ContractEntry.from_json),
                instruments=_entries(data, "instruments", InstrumentEntry.from_json),
                directory=folder,
                implementations=_entries(data, "implementations", ImplementationEntry.from_json),
                layouts={str(h): dict(layout) for h, layout in data.get("layouts", {}).items()},
                journal=_entries(data, "journal", Intent.from_json),
                operations=_entries(data, "operations", TimelockOperation.from_json),
            )
        except (TypeError, ValueError, AttributeError, KeyError) as exc:
            raise UserError(
                "file", f"{path} is malformed ({exc}); delete it and redeploy"
            ) from None

    def save(self) -> Path:
        """Write the record atomically (temp file, fsync, rename); returns the file's path."""
        self.directory.mkdir(parents=True, exist_ok=True)
        text = json.dumps(self.to_json(), indent=2, sort_keys=True) + "\n"
        _atomic_write(self.path, text)
        return self.path

    def to_json(self) -> dict[str, Any]:
        """Return the record as JSON-ready data (optional fields left out when unset)."""
        data: dict[str, Any] = {
            "format": FORMAT,
            "chain_id": self.chain_id,
            "genesis_hash": self.genesis_hash,
            "contracts": {name: _compact(entry) for name, entry in self.contracts.items()},
            "instruments": {isin: _compact(entry) for isin, entry in self.instruments.items()},
        }
        optional = {
            "implementations": {a: _compact(e) for a, e in self.implementations.items()},
            "layouts": dict(self.layouts),
            "journal": {step: _compact(i) for step, i in self.journal.items()},
            "operations": {i: _compact(op) for i, op in self.operations.items()},
        }
        data.update({key: value for key, value in optional.items() if value})
        return data

    def is_stale(self, genesis_hash: str | bytes) -> bool:
        """Return whether this record was written for a different chain with the same id."""
        if self.genesis_hash is None:
            return False
        return self.genesis_hash != normalise_hash(genesis_hash)

    def reset(self, genesis_hash: str | bytes) -> None:
        """Forget every contract and instrument and start over for the chain with this genesis."""
        self.genesis_hash = normalise_hash(genesis_hash)
        for table in (
            self.contracts,
            self.instruments,
            self.implementations,
            self.layouts,
            self.journal,
            self.operations,
        ):
            table.clear()

    def get_contract(self, name: str) -> ContractEntry:
        """Return the named contract, or raise UserError telling the user to deploy."""
        entry = self.contracts.get(name)
        if entry is None:
            message = f"{name} is not deployed on chain {self.chain_id}: run `ape run deploy`"
            raise UserError("contract", message)
        return entry

    def set_contract(
        self,
        name: str,
        *,
        address: str,
        tx_hash: str | bytes,
        block: int,
        kind: Kind = "contract",
        implementation: str | None = None,
        version: str | None = None,
        layout_hash: str | None = None,
    ) -> ContractEntry:
        """Record (or replace) a deployed contract."""
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
        if kind == "proxy" and implementation is None:
            raise ValueError(f"{name} is a proxy: give its implementation address")
        entry = ContractEntry(
            address=parse_address(address, "address"),
            tx_hash=normalise_hash(tx_hash),
            block=_block(block),
            kind=kind,
            implementation=None
            if implementation is None
            else parse_address(implementation, "implementation"),
            version=version,
            layout_hash=layout_hash,
        )
        self.contracts[name] = entry
        return entry

    def record_upgrade(self, subject: str, upgrade: UpgradeEntry) -> None:
        """Point a proxy's entry (``contract:<name>`` or ``instrument:<ISIN>``) at its new
        implementation and append the upgrade to its history."""
        kind, _, key = subject.partition(":")
        table: dict[str, Any] = self.contracts if kind == "contract" else self.instruments
        if kind not in ("contract", "instrument") or key not in table:
            raise KeyError(f"no proxy {subject!r} in the record")
        entry = table[key]
        table[key] = replace(
            entry,
            implementation=parse_address(upgrade.implementation, "implementation"),
            version=upgrade.version,
            layout_hash=upgrade.layout_hash,
            upgrades=(*entry.upgrades, upgrade),
        )

    def set_pinned(self, isin: str, pinned: bool) -> InstrumentEntry:
        """Pin an instrument to its implementation (upgrades of all instruments skip it)."""
        key = parse_isin(isin)
        entry = replace(self.instrument(key), pinned=pinned)
        self.instruments[key] = entry
        return entry

    def add_implementation(self, address: str, entry: ImplementationEntry) -> None:
        """Record a logic contract; its layout must be in ``layouts`` already."""
        if entry.layout_hash not in self.layouts:
            raise ValueError(f"layout {entry.layout_hash} is not in the record")
        self.implementations[parse_address(address, "implementation")] = entry

    def implementation(self, address: str) -> ImplementationEntry | None:
        """The recorded logic contract at ``address``, if any."""
        return self.implementations.get(parse_address(address, "implementation"))

    def add_layout(self, layout_hash: str, layout: dict[str, Any]) -> None:
        """Keep a storage layout (``Layout.to_dict()``) under its hash."""
        self.layouts[layout_hash] = layout

    def add_instrument(
        self,
        isin: str,
        *,
        address: str,
        tx_hash: str | bytes,
        block: int,
        name: str,
        symbol: str,
        implementation: str | None = None,
        version: str | None = None,
        layout_hash: str | None = None,
    ) -> InstrumentEntry:
        """Record a newly created instrument; an ISIN can be recorded only once."""
        key = parse_isin(isin)
        entry = InstrumentEntry(
            address=parse_address(address, "address"),
            tx_hash=normalise_hash(tx_hash),
            block=_block(block),
            name=name,
            symbol=symbol,
            implementation=None
            if implementation is None
            else parse_address(implementation, "implementation"),
            version=version,
            layout_hash=layout_hash,
        )
        existing = self.instruments.get(key)
        if existing is not None and existing != entry:
            message = f"instrument {key} is already recorded at {existing.address}"
            raise UserError("isin", f"{message} on chain {self.chain_id}")
        self.instruments[key] = entry
        return entry

    def instrument(self, isin: str) -> InstrumentEntry:
        """Return the instrument for an ISIN, or raise UserError telling the user to create it."""
        key = parse_isin(isin)
        entry = self.instruments.get(key)
        if entry is None:
            raise UserError(
                "isin",
                f"unknown instrument {key}: create it with `ape run issuer create-instrument`",
            )
        return entry


def _entries(data: dict[str, Any], key: str, parse: Any) -> dict[str, Any]:
    return {str(name): parse(entry) for name, entry in data.get(key, {}).items()}


def _compact(entry: Any) -> dict[str, Any]:
    """The entry as JSON data, without the fields left at their empty default."""
    data: dict[str, Any] = {}
    for item in fields(entry):
        value = getattr(entry, item.name)
        if value is None or value is False or value == ():
            continue
        if isinstance(value, tuple):
            value = [_compact(v) if is_dataclass(v) else v for v in value]
        data[item.name] = value
    return data


def _block(block: int) -> int:
    if isinstance(block, bool) or not isinstance(block, int) or block < 0:
        raise ValueError(f"block must be a non-negative int, got {block!r}")
    return block


def _parse_json(text: str, path: Path) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        message = f"{path} is not valid JSON (line {exc.lineno}); delete it and redeploy"
        raise UserError("file", message) from None
    if not isinstance(data, dict):
        raise UserError("file", f"{path} does not hold a JSON object; delete it and redeploy")
    return data


def _atomic_write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so readers see the old file or the new one, never half."""
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, FILE_MODE)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    _fsync_directory(path.parent)


def _fsync_directory(directory: Path) -> None:
    """Persist the rename itself (POSIX); a no-op where directories cannot be opened."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

"""Where one instrument's bridge lives: the JSON file the bridge processes read.

```json
{"isin": "US0378331005",
 "home":   {"name": "home", "chain_id": 31337, "rpc": "http://127.0.0.1:8545",
            "endpoint": "0x…", "token": "0x…", "custody": "0x…", "deploy_block": 12},
 "remote": {"name": "remote", "chain_id": 31338, "rpc": "http://127.0.0.1:8546",
            "endpoint": "0x…", "token": "0x…", "custody": null, "deploy_block": 7}}
```

The home side (``BridgeLock``) has a custody contract; the remote side (``BridgeMint``) has
none. A book-entry register may be the home side instead of a chain: ``"kind": "register"``,
``rpc`` its database URL (``sqlite:///…`` or ``postgresql+psycopg://…``), ``chain_id`` and
``endpoint`` its pseudo chain id and bridge address (``securities_rails.ledger.endpoint``),
``token`` the same address, ``custody`` null (its digital-omnibus account plays the lock),
``deploy_block`` 0. A side without ``kind`` is a chain, as before. This module reads and writes
the format only; it makes no chain calls.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from securities_rails.errors import UserError
from securities_rails.identifiers import parse_address, parse_isin

SideName = Literal["home", "remote"]
SIDES: tuple[SideName, SideName] = ("home", "remote")
SIDE_FIELDS = ("name", "chain_id", "rpc", "endpoint", "token", "custody", "deploy_block", "kind")
CHAIN, REGISTER = "chain", "register"
REGISTER_URL_PREFIXES = ("sqlite://", "postgresql://", "postgresql+")
FILE_MODE = 0o644


@dataclass(frozen=True)
class BridgeSide:
    """One chain's end of the bridge."""

    name: SideName
    chain_id: int
    rpc: str
    endpoint: str
    token: str
    custody: str | None
    deploy_block: int
    kind: str = CHAIN  # "register": a book-entry register, ``rpc`` its database URL

    @property
    def is_register(self) -> bool:
        return self.kind == REGISTER

    @classmethod
    def from_json(cls, name: SideName, data: Any) -> BridgeSide:
        where = f"deployment.{name}"
        if not isinstance(data, dict):
            raise UserError(where, "expected an object")
        unknown = set(data) - set(SIDE_FIELDS)
        if unknown:
            raise UserError(where, f"unknown fields {', '.join(sorted(unknown))}")
        if data.get("name", name) != name:
            raise UserError(f"{where}.name", f"is {data.get('name')!r}, expected {name!r}")
        kind = data.get("kind", CHAIN)
        if kind not in (CHAIN, REGISTER):
            raise UserError(f"{where}.kind", f"{kind!r} is neither {CHAIN!r} nor {REGISTER!r}")
        custody = data.get("custody")
        rpc = data.get("rpc")
        if kind == REGISTER:
            if name != "home":
                raise UserError(f"{where}.kind", "a register can only be the home side")
            if custody is not None:
                raise UserError(f"{where}.custody", "a register has no custody contract (null)")
            if not isinstance(rpc, str) or not rpc.startswith(REGISTER_URL_PREFIXES):
                raise UserError(f"{where}.rpc", f"{rpc!r} is not a sqlite or postgresql URL")
        elif name == "home" and custody is None:
            raise UserError(f"{where}.custody", "the home side needs its custody contract")
        if name == "remote" and custody is not None:
            raise UserError(f"{where}.custody", "the remote side has no custody (null)")
        if kind == CHAIN and (
            not isinstance(rpc, str) or not rpc.startswith(("http://", "https://"))
        ):
            raise UserError(f"{where}.rpc", f"{rpc!r} is not an http(s) URL")
        return cls(
            name=name,
            chain_id=_natural(data.get("chain_id"), f"{where}.chain_id", minimum=1),
            rpc=rpc,
            endpoint=parse_address(str(data.get("endpoint", "")), f"{where}.endpoint"),
            token=parse_address(str(data.get("token", "")), f"{where}.token"),
            custody=None if custody is None else parse_address(str(custody), f"{where}.custody"),
            deploy_block=_natural(data.get("deploy_block"), f"{where}.deploy_block", minimum=0),
            kind=kind,
        )

    def to_json(self) -> dict[str, Any]:
        extra = {"kind": self.kind} if self.kind != CHAIN else {}
        return {
            "name": self.name,
            "chain_id": self.chain_id,
            "rpc": self.rpc,
            "endpoint": self.endpoint,
            "token": self.token,
            "custody": self.custody,
            "deploy_block": self.deploy_block,
            **extra,
        }


@dataclass(frozen=True)
class BridgeDeployment:
    """An instrument's bridge: its ISIN and both ends."""

    isin: str
    home: BridgeSide
    remote: BridgeSide

    def __post_init__(self) -> None:
        if self.home.chain_id == self.remote.chain_id:
            raise UserError(
                "deployment.remote.chain_id", f"both sides are on chain {self.home.chain_id}"
            )

    @property
    def sides(self) -> tuple[BridgeSide, BridgeSide]:
        return (self.home, self.remote)

    def side(self, name: str) -> BridgeSide:
        if name not in SIDES:
            raise UserError("side", f"{name!r} is neither home nor remote")
        return self.home if name == "home" else self.remote

    def other(self, side: BridgeSide) -> BridgeSide:
        """The opposite end of ``side``."""
        return self.remote if side.name == "home" else self.home

    def by_chain_id(self, chain_id: int) -> BridgeSide:
        for side in self.sides:
            if side.chain_id == chain_id:
                return side
        raise UserError("chain_id", f"chain {chain_id} is not a side of the {self.isin} bridge")

    @classmethod
    def from_json(cls, data: Any) -> BridgeDeployment:
        if not isinstance(data, dict):
            raise UserError("deployment", "expected a JSON object")
        unknown = set(data) - {"isin", *SIDES}
        if unknown:
            raise UserError("deployment", f"unknown fields {', '.join(sorted(unknown))}")
        return cls(
            isin=parse_isin(str(data.get("isin", "")), "deployment.isin"),
            home=BridgeSide.from_json("home", data.get("home")),
            remote=BridgeSide.from_json("remote", data.get("remote")),
        )

    def to_json(self) -> dict[str, Any]:
        return {"isin": self.isin, "home": self.home.to_json(), "remote": self.remote.to_json()}

    @classmethod
    def load(cls, path: str | Path) -> BridgeDeployment:
        file = Path(path)
        try:
            text = file.read_text()
        except OSError as error:
            raise UserError("deployment", f"cannot read {file}: {error.strerror}") from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise UserError("deployment", f"{file} is not JSON: {error}") from None
        return cls.from_json(data)

    def save(self, path: str | Path) -> None:
        """Write the file atomically (a reader sees the old or the new file, never half)."""
        file = Path(path)
        file.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(self.to_json(), indent=2) + "\n"
        handle, temporary = tempfile.mkstemp(dir=file.parent, prefix=f".{file.name}.")
        try:
            with os.fdopen(handle, "w") as out:
                out.write(text)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(temporary, FILE_MODE)
            os.replace(temporary, file)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


def _natural(value: Any, field: str, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise UserError(field, f"{value!r} is not an integer >= {minimum}")
    return value

"""Keep interfaces/abi/*.json in step with the Solidity interfaces in interfaces/.

`python -m securities_rails.interfaces write` compiles every interfaces/I*.sol with the project's
solc wrapper and writes one ABI per interface; `check` does the same in memory and exits non-zero
naming each stale or missing file, so that a test (and `make test`) fails when they drift.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from securities_rails.deployments import project_root

SOLC_VERSION = "0.8.28"


def _solc(root: Path) -> Path:
    folder = Path(os.environ.get("SOLCX_BINARY_PATH", root / ".solcx"))
    return folder / f"solc-v{SOLC_VERSION}"


def compile_abis(root: Path | None = None) -> dict[str, str]:
    """Interface name -> ABI JSON text (sorted, indented), compiled from interfaces/I*.sol."""
    root = root or project_root()
    sources = sorted((root / "interfaces").glob("I*.sol"))
    request = {
        "language": "Solidity",
        "sources": {f"interfaces/{p.name}": {"urls": [str(p)]} for p in sources},
        "settings": {
            "remappings": ["@openzeppelin/contracts/=node_modules/@openzeppelin/contracts/"],
            "outputSelection": {"*": {"*": ["abi"]}},
        },
    }
    result = subprocess.run(
        [str(_solc(root)), "--standard-json", "--base-path", str(root)],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        check=True,
        cwd=root,
    )
    output = json.loads(result.stdout)
    errors = [e["formattedMessage"] for e in output.get("errors", []) if e["severity"] == "error"]
    if errors:
        raise RuntimeError("interfaces do not compile:\n" + "\n".join(errors))
    abis: dict[str, str] = {}
    for path in sources:
        name = path.stem
        abi = output["contracts"][f"interfaces/{path.name}"][name]["abi"]
        abi = sorted(abi, key=lambda item: (item["type"], item.get("name", "")))
        abis[name] = json.dumps(abi, indent=2, sort_keys=True) + "\n"
    return abis


def stale(root: Path | None = None) -> list[str]:
    """The ABI files that are missing, differ from the interfaces, or have no interface."""
    root = root or project_root()
    folder = root / "interfaces" / "abi"
    expected = compile_abis(root)
    problems = []
    for name, text in expected.items():
        path = folder / f"{name}.json"
        if not path.exists():
            problems.append(f"{path.relative_to(root)} is missing")
        elif path.read_text() != text:
            problems.append(f"{path.relative_to(root)} is stale")
    for path in folder.glob("*.json"):
        if path.stem not in expected:
            problems.append(f"{path.relative_to(root)} has no interface")
    return problems


def write(root: Path | None = None) -> list[Path]:
    """Regenerate interfaces/abi/*.json; returns the files written."""
    root = root or project_root()
    folder = root / "interfaces" / "abi"
    folder.mkdir(parents=True, exist_ok=True)
    for path in folder.glob("*.json"):
        path.unlink()
    written = []
    for name, text in compile_abis(root).items():
        path = folder / f"{name}.json"
        path.write_text(text)
        written.append(path)
    return written


def main(argv: list[str]) -> int:
    """Entry point: `write` or `check`."""
    if argv[1:] == ["write"]:
        for path in write():
            print(f"wrote {path}")
        return 0
    if argv[1:] == ["check"]:
        problems = stale()
        for problem in problems:
            print(f"{problem}: run `make compile` and commit interfaces/abi", file=sys.stderr)
        return 1 if problems else 0
    print("usage: python -m securities_rails.interfaces write|check", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))

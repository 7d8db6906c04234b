#!/usr/bin/env python3
"""Slither gate: every High and Medium finding must be triaged, and every triage entry must
still match a finding.

Runs Slither over the project's contracts (through Foundry, compiling with the project's solc-js
wrapper) or reads a Slither ``--json`` report, keeps the High and Medium findings, and compares
them with the checked-in triage file (security/slither-triage.json by default). A finding and an
entry match on a key that survives reformatting: detector + contract + function + element name
(never line numbers, nor Slither's result ids, which hash the source text).

Exit status: 0 when every High/Medium finding is triaged and no entry is stale; 1 when a finding
is untriaged, an entry is stale, or an entry's impact no longer matches; 2 on a usage or tool
error. Python 3 standard library only.

    python3 tools/slither_gate.py                      # build, run slither, gate
    python3 tools/slither_gate.py --json report.json   # gate an existing slither --json report
    python3 tools/slither_gate.py --suggest            # also print triage entries to fill in
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
GATED = ("High", "Medium")
IMPACTS = ("High", "Medium", "Low", "Informational", "Optimization")
ENTRY_FIELDS = {"detector", "contract", "function", "element", "impact", "reason"}
REQUIRED_FIELDS = {"detector", "contract", "impact", "reason"}
MIN_REASON = 30  # characters: a reason must say why, with reference to the code
# Findings whose primary element lies here are not the suite's own: OpenZeppelin, the
# benchmark-only contracts, Solidity tests and their helpers, ape's copy of dependency sources.
# The gate filters on the primary element itself: slither's --filter-paths drops a finding when
# ANY of its elements matches, which would hide, say, our contract shadowing an OpenZeppelin
# variable.
EXCLUDED = ("node_modules/", "contracts/testing/", "tests/", "contracts/.cache/")
# Forge does not even compile those (the `test` shortcut alone misses helpers like
# tests/forge/utils/*.sol, which do not end in .t.sol).
FORGE_SKIP = ("test", "script", "tests/**", "contracts/testing/**", "contracts/.cache/**")

Json = dict[str, Any]


class GateError(Exception):
    """A usage or tool error (exit status 2), as opposed to a failed gate (exit status 1)."""


@dataclass(frozen=True, order=True)
class Key:
    """What a finding and a triage entry match on."""

    detector: str
    contract: str
    function: str = ""
    element: str = ""

    def __str__(self) -> str:
        where = ".".join(part for part in (self.contract, self.function, self.element) if part)
        return f"{self.detector} @ {where}"


@dataclass
class Finding:
    key: Key
    impact: str
    confidence: str
    location: str
    summary: str


@dataclass
class Entry:
    key: Key
    impact: str
    reason: str
    matches: list[Finding] = field(default_factory=list)


# ------------------------------------------------------------------ reading slither's report


def _parent(element: Json) -> Json:
    parent: Json = element.get("type_specific_fields", {}).get("parent", {})
    return parent


def _contract_of(element: Json) -> str:
    """Name of the contract (or library, interface) an element sits in; "" at file level."""
    node: Json = element
    while node:
        if node.get("type") == "contract":
            return str(node.get("name", ""))
        node = _parent(node)
    return ""


def key_of(result: Json) -> Key:
    """The stable key of a Slither result, from its first (primary) element.

    - function or modifier: contract + function name;
    - variable in a function (local, parameter): contract + function + variable name;
    - state variable, event, struct, enum, custom error: contract + element name;
    - node (a statement): contract + its function;
    - contract: the contract alone; anything at file level (pragma, ...): its name.
    """
    detector = str(result.get("check", "?"))
    elements: list[Json] = result.get("elements") or []
    if not elements:
        return Key(detector, "")
    first = elements[0]
    kind = first.get("type")
    name = str(first.get("name", ""))
    parent = _parent(first)
    contract = _contract_of(first)
    if kind == "contract":
        return Key(detector, name)
    if kind == "function":
        return Key(detector, contract, function=name)
    if kind == "node":
        return Key(detector, contract, function=str(parent.get("name", "")))
    if parent.get("type") == "function":
        return Key(detector, contract, function=str(parent.get("name", "")), element=name)
    return Key(detector, contract, element=name)


def _primary_file(result: Json) -> str:
    elements: list[Json] = result.get("elements") or []
    mapping: Json = (elements[0].get("source_mapping") or {}) if elements else {}
    return str(mapping.get("filename_relative", ""))


def _location(result: Json) -> str:
    elements: list[Json] = result.get("elements") or []
    if not elements:
        return "?"
    mapping: Json = elements[0].get("source_mapping") or {}
    lines: list[int] = mapping.get("lines") or []
    where = str(mapping.get("filename_relative", "?"))
    return f"{where}#{lines[0]}" if lines else where


def load_findings(report: Json, excluded: tuple[str, ...]) -> tuple[list[Finding], int]:
    """The findings in the suite's own code, and how many were left out as not its own."""
    if not report.get("success", False):
        raise GateError(f"slither reported failure: {report.get('error')}")
    results: list[Json] = (report.get("results") or {}).get("detectors") or []
    findings = []
    outside = 0
    for result in results:
        if _primary_file(result).startswith(excluded):
            outside += 1
            continue
        description = str(result.get("description", "")).strip()
        findings.append(
            Finding(
                key=key_of(result),
                impact=str(result.get("impact", "?")),
                confidence=str(result.get("confidence", "?")),
                location=_location(result),
                summary=description.splitlines()[0] if description else "",
            )
        )
    return findings, outside


# ------------------------------------------------------------------ the triage file


def load_triage(path: Path) -> list[Entry]:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise GateError(f"{path}: triage file not found (create it with `[]`)") from None
    except json.JSONDecodeError as exc:
        raise GateError(f"{path}: not valid JSON: {exc}") from None
    if not isinstance(raw, list):
        raise GateError(f"{path}: must be a JSON list of entries")
    entries: list[Entry] = []
    problems: list[str] = []
    seen: set[Key] = set()
    for i, item in enumerate(raw):
        label = f"{path.name}[{i}]"
        if not isinstance(item, dict):
            problems.append(f"{label}: not an object")
            continue
        unknown = set(item) - ENTRY_FIELDS
        missing = REQUIRED_FIELDS - set(item)
        if unknown:
            problems.append(f"{label}: unknown field(s) {sorted(unknown)}")
        if missing:
            problems.append(f"{label}: missing field(s) {sorted(missing)}")
        if unknown or missing:
            continue
        if not all(isinstance(item[f], str) for f in item):
            problems.append(f"{label}: every field must be a string")
            continue
        key = Key(
            item["detector"], item["contract"], item.get("function", ""), item.get("element", "")
        )
        if item["impact"] not in GATED:
            problems.append(f"{label}: impact must be one of {list(GATED)}, not {item['impact']!r}")
        if len(item["reason"].strip()) < MIN_REASON:
            problems.append(f"{label}: reason too short; say why, with reference to the code")
        if key in seen:
            problems.append(f"{label}: duplicate entry for {key}")
        seen.add(key)
        entries.append(Entry(key=key, impact=item["impact"], reason=item["reason"]))
    if problems:
        raise GateError("invalid triage file:\n  " + "\n  ".join(problems))
    return entries


# ------------------------------------------------------------------ running forge and slither


def _run(cmd: list[str], env: dict[str, str], label: str) -> float:
    print(f"$ {' '.join(cmd)}", file=sys.stderr)
    start = time.monotonic()
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    elapsed = time.monotonic() - start
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-4000:])
        raise GateError(f"{label} failed with exit status {proc.returncode}")
    return elapsed


def run_slither(args: argparse.Namespace) -> tuple[Json, str]:
    """Build with forge into args.build_dir and run slither there; return its report."""
    for tool in (args.slither, args.forge, args.solc):
        if not Path(tool).is_file():
            raise GateError(f"{tool} not found (run `make install` and the slither install step)")
    build = Path(args.build_dir).resolve()
    out, cache, report_path = build / "out", build / "cache", build / "slither.json"
    build.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    # crytic-compile calls `forge config --json`: put the project's forge first on PATH.
    env["PATH"] = f"{Path(args.forge).resolve().parent}{os.pathsep}{env.get('PATH', '')}"
    if not args.via_ir:
        # Slither reads only the AST, which via-IR and the optimiser do not change: ~3 s, not ~27 s.
        env["FOUNDRY_VIA_IR"] = "false"
        env["FOUNDRY_OPTIMIZER"] = "false"
    forge = [
        args.forge,
        "build",
        "--build-info",
        "--force",
        "--use",
        str(Path(args.solc).resolve()),
    ]
    for skip in FORGE_SKIP:
        forge += ["--skip", skip]
    forge += ["--out", str(out), "--cache-path", str(cache)]
    t_build = _run(forge, env, "forge build")
    report_path.unlink(missing_ok=True)  # slither refuses to overwrite its --json file
    slither = [
        args.slither,
        ".",
        "--foundry-ignore-compile",
        "--foundry-out-directory",
        str(out),
        "--show-ignored-findings",  # inline slither-disable comments must not bypass the triage
        "--fail-none",
        "--json",
        str(report_path),
    ]
    t_slither = _run(slither, env, "slither")
    timing = f"forge build {t_build:.1f} s, slither {t_slither:.1f} s; report {report_path}"
    return json.loads(report_path.read_text(encoding="utf-8")), timing


# ------------------------------------------------------------------ the gate


def suggestion(finding: Finding) -> Json:
    entry: Json = {"detector": finding.key.detector, "contract": finding.key.contract}
    if finding.key.function:
        entry["function"] = finding.key.function
    if finding.key.element:
        entry["element"] = finding.key.element
    entry["impact"] = finding.impact
    entry["reason"] = "TODO: why this is a false positive or accepted, referring to the code"
    return entry


def gate(
    findings: list[Finding],
    outside: int,
    entries: list[Entry],
    triage: str,
    suggest: bool,
    timing: str,
) -> int:
    counts = Counter(f.impact for f in findings)
    gated = [f for f in findings if f.impact in GATED]
    by_key: dict[Key, Entry] = {e.key: e for e in entries}
    untriaged: dict[Key, list[Finding]] = {}
    for finding in gated:
        entry = by_key.get(finding.key)
        if entry is None:
            untriaged.setdefault(finding.key, []).append(finding)
        else:
            entry.matches.append(finding)
    stale = [e for e in entries if not e.matches]
    shifted = [e for e in entries if e.matches and any(f.impact != e.impact for f in e.matches)]

    print(f"Slither gate: every High/Medium finding must be triaged in {triage}")
    if timing:
        print(f"  {timing}")
    print(
        "  findings: "
        + ", ".join(f"{i} {counts.get(i, 0)}" for i in IMPACTS)
        + f" (and {outside} in dependencies, tests and benchmark contracts, left out)"
    )
    low = Counter(f.key.detector for f in findings if f.impact not in GATED)
    if low:
        print("  not gated: " + ", ".join(f"{d} {n}" for d, n in sorted(low.items())))
    print(
        f"  gated: {len(gated)} finding(s) under {len({f.key for f in gated})} key(s); "
        f"{len(entries)} triage entr{'y' if len(entries) == 1 else 'ies'}"
    )
    for entry in sorted(entries, key=lambda e: e.key):
        if entry.matches and entry not in shifted:
            print(f"    ok        {entry.impact:<6} {entry.key}  (x{len(entry.matches)})")
    for key, group in sorted(untriaged.items()):
        first = group[0]
        where = f"{first.location}, confidence {first.confidence}"
        print(f"    UNTRIAGED {first.impact:<6} {key}  (x{len(group)}) {where}")
        print(f"              {first.summary[:150]}")
    for entry in stale:
        print(f"    STALE     {entry.impact:<6} {entry.key}  (no finding matches this entry)")
    for entry in shifted:
        now = sorted({f.impact for f in entry.matches})
        print(f"    IMPACT    {entry.impact:<6} {entry.key}  (slither now says {'/'.join(now)})")
    if suggest and untriaged:
        print("  triage entries to review and add:")
        text = json.dumps([suggestion(g[0]) for _, g in sorted(untriaged.items())], indent=2)
        print("\n".join("    " + line for line in text.splitlines()))
    failed = bool(untriaged or stale or shifted)
    print(
        f"FAIL: {len(untriaged)} untriaged, {len(stale)} stale, {len(shifted)} impact changed"
        if failed
        else "PASS: every High/Medium finding is triaged and every triage entry still matches"
    )
    return 1 if failed else 0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    forge_bin = ROOT / "node_modules/@foundry-rs/forge-linux-amd64/bin/forge"
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--json", metavar="REPORT", help="gate this slither --json report")
    parser.add_argument("--triage", default=str(ROOT / "security/slither-triage.json"))
    parser.add_argument("--slither", default=str(ROOT / ".venv-slither/bin/slither"))
    parser.add_argument("--forge", default=str(forge_bin))
    parser.add_argument("--solc", default=str(ROOT / ".solcx/solc-v0.8.28"), help="the wrapper")
    parser.add_argument("--build-dir", default=str(ROOT / ".slither"), help="forge out, report")
    parser.add_argument(
        "--exclude",
        action="append",
        default=list(EXCLUDED),
        metavar="PREFIX",
        help="leave out findings whose primary element is under this path (repeatable)",
    )
    parser.add_argument(
        "--via-ir", action="store_true", help="compile with the profile's via-IR and optimiser"
    )
    parser.add_argument("--suggest", action="store_true", help="print entries for untriaged keys")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        entries = load_triage(Path(args.triage))
        if args.json:
            report, timing = json.loads(Path(args.json).read_text(encoding="utf-8")), ""
        else:
            if shutil.which("node") is None:
                raise GateError("node not found: the solc wrapper needs it")
            report, timing = run_slither(args)
        findings, outside = load_findings(report, tuple(args.exclude))
    except (GateError, OSError, json.JSONDecodeError) as exc:
        print(f"slither gate: error: {exc}", file=sys.stderr)
        return 2
    path = Path(args.triage).resolve()
    triage = str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
    return gate(findings, outside, entries, triage, args.suggest, timing)


if __name__ == "__main__":
    sys.exit(main())

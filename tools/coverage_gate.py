#!/usr/bin/env python3
"""Contract coverage gate over an lcov report (as written by `forge coverage --report lcov`).

Totals lines (LF/LH) and branches (BRF/BRH) over the project's own contracts (files under
``contracts/``, not under ``contracts/testing/``, the benchmark fixture), prints a per-file table
and the totals, and exits 1 naming each shortfall when lines or branches fall below the
thresholds (95 % and 90 % by default).

Usage: python3 tools/coverage_gate.py [lcov.info] [--min-lines 95] [--min-branches 90]
                                      [--include contracts/] [--exclude contracts/testing/]

Plain Python 3 (standard library only).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path

MIN_LINES = 95.0
MIN_BRANCHES = 90.0
INCLUDE = ("contracts/",)
EXCLUDE = ("contracts/testing/", "contracts/.cache/")


@dataclass
class FileCoverage:
    """Line and branch counts of one source file (summed when lcov repeats the file)."""

    path: str
    lines_found: int = 0
    lines_hit: int = 0
    branches_found: int = 0
    branches_hit: int = 0


@dataclass
class _Record:
    """One lcov record (SF ... end_of_record): summary lines, and the raw entries as a fallback."""

    path: str
    summary: dict[str, int] = field(default_factory=dict)
    da_found: int = 0
    da_hit: int = 0
    brda_found: int = 0
    brda_hit: int = 0

    def to_coverage(self) -> FileCoverage:
        """Counts from LF/LH/BRF/BRH when present, else counted from DA/BRDA entries."""
        return FileCoverage(
            path=self.path,
            lines_found=self.summary.get("LF", self.da_found),
            lines_hit=self.summary.get("LH", self.da_hit),
            branches_found=self.summary.get("BRF", self.brda_found),
            branches_hit=self.summary.get("BRH", self.brda_hit),
        )


def _relative(path: str, root: Path) -> str:
    """The source path relative to the project root, with forward slashes."""
    p = Path(path)
    if p.is_absolute():
        try:
            p = p.resolve().relative_to(root.resolve())
        except ValueError:
            return p.as_posix()
    text = p.as_posix()
    return text[2:] if text.startswith("./") else text


def parse_lcov(text: str, root: Path) -> list[FileCoverage]:
    """Parse an lcov tracefile into per-file coverage (files in first-seen order)."""
    merged: dict[str, FileCoverage] = {}
    record: _Record | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("SF:"):
            record = _Record(path=_relative(line[3:], root))
        elif record is None:
            continue
        elif line == "end_of_record":
            cov = record.to_coverage()
            total = merged.setdefault(cov.path, FileCoverage(path=cov.path))
            total.lines_found += cov.lines_found
            total.lines_hit += cov.lines_hit
            total.branches_found += cov.branches_found
            total.branches_hit += cov.branches_hit
            record = None
        elif line.startswith(("LF:", "LH:", "BRF:", "BRH:")):
            key, _, value = line.partition(":")
            record.summary[key] = int(value)
        elif line.startswith("DA:"):
            count = line[3:].split(",")[1]
            record.da_found += 1
            record.da_hit += 1 if int(count) > 0 else 0
        elif line.startswith("BRDA:"):
            taken = line[5:].split(",")[3]
            record.brda_found += 1
            record.brda_hit += 0 if taken in ("-", "0") else 1
    return list(merged.values())


def select(
    files: list[FileCoverage], include: tuple[str, ...], exclude: tuple[str, ...]
) -> list[FileCoverage]:
    """Files whose path starts with an include prefix and with no exclude prefix."""
    return [f for f in files if f.path.startswith(include) and not f.path.startswith(exclude)]


def percent(hit: int, found: int) -> float:
    """Hit over found in percent; 100 when there is nothing to hit."""
    return 100.0 * hit / found if found else 100.0


def render(files: list[FileCoverage]) -> str:
    """A small table: one row per file, then the totals."""
    width = max([len("Total"), *(len(f.path) for f in files)])
    header = f"{'File':<{width}}  {'Lines':>16}  {'Branches':>16}"
    rows = [header, "-" * len(header)]

    def row(name: str, lf: int, lh: int, bf: int, bh: int) -> str:
        lines = f"{percent(lh, lf):6.2f}% ({lh}/{lf})"
        branches = f"{percent(bh, bf):6.2f}% ({bh}/{bf})"
        return f"{name:<{width}}  {lines:>16}  {branches:>16}"

    for f in sorted(files, key=lambda f: f.path):
        rows.append(row(f.path, f.lines_found, f.lines_hit, f.branches_found, f.branches_hit))
    rows.append("-" * len(header))
    lf, lh, bf, bh = totals(files)
    rows.append(row("Total", lf, lh, bf, bh))
    return "\n".join(rows)


def totals(files: list[FileCoverage]) -> tuple[int, int, int, int]:
    """Lines found, lines hit, branches found, branches hit over `files`."""
    return (
        sum(f.lines_found for f in files),
        sum(f.lines_hit for f in files),
        sum(f.branches_found for f in files),
        sum(f.branches_hit for f in files),
    )


def shortfalls(files: list[FileCoverage], min_lines: float, min_branches: float) -> list[str]:
    """One message per threshold the totals miss."""
    lf, lh, bf, bh = totals(files)
    problems: list[str] = []
    if percent(lh, lf) < min_lines:
        problems.append(f"lines {percent(lh, lf):.2f}% ({lh}/{lf}) < {min_lines:g}%")
    if percent(bh, bf) < min_branches:
        problems.append(f"branches {percent(bh, bf):.2f}% ({bh}/{bf}) < {min_branches:g}%")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Contract coverage gate over an lcov report.")
    parser.add_argument("lcov", nargs="?", default="lcov.info", type=Path, help="lcov tracefile")
    parser.add_argument(
        "--min-lines", type=float, default=MIN_LINES, help="line threshold, percent"
    )
    parser.add_argument(
        "--min-branches", type=float, default=MIN_BRANCHES, help="branch threshold, percent"
    )
    parser.add_argument(
        "--include", action="append", help=f"path prefix to count (default: {', '.join(INCLUDE)})"
    )
    parser.add_argument(
        "--exclude", action="append", help=f"path prefix to skip (default: {', '.join(EXCLUDE)})"
    )
    parser.add_argument(
        "--root",
        type=Path,
        default=Path.cwd(),
        help="project root, for absolute paths in the report",
    )
    args = parser.parse_args(argv)

    try:
        text = args.lcov.read_text(encoding="utf-8")
    except OSError as exc:
        print(f"coverage gate: cannot read {args.lcov}: {exc}", file=sys.stderr)
        return 2
    include = tuple(args.include or INCLUDE)
    exclude = tuple(args.exclude or EXCLUDE)
    files = select(parse_lcov(text, args.root), include, exclude)
    if not files:
        print(
            f"coverage gate: no file under {', '.join(include)} in {args.lcov}",
            file=sys.stderr,
        )
        return 1

    print(render(files))
    problems = shortfalls(files, args.min_lines, args.min_branches)
    if problems:
        for problem in problems:
            print(f"coverage gate: FAIL: {problem}", file=sys.stderr)
        return 1
    print(f"coverage gate: OK (lines >= {args.min_lines:g}%, branches >= {args.min_branches:g}%)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

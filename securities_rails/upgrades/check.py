"""The upgrade gate: a new implementation passes only with no storage change and no issue.

``check_upgrade(old_layout, compilation, "SecurityTokenV2")`` compares the storage layout of the
new implementation with the layout of the one behind the proxy (``compare``) and runs the AST
checks on the new one (``safety``); ``require_safe_upgrade`` raises ``UpgradeRefused`` with the
whole diff instead of returning a failed report. The old layout is a ``Layout``: computed from
the old sources (``layouts_of``) or loaded from a stored JSON (``Layout.from_json``).
"""

from __future__ import annotations

from dataclasses import dataclass

from securities_rails.upgrades.compare import Change, compare
from securities_rails.upgrades.compiler import Compilation
from securities_rails.upgrades.layout import layout
from securities_rails.upgrades.model import Layout
from securities_rails.upgrades.safety import Issue, check


@dataclass(frozen=True)
class UpgradeReport:
    """The verdict on one new implementation."""

    contract: str
    old_layout: Layout
    new_layout: Layout
    changes: tuple[Change, ...]
    issues: tuple[Issue, ...]

    @property
    def ok(self) -> bool:
        return not self.changes and not self.issues

    def __str__(self) -> str:
        head = f"{self.old_layout.contract} -> {self.contract}"
        if self.ok:
            return f"{head}: safe (layout {self.new_layout.layout_hash})"
        lines = [
            f"{head}: refused, {len(self.changes)} storage change(s), {len(self.issues)} issue(s)"
        ]
        lines += [f"  {change}" for change in self.changes]
        lines += [f"  {issue}" for issue in self.issues]
        return "\n".join(lines)


class UpgradeRefused(Exception):  # noqa: N818 (a verdict, not an error of the tool)
    """The new implementation would lose or misread data, or break the proxy."""

    def __init__(self, report: UpgradeReport) -> None:
        super().__init__(str(report))
        self.report = report


def check_upgrade(
    old_layout: Layout,
    compilation: Compilation,
    contract: str,
    *,
    new_layout: Layout | None = None,
) -> UpgradeReport:
    """Compare ``contract`` of ``compilation`` with ``old_layout`` and run the safety checks."""
    new_layout = new_layout or layout(compilation, contract)
    return UpgradeReport(
        contract=new_layout.contract,
        old_layout=old_layout,
        new_layout=new_layout,
        changes=tuple(compare(old_layout, new_layout)),
        issues=tuple(check(compilation, contract)),
    )


def require_safe_upgrade(
    old_layout: Layout,
    compilation: Compilation,
    contract: str,
    *,
    new_layout: Layout | None = None,
) -> UpgradeReport:
    """``check_upgrade``, raising ``UpgradeRefused`` unless the report is clean."""
    report = check_upgrade(old_layout, compilation, contract, new_layout=new_layout)
    if not report.ok:
        raise UpgradeRefused(report)
    return report

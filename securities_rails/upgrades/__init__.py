"""Refuse an unsafe new implementation before an upgrade reaches a chain.

* ``compiler``: compile sources with the project's solc wrapper (standard JSON);
* ``layout`` / ``model``: the full storage layout (plain variables + ERC-7201 namespaces);
* ``compare``: the unsafe changes between two layouts, with a one-line diff per change;
* ``safety``: AST checks on the new implementation (constructor, selfdestruct, delegatecall,
  initialisers, upgrade authorisation, namespace accessors);
* ``check``: both together, as a report or an exception;
* ``build``: the above and deployment builds, cached on disk (no chain access).

Two modules reach the chain (through ``securities_rails.chain``) and are not imported here:
``apply`` (plan, check and apply an upgrade, record it; pins; baselines) and ``timelock``
(schedule, execute and cancel upgrades through a TimelockController).
"""

from securities_rails.upgrades.check import (
    UpgradeRefused,
    UpgradeReport,
    check_upgrade,
    require_safe_upgrade,
)
from securities_rails.upgrades.compare import Change, compare, format_change, format_changes
from securities_rails.upgrades.compiler import (
    Compilation,
    CompilerError,
    compile_for_deployment,
    compile_for_layout,
)
from securities_rails.upgrades.layout import LayoutError, layout, layout_of, layouts, layouts_of
from securities_rails.upgrades.model import Layout, Member, Namespace, TypeInfo, erc7201_slot
from securities_rails.upgrades.safety import Issue, check, format_issues

__all__ = [
    "Change",
    "Compilation",
    "CompilerError",
    "Issue",
    "Layout",
    "LayoutError",
    "Member",
    "Namespace",
    "TypeInfo",
    "UpgradeRefused",
    "UpgradeReport",
    "check",
    "check_upgrade",
    "compare",
    "compile_for_deployment",
    "compile_for_layout",
    "erc7201_slot",
    "format_change",
    "format_changes",
    "format_issues",
    "layout",
    "layout_of",
    "layouts",
    "layouts_of",
    "require_safe_upgrade",
]

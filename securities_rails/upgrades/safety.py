"""AST checks on a new UUPS implementation: what would break the proxy, whatever its layout.

``check(compilation, contract)`` returns an ``Issue`` per finding, of these kinds:

* ``constructor-writes-state``: a constructor (of the contract or any base) assigns a state
  variable or writes through a storage pointer, pushes/pops a storage array, runs ``sstore``,
  calls a function that may write state (anything but ``_disableInitializers()`` and view/pure
  functions), makes an external call, or carries a modifier; or a state variable has an initial
  value (it runs in the constructor). The constructor runs on the implementation, never on the
  proxy: such state is missing behind the proxy. Immutables and constants are allowed.
* ``selfdestruct``: ``selfdestruct`` anywhere in the contract, its bases or the library code
  they call.
* ``unprotected-delegatecall``: ``delegatecall``/``callcode`` (Solidity or assembly) outside
  OpenZeppelin's Address, LowLevelCall, ERC1967Utils and UUPSUpgradeable; in project code, a call
  to an OpenZeppelin helper that delegatecalls (``Address.functionDelegateCall``,
  ``ERC1967Utils.upgradeToAndCall``, ...) or to a public/external library function (a linked
  library is reached by DELEGATECALL).
* ``initializers-enabled``: no constructor of the linearisation calls ``_disableInitializers()``:
  anyone could initialise the implementation itself.
* ``not-uups``: no ``upgradeToAndCall``: the proxy could never be upgraded again.
* ``unguarded-upgrade``: ``_authorizeUpgrade`` is missing, or has neither an access-control
  modifier (``only*``, or one whose body checks) nor a check in its body (``_checkRole``,
  ``_checkOwner``, ``hasRole``, a comparison with ``msg.sender``/``_msgSender()``, a call to a
  guarded function such as ``super._authorizeUpgrade``, or an unconditional revert).
* ``namespace-slot-mismatch``: an accessor ``function _s() ... returns (S storage $) { assembly
  { $.slot := C } }`` for a namespaced struct ``S`` uses a constant ``C`` that is not the ERC-7201
  root of the namespace its annotation names (the layout check trusts the annotation).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from securities_rails.upgrades.compiler import Compilation, Json, compile_for_layout, walk
from securities_rails.upgrades.layout import STORAGE_LOCATION
from securities_rails.upgrades.model import erc7201_slot

IssueKind = Literal[
    "constructor-writes-state",
    "selfdestruct",
    "unprotected-delegatecall",
    "initializers-enabled",
    "not-uups",
    "unguarded-upgrade",
    "namespace-slot-mismatch",
]
ISSUE_KINDS: tuple[IssueKind, ...] = (
    "constructor-writes-state",
    "selfdestruct",
    "unprotected-delegatecall",
    "initializers-enabled",
    "not-uups",
    "unguarded-upgrade",
    "namespace-slot-mismatch",
)
OPENZEPPELIN = ("node_modules/@openzeppelin/", "@openzeppelin/")
DELEGATECALL_ALLOWED = (
    "contracts/utils/Address.sol",
    "contracts/utils/LowLevelCall.sol",
    "contracts/proxy/ERC1967/ERC1967Utils.sol",
    "contracts/proxy/utils/UUPSUpgradeable.sol",
    "contracts-upgradeable/proxy/utils/UUPSUpgradeable.sol",
)
DELEGATE_OPCODES = ("delegatecall", "callcode")
AUTH_CALLS = ("_checkRole", "_checkOwner", "hasRole", "_checkAuthorized", "_checkCanCall")
NOT_AUTH_MODIFIERS = ("onlyProxy", "notDelegated", "onlyInitializing")
DISABLE_INITIALIZERS = "_disableInitializers"
MAX_CALL_DEPTH = 4


@dataclass(frozen=True)
class Issue:
    """A finding: ``contract`` is the contract (or base, or library) where it was found."""

    kind: IssueKind
    contract: str
    detail: str

    def __str__(self) -> str:
        return f"{self.contract}: {self.detail} ({self.kind})"


def check(compilation: Compilation, contract: str) -> list[Issue]:
    """Every issue of ``contract`` (``Name`` or ``path:Name``) as a UUPS implementation."""
    return _Checker(compilation, contract).run()


def check_sources(
    files: Iterable[Path | str], contract: str, *, root: Path | None = None
) -> list[Issue]:
    """Compile ``files`` (no code generation) and ``check`` one of their contracts."""
    return check(compile_for_layout(files, root=root), contract)


def format_issues(issues: Iterable[Issue]) -> str:
    return "\n".join(str(i) for i in issues)


def is_openzeppelin(unit: str) -> bool:
    return unit.startswith(OPENZEPPELIN)


def _delegatecall_allowed(unit: str) -> bool:
    return is_openzeppelin(unit) and unit.endswith(DELEGATECALL_ALLOWED)


class _Checker:
    def __init__(self, compilation: Compilation, contract: str) -> None:
        self.c = compilation
        self.contract = compilation.contract_node(contract)
        self.bases = compilation.linearized(self.contract)
        self.issues: list[Issue] = []

    def run(self) -> list[Issue]:
        code = list(self._code())
        self._constructors()
        self._selfdestruct(code)
        self._delegatecall(code)
        self._upgrade_authorization()
        self._namespace_slots()
        return self.issues

    def add(self, kind: IssueKind, where: str, detail: str) -> None:
        issue = Issue(kind, where, detail)
        if issue not in self.issues:
            self.issues.append(issue)

    # ------------------------------------------------------------------ code reachable

    def _code(self) -> Iterator[tuple[str, str, Json]]:
        """(unit, "Contract.function", node) for each function, modifier and state variable of
        the linearisation, and each library or free function they reference (transitively)."""
        seen: set[int] = set()
        queue: deque[tuple[str, str, Json]] = deque()
        for base in self.bases:
            unit = self.c.unit_of[base["id"]]
            for node in base.get("nodes", []):
                if node.get("nodeType") in (
                    "FunctionDefinition",
                    "ModifierDefinition",
                    "VariableDeclaration",
                ):
                    queue.append((unit, f"{base['name']}.{_name(node)}", node))
                    seen.add(node["id"])
        while queue:
            unit, label, node = queue.popleft()
            yield unit, label, node
            for inner in walk(node):
                target = self.c.nodes.get(inner.get("referencedDeclaration", -1))
                if (
                    target is None
                    or target["id"] in seen
                    or target.get("nodeType") != "FunctionDefinition"
                ):
                    continue
                scope = self.c.nodes.get(target.get("scope", -1), {})
                if scope.get("nodeType") == "SourceUnit" or scope.get("contractKind") == "library":
                    seen.add(target["id"])
                    owner = scope.get("name") or "(free function)"
                    queue.append((self._unit(target), f"{owner}.{_name(target)}", target))

    def _unit(self, node: Json) -> str:
        scope = self.c.nodes.get(node.get("scope", -1), {})
        if scope.get("nodeType") == "SourceUnit":
            return str(scope.get("absolutePath", ""))
        return self.c.unit_of.get(scope.get("id", -1), "")

    # ------------------------------------------------------------------ (a), (d) constructors

    def _constructors(self) -> None:
        disabled = False
        for base in self.bases:
            name = base["name"]
            for node in base.get("nodes", []):
                if _is_initialised_state(node):
                    detail = (
                        f"state variable `{node['name']}` has an initial value: it is set in the "
                        "implementation's constructor, never in the proxy"
                    )
                    self.add("constructor-writes-state", name, detail)
                if (
                    node.get("nodeType") == "FunctionDefinition"
                    and node.get("kind") == "constructor"
                ):
                    disabled |= self._constructor(name, node)
        if not disabled:
            self.add(
                "initializers-enabled",
                self.contract["name"],
                "no constructor calls `_disableInitializers()`: anyone can initialise the "
                "implementation contract itself",
            )

    def _constructor(self, contract: str, ctor: Json) -> bool:
        """Report state writes in one constructor; True if it calls _disableInitializers()."""
        disabled = False
        for modifier in ctor.get("modifiers", []):
            target = self.c.nodes.get(modifier["modifierName"].get("referencedDeclaration", -1), {})
            if target.get("nodeType") == "ModifierDefinition":
                self.add(
                    "constructor-writes-state",
                    contract,
                    f"constructor runs modifier `{target['name']}`",
                )
        for node in walk(ctor.get("body") or {}):
            kind = node.get("nodeType")
            if kind == "Assignment":
                self._write(contract, node["leftHandSide"], "assigns")
            elif kind == "UnaryOperation" and node.get("operator") in ("++", "--", "delete"):
                self._write(contract, node["subExpression"], node["operator"])
            elif kind == "YulFunctionCall" and node["functionName"]["name"] == "sstore":
                self.add("constructor-writes-state", contract, "constructor runs `sstore`")
            elif kind == "FunctionCall" and node.get("kind") == "functionCall":
                disabled |= self._constructor_call(contract, node)
        return disabled

    def _constructor_call(self, contract: str, call: Json) -> bool:
        callee = call["expression"]
        if callee.get("nodeType") == "FunctionCallOptions":  # x.call{value: v}(...)
            callee = callee["expression"]
        target = self.c.nodes.get(callee.get("referencedDeclaration", -1), {})
        member = callee.get("memberName") if callee.get("nodeType") == "MemberAccess" else None
        if target.get("nodeType") == "FunctionDefinition":
            if target.get("name") == DISABLE_INITIALIZERS:
                return True
            if target.get("stateMutability") not in ("pure", "view"):
                self.add(
                    "constructor-writes-state",
                    contract,
                    f"constructor calls `{_name(target)}`, which may write state",
                )
        elif member in ("push", "pop"):
            self._write(contract, callee["expression"], member)
        elif member in ("call", "transfer", "send", "delegatecall"):
            self.add(
                "constructor-writes-state", contract, f"constructor makes an external `{member}`"
            )
        return False

    def _write(self, contract: str, target: Json, verb: str) -> None:
        decl = self._root_declaration(target)
        if decl is None or decl.get("nodeType") != "VariableDeclaration":
            return
        if decl.get("stateVariable"):
            if decl.get("mutability") == "mutable":
                self.add(
                    "constructor-writes-state",
                    contract,
                    f"constructor {verb} state variable `{decl['name']}`",
                )
        elif decl.get("storageLocation") == "storage":
            self.add(
                "constructor-writes-state",
                contract,
                f"constructor {verb} storage through pointer `{decl['name']}`",
            )

    def _root_declaration(self, expression: Json) -> Json | None:
        node = expression
        while True:
            kind = node.get("nodeType")
            if kind in ("IndexAccess", "IndexRangeAccess"):
                node = node["baseExpression"]
            elif kind == "MemberAccess":
                node = node["expression"]
            elif kind == "TupleExpression":
                for component in node.get("components", []):
                    if component:
                        decl = self._root_declaration(component)
                        if decl is not None and _is_storage(decl):
                            return decl
                return None
            elif kind == "Identifier":
                return self.c.nodes.get(node.get("referencedDeclaration", -1))
            else:
                return None

    # ------------------------------------------------------------------ (b) selfdestruct

    def _selfdestruct(self, code: list[tuple[str, str, Json]]) -> None:
        for _, label, root in code:
            for node in walk(root):
                kind = node.get("nodeType")
                if (
                    kind == "FunctionCall"
                    and node["expression"].get("name") in ("selfdestruct", "suicide")
                ) or (kind == "YulFunctionCall" and node["functionName"]["name"] == "selfdestruct"):
                    self.add(
                        "selfdestruct", label.partition(".")[0], f"`selfdestruct` in `{label}`"
                    )

    # ------------------------------------------------------------------ (c) delegatecall

    def _delegatecall(self, code: list[tuple[str, str, Json]]) -> None:
        helpers = self._delegating_helpers()
        for unit, label, root in code:
            owner = label.partition(".")[0]
            project = not is_openzeppelin(unit)
            for node in walk(root):
                kind = node.get("nodeType")
                raw = (
                    kind == "MemberAccess"
                    and node.get("memberName") in DELEGATE_OPCODES
                    and str(
                        node["expression"].get("typeDescriptions", {}).get("typeString", "")
                    ).startswith("address")
                ) or (
                    kind == "YulFunctionCall" and node["functionName"]["name"] in DELEGATE_OPCODES
                )
                if raw and not _delegatecall_allowed(unit):
                    self.add("unprotected-delegatecall", owner, f"delegatecall in `{label}`")
                if not project or kind not in ("Identifier", "MemberAccess"):
                    continue
                target = self.c.nodes.get(node.get("referencedDeclaration", -1), {})
                callee = f"`{label}` calls `{self._qualified(target)}`"
                if target.get("id") in helpers:
                    self.add("unprotected-delegatecall", owner, f"{callee}, which delegatecalls")
                elif self._linked_library_function(target):
                    detail = f"{callee}, a linked library function (reached by DELEGATECALL)"
                    self.add("unprotected-delegatecall", owner, detail)

    def _delegating_helpers(self) -> set[int]:
        """Functions in the allowed OpenZeppelin files that delegatecall (directly or through
        each other), except UUPSUpgradeable's, which check `_authorizeUpgrade` first."""
        functions = [
            node
            for unit, ast in self.c.asts()
            if _delegatecall_allowed(unit) and not unit.endswith("UUPSUpgradeable.sol")
            for node in walk(ast)
            if node.get("nodeType") == "FunctionDefinition"
        ]
        found: set[int] = set()
        changed = True
        while changed:
            changed = False
            for fn in functions:
                if fn["id"] in found:
                    continue
                for node in walk(fn.get("body") or {}):
                    if (
                        node.get("nodeType") == "YulFunctionCall"
                        and node["functionName"]["name"] in DELEGATE_OPCODES
                    ) or node.get("referencedDeclaration") in found:
                        found.add(fn["id"])
                        changed = True
                        break
        return found

    def _linked_library_function(self, target: Json) -> bool:
        if target.get("nodeType") != "FunctionDefinition":
            return False
        scope = self.c.nodes.get(target.get("scope", -1), {})
        return scope.get("contractKind") == "library" and target.get("visibility") in (
            "public",
            "external",
        )

    def _qualified(self, node: Json) -> str:
        scope = self.c.nodes.get(node.get("scope", -1), {})
        return f"{scope.get('name', '')}.{_name(node)}".lstrip(".")

    # ------------------------------------------------------------------ (e) upgrades

    def _upgrade_authorization(self) -> None:
        name = self.contract["name"]
        functions = [
            (base, node)
            for base in self.bases
            for node in base.get("nodes", [])
            if node.get("nodeType") == "FunctionDefinition"
        ]
        if not any(
            fn.get("name") == "upgradeToAndCall" and fn.get("implemented") for _, fn in functions
        ):
            self.add(
                "not-uups",
                name,
                "no `upgradeToAndCall` (UUPSUpgradeable): the proxy could never be upgraded again",
            )
            return
        authorize = next(
            (
                (b, fn)
                for b, fn in functions
                if fn.get("name") == "_authorizeUpgrade" and fn.get("implemented")
            ),
            None,
        )
        if authorize is None:
            self.add("unguarded-upgrade", name, "`_authorizeUpgrade` is not implemented")
            return
        base, fn = authorize
        if not self._guarded(fn, 0):
            self.add(
                "unguarded-upgrade",
                base["name"],
                f"`{base['name']}._authorizeUpgrade` has no access check: anyone can "
                "upgrade the proxy",
            )

    def _guarded(self, fn: Json, depth: int) -> bool:
        if depth > MAX_CALL_DEPTH:
            return False
        for modifier in fn.get("modifiers", []):
            target = self.c.nodes.get(modifier["modifierName"].get("referencedDeclaration", -1), {})
            if (
                target.get("nodeType") != "ModifierDefinition"
                or target["name"] in NOT_AUTH_MODIFIERS
            ):
                continue
            if target["name"].startswith("only") or self._body_guards(
                target.get("body"), depth + 1
            ):
                return True
        return self._body_guards(fn.get("body"), depth)

    def _body_guards(self, body: Json | None, depth: int) -> bool:
        if not body:
            return False
        for statement in body.get("statements", []):  # an unconditional revert: upgrades disabled
            if statement.get("nodeType") == "RevertStatement" or _is_revert_call(statement):
                return True
        for node in walk(body):
            kind = node.get("nodeType")
            if _compares_sender(node):
                return True
            if kind != "FunctionCall":
                continue
            target = self.c.nodes.get(node["expression"].get("referencedDeclaration", -1), {})
            if target.get("nodeType") != "FunctionDefinition":
                continue
            if target.get("name") in AUTH_CALLS:
                return True
            if target.get("body") and self._guarded(target, depth + 1):
                return True
        return False

    # ------------------------------------------------------------------ namespace accessors

    def _namespace_slots(self) -> None:
        for base in self.bases:
            for fn in base.get("nodes", []):
                if fn.get("nodeType") != "FunctionDefinition" or not fn.get("body"):
                    continue
                returns = fn["returnParameters"]["parameters"]
                if len(returns) != 1 or returns[0].get("storageLocation") != "storage":
                    continue
                struct = self.c.nodes.get(
                    returns[0]["typeName"].get("referencedDeclaration", -1), {}
                )
                if struct.get("nodeType") != "StructDefinition":
                    continue
                ids = [
                    ns
                    for formula, ns in STORAGE_LOCATION.findall(_doc_text(struct))
                    if formula == "erc7201"
                ]
                if not ids:
                    continue
                expected = erc7201_slot(ids[0])
                for assembly in walk(fn["body"]):
                    if assembly.get("nodeType") != "InlineAssembly":
                        continue
                    value = self._slot_assigned(assembly, f"{returns[0]['name']}.slot")
                    if value is not None and value != expected:
                        detail = (
                            f"`{base['name']}.{fn['name']}` points `{struct['canonicalName']}` "
                            f"at 0x{value:064x}, not at the root of erc7201:{ids[0]} "
                            f"(0x{expected:064x})"
                        )
                        self.add("namespace-slot-mismatch", base["name"], detail)

    def _slot_assigned(self, assembly: Json, target: str) -> int | None:
        references = {r["src"]: r["declaration"] for r in assembly.get("externalReferences", [])}
        for node in walk(assembly.get("AST", {})):
            if node.get("nodeType") != "YulAssignment":
                continue
            if [v["name"] for v in node["variableNames"]] != [target]:
                continue
            value = node["value"]
            if value.get("nodeType") == "YulLiteral":
                return _int(value.get("value"))
            if value.get("nodeType") == "YulIdentifier" and value["src"] in references:
                decl = self.c.nodes.get(references[value["src"]], {})
                literal = decl.get("value") or {}
                if decl.get("constant") and literal.get("nodeType") == "Literal":
                    return _int(literal.get("value"))
        return None


def _name(node: Json) -> str:
    if node.get("kind") == "constructor":
        return "constructor"
    return str(node.get("name") or node.get("kind") or "?")


def _is_storage(decl: Json) -> bool:
    if decl.get("stateVariable"):
        return decl.get("mutability") == "mutable"
    return decl.get("storageLocation") == "storage"


def _is_revert_call(statement: Json) -> bool:
    expression = statement.get("expression") or {}
    return (
        statement.get("nodeType") == "ExpressionStatement"
        and expression.get("nodeType") == "FunctionCall"
        and expression["expression"].get("name") == "revert"
    )


def _is_initialised_state(node: Json) -> bool:
    return (
        node.get("nodeType") == "VariableDeclaration"
        and node.get("value") is not None
        and node.get("mutability") == "mutable"
    )


def _compares_sender(node: Json) -> bool:
    """`x == msg.sender`, `_msgSender() != owner()` and the like."""
    if node.get("nodeType") != "BinaryOperation" or node.get("operator") not in ("==", "!="):
        return False
    return _mentions_sender(node["leftExpression"]) or _mentions_sender(node["rightExpression"])


def _mentions_sender(expression: Json) -> bool:
    for node in walk(expression):
        kind = node.get("nodeType")
        pair = (node.get("expression", {}).get("name"), node.get("memberName"))
        if kind == "MemberAccess" and pair in (("msg", "sender"), ("tx", "origin")):
            return True
        if kind == "Identifier" and node.get("name") == "_msgSender":
            return True
    return False


def _doc_text(node: Json) -> str:
    doc = node.get("documentation")
    return str(doc.get("text", "")) if isinstance(doc, dict) else str(doc or "")


def _int(value: object) -> int | None:
    try:
        return int(str(value), 0)
    except ValueError:
        return None

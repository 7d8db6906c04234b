"""Load the official ISO 20022 schemas, validate documents and parse incoming ones.

Each message is known by its id (``"sese.023.001.12"``): its schema is ``xsd/<id>.xsd`` in this
package and its documents live in the namespace ``urn:iso:std:iso:20022:tech:xsd:<id>``.
Validation is xmlschema's against that XSD; this module only turns xmlschema's first error into
a :class:`~securities_rails.errors.UserError` a user can act on: the element path as it appears
in the file (local names joined by ``/``, from ``Document``) and the reason in plain words.

Parsing is hardened: no network access, no DTD loading, no entity expansion, and a document
with a DOCTYPE is refused outright (ISO 20022 documents never carry one).
"""

from __future__ import annotations

import io
import re
from decimal import Context, Decimal
from functools import cache
from importlib import resources
from typing import Any

import xmlschema
from lxml import etree
from xmlschema.names import XSD_FRACTION_DIGITS, XSD_TOTAL_DIGITS
from xmlschema.validators import (
    XsdEnumerationFacets,
    XsdFractionDigitsFacet,
    XsdLengthFacet,
    XsdMaxInclusiveFacet,
    XsdMaxLengthFacet,
    XsdMinInclusiveFacet,
    XsdMinLengthFacet,
    XsdPatternFacets,
    XsdTotalDigitsFacet,
)
from xmlschema.validators.exceptions import (
    XMLSchemaChildrenValidationError,
    XMLSchemaDecodeError,
    XMLSchemaValidationError,
)

from securities_rails.errors import UserError

NAMESPACE_PREFIX = "urn:iso:std:iso:20022:tech:xsd:"
ROOT = "Document"
XSD_FOLDER = "xsd"
_PACKAGE = "securities_rails.iso20022"
_MESSAGE_ID = re.compile(r"^[a-z]{4}\.\d{3}\.\d{3}\.\d{2}$")
_ATTRIBUTE_REASON = re.compile(r"^attribute (?P<name>[\w:{}./-]+)=")
_EXACT = Context(prec=200)
_NAMESPACED = re.compile(r"\{[^}]*\}")
_LINE_COLUMN = re.compile(r",? line \d+, column \d+$")
# What the XSD built-in types look like, for a value that is not one of them.
_BUILTIN_FORMS = {
    "date": "date (YYYY-MM-DD)",
    "dateTime": "date and time (YYYY-MM-DDThh:mm:ss, best with a time zone such as Z)",
    "time": "time (hh:mm:ss)",
    "decimal": "decimal number (digits and an optional '.', e.g. 1250.50)",
    "boolean": "boolean (true or false)",
    "gYear": "year (YYYY)",
}


# --- messages and their schemas --------------------------------------------------------


def namespace(message: str) -> str:
    """The XML namespace of a message's documents: ``urn:iso:std:iso:20022:tech:xsd:<id>``."""
    return NAMESPACE_PREFIX + message


def message_of(namespace_uri: str | None) -> str | None:
    """The message id an ISO 20022 namespace names, or None for any other namespace."""
    if not namespace_uri or not namespace_uri.startswith(NAMESPACE_PREFIX):
        return None
    candidate = namespace_uri.removeprefix(NAMESPACE_PREFIX)
    return candidate if _MESSAGE_ID.match(candidate) else None


def available_messages() -> tuple[str, ...]:
    """The message ids whose XSD ships with the package, sorted."""
    folder = resources.files(_PACKAGE).joinpath(XSD_FOLDER)
    names = (entry.name for entry in folder.iterdir() if entry.name.endswith(".xsd"))
    return tuple(sorted(name.removesuffix(".xsd") for name in names))


@cache
def load_schema(message: str) -> xmlschema.XMLSchema:
    """The schema of ``message``, loaded once per process (a large XSD takes ~0.3 s to build)."""
    known = available_messages()
    if message not in known:
        raise UserError(
            "message", f"no schema for {message!r}: the package has {', '.join(known) or 'none'}"
        )
    data = resources.files(_PACKAGE).joinpath(XSD_FOLDER, f"{message}.xsd").read_bytes()
    return xmlschema.XMLSchema(io.BytesIO(data))


def codes(message: str, type_name: str) -> frozenset[str]:
    """The values a code type of the schema allows (e.g. ``PendingReason24Code``)."""
    enumeration = load_schema(message).types[type_name].enumeration
    return frozenset(str(code) for code in enumeration or ())


def decimal_limits(message: str, type_name: str) -> tuple[int, int]:
    """``(fraction digits, total digits)`` a decimal type of the schema allows."""
    simple = load_schema(message).types[type_name]
    if not simple.is_simple():
        simple = simple.content
    return (
        int(simple.get_facet(XSD_FRACTION_DIGITS).value),
        int(simple.get_facet(XSD_TOTAL_DIGITS).value),
    )


def max_length(message: str, type_name: str) -> int:
    """The longest text a text type of the schema allows (``Max35Text`` -> 35)."""
    return int(load_schema(message).types[type_name].max_length)


# --- parsing and validating ------------------------------------------------------------


def parse(xml: bytes, message: str) -> etree._Element:
    """Read an incoming document of ``message`` and return its root (``Document``).

    Refuses, each with a UserError: malformed XML (field ``xml``, with lxml's message and the
    line), a document of another message or version (field ``Document``, naming what it is and
    what was expected), and anything the XSD does not allow (the failing element's path).
    """
    root = _read(xml)
    validate(root, message)
    return root


def validate(xml: bytes | etree._Element, message: str) -> None:
    """Check a document (bytes or an lxml root) against the schema of ``message``."""
    root = xml if isinstance(xml, etree._Element) else _read(xml)
    _check_message(root, message)
    error = next(iter(load_schema(message).iter_errors(root)), None)
    if error is not None:
        raise explain(error)


def _read(xml: bytes) -> etree._Element:
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        root = etree.fromstring(xml, parser)
    except etree.XMLSyntaxError as exc:
        detail = _LINE_COLUMN.sub("", exc.msg or "unreadable")
        raise UserError("xml", f"not well-formed XML: {detail} (line {exc.lineno})") from None
    if root.getroottree().docinfo.doctype:
        raise UserError("xml", "a DOCTYPE is not allowed in an ISO 20022 document")
    return root


def _check_message(root: etree._Element, message: str) -> None:
    qname = etree.QName(root)
    expected = namespace(message)
    if qname.localname == ROOT and qname.namespace == expected:
        return
    found = message_of(qname.namespace)
    if found is None:
        raise UserError(
            ROOT,
            f"the root element is {_display(qname)}, not an ISO 20022 Document; "
            f"expected a {message} Document in the namespace {expected}",
        )
    if qname.localname != ROOT:
        raise UserError(ROOT, f"the root element is {qname.localname}; expected {ROOT}")
    body = next((etree.QName(child).localname for child in root if _is_element(child)), None)
    what = f"{found} message ({body})" if body else f"{found} message"
    hint = " (only this version is supported)" if _family(found) == _family(message) else ""
    raise UserError(ROOT, f"this is a {what}, not the expected {message}{hint}")


def _family(message: str) -> str:
    return ".".join(message.split(".")[:2])


def _display(qname: etree.QName) -> str:
    where = f"the namespace {qname.namespace}" if qname.namespace else "no namespace"
    return f"{qname.localname} in {where}"


def _is_element(node: Any) -> bool:
    return isinstance(node, etree._Element) and isinstance(node.tag, str)


# --- element paths ---------------------------------------------------------------------


def element_path(element: etree._Element) -> str:
    """``Document/A/B/C`` for an element: local names from the root, ``[n]`` when repeated."""
    parts: list[str] = []
    node: etree._Element | None = element
    while node is not None:
        parts.append(_step(node))
        node = node.getparent()
    return "/".join(reversed(parts))


def _step(node: etree._Element) -> str:
    name = etree.QName(node).localname
    parent = node.getparent()
    if parent is None:
        return name
    same = [sibling for sibling in parent if sibling.tag == node.tag]
    return f"{name}[{same.index(node) + 1}]" if len(same) > 1 else name


# --- xmlschema's errors in plain words -------------------------------------------------


def explain(error: XMLSchemaValidationError) -> UserError:
    """Turn one xmlschema validation error into a UserError naming the element path."""
    element = error.elem if isinstance(error.elem, etree._Element) else None
    path = element_path(element) if element is not None else _plain_path(error.path)
    if isinstance(error, XMLSchemaChildrenValidationError):
        return _children_error(error, path)
    attribute = _ATTRIBUTE_REASON.match(error.reason or "")
    if attribute:
        path = f"{path}/@{_local(attribute['name'])}"
    return UserError(path, _plain_reason(error))


def _plain_path(path: str | None) -> str:
    steps = [_local(step.split(":")[-1]) for step in (path or ROOT).strip("/").split("/")]
    return "/".join(steps) or ROOT


def _local(name: str) -> str:
    return _NAMESPACED.sub("", name)


def _plain_reason(error: XMLSchemaValidationError) -> str:
    value, check = error.obj, error.validator
    if isinstance(check, XsdMaxLengthFacet):
        return f"{value!r} is {len(value)} characters; at most {check.value} are allowed"
    if isinstance(check, XsdMinLengthFacet):
        if check.value == 1:
            return "a value is required (the element is empty)"
        return f"{value!r} is {len(value)} characters; at least {check.value} are required"
    if isinstance(check, XsdLengthFacet):
        return f"{value!r} is {len(value)} characters; exactly {check.value} are required"
    if isinstance(check, XsdEnumerationFacets):
        allowed = ", ".join(str(code) for code in check.enumeration)
        return f"{value!r} is not an allowed code here; use one of {allowed}"
    if isinstance(check, XsdPatternFacets):
        return f"{value!r} does not have the required form {' or '.join(check.regexps)}"
    if isinstance(check, XsdFractionDigitsFacet):
        places = _places(value)
        return f"{value} has {places} decimal places; at most {check.value} are allowed"
    if isinstance(check, XsdTotalDigitsFacet):
        return f"{value} has {_digits(value)} digits; at most {check.value} are allowed"
    if isinstance(check, XsdMinInclusiveFacet):
        return f"{value} is below the minimum {check.value}"
    if isinstance(check, XsdMaxInclusiveFacet):
        return f"{value} is above the maximum {check.value}"
    if isinstance(error, XMLSchemaDecodeError):
        return _decode_reason(error)
    return _local(error.reason or "not allowed by the schema")


def _decode_reason(error: XMLSchemaDecodeError) -> str:
    kind = getattr(error.validator, "local_name", None) or ""
    form = _BUILTIN_FORMS.get(kind)
    if form is None:
        return _local(error.reason or "not allowed by the schema")
    detail = error.reason or ""
    because = "" if detail.startswith("invalid value") else f" ({_local(detail)})"
    return f"{error.obj!r} is not a valid {form}{because}"


def _places(value: Any) -> int:
    exponent = Decimal(value).normalize(_EXACT).as_tuple().exponent
    return max(0, -int(exponent))


def _digits(value: Any) -> int:
    return len(Decimal(value).normalize(_EXACT).as_tuple().digits)


def _children_error(error: XMLSchemaChildrenValidationError, path: str) -> UserError:
    """A child element missing, out of place, repeated too often or unknown."""
    expected = [_local(str(item.local_name)) for item in error.expected or () if item.local_name]
    wanted = " or ".join(expected) or "no further element"
    child = error.invalid_child
    if child is None:
        if len(expected) == 1:
            return UserError(f"{path}/{expected[0]}", "this required element is missing")
        return UserError(path, f"incomplete: {wanted} is required here")
    name = etree.QName(child).localname
    if name in expected:
        wrong = etree.QName(child).namespace or "no namespace"
        return UserError(
            f"{path}/{name}", f"the element is in {wrong}; it must be in the document's namespace"
        )
    if name not in _content_names(error):
        return UserError(f"{path}/{name}", f"{name} is not allowed here; expected {wanted}")
    if any(etree.QName(node).localname == name for node in child.itersiblings(preceding=True)):
        return UserError(
            f"{path}/{name}", f"{name} is repeated more often than allowed or out of order"
        )
    target = f"{path}/{expected[0]}" if len(expected) == 1 else path
    return UserError(target, f"{wanted} is missing or out of order: found {name} in its place")


def _content_names(error: XMLSchemaChildrenValidationError) -> set[str]:
    group = error.validator
    elements = group.iter_elements() if hasattr(group, "iter_elements") else ()
    return {str(item.local_name) for item in elements if item.local_name}

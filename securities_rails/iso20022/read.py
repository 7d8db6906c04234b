"""Read a validated ISO 20022 document by element paths, the same paths errors name.

A path is relative to ``Document`` and made of local names (``SctiesSttlmTxInstr/TxId``); the
namespace is the document's own. ``field(path)`` gives the full path a user finds in the file
(``Document/SctiesSttlmTxInstr/TxId``), which is what every UserError about the element names.
"""

from __future__ import annotations

from lxml import etree

from securities_rails.errors import UserError
from securities_rails.iso20022.schema import ROOT


def field(path: str) -> str:
    """The full element path of ``path`` (relative to Document), as errors name it."""
    return f"{ROOT}/{path}" if path else ROOT


def find(root: etree._Element, path: str) -> etree._Element | None:
    """The first element at ``path`` below the root, or None."""
    ns = etree.QName(root).namespace
    steps = "/".join(f"{{{ns}}}{step}" if ns else step for step in path.split("/"))
    return root.find(steps)


def text(root: etree._Element, path: str) -> str | None:
    """The stripped text of the element at ``path``; None when the element is absent."""
    element = find(root, path)
    if element is None:
        return None
    return (element.text or "").strip()


def required_text(root: etree._Element, path: str, why: str) -> str:
    """The text at ``path``; a UserError naming the path (saying ``why``) when it is absent."""
    value = text(root, path)
    if value is None:
        raise UserError(field(path), f"missing: {why}")
    return value


def only_child(root: etree._Element, path: str) -> etree._Element | None:
    """The single element inside the element at ``path`` (a choice), or None."""
    parent = find(root, path)
    if parent is None:
        return None
    return next((node for node in parent if isinstance(node.tag, str)), None)


def local_name(element: etree._Element) -> str:
    """An element's name without its namespace."""
    return etree.QName(element).localname

"""Build ISO 20022 documents: namespaced elements, dates and decimals as the schema wants them.

A builder creates ``document(message)``, appends elements in the schema's order with
``add(parent, "A/B/C", text)``, and returns ``serialize(root, message)``, which validates the
document against its XSD first: an exported message is valid by construction, and a builder bug
is a UserError naming the element, never an invalid file handed to a user.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Context, Decimal

from lxml import etree

from securities_rails.errors import UserError
from securities_rails.iso20022.schema import ROOT, decimal_limits, namespace, validate

# Decimal's default context keeps 28 significant digits; a DgtlTknUnit has up to 30 and an
# 18-decimal token quantity up to 78: every conversion here is exact, never rounded.
EXACT = Context(prec=200)
XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'


def document(message: str) -> etree._Element:
    """An empty ``Document`` root in the message's namespace (as the default namespace)."""
    uri = namespace(message)
    return etree.Element(f"{{{uri}}}{ROOT}", nsmap={None: uri})


def add(
    parent: etree._Element, path: str, text: str | None = None, **attributes: str
) -> etree._Element:
    """Append the elements of ``path`` (``"A/B/C"``, each new) below ``parent``; return the last.

    ``text`` and ``attributes`` go on the last element. Elements are in the parent's namespace.
    """
    uri = etree.QName(parent).namespace
    node = parent
    for step in path.split("/"):
        node = etree.SubElement(node, f"{{{uri}}}{step}" if uri else step)
    if text is not None:
        node.text = text
    for name, value in attributes.items():
        node.set(name, value)
    return node


def iso_date(value: date) -> str:
    """An ISODate: ``2026-03-04``."""
    return value.isoformat()


def iso_datetime(value: datetime | int) -> str:
    """An ISODateTime in UTC with whole seconds: ``2026-03-04T10:15:00Z``.

    Accepts Unix seconds or a zone-aware datetime; a naive datetime is a programming error
    (its moment is unknown), so it raises ValueError rather than guess a zone.
    """
    if isinstance(value, int):
        moment = datetime.fromtimestamp(value, UTC)
    elif value.tzinfo is None:
        raise ValueError(f"{value!r} has no time zone")
    else:
        moment = value.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def units_to_decimal(units: int, decimals: int) -> Decimal:
    """Smallest units to the decimal the message carries (10500500000, 6 -> 10500.5)."""
    return Decimal(units).scaleb(-decimals, EXACT).normalize(EXACT)


def decimal_text(value: Decimal | int, message: str, type_name: str, field: str) -> str:
    """``value`` written as the decimal type ``type_name`` of ``message`` allows it.

    Plain notation (never an exponent), no trailing fractional zeros. More fraction digits or
    total digits than the type allows is a UserError naming ``field`` (the element path):
    rounding a quantity or an amount silently would misstate the trade.
    """
    number = Decimal(value)
    if not number.is_finite():
        raise UserError(field, f"{value} is not a finite number")
    text = plain(number)
    fraction_digits, total_digits = decimal_limits(message, type_name)
    places = len(text.partition(".")[2])
    if places > fraction_digits:
        raise UserError(
            field,
            f"{text} has {places} decimal places; {message} allows at most {fraction_digits} "
            f"here ({type_name})",
        )
    digits = len(number.normalize(EXACT).as_tuple().digits)
    if digits > total_digits:
        raise UserError(
            field,
            f"{text} has {digits} digits; {message} allows at most {total_digits} here "
            f"({type_name})",
        )
    return text


def plain(number: Decimal) -> str:
    """A decimal in plain notation without trailing fractional zeros (``1E+2`` -> ``100``)."""
    text = format(number.normalize(EXACT), "f")
    return "0" if text == "-0" else text


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters (an ellipsis marks the cut): for narrative fields."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def serialize(root: etree._Element, message: str) -> bytes:
    """Validate the document against its XSD, then return it as indented UTF-8 XML."""
    validate(root, message)
    body = etree.tostring(root, encoding="UTF-8", xml_declaration=False, pretty_print=True)
    return XML_DECLARATION + body

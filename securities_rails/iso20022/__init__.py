"""ISO 20022 messages: the official schemas as package data, and the generic layer over them.

The message-specific code lives with its domain (``securities_rails.settlement.messages`` for
sese.023/024/025); this package knows nothing about settlement and is reused by every message:

- ``schema``: load a schema by message id (``"sese.023.001.12"``), validate a document against
  it and parse an incoming one, every failure a ``UserError`` naming the element path
  (``Document/SctiesSttlmTxInstr/TxId``) and the reason in plain words;
- ``read``: look elements up by their path below ``Document`` and take their text;
- ``build``: create namespaced elements, format dates and decimals the way the schema allows,
  and serialise a document after validating it (an exported message is valid by construction).

``xsd/`` holds the official XSDs, byte for byte as published (see ``xsd/SOURCES.md``).
"""

from __future__ import annotations

from securities_rails.iso20022.schema import (
    available_messages,
    element_path,
    load_schema,
    namespace,
    parse,
    validate,
)

__all__ = [
    "available_messages",
    "element_path",
    "load_schema",
    "namespace",
    "parse",
    "validate",
]

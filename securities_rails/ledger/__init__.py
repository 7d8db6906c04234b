"""The book-entry register of a CSD or custodian, the traditional ledger the bridge connects to.

- ``models``: the SQLAlchemy tables (instruments, accounts, holdings, movements, beneficial
  owners, the schema version); quantities are integers in each ISIN's smallest units;
- ``register``: :class:`Register`, double-entry movements exactly once on their reference,
  every refusal a :class:`RefusedError` with an ISO 20022 reason code, nothing written;
- ``statement``: the semt.002 statement of holdings of an account;
- the bridge side of the register lives in ``securities_rails.bridge.register_endpoint`` (with
  ``register_transactions`` and ``register_book``): ``RegisterEndpoint``, the register as the
  home side of a bridge, with the methods of ``bridge.endpoint.Endpoint`` that the validators,
  the relayer and the reconciler call. The register itself imports nothing of the bridge.

An omnibus account of kind ``digital-omnibus`` (one per ISIN and chain) plays the bridge's lock:
units moved onto a chain are credited to it, units coming back are debited from it.
"""

from __future__ import annotations

from securities_rails.ledger.register import DEFAULT_URL, REASONS, RefusedError, Register
from securities_rails.ledger.statement import build_semt002, export_statement, statement_of

__all__ = [
    "DEFAULT_URL",
    "REASONS",
    "RefusedError",
    "Register",
    "build_semt002",
    "export_statement",
    "statement_of",
]

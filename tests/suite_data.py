"""Constants and builders shared by the pytest suites (imported as `suite_data`: tests/ is on
sys.path; a `conftest` import would resolve to whichever conftest pytest loaded last)."""

from __future__ import annotations

from typing import Any

ISIN = "US0378331005"
LEI = "5493001KJTIIGC8Y1R12"
GERMANY, FRANCE, USA = 276, 250, 840
YEAR = 365 * 24 * 3600


def instrument_data(
    isin: str = ISIN, decimals: int = 0, issue_date: int = 1_700_000_000, maturity: int = 0
) -> tuple[Any, ...]:
    """The Instrument struct, in field order, for a share (CFI ESVUFR) in EUR with nominal 1."""
    return (isin.encode(), b"ESVUFR", b"EUR", decimals, issue_date, maturity, LEI.encode(), 10**18)

"""Checks shared by the register's tests: a refusal names its field and reason and writes
nothing (every row of every table the register writes is the same before and after)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from securities_rails.ledger.models import (
    BeneficialOwner,
    BeneficialOwnerSet,
    Holding,
    Instrument,
    Movement,
    OwnerDeposit,
    SecuritiesAccount,
)
from securities_rails.ledger.register import RefusedError, Register

WRITTEN = (
    SecuritiesAccount,
    Instrument,
    Holding,
    Movement,
    BeneficialOwner,
    BeneficialOwnerSet,
    OwnerDeposit,
)


def snapshot(register: Register) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table a register operation writes."""
    tables: dict[str, list[tuple[Any, ...]]] = {}
    with Session(register.engine) as session:
        for model in WRITTEN:
            rows = session.scalars(select(model)).all()
            tables[model.__tablename__] = sorted(
                tuple(sorted((k, repr(v)) for k, v in vars(row).items() if k[0] != "_"))
                for row in rows
            )
    return tables


def refused(register: Register, action: Any, field: str, reason: str) -> RefusedError:
    """``action()`` raises a RefusedError on ``field`` with ``reason`` and writes nothing."""
    before = snapshot(register)
    with pytest.raises(RefusedError) as caught:
        action()
    assert (caught.value.field, caught.value.reason) == (field, reason), caught.value
    assert snapshot(register) == before, "a refusal writes nothing"
    return caught.value

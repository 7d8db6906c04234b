"""What the chain says of distributions, redemptions and splits, as data the CLI renders (no rich
here): one action's summary (terms, dates, totals), per-holder rows, a list of actions, and the
ISO 20022 inputs, for distributions and redemptions only (splits have no export):
:class:`~securities_rails.lifecycle.messages.CorporateAction` (seev.031) and
:class:`~securities_rails.lifecycle.messages.Movement` (seev.036), built from the contracts' views
and events (with the transaction hash and block of each).
"""

from __future__ import annotations

from typing import Any

from ape import chain

from securities_rails.chain.contracts import at, chain_id, pending_timestamp
from securities_rails.errors import UserError
from securities_rails.identifiers import format_amount, format_date, from_fixed_bytes
from securities_rails.lifecycle import distributions, messages, redemption, splits
from securities_rails.lifecycle.common import (
    Event,
    contract_start_block,
    currency_of,
    isin_of,
    logs_of,
    reason_text,
    security,
    view,
)
from securities_rails.lifecycle.deploy import DISTRIBUTIONS, REDEMPTION, Lifecycle

ACTIONS = ("distribution", "redemption", "split")
EXPORTED = ("distribution", "redemption")  # the actions with ISO 20022 messages
DISTRIBUTION_COLUMNS = ("holder", "units at record date", "entitled", "status", "held")
REDEMPTION_COLUMNS = ("holder", "balance", "units due", "cash due", "status", "units")
SPLIT_COLUMNS = ("holder", "units at record date", "units due", "status", "units", "balance")
LIST_COLUMNS = (
    "id",
    "reference",
    "ISIN",
    "kind",
    "record date",
    "payment / start",
    "deadline",
    "status",
    "funded",
    "paid",
)
SPLIT_LIST_COLUMNS = (
    "id",
    "reference",
    "ISIN",
    "kind",
    "ratio",
    "record date",
    "deadline",
    "status",
    "minted",
    "burned",
    "held",
)


def parse_action(value: str, field: str = "action") -> str:
    """``distribution``, ``redemption`` or ``split`` (a split or a consolidation)."""
    text = str(value).strip().lower()
    if text not in ACTIONS:
        raise UserError(field, f"unknown action {value!r}: {', '.join(ACTIONS)}")
    return text


def list_columns(action: str) -> tuple[str, ...]:
    """The columns of `action_list`'s rows for `action`."""
    return SPLIT_LIST_COLUMNS if parse_action(action) == "split" else LIST_COLUMNS


class _Cash:
    """Formats amounts of one cash token: ``1,250.000000 USD``."""

    def __init__(self, address: str) -> None:
        token = at("CashToken", address)
        self.address = address
        self.decimals = int(token.decimals())
        self.currency = currency_of(token)

    def __call__(self, amount: int | None) -> str:
        if amount is None:
            return "-"
        return f"{format_amount(amount, self.decimals)} {self.currency}"


def _units(token: Any, amount: int) -> str:
    return format_amount(amount, int(token.decimals()))


# ---------------------------------------------------------------- status and kind


def _status(funded: int, paid: int, held: int, swept: int, required: int | None, end: int) -> str:
    """announced, funded, paying or closed (messages.STATUSES), as the chain stands now."""
    if pending_timestamp() >= end or swept > 0:
        return "closed"
    if paid > 0 or held > 0:
        return "paying"
    if funded > 0 and required is not None and funded >= required:
        return "funded"
    return "announced"


def distribution_status(d: distributions.Distribution) -> str:
    return _status(d.funded, d.paid, d.held, d.swept, d.required(), d.claim_deadline)


def redemption_status(r: redemption.Redemption) -> str:
    return _status(r.funded, r.paid, r.reserved, r.swept, r.required(), r.deadline)


def split_status(s: splits.Split) -> str:
    """announced (before the record date), applying (until the deadline), closed (after it; a
    split's held units are still minted or released)."""
    now = pending_timestamp()
    if now <= s.record_date:
        return "announced"
    return "applying" if now < s.deadline else "closed"


def distribution_kind(token: Any) -> str:
    """``coupon`` for a debt instrument (CFI category D), else ``dividend``."""
    cfi = from_fixed_bytes(bytes(token.instrument().cfi))
    return "coupon" if cfi.startswith("D") else "dividend"


def redemption_kind(r: redemption.Redemption) -> str:
    return "redemption" if r.kind == "full" else "partial_redemption"


# ---------------------------------------------------------------- one action


def distribution_summary(lifecycle: Lifecycle, distribution_id: int) -> dict[str, str]:
    """One distribution for people: terms, dates, status and totals."""
    d = distributions.read(lifecycle, distribution_id)
    token = security(d.token)
    cash = _Cash(d.cash_token)
    value = "rate per unit" if d.kind == "per-unit" else "total amount"
    shown = {
        "id": str(d.id),
        "reference": d.event_ref,
        "instrument": f"{isin_of(token)} ({d.token})",
        "kind": f"{distribution_kind(token)}, {d.kind}",
        "cash": f"{cash.currency} ({d.cash_token})",
        value: cash(d.value),
        "record date": format_date(d.record_date),
        "payment date": format_date(d.payment_date),
        "claim deadline": format_date(d.claim_deadline),
        "status": distribution_status(d),
        "announced by": d.issuer,
    }
    for name, amount in distributions.totals(d).items():
        shown[name] = cash(amount)
    return shown


def redemption_summary(lifecycle: Lifecycle, redemption_id: int) -> dict[str, str]:
    """One redemption for people: terms, dates, status, cash and units totals."""
    r = redemption.read(lifecycle, redemption_id)
    token = security(r.token)
    cash = _Cash(r.cash_token)
    shown = {
        "id": str(r.id),
        "reference": r.event_ref,
        "instrument": f"{isin_of(token)} ({r.token})",
        "kind": r.kind,
        "cash": f"{cash.currency} ({r.cash_token})",
        "price per unit": cash(r.price),
    }
    if r.kind == "pro-rata":
        shown["fraction"] = f"{r.numerator}/{r.denominator} of each holding"
        shown["record date"] = format_date(r.record_date)
    shown["start date"] = format_date(r.start_date)
    shown["deadline"] = format_date(r.deadline)
    shown["status"] = redemption_status(r)
    shown["announced by"] = r.issuer
    for name, amount in redemption.totals(r).items():
        units = name.startswith("units_")
        label = name.replace("_", " ")
        shown[label] = _units(token, amount or 0) if units else cash(amount)
    return shown


def split_summary(lifecycle: Lifecycle, split_id: int) -> dict[str, str]:
    """One split or consolidation for people: terms, dates, status and units totals."""
    s = splits.read(lifecycle, split_id)
    token = security(s.token)
    shown = {
        "id": str(s.id),
        "reference": s.event_ref,
        "instrument": f"{isin_of(token)} ({s.token})",
        "kind": s.kind,
        "ratio": f"{s.ratio} (new units for old)",
        "record date": format_date(s.record_date),
        "deadline": format_date(s.deadline),
        "status": split_status(s),
        "announced by": s.issuer,
    }
    for name, amount in splits.totals(s).items():
        shown[name] = _units(token, amount)
    return shown


def summary(lifecycle: Lifecycle, action: str, action_id: int) -> dict[str, str]:
    """The summary of a distribution, a redemption or a split."""
    action = parse_action(action)
    if action == "distribution":
        return distribution_summary(lifecycle, action_id)
    if action == "split":
        return split_summary(lifecycle, action_id)
    return redemption_summary(lifecycle, action_id)


def distribution_rows(lifecycle: Lifecycle, distribution_id: int) -> list[tuple[str, ...]]:
    """One row per holder at the record date (DISTRIBUTION_COLUMNS)."""
    d = distributions.read(lifecycle, distribution_id)
    token, cash = security(d.token), _Cash(d.cash_token)
    return [
        (
            row.holder,
            _units(token, row.balance_at_record),
            cash(row.entitled),
            row.status,
            cash(row.held) if row.held else "-",
        )
        for row in distributions.status_rows(lifecycle, distribution_id)
    ]


def redemption_rows(lifecycle: Lifecycle, redemption_id: int) -> list[tuple[str, ...]]:
    """One row per holder (REDEMPTION_COLUMNS)."""
    r = redemption.read(lifecycle, redemption_id)
    token, cash = security(r.token), _Cash(r.cash_token)
    return [
        (
            row.holder,
            _units(token, row.balance),
            _units(token, row.units_due),
            cash(row.payment_due),
            row.status,
            _units(token, row.units),
        )
        for row in redemption.status_rows(lifecycle, redemption_id)
    ]


def split_rows(lifecycle: Lifecycle, split_id: int) -> list[tuple[str, ...]]:
    """One row per holder at the record date (SPLIT_COLUMNS)."""
    token = security(splits.read(lifecycle, split_id).token)
    return [
        (
            row.holder,
            _units(token, row.balance_at_record),
            _units(token, row.due),
            row.status,
            _units(token, row.units) if row.units else "-",
            _units(token, row.balance),
        )
        for row in splits.status_rows(lifecycle, split_id)
    ]


def holder_rows(
    lifecycle: Lifecycle, action: str, action_id: int
) -> tuple[tuple[str, ...], list[tuple[str, ...]]]:
    """The columns and per-holder rows of a distribution, a redemption or a split."""
    action = parse_action(action)
    if action == "distribution":
        return DISTRIBUTION_COLUMNS, distribution_rows(lifecycle, action_id)
    if action == "split":
        return SPLIT_COLUMNS, split_rows(lifecycle, action_id)
    return REDEMPTION_COLUMNS, redemption_rows(lifecycle, action_id)


def action_list(
    lifecycle: Lifecycle, action: str, token: str | None = None
) -> list[tuple[str, ...]]:
    """Every distribution, redemption or split (of `token`, when given), as rows of
    `list_columns(action)`."""
    rows = []
    action = parse_action(action)
    if action == "split":
        for s in splits.splits_of(lifecycle, token):
            instrument = security(s.token)
            rows.append(
                (
                    str(s.id),
                    s.event_ref,
                    isin_of(instrument),
                    s.kind,
                    s.ratio,
                    format_date(s.record_date),
                    format_date(s.deadline),
                    split_status(s),
                    _units(instrument, s.minted),
                    _units(instrument, s.burned),
                    _units(instrument, s.held),
                )
            )
        return rows
    if action == "distribution":
        for d in distributions.distributions_of(lifecycle, token):
            instrument, cash = security(d.token), _Cash(d.cash_token)
            rows.append(
                (
                    str(d.id),
                    d.event_ref,
                    isin_of(instrument),
                    f"{distribution_kind(instrument)} ({d.kind})",
                    format_date(d.record_date),
                    format_date(d.payment_date),
                    format_date(d.claim_deadline),
                    distribution_status(d),
                    cash(d.funded),
                    cash(d.paid),
                )
            )
        return rows
    for r in redemption.redemptions_of(lifecycle, token):
        instrument, cash = security(r.token), _Cash(r.cash_token)
        rows.append(
            (
                str(r.id),
                r.event_ref,
                isin_of(instrument),
                r.kind,
                format_date(r.record_date),
                format_date(r.start_date),
                format_date(r.deadline),
                redemption_status(r),
                cash(r.funded),
                cash(r.paid),
            )
        )
    return rows


def held_explained(reason: str | None) -> str:
    """A held or skipped reason in words (for per-holder results)."""
    return reason_text(reason) if reason else "-"


# ---------------------------------------------------------------- ISO 20022 inputs


def exported_action(value: str, field: str = "action") -> str:
    """An action that has ISO 20022 messages (a distribution or a redemption); a split is
    refused: seev.031 / seev.036 are not written for splits and consolidations."""
    action = parse_action(value, field)
    if action not in EXPORTED:
        raise UserError(
            field,
            "splits and consolidations have no ISO 20022 export (seev.031 / seev.036 are written "
            "for distributions and redemptions only)",
        )
    return action


def _contract_and_start(lifecycle: Lifecycle, action: str) -> tuple[Any, int]:
    if action == "distribution":
        return lifecycle.distributions, contract_start_block(lifecycle.record, DISTRIBUTIONS)
    return lifecycle.redemption, contract_start_block(lifecycle.record, REDEMPTION)


def _announcement(lifecycle: Lifecycle, action: str, action_id: int) -> Event:
    contract, start = _contract_and_start(lifecycle, action)
    name = "DistributionAnnounced" if action == "distribution" else "RedemptionAnnounced"
    for event in logs_of(contract, name, start, action_id):
        return event
    raise UserError("action", f"no {name} event for {action} {action_id} since block {start}")


def corporate_action_of(
    lifecycle: Lifecycle, action: str, action_id: int
) -> messages.CorporateAction:
    """The corporate action seev.031 notifies, from the chain (checked by messages.check_action
    when built)."""
    action = exported_action(action)
    announced = _announcement(lifecycle, action, action_id)
    if action == "distribution":
        d = distributions.read(lifecycle, action_id)
        token, cash = security(d.token), _Cash(d.cash_token)
        return messages.CorporateAction(
            chain_id=chain_id(),
            contract=lifecycle.distributions.address,
            action_id=d.id,
            reference=d.event_ref,
            kind=distribution_kind(token),
            isin=isin_of(token),
            security_decimals=d.token_decimals,
            currency=cash.currency,
            cash_decimals=cash.decimals,
            record_date=d.record_date,
            payment_date=d.payment_date,
            claim_deadline=d.claim_deadline,
            rate_per_unit=d.value if d.kind == "per-unit" else None,
            total_amount=d.value if d.kind == "total" else None,
            status=distribution_status(d),
            funded=d.funded,
            paid=d.paid,
            held=d.held,
            announced_tx=announced.tx_hash,
            announced_block=announced.block,
        )
    r = redemption.read(lifecycle, action_id)
    token, cash = security(r.token), _Cash(r.cash_token)
    return messages.CorporateAction(
        chain_id=chain_id(),
        contract=lifecycle.redemption.address,
        action_id=r.id,
        reference=r.event_ref,
        kind=redemption_kind(r),
        isin=isin_of(token),
        security_decimals=r.token_decimals,
        currency=cash.currency,
        cash_decimals=cash.decimals,
        record_date=r.record_date,
        payment_date=r.start_date,
        claim_deadline=r.deadline,
        price_per_unit=r.price,
        fraction=(r.numerator, r.denominator) if r.kind == "pro-rata" else None,
        status=redemption_status(r),
        funded=r.funded,
        paid=r.paid,
        held=r.reserved,
        announced_tx=announced.tx_hash,
        announced_block=announced.block,
    )


def _timestamp(block: int) -> int:
    return int(chain.blocks[block].timestamp)


def movements_of(
    lifecycle: Lifecycle, action: str, action_id: int, holder: str | None = None
) -> list[messages.Movement]:
    """Every payment of a distribution (``EntitlementPaid``) or redemption of units
    (``UnitsRedeemed``), of `holder` only when given, oldest first: what seev.036 confirms.
    Releases by the registrar to another wallet are not included (the cash did not reach the
    holder's wallet)."""
    action = exported_action(action)
    corporate = corporate_action_of(lifecycle, action, action_id)
    contract, start = _contract_and_start(lifecycle, action)
    if action == "distribution":
        d = distributions.read(lifecycle, action_id)
        book = at("RecordDates", d.record_dates)
        events = logs_of(contract, "EntitlementPaid", start, action_id)
    else:
        r = redemption.read(lifecycle, action_id)
        book = at("RecordDates", r.record_dates) if r.kind == "pro-rata" else None
        events = logs_of(contract, "UnitsRedeemed", start, action_id)
    found = []
    for event in events:
        wallet = str(event.args["holder"])
        if holder is not None and wallet.lower() != holder.lower():
            continue
        if action == "distribution":
            units = int(view(book.balanceAt, d.token, wallet, d.record_date_id))
            cash_amount, burned = int(event.args["amount"]), 0
        else:
            burned, cash_amount = int(event.args["units"]), int(event.args["payment"])
            units = (
                int(view(book.balanceAt, r.token, wallet, r.record_date_id))
                if book is not None
                else burned
            )
        found.append(
            messages.Movement(
                action=corporate,
                holder=wallet,
                entitled_quantity=units,
                cash_amount=cash_amount,
                units_burned=burned,
                paid_at=_timestamp(event.block),
                tx_hash=event.tx_hash,
                block=event.block,
            )
        )
    return found

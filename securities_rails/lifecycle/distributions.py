"""Cash distributions (coupons, dividends) to the holders of an instrument at a record date.

Every action first reads what the chain can tell (the instrument's roles and record-date book, the
distribution's dates, funding and each holder's record, balances, allowances, eligibility) and
raises a UserError naming the field when the contract would refuse, so that a refused action sends
nothing and says why in words. Only then does it send, through ``chain.transact.send`` (a revert
that slips through still becomes a UserError, at gas estimation, before anything is broadcast).

Entitlements (``IDistributions``): ``per-unit``: ``floor(balanceAt * rate / 10^decimals)``;
``total``: ``floor(total * balanceAt / totalSupplyAt)``, with ``balanceAt`` the holder's balance at
the record date, from the instrument's record-date book.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from eth_utils import to_checksum_address

from securities_rails.chain.contracts import at, pending_timestamp
from securities_rails.chain.transact import send
from securities_rails.errors import UserError
from securities_rails.identifiers import parse_reference
from securities_rails.lifecycle.common import (
    UINT40_MAX,
    UINT256_MAX,
    Progress,
    approve_exactly,
    cash_token,
    check_cash,
    check_fits,
    check_recipient,
    checksum,
    date,
    events_of,
    hex_hash,
    holders_at,
    ineligibility,
    isin_of,
    reason_name,
    reason_text,
    require_agent,
    require_book,
    require_contract,
    require_registrar,
    same_address,
    security,
    send_batches,
    sorted_unique,
    token_start_block,
    units_text,
    view,
)
from securities_rails.lifecycle.deploy import Lifecycle

KINDS = ("per-unit", "total")  # IDistributions.Kind, by index
PER_UNIT, TOTAL = 0, 1
STATUSES = ("none", "paid", "held", "released")  # IDistributions.Status, by index
NONE, PAID, HELD, RELEASED = range(4)
MAX_BATCH = 100  # Distributions.MAX_BATCH
MAX_CLAIM_PERIOD = 3650 * 24 * 3600  # Distributions.MAX_CLAIM_PERIOD


# ---------------------------------------------------------------- terms and reading


@dataclass(frozen=True)
class DistributionTerms:
    """What the agent announces (IDistributions.Terms). Dates are Unix times; ``value`` is the
    cash per whole unit (``per-unit``) or the total shared (``total``), in the cash token's
    smallest units."""

    token: str
    cash_token: str
    record_date: int
    payment_date: int
    claim_deadline: int
    kind: str
    value: int

    def as_tuple(self) -> tuple[str, str, int, int, int, int, int]:
        """The Solidity Terms struct, in field order."""
        return (
            self.token,
            self.cash_token,
            self.record_date,
            self.payment_date,
            self.claim_deadline,
            KINDS.index(self.kind),
            self.value,
        )


@dataclass(frozen=True)
class Distribution:
    """A distribution as stored (IDistributions.Distribution), with its id and, once the record
    date has passed (per-unit), the cash it requires."""

    id: int
    token: str
    record_date: int
    payment_date: int
    kind: str
    cash_token: str
    claim_deadline: int
    token_decimals: int
    record_dates: str
    record_date_id: int
    issuer: str
    value: int
    funded: int
    paid: int
    held: int
    swept: int
    event_ref: str
    required_amount: int | None = field(default=None, compare=False)

    def required(self) -> int | None:
        """The cash required: the total (``total``), or ``floor(totalSupplyAt * rate /
        10^decimals)`` (``per-unit``), None before the record date has passed."""
        return self.required_amount

    @property
    def unclaimed(self) -> int:
        """Cash kept that is neither paid, held nor swept (``funded - paid - held - swept``)."""
        return self.funded - self.paid - self.held - self.swept


def count(lifecycle: Lifecycle) -> int:
    return int(lifecycle.distributions.distributionCount())


def read(lifecycle: Lifecycle, distribution_id: int, field: str = "distribution") -> Distribution:
    """Distribution `distribution_id`; UserError when there is none."""
    last = count(lifecycle)
    if not isinstance(distribution_id, int) or not 1 <= distribution_id <= last:
        known = f"ids 1 to {last}" if last else "none announced yet"
        raise UserError(field, f"no distribution {distribution_id} ({known})")
    raw = lifecycle.distributions.distribution(distribution_id)
    kind = KINDS[int(raw.kind)]
    record_date = int(raw.recordDate)
    required = None
    if kind == "total":
        required = int(raw.value)
    elif pending_timestamp() > record_date:
        required = int(view(lifecycle.distributions.required, distribution_id, field=field))
    return Distribution(
        id=distribution_id,
        token=to_checksum_address(raw.token),
        record_date=record_date,
        payment_date=int(raw.paymentDate),
        kind=kind,
        cash_token=to_checksum_address(raw.cashToken),
        claim_deadline=int(raw.claimDeadline),
        token_decimals=int(raw.tokenDecimals),
        record_dates=to_checksum_address(raw.recordDates),
        record_date_id=int(raw.recordDateId),
        issuer=to_checksum_address(raw.issuer),
        value=int(raw.value),
        funded=int(raw.funded),
        paid=int(raw.paid),
        held=int(raw.held),
        swept=int(raw.swept),
        event_ref=str(raw.eventRef),
        required_amount=required,
    )


def distributions_of(lifecycle: Lifecycle, token: str | None = None) -> list[Distribution]:
    """Every distribution (of `token` only, when given), oldest first."""
    found = [read(lifecycle, i) for i in range(1, count(lifecycle) + 1)]
    if token is None:
        return found
    return [d for d in found if same_address(d.token, token)]


def find_by_reference(lifecycle: Lifecycle, reference: str, field: str = "distribution") -> int:
    """The id of the distribution announced with `reference`; refused when none or several."""
    ids = [d.id for d in distributions_of(lifecycle) if d.event_ref == reference]
    if not ids:
        raise UserError(field, f"no distribution has the reference {reference!r}")
    if len(ids) > 1:
        raise UserError(
            field, f"{len(ids)} distributions have the reference {reference!r}: give the id, one "
            f"of {', '.join(map(str, ids))}",
        )  # fmt: skip
    return ids[0]


def _book(d: Distribution) -> Any:
    """The record-date book the distribution's record date was scheduled in."""
    return at("RecordDates", d.record_dates)


def _entry(lifecycle: Lifecycle, distribution_id: int, holder: str) -> tuple[int, int]:
    raw = lifecycle.distributions.entry(distribution_id, holder)
    return int(raw.status), int(raw.held)


def entry(lifecycle: Lifecycle, distribution_id: int, holder: str) -> tuple[str, int]:
    """`holder`'s record: its status (none, paid, held, released) and the amount held now."""
    status, held = _entry(lifecycle, distribution_id, holder)
    return STATUSES[status], held


# ---------------------------------------------------------------- announce


def check_announce(
    lifecycle: Lifecycle, signer: str, terms: DistributionTerms, event_ref: str, now: int
) -> None:
    """Everything `announce` would refuse, checked on the chain at time `now`; sends nothing."""
    parse_reference(event_ref, "reference")
    if terms.kind not in KINDS:
        raise UserError("kind", f"unknown kind {terms.kind!r}: use {' or '.join(KINDS)}")
    require_contract("token", terms.token, "instrument")
    require_contract("cash_token", terms.cash_token, "cash token")
    if same_address(terms.cash_token, terms.token):
        raise UserError("cash_token", "the cash token is the instrument itself")
    for name in ("record_date", "payment_date", "claim_deadline"):
        check_fits(name, getattr(terms, name), UINT40_MAX)
    check_fits("value", terms.value, UINT256_MAX)
    _check_dates(terms, now)
    if terms.value == 0:
        raise UserError("value", "must be above zero")
    token = security(terms.token)
    require_agent(token, signer)
    book = require_book(token, lifecycle.distributions, "distributions")
    _check_after_last(book, token, terms.record_date)


def _check_dates(terms: DistributionTerms, now: int) -> None:
    if terms.record_date <= now:
        raise UserError(
            "record_date",
            f"record date {date(terms.record_date)} is in the past (chain time {date(now)}): "
            "give a date after it",
        )
    if terms.record_date > now + MAX_CLAIM_PERIOD:
        raise UserError(
            "record_date",
            f"record date {date(terms.record_date)} is more than 3650 days ahead",
        )
    if terms.payment_date <= terms.record_date:
        raise UserError(
            "payment_date",
            f"payment date {date(terms.payment_date)} is not after the record date "
            f"{date(terms.record_date)}: holders are paid once balances at it are final",
        )
    if terms.claim_deadline <= terms.payment_date:
        raise UserError(
            "claim_deadline",
            f"claim deadline {date(terms.claim_deadline)} is not after the payment date "
            f"{date(terms.payment_date)}",
        )
    if terms.claim_deadline > terms.payment_date + MAX_CLAIM_PERIOD:
        raise UserError(
            "claim_deadline",
            f"claim deadline {date(terms.claim_deadline)} is more than 3650 days after the "
            "payment date",
        )


def _check_after_last(book: Any, token: Any, record_date: int) -> None:
    """The record date is not before the instrument's last one (equal to it shares it)."""
    n = int(book.recordDateCount(token.address))
    if n == 0:
        return
    last = int(book.recordDateOf(token.address, n))
    if record_date < last:
        raise UserError(
            "record_date",
            f"record date {date(record_date)} is before {isin_of(token)}'s last scheduled record "
            f"date {date(last)}: record dates of an instrument only move forward",
        )


def announce(lifecycle: Lifecycle, signer: Any, terms: DistributionTerms, event_ref: str) -> int:
    """Announce a distribution (and schedule its record date); returns its id."""
    check_announce(lifecycle, signer.address, terms, event_ref, pending_timestamp())
    receipt = send(
        lifecycle.distributions.announce,
        terms.as_tuple(),
        event_ref,
        sender=signer,
        field="terms",
    )
    for event in events_of(receipt, lifecycle.distributions, ["DistributionAnnounced"]):
        return int(event.args["id"])
    raise UserError("terms", "the receipt has no DistributionAnnounced event")


# ---------------------------------------------------------------- fund


def check_fund(
    lifecycle: Lifecycle, signer: str, distribution_id: int, *, approving: bool = True
) -> int:
    """The cash `fund` would pull from `signer` (what is missing); refused when the per-unit
    record date has not passed, the distribution is funded, the deadline has passed, or the
    signer's cash (and, unless `approving`, its allowance) falls short."""
    d = read(lifecycle, distribution_id)
    now = pending_timestamp()
    if now >= d.claim_deadline:
        raise UserError(
            "distribution",
            f"{d.id}: the claim deadline {date(d.claim_deadline)} has passed: it can no longer "
            "be funded",
        )
    required = d.required()
    if required is None:
        raise UserError(
            "distribution",
            f"{d.id}: the record date {date(d.record_date)} has not passed: a per-unit "
            "distribution's amount is known only once balances at it are final",
        )
    missing = required - d.funded
    if missing <= 0:
        cash = cash_token(d.cash_token)
        raise UserError(
            "distribution", f"{d.id} is already funded ({units_text(cash, d.funded)} received)"
        )
    check_cash(
        cash_token(d.cash_token),
        signer,
        lifecycle.distributions.address,
        missing,
        approving=approving,
    )
    return missing


def fund(lifecycle: Lifecycle, signer: Any, distribution_id: int) -> int:
    """Approve exactly the missing amount, then fund; returns the cash pulled."""
    missing = check_fund(lifecycle, signer.address, distribution_id)
    d = read(lifecycle, distribution_id)
    approve_exactly(cash_token(d.cash_token), signer, lifecycle.distributions.address, missing)
    receipt = send(
        lifecycle.distributions.fund, distribution_id, sender=signer, field="distribution"
    )
    for event in events_of(receipt, lifecycle.distributions, ["DistributionFunded"]):
        return int(event.args["amount"])
    return missing


# ---------------------------------------------------------------- entitlements and claims


def _require_record_date_passed(d: Distribution, what: str) -> None:
    if pending_timestamp() <= d.record_date:
        raise UserError(
            "distribution",
            f"{d.id}: the record date {date(d.record_date)} has not passed: {what}",
        )


def balance_at_record_date(lifecycle: Lifecycle, distribution_id: int, holder: str) -> int:
    """`holder`'s units at the distribution's record date (once it has passed)."""
    d = read(lifecycle, distribution_id)
    _require_record_date_passed(d, "balances at it are not final yet")
    book = _book(d)
    return int(view(book.balanceAt, d.token, holder, d.record_date_id))


def entitlement(lifecycle: Lifecycle, distribution_id: int, holder: str) -> int:
    """`holder`'s entitlement in cash smallest units (once the record date has passed)."""
    d = read(lifecycle, distribution_id)
    _require_record_date_passed(d, "entitlements are fixed once it has")
    return int(view(lifecycle.distributions.entitlementOf, distribution_id, holder))


def _check_open(d: Distribution, now: int) -> None:
    """Payment may happen: from the payment date, before the deadline, fully funded."""
    if now < d.payment_date:
        raise UserError(
            "distribution", f"{d.id}: payment starts at the payment date {date(d.payment_date)}"
        )
    if now >= d.claim_deadline:
        raise UserError(
            "distribution",
            f"{d.id}: the claim deadline {date(d.claim_deadline)} has passed (held entitlements "
            "excepted); what is left can be swept",
        )
    required = d.required() or 0
    if d.funded < required:
        raise UserError(
            "distribution", f"{d.id} is underfunded: requires {required}, funded {d.funded}"
        )


def check_claim(lifecycle: Lifecycle, holder: str, distribution_id: int) -> int:
    """What `claim` by `holder` pays or holds back (its entitlement, or its held amount); refused
    before the payment date, after the deadline (unless held), while underfunded, when nothing is
    due and when already paid."""
    d = read(lifecycle, distribution_id)
    now = pending_timestamp()
    status, held = _entry(lifecycle, distribution_id, holder)
    if status in (PAID, RELEASED):
        how = "paid" if status == PAID else "released to another wallet"
        raise UserError("distribution", f"{d.id}: {holder} was already {how}")
    token = security(d.token)
    if status == HELD:
        why = ineligibility(token, holder, now)
        if why is not None:
            raise UserError(
                "account",
                f"{holder}'s entitlement of {held} is held: {reason_text(why)}",
            )
        return held
    _check_open(d, now)
    amount = entitlement(lifecycle, distribution_id, holder)
    if amount < 1:
        units = balance_at_record_date(lifecycle, distribution_id, holder)
        if units == 0:
            raise UserError(
                "account",
                f"{holder} held no units of {isin_of(token)} at the record date "
                f"{date(d.record_date)}: nothing to claim",
            )
        raise UserError(
            "account",
            f"{holder}'s {units_text(token, units)} at the record date are worth less than one "
            "cash unit: nothing to claim",
        )
    return amount


@dataclass(frozen=True)
class ClaimResult:
    """A claim: `paid` to the holder, or `held` for `reason` (then nothing moved)."""

    holder: str
    paid: int
    held: int
    reason: str | None
    tx_hash: str


def claim(lifecycle: Lifecycle, signer: Any, distribution_id: int) -> ClaimResult:
    """Claim the signer's entitlement (or its held amount, once eligible)."""
    check_claim(lifecycle, signer.address, distribution_id)
    receipt = send(
        lifecycle.distributions.claim, distribution_id, sender=signer, field="distribution"
    )
    tx = hex_hash(receipt.txn_hash)
    for event in events_of(
        receipt, lifecycle.distributions, ["EntitlementPaid", "EntitlementHeld"]
    ):
        if event.name == "EntitlementPaid":
            return ClaimResult(signer.address, int(event.args["amount"]), 0, None, tx)
        reason = reason_name(event.args["reason"])
        return ClaimResult(signer.address, 0, int(event.args["amount"]), reason, tx)
    raise UserError("distribution", "the receipt reports neither a payment nor a hold")


# ---------------------------------------------------------------- pay in batches


def holders_at_record_date(lifecycle: Lifecycle, distribution_id: int) -> list[str]:
    """Every wallet that held units at the record date (from the token's Transfer events up to
    the record date's block, kept when its balance then was not 0), ascending."""
    d = read(lifecycle, distribution_id)
    _require_record_date_passed(d, "its holders are not final yet")
    token = security(d.token)
    start = token_start_block(lifecycle.record, token)
    return holders_at(token, _book(d), d.record_date_id, d.record_date, start)


def check_pay(lifecycle: Lifecycle, signer: str, distribution_id: int, holders: list[str]) -> None:
    """Everything `pay` would refuse: the signer is the instrument's corporate-action agent, some
    holders are given, and (before the deadline) payment has started and is fully funded. After
    the deadline only held entitlements are paid."""
    d = read(lifecycle, distribution_id)
    require_agent(security(d.token), signer)
    if not holders:
        raise UserError("holders", "no holder to pay")
    now = pending_timestamp()
    if now < d.claim_deadline:
        _check_open(d, now)


@dataclass(frozen=True)
class PayRow:
    """What a batch did for one holder: ``paid``, ``held`` or ``skipped`` (with the reason)."""

    holder: str
    outcome: str
    amount: int
    reason: str | None
    tx_hash: str


@dataclass
class PayResult:
    """A whole payment run: every holder's row, and the transactions sent."""

    rows: list[PayRow] = field(default_factory=list)
    transactions: list[str] = field(default_factory=list)

    @property
    def paid(self) -> int:
        return sum(r.amount for r in self.rows if r.outcome == "paid")

    @property
    def held(self) -> int:
        return sum(r.amount for r in self.rows if r.outcome == "held")

    def count(self, outcome: str) -> int:
        return sum(1 for r in self.rows if r.outcome == outcome)


def pay(
    lifecycle: Lifecycle,
    signer: Any,
    distribution_id: int,
    holders: list[str] | None = None,
    *,
    batch_size: int = MAX_BATCH,
    progress: Progress = None,
) -> PayResult:
    """Pay `holders` (default: every holder at the record date) in batches of at most
    `batch_size` (<= MAX_BATCH), ascending. Each holder is paid, held (frozen, ineligible, system
    account) or skipped (already paid, nothing due); run again after an interruption, it pays
    nobody twice (the contract skips who is paid). `progress(done, total)` after each batch."""
    if not 1 <= batch_size <= MAX_BATCH:
        raise UserError("batch_size", f"a batch pays 1 to {MAX_BATCH} holders, not {batch_size}")
    wanted = holders_at_record_date(lifecycle, distribution_id) if holders is None else holders
    ordered = sorted_unique(wanted)
    check_pay(lifecycle, signer.address, distribution_id, ordered)
    rows, transactions = send_batches(
        lifecycle.distributions.pay,
        distribution_id,
        ordered,
        signer=signer,
        batch_size=batch_size,
        rows_of=lambda receipt, batch: _pay_rows(lifecycle, receipt, batch),
        progress=progress,
    )
    return PayResult(rows, transactions)


def _pay_rows(lifecycle: Lifecycle, receipt: Any, batch: list[str]) -> list[PayRow]:
    names = ["EntitlementPaid", "EntitlementHeld", "PaymentSkipped"]
    tx = hex_hash(receipt.txn_hash)
    rows: dict[str, PayRow] = {}
    for event in events_of(receipt, lifecycle.distributions, names):
        holder = checksum(event.args["holder"])
        if event.name == "EntitlementPaid":
            rows[holder] = PayRow(holder, "paid", int(event.args["amount"]), None, tx)
        elif event.name == "EntitlementHeld":
            reason = reason_name(event.args["reason"])
            rows[holder] = PayRow(holder, "held", int(event.args["amount"]), reason, tx)
        else:
            rows[holder] = PayRow(holder, "skipped", 0, reason_name(event.args["reason"]), tx)
    return [rows.get(h, PayRow(h, "skipped", 0, None, tx)) for h in batch]


# ---------------------------------------------------------------- release and sweep


def check_release(
    lifecycle: Lifecycle,
    signer: str,
    distribution_id: int,
    holder: str,
    to: list[str],
    amounts: list[int],
) -> int:
    """Everything `release` would refuse; returns the total released. The signer is the
    instrument's registrar, `holder` has a held entitlement, the amounts (1 to MAX_BATCH of them,
    as many as recipients) add up to at most what is held, and each recipient is an eligible,
    unfrozen wallet of the holder's investor (any investor's for a system account)."""
    d = read(lifecycle, distribution_id)
    token = security(d.token)
    require_registrar(token, signer)
    if not 1 <= len(to) <= MAX_BATCH or len(amounts) != len(to):
        raise UserError(
            "to", f"give 1 to {MAX_BATCH} recipients, each with its amount ({len(to)} recipients, "
            f"{len(amounts)} amounts)",
        )  # fmt: skip
    status, held = _entry(lifecycle, distribution_id, holder)
    if status != HELD:
        raise UserError(
            "holder",
            f"{holder} has no held entitlement in distribution {d.id} ({STATUSES[status]})",
        )
    total = sum(amounts)
    if any(a < 0 for a in amounts) or total == 0 or total > held:
        raise UserError(
            "amounts", f"the amounts add up to {total}: give 1 to the {held} held for {holder}"
        )
    now = pending_timestamp()
    for recipient in to:
        check_recipient(token, holder, recipient, now, system_any=True)
    return total


def release(
    lifecycle: Lifecycle,
    signer: Any,
    distribution_id: int,
    holder: str,
    to: list[str],
    amounts: list[int],
) -> int:
    """Pay (part of) `holder`'s held entitlement to `to` (registrar); returns the total."""
    total = check_release(lifecycle, signer.address, distribution_id, holder, to, amounts)
    send(
        lifecycle.distributions.release,
        distribution_id,
        holder,
        to,
        amounts,
        sender=signer,
        field="to",
    )
    return total


def check_sweep(lifecycle: Lifecycle, signer: str, distribution_id: int) -> int:
    """What `sweep` sends back to the announcer: refused before the claim deadline and when
    nothing is left (held entitlements stay)."""
    d = read(lifecycle, distribution_id)
    if pending_timestamp() < d.claim_deadline:
        raise UserError(
            "distribution",
            f"{d.id}: nothing is swept before the claim deadline {date(d.claim_deadline)}",
        )
    if d.unclaimed < 1:
        raise UserError("distribution", f"{d.id}: nothing left to sweep")
    return d.unclaimed


def sweep(lifecycle: Lifecycle, signer: Any, distribution_id: int) -> int:
    """Send what was neither paid nor held back to the announcer (anyone may); returns it."""
    amount = check_sweep(lifecycle, signer.address, distribution_id)
    send(lifecycle.distributions.sweep, distribution_id, sender=signer, field="distribution")
    return amount


# ---------------------------------------------------------------- status


@dataclass(frozen=True)
class HolderStatus:
    """One holder at the record date: its units then, its entitlement, where it stands."""

    holder: str
    balance_at_record: int
    entitled: int
    status: str  # none, paid, held, released
    held: int


def status_rows(lifecycle: Lifecycle, distribution_id: int) -> list[HolderStatus]:
    """Every holder at the record date with its entitlement and status, ascending; empty while
    the record date has not passed (balances at it are not final)."""
    d = read(lifecycle, distribution_id)
    if pending_timestamp() <= d.record_date:
        return []
    book = _book(d)
    rows = []
    for holder in holders_at_record_date(lifecycle, distribution_id):
        status, held = _entry(lifecycle, distribution_id, holder)
        rows.append(
            HolderStatus(
                holder=holder,
                balance_at_record=int(view(book.balanceAt, d.token, holder, d.record_date_id)),
                entitled=int(view(lifecycle.distributions.entitlementOf, d.id, holder)),
                status=STATUSES[status],
                held=held,
            )
        )
    return rows


def totals(d: Distribution) -> dict[str, int | None]:
    """Funded, paid, held, swept, unclaimed (includes the rounding remainder) and required."""
    return {
        "funded": d.funded,
        "paid": d.paid,
        "held": d.held,
        "swept": d.swept,
        "unclaimed": d.unclaimed,
        "required": d.required(),
    }

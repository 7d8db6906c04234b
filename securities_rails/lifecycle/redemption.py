"""Redemption of an instrument's units against cash: every unit at maturity (``full``) or a fraction
of each holding at a record date (``pro-rata``). Units are burned as they are paid for, in the same
transaction: ``cash = floor(units * price / 10^decimals)``.

As in :mod:`securities_rails.lifecycle.distributions`, every action checks on the chain what the
contract would refuse (roles, dates, funding, each holder's record and units, eligibility) and
raises a UserError naming the field before anything is sent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ape.exceptions import ContractLogicError
from eth_utils import to_checksum_address

from securities_rails.chain.contracts import at, pending_timestamp
from securities_rails.chain.transact import send
from securities_rails.errors import UserError
from securities_rails.identifiers import from_fixed_bytes, parse_reference
from securities_rails.lifecycle import common
from securities_rails.lifecycle.common import (
    UINT40_MAX,
    UINT128_MAX,
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

KINDS = ("full", "pro-rata")  # IRedemption.Kind, by index
FULL, PRO_RATA = 0, 1
STATUSES = ("none", "redeemed", "held")  # IRedemption.Status, by index
NONE, REDEEMED, HELD = range(3)
MAX_BATCH = 100  # Redemption.MAX_BATCH
MAX_PERIOD = 3650 * 24 * 3600  # Redemption.MAX_PERIOD
NOMINAL_DECIMALS = 18


# ---------------------------------------------------------------- terms and reading


@dataclass(frozen=True)
class RedemptionTerms:
    """What the agent announces (IRedemption.Terms). ``price_per_unit`` is cash (smallest units)
    per whole unit, 0 for the instrument's nominal value; ``numerator / denominator`` the fraction
    of each holding (pro rata); ``record_date`` 0 for a full redemption."""

    token: str
    cash_token: str
    kind: str
    price_per_unit: int
    numerator: int
    denominator: int
    record_date: int
    start_date: int
    deadline: int

    def as_tuple(self) -> tuple[str, str, int, int, int, int, int, int, int]:
        """The Solidity Terms struct, in field order."""
        return (
            self.token,
            self.cash_token,
            KINDS.index(self.kind),
            self.price_per_unit,
            self.numerator,
            self.denominator,
            self.record_date,
            self.start_date,
            self.deadline,
        )


@dataclass(frozen=True)
class Redemption:
    """A redemption as stored (IRedemption.Redemption), with its id and the cash it requires now
    (None for a pro-rata one before its record date has passed)."""

    id: int
    token: str
    record_date: int
    start_date: int
    kind: str
    cash_token: str
    deadline: int
    token_decimals: int
    record_dates: str
    record_date_id: int
    issuer: str
    price: int
    numerator: int
    denominator: int
    funded: int
    paid: int
    reserved: int
    swept: int
    units_redeemed: int
    units_held: int
    event_ref: str
    required_amount: int | None = field(default=None, compare=False)

    def required(self) -> int | None:
        return self.required_amount

    @property
    def unused(self) -> int:
        """Cash kept that is neither paid, reserved for held units nor swept."""
        return self.funded - self.paid - self.reserved - self.swept

    def cash_for(self, units: int) -> int:
        """``floor(units * price / 10^decimals)``."""
        return units * self.price // 10**self.token_decimals


def count(lifecycle: Lifecycle) -> int:
    return int(lifecycle.redemption.redemptionCount())


def read(lifecycle: Lifecycle, redemption_id: int, field: str = "redemption") -> Redemption:
    """Redemption `redemption_id`; UserError when there is none."""
    last = count(lifecycle)
    if not isinstance(redemption_id, int) or not 1 <= redemption_id <= last:
        known = f"ids 1 to {last}" if last else "none announced yet"
        raise UserError(field, f"no redemption {redemption_id} ({known})")
    raw = lifecycle.redemption.redemption(redemption_id)
    kind = KINDS[int(raw.kind)]
    record_date = int(raw.recordDate)
    required = None
    if kind == "full" or pending_timestamp() > record_date:
        required = int(view(lifecycle.redemption.required, redemption_id, field=field))
    return Redemption(
        id=redemption_id,
        token=to_checksum_address(raw.token),
        record_date=record_date,
        start_date=int(raw.startDate),
        kind=kind,
        cash_token=to_checksum_address(raw.cashToken),
        deadline=int(raw.deadline),
        token_decimals=int(raw.tokenDecimals),
        record_dates=to_checksum_address(raw.recordDates),
        record_date_id=int(raw.recordDateId),
        issuer=to_checksum_address(raw.issuer),
        price=int(raw.price),
        numerator=int(raw.numerator),
        denominator=int(raw.denominator),
        funded=int(raw.funded),
        paid=int(raw.paid),
        reserved=int(raw.reserved),
        swept=int(raw.swept),
        units_redeemed=int(raw.unitsRedeemed),
        units_held=int(raw.unitsHeld),
        event_ref=str(raw.eventRef),
        required_amount=required,
    )


def redemptions_of(lifecycle: Lifecycle, token: str | None = None) -> list[Redemption]:
    """Every redemption (of `token` only, when given), oldest first."""
    found = [read(lifecycle, i) for i in range(1, count(lifecycle) + 1)]
    if token is None:
        return found
    return [r for r in found if same_address(r.token, token)]


def find_by_reference(lifecycle: Lifecycle, reference: str, field: str = "redemption") -> int:
    """The id of the redemption announced with `reference`; refused when none or several."""
    ids = [r.id for r in redemptions_of(lifecycle) if r.event_ref == reference]
    if not ids:
        raise UserError(field, f"no redemption has the reference {reference!r}")
    if len(ids) > 1:
        listed = ", ".join(map(str, ids))
        raise UserError(
            field,
            f"{len(ids)} redemptions have the reference {reference!r}: give the id ({listed})",
        )
    return ids[0]


def _entry(lifecycle: Lifecycle, redemption_id: int, holder: str) -> tuple[int, int]:
    raw = lifecycle.redemption.entry(redemption_id, holder)
    return int(raw.status), int(raw.units)


def entry(lifecycle: Lifecycle, redemption_id: int, holder: str) -> tuple[str, int]:
    """`holder`'s record: its status (none, redeemed, held) and its units (held now, or burned
    by its last redemption)."""
    status, units = _entry(lifecycle, redemption_id, holder)
    return STATUSES[status], units


def _book(r: Redemption) -> Any:
    return at("RecordDates", r.record_dates)


# ---------------------------------------------------------------- announce


def nominal_price(token: Any, cash: Any) -> int:
    """The instrument's nominal value per whole unit in the cash token's smallest units, exactly
    (the contract's default price); refused when the cash token is in another currency or the
    nominal does not convert exactly."""
    data = token.instrument()
    currency = from_fixed_bytes(bytes(data.currency))
    try:
        cash_currency = from_fixed_bytes(bytes(cash.currency()))
    except (ContractLogicError, AttributeError):
        cash_currency = None
    if cash_currency is not None and cash_currency != currency:
        raise UserError(
            "cash_token",
            f"the cash token is in {cash_currency}, the instrument in {currency}: give a price "
            "to redeem at its nominal value in another currency",
        )
    nominal = int(data.nominalPerUnit)
    decimals = int(cash.decimals())
    if decimals >= NOMINAL_DECIMALS:
        price = nominal * 10 ** (decimals - NOMINAL_DECIMALS)
    else:
        unit = 10 ** (NOMINAL_DECIMALS - decimals)
        if nominal % unit:
            raise UserError(
                "price",
                f"the nominal {nominal / 10**NOMINAL_DECIMALS} does not convert exactly to a cash "
                f"token of {decimals} decimals: give the price",
            )
        price = nominal // unit
    if price == 0:
        raise UserError("price", "the instrument's nominal value is 0: give the price")
    return price


def check_announce(
    lifecycle: Lifecycle, signer: str, terms: RedemptionTerms, event_ref: str, now: int
) -> int:
    """Everything `announce` would refuse, at time `now`; returns the effective price."""
    parse_reference(event_ref, "reference")
    if terms.kind not in KINDS:
        raise UserError("kind", f"unknown kind {terms.kind!r}: use {' or '.join(KINDS)}")
    require_contract("token", terms.token, "instrument")
    require_contract("cash_token", terms.cash_token, "cash token")
    if same_address(terms.cash_token, terms.token):
        raise UserError("cash_token", "the cash token is the instrument itself")
    for name in ("record_date", "start_date", "deadline"):
        check_fits(name, getattr(terms, name), UINT40_MAX)
    check_fits("price", terms.price_per_unit, UINT256_MAX)
    token = security(terms.token)
    if terms.kind == "full":
        _check_full(token, terms)
    else:
        _check_pro_rata(terms, now)
    _check_deadline(terms, now)
    price = terms.price_per_unit or nominal_price(token, cash_token(terms.cash_token))
    require_agent(token, signer)
    book = require_book(token, lifecycle.redemption, "redemption", issuer=True)
    if terms.kind == "pro-rata":
        _check_after_last(book, token, terms.record_date)
    return price


def _check_full(token: Any, terms: RedemptionTerms) -> None:
    maturity = int(token.instrument().maturity)
    if maturity == 0:
        raise UserError(
            "kind",
            f"{isin_of(token)} has no maturity: a full redemption is at maturity (use pro-rata)",
        )
    if terms.record_date != 0:
        raise UserError("record_date", "a full redemption has no record date: give none")
    if terms.start_date < maturity:
        raise UserError(
            "start_date",
            f"start date {date(terms.start_date)} is before the maturity {date(maturity)}",
        )


def _check_pro_rata(terms: RedemptionTerms, now: int) -> None:
    check_fits("numerator", terms.numerator, UINT128_MAX)
    check_fits("denominator", terms.denominator, UINT128_MAX)
    if not 0 < terms.numerator <= terms.denominator:
        raise UserError(
            "fraction",
            f"{terms.numerator}/{terms.denominator} is not a fraction of a holding: "
            "0 < numerator <= denominator",
        )
    if terms.record_date <= now:
        raise UserError(
            "record_date",
            f"record date {date(terms.record_date)} is in the past (chain time {date(now)}): "
            "give a date after it",
        )
    if terms.record_date > now + MAX_PERIOD:
        raise UserError(
            "record_date", f"record date {date(terms.record_date)} is more than 3650 days ahead"
        )
    if terms.start_date <= terms.record_date:
        raise UserError(
            "start_date",
            f"start date {date(terms.start_date)} is not after the record date "
            f"{date(terms.record_date)}",
        )


def _check_deadline(terms: RedemptionTerms, now: int) -> None:
    if terms.deadline <= terms.start_date or terms.deadline <= now:
        raise UserError(
            "deadline",
            f"deadline {date(terms.deadline)} is not after the start date "
            f"{date(terms.start_date)} and the chain time {date(now)}",
        )
    if terms.deadline > terms.start_date + MAX_PERIOD:
        raise UserError(
            "deadline", f"deadline {date(terms.deadline)} is more than 3650 days after the start"
        )


def _check_after_last(book: Any, token: Any, record_date: int) -> None:
    n = int(book.recordDateCount(token.address))
    if n and record_date < (last := int(book.recordDateOf(token.address, n))):
        raise UserError(
            "record_date",
            f"record date {date(record_date)} is before {isin_of(token)}'s last scheduled record "
            f"date {date(last)}: record dates of an instrument only move forward",
        )


def announce(lifecycle: Lifecycle, signer: Any, terms: RedemptionTerms, event_ref: str) -> int:
    """Announce a redemption (pro rata: and schedule its record date); returns its id."""
    check_announce(lifecycle, signer.address, terms, event_ref, pending_timestamp())
    receipt = send(
        lifecycle.redemption.announce, terms.as_tuple(), event_ref, sender=signer, field="terms"
    )
    for event in events_of(receipt, lifecycle.redemption, ["RedemptionAnnounced"]):
        return int(event.args["id"])
    raise UserError("terms", "the receipt has no RedemptionAnnounced event")


# ---------------------------------------------------------------- fund


def check_fund(
    lifecycle: Lifecycle, signer: str, redemption_id: int, *, approving: bool = True
) -> int:
    """The cash `fund` would pull (what is missing now); refused after the deadline, before a
    pro-rata record date has passed, when nothing is missing, and when the signer's cash (unless
    `approving`, its allowance too) falls short."""
    r = read(lifecycle, redemption_id)
    if pending_timestamp() >= r.deadline:
        raise UserError(
            "redemption", f"{r.id}: the deadline {date(r.deadline)} has passed: it is not funded"
        )
    required = r.required()
    if required is None:
        raise UserError(
            "redemption",
            f"{r.id}: the record date {date(r.record_date)} has not passed: the amount is known "
            "once balances at it are final",
        )
    missing = required - r.funded
    if missing <= 0:
        cash = cash_token(r.cash_token)
        raise UserError(
            "redemption", f"{r.id} is already funded ({units_text(cash, r.funded)} received)"
        )
    cash = cash_token(r.cash_token)
    check_cash(cash, signer, lifecycle.redemption.address, missing, approving=approving)
    return missing


def fund(lifecycle: Lifecycle, signer: Any, redemption_id: int) -> int:
    """Approve exactly the missing amount, then fund; returns the cash pulled."""
    missing = check_fund(lifecycle, signer.address, redemption_id)
    r = read(lifecycle, redemption_id)
    approve_exactly(cash_token(r.cash_token), signer, lifecycle.redemption.address, missing)
    receipt = send(lifecycle.redemption.fund, redemption_id, sender=signer, field="redemption")
    for event in events_of(receipt, lifecycle.redemption, ["RedemptionFunded"]):
        return int(event.args["amount"])
    return missing


# ---------------------------------------------------------------- redeem


def redeemable(lifecycle: Lifecycle, redemption_id: int, holder: str) -> tuple[int, int]:
    """The units `holder` would redeem now and their cash (held units, when held)."""
    r = read(lifecycle, redemption_id)
    if r.kind == "pro-rata" and pending_timestamp() <= r.record_date:
        raise UserError(
            "redemption",
            f"{r.id}: the record date {date(r.record_date)} has not passed: the units due are "
            "fixed once it has",
        )
    units, payment = view(lifecycle.redemption.redeemable, redemption_id, holder)
    return int(units), int(payment)


def _check_open(r: Redemption, now: int) -> None:
    if now < r.start_date:
        raise UserError("redemption", f"{r.id}: redemption opens at {date(r.start_date)}")
    if now >= r.deadline:
        raise UserError(
            "redemption",
            f"{r.id}: the deadline {date(r.deadline)} has passed (held units excepted); what is "
            "left can be swept",
        )
    required = r.required() or 0
    if r.funded < required:
        raise UserError(
            "redemption", f"{r.id} is underfunded: requires {required}, funded {r.funded}"
        )


def check_redeem(lifecycle: Lifecycle, holder: str, redemption_id: int) -> tuple[int, int]:
    """The units and cash `redeem` by `holder` would burn and pay (or hold, when the wallet cannot
    be redeemed now: frozen, frozen units, ineligible). Refused outside the period (held units
    excepted), while underfunded, for a system account, with nothing to redeem, when already
    redeemed (pro rata), and when the wallet no longer holds the units due."""
    r = read(lifecycle, redemption_id)
    token = security(r.token)
    now = pending_timestamp()
    status, held_units = _entry(lifecycle, redemption_id, holder)
    if status == HELD:
        why = ineligibility(token, holder, now, units_frozen=True)
        if why is not None:
            raise UserError(
                "account",
                f"{holder}'s {units_text(token, held_units)} are held: {reason_text(why)}",
            )
        _check_units(token, r, holder, held_units)
        return held_units, r.cash_for(held_units)
    _check_open(r, now)
    if r.kind == "pro-rata" and status == REDEEMED:
        raise UserError("redemption", f"{r.id}: {holder} already redeemed its pro-rata units")
    units, payment = redeemable(lifecycle, redemption_id, holder)
    if units < 1:
        when = "now" if r.kind == "full" else f"at the record date {date(r.record_date)}"
        raise UserError(
            "account", f"{holder} holds no units of {isin_of(token)} to redeem ({when})"
        )
    why = ineligibility(token, holder, now, units_frozen=True)
    if why == "SYSTEM_ACCOUNT":
        raise UserError(
            "account",
            f"{holder} is a system account: the units it keeps are redeemed once they leave it",
        )
    if why is None:
        _check_units(token, r, holder, units)
    return units, payment


def _check_units(token: Any, r: Redemption, holder: str, units: int) -> None:
    balance = int(token.balanceOf(holder))
    if balance < units:
        raise UserError(
            "account",
            f"{holder} holds {units_text(token, balance)}; redemption {r.id} burns "
            f"{units_text(token, units)}",
        )


@dataclass(frozen=True)
class RedeemRow:
    """What happened to one holder: ``redeemed`` (units burned, cash paid), ``held`` (units and
    cash recorded as held) or ``skipped`` (with the reason)."""

    holder: str
    outcome: str
    units: int
    payment: int
    reason: str | None
    tx_hash: str


def redeem(lifecycle: Lifecycle, signer: Any, redemption_id: int) -> RedeemRow:
    """Redeem the signer's own units (or its held units, once eligible)."""
    check_redeem(lifecycle, signer.address, redemption_id)
    receipt = send(lifecycle.redemption.redeem, redemption_id, sender=signer, field="redemption")
    rows = _rows(lifecycle, receipt, [checksum(signer.address)])
    return rows[0]


def holders_now(lifecycle: Lifecycle, token: str) -> list[str]:
    """Every wallet holding units of `token` now (from its Transfer events), ascending."""
    instrument = security(token)
    return common.holders_now(instrument, token_start_block(lifecycle.record, instrument))


def holders_of(lifecycle: Lifecycle, redemption_id: int) -> list[str]:
    """Who a batch redeems by default: the holders now (full), or the holders at the record date
    (pro rata, once it has passed)."""
    r = read(lifecycle, redemption_id)
    token = security(r.token)
    if r.kind == "full":
        return holders_now(lifecycle, r.token)
    if pending_timestamp() <= r.record_date:
        raise UserError(
            "redemption", f"{r.id}: the record date {date(r.record_date)} has not passed"
        )
    start = token_start_block(lifecycle.record, token)
    return common.holders_at(token, _book(r), r.record_date_id, r.record_date, start)


def check_redeem_for(
    lifecycle: Lifecycle, signer: str, redemption_id: int, holders: list[str]
) -> None:
    """Everything `redeemFor` would refuse: the signer is the corporate-action agent, holders are
    given, and (until the deadline) the redemption is open and funded. After the deadline only
    held units are redeemed."""
    r = read(lifecycle, redemption_id)
    require_agent(security(r.token), signer)
    if not holders:
        raise UserError("holders", "no holder to redeem")
    now = pending_timestamp()
    if now < r.deadline:
        _check_open(r, now)


@dataclass
class RedeemResult:
    """A whole batched run: every holder's row, and the transactions sent."""

    rows: list[RedeemRow] = field(default_factory=list)
    transactions: list[str] = field(default_factory=list)

    @property
    def units(self) -> int:
        return sum(r.units for r in self.rows if r.outcome == "redeemed")

    @property
    def paid(self) -> int:
        return sum(r.payment for r in self.rows if r.outcome == "redeemed")

    def count(self, outcome: str) -> int:
        return sum(1 for r in self.rows if r.outcome == outcome)


def redeem_for(
    lifecycle: Lifecycle,
    signer: Any,
    redemption_id: int,
    holders: list[str] | None = None,
    *,
    batch_size: int = MAX_BATCH,
    progress: Progress = None,
) -> RedeemResult:
    """Redeem `holders` (default: see `holders_of`) in ascending batches of at most `batch_size`;
    each is redeemed, held or skipped with its reason. Resumable: who is redeemed is skipped
    (pro rata) or has no unit left (full). `progress(done, total)` after each batch."""
    if not 1 <= batch_size <= MAX_BATCH:
        raise UserError("batch_size", f"a batch redeems 1 to {MAX_BATCH} holders, not {batch_size}")
    ordered = sorted_unique(holders_of(lifecycle, redemption_id) if holders is None else holders)
    check_redeem_for(lifecycle, signer.address, redemption_id, ordered)
    rows, transactions = send_batches(
        lifecycle.redemption.redeemFor,
        redemption_id,
        ordered,
        signer=signer,
        batch_size=batch_size,
        rows_of=lambda receipt, batch: _rows(lifecycle, receipt, batch),
        progress=progress,
    )
    return RedeemResult(rows, transactions)


def _rows(lifecycle: Lifecycle, receipt: Any, holders: list[str]) -> list[RedeemRow]:
    names = ["UnitsRedeemed", "RedemptionHeld", "RedemptionSkipped"]
    tx = hex_hash(receipt.txn_hash)
    rows: dict[str, RedeemRow] = {}
    for event in events_of(receipt, lifecycle.redemption, names):
        holder = checksum(event.args["holder"])
        if event.name == "UnitsRedeemed":
            units, payment = int(event.args["units"]), int(event.args["payment"])
            rows[holder] = RedeemRow(holder, "redeemed", units, payment, None, tx)
        elif event.name == "RedemptionHeld":
            units, payment = int(event.args["units"]), int(event.args["payment"])
            reason = reason_name(event.args["reason"])
            rows[holder] = RedeemRow(holder, "held", units, payment, reason, tx)
        else:
            reason = reason_name(event.args["reason"])
            rows[holder] = RedeemRow(holder, "skipped", 0, 0, reason, tx)
    return [rows.get(h, RedeemRow(h, "skipped", 0, 0, None, tx)) for h in holders]


# ---------------------------------------------------------------- release and sweep


def check_release(
    lifecycle: Lifecycle, signer: str, redemption_id: int, holder: str, to: str
) -> tuple[int, int]:
    """Everything `release` would refuse; returns the units burned and the cash paid to `to`.
    The signer is the instrument's registrar, `holder` has held units it still holds, and `to` is
    an eligible, unfrozen wallet of the same investor."""
    r = read(lifecycle, redemption_id)
    token = security(r.token)
    require_registrar(token, signer)
    status, units = _entry(lifecycle, redemption_id, holder)
    if status != HELD:
        raise UserError(
            "holder", f"{holder} has no held units in redemption {r.id} ({STATUSES[status]})"
        )
    check_recipient(token, holder, to, pending_timestamp(), system_any=False)
    _check_units(token, r, holder, units)
    return units, r.cash_for(units)


def release(
    lifecycle: Lifecycle, signer: Any, redemption_id: int, holder: str, to: str
) -> tuple[int, int]:
    """Burn `holder`'s held units and pay their cash to `to` (registrar)."""
    done = check_release(lifecycle, signer.address, redemption_id, holder, to)
    send(lifecycle.redemption.release, redemption_id, holder, to, sender=signer, field="to")
    return done


def check_sweep(lifecycle: Lifecycle, signer: str, redemption_id: int) -> int:
    """What `sweep` sends back to the announcer; refused before the deadline and when nothing is
    left (the cash of held units stays)."""
    r = read(lifecycle, redemption_id)
    if pending_timestamp() < r.deadline:
        raise UserError(
            "redemption", f"{r.id}: nothing is swept before the deadline {date(r.deadline)}"
        )
    if r.unused < 1:
        raise UserError("redemption", f"{r.id}: nothing left to sweep")
    return r.unused


def sweep(lifecycle: Lifecycle, signer: Any, redemption_id: int) -> int:
    """Send the unused cash back to the announcer (anyone may); returns it."""
    amount = check_sweep(lifecycle, signer.address, redemption_id)
    send(lifecycle.redemption.sweep, redemption_id, sender=signer, field="redemption")
    return amount


# ---------------------------------------------------------------- status


@dataclass(frozen=True)
class HolderStatus:
    """One holder: its balance now, what it would redeem now, its record."""

    holder: str
    balance: int
    units_due: int
    payment_due: int
    status: str  # none, redeemed, held
    units: int  # held now, or burned by its last redemption


def status_rows(lifecycle: Lifecycle, redemption_id: int) -> list[HolderStatus]:
    """Every holder (now, or at the record date) with what it would redeem and its record;
    empty for a pro-rata redemption before its record date has passed."""
    r = read(lifecycle, redemption_id)
    if r.kind == "pro-rata" and pending_timestamp() <= r.record_date:
        return []
    token = security(r.token)
    holders = set(holders_of(lifecycle, redemption_id))
    start = common.contract_start_block(lifecycle.record, "Redemption")
    for name in ("UnitsRedeemed", "RedemptionHeld"):
        for event in common.logs_of(lifecycle.redemption, name, start, r.id):
            holders.add(checksum(event.args["holder"]))
    rows = []
    for holder in sorted_unique(holders):
        status, units = _entry(lifecycle, redemption_id, holder)
        due, payment = view(lifecycle.redemption.redeemable, r.id, holder)
        rows.append(
            HolderStatus(
                holder=holder,
                balance=int(token.balanceOf(holder)),
                units_due=int(due),
                payment_due=int(payment),
                status=STATUSES[status],
                units=units,
            )
        )
    return rows


def totals(r: Redemption) -> dict[str, int | None]:
    """Cash funded, paid, reserved (held units), swept, unused, required; units redeemed, held."""
    return {
        "funded": r.funded,
        "paid": r.paid,
        "reserved": r.reserved,
        "swept": r.swept,
        "unused": r.unused,
        "required": r.required(),
        "units_redeemed": r.units_redeemed,
        "units_held": r.units_held,
    }

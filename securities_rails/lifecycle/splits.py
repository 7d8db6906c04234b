"""Splits and consolidations of a share's units at a record date (``ISplits``).

A split ``n:d`` (``n > d``) is a bonus issue: each holder at the record date receives
``floor(b * n / d) - b`` new units, minted to it, with ``b`` its balance at the record date in the
instrument's record-date book. A consolidation (``n < d``) burns ``b - floor(b * n / d)`` from each
holder; it is announced and applied only while the instrument is Suspended, so that nothing moves
units between the announcement, the record date and the burns. Rounding is down, per holder;
the fractions are paid in cash off-chain (or by a distribution), not by the contract.

As in :mod:`securities_rails.lifecycle.distributions`, every action first reads what the chain can
tell (the instrument's roles and state, the split's dates, each holder's record, balance and
whether it can receive a mint) and raises a UserError naming the field when the contract would
refuse, so that a refused action sends nothing and says why. Only then does it send, through
``chain.transact.send``.

A split's new units that the token would refuse to mint (frozen wallet, not registered,
eligibility expired, holding cap, ...) or that fall to a system account are *held*: minted later
(also after the deadline) by `apply_to` or `claim` once the wallet can receive them, or released
by the instrument's registrar to other wallets of the same investor (`release`).
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
    LIFECYCLE_REASONS,
    UINT40_MAX,
    ZERO_ADDRESS,
    Progress,
    check_fits,
    check_recipient,
    checksum,
    date,
    events_of,
    has_role,
    hex_hash,
    holders_at,
    isin_of,
    reason_name,
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
from securities_rails.lifecycle.deploy import (
    CORPORATE_ACTION_ROLE,
    ISSUER_ROLE,
    Lifecycle,
    cfi_of,
    splits_apply,
)
from securities_rails.lifecycle.state import state_of
from securities_rails.reasons import REASONS, TRANSFER_OK, decode_reason
from securities_rails.registry.investors import KINDS as WALLET_KINDS

KINDS = ("split", "consolidation")  # ISplits.Kind, by index
SPLIT, CONSOLIDATION = KINDS
STATUSES = ("none", "applied", "held", "released")  # ISplits.Status, by index
NONE, APPLIED, HELD, RELEASED = range(4)
MAX_BATCH = 100  # Splits.MAX_BATCH
MAX_PERIOD = 3650 * 24 * 3600  # Splits.MAX_PERIOD
MAX_RATIO_TERM = 1_000_000  # Splits.MAX_RATIO_TERM

# Why a batch passes a holder over (Splits' reasons), in words; the token's refusals of a mint
# (why a split's units are held) are described by securities_rails.reasons.
SPLIT_REASONS: dict[str, str] = {
    "ALREADY_APPLIED": "already applied",
    "RELEASED": "its held units were released to other wallets",
    "NOTHING_DUE": "nothing is due: no units at the record date, or rounded to 0",
    "PERIOD_OVER": "the deadline has passed",
    "INSUFFICIENT_UNITS": "the wallet no longer holds the units to burn",
    "SYSTEM_ACCOUNT": LIFECYCLE_REASONS["SYSTEM_ACCOUNT"],
}


def reason_text(reason: bytes | str) -> str:
    """A split's reason in words: ``RECIPIENT_FROZEN (the recipient wallet is frozen ...)``."""
    name = reason_name(reason)
    text = SPLIT_REASONS.get(name)
    if text is None and name in REASONS:
        text = REASONS[name].text
    return f"{name} ({text})" if text else name


# ---------------------------------------------------------------- terms and reading


@dataclass(frozen=True)
class SplitTerms:
    """What the agent announces (ISplits.Terms): ``numerator:denominator`` new units for old
    units; dates are Unix times."""

    token: str
    kind: str
    numerator: int
    denominator: int
    record_date: int
    deadline: int

    def as_tuple(self) -> tuple[str, int, int, int, int, int]:
        """The Solidity Terms struct, in field order."""
        return (
            self.token,
            KINDS.index(self.kind),
            self.numerator,
            self.denominator,
            self.record_date,
            self.deadline,
        )


def parse_ratio(value: str, field: str = "ratio") -> tuple[int, int]:
    """(numerator, denominator) of ``N:D`` (new units for old units): ``2:1`` is a split, ``1:10``
    a consolidation. Each term 1 to 1,000,000; ``N`` and ``D`` differ."""
    text = str(value).replace(" ", "")
    parts = text.split(":")
    if len(parts) != 2 or not all(part.isdigit() for part in parts):
        raise UserError(
            field,
            f"{value!r} is not a ratio: give N:D, new units for old (2:1 a split, 1:10 a "
            "consolidation)",
        )
    numerator, denominator = int(parts[0]), int(parts[1])
    for term in (numerator, denominator):
        if not 1 <= term <= MAX_RATIO_TERM:
            raise UserError(
                field, f"{text}: each term is 1 to {MAX_RATIO_TERM:,} (the contract's limit)"
            )
    if numerator == denominator:
        raise UserError(field, f"{text} changes nothing: a split is N:D with N > D, a "
                        "consolidation N < D")  # fmt: skip
    return numerator, denominator


def kind_of(numerator: int, denominator: int) -> str:
    """``split`` when the ratio adds units (N > D), else ``consolidation``."""
    return SPLIT if numerator > denominator else CONSOLIDATION


@dataclass(frozen=True)
class Split:
    """A split or consolidation as stored (ISplits.Split), with its id."""

    id: int
    token: str
    record_date: int
    deadline: int
    kind: str
    record_dates: str
    record_date_id: int
    issuer: str
    numerator: int
    denominator: int
    minted: int
    burned: int
    held: int
    event_ref: str

    @property
    def ratio(self) -> str:
        return f"{self.numerator}:{self.denominator}"

    def units_after(self, balance: int) -> int:
        """A holding of `balance` at the record date after the action: ``floor(b * n / d)``."""
        return balance * self.numerator // self.denominator

    def due(self, balance: int) -> int:
        """Units minted to (split) or burned from (consolidation) a holding of `balance`."""
        return abs(self.units_after(balance) - balance)


def count(lifecycle: Lifecycle) -> int:
    return int(lifecycle.splits.splitCount())


def read(lifecycle: Lifecycle, split_id: int, field: str = "split") -> Split:
    """Split or consolidation `split_id`; UserError when there is none."""
    last = count(lifecycle)
    if not isinstance(split_id, int) or not 1 <= split_id <= last:
        known = f"ids 1 to {last}" if last else "none announced yet"
        raise UserError(field, f"no split or consolidation {split_id} ({known})")
    raw = lifecycle.splits.split(split_id)
    return Split(
        id=split_id,
        token=to_checksum_address(raw.token),
        record_date=int(raw.recordDate),
        deadline=int(raw.deadline),
        kind=KINDS[int(raw.kind)],
        record_dates=to_checksum_address(raw.recordDates),
        record_date_id=int(raw.recordDateId),
        issuer=to_checksum_address(raw.issuer),
        numerator=int(raw.numerator),
        denominator=int(raw.denominator),
        minted=int(raw.minted),
        burned=int(raw.burned),
        held=int(raw.held),
        event_ref=str(raw.eventRef),
    )


def splits_of(lifecycle: Lifecycle, token: str | None = None) -> list[Split]:
    """Every split and consolidation (of `token` only, when given), oldest first."""
    found = [read(lifecycle, i) for i in range(1, count(lifecycle) + 1)]
    if token is None:
        return found
    return [s for s in found if same_address(s.token, token)]


def find_by_reference(lifecycle: Lifecycle, reference: str, field: str = "split") -> int:
    """The id of the split or consolidation announced with `reference`; refused when none or
    several."""
    ids = [s.id for s in splits_of(lifecycle) if s.event_ref == reference]
    if not ids:
        raise UserError(field, f"no split or consolidation has the reference {reference!r}")
    if len(ids) > 1:
        listed = ", ".join(map(str, ids))
        raise UserError(
            field, f"{len(ids)} splits have the reference {reference!r}: give the id ({listed})"
        )
    return ids[0]


def _book(s: Split) -> Any:
    return at("RecordDates", s.record_dates)


def _entry(lifecycle: Lifecycle, split_id: int, holder: str) -> tuple[int, int]:
    raw = lifecycle.splits.entry(split_id, holder)
    return int(raw.status), int(raw.units)


def entry(lifecycle: Lifecycle, split_id: int, holder: str) -> tuple[str, int]:
    """`holder`'s record: its status (none, applied, held, released) and its units (minted or
    burned when applied, still held when held)."""
    status, units = _entry(lifecycle, split_id, holder)
    return STATUSES[status], units


# ---------------------------------------------------------------- the instrument


def _mint_refusal(token: Any, wallet: str, units: int) -> str | None:
    """The token's reason for refusing a mint of `units` to `wallet` now, or SYSTEM_ACCOUNT; None
    when the contract would mint (its ``_mintRefusal``)."""
    code, reason = token.canTransfer(ZERO_ADDRESS, wallet, units, block_id="pending")
    if int.from_bytes(bytes(code), "big") != TRANSFER_OK:
        return decode_reason(bytes(reason))
    if _is_system(token, wallet):
        return "SYSTEM_ACCOUNT"
    return None


def _is_system(token: Any, wallet: str) -> bool:
    registry = at("InvestorRegistry", token.registry())
    return WALLET_KINDS[int(registry.identityOf(wallet).kind)] == "system"


def _require_not_paused(token: Any, field: str) -> None:
    if token.paused():
        raise UserError(
            field, f"{isin_of(token)} is paused: no unit is minted or burned until it is unpaused"
        )


def _require_state(token: Any, kind: str, field: str) -> None:
    """A split mints: the instrument is active or issued; a consolidation burns: it is
    suspended; neither while paused (the contract's ``_requireState``)."""
    current = state_of(token)
    isin = isin_of(token)
    if kind == CONSOLIDATION and current != "suspended":
        raise UserError(
            field,
            f"{isin} is {current}: a consolidation burns units only while the instrument is "
            "suspended (the agent suspends it with `state --to suspended`)",
        )
    if kind == SPLIT and current not in ("active", "issued"):
        raise UserError(
            field, f"{isin} is {current}: a split mints new units only while active or issued"
        )
    _require_not_paused(token, field)


def _require_splits_roles(lifecycle: Lifecycle, token: Any) -> None:
    """The instrument grants the splits contract the roles it needs (shares only)."""
    contract = lifecycle.splits.address
    if has_role(token, ISSUER_ROLE, contract) and has_role(token, CORPORATE_ACTION_ROLE, contract):
        return
    isin = isin_of(token)
    if not splits_apply(token):
        raise UserError(
            "instrument",
            f"{isin} is not a share (CFI {cfi_of(token)}): splits and consolidations are for "
            "shares, and the splits contract holds no role on it",
        )
    require_book(token, lifecycle.splits, "splits", issuer=True)


# ---------------------------------------------------------------- announce


def check_announce(
    lifecycle: Lifecycle, signer: str, terms: SplitTerms, event_ref: str, now: int
) -> None:
    """Everything `announce` would refuse, checked on the chain at time `now` (and a paused
    instrument); sends nothing."""
    parse_reference(event_ref, "reference")
    if terms.kind not in KINDS:
        raise UserError("kind", f"unknown kind {terms.kind!r}: use {' or '.join(KINDS)}")
    require_contract("token", terms.token, "instrument")
    _check_ratio(terms)
    for name in ("record_date", "deadline"):
        check_fits(name, getattr(terms, name), UINT40_MAX)
    _check_dates(terms, now)
    token = security(terms.token)
    require_agent(token, signer)
    _require_splits_roles(lifecycle, token)
    current = state_of(token)
    if terms.kind == CONSOLIDATION and current != "suspended":
        raise UserError(
            "instrument",
            f"{isin_of(token)} is {current}: a consolidation is announced and applied only while "
            "the instrument is suspended (the agent suspends it with `state --to suspended`)",
        )
    if terms.kind == SPLIT and current in ("matured", "redeemed"):
        raise UserError("instrument", f"{isin_of(token)} is {current}: it is not split any more")
    _require_not_paused(token, "instrument")
    book = require_book(token, lifecycle.splits, "splits", issuer=True)
    _check_after_previous(lifecycle, token, terms.record_date)
    _check_after_last(book, token, terms.record_date)


def _check_ratio(terms: SplitTerms) -> None:
    n, d = terms.numerator, terms.denominator
    for term in (n, d):
        if not isinstance(term, int) or not 1 <= term <= MAX_RATIO_TERM:
            raise UserError("ratio", f"{n}:{d}: each term is 1 to {MAX_RATIO_TERM:,}")
    if terms.kind == SPLIT and n <= d:
        raise UserError("ratio", f"{n}:{d} is not a split: a split gives more units (N > D)")
    if terms.kind == CONSOLIDATION and n >= d:
        raise UserError(
            "ratio", f"{n}:{d} is not a consolidation: a consolidation gives fewer units (N < D)"
        )


def _check_dates(terms: SplitTerms, now: int) -> None:
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
    if terms.deadline <= terms.record_date:
        raise UserError(
            "deadline",
            f"deadline {date(terms.deadline)} is not after the record date "
            f"{date(terms.record_date)}",
        )
    if terms.deadline > terms.record_date + MAX_PERIOD:
        raise UserError(
            "deadline",
            f"deadline {date(terms.deadline)} is more than 3650 days after the record date",
        )


def _check_after_previous(lifecycle: Lifecycle, token: Any, record_date: int) -> None:
    """The record date is after the deadline of the token's previous split or consolidation."""
    previous = splits_of(lifecycle, token.address)
    if previous and record_date <= (last := previous[-1]).deadline:
        raise UserError(
            "record_date",
            f"record date {date(record_date)} is not after the deadline {date(last.deadline)} of "
            f"{isin_of(token)}'s {last.kind} {last.id} ({last.event_ref}): their applications "
            "would overlap",
        )


def _check_after_last(book: Any, token: Any, record_date: int) -> None:
    n = int(book.recordDateCount(token.address))
    if n and record_date < (last := int(book.recordDateOf(token.address, n))):
        raise UserError(
            "record_date",
            f"record date {date(record_date)} is before {isin_of(token)}'s last scheduled record "
            f"date {date(last)}: record dates of an instrument only move forward",
        )


def announce(lifecycle: Lifecycle, signer: Any, terms: SplitTerms, event_ref: str) -> int:
    """Announce a split or consolidation (and schedule its record date); returns its id."""
    check_announce(lifecycle, signer.address, terms, event_ref, pending_timestamp())
    receipt = send(
        lifecycle.splits.announce, terms.as_tuple(), event_ref, sender=signer, field="terms"
    )
    for event in events_of(receipt, lifecycle.splits, ["SplitAnnounced"]):
        return int(event.args["id"])
    raise UserError("terms", "the receipt has no SplitAnnounced event")


# ---------------------------------------------------------------- holders and entitlements


def _require_record_date_passed(s: Split, what: str) -> None:
    if pending_timestamp() <= s.record_date:
        raise UserError(
            "split", f"{s.id}: the record date {date(s.record_date)} has not passed: {what}"
        )


def holders_at_record_date(lifecycle: Lifecycle, split_id: int) -> list[str]:
    """Every wallet that held units at the record date (from the token's Transfer events up to
    the record date's block, kept when its balance then was not 0), ascending."""
    s = read(lifecycle, split_id)
    _require_record_date_passed(s, "its holders are not final yet")
    token = security(s.token)
    start = token_start_block(lifecycle.record, token)
    return holders_at(token, _book(s), s.record_date_id, s.record_date, start)


def balance_at_record_date(lifecycle: Lifecycle, split_id: int, holder: str) -> int:
    """`holder`'s units at the record date (once it has passed)."""
    s = read(lifecycle, split_id)
    _require_record_date_passed(s, "balances at it are not final yet")
    return int(view(_book(s).balanceAt, s.token, holder, s.record_date_id))


def entitlement(lifecycle: Lifecycle, split_id: int, holder: str) -> int:
    """Units due to `holder` (split) or from it (consolidation) by the ratio."""
    s = read(lifecycle, split_id)
    _require_record_date_passed(s, "what each holder is due is fixed once it has")
    return int(view(lifecycle.splits.entitlementOf, split_id, holder))


def _require_applicable(s: Split, token: Any, now: int) -> None:
    """What concerns every holder (the contract's ``_requireApplicable``): the record date has
    passed, a consolidation is before its deadline, and the instrument can mint or burn."""
    _require_record_date_passed(s, "balances at it are not final yet")
    if s.kind == CONSOLIDATION and now >= s.deadline:
        raise UserError(
            "split", f"{s.id}: the deadline {date(s.deadline)} of the consolidation has passed"
        )
    _require_state(token, s.kind, "instrument")


# ---------------------------------------------------------------- apply in batches


def check_apply(lifecycle: Lifecycle, signer: str, split_id: int, holders: list[str]) -> None:
    """Everything `applyTo` would refuse: the signer is the instrument's corporate-action agent,
    holders are given, the record date has passed, a consolidation is before its deadline and the
    instrument suspended, a split's instrument active or issued, and it is not paused. After a
    split's deadline only held units are minted."""
    s = read(lifecycle, split_id)
    token = security(s.token)
    require_agent(token, signer)
    if not holders:
        raise UserError("holders", "no holder to apply the split to")
    _require_applicable(s, token, pending_timestamp())


@dataclass(frozen=True)
class ApplyRow:
    """What happened to one holder: ``applied`` (units minted or burned), ``held`` (a split's
    units recorded, not minted, with the token's reason) or ``skipped`` (with the reason)."""

    holder: str
    outcome: str
    units: int
    reason: str | None
    tx_hash: str


@dataclass
class ApplyResult:
    """A whole batched run: every holder's row, and the transactions sent."""

    rows: list[ApplyRow] = field(default_factory=list)
    transactions: list[str] = field(default_factory=list)

    @property
    def units(self) -> int:
        """Units minted or burned by the run."""
        return sum(r.units for r in self.rows if r.outcome == "applied")

    @property
    def held(self) -> int:
        return sum(r.units for r in self.rows if r.outcome == "held")

    def count(self, outcome: str) -> int:
        return sum(1 for r in self.rows if r.outcome == outcome)


def apply_to(
    lifecycle: Lifecycle,
    signer: Any,
    split_id: int,
    holders: list[str] | None = None,
    *,
    batch_size: int = MAX_BATCH,
    progress: Progress = None,
) -> ApplyResult:
    """Apply the split or consolidation to `holders` (default: every holder at the record date)
    in ascending batches of at most `batch_size`: each is applied, held (split) or skipped with its
    reason. Run again after an interruption it mints or burns nobody twice (the contract skips who
    is applied). `progress(done, total)` after each batch."""
    if not 1 <= batch_size <= MAX_BATCH:
        raise UserError("batch_size", f"a batch applies 1 to {MAX_BATCH} holders, not {batch_size}")
    wanted = holders_at_record_date(lifecycle, split_id) if holders is None else holders
    ordered = sorted_unique(wanted)
    check_apply(lifecycle, signer.address, split_id, ordered)
    rows, transactions = send_batches(
        lifecycle.splits.applyTo,
        split_id,
        ordered,
        signer=signer,
        batch_size=batch_size,
        rows_of=lambda receipt, batch: _rows(lifecycle, receipt, batch),
        progress=progress,
    )
    return ApplyResult(rows, transactions)


def _rows(lifecycle: Lifecycle, receipt: Any, holders: list[str]) -> list[ApplyRow]:
    names = ["SplitApplied", "SplitHeld", "SplitSkipped"]
    tx = hex_hash(receipt.txn_hash)
    rows: dict[str, ApplyRow] = {}
    for event in events_of(receipt, lifecycle.splits, names):
        holder = checksum(event.args["holder"])
        if event.name == "SplitApplied":
            rows[holder] = ApplyRow(holder, "applied", int(event.args["units"]), None, tx)
        elif event.name == "SplitHeld":
            reason = reason_name(event.args["reason"])
            rows[holder] = ApplyRow(holder, "held", int(event.args["units"]), reason, tx)
        else:
            rows[holder] = ApplyRow(holder, "skipped", 0, reason_name(event.args["reason"]), tx)
    return [rows.get(h, ApplyRow(h, "skipped", 0, None, tx)) for h in holders]


# ---------------------------------------------------------------- claim


def check_claim(lifecycle: Lifecycle, holder: str, split_id: int) -> int:
    """The units `claim` by `holder` mints or burns (or holds: a split whose mint the wallet
    cannot receive); refused when already applied or released, with nothing due, after the
    deadline (a split's held units excepted), for a system account, while held units still
    cannot be minted, and when the wallet no longer holds the units to burn."""
    s = read(lifecycle, split_id)
    token = security(s.token)
    now = pending_timestamp()
    _require_applicable(s, token, now)
    status, units = _entry(lifecycle, split_id, holder)
    if status in (APPLIED, RELEASED):
        how = "applied" if status == APPLIED else "released to other wallets"
        raise UserError("split", f"{s.id}: {holder} was already {how}")
    if status == HELD:
        why = _mint_refusal(token, holder, units)
        if why is not None:
            raise UserError(
                "account",
                f"{holder}'s {units_text(token, units)} are held: {reason_text(why)}",
            )
        return units
    if now >= s.deadline:
        raise UserError("split", f"{s.id}: the deadline {date(s.deadline)} has passed")
    due = entitlement(lifecycle, split_id, holder)
    if due < 1:
        raise UserError(
            "account",
            f"{holder} is due nothing by {s.ratio}: its units at the record date "
            f"{date(s.record_date)} were {balance_at_record_date(lifecycle, split_id, holder)}",
        )
    if s.kind == CONSOLIDATION:
        if _is_system(token, holder):
            raise UserError("account", f"{holder}: {reason_text('SYSTEM_ACCOUNT')}: never burned")
        balance = int(token.balanceOf(holder))
        if balance < due:
            raise UserError(
                "account",
                f"{holder} holds {units_text(token, balance)}; consolidation {s.id} burns "
                f"{units_text(token, due)}",
            )
    return due


@dataclass(frozen=True)
class ClaimResult:
    """A claim: ``applied`` (units minted or burned) or ``held`` (a split's, with the reason)."""

    holder: str
    outcome: str
    units: int
    reason: str | None
    tx_hash: str


def claim(lifecycle: Lifecycle, signer: Any, split_id: int) -> ClaimResult:
    """Apply the split or consolidation to the signer's own holding (or mint its held units)."""
    check_claim(lifecycle, signer.address, split_id)
    receipt = send(lifecycle.splits.claim, split_id, sender=signer, field="split")
    row = _rows(lifecycle, receipt, [checksum(signer.address)])[0]
    if row.outcome == "skipped":
        raise UserError("split", "the receipt reports neither an application nor a hold")
    return ClaimResult(row.holder, row.outcome, row.units, row.reason, row.tx_hash)


# ---------------------------------------------------------------- release


def check_release(
    lifecycle: Lifecycle,
    signer: str,
    split_id: int,
    holder: str,
    to: list[str],
    amounts: list[int],
) -> int:
    """Everything `release` would refuse; returns the units released. The signer is the
    instrument's registrar, 1 to MAX_BATCH recipients each with its amount, `holder` has held
    units, the instrument is active or issued and not paused, the amounts add up to 1 to what is
    held, and each recipient is an eligible wallet of the holder's investor (any investor's for
    a system account) that can receive its mint."""
    s = read(lifecycle, split_id)
    token = security(s.token)
    require_registrar(token, signer)
    if not 1 <= len(to) <= MAX_BATCH or len(amounts) != len(to):
        raise UserError(
            "to", f"give 1 to {MAX_BATCH} recipients, each with its amount ({len(to)} recipients, "
            f"{len(amounts)} amounts)",
        )  # fmt: skip
    status, held = _entry(lifecycle, split_id, holder)
    if status != HELD:
        raise UserError(
            "holder", f"{holder} has no held units in split {s.id} ({STATUSES[status]})"
        )
    _require_state(token, SPLIT, "instrument")
    total = sum(amounts)
    if any(a < 0 for a in amounts) or total == 0 or total > held:
        raise UserError(
            "amounts", f"the amounts add up to {total}: give 1 to the {held} held for {holder}"
        )
    now = pending_timestamp()
    for recipient, amount in zip(to, amounts, strict=True):
        if amount == 0:
            continue
        check_recipient(token, holder, recipient, now, system_any=True)
        why = _mint_refusal(token, recipient, amount)
        if why is not None:
            raise UserError("to", f"{recipient} cannot receive {amount} units: {reason_text(why)}")
    return total


def release(
    lifecycle: Lifecycle,
    signer: Any,
    split_id: int,
    holder: str,
    to: list[str],
    amounts: list[int],
) -> int:
    """Mint (part of) `holder`'s held units to `to` (registrar); returns the units released."""
    total = check_release(lifecycle, signer.address, split_id, holder, to, amounts)
    send(lifecycle.splits.release, split_id, holder, to, amounts, sender=signer, field="to")
    return total


# ---------------------------------------------------------------- status


@dataclass(frozen=True)
class HolderStatus:
    """One holder at the record date: its units then, its units due, its record, its balance."""

    holder: str
    balance_at_record: int
    due: int
    status: str  # none, applied, held, released
    units: int  # minted or burned when applied, held when held
    balance: int


def status_rows(lifecycle: Lifecycle, split_id: int) -> list[HolderStatus]:
    """Every holder at the record date with what it is due and its record, ascending; empty while
    the record date has not passed."""
    s = read(lifecycle, split_id)
    if pending_timestamp() <= s.record_date:
        return []
    token, book = security(s.token), _book(s)
    rows = []
    for holder in holders_at_record_date(lifecycle, split_id):
        status, units = _entry(lifecycle, split_id, holder)
        rows.append(
            HolderStatus(
                holder=holder,
                balance_at_record=int(view(book.balanceAt, s.token, holder, s.record_date_id)),
                due=int(view(lifecycle.splits.entitlementOf, s.id, holder)),
                status=STATUSES[status],
                units=units,
                balance=int(token.balanceOf(holder)),
            )
        )
    return rows


def totals(s: Split) -> dict[str, int]:
    """Units minted (to holders and by releases), burned, and held now."""
    return {"minted": s.minted, "burned": s.burned, "held": s.held}

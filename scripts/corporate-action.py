"""The corporate-action CLI: `ape run corporate-action <command> [--network ...] [--account ...]`.

    enable               wire an instrument to the lifecycle contracts (its admin)
    state                show an instrument's lifecycle state, or move it to another
    announce             announce a distribution: a coupon or a dividend, paid in a cash token
    announce-redemption  announce a redemption: every unit at maturity, or a fraction pro rata
    announce-split       announce a split (2:1) or a consolidation (1:10) of a share
    fund                 pay in exactly what a distribution or redemption still misses
    pay                  pay a distribution's holders, in batches (the agent)
    claim                claim the signer's own entitlement to a distribution
    redeem               redeem the signer's own units, or every holder's in batches (the agent)
    apply-split          apply a split or consolidation to its holders, in batches (the agent)
    claim                (also) apply a split or consolidation to the signer's own holding
    release              give held cash, units' cash or a split's held units to another wallet
    sweep                after the deadline, return what was not paid to the announcer
    status               one action: terms, dates, totals and a row per holder
    list                 every distribution, redemption, split and consolidation
    export               ISO 20022: seev.031 notification, seev.036 movement confirmations
                         (distributions and redemptions; splits have no export)

A distribution, redemption or split is named by its id or by its reference when only one carries
it.
Dates are ISO dates (midnight UTC), zoned ISO datetimes, or durations from now (+7d, 36h). Every
command checks its input and the chain before it sends anything, and fails with one line naming
the option and why.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from ape.cli import ConnectedProviderCommand, account_option

from securities_rails.chain.contracts import at, pending_timestamp
from securities_rails.console import UserErrorGroup, console, done, fields, progress_bar, table
from securities_rails.csvio import read_wallets
from securities_rails.errors import UserError
from securities_rails.identifiers import (
    duration_seconds,
    format_amount,
    format_date,
    from_fixed_bytes,
    parse_address,
    parse_amount,
    parse_date,
    parse_duration,
    parse_reference,
)
from securities_rails.lifecycle import distributions, messages, redemption, splits, state, views
from securities_rails.lifecycle.common import (
    currency_of,
    isin_of,
    reason_text,
    security,
    sorted_unique,
)
from securities_rails.lifecycle.deploy import (
    Lifecycle,
    check_enable,
    enable_instrument,
    is_enabled,
    load_lifecycle,
)
from securities_rails.settlement.deploy import cash_token_for
from securities_rails.suite import Suite, load_suite
from securities_rails.token.instruments import token_for

# The ISO 20022 event a distribution is (messages.EVENT_TYPES): the chain does not store it, the
# export derives it from the instrument's CFI category (views.distribution_kind): debt pays
# coupons, everything else dividends. `announce --kind` is checked against it.
DISTRIBUTION_KINDS = ("coupon", "dividend")
REDEMPTION_KINDS = redemption.KINDS
STATE_TARGETS = ("active", "issued", "suspended", "redeemed")
MESSAGE_TYPES = ("seev.031", "seev.036")
# The package's field names -> this CLI's options (a refusal names what the user typed).
OPTION_NAMES = {
    "token": "isin",
    "instrument": "isin",
    "cash_token": "currency",
    "price_per_unit": "price",
    "numerator": "fraction",
    "denominator": "fraction",
}

isin_option = click.option("--isin", required=True, help="ISIN of the instrument.")
distribution_option = click.option(
    "--distribution", "distribution_text", help="Distribution id, or its reference (when unique)."
)
redemption_option = click.option(
    "--redemption", "redemption_text", help="Redemption id, or its reference (when unique)."
)
split_option = click.option(
    "--split", "split_text", help="Split or consolidation id, or its reference (when unique)."
)
reference_option = click.option(
    "--reference",
    required=True,
    help="ISO 20022 corporate-action event id, 1-35 characters (e.g. CPN-2026-03).",
)
currency_option = click.option(
    "--currency", required=True, help="ISO 4217 currency of the cash token paid, e.g. EUR."
)
batch_size_option = click.option(
    "--batch-size",
    type=int,
    default=distributions.MAX_BATCH,
    show_default=True,
    help=f"Holders per transaction (1-{distributions.MAX_BATCH}).",
)
DATE_HELP = "an ISO date (midnight UTC), a zoned ISO datetime, or a duration from now (+7d)"


# ---------------------------------------------------------------- helpers


def _load() -> tuple[Suite, Lifecycle]:
    suite = load_suite()
    return suite, load_lifecycle(suite.record)


@contextmanager
def _options(**names: str) -> Iterator[None]:
    """Rename the field of a refusal raised inside to the option the user gave (record_date ->
    record-date, cash_token -> currency; `names` for this command's own)."""
    try:
        yield
    except UserError as error:
        if type(error) is not UserError or error.field is None:
            raise
        field = names.get(error.field) or OPTION_NAMES.get(error.field)
        raise UserError(field or error.field.replace("_", "-"), error.message) from None


def _moment(value: str, now: int, field: str) -> int:
    """Unix time from an ISO date or datetime, or from a duration after `now` (``+7d``, ``36h``)."""
    text = str(value).strip()
    relative = text.removeprefix("+")
    if duration_seconds(relative) is not None:
        return now + parse_duration(relative, field)
    return parse_date(text, field)


def _action(
    lifecycle: Lifecycle,
    distribution_text: str | None,
    redemption_text: str | None,
    split_text: str | None = None,
    *,
    with_split: bool = False,
) -> tuple[str, int]:
    """("distribution" | "redemption" | "split", id) from exactly one of the options (--split
    only where `with_split`)."""
    given = [t for t in (distribution_text, redemption_text, split_text) if t is not None]
    if len(given) != 1:
        names = "--distribution, --redemption or --split" if with_split else (
            "--distribution or --redemption"
        )  # fmt: skip
        raise UserError("distribution", f"give {names} (one of them)")
    if distribution_text is not None:
        return "distribution", _distribution_id(lifecycle, distribution_text)
    if redemption_text is not None:
        return "redemption", _redemption_id(lifecycle, redemption_text)
    return "split", _split_id(lifecycle, split_text or "")


def _id(text: str, field: str, by_reference: Callable[[str], int]) -> int:
    value = str(text).strip()
    if not value:
        raise UserError(field, "an id or a reference is required")
    return int(value) if value.isdigit() else by_reference(value)


def _distribution_id(lifecycle: Lifecycle, text: str) -> int:
    def by_reference(value: str) -> int:
        return distributions.find_by_reference(lifecycle, value)

    found = _id(text, "distribution", by_reference)
    distributions.read(lifecycle, found)
    return found


def _redemption_id(lifecycle: Lifecycle, text: str) -> int:
    def by_reference(value: str) -> int:
        return redemption.find_by_reference(lifecycle, value)

    found = _id(text, "redemption", by_reference)
    redemption.read(lifecycle, found)
    return found


def _split_id(lifecycle: Lifecycle, text: str) -> int:
    def by_reference(value: str) -> int:
        return splits.find_by_reference(lifecycle, value)

    found = _id(text, "split", by_reference)
    splits.read(lifecycle, found)
    return found


def _require(value: str | None, field: str) -> str:
    if value is None:
        raise UserError(field, f"--{field} is required")
    return value


def _cash_text(cash: Any, amount: int) -> str:
    return f"{format_amount(amount, int(cash.decimals()))} {currency_of(cash)}"


def _units_text(token: Any, amount: int) -> str:
    return f"{format_amount(amount, int(token.decimals()))} {token.symbol()}"


def _holders(csv_path: Path | None) -> list[str] | None:
    """The wallets of a CSV file (column wallet), ascending; None without a file."""
    if csv_path is None:
        return None
    return sorted_unique(row.wallet for row in read_wallets(csv_path))


def _batch_size(value: int) -> int:
    if not 1 <= value <= distributions.MAX_BATCH:
        raise UserError(
            "batch-size", f"{value}: a batch holds 1 to {distributions.MAX_BATCH} holders"
        )
    return value


def _advancer(advance: Callable[[int], None]) -> Callable[[int, int], None]:
    """Turn the package's progress(done, total) into the bar's advance(n)."""
    seen = 0

    def progress(count: int, _total: int) -> None:
        nonlocal seen
        advance(count - seen)
        seen = count

    return progress


@click.group(cls=UserErrorGroup)
def cli() -> None:
    """Corporate actions: lifecycle states, distributions (coupons, dividends) and redemptions,
    with ISO 20022 seev.031 / seev.036 out.

    A distribution: the instrument's admin `enable`s the instrument once (naming its
    corporate-action agent); the agent `announce`s it, `fund`s it (a per-unit one once the record
    date has passed) and `pay`s the holders from the payment date, or each holder `claim`s; what
    cannot be paid is held, and the registrar `release`s it; after the claim deadline anyone
    `sweep`s the rest back. A redemption goes the same way with `announce-redemption` and
    `redeem`. A split or consolidation of a share: `announce-split`, then `apply-split` (the
    agent, in batches) or `claim --split` (a holder); a consolidation only while the instrument is
    suspended. `status`, `list` and `export` only read the chain. An action is named by its id or
    its reference; dates are ISO dates (midnight UTC), zoned ISO datetimes or durations from now
    (+7d)."""


# ---------------------------------------------------------------- the instrument


@cli.command(cls=ConnectedProviderCommand)
@account_option()
@isin_option
@click.option(
    "--agent",
    help="Also grant this wallet the instrument's corporate-action role (it announces, pays, "
    "suspends).",
)
def enable(account: Any, isin: str, agent: str | None) -> None:
    """Wire an instrument to the lifecycle contracts (the instrument's admin): its record dates
    kept in the record-date book, the distributions and redemption contracts granted the roles
    they need. Each step is skipped when done already."""
    suite, lifecycle = _load()
    token = token_for(suite, isin)
    agent_address = parse_address(agent, "agent") if agent else None
    check_enable(lifecycle, token, account.address)
    enable_instrument(lifecycle, token, account, agent=agent_address, log=console.print)
    done(f"{isin_of(token)} is enabled for corporate actions")


@cli.command(name="state", cls=ConnectedProviderCommand)
@account_option(prompt=False)
@isin_option
@click.option(
    "--to",
    "target",
    type=click.Choice(STATE_TARGETS),
    help="Move the instrument to this state (issuer: active <-> issued; corporate-action agent: "
    "the others). Without it, show the state.",
)
def state_command(account: Any, isin: str, target: str | None) -> None:
    """Show an instrument's lifecycle state (active, issued, suspended, matured, redeemed) and
    where it can go, or move it there. Matured comes with the maturity date alone."""
    suite, lifecycle = _load()
    token = token_for(suite, isin)
    if target is None:
        current = state.state_of(token)
        maturity = int(token.instrument().maturity)
        fields(
            f"{isin_of(token)} ({token.address})",
            {
                "state": current,
                "can move to": ", ".join(state.next_states(current)) or "none (final)",
                "maturity": format_date(maturity) if maturity else "perpetual",
                "total supply": _units_text(token, int(token.totalSupply())),
                "corporate actions": "enabled" if is_enabled(lifecycle, token) else "not enabled",
            },
        )
        return
    if account is None:
        raise UserError("account", "give --account: the signer who changes the state")
    before = state.check_transition(token, account.address, target)
    receipt = state.set_state(token, account, target)
    done(f"{isin_of(token)}: {before} -> {target} in {receipt.txn_hash}")


# ---------------------------------------------------------------- announcing


def _distribution_kind(token: Any, kind: str | None) -> str:
    """The ISO 20022 event of a distribution on `token`, as the export will name it."""
    derived = views.distribution_kind(token)
    if kind is not None and kind != derived:
        cfi = from_fixed_bytes(bytes(token.instrument().cfi))
        raise UserError(
            "kind",
            f"{isin_of(token)} (CFI {cfi}) pays {derived}s, not {kind}s: debt instruments (CFI "
            "category D) pay coupons, the others dividends",
        )
    return derived


def _distribution_value(rate: str | None, total: str | None, decimals: int) -> tuple[str, int]:
    """("per-unit", cash per whole unit) or ("total", cash shared), in smallest cash units."""
    if (rate is None) == (total is None):
        given = "both are given" if rate is not None else "neither is given"
        raise UserError(
            "rate", f"give one of --rate (cash per unit) and --total (cash shared): {given}"
        )
    if rate is not None:
        return "per-unit", parse_amount(rate, decimals, "rate")
    return "total", parse_amount(total or "", decimals, "total")


@cli.command(cls=ConnectedProviderCommand)
@account_option()
@isin_option
@click.option(
    "--kind",
    type=click.Choice(DISTRIBUTION_KINDS),
    help="coupon (ISO 20022 INTR; debt instruments) or dividend (DVCA; the others). Default: "
    "from the instrument's CFI; refused when it does not match it.",
)
@currency_option
@click.option("--rate", help="Cash per whole unit of the instrument, e.g. 0.25.")
@click.option("--total", help="Cash shared pro rata of the balances at the record date.")
@click.option("--record-date", required=True, help=f"Balances at this time count: {DATE_HELP}.")
@click.option("--payment-date", required=True, help=f"Paid from then on: {DATE_HELP}.")
@click.option(
    "--claim-deadline",
    required=True,
    help=f"Claimed until then; what is left can be swept: {DATE_HELP}.",
)
@reference_option
def announce(
    account: Any,
    isin: str,
    kind: str | None,
    currency: str,
    rate: str | None,
    total: str | None,
    record_date: str,
    payment_date: str,
    claim_deadline: str,
    reference: str,
) -> None:
    """Announce a distribution (the instrument's corporate-action agent): a coupon or dividend of
    a rate per unit, or a total shared pro rata, to the holders at the record date."""
    suite, lifecycle = _load()
    token = token_for(suite, isin)
    event = _distribution_kind(token, kind)
    cash = cash_token_for(suite.record, currency)
    how, value = _distribution_value(rate, total, int(cash.decimals()))
    now = pending_timestamp()
    terms = distributions.DistributionTerms(
        token=token.address,
        cash_token=cash.address,
        record_date=_moment(record_date, now, "record-date"),
        payment_date=_moment(payment_date, now, "payment-date"),
        claim_deadline=_moment(claim_deadline, now, "claim-deadline"),
        kind=how,
        value=value,
    )
    event_ref = parse_reference(reference)
    with _options(value="rate" if how == "per-unit" else "total"):
        distributions.check_announce(lifecycle, account.address, terms, event_ref, now)
        distribution_id = distributions.announce(lifecycle, account, terms, event_ref)
    amount = _cash_text(cash, value) + (" per unit" if how == "per-unit" else " in all")
    done(
        f"distribution {distribution_id} ({event_ref}): {event} "
        f"({messages.EVENT_TYPES[event]}) of {amount} on {isin_of(token)}, record date "
        f"{format_date(terms.record_date)}, payment {format_date(terms.payment_date)}, claims "
        f"until {format_date(terms.claim_deadline)}"
    )


def _fraction(text: str | None, kind: str) -> tuple[int, int]:
    """(numerator, denominator) of `N/D`; (0, 0) for a full redemption."""
    if kind == "full":
        if text is not None:
            raise UserError("fraction", "a full redemption redeems every unit: give no fraction")
        return 0, 0
    value = _require(text, "fraction").replace(" ", "")
    parts = value.split("/")
    if len(parts) != 2 or not all(part.isdigit() for part in parts):
        raise UserError("fraction", f"{text!r} is not a fraction: give N/D, e.g. 1/4")
    numerator, denominator = int(parts[0]), int(parts[1])
    if not 0 < numerator <= denominator:
        raise UserError("fraction", f"{value}: 0 < N <= D (a part of each holding)")
    return numerator, denominator


@cli.command(name="announce-redemption", cls=ConnectedProviderCommand)
@account_option()
@isin_option
@click.option(
    "--kind",
    required=True,
    type=click.Choice(REDEMPTION_KINDS),
    help="full (every unit, at or after maturity; ISO 20022 REDM) or pro-rata (a fraction of "
    "each holding at a record date; PCAL).",
)
@currency_option
@click.option(
    "--price",
    help="Cash per whole unit (default: the nominal value, the cash token in the instrument's "
    "currency).",
)
@click.option("--fraction", help="pro-rata: the part of each holding redeemed, N/D, e.g. 1/4.")
@click.option("--record-date", help=f"pro-rata: holdings at this time count: {DATE_HELP}.")
@click.option("--start-date", required=True, help=f"Redemption opens: {DATE_HELP}.")
@click.option("--deadline", required=True, help=f"Redemption closes: {DATE_HELP}.")
@reference_option
def announce_redemption(
    account: Any,
    isin: str,
    kind: str,
    currency: str,
    price: str | None,
    fraction: str | None,
    record_date: str | None,
    start_date: str,
    deadline: str,
    reference: str,
) -> None:
    """Announce a redemption (the instrument's corporate-action agent): units are burned as they
    are paid for, at the price per unit."""
    suite, lifecycle = _load()
    token = token_for(suite, isin)
    cash = cash_token_for(suite.record, currency)
    numerator, denominator = _fraction(fraction, kind)
    now = pending_timestamp()
    if kind == "full" and record_date is not None:
        raise UserError("record-date", "a full redemption has no record date: give none")
    recorded = (
        0 if kind == "full" else _moment(_require(record_date, "record-date"), now, "record-date")
    )
    terms = redemption.RedemptionTerms(
        token=token.address,
        cash_token=cash.address,
        kind=kind,
        price_per_unit=parse_amount(price, int(cash.decimals()), "price") if price else 0,
        numerator=numerator,
        denominator=denominator,
        record_date=recorded,
        start_date=_moment(start_date, now, "start-date"),
        deadline=_moment(deadline, now, "deadline"),
    )
    event_ref = parse_reference(reference)
    with _options():
        effective = redemption.check_announce(lifecycle, account.address, terms, event_ref, now)
        redemption_id = redemption.announce(lifecycle, account, terms, event_ref)
    part = f"{numerator}/{denominator} of each holding at " if kind == "pro-rata" else "every unit"
    when = format_date(recorded) if kind == "pro-rata" else ""
    done(
        f"redemption {redemption_id} ({event_ref}) of {isin_of(token)}: {part}{when} at "
        f"{_cash_text(cash, effective)} per unit, from {format_date(terms.start_date)} until "
        f"{format_date(terms.deadline)}"
    )


@cli.command(name="announce-split", cls=ConnectedProviderCommand)
@account_option()
@isin_option
@click.option(
    "--ratio",
    required=True,
    help="New units for old, N:D: 2:1 or 3:2 a split (bonus units minted to each holder), 1:10 a "
    "consolidation (units burned; only while the instrument is suspended).",
)
@click.option("--record-date", required=True, help=f"Holdings at this time count: {DATE_HELP}.")
@click.option(
    "--deadline",
    required=True,
    help=f"Applied until then (a split's held units also after it): {DATE_HELP}.",
)
@reference_option
def announce_split(
    account: Any, isin: str, ratio: str, record_date: str, deadline: str, reference: str
) -> None:
    """Announce a split or a consolidation of a share (the instrument's corporate-action agent):
    each holding at the record date becomes floor(units * N / D), rounded down per holder (the
    fraction is paid in cash off-chain). A consolidation is announced and applied only while the
    instrument is suspended."""
    suite, lifecycle = _load()
    token = token_for(suite, isin)
    numerator, denominator = splits.parse_ratio(ratio)
    now = pending_timestamp()
    terms = splits.SplitTerms(
        token=token.address,
        kind=splits.kind_of(numerator, denominator),
        numerator=numerator,
        denominator=denominator,
        record_date=_moment(record_date, now, "record-date"),
        deadline=_moment(deadline, now, "deadline"),
    )
    event_ref = parse_reference(reference)
    with _options(numerator="ratio", denominator="ratio"):
        splits.check_announce(lifecycle, account.address, terms, event_ref, now)
        split_id = splits.announce(lifecycle, account, terms, event_ref)
    done(
        f"{terms.kind} {split_id} ({event_ref}) of {isin_of(token)}: {numerator}:{denominator}, "
        f"holdings at the record date {format_date(terms.record_date)}, applied until "
        f"{format_date(terms.deadline)}"
    )


# ---------------------------------------------------------------- funding and paying


@cli.command(cls=ConnectedProviderCommand)
@account_option()
@distribution_option
@redemption_option
def fund(account: Any, distribution_text: str | None, redemption_text: str | None) -> None:
    """Pay in exactly what a distribution or redemption still misses (anyone; usually the
    issuer's agent): approves that amount of the cash token, then funds. A per-unit distribution
    and a pro-rata redemption are funded once their record date has passed."""
    _, lifecycle = _load()
    action, action_id = _action(lifecycle, distribution_text, redemption_text)
    module = distributions if action == "distribution" else redemption
    with _options():
        module.check_fund(lifecycle, account.address, action_id)
        amount = module.fund(lifecycle, account, action_id)
    record = module.read(lifecycle, action_id)
    cash = at("CashToken", record.cash_token)
    done(f"{action} {action_id} ({record.event_ref}) funded with {_cash_text(cash, amount)}")


@cli.command(cls=ConnectedProviderCommand)
@account_option()
@click.option(
    "--distribution",
    "distribution_text",
    required=True,
    help="Distribution id, or its reference (when unique).",
)
@batch_size_option
@click.option(
    "--holders-csv",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Pay only these wallets (column wallet); default: every holder at the record date.",
)
def pay(account: Any, distribution_text: str, batch_size: int, holders_csv: Path | None) -> None:
    """Pay a distribution's holders (the corporate-action agent), in ascending batches: each
    holder is paid, held (frozen, ineligible, system account: paid later or released) or
    skipped (already paid, nothing due). Run again after an interruption, it pays nobody twice."""
    _, lifecycle = _load()
    distribution_id = _distribution_id(lifecycle, distribution_text)
    size = _batch_size(batch_size)
    wanted = _holders(holders_csv)
    holders = (
        wanted
        if wanted is not None
        else distributions.holders_at_record_date(lifecycle, distribution_id)
    )
    d = distributions.read(lifecycle, distribution_id)
    cash = at("CashToken", d.cash_token)
    with _options(holders="holders-csv"):
        distributions.check_pay(lifecycle, account.address, distribution_id, holders)
        with progress_bar("paying holders", len(holders)) as advance:
            result = distributions.pay(
                lifecycle,
                account,
                distribution_id,
                holders,
                batch_size=size,
                progress=_advancer(advance),
            )
    rows = [
        (
            row.holder,
            row.outcome,
            _cash_text(cash, row.amount) if row.amount else "-",
            views.held_explained(row.reason),
        )
        for row in result.rows
    ]
    table(
        f"Distribution {distribution_id} ({d.event_ref})",
        ("holder", "result", "amount", "why"),
        rows,
    )
    done(
        f"{result.count('paid')} paid ({_cash_text(cash, result.paid)}), {result.count('held')} "
        f"held ({_cash_text(cash, result.held)}), {result.count('skipped')} skipped, in "
        f"{len(result.transactions)} transaction(s)"
    )


@cli.command(cls=ConnectedProviderCommand)
@account_option()
@distribution_option
@split_option
def claim(account: Any, distribution_text: str | None, split_text: str | None) -> None:
    """Claim the signer's own entitlement to a distribution (from the payment date until the
    claim deadline; a held entitlement also after it, once the wallet can be paid), or apply a
    split or consolidation to the signer's own holding (a split's held units also after the
    deadline, once the wallet can receive them)."""
    _, lifecycle = _load()
    if (distribution_text is None) == (split_text is None):
        raise UserError("distribution", "give --distribution or --split (one of them)")
    if split_text is not None:
        _claim_split(lifecycle, account, _split_id(lifecycle, split_text))
        return
    distribution_id = _distribution_id(lifecycle, distribution_text or "")
    d = distributions.read(lifecycle, distribution_id)
    cash = at("CashToken", d.cash_token)
    with _options():
        distributions.check_claim(lifecycle, account.address, distribution_id)
        result = distributions.claim(lifecycle, account, distribution_id)
    if result.reason is not None:
        done(
            f"{account.address}'s entitlement of {_cash_text(cash, result.held)} is held: "
            f"{reason_text(result.reason)}"
        )
        return
    done(f"paid {_cash_text(cash, result.paid)} to {account.address} in {result.tx_hash}")


def _claim_split(lifecycle: Lifecycle, account: Any, split_id: int) -> None:
    s = splits.read(lifecycle, split_id)
    token = security(s.token)
    with _options():
        splits.check_claim(lifecycle, account.address, split_id)
        result = splits.claim(lifecycle, account, split_id)
    if result.outcome == "held":
        done(
            f"{account.address}'s {_units_text(token, result.units)} of {s.kind} {split_id} are "
            f"held: {splits.reason_text(result.reason or '')}"
        )
        return
    how = "minted to" if s.kind == splits.SPLIT else "burned from"
    done(f"{_units_text(token, result.units)} {how} {account.address} in {result.tx_hash}")


@cli.command(name="apply-split", cls=ConnectedProviderCommand)
@account_option()
@click.option(
    "--split",
    "split_text",
    required=True,
    help="Split or consolidation id, or its reference (when unique).",
)
@batch_size_option
@click.option(
    "--holders-csv",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Apply only to these wallets (column wallet); default: every holder at the record date.",
)
def apply_split(account: Any, split_text: str, batch_size: int, holders_csv: Path | None) -> None:
    """Apply a split or consolidation to its holders (the corporate-action agent), in ascending
    batches: each holder is applied (units minted or burned), held (a split whose mint the wallet
    cannot receive: minted later or released) or skipped with the reason (already applied,
    nothing due, ...). Run again after an interruption, it applies nobody twice. A consolidation
    is applied only while the instrument is suspended."""
    _, lifecycle = _load()
    split_id = _split_id(lifecycle, split_text)
    size = _batch_size(batch_size)
    wanted = _holders(holders_csv)
    holders = wanted if wanted is not None else splits.holders_at_record_date(lifecycle, split_id)
    s = splits.read(lifecycle, split_id)
    token = security(s.token)
    with _options(holders="holders-csv"):
        splits.check_apply(lifecycle, account.address, split_id, holders)
        with progress_bar(f"applying the {s.kind}", len(holders)) as advance:
            result = splits.apply_to(
                lifecycle,
                account,
                split_id,
                holders,
                batch_size=size,
                progress=_advancer(advance),
            )
    rows = [
        (
            row.holder,
            row.outcome,
            format_amount(row.units, int(token.decimals())) if row.units else "-",
            splits.reason_text(row.reason) if row.reason else "-",
        )
        for row in result.rows
    ]
    table(
        f"{s.kind.capitalize()} {split_id} ({s.event_ref}, {s.ratio})",
        ("holder", "result", "units", "why"),
        rows,
    )
    how = "minted" if s.kind == splits.SPLIT else "burned"
    done(
        f"{result.count('applied')} applied ({_units_text(token, result.units)} {how}), "
        f"{result.count('held')} held ({_units_text(token, result.held)}), "
        f"{result.count('skipped')} skipped, in {len(result.transactions)} transaction(s)"
    )


@cli.command(cls=ConnectedProviderCommand)
@account_option()
@click.option(
    "--redemption",
    "redemption_text",
    required=True,
    help="Redemption id, or its reference (when unique).",
)
@click.option(
    "--for-all",
    is_flag=True,
    help="Redeem every holder (the corporate-action agent), in ascending batches.",
)
@batch_size_option
@click.option(
    "--holders-csv",
    type=click.Path(dir_okay=False, path_type=Path),
    help="With --for-all: only these wallets (column wallet).",
)
def redeem(
    account: Any,
    redemption_text: str,
    for_all: bool,
    batch_size: int,
    holders_csv: Path | None,
) -> None:
    """Redeem the signer's own units (burned, their cash paid), or with --for-all every holder's
    (the agent): each is redeemed, held (frozen, ineligible: redeemed later or released) or
    skipped with the reason."""
    _, lifecycle = _load()
    redemption_id = _redemption_id(lifecycle, redemption_text)
    r = redemption.read(lifecycle, redemption_id)
    token = security(r.token)
    cash = at("CashToken", r.cash_token)
    if not for_all:
        if holders_csv is not None:
            raise UserError("holders-csv", "only with --for-all")
        with _options():
            redemption.check_redeem(lifecycle, account.address, redemption_id)
            row = redemption.redeem(lifecycle, account, redemption_id)
        if row.outcome == "held":
            done(
                f"{account.address}'s {_units_text(token, row.units)} are held: "
                f"{reason_text(row.reason or '')}"
            )
            return
        done(
            f"redeemed {_units_text(token, row.units)} of {account.address} for "
            f"{_cash_text(cash, row.payment)} in {row.tx_hash}"
        )
        return
    size = _batch_size(batch_size)
    wanted = _holders(holders_csv)
    holders = wanted if wanted is not None else redemption.holders_of(lifecycle, redemption_id)
    with _options(holders="holders-csv"):
        redemption.check_redeem_for(lifecycle, account.address, redemption_id, holders)
        with progress_bar("redeeming holders", len(holders)) as advance:
            result = redemption.redeem_for(
                lifecycle,
                account,
                redemption_id,
                holders,
                batch_size=size,
                progress=_advancer(advance),
            )
    rows = [
        (
            row.holder,
            row.outcome,
            format_amount(row.units, int(token.decimals())) if row.units else "-",
            _cash_text(cash, row.payment) if row.payment else "-",
            views.held_explained(row.reason),
        )
        for row in result.rows
    ]
    columns = ("holder", "result", "units", "amount", "why")
    table(f"Redemption {redemption_id} ({r.event_ref})", columns, rows)
    done(
        f"{result.count('redeemed')} redeemed ({_units_text(token, result.units)} for "
        f"{_cash_text(cash, result.paid)}), {result.count('held')} held, "
        f"{result.count('skipped')} skipped, in {len(result.transactions)} transaction(s)"
    )


@cli.command(cls=ConnectedProviderCommand)
@account_option()
@distribution_option
@redemption_option
@split_option
@click.option("--holder", required=True, help="The wallet whose entitlement or units are held.")
@click.option("--to", required=True, help="Another eligible wallet of the same investor.")
@click.option(
    "--amount",
    help="Distribution: cash released; split: units released (default: all that is held). A "
    "redemption's held units are released whole.",
)
def release(
    account: Any,
    distribution_text: str | None,
    redemption_text: str | None,
    split_text: str | None,
    holder: str,
    to: str,
    amount: str | None,
) -> None:
    """Release what is held for a holder that cannot be paid (the instrument's registrar): a
    distribution's held cash, a redemption's held units (burned, their cash paid), or a split's
    held new units (minted to the wallet given), to another wallet of the same investor (of any
    investor for a system account's)."""
    _, lifecycle = _load()
    action, action_id = _action(
        lifecycle, distribution_text, redemption_text, split_text, with_split=True
    )
    wallet = parse_address(holder, "holder")
    target = parse_address(to, "to")
    if action == "split":
        token = security(splits.read(lifecycle, action_id).token)
        _, held_units = splits.entry(lifecycle, action_id, wallet)
        units = parse_amount(amount, int(token.decimals()), "amount") if amount else held_units
        with _options(amounts="amount"):
            splits.check_release(lifecycle, account.address, action_id, wallet, [target], [units])
            released = splits.release(lifecycle, account, action_id, wallet, [target], [units])
        done(f"minted {_units_text(token, released)} held for {wallet} to {target}")
        return
    if action == "redemption":
        if amount is not None:
            raise UserError("amount", "a redemption's held units are released whole: give none")
        r = redemption.read(lifecycle, action_id)
        with _options():
            redemption.check_release(lifecycle, account.address, action_id, wallet, target)
            units, payment = redemption.release(lifecycle, account, action_id, wallet, target)
        cash = at("CashToken", r.cash_token)
        token = security(r.token)
        done(
            f"burned {wallet}'s {_units_text(token, units)} held and paid "
            f"{_cash_text(cash, payment)} to {target}"
        )
        return
    d = distributions.read(lifecycle, action_id)
    cash = at("CashToken", d.cash_token)
    held = int(lifecycle.distributions.entry(action_id, wallet).held)
    value = parse_amount(amount, int(cash.decimals()), "amount") if amount else held
    with _options(amounts="amount"):
        distributions.check_release(
            lifecycle, account.address, action_id, wallet, [target], [value]
        )
        released = distributions.release(lifecycle, account, action_id, wallet, [target], [value])
    done(f"released {_cash_text(cash, released)} held for {wallet} to {target}")


@cli.command(cls=ConnectedProviderCommand)
@account_option()
@distribution_option
@redemption_option
def sweep(account: Any, distribution_text: str | None, redemption_text: str | None) -> None:
    """After the deadline, send what was neither paid nor held back to the announcer (anyone
    may): unclaimed entitlements and rounding remainders. Held amounts stay."""
    _, lifecycle = _load()
    action, action_id = _action(lifecycle, distribution_text, redemption_text)
    module = distributions if action == "distribution" else redemption
    with _options():
        module.check_sweep(lifecycle, account.address, action_id)
        amount = module.sweep(lifecycle, account, action_id)
    record = module.read(lifecycle, action_id)
    cash = at("CashToken", record.cash_token)
    done(f"swept {_cash_text(cash, amount)} of {action} {action_id} back to {record.issuer}")


# ---------------------------------------------------------------- views


@cli.command(cls=ConnectedProviderCommand)
@distribution_option
@redemption_option
@split_option
def status(
    distribution_text: str | None, redemption_text: str | None, split_text: str | None
) -> None:
    """One distribution, redemption or split: terms, dates, status, totals (funded, paid, held,
    unclaimed, swept, required; a split's units minted, burned and held), and a row per
    holder."""
    _, lifecycle = _load()
    action, action_id = _action(
        lifecycle, distribution_text, redemption_text, split_text, with_split=True
    )
    fields(f"{action.capitalize()} {action_id}", views.summary(lifecycle, action, action_id))
    columns, rows = views.holder_rows(lifecycle, action, action_id)
    if action == "distribution":
        # entitled is column 2, status column 3: a paid entitlement was paid whole.
        columns = (*columns[:3], "paid", *columns[3:])
        rows = [(*row[:3], row[2] if row[3] == "paid" else "-", *row[3:]) for row in rows]
    if not rows:
        console.print("holders are listed once the record date has passed")
        return
    table(f"Holders ({len(rows)})", columns, rows)


@cli.command(name="list", cls=ConnectedProviderCommand)
@click.option("--isin", help="Only this instrument's.")
def list_actions(isin: str | None) -> None:
    """Every distribution, redemption, split and consolidation, oldest first, with its status."""
    suite, lifecycle = _load()
    token = token_for(suite, isin).address if isin else None
    for action in views.ACTIONS:
        rows = views.action_list(lifecycle, action, token)
        title = "Splits and consolidations" if action == "split" else f"{action.capitalize()}s"
        table(f"{title} ({len(rows)})", views.list_columns(action), rows)


# ---------------------------------------------------------------- ISO 20022


def _file_part(reference: str) -> str:
    """A reference made safe for a file name (any other character becomes _)."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", reference)


def _write(path: Path, xml: bytes) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(xml)
    except OSError as error:
        raise UserError("out", f"{path} cannot be written: {error.strerror}") from None


@cli.command(name="export", cls=ConnectedProviderCommand)
@distribution_option
@redemption_option
@click.option(
    "--split",
    "split_text",
    help="Refused: splits and consolidations have no ISO 20022 export.",
)
@click.option(
    "--message",
    "message_type",
    required=True,
    type=click.Choice(MESSAGE_TYPES),
    help="seev.031 (the notification) or seev.036 (one movement confirmation per payment or "
    "redemption).",
)
@click.option("--holder", help="seev.036: only this holder's movements.")
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    help="seev.031: the XML file (default: <reference>.seev.031.xml); seev.036: the directory "
    "of the confirmations, one file per movement (default: the current one).",
)
def export_command(
    distribution_text: str | None,
    redemption_text: str | None,
    split_text: str | None,
    message_type: str,
    holder: str | None,
    out: Path | None,
) -> None:
    """Write a distribution's or redemption's ISO 20022 messages from the chain, validated
    against the official schemas: the seev.031 notification, or a seev.036 confirmation of each
    payment (or redemption) made. Splits and consolidations have no export."""
    if split_text is not None:
        raise UserError(
            "split",
            "splits and consolidations have no ISO 20022 export: seev.031 / seev.036 are written "
            "for distributions and redemptions only (`status --split` shows a split)",
        )
    _, lifecycle = _load()
    action, action_id = _action(lifecycle, distribution_text, redemption_text)
    if message_type == "seev.031":
        if holder is not None:
            raise UserError("holder", "only with --message seev.036 (seev.031 is for everyone)")
        notified = views.corporate_action_of(lifecycle, action, action_id)
        path = out or Path(f"{_file_part(notified.reference)}.seev.031.xml")
        if path.is_dir():
            raise UserError("out", f"{path} is a directory: seev.031 is written to a file")
        _write(path, messages.build_seev031(notified))
        done(f"seev.031 of {action} {action_id} ({notified.reference}) written to {path}")
        return
    wallet = parse_address(holder, "holder") if holder else None
    movements = views.movements_of(lifecycle, action, action_id, wallet)
    if not movements:
        whose = f" to {wallet}" if wallet else ""
        raise UserError(
            "holder" if wallet else action, f"{action} {action_id} has paid nothing{whose} yet"
        )
    directory = out or Path(".")
    if directory.exists() and not directory.is_dir():
        raise UserError("out", f"{directory} is a file: seev.036 is written to a directory")
    for movement in movements:
        xml = messages.build_seev036(movement)
        name = f"{_file_part(movement.action.reference)}.{movement.holder}.{movement.block}"
        path = directory / f"{name}.seev.036.xml"
        _write(path, xml)
        done(f"seev.036 of {action} {action_id} for {movement.holder} written to {path}")

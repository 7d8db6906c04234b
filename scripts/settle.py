"""The settlement CLI: `ape run settle <command> [--network ...] [--account ...]`.

    instruct   propose a trade (or match the counterparty's) and escrow the signer's leg
    affirm     accept a proposed trade by its id: escrow the signer's leg
    settle     settle matched trades: one, or many in one transaction with a result per trade
    cancel     cancel a proposed trade, or ask to cancel a matched one
    reclaim    take back the signer's leg of a cancelled or expired trade
    status     one trade: parties, terms, status, deadline, legs, settlement transaction
    list       the trades, by status or party
    batch      instruct many trades from a CSV file
    import     instruct a trade from an ISO 20022 sese.023 message
    export     write a trade's sese.024 (status) or sese.025 (confirmation)
    cash       the cash leg: create a cash token, mint, burn, balance
    deploy-htlc, htlc-lock, htlc-claim, htlc-refund, htlc-status, exchange
               across two chains, with hashed timelocks (see the end of this file)

A trade is named by its id (0x...) or by its reference when only one trade carries it. Every
command checks its input and the chain before it sends anything, and fails with one line naming
the field and why.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from ape.cli import ConnectedProviderCommand, account_option

from securities_rails.chain.contracts import pending_timestamp
from securities_rails.chain.networks import connected
from securities_rails.console import UserErrorGroup, console, done, fields, progress_bar, table
from securities_rails.csvio import read_rows
from securities_rails.errors import UserError
from securities_rails.identifiers import (
    format_amount,
    format_date,
    parse_address,
    parse_amount,
    parse_currency,
    parse_duration,
    parse_reference,
)
from securities_rails.settlement import batch as batches
from securities_rails.settlement import cash as cash_leg
from securities_rails.settlement import exchange as cross_chain
from securities_rails.settlement import htlc, iso_import, messages, trades, views
from securities_rails.settlement.deploy import (
    Settlement,
    cash_token_for,
    cash_tokens,
    deploy_cash_token,
    deploy_htlc,
    load_htlc,
    load_settlement,
)
from securities_rails.suite import Suite, load_record, load_suite
from securities_rails.token.instruments import token_for

trade_option = click.option(
    "--trade", required=True, help="Trade id (0x...) or its reference (when unique)."
)


def _load() -> tuple[Suite, Settlement]:
    suite = load_suite()
    return suite, load_settlement(suite.record)


def _trade(settlement: Settlement, text: str) -> str:
    return trades.resolve_trade(settlement, text)


def _short(value: str, head: int = 10, tail: int = 4) -> str:
    """An id or address cut for a table (`status` and errors show ids whole)."""
    return value if len(value) <= head + tail + 1 else f"{value[:head]}…{value[-tail:]}"


@click.group(cls=UserErrorGroup)
def cli() -> None:
    """Delivery versus payment: securities against cash, both legs or neither."""


# ---------------------------------------------------------------- trading


@cli.command(cls=ConnectedProviderCommand)
@account_option()
@click.option("--isin", required=True, help="ISIN of the security delivered.")
@click.option("--seller", required=True, help="Wallet delivering the units.")
@click.option("--buyer", required=True, help="Wallet paying the cash.")
@click.option("--quantity", required=True, help="Units of the security, e.g. 100 or 12.5.")
@click.option("--currency", required=True, help="ISO 4217 currency of the cash token, e.g. EUR.")
@click.option("--amount", required=True, help="Cash, e.g. 250000.00.")
@click.option("--reference", required=True, help="Trade reference, 1-35 characters (ISO 20022).")
@click.option(
    "--deadline",
    required=True,
    help="Settle before: a duration (2h, 3d), an ISO datetime with zone, or an ISO date (the "
    "end of that day, UTC).",
)
def instruct(
    account: Any,
    isin: str,
    seller: str,
    buyer: str,
    quantity: str,
    currency: str,
    amount: str,
    reference: str,
    deadline: str,
) -> None:
    """Instruct a trade as the seller or the buyer: escrow the signer's leg. The first party
    proposes it; the counterparty instructing the same terms and reference matches it."""
    suite, settlement = _load()
    terms = trades.parse_terms(
        suite,
        settlement,
        isin=isin,
        seller=seller,
        buyer=buyer,
        quantity=quantity,
        currency=currency,
        amount=amount,
        deadline=deadline,
    )
    trade_id = trades.instruct(settlement, account, terms, reference)
    state = trades.read_trade(settlement, trade_id).status_name
    done(f"trade {trade_id} ({reference}) {state}, deadline {format_date(terms.deadline)}")


@cli.command(cls=ConnectedProviderCommand)
@account_option()
@trade_option
def affirm(account: Any, trade: str) -> None:
    """Accept a proposed trade as its counterparty: escrow the signer's leg (matched)."""
    _, settlement = _load()
    trade_id = _trade(settlement, trade)
    leg = trades.affirm(settlement, account, trade_id)
    done(f"trade {trade_id} matched: the {leg.side_name}'s leg is in escrow")


def _settle_ids(settlement: Settlement, given: tuple[str, ...], csv_path: Path | None) -> list[str]:
    if csv_path is not None and given:
        raise UserError("trade", "give --trade or --csv, not both")
    if csv_path is not None:

        def parse(row: int, record: dict[str, str]) -> str:
            return _trade(settlement, record["trade"])

        return read_rows(csv_path, ("trade",), parse)
    if not given:
        raise UserError("trade", "give at least one --trade (or --csv)")
    return [_trade(settlement, text) for text in given]


@cli.command(cls=ConnectedProviderCommand)
@account_option()
@click.option("--trade", "trade_texts", multiple=True, help="Trade id or reference (repeatable).")
@click.option(
    "--csv",
    "csv_path",
    type=click.Path(path_type=Path),
    help="Settle many: a CSV file with a column trade (ids or references).",
)
def settle(account: Any, trade_texts: tuple[str, ...], csv_path: Path | None) -> None:
    """Settle matched trades before their deadlines (anyone may). One trade: settled, or refused
    with the reason. More than one: one transaction, each trade settled or left as it was, and a
    result per trade."""
    _, settlement = _load()
    ids = _settle_ids(settlement, trade_texts, csv_path)
    if len(ids) == 1:
        receipt = trades.settle(settlement, account, ids[0])
        done(f"trade {ids[0]} settled in {receipt.txn_hash}")
        return
    results = trades.settle_batch(settlement, account, ids)
    rows = [
        (_short(r.trade_id), r.reference, "settled" if r.settled else "not settled", r.reason)
        for r in results
    ]
    table("Settlement batch", ("trade", "reference", "result", "reason"), rows)
    count = sum(r.settled for r in results)
    done(f"{count} of {len(results)} trade(s) settled in one transaction")


@cli.command(cls=ConnectedProviderCommand)
@account_option()
@trade_option
def cancel(account: Any, trade: str) -> None:
    """Cancel a proposed trade (either party), or ask to cancel a matched one (cancelled once
    both parties asked). The legs are then reclaimable."""
    _, settlement = _load()
    trade_id = _trade(settlement, trade)
    status = trades.cancel(settlement, account, trade_id)
    if status == "cancelled":
        done(f"trade {trade_id} cancelled: each party can reclaim its leg")
    else:
        done(f"cancellation of {trade_id} asked: the other party must ask too")


@cli.command(cls=ConnectedProviderCommand)
@account_option()
@trade_option
@click.option(
    "--to",
    help="Another active wallet of the same investor to send the leg to (default: the party).",
)
def reclaim(account: Any, trade: str, to: str | None) -> None:
    """Take back the signer's leg of a cancelled or expired trade (or, with --to, send it to
    another wallet of the same investor)."""
    _, settlement = _load()
    trade_id = _trade(settlement, trade)
    target = parse_address(to, "to") if to else None
    checked = trades.reclaim(settlement, account, trade_id, target)
    leg = checked.leg
    shown = format_amount(leg.amount, int(leg.token.decimals()))
    done(f"the {leg.side_name}'s leg of {trade_id} ({shown} {leg.token.symbol()}) to {checked.to}")


# ---------------------------------------------------------------- views


@cli.command(cls=ConnectedProviderCommand)
@trade_option
def status(trade: str) -> None:
    """One trade: parties, terms, status, deadline, escrowed legs, settlement transaction."""
    _, settlement = _load()
    trade_id = _trade(settlement, trade)
    fields(f"Trade {trade_id}", views.describe(settlement, trade_id))


@cli.command(name="list", cls=ConnectedProviderCommand)
@click.option("--status", "status_", type=click.Choice(trades.STATUSES[1:]), help="Only these.")
@click.option("--party", help="Only trades where this wallet is the seller or the buyer.")
@click.option("--from-block", type=int, help="First block searched (default: the escrow's).")
@click.option("--to-block", type=int, help="Last block searched (default: the latest).")
def list_trades(
    status_: str | None, party: str | None, from_block: int | None, to_block: int | None
) -> None:
    """The trades proposed on the escrow, oldest first, with their current status."""
    _, settlement = _load()
    wallet = parse_address(party, "party") if party else None
    found = views.trades(
        settlement, status=status_, party=wallet, from_block=from_block, to_block=to_block
    )
    rows = [
        (
            _short(r.trade_id),
            r.reference,
            r.status,
            _short(r.seller, 6),
            _short(r.buyer, 6),
            f"{r.quantity} {r.isin}",
            f"{r.amount} {r.currency}",
            format_date(r.deadline),
        )
        for r in found
    ]
    columns = ("trade", "reference", "status", "seller", "buyer", "units", "amount", "deadline")
    table(f"Trades ({len(rows)}; `status --trade <reference>` shows one whole)", columns, rows)


# ---------------------------------------------------------------- many trades


@cli.command(cls=ConnectedProviderCommand)
@account_option()
@click.option(
    "--csv",
    "csv_path",
    required=True,
    type=click.Path(path_type=Path),
    help="Columns isin,seller,buyer,quantity,currency,amount,reference,deadline.",
)
def batch(account: Any, csv_path: Path) -> None:
    """Instruct many trades from a CSV file, the signer a party of each: every row is checked
    first (nothing is sent if one is bad), then one transaction per trade."""
    suite, settlement = _load()
    rows = batches.read_instructions(csv_path, suite, settlement)
    with progress_bar("instructing", len(rows)) as advance:
        ids = batches.instruct_many(settlement, account, rows, str(csv_path), advance)
    table(
        "Trades instructed",
        ("row", "reference", "trade"),
        [(row.row, row.reference, trade_id) for row, trade_id in zip(rows, ids, strict=True)],
    )
    done(f"{len(ids)} trade(s) instructed")


# ---------------------------------------------------------------- the cash leg


@cli.group(cls=UserErrorGroup)
def cash() -> None:
    """The cash leg: tokenised deposits, one cash token per currency."""


@cash.command(name="create", cls=ConnectedProviderCommand)
@account_option()
@click.option("--currency", required=True, help="ISO 4217 currency, e.g. EUR.")
@click.option("--name", help="Token name (default: Tokenised <CUR> deposit).")
@click.option("--symbol", help="Token symbol (default: t<CUR>).")
@click.option("--issuer", "issuer_", help="Cash issuer, who mints and burns (default: signer).")
def cash_create(
    account: Any, currency: str, name: str | None, symbol: str | None, issuer_: str | None
) -> None:
    """Deploy the cash token of a currency (once per chain) and record it; the signer is its
    admin."""
    record = load_record()
    issuer_address = parse_address(issuer_, "issuer") if issuer_ else account.address
    known = cash_tokens(record)
    code = parse_currency(currency)
    if code in known:
        raise UserError("currency", f"the {code} cash token exists already at {known[code]}")
    token = deploy_cash_token(
        account,
        currency=currency,
        admin=account.address,
        issuer=issuer_address,
        name=name,
        symbol=symbol,
        record=record,
        log=console.print,
    )
    done(f"{token.symbol()} ({code}) cash token at {token.address}, issuer {issuer_address}")


@cash.command(name="mint", cls=ConnectedProviderCommand)
@account_option()
@click.option("--currency", required=True, help="ISO 4217 currency of the cash token.")
@click.option("--to", required=True, help="Wallet credited.")
@click.option("--amount", required=True, help="Cash, e.g. 1000000.00.")
def cash_mint(account: Any, currency: str, to: str, amount: str) -> None:
    """Issue cash to a wallet (the cash issuer)."""
    token = cash_token_for(load_record(), currency)
    units = parse_amount(amount, int(token.decimals()), "amount")
    cash_leg.mint_cash(token, account, parse_address(to, "to"), units)
    done(f"minted {amount} {currency.upper()} to {to}")


@cash.command(name="burn", cls=ConnectedProviderCommand)
@account_option()
@click.option("--currency", required=True, help="ISO 4217 currency of the cash token.")
@click.option("--from", "from_", required=True, help="Wallet redeemed from (it approved you).")
@click.option("--amount", required=True, help="Cash.")
def cash_burn(account: Any, currency: str, from_: str, amount: str) -> None:
    """Redeem cash (the cash issuer): its own, or a holder's that approved the issuer."""
    token = cash_token_for(load_record(), currency)
    units = parse_amount(amount, int(token.decimals()), "amount")
    cash_leg.burn_cash(token, account, parse_address(from_, "from"), units)
    done(f"burned {amount} {currency.upper()} from {from_}")


@cash.command(name="balance", cls=ConnectedProviderCommand)
@click.option("--currency", required=True, help="ISO 4217 currency of the cash token.")
@click.option("--wallet", required=True, help="Holder.")
def cash_balance(currency: str, wallet: str) -> None:
    """A wallet's cash, and what the DvP escrow holds for it."""
    record = load_record()
    token = cash_token_for(record, currency)
    address = parse_address(wallet, "wallet")
    decimals = int(token.decimals())
    shown = {"balance": format_amount(int(token.balanceOf(address)), decimals)}
    try:
        escrow = load_settlement(record).escrow
    except UserError:
        escrow = None
    if escrow is not None:
        held = int(escrow.escrowedCash(address, token.address))
        shown["in DvP escrow"] = format_amount(held, decimals)
    fields(f"{currency.upper()} cash of {address}", shown)


# ---------------------------------------------------------------- ISO 20022


def _read_message(path: Path, field: str) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise UserError(field, f"{path} does not exist") from None
    except IsADirectoryError:
        raise UserError(field, f"{path} is a directory, not an XML file") from None
    except PermissionError:
        raise UserError(field, f"{path} cannot be read: permission denied") from None


def _write_message(path: Path, xml: bytes, field: str) -> None:
    try:
        path.write_bytes(xml)
    except OSError as error:
        raise UserError(field, f"{path} cannot be written: {error.strerror}") from None


@cli.command(name="import", cls=ConnectedProviderCommand)
@account_option()
@click.argument("xml_path", metavar="FILE.xml", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--status-out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the trade's sese.024 status advice here afterwards.",
)
def import_command(account: Any, xml_path: Path, status_out: Path | None) -> None:
    """Instruct a trade from FILE.xml, an ISO 20022 sese.023 settlement instruction. The signer
    must be the instructing party (the account owner's wallet); the intended settlement date becomes
    the deadline (the end of that day, UTC). When the counterparty already proposed the trade,
    the instruction must match it; errors name the message's element."""
    suite, settlement = _load()
    instruction = messages.parse_sese023(_read_message(xml_path, "file"))
    trade_id = iso_import.import_instruction(suite, settlement, account, instruction)
    state = trades.read_trade(settlement, trade_id).status_name
    done(f"trade {trade_id} ({instruction.reference}) {state}")
    if status_out is not None:
        snapshot = views.snapshot(settlement, trade_id)
        _write_message(
            status_out,
            messages.build_sese024(snapshot, movement=instruction.movement),
            "status-out",
        )
        done(f"sese.024 status advice written to {status_out}")


MESSAGE_TYPES = ("sese.024", "sese.025")
SIDE_MOVEMENTS = {"seller": "deliver", "buyer": "receive"}


@cli.command(name="export", cls=ConnectedProviderCommand)
@trade_option
@click.option(
    "--message",
    "message_type",
    required=True,
    type=click.Choice(MESSAGE_TYPES),
    help="sese.024 (status advice) or sese.025 (confirmation, settled trades only).",
)
@click.option(
    "--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="XML file."
)
@click.option(
    "--side",
    type=click.Choice(tuple(SIDE_MOVEMENTS)),
    default="seller",
    show_default=True,
    help="Whose message: the seller's (delivery) or the buyer's (receipt).",
)
def export_command(trade: str, message_type: str, out: Path, side: str) -> None:
    """Write a trade's ISO 20022 status: sese.024 while it is not settled, sese.025 (the
    settlement confirmation) once it is. Validated against the official schema."""
    _, settlement = _load()
    trade_id = _trade(settlement, trade)
    snapshot = views.snapshot(settlement, trade_id)
    movement = SIDE_MOVEMENTS[side]
    if message_type == "sese.025" and snapshot.status != "Settled":
        raise UserError(
            "message",
            f"trade {trade_id} is {snapshot.status.lower()}, not settled: sese.025 confirms a "
            "settlement; export its status with --message sese.024",
        )
    build = messages.build_sese025 if message_type == "sese.025" else messages.build_sese024
    _write_message(out, build(snapshot, movement=movement), "out")
    done(f"{message_type} of {trade_id} ({snapshot.status}) written to {out}")


# ---- cross-chain (hashed timelocks): see securities_rails/settlement/htlc.py and exchange.py
#
#   deploy-htlc   deploy the hashed-timelock escrow alone (a chain that only carries cash)
#   htlc-lock     lock units or cash for a counterparty under a hashlock until a timelock
#   htlc-claim    claim a lock with its secret (from a file, or as revealed on the other chain)
#   htlc-refund   pay a lock back to its sender, from its timelock on
#   htlc-status   one lock: terms, state, the secret once claimed, what is possible now
#   exchange      the whole cross-chain exchange, seller and buyer, resumable from --state

lock_id_option = click.option("--lock-id", required=True, help="The lock's id (0x + 64 hex).")
secret_file_option = click.option(
    "--secret-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="File holding the secret (hex, mode 0600).",
)


@cli.command(name="deploy-htlc", cls=ConnectedProviderCommand)
@account_option()
def deploy_htlc_command(account: Any) -> None:
    """Deploy the hashed-timelock escrow on a chain that only carries the cash leg (no suite);
    `ape run deploy` deploys it with the suite. Run again, it finds it and sends nothing."""
    record = load_record()
    escrow = deploy_htlc(account, record=record, log=console.print)
    done(f"hashed-timelock escrow at {escrow.address} on chain {record.chain_id}")


@cli.command(name="htlc-lock", cls=ConnectedProviderCommand)
@account_option()
@click.option("--isin", help="Lock units of this instrument (the security leg).")
@click.option("--currency", help="Lock cash of this currency (the cash leg).")
@click.option("--amount", required=True, help="Units or cash, e.g. 100 or 2500.50.")
@click.option("--to", "recipient", required=True, help="Wallet the lock pays when claimed.")
@click.option(
    "--timelock",
    required=True,
    help="Claimable until: a duration from now (90m, 2h, 3d) or an ISO datetime with zone; "
    "refundable from then on.",
)
@click.option("--reference", required=True, help="Trade reference, 1-35 bytes (ISO 20022).")
@click.option("--hashlock", "hashlock_text", help="The counterparty's hashlock (0x + 64 hex).")
@click.option(
    "--secret-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Your secret: read from this file, or drawn and written there (mode 0600) when it "
    "does not exist; the lock takes its sha256.",
)
def htlc_lock(
    account: Any,
    isin: str | None,
    currency: str | None,
    amount: str,
    recipient: str,
    timelock: str,
    reference: str,
    hashlock_text: str | None,
    secret_file: Path | None,
) -> None:
    """Lock units (--isin) or cash (--currency) for a counterparty: claimable with the secret
    before the timelock, refundable to the signer from then on."""
    if (isin is None) == (currency is None):
        raise UserError("isin", "give --isin (units) or --currency (cash), one of them")
    if (hashlock_text is None) == (secret_file is None):
        raise UserError("hashlock", "give --hashlock (the counterparty's) or --secret-file (yours)")
    record = load_record()
    escrow = load_htlc(record)
    token = token_for(load_suite(record), isin) if isin else cash_token_for(record, currency)
    new_secret = None
    if secret_file is None:
        lock_hash = htlc.parse_hex32(hashlock_text, "hashlock")
    elif secret_file.exists():
        lock_hash = htlc.hashlock(
            htlc.parse_hex32(htlc.read_private(secret_file, "secret-file"), "secret-file")
        )
    else:
        new_secret = htlc.new_secret()
        lock_hash = htlc.hashlock(new_secret)
    terms = htlc.LockTerms(
        sender=account.address,
        recipient=parse_address(recipient, "to"),
        token=token.address,
        amount=parse_amount(amount, int(token.decimals()), "amount"),
        hashlock=lock_hash,
        timelock=htlc.parse_timelock(timelock, pending_timestamp()),
        reference=parse_reference(reference),
    )
    htlc.check_lock(escrow, terms)
    if new_secret is not None and secret_file is not None:
        htlc.write_private(secret_file, htlc.hex32(new_secret) + "\n")
        console.print(f"new secret kept in {secret_file} (mode 0600): reveal it only by claiming")
    view = htlc.lock(escrow, account, terms)
    done(
        f"lock {view.lock_id}: {amount} {token.symbol()} for {terms.recipient} until "
        f"{format_date(terms.timelock)}, hashlock {htlc.hex32(lock_hash)}"
    )


@cli.command(name="htlc-claim", cls=ConnectedProviderCommand)
@account_option()
@lock_id_option
@secret_file_option
@click.option("--revealed-by", help="Take the secret from this claimed lock on --revealed-on.")
@click.option("--revealed-on", help="The chain of --revealed-by: ape network choice or RPC URL.")
def htlc_claim(
    account: Any,
    lock_id: str,
    secret_file: Path | None,
    revealed_by: str | None,
    revealed_on: str | None,
) -> None:
    """Claim a lock for its recipient (anyone may send it) with the secret: from a file, or as
    the claim of the counter-lock on the other chain revealed it. Checked before the secret is
    sent: a refused claim reveals nothing."""
    lock = htlc.hex32(htlc.parse_hex32(lock_id, "lock-id"))
    if (secret_file is None) == (revealed_by is None):
        raise UserError("secret-file", "give --secret-file or --revealed-by, one of them")
    if secret_file is not None:
        secret = htlc.parse_hex32(htlc.read_private(secret_file, "secret-file"), "secret-file")
    else:
        if not revealed_on:
            raise UserError("revealed-on", "name the chain of --revealed-by")
        other = htlc.hex32(htlc.parse_hex32(revealed_by or "", "revealed-by"))
        with connected(revealed_on):
            secret = htlc.revealed_secret(load_htlc(load_record()), other)
        console.print(f"secret read from lock {other} on {revealed_on}")
    view = htlc.claim(load_htlc(load_record()), account, lock, secret)
    done(f"lock {lock} claimed: {htlc.amount_of(view)} to {view.terms.recipient}")


@cli.command(name="htlc-refund", cls=ConnectedProviderCommand)
@account_option()
@lock_id_option
def htlc_refund(account: Any, lock_id: str) -> None:
    """Pay a lock back to its sender (anyone may send it), from its timelock on."""
    lock = htlc.hex32(htlc.parse_hex32(lock_id, "lock-id"))
    view = htlc.refund(load_htlc(load_record()), account, lock)
    done(f"lock {lock} refunded: {htlc.amount_of(view)} to {view.terms.sender}")


@cli.command(name="htlc-status", cls=ConnectedProviderCommand)
@lock_id_option
def htlc_status(lock_id: str) -> None:
    """One lock: its terms, its state, the secret once claimed, and what is possible now."""
    lock = htlc.hex32(htlc.parse_hex32(lock_id, "lock-id"))
    found = htlc.status(load_htlc(load_record()), lock)
    token, _ = htlc.token_contract(found.view.terms.token)
    fields(f"Lock {lock}", found.rows(token))


@cli.command(name="exchange")
@account_option("--seller-account")
@account_option("--buyer-account")
@click.option("--security-network", required=True, help="Chain of the units: choice or RPC URL.")
@click.option("--cash-network", required=True, help="Chain of the cash: choice or RPC URL.")
@click.option("--isin", required=True, help="ISIN of the units delivered.")
@click.option("--quantity", required=True, help="Units, e.g. 100.")
@click.option("--currency", required=True, help="ISO 4217 currency of the cash token.")
@click.option("--amount", required=True, help="Cash, e.g. 2500.50.")
@click.option("--reference", required=True, help="Trade reference, 1-35 bytes (ISO 20022).")
@click.option(
    "--timelock",
    default="2h",
    show_default=True,
    help="T1, the cash lock's timelock, from now (90m, 2h, 3d).",
)
@click.option(
    "--margin",
    default="1h",
    show_default=True,
    help="T1 - T2: the units' lock ends this much earlier (at least the escrow's minimum, 1h).",
)
@click.option(
    "--state",
    "state_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The exchange's state (with the secret, mode 0600): created, or resumed when it exists.",
)
def exchange_command(
    seller_account: Any,
    buyer_account: Any,
    security_network: str,
    cash_network: str,
    isin: str,
    quantity: str,
    currency: str,
    amount: str,
    reference: str,
    timelock: str,
    margin: str,
    state_path: Path,
) -> None:
    """Exchange units on one chain for cash on another through one secret: the buyer locks the
    cash, the seller the units, the buyer claims the units (revealing the secret), the seller
    claims the cash. Interrupted, it resumes from --state without locking twice."""
    state = cross_chain.run_exchange(
        security_network,
        cash_network,
        seller_account,
        buyer_account,
        isin,
        quantity,
        currency,
        amount,
        reference,
        state_path=state_path,
        timelock=parse_duration(timelock, "timelock"),
        margin=parse_duration(margin, "margin"),
        log=console.print,
    )
    done(
        f"exchange {reference} settled: {quantity} {state.isin} to {state.buyer} on chain "
        f"{state.security_chain}, {amount} {state.currency} to {state.seller} on chain "
        f"{state.cash_chain}"
    )

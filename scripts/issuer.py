"""The issuer CLI: `ape run issuer <command> [--network ...] [--account ...]`.

Every command checks its input and what the chain says (roles, registration, balances, the
transfer rules) before it sends anything, and fails with one line naming the field and why.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import click
from ape.cli import ConnectedProviderCommand, account_option

from securities_rails import views
from securities_rails.chain.contracts import ADMIN_ROLE
from securities_rails.console import UserErrorGroup, console, done, fields, progress_bar
from securities_rails.csvio import (
    InvestorRow,
    UpdateRow,
    WalletRow,
    read_amounts,
    read_investors,
    read_updates,
    read_wallets,
)
from securities_rails.errors import UserError
from securities_rails.identifiers import (
    category_label,
    country_label,
    doc_name,
    format_date,
    investor_id_hash,
    parse_address,
    parse_amount,
    parse_category,
    parse_country,
    parse_date,
)
from securities_rails.lifecycle import deploy as lifecycle
from securities_rails.registry import investors
from securities_rails.rules.catalogue import RULES, parse_value, rule_index
from securities_rails.suite import Suite, load_suite
from securities_rails.token import instruments, operations

isin_option = click.option("--isin", required=True, help="ISIN of the instrument.")


def _token(isin: str) -> tuple[Suite, object]:
    suite = load_suite()
    return suite, instruments.token_for(suite, isin)


def _require(**values: str | None) -> None:
    """Without --csv, each of these options is required (option name with - for _)."""
    for name, value in values.items():
        if not value:
            raise UserError(name.replace("_", "-"), "is required (or give --csv)")


def _amount(token: object, value: str, field: str = "amount") -> int:
    return parse_amount(value, int(token.decimals()), field)


@click.group(cls=UserErrorGroup)
def cli():
    """Create and administer tokenised securities."""


# ---------------------------------------------------------------- instruments


@cli.command("create-instrument", cls=ConnectedProviderCommand)
@account_option()
@click.option("--name", required=True, help="Token name, e.g. 'Example AG ordinary shares'.")
@click.option("--symbol", required=True, help="Token symbol.")
@click.option("--isin", required=True, help="ISO 6166 ISIN (check digit verified).")
@click.option("--cfi", required=True, help="ISO 10962 CFI code, e.g. ESVUFR (shares).")
@click.option("--currency", required=True, help="ISO 4217 currency, e.g. EUR.")
@click.option("--lei", required=True, help="ISO 17442 LEI of the issuer.")
@click.option("--decimals", type=int, default=0, show_default=True, help="0 for shares.")
@click.option("--nominal", default="1", show_default=True, help="Nominal value of one unit.")
@click.option("--issue-date", required=True, help="ISO date of issue, e.g. 2026-01-15.")
@click.option("--maturity", default="perpetual", show_default=True, help="ISO date or perpetual.")
@click.option("--issuer", "issuer_", help="Issuer role holder (default: the signer).")
@click.option("--registrar", help="Registrar / transfer agent (default: the signer).")
@click.option("--enforcer", help="Enforcer (default: the signer).")
@click.option("--pauser", help="Pauser (default: the signer).")
@click.option("--upgrader", help="Upgrader (default: the signer).")
@click.option("--admin", help="Admin / governance (default: the signer).")
def create_instrument(
    account,
    name,
    symbol,
    isin,
    cfi,
    currency,
    lei,
    decimals,
    nominal,
    issue_date,
    maturity,
    issuer_,
    registrar,
    enforcer,
    pauser,
    upgrader,
    admin,
):
    """Create an instrument: a proxy to the shared token implementation, one per ISIN."""
    me = account.address
    roles = {
        "admin": admin or me,
        "issuer": issuer_ or me,
        "registrar": registrar or me,
        "enforcer": enforcer or me,
        "pauser": pauser or me,
        "upgrader": upgrader or me,
    }
    spec = instruments.parse_spec(
        name=name,
        symbol=symbol,
        isin=isin,
        cfi=cfi,
        currency=currency,
        lei=lei,
        decimals=decimals,
        nominal=nominal,
        issue_date=issue_date,
        maturity=maturity,
        roles=roles,
    )
    suite = load_suite()
    token = instruments.create(suite, account, spec)
    done(f"instrument {spec.isin} created at {token.address}")
    _enable_lifecycle(suite, token, account)


def _enable_lifecycle(suite: Suite, token: object, account: object) -> None:
    """Point a new instrument to the record-date book and grant the distributions and redemption
    contracts their roles, when they are deployed and the signer is the instrument's admin."""
    if not lifecycle.is_deployed(suite.record):
        console.print("lifecycle contracts not deployed: corporate actions not enabled")
        return
    contracts = lifecycle.load_lifecycle(suite.record)
    if not token.hasRole(ADMIN_ROLE, account.address):
        console.print(
            f"{account.address} is not the instrument's admin: its admin enables corporate "
            "actions (record-date book and the lifecycle contracts' roles)"
        )
        return
    lifecycle.enable_instrument(contracts, token, account, log=console.print)


@cli.command(cls=ConnectedProviderCommand)
@isin_option
def info(isin):
    """Instrument data and its transfer rules."""
    _, token = _token(isin)
    views.show_info(token)


@cli.command(cls=ConnectedProviderCommand)
@isin_option
def holders(isin):
    """The cap table: investor, category, wallets, country, balance, share of supply."""
    suite, token = _token(isin)
    views.show_holders(suite, token)


# ---------------------------------------------------------------- investors


@cli.command("register-investor", cls=ConnectedProviderCommand)
@account_option()
@click.option("--wallet", help="Wallet address.")
@click.option("--investor-id", help="The registrar's investor id (stored on-chain as a hash).")
@click.option("--country", help="ISO 3166 country: DE, DEU or 276.")
@click.option(
    "--category",
    default="retail",
    show_default=True,
    help="retail, professional, institutional (or a number).",
)
@click.option("--expiry", help="ISO date the eligibility expires.")
@click.option(
    "--csv",
    "csv_path",
    type=click.Path(path_type=Path),
    help="Register many: columns wallet,investor_id,country,category,expiry.",
)
def register_investor(account, wallet, investor_id, country, category, expiry, csv_path):
    """Register one wallet for an investor, or many from a CSV file."""
    suite = load_suite()
    if csv_path:
        rows = read_investors(csv_path)
    else:
        _require(wallet=wallet, investor_id=investor_id, country=country, expiry=expiry)
        rows = [
            InvestorRow(
                row=1,
                wallet=parse_address(wallet, "wallet"),
                investor_id=investor_id,
                id_hash=investor_id_hash(investor_id),
                country=parse_country(country),
                category=parse_category(category),
                expiry=parse_date(expiry, "expiry"),
            )
        ]
    with progress_bar("registering", len(rows)) as advance:
        landed = investors.register(suite.registry, account, rows, advance)
    done(f"{len(landed)} wallet(s) registered")


@cli.command("update-investor", cls=ConnectedProviderCommand)
@account_option()
@click.option("--investor-id", help="The registrar's investor id.")
@click.option("--country", help="ISO 3166 country: DE, DEU or 276.")
@click.option("--category", help="retail, professional, institutional (or a number).")
@click.option("--expiry", help="ISO date the eligibility expires.")
@click.option(
    "--csv",
    "csv_path",
    type=click.Path(path_type=Path),
    help="Update many: columns investor_id,country,category,expiry.",
)
def update_investor(account, investor_id, country, category, expiry, csv_path):
    """Change an investor's country, category and expiry on all its wallets (or many, CSV)."""
    suite = load_suite()
    if csv_path:
        rows = read_updates(csv_path)
    else:
        _require(investor_id=investor_id, country=country, category=category, expiry=expiry)
        rows = [
            UpdateRow(
                row=1,
                investor_id=investor_id,
                id_hash=investor_id_hash(investor_id),
                country=parse_country(country),
                category=parse_category(category),
                expiry=parse_date(expiry, "expiry"),
            )
        ]
    with progress_bar("updating", len(rows)) as advance:
        landed = investors.update_many(suite.registry, account, rows, advance)
    done(f"{len(landed)} investor(s) updated")


@cli.command("remove-investor", cls=ConnectedProviderCommand)
@account_option()
@click.option("--wallet", help="The wallet to unlink (it is retired, not reused).")
@click.option(
    "--csv", "csv_path", type=click.Path(path_type=Path), help="Remove many: column wallet."
)
def remove_investor(account, wallet, csv_path):
    """Unlink a wallet from its investor (or many, from a CSV file)."""
    suite = load_suite()
    if csv_path:
        rows = read_wallets(csv_path)
    else:
        _require(wallet=wallet)
        rows = [WalletRow(row=1, wallet=parse_address(wallet, "wallet"))]
    with progress_bar("removing", len(rows)) as advance:
        landed = investors.remove_many(suite.registry, account, rows, advance)
    done(f"{len(landed)} wallet(s) removed")


@cli.command("register-system-account", cls=ConnectedProviderCommand)
@account_option()
@click.option("--wallet", required=True, help="The contract (an escrow, a bridge custody).")
@click.option("--label", required=True, help="What it is, e.g. 'DvP escrow'.")
def register_system_account(account, wallet, label):
    """Register a system account: it may hold units, is not an investor, has no holding cap."""
    suite = load_suite()
    address = parse_address(wallet, "wallet")
    if investors.register_system_account(suite.registry, account, address, label):
        done(f"{address} registered as a system account ({label})")
    else:
        done(f"{address} is already a system account")


@cli.command("remove-system-account", cls=ConnectedProviderCommand)
@account_option()
@click.option("--wallet", required=True)
def remove_system_account(account, wallet):
    """Remove a system account from the registry."""
    suite = load_suite()
    address = parse_address(wallet, "wallet")
    investors.remove_system_account(suite.registry, account, address)
    done(f"{address} is no longer a system account")


@cli.command("investor", cls=ConnectedProviderCommand)
@click.option("--wallet", required=True)
def investor(wallet):
    """Show what the registry knows of a wallet."""
    suite = load_suite()
    rec = investors.identity(suite.registry, parse_address(wallet, "wallet"))
    fields(
        f"Wallet {rec.wallet}",
        {
            "kind": rec.kind,
            "investor id": "0x" + rec.investor_id.hex(),
            "country": country_label(rec.country) if rec.country else "-",
            "category": category_label(rec.category) if rec.category else "-",
            "eligible until": format_date(rec.expiry) if rec.expiry else "-",
        },
    )


# ---------------------------------------------------------------- issuance


@cli.command(cls=ConnectedProviderCommand)
@account_option()
@isin_option
@click.option("--to", help="Recipient wallet.")
@click.option("--amount", help="Units, e.g. 100 or 12.5.")
@click.option(
    "--csv", "csv_path", type=click.Path(path_type=Path), help="Mint many: columns wallet,amount."
)
def mint(account, isin, to, amount, csv_path):
    """Mint to one registered investor, or to many from a CSV file."""
    _, token = _token(isin)
    if csv_path:
        rows = read_amounts(csv_path, int(token.decimals()))
        with progress_bar("minting", len(rows)) as advance:
            landed = operations.batch_mint(token, account, rows, advance)
        done(f"{len(landed)} row(s) minted")
        return
    _require(to=to, amount=amount)
    units = _amount(token, amount)
    operations.mint(token, account, parse_address(to, "to"), units)
    done(f"minted {amount} {isin} to {to}")


@cli.command(cls=ConnectedProviderCommand)
@account_option()
@isin_option
@click.option("--wallet", "from_", help="Holder to burn from.")
@click.option("--amount", help="Units.")
@click.option(
    "--csv", "csv_path", type=click.Path(path_type=Path), help="Burn many: columns wallet,amount."
)
def burn(account, isin, from_, amount, csv_path):
    """Burn from one holder, or from many listed in a CSV file."""
    _, token = _token(isin)
    if csv_path:
        rows = read_amounts(csv_path, int(token.decimals()))
        with progress_bar("burning", len(rows)) as advance:
            landed = operations.batch_burn(token, account, rows, advance)
        done(f"{len(landed)} row(s) burned")
        return
    _require(wallet=from_, amount=amount)
    operations.burn(token, account, parse_address(from_, "wallet"), _amount(token, amount))
    done(f"burned {amount} {isin} from {from_}")


@cli.command(cls=ConnectedProviderCommand)
@account_option()
@isin_option
@click.option("--to", required=True)
@click.option("--amount", required=True)
def transfer(account, isin, to, amount):
    """Transfer from the signer; a refusal prints the rule that refused it."""
    _, token = _token(isin)
    operations.transfer(token, account, parse_address(to, "to"), _amount(token, amount))
    done(f"transferred {amount} {isin} to {to}")


# ---------------------------------------------------------------- enforcement


def _set_freeze(account, isin: str, wallet: str, amount: str | None, frozen: bool) -> None:
    _, token = _token(isin)
    address = parse_address(wallet, "wallet")
    verb = "froze" if frozen else "unfroze"
    if amount:
        operations.freeze_amount(token, account, address, _amount(token, amount), frozen)
        done(f"{verb} {amount} of {wallet}")
    else:
        operations.set_frozen(token, account, address, frozen)
        done(f"{verb} {wallet}")


@cli.command(cls=ConnectedProviderCommand)
@account_option()
@isin_option
@click.option("--wallet", required=True)
@click.option("--amount", help="Freeze only this amount (default: the whole address).")
def freeze(account, isin, wallet, amount):
    """Freeze a whole address, or an amount of its balance."""
    _set_freeze(account, isin, wallet, amount, True)


@cli.command(cls=ConnectedProviderCommand)
@account_option()
@isin_option
@click.option("--wallet", required=True)
@click.option("--amount", help="Unfreeze only this amount (default: the whole address).")
def unfreeze(account, isin, wallet, amount):
    """Unfreeze a whole address, or an amount of its balance."""
    _set_freeze(account, isin, wallet, amount, False)


@cli.command("force-transfer", cls=ConnectedProviderCommand)
@account_option()
@isin_option
@click.option("--from", "from_", required=True)
@click.option("--to", required=True)
@click.option("--amount", required=True)
@click.option("--reason", required=True, help="Recorded on-chain in the ForcedTransfer event.")
def force_transfer(account, isin, from_, to, amount, reason):
    """Registrar's transfer that bypasses the rules (the recipient must be registered)."""
    _, token = _token(isin)
    operations.forced_transfer(
        token,
        account,
        parse_address(from_, "from"),
        parse_address(to, "to"),
        _amount(token, amount),
        reason,
    )
    done(f"forced transfer of {amount} {isin} from {from_} to {to}")


@cli.command("recover-wallet", cls=ConnectedProviderCommand)
@account_option()
@click.option("--lost", required=True, help="The lost wallet.")
@click.option("--new", "new", required=True, help="The replacement wallet (unregistered).")
@click.option("--isin", "isins", multiple=True, help="Instrument(s) to move (default: all).")
def recover_wallet(account, lost, new, isins):
    """Move a lost wallet's investor link, balances and freezes to a new wallet."""
    suite = load_suite()
    codes = isins or tuple(suite.record.instruments)
    tokens = [instruments.token_for(suite, code) for code in codes]
    operations.recover_wallet(
        suite.registry, tokens, account, parse_address(lost, "lost"), parse_address(new, "new")
    )
    done(f"wallet {lost} recovered to {new} on {len(tokens)} instrument(s)")


@cli.command(cls=ConnectedProviderCommand)
@account_option()
@isin_option
def pause(account, isin):
    """Stop transfers, mints and burns (forced transfers and recovery go on)."""
    _, token = _token(isin)
    operations.set_paused(token, account, True)
    done(f"{isin} paused")


@cli.command(cls=ConnectedProviderCommand)
@account_option()
@isin_option
def unpause(account, isin):
    """Resume transfers."""
    _, token = _token(isin)
    operations.set_paused(token, account, False)
    done(f"{isin} running")


# ---------------------------------------------------------------- documents and rules


@cli.command("set-document", cls=ConnectedProviderCommand)
@account_option()
@isin_option
@click.option("--name", required=True, help="Document name, e.g. prospectus (≤ 32 characters).")
@click.option("--uri", required=True)
@click.option(
    "--file",
    "file_",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Local copy: its SHA-256 is recorded as the content hash.",
)
@click.option("--hash", "hash_", help="Content hash (hex, 32 bytes) if no --file.")
def set_document(account, isin, name, uri, file_, hash_):
    """Attach or replace a document (ERC-1643)."""
    _, token = _token(isin)
    if file_:
        digest = hashlib.sha256(file_.read_bytes()).digest()
    elif hash_:
        try:
            digest = bytes.fromhex(hash_.removeprefix("0x"))
        except ValueError:
            raise UserError("hash", "not hex") from None
        if len(digest) != 32:
            raise UserError("hash", "must be 32 bytes (64 hex digits)")
    else:
        raise UserError("file", "give --file or --hash")
    operations.set_document(token, account, doc_name(name), uri, digest)
    done(f"document {name} set on {isin}")


@cli.command("set-rule", cls=ConnectedProviderCommand)
@account_option()
@isin_option
@click.option("--rule", required=True, type=click.Choice(RULES))
@click.option("--value", default="", help="Units, a count or a date, per rule.")
@click.option(
    "--country",
    "countries",
    multiple=True,
    help="For country-allow/deny: a country to list (repeatable).",
)
def set_rule(account, isin, rule, value, countries):
    """Switch a rule on or change it (admin)."""
    _, token = _token(isin)
    index = rule_index(rule)
    codes = [parse_country(c) for c in countries]
    if index in (0, 1):
        if codes:
            operations.set_countries(token, account, index, codes, True)
    elif not value:
        raise UserError("value", f"{rule} needs a value")
    operations.set_rule(token, account, index, parse_value(rule, value, int(token.decimals())))
    done(f"rule {rule} on for {isin}")


@cli.command("remove-rule", cls=ConnectedProviderCommand)
@account_option()
@isin_option
@click.option("--rule", required=True, type=click.Choice(RULES))
def remove_rule(account, isin, rule):
    """Switch a rule off (admin)."""
    _, token = _token(isin)
    operations.remove_rule(token, account, rule_index(rule))
    done(f"rule {rule} off for {isin}")

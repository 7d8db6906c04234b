"""The book-entry register CLI: `ape run ledger <command>`.

    open-account    open a securities account (segregated, omnibus or issuance)
    add-instrument  keep an ISIN in the register, issued from an issuance account
    issue           issue units of an ISIN to an account
    transfer        move units between two client accounts
    beneficial-owners  show, or record, the breakdown of an omnibus account by beneficial owner
    deploy          bridge an ISIN between the register and a chain (BridgeMint and mirror token)
    import          a sese.023 instruction: book entry -> wallet, or a sese.024 refusal
    on-chain        book entry -> wallet, from options
    off-chain       wallet -> book entry: the holder sends to the account's deposit address
    deposit-address the address a holder sends to, to credit an account (or an owner in it)
    statement       the semt.002 statement of holdings of an account
    confirm         the sese.025 confirmation of a completed movement (either way)
    reconcile       issued == supply + book entry + in flight (exit 1 naming the difference)
    status          accounts, holdings and the bridge's figures

The register is a database (`--db`, SQLite by default, PostgreSQL by URL). Once deployed, the
bridge's deployment file (`--deployment`, written by `deploy`) names the register's database and
the chain's RPC URL; the bridge's validators and relayer (`python -m securities_rails.bridge`)
carry the movements, as between two chains.

An omnibus account's holding broken down by beneficial owner: every command that books a
movement on it names the owner (`--beneficial-owner`, or `--debit-owner` / `--credit-owner` on a
transfer); a refusal names the field and moves nothing.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import click
from ape.cli import account_option

from securities_rails.bridge import deploy as bridge_deploy
from securities_rails.chain.networks import connected
from securities_rails.console import UserErrorGroup, console, done, table
from securities_rails.errors import UserError
from securities_rails.identifiers import parse_address, parse_isin
from securities_rails.ledger import operations
from securities_rails.ledger.models import CLIENT_KINDS, ISSUANCE
from securities_rails.ledger.register import DEFAULT_URL, RefusedError, Register, check_quantity
from securities_rails.token import instruments

db_option = click.option(
    "--db", "db_url", default=DEFAULT_URL, show_default=True, help="The register's database URL."
)
deployment_option = click.option(
    "--deployment",
    "deployment_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="The bridge's deployment file (written by `ledger deploy`).",
)
out_option = click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), help="Write here (default: stdout)."
)


def owner_option(help_text: str) -> Any:
    return click.option("--beneficial-owner", "owner", help=help_text)


def _write(xml: bytes, out: Path | None) -> None:
    if out is None:
        click.echo(xml.decode())
    else:
        out.write_bytes(xml)
        done(f"wrote {out}")


def _refused(error: RefusedError) -> UserError:
    return UserError(error.field, f"{error.message} (reason {error.reason}; nothing moved)")


@click.group(cls=UserErrorGroup)
def cli() -> None:
    """Move securities between a book-entry register and a chain, both ways, with ISO 20022.

    An omnibus account's holding broken down by beneficial owner: every command that books a
    movement on it names the owner (`--beneficial-owner`, or `--debit-owner` / `--credit-owner`
    on `transfer`); `beneficial-owners` shows or records the breakdown. A database whose register
    tables are of another schema version is refused (`Error: db: ...`): export the holdings with
    `statement` using the release that made it, then open a new database."""


@cli.command(name="open-account")
@db_option
@click.option("--id", "account_id", required=True, help="Account id (ISO 20022 Max35Text).")
@click.option("--owner", required=True, help="The owner's name.")
@click.option(
    "--kind",
    type=click.Choice([*CLIENT_KINDS, ISSUANCE]),
    default="segregated",
    show_default=True,
)
@click.option("--lei", help="The owner's ISO 17442 LEI.")
def open_account_command(
    db_url: str, account_id: str, owner: str, kind: str, lei: str | None
) -> None:
    """Open a securities account (the same details again: nothing changes)."""
    register = Register(db_url)
    try:
        row = operations.open_account(register, account_id, owner, kind, lei)
    finally:
        register.close()
    done(f"account {row.id} ({row.kind}, {row.owner_name}) open")


@cli.command(name="add-instrument")
@db_option
@click.option("--isin", required=True)
@click.option("--issuance-account", required=True, help="The issuer's issuance account.")
@click.option("--decimals", type=int, default=0, show_default=True)
def add_instrument_command(db_url: str, isin: str, issuance_account: str, decimals: int) -> None:
    """Keep ISIN in the register, issued from an issuance account."""
    register = Register(db_url)
    try:
        row = operations.add_instrument(register, isin, issuance_account, decimals)
    finally:
        register.close()
    done(f"{row.isin} kept, issued from {row.issuance_account} ({row.decimals} decimals)")


@cli.command(name="issue")
@db_option
@click.option("--isin", required=True)
@click.option("--securities-account", "account_id", required=True, help="The account credited.")
@click.option("--quantity", type=int, required=True, help="Smallest units.")
@click.option("--reference", required=True, help="The movement's reference (exactly once).")
@owner_option("The beneficial owner credited (an omnibus account).")
def issue_command(
    db_url: str, isin: str, account_id: str, quantity: int, reference: str, owner: str | None
) -> None:
    """Issue units of ISIN to an account (debiting its issuance account)."""
    register = Register(db_url)
    try:
        row = operations.issue(register, isin, account_id, quantity, reference, owner)
    except RefusedError as error:
        raise _refused(error) from None
    finally:
        register.close()
    credited = _side(row.credit, row.credit_owner)
    done(f"issued {row.quantity} {row.isin} to {credited} ({row.reference})")


@cli.command(name="transfer")
@db_option
@click.option("--isin", required=True)
@click.option("--from-account", "debit", required=True, help="The client account debited.")
@click.option("--to-account", "credit", required=True, help="The client account credited.")
@click.option("--quantity", type=int, required=True, help="Smallest units.")
@click.option("--reference", required=True, help="The movement's reference (exactly once).")
@click.option("--debit-owner", help="The beneficial owner debited (an omnibus account).")
@click.option("--credit-owner", help="The beneficial owner credited (an omnibus account).")
def transfer_command(
    db_url: str,
    isin: str,
    debit: str,
    credit: str,
    quantity: int,
    reference: str,
    debit_owner: str | None,
    credit_owner: str | None,
) -> None:
    """Move units of ISIN between two client accounts, exactly once on the reference."""
    register = Register(db_url)
    try:
        row = operations.transfer(
            register,
            isin,
            debit,
            credit,
            quantity,
            reference,
            debit_owner=debit_owner,
            credit_owner=credit_owner,
        )
    except RefusedError as error:
        raise _refused(error) from None
    finally:
        register.close()
    done(
        f"{row.quantity} {row.isin} from {_side(row.debit, row.debit_owner)} to "
        f"{_side(row.credit, row.credit_owner)} ({row.reference})"
    )


@cli.command(name="beneficial-owners")
@db_option
@click.option("--securities-account", "account_id", required=True, help="An omnibus account.")
@click.option("--isin", required=True)
@click.option(
    "--owner",
    "owners",
    multiple=True,
    help="OWNER=UNITS, repeated: record this breakdown (it must add up to the holding); "
    "without it, show the breakdown.",
)
def beneficial_owners_command(
    db_url: str, account_id: str, isin: str, owners: tuple[str, ...]
) -> None:
    """Show an omnibus account's holding of ISIN by beneficial owner, or record it (replacing
    the breakdown; from then on every movement on that holding names its owner)."""
    wanted = _owner_quantities(owners)
    register = Register(db_url)
    try:
        if wanted:
            found = operations.set_beneficial_owners(register, account_id, isin, wanted)
        else:
            found = operations.beneficial_owners(register, account_id, isin)
        held = register.holding(account_id, isin)
    except RefusedError as error:
        raise _refused(error) from None
    finally:
        register.close()
    rows = [(owner, quantity) for owner, quantity in found.items()]
    table(f"{account_id}: {held} units of {isin}", ("owner", "units"), rows)
    if wanted:
        done(f"breakdown of {account_id}'s {isin} recorded: {len(found)} beneficial owners")
    elif not found:
        console.print("no breakdown by beneficial owner")


def _owner_quantities(owners: tuple[str, ...]) -> dict[str, int]:
    """``OWNER=UNITS`` options -> owner id -> units (UserError on ``owner`` when malformed)."""
    wanted: dict[str, int] = {}
    for entry in owners:
        owner, sep, units = entry.rpartition("=")
        if not sep or not owner or not units.strip().isdigit():
            raise UserError("owner", f"{entry!r}: give OWNER=UNITS (units: a whole number)")
        if owner in wanted:
            raise UserError("owner", f"{owner} is given twice")
        wanted[owner] = check_quantity(int(units), f"owner[{owner}]")
    return wanted


def _side(account: str, owner: str | None) -> str:
    return account if owner is None else f"{account} (beneficial owner {owner})"


@cli.command(name="deploy")
@account_option()
@db_option
@click.option("--isin", required=True, help="An ISIN the register keeps.")
@click.option("--register-id", required=True, help="The register's id (e.g. the CSD's BIC).")
@click.option("--register-chain-id", type=int, required=True, help="Its pseudo chain id.")
@click.option("--remote", required=True, help="The chain: ape network choice or RPC URL.")
@click.option("--validator", "validators", multiple=True, required=True, help="Repeat per key.")
@click.option("--threshold", type=int, required=True, help="Signatures needed (m of n).")
@click.option("--capacity", type=int, required=True, help="Rate-limit bucket on the chain.")
@click.option("--rate", type=int, required=True, help="Refill, units per second.")
@click.option("--max-transfer", type=int, required=True, help="Largest single transfer.")
@click.option("--confirmations", type=int, default=2, show_default=True, help="Chain blocks.")
@click.option("--name", required=True, help="The mirror token's name.")
@click.option("--symbol", required=True, help="The mirror token's symbol.")
@click.option("--cfi", default="ESVUFR", show_default=True, help="ISO 10962 CFI code.")
@click.option("--currency", default="EUR", show_default=True, help="ISO 4217 currency.")
@click.option("--lei", required=True, help="The issuer's LEI.")
@click.option("--nominal", default="1", show_default=True)
@click.option("--issue-date", required=True, help="ISO date of issue.")
@click.option("--maturity", default="perpetual", show_default=True)
@click.option("--directory", type=click.Path(file_okay=False, path_type=Path), help="For the file.")
def deploy_command(
    account: Any,
    db_url: str,
    isin: str,
    register_id: str,
    register_chain_id: int,
    remote: str,
    validators: tuple[str, ...],
    threshold: int,
    capacity: int,
    rate: int,
    max_transfer: int,
    confirmations: int,
    name: str,
    symbol: str,
    cfi: str,
    currency: str,
    lei: str,
    nominal: str,
    issue_date: str,
    maturity: str,
    directory: Path | None,
) -> None:
    """Bridge ISIN between the register and a chain: a BridgeMint and mirror token peered with
    the register's end, and the deployment file (run again: completes what is left)."""
    me = account.address
    register = Register(db_url)
    try:
        decimals = register.instrument(isin).decimals
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
            roles=dict.fromkeys(instruments.ROLE_ORDER, me),
        )
        limits = bridge_deploy.Limits(capacity, rate)
        params = bridge_deploy.BridgeParams(
            validators=tuple(parse_address(v, "validator") for v in validators),
            threshold=threshold,
            outbound=limits,
            inbound=limits,
            max_transfer=max_transfer,
            home_confirmations=0,  # the register never reorganises
            remote_confirmations=confirmations,
            admin=me,
            guardian=me,
            compliance=me,
            upgrader=me,
        )
        signers = bridge_deploy.Signers(
            deployer=account, home_registrar=account, remote_registrar=account
        )
        deployment, path = operations.deploy(
            register,
            register_id=register_id,
            register_chain_id=register_chain_id,
            isin=parse_isin(isin, "isin"),
            remote=remote,
            params=params,
            signers=signers,
            instrument=spec.struct(),
            name=name,
            symbol=symbol,
            directory=directory,
            log=console.print,
        )
    finally:
        register.close()
    done(
        f"{deployment.isin}: register {deployment.home.endpoint} (pseudo chain "
        f"{deployment.home.chain_id}) <-> BridgeMint {deployment.remote.endpoint} (chain "
        f"{deployment.remote.chain_id}); {path}"
    )


@cli.command(name="import")
@deployment_option
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--status-out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where a refusal's sese.024 goes (default: FILE with .sese024.xml).",
)
def import_command(deployment_path: Path, file: Path, status_out: Path | None) -> None:
    """Import a sese.023 instruction (book entry -> wallet): sent, or refused with a sese.024
    status (exit 1, nothing moved)."""
    ledger = operations.Ledger.load(deployment_path)
    try:
        result = operations.import_instruction(ledger, file.read_bytes())
    finally:
        ledger.close()
    if result.refusal is not None and result.status is not None:
        target = status_out or file.with_suffix(".sese024.xml")
        target.write_bytes(result.status)
        error = result.refusal
        raise UserError(
            error.field,
            f"{error.message} (reason {error.reason}; nothing moved; sese.024 in {target})",
        )
    assert result.message is not None
    done(f"{result.reference}: message {result.message.id_hex} sent to {result.message.recipient}")


@cli.command(name="on-chain")
@deployment_option
@click.option(
    "--securities-account", "account_id", required=True, help="The securities account debited."
)
@click.option("--wallet", required=True, help="The wallet credited on the chain.")
@click.option("--quantity", type=int, required=True, help="Smallest units.")
@click.option("--reference", required=True, help="The instruction's reference (exactly once).")
@owner_option("The beneficial owner debited (an omnibus account).")
def on_chain_command(
    deployment_path: Path,
    account_id: str,
    wallet: str,
    quantity: int,
    reference: str,
    owner: str | None,
) -> None:
    """Book entry -> wallet: debit the account into the digital omnibus, send to the wallet."""
    ledger = operations.Ledger.load(deployment_path)
    try:
        message = operations.to_chain(ledger, account_id, wallet, quantity, reference, owner=owner)
    except RefusedError as error:
        raise _refused(error) from None
    finally:
        ledger.close()
    done(f"{reference}: {message.amount} units, message {message.id_hex} to {message.recipient}")


@cli.command(name="off-chain")
@account_option()
@deployment_option
@click.option("--to-account", "account_id", required=True, help="The securities account credited.")
@click.option("--quantity", type=int, required=True, help="Smallest units.")
@owner_option("The beneficial owner credited (an omnibus account): sent to its deposit address.")
def off_chain_command(
    account: Any, deployment_path: Path, account_id: str, quantity: int, owner: str | None
) -> None:
    """Wallet -> book entry: the signer sends to the account's (or the beneficial owner's)
    deposit address."""
    ledger = operations.Ledger.load(deployment_path)
    try:
        with connected(ledger.deployment.remote.rpc):
            sent = operations.to_book(ledger, account, account_id, quantity, owner)
    except RefusedError as error:
        raise _refused(error) from None
    finally:
        ledger.close()
    done(
        f"{quantity} units to {_side(sent.account, sent.owner)} ({sent.deposit_address}): "
        f"message {sent.message_id}"
    )


@cli.command(name="deposit-address")
@deployment_option
@click.option(
    "--securities-account", "account_id", required=True, help="The client account credited."
)
@owner_option("The beneficial owner credited (an omnibus account).")
def deposit_address_command(deployment_path: Path, account_id: str, owner: str | None) -> None:
    """The address a holder sends units to on the chain (`BridgeMint.send`) to credit an
    account, or one beneficial owner in an omnibus account."""
    ledger = operations.Ledger.load(deployment_path)
    try:
        address = operations.deposit_address(ledger, account_id, owner)
    except RefusedError as error:
        raise _refused(error) from None
    finally:
        ledger.close()
    click.echo(address)


@cli.command(name="statement")
@db_option
@click.option("--securities-account", "account_id", required=True, help="The account stated.")
@click.option("--date", "statement_date", help="ISO date (default: today, UTC).")
@out_option
def statement_command(
    db_url: str, account_id: str, statement_date: str | None, out: Path | None
) -> None:
    """The semt.002 statement of holdings of an account."""
    day = None
    if statement_date is not None:
        try:
            day = date.fromisoformat(statement_date)
        except ValueError:
            raise UserError("date", f"{statement_date!r} is not an ISO date") from None
    register = Register(db_url)
    try:
        xml = operations.statement(register, account_id, day)
    finally:
        register.close()
    _write(xml, out)


@cli.command(name="confirm")
@deployment_option
@click.option(
    "--reference",
    required=True,
    help="A book entry -> wallet instruction's reference, or a wallet -> book entry message id.",
)
@out_option
def confirm_command(deployment_path: Path, reference: str, out: Path | None) -> None:
    """The sese.025 confirmation of a completed movement (refused while it is not complete)."""
    ledger = operations.Ledger.load(deployment_path)
    try:
        xml = operations.confirmation(ledger, reference)
    finally:
        ledger.close()
    _write(xml, out)


@cli.command(name="reconcile")
@deployment_option
def reconcile_command(deployment_path: Path) -> None:
    """Check issued == supply on the chain + book entry + in flight; exit 1 naming the
    difference."""
    ledger = operations.Ledger.load(deployment_path)
    try:
        result = operations.reconcile(ledger)
    finally:
        ledger.close()
    for line in result.lines():
        console.print(line)
    if not result.ok:
        raise UserError("conservation", "; ".join(result.differences))
    done("conservation holds: issued == supply + book entry + in flight")


@cli.command(name="status")
@deployment_option
def status_command(deployment_path: Path) -> None:
    """The accounts holding the ISIN, the digital omnibus and the bridge's figures."""
    ledger = operations.Ledger.load(deployment_path)
    try:
        isin = ledger.isin
        rows = [
            (a.id, a.kind, a.owner_name, ledger.register.holding(a.id, isin))
            for a in ledger.register.accounts()
        ]
        result = operations.reconcile(ledger)
    finally:
        ledger.close()
    table(f"{isin} in the register", ("account", "kind", "owner", "units"), rows)
    for line in [*result.lines(), *result.bridge.lines()]:
        console.print(line)

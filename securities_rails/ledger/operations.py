"""What `ape run ledger` does, as functions: the book-entry register and its bridge to a chain.

- accounts and instruments: :func:`open_account`, :func:`add_instrument`, :func:`issue`,
  :func:`transfer`; an omnibus account's beneficial owners: :func:`set_beneficial_owners`,
  :func:`beneficial_owners`, and the ``owner`` of each movement on it;
- :func:`deploy`: configure the register's side of an ISIN's bridge and deploy the
  ``BridgeMint`` and mirror token peered with it (``bridge.deploy.deploy_mint_for_register``),
  recorded in a bridge deployment file whose home side is the register (``kind: register``);
- book entry -> DLT: :func:`to_chain` (from options) and :func:`import_instruction` (a sese.023);
  a refused instruction moves nothing and gives a sese.024 with the register's reason code;
- DLT -> book entry: :func:`to_book`, the holder's ``BridgeMint.send`` to the account's (or a
  beneficial owner's: :func:`deposit_address`) deposit address, checked first (a client account
  of the register, the owner, the balance, the transfer rules);
- :func:`confirmation` (sese.025 of a completed movement, either way), :func:`statement`
  (semt.002), :func:`reconcile` (issued == supply on the chain + book-entry holdings outside the
  digital omnibus + in flight, the chain part read as the bridge reconciler reads it).

The validators and the relayer are the bridge's own processes (``python -m
securities_rails.bridge``) on the deployment file: these functions only start movements.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select

from securities_rails.bridge.deploy import (
    BridgeParams,
    Signers,
    bridge_file,
    deploy_mint_for_register,
)
from securities_rails.bridge.deployment import BridgeDeployment, BridgeSide
from securities_rails.bridge.endpoint import Endpoint, InboundStatus, token_abi
from securities_rails.bridge.messages import Message
from securities_rails.bridge.reconciler import Reconciliation, read
from securities_rails.bridge.register_book import bridge_address, message_from_json, reference_of
from securities_rails.bridge.register_endpoint import RegisterEndpoint, configure
from securities_rails.errors import UserError
from securities_rails.identifiers import parse_address
from securities_rails.ledger import instructions
from securities_rails.ledger.instructions import Completed, LedgerInstruction, Refusal
from securities_rails.ledger.models import (
    CLIENT_KINDS,
    DIGITAL_OMNIBUS,
    OFF_CHAIN,
    OMNIBUS,
    ON_CHAIN,
    TRANSFER,
    BridgeEvent,
    BridgeOutbound,
    Instrument,
    Movement,
    SecuritiesAccount,
)
from securities_rails.ledger.register import (
    INVALID_ACCOUNT,
    INVALID_SECURITY,
    LACK_OF_SECURITIES,
    RefusedError,
    Register,
    check_isin,
    check_quantity,
)
from securities_rails.ledger.statement import export_statement
from securities_rails.reasons import describe, is_success

ZERO = "0x" + "00" * 20
Log = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


# ------------------------------------------------------------------ the register and its bridge


@dataclass
class Ledger:
    """A register and the bridge of one ISIN (home: the register, remote: the chain)."""

    deployment: BridgeDeployment
    register: Register

    @classmethod
    def load(cls, path: Path) -> Ledger:
        deployment = BridgeDeployment.load(path)
        if not deployment.home.is_register:
            raise UserError(
                "deployment", f"{path}: its home side is a chain, not a book-entry register"
            )
        return cls(deployment, Register(deployment.home.rpc))

    @property
    def isin(self) -> str:
        return self.deployment.isin

    @property
    def home(self) -> RegisterEndpoint:
        return RegisterEndpoint(self.deployment.home, self.register)

    @property
    def remote(self) -> Endpoint:
        return Endpoint(self.deployment.remote)

    def close(self) -> None:
        self.register.close()


# ------------------------------------------------------------------ accounts and instruments


def open_account(
    register: Register, account_id: str, owner: str, kind: str, owner_lei: str | None = None
) -> SecuritiesAccount:
    """Open a client or issuance account (a digital omnibus is opened by :func:`deploy`)."""
    if kind == DIGITAL_OMNIBUS:
        raise UserError("kind", "a digital-omnibus account is opened by `ledger deploy`")
    return register.open_account(account_id, owner, kind, owner_lei=owner_lei)


def add_instrument(
    register: Register, isin: str, issuance_account: str, decimals: int
) -> Instrument:
    return register.add_instrument(isin, issuance_account, decimals)


def issue(
    register: Register,
    isin: str,
    account: str,
    quantity: int,
    reference: str,
    owner: str | None = None,
) -> Movement:
    """Issue to ``account`` (``owner``: the beneficial owner credited in an omnibus account)."""
    return register.issue(isin, account, quantity, reference, credit_owner=owner)


def transfer(
    register: Register,
    isin: str,
    debit: str,
    credit: str,
    quantity: int,
    reference: str,
    *,
    debit_owner: str | None = None,
    credit_owner: str | None = None,
) -> Movement:
    """A transfer between two client accounts, exactly once on ``reference``; each omnibus side
    names its beneficial owner once its holding is broken down by owner."""
    return register.move(
        reference,
        isin,
        debit,
        credit,
        quantity,
        TRANSFER,
        debit_owner=debit_owner,
        credit_owner=credit_owner,
    )


def set_beneficial_owners(
    register: Register, account: str, isin: str, owners: dict[str, int]
) -> dict[str, int]:
    """Record the breakdown of an omnibus account's holding (it must add up to the holding)."""
    return register.set_beneficial_owners(account, isin, owners)


def beneficial_owners(register: Register, account: str, isin: str) -> dict[str, int]:
    """An omnibus account's breakdown of ``isin``: owner id -> quantity (empty: none)."""
    account_row = register.account(account)
    if account_row.kind != OMNIBUS:
        raise RefusedError(
            "account",
            f"{account_row.id} is a {account_row.kind} account: only an omnibus account has "
            "beneficial owners",
            INVALID_ACCOUNT,
        )
    return register.beneficial_owners(account, isin)


def deploy(
    register: Register,
    *,
    register_id: str,
    register_chain_id: int,
    isin: str,
    remote: str,
    params: BridgeParams,
    signers: Signers,
    instrument: tuple[Any, ...],
    name: str,
    symbol: str,
    directory: Path | None = None,
    log: Log = _quiet,
) -> tuple[BridgeDeployment, Path]:
    """Deploy (or complete) the bridge of ``isin`` between the register and the chain at
    ``remote``; the deployment file written. Idempotent: run again, it completes what is left."""
    code = check_isin(isin)
    register.instrument(code)  # refused (DSEC) when the register does not keep the ISIN
    address = bridge_address(register_id, code)
    side = deploy_mint_for_register(
        code,
        remote,
        register_chain_id,
        address,
        params,
        signers,
        instrument,
        name,
        symbol,
        directory=directory,
        log=log,
    )
    row = configure(
        register,
        register_id=register_id,
        chain_id=register_chain_id,
        isin=code,
        peer_chain_id=side.chain_id,
        peer_bridge=side.endpoint,
        validators=params.validators,
        threshold=params.threshold,
        confirmations=params.remote_confirmations,
    )
    home = BridgeSide(
        "home", register_chain_id, register.url, row.address, row.address, None, 0, kind="register"
    )
    deployment = BridgeDeployment(code, home, side)
    path = bridge_file(code, register_chain_id, side.chain_id, directory)
    deployment.save(path)
    log(f"deployment written to {path}")
    return deployment, path


# ------------------------------------------------------------------ book entry -> DLT


@dataclass(frozen=True)
class Imported:
    """The outcome of an instruction: the bridge message sent, or the sese.024 of a refusal."""

    reference: str
    message: Message | None = None
    status: bytes | None = None  # sese.024, when refused
    refusal: RefusedError | None = None

    @property
    def refused(self) -> bool:
        return self.refusal is not None


def check_to_chain(
    ledger: Ledger,
    account_id: str,
    wallet: str,
    isin: str,
    quantity: int,
    owner: str | None = None,
) -> str:
    """Everything the register and the chain would refuse, before anything moves; the wallet."""
    code = check_isin(isin)
    if code != ledger.isin:
        raise RefusedError(
            "isin", f"{code} is not {ledger.isin}, this bridge's ISIN", INVALID_SECURITY
        )
    amount = check_quantity(quantity)
    try:
        address = parse_address(wallet, "wallet")
    except UserError as error:
        raise RefusedError(error.field, error.message, INVALID_ACCOUNT) from None
    account = _client_account(ledger.register, account_id, "account")
    held = ledger.register.holding(account.id, code)
    if held < amount:
        raise RefusedError(
            "quantity", f"{account.id} holds {held} of {code}, not {amount}", LACK_OF_SECURITIES
        )
    ledger.register.check_beneficial_owner(account.id, code, amount, owner, "debit")
    remote = ledger.remote
    mirror = remote.chain.contract(ledger.deployment.remote.token, token_abi())
    verdict, reason = mirror.call("canTransfer", ZERO, address, amount)
    status = verdict[0] if isinstance(verdict, bytes | bytearray) else int(verdict)
    if not is_success(status):
        raise RefusedError(
            "wallet",
            f"{address} cannot receive {code} on chain {remote.chain_id}: "
            f"{describe(status, reason)}",
            INVALID_ACCOUNT,
        )
    return address


def to_chain(
    ledger: Ledger,
    account_id: str,
    wallet: str,
    quantity: int,
    reference: str,
    *,
    owner: str | None = None,
) -> Message:
    """Debit ``account_id`` (and ``owner``, the beneficial owner in an omnibus account) into
    the digital omnibus and send the units to ``wallet`` (exactly once on ``reference``: the
    same instruction again returns its message)."""
    booked = ledger.register.movement(reference)
    if booked is None:  # a repeat was checked when it was first sent
        address = check_to_chain(ledger, account_id, wallet, ledger.isin, quantity, owner)
    else:
        address = wallet
    return ledger.home.send_from_account(
        account_id, address, ledger.isin, quantity, reference, owner=owner
    )


def import_instruction(ledger: Ledger, xml: bytes) -> Imported:
    """A sese.023 instruction: sent to the chain, or refused with a sese.024 (nothing moved).
    A document that is not a readable instruction is a UserError (no status: no reference)."""
    instruction = instructions.parse_instruction(xml)
    try:
        if instruction.isin != ledger.isin:
            raise RefusedError(
                "isin",
                f"{instruction.isin} is not {ledger.isin}, this bridge's ISIN",
                INVALID_SECURITY,
            )
        decimals = ledger.register.instrument(instruction.isin).decimals
        try:
            units = instruction.units(decimals)
        except UserError as error:
            raise RefusedError(error.field, error.message, "DQUA") from None
        message = to_chain(
            ledger,
            instruction.account,
            instruction.wallet,
            units,
            instruction.reference,
            owner=instruction.owner,
        )
    except RefusedError as error:
        return Imported(instruction.reference, status=_refusal(instruction, error), refusal=error)
    return Imported(instruction.reference, message=message)


def _refusal(instruction: LedgerInstruction, error: RefusedError) -> bytes:
    return instructions.build_refusal(
        Refusal(
            reference=instruction.reference,
            isin=instruction.isin,
            quantity=instruction.quantity,
            account=instruction.account,
            wallet=instruction.wallet,
            reason=error.reason,
            narrative=f"{error.field}: {error.message}" if error.field else error.message,
            settlement_date=instruction.settlement_date,
            owner=instruction.owner,
        )
    )


# ------------------------------------------------------------------ DLT -> book entry


@dataclass(frozen=True)
class Returned:
    """A holder's send to an account's deposit address, taken by the chain."""

    account: str
    deposit_address: str
    message_id: str
    tx_hash: str
    owner: str | None = None


def deposit_address(ledger: Ledger, account_id: str, owner: str | None = None) -> str:
    """The address a holder sends units to on the chain to credit ``account_id`` (a client
    account), or ``owner`` in it (an omnibus account). Units sent to the account's own address
    while its holding is broken down by owner are refused and refunded on the chain."""
    account = _client_account(ledger.register, account_id, "account")
    return ledger.home.deposit_address(account.id, owner)


def to_book(
    ledger: Ledger, holder: Any, account_id: str, quantity: int, owner: str | None = None
) -> Returned:
    """Burn ``quantity`` of ``holder``'s mirror tokens towards ``account_id`` (and ``owner``,
    the beneficial owner credited in an omnibus account), checked first: a client account of
    the register, the owner (named when the holding is broken down by owner, only on an omnibus
    account), the holder's transferable balance, the bridge's limit and pause, the token's
    rules; approves the bridge when its allowance is short. Called with the chain connected in
    ape (``chain.networks.connected(deployment.remote.rpc)``)."""
    from ape import project

    from securities_rails.chain.contracts import token_at
    from securities_rails.chain.transact import send

    amount = check_quantity(quantity)
    account = _client_account(ledger.register, account_id, "account")
    ledger.register.check_beneficial_owner(account.id, ledger.isin, amount, owner, "credit")
    deposit = ledger.home.deposit_address(account.id, owner)
    side = ledger.deployment.remote
    endpoint = project.BridgeMint.at(side.endpoint)
    token = token_at(side.token)
    sender = holder.address
    maximum = int(endpoint.maxTransfer())
    if amount > maximum:
        raise UserError("quantity", f"{amount} is above the bridge's maximum transfer {maximum}")
    if endpoint.paused(0):
        raise UserError("deployment", "the chain's end of the bridge is paused outbound")
    available = int(token.balanceOf(sender)) - int(token.frozenTokens(sender))
    if available < amount:
        raise UserError("quantity", f"{sender} has {available} transferable units, not {amount}")
    verdict, reason = token.canTransfer(sender, side.endpoint, amount)
    status = verdict[0] if isinstance(verdict, bytes | bytearray) else int(verdict)
    if not is_success(status):
        raise UserError("quantity", f"the token refuses the transfer: {describe(status, reason)}")
    if int(token.allowance(sender, side.endpoint)) < amount:
        send(token.approve, side.endpoint, amount, sender=holder, field="approve")
    home_chain = ledger.deployment.home.chain_id
    receipt = send(endpoint.send, home_chain, deposit, amount, sender=holder, field="send")
    for log in receipt.decode_logs():
        if log.event_name in ("MessageSent", "OutboundQueued"):
            message = Message.from_tuple(tuple(log.message))
            return Returned(account.id, deposit, message.id_hex, str(receipt.txn_hash), owner)
    raise UserError("send", f"transaction {receipt.txn_hash} emitted no bridge message")


def _client_account(register: Register, account_id: str, name: str) -> SecuritiesAccount:
    try:
        account = register.account(account_id)
    except UserError:
        raise RefusedError(name, f"unknown account {account_id!r}", INVALID_ACCOUNT) from None
    if account.kind not in CLIENT_KINDS or account.closed_at is not None:
        state = "closed" if account.closed_at is not None else f"a {account.kind} account"
        raise RefusedError(
            name, f"{account.id} is {state}, not an open client account", INVALID_ACCOUNT
        )
    return account


# ------------------------------------------------------------------ messages out


def statement(register: Register, account: str, statement_date: date | None = None) -> bytes:
    """The semt.002 statement of holdings of ``account``."""
    return export_statement(register, account, statement_date)


def confirmation(ledger: Ledger, reference: str) -> bytes:
    """The sese.025 of a completed movement: ``reference`` is a book entry -> DLT instruction's
    reference (completed once the chain minted), or a DLT -> book entry message id (``0x…``)
    or its movement reference (completed once the register credited the account)."""
    wanted = reference_of(reference) if reference.startswith("0x") else reference
    movement = ledger.register.movement(wanted)
    if movement is None or movement.kind not in (ON_CHAIN, OFF_CHAIN) or not movement.message_id:
        if reference.startswith("0x"):
            raise UserError(
                "reference", f"message {reference} has not been credited to an account (yet)"
            )
        raise UserError(
            "reference", f"no movement between an account and a wallet is {reference!r}"
        )
    if movement.kind == ON_CHAIN:
        with ledger.register.reading() as session:
            row = session.scalar(select(BridgeOutbound).where(BridgeOutbound.instruction == wanted))
        assert row is not None  # booked in the same transaction as the movement
        message = message_from_json(json.loads(row.message))
        status = ledger.remote.inbound_status(message.message_id())
        if status != InboundStatus.EXECUTED:
            raise UserError(
                "reference",
                f"{reference} is {status.name.lower()} on chain {ledger.remote.chain_id}, not "
                "completed: only a completed movement is confirmed",
            )
        account, wallet, direction = movement.debit, message.recipient, "on-chain"
        owner = movement.debit_owner
    else:
        message = _executed(ledger, movement.message_id)
        account, wallet, direction = movement.credit, message.sender, "off-chain"
        owner = movement.credit_owner
    home = ledger.deployment.home
    return instructions.build_confirmation(
        Completed(
            reference=movement.reference,
            direction=direction,  # type: ignore[arg-type]
            isin=movement.isin,
            units=movement.quantity,
            decimals=ledger.register.instrument(movement.isin).decimals,
            account=account,
            wallet=wallet,
            booked_at=movement.created_at,
            message_id=movement.message_id or "",
            chain_id=home.chain_id,
            bridge=home.endpoint,
            owner=owner,
        )
    )


def _executed(ledger: Ledger, message_id: str | None) -> Message:
    with ledger.register.reading() as session:
        rows = session.scalars(
            select(BridgeEvent).where(
                BridgeEvent.address == ledger.deployment.home.endpoint,
                BridgeEvent.name == "MessageExecuted",
            )
        )
        for row in rows:
            args = json.loads(row.args)
            if args.get("id") == message_id:
                return message_from_json(args["message"])
    raise UserError("reference", f"message {message_id} was not executed on the register")


# ------------------------------------------------------------------ reconciliation


@dataclass(frozen=True)
class LedgerReconciliation:
    """issued == supply on the chain + book-entry holdings outside the omnibus + in flight."""

    isin: str
    issued: int
    book: int  # client accounts' holdings (outside every digital omnibus)
    omnibus: dict[int, int]  # chain id -> the digital omnibus's holding
    bridge: Reconciliation  # the chain's reading, as the bridge reconciler takes it
    chain_id: int
    differences: list[str] = field(default_factory=list)

    @property
    def supply(self) -> int:
        return self.bridge.reading.mirror_supply

    @property
    def in_flight(self) -> int:
        return self.bridge.in_flight

    @property
    def unread(self) -> int:
        """What digital omnibus accounts of chains without this deployment hold."""
        return sum(q for chain, q in self.omnibus.items() if chain != self.chain_id)

    @property
    def difference(self) -> int:
        return self.issued - (self.supply + self.book + self.in_flight + self.unread)

    @property
    def ok(self) -> bool:
        return not self.differences

    def lines(self) -> list[str]:
        out = [
            f"{self.isin}: issued {self.issued}",
            f"book entry (client accounts): {self.book}",
            f"chain {self.chain_id}: supply {self.supply}, in flight {self.in_flight}",
        ]
        out += [
            f"chain {c}: digital omnibus {q} (no deployment read)"
            for c, q in sorted(self.omnibus.items())
            if c != self.chain_id
        ]
        out.append(
            f"difference: issued - (supply + book entry + in flight) = {self.difference:+d} units"
        )
        return out


def reconcile(ledger: Ledger) -> LedgerReconciliation:
    """Read the register and the chain and name every difference."""
    isin = ledger.isin
    bridge = Reconciliation(read(ledger.home, ledger.remote))  # type: ignore[arg-type]
    issued = ledger.register.issued(isin)
    omnibus = ledger.register.on_chains(isin)
    book = ledger.register.total_outside_issuance(isin) - sum(omnibus.values())
    result = LedgerReconciliation(isin, issued, book, omnibus, bridge, ledger.remote.chain_id)
    if result.difference:
        result.differences.append(
            f"issued {issued} differs from supply {result.supply} + book entry {book} + in "
            f"flight {result.in_flight} by {result.difference:+d} units"
        )
    problem = bridge.problem()
    if problem is not None:
        result.differences.append(f"bridge: {problem}")
    held = omnibus.get(ledger.remote.chain_id, 0)
    if held != bridge.reading.custody:
        result.differences.append(
            f"the digital omnibus holds {held}, the register's bridge reports custody "
            f"{bridge.reading.custody}"
        )
    return result


def reconcile_or_raise(ledger: Ledger) -> LedgerReconciliation:
    result = reconcile(ledger)
    if not result.ok:
        raise UserError("conservation", "; ".join(result.differences))
    return result

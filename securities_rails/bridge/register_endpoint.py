"""The book-entry register as one end of a bridge: ``RegisterEndpoint``.

It has the methods of ``securities_rails.bridge.endpoint.Endpoint`` that the validators, the
relayer and the reconciler call, so they run unchanged with the register as the home side and
a chain's ``BridgeMint`` as the remote side. The register plays a chain that never reorganises:

* pseudo chain id and bridge address (``bridge_book.bridge_address(register id, ISIN)``), the
  peer BridgeMint, the validator set and threshold: ``ledger_bridge_endpoints``;
* one pseudo block per bridge transaction, its events shaped like the contract's
  (``MessageSent``, ``MessageExecuted``, ``TransferFailed``, ``Refunded``): ``events()``;
* the relayer's calls go through ``prepare`` / ``broadcast`` / ``receipt`` / ``wait`` as on a
  chain: ``prepare`` runs the call in a transaction it rolls back (a would-be revert raises
  RevertError, as an estimate does) and returns the call as ``Prepared.raw`` (JSON), with a
  deterministic hash; ``broadcast`` applies it in ONE database transaction (a new block, the
  movement, the status, the events, the totals), or records it reverted; broadcasting the same
  hash again changes nothing. So the relayer needs no change at all;
* the digital-omnibus account of (ISIN, peer chain) plays the lock (``custody_balance``), and
  ``totals`` the contract's sent / received / refunded, each readable at a past block, so the
  reconciler's invariant holds as it is: omnibus holding == mirror supply + in flight.

Book entry -> chain is :meth:`RegisterEndpoint.send_from_account` (one transaction: the
``on-chain`` movement, the outbound message, its ``MessageSent``); chain -> book entry is a
holder's ``BridgeMint.send(register chain id, deposit address, amount)``, attested and relayed
to :func:`bridge_book.execute`. There are no rate limits nor queues on the register side.

An omnibus account broken down by beneficial owner: ``deposit_address(account, owner)`` is the
address that credits that owner, and ``send_from_account(..., owner=...)`` debits that owner
(the message's sender is then the owner's deposit address).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from eth_utils import keccak
from sqlalchemy import select
from sqlalchemy.orm import Session

from securities_rails.bridge import register_book as bridge_book
from securities_rails.bridge.deployment import BridgeSide
from securities_rails.bridge.endpoint import (
    Direction,
    InboundStatus,
    Outbound,
    OutboundStatus,
    Peer,
    RateLimit,
    Totals,
    ValidatorSet,
)
from securities_rails.bridge.messages import TRANSFER, Message, isin_bytes
from securities_rails.bridge.register_book import (
    bridge_address,
    deposit_address,
    head_of,
    message_json,
)
from securities_rails.bridge.register_transactions import RegisterTransactions
from securities_rails.chain.rpc import Log
from securities_rails.errors import UserError
from securities_rails.identifiers import parse_address
from securities_rails.ledger.models import (
    DIGITAL_OMNIBUS,
    OMNIBUS,
    ON_CHAIN,
    BridgeBlock,
    BridgeEndpointRow,
    BridgeEvent,
    BridgeInbound,
    BridgeOutbound,
    BridgeTotals,
    Movement,
    OwnerDeposit,
    SecuritiesAccount,
)
from securities_rails.ledger.register import (
    INVALID_ACCOUNT,
    INVALID_REFERENCE,
    INVALID_SECURITY,
    RefusedError,
    Register,
    book,
    check_isin,
    check_quantity,
    check_text,
    holding_in,
    movement_of,
)

ZERO = "0x" + "00" * 20
UNLIMITED = 2**255  # the register has no rate limit


def configure(
    register: Register,
    *,
    register_id: str,
    chain_id: int,
    isin: str,
    peer_chain_id: int,
    peer_bridge: str,
    validators: Sequence[str],
    threshold: int,
    confirmations: int,
) -> BridgeEndpointRow:
    """Create the register's endpoint for ``isin`` (idempotent: the same route again returns
    it; another chain id, peer or confirmations under its address is refused). The validators
    and threshold are set when it is created; change them with
    :meth:`RegisterEndpoint.set_validators`. Opens the digital omnibus of (ISIN, peer chain)
    when there is none, and writes the genesis block 0 of the register's pseudo chain."""
    code = check_isin(isin)
    register_id = check_text(register_id, "register_id")
    if chain_id == peer_chain_id or chain_id <= 0 or peer_chain_id <= 0:
        raise UserError("chain_id", f"{chain_id} and {peer_chain_id}: two distinct chain ids")
    checked = sorted((parse_address(v, "validators") for v in validators), key=lambda a: int(a, 16))
    if not checked or len(set(checked)) != len(checked):
        raise UserError("validators", "give distinct validator addresses")
    if not 1 <= threshold <= len(checked):
        raise UserError("threshold", f"{threshold} is not in 1..{len(checked)}")
    if confirmations < 0:
        raise UserError("confirmations", f"{confirmations} is negative")
    register.instrument(code)  # the register keeps the ISIN
    if register.digital_omnibus(code, peer_chain_id) is None:
        register.open_account(
            f"DIGITAL-{code}-{peer_chain_id}"[:35],
            f"Digital omnibus of {code} on chain {peer_chain_id}",
            DIGITAL_OMNIBUS,
            isin=code,
            chain_id=peer_chain_id,
        )
    wanted = BridgeEndpointRow(
        address=bridge_address(register_id, code),
        register_id=register_id,
        chain_id=chain_id,
        isin=code,
        peer_chain_id=peer_chain_id,
        peer_bridge=parse_address(peer_bridge, "peer_bridge"),
        confirmations=confirmations,
        validators=",".join(checked),
        threshold=threshold,
        version=1,
        sent=0,
        received=0,
        refunded=0,
    )

    def write() -> BridgeEndpointRow:
        with register.transaction() as session:
            found = session.get(BridgeEndpointRow, wanted.address)
            if found is not None:
                same = ("chain_id", "isin", "peer_chain_id", "peer_bridge", "confirmations")
                if any(getattr(found, name) != getattr(wanted, name) for name in same):
                    raise UserError(
                        "endpoint", f"{wanted.address} is configured already with other settings"
                    )
                _store_deposits(session, found.register_id)
                return found
            session.add(wanted)
            session.flush()
            if head_of(session, chain_id) < 0:
                block = bridge_book.new_block(session, chain_id, "0x" + "00" * 32)
                bridge_book.record_totals(session, wanted, block)
            _store_deposits(session, register_id)
            return wanted

    result: BridgeEndpointRow = register.retry(write)
    return result


class RegisterEndpoint(RegisterTransactions):
    """The register's end of one instrument's bridge (``side.rpc``: the database URL)."""

    def __init__(self, side: BridgeSide, register: Register | None = None) -> None:
        self.side = side
        self.name = side.name
        self.chain_id = side.chain_id
        self.address = side.endpoint
        self.register = register or Register(side.rpc)

    def _row(self, session: Session) -> BridgeEndpointRow:
        row = session.get(BridgeEndpointRow, self.address)
        if row is None:
            raise UserError(
                f"deployment.{self.name}.endpoint",
                f"the register {self.register.url} has no bridge endpoint {self.address}",
            )
        return row

    def config(self) -> BridgeEndpointRow:
        with self.register.reading() as session:
            return self._row(session)

    def check_chain(self) -> None:
        """Refuse a register whose endpoint is not the one the deployment names."""
        row = self.config()
        if row.chain_id != self.chain_id:
            raise UserError(
                f"deployment.{self.name}.chain_id",
                f"the register's endpoint is on pseudo chain {row.chain_id}, not {self.chain_id}",
            )

    # --------------------------------------------------------------- accounts

    def deposit_address(self, account_id: str, owner: str | None = None) -> str:
        """The deposit address of a client account (derived from the register id and the
        account id, stored on the account the first time it is asked for), or of one beneficial
        owner in an omnibus account (derived from the register id, the account id and the owner
        id, stored in ``ledger_owner_deposits``): units sent to it credit that owner."""
        row = self.config()
        named = None if owner is None else check_text(owner, "owner", reason=INVALID_ACCOUNT)

        def write() -> str:
            with self.register.transaction() as session:
                account = session.get(SecuritiesAccount, account_id)
                if account is None:
                    raise RefusedError(
                        "account", f"unknown account {account_id!r}", INVALID_ACCOUNT
                    )
                if named is None:
                    return _assign_deposit(account, row.register_id)
                return _assign_owner_deposit(session, account, named, row.register_id)

        result: str = self.register.retry(write)
        return result

    # --------------------------------------------------------------- book entry -> chain

    def send_from_account(
        self,
        account_id: str,
        recipient_wallet: str,
        isin: str,
        quantity: int,
        reference: str,
        *,
        owner: str | None = None,
    ) -> Message:
        """Debit ``account_id`` into the digital omnibus and send ``quantity`` to
        ``recipient_wallet`` on the peer chain, in ONE transaction (movement, outbound message,
        ``MessageSent``). Exactly once on ``reference``: the same instruction again returns
        the same message; another instruction under it is refused (REFE). ``owner``: the
        beneficial owner debited in an omnibus account (required once its holding is broken
        down by owner; a refund credits the same owner). Refusals (RefusedError with a sese.024
        reason) write nothing."""
        reference = check_text(reference, "reference", reason=INVALID_REFERENCE)
        code = check_isin(isin)
        amount = check_quantity(quantity)
        if owner is not None:
            check_text(owner, "debit_owner", reason=INVALID_ACCOUNT)
        try:
            wallet = parse_address(recipient_wallet, "recipient")
        except UserError as error:
            raise RefusedError(error.field, error.message, INVALID_ACCOUNT) from None
        if int(wallet, 16) == 0:
            raise RefusedError("recipient", "the zero address holds nothing", INVALID_ACCOUNT)
        return self.register.retry(  # type: ignore[no-any-return]
            lambda: self._send(account_id, wallet, code, amount, reference, owner)
        )

    def _send(
        self,
        account_id: str,
        wallet: str,
        isin: str,
        amount: int,
        reference: str,
        owner: str | None,
    ) -> Message:
        with self.register.transaction() as session:
            endpoint = bridge_book.lock_endpoint(session, self.address)
            if isin != endpoint.isin:
                raise RefusedError(
                    "isin", f"{isin} is not {endpoint.isin}, this bridge's ISIN", INVALID_SECURITY
                )
            repeat = session.scalar(
                select(BridgeOutbound).where(BridgeOutbound.instruction == reference)
            )
            if repeat is not None:
                message = bridge_book.message_from_json(json.loads(repeat.message))
                sent = session.scalar(select(Movement).where(Movement.reference == reference))
                if (
                    repeat.address,
                    repeat.account,
                    message.recipient,
                    message.amount,
                    None if sent is None else sent.debit_owner,
                ) != (endpoint.address, account_id, wallet, amount, owner):
                    raise RefusedError(
                        "reference",
                        f"{reference} is already the instruction of message {repeat.message_id}",
                        INVALID_REFERENCE,
                    )
                return message
            account = session.get(SecuritiesAccount, account_id)
            if account is None:
                raise RefusedError("account", f"unknown account {account_id!r}", INVALID_ACCOUNT)
            nonce = bridge_book.new_outbound_nonce(session, endpoint.address)
            message = Message(
                TRANSFER,
                endpoint.chain_id,
                endpoint.peer_chain_id,
                endpoint.address,
                endpoint.peer_bridge,
                nonce,
                isin_bytes(isin),
                _sender(account, owner, endpoint.register_id),
                wallet,
                amount,
            )
            omnibus = bridge_book.omnibus_of(session, endpoint)
            book(
                session,
                movement_of(
                    reference,
                    isin,
                    account.id,
                    omnibus.id,
                    amount,
                    ON_CHAIN,
                    message.id_hex,
                    debit_owner=owner,
                ),
            )
            if owner is None:
                _assign_deposit(account, endpoint.register_id)
            else:
                _assign_owner_deposit(session, account, owner, endpoint.register_id)
            tx_hash = "0x" + keccak(text=f"register send {endpoint.address} {nonce}").hex()
            block = bridge_book.new_block(session, endpoint.chain_id, tx_hash)
            session.add(
                BridgeOutbound(
                    address=endpoint.address,
                    nonce=nonce,
                    message_id=message.id_hex,
                    message_hash="0x" + message.abi_hash().hex(),
                    instruction=reference,
                    account=account.id,
                    message=json.dumps(message_json(message)),
                    status=int(OutboundStatus.SENT),
                )
            )
            endpoint.sent += amount
            bridge_book.emit(
                session,
                endpoint,
                block,
                "MessageSent",
                id=message.id_hex,
                nonce=nonce,
                message=message_json(message),
            )
            bridge_book.record_totals(session, endpoint, block)
            return message

    # --------------------------------------------------------------- blocks and events

    def head(self) -> int:
        with self.register.reading() as session:
            return head_of(session, self.chain_id)

    def block_hash(self, number: int) -> str | None:
        with self.register.reading() as session:
            block = session.get(BridgeBlock, (self.chain_id, number))
            return None if block is None else block.hash

    def events(self, name: str, from_block: int, to_block: int) -> list[Log]:
        with self.register.reading() as session:
            rows = session.execute(
                select(BridgeEvent, BridgeBlock.hash)
                .join(
                    BridgeBlock,
                    (BridgeBlock.chain_id == BridgeEvent.chain_id)
                    & (BridgeBlock.number == BridgeEvent.block),
                )
                .where(
                    BridgeEvent.address == self.address,
                    BridgeEvent.name == name,
                    BridgeEvent.block >= from_block,
                    BridgeEvent.block <= to_block,
                )
                .order_by(BridgeEvent.block, BridgeEvent.log_index)
            ).all()
        return [
            Log(
                event=row.name,
                args=bridge_book.decode_args(row.args),
                address=row.address,
                block_number=row.block,
                block_hash=block_hash,
                tx_hash=row.tx_hash,
                log_index=row.log_index,
            )
            for row, block_hash in rows
        ]

    # --------------------------------------------------------------- views

    def peer(self, chain_id: int) -> Peer:
        row = self.config()
        if chain_id == row.peer_chain_id:
            return Peer(row.peer_bridge, row.confirmations)
        return Peer(ZERO, 0)

    def validator_set(self) -> ValidatorSet:
        row = self.config()
        return ValidatorSet(tuple(row.validators.split(",")), row.threshold, row.version)

    def set_validators(self, validators: Sequence[str], threshold: int) -> ValidatorSet:
        """Replace the validator set (its version goes up by one)."""
        checked = sorted(
            (parse_address(v, "validators") for v in validators), key=lambda a: int(a, 16)
        )
        if not checked or len(set(checked)) != len(checked):
            raise UserError("validators", "give distinct validator addresses")
        if not 1 <= threshold <= len(checked):
            raise UserError("threshold", f"{threshold} is not in 1..{len(checked)}")
        with self.register.transaction() as session:
            row = bridge_book.lock_endpoint(session, self.address)
            row.validators, row.threshold, row.version = (
                ",".join(checked),
                threshold,
                row.version + 1,
            )
        return self.validator_set()

    def inbound_status(self, message_id: bytes) -> InboundStatus:
        return self.inbound_statuses([message_id])[0]

    def inbound_statuses(self, message_ids: Sequence[bytes]) -> list[InboundStatus]:
        ids = ["0x" + bytes(i).hex() for i in message_ids]
        with self.register.reading() as session:
            rows = session.scalars(select(BridgeInbound).where(BridgeInbound.message_id.in_(ids)))
            found = {row.message_id: InboundStatus(row.status) for row in rows}
        return [found.get(i, InboundStatus.NONE) for i in ids]

    def inbound_reason(self, message_id: bytes) -> tuple[str | None, str | None]:
        """Why the register failed an inbound message: (sese.024 code, narrative)."""
        with self.register.reading() as session:
            row = session.get(BridgeInbound, "0x" + bytes(message_id).hex())
            return (None, None) if row is None else (row.reason, row.narrative)

    def outbound(self, nonce: int) -> Outbound:
        with self.register.reading() as session:
            row = session.get(BridgeOutbound, (self.address, nonce))
            if row is None:
                return Outbound(OutboundStatus.NONE, b"\x00" * 32)
            return Outbound(OutboundStatus(row.status), bytes.fromhex(row.message_hash[2:]))

    def rate_limit(self, direction: Direction) -> RateLimit:
        return RateLimit(UNLIMITED, 0, UNLIMITED)

    def totals(self, block: int | str = "latest") -> Totals:
        with self.register.reading() as session:
            if block == "latest":
                row = self._row(session)
                return Totals(row.sent, row.received, row.refunded)
            found = self._totals_at(session, int(block))
            return (
                Totals(0, 0, 0)
                if found is None
                else Totals(found.sent, found.received, found.refunded)
            )

    def custody_balance(self, block: int | str = "latest") -> int:
        """What the digital omnibus held after ``block``; at the head (or "latest"), what it
        holds now (so a movement into or out of it outside the bridge shows as a difference)."""
        with self.register.reading() as session:
            row = self._row(session)
            if block == "latest" or int(block) >= head_of(session, self.chain_id):
                omnibus = bridge_book.omnibus_of(session, row)
                return holding_in(session, omnibus.id, row.isin)
            found = self._totals_at(session, int(block))
            return 0 if found is None else found.custody

    def _totals_at(self, session: Session, block: int) -> BridgeTotals | None:
        return session.scalar(
            select(BridgeTotals)
            .where(BridgeTotals.address == self.address, BridgeTotals.block <= block)
            .order_by(BridgeTotals.block.desc())
            .limit(1)
        )

    def token_supply(self, block: int | str = "latest") -> int:
        raise UserError(
            f"deployment.{self.name}", "the register is the home side: it has no mirror supply"
        )

    def message_id(self, message: Message) -> bytes:
        return message.message_id()


def _store_deposits(session: Session, register_id: str) -> None:
    """Store the deposit address of every client account that has none: units sent to it are
    credited whether or not anyone asked for it first (``register_book.recipient_of``)."""
    for account in bridge_book.accounts_without_deposit(session):
        _assign_deposit(account, register_id)


def _assign_deposit(account: SecuritiesAccount, register_id: str) -> str:
    """The account's deposit address, stored on it when it has none yet."""
    if account.deposit_address is None:
        account.deposit_address = deposit_address(register_id, account.id)
    return account.deposit_address


def _sender(account: SecuritiesAccount, owner: str | None, register_id: str) -> str:
    """The sender of a message from ``account`` (and ``owner``): its deposit address, derived
    (the caller stores it once the movement is booked)."""
    if owner is None and account.deposit_address is not None:
        return account.deposit_address
    return deposit_address(register_id, account.id, owner)


def _assign_owner_deposit(
    session: Session, account: SecuritiesAccount, owner: str, register_id: str
) -> str:
    """The deposit address of ``owner`` in the omnibus ``account``, stored when new; refused
    (SAFE) for an account that is not an omnibus account."""
    if account.kind != OMNIBUS:
        raise RefusedError(
            "owner",
            f"{account.id} is a {account.kind} account: only an omnibus account's beneficial "
            f"owners have deposit addresses (not {owner})",
            INVALID_ACCOUNT,
        )
    address = deposit_address(register_id, account.id, owner)
    if session.get(OwnerDeposit, address) is None:
        session.add(OwnerDeposit(address=address, account=account.id, owner=owner))
        session.flush()
    return address

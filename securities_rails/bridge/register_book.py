"""What the register's bridge endpoint writes, inside one register transaction each.

The register behaves like a chain that never reorganises: every bridge transaction (a send from a
securities account, an ``execute`` or a ``reclaim`` the relayer broadcasts, a reverted one too) is
one pseudo block (``ledger_bridge_blocks``) holding its events (``ledger_bridge_events``), written
in the same database transaction as the movement it books, the message's status and the totals.
So a process killed at any point leaves all of it or none of it.

Movements booked for the bridge:

* book entry -> chain (``send``): ``on-chain``, the client account -> the digital omnibus of
  (ISIN, peer chain), under the instruction's own reference, ``message_id`` the message's id;
* chain -> book entry (``execute``) and a refund of a transfer the chain refused (``reclaim``):
  ``off-chain``, the digital omnibus -> the account, under ``reference_of(message id)`` (the
  id is 66 characters, a reference at most 35: ``BR`` and its first 32 hex digits, 128 bits),
  ``message_id`` the full id. Inbound ids are unique (``ledger_bridge_inbound``), movements
  unique on their reference: each is booked once.

Beneficial owners of an omnibus account: each owner has a deposit address of its own
(``deposit_address(register id, account id, owner id)``, ``ledger_owner_deposits``); units sent to
it credit that owner. Units sent to the account's own deposit address while its holding is broken
down by owner are refused like any other refused credit (Failed with the reason code, refunded on
the chain). A book entry -> chain send that debited an owner is refunded to that owner.

Reverts use the contract's error names (``WrongChain``, ``AlreadyProcessed``, ``BelowThreshold``
...), so the relayer reads them as it reads the chain's.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from eth_utils import keccak, to_checksum_address
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from securities_rails.bridge.endpoint import InboundStatus, OutboundStatus
from securities_rails.bridge.messages import (
    REFUND,
    TRANSFER,
    Message,
    recover_signer,
)
from securities_rails.chain.rpc import RevertError
from securities_rails.errors import UserError
from securities_rails.ledger.models import (
    CLIENT_KINDS,
    OFF_CHAIN,
    UNALLOCATED_OWNER,
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
    RefusedError,
    Register,
    book,
    broken_down,
    holding_in,
    movement_of,
)

REFERENCE_PREFIX = "BR"


# ------------------------------------------------------------------ addresses and references


def pseudo_address(*parts: str) -> str:
    """A deterministic address: the last 20 bytes of keccak over the parts."""
    return str(
        to_checksum_address(keccak(text="securities-rails register " + " ".join(parts))[12:])
    )


def bridge_address(register_id: str, isin: str) -> str:
    """The register's pseudo bridge address for ``isin`` (what BridgeMint peers with)."""
    return pseudo_address(register_id, "bridge", isin)


def deposit_address(register_id: str, account_id: str, owner: str | None = None) -> str:
    """The address a holder sends units to on a chain to credit ``account_id``, or, naming
    ``owner``, that beneficial owner in the omnibus account ``account_id`` (the two ids are
    encoded as a JSON pair, so no two (account, owner) pairs share an address)."""
    if owner is None:
        return pseudo_address(register_id, "deposit", account_id)
    return pseudo_address(register_id, "owner-deposit", json.dumps([account_id, owner]))


def recipient_of(
    session: Session, address: str, register_id: str
) -> tuple[SecuritiesAccount | None, str | None]:
    """The account (and beneficial owner, when it is an owner's address) a deposit address
    credits; (None, None) when no account has it. A client account's address is derived from
    its id, so it is valid before anyone asked for it: ``configure`` stores the address of every
    account open then, and an account opened later without one is found here (and its address
    stored) by deriving the addresses of the client accounts that have none yet."""
    account = session.scalar(
        select(SecuritiesAccount).where(SecuritiesAccount.deposit_address == address)
    )
    if account is not None:
        return account, None
    found = session.get(OwnerDeposit, address)
    if found is not None:
        return session.get(SecuritiesAccount, found.account), found.owner
    for unassigned in accounts_without_deposit(session):
        if deposit_address(register_id, unassigned.id) == address:
            unassigned.deposit_address = address
            return unassigned, None
    return None, None


def accounts_without_deposit(session: Session) -> list[SecuritiesAccount]:
    """The client accounts whose deposit address is not stored yet."""
    query = select(SecuritiesAccount).where(
        SecuritiesAccount.kind.in_(CLIENT_KINDS), SecuritiesAccount.deposit_address.is_(None)
    )
    return list(session.scalars(query.order_by(SecuritiesAccount.id)))


def reference_of(message_id: str) -> str:
    """The movement reference of an inbound message (34 characters: ``BR`` + 32 hex digits)."""
    return REFERENCE_PREFIX + message_id.removeprefix("0x")[:32].upper()


def revert(name: str, message: str, **inputs: Any) -> RevertError:
    return RevertError("register", f"{name}: {message}", name, inputs)


# ------------------------------------------------------------------ messages as JSON


def message_json(message: Message) -> dict[str, Any]:
    return {
        "kind": message.kind,
        "source_chain_id": message.source_chain_id,
        "destination_chain_id": message.destination_chain_id,
        "source_bridge": message.source_bridge,
        "destination_bridge": message.destination_bridge,
        "nonce": message.nonce,
        "isin": message.isin.decode("ascii"),
        "sender": message.sender,
        "recipient": message.recipient,
        "amount": str(message.amount),
    }


def message_from_json(data: dict[str, Any]) -> Message:
    return Message(
        kind=int(data["kind"]),
        source_chain_id=int(data["source_chain_id"]),
        destination_chain_id=int(data["destination_chain_id"]),
        source_bridge=str(data["source_bridge"]),
        destination_bridge=str(data["destination_bridge"]),
        nonce=int(data["nonce"]),
        isin=str(data["isin"]).encode("ascii"),
        sender=str(data["sender"]),
        recipient=str(data["recipient"]),
        amount=int(data["amount"]),
    )


def decode_args(text: str) -> dict[str, Any]:
    """An event's stored arguments, typed as the chain's decoded logs are."""
    stored = json.loads(text)
    args: dict[str, Any] = {}
    for key, value in stored.items():
        if key in ("id", "reason"):
            args[key] = bytes.fromhex(value.removeprefix("0x"))
        elif key == "message":
            args[key] = message_from_json(value).as_tuple()
        elif key in ("nonce", "amount"):
            args[key] = int(value)
        else:
            args[key] = value
    return args


# ------------------------------------------------------------------ blocks, events, totals


def head_of(session: Session, chain_id: int) -> int:
    number = session.scalar(
        select(func.max(BridgeBlock.number)).where(BridgeBlock.chain_id == chain_id)
    )
    return -1 if number is None else int(number)


def new_block(session: Session, chain_id: int, tx_hash: str) -> BridgeBlock:
    """The next pseudo block, holding ``tx_hash`` (two writers racing for one number: the
    primary key refuses the second, which retries)."""
    number = head_of(session, chain_id) + 1
    block = BridgeBlock(
        chain_id=chain_id,
        number=number,
        hash="0x" + keccak(text=f"register block {chain_id} {number} {tx_hash}").hex(),
        tx_hash=tx_hash,
    )
    session.add(block)
    session.flush()
    return block


def emit(
    session: Session, endpoint: BridgeEndpointRow, block: BridgeBlock, name: str, **args: Any
) -> None:
    """One event log of ``endpoint`` in ``block`` (log index: its position in the block)."""
    index = session.scalar(
        select(func.count())
        .select_from(BridgeEvent)
        .where(BridgeEvent.chain_id == block.chain_id, BridgeEvent.block == block.number)
    )
    session.add(
        BridgeEvent(
            address=endpoint.address,
            name=name,
            chain_id=block.chain_id,
            block=block.number,
            log_index=int(index or 0),
            tx_hash=block.tx_hash,
            args=json.dumps(args),
        )
    )
    session.flush()


def omnibus_of(session: Session, endpoint: BridgeEndpointRow) -> SecuritiesAccount:
    """The digital omnibus that stands for the endpoint's ISIN on its peer chain."""
    account = Register._digital_omnibus(session, endpoint.isin, endpoint.peer_chain_id)
    if account is None:
        raise UserError(
            "endpoint",
            f"no digital omnibus of {endpoint.isin} on chain {endpoint.peer_chain_id}",
        )
    return account


def record_totals(session: Session, endpoint: BridgeEndpointRow, block: BridgeBlock) -> None:
    """The endpoint's totals and custody (the digital omnibus holding) after ``block``."""
    omnibus = omnibus_of(session, endpoint)
    session.add(
        BridgeTotals(
            address=endpoint.address,
            block=block.number,
            sent=endpoint.sent,
            received=endpoint.received,
            refunded=endpoint.refunded,
            custody=holding_in(session, omnibus.id, endpoint.isin),
        )
    )
    session.flush()


def lock_endpoint(session: Session, address: str) -> BridgeEndpointRow:
    row = session.scalar(
        select(BridgeEndpointRow).where(BridgeEndpointRow.address == address).with_for_update()
    )
    if row is None:
        raise UserError("endpoint", f"the register has no bridge endpoint {address}")
    return row


# ------------------------------------------------------------------ inbound transactions


def check_signatures(endpoint: BridgeEndpointRow, message: Message, signatures: list[str]) -> None:
    """As the contract: each recovers to a current validator, ascending, at least threshold."""
    validators = set(endpoint.validators.split(","))
    previous = 0
    for index, text in enumerate(signatures):
        try:
            signer = recover_signer(message.message_id(), bytes.fromhex(text.removeprefix("0x")))
        except UserError:
            raise revert("InvalidSignature", f"signature {index}", index=index) from None
        if int(signer, 16) <= previous:
            raise revert("SignersNotAscending", f"signer {signer}", index=index, signer=signer)
        if signer not in validators:
            raise revert("NotValidator", f"signer {signer}", index=index, signer=signer)
        previous = int(signer, 16)
    if len(signatures) < endpoint.threshold:
        raise revert(
            "BelowThreshold",
            f"{len(signatures)} of {endpoint.threshold}",
            signatures=len(signatures),
            threshold=endpoint.threshold,
        )


def check_route(endpoint: BridgeEndpointRow, message: Message, kind: int) -> None:
    """The message is of ``kind``, for this endpoint, from its peer, of its ISIN."""
    if message.kind != kind:
        raise revert("WrongKind", f"kind {message.kind}", kind=message.kind)
    if message.destination_chain_id != endpoint.chain_id:
        raise revert(
            "WrongChain",
            f"destination chain {message.destination_chain_id}",
            expected=endpoint.chain_id,
            actual=message.destination_chain_id,
        )
    if message.destination_bridge != endpoint.address:
        raise revert(
            "WrongBridge",
            f"destination bridge {message.destination_bridge}",
            expected=endpoint.address,
            actual=message.destination_bridge,
        )
    if (message.source_chain_id, message.source_bridge) != (
        endpoint.peer_chain_id,
        endpoint.peer_bridge,
    ):
        raise revert(
            "UnknownPeer",
            f"source chain {message.source_chain_id}",
            chainId=message.source_chain_id,
        )
    if message.isin != endpoint.isin.encode("ascii"):
        raise revert(
            "WrongInstrument",
            f"ISIN {message.isin_text}",
            expected=endpoint.isin,
            actual=message.isin_text,
        )


def _not_processed(session: Session, message: Message) -> None:
    found = session.get(BridgeInbound, message.id_hex)
    if found is not None:
        raise revert(
            "AlreadyProcessed",
            f"{message.id_hex} is {InboundStatus(found.status).name}",
            id=message.id_hex,
            status=found.status,
        )


def execute(
    session: Session,
    endpoint: BridgeEndpointRow,
    block: BridgeBlock,
    message: Message,
    signatures: list[str],
) -> None:
    """A transfer from the chain: credit the account (and beneficial owner) whose deposit
    address is the recipient (Executed), or mark it Failed with the register's reason code (the
    chain refunds it)."""
    check_route(endpoint, message, TRANSFER)
    _not_processed(session, message)
    check_signatures(endpoint, message, signatures)
    account, owner = recipient_of(session, message.recipient, endpoint.register_id)
    failure: RefusedError | None = None
    if account is None:
        failure = RefusedError(
            "recipient", f"no account has the deposit address {message.recipient}", INVALID_ACCOUNT
        )
    elif account.kind not in CLIENT_KINDS:
        failure = RefusedError("recipient", f"{account.id} is a {account.kind} account")
    else:
        omnibus = omnibus_of(session, endpoint)
        try:
            with session.begin_nested():
                book(
                    session,
                    movement_of(
                        reference_of(message.id_hex),
                        endpoint.isin,
                        omnibus.id,
                        account.id,
                        message.amount,
                        OFF_CHAIN,
                        message.id_hex,
                        credit_owner=owner,
                    ),
                )
        except RefusedError as error:
            failure = error
    status = InboundStatus.EXECUTED if failure is None else InboundStatus.FAILED
    session.add(
        BridgeInbound(
            message_id=message.id_hex,
            address=endpoint.address,
            status=int(status),
            account=None if account is None else account.id,
            reason=None if failure is None else failure.reason,
            narrative=None if failure is None else failure.message[:280],
            block=block.number,
        )
    )
    if failure is None:
        endpoint.received += message.amount
        emit(
            session,
            endpoint,
            block,
            "MessageExecuted",
            id=message.id_hex,
            message=message_json(message),
        )
    else:
        reason = failure.reason.encode("ascii").ljust(32, b"\0")
        emit(
            session,
            endpoint,
            block,
            "TransferFailed",
            id=message.id_hex,
            message=message_json(message),
            reason="0x" + reason.hex(),
        )
    session.flush()


def reclaim(
    session: Session,
    endpoint: BridgeEndpointRow,
    block: BridgeBlock,
    message: Message,
    signatures: list[str],
) -> None:
    """A refund of a transfer the chain refused: credit the account (and the beneficial owner)
    it was sent from."""
    check_route(endpoint, message, REFUND)
    _not_processed(session, message)
    check_signatures(endpoint, message, signatures)
    transfer = replace(
        message,
        kind=TRANSFER,
        source_chain_id=message.destination_chain_id,
        destination_chain_id=message.source_chain_id,
        source_bridge=message.destination_bridge,
        destination_bridge=message.source_bridge,
    )
    outbound = session.get(BridgeOutbound, (endpoint.address, message.nonce))
    if (
        outbound is None
        or outbound.message_id != transfer.id_hex
        or outbound.status != OutboundStatus.SENT
    ):
        raise revert("UnknownOutbound", f"nonce {message.nonce}", nonce=message.nonce)
    omnibus = omnibus_of(session, endpoint)
    sent = session.scalar(select(Movement).where(Movement.reference == outbound.instruction))
    try:
        with session.begin_nested():
            book(
                session,
                movement_of(
                    reference_of(message.id_hex),
                    endpoint.isin,
                    omnibus.id,
                    outbound.account,
                    message.amount,
                    OFF_CHAIN,
                    message.id_hex,
                    credit_owner=_refunded_owner(session, sent, outbound.account, endpoint.isin),
                ),
            )
    except RefusedError as error:
        raise revert(
            "RefundNotPayable", f"{error.reason} {error.message}", nonce=message.nonce
        ) from None
    session.add(
        BridgeInbound(
            message_id=message.id_hex,
            address=endpoint.address,
            status=int(InboundStatus.EXECUTED),
            account=outbound.account,
            block=block.number,
        )
    )
    outbound.status = int(OutboundStatus.REFUNDED)
    endpoint.refunded += message.amount
    emit(
        session,
        endpoint,
        block,
        "MessageExecuted",
        id=message.id_hex,
        message=message_json(message),
    )
    emit(
        session,
        endpoint,
        block,
        "Refunded",
        nonce=message.nonce,
        sender=message.sender,
        amount=str(message.amount),
    )
    session.flush()


def apply(
    session: Session, endpoint: BridgeEndpointRow, block: BridgeBlock, call: dict[str, Any]
) -> None:
    """Run one relayed call (``execute`` or ``reclaim``); RevertError for anything else."""
    function = call["function"]
    message = message_from_json(call["message"])
    signatures = list(call.get("signatures") or [])
    if function == "execute":
        execute(session, endpoint, block, message, signatures)
    elif function == "reclaim":
        reclaim(session, endpoint, block, message, signatures)
    elif function == "executeQueued":
        raise revert("NotQueued", "the register queues nothing", id=message.id_hex)
    elif function == "sendQueued":
        raise revert("NotQueuedOutbound", "the register queues nothing", nonce=message.nonce)
    else:
        raise revert("UnknownFunction", f"{function} is not a register bridge call")
    record_totals(session, endpoint, block)


def new_outbound_nonce(session: Session, address: str) -> int:
    last = session.scalar(
        select(func.max(BridgeOutbound.nonce)).where(BridgeOutbound.address == address)
    )
    return 0 if last is None else int(last) + 1


def _refunded_owner(session: Session, sent: Movement | None, account: str, isin: str) -> str | None:
    """The beneficial owner a refund credits: the one its transfer debited; none, or when the
    account was broken down by owner since the transfer was sent, ``UNALLOCATED_OWNER``, so
    that the refund is always payable and the breakdown still adds up to the holding."""
    if sent is not None and sent.debit_owner is not None:
        return sent.debit_owner
    return UNALLOCATED_OWNER if broken_down(session, account, isin) else None

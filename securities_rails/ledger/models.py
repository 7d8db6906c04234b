"""The book-entry register's tables: instruments, accounts, holdings, movements, beneficial owners.

SQLAlchemy 2 ORM models on their own metadata (``Base``), so a register and the bridge processes
may share one database. Quantities are integers in the instrument's smallest units (``decimals``
is stored per ISIN in ``ledger_instruments``: 1 unit = 10**-decimals of the security), kept
exactly as decimal text (``Units``): SQLite's numbers are 64-bit and its NUMERIC is a float.

Tables (created by the register when it opens an empty database, ``metadata.create_all``, in the
same transaction as the version row of ``ledger_schema``; see ``register.Register``):

* ``ledger_schema``: one row, the version of these tables (``SCHEMA_VERSION``); a database whose
  ledger tables have another version, or none, is refused at startup;
* ``ledger_instruments``: ISIN -> decimals and the issuance account it is issued from;
* ``ledger_accounts``: securities accounts (``KINDS``); a digital-omnibus account names the ISIN
  and the chain whose units it stands for (one per ISIN and chain id);
* ``ledger_holdings``: (account, ISIN) -> quantity, changed only in a movement's transaction;
* ``ledger_movements``: double-entry movements, ``reference`` unique (the exactly-once key); a
  side on an omnibus account may name the beneficial owner debited or credited;
* ``ledger_beneficial_owners``: (omnibus account, ISIN, owner id) -> quantity, kept equal to the
  omnibus holding by every movement (rows at zero are removed);
* ``ledger_beneficial_owner_sets``: each breakdown recorded with ``set_beneficial_owners``, and
  when (with the movements' owners, a breakdown can be replayed for a past date);
* ``ledger_owner_deposits``: the deposit address of one beneficial owner in an omnibus account;
* ``ledger_bridge_*``: the register as one end of a bridge
  (``securities_rails.bridge.register_endpoint``): its endpoints, outbound and inbound
  messages, pseudo blocks, events and transactions.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    DateTime,
    ForeignKey,
    Integer,
    SmallInteger,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Account kinds.
SEGREGATED = "segregated"  # one client's own account
OMNIBUS = "omnibus"  # an intermediary's account for several beneficial owners
ISSUANCE = "issuance"  # the issuer's account securities are issued from (holds minus the issue)
DIGITAL_OMNIBUS = "digital-omnibus"  # stands for the units of one ISIN on one chain (the lock)
KINDS = (SEGREGATED, OMNIBUS, ISSUANCE, DIGITAL_OMNIBUS)
CLIENT_KINDS = (SEGREGATED, OMNIBUS)  # accounts whose holdings belong to investors

# Movement kinds: which kinds of account each may debit and credit (see register.RULES).
ISSUE = "issue"  # issuance account -> client account
TRANSFER = "transfer"  # client account -> client account
ON_CHAIN = "on-chain"  # client account -> digital omnibus: units minted or released on a chain
OFF_CHAIN = "off-chain"  # digital omnibus -> client account: units burned or locked on a chain
REDEEM = "redeem"  # client account -> issuance account
MOVEMENT_KINDS = (ISSUE, TRANSFER, ON_CHAIN, OFF_CHAIN, REDEEM)

# The beneficial owner a refund credits in an omnibus account broken down by owner when the
# transfer it pays back was sent before the breakdown (so it debited no owner): the custodian
# allocates these units with the next breakdown it records.
UNALLOCATED_OWNER = "UNALLOCATED"

# Movement statuses: the register books a movement completely or not at all.
SETTLED = "settled"
MOVEMENT_STATUSES = (SETTLED,)

# The version of the register's tables: raised whenever a table or column changes. 1 was the
# tables before the version row existed; 2 added the movements' beneficial owners, the breakdown
# history, the owners' deposit addresses and ``ledger_schema`` itself.
SCHEMA_VERSION = 2
SCHEMA_TABLE = "ledger_schema"
TABLE_PREFIX = "ledger_"  # every table of the register (the bridge store's are ``bridge_*``)

ID_LENGTH = 35  # ISO 20022 Max35Text: account ids, references, owner ids, message ids
NAME_LENGTH = 140  # Max140Text
MAX_DECIMALS = 17  # semt.002 and sese.02x's Unit (DecimalNumber) hold 17 fraction digits


def now() -> datetime:
    """The current time, in UTC."""
    return datetime.now(UTC)


class Units(TypeDecorator[int]):
    """A signed integer of any size kept exactly, as decimal text."""

    impl = String(80)
    cache_ok = True

    def process_bind_param(self, value: int | None, dialect: Any) -> str | None:
        return None if value is None else str(int(value))

    def process_result_value(self, value: str | None, dialect: Any) -> int | None:
        return None if value is None else int(value)


class UtcDateTime(TypeDecorator[datetime]):
    """A moment stored in UTC and read back zone-aware (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"{value!r} has no time zone")
        moment = value.astimezone(UTC)
        return moment.replace(tzinfo=None) if dialect.name == "sqlite" else moment

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


class SchemaVersion(Base):
    """The version of the register's tables: one row (``id`` 1), written with the tables."""

    __tablename__ = SCHEMA_TABLE

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=now)


class Instrument(Base):
    """An ISIN the register keeps: its decimals and the issuance account it is issued from."""

    __tablename__ = "ledger_instruments"

    isin: Mapped[str] = mapped_column(String(12), primary_key=True)
    decimals: Mapped[int] = mapped_column(SmallInteger)
    issuance_account: Mapped[str] = mapped_column(ForeignKey("ledger_accounts.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=now)


class SecuritiesAccount(Base):
    """A securities account: its owner, its kind, and when it was opened and closed."""

    __tablename__ = "ledger_accounts"
    __table_args__ = (UniqueConstraint("kind", "isin", "chain_id"),)

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    owner_name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    owner_lei: Mapped[str | None] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(16))
    # A digital-omnibus account only: the ISIN and the chain (EIP-155 id) it stands for.
    isin: Mapped[str | None] = mapped_column(String(12))
    chain_id: Mapped[int | None] = mapped_column(BigInteger)
    # The address a holder sends units to on a chain to credit this account (bridge.py).
    deposit_address: Mapped[str | None] = mapped_column(String(42), unique=True)
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime, default=now)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Holding(Base):
    """What one account holds of one ISIN, in smallest units (negative: issuance accounts)."""

    __tablename__ = "ledger_holdings"

    account: Mapped[str] = mapped_column(ForeignKey("ledger_accounts.id"), primary_key=True)
    isin: Mapped[str] = mapped_column(ForeignKey("ledger_instruments.isin"), primary_key=True)
    quantity: Mapped[int] = mapped_column(Units)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=now)


class Movement(Base):
    """One double-entry movement: ``quantity`` of ``isin`` from ``debit`` to ``credit``."""

    __tablename__ = "ledger_movements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    reference: Mapped[str] = mapped_column(String(ID_LENGTH), unique=True)
    isin: Mapped[str] = mapped_column(ForeignKey("ledger_instruments.isin"), index=True)
    debit: Mapped[str] = mapped_column(ForeignKey("ledger_accounts.id"), index=True)
    credit: Mapped[str] = mapped_column(ForeignKey("ledger_accounts.id"), index=True)
    quantity: Mapped[int] = mapped_column(Units)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=now, index=True)
    # The message the movement carries out: a sese.023 TxId, a bridge message id (0x + 64 hex).
    message_id: Mapped[str | None] = mapped_column(String(66))
    # The beneficial owner debited / credited inside an omnibus account (None on other sides).
    debit_owner: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    credit_owner: Mapped[str | None] = mapped_column(String(ID_LENGTH))

    def content(self) -> tuple[object, ...]:
        """What the movement does, apart from its id, status and time."""
        return (
            self.isin,
            self.debit,
            self.credit,
            self.quantity,
            self.kind,
            self.message_id,
            self.debit_owner,
            self.credit_owner,
        )

    def same_content(self, other: Movement) -> bool:
        """The same movement apart from its id, status and time (an idempotent repeat)."""
        return self.content() == other.content()


class BeneficialOwner(Base):
    """How much of an omnibus account's holding of an ISIN belongs to one beneficial owner."""

    __tablename__ = "ledger_beneficial_owners"

    account: Mapped[str] = mapped_column(ForeignKey("ledger_accounts.id"), primary_key=True)
    isin: Mapped[str] = mapped_column(ForeignKey("ledger_instruments.isin"), primary_key=True)
    owner: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    quantity: Mapped[int] = mapped_column(Units)


class BeneficialOwnerSet(Base):
    """A breakdown recorded with ``set_beneficial_owners`` (owner id -> quantity as JSON, the
    quantities as decimal text), and when: the base a past date's breakdown is replayed from."""

    __tablename__ = "ledger_beneficial_owner_sets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account: Mapped[str] = mapped_column(ForeignKey("ledger_accounts.id"), index=True)
    isin: Mapped[str] = mapped_column(ForeignKey("ledger_instruments.isin"))
    owners: Mapped[str] = mapped_column(Text)
    set_at: Mapped[datetime] = mapped_column(UtcDateTime, default=now, index=True)


class OwnerDeposit(Base):
    """The deposit address of one beneficial owner in an omnibus account: units a holder sends
    to it on a chain credit that owner."""

    __tablename__ = "ledger_owner_deposits"
    __table_args__ = (UniqueConstraint("account", "owner"),)

    address: Mapped[str] = mapped_column(String(42), primary_key=True)
    account: Mapped[str] = mapped_column(ForeignKey("ledger_accounts.id"))
    owner: Mapped[str] = mapped_column(String(ID_LENGTH))


# ------------------------------------------------------------------ the register on a bridge


class BridgeEndpointRow(Base):
    """The register's end of one instrument's bridge: its pseudo chain id and bridge address,
    the peer BridgeMint, the validator set, and the running totals."""

    __tablename__ = "ledger_bridge_endpoints"

    address: Mapped[str] = mapped_column(String(42), primary_key=True)
    register_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    chain_id: Mapped[int] = mapped_column(BigInteger)
    isin: Mapped[str] = mapped_column(ForeignKey("ledger_instruments.isin"))
    peer_chain_id: Mapped[int] = mapped_column(BigInteger)
    peer_bridge: Mapped[str] = mapped_column(String(42))
    confirmations: Mapped[int] = mapped_column(Integer)  # blocks validators wait on the peer
    validators: Mapped[str] = mapped_column(String(4000))  # comma-separated, checksummed
    threshold: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)
    sent: Mapped[int] = mapped_column(Units)
    received: Mapped[int] = mapped_column(Units)
    refunded: Mapped[int] = mapped_column(Units)


class BridgeBlock(Base):
    """One pseudo block: one register transaction of the bridge (never reorganised)."""

    __tablename__ = "ledger_bridge_blocks"

    chain_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    number: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[str] = mapped_column(String(66))
    tx_hash: Mapped[str] = mapped_column(String(66))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=now)


class BridgeTotals(Base):
    """An endpoint's totals and digital-omnibus holding after a block that changed them."""

    __tablename__ = "ledger_bridge_totals"

    address: Mapped[str] = mapped_column(String(42), primary_key=True)
    block: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    sent: Mapped[int] = mapped_column(Units)
    received: Mapped[int] = mapped_column(Units)
    refunded: Mapped[int] = mapped_column(Units)
    custody: Mapped[int] = mapped_column(Units)


class BridgeEvent(Base):
    """One event log of an endpoint, shaped like the contract's (``args`` as JSON)."""

    __tablename__ = "ledger_bridge_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    address: Mapped[str] = mapped_column(String(42), index=True)
    name: Mapped[str] = mapped_column(String(32))
    chain_id: Mapped[int] = mapped_column(BigInteger)
    block: Mapped[int] = mapped_column(BigInteger, index=True)
    log_index: Mapped[int] = mapped_column(Integer)
    tx_hash: Mapped[str] = mapped_column(String(66))
    args: Mapped[str] = mapped_column(String(4000))


class BridgeOutbound(Base):
    """A message the register sent (book entry -> chain), by nonce."""

    __tablename__ = "ledger_bridge_outbound"

    address: Mapped[str] = mapped_column(String(42), primary_key=True)
    nonce: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    message_id: Mapped[str] = mapped_column(String(66), unique=True)
    message_hash: Mapped[str] = mapped_column(String(66))  # keccak(abi.encode(message))
    instruction: Mapped[str] = mapped_column(String(ID_LENGTH), unique=True)  # the reference
    account: Mapped[str] = mapped_column(ForeignKey("ledger_accounts.id"))
    message: Mapped[str] = mapped_column(String(2000))  # JSON of the fields
    status: Mapped[int] = mapped_column(SmallInteger)  # bridge.endpoint.OutboundStatus
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=now)


class BridgeInbound(Base):
    """A message executed on the register (chain -> book entry, or a refund), by id."""

    __tablename__ = "ledger_bridge_inbound"

    message_id: Mapped[str] = mapped_column(String(66), primary_key=True)
    address: Mapped[str] = mapped_column(String(42))
    status: Mapped[int] = mapped_column(SmallInteger)  # bridge.endpoint.InboundStatus
    account: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    reason: Mapped[str | None] = mapped_column(String(4))  # the sese.024 code when Failed
    narrative: Mapped[str | None] = mapped_column(String(NAME_LENGTH * 2))
    block: Mapped[int] = mapped_column(BigInteger)


class BridgeTransaction(Base):
    """A transaction the relayer broadcast to the register, and its outcome (the receipt)."""

    __tablename__ = "ledger_bridge_transactions"

    tx_hash: Mapped[str] = mapped_column(String(66), primary_key=True)
    chain_id: Mapped[int] = mapped_column(BigInteger)
    sender: Mapped[str] = mapped_column(String(42), index=True)
    nonce: Mapped[int] = mapped_column(BigInteger)
    function: Mapped[str] = mapped_column(String(32))
    status: Mapped[int] = mapped_column(SmallInteger)  # 1 applied, 0 reverted
    block: Mapped[int] = mapped_column(BigInteger)
    error: Mapped[str | None] = mapped_column(String(64))  # the revert's error name
    detail: Mapped[str | None] = mapped_column(String(4000))  # the revert's message

"""ISO 20022 messages of the book-entry register's bridge: sese.023 in, sese.024 and sese.025 out.

A register instruction moves securities free of payment between a securities account and a
wallet on a chain, so its messages differ from the DvP escrow's (``settlement.messages``, against
payment only). Paths below ``Document/SctiesSttlmTxInstr``:

==============================================  ============================================
``TxId``                                        ``reference``: the movement's reference
``SttlmTpAndAddtlParams/SctiesMvmntTp``         DELI: the account delivers (book entry -> DLT)
``SttlmTpAndAddtlParams/Pmt``                   FREE: free of payment
``TradDtls/SttlmDt/Dt/Dt``                      intended settlement date
``FinInstrmId/ISIN``                            the instrument
``QtyAndAcctDtls/SttlmQty/Qty/Unit``            quantity in units (decimals of the ISIN)
``QtyAndAcctDtls/AcctOwnr/Id/PrtryId/Id``       the beneficial owner debited in an omnibus
                                                account, when ``PrtryId/Issr`` is the account
                                                id (the owner ids are the omnibus account's
                                                namespace, as on a semt.002's sub-accounts)
``QtyAndAcctDtls/SfkpgAcct/Id``                 the securities account debited
``RcvgSttlmPties/Pty1/BlckChainAdrOrWllt/Id``   the wallet the units go to
==============================================  ============================================

Any other ``AcctOwnr`` (a BIC, a proprietary id issued by someone else: the account's own owner)
names no beneficial owner and is not read. The sese.024 of a refused instruction and the sese.025
of a completed movement carry the beneficial owner at the same place (``TxDtls/AcctOwnr``,
``QtyAndAcctDtls/AcctOwnr``).

The sese.024 of a refused instruction is ``PrcgSts/Rjctd`` with the register's reason code
(``ledger.register.REASONS``; a code sese.024 has no rejection code for goes as OTHR with the
narrative). The sese.025 of a completed movement names the account, the wallet, the quantity, the
time the register booked it and the bridge message (``SttlmInstrPrcgAddtlDtls``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Literal

from lxml import etree

from securities_rails.errors import UserError
from securities_rails.identifiers import parse_address, parse_isin
from securities_rails.iso20022 import build, read, schema
from securities_rails.iso20022.build import plain, units_to_decimal
from securities_rails.iso20022.read import field
from securities_rails.ledger.register import OTHER

SESE023 = "sese.023.001.12"
SESE024 = "sese.024.001.13"
SESE025 = "sese.025.001.12"
QUANTITY_TYPE = "DecimalNumber"
TRANSACTION_TYPE = "OWNI"  # an account owner's internal movement (book entry <-> its wallet)

INSTRUCTION = "SctiesSttlmTxInstr"
REFERENCE_PATH = f"{INSTRUCTION}/TxId"
MOVEMENT_PATH = f"{INSTRUCTION}/SttlmTpAndAddtlParams/SctiesMvmntTp"
PAYMENT_PATH = f"{INSTRUCTION}/SttlmTpAndAddtlParams/Pmt"
SETTLEMENT_DATE_PATH = f"{INSTRUCTION}/TradDtls/SttlmDt/Dt/Dt"
ISIN_PATH = f"{INSTRUCTION}/FinInstrmId/ISIN"
QUANTITY_PATH = f"{INSTRUCTION}/QtyAndAcctDtls/SttlmQty/Qty/Unit"
ACCOUNT_PATH = f"{INSTRUCTION}/QtyAndAcctDtls/SfkpgAcct/Id"
OWNER_PATH = f"{INSTRUCTION}/QtyAndAcctDtls/AcctOwnr/Id/PrtryId"
WALLET_PATH = f"{INSTRUCTION}/RcvgSttlmPties/Pty1/BlckChainAdrOrWllt/Id"

Direction = Literal["on-chain", "off-chain"]


@dataclass(frozen=True)
class LedgerInstruction:
    """A book entry -> DLT instruction: debit ``account``, deliver to ``wallet`` on a chain."""

    reference: str
    isin: str
    quantity: Decimal  # in units, as written
    account: str
    wallet: str
    settlement_date: date
    owner: str | None = None  # the beneficial owner debited (an omnibus account)

    def units(self, decimals: int) -> int:
        """The quantity in smallest units; refused when it has more decimals than the ISIN."""
        scaled = self.quantity.scaleb(decimals)
        if scaled != scaled.to_integral_value():
            raise UserError(
                field(QUANTITY_PATH),
                f"{plain(self.quantity)} has more than the {decimals} decimals of {self.isin}",
            )
        return int(scaled)


def parse_instruction(xml: bytes) -> LedgerInstruction:
    """Read a sese.023 (schema-validated) book entry -> DLT instruction; refusals name the path."""
    root = schema.parse(xml, SESE023)
    reference = read.required_text(root, REFERENCE_PATH, "the instruction's reference")
    movement = read.required_text(root, MOVEMENT_PATH, "DELI")
    if movement != "DELI":
        raise UserError(
            field(MOVEMENT_PATH),
            f"{movement}: the register takes deliveries out of an account (DELI); units come "
            "back from a wallet with `ledger off-chain`",
        )
    payment = read.required_text(root, PAYMENT_PATH, "FREE")
    if payment != "FREE":
        raise UserError(field(PAYMENT_PATH), f"{payment}: a register movement is free of payment")
    day = read.required_text(root, SETTLEMENT_DATE_PATH, "the intended settlement date")
    try:
        settlement_date = date.fromisoformat(day[:10])
    except ValueError:
        raise UserError(field(SETTLEMENT_DATE_PATH), f"{day!r} is not a date") from None
    isin = parse_isin(read.required_text(root, ISIN_PATH, "the ISIN"), field(ISIN_PATH))
    text = read.required_text(root, QUANTITY_PATH, "the quantity in units")
    try:
        quantity = Decimal(text.strip())
    except InvalidOperation:
        raise UserError(field(QUANTITY_PATH), f"{text!r} is not a number") from None
    if quantity <= 0:
        raise UserError(field(QUANTITY_PATH), f"{plain(quantity)} must be greater than zero")
    account = read.required_text(root, ACCOUNT_PATH, "the securities account debited")
    wallet = read.required_text(root, WALLET_PATH, "the wallet credited (a blockchain address)")
    return LedgerInstruction(
        reference=reference,
        isin=isin,
        quantity=quantity,
        account=account,
        wallet=parse_address(wallet, field(WALLET_PATH)),
        settlement_date=settlement_date,
        owner=_beneficial_owner(root, account),
    )


def _beneficial_owner(root: etree._Element, account: str) -> str | None:
    """The owner id at ``AcctOwnr/Id/PrtryId`` when its issuer is the account (else None)."""
    issuer = read.text(root, f"{OWNER_PATH}/Issr")
    if issuer != account:
        return None
    return read.required_text(root, f"{OWNER_PATH}/Id", "the beneficial owner's id")


def build_instruction(instruction: LedgerInstruction) -> bytes:
    """Write a book entry -> DLT instruction as sese.023 (validated; parses back to it)."""
    root = build.document(SESE023)
    body = build.add(root, INSTRUCTION)
    build.add(body, "TxId", instruction.reference)
    params = build.add(body, "SttlmTpAndAddtlParams")
    build.add(params, "SctiesMvmntTp", "DELI")
    build.add(params, "Pmt", "FREE")
    build.add(body, "TradDtls/SttlmDt/Dt/Dt", build.iso_date(instruction.settlement_date))
    build.add(body, "FinInstrmId/ISIN", instruction.isin)
    accounts = build.add(body, "QtyAndAcctDtls")
    quantity = build.decimal_text(
        instruction.quantity, SESE023, QUANTITY_TYPE, field(QUANTITY_PATH)
    )
    build.add(accounts, "SttlmQty/Qty/Unit", quantity)
    _owner(accounts, instruction.owner, instruction.account)
    build.add(accounts, "SfkpgAcct/Id", instruction.account)
    build.add(body, "SttlmParams/SctiesTxTp/Cd", TRANSACTION_TYPE)
    _party(build.add(body, "RcvgSttlmPties"), instruction.wallet, None)
    return build.serialize(root, SESE023)


@dataclass(frozen=True)
class Refusal:
    """A refused instruction: what sese.024 reports."""

    reference: str
    isin: str
    quantity: Decimal
    account: str
    wallet: str
    reason: str  # the register's ISO 20022 reason code
    narrative: str
    settlement_date: date
    owner: str | None = None  # the beneficial owner the instruction named


def build_refusal(refusal: Refusal) -> bytes:
    """A sese.024 status advice: the instruction rejected, with its reason code."""
    root = build.document(SESE024)
    advice = build.add(root, "SctiesSttlmTxStsAdvc")
    build.add(advice, "TxId/AcctOwnrTxId", _max35(refusal.reference))
    rejected = build.add(advice, "PrcgSts/Rjctd/Rsn")
    codes = schema.codes(SESE024, "RejectionReason75Code")
    build.add(rejected, "Cd/Cd", refusal.reason if refusal.reason in codes else OTHER)
    narrative = refusal.narrative
    if refusal.reason not in codes:
        narrative = f"{refusal.reason}: {narrative}"
    build.add(
        rejected, "AddtlRsnInf", build.clip(narrative, schema.max_length(SESE024, "Max210Text"))
    )
    details = build.add(advice, "TxDtls")
    _owner(details, refusal.owner, _max35(refusal.account))
    build.add(details, "SfkpgAcct/Id", _max35(refusal.account))
    build.add(details, "FinInstrmId/ISIN", refusal.isin)
    where = "Document/SctiesSttlmTxStsAdvc/TxDtls/SttlmQty/Qty/Unit"
    build.add(
        details,
        "SttlmQty/Qty/Unit",
        build.decimal_text(refusal.quantity, SESE024, QUANTITY_TYPE, where),
    )
    build.add(details, "SttlmDt/Dt/Dt", build.iso_date(refusal.settlement_date))
    build.add(details, "SctiesMvmntTp", "DELI")
    build.add(details, "Pmt", "FREE")
    build.add(details, "SttlmParams/SctiesTxTp/Cd", TRANSACTION_TYPE)
    _party(build.add(details, "RcvgSttlmPties"), refusal.wallet, None)
    return build.serialize(root, SESE024)


@dataclass(frozen=True)
class Completed:
    """A movement between an account and a wallet that the bridge completed."""

    reference: str
    direction: Direction
    isin: str
    units: int
    decimals: int
    account: str
    wallet: str
    booked_at: datetime
    message_id: str
    chain_id: int
    bridge: str
    owner: str | None = None  # the beneficial owner debited or credited (an omnibus account)

    def details(self) -> str:
        return f"bridge=eip155:{self.chain_id}:{self.bridge}; message={self.message_id}"


def build_confirmation(done: Completed) -> bytes:
    """A sese.025 confirmation: DELI for book entry -> DLT, RECE for DLT -> book entry."""
    root = build.document(SESE025)
    confirmation = build.add(root, "SctiesSttlmTxConf")
    ids = build.add(confirmation, "TxIdDtls")
    build.add(ids, "AcctOwnrTxId", done.reference)
    build.add(ids, "SctiesMvmntTp", "DELI" if done.direction == "on-chain" else "RECE")
    build.add(ids, "Pmt", "FREE")
    trade = build.add(confirmation, "TradDtls")
    build.add(trade, "FctvSttlmDt/Dt/DtTm", build.iso_datetime(done.booked_at))
    build.add(trade, "SttlmInstrPrcgAddtlDtls", done.details())
    build.add(confirmation, "FinInstrmId/ISIN", done.isin)
    accounts = build.add(confirmation, "QtyAndAcctDtls")
    where = "Document/SctiesSttlmTxConf/QtyAndAcctDtls/SttldQty/Qty/Unit"
    value = units_to_decimal(done.units, done.decimals)
    build.add(
        accounts, "SttldQty/Qty/Unit", build.decimal_text(value, SESE025, QUANTITY_TYPE, where)
    )
    _owner(accounts, done.owner, done.account)
    build.add(accounts, "SfkpgAcct/Id", done.account)
    build.add(confirmation, "SttlmParams/SctiesTxTp/Cd", TRANSACTION_TYPE)
    side = "RcvgSttlmPties" if done.direction == "on-chain" else "DlvrgSttlmPties"
    _party(build.add(confirmation, side), done.wallet, f"eip155:{done.chain_id}")
    return build.serialize(root, SESE025)


def _party(side: etree._Element, wallet: str, depository: str | None) -> None:
    """The party on the chain, known by its wallet (the ledger, when named, its depository)."""
    if depository is not None:
        build.add(side, "Dpstry/Id/NmAndAdr/Nm", depository)
    party = build.add(side, "Pty1")
    build.add(party, "Id/NmAndAdr/Nm", wallet)
    build.add(party, "BlckChainAdrOrWllt/Id", wallet)


def _owner(parent: etree._Element, owner: str | None, account: str) -> None:
    """``AcctOwnr/Id/PrtryId``: the beneficial owner, an id issued by the omnibus account."""
    if owner is not None:
        ident = build.add(parent, "AcctOwnr/Id/PrtryId")
        build.add(ident, "Id", owner)
        build.add(ident, "Issr", account)


def _max35(text: str) -> str:
    return text[:35] if text else "NONREF"

"""ISO 20022 for the DvP escrow: sese.023 instructions in, sese.024 status and sese.025 out.

Where each term of a trade sits in a sese.023.001.12 instruction (paths below
``Document/SctiesSttlmTxInstr``; the same paths name the element in every error):

==============================================  ============================================
``TxId``                                        ``reference``: the on-chain ``tradeRef``
``SttlmTpAndAddtlParams/SctiesMvmntTp``         ``movement``: DELI (seller) or RECE (buyer)
``SttlmTpAndAddtlParams/Pmt``                   APMT only: the escrow settles against payment
``TradDtls/TradDt``, ``TradDtls/SttlmDt``       trade date, intended settlement date
``FinInstrmId/ISIN``                            the instrument (check digit verified)
``QtyAndAcctDtls/SttlmQty/Qty/Unit``            quantity in units (or ``DgtlTknUnit``)
``QtyAndAcctDtls/BlckChainAdrOrWllt/Id``        the instructing party's wallet
``RcvgSttlmPties/Pty1/BlckChainAdrOrWllt/Id``   the counterparty's wallet when delivering
``DlvrgSttlmPties/Pty1/BlckChainAdrOrWllt/Id``  the counterparty's wallet when receiving
``SttlmAmt/Amt`` (``@Ccy``), ``CdtDbtInd``      cash amount, ISO 4217 currency, CRDT/DBIT
==============================================  ============================================

Wallets go in ``BlckChainAdrOrWllt`` (a party is known on the ledger by its wallet, so the
wallet also names the party in ``Pty1/Id/NmAndAdr/Nm``). The ledger is the depository of both
sides, ``Dpstry/Id``: its ISO 24165 Digital Token Identifier (``DgtlLdgrId``) when known, else
the escrow as a CAIP-10 account id (``eip155:<chain id>:<escrow>``) in ``NmAndAdr/Nm``.

The chain's own references (trade id and settlement transaction hash, 66 characters each) do
not fit any ``Max35Text`` identification (``MktInfrstrctrTxId`` and the like), and no encoding
of 32 bytes fits 35 characters. They go, whole, in ``SttlmInstrPrcgAddtlDtls`` (Max350Text,
"additional details pertaining to the settlement instruction processing") as
``chain=eip155:<id>; escrow=<address>; trade=<id>; tx=<hash>; block=<n>`` (see
:func:`ledger_details`), in sese.024's ``TxDtls`` and sese.025's ``TradDtls``.

ISO 20022 documents carry no creation time or message identification of their own (both are in
the Business Application Header, head.001, which is not used here), so the builders are pure:
the same instruction or snapshot always gives the same bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Literal

from eth_utils import is_hex
from lxml import etree

from securities_rails.errors import UserError
from securities_rails.identifiers import parse_address, parse_currency, parse_isin
from securities_rails.iso20022 import build, read, schema
from securities_rails.iso20022.build import EXACT, plain, units_to_decimal
from securities_rails.iso20022.read import field

SESE023 = "sese.023.001.12"
SESE024 = "sese.024.001.13"
SESE025 = "sese.025.001.12"

Movement = Literal["deliver", "receive"]
QuantityElement = Literal["Unit", "DgtlTknUnit"]
MOVEMENT_CODES: dict[str, str] = {"deliver": "DELI", "receive": "RECE"}
AGAINST_PAYMENT = "against"
# The XSD types of the two quantity elements the escrow can take (token units, never a face
# amount): ``Unit`` holds 18 digits with 17 decimals, ``DgtlTknUnit`` 30 with 29.
QUANTITY_TYPES: dict[str, str] = {"Unit": "DecimalNumber", "DgtlTknUnit": "Max30DecimalNumber"}
AMOUNT_TYPE = "ActiveCurrencyAndAmount_SimpleType"
STATUSES = ("Proposed", "Matched", "Settled", "Cancelled", "Expired")
MAX_REFERENCE_BYTES = 35  # DvPEscrow.MAX_REFERENCE_LENGTH, the ISO 20022 Max35Text
UINT128_MAX = 2**128 - 1  # the escrow keeps quantity and amount as uint128
SECURITIES_TRANSACTION_TYPE = "TRAD"  # a purchase or sale of securities

# sese.023 element paths, relative to Document.
INSTRUCTION = "SctiesSttlmTxInstr"
REFERENCE_PATH = f"{INSTRUCTION}/TxId"
MOVEMENT_PATH = f"{INSTRUCTION}/SttlmTpAndAddtlParams/SctiesMvmntTp"
PAYMENT_PATH = f"{INSTRUCTION}/SttlmTpAndAddtlParams/Pmt"
TRADE_DATE_PATH = f"{INSTRUCTION}/TradDtls/TradDt"
SETTLEMENT_DATE_PATH = f"{INSTRUCTION}/TradDtls/SttlmDt"
ISIN_PATH = f"{INSTRUCTION}/FinInstrmId/ISIN"
QUANTITY_PATH = f"{INSTRUCTION}/QtyAndAcctDtls/SttlmQty"
OWNER_WALLET_PATH = f"{INSTRUCTION}/QtyAndAcctDtls/BlckChainAdrOrWllt/Id"
DELIVERING_WALLET_PATH = f"{INSTRUCTION}/DlvrgSttlmPties/Pty1/BlckChainAdrOrWllt/Id"
RECEIVING_WALLET_PATH = f"{INSTRUCTION}/RcvgSttlmPties/Pty1/BlckChainAdrOrWllt/Id"
SETTLEMENT_AMOUNT_PATH = f"{INSTRUCTION}/SttlmAmt"
AMOUNT_PATH = f"{SETTLEMENT_AMOUNT_PATH}/Amt"
CURRENCY_FIELD = f"{field(AMOUNT_PATH)}/@Ccy"
DIRECTION_PATH = f"{SETTLEMENT_AMOUNT_PATH}/CdtDbtInd"


# --- the instruction -------------------------------------------------------------------


@dataclass(frozen=True)
class SettlementInstruction:
    """One party's sese.023 settlement instruction, checked, in the terms the message uses.

    ``message_id`` and ``reference`` are both the instruction's ``TxId``: sese.023 has no other
    identification inside ``Document`` (the header's BizMsgIdr is outside it), and ``TxId`` is
    what becomes the escrow's ``tradeRef``. ``quantity`` and ``cash_amount`` are decimals as
    written (units of the security, units of the currency); :func:`to_units` converts them.
    """

    message_id: str
    reference: str
    movement: Movement
    payment: str
    isin: str
    quantity: Decimal
    cash_amount: Decimal
    currency: str
    trade_date: date | None
    settlement_date: date
    account_owner_wallet: str
    counterparty_wallet: str
    quantity_element: QuantityElement = "Unit"

    @property
    def seller(self) -> str:
        """The delivering wallet: the instructing party when it delivers."""
        return self.account_owner_wallet if self.movement == "deliver" else self.counterparty_wallet

    @property
    def buyer(self) -> str:
        """The receiving (and paying) wallet."""
        return self.counterparty_wallet if self.movement == "deliver" else self.account_owner_wallet

    @property
    def quantity_field(self) -> str:
        """The element path of the quantity (``.../SttlmQty/Qty/Unit``)."""
        return field(f"{QUANTITY_PATH}/Qty/{self.quantity_element}")

    @property
    def counterparty_field(self) -> str:
        """The element path of the counterparty's wallet (the other side's ``Pty1``)."""
        path = RECEIVING_WALLET_PATH if self.movement == "deliver" else DELIVERING_WALLET_PATH
        return field(path)

    @property
    def seller_field(self) -> str:
        """The element path that holds the seller's wallet."""
        return field(OWNER_WALLET_PATH) if self.movement == "deliver" else self.counterparty_field

    @property
    def buyer_field(self) -> str:
        """The element path that holds the buyer's wallet."""
        return self.counterparty_field if self.movement == "deliver" else field(OWNER_WALLET_PATH)


def parse_sese023(xml: bytes) -> SettlementInstruction:
    """Read and check a sese.023 instruction; every refusal names the element path.

    Beyond the XSD: the ISIN's check digit, the currency (ISO 4217), both wallets (EIP-55),
    a positive quantity and amount, the credit/debit direction, the reference's on-chain length,
    and against payment only (the escrow has no free-of-payment delivery).
    """
    root = schema.parse(xml, SESE023)  # checks run in document order: the first error first
    reference = _reference(read.required_text(root, REFERENCE_PATH, "the transaction id"))
    movement = _movement(root)
    _require_against_payment(root)
    trade_date = _date(root, TRADE_DATE_PATH, required=False)
    settlement_date = _settlement_date(root)
    isin = _isin(root)
    quantity_element, quantity = _quantity(root)
    owner, counterparty = _parties(root, movement)
    cash_amount, currency = _cash(root, movement)
    return SettlementInstruction(
        message_id=reference,
        reference=reference,
        movement=movement,
        payment=AGAINST_PAYMENT,
        isin=isin,
        quantity=quantity,
        cash_amount=cash_amount,
        currency=currency,
        trade_date=trade_date,
        settlement_date=settlement_date,
        account_owner_wallet=owner,
        counterparty_wallet=counterparty,
        quantity_element=quantity_element,
    )


def _movement(root: etree._Element) -> Movement:
    code = read.required_text(root, MOVEMENT_PATH, "DELI or RECE")
    return "deliver" if code == MOVEMENT_CODES["deliver"] else "receive"


def _require_against_payment(root: etree._Element) -> None:
    code = read.required_text(root, PAYMENT_PATH, "APMT")
    if code != "APMT":
        raise UserError(
            field(PAYMENT_PATH),
            f"{code} (free of payment) is not supported: the DvP escrow settles against payment "
            "only; use APMT with the settlement amount",
        )


def _reference(text: str, where: str = field(REFERENCE_PATH)) -> str:
    """A trade reference the escrow takes: 1..35 UTF-8 bytes, no surrounding spaces."""
    if not text or text != text.strip():
        raise UserError(where, f"{text!r}: a reference without surrounding spaces is needed")
    size = len(text.encode("utf-8"))
    if size > MAX_REFERENCE_BYTES:
        raise UserError(
            where,
            f"{text!r} is {size} bytes; the escrow's trade reference (ISO 20022 Max35Text) "
            f"holds at most {MAX_REFERENCE_BYTES}",
        )
    return text


def _isin(root: etree._Element) -> str:
    text = read.required_text(root, ISIN_PATH, "the ISIN of the instrument")
    return parse_isin(text, field(ISIN_PATH))


def _quantity(root: etree._Element) -> tuple[QuantityElement, Decimal]:
    chosen = read.only_child(root, QUANTITY_PATH)
    inner = read.only_child(root, f"{QUANTITY_PATH}/Qty")
    if chosen is None or inner is None:
        name = read.local_name(chosen) if chosen is not None else "Qty"
        raise UserError(
            field(f"{QUANTITY_PATH}/{name}"),
            "give the quantity as Qty/Unit (units) or Qty/DgtlTknUnit (token units)",
        )
    name = read.local_name(inner)
    path = field(f"{QUANTITY_PATH}/Qty/{name}")
    if name not in QUANTITY_TYPES:
        raise UserError(
            path, f"{name} (a face amount) is not supported: give units (Unit or DgtlTknUnit)"
        )
    value = Decimal((inner.text or "").strip())
    if value <= 0:
        raise UserError(path, f"{plain(value)} must be greater than zero")
    return ("Unit" if name == "Unit" else "DgtlTknUnit"), value


def _cash(root: etree._Element, movement: Movement) -> tuple[Decimal, str]:
    element = read.find(root, AMOUNT_PATH)
    if element is None:
        raise UserError(
            field(SETTLEMENT_AMOUNT_PATH),
            "missing: an against-payment instruction needs the settlement amount and currency",
        )
    currency = parse_currency(element.get("Ccy", ""), CURRENCY_FIELD)
    amount = Decimal((element.text or "").strip())
    if amount <= 0:
        raise UserError(field(AMOUNT_PATH), f"{plain(amount)} must be greater than zero")
    direction = read.required_text(root, DIRECTION_PATH, "CRDT or DBIT")
    expected = _direction(movement)
    if direction != expected:
        raise UserError(
            field(DIRECTION_PATH),
            f"{direction} does not fit a {'delivery' if movement == 'deliver' else 'receipt'}: "
            f"the seller is credited the cash (CRDT), the buyer debited (DBIT); use {expected}",
        )
    return amount, currency


def _direction(movement: Movement) -> str:
    """The account owner's side of the cash: the deliverer is credited, the receiver debited."""
    return "CRDT" if movement == "deliver" else "DBIT"


def _parties(root: etree._Element, movement: Movement) -> tuple[str, str]:
    """The instructing party's wallet and the counterparty's, from the other side's ``Pty1``."""
    owner = _wallet(root, OWNER_WALLET_PATH, "the instructing party's wallet")
    counterparty_path = RECEIVING_WALLET_PATH if movement == "deliver" else DELIVERING_WALLET_PATH
    counterparty = _wallet(root, counterparty_path, f"the counterparty's wallet ({movement})")
    if counterparty == owner:
        raise UserError(field(counterparty_path), "the counterparty is the instructing party")
    return owner, counterparty


def _wallet(root: etree._Element, path: str, who: str) -> str:
    text = read.required_text(root, path, f"{who} (a blockchain address)")
    return parse_address(text, field(path))


def _settlement_date(root: etree._Element) -> date:
    code = read.find(root, f"{SETTLEMENT_DATE_PATH}/DtCd")
    if code is not None:
        raise UserError(
            field(f"{SETTLEMENT_DATE_PATH}/DtCd"),
            "a settlement date code is not supported: give the intended settlement date (Dt/Dt)",
        )
    moment = _date(root, SETTLEMENT_DATE_PATH, required=True)
    assert moment is not None  # required=True never returns None
    return moment


def _date(root: etree._Element, path: str, *, required: bool) -> date | None:
    """The date of a date choice (``Dt/Dt`` or ``Dt/DtTm``, in UTC when zoned)."""
    day = read.text(root, f"{path}/Dt/Dt")
    if day is not None:
        return _iso_date(day, f"{path}/Dt/Dt")
    moment = read.text(root, f"{path}/Dt/DtTm")
    if moment is not None:
        return _iso_datetime_date(moment, f"{path}/Dt/DtTm")
    if required:
        raise UserError(field(path), "missing: the intended settlement date (Dt/Dt)")
    return None


def _iso_date(text: str, path: str) -> date:
    """An xs:date, whose optional zone does not change the calendar date it names."""
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise UserError(field(path), f"{text!r} is not a date this tool reads") from None


def _iso_datetime_date(text: str, path: str) -> date:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise UserError(field(path), f"{text!r} is not a date and time this tool reads") from None
    return moment.astimezone(UTC).date() if moment.tzinfo else moment.date()


def build_sese023(instruction: SettlementInstruction) -> bytes:
    """Write an instruction as a sese.023 document (validated; parses back to ``instruction``).

    The values are checked as :func:`parse_sese023` checks them, so a file written here is
    one the import accepts.
    """
    owner, counterparty = _checked_parties(instruction)
    root = build.document(SESE023)
    body = build.add(root, INSTRUCTION)
    build.add(body, "TxId", _checked_reference(instruction))
    params = build.add(body, "SttlmTpAndAddtlParams")
    build.add(params, "SctiesMvmntTp", _movement_code(instruction.movement, field(MOVEMENT_PATH)))
    build.add(params, "Pmt", _payment_code(instruction.payment))
    trade = build.add(body, "TradDtls")
    if instruction.trade_date is not None:
        build.add(trade, "TradDt/Dt/Dt", build.iso_date(instruction.trade_date))
    build.add(trade, "SttlmDt/Dt/Dt", build.iso_date(instruction.settlement_date))
    build.add(body, "FinInstrmId/ISIN", parse_isin(instruction.isin, field(ISIN_PATH)))
    accounts = build.add(body, "QtyAndAcctDtls")
    _instruction_quantity(accounts, instruction)
    build.add(accounts, "BlckChainAdrOrWllt/Id", owner)
    build.add(body, "SttlmParams/SctiesTxTp/Cd", SECURITIES_TRANSACTION_TYPE)
    side = "RcvgSttlmPties" if instruction.movement == "deliver" else "DlvrgSttlmPties"
    _party(build.add(body, side), counterparty)
    amount = build.add(body, "SttlmAmt")
    text = _positive(instruction.cash_amount, SESE023, AMOUNT_TYPE, field(AMOUNT_PATH))
    currency = parse_currency(instruction.currency, CURRENCY_FIELD)
    build.add(amount, "Amt", text, Ccy=currency)
    build.add(amount, "CdtDbtInd", _direction(instruction.movement))
    return build.serialize(root, SESE023)


def _checked_reference(instruction: SettlementInstruction) -> str:
    reference = _reference(instruction.reference)
    if instruction.message_id != reference:
        raise UserError(
            "message_id",
            f"{instruction.message_id!r} differs from the reference {reference!r}: sese.023 "
            "carries one identification (TxId), so both must be the same",
        )
    return reference


def _checked_parties(instruction: SettlementInstruction) -> tuple[str, str]:
    owner = parse_address(instruction.account_owner_wallet, field(OWNER_WALLET_PATH))
    counterparty = parse_address(instruction.counterparty_wallet, instruction.counterparty_field)
    if owner == counterparty:
        raise UserError(instruction.counterparty_field, "the counterparty is the instructing party")
    return owner, counterparty


def _movement_code(movement: str, where: str) -> str:
    if movement not in MOVEMENT_CODES:
        raise UserError(where, f"unknown movement {movement!r}: use deliver or receive")
    return MOVEMENT_CODES[movement]


def _payment_code(payment: str) -> str:
    if payment != AGAINST_PAYMENT:
        raise UserError(
            field(PAYMENT_PATH),
            f"{payment!r} is not supported: the DvP escrow settles against payment only",
        )
    return "APMT"


def _instruction_quantity(accounts: etree._Element, instruction: SettlementInstruction) -> None:
    element = instruction.quantity_element
    if element not in QUANTITY_TYPES:
        raise UserError("quantity_element", f"{element!r}: use Unit or DgtlTknUnit")
    text = _positive(
        instruction.quantity, SESE023, QUANTITY_TYPES[element], instruction.quantity_field
    )
    build.add(accounts, f"SttlmQty/Qty/{element}", text)


def _positive(value: Decimal, message: str, type_name: str, where: str) -> str:
    if Decimal(value) <= 0:
        raise UserError(where, f"{plain(Decimal(value))} must be greater than zero")
    return build.decimal_text(value, message, type_name, where)


def _party(side: etree._Element, wallet: str) -> None:
    """A settlement party known by its wallet: the wallet names it and is its account."""
    party = build.add(side, "Pty1")
    build.add(party, "Id/NmAndAdr/Nm", wallet)
    build.add(party, "BlckChainAdrOrWllt/Id", wallet)


# --- comparing with the chain ----------------------------------------------------------


@dataclass(frozen=True)
class ExpectedTerms:
    """A trade's terms as the chain has them (quantity and amount in smallest units)."""

    isin: str
    quantity: int
    security_decimals: int
    cash_amount: int
    cash_decimals: int
    currency: str
    seller: str
    buyer: str


def to_units(
    instruction: SettlementInstruction, security_decimals: int, cash_decimals: int
) -> tuple[int, int]:
    """``(quantity, cash amount)`` in the tokens' smallest units, as the escrow takes them.

    More decimal places than a token has is refused (naming the element), never rounded.
    """
    quantity = _units(
        instruction.quantity, security_decimals, instruction.quantity_field, "the security"
    )
    amount = _units(instruction.cash_amount, cash_decimals, field(AMOUNT_PATH), "the cash token")
    return quantity, amount


def _units(value: Decimal, decimals: int, where: str, token: str) -> int:
    scaled = Decimal(value).scaleb(decimals, EXACT)
    if scaled != scaled.to_integral_value(context=EXACT):
        places = max(0, -int(Decimal(value).normalize(EXACT).as_tuple().exponent))
        raise UserError(
            where, f"{plain(Decimal(value))} has {places} decimal places; {token} has {decimals}"
        )
    units = int(scaled)
    if units <= 0:
        raise UserError(where, f"{plain(Decimal(value))} must be greater than zero")
    if units > UINT128_MAX:
        largest = plain(units_to_decimal(UINT128_MAX, decimals))
        raise UserError(where, f"{plain(Decimal(value))} is above the escrow's limit {largest}")
    return units


def mismatches(instruction: SettlementInstruction, expected: ExpectedTerms) -> list[UserError]:
    """Every term where an imported instruction differs from a trade on chain, by element.

    Compares the ISIN, the quantity and the cash amount in smallest units (a value with more
    decimals than the token is itself reported), the currency, the seller and the buyer.
    """
    found: list[UserError] = []
    if instruction.isin != expected.isin:
        found.append(_differs(field(ISIN_PATH), instruction.isin, "ISIN", expected.isin))
    found += _amount_differs(
        instruction.quantity,
        expected.quantity,
        expected.security_decimals,
        instruction.quantity_field,
        "quantity",
        "the security",
    )
    found += _amount_differs(
        instruction.cash_amount,
        expected.cash_amount,
        expected.cash_decimals,
        field(AMOUNT_PATH),
        "amount",
        "the cash token",
    )
    if instruction.currency.upper() != expected.currency.upper():
        found.append(_differs(CURRENCY_FIELD, instruction.currency, "currency", expected.currency))
    if not _same_address(instruction.seller, expected.seller):
        found.append(
            _differs(instruction.seller_field, instruction.seller, "seller", expected.seller)
        )
    if not _same_address(instruction.buyer, expected.buyer):
        found.append(_differs(instruction.buyer_field, instruction.buyer, "buyer", expected.buyer))
    return found


def check_matches(instruction: SettlementInstruction, expected: ExpectedTerms) -> None:
    """Raise the first of :func:`mismatches`, if any."""
    found = mismatches(instruction, expected)
    if found:
        raise found[0]


def _differs(where: str, value: str, term: str, expected: str) -> UserError:
    return UserError(where, f"{value} does not match the trade's {term} {expected}")


def _amount_differs(
    value: Decimal, expected: int, decimals: int, where: str, term: str, token: str
) -> list[UserError]:
    try:
        units = _units(value, decimals, where, token)
    except UserError as error:
        return [error]
    if units == expected:
        return []
    shown = plain(units_to_decimal(expected, decimals))
    return [_differs(where, plain(Decimal(value)), term, shown)]


def _same_address(left: str, right: str) -> bool:
    return left.lower() == right.lower()


# --- the trade on chain, and the messages about it -------------------------------------


@dataclass(frozen=True)
class TradeSnapshot:
    """What the chain says about a trade, with what sese.024 and sese.025 need to report it.

    ``quantity`` and ``cash_amount`` are in the tokens' smallest units; ``reason_code`` /
    ``reason_text`` say why a matched trade has not settled (e.g. the token's rule verdict
    ``RECIPIENT_ELIGIBILITY_EXPIRED``), or an ISO 20022 reason code such as ``LACK``.
    ``ledger_dti`` is the chain's ISO 24165 Digital Token Identifier, when it has one.
    """

    chain_id: int
    escrow: str
    trade_id: str
    reference: str
    status: str
    isin: str
    quantity: int
    security_decimals: int
    cash_amount: int
    cash_decimals: int
    currency: str
    seller: str
    buyer: str
    deadline: int
    settled_at: int = 0
    settled_block: int = 0
    settlement_tx: str | None = None
    reason_code: str | None = None
    reason_text: str | None = None
    ledger_dti: str | None = None

    def terms(self) -> ExpectedTerms:
        """The trade's terms, to compare an imported instruction with (:func:`mismatches`)."""
        return ExpectedTerms(
            isin=self.isin,
            quantity=self.quantity,
            security_decimals=self.security_decimals,
            cash_amount=self.cash_amount,
            cash_decimals=self.cash_decimals,
            currency=self.currency,
            seller=self.seller,
            buyer=self.buyer,
        )


def ledger_details(snapshot: TradeSnapshot) -> str:
    """The chain's references of a trade, whole, as ``key=value`` pairs (see the module doc)."""
    parts = [
        f"chain=eip155:{snapshot.chain_id}",
        f"escrow={snapshot.escrow}",
        f"trade={snapshot.trade_id}",
    ]
    if snapshot.status == "Settled":
        parts += [f"tx={snapshot.settlement_tx}", f"block={snapshot.settled_block}"]
    else:
        parts.append(f"deadline={build.iso_datetime(snapshot.deadline)}")
    return "; ".join(parts)


def build_sese024(snapshot: TradeSnapshot, *, movement: Movement = "deliver") -> bytes:
    """A sese.024 status advice for a trade that is not settled, for the seller or the buyer.

    Proposed: accepted, unmatched (CMIS: the counterparty's instruction is missing). Matched:
    accepted, matched, settlement pending (with the reason, when one is given). Cancelled and
    Expired: cancelled. A settled trade has no sese.024 status: it is confirmed by sese.025.
    """
    checked = _checked_snapshot(snapshot)
    if checked.status == "Settled":
        raise UserError(
            "status",
            "the trade is Settled: sese.024 has no settled status; export its confirmation, "
            "sese.025, instead",
        )
    code = _movement_code(movement, "movement")
    root = build.document(SESE024)
    advice = build.add(root, "SctiesSttlmTxStsAdvc")
    build.add(advice, "TxId/AcctOwnrTxId", checked.reference)
    _STATUS_WRITERS[checked.status](advice, checked)
    _status_details(build.add(advice, "TxDtls"), checked, movement, code)
    return build.serialize(root, SESE024)


def _proposed(advice: etree._Element, snapshot: TradeSnapshot) -> None:
    build.add(advice, "PrcgSts/AckdAccptd/NoSpcfdRsn", "NORE")
    waiting = "the counterparty has not yet instructed the same terms or affirmed the trade"
    _reason(
        build.add(advice, "MtchgSts/Umtchd"), snapshot, "UnmatchedReason11Code", "CMIS", waiting
    )


def _matched(advice: etree._Element, snapshot: TradeSnapshot) -> None:
    build.add(advice, "PrcgSts/AckdAccptd/NoSpcfdRsn", "NORE")
    build.add(advice, "MtchgSts/Mtchd")
    _reason(build.add(advice, "SttlmSts/Pdg"), snapshot, "PendingReason24Code", None, None)


def _cancelled(advice: etree._Element, snapshot: TradeSnapshot) -> None:
    cancelled = build.add(advice, "PrcgSts/Canc")
    _reason(cancelled, snapshot, "CancelledStatusReason16Code", None, None)


def _expired(advice: etree._Element, snapshot: TradeSnapshot) -> None:
    # The deadline passed unsettled. The escrow will never settle this trade (settle reverts
    # from the deadline on; the legs can only be reclaimed), so it is not "failing" (FailingStatus
    # says settlement is still expected, late) and not "rejected" (it was accepted and matched or
    # proposed). It is cancelled by the system at its deadline: Canc with CANS.
    deadline = build.iso_datetime(snapshot.deadline)
    why = f"the deadline {deadline} passed before settlement; each party can reclaim its leg"
    _reason(build.add(advice, "PrcgSts/Canc"), snapshot, "CancelledStatusReason16Code", "CANS", why)


_STATUS_WRITERS: dict[str, Callable[[etree._Element, TradeSnapshot], None]] = {
    "Proposed": _proposed,
    "Matched": _matched,
    "Cancelled": _cancelled,
    "Expired": _expired,
}


def _reason(
    status: etree._Element,
    snapshot: TradeSnapshot,
    code_type: str,
    default_code: str | None,
    default_text: str | None,
) -> None:
    """``Rsn/Cd/Cd`` with its narrative, or ``NoSpcfdRsn`` (NORE) when there is nothing to say.

    A reason code the schema has for this status (e.g. LACK, CYCL) is used as is; any other
    (a token rule verdict such as RECIPIENT_ELIGIBILITY_EXPIRED) goes in the narrative
    (``AddtlRsnInf``) under ``default_code``, or OTHR ("other, see narrative").
    """
    given = (snapshot.reason_code or "").strip()
    text = (snapshot.reason_text or "").strip()
    iso_code = given.upper() if given.upper() in schema.codes(SESE024, code_type) else None
    verdict = ": ".join(part for part in (None if iso_code else given, text) if part)
    narrative = "; ".join(part for part in (default_text, verdict) if part)
    if iso_code is None and default_code is None and not narrative:
        build.add(status, "NoSpcfdRsn", "NORE")
        return
    reason = build.add(status, "Rsn")
    build.add(reason, "Cd/Cd", iso_code or default_code or "OTHR")
    if narrative:
        limit = schema.max_length(SESE024, "Max210Text")
        build.add(reason, "AddtlRsnInf", build.clip(narrative, limit))


def _status_details(
    details: etree._Element, snapshot: TradeSnapshot, movement: Movement, code: str
) -> None:
    """``TxDtls``: the trade's terms and parties, as the status is about them."""
    base = "Document/SctiesSttlmTxStsAdvc/TxDtls"
    build.add(details, "BlckChainAdrOrWllt/Id", _owner(snapshot, movement))
    build.add(details, "FinInstrmId/ISIN", snapshot.isin)
    _snapshot_quantity(details, "SttlmQty", snapshot, SESE024, f"{base}/SttlmQty")
    _snapshot_amount(details, "SttlmAmt", snapshot, SESE024, movement, f"{base}/SttlmAmt/Amt")
    build.add(details, "SttlmDt/Dt/Dt", build.iso_date(_last_settlement_day(snapshot.deadline)))
    build.add(details, "SctiesMvmntTp", code)
    build.add(details, "Pmt", "APMT")
    build.add(details, "SttlmParams/SctiesTxTp/Cd", SECURITIES_TRANSACTION_TYPE)
    # sese.024 lists the receiving side before the delivering side.
    _ledger_party(details, "RcvgSttlmPties", snapshot.buyer, snapshot)
    _ledger_party(details, "DlvrgSttlmPties", snapshot.seller, snapshot)
    build.add(details, "SttlmInstrPrcgAddtlDtls", ledger_details(snapshot))


def _last_settlement_day(deadline: int) -> date:
    """The last day the escrow can settle: the date of the second before the deadline (UTC)."""
    return datetime.fromtimestamp(deadline - 1, UTC).date()


def build_sese025(snapshot: TradeSnapshot, *, movement: Movement = "deliver") -> bytes:
    """A sese.025 confirmation of a settled trade, for the seller or the buyer.

    Carries the reference, the ISIN, the settled quantity and amount (in units, converted with
    the tokens' decimals), the effective settlement time, both wallets, the ledger as both
    sides' depository, and the settlement transaction with its chain, escrow and block.
    """
    checked = _checked_snapshot(snapshot)
    if checked.status != "Settled":
        raise UserError(
            "status",
            f"the trade is {checked.status}, not Settled: only a settled trade has a sese.025 "
            "confirmation; export its status (sese.024) instead",
        )
    code = _movement_code(movement, "movement")
    base = "Document/SctiesSttlmTxConf"
    root = build.document(SESE025)
    confirmation = build.add(root, "SctiesSttlmTxConf")
    ids = build.add(confirmation, "TxIdDtls")
    build.add(ids, "AcctOwnrTxId", checked.reference)
    build.add(ids, "SctiesMvmntTp", code)
    build.add(ids, "Pmt", "APMT")
    trade = build.add(confirmation, "TradDtls")
    build.add(trade, "FctvSttlmDt/Dt/DtTm", build.iso_datetime(checked.settled_at))
    build.add(trade, "SttlmInstrPrcgAddtlDtls", ledger_details(checked))
    build.add(confirmation, "FinInstrmId/ISIN", checked.isin)
    accounts = build.add(confirmation, "QtyAndAcctDtls")
    _snapshot_quantity(accounts, "SttldQty", checked, SESE025, f"{base}/QtyAndAcctDtls/SttldQty")
    build.add(accounts, "BlckChainAdrOrWllt/Id", _owner(checked, movement))
    build.add(confirmation, "SttlmParams/SctiesTxTp/Cd", SECURITIES_TRANSACTION_TYPE)
    _ledger_party(confirmation, "DlvrgSttlmPties", checked.seller, checked)
    _ledger_party(confirmation, "RcvgSttlmPties", checked.buyer, checked)
    _snapshot_amount(confirmation, "SttldAmt", checked, SESE025, movement, f"{base}/SttldAmt/Amt")
    return build.serialize(root, SESE025)


def _owner(snapshot: TradeSnapshot, movement: Movement) -> str:
    return snapshot.seller if movement == "deliver" else snapshot.buyer


def _snapshot_quantity(
    parent: etree._Element, name: str, snapshot: TradeSnapshot, message: str, where: str
) -> None:
    """The quantity in units: ``Unit`` when it fits (18 digits), else ``DgtlTknUnit``."""
    value = units_to_decimal(snapshot.quantity, snapshot.security_decimals)
    element = "Unit" if _fits(value, message, QUANTITY_TYPES["Unit"]) else "DgtlTknUnit"
    text = build.decimal_text(value, message, QUANTITY_TYPES[element], f"{where}/Qty/{element}")
    build.add(parent, f"{name}/Qty/{element}", text)


def _fits(value: Decimal, message: str, type_name: str) -> bool:
    fraction_digits, total_digits = schema.decimal_limits(message, type_name)
    exponent = int(value.as_tuple().exponent)
    return -exponent <= fraction_digits and len(value.as_tuple().digits) <= total_digits


def _snapshot_amount(
    parent: etree._Element,
    name: str,
    snapshot: TradeSnapshot,
    message: str,
    movement: Movement,
    where: str,
) -> None:
    value = units_to_decimal(snapshot.cash_amount, snapshot.cash_decimals)
    amount = build.add(parent, name)
    build.add(
        amount, "Amt", build.decimal_text(value, message, AMOUNT_TYPE, where), Ccy=snapshot.currency
    )
    build.add(amount, "CdtDbtInd", _direction(movement))


def _ledger_party(
    parent: etree._Element, side_name: str, wallet: str, snapshot: TradeSnapshot
) -> None:
    """One side of the settlement: the ledger as depository, the party known by its wallet."""
    side = build.add(parent, side_name)
    if snapshot.ledger_dti:
        build.add(side, "Dpstry/Id/DgtlLdgrId", snapshot.ledger_dti)
    else:
        build.add(side, "Dpstry/Id/NmAndAdr/Nm", f"eip155:{snapshot.chain_id}:{snapshot.escrow}")
    _party(side, wallet)


def _checked_snapshot(snapshot: TradeSnapshot) -> TradeSnapshot:
    """Check what the messages rely on; the fields are named as in TradeSnapshot."""
    if snapshot.status not in STATUSES:
        raise UserError("status", f"unknown status {snapshot.status!r}: use {', '.join(STATUSES)}")
    _reference(snapshot.reference, "reference")
    if not _is_hash(snapshot.trade_id):
        raise UserError("trade_id", f"{snapshot.trade_id!r} is not a 0x-prefixed 32-byte hex id")
    for name, decimals in (
        ("security_decimals", snapshot.security_decimals),
        ("cash_decimals", snapshot.cash_decimals),
    ):
        if not 0 <= decimals <= 77:
            raise UserError(name, f"{decimals} is not a token's decimals (0..77)")
    for name, units in (("quantity", snapshot.quantity), ("cash_amount", snapshot.cash_amount)):
        if units <= 0:
            raise UserError(name, f"{units} must be greater than zero")
    if snapshot.status == "Settled":
        _check_settlement(snapshot)
    return replace(
        snapshot,
        escrow=parse_address(snapshot.escrow, "escrow"),
        isin=parse_isin(snapshot.isin, "isin"),
        currency=parse_currency(snapshot.currency, "currency"),
        seller=parse_address(snapshot.seller, "seller"),
        buyer=parse_address(snapshot.buyer, "buyer"),
    )


def _check_settlement(snapshot: TradeSnapshot) -> None:
    tx = snapshot.settlement_tx
    if not _is_hash(tx):
        raise UserError(
            "settlement_tx",
            f"{tx!r}: a settled trade's confirmation needs its settlement transaction hash",
        )
    if snapshot.settled_at <= 0:
        raise UserError("settled_at", "a settled trade's confirmation needs its settlement time")


def _is_hash(value: object) -> bool:
    """A 0x-prefixed 32-byte hex string (a trade id or a transaction hash)."""
    return isinstance(value, str) and len(value) == 66 and value[:2] == "0x" and is_hex(value)

"""A web3.py client for one chain over HTTP, for processes that watch several chains at once.

ape keeps one active provider per process; the bridge's validators and relayer read and write
two chains in the same loop, so they hold one ``Chain`` per chain instead. A ``Chain`` reads
(chain id, head, block hashes, decoded event logs, view calls) and sends transactions signed
by an ``eth_account`` ``LocalAccount`` in three steps that a caller can journal between:
``prepare`` (nonce from the node's pending count, gas estimate with a margin, signed; nothing
sent), ``broadcast``, and ``wait``. A revert, at estimate time or mined, becomes a
``RevertError`` (a ``UserError``) with the decoded custom error, worded by
``securities_rails.chain.revert`` where it has a message for it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from ape.exceptions import CustomError
from eth_abi import decode as abi_decode
from eth_account.signers.local import LocalAccount
from eth_utils import keccak, to_checksum_address
from eth_utils.abi import abi_to_signature, get_abi_input_names, get_abi_input_types
from ethpm_types.abi import ErrorABI
from web3 import HTTPProvider, Web3
from web3.exceptions import (
    BlockNotFound,
    ContractCustomError,
    ContractLogicError,
    TransactionNotFound,
    Web3RPCError,
)
from web3.middleware import ExtraDataToPOAMiddleware

from securities_rails.chain.revert import explain_revert
from securities_rails.errors import UserError

ABI = list[dict[str, Any]]
GAS_MARGIN = 1.25
FIRST_POLL = 0.002  # seconds: Chain.wait's first pause between two looks for a receipt
ERROR_STRING = bytes.fromhex("08c379a0")  # Error(string)
PANIC = bytes.fromhex("4e487b71")  # Panic(uint256)
PROJECT_ROOT = Path(__file__).resolve().parents[2]  # the package is installed editable


def load_abi(name: str, root: Path | None = None) -> ABI:
    """The ABI of interface ``name`` from the checkout's interfaces/abi (``make compile``)."""
    path = (root or PROJECT_ROOT) / "interfaces" / "abi" / f"{name}.json"
    if not path.exists():
        raise UserError(
            "abi", f"{path} is missing: run `python -m securities_rails.interfaces write`"
        )
    return list(json.loads(path.read_text()))


class RevertError(UserError):
    """A call or transaction reverted; ``error`` is the custom error's name (None: not decoded)."""

    def __init__(self, field: str | None, message: str, error: str | None, inputs: dict[str, Any]):
        self.error = error
        self.inputs = inputs
        super().__init__(field, message)


class MiningTimeoutError(UserError):
    """A broadcast transaction was not mined in time; it may still be mined later."""

    def __init__(self, tx_hash: str, seconds: float) -> None:
        self.tx_hash = tx_hash
        super().__init__("transaction", f"{tx_hash} not mined within {seconds:g} s")


@dataclass(frozen=True)
class Log:
    """One decoded event log."""

    event: str
    args: dict[str, Any]
    address: str
    block_number: int
    block_hash: str
    tx_hash: str
    log_index: int


@dataclass(frozen=True)
class Prepared:
    """A signed transaction, not yet broadcast."""

    tx_hash: str
    raw: bytes
    sender: str
    nonce: int
    gas: int
    function: str


@dataclass(frozen=True)
class Receipt:
    tx_hash: str
    status: int  # 1 success, 0 reverted
    block_number: int
    gas_used: int
    logs: tuple[Any, ...]

    @property
    def ok(self) -> bool:
        return self.status == 1


def _hex(value: Any) -> str:
    if isinstance(value, str):
        return value if value.startswith("0x") else "0x" + value
    return "0x" + bytes(value).hex()


class Errors:
    """Decodes revert data against the custom errors of an ABI."""

    def __init__(self, abi: ABI) -> None:
        self._by_selector: dict[bytes, dict[str, Any]] = {}
        for entry in abi:
            if entry.get("type") == "error":
                selector = keccak(text=abi_to_signature(entry))[:4]
                self._by_selector[selector] = entry

    def decode(self, data: bytes, field: str | None) -> RevertError:
        """The error that ``data`` (the revert data) encodes."""
        selector, payload = data[:4], data[4:]
        if selector == ERROR_STRING:
            (text,) = abi_decode(["string"], payload)
            return RevertError(field, f"reverted: {text}", None, {"message": text})
        if selector == PANIC:
            (code,) = abi_decode(["uint256"], payload)
            return RevertError(field, f"reverted: panic 0x{code:02x}", None, {"code": code})
        entry = self._by_selector.get(selector)
        if entry is None:
            shown = "0x" + data.hex() if data else "no data"
            return RevertError(field, f"reverted ({shown})", None, {})
        names = get_abi_input_names(entry)
        values = abi_decode(get_abi_input_types(entry), payload)
        inputs = dict(zip(names, values, strict=True))
        ape_error = CustomError(ErrorABI.model_validate(entry), inputs)
        text = explain_revert(ape_error)
        if not text.startswith(entry["name"]):  # a template: keep the error's name in view
            text = f"{text} ({entry['name']})"
        return RevertError(field, text, entry["name"], inputs)

    def from_exception(self, error: Exception, field: str | None) -> RevertError:
        """The RevertError for a web3 revert exception."""
        data = getattr(error, "data", None)
        if isinstance(data, dict):
            data = data.get("data")
        if isinstance(data, str) and data.startswith("0x"):
            return self.decode(bytes.fromhex(data[2:]), field)
        message = getattr(error, "message", None) or str(error)
        return RevertError(field, f"reverted: {message}", None, {})


REVERTS = (ContractCustomError, ContractLogicError)


class Contract:
    """A contract on one chain, with the ABI used to encode calls and decode events and reverts."""

    def __init__(self, chain: Chain, address: str, abi: ABI) -> None:
        self.chain = chain
        self.address = to_checksum_address(address)
        self.abi = abi
        self.handle = chain.web3.eth.contract(address=self.address, abi=abi, decode_tuples=True)
        self.errors = Errors(abi)

    def call(self, function: str, *args: Any, block: int | str = "latest") -> Any:
        """A view call; a revert raises RevertError."""
        try:
            return self.handle.functions[function](*args).call(block_identifier=block)
        except REVERTS as error:
            raise self.errors.from_exception(error, function) from None

    def logs(self, event: str, from_block: int, to_block: int) -> list[Log]:
        """The ``event`` logs this contract emitted in [from_block, to_block], in chain order."""
        entries = self.handle.events[event]().get_logs(from_block=from_block, to_block=to_block)
        logs = [
            Log(
                event=str(item["event"]),
                args=dict(item["args"]),
                address=to_checksum_address(item["address"]),
                block_number=int(item["blockNumber"]),
                block_hash=_hex(item["blockHash"]),
                tx_hash=_hex(item["transactionHash"]),
                log_index=int(item["logIndex"]),
            )
            for item in entries
        ]
        return sorted(logs, key=lambda log: (log.block_number, log.log_index))

    def prepare(
        self, account: LocalAccount, function: str, *args: Any, min_gas: int = 0
    ) -> Prepared:
        """Sign a call of ``function``: pending nonce, estimated gas with a margin (at least
        ``min_gas``: an estimate follows the path the call takes at the latest block, and a
        cheaper path there may not be the one it takes when mined). Nothing is sent; a call
        that would revert raises RevertError."""
        call = self.handle.functions[function](*args)
        base = {"from": account.address, "chainId": self.chain.chain_id}
        try:
            estimate = call.estimate_gas(base)
        except REVERTS as error:
            raise self.errors.from_exception(error, function) from None
        gas = max(int(estimate * GAS_MARGIN), min_gas)
        nonce = self.chain.web3.eth.get_transaction_count(account.address, "pending")
        txn = call.build_transaction({**base, "nonce": nonce, "gas": gas})
        signed = account.sign_transaction(txn)
        return Prepared(
            tx_hash=_hex(signed.hash),
            raw=bytes(signed.raw_transaction),
            sender=account.address,
            nonce=nonce,
            gas=gas,
            function=function,
        )

    def revert_of(self, receipt: Receipt) -> RevertError:
        """Why a mined transaction to this contract reverted: it is replayed on the state after
        its block, where a racing transaction mined before it in that block is visible."""
        sender, data = self.chain.transaction_input(receipt.tx_hash)
        try:
            self.chain.web3.eth.call(
                {"from": sender, "to": self.address, "data": data},
                block_identifier=receipt.block_number,
            )
        except REVERTS as error:
            return self.errors.from_exception(error, "transaction")
        return RevertError(
            "transaction", f"{receipt.tx_hash} reverted (the reason is not reproducible)", None, {}
        )


class Chain:
    """One chain, over HTTP."""

    def __init__(self, url: str, *, name: str = "", request_timeout: float = 30.0) -> None:
        self.url = url
        self.name = name or url
        provider = HTTPProvider(url, request_kwargs={"timeout": request_timeout})
        self.web3 = Web3(provider)
        self.web3.middleware_onion.inject(ExtraDataToPOAMiddleware, layer=0)

    @cached_property
    def chain_id(self) -> int:
        return int(self.web3.eth.chain_id)

    def head(self) -> int:
        """The number of the latest block."""
        return int(self.web3.eth.block_number)

    def block_hash(self, number: int) -> str | None:
        """The hash of block ``number`` on the node's current chain; None when it has none."""
        try:
            block = self.web3.eth.get_block(number)
        except BlockNotFound:
            return None
        return _hex(block["hash"])

    def contract(self, address: str, abi: ABI) -> Contract:
        return Contract(self, address, abi)

    def broadcast(self, prepared: Prepared) -> str:
        """Send a prepared transaction; one the node knows already (pending or mined) is not an
        error, one it refuses (nonce used by another, fee too low...) raises UserError."""
        try:
            self.web3.eth.send_raw_transaction(prepared.raw)
        except Web3RPCError as error:
            if not self.is_known(prepared.tx_hash):
                reason = error.rpc_response.get("error", {}) if error.rpc_response else {}
                message = reason.get("message", str(error)) if isinstance(reason, dict) else error
                raise UserError(
                    "transaction", f"{prepared.tx_hash} refused by {self.name}: {message}"
                ) from None
        return prepared.tx_hash

    def receipt(self, tx_hash: str) -> Receipt | None:
        """The receipt of a mined transaction; None while pending or unknown."""
        try:
            raw = self.web3.eth.get_transaction_receipt(tx_hash)
        except TransactionNotFound:
            return None
        return Receipt(
            tx_hash=_hex(raw["transactionHash"]),
            status=int(raw["status"]),
            block_number=int(raw["blockNumber"]),
            gas_used=int(raw["gasUsed"]),
            logs=tuple(raw["logs"]),
        )

    def is_known(self, tx_hash: str) -> bool:
        """Whether the node knows the transaction (pending or mined)."""
        try:
            return self.web3.eth.get_transaction(tx_hash) is not None
        except TransactionNotFound:
            return False

    def transaction_input(self, tx_hash: str) -> tuple[str, str]:
        """The sender and call data of a known transaction."""
        txn = self.web3.eth.get_transaction(tx_hash)
        return to_checksum_address(txn["from"]), _hex(txn["input"])

    def wait(self, tx_hash: str, timeout: float = 120.0, poll: float = 0.2) -> Receipt:
        """The receipt of ``tx_hash``, waiting up to ``timeout`` seconds (MiningTimeoutError).

        The pause between two looks starts at 2 ms and doubles up to ``poll``: an automining node
        (Anvil) has the receipt a few milliseconds after the broadcast, later the longer its
        chain (its time to mine a block grows with the number of blocks: about 2.5 ms at the
        start, 12 ms after 6,000 blocks), and a flat 0.2 s pause would cost 0.2 s a transaction
        as soon as the first look misses; a node mining by the clock still gets one look every
        ``poll`` seconds."""
        deadline = time.monotonic() + timeout
        pause = min(FIRST_POLL, poll)
        while True:
            receipt = self.receipt(tx_hash)
            if receipt is not None:
                return receipt
            if time.monotonic() >= deadline:
                raise MiningTimeoutError(tx_hash, timeout)
            time.sleep(pause)
            pause = min(pause * 2, poll)

    def send(
        self,
        account: LocalAccount,
        contract: Contract,
        function: str,
        *args: Any,
        timeout: float = 120.0,
    ) -> Receipt:
        """prepare + broadcast + wait; a mined revert raises RevertError."""
        prepared = contract.prepare(account, function, *args)
        self.broadcast(prepared)
        receipt = self.wait(prepared.tx_hash, timeout)
        if not receipt.ok:
            raise contract.revert_of(receipt)
        return receipt


def merge_abis(*abis: Sequence[dict[str, Any]]) -> ABI:
    """One ABI from several, each function, event and error once (by type and signature)."""
    seen: set[tuple[str, str]] = set()
    merged: ABI = []
    for abi in abis:
        for entry in abi:
            key = (str(entry.get("type")), abi_to_signature(entry) if "name" in entry else "")
            if key not in seen:
                seen.add(key)
                merged.append(entry)
    return merged

"""The relayer's transactions on the register: ``prepare`` / ``broadcast`` / ``receipt`` /
``wait`` and their batch forms, as ``bridge.endpoint.Endpoint`` has them for a chain (a mixin of
``RegisterEndpoint``).

``prepare`` runs the call in a transaction it rolls back (a would-be revert raises RevertError, as
a gas estimate does) and returns the call itself as ``Prepared.raw`` (JSON) under a hash derived
from the sender, its nonce (how many transactions it broadcast to the register), the function
and the message id: signing again gives the same hash. ``broadcast`` applies the call in ONE
database transaction (a new pseudo block, the movement, the status, the events, the totals) or
records it reverted, in a block of its own; a hash broadcast before changes nothing. The receipt
is the ``ledger_bridge_transactions`` row.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from eth_account.signers.local import LocalAccount
from eth_utils import keccak, to_checksum_address
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from securities_rails.bridge import register_book as bridge_book
from securities_rails.bridge.messages import Message
from securities_rails.bridge.register_book import message_json
from securities_rails.chain.rpc import MiningTimeoutError, Prepared, Receipt, RevertError
from securities_rails.ledger.models import BridgeTransaction
from securities_rails.ledger.register import Register

GAS = 0  # nothing is paid on the register


class RegisterTransactions:
    """The transaction methods of the register's endpoint."""

    register: Register
    address: str
    chain_id: int

    def pending_nonce(self, address: str) -> int:
        """How many transactions ``address`` broadcast to the register."""
        with self.register.reading() as session:
            count = session.scalar(
                select(func.count())
                .select_from(BridgeTransaction)
                .where(
                    BridgeTransaction.chain_id == self.chain_id,
                    BridgeTransaction.sender == to_checksum_address(address),
                )
            )
        return int(count or 0)

    def prepare(
        self,
        account: LocalAccount,
        function: str,
        message: Message,
        signatures: list[bytes] | None = None,
        nonce: int | None = None,
    ) -> Prepared:
        """The call, checked by running it in a transaction that is rolled back (RevertError:
        it would revert); ``raw`` is the call as JSON, the hash deterministic."""
        call = {
            "function": function,
            "message": message_json(message),
            "signatures": ["0x" + bytes(s).hex() for s in signatures or []],
        }
        self._simulate(call)
        sender = to_checksum_address(account.address)
        if nonce is None:
            nonce = self.pending_nonce(sender)
        signed = f"register {self.chain_id} {sender} {nonce} {function} {message.id_hex}"
        tx_hash = "0x" + keccak(text=signed).hex()
        raw = json.dumps({**call, "sender": sender, "nonce": nonce}).encode()
        return Prepared(tx_hash, raw, sender, nonce, GAS, function)

    def _simulate(self, call: dict[str, Any]) -> None:
        with Session(self.register.engine) as session:
            session.begin()
            try:
                endpoint = bridge_book.lock_endpoint(session, self.address)
                block = bridge_book.new_block(session, self.chain_id, "0x" + "00" * 32)
                bridge_book.apply(session, endpoint, block, call)
            finally:
                session.rollback()

    def broadcast(self, prepared: Prepared) -> str:
        """Apply the call in ONE transaction (or record its revert); a hash broadcast before
        changes nothing."""
        call = json.loads(prepared.raw)
        self.register.retry(lambda: self._apply(prepared.tx_hash, call))
        return prepared.tx_hash

    def _apply(self, tx_hash: str, call: dict[str, Any]) -> None:
        with self.register.transaction() as session:
            if session.get(BridgeTransaction, tx_hash) is not None:
                return
            endpoint = bridge_book.lock_endpoint(session, self.address)
            block = bridge_book.new_block(session, self.chain_id, tx_hash)
            status, error, detail = 1, None, None
            try:
                with session.begin_nested():
                    bridge_book.apply(session, endpoint, block, call)
            except RevertError as reverted:
                status, error, detail = 0, reverted.error, str(reverted)
                session.expire(endpoint)
            session.add(
                BridgeTransaction(
                    tx_hash=tx_hash,
                    chain_id=self.chain_id,
                    sender=call["sender"],
                    nonce=int(call["nonce"]),
                    function=call["function"],
                    status=status,
                    block=block.number,
                    error=error,
                    detail=None if detail is None else detail[:4000],
                )
            )

    def receipt(self, tx_hash: str) -> Receipt | None:
        return self.receipts([tx_hash])[0]

    def receipts(self, tx_hashes: Sequence[str]) -> list[Receipt | None]:
        with self.register.reading() as session:
            rows = session.scalars(
                select(BridgeTransaction).where(BridgeTransaction.tx_hash.in_(list(tx_hashes)))
            )
            found = {
                row.tx_hash: Receipt(row.tx_hash, row.status, row.block, GAS, ()) for row in rows
            }
        return [found.get(tx_hash) for tx_hash in tx_hashes]

    def is_known(self, tx_hash: str) -> bool:
        return self.receipt(tx_hash) is not None

    def known(self, tx_hashes: Sequence[str]) -> list[bool]:
        return [receipt is not None for receipt in self.receipts(tx_hashes)]

    def wait(self, tx_hash: str, timeout: float) -> Receipt:
        found = self.receipt(tx_hash)
        if found is None:
            raise MiningTimeoutError(tx_hash, timeout)
        return found

    def revert_of(self, receipt: Receipt) -> RevertError:
        with self.register.reading() as session:
            row = session.get(BridgeTransaction, receipt.tx_hash)
        if row is None or row.status == 1:
            return RevertError("register", f"{receipt.tx_hash} did not revert", None, {})
        return RevertError("register", row.detail or "reverted", row.error, {})

    def prepare_batch(
        self,
        account: LocalAccount,
        calls: Sequence[tuple[str, Message, list[bytes] | None]],
        nonce: int,
        each: Sequence[bool] | None = None,
    ) -> list[Prepared | RevertError]:
        """``prepare`` of each call with consecutive nonces from ``nonce`` (each checked on the
        register as it is now; one that would revert gets its RevertError and no nonce)."""
        results: list[Prepared | RevertError] = []
        for function, message, signatures in calls:
            try:
                results.append(self.prepare(account, function, message, signatures, nonce))
                nonce += 1
            except RevertError as error:
                results.append(error)
        return results

    def broadcast_batch(self, prepared: Sequence[Prepared]) -> list[str | None]:
        results: list[str | None] = []
        for item in prepared:
            self.broadcast(item)
            results.append(None)
        return results

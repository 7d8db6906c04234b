"""Many JSON-RPC calls in one HTTP request, for a process that handles hundreds of messages a block.

The relayer's pipelined mode reads statuses, simulates calls for their gas, sends transactions
and collects receipts for a whole batch of messages this way instead of one round trip each;
``event_logs`` decodes an endpoint's logs for the validators. Every function
takes a ``Chain`` or ``Contract`` of ``securities_rails.chain.rpc`` and returns one result per
call, in the order of the calls; a call that failed does not fail the others.

``sign`` builds and signs a transaction locally with the nonce, gas limit and fees it is given
(what ``Contract.prepare`` asks the node for, once per transaction), so that a batch can be
signed with consecutive nonces before anything is sent.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import requests
import rlp
from ape import chain as ape_chain
from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_account.signers.local import LocalAccount
from eth_utils import keccak, to_checksum_address
from eth_utils.abi import (
    abi_to_signature,
    collapse_if_tuple,
    get_abi_input_types,
    get_abi_output_types,
)
from web3.datastructures import AttributeDict

from securities_rails.chain.networks import rpc_url
from securities_rails.chain.rpc import (
    GAS_MARGIN,
    Chain,
    Contract,
    Log,
    Prepared,
    Receipt,
    RevertError,
    load_abi,
)
from securities_rails.errors import UserError

CHUNK = 500  # calls per HTTP request
# Gas limit over the gas a call used in simulation: the refund (up to a fifth of the gas used)
# is needed before it is given back, the 63/64 rule holds gas back at each call, and the order
# of the batch in the block may differ from the simulated one (who receives units first).
SIMULATED_MARGIN = 1.5
SIMULATED_BLOCK = 50  # calls per simulated block (well within a block's gas)
TIMEOUT = 60.0
_local = threading.local()


def _hex(value: Any) -> str:
    if isinstance(value, str):
        return value if value.startswith("0x") else "0x" + value
    return "0x" + bytes(value).hex()


@dataclass(frozen=True)
class _Function:
    """A function of an ABI, ready to encode calls and decode results without web3's lookup
    (which matches the arguments against every ABI entry, on every call)."""

    selector: bytes
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]

    def encode(self, args: Sequence[Any]) -> str:
        return "0x" + (self.selector + abi_encode(list(self.inputs), list(args))).hex()


# Keyed by the ABI list's identity; each entry keeps its list alive, so an id is never reused
# for another ABI. (The processes pass the one cached ABI of the endpoint.)
_functions: dict[tuple[int, str], tuple[list[Any], _Function]] = {}


def _function(contract: Contract, name: str) -> _Function:
    """``name`` in the contract's ABI (one entry of that name: no overloads)."""
    key = (id(contract.abi), name)
    cached = _functions.get(key)
    if cached is None:
        entries = [e for e in contract.abi if e.get("type") == "function" and e["name"] == name]
        if len(entries) != 1:
            raise UserError("abi", f"{len(entries)} functions named {name} in the ABI")
        entry = entries[0]
        found = _Function(
            selector=keccak(text=abi_to_signature(entry))[:4],
            inputs=tuple(get_abi_input_types(entry)),
            outputs=tuple(get_abi_output_types(entry)),
        )
        _functions[key] = (contract.abi, found)
        return found
    return cached[1]


def encode_call(contract: Contract, function: str, args: Sequence[Any]) -> str:
    """The call data of ``function(*args)``, hex."""
    return _function(contract, function).encode(args)


def _session() -> requests.Session:
    session = getattr(_local, "session", None)
    if session is None:
        session = _local.session = requests.Session()
    return session


def call_batch(chain: Chain, calls: Sequence[tuple[str, Sequence[Any]]]) -> list[dict[str, Any]]:
    """The reply to each call (a dict with ``result`` or ``error``), in the order of ``calls``."""
    replies: list[dict[str, Any]] = []
    for start in range(0, len(calls), CHUNK):
        chunk = calls[start : start + CHUNK]
        body = [
            {"jsonrpc": "2.0", "id": index, "method": method, "params": list(params)}
            for index, (method, params) in enumerate(chunk)
        ]
        response = _session().post(chain.url, json=body, timeout=TIMEOUT)
        response.raise_for_status()
        answer = response.json()
        if not isinstance(answer, list):  # the node refused the whole batch
            reason = answer.get("error", answer) if isinstance(answer, dict) else answer
            raise UserError("rpc", f"{chain.name} refused a batch of {len(chunk)} calls: {reason}")
        by_id = {reply.get("id"): reply for reply in answer if isinstance(reply, dict)}
        missing = {"error": {"message": "no reply in the batch"}}
        replies += [by_id.get(index, missing) for index in range(len(chunk))]
    return replies


def _revert(contract: Contract, error: dict[str, Any], field: str) -> RevertError:
    """The RevertError for a JSON-RPC error reply (decoded when it carries revert data)."""
    data = error.get("data")
    if isinstance(data, dict):
        data = data.get("data")
    if isinstance(data, str) and data.startswith("0x") and len(data) >= 10:
        return contract.errors.decode(bytes.fromhex(data[2:]), field)
    return RevertError(field, f"{field}: {error.get('message', error)}", None, {})


def view_many(
    contract: Contract,
    function: str,
    arguments: Sequence[Sequence[Any]],
    block: str = "latest",
) -> list[Any | RevertError]:
    """``function(*args)`` as a view call for each ``args`` on ``block`` (a number in hex, or a
    tag): its (single or tuple) result, or the RevertError in its place."""
    entry = _function(contract, function)
    calls = [
        ("eth_call", [{"to": contract.address, "data": entry.encode(args)}, block])
        for args in arguments
    ]
    results: list[Any | RevertError] = []
    for reply in call_batch(contract.chain, calls):
        if "error" in reply:
            results.append(_revert(contract, reply["error"], function))
            continue
        values = abi_decode(list(entry.outputs), bytes.fromhex(reply["result"][2:]))
        results.append(values[0] if len(values) == 1 else values)
    return results


def view_batch(
    contract: Any, interface: str, function: str, arguments: Sequence[Sequence[Any]]
) -> list[Any]:
    """``function(*args)`` of ``contract`` (an ape contract implementing ``interface``) for each
    ``args``, on the connected network's pending block (the timestamp the next transaction sees,
    as the lifecycle's single views): one JSON-RPC request per 500 calls instead of one each (a
    cap table of 10,000 holders). A revert raises its decoded RevertError."""
    if not arguments:
        return []
    rpc = Contract(Chain(rpc_url(ape_chain.provider)), str(contract.address), load_abi(interface))
    results = view_many(rpc, function, arguments, "pending")
    for result in results:
        if isinstance(result, RevertError):
            raise result
    return results


def fees(chain: Chain) -> tuple[int, int]:
    """(max fee per gas, max priority fee per gas) as web3 fills them in for one transaction: the
    node's suggested tip, plus twice the latest base fee."""
    tip_reply, block_reply = call_batch(
        chain, [("eth_maxPriorityFeePerGas", []), ("eth_getBlockByNumber", ["latest", False])]
    )
    if "error" in tip_reply or "error" in block_reply:
        raise UserError("fees", f"{chain.name}: {tip_reply.get('error') or block_reply['error']}")
    tip = int(tip_reply["result"], 16)
    base = int(block_reply["result"].get("baseFeePerGas") or "0x0", 16)
    return tip + 2 * base, tip


def _estimate(
    contract: Contract, sender: str, functions: Sequence[str], data: Sequence[str]
) -> list[int | RevertError]:
    """``eth_estimateGas`` of each call (call data ``data``) on the latest block, as the
    simulation runs, or its RevertError."""
    requests_ = [
        ("eth_estimateGas", [{"from": sender, "to": contract.address, "data": item}, "latest"])
        for item in data
    ]
    results: list[int | RevertError] = []
    for function, reply in zip(functions, call_batch(contract.chain, requests_), strict=True):
        if "error" in reply:
            results.append(_revert(contract, reply["error"], function))
        else:
            results.append(int(reply["result"], 16))
    return results


def sign(
    contract: Contract,
    account: LocalAccount,
    function: str,
    data: str,
    *,
    nonce: int,
    gas: int,
    max_fee: int,
    tip: int,
) -> Prepared:
    """Sign a call of ``function`` (call data ``data``, hex) with the given nonce, gas limit
    and fees: an EIP-1559 transaction, byte for byte what ``account.sign_transaction`` makes
    (RFC 6979 signatures are deterministic), signed with libsecp256k1 directly, five times
    faster."""
    fields = [
        contract.chain.chain_id,
        nonce,
        tip,
        max_fee,
        gas,
        bytes.fromhex(contract.address[2:]),
        0,  # value
        bytes.fromhex(data[2:]),
        [],  # access list
    ]
    key = _secp256k1_key(account)
    if key is None:
        txn = {
            "type": 2,
            "chainId": fields[0],
            "nonce": nonce,
            "to": contract.address,
            "data": data,
            "value": 0,
            "gas": gas,
            "maxFeePerGas": max_fee,
            "maxPriorityFeePerGas": tip,
        }
        signed = account.sign_transaction(txn)
        raw, tx_hash = bytes(signed.raw_transaction), _hex(signed.hash)
    else:
        signature = key.sign_recoverable(keccak(b"\x02" + rlp.encode(fields)), hasher=None)
        r, s, y_parity = signature[:32], signature[32:64], signature[64]
        raw = b"\x02" + rlp.encode(
            [*fields, y_parity, int.from_bytes(r, "big"), int.from_bytes(s, "big")]
        )
        tx_hash = "0x" + keccak(raw).hex()
    return Prepared(
        tx_hash=tx_hash, raw=raw, sender=account.address, nonce=nonce, gas=gas, function=function
    )


_keys: dict[str, Any] = {}


def _secp256k1_key(account: LocalAccount) -> Any:
    """The account's key as a ``coincurve.PrivateKey`` (None without coincurve)."""
    if account.address not in _keys:
        try:
            import coincurve
        except ImportError:  # pragma: no cover - coincurve is a dependency
            _keys[account.address] = None
        else:
            _keys[account.address] = coincurve.PrivateKey(bytes(account.key))
    return _keys[account.address]


def simulate_many(
    contract: Contract, sender: str, functions: Sequence[str], data: Sequence[str]
) -> list[int | RevertError] | None:
    """The gas each call uses (or its RevertError), the calls run one after the other on the
    latest state (``eth_simulateV1``: one execution each, where ``eth_estimateGas`` runs a call
    many times over); None when the node cannot simulate."""
    if not data:
        return []
    blocks = [
        {"calls": [{"from": sender, "to": contract.address, "data": item} for item in chunk]}
        for chunk in (data[i : i + SIMULATED_BLOCK] for i in range(0, len(data), SIMULATED_BLOCK))
    ]
    (reply,) = call_batch(
        contract.chain, [("eth_simulateV1", [{"blockStateCalls": blocks}, "latest"])]
    )
    if "error" in reply or not isinstance(reply.get("result"), list):
        return None
    calls = [call for block in reply["result"] for call in block.get("calls", [])]
    if len(calls) != len(data):
        return None
    results: list[int | RevertError] = []
    for function, call in zip(functions, calls, strict=True):
        if int(call["status"], 16) == 1:
            results.append(int(call["gasUsed"], 16))
            continue
        error = call.get("error")
        message = error.get("message") if isinstance(error, dict) else str(error)
        results.append(
            _revert(contract, {"data": call.get("returnData"), "message": message}, function)
        )
    return results


def prepare_many(
    contract: Contract,
    account: LocalAccount,
    calls: Sequence[tuple[str, Sequence[Any]]],
    nonce: int,
    *,
    each: Sequence[bool] | None = None,
    min_gas: int = 0,
) -> list[Prepared | RevertError]:
    """Each call signed with a gas limit (at least ``min_gas``), consecutive nonces from ``nonce``
    going to those that
    would not revert; a call that would revert gets its RevertError and no nonce.

    Gas: the calls are simulated together (``simulate_many``, in order, each seeing the ones
    before it) and each gets the gas it used times ``SIMULATED_MARGIN``; a call flagged in
    ``each``, or every call when the node cannot simulate, is estimated on its own with
    ``eth_estimateGas`` (and ``Contract.prepare``'s margin)."""
    functions = [function for function, _ in calls]
    data = [encode_call(contract, function, args) for function, args in calls]
    flags = list(each) if each is not None else [False] * len(calls)
    gas: list[int | RevertError | None] = [None] * len(calls)
    batch = [index for index, flag in enumerate(flags) if not flag]
    simulated = simulate_many(
        contract, account.address, [functions[i] for i in batch], [data[i] for i in batch]
    )
    if simulated is not None:
        for index, used in zip(batch, simulated, strict=True):
            gas[index] = used if isinstance(used, RevertError) else int(used * SIMULATED_MARGIN)
    alone = [index for index, limit in enumerate(gas) if limit is None]
    estimates = _estimate(
        contract, account.address, [functions[i] for i in alone], [data[i] for i in alone]
    )
    for index, estimate in zip(alone, estimates, strict=True):
        gas[index] = estimate if isinstance(estimate, RevertError) else int(estimate * GAS_MARGIN)
    gas = [max(limit, min_gas) if isinstance(limit, int) else limit for limit in gas]
    max_fee, tip = fees(contract.chain)
    results: list[Prepared | RevertError] = []
    for function, item, limit in zip(functions, data, gas, strict=True):
        if not isinstance(limit, int):
            assert limit is not None
            results.append(limit)
            continue
        results.append(
            sign(
                contract, account, function, item, nonce=nonce, gas=limit, max_fee=max_fee, tip=tip
            )
        )
        nonce += 1
    return results


def pending_nonce(chain: Chain, address: str) -> int:
    """The sender's next nonce, counting its transactions waiting in the node's pool."""
    return int(chain.web3.eth.get_transaction_count(to_checksum_address(address), "pending"))


def broadcast_many(chain: Chain, prepared: Sequence[Prepared]) -> list[str | None]:
    """Send every prepared transaction; for each, None when the node took it (or knew it
    already), else the node's reason for refusing it."""
    replies = call_batch(
        chain, [("eth_sendRawTransaction", ["0x" + item.raw.hex()]) for item in prepared]
    )
    refused = [
        item.tx_hash for item, reply in zip(prepared, replies, strict=True) if "error" in reply
    ]
    known = dict(zip(refused, known_many(chain, refused), strict=True))
    results: list[str | None] = []
    for item, reply in zip(prepared, replies, strict=True):
        if "error" not in reply or known[item.tx_hash]:
            results.append(None)
            continue
        error = reply["error"]
        results.append(str(error.get("message", error)) if isinstance(error, dict) else str(error))
    return results


def receipts_many(chain: Chain, tx_hashes: Sequence[str]) -> list[Receipt | None]:
    """The receipt of each transaction; None while it is pending or unknown."""
    replies = call_batch(chain, [("eth_getTransactionReceipt", [tx]) for tx in tx_hashes])
    results: list[Receipt | None] = []
    for tx_hash, reply in zip(tx_hashes, replies, strict=True):
        if "error" in reply:
            raise UserError("rpc", f"{chain.name}: receipt of {tx_hash}: {reply['error']}")
        raw = reply.get("result")
        if raw is None:
            results.append(None)
            continue
        results.append(
            Receipt(
                tx_hash=_hex(raw["transactionHash"]),
                status=int(raw["status"], 16),
                block_number=int(raw["blockNumber"], 16),
                gas_used=int(raw["gasUsed"], 16),
                logs=tuple(raw["logs"]),
            )
        )
    return results


def known_many(chain: Chain, tx_hashes: Sequence[str]) -> list[bool]:
    """Whether the node knows each transaction (pending or mined)."""
    replies = call_batch(chain, [("eth_getTransactionByHash", [tx]) for tx in tx_hashes])
    results = []
    for tx_hash, reply in zip(tx_hashes, replies, strict=True):
        if "error" in reply:
            raise UserError("rpc", f"{chain.name}: transaction {tx_hash}: {reply['error']}")
        results.append(reply.get("result") is not None)
    return results


# ------------------------------------------------------------------ event logs


@dataclass(frozen=True)
class _Event:
    topic: str
    inputs: tuple[dict[str, Any], ...]  # in ABI order
    data_types: tuple[str, ...]  # of the inputs that are not indexed


_events: dict[tuple[int, str], tuple[list[Any], _Event]] = {}  # as _functions


def _event(contract: Contract, name: str) -> _Event:
    key = (id(contract.abi), name)
    cached = _events.get(key)
    if cached is None:
        entries = [e for e in contract.abi if e.get("type") == "event" and e["name"] == name]
        if len(entries) != 1:
            raise UserError("abi", f"{len(entries)} events named {name} in the ABI")
        inputs = tuple(entries[0]["inputs"])
        found = _Event(
            topic="0x" + keccak(text=abi_to_signature(entries[0])).hex(),
            inputs=inputs,
            data_types=tuple(collapse_if_tuple(i) for i in inputs if not i.get("indexed")),
        )
        _events[key] = (contract.abi, found)
        return found
    return cached[1]


def _python(abi_input: dict[str, Any], value: Any) -> Any:
    """A decoded value as web3 gives it: checksummed addresses, structs as AttributeDicts."""
    kind = abi_input["type"]
    if kind.endswith("]"):
        element = {**abi_input, "type": kind[: kind.rindex("[")]}
        return [_python(element, item) for item in value]
    if kind == "tuple":
        return AttributeDict.recursive(
            {
                component["name"]: _python(component, item)
                for component, item in zip(abi_input["components"], value, strict=True)
            }
        )
    if kind == "address":
        return _checksummed(value)
    return value


@lru_cache(maxsize=65_536)
def _checksummed(address: str) -> str:
    """``to_checksum_address``, remembered: the logs of a bridge repeat a few addresses."""
    return str(to_checksum_address(address))


def event_logs(contract: Contract, event: str, from_block: int, to_block: int) -> list[Log]:
    """``Contract.logs``, decoded here with eth_abi rather than by web3 (several times faster
    for the hundreds of logs of a busy block): the ``event`` logs ``contract`` emitted in
    [from_block, to_block], in chain order, with the same fields and values."""
    entry = _event(contract, event)
    (reply,) = call_batch(
        contract.chain,
        [
            (
                "eth_getLogs",
                [
                    {
                        "address": contract.address,
                        "fromBlock": hex(from_block),
                        "toBlock": hex(to_block),
                        "topics": [entry.topic],
                    }
                ],
            )
        ],
    )
    if "error" in reply:
        raise UserError("rpc", f"{contract.chain.name}: logs of {event}: {reply['error']}")
    logs = []
    for raw in reply["result"]:
        data = abi_decode(list(entry.data_types), bytes.fromhex(raw["data"][2:]))
        topics = iter(raw["topics"][1:])
        values = iter(data)
        args: dict[str, Any] = {}
        for abi_input in entry.inputs:
            if abi_input.get("indexed"):
                topic = bytes.fromhex(next(topics)[2:])
                kind = collapse_if_tuple(abi_input)
                dynamic = kind in ("string", "bytes") or kind.endswith("]") or kind[0] == "("
                if dynamic:  # the topic is the hash of the value, as web3 leaves it
                    args[abi_input["name"]] = topic
                    continue
                value = abi_decode([kind], topic)[0]
            else:
                value = next(values)
            args[abi_input["name"]] = _python(abi_input, value)
        logs.append(
            Log(
                event=event,
                args=args,
                address=_checksummed(raw["address"]),
                block_number=int(raw["blockNumber"], 16),
                block_hash=_hex(raw["blockHash"]),
                tx_hash=_hex(raw["transactionHash"]),
                log_index=int(raw["logIndex"], 16),
            )
        )
    return sorted(logs, key=lambda log: (log.block_number, log.log_index))

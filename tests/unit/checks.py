"""Shared actions and checks for the contract tests.

``reverts_with`` is stricter than ``ape.reverts``: the revert must be the named custom error
(a plain revert or another error fails the test) and every input given must be present and equal.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from ape import chain
from ape.exceptions import ContractLogicError, CustomError
from hexbytes import HexBytes
from web3.exceptions import ContractCustomError as Web3ContractCustomError

from securities_rails.identifiers import investor_id_hash, investor_key
from securities_rails.reasons import REASONS, decode_reason, encode_reason

# ERC-1967 implementation slot: bytes32(uint256(keccak256("eip1967.proxy.implementation")) - 1).
IMPLEMENTATION_SLOT = 0x360894A13BA1A3210667C828492DB98DCA3E2076CC3735A920A3CA505D382BBC
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"


class Rule(IntEnum):
    """ITransferRules.RuleType."""

    COUNTRY_ALLOW_LIST = 0
    COUNTRY_DENY_LIST = 1
    MAX_INVESTORS = 2
    HOLDING_CAP = 3
    LOCK_UP = 4
    MIN_TRANSFER = 5


class Kind(IntEnum):
    """IInvestorRegistry.WalletKind."""

    NONE = 0
    INVESTOR = 1
    SYSTEM = 2
    RETIRED = 3


@dataclass
class Revert:
    """What ``reverts_with`` caught, for further assertions."""

    error: ContractLogicError | None = None


def _address_of(value: Any) -> Any:
    address = getattr(value, "address", value)
    if isinstance(address, str) and address.startswith("0x") and len(address) == 42:
        return address.lower()
    return value


def normalise(value: Any) -> Any:
    """A comparable form of a decoded or expected value (accounts and addresses, bytes, enums)."""
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    if isinstance(value, IntEnum):
        return int(value)
    if isinstance(value, list | tuple):
        return [normalise(item) for item in value]
    return _address_of(value)


def check_error(error: Exception, error_name: str, **inputs: Any) -> None:
    """Assert ``error`` is custom error ``error_name`` with (at least) these inputs."""
    assert isinstance(error, CustomError), (
        f"expected custom error {error_name}, got a plain revert: {error!r}"
    )
    assert error.name == error_name, f"expected {error_name}, got {error.name}{error.inputs}"
    actual = {key: normalise(value) for key, value in error.inputs.items()}
    for key, expected in inputs.items():
        assert key in actual, f"{error_name} has no input {key!r} (has {sorted(actual)})"
        assert actual[key] == normalise(expected), (
            f"{error_name}.{key}: expected {expected!r}, got {error.inputs[key]!r}"
        )


@contextmanager
def reverts_with(error_name: str, **inputs: Any) -> Iterator[Revert]:
    """Expect the transaction in the block to revert with ``error_name`` and these inputs."""
    caught = Revert()
    try:
        yield caught
    except ContractLogicError as error:
        caught.error = error
        check_error(error, error_name, **inputs)
    else:
        raise AssertionError(f"did not revert; expected {error_name}")


def call_reverts_with(
    contract: Any, method: str, args: Iterable[Any], error_name: str, **inputs: Any
) -> None:
    """Expect a read-only call to revert with ``error_name`` and these inputs.

    ape decodes custom errors of transactions only, so the call goes through web3, whose
    exception keeps the revert data, decoded here with the contract's ABI.
    """
    calldata = getattr(contract, method).encode_input(*args)
    try:
        result = chain.provider.web3.eth.call({"to": contract.address, "data": calldata})
    except Web3ContractCustomError as raw:
        data = raw.data if isinstance(raw.data, str) else raw.message
        error = chain.provider.network.ecosystem.decode_custom_error(
            HexBytes(data), contract.address
        )
        check_error(error, error_name, **inputs)
    else:
        raise AssertionError(f"{method} did not revert (returned 0x{bytes(result).hex()})")


@dataclass(frozen=True)
class Power:
    """A privileged function: the role it needs, the call (made as ``ctx.caller``), the effect
    that shows it happened, and any setup it needs first (done by the rightful role holder)."""

    role: str
    call: Callable[[Any], Any]
    effect: Callable[[Any], bool]
    prepare: Callable[[Any], Any] | None = None


def exercise(power: Power, ctx: Any, caller: Any, allowed: bool, role_id: bytes) -> None:
    """Call ``power`` as ``caller``: it must take effect when ``allowed``, else be refused with
    AccessControlUnauthorizedAccount(caller, role_id) and change nothing."""
    if power.prepare is not None:
        power.prepare(ctx)
    ctx.caller = caller
    if allowed:
        power.call(ctx)
        assert power.effect(ctx), "the allowed call had no effect"
    else:
        with reverts_with("AccessControlUnauthorizedAccount", account=caller, neededRole=role_id):
            power.call(ctx)
        assert not power.effect(ctx), "the refused call changed state anyway"


def code_of(reason_name: str) -> bytes:
    """The ERC-1066 status byte the contracts give with ``reason_name``."""
    return bytes([REASONS[reason_name].code])


@contextmanager
def restricted(reason_name: str) -> Iterator[Revert]:
    """Expect TransferRestricted(code, reason) for the named reason, with its own status code."""
    with reverts_with(
        "TransferRestricted", code=code_of(reason_name), reason=encode_reason(reason_name)
    ) as caught:
        yield caught


def assert_restricted(action: Callable[[], Any], reason_name: str) -> None:
    """Run ``action`` and expect it to be refused with TransferRestricted(reason_name)."""
    with restricted(reason_name):
        action()


def outcome_of(token: Any, sender: Any, recipient: Any, amount: int) -> tuple[int, str]:
    """``canTransfer`` decoded: (status code, reason name). ``sender`` 0 asks about a mint."""
    code, reason = token.canTransfer(sender, recipient, amount)
    return int.from_bytes(bytes(code), "big"), decode_reason(bytes(reason))


def reason_of(token: Any, sender: Any, recipient: Any, amount: int) -> str:
    """The reason name ``canTransfer`` gives (``"OK"`` when the transfer may happen)."""
    code, name = outcome_of(token, sender, recipient, amount)
    assert code == REASONS[name].code, f"{name} came with code {code:#x}"
    return name


def args_of(log: Any) -> dict[str, Any]:
    """An event log's arguments by name (``from`` and ``to`` are Python keywords)."""
    return dict(log.event_arguments)


def events_named(receipt: Any, name: str) -> list[Any]:
    """The logs of event ``name`` in a receipt."""
    return [log for log in receipt.events if log.event_name == name]


def single_event(receipt: Any, name: str) -> Any:
    """The one log of event ``name`` in a receipt."""
    found = events_named(receipt, name)
    assert len(found) == 1, f"expected one {name} event, got {len(found)}: {receipt.events}"
    return found[0]


def key_of(investor_id: str) -> int:
    """The registry's investor key for a human investor id (as ``register`` hashes it)."""
    return investor_key(investor_id_hash(investor_id))


def implementation_of(chain: Any, proxy: Any) -> str:
    """The implementation address in a proxy's ERC-1967 slot (lower case)."""
    raw = bytes(chain.provider.get_storage(proxy.address, IMPLEMENTATION_SLOT))
    return "0x" + raw[-20:].hex()


def check_invariants(token: Any, registry: Any, wallets: Iterable[Any]) -> None:
    """Holdings bookkeeping agrees with balances.

    ``wallets`` must include every wallet that holds units (checked: their balances add up to
    totalSupply). Then: frozen units never exceed a balance; each investor's recorded holding is
    the sum over its wallets (retired ones included); system holdings count for no investor;
    investorCount is the number of investors holding units.
    """
    per_investor: dict[int, int] = {}
    total = system = 0
    for wallet in {_address_of(w) for w in wallets}:
        balance = token.balanceOf(wallet)
        total += balance
        assert token.frozenTokens(wallet) <= balance, f"{wallet} has more frozen than it holds"
        investor = registry.identityOf(wallet).investor
        if investor == 0:
            system += balance
        else:
            per_investor[investor] = per_investor.get(investor, 0) + balance
    supply = token.totalSupply()
    assert total == supply, "the wallets given do not hold the whole supply"
    recorded = {investor: token.investorBalance(investor) for investor in per_investor}
    assert recorded == per_investor, "investorBalance differs from the sum of its wallets"
    assert sum(recorded.values()) == supply - system
    assert token.investorCount() == sum(1 for held in per_investor.values() if held > 0)

"""A populated suite for the upgrade tests, and a full snapshot of its state.

``build_world`` deploys a suite of its own (a governance account holding admin, creator and
upgrader, so that one account can upgrade every proxy and re-point the factory) with two
instruments and 55 holders: registered wallets (some investors with two), a retired wallet, a
system account, category labels, balances, whole and partial freezes, documents, every rule, extra
role holders, a paused instrument.

``snapshot`` reads all of it back through the ABI (every holder's registry record, balance and
freeze, every investor, document, rule, country flag and role). ``written_slots`` finds every
storage slot a transaction of the world wrote (Anvil's prestate tracer) and ``raw_storage`` reads
them, so that an upgrade can be shown to change no slot but the ERC-1967 implementation slot.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ape import project
from eth_utils import keccak, to_checksum_address

from securities_rails.chain.contracts import CREATOR_ROLE, ROLES
from securities_rails.chain.proxies import instance
from securities_rails.deployments import DeploymentRecord
from securities_rails.identifiers import investor_id_hash
from securities_rails.suite import Suite, SuiteRoles, create_instrument, deploy_suite

ISIN_A = "US0378331005"
ISIN_B = "DE000BAY0017"
ISIN_NEW = "GB0002634946"
TOKEN_V2 = ("tests/fixtures/upgrades/SecurityTokenV2.sol", "SecurityTokenV2")
REGISTRY_V2 = ("tests/fixtures/upgrades/InvestorRegistryV2.sol", "InvestorRegistryV2")
LEI = "5493001KJTIIGC8Y1R12"
HOLDERS = 55
YEAR = 365 * 24 * 3600
COUNTRIES = (276, 250, 840, 380, 724)
IMPLEMENTATION_SLOT = "0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc"
TIMELOCK_ROLES = {
    name: keccak(text=f"{name.upper()}_ROLE") for name in ("proposer", "executor", "canceller")
}
ALL_ROLES = ROLES | {"creator": CREATOR_ROLE}


def wallet(i: int) -> str:
    return to_checksum_address(keccak(text=f"holder-{i}")[12:])


def instrument_data(isin: str) -> tuple[Any, ...]:
    return (isin.encode(), b"ESVUFR", b"EUR", 0, 1_700_000_000, 0, LEI.encode(), 10**18)


@dataclass
class World:
    suite: Suite
    gov: Any  # admin, creator and upgrader of the suite and of both instruments
    issuer: Any
    registrar: Any
    enforcer: Any
    pauser: Any
    outsider: Any
    tokens: dict[str, Any]
    wallets: list[str]
    investor_ids: list[bytes]
    others: list[str] = field(default_factory=list)  # retired wallet, system account, accounts
    first_block: int = 0  # the world's first transaction is in a later block
    # Every storage slot the world's transactions wrote, per proxy (``written_slots``), traced as
    # soon as the world is built: Anvil keeps the states needed to trace a transaction for a
    # limited number of blocks, and a long test session would have dropped them by test time.
    written: dict[str, set[str]] = field(default_factory=dict)

    @property
    def record(self) -> DeploymentRecord:
        return self.suite.record

    @property
    def proxies(self) -> dict[str, str]:
        return {
            "registry": self.suite.registry.address,
            "factory": self.suite.factory.address,
            **{isin: token.address for isin, token in self.tokens.items()},
        }


def v2(address: str, artifact: Any) -> Any:
    """A handle with a V2 build's ABI (``build.build``) on a proxy or implementation."""
    return instance(address, artifact.contract, artifact.abi)


def create(world: World, isin: str, name: str) -> Any:
    roles = (
        world.gov.address,
        world.issuer.address,
        world.registrar.address,
        world.enforcer.address,
        world.pauser.address,
        world.gov.address,
    )
    token = create_instrument(
        world.suite, world.gov, name, name[:4].upper(), instrument_data(isin), roles
    )
    world.tokens[isin] = token
    return token


def build_world(accounts: Any, chain: Any, directory: str, record: DeploymentRecord) -> World:
    gov, issuer, registrar, enforcer, pauser = (accounts[i] for i in range(5))
    first_block = chain.blocks.height + 1
    roles = SuiteRoles(gov.address, registrar.address, gov.address, gov.address)
    suite = deploy_suite(gov, roles, record=record)
    world = World(suite, gov, issuer, registrar, enforcer, pauser, accounts[9], {}, [], [])
    world.first_block = first_block
    registry = suite.registry
    registry.defineCategory(4, "family office", sender=gov)
    registry.defineCategory(2, "professional (MiFID II)", sender=gov)
    now = int(chain.pending_timestamp)
    wallets = [wallet(i) for i in range(HOLDERS)]
    # 45 investors; wallets 45..54 are second wallets of investors 0..9
    owner = [i if i < 45 else i - 45 for i in range(HOLDERS)]
    ids = [investor_id_hash(f"investor-{n}") for n in owner]
    countries = [COUNTRIES[n % 5] for n in owner]
    categories = [1 + n % 3 for n in owner]
    expiries = [now + (2 + n % 4) * YEAR for n in owner]
    for part in (slice(0, 45), slice(45, HOLDERS)):
        registry.registerInvestors(
            wallets[part],
            ids[part],
            countries[part],
            categories[part],
            expiries[part],
            sender=registrar,
        )
    retired = wallet(1000)
    registry.registerInvestor(
        retired, ids[3], countries[3], categories[3], expiries[3], sender=registrar
    )
    system = wallet(2000)
    registry.registerSystemAccount(system, "escrow", sender=registrar)
    world.wallets = wallets
    world.investor_ids = sorted(set(ids) | {investor_id_hash("nobody")})
    world.others = [retired, system, *(a.address for a in accounts[:10])]

    token_a = create(world, ISIN_A, "Example AG ordinary shares")
    token_b = create(world, ISIN_B, "Beispiel SE Vorzugsaktien")
    token_a.batchMint(wallets, [1_000 + 17 * i for i in range(HOLDERS)], sender=issuer)
    token_a.mint(retired, 500, sender=issuer)
    token_a.mint(system, 2_500, sender=issuer)
    registry.removeWallet(retired, sender=registrar)  # retired, its units still count
    token_b.batchMint(wallets[:20], [100 * (i + 1) for i in range(20)], sender=issuer)
    for i in (3, 11, 29):
        token_a.setAddressFrozen(wallets[i], True, sender=enforcer)
    for i in (5, 12, 40, 50):
        token_a.freezePartialTokens(wallets[i], 300 + i, sender=enforcer)
    token_b.freezePartialTokens(wallets[7], 250, sender=enforcer)
    token_a.forcedTransfer(wallets[0], wallets[1], 123, "court order 2026/7", sender=registrar)
    for index, (name, uri) in enumerate(
        (
            ("prospectus", "ipfs://prospectus-v1"),
            ("terms", "https://example.com/terms.pdf"),
            ("annual-report", "ipfs://ar-2025"),
        )
    ):
        token_a.setDocument(name.encode().ljust(32, b"\0"), uri, keccak(index), sender=issuer)
    token_a.removeDocument(b"annual-report".ljust(32, b"\0"), sender=issuer)
    token_b.setDocument(b"prospectus".ljust(32, b"\0"), "ipfs://b", keccak(b"b"), sender=issuer)
    token_a.setCountries(0, list(COUNTRIES), True, sender=gov)
    token_a.setRule(0, 1, sender=gov)  # country allow list
    token_a.setCountries(1, [408], True, sender=gov)  # deny list, inactive
    token_a.setRule(2, 500, sender=gov)  # max investors
    token_a.setRule(3, 1_000_000, sender=gov)  # holding cap
    token_a.setRule(4, now - 10, sender=gov)  # lock-up, over
    token_a.setRule(5, 2, sender=gov)  # min transfer
    token_b.setRule(3, 50_000, sender=gov)
    token_a.grantRole(ROLES["issuer"], accounts[8], sender=gov)
    token_b.grantRole(ROLES["enforcer"], accounts[8], sender=gov)
    registry.grantRole(ROLES["registrar"], accounts[8], sender=gov)
    token_b.pause(sender=pauser)
    world.written = written_slots(chain, world.proxies.values(), world.first_block)
    return world


def plain(value: Any) -> Any:
    """Return values (structs, tuples, bytes) as plain comparable data."""
    if hasattr(value, "items") and callable(value.items):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    return value


class Reader:
    """Many view calls in a few JSON-RPC batches (ape's per-call overhead is ~50 ms)."""

    BATCH = 250

    def __init__(self, chain: Any) -> None:
        self.w3 = chain.provider.web3
        self.calls: list[tuple[tuple[str, ...], Any]] = []

    def contract(self, name: str, address: str) -> Any:
        abi = [
            item.model_dump(mode="json", by_alias=True)
            for item in getattr(project, name).contract_type.abi
        ]
        return self.w3.eth.contract(address=address, abi=abi)

    def add(self, path: tuple[Any, ...], call: Any) -> None:
        self.calls.append((tuple(str(p) for p in path), call))

    def run(self) -> dict[str, Any]:
        state: dict[str, Any] = {}
        for start in range(0, len(self.calls), self.BATCH):
            chunk = self.calls[start : start + self.BATCH]
            with self.w3.batch_requests() as batch:
                for _, call in chunk:
                    batch.add(call)
                results = batch.execute()
            for (path, _), result in zip(chunk, results, strict=True):
                node = state
                for key in path[:-1]:
                    node = node.setdefault(key, {})
                node[path[-1]] = plain(result)
        self.calls.clear()
        return state


def snapshot(chain: Any, world: World, include_factory_implementation: bool = False) -> dict:
    """Everything the suite holds, read through the ABI (see the module docstring)."""
    read = Reader(chain)
    registry = read.contract("InvestorRegistry", world.suite.registry.address)
    factory = read.contract("SecurityTokenFactory", world.suite.factory.address)
    accounts = world.others[2:]
    people = [*world.wallets, *world.others]
    keys = [registry.functions.investorKey(i).call() for i in world.investor_ids]
    for w in people:
        read.add(("registry", "identity", w), registry.functions.identityOf(w))
        read.add(("registry", "investor id", w), registry.functions.investorIdOf(w))
        read.add(("registry", "eligible", w), registry.functions.isEligible(w))
    for i in world.investor_ids:
        read.add(("registry", "investor", "0x" + i.hex()), registry.functions.investor(i))
    for c in range(6):
        read.add(("registry", "category", c), registry.functions.categoryLabel(c))
    read.add(("registry", "default admin"), registry.functions.defaultAdmin())
    read.add(("factory", "registry"), factory.functions.registry())
    for isin in world.tokens:
        read.add(("factory", "token", isin), factory.functions.tokenOf(isin.encode()))
    if include_factory_implementation:
        read.add(("factory", "implementation"), factory.functions.implementation())
    for name, contract in (("registry", registry), ("factory", factory)):
        _roles(read, name, contract, accounts)
    for isin, handle in world.tokens.items():
        token = read.contract("SecurityToken", handle.address)
        f = token.functions
        for label, call in (
            ("name", f.name()),
            ("symbol", f.symbol()),
            ("decimals", f.decimals()),
            ("total supply", f.totalSupply()),
            ("instrument", f.instrument()),
            ("registry", f.registry()),
            ("paused", f.paused()),
            ("investor count", f.investorCount()),
            ("documents", f.getAllDocuments()),
        ):
            read.add((isin, label), call)
        for w in people:
            read.add((isin, "balance", w), f.balanceOf(w))
            read.add((isin, "frozen", w), f.isFrozen(w))
            read.add((isin, "frozen tokens", w), f.frozenTokens(w))
        for rule in range(6):
            read.add((isin, "rule", rule), f.rule(rule))
        for listed in (0, 1):
            for country in (*COUNTRIES, 408):
                read.add((isin, "country", f"{listed}:{country}"), f.countryListed(listed, country))
        for key in keys:
            read.add((isin, "investor balance", key), f.investorBalance(key))
        for a, b in ((1, 2), (3, 4), (5, 6), (0, 54)):
            call = f.canTransfer(world.wallets[a], world.wallets[b], 10)
            read.add((isin, "can transfer", f"{a}->{b}"), call)
        _roles(read, isin, token, accounts)
    state = read.run()
    for isin, handle in world.tokens.items():  # second pass: each document by name
        token = read.contract("SecurityToken", handle.address)
        for name in state[isin]["documents"]:
            read.add((isin, "document", name), token.functions.getDocument(bytes.fromhex(name[2:])))
    for path, value in _flatten(read.run()):
        node = state
        for key in path[:-1]:
            node = node.setdefault(key, {})
        node[path[-1]] = value
    return state


def _roles(read: Reader, name: str, contract: Any, accounts: Iterable[str]) -> None:
    for role, value in ALL_ROLES.items():
        for account in accounts:
            read.add((name, "role", role, account), contract.functions.hasRole(value, account))


def _flatten(tree: dict[str, Any], path: tuple[str, ...] = ()) -> Iterable[tuple[tuple, Any]]:
    for key, value in tree.items():
        if isinstance(value, dict) and len(path) < 2:
            yield from _flatten(value, (*path, key))
        else:
            yield (*path, key), value


def written_slots(chain: Any, addresses: Iterable[str], first_block: int) -> dict[str, set[str]]:
    """Every storage slot of ``addresses`` that a transaction wrote since ``first_block``
    (Anvil's prestate tracer, in diff mode, for every transaction of every block)."""
    wanted = {a.lower(): a for a in addresses}
    slots: dict[str, set[str]] = {a: {IMPLEMENTATION_SLOT} for a in wanted.values()}
    for number in range(first_block, chain.blocks.height + 1):
        block = chain.provider.make_request("eth_getBlockByNumber", [hex(number), False])
        for tx_hash in block["transactions"]:
            for address, written in changed_slots(chain, tx_hash).items():
                if address in wanted:
                    slots[wanted[address]] |= written
    return slots


def changed_slots(chain: Any, tx_hash: str) -> dict[str, set[str]]:
    """The storage slots one transaction changed, by (lower-case) address."""
    config = {"tracer": "prestateTracer", "tracerConfig": {"diffMode": True}}
    diff = chain.provider.make_request("debug_traceTransaction", [tx_hash, config])
    changed: dict[str, set[str]] = {}
    for side in ("pre", "post"):
        for address, account in diff.get(side, {}).items():
            keys = {_slot(k) for k in account.get("storage", {})}
            if keys:
                changed.setdefault(address.lower(), set()).update(keys)
    return changed


def raw_storage(chain: Any, slots: dict[str, set[str]]) -> dict[str, dict[str, str]]:
    """The value of each slot (``written_slots``), read in JSON-RPC batches."""
    w3 = chain.provider.web3
    pairs = [(address, slot) for address, found in slots.items() for slot in sorted(found)]
    values: dict[str, dict[str, str]] = {address: {} for address in slots}
    for start in range(0, len(pairs), Reader.BATCH):
        chunk = pairs[start : start + Reader.BATCH]
        with w3.batch_requests() as batch:
            for address, slot in chunk:
                batch.add(w3.eth.get_storage_at(address, int(slot, 16)))
            results = batch.execute()
        for (address, slot), value in zip(chunk, results, strict=True):
            values[address][slot] = "0x" + bytes(value).hex()
    return values


def _slot(key: str) -> str:
    return "0x" + key.removeprefix("0x").rjust(64, "0").lower()

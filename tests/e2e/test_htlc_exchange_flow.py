"""Cross-chain delivery versus payment with hashed timelocks, on two Anvils of their own.

The security chain carries the suite, an instrument and the hashed-timelock escrow (a registered
system account); the cash chain carries only an escrow and a cash token. The exchange
(`securities_rails.settlement.cross_chain.run_exchange`) settles both legs; a buyer made ineligible
after the seller locked cannot claim, reveals nothing, and both legs are refunded after their
timelocks; the seller refuses a T2 that is not safely before T1; a counterparty lock that
differs from the terms is named field by field; a claim one second before the timelock lands and
one at the timelock does not; an exchange interrupted after any step resumes without locking
twice; and the `ape run settle` commands drive the same exchange.

Both chains are rolled back after each test (evm_snapshot/evm_revert on each).
"""

from __future__ import annotations

import importlib.util
import re
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest
import requests
from ape import accounts
from ape.exceptions import ContractLogicError
from click.testing import CliRunner, Result
from suite_data import FRANCE, GERMANY, YEAR, instrument_data

from securities_rails.chain.anvil import AnvilNode, free_port
from securities_rails.chain.contracts import at, pending_timestamp, registry_at, token_at
from securities_rails.chain.networks import connected
from securities_rails.chain.rpc import Chain, load_abi
from securities_rails.deployments import ENV_VAR
from securities_rails.errors import UserError
from securities_rails.identifiers import investor_id_hash
from securities_rails.registry.investors import register_system_account
from securities_rails.settlement import exchange as cross_chain
from securities_rails.settlement import htlc
from securities_rails.settlement.deploy import deploy_cash_token, deploy_htlc
from securities_rails.suite import SuiteRoles, create_instrument, deploy_suite, load_record

SECURITY_CHAIN, CASH_CHAIN = 31361, 31362
UNITS = 1_000  # the seller's holding
CASH = 1_000_000 * 10**6  # the buyer's cash, 6 decimals
QUANTITY, PRICE = "100", "2500.50"
QUANTITY_UNITS, PRICE_UNITS = 100, 2_500_500_000
BUYER_ID = "BUYER"
SELLER, BUYER = 3, 4  # test account indexes: admin 0, issuer 1, registrar 2


def rpc(url: str, method: str, *params: Any) -> Any:
    reply = requests.post(
        url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}, timeout=10
    ).json()
    if "error" in reply:
        raise RuntimeError(f"{method}: {reply['error']}")
    return reply["result"]


@dataclass
class World:
    """The two chains, what is deployed on them, and who is who."""

    security: AnvilNode
    cash: AnvilNode
    directory: Path
    people: dict[str, Any]
    token: str
    cash_token: str
    security_htlc: str
    cash_htlc: str
    snapshots: tuple[str, str] | None = field(default=None)

    def url(self, leg: str) -> str:
        return self.security.url if leg == "security" else self.cash.url

    def snapshot(self) -> None:
        self.snapshots = (
            rpc(self.security.url, "evm_snapshot"),
            rpc(self.cash.url, "evm_snapshot"),
        )

    def revert(self) -> None:
        assert self.snapshots is not None
        assert rpc(self.security.url, "evm_revert", self.snapshots[0])
        assert rpc(self.cash.url, "evm_revert", self.snapshots[1])
        self.snapshot()

    def warp(self, seconds: int) -> None:
        """Move both clocks forward (the exchange assumes they agree)."""
        for node in (self.security, self.cash):
            rpc(node.url, "evm_increaseTime", hex(seconds))
            rpc(node.url, "evm_mine")

    def next_block_at(self, leg: str, timestamp: int) -> None:
        """The next block on `leg` is mined at exactly `timestamp`."""
        rpc(self.url(leg), "evm_setNextBlockTimestamp", hex(timestamp))

    def head(self, leg: str) -> int:
        return int(rpc(self.url(leg), "eth_blockNumber"), 16)

    def escrow(self, leg: str) -> Any:
        """The escrow of `leg` through web3 (no ape provider needed)."""
        address = self.security_htlc if leg == "security" else self.cash_htlc
        return Chain(self.url(leg)).contract(address, load_abi("IHashedTimelockEscrow"))

    def balance(self, leg: str, who: str) -> int:
        address = self.token if leg == "security" else self.cash_token
        owner = self.people[who].address if who in self.people else who
        token = Chain(self.url(leg)).contract(address, load_abi("ISecurityToken"))
        return int(token.call("balanceOf", owner))

    def balances(self) -> dict[str, int]:
        return {
            f"{leg} {who}": self.balance(leg, who)
            for leg in ("security", "cash")
            for who in ("seller", "buyer")
        }

    def locked_events(self, leg: str, hashlock: str) -> list[Any]:
        escrow = self.escrow(leg)
        logs = escrow.logs("Locked", 0, escrow.chain.head())
        return [log for log in logs if htlc.hex32(log.args["hashlock"]) == hashlock]

    def calldata_holding(self, leg: str, secret: bytes, since: int) -> list[str]:
        """Transactions mined on `leg` after block `since` whose input contains `secret`."""
        web3 = Chain(self.url(leg)).web3
        found = []
        for number in range(since + 1, web3.eth.block_number + 1):
            for txn in web3.eth.get_block(number, full_transactions=True)["transactions"]:
                if secret.hex() in bytes(txn["input"]).hex():
                    found.append(txn["hash"].hex())
        return found


def _register(registry: Any, registrar: Any, wallet: Any, name: str, country: int) -> None:
    expiry = pending_timestamp() + 5 * YEAR
    registry.registerInvestor(
        wallet.address, investor_id_hash(name), country, 1, expiry, sender=registrar
    )


def build(directory: Path) -> World:
    """Start both chains and deploy: the suite, the instrument (seller holding UNITS, buyer
    registered) and an escrow registered as a system account on the security chain; an escrow
    and a EUR cash token (buyer holding CASH) on the cash chain."""
    admin, issuer, registrar, seller, buyer = (accounts.test_accounts[i] for i in range(5))
    security = AnvilNode(chain_id=SECURITY_CHAIN, port=free_port()).start()
    cash = AnvilNode(chain_id=CASH_CHAIN, port=free_port()).start()
    try:
        with connected(security.url):
            record = load_record(str(directory))
            roles = SuiteRoles(admin.address, registrar.address, admin.address, admin.address)
            suite = deploy_suite(admin, roles, record=record)
            holders = (admin, issuer, registrar, registrar, admin, admin)
            token = create_instrument(
                suite,
                admin,
                "Example AG",
                "EXAG",
                instrument_data(),
                tuple(h.address for h in holders),
            )
            _register(suite.registry, registrar, seller, "SELLER", GERMANY)
            _register(suite.registry, registrar, buyer, BUYER_ID, FRANCE)
            token.mint(seller.address, UNITS, sender=issuer)
            security_htlc = deploy_htlc(admin, record=record)
            register_system_account(suite.registry, registrar, security_htlc.address, "escrow")
        with connected(cash.url):
            record = load_record(str(directory))
            cash_htlc = deploy_htlc(admin, record=record)
            eur = deploy_cash_token(
                admin, currency="EUR", admin=admin.address, issuer=admin.address, record=record
            )
            eur.mint(buyer.address, CASH, sender=admin)
    except BaseException:
        security.stop()
        cash.stop()
        raise
    people = {"admin": admin, "issuer": issuer, "registrar": registrar}
    people |= {"seller": seller, "buyer": buyer}
    return World(
        security,
        cash,
        directory,
        people,
        token=token.address,
        cash_token=eur.address,
        security_htlc=security_htlc.address,
        cash_htlc=cash_htlc.address,
    )


@pytest.fixture(scope="module")
def htlc_world(tmp_path_factory: Any) -> Iterator[World]:
    built = build(tmp_path_factory.mktemp("htlc"))
    built.snapshot()
    try:
        yield built
    finally:
        built.security.stop()
        built.cash.stop()


@pytest.fixture
def world(htlc_world: World) -> Iterator[World]:
    """The two chains, rolled back after the test."""
    yield htlc_world
    htlc_world.revert()


class Interrupted(Exception):  # noqa: N818 (what happened to the run)
    """Stands for the process being killed at that point."""


def exchange(world: World, state: Path, **options: Any) -> cross_chain.ExchangeState:
    """The exchange of QUANTITY units for PRICE EUR between the seller and the buyer."""
    return cross_chain.run_exchange(
        world.security.url,
        world.cash.url,
        world.people["seller"],
        world.people["buyer"],
        "US0378331005",
        QUANTITY,
        "EUR",
        PRICE,
        options.pop("reference", "TRADE-1"),
        state_path=state,
        directory=str(world.directory),
        **options,
    )


def lock_on(world: World, leg: str, view: str) -> htlc.LockView:
    with connected(world.url(leg)):
        return htlc.read_lock(at("HashedTimelockEscrow", _escrow_address(world, leg)), view)


def _escrow_address(world: World, leg: str) -> str:
    return world.security_htlc if leg == "security" else world.cash_htlc


def exchanged(before: dict[str, int]) -> dict[str, int]:
    """`before` after the units went to the buyer and the cash to the seller."""
    return {
        "security seller": before["security seller"] - QUANTITY_UNITS,
        "security buyer": before["security buyer"] + QUANTITY_UNITS,
        "cash seller": before["cash seller"] + PRICE_UNITS,
        "cash buyer": before["cash buyer"] - PRICE_UNITS,
    }


# ---------------------------------------------------------------------- the exchange


def test_the_exchange_delivers_the_units_and_pays_the_cash_on_both_chains(world, tmp_path):
    before = world.balances()
    path = tmp_path / "exchange.json"
    steps: list[str] = []
    state = exchange(world, path, log=steps.append)
    assert state.done == list(cross_chain.STEPS)
    assert world.balances() == exchanged(before)
    assert world.balance("security", world.security_htlc) == 0
    assert world.balance("cash", world.cash_htlc) == 0
    security_lock = lock_on(world, "security", state.security_lock)
    cash_lock = lock_on(world, "cash", state.cash_lock)
    assert (security_lock.state, cash_lock.state) == ("claimed", "claimed")
    assert security_lock.secret == cash_lock.secret == bytes.fromhex(state.secret[2:])
    assert state.t1 - state.t2 == htlc.DEFAULT_MARGIN
    assert [line.split(" ")[0] for line in steps] == ["1/5", "2/5", "3/5", "4/5", "5/5"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_buyer_made_ineligible_after_the_seller_locked_reveals_nothing_and_both_refund(
    world, tmp_path
):
    before = world.balances()
    heads = {leg: world.head(leg) for leg in ("security", "cash")}
    path = tmp_path / "exchange.json"

    def compliance_action(step: str, phase: str) -> None:
        if (step, phase) == ("security_locked", "recorded"):
            with connected(world.security.url):
                registry = registry_at(token_at(world.token).registry())
                expiry = pending_timestamp() + 60
                registry.updateInvestor(
                    investor_id_hash(BUYER_ID),
                    [world.people["buyer"].address],
                    FRANCE,
                    1,
                    expiry,
                    sender=world.people["registrar"],
                )
            world.warp(120)

    with pytest.raises(UserError) as refused:
        exchange(world, path, hook=compliance_action)
    assert refused.value.field == "recipient"
    assert "RECIPIENT_ELIGIBILITY_EXPIRED" in refused.value.message
    state = cross_chain.ExchangeState.load(path)
    secret = bytes.fromhex(state.secret[2:])
    assert lock_on(world, "security", state.security_lock).secret is None
    for leg in ("security", "cash"):
        assert world.calldata_holding(leg, secret, heads[leg]) == []
        assert world.escrow(leg).logs("Claimed", 0, world.head(leg)) == []

    seller, buyer = world.people["seller"], world.people["buyer"]
    with connected(world.security.url):
        escrow = at("HashedTimelockEscrow", world.security_htlc)
        with pytest.raises(UserError) as early:
            htlc.refund(escrow, seller, state.security_lock)
        assert early.value.field == "timelock"
    world.next_block_at("security", state.t2)
    with connected(world.security.url):
        assert htlc.refund(escrow, seller, state.security_lock).state == "refunded"
    with connected(world.cash.url):
        escrow = at("HashedTimelockEscrow", world.cash_htlc)
        with pytest.raises(UserError) as early:
            htlc.refund(escrow, buyer, state.cash_lock)
        assert early.value.field == "timelock"
    world.next_block_at("cash", state.t1)
    with connected(world.cash.url):
        assert htlc.refund(escrow, buyer, state.cash_lock).state == "refunded"
    assert world.balances() == before


def test_the_seller_refuses_to_lock_when_no_t2_is_left_safely_before_t1(world, tmp_path):
    before = world.balances()
    path = tmp_path / "exchange.json"

    def time_passes(step: str, phase: str) -> None:
        if (step, phase) == ("cash_locked", "recorded"):
            world.warp(htlc.DEFAULT_TIMELOCK - htlc.DEFAULT_MARGIN + 60)

    security_head = world.head("security")
    with pytest.raises(UserError) as refused:
        exchange(world, path, hook=time_passes)
    assert refused.value.field == "timelock"
    assert "T2" in refused.value.message and "not ahead" in refused.value.message
    assert world.head("security") == security_head + 1  # the warp's block, no transaction
    assert world.locked_events("security", cross_chain.ExchangeState.load(path).hashlock) == []
    assert world.balance("security", "seller") == before["security seller"]


def test_a_margin_below_the_escrows_minimum_is_refused_before_anything_is_sent(world, tmp_path):
    heads = (world.head("security"), world.head("cash"))
    with pytest.raises(UserError) as refused:
        exchange(world, tmp_path / "exchange.json", margin=1800)
    assert refused.value.field == "margin"
    assert (world.head("security"), world.head("cash")) == heads
    assert not (tmp_path / "exchange.json").exists()
    with connected(world.cash.url):
        escrow = at("HashedTimelockEscrow", world.cash_htlc)
        t1 = pending_timestamp() + 7200
        with pytest.raises(UserError) as unsafe:
            htlc.require_safe_ordering(escrow, t1, t1 - 1800)
        assert unsafe.value.field == "timelock"
        htlc.require_safe_ordering(escrow, t1, t1 - 3600)  # exactly the minimum is safe


# ---------------------------------------------------------------------- locks, one chain


@pytest.fixture
def cash_lock(world: World) -> Iterator[tuple[Any, htlc.LockTerms, htlc.LockView, bytes]]:
    """The buyer's cash lock for the seller, until now + 10 minutes: (escrow, terms, lock,
    secret), with the cash chain connected."""
    secret = htlc.new_secret()
    with connected(world.cash.url):
        escrow = at("HashedTimelockEscrow", world.cash_htlc)
        terms = htlc.LockTerms(
            sender=world.people["buyer"].address,
            recipient=world.people["seller"].address,
            token=world.cash_token,
            amount=PRICE_UNITS,
            hashlock=htlc.hashlock(secret),
            timelock=pending_timestamp() + 600,
            reference="EDGE-1",
        )
        yield escrow, terms, htlc.lock(escrow, world.people["buyer"], terms), secret


@pytest.mark.parametrize(
    ("name", "agreed"),
    [
        ("hashlock", {"hashlock": htlc.hashlock(b"\x07" * 32)}),
        ("amount", {"amount": PRICE_UNITS + 1}),
        ("recipient", {"recipient": "0x" + "ab" * 20}),
    ],
)
def test_verify_lock_names_the_field_that_differs_from_the_terms(cash_lock, name, agreed):
    escrow, terms, view, _ = cash_lock
    assert htlc.verify_lock(escrow, view.lock_id, terms) == view
    with pytest.raises(htlc.LockMismatchError) as differs:
        htlc.verify_lock(escrow, view.lock_id, replace(terms, **agreed))
    assert differs.value.field == name
    assert list(differs.value.mismatches) == [name]
    assert f"{name} is" in differs.value.message


def test_a_claim_one_second_before_the_timelock_lands_and_at_the_timelock_only_refund_does(
    world, cash_lock
):
    escrow, terms, first, secret = cash_lock
    second = htlc.lock(escrow, world.people["buyer"], replace(terms, reference="EDGE-2"))
    seller = world.people["seller"]
    world.next_block_at("cash", terms.timelock - 1)
    assert htlc.claim(escrow, seller, first.lock_id, secret).state == "claimed"
    assert Chain(world.cash.url).web3.eth.get_block("latest")["timestamp"] == terms.timelock - 1
    world.next_block_at("cash", terms.timelock)
    head = world.head("cash")
    with pytest.raises(UserError) as late:
        htlc.claim(escrow, seller, second.lock_id, secret)
    assert late.value.field == "timelock"
    with pytest.raises(ContractLogicError):  # the escrow itself refuses it in that block
        escrow.claim.call(second.lock_id, secret, sender=seller, block_id="pending")
    assert world.head("cash") == head
    assert htlc.refund(escrow, seller, second.lock_id).state == "refunded"
    assert world.balance("cash", "seller") == PRICE_UNITS
    assert world.balance("cash", "buyer") == CASH - PRICE_UNITS


def test_a_claim_with_the_wrong_secret_is_refused_before_sending(world, cash_lock):
    escrow, _, view, _ = cash_lock
    head = world.head("cash")
    with pytest.raises(UserError) as wrong:
        htlc.claim(escrow, world.people["seller"], view.lock_id, b"\x01" * 32)
    assert wrong.value.field == "secret"
    assert world.head("cash") == head
    assert htlc.status(escrow, view.lock_id).claimable


# ---------------------------------------------------------------------- resuming


# Each step killed after its transaction was mined but before the state file recorded it (the
# case the chain must resolve); and once after a step was recorded (the state file resolves it).
INTERRUPTIONS = [("secret", "recorded"), ("cash_locked", "recorded")] + [
    (step, "mined") for step in cross_chain.STEPS[1:]
]


@pytest.mark.parametrize(("step", "phase"), INTERRUPTIONS)
def test_an_exchange_interrupted_after_a_step_resumes_without_locking_twice(
    world, tmp_path, step, phase
):
    before = world.balances()
    path = tmp_path / "exchange.json"

    def killed(at_step: str, at_phase: str) -> None:
        if (at_step, at_phase) == (step, phase):
            raise Interrupted(f"{step} {phase}")

    with pytest.raises(Interrupted):
        exchange(world, path, hook=killed)
    resumed: list[str] = []
    state = exchange(world, path, log=resumed.append)
    assert state.done == list(cross_chain.STEPS)
    assert resumed[0].startswith("resuming from")
    assert len(world.locked_events("security", state.hashlock)) == 1
    assert len(world.locked_events("cash", state.hashlock)) == 1
    assert world.balances() == exchanged(before)


def test_a_state_file_of_another_exchange_is_refused(world, tmp_path):
    path = tmp_path / "exchange.json"

    def killed(step: str, phase: str) -> None:
        raise Interrupted(f"{step} {phase}")

    with pytest.raises(Interrupted):
        exchange(world, path, hook=killed)  # the secret drawn and recorded, nothing sent
    with pytest.raises(UserError) as other:
        exchange(world, path, reference="TRADE-2")
    assert other.value.field == "state"
    assert "reference is TRADE-1, not TRADE-2" in other.value.message


# ---------------------------------------------------------------------- the command line


SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "settle.py"
LOCK_ID = re.compile(r"lock (0x[0-9a-f]{64})")


@pytest.fixture
def settle(world: World, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    """settle(leg, *args, account=n) -> Result: `ape run settle ...` in-process. With a leg
    ("security", "cash") the command runs on that chain, as `--network <its URL>` would have it;
    with None it connects by itself (`exchange`)."""
    monkeypatch.setenv(ENV_VAR, str(world.directory))
    spec = importlib.util.spec_from_file_location("scripts_settle_htlc", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    def invoke(leg: str | None, *args: str, account: int | None = None) -> Result:
        argv = [*args, *(["--account", f"TEST::{account}"] if account is not None else [])]
        if leg is None:
            return CliRunner().invoke(module.cli, argv, catch_exceptions=False)
        with connected(world.url(leg)) as provider:
            return CliRunner().invoke(
                module.cli, argv, obj={"provider": provider}, catch_exceptions=False
            )

    return invoke


def exchange_args(world: World, state: Path, *extra: str) -> list[str]:
    return [
        "exchange",
        "--security-network",
        world.security.url,
        "--cash-network",
        world.cash.url,
        "--seller-account",
        f"TEST::{SELLER}",
        "--buyer-account",
        f"TEST::{BUYER}",
        "--isin",
        "US0378331005",
        "--quantity",
        QUANTITY,
        "--currency",
        "EUR",
        "--amount",
        PRICE,
        "--reference",
        "CLI-1",
        "--state",
        str(state),
        *extra,
    ]


def test_the_exchange_command_settles_both_legs_and_prints_each_step(world, settle, tmp_path):
    before = world.balances()
    result = settle(None, *exchange_args(world, tmp_path / "cli.json"))
    assert result.exit_code == 0, result.output
    for step in ("1/5 buyer drew the secret", "2/5 buyer locked 2500.500000 EUR", "3/5 seller"):
        assert step in result.output
    assert "4/5 buyer claimed 100 units" in result.output
    assert "5/5 seller read the secret from the security chain" in result.output
    assert "exchange CLI-1 settled" in result.output
    assert world.balances() == exchanged(before)
    again = settle(None, *exchange_args(world, tmp_path / "cli.json"))
    assert again.exit_code == 0, again.output
    assert "done in an earlier run" in again.output
    assert world.balances() == exchanged(before)


def test_the_exchange_command_refuses_a_margin_below_the_minimum_and_sends_nothing(
    world, settle, tmp_path
):
    heads = (world.head("security"), world.head("cash"))
    result = settle(None, *exchange_args(world, tmp_path / "cli.json", "--margin", "30m"))
    assert result.exit_code == 1
    assert "margin: 1800 s is less than the escrow's minimum of 3600 s" in result.output
    assert (world.head("security"), world.head("cash")) == heads
    assert not (tmp_path / "cli.json").exists()


def test_the_one_chain_commands_exchange_by_hand_the_seller_claiming_with_the_revealed_secret(
    world, settle, tmp_path
):
    before = world.balances()
    seller, buyer = world.people["seller"].address, world.people["buyer"].address
    secret_file = tmp_path / "secret"
    cash_lock = settle(
        "cash", "htlc-lock", "--currency", "EUR", "--amount", PRICE, "--to", seller,
        "--timelock", "2h", "--reference", "HAND-1", "--secret-file", str(secret_file),
        account=BUYER,
    )  # fmt: skip
    assert cash_lock.exit_code == 0, cash_lock.output
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    cash_id = LOCK_ID.search(cash_lock.output)[1]
    lock_hash = htlc.hex32(htlc.hashlock(bytes.fromhex(secret_file.read_text().strip()[2:])))
    assert lock_hash in cash_lock.output
    units_lock = settle(
        "security", "htlc-lock", "--isin", "US0378331005", "--amount", QUANTITY, "--to", buyer,
        "--timelock", "1h", "--reference", "HAND-1", "--hashlock", lock_hash,
        account=SELLER,
    )  # fmt: skip
    assert units_lock.exit_code == 0, units_lock.output
    units_id = LOCK_ID.search(units_lock.output)[1]
    claimed = settle(
        "security", "htlc-claim", "--lock-id", units_id, "--secret-file", str(secret_file),
        account=BUYER,
    )  # fmt: skip
    assert claimed.exit_code == 0, claimed.output
    paid = settle(
        "cash", "htlc-claim", "--lock-id", cash_id, "--revealed-by", units_id,
        "--revealed-on", world.security.url, account=SELLER,
    )  # fmt: skip
    assert paid.exit_code == 0, paid.output
    assert f"claimed: 2500.500000 tEUR to {seller}" in paid.output
    shown = settle("cash", "htlc-status", "--lock-id", cash_id)
    assert shown.exit_code == 0, shown.output
    assert "claimed" in shown.output and secret_file.read_text().strip() in shown.output
    assert world.balances() == exchanged(before)


def test_htlc_refund_before_the_timelock_is_refused_naming_when_it_opens(world, settle, cash_lock):
    view = cash_lock[2]
    head = world.head("cash")
    result = settle("cash", "htlc-refund", "--lock-id", view.lock_id, account=BUYER)
    assert result.exit_code == 1
    assert f"timelock: lock {view.lock_id} is refundable from" in result.output
    assert world.head("cash") == head


def test_deploy_htlc_run_again_finds_the_escrow_and_sends_nothing(world, settle):
    head = world.head("cash")
    result = settle("cash", "deploy-htlc", account=0)
    assert result.exit_code == 0, result.output
    assert f"HashedTimelockEscrow: already deployed at {world.cash_htlc}" in result.output
    assert world.head("cash") == head

"""The investor registry: investors and their wallets, attributes, retirement, recovery, system
accounts and categories.

The registry is shared by the whole session and the conftest ``holders`` fixture registers
alice, bob and carol in it once created, so these tests use wallets and investor ids of their own
(registration needs no signature from the wallet).
"""

from __future__ import annotations

import pytest
from eth_utils import to_checksum_address
from suite_data import FRANCE, GERMANY, USA, YEAR
from unit.checks import Kind, args_of, reverts_with, single_event

from securities_rails.identifiers import investor_id_hash

ZERO = "0x0000000000000000000000000000000000000000"
ID_1 = investor_id_hash("registry-test investor 1")
ID_2 = investor_id_hash("registry-test investor 2")


def _address(n: int) -> str:
    """A wallet address of these tests only."""
    return to_checksum_address(f"0x{0x5E6157E7 << 128 | n:040x}")


# Named wallets of these tests (the first two are in ascending order).
W1, W2, W3, W4 = (_address(n) for n in (1, 2, 3, 4))


def _key(investor_id: bytes) -> int:
    return int.from_bytes(investor_id[:12], "big")


@pytest.fixture
def expiry(chain) -> int:
    return chain.pending_timestamp + 5 * YEAR


def _register(
    registry, registrar, wallet, investor_id=ID_1, country=GERMANY, category=1, expiry=None
):
    return registry.registerInvestor(
        wallet, investor_id, country, category, expiry, sender=registrar
    )


# ------------------------------------------------------------------ registration


def test_register_investor_records_the_wallet_and_the_investor(registry, registrar, expiry):
    receipt = _register(registry, registrar, W1, expiry=expiry)
    assert args_of(single_event(receipt, "InvestorUpdated")) == {
        "investorId": ID_1,
        "country": GERMANY,
        "category": 1,
        "expiry": expiry,
    }
    assert args_of(single_event(receipt, "WalletRegistered")) == {
        "wallet": W1,
        "investorId": ID_1,
        "investor": _key(ID_1),
    }
    assert tuple(registry.identityOf(W1)) == (_key(ID_1), GERMANY, 1, expiry, Kind.INVESTOR, False)
    assert tuple(registry.investor(ID_1)) == (_key(ID_1), GERMANY, 1, expiry, 1)
    assert bytes(registry.investorIdOf(W1)) == ID_1
    assert registry.isEligible(W1)


def test_investor_key_is_the_first_twelve_bytes_of_the_id(registry):
    investor_id = bytes(range(1, 33))
    assert registry.investorKey(investor_id) == int.from_bytes(bytes(range(1, 13)), "big")
    assert registry.investorKey(ID_1) == _key(ID_1)


def test_unknown_wallet_has_no_identity(registry):
    assert tuple(registry.identityOf(W2)) == (0, 0, 0, 0, Kind.NONE, False)
    assert bytes(registry.investorIdOf(W2)) == b"\0" * 32
    assert not registry.isEligible(W2)


def test_unknown_investor_reads_as_all_zero(registry):
    assert tuple(registry.investor(ID_2)) == (_key(ID_2), 0, 0, 0, 0)


def test_id_sharing_a_known_key_reads_as_unknown(registry, registrar, expiry):
    _register(registry, registrar, W1, expiry=expiry)
    clash = ID_1[:12] + bytes(20)
    assert tuple(registry.investor(clash)) == (_key(ID_1), 0, 0, 0, 0)


def test_investor_may_have_several_wallets(registry, registrar, expiry):
    _register(registry, registrar, W1, expiry=expiry)
    receipt = _register(registry, registrar, W2, expiry=expiry)
    assert [log.event_name for log in receipt.events] == ["WalletRegistered"]
    assert registry.identityOf(W2).investor == registry.identityOf(W1).investor
    assert registry.investor(ID_1).walletCount == 2
    # Tokens keep a holding record for an investor with several wallets: both are marked.
    assert registry.identityOf(W1).multiWallet and registry.identityOf(W2).multiWallet
    assert registry.firstWallet(_key(ID_1)) == W1


def test_an_investor_has_at_most_sixteen_wallets(registry, registrar, expiry):
    assert registry.MAX_WALLETS_PER_INVESTOR() == 16
    wallets = [_address(i) for i in range(16)]
    registry.registerInvestors(
        wallets, [ID_1] * 16, [GERMANY] * 16, [1] * 16, [expiry] * 16, sender=registrar
    )
    assert registry.investor(ID_1).walletCount == 16
    with reverts_with("TooManyWallets", investorId=ID_1, max=16):
        _register(registry, registrar, _address(16), expiry=expiry)


@pytest.mark.parametrize(
    "change", [{"country": FRANCE}, {"category": 2}, {"expiry": "+1"}], ids=str
)
def test_second_wallet_must_carry_the_investor_attributes(registry, registrar, expiry, change):
    _register(registry, registrar, W1, expiry=expiry)
    attributes = {"country": GERMANY, "category": 1, "expiry": expiry}
    attributes.update(change)
    if attributes["expiry"] == "+1":
        attributes["expiry"] = expiry + 1
    with reverts_with("InvestorAttributesDiffer", investorId=ID_1):
        _register(registry, registrar, W2, **attributes)


def test_ids_sharing_a_key_are_refused(registry, registrar, expiry):
    _register(registry, registrar, W1, expiry=expiry)
    clash = ID_1[:12] + bytes(20)
    with reverts_with("InvestorKeyCollision", investorId=clash, existing=ID_1):
        _register(registry, registrar, W2, investor_id=clash, expiry=expiry)


@pytest.mark.parametrize(
    ("wallet", "investor_id"),
    [(ZERO, ID_1), (W1, b"\0" * 32), (W1, bytes(12) + b"\x01" * 20)],
    ids=["zero-wallet", "zero-id", "zero-key"],
)
def test_zero_wallet_id_or_key_is_refused(registry, registrar, expiry, wallet, investor_id):
    with reverts_with("ZeroValue"):
        _register(registry, registrar, wallet, investor_id=investor_id, expiry=expiry)


@pytest.mark.parametrize("country", [0, 1000])
def test_invalid_country_is_refused(registry, registrar, expiry, country):
    with reverts_with("InvalidCountry", country=country):
        _register(registry, registrar, W1, country=country, expiry=expiry)


@pytest.mark.parametrize("category", [0, 4])
def test_undefined_category_is_refused(registry, registrar, expiry, category):
    with reverts_with("UnknownCategory", category=category):
        _register(registry, registrar, W1, category=category, expiry=expiry)


def test_expiry_must_be_in_the_future(registry, registrar, chain):
    past = chain.blocks.head.timestamp
    with reverts_with("ExpiryNotInFuture", expiry=past):
        _register(registry, registrar, W1, expiry=past)


def test_eligibility_ends_at_expiry(registry, registrar, chain):
    expiry = chain.pending_timestamp + 100
    _register(registry, registrar, W1, expiry=expiry)
    chain.mine(timestamp=expiry)
    assert not registry.isEligible(W1)


@pytest.mark.parametrize("kind", [Kind.INVESTOR, Kind.SYSTEM, Kind.RETIRED], ids=lambda k: k.name)
def test_a_known_wallet_cannot_be_registered_again(registry, registrar, expiry, kind):
    if kind == Kind.SYSTEM:
        registry.registerSystemAccount(W1, "escrow", sender=registrar)
    else:
        _register(registry, registrar, W1, expiry=expiry)
        if kind == Kind.RETIRED:
            registry.removeWallet(W1, sender=registrar)
    with reverts_with("WalletAlreadyRegistered", wallet=W1, kind=kind):
        _register(registry, registrar, W1, investor_id=ID_2, expiry=expiry)


# ------------------------------------------------------------------ batch registration


def test_batch_registration_registers_every_wallet(registry, registrar, expiry):
    registry.registerInvestors(
        [W1, W3],
        [ID_1, ID_2],
        [GERMANY, FRANCE],
        [1, 2],
        [expiry, expiry],
        sender=registrar,
    )
    assert registry.identityOf(W3).country == FRANCE
    assert registry.investor(ID_1).walletCount == 1


def test_batch_registration_is_all_or_nothing(registry, registrar, expiry):
    with reverts_with("InvalidCountry", country=0):
        registry.registerInvestors(
            [W1, W3],
            [ID_1, ID_2],
            [GERMANY, 0],
            [1, 2],
            [expiry, expiry],
            sender=registrar,
        )
    assert registry.identityOf(W1).kind == Kind.NONE


@pytest.mark.parametrize("short", ["none", "wallets", "ids", "countries", "categories", "expiries"])
def test_batch_registration_with_arrays_of_different_lengths_is_refused(
    registry, registrar, expiry, short
):
    arrays = {
        "wallets": [W1, W3],
        "ids": [ID_1, ID_2],
        "countries": [GERMANY, FRANCE],
        "categories": [1, 2],
        "expiries": [expiry, expiry],
    }
    if short == "none":
        arrays = {name: [] for name in arrays}  # empty batch
    else:
        arrays[short] = arrays[short][:1]
    with reverts_with("LengthMismatch"):
        registry.registerInvestors(*arrays.values(), sender=registrar)


# ------------------------------------------------------------------ updating an investor


@pytest.fixture
def two_wallets(registry, registrar, expiry) -> list[str]:
    """Investor 1 with two wallets, W1 < W2 (ascending address order)."""
    _register(registry, registrar, W1, expiry=expiry)
    _register(registry, registrar, W2, expiry=expiry)
    return [W1, W2]


def test_update_investor_rewrites_every_wallet(registry, registrar, two_wallets, expiry):
    later = expiry + YEAR
    receipt = registry.updateInvestor(ID_1, two_wallets, USA, 3, later, sender=registrar)
    assert args_of(single_event(receipt, "InvestorUpdated")) == {
        "investorId": ID_1,
        "country": USA,
        "category": 3,
        "expiry": later,
    }
    for wallet in two_wallets:
        assert tuple(registry.identityOf(wallet))[1:5] == (USA, 3, later, Kind.INVESTOR)
    assert tuple(registry.investor(ID_1))[1:] == (USA, 3, later, 2)


@pytest.mark.parametrize("wrong", ["descending", "missing", "duplicate", "foreign", "extra"])
def test_update_investor_needs_exactly_its_wallets_in_ascending_order(
    registry, registrar, two_wallets, expiry, wrong
):
    _register(registry, registrar, W3, investor_id=ID_2, expiry=expiry)
    low, high = two_wallets
    wallets = {
        "descending": [high, low],
        "missing": [low],
        "duplicate": [low, low],
        "foreign": [low, W3],
        "extra": [low, high, W3],
    }[wrong]
    with reverts_with("WalletListMismatch", investorId=ID_1):
        registry.updateInvestor(ID_1, wallets, FRANCE, 1, expiry, sender=registrar)


def test_update_investor_refuses_a_retired_wallet_in_the_list(
    registry, registrar, two_wallets, expiry
):
    low, high = two_wallets
    registry.removeWallet(high, sender=registrar)
    with reverts_with("WalletListMismatch", investorId=ID_1):
        registry.updateInvestor(ID_1, [low, high], FRANCE, 1, expiry, sender=registrar)
    registry.updateInvestor(ID_1, [low], FRANCE, 1, expiry, sender=registrar)
    assert registry.identityOf(low).country == FRANCE
    assert registry.identityOf(high).country == GERMANY  # retired records are left as they were


def test_update_of_an_unknown_investor_is_refused(registry, registrar, expiry):
    with reverts_with("UnknownInvestor", investorId=ID_2):
        registry.updateInvestor(ID_2, [W1], FRANCE, 1, expiry, sender=registrar)


def test_update_investor_checks_the_new_attributes(registry, registrar, two_wallets, expiry):
    with reverts_with("InvalidCountry", country=0):
        registry.updateInvestor(ID_1, two_wallets, 0, 1, expiry, sender=registrar)
    with reverts_with("UnknownCategory", category=9):
        registry.updateInvestor(ID_1, two_wallets, GERMANY, 9, expiry, sender=registrar)


def test_expired_investor_is_renewed_with_update_investor(registry, registrar, chain):
    expiry = chain.pending_timestamp + 100
    _register(registry, registrar, W1, expiry=expiry)
    chain.mine(timestamp=expiry + 1)
    later = expiry + YEAR
    with reverts_with("InvestorAttributesDiffer", investorId=ID_1):
        _register(registry, registrar, W2, expiry=later)
    registry.updateInvestor(ID_1, [W1], GERMANY, 1, later, sender=registrar)
    _register(registry, registrar, W2, expiry=later)
    assert registry.isEligible(W1) and registry.isEligible(W2)


# ------------------------------------------------------------------ removing and recovering


def test_removed_wallet_is_retired_but_stays_bound(registry, registrar, two_wallets):
    low = two_wallets[0]
    receipt = registry.removeWallet(low, sender=registrar)
    assert args_of(single_event(receipt, "WalletRemoved")) == {
        "wallet": low,
        "investorId": ID_1,
    }
    assert registry.identityOf(low).kind == Kind.RETIRED
    assert bytes(registry.investorIdOf(low)) == ID_1
    assert not registry.isEligible(low)
    assert registry.investor(ID_1).walletCount == 1
    with reverts_with("WalletNotRegistered", wallet=low):
        registry.removeWallet(low, sender=registrar)
    with reverts_with("WalletAlreadyRegistered", wallet=low, kind=Kind.RETIRED):
        _register(registry, registrar, low, expiry=registry.investor(ID_1).expiry)


def test_investor_without_wallets_can_get_a_new_one(registry, registrar, expiry):
    _register(registry, registrar, W1, expiry=expiry)
    registry.removeWallet(W1, sender=registrar)
    assert registry.investor(ID_1).walletCount == 0
    receipt = _register(registry, registrar, W3, expiry=expiry)
    assert [log.event_name for log in receipt.events] == ["WalletRegistered"]
    assert registry.investor(ID_1).walletCount == 1


def test_remove_wallet_of_an_unknown_wallet_is_refused(registry, registrar):
    with reverts_with("WalletNotRegistered", wallet=W2):
        registry.removeWallet(W2, sender=registrar)


def test_recover_wallet_moves_the_investor_link(registry, registrar, expiry):
    _register(registry, registrar, W1, expiry=expiry)
    before = tuple(registry.identityOf(W1))
    receipt = registry.recoverWallet(W1, W2, sender=registrar)
    assert args_of(single_event(receipt, "WalletRecovered")) == {
        "lostWallet": W1,
        "newWallet": W2,
        "investorId": ID_1,
    }
    assert tuple(registry.identityOf(W2))[:5] == before[:5]
    # Units of instruments not recovered yet stay in W1: the investor now has two wallets.
    assert registry.identityOf(W1).multiWallet and registry.identityOf(W2).multiWallet
    assert registry.firstWallet(_key(ID_1)) == W1
    assert registry.identityOf(W1).kind == Kind.RETIRED
    assert registry.identityOf(W1).investor == _key(ID_1)
    assert registry.investor(ID_1).walletCount == 1
    assert bytes(registry.investorIdOf(W2)) == ID_1


def test_recovered_wallet_is_listed_in_updates(registry, registrar, expiry):
    _register(registry, registrar, W1, expiry=expiry)
    registry.recoverWallet(W1, W2, sender=registrar)
    with reverts_with("WalletListMismatch", investorId=ID_1):
        registry.updateInvestor(ID_1, [W1], FRANCE, 1, expiry, sender=registrar)
    registry.updateInvestor(ID_1, [W2], FRANCE, 1, expiry, sender=registrar)
    assert registry.identityOf(W2).country == FRANCE


def test_recover_from_an_unregistered_wallet_is_refused(registry, registrar):
    with reverts_with("WalletNotRegistered", wallet=W1):
        registry.recoverWallet(W1, W2, sender=registrar)


def test_recover_to_a_registered_wallet_is_refused(registry, registrar, expiry):
    _register(registry, registrar, W1, expiry=expiry)
    _register(registry, registrar, W3, investor_id=ID_2, expiry=expiry)
    with reverts_with("WalletAlreadyRegistered", wallet=W3, kind=Kind.INVESTOR):
        registry.recoverWallet(W1, W3, sender=registrar)


def test_recover_to_the_zero_address_is_refused(registry, registrar, expiry):
    _register(registry, registrar, W1, expiry=expiry)
    with reverts_with("ZeroValue"):
        registry.recoverWallet(W1, ZERO, sender=registrar)


# ------------------------------------------------------------------ system accounts


def test_system_account_is_eligible_and_no_investor(registry, registrar):
    receipt = registry.registerSystemAccount(W2, "settlement escrow", sender=registrar)
    assert args_of(single_event(receipt, "SystemAccountRegistered")) == {
        "account": W2,
        "label": "settlement escrow",
    }
    assert tuple(registry.identityOf(W2)) == (0, 0, 0, 0, Kind.SYSTEM, False)
    assert registry.isEligible(W2)
    assert bytes(registry.investorIdOf(W2)) == b"\0" * 32


def test_removed_system_account_is_retired(registry, registrar):
    registry.registerSystemAccount(W2, "escrow", sender=registrar)
    receipt = registry.removeSystemAccount(W2, sender=registrar)
    assert args_of(single_event(receipt, "SystemAccountRemoved")) == {"account": W2}
    assert registry.identityOf(W2).kind == Kind.RETIRED
    assert not registry.isEligible(W2)
    with reverts_with("WalletAlreadyRegistered", wallet=W2, kind=Kind.RETIRED):
        registry.registerSystemAccount(W2, "escrow", sender=registrar)


def test_system_account_cannot_be_a_known_wallet_or_zero(registry, registrar, expiry):
    _register(registry, registrar, W1, expiry=expiry)
    with reverts_with("WalletAlreadyRegistered", wallet=W1, kind=Kind.INVESTOR):
        registry.registerSystemAccount(W1, "escrow", sender=registrar)
    with reverts_with("ZeroValue"):
        registry.registerSystemAccount(ZERO, "escrow", sender=registrar)


def test_investor_wallets_and_system_accounts_are_removed_by_their_own_function(
    registry, registrar, expiry
):
    _register(registry, registrar, W1, expiry=expiry)
    registry.registerSystemAccount(W2, "escrow", sender=registrar)
    with reverts_with("WalletNotRegistered", wallet=W1):
        registry.removeSystemAccount(W1, sender=registrar)
    with reverts_with("WalletNotRegistered", wallet=W2):
        registry.removeWallet(W2, sender=registrar)


# ------------------------------------------------------------------ categories


def test_categories_one_to_three_are_built_in(registry):
    labels = [registry.categoryLabel(c) for c in (1, 2, 3, 4)]
    assert labels == ["retail", "professional", "institutional", ""]


def test_admin_defines_a_category_that_can_then_be_used(registry, admin, registrar, expiry):
    receipt = registry.defineCategory(4, "qualified", sender=admin)
    assert args_of(single_event(receipt, "CategoryDefined")) == {
        "category": 4,
        "label": "qualified",
    }
    assert registry.categoryLabel(4) == "qualified"
    _register(registry, registrar, W1, category=4, expiry=expiry)
    assert registry.identityOf(W1).category == 4


def test_admin_renames_a_category(registry, admin):
    registry.defineCategory(1, "retail (MiFID II)", sender=admin)
    assert registry.categoryLabel(1) == "retail (MiFID II)"


@pytest.mark.parametrize(("category", "label"), [(0, "zero"), (5, "")])
def test_category_zero_or_an_empty_label_is_refused(registry, admin, category, label):
    with reverts_with("UnknownCategory", category=category):
        registry.defineCategory(category, label, sender=admin)

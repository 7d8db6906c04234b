"""Enforcement powers: forced transfers, wallet recovery, pause, and freezes (whole and partial).

Starting point (``holders``): alice (DE) and bob (FR) hold 1,000 each; carol (US) is registered
and holds nothing; outsider is not registered. The holdings invariants are checked after each
scenario that moves units.
"""

from __future__ import annotations

import pytest
from unit.checks import (
    Kind,
    Rule,
    args_of,
    check_invariants,
    events_named,
    key_of,
    reason_of,
    restricted,
    reverts_with,
    single_event,
)

from securities_rails.identifiers import investor_id_hash

ZERO = "0x0000000000000000000000000000000000000000"


@pytest.fixture
def wallets(alice, bob, carol, outsider):
    """Every wallet that may hold units in these tests (for the invariant checks)."""
    return [alice, bob, carol, outsider]


# ------------------------------------------------------------------ forced transfer


def test_forced_transfer_moves_units_ignoring_the_rules(
    holders, admin, registrar, enforcer, alice, carol, chain, registry, wallets
):
    token = holders
    token.setRule(Rule.COUNTRY_ALLOW_LIST, 1, sender=admin)  # no country allowed
    token.setRule(Rule.LOCK_UP, chain.pending_timestamp + 10**6, sender=admin)
    token.setRule(Rule.MIN_TRANSFER, 10_000, sender=admin)
    token.setRule(Rule.MAX_INVESTORS, 2, sender=admin)
    token.setAddressFrozen(alice, True, sender=enforcer)
    token.setAddressFrozen(carol, True, sender=enforcer)
    receipt = token.forcedTransfer(alice, carol, 300, "court order 2024/17", sender=registrar)
    assert args_of(single_event(receipt, "ForcedTransfer")) == {
        "from": alice.address,
        "to": carol.address,
        "amount": 300,
        "reason": "court order 2024/17",
    }
    assert args_of(single_event(receipt, "Transfer"))["value"] == 300
    assert (token.balanceOf(alice), token.balanceOf(carol)) == (700, 300)
    assert token.investorCount() == 3  # above the limit: forced transfers ignore it
    assert token.investorBalance(key_of("carol")) == 300
    check_invariants(token, registry, wallets)


def test_forced_transfer_ignores_expired_eligibility(
    holders, registrar, registry, alice, bob, chain, wallets
):
    token = holders
    chain.mine(timestamp=chain.pending_timestamp + 11 * 365 * 24 * 3600)  # everyone expired
    token.forcedTransfer(alice, bob, 1000, "estate settlement", sender=registrar)
    assert token.investorCount() == 1
    check_invariants(token, registry, wallets)


def test_forced_transfer_to_an_unregistered_wallet_is_refused(holders, registrar, alice, outsider):
    with reverts_with("RecipientNotRegistered", wallet=outsider):
        holders.forcedTransfer(alice, outsider, 1, "x", sender=registrar)


def test_forced_transfer_to_a_retired_wallet_is_refused(holders, registrar, registry, alice, bob):
    registry.removeWallet(bob, sender=registrar)
    with reverts_with("RecipientNotRegistered", wallet=bob):
        holders.forcedTransfer(alice, bob, 1, "x", sender=registrar)


def test_forced_transfer_to_the_same_wallet_is_refused(holders, registrar, alice):
    with reverts_with("SameAddress", wallet=alice):
        holders.forcedTransfer(alice, alice, 1, "x", sender=registrar)


def test_forced_transfer_from_the_zero_address_is_refused(holders, registrar, bob):
    with reverts_with("ERC20InvalidSender", sender=ZERO):
        holders.forcedTransfer(ZERO, bob, 1, "x", sender=registrar)


def test_forced_transfer_above_the_balance_is_refused(holders, registrar, alice, bob):
    with reverts_with("ERC20InsufficientBalance", sender=alice, balance=1000, needed=1001):
        holders.forcedTransfer(alice, bob, 1001, "x", sender=registrar)


def test_forced_transfer_takes_free_units_first_then_unfreezes(
    holders, registrar, enforcer, alice, bob, registry, wallets
):
    token = holders
    token.freezePartialTokens(alice, 900, sender=enforcer)
    receipt = token.forcedTransfer(alice, bob, 50, "x", sender=registrar)
    assert events_named(receipt, "TokensUnfrozen") == []
    assert token.frozenTokens(alice) == 900
    receipt = token.forcedTransfer(alice, bob, 250, "x", sender=registrar)  # 50 free, 200 frozen
    assert args_of(single_event(receipt, "TokensUnfrozen")) == {
        "wallet": alice.address,
        "amount": 200,
    }
    assert (token.balanceOf(alice), token.frozenTokens(alice)) == (700, 700)
    check_invariants(token, registry, wallets)


def test_forced_transfer_to_a_system_account_uncounts_the_investor(
    holders, registrar, registry, alice, outsider, wallets
):
    token = holders
    registry.registerSystemAccount(outsider, "custody", sender=registrar)
    token.forcedTransfer(alice, outsider, 1000, "x", sender=registrar)
    assert token.investorCount() == 1
    assert token.investorBalance(key_of("alice")) == 0
    check_invariants(token, registry, wallets)


# ------------------------------------------------------------------ wallet recovery


def test_recovery_moves_balance_frozen_units_and_address_freeze(
    holders, registry, registrar, enforcer, alice, bob, outsider, wallets
):
    token = holders
    token.freezePartialTokens(alice, 250, sender=enforcer)
    token.setAddressFrozen(alice, True, sender=enforcer)
    registry.recoverWallet(alice, outsider, sender=registrar)
    receipt = token.recoverWallet(alice, outsider, sender=registrar)
    assert args_of(single_event(receipt, "WalletRecovered")) == {
        "lostWallet": alice.address,
        "newWallet": outsider.address,
        "amount": 1000,
        "frozenAmount": 250,
    }
    assert (token.balanceOf(alice), token.balanceOf(outsider)) == (0, 1000)
    assert (token.frozenTokens(alice), token.isFrozen(alice)) == (0, False)
    assert (token.frozenTokens(outsider), token.isFrozen(outsider)) == (250, True)
    assert reason_of(token, outsider, bob, 1) == "SENDER_FROZEN"  # the moved freeze holds
    assert token.investorCount() == 2
    assert token.investorBalance(key_of("alice")) == 1000
    check_invariants(token, registry, wallets)


def test_recovered_wallet_trades_and_the_lost_one_cannot(
    holders, registry, registrar, alice, bob, outsider
):
    token = holders
    registry.recoverWallet(alice, outsider, sender=registrar)
    token.recoverWallet(alice, outsider, sender=registrar)
    token.transfer(bob, 100, sender=outsider)
    assert reason_of(token, bob, alice, 1) == "RECIPIENT_NOT_REGISTERED"
    with restricted("RECIPIENT_NOT_REGISTERED"):
        token.transfer(alice, 1, sender=bob)


def test_recovery_is_refused_when_the_registry_link_was_not_moved(
    holders, registrar, alice, outsider
):
    with reverts_with("NotSameInvestor", lostWallet=alice, newWallet=outsider):
        holders.recoverWallet(alice, outsider, sender=registrar)
    assert holders.balanceOf(alice) == 1000


def test_recovery_to_another_investors_wallet_is_refused(holders, registrar, alice, bob):
    with reverts_with("NotSameInvestor", lostWallet=alice, newWallet=bob):
        holders.recoverWallet(alice, bob, sender=registrar)


def test_recovery_to_the_same_wallet_is_refused(holders, registrar, alice):
    with reverts_with("SameAddress", wallet=alice):
        holders.recoverWallet(alice, alice, sender=registrar)


def test_lost_wallet_is_retired_and_cannot_be_registered_again(
    holders, registry, registrar, register, alice, outsider
):
    registry.recoverWallet(alice, outsider, sender=registrar)
    holders.recoverWallet(alice, outsider, sender=registrar)
    assert registry.identityOf(alice).kind == Kind.RETIRED
    with reverts_with("WalletAlreadyRegistered", wallet=alice, kind=Kind.RETIRED):
        register(alice, "mallory")


def test_freezes_merged_by_recovery_keep_later_freezes_effective(
    holders, registry, registrar, enforcer, alice, bob, carol, outsider
):
    token = holders
    token.freezePartialTokens(alice, 100, sender=enforcer)
    token.setAddressFrozen(outsider, True, sender=enforcer)  # the new wallet is frozen already
    registry.recoverWallet(alice, outsider, sender=registrar)
    token.recoverWallet(alice, outsider, sender=registrar)
    assert (token.isFrozen(outsider), token.frozenTokens(outsider)) == (True, 100)
    token.setAddressFrozen(bob, True, sender=enforcer)
    token.setAddressFrozen(outsider, False, sender=enforcer)
    token.unfreezePartialTokens(outsider, 100, sender=enforcer)
    # bob's freeze must still be seen (the count of frozen wallets stayed right).
    assert reason_of(token, bob, carol, 1) == "SENDER_FROZEN"
    with restricted("SENDER_FROZEN"):
        token.transfer(carol, 1, sender=bob)
    token.transfer(carol, 1, sender=outsider)


# ------------------------------------------------------------------ pause


@pytest.fixture
def paused(holders, pauser):
    receipt = holders.pause(sender=pauser)
    assert args_of(single_event(receipt, "Paused")) == {"account": pauser.address}
    return holders


def test_pause_stops_transfers_mints_and_burns(paused, issuer, alice, bob):
    token = paused
    assert reason_of(token, alice, bob, 1) == "TOKEN_PAUSED"
    assert reason_of(token, ZERO, bob, 1) == "TOKEN_PAUSED"
    with restricted("TOKEN_PAUSED"):
        token.transfer(bob, 1, sender=alice)
    with restricted("TOKEN_PAUSED"):
        token.mint(bob, 1, sender=issuer)
    with restricted("TOKEN_PAUSED"):
        token.batchMint([alice, bob], [1, 1], sender=issuer)
    with restricted("TOKEN_PAUSED"):
        token.burn(alice, 1, sender=issuer)
    assert token.totalSupply() == 2000


def test_pause_reports_token_paused_before_any_other_reason(paused, alice, outsider):
    assert reason_of(paused, outsider, alice, 10**9) == "TOKEN_PAUSED"
    assert reason_of(paused, alice, ZERO, 1) == "TOKEN_PAUSED"


def test_forced_transfer_and_recovery_work_while_paused(
    paused, registry, registrar, alice, bob, outsider, wallets
):
    token = paused
    token.forcedTransfer(alice, bob, 100, "incident", sender=registrar)
    registry.recoverWallet(alice, outsider, sender=registrar)
    token.recoverWallet(alice, outsider, sender=registrar)
    assert (token.balanceOf(bob), token.balanceOf(outsider)) == (1100, 900)
    check_invariants(token, registry, wallets)


def test_unpause_resumes_transfers(paused, pauser, alice, bob):
    token = paused
    receipt = token.unpause(sender=pauser)
    assert args_of(single_event(receipt, "Unpaused")) == {"account": pauser.address}
    token.transfer(bob, 1, sender=alice)
    assert token.balanceOf(bob) == 1001


def test_pausing_twice_or_unpausing_when_running_is_refused(holders, pauser):
    with reverts_with("ExpectedPause"):
        holders.unpause(sender=pauser)
    holders.pause(sender=pauser)
    with reverts_with("EnforcedPause"):
        holders.pause(sender=pauser)


# ------------------------------------------------------------------ partial freeze


def test_only_the_unfrozen_balance_moves(holders, enforcer, alice, bob, registry, wallets):
    token = holders
    receipt = token.freezePartialTokens(alice, 600, sender=enforcer)
    assert args_of(single_event(receipt, "TokensFrozen")) == {
        "wallet": alice.address,
        "amount": 600,
    }
    token.transfer(bob, 400, sender=alice)
    assert reason_of(token, alice, bob, 1) == "FROZEN_BALANCE"
    with restricted("FROZEN_BALANCE"):
        token.transfer(bob, 1, sender=alice)
    check_invariants(token, registry, wallets)


def test_unfreezing_releases_units(holders, enforcer, alice, bob):
    token = holders
    token.freezePartialTokens(alice, 1000, sender=enforcer)
    receipt = token.unfreezePartialTokens(alice, 300, sender=enforcer)
    assert args_of(single_event(receipt, "TokensUnfrozen")) == {
        "wallet": alice.address,
        "amount": 300,
    }
    assert token.frozenTokens(alice) == 700
    token.transfer(bob, 300, sender=alice)
    with restricted("FROZEN_BALANCE"):
        token.transfer(bob, 1, sender=alice)


def test_frozen_units_may_be_received_on_top_of(holders, enforcer, alice, bob):
    token = holders
    token.freezePartialTokens(bob, 1000, sender=enforcer)
    token.transfer(bob, 10, sender=alice)  # a partial freeze does not block receiving
    token.transfer(alice, 10, sender=bob)


@pytest.mark.parametrize(
    ("first", "second", "available"), [(0, 0, 1000), (600, 401, 400), (0, 1001, 1000)]
)
def test_freezing_more_than_the_unfrozen_balance_is_refused(
    holders, enforcer, alice, first, second, available
):
    if first:
        holders.freezePartialTokens(alice, first, sender=enforcer)
    with reverts_with("FreezeAmountInvalid", wallet=alice, amount=second, available=available):
        holders.freezePartialTokens(alice, second, sender=enforcer)


@pytest.mark.parametrize("amount", [0, 11])
def test_unfreezing_more_than_is_frozen_is_refused(holders, enforcer, alice, amount):
    holders.freezePartialTokens(alice, 10, sender=enforcer)
    with reverts_with("FreezeAmountInvalid", wallet=alice, amount=amount, available=10):
        holders.unfreezePartialTokens(alice, amount, sender=enforcer)


def test_burn_consumes_frozen_units_last(holders, issuer, enforcer, alice, registry, wallets):
    token = holders
    token.freezePartialTokens(alice, 600, sender=enforcer)
    receipt = token.burn(alice, 300, sender=issuer)
    assert events_named(receipt, "TokensUnfrozen") == []
    assert (token.balanceOf(alice), token.frozenTokens(alice)) == (700, 600)
    receipt = token.burn(alice, 300, sender=issuer)  # 100 free, then 200 frozen
    assert args_of(single_event(receipt, "TokensUnfrozen")) == {
        "wallet": alice.address,
        "amount": 200,
    }
    assert (token.balanceOf(alice), token.frozenTokens(alice)) == (400, 400)
    token.burn(alice, 400, sender=issuer)
    assert token.investorCount() == 1
    check_invariants(token, registry, wallets)


# ------------------------------------------------------------------ whole-address freeze


def test_frozen_address_can_neither_send_nor_receive(holders, enforcer, issuer, alice, bob):
    token = holders
    receipt = token.setAddressFrozen(alice, True, sender=enforcer)
    assert args_of(single_event(receipt, "AddressFrozen")) == {
        "wallet": alice.address,
        "frozen": True,
        "enforcer": enforcer.address,
    }
    assert token.isFrozen(alice)
    assert reason_of(token, alice, bob, 1) == "SENDER_FROZEN"
    with restricted("SENDER_FROZEN"):
        token.transfer(bob, 1, sender=alice)
    assert reason_of(token, bob, alice, 1) == "RECIPIENT_FROZEN"
    with restricted("RECIPIENT_FROZEN"):
        token.transfer(alice, 1, sender=bob)
    with restricted("RECIPIENT_FROZEN"):
        token.mint(alice, 1, sender=issuer)


def test_unfrozen_address_trades_again(holders, enforcer, alice, bob):
    token = holders
    token.setAddressFrozen(alice, True, sender=enforcer)
    token.setAddressFrozen(alice, False, sender=enforcer)
    assert not token.isFrozen(alice)
    token.transfer(bob, 1, sender=alice)
    token.transfer(alice, 2, sender=bob)
    assert token.balanceOf(alice) == 1001


def test_issuer_can_burn_from_a_frozen_address(holders, enforcer, issuer, alice, registry, wallets):
    token = holders
    token.setAddressFrozen(alice, True, sender=enforcer)
    token.burn(alice, 1000, sender=issuer)
    assert token.investorCount() == 1
    check_invariants(token, registry, wallets)


def test_renewed_registration_does_not_lift_a_freeze(
    holders, enforcer, registry, registrar, alice, bob, chain
):
    token = holders
    token.setAddressFrozen(alice, True, sender=enforcer)
    expiry = chain.pending_timestamp + 20 * 365 * 24 * 3600
    registry.updateInvestor(investor_id_hash("alice"), [alice], 276, 1, expiry, sender=registrar)
    with restricted("SENDER_FROZEN"):
        token.transfer(bob, 1, sender=alice)

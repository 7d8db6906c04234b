"""The transfer rules: each one passing and failing with its own reason, on transfers and mints.

Starting point (``holders``): alice (DE, retail) and bob (FR) hold 1,000 each; carol (US) is
registered and holds nothing; outsider is not registered.
"""

from __future__ import annotations

from typing import Any

import pytest
from suite_data import FRANCE, GERMANY, USA, YEAR
from unit.checks import (
    Rule,
    args_of,
    call_reverts_with,
    check_invariants,
    key_of,
    reason_of,
    restricted,
    reverts_with,
    single_event,
)

from securities_rails.identifiers import investor_id_hash

ZERO = "0x0000000000000000000000000000000000000000"


def _set(token: Any, admin: Any, rule: Rule, value: int = 1) -> Any:
    return token.setRule(rule, value, sender=admin)


def _list(token: Any, admin: Any, rule: Rule, *countries: int, listed: bool = True) -> Any:
    return token.setCountries(rule, list(countries), listed, sender=admin)


# ------------------------------------------------------------------ baseline and identity


def test_transfer_between_registered_investors_moves_units_and_holdings(holders, alice, bob):
    token = holders
    assert reason_of(token, alice, bob, 300) == "OK"
    receipt = token.transfer(bob, 300, sender=alice)
    assert args_of(single_event(receipt, "Transfer")) == {
        "from": alice.address,
        "to": bob.address,
        "value": 300,
    }
    assert (token.balanceOf(alice), token.balanceOf(bob)) == (700, 1300)
    assert token.investorBalance(key_of("alice")) == 700
    assert token.investorBalance(key_of("bob")) == 1300
    assert token.investorCount() == 2


def test_first_units_to_an_investor_make_it_counted_and_last_units_uncount_it(
    holders, alice, bob, carol, registry
):
    token = holders
    token.transfer(carol, 1000, sender=alice)
    assert token.investorCount() == 2  # carol joined, alice left
    assert token.investorBalance(key_of("alice")) == 0
    assert token.investorBalance(key_of("carol")) == 1000
    check_invariants(token, registry, [alice, bob, carol])


def test_transfer_to_unregistered_recipient_is_refused(holders, alice, outsider):
    token = holders
    assert reason_of(token, alice, outsider, 1) == "RECIPIENT_NOT_REGISTERED"
    with restricted("RECIPIENT_NOT_REGISTERED"):
        token.transfer(outsider, 1, sender=alice)


def test_mint_to_unregistered_recipient_is_refused(holders, issuer, outsider):
    token = holders
    assert reason_of(token, ZERO, outsider, 1) == "RECIPIENT_NOT_REGISTERED"
    with restricted("RECIPIENT_NOT_REGISTERED"):
        token.mint(outsider, 1, sender=issuer)


def test_transfer_from_a_removed_wallet_is_refused_as_sender_not_registered(
    holders, registry, registrar, alice, bob
):
    token = holders
    registry.removeWallet(alice, sender=registrar)
    assert reason_of(token, alice, bob, 1) == "SENDER_NOT_REGISTERED"
    with restricted("SENDER_NOT_REGISTERED"):
        token.transfer(bob, 1, sender=alice)
    # The units left in the retired wallet still count for alice's investor.
    assert token.investorBalance(key_of("alice")) == 1000


def test_transfer_to_a_removed_wallet_is_refused_as_recipient_not_registered(
    holders, registry, registrar, alice, bob
):
    token = holders
    registry.removeWallet(bob, sender=registrar)
    with restricted("RECIPIENT_NOT_REGISTERED"):
        token.transfer(bob, 1, sender=alice)


@pytest.fixture
def short_lived(holders, register, issuer, outsider, chain):
    """outsider registered as investor "olga" (DE) eligible for one more hour, holding 100."""
    expiry = chain.pending_timestamp + 3600
    register(outsider, "olga", GERMANY, expiry=expiry)
    holders.mint(outsider, 100, sender=issuer)
    return expiry


def test_expired_sender_is_refused(holders, short_lived, chain, outsider, bob):
    token = holders
    chain.mine(timestamp=short_lived + 1)
    assert reason_of(token, outsider, bob, 1) == "SENDER_ELIGIBILITY_EXPIRED"
    with restricted("SENDER_ELIGIBILITY_EXPIRED"):
        token.transfer(bob, 1, sender=outsider)


def test_expired_recipient_is_refused_for_transfers_and_mints(
    holders, short_lived, chain, alice, outsider, issuer
):
    token = holders
    chain.mine(timestamp=short_lived + 1)
    assert reason_of(token, alice, outsider, 1) == "RECIPIENT_ELIGIBILITY_EXPIRED"
    with restricted("RECIPIENT_ELIGIBILITY_EXPIRED"):
        token.transfer(outsider, 1, sender=alice)
    with restricted("RECIPIENT_ELIGIBILITY_EXPIRED"):
        token.mint(outsider, 1, sender=issuer)


def test_eligibility_ends_at_the_expiry_second(holders, short_lived, chain, outsider, bob):
    token = holders
    chain.pending_timestamp = short_lived - 1
    token.transfer(bob, 1, sender=outsider)  # mined one second before expiry
    chain.pending_timestamp = short_lived
    with restricted("SENDER_ELIGIBILITY_EXPIRED"):
        token.transfer(bob, 1, sender=outsider)


def test_renewed_eligibility_lets_an_expired_investor_transfer_again(
    holders, short_lived, chain, registry, registrar, outsider, bob
):
    token = holders
    chain.mine(timestamp=short_lived + 1)
    later = chain.pending_timestamp + YEAR
    registry.updateInvestor(
        investor_id_hash("olga"), [outsider], GERMANY, 1, later, sender=registrar
    )
    token.transfer(bob, 10, sender=outsider)
    assert token.balanceOf(outsider) == 90


# ------------------------------------------------------------------ country lists


def test_allow_list_admits_listed_recipient_countries_only(holders, admin, alice, bob, carol):
    token = holders
    _set(token, admin, Rule.COUNTRY_ALLOW_LIST)
    _list(token, admin, Rule.COUNTRY_ALLOW_LIST, FRANCE, GERMANY)
    token.transfer(bob, 10, sender=alice)
    assert reason_of(token, alice, carol, 10) == "COUNTRY_NOT_ALLOWED"
    with restricted("COUNTRY_NOT_ALLOWED"):
        token.transfer(carol, 10, sender=alice)


def test_allow_list_checks_the_recipient_only(holders, admin, alice, bob):
    token = holders
    _set(token, admin, Rule.COUNTRY_ALLOW_LIST)
    _list(token, admin, Rule.COUNTRY_ALLOW_LIST, FRANCE)
    token.transfer(bob, 10, sender=alice)  # alice (DE, not listed) may still sell to FR
    with restricted("COUNTRY_NOT_ALLOWED"):
        token.transfer(alice, 10, sender=bob)


def test_allow_list_applies_to_mints(holders, admin, issuer, carol, bob):
    token = holders
    _set(token, admin, Rule.COUNTRY_ALLOW_LIST)
    _list(token, admin, Rule.COUNTRY_ALLOW_LIST, FRANCE)
    token.mint(bob, 5, sender=issuer)
    assert reason_of(token, ZERO, carol, 5) == "COUNTRY_NOT_ALLOWED"
    with restricted("COUNTRY_NOT_ALLOWED"):
        token.mint(carol, 5, sender=issuer)


def test_empty_allow_list_admits_no_one(holders, admin, alice, bob):
    token = holders
    _set(token, admin, Rule.COUNTRY_ALLOW_LIST)
    with restricted("COUNTRY_NOT_ALLOWED"):
        token.transfer(bob, 1, sender=alice)


def test_country_taken_off_the_allow_list_is_refused_again(holders, admin, alice, bob):
    token = holders
    _set(token, admin, Rule.COUNTRY_ALLOW_LIST)
    _list(token, admin, Rule.COUNTRY_ALLOW_LIST, FRANCE, GERMANY)
    _list(token, admin, Rule.COUNTRY_ALLOW_LIST, FRANCE, listed=False)
    assert token.countryListed(Rule.COUNTRY_ALLOW_LIST, FRANCE) is False
    assert token.countryListed(Rule.COUNTRY_ALLOW_LIST, GERMANY) is True
    with restricted("COUNTRY_NOT_ALLOWED"):
        token.transfer(bob, 1, sender=alice)


def test_listing_countries_has_no_effect_until_the_list_rule_is_on(holders, admin, alice, carol):
    token = holders
    _list(token, admin, Rule.COUNTRY_DENY_LIST, USA)
    token.transfer(carol, 1, sender=alice)
    _set(token, admin, Rule.COUNTRY_DENY_LIST)
    with restricted("COUNTRY_DENIED"):
        token.transfer(carol, 1, sender=alice)


def test_deny_list_refuses_listed_recipient_countries(holders, admin, alice, bob, carol, issuer):
    token = holders
    _set(token, admin, Rule.COUNTRY_DENY_LIST)
    _list(token, admin, Rule.COUNTRY_DENY_LIST, USA)
    token.transfer(bob, 10, sender=alice)
    assert reason_of(token, alice, carol, 10) == "COUNTRY_DENIED"
    with restricted("COUNTRY_DENIED"):
        token.transfer(carol, 10, sender=alice)
    with restricted("COUNTRY_DENIED"):
        token.mint(carol, 10, sender=issuer)


def test_sender_from_a_now_denied_country_can_still_sell(holders, admin, alice, bob):
    token = holders
    _set(token, admin, Rule.COUNTRY_DENY_LIST)
    _list(token, admin, Rule.COUNTRY_DENY_LIST, GERMANY)
    token.transfer(bob, 400, sender=alice)
    assert token.balanceOf(alice) == 600
    with restricted("COUNTRY_DENIED"):
        token.transfer(alice, 1, sender=bob)


def test_deny_list_wins_over_allow_list(holders, admin, alice, bob):
    token = holders
    _set(token, admin, Rule.COUNTRY_ALLOW_LIST)
    _set(token, admin, Rule.COUNTRY_DENY_LIST)
    _list(token, admin, Rule.COUNTRY_ALLOW_LIST, FRANCE)
    _list(token, admin, Rule.COUNTRY_DENY_LIST, FRANCE)
    with restricted("COUNTRY_DENIED"):
        token.transfer(bob, 1, sender=alice)


def test_country_check_applies_between_wallets_of_one_investor(
    holders, admin, register, alice, outsider
):
    token = holders
    register(outsider, "alice", GERMANY)  # alice's second wallet
    _set(token, admin, Rule.COUNTRY_DENY_LIST)
    _list(token, admin, Rule.COUNTRY_DENY_LIST, GERMANY)
    with restricted("COUNTRY_DENIED"):
        token.transfer(outsider, 1, sender=alice)


# ------------------------------------------------------------------ max investors


def test_max_investors_refuses_a_new_investor_when_full(holders, admin, alice, bob, carol):
    token = holders
    _set(token, admin, Rule.MAX_INVESTORS, 2)
    token.transfer(bob, 10, sender=alice)  # existing investors trade freely
    assert reason_of(token, alice, carol, 10) == "MAX_INVESTORS_REACHED"
    with restricted("MAX_INVESTORS_REACHED"):
        token.transfer(carol, 10, sender=alice)


def test_max_investors_admits_investors_up_to_the_limit(holders, admin, alice, carol):
    token = holders
    _set(token, admin, Rule.MAX_INVESTORS, 3)
    token.transfer(carol, 10, sender=alice)
    assert token.investorCount() == 3


def test_max_investors_applies_to_mints(holders, admin, issuer, carol, bob):
    token = holders
    _set(token, admin, Rule.MAX_INVESTORS, 2)
    token.mint(bob, 10, sender=issuer)
    assert reason_of(token, ZERO, carol, 10) == "MAX_INVESTORS_REACHED"
    with restricted("MAX_INVESTORS_REACHED"):
        token.mint(carol, 10, sender=issuer)


def test_investors_are_counted_once_across_their_wallets(
    holders, admin, register, issuer, alice, bob, outsider, registry
):
    token = holders
    register(outsider, "alice", GERMANY)  # alice's second wallet
    _set(token, admin, Rule.MAX_INVESTORS, 2)
    token.mint(outsider, 50, sender=issuer)
    token.transfer(outsider, 100, sender=alice)
    assert token.investorCount() == 2
    assert token.investorBalance(key_of("alice")) == 1050
    check_invariants(token, registry, [alice, bob, outsider])


def test_new_investor_may_join_when_the_sender_investor_leaves(
    holders, admin, alice, bob, carol, registry
):
    token = holders
    _set(token, admin, Rule.MAX_INVESTORS, 2)
    assert reason_of(token, alice, carol, 999) == "MAX_INVESTORS_REACHED"
    assert reason_of(token, alice, carol, 1000) == "OK"
    token.transfer(carol, 1000, sender=alice)
    assert token.investorCount() == 2
    check_invariants(token, registry, [alice, bob, carol])


def test_sender_does_not_leave_while_another_wallet_of_its_investor_holds(
    holders, admin, register, issuer, alice, carol, outsider
):
    token = holders
    register(outsider, "alice", GERMANY)
    token.mint(outsider, 1, sender=issuer)
    _set(token, admin, Rule.MAX_INVESTORS, 2)
    # alice's first wallet empties, but her investor keeps 1 unit in the second one.
    with restricted("MAX_INVESTORS_REACHED"):
        token.transfer(carol, 1000, sender=alice)


def test_no_swap_in_when_already_over_a_lowered_limit(holders, admin, alice, carol):
    token = holders
    _set(token, admin, Rule.MAX_INVESTORS, 1)  # two investors hold already
    with restricted("MAX_INVESTORS_REACHED"):
        token.transfer(carol, 1000, sender=alice)


# ------------------------------------------------------------------ holding cap


def test_holding_cap_admits_up_to_the_cap(holders, admin, alice, bob):
    token = holders
    _set(token, admin, Rule.HOLDING_CAP, 1500)
    assert reason_of(token, alice, bob, 501) == "HOLDING_CAP_EXCEEDED"
    token.transfer(bob, 500, sender=alice)
    assert token.balanceOf(bob) == 1500
    with restricted("HOLDING_CAP_EXCEEDED"):
        token.transfer(bob, 1, sender=alice)


def test_holding_cap_applies_to_mints(holders, admin, issuer, bob):
    token = holders
    _set(token, admin, Rule.HOLDING_CAP, 1500)
    token.mint(bob, 500, sender=issuer)
    with restricted("HOLDING_CAP_EXCEEDED"):
        token.mint(bob, 1, sender=issuer)


def test_holding_cap_counts_all_wallets_of_the_investor(holders, admin, register, alice, outsider):
    token = holders
    register(outsider, "bob", FRANCE, category=2)  # bob's second wallet, empty
    _set(token, admin, Rule.HOLDING_CAP, 1500)
    assert reason_of(token, alice, outsider, 501) == "HOLDING_CAP_EXCEEDED"
    with restricted("HOLDING_CAP_EXCEEDED"):
        token.transfer(outsider, 501, sender=alice)
    token.transfer(outsider, 500, sender=alice)


def test_moving_between_wallets_of_one_investor_ignores_the_cap(
    holders, admin, register, bob, outsider
):
    token = holders
    register(outsider, "bob", FRANCE, category=2)
    _set(token, admin, Rule.HOLDING_CAP, 500)  # bob already holds more than the cap
    token.transfer(outsider, 1000, sender=bob)
    assert token.investorBalance(key_of("bob")) == 1000


# ------------------------------------------------------------------ lock-up


def test_lock_up_refuses_transfers_until_the_date(holders, admin, alice, bob, chain):
    token = holders
    until = chain.pending_timestamp + 30 * 24 * 3600
    _set(token, admin, Rule.LOCK_UP, until)
    assert reason_of(token, alice, bob, 1) == "LOCKED_UP"
    with restricted("LOCKED_UP"):
        token.transfer(bob, 1, sender=alice)
    chain.pending_timestamp = until - 1
    with restricted("LOCKED_UP"):
        token.transfer(bob, 1, sender=alice)
    chain.pending_timestamp = until
    token.transfer(bob, 1, sender=alice)  # mined at the lock-up date: allowed
    assert token.balanceOf(bob) == 1001


def test_lock_up_does_not_apply_to_mints(holders, admin, issuer, carol, chain):
    token = holders
    _set(token, admin, Rule.LOCK_UP, chain.pending_timestamp + YEAR)
    assert reason_of(token, ZERO, carol, 5) == "OK"
    token.mint(carol, 5, sender=issuer)
    assert token.balanceOf(carol) == 5


def test_lock_up_date_in_the_past_blocks_nothing(holders, admin, alice, bob, chain):
    token = holders
    _set(token, admin, Rule.LOCK_UP, chain.pending_timestamp - 10)
    token.transfer(bob, 1, sender=alice)


# ------------------------------------------------------------------ minimum transfer


def test_min_transfer_refuses_smaller_transfers(holders, admin, alice, bob):
    token = holders
    _set(token, admin, Rule.MIN_TRANSFER, 100)
    assert reason_of(token, alice, bob, 99) == "BELOW_MIN_TRANSFER"
    with restricted("BELOW_MIN_TRANSFER"):
        token.transfer(bob, 99, sender=alice)
    token.transfer(bob, 100, sender=alice)


def test_min_transfer_does_not_apply_to_mints(holders, admin, issuer, carol):
    token = holders
    _set(token, admin, Rule.MIN_TRANSFER, 100)
    token.mint(carol, 1, sender=issuer)
    assert token.balanceOf(carol) == 1


# ------------------------------------------------------------------ switching rules off


RULE_CASES = {
    # case: (rule, value (None: 1; "lock-up": a year ahead), alice sends to, amount, reason)
    "allow-list": (Rule.COUNTRY_ALLOW_LIST, None, "carol", 10, "COUNTRY_NOT_ALLOWED"),
    "deny-list": (Rule.COUNTRY_DENY_LIST, None, "carol", 10, "COUNTRY_DENIED"),
    "max-investors": (Rule.MAX_INVESTORS, 2, "carol", 10, "MAX_INVESTORS_REACHED"),
    "holding-cap": (Rule.HOLDING_CAP, 1005, "bob", 10, "HOLDING_CAP_EXCEEDED"),
    "lock-up": (Rule.LOCK_UP, "lock-up", "bob", 10, "LOCKED_UP"),
    "min-transfer": (Rule.MIN_TRANSFER, 11, "bob", 10, "BELOW_MIN_TRANSFER"),
}


@pytest.mark.parametrize("case", RULE_CASES, ids=list(RULE_CASES))
def test_removing_a_rule_lifts_it(case, holders, admin, alice, bob, carol, chain):
    token = holders
    rule, value, to_name, amount, reason = RULE_CASES[case]
    recipient = {"bob": bob, "carol": carol}[to_name]
    if rule == Rule.COUNTRY_DENY_LIST:
        _list(token, admin, rule, USA)
    value = chain.pending_timestamp + YEAR if value == "lock-up" else (value or 1)
    _set(token, admin, rule, value)
    assert reason_of(token, alice, recipient, amount) == reason
    receipt = token.removeRule(rule, sender=admin)
    assert single_event(receipt, "RuleRemoved").rule == rule
    assert token.rule(rule).active is False
    token.transfer(recipient, amount, sender=alice)
    assert token.balanceOf(alice) == 1000 - amount


# ------------------------------------------------------------------ rule administration


@pytest.mark.parametrize(
    ("rule", "value"),
    [
        (Rule.COUNTRY_ALLOW_LIST, 1),
        (Rule.COUNTRY_DENY_LIST, 1),
        (Rule.MAX_INVESTORS, 2**24 - 1),
        (Rule.HOLDING_CAP, 2**128 - 1),
        (Rule.LOCK_UP, 2**40 - 1),
        (Rule.MIN_TRANSFER, 7),
    ],
    ids=lambda v: v.name if isinstance(v, Rule) else str(v),
)
def test_set_rule_switches_it_on_and_emits_rule_set(token, admin, rule, value):
    assert token.rule(rule).active is False
    receipt = token.setRule(rule, value, sender=admin)
    event = single_event(receipt, "RuleSet")
    assert (event.rule, event.value) == (rule, value)
    assert tuple(token.rule(rule)) == (True, value)


def test_set_rule_again_changes_its_value(token, admin):
    token.setRule(Rule.MAX_INVESTORS, 10, sender=admin)
    token.setRule(Rule.MAX_INVESTORS, 20, sender=admin)
    assert tuple(token.rule(Rule.MAX_INVESTORS)) == (True, 20)


@pytest.mark.parametrize(
    ("rule", "value"),
    [
        (Rule.COUNTRY_ALLOW_LIST, 0),
        (Rule.COUNTRY_DENY_LIST, 2),
        (Rule.MAX_INVESTORS, 0),
        (Rule.MAX_INVESTORS, 2**24),
        (Rule.HOLDING_CAP, 0),
        (Rule.HOLDING_CAP, 2**128),
        (Rule.LOCK_UP, 0),
        (Rule.LOCK_UP, 2**40),
        (Rule.MIN_TRANSFER, 0),
        (Rule.MIN_TRANSFER, 2**128),
    ],
    ids=lambda v: v.name if isinstance(v, Rule) else str(v),
)
def test_set_rule_refuses_a_value_that_does_not_fit(token, admin, rule, value):
    with reverts_with("InvalidRuleValue", rule=rule, value=value):
        token.setRule(rule, value, sender=admin)


def test_removing_an_inactive_rule_is_refused(token, admin):
    with reverts_with("RuleNotActive", rule=Rule.HOLDING_CAP):
        token.removeRule(Rule.HOLDING_CAP, sender=admin)


def test_set_countries_emits_countries_set_and_lists_them(token, admin):
    receipt = token.setCountries(Rule.COUNTRY_DENY_LIST, [USA, 1, 999], True, sender=admin)
    event = single_event(receipt, "CountriesSet")
    assert (event.list, list(event.countries), event.listed) == (
        Rule.COUNTRY_DENY_LIST,
        [USA, 1, 999],
        True,
    )
    assert token.countryListed(Rule.COUNTRY_DENY_LIST, USA) is True
    assert token.countryListed(Rule.COUNTRY_ALLOW_LIST, USA) is False  # lists are separate


def test_set_countries_on_a_rule_that_is_no_country_list_is_refused(token, admin):
    with reverts_with("NotACountryList", rule=Rule.MAX_INVESTORS):
        token.setCountries(Rule.MAX_INVESTORS, [USA], True, sender=admin)
    call_reverts_with(
        token, "countryListed", [Rule.LOCK_UP, USA], "NotACountryList", rule=Rule.LOCK_UP
    )


@pytest.mark.parametrize("country", [0, 1000])
def test_set_countries_refuses_an_invalid_country_code(token, admin, country):
    with reverts_with("InvalidRuleValue", rule=Rule.COUNTRY_ALLOW_LIST, value=country):
        token.setCountries(Rule.COUNTRY_ALLOW_LIST, [FRANCE, country], True, sender=admin)


# ------------------------------------------------------------------ ERC-20 edges


def test_zero_value_transfer_succeeds_and_emits_transfer(holders, admin, alice, outsider):
    token = holders
    _set(token, admin, Rule.MIN_TRANSFER, 100)
    assert reason_of(token, alice, outsider, 0) == "OK"
    receipt = token.transfer(outsider, 0, sender=alice)
    assert args_of(single_event(receipt, "Transfer")) == {
        "from": alice.address,
        "to": outsider.address,
        "value": 0,
    }
    assert token.balanceOf(alice) == 1000
    assert token.investorCount() == 2


def test_zero_value_transfer_from_needs_no_allowance_nor_registration(
    holders, enforcer, alice, carol, outsider
):
    """As in OpenZeppelin's ERC-20: anyone can make a zero Transfer event appear from a holder,
    even to an unregistered wallet and from a frozen one (only pause stops it)."""
    token = holders
    token.setAddressFrozen(alice, True, sender=enforcer)
    receipt = token.transferFrom(alice, outsider, 0, sender=carol)
    assert args_of(single_event(receipt, "Transfer")) == {
        "from": alice.address,
        "to": outsider.address,
        "value": 0,
    }


def test_transfer_above_balance_reverts_with_erc20_insufficient_balance(holders, alice, bob):
    token = holders
    assert reason_of(token, alice, bob, 1001) == "INSUFFICIENT_BALANCE"
    with reverts_with("ERC20InsufficientBalance", sender=alice, balance=1000, needed=1001):
        token.transfer(bob, 1001, sender=alice)


def test_transfer_to_the_zero_address_reverts_with_erc20_invalid_receiver(holders, alice):
    token = holders
    assert reason_of(token, alice, ZERO, 1) == "INVALID_RECIPIENT"
    with reverts_with("ERC20InvalidReceiver", receiver=ZERO):
        token.transfer(ZERO, 1, sender=alice)


def test_mint_to_the_zero_address_reverts_with_erc20_invalid_receiver(holders, issuer):
    with reverts_with("ERC20InvalidReceiver", receiver=ZERO):
        holders.mint(ZERO, 1, sender=issuer)


def test_burn_above_balance_reverts_with_erc20_insufficient_balance(holders, issuer, alice):
    with reverts_with("ERC20InsufficientBalance", sender=alice, balance=1000, needed=1001):
        holders.burn(alice, 1001, sender=issuer)


def test_transfer_from_obeys_the_rules_for_owner_and_recipient(
    holders, alice, bob, outsider, carol
):
    token = holders
    token.approve(outsider, 50, sender=alice)  # the spender need not be registered
    token.transferFrom(alice, carol, 20, sender=outsider)
    with restricted("RECIPIENT_NOT_REGISTERED"):
        token.transferFrom(alice, outsider, 20, sender=outsider)
    with reverts_with("ERC20InsufficientAllowance", spender=outsider, allowance=30, needed=31):
        token.transferFrom(alice, bob, 31, sender=outsider)


# ------------------------------------------------------------------ system accounts


@pytest.fixture
def escrow(holders, registry, registrar, outsider):
    """outsider registered as a system account (settlement escrow)."""
    registry.registerSystemAccount(outsider, "settlement escrow", sender=registrar)
    return outsider


def test_system_account_receives_without_investor_rules(
    holders, escrow, admin, alice, bob, registry, chain
):
    token = holders
    _set(token, admin, Rule.COUNTRY_ALLOW_LIST)  # no country allowed
    _set(token, admin, Rule.MAX_INVESTORS, 1)
    _set(token, admin, Rule.HOLDING_CAP, 10)
    assert reason_of(token, alice, escrow, 1000) == "OK"
    token.transfer(escrow, 1000, sender=alice)
    assert token.balanceOf(escrow) == 1000
    assert token.investorCount() == 1  # alice left, the escrow is no investor
    assert token.investorBalance(0) == 0
    check_invariants(token, registry, [alice, bob, escrow])


def test_system_account_can_be_minted_to_above_the_cap(holders, escrow, admin, issuer):
    token = holders
    _set(token, admin, Rule.HOLDING_CAP, 10)
    token.mint(escrow, 10_000, sender=issuer)
    assert token.investorCount() == 2


def test_system_account_sends_under_the_recipient_rules(
    holders, escrow, admin, alice, bob, carol, registry
):
    token = holders
    token.transfer(escrow, 500, sender=alice)
    token.transfer(alice, 100, sender=escrow)  # back to an existing investor
    _set(token, admin, Rule.MAX_INVESTORS, 2)
    with restricted("MAX_INVESTORS_REACHED"):
        token.transfer(carol, 100, sender=escrow)  # the escrow never "leaves" as an investor
    assert token.investorBalance(key_of("alice")) == 600
    check_invariants(token, registry, [alice, bob, escrow])


def test_removed_system_account_can_no_longer_send(
    holders, escrow, registry, registrar, alice, bob
):
    token = holders
    token.transfer(escrow, 10, sender=alice)
    registry.removeSystemAccount(escrow, sender=registrar)
    with restricted("SENDER_NOT_REGISTERED"):
        token.transfer(bob, 10, sender=escrow)
    with restricted("RECIPIENT_NOT_REGISTERED"):
        token.transfer(escrow, 10, sender=alice)

// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {SuiteTest} from "../utils/SuiteTest.sol";
import {ITransferRules} from "../../../interfaces/ITransferRules.sol";
import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";

/// @notice TransferRules (inherited by SecurityToken): rule administration, every reason
/// `_assess` can give (through `canTransfer` and through the refused transfer or mint itself),
/// holdings per investor and the investor count, and fuzzed agreement of `canTransfer` with
/// what a transfer or mint actually does.
contract TransferRulesTest is SuiteTest {
    ITransferRules.RuleType internal constant ALLOW = ITransferRules.RuleType.CountryAllowList;
    ITransferRules.RuleType internal constant DENY = ITransferRules.RuleType.CountryDenyList;
    ITransferRules.RuleType internal constant MAX_INVESTORS = ITransferRules.RuleType.MaxInvestors;
    ITransferRules.RuleType internal constant HOLDING_CAP = ITransferRules.RuleType.HoldingCap;
    ITransferRules.RuleType internal constant LOCK_UP = ITransferRules.RuleType.LockUp;
    ITransferRules.RuleType internal constant MIN_TRANSFER = ITransferRules.RuleType.MinTransfer;

    address internal eve = _actor("eve"); // linked to an investor by the tests that need her

    // ------------------------------------------------------------------ helpers

    function _countries(uint16 a) internal pure returns (uint16[] memory list) {
        list = new uint16[](1);
        list[0] = a;
    }

    function _countries(uint16 a, uint16 b) internal pure returns (uint16[] memory list) {
        list = new uint16[](2);
        (list[0], list[1]) = (a, b);
    }

    function _list(ITransferRules.RuleType list, uint16[] memory countries, bool listed) internal {
        vm.prank(tokenAdmin);
        token.setCountries(list, countries, listed);
    }

    function _removeRule(ITransferRules.RuleType ruleType) internal {
        vm.prank(tokenAdmin);
        token.removeRule(ruleType);
    }

    /// @dev `canTransfer` refuses with (code, reason) and so does the transfer (or mint when
    /// `from` is 0), with the same code and reason.
    function _expectRefused(address from, address to, uint256 amount, bytes1 code, bytes32 reason) internal {
        _assertCan(from, to, amount, code, reason);
        if (from == address(0)) {
            vm.prank(issuer);
            vm.expectRevert(_restricted(code, reason));
            token.mint(to, amount);
        } else {
            vm.prank(from);
            vm.expectRevert(_restricted(code, reason));
            token.transfer(to, amount);
        }
    }

    /// @dev `canTransfer` says OK and the transfer (or mint) goes through.
    function _expectAllowed(address from, address to, uint256 amount) internal {
        _assertCan(from, to, amount, CODE_SUCCESS, OK);
        if (from == address(0)) {
            _mint(to, amount);
        } else {
            vm.prank(from);
            token.transfer(to, amount);
        }
    }

    function _expire(address wallet, bytes32 id, uint16 country, uint40 expiry) internal {
        address[] memory wallets = new address[](1);
        wallets[0] = wallet;
        vm.prank(registryRegistrar);
        registry.updateInvestor(id, wallets, country, 1, expiry);
    }

    // ------------------------------------------------------------------ setRule / rule / removeRule

    function test_setRule_everyTypeAndReadBack() public {
        uint256 lockUntil = _now() + 7 days;
        ITransferRules.RuleType[6] memory types = [ALLOW, DENY, MAX_INVESTORS, HOLDING_CAP, LOCK_UP, MIN_TRANSFER];
        uint256[6] memory values = [uint256(1), 1, 50, 1e6, lockUntil, 10];
        for (uint256 i; i < types.length; ++i) {
            (bool before,) = token.rule(types[i]);
            assertFalse(before, "off at first");
            vm.expectEmit(true, false, false, true, address(token));
            emit ITransferRules.RuleSet(types[i], values[i]);
            _setRule(types[i], values[i]);
            (bool active, uint256 value) = token.rule(types[i]);
            assertTrue(active, "on");
            assertEq(value, values[i], "value");
        }
    }

    function test_setRule_changesParameter() public {
        _setRule(HOLDING_CAP, 100);
        _setRule(HOLDING_CAP, 200);
        (bool active, uint256 value) = token.rule(HOLDING_CAP);
        assertTrue(active, "on");
        assertEq(value, 200, "changed");
    }

    function test_setRule_acceptsTypeMaxima() public {
        _setRule(MAX_INVESTORS, type(uint24).max);
        _setRule(HOLDING_CAP, type(uint128).max);
        _setRule(LOCK_UP, type(uint40).max);
        _setRule(MIN_TRANSFER, type(uint128).max);
        (, uint256 v) = token.rule(MAX_INVESTORS);
        assertEq(v, type(uint24).max, "max investors");
        (, v) = token.rule(HOLDING_CAP);
        assertEq(v, type(uint128).max, "cap");
        (, v) = token.rule(LOCK_UP);
        assertEq(v, type(uint40).max, "lock-up");
        (, v) = token.rule(MIN_TRANSFER);
        assertEq(v, type(uint128).max, "min");
    }

    function test_setRule_revertsOnInvalidValues() public {
        ITransferRules.RuleType[12] memory types = [
            ALLOW,
            ALLOW,
            DENY,
            DENY,
            MAX_INVESTORS,
            MAX_INVESTORS,
            HOLDING_CAP,
            HOLDING_CAP,
            LOCK_UP,
            LOCK_UP,
            MIN_TRANSFER,
            MIN_TRANSFER
        ];
        uint256[12] memory values = [
            uint256(0),
            2,
            0,
            2,
            0,
            uint256(type(uint24).max) + 1,
            0,
            uint256(type(uint128).max) + 1,
            0,
            uint256(type(uint40).max) + 1,
            0,
            uint256(type(uint128).max) + 1
        ];
        for (uint256 i; i < types.length; ++i) {
            vm.prank(tokenAdmin);
            vm.expectRevert(abi.encodeWithSelector(ITransferRules.InvalidRuleValue.selector, types[i], values[i]));
            token.setRule(types[i], values[i]);
        }
    }

    function test_setRule_revertsForNonAdmin() public {
        vm.prank(issuer);
        vm.expectRevert(_unauthorized(issuer, DEFAULT_ADMIN_ROLE));
        token.setRule(MIN_TRANSFER, 1);
    }

    function test_removeRule() public {
        _setRule(MAX_INVESTORS, 3);
        _setRule(ALLOW, 1);
        vm.expectEmit(true, false, false, true, address(token));
        emit ITransferRules.RuleRemoved(MAX_INVESTORS);
        _removeRule(MAX_INVESTORS);
        (bool active, uint256 value) = token.rule(MAX_INVESTORS);
        assertFalse(active, "off");
        assertEq(value, 3, "parameter kept for when it is switched on again");
        _removeRule(ALLOW);
        (active, value) = token.rule(ALLOW);
        assertFalse(active, "list off");
        assertEq(value, 0, "list value follows the switch");
        (active,) = token.rule(MIN_TRANSFER);
        assertFalse(active, "others untouched");
    }

    function test_removeRule_revertsWhenNotActive() public {
        vm.prank(tokenAdmin);
        vm.expectRevert(abi.encodeWithSelector(ITransferRules.RuleNotActive.selector, LOCK_UP));
        token.removeRule(LOCK_UP);
    }

    function test_removeRule_revertsForNonAdmin() public {
        _setRule(LOCK_UP, _now() + 1);
        vm.prank(stranger);
        vm.expectRevert(_unauthorized(stranger, DEFAULT_ADMIN_ROLE));
        token.removeRule(LOCK_UP);
    }

    // ------------------------------------------------------------------ setCountries / countryListed

    function test_setCountries_listsAreIndependent() public {
        vm.expectEmit(true, false, false, true, address(token));
        emit ITransferRules.CountriesSet(ALLOW, _countries(DE, US), true);
        _list(ALLOW, _countries(DE, US), true);
        _list(DENY, _countries(US), true);
        assertTrue(token.countryListed(ALLOW, DE), "DE allowed");
        assertTrue(token.countryListed(ALLOW, US), "US allowed");
        assertTrue(token.countryListed(DENY, US), "US denied");
        assertFalse(token.countryListed(DENY, DE), "DE not denied");
        assertFalse(token.countryListed(ALLOW, FR), "FR not listed");
        _list(ALLOW, _countries(US), false);
        assertFalse(token.countryListed(ALLOW, US), "US taken off allow list");
        assertTrue(token.countryListed(DENY, US), "deny list untouched");
        assertTrue(token.countryListed(ALLOW, DE), "DE untouched");
        _list(DENY, new uint16[](0), true); // empty list: nothing to do
    }

    function test_setCountries_revertsOnInvalidCountry() public {
        uint16[2] memory bad = [uint16(0), 1000];
        for (uint256 i; i < bad.length; ++i) {
            vm.prank(tokenAdmin);
            vm.expectRevert(abi.encodeWithSelector(ITransferRules.InvalidRuleValue.selector, DENY, uint256(bad[i])));
            token.setCountries(DENY, _countries(DE, bad[i]), true);
        }
        _list(ALLOW, _countries(1, 999), true); // the edges are valid
        assertTrue(token.countryListed(ALLOW, 1) && token.countryListed(ALLOW, 999), "edges");
    }

    function test_setCountries_revertsOnNonListRule() public {
        ITransferRules.RuleType[4] memory notLists = [MAX_INVESTORS, HOLDING_CAP, LOCK_UP, MIN_TRANSFER];
        for (uint256 i; i < notLists.length; ++i) {
            vm.prank(tokenAdmin);
            vm.expectRevert(abi.encodeWithSelector(ITransferRules.NotACountryList.selector, notLists[i]));
            token.setCountries(notLists[i], _countries(DE), true);
            vm.expectRevert(abi.encodeWithSelector(ITransferRules.NotACountryList.selector, notLists[i]));
            token.countryListed(notLists[i], DE);
        }
    }

    function test_setCountries_revertsForNonAdmin() public {
        vm.prank(registrar);
        vm.expectRevert(_unauthorized(registrar, DEFAULT_ADMIN_ROLE));
        token.setCountries(ALLOW, _countries(DE), true);
    }

    // ------------------------------------------------------------------ _assess: one test per reason

    function test_assess_pausedComesFirst() public {
        _mint(alice, 10);
        vm.prank(pauser);
        token.pause();
        _assertCan(alice, address(0), 1, CODE_FAILURE, TOKEN_PAUSED);
        _expectRefused(alice, nobody, 100, CODE_FAILURE, TOKEN_PAUSED);
        _expectRefused(address(0), alice, 1, CODE_FAILURE, TOKEN_PAUSED);
    }

    function test_assess_invalidRecipient() public {
        _mint(alice, 10);
        _assertCan(alice, address(0), 1, CODE_INVALID_RECEIVER, INVALID_RECIPIENT);
        _assertCan(address(0), address(0), 1, CODE_INVALID_RECEIVER, INVALID_RECIPIENT);
    }

    function test_assess_zeroAmountIsAlwaysOk() public {
        _setRule(MIN_TRANSFER, 5);
        _setRule(LOCK_UP, _now() + 1 days);
        _freezeAll(alice, true);
        _expectAllowed(nobody, stranger, 0);
        _expectAllowed(alice, nobody, 0);
        _expectAllowed(address(0), nobody, 0);
    }

    function test_assess_insufficientBalance() public {
        _mint(alice, 10);
        _assertCan(alice, bob, 11, CODE_INSUFFICIENT_FUNDS, INSUFFICIENT_BALANCE);
        _assertCan(nobody, bob, 1, CODE_INSUFFICIENT_FUNDS, INSUFFICIENT_BALANCE);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IERC20Errors.ERC20InsufficientBalance.selector, alice, 10, 11));
        token.transfer(bob, 11);
    }

    function test_assess_senderFrozen() public {
        _mint(alice, 10);
        _freezeAll(alice, true);
        _expectRefused(alice, bob, 1, CODE_FUNDS_LOCKED, SENDER_FROZEN);
    }

    function test_assess_frozenBalance() public {
        _mint(alice, 10);
        _freeze(alice, 4);
        _expectRefused(alice, bob, 7, CODE_FUNDS_LOCKED, FROZEN_BALANCE);
        _expectAllowed(alice, bob, 6);
    }

    function test_assess_freezesElsewhereDoNotBlock() public {
        _mint(alice, 10);
        _mint(carol, 10);
        _freezeAll(carol, true);
        _expectAllowed(alice, bob, 5); // a frozen wallet exists, but not on this transfer
        _expectAllowed(address(0), bob, 5);
    }

    function test_assess_recipientFrozen() public {
        _mint(alice, 10);
        _freezeAll(bob, true);
        _expectRefused(alice, bob, 1, CODE_INVALID_RECEIVER, RECIPIENT_FROZEN);
        _expectRefused(address(0), bob, 1, CODE_INVALID_RECEIVER, RECIPIENT_FROZEN);
        _freezeAll(escrow, true); // a frozen system account receives nothing either
        _expectRefused(alice, escrow, 1, CODE_INVALID_RECEIVER, RECIPIENT_FROZEN);
    }

    function test_assess_senderNotRegistered() public {
        _mint(alice2, 10);
        _mint(escrow, 10);
        vm.startPrank(registryRegistrar);
        registry.removeWallet(alice2);
        registry.removeSystemAccount(escrow);
        vm.stopPrank();
        _expectRefused(alice2, bob, 1, CODE_INVALID_SENDER, SENDER_NOT_REGISTERED);
        _expectRefused(escrow, bob, 1, CODE_INVALID_SENDER, SENDER_NOT_REGISTERED);
    }

    function test_assess_systemSenderNeedsNoEligibility() public {
        _mint(escrow, 10);
        _expectAllowed(escrow, bob, 10);
    }

    function test_assess_eligibilityExpiry() public {
        _mint(alice, 10);
        _mint(bob, 10);
        vm.warp(uint256(EXPIRY) - 1);
        _expectAllowed(alice, bob, 1); // last second of eligibility
        vm.warp(EXPIRY); // expiry <= now: expired
        _expire(bob, BOB_ID, US, uint40(EXPIRY + 30 days));
        _expectRefused(alice, bob, 1, CODE_INVALID_SENDER, SENDER_ELIGIBILITY_EXPIRED);
        _expectRefused(bob, alice, 1, CODE_INVALID_RECEIVER, RECIPIENT_ELIGIBILITY_EXPIRED);
        _expectRefused(address(0), alice, 1, CODE_INVALID_RECEIVER, RECIPIENT_ELIGIBILITY_EXPIRED);
        _expectAllowed(bob, escrow, 1);
    }

    function test_assess_lockUp() public {
        _mint(alice, 10);
        uint256 until = _now() + 10 days;
        _setRule(LOCK_UP, until);
        _expectRefused(alice, bob, 1, CODE_FUNDS_LOCKED, LOCKED_UP);
        _expectRefused(alice, alice2, 1, CODE_FUNDS_LOCKED, LOCKED_UP);
        _expectAllowed(address(0), bob, 1); // mints are not locked up
        vm.warp(until - 1);
        _expectRefused(alice, bob, 1, CODE_FUNDS_LOCKED, LOCKED_UP);
        vm.warp(until);
        _expectAllowed(alice, bob, 1);
        _removeRule(LOCK_UP);
        _setRule(LOCK_UP, until + 1 days);
        _removeRule(LOCK_UP); // off: the date no longer matters
        _expectAllowed(alice, bob, 1);
    }

    function test_assess_minTransfer() public {
        _mint(alice, 100);
        _setRule(MIN_TRANSFER, 10);
        _expectRefused(alice, bob, 9, CODE_FAILURE, BELOW_MIN_TRANSFER);
        _expectAllowed(alice, bob, 10);
        _expectAllowed(address(0), bob, 1); // mints have no minimum
        _removeRule(MIN_TRANSFER);
        _expectAllowed(alice, bob, 1);
    }

    function test_assess_recipientNotRegistered() public {
        _mint(alice, 10);
        vm.prank(registryRegistrar);
        registry.removeWallet(alice2);
        _expectRefused(alice, nobody, 1, CODE_INVALID_RECEIVER, RECIPIENT_NOT_REGISTERED);
        _expectRefused(alice, alice2, 1, CODE_INVALID_RECEIVER, RECIPIENT_NOT_REGISTERED);
        _expectRefused(address(0), nobody, 1, CODE_INVALID_RECEIVER, RECIPIENT_NOT_REGISTERED);
    }

    function test_assess_systemRecipientSkipsInvestorRules() public {
        _mint(alice, 100);
        _setRule(ALLOW, 1); // empty allow list
        _setRule(HOLDING_CAP, 1);
        _setRule(MAX_INVESTORS, 1);
        _expectAllowed(alice, escrow, 50);
        _expectAllowed(address(0), escrow, 50);
        assertEq(token.balanceOf(escrow), 100, "escrow");
    }

    function test_assess_countryAllowList() public {
        _mint(alice, 10);
        _list(ALLOW, _countries(DE), true);
        _expectAllowed(alice, bob, 1); // listed but the rule is off
        _setRule(ALLOW, 1);
        _expectRefused(alice, bob, 1, CODE_INVALID_RECEIVER, COUNTRY_NOT_ALLOWED);
        _expectRefused(address(0), bob, 1, CODE_INVALID_RECEIVER, COUNTRY_NOT_ALLOWED);
        _expectAllowed(address(0), alice, 1);
        _expectAllowed(alice, alice2, 1);
        _list(ALLOW, _countries(US), true);
        _expectAllowed(alice, bob, 1);
    }

    function test_assess_countryDenyList() public {
        _mint(alice, 10);
        _list(DENY, _countries(US), true);
        _expectAllowed(alice, bob, 1); // listed but the rule is off
        _setRule(DENY, 1);
        _expectRefused(alice, bob, 1, CODE_INVALID_RECEIVER, COUNTRY_DENIED);
        _expectRefused(address(0), bob, 1, CODE_INVALID_RECEIVER, COUNTRY_DENIED);
        _expectAllowed(alice, carol, 1);
        _list(DENY, _countries(US), false);
        _expectAllowed(alice, bob, 1);
    }

    function test_assess_bothCountryLists() public {
        _mint(alice, 10);
        _list(ALLOW, _countries(US, FR), true);
        _list(DENY, _countries(US), true);
        _setRule(ALLOW, 1);
        _setRule(DENY, 1);
        _expectRefused(alice, bob, 1, CODE_INVALID_RECEIVER, COUNTRY_DENIED); // allowed and denied
        _expectRefused(alice, dave, 1, CODE_INVALID_RECEIVER, COUNTRY_NOT_ALLOWED); // neither
        _expectAllowed(alice, carol, 1); // allowed, not denied
    }

    function test_assess_countryRulesApplyBetweenWalletsOfOneInvestor() public {
        _mint(alice, 10);
        _setRule(DENY, 1);
        _list(DENY, _countries(DE), true);
        // The recipient checks come before the same-investor shortcut.
        _expectRefused(alice, alice2, 1, CODE_INVALID_RECEIVER, COUNTRY_DENIED);
    }

    function test_assess_holdingCap() public {
        _setRule(HOLDING_CAP, 100);
        _expectAllowed(address(0), alice, 100); // exactly the cap
        _expectRefused(address(0), alice, 1, CODE_INVALID_RECEIVER, HOLDING_CAP_EXCEEDED);
        _expectRefused(address(0), alice2, 1, CODE_INVALID_RECEIVER, HOLDING_CAP_EXCEEDED); // per investor
        _expectAllowed(alice, alice2, 60); // same investor: holding unchanged
        _mint(bob, 10);
        _expectRefused(bob, alice, 1, CODE_INVALID_RECEIVER, HOLDING_CAP_EXCEEDED);
        _expectAllowed(alice, bob, 40);
        _expectAllowed(alice2, bob, 50); // bob at the cap
        _expectRefused(alice2, bob, 1, CODE_INVALID_RECEIVER, HOLDING_CAP_EXCEEDED);
        _expectAllowed(bob, alice2, 50);
        _removeRule(HOLDING_CAP);
        _expectAllowed(address(0), alice, 1000);
    }

    function test_assess_maxInvestors() public {
        _mint(alice, 10);
        _mint(bob, 10);
        _setRule(MAX_INVESTORS, 2);
        _expectRefused(address(0), carol, 1, CODE_INVALID_RECEIVER, MAX_INVESTORS_REACHED);
        _expectRefused(bob, carol, 9, CODE_INVALID_RECEIVER, MAX_INVESTORS_REACHED); // bob stays
        _expectAllowed(address(0), alice2, 5); // an existing investor's new wallet
        _expectAllowed(bob, alice, 1); // existing holders
        _expectAllowed(bob, carol, 9); // bob leaves as carol joins
        assertEq(token.investorCount(), 2, "still two");
        _mint(escrow, 5);
        _expectRefused(escrow, dave, 5, CODE_INVALID_RECEIVER, MAX_INVESTORS_REACHED); // no investor leaves
    }

    function test_assess_maxInvestorsLoweredBelowCount() public {
        _mint(alice, 10);
        _mint(bob, 10);
        _mint(carol, 10);
        _setRule(MAX_INVESTORS, 2);
        // Three investors for a limit of two: even a leaving sender lets nobody new in...
        _expectRefused(carol, dave, 10, CODE_INVALID_RECEIVER, MAX_INVESTORS_REACHED);
        // ...but existing investors trade among themselves.
        _expectAllowed(carol, alice, 10);
        assertEq(token.investorCount(), 2, "carol left");
        _expectAllowed(bob, dave, 10); // at the limit: bob leaves as dave joins
    }

    function test_assess_maxInvestorsSenderLeavesAcrossWallets() public {
        _mint(alice, 10);
        _mint(alice2, 5);
        _mint(bob, 10);
        _setRule(MAX_INVESTORS, 2);
        // alice's investor holds 15 over two wallets: sending 10 does not make it leave.
        _expectRefused(alice, carol, 10, CODE_INVALID_RECEIVER, MAX_INVESTORS_REACHED);
        _expectAllowed(alice2, alice, 5);
        _expectAllowed(alice, carol, 15);
        assertEq(token.investorCount(), 2, "count");
        assertEq(token.investorBalance(_key(ALICE_ID)), 0, "alice left");
    }

    function test_assess_capAndMaxTogether() public {
        _mint(alice, 50);
        _setRule(HOLDING_CAP, 40);
        _setRule(MAX_INVESTORS, 1);
        _expectRefused(alice, bob, 50, CODE_INVALID_RECEIVER, HOLDING_CAP_EXCEEDED); // the cap is checked first
        _setRule(HOLDING_CAP, 50);
        _expectAllowed(alice, bob, 50); // within the cap, and alice leaves as bob joins
        assertEq(token.investorCount(), 1, "one investor");
    }

    // ------------------------------------------------------------------ holdings

    function test_holdings_countInvestorsNotWallets() public {
        _mint(alice, 10);
        _mint(alice2, 10);
        _mint(bob, 10);
        assertEq(token.investorCount(), 2, "two investors");
        vm.prank(alice);
        token.transfer(bob, 10);
        assertEq(token.investorCount(), 2, "alice still holds via alice2");
        vm.prank(alice2);
        token.transfer(escrow, 10);
        assertEq(token.investorCount(), 1, "alice left");
        assertEq(token.investorBalance(_key(ALICE_ID)), 0, "alice");
        assertEq(token.investorBalance(_key(BOB_ID)), 20, "bob");
    }

    /// @dev The token's stored holding record of an investor (TransferRules' `investorBalances`,
    /// member 4 of its namespace): holding + 1, or 0 when none is kept.
    function _holdingRecord(bytes32 id) internal view returns (uint256) {
        bytes32 slot = keccak256(abi.encode(uint256(_key(id)), uint256(RULES_SLOT) + 4));
        return uint256(vm.load(address(token), slot));
    }

    function test_holdings_oneWalletInvestorStoresNothing() public {
        _mint(bob, 10);
        vm.prank(bob);
        token.transfer(carol, 4);
        assertEq(token.investorBalance(_key(BOB_ID)), 6, "bob");
        assertEq(token.investorBalance(_key(CAROL_ID)), 4, "carol");
        assertEq(token.investorCount(), 2, "two investors");
        assertEq(_holdingRecord(BOB_ID), 0, "bob: his balance is his holding");
        assertEq(_holdingRecord(CAROL_ID), 0, "carol: her balance is her holding");
    }

    function test_holdings_multiWalletInvestorIsRecorded() public {
        _mint(alice2, 10); // alice has two wallets from the start
        assertEq(_holdingRecord(ALICE_ID), 11, "holding 10, recorded");
        assertEq(token.investorBalance(_key(ALICE_ID)), 10, "alice");
    }

    function test_holdings_secondWalletLinkedWhileHolding() public {
        _mint(bob, 100);
        _mint(carol, 100);
        _register(eve, BOB_ID, US); // bob's second wallet, after he holds
        assertEq(token.investorBalance(_key(BOB_ID)), 100, "read from his first wallet");
        assertEq(token.investorCount(), 2, "count unchanged");
        _setRule(HOLDING_CAP, 160);
        vm.prank(carol);
        token.transfer(eve, 50);
        assertEq(token.investorBalance(_key(BOB_ID)), 150, "both wallets");
        assertEq(token.investorCount(), 2, "bob counted once");
        // The cap counts both wallets: 10 more is fine, 11 more is not.
        _assertCan(carol, eve, 11, CODE_INVALID_RECEIVER, "HOLDING_CAP_EXCEEDED");
        _assertCan(carol, bob, 11, CODE_INVALID_RECEIVER, "HOLDING_CAP_EXCEEDED");
        _expectAllowed(carol, bob, 10);
        _removeRule(HOLDING_CAP);
        vm.prank(bob);
        token.transfer(carol, 110);
        assertEq(token.investorCount(), 2, "bob still holds in eve");
        vm.prank(eve);
        token.transfer(carol, 50);
        assertEq(token.investorCount(), 1, "bob left");
        assertEq(token.investorBalance(_key(BOB_ID)), 0, "bob holds nothing");
    }

    function test_holdings_movesBetweenOwnWalletsAfterTheSecondIsLinked() public {
        _mint(bob, 100);
        _register(eve, BOB_ID, US);
        vm.prank(bob);
        token.transfer(eve, 100); // the holding stays, but is no longer the first wallet's balance
        assertEq(token.investorBalance(_key(BOB_ID)), 100, "bob");
        vm.prank(eve);
        token.transfer(carol, 40);
        assertEq(token.investorBalance(_key(BOB_ID)), 60, "bob after");
        assertEq(token.investorCount(), 2, "bob and carol");
    }

    function test_holdings_registryRecoveryBeforeTheToken() public {
        _mint(bob, 100);
        vm.prank(registryRegistrar);
        registry.recoverWallet(bob, eve); // this instrument's registrar has not recovered yet
        _setRule(MAX_INVESTORS, 1);
        _mint(eve, 10); // bob is already counted: no new investor
        assertEq(token.investorCount(), 1, "one investor");
        assertEq(token.investorBalance(_key(BOB_ID)), 110, "both wallets");
        vm.prank(registrar);
        token.recoverWallet(bob, eve);
        assertEq(token.balanceOf(eve), 110, "recovered");
        assertEq(token.investorBalance(_key(BOB_ID)), 110, "unchanged");
        vm.prank(issuer);
        token.burn(eve, 110);
        assertEq(token.investorCount(), 0, "bob left");
    }

    // ------------------------------------------------------------------ fuzz: canTransfer agrees

    struct Scenario {
        uint256 aliceUnits;
        uint256 bobUnits;
        uint256 escrowUnits;
        uint8 rules; // bit i: RuleType(i) on
        uint256 cap;
        uint256 minTransfer;
        uint256 maxInvestors;
        uint256 lockUpDays;
        uint256 frozen;
        bool freezeBob;
        uint256 warpDays;
        uint8 from;
        uint8 to;
        uint256 amount;
    }

    function _wallet(uint8 i) internal view returns (address) {
        address[8] memory w = [address(0), alice, alice2, bob, carol, dave, escrow, nobody];
        return w[i % 8];
    }

    function _arrange(Scenario memory s) internal {
        s.aliceUnits = bound(s.aliceUnits, 0, 1e6);
        s.bobUnits = bound(s.bobUnits, 0, 1e6);
        s.escrowUnits = bound(s.escrowUnits, 0, 1e6);
        if (s.aliceUnits > 0) _mint(alice, s.aliceUnits);
        if (s.bobUnits > 0) _mint(bob, s.bobUnits);
        if (s.escrowUnits > 0) _mint(escrow, s.escrowUnits);
        if (s.frozen % 2 == 1 && s.aliceUnits > 0) _freeze(alice, bound(s.frozen, 1, s.aliceUnits));
        if (s.freezeBob) _freezeAll(bob, true);
        _list(ALLOW, _countries(DE, FR), true);
        _list(DENY, _countries(FR), true);
        if (s.rules & 1 != 0) _setRule(ALLOW, 1);
        if (s.rules & 2 != 0) _setRule(DENY, 1);
        if (s.rules & 4 != 0) _setRule(MAX_INVESTORS, bound(s.maxInvestors, 1, 4));
        if (s.rules & 8 != 0) _setRule(HOLDING_CAP, bound(s.cap, 1, 2e6));
        if (s.rules & 16 != 0) _setRule(LOCK_UP, _now() + bound(s.lockUpDays, 1, 60) * 1 days);
        if (s.rules & 32 != 0) _setRule(MIN_TRANSFER, bound(s.minTransfer, 1, 1e6));
        // Carol's eligibility ends in 20 days, the others' in a year: warping up to 400 days
        // crosses expiries and lock-ups.
        address[] memory w = new address[](1);
        w[0] = carol;
        vm.prank(registryRegistrar);
        registry.updateInvestor(CAROL_ID, w, FR, 1, uint40(_now() + 20 days));
        vm.warp(_now() + bound(s.warpDays, 0, 400) * 1 days);
    }

    /// @notice For fuzzed holdings, rules, freezes, expiries and amounts, a transfer succeeds
    /// exactly when `canTransfer` says OK, and a refused one reverts with the same code and reason.
    function testFuzz_canTransfer_agreesWithTransfer(Scenario memory s) public {
        _arrange(s);
        address from = _wallet(s.from);
        if (from == address(0)) from = alice;
        address to = _wallet(s.to);
        uint256 amount = bound(s.amount, 0, 2e6);
        (bytes1 code, bytes32 reason) = token.canTransfer(from, to, amount);
        uint256 supply = token.totalSupply();
        vm.prank(from);
        (bool ok, bytes memory ret) = address(token).call(abi.encodeCall(token.transfer, (to, amount)));
        assertEq(ok, code == CODE_SUCCESS, "success iff canTransfer OK");
        if (!ok) {
            bytes memory expected;
            if (to == address(0)) {
                expected = abi.encodeWithSelector(IERC20Errors.ERC20InvalidReceiver.selector, address(0));
            } else if (reason == INSUFFICIENT_BALANCE) {
                expected = abi.encodeWithSelector(
                    IERC20Errors.ERC20InsufficientBalance.selector, from, token.balanceOf(from), amount
                );
            } else {
                expected = _restricted(code, reason);
            }
            assertEq(ret, expected, "revert data");
        }
        assertEq(token.totalSupply(), supply, "supply unchanged");
        _assertHoldings();
    }

    /// @notice The same for mints (`canTransfer(0, to, amount)` against `mint`).
    function testFuzz_canTransfer_agreesWithMint(Scenario memory s) public {
        _arrange(s);
        address to = _wallet(s.to);
        uint256 amount = bound(s.amount, 0, 2e6);
        (bytes1 code, bytes32 reason) = token.canTransfer(address(0), to, amount);
        vm.prank(issuer);
        (bool ok, bytes memory ret) = address(token).call(abi.encodeCall(token.mint, (to, amount)));
        assertEq(ok, code == CODE_SUCCESS, "success iff canTransfer OK");
        if (!ok) {
            bytes memory expected = to == address(0)
                ? abi.encodeWithSelector(IERC20Errors.ERC20InvalidReceiver.selector, address(0))
                : _restricted(code, reason);
            assertEq(ret, expected, "revert data");
        }
        _assertHoldings();
    }

    /// @dev Holdings per investor equal the sum of its wallets; the count is the investors holding.
    function _assertHoldings() internal view {
        uint256 a = token.balanceOf(alice) + token.balanceOf(alice2);
        uint256 b = token.balanceOf(bob);
        uint256 c = token.balanceOf(carol);
        uint256 d = token.balanceOf(dave);
        assertEq(token.investorBalance(_key(ALICE_ID)), a, "alice holding");
        assertEq(token.investorBalance(_key(BOB_ID)), b, "bob holding");
        assertEq(token.investorBalance(_key(CAROL_ID)), c, "carol holding");
        assertEq(token.investorBalance(_key(DAVE_ID)), d, "dave holding");
        uint256 count = (a > 0 ? 1 : 0) + (b > 0 ? 1 : 0) + (c > 0 ? 1 : 0) + (d > 0 ? 1 : 0);
        assertEq(token.investorCount(), count, "investor count");
        assertEq(token.totalSupply(), a + b + c + d + token.balanceOf(escrow), "supply");
    }
}

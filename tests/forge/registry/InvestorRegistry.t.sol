// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {SuiteTest} from "../utils/SuiteTest.sol";
import {Vm} from "../utils/Vm.sol";
import {InvestorRegistry} from "../../../contracts/registry/InvestorRegistry.sol";
import {IInvestorRegistry} from "../../../interfaces/IInvestorRegistry.sol";
import {
    IAccessControlDefaultAdminRules
} from "@openzeppelin/contracts/access/extensions/IAccessControlDefaultAdminRules.sol";
import {Initializable} from "@openzeppelin/contracts/proxy/utils/Initializable.sol";

/// @notice InvestorRegistry: initialisation, every write with each of its revert branches, the
/// reads, roles and upgrades, plus fuzzed registration.
contract InvestorRegistryTest is SuiteTest {
    bytes32 internal constant IMPLEMENTATION_SLOT = 0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc;
    bytes32 internal constant EVE_ID = keccak256("investor:eve");

    address internal eve = _actor("eve");
    address internal eve2 = _actor("eve2");

    IInvestorRegistry.WalletKind internal constant NONE = IInvestorRegistry.WalletKind.None;
    IInvestorRegistry.WalletKind internal constant INVESTOR = IInvestorRegistry.WalletKind.Investor;
    IInvestorRegistry.WalletKind internal constant SYSTEM = IInvestorRegistry.WalletKind.System;
    IInvestorRegistry.WalletKind internal constant RETIRED = IInvestorRegistry.WalletKind.Retired;

    function _kind(address wallet) internal view returns (IInvestorRegistry.WalletKind) {
        return registry.identityOf(wallet).kind;
    }

    function _walletCount(bytes32 id) internal view returns (uint256 count) {
        (,,,, count) = registry.investor(id);
    }

    function _expectRegisterRevert(
        address wallet,
        bytes32 id,
        uint16 country,
        uint8 category,
        uint40 expiry,
        bytes memory err
    ) internal {
        vm.prank(registryRegistrar);
        vm.expectRevert(err);
        registry.registerInvestor(wallet, id, country, category, expiry);
    }

    /// @dev The two wallets in ascending order, as `updateInvestor` wants them.
    function _sorted(address a, address b) internal pure returns (address[] memory w) {
        w = new address[](2);
        (w[0], w[1]) = a < b ? (a, b) : (b, a);
    }

    function _one(address a) internal pure returns (address[] memory w) {
        w = new address[](1);
        w[0] = a;
    }

    // ------------------------------------------------------------------ initialisation

    function test_initialize_setsRolesAndCategories() public view {
        assertEq(registry.defaultAdmin(), admin, "admin");
        assertTrue(registry.hasRole(REGISTRAR_ROLE, registryRegistrar), "registrar");
        assertTrue(registry.hasRole(UPGRADER_ROLE, registryUpgrader), "upgrader");
        assertEq(registry.REGISTRAR_ROLE(), REGISTRAR_ROLE, "registrar role");
        assertEq(registry.UPGRADER_ROLE(), UPGRADER_ROLE, "upgrader role");
        assertEq(registry.categoryLabel(1), "retail", "1");
        assertEq(registry.categoryLabel(2), "professional", "2");
        assertEq(registry.categoryLabel(3), "institutional", "3");
        assertEq(registry.categoryLabel(4), "", "4 undefined");
        assertEq(uint256(registry.MAX_WALLETS_PER_INVESTOR()), 16, "max wallets");
        assertEq(
            address(uint160(uint256(vm.load(address(registry), IMPLEMENTATION_SLOT)))), address(registryImpl), "impl"
        );
    }

    function test_initialize_revertsOnZeroHolders() public {
        vm.expectRevert(IInvestorRegistry.ZeroValue.selector);
        _newProxy(address(registryImpl), abi.encodeCall(InvestorRegistry.initialize, (admin, address(0), stranger)));
        vm.expectRevert(IInvestorRegistry.ZeroValue.selector);
        _newProxy(address(registryImpl), abi.encodeCall(InvestorRegistry.initialize, (admin, stranger, address(0))));
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControlDefaultAdminRules.AccessControlInvalidDefaultAdmin.selector, address(0)
            )
        );
        _newProxy(address(registryImpl), abi.encodeCall(InvestorRegistry.initialize, (address(0), stranger, stranger)));
    }

    function test_initialize_onlyOnce() public {
        vm.expectRevert(Initializable.InvalidInitialization.selector);
        registry.initialize(admin, stranger, stranger);
        vm.expectRevert(Initializable.InvalidInitialization.selector);
        registryImpl.initialize(admin, stranger, stranger);
    }

    // ------------------------------------------------------------------ registerInvestor

    function test_registerInvestor_newInvestor() public {
        uint96 key = _key(EVE_ID);
        vm.expectEmit(true, false, false, true, address(registry));
        emit IInvestorRegistry.InvestorUpdated(EVE_ID, 756, 2, EXPIRY);
        vm.expectEmit(true, true, false, true, address(registry));
        emit IInvestorRegistry.WalletRegistered(eve, EVE_ID, key);
        vm.prank(registryRegistrar);
        registry.registerInvestor(eve, EVE_ID, 756, 2, EXPIRY);
        IInvestorRegistry.Identity memory id = registry.identityOf(eve);
        assertEq(uint256(id.investor), uint256(key), "key");
        assertEq(uint256(id.country), 756, "country");
        assertEq(uint256(id.category), 2, "category");
        assertEq(uint256(id.expiry), uint256(EXPIRY), "expiry");
        assertTrue(id.kind == INVESTOR, "kind");
        assertEq(registry.investorIdOf(eve), EVE_ID, "id");
        (uint96 k, uint16 c, uint8 cat, uint40 exp, uint8 n) = registry.investor(EVE_ID);
        assertEq(uint256(k), uint256(key), "investor key");
        assertEq(uint256(c), 756, "investor country");
        assertEq(uint256(cat), 2, "investor category");
        assertEq(uint256(exp), uint256(EXPIRY), "investor expiry");
        assertEq(uint256(n), 1, "wallet count");
        assertTrue(registry.isEligible(eve), "eligible");
    }

    function test_registerInvestor_secondWalletEmitsOnlyWalletRegistered() public {
        vm.prank(registryRegistrar);
        registry.registerInvestor(eve, EVE_ID, 756, 2, EXPIRY);
        vm.recordLogs();
        vm.prank(registryRegistrar);
        registry.registerInvestor(eve2, EVE_ID, 756, 2, EXPIRY);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        assertEq(logs.length, 1, "one event");
        assertEq(logs[0].topics[0], IInvestorRegistry.WalletRegistered.selector, "WalletRegistered");
        assertEq(_walletCount(EVE_ID), 2, "two wallets");
        assertEq(registry.investorIdOf(eve2), EVE_ID, "same investor");
    }

    // ------------------------------------------------------------------ first wallet, multiWallet

    function test_firstWallet_isTheFirstWalletEverLinked() public {
        assertEq(registry.firstWallet(_key(EVE_ID)), address(0), "unknown investor");
        vm.prank(registryRegistrar);
        registry.registerInvestor(eve, EVE_ID, 756, 2, EXPIRY);
        assertEq(registry.firstWallet(_key(EVE_ID)), eve, "first");
        vm.prank(registryRegistrar);
        registry.registerInvestor(eve2, EVE_ID, 756, 2, EXPIRY);
        vm.prank(registryRegistrar);
        registry.removeWallet(eve);
        assertEq(registry.firstWallet(_key(EVE_ID)), eve, "still the first once retired");
    }

    function test_multiWallet_offWhileTheInvestorHasHadOneWallet() public {
        vm.prank(registryRegistrar);
        registry.registerInvestor(eve, EVE_ID, 756, 2, EXPIRY);
        assertFalse(registry.identityOf(eve).multiWallet, "one wallet");
        vm.prank(registryRegistrar);
        registry.removeWallet(eve);
        assertFalse(registry.identityOf(eve).multiWallet, "still only ever one");
    }

    function test_multiWallet_secondWalletMarksTheFirstToo() public {
        vm.prank(registryRegistrar);
        registry.registerInvestor(eve, EVE_ID, 756, 2, EXPIRY);
        vm.prank(registryRegistrar);
        registry.registerInvestor(eve2, EVE_ID, 756, 2, EXPIRY);
        assertTrue(registry.identityOf(eve).multiWallet, "first wallet marked");
        assertTrue(registry.identityOf(eve2).multiWallet, "second wallet marked");
        assertFalse(registry.identityOf(bob).multiWallet, "other investors untouched");
    }

    function test_multiWallet_secondWalletAfterTheFirstIsRetired() public {
        vm.prank(registryRegistrar);
        registry.registerInvestor(eve, EVE_ID, 756, 2, EXPIRY);
        vm.prank(registryRegistrar);
        registry.removeWallet(eve);
        vm.prank(registryRegistrar);
        registry.registerInvestor(eve2, EVE_ID, 756, 2, EXPIRY);
        // Units of the retired first wallet still count for the investor.
        assertTrue(registry.identityOf(eve).multiWallet, "retired first wallet marked");
        assertTrue(registry.identityOf(eve2).multiWallet, "new wallet marked");
        assertEq(registry.investorIdOf(eve2), EVE_ID, "id");
    }

    function test_multiWallet_recoveryMarksBothWallets() public {
        assertFalse(registry.identityOf(bob).multiWallet, "bob has one wallet");
        vm.prank(registryRegistrar);
        registry.recoverWallet(bob, eve);
        // Instruments not recovered yet still hold units in the lost wallet.
        assertTrue(registry.identityOf(bob).multiWallet, "lost wallet marked");
        assertTrue(registry.identityOf(eve).multiWallet, "new wallet marked");
        assertEq(registry.firstWallet(_key(BOB_ID)), bob, "first wallet kept");
        assertEq(registry.investorIdOf(eve), BOB_ID, "id read through the first wallet");
    }

    function test_registerInvestor_attributesComparedWithTheRetiredFirstWallet() public {
        vm.prank(registryRegistrar);
        registry.removeWallet(bob);
        _expectRegisterRevert(
            eve, BOB_ID, GB, 1, EXPIRY, abi.encodeWithSelector(IInvestorRegistry.InvestorAttributesDiffer.selector, BOB_ID)
        );
        (, uint16 c, uint8 cat, uint40 exp,) = registry.investor(BOB_ID);
        vm.prank(registryRegistrar);
        registry.registerInvestor(eve, BOB_ID, c, cat, exp);
        assertEq(_walletCount(BOB_ID), 1, "one active wallet");
    }

    function test_registerInvestor_revertsOnZeroWalletIdOrKey() public {
        bytes memory zero = abi.encodeWithSelector(IInvestorRegistry.ZeroValue.selector);
        _expectRegisterRevert(address(0), EVE_ID, DE, 1, EXPIRY, zero);
        _expectRegisterRevert(eve, bytes32(0), DE, 1, EXPIRY, zero);
        // Non-zero id whose first 12 bytes (the key) are zero: key 0 means "no investor".
        _expectRegisterRevert(eve, bytes32(uint256(1)), DE, 1, EXPIRY, zero);
    }

    function test_registerInvestor_revertsOnKnownWallet() public {
        vm.prank(registryRegistrar);
        registry.removeWallet(alice2);
        _expectRegisterRevert(
            alice,
            EVE_ID,
            DE,
            1,
            EXPIRY,
            abi.encodeWithSelector(IInvestorRegistry.WalletAlreadyRegistered.selector, alice, INVESTOR)
        );
        _expectRegisterRevert(
            escrow,
            EVE_ID,
            DE,
            1,
            EXPIRY,
            abi.encodeWithSelector(IInvestorRegistry.WalletAlreadyRegistered.selector, escrow, SYSTEM)
        );
        _expectRegisterRevert(
            alice2,
            ALICE_ID,
            DE,
            1,
            EXPIRY,
            abi.encodeWithSelector(IInvestorRegistry.WalletAlreadyRegistered.selector, alice2, RETIRED)
        );
    }

    function test_registerInvestor_revertsOnInvalidAttributes() public {
        _expectRegisterRevert(
            eve, EVE_ID, 0, 1, EXPIRY, abi.encodeWithSelector(IInvestorRegistry.InvalidCountry.selector, 0)
        );
        _expectRegisterRevert(
            eve, EVE_ID, 1000, 1, EXPIRY, abi.encodeWithSelector(IInvestorRegistry.InvalidCountry.selector, 1000)
        );
        _expectRegisterRevert(
            eve, EVE_ID, DE, 0, EXPIRY, abi.encodeWithSelector(IInvestorRegistry.UnknownCategory.selector, 0)
        );
        _expectRegisterRevert(
            eve, EVE_ID, DE, 4, EXPIRY, abi.encodeWithSelector(IInvestorRegistry.UnknownCategory.selector, 4)
        );
        uint40 nowTs = uint40(_now());
        _expectRegisterRevert(
            eve, EVE_ID, DE, 1, nowTs, abi.encodeWithSelector(IInvestorRegistry.ExpiryNotInFuture.selector, nowTs)
        );
        _expectRegisterRevert(
            eve, EVE_ID, DE, 1, 0, abi.encodeWithSelector(IInvestorRegistry.ExpiryNotInFuture.selector, 0)
        );
        // The edges are valid.
        vm.prank(registryRegistrar);
        registry.registerInvestor(eve, EVE_ID, 999, 3, nowTs + 1);
        vm.prank(registryRegistrar);
        registry.registerInvestor(eve2, keccak256("investor:eve2"), 1, 1, nowTs + 1);
    }

    function test_registerInvestor_definedCategory() public {
        vm.prank(admin);
        registry.defineCategory(7, "qualified");
        vm.prank(registryRegistrar);
        registry.registerInvestor(eve, EVE_ID, DE, 7, EXPIRY);
        assertEq(uint256(registry.identityOf(eve).category), 7, "category 7");
    }

    function test_registerInvestor_revertsOnKeyCollision() public {
        // Same first 12 bytes as alice's id, another tail.
        bytes32 colliding = ALICE_ID ^ bytes32(uint256(1));
        _expectRegisterRevert(
            eve,
            colliding,
            DE,
            1,
            EXPIRY,
            abi.encodeWithSelector(IInvestorRegistry.InvestorKeyCollision.selector, colliding, ALICE_ID)
        );
    }

    function test_registerInvestor_revertsOnDifferentAttributes() public {
        bytes memory err = abi.encodeWithSelector(IInvestorRegistry.InvestorAttributesDiffer.selector, ALICE_ID);
        _expectRegisterRevert(eve, ALICE_ID, US, 1, EXPIRY, err); // country
        _expectRegisterRevert(eve, ALICE_ID, DE, 2, EXPIRY, err); // category
        _expectRegisterRevert(eve, ALICE_ID, DE, 1, EXPIRY + 1, err); // expiry
    }

    function test_registerInvestor_revertsAboveMaxWallets() public {
        for (uint256 i = 1; i < 16; ++i) {
            vm.prank(registryRegistrar);
            registry.registerInvestor(address(uint160(0xE000 + i)), EVE_ID, DE, 1, EXPIRY);
        }
        vm.prank(registryRegistrar);
        registry.registerInvestor(eve, EVE_ID, DE, 1, EXPIRY);
        assertEq(_walletCount(EVE_ID), 16, "sixteen");
        _expectRegisterRevert(
            eve2, EVE_ID, DE, 1, EXPIRY, abi.encodeWithSelector(IInvestorRegistry.TooManyWallets.selector, EVE_ID, 16)
        );
        // A removed wallet frees a place.
        vm.prank(registryRegistrar);
        registry.removeWallet(eve);
        vm.prank(registryRegistrar);
        registry.registerInvestor(eve2, EVE_ID, DE, 1, EXPIRY);
    }

    function test_registerInvestor_revertsForNonRegistrar() public {
        vm.prank(admin);
        vm.expectRevert(_unauthorized(admin, REGISTRAR_ROLE));
        registry.registerInvestor(eve, EVE_ID, DE, 1, EXPIRY);
    }

    // ------------------------------------------------------------------ registerInvestors

    function test_registerInvestors_batch() public {
        address[] memory w = new address[](2);
        bytes32[] memory ids = new bytes32[](2);
        uint16[] memory c = new uint16[](2);
        uint8[] memory cat = new uint8[](2);
        uint40[] memory exp = new uint40[](2);
        (w[0], w[1]) = (eve, eve2);
        (ids[0], ids[1]) = (EVE_ID, EVE_ID);
        (c[0], c[1]) = (DE, DE);
        (cat[0], cat[1]) = (1, 1);
        (exp[0], exp[1]) = (EXPIRY, EXPIRY);
        vm.prank(registryRegistrar);
        registry.registerInvestors(w, ids, c, cat, exp);
        assertEq(_walletCount(EVE_ID), 2, "two wallets");
        assertTrue(_kind(eve2) == INVESTOR, "eve2");
    }

    function test_registerInvestors_revertsOnLengthMismatch() public {
        address[] memory w1 = new address[](1);
        bytes32[] memory i1 = new bytes32[](1);
        uint16[] memory c1 = new uint16[](1);
        uint8[] memory k1 = new uint8[](1);
        uint40[] memory e1 = new uint40[](1);
        vm.startPrank(registryRegistrar);
        vm.expectRevert(IInvestorRegistry.LengthMismatch.selector);
        registry.registerInvestors(new address[](0), new bytes32[](0), new uint16[](0), new uint8[](0), new uint40[](0));
        vm.expectRevert(IInvestorRegistry.LengthMismatch.selector);
        registry.registerInvestors(w1, new bytes32[](2), c1, k1, e1);
        vm.expectRevert(IInvestorRegistry.LengthMismatch.selector);
        registry.registerInvestors(w1, i1, new uint16[](2), k1, e1);
        vm.expectRevert(IInvestorRegistry.LengthMismatch.selector);
        registry.registerInvestors(w1, i1, c1, new uint8[](0), e1);
        vm.expectRevert(IInvestorRegistry.LengthMismatch.selector);
        registry.registerInvestors(w1, i1, c1, k1, new uint40[](3));
        vm.stopPrank();
    }

    function test_registerInvestors_isAtomic() public {
        address[] memory w = new address[](2);
        bytes32[] memory ids = new bytes32[](2);
        uint16[] memory c = new uint16[](2);
        uint8[] memory cat = new uint8[](2);
        uint40[] memory exp = new uint40[](2);
        (w[0], w[1]) = (eve, alice); // alice is taken
        (ids[0], ids[1]) = (EVE_ID, EVE_ID);
        (c[0], c[1]) = (DE, DE);
        (cat[0], cat[1]) = (1, 1);
        (exp[0], exp[1]) = (EXPIRY, EXPIRY);
        vm.prank(registryRegistrar);
        vm.expectRevert(abi.encodeWithSelector(IInvestorRegistry.WalletAlreadyRegistered.selector, alice, INVESTOR));
        registry.registerInvestors(w, ids, c, cat, exp);
        assertTrue(_kind(eve) == NONE, "eve not registered");
    }

    function test_registerInvestors_revertsForNonRegistrar() public {
        vm.prank(stranger);
        vm.expectRevert(_unauthorized(stranger, REGISTRAR_ROLE));
        registry.registerInvestors(new address[](1), new bytes32[](1), new uint16[](1), new uint8[](1), new uint40[](1));
    }

    // ------------------------------------------------------------------ updateInvestor

    function test_updateInvestor_rewritesEveryWallet() public {
        uint40 later = EXPIRY + 100 days;
        vm.expectEmit(true, false, false, true, address(registry));
        emit IInvestorRegistry.InvestorUpdated(ALICE_ID, US, 3, later);
        vm.prank(registryRegistrar);
        registry.updateInvestor(ALICE_ID, _sorted(alice, alice2), US, 3, later);
        address[2] memory ws = [alice, alice2];
        for (uint256 i; i < 2; ++i) {
            IInvestorRegistry.Identity memory id = registry.identityOf(ws[i]);
            assertEq(uint256(id.country), US, "country");
            assertEq(uint256(id.category), 3, "category");
            assertEq(uint256(id.expiry), uint256(later), "expiry");
        }
        (, uint16 c, uint8 cat, uint40 exp, uint8 n) = registry.investor(ALICE_ID);
        assertEq(uint256(c), US, "investor country");
        assertEq(uint256(cat), 3, "investor category");
        assertEq(uint256(exp), uint256(later), "investor expiry");
        assertEq(uint256(n), 2, "wallets");
        // A new wallet must now carry the new attributes.
        vm.prank(registryRegistrar);
        registry.registerInvestor(eve, ALICE_ID, US, 3, later);
    }

    function test_updateInvestor_revivesExpiredInvestor() public {
        vm.warp(uint256(EXPIRY) + 1);
        assertFalse(registry.isEligible(bob), "expired");
        vm.prank(registryRegistrar);
        registry.updateInvestor(BOB_ID, _one(bob), US, 1, uint40(_now() + 1 days));
        assertTrue(registry.isEligible(bob), "eligible again");
    }

    function test_updateInvestor_withNoWalletsLeft() public {
        vm.prank(registryRegistrar);
        registry.removeWallet(bob);
        vm.prank(registryRegistrar);
        registry.updateInvestor(BOB_ID, new address[](0), GB, 2, EXPIRY);
        (, uint16 c,,, uint8 n) = registry.investor(BOB_ID);
        assertEq(uint256(c), GB, "country");
        assertEq(uint256(n), 0, "no wallets");
        // Bob's retired wallet was his first: it carries the investor's attributes, and stays retired.
        assertEq(uint256(registry.identityOf(bob).country), GB, "first wallet's copy updated");
        assertTrue(_kind(bob) == RETIRED, "still retired");
        assertFalse(registry.isEligible(bob), "not eligible");
    }

    function test_updateInvestor_leavesARetiredLaterWalletsCopy() public {
        vm.prank(registryRegistrar);
        registry.removeWallet(alice2);
        vm.prank(registryRegistrar);
        registry.updateInvestor(ALICE_ID, _one(alice), GB, 2, EXPIRY);
        // A retired wallet other than the first is no investor wallet any more: its copy stays.
        assertEq(uint256(registry.identityOf(alice2).country), DE, "retired copy untouched");
        assertEq(uint256(registry.identityOf(alice).country), GB, "active wallet updated");
    }

    function test_updateInvestor_revertsOnInvalidAttributes() public {
        vm.startPrank(registryRegistrar);
        vm.expectRevert(abi.encodeWithSelector(IInvestorRegistry.InvalidCountry.selector, 0));
        registry.updateInvestor(BOB_ID, _one(bob), 0, 1, EXPIRY);
        vm.expectRevert(abi.encodeWithSelector(IInvestorRegistry.UnknownCategory.selector, 9));
        registry.updateInvestor(BOB_ID, _one(bob), US, 9, EXPIRY);
        vm.expectRevert(abi.encodeWithSelector(IInvestorRegistry.ExpiryNotInFuture.selector, 1));
        registry.updateInvestor(BOB_ID, _one(bob), US, 1, 1);
        vm.stopPrank();
    }

    function test_updateInvestor_revertsOnUnknownInvestor() public {
        vm.startPrank(registryRegistrar);
        vm.expectRevert(abi.encodeWithSelector(IInvestorRegistry.UnknownInvestor.selector, EVE_ID));
        registry.updateInvestor(EVE_ID, new address[](0), DE, 1, EXPIRY);
        bytes32 colliding = BOB_ID ^ bytes32(uint256(1)); // bob's key, another id
        vm.expectRevert(abi.encodeWithSelector(IInvestorRegistry.UnknownInvestor.selector, colliding));
        registry.updateInvestor(colliding, _one(bob), US, 1, EXPIRY);
        vm.stopPrank();
    }

    function test_updateInvestor_revertsOnWrongWalletList() public {
        address[] memory sorted = _sorted(alice, alice2);
        address[] memory reversed = new address[](2);
        (reversed[0], reversed[1]) = (sorted[1], sorted[0]);
        address[] memory duplicated = new address[](2);
        (duplicated[0], duplicated[1]) = (sorted[0], sorted[0]);
        address[] memory zero = new address[](2);
        (zero[0], zero[1]) = (address(0), sorted[1]);
        address[] memory foreign = _sorted(alice, bob);
        address[][6] memory lists = [_one(alice), reversed, duplicated, zero, foreign, _sorted(alice, escrow)];
        bytes memory err = abi.encodeWithSelector(IInvestorRegistry.WalletListMismatch.selector, ALICE_ID);
        for (uint256 i; i < lists.length; ++i) {
            vm.prank(registryRegistrar);
            vm.expectRevert(err);
            registry.updateInvestor(ALICE_ID, lists[i], DE, 1, EXPIRY);
        }
        // A retired wallet is no longer one of the investor's wallets.
        vm.prank(registryRegistrar);
        registry.removeWallet(alice2);
        vm.prank(registryRegistrar);
        vm.expectRevert(err);
        registry.updateInvestor(ALICE_ID, _one(alice2), DE, 1, EXPIRY);
        vm.prank(registryRegistrar);
        registry.updateInvestor(ALICE_ID, _one(alice), DE, 1, EXPIRY);
    }

    function test_updateInvestor_revertsForNonRegistrar() public {
        vm.prank(admin);
        vm.expectRevert(_unauthorized(admin, REGISTRAR_ROLE));
        registry.updateInvestor(BOB_ID, _one(bob), US, 1, EXPIRY);
    }

    // ------------------------------------------------------------------ removeWallet

    function test_removeWallet_retiresButKeepsTheLink() public {
        vm.expectEmit(true, true, false, true, address(registry));
        emit IInvestorRegistry.WalletRemoved(alice2, ALICE_ID);
        vm.prank(registryRegistrar);
        registry.removeWallet(alice2);
        assertTrue(_kind(alice2) == RETIRED, "retired");
        assertEq(registry.investorIdOf(alice2), ALICE_ID, "still bound");
        assertEq(uint256(registry.identityOf(alice2).investor), uint256(_key(ALICE_ID)), "key kept");
        assertFalse(registry.isEligible(alice2), "not eligible");
        assertEq(_walletCount(ALICE_ID), 1, "one wallet left");
    }

    function test_removeWallet_revertsUnlessInvestorWallet() public {
        vm.prank(registryRegistrar);
        registry.removeWallet(alice2);
        address[3] memory bad = [nobody, escrow, alice2];
        for (uint256 i; i < bad.length; ++i) {
            vm.prank(registryRegistrar);
            vm.expectRevert(abi.encodeWithSelector(IInvestorRegistry.WalletNotRegistered.selector, bad[i]));
            registry.removeWallet(bad[i]);
        }
    }

    function test_removeWallet_revertsForNonRegistrar() public {
        vm.prank(stranger);
        vm.expectRevert(_unauthorized(stranger, REGISTRAR_ROLE));
        registry.removeWallet(alice);
    }

    // ------------------------------------------------------------------ recoverWallet

    function test_recoverWallet_movesTheLink() public {
        IInvestorRegistry.Identity memory before = registry.identityOf(bob);
        vm.expectEmit(true, true, true, true, address(registry));
        emit IInvestorRegistry.WalletRecovered(bob, eve, BOB_ID);
        vm.prank(registryRegistrar);
        registry.recoverWallet(bob, eve);
        IInvestorRegistry.Identity memory moved = registry.identityOf(eve);
        assertEq(uint256(moved.investor), uint256(before.investor), "key");
        assertEq(uint256(moved.country), uint256(before.country), "country");
        assertEq(uint256(moved.expiry), uint256(before.expiry), "expiry");
        assertTrue(moved.kind == INVESTOR, "new wallet active");
        assertTrue(_kind(bob) == RETIRED, "lost wallet retired");
        assertEq(registry.investorIdOf(bob), BOB_ID, "lost still bound");
        assertEq(_walletCount(BOB_ID), 1, "count unchanged");
        vm.prank(registryRegistrar);
        registry.updateInvestor(BOB_ID, _one(eve), US, 1, EXPIRY); // the new wallet is the list now
    }

    function test_recoverWallet_revertsOnLostWalletNotActive() public {
        vm.prank(registryRegistrar);
        registry.removeWallet(alice2);
        address[3] memory bad = [nobody, escrow, alice2];
        for (uint256 i; i < bad.length; ++i) {
            vm.prank(registryRegistrar);
            vm.expectRevert(abi.encodeWithSelector(IInvestorRegistry.WalletNotRegistered.selector, bad[i]));
            registry.recoverWallet(bad[i], eve);
        }
    }

    function test_recoverWallet_revertsOnUnusableNewWallet() public {
        vm.prank(registryRegistrar);
        registry.removeWallet(alice2);
        vm.prank(registryRegistrar);
        vm.expectRevert(IInvestorRegistry.ZeroValue.selector);
        registry.recoverWallet(bob, address(0));
        address[3] memory taken = [alice, escrow, alice2];
        IInvestorRegistry.WalletKind[3] memory kinds = [INVESTOR, SYSTEM, RETIRED];
        for (uint256 i; i < taken.length; ++i) {
            vm.prank(registryRegistrar);
            vm.expectRevert(
                abi.encodeWithSelector(IInvestorRegistry.WalletAlreadyRegistered.selector, taken[i], kinds[i])
            );
            registry.recoverWallet(bob, taken[i]);
        }
    }

    function test_recoverWallet_revertsForNonRegistrar() public {
        vm.prank(registrar); // the token's registrar is not the registry's
        vm.expectRevert(_unauthorized(registrar, REGISTRAR_ROLE));
        registry.recoverWallet(bob, eve);
    }

    // ------------------------------------------------------------------ system accounts

    function test_registerSystemAccount() public {
        vm.expectEmit(true, false, false, true, address(registry));
        emit IInvestorRegistry.SystemAccountRegistered(eve, "bridge custody");
        vm.prank(registryRegistrar);
        registry.registerSystemAccount(eve, "bridge custody");
        IInvestorRegistry.Identity memory id = registry.identityOf(eve);
        assertTrue(id.kind == SYSTEM, "system");
        assertEq(uint256(id.investor), 0, "no investor");
        assertEq(registry.investorIdOf(eve), bytes32(0), "no id");
        assertTrue(registry.isEligible(eve), "eligible");
    }

    function test_registerSystemAccount_reverts() public {
        vm.startPrank(registryRegistrar);
        vm.expectRevert(IInvestorRegistry.ZeroValue.selector);
        registry.registerSystemAccount(address(0), "x");
        vm.expectRevert(abi.encodeWithSelector(IInvestorRegistry.WalletAlreadyRegistered.selector, alice, INVESTOR));
        registry.registerSystemAccount(alice, "x");
        vm.expectRevert(abi.encodeWithSelector(IInvestorRegistry.WalletAlreadyRegistered.selector, escrow, SYSTEM));
        registry.registerSystemAccount(escrow, "x");
        vm.stopPrank();
        vm.prank(stranger);
        vm.expectRevert(_unauthorized(stranger, REGISTRAR_ROLE));
        registry.registerSystemAccount(eve, "x");
    }

    function test_removeSystemAccount() public {
        vm.expectEmit(true, false, false, false, address(registry));
        emit IInvestorRegistry.SystemAccountRemoved(escrow);
        vm.prank(registryRegistrar);
        registry.removeSystemAccount(escrow);
        assertTrue(_kind(escrow) == RETIRED, "retired");
        assertFalse(registry.isEligible(escrow), "not eligible");
        vm.prank(registryRegistrar);
        vm.expectRevert(abi.encodeWithSelector(IInvestorRegistry.WalletAlreadyRegistered.selector, escrow, RETIRED));
        registry.registerSystemAccount(escrow, "again");
    }

    function test_removeSystemAccount_reverts() public {
        vm.prank(registryRegistrar);
        registry.removeSystemAccount(escrow);
        address[3] memory bad = [nobody, alice, escrow];
        for (uint256 i; i < bad.length; ++i) {
            vm.prank(registryRegistrar);
            vm.expectRevert(abi.encodeWithSelector(IInvestorRegistry.WalletNotRegistered.selector, bad[i]));
            registry.removeSystemAccount(bad[i]);
        }
        vm.prank(stranger);
        vm.expectRevert(_unauthorized(stranger, REGISTRAR_ROLE));
        registry.removeSystemAccount(escrow);
    }

    // ------------------------------------------------------------------ categories

    function test_defineCategory() public {
        vm.expectEmit(true, false, false, true, address(registry));
        emit IInvestorRegistry.CategoryDefined(9, "family office");
        vm.prank(admin);
        registry.defineCategory(9, "family office");
        assertEq(registry.categoryLabel(9), "family office", "label");
        vm.prank(admin);
        registry.defineCategory(1, "retail (MiFID II)"); // built-ins can be renamed
        assertEq(registry.categoryLabel(1), "retail (MiFID II)", "renamed");
    }

    function test_defineCategory_reverts() public {
        vm.startPrank(admin);
        vm.expectRevert(abi.encodeWithSelector(IInvestorRegistry.UnknownCategory.selector, 0));
        registry.defineCategory(0, "zero");
        vm.expectRevert(abi.encodeWithSelector(IInvestorRegistry.UnknownCategory.selector, 5));
        registry.defineCategory(5, "");
        vm.stopPrank();
        vm.prank(registryRegistrar);
        vm.expectRevert(_unauthorized(registryRegistrar, DEFAULT_ADMIN_ROLE));
        registry.defineCategory(5, "five");
    }

    // ------------------------------------------------------------------ reads

    function test_identityPair() public view {
        (IInvestorRegistry.Identity memory a, IInvestorRegistry.Identity memory b) =
            registry.identityPair(alice, escrow);
        assertEq(uint256(a.investor), uint256(_key(ALICE_ID)), "alice");
        assertTrue(b.kind == SYSTEM, "escrow");
        (a, b) = registry.identityPair(nobody, bob);
        assertTrue(a.kind == NONE, "nobody");
        assertEq(uint256(b.country), US, "bob");
    }

    function test_investor_unknownIsZero() public view {
        (uint96 key, uint16 c, uint8 cat, uint40 exp, uint8 n) = registry.investor(EVE_ID);
        assertEq(uint256(key), uint256(_key(EVE_ID)), "key is still derived");
        assertEq(uint256(c) + cat + exp + n, 0, "all zero");
        (key, c, cat, exp, n) = registry.investor(ALICE_ID ^ bytes32(uint256(1))); // alice's key, another id
        assertEq(uint256(c) + cat + exp + n, 0, "another id with the same key is unknown");
        assertEq(registry.investorIdOf(nobody), bytes32(0), "no id");
    }

    function test_isEligible_expiryBoundary() public {
        vm.warp(uint256(EXPIRY) - 1);
        assertTrue(registry.isEligible(alice), "before expiry");
        vm.warp(EXPIRY);
        assertFalse(registry.isEligible(alice), "at expiry");
        assertTrue(registry.isEligible(escrow), "system accounts do not expire");
        assertFalse(registry.isEligible(nobody), "unregistered");
    }

    function test_investorKey_isTheFirstTwelveBytes() public view {
        assertEq(
            uint256(registry.investorKey(bytes32(hex"0102030405060708090a0b0c"))), 0x0102030405060708090a0b0c, "key"
        );
        assertEq(uint256(registry.investorKey(bytes32(uint256(type(uint160).max)))), 0, "tail only");
    }

    // ------------------------------------------------------------------ roles and upgrades

    function test_roles_upgraderAdministersItself() public {
        assertEq(registry.getRoleAdmin(UPGRADER_ROLE), UPGRADER_ROLE, "upgrader");
        assertEq(registry.getRoleAdmin(REGISTRAR_ROLE), DEFAULT_ADMIN_ROLE, "registrar");
        vm.prank(admin);
        vm.expectRevert(_unauthorized(admin, UPGRADER_ROLE));
        registry.grantRole(UPGRADER_ROLE, admin);
        vm.prank(admin);
        registry.grantRole(REGISTRAR_ROLE, stranger);
        vm.prank(stranger);
        registry.registerSystemAccount(eve, "custody");
    }

    function test_upgrade_onlyByUpgrader() public {
        InvestorRegistry next = _newRegistryImpl();
        vm.prank(admin);
        vm.expectRevert(_unauthorized(admin, UPGRADER_ROLE));
        registry.upgradeToAndCall(address(next), "");
        vm.prank(registryUpgrader);
        registry.upgradeToAndCall(address(next), "");
        assertEq(address(uint160(uint256(vm.load(address(registry), IMPLEMENTATION_SLOT)))), address(next), "impl");
        assertEq(registry.investorIdOf(alice), ALICE_ID, "state kept");
    }

    // ------------------------------------------------------------------ fuzz

    /// @notice Registration succeeds exactly when wallet, id, key and attributes are valid; the
    /// id is then recovered from the wallet, and the key is the id's first 12 bytes.
    function testFuzz_registerInvestor(address wallet, bytes32 id, uint16 country, uint8 category, uint40 expiry)
        public
    {
        vm.assume(_kind(wallet) == NONE);
        (,,, uint40 existingExpiry,) = registry.investor(id);
        vm.assume(existingExpiry == 0); // a new investor (existing ones are covered above)
        uint96 key = uint96(bytes12(id));
        // Keys of the investors set up already (a colliding id is covered above).
        vm.assume(key != _key(ALICE_ID) && key != _key(BOB_ID) && key != _key(CAROL_ID) && key != _key(DAVE_ID));
        bool valid = wallet != address(0) && id != bytes32(0) && uint96(bytes12(id)) != 0 && country != 0
            && country <= 999 && category >= 1 && category <= 3 && expiry > _now();
        vm.prank(registryRegistrar);
        (bool ok,) =
            address(registry).call(abi.encodeCall(registry.registerInvestor, (wallet, id, country, category, expiry)));
        assertEq(ok, valid, "registration succeeds iff valid");
        if (ok) {
            assertEq(registry.investorIdOf(wallet), id, "id round trip");
            assertEq(uint256(registry.investorKey(id)), uint256(uint96(bytes12(id))), "key");
            assertEq(registry.isEligible(wallet), true, "eligible");
        }
    }
}

// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {SplitsBase} from "./SplitsBase.sol";
import {LyingRecordDates} from "./LifecycleTest.sol";
import {Vm} from "../utils/Vm.sol";
import {SecurityToken} from "../../../contracts/token/SecurityToken.sol";
import {ISplits} from "../../../interfaces/ISplits.sol";
import {ISecurityToken} from "../../../interfaces/ISecurityToken.sol";
import {IRecordDates} from "../../../interfaces/IRecordDates.sol";
import {ITransferRules} from "../../../interfaces/ITransferRules.sol";
import {IDistributions} from "../../../interfaces/IDistributions.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {Initializable} from "@openzeppelin/contracts/proxy/utils/Initializable.sol";

/// @notice Splits: set-up and roles, announcement and its refusals, splits applied by batches
/// and claims, held units and their release, consolidations, the instrument states each needs,
/// the deadline, and the views.
contract SplitsTest is SplitsBase {
    bytes32 internal constant SPLITS_UPGRADER_ROLE = keccak256("UPGRADER_ROLE");
    uint256 internal constant SUPPLY = 10_500;
    uint40 internal constant RECORD_DATE = uint40(T0 + 1 days);
    uint40 internal constant DEADLINE = uint40(T0 + 30 days);

    ISecurityToken.LifecycleState internal constant ACTIVE = ISecurityToken.LifecycleState.Active;
    ISecurityToken.LifecycleState internal constant SUSPENDED = ISecurityToken.LifecycleState.Suspended;

    function _refusedAnnounce(ISplits.Terms memory t, string memory ref_) internal returns (bytes memory) {
        vm.prank(agent);
        (bool ok, bytes memory ret) = address(splits).call(abi.encodeCall(ISplits.announce, (t, ref_)));
        assertFalse(ok, "refused");
        return ret;
    }

    function _t(ISplits.Kind kind, uint32 n, uint32 d, uint256 rd, uint256 dl) internal view returns (ISplits.Terms memory) {
        return _sterms(token, kind, n, d, rd, dl);
    }

    function _err(bytes4 selector, uint256 id, address who) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(selector, id, who);
    }

    // ------------------------------------------------------------------ set-up and roles

    function test_initialize_grantsRoles_andConstants() public view {
        assertEq(splits.defaultAdmin(), caAdmin, "admin");
        assertTrue(splits.hasRole(SPLITS_UPGRADER_ROLE, caUpgrader), "upgrader");
        assertEq(splits.getRoleAdmin(SPLITS_UPGRADER_ROLE), SPLITS_UPGRADER_ROLE, "upgrader administers itself");
        assertEq(splits.UPGRADER_ROLE(), SPLITS_UPGRADER_ROLE, "role id");
        assertEq(splits.MAX_BATCH(), 100, "max batch");
        assertEq(splits.MAX_REFERENCE_LENGTH(), 35, "max reference");
        assertEq(splits.MAX_PERIOD(), 3650 days, "max period");
        assertEq(splits.MAX_RATIO_TERM(), 1_000_000, "max ratio term");
        assertEq(splits.splitCount(), 0, "none yet");
    }

    function test_initialize_refusesZeroUpgrader_andSecondCalls() public {
        vm.expectRevert(abi.encodeWithSelector(ISplits.InvalidConfiguration.selector, bytes32("upgrader")));
        _newProxy(splitsImpl, _initData(caAdmin, address(0)));
        vm.expectRevert(Initializable.InvalidInitialization.selector);
        splits.initialize(stranger, 0, stranger);
        vm.expectRevert(Initializable.InvalidInitialization.selector);
        ISplitsInitializer(splitsImpl).initialize(stranger, 0, stranger);
    }

    function test_supportsInterface() public view {
        assertTrue(splits.supportsInterface(type(ISplits).interfaceId), "ISplits");
        assertTrue(splits.supportsInterface(type(IAccessControl).interfaceId), "IAccessControl");
        assertTrue(splits.supportsInterface(type(IERC165).interfaceId), "IERC165");
        assertFalse(splits.supportsInterface(0xdeadbeef), "other");
    }

    function test_upgrade_onlyByUpgrader_keepsSplits() public {
        uint256 id = _announceSplit(SPLIT, 2, 1);
        address next = _deploy(SPLITS_ARTIFACT, "");
        vm.expectRevert(_unauthorized(caAdmin, SPLITS_UPGRADER_ROLE));
        vm.prank(caAdmin);
        splits.upgradeToAndCall(next, "");
        vm.prank(caUpgrader);
        splits.upgradeToAndCall(next, "");
        bytes32 slot = 0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc; // ERC-1967
        assertEq(address(uint160(uint256(vm.load(address(splits), slot)))), next, "implementation");
        assertEq(splits.split(id).numerator, 2, "split kept");
    }

    // ------------------------------------------------------------------ announce

    function test_announce_schedulesRecordDate_andRecordsTerms() public {
        ISplits.Terms memory t = _t(SPLIT, 3, 2, RECORD_DATE, DEADLINE);
        vm.expectEmit(address(splits));
        emit ISplits.SplitAnnounced(1, address(token), SPLIT, t, 1, agent, SPLIT_REF);
        vm.prank(agent);
        uint256 id = splits.announce(t, SPLIT_REF);
        assertEq(id, 1, "first id");
        assertEq(splits.splitCount(), 1, "count");
        assertEq(book.recordDateCount(address(token)), 1, "scheduled in the book");
        assertEq(book.recordDateOf(address(token), 1), RECORD_DATE, "at the record date");
        ISplits.Split memory s = splits.split(id);
        assertEq(address(s.token), address(token), "token");
        assertEq(s.recordDate, RECORD_DATE, "record date");
        assertEq(s.deadline, DEADLINE, "deadline");
        assertEq(uint8(s.kind), uint8(SPLIT), "kind");
        assertEq(address(s.recordDates), address(book), "book");
        assertEq(s.recordDateId, 1, "record date id");
        assertEq(s.issuer, agent, "issuer");
        assertEq(s.numerator, 3, "numerator");
        assertEq(s.denominator, 2, "denominator");
        assertEq(s.eventRef, SPLIT_REF, "reference");
        assertEq(s.minted + s.burned + s.held, 0, "nothing applied");
    }

    function test_announce_sharesTheTokensLastRecordDate_perToken() public {
        vm.prank(agent);
        dist.announce(
            _dterms(
                ISecurityToken(address(token)), IERC20(address(cash)), RECORD_DATE, RECORD_DATE + 1 days, DEADLINE, IDistributions.Kind.PerUnit, 1
            ),
            REF
        );
        uint256 id = _announceSplit(SPLIT, 2, 1);
        assertEq(book.recordDateCount(address(token)), 1, "one record date for both");
        assertEq(splits.split(id).recordDateId, 1, "shared id");
        vm.prank(agent);
        uint256 onBond = splits.announce(_sterms(bond, SPLIT, 2, 1, T0 + 2 days, T0 + 10 days), SPLIT_REF);
        assertEq(splits.split(onBond).recordDateId, 1, "the bond's own first record date");
        assertEq(book.recordDateOf(address(bond), 1), T0 + 2 days, "scheduled for the bond");
    }

    function test_announce_refusesBadTerms() public {
        uint256 rd = RECORD_DATE;
        uint256 dl = DEADLINE;
        assertEq(_refusedAnnounce(_t(SPLIT, 0, 1, rd, dl), SPLIT_REF), _invalidTerms("numerator"), "zero numerator");
        assertEq(_refusedAnnounce(_t(SPLIT, 1_000_001, 1, rd, dl), SPLIT_REF), _invalidTerms("numerator"), "numerator too large");
        assertEq(_refusedAnnounce(_t(SPLIT, 2, 0, rd, dl), SPLIT_REF), _invalidTerms("denominator"), "zero denominator");
        assertEq(
            _refusedAnnounce(_t(CONSOLIDATION, 1, 1_000_001, rd, dl), SPLIT_REF), _invalidTerms("denominator"), "denominator too large"
        );
        assertEq(_refusedAnnounce(_t(SPLIT, 2, 2, rd, dl), SPLIT_REF), _invalidTerms("ratio"), "split 1:1");
        assertEq(_refusedAnnounce(_t(SPLIT, 2, 3, rd, dl), SPLIT_REF), _invalidTerms("ratio"), "split below 1");
        assertEq(_refusedAnnounce(_t(CONSOLIDATION, 3, 3, rd, dl), SPLIT_REF), _invalidTerms("ratio"), "consolidation 1:1");
        assertEq(_refusedAnnounce(_t(CONSOLIDATION, 3, 2, rd, dl), SPLIT_REF), _invalidTerms("ratio"), "consolidation above 1");
        assertEq(_refusedAnnounce(_t(SPLIT, 2, 1, T0 - 1, dl), SPLIT_REF), _invalidTerms("recordDate"), "record date past");
        assertEq(_refusedAnnounce(_t(SPLIT, 2, 1, T0, dl), SPLIT_REF), _invalidTerms("recordDate"), "record date now");
        assertEq(
            _refusedAnnounce(_t(SPLIT, 2, 1, T0 + 3651 days, T0 + 3652 days), SPLIT_REF), _invalidTerms("recordDate"), "too far"
        );
        assertEq(_refusedAnnounce(_t(SPLIT, 2, 1, rd, rd), SPLIT_REF), _invalidTerms("deadline"), "deadline at the record date");
        assertEq(_refusedAnnounce(_t(SPLIT, 2, 1, rd, rd + 3651 days), SPLIT_REF), _invalidTerms("deadline"), "deadline too far");
        assertEq(_refusedAnnounce(_t(SPLIT, 2, 1, rd, dl), ""), _invalidTerms("reference"), "empty reference");
        assertEq(
            _refusedAnnounce(_t(SPLIT, 2, 1, rd, dl), "123456789012345678901234567890123456"), _invalidTerms("reference"), "36 bytes"
        );
        ISplits.Terms memory t = _t(SPLIT, 2, 1, rd, dl);
        t.token = ISecurityToken(stranger);
        assertEq(_refusedAnnounce(t, SPLIT_REF), _invalidTerms("token"), "not a contract");
        assertEq(splits.splitCount(), 0, "nothing announced");
        assertEq(book.recordDateCount(address(token)), 0, "nothing scheduled");
        // the bounds themselves are accepted
        vm.prank(agent);
        splits.announce(_t(SPLIT, 1_000_000, 999_999, rd, rd + 3650 days), "12345678901234567890123456789012345");
    }

    function test_announce_rolesOfTheCallerAndOfTheContract() public {
        ISplits.Terms memory t = _t(SPLIT, 2, 1, RECORD_DATE, DEADLINE);
        vm.expectRevert(abi.encodeWithSelector(ISplits.NotCorporateActionAgent.selector, address(token), stranger));
        vm.prank(stranger);
        splits.announce(t, SPLIT_REF);
        vm.prank(tokenAdmin);
        token.revokeRole(ISSUER_ROLE, address(splits));
        vm.expectRevert(abi.encodeWithSelector(ISplits.MissingInstrumentRole.selector, address(token), ISSUER_ROLE));
        vm.prank(agent);
        splits.announce(t, SPLIT_REF);
        vm.startPrank(tokenAdmin);
        token.grantRole(ISSUER_ROLE, address(splits));
        token.revokeRole(CORPORATE_ACTION_ROLE, address(splits));
        vm.stopPrank();
        vm.expectRevert(abi.encodeWithSelector(ISplits.MissingInstrumentRole.selector, address(token), CORPORATE_ACTION_ROLE));
        vm.prank(agent);
        splits.announce(t, SPLIT_REF);
    }

    function test_announce_needsABook_thatSchedulesTheNextId() public {
        vm.prank(tokenAdmin);
        token.setRecordDates(address(0));
        vm.expectRevert(abi.encodeWithSelector(ISplits.NoRecordDateBook.selector, address(token)));
        _announceSplit(SPLIT, 2, 1);
        LyingRecordDates lying = new LyingRecordDates();
        vm.prank(tokenAdmin);
        token.setRecordDates(address(lying));
        vm.expectRevert(abi.encodeWithSelector(ISplits.InvalidConfiguration.selector, bytes32("recordDateId")));
        _announceSplit(SPLIT, 2, 1);
    }

    function test_announce_recordDateBeforeTheTokensLast_refusedByTheBook() public {
        vm.prank(agent);
        book.scheduleRecordDate(address(token), uint40(T0 + 5 days));
        vm.expectPartialRevert(IRecordDates.InvalidRecordDate.selector);
        _announceSplit(SPLIT, 2, 1);
        assertEq(splits.splitCount(), 0, "the refused one is not recorded");
    }

    function test_announce_instrumentStates() public {
        // a consolidation only while suspended
        vm.expectRevert(_badState(token, ACTIVE));
        vm.prank(agent);
        splits.announce(_t(CONSOLIDATION, 1, 10, RECORD_DATE, DEADLINE), SPLIT_REF);
        // a split also while suspended (it is applied once resumed)
        _suspend(token);
        vm.prank(agent);
        splits.announce(_t(SPLIT, 2, 1, RECORD_DATE, DEADLINE), SPLIT_REF);
        // never on a matured or redeemed instrument
        vm.warp(BOND_MATURITY);
        vm.expectRevert(_badState(bond, ISecurityToken.LifecycleState.Matured));
        vm.prank(agent);
        splits.announce(_sterms(bond, SPLIT, 2, 1, BOND_MATURITY + 1 days, BOND_MATURITY + 2 days), SPLIT_REF);
        vm.startPrank(issuer);
        bond.burn(alice, 1_000);
        bond.burn(bob, 2_550);
        bond.burn(carol, 6_450);
        vm.stopPrank();
        vm.prank(agent);
        bond.setLifecycleState(ISecurityToken.LifecycleState.Redeemed);
        vm.expectRevert(_badState(bond, ISecurityToken.LifecycleState.Redeemed));
        vm.prank(agent);
        splits.announce(_sterms(bond, SPLIT, 2, 1, BOND_MATURITY + 1 days, BOND_MATURITY + 2 days), SPLIT_REF);
    }

    function test_announce_mustNotOverlapThePreviousOnTheSameToken() public {
        uint256 first = _announceSplit(SPLIT, 2, 1);
        vm.expectRevert(abi.encodeWithSelector(ISplits.OverlapsPrevious.selector, address(token), first, DEADLINE));
        vm.prank(agent);
        splits.announce(_t(SPLIT, 3, 1, DEADLINE, DEADLINE + 1 days), SPLIT_REF);
        // another token is independent
        vm.prank(agent);
        splits.announce(_sterms(bond, SPLIT, 2, 1, RECORD_DATE, DEADLINE), SPLIT_REF);
        // after the previous deadline
        vm.prank(agent);
        uint256 next = splits.announce(_t(SPLIT, 3, 1, DEADLINE + 1, DEADLINE + 1 days), SPLIT_REF);
        assertEq(splits.split(next).recordDateId, 2, "the token's second record date");
    }

    // ------------------------------------------------------------------ splits

    function test_split_2for1_batch_mintsEachHolderItsBalanceAtTheRecordDate_sharesExact() public {
        uint256 id = _readySplit(SPLIT, 2, 1);
        address[] memory holders = _shareHolders();
        assertEq(splits.entitlementOf(id, alice), 1_000, "entitlement");
        vm.expectEmit(address(splits));
        emit ISplits.SplitApplied(id, holders[0], SPLIT, token.balanceOf(holders[0]), SPLIT_REF);
        assertEq(_applyTo(id, holders), SUPPLY, "units minted by the batch");
        assertEq(token.balanceOf(alice), 2_000, "alice");
        assertEq(token.balanceOf(alice2), 1_000, "alice2");
        assertEq(token.balanceOf(bob), 6_000, "bob");
        assertEq(token.balanceOf(carol), 12_000, "carol");
        assertEq(token.totalSupply(), 2 * SUPPLY, "supply doubled");
        for (uint256 i; i < holders.length; ++i) {
            uint256 before = book.balanceAt(address(token), holders[i], 1);
            assertEq(token.balanceOf(holders[i]) * SUPPLY, before * token.totalSupply(), "share unchanged");
            assertEq(uint8(_status(id, holders[i])), uint8(ISplits.Status.Applied), "applied");
            assertEq(splits.entry(id, holders[i]).units, before, "units recorded");
        }
        ISplits.Split memory s = splits.split(id);
        assertEq(s.minted, SUPPLY, "minted");
        assertEq(s.burned + s.held, 0, "nothing burned nor held");
        assertEq(book.totalSupplyAt(address(token), 1), SUPPLY, "the record date's supply is untouched");
        // re-applying mints nobody twice
        vm.recordLogs();
        assertEq(_applyTo(id, holders), 0, "nothing twice");
        Vm.Log[] memory logs = vm.getRecordedLogs();
        for (uint256 i; i < holders.length; ++i) {
            _assertLogged(logs, ISplits.SplitSkipped.selector, id, holders[i], abi.encode(bytes32("ALREADY_APPLIED"), SPLIT_REF));
        }
        assertEq(token.totalSupply(), 2 * SUPPLY, "supply unchanged");
        vm.expectRevert(_err(ISplits.AlreadyApplied.selector, id, alice));
        _claimSplit(alice, id);
    }

    function test_split_3for2_roundsDownPerHolder() public {
        _mint(dave, 7);
        uint256 id = _readySplit(SPLIT, 3, 2);
        address[] memory holders = new address[](5);
        (holders[0], holders[1], holders[2], holders[3], holders[4]) = (alice, alice2, bob, carol, dave);
        holders = _sorted(holders);
        assertEq(splits.entitlementOf(id, dave), 3, "floor(7 x 3 / 2) - 7");
        assertEq(_applyTo(id, holders), 500 + 250 + 1_500 + 3_000 + 3, "batch");
        assertEq(token.balanceOf(dave), 10, "10, not 10.5");
        assertEq(token.balanceOf(alice2), 750, "exact");
        assertEq(token.totalSupply(), 15_760, "floor per holder: 0.5 below 15,760.5");
    }

    function test_split_claim_byTheHolder_andItsRefusals() public {
        uint256 id = _announceSplit(SPLIT, 2, 1);
        vm.expectRevert(abi.encodeWithSelector(ISplits.RecordDateNotPassed.selector, id, RECORD_DATE));
        _claimSplit(alice, id);
        vm.warp(RECORD_DATE); // at the record date balances are not final yet
        vm.expectRevert(abi.encodeWithSelector(ISplits.RecordDateNotPassed.selector, id, RECORD_DATE));
        _claimSplit(alice, id);
        vm.warp(RECORD_DATE + 1);
        vm.expectEmit(address(splits));
        emit ISplits.SplitApplied(id, bob, SPLIT, 3_000, SPLIT_REF);
        assertEq(_claimSplit(bob, id), 3_000, "minted");
        assertEq(token.balanceOf(bob), 6_000, "doubled");
        vm.expectRevert(_err(ISplits.AlreadyApplied.selector, id, bob));
        _claimSplit(bob, id);
        vm.expectRevert(_err(ISplits.NothingDue.selector, id, dave));
        _claimSplit(dave, id);
        vm.expectRevert(_err(ISplits.NothingDue.selector, id, nobody));
        _claimSplit(nobody, id);
        vm.expectRevert(abi.encodeWithSelector(ISplits.UnknownSplit.selector, 2));
        _claimSplit(alice, 2);
        vm.warp(DEADLINE);
        vm.expectRevert(abi.encodeWithSelector(ISplits.PeriodOver.selector, id, DEADLINE));
        _claimSplit(alice, id);
        assertEq(token.balanceOf(alice), 1_000, "alice did not claim in time");
    }

    function test_split_newUnitsGoToTheRecordDatePositions_whateverHappensAfter() public {
        uint256 id = _announceSplit(SPLIT, 2, 1);
        vm.prank(bob);
        token.transfer(dave, 1_000); // before the record date: counts
        vm.warp(RECORD_DATE); // a transfer in the block stamped at the record date counts too
        vm.prank(carol);
        token.transfer(alice, 1_000);
        vm.warp(RECORD_DATE + 1);
        vm.prank(alice);
        token.transfer(dave, 2_000); // after: does not count
        _mint(carol, 50);
        address[] memory holders = new address[](4);
        (holders[0], holders[1], holders[2], holders[3]) = (alice, bob, carol, dave);
        _applyTo(id, _sorted(holders));
        assertEq(token.balanceOf(alice), 2_000, "alice: 2,000 at the record date, sold after, receives 2,000");
        assertEq(token.balanceOf(dave), 1_000 + 2_000 + 1_000, "dave: 1,000 at the record date");
        assertEq(token.balanceOf(bob), 4_000, "bob: 2,000");
        assertEq(token.balanceOf(carol), 5_050 + 5_000, "carol: 5,000; the 50 minted after are not split");
    }

    function test_split_applyTo_refusals() public {
        uint256 id = _announceSplit(SPLIT, 2, 1);
        address[] memory holders = _shareHolders();
        vm.expectRevert(abi.encodeWithSelector(ISplits.NotCorporateActionAgent.selector, address(token), stranger));
        vm.prank(stranger);
        splits.applyTo(id, holders);
        vm.expectRevert(abi.encodeWithSelector(ISplits.InvalidBatch.selector, 0, 100));
        _applyTo(id, new address[](0));
        vm.expectRevert(abi.encodeWithSelector(ISplits.InvalidBatch.selector, 101, 100));
        _applyTo(id, new address[](101));
        vm.expectRevert(abi.encodeWithSelector(ISplits.RecordDateNotPassed.selector, id, RECORD_DATE));
        _applyTo(id, holders);
        vm.warp(RECORD_DATE + 1);
        address[] memory unsorted = new address[](2);
        (unsorted[0], unsorted[1]) = (holders[1], holders[0]);
        vm.expectRevert(abi.encodeWithSelector(ISplits.InvalidBatch.selector, 2, 100));
        _applyTo(id, unsorted);
        vm.expectRevert(abi.encodeWithSelector(ISplits.InvalidBatch.selector, 2, 100));
        _applyTo(id, _pair(alice, alice));
        vm.expectRevert(abi.encodeWithSelector(ISplits.InvalidBatch.selector, 1, 100));
        _applyTo(id, new address[](1)); // the zero address is not above the start of the order
        vm.expectRevert(abi.encodeWithSelector(ISplits.UnknownSplit.selector, 9));
        _applyTo(9, holders);
        // the instrument must accept mints: not suspended, not paused
        _suspend(token);
        vm.expectRevert(_badState(token, SUSPENDED));
        _applyTo(id, holders);
        vm.expectRevert(_badState(token, SUSPENDED));
        _claimSplit(alice, id);
        _resume(token);
        vm.prank(pauser);
        token.pause();
        vm.expectRevert(abi.encodeWithSelector(ISplits.InstrumentPaused.selector, address(token)));
        _applyTo(id, holders);
        vm.prank(pauser);
        token.unpause();
        assertEq(token.totalSupply(), SUPPLY, "nothing minted");
        assertEq(_applyTo(id, holders), SUPPLY, "applied once allowed");
    }

    function test_split_batch_mintsHoldsAndSkips_eachHolderOnce() public {
        uint256 id = _readySplit(SPLIT, 2, 1);
        _claimSplit(alice, id);
        _freezeAll(carol, true);
        address[] memory batch = new address[](5);
        (batch[0], batch[1], batch[2], batch[3], batch[4]) = (alice, alice2, bob, carol, dave);
        batch = _sorted(batch);
        vm.recordLogs();
        assertEq(_applyTo(id, batch), 500 + 3_000, "batch total");
        Vm.Log[] memory logs = vm.getRecordedLogs();
        _assertLogged(logs, ISplits.SplitSkipped.selector, id, alice, abi.encode(bytes32("ALREADY_APPLIED"), SPLIT_REF));
        _assertLogged(logs, ISplits.SplitApplied.selector, id, alice2, abi.encode(SPLIT, 500, SPLIT_REF));
        _assertLogged(logs, ISplits.SplitApplied.selector, id, bob, abi.encode(SPLIT, 3_000, SPLIT_REF));
        _assertLogged(logs, ISplits.SplitHeld.selector, id, carol, abi.encode(6_000, bytes32("RECIPIENT_FROZEN"), SPLIT_REF));
        _assertLogged(logs, ISplits.SplitSkipped.selector, id, dave, abi.encode(bytes32("NOTHING_DUE"), SPLIT_REF));
        assertEq(token.balanceOf(alice), 2_000, "alice minted once");
        assertEq(token.balanceOf(carol), 6_000, "carol not yet");
        assertEq(_heldUnits(id, carol), 6_000, "carol held");
        assertEq(splits.split(id).held, 6_000, "held total");
        // a second run mints nobody twice; carol once she is unfrozen
        vm.expectEmit(address(splits));
        emit ISplits.SplitSkipped(id, carol, "RECIPIENT_FROZEN", SPLIT_REF);
        _applyTo(id, _one(carol));
        vm.expectRevert(abi.encodeWithSelector(ISplits.HolderNotEligible.selector, id, carol, bytes32("RECIPIENT_FROZEN")));
        _claimSplit(carol, id);
        _freezeAll(carol, false);
        assertEq(_applyTo(id, batch), 6_000, "carol minted");
        assertEq(token.balanceOf(carol), 12_000, "carol doubled");
        ISplits.Split memory s = splits.split(id);
        assertEq(s.minted, SUPPLY, "everything minted");
        assertEq(s.held, 0, "nothing held");
        assertEq(token.totalSupply(), 2 * SUPPLY, "supply doubled");
    }

    function test_split_heldReasons_areTheTokensRefusals_orSystemAccount() public {
        _setExpiry(CAROL_ID, carol, RECORD_DATE); // expired once the record date has passed
        uint256 id = _announceSplit(SPLIT, 2, 1);
        vm.prank(bob);
        token.transfer(escrow, 1_000); // a system account at the record date
        vm.warp(RECORD_DATE + 1);
        vm.prank(registryRegistrar);
        registry.removeWallet(alice2); // retired
        address[] memory batch = new address[](4);
        (batch[0], batch[1], batch[2], batch[3]) = (escrow, carol, alice2, bob);
        vm.recordLogs();
        assertEq(_applyTo(id, _sorted(batch)), 2_000, "only bob minted");
        Vm.Log[] memory logs = vm.getRecordedLogs();
        _assertLogged(logs, ISplits.SplitHeld.selector, id, escrow, abi.encode(1_000, bytes32("SYSTEM_ACCOUNT"), SPLIT_REF));
        _assertLogged(
            logs, ISplits.SplitHeld.selector, id, carol, abi.encode(6_000, bytes32("RECIPIENT_ELIGIBILITY_EXPIRED"), SPLIT_REF)
        );
        _assertLogged(
            logs, ISplits.SplitHeld.selector, id, alice2, abi.encode(500, bytes32("RECIPIENT_NOT_REGISTERED"), SPLIT_REF)
        );
        assertEq(splits.split(id).held, 7_500, "held total");
        vm.expectRevert(abi.encodeWithSelector(ISplits.HolderNotEligible.selector, id, escrow, bytes32("SYSTEM_ACCOUNT")));
        _claimSplit(escrow, id);
        assertEq(token.balanceOf(escrow), 1_000, "nothing minted to the escrow");
    }

    function test_split_claim_heldThenMintedOnceEligible_evenAfterTheDeadline() public {
        uint256 id = _readySplit(SPLIT, 2, 1);
        _freezeAll(bob, true);
        vm.expectEmit(address(splits));
        emit ISplits.SplitHeld(id, bob, 3_000, "RECIPIENT_FROZEN", SPLIT_REF);
        assertEq(_claimSplit(bob, id), 0, "held, nothing minted");
        assertEq(_heldUnits(id, bob), 3_000, "held");
        vm.warp(DEADLINE + 1 days);
        address[] memory batch = _pair(alice, bob);
        (address first, address second) = (batch[0], batch[1]);
        vm.expectEmit(address(splits));
        emit ISplits.SplitSkipped(id, first, first == bob ? bytes32("RECIPIENT_FROZEN") : bytes32("PERIOD_OVER"), SPLIT_REF);
        vm.expectEmit(address(splits));
        emit ISplits.SplitSkipped(id, second, second == bob ? bytes32("RECIPIENT_FROZEN") : bytes32("PERIOD_OVER"), SPLIT_REF);
        assertEq(_applyTo(id, batch), 0, "nobody minted");
        _freezeAll(bob, false);
        assertEq(_claimSplit(bob, id), 3_000, "held units minted after the deadline");
        assertEq(token.balanceOf(bob), 6_000, "bob");
        assertEq(token.balanceOf(alice), 1_000, "alice missed the deadline");
        assertEq(splits.split(id).held, 0, "nothing held");
        assertEq(splits.entry(id, bob).units, 3_000, "units recorded");
    }

    function test_split_holdingCap_seesTheMintsBeforeItInTheBatch() public {
        // alice's investor holds 1,500 over two wallets; the cap lets it reach 2,500, not 3,000
        _setRule(ITransferRules.RuleType.HoldingCap, 2_500);
        uint256 id = _readySplit(SPLIT, 2, 1);
        address[] memory batch = _pair(alice, alice2);
        (address first, address second) = (batch[0], batch[1]);
        uint256 firstDue = first == alice ? 1_000 : 500;
        uint256 secondDue = 1_500 - firstDue;
        vm.recordLogs();
        assertEq(_applyTo(id, batch), firstDue, "the first wallet minted, the batch goes on");
        _assertLogged(
            vm.getRecordedLogs(),
            ISplits.SplitHeld.selector,
            id,
            second,
            abi.encode(secondDue, bytes32("HOLDING_CAP_EXCEEDED"), SPLIT_REF)
        );
        _setRule(ITransferRules.RuleType.HoldingCap, 3_000);
        assertEq(_applyTo(id, batch), secondDue, "minted once the cap allows it");
        assertEq(token.balanceOf(alice) + token.balanceOf(alice2), 3_000, "the investor's holding doubled");
    }

    // ------------------------------------------------------------------ release

    function test_release_toAnotherWalletOfTheSameInvestor_partThenAll() public {
        uint256 id = _readySplit(SPLIT, 2, 1);
        _freezeAll(alice2, true);
        _claimSplit(alice2, id);
        vm.expectEmit(address(splits));
        emit ISplits.SplitReleased(id, alice2, alice, 100, SPLIT_REF);
        vm.prank(registrar);
        splits.release(id, alice2, _one(alice), _amounts(100));
        assertEq(token.balanceOf(alice), 1_100, "part released to alice");
        assertEq(_heldUnits(id, alice2), 400, "rest still held");
        vm.prank(registrar);
        splits.release(id, alice2, _one(alice), _amounts(400));
        assertEq(token.balanceOf(alice), 1_500, "all released");
        assertEq(uint8(_status(id, alice2)), uint8(ISplits.Status.Released), "released");
        assertEq(splits.entry(id, alice2).units, 0, "nothing left");
        ISplits.Split memory s = splits.split(id);
        assertEq(s.held, 0, "nothing held");
        assertEq(s.minted, 500, "counted as minted");
        _freezeAll(alice2, false);
        vm.expectRevert(_err(ISplits.AlreadyApplied.selector, id, alice2));
        _claimSplit(alice2, id);
        vm.expectEmit(address(splits));
        emit ISplits.SplitSkipped(id, alice2, "RELEASED", SPLIT_REF);
        _applyTo(id, _one(alice2));
        vm.expectRevert(_err(ISplits.NotHeld.selector, id, alice2));
        vm.prank(registrar);
        splits.release(id, alice2, _one(alice), _amounts(1));
        assertEq(token.totalSupply(), SUPPLY + 500, "500 new units in all");
    }

    function test_release_systemAccount_toItsBeneficialOwners() public {
        uint256 id = _announceSplit(SPLIT, 2, 1);
        vm.prank(carol);
        token.transfer(custody, 2_000); // bridged: in custody at the record date
        vm.warp(RECORD_DATE + 1);
        _applyTo(id, _pair(custody, dave));
        assertEq(_heldUnits(id, custody), 2_000, "custody's new units held");
        address[] memory owners = _array(bob, dave, alice);
        uint256[] memory amounts = new uint256[](3);
        (amounts[0], amounts[1], amounts[2]) = (1_500, 400, 0);
        vm.prank(registrar);
        splits.release(id, custody, owners, amounts);
        assertEq(token.balanceOf(bob), 4_500, "first owner");
        assertEq(token.balanceOf(dave), 400, "second owner");
        assertEq(token.balanceOf(alice), 1_000, "a zero amount is ignored");
        assertEq(token.balanceOf(custody), 2_000, "nothing minted to the custody");
        assertEq(_heldUnits(id, custody), 100, "the rest stays held");
    }

    function test_release_refusals() public {
        uint256 id = _readySplit(SPLIT, 2, 1);
        _freezeAll(alice2, true);
        _claimSplit(alice2, id);
        address[] memory to = _one(alice);
        uint256[] memory amounts = _amounts(1);
        vm.expectRevert(abi.encodeWithSelector(ISplits.NotInstrumentRegistrar.selector, address(token), agent));
        vm.prank(agent);
        splits.release(id, alice2, to, amounts);
        vm.startPrank(registrar);
        vm.expectRevert(abi.encodeWithSelector(ISplits.InvalidBatch.selector, 0, 100));
        splits.release(id, alice2, new address[](0), new uint256[](0));
        vm.expectRevert(abi.encodeWithSelector(ISplits.InvalidBatch.selector, 1, 100));
        splits.release(id, alice2, to, new uint256[](2));
        vm.expectRevert(abi.encodeWithSelector(ISplits.InvalidBatch.selector, 101, 100));
        splits.release(id, alice2, new address[](101), new uint256[](101));
        vm.expectRevert(_err(ISplits.NotHeld.selector, id, bob));
        splits.release(id, bob, to, amounts);
        vm.expectRevert(abi.encodeWithSelector(ISplits.UnknownSplit.selector, 7));
        splits.release(7, alice2, to, amounts);
        vm.expectRevert(abi.encodeWithSelector(ISplits.ReleaseExceedsHeld.selector, id, alice2, 0, 500));
        splits.release(id, alice2, to, _amounts(0));
        vm.expectRevert(abi.encodeWithSelector(ISplits.ReleaseExceedsHeld.selector, id, alice2, 501, 500));
        splits.release(id, alice2, to, _amounts(501));
        vm.stopPrank();
        address[4] memory bad = [alice2, bob, nobody, escrow];
        for (uint256 i; i < bad.length; ++i) {
            vm.expectRevert(_err(ISplits.InvalidReleaseRecipient.selector, id, bad[i]));
            vm.prank(registrar);
            splits.release(id, alice2, _one(bad[i]), amounts);
        }
        // another wallet of the same investor, but frozen
        vm.prank(registryRegistrar);
        registry.registerInvestor(stranger, ALICE_ID, DE, 1, EXPIRY);
        _freezeAll(stranger, true);
        vm.expectRevert(_err(ISplits.InvalidReleaseRecipient.selector, id, stranger));
        vm.prank(registrar);
        splits.release(id, alice2, _one(stranger), amounts);
        // the instrument must accept mints
        _suspend(token);
        vm.expectRevert(_badState(token, SUSPENDED));
        vm.prank(registrar);
        splits.release(id, alice2, to, amounts);
        _resume(token);
        vm.prank(pauser);
        token.pause();
        vm.expectRevert(abi.encodeWithSelector(ISplits.InstrumentPaused.selector, address(token)));
        vm.prank(registrar);
        splits.release(id, alice2, to, amounts);
        assertEq(_heldUnits(id, alice2), 500, "still all held");
    }

    // ------------------------------------------------------------------ consolidations

    function test_consolidation_1for10_burnsEachHolderDownToATenth() public {
        uint256 id = _readySplit(CONSOLIDATION, 1, 10);
        assertEq(uint8(token.lifecycleState()), uint8(SUSPENDED), "suspended");
        address[] memory holders = _shareHolders();
        assertEq(splits.entitlementOf(id, carol), 5_400, "units to burn");
        vm.expectEmit(address(splits));
        emit ISplits.SplitApplied(id, holders[0], CONSOLIDATION, token.balanceOf(holders[0]) * 9 / 10, SPLIT_REF);
        assertEq(_applyTo(id, holders), SUPPLY * 9 / 10, "units burned by the batch");
        assertEq(token.balanceOf(alice), 100, "alice");
        assertEq(token.balanceOf(alice2), 50, "alice2");
        assertEq(token.balanceOf(bob), 300, "bob");
        assertEq(token.balanceOf(carol), 600, "carol");
        assertEq(token.totalSupply(), SUPPLY / 10, "supply");
        for (uint256 i; i < holders.length; ++i) {
            uint256 before = book.balanceAt(address(token), holders[i], 1);
            assertEq(token.balanceOf(holders[i]) * SUPPLY, before * token.totalSupply(), "share unchanged");
        }
        ISplits.Split memory s = splits.split(id);
        assertEq(s.burned, SUPPLY * 9 / 10, "burned");
        assertEq(s.minted + s.held, 0, "nothing minted nor held");
        assertEq(_applyTo(id, holders), 0, "nothing twice");
        vm.expectRevert(_err(ISplits.AlreadyApplied.selector, id, alice));
        _claimSplit(alice, id);
        _resume(token);
        assertEq(token.balanceOf(alice), 100, "resumed with the new holdings");
    }

    function test_consolidation_2for3_roundsDownPerHolder_fractionsLost() public {
        _mint(dave, 1);
        uint256 id = _readySplit(CONSOLIDATION, 2, 3);
        assertEq(_claimSplit(dave, id), 1, "floor(1 x 2 / 3) = 0: the single unit goes");
        assertEq(_claimSplit(alice, id), 334, "1,000 -> 666");
        assertEq(token.balanceOf(alice), 666, "666, not 666.67");
        assertEq(token.balanceOf(dave), 0, "a fraction only: paid in cash off-chain");
    }

    function test_consolidation_needsTheInstrumentSuspended_andUnpaused_atEveryApply() public {
        uint256 id = _readySplit(CONSOLIDATION, 1, 10);
        _resume(token);
        vm.expectRevert(_badState(token, ACTIVE));
        _applyTo(id, _shareHolders());
        vm.expectRevert(_badState(token, ACTIVE));
        _claimSplit(alice, id);
        _suspend(token);
        vm.prank(pauser);
        token.pause();
        vm.expectRevert(abi.encodeWithSelector(ISplits.InstrumentPaused.selector, address(token)));
        _applyTo(id, _shareHolders());
        vm.prank(pauser);
        token.unpause();
        assertEq(_applyTo(id, _shareHolders()), SUPPLY * 9 / 10, "applied once suspended and unpaused");
    }

    function test_consolidation_unitsMovedAfterTheRecordDate_skippedUntilBack() public {
        uint256 id = _readySplit(CONSOLIDATION, 1, 10);
        vm.prank(registrar);
        token.forcedTransfer(bob, dave, 2_000, "court order"); // forced transfers go on while suspended
        vm.expectEmit(address(splits));
        emit ISplits.SplitSkipped(id, bob, "INSUFFICIENT_UNITS", SPLIT_REF);
        _applyTo(id, _one(bob));
        vm.expectRevert(abi.encodeWithSelector(ISplits.InsufficientUnits.selector, id, bob, 2_700, 1_000));
        _claimSplit(bob, id);
        assertEq(uint8(_status(id, bob)), uint8(ISplits.Status.None), "not applied");
        vm.expectEmit(address(splits));
        emit ISplits.SplitSkipped(id, dave, "NOTHING_DUE", SPLIT_REF);
        _applyTo(id, _one(dave));
        vm.prank(registrar);
        token.forcedTransfer(dave, bob, 2_000, "court order reversed");
        assertEq(_applyTo(id, _one(bob)), 2_700, "applied once the units are back");
        assertEq(token.balanceOf(bob), 300, "bob");
    }

    function test_consolidation_systemAccountsSkipped_frozenWalletsConsolidated() public {
        vm.prank(bob);
        token.transfer(escrow, 1_000);
        _freezeAll(carol, true);
        _freeze(alice, 950); // 950 of alice's 1,000 frozen
        uint256 id = _readySplit(CONSOLIDATION, 1, 10);
        address[] memory batch = new address[](4);
        (batch[0], batch[1], batch[2], batch[3]) = (escrow, carol, alice, bob);
        vm.recordLogs();
        assertEq(_applyTo(id, _sorted(batch)), 5_400 + 900 + 1_800, "carol, alice and bob");
        _assertLogged(
            vm.getRecordedLogs(), ISplits.SplitSkipped.selector, id, escrow, abi.encode(bytes32("SYSTEM_ACCOUNT"), SPLIT_REF)
        );
        vm.expectRevert(abi.encodeWithSelector(ISplits.HolderNotEligible.selector, id, escrow, bytes32("SYSTEM_ACCOUNT")));
        _claimSplit(escrow, id);
        assertEq(token.balanceOf(escrow), 1_000, "the escrow's units are not burned");
        assertEq(token.balanceOf(carol), 600, "a frozen wallet is consolidated");
        assertTrue(token.isFrozen(carol), "and stays frozen");
        assertEq(token.balanceOf(alice), 100, "alice");
        assertEq(token.frozenTokens(alice), 100, "unfrozen units burned first: the 100 left are frozen");
    }

    function test_consolidation_afterTheDeadline_refused() public {
        uint256 id = _readySplit(CONSOLIDATION, 1, 10);
        vm.warp(DEADLINE);
        vm.expectRevert(abi.encodeWithSelector(ISplits.PeriodOver.selector, id, DEADLINE));
        _applyTo(id, _shareHolders());
        vm.expectRevert(abi.encodeWithSelector(ISplits.PeriodOver.selector, id, DEADLINE));
        _claimSplit(alice, id);
    }

    // ------------------------------------------------------------------ views

    function test_views_unknownId_beforeTheRecordDate_andEntries() public {
        vm.expectRevert(abi.encodeWithSelector(ISplits.UnknownSplit.selector, 1));
        splits.split(1);
        vm.expectRevert(abi.encodeWithSelector(ISplits.UnknownSplit.selector, 1));
        splits.entitlementOf(1, alice);
        uint256 id = _announceSplit(SPLIT, 5, 2);
        vm.expectRevert(abi.encodeWithSelector(ISplits.RecordDateNotPassed.selector, id, RECORD_DATE));
        splits.entitlementOf(id, alice);
        vm.warp(RECORD_DATE + 1);
        assertEq(splits.entitlementOf(id, alice2), 750, "floor(500 x 5 / 2) - 500");
        assertEq(splits.entitlementOf(id, dave), 0, "non-holder");
        assertEq(uint8(_status(id, alice)), uint8(ISplits.Status.None), "untouched");
        assertEq(splits.entry(id, alice).units, 0, "nothing recorded");
        _claimSplit(alice2, id);
        assertEq(splits.entitlementOf(id, alice2), 750, "the formula, also once applied");
    }

    function test_split_onATokenWithDecimals_inSmallestUnits() public {
        vm.prank(agent);
        uint256 id = splits.announce(_sterms(bond, SPLIT, 3, 2, RECORD_DATE, DEADLINE), SPLIT_REF);
        vm.warp(RECORD_DATE + 1);
        assertEq(_claimSplit(bob, id), 1_275, "25.50 bonds -> 38.25");
        assertEq(bond.balanceOf(bob), 3_825, "smallest units");
    }
}

/// @notice The initializer, called on the implementation itself.
interface ISplitsInitializer {
    function initialize(address admin, uint48 adminDelay, address upgrader) external;
}

// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {LifecycleTest, LyingRecordDates} from "./LifecycleTest.sol";
import {Vm} from "../utils/Vm.sol";
import {IDistributions} from "../../../interfaces/IDistributions.sol";
import {ISecurityToken} from "../../../interfaces/ISecurityToken.sol";
import {IRecordDates} from "../../../interfaces/IRecordDates.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {Initializable} from "@openzeppelin/contracts/proxy/utils/Initializable.sol";

/// @notice Distributions: set-up and roles, announcement and its refusals, funding, claims,
/// batches, held entitlements and their release, the sweep, and the views.
contract DistributionsTest is LifecycleTest {
    bytes32 internal constant DIST_UPGRADER_ROLE = keccak256("UPGRADER_ROLE");
    uint256 internal constant RATE = 1_250_000; // 1.25 USD a share
    uint256 internal constant TOTAL = 1_000_000_003; // 1,000.000003 USD shared pro rata
    uint256 internal constant SUPPLY = 10_500;

    IDistributions.Kind internal constant PER_UNIT = IDistributions.Kind.PerUnit;
    IDistributions.Kind internal constant TOTAL_KIND = IDistributions.Kind.Total;

    // ------------------------------------------------------------------ helpers

    /// @notice A distribution on the shares, funded, at its payment date.
    function _ready(IDistributions.Kind kind, uint256 value) internal returns (uint256 id) {
        id = _announce(token, kind, value);
        vm.warp(_now() + 2 days);
        _fundDist(id);
    }

    function _terms(uint40 rd, uint40 pd, uint40 cd, uint256 value, string memory ref_) internal returns (bytes memory) {
        vm.prank(agent);
        (bool ok, bytes memory ret) = address(dist).call(
            abi.encodeCall(
                IDistributions.announce,
                (_dterms(ISecurityToken(address(token)), IERC20(address(cash)), rd, pd, cd, PER_UNIT, value), ref_)
            )
        );
        assertFalse(ok, "refused");
        return ret;
    }

    function _invalid(bytes32 field) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(IDistributions.InvalidTerms.selector, field);
    }

    function _held(uint256 id, address who) internal view returns (uint256) {
        IDistributions.Entry memory e = dist.entry(id, who);
        assertEq(uint8(e.status), uint8(IDistributions.Status.Held), "held status");
        return e.held;
    }

    function _status(uint256 id, address who) internal view returns (uint8) {
        return uint8(dist.entry(id, who).status);
    }

    function _assertConserved(uint256 id) internal view {
        IDistributions.Distribution memory d = dist.distribution(id);
        assertEq(d.paid + d.held + d.swept + dist.unclaimed(id), d.funded, "paid + held + swept + unclaimed == funded");
    }

    // ------------------------------------------------------------------ set-up and roles

    function test_initialize_grantsRoles_andConstants() public view {
        assertEq(dist.defaultAdmin(), caAdmin, "admin");
        assertTrue(dist.hasRole(DIST_UPGRADER_ROLE, caUpgrader), "upgrader");
        assertEq(dist.getRoleAdmin(DIST_UPGRADER_ROLE), DIST_UPGRADER_ROLE, "upgrader administers itself");
        assertEq(dist.UPGRADER_ROLE(), DIST_UPGRADER_ROLE, "role id");
        assertEq(dist.MAX_BATCH(), 100, "max batch");
        assertEq(dist.MAX_REFERENCE_LENGTH(), 35, "max reference");
        assertEq(dist.MAX_CLAIM_PERIOD(), 3650 days, "max claim period");
        assertEq(dist.distributionCount(), 0, "none yet");
    }

    function test_initialize_refusesZeroUpgrader_andSecondCalls() public {
        vm.expectRevert(abi.encodeWithSelector(IDistributions.InvalidConfiguration.selector, bytes32("upgrader")));
        _newProxy(distImpl, _initData(caAdmin, address(0)));
        vm.expectRevert(Initializable.InvalidInitialization.selector);
        dist.initialize(stranger, 0, stranger);
        vm.expectRevert(Initializable.InvalidInitialization.selector);
        IDistributionsProxyLike(distImpl).initialize(stranger, 0, stranger);
    }

    function test_supportsInterface() public view {
        assertTrue(dist.supportsInterface(type(IDistributions).interfaceId), "IDistributions");
        assertTrue(dist.supportsInterface(type(IAccessControl).interfaceId), "IAccessControl");
        assertTrue(dist.supportsInterface(type(IERC165).interfaceId), "IERC165");
        assertFalse(dist.supportsInterface(0xdeadbeef), "other");
    }

    function test_upgrade_onlyByUpgrader_keepsDistributions() public {
        uint256 id = _announce(token, PER_UNIT, RATE);
        address next = _deploy(DISTRIBUTIONS_ARTIFACT, "");
        vm.expectRevert(_unauthorized(caAdmin, DIST_UPGRADER_ROLE));
        vm.prank(caAdmin);
        dist.upgradeToAndCall(next, "");
        vm.prank(caUpgrader);
        dist.upgradeToAndCall(next, "");
        bytes32 slot = 0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc; // ERC-1967
        assertEq(address(uint160(uint256(vm.load(address(dist), slot)))), next, "implementation");
        assertEq(dist.distribution(id).value, RATE, "distribution kept");
    }

    // ------------------------------------------------------------------ announce

    function test_announce_schedulesRecordDate_andRecordsTerms() public {
        uint40 rd = uint40(T0 + 1 days);
        vm.expectEmit(address(dist));
        emit IDistributions.DistributionAnnounced(
            1,
            address(token),
            address(cash),
            _dterms(ISecurityToken(address(token)), IERC20(address(cash)), rd, rd + 1 days, uint40(T0 + 30 days), PER_UNIT, RATE),
            1,
            agent,
            REF
        );
        uint256 id = _announce(token, PER_UNIT, RATE);
        assertEq(id, 1, "first id");
        assertEq(dist.distributionCount(), 1, "count");
        assertEq(book.recordDateCount(address(token)), 1, "scheduled in the book");
        assertEq(book.recordDateOf(address(token), 1), rd, "at the record date");
        IDistributions.Distribution memory d = dist.distribution(id);
        assertEq(address(d.token), address(token), "token");
        assertEq(address(d.cashToken), address(cash), "cash");
        assertEq(d.recordDate, rd, "record date");
        assertEq(d.paymentDate, rd + 1 days, "payment date");
        assertEq(d.claimDeadline, T0 + 30 days, "deadline");
        assertEq(d.tokenDecimals, 0, "decimals");
        assertEq(address(d.recordDates), address(book), "book");
        assertEq(d.recordDateId, 1, "record date id");
        assertEq(d.issuer, agent, "issuer");
        assertEq(d.eventRef, REF, "reference");
        assertEq(d.funded + d.paid + d.held + d.swept, 0, "nothing moved");
    }

    function test_announce_sameRecordDateAsTheLast_isShared_otherTokensAreSeparate() public {
        uint256 first = _announce(token, PER_UNIT, RATE);
        uint256 second = _announce(token, TOTAL_KIND, TOTAL);
        uint256 onBond = _announce(bond, PER_UNIT, 25e6);
        assertEq(book.recordDateCount(address(token)), 1, "one record date for both");
        assertEq(dist.distribution(first).recordDateId, dist.distribution(second).recordDateId, "shared id");
        assertEq(dist.distribution(onBond).recordDateId, 1, "the bond's own first record date");
        vm.warp(T0 + 2 hours);
        uint256 later = _announce(token, PER_UNIT, RATE);
        assertEq(dist.distribution(later).recordDateId, 2, "a later record date is the next id");
    }

    function test_announce_refusesBadTerms() public {
        uint40 rd = uint40(T0 + 1 days);
        uint40 pd = rd + 1 days;
        uint40 cd = pd + 28 days;
        assertEq(_terms(uint40(T0 - 1), pd, cd, RATE, REF), _invalid("recordDate"), "record date in the past");
        assertEq(_terms(uint40(T0), pd, cd, RATE, REF), _invalid("recordDate"), "record date now");
        assertEq(_terms(uint40(T0 + 3651 days), pd, cd, RATE, REF), _invalid("recordDate"), "record date too far");
        assertEq(_terms(rd, rd - 1, cd, RATE, REF), _invalid("paymentDate"), "payment before the record date");
        assertEq(_terms(rd, rd, cd, RATE, REF), _invalid("paymentDate"), "payment at the record date");
        assertEq(_terms(rd, pd, pd, RATE, REF), _invalid("claimDeadline"), "deadline at the payment date");
        assertEq(_terms(rd, pd, pd + 3651 days, RATE, REF), _invalid("claimDeadline"), "deadline too far");
        assertEq(_terms(rd, pd, cd, 0, REF), _invalid("value"), "zero value");
        assertEq(_terms(rd, pd, cd, RATE, ""), _invalid("reference"), "empty reference");
        assertEq(
            _terms(rd, pd, cd, RATE, "123456789012345678901234567890123456"), _invalid("reference"), "36 bytes"
        );
        vm.startPrank(agent);
        vm.expectRevert(_invalid("token"));
        dist.announce(_dterms(ISecurityToken(stranger), IERC20(address(cash)), rd, pd, cd, PER_UNIT, RATE), REF);
        vm.expectRevert(_invalid("cashToken"));
        dist.announce(_dterms(ISecurityToken(address(token)), IERC20(stranger), rd, pd, cd, PER_UNIT, RATE), REF);
        vm.expectRevert(_invalid("cashToken"));
        dist.announce(_dterms(ISecurityToken(address(token)), IERC20(address(token)), rd, pd, cd, PER_UNIT, RATE), REF);
        vm.stopPrank();
        assertEq(dist.distributionCount(), 0, "nothing announced");
        assertEq(book.recordDateCount(address(token)), 0, "nothing scheduled");
        // 35 bytes is the longest reference
        vm.prank(agent);
        dist.announce(_dterms(ISecurityToken(address(token)), IERC20(address(cash)), rd, pd, cd, PER_UNIT, RATE), "12345678901234567890123456789012345");
    }

    function test_announce_refusesNonAgent_andWhenTheContractLacksTheRole() public {
        vm.expectRevert(abi.encodeWithSelector(IDistributions.NotCorporateActionAgent.selector, address(token), stranger));
        vm.prank(stranger);
        dist.announce(_dterms(ISecurityToken(address(token)), IERC20(address(cash)), uint40(T0 + 1), uint40(T0 + 2), uint40(T0 + 3), PER_UNIT, 1), REF);
        vm.prank(tokenAdmin);
        token.revokeRole(CORPORATE_ACTION_ROLE, address(dist));
        vm.expectRevert(
            abi.encodeWithSelector(IDistributions.NotCorporateActionAgent.selector, address(token), address(dist))
        );
        _announce(token, PER_UNIT, RATE);
    }

    function test_announce_refusesTokenWithoutBook() public {
        vm.prank(tokenAdmin);
        token.setRecordDates(address(0));
        vm.expectRevert(abi.encodeWithSelector(IDistributions.NoRecordDateBook.selector, address(token)));
        _announce(token, PER_UNIT, RATE);
    }

    function test_announce_refusesABookThatSchedulesAnotherId() public {
        LyingRecordDates lying = new LyingRecordDates();
        vm.prank(tokenAdmin);
        token.setRecordDates(address(lying));
        vm.expectRevert(abi.encodeWithSelector(IDistributions.InvalidConfiguration.selector, bytes32("recordDateId")));
        _announce(token, PER_UNIT, RATE);
    }

    function test_announce_recordDateBeforeTheLast_refusedByTheBook() public {
        vm.prank(agent);
        dist.announce(_dterms(ISecurityToken(address(token)), IERC20(address(cash)), uint40(T0 + 5 days), uint40(T0 + 6 days), uint40(T0 + 30 days), PER_UNIT, RATE), REF);
        vm.expectPartialRevert(IRecordDates.InvalidRecordDate.selector);
        _announce(token, PER_UNIT, RATE);
        assertEq(dist.distributionCount(), 1, "the refused one is not recorded");
    }

    // ------------------------------------------------------------------ fund

    function test_fund_total_beforeRecordDate_pullsTheTotal() public {
        uint256 id = _announce(token, TOTAL_KIND, TOTAL);
        vm.expectRevert(abi.encodeWithSelector(IDistributions.PaymentNotStarted.selector, id, uint40(T0 + 2 days)));
        _claim(alice, id);
        assertEq(dist.required(id), TOTAL, "required");
        vm.expectEmit(address(dist));
        emit IDistributions.DistributionFunded(id, treasury, TOTAL, TOTAL, REF);
        assertEq(_fundDist(id), TOTAL, "pulled");
        assertEq(cash.balanceOf(address(dist)), TOTAL, "held by the contract");
        assertEq(cash.balanceOf(treasury), TREASURY_CASH - TOTAL, "from the funder");
        vm.expectRevert(_distErr(IDistributions.AlreadyFunded.selector, id));
        _fundDist(id);
    }

    function test_fund_perUnit_onlyAfterRecordDate_pullsSupplyTimesRate() public {
        uint256 id = _announce(token, PER_UNIT, RATE);
        vm.expectRevert(abi.encodeWithSelector(IDistributions.RecordDateNotPassed.selector, id, uint40(T0 + 1 days)));
        _fundDist(id);
        vm.expectRevert(abi.encodeWithSelector(IDistributions.RecordDateNotPassed.selector, id, uint40(T0 + 1 days)));
        dist.required(id);
        vm.warp(T0 + 1 days); // at the record date balances are not final yet
        vm.expectRevert(abi.encodeWithSelector(IDistributions.RecordDateNotPassed.selector, id, uint40(T0 + 1 days)));
        _fundDist(id);
        vm.warp(T0 + 1 days + 1);
        _mint(dave, 100); // after the record date: not entitled, not required
        assertEq(_fundDist(id), SUPPLY * RATE, "supply at the record date x rate");
        assertEq(dist.distribution(id).funded, SUPPLY * RATE, "funded");
    }

    function test_fund_refusedAfterDeadline_andUnknownId() public {
        uint256 id = _announce(token, TOTAL_KIND, TOTAL);
        vm.warp(T0 + 30 days);
        vm.expectRevert(abi.encodeWithSelector(IDistributions.ClaimPeriodOver.selector, id, uint40(T0 + 30 days)));
        _fundDist(id);
        vm.expectRevert(_distErr(IDistributions.UnknownDistribution.selector, 9));
        _fundDist(9);
    }

    // ------------------------------------------------------------------ claim

    function test_claim_paysTheBalanceAtTheRecordDateTimesTheRate() public {
        uint256 id = _ready(PER_UNIT, RATE);
        assertEq(dist.entitlementOf(id, alice), 1_000 * RATE, "entitlement");
        vm.expectEmit(address(dist));
        emit IDistributions.EntitlementPaid(id, alice, 1_000 * RATE, REF);
        assertEq(_claim(alice, id), 1_000 * RATE, "paid");
        assertEq(cash.balanceOf(alice), 1_000 * RATE, "received");
        assertEq(_status(id, alice), uint8(IDistributions.Status.Paid), "status");
        vm.expectRevert(_distErr(IDistributions.AlreadyPaid.selector, id, alice));
        _claim(alice, id);
        assertEq(dist.distribution(id).paid, 1_000 * RATE, "paid total");
        _assertConserved(id);
    }

    function test_claim_refusals_nothingMoves() public {
        uint256 id = _announce(token, PER_UNIT, RATE);
        vm.expectRevert(abi.encodeWithSelector(IDistributions.PaymentNotStarted.selector, id, uint40(T0 + 2 days)));
        _claim(alice, id);
        vm.warp(T0 + 2 days);
        vm.expectRevert(abi.encodeWithSelector(IDistributions.Underfunded.selector, id, SUPPLY * RATE, 0));
        _claim(alice, id);
        _fundDist(id);
        vm.expectRevert(_distErr(IDistributions.NothingEntitled.selector, id, dave));
        _claim(dave, id);
        vm.expectRevert(_distErr(IDistributions.NothingEntitled.selector, id, nobody));
        _claim(nobody, id);
        vm.expectRevert(_distErr(IDistributions.UnknownDistribution.selector, 2));
        _claim(alice, 2);
        vm.warp(T0 + 30 days);
        vm.expectRevert(abi.encodeWithSelector(IDistributions.ClaimPeriodOver.selector, id, uint40(T0 + 30 days)));
        _claim(alice, id);
        assertEq(cash.balanceOf(address(dist)), SUPPLY * RATE, "nothing moved");
    }

    function test_claim_entitlementIsFixedAtTheRecordDate_whateverHappensAfter() public {
        uint256 id = _announce(token, PER_UNIT, RATE);
        vm.prank(bob);
        token.transfer(dave, 1_000); // before the record date: counts
        vm.warp(T0 + 1 days); // a transfer in the block stamped at the record date counts too
        vm.prank(carol);
        token.transfer(alice, 6_000);
        vm.warp(T0 + 1 days + 1);
        vm.prank(alice);
        token.transfer(dave, 7_000); // after: does not count
        vm.prank(issuer);
        token.burn(bob, 2_000);
        _mint(carol, 50);
        vm.warp(T0 + 2 days);
        _fundDist(id);
        assertEq(_claim(alice, id), 7_000 * RATE, "alice: 1,000 + 6,000 at the record date");
        assertEq(_claim(dave, id), 1_000 * RATE, "dave: 1,000");
        assertEq(_claim(bob, id), 2_000 * RATE, "bob: 2,000, burned after");
        vm.expectRevert(_distErr(IDistributions.NothingEntitled.selector, id, carol));
        _claim(carol, id);
    }

    function test_claim_total_roundsDown_andTheRemainderStaysWithTheIssuer() public {
        uint256 id = _ready(TOTAL_KIND, TOTAL);
        assertEq(_claim(alice, id), 95_238_095, "alice 1,000/10,500");
        assertEq(_claim(alice2, id), 47_619_047, "alice2 500/10,500");
        assertEq(_claim(bob, id), 285_714_286, "bob 3,000/10,500");
        assertEq(_claim(carol, id), 571_428_573, "carol 6,000/10,500");
        assertEq(dist.unclaimed(id), 2, "remainder: funded - sum of entitlements");
        vm.warp(T0 + 30 days);
        uint256 before = cash.balanceOf(agent);
        assertEq(dist.sweep(id), 2, "swept");
        assertEq(cash.balanceOf(agent), before + 2, "to the announcer");
        _assertConserved(id);
    }

    function test_claim_frozenHolder_isHeld_thenPaidOnceUnfrozen_evenAfterTheSweep() public {
        uint256 id = _ready(PER_UNIT, RATE);
        _freezeAll(bob, true);
        vm.expectEmit(address(dist));
        emit IDistributions.EntitlementHeld(id, bob, 3_000 * RATE, "HOLDER_FROZEN", REF);
        assertEq(_claim(bob, id), 0, "nothing paid");
        assertEq(_held(id, bob), 3_000 * RATE, "held");
        assertEq(dist.distribution(id).held, 3_000 * RATE, "held total");
        vm.expectRevert(abi.encodeWithSelector(IDistributions.HolderNotEligible.selector, id, bob, bytes32("HOLDER_FROZEN")));
        _claim(bob, id);
        vm.warp(T0 + 30 days);
        dist.sweep(id);
        assertEq(cash.balanceOf(address(dist)), 3_000 * RATE, "the held amount is not swept");
        _freezeAll(bob, false);
        assertEq(_claim(bob, id), 3_000 * RATE, "paid after the deadline");
        assertEq(cash.balanceOf(bob), 3_000 * RATE, "received");
        assertEq(dist.distribution(id).held, 0, "nothing held");
        assertEq(cash.balanceOf(address(dist)), 0, "nothing left");
        _assertConserved(id);
    }

    function test_claim_ineligibleWallets_areHeldWithTheirReason() public {
        _setExpiry(CAROL_ID, carol, uint40(T0 + 1 days + 12 hours)); // expired by the payment date
        uint256 id = _announce(token, PER_UNIT, RATE);
        vm.prank(bob);
        token.transfer(escrow, 1_000); // a system account at the record date
        vm.warp(T0 + 2 days);
        _fundDist(id);
        vm.prank(registryRegistrar);
        registry.removeWallet(alice2); // retired
        _claim(escrow, id);
        _claim(carol, id);
        _claim(alice2, id);
        IDistributions.Distribution memory d = dist.distribution(id);
        assertEq(d.held, (1_000 + 6_000 + 500) * RATE, "all held");
        assertEq(_held(id, escrow), 1_000 * RATE, "system account");
        assertEq(_held(id, carol), 6_000 * RATE, "expired");
        assertEq(_held(id, alice2), 500 * RATE, "retired");
        vm.expectRevert(abi.encodeWithSelector(IDistributions.HolderNotEligible.selector, id, escrow, bytes32("SYSTEM_ACCOUNT")));
        _claim(escrow, id);
        vm.expectRevert(abi.encodeWithSelector(IDistributions.HolderNotEligible.selector, id, carol, bytes32("ELIGIBILITY_EXPIRED")));
        _claim(carol, id);
        vm.expectRevert(abi.encodeWithSelector(IDistributions.HolderNotEligible.selector, id, alice2, bytes32("NOT_REGISTERED")));
        _claim(alice2, id);
        assertEq(cash.balanceOf(address(dist)), SUPPLY * RATE, "nothing paid");
    }

    // ------------------------------------------------------------------ pay

    function test_pay_batch_paysHoldsAndSkips_eachHolderOnce() public {
        uint256 id = _ready(PER_UNIT, RATE);
        _claim(alice, id);
        _freezeAll(carol, true);
        address[] memory batch = new address[](5);
        (batch[0], batch[1], batch[2], batch[3], batch[4]) = (alice, alice2, bob, carol, dave);
        batch = _sorted(batch);
        vm.recordLogs();
        assertEq(_pay(id, batch), (500 + 3_000) * RATE, "batch total");
        Vm.Log[] memory logs = vm.getRecordedLogs();
        _assertLogged(logs, IDistributions.PaymentSkipped.selector, id, alice, abi.encode(bytes32("ALREADY_PAID"), REF));
        _assertLogged(logs, IDistributions.EntitlementPaid.selector, id, alice2, abi.encode(500 * RATE, REF));
        _assertLogged(logs, IDistributions.EntitlementPaid.selector, id, bob, abi.encode(3_000 * RATE, REF));
        _assertLogged(
            logs, IDistributions.EntitlementHeld.selector, id, carol, abi.encode(6_000 * RATE, bytes32("HOLDER_FROZEN"), REF)
        );
        _assertLogged(logs, IDistributions.PaymentSkipped.selector, id, dave, abi.encode(bytes32("NOTHING_ENTITLED"), REF));
        assertEq(cash.balanceOf(alice2), 500 * RATE, "alice2 paid");
        assertEq(cash.balanceOf(bob), 3_000 * RATE, "bob paid");
        assertEq(cash.balanceOf(alice), 1_000 * RATE, "alice paid once");
        assertEq(_held(id, carol), 6_000 * RATE, "carol held");
        // a second run pays nobody twice and pays carol once she is unfrozen
        vm.expectEmit(address(dist));
        emit IDistributions.PaymentSkipped(id, carol, "HOLDER_FROZEN", REF);
        assertEq(_pay(id, batch), 0, "nothing twice");
        _freezeAll(carol, false);
        assertEq(_pay(id, batch), 6_000 * RATE, "carol paid");
        assertEq(cash.balanceOf(carol), 6_000 * RATE, "carol received");
        IDistributions.Distribution memory d = dist.distribution(id);
        assertEq(d.paid, SUPPLY * RATE, "everything paid");
        assertEq(d.held, 0, "nothing held");
        assertEq(dist.unclaimed(id), 0, "nothing unclaimed");
    }

    function test_pay_refusals() public {
        uint256 id = _announce(token, PER_UNIT, RATE);
        address[] memory batch = _pair(alice, bob);
        vm.expectRevert(abi.encodeWithSelector(IDistributions.NotCorporateActionAgent.selector, address(token), stranger));
        vm.prank(stranger);
        dist.pay(id, batch);
        vm.expectRevert(abi.encodeWithSelector(IDistributions.InvalidBatch.selector, 0, 100));
        _pay(id, new address[](0));
        vm.expectRevert(abi.encodeWithSelector(IDistributions.InvalidBatch.selector, 101, 100));
        _pay(id, new address[](101));
        vm.expectRevert(abi.encodeWithSelector(IDistributions.PaymentNotStarted.selector, id, uint40(T0 + 2 days)));
        _pay(id, batch);
        vm.warp(T0 + 2 days);
        vm.expectRevert(abi.encodeWithSelector(IDistributions.Underfunded.selector, id, SUPPLY * RATE, 0));
        _pay(id, batch);
        _fundDist(id);
        address[] memory unsorted = new address[](2);
        (unsorted[0], unsorted[1]) = (batch[1], batch[0]);
        vm.expectRevert(abi.encodeWithSelector(IDistributions.InvalidBatch.selector, 2, 100));
        _pay(id, unsorted);
        address[] memory twice = _pair(alice, alice);
        vm.expectRevert(abi.encodeWithSelector(IDistributions.InvalidBatch.selector, 2, 100));
        _pay(id, twice);
        vm.expectRevert(abi.encodeWithSelector(IDistributions.InvalidBatch.selector, 1, 100));
        _pay(id, new address[](1)); // the zero address is not above the start of the order
        assertEq(cash.balanceOf(address(dist)), SUPPLY * RATE, "nothing moved");
    }

    function test_pay_afterTheDeadline_paysOnlyHeldEntitlements() public {
        uint256 id = _ready(PER_UNIT, RATE);
        _freezeAll(bob, true);
        _pay(id, _one(bob));
        vm.warp(T0 + 30 days);
        address[] memory batch = _pair(alice, bob);
        (address first, address second) = (batch[0], batch[1]);
        vm.expectEmit(address(dist));
        emit IDistributions.PaymentSkipped(id, first, first == bob ? bytes32("HOLDER_FROZEN") : bytes32("CLAIM_PERIOD_OVER"), REF);
        vm.expectEmit(address(dist));
        emit IDistributions.PaymentSkipped(id, second, second == bob ? bytes32("HOLDER_FROZEN") : bytes32("CLAIM_PERIOD_OVER"), REF);
        assertEq(_pay(id, batch), 0, "nobody paid");
        _freezeAll(bob, false);
        assertEq(_pay(id, batch), 3_000 * RATE, "bob's held entitlement only");
        assertEq(cash.balanceOf(alice), 0, "alice did not claim in time");
    }

    // ------------------------------------------------------------------ release

    function test_release_toAnotherWalletOfTheSameInvestor_partThenAll() public {
        uint256 id = _ready(PER_UNIT, RATE);
        _freezeAll(alice2, true);
        _claim(alice2, id);
        uint256 held = 500 * RATE;
        address[] memory to = _one(alice);
        uint256[] memory amounts = new uint256[](1);
        amounts[0] = 100 * RATE;
        vm.expectEmit(address(dist));
        emit IDistributions.EntitlementReleased(id, alice2, alice, 100 * RATE, REF);
        vm.prank(registrar);
        dist.release(id, alice2, to, amounts);
        assertEq(cash.balanceOf(alice), 100 * RATE, "part released");
        assertEq(_held(id, alice2), held - 100 * RATE, "rest still held");
        amounts[0] = held - 100 * RATE;
        vm.prank(registrar);
        dist.release(id, alice2, to, amounts);
        assertEq(cash.balanceOf(alice), held, "all released");
        assertEq(_status(id, alice2), uint8(IDistributions.Status.Released), "released");
        assertEq(dist.distribution(id).held, 0, "nothing held");
        assertEq(dist.distribution(id).paid, held, "counted as paid");
        _freezeAll(alice2, false);
        vm.expectRevert(_distErr(IDistributions.AlreadyPaid.selector, id, alice2));
        _claim(alice2, id);
        vm.expectEmit(address(dist));
        emit IDistributions.PaymentSkipped(id, alice2, "RELEASED", REF);
        _pay(id, _one(alice2));
        vm.expectRevert(_distErr(IDistributions.NotHeld.selector, id, alice2));
        vm.prank(registrar);
        dist.release(id, alice2, to, amounts);
        _assertConserved(id);
    }

    function test_release_systemAccount_toItsBeneficialOwners() public {
        uint256 id = _announce(token, PER_UNIT, RATE);
        vm.prank(carol);
        token.transfer(custody, 2_000); // bridged: in custody at the record date
        vm.warp(T0 + 2 days);
        _fundDist(id);
        address[] memory holders = _pair(custody, dave);
        _pay(id, holders);
        assertEq(_held(id, custody), 2_000 * RATE, "custody's entitlement held");
        address[] memory owners = new address[](3);
        (owners[0], owners[1], owners[2]) = (bob, dave, alice);
        uint256[] memory amounts = new uint256[](3);
        (amounts[0], amounts[1], amounts[2]) = (1_500 * RATE, 400 * RATE, 0);
        vm.prank(registrar);
        dist.release(id, custody, owners, amounts);
        assertEq(cash.balanceOf(bob), 1_500 * RATE, "first owner");
        assertEq(cash.balanceOf(dave), 400 * RATE, "second owner");
        assertEq(cash.balanceOf(alice), 0, "a zero share moves nothing");
        assertEq(_held(id, custody), 100 * RATE, "the rest stays held");
        _assertConserved(id);
    }

    function test_release_refusals() public {
        _setExpiry(CAROL_ID, carol, uint40(T0 + 1 days)); // expired by the payment date
        uint256 id = _ready(PER_UNIT, RATE);
        _freezeAll(alice2, true);
        _claim(alice2, id);
        address[] memory to = _one(alice);
        uint256[] memory amounts = new uint256[](1);
        amounts[0] = 1;
        vm.expectRevert(abi.encodeWithSelector(IDistributions.NotInstrumentRegistrar.selector, address(token), agent));
        vm.prank(agent);
        dist.release(id, alice2, to, amounts);
        vm.startPrank(registrar);
        vm.expectRevert(abi.encodeWithSelector(IDistributions.InvalidBatch.selector, 0, 100));
        dist.release(id, alice2, new address[](0), new uint256[](0));
        vm.expectRevert(abi.encodeWithSelector(IDistributions.InvalidBatch.selector, 1, 100));
        dist.release(id, alice2, to, new uint256[](2));
        vm.expectRevert(abi.encodeWithSelector(IDistributions.InvalidBatch.selector, 101, 100));
        dist.release(id, alice2, new address[](101), new uint256[](101));
        vm.expectRevert(_distErr(IDistributions.NotHeld.selector, id, bob));
        dist.release(id, bob, to, amounts);
        address[5] memory bad = [alice2, bob, nobody, escrow, carol];
        vm.stopPrank();
        for (uint256 i; i < bad.length; ++i) {
            to[0] = bad[i];
            vm.expectRevert(_distErr(IDistributions.InvalidReleaseRecipient.selector, id, bad[i]));
            vm.prank(registrar);
            dist.release(id, alice2, to, amounts);
        }
        // another wallet of the same investor, but frozen
        vm.prank(registryRegistrar);
        registry.registerInvestor(stranger, ALICE_ID, DE, 1, EXPIRY);
        _freezeAll(stranger, true);
        to[0] = stranger;
        vm.expectRevert(_distErr(IDistributions.InvalidReleaseRecipient.selector, id, stranger));
        vm.prank(registrar);
        dist.release(id, alice2, to, amounts);
        to[0] = alice;
        amounts[0] = 0;
        vm.expectRevert(abi.encodeWithSelector(IDistributions.ReleaseExceedsHeld.selector, id, alice2, 0, 500 * RATE));
        vm.prank(registrar);
        dist.release(id, alice2, to, amounts);
        amounts[0] = 500 * RATE + 1;
        vm.expectRevert(
            abi.encodeWithSelector(IDistributions.ReleaseExceedsHeld.selector, id, alice2, 500 * RATE + 1, 500 * RATE)
        );
        vm.prank(registrar);
        dist.release(id, alice2, to, amounts);
        assertEq(_held(id, alice2), 500 * RATE, "still all held");
    }

    // ------------------------------------------------------------------ sweep and views

    function test_sweep_afterTheDeadline_returnsWhatIsNeitherPaidNorHeld_once() public {
        uint256 id = _ready(PER_UNIT, RATE);
        _claim(alice, id);
        _freezeAll(bob, true);
        _claim(bob, id);
        vm.expectRevert(abi.encodeWithSelector(IDistributions.ClaimPeriodNotOver.selector, id, uint40(T0 + 30 days)));
        dist.sweep(id);
        vm.warp(T0 + 30 days);
        uint256 expected = (500 + 6_000) * RATE; // alice2 and carol never claimed
        assertEq(dist.unclaimed(id), expected, "unclaimed");
        vm.expectEmit(address(dist));
        emit IDistributions.DistributionSwept(id, agent, expected, REF);
        vm.prank(stranger);
        assertEq(dist.sweep(id), expected, "swept");
        assertEq(cash.balanceOf(agent), expected, "to the announcer");
        vm.expectRevert(_distErr(IDistributions.NothingToSweep.selector, id));
        dist.sweep(id);
        IDistributions.Distribution memory d = dist.distribution(id);
        assertEq(d.paid + d.held + d.swept, d.funded, "paid + held + swept == funded");
        assertEq(cash.balanceOf(address(dist)), d.held, "only the held amount stays");
    }

    function test_sweep_ofANeverFundedDistribution_refused() public {
        uint256 id = _announce(token, TOTAL_KIND, TOTAL);
        vm.warp(T0 + 30 days);
        vm.expectRevert(_distErr(IDistributions.NothingToSweep.selector, id));
        dist.sweep(id);
    }

    function test_views_unknownId_beforeTheRecordDate_andEntries() public {
        vm.expectRevert(_distErr(IDistributions.UnknownDistribution.selector, 1));
        dist.distribution(1);
        vm.expectRevert(_distErr(IDistributions.UnknownDistribution.selector, 1));
        dist.unclaimed(1);
        uint256 id = _announce(token, TOTAL_KIND, TOTAL);
        vm.expectRevert(abi.encodeWithSelector(IDistributions.RecordDateNotPassed.selector, id, uint40(T0 + 1 days)));
        dist.entitlementOf(id, alice);
        vm.warp(T0 + 1 days + 1);
        assertEq(dist.entitlementOf(id, alice), 95_238_095, "total: pro rata");
        assertEq(dist.entitlementOf(id, dave), 0, "non-holder");
        assertEq(_status(id, alice), uint8(IDistributions.Status.None), "untouched");
        assertEq(dist.entry(id, alice).held, 0, "nothing held");
    }

    function test_perUnit_roundingToNothing_needsNoFunding_paysNothing() public {
        vm.startPrank(issuer);
        bond.burn(alice, 1_000);
        bond.burn(bob, 2_550);
        bond.burn(carol, 6_400); // 0.50 bonds left
        vm.stopPrank();
        uint256 id = _announce(bond, PER_UNIT, 1); // one cash unit per whole bond
        vm.warp(T0 + 2 days);
        assertEq(dist.required(id), 0, "floor(50 x 1 / 100)");
        vm.expectRevert(_distErr(IDistributions.AlreadyFunded.selector, id));
        _fundDist(id);
        vm.expectRevert(_distErr(IDistributions.NothingEntitled.selector, id, carol));
        _claim(carol, id);
    }

    function test_perUnit_onATokenWithDecimals_scalesByWholeUnits() public {
        uint256 id = _announce(bond, PER_UNIT, 25_000_000); // 25 USD coupon per whole bond
        vm.warp(T0 + 2 days);
        assertEq(_fundDist(id), 100 * 25_000_000, "100.00 bonds");
        assertEq(_claim(bob, id), 637_500_000, "25.50 bonds: 637.50 USD");
    }
}

/// @notice The initializer, called on the implementation itself.
interface IDistributionsProxyLike {
    function initialize(address admin, uint48 adminDelay, address upgrader) external;
}

// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {LifecycleTest, LyingRecordDates} from "./LifecycleTest.sol";
import {HostileToken} from "../settlement/HostileTokens.sol";
import {IRedemption} from "../../../interfaces/IRedemption.sol";
import {ISecurityToken} from "../../../interfaces/ISecurityToken.sol";
import {SecurityToken} from "../../../contracts/token/SecurityToken.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {Initializable} from "@openzeppelin/contracts/proxy/utils/Initializable.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

/// @notice A cash token with any number of decimals and no `currency()`.
contract DecimalsToken is ERC20 {
    uint8 internal immutable _decimals;

    constructor(uint8 decimals_) ERC20("Decimals", "DEC") {
        _decimals = decimals_;
    }

    function decimals() public view override returns (uint8) {
        return _decimals;
    }
}

/// @notice Redemption: full at maturity (nominal price, bridged units coming home, the instrument
/// ending `Redeemed`), pro rata at a record date, held units and their release, batches, the
/// sweep, every refusal, a property test (units burned and cash paid match), and a re-entering
/// cash token.
contract RedemptionTest is LifecycleTest {
    bytes32 internal constant RED_UPGRADER_ROLE = keccak256("UPGRADER_ROLE");
    uint256 internal constant NOMINAL_PRICE = 1_000e6; // 1,000 USD per whole bond
    uint256 internal constant BOND_SUPPLY = 10_000; // 100.00 bonds
    uint256 internal constant SHARE_PRICE = 2e6;
    uint40 internal constant DEADLINE = BOND_MATURITY + 90 days;

    IRedemption.Kind internal constant FULL = IRedemption.Kind.Full;
    IRedemption.Kind internal constant PRO_RATA = IRedemption.Kind.ProRata;

    // ------------------------------------------------------------------ helpers

    function _fullTerms() internal view returns (IRedemption.Terms memory) {
        return IRedemption.Terms({
            token: ISecurityToken(address(bond)),
            cashToken: IERC20(address(cash)),
            kind: FULL,
            pricePerUnit: 0,
            numerator: 0,
            denominator: 0,
            recordDate: 0,
            startDate: BOND_MATURITY,
            deadline: DEADLINE
        });
    }

    /// @notice A third of each share holding at T0 + 1 day, at 2 USD a share, from T0 + 2 days to T0 + 30 days.
    function _proRataTerms() internal view returns (IRedemption.Terms memory) {
        return IRedemption.Terms({
            token: ISecurityToken(address(token)),
            cashToken: IERC20(address(cash)),
            kind: PRO_RATA,
            pricePerUnit: SHARE_PRICE,
            numerator: 1,
            denominator: 3,
            recordDate: uint40(_now() + 1 days),
            startDate: uint40(_now() + 2 days),
            deadline: uint40(_now() + 30 days)
        });
    }

    function _announceRed(IRedemption.Terms memory t) internal returns (uint256) {
        vm.prank(agent);
        return red.announce(t, REF);
    }

    function _fundRed(uint256 id) internal returns (uint256) {
        vm.prank(treasury);
        return red.fund(id);
    }

    function _redeem(address who, uint256 id) internal returns (uint256 units, uint256 payment) {
        vm.prank(who);
        return red.redeem(id);
    }

    /// @notice A full redemption of the bond, funded, at maturity.
    function _fullReady() internal returns (uint256 id) {
        id = _announceRed(_fullTerms());
        _fundRed(id);
        vm.warp(BOND_MATURITY);
    }

    /// @notice The pro-rata redemption of the shares, funded, at its start date.
    function _proRataReady() internal returns (uint256 id) {
        id = _announceRed(_proRataTerms());
        vm.warp(T0 + 2 days);
        _fundRed(id);
    }

    function _freezeBond(address wallet, bool frozen) internal {
        vm.prank(enforcer);
        bond.setAddressFrozen(wallet, frozen);
    }

    function _invalid(bytes32 field) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(IRedemption.InvalidTerms.selector, field);
    }

    function _refusedTerms(IRedemption.Terms memory t, string memory ref_) internal returns (bytes memory) {
        vm.prank(agent);
        (bool ok, bytes memory ret) = address(red).call(abi.encodeCall(IRedemption.announce, (t, ref_)));
        assertFalse(ok, "refused");
        return ret;
    }

    function _entry(uint256 id, address who) internal view returns (IRedemption.Entry memory) {
        return red.entry(id, who);
    }

    function _assertConserved(uint256 id) internal view {
        IRedemption.Redemption memory r = red.redemption(id);
        assertEq(r.paid + r.reserved + r.swept + red.unused(id), r.funded, "paid + reserved + swept + unused == funded");
    }

    // ------------------------------------------------------------------ set-up and roles

    function test_initialize_grantsRoles_andConstants() public {
        assertEq(red.defaultAdmin(), caAdmin, "admin");
        assertTrue(red.hasRole(RED_UPGRADER_ROLE, caUpgrader), "upgrader");
        assertEq(red.getRoleAdmin(RED_UPGRADER_ROLE), RED_UPGRADER_ROLE, "upgrader administers itself");
        assertEq(red.UPGRADER_ROLE(), RED_UPGRADER_ROLE, "role id");
        assertEq(red.MAX_BATCH(), 100, "max batch");
        assertEq(red.MAX_REFERENCE_LENGTH(), 35, "max reference");
        assertEq(red.MAX_PERIOD(), 3650 days, "max period");
        assertEq(red.redemptionCount(), 0, "none");
        vm.expectRevert(abi.encodeWithSelector(IRedemption.InvalidConfiguration.selector, bytes32("upgrader")));
        _newProxy(redImpl, _initData(caAdmin, address(0)));
        vm.expectRevert(Initializable.InvalidInitialization.selector);
        red.initialize(stranger, 0, stranger);
        assertTrue(red.supportsInterface(type(IRedemption).interfaceId), "IRedemption");
        assertTrue(red.supportsInterface(type(IAccessControl).interfaceId), "IAccessControl");
        assertTrue(red.supportsInterface(type(IERC165).interfaceId), "IERC165");
        assertFalse(red.supportsInterface(0xdeadbeef), "other");
    }

    function test_upgrade_onlyByUpgrader_keepsRedemptions() public {
        uint256 id = _announceRed(_fullTerms());
        address next = _deploy(REDEMPTION_ARTIFACT, "");
        vm.expectRevert(_unauthorized(caAdmin, RED_UPGRADER_ROLE));
        vm.prank(caAdmin);
        red.upgradeToAndCall(next, "");
        vm.prank(caUpgrader);
        red.upgradeToAndCall(next, "");
        assertEq(red.redemption(id).price, NOMINAL_PRICE, "kept");
    }

    // ------------------------------------------------------------------ announce

    function test_announce_full_atTheNominal_inTheCashTokensDecimals() public {
        IRedemption.Terms memory t = _fullTerms();
        vm.expectEmit(address(red));
        emit IRedemption.RedemptionAnnounced(1, address(bond), address(cash), t, NOMINAL_PRICE, 0, agent, REF);
        uint256 id = _announceRed(t);
        IRedemption.Redemption memory r = red.redemption(id);
        assertEq(r.price, NOMINAL_PRICE, "1,000e18 nominal -> 1,000e6 cash units");
        assertEq(uint8(r.kind), uint8(FULL), "kind");
        assertEq(r.tokenDecimals, 2, "decimals");
        assertEq(r.startDate, BOND_MATURITY, "start");
        assertEq(r.deadline, DEADLINE, "deadline");
        assertEq(r.issuer, agent, "issuer");
        assertEq(r.eventRef, REF, "reference");
        assertEq(r.numerator + r.denominator + r.recordDateId, 0, "no fraction, no record date");
        assertEq(book.recordDateCount(address(bond)), 0, "nothing scheduled");
        assertEq(red.required(id), BOND_SUPPLY * NOMINAL_PRICE / 100, "every outstanding unit");
        // a set price, in any cash token
        t.pricePerUnit = 990e6;
        t.cashToken = IERC20(address(new HostileToken()));
        assertEq(red.redemption(_announceRed(t)).price, 990e6, "set price");
    }

    function test_announce_nominalConversion_andCurrency() public {
        IRedemption.Terms memory t = _fullTerms();
        t.cashToken = IERC20(address(new DecimalsToken(24)));
        assertEq(red.redemption(_announceRed(t)).price, 1_000e24, "24 decimals");
        t.cashToken = IERC20(address(new DecimalsToken(18)));
        assertEq(red.redemption(_announceRed(t)).price, 1_000e18, "18 decimals");
        t.cashToken = IERC20(address(new DecimalsToken(0)));
        assertEq(red.redemption(_announceRed(t)).price, 1_000, "0 decimals");
        t.cashToken = IERC20(_deploy(CASH_ARTIFACT, abi.encode("EUR", "EURD", bytes3("EUR"), cashAdmin, uint48(1 days), cashIssuer)));
        assertEq(_refusedTerms(t, REF), _invalid("cashToken"), "a cash token in another currency, at the nominal");
        t.pricePerUnit = 950e6;
        _announceRed(t); // a set price may be in another currency
        // a nominal that does not convert exactly
        ISecurityToken.Instrument memory odd = _bondData();
        odd.isin = "DE000BOND001";
        odd.nominalPerUnit = 1e18 + 1;
        t = _fullTerms();
        t.token = _newInstrument(odd);
        assertEq(_refusedTerms(t, REF), _invalid("price"), "not exact in 6 decimals");
    }

    function test_announce_zeroNominal_refused() public {
        ISecurityToken.Instrument memory zero = _bondData();
        zero.isin = "DE000BOND001";
        zero.nominalPerUnit = 0;
        IRedemption.Terms memory t = _fullTerms();
        t.token = _newInstrument(zero);
        assertEq(_refusedTerms(t, REF), _invalid("price"), "no price");
    }

    function _newInstrument(ISecurityToken.Instrument memory data) internal returns (ISecurityToken) {
        vm.prank(creator);
        SecurityToken t = SecurityToken(factory.createInstrument("Other", "OTH", data, _roles()));
        _wire(t);
        return ISecurityToken(address(t));
    }

    function test_announce_refusesBadTerms() public {
        IRedemption.Terms memory t = _fullTerms();
        t.token = ISecurityToken(address(token));
        assertEq(_refusedTerms(t, REF), _invalid("kind"), "full redemption of shares without maturity");
        t = _fullTerms();
        t.recordDate = uint40(T0 + 1 days);
        assertEq(_refusedTerms(t, REF), _invalid("recordDate"), "full: no record date");
        t = _fullTerms();
        t.startDate = BOND_MATURITY - 1;
        assertEq(_refusedTerms(t, REF), _invalid("startDate"), "full: before maturity");
        t = _fullTerms();
        t.deadline = BOND_MATURITY;
        assertEq(_refusedTerms(t, REF), _invalid("deadline"), "deadline at the start");
        t.deadline = BOND_MATURITY + 3651 days;
        assertEq(_refusedTerms(t, REF), _invalid("deadline"), "deadline too far");
        t = _fullTerms();
        assertEq(_refusedTerms(t, ""), _invalid("reference"), "empty reference");
        assertEq(_refusedTerms(t, "123456789012345678901234567890123456"), _invalid("reference"), "36 bytes");
        t.token = ISecurityToken(stranger);
        assertEq(_refusedTerms(t, REF), _invalid("token"), "token");
        t = _fullTerms();
        t.cashToken = IERC20(stranger);
        assertEq(_refusedTerms(t, REF), _invalid("cashToken"), "cash EOA");
        t.cashToken = IERC20(address(bond));
        assertEq(_refusedTerms(t, REF), _invalid("cashToken"), "cash == token");
        t = _proRataTerms();
        t.numerator = 0;
        assertEq(_refusedTerms(t, REF), _invalid("fraction"), "zero fraction");
        t.numerator = 4;
        assertEq(_refusedTerms(t, REF), _invalid("fraction"), "more than the holding");
        t = _proRataTerms();
        t.recordDate = uint40(T0);
        assertEq(_refusedTerms(t, REF), _invalid("recordDate"), "record date now");
        t.recordDate = uint40(T0 + 3651 days);
        assertEq(_refusedTerms(t, REF), _invalid("recordDate"), "record date too far");
        t = _proRataTerms();
        t.startDate = t.recordDate;
        assertEq(_refusedTerms(t, REF), _invalid("startDate"), "start at the record date");
        // a full redemption whose start date has passed still needs a deadline in the future
        vm.warp(BOND_MATURITY + 10 days);
        t = _fullTerms();
        t.deadline = BOND_MATURITY + 5 days;
        assertEq(_refusedTerms(t, REF), _invalid("deadline"), "deadline passed");
        assertEq(red.redemptionCount(), 0, "nothing announced");
    }

    function test_announce_rolesOfTheCallerAndOfTheContract() public {
        IRedemption.Terms memory t = _fullTerms();
        vm.expectRevert(abi.encodeWithSelector(IRedemption.NotCorporateActionAgent.selector, address(bond), stranger));
        vm.prank(stranger);
        red.announce(t, REF);
        vm.prank(tokenAdmin);
        bond.revokeRole(ISSUER_ROLE, address(red));
        vm.expectRevert(abi.encodeWithSelector(IRedemption.MissingInstrumentRole.selector, address(bond), ISSUER_ROLE));
        _announceRed(t);
        vm.startPrank(tokenAdmin);
        bond.grantRole(ISSUER_ROLE, address(red));
        bond.revokeRole(CORPORATE_ACTION_ROLE, address(red));
        vm.stopPrank();
        vm.expectRevert(
            abi.encodeWithSelector(IRedemption.MissingInstrumentRole.selector, address(bond), CORPORATE_ACTION_ROLE)
        );
        _announceRed(t);
    }

    function test_announce_proRata_schedulesOrSharesTheRecordDate_needsABook() public {
        IRedemption.Terms memory t = _proRataTerms();
        uint256 id = _announceRed(t);
        assertEq(book.recordDateCount(address(token)), 1, "scheduled");
        assertEq(red.redemption(id).recordDateId, 1, "id");
        assertEq(red.redemption(_announceRed(t)).recordDateId, 1, "the same record date is shared");
        assertEq(book.recordDateCount(address(token)), 1, "not scheduled twice");
        ISecurityToken.Instrument memory data = _bondData();
        data.isin = "DE000BOND001";
        ISecurityToken other = _newInstrument(data);
        vm.prank(tokenAdmin);
        SecurityToken(address(other)).setRecordDates(address(0));
        t.token = other;
        vm.expectRevert(abi.encodeWithSelector(IRedemption.NoRecordDateBook.selector, address(other)));
        _announceRed(t);
        LyingRecordDates lying = new LyingRecordDates();
        vm.prank(tokenAdmin);
        SecurityToken(address(other)).setRecordDates(address(lying));
        vm.expectRevert(abi.encodeWithSelector(IRedemption.InvalidConfiguration.selector, bytes32("recordDateId")));
        _announceRed(t);
    }

    // ------------------------------------------------------------------ fund

    function test_fund_full_pullsTheCashForEveryOutstandingUnit_once() public {
        uint256 id = _announceRed(_fullTerms());
        vm.expectEmit(address(red));
        emit IRedemption.RedemptionFunded(id, treasury, 100_000e6, 100_000e6, REF);
        assertEq(_fundRed(id), 100_000e6, "100 bonds x 1,000");
        vm.expectRevert(abi.encodeWithSelector(IRedemption.AlreadyFunded.selector, id));
        _fundRed(id);
        _mintBond(dave, 100); // before maturity the supply may still grow: fund the difference
        assertEq(_fundRed(id), 1_000e6, "one more bond");
        vm.warp(DEADLINE);
        vm.expectRevert(abi.encodeWithSelector(IRedemption.RedemptionPeriodOver.selector, id, DEADLINE));
        _fundRed(id);
        vm.expectRevert(abi.encodeWithSelector(IRedemption.UnknownRedemption.selector, 7));
        _fundRed(7);
    }

    function test_fund_proRata_afterTheRecordDate() public {
        IRedemption.Terms memory t = _proRataTerms();
        uint256 id = _announceRed(t);
        vm.expectRevert(abi.encodeWithSelector(IRedemption.RecordDateNotPassed.selector, id, t.recordDate));
        _fundRed(id);
        vm.warp(t.recordDate + 1);
        assertEq(_fundRed(id), 3_500 * SHARE_PRICE, "floor(10,500 / 3) shares x 2 USD");
    }

    function test_fund_feeOnTransferToken_refused() public {
        HostileToken fee = new HostileToken();
        fee.mint(treasury, 1e30);
        IRedemption.Terms memory t = _fullTerms();
        t.cashToken = IERC20(address(fee));
        t.pricePerUnit = 1;
        uint256 id = _announceRed(t);
        vm.prank(treasury);
        fee.approve(address(red), type(uint256).max);
        fee.arm(HostileToken.Mode.Fee, address(red), "", false, true);
        vm.expectRevert(abi.encodeWithSelector(IRedemption.DepositShortfall.selector, address(fee), 100, 99));
        _fundRed(id);
        fee.disarm();
        _fundRed(id);
        _mintBond(dave, 100); // one more whole bond: one more cash unit, which the fee takes whole
        fee.arm(HostileToken.Mode.Fee, address(red), "", false, true);
        vm.expectRevert(abi.encodeWithSelector(IRedemption.DepositShortfall.selector, address(fee), 1, 0));
        _fundRed(id);
    }

    // ------------------------------------------------------------------ full redemption

    function test_redeem_full_burnsTheWholeBalance_paysTheNominal() public {
        uint256 id = _announceRed(_fullTerms());
        vm.expectRevert(abi.encodeWithSelector(IRedemption.RedemptionNotStarted.selector, id, BOND_MATURITY));
        _redeem(alice, id);
        vm.warp(BOND_MATURITY);
        vm.expectRevert(abi.encodeWithSelector(IRedemption.Underfunded.selector, id, 100_000e6, 0));
        _redeem(alice, id);
        _fundRed(id);
        vm.expectEmit(address(red));
        emit IRedemption.UnitsRedeemed(id, alice, 1_000, 10_000e6, REF);
        (uint256 units, uint256 payment) = _redeem(alice, id);
        assertEq(units, 1_000, "10.00 bonds");
        assertEq(payment, 10_000e6, "10,000 USD");
        assertEq(bond.balanceOf(alice), 0, "burned");
        assertEq(bond.totalSupply(), BOND_SUPPLY - 1_000, "supply");
        assertEq(cash.balanceOf(alice), 10_000e6, "paid");
        assertEq(uint8(_entry(id, alice).status), uint8(IRedemption.Status.Redeemed), "status");
        vm.expectRevert(abi.encodeWithSelector(IRedemption.NothingToRedeem.selector, id, alice));
        _redeem(alice, id);
        vm.expectRevert(abi.encodeWithSelector(IRedemption.NothingToRedeem.selector, id, nobody));
        _redeem(nobody, id);
        vm.warp(DEADLINE);
        vm.expectRevert(abi.encodeWithSelector(IRedemption.RedemptionPeriodOver.selector, id, DEADLINE));
        _redeem(bob, id);
        IRedemption.Redemption memory r = red.redemption(id);
        assertEq(r.unitsRedeemed, 1_000, "units");
        assertEq(r.paid, 10_000e6, "cash");
        _assertConserved(id);
    }

    function test_redeem_bridgedUnits_areRedeemedOnceBackHome() public {
        uint256 id = _announceRed(_fullTerms());
        vm.prank(bob);
        bond.transfer(custody, 550); // bridged out before maturity: locked in custody at home
        _fundRed(id);
        vm.warp(BOND_MATURITY);
        vm.expectRevert(abi.encodeWithSelector(IRedemption.HolderNotEligible.selector, id, custody, bytes32("SYSTEM_ACCOUNT")));
        _redeem(custody, id);
        (uint256 units,) = _redeem(bob, id);
        assertEq(units, 2_000, "what bob holds at home");
        vm.prank(custody);
        bond.transfer(bob, 550); // bridged home: custody releases to the holder, allowed when matured
        (uint256 more, uint256 payment) = _redeem(bob, id);
        assertEq(more, 550, "the units that came home");
        assertEq(payment, 5_500e6, "at the same price");
        assertEq(cash.balanceOf(bob), 25_500e6, "bob paid for all 25.50 bonds");
        vm.expectRevert(_restricted(CODE_FAILURE, "INSTRUMENT_MATURED")); // holders cannot trade matured units
        vm.prank(alice);
        bond.transfer(carol, 1);
    }

    function test_redeemFor_everyone_endsTheInstrumentRedeemed() public {
        uint256 id = _fullReady();
        vm.expectRevert(abi.encodeWithSelector(IRedemption.NotCorporateActionAgent.selector, address(bond), bob));
        vm.prank(bob);
        red.redeemFor(id, _one(bob));
        address[] memory all = new address[](3);
        (all[0], all[1], all[2]) = (alice, bob, carol);
        all = _sorted(all);
        vm.prank(agent);
        (uint256 units, uint256 payment) = red.redeemFor(id, all);
        assertEq(units, BOND_SUPPLY, "every unit");
        assertEq(payment, 100_000e6, "every cash unit");
        assertEq(bond.totalSupply(), 0, "nothing outstanding");
        assertEq(uint8(bond.lifecycleState()), uint8(ISecurityToken.LifecycleState.Redeemed), "redeemed");
        assertEq(red.unused(id), 0, "all cash used");
        assertEq(cash.balanceOf(carol), 64_500e6, "carol");
        vm.prank(agent);
        (units,) = red.redeemFor(id, all); // nothing left: every holder passed over
        assertEq(units, 0, "nothing more");
    }

    function test_redeem_dustWorthLessThanOneCashUnit_isBurnedForNothing() public {
        IRedemption.Terms memory t = _fullTerms();
        t.pricePerUnit = 1; // one cash unit per whole bond: 0.50 bonds round down to nothing
        uint256 id = _announceRed(t);
        _mintBond(dave, 50);
        _fundRed(id);
        vm.warp(BOND_MATURITY);
        (uint256 units, uint256 payment) = _redeem(dave, id);
        assertEq(units, 50, "burned");
        assertEq(payment, 0, "floor(50 x 1 / 100)");
        assertEq(cash.balanceOf(dave), 0, "no transfer");
    }

    function test_redeem_lastUnit_withoutTheRole_leavesTheStateToTheAgent() public {
        uint256 id = _fullReady();
        _redeem(alice, id);
        _redeem(bob, id);
        vm.prank(tokenAdmin);
        bond.revokeRole(CORPORATE_ACTION_ROLE, address(red));
        _redeem(carol, id);
        assertEq(bond.totalSupply(), 0, "all burned");
        assertEq(uint8(bond.lifecycleState()), uint8(ISecurityToken.LifecycleState.Matured), "not marked");
        vm.prank(agent);
        bond.setLifecycleState(ISecurityToken.LifecycleState.Redeemed);
        assertEq(uint8(bond.lifecycleState()), uint8(ISecurityToken.LifecycleState.Redeemed), "marked by the agent");
    }

    // ------------------------------------------------------------------ held units

    function test_redeem_frozenHolder_isHeld_thenRedeemedOnceUnfrozen_afterTheSweep() public {
        uint256 id = _fullReady();
        _freezeBond(bob, true);
        vm.expectEmit(address(red));
        emit IRedemption.RedemptionHeld(id, bob, 2_550, 25_500e6, "HOLDER_FROZEN", REF);
        (uint256 units, uint256 payment) = _redeem(bob, id);
        assertEq(units + payment, 0, "nothing moved");
        assertEq(bond.balanceOf(bob), 2_550, "not burned");
        IRedemption.Entry memory e = _entry(id, bob);
        assertEq(uint8(e.status), uint8(IRedemption.Status.Held), "held");
        assertEq(e.units, 2_550, "held units");
        IRedemption.Redemption memory r = red.redemption(id);
        assertEq(r.reserved, 25_500e6, "cash reserved");
        assertEq(r.unitsHeld, 2_550, "units held");
        (uint256 u, uint256 p) = red.redeemable(id, bob);
        assertEq(u, 2_550, "redeemable units");
        assertEq(p, 25_500e6, "redeemable cash");
        vm.expectRevert(abi.encodeWithSelector(IRedemption.HolderNotEligible.selector, id, bob, bytes32("HOLDER_FROZEN")));
        _redeem(bob, id);
        vm.warp(DEADLINE);
        assertEq(red.sweep(id), 74_500e6, "everything but bob's reserve");
        _freezeBond(bob, false);
        (units, payment) = _redeem(bob, id);
        assertEq(units, 2_550, "burned after the deadline");
        assertEq(payment, 25_500e6, "paid from the reserve");
        r = red.redemption(id);
        assertEq(r.reserved + r.unitsHeld, 0, "nothing held");
        assertEq(cash.balanceOf(address(red)), 0, "nothing left");
        _assertConserved(id);
    }

    function test_redeem_partlyFrozen_orIneligible_isHeld() public {
        _setExpiry(CAROL_ID, carol, BOND_MATURITY - 1);
        uint256 id = _fullReady();
        vm.prank(enforcer);
        bond.freezePartialTokens(alice, 100);
        _redeem(alice, id);
        _redeem(carol, id);
        vm.prank(registryRegistrar);
        registry.removeWallet(bob);
        _redeem(bob, id);
        assertEq(red.redemption(id).unitsHeld, BOND_SUPPLY, "all held");
        vm.expectRevert(abi.encodeWithSelector(IRedemption.HolderNotEligible.selector, id, alice, bytes32("UNITS_FROZEN")));
        _redeem(alice, id);
        vm.expectRevert(abi.encodeWithSelector(IRedemption.HolderNotEligible.selector, id, carol, bytes32("ELIGIBILITY_EXPIRED")));
        _redeem(carol, id);
        vm.expectRevert(abi.encodeWithSelector(IRedemption.HolderNotEligible.selector, id, bob, bytes32("NOT_REGISTERED")));
        _redeem(bob, id);
        assertEq(bond.totalSupply(), BOND_SUPPLY, "nothing burned");
    }

    function test_redeem_heldUnitsMovedAway_insufficient() public {
        uint256 id = _fullReady();
        _freezeBond(bob, true);
        _redeem(bob, id);
        vm.prank(registrar);
        bond.forcedTransfer(bob, custody, 50, "court order");
        _freezeBond(bob, false);
        vm.expectRevert(abi.encodeWithSelector(IRedemption.InsufficientUnits.selector, id, bob, 2_550));
        _redeem(bob, id);
    }

    function test_release_burnsTheHeldUnits_paysAnotherWalletOfTheInvestor() public {
        uint256 id = _fullReady();
        _freezeBond(alice, true);
        _redeem(alice, id);
        vm.expectRevert(abi.encodeWithSelector(IRedemption.NotInstrumentRegistrar.selector, address(bond), agent));
        vm.prank(agent);
        red.release(id, alice, alice2);
        vm.startPrank(registrar);
        vm.expectRevert(abi.encodeWithSelector(IRedemption.NotHeld.selector, id, bob));
        red.release(id, bob, alice2);
        address[4] memory bad = [alice, bob, nobody, escrow];
        for (uint256 i; i < bad.length; ++i) {
            vm.expectRevert(abi.encodeWithSelector(IRedemption.InvalidReleaseRecipient.selector, id, bad[i]));
            red.release(id, alice, bad[i]);
        }
        vm.stopPrank();
        _freezeBond(alice2, true);
        vm.expectRevert(abi.encodeWithSelector(IRedemption.InvalidReleaseRecipient.selector, id, alice2));
        vm.prank(registrar);
        red.release(id, alice, alice2);
        _freezeBond(alice2, false);
        vm.expectEmit(address(red));
        emit IRedemption.HeldRedemptionReleased(id, alice, alice2, 1_000, 10_000e6, REF);
        vm.prank(registrar);
        red.release(id, alice, alice2);
        assertEq(bond.balanceOf(alice), 0, "burned from the frozen wallet");
        assertEq(cash.balanceOf(alice2), 10_000e6, "paid to the other wallet");
        assertEq(uint8(_entry(id, alice).status), uint8(IRedemption.Status.Redeemed), "redeemed");
        _assertConserved(id);
    }

    function test_release_refusals_expiredRecipient_andUnitsMovedAway() public {
        vm.prank(registryRegistrar);
        registry.updateInvestor(ALICE_ID, _pair(alice, alice2), DE, 1, BOND_MATURITY + 1 days);
        uint256 id = _fullReady();
        _freezeBond(bob, true);
        _redeem(bob, id);
        vm.prank(registryRegistrar);
        registry.registerInvestor(stranger, BOB_ID, US, 1, EXPIRY);
        vm.prank(registrar);
        bond.forcedTransfer(bob, custody, 1, "court order");
        vm.expectRevert(abi.encodeWithSelector(IRedemption.InsufficientUnits.selector, id, bob, 2_550));
        vm.prank(registrar);
        red.release(id, bob, stranger);
        vm.warp(BOND_MATURITY + 2 days);
        _freezeBond(alice, true);
        _redeem(alice, id);
        vm.expectRevert(abi.encodeWithSelector(IRedemption.InvalidReleaseRecipient.selector, id, alice2));
        vm.prank(registrar);
        red.release(id, alice, alice2); // the investor's eligibility has expired
    }

    // ------------------------------------------------------------------ pro rata

    function test_proRata_redeemsTheFractionOfTheHoldingAtTheRecordDate() public {
        IRedemption.Terms memory t = _proRataTerms();
        uint256 id = _announceRed(t);
        vm.warp(t.recordDate + 1);
        vm.prank(carol);
        token.transfer(dave, 1_000); // after the record date: carol still redeems a third of 6,000
        vm.expectRevert(abi.encodeWithSelector(IRedemption.RedemptionNotStarted.selector, id, t.startDate));
        _redeem(alice, id);
        vm.warp(t.startDate);
        vm.expectRevert(abi.encodeWithSelector(IRedemption.Underfunded.selector, id, 3_500 * SHARE_PRICE, 0));
        _redeem(alice, id);
        _fundRed(id);
        (uint256 units, uint256 payment) = _redeem(alice, id);
        assertEq(units, 333, "floor(1,000 / 3)");
        assertEq(payment, 333 * SHARE_PRICE, "at the set price");
        assertEq(token.balanceOf(alice), 667, "the rest stays");
        vm.expectRevert(abi.encodeWithSelector(IRedemption.AlreadyRedeemed.selector, id, alice));
        _redeem(alice, id);
        (units,) = _redeem(carol, id);
        assertEq(units, 2_000, "a third of 6,000");
        vm.expectRevert(abi.encodeWithSelector(IRedemption.NothingToRedeem.selector, id, dave));
        _redeem(dave, id);
        (uint256 u, uint256 p) = red.redeemable(id, bob);
        assertEq(u, 1_000, "bob: a third of 3,000");
        assertEq(p, 1_000 * SHARE_PRICE, "bob's cash");
        (u,) = red.redeemable(id, alice);
        assertEq(u, 0, "alice redeemed");
        vm.prank(bob);
        token.transfer(dave, 2_500); // bob keeps 500 < 1,000 due
        vm.expectRevert(abi.encodeWithSelector(IRedemption.InsufficientUnits.selector, id, bob, 1_000));
        _redeem(bob, id);
        _assertConserved(id);
    }

    function test_proRata_redeemableBeforeTheRecordDate_reverts() public {
        IRedemption.Terms memory t = _proRataTerms();
        uint256 id = _announceRed(t);
        vm.expectRevert(abi.encodeWithSelector(IRedemption.RecordDateNotPassed.selector, id, t.recordDate));
        red.redeemable(id, alice);
        vm.expectRevert(abi.encodeWithSelector(IRedemption.RecordDateNotPassed.selector, id, t.recordDate));
        red.required(id);
    }

    function test_redeemFor_batch_redeemsHoldsAndSkips() public {
        uint256 id = _proRataReady();
        _redeem(alice, id);
        vm.prank(carol);
        token.transfer(escrow, 3_000); // carol now holds 3,000 >= 2,000 due; the escrow held nothing at the record date
        _freezeAll(bob, true);
        address[] memory batch = new address[](6);
        (batch[0], batch[1], batch[2], batch[3], batch[4], batch[5]) = (alice, alice2, bob, carol, dave, escrow);
        batch = _sorted(batch);
        vm.recordLogs();
        vm.prank(agent);
        (uint256 units, uint256 payment) = red.redeemFor(id, batch);
        assertEq(units, 166 + 2_000, "alice2 and carol");
        assertEq(payment, (166 + 2_000) * SHARE_PRICE, "their cash");
        assertEq(uint8(_entry(id, bob).status), uint8(IRedemption.Status.Held), "bob held");
        assertEq(_entry(id, bob).units, 1_000, "bob's units held");
        assertEq(token.balanceOf(alice2), 334, "alice2 burned");
        assertEq(token.balanceOf(carol), 1_000, "carol burned");
        vm.prank(agent);
        (units,) = red.redeemFor(id, batch);
        assertEq(units, 0, "nothing twice");
        vm.startPrank(agent);
        vm.expectRevert(abi.encodeWithSelector(IRedemption.InvalidBatch.selector, 0, 100));
        red.redeemFor(id, new address[](0));
        vm.expectRevert(abi.encodeWithSelector(IRedemption.InvalidBatch.selector, 101, 100));
        red.redeemFor(id, new address[](101));
        vm.expectRevert(abi.encodeWithSelector(IRedemption.InvalidBatch.selector, 2, 100));
        red.redeemFor(id, _pair(bob, bob));
        vm.stopPrank();
        // after the deadline only held units are redeemed
        vm.warp(T0 + 30 days);
        _freezeAll(bob, false);
        vm.prank(agent);
        (units,) = red.redeemFor(id, _pair(bob, dave));
        assertEq(units, 1_000, "bob's held units");
        vm.prank(agent);
        (units,) = red.redeemFor(id, _pair(bob, alice2));
        assertEq(units, 0, "nothing more");
        _assertConserved(id);
    }

    function test_redeemFor_beforeTheStart_refused_andHeldStillIneligible_skipped() public {
        IRedemption.Terms memory t = _proRataTerms();
        uint256 id = _announceRed(t);
        vm.expectRevert(abi.encodeWithSelector(IRedemption.RedemptionNotStarted.selector, id, t.startDate));
        vm.prank(agent);
        red.redeemFor(id, _one(alice));
        vm.warp(t.startDate);
        _fundRed(id);
        _freezeAll(bob, true);
        vm.prank(agent);
        red.redeemFor(id, _one(bob));
        vm.expectEmit(address(red));
        emit IRedemption.RedemptionSkipped(id, bob, "HOLDER_FROZEN", REF);
        vm.prank(agent);
        red.redeemFor(id, _one(bob));
        assertEq(_entry(id, bob).units, 1_000, "still held");
    }

    // ------------------------------------------------------------------ sweep and views

    function test_sweep_returnsTheUnusedCash_keepsReserves() public {
        uint256 id = _proRataReady();
        _redeem(alice, id);
        vm.expectRevert(abi.encodeWithSelector(IRedemption.RedemptionPeriodNotOver.selector, id, uint40(T0 + 30 days)));
        red.sweep(id);
        vm.warp(T0 + 30 days);
        uint256 expected = (3_500 - 333) * SHARE_PRICE;
        assertEq(red.unused(id), expected, "unused");
        vm.expectEmit(address(red));
        emit IRedemption.RedemptionSwept(id, agent, expected, REF);
        assertEq(red.sweep(id), expected, "swept");
        assertEq(cash.balanceOf(agent), expected, "to the announcer");
        vm.expectRevert(abi.encodeWithSelector(IRedemption.NothingToSweep.selector, id));
        red.sweep(id);
        vm.expectRevert(abi.encodeWithSelector(IRedemption.UnknownRedemption.selector, 5));
        red.redemption(5);
        vm.expectRevert(abi.encodeWithSelector(IRedemption.UnknownRedemption.selector, 5));
        red.unused(5);
        _assertConserved(id);
    }

    function test_redeemable_full() public {
        uint256 id = _fullReady();
        (uint256 units, uint256 payment) = red.redeemable(id, carol);
        assertEq(units, 6_450, "carol's balance");
        assertEq(payment, 64_500e6, "carol's cash");
    }

    // ------------------------------------------------------------------ properties

    /// @notice Whatever the holdings and the price, each redemption burns exactly the units it
    /// pays for: supply falls by the units, the holder receives floor(units x price / 10^2), and
    /// the cash paid never exceeds what was funded.
    function testFuzz_redeem_burnsExactlyWhatItPaysFor(uint256 a, uint256 b, uint256 price) public {
        a = bound(a, 1, 1e12);
        b = bound(b, 1, 1e12);
        price = bound(price, 1, 1e15);
        _mintBond(alice, a);
        _mintBond(dave, b);
        IRedemption.Terms memory t = _fullTerms();
        t.pricePerUnit = price;
        _fundCash(treasury, 1e40);
        uint256 id = _announceRed(t);
        uint256 funded = _fundRed(id);
        vm.warp(BOND_MATURITY);
        address[4] memory holders = [alice, bob, carol, dave];
        uint256 paidTotal;
        for (uint256 i; i < holders.length; ++i) {
            address h = holders[i];
            uint256 balance = bond.balanceOf(h);
            uint256 supply = bond.totalSupply();
            uint256 cashBefore = cash.balanceOf(h);
            (uint256 units, uint256 payment) = _redeem(h, id);
            assertEq(units, balance, "the whole balance");
            assertEq(bond.totalSupply(), supply - units, "supply falls by the units burned");
            assertEq(payment, units * price / 100, "floor(units x price / 10^decimals)");
            assertEq(cash.balanceOf(h) - cashBefore, payment, "the holder received the payment");
            paidTotal += payment;
        }
        assertEq(bond.totalSupply(), 0, "all burned");
        assertLe(paidTotal, funded, "never more than funded");
        assertEq(red.redemption(id).paid, paidTotal, "paid");
        assertEq(cash.balanceOf(address(red)), funded - paidTotal, "the rest is the rounding remainder");
        assertLe(funded - paidTotal, holders.length, "less than one cash unit per holder");
    }

    // ------------------------------------------------------------------ re-entrancy

    function test_redeem_reenteringCashToken_cannotRedeemTwice() public {
        HostileToken hostile = new HostileToken();
        hostile.mint(treasury, 1e30);
        vm.prank(treasury);
        hostile.approve(address(red), type(uint256).max);
        IRedemption.Terms memory t = _fullTerms();
        t.cashToken = IERC20(address(hostile));
        t.pricePerUnit = NOMINAL_PRICE;
        uint256 id = _announceRed(t);
        _fundRed(id);
        vm.warp(BOND_MATURITY);
        // on its payout to bob, the cash token calls redeem and redeemFor again
        hostile.arm(HostileToken.Mode.Reenter, address(red), abi.encodeCall(IRedemption.redeem, (id)), false, false);
        _redeem(bob, id);
        assertTrue(hostile.attempted(), "re-entry attempted");
        assertFalse(hostile.reentered(), "refused");
        assertEq(hostile.reentryError(), abi.encodePacked(ReentrancyGuardTransient.ReentrancyGuardReentrantCall.selector), "by the guard");
        assertEq(hostile.balanceOf(bob), 25_500e6, "paid once");
        hostile.arm(HostileToken.Mode.Reenter, address(red), abi.encodeCall(IRedemption.sweep, (id)), true, false);
        vm.expectRevert(ReentrancyGuardTransient.ReentrancyGuardReentrantCall.selector);
        _redeem(carol, id);
        assertEq(bond.balanceOf(carol), 6_450, "undone: nothing burned");
        hostile.disarm();
        _redeem(carol, id);
        assertEq(hostile.balanceOf(carol), 64_500e6, "then paid once");
    }
}

// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Vm, VM_ADDRESS} from "../utils/Vm.sol";
import {SuiteTest} from "../utils/SuiteTest.sol";
import {SecurityToken} from "../../../contracts/token/SecurityToken.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IAccessControlDefaultAdminRules} from
    "@openzeppelin/contracts/access/extensions/IAccessControlDefaultAdminRules.sol";
import {ICashToken} from "../../../interfaces/ICashToken.sol";
import {IDistributions} from "../../../interfaces/IDistributions.sol";
import {IRedemption} from "../../../interfaces/IRedemption.sol";
import {IRecordDates} from "../../../interfaces/IRecordDates.sol";
import {ISecurityToken} from "../../../interfaces/ISecurityToken.sol";

/// @notice Cheatcodes the lifecycle tests need beyond tests/forge/utils/Vm.sol.
interface LifecycleVm {
    /// @dev `context` is forge's `ForgeContext` enum (2: Coverage).
    function isContext(uint8 context) external view returns (bool);
}

/// @notice The distributions contract as its proxy answers.
interface IDistributionsProxy is IDistributions, IAccessControlDefaultAdminRules {
    function UPGRADER_ROLE() external view returns (bytes32);
    function initialize(address admin, uint48 adminDelay, address upgrader) external;
    function upgradeToAndCall(address newImplementation, bytes calldata data) external payable;
    function supportsInterface(bytes4 interfaceId) external view returns (bool);
}

/// @notice The redemption contract as its proxy answers.
interface IRedemptionProxy is IRedemption, IAccessControlDefaultAdminRules {
    function UPGRADER_ROLE() external view returns (bytes32);
    function initialize(address admin, uint48 adminDelay, address upgrader) external;
    function upgradeToAndCall(address newImplementation, bytes calldata data) external payable;
    function supportsInterface(bytes4 interfaceId) external view returns (bool);
}

/// @title LyingRecordDates
/// @notice A book that schedules under another id than the next one (tests the contracts' check).
contract LyingRecordDates {
    function recordDateCount(address) external pure returns (uint256) {
        return 0;
    }

    function scheduleRecordDate(address, uint40) external pure returns (uint256) {
        return 7;
    }
}

/// @title LifecycleTest
/// @notice The suite of SuiteTest plus the corporate-action contracts, deployed from the build
/// output: the record-date book (`RecordDates`), a `CashToken` in USD (6 decimals), `Distributions` and
/// `Redemption` behind `SuiteProxy`s, and a bond (`XS1234567896`, 2 decimals, nominal 1,000 USD,
/// maturing 30 days after T0) beside the shares of SuiteTest. Both instruments point to the book;
/// `agent` holds their `CORPORATE_ACTION_ROLE`; both contracts hold it, and `Redemption` holds
/// `ISSUER_ROLE`; `custody` is a system account standing in for the bridge custody. Shares:
/// alice 1,000, alice2 500, bob 3,000, carol 6,000 (supply 10,500). Bond: alice 10.00, bob 25.50,
/// carol 64.50 (supply 100.00 units, 10,000 smallest units). `treasury` holds cash and approved
/// both contracts.
abstract contract LifecycleTest is SuiteTest {
    LifecycleVm internal constant lvm = LifecycleVm(VM_ADDRESS);

    string internal constant CASH_ARTIFACT = "contracts/settlement/CashToken.sol:CashToken";
    string internal constant DISTRIBUTIONS_ARTIFACT = "contracts/lifecycle/Distributions.sol:Distributions";
    string internal constant REDEMPTION_ARTIFACT = "contracts/lifecycle/Redemption.sol:Redemption";
    string internal constant RECORD_DATES_ARTIFACT = "contracts/lifecycle/RecordDates.sol:RecordDates";

    bytes32 internal constant CORPORATE_ACTION_ROLE = keccak256("CORPORATE_ACTION_ROLE");
    uint8 internal constant FORGE_CONTEXT_COVERAGE = 2;

    uint40 internal constant BOND_MATURITY = uint40(T0 + 30 days);
    uint96 internal constant BOND_NOMINAL = 1_000e18;
    uint256 internal constant TREASURY_CASH = 1_000_000_000e6;
    string internal constant REF = "CA-2026-DIV-0001";

    address internal agent = _actor("agent");
    address internal treasury = _actor("treasury");
    address internal cashAdmin = _actor("cashAdmin");
    address internal cashIssuer = _actor("cashIssuer");
    address internal caAdmin = _actor("caAdmin");
    address internal caUpgrader = _actor("caUpgrader");
    address internal custody = _actor("custody");

    ICashToken internal cash;
    IRecordDates internal book;
    address internal distImpl;
    address internal redImpl;
    IDistributionsProxy internal dist;
    IRedemptionProxy internal red;
    SecurityToken internal bond;

    function setUp() public virtual override {
        super.setUp();
        cash = ICashToken(_deploy(CASH_ARTIFACT, abi.encode("Tokenised USD", "USDT", bytes3("USD"), cashAdmin, uint48(1 days), cashIssuer)));
        book = _newBook();
        distImpl = _deploy(DISTRIBUTIONS_ARTIFACT, "");
        redImpl = _deploy(REDEMPTION_ARTIFACT, "");
        dist = IDistributionsProxy(_newProxy(distImpl, _initData(caAdmin, caUpgrader)));
        red = IRedemptionProxy(_newProxy(redImpl, _initData(caAdmin, caUpgrader)));
        vm.prank(creator);
        bond = SecurityToken(factory.createInstrument("Acme 5% 2026", "ACME26", _bondData(), _roles()));
        _wire(token);
        _wire(bond);
        vm.prank(registryRegistrar);
        registry.registerSystemAccount(custody, "bridge custody");
        _mint(alice, 1_000);
        _mint(alice2, 500);
        _mint(bob, 3_000);
        _mint(carol, 6_000);
        _mintBond(alice, 1_000);
        _mintBond(bob, 2_550);
        _mintBond(carol, 6_450);
        vm.prank(cashIssuer);
        cash.mint(treasury, TREASURY_CASH);
        vm.startPrank(treasury);
        cash.approve(address(dist), type(uint256).max);
        cash.approve(address(red), type(uint256).max);
        vm.stopPrank();
    }

    // ------------------------------------------------------------------ deployment

    /// @notice The suite's record-date book behind a SuiteProxy.
    function _newBook() internal returns (IRecordDates) {
        address impl = _deploy(RECORD_DATES_ARTIFACT, "");
        return IRecordDates(_newProxy(impl, _initData(caAdmin, caUpgrader)));
    }

    function _initData(address admin_, address upgrader_) internal pure returns (bytes memory) {
        return abi.encodeCall(IDistributionsProxy.initialize, (admin_, uint48(1 days), upgrader_));
    }

    function _bondData() internal pure returns (ISecurityToken.Instrument memory) {
        return ISecurityToken.Instrument({
            isin: "XS1234567896",
            cfi: "DBFTFR",
            currency: "USD",
            decimals: 2,
            issueDate: ISSUE_DATE,
            maturity: BOND_MATURITY,
            issuerLei: "HWUPKR0MPOU8FGXBT394",
            nominalPerUnit: BOND_NOMINAL
        });
    }

    /// @notice Point `t` to the book; grant the agent and both contracts the corporate-action
    /// role, and the redemption contract the issuer role.
    function _wire(SecurityToken t) internal {
        vm.startPrank(tokenAdmin);
        t.setRecordDates(address(book));
        t.grantRole(CORPORATE_ACTION_ROLE, agent);
        t.grantRole(CORPORATE_ACTION_ROLE, address(dist));
        t.grantRole(CORPORATE_ACTION_ROLE, address(red));
        t.grantRole(ISSUER_ROLE, address(red));
        vm.stopPrank();
    }

    function _mintBond(address to, uint256 amount) internal {
        vm.prank(issuer);
        bond.mint(to, amount);
    }

    function _fundCash(address to, uint256 amount) internal {
        vm.prank(cashIssuer);
        cash.mint(to, amount);
    }

    // ------------------------------------------------------------------ distributions

    /// @notice Announce on `t` (record date in 1 day, payment in 2, deadline in 30) as the agent.
    function _announce(SecurityToken t, IDistributions.Kind kind, uint256 value) internal returns (uint256 id) {
        uint256 now_ = _now();
        vm.prank(agent);
        id = dist.announce(_dterms(ISecurityToken(address(t)), IERC20(address(cash)), uint40(now_ + 1 days), uint40(now_ + 2 days), uint40(now_ + 30 days), kind, value), REF);
    }

    /// @notice Distribution terms, as `announce` takes them.
    function _dterms(
        ISecurityToken t,
        IERC20 c,
        uint40 recordDate,
        uint40 paymentDate,
        uint40 claimDeadline,
        IDistributions.Kind kind,
        uint256 value
    ) internal pure returns (IDistributions.Terms memory) {
        return IDistributions.Terms({
            token: t,
            cashToken: c,
            recordDate: recordDate,
            paymentDate: paymentDate,
            claimDeadline: claimDeadline,
            kind: kind,
            value: value
        });
    }

    function _fundDist(uint256 id) internal returns (uint256) {
        vm.prank(treasury);
        return dist.fund(id);
    }

    function _claim(address who, uint256 id) internal returns (uint256) {
        vm.prank(who);
        return dist.claim(id);
    }

    function _pay(uint256 id, address[] memory holders) internal returns (uint256) {
        vm.prank(agent);
        return dist.pay(id, holders);
    }

    /// @notice `a` and `b`, sorted ascending.
    function _pair(address a, address b) internal pure returns (address[] memory list) {
        list = new address[](2);
        (list[0], list[1]) = a < b ? (a, b) : (b, a);
    }

    function _one(address a) internal pure returns (address[] memory list) {
        list = new address[](1);
        list[0] = a;
    }

    /// @notice Sort `list` ascending in place (insertion sort; test batches are small).
    function _sorted(address[] memory list) internal pure returns (address[] memory) {
        for (uint256 i = 1; i < list.length; ++i) {
            address x = list[i];
            uint256 j = i;
            while (j > 0 && list[j - 1] > x) {
                list[j] = list[j - 1];
                --j;
            }
            list[j] = x;
        }
        return list;
    }

    function _warpTo(uint256 timestamp) internal {
        vm.warp(timestamp);
    }

    // ------------------------------------------------------------------ registry

    /// @notice Set the expiry of `investorId` (whose only wallet is `wallet`) to `expiry`.
    function _setExpiry(bytes32 investorId, address wallet, uint40 expiry) internal {
        address[] memory wallets = new address[](1);
        wallets[0] = wallet;
        (, uint16 country, uint8 category,,) = registry.investor(investorId);
        vm.prank(registryRegistrar);
        registry.updateInvestor(investorId, wallets, country, category, expiry);
    }

    // ------------------------------------------------------------------ events

    /// @notice `logs` hold an event `topic0` of the contract under test for (`id`, `holder`) with `data`.
    function _assertLogged(Vm.Log[] memory logs, bytes32 topic0, uint256 id, address holder, bytes memory data)
        internal
        pure
    {
        for (uint256 i; i < logs.length; ++i) {
            Vm.Log memory l = logs[i];
            if (
                l.topics.length == 3 && l.topics[0] == topic0 && l.topics[1] == bytes32(id)
                    && l.topics[2] == bytes32(uint256(uint160(holder)))
            ) {
                assertEq(l.data, data, "event data");
                return;
            }
        }
        fail(string.concat("event not logged for ", vm.toString(holder)));
    }

    // ------------------------------------------------------------------ errors

    function _distErr(bytes4 selector, uint256 id) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(selector, id);
    }

    function _distErr(bytes4 selector, uint256 id, address who) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(selector, id, who);
    }
}

// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {VM_ADDRESS} from "../utils/Vm.sol";
import {SuiteTest} from "../utils/SuiteTest.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IAccessControlDefaultAdminRules} from
    "@openzeppelin/contracts/access/extensions/IAccessControlDefaultAdminRules.sol";
import {ICashToken} from "../../../interfaces/ICashToken.sol";
import {IDvPEscrow} from "../../../interfaces/IDvPEscrow.sol";
import {IHashedTimelockEscrow} from "../../../interfaces/IHashedTimelockEscrow.sol";
import {ITransferRules} from "../../../interfaces/ITransferRules.sol";
import {ISecurityToken} from "../../../interfaces/ISecurityToken.sol";

/// @notice The cheatcodes the settlement tests need beyond tests/forge/utils/Vm.sol.
interface SettlementVm {
    function sign(uint256 privateKey, bytes32 digest) external pure returns (uint8 v, bytes32 r, bytes32 s);
    /// @dev `context` is forge's `ForgeContext` enum (2: Coverage).
    function isContext(uint8 context) external view returns (bool);
    function roll(uint256 newHeight) external;
    function getBlockNumber() external view returns (uint256);
}

/// @notice The escrow as its proxy answers: the trading interface, its roles, UUPS.
interface IDvPEscrowProxy is IDvPEscrow, IAccessControlDefaultAdminRules {
    function UPGRADER_ROLE() external view returns (bytes32);
    function initialize(address admin, uint48 adminDelay, address upgrader) external;
    function upgradeToAndCall(address newImplementation, bytes calldata data) external payable;
    function supportsInterface(bytes4 interfaceId) external view returns (bool);
}

/// @notice The cash token with its roles.
interface ICashTokenAdmin is ICashToken, IAccessControlDefaultAdminRules {
    function supportsInterface(bytes4 interfaceId) external view returns (bool);
    function DOMAIN_SEPARATOR() external view returns (bytes32);
}

/// @title SettlementTest
/// @notice The suite of SuiteTest plus the settlement contracts, deployed from the build output:
/// a `CashToken` (EUR, 6 decimals), a `DvPEscrow` behind a `SuiteProxy`, a
/// `HashedTimelockEscrow`, both registered as system accounts. Sellers alice, alice2 and carol
/// hold units; buyers bob, dave, alice and alice2 hold cash; every actor approved the escrow for
/// both tokens.
abstract contract SettlementTest is SuiteTest {
    SettlementVm internal constant svm = SettlementVm(VM_ADDRESS);

    string internal constant CASH_ARTIFACT = "contracts/settlement/CashToken.sol:CashToken";
    string internal constant DVP_ARTIFACT = "contracts/settlement/DvPEscrow.sol:DvPEscrow";
    string internal constant HTLC_ARTIFACT = "contracts/settlement/HashedTimelockEscrow.sol:HashedTimelockEscrow";

    bytes32 internal constant CASH_ISSUER_ROLE = keccak256("CASH_ISSUER_ROLE");
    uint8 internal constant FORGE_CONTEXT_COVERAGE = 2;

    uint128 internal constant QTY = 100;
    uint128 internal constant PRICE = 2_500e6; // 2,500.000000 EUR
    uint256 internal constant UNITS = 10_000;
    uint256 internal constant CASH = 1_000_000e6;
    string internal constant REF = "SETT-2026-000001";

    address internal cashAdmin = _actor("cashAdmin");
    address internal cashIssuer = _actor("cashIssuer");
    address internal dvpAdmin = _actor("dvpAdmin");
    address internal dvpUpgrader = _actor("dvpUpgrader");

    ICashTokenAdmin internal cash;
    address internal dvpImpl;
    IDvPEscrowProxy internal dvp;
    IHashedTimelockEscrow internal htlc;

    function setUp() public virtual override {
        super.setUp();
        cash = ICashTokenAdmin(_newCash("EUR"));
        dvpImpl = _deploy(DVP_ARTIFACT, "");
        dvp = IDvPEscrowProxy(_newProxy(dvpImpl, _initData(dvpAdmin, dvpUpgrader)));
        htlc = IHashedTimelockEscrow(_deploy(HTLC_ARTIFACT, ""));
        vm.startPrank(registryRegistrar);
        registry.registerSystemAccount(address(dvp), "DvP escrow");
        registry.registerSystemAccount(address(htlc), "HTLC escrow");
        vm.stopPrank();
        _mint(alice, UNITS);
        _mint(alice2, UNITS);
        _mint(carol, UNITS);
        _fund(bob, CASH);
        _fund(dave, CASH);
        _fund(alice, CASH);
        _fund(alice2, CASH);
        address[6] memory actors = [alice, alice2, bob, carol, dave, escrow];
        for (uint256 i; i < actors.length; ++i) {
            _approveAll(actors[i]);
        }
    }

    // ------------------------------------------------------------------ deployment

    function _newCash(bytes3 currency) internal returns (address) {
        return _deploy(
            CASH_ARTIFACT, abi.encode("Tokenised EUR deposit", "EURD", currency, cashAdmin, uint48(1 days), cashIssuer)
        );
    }

    function _initData(address admin_, address upgrader_) internal pure returns (bytes memory) {
        return abi.encodeCall(IDvPEscrowProxy.initialize, (admin_, uint48(1 days), upgrader_));
    }

    function _fund(address to, uint256 amount) internal {
        vm.prank(cashIssuer);
        cash.mint(to, amount);
    }

    function _approveAll(address who) internal {
        vm.startPrank(who);
        token.approve(address(dvp), type(uint256).max);
        cash.approve(address(dvp), type(uint256).max);
        token.approve(address(htlc), type(uint256).max);
        cash.approve(address(htlc), type(uint256).max);
        vm.stopPrank();
    }

    // ------------------------------------------------------------------ trades

    function _terms(address seller, address buyer) internal view returns (IDvPEscrow.TradeTerms memory) {
        return _terms(seller, buyer, QTY, PRICE, uint40(_now() + 2 days));
    }

    function _terms(address seller, address buyer, uint128 quantity, uint128 amount, uint40 deadline)
        internal
        view
        returns (IDvPEscrow.TradeTerms memory)
    {
        return IDvPEscrow.TradeTerms({
            seller: seller,
            buyer: buyer,
            security: ISecurityToken(address(token)),
            quantity: quantity,
            cashToken: IERC20(address(cash)),
            amount: amount,
            deadline: deadline
        });
    }

    function _instruct(address who, IDvPEscrow.TradeTerms memory t, string memory ref) internal returns (bytes32) {
        vm.prank(who);
        return dvp.instruct(t, ref);
    }

    /// @notice Seller proposes, buyer instructs the same terms: a matched trade.
    function _matched(IDvPEscrow.TradeTerms memory t, string memory ref) internal returns (bytes32 id) {
        id = _instruct(t.seller, t, ref);
        _instruct(t.buyer, t, ref);
    }

    function _matched() internal returns (bytes32) {
        return _matched(_terms(alice, bob), REF);
    }

    function _cancelBoth(bytes32 id, IDvPEscrow.TradeTerms memory t) internal {
        vm.prank(t.seller);
        dvp.cancel(id);
        vm.prank(t.buyer);
        dvp.cancel(id);
    }

    function _status(bytes32 id) internal view returns (uint8) {
        return uint8(dvp.tradeStatus(id));
    }

    function _expectedId(IDvPEscrow.TradeTerms memory t, string memory ref) internal view returns (bytes32) {
        return keccak256(abi.encode(block.chainid, address(dvp), t, ref));
    }

    // ------------------------------------------------------------------ errors

    function _err(bytes4 selector, bytes32 id) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(selector, id);
    }

    function _notAParty(bytes32 id, address who) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(IDvPEscrow.NotAParty.selector, id, who);
    }

    function _refused(bytes32 id, bytes1 code, bytes32 reason) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(IDvPEscrow.SettlementRefused.selector, id, code, reason);
    }

    function _reclaimRefused(bytes32 id, bytes1 code, bytes32 reason) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(IDvPEscrow.ReclaimRefused.selector, id, code, reason);
    }

    function _invalidTerms(bytes32 field) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(IDvPEscrow.InvalidTerms.selector, field);
    }

    function _withStatus(bytes4 selector, bytes32 id, IDvPEscrow.Status s) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(selector, id, s);
    }

    function _withSide(bytes4 selector, bytes32 id, IDvPEscrow.Side side) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(selector, id, side);
    }

    // ------------------------------------------------------------------ registry and rules

    /// @notice Set the expiry of `investorId` (whose only wallet is `wallet`) to `expiry`.
    function _setExpiry(bytes32 investorId, address wallet, uint40 expiry) internal {
        address[] memory wallets = new address[](1);
        wallets[0] = wallet;
        (, uint16 country, uint8 category,,) = registry.investor(investorId);
        vm.prank(registryRegistrar);
        registry.updateInvestor(investorId, wallets, country, category, expiry);
    }

    function _denyCountry(uint16 country) internal {
        uint16[] memory list = new uint16[](1);
        list[0] = country;
        vm.startPrank(tokenAdmin);
        token.setRule(ITransferRules.RuleType.CountryDenyList, 1);
        token.setCountries(ITransferRules.RuleType.CountryDenyList, list, true);
        vm.stopPrank();
    }
}

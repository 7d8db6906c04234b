// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {LifecycleTest} from "./LifecycleTest.sol";
import {SecurityToken} from "../../../contracts/token/SecurityToken.sol";
import {ISplits} from "../../../interfaces/ISplits.sol";
import {ISecurityToken} from "../../../interfaces/ISecurityToken.sol";
import {IAccessControlDefaultAdminRules} from
    "@openzeppelin/contracts/access/extensions/IAccessControlDefaultAdminRules.sol";

/// @notice The splits contract as its proxy answers.
interface ISplitsProxy is ISplits, IAccessControlDefaultAdminRules {
    function UPGRADER_ROLE() external view returns (bytes32);
    function initialize(address admin, uint48 adminDelay, address upgrader) external;
    function upgradeToAndCall(address newImplementation, bytes calldata data) external payable;
    function supportsInterface(bytes4 interfaceId) external view returns (bool);
}

/// @title SplitsBase
/// @notice LifecycleTest plus `Splits` behind a SuiteProxy, holding the `CORPORATE_ACTION_ROLE`
/// and `ISSUER_ROLE` of both instruments. Shares: alice 1,000, alice2 500 (alice's second
/// wallet), bob 3,000, carol 6,000 (supply 10,500). By default a split or consolidation has its
/// record date 1 day ahead and its deadline 30 days ahead.
abstract contract SplitsBase is LifecycleTest {
    string internal constant SPLITS_ARTIFACT = "contracts/lifecycle/Splits.sol:Splits";
    string internal constant SPLIT_REF = "CA-2026-SPLF-0001";

    ISplits.Kind internal constant SPLIT = ISplits.Kind.Split;
    ISplits.Kind internal constant CONSOLIDATION = ISplits.Kind.Consolidation;

    address internal splitsImpl;
    ISplitsProxy internal splits;

    function setUp() public virtual override {
        super.setUp();
        splitsImpl = _deploy(SPLITS_ARTIFACT, "");
        splits = ISplitsProxy(_newProxy(splitsImpl, _initData(caAdmin, caUpgrader)));
        _wireSplits(token);
        _wireSplits(bond);
    }

    function _wireSplits(SecurityToken t) internal {
        vm.startPrank(tokenAdmin);
        t.grantRole(CORPORATE_ACTION_ROLE, address(splits));
        t.grantRole(ISSUER_ROLE, address(splits));
        vm.stopPrank();
    }

    // ------------------------------------------------------------------ helpers

    function _sterms(SecurityToken t, ISplits.Kind kind, uint32 n, uint32 d, uint256 recordDate, uint256 deadline)
        internal
        pure
        returns (ISplits.Terms memory)
    {
        return ISplits.Terms({
            token: ISecurityToken(address(t)),
            kind: kind,
            numerator: n,
            denominator: d,
            recordDate: uint40(recordDate),
            deadline: uint40(deadline)
        });
    }

    /// @notice Announce on the shares as the agent: record date in 1 day, deadline in 30. A
    /// consolidation suspends the instrument first.
    function _announceSplit(ISplits.Kind kind, uint32 n, uint32 d) internal returns (uint256 id) {
        if (kind == CONSOLIDATION && token.lifecycleState() != ISecurityToken.LifecycleState.Suspended) {
            _suspend(token);
        }
        uint256 now_ = _now();
        vm.prank(agent);
        id = splits.announce(_sterms(token, kind, n, d, now_ + 1 days, now_ + 30 days), SPLIT_REF);
    }

    /// @notice Announce, then move past the record date.
    function _readySplit(ISplits.Kind kind, uint32 n, uint32 d) internal returns (uint256 id) {
        id = _announceSplit(kind, n, d);
        vm.warp(_now() + 1 days + 1);
    }

    function _suspend(SecurityToken t) internal {
        vm.prank(agent);
        t.setLifecycleState(ISecurityToken.LifecycleState.Suspended);
    }

    function _resume(SecurityToken t) internal {
        vm.prank(agent);
        t.setLifecycleState(ISecurityToken.LifecycleState.Active);
    }

    function _applyTo(uint256 id, address[] memory holders) internal returns (uint256) {
        vm.prank(agent);
        return splits.applyTo(id, holders);
    }

    function _claimSplit(address who, uint256 id) internal returns (uint256) {
        vm.prank(who);
        return splits.claim(id);
    }

    /// @notice The four share holders, ascending.
    function _shareHolders() internal view returns (address[] memory list) {
        list = new address[](4);
        (list[0], list[1], list[2], list[3]) = (alice, alice2, bob, carol);
        return _sorted(list);
    }

    function _status(uint256 id, address who) internal view returns (ISplits.Status) {
        return splits.entry(id, who).status;
    }

    function _heldUnits(uint256 id, address who) internal view returns (uint256) {
        ISplits.Entry memory e = splits.entry(id, who);
        assertEq(uint8(e.status), uint8(ISplits.Status.Held), "held status");
        return e.units;
    }

    function _invalidTerms(bytes32 field) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(ISplits.InvalidTerms.selector, field);
    }

    function _badState(SecurityToken t, ISecurityToken.LifecycleState state) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(ISplits.InvalidInstrumentState.selector, address(t), state);
    }

    function _array(address a, address b, address c) internal pure returns (address[] memory list) {
        list = new address[](3);
        (list[0], list[1], list[2]) = (a, b, c);
    }

    function _amounts(uint256 a) internal pure returns (uint256[] memory list) {
        list = new uint256[](1);
        list[0] = a;
    }
}

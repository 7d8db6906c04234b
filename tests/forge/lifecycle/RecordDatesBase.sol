// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {VM_ADDRESS} from "../utils/Vm.sol";
import {SuiteTest} from "../utils/SuiteTest.sol";
import {SecurityToken} from "../../../contracts/token/SecurityToken.sol";
import {ISecurityToken} from "../../../interfaces/ISecurityToken.sol";
import {IRecordDates} from "../../../interfaces/IRecordDates.sol";
import {IAccessControlDefaultAdminRules} from
    "@openzeppelin/contracts/access/extensions/IAccessControlDefaultAdminRules.sol";

/// @notice The cheatcodes the lifecycle tests need beyond tests/forge/utils/Vm.sol.
interface LifecycleVm {
    function store(address target, bytes32 slot, bytes32 value) external;
    /// @dev `context` is forge's `ForgeContext` enum (2: Coverage).
    function isContext(uint8 context) external view returns (bool);
    function snapshotState() external returns (uint256 snapshotId);
    function revertToState(uint256 snapshotId) external returns (bool success);
}

/// @notice The record-date book as its proxy answers: the interface, its roles, UUPS.
interface IRecordDatesProxy is IRecordDates, IAccessControlDefaultAdminRules {
    function UPGRADER_ROLE() external view returns (bytes32);
    function initialize(address admin, uint48 adminDelay, address upgrader) external;
    function upgradeToAndCall(address newImplementation, bytes calldata data) external payable;
    function supportsInterface(bytes4 interfaceId) external view returns (bool);
}

/// @title RecordDatesBase
/// @notice The suite of SuiteTest plus the record-date book (RecordDates behind a SuiteProxy, from
/// the build output), a corporate-action agent holding CORPORATE_ACTION_ROLE on the instrument, and
/// `redeemer`: a system account holding the issuer role (a redemption contract, or the remote
/// bridge endpoint, that takes units in and burns them). `escrow` (a system account) stands for
/// bridge custody and the DvP escrow.
abstract contract RecordDatesBase is SuiteTest {
    LifecycleVm internal constant lvm = LifecycleVm(VM_ADDRESS);

    string internal constant BOOK_ARTIFACT = "contracts/lifecycle/RecordDates.sol:RecordDates";
    bytes32 internal constant CORPORATE_ACTION_ROLE = keccak256("CORPORATE_ACTION_ROLE");
    uint8 internal constant FORGE_CONTEXT_COVERAGE = 2;

    bytes32 internal constant INSTRUMENT_NOT_ACTIVE = "INSTRUMENT_NOT_ACTIVE";
    bytes32 internal constant INSTRUMENT_SUSPENDED = "INSTRUMENT_SUSPENDED";
    bytes32 internal constant INSTRUMENT_MATURED = "INSTRUMENT_MATURED";
    bytes32 internal constant INSTRUMENT_REDEEMED = "INSTRUMENT_REDEEMED";

    /// @dev SecurityToken's ERC-7201 root; `instrument` takes slots 0-1, the lifecycle slot is 2.
    bytes32 internal constant TOKEN_SLOT = 0xf110c4924bcd8dbe8bbcf41a2c212c8f5e117b332f9029edfbc82d5c88882c00;
    bytes32 internal constant LIFECYCLE_SLOT = bytes32(uint256(TOKEN_SLOT) + 2);
    uint256 internal constant LIFECYCLE_ON = 0x80 << 160; // bit 7 of Config.active (byte 20)
    uint256 internal constant CHECKPOINTS_ON = 0x40 << 160; // bit 6

    uint40 internal constant MATURITY = uint40(T0 + 180 days); // before the investors' expiry

    address internal agent = _actor("agent");
    address internal bookAdmin = _actor("bookAdmin");
    address internal bookUpgrader = _actor("bookUpgrader");
    address internal redeemer = _actor("redeemer");

    address internal bookImpl;
    IRecordDatesProxy internal book;

    function setUp() public virtual override {
        super.setUp();
        bookImpl = _deploy(BOOK_ARTIFACT, "");
        book = IRecordDatesProxy(
            _newProxy(bookImpl, abi.encodeCall(IRecordDatesProxy.initialize, (bookAdmin, 1 days, bookUpgrader)))
        );
        vm.prank(registryRegistrar);
        registry.registerSystemAccount(redeemer, "redemption");
        _wire(token);
    }

    /// @notice Grant the agent the corporate-action role and `redeemer` the issuer role on `t`.
    function _wire(SecurityToken t) internal {
        vm.startPrank(tokenAdmin);
        t.grantRole(CORPORATE_ACTION_ROLE, agent);
        t.grantRole(ISSUER_ROLE, redeemer);
        vm.stopPrank();
    }

    /// @notice A second instrument, a bond maturing at MATURITY, wired like `token`.
    function _bond() internal returns (SecurityToken b) {
        ISecurityToken.Instrument memory data = _instrument();
        data.isin = "DE000A1EWWW0";
        data.cfi = "DBFTFR";
        data.maturity = MATURITY;
        vm.prank(creator);
        b = SecurityToken(factory.createInstrument("Acme 5% 2024", "ACME24", data, _roles()));
        _wire(b);
    }

    function _useBook(SecurityToken t) internal {
        vm.prank(tokenAdmin);
        t.setRecordDates(address(book));
    }

    function _schedule(SecurityToken t, uint256 timestamp) internal returns (uint256 id) {
        vm.prank(agent);
        id = book.scheduleRecordDate(address(t), uint40(timestamp));
    }

    function _setState(SecurityToken t, ISecurityToken.LifecycleState to, address by) internal {
        vm.prank(by);
        t.setLifecycleState(to);
    }

    function _mintTo(SecurityToken t, address to, uint256 amount) internal {
        vm.prank(issuer);
        t.mint(to, amount);
    }

    function _burnFrom(SecurityToken t, address from, uint256 amount) internal {
        vm.prank(issuer);
        t.burn(from, amount);
    }

    function _move(SecurityToken t, address from, address to, uint256 amount) internal {
        vm.prank(from);
        t.transfer(to, amount);
    }

    function _force(SecurityToken t, address from, address to, uint256 amount) internal {
        vm.prank(registrar);
        t.forcedTransfer(from, to, amount, "court order");
    }

    /// @notice Whether `_assess` reads the lifecycle slot (TransferRules' LIFECYCLE_ON bit).
    function _lifecycleOn(SecurityToken t) internal view returns (bool) {
        return uint256(vm.load(address(t), RULES_SLOT)) & LIFECYCLE_ON != 0;
    }

    /// @notice Whether balance changes read the lifecycle slot (TransferRules' CHECKPOINTS_ON bit).
    function _checkpointsOn(SecurityToken t) internal view returns (bool) {
        return uint256(vm.load(address(t), RULES_SLOT)) & CHECKPOINTS_ON != 0;
    }

    /// @notice `canTransfer(from, to, amount)` on `t` must answer `reason`, and the mint
    /// (`from == 0`, by the issuer) or transfer must then do exactly that: land, or revert
    /// `TransferRestricted` with the same code and reason.
    function _agree(SecurityToken t, address from, address to, uint256 amount, bytes32 reason) internal {
        (bytes1 code, bytes32 r) = t.canTransfer(from, to, amount);
        assertEq(r, reason, "canTransfer reason");
        uint256 before = t.balanceOf(to);
        if (reason != OK) vm.expectRevert(_restricted(code, r));
        if (from == address(0)) {
            vm.prank(issuer);
            t.mint(to, amount);
        } else {
            vm.prank(from);
            t.transfer(to, amount);
        }
        if (reason == OK) {
            assertCode(code, CODE_SUCCESS, "canTransfer code");
            assertEq(t.balanceOf(to), before + amount, "landed");
        } else {
            assertCode(code, CODE_FAILURE, "lifecycle refusals are 0x50");
            assertEq(t.balanceOf(to), before, "nothing moved");
        }
    }

    function _invalid(ISecurityToken.LifecycleState from, ISecurityToken.LifecycleState to)
        internal
        pure
        returns (bytes memory)
    {
        return abi.encodeWithSelector(ISecurityToken.InvalidLifecycleTransition.selector, from, to);
    }
}

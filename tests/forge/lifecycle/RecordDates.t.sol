// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {RecordDatesBase, IRecordDatesProxy} from "./RecordDatesBase.sol";
import {VM_ADDRESS} from "../utils/Vm.sol";
import {SecurityToken} from "../../../contracts/token/SecurityToken.sol";
import {ISecurityToken} from "../../../interfaces/ISecurityToken.sol";
import {IRecordDates} from "../../../interfaces/IRecordDates.sol";
import {Vm} from "../utils/Vm.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {Initializable} from "@openzeppelin/contracts/proxy/utils/Initializable.sol";

/// @notice `expectCall` with a count (not in tests/forge/utils/Vm.sol).
interface CallVm {
    function expectCall(address callee, bytes calldata data, uint64 count) external;
}

/// @notice The record-date book: deployment and upgrades, the token's link to it, scheduling
/// rules, and balances and supply at record dates, exact across every kind of balance change.
contract RecordDatesTest is RecordDatesBase {
    CallVm internal constant cvm = CallVm(VM_ADDRESS);

    event RecordDateScheduled(address indexed token, uint256 indexed id, uint40 timestamp, address indexed by);
    event Checkpointed(address indexed token, address indexed account, uint256 indexed id, uint256 balance);
    event RecordDatesSet(address indexed previous, address indexed recordDates);
    event CheckpointsFrom(uint40 timestamp);

    bytes32 internal constant CHECKPOINTED = keccak256("Checkpointed(address,address,uint256,uint256)");

    function _notPassed(uint256 id, uint256 timestamp) internal view returns (bytes memory) {
        return abi.encodeWithSelector(IRecordDates.RecordDateNotPassed.selector, address(token), id, uint40(timestamp));
    }

    function _unknown(uint256 id) internal view returns (bytes memory) {
        return abi.encodeWithSelector(IRecordDates.UnknownRecordDate.selector, address(token), id);
    }

    /// @dev Number of Checkpointed events the book emitted among the recorded logs.
    function _checkpointsLogged() internal returns (uint256 n) {
        Vm.Log[] memory logs = vm.getRecordedLogs();
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].emitter == address(book) && logs[i].topics[0] == CHECKPOINTED) ++n;
        }
    }

    // ------------------------------------------------------------------ deployment

    function test_initialize_rolesAndInterfaces() public view {
        assertEq(book.defaultAdmin(), bookAdmin, "admin");
        assertEq(uint256(book.defaultAdminDelay()), 1 days, "admin delay");
        bytes32 up = book.UPGRADER_ROLE();
        assertTrue(book.hasRole(up, bookUpgrader), "upgrader");
        assertEq(book.getRoleAdmin(up), up, "upgrader administers itself");
        assertTrue(book.supportsInterface(type(IRecordDates).interfaceId), "IRecordDates");
        assertTrue(book.supportsInterface(type(IERC165).interfaceId), "IERC165");
        assertFalse(book.supportsInterface(0xffffffff), "0xffffffff");
    }

    function test_initialize_refusesZeroUpgrader_once_andNeverOnTheImplementation() public {
        vm.expectRevert(abi.encodeWithSelector(IRecordDates.InvalidConfiguration.selector, bytes32("upgrader")));
        _newProxy(bookImpl, abi.encodeCall(IRecordDatesProxy.initialize, (bookAdmin, 0, address(0))));
        vm.expectRevert(Initializable.InvalidInitialization.selector);
        book.initialize(stranger, 0, stranger);
        vm.expectRevert(Initializable.InvalidInitialization.selector);
        IRecordDatesProxy(bookImpl).initialize(stranger, 0, stranger);
    }

    function test_upgrade_onlyByTheUpgrader_keepsTheBooks() public {
        _useBook(token);
        uint256 id = _schedule(token, _now() + 10);
        address next = _deploy(BOOK_ARTIFACT, "");
        bytes32 up = book.UPGRADER_ROLE();
        vm.expectRevert(_unauthorized(bookAdmin, up));
        vm.prank(bookAdmin);
        book.upgradeToAndCall(next, "");
        vm.prank(bookUpgrader);
        book.upgradeToAndCall(next, "");
        assertEq(book.recordDateCount(address(token)), 1, "count kept");
        assertEq(uint256(book.recordDateOf(address(token), id)), _now() + 10, "date kept");
    }

    // ------------------------------------------------------------------ the token's link

    function test_setRecordDates_byTheAdmin_withEvent_andTheHotPathFlag() public {
        vm.expectRevert(_unauthorized(stranger, DEFAULT_ADMIN_ROLE));
        vm.prank(stranger);
        token.setRecordDates(address(book));
        vm.expectEmit(address(token));
        emit RecordDatesSet(address(0), address(book));
        _useBook(token);
        assertEq(token.recordDates(), address(book), "book");
        assertFalse(_lifecycleOn(token) || _checkpointsOn(token), "nothing to read until a record date");
        // Until a record date is scheduled the book can change, or go.
        vm.expectEmit(address(token));
        emit RecordDatesSet(address(book), address(0));
        vm.prank(tokenAdmin);
        token.setRecordDates(address(0));
        assertEq(token.recordDates(), address(0), "no book");
    }

    function test_setRecordDates_refusesAnAddressWithoutCode() public {
        vm.expectRevert(abi.encodeWithSelector(ISecurityToken.RecordDatesLocked.selector, stranger));
        vm.prank(tokenAdmin);
        token.setRecordDates(stranger);
    }

    function test_setRecordDates_fixedOnceARecordDateIsScheduled() public {
        _useBook(token);
        _schedule(token, _now() + 10);
        address other = _newProxy(bookImpl, abi.encodeCall(IRecordDatesProxy.initialize, (bookAdmin, 0, bookUpgrader)));
        vm.expectRevert(abi.encodeWithSelector(ISecurityToken.RecordDatesLocked.selector, other));
        vm.prank(tokenAdmin);
        token.setRecordDates(other);
        vm.expectRevert(abi.encodeWithSelector(ISecurityToken.RecordDatesLocked.selector, address(0)));
        vm.prank(tokenAdmin);
        token.setRecordDates(address(0));
    }

    function test_recordDateScheduled_onlyByTheTokensBook() public {
        vm.expectRevert(abi.encodeWithSelector(ISecurityToken.NotRecordDates.selector, stranger));
        vm.prank(stranger);
        token.recordDateScheduled(uint40(_now() + 1));
        _useBook(token);
        vm.expectRevert(abi.encodeWithSelector(ISecurityToken.NotRecordDates.selector, agent));
        vm.prank(agent);
        token.recordDateScheduled(uint40(_now() + 1));
    }

    // ------------------------------------------------------------------ scheduling

    function test_schedule_idsFromOne_eventsAndViews() public {
        _useBook(token);
        uint256 t1 = _now() + 1 days;
        uint256 t2 = _now() + 2 days;
        vm.expectEmit(address(book));
        emit RecordDateScheduled(address(token), 1, uint40(t1), agent);
        vm.expectEmit(address(token));
        emit CheckpointsFrom(uint40(t1));
        assertEq(_schedule(token, t1), 1, "first id");
        assertTrue(_checkpointsOn(token), "balance changes now read the lifecycle slot");
        assertFalse(_lifecycleOn(token), "the rules do not: the share is Active, undated");
        vm.recordLogs();
        assertEq(_schedule(token, t2), 2, "second id");
        Vm.Log[] memory logs = vm.getRecordedLogs();
        assertEq(logs.length, 1, "the token notes only the first record date");
        assertEq(logs[0].emitter, address(book), "book's event");
        assertEq(book.recordDateCount(address(token)), 2, "count");
        assertEq(uint256(book.recordDateOf(address(token), 1)), t1, "date 1");
        assertEq(uint256(book.recordDateOf(address(token), 2)), t2, "date 2");
        assertEq(book.recordDateCount(address(_bond())), 0, "books are per token");
        vm.expectRevert(_unknown(0));
        book.recordDateOf(address(token), 0);
        vm.expectRevert(_unknown(3));
        book.recordDateOf(address(token), 3);
    }

    function test_schedule_onlyByTheTokensCorporateActionAgent() public {
        _useBook(token);
        vm.expectRevert(abi.encodeWithSelector(IRecordDates.NotCorporateActionAgent.selector, address(token), issuer));
        vm.prank(issuer);
        book.scheduleRecordDate(address(token), uint40(_now() + 10));
    }

    function test_schedule_onlyForATokenPointingToThisBook() public {
        vm.expectRevert(abi.encodeWithSelector(IRecordDates.NotTokenRecordDates.selector, address(token)));
        _schedule(token, _now() + 10);
        _useBook(token);
        IRecordDatesProxy other =
            IRecordDatesProxy(_newProxy(bookImpl, abi.encodeCall(IRecordDatesProxy.initialize, (bookAdmin, 0, bookUpgrader))));
        vm.expectRevert(abi.encodeWithSelector(IRecordDates.NotTokenRecordDates.selector, address(token)));
        vm.prank(agent);
        other.scheduleRecordDate(address(token), uint40(_now() + 10));
    }

    function test_schedule_inTheFuture_andStrictlyIncreasing() public {
        _useBook(token);
        uint256 t = _now();
        bytes4 invalid = IRecordDates.InvalidRecordDate.selector;
        vm.expectRevert(abi.encodeWithSelector(invalid, address(token), uint40(t), uint40(t + 1)));
        _schedule(token, t);
        vm.expectRevert(abi.encodeWithSelector(invalid, address(token), uint40(t - 1), uint40(t + 1)));
        _schedule(token, t - 1);
        _schedule(token, t + 100);
        vm.expectRevert(abi.encodeWithSelector(invalid, address(token), uint40(t + 100), uint40(t + 101)));
        _schedule(token, t + 100);
        vm.expectRevert(abi.encodeWithSelector(invalid, address(token), uint40(t + 50), uint40(t + 101)));
        _schedule(token, t + 50);
        _schedule(token, t + 101);
        vm.warp(t + 500); // once the last has passed, the next must still be in the future
        vm.expectRevert(abi.encodeWithSelector(invalid, address(token), uint40(t + 200), uint40(t + 501)));
        _schedule(token, t + 200);
        assertEq(_schedule(token, t + 501), 3, "third");
    }

    // ------------------------------------------------------------------ queries

    function test_balanceAt_revertsUntilTheRecordDateHasPassed() public {
        _mint(alice, 100);
        _useBook(token);
        uint256 rd = _now() + 10;
        _schedule(token, rd);
        vm.expectRevert(_notPassed(1, rd));
        book.balanceAt(address(token), alice, 1);
        vm.warp(rd); // the record date's own second is not over
        vm.expectRevert(_notPassed(1, rd));
        book.balanceAt(address(token), alice, 1);
        vm.expectRevert(_notPassed(1, rd));
        book.totalSupplyAt(address(token), 1);
        vm.warp(rd + 1);
        assertEq(book.balanceAt(address(token), alice, 1), 100, "final");
        assertEq(book.totalSupplyAt(address(token), 1), 100, "supply");
        vm.expectRevert(_unknown(2));
        book.balanceAt(address(token), alice, 2);
        vm.expectRevert(_unknown(0));
        book.totalSupplyAt(address(token), 0);
    }

    /// @notice Every kind of balance change after the record date leaves the balances and supply
    /// at the record date as they were.
    function test_balanceAt_exactAcrossEveryKindOfBalanceChange() public {
        _mint(alice, 100);
        _mint(bob, 50);
        _mint(carol, 20);
        _mint(escrow, 30);
        _useBook(token);
        uint256 rd = _now() + 10;
        _schedule(token, rd);
        vm.warp(rd + 1);
        address[7] memory w = [alice, alice2, bob, carol, dave, escrow, redeemer];
        uint256[7] memory atRd = [uint256(100), 0, 50, 20, 0, 30, 0];

        vm.prank(alice);
        token.transfer(bob, 10);
        vm.prank(bob);
        token.approve(stranger, 5);
        vm.prank(stranger);
        token.transferFrom(bob, carol, 5);
        _mint(dave, 7);
        vm.prank(issuer);
        token.burn(carol, 3);
        address[] memory to = new address[](2);
        (to[0], to[1]) = (alice, dave);
        uint256[] memory amounts = new uint256[](2);
        (amounts[0], amounts[1]) = (4, 6);
        vm.prank(issuer);
        token.batchMint(to, amounts);
        vm.prank(issuer);
        token.batchBurn(to, amounts);
        _force(token, escrow, alice, 30);
        vm.prank(registrar);
        token.recoverWallet(alice, alice2);
        _move(token, bob, redeemer, 1);

        uint256 sum;
        for (uint256 i; i < w.length; ++i) {
            assertEq(book.balanceAt(address(token), w[i], 1), atRd[i], vm.toString(w[i]));
            sum += book.balanceAt(address(token), w[i], 1);
        }
        assertEq(book.totalSupplyAt(address(token), 1), 200, "supply at the record date");
        assertEq(sum, 200, "sum of balances at the record date");
        assertEq(token.totalSupply(), 204, "supply now");
        assertEq(token.balanceOf(alice2), 120, "alice's units moved on");
    }

    /// @notice A transfer in a block stamped with the record date itself counts; one a second
    /// later does not.
    function test_balanceAt_includesTheRecordDatesOwnSecond() public {
        _mint(alice, 100);
        _useBook(token);
        uint256 rd = _now() + 10;
        _schedule(token, rd);
        vm.warp(rd);
        _move(token, alice, bob, 10);
        _mint(carol, 5);
        vm.warp(rd + 1);
        _move(token, alice, bob, 20);
        _burnFrom(token, carol, 5);
        assertEq(book.balanceAt(address(token), alice, 1), 90, "alice");
        assertEq(book.balanceAt(address(token), bob, 1), 10, "bob");
        assertEq(book.balanceAt(address(token), carol, 1), 5, "carol");
        assertEq(book.totalSupplyAt(address(token), 1), 105, "supply");
    }

    function test_balanceAt_untouchedAccountsReadTheirCurrentBalance() public {
        _mint(alice, 100);
        _mint(bob, 5);
        _useBook(token);
        _schedule(token, _now() + 10);
        vm.warp(_now() + 1000);
        _move(token, alice, carol, 1);
        assertEq(book.balanceAt(address(token), bob, 1), 5, "bob never moved");
        assertEq(book.balanceAt(address(token), dave, 1), 0, "dave never held");
    }

    /// @notice Twelve record dates with changes between each: every balance and the supply at
    /// every record date, read at the end.
    function test_manyRecordDates_eachExact() public {
        _mint(alice, 1_000);
        _mint(bob, 1_000);
        _useBook(token);
        uint256 n = 12;
        address[4] memory w = [alice, bob, carol, escrow];
        uint256[4][] memory expected = new uint256[4][](n + 1);
        uint256[] memory supply = new uint256[](n + 1);
        for (uint256 id = 1; id <= n; ++id) {
            uint256 rd = _now() + 1 days;
            assertEq(_schedule(token, rd), id, "id");
            vm.warp(rd);
            // Changes up to and in the record date's second count.
            _move(token, id % 2 == 0 ? alice : bob, w[id % 4], id);
            if (id % 3 == 0) _mint(carol, id);
            if (id % 4 == 0) _burnFrom(token, bob, 1);
            for (uint256 k; k < 4; ++k) {
                expected[id][k] = token.balanceOf(w[k]);
            }
            supply[id] = token.totalSupply();
            vm.warp(rd + 1);
            if (id % 5 == 0) _force(token, alice, escrow, 3);
        }
        vm.warp(_now() + 1);
        for (uint256 id = 1; id <= n; ++id) {
            for (uint256 k; k < 4; ++k) {
                assertEq(book.balanceAt(address(token), w[k], id), expected[id][k], "balance");
            }
            assertEq(book.totalSupplyAt(address(token), id), supply[id], "supply");
        }
        assertEq(book.passedRecordDates(address(token)), n, "all passed");
    }

    /// @notice Several record dates passed with no balance change between them: the first change
    /// after them writes one checkpoint that answers for all of them.
    function test_severalRecordDatesPassedAtOnce() public {
        _mint(alice, 100);
        _useBook(token);
        uint256 t = _now();
        for (uint256 i = 1; i <= 5; ++i) {
            _schedule(token, t + i);
        }
        _schedule(token, t + 1 days);
        vm.warp(t + 10);
        assertEq(book.passedRecordDates(address(token)), 5, "five passed, no change yet");
        vm.recordLogs();
        _move(token, alice, bob, 40);
        assertEq(_checkpointsLogged(), 2, "one checkpoint per account");
        for (uint256 id = 1; id <= 5; ++id) {
            assertEq(book.balanceAt(address(token), alice, id), 100, "alice");
            assertEq(book.balanceAt(address(token), bob, id), 0, "bob");
        }
        vm.warp(t + 1 days + 1);
        _move(token, alice, bob, 10);
        assertEq(book.balanceAt(address(token), alice, 6), 60, "alice at the sixth");
        assertEq(book.balanceAt(address(token), alice, 5), 100, "alice at the fifth");
        assertEq(book.passedRecordDates(address(token)), 6, "six passed");
    }

    // ------------------------------------------------------------------ the hook

    function test_hook_notCalledUntilTheFirstRecordDateHasPassed() public {
        _mint(alice, 100);
        _useBook(token);
        uint256 rd = _now() + 10;
        _schedule(token, rd);
        cvm.expectCall(address(book), abi.encodeWithSelector(IRecordDates.onBalanceChange.selector), 0);
        _move(token, alice, bob, 1);
        vm.warp(rd);
        _move(token, alice, bob, 1);
        _mint(carol, 1);
    }

    function test_hook_calledWithTheValuesAfterTheChange_onceTheFirstRecordDateHasPassed() public {
        _mint(alice, 100);
        _useBook(token);
        uint256 rd = _now() + 10;
        _schedule(token, rd);
        _move(token, alice, bob, 1);
        vm.warp(rd + 1);
        cvm.expectCall(address(book), abi.encodeCall(IRecordDates.onBalanceChange, (alice, bob, 2, 97, 3, 0)), 1);
        _move(token, alice, bob, 2);
        cvm.expectCall(address(book), abi.encodeCall(IRecordDates.onBalanceChange, (address(0), carol, 5, 0, 5, 105)), 1);
        _mint(carol, 5);
        cvm.expectCall(address(book), abi.encodeCall(IRecordDates.onBalanceChange, (bob, address(0), 3, 0, 0, 102)), 1);
        _burnFrom(token, bob, 3);
    }

    function test_hook_writesOncePerAccountAndRecordDate_withEvents() public {
        _mint(alice, 100);
        _useBook(token);
        uint256 rd = _now() + 10;
        _schedule(token, rd);
        vm.warp(rd + 1);
        vm.expectEmit(address(book));
        emit Checkpointed(address(token), alice, 1, 100);
        vm.expectEmit(address(book));
        emit Checkpointed(address(token), bob, 1, 0);
        _move(token, alice, bob, 10);
        vm.recordLogs();
        _move(token, alice, bob, 10);
        _move(token, bob, alice, 5);
        assertEq(_checkpointsLogged(), 0, "already written for this record date");
        vm.expectEmit(address(book));
        emit Checkpointed(address(token), carol, 1, 0);
        vm.expectEmit(address(book));
        emit Checkpointed(address(token), address(0), 1, 100);
        _mint(carol, 1);
    }

    function test_hook_ignoresChangesThatMoveNothing_andWritesOnlyTheCallersBook() public {
        _mint(alice, 100);
        _useBook(token);
        uint256 rd = _now() + 10;
        _schedule(token, rd);
        vm.warp(rd + 1);
        vm.recordLogs();
        _move(token, alice, alice, 10); // to oneself
        _move(token, alice, bob, 0); // zero value
        _burnFrom(token, alice, 0);
        assertEq(_checkpointsLogged(), 0, "nothing moved, nothing written");
        // Anyone may call the hook: it writes the caller's own book only.
        vm.prank(stranger);
        book.onBalanceChange(alice, bob, 1, 0, 1, 0);
        vm.prank(stranger);
        book.onBalanceChange(address(0), bob, 0, 0, 0, 0);
        assertEq(_checkpointsLogged(), 0, "the stranger's book has no record date");
        _move(token, alice, bob, 60);
        assertEq(book.balanceAt(address(token), alice, 1), 100, "token's book intact");
        assertEq(book.balanceAt(address(token), bob, 1), 0, "token's book intact");
    }

    /// @notice A bond with a book: the slot holds both, matured transfers still write checkpoints.
    function test_bond_maturityAndRecordDatesTogether() public {
        SecurityToken b = _bond();
        _mintTo(b, alice, 100);
        _mintTo(b, escrow, 50);
        vm.prank(tokenAdmin);
        b.setRecordDates(address(book));
        vm.prank(agent);
        book.scheduleRecordDate(address(b), MATURITY);
        vm.warp(MATURITY + 1);
        _move(b, escrow, alice, 50); // units come home after maturity
        _burnFrom(b, alice, 150); // redeemed
        assertEq(book.balanceAt(address(b), alice, 1), 100, "alice at the record date");
        assertEq(book.balanceAt(address(b), escrow, 1), 50, "escrow at the record date");
        assertEq(book.totalSupplyAt(address(b), 1), 150, "supply at the record date");
        assertEq(b.totalSupply(), 0, "all redeemed");
        vm.prank(agent);
        b.setLifecycleState(ISecurityToken.LifecycleState.Redeemed);
    }
}

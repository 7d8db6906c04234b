// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {SettlementTest} from "./SettlementTest.sol";
import {IDvPEscrow} from "../../../interfaces/IDvPEscrow.sol";
import {ITransferRules} from "../../../interfaces/ITransferRules.sol";
import {ISecurityToken} from "../../../interfaces/ISecurityToken.sol";

/// @notice Gas of settlement against its targets, as whole transactions (21,000 intrinsic and
/// calldata included), from cold storage, with every rule of the instrument switched on (country
/// allow and deny lists, maximum investors, holding cap, a past lock-up, minimum transfer):
/// `settle` of one trade to a buyer who already holds units <= 150,000; to a buyer who holds none
/// yet and a seller who holds no cash yet (fresh storage on both tokens) <= 210,000;
/// `settleBatch` of 50 trades, each to a buyer who holds none yet, <= 5,600,000 (112,000 a trade).
/// @dev Measured as tests/forge/bridge/BridgeGas.t.sol does: each test function is a fresh
/// transaction, so all accounts and slots are cold when it starts; the trades are matched in
/// `setUp`. The figure is the call's gas (`gasleft()` before and after) minus the 2,600 of the
/// cold access to the target, plus 21,000 and the calldata. Refunds are not subtracted. Under
/// `forge coverage` (optimiser off) the figures are reported but not held to the targets.
contract DvPGasTest is SettlementTest {
    event log_named_uint(string key, uint256 val);

    uint256 internal constant SETTLE_TARGET = 150_000;
    uint256 internal constant SETTLE_NEW_HOLDER_TARGET = 210_000;
    uint256 internal constant BATCH_TARGET = 5_600_000;
    uint256 internal constant BATCH = 50;
    uint256 internal constant COLD_ACCOUNT = 2_600;

    bytes32 internal holderTrade; // bob already holds units
    bytes32 internal newHolderTrade; // dave holds none yet
    bytes32[] internal batch; // 50 trades, each to a buyer who holds none yet

    function setUp() public override {
        super.setUp();
        _rulesOn();
        _mint(bob, 1);
        holderTrade = _matched(_terms(alice, bob), "HOLDER");
        newHolderTrade = _matched(_terms(carol, dave), "NEW-HOLDER");
        for (uint256 i; i < BATCH; ++i) {
            address buyer = _actor(string.concat("buyer", vm.toString(i)));
            vm.prank(registryRegistrar);
            registry.registerInvestor(buyer, keccak256(abi.encode("buyer", i)), DE, 1, EXPIRY);
            _fund(buyer, PRICE);
            vm.prank(buyer);
            cash.approve(address(dvp), PRICE);
            address seller = i % 2 == 0 ? alice2 : carol;
            batch.push(_matched(_terms(seller, buyer), string.concat("BATCH-", vm.toString(i))));
        }
    }

    function _rulesOn() internal {
        uint16[] memory allowed = new uint16[](4);
        (allowed[0], allowed[1], allowed[2], allowed[3]) = (DE, US, FR, GB);
        uint16[] memory denied = new uint16[](1);
        denied[0] = 643;
        vm.startPrank(tokenAdmin);
        token.setRule(ITransferRules.RuleType.CountryAllowList, 1);
        token.setCountries(ITransferRules.RuleType.CountryAllowList, allowed, true);
        token.setRule(ITransferRules.RuleType.CountryDenyList, 1);
        token.setCountries(ITransferRules.RuleType.CountryDenyList, denied, true);
        token.setRule(ITransferRules.RuleType.MaxInvestors, 1_000);
        token.setRule(ITransferRules.RuleType.HoldingCap, 1_000_000);
        token.setRule(ITransferRules.RuleType.LockUp, _now() - 1);
        token.setRule(ITransferRules.RuleType.MinTransfer, 1);
        vm.stopPrank();
    }

    function _calldataGas(bytes memory data) internal pure returns (uint256 gas) {
        for (uint256 i; i < data.length; ++i) {
            gas += data[i] == 0 ? 4 : 16;
        }
    }

    function _report(string memory label, uint256 callGas, bytes memory data, uint256 target)
        internal
        returns (uint256 txGas)
    {
        txGas = callGas - COLD_ACCOUNT + 21_000 + _calldataGas(data);
        emit log_named_uint(string.concat(label, " (call)"), callGas);
        emit log_named_uint(string.concat(label, " (transaction)"), txGas);
        if (!svm.isContext(FORGE_CONTEXT_COVERAGE)) assertLe(txGas, target, label);
    }

    function test_gas_settle_existingHolder() public {
        uint256 before = gasleft();
        dvp.settle(holderTrade);
        uint256 used = before - gasleft();
        assertEq(_status(holderTrade), uint8(IDvPEscrow.Status.Settled), "settled");
        _report("DvPEscrow.settle, holder", used, abi.encodeCall(IDvPEscrow.settle, (holderTrade)), SETTLE_TARGET);
    }

    function test_gas_settle_newHolder() public {
        uint256 before = gasleft();
        dvp.settle(newHolderTrade);
        uint256 used = before - gasleft();
        assertEq(_status(newHolderTrade), uint8(IDvPEscrow.Status.Settled), "settled");
        _report(
            "DvPEscrow.settle, new holder",
            used,
            abi.encodeCall(IDvPEscrow.settle, (newHolderTrade)),
            SETTLE_NEW_HOLDER_TARGET
        );
    }

    function test_gas_settleBatch_fifty() public {
        bytes32[] memory ids = batch;
        uint256 before = gasleft();
        (bool[] memory settled,) = dvp.settleBatch(ids);
        uint256 used = before - gasleft();
        for (uint256 i; i < BATCH; ++i) {
            assertTrue(settled[i], "settled");
        }
        uint256 txGas = _report(
            "DvPEscrow.settleBatch, 50 new holders", used, abi.encodeCall(IDvPEscrow.settleBatch, (ids)), BATCH_TARGET
        );
        emit log_named_uint("DvPEscrow.settleBatch, per trade", txGas / BATCH);
    }
}

// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {SplitsBase} from "./SplitsBase.sol";
import {ISplits} from "../../../interfaces/ISplits.sol";
import {ISecurityToken} from "../../../interfaces/ISecurityToken.sol";

/// @notice Gas of splits and consolidations against their targets, as whole transactions (21,000
/// intrinsic and calldata included), from cold storage: `applyTo` of a 2:1 split to a batch of
/// 100 holders <= SPLIT_100_TARGET, of a 1:10 consolidation to 100 holders <=
/// CONSOLIDATION_100_TARGET, and one holder's `claim` of a split <= CLAIM_TARGET. Every holder
/// is an investor of its own and holds units, as a holder at the record date does; each mint or
/// burn is the first balance change of the holder since the record date, so it also writes the
/// holder's checkpoint in the record-date book. 10,000 holders are 100 such batches.
/// @dev Measured as DistributionsGas.t.sol does: each test function is a fresh transaction, so
/// accounts and slots are cold when it starts. The figure is the call's gas (`gasleft()` before
/// and after) minus the 2,600 of the cold access to the target, plus 21,000 and the calldata.
/// Refunds are not subtracted. Under `forge coverage` (optimiser off) the figures are reported but
/// not held to the targets.
contract SplitsGasTest is SplitsBase {
    event log_named_uint(string key, uint256 val);

    uint256 internal constant SPLIT_100_TARGET = 12_300_000;
    uint256 internal constant CONSOLIDATION_100_TARGET = 11_900_000;
    uint256 internal constant CLAIM_TARGET = 290_000;
    uint256 internal constant BATCH = 100;
    uint256 internal constant HOLDERS = 10_000;
    uint256 internal constant COLD_ACCOUNT = 2_600;

    address[] internal batch;
    uint256 internal splitId;
    uint256 internal consolidationId;

    function setUp() public override {
        super.setUp();
        address[] memory wallets = new address[](BATCH);
        for (uint256 i; i < BATCH; ++i) {
            address holder = _actor(string.concat("holder", vm.toString(i)));
            vm.prank(registryRegistrar);
            registry.registerInvestor(holder, keccak256(abi.encode("holder", i)), DE, 1, EXPIRY);
            _mint(holder, 10 + i);
            _mintBond(holder, 1_000 + i);
            wallets[i] = holder;
        }
        batch = _sorted(wallets);
        // a split of the shares, and a consolidation of the bond (suspended), same record date
        vm.startPrank(agent);
        splitId = splits.announce(_sterms(token, SPLIT, 2, 1, T0 + 1 days, T0 + 20 days), SPLIT_REF);
        bond.setLifecycleState(ISecurityToken.LifecycleState.Suspended);
        consolidationId = splits.announce(_sterms(bond, CONSOLIDATION, 1, 10, T0 + 1 days, T0 + 20 days), SPLIT_REF);
        vm.stopPrank();
        vm.warp(T0 + 2 days);
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
        if (!lvm.isContext(FORGE_CONTEXT_COVERAGE)) assertLe(txGas, target, label);
    }

    function test_gas_applyTo_split_batchOf100() public {
        address[] memory holders = batch;
        vm.prank(agent);
        uint256 before = gasleft();
        uint256 minted = splits.applyTo(splitId, holders);
        uint256 used = before - gasleft();
        uint256 expected;
        for (uint256 i; i < BATCH; ++i) {
            expected += token.balanceOf(holders[i]) / 2;
            assertEq(uint8(splits.entry(splitId, holders[i]).status), uint8(ISplits.Status.Applied), "applied");
        }
        assertEq(minted, expected, "every holder minted");
        uint256 txGas = _report(
            "Splits.applyTo (split 2:1), 100 holders",
            used,
            abi.encodeCall(ISplits.applyTo, (splitId, holders)),
            SPLIT_100_TARGET
        );
        emit log_named_uint("Splits.applyTo (split), per holder", txGas / BATCH);
        emit log_named_uint("Splits.applyTo (split), 10,000 holders (100 batches)", txGas * (HOLDERS / BATCH));
    }

    function test_gas_applyTo_consolidation_batchOf100() public {
        address[] memory holders = batch;
        vm.prank(agent);
        uint256 before = gasleft();
        uint256 burned = splits.applyTo(consolidationId, holders);
        uint256 used = before - gasleft();
        uint256 expected;
        for (uint256 i; i < BATCH; ++i) {
            uint256 original = 1_000 + i;
            expected += original - original / 10;
            assertEq(uint8(splits.entry(consolidationId, holders[i]).status), uint8(ISplits.Status.Applied), "applied");
        }
        assertEq(burned, expected, "every holder burned");
        uint256 txGas = _report(
            "Splits.applyTo (consolidation 1:10), 100 holders",
            used,
            abi.encodeCall(ISplits.applyTo, (consolidationId, holders)),
            CONSOLIDATION_100_TARGET
        );
        emit log_named_uint("Splits.applyTo (consolidation), per holder", txGas / BATCH);
        emit log_named_uint("Splits.applyTo (consolidation), 10,000 holders (100 batches)", txGas * (HOLDERS / BATCH));
    }

    function test_gas_claim_split() public {
        address holder = batch[0];
        vm.prank(holder);
        uint256 before = gasleft();
        uint256 minted = splits.claim(splitId);
        uint256 used = before - gasleft();
        assertTrue(minted != 0 && token.balanceOf(holder) == 2 * minted, "minted");
        _report("Splits.claim (split)", used, abi.encodeCall(ISplits.claim, (splitId)), CLAIM_TARGET);
    }
}

// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {LifecycleTest} from "./LifecycleTest.sol";
import {IDistributions} from "../../../interfaces/IDistributions.sol";
import {ISecurityToken} from "../../../interfaces/ISecurityToken.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @notice Gas of distributions against its targets, as whole transactions (21,000 intrinsic and
/// calldata included), from cold storage: `announce` of a distribution whose record date is the
/// instrument's first (the book and the token write their first record date) <= ANNOUNCE_TARGET;
/// `claim` by a holder who holds no cash yet <= CLAIM_TARGET; `pay` of a batch of 100 holders,
/// none holding cash yet, <= PAY_100_TARGET, so that 10,000 holders are 100 such batches, each
/// far under a 30M block.
/// @dev Measured as tests/forge/settlement/DvPGas.t.sol does: each test function is a fresh
/// transaction, so accounts and slots are cold when it starts. The figure is the call's gas
/// (`gasleft()` before and after) minus the 2,600 of the cold access to the target, plus 21,000
/// and the calldata. Refunds are not subtracted. Under `forge coverage` (optimiser off) the
/// figures are reported but not held to the targets.
contract DistributionsGasTest is LifecycleTest {
    event log_named_uint(string key, uint256 val);

    uint256 internal constant ANNOUNCE_TARGET = 285_000;
    uint256 internal constant CLAIM_TARGET = 182_000;
    uint256 internal constant PAY_100_TARGET = 7_600_000;
    uint256 internal constant BATCH = 100;
    uint256 internal constant COLD_ACCOUNT = 2_600;
    uint256 internal constant RATE = 1_250_000;

    address[] internal batch;
    uint256 internal id;

    function setUp() public override {
        super.setUp();
        address[] memory wallets = new address[](BATCH);
        for (uint256 i; i < BATCH; ++i) {
            address holder = _actor(string.concat("holder", vm.toString(i)));
            vm.prank(registryRegistrar);
            registry.registerInvestor(holder, keccak256(abi.encode("holder", i)), DE, 1, EXPIRY);
            _mint(holder, 10 + i);
            wallets[i] = holder;
        }
        batch = _sorted(wallets);
        id = _announce(token, IDistributions.Kind.PerUnit, RATE);
        vm.warp(T0 + 2 days);
        _fundDist(id);
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

    function test_gas_announce_firstRecordDate() public {
        ISecurityToken t = ISecurityToken(address(bond));
        IERC20 c = IERC20(address(cash));
        (uint40 rd, uint40 pd, uint40 cd) = (uint40(_now() + 1 days), uint40(_now() + 2 days), uint40(_now() + 30 days));
        vm.prank(agent);
        uint256 before = gasleft();
        uint256 newId = dist.announce(_dterms(t, c, rd, pd, cd, IDistributions.Kind.PerUnit, 25e6), REF);
        uint256 used = before - gasleft();
        assertEq(dist.distribution(newId).recordDateId, 1, "first record date of the bond");
        _report(
            "Distributions.announce",
            used,
            abi.encodeCall(IDistributions.announce, (_dterms(t, c, rd, pd, cd, IDistributions.Kind.PerUnit, 25e6), REF)),
            ANNOUNCE_TARGET
        );
    }

    function test_gas_claim_newCashHolder() public {
        address holder = batch[0];
        vm.prank(holder);
        uint256 before = gasleft();
        uint256 paid = dist.claim(id);
        uint256 used = before - gasleft();
        assertTrue(paid != 0 && cash.balanceOf(holder) == paid, "paid");
        _report("Distributions.claim", used, abi.encodeCall(IDistributions.claim, (id)), CLAIM_TARGET);
    }

    function test_gas_pay_batchOf100() public {
        address[] memory holders = batch;
        vm.prank(agent);
        uint256 before = gasleft();
        uint256 total = dist.pay(id, holders);
        uint256 used = before - gasleft();
        uint256 expected;
        for (uint256 i; i < BATCH; ++i) {
            expected += token.balanceOf(holders[i]) * RATE;
            assertEq(uint8(dist.entry(id, holders[i]).status), uint8(IDistributions.Status.Paid), "paid");
        }
        assertEq(total, expected, "every holder paid");
        uint256 txGas =
            _report("Distributions.pay, 100 holders", used, abi.encodeCall(IDistributions.pay, (id, holders)), PAY_100_TARGET);
        emit log_named_uint("Distributions.pay, per holder", txGas / BATCH);
    }
}

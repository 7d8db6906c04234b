// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {BridgeTest} from "./BridgeTest.sol";
import {IBridgeEndpoint} from "../../../interfaces/IBridgeEndpoint.sol";

/// @notice Attestations: m-of-n signatures by the current validator set, strictly ascending by
/// signer, every signature checked; and the validator set's replacement (versioned, validated).
contract BridgeAttestationTest is BridgeTest {
    uint256 internal constant SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141;
    uint256 internal constant ROGUE_KEY = 0xBAD;

    IBridgeEndpoint.Message internal m;

    function setUp() public override {
        super.setUp();
        m = _sendHome(alice, bob, 100);
        _onRemote();
    }

    function _idx(uint256 a, uint256 b, uint256 c) internal pure returns (uint256[] memory i) {
        i = new uint256[](3);
        (i[0], i[1], i[2]) = (a, b, c);
    }

    function _expectMinted() internal view {
        assertEq(mirror.balanceOf(bob), 100, "minted");
    }

    // ------------------------------------------------------------------ accepted

    function test_anyThreeValidatorsInAscendingOrder_suffice() public {
        mint.execute(m, _signBy(m, _idx(1, 3, 4)));
        _expectMinted();
    }

    // ------------------------------------------------------------------ refused

    function test_forgedSignature_byANonValidator_isRefused() public {
        bytes[] memory sigs = _attest(m);
        sigs[2] = _sig(ROGUE_KEY, _id(m));
        vm.expectRevert(abi.encodeWithSelector(IBridgeEndpoint.NotValidator.selector, 2, _addr(ROGUE_KEY)));
        mint.execute(m, sigs);
    }

    function test_duplicateSigner_isRefused() public {
        bytes[] memory sigs = _signBy(m, _idx(0, 0, 1));
        vm.expectRevert(abi.encodeWithSelector(IBridgeEndpoint.SignersNotAscending.selector, 1, _addr(keys[0])));
        mint.execute(m, sigs);
    }

    function test_unorderedSigners_areRefused() public {
        bytes[] memory sigs = _signBy(m, _idx(1, 0, 2));
        vm.expectRevert(abi.encodeWithSelector(IBridgeEndpoint.SignersNotAscending.selector, 1, _addr(keys[0])));
        mint.execute(m, sigs);
    }

    function test_belowThreshold_isRefused() public {
        bytes[] memory sigs = _attest(m, 2);
        vm.expectRevert(abi.encodeWithSelector(IBridgeEndpoint.BelowThreshold.selector, 2, 3));
        mint.execute(m, sigs);
        vm.expectRevert(abi.encodeWithSelector(IBridgeEndpoint.BelowThreshold.selector, 0, 3));
        mint.execute(m, new bytes[](0));
    }

    function test_junkAfterEnoughValidSignatures_isRefused() public {
        bytes[] memory valid = _attest(m, 3);
        bytes[] memory sigs = new bytes[](4);
        for (uint256 i; i < 3; ++i) {
            sigs[i] = valid[i];
        }
        sigs[3] = hex"00";
        vm.expectRevert(abi.encodeWithSelector(IBridgeEndpoint.InvalidSignature.selector, 3));
        mint.execute(m, sigs);
    }

    function test_malformedSignatures_areRefused() public {
        bytes[] memory sigs = _attest(m);
        (uint8 v, bytes32 r, bytes32 s) = bvm.sign(keys[0], _id(m));
        // 64 bytes (ERC-2098 short form is not accepted)
        sigs[0] = abi.encodePacked(r, s);
        vm.expectRevert(abi.encodeWithSelector(IBridgeEndpoint.InvalidSignature.selector, 0));
        mint.execute(m, sigs);
        // the malleable twin (high s)
        sigs[0] = abi.encodePacked(r, bytes32(SECP256K1_N - uint256(s)), v == 27 ? uint8(28) : uint8(27));
        vm.expectRevert(abi.encodeWithSelector(IBridgeEndpoint.InvalidSignature.selector, 0));
        mint.execute(m, sigs);
        // an impossible v
        sigs[0] = abi.encodePacked(r, s, uint8(29));
        vm.expectRevert(abi.encodeWithSelector(IBridgeEndpoint.InvalidSignature.selector, 0));
        mint.execute(m, sigs);
    }

    function test_tamperedAmount_noLongerMatchesTheSignatures() public {
        bytes[] memory sigs = _attest(m);
        IBridgeEndpoint.Message memory tampered = m;
        tampered.amount = 100_000;
        vm.expectPartialRevert(IBridgeEndpoint.NotValidator.selector);
        mint.execute(tampered, sigs);
    }

    function test_tamperedRecipient_noLongerMatchesTheSignatures() public {
        bytes[] memory sigs = _attest(m);
        IBridgeEndpoint.Message memory tampered = m;
        tampered.recipient = dave;
        vm.expectPartialRevert(IBridgeEndpoint.NotValidator.selector);
        mint.execute(tampered, sigs);
    }

    function test_retiredValidator_isRefusedAfterSetValidators() public {
        // keys[2] leaves; a new validator joins
        address[] memory next = new address[](5);
        (next[0], next[1], next[2], next[3], next[4]) =
        (_addr(keys[0]), _addr(keys[1]), _addr(keys[3]), _addr(keys[4]), _addr(ROGUE_KEY));
        vm.prank(governor);
        mint.setValidators(next, 3);
        assertFalse(mint.isValidator(_addr(keys[2])), "retired");
        assertTrue(mint.isValidator(_addr(ROGUE_KEY)), "joined");

        bytes[] memory sigs = _signBy(m, _idx(0, 1, 2));
        vm.expectRevert(abi.encodeWithSelector(IBridgeEndpoint.NotValidator.selector, 2, _addr(keys[2])));
        mint.execute(m, sigs);

        mint.execute(m, _signBy(m, _idx(0, 1, 3)));
        _expectMinted();
    }

    // ------------------------------------------------------------------ replacing the set

    function test_setValidators_startsANewVersion() public {
        address[] memory next = new address[](2);
        (next[0], next[1]) = (_addr(keys[4]), _addr(keys[0]));
        vm.expectEmit(address(mint));
        emit IBridgeEndpoint.ValidatorSetChanged(2, next, 2);
        vm.prank(governor);
        mint.setValidators(next, 2);
        (address[] memory current, uint8 threshold, uint32 version) = mint.validatorSet();
        assertEq(current.length, 2, "size");
        assertEq(current[0], next[0], "first");
        assertEq(current[1], next[1], "second");
        assertEq(threshold, 2, "threshold");
        assertEq(version, 2, "version");
        assertFalse(mint.isValidator(_addr(keys[1])), "left");
        mint.execute(m, _signBy(m, _idxTwo(0, 4)));
        _expectMinted();
    }

    function _idxTwo(uint256 a, uint256 b) internal pure returns (uint256[] memory i) {
        i = new uint256[](2);
        (i[0], i[1]) = (a, b);
    }

    function test_setValidators_refusesInvalidSets() public {
        address[] memory v = new address[](0);
        _expectInvalidSet(v, 1, "empty");
        v = new address[](33);
        for (uint256 i; i < 33; ++i) {
            v[i] = address(uint160(i + 1));
        }
        _expectInvalidSet(v, 3, "too many");
        v = new address[](3);
        (v[0], v[1], v[2]) = (address(1), address(2), address(3));
        _expectInvalidSet(v, 0, "threshold");
        _expectInvalidSet(v, 4, "threshold");
        v[1] = address(0);
        _expectInvalidSet(v, 2, "zero validator");
        v[1] = address(3);
        _expectInvalidSet(v, 2, "duplicate validator");
    }

    function test_setValidators_acceptsTheMaximumSize() public {
        address[] memory v = new address[](32);
        for (uint256 i; i < 32; ++i) {
            v[i] = address(uint160(i + 1));
        }
        vm.prank(governor);
        mint.setValidators(v, 32);
        (address[] memory current, uint8 threshold,) = mint.validatorSet();
        assertEq(current.length, 32, "size");
        assertEq(threshold, 32, "threshold");
    }

    function _expectInvalidSet(address[] memory v, uint8 threshold, bytes32 reason) internal {
        vm.prank(governor);
        vm.expectRevert(abi.encodeWithSelector(IBridgeEndpoint.InvalidValidatorSet.selector, reason));
        mint.setValidators(v, threshold);
    }

    function test_setValidators_onlyTheGovernor() public {
        address[] memory v = _validators();
        vm.prank(bridgeAdmin);
        vm.expectRevert(_unauthorized(bridgeAdmin, GOVERNOR_ROLE));
        mint.setValidators(v, 3);
        vm.prank(guardian);
        vm.expectRevert(_unauthorized(guardian, GOVERNOR_ROLE));
        mint.setValidators(v, 3);
    }
}

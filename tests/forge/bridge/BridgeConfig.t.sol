// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {BridgeTest} from "./BridgeTest.sol";
import {BridgeMintV2} from "./BridgeMintV2.sol";
import {BridgeEndpoint} from "../../../contracts/bridge/BridgeEndpoint.sol";
import {BridgeLock} from "../../../contracts/bridge/BridgeLock.sol";
import {BridgeMint} from "../../../contracts/bridge/BridgeMint.sol";
import {SuiteTimelock} from "../../../contracts/governance/SuiteTimelock.sol";
import {IBridgeEndpoint} from "../../../interfaces/IBridgeEndpoint.sol";
import {IBridgeCustody} from "../../../interfaces/IBridgeCustody.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {IAccessControlDefaultAdminRules} from
    "@openzeppelin/contracts/access/extensions/IAccessControlDefaultAdminRules.sol";
import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";
import {Initializable} from "@openzeppelin/contracts/proxy/utils/Initializable.sol";
import {UUPSUpgradeable} from "@openzeppelin/contracts/proxy/utils/UUPSUpgradeable.sol";

/// @notice Setting the bridge up and governing it: initialisation (every refusal), roles (who
/// may do what, self-administered governor and upgrader), the timelock as governor, pauses,
/// peers, limits, `checkConfiguration` and upgrades (state kept; a broken configuration refused).
contract BridgeConfigTest is BridgeTest {
    bytes32 internal constant IMPLEMENTATION_SLOT = 0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc;
    bytes32 internal constant ENDPOINT_SLOT = 0x6592c39bce3d73747a0be36514935f14cf83b1a5e95f83125378701d90eda700;
    bytes32 internal constant LOCK_SLOT = 0x26cd2b7a78bd4e9fe03abeca37c6a9e548c1530335ad91040a600ba957dc9600;
    string internal constant MINT_V2_ARTIFACT = "tests/forge/bridge/BridgeMintV2.sol:BridgeMintV2";

    address internal proposer = _actor("proposer");

    IBridgeEndpoint.Direction internal constant OUT = IBridgeEndpoint.Direction.Outbound;
    IBridgeEndpoint.Direction internal constant IN = IBridgeEndpoint.Direction.Inbound;

    function _implOf(address proxy) internal view returns (address) {
        return address(uint160(uint256(vm.load(proxy, IMPLEMENTATION_SLOT))));
    }

    function _invalidConfig(bytes32 reason) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(IBridgeEndpoint.InvalidConfiguration.selector, reason);
    }

    // ------------------------------------------------------------------ initialisation

    function test_initialize_setsEverything() public view {
        _assertInitialised(lock);
        _assertInitialised(mint);
        assertEq(lock.token(), address(token), "home token");
        assertEq(mint.token(), address(mirror), "remote token");
        assertEq(address(lock.custody()), address(custody), "custody");
        IBridgeEndpoint.Peer memory p = lock.peer(REMOTE);
        assertEq(p.bridge, address(mint), "home's peer");
        assertEq(p.confirmations, 64, "confirmations");
        p = mint.peer(HOME);
        assertEq(p.bridge, address(lock), "remote's peer");
        assertEq(p.confirmations, 12, "remote confirmations");
        assertEq(lock.peer(99).bridge, address(0), "no peer");
        uint64[] memory chains = lock.peerChains();
        assertEq(chains.length, 1, "one peer");
        assertEq(chains[0], REMOTE, "peer chain");
        assertEq(_implOf(address(lock)), address(lockImpl), "lock impl");
        assertEq(_implOf(address(mint)), address(mintImpl), "mint impl");
    }

    function _assertInitialised(BridgeEndpoint e) internal view {
        assertEq(e.defaultAdmin(), bridgeAdmin, "admin");
        assertEq(e.defaultAdminDelay(), 1 days, "admin delay");
        assertTrue(e.hasRole(GOVERNOR_ROLE, governor), "governor");
        assertTrue(e.hasRole(UPGRADER_ROLE, bridgeUpgrader), "upgrader");
        assertTrue(e.hasRole(GUARDIAN_ROLE, guardian), "guardian");
        assertTrue(e.hasRole(COMPLIANCE_ROLE, compliance), "compliance");
        assertEq(e.getRoleAdmin(GOVERNOR_ROLE), GOVERNOR_ROLE, "governor administers itself");
        assertEq(e.getRoleAdmin(UPGRADER_ROLE), UPGRADER_ROLE, "upgrader administers itself");
        assertEq(e.getRoleAdmin(GUARDIAN_ROLE), DEFAULT_ADMIN_ROLE, "admin administers guardians");
        assertEq(e.getRoleAdmin(COMPLIANCE_ROLE), DEFAULT_ADMIN_ROLE, "admin administers compliance");
        assertEq(e.GOVERNOR_ROLE(), GOVERNOR_ROLE, "governor role id");
        assertEq(e.UPGRADER_ROLE(), UPGRADER_ROLE, "upgrader role id");
        assertEq(e.GUARDIAN_ROLE(), GUARDIAN_ROLE, "guardian role id");
        assertEq(e.COMPLIANCE_ROLE(), COMPLIANCE_ROLE, "compliance role id");
        assertEq(e.MAX_PEERS(), 16, "peer cap");
        assertEq(e.MAX_VALIDATORS(), 32, "validator cap");
        assertEq(e.MESSAGE_TYPEHASH(), MESSAGE_TYPEHASH, "type hash");
        assertEq(e.isin(), ISIN, "isin");
        (address[] memory v, uint8 threshold, uint32 version) = e.validatorSet();
        address[] memory expected = _validators();
        assertEq(v.length, 5, "validators");
        for (uint256 i; i < 5; ++i) {
            assertEq(v[i], expected[i], "validator");
            assertTrue(e.isValidator(expected[i]), "is validator");
        }
        assertEq(threshold, 3, "threshold");
        assertEq(version, 1, "version");
        assertFalse(e.isValidator(stranger), "stranger");
        for (uint256 d; d < 2; ++d) {
            (IBridgeEndpoint.RateLimit memory limit, uint256 available) = e.rateLimit(IBridgeEndpoint.Direction(d));
            assertEq(limit.capacity, CAPACITY, "capacity");
            assertEq(limit.ratePerSecond, RATE, "rate");
            assertEq(available, CAPACITY, "starts full");
            assertFalse(e.paused(IBridgeEndpoint.Direction(d)), "not paused");
        }
        assertEq(e.maxTransfer(), MAX_TRANSFER, "max transfer");
        assertEq(e.nextNonce(), 1, "nonces start at 1");
        (uint256 sent, uint256 received, uint256 refunded) = e.totals();
        assertEq(sent + received + refunded, 0, "totals");
        (IBridgeEndpoint.OutboundStatus s, bytes32 h) = e.outbound(0);
        assertEq(uint8(s), 0, "nonce 0 names nothing");
        assertEq(h, bytes32(0), "no hash");
        assertTrue(e.supportsInterface(type(IBridgeEndpoint).interfaceId), "IBridgeEndpoint");
        assertTrue(e.supportsInterface(type(IAccessControl).interfaceId), "IAccessControl");
        assertFalse(e.supportsInterface(0xffffffff), "not everything");
        e.checkConfiguration();
    }

    function test_initialize_emitsTheConfiguration() public {
        BridgeEndpoint.BridgeSetup memory s = _setup();
        bytes memory init = abi.encodeCall(BridgeMint.initialize, (s, address(mirror)));
        address expected = vm.computeCreateAddress(address(this), vm.getNonce(address(this)));
        vm.expectEmit(expected);
        emit IBridgeEndpoint.ValidatorSetChanged(1, s.validators, 3);
        vm.expectEmit(expected);
        emit IBridgeEndpoint.RateLimitSet(OUT, CAPACITY, RATE);
        vm.expectEmit(expected);
        emit IBridgeEndpoint.RateLimitSet(IN, CAPACITY, RATE);
        vm.expectEmit(expected);
        emit IBridgeEndpoint.MaxTransferSet(MAX_TRANSFER);
        assertEq(_newProxy(address(mintImpl), init), expected, "proxy address");
    }

    function test_storage_isInTheErc7201Namespaces() public view {
        uint256 slot0 = uint256(vm.load(address(lock), ENDPOINT_SLOT));
        assertEq(address(uint160(slot0)), address(token), "token in the endpoint namespace");
        assertEq(bytes32(bytes12(uint96(slot0 >> 160))), bytes32(ISIN), "isin next to it");
        assertEq(address(uint160(uint256(vm.load(address(lock), LOCK_SLOT)))), address(custody), "custody");
    }

    function test_initialize_refusesIncompleteSetups() public {
        BridgeEndpoint.BridgeSetup memory s = _setup();
        s.governor = address(0);
        _expectMintInitRevert(s, address(mirror), _invalidConfig("governor"));
        s = _setup();
        s.upgrader = address(0);
        _expectMintInitRevert(s, address(mirror), _invalidConfig("upgrader"));
        s = _setup();
        s.guardian = address(0);
        _expectMintInitRevert(s, address(mirror), _invalidConfig("guardian"));
        s = _setup();
        s.compliance = address(0);
        _expectMintInitRevert(s, address(mirror), _invalidConfig("compliance"));
        s = _setup();
        s.admin = address(0);
        _expectMintInitRevert(
            s,
            address(mirror),
            abi.encodeWithSelector(
                IAccessControlDefaultAdminRules.AccessControlInvalidDefaultAdmin.selector, address(0)
            )
        );
        _expectMintInitRevert(_setup(), stranger, _invalidConfig("token"));
    }

    function test_initialize_refusesLimitsOffOrAMaximumAboveThem() public {
        BridgeEndpoint.BridgeSetup memory s = _setup();
        s.outbound.capacity = 0;
        _expectMintInitRevert(s, address(mirror), _invalidConfig("rate limit off"));
        s = _setup();
        s.inbound.capacity = 0;
        _expectMintInitRevert(s, address(mirror), _invalidConfig("rate limit off"));
        s = _setup();
        s.maxTransfer = 0;
        _expectMintInitRevert(s, address(mirror), _invalidConfig("max transfer"));
        s = _setup();
        s.outbound.capacity = uint128(MAX_TRANSFER - 1);
        _expectMintInitRevert(s, address(mirror), _invalidConfig("max transfer"));
        s = _setup();
        s.inbound.capacity = uint128(MAX_TRANSFER - 1);
        _expectMintInitRevert(s, address(mirror), _invalidConfig("max transfer"));
    }

    function test_initialize_refusesAnInvalidValidatorSet() public {
        BridgeEndpoint.BridgeSetup memory s = _setup();
        s.threshold = 6;
        _expectMintInitRevert(
            s,
            address(mirror),
            abi.encodeWithSelector(IBridgeEndpoint.InvalidValidatorSet.selector, bytes32("threshold"))
        );
    }

    function test_initialize_refusesAWrongCustody() public {
        BridgeEndpoint.BridgeSetup memory s = _setup();
        bytes memory init = abi.encodeCall(BridgeLock.initialize, (s, address(token), IBridgeCustody(stranger)));
        vm.expectRevert(_invalidConfig("custody"));
        _newProxy(address(lockImpl), init);
        address otherCustody = _deploy(CUSTODY_ARTIFACT, abi.encode(address(mirror), custodyAdmin, uint48(0)));
        init = abi.encodeCall(BridgeLock.initialize, (s, address(token), IBridgeCustody(otherCustody)));
        vm.expectRevert(_invalidConfig("custody"));
        _newProxy(address(lockImpl), init);
    }

    function _expectMintInitRevert(BridgeEndpoint.BridgeSetup memory s, address token_, bytes memory err) internal {
        bytes memory init = abi.encodeCall(BridgeMint.initialize, (s, token_));
        vm.expectRevert(err);
        _newProxy(address(mintImpl), init);
    }

    function test_initialize_onlyOnceAndNeverOnTheImplementation() public {
        BridgeEndpoint.BridgeSetup memory s = _setup();
        vm.expectRevert(Initializable.InvalidInitialization.selector);
        mint.initialize(s, address(mirror));
        vm.expectRevert(Initializable.InvalidInitialization.selector);
        mintImpl.initialize(s, address(mirror));
        vm.expectRevert(Initializable.InvalidInitialization.selector);
        lock.initialize(s, address(token), IBridgeCustody(address(custody)));
        vm.expectRevert(Initializable.InvalidInitialization.selector);
        lockImpl.initialize(s, address(token), IBridgeCustody(address(custody)));
    }

    // ------------------------------------------------------------------ roles

    function test_adminCannotGrantGovernorOrUpgrader() public {
        vm.startPrank(bridgeAdmin);
        vm.expectRevert(_unauthorized(bridgeAdmin, GOVERNOR_ROLE));
        lock.grantRole(GOVERNOR_ROLE, bridgeAdmin);
        vm.expectRevert(_unauthorized(bridgeAdmin, UPGRADER_ROLE));
        lock.grantRole(UPGRADER_ROLE, bridgeAdmin);
        vm.stopPrank();
        vm.prank(governor);
        lock.grantRole(GOVERNOR_ROLE, stranger);
        assertTrue(lock.hasRole(GOVERNOR_ROLE, stranger), "governor grants governor");
        vm.prank(bridgeUpgrader);
        lock.grantRole(UPGRADER_ROLE, stranger);
        assertTrue(lock.hasRole(UPGRADER_ROLE, stranger), "upgrader grants upgrader");
    }

    function test_adminGrantsGuardianAndCompliance() public {
        vm.startPrank(bridgeAdmin);
        lock.grantRole(GUARDIAN_ROLE, stranger);
        lock.grantRole(COMPLIANCE_ROLE, stranger);
        vm.stopPrank();
        vm.prank(stranger);
        lock.pause(OUT);
        assertTrue(lock.paused(OUT), "new guardian paused");
        vm.prank(governor);
        vm.expectRevert(_unauthorized(governor, DEFAULT_ADMIN_ROLE));
        lock.grantRole(GUARDIAN_ROLE, governor);
    }

    function test_governorHandsOverToTheTimelock_whichActsOnlyAfterItsDelay() public {
        SuiteTimelock timelock = SuiteTimelock(payable(_newTimelock(2 days, proposer)));
        vm.startPrank(governor);
        lock.grantRole(GOVERNOR_ROLE, address(timelock));
        lock.renounceRole(GOVERNOR_ROLE, governor);
        vm.stopPrank();
        vm.prank(governor);
        vm.expectRevert(_unauthorized(governor, GOVERNOR_ROLE));
        lock.setPeer(REMOTE, stranger, 1);

        // a new validator set
        address[] memory next = new address[](3);
        (next[0], next[1], next[2]) = (_addr(keys[0]), _addr(keys[1]), _addr(keys[2]));
        bytes memory call = abi.encodeCall(IBridgeEndpoint.setValidators, (next, 2));
        vm.prank(proposer);
        timelock.schedule(address(lock), 0, call, bytes32(0), bytes32("v2"), 2 days);
        vm.expectPartialRevert(TimelockController.TimelockUnexpectedOperationState.selector);
        timelock.execute(address(lock), 0, call, bytes32(0), bytes32("v2"));
        vm.warp(_now() + 2 days - 1);
        vm.expectPartialRevert(TimelockController.TimelockUnexpectedOperationState.selector);
        timelock.execute(address(lock), 0, call, bytes32(0), bytes32("v2"));
        vm.warp(_now() + 1);
        vm.prank(stranger); // anyone executes a ready operation
        timelock.execute(address(lock), 0, call, bytes32(0), bytes32("v2"));
        (, uint8 threshold, uint32 version) = lock.validatorSet();
        assertEq(version, 2, "new version");
        assertEq(threshold, 2, "new threshold");

        // raising a limit and the maximum
        bytes[] memory calls = new bytes[](2);
        calls[0] = abi.encodeCall(IBridgeEndpoint.setRateLimit, (OUT, 5_000, 5));
        calls[1] = abi.encodeCall(IBridgeEndpoint.setMaxTransfer, (1_000));
        address[] memory targets = new address[](2);
        (targets[0], targets[1]) = (address(lock), address(lock));
        uint256[] memory values = new uint256[](2);
        vm.prank(proposer);
        timelock.scheduleBatch(targets, values, calls, bytes32(0), bytes32("raise"), 2 days);
        vm.expectPartialRevert(TimelockController.TimelockUnexpectedOperationState.selector);
        timelock.executeBatch(targets, values, calls, bytes32(0), bytes32("raise"));
        vm.warp(_now() + 2 days);
        timelock.executeBatch(targets, values, calls, bytes32(0), bytes32("raise"));
        (IBridgeEndpoint.RateLimit memory limit,) = lock.rateLimit(OUT);
        assertEq(limit.capacity, 5_000, "raised capacity");
        assertEq(limit.ratePerSecond, 5, "raised rate");
        assertEq(lock.maxTransfer(), 1_000, "raised maximum");
    }

    // ------------------------------------------------------------------ pause

    function test_guardianPauses_butOnlyTheAdminUnpauses() public {
        vm.expectEmit(address(lock));
        emit IBridgeEndpoint.DirectionPaused(OUT, true, guardian);
        vm.prank(guardian);
        lock.pause(OUT);
        assertTrue(lock.paused(OUT), "outbound paused");
        assertFalse(lock.paused(IN), "inbound not");
        vm.prank(guardian);
        vm.expectRevert(_unauthorized(guardian, DEFAULT_ADMIN_ROLE));
        lock.unpause(OUT);
        vm.prank(governor);
        vm.expectRevert(_unauthorized(governor, DEFAULT_ADMIN_ROLE));
        lock.unpause(OUT);
        vm.expectEmit(address(lock));
        emit IBridgeEndpoint.DirectionPaused(OUT, false, bridgeAdmin);
        vm.prank(bridgeAdmin);
        lock.unpause(OUT);
        assertFalse(lock.paused(OUT), "resumed");
    }

    function test_adminMayPause_othersMayNot() public {
        vm.prank(bridgeAdmin);
        lock.pause(IN);
        assertTrue(lock.paused(IN), "inbound paused by the admin");
        address[3] memory outsiders = [stranger, governor, compliance];
        for (uint256 i; i < outsiders.length; ++i) {
            vm.prank(outsiders[i]);
            vm.expectRevert(_unauthorized(outsiders[i], GUARDIAN_ROLE));
            lock.pause(OUT);
        }
    }

    // ------------------------------------------------------------------ peers

    function test_setPeer_onlyTheGovernor() public {
        address[3] memory outsiders = [stranger, bridgeAdmin, guardian];
        for (uint256 i; i < outsiders.length; ++i) {
            vm.prank(outsiders[i]);
            vm.expectRevert(_unauthorized(outsiders[i], GOVERNOR_ROLE));
            lock.setPeer(42, stranger, 1);
        }
    }

    function test_setPeer_refusesChainZeroAndItsOwnChain() public {
        vm.startPrank(governor);
        vm.expectRevert(_invalidConfig("peer chain"));
        lock.setPeer(0, stranger, 1);
        vm.expectRevert(_invalidConfig("peer chain"));
        lock.setPeer(HOME, stranger, 1);
        vm.stopPrank();
    }

    function test_setPeer_updatesAndRemoves() public {
        vm.startPrank(governor);
        vm.expectEmit(address(lock));
        emit IBridgeEndpoint.PeerSet(42, stranger, 3);
        lock.setPeer(42, stranger, 3);
        lock.setPeer(43, dave, 4);
        lock.setPeer(42, carol, 5); // update: no second entry
        assertEq(lock.peerChains().length, 3, "three peers");
        assertEq(lock.peer(42).bridge, carol, "updated bridge");
        assertEq(lock.peer(42).confirmations, 5, "updated confirmations");

        vm.expectEmit(address(lock));
        emit IBridgeEndpoint.PeerSet(REMOTE, address(0), 0);
        lock.setPeer(REMOTE, address(0), 0); // first of three: the last takes its place
        uint64[] memory chains = lock.peerChains();
        assertEq(chains.length, 2, "two left");
        assertEq(chains[0], 43, "last moved first");
        assertEq(chains[1], 42, "middle kept");
        assertEq(lock.peer(REMOTE).bridge, address(0), "removed");
        lock.setPeer(43, address(0), 0); // the last one
        chains = lock.peerChains();
        assertEq(chains.length, 1, "one left");
        assertEq(chains[0], 42, "the other one");
        vm.expectRevert(abi.encodeWithSelector(IBridgeEndpoint.UnknownPeer.selector, uint64(REMOTE)));
        lock.setPeer(REMOTE, address(0), 0);
        vm.stopPrank();

        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IBridgeEndpoint.UnknownPeer.selector, uint64(REMOTE)));
        lock.send(REMOTE, alice, 1);
    }

    function test_setPeer_keepsAtMostSixteen() public {
        vm.startPrank(governor);
        for (uint64 c = 100; c < 115; ++c) {
            lock.setPeer(c, stranger, 1);
        }
        assertEq(lock.peerChains().length, 16, "full");
        vm.expectRevert(_invalidConfig("too many peers"));
        lock.setPeer(200, stranger, 1);
        lock.setPeer(100, dave, 1); // updating a known one still works
        vm.stopPrank();
    }

    // ------------------------------------------------------------------ limits

    function test_setRateLimit_governorRaises_guardianOnlyLowers() public {
        vm.expectEmit(address(lock));
        emit IBridgeEndpoint.RateLimitSet(IN, 2_000, 2);
        vm.prank(governor);
        lock.setRateLimit(IN, 2_000, 2);
        vm.prank(guardian);
        lock.setRateLimit(IN, 1_500, 2);
        vm.prank(guardian);
        lock.setRateLimit(IN, 1_500, 1);
        (IBridgeEndpoint.RateLimit memory limit,) = lock.rateLimit(IN);
        assertEq(limit.capacity, 1_500, "lowered capacity");
        assertEq(limit.ratePerSecond, 1, "lowered rate");

        vm.prank(guardian);
        vm.expectRevert(abi.encodeWithSelector(IBridgeEndpoint.LimitRaiseNeedsGovernor.selector, IN));
        lock.setRateLimit(IN, 1_501, 1);
        vm.prank(guardian);
        vm.expectRevert(abi.encodeWithSelector(IBridgeEndpoint.LimitRaiseNeedsGovernor.selector, IN));
        lock.setRateLimit(IN, 1_000, 2);
        vm.prank(guardian);
        vm.expectRevert(abi.encodeWithSelector(IBridgeEndpoint.LimitRaiseNeedsGovernor.selector, OUT));
        lock.setRateLimit(OUT, CAPACITY + 1, RATE);
    }

    function test_setRateLimit_othersMayNot() public {
        address[3] memory outsiders = [stranger, bridgeAdmin, compliance];
        for (uint256 i; i < outsiders.length; ++i) {
            vm.prank(outsiders[i]);
            vm.expectRevert(_unauthorized(outsiders[i], GOVERNOR_ROLE));
            lock.setRateLimit(OUT, 1, 0);
        }
    }

    function test_setRateLimit_keepsTheLimitOnAndAboveTheMaximum() public {
        vm.startPrank(governor);
        vm.expectRevert(_invalidConfig("rate limit off"));
        lock.setRateLimit(OUT, 0, 0);
        vm.expectRevert(_invalidConfig("max transfer"));
        lock.setRateLimit(OUT, uint128(MAX_TRANSFER - 1), 1);
        vm.stopPrank();
        vm.prank(guardian);
        vm.expectRevert(_invalidConfig("max transfer"));
        lock.setRateLimit(IN, uint128(MAX_TRANSFER - 1), 1);
    }

    function test_setMaxTransfer_governorRaises_guardianOnlyLowers() public {
        vm.prank(governor);
        lock.setRateLimit(OUT, 5_000, 1);
        vm.prank(governor);
        lock.setRateLimit(IN, 5_000, 1);
        vm.expectEmit(address(lock));
        emit IBridgeEndpoint.MaxTransferSet(4_000);
        vm.prank(governor);
        lock.setMaxTransfer(4_000);
        assertEq(lock.maxTransfer(), 4_000, "raised");
        vm.prank(guardian);
        lock.setMaxTransfer(100);
        assertEq(lock.maxTransfer(), 100, "lowered");
        vm.prank(guardian);
        vm.expectRevert(abi.encodeWithSelector(IBridgeEndpoint.MaxRaiseNeedsGovernor.selector, 100, 101));
        lock.setMaxTransfer(101);
        vm.prank(stranger);
        vm.expectRevert(_unauthorized(stranger, GOVERNOR_ROLE));
        lock.setMaxTransfer(50);
    }

    function test_setMaxTransfer_staysWithinBothCapacities() public {
        vm.prank(governor);
        lock.setRateLimit(OUT, 2_000, 1);
        vm.startPrank(governor);
        vm.expectRevert(_invalidConfig("max transfer"));
        lock.setMaxTransfer(0);
        vm.expectRevert(_invalidConfig("max transfer"));
        lock.setMaxTransfer(CAPACITY + 1); // within outbound, above inbound
        lock.setRateLimit(IN, 3_000, 1);
        vm.expectRevert(_invalidConfig("max transfer"));
        lock.setMaxTransfer(2_001); // above outbound
        lock.setMaxTransfer(2_000);
        vm.stopPrank();
        vm.prank(guardian);
        vm.expectRevert(_invalidConfig("max transfer"));
        lock.setMaxTransfer(0);
    }

    // ------------------------------------------------------------------ checkConfiguration

    function test_checkConfiguration_needsAPeer() public {
        BridgeMint fresh = _newMint(_setup());
        _onRemote();
        vm.expectRevert(_invalidConfig("no peer"));
        fresh.checkConfiguration();
        vm.prank(governor);
        fresh.setPeer(HOME, address(lock), 1);
        fresh.checkConfiguration();
        vm.prank(governor);
        fresh.setPeer(HOME, address(0), 0);
        vm.expectRevert(_invalidConfig("no peer"));
        fresh.checkConfiguration();
    }

    // ------------------------------------------------------------------ upgrades

    function _upgradeMint(bytes32[] memory slots, bytes32[] memory values) internal returns (address impl) {
        impl = _deploy(MINT_V2_ARTIFACT, "");
        vm.prank(bridgeUpgrader);
        mint.upgradeToAndCall(impl, abi.encodeCall(BridgeMintV2.migrate, (slots, values)));
    }

    // Offsets in the endpoint's namespace (BridgeEndpoint.EndpointStorage).
    uint256 internal constant CONFIG = 1; // nonce 64 | maxTransfer 128 | paused 8+8 | version 32 | threshold 8
    uint256 internal constant OUT_LIMIT = 2; // capacity 128 | rate 128
    uint256 internal constant IN_LIMIT = 4;
    uint256 internal constant MEMBERS = 9; // validator array length; elements at keccak256(slot)
    uint256 internal constant PEER_CHAINS = 11; // peer chain array length

    function _at(uint256 offset) internal pure returns (bytes32) {
        return bytes32(uint256(ENDPOINT_SLOT) + offset);
    }

    function _member(uint256 i) internal pure returns (bytes32) {
        return bytes32(uint256(keccak256(abi.encode(_at(MEMBERS)))) + i);
    }

    /// @dev The CONFIG slot of the mint endpoint with bits [shift, shift + width) set to `value`.
    function _config(uint256 shift, uint256 width, uint256 value) internal view returns (bytes32) {
        uint256 word = uint256(vm.load(address(mint), _at(CONFIG)));
        uint256 mask = ((1 << width) - 1) << shift;
        return bytes32((word & ~mask) | (value << shift));
    }

    function _one(bytes32 slot, bytes32 value) internal pure returns (bytes32[] memory s, bytes32[] memory v) {
        s = new bytes32[](1);
        v = new bytes32[](1);
        (s[0], v[0]) = (slot, value);
    }

    function test_upgrade_keepsState() public {
        IBridgeEndpoint.Message memory m = _sendHome(alice, bob, 100);
        _deliver(m);
        _sendRemote(bob, bob, 40);
        address impl = _upgradeMint(new bytes32[](0), new bytes32[](0));
        assertEq(_implOf(address(mint)), impl, "new implementation");
        assertEq(BridgeMintV2(address(mint)).upgradedVersion(), 2, "new code runs");
        assertEq(uint8(mint.inboundStatus(_id(m))), uint8(IBridgeEndpoint.InboundStatus.Executed), "inbound kept");
        assertEq(uint8(_outStatus(mint, 1)), uint8(IBridgeEndpoint.OutboundStatus.Sent), "outbound kept");
        assertEq(mint.nextNonce(), 2, "nonce kept");
        (uint256 sent, uint256 received,) = mint.totals();
        assertEq(sent, 40, "sent kept");
        assertEq(received, 100, "received kept");
        (address[] memory v, uint8 threshold, uint32 version) = mint.validatorSet();
        assertEq(v.length, 5, "validators kept");
        assertEq(threshold, 3, "threshold kept");
        assertEq(version, 1, "version kept");
        assertEq(mint.peer(HOME).bridge, address(lock), "peer kept");
        assertEq(mint.defaultAdmin(), bridgeAdmin, "admin kept");
        assertEq(mirror.balanceOf(bob), 60, "balances untouched");
        // and it still works
        _bridgeOut(alice, alice, 10);
        assertEq(mirror.balanceOf(alice), 10, "executes after the upgrade");
    }

    function test_upgrade_refusedWhenItBreaksTheConfiguration() public {
        assertEq(uint256(_config(240, 8, 3)), uint256(vm.load(address(mint), _at(CONFIG))), "threshold where expected");
        assertEq(uint256(vm.load(address(mint), _member(0))), uint160(_validators()[0]), "validators where expected");
        _expectUpgradeRefused(_at(CONFIG), _config(240, 8, 0), "threshold");
        _expectUpgradeRefused(_at(CONFIG), _config(240, 8, 6), "threshold");
        _expectUpgradeRefused(_at(MEMBERS), 0, "validators");
        _expectUpgradeRefused(_at(MEMBERS), bytes32(uint256(33)), "validators");
        _expectUpgradeRefused(_member(1), 0, "zero validator");
        _expectUpgradeRefused(_member(2), vm.load(address(mint), _member(0)), "duplicate validator");
        _expectUpgradeRefused(_at(PEER_CHAINS), 0, "no peer");
        _expectUpgradeRefused(_at(PEER_CHAINS), bytes32(uint256(17)), "too many peers");
        _expectUpgradeRefused(_at(OUT_LIMIT), 0, "rate limit off");
        _expectUpgradeRefused(_at(IN_LIMIT), 0, "rate limit off");
        _expectUpgradeRefused(_at(CONFIG), _config(64, 128, 0), "max transfer");
        bytes32 justBelowMax = bytes32((uint256(RATE) << 128) | (MAX_TRANSFER - 1));
        _expectUpgradeRefused(_at(OUT_LIMIT), justBelowMax, "max transfer");
        _expectUpgradeRefused(_at(IN_LIMIT), justBelowMax, "max transfer");
        assertEq(_implOf(address(mint)), address(mintImpl), "still the old implementation");
    }

    function _expectUpgradeRefused(bytes32 slot, bytes32 value, bytes32 reason) internal {
        address impl = _deploy(MINT_V2_ARTIFACT, "");
        (bytes32[] memory s, bytes32[] memory v) = _one(slot, value);
        vm.prank(bridgeUpgrader);
        vm.expectRevert(_invalidConfig(reason));
        mint.upgradeToAndCall(impl, abi.encodeCall(BridgeMintV2.migrate, (s, v)));
    }

    function test_upgrade_onlyTheUpgrader() public {
        address impl = _deploy(MINT_V2_ARTIFACT, "");
        address[3] memory outsiders = [bridgeAdmin, governor, stranger];
        for (uint256 i; i < outsiders.length; ++i) {
            vm.prank(outsiders[i]);
            vm.expectRevert(_unauthorized(outsiders[i], UPGRADER_ROLE));
            mint.upgradeToAndCall(impl, "");
        }
    }

    function test_upgrade_onlyThroughTheProxy() public {
        address impl = _deploy(MINT_V2_ARTIFACT, "");
        vm.prank(bridgeUpgrader);
        vm.expectRevert(UUPSUpgradeable.UUPSUnauthorizedCallContext.selector);
        mintImpl.upgradeToAndCall(impl, "");
    }

    function test_upgrade_lockEndpointKeepsCustody() public {
        address impl = _deploy(LOCK_ARTIFACT, "");
        vm.prank(bridgeUpgrader);
        lock.upgradeToAndCall(impl, "");
        assertEq(_implOf(address(lock)), impl, "upgraded");
        assertEq(address(lock.custody()), address(custody), "custody kept");
    }
}

// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Vm, VM_ADDRESS} from "./Vm.sol";
import {InvestorRegistry} from "../../../contracts/registry/InvestorRegistry.sol";
import {SecurityToken} from "../../../contracts/token/SecurityToken.sol";
import {SecurityTokenFactory} from "../../../contracts/token/SecurityTokenFactory.sol";
import {ISecurityToken} from "../../../interfaces/ISecurityToken.sol";
import {IInvestorRegistry} from "../../../interfaces/IInvestorRegistry.sol";

/// @title TestBase
/// @notice Assertions and fuzz helpers for the suite's Forge tests (no forge-std): every failed
/// assertion reverts with a message naming both values, which is what fails a Forge test.
abstract contract TestBase {
    Vm internal constant vm = Vm(VM_ADDRESS);

    // ------------------------------------------------------------------ assertions

    function fail(string memory message) internal pure {
        revert(string.concat("assertion failed: ", message));
    }

    function assertTrue(bool condition, string memory message) internal pure {
        if (!condition) fail(message);
    }

    function assertTrue(bool condition) internal pure {
        assertTrue(condition, "expected true");
    }

    function assertFalse(bool condition, string memory message) internal pure {
        if (condition) fail(message);
    }

    function assertFalse(bool condition) internal pure {
        assertFalse(condition, "expected false");
    }

    function assertEq(uint256 a, uint256 b, string memory message) internal pure {
        if (a != b) fail(string.concat(message, ": ", vm.toString(a), " != ", vm.toString(b)));
    }

    function assertEq(uint256 a, uint256 b) internal pure {
        assertEq(a, b, "uint");
    }

    function assertEq(address a, address b, string memory message) internal pure {
        if (a != b) fail(string.concat(message, ": ", vm.toString(a), " != ", vm.toString(b)));
    }

    function assertEq(address a, address b) internal pure {
        assertEq(a, b, "address");
    }

    function assertEq(bool a, bool b, string memory message) internal pure {
        if (a != b) fail(string.concat(message, ": ", vm.toString(a), " != ", vm.toString(b)));
    }

    function assertEq(bool a, bool b) internal pure {
        assertEq(a, b, "bool");
    }

    function assertEq(bytes32 a, bytes32 b, string memory message) internal pure {
        if (a != b) fail(string.concat(message, ": ", vm.toString(a), " != ", vm.toString(b)));
    }

    function assertEq(bytes32 a, bytes32 b) internal pure {
        assertEq(a, b, "bytes32");
    }

    function assertCode(bytes1 a, bytes1 b, string memory message) internal pure {
        if (a != b) {
            fail(string.concat(message, ": ", vm.toString(uint256(uint8(a))), " != ", vm.toString(uint256(uint8(b)))));
        }
    }

    function assertCode(bytes1 a, bytes1 b) internal pure {
        assertCode(a, b, "status code");
    }

    function assertEq(string memory a, string memory b, string memory message) internal pure {
        if (keccak256(bytes(a)) != keccak256(bytes(b))) fail(string.concat(message, ": '", a, "' != '", b, "'"));
    }

    function assertEq(string memory a, string memory b) internal pure {
        assertEq(a, b, "string");
    }

    function assertEq(bytes memory a, bytes memory b, string memory message) internal pure {
        if (keccak256(a) != keccak256(b)) fail(string.concat(message, ": ", vm.toString(a), " != ", vm.toString(b)));
    }

    function assertLe(uint256 a, uint256 b, string memory message) internal pure {
        if (a > b) fail(string.concat(message, ": ", vm.toString(a), " > ", vm.toString(b)));
    }

    function assertGe(uint256 a, uint256 b, string memory message) internal pure {
        if (a < b) fail(string.concat(message, ": ", vm.toString(a), " < ", vm.toString(b)));
    }

    // ------------------------------------------------------------------ deployment

    /// @notice Deploy a compiled artifact with constructor `args` and `value`, bubbling up the
    /// constructor's revert (so `vm.expectRevert` applies to it).
    /// @dev Tests deploy the suite's contracts from the build output (`vm.getCode`) rather than
    /// with `new`: `new X` embeds X's creation code in every test contract, and via-IR then
    /// compiles and optimises the whole suite again for each of them (minutes with solc-js). The
    /// bytecode is the same build's, so coverage maps onto it as well.
    function _deploy(string memory artifact, bytes memory args, uint256 value) internal returns (address deployed) {
        bytes memory code = bytes.concat(vm.getCode(artifact), args);
        assembly ("memory-safe") {
            deployed := create(value, add(code, 0x20), mload(code))
            if iszero(deployed) {
                let ptr := mload(0x40)
                returndatacopy(ptr, 0, returndatasize())
                revert(ptr, returndatasize())
            }
        }
    }

    function _deploy(string memory artifact, bytes memory args) internal returns (address) {
        return _deploy(artifact, args, 0);
    }

    // ------------------------------------------------------------------ fuzz helpers

    /// @notice Map `x` into [min, max] (inclusive), keeping small values as they are, so that
    /// the fuzzer's favourite edge values (0, 1, max) land on the range's edges (as forge-std does).
    function bound(uint256 x, uint256 min, uint256 max) internal pure returns (uint256) {
        require(min <= max, "bound: min > max");
        if (x >= min && x <= max) return x;
        uint256 size = max - min;
        if (size == type(uint256).max) return x;
        size += 1;
        if (x <= 3 && size > x) return min + x;
        if (x >= type(uint256).max - 3 && size > type(uint256).max - x) return max - (type(uint256).max - x);
        if (x > max) return min + (x - max - 1) % size;
        return max - (min - x - 1) % size;
    }
}

/// @title SuiteTest
/// @notice Deploys the suite as production does: the investor registry and the factory behind
/// SuiteProxy (UUPS), one SecurityToken implementation, and one instrument created by the
/// factory; registers a few investors (alice with two wallets, bob, carol, dave) and an escrow
/// system account.
abstract contract SuiteTest is TestBase {
    // ------------------------------------------------------------------ reasons and codes
    bytes1 internal constant CODE_FAILURE = 0x50;
    bytes1 internal constant CODE_SUCCESS = 0x51;
    bytes1 internal constant CODE_INSUFFICIENT_FUNDS = 0x54;
    bytes1 internal constant CODE_FUNDS_LOCKED = 0x55;
    bytes1 internal constant CODE_INVALID_SENDER = 0x56;
    bytes1 internal constant CODE_INVALID_RECEIVER = 0x57;

    bytes32 internal constant OK = "OK";
    bytes32 internal constant TOKEN_PAUSED = "TOKEN_PAUSED";
    bytes32 internal constant SENDER_FROZEN = "SENDER_FROZEN";
    bytes32 internal constant RECIPIENT_FROZEN = "RECIPIENT_FROZEN";
    bytes32 internal constant INSUFFICIENT_BALANCE = "INSUFFICIENT_BALANCE";
    bytes32 internal constant FROZEN_BALANCE = "FROZEN_BALANCE";
    bytes32 internal constant SENDER_NOT_REGISTERED = "SENDER_NOT_REGISTERED";
    bytes32 internal constant SENDER_ELIGIBILITY_EXPIRED = "SENDER_ELIGIBILITY_EXPIRED";
    bytes32 internal constant RECIPIENT_NOT_REGISTERED = "RECIPIENT_NOT_REGISTERED";
    bytes32 internal constant RECIPIENT_ELIGIBILITY_EXPIRED = "RECIPIENT_ELIGIBILITY_EXPIRED";
    bytes32 internal constant INVALID_RECIPIENT = "INVALID_RECIPIENT";
    bytes32 internal constant COUNTRY_NOT_ALLOWED = "COUNTRY_NOT_ALLOWED";
    bytes32 internal constant COUNTRY_DENIED = "COUNTRY_DENIED";
    bytes32 internal constant MAX_INVESTORS_REACHED = "MAX_INVESTORS_REACHED";
    bytes32 internal constant HOLDING_CAP_EXCEEDED = "HOLDING_CAP_EXCEEDED";
    bytes32 internal constant LOCKED_UP = "LOCKED_UP";
    bytes32 internal constant BELOW_MIN_TRANSFER = "BELOW_MIN_TRANSFER";

    // ------------------------------------------------------------------ roles
    // Constants, so that a revert expectation never makes an external call between a prank and
    // the call it is meant for (a call to `token.ISSUER_ROLE()` would consume the prank).
    bytes32 internal constant DEFAULT_ADMIN_ROLE = 0x00;
    bytes32 internal constant ISSUER_ROLE = keccak256("ISSUER_ROLE");
    bytes32 internal constant REGISTRAR_ROLE = keccak256("REGISTRAR_ROLE");
    bytes32 internal constant ENFORCER_ROLE = keccak256("ENFORCER_ROLE");
    bytes32 internal constant PAUSER_ROLE = keccak256("PAUSER_ROLE");
    bytes32 internal constant UPGRADER_ROLE = keccak256("UPGRADER_ROLE");
    bytes32 internal constant CREATOR_ROLE = keccak256("CREATOR_ROLE");

    // ------------------------------------------------------------------ time
    uint256 internal constant T0 = 1_700_000_000;
    uint40 internal constant ISSUE_DATE = uint40(T0 - 1 days);
    uint40 internal constant EXPIRY = uint40(T0 + 365 days);

    // ------------------------------------------------------------------ actors
    address internal admin = _actor("admin");
    address internal registryRegistrar = _actor("registryRegistrar");
    address internal registryUpgrader = _actor("registryUpgrader");
    address internal creator = _actor("creator");
    address internal factoryUpgrader = _actor("factoryUpgrader");
    address internal tokenAdmin = _actor("tokenAdmin");
    address internal issuer = _actor("issuer");
    address internal registrar = _actor("registrar");
    address internal enforcer = _actor("enforcer");
    address internal pauser = _actor("pauser");
    address internal upgrader = _actor("upgrader");
    address internal stranger = _actor("stranger");

    address internal alice = _actor("alice");
    address internal alice2 = _actor("alice2");
    address internal bob = _actor("bob");
    address internal carol = _actor("carol");
    address internal dave = _actor("dave");
    address internal escrow = _actor("escrow");
    address internal nobody = _actor("nobody"); // never registered

    bytes32 internal constant ALICE_ID = keccak256("investor:alice");
    bytes32 internal constant BOB_ID = keccak256("investor:bob");
    bytes32 internal constant CAROL_ID = keccak256("investor:carol");
    bytes32 internal constant DAVE_ID = keccak256("investor:dave");

    uint16 internal constant DE = 276;
    uint16 internal constant US = 840;
    uint16 internal constant FR = 250;
    uint16 internal constant GB = 826;

    // ------------------------------------------------------------------ the suite
    string internal constant REGISTRY_ARTIFACT = "contracts/registry/InvestorRegistry.sol:InvestorRegistry";
    string internal constant TOKEN_ARTIFACT = "contracts/token/SecurityToken.sol:SecurityToken";
    string internal constant FACTORY_ARTIFACT = "contracts/token/SecurityTokenFactory.sol:SecurityTokenFactory";
    string internal constant PROXY_ARTIFACT = "contracts/proxy/SuiteProxy.sol:SuiteProxy";

    InvestorRegistry internal registryImpl;
    InvestorRegistry internal registry;
    SecurityToken internal tokenImpl;
    SecurityTokenFactory internal factoryImpl;
    SecurityTokenFactory internal factory;
    SecurityToken internal token;

    function _actor(string memory name) internal returns (address a) {
        a = address(uint160(uint256(keccak256(bytes(string.concat("securities-rails:", name))))));
        vm.label(a, name);
    }

    function setUp() public virtual {
        vm.warp(T0);
        _deploySuite();
        _registerInvestors();
    }

    function _deploySuite() internal {
        registryImpl = _newRegistryImpl();
        registry = InvestorRegistry(
            _newProxy(
                address(registryImpl),
                abi.encodeCall(InvestorRegistry.initialize, (admin, registryRegistrar, registryUpgrader))
            )
        );
        tokenImpl = _newTokenImpl();
        factoryImpl = _newFactoryImpl();
        factory = SecurityTokenFactory(
            _newProxy(
                address(factoryImpl),
                abi.encodeCall(
                    SecurityTokenFactory.initialize,
                    (admin, creator, factoryUpgrader, address(tokenImpl), IInvestorRegistry(address(registry)))
                )
            )
        );
        vm.prank(creator);
        token = SecurityToken(factory.createInstrument("Acme Ordinary Shares", "ACME", _instrument(), _roles()));
    }

    function _newRegistryImpl() internal returns (InvestorRegistry) {
        return InvestorRegistry(_deploy(REGISTRY_ARTIFACT, ""));
    }

    function _newTokenImpl() internal returns (SecurityToken) {
        return SecurityToken(_deploy(TOKEN_ARTIFACT, ""));
    }

    function _newFactoryImpl() internal returns (SecurityTokenFactory) {
        return SecurityTokenFactory(_deploy(FACTORY_ARTIFACT, ""));
    }

    /// @notice A SuiteProxy to `implementation`, initialised with `data` in its constructor.
    function _newProxy(address implementation, bytes memory data) internal returns (address) {
        return _deploy(PROXY_ARTIFACT, abi.encode(implementation, data));
    }

    function _instrument() internal pure returns (ISecurityToken.Instrument memory) {
        return ISecurityToken.Instrument({
            isin: "US0378331005",
            cfi: "ESVUFR",
            currency: "USD",
            decimals: 0,
            issueDate: ISSUE_DATE,
            maturity: 0,
            issuerLei: "HWUPKR0MPOU8FGXBT394",
            nominalPerUnit: 1e18
        });
    }

    function _roles() internal view returns (ISecurityToken.Roles memory) {
        return ISecurityToken.Roles({
            admin: tokenAdmin,
            issuer: issuer,
            registrar: registrar,
            enforcer: enforcer,
            pauser: pauser,
            upgrader: upgrader
        });
    }

    function _registerInvestors() internal {
        _register(alice, ALICE_ID, DE);
        _register(alice2, ALICE_ID, DE);
        _register(bob, BOB_ID, US);
        _register(carol, CAROL_ID, FR);
        _register(dave, DAVE_ID, GB);
        vm.prank(registryRegistrar);
        registry.registerSystemAccount(escrow, "settlement escrow");
    }

    function _register(address wallet, bytes32 id, uint16 country) internal {
        vm.prank(registryRegistrar);
        registry.registerInvestor(wallet, id, country, 1, EXPIRY);
    }

    function _key(bytes32 id) internal pure returns (uint96) {
        return uint96(bytes12(id));
    }

    // ------------------------------------------------------------------ token shortcuts

    function _mint(address to, uint256 amount) internal {
        vm.prank(issuer);
        token.mint(to, amount);
    }

    function _setRule(SecurityToken t, SecurityToken.RuleType ruleType, uint256 value) internal {
        vm.prank(tokenAdmin);
        t.setRule(ruleType, value);
    }

    function _setRule(SecurityToken.RuleType ruleType, uint256 value) internal {
        _setRule(token, ruleType, value);
    }

    function _freeze(address wallet, uint256 amount) internal {
        vm.prank(enforcer);
        token.freezePartialTokens(wallet, amount);
    }

    function _freezeAll(address wallet, bool frozen) internal {
        vm.prank(enforcer);
        token.setAddressFrozen(wallet, frozen);
    }

    /// @dev ERC-7201 slot of TransferRules' storage: its first slot is the packed Config
    /// (registry 20 bytes, active 1, lockUpUntil 5, maxInvestors 3, frozenWallets 3).
    bytes32 internal constant RULES_SLOT = 0x9b74205f6e67ba47abaf69b181ec5eb2efea52133f2247605b390c2c72517c00;

    /// @dev The token's internal count of wallets with any freeze (not exposed by the ABI).
    function _frozenWallets(SecurityToken t) internal view returns (uint256) {
        return uint256(vm.load(address(t), RULES_SLOT)) >> 232;
    }

    function _frozenWallets() internal view returns (uint256) {
        return _frozenWallets(token);
    }

    function _now() internal view returns (uint256) {
        return vm.getBlockTimestamp();
    }

    function _restricted(bytes1 code, bytes32 reason) internal pure returns (bytes memory) {
        return abi.encodeWithSignature("TransferRestricted(bytes1,bytes32)", code, reason);
    }

    function _unauthorized(address account, bytes32 role) internal pure returns (bytes memory) {
        return abi.encodeWithSignature("AccessControlUnauthorizedAccount(address,bytes32)", account, role);
    }

    function _assertCan(address from, address to, uint256 amount, bytes1 code, bytes32 reason) internal view {
        (bytes1 c, bytes32 r) = token.canTransfer(from, to, amount);
        assertEq(r, reason, "canTransfer reason");
        assertCode(c, code, "canTransfer code");
    }
}

// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {VM_ADDRESS} from "../utils/Vm.sol";
import {SuiteTest, TestBase} from "../utils/SuiteTest.sol";
import {InvestorRegistry} from "../../../contracts/registry/InvestorRegistry.sol";
import {SecurityToken} from "../../../contracts/token/SecurityToken.sol";
import {SecurityTokenFactory} from "../../../contracts/token/SecurityTokenFactory.sol";
import {BridgeEndpoint} from "../../../contracts/bridge/BridgeEndpoint.sol";
import {BridgeLock} from "../../../contracts/bridge/BridgeLock.sol";
import {BridgeMint} from "../../../contracts/bridge/BridgeMint.sol";
import {BridgeCustody} from "../../../contracts/bridge/BridgeCustody.sol";
import {IBridgeEndpoint} from "../../../interfaces/IBridgeEndpoint.sol";
import {IBridgeCustody} from "../../../interfaces/IBridgeCustody.sol";
import {IInvestorRegistry} from "../../../interfaces/IInvestorRegistry.sol";

/// @notice The cheatcodes the bridge tests need beyond tests/forge/utils/Vm.sol.
interface BridgeVm {
    function sign(uint256 privateKey, bytes32 digest) external pure returns (uint8 v, bytes32 r, bytes32 s);
    function chainId(uint256 newChainId) external;
    /// @dev `context` is forge's `ForgeContext` enum (2: Coverage).
    function isContext(uint8 context) external view returns (bool);
}

/// @notice Signing and message building, shared by the bridge tests and the invariant handler.
abstract contract BridgeSigning is TestBase {
    BridgeVm internal constant bvm = BridgeVm(VM_ADDRESS);

    uint64 internal constant HOME = 1;
    uint64 internal constant REMOTE = 10;

    bytes32 internal constant MESSAGE_TYPEHASH = keccak256(
        "BridgeMessage(uint8 kind,uint64 sourceChainId,uint64 destinationChainId,address sourceBridge,"
        "address destinationBridge,uint64 nonce,bytes12 isin,address sender,address recipient,uint256 amount)"
    );
    bytes32 internal constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");

    /// @dev Validator keys, sorted by ascending address in `setUp` (`_sortKeys`).
    uint256[] internal keys;

    function _initKeys(uint256 n, uint256 seed) internal {
        delete keys;
        for (uint256 i; i < n; ++i) {
            keys.push(uint256(keccak256(abi.encode("validator", seed, i))) % (2 ** 160) + 1);
        }
        // insertion sort by address
        for (uint256 i = 1; i < n; ++i) {
            uint256 k = keys[i];
            uint256 j = i;
            while (j > 0 && _addr(keys[j - 1]) > _addr(k)) {
                keys[j] = keys[j - 1];
                --j;
            }
            keys[j] = k;
        }
    }

    function _addr(uint256 key) internal pure returns (address) {
        return vm.addr(key);
    }

    function _validators() internal view returns (address[] memory v) {
        v = new address[](keys.length);
        for (uint256 i; i < keys.length; ++i) {
            v[i] = _addr(keys[i]);
        }
    }

    /// @notice The id of `m` as the bridge computes it, recomputed here from EIP-712.
    function _id(IBridgeEndpoint.Message memory m) internal pure returns (bytes32) {
        bytes32 domain = keccak256(
            abi.encode(
                DOMAIN_TYPEHASH,
                keccak256("SecuritiesRailsBridge"),
                keccak256("1"),
                uint256(m.destinationChainId),
                m.destinationBridge
            )
        );
        bytes32 structHash = keccak256(
            abi.encode(
                MESSAGE_TYPEHASH,
                m.kind,
                m.sourceChainId,
                m.destinationChainId,
                m.sourceBridge,
                m.destinationBridge,
                m.nonce,
                m.isin,
                m.sender,
                m.recipient,
                m.amount
            )
        );
        return keccak256(abi.encodePacked(hex"1901", domain, structHash));
    }

    function _sig(uint256 key, bytes32 digest) internal pure returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = bvm.sign(key, digest);
        return abi.encodePacked(r, s, v);
    }

    /// @notice Signatures of `m` by the validators at `indexes` of `keys`, in that order.
    function _signBy(IBridgeEndpoint.Message memory m, uint256[] memory indexes)
        internal
        view
        returns (bytes[] memory sigs)
    {
        bytes32 digest = _id(m);
        sigs = new bytes[](indexes.length);
        for (uint256 i; i < indexes.length; ++i) {
            sigs[i] = _sig(keys[indexes[i]], digest);
        }
    }

    /// @notice Signatures of `m` by the first `n` validators, ascending.
    function _attest(IBridgeEndpoint.Message memory m, uint256 n) internal view returns (bytes[] memory) {
        uint256[] memory idx = new uint256[](n);
        for (uint256 i; i < n; ++i) {
            idx[i] = i;
        }
        return _signBy(m, idx);
    }

    function _attest(IBridgeEndpoint.Message memory m) internal view returns (bytes[] memory) {
        return _attest(m, 3);
    }

    function _message(
        IBridgeEndpoint.Kind kind,
        uint64 sourceChain,
        uint64 destinationChain,
        address sourceBridge,
        address destinationBridge,
        uint64 nonce,
        bytes12 isin,
        address sender,
        address recipient,
        uint256 amount
    ) internal pure returns (IBridgeEndpoint.Message memory) {
        return IBridgeEndpoint.Message({
            kind: uint8(kind),
            sourceChainId: sourceChain,
            destinationChainId: destinationChain,
            sourceBridge: sourceBridge,
            destinationBridge: destinationBridge,
            nonce: nonce,
            isin: isin,
            sender: sender,
            recipient: recipient,
            amount: amount
        });
    }

    /// @notice The `Refund` attesting that transfer `t` failed on its destination.
    function _refundOf(IBridgeEndpoint.Message memory t) internal pure returns (IBridgeEndpoint.Message memory) {
        return _message(
            IBridgeEndpoint.Kind.Refund,
            t.destinationChainId,
            t.sourceChainId,
            t.destinationBridge,
            t.sourceBridge,
            t.nonce,
            t.isin,
            t.sender,
            t.recipient,
            t.amount
        );
    }
}

/// @title BridgeTest
/// @notice Two chains in one EVM: the suite of SuiteTest is the home chain (chain id `HOME`:
/// canonical token, `BridgeCustody`, `BridgeLock`); a second registry, factory and mirror token
/// with the same ISIN are the remote chain (chain id `REMOTE`: `BridgeMint`). Tests switch
/// `block.chainid` with `bvm.chainId` before acting on either end. Five validators, threshold 3.
/// Alice, bob and dave are registered on both chains; carol only at home.
abstract contract BridgeTest is SuiteTest, BridgeSigning {
    string internal constant LOCK_ARTIFACT = "contracts/bridge/BridgeLock.sol:BridgeLock";
    string internal constant MINT_ARTIFACT = "contracts/bridge/BridgeMint.sol:BridgeMint";
    string internal constant CUSTODY_ARTIFACT = "contracts/bridge/BridgeCustody.sol:BridgeCustody";
    string internal constant TIMELOCK_ARTIFACT = "contracts/governance/SuiteTimelock.sol:SuiteTimelock";

    bytes32 internal constant GOVERNOR_ROLE = keccak256("GOVERNOR_ROLE");
    bytes32 internal constant GUARDIAN_ROLE = keccak256("GUARDIAN_ROLE");
    bytes32 internal constant COMPLIANCE_ROLE = keccak256("COMPLIANCE_ROLE");
    bytes32 internal constant BRIDGE_ROLE = keccak256("BRIDGE_ROLE");

    bytes12 internal constant ISIN = "US0378331005";

    uint128 internal constant CAPACITY = 1_000;
    uint128 internal constant RATE = 1; // units per second
    uint256 internal constant MAX_TRANSFER = 600;
    uint256 internal constant START_BALANCE = 10_000;

    address internal bridgeAdmin = _actor("bridgeAdmin");
    address internal governor = _actor("governor");
    address internal bridgeUpgrader = _actor("bridgeUpgrader");
    address internal guardian = _actor("guardian");
    address internal compliance = _actor("compliance");
    address internal custodyAdmin = _actor("custodyAdmin");

    InvestorRegistry internal remoteRegistry;
    SecurityTokenFactory internal remoteFactory;
    SecurityToken internal mirror;

    BridgeCustody internal custody;
    BridgeLock internal lockImpl;
    BridgeMint internal mintImpl;
    BridgeLock internal lock;
    BridgeMint internal mint;

    function setUp() public virtual override {
        super.setUp();
        _initKeys(5, 0);
        _deployRemoteSuite();
        _deployBridge();
        _mint(alice, START_BALANCE);
        _mint(bob, START_BALANCE);
        _onHome();
    }

    // ------------------------------------------------------------------ deployment

    function _deployRemoteSuite() internal {
        remoteRegistry = InvestorRegistry(
            _newProxy(
                address(registryImpl),
                abi.encodeCall(InvestorRegistry.initialize, (admin, registryRegistrar, registryUpgrader))
            )
        );
        remoteFactory = SecurityTokenFactory(
            _newProxy(
                address(factoryImpl),
                abi.encodeCall(
                    SecurityTokenFactory.initialize,
                    (admin, creator, factoryUpgrader, address(tokenImpl), IInvestorRegistry(address(remoteRegistry)))
                )
            )
        );
        vm.prank(creator);
        mirror = SecurityToken(
            remoteFactory.createInstrument("Acme Ordinary Shares (bridged)", "ACMEb", _instrument(), _roles())
        );
        _registerRemote(alice, ALICE_ID, DE);
        _registerRemote(bob, BOB_ID, US);
        _registerRemote(dave, DAVE_ID, GB);
    }

    function _registerRemote(address wallet, bytes32 id, uint16 country) internal {
        vm.prank(registryRegistrar);
        remoteRegistry.registerInvestor(wallet, id, country, 1, EXPIRY);
    }

    function _setup() internal view returns (BridgeEndpoint.BridgeSetup memory) {
        return BridgeEndpoint.BridgeSetup({
            admin: bridgeAdmin,
            adminDelay: 1 days,
            governor: governor,
            upgrader: bridgeUpgrader,
            guardian: guardian,
            compliance: compliance,
            validators: _validators(),
            threshold: 3,
            outbound: IBridgeEndpoint.RateLimit({capacity: CAPACITY, ratePerSecond: RATE}),
            inbound: IBridgeEndpoint.RateLimit({capacity: CAPACITY, ratePerSecond: RATE}),
            maxTransfer: MAX_TRANSFER
        });
    }

    function _deployBridge() internal {
        custody = BridgeCustody(_deploy(CUSTODY_ARTIFACT, abi.encode(address(token), custodyAdmin, uint48(1 days))));
        lockImpl = BridgeLock(_deploy(LOCK_ARTIFACT, ""));
        mintImpl = BridgeMint(_deploy(MINT_ARTIFACT, ""));
        lock = _newLock(_setup());
        mint = _newMint(_setup());
        // home: custody holds units as a system account; the lock endpoint may release
        vm.prank(registryRegistrar);
        registry.registerSystemAccount(address(custody), "bridge custody");
        vm.prank(custodyAdmin);
        custody.grantRole(BRIDGE_ROLE, address(lock));
        // remote: the mint endpoint receives (to burn) as a system account and issues
        vm.prank(registryRegistrar);
        remoteRegistry.registerSystemAccount(address(mint), "bridge");
        vm.prank(tokenAdmin);
        mirror.grantRole(ISSUER_ROLE, address(mint));
        // peers, each set on its own chain
        _onHome();
        vm.prank(governor);
        lock.setPeer(REMOTE, address(mint), 64);
        _onRemote();
        vm.prank(governor);
        mint.setPeer(HOME, address(lock), 12);
    }

    function _newLock(BridgeEndpoint.BridgeSetup memory s) internal returns (BridgeLock) {
        return BridgeLock(
            _newProxy(
                address(lockImpl),
                abi.encodeCall(BridgeLock.initialize, (s, address(token), IBridgeCustody(address(custody))))
            )
        );
    }

    function _newMint(BridgeEndpoint.BridgeSetup memory s) internal returns (BridgeMint) {
        return BridgeMint(_newProxy(address(mintImpl), abi.encodeCall(BridgeMint.initialize, (s, address(mirror)))));
    }

    function _newTimelock(uint256 delay, address proposer) internal returns (address) {
        address[] memory proposers = new address[](1);
        proposers[0] = proposer;
        address[] memory executors = new address[](1);
        executors[0] = address(0); // anyone executes a ready operation
        return _deploy(TIMELOCK_ARTIFACT, abi.encode(delay, proposers, executors, address(0)));
    }

    // ------------------------------------------------------------------ chains

    function _onHome() internal {
        bvm.chainId(HOME);
    }

    function _onRemote() internal {
        bvm.chainId(REMOTE);
    }

    // ------------------------------------------------------------------ flows

    /// @notice `from` sends `amount` home → remote; returns the message as the lock built it.
    function _sendHome(address from, address to, uint256 amount) internal returns (IBridgeEndpoint.Message memory m) {
        _onHome();
        vm.prank(from);
        token.approve(address(lock), amount);
        vm.prank(from);
        uint64 nonce = lock.send(REMOTE, to, amount);
        m = _homeTransfer(nonce, from, to, amount);
    }

    /// @notice `from` sends `amount` remote → home; returns the message as the mint endpoint built it.
    function _sendRemote(address from, address to, uint256 amount) internal returns (IBridgeEndpoint.Message memory m) {
        _onRemote();
        vm.prank(from);
        mirror.approve(address(mint), amount);
        vm.prank(from);
        uint64 nonce = mint.send(HOME, to, amount);
        m = _remoteTransfer(nonce, from, to, amount);
    }

    function _homeTransfer(uint64 nonce, address from, address to, uint256 amount)
        internal
        view
        returns (IBridgeEndpoint.Message memory)
    {
        return _message(
            IBridgeEndpoint.Kind.Transfer, HOME, REMOTE, address(lock), address(mint), nonce, ISIN, from, to, amount
        );
    }

    function _remoteTransfer(uint64 nonce, address from, address to, uint256 amount)
        internal
        view
        returns (IBridgeEndpoint.Message memory)
    {
        return _message(
            IBridgeEndpoint.Kind.Transfer, REMOTE, HOME, address(mint), address(lock), nonce, ISIN, from, to, amount
        );
    }

    /// @notice Execute `m` on its destination (switching chain), with 3 signatures.
    function _deliver(IBridgeEndpoint.Message memory m) internal {
        bytes[] memory sigs = _attest(m);
        if (m.destinationChainId == REMOTE) {
            _onRemote();
            mint.execute(m, sigs);
        } else {
            _onHome();
            lock.execute(m, sigs);
        }
    }

    /// @notice Mirror units for `to`: a home → remote transfer, delivered.
    function _bridgeOut(address from, address to, uint256 amount) internal {
        _deliver(_sendHome(from, to, amount));
    }

    // ------------------------------------------------------------------ errors

    function _err(bytes4 selector) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(selector);
    }

    function _status(IBridgeEndpoint e, IBridgeEndpoint.Message memory m)
        internal
        view
        returns (IBridgeEndpoint.InboundStatus)
    {
        return e.inboundStatus(_id(m));
    }

    function _outStatus(IBridgeEndpoint e, uint64 nonce) internal view returns (IBridgeEndpoint.OutboundStatus s) {
        (s,) = e.outbound(nonce);
    }
}

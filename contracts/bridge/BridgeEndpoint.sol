// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {AccessControlDefaultAdminRulesUpgradeable} from
    "@openzeppelin/contracts-upgradeable/access/extensions/AccessControlDefaultAdminRulesUpgradeable.sol";
import {EIP712Upgradeable} from "@openzeppelin/contracts-upgradeable/utils/cryptography/EIP712Upgradeable.sol";
import {UUPSUpgradeable} from "@openzeppelin/contracts-upgradeable/proxy/utils/UUPSUpgradeable.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";
import {IBridgeEndpoint} from "../../interfaces/IBridgeEndpoint.sol";
import {ISecurityToken} from "../../interfaces/ISecurityToken.sol";
import {RateLimiter} from "./RateLimiter.sol";
import {ValidatorSet} from "./ValidatorSet.sol";

/// @title BridgeEndpoint
/// @notice Everything both ends of the lock-and-mint bridge share: messages and their EIP-712 ids,
/// m-of-n attestation by a versioned validator set, peers, per-direction pause and token-bucket
/// rate limits, queues, the refund path and the roles. `BridgeLock` (home chain: custody) and
/// `BridgeMint` (remote chain: mint and burn) supply how units are taken, delivered and checked.
/// @dev Behind a UUPS proxy, state in an ERC-7201 namespace. Roles: the admin (two-step handover)
/// unpauses and administers the guardian and compliance roles; the governor (the timelock) sets
/// validators and peers and raises limits, and administers itself; the upgrader upgrades and
/// administers itself; the guardian pauses and lowers limits; compliance returns queued inbound
/// transfers. Outbound nonces start at 1 (0 never names a transfer). An upgrade is refused unless
/// the configuration still passes `checkConfiguration` under the new implementation.
/// @custom:security-contact see docs/security.md
abstract contract BridgeEndpoint is
    IBridgeEndpoint,
    AccessControlDefaultAdminRulesUpgradeable,
    EIP712Upgradeable,
    UUPSUpgradeable,
    ReentrancyGuardTransient
{
    using RateLimiter for RateLimiter.Bucket;
    using ValidatorSet for ValidatorSet.Set;

    /// @notice Sets validators and peers, raises limits (the timelock); administers itself.
    bytes32 public constant GOVERNOR_ROLE = keccak256("GOVERNOR_ROLE");
    /// @notice Upgrades the implementation; administers itself.
    bytes32 public constant UPGRADER_ROLE = keccak256("UPGRADER_ROLE");
    /// @notice Pauses a direction and lowers limits, at once.
    bytes32 public constant GUARDIAN_ROLE = keccak256("GUARDIAN_ROLE");
    /// @notice Refuses queued inbound transfers (they become refundable).
    bytes32 public constant COMPLIANCE_ROLE = keccak256("COMPLIANCE_ROLE");

    /// @notice Most peer chains an endpoint keeps.
    uint256 public constant MAX_PEERS = 16;
    /// @notice Most validators a set may hold.
    uint256 public constant MAX_VALIDATORS = ValidatorSet.MAX_VALIDATORS;

    /// @notice EIP-712 type hash of `Message`.
    bytes32 public constant MESSAGE_TYPEHASH = keccak256(
        "BridgeMessage(uint8 kind,uint64 sourceChainId,uint64 destinationChainId,address sourceBridge,"
        "address destinationBridge,uint64 nonce,bytes12 isin,address sender,address recipient,uint256 amount)"
    );

    string private constant DOMAIN_NAME = "SecuritiesRailsBridge";
    string private constant DOMAIN_VERSION = "1";
    bytes32 private constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    bytes32 private constant DOMAIN_NAME_HASH = keccak256(bytes(DOMAIN_NAME));
    bytes32 private constant DOMAIN_VERSION_HASH = keccak256(bytes(DOMAIN_VERSION));

    /// @dev ERC-1066 success code and the pause reason of the token's rules (TransferRules).
    bytes1 internal constant CODE_SUCCESS = 0x51;
    bytes32 internal constant TOKEN_PAUSED = "TOKEN_PAUSED";

    /// @notice Who holds what and the limits an endpoint starts with.
    /// @param admin Operations admin (two-step handover, `adminDelay` seconds).
    /// @param governor First governor (the deployer hands over to the timelock after setting peers).
    /// @param upgrader First upgrader.
    /// @param guardian First guardian.
    /// @param compliance First compliance officer.
    /// @param validators The first validator set (version 1).
    /// @param threshold Signatures needed, 0 < threshold <= validators.
    /// @param outbound Outbound limit (capacity > 0); the bucket starts full.
    /// @param inbound Inbound limit (capacity > 0); the bucket starts full.
    /// @param maxTransfer Per-transfer maximum, 0 < maxTransfer <= both capacities.
    struct BridgeSetup {
        address admin;
        uint48 adminDelay;
        address governor;
        address upgrader;
        address guardian;
        address compliance;
        address[] validators;
        uint8 threshold;
        RateLimit outbound;
        RateLimit inbound;
        uint256 maxTransfer;
    }

    /// @custom:storage-location erc7201:securities-rails.storage.BridgeEndpoint
    struct EndpointStorage {
        // slot 0 (every flow)
        address token;
        bytes12 isin;
        // slot 1 (every flow): last outbound nonce, per-transfer maximum (<= a uint128 capacity),
        // pauses, current validator set version and its threshold
        uint64 nonce;
        uint128 maxTransfer;
        bool outboundPaused;
        bool inboundPaused;
        uint32 validatorVersion;
        uint8 threshold;
        RateLimiter.Bucket outboundLimit;
        RateLimiter.Bucket inboundLimit;
        uint256 sent;
        uint256 received;
        uint256 refunded;
        ValidatorSet.Set validators;
        uint64[] peerChains;
        mapping(uint64 chainId => Peer) peers;
        mapping(uint64 nonce => bytes32) outboundHash;
        // Stored only when not `Sent` (the common case, saving a slot per transfer): `None` with a
        // hash recorded means `Sent`.
        mapping(uint64 nonce => OutboundStatus) outboundState;
        mapping(bytes32 id => InboundStatus) inbound;
    }

    // keccak256(abi.encode(uint256(keccak256("securities-rails.storage.BridgeEndpoint")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant STORAGE_LOCATION = 0x6592c39bce3d73747a0be36514935f14cf83b1a5e95f83125378701d90eda700;

    /// @notice The token paused itself: an inbound transfer or refund cannot be judged now; retry later.
    error TokenPaused(address token);

    function _endpoint() internal pure returns (EndpointStorage storage $) {
        assembly {
            $.slot := STORAGE_LOCATION
        }
    }

    /// @dev Shared initialiser: checks and records the setup (roles, validators, limits) and the
    /// token, whose ISIN binds every message.
    function __BridgeEndpoint_init(BridgeSetup calldata setup, address token_) internal onlyInitializing {
        if (token_.code.length == 0) revert InvalidConfiguration("token");
        _requireHolder(setup.governor, "governor");
        _requireHolder(setup.upgrader, "upgrader");
        _requireHolder(setup.guardian, "guardian");
        _requireHolder(setup.compliance, "compliance");
        __AccessControlDefaultAdminRules_init(setup.adminDelay, setup.admin);
        __EIP712_init(DOMAIN_NAME, DOMAIN_VERSION);
        _setRoleAdmin(GOVERNOR_ROLE, GOVERNOR_ROLE);
        _setRoleAdmin(UPGRADER_ROLE, UPGRADER_ROLE);
        _grantRole(GOVERNOR_ROLE, setup.governor);
        _grantRole(UPGRADER_ROLE, setup.upgrader);
        _grantRole(GUARDIAN_ROLE, setup.guardian);
        _grantRole(COMPLIANCE_ROLE, setup.compliance);

        EndpointStorage storage $ = _endpoint();
        $.token = token_;
        $.isin = ISecurityToken(token_).instrument().isin;
        _replaceValidators($, setup.validators, setup.threshold);
        _initLimit($.outboundLimit, Direction.Outbound, setup.outbound);
        _initLimit($.inboundLimit, Direction.Inbound, setup.inbound);
        uint256 maximum = setup.maxTransfer;
        if (maximum == 0 || maximum > setup.outbound.capacity || maximum > setup.inbound.capacity) {
            revert InvalidConfiguration("max transfer");
        }
        $.maxTransfer = uint128(maximum);
        emit MaxTransferSet(maximum);
    }

    // ------------------------------------------------------------------ flows

    /// @inheritdoc IBridgeEndpoint
    function send(uint64 destinationChainId, address recipient, uint256 amount)
        external
        nonReentrant
        returns (uint64 nonce)
    {
        EndpointStorage storage $ = _endpoint();
        if ($.outboundPaused) revert DirectionIsPaused(Direction.Outbound);
        address peerBridge = $.peers[destinationChainId].bridge;
        if (peerBridge == address(0)) revert UnknownPeer(destinationChainId);
        if (recipient == address(0)) revert InvalidRecipient(recipient);
        uint256 maximum = $.maxTransfer;
        if (amount == 0 || amount > maximum) revert InvalidAmount(amount, maximum);
        nonce = ++$.nonce;
        Message memory message = Message({
            kind: uint8(Kind.Transfer),
            sourceChainId: uint64(block.chainid),
            destinationChainId: destinationChainId,
            sourceBridge: address(this),
            destinationBridge: peerBridge,
            nonce: nonce,
            isin: $.isin,
            sender: _msgSender(),
            recipient: recipient,
            amount: amount
        });
        $.outboundHash[nonce] = keccak256(abi.encode(message));
        $.sent += amount;
        if ($.outboundLimit.consume(amount)) {
            emit MessageSent(_messageId(message), nonce, message);
        } else {
            $.outboundState[nonce] = OutboundStatus.Queued;
            emit OutboundQueued(nonce, message);
        }
        _take(_msgSender(), amount);
    }

    /// @inheritdoc IBridgeEndpoint
    function sendQueued(Message calldata message) external {
        EndpointStorage storage $ = _endpoint();
        uint64 nonce = message.nonce;
        if ($.outboundState[nonce] != OutboundStatus.Queued || $.outboundHash[nonce] != keccak256(abi.encode(message)))
        {
            revert NotQueuedOutbound(nonce);
        }
        if ($.outboundPaused) revert DirectionIsPaused(Direction.Outbound);
        _consume($.outboundLimit, Direction.Outbound, message.amount);
        delete $.outboundState[nonce]; // Sent
        emit MessageSent(_messageId(message), nonce, message);
    }

    /// @inheritdoc IBridgeEndpoint
    function execute(Message calldata message, bytes[] calldata signatures) external nonReentrant {
        if (message.kind != uint8(Kind.Transfer)) revert WrongKind(message.kind);
        EndpointStorage storage $ = _endpoint();
        _checkRoute($, message);
        bytes32 id = _messageId(message);
        InboundStatus status = $.inbound[id];
        if (status != InboundStatus.None) revert AlreadyProcessed(id, status);
        _verify($, id, signatures);
        _settleInbound($, id, message, false);
    }

    /// @inheritdoc IBridgeEndpoint
    function executeQueued(Message calldata message) external nonReentrant {
        EndpointStorage storage $ = _endpoint();
        bytes32 id = _messageId(message);
        if ($.inbound[id] != InboundStatus.Queued) revert NotQueued(id);
        // A queued id names this chain; on a fork with another chain id it must not run again.
        if (message.destinationChainId != block.chainid) {
            revert WrongChain(uint64(block.chainid), message.destinationChainId);
        }
        if ($.inboundPaused) revert DirectionIsPaused(Direction.Inbound);
        _settleInbound($, id, message, true);
    }

    /// @inheritdoc IBridgeEndpoint
    function returnQueued(Message calldata message, bytes32 reason) external onlyRole(COMPLIANCE_ROLE) {
        EndpointStorage storage $ = _endpoint();
        bytes32 id = _messageId(message);
        if ($.inbound[id] != InboundStatus.Queued) revert NotQueued(id);
        $.inbound[id] = InboundStatus.Failed;
        emit TransferFailed(id, message, reason);
    }

    /// @inheritdoc IBridgeEndpoint
    /// @dev The refund is an inbound message like any other: its id is marked `Executed`, so a
    /// second `reclaim` fails with `AlreadyProcessed`, and `MessageExecuted` is emitted with
    /// `Refunded`. Refunds draw on the inbound rate limit like deliveries, so that a threshold of
    /// stolen validator keys cannot drain custody through refunds faster than through transfers;
    /// over the limit the call reverts `RateLimited` and the refund waits, reclaimable later.
    function reclaim(Message calldata message, bytes[] calldata signatures) external nonReentrant {
        if (message.kind != uint8(Kind.Refund)) revert WrongKind(message.kind);
        EndpointStorage storage $ = _endpoint();
        _checkRoute($, message);
        bytes32 id = _messageId(message);
        InboundStatus status = $.inbound[id];
        if (status != InboundStatus.None) revert AlreadyProcessed(id, status);
        _verify($, id, signatures);
        uint64 nonce = message.nonce;
        // The transfer this refund names: chains and bridges swapped back, kind Transfer. It must
        // have been sent (a queued one never left, so it cannot have failed).
        Message memory transfer = Message({
            kind: uint8(Kind.Transfer),
            sourceChainId: message.destinationChainId,
            destinationChainId: message.sourceChainId,
            sourceBridge: message.destinationBridge,
            destinationBridge: message.sourceBridge,
            nonce: nonce,
            isin: message.isin,
            sender: message.sender,
            recipient: message.recipient,
            amount: message.amount
        });
        if ($.outboundHash[nonce] != keccak256(abi.encode(transfer)) || $.outboundState[nonce] != OutboundStatus.None)
        {
            revert UnknownOutbound(nonce);
        }
        (bytes1 code, bytes32 reason) = _eligibility(message.sender, message.amount);
        if (code != CODE_SUCCESS) revert RefundNotPayable(nonce, reason);
        _consume($.inboundLimit, Direction.Inbound, message.amount);
        $.inbound[id] = InboundStatus.Executed;
        $.outboundState[nonce] = OutboundStatus.Refunded;
        $.refunded += message.amount;
        emit MessageExecuted(id, message);
        emit Refunded(nonce, message.sender, message.amount);
        _deliver(message.sender, message.amount);
    }

    // ------------------------------------------------------------------ configuration

    /// @inheritdoc IBridgeEndpoint
    function setValidators(address[] calldata validators, uint8 threshold) external onlyRole(GOVERNOR_ROLE) {
        _replaceValidators(_endpoint(), validators, threshold);
    }

    /// @inheritdoc IBridgeEndpoint
    /// @dev `bridge == 0` removes the peer. At most `MAX_PEERS` peers; never this chain.
    function setPeer(uint64 chainId, address bridge, uint32 confirmations) external onlyRole(GOVERNOR_ROLE) {
        if (chainId == 0 || chainId == block.chainid) revert InvalidConfiguration("peer chain");
        EndpointStorage storage $ = _endpoint();
        bool known = $.peers[chainId].bridge != address(0);
        if (bridge == address(0)) {
            if (!known) revert UnknownPeer(chainId);
            uint64[] storage chains = $.peerChains;
            uint256 last = chains.length - 1;
            for (uint256 i; i <= last; ++i) {
                if (chains[i] == chainId) {
                    chains[i] = chains[last];
                    break;
                }
            }
            chains.pop();
            delete $.peers[chainId];
            emit PeerSet(chainId, address(0), 0);
            return;
        }
        if (!known) {
            if ($.peerChains.length >= MAX_PEERS) revert InvalidConfiguration("too many peers");
            $.peerChains.push(chainId);
        }
        $.peers[chainId] = Peer({bridge: bridge, confirmations: confirmations});
        emit PeerSet(chainId, bridge, confirmations);
    }

    /// @inheritdoc IBridgeEndpoint
    function setRateLimit(Direction direction, uint128 capacity, uint128 ratePerSecond) external {
        EndpointStorage storage $ = _endpoint();
        RateLimiter.Bucket storage bucket = _bucket($, direction);
        if (!_isGovernor()) {
            if (capacity > bucket.capacity || ratePerSecond > bucket.ratePerSecond) {
                revert LimitRaiseNeedsGovernor(direction);
            }
        }
        if (capacity == 0) revert InvalidConfiguration("rate limit off");
        if ($.maxTransfer > capacity) revert InvalidConfiguration("max transfer");
        bucket.setLimit(capacity, ratePerSecond);
        emit RateLimitSet(direction, capacity, ratePerSecond);
    }

    /// @inheritdoc IBridgeEndpoint
    function setMaxTransfer(uint256 amount) external {
        EndpointStorage storage $ = _endpoint();
        uint256 current = $.maxTransfer;
        if (!_isGovernor() && amount > current) revert MaxRaiseNeedsGovernor(current, amount);
        if (amount == 0 || amount > $.outboundLimit.capacity || amount > $.inboundLimit.capacity) {
            revert InvalidConfiguration("max transfer");
        }
        $.maxTransfer = uint128(amount);
        emit MaxTransferSet(amount);
    }

    /// @inheritdoc IBridgeEndpoint
    function pause(Direction direction) external {
        address caller = _msgSender();
        if (!hasRole(GUARDIAN_ROLE, caller) && !hasRole(DEFAULT_ADMIN_ROLE, caller)) {
            revert AccessControlUnauthorizedAccount(caller, GUARDIAN_ROLE);
        }
        _setPaused(direction, true, caller);
    }

    /// @inheritdoc IBridgeEndpoint
    function unpause(Direction direction) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setPaused(direction, false, _msgSender());
    }

    /// @notice Upgrade the implementation (upgrader role), then require the configuration to pass
    /// `checkConfiguration` as the new implementation sees it; otherwise the upgrade reverts.
    /// @param newImplementation The new UUPS implementation.
    /// @param data Call to run on the proxy after the upgrade (a migration), or empty.
    function upgradeToAndCall(address newImplementation, bytes memory data) public payable override {
        super.upgradeToAndCall(newImplementation, data);
        IBridgeEndpoint(address(this)).checkConfiguration();
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc IBridgeEndpoint
    function token() external view returns (address) {
        return _endpoint().token;
    }

    /// @inheritdoc IBridgeEndpoint
    function isin() external view returns (bytes12) {
        return _endpoint().isin;
    }

    /// @inheritdoc IBridgeEndpoint
    /// @dev Always in the message's destination domain (its destination chain id and bridge), so
    /// the source endpoint and the destination endpoint compute the same id.
    function messageId(Message calldata message) external pure returns (bytes32) {
        return _messageId(message);
    }

    /// @inheritdoc IBridgeEndpoint
    function validatorSet() external view returns (address[] memory validators, uint8 threshold, uint32 version) {
        EndpointStorage storage $ = _endpoint();
        return ($.validators.members, $.threshold, $.validatorVersion);
    }

    /// @inheritdoc IBridgeEndpoint
    function isValidator(address account) external view returns (bool) {
        EndpointStorage storage $ = _endpoint();
        return $.validators.contains($.validatorVersion, account);
    }

    /// @inheritdoc IBridgeEndpoint
    function peer(uint64 chainId) external view returns (Peer memory) {
        return _endpoint().peers[chainId];
    }

    /// @notice The chain ids of the known peers (at most `MAX_PEERS`), in no particular order.
    function peerChains() external view returns (uint64[] memory) {
        return _endpoint().peerChains;
    }

    /// @inheritdoc IBridgeEndpoint
    function rateLimit(Direction direction) external view returns (RateLimit memory limit, uint256 available) {
        RateLimiter.Bucket storage bucket = _bucket(_endpoint(), direction);
        limit = RateLimit({capacity: bucket.capacity, ratePerSecond: bucket.ratePerSecond});
        available = bucket.available(block.timestamp);
    }

    /// @inheritdoc IBridgeEndpoint
    function maxTransfer() external view returns (uint256) {
        return _endpoint().maxTransfer;
    }

    /// @inheritdoc IBridgeEndpoint
    function paused(Direction direction) external view returns (bool) {
        EndpointStorage storage $ = _endpoint();
        return direction == Direction.Outbound ? $.outboundPaused : $.inboundPaused;
    }

    /// @inheritdoc IBridgeEndpoint
    function inboundStatus(bytes32 id) external view returns (InboundStatus) {
        return _endpoint().inbound[id];
    }

    /// @inheritdoc IBridgeEndpoint
    function outbound(uint64 nonce) external view returns (OutboundStatus status, bytes32 messageHash) {
        EndpointStorage storage $ = _endpoint();
        messageHash = $.outboundHash[nonce];
        if (messageHash != 0) {
            status = $.outboundState[nonce];
            if (status == OutboundStatus.None) status = OutboundStatus.Sent;
        }
    }

    /// @inheritdoc IBridgeEndpoint
    function nextNonce() external view returns (uint64) {
        return _endpoint().nonce + 1;
    }

    /// @inheritdoc IBridgeEndpoint
    function totals() external view returns (uint256 sent, uint256 received, uint256 refunded) {
        EndpointStorage storage $ = _endpoint();
        return ($.sent, $.received, $.refunded);
    }

    /// @inheritdoc IBridgeEndpoint
    /// @dev Reasons: "validators", "threshold", "zero validator", "duplicate validator", "no peer",
    /// "too many peers", "rate limit off", "max transfer". Every loop is bounded by a cap.
    function checkConfiguration() external view {
        EndpointStorage storage $ = _endpoint();
        bytes32 reason = $.validators.issue($.threshold);
        if (reason != 0) revert InvalidConfiguration(reason);
        uint256 peers = $.peerChains.length;
        if (peers == 0) revert InvalidConfiguration("no peer");
        if (peers > MAX_PEERS) revert InvalidConfiguration("too many peers");
        uint256 outCapacity = $.outboundLimit.capacity;
        uint256 inCapacity = $.inboundLimit.capacity;
        if (outCapacity == 0 || inCapacity == 0) revert InvalidConfiguration("rate limit off");
        uint256 maximum = $.maxTransfer;
        if (maximum == 0 || maximum > outCapacity || maximum > inCapacity) revert InvalidConfiguration("max transfer");
    }

    /// @notice ERC-165: the interfaces this endpoint implements.
    function supportsInterface(bytes4 interfaceId) public view virtual override returns (bool) {
        return interfaceId == type(IBridgeEndpoint).interfaceId || super.supportsInterface(interfaceId);
    }

    // ------------------------------------------------------------------ hooks

    /// @dev Take `amount` units from `from` (lock in custody, or burn). Called after every state write.
    function _take(address from, uint256 amount) internal virtual;

    /// @dev Deliver `amount` units to `to` (release from custody, or mint). Called after every state write.
    function _deliver(address to, uint256 amount) internal virtual;

    /// @dev The token's verdict on delivering `amount` units to `to` (`canTransfer` of the
    /// release or the mint), read before deciding, without try/catch.
    function _eligibility(address to, uint256 amount) internal view virtual returns (bytes1 code, bytes32 reason);

    // ------------------------------------------------------------------ internals

    /// @dev Deliver an attested inbound transfer, queue it (no headroom; only from `execute`) or
    /// mark it failed (the token refuses the recipient). A paused token decides nothing: revert.
    function _settleInbound(EndpointStorage storage $, bytes32 id, Message calldata message, bool fromQueue) private {
        uint256 amount = message.amount;
        (bytes1 code, bytes32 reason) = _eligibility(message.recipient, amount);
        if (code != CODE_SUCCESS) {
            if (reason == TOKEN_PAUSED) revert TokenPaused($.token);
            $.inbound[id] = InboundStatus.Failed;
            emit TransferFailed(id, message, reason);
            return;
        }
        if (fromQueue) {
            _consume($.inboundLimit, Direction.Inbound, amount);
        } else if (!$.inboundLimit.consume(amount)) {
            $.inbound[id] = InboundStatus.Queued;
            emit InboundQueued(id, message);
            return;
        }
        $.inbound[id] = InboundStatus.Executed;
        $.received += amount;
        emit MessageExecuted(id, message);
        _deliver(message.recipient, amount);
    }

    /// @dev Route checks of an inbound message: this chain, this bridge, this instrument, from the
    /// known peer, inbound not paused.
    function _checkRoute(EndpointStorage storage $, Message calldata message) private view {
        if (message.destinationChainId != block.chainid) {
            revert WrongChain(uint64(block.chainid), message.destinationChainId);
        }
        if (message.destinationBridge != address(this)) revert WrongBridge(address(this), message.destinationBridge);
        bytes12 isin_ = $.isin;
        if (message.isin != isin_) revert WrongInstrument(isin_, message.isin);
        address peerBridge = $.peers[message.sourceChainId].bridge;
        if (peerBridge == address(0)) revert UnknownPeer(message.sourceChainId);
        if (message.sourceBridge != peerBridge) revert WrongBridge(peerBridge, message.sourceBridge);
        if ($.inboundPaused) revert DirectionIsPaused(Direction.Inbound);
    }

    /// @dev Revert unless `signatures` attest `digest` by the current validator set.
    function _verify(EndpointStorage storage $, bytes32 digest, bytes[] calldata signatures) private view {
        $.validators.verify($.validatorVersion, $.threshold, digest, signatures);
    }

    /// @dev Record a new version of the validator set.
    function _replaceValidators(EndpointStorage storage $, address[] calldata validators, uint8 threshold) private {
        uint32 version = $.validatorVersion + 1;
        $.validators.replace(version, validators, threshold);
        $.validatorVersion = version;
        $.threshold = threshold;
        emit ValidatorSetChanged(version, validators, threshold);
    }

    /// @dev Take from a bucket or revert with the units available.
    function _consume(RateLimiter.Bucket storage bucket, Direction direction, uint256 amount) private {
        if (!bucket.consume(amount)) revert RateLimited(direction, amount, bucket.available(block.timestamp));
    }

    /// @dev The message id: its EIP-712 digest in the destination's domain (name, version, the
    /// destination chain id, the destination bridge). On the destination this is
    /// `_hashTypedDataV4(structHash)`, as the route checks make that domain its own.
    function _messageId(Message memory message) internal pure returns (bytes32) {
        bytes32 domain = keccak256(
            abi.encode(
                DOMAIN_TYPEHASH,
                DOMAIN_NAME_HASH,
                DOMAIN_VERSION_HASH,
                uint256(message.destinationChainId),
                message.destinationBridge
            )
        );
        return MessageHashUtils.toTypedDataHash(domain, keccak256(abi.encode(MESSAGE_TYPEHASH, message)));
    }

    function _bucket(EndpointStorage storage $, Direction direction) private view returns (RateLimiter.Bucket storage) {
        return direction == Direction.Outbound ? $.outboundLimit : $.inboundLimit;
    }

    function _initLimit(RateLimiter.Bucket storage bucket, Direction direction, RateLimit calldata limit) private {
        if (limit.capacity == 0) revert InvalidConfiguration("rate limit off");
        bucket.init(limit.capacity, limit.ratePerSecond);
        emit RateLimitSet(direction, limit.capacity, limit.ratePerSecond);
    }

    /// @dev Governor: may set any limit. Guardian: only lower (checked by the caller). Else unauthorised.
    function _isGovernor() private view returns (bool) {
        address caller = _msgSender();
        if (hasRole(GOVERNOR_ROLE, caller)) return true;
        if (!hasRole(GUARDIAN_ROLE, caller)) revert AccessControlUnauthorizedAccount(caller, GOVERNOR_ROLE);
        return false;
    }

    function _setPaused(Direction direction, bool paused_, address by) private {
        EndpointStorage storage $ = _endpoint();
        if (direction == Direction.Outbound) $.outboundPaused = paused_;
        else $.inboundPaused = paused_;
        emit DirectionPaused(direction, paused_, by);
    }

    function _requireHolder(address holder, bytes32 role) private pure {
        if (holder == address(0)) revert InvalidConfiguration(role);
    }

    function _authorizeUpgrade(address) internal override onlyRole(UPGRADER_ROLE) {}
}

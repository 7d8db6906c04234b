// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title IBridgeEndpoint
/// @notice One end of the lock-and-mint bridge for one instrument (one ISIN). The home end
/// (`BridgeLock`) locks canonical units in a separate custody contract and releases them; the
/// remote end (`BridgeMint`) mints and burns the mirror `SecurityToken`. Both ends share this
/// interface: messages leave through `send`, are attested off-chain by m-of-n validators over
/// EIP-712, and are executed on the other end by anyone holding the attestation.
///
/// A transfer the destination's rules refuse is marked `Failed` there; an attestation of that
/// failure (a `Refund` message) lets the sender reclaim on the source end. Rate limits queue
/// transfers in either direction, never drop them.
interface IBridgeEndpoint {
    // ------------------------------------------------------------------ types

    /// @notice Direction of a flow, as seen from this endpoint.
    enum Direction {
        Outbound,
        Inbound
    }

    /// @notice What a message asks its destination to do.
    /// @dev `Transfer`: deliver `amount` to `recipient`. `Refund`: the transfer with the same
    /// fields (chains and bridges swapped back, kind `Transfer`) failed on this message's source;
    /// pay `amount` back to `sender` on this message's destination.
    enum Kind {
        Transfer,
        Refund
    }

    /// @notice State of an inbound message on its destination.
    enum InboundStatus {
        None,
        Executed,
        Queued,
        Failed
    }

    /// @notice State of an outbound transfer on its source.
    enum OutboundStatus {
        None,
        Queued,
        Sent,
        Refunded
    }

    /// @notice The attested message. Its EIP-712 digest (domain: name "SecuritiesRailsBridge",
    /// version "1", the destination chain id, the destination bridge) is its id.
    /// @dev EIP-712 type: `BridgeMessage(uint8 kind,uint64 sourceChainId,uint64 destinationChainId,
    /// address sourceBridge,address destinationBridge,uint64 nonce,bytes12 isin,address sender,
    /// address recipient,uint256 amount)`. `nonce` is the source endpoint's outbound nonce of the
    /// transfer (a `Refund` keeps the nonce of the transfer it refunds).
    struct Message {
        uint8 kind;
        uint64 sourceChainId;
        uint64 destinationChainId;
        address sourceBridge;
        address destinationBridge;
        uint64 nonce;
        bytes12 isin;
        address sender;
        address recipient;
        uint256 amount;
    }

    /// @notice The other end of the bridge on one chain.
    /// @param bridge The peer endpoint's address on that chain.
    /// @param confirmations Blocks validators wait on that chain before attesting its messages.
    struct Peer {
        address bridge;
        uint32 confirmations;
    }

    /// @notice A token bucket: `capacity` units, refilled at `ratePerSecond`.
    struct RateLimit {
        uint128 capacity;
        uint128 ratePerSecond;
    }

    // ------------------------------------------------------------------ events

    /// @notice A transfer left this endpoint; validators attest this event.
    event MessageSent(bytes32 indexed id, uint64 indexed nonce, Message message);
    /// @notice A transfer was taken (locked or burned) but waits for outbound rate-limit headroom.
    event OutboundQueued(uint64 indexed nonce, Message message);
    /// @notice An inbound transfer or refund was delivered.
    event MessageExecuted(bytes32 indexed id, Message message);
    /// @notice An attested inbound transfer waits for inbound rate-limit headroom.
    event InboundQueued(bytes32 indexed id, Message message);
    /// @notice An inbound transfer was refused here (rules or compliance); validators attest this
    /// event as a `Refund` message back to the source.
    event TransferFailed(bytes32 indexed id, Message message, bytes32 reason);
    /// @notice A failed outbound transfer was paid back to its sender.
    event Refunded(uint64 indexed nonce, address indexed sender, uint256 amount);
    /// @notice The validator set changed; `version` counts every change.
    event ValidatorSetChanged(uint32 indexed version, address[] validators, uint8 threshold);
    /// @notice The peer on `chainId` was set.
    event PeerSet(uint64 indexed chainId, address bridge, uint32 confirmations);
    /// @notice A rate limit was set (the bucket keeps its level, capped at the new capacity).
    event RateLimitSet(Direction indexed direction, uint128 capacity, uint128 ratePerSecond);
    /// @notice The per-transfer maximum was set.
    event MaxTransferSet(uint256 amount);
    /// @notice A direction was paused or unpaused.
    event DirectionPaused(Direction indexed direction, bool paused, address indexed by);

    // ------------------------------------------------------------------ errors

    error InvalidAmount(uint256 amount, uint256 maximum);
    error InvalidRecipient(address recipient);
    error UnknownPeer(uint64 chainId);
    error DirectionIsPaused(Direction direction);
    error WrongChain(uint64 expected, uint64 actual);
    error WrongBridge(address expected, address actual);
    error WrongInstrument(bytes12 expected, bytes12 actual);
    error WrongKind(uint8 kind);
    error AlreadyProcessed(bytes32 id, InboundStatus status);
    error NotQueued(bytes32 id);
    error NotQueuedOutbound(uint64 nonce);
    error UnknownOutbound(uint64 nonce);
    error RateLimited(Direction direction, uint256 amount, uint256 available);
    error InvalidSignature(uint256 index);
    error SignersNotAscending(uint256 index, address signer);
    error NotValidator(uint256 index, address signer);
    error BelowThreshold(uint256 signatures, uint256 threshold);
    error InvalidValidatorSet(bytes32 reason);
    error InvalidConfiguration(bytes32 reason);
    error LimitRaiseNeedsGovernor(Direction direction);
    error MaxRaiseNeedsGovernor(uint256 current, uint256 requested);
    error RefundNotPayable(uint64 nonce, bytes32 reason);

    // ------------------------------------------------------------------ flows

    /// @notice Take `amount` units from the caller (lock in custody, or burn) and send them to
    /// `recipient` on `destinationChainId`. The caller approves this endpoint first. Queued, not
    /// refused, when the outbound bucket lacks headroom.
    /// @return nonce The transfer's outbound nonce.
    function send(uint64 destinationChainId, address recipient, uint256 amount) external returns (uint64 nonce);

    /// @notice Send an outbound transfer that was queued by the rate limit. Anyone may call.
    function sendQueued(Message calldata message) external;

    /// @notice Execute an attested inbound `Transfer`: deliver it, queue it (rate limit) or mark it
    /// `Failed` (destination rules refuse the recipient). Anyone may call.
    /// @param signatures 65-byte ECDSA signatures of the message id by distinct current
    /// validators, ordered by ascending signer address.
    function execute(Message calldata message, bytes[] calldata signatures) external;

    /// @notice Deliver an inbound transfer that was queued by the rate limit. Anyone may call.
    function executeQueued(Message calldata message) external;

    /// @notice Pay a failed outbound transfer back to its sender, on an attested `Refund` message.
    /// Anyone may call. Refunds draw on the inbound rate limit: over it, the call reverts
    /// `RateLimited` and the refund can be reclaimed once the bucket has refilled.
    function reclaim(Message calldata message, bytes[] calldata signatures) external;

    /// @notice Refuse a queued inbound transfer (compliance role): it is marked `Failed`, so its
    /// sender reclaims it on the source end.
    function returnQueued(Message calldata message, bytes32 reason) external;

    // ------------------------------------------------------------------ configuration

    /// @notice Replace the validator set (governor role, behind the timelock). Starts a new version.
    function setValidators(address[] calldata validators, uint8 threshold) external;

    /// @notice Set the peer endpoint on `chainId` (governor role).
    function setPeer(uint64 chainId, address bridge, uint32 confirmations) external;

    /// @notice Set a direction's rate limit: the governor may set any; the guardian only lower
    /// (capacity and rate both not above the current ones). The bucket is not refilled.
    function setRateLimit(Direction direction, uint128 capacity, uint128 ratePerSecond) external;

    /// @notice Set the per-transfer maximum: the governor may set any; the guardian only lower.
    function setMaxTransfer(uint256 amount) external;

    /// @notice Pause a direction (guardian or admin).
    function pause(Direction direction) external;

    /// @notice Unpause a direction (admin only: a guardian cannot unpause).
    function unpause(Direction direction) external;

    // ------------------------------------------------------------------ views

    /// @notice The instrument's token on this chain.
    function token() external view returns (address);

    /// @notice The instrument's ISIN, bound into every message.
    function isin() external view returns (bytes12);

    /// @notice The message id (EIP-712 digest) of `message` as this endpoint computes it.
    function messageId(Message calldata message) external view returns (bytes32);

    /// @notice Current validators, threshold and set version.
    function validatorSet() external view returns (address[] memory validators, uint8 threshold, uint32 version);

    /// @notice Whether `account` is in the current validator set.
    function isValidator(address account) external view returns (bool);

    /// @notice The peer on `chainId` (zero bridge when none).
    function peer(uint64 chainId) external view returns (Peer memory);

    /// @notice A direction's limit and the units available now.
    function rateLimit(Direction direction) external view returns (RateLimit memory limit, uint256 available);

    /// @notice The per-transfer maximum.
    function maxTransfer() external view returns (uint256);

    /// @notice Whether a direction is paused.
    function paused(Direction direction) external view returns (bool);

    /// @notice State of an inbound message.
    function inboundStatus(bytes32 id) external view returns (InboundStatus);

    /// @notice State of an outbound transfer and the hash of its message (`keccak256(abi.encode(message))`).
    function outbound(uint64 nonce) external view returns (OutboundStatus status, bytes32 messageHash);

    /// @notice The next outbound nonce.
    function nextNonce() external view returns (uint64);

    /// @notice Running totals, in units: taken by `send` (locked or burned); delivered by
    /// `execute`/`executeQueued` (released or minted); paid back by `reclaim`.
    function totals() external view returns (uint256 sent, uint256 received, uint256 refunded);

    /// @notice Revert with `InvalidConfiguration` unless the configuration is usable: threshold > 0
    /// and <= validators, no duplicate or zero validator, at least one peer, limits on, the
    /// per-transfer maximum within both capacities. Run after deployment and after every upgrade.
    function checkConfiguration() external view;
}

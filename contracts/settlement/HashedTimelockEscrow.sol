// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {IHashedTimelockEscrow} from "../../interfaces/IHashedTimelockEscrow.sol";

/// @title HashedTimelockEscrow
/// @notice Hash-time-locked escrow of ERC-20 tokens, one per chain, for delivery versus payment
/// across two chains. `IHashedTimelockEscrow` describes the protocol and why neither party can
/// lose both legs when the counter-lock's timelock is at least `MINIMUM_MARGIN` shorter.
/// @dev Time boundary: `claim` needs `block.timestamp < timelock`, `refund` and `recover` need
/// `block.timestamp >= timelock`, so at every instant exactly one of the two is possible, and a
/// lock leaves `Locked` once. Not upgradeable and without an admin: nobody can move a lock but by
/// these rules. Holding a security, it must be registered as a system account in that
/// instrument's investor registry; the token's transfer rules apply to every payout.
/// Fee-on-transfer tokens are refused at lock; rebasing tokens are not supported.
/// @custom:security-contact see docs/security.md
contract HashedTimelockEscrow is IHashedTimelockEscrow, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @inheritdoc IHashedTimelockEscrow
    uint256 public constant MINIMUM_MARGIN = 1 hours;
    /// @inheritdoc IHashedTimelockEscrow
    uint256 public constant MAX_LOCK_PERIOD = 30 days;
    /// @notice Longest reference, in bytes (ISO 20022 Max35Text).
    uint256 public constant MAX_REFERENCE_LENGTH = 35;

    /// @dev The instrument's transfer-agent role (SecurityToken.REGISTRAR_ROLE).
    bytes32 internal constant REGISTRAR_ROLE = keccak256("REGISTRAR_ROLE");

    mapping(bytes32 lockId => Lock) private _locks;

    /// @inheritdoc IHashedTimelockEscrow
    function lock(
        IERC20 token,
        uint256 amount,
        address recipient,
        bytes32 hashlock,
        uint40 timelock,
        string calldata tradeRef
    ) external nonReentrant returns (bytes32 lockId) {
        if (address(token).code.length == 0) revert InvalidLock("token");
        if (amount == 0) revert InvalidLock("amount");
        if (recipient == address(0) || recipient == msg.sender || recipient == address(this)) {
            revert InvalidLock("recipient");
        }
        if (hashlock == 0) revert InvalidLock("hashlock");
        if (timelock <= block.timestamp || timelock > block.timestamp + MAX_LOCK_PERIOD) revert InvalidLock("timelock");
        uint256 length = bytes(tradeRef).length;
        if (length == 0 || length > MAX_REFERENCE_LENGTH) revert InvalidLock("reference");
        lockId = _lockId(msg.sender, recipient, token, amount, hashlock, timelock, tradeRef);
        Lock storage l = _locks[lockId];
        if (l.state != State.None) revert LockExists(lockId);
        l.sender = msg.sender;
        l.timelock = timelock;
        l.state = State.Locked;
        l.recipient = recipient;
        l.token = token;
        l.amount = amount;
        l.hashlock = hashlock;
        l.tradeRef = tradeRef;
        emit Locked(lockId, msg.sender, recipient, address(token), amount, hashlock, timelock, tradeRef);
        uint256 before = token.balanceOf(address(this));
        token.safeTransferFrom(msg.sender, address(this), amount);
        uint256 balance = token.balanceOf(address(this));
        if (balance < before + amount) {
            revert DepositShortfall(address(token), amount, balance > before ? balance - before : 0);
        }
    }

    /// @inheritdoc IHashedTimelockEscrow
    function claim(bytes32 lockId, bytes32 secret) external nonReentrant {
        Lock storage l = _locked(lockId);
        uint40 timelock = l.timelock;
        if (block.timestamp >= timelock) revert TimelockPassed(lockId, timelock);
        if (sha256(abi.encodePacked(secret)) != l.hashlock) revert WrongSecret(lockId);
        l.state = State.Claimed;
        l.secret = secret;
        address recipient = l.recipient;
        emit Claimed(lockId, recipient, secret, l.tradeRef);
        l.token.safeTransfer(recipient, l.amount);
    }

    /// @inheritdoc IHashedTimelockEscrow
    function refund(bytes32 lockId) external nonReentrant {
        Lock storage l = _refundable(lockId);
        l.state = State.Refunded;
        address sender = l.sender;
        emit Refunded(lockId, sender, l.tradeRef);
        l.token.safeTransfer(sender, l.amount);
    }

    /// @inheritdoc IHashedTimelockEscrow
    function recover(bytes32 lockId, address to, string calldata reason) external nonReentrant {
        Lock storage l = _refundable(lockId);
        IERC20 token = l.token;
        if (!_isRegistrar(address(token), msg.sender)) revert NotInstrumentRegistrar(address(token), msg.sender);
        l.state = State.Recovered;
        emit Recovered(lockId, msg.sender, to, reason, l.tradeRef);
        token.safeTransfer(to, l.amount);
    }

    /// @inheritdoc IHashedTimelockEscrow
    function lockOf(bytes32 lockId) external view returns (Lock memory) {
        return _locks[lockId];
    }

    /// @inheritdoc IHashedTimelockEscrow
    function computeLockId(
        address sender,
        address recipient,
        IERC20 token,
        uint256 amount,
        bytes32 hashlock,
        uint40 timelock,
        string calldata tradeRef
    ) external view returns (bytes32) {
        return _lockId(sender, recipient, token, amount, hashlock, timelock, tradeRef);
    }

    /// @inheritdoc IHashedTimelockEscrow
    function isSafeOrdering(uint40 firstTimelock, uint40 secondTimelock) external pure returns (bool) {
        return uint256(secondTimelock) + MINIMUM_MARGIN <= firstTimelock;
    }

    function _locked(bytes32 lockId) private view returns (Lock storage l) {
        l = _locks[lockId];
        State state = l.state;
        if (state == State.None) revert UnknownLock(lockId);
        if (state != State.Locked) revert NotLocked(lockId, state);
    }

    function _refundable(bytes32 lockId) private view returns (Lock storage l) {
        l = _locked(lockId);
        uint40 timelock = l.timelock;
        if (block.timestamp < timelock) revert TimelockNotReached(lockId, timelock);
    }

    /// @dev Whether `account` holds the registrar role of `token`; false for a token without roles.
    function _isRegistrar(address token, address account) private view returns (bool) {
        try IAccessControl(token).hasRole(REGISTRAR_ROLE, account) returns (bool holds) {
            return holds;
        } catch {
            return false;
        }
    }

    function _lockId(
        address sender,
        address recipient,
        IERC20 token,
        uint256 amount,
        bytes32 hashlock,
        uint40 timelock,
        string calldata tradeRef
    ) private view returns (bytes32) {
        return keccak256(
            abi.encode(block.chainid, address(this), sender, recipient, token, amount, hashlock, timelock, tradeRef)
        );
    }
}

// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @title IHashedTimelockEscrow
/// @notice Hash-time-locked escrow of ERC-20 tokens (a security or cash), one per chain: the
/// building block of delivery versus payment across two chains, where the security lives on one
/// chain and the cash on another, settled atomically through one secret.
///
/// A lock pays `recipient` when anyone presents the secret whose SHA-256 is the hashlock strictly
/// before the timelock (`claim`, which publishes the secret), and pays the sender back from the
/// timelock on (`refund`): exactly one of the two ever happens. SHA-256 (not keccak256) so that
/// the same hashlock works with HTLCs on chains without keccak (Bitcoin-style scripts, Lightning).
///
/// The cross-chain protocol (seller S delivers units on chain A, buyer B pays cash on chain B),
/// as `securities_rails/settlement/htlc.py` runs it. The buyer holds the secret, so that the leg
/// the security's transfer rules can refuse (the units) is claimed first, and a refusal reveals
/// nothing:
/// 1. B draws a random 32-byte secret `s` and computes `H = sha256(s)`; only B knows `s`.
/// 2. B locks the cash on chain B for S with hashlock `H` and timelock `T1`.
/// 3. S checks that lock (token, amount, recipient, `H`, `T1`), then locks the units on chain A
///    for B with the same `H` and a timelock `T2` such that `T2 + MINIMUM_MARGIN <= T1`
///    (`isSafeOrdering(T1, T2)`).
/// 4. B checks the unit lock and claims it before `T2` (the rules check escrow -> B), which
///    reveals `s` on chain A. If the rules refuse, the claim reverts and `s` stays secret.
/// 5. S (or any watcher on S's behalf) reads `s` (event `Claimed`, or `lockOf(lockId).secret`)
///    and claims the cash on chain B before `T1`: at least the margin is left for it.
/// 6. If B never claims, S refunds the units from `T2`, and B the cash from `T1`.
/// Neither party can lose both legs: B obtains the units only by revealing `s` before `T2`, which
/// leaves S at least `T1 - T2 >= MINIMUM_MARGIN` to claim the cash with it; S cannot claim the
/// cash without `s`. The party holding the secret locks first and with the longer timelock.
interface IHashedTimelockEscrow {
    /// @notice State of a lock.
    enum State {
        None, // unknown id
        Locked, // waiting for the secret or the timelock
        Claimed, // paid to the recipient; the secret is public
        Refunded, // paid back to the sender after the timelock
        Recovered // a refundable security lock moved by the instrument's registrar
    }

    /// @notice A lock. `secret` is zero until claimed.
    struct Lock {
        address sender;
        uint40 timelock;
        State state;
        address recipient;
        IERC20 token;
        uint256 amount;
        bytes32 hashlock;
        bytes32 secret;
        string tradeRef;
    }

    /// @notice Tokens were locked.
    event Locked(
        bytes32 indexed lockId,
        address indexed sender,
        address indexed recipient,
        address token,
        uint256 amount,
        bytes32 hashlock,
        uint40 timelock,
        string tradeRef
    );
    /// @notice The recipient was paid; `secret` is the preimage of the hashlock.
    event Claimed(bytes32 indexed lockId, address indexed recipient, bytes32 secret, string tradeRef);
    /// @notice The sender was paid back after the timelock.
    event Refunded(bytes32 indexed lockId, address indexed sender, string tradeRef);
    /// @notice The instrument's registrar moved a refundable lock to `to`.
    event Recovered(
        bytes32 indexed lockId, address indexed registrar, address indexed to, string reason, string tradeRef
    );

    /// @notice A lock parameter is unusable: "token", "amount", "recipient", "hashlock",
    /// "timelock" or "reference".
    error InvalidLock(bytes32 field);
    /// @notice A lock with the same parameters exists (use another reference).
    error LockExists(bytes32 lockId);
    /// @notice No lock has this id.
    error UnknownLock(bytes32 lockId);
    /// @notice The lock is already claimed, refunded or recovered.
    error NotLocked(bytes32 lockId, State state);
    /// @notice Claiming at or after the timelock.
    error TimelockPassed(bytes32 lockId, uint40 timelock);
    /// @notice Refunding (or recovering) before the timelock.
    error TimelockNotReached(bytes32 lockId, uint40 timelock);
    /// @notice `sha256(secret)` is not the hashlock.
    error WrongSecret(bytes32 lockId);
    /// @notice `account` does not hold the registrar role of the locked token.
    error NotInstrumentRegistrar(address token, address account);
    /// @notice The token credited the escrow with less than the amount (a fee-on-transfer token).
    error DepositShortfall(address token, uint256 expected, uint256 received);

    /// @notice Lock `amount` of `token` from the caller (who approved this escrow) for
    /// `recipient`, until `timelock` (Unix time, at most `MAX_LOCK_PERIOD` ahead).
    /// @param hashlock `sha256(abi.encodePacked(secret))` of a 32-byte secret.
    /// @param tradeRef The trade reference (ISO 20022 Max35Text, 1..35 bytes).
    /// @return lockId `computeLockId(caller, ...)`.
    function lock(
        IERC20 token,
        uint256 amount,
        address recipient,
        bytes32 hashlock,
        uint40 timelock,
        string calldata tradeRef
    ) external returns (bytes32 lockId);

    /// @notice Pay the recipient (anyone may call) with the secret, strictly before the timelock.
    /// The token's transfer rules apply to escrow -> recipient.
    function claim(bytes32 lockId, bytes32 secret) external;

    /// @notice Pay the sender back (anyone may call), at or after the timelock. The token's
    /// transfer rules apply to escrow -> sender.
    function refund(bytes32 lockId) external;

    /// @notice The locked token's registrar (its REGISTRAR_ROLE) moves a refundable lock (timelock
    /// reached, unclaimed) to `to`, under the token's rules: the path when the sender cannot
    /// receive its units back (lost wallet, an investor that left).
    function recover(bytes32 lockId, address to, string calldata reason) external;

    /// @notice The lock.
    function lockOf(bytes32 lockId) external view returns (Lock memory);

    /// @notice The id of a lock with these parameters made by `sender` on this escrow:
    /// `keccak256(abi.encode(block.chainid, escrow, sender, recipient, token, amount, hashlock, timelock, tradeRef))`.
    function computeLockId(
        address sender,
        address recipient,
        IERC20 token,
        uint256 amount,
        bytes32 hashlock,
        uint40 timelock,
        string calldata tradeRef
    ) external view returns (bytes32);

    /// @notice Whether a counter-lock with timelock `secondTimelock` is safe against a first lock
    /// (the secret holder's) with timelock `firstTimelock`: `secondTimelock + MINIMUM_MARGIN <= firstTimelock`.
    function isSafeOrdering(uint40 firstTimelock, uint40 secondTimelock) external pure returns (bool);

    /// @notice Least time between the two timelocks, in seconds.
    function MINIMUM_MARGIN() external view returns (uint256);

    /// @notice Longest timelock from now, in seconds.
    function MAX_LOCK_PERIOD() external view returns (uint256);
}

// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title RateLimiter
/// @notice A token bucket: up to `capacity` units, refilled at `ratePerSecond`. The bridge keeps
/// one per direction; a transfer that finds too few units in its bucket is queued, never dropped.
/// @dev Two slots: the limit (read on every flow, written only by configuration) and the level
/// with its timestamp (read and written on every flow). The level is settled lazily: the units
/// available at time `t` are `min(capacity, tokens + (t - lastUpdated) * ratePerSecond)`, which
/// fits in 256 bits for any inputs (2^128 + 2^64 * 2^128 < 2^256).
library RateLimiter {
    /// @dev `tokens` is the level at `lastUpdated`, before any refill since.
    struct Bucket {
        uint128 capacity;
        uint128 ratePerSecond;
        uint128 tokens;
        uint64 lastUpdated;
    }

    /// @notice Start a full bucket.
    function init(Bucket storage bucket, uint128 capacity, uint128 ratePerSecond) internal {
        bucket.capacity = capacity;
        bucket.ratePerSecond = ratePerSecond;
        bucket.tokens = capacity;
        bucket.lastUpdated = uint64(block.timestamp);
    }

    /// @notice Units available at time `now_` (not before `lastUpdated`).
    function available(Bucket storage bucket, uint256 now_) internal view returns (uint256) {
        uint256 capacity = bucket.capacity;
        uint256 level = uint256(bucket.tokens) + (now_ - bucket.lastUpdated) * bucket.ratePerSecond;
        return level < capacity ? level : capacity;
    }

    /// @notice Take `amount` units now if the bucket holds them; leave the bucket as it is otherwise.
    /// @return Whether the units were taken.
    function consume(Bucket storage bucket, uint256 amount) internal returns (bool) {
        uint256 level = available(bucket, block.timestamp);
        if (amount > level) return false;
        // level <= capacity, a uint128
        bucket.tokens = uint128(level - amount);
        bucket.lastUpdated = uint64(block.timestamp);
        return true;
    }

    /// @notice Change the limit. The level is first settled at the old rate, then capped at the
    /// new capacity: a change never refills the bucket.
    function setLimit(Bucket storage bucket, uint128 capacity, uint128 ratePerSecond) internal {
        uint256 level = available(bucket, block.timestamp);
        bucket.capacity = capacity;
        bucket.ratePerSecond = ratePerSecond;
        // level <= the old capacity, a uint128
        bucket.tokens = uint128(level < capacity ? level : capacity);
        bucket.lastUpdated = uint64(block.timestamp);
    }
}

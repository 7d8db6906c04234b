// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {TestBase} from "../utils/SuiteTest.sol";
import {RateLimiter} from "../../../contracts/bridge/RateLimiter.sol";

/// @notice Exposes one bucket of the library to the tests.
contract RateLimiterHarness {
    using RateLimiter for RateLimiter.Bucket;

    RateLimiter.Bucket internal bucket;

    function init(uint128 capacity, uint128 rate) external {
        bucket.init(capacity, rate);
    }

    function consume(uint256 amount) external returns (bool) {
        return bucket.consume(amount);
    }

    function setLimit(uint128 capacity, uint128 rate) external {
        bucket.setLimit(capacity, rate);
    }

    function available() external view returns (uint256) {
        return bucket.available(block.timestamp);
    }
}

/// @notice The token bucket: starts full, never holds more than its capacity, refills linearly,
/// takes all or nothing, and a change of limit never refills it.
contract RateLimiterTest is TestBase {
    RateLimiterHarness internal limiter;

    function setUp() public {
        vm.warp(1_700_000_000);
        limiter = new RateLimiterHarness();
    }

    function testFuzz_refillsLinearlyUpToCapacity(uint128 capacity, uint128 rate, uint256 spent, uint256 elapsed)
        public
    {
        capacity = uint128(bound(capacity, 1, type(uint128).max));
        spent = bound(spent, 0, capacity);
        elapsed = bound(elapsed, 0, 10 * 365 days);
        limiter.init(capacity, rate);
        assertEq(limiter.available(), capacity, "starts full");
        assertTrue(limiter.consume(spent), "takes what it holds");
        assertEq(limiter.available(), capacity - spent, "level after taking");
        vm.warp(vm.getBlockTimestamp() + elapsed);
        uint256 refilled = capacity - spent + elapsed * rate;
        assertEq(limiter.available(), refilled < capacity ? refilled : capacity, "linear refill, capped");
    }

    function testFuzz_takesAllOrNothing(uint128 capacity, uint256 amount) public {
        capacity = uint128(bound(capacity, 1, type(uint128).max - 1));
        amount = bound(amount, uint256(capacity) + 1, type(uint256).max);
        limiter.init(capacity, 0);
        assertFalse(limiter.consume(amount), "refused");
        assertEq(limiter.available(), capacity, "untouched");
    }

    function testFuzz_changingTheLimitNeverRefills(
        uint128 capacity,
        uint128 rate,
        uint256 spent,
        uint256 elapsed,
        uint128 newCapacity,
        uint128 newRate
    ) public {
        capacity = uint128(bound(capacity, 1, 1e30));
        rate = uint128(bound(rate, 0, 1e24));
        spent = bound(spent, 0, capacity);
        elapsed = bound(elapsed, 0, 30 days);
        newCapacity = uint128(bound(newCapacity, 1, 1e30));
        limiter.init(capacity, rate);
        limiter.consume(spent);
        vm.warp(vm.getBlockTimestamp() + elapsed);
        uint256 before = limiter.available();
        limiter.setLimit(newCapacity, newRate);
        uint256 afterChange = limiter.available();
        assertEq(afterChange, before < newCapacity ? before : newCapacity, "level kept, capped at the new capacity");
    }
}

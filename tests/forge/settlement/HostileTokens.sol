// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title HostileToken
/// @notice A cash token that attacks the escrow that holds it (tests only). Armed, on a transfer
/// from or to `target` it does one of: call `target` back with `payload` (re-entry, once; the
/// failure is swallowed, or bubbled up with `bubble`), revert (with `payload` as the revert data
/// when it is not empty), revert with 300 kB of data (a return bomb), burn all the gas it is
/// given, or
/// keep a fee (delivers one unit less). It records what its re-entry got back.
contract HostileToken is ERC20 {
    enum Mode {
        Off,
        Reenter,
        Revert,
        BurnGas,
        Fee,
        Bomb
    }

    error Hostile();

    Mode public mode;
    address public target;
    bytes public payload;
    bool public bubble;
    bool public onDeposit; // act on transfers to the target (else on transfers from it)

    bool public attempted;
    bool public reentered;
    bytes public reentryError;

    constructor() ERC20("Hostile", "HOST") {}

    function decimals() public pure override returns (uint8) {
        return 6;
    }

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function arm(Mode mode_, address target_, bytes calldata payload_, bool bubble_, bool onDeposit_) external {
        (mode, target, payload, bubble, onDeposit) = (mode_, target_, payload_, bubble_, onDeposit_);
        attempted = false;
        reentered = false;
        delete reentryError;
    }

    function disarm() external {
        mode = Mode.Off;
    }

    function _update(address from, address to, uint256 value) internal override {
        Mode m = mode;
        bool hit = m != Mode.Off && (onDeposit ? to == target : from == target);
        if (!hit) return super._update(from, to, value);
        if (m == Mode.Revert) {
            bytes memory data = payload;
            if (data.length == 0) revert Hostile();
            assembly ("memory-safe") {
                revert(add(data, 32), mload(data))
            }
        }
        if (m == Mode.Bomb) {
            assembly ("memory-safe") {
                revert(0, 300000) // 300 kB of revert data for whoever copies it
            }
        }
        if (m == Mode.BurnGas) {
            while (true) {} // runs out of whatever gas the call was given
        }
        if (m == Mode.Fee) {
            super._update(from, to, value - 1);
            super._update(from, address(0xdead), 1);
            return;
        }
        super._update(from, to, value);
        if (attempted) return;
        attempted = true;
        (bool ok, bytes memory ret) = target.call(payload);
        reentered = ok;
        reentryError = ret;
        if (!ok && bubble) {
            assembly ("memory-safe") {
                revert(add(ret, 32), mload(ret))
            }
        }
    }
}

/// @title PlainToken
/// @notice An ERC-20 with no roles at all (no `hasRole`): what the HTLC meets with a plain cash token.
contract PlainToken is ERC20 {
    constructor() ERC20("Plain", "PLN") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }
}

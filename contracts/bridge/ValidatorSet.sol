// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {IBridgeEndpoint} from "../../interfaces/IBridgeEndpoint.sol";

/// @title ValidatorSet
/// @notice The bridge's m-of-n attesters: the members of each version of the validator set, and
/// the check of an attestation (signatures of a message id by distinct current validators, in
/// ascending signer order).
/// @dev Membership is recorded per version, and a signature counts only when its signer belongs
/// to the current version: replacing the set retires every validator not in the new one at once,
/// without clearing the old entries. The set is bounded (`MAX_VALIDATORS`), so every loop is.
library ValidatorSet {
    /// @notice Most validators a set may hold.
    uint256 internal constant MAX_VALIDATORS = 32;

    /// @dev The current version and the threshold are kept by the caller, next to the state its
    /// hot path reads anyway (one storage slot less per attestation).
    struct Set {
        address[] members;
        mapping(uint32 version => mapping(address account => bool)) isMember;
    }

    /// @notice Record `validators` as version `version` (a version never used before) and check
    /// them against `threshold`.
    /// @dev Reverts with `InvalidValidatorSet`: "empty", "too many", "threshold", "zero validator",
    /// "duplicate validator".
    function replace(Set storage set, uint32 version, address[] calldata validators, uint8 threshold) internal {
        uint256 n = validators.length;
        if (n == 0) revert IBridgeEndpoint.InvalidValidatorSet("empty");
        if (n > MAX_VALIDATORS) revert IBridgeEndpoint.InvalidValidatorSet("too many");
        if (threshold == 0 || threshold > n) revert IBridgeEndpoint.InvalidValidatorSet("threshold");
        mapping(address => bool) storage members = set.isMember[version];
        for (uint256 i; i < n; ++i) {
            address v = validators[i];
            if (v == address(0)) revert IBridgeEndpoint.InvalidValidatorSet("zero validator");
            if (members[v]) revert IBridgeEndpoint.InvalidValidatorSet("duplicate validator");
            members[v] = true;
        }
        set.members = validators;
    }

    /// @notice Whether `account` belongs to version `version`.
    function contains(Set storage set, uint32 version, address account) internal view returns (bool) {
        return set.isMember[version][account];
    }

    /// @notice Revert unless `signatures` attest `digest`: each a valid 65-byte ECDSA signature
    /// (`InvalidSignature`) by a validator of version `version` (`NotValidator`), signers strictly
    /// ascending (`SignersNotAscending`: no duplicates), and at least `threshold` of them
    /// (`BelowThreshold`).
    /// @dev Every signature given is checked, not only the first `threshold`, so that junk is
    /// refused. Ascending distinct members bound the loop by the set's size.
    function verify(Set storage set, uint32 version, uint256 threshold, bytes32 digest, bytes[] calldata signatures)
        internal
        view
    {
        mapping(address => bool) storage members = set.isMember[version];
        address last = address(0); // below every signer
        uint256 n = signatures.length;
        for (uint256 i; i < n; ++i) {
            (address signer, ECDSA.RecoverError err, bytes32 errArg) = ECDSA.tryRecoverCalldata(digest, signatures[i]);
            // errArg (a bad length or s value) is zero whenever err is NoError
            if (err != ECDSA.RecoverError.NoError || errArg != 0) revert IBridgeEndpoint.InvalidSignature(i);
            if (!members[signer]) revert IBridgeEndpoint.NotValidator(i, signer);
            if (signer <= last) revert IBridgeEndpoint.SignersNotAscending(i, signer);
            last = signer;
        }
        if (n < threshold) revert IBridgeEndpoint.BelowThreshold(n, threshold);
    }

    /// @notice What is wrong with the stored set, or zero when it is usable: "validators" (none,
    /// or more than `MAX_VALIDATORS`), "threshold", "zero validator", "duplicate validator".
    function issue(Set storage set, uint256 threshold) internal view returns (bytes32) {
        address[] memory members = set.members;
        uint256 n = members.length;
        if (n == 0 || n > MAX_VALIDATORS) return "validators";
        if (threshold == 0 || threshold > n) return "threshold";
        for (uint256 i; i < n; ++i) {
            if (members[i] == address(0)) return "zero validator";
            for (uint256 j; j < i; ++j) {
                if (members[j] == members[i]) return "duplicate validator";
            }
        }
        return 0;
    }
}

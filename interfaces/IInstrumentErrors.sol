// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title IInstrumentErrors
/// @notice Errors of an instrument's initialisation, shared by the token and the factory (whose
/// `createInstrument` runs the initialiser and bubbles them up), so both ABIs can decode them.
interface IInstrumentErrors {
    /// @notice Instrument data is malformed (bad ISIN check digit, maturity before issue, ...).
    error InvalidInstrument(string field);
    /// @notice A role holder is the zero address.
    error InvalidRoleHolder(string role);
    /// @notice The registry is not a contract.
    error InvalidRegistry();
}

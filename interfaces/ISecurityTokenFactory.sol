// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ISecurityToken} from "./ISecurityToken.sol";
import {IInstrumentErrors} from "./IInstrumentErrors.sol";

/// @title ISecurityTokenFactory
/// @notice Creates instruments as proxies to one shared implementation; one instrument per ISIN.
interface ISecurityTokenFactory is IInstrumentErrors {
    /// @notice An instrument was created.
    event InstrumentCreated(
        bytes12 indexed isin, address indexed token, address implementation, string name, string symbol
    );
    /// @notice New instruments will use another implementation.
    event ImplementationChanged(address indexed previous, address indexed current);

    /// @notice An instrument with this ISIN exists already.
    error InstrumentExists(bytes12 isin, address token);
    /// @notice The implementation is not a contract.
    error InvalidImplementation(address implementation);

    /// @notice Create an instrument (creator role): a proxy initialised in the same transaction.
    function createInstrument(
        string calldata name,
        string calldata symbol,
        ISecurityToken.Instrument calldata data,
        ISecurityToken.Roles calldata roles
    ) external returns (address token);
    /// @notice Point new instruments to another implementation (admin). Existing ones keep theirs.
    function setImplementation(address implementation) external;
    /// @notice The implementation new instruments use.
    function implementation() external view returns (address);
    /// @notice The registry new instruments read.
    function registry() external view returns (address);
    /// @notice The instrument of an ISIN (0 when none). Every instrument is announced by
    /// `InstrumentCreated`, which is how tooling lists them.
    function tokenOf(bytes12 isin) external view returns (address);
}

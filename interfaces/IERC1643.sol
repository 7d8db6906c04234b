// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title IERC1643 Document management
/// @notice Documents attached to an instrument (prospectus, terms, reports): name -> URI and content hash.
interface IERC1643 {
    /// @notice A document was added or replaced.
    event DocumentUpdated(bytes32 indexed name, string uri, bytes32 documentHash);
    /// @notice A document was removed.
    event DocumentRemoved(bytes32 indexed name, string uri, bytes32 documentHash);

    /// @notice The document does not exist.
    error DocumentNotFound(bytes32 name);
    /// @notice Empty name or URI.
    error InvalidDocument(bytes32 name);

    /// @notice The URI, content hash and last-modified time of a document.
    function getDocument(bytes32 name) external view returns (string memory uri, bytes32 documentHash, uint256 lastModified);
    /// @notice Add or replace a document.
    function setDocument(bytes32 name, string calldata uri, bytes32 documentHash) external;
    /// @notice Remove a document.
    function removeDocument(bytes32 name) external;
    /// @notice The names of all documents.
    function getAllDocuments() external view returns (bytes32[] memory);
}

// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IERC1643} from "../../interfaces/IERC1643.sol";

/// @title ERC1643Documents
/// @notice ERC-1643 documents of an instrument: name -> URI, content hash, last-modified time.
/// @dev Names are kept in an array with index-based removal (swap and pop), so every operation is O(1).
abstract contract ERC1643Documents is IERC1643 {
    struct Document {
        string uri;
        bytes32 documentHash;
        uint64 lastModified;
        uint32 position; // index in `names` + 1; 0 when absent
    }

    /// @custom:storage-location erc7201:securities-rails.storage.ERC1643Documents
    struct DocumentsStorage {
        mapping(bytes32 name => Document) documents;
        bytes32[] names;
    }

    // keccak256(abi.encode(uint256(keccak256("securities-rails.storage.ERC1643Documents")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant STORAGE_LOCATION = 0x16bd19bb1253e7a5d13ae0df913727516dc624d033891f7df1a8eb28257db800;

    function _documents() private pure returns (DocumentsStorage storage $) {
        assembly {
            $.slot := STORAGE_LOCATION
        }
    }

    /// @dev Access control of document changes.
    function _authorizeDocumentChange() internal view virtual;

    /// @inheritdoc IERC1643
    function getDocument(bytes32 name) external view returns (string memory, bytes32, uint256) {
        Document storage d = _documents().documents[name];
        if (d.position == 0) revert DocumentNotFound(name);
        return (d.uri, d.documentHash, d.lastModified);
    }

    /// @inheritdoc IERC1643
    function setDocument(bytes32 name, string calldata uri, bytes32 documentHash) external {
        _authorizeDocumentChange();
        if (name == bytes32(0) || bytes(uri).length == 0) revert InvalidDocument(name);
        DocumentsStorage storage $ = _documents();
        Document storage d = $.documents[name];
        if (d.position == 0) {
            $.names.push(name);
            d.position = uint32($.names.length);
        }
        d.uri = uri;
        d.documentHash = documentHash;
        d.lastModified = uint64(block.timestamp);
        emit DocumentUpdated(name, uri, documentHash);
    }

    /// @inheritdoc IERC1643
    function removeDocument(bytes32 name) external {
        _authorizeDocumentChange();
        DocumentsStorage storage $ = _documents();
        Document memory d = $.documents[name];
        if (d.position == 0) revert DocumentNotFound(name);
        uint256 last = $.names.length - 1;
        if (d.position - 1 != last) {
            bytes32 moved = $.names[last];
            $.names[d.position - 1] = moved;
            $.documents[moved].position = d.position;
        }
        $.names.pop();
        delete $.documents[name];
        emit DocumentRemoved(name, d.uri, d.documentHash);
    }

    /// @inheritdoc IERC1643
    function getAllDocuments() external view returns (bytes32[] memory) {
        return _documents().names;
    }
}

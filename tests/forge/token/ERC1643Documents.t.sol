// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {SuiteTest} from "../utils/SuiteTest.sol";
import {IERC1643} from "../../../interfaces/IERC1643.sol";

/// @notice ERC-1643 documents on the token: add, replace, read, list and remove (swap and pop),
/// issuer-only writes, and a fuzzed model of the name list.
contract ERC1643DocumentsTest is SuiteTest {
    bytes32 internal constant PROSPECTUS = "prospectus";
    bytes32 internal constant TERMS = "terms";
    bytes32 internal constant REPORT = "annual-report-2025";

    function _set(bytes32 name, string memory uri, bytes32 hash) internal {
        vm.prank(issuer);
        token.setDocument(name, uri, hash);
    }

    function _remove(bytes32 name) internal {
        vm.prank(issuer);
        token.removeDocument(name);
    }

    function _assertNames(bytes32[] memory expected) internal view {
        bytes32[] memory names = token.getAllDocuments();
        assertEq(names.length, expected.length, "number of documents");
        for (uint256 i; i < names.length; ++i) {
            assertEq(names[i], expected[i], "name at index");
        }
    }

    function test_setDocument_addsAndReads() public {
        vm.expectEmit(true, false, false, true, address(token));
        emit IERC1643.DocumentUpdated(PROSPECTUS, "ipfs://prospectus", keccak256("v1"));
        _set(PROSPECTUS, "ipfs://prospectus", keccak256("v1"));
        (string memory uri, bytes32 hash, uint256 modified) = token.getDocument(PROSPECTUS);
        assertEq(uri, "ipfs://prospectus", "uri");
        assertEq(hash, keccak256("v1"), "hash");
        assertEq(modified, _now(), "last modified");
        bytes32[] memory expected = new bytes32[](1);
        expected[0] = PROSPECTUS;
        _assertNames(expected);
    }

    function test_setDocument_replacesInPlace() public {
        _set(PROSPECTUS, "ipfs://v1", keccak256("v1"));
        _set(TERMS, "ipfs://terms", bytes32(0)); // a zero hash is allowed
        vm.warp(_now() + 1 days);
        _set(PROSPECTUS, "ipfs://v2", keccak256("v2"));
        (string memory uri, bytes32 hash, uint256 modified) = token.getDocument(PROSPECTUS);
        assertEq(uri, "ipfs://v2", "uri replaced");
        assertEq(hash, keccak256("v2"), "hash replaced");
        assertEq(modified, _now(), "time updated");
        bytes32[] memory expected = new bytes32[](2);
        (expected[0], expected[1]) = (PROSPECTUS, TERMS);
        _assertNames(expected); // still two names, same order
    }

    function test_setDocument_revertsOnEmptyNameOrUri() public {
        vm.prank(issuer);
        vm.expectRevert(abi.encodeWithSelector(IERC1643.InvalidDocument.selector, bytes32(0)));
        token.setDocument(bytes32(0), "ipfs://x", bytes32(0));
        vm.prank(issuer);
        vm.expectRevert(abi.encodeWithSelector(IERC1643.InvalidDocument.selector, PROSPECTUS));
        token.setDocument(PROSPECTUS, "", bytes32(0));
    }

    function test_setDocument_revertsForNonIssuer() public {
        vm.prank(tokenAdmin);
        vm.expectRevert(_unauthorized(tokenAdmin, ISSUER_ROLE));
        token.setDocument(PROSPECTUS, "ipfs://x", bytes32(0));
    }

    function test_getDocument_revertsWhenMissing() public {
        vm.expectRevert(abi.encodeWithSelector(IERC1643.DocumentNotFound.selector, PROSPECTUS));
        token.getDocument(PROSPECTUS);
    }

    function test_removeDocument_swapsLastIntoPlace() public {
        _set(PROSPECTUS, "ipfs://p", keccak256("p"));
        _set(TERMS, "ipfs://t", keccak256("t"));
        _set(REPORT, "ipfs://r", keccak256("r"));
        vm.expectEmit(true, false, false, true, address(token));
        emit IERC1643.DocumentRemoved(PROSPECTUS, "ipfs://p", keccak256("p"));
        _remove(PROSPECTUS); // first: the last one moves into its place
        bytes32[] memory expected = new bytes32[](2);
        (expected[0], expected[1]) = (REPORT, TERMS);
        _assertNames(expected);
        vm.expectRevert(abi.encodeWithSelector(IERC1643.DocumentNotFound.selector, PROSPECTUS));
        token.getDocument(PROSPECTUS);
        // The moved document still reads and can itself be removed (its position was updated).
        (string memory uri,,) = token.getDocument(REPORT);
        assertEq(uri, "ipfs://r", "moved document");
        _remove(TERMS); // last: plain pop
        expected = new bytes32[](1);
        expected[0] = REPORT;
        _assertNames(expected);
        _remove(REPORT);
        _assertNames(new bytes32[](0));
        _set(REPORT, "ipfs://r2", bytes32(0)); // a removed name can come back
        (uri,,) = token.getDocument(REPORT);
        assertEq(uri, "ipfs://r2", "re-added");
    }

    function test_removeDocument_revertsWhenMissing() public {
        vm.prank(issuer);
        vm.expectRevert(abi.encodeWithSelector(IERC1643.DocumentNotFound.selector, TERMS));
        token.removeDocument(TERMS);
    }

    function test_removeDocument_revertsForNonIssuer() public {
        _set(TERMS, "ipfs://t", bytes32(0));
        vm.prank(registrar);
        vm.expectRevert(_unauthorized(registrar, ISSUER_ROLE));
        token.removeDocument(TERMS);
    }

    /// @notice Random adds and removes over a few names: the list always holds exactly the names
    /// present, each readable, whatever order the swaps left them in.
    function testFuzz_documents_listMatchesModel(uint256[12] memory ops) public {
        bytes32[4] memory pool = [PROSPECTUS, TERMS, REPORT, bytes32("kid")];
        bool[4] memory present;
        for (uint256 i; i < ops.length; ++i) {
            uint256 n = ops[i] % 4;
            bool add = (ops[i] >> 8) % 2 == 0;
            if (add) {
                _set(pool[n], "ipfs://doc", bytes32(ops[i]));
                present[n] = true;
            } else if (present[n]) {
                _remove(pool[n]);
                present[n] = false;
            }
        }
        bytes32[] memory names = token.getAllDocuments();
        uint256 count;
        for (uint256 n; n < 4; ++n) {
            if (!present[n]) continue;
            ++count;
            bool listed;
            for (uint256 j; j < names.length; ++j) {
                if (names[j] == pool[n]) listed = true;
            }
            assertTrue(listed, "present document listed");
            token.getDocument(pool[n]);
        }
        assertEq(names.length, count, "no stale names");
    }
}

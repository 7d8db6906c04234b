// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {SettlementTest, ICashTokenAdmin} from "./SettlementTest.sol";
import {ICashToken} from "../../../interfaces/ICashToken.sol";
import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";

/// @notice The cash token: metadata, construction checks, issuance and redemption by the cash
/// issuer only (own balance, or a holder's through its allowance), permits, ERC-165.
contract CashTokenTest is SettlementTest {
    bytes32 internal constant PERMIT_TYPEHASH =
        keccak256("Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)");

    function test_metadata() public view {
        assertEq(cash.name(), "Tokenised EUR deposit", "name");
        assertEq(cash.symbol(), "EURD", "symbol");
        assertEq(cash.decimals(), 6, "decimals");
        assertEq(cash.currency(), bytes3("EUR"), "currency");
        assertEq(cash.CASH_ISSUER_ROLE(), CASH_ISSUER_ROLE, "role id");
        assertTrue(cash.hasRole(CASH_ISSUER_ROLE, cashIssuer), "issuer");
        assertEq(cash.defaultAdmin(), cashAdmin, "admin");
    }

    function test_constructor_refusals() public {
        vm.expectRevert(abi.encodeWithSelector(ICashToken.InvalidCurrency.selector, bytes3("eur")));
        _newCash("eur");
        vm.expectRevert(abi.encodeWithSelector(ICashToken.InvalidCurrency.selector, bytes3("E1R")));
        _newCash("E1R");
        vm.expectRevert(abi.encodeWithSelector(ICashToken.InvalidRoleHolder.selector, CASH_ISSUER_ROLE));
        _deploy(CASH_ARTIFACT, abi.encode("C", "C", bytes3("USD"), cashAdmin, uint48(0), address(0)));
        vm.expectRevert(abi.encodeWithSignature("AccessControlInvalidDefaultAdmin(address)", address(0)));
        _deploy(CASH_ARTIFACT, abi.encode("C", "C", bytes3("USD"), address(0), uint48(0), cashIssuer));
    }

    function test_mint_onlyTheIssuer() public {
        uint256 supply = cash.totalSupply();
        vm.prank(cashIssuer);
        cash.mint(carol, 5e6);
        assertEq(cash.balanceOf(carol), 5e6, "minted");
        assertEq(cash.totalSupply(), supply + 5e6, "supply");
        vm.expectRevert(_unauthorized(cashAdmin, CASH_ISSUER_ROLE));
        vm.prank(cashAdmin);
        cash.mint(carol, 1);
    }

    function test_burn_ownBalance() public {
        _fund(cashIssuer, 10e6);
        vm.prank(cashIssuer);
        cash.burn(cashIssuer, 4e6);
        assertEq(cash.balanceOf(cashIssuer), 6e6, "burnt own");
    }

    function test_burn_aHoldersBalance_throughItsAllowance() public {
        vm.prank(bob);
        cash.approve(cashIssuer, 3e6);
        vm.prank(cashIssuer);
        cash.burn(bob, 3e6);
        assertEq(cash.balanceOf(bob), CASH - 3e6, "redeemed");
        assertEq(cash.allowance(bob, cashIssuer), 0, "allowance spent");
        vm.expectRevert(
            abi.encodeWithSelector(IERC20Errors.ERC20InsufficientAllowance.selector, cashIssuer, 0, 1)
        );
        vm.prank(cashIssuer);
        cash.burn(bob, 1);
    }

    function test_burn_onlyTheIssuer() public {
        vm.expectRevert(_unauthorized(bob, CASH_ISSUER_ROLE));
        vm.prank(bob);
        cash.burn(bob, 1);
    }

    function test_issuerRole_grantedByTheAdmin() public {
        vm.prank(cashAdmin);
        cash.grantRole(CASH_ISSUER_ROLE, carol);
        vm.prank(carol);
        cash.mint(carol, 1);
        assertEq(cash.balanceOf(carol), 1, "new issuer mints");
    }

    function test_permit_setsTheAllowance_andCountsNonces() public {
        uint256 key = 0xA11CE;
        address owner = vm.addr(key);
        uint256 deadline = _now() + 1 hours;
        bytes32 digest = keccak256(
            abi.encodePacked(
                hex"1901",
                cash.DOMAIN_SEPARATOR(),
                keccak256(abi.encode(PERMIT_TYPEHASH, owner, address(dvp), PRICE, 0, deadline))
            )
        );
        (uint8 v, bytes32 r, bytes32 s) = svm.sign(key, digest);
        assertEq(cash.nonces(owner), 0, "nonce before");
        cash.permit(owner, address(dvp), PRICE, deadline, v, r, s);
        assertEq(cash.allowance(owner, address(dvp)), PRICE, "allowance");
        assertEq(cash.nonces(owner), 1, "nonce after");
    }

    function test_supportsInterface() public view {
        assertTrue(cash.supportsInterface(type(ICashToken).interfaceId), "ICashToken");
        assertTrue(cash.supportsInterface(type(IAccessControl).interfaceId), "IAccessControl");
        assertTrue(cash.supportsInterface(type(IERC165).interfaceId), "IERC165");
        assertFalse(cash.supportsInterface(0xffffffff), "none");
    }

    function test_currencyIsAnyIso4217Code() public {
        ICashTokenAdmin usd = ICashTokenAdmin(_newCash("USD"));
        assertEq(usd.currency(), bytes3("USD"), "usd");
    }
}

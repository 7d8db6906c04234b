// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {SuiteTest} from "../utils/SuiteTest.sol";
import {SecurityToken} from "../../../contracts/token/SecurityToken.sol";
import {ISecurityToken} from "../../../interfaces/ISecurityToken.sol";
import {IInstrumentErrors} from "../../../interfaces/IInstrumentErrors.sol";
import {IInvestorRegistry} from "../../../interfaces/IInvestorRegistry.sol";
import {IERC1643} from "../../../interfaces/IERC1643.sol";
import {ITransferRules} from "../../../interfaces/ITransferRules.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {
    IAccessControlDefaultAdminRules
} from "@openzeppelin/contracts/access/extensions/IAccessControlDefaultAdminRules.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {Initializable} from "@openzeppelin/contracts/proxy/utils/Initializable.sol";
import {UUPSUpgradeable} from "@openzeppelin/contracts/proxy/utils/UUPSUpgradeable.sol";
import {PausableUpgradeable} from "@openzeppelin/contracts-upgradeable/utils/PausableUpgradeable.sol";
import {ERC1967Utils} from "@openzeppelin/contracts/proxy/ERC1967/ERC1967Utils.sol";
import {IERC1967} from "@openzeppelin/contracts/interfaces/IERC1967.sol";

/// @notice Not a UUPS implementation: an upgrade to it must fail.
contract NotUpgradeable {
    function hello() external pure returns (uint256) {
        return 42;
    }
}

/// @notice SecurityToken: initialisation (every revert branch), instrument data, issuance
/// (mint, burn and their batches), ordinary transfers, pause, roles, ERC-165 and UUPS upgrades.
/// Transfer rules are in tests/forge/rules, enforcement (forced transfer, recovery, freezes) in
/// SecurityTokenEnforcement.t.sol, documents in ERC1643Documents.t.sol.
contract SecurityTokenTest is SuiteTest {
    bytes32 internal constant IMPLEMENTATION_SLOT = 0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc;

    // ------------------------------------------------------------------ initialisation

    function _deployToken(ISecurityToken.Instrument memory data, ISecurityToken.Roles memory roles, address reg)
        internal
        returns (SecurityToken)
    {
        return SecurityToken(
            address(
                _newProxy(
                    address(tokenImpl),
                    abi.encodeCall(SecurityToken.initialize, ("T", "T", data, roles, IInvestorRegistry(reg)))
                )
            )
        );
    }

    function _expectInvalidInstrument(ISecurityToken.Instrument memory data, string memory field) internal {
        vm.expectRevert(abi.encodeWithSelector(IInstrumentErrors.InvalidInstrument.selector, field));
        _deployToken(data, _roles(), address(registry));
    }

    function test_initialize_setsEverything() public view {
        assertEq(token.name(), "Acme Ordinary Shares", "name");
        assertEq(token.symbol(), "ACME", "symbol");
        assertEq(uint256(token.decimals()), 0, "decimals");
        assertEq(address(token.registry()), address(registry), "registry");
        assertEq(token.isin(), "US0378331005", "isin string");
        ISecurityToken.Instrument memory d = token.instrument();
        ISecurityToken.Instrument memory e = _instrument();
        assertEq(bytes32(d.isin), bytes32(e.isin), "isin");
        assertEq(bytes32(d.cfi), bytes32(e.cfi), "cfi");
        assertEq(bytes32(d.currency), bytes32(e.currency), "currency");
        assertEq(bytes32(d.issuerLei), bytes32(e.issuerLei), "lei");
        assertEq(uint256(d.decimals), uint256(e.decimals), "decimals");
        assertEq(uint256(d.issueDate), uint256(e.issueDate), "issueDate");
        assertEq(uint256(d.maturity), uint256(e.maturity), "maturity");
        assertEq(uint256(d.nominalPerUnit), uint256(e.nominalPerUnit), "nominal");
        assertEq(token.defaultAdmin(), tokenAdmin, "default admin");
        assertEq(uint256(token.defaultAdminDelay()), 0, "admin delay");
        assertTrue(token.hasRole(token.ISSUER_ROLE(), issuer), "issuer");
        assertTrue(token.hasRole(token.REGISTRAR_ROLE(), registrar), "registrar");
        assertTrue(token.hasRole(token.ENFORCER_ROLE(), enforcer), "enforcer");
        assertTrue(token.hasRole(token.PAUSER_ROLE(), pauser), "pauser");
        assertTrue(token.hasRole(token.UPGRADER_ROLE(), upgrader), "upgrader");
        assertFalse(token.hasRole(token.ISSUER_ROLE(), tokenAdmin), "admin is not issuer");
        assertFalse(token.paused(), "not paused");
        assertEq(token.totalSupply(), 0, "supply");
        assertEq(token.investorCount(), 0, "investors");
        assertEq(address(uint160(uint256(vm.load(address(token), IMPLEMENTATION_SLOT)))), address(tokenImpl), "impl");
    }

    function test_initialize_withMaturityAndDecimals() public {
        ISecurityToken.Instrument memory d = _instrument();
        d.isin = "XS2021832634";
        d.cfi = "DBFTFB";
        d.currency = "EUR";
        d.decimals = 18;
        d.maturity = ISSUE_DATE + 1;
        SecurityToken bond = _deployToken(d, _roles(), address(registry));
        assertEq(uint256(bond.decimals()), 18, "decimals");
        assertEq(uint256(bond.instrument().maturity), uint256(ISSUE_DATE) + 1, "maturity");
        assertEq(bond.isin(), "XS2021832634", "isin");
    }

    function test_initialize_revertsOnInvalidIsin() public {
        ISecurityToken.Instrument memory d = _instrument();
        d.isin = "US0378331006";
        _expectInvalidInstrument(d, "isin");
    }

    function test_initialize_revertsOnInvalidCfi() public {
        ISecurityToken.Instrument memory d = _instrument();
        d.cfi = "ASVUFR";
        _expectInvalidInstrument(d, "cfi");
    }

    function test_initialize_revertsOnInvalidLei() public {
        ISecurityToken.Instrument memory d = _instrument();
        d.issuerLei = "HWUPKR0MPOU8FGXBT395";
        _expectInvalidInstrument(d, "issuerLei");
    }

    function test_initialize_revertsOnInvalidCurrency() public {
        ISecurityToken.Instrument memory d = _instrument();
        d.currency = "usd";
        _expectInvalidInstrument(d, "currency");
    }

    function test_initialize_revertsOnTooManyDecimals() public {
        ISecurityToken.Instrument memory d = _instrument();
        d.decimals = 19;
        _expectInvalidInstrument(d, "decimals");
    }

    function test_initialize_revertsOnZeroIssueDate() public {
        ISecurityToken.Instrument memory d = _instrument();
        d.issueDate = 0;
        _expectInvalidInstrument(d, "issueDate");
    }

    function test_initialize_revertsOnMaturityNotAfterIssue() public {
        ISecurityToken.Instrument memory d = _instrument();
        d.maturity = ISSUE_DATE;
        _expectInvalidInstrument(d, "maturity");
        d.maturity = ISSUE_DATE - 1;
        _expectInvalidInstrument(d, "maturity");
    }

    function test_initialize_revertsOnRegistryWithoutCode() public {
        vm.expectRevert(IInstrumentErrors.InvalidRegistry.selector);
        _deployToken(_instrument(), _roles(), address(0));
        vm.expectRevert(IInstrumentErrors.InvalidRegistry.selector);
        _deployToken(_instrument(), _roles(), stranger);
    }

    function test_initialize_revertsOnZeroRoleHolders() public {
        string[6] memory labels = ["admin", "issuer", "registrar", "enforcer", "pauser", "upgrader"];
        for (uint256 i; i < 6; ++i) {
            ISecurityToken.Roles memory r = _roles();
            if (i == 0) r.admin = address(0);
            else if (i == 1) r.issuer = address(0);
            else if (i == 2) r.registrar = address(0);
            else if (i == 3) r.enforcer = address(0);
            else if (i == 4) r.pauser = address(0);
            else r.upgrader = address(0);
            vm.expectRevert(abi.encodeWithSelector(IInstrumentErrors.InvalidRoleHolder.selector, labels[i]));
            _deployToken(_instrument(), r, address(registry));
        }
    }

    function test_initialize_revertsTwice() public {
        vm.expectRevert(Initializable.InvalidInitialization.selector);
        token.initialize("X", "X", _instrument(), _roles(), IInvestorRegistry(address(registry)));
    }

    function test_implementation_cannotBeInitialised() public {
        vm.expectRevert(Initializable.InvalidInitialization.selector);
        tokenImpl.initialize("X", "X", _instrument(), _roles(), IInvestorRegistry(address(registry)));
    }

    // ------------------------------------------------------------------ mint

    function test_mint_creditsHolderAndInvestor() public {
        vm.expectEmit(true, true, false, true, address(token));
        emit IERC20.Transfer(address(0), alice, 100);
        _mint(alice, 100);
        assertEq(token.balanceOf(alice), 100, "balance");
        assertEq(token.totalSupply(), 100, "supply");
        assertEq(token.investorBalance(_key(ALICE_ID)), 100, "investor balance");
        assertEq(token.investorCount(), 1, "investor count");
        _mint(alice2, 50); // second wallet of the same investor
        assertEq(token.investorBalance(_key(ALICE_ID)), 150, "investor balance (2 wallets)");
        assertEq(token.investorCount(), 1, "still one investor");
        _mint(escrow, 10); // system account: no investor
        assertEq(token.investorCount(), 1, "system account is no investor");
        assertEq(token.investorBalance(0), 0, "key 0 holds nothing");
        assertEq(token.totalSupply(), 160, "supply");
    }

    function test_mint_revertsForNonIssuer() public {
        vm.prank(stranger);
        vm.expectRevert(_unauthorized(stranger, ISSUER_ROLE));
        token.mint(alice, 1);
        vm.prank(tokenAdmin);
        vm.expectRevert(_unauthorized(tokenAdmin, ISSUER_ROLE));
        token.mint(alice, 1);
    }

    function test_mint_revertsToUnregistered() public {
        vm.prank(issuer);
        vm.expectRevert(_restricted(CODE_INVALID_RECEIVER, RECIPIENT_NOT_REGISTERED));
        token.mint(nobody, 1);
    }

    function test_mint_revertsToZeroAddress() public {
        vm.prank(issuer);
        vm.expectRevert(abi.encodeWithSelector(IERC20Errors.ERC20InvalidReceiver.selector, address(0)));
        token.mint(address(0), 1);
    }

    function test_mint_revertsWhenPaused() public {
        vm.prank(pauser);
        token.pause();
        vm.prank(issuer);
        vm.expectRevert(_restricted(CODE_FAILURE, TOKEN_PAUSED));
        token.mint(alice, 1);
    }

    function test_mint_zeroAmountIsNoOp() public {
        _mint(nobody, 0); // zero-value: like ERC-20, succeeds and changes nothing
        assertEq(token.totalSupply(), 0, "supply");
        assertEq(token.investorCount(), 0, "investors");
    }

    function test_batchMint() public {
        address[] memory to = new address[](3);
        uint256[] memory amounts = new uint256[](3);
        (to[0], to[1], to[2]) = (alice, bob, escrow);
        (amounts[0], amounts[1], amounts[2]) = (10, 20, 30);
        vm.prank(issuer);
        token.batchMint(to, amounts);
        assertEq(token.balanceOf(alice), 10, "alice");
        assertEq(token.balanceOf(bob), 20, "bob");
        assertEq(token.balanceOf(escrow), 30, "escrow");
        assertEq(token.investorCount(), 2, "investors");
        assertEq(token.totalSupply(), 60, "supply");
    }

    function test_batchMint_revertsOnLengthMismatch() public {
        address[] memory to = new address[](2);
        uint256[] memory amounts = new uint256[](1);
        vm.prank(issuer);
        vm.expectRevert(ISecurityToken.BatchLengthMismatch.selector);
        token.batchMint(to, amounts);
        vm.prank(issuer);
        vm.expectRevert(ISecurityToken.BatchLengthMismatch.selector);
        token.batchMint(new address[](0), new uint256[](0));
    }

    function test_batchMint_isAtomic() public {
        address[] memory to = new address[](2);
        uint256[] memory amounts = new uint256[](2);
        (to[0], to[1]) = (alice, nobody);
        (amounts[0], amounts[1]) = (10, 20);
        vm.prank(issuer);
        vm.expectRevert(_restricted(CODE_INVALID_RECEIVER, RECIPIENT_NOT_REGISTERED));
        token.batchMint(to, amounts);
        assertEq(token.totalSupply(), 0, "nothing minted");
    }

    function test_batchMint_revertsForNonIssuer() public {
        vm.prank(stranger);
        vm.expectRevert(_unauthorized(stranger, ISSUER_ROLE));
        token.batchMint(new address[](1), new uint256[](1));
    }

    // ------------------------------------------------------------------ burn

    function test_burn_debitsHolderAndInvestor() public {
        _mint(alice, 100);
        vm.expectEmit(true, true, false, true, address(token));
        emit IERC20.Transfer(alice, address(0), 40);
        vm.prank(issuer);
        token.burn(alice, 40);
        assertEq(token.balanceOf(alice), 60, "balance");
        assertEq(token.investorBalance(_key(ALICE_ID)), 60, "investor");
        assertEq(token.investorCount(), 1, "count");
        vm.prank(issuer);
        token.burn(alice, 60);
        assertEq(token.investorCount(), 0, "investor left");
        assertEq(token.totalSupply(), 0, "supply");
    }

    function test_burn_systemAccount() public {
        _mint(escrow, 5);
        vm.prank(issuer);
        token.burn(escrow, 5);
        assertEq(token.balanceOf(escrow), 0, "escrow");
        assertEq(token.investorCount(), 0, "count");
    }

    function test_burn_fromRetiredWalletCountsForItsInvestor() public {
        _mint(alice2, 30);
        vm.prank(registryRegistrar);
        registry.removeWallet(alice2);
        vm.prank(issuer);
        token.burn(alice2, 30);
        assertEq(token.investorBalance(_key(ALICE_ID)), 0, "investor");
        assertEq(token.investorCount(), 0, "count");
    }

    function test_burn_frozenUnitsGoLast() public {
        _mint(alice, 100);
        _freeze(alice, 70);
        vm.prank(issuer);
        token.burn(alice, 30); // only free units: the freeze stays
        assertEq(token.frozenTokens(alice), 70, "frozen kept");
        vm.expectEmit(true, false, false, true, address(token));
        emit ISecurityToken.TokensUnfrozen(alice, 50);
        vm.prank(issuer);
        token.burn(alice, 50); // no free unit left: 50 frozen units are released and burnt
        assertEq(token.balanceOf(alice), 20, "balance");
        assertEq(token.frozenTokens(alice), 20, "frozen released");
    }

    function test_burn_ofFrozenAddress() public {
        _mint(alice, 10);
        _freezeAll(alice, true);
        vm.prank(issuer);
        token.burn(alice, 10);
        assertEq(token.balanceOf(alice), 0, "burnt");
        assertTrue(token.isFrozen(alice), "still frozen");
    }

    function test_burn_revertsOnInsufficientBalance() public {
        _mint(alice, 10);
        vm.prank(issuer);
        vm.expectRevert(abi.encodeWithSelector(IERC20Errors.ERC20InsufficientBalance.selector, alice, 10, 11));
        token.burn(alice, 11);
    }

    function test_burn_revertsWhenPaused() public {
        _mint(alice, 10);
        vm.prank(pauser);
        token.pause();
        vm.prank(issuer);
        vm.expectRevert(_restricted(CODE_FAILURE, TOKEN_PAUSED));
        token.burn(alice, 1);
    }

    function test_burn_revertsFromZeroAddress() public {
        vm.prank(issuer);
        vm.expectRevert(abi.encodeWithSelector(IERC20Errors.ERC20InvalidSender.selector, address(0)));
        token.burn(address(0), 1);
    }

    function test_burn_revertsForNonIssuer() public {
        _mint(alice, 10);
        vm.prank(alice);
        vm.expectRevert(_unauthorized(alice, ISSUER_ROLE));
        token.burn(alice, 1);
    }

    function test_batchBurn() public {
        _mint(alice, 10);
        _mint(bob, 20);
        address[] memory from = new address[](2);
        uint256[] memory amounts = new uint256[](2);
        (from[0], from[1]) = (alice, bob);
        (amounts[0], amounts[1]) = (10, 5);
        vm.prank(issuer);
        token.batchBurn(from, amounts);
        assertEq(token.balanceOf(alice), 0, "alice");
        assertEq(token.balanceOf(bob), 15, "bob");
        assertEq(token.investorCount(), 1, "count");
    }

    function test_batchBurn_revertsOnLengthMismatch() public {
        vm.prank(issuer);
        vm.expectRevert(ISecurityToken.BatchLengthMismatch.selector);
        token.batchBurn(new address[](1), new uint256[](2));
        vm.prank(issuer);
        vm.expectRevert(ISecurityToken.BatchLengthMismatch.selector);
        token.batchBurn(new address[](0), new uint256[](0));
    }

    function test_batchBurn_isAtomic() public {
        _mint(alice, 10);
        address[] memory from = new address[](2);
        uint256[] memory amounts = new uint256[](2);
        (from[0], from[1]) = (alice, bob);
        (amounts[0], amounts[1]) = (10, 1);
        vm.prank(issuer);
        vm.expectRevert(abi.encodeWithSelector(IERC20Errors.ERC20InsufficientBalance.selector, bob, 0, 1));
        token.batchBurn(from, amounts);
        assertEq(token.balanceOf(alice), 10, "nothing burnt");
    }

    function test_batchBurn_revertsForNonIssuer() public {
        vm.prank(stranger);
        vm.expectRevert(_unauthorized(stranger, ISSUER_ROLE));
        token.batchBurn(new address[](1), new uint256[](1));
    }

    // ------------------------------------------------------------------ ordinary transfers

    function test_transfer_movesUnitsAndHoldings() public {
        _mint(alice, 100);
        vm.expectEmit(true, true, false, true, address(token));
        emit IERC20.Transfer(alice, bob, 60);
        vm.prank(alice);
        assertTrue(token.transfer(bob, 60), "returns true");
        assertEq(token.balanceOf(bob), 60, "bob");
        assertEq(token.investorBalance(_key(BOB_ID)), 60, "bob investor");
        assertEq(token.investorBalance(_key(ALICE_ID)), 40, "alice investor");
        assertEq(token.investorCount(), 2, "count");
        vm.prank(alice);
        token.transfer(bob, 40);
        assertEq(token.investorCount(), 1, "alice left");
    }

    function test_transfer_betweenWalletsOfOneInvestor() public {
        _mint(alice, 100);
        vm.prank(alice);
        token.transfer(alice2, 100);
        assertEq(token.balanceOf(alice2), 100, "moved");
        assertEq(token.investorBalance(_key(ALICE_ID)), 100, "holding unchanged");
        assertEq(token.investorCount(), 1, "count unchanged");
    }

    function test_transfer_toAndFromSystemAccount() public {
        _mint(alice, 100);
        vm.prank(alice);
        token.transfer(escrow, 100);
        assertEq(token.investorCount(), 0, "alice left to escrow");
        assertEq(token.investorBalance(_key(ALICE_ID)), 0, "alice");
        vm.prank(escrow);
        token.transfer(bob, 30);
        assertEq(token.investorCount(), 1, "bob joined");
        assertEq(token.investorBalance(_key(BOB_ID)), 30, "bob");
    }

    function test_transfer_revertsOnInsufficientBalanceWithErc20Error() public {
        _mint(alice, 10);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IERC20Errors.ERC20InsufficientBalance.selector, alice, 10, 11));
        token.transfer(bob, 11);
    }

    function test_transfer_revertsOnRuleWithTransferRestricted() public {
        _mint(alice, 10);
        vm.prank(alice);
        vm.expectRevert(_restricted(CODE_INVALID_RECEIVER, RECIPIENT_NOT_REGISTERED));
        token.transfer(nobody, 1);
    }

    function test_transfer_revertsToZeroAddress() public {
        _mint(alice, 10);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IERC20Errors.ERC20InvalidReceiver.selector, address(0)));
        token.transfer(address(0), 1);
    }

    function test_transfer_zeroValueAlwaysSucceedsUnlessPaused() public {
        vm.prank(nobody);
        assertTrue(token.transfer(stranger, 0), "zero transfer between unregistered");
        _freezeAll(alice, true);
        vm.prank(alice);
        token.transfer(bob, 0);
        vm.prank(pauser);
        token.pause();
        vm.prank(alice);
        vm.expectRevert(_restricted(CODE_FAILURE, TOKEN_PAUSED));
        token.transfer(bob, 0);
    }

    function test_transferFrom_spendsAllowanceAndAppliesRules() public {
        _mint(alice, 100);
        vm.prank(alice);
        token.approve(stranger, 50); // the spender need not be registered, the parties must
        vm.prank(stranger);
        token.transferFrom(alice, bob, 30);
        assertEq(token.allowance(alice, stranger), 20, "allowance");
        assertEq(token.balanceOf(bob), 30, "bob");
        vm.prank(stranger);
        vm.expectRevert(_restricted(CODE_INVALID_RECEIVER, RECIPIENT_NOT_REGISTERED));
        token.transferFrom(alice, nobody, 10);
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(IERC20Errors.ERC20InsufficientAllowance.selector, stranger, 20, 21));
        token.transferFrom(alice, bob, 21);
    }

    // ------------------------------------------------------------------ pause

    function test_pause_andUnpause() public {
        _mint(alice, 10);
        vm.expectEmit(false, false, false, true, address(token));
        emit PausableUpgradeable.Paused(pauser);
        vm.prank(pauser);
        token.pause();
        assertTrue(token.paused(), "paused");
        vm.prank(alice);
        vm.expectRevert(_restricted(CODE_FAILURE, TOKEN_PAUSED));
        token.transfer(bob, 1);
        _assertCan(alice, bob, 1, CODE_FAILURE, TOKEN_PAUSED);
        vm.prank(pauser);
        token.unpause();
        assertFalse(token.paused(), "unpaused");
        vm.prank(alice);
        token.transfer(bob, 1);
    }

    function test_pause_revertsWhenPausedAndUnpauseWhenNot() public {
        vm.prank(pauser);
        vm.expectRevert(PausableUpgradeable.ExpectedPause.selector);
        token.unpause();
        vm.prank(pauser);
        token.pause();
        vm.prank(pauser);
        vm.expectRevert(PausableUpgradeable.EnforcedPause.selector);
        token.pause();
    }

    function test_pause_revertsForNonPauser() public {
        vm.prank(tokenAdmin);
        vm.expectRevert(_unauthorized(tokenAdmin, PAUSER_ROLE));
        token.pause();
        vm.prank(pauser);
        token.pause();
        vm.prank(stranger);
        vm.expectRevert(_unauthorized(stranger, PAUSER_ROLE));
        token.unpause();
    }

    function test_pause_registrarToolsGoOn() public {
        _mint(alice, 10);
        vm.prank(pauser);
        token.pause();
        vm.prank(registrar);
        token.forcedTransfer(alice, bob, 4, "court order");
        vm.prank(registrar);
        token.recoverWallet(alice, alice2);
        assertEq(token.balanceOf(bob), 4, "forced during pause");
        assertEq(token.balanceOf(alice2), 6, "recovered during pause");
    }

    // ------------------------------------------------------------------ roles

    function test_roles_upgraderAdministersItself() public {
        bytes32 up = token.UPGRADER_ROLE();
        assertEq(token.getRoleAdmin(up), up, "upgrader admin");
        assertEq(token.getRoleAdmin(token.ISSUER_ROLE()), token.DEFAULT_ADMIN_ROLE(), "issuer admin");
        assertEq(token.getRoleAdmin(token.PAUSER_ROLE()), token.DEFAULT_ADMIN_ROLE(), "pauser admin");
        // The admin cannot grant itself the power to upgrade...
        vm.prank(tokenAdmin);
        vm.expectRevert(_unauthorized(tokenAdmin, up));
        token.grantRole(up, tokenAdmin);
        // ...the upgrader can hand it on.
        vm.prank(upgrader);
        token.grantRole(up, stranger);
        assertTrue(token.hasRole(up, stranger), "granted by upgrader");
    }

    function test_roles_adminGrantsAndRevokesOperationalRoles() public {
        bytes32 role = token.ISSUER_ROLE();
        vm.prank(tokenAdmin);
        token.grantRole(role, stranger);
        _mint(alice, 1); // the first issuer still works
        vm.prank(stranger);
        token.mint(alice, 1);
        vm.prank(tokenAdmin);
        token.revokeRole(role, stranger);
        vm.prank(stranger);
        vm.expectRevert(_unauthorized(stranger, role));
        token.mint(alice, 1);
    }

    function test_roles_defaultAdminHandoverIsTwoStep() public {
        vm.prank(tokenAdmin);
        token.beginDefaultAdminTransfer(stranger);
        assertEq(token.defaultAdmin(), tokenAdmin, "not yet");
        vm.warp(_now() + 1);
        vm.prank(stranger);
        token.acceptDefaultAdminTransfer();
        assertEq(token.defaultAdmin(), stranger, "handed over");
        vm.prank(tokenAdmin);
        vm.expectRevert(_unauthorized(tokenAdmin, DEFAULT_ADMIN_ROLE));
        token.setRule(ITransferRules.RuleType.MinTransfer, 1);
    }

    function test_roles_defaultAdminCannotBeGrantedDirectly() public {
        bytes32 adminRole = token.DEFAULT_ADMIN_ROLE();
        vm.prank(tokenAdmin);
        vm.expectRevert(IAccessControlDefaultAdminRules.AccessControlEnforcedDefaultAdminRules.selector);
        token.grantRole(adminRole, stranger);
    }

    // ------------------------------------------------------------------ ERC-165

    function test_supportsInterface() public view {
        assertTrue(token.supportsInterface(type(ISecurityToken).interfaceId), "ISecurityToken");
        assertTrue(token.supportsInterface(type(IAccessControl).interfaceId), "IAccessControl");
        assertTrue(
            token.supportsInterface(type(IAccessControlDefaultAdminRules).interfaceId),
            "IAccessControlDefaultAdminRules"
        );
        assertTrue(token.supportsInterface(type(IERC165).interfaceId), "IERC165");
        assertFalse(token.supportsInterface(type(IERC1643).interfaceId), "IERC1643 alone is not announced");
        assertFalse(token.supportsInterface(0xffffffff), "0xffffffff");
        assertFalse(token.supportsInterface(0x12345678), "random");
    }

    // ------------------------------------------------------------------ upgrades

    function test_upgrade_byUpgraderKeepsState() public {
        _mint(alice, 100);
        _setRule(ITransferRules.RuleType.MinTransfer, 5);
        _freeze(alice, 10);
        SecurityToken next = _newTokenImpl();
        vm.expectEmit(true, false, false, false, address(token));
        emit IERC1967.Upgraded(address(next));
        vm.prank(upgrader);
        token.upgradeToAndCall(address(next), "");
        assertEq(address(uint160(uint256(vm.load(address(token), IMPLEMENTATION_SLOT)))), address(next), "impl");
        assertEq(token.balanceOf(alice), 100, "balance kept");
        assertEq(token.frozenTokens(alice), 10, "freeze kept");
        (bool on, uint256 value) = token.rule(ITransferRules.RuleType.MinTransfer);
        assertTrue(on && value == 5, "rule kept");
        assertEq(token.isin(), "US0378331005", "instrument kept");
        assertEq(token.investorCount(), 1, "holdings kept");
    }

    function test_upgrade_revertsForAdminAndStrangers() public {
        SecurityToken next = _newTokenImpl();
        vm.prank(tokenAdmin);
        vm.expectRevert(_unauthorized(tokenAdmin, UPGRADER_ROLE));
        token.upgradeToAndCall(address(next), "");
        vm.prank(stranger);
        vm.expectRevert(_unauthorized(stranger, UPGRADER_ROLE));
        token.upgradeToAndCall(address(next), "");
    }

    function test_upgrade_revertsToNonUups() public {
        address bad = address(new NotUpgradeable());
        vm.prank(upgrader);
        vm.expectRevert(abi.encodeWithSelector(ERC1967Utils.ERC1967InvalidImplementation.selector, bad));
        token.upgradeToAndCall(bad, "");
    }

    function test_upgrade_revertsOnImplementationDirectly() public {
        vm.prank(upgrader);
        vm.expectRevert(UUPSUpgradeable.UUPSUnauthorizedCallContext.selector);
        tokenImpl.upgradeToAndCall(address(tokenImpl), "");
    }

    function test_roleConstants() public view {
        assertEq(token.DEFAULT_ADMIN_ROLE(), DEFAULT_ADMIN_ROLE, "admin");
        assertEq(token.ISSUER_ROLE(), ISSUER_ROLE, "issuer");
        assertEq(token.REGISTRAR_ROLE(), REGISTRAR_ROLE, "registrar");
        assertEq(token.ENFORCER_ROLE(), ENFORCER_ROLE, "enforcer");
        assertEq(token.PAUSER_ROLE(), PAUSER_ROLE, "pauser");
        assertEq(token.UPGRADER_ROLE(), UPGRADER_ROLE, "upgrader");
    }

    function test_proxiableUUID() public view {
        assertEq(tokenImpl.proxiableUUID(), IMPLEMENTATION_SLOT, "uuid");
    }
}

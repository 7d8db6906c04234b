// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {AccessControlDefaultAdminRules} from
    "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {ICashToken} from "../../interfaces/ICashToken.sol";
import {InstrumentIdentifiers} from "../token/InstrumentIdentifiers.sol";

/// @title CashToken
/// @notice The cash leg of delivery versus payment: a stand-in for a tokenised deposit or a
/// stablecoin. An ERC-20 with 6 decimals and EIP-2612 permits, in one ISO 4217 currency, issued
/// and redeemed only by the cash issuer; no transfer rules. Not upgradeable (a stand-in: a real
/// deployment uses the bank's or the stablecoin issuer's own token, which the escrow takes as
/// any ERC-20).
/// @dev Roles: the admin (two-step handover, `adminDelay`) grants and revokes the cash-issuer
/// role. Redemption (`burn`) takes the issuer's own balance, or a holder's balance through the
/// allowance the holder gave the issuer.
/// @custom:security-contact see docs/security.md
contract CashToken is ERC20, ERC20Permit, AccessControlDefaultAdminRules, ICashToken {
    /// @inheritdoc ICashToken
    bytes32 public constant CASH_ISSUER_ROLE = keccak256("CASH_ISSUER_ROLE");

    bytes3 private immutable _currency;

    /// @param name_ ERC-20 name (also the EIP-712 domain name of permits).
    /// @param symbol_ ERC-20 symbol.
    /// @param currency_ ISO 4217 alphabetic code, three ASCII capitals.
    /// @param admin Grants and revokes the cash-issuer role.
    /// @param adminDelay Delay, in seconds, of an admin handover.
    /// @param issuer First holder of the cash-issuer role.
    constructor(
        string memory name_,
        string memory symbol_,
        bytes3 currency_,
        address admin,
        uint48 adminDelay,
        address issuer
    ) ERC20(name_, symbol_) ERC20Permit(name_) AccessControlDefaultAdminRules(adminDelay, admin) {
        if (!InstrumentIdentifiers.isValidCurrency(currency_)) revert InvalidCurrency(currency_);
        if (issuer == address(0)) revert InvalidRoleHolder(CASH_ISSUER_ROLE);
        _currency = currency_;
        _grantRole(CASH_ISSUER_ROLE, issuer);
    }

    /// @inheritdoc ICashToken
    function mint(address to, uint256 amount) external onlyRole(CASH_ISSUER_ROLE) {
        _mint(to, amount);
    }

    /// @inheritdoc ICashToken
    function burn(address from, uint256 amount) external onlyRole(CASH_ISSUER_ROLE) {
        address caller = _msgSender();
        if (from != caller) _spendAllowance(from, caller, amount);
        _burn(from, amount);
    }

    /// @inheritdoc ICashToken
    function currency() external view returns (bytes3) {
        return _currency;
    }

    /// @notice Six decimals, as tokenised deposits and the main stablecoins use.
    function decimals() public pure override(ERC20, IERC20Metadata) returns (uint8) {
        return 6;
    }

    /// @notice Current EIP-2612 nonce of `holder` (the next permit must carry it).
    function nonces(address holder) public view override(ERC20Permit, IERC20Permit) returns (uint256) {
        return super.nonces(holder);
    }

    /// @notice ERC-165: the interfaces this token implements.
    function supportsInterface(bytes4 interfaceId) public view override returns (bool) {
        return interfaceId == type(ICashToken).interfaceId || super.supportsInterface(interfaceId);
    }
}

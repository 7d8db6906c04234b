// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";

/// @title ICashToken
/// @notice The cash leg of delivery-versus-payment: a tokenised deposit or stablecoin stand-in.
/// An ERC-20 with 6 decimals and EIP-2612 permits, denominated in one ISO 4217 currency, created
/// and destroyed only by holders of the cash-issuer role. It has no transfer rules: any address
/// may hold and move it.
/// @dev Issuance is `mint`; redemption is `burn`, from the issuer's own balance or from a holder
/// who approved the issuer (the issuer spends the allowance, as `ERC20Burnable.burnFrom` does).
interface ICashToken is IERC20Metadata, IERC20Permit {
    /// @notice The currency is not three ASCII capital letters (ISO 4217 alphabetic code).
    error InvalidCurrency(bytes3 currency);
    /// @notice A role holder given at construction is the zero address.
    error InvalidRoleHolder(bytes32 role);

    /// @notice Creates and destroys cash (the issuing bank or the stablecoin's treasury).
    function CASH_ISSUER_ROLE() external view returns (bytes32);

    /// @notice ISO 4217 alphabetic code of the currency (for example "EUR"), fixed at construction.
    function currency() external view returns (bytes3);

    /// @notice Create `amount` (6 decimals) for `to` (cash-issuer role).
    function mint(address to, uint256 amount) external;

    /// @notice Destroy `amount` held by `from` (cash-issuer role). When `from` is not the caller,
    /// the caller spends `from`'s allowance to it (a redemption the holder approved).
    function burn(address from, uint256 amount) external;
}

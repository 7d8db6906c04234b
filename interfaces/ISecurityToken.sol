// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {IERC1643} from "./IERC1643.sol";
import {ITransferRules} from "./ITransferRules.sol";
import {IInvestorRegistry} from "./IInvestorRegistry.sol";
import {IInstrumentErrors} from "./IInstrumentErrors.sol";

/// @title ISecurityToken
/// @notice A tokenised security: an ERC-20 whose transfers obey on-chain rules, carrying its
/// standard identifiers (ISIN, CFI, issuer LEI, ISO 4217 currency), with role-separated issuer,
/// transfer-agent, enforcement, pause and upgrade powers.
interface ISecurityToken is IERC20Metadata, IERC1643, ITransferRules, IInstrumentErrors {
    /// @notice Instrument data fixed at initialisation.
    /// @param isin ISO 6166 ISIN, 12 ASCII characters.
    /// @param cfi ISO 10962 CFI code, 6 ASCII characters.
    /// @param issuerLei ISO 17442 LEI of the issuer, 20 ASCII characters.
    /// @param currency ISO 4217 alphabetic currency code, 3 ASCII characters.
    /// @param nominalPerUnit Nominal (face) value of one whole unit in `currency`, 18 decimals.
    /// @param issueDate Unix time of issue.
    /// @param maturity Unix time of maturity; 0 for a perpetual instrument (shares).
    /// @param decimals Decimals of the token (0 for shares).
    struct Instrument {
        bytes12 isin;
        bytes6 cfi;
        bytes3 currency;
        uint8 decimals;
        uint40 issueDate;
        uint40 maturity;
        bytes20 issuerLei;
        uint96 nominalPerUnit;
    }

    /// @notice Who holds each role when the instrument is created.
    struct Roles {
        address admin;
        address issuer;
        address registrar;
        address enforcer;
        address pauser;
        address upgrader;
    }

    /// @notice Units moved by the registrar without the transfer rules.
    event ForcedTransfer(address indexed from, address indexed to, uint256 amount, string reason);
    /// @notice A lost wallet's balance and frozen state moved to its replacement.
    event WalletRecovered(address indexed lostWallet, address indexed newWallet, uint256 amount, uint256 frozenAmount);
    /// @notice A whole address was frozen or unfrozen.
    event AddressFrozen(address indexed wallet, bool frozen, address indexed enforcer);
    /// @notice Part of a balance was frozen.
    event TokensFrozen(address indexed wallet, uint256 amount);
    /// @notice Part of a balance was unfrozen (also when a forced transfer or burn consumed frozen units).
    event TokensUnfrozen(address indexed wallet, uint256 amount);

    /// @notice A forced transfer or recovery to a wallet that is not registered.
    error RecipientNotRegistered(address wallet);
    /// @notice A forced transfer from a wallet to itself, or a recovery to the same wallet.
    error SameAddress(address wallet);
    /// @notice The replacement wallet is not linked in the registry to the lost wallet's investor.
    error NotSameInvestor(address lostWallet, address newWallet);
    /// @notice Freezing more than the unfrozen balance, or unfreezing more than is frozen.
    error FreezeAmountInvalid(address wallet, uint256 amount, uint256 available);
    /// @notice Batch arrays have different lengths or are empty.
    error BatchLengthMismatch();

    /// @notice The instrument data.
    function instrument() external view returns (Instrument memory);
    /// @notice The ISIN as a string.
    function isin() external view returns (string memory);
    /// @notice The investor registry this instrument reads.
    function registry() external view returns (IInvestorRegistry);

    /// @notice Create `amount` units for `to` (issuer; transfer rules apply to the recipient).
    function mint(address to, uint256 amount) external;
    /// @notice Mint to many recipients; the whole batch reverts if one mint is refused.
    function batchMint(address[] calldata to, uint256[] calldata amounts) external;
    /// @notice Destroy `amount` units of `from` (issuer); frozen units go last.
    function burn(address from, uint256 amount) external;
    /// @notice Burn from many holders; the whole batch reverts if one burn fails.
    function batchBurn(address[] calldata from, uint256[] calldata amounts) external;

    /// @notice Move units without the transfer rules (registrar): the recipient must be registered
    /// and differ from the sender; frozen units move when needed (and are unfrozen).
    function forcedTransfer(address from, address to, uint256 amount, string calldata reason) external;
    /// @notice Move the whole balance and frozen state of a lost wallet to its replacement
    /// (registrar). The registry must already link `newWallet` to the same investor.
    function recoverWallet(address lostWallet, address newWallet) external;

    /// @notice Freeze or unfreeze a whole address (enforcer): a frozen address neither sends nor receives.
    function setAddressFrozen(address wallet, bool frozen) external;
    /// @notice Freeze `amount` of the unfrozen balance of `wallet` (enforcer).
    function freezePartialTokens(address wallet, uint256 amount) external;
    /// @notice Unfreeze `amount` of the frozen balance of `wallet` (enforcer).
    function unfreezePartialTokens(address wallet, uint256 amount) external;
    /// @notice Whether the whole address is frozen.
    function isFrozen(address wallet) external view returns (bool);
    /// @notice Units of `wallet` that are frozen.
    function frozenTokens(address wallet) external view returns (uint256);

    /// @notice Stop transfers, mints and burns (pauser). Forced transfers and recovery go on.
    function pause() external;
    /// @notice Resume (pauser).
    function unpause() external;
}

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

    /// @notice Where the instrument stands in its life. What each state allows is checked by the
    /// same code as every mint and transfer (`canTransfer` agrees), with one reason per state
    /// (ERC-1066 code 0x50): INSTRUMENT_NOT_ACTIVE (Issued), INSTRUMENT_SUSPENDED,
    /// INSTRUMENT_MATURED, INSTRUMENT_REDEEMED. Zero-value transfers move nothing and pass in every
    /// state (unless paused); burns (issuer), forced transfers and recoveries (registrar) go on in
    /// every state but Redeemed, where no unit is left to move.
    /// @dev `Active` is 0, so an instrument upgraded from an implementation without lifecycle
    /// states reads as `Active`. `Matured` is never stored: it is derived from the maturity date.
    enum LifecycleState {
        Active, // normal: mints and transfers under the rules
        Issued, // primary placement: the issuer mints, holders (system accounts too) cannot transfer yet
        Suspended, // no mint, no transfer
        Matured, // from the maturity date on: no mint; a transfer only from a system account or to an issuer
        Redeemed // terminal: every unit redeemed (supply 0), no mint: nothing moves
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

    /// @notice The lifecycle state changed (`Matured` is reached by the date alone, with no event).
    event LifecycleStateChanged(LifecycleState indexed from, LifecycleState indexed to, address indexed by);
    /// @notice The record-date book the token writes its checkpoints to changed (0: none).
    event RecordDatesSet(address indexed previous, address indexed recordDates);
    /// @notice The first record date was scheduled: from `timestamp` on, every balance change
    /// writes the checkpoints it needs to the record-date book.
    event CheckpointsFrom(uint40 timestamp);

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
    /// @notice This lifecycle transition does not exist (`from` is the current, effective state).
    error InvalidLifecycleTransition(LifecycleState from, LifecycleState to);
    /// @notice Units exist: a placement opens, and an instrument is redeemed, only with no unit outstanding.
    error UnitsOutstanding(uint256 supply);
    /// @notice The record-date book is fixed once a record date has been scheduled, or is not a contract.
    error RecordDatesLocked(address recordDates);
    /// @notice Only the token's record-date book reports scheduled record dates.
    error NotRecordDates(address caller);

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

    /// @notice The lifecycle state now: the stored state, except `Matured` from the maturity date
    /// on (for an instrument with one) and `Redeemed` once redeemed.
    function lifecycleState() external view returns (LifecycleState);
    /// @notice Move the instrument to lifecycle state `to`. Transitions and who makes them:
    /// Active -> Issued (issuer; only while no unit exists: opens a primary placement),
    /// Issued -> Active (issuer; closes the placement),
    /// Active -> Suspended and Suspended -> Active (corporate-action agent),
    /// any state but Redeemed -> Redeemed (corporate-action agent; only with a zero supply).
    /// `Matured` is reached by the maturity date alone and left only to `Redeemed`. Anything else
    /// reverts `InvalidLifecycleTransition(from, to)`.
    function setLifecycleState(LifecycleState to) external;
    /// @notice Copy the instrument's maturity date into the lifecycle slot the transfer path
    /// reads. Idempotent and open to anyone (the date is part of the fixed instrument data).
    /// Instruments created since lifecycle states do it in `initialize`; one created before
    /// matures on its date once this, or any lifecycle change, has run: pass it as the call of
    /// `upgradeToAndCall` when upgrading such an instrument. Emits nothing: it caches data that
    /// `instrument()` already shows.
    function syncMaturity() external;

    /// @notice The record-date book (`IRecordDates`) this token writes its checkpoints to; 0 for none.
    function recordDates() external view returns (address);
    /// @notice Set the record-date book (admin; 0 for none). Refused (`RecordDatesLocked`) for an
    /// address without code, and once a record date has been scheduled for this token: the book
    /// then stays for the life of the instrument (it is upgradeable behind its proxy instead).
    function setRecordDates(address book) external;
    /// @notice Called by the record-date book (only) when it schedules a record date of this
    /// token. The first one's timestamp is kept: once it has passed, every balance change calls
    /// the book's `onBalanceChange`; before it, none does.
    function recordDateScheduled(uint40 timestamp) external;
}

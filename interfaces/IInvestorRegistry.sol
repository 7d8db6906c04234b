// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title IInvestorRegistry
/// @notice Investor registry shared by many instruments: wallet -> investor, with the investor's
/// country (ISO 3166-1 numeric), category and eligibility expiry. Written only by the registrar.
/// @dev One packed record per wallet, so a token reads one storage slot per party on a transfer.
interface IInvestorRegistry {
    /// @notice What a wallet is to the registry.
    enum WalletKind {
        None, // never registered
        Investor, // a wallet of a registered investor
        System, // a system account (settlement escrow, bridge custody): may hold, is no investor
        Retired // removed or replaced by recovery: stays bound to its investor, cannot be reused
    }

    /// @notice The record a token reads for each party of a transfer.
    /// @param investor Investor key (derived from the investor id; 0 for system accounts).
    /// @param country ISO 3166-1 numeric country code of the investor.
    /// @param category Investor category (1 retail, 2 professional, 3 institutional, more by admin).
    /// @param expiry Unix time after which the investor is no longer eligible.
    /// @param kind What the wallet is.
    /// @param multiWallet The investor has, or has had, more than one wallet: a token then keeps
    /// a record of the investor's holding; otherwise the holding is this wallet's balance.
    struct Identity {
        uint96 investor;
        uint16 country;
        uint8 category;
        uint40 expiry;
        WalletKind kind;
        bool multiWallet;
    }

    /// @notice The investor id is not registered.
    error UnknownInvestor(bytes32 investorId);
    /// @notice The wallet is not a registered investor wallet.
    error WalletNotRegistered(address wallet);
    /// @notice The wallet is already registered, retired or a system account.
    error WalletAlreadyRegistered(address wallet, WalletKind kind);
    /// @notice The investor already has the maximum number of wallets.
    error TooManyWallets(bytes32 investorId, uint256 max);
    /// @notice The country code is not a valid ISO 3166-1 numeric code (1..999).
    error InvalidCountry(uint16 country);
    /// @notice The category has not been defined.
    error UnknownCategory(uint8 category);
    /// @notice The expiry is not in the future.
    error ExpiryNotInFuture(uint40 expiry);
    /// @notice Zero address or zero investor id.
    error ZeroValue();
    /// @notice Two investor ids map to the same investor key (practically impossible; salt the id).
    error InvestorKeyCollision(bytes32 investorId, bytes32 existing);
    /// @notice The wallet list given for an investor is not exactly its wallets, in ascending order.
    error WalletListMismatch(bytes32 investorId);
    /// @notice The wallet's investor exists with other attributes: change them with `updateInvestor`.
    error InvestorAttributesDiffer(bytes32 investorId);
    /// @notice Batch arrays have different lengths.
    error LengthMismatch();
    /// @notice The investor still has wallets.
    error InvestorHasWallets(bytes32 investorId, uint256 count);

    /// @notice A wallet was linked to an investor.
    event WalletRegistered(address indexed wallet, bytes32 indexed investorId, uint96 investor);
    /// @notice A wallet was unlinked (retired); it stays bound to its investor.
    event WalletRemoved(address indexed wallet, bytes32 indexed investorId);
    /// @notice The investor's attributes were written (on registration and on every update).
    event InvestorUpdated(bytes32 indexed investorId, uint16 country, uint8 category, uint40 expiry);
    /// @notice A lost wallet was replaced by a new one, which takes over its investor link.
    event WalletRecovered(address indexed lostWallet, address indexed newWallet, bytes32 indexed investorId);
    /// @notice A system account was registered.
    event SystemAccountRegistered(address indexed account, string label);
    /// @notice A system account was removed.
    event SystemAccountRemoved(address indexed account);
    /// @notice An investor category was defined or renamed.
    event CategoryDefined(uint8 indexed category, string label);

    /// @notice Register `wallet` for investor `investorId`, creating the investor if new.
    /// @dev For an existing investor the attributes must equal its current ones
    /// (`InvestorAttributesDiffer` otherwise); `updateInvestor` changes them on all its wallets.
    function registerInvestor(address wallet, bytes32 investorId, uint16 country, uint8 category, uint40 expiry)
        external;
    /// @notice Register many wallets in one transaction (same rules as `registerInvestor`).
    function registerInvestors(
        address[] calldata wallets,
        bytes32[] calldata investorIds,
        uint16[] calldata countries,
        uint8[] calldata categories,
        uint40[] calldata expiries
    ) external;
    /// @notice Change an investor's country, category and expiry on every one of its wallets.
    /// @param wallets All the investor's wallets, in ascending address order (checked on-chain).
    function updateInvestor(
        bytes32 investorId,
        address[] calldata wallets,
        uint16 country,
        uint8 category,
        uint40 expiry
    ) external;
    /// @notice Unlink a wallet from its investor. The wallet is retired: it cannot be registered
    /// again, so token balances held in it keep counting for the same investor.
    function removeWallet(address wallet) external;
    /// @notice Move the investor link of `lostWallet` to the unregistered `newWallet`.
    function recoverWallet(address lostWallet, address newWallet) external;
    /// @notice Register a system account (escrow, custody): may hold, is no investor, has no cap.
    function registerSystemAccount(address account, string calldata label) external;
    /// @notice Remove a system account (retired).
    function removeSystemAccount(address account) external;
    /// @notice Define or rename an investor category (admin).
    function defineCategory(uint8 category, string calldata label) external;

    /// @notice The record of `wallet` (kind None when unknown).
    function identityOf(address wallet) external view returns (Identity memory);
    /// @notice The records of both parties of a transfer, in one call.
    function identityPair(address from, address to) external view returns (Identity memory, Identity memory);
    /// @notice The first wallet ever linked to the investor with key `key` (0 when unknown): until
    /// the investor had a second wallet, no other wallet of it could hold units.
    function firstWallet(uint96 key) external view returns (address);
    /// @notice The investor id `wallet` belongs or belonged to (0 when never registered).
    function investorIdOf(address wallet) external view returns (bytes32);
    /// @notice An investor's attributes and wallet count; all zero (expiry 0) for an unknown investor.
    function investor(bytes32 investorId)
        external
        view
        returns (uint96 key, uint16 country, uint8 category, uint40 expiry, uint8 walletCount);
    /// @notice The investor key of an investor id (what tokens count holdings by).
    function investorKey(bytes32 investorId) external pure returns (uint96);
    /// @notice Whether `wallet` may hold and receive now: a registered, unexpired investor or a system account.
    function isEligible(address wallet) external view returns (bool);
    /// @notice The label of a category ("" when undefined).
    function categoryLabel(uint8 category) external view returns (string memory);
    /// @notice Most wallets one investor may have.
    function MAX_WALLETS_PER_INVESTOR() external view returns (uint8);
}

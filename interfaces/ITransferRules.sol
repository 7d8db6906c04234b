// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title ITransferRules
/// @notice The transfer rules of one instrument, added and removed by its admin without
/// redeploying the token, and checked on every mint and transfer (never on forced transfers).
/// @dev Status codes are ERC-1066-style application codes as ERC-1400 tokens use them (0x50
/// failure, 0x51 success, 0x55 funds locked, 0x56 invalid sender, 0x57 invalid receiver) with
/// ERC-1066's 0x54 for insufficient funds (docs/rules.md compares both); the reason is a short ASCII
/// string in a bytes32 naming exactly which rule refused, so a user knows what to fix.
interface ITransferRules {
    /// @notice The rule types of the catalogue (docs/rules.md). Identity (both parties registered
    /// and unexpired) is not in this list: it is always on, since holdings are counted per investor.
    enum RuleType {
        CountryAllowList, // the recipient's country must be on the allow list
        CountryDenyList, // the recipient's country must not be on the deny list
        MaxInvestors, // at most N investors (counted per investor, not per wallet) hold units
        HoldingCap, // one investor (all its wallets) may hold at most N units
        LockUp, // no transfer (mint excepted) before a date
        MinTransfer // a transfer moves at least N units
    }

    /// @notice A rule was switched on, or its parameter changed.
    event RuleSet(RuleType indexed rule, uint256 value);
    /// @notice A rule was switched off.
    event RuleRemoved(RuleType indexed rule);
    /// @notice Countries were put on or taken off the allow or deny list.
    event CountriesSet(RuleType indexed list, uint16[] countries, bool listed);

    /// @notice The rule is not active.
    error RuleNotActive(RuleType rule);
    /// @notice The parameter does not fit the rule (zero, too large, or a country list rule).
    error InvalidRuleValue(RuleType rule, uint256 value);
    /// @notice The rule type is a country list, set with `setCountries`.
    error NotACountryList(RuleType rule);
    /// @notice A transfer or mint refused by a rule: the same code and reason `canTransfer` gives.
    error TransferRestricted(bytes1 code, bytes32 reason);

    /// @notice Switch `rule` on with parameter `value` (units, a count, or a Unix time), or change it.
    function setRule(RuleType rule, uint256 value) external;
    /// @notice Switch `rule` off.
    function removeRule(RuleType rule) external;
    /// @notice Put `countries` (ISO 3166-1 numeric) on, or take them off, the allow or deny list.
    /// @dev The list applies only while its rule is switched on with `setRule(list, 1)`.
    function setCountries(RuleType list, uint16[] calldata countries, bool listed) external;

    /// @notice Whether `rule` is on, and its parameter.
    function rule(RuleType rule) external view returns (bool active, uint256 value);
    /// @notice Whether `country` is on the allow or deny list.
    function countryListed(RuleType list, uint16 country) external view returns (bool);
    /// @notice Number of investors holding units now (system accounts excluded).
    function investorCount() external view returns (uint256);
    /// @notice Units held by one investor across all its wallets.
    function investorBalance(uint96 investor) external view returns (uint256);
    /// @notice What a transfer of `amount` from `from` to `to` would do now: ERC-1066 code and
    /// reason. Computed by the same code as the transfer itself. `from == 0` asks about a mint.
    function canTransfer(address from, address to, uint256 amount) external view returns (bytes1 code, bytes32 reason);
}

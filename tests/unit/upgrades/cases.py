"""What the upgrade tests compile, and the contracts they look at (no fixtures, no chain)."""

from __future__ import annotations

from securities_rails.deployments import project_root

ROOT = project_root()
FIXTURES = ROOT / "tests" / "fixtures" / "upgrades"

PROJECT_SOURCES = (
    "contracts/token/SecurityToken.sol",
    "contracts/registry/InvestorRegistry.sol",
    "contracts/token/SecurityTokenFactory.sol",
    "contracts/proxy/SuiteProxy.sol",
)
FIXTURE_SOURCES = tuple(sorted(p.relative_to(ROOT).as_posix() for p in FIXTURES.rglob("*.sol")))
SOURCES = PROJECT_SOURCES + FIXTURE_SOURCES

PROJECT = ("SecurityToken", "InvestorRegistry", "SecurityTokenFactory")
UPGRADES = {"SecurityTokenV2": "SecurityToken", "InvestorRegistryV2": "InvestorRegistry"}
# Safe layouts, and safe ways of guarding `_authorizeUpgrade` (no issue expected).
COMPATIBLE = {"RulesAppendedSafely": "SecurityToken"}
GUARDS = (
    "GuardCheckRoleInBody",
    "GuardSenderComparison",
    "GuardCustomModifier",
    "GuardUpgradesDisabled",
    "GuardHelper",
    "GuardSuper",
)

# Incompatible variant -> (the project contract it would replace, the expected diff, one line per
# change, as format_changes prints it).
TR = "namespace securities-rails.storage.TransferRules"
IR = "namespace securities-rails.storage.InvestorRegistry"
IR_ROOT = "0x9b5a6cfd52da164e0d482c7df7433ef0cc128b1e4f675f8be850077655c21b00"
INCOMPATIBLE: dict[str, tuple[str, list[str]]] = {
    "RulesHoldingCapRetyped": (
        "SecurityToken",
        [f"{TR}: `limits.holdingCap` slot 1 offset 16 t_uint128 -> t_uint64 (retyped)"],
    ),
    "RulesMemberInserted": (
        "SecurityToken",
        [
            f"{TR}: `countries` slot 3 offset 0 -> slot 4 offset 0 t_mapping(t_uint16,t_uint8)"
            " (moved)",
            f"{TR}: `investorBalances` slot 4 offset 0 -> slot 5 offset 0"
            " t_mapping(t_uint96,t_uint256) (moved)",
            f"{TR}: `freezes` slot 5 offset 0 -> slot 6 offset 0"
            " t_mapping(t_address,t_struct(TransferRules.Freeze)_storage)"
            " -> t_mapping(t_address,t_struct(RulesMemberInserted.Freeze)_storage) (moved)",
            f"{TR}: `issuedTotal` slot 3 offset 0 (none) -> t_uint256 (inserted):"
            " before `countries`",
        ],
    ),
    "RulesConfigGrown": (
        "SecurityToken",
        [
            f"{TR}: `config` slot 0 offset 0 t_struct(TransferRules.Config)_storage"
            " -> t_struct(RulesConfigGrown.Config)_storage (resized):"
            " 32 -> 64 bytes: shifts the members after it",
            f"{TR}: `limits` slot 1 offset 0 -> slot 2 offset 0"
            " t_struct(TransferRules.Limits)_storage -> t_struct(RulesConfigGrown.Limits)_storage"
            " (moved)",
            f"{TR}: `investorCount` slot 2 offset 0 -> slot 3 offset 0 t_uint256 (moved)",
            f"{TR}: `countries` slot 3 offset 0 -> slot 4 offset 0 t_mapping(t_uint16,t_uint8)"
            " (moved)",
            f"{TR}: `investorBalances` slot 4 offset 0 -> slot 5 offset 0"
            " t_mapping(t_uint96,t_uint256) (moved)",
            f"{TR}: `freezes` slot 5 offset 0 -> slot 6 offset 0"
            " t_mapping(t_address,t_struct(TransferRules.Freeze)_storage)"
            " -> t_mapping(t_address,t_struct(RulesConfigGrown.Freeze)_storage) (moved)",
        ],
    ),
    "RegistryMembersReordered": (
        "InvestorRegistry",
        [
            f"{IR}: `wallets` slot 0 offset 0 -> slot 1 offset 0"
            " t_mapping(t_address,t_struct(InvestorRegistry.Record)_storage)"
            " -> t_mapping(t_address,t_struct(RegistryMembersReordered.Record)_storage) (moved)",
            f"{IR}: `investors` slot 1 offset 0 -> slot 0 offset 0"
            " t_mapping(t_uint96,t_struct(InvestorRegistry.Investor)_storage)"
            " -> t_mapping(t_uint96,t_struct(RegistryMembersReordered.Investor)_storage) (moved)",
        ],
    ),
    "RegistryMemberRemoved": (
        "InvestorRegistry",
        [
            f"{IR}: `investors` slot 1 offset 0"
            " t_mapping(t_uint96,t_struct(InvestorRegistry.Investor)_storage) -> (none) (removed)",
            f"{IR}: `categoryLabels` slot 2 offset 0 -> slot 1 offset 0"
            " t_mapping(t_uint8,t_string_storage) (moved)",
        ],
    ),
    "RegistryNamespaceRenamed": (
        "InvestorRegistry",
        [
            f"{IR}: `InvestorRegistry.RegistryStorage` root {IR_ROOT} (namespace-removed):"
            " 3 member(s) left behind at its root; renamed to"
            " securities-rails.storage.InvestorRegistryV2? a new id is a new, empty root",
        ],
    ),
    "RegistryWalletKindReordered": (
        "InvestorRegistry",
        [
            f"{IR}: `wallets[address].kind` slot 0 offset 20 t_enum(IInvestorRegistry.WalletKind)"
            " -> t_enum(RegistryWalletKindReordered.WalletKind) (retyped): enum values"
            " None, Investor, System, Retired -> None, System, Investor, Retired"
            " (values may only be added at the end)",
        ],
    ),
}

# Unsafe implementation -> the kinds of issue expected (exactly).
UNSAFE: dict[str, set[str]] = {
    "RegistryConstructorWritesState": {"constructor-writes-state"},
    "RegistrySelfdestruct": {"selfdestruct"},
    "RegistryDelegatecall": {"unprotected-delegatecall"},
    "RegistryFunctionDelegateCall": {"unprotected-delegatecall"},
    "RegistryAssemblyDelegatecall": {"unprotected-delegatecall"},
    "RegistryInitializersEnabled": {"initializers-enabled"},
    "RegistryUnguardedUpgrade": {"unguarded-upgrade"},
    "RegistryUpgradeOnlyProxy": {"unguarded-upgrade"},
    "RegistryWrongSlot": {"namespace-slot-mismatch"},
    # A proxy is no implementation: it delegatecalls, writes state in its constructor, and has
    # neither _disableInitializers nor upgradeToAndCall.
    "SuiteProxy": {
        "constructor-writes-state",
        "unprotected-delegatecall",
        "initializers-enabled",
        "not-uups",
    },
}

# Every contract whose layout the session computes (RegistryRedeclaredBadly has none).
LAYOUT_CONTRACTS = (
    *PROJECT,
    *UPGRADES,
    *COMPATIBLE,
    *GUARDS,
    *INCOMPATIBLE,
    *(name for name in UNSAFE if name != "SuiteProxy"),
)

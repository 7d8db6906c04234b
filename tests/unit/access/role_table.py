"""Who may call each state-changing external function of the suite's contracts.

The access-control matrix test reads the compiled ABIs and requires every state-changing
function to appear here, either guarded by a role or public by design (with the reason). A new
function that is in neither list fails the test until someone decides which it is.
"""

from __future__ import annotations

# Roles as the contracts name them; "admin" is DEFAULT_ADMIN_ROLE.
ADMIN, ISSUER, REGISTRAR, ENFORCER = "admin", "issuer", "registrar", "enforcer"
PAUSER, UPGRADER, CREATOR = "pauser", "upgrader", "creator"
GOVERNOR, GUARDIAN, COMPLIANCE, BRIDGE = "governor", "guardian", "compliance", "bridge"
CASH_ISSUER = "cash_issuer"
CORPORATE_ACTION = "corporate_action"
# Only the account an admin handover names may accept it.
PENDING_ADMIN = "pending admin"

# Functions open to anyone, and why that is safe.
PUBLIC: dict[str, str] = {
    "transfer": "the holder's own transfer; the transfer rules decide",
    "transferFrom": "spends an allowance the holder gave; the transfer rules decide",
    "approve": "the holder's own allowance",
    "initialize": "initializer: run once by the proxy's constructor; locked on implementations",
    "renounceRole": "an account gives up its own role (must confirm its own address)",
    "send": "the holder's own units go to the bridge; the token's transfer rules decide",
    "sendQueued": "sends a transfer already taken, once the outbound limit allows",
    "execute": "permissionless delivery: valid only with a threshold of validator signatures",
    "executeQueued": "delivers an attested, queued transfer once the inbound limit allows",
    "reclaim": (
        "bridge: permissionless refund, valid only with a threshold of validator signatures; "
        "DvP escrow: a party takes back its own leg of a cancelled or expired trade (NotAParty)"
    ),
    "permit": "EIP-2612: an allowance the holder signed",
    # DvP escrow: each checks the caller against the trade itself, with a custom error.
    "instruct": "a party escrows its own leg of the terms it names (NotAParty otherwise)",
    "affirm": "the counterparty of a proposed trade escrows its own leg (NotAParty otherwise)",
    "settle": "anyone may settle a matched trade before its deadline; the token's rules decide",
    "settleBatch": "as settle, each trade on its own",
    "settleOne": "the escrow itself only, as a sub-call of settleBatch (OnlySelf otherwise)",
    "cancel": "a party of the trade only (NotAParty otherwise)",
    "reclaimTo": "a wallet of the leg owner's investor, to such a wallet (NotSameInvestor)",
    "recoverSecurities": "the security's own registrar only (NotInstrumentRegistrar)",
    # Hashed-timelock escrow: no roles; each lock pays only its recipient or its sender.
    "lock": "the caller locks its own tokens",
    "claim": (
        "HTLC: pays the lock's recipient, only with the secret, before the timelock; "
        "distributions: a holder claims its own entitlement; splits: a holder applies the "
        "split or consolidation to its own units"
    ),
    "refund": "pays the lock's sender back, only from the timelock on",
    "recover": "the locked token's own registrar only (NotInstrumentRegistrar)",
    # Lifecycle: the token's own record-date book, and the corporate-action contracts, which
    # check the caller against the roles of the token the action is about (custom errors).
    "syncMaturity": "copies the instrument's fixed maturity date into the lifecycle slot",
    "recordDateScheduled": "the token's own record-date book only (NotRecordDates)",
    "scheduleRecordDate": "the token's corporate-action agent only (checked on the token)",
    "onBalanceChange": "writes the calling token's own checkpoints only",
    "announce": "the token's corporate-action agent only (checked on the token)",
    "fund": "pays cash in; anyone may fund an announced action",
    "pay": "the token's corporate-action agent; pays each holder its own entitlement",
    "release": (
        "bridge custody: the current bridge only (BRIDGE role); distributions, redemptions and "
        "splits: the token's registrar, to the holder's investor or beneficial owners only"
    ),
    "sweep": "after the deadline, to the announcer only",
    "redeem": "a holder redeems its own units",
    "redeemFor": "the token's corporate-action agent; each holder's own units and cash",
    "applyTo": "the token's corporate-action agent; each holder's own units, by the ratio",
}

# Role administration, admin handover (AccessControlDefaultAdminRules) and UUPS upgrades: the
# same guards on every contract of the suite.
GOVERNANCE: dict[str, str] = {
    "grantRole": ADMIN,
    "revokeRole": ADMIN,
    "beginDefaultAdminTransfer": ADMIN,
    "cancelDefaultAdminTransfer": ADMIN,
    "changeDefaultAdminDelay": ADMIN,
    "rollbackDefaultAdminDelay": ADMIN,
    "acceptDefaultAdminTransfer": PENDING_ADMIN,
    "upgradeToAndCall": UPGRADER,
}

GUARDS: dict[str, dict[str, str]] = {
    "SecurityToken": {
        "mint": ISSUER,
        "batchMint": ISSUER,
        "burn": ISSUER,
        "batchBurn": ISSUER,
        "setDocument": ISSUER,
        "removeDocument": ISSUER,
        "forcedTransfer": REGISTRAR,
        "recoverWallet": REGISTRAR,
        "setAddressFrozen": ENFORCER,
        "freezePartialTokens": ENFORCER,
        "unfreezePartialTokens": ENFORCER,
        "pause": PAUSER,
        "unpause": PAUSER,
        "setRule": ADMIN,
        "removeRule": ADMIN,
        "setCountries": ADMIN,
        "setRecordDates": ADMIN,
        # Suspending (the argument the matrix test gives) is the corporate-action agent's;
        # opening and closing a placement are the issuer's (forge: LifecycleStates.t.sol).
        "setLifecycleState": CORPORATE_ACTION,
        **GOVERNANCE,
    },
    "InvestorRegistry": {
        "registerInvestor": REGISTRAR,
        "registerInvestors": REGISTRAR,
        "updateInvestor": REGISTRAR,
        "removeWallet": REGISTRAR,
        "recoverWallet": REGISTRAR,
        "registerSystemAccount": REGISTRAR,
        "removeSystemAccount": REGISTRAR,
        "defineCategory": ADMIN,
        **GOVERNANCE,
    },
    "SecurityTokenFactory": {
        "createInstrument": CREATOR,
        "setImplementation": ADMIN,
        **GOVERNANCE,
    },
}

# The two bridge endpoints share their guards (BridgeEndpoint). A guardian may also lower limits
# and pause, the admin may also pause: an outsider is refused naming the role shown here.
ENDPOINT: dict[str, str] = {
    "setValidators": GOVERNOR,
    "setPeer": GOVERNOR,
    "setRateLimit": GOVERNOR,
    "setMaxTransfer": GOVERNOR,
    "pause": GUARDIAN,
    "unpause": ADMIN,
    "returnQueued": COMPLIANCE,
    **GOVERNANCE,
}
GUARDS["BridgeLock"] = ENDPOINT
GUARDS["BridgeMint"] = ENDPOINT
GUARDS["BridgeCustody"] = {
    "release": BRIDGE,
    **{name: role for name, role in GOVERNANCE.items() if name != "upgradeToAndCall"},
}

# The DvP escrow: trading is checked against each trade's parties (see PUBLIC); governance and
# upgrades as elsewhere. The cash token: minted and burned by its cash issuer, not upgradeable.
# Its only role, the upgrader, administers itself (so granting it needs the upgrader role).
GUARDS["DvPEscrow"] = {**GOVERNANCE, "grantRole": UPGRADER, "revokeRole": UPGRADER}
GUARDS["CashToken"] = {
    "mint": CASH_ISSUER,
    "burn": CASH_ISSUER,
    **{name: role for name, role in GOVERNANCE.items() if name != "upgradeToAndCall"},
}
GUARDS["HashedTimelockEscrow"] = {}
# The lifecycle contracts: one per chain behind proxies, governed like the escrow.
for _name in ("RecordDates", "Distributions", "Redemption", "Splits"):
    GUARDS[_name] = dict(GUARDS["DvPEscrow"])

# Public functions each contract has (subset of PUBLIC).
PUBLIC_BY_CONTRACT: dict[str, set[str]] = {
    "SecurityToken": {
        "transfer",
        "transferFrom",
        "approve",
        "initialize",
        "renounceRole",
        "syncMaturity",
        "recordDateScheduled",
    },
    "InvestorRegistry": {"initialize", "renounceRole"},
    "SecurityTokenFactory": {"initialize", "renounceRole"},
    "BridgeLock": {
        "send",
        "sendQueued",
        "execute",
        "executeQueued",
        "reclaim",
        "initialize",
        "renounceRole",
    },
    "BridgeMint": {
        "send",
        "sendQueued",
        "execute",
        "executeQueued",
        "reclaim",
        "initialize",
        "renounceRole",
    },
    "BridgeCustody": {"renounceRole"},
    "DvPEscrow": {
        "instruct",
        "affirm",
        "settle",
        "settleBatch",
        "settleOne",
        "cancel",
        "reclaim",
        "reclaimTo",
        "recoverSecurities",
        "initialize",
        "renounceRole",
    },
    "CashToken": {"transfer", "transferFrom", "approve", "permit", "renounceRole"},
    "HashedTimelockEscrow": {"lock", "claim", "refund", "recover"},
    "RecordDates": {"scheduleRecordDate", "onBalanceChange", "initialize", "renounceRole"},
    "Distributions": {
        "announce",
        "fund",
        "claim",
        "pay",
        "release",
        "sweep",
        "initialize",
        "renounceRole",
    },
    "Redemption": {
        "announce",
        "fund",
        "redeem",
        "redeemFor",
        "release",
        "sweep",
        "initialize",
        "renounceRole",
    },
    "Splits": {"announce", "applyTo", "claim", "release", "initialize", "renounceRole"},
}

// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {AccessControlDefaultAdminRulesUpgradeable} from
    "@openzeppelin/contracts-upgradeable/access/extensions/AccessControlDefaultAdminRulesUpgradeable.sol";
import {UUPSUpgradeable} from "@openzeppelin/contracts-upgradeable/proxy/utils/UUPSUpgradeable.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {IDvPEscrow} from "../../interfaces/IDvPEscrow.sol";
import {ISecurityToken} from "../../interfaces/ISecurityToken.sol";
import {IInvestorRegistry} from "../../interfaces/IInvestorRegistry.sol";

/// @title DvPEscrow
/// @notice Delivery versus payment on one chain (see `IDvPEscrow` for the lifecycle): both
/// parties escrow their legs, anyone settles a matched trade before its deadline, both legs move
/// in one transaction or neither does, and a cancelled or expired trade gives each party back
/// exactly what it escrowed. The security token's transfer rules apply on the way in
/// (seller -> escrow), at settlement (escrow -> buyer, pre-checked so that a refusal carries the
/// rule's reason) and on the way back.
/// @dev Behind a UUPS proxy, state in an ERC-7201 namespace. Roles: the admin (two-step
/// handover) administers roles and holds no power over trades; the upgrader upgrades and
/// administers itself. Settlement, cancellation and reclaiming need no role. Every
/// state-changing entry point is `nonReentrant` (transient storage) and writes its state before
/// calling a token; `settleOne` runs inside `settleBatch`'s guard and only for the escrow
/// itself. No funds are ever stuck: legs come back by `reclaim` (the party), `reclaimTo` (another
/// wallet of the same investor, for a lost or retired wallet) or `recoverSecurities` (the
/// instrument's registrar, when the owner cannot receive under the rules). Tokens that charge
/// fees on transfer are refused at deposit; rebasing tokens are not supported.
/// Units of one security are pooled: the enforcer should not freeze the escrow (that holds every
/// trade of the instrument), nor the registrar force units out of it (`recoverSecurities` is
/// the registrar's path). Register the proxy as a system account in each instrument's registry.
/// @custom:security-contact see docs/security.md
contract DvPEscrow is IDvPEscrow, AccessControlDefaultAdminRulesUpgradeable, UUPSUpgradeable, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @notice Upgrades the implementation; administers itself.
    bytes32 public constant UPGRADER_ROLE = keccak256("UPGRADER_ROLE");

    /// @inheritdoc IDvPEscrow
    uint256 public constant MAX_BATCH = 100;
    /// @inheritdoc IDvPEscrow
    uint256 public constant TRADE_GAS = 500_000;
    /// @inheritdoc IDvPEscrow
    uint256 public constant MAX_REFERENCE_LENGTH = 35;
    /// @inheritdoc IDvPEscrow
    uint256 public constant MAX_SETTLEMENT_PERIOD = 365 days;

    /// @dev The instrument's transfer-agent role (SecurityToken.REGISTRAR_ROLE).
    bytes32 internal constant REGISTRAR_ROLE = keccak256("REGISTRAR_ROLE");
    /// @dev Gas kept back per batch entry beyond `TRADE_GAS` and its 1/63 (EIP-150), for the
    /// call itself and the bookkeeping around it.
    uint256 internal constant BATCH_OVERHEAD = 20_000;

    // ERC-1066 codes and reasons, as the token's rules spell them (TransferRules).
    bytes1 internal constant CODE_FAILURE = 0x50;
    bytes1 internal constant CODE_SUCCESS = 0x51;
    bytes1 internal constant CODE_FUNDS_LOCKED = 0x55;
    bytes32 internal constant OK = "OK";
    bytes32 internal constant SENDER_FROZEN = "SENDER_FROZEN";
    bytes32 internal constant NOT_MATCHED = "NOT_MATCHED";
    bytes32 internal constant EXPIRED = "EXPIRED";
    bytes32 internal constant TRANSFER_FAILED = "TRANSFER_FAILED";

    /// @custom:storage-location erc7201:securities-rails.storage.DvPEscrow
    struct EscrowStorage {
        mapping(bytes32 tradeId => Trade) trades;
        mapping(address seller => mapping(address security => uint256)) escrowedSecurities;
        mapping(address buyer => mapping(address cashToken => uint256)) escrowedCash;
    }

    // keccak256(abi.encode(uint256(keccak256("securities-rails.storage.DvPEscrow")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant STORAGE_LOCATION = 0x9e63d30ef6e3dcd0971caf1a27a8bad25181e9a3ddc9c50a66eda54d98817200;

    function _escrow() private pure returns (EscrowStorage storage $) {
        assembly {
            $.slot := STORAGE_LOCATION
        }
    }

    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor() {
        _disableInitializers();
    }

    /// @notice Initialise the escrow behind its proxy.
    /// @param admin Administers the roles (two-step handover, `adminDelay` seconds).
    /// @param adminDelay Delay of an admin handover.
    /// @param upgrader First upgrader.
    function initialize(address admin, uint48 adminDelay, address upgrader) external initializer {
        if (upgrader == address(0)) revert InvalidConfiguration("upgrader");
        __AccessControlDefaultAdminRules_init(adminDelay, admin);
        _setRoleAdmin(UPGRADER_ROLE, UPGRADER_ROLE);
        _grantRole(UPGRADER_ROLE, upgrader);
    }

    // ------------------------------------------------------------------ trading

    /// @inheritdoc IDvPEscrow
    function instruct(TradeTerms calldata terms, string calldata tradeRef)
        external
        nonReentrant
        returns (bytes32 tradeId)
    {
        tradeId = _tradeId(terms, tradeRef);
        Trade storage t = _escrow().trades[tradeId];
        if (t.status != Status.None) {
            _match(tradeId, t);
            return tradeId;
        }
        _checkTerms(terms, tradeRef);
        Side side = _sideOf(tradeId, terms.seller, terms.buyer);
        t.seller = terms.seller;
        t.deadline = terms.deadline;
        t.status = Status.Proposed;
        t.buyer = terms.buyer;
        t.security = terms.security;
        t.cashToken = terms.cashToken;
        t.quantity = terms.quantity;
        t.amount = terms.amount;
        t.tradeRef = tradeRef;
        emit TradeProposed(tradeId, msg.sender, side, terms, tradeRef);
        _deposit(t, side);
    }

    /// @inheritdoc IDvPEscrow
    function affirm(bytes32 tradeId) external nonReentrant {
        Trade storage t = _escrow().trades[tradeId];
        if (t.status == Status.None) revert UnknownTrade(tradeId);
        _match(tradeId, t);
    }

    /// @inheritdoc IDvPEscrow
    function settle(bytes32 tradeId) external nonReentrant {
        _settle(tradeId);
    }

    /// @inheritdoc IDvPEscrow
    /// @dev Each trade is a self-call `settleOne` with `TRADE_GAS`: a failure reverts that
    /// trade's effects only. `settleOne` runs under this call's reentrancy guard, so a token
    /// re-entering `settle`, `reclaim` or `settleBatch` meanwhile is refused. At most 100 bytes of
    /// a failure's revert data are copied, so a failing trade costs the batch no more than its
    /// gas whatever its token returns.
    function settleBatch(bytes32[] calldata tradeIds)
        external
        nonReentrant
        returns (bool[] memory settled, bytes32[] memory reasons)
    {
        uint256 n = tradeIds.length;
        if (n == 0 || n > MAX_BATCH) revert InvalidBatch(n, MAX_BATCH);
        settled = new bool[](n);
        reasons = new bytes32[](n);
        mapping(bytes32 => Trade) storage trades = _escrow().trades;
        for (uint256 i; i < n; ++i) {
            // The callee must get all of TRADE_GAS (a call gets at most 63/64 of what is left).
            if (gasleft() < TRADE_GAS + TRADE_GAS / 63 + BATCH_OVERHEAD) revert InsufficientGas(i);
            bytes32 id = tradeIds[i];
            (bool ok, bytes memory err) = _settleInIsolation(id);
            if (ok) {
                settled[i] = true;
                reasons[i] = OK;
            } else {
                (bytes1 code, bytes32 reason) = _failure(err);
                reasons[i] = reason;
                emit SettlementFailed(id, code, reason, trades[id].tradeRef);
            }
        }
    }

    /// @inheritdoc IDvPEscrow
    function settleOne(bytes32 tradeId) external {
        if (msg.sender != address(this)) revert OnlySelf();
        _settle(tradeId);
    }

    /// @inheritdoc IDvPEscrow
    function cancel(bytes32 tradeId) external nonReentrant {
        Trade storage t = _escrow().trades[tradeId];
        Status s = t.status;
        if (s == Status.None) revert UnknownTrade(tradeId);
        if (s != Status.Proposed && s != Status.Matched) revert TradeNotOpen(tradeId, s);
        if (block.timestamp >= t.deadline) revert DeadlinePassed(tradeId, t.deadline);
        Side side = _sideOf(tradeId, t.seller, t.buyer);
        if (s == Status.Matched) {
            if (side == Side.Seller) {
                if (t.sellerCancels) revert CancelAlreadyRequested(tradeId, side);
                t.sellerCancels = true;
            } else {
                if (t.buyerCancels) revert CancelAlreadyRequested(tradeId, side);
                t.buyerCancels = true;
            }
            emit CancelRequested(tradeId, msg.sender, side, t.tradeRef);
            if (!(t.sellerCancels && t.buyerCancels)) return;
        }
        t.status = Status.Cancelled;
        emit TradeCancelled(tradeId, msg.sender, t.tradeRef);
    }

    /// @inheritdoc IDvPEscrow
    function reclaim(bytes32 tradeId) external nonReentrant {
        Trade storage t = _reclaimable(tradeId);
        Side side = _sideOf(tradeId, t.seller, t.buyer);
        _return(tradeId, t, side, msg.sender);
    }

    /// @inheritdoc IDvPEscrow
    function reclaimTo(bytes32 tradeId, Side side, address to) external nonReentrant {
        Trade storage t = _reclaimable(tradeId);
        address party = side == Side.Seller ? t.seller : t.buyer;
        if (msg.sender != party || to != party) {
            IInvestorRegistry registry = t.security.registry();
            uint96 investor = registry.identityOf(party).investor;
            if (msg.sender != party) _requireSameInvestor(registry, tradeId, investor, msg.sender);
            if (to != party) {
                _requireSameInvestor(registry, tradeId, investor, to);
                // A frozen wallet's units stay frozen: they go back to it or nowhere.
                if (side == Side.Seller && t.security.isFrozen(party)) {
                    revert ReclaimRefused(tradeId, CODE_FUNDS_LOCKED, SENDER_FROZEN);
                }
            }
        }
        _return(tradeId, t, side, to);
    }

    /// @inheritdoc IDvPEscrow
    function recoverSecurities(bytes32 tradeId, address to, string calldata reason) external nonReentrant {
        Trade storage t = _escrow().trades[tradeId];
        if (t.status == Status.None) revert UnknownTrade(tradeId);
        address security = address(t.security);
        if (!IAccessControl(security).hasRole(REGISTRAR_ROLE, msg.sender)) {
            revert NotInstrumentRegistrar(security, msg.sender);
        }
        _reclaimable(tradeId);
        uint256 quantity = _releaseSecurities(tradeId, t, to);
        emit SecuritiesRecovered(tradeId, msg.sender, to, quantity, reason, t.tradeRef);
        IERC20(security).safeTransfer(to, quantity);
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc IDvPEscrow
    function computeTradeId(TradeTerms calldata terms, string calldata tradeRef) external view returns (bytes32) {
        return _tradeId(terms, tradeRef);
    }

    /// @inheritdoc IDvPEscrow
    function trade(bytes32 tradeId) external view returns (Trade memory t) {
        t = _escrow().trades[tradeId];
        t.status = _effectiveStatus(t.status, t.deadline);
    }

    /// @inheritdoc IDvPEscrow
    function tradeStatus(bytes32 tradeId) external view returns (Status) {
        Trade storage t = _escrow().trades[tradeId];
        return _effectiveStatus(t.status, t.deadline);
    }

    /// @inheritdoc IDvPEscrow
    function escrowedSecurities(address holder, address security) external view returns (uint256) {
        return _escrow().escrowedSecurities[holder][security];
    }

    /// @inheritdoc IDvPEscrow
    function escrowedCash(address holder, address cashToken) external view returns (uint256) {
        return _escrow().escrowedCash[holder][cashToken];
    }

    /// @notice ERC-165: the interfaces this escrow implements.
    function supportsInterface(bytes4 interfaceId) public view override returns (bool) {
        return interfaceId == type(IDvPEscrow).interfaceId || super.supportsInterface(interfaceId);
    }

    // ------------------------------------------------------------------ internals

    /// @dev The counterparty of a proposed trade escrows its leg: the trade is matched.
    function _match(bytes32 tradeId, Trade storage t) private {
        Status s = t.status;
        if (s != Status.Proposed) revert TradeNotOpen(tradeId, s);
        if (block.timestamp >= t.deadline) revert DeadlinePassed(tradeId, t.deadline);
        Side side = _sideOf(tradeId, t.seller, t.buyer);
        if (side == Side.Seller ? t.sellerHeld : t.buyerHeld) revert AlreadyInstructed(tradeId, side);
        t.status = Status.Matched;
        emit TradeMatched(tradeId, msg.sender, side, t.tradeRef);
        _deposit(t, side);
    }

    /// @dev Book and pull the caller's leg (the caller is the party of `side`). The escrow must be
    /// credited with the whole leg: fee-on-transfer tokens are refused.
    function _deposit(Trade storage t, Side side) private {
        EscrowStorage storage $ = _escrow();
        bool seller = side == Side.Seller;
        IERC20 token = seller ? IERC20(address(t.security)) : t.cashToken;
        uint256 amount = seller ? t.quantity : t.amount;
        if (seller) {
            t.sellerHeld = true;
            $.escrowedSecurities[msg.sender][address(token)] += amount;
        } else {
            t.buyerHeld = true;
            $.escrowedCash[msg.sender][address(token)] += amount;
        }
        uint256 before = token.balanceOf(address(this));
        token.safeTransferFrom(msg.sender, address(this), amount);
        uint256 balance = token.balanceOf(address(this));
        if (balance < before + amount) {
            revert DepositShortfall(address(token), amount, balance > before ? balance - before : 0);
        }
    }

    /// @dev Both legs, or neither (a revert undoes everything): state first, then the units
    /// (pre-checked with the token's own rules), then the cash.
    function _settle(bytes32 tradeId) private {
        Trade storage t = _escrow().trades[tradeId];
        Status s = t.status;
        if (s != Status.Matched) revert TradeNotMatched(tradeId, s);
        if (block.timestamp >= t.deadline) revert DeadlinePassed(tradeId, t.deadline);
        ISecurityToken security = t.security;
        address buyer = t.buyer;
        uint256 quantity = t.quantity;
        {
            (bytes1 code, bytes32 reason) = security.canTransfer(address(this), buyer, quantity);
            if (code != CODE_SUCCESS) revert SettlementRefused(tradeId, code, reason);
        }
        address seller = t.seller;
        IERC20 cashToken = t.cashToken;
        uint256 amount = t.amount;
        t.status = Status.Settled;
        t.sellerHeld = false;
        t.buyerHeld = false;
        t.settledAt = uint40(block.timestamp);
        t.settledBlock = uint56(block.number);
        _escrow().escrowedSecurities[seller][address(security)] -= quantity;
        _escrow().escrowedCash[buyer][address(cashToken)] -= amount;
        emit TradeSettled(tradeId, seller, buyer, t.tradeRef);
        IERC20(address(security)).safeTransfer(buyer, quantity);
        cashToken.safeTransfer(seller, amount);
    }

    /// @dev The trade, once cancelled or expired (stored as `Expired` on its first reclaim).
    function _reclaimable(bytes32 tradeId) private returns (Trade storage t) {
        t = _escrow().trades[tradeId];
        Status s = t.status;
        if (s == Status.Cancelled || s == Status.Expired) return t;
        if (s == Status.None) revert UnknownTrade(tradeId);
        if (s == Status.Settled || block.timestamp < t.deadline) revert NotReclaimable(tradeId, s);
        t.status = Status.Expired;
        emit TradeExpired(tradeId, t.tradeRef);
    }

    /// @dev Pay a reclaimable leg back to `to` (already authorised).
    function _return(bytes32 tradeId, Trade storage t, Side side, address to) private {
        if (side == Side.Seller) {
            uint256 quantity = _releaseSecurities(tradeId, t, to);
            emit LegReclaimed(tradeId, side, to, address(t.security), quantity, t.tradeRef);
            IERC20(address(t.security)).safeTransfer(to, quantity);
        } else {
            if (!t.buyerHeld) revert NothingToReclaim(tradeId, side);
            IERC20 cashToken = t.cashToken;
            uint256 amount = t.amount;
            t.buyerHeld = false;
            _escrow().escrowedCash[t.buyer][address(cashToken)] -= amount;
            emit LegReclaimed(tradeId, side, to, address(cashToken), amount, t.tradeRef);
            cashToken.safeTransfer(to, amount);
        }
    }

    /// @dev Book the securities leg out, after the token's rules accept escrow -> `to`.
    function _releaseSecurities(bytes32 tradeId, Trade storage t, address to) private returns (uint256 quantity) {
        if (!t.sellerHeld) revert NothingToReclaim(tradeId, Side.Seller);
        quantity = t.quantity;
        ISecurityToken security = t.security;
        (bytes1 code, bytes32 reason) = security.canTransfer(address(this), to, quantity);
        if (code != CODE_SUCCESS) revert ReclaimRefused(tradeId, code, reason);
        t.sellerHeld = false;
        _escrow().escrowedSecurities[t.seller][address(security)] -= quantity;
    }

    /// @dev Revert unless `account` is an active investor wallet of investor `investor` (not 0).
    function _requireSameInvestor(IInvestorRegistry registry, bytes32 tradeId, uint96 investor, address account)
        private
        view
    {
        IInvestorRegistry.Identity memory id = registry.identityOf(account);
        if (investor == 0 || id.kind != IInvestorRegistry.WalletKind.Investor || id.investor != investor) {
            revert NotSameInvestor(tradeId, account);
        }
    }

    /// @dev The caller's side in a trade between `seller` and `buyer`.
    function _sideOf(bytes32 tradeId, address seller, address buyer) private view returns (Side) {
        if (msg.sender == seller) return Side.Seller;
        if (msg.sender == buyer) return Side.Buyer;
        revert NotAParty(tradeId, msg.sender);
    }

    function _checkTerms(TradeTerms calldata terms, string calldata tradeRef) private view {
        address seller = terms.seller;
        address buyer = terms.buyer;
        if (
            seller == address(0) || buyer == address(0) || seller == buyer || seller == address(this)
                || buyer == address(this)
        ) revert InvalidTerms("parties");
        address security = address(terms.security);
        if (security.code.length == 0) revert InvalidTerms("security");
        address cashToken = address(terms.cashToken);
        if (cashToken.code.length == 0 || cashToken == security) revert InvalidTerms("cash token");
        if (terms.quantity == 0) revert InvalidTerms("quantity");
        if (terms.amount == 0) revert InvalidTerms("amount");
        if (terms.deadline <= block.timestamp || terms.deadline > block.timestamp + MAX_SETTLEMENT_PERIOD) {
            revert InvalidTerms("deadline");
        }
        uint256 length = bytes(tradeRef).length;
        if (length == 0 || length > MAX_REFERENCE_LENGTH) revert InvalidTerms("reference");
    }

    function _tradeId(TradeTerms calldata terms, string calldata tradeRef) private view returns (bytes32) {
        return keccak256(abi.encode(block.chainid, address(this), terms, tradeRef));
    }

    function _effectiveStatus(Status s, uint40 deadline) private view returns (Status) {
        if ((s == Status.Proposed || s == Status.Matched) && block.timestamp >= deadline) return Status.Expired;
        return s;
    }

    /// @dev `this.settleOne(tradeId)` with exactly `TRADE_GAS` (the caller checked there is
    /// enough), keeping at most the first 100 bytes of the revert data.
    function _settleInIsolation(bytes32 tradeId) private returns (bool ok, bytes memory err) {
        bytes memory data = abi.encodeCall(IDvPEscrow.settleOne, (tradeId));
        err = new bytes(100);
        assembly ("memory-safe") {
            ok := call(TRADE_GAS, address(), 0, add(data, 32), mload(data), 0, 0)
            let size := returndatasize()
            if gt(size, 100) { size := 100 }
            returndatacopy(add(err, 32), 0, size)
            mstore(err, size)
        }
    }

    /// @dev What a failed `settleOne` reverted with, as a rule verdict: the token's own code and
    /// reason for `SettlementRefused`, else 0x50 with why.
    function _failure(bytes memory err) private pure returns (bytes1 code, bytes32 reason) {
        bytes4 selector = err.length < 4 ? bytes4(0) : bytes4(err);
        if (selector == SettlementRefused.selector && err.length == 100) {
            // err: length word, selector, tradeId, code (left-aligned), reason
            assembly ("memory-safe") {
                code := and(mload(add(err, 68)), shl(248, 0xff))
                reason := mload(add(err, 100))
            }
            return (code, reason);
        }
        if (selector == TradeNotMatched.selector) return (CODE_FAILURE, NOT_MATCHED);
        if (selector == DeadlinePassed.selector) return (CODE_FAILURE, EXPIRED);
        return (CODE_FAILURE, TRANSFER_FAILED);
    }

    function _authorizeUpgrade(address) internal override onlyRole(UPGRADER_ROLE) {}
}

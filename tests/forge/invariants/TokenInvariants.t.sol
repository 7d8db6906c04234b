// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {SuiteTest, TestBase} from "../utils/SuiteTest.sol";
import {SecurityToken} from "../../../contracts/token/SecurityToken.sol";
import {InvestorRegistry} from "../../../contracts/registry/InvestorRegistry.sol";
import {IInvestorRegistry} from "../../../interfaces/IInvestorRegistry.sol";
import {ITransferRules} from "../../../interfaces/ITransferRules.sol";

/// @notice The invariant runner's handler: random mints, burns, transfers (direct and through an
/// allowance), forced transfers, freezes and unfreezes, wallet recoveries and retirements, pauses,
/// rule changes and the passing of time, among a few registered wallets (and one unregistered).
/// Each action is made to land whenever the state allows it, and never reverts itself; every
/// mint and transfer is checked against `canTransfer` right before it, in ghost counters.
contract TokenHandler is TestBase {
    SecurityToken public immutable token;
    InvestorRegistry public immutable registry;
    address internal immutable issuer;
    address internal immutable registrar;
    address internal immutable enforcer;
    address internal immutable pauser;
    address internal immutable tokenAdmin;
    address internal immutable registryRegistrar;

    bytes1 internal constant CODE_SUCCESS = 0x51;
    uint256 internal constant MAX_FRESH_WALLETS = 6;

    /// @dev Every address that can ever hold units (and `nobody`, which never can).
    address[] internal _wallets;
    /// @dev The investors behind the wallets.
    uint96[] internal _investors;
    uint256 internal _fresh;

    // ------------------------------------------------------------------ ghosts
    /// @notice Transfers or mints `canTransfer` refused that went through anyway.
    uint256 public refusedLanded;
    /// @notice Transfers or mints `canTransfer` allowed that reverted.
    uint256 public allowedFailed;
    /// @notice Transfers or mints that landed (so a run is known to do something).
    uint256 public landed;
    /// @notice Refusals seen (so a run is known to exercise the rules).
    uint256 public refused;

    constructor(
        SecurityToken token_,
        InvestorRegistry registry_,
        address[6] memory roles, // issuer, registrar, enforcer, pauser, tokenAdmin, registryRegistrar
        address[] memory wallets_,
        uint96[] memory investors_
    ) {
        token = token_;
        registry = registry_;
        (issuer, registrar, enforcer, pauser, tokenAdmin, registryRegistrar) =
        (roles[0], roles[1], roles[2], roles[3], roles[4], roles[5]);
        _wallets = wallets_;
        _investors = investors_;
    }

    function wallets() external view returns (address[] memory) {
        return _wallets;
    }

    function investors() external view returns (uint96[] memory) {
        return _investors;
    }

    function _pick(uint256 seed) internal view returns (address) {
        return _wallets[seed % _wallets.length];
    }

    /// @dev Book the outcome of a mint or transfer against what `canTransfer` said before it.
    function _book(bytes1 code, bool ok) internal {
        bool allowed = code == CODE_SUCCESS;
        if (ok && !allowed) ++refusedLanded;
        if (!ok && allowed) ++allowedFailed;
        if (ok) ++landed;
        else ++refused;
    }

    // ------------------------------------------------------------------ issuer

    function mint(uint256 toSeed, uint256 amount) external {
        address to = _pick(toSeed);
        amount = bound(amount, 0, 1e9);
        (bytes1 code,) = token.canTransfer(address(0), to, amount);
        vm.prank(issuer);
        (bool ok,) = address(token).call(abi.encodeCall(token.mint, (to, amount)));
        _book(code, ok);
    }

    function burn(uint256 fromSeed, uint256 amount) external {
        address from = _pick(fromSeed);
        uint256 balance = token.balanceOf(from);
        amount = bound(amount, 0, balance);
        vm.prank(issuer);
        (bool ok,) = address(token).call(abi.encodeCall(token.burn, (from, amount)));
        ok; // refused only while paused
    }

    // ------------------------------------------------------------------ holders

    function transfer(uint256 fromSeed, uint256 toSeed, uint256 amount) external {
        address from = _pick(fromSeed);
        address to = _pick(toSeed);
        uint256 balance = token.balanceOf(from);
        amount = bound(amount, 0, balance + balance / 4 + 1); // now and then more than the balance
        (bytes1 code,) = token.canTransfer(from, to, amount);
        vm.prank(from);
        (bool ok,) = address(token).call(abi.encodeCall(token.transfer, (to, amount)));
        _book(code, ok);
    }

    function transferFrom(uint256 fromSeed, uint256 toSeed, uint256 amount) external {
        address from = _pick(fromSeed);
        address to = _pick(toSeed);
        uint256 balance = token.balanceOf(from);
        amount = bound(amount, 0, balance + 1);
        (bytes1 code,) = token.canTransfer(from, to, amount);
        vm.prank(from);
        token.approve(address(this), amount);
        (bool ok,) = address(token).call(abi.encodeCall(token.transferFrom, (from, to, amount)));
        _book(code, ok);
    }

    // ------------------------------------------------------------------ registrar

    function forcedTransfer(uint256 fromSeed, uint256 toSeed, uint256 amount) external {
        address from = _pick(fromSeed);
        address to = _pick(toSeed);
        amount = bound(amount, 0, token.balanceOf(from));
        vm.prank(registrar);
        (bool ok,) = address(token).call(abi.encodeCall(token.forcedTransfer, (from, to, amount, "invariant")));
        ok; // refused for an unregistered or retired recipient, or from == to
    }

    /// @notice Recover a wallet: into another active wallet of the same investor (token only), or
    /// into a brand-new wallet (registry first, then, one call in two, the token: as an instrument
    /// whose registrar has not recovered yet), which joins the wallet set.
    function recover(uint256 lostSeed, uint256 targetSeed, bool fresh) external {
        address lost = _pick(lostSeed);
        IInvestorRegistry.Identity memory id = registry.identityOf(lost);
        if (id.investor == 0) return;
        address target;
        if (fresh) {
            if (id.kind != IInvestorRegistry.WalletKind.Investor || _fresh >= MAX_FRESH_WALLETS) return;
            target = address(uint160(uint256(keccak256(abi.encode("fresh", _fresh++)))));
            vm.prank(registryRegistrar);
            registry.recoverWallet(lost, target);
            _wallets.push(target);
            if ((targetSeed >> 128) % 2 == 0) return;
        } else {
            target = _pick(targetSeed);
            IInvestorRegistry.Identity memory t = registry.identityOf(target);
            if (target == lost || t.kind != IInvestorRegistry.WalletKind.Investor || t.investor != id.investor) return;
        }
        vm.prank(registrar);
        token.recoverWallet(lost, target);
    }

    /// @notice Link a brand-new wallet to the investor of an existing one, which may already hold
    /// units: the investor then has several wallets (or one more).
    function addWallet(uint256 walletSeed) external {
        address w = _pick(walletSeed);
        bytes32 id = registry.investorIdOf(w);
        if (id == bytes32(0) || _fresh >= MAX_FRESH_WALLETS) return;
        (, uint16 country, uint8 category, uint40 expiry, uint8 count) = registry.investor(id);
        if (expiry <= block.timestamp || count >= registry.MAX_WALLETS_PER_INVESTOR()) return;
        address fresh = address(uint160(uint256(keccak256(abi.encode("fresh", _fresh++)))));
        vm.prank(registryRegistrar);
        registry.registerInvestor(fresh, id, country, category, expiry);
        _wallets.push(fresh);
    }

    /// @notice Retire a wallet in the registry (its units keep counting for its investor). One
    /// call in four acts, so that runs keep enough active wallets to trade.
    function retire(uint256 walletSeed) external {
        if ((walletSeed >> 128) % 4 != 0) return;
        address w = _pick(walletSeed);
        if (registry.identityOf(w).kind != IInvestorRegistry.WalletKind.Investor) return;
        vm.prank(registryRegistrar);
        registry.removeWallet(w);
    }

    // ------------------------------------------------------------------ enforcer

    function freeze(uint256 walletSeed, uint256 amount) external {
        address w = _pick(walletSeed);
        uint256 available = token.balanceOf(w) - token.frozenTokens(w);
        if (available == 0) return;
        amount = bound(amount, 1, available);
        vm.prank(enforcer);
        token.freezePartialTokens(w, amount);
    }

    function unfreeze(uint256 walletSeed, uint256 amount) external {
        address w = _pick(walletSeed);
        uint256 frozen = token.frozenTokens(w);
        if (frozen == 0) return;
        amount = bound(amount, 1, frozen);
        vm.prank(enforcer);
        token.unfreezePartialTokens(w, amount);
    }

    function setAddressFrozen(uint256 walletSeed, bool frozen) external {
        address w = _pick(walletSeed);
        vm.prank(enforcer);
        token.setAddressFrozen(w, frozen);
    }

    // ------------------------------------------------------------------ pauser, admin, time

    /// @notice Pause one call in four, unpause otherwise (runs spend most of their time unpaused).
    function setPaused(uint256 seed) external {
        bool paused = seed % 4 == 0;
        if (paused == token.paused()) return;
        vm.prank(pauser);
        if (paused) token.pause();
        else token.unpause();
    }

    function setRule(uint8 ruleType, uint256 value, bool on) external {
        ITransferRules.RuleType t = ITransferRules.RuleType(ruleType % 6);
        (bool active,) = token.rule(t);
        if (!on) {
            if (!active) return;
            vm.prank(tokenAdmin);
            token.removeRule(t);
            return;
        }
        if (t == ITransferRules.RuleType.CountryAllowList || t == ITransferRules.RuleType.CountryDenyList) value = 1;
        else if (t == ITransferRules.RuleType.MaxInvestors) value = bound(value, 1, 5);
        else if (t == ITransferRules.RuleType.HoldingCap) value = bound(value, 1, 3e9);
        else if (t == ITransferRules.RuleType.LockUp) value = vm.getBlockTimestamp() + bound(value, 1, 10 days);
        else value = bound(value, 1, 1e6);
        vm.prank(tokenAdmin);
        token.setRule(t, value);
    }

    function warp(uint256 secondsAhead) external {
        vm.warp(vm.getBlockTimestamp() + bound(secondsAhead, 0, 20 days));
    }
}

/// @notice Invariants of the token's bookkeeping under the handler's random operations.
contract TokenInvariantsTest is SuiteTest {
    struct FuzzSelector {
        address addr;
        bytes4[] selectors;
    }

    TokenHandler internal handler;

    function setUp() public override {
        super.setUp();
        // Carol's eligibility ends in two weeks, so that runs cross an expiry.
        address[] memory w = new address[](1);
        w[0] = carol;
        vm.prank(registryRegistrar);
        registry.updateInvestor(CAROL_ID, w, FR, 1, uint40(T0 + 14 days));
        // Country lists, so that the list rules refuse someone when the handler turns them on.
        uint16[] memory c = new uint16[](2);
        (c[0], c[1]) = (DE, US);
        vm.prank(tokenAdmin);
        token.setCountries(ITransferRules.RuleType.CountryAllowList, c, true);
        c = new uint16[](1);
        c[0] = FR;
        vm.prank(tokenAdmin);
        token.setCountries(ITransferRules.RuleType.CountryDenyList, c, true);
        // Some holdings to start from.
        _mint(alice, 1e6);
        _mint(bob, 1e6);
        _mint(escrow, 1e6);

        address[] memory wallets = new address[](7);
        (wallets[0], wallets[1], wallets[2], wallets[3], wallets[4], wallets[5], wallets[6]) =
        (alice, alice2, bob, carol, dave, escrow, nobody);
        uint96[] memory keys = new uint96[](4);
        (keys[0], keys[1], keys[2], keys[3]) = (_key(ALICE_ID), _key(BOB_ID), _key(CAROL_ID), _key(DAVE_ID));
        handler = new TokenHandler(
            token, registry, [issuer, registrar, enforcer, pauser, tokenAdmin, registryRegistrar], wallets, keys
        );
    }

    // ------------------------------------------------------------------ what the runner calls

    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    function targetSelectors() public view returns (FuzzSelector[] memory targets) {
        bytes4[] memory selectors = new bytes4[](14);
        selectors[0] = TokenHandler.mint.selector;
        selectors[1] = TokenHandler.burn.selector;
        selectors[2] = TokenHandler.transfer.selector;
        selectors[3] = TokenHandler.transferFrom.selector;
        selectors[4] = TokenHandler.forcedTransfer.selector;
        selectors[5] = TokenHandler.recover.selector;
        selectors[6] = TokenHandler.retire.selector;
        selectors[7] = TokenHandler.freeze.selector;
        selectors[8] = TokenHandler.unfreeze.selector;
        selectors[9] = TokenHandler.setAddressFrozen.selector;
        selectors[10] = TokenHandler.setPaused.selector;
        selectors[11] = TokenHandler.setRule.selector;
        selectors[12] = TokenHandler.warp.selector;
        selectors[13] = TokenHandler.addWallet.selector;
        targets = new FuzzSelector[](1);
        targets[0] = FuzzSelector({addr: address(handler), selectors: selectors});
    }

    // ------------------------------------------------------------------ invariants

    function invariant_supplyIsSumOfBalances() public view {
        address[] memory w = handler.wallets();
        uint256 sum;
        for (uint256 i; i < w.length; ++i) {
            sum += token.balanceOf(w[i]);
        }
        assertEq(sum, token.totalSupply(), "sum of balances");
    }

    function invariant_frozenWithinBalance() public view {
        address[] memory w = handler.wallets();
        for (uint256 i; i < w.length; ++i) {
            assertLe(token.frozenTokens(w[i]), token.balanceOf(w[i]), "frozen <= balance");
        }
    }

    /// @dev Sum of investor holdings == supply minus what system accounts (key 0) hold; and each
    /// investor's holding is exactly the sum over the wallets bound to it (retired ones included).
    function invariant_investorBalancesAddUp() public view {
        address[] memory w = handler.wallets();
        uint96[] memory keys = handler.investors();
        uint256 systemHeld;
        uint256[] memory perInvestor = new uint256[](keys.length);
        for (uint256 i; i < w.length; ++i) {
            uint96 key = registry.identityOf(w[i]).investor;
            uint256 balance = token.balanceOf(w[i]);
            if (key == 0) {
                systemHeld += balance;
                continue;
            }
            for (uint256 k; k < keys.length; ++k) {
                if (keys[k] == key) perInvestor[k] += balance;
            }
        }
        uint256 sum;
        for (uint256 k; k < keys.length; ++k) {
            assertEq(token.investorBalance(keys[k]), perInvestor[k], "investor holding");
            sum += token.investorBalance(keys[k]);
        }
        assertEq(sum, token.totalSupply() - systemHeld, "investor holdings == supply - system accounts");
    }

    function invariant_investorCountIsInvestorsHolding() public view {
        uint96[] memory keys = handler.investors();
        uint256 holding;
        for (uint256 k; k < keys.length; ++k) {
            if (token.investorBalance(keys[k]) > 0) ++holding;
        }
        assertEq(token.investorCount(), holding, "investor count");
    }

    function invariant_refusedTransfersNeverLand() public view {
        assertEq(handler.refusedLanded(), 0, "transfers canTransfer refused that landed");
        assertEq(handler.allowedFailed(), 0, "transfers canTransfer allowed that failed");
    }

    /// @dev The internal count of frozen wallets (which lets the rules skip freeze reads when it is
    /// zero) equals the number of wallets with any freeze.
    function invariant_frozenWalletCount() public view {
        address[] memory w = handler.wallets();
        uint256 frozen;
        for (uint256 i; i < w.length; ++i) {
            if (token.isFrozen(w[i]) || token.frozenTokens(w[i]) > 0) ++frozen;
        }
        assertEq(_frozenWallets(), frozen, "frozen wallet count");
    }
}

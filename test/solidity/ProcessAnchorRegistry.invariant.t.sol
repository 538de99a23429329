// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {ProcessAnchorRegistry} from "../../contracts/ProcessAnchorRegistry.sol";
import {IProcessAnchorRegistry} from "../../contracts/interfaces/IProcessAnchorRegistry.sol";
import {Test} from "./utils/Test.sol";
import {VM_ADDRESS, Vm} from "./utils/Vm.sol";

/// @notice Submits anchors for two tenants with fuzzed chain ids (a small pool, so they repeat),
/// sometimes expired or wrongly signed, and counts the ProcessAnchored events each call emits. It also
/// predicts each call's outcome and counts the calls that did something else.
contract AnchorHandler {
    enum Mode {
        Valid,
        Expired,
        WrongKey,
        Tampered
    }

    // solhint-disable-next-line const-name-snakecase
    Vm private constant vm = Vm(VM_ADDRESS);
    bytes32 private constant PROCESS_ANCHORED_TOPIC = keccak256(
        "ProcessAnchored(bytes32,bytes32,bytes32,string,uint256)"
    );
    uint256 private constant SIGNER_KEY = 0xA11CE;
    uint256 private constant WRONG_KEY = 0xB0B;
    uint256 private constant CHAIN_POOL = 32;

    ProcessAnchorRegistry public registry;
    address public signer;
    bytes32 public tenantA;
    bytes32 public tenantB;

    mapping(bytes32 tenantId => uint256) public eventCount;
    mapping(bytes32 tenantId => mapping(bytes32 chainId => bool)) private _anchored;
    /// @notice Calls whose outcome (success or the revert error) differed from the prediction.
    uint256 public unexpectedOutcomes;
    mapping(bytes32 tenantId => mapping(bytes32 chainId => bool)) private _eventSeen;
    /// @notice ProcessAnchored events for a (tenant, chain) that had one already.
    uint256 public duplicateEvents;
    mapping(Mode mode => uint256) public calls;
    uint256 public successes;

    constructor(ProcessAnchorRegistry registry_, bytes32 tenantA_, bytes32 tenantB_) {
        registry = registry_;
        signer = vm.addr(SIGNER_KEY);
        tenantA = tenantA_;
        tenantB = tenantB_;
    }

    function anchor(bool secondTenant, uint256 chainSeed, uint8 modeSeed) external {
        bytes32 tenantId = secondTenant ? tenantB : tenantA;
        bytes32 chainId = keccak256(abi.encode("chain", chainSeed % CHAIN_POOL));
        Mode mode = Mode(modeSeed % 4);
        // An expired deadline needs a timestamp above 0; the test starts far above it.
        if (mode == Mode.Expired && block.timestamp == 0) mode = Mode.Valid;
        ++calls[mode];

        IProcessAnchorRegistry.Anchor memory a = IProcessAnchorRegistry.Anchor({
            tenantId: tenantId,
            chainId: chainId,
            chainHash: sha256(abi.encode(chainId, modeSeed)),
            ipfsCid: "bafkreihandler",
            signer: signer,
            recipient: address(0xCE47),
            amount: modeSeed % 3,
            deadline: mode == Mode.Expired ? uint64(block.timestamp - 1) : uint64(block.timestamp + 1 hours)
        });
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(
            mode == Mode.WrongKey ? WRONG_KEY : SIGNER_KEY,
            registry.anchorDigest(a)
        );
        if (mode == Mode.Tampered) a.chainHash = ~a.chainHash;

        bytes4 expected = _predict(tenantId, chainId, mode);
        vm.recordLogs();
        bool succeeded;
        try registry.anchor(a, abi.encodePacked(r, s, v)) {
            succeeded = true;
            if (expected != bytes4(0)) ++unexpectedOutcomes;
            _anchored[tenantId][chainId] = true;
            ++successes;
        } catch (bytes memory reason) {
            if (reason.length < 4 || bytes4(reason) != expected) ++unexpectedOutcomes;
        }
        // The recorder also keeps logs of reverted calls, which the chain drops: count only what stands.
        Vm.Log[] memory logs = vm.getRecordedLogs();
        if (succeeded) _countEvents(logs);
    }

    /// @dev The error selector the registry should revert with (0: success), in its order of checks.
    function _predict(bytes32 tenantId, bytes32 chainId, Mode mode) private view returns (bytes4) {
        if (mode == Mode.Expired) return IProcessAnchorRegistry.AnchorExpired.selector;
        if (_anchored[tenantId][chainId]) return IProcessAnchorRegistry.AnchorAlreadyExists.selector;
        if (mode != Mode.Valid) return IProcessAnchorRegistry.InvalidAnchorSignature.selector;
        return bytes4(0);
    }

    function _countEvents(Vm.Log[] memory logs) private {
        for (uint256 i = 0; i < logs.length; ++i) {
            Vm.Log memory log = logs[i];
            if (log.emitter != address(registry) || log.topics[0] != PROCESS_ANCHORED_TOPIC) continue;
            (bytes32 tenantId, bytes32 chainId) = (log.topics[1], log.topics[2]);
            ++eventCount[tenantId];
            if (_eventSeen[tenantId][chainId]) ++duplicateEvents;
            _eventSeen[tenantId][chainId] = true;
        }
    }
}

/// @notice Every anchor the registry counts is one ProcessAnchored event, and each call does what the
/// rules predict.
contract ProcessAnchorRegistryInvariantTest is Test {
    bytes32 internal constant TENANT_A = keccak256("tenant-a");
    bytes32 internal constant TENANT_B = keccak256("tenant-b");
    address internal constant REGISTRAR = address(0x4E6157);
    address internal constant ADMIN = address(0xAD3141);

    ProcessAnchorRegistry internal registry;
    AnchorHandler internal handler;

    function setUp() public {
        vm.warp(1_750_000_000);
        registry = new ProcessAnchorRegistry("https://audit.example/metadata/{id}.json", REGISTRAR);
        handler = new AnchorHandler(registry, TENANT_A, TENANT_B);

        vm.startPrank(REGISTRAR);
        registry.registerTenant(TENANT_A, ADMIN);
        registry.registerTenant(TENANT_B, ADMIN);
        vm.stopPrank();
        vm.startPrank(ADMIN);
        registry.setAnchorSigner(TENANT_A, handler.signer(), true);
        registry.setAnchorSigner(TENANT_B, handler.signer(), true);
        vm.stopPrank();

        targetContract(address(handler));
    }

    function invariant_anchorCountEqualsEventCount() public view {
        assertEq(registry.anchorCount(TENANT_A), handler.eventCount(TENANT_A), "tenant A");
        assertEq(registry.anchorCount(TENANT_B), handler.eventCount(TENANT_B), "tenant B");
    }

    function invariant_callsMatchPredictedOutcomes() public view {
        assertEq(handler.unexpectedOutcomes(), 0, "calls with an unexpected outcome");
        assertEq(handler.duplicateEvents(), 0, "second ProcessAnchored events for a chain");
    }
}

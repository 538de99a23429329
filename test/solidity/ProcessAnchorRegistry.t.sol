// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {ProcessAnchorRegistry} from "../../contracts/ProcessAnchorRegistry.sol";
import {IProcessAnchorRegistry} from "../../contracts/interfaces/IProcessAnchorRegistry.sol";
import {RegistryFixture} from "./utils/RegistryFixture.sol";
import {Vm} from "./utils/Vm.sol";

/// @notice Anchoring: who may authorise, what the EIP-712 signature binds, one answer per chain,
/// certificates, and batches. Tenant administration and keys have their own files.
contract ProcessAnchorRegistryTest is RegistryFixture {
    // ───────────────────── only allowed signers anchor ─────────────────────

    function test_anchor_allowedSignerAnchors() public {
        vm.roll(4242);
        IProcessAnchorRegistry.Anchor memory a = _anchorData(_chainId(1));
        bytes memory signature = _sign(registry, SIGNER_KEY, a);

        // The relayer sends it; the registry names the signer who authorised it.
        vm.expectEmit(true, true, true, true, address(registry));
        emit IProcessAnchorRegistry.AnchorAuthorised(TENANT, a.chainId, a.signer);
        vm.expectEmit(true, true, false, true, address(registry));
        emit IProcessAnchorRegistry.ProcessAnchored(TENANT, a.chainId, a.chainHash, IPFS_CID, block.timestamp);
        vm.prank(RELAYER);
        registry.anchor(a, signature);

        assertEq(registry.anchorCount(TENANT), 1, "anchorCount");
        assertEq(registry.anchorBlock(TENANT, a.chainId), 4242, "anchorBlock");
        assertEq(registry.anchorBlock(TENANT, _chainId(2)), 0, "anchorBlock of another chain");
    }

    function test_anchor_countsEachChain() public {
        for (uint256 i = 1; i <= 3; ++i) {
            IProcessAnchorRegistry.Anchor memory a = _anchorData(_chainId(i));
            registry.anchor(a, _sign(registry, SIGNER_KEY, a));
            assertEq(registry.anchorCount(TENANT), i, "anchorCount");
        }
    }

    function test_anchor_revertsWhenSignedByAnotherKey() public {
        IProcessAnchorRegistry.Anchor memory a = _anchorData(_chainId(1));
        bytes memory signature = _sign(registry, OTHER_KEY, a);

        vm.expectRevert(_err(IProcessAnchorRegistry.InvalidAnchorSignature.selector, TENANT, signer));
        registry.anchor(a, signature);
        assertEq(registry.anchorCount(TENANT), 0, "anchorCount");
    }

    function test_anchor_revertsWhenSignatureIsMalformed() public {
        IProcessAnchorRegistry.Anchor memory a = _anchorData(_chainId(1));
        (, bytes32 r, bytes32 s) = vm.sign(SIGNER_KEY, registry.anchorDigest(a));
        bytes memory signature = abi.encodePacked(r, s); // no v

        vm.expectRevert(_err(IProcessAnchorRegistry.InvalidAnchorSignature.selector, TENANT, signer));
        registry.anchor(a, signature);
    }

    function test_anchor_revertsWhenSignerNotAllowed() public {
        IProcessAnchorRegistry.Anchor memory a = _anchorData(_chainId(1));
        a.signer = otherSigner;
        bytes memory signature = _sign(registry, OTHER_KEY, a);

        vm.expectRevert(_err(IProcessAnchorRegistry.SignerNotAllowed.selector, TENANT, otherSigner));
        registry.anchor(a, signature);
    }

    function test_anchor_revertsWhenNamingAnotherAllowedSigner() public {
        vm.prank(ADMIN);
        registry.setAnchorSigner(TENANT, otherSigner, true);
        IProcessAnchorRegistry.Anchor memory a = _anchorData(_chainId(1));
        bytes memory signature = _sign(registry, SIGNER_KEY, a);
        a.signer = otherSigner;

        vm.expectRevert(_err(IProcessAnchorRegistry.InvalidAnchorSignature.selector, TENANT, otherSigner));
        registry.anchor(a, signature);
    }

    function test_anchor_revertsAfterSignerRemoved() public {
        IProcessAnchorRegistry.Anchor memory a = _anchorData(_chainId(1));
        bytes memory signature = _sign(registry, SIGNER_KEY, a);
        vm.prank(ADMIN);
        registry.setAnchorSigner(TENANT, signer, false);
        assertFalse(registry.isAnchorSigner(TENANT, signer), "isAnchorSigner");

        vm.expectRevert(_err(IProcessAnchorRegistry.SignerNotAllowed.selector, TENANT, signer));
        registry.anchor(a, signature);
    }

    // ─────────────────── what the signature is bound to ────────────────────

    function test_anchor_revertsForAnotherChainId() public {
        IProcessAnchorRegistry.Anchor memory a = _anchorData(_chainId(1));
        bytes memory signature = _sign(registry, SIGNER_KEY, a);
        uint256 home = block.chainid;

        vm.chainId(home + 1);
        vm.expectRevert(_err(IProcessAnchorRegistry.InvalidAnchorSignature.selector, TENANT, signer));
        registry.anchor(a, signature);

        vm.chainId(home);
        registry.anchor(a, signature);
        assertEq(registry.anchorCount(TENANT), 1, "anchorCount on the signed chain");
    }

    function test_anchor_revertsForAnotherRegistry() public {
        ProcessAnchorRegistry other = _deployRegistry();
        IProcessAnchorRegistry.Anchor memory a = _anchorData(_chainId(1));
        bytes memory signatureForOther = _sign(other, SIGNER_KEY, a);

        vm.expectRevert(_err(IProcessAnchorRegistry.InvalidAnchorSignature.selector, TENANT, signer));
        registry.anchor(a, signatureForOther);

        other.anchor(a, signatureForOther);
        assertEq(other.anchorCount(TENANT), 1, "anchorCount on the signed registry");
        assertEq(registry.anchorCount(TENANT), 0, "anchorCount on the other registry");
    }

    function test_anchor_succeedsAtDeadline() public {
        IProcessAnchorRegistry.Anchor memory a = _anchorData(_chainId(1));
        bytes memory signature = _sign(registry, SIGNER_KEY, a);

        vm.warp(a.deadline);
        registry.anchor(a, signature);
        assertEq(registry.anchorCount(TENANT), 1, "anchorCount");
    }

    function test_anchor_revertsAfterDeadline() public {
        IProcessAnchorRegistry.Anchor memory a = _anchorData(_chainId(1));
        bytes memory signature = _sign(registry, SIGNER_KEY, a);

        vm.warp(uint256(a.deadline) + 1);
        vm.expectRevert(
            abi.encodeWithSelector(IProcessAnchorRegistry.AnchorExpired.selector, a.deadline, a.deadline + 1)
        );
        registry.anchor(a, signature);
    }

    /// @dev Each field but tenantId (which names another tenant) is covered by the signature.
    function testFuzz_anchor_rejectsAnyChangedField(uint8 fieldSeed, uint256 value) public {
        IProcessAnchorRegistry.Anchor memory signed = _anchorData(_chainId(1));
        bytes memory signature = _sign(registry, SIGNER_KEY, signed);
        IProcessAnchorRegistry.Anchor memory changed = _copy(signed);

        uint256 field = bound(fieldSeed, 0, 5);
        if (field == 0) {
            changed.chainHash = bytes32(value);
        } else if (field == 1) {
            changed.ipfsCid = vm.toString(value);
        } else if (field == 2) {
            // A zero recipient with certificates fails earlier, with MissingCertificateRecipient.
            changed.recipient = address(uint160(bound(value, 1, type(uint160).max)));
        } else if (field == 3) {
            changed.amount = value;
        } else if (field == 4) {
            changed.deadline = uint64(bound(value, block.timestamp, type(uint64).max));
        } else {
            changed.chainId = bytes32(value);
        }
        vm.assume(keccak256(abi.encode(changed)) != keccak256(abi.encode(signed)));

        vm.expectRevert(_err(IProcessAnchorRegistry.InvalidAnchorSignature.selector, TENANT, signer));
        registry.anchor(changed, signature);

        registry.anchor(signed, signature);
        assertEq(registry.anchorCount(TENANT), 1, "the unchanged anchor still anchors");
    }

    // ─────────────────────── one answer per chain ──────────────────────────

    function test_anchor_revertsOnReplay() public {
        IProcessAnchorRegistry.Anchor memory a = _anchorData(_chainId(1));
        bytes memory signature = _sign(registry, SIGNER_KEY, a);
        registry.anchor(a, signature);

        vm.expectRevert(abi.encodeWithSelector(IProcessAnchorRegistry.AnchorAlreadyExists.selector, TENANT, a.chainId));
        registry.anchor(a, signature);
        assertEq(registry.anchorCount(TENANT), 1, "anchorCount");
    }

    function test_anchor_revertsOnSecondAnswerWithFreshSignature() public {
        IProcessAnchorRegistry.Anchor memory first = _anchorData(_chainId(1));
        registry.anchor(first, _sign(registry, SIGNER_KEY, first));
        uint256 firstBlock = block.number;

        vm.roll(block.number + 10);
        IProcessAnchorRegistry.Anchor memory second = _anchorData(_chainId(1));
        second.chainHash = keccak256("another answer");
        second.ipfsCid = "bafkreianotheranswer";
        bytes memory signature = _sign(registry, SIGNER_KEY, second);

        vm.expectRevert(
            abi.encodeWithSelector(IProcessAnchorRegistry.AnchorAlreadyExists.selector, TENANT, second.chainId)
        );
        registry.anchor(second, signature);
        assertEq(registry.anchorCount(TENANT), 1, "anchorCount");
        assertEq(registry.anchorBlock(TENANT, first.chainId), firstBlock, "anchorBlock");
    }

    function test_anchor_sameChainIdAnchorsPerTenant() public {
        bytes32 tenantB = keccak256("tenant-b");
        vm.prank(REGISTRAR);
        registry.registerTenant(tenantB, ADMIN);
        vm.prank(ADMIN);
        registry.setAnchorSigner(tenantB, signer, true);

        IProcessAnchorRegistry.Anchor memory a = _anchorData(_chainId(1));
        registry.anchor(a, _sign(registry, SIGNER_KEY, a));
        a.tenantId = tenantB;
        registry.anchor(a, _sign(registry, SIGNER_KEY, a));

        assertEq(registry.anchorCount(TENANT), 1, "anchorCount of TENANT");
        assertEq(registry.anchorCount(tenantB), 1, "anchorCount of tenant B");
    }

    function test_anchor_revertsForUnregisteredTenant() public {
        bytes32 unknown = keccak256("nobody");
        IProcessAnchorRegistry.Anchor memory a = _anchorData(_chainId(1));
        a.tenantId = unknown;
        bytes memory signature = _sign(registry, SIGNER_KEY, a);

        vm.expectRevert(abi.encodeWithSelector(IProcessAnchorRegistry.TenantNotRegistered.selector, unknown));
        registry.anchor(a, signature);
    }

    function test_anchor_revertsOnEmptyIpfsCid() public {
        IProcessAnchorRegistry.Anchor memory a = _anchorData(_chainId(1));
        a.ipfsCid = "";
        bytes memory signature = _sign(registry, SIGNER_KEY, a);

        vm.expectRevert(abi.encodeWithSelector(IProcessAnchorRegistry.EmptyIpfsCid.selector, TENANT, a.chainId));
        registry.anchor(a, signature);
    }

    // ───────────────────────────── anchorDirect ────────────────────────────

    function test_anchorDirect_signerAnchorsWithoutSignature() public {
        IProcessAnchorRegistry.Anchor memory a = _anchorData(_chainId(1));

        vm.expectEmit(true, true, true, true, address(registry));
        emit IProcessAnchorRegistry.AnchorAuthorised(TENANT, a.chainId, signer);
        vm.expectEmit(true, true, false, true, address(registry));
        emit IProcessAnchorRegistry.ProcessAnchored(TENANT, a.chainId, a.chainHash, IPFS_CID, block.timestamp);
        vm.prank(signer);
        registry.anchorDirect(a);

        assertEq(registry.anchorCount(TENANT), 1, "anchorCount");
        assertEq(registry.anchorBlock(TENANT, a.chainId), block.number, "anchorBlock");
        assertEq(registry.balanceOf(RECIPIENT, _certificateId(TENANT, a.chainId)), 1, "certificate");
    }

    function test_anchorDirect_revertsForAnotherAccount() public {
        IProcessAnchorRegistry.Anchor memory a = _anchorData(_chainId(1));

        vm.expectRevert(_err(IProcessAnchorRegistry.SignerNotAllowed.selector, TENANT, RELAYER));
        vm.prank(RELAYER);
        registry.anchorDirect(a);
    }

    function test_anchorDirect_revertsForDisallowedSigner() public {
        IProcessAnchorRegistry.Anchor memory a = _anchorData(_chainId(1));
        a.signer = otherSigner;

        vm.expectRevert(_err(IProcessAnchorRegistry.SignerNotAllowed.selector, TENANT, otherSigner));
        vm.prank(otherSigner);
        registry.anchorDirect(a);
    }

    function test_anchorDirect_revertsOnReplay() public {
        IProcessAnchorRegistry.Anchor memory a = _anchorData(_chainId(1));
        registry.anchor(a, _sign(registry, SIGNER_KEY, a));

        vm.expectRevert(abi.encodeWithSelector(IProcessAnchorRegistry.AnchorAlreadyExists.selector, TENANT, a.chainId));
        vm.prank(signer);
        registry.anchorDirect(a);
    }

    // ───────────────────────────── certificates ────────────────────────────

    function test_anchor_mintsCertificateToRecipient() public {
        IProcessAnchorRegistry.Anchor memory a = _anchorData(_chainId(1));
        a.amount = 3;
        uint256 id = _certificateId(TENANT, a.chainId);
        assertEq(registry.certificateId(TENANT, a.chainId), id, "certificateId");

        registry.anchor(a, _sign(registry, SIGNER_KEY, a));

        assertEq(registry.balanceOf(RECIPIENT, id), 3, "recipient's balance");
        assertEq(registry.balanceOf(RELAYER, id), 0, "relayer's balance");
        assertEq(registry.balanceOf(signer, id), 0, "signer's balance");
    }

    function test_anchor_revertsWhenCertificatesHaveNoRecipient() public {
        IProcessAnchorRegistry.Anchor memory a = _anchorData(_chainId(1));
        a.amount = 1;
        a.recipient = address(0);
        bytes memory signature = _sign(registry, SIGNER_KEY, a);

        vm.expectRevert(
            abi.encodeWithSelector(IProcessAnchorRegistry.MissingCertificateRecipient.selector, TENANT, a.chainId)
        );
        registry.anchor(a, signature);
    }

    function test_anchor_mintsNothingForZeroAmount() public {
        IProcessAnchorRegistry.Anchor memory a = _anchorData(_chainId(1));
        a.amount = 0;
        bytes memory signature = _sign(registry, SIGNER_KEY, a);

        vm.recordLogs();
        registry.anchor(a, signature);
        Vm.Log[] memory logs = vm.getRecordedLogs();

        assertEq(logs.length, 2, "only AnchorAuthorised and ProcessAnchored are emitted");
        assertEq(logs[0].topics[0], IProcessAnchorRegistry.AnchorAuthorised.selector, "first topic0");
        assertEq(address(uint160(uint256(logs[0].topics[3]))), a.signer, "the authorising signer");
        assertEq(logs[1].topics[0], PROCESS_ANCHORED_TOPIC, "second topic0");
        assertEq(registry.balanceOf(RECIPIENT, _certificateId(TENANT, a.chainId)), 0, "recipient's balance");
        assertEq(registry.anchorCount(TENANT), 1, "anchorCount");
    }

    function testFuzz_certificateId_matchesFormula(bytes32 tenantId, bytes32 chainId) public view {
        assertEq(registry.certificateId(tenantId, chainId), _certificateId(tenantId, chainId), "certificateId");
    }

    function test_uri_returnsBaseTemplate() public {
        IProcessAnchorRegistry.Anchor memory a = _anchorData(_chainId(1));
        registry.anchor(a, _sign(registry, SIGNER_KEY, a));

        assertEq(registry.uri(_certificateId(TENANT, a.chainId)), BASE_URI, "uri of a minted id");
        assertEq(registry.uri(0), BASE_URI, "uri of any id");
    }

    function test_processAnchoredTopic_matchesEvent() public pure {
        assertEq(IProcessAnchorRegistry.ProcessAnchored.selector, PROCESS_ANCHORED_TOPIC, "topic0");
    }

    function test_version_isOne() public view {
        assertEq(registry.version(), "1", "version");
    }

    // ──────────────────────────────── batches ──────────────────────────────

    function testFuzz_anchorBatch_equalsSingles(uint8 countSeed, uint256 seed) public {
        uint256 n = bound(countSeed, 1, 8);
        ProcessAnchorRegistry batched = registry;
        ProcessAnchorRegistry single = _deployRegistry();
        IProcessAnchorRegistry.Anchor[] memory anchors = _batch(n, seed);
        bytes[] memory signatures = _signAll(batched, anchors);

        vm.recordLogs();
        vm.prank(RELAYER);
        batched.anchorBatch(anchors, signatures);
        bytes32[] memory batchEvents = _anchoredEvents(vm.getRecordedLogs());

        for (uint256 i = 0; i < n; ++i) {
            bytes memory signature = _sign(single, SIGNER_KEY, anchors[i]);
            vm.prank(RELAYER);
            single.anchor(anchors[i], signature);
        }
        bytes32[] memory singleEvents = _anchoredEvents(vm.getRecordedLogs());

        assertEq(batched.anchorCount(TENANT), n, "batched anchorCount");
        assertEq(single.anchorCount(TENANT), n, "single anchorCount");
        assertEq(batchEvents.length, n, "batched ProcessAnchored events");
        assertEq(singleEvents.length, n, "single ProcessAnchored events");
        for (uint256 i = 0; i < n; ++i) {
            assertEq(batchEvents[i], singleEvents[i], "ProcessAnchored event");
            bytes32 chainId = anchors[i].chainId;
            uint256 id = _certificateId(TENANT, chainId);
            assertEq(batched.anchorBlock(TENANT, chainId), block.number, "batched anchorBlock");
            assertEq(single.anchorBlock(TENANT, chainId), block.number, "single anchorBlock");
            assertEq(batched.balanceOf(anchors[i].recipient, id), anchors[i].amount, "batched balance");
            assertEq(single.balanceOf(anchors[i].recipient, id), anchors[i].amount, "single balance");
        }
    }

    function test_anchorBatch_revertsOnLengthMismatch() public {
        IProcessAnchorRegistry.Anchor[] memory anchors = _batch(2, 0);
        bytes[] memory signatures = new bytes[](1);
        signatures[0] = _sign(registry, SIGNER_KEY, anchors[0]);

        vm.expectRevert(abi.encodeWithSelector(IProcessAnchorRegistry.LengthMismatch.selector, 2, 1));
        registry.anchorBatch(anchors, signatures);
    }

    function testFuzz_anchorBatch_revertsEntirelyOnOneBadItem(uint8 countSeed, uint8 badSeed, uint256 seed) public {
        uint256 n = bound(countSeed, 1, 8);
        uint256 bad = bound(badSeed, 0, n - 1);
        IProcessAnchorRegistry.Anchor[] memory anchors = _batch(n, seed);
        bytes[] memory signatures = _signAll(registry, anchors);
        bytes memory good = signatures[bad];
        signatures[bad] = _sign(registry, OTHER_KEY, anchors[bad]);

        vm.expectRevert(_err(IProcessAnchorRegistry.InvalidAnchorSignature.selector, TENANT, signer));
        registry.anchorBatch(anchors, signatures);

        assertEq(registry.anchorCount(TENANT), 0, "anchorCount");
        for (uint256 i = 0; i < n; ++i) {
            assertEq(registry.anchorBlock(TENANT, anchors[i].chainId), 0, "anchorBlock");
            uint256 id = _certificateId(TENANT, anchors[i].chainId);
            assertEq(registry.balanceOf(anchors[i].recipient, id), 0, "balance");
        }

        signatures[bad] = good;
        registry.anchorBatch(anchors, signatures);
        assertEq(registry.anchorCount(TENANT), n, "anchorCount once every signature is good");
    }

    function test_anchorBatch_revertsOnDuplicateInBatch() public {
        IProcessAnchorRegistry.Anchor[] memory anchors = new IProcessAnchorRegistry.Anchor[](2);
        anchors[0] = _anchorData(_chainId(1));
        anchors[1] = _anchorData(_chainId(1));
        bytes[] memory signatures = _signAll(registry, anchors);

        vm.expectRevert(
            abi.encodeWithSelector(IProcessAnchorRegistry.AnchorAlreadyExists.selector, TENANT, _chainId(1))
        );
        registry.anchorBatch(anchors, signatures);
        assertEq(registry.anchorCount(TENANT), 0, "anchorCount");
    }

    /// @dev `n` anchors of distinct chains, amounts 0..3, alternating between two recipients.
    function _batch(uint256 n, uint256 seed) private view returns (IProcessAnchorRegistry.Anchor[] memory anchors) {
        anchors = new IProcessAnchorRegistry.Anchor[](n);
        for (uint256 i = 0; i < n; ++i) {
            anchors[i] = _anchorData(keccak256(abi.encode(seed, i)));
            anchors[i].amount = uint256(keccak256(abi.encode(seed, i, "amount"))) % 4;
            anchors[i].recipient = i % 2 == 0 ? RECIPIENT : STRANGER;
        }
    }

    function _signAll(
        ProcessAnchorRegistry target,
        IProcessAnchorRegistry.Anchor[] memory anchors
    ) private view returns (bytes[] memory signatures) {
        signatures = new bytes[](anchors.length);
        for (uint256 i = 0; i < anchors.length; ++i) {
            signatures[i] = _sign(target, SIGNER_KEY, anchors[i]);
        }
    }

    /// @dev The hash of each ProcessAnchored log's topics and data, in order (emitter ignored).
    function _anchoredEvents(Vm.Log[] memory logs) private pure returns (bytes32[] memory events) {
        uint256 count = 0;
        for (uint256 i = 0; i < logs.length; ++i) {
            if (_isProcessAnchored(logs[i])) ++count;
        }
        events = new bytes32[](count);
        uint256 next = 0;
        for (uint256 i = 0; i < logs.length; ++i) {
            if (!_isProcessAnchored(logs[i])) continue;
            events[next] = keccak256(abi.encode(logs[i].topics, logs[i].data));
            ++next;
        }
    }

    function _isProcessAnchored(Vm.Log memory log) private pure returns (bool) {
        return log.topics.length > 0 && log.topics[0] == PROCESS_ANCHORED_TOPIC;
    }
}

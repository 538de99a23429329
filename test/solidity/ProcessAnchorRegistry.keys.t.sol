// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IProcessAnchorRegistry} from "../../contracts/interfaces/IProcessAnchorRegistry.sol";
import {RegistryFixture} from "./utils/RegistryFixture.sol";

/// @notice A tenant's Ed25519 evidence keys: registration, revocation and the validity rule.
contract ProcessAnchorRegistryKeysTest is RegistryFixture {
    bytes32 internal constant KEY_ID = keccak256("key-1");
    bytes32 internal constant PUBLIC_KEY = keccak256("ed25519 public key");
    uint64 internal constant VALID_FROM = 1_700_000_000;
    uint64 internal constant VALID_UNTIL = 1_800_000_000;

    // ──────────────────────────── registration ─────────────────────────────

    function test_registerSigningKey_storesRecord() public {
        vm.expectEmit(true, true, false, true, address(registry));
        emit IProcessAnchorRegistry.SigningKeyRegistered(TENANT, KEY_ID, PUBLIC_KEY, VALID_FROM, VALID_UNTIL);
        _register(KEY_ID, VALID_FROM, VALID_UNTIL);

        IProcessAnchorRegistry.SigningKey memory key = registry.signingKey(TENANT, KEY_ID);
        assertEq(key.publicKey, PUBLIC_KEY, "publicKey");
        assertEq(key.validFrom, VALID_FROM, "validFrom");
        assertEq(key.validUntil, VALID_UNTIL, "validUntil");
        assertEq(key.revokedAt, 0, "revokedAt");
        assertEq(key.revocationRecordedAt, 0, "revocationRecordedAt");

        IProcessAnchorRegistry.SigningKey memory elsewhere = registry.signingKey(keccak256("tenant-b"), KEY_ID);
        assertEq(elsewhere.publicKey, bytes32(0), "the key belongs to its tenant only");
    }

    function test_registerSigningKey_revertsForZeroKey() public {
        vm.expectRevert(abi.encodeWithSelector(IProcessAnchorRegistry.InvalidSigningKey.selector, TENANT, KEY_ID));
        vm.prank(ADMIN);
        registry.registerSigningKey(TENANT, KEY_ID, bytes32(0), VALID_FROM, VALID_UNTIL);
    }

    function testFuzz_registerSigningKey_revertsForEmptyWindow(uint64 validFrom, uint64 validUntil) public {
        validUntil = uint64(bound(validUntil, 0, validFrom));

        vm.expectRevert(abi.encodeWithSelector(IProcessAnchorRegistry.InvalidSigningKey.selector, TENANT, KEY_ID));
        vm.prank(ADMIN);
        registry.registerSigningKey(TENANT, KEY_ID, PUBLIC_KEY, validFrom, validUntil);
    }

    function test_registerSigningKey_revertsForSecondRegistration() public {
        _register(KEY_ID, VALID_FROM, VALID_UNTIL);

        vm.expectRevert(
            abi.encodeWithSelector(IProcessAnchorRegistry.SigningKeyAlreadyRegistered.selector, TENANT, KEY_ID)
        );
        vm.prank(ADMIN);
        registry.registerSigningKey(TENANT, KEY_ID, keccak256("replacement"), VALID_FROM, VALID_UNTIL + 1);

        assertEq(registry.signingKey(TENANT, KEY_ID).publicKey, PUBLIC_KEY, "publicKey unchanged");
    }

    // ───────────────────────────── revocation ──────────────────────────────

    function test_revokeSigningKey_recordsRevocation() public {
        _register(KEY_ID, VALID_FROM, VALID_UNTIL);
        uint64 revokedAt = uint64(block.timestamp) - 1 days;

        vm.warp(block.timestamp + 1 hours);
        vm.expectEmit(true, true, false, true, address(registry));
        emit IProcessAnchorRegistry.SigningKeyRevoked(TENANT, KEY_ID, revokedAt);
        vm.prank(ADMIN);
        registry.revokeSigningKey(TENANT, KEY_ID, revokedAt);

        IProcessAnchorRegistry.SigningKey memory key = registry.signingKey(TENANT, KEY_ID);
        assertEq(key.revokedAt, revokedAt, "revokedAt");
        assertEq(key.revocationRecordedAt, block.timestamp, "revocationRecordedAt");
        assertEq(key.publicKey, PUBLIC_KEY, "publicKey kept");
        assertEq(key.validFrom, VALID_FROM, "validFrom kept");
        assertEq(key.validUntil, VALID_UNTIL, "validUntil kept");
    }

    function test_revokeSigningKey_acceptsValidFromAndNow() public {
        _register(KEY_ID, VALID_FROM, VALID_UNTIL);
        _register(keccak256("key-2"), VALID_FROM, VALID_UNTIL);

        vm.startPrank(ADMIN);
        registry.revokeSigningKey(TENANT, KEY_ID, VALID_FROM);
        registry.revokeSigningKey(TENANT, keccak256("key-2"), uint64(block.timestamp));
        vm.stopPrank();

        assertEq(registry.signingKey(TENANT, KEY_ID).revokedAt, VALID_FROM, "revoked at validFrom");
        assertEq(registry.signingKey(TENANT, keccak256("key-2")).revokedAt, block.timestamp, "revoked now");
    }

    function test_revokeSigningKey_revertsForUnknownKey() public {
        vm.expectRevert(
            abi.encodeWithSelector(IProcessAnchorRegistry.SigningKeyNotRegistered.selector, TENANT, KEY_ID)
        );
        vm.prank(ADMIN);
        registry.revokeSigningKey(TENANT, KEY_ID, uint64(block.timestamp));
    }

    function test_revokeSigningKey_revertsWhenAlreadyRevoked() public {
        _register(KEY_ID, VALID_FROM, VALID_UNTIL);
        vm.prank(ADMIN);
        registry.revokeSigningKey(TENANT, KEY_ID, uint64(block.timestamp));
        uint256 recordedAt = block.timestamp;

        vm.warp(block.timestamp + 1 days);
        vm.expectRevert(
            abi.encodeWithSelector(IProcessAnchorRegistry.SigningKeyAlreadyRevoked.selector, TENANT, KEY_ID)
        );
        vm.prank(ADMIN);
        registry.revokeSigningKey(TENANT, KEY_ID, VALID_FROM);

        IProcessAnchorRegistry.SigningKey memory key = registry.signingKey(TENANT, KEY_ID);
        assertEq(key.revokedAt, recordedAt, "revokedAt unchanged");
        assertEq(key.revocationRecordedAt, recordedAt, "revocationRecordedAt unchanged");
    }

    function test_revokeSigningKey_beforeValidFromVoidsTheWholeKey() public {
        _register(KEY_ID, VALID_FROM, VALID_UNTIL);

        vm.expectEmit(true, true, false, true, address(registry));
        emit IProcessAnchorRegistry.SigningKeyRevoked(TENANT, KEY_ID, VALID_FROM);
        vm.prank(ADMIN);
        registry.revokeSigningKey(TENANT, KEY_ID, VALID_FROM - 1);

        assertEq(registry.signingKey(TENANT, KEY_ID).revokedAt, VALID_FROM, "recorded as validFrom");
        assertFalse(registry.isKeyValidFor(TENANT, KEY_ID, VALID_FROM, 0), "not even at its start");
    }

    function test_revokeSigningKey_revokesAKeyBeforeItStarts() public {
        uint64 nowTs = uint64(block.timestamp);
        uint64 validFrom = nowTs + 30 days;
        _register(KEY_ID, validFrom, validFrom + 365 days);

        // A leaked rotation key must not wait to become usable before it can be revoked.
        vm.prank(ADMIN);
        registry.revokeSigningKey(TENANT, KEY_ID, nowTs);

        IProcessAnchorRegistry.SigningKey memory key = registry.signingKey(TENANT, KEY_ID);
        assertEq(key.revokedAt, validFrom, "revokedAt");
        assertEq(key.revocationRecordedAt, nowTs, "revocationRecordedAt");
        assertFalse(registry.isKeyValidFor(TENANT, KEY_ID, validFrom, nowTs - 1), "void from its start");
        assertFalse(registry.isKeyValidFor(TENANT, KEY_ID, validFrom + 1 days, validFrom + 1 days), "void later");
    }

    function test_revokeSigningKey_revertsAfterNow() public {
        _register(KEY_ID, VALID_FROM, VALID_UNTIL);
        uint64 future = uint64(block.timestamp) + 1;

        vm.expectRevert(
            abi.encodeWithSelector(
                IProcessAnchorRegistry.InvalidRevocationTime.selector,
                future,
                VALID_FROM,
                block.timestamp
            )
        );
        vm.prank(ADMIN);
        registry.revokeSigningKey(TENANT, KEY_ID, future);
    }

    // ─────────────────────────── validity rule ─────────────────────────────

    function test_isKeyValidFor_followsRuleAtBoundaries() public {
        _register(KEY_ID, VALID_FROM, VALID_UNTIL);
        uint64 revokedAt = VALID_FROM + 1000;
        uint64 recordedAt = uint64(block.timestamp);
        assertFalse(registry.isKeyValidFor(TENANT, KEY_ID, VALID_FROM - 1, 0), "before validFrom");
        assertTrue(registry.isKeyValidFor(TENANT, KEY_ID, VALID_FROM, type(uint64).max), "at validFrom");
        assertTrue(registry.isKeyValidFor(TENANT, KEY_ID, VALID_UNTIL - 1, 0), "just before validUntil");
        assertFalse(registry.isKeyValidFor(TENANT, KEY_ID, VALID_UNTIL, 0), "at validUntil");
        assertFalse(registry.isKeyValidFor(TENANT, keccak256("unknown"), VALID_FROM, 0), "unknown key");

        vm.prank(ADMIN);
        registry.revokeSigningKey(TENANT, KEY_ID, revokedAt);

        assertTrue(registry.isKeyValidFor(TENANT, KEY_ID, revokedAt - 1, recordedAt - 1), "signed and anchored before");
        assertFalse(registry.isKeyValidFor(TENANT, KEY_ID, revokedAt, recordedAt - 1), "signed at revokedAt");
        assertFalse(registry.isKeyValidFor(TENANT, KEY_ID, revokedAt - 1, recordedAt), "anchored at recording");
    }

    /// @dev The rule on IProcessAnchorRegistry.SigningKey, re-implemented, against the contract for random
    /// windows, revocations and times (times drawn near the boundaries half of the time).
    function testFuzz_isKeyValidFor_matchesRule(
        uint64 validFrom,
        uint64 validUntil,
        bool revoke,
        uint64 revokedAt,
        uint64 recordedAt,
        uint64 signedAt,
        uint64 anchoredAt,
        uint256 nudge
    ) public {
        validFrom = uint64(bound(validFrom, 0, type(uint64).max - 1));
        validUntil = uint64(bound(validUntil, uint256(validFrom) + 1, type(uint64).max));
        // A block timestamp is never 0; revocationRecordedAt == 0 means "not revoked".
        recordedAt = uint64(bound(recordedAt, validFrom == 0 ? 1 : validFrom, type(uint64).max));
        revokedAt = uint64(bound(revokedAt, validFrom, recordedAt));
        _register(KEY_ID, validFrom, validUntil);
        if (revoke) {
            vm.warp(recordedAt);
            vm.prank(ADMIN);
            registry.revokeSigningKey(TENANT, KEY_ID, revokedAt);
        }
        signedAt = _nearBoundary(signedAt, nudge, validFrom, validUntil, revokedAt);
        anchoredAt = _nearBoundary(anchoredAt, nudge >> 8, recordedAt, recordedAt, recordedAt);

        bool expected = signedAt >= validFrom && signedAt < validUntil;
        if (revoke) expected = expected && signedAt < revokedAt && anchoredAt < recordedAt;

        assertEq(registry.isKeyValidFor(TENANT, KEY_ID, signedAt, anchoredAt), expected, "isKeyValidFor");
    }

    function _register(bytes32 keyId, uint64 validFrom, uint64 validUntil) private {
        vm.prank(ADMIN);
        registry.registerSigningKey(TENANT, keyId, PUBLIC_KEY, validFrom, validUntil);
    }

    /// @dev `t` itself, or one of three boundaries nudged by -1, 0 or +1 (saturating), chosen by `nudge`.
    function _nearBoundary(uint64 t, uint256 nudge, uint64 a, uint64 b, uint64 c) private pure returns (uint64) {
        uint256 which = nudge % 6;
        if (which >= 3) return t;
        uint64 point =
            which == 0
                ? a
                : which == 1
                    ? b
                    : c;
        uint256 offset = (nudge >> 3) % 3;
        if (offset == 0) return point == 0 ? 0 : point - 1;
        if (offset == 1) return point;
        return point == type(uint64).max ? point : point + 1;
    }
}

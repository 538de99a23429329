// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title Proof of Process anchor registry
/// @notice Anchors chainscripts (hash-chained evidence of a compute pipeline's run) for tenants.
/// A tenant's admin decides which accounts may authorise anchors and which Ed25519 keys sign its
/// evidence; anyone may submit an authorised anchor (a relayer pays the gas). Each
/// (tenantId, chainId) anchors at most once, so a verifier reading the logs sees one answer.
/// Ids are `keccak256(utf8(string id))` of the off-chain tenant, chain and key ids.
interface IProcessAnchorRegistry {
    /// @notice One anchor: what a tenant's signer authorises with an EIP-712 signature.
    /// @param tenantId keccak256 of the tenant's string id.
    /// @param chainId keccak256 of the chainscript's UUID.
    /// @param chainHash SHA-256 of the chain's concatenated packet hashes.
    /// @param ipfsCid CID of the chainscript's RFC 8785 bytes.
    /// @param signer The tenant's anchor signer (an EOA or an ERC-1271 contract wallet).
    /// @param recipient Receives the ERC-1155 certificate when `amount` > 0.
    /// @param amount Certificates to mint (0: none).
    /// @param deadline Last block timestamp at which the anchor may be submitted.
    struct Anchor {
        bytes32 tenantId;
        bytes32 chainId;
        bytes32 chainHash;
        string ipfsCid;
        address signer;
        address recipient;
        uint256 amount;
        uint64 deadline;
    }

    /// @notice A tenant's Ed25519 evidence-signing key and its validity window (unix seconds).
    /// A packet signed at time t and anchored at block time T was made by a then-valid key iff
    /// `validFrom <= t < validUntil` and, when revoked, `t < revokedAt` and `T < revocationRecordedAt`.
    /// @param publicKey The 32-byte Ed25519 public key (zero: no such key).
    /// @param validFrom First second at which signatures count.
    /// @param validUntil First second at which signatures no longer count.
    /// @param revokedAt Effective time of a revocation, which may be back-dated to the suspected compromise (0: not revoked).
    /// @param revocationRecordedAt Block timestamp at which the revocation was recorded (0: not revoked).
    struct SigningKey {
        bytes32 publicKey;
        uint64 validFrom;
        uint64 validUntil;
        uint64 revokedAt;
        uint64 revocationRecordedAt;
    }

    // ───────────────────────────── events ─────────────────────────────

    /// @notice The protocol's anchor event (DESIGN.md): `timestamp` is the block timestamp.
    event ProcessAnchored(
        bytes32 indexed tenantId,
        bytes32 indexed chainId,
        bytes32 chainHash,
        string ipfsCid,
        uint256 timestamp
    );
    /// @notice Who authorised the anchor of (tenantId, chainId): the EIP-712 signer, or the allowed signer that
    /// called {anchorDirect}. Emitted with every {ProcessAnchored} (whose shape the protocol fixes), so verifiers
    /// and indexers read the signer from the registry itself, never from a calling transaction's input, which a
    /// relay or forwarder contract can shape or hide.
    event AnchorAuthorised(bytes32 indexed tenantId, bytes32 indexed chainId, address indexed signer);
    /// @notice A tenant was registered with its first admin.
    event TenantRegistered(bytes32 indexed tenantId, address indexed admin);
    /// @notice The admin proposed a new admin, who must accept.
    event TenantAdminTransferStarted(
        bytes32 indexed tenantId,
        address indexed currentAdmin,
        address indexed pendingAdmin
    );
    /// @notice The pending admin accepted and is now the admin.
    event TenantAdminTransferred(bytes32 indexed tenantId, address indexed previousAdmin, address indexed newAdmin);
    /// @notice An account was allowed (or no longer allowed) to authorise the tenant's anchors.
    event AnchorSignerSet(bytes32 indexed tenantId, address indexed signer, bool allowed);
    /// @notice An Ed25519 evidence key was registered.
    event SigningKeyRegistered(
        bytes32 indexed tenantId,
        bytes32 indexed keyId,
        bytes32 publicKey,
        uint64 validFrom,
        uint64 validUntil
    );
    /// @notice An Ed25519 evidence key was revoked, effective at `revokedAt`.
    event SigningKeyRevoked(bytes32 indexed tenantId, bytes32 indexed keyId, uint64 revokedAt);
    /// @notice The registrar role moved (two-step).
    event RegistrarTransferStarted(address indexed currentRegistrar, address indexed pendingRegistrar);
    /// @notice The registrar role was accepted.
    event RegistrarTransferred(address indexed previousRegistrar, address indexed newRegistrar);

    // ───────────────────────────── errors ─────────────────────────────

    /// @notice (tenantId, chainId) was anchored before: no replay, no second answer.
    error AnchorAlreadyExists(bytes32 tenantId, bytes32 chainId);
    /// @notice The anchor's deadline has passed.
    error AnchorExpired(uint64 deadline, uint64 nowTs);
    /// @notice The signature is not the signer's over this anchor, chain and contract.
    error InvalidAnchorSignature(bytes32 tenantId, address signer);
    /// @notice The signer is not (or no longer) allowed to authorise anchors for the tenant.
    error SignerNotAllowed(bytes32 tenantId, address signer);
    /// @notice An anchor must name the chainscript it anchors.
    error EmptyIpfsCid(bytes32 tenantId, bytes32 chainId);
    /// @notice Certificates (amount > 0) need a recipient.
    error MissingCertificateRecipient(bytes32 tenantId, bytes32 chainId);
    /// @notice Anchors and signatures must pair up one to one.
    error LengthMismatch(uint256 anchors, uint256 signatures);
    /// @notice The tenant does not exist.
    error TenantNotRegistered(bytes32 tenantId);
    /// @notice The tenant exists already.
    error TenantAlreadyRegistered(bytes32 tenantId);
    /// @notice Only the tenant's admin may do this.
    error NotTenantAdmin(bytes32 tenantId, address caller);
    /// @notice Only the pending admin may accept the tenant's admin role.
    error NotPendingTenantAdmin(bytes32 tenantId, address caller);
    /// @notice Only the registrar may register tenants.
    error NotRegistrar(address caller);
    /// @notice Only the pending registrar may accept the role.
    error NotPendingRegistrar(address caller);
    /// @notice An address that must be set is zero.
    error ZeroAddress();
    /// @notice A key id can be registered once; keys are never replaced, only revoked.
    error SigningKeyAlreadyRegistered(bytes32 tenantId, bytes32 keyId);
    /// @notice No key with this id.
    error SigningKeyNotRegistered(bytes32 tenantId, bytes32 keyId);
    /// @notice The public key is zero or the window is empty.
    error InvalidSigningKey(bytes32 tenantId, bytes32 keyId);
    /// @notice The key was revoked before.
    error SigningKeyAlreadyRevoked(bytes32 tenantId, bytes32 keyId);
    /// @notice A revocation cannot take effect in the future.
    error InvalidRevocationTime(uint64 revokedAt, uint64 validFrom, uint64 nowTs);

    // ─────────────────────────── anchoring ────────────────────────────

    /// @notice Anchors a chainscript authorised by `anchorData.signer`'s EIP-712 signature. Callable by anyone.
    /// Mints `anchorData.amount` certificates (id {certificateId}) to `anchorData.recipient` when > 0.
    function anchor(Anchor calldata anchorData, bytes calldata signature) external;

    /// @notice Anchors several chainscripts; the same rules as {anchor} for each, all or nothing.
    function anchorBatch(Anchor[] calldata anchors, bytes[] calldata signatures) external;

    /// @notice Anchors as the signer itself: `msg.sender` must be `anchorData.signer` and allowed.
    function anchorDirect(Anchor calldata anchorData) external;

    /// @notice How many chainscripts the tenant has anchored: lets anyone check an index is complete.
    function anchorCount(bytes32 tenantId) external view returns (uint64);

    /// @notice The block in which (tenantId, chainId) was anchored (0: not anchored), so a verifier can
    /// read its ProcessAnchored log from that one block.
    function anchorBlock(bytes32 tenantId, bytes32 chainId) external view returns (uint64);

    /// @notice The EIP-712 digest a signer signs for `anchor`.
    function anchorDigest(Anchor calldata anchorData) external view returns (bytes32);

    /// @notice The EIP-712 typehash of `Anchor`.
    function anchorTypehash() external pure returns (bytes32);

    /// @notice The ERC-1155 token id of an anchor's certificate: uint256(keccak256(abi.encode(tenantId, chainId))).
    function certificateId(bytes32 tenantId, bytes32 chainId) external pure returns (uint256);

    /// @notice The contract's version, equal to its EIP-712 domain version.
    function version() external pure returns (string memory);

    // ───────────────────────────── tenants ─────────────────────────────

    /// @notice Registers a tenant with its first admin. Only the registrar; the registrar has no power
    /// over a tenant afterwards.
    function registerTenant(bytes32 tenantId, address admin) external;

    /// @notice Starts moving the tenant's admin role to `newAdmin` (zero cancels). Only the admin.
    function transferTenantAdmin(bytes32 tenantId, address newAdmin) external;

    /// @notice Completes the move. Only the pending admin.
    function acceptTenantAdmin(bytes32 tenantId) external;

    /// @notice Allows or disallows an anchor signer. Only the admin.
    function setAnchorSigner(bytes32 tenantId, address signer, bool allowed) external;

    /// @notice Registers an Ed25519 evidence key. Only the admin; a key id is registered once.
    function registerSigningKey(
        bytes32 tenantId,
        bytes32 keyId,
        bytes32 publicKey,
        uint64 validFrom,
        uint64 validUntil
    ) external;

    /// @notice Revokes a compromised key, effective at `revokedAt`, which may not be after now. A time before the
    /// key's validFrom is recorded as validFrom: the key is void from its start, so a leaked key registered for
    /// the future can be revoked before it ever becomes usable. Planned retirement is `validUntil`. Only the admin.
    function revokeSigningKey(bytes32 tenantId, bytes32 keyId, uint64 revokedAt) external;

    /// @notice The tenant's admin (zero: not registered) and pending admin.
    function tenantAdmin(bytes32 tenantId) external view returns (address admin, address pendingAdmin);

    /// @notice Whether `signer` may authorise anchors for the tenant.
    function isAnchorSigner(bytes32 tenantId, address signer) external view returns (bool);

    /// @notice The key's record (all zero when not registered).
    function signingKey(bytes32 tenantId, bytes32 keyId) external view returns (SigningKey memory);

    /// @notice Whether a packet signed at `signedAt` and anchored at block time `anchoredAt` was signed by a
    /// then-valid key, by the rule on {SigningKey}.
    function isKeyValidFor(
        bytes32 tenantId,
        bytes32 keyId,
        uint64 signedAt,
        uint64 anchoredAt
    ) external view returns (bool);

    // ──────────────────────────── registrar ────────────────────────────

    /// @notice Who may register tenants.
    function registrar() external view returns (address);

    /// @notice Starts moving the registrar role (zero cancels). Only the registrar.
    function transferRegistrar(address newRegistrar) external;

    /// @notice Completes the move. Only the pending registrar.
    function acceptRegistrar() external;
}

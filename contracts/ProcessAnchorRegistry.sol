// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {ERC1155} from "@openzeppelin/contracts/token/ERC1155/ERC1155.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {IProcessAnchorRegistry} from "./interfaces/IProcessAnchorRegistry.sol";

/// @title ProcessAnchorRegistry
/// @notice Anchors Proof of Process chainscripts on Base: EIP-712-authorised anchors, tenant identity
/// with anchor signers and Ed25519 key history, and ERC-1155 certificates. No proxy: what a verifier
/// trusts cannot be swapped under it.
contract ProcessAnchorRegistry is IProcessAnchorRegistry, ERC1155, EIP712 {
    string private constant _NAME = "ProcessAnchorRegistry";
    string private constant _VERSION = "1";

    /// @dev keccak256("Anchor(bytes32 tenantId,bytes32 chainId,bytes32 chainHash,string ipfsCid,address signer,address recipient,uint256 amount,uint64 deadline)")
    bytes32 private constant _ANCHOR_TYPEHASH = keccak256(
        "Anchor(bytes32 tenantId,bytes32 chainId,bytes32 chainHash,string ipfsCid,address signer,address recipient,uint256 amount,uint64 deadline)"
    );

    /// @dev Admin and anchor count share one slot: an anchor reads the admin and bumps the count in one access.
    struct Tenant {
        address admin;
        uint64 anchorCount;
    }

    mapping(bytes32 tenantId => Tenant) private _tenants;
    mapping(bytes32 tenantId => address) private _pendingAdmins;
    mapping(bytes32 tenantId => mapping(address signer => bool)) private _anchorSigners;
    mapping(bytes32 tenantId => mapping(bytes32 keyId => SigningKey)) private _signingKeys;
    /// @dev Keyed by the certificate id: one hash names the anchor and its token.
    mapping(uint256 certificateId => uint64 blockNumber) private _anchorBlocks;

    address private _registrar;
    address private _pendingRegistrar;

    /// @param baseUri ERC-1155 metadata URI with the `{id}` template, e.g. "https://audit.example/metadata/{id}.json".
    /// @param registrar_ The account that registers tenants (see docs/decisions/005-registry-tenants-and-keys.md).
    constructor(string memory baseUri, address registrar_) ERC1155(baseUri) EIP712(_NAME, _VERSION) {
        if (registrar_ == address(0)) revert ZeroAddress();
        _registrar = registrar_;
        emit RegistrarTransferred(address(0), registrar_);
    }

    // ─────────────────────────── anchoring ────────────────────────────

    /// @inheritdoc IProcessAnchorRegistry
    function anchor(Anchor calldata anchorData, bytes calldata signature) external {
        uint256 id = _anchor(anchorData, signature, true);
        if (anchorData.amount > 0) _mint(anchorData.recipient, id, anchorData.amount, "");
    }

    /// @inheritdoc IProcessAnchorRegistry
    function anchorBatch(Anchor[] calldata anchors, bytes[] calldata signatures) external {
        if (anchors.length != signatures.length) revert LengthMismatch(anchors.length, signatures.length);
        uint256[] memory ids = new uint256[](anchors.length);
        for (uint256 i = 0; i < anchors.length; ++i) {
            ids[i] = _anchor(anchors[i], signatures[i], true);
        }
        // Certificates go out only after every anchor's state is written.
        for (uint256 i = 0; i < anchors.length; ++i) {
            if (anchors[i].amount > 0) _mint(anchors[i].recipient, ids[i], anchors[i].amount, "");
        }
    }

    /// @inheritdoc IProcessAnchorRegistry
    function anchorDirect(Anchor calldata anchorData) external {
        uint256 id = _anchor(anchorData, msg.data[0:0], false);
        if (anchorData.amount > 0) _mint(anchorData.recipient, id, anchorData.amount, "");
    }

    /// @dev The one core of every anchoring entry point: checks, state, event. Minting is the caller's,
    /// after all state changes.
    function _anchor(Anchor calldata a, bytes calldata signature, bool signed) private returns (uint256 id) {
        uint64 nowTs = _time();
        if (a.deadline < nowTs) revert AnchorExpired(a.deadline, nowTs);
        if (bytes(a.ipfsCid).length == 0) revert EmptyIpfsCid(a.tenantId, a.chainId);
        if (a.amount > 0 && a.recipient == address(0)) revert MissingCertificateRecipient(a.tenantId, a.chainId);
        Tenant storage tenant = _tenants[a.tenantId];
        if (tenant.admin == address(0)) revert TenantNotRegistered(a.tenantId);
        id = _certificateId(a.tenantId, a.chainId);
        if (_anchorBlocks[id] != 0) revert AnchorAlreadyExists(a.tenantId, a.chainId);
        if (!_anchorSigners[a.tenantId][a.signer]) revert SignerNotAllowed(a.tenantId, a.signer);
        if (signed) {
            if (!SignatureChecker.isValidSignatureNow(a.signer, _hashAnchor(a), signature)) {
                revert InvalidAnchorSignature(a.tenantId, a.signer);
            }
        } else if (msg.sender != a.signer) {
            revert SignerNotAllowed(a.tenantId, msg.sender);
        }
        _anchorBlocks[id] = uint64(block.number);
        unchecked {
            ++tenant.anchorCount; // 2^64 anchors are out of reach
        }
        emit AnchorAuthorised(a.tenantId, a.chainId, a.signer);
        emit ProcessAnchored(a.tenantId, a.chainId, a.chainHash, a.ipfsCid, block.timestamp);
    }

    function _hashAnchor(Anchor calldata a) private view returns (bytes32) {
        return
            _hashTypedDataV4(
                keccak256(
                    abi.encode(
                        _ANCHOR_TYPEHASH,
                        a.tenantId,
                        a.chainId,
                        a.chainHash,
                        keccak256(bytes(a.ipfsCid)),
                        a.signer,
                        a.recipient,
                        a.amount,
                        a.deadline
                    )
                )
            );
    }

    function _certificateId(bytes32 tenantId, bytes32 chainId) private pure returns (uint256) {
        return uint256(keccak256(abi.encode(tenantId, chainId)));
    }

    /// @dev Block time, overridable for tests.
    function _time() internal view virtual returns (uint64) {
        return uint64(block.timestamp);
    }

    /// @inheritdoc IProcessAnchorRegistry
    function anchorCount(bytes32 tenantId) external view returns (uint64) {
        return _tenants[tenantId].anchorCount;
    }

    /// @inheritdoc IProcessAnchorRegistry
    function anchorBlock(bytes32 tenantId, bytes32 chainId) external view returns (uint64) {
        return _anchorBlocks[_certificateId(tenantId, chainId)];
    }

    /// @inheritdoc IProcessAnchorRegistry
    function anchorDigest(Anchor calldata anchorData) external view returns (bytes32) {
        return _hashAnchor(anchorData);
    }

    /// @inheritdoc IProcessAnchorRegistry
    function anchorTypehash() external pure returns (bytes32) {
        return _ANCHOR_TYPEHASH;
    }

    /// @inheritdoc IProcessAnchorRegistry
    function certificateId(bytes32 tenantId, bytes32 chainId) external pure returns (uint256) {
        return _certificateId(tenantId, chainId);
    }

    /// @inheritdoc IProcessAnchorRegistry
    function version() external pure returns (string memory) {
        return _VERSION;
    }

    // ───────────────────────────── tenants ─────────────────────────────

    modifier onlyTenantAdmin(bytes32 tenantId) {
        if (_tenants[tenantId].admin != msg.sender) revert NotTenantAdmin(tenantId, msg.sender);
        _;
    }

    /// @inheritdoc IProcessAnchorRegistry
    function registerTenant(bytes32 tenantId, address admin) external {
        if (msg.sender != _registrar) revert NotRegistrar(msg.sender);
        if (admin == address(0)) revert ZeroAddress();
        if (_tenants[tenantId].admin != address(0)) revert TenantAlreadyRegistered(tenantId);
        _tenants[tenantId].admin = admin;
        emit TenantRegistered(tenantId, admin);
    }

    /// @inheritdoc IProcessAnchorRegistry
    function transferTenantAdmin(bytes32 tenantId, address newAdmin) external onlyTenantAdmin(tenantId) {
        _pendingAdmins[tenantId] = newAdmin;
        emit TenantAdminTransferStarted(tenantId, msg.sender, newAdmin);
    }

    /// @inheritdoc IProcessAnchorRegistry
    function acceptTenantAdmin(bytes32 tenantId) external {
        if (msg.sender != _pendingAdmins[tenantId] || msg.sender == address(0)) {
            revert NotPendingTenantAdmin(tenantId, msg.sender);
        }
        address previous = _tenants[tenantId].admin;
        _tenants[tenantId].admin = msg.sender;
        delete _pendingAdmins[tenantId];
        emit TenantAdminTransferred(tenantId, previous, msg.sender);
    }

    /// @inheritdoc IProcessAnchorRegistry
    function setAnchorSigner(bytes32 tenantId, address signer, bool allowed) external onlyTenantAdmin(tenantId) {
        if (signer == address(0)) revert ZeroAddress();
        _anchorSigners[tenantId][signer] = allowed;
        emit AnchorSignerSet(tenantId, signer, allowed);
    }

    /// @inheritdoc IProcessAnchorRegistry
    function registerSigningKey(
        bytes32 tenantId,
        bytes32 keyId,
        bytes32 publicKey,
        uint64 validFrom,
        uint64 validUntil
    ) external onlyTenantAdmin(tenantId) {
        SigningKey storage key = _signingKeys[tenantId][keyId];
        if (key.publicKey != bytes32(0)) revert SigningKeyAlreadyRegistered(tenantId, keyId);
        if (publicKey == bytes32(0) || validUntil <= validFrom) revert InvalidSigningKey(tenantId, keyId);
        key.publicKey = publicKey;
        key.validFrom = validFrom;
        key.validUntil = validUntil;
        emit SigningKeyRegistered(tenantId, keyId, publicKey, validFrom, validUntil);
    }

    /// @inheritdoc IProcessAnchorRegistry
    function revokeSigningKey(bytes32 tenantId, bytes32 keyId, uint64 revokedAt) external onlyTenantAdmin(tenantId) {
        SigningKey storage key = _signingKeys[tenantId][keyId];
        if (key.publicKey == bytes32(0)) revert SigningKeyNotRegistered(tenantId, keyId);
        if (key.revocationRecordedAt != 0) revert SigningKeyAlreadyRevoked(tenantId, keyId);
        uint64 nowTs = _time();
        if (revokedAt > nowTs) revert InvalidRevocationTime(revokedAt, key.validFrom, nowTs);
        // Before its start means from its start: the key never signed anything valid.
        if (revokedAt < key.validFrom) revokedAt = key.validFrom;
        key.revokedAt = revokedAt;
        key.revocationRecordedAt = nowTs;
        emit SigningKeyRevoked(tenantId, keyId, revokedAt);
    }

    /// @inheritdoc IProcessAnchorRegistry
    function tenantAdmin(bytes32 tenantId) external view returns (address admin, address pendingAdmin) {
        return (_tenants[tenantId].admin, _pendingAdmins[tenantId]);
    }

    /// @inheritdoc IProcessAnchorRegistry
    function isAnchorSigner(bytes32 tenantId, address signer) external view returns (bool) {
        return _anchorSigners[tenantId][signer];
    }

    /// @inheritdoc IProcessAnchorRegistry
    function signingKey(bytes32 tenantId, bytes32 keyId) external view returns (SigningKey memory) {
        return _signingKeys[tenantId][keyId];
    }

    /// @inheritdoc IProcessAnchorRegistry
    function isKeyValidFor(
        bytes32 tenantId,
        bytes32 keyId,
        uint64 signedAt,
        uint64 anchoredAt
    ) external view returns (bool) {
        SigningKey storage key = _signingKeys[tenantId][keyId];
        if (key.publicKey == bytes32(0) || signedAt < key.validFrom || signedAt >= key.validUntil) return false;
        if (key.revocationRecordedAt == 0) return true;
        return signedAt < key.revokedAt && anchoredAt < key.revocationRecordedAt;
    }

    // ──────────────────────────── registrar ────────────────────────────

    /// @inheritdoc IProcessAnchorRegistry
    function registrar() external view returns (address) {
        return _registrar;
    }

    /// @inheritdoc IProcessAnchorRegistry
    function transferRegistrar(address newRegistrar) external {
        if (msg.sender != _registrar) revert NotRegistrar(msg.sender);
        _pendingRegistrar = newRegistrar;
        emit RegistrarTransferStarted(msg.sender, newRegistrar);
    }

    /// @inheritdoc IProcessAnchorRegistry
    function acceptRegistrar() external {
        if (msg.sender != _pendingRegistrar || msg.sender == address(0)) revert NotPendingRegistrar(msg.sender);
        emit RegistrarTransferred(_registrar, msg.sender);
        _registrar = msg.sender;
        delete _pendingRegistrar;
    }
}

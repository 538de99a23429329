// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {ProcessAnchorRegistry} from "../../../contracts/ProcessAnchorRegistry.sol";
import {IProcessAnchorRegistry} from "../../../contracts/interfaces/IProcessAnchorRegistry.sol";
import {Test} from "./Test.sol";

/// @notice A registry with one tenant whose admin allowed one EOA anchor signer, and helpers that build
/// and sign anchors for it.
abstract contract RegistryFixture is Test {
    string internal constant BASE_URI = "https://audit.example/metadata/{id}.json";
    string internal constant IPFS_CID = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy";
    bytes32 internal constant TENANT = keccak256("tenant-acme");
    bytes32 internal constant PROCESS_ANCHORED_TOPIC = keccak256(
        "ProcessAnchored(bytes32,bytes32,bytes32,string,uint256)"
    );

    uint256 internal constant SIGNER_KEY = 0x51A7E5;
    uint256 internal constant OTHER_KEY = 0x0BADC0DE;

    address internal constant REGISTRAR = address(0x4E6157);
    address internal constant ADMIN = address(0xAD3141);
    address internal constant RECIPIENT = address(0xCE47);
    address internal constant RELAYER = address(0x4E1A7);
    address internal constant STRANGER = address(0x5743A6);

    ProcessAnchorRegistry internal registry;
    address internal signer;
    address internal otherSigner;

    function setUp() public virtual {
        vm.warp(1_750_000_000);
        vm.roll(100);
        signer = vm.addr(SIGNER_KEY);
        otherSigner = vm.addr(OTHER_KEY);
        registry = _deployRegistry();
    }

    /// @dev A fresh registry set up like `registry`: TENANT registered to ADMIN, `signer` allowed.
    function _deployRegistry() internal returns (ProcessAnchorRegistry deployed) {
        deployed = new ProcessAnchorRegistry(BASE_URI, REGISTRAR);
        vm.prank(REGISTRAR);
        deployed.registerTenant(TENANT, ADMIN);
        vm.prank(ADMIN);
        deployed.setAnchorSigner(TENANT, signer, true);
    }

    function _chainId(uint256 n) internal pure returns (bytes32) {
        return keccak256(abi.encode("chain", n));
    }

    /// @dev An anchor of TENANT's `chainId` by `signer`, one certificate to RECIPIENT, an hour to submit.
    function _anchorData(bytes32 chainId) internal view returns (IProcessAnchorRegistry.Anchor memory) {
        return
            IProcessAnchorRegistry.Anchor({
                tenantId: TENANT,
                chainId: chainId,
                chainHash: sha256(abi.encode(chainId)),
                ipfsCid: IPFS_CID,
                signer: signer,
                recipient: RECIPIENT,
                amount: 1,
                deadline: uint64(block.timestamp + 1 hours)
            });
    }

    function _copy(
        IProcessAnchorRegistry.Anchor memory a
    ) internal pure returns (IProcessAnchorRegistry.Anchor memory) {
        return
            IProcessAnchorRegistry.Anchor({
                tenantId: a.tenantId,
                chainId: a.chainId,
                chainHash: a.chainHash,
                ipfsCid: a.ipfsCid,
                signer: a.signer,
                recipient: a.recipient,
                amount: a.amount,
                deadline: a.deadline
            });
    }

    /// @dev `key`'s EIP-712 signature of `a` for `target`, as `abi.encodePacked(r, s, v)`.
    function _sign(
        ProcessAnchorRegistry target,
        uint256 key,
        IProcessAnchorRegistry.Anchor memory a
    ) internal view returns (bytes memory) {
        return _signDigest(key, target.anchorDigest(a));
    }

    function _signDigest(uint256 key, bytes32 digest) internal pure returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, digest);
        return abi.encodePacked(r, s, v);
    }

    function _certificateId(bytes32 tenantId, bytes32 chainId) internal pure returns (uint256) {
        return uint256(keccak256(abi.encode(tenantId, chainId)));
    }

    function _err(bytes4 selector, bytes32 tenantId, address account) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(selector, tenantId, account);
    }
}

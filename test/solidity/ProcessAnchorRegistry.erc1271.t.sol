// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IProcessAnchorRegistry} from "../../contracts/interfaces/IProcessAnchorRegistry.sol";
import {RegistryFixture} from "./utils/RegistryFixture.sol";

/// @notice A minimal ERC-1271 contract wallet: valid signatures are its owner key's ECDSA signatures.
contract OwnerWallet {
    bytes4 internal constant MAGIC_VALUE = 0x1626ba7e; // IERC1271.isValidSignature.selector

    address public owner;

    constructor(address owner_) {
        owner = owner_;
    }

    function isValidSignature(bytes32 hash, bytes calldata signature) external view returns (bytes4) {
        if (signature.length != 65) return 0xffffffff;
        bytes32 r = bytes32(signature[0:32]);
        bytes32 s = bytes32(signature[32:64]);
        uint8 v = uint8(signature[64]);
        address recovered = ecrecover(hash, v, r, s);
        return recovered != address(0) && recovered == owner ? MAGIC_VALUE : bytes4(0xffffffff);
    }
}

/// @notice A contract wallet allowed as the tenant's anchor signer (SignatureChecker's ERC-1271 path).
contract ProcessAnchorRegistryErc1271Test is RegistryFixture {
    uint256 internal constant OWNER_KEY = 0x0E4E5;

    OwnerWallet internal wallet;

    function setUp() public override {
        super.setUp();
        wallet = new OwnerWallet(vm.addr(OWNER_KEY));
        vm.prank(ADMIN);
        registry.setAnchorSigner(TENANT, address(wallet), true);
    }

    function test_anchor_acceptsWalletOwnerSignature() public {
        IProcessAnchorRegistry.Anchor memory a = _walletAnchor(_chainId(1));
        bytes memory signature = _sign(registry, OWNER_KEY, a);

        vm.expectEmit(true, true, false, true, address(registry));
        emit IProcessAnchorRegistry.ProcessAnchored(TENANT, a.chainId, a.chainHash, IPFS_CID, block.timestamp);
        vm.prank(RELAYER);
        registry.anchor(a, signature);

        assertEq(registry.anchorCount(TENANT), 1, "anchorCount");
        assertEq(registry.anchorBlock(TENANT, a.chainId), block.number, "anchorBlock");
    }

    function test_anchor_rejectsAnotherKeyForWallet() public {
        IProcessAnchorRegistry.Anchor memory a = _walletAnchor(_chainId(1));
        bytes memory signature = _sign(registry, SIGNER_KEY, a); // an allowed EOA's key, not the wallet owner's

        vm.expectRevert(_err(IProcessAnchorRegistry.InvalidAnchorSignature.selector, TENANT, address(wallet)));
        registry.anchor(a, signature);
        assertEq(registry.anchorCount(TENANT), 0, "anchorCount");
    }

    function test_anchor_rejectsOwnerSignatureForAnotherAnchor() public {
        IProcessAnchorRegistry.Anchor memory a = _walletAnchor(_chainId(1));
        bytes memory signature = _sign(registry, OWNER_KEY, a);
        a.amount = 1000;

        vm.expectRevert(_err(IProcessAnchorRegistry.InvalidAnchorSignature.selector, TENANT, address(wallet)));
        registry.anchor(a, signature);
    }

    function test_anchor_rejectsOwnerAsSignerItself() public {
        IProcessAnchorRegistry.Anchor memory a = _anchorData(_chainId(1));
        a.signer = wallet.owner();
        bytes memory signature = _sign(registry, OWNER_KEY, a);

        vm.expectRevert(_err(IProcessAnchorRegistry.SignerNotAllowed.selector, TENANT, wallet.owner()));
        registry.anchor(a, signature);
    }

    function _walletAnchor(bytes32 chainId) private view returns (IProcessAnchorRegistry.Anchor memory a) {
        a = _anchorData(chainId);
        a.signer = address(wallet);
    }
}

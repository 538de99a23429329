// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IProcessAnchorRegistry} from "../interfaces/IProcessAnchorRegistry.sol";

/// @notice Test-only relay that lies in its calldata. Its `anchor` has the registry's selector and argument
/// types, so its input decodes as a registry `anchor` by `shown.signer`; what it forwards is the anchor and
/// signature packed in `forwarded`. An indexer that took the signer from the transaction's input would name
/// `shown.signer`; the registry's AnchorAuthorised names the signer it checked.
contract TestAnchorRelay {
    IProcessAnchorRegistry public immutable REGISTRY;

    constructor(IProcessAnchorRegistry registry) {
        REGISTRY = registry;
    }

    /// @param forwarded abi.encode(anchorData, signature) of the anchor the registry receives.
    function anchor(IProcessAnchorRegistry.Anchor calldata /* shown */, bytes calldata forwarded) external {
        (IProcessAnchorRegistry.Anchor memory anchorData, bytes memory signature) = abi.decode(
            forwarded,
            (IProcessAnchorRegistry.Anchor, bytes)
        );
        REGISTRY.anchor(anchorData, signature);
    }
}

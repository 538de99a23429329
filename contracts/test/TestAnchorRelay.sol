// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IProcessAnchorRegistry} from "../interfaces/IProcessAnchorRegistry.sol";

/// @notice Test-only relay of anchors, as an attacker would deploy one. Its `anchor` has the registry's own selector
/// and argument types, so a decoder of the transaction's input reads the anchor it *shows*, while the registry gets
/// another one, signed by someone else; `forward` is a plain forwarder whose input names no signer at all. Only the
/// registry's AnchorAuthorised event says who really authorised the anchor.
contract TestAnchorRelay {
    IProcessAnchorRegistry public immutable REGISTRY;

    /// @notice The forwarded call reverted; `reason` is the registry's revert data.
    error ForwardFailed(bytes reason);

    constructor(IProcessAnchorRegistry registry) {
        REGISTRY = registry;
    }

    /// @notice Anchors `payload` = abi.encode(Anchor, signature); the first argument is only for show.
    function anchor(IProcessAnchorRegistry.Anchor calldata, bytes calldata payload) external {
        (IProcessAnchorRegistry.Anchor memory actual, bytes memory signature) = abi.decode(
            payload,
            (IProcessAnchorRegistry.Anchor, bytes)
        );
        REGISTRY.anchor(actual, signature);
    }

    /// @notice Calls the registry with `data` as it is, like a multisig or meta-transaction forwarder.
    function forward(bytes calldata data) external {
        // A forwarder passes arbitrary calls on: a low-level call is what it is.
        // solhint-disable-next-line avoid-low-level-calls
        (bool ok, bytes memory reason) = address(REGISTRY).call(data);
        if (!ok) revert ForwardFailed(reason);
    }
}

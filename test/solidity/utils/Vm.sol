// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @dev Where the test runner answers cheatcode calls.
address constant VM_ADDRESS = address(uint160(uint256(keccak256("hevm cheat code"))));

/// @notice The Foundry cheatcodes these tests use (standard signatures; forge-std is not a dependency).
// solhint-disable-next-line interface-starts-with-i
interface Vm {
    /// @notice One emitted log, as `getRecordedLogs` returns it.
    struct Log {
        bytes32[] topics;
        bytes data;
        address emitter;
    }

    // ─────────────────────────── environment ───────────────────────────

    function warp(uint256 newTimestamp) external;

    function roll(uint256 newHeight) external;

    function chainId(uint256 newChainId) external;

    function prank(address msgSender) external;

    function startPrank(address msgSender) external;

    function stopPrank() external;

    // ──────────────────────────── keys ─────────────────────────────

    function addr(uint256 privateKey) external pure returns (address keyAddr);

    function sign(uint256 privateKey, bytes32 digest) external pure returns (uint8 v, bytes32 r, bytes32 s);

    // ────────────────────────── expectations ───────────────────────────

    function expectRevert(bytes calldata revertData) external;

    function expectEmit(bool checkTopic1, bool checkTopic2, bool checkTopic3, bool checkData, address emitter) external;

    function recordLogs() external;

    function getRecordedLogs() external returns (Log[] memory logs);

    function assume(bool condition) external pure;

    // ─────────────────────────── formatting ────────────────────────────

    function toString(uint256 value) external pure returns (string memory);

    function toString(bytes32 value) external pure returns (string memory);

    function toString(address value) external pure returns (string memory);

    function toString(bool value) external pure returns (string memory);
}

// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title ERC-7053: interoperable digital media indexing
/// @notice The commit interface of Numbers Protocol's commit contract (see shared/NUMBERS.md).
interface IERC7053 {
    /// @notice A commit of `assetCid` by `recorder`. `assetCid` is indexed, so logs hold only its keccak256;
    /// readers recover the CID from the transaction input.
    event Commit(address indexed recorder, string indexed assetCid, string commitData);

    /// @notice Records a commit for an asset and returns the block it was recorded in.
    function commit(string calldata assetCid, string calldata commitData) external returns (uint256 blockNumber);

    /// @notice The block numbers of every commit of `assetCid`, oldest first.
    function getCommits(string calldata assetCid) external view returns (uint256[] memory);
}

// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IERC7053} from "./interfaces/IERC7053.sol";

/// @title The ERC-7053 commit register of the local Numbers Mainnet stand-in
/// @notice Deployed only on the local simulated chain (id 31338); on Numbers Mainnet the project talks
/// to Numbers' own commit contract, whose address is configuration.
contract CommitRegister is IERC7053 {
    mapping(bytes32 assetCidHash => uint256[] blockNumbers) private _commits;

    /// @notice An asset CID must not be empty.
    error EmptyAssetCid();

    /// @inheritdoc IERC7053
    function commit(string calldata assetCid, string calldata commitData) external returns (uint256 blockNumber) {
        if (bytes(assetCid).length == 0) revert EmptyAssetCid();
        _commits[keccak256(bytes(assetCid))].push(block.number);
        emit Commit(msg.sender, assetCid, commitData);
        return block.number;
    }

    /// @inheritdoc IERC7053
    function getCommits(string calldata assetCid) external view returns (uint256[] memory) {
        return _commits[keccak256(bytes(assetCid))];
    }
}

// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {CommitRegister} from "../../contracts/CommitRegister.sol";
import {IERC7053} from "../../contracts/interfaces/IERC7053.sol";
import {Test} from "./utils/Test.sol";
import {Vm} from "./utils/Vm.sol";

/// @notice The local ERC-7053 commit register.
contract CommitRegisterTest is Test {
    string internal constant CID_A = "bafkreiasseta";
    string internal constant CID_B = "bafkreiassetb";
    string internal constant COMMIT_DATA = "action=anchor;chainId=0x01";
    address internal constant RECORDER = address(0x4EC04D);

    CommitRegister internal register;

    function setUp() public {
        register = new CommitRegister();
    }

    function test_commit_emitsCommit() public {
        vm.expectEmit(true, true, false, true, address(register));
        emit IERC7053.Commit(RECORDER, CID_A, COMMIT_DATA);
        vm.prank(RECORDER);
        register.commit(CID_A, COMMIT_DATA);
    }

    function test_commit_indexesCidByItsHash() public {
        vm.recordLogs();
        vm.prank(RECORDER);
        register.commit(CID_A, COMMIT_DATA);
        Vm.Log[] memory logs = vm.getRecordedLogs();

        assertEq(logs.length, 1, "logs");
        assertEq(logs[0].emitter, address(register), "emitter");
        assertEq(logs[0].topics.length, 3, "topics");
        assertEq(logs[0].topics[0], keccak256("Commit(address,string,string)"), "topic0");
        assertEq(logs[0].topics[1], bytes32(uint256(uint160(RECORDER))), "recorder topic");
        assertEq(logs[0].topics[2], keccak256(bytes(CID_A)), "assetCid topic");
        assertEq(abi.decode(logs[0].data, (string)), COMMIT_DATA, "commitData");
    }

    function test_commit_returnsBlockNumber() public {
        vm.roll(777);
        assertEq(register.commit(CID_A, COMMIT_DATA), 777, "returned block number");
    }

    function test_getCommits_listsBlocksInOrder() public {
        uint256[4] memory blocks = [uint256(10), 20, 20, 35];
        for (uint256 i = 0; i < blocks.length; ++i) {
            vm.roll(blocks[i]);
            register.commit(CID_A, COMMIT_DATA);
        }

        uint256[] memory commits = register.getCommits(CID_A);
        assertEq(commits.length, blocks.length, "commits");
        for (uint256 i = 0; i < blocks.length; ++i) {
            assertEq(commits[i], blocks[i], "commit block");
        }
    }

    function test_getCommits_keepsCidsSeparate() public {
        vm.roll(5);
        register.commit(CID_A, COMMIT_DATA);
        vm.roll(6);
        register.commit(CID_B, COMMIT_DATA);
        vm.roll(7);
        register.commit(CID_A, "");

        uint256[] memory a = register.getCommits(CID_A);
        uint256[] memory b = register.getCommits(CID_B);
        assertEq(a.length, 2, "commits of A");
        assertEq(a[0], 5, "first commit of A");
        assertEq(a[1], 7, "second commit of A");
        assertEq(b.length, 1, "commits of B");
        assertEq(b[0], 6, "commit of B");
        assertEq(register.getCommits("bafkreinever").length, 0, "commits of an uncommitted CID");
    }

    function testFuzz_commit_recordsEveryCommit(uint8 countSeed, uint256 firstBlock, string calldata cid) public {
        vm.assume(bytes(cid).length > 0);
        uint256 n = bound(countSeed, 1, 16);
        firstBlock = bound(firstBlock, 1, type(uint64).max);
        for (uint256 i = 0; i < n; ++i) {
            vm.roll(firstBlock + i);
            assertEq(register.commit(cid, COMMIT_DATA), firstBlock + i, "returned block number");
        }

        uint256[] memory commits = register.getCommits(cid);
        assertEq(commits.length, n, "commits");
        for (uint256 i = 0; i < n; ++i) {
            assertEq(commits[i], firstBlock + i, "commit block");
        }
    }

    function test_commit_revertsOnEmptyCid() public {
        vm.expectRevert(abi.encodeWithSelector(CommitRegister.EmptyAssetCid.selector));
        register.commit("", COMMIT_DATA);
        assertEq(register.getCommits("").length, 0, "commits of the empty CID");
    }
}

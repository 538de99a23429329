// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {VM_ADDRESS, Vm} from "./Vm.sol";

/// @notice The small base every Solidity test here extends: cheatcodes, assertions that revert with
/// what was expected and what was got, `bound` for fuzz inputs, and invariant target selection.
abstract contract Test {
    /// @notice `bound` was asked for an empty range.
    error BoundMinAboveMax(uint256 min, uint256 max);

    // solhint-disable-next-line const-name-snakecase
    Vm internal constant vm = Vm(VM_ADDRESS);

    /// @dev A double quote, spelled in hex so formatter and linter agree on the literal.
    string private constant _QUOTE = hex"22";

    address[] private _targetedContracts;

    // ─────────────────────────── invariants ────────────────────────────

    /// @notice Read by the invariant runner: only these contracts receive fuzzed calls (empty: all).
    function targetContracts() public view returns (address[] memory) {
        return _targetedContracts;
    }

    function targetContract(address target) internal {
        _targetedContracts.push(target);
    }

    // ─────────────────────────── assertions ────────────────────────────

    function assertEq(uint256 got, uint256 want) internal pure {
        assertEq(got, want, "assertEq(uint256)");
    }

    function assertEq(uint256 got, uint256 want, string memory what) internal pure {
        if (got != want) _fail(what, vm.toString(got), vm.toString(want));
    }

    function assertEq(bytes32 got, bytes32 want) internal pure {
        assertEq(got, want, "assertEq(bytes32)");
    }

    function assertEq(bytes32 got, bytes32 want, string memory what) internal pure {
        if (got != want) _fail(what, vm.toString(got), vm.toString(want));
    }

    function assertEq(address got, address want) internal pure {
        assertEq(got, want, "assertEq(address)");
    }

    function assertEq(address got, address want, string memory what) internal pure {
        if (got != want) _fail(what, vm.toString(got), vm.toString(want));
    }

    function assertEq(bool got, bool want) internal pure {
        assertEq(got, want, "assertEq(bool)");
    }

    function assertEq(bool got, bool want, string memory what) internal pure {
        if (got != want) _fail(what, vm.toString(got), vm.toString(want));
    }

    function assertEq(string memory got, string memory want) internal pure {
        assertEq(got, want, "assertEq(string)");
    }

    function assertEq(string memory got, string memory want, string memory what) internal pure {
        if (keccak256(bytes(got)) != keccak256(bytes(want))) {
            _fail(what, string.concat(_QUOTE, got, _QUOTE), string.concat(_QUOTE, want, _QUOTE));
        }
    }

    function assertTrue(bool condition) internal pure {
        assertTrue(condition, "assertTrue");
    }

    function assertTrue(bool condition, string memory what) internal pure {
        if (!condition) revert(string.concat(what, ": expected true, got false"));
    }

    function assertFalse(bool condition) internal pure {
        assertFalse(condition, "assertFalse");
    }

    function assertFalse(bool condition, string memory what) internal pure {
        if (condition) revert(string.concat(what, ": expected false, got true"));
    }

    function _fail(string memory what, string memory got, string memory want) private pure {
        revert(string.concat(what, ": expected ", want, ", got ", got));
    }

    // ─────────────────────────── fuzz inputs ───────────────────────────

    /// @notice Maps `x` into [min, max]: unchanged when already inside, else wrapped by the range size.
    function bound(uint256 x, uint256 min, uint256 max) internal pure returns (uint256) {
        if (min > max) revert BoundMinAboveMax(min, max);
        if (x >= min && x <= max) return x;
        // Not the full uint256 range (x would be inside), so the size does not overflow.
        uint256 size = max - min + 1;
        return min + (x % size);
    }
}

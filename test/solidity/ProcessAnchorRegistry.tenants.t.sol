// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {ProcessAnchorRegistry} from "../../contracts/ProcessAnchorRegistry.sol";
import {IProcessAnchorRegistry} from "../../contracts/interfaces/IProcessAnchorRegistry.sol";
import {RegistryFixture} from "./utils/RegistryFixture.sol";

/// @notice Tenant registration, the tenant admin's two-step transfer, and the registrar role.
contract ProcessAnchorRegistryTenantsTest is RegistryFixture {
    bytes32 internal constant NEW_TENANT = keccak256("tenant-new");
    bytes32 internal constant KEY_ID = keccak256("key-1");
    address internal constant NEW_ADMIN = address(0x9E3AD3);
    address internal constant NEW_REGISTRAR = address(0x9E4E61);

    // ──────────────────────────── registration ─────────────────────────────

    function test_constructor_revertsForZeroRegistrar() public {
        vm.expectRevert(abi.encodeWithSelector(IProcessAnchorRegistry.ZeroAddress.selector));
        new ProcessAnchorRegistry(BASE_URI, address(0));
    }

    function test_registerTenant_registersAdmin() public {
        vm.expectEmit(true, true, false, true, address(registry));
        emit IProcessAnchorRegistry.TenantRegistered(NEW_TENANT, NEW_ADMIN);
        vm.prank(REGISTRAR);
        registry.registerTenant(NEW_TENANT, NEW_ADMIN);

        (address admin, address pending) = registry.tenantAdmin(NEW_TENANT);
        assertEq(admin, NEW_ADMIN, "admin");
        assertEq(pending, address(0), "pending admin");
        assertEq(registry.anchorCount(NEW_TENANT), 0, "anchorCount");
    }

    function testFuzz_registerTenant_revertsForNonRegistrar(address caller) public {
        vm.assume(caller != REGISTRAR);

        vm.expectRevert(abi.encodeWithSelector(IProcessAnchorRegistry.NotRegistrar.selector, caller));
        vm.prank(caller);
        registry.registerTenant(NEW_TENANT, NEW_ADMIN);
    }

    function test_registerTenant_revertsWhenAlreadyRegistered() public {
        vm.expectRevert(abi.encodeWithSelector(IProcessAnchorRegistry.TenantAlreadyRegistered.selector, TENANT));
        vm.prank(REGISTRAR);
        registry.registerTenant(TENANT, NEW_ADMIN);

        (address admin, ) = registry.tenantAdmin(TENANT);
        assertEq(admin, ADMIN, "admin unchanged");
    }

    function test_registerTenant_revertsForZeroAdmin() public {
        vm.expectRevert(abi.encodeWithSelector(IProcessAnchorRegistry.ZeroAddress.selector));
        vm.prank(REGISTRAR);
        registry.registerTenant(NEW_TENANT, address(0));
    }

    // ─────────────────────────── tenant admin ──────────────────────────────

    function test_transferTenantAdmin_movesAdminInTwoSteps() public {
        vm.expectEmit(true, true, true, true, address(registry));
        emit IProcessAnchorRegistry.TenantAdminTransferStarted(TENANT, ADMIN, NEW_ADMIN);
        vm.prank(ADMIN);
        registry.transferTenantAdmin(TENANT, NEW_ADMIN);

        (address admin, address pending) = registry.tenantAdmin(TENANT);
        assertEq(admin, ADMIN, "admin before acceptance");
        assertEq(pending, NEW_ADMIN, "pending admin");
        vm.prank(ADMIN);
        registry.setAnchorSigner(TENANT, otherSigner, true); // the old admin still rules until acceptance

        vm.expectEmit(true, true, true, true, address(registry));
        emit IProcessAnchorRegistry.TenantAdminTransferred(TENANT, ADMIN, NEW_ADMIN);
        vm.prank(NEW_ADMIN);
        registry.acceptTenantAdmin(TENANT);

        (admin, pending) = registry.tenantAdmin(TENANT);
        assertEq(admin, NEW_ADMIN, "admin after acceptance");
        assertEq(pending, address(0), "pending admin after acceptance");

        vm.expectRevert(_err(IProcessAnchorRegistry.NotTenantAdmin.selector, TENANT, ADMIN));
        vm.prank(ADMIN);
        registry.setAnchorSigner(TENANT, otherSigner, false);

        vm.prank(NEW_ADMIN);
        registry.setAnchorSigner(TENANT, otherSigner, false);
        assertFalse(registry.isAnchorSigner(TENANT, otherSigner), "new admin's change");
    }

    function testFuzz_acceptTenantAdmin_revertsForOthers(address caller) public {
        vm.assume(caller != NEW_ADMIN);
        vm.prank(ADMIN);
        registry.transferTenantAdmin(TENANT, NEW_ADMIN);

        vm.expectRevert(_err(IProcessAnchorRegistry.NotPendingTenantAdmin.selector, TENANT, caller));
        vm.prank(caller);
        registry.acceptTenantAdmin(TENANT);
    }

    function test_acceptTenantAdmin_revertsAfterCancellation() public {
        vm.prank(ADMIN);
        registry.transferTenantAdmin(TENANT, NEW_ADMIN);
        vm.prank(ADMIN);
        registry.transferTenantAdmin(TENANT, address(0));

        vm.expectRevert(_err(IProcessAnchorRegistry.NotPendingTenantAdmin.selector, TENANT, NEW_ADMIN));
        vm.prank(NEW_ADMIN);
        registry.acceptTenantAdmin(TENANT);
    }

    function test_acceptTenantAdmin_revertsForZeroPendingAdmin() public {
        vm.expectRevert(_err(IProcessAnchorRegistry.NotPendingTenantAdmin.selector, TENANT, address(0)));
        vm.prank(address(0));
        registry.acceptTenantAdmin(TENANT);

        // Nor can the zero address take an unregistered tenant, whose pending admin is zero too.
        vm.expectRevert(_err(IProcessAnchorRegistry.NotPendingTenantAdmin.selector, NEW_TENANT, address(0)));
        vm.prank(address(0));
        registry.acceptTenantAdmin(NEW_TENANT);
    }

    function test_acceptTenantAdmin_isNotReusable() public {
        vm.prank(ADMIN);
        registry.transferTenantAdmin(TENANT, NEW_ADMIN);
        vm.prank(NEW_ADMIN);
        registry.acceptTenantAdmin(TENANT);
        vm.prank(NEW_ADMIN);
        registry.transferTenantAdmin(TENANT, ADMIN);
        vm.prank(NEW_ADMIN);
        registry.transferTenantAdmin(TENANT, address(0));

        vm.expectRevert(_err(IProcessAnchorRegistry.NotPendingTenantAdmin.selector, TENANT, ADMIN));
        vm.prank(ADMIN);
        registry.acceptTenantAdmin(TENANT);
    }

    function testFuzz_adminFunctions_revertForNonAdmin(address caller) public {
        vm.assume(caller != ADMIN);
        vm.prank(ADMIN);
        registry.registerSigningKey(TENANT, KEY_ID, keccak256("pk"), 1, type(uint64).max);

        _expectNotAdminOnEveryAdminFunction(TENANT, caller);
    }

    function test_adminFunctions_revertForUnregisteredTenant() public {
        _expectNotAdminOnEveryAdminFunction(NEW_TENANT, ADMIN);
    }

    function test_setAnchorSigner_revertsForZeroSigner() public {
        vm.expectRevert(abi.encodeWithSelector(IProcessAnchorRegistry.ZeroAddress.selector));
        vm.prank(ADMIN);
        registry.setAnchorSigner(TENANT, address(0), true);
    }

    function test_setAnchorSigner_allowsAndDisallows() public {
        vm.expectEmit(true, true, false, true, address(registry));
        emit IProcessAnchorRegistry.AnchorSignerSet(TENANT, otherSigner, true);
        vm.prank(ADMIN);
        registry.setAnchorSigner(TENANT, otherSigner, true);
        assertTrue(registry.isAnchorSigner(TENANT, otherSigner), "allowed");
        assertFalse(registry.isAnchorSigner(keccak256("tenant-b"), otherSigner), "allowed only for its tenant");

        vm.prank(ADMIN);
        registry.setAnchorSigner(TENANT, otherSigner, false);
        assertFalse(registry.isAnchorSigner(TENANT, otherSigner), "disallowed");
    }

    // ───────────────────────────── registrar ───────────────────────────────

    function test_registrar_hasNoPowerOverRegisteredTenant() public {
        vm.prank(ADMIN);
        registry.registerSigningKey(TENANT, KEY_ID, keccak256("pk"), 1, type(uint64).max);

        _expectNotAdminOnEveryAdminFunction(TENANT, REGISTRAR);

        vm.expectRevert(abi.encodeWithSelector(IProcessAnchorRegistry.TenantAlreadyRegistered.selector, TENANT));
        vm.prank(REGISTRAR);
        registry.registerTenant(TENANT, REGISTRAR);
    }

    function test_transferRegistrar_movesRoleInTwoSteps() public {
        assertEq(registry.registrar(), REGISTRAR, "registrar");

        vm.expectEmit(true, true, false, true, address(registry));
        emit IProcessAnchorRegistry.RegistrarTransferStarted(REGISTRAR, NEW_REGISTRAR);
        vm.prank(REGISTRAR);
        registry.transferRegistrar(NEW_REGISTRAR);
        assertEq(registry.registrar(), REGISTRAR, "registrar before acceptance");

        vm.expectRevert(abi.encodeWithSelector(IProcessAnchorRegistry.NotPendingRegistrar.selector, STRANGER));
        vm.prank(STRANGER);
        registry.acceptRegistrar();

        vm.expectEmit(true, true, false, true, address(registry));
        emit IProcessAnchorRegistry.RegistrarTransferred(REGISTRAR, NEW_REGISTRAR);
        vm.prank(NEW_REGISTRAR);
        registry.acceptRegistrar();
        assertEq(registry.registrar(), NEW_REGISTRAR, "registrar after acceptance");

        vm.expectRevert(abi.encodeWithSelector(IProcessAnchorRegistry.NotRegistrar.selector, REGISTRAR));
        vm.prank(REGISTRAR);
        registry.registerTenant(NEW_TENANT, NEW_ADMIN);

        vm.prank(NEW_REGISTRAR);
        registry.registerTenant(NEW_TENANT, NEW_ADMIN);
        (address admin, ) = registry.tenantAdmin(NEW_TENANT);
        assertEq(admin, NEW_ADMIN, "tenant registered by the new registrar");

        vm.expectRevert(abi.encodeWithSelector(IProcessAnchorRegistry.NotPendingRegistrar.selector, NEW_REGISTRAR));
        vm.prank(NEW_REGISTRAR);
        registry.acceptRegistrar();
    }

    function testFuzz_transferRegistrar_revertsForNonRegistrar(address caller) public {
        vm.assume(caller != REGISTRAR);

        vm.expectRevert(abi.encodeWithSelector(IProcessAnchorRegistry.NotRegistrar.selector, caller));
        vm.prank(caller);
        registry.transferRegistrar(caller);
    }

    function test_acceptRegistrar_revertsForZeroPendingRegistrar() public {
        vm.expectRevert(abi.encodeWithSelector(IProcessAnchorRegistry.NotPendingRegistrar.selector, address(0)));
        vm.prank(address(0));
        registry.acceptRegistrar();
    }

    function test_acceptRegistrar_revertsAfterCancellation() public {
        vm.prank(REGISTRAR);
        registry.transferRegistrar(NEW_REGISTRAR);
        vm.prank(REGISTRAR);
        registry.transferRegistrar(address(0));

        vm.expectRevert(abi.encodeWithSelector(IProcessAnchorRegistry.NotPendingRegistrar.selector, NEW_REGISTRAR));
        vm.prank(NEW_REGISTRAR);
        registry.acceptRegistrar();
    }

    /// @dev Every function guarded by onlyTenantAdmin reverts with NotTenantAdmin(tenantId, caller).
    function _expectNotAdminOnEveryAdminFunction(bytes32 tenantId, address caller) private {
        bytes memory notAdmin = _err(IProcessAnchorRegistry.NotTenantAdmin.selector, tenantId, caller);

        vm.expectRevert(notAdmin);
        vm.prank(caller);
        registry.transferTenantAdmin(tenantId, caller);

        vm.expectRevert(notAdmin);
        vm.prank(caller);
        registry.setAnchorSigner(tenantId, STRANGER, true);

        vm.expectRevert(notAdmin);
        vm.prank(caller);
        registry.registerSigningKey(tenantId, keccak256("key-2"), keccak256("pk-2"), 1, 2);

        vm.expectRevert(notAdmin);
        vm.prank(caller);
        registry.revokeSigningKey(tenantId, KEY_ID, uint64(block.timestamp));
    }
}

/**
 * GET /api/tenants/:tenant/completeness — whether the index holds every
 * anchor of a tenant: the indexed anchors (by verification status) against
 * the registry's anchorCount read on-chain at a recent head block (registry.ts
 * bounds those reads). An index that lags the chain answers complete: false
 * until it catches up. Only tenants the index holds are read on-chain, so a
 * request cannot turn any name it makes up into a chain read: a tenant
 * registered after the indexed block is a 404 until the index reaches it.
 */
import type { ApiDeps } from "./deps.ts";
import { ApiError, parseTenant, quote } from "./params.ts";
import { nameFor } from "./views.ts";

export async function tenantCompleteness(deps: ApiDeps, tenantParam: string) {
  const tenant = parseTenant(tenantParam);
  if ((await deps.store.tenant(tenant.id)) === undefined)
    throw new ApiError(404, `tenant ${quote(tenantParam)} is not a tenant of the indexed registry.`);
  const [counts, names, onchain] = await Promise.all([
    deps.store.anchorCounts(tenant.id),
    deps.store.tenantNames(tenant.id),
    deps.registry.anchorCount(tenant.id).catch((error: unknown) => {
      const reason = error instanceof Error ? (error.message.split("\n")[0] ?? "") : String(error);
      throw new ApiError(
        502,
        `tenant ${quote(tenantParam)}: the registry's anchorCount could not be read from chain ${deps.baseChainId} (${reason}).`,
      );
    }),
  ]);
  const indexed = counts.valid + counts.invalid + counts.unresolved + counts.pending;
  const name = names.map((n) => nameFor(tenant.id, n)).find((n) => n !== null) ?? null;
  return {
    tenant: { id: tenant.id, name },
    indexed: {
      anchors: indexed,
      valid: counts.valid,
      invalid: counts.invalid,
      unresolved: counts.unresolved,
      pending: counts.pending,
    },
    onchain: {
      evmChainId: deps.baseChainId,
      blockNumber: onchain.blockNumber.toString(),
      anchorCount: onchain.anchorCount.toString(),
    },
    /** Anchors on-chain that the index does not hold (negative if it holds more, as before a reorg is undone). */
    missing: Number(onchain.anchorCount - BigInt(indexed)),
    complete: onchain.anchorCount === BigInt(indexed),
  };
}

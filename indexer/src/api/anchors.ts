/** GET /api/anchors/:tenant/:chainId — one anchor, with its verification report. */
import type { ApiDeps } from "./deps.ts";
import { ApiError, parseChain, parseTenant, quote } from "./params.ts";
import { anchorDetailView } from "./views.ts";

export async function anchorDetail(deps: ApiDeps, tenantParam: string, chainParam: string) {
  const tenant = parseTenant(tenantParam);
  const chain = parseChain(chainParam);
  const row = await deps.store.anchor(`${tenant.id}-${chain.id}`);
  if (row !== undefined) return anchorDetailView(row, deps.baseChainId);
  if ((await deps.store.tenant(tenant.id)) === undefined)
    throw new ApiError(404, `tenant ${quote(tenantParam)} is not a tenant of the indexed registry.`);
  throw new ApiError(404, `chainId ${quote(chainParam)} is not an indexed anchor of tenant ${quote(tenantParam)}.`);
}

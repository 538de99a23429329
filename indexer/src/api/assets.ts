/**
 * GET /api/assets/:sha256?limit= — where an asset was produced: packet,
 * stage, chain, anchoring transaction, status; the first `limit` places in
 * anchoring order, and whether there were more.
 */
import type { ApiDeps } from "./deps.ts";
import { ApiError, parseLimit, parseSha256 } from "./params.ts";
import { provenanceView } from "./views.ts";

export async function assetProvenance(deps: ApiDeps, sha256Param: string, limitParam: readonly string[] | undefined) {
  const assetHash = parseSha256(sha256Param);
  const limit = parseLimit(limitParam);
  // One more than answered: whether the list was cut, without counting it.
  const rows = await deps.store.assetEntries(assetHash, limit + 1);
  if (rows.length === 0)
    throw new ApiError(404, `sha256 ${assetHash} is not the output of any indexed evidence packet.`);
  return {
    assetHash,
    provenance: rows.slice(0, limit).map((row) => provenanceView(row, deps.baseChainId)),
    truncated: rows.length > limit,
  };
}

/** GET /api/assets/:sha256 — where an asset was produced: packet, stage, chain, anchoring transaction, status. */
import type { ApiDeps } from "./deps.ts";
import { ApiError, parseSha256 } from "./params.ts";
import { provenanceView } from "./views.ts";

export async function assetProvenance(deps: ApiDeps, sha256Param: string) {
  const assetHash = parseSha256(sha256Param);
  const rows = await deps.store.assetEntries(assetHash);
  if (rows.length === 0)
    throw new ApiError(404, `sha256 ${assetHash} is not the output of any indexed evidence packet.`);
  return { assetHash, provenance: rows.map((row) => provenanceView(row, deps.baseChainId)) };
}

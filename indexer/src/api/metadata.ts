/**
 * GET /metadata/:id.json — ERC-1155 metadata of an anchor's certificate. The
 * registry's `uri` is the template `<api>/metadata/{id}.json`, which clients
 * fill with the id as 64 lowercase hex digits; the id is
 * uint256(keccak256(abi.encode(tenantId, chainId))), so the anchor is found by
 * the certificate id the indexer stored with it. `external_url` links to the
 * anchor route under the configured public URL (POP_AUDIT_PUBLIC_URL), never
 * under the request's Host header, which any client sets to what it likes and
 * which a cache in front of the API would then serve to everyone; without a
 * configured URL the metadata has no external_url (the field is optional, and
 * a relative link means nothing to a wallet reading it from elsewhere).
 */
import type { ApiDeps } from "./deps.ts";
import { ApiError, parseTokenId, quote } from "./params.ts";
import { type AnchorRow, nameFor, secondsIso } from "./views.ts";

function verdict(row: AnchorRow): string {
  switch (row.status) {
    case "valid":
      return "Verification: valid.";
    case "invalid":
      return `Verification: invalid (failed check ${row.failedCheck ?? "unknown"}).`;
    case "unresolved":
      return `Verification: not yet possible (${row.failedCheck ?? "content"} unavailable).`;
    default:
      return "Verification: pending.";
  }
}

/** `idParam` is the path segment without `.json`. */
export async function certificateMetadata(deps: ApiDeps, idParam: string) {
  const id = parseTokenId(idParam);
  const row = await deps.store.anchorByCertificate(id);
  if (row === undefined) throw new ApiError(404, `id ${quote(idParam)} is not the certificate of any indexed anchor.`);
  const tenant = nameFor(row.tenantId, row.tenantName);
  const uuid = nameFor(row.chainId, row.chainUuid);
  return {
    name: `Proof of Process certificate: ${tenant ?? row.tenantId} / ${uuid ?? row.chainId}`,
    description:
      `Certifies that a process run of tenant ${tenant ?? row.tenantId} (chain ${uuid ?? row.chainId}) ` +
      `was anchored on chain ${deps.baseChainId} in transaction ${row.transactionHash}, ` +
      `with chainscript ${row.ipfsCid}. ${verdict(row)}`,
    decimals: 0,
    ...(deps.publicUrl === undefined
      ? {}
      : { external_url: `${deps.publicUrl}/api/anchors/${row.tenantId}/${row.chainId}` }),
    properties: {
      tenant,
      tenantId: row.tenantId,
      chainUuid: uuid,
      chainId: row.chainId,
      processId: row.processId,
      entryCount: row.entryCount,
      chainscriptCid: row.ipfsCid,
      chainHash: row.chainHash,
      anchorChainId: deps.baseChainId,
      anchorTransaction: row.transactionHash,
      anchorBlock: row.blockNumber.toString(),
      anchoredAt: secondsIso(row.timestamp),
      status: row.status,
      failedCheck: row.failedCheck,
    },
  };
}

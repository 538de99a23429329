import { createHash } from "node:crypto";
import type { ServerResponse } from "node:http";
import { contentCid, rawCid } from "../../../src/evidence/cid.ts";
import {
  type Fault,
  Faults,
  type ParsedRequest,
  type Standin,
  sendJson,
  startStandin,
} from "../../storage/standins/server.ts";

/** The routes of the Capture API the client calls. */
export type CaptureRoute = "register" | "update" | "read";

/** The body the API answers when the account cannot pay (NUMBERS.md: `asset_commit_insufficient_fund`). */
export const INSUFFICIENT_FUND_BODY = JSON.stringify({
  error: { type: "asset_commit_insufficient_fund", message: "Insufficient NUM balance to commit the asset." },
});

export interface StoredAsset {
  readonly id: string;
  readonly bytes: Uint8Array;
  caption: string;
  headline: string;
  publicAccess: string;
  /** One per commit: the registration, then each update. */
  readonly commits: { readonly message: string; readonly custom: unknown }[];
  reads: number;
}

export interface CaptureStandin extends Standin {
  /** Assets registered, by NID. */
  readonly assets: ReadonlyMap<string, StoredAsset>;
  /** A fault answered instead of handling the request (`lie` answers another NID, or `cid` as the NID). */
  inject(fault: Fault, route?: CaptureRoute): void;
  /** A status answered after the request took effect: the asset is registered or updated, the client hears an error. */
  failAfterApplying(fault: Fault & { readonly status: number }, route: CaptureRoute): void;
  /** How many register or update requests took effect. */
  applied(route: "register" | "update"): number;
}

export interface CaptureStandinOptions {
  readonly token: string;
  /** Reads of an asset that answer an empty integrity_info before it lists the commits; default 0. */
  readonly integrityAfterReads?: number;
}

/** A CID that is certainly not the one of `bytes`, for an API that answers another NID. */
function otherCid(bytes: Uint8Array): string {
  return rawCid(new Uint8Array([...bytes, 0x2a]));
}

function txHash(nid: string, index: number): string {
  return `0x${createHash("sha256").update(`${nid}/${index}`).digest("hex")}`;
}

/**
 * A local stand-in for the Capture API (NUMBERS.md): `POST /api/v3/assets/`
 * (multipart, `asset_file` required), `PATCH /api/v3/assets/{nid}/`
 * (multipart: caption, headline, commit_message, nit_commit_custom) and
 * `GET /api/v3/assets/{nid}/`, behind `Authorization: token <token>`. The NID
 * is the uploaded file's CID, as the API documents NIDs; each commit shows up
 * under `integrity_info` (search_id = a tx hash, explorer_url) after
 * `integrityAfterReads` reads. Errors in Django REST framework's shapes.
 */
export async function startCaptureStandin(options: CaptureStandinOptions): Promise<CaptureStandin> {
  const faults = new Faults<CaptureRoute>();
  const afterApply = new Faults<CaptureRoute>();
  const assets = new Map<string, StoredAsset>();
  const counts = { register: 0, update: 0 };

  const view = (asset: StoredAsset) => ({
    id: asset.id,
    asset_file_name: `${asset.id}.cbor`,
    asset_file_size: asset.bytes.length,
    caption: asset.caption,
    headline: asset.headline,
    public_access: asset.publicAccess === "true",
    integrity_info:
      asset.reads > (options.integrityAfterReads ?? 0)
        ? asset.commits.map((_, i) => ({
            search_id: txHash(asset.id, i),
            explorer_url: `https://mainnet.num.network/tx/${txHash(asset.id, i)}`,
          }))
        : [],
  });

  /** Answers the fault injected to follow a request that took effect, if any; true when it answered. */
  const failed = (res: ServerResponse, route: CaptureRoute) => {
    const fault = afterApply.take(route);
    if (fault === undefined || !("status" in fault)) return false;
    sendJson(res, fault.status, { detail: "A server error occurred." });
    return true;
  };

  const register = async (request: ParsedRequest, res: ServerResponse, lie: Fault | undefined) => {
    const file = request.form?.get("asset_file");
    if (!(file instanceof File)) return sendJson(res, 400, { asset_file: ["No file was submitted."] });
    const headline = String(request.form?.get("headline") ?? "");
    if (headline.length > 25) {
      return sendJson(res, 400, { headline: ["Ensure this field has no more than 25 characters."] });
    }
    const bytes = new Uint8Array(await file.arrayBuffer());
    const cid = await contentCid(bytes);
    const id = lie !== undefined && "lie" in lie ? (lie.cid ?? otherCid(bytes)) : cid;
    const asset: StoredAsset = {
      id,
      bytes,
      caption: String(request.form?.get("caption") ?? ""),
      headline,
      publicAccess: String(request.form?.get("public_access") ?? "false"),
      commits: [{ message: "action-initial-registration", custom: null }],
      reads: 0,
    };
    assets.set(id, asset);
    counts.register += 1;
    if (failed(res, "register")) return;
    sendJson(res, 201, view(asset));
  };

  const update = (request: ParsedRequest, res: ServerResponse, asset: StoredAsset) => {
    const custom = String(request.form?.get("nit_commit_custom") ?? "{}");
    let parsed: unknown;
    try {
      parsed = JSON.parse(custom);
    } catch {
      return sendJson(res, 400, { nit_commit_custom: ["Value must be valid JSON."] });
    }
    const headline = request.form?.get("headline");
    if (typeof headline === "string" && headline.length > 25) {
      return sendJson(res, 400, { headline: ["Ensure this field has no more than 25 characters."] });
    }
    asset.caption = String(request.form?.get("caption") ?? asset.caption);
    asset.headline = typeof headline === "string" ? headline : asset.headline;
    asset.commits.push({ message: String(request.form?.get("commit_message") ?? ""), custom: parsed });
    counts.update += 1;
    if (failed(res, "update")) return;
    sendJson(res, 200, view(asset));
  };

  const started = await startStandin(async (request, res) => {
    const path = request.url.pathname;
    const match = /^\/api\/v3\/assets\/(?:([^/]+)\/)?$/.exec(path);
    if (match === null) return sendJson(res, 404, { detail: "Not found." });
    const nid = match[1];
    const route: CaptureRoute | undefined =
      nid === undefined
        ? request.method === "POST"
          ? "register"
          : undefined
        : request.method === "PATCH"
          ? "update"
          : request.method === "GET"
            ? "read"
            : undefined;
    if (route === undefined) return sendJson(res, 405, { detail: `Method "${request.method}" not allowed.` });
    if (request.headers.authorization !== `token ${options.token}`) {
      return sendJson(res, 401, { detail: "Invalid token." });
    }
    const fault = faults.take(route);
    if (fault !== undefined && "hang" in fault) return;
    if (fault !== undefined && "status" in fault) {
      const headers: Record<string, string> =
        fault.retryAfter === undefined ? {} : { "retry-after": String(fault.retryAfter) };
      res.writeHead(fault.status, { "content-type": "application/json", ...headers });
      res.end(fault.body ?? JSON.stringify({ detail: `Injected HTTP ${fault.status}.` }));
      return;
    }
    if (route === "register") return register(request, res, fault);
    const asset = assets.get(nid as string);
    if (asset === undefined) return sendJson(res, 404, { detail: "Not found." });
    if (route === "update") return update(request, res, asset);
    asset.reads += 1;
    const answer = view(asset);
    sendJson(
      res,
      200,
      fault !== undefined && "lie" in fault ? { ...answer, id: fault.cid ?? otherCid(asset.bytes) } : answer,
    );
  });

  return {
    url: `${started.origin}/api/v3`,
    requests: started.requests,
    close: started.close,
    assets,
    inject: (fault, route) => faults.add(fault, route),
    failAfterApplying: (fault, route) => afterApply.add(fault, route),
    applied: (route) => counts[route],
  };
}

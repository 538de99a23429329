import { randomUUID } from "node:crypto";
import type { ServerResponse } from "node:http";
import { contentCid, rawCid } from "../../../src/evidence/cid.ts";
import { decodeCar } from "../../../src/storage/car.ts";
import { type Fault, Faults, type ParsedRequest, type Standin, sendJson, startStandin } from "./server.ts";

/** The request routes of Pinata's v3 API that the SDK calls for uploads and file lists. */
export type PinataRoute = "upload" | "list";

/** A file record as the v3 Files API returns it (docs.pinata.cloud, "List Files" / "Upload a File"). */
export interface PinataFile {
  readonly id: string;
  readonly name: string;
  readonly cid: string;
  readonly size: number;
  readonly number_of_files: number;
  readonly mime_type: string;
  readonly group_id: string | null;
  readonly keyvalues: Record<string, string>;
  readonly created_at: string;
  readonly network: "public";
}

export interface PinataStandin extends Standin {
  /** Files "stored", by the CID reported for them. */
  readonly files: ReadonlyMap<string, PinataFile>;
  inject(fault: Fault, route?: PinataRoute): void;
}

/**
 * Pinata's error envelope. The v3 reference documents no error body; this is
 * the `{"error":{"reason","details"}}` shape of Pinata's pinning API. The SDK
 * reads error bodies as text, so the provider depends on none of it.
 */
function pinataError(
  res: ServerResponse,
  status: number,
  reason: string,
  details: string,
  headers: Record<string, string> = {},
) {
  sendJson(res, status, { error: { reason, details } }, headers);
}

const REASONS: Record<number, string> = {
  401: "INVALID_CREDENTIALS",
  403: "FORBIDDEN",
  429: "RATE_LIMITED",
  500: "INTERNAL_SERVER_ERROR",
  502: "BAD_GATEWAY",
  503: "SERVICE_UNAVAILABLE",
};

/** A CID that is certainly not the one of `bytes`, for a lying provider. */
function otherCid(bytes: Uint8Array): string {
  return rawCid(new Uint8Array([...bytes, 0x2a]));
}

/**
 * A local stand-in for Pinata's v3 Files API, serving exactly what the SDK
 * calls: `POST /v3/files` (multipart upload, `car=true` for CARs) and
 * `GET /v3/files/public?cid=…` (file list), behind `Authorization: Bearer <jwt>`.
 * It computes CIDs itself (contentCid; a CAR's first header root after every
 * block is checked). Point the SDK's `uploadUrl` and `endpointUrl` at `url`.
 */
export async function startPinataStandin(options: { jwt: string }): Promise<PinataStandin> {
  const faults = new Faults<PinataRoute>();
  const files = new Map<string, PinataFile>();

  const upload = async (request: ParsedRequest, res: ServerResponse, fault: Fault | undefined) => {
    const file = request.form?.get("file");
    if (!(file instanceof File)) return pinataError(res, 400, "INVALID_REQUEST", "A file is required.");
    if (request.form?.get("network") !== "public") {
      return pinataError(res, 400, "INVALID_REQUEST", "This stand-in serves public uploads only.");
    }
    const bytes = new Uint8Array(await file.arrayBuffer());
    let cid: string;
    if (request.form?.get("car") === "true") {
      try {
        const car = decodeCar(bytes, "the uploaded CAR");
        const [root] = car.roots;
        if (root === undefined) return pinataError(res, 400, "INVALID_REQUEST", "The CAR has no root.");
        cid = root.toString();
      } catch (error) {
        return pinataError(res, 400, "INVALID_REQUEST", `Invalid CAR: ${(error as Error).message}`);
      }
    } else {
      const version = request.form?.get("cid_version");
      if (version !== null && version !== undefined && version !== "v1") {
        return pinataError(res, 400, "INVALID_REQUEST", "This stand-in makes CIDv1 only.");
      }
      cid = await contentCid(bytes);
    }
    if (fault !== undefined && "lie" in fault) cid = fault.cid ?? otherCid(bytes);
    const existing = files.get(cid);
    const record: PinataFile = existing ?? {
      id: randomUUID(),
      name: String(request.form?.get("name") ?? file.name),
      cid,
      size: bytes.length,
      number_of_files: 1,
      mime_type: file.type || "application/octet-stream",
      group_id: null,
      keyvalues: {},
      created_at: new Date().toISOString(),
      network: "public",
    };
    files.set(cid, record);
    sendJson(res, 200, { data: { ...record, is_duplicate: existing !== undefined, vectorized: false } });
  };

  const list = (request: ParsedRequest, res: ServerResponse) => {
    const cid = request.url.searchParams.get("cid");
    const limit = Number(request.url.searchParams.get("limit") ?? "10");
    const matching = [...files.values()].filter((f) => cid === null || f.cid === cid).slice(0, limit);
    sendJson(res, 200, { data: { files: matching, next_page_token: "" } });
  };

  const server = await startStandin(async (request, res) => {
    const route: PinataRoute | undefined =
      request.method === "POST" && request.url.pathname === "/v3/files"
        ? "upload"
        : request.method === "GET" && request.url.pathname === "/v3/files/public"
          ? "list"
          : undefined;
    if (route === undefined) return pinataError(res, 404, "NOT_FOUND", "No such route.");
    if (request.headers.authorization !== `Bearer ${options.jwt}`) {
      return pinataError(res, 401, REASONS[401] as string, "Invalid or expired credentials.");
    }
    const fault = faults.take(route);
    if (fault !== undefined && "hang" in fault) return;
    if (fault !== undefined && "status" in fault) {
      const headers: Record<string, string> =
        fault.retryAfter === undefined ? {} : { "retry-after": String(fault.retryAfter) };
      if (fault.body !== undefined) {
        res.writeHead(fault.status, { "content-type": "application/json", ...headers });
        res.end(fault.body);
        return;
      }
      return pinataError(res, fault.status, REASONS[fault.status] ?? "ERROR", "Injected by the test.", headers);
    }
    if (route === "upload") return upload(request, res, fault);
    return list(request, res);
  });

  return {
    url: `${server.origin}/v3`,
    requests: server.requests,
    close: server.close,
    files,
    inject: (fault, route) => faults.add(fault, route),
  };
}

import type { ServerResponse } from "node:http";
import * as dagPb from "@ipld/dag-pb";
import { CID } from "multiformats/cid";
import { contentCid, rawCid } from "../../../src/evidence/cid.ts";
import { decodeCar } from "../../../src/storage/car.ts";
import { type Fault, Faults, type ParsedRequest, type Standin, sendJson, sendText, startStandin } from "./server.ts";

export type KuboRoute = "add" | "dag/import" | "pin/ls";

export interface KuboStandin extends Standin {
  /** Recursively pinned CIDs. */
  readonly pins: ReadonlySet<string>;
  inject(fault: Fault, route?: KuboRoute): void;
}

/** Kubo's error body (go-ipfs-cmds): HTTP 500, or 400 for Code 1 (ErrClient). */
function kuboError(res: ServerResponse, message: string, code = 0) {
  sendJson(res, code === 1 ? 400 : 500, { Message: message, Code: code, Type: "error" });
}

/** Streamed answers (add, dag/import) are one JSON value per line, with Kubo's channel header. */
function sendLines(res: ServerResponse, values: readonly unknown[]) {
  res.writeHead(200, { "content-type": "application/json", "x-chunked-output": "1", trailer: "X-Stream-Error" });
  // One write: Kubo buffers its output too, and ten thousand tiny chunks would measure this stand-in, not the client.
  res.end(values.map((value) => `${JSON.stringify(value)}\n`).join(""));
}

function otherCid(bytes: Uint8Array): string {
  return rawCid(new Uint8Array([...bytes, 0x2a]));
}

/**
 * A local stand-in for the Kubo RPC API as Filebase also exposes it: POST
 * `/api/v0/add`, `/api/v0/dag/import`, `/api/v0/pin/ls`, with Kubo's answers
 * and its `{"Message","Code","Type":"error"}` errors. CIDs are computed here
 * (contentCid; every CAR block is checked). With `auth`, requests must carry
 * exactly that Authorization header, as Filebase requires its Bearer token.
 */
export async function startKuboStandin(options: { auth?: string } = {}): Promise<KuboStandin> {
  const faults = new Faults<KuboRoute>();
  const blocks = new Map<string, Uint8Array>();
  const pins = new Set<string>();

  /** Why `root` cannot be pinned (a block of its DAG is missing), or "" when it can. */
  const pinError = (root: string): string => {
    const bytes = blocks.get(root);
    if (bytes === undefined) return `block was not found locally (offline): ipld: could not find ${root}`;
    // Raw sha2-256 CIDv1s (every packet) have no links; only parse the others.
    if (root.startsWith("bafkrei") || CID.parse(root).code !== dagPb.code) return "";
    for (const link of dagPb.decode(bytes).Links) {
      const missing = pinError(link.Hash.toString());
      if (missing !== "") return missing;
    }
    return "";
  };

  const add = async (request: ParsedRequest, res: ServerResponse, fault: Fault | undefined) => {
    const query = request.url.searchParams;
    if (query.get("cid-version") !== "1" || query.get("raw-leaves") !== "true") {
      return kuboError(res, "this stand-in makes CIDv1 with raw leaves only", 1);
    }
    const chunker = query.get("chunker");
    if (chunker !== null && chunker !== "size-262144")
      return kuboError(res, `stand-in cannot use chunker ${chunker}`, 1);
    const file = request.form?.get("file");
    if (!(file instanceof File)) return kuboError(res, "file argument 'path' is required", 1);
    const bytes = new Uint8Array(await file.arrayBuffer());
    const cid = fault !== undefined && "lie" in fault ? (fault.cid ?? otherCid(bytes)) : await contentCid(bytes);
    if (query.get("pin") !== "false") pins.add(cid);
    sendLines(res, [{ Name: file.name, Hash: cid, Size: String(bytes.length) }]);
  };

  const dagImport = async (request: ParsedRequest, res: ServerResponse, fault: Fault | undefined) => {
    const file = request.form?.get("file");
    if (!(file instanceof File)) return kuboError(res, "file argument 'path' is required", 1);
    let car: Awaited<ReturnType<typeof decodeCar>>;
    try {
      car = decodeCar(new Uint8Array(await file.arrayBuffer()), "the CAR");
    } catch (error) {
      return kuboError(res, `import failed: ${(error as Error).message}`);
    }
    for (const [cid, bytes] of car.blocks) blocks.set(cid, bytes);
    if (request.url.searchParams.get("pin-roots") === "false") return sendLines(res, []);
    const lines = car.roots.map((root) => {
      const message = pinError(root);
      if (message === "") pins.add(root);
      const reported =
        fault !== undefined && "lie" in fault ? (fault.cid ?? otherCid(new TextEncoder().encode(root))) : root;
      return { Root: { Cid: { "/": reported }, PinErrorMsg: message } };
    });
    sendLines(res, lines);
  };

  const pinLs = (request: ParsedRequest, res: ServerResponse) => {
    const arg = request.url.searchParams.get("arg");
    if (arg === null)
      return sendJson(res, 200, {
        Keys: Object.fromEntries([...pins].map((c) => [c, { Type: "recursive", Name: "" }])),
      });
    let cid: CID;
    try {
      cid = CID.parse(arg);
    } catch (error) {
      return kuboError(res, `invalid path "${arg}": ${(error as Error).message}`);
    }
    if (!pins.has(cid.toString())) return kuboError(res, `path '${arg}' is not pinned`);
    sendJson(res, 200, { Keys: { [arg]: { Type: "recursive", Name: "" } } });
  };

  const routes: Record<string, KuboRoute> = {
    "/api/v0/add": "add",
    "/api/v0/dag/import": "dag/import",
    "/api/v0/pin/ls": "pin/ls",
  };

  const server = await startStandin(async (request, res) => {
    const route = routes[request.url.pathname];
    if (route === undefined) return sendText(res, 404, "404 page not found\n");
    if (request.method !== "POST") return sendText(res, 405, "405 - Method Not Allowed\n");
    if (options.auth !== undefined && request.headers.authorization !== options.auth) {
      return sendText(res, 401, "401 Unauthorized\n", { "www-authenticate": "Bearer" });
    }
    const fault = faults.take(route);
    if (fault !== undefined && "hang" in fault) return;
    if (fault !== undefined && "status" in fault) {
      const headers: Record<string, string> =
        fault.retryAfter === undefined ? {} : { "retry-after": String(fault.retryAfter) };
      if (fault.body !== undefined) return sendText(res, fault.status, fault.body, headers);
      // The node itself answers 500 with its JSON; 429, 502, 503 come from a proxy in front of it.
      if (fault.status === 500)
        return sendJson(res, 500, { Message: "injected failure", Code: 0, Type: "error" }, headers);
      return sendText(res, fault.status, `${fault.status} injected by the test\n`, headers);
    }
    if (route === "add") return add(request, res, fault);
    if (route === "dag/import") return dagImport(request, res, fault);
    return pinLs(request, res);
  });

  return {
    url: server.origin,
    requests: server.requests,
    close: server.close,
    pins,
    inject: (fault, route) => faults.add(fault, route),
  };
}

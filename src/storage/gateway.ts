import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { CID } from "multiformats/cid";
import { InvalidCidError } from "./errors.ts";
import type { LocalStore } from "./local.ts";
import { parseCid } from "./unixfs.ts";

const RAW = "application/vnd.ipld.raw";
const CAR = "application/vnd.ipld.car";

/** Which verifiable format the request asks for: `?format=` wins over `Accept` (IPFS trustless gateway spec). */
function requestedFormat(request: IncomingMessage, url: URL): "raw" | "car" | undefined {
  const format = url.searchParams.get("format");
  if (format === "raw" || format === "car") return format;
  if (format !== null) return undefined;
  const accept = request.headers.accept ?? "";
  if (accept.includes(RAW)) return "raw";
  if (accept.includes(CAR)) return "car";
  return undefined;
}

function send(
  response: ServerResponse,
  status: number,
  body: string | Uint8Array,
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, {
    "content-type": typeof body === "string" ? "text/plain; charset=utf-8" : (headers["content-type"] ?? RAW),
    "content-length": String(typeof body === "string" ? Buffer.byteLength(body) : body.length),
    "x-content-type-options": "nosniff",
    // Content-addressed and public, as on public gateways: a page of any origin (the audit web app) may read it.
    "access-control-allow-origin": "*",
    ...headers,
  });
  response.end(response.req.method === "HEAD" ? undefined : body);
}

/** The path segment after /ipfs/, percent-decoded; undefined when its percent-encoding does not decode (`%ff`, `%E0%A4%A`). */
function decodeSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch (error) {
    if (error instanceof URIError) return undefined;
    throw error;
  }
}

async function handle(store: LocalStore, request: IncomingMessage, response: ServerResponse): Promise<void> {
  let url: URL;
  try {
    url = new URL(request.url ?? "/", "http://gateway");
  } catch (error) {
    // A target such as "//" parses as a URL without a host: the WHATWG parser throws a TypeError.
    if (!(error instanceof TypeError)) throw error;
    send(response, 400, "The request target is not a URL path.\n");
    return;
  }
  if (request.method === "OPTIONS") {
    // A browser's preflight, for a request with headers beyond the simple ones.
    send(response, 204, "", {
      "access-control-allow-methods": "GET, HEAD",
      "access-control-allow-headers": "accept, range",
      "access-control-max-age": "86400",
    });
    return;
  }
  if (request.method !== "GET" && request.method !== "HEAD") {
    send(response, 405, "Only GET and HEAD.\n", { allow: "GET, HEAD" });
    return;
  }
  const match = /^\/ipfs\/([^/]+)\/?$/.exec(url.pathname);
  if (match === null) {
    send(response, 404, "Not found: this gateway serves /ipfs/<cid>.\n");
    return;
  }
  const segment = match[1] as string;
  const text = decodeSegment(segment);
  if (text === undefined) {
    send(response, 400, `The CID in the path, "${segment}", is not valid percent-encoding.\n`);
    return;
  }
  let cid: CID;
  try {
    cid = parseCid(text);
  } catch (error) {
    if (!(error instanceof InvalidCidError)) throw error;
    send(response, 400, `${error.shortMessage}\n`);
    return;
  }
  const format = requestedFormat(request, url);
  if (format === undefined) {
    send(
      response,
      406,
      "This is a trustless gateway: ask for ?format=raw or ?format=car (or Accept: application/vnd.ipld.raw / application/vnd.ipld.car).\n",
    );
    return;
  }
  const body = format === "raw" ? await store.getBlock(cid) : await store.exportCar(cid);
  if (body === undefined) {
    send(response, 404, `${cid} is not in this store.\n`);
    return;
  }
  send(response, 200, body, {
    "content-type": format === "raw" ? RAW : `${CAR}; version=1; order=dfs; dups=n`,
    etag: `"${cid}.${format}"`,
    "cache-control": "public, max-age=29030400, immutable",
    "content-disposition": `attachment; filename="${cid}.${format === "raw" ? "bin" : "car"}"`,
  });
}

export interface GatewayServer {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Serves a local store over the IPFS trustless gateway protocol
 * (`GET /ipfs/<cid>?format=raw|car`), so the retrieval code that reads public
 * gateways reads the local store the same way.
 */
export async function startGateway(
  store: LocalStore,
  options: { host?: string; port?: number } = {},
): Promise<GatewayServer> {
  const server: Server = createServer((request, response) => {
    handle(store, request, response).catch((error: unknown) => {
      if (!response.headersSent) send(response, 500, `Internal error: ${(error as Error).message}\n`);
      else response.destroy();
    });
  });
  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

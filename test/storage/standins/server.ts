import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** One request as a stand-in saw it, for tests to count and inspect. */
export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  /** Multipart text fields (the file part left out). */
  readonly fields: Readonly<Record<string, string>>;
  readonly authorization: string | undefined;
}

/**
 * A fault a test injects: answer with `status` (and `body`), never answer
 * (`hang`), or answer normally but report another CID (`lie`). Each applies to
 * the next `times` matching requests; without `times`, to every one.
 */
export type Fault =
  | { readonly status: number; readonly body?: string; readonly retryAfter?: number; readonly times?: number }
  | { readonly hang: true; readonly times?: number }
  | { readonly lie: true; readonly cid?: string; readonly times?: number };

/** Faults in the order injected; the first one still due for a route applies. */
export class Faults<Route extends string> {
  readonly #queue: { fault: Fault; route: Route | undefined; left: number }[] = [];

  add(fault: Fault, route?: Route): void {
    this.#queue.push({ fault, route, left: fault.times ?? Number.POSITIVE_INFINITY });
  }

  take(route: Route): Fault | undefined {
    const entry = this.#queue.find((e) => e.left > 0 && (e.route === undefined || e.route === route));
    if (entry === undefined) return undefined;
    entry.left -= 1;
    return entry.fault;
  }
}

export interface ParsedRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers: IncomingMessage["headers"];
  /** The multipart body, when there is one. */
  readonly form: FormData | undefined;
}

async function parse(req: IncomingMessage): Promise<ParsedRequest> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const url = new URL(req.url ?? "/", "http://127.0.0.1");
  const type = req.headers["content-type"] ?? "";
  let form: FormData | undefined;
  if (type.startsWith("multipart/form-data")) {
    // The WHATWG Request parses multipart exactly as fetch produced it.
    form = await new Request(url, {
      method: "POST",
      headers: { "content-type": type },
      body: Buffer.concat(chunks),
    }).formData();
  }
  return { method: req.method ?? "GET", url, headers: req.headers, form };
}

function record(request: ParsedRequest): RecordedRequest {
  const fields: Record<string, string> = {};
  request.form?.forEach((value, key) => {
    if (typeof value === "string") fields[key] = value;
  });
  return {
    method: request.method,
    path: request.url.pathname,
    query: Object.fromEntries(request.url.searchParams),
    fields,
    authorization: request.headers.authorization,
  };
}

export interface Standin {
  /** Base URL on 127.0.0.1 and the port the system chose. */
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** Stops listening and drops every open connection, hung ones included. */
  close(): Promise<void>;
}

/** Starts `handle` on 127.0.0.1, port 0; every request is recorded before it is handled. */
export async function startStandin(
  handle: (request: ParsedRequest, res: ServerResponse) => Promise<void> | void,
): Promise<Omit<Standin, "url"> & { origin: string }> {
  const requests: RecordedRequest[] = [];
  const server = createServer((req, res) => {
    parse(req)
      .then(async (request) => {
        requests.push(record(request));
        await handle(request, res);
      })
      .catch((error: unknown) => {
        if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
        res.end(`stand-in failure: ${(error as Error).message}`);
      });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

export function sendJson(
  res: ServerResponse,
  status: number,
  value: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(`${JSON.stringify(value)}\n`);
}

export function sendText(
  res: ServerResponse,
  status: number,
  text: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8", ...headers });
  res.end(text);
}

import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** One JSON-RPC call as the proxy saw it (an element of a batch counts as one). */
export interface RpcCall {
  /** 0-based, in order of arrival over the proxy's life. */
  readonly index: number;
  readonly method: string;
  readonly params: unknown;
  readonly id: unknown;
}

export interface JsonRpcResponse {
  readonly jsonrpc: "2.0";
  readonly id: unknown;
  readonly result?: unknown;
  readonly error?: { readonly code: number; readonly message: string; readonly data?: unknown };
}

/**
 * What the proxy does with a call:
 * - `"forward"`: passes it to the node and its answer back;
 * - `"drop"`: closes the connection without an answer, and nothing reaches the node;
 * - `{ status }`: answers that HTTP status without a JSON-RPC body; with `afterForwarding`,
 *   the node got the call first (the request arrived, its answer was lost);
 * - `{ answer }`: answers this JSON-RPC `result` or `error` instead of the node.
 * In a batch, "drop" or a status applies to the whole HTTP request (the strongest wins).
 */
export type RpcAction =
  | "forward"
  | "drop"
  | { readonly status: number; readonly afterForwarding?: boolean }
  | { readonly answer: Pick<JsonRpcResponse, "result" | "error"> };

export interface RpcProxyOptions {
  /** Decides each call's fate; absent or undefined forwards it. */
  readonly onCall?: (call: RpcCall) => RpcAction | undefined;
  /** Rewrites the node's answer to a forwarded call. */
  readonly onAnswer?: (call: RpcCall, answer: JsonRpcResponse) => JsonRpcResponse;
}

export interface RpcProxy {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  /** Every call seen, with what was done with it. */
  readonly calls: readonly (RpcCall & { readonly action: RpcAction })[];
  /** How many calls of `method` the proxy saw (all of them when absent). */
  count(method?: string, action?: (action: RpcAction) => boolean): number;
  /** Stops listening and drops every open connection. */
  close(): Promise<void>;
}

async function bodyOf(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * A JSON-RPC proxy on 127.0.0.1 in front of `target`, whose hooks inspect,
 * alter or refuse each call by method: how the tests make a node unreachable
 * for one method, flaky, or lying. Batches (JSON arrays) are taken apart, each
 * call decided on its own, and answered as a batch in the same order.
 */
export async function startRpcProxy(target: string, options: RpcProxyOptions = {}): Promise<RpcProxy> {
  const calls: (RpcCall & { action: RpcAction })[] = [];

  const forward = async (body: unknown): Promise<unknown> => {
    const response = await fetch(target, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    return response.json();
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const text = await bodyOf(req);
    const parsed = JSON.parse(text) as unknown;
    const batch = Array.isArray(parsed);
    const requests = (batch ? parsed : [parsed]) as { method: string; params?: unknown; id?: unknown }[];
    const decided = requests.map((request) => {
      const call: RpcCall = { index: calls.length, method: request.method, params: request.params, id: request.id };
      const action = options.onCall?.(call) ?? "forward";
      calls.push({ ...call, action });
      return { request, call, action };
    });

    if (decided.some((d) => d.action === "drop")) {
      req.socket.destroy();
      return;
    }
    const failure = decided.find((d) => typeof d.action === "object" && "status" in d.action)?.action as
      | { status: number; afterForwarding?: boolean }
      | undefined;
    const toForward = decided.filter(
      (d) =>
        d.action === "forward" ||
        (failure?.afterForwarding === true && typeof d.action === "object" && "status" in d.action),
    );
    if (failure !== undefined && !failure.afterForwarding) {
      res.writeHead(failure.status, { "content-type": "text/plain" }).end(`proxy answers ${failure.status}`);
      return;
    }
    const forwarded =
      toForward.length === 0
        ? []
        : ((await forward(batch ? toForward.map((d) => d.request) : toForward[0]?.request)) as
            | JsonRpcResponse
            | JsonRpcResponse[]);
    if (failure !== undefined) {
      res.writeHead(failure.status, { "content-type": "text/plain" }).end(`proxy answers ${failure.status}`);
      return;
    }
    const answers = Array.isArray(forwarded) ? forwarded : [forwarded];
    const replies = decided.map((d) => {
      if (typeof d.action === "object" && "answer" in d.action)
        return { jsonrpc: "2.0", id: d.request.id, ...d.action.answer } as JsonRpcResponse;
      // A node may answer a batch in any order: match by id.
      const answer = (batch ? answers.find((a) => a.id === d.request.id) : answers[0]) as JsonRpcResponse;
      return options.onAnswer ? options.onAnswer(d.call, answer) : answer;
    });
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(batch ? replies : replies[0]));
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(502, { "content-type": "text/plain" });
      res.end(`proxy failure: ${(error as Error).message}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    count: (method, action) =>
      calls.filter((c) => (method === undefined || c.method === method) && (action?.(c.action) ?? true)).length,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { expect } from "chai";
import {
  DuplicateEventError,
  ReceiptsClient,
  type ReceiptsClientOptions,
  ReceiptsProtocolError,
  ReceiptsRequestError,
  ReceiptsUnavailableError,
  retryAfterMs,
} from "../../src/jobs/client.ts";
import { rejection } from "../helpers/rejection.ts";

const KEY = "pop_sk_test0123456789abcdef";
const JOB_ID = "3f1c7f7e-8f0e-4c59-9d43-1c2b8e6f0a11";
const receipt = {
  jobId: JOB_ID,
  eventType: "JobSubmitted",
  idempotencyKey: `gpu-job-${JOB_ID}-JobSubmitted`,
  packetCid: "bafkreiexample",
  nid: "bafkreiexample",
  packetHash: "ab".repeat(32),
  status: "recorded",
  recordedAt: "2026-01-01T00:00:00.000Z",
  commit: null,
  lastError: null,
};
const submit = {
  jobId: JOB_ID,
  taskType: "llm-inference" as const,
  executor: "worker-1",
  gpu: "H100",
  modelId: "m",
};

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: string;
}
type Handler = (request: Seen, response: ServerResponse, raw: IncomingMessage) => void;

/** A stand-in service answering request n with handlers[n] (the last one repeats). */
async function standIn(handlers: Handler[]): Promise<{ url: string; seen: Seen[]; server: Server }> {
  const seen: Seen[] = [];
  const server = createServer((raw, response) => {
    let body = "";
    raw.on("data", (chunk) => {
      body += chunk;
    });
    raw.on("end", () => {
      const request = { method: raw.method ?? "", url: raw.url ?? "", headers: raw.headers, body };
      seen.push(request);
      (handlers[Math.min(seen.length - 1, handlers.length - 1)] as Handler)(request, response, raw);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, server };
}

const json =
  (status: number, body: unknown, headers: Record<string, string> = {}): Handler =>
  (_request, response) => {
    response.writeHead(status, { "content-type": "application/json", ...headers });
    response.end(JSON.stringify(body));
  };

describe("ReceiptsClient (against a hostile stand-in service)", () => {
  const servers: Server[] = [];
  const sleeps: number[] = [];
  async function client(handlers: Handler[], options: Partial<ReceiptsClientOptions> = {}) {
    const started = await standIn(handlers);
    servers.push(started.server);
    const made = new ReceiptsClient({
      baseUrl: started.url,
      apiKey: KEY,
      retryDelayMs: 1,
      maxDelayMs: 4,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
      ...options,
    });
    return { client: made, seen: started.seen, url: started.url };
  }
  beforeEach(() => {
    sleeps.length = 0;
  });
  afterEach(async () => {
    for (const server of servers.splice(0)) {
      server.closeAllConnections();
      if (server.listening) await new Promise((resolve) => server.close(resolve));
    }
  });

  it("sends the key as a bearer token and ?wait=commit when asked, and answers the receipt", async () => {
    const { client: c, seen } = await client([json(202, receipt)]);
    const answer = await c.submit(submit, { wait: true });
    expect(answer).to.deep.equal({ receipt, repeated: false });
    expect(seen).to.have.length(1);
    expect(seen[0]?.method).to.equal("POST");
    expect(seen[0]?.url).to.equal("/api/jobs/submit?wait=commit");
    expect(seen[0]?.headers.authorization).to.equal(`Bearer ${KEY}`);
    expect(JSON.parse(seen[0]?.body ?? "")).to.deep.equal(submit);
  });

  it("retries 5xx and 429 (waiting its Retry-After) with the same body, then answers", async () => {
    const { client: c, seen } = await client([
      json(503, { error: { code: "signer_unavailable", message: "later" } }),
      json(429, { error: { code: "rate_limited", message: "slow down" } }, { "retry-after": "2" }),
      json(202, receipt),
    ]);
    expect((await c.submit(submit)).receipt).to.deep.equal(receipt);
    expect(seen.map((s) => s.body)).to.deep.equal([seen[0]?.body, seen[0]?.body, seen[0]?.body]);
    expect(sleeps).to.deep.equal([1, 2000]);
  });

  it("takes a 409 after a lost answer as the original receipt (the first attempt was recorded)", async () => {
    const { client: c, seen } = await client([
      (_request, response) => response.socket?.destroy(),
      json(409, { error: { code: "duplicate_event", message: "already" }, receipt }),
    ]);
    expect(await c.submit(submit)).to.deep.equal({ receipt, repeated: true });
    expect(seen).to.have.length(2);
  });

  it("refuses a 409 on the first attempt: the job id was used before this call", async () => {
    const { client: c } = await client([
      json(409, { error: { code: "duplicate_event", message: "already" }, receipt }),
    ]);
    const error = await rejection(c.submit(submit));
    expect(error).to.be.instanceOf(DuplicateEventError);
    expect((error as DuplicateEventError).receipt).to.deep.equal(receipt);
  });

  for (const [status, code, field] of [
    [400, "invalid_request", "taskType"],
    [401, "unauthorized", "authorization"],
    [403, "forbidden", "jobId"],
    [404, "unknown_job", "jobId"],
  ] as const) {
    it(`throws ${status} at once as a typed error naming the field, never the key`, async () => {
      const { client: c, seen } = await client([
        json(status, { error: { code, message: `the key ${KEY} is bad`, field } }),
      ]);
      const error = await rejection(c.complete({ jobId: JOB_ID, exitCode: 0, durationMs: 1 }));
      expect(error).to.be.instanceOf(ReceiptsRequestError);
      expect(error).to.include({ status, code, field });
      expect(error.message).to.include(`field ${field}`);
      expect(error.message).not.to.include(KEY);
      expect(seen).to.have.length(1);
    });
  }

  it("gives up after its retries with the last failure, and never waits out an absurd Retry-After", async () => {
    const { client: c, seen } = await client([json(500, { error: { code: "internal", message: "boom" } })], {
      retries: 2,
    });
    const error = await rejection(c.timeline(JOB_ID));
    expect(error).to.be.instanceOf(ReceiptsUnavailableError);
    expect(error.message).to.include("failed 3 times").and.include("500: boom");
    expect(seen).to.have.length(3);

    const { client: patient } = await client([json(429, {}, { "retry-after": "86400" })]);
    sleeps.length = 0;
    const refused = await rejection(patient.timeline(JOB_ID));
    expect(refused).to.be.instanceOf(ReceiptsUnavailableError);
    expect(refused.message).to.include("86400 s");
    expect(sleeps).to.deep.equal([]);
  });

  it("refuses an answer past its size bound, declared or streamed, without retrying", async () => {
    const { client: c, seen } = await client(
      [
        (_request, response) => {
          response.writeHead(202, { "content-type": "application/json" }); // chunked: no Content-Length
          response.write(`{"pad":"${"x".repeat(3000)}`);
          response.end(`${"y".repeat(3000)}"}`);
        },
      ],
      { maxResponseBytes: 4096 },
    );
    const error = await rejection(c.submit(submit));
    expect(error).to.be.instanceOf(ReceiptsProtocolError);
    expect(error.message).to.include("4096 bytes");
    expect(seen).to.have.length(1);
  });

  it("refuses an answer that is not the API's (not JSON, or not a receipt)", async () => {
    const { client: c } = await client([
      (_request, response) => {
        response.writeHead(202);
        response.end("<html>proxy</html>");
      },
    ]);
    expect(await rejection(c.submit(submit))).to.be.instanceOf(ReceiptsProtocolError);
    const { client: d } = await client([json(202, { ...receipt, status: "done" })]);
    expect((await rejection(d.submit(submit))).message).to.include("status");
  });

  it("times out an attempt that never answers, and retries it", async () => {
    const { client: c, seen } = await client([() => {}], { timeoutMs: 50, retries: 1 });
    const error = await rejection(c.timeline(JOB_ID));
    expect(error).to.be.instanceOf(ReceiptsUnavailableError);
    expect(error.message).to.include("no answer within 50 ms");
    expect(seen).to.have.length(2);
  });

  it("reports a service it cannot reach after its retries", async () => {
    const { url } = await client([json(202, receipt)]);
    const closed = servers.pop() as Server;
    await new Promise((resolve) => closed.close(resolve));
    const c = new ReceiptsClient({ baseUrl: url, apiKey: KEY, retries: 2, retryDelayMs: 1, sleep: async () => {} });
    const error = await rejection(c.submit(submit));
    expect(error).to.be.instanceOf(ReceiptsUnavailableError);
    expect(error.message).to.include("cannot reach").and.include("ECONNREFUSED");
  });

  it("refuses a URL with credentials or a non-HTTP scheme, and a key that is not printable", () => {
    expect(() => new ReceiptsClient({ baseUrl: "http://u:p@127.0.0.1:1", apiKey: KEY })).to.throw("credentials");
    expect(() => new ReceiptsClient({ baseUrl: "ftp://127.0.0.1", apiKey: KEY })).to.throw("http");
    expect(() => new ReceiptsClient({ baseUrl: "http://127.0.0.1", apiKey: "a key" })).to.throw("API key");
  });

  it("reads Retry-After as seconds or an HTTP date", () => {
    expect(retryAfterMs("3")).to.equal(3000);
    expect(retryAfterMs(new Date(61_000).toUTCString(), 1_000)).to.equal(60_000);
    expect(retryAfterMs("soon")).to.equal(undefined);
    expect(retryAfterMs(null)).to.equal(undefined);
  });
});

import { expect } from "chai";
import { concurrencyLimit } from "../../indexer/src/api/concurrency.ts";
import { apiConfig } from "../../indexer/src/api/config.ts";
import { LIST_LIMIT } from "../../indexer/src/api/params.ts";
import { type ChainReads, registryReader } from "../../indexer/src/api/registry.ts";
import type { Store } from "../../indexer/src/api/store.ts";
import { IndexerConfigError } from "../../indexer/src/network.ts";
import { toOnchainId } from "../../src/anchor/ids.ts";
import {
  ASSET,
  anchorRow,
  api,
  CERTIFICATE,
  commitRow,
  entryRow,
  memoryStore,
  type Rows,
  TENANT,
  TENANT_ID,
} from "../helpers/apiRows.ts";

// The API's cost bounds over rows and fakes the test gives; test/indexer/api-bounds.test.ts asks the real indexer.

const TIMEOUT = (ms: number) =>
  `The request's database reads ran past the API's statement timeout of ${ms} ms and were stopped: ask for fewer rows (a smaller limit) or try again later.`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Three anchors of the same asset, one block apart, and three commits of job-7 naming their packets. */
function threeRuns(): Rows {
  const anchors = [0, 1, 2].map((i) => anchorRow({ id: `anchor-${i}`, blockNumber: 10n + BigInt(i) }));
  return {
    anchors,
    entries: anchors.map((a, i) =>
      entryRow(0, {
        id: `${a.id}-0`,
        anchorId: a.id,
        packetCid: `bafkreipacket-${i}`,
        packetHash: `0x${"0".repeat(63)}${i}`,
      }),
    ),
    commits: [0, 1, 2].map((i) =>
      commitRow(i, {
        timestamp: 1_767_225_500n + BigInt(i),
        blockNumber: 5n + BigInt(i),
        assetCid: `bafkreipacket-${i}`,
      }),
    ),
  };
}

describe("indexer API cost bounds over given rows", () => {
  describe("list routes take a limit", () => {
    const lists = [`/api/assets/${ASSET}`, "/api/jobs/job-7/timeline"];
    const refused: [string, string][] = [
      ["0", 'limit must be a whole number from 1 to 1000, got "0".'],
      ["1001", 'limit must be a whole number from 1 to 1000, got "1001".'],
      ["-1", 'limit must be a whole number from 1 to 1000, got "-1".'],
      ["2.5", 'limit must be a whole number from 1 to 1000, got "2.5".'],
      ["", 'limit must be a whole number from 1 to 1000, got "".'],
      ["1&limit=2", "limit must be given once, got 2 values."],
    ];
    for (const path of lists)
      for (const [value, error] of refused)
        it(`GET ${path.slice(0, 20)}...?limit=${value} answers 400 naming limit`, async () => {
          expect(await api(threeRuns())(`${path}?limit=${value}`)).to.deep.equal({ status: 400, body: { error } });
        });

    it("answers an asset's first `limit` places in anchoring order, says when there were more, and reads one more at most", async () => {
      const limits: number[] = [];
      const rows = threeRuns();
      const store: Store = {
        ...memoryStore(rows),
        assetEntries: (hash, limit) => {
          limits.push(limit);
          return memoryStore(rows).assetEntries(hash, limit);
        },
      };
      const ask = api(rows, { store });
      const blocks = (body: unknown) =>
        (body as { provenance: { anchor: { blockNumber: string } }[] }).provenance.map((p) => p.anchor.blockNumber);
      const two = (await ask(`/api/assets/${ASSET}?limit=2`)).body;
      expect(blocks(two)).to.deep.equal(["10", "11"]);
      expect(two).to.deep.include({ truncated: true });
      const three = (await ask(`/api/assets/${ASSET}?limit=3`)).body;
      expect(blocks(three)).to.deep.equal(["10", "11", "12"]);
      expect(three).to.deep.include({ truncated: false });
      await ask(`/api/assets/${ASSET}`);
      expect(limits).to.deep.equal([3, 4, LIST_LIMIT.default + 1]);
    });

    it("answers a job's oldest `limit` commits with their anchors, and says when there were more", async () => {
      const { body } = await api(threeRuns())("/api/jobs/job-7/timeline?limit=2");
      const events = (body as { events: { kind: string; blockNumber: string }[] }).events;
      expect(events.map((e) => `${e.kind}@${e.blockNumber}`)).to.deep.equal([
        "commit@5",
        "commit@6",
        "anchor@10",
        "anchor@11",
      ]);
      expect(body).to.deep.include({ truncated: true });
      expect((await api(threeRuns())("/api/jobs/job-7/timeline")).body).to.deep.include({ truncated: false });
    });
  });

  describe("the statement timeout", () => {
    it("answers 503 when a read ends past the deadline, and starts no read after it", async () => {
      const started: string[] = [];
      const rows: Rows = { anchors: [anchorRow()], tenants: [TENANT_ID] };
      const slow: Store = {
        ...memoryStore(rows),
        tenant: async (id) => {
          started.push("tenant");
          await sleep(40);
          return memoryStore(rows).tenant(id);
        },
        anchorCounts: async (id) => {
          started.push("anchorCounts");
          return memoryStore(rows).anchorCounts(id);
        },
      };
      expect(
        await api(rows, { store: slow, statementTimeoutMs: 10 })(`/api/tenants/${TENANT}/completeness`),
      ).to.deep.equal({ status: 503, body: { error: TIMEOUT(10) } });
      expect(started).to.deep.equal(["tenant"]);
      // The same reads within the timeout answer.
      expect(
        (await api(rows, { store: slow, statementTimeoutMs: 1_000 })(`/api/tenants/${TENANT}/completeness`)).status,
      ).to.equal(200);
    });

    it("answers 503 when Postgres cancels a read at its statement timeout or it waited too long for a lock", async () => {
      const failing = (code: string, message: string): Store => ({
        ...memoryStore({}),
        assetEntries: () => Promise.reject(Object.assign(new Error(message), { code })),
      });
      const cancelled = failing("57014", "canceling statement due to statement timeout");
      expect(await api({}, { store: cancelled, statementTimeoutMs: 250 })(`/api/assets/${ASSET}`)).to.deep.equal({
        status: 503,
        body: { error: TIMEOUT(250) },
      });
      const locked = failing("55P03", "canceling statement due to lock timeout");
      expect(await api({}, { store: locked })(`/api/assets/${ASSET}`)).to.deep.equal({
        status: 503,
        body: {
          error:
            "A database read of this request waited too long for a table the indexer was writing and was stopped: try again later.",
        },
      });
    });
  });

  describe("certificate metadata's external_url", () => {
    it("is built from the configured public URL, whatever Host the request names", async () => {
      const ask = api({ anchors: [anchorRow()] }, { publicUrl: "https://audit.example.org/pop" });
      const { status, body } = await ask(`/metadata/${CERTIFICATE}.json`, { headers: { host: "evil.example" } });
      expect(status).to.equal(200);
      expect(body).to.deep.include({
        external_url: `https://audit.example.org/pop/api/anchors/${TENANT_ID}/${anchorRow().chainId}`,
      });
      expect(JSON.stringify(body)).not.to.include("evil.example");
    });

    it("is left out when no public URL is configured", async () => {
      const { body } = await api({ anchors: [anchorRow()] })(`/metadata/${CERTIFICATE}.json`);
      expect(body).to.have.property("name");
      expect(body).not.to.have.property("external_url");
      expect(JSON.stringify(body)).not.to.include("api.test");
    });
  });

  describe("configuration", () => {
    it("reads the statement timeout and the public URL, refusing malformed values with a sentence naming the variable", () => {
      expect(apiConfig({})).to.deep.equal({ statementTimeoutMs: 5_000, publicUrl: undefined });
      expect(
        apiConfig({ POP_AUDIT_STATEMENT_TIMEOUT_MS: "250", POP_AUDIT_PUBLIC_URL: "https://audit.example.org/pop/" }),
      ).to.deep.equal({ statementTimeoutMs: 250, publicUrl: "https://audit.example.org/pop" });
      const refusals: [Record<string, string>, string][] = [
        [
          { POP_AUDIT_STATEMENT_TIMEOUT_MS: "0" },
          'POP_AUDIT_STATEMENT_TIMEOUT_MS must be a whole number of milliseconds from 1 to 60000, got "0".',
        ],
        [
          { POP_AUDIT_STATEMENT_TIMEOUT_MS: "5s" },
          'POP_AUDIT_STATEMENT_TIMEOUT_MS must be a whole number of milliseconds from 1 to 60000, got "5s".',
        ],
        [
          { POP_AUDIT_PUBLIC_URL: "audit.example.org" },
          'POP_AUDIT_PUBLIC_URL must be the API\'s absolute http(s) URL without query or fragment, such as https://audit.example.org, got "audit.example.org".',
        ],
        [
          { POP_AUDIT_PUBLIC_URL: "https://audit.example.org/?a=1" },
          'POP_AUDIT_PUBLIC_URL must be the API\'s absolute http(s) URL without query or fragment, such as https://audit.example.org, got "https://audit.example.org/?a=1".',
        ],
      ];
      for (const [env, message] of refusals)
        expect(() => apiConfig(env), message).to.throw(IndexerConfigError, message);
    });
  });
});

describe("registry reads for completeness", () => {
  /** Chain reads whose head the test moves, each answer held until released, counting calls and the most in flight. */
  function fakeChain() {
    const chain = {
      head: 7n,
      heads: 0,
      reads: [] as string[],
      inFlight: 0,
      maxInFlight: 0,
      fail: false,
      held: [] as (() => void)[],
      hold: false,
    };
    const reads: ChainReads = {
      headBlock: async () => {
        chain.heads++;
        return chain.head;
      },
      anchorCount: async (tenantId, blockNumber) => {
        chain.reads.push(`${tenantId.slice(0, 6)}@${blockNumber}`);
        chain.inFlight++;
        chain.maxInFlight = Math.max(chain.maxInFlight, chain.inFlight);
        try {
          if (chain.hold) await new Promise<void>((resolve) => chain.held.push(resolve));
          else await sleep(5);
          if (chain.fail) throw new Error("HTTP request failed.");
          return 3n;
        } finally {
          chain.inFlight--;
        }
      },
    };
    return { chain, reads };
  }
  const tenant = (n: number) => toOnchainId(`tenant-${n}`);

  it("reads each tenant's anchorCount once per head block, however many ask at once", async () => {
    let now = 0;
    const { chain, reads } = fakeChain();
    const registry = registryReader(reads, { headTtlMs: 1_000, now: () => now });
    const answers = await Promise.all([
      ...Array.from({ length: 20 }, () => registry.anchorCount(tenant(1))),
      ...Array.from({ length: 20 }, () => registry.anchorCount(tenant(2))),
    ]);
    expect(answers.every((a) => a.anchorCount === 3n && a.blockNumber === 7n)).to.equal(true);
    expect(chain.reads).to.have.length(2);
    expect(chain.heads).to.equal(1);
    // Within the head's lifetime nothing is read again; after it, the head is, but the block is the same.
    now = 999;
    await registry.anchorCount(tenant(1));
    now = 1_000;
    await registry.anchorCount(tenant(1));
    expect([chain.heads, chain.reads.length]).to.deep.equal([2, 2]);
    // A new block: one read per tenant again.
    chain.head = 8n;
    now = 2_000;
    await Promise.all([registry.anchorCount(tenant(1)), registry.anchorCount(tenant(1))]);
    expect(chain.reads).to.have.length(3);
    expect(chain.reads.at(-1)).to.match(/@8$/);
  });

  it("keeps at most maxConcurrentReads registry reads in flight", async () => {
    const { chain, reads } = fakeChain();
    chain.hold = true;
    const registry = registryReader(reads, { maxConcurrentReads: 3 });
    const all = Promise.all(Array.from({ length: 10 }, (_, i) => registry.anchorCount(tenant(i))));
    for (let released = 0; released < 10; released++) {
      while (chain.held.length === 0) await sleep(1);
      expect(chain.inFlight).to.be.at.most(3);
      chain.held.shift()?.();
    }
    await all;
    expect(chain.reads).to.have.length(10);
    expect(chain.maxInFlight).to.equal(3);
  });

  it("does not keep a failed read: the next request reads again", async () => {
    const { chain, reads } = fakeChain();
    chain.fail = true;
    const registry = registryReader(reads);
    const failed = await registry.anchorCount(tenant(1)).catch((error: unknown) => error);
    expect(failed).to.be.instanceOf(Error);
    chain.fail = false;
    expect((await registry.anchorCount(tenant(1))).anchorCount).to.equal(3n);
    expect(chain.reads).to.have.length(2);
  });

  it("concurrencyLimit hands a finished task's slot to the next waiter, never running one too many", async () => {
    const limited = concurrencyLimit(2);
    let running = 0;
    let most = 0;
    const task = async () => {
      running++;
      most = Math.max(most, running);
      await sleep(1);
      running--;
    };
    await Promise.all(Array.from({ length: 12 }, () => limited(task)));
    // Tasks arriving while a slot is handed over must wait too.
    await Promise.all([limited(task), limited(task), sleep(0).then(() => limited(task))]);
    expect(most).to.equal(2);
  });
});

/**
 * `pop serve` as operators run it, with each committer it can be configured
 * with: `direct` against a local Numbers chain, `capture-api` against the
 * Capture API's stand-in. A job's submission, with `?wait=commit`, answers
 * once its commit is made, and the commit is the packet's.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { createPublicClient, type Hex, http, keccak256, stringToBytes } from "viem";
import { getTransaction } from "viem/actions";
import { DEV_KEYS } from "../../scripts/demo/accounts.ts";
import { assetCidFromCommitInput } from "../../src/numbers/commitInput.ts";
import { type LocalNumbersChain, startLocalNumbers } from "../helpers/localChain.ts";
import { pop, popDaemon } from "../helpers/pop.ts";
import { type CaptureStandin, startCaptureStandin } from "../numbers/standins/captureStandin.ts";

const PASSPHRASE = "fleet north passphrase";
const TENANT = "fleet-north";
const TOKEN = "capture-standin-token";

const job = {
  jobId: "5a0f6e1c-3b7d-4e8a-9c2f-1d4b6a8e0f35",
  taskType: "llm-inference",
  executor: "worker-1",
  gpu: "H100",
  modelId: "meta-llama/Llama-3.1-8B-Instruct",
  prompt: "Summarise the report",
};

describe("pop serve with each committer", () => {
  let dir: string;
  let base: Record<string, string>;
  let apiKey: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "pop-serve-commit-"));
    base = {
      POP_KEY_PASSPHRASE: PASSPHRASE,
      POP_STATE_DIR: join(dir, "state"),
      POP_STORE_DIR: join(dir, "store"),
    };
    const key = await pop(
      dir,
      ["keys", "generate", "--key-id", "fleet-key", "--out", "fleet.key", "--scrypt-log-n", "14"],
      base,
    );
    expect(key.code, key.stderr).to.equal(0);
    const created = await pop(dir, ["serve", "keys", "create", "--tenant", TENANT, "--json"], base);
    expect(created.code, created.stderr).to.equal(0);
    apiKey = JSON.parse(created.stdout).key;
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  /** Serves with `env`, submits the job with ?wait=commit, and answers the receipt; `also` asks more of the service. */
  async function submitAndWait(env: Record<string, string>, also?: (url: string) => Promise<void>) {
    const service = await popDaemon(dir, ["serve", "--tenant", TENANT, "--key", "fleet.key", "--port", "0"], {
      ...base,
      ...env,
    });
    try {
      const response = await fetch(`${service.url}/api/jobs/submit?wait=commit`, {
        method: "POST",
        headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
        body: JSON.stringify(job),
      });
      const body = (await response.json()) as {
        nid: string;
        packetCid: string;
        status: string;
        commit: { txHash: Hex };
      };
      expect(response.status, `${JSON.stringify(body)}\n${service.stderr()}`).to.equal(200);
      await also?.(service.url);
      return body;
    } finally {
      await service.close();
    }
  }

  describe("direct, on a local Numbers chain", () => {
    let numbers: LocalNumbersChain;
    before(async () => {
      numbers = await startLocalNumbers();
    });
    after(() => numbers.close());

    it("commits the packet from the configured account: the transaction's input names the packet's CID", async () => {
      const receipt = await submitAndWait(
        {
          POP_NUMBERS_COMMITTER: "direct",
          POP_NUMBERS_RPC_URL: numbers.url,
          POP_NUMBERS_PRIVATE_KEY: DEV_KEYS[4] as string,
          POP_NUMBERS_COMMIT_CONTRACT: numbers.commitRegister,
          POP_GATEWAYS: "http://127.0.0.1:8080",
        },
        async (url) => {
          // The audit web app at /, under a policy that runs this origin's scripts only; its endpoints from the settings.
          const page = await fetch(`${url}/`);
          expect(page.status).to.equal(200);
          expect(page.headers.get("content-type")).to.equal("text/html; charset=utf-8");
          expect(page.headers.get("content-security-policy")).to.include("script-src 'self'");
          expect(await page.text()).to.include('<script type="module" src="app.js">');
          // Gzipped for a client that accepts it (fetch does, and unzips), as it is for browsers: under 300 KB.
          const script = await fetch(`${url}/app.js`);
          expect(script.headers.get("content-type")).to.equal("text/javascript; charset=utf-8");
          expect(script.headers.get("content-encoding")).to.equal("gzip");
          expect(Number(script.headers.get("content-length"))).to.be.within(10_000, 300_000);
          expect((await script.text()).length).to.be.greaterThan(Number(script.headers.get("content-length")));
          // The job timeline's transaction page reads the Numbers chain where it has no explorer.
          expect(await (await fetch(`${url}/config.json`)).json()).to.deep.equal({
            numbersRpcUrl: numbers.url,
            gateways: ["http://127.0.0.1:8080"],
          });
        },
      );
      expect(receipt).to.include({ jobId: job.jobId, eventType: "JobSubmitted", status: "committed" });
      expect(receipt.nid).to.equal(receipt.packetCid);
      const client = createPublicClient({ transport: http(numbers.url) });
      const transaction = await getTransaction(client, { hash: receipt.commit.txHash });
      expect(transaction.to?.toLowerCase()).to.equal(numbers.commitRegister.toLowerCase());
      expect(assetCidFromCommitInput(transaction.input, keccak256(stringToBytes(receipt.nid)))).to.equal(receipt.nid);
    });

    it("refuses to start without the committing account's key, naming the variable", async () => {
      const result = await pop(dir, ["serve", "--tenant", TENANT, "--key", "fleet.key"], {
        ...base,
        POP_NUMBERS_COMMITTER: "direct",
        POP_NUMBERS_RPC_URL: numbers.url,
      });
      expect(result.code).to.equal(2);
      expect(result.stderr).to.include("POP_NUMBERS_PRIVATE_KEY is not set");
    });
  });

  describe("capture-api, against the Capture API's stand-in", () => {
    let capture: CaptureStandin;
    before(async () => {
      capture = await startCaptureStandin({ token: TOKEN });
    });
    after(() => capture.close());

    it("registers the packet and updates it with commitData, answering once Numbers reports the commit", async () => {
      const receipt = await submitAndWait({
        POP_NUMBERS_COMMITTER: "capture-api",
        POP_NUMBERS_API_URL: capture.url,
        POP_NUMBERS_API_TOKEN: TOKEN,
      });
      expect(receipt).to.include({ status: "committed" });
      expect(receipt.commit.txHash).to.match(/^0x[0-9a-f]{64}$/);
      const asset = capture.assets.get(receipt.nid);
      expect(asset, "the NID the receipt names is the asset registered").not.to.equal(undefined);
      expect(capture.applied("register")).to.equal(1);
      expect(capture.applied("update")).to.equal(1);
    });

    it("refuses to start without the Capture token, naming the variable", async () => {
      const result = await pop(dir, ["serve", "--tenant", TENANT, "--key", "fleet.key"], {
        ...base,
        POP_NUMBERS_COMMITTER: "capture-api",
      });
      expect(result.code).to.equal(2);
      expect(result.stderr).to.include("POP_NUMBERS_API_TOKEN is not set");
    });
  });
});

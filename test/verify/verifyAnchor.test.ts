import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { createPublicClient, type Hex, http, type PublicClient } from "viem";
import { toOnchainId } from "../../src/anchor/ids.ts";
import type { Chainscript } from "../../src/chainscript/chainscript.ts";
import { jcs } from "../../src/chainscript/jcs.ts";
import { contentCid } from "../../src/evidence/cid.ts";
import { signerFromSeed } from "../../src/keys/fileSigner.ts";
import { type GatewayServer, startGateway } from "../../src/storage/gateway.ts";
import { LocalStore } from "../../src/storage/local.ts";
import { type AnchorVerificationReport, type VerifyProgress, verifyAnchor } from "../../src/verify/verifyAnchor.ts";
import { accounts, clients, registerAndAnchor } from "../helpers/anchorRun.ts";
import { type LocalChain, startLocalBase } from "../helpers/localChain.ts";
import { eventTopic, lyingRpc as lying } from "../helpers/lyingRpc.ts";
import type { RpcProxy } from "../helpers/rpcProxy.ts";
import { threeStageRun } from "../helpers/run.ts";

const POP = new URL("../../bin/pop.js", import.meta.url).pathname;
const statusOf = (report: AnchorVerificationReport, id: string) => report.checks.find((c) => c.id === id)?.status;
let chainCounter = 0;
const freshChainId = () => `7c9e6679-7425-40de-944b-${(++chainCounter).toString().padStart(12, "0")}`;

/** A JSON-RPC proxy that forwards to `target` but rewrites the chainHash of every ProcessAnchored log. */
function lyingRpc(target: string): Promise<RpcProxy> {
  return lying(target, {
    logs: (log) => [
      log.topics[0] === eventTopic.ProcessAnchored
        ? { ...log, data: `${log.data.slice(0, 2)}${"ab".repeat(32)}${log.data.slice(66)}` as Hex }
        : log,
    ],
  });
}

describe("verifyAnchor (the 4-step protocol against a local chain and gateway)", () => {
  let chain: LocalChain;
  let dir: string;
  let store: LocalStore;
  let gateway: GatewayServer;
  let client: PublicClient;

  before(async () => {
    chain = await startLocalBase();
    dir = await mkdtemp(join(tmpdir(), "pop-verify-"));
    store = new LocalStore(dir);
    gateway = await startGateway(store);
    client = createPublicClient({ chain: chain.chain, transport: http(chain.url) }) as PublicClient;
  });
  after(async () => {
    await gateway.close();
    await chain.close();
    await rm(dir, { recursive: true, force: true });
  });

  const params = (run: Awaited<ReturnType<typeof threeStageRun>>, gateways = [gateway.url]) => ({
    tenantId: run.built.chainscript.tenantId,
    chainId: run.built.chainscript.chainId,
    registry: chain.registry,
    gateways,
    threads: 1,
  });

  it("verifies an anchored three-stage run with nothing but an RPC and a gateway", async () => {
    const run = await threeStageRun(undefined, undefined, freshChainId());
    const receipt = await registerAndAnchor(chain, run, store);
    const report = await verifyAnchor([client], params(run));
    expect(report.verdict, JSON.stringify(report.firstFailure)).to.equal("valid");
    expect(report.anchor).to.deep.include({
      blockNumber: receipt.blockNumber,
      transactionHash: receipt.transactionHash,
      ipfsCid: run.built.cid,
      signer: accounts.signer.address,
    });
    expect(report.anchor?.anchorCount).to.be.a("bigint");
    for (const id of [
      "rpc.agreement",
      "anchor.log",
      "anchor.signer",
      "anchor.binding",
      "chainscript.cid",
      "packets.signature",
      "lineage",
    ]) {
      expect(statusOf(report, id), id).to.equal("pass");
    }
  });

  it("tells its progress: each check of steps 1 and 2 once settled, as the report has it, then the packets fetched", async () => {
    const run = await threeStageRun(undefined, undefined, freshChainId());
    await registerAndAnchor(chain, run, store);
    const seen: VerifyProgress[] = [];
    const report = await verifyAnchor([client], { ...params(run), onProgress: (progress) => seen.push(progress) });
    expect(report.verdict).to.equal("valid");
    const checks = seen.flatMap((p) => (p.kind === "check" ? [p.check] : []));
    expect(checks.map((c) => c.id)).to.deep.equal([
      "anchor.log",
      "anchor.signer",
      "chainscript.available",
      "anchor.binding",
    ]);
    for (const check of checks) expect(report.checks.find((c) => c.id === check.id)).to.deep.equal(check);
    // The three packets: one report, after the last (a report every 16 and at the end).
    expect(seen.filter((p) => p.kind === "packets")).to.deep.equal([{ kind: "packets", done: 3, total: 3 }]);
    // Packets are fetched after the chainscript's checks are settled.
    expect(seen.at(-1)?.kind).to.equal("packets");
  });

  it("tells a failed check as settled too, and nothing after a chainscript that no gateway serves", async () => {
    const run = await threeStageRun(undefined, undefined, freshChainId());
    // Stored where no gateway looks: the anchor is real, its content unavailable.
    const elsewhere = await mkdtemp(join(tmpdir(), "pop-elsewhere-"));
    await registerAndAnchor(chain, run, new LocalStore(elsewhere));
    await rm(elsewhere, { recursive: true, force: true });
    const seen: VerifyProgress[] = [];
    const report = await verifyAnchor([client], {
      ...params(run),
      fetchTimeoutMs: 2_000,
      onProgress: (progress) => seen.push(progress),
    });
    expect(report.verdict).to.equal("incomplete");
    expect(seen.map((p) => (p.kind === "check" ? `${p.check.id} ${p.check.status}` : p.kind))).to.deep.equal([
      "anchor.log pass",
      "anchor.signer pass",
      "chainscript.available fail",
    ]);
  });

  it("stops fetching packets past the run's byte budget, and calls what it did not fetch incomplete, never valid", async () => {
    const run = await threeStageRun(undefined, undefined, freshChainId());
    await registerAndAnchor(chain, run, store);
    // One packet is a few hundred bytes: a budget of one byte holds the first packet each fetcher gets, no more.
    const report = await verifyAnchor([client], { ...params(run), concurrency: 1, packetBudgetBytes: 1 });
    expect(report.verdict).to.equal("incomplete");
    expect(report.firstFailure?.check).to.equal("packets.available");
    expect(report.packets?.size).to.equal(1);
  });

  it("calls a chain that was never anchored invalid", async () => {
    const run = await threeStageRun(undefined, undefined, freshChainId());
    const report = await verifyAnchor([client], params(run));
    expect(report.verdict).to.equal("invalid");
    expect(report.firstFailure?.check).to.equal("anchor.log");
  });

  it("cannot complete when the only gateway serves other bytes, and completes with an honest one beside it", async () => {
    const run = await threeStageRun(undefined, undefined, freshChainId());
    await registerAndAnchor(chain, run, store);
    const liar = createServer((_req, res) => res.writeHead(200).end(Buffer.alloc(600, 7)));
    await new Promise<void>((resolve) => liar.listen(0, "127.0.0.1", resolve));
    const liarUrl = `http://127.0.0.1:${(liar.address() as AddressInfo).port}`;
    try {
      const alone = await verifyAnchor([client], params(run, [liarUrl]));
      expect(alone.verdict).to.equal("incomplete");
      expect(alone.firstFailure?.check).to.equal("chainscript.available");
      expect(alone.firstFailure?.message).to.include("tampered");
      const both = await verifyAnchor([client], params(run, [liarUrl, gateway.url]));
      expect(both.verdict).to.equal("valid");
    } finally {
      await new Promise<void>((resolve) => liar.close(() => resolve()));
    }
  });

  it("reports RPC endpoints that disagree about the anchor", async () => {
    const run = await threeStageRun(undefined, undefined, freshChainId());
    await registerAndAnchor(chain, run, store);
    const proxy = await lyingRpc(chain.url);
    try {
      const lying = createPublicClient({ chain: chain.chain, transport: http(proxy.url) }) as PublicClient;
      const report = await verifyAnchor([client, lying], params(run));
      expect(report.verdict).to.equal("incomplete");
      expect(report.firstFailure?.check).to.equal("rpc.agreement");
    } finally {
      await proxy.close();
    }
  });

  it("rejects packets signed with a key revoked before the anchor", async () => {
    // Its own key, so that the tenant's usual key stays valid for the other tests.
    const compromised = signerFromSeed("compromised-key", new Uint8Array(32).fill(0x0c));
    const run = await threeStageRun(compromised, compromised, freshChainId());
    await registerAndAnchor(chain, run, store, { revokeKeyFirst: true });
    const report = await verifyAnchor([client], params(run));
    expect(report.verdict).to.equal("invalid");
    expect(report.firstFailure?.check).to.be.oneOf(["chain.key", "packets.key"]);
  });

  describe("when the tenant revokes a key after the anchor (it found the key stolen)", () => {
    /** A run anchored under its own key, so that revoking it touches no other test. */
    async function anchoredWithOwnKey(name: string, seed: number) {
      const key = signerFromSeed(name, new Uint8Array(32).fill(seed));
      const run = await threeStageRun(key, key, freshChainId());
      await registerAndAnchor(chain, run, store);
      const revoke = (atMs: number) =>
        clients(chain).send(accounts.admin, "revokeSigningKey", [
          toOnchainId(run.built.chainscript.tenantId),
          toOnchainId(key.keyId),
          BigInt(Math.floor(atMs / 1000)),
        ]);
      return { run, revoke };
    }

    it("rejects the packets signed from the revocation's effective time on, anchored before it was recorded", async () => {
      const { run, revoke } = await anchoredWithOwnKey("stolen-key", 0x51);
      expect((await verifyAnchor([client], params(run))).verdict).to.equal("valid");
      await revoke(run.packets[1]?.packet.timestamp as number);
      const report = await verifyAnchor([client], params(run));
      expect(report.verdict).to.equal("invalid");
      expect(report.firstFailure?.check).to.equal("chain.key");
      const packetKeys = report.checks.find((c) => c.id === "packets.key");
      expect(packetKeys?.failures.map((f) => f.entry)).to.deep.equal([1, 2]);
      expect(packetKeys?.failures[0]?.message).to.include("the tenant revoked the key from");
    });

    it("still accepts packets signed before the revocation's effective time", async () => {
      const { run, revoke } = await anchoredWithOwnKey("retired-early-key", 0x52);
      await revoke((run.packets[2]?.packet.timestamp as number) + 1_000);
      const report = await verifyAnchor([client], params(run));
      expect(report.verdict, JSON.stringify(report.firstFailure)).to.equal("valid");
    });
  });

  it("rejects a chain whose packets are dated after its anchor's block (beyond the clock skew)", async () => {
    const run = await threeStageRun(undefined, undefined, freshChainId(), Date.now() + 3_600_000);
    await registerAndAnchor(chain, run, store);
    const report = await verifyAnchor([client], params(run));
    expect(report.verdict).to.equal("invalid");
    expect(report.firstFailure).to.deep.include({ check: "entries.time", entry: 0 });
    expect(report.checks.find((c) => c.id === "packets.time")?.failed).to.equal(3);
  });

  it("rejects an anchor whose authorising signer the tenant has since removed", async () => {
    const run = await threeStageRun(undefined, undefined, freshChainId());
    await registerAndAnchor(chain, run, store);
    const { send } = clients(chain);
    await send(accounts.admin, "setAnchorSigner", [
      toOnchainId(run.built.chainscript.tenantId),
      accounts.signer.address,
      false,
    ]);
    try {
      const report = await verifyAnchor([client], params(run));
      expect(report.verdict).to.equal("invalid");
      expect(report.firstFailure).to.deep.include({ check: "anchor.signer" });
      expect(report.firstFailure?.message).to.include("has since been removed");
    } finally {
      await send(accounts.admin, "setAnchorSigner", [
        toOnchainId(run.built.chainscript.tenantId),
        accounts.signer.address,
        true,
      ]);
    }
  });

  it("is what `pop verify` runs: exit 0 for a valid anchor, 1 for a chain never anchored", async () => {
    const run = await threeStageRun(undefined, undefined, freshChainId());
    await registerAndAnchor(chain, run, store);
    const pop = (chainId: string, json: boolean) =>
      new Promise<{ code: number; stdout: string }>((resolve) => {
        const args = [
          POP,
          "verify",
          "--tenant",
          run.built.chainscript.tenantId,
          "--chain-id",
          chainId,
          "--rpc",
          chain.url,
        ];
        args.push("--gateway", gateway.url, "--registry", chain.registry, ...(json ? ["--json"] : []));
        execFile(
          process.execPath,
          args,
          { env: { ...process.env, POP_CACHE_DIR: join(dir, "cache") } },
          (error, stdout) => resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout }),
        );
      });
    const valid = await pop(run.built.chainscript.chainId, true);
    expect(valid.code, valid.stdout).to.equal(0);
    expect(JSON.parse(valid.stdout)).to.deep.include({ verdict: "valid" });
    const missing = await pop(freshChainId(), false);
    expect(missing.code).to.equal(1);
    expect(missing.stdout)
      .to.match(/^verdict: invalid$/m)
      .and.include("✘ anchor.log");
  });

  it("proves with `pop verify-asset` which stage produced a file, and that another file was not produced, answering on the first line", async () => {
    const run = await threeStageRun(undefined, undefined, freshChainId());
    await registerAndAnchor(chain, run, store);
    const { tenantId, chainId } = run.built.chainscript;
    // The fixture's outputs are the SHA-256 of these labels; the "file" holds exactly those bytes' preimage.
    const produced = join(dir, "lighthouse@4x.png");
    const other = join(dir, "other.png");
    await writeFile(produced, "lighthouse@4x.png");
    await writeFile(other, "something else");
    const pop = (file: string, json: boolean, chainIdArg = chainId) =>
      new Promise<{ code: number; stdout: string }>((resolve) => {
        const args = [POP, "verify-asset", file, "--tenant", tenantId];
        args.push("--chain-id", chainIdArg, "--rpc", chain.url, "--gateway", gateway.url);
        args.push("--registry", chain.registry, ...(json ? ["--json"] : []));
        execFile(
          process.execPath,
          args,
          { env: { ...process.env, POP_CACHE_DIR: join(dir, "cache") } },
          (error, stdout) => resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout }),
        );
      });
    const firstLine = (stdout: string) => stdout.split("\n")[0];
    const chainWords = `chain ${chainId} of tenant ${tenantId}`;

    const proven = await pop(produced, true);
    expect(proven.code, proven.stdout).to.equal(0);
    expect(JSON.parse(proven.stdout)).to.deep.include({
      result: "proven",
      answer: `proven: ${produced} is the output of step upscale (entry 1) of ${chainWords}`,
      verdict: "valid",
      produced: true,
      entry: 1,
      stageId: "upscale",
    });
    const provenText = await pop(produced, false);
    expect(provenText.code).to.equal(0);
    expect(firstLine(provenText.stdout)).to.equal(
      `proven: ${produced} is the output of step upscale (entry 1) of ${chainWords}`,
    );
    expect(provenText.stdout).to.match(/^stageId: upscale$/m);

    const notProduced = await pop(other, false);
    expect(notProduced.code).to.equal(1);
    const [answer, ...details] = notProduced.stdout.trimEnd().split("\n");
    const sha256 = createHash("sha256").update("something else").digest("hex");
    expect(answer).to.equal(
      `not produced by this chain: ${other} (sha256 ${sha256}) is the output of no step of the valid ${chainWords}`,
    );
    // The details follow; none of them reads as the answer before it.
    expect(details).to.include("verdict: valid").and.include("produced: false");
    const notProducedJson = JSON.parse((await pop(other, true)).stdout);
    expect(notProducedJson).to.deep.include({ result: "not-produced", answer, verdict: "valid", produced: false });

    const never = freshChainId();
    const invalid = await pop(produced, false, never);
    expect(invalid.code).to.equal(1);
    expect(firstLine(invalid.stdout)).to.match(
      new RegExp(
        `^chain invalid: chain ${never} of tenant ${tenantId} fails anchor\\.log: ${never} was never anchored`,
      ),
    );
  });

  describe("when the operator anchored a chainscript that does not hold together", () => {
    /** Re-serialises an edited copy of a run's chainscript, under its own (new) CID, as a dishonest operator would anchor it. */
    async function anchorEdited(edit: (c: { entries: Chainscript["entries"][number][] }) => void) {
      const run = await threeStageRun(undefined, undefined, freshChainId());
      const copy = structuredClone(run.built.chainscript) as unknown as { entries: Chainscript["entries"][number][] };
      edit(copy);
      const bytes = new TextEncoder().encode(jcs(copy));
      const built = { ...run.built, chainscript: copy as unknown as Chainscript, bytes, cid: await contentCid(bytes) };
      await registerAndAnchor(chain, { ...run, built }, store);
      return verifyAnchor([client], params({ ...run, built }));
    }

    it("names entries.sequence for entries in another order", async () => {
      const report = await anchorEdited((c) => {
        c.entries = [c.entries[1], c.entries[0], c.entries[2]] as Chainscript["entries"][number][];
      });
      expect(report.verdict).to.equal("invalid");
      expect(report.firstFailure?.check).to.equal("entries.sequence");
    });

    it("names entries.signature for a stage renamed after signing", async () => {
      const report = await anchorEdited((c) => {
        c.entries[2] = { ...(c.entries[2] as Chainscript["entries"][number]), stageId: "publish" };
      });
      expect(report.firstFailure).to.deep.include({ check: "entries.signature", entry: 2 });
    });

    it("names packets.signature for a packet signed by a key the tenant never registered", async () => {
      const rogue = signerFromSeed("studio-key-2026", new Uint8Array(32).fill(0x66));
      const run = await threeStageRun(undefined, rogue, freshChainId());
      await registerAndAnchor(chain, run, store);
      const report = await verifyAnchor([client], params(run));
      expect(report.verdict).to.equal("invalid");
      expect(report.firstFailure?.check).to.equal("packets.signature");
    });
  });

  it("cannot complete when no RPC answers", async () => {
    const run = await threeStageRun(undefined, undefined, freshChainId());
    const dead = createPublicClient({
      chain: chain.chain,
      transport: http("http://127.0.0.1:9", { retryCount: 0 }),
    }) as PublicClient;
    const report = await verifyAnchor([dead], params(run));
    expect(report.verdict).to.equal("incomplete");
    expect(report.firstFailure?.check).to.equal("rpc.reachable");
  });
});

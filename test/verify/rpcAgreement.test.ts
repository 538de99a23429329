import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import {
  createPublicClient,
  createWalletClient,
  decodeFunctionResult,
  encodeFunctionResult,
  type Hex,
  http,
  type PublicClient,
  toHex,
} from "viem";
import { processAnchorRegistryAbi } from "../../src/anchor/abi.ts";
import { toOnchainId } from "../../src/anchor/ids.ts";
import { signerFromSeed } from "../../src/keys/fileSigner.ts";
import { type GatewayServer, startGateway } from "../../src/storage/gateway.ts";
import { LocalStore } from "../../src/storage/local.ts";
import { MAX_HEAD_SPREAD } from "../../src/verify/agreement.ts";
import { type AnchorVerificationReport, verifyAnchor } from "../../src/verify/verifyAnchor.ts";
import { accounts, clients, registerAndAnchor } from "../helpers/anchorRun.ts";
import { type LocalChain, startLocalBase } from "../helpers/localChain.ts";
import { addressTopic, eventTopic, type Lies, lyingRpc } from "../helpers/lyingRpc.ts";
import { threeStageRun } from "../helpers/run.ts";

const POP = new URL("../../bin/pop.js", import.meta.url).pathname;
let counter = 0;
const freshChainId = () => `5b1c3f0e-8d2a-4c6b-9e7f-${(++counter).toString().padStart(12, "0")}`;

/** signingKey's answer with the revocation erased: the key looks never revoked. */
const unrevoked = (result: Hex): Hex => {
  const key = decodeFunctionResult({ abi: processAnchorRegistryAbi, functionName: "signingKey", data: result });
  return encodeFunctionResult({
    abi: processAnchorRegistryAbi,
    functionName: "signingKey",
    result: { ...key, revokedAt: 0n, revocationRecordedAt: 0n },
  });
};
const TRUE: Hex = `0x${"0".repeat(63)}1`;

describe("verifyAnchor with several RPC endpoints, one of them lying", function () {
  this.timeout(120_000);
  let chain: LocalChain;
  let dir: string;
  let store: LocalStore;
  let gateway: GatewayServer;
  let honest: PublicClient;

  before(async () => {
    chain = await startLocalBase();
    dir = await mkdtemp(join(tmpdir(), "pop-rpc-agreement-"));
    store = new LocalStore(dir);
    gateway = await startGateway(store);
    honest = createPublicClient({ chain: chain.chain, transport: http(chain.url) }) as PublicClient;
  });
  after(async () => {
    await gateway.close();
    await chain.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** A run with its own key (so that revoking it touches no other test), anchored. */
  async function anchoredRun() {
    const id = freshChainId();
    const key = signerFromSeed(`key-${id}`, new Uint8Array(32).fill(counter));
    const run = await threeStageRun(key, key, id);
    await registerAndAnchor(chain, run, store);
    const parameters = {
      tenantId: run.built.chainscript.tenantId,
      chainId: id,
      registry: chain.registry,
      gateways: [gateway.url],
      threads: 1,
    };
    return { run, parameters, tenantId: toOnchainId(run.built.chainscript.tenantId), keyId: toOnchainId(key.keyId) };
  }

  /** The verdict with a liar as the first endpoint and the honest node second. */
  async function withLiar(
    lies: Lies,
    parameters: Parameters<typeof verifyAnchor>[1],
    order: "liar first" | "liar alone" = "liar first",
  ): Promise<AnchorVerificationReport> {
    const proxy = await lyingRpc(chain.url, lies);
    try {
      const liar = createPublicClient({ chain: chain.chain, transport: http(proxy.url) }) as PublicClient;
      return await verifyAnchor(order === "liar alone" ? [liar] : [liar, honest], parameters);
    } finally {
      await proxy.close();
    }
  }
  const expectDisagreement = (report: AnchorVerificationReport, about: RegExp) => {
    expect(report.verdict, JSON.stringify(report.firstFailure)).to.equal("incomplete");
    expect(report.firstFailure?.check).to.equal("rpc.agreement");
    expect(report.firstFailure?.message).to.match(about);
  };

  it("cannot complete when the first endpoint hides a key revocation the second shows", async () => {
    const { run, parameters, tenantId, keyId } = await anchoredRun();
    // The tenant finds the theft after the anchor and revokes the key from before the second packet.
    const second = run.packets[1]?.packet.timestamp as number;
    await clients(chain).send(accounts.admin, "revokeSigningKey", [tenantId, keyId, BigInt(Math.floor(second / 1000))]);
    const alone = await verifyAnchor([honest], parameters);
    expect(alone.verdict).to.equal("invalid");
    expect(alone.firstFailure?.check).to.equal("chain.key");
    expectDisagreement(await withLiar({ calls: { signingKey: unrevoked } }, parameters), /about signingKey\(/);
  });

  it("cannot complete when the first endpoint says a removed signer is still allowed", async () => {
    const { parameters, tenantId } = await anchoredRun();
    const { send } = clients(chain);
    await send(accounts.admin, "setAnchorSigner", [tenantId, accounts.signer.address, false]);
    try {
      expect((await verifyAnchor([honest], parameters)).firstFailure?.check).to.equal("anchor.signer");
      expectDisagreement(
        await withLiar({ calls: { isAnchorSigner: () => TRUE } }, parameters),
        /about isAnchorSigner\(/,
      );
    } finally {
      await send(accounts.admin, "setAnchorSigner", [tenantId, accounts.signer.address, true]);
    }
  });

  it("cannot complete when the endpoints name different signers in AnchorAuthorised", async () => {
    const { parameters } = await anchoredRun();
    const otherSigner = addressTopic(accounts.admin.address);
    const report = await withLiar(
      {
        logs: (log) =>
          log.topics[0] === eventTopic.AnchorAuthorised
            ? [{ ...log, topics: [...log.topics.slice(0, 3), otherSigner] }]
            : [log],
      },
      parameters,
    );
    expectDisagreement(report, /about the anchor of tenant studio-aurora/);
  });

  it("calls an anchor with no AnchorAuthorised event invalid, and cannot complete when only one endpoint hides it", async () => {
    const { parameters } = await anchoredRun();
    const hide: Lies = { logs: (log) => (log.topics[0] === eventTopic.AnchorAuthorised ? [] : [log]) };
    const alone = await withLiar(hide, parameters, "liar alone");
    expect(alone.verdict).to.equal("invalid");
    expect(alone.firstFailure?.check).to.equal("anchor.signer");
    expect(alone.firstFailure?.message).to.include("no AnchorAuthorised event");
    expectDisagreement(await withLiar(hide, parameters), /about the anchor of tenant/);
  });

  it("calls an anchor invalid when its block holds two ProcessAnchored logs or two AnchorAuthorised events", async () => {
    const { parameters } = await anchoredRun();
    const twice = (topic: Hex): Lies => ({ logs: (log) => (log.topics[0] === topic ? [log, log] : [log]) });
    const logs = await withLiar(twice(eventTopic.ProcessAnchored), parameters, "liar alone");
    expect(logs.firstFailure).to.deep.include({
      check: "anchor.log",
      message: "2 ProcessAnchored logs instead of one",
    });
    // Steps 2 to 4 do not start from a log that is not exactly one.
    expect(logs.checks.find((c) => c.id === "chainscript.available")?.status).to.equal("skip");
    const signers = await withLiar(twice(eventTopic.AnchorAuthorised), parameters, "liar alone");
    expect(signers.firstFailure).to.deep.include({
      check: "anchor.log",
      message: "2 AnchorAuthorised events for one anchor instead of one",
    });
    expect(signers.checks.find((c) => c.id === "chainscript.available")?.status).to.equal("skip");
    expect(signers.anchor).to.equal(undefined);
  });

  it("cannot complete when the endpoints disagree about anchorCount or the anchor's block", async () => {
    const { parameters } = await anchoredRun();
    const plusOne = (result: Hex) => toHex(BigInt(result) + 1n, { size: 32 });
    expectDisagreement(await withLiar({ calls: { anchorCount: plusOne } }, parameters), /about anchorCount\(/);
    expectDisagreement(await withLiar({ calls: { anchorBlock: plusOne } }, parameters), /about the anchor of tenant/);
  });

  describe("the block at which 'now' is read", () => {
    /** Adds `count` blocks: one 0-value transfer each (hardhat_mine cannot build blocks on the simulated OP chain). */
    async function mine(count: bigint) {
      const wallet = createWalletClient({ account: accounts.relayer, chain: chain.chain, transport: http(chain.url) });
      for (let i = 0n; i < count; i++) {
        const hash = await wallet.sendTransaction({ to: accounts.relayer.address, value: 0n, chain: chain.chain });
        await honest.waitForTransactionReceipt({ hash });
      }
    }
    before(async () => {
      // Enough blocks for an endpoint to claim to be far behind.
      await mine(MAX_HEAD_SPREAD + 2n);
    });

    it("is the lowest latest block: an endpoint a block behind is no disagreement", async () => {
      const { parameters, tenantId } = await anchoredRun();
      await mine(1n);
      const behind = await lyingRpc(chain.url, { blockNumber: (head) => head - 1n });
      try {
        const lagging = createPublicClient({ chain: chain.chain, transport: http(behind.url) }) as PublicClient;
        const report = await verifyAnchor([honest, lagging], parameters);
        expect(report.verdict, JSON.stringify(report.firstFailure)).to.equal("valid");
        // Both endpoints were asked "is the signer still allowed" at the lagging endpoint's block.
        const head = await honest.getBlockNumber({ cacheTime: 0 });
        const pinnedReads = behind.calls.filter(
          (c) => c.method === "eth_call" && JSON.stringify(c.params).includes(`"${toHex(head - 1n)}"`),
        );
        expect(pinnedReads.length, `reads of ${tenantId} at the pinned block`).to.be.greaterThan(0);
      } finally {
        await behind.close();
      }
    });

    it(`cannot complete when an endpoint claims to be more than ${MAX_HEAD_SPREAD} blocks behind`, async () => {
      const { parameters } = await anchoredRun();
      const report = await withLiar({ blockNumber: (head) => head - MAX_HEAD_SPREAD - 1n }, parameters);
      expectDisagreement(report, /latest blocks lie 33 blocks apart/);
    });
  });

  it("makes `pop verify` exit 2 when its endpoints disagree", async () => {
    const { run, parameters } = await anchoredRun();
    const proxy = await lyingRpc(chain.url, { calls: { anchorCount: () => toHex(1_000n, { size: 32 }) } });
    try {
      const args = [POP, "verify", "--tenant", parameters.tenantId, "--chain-id", parameters.chainId];
      args.push("--rpc", proxy.url, "--rpc", chain.url, "--gateway", gateway.url, "--registry", chain.registry);
      const { code, stdout } = await new Promise<{ code: number; stdout: string }>((resolve) =>
        execFile(
          process.execPath,
          [...args, "--json"],
          { env: { ...process.env, POP_CACHE_DIR: join(dir, "cache") } },
          (error, out) => resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout: out }),
        ),
      );
      expect(code, stdout).to.equal(2);
      expect(JSON.parse(stdout)).to.deep.include({ verdict: "incomplete" });
      expect(JSON.parse(stdout).firstFailure.check).to.equal("rpc.agreement");
      expect(run.built.cid).to.be.a("string");
    } finally {
      await proxy.close();
    }
  });
});

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import type { Address, Hex } from "viem";
import { toOnchainId } from "../../src/anchor/ids.ts";
import { RegistryError } from "../../src/anchor/registryErrors.ts";
import type { SigningKeyRecord } from "../../src/anchor/registryReads.ts";
import { Check, summarize } from "../../src/chainscript/report.ts";
import { contentCid } from "../../src/evidence/cid.ts";
import { type GatewayServer, startGateway } from "../../src/storage/gateway.ts";
import { LocalStore } from "../../src/storage/local.ts";
import { agreeingView, RpcDisagreementError, RpcUnreachableError } from "../../src/verify/agreement.ts";
import { registryView, type ViewClient } from "../../src/verify/registryView.ts";
import {
  type AnchoredLog,
  AVAILABILITY,
  CLOCK_SKEW_MS,
  checkAnchored,
  checkAnchoredIn,
  verifyAnchored,
} from "../../src/verify/verifyAnchored.ts";
import { RFC8032_PUBLIC_1 } from "../helpers/fixtures.ts";
import { type Run, threeStageRun } from "../helpers/run.ts";

const BLOCK = 40n;
const SIGNER: Address = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";
const NO_KEY: SigningKeyRecord = {
  publicKey: `0x${"00".repeat(32)}`,
  validFrom: 0n,
  validUntil: 0n,
  revokedAt: 0n,
  revocationRecordedAt: 0n,
};
const KEY: SigningKeyRecord = { ...NO_KEY, publicKey: `0x${RFC8032_PUBLIC_1}`, validUntil: 2n ** 40n };

interface RegistryState {
  allowedThen: boolean;
  allowedNow: boolean;
  keyThen: SigningKeyRecord;
  keyNow: SigningKeyRecord;
}
const HONEST: RegistryState = { allowedThen: true, allowedNow: true, keyThen: KEY, keyNow: KEY };

/** A ViewClient over `state`: reads at BLOCK see the "then" values, any other read (without a block, or at a pinned one) the "now" ones. */
function fakeClient(state: Partial<RegistryState> = {}) {
  const { allowedThen, allowedNow, keyThen, keyNow } = { ...HONEST, ...state };
  const calls: string[] = [];
  const client: ViewClient = {
    readContract: async ({ functionName, blockNumber }) => {
      calls.push(`${functionName}@${blockNumber ?? "now"}`);
      const then = blockNumber === BLOCK;
      if (functionName === "anchorCount") return 7n;
      if (functionName === "isAnchorSigner") return then ? allowedThen : allowedNow;
      return then ? keyThen : keyNow;
    },
  };
  return { client, calls };
}

describe("checkAnchored (steps 2 to 4 for a known log, against a fake registry and a real gateway)", () => {
  let dir: string;
  let store: LocalStore;
  let gateway: GatewayServer;
  let run: Run;
  let log: AnchoredLog;
  let last: number;
  const parameters = () => ({
    registry: "0x5FbDB2315678afecb367f032d93F642f64180aa3" as Address,
    gateways: [gateway.url],
    threads: 1,
  });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "pop-check-anchored-"));
    store = new LocalStore(dir);
    gateway = await startGateway(store);
    run = await threeStageRun();
    for (const packet of run.packets) await store.add(packet.bytes);
    await store.add(run.built.bytes);
    last = run.built.chainscript.entries[2]?.timestamp as number;
    log = {
      tenantId: toOnchainId(run.built.chainscript.tenantId),
      chainId: toOnchainId(run.built.chainscript.chainId),
      chainHash: `0x${run.built.chainscript.chainHash}`,
      ipfsCid: run.built.cid,
      blockNumber: BLOCK,
      transactionHash: `0x${"ab".repeat(32)}`,
      timestamp: BigInt(Math.floor(last / 1000)) + 100n,
      signer: SIGNER,
    };
  });
  after(async () => {
    await gateway.close();
    await rm(dir, { recursive: true, force: true });
  });

  const verify = (state: Partial<RegistryState> = {}, changes: Partial<AnchoredLog> = {}) =>
    verifyAnchored(fakeClient(state).client, { ...log, ...changes }, parameters());
  const failure = async (state: Partial<RegistryState>, changes: Partial<AnchoredLog> = {}) =>
    (await verify(state, changes)).firstFailure;

  it("calls an honest anchor valid, reading the signer and key at the anchor's block and now", async () => {
    const { client, calls } = fakeClient();
    const report = await verifyAnchored(client, log, parameters());
    expect(report.verdict, JSON.stringify(report.firstFailure)).to.equal("valid");
    expect(report.anchor).to.deep.include({ signer: SIGNER, anchorCount: 7n, blockNumber: BLOCK });
    expect(report.checks.find((c) => c.id === "anchor.signer")?.status).to.equal("pass");
    expect(report.checks.find((c) => c.id === "packets.time")).to.deep.include({ status: "pass", checked: 3 });
    expect([...new Set(calls)].sort()).to.deep.equal([
      "anchorCount@40",
      "isAnchorSigner@40",
      "isAnchorSigner@now",
      "signingKey@40",
      "signingKey@now",
    ]);
  });

  describe("anchor.signer", () => {
    it("fails, not skips, when no AnchorAuthorised event names the signer", async () => {
      const { signer: _none, ...unsigned } = log;
      const report = await verifyAnchored(fakeClient().client, unsigned, parameters());
      expect(report.verdict).to.equal("invalid");
      expect(report.firstFailure).to.deep.equal({
        check: "anchor.signer",
        message: `no AnchorAuthorised event of the registry names who authorised the anchor at block ${BLOCK}, so its signer cannot be established`,
      });
    });

    it("fails for a signer not allowed at the anchor's block", async () => {
      expect(await failure({ allowedThen: false })).to.deep.equal({
        check: "anchor.signer",
        message: `signer ${SIGNER} was not allowed at block ${BLOCK}`,
      });
    });

    it("fails for a signer the tenant has since removed", async () => {
      expect(await failure({ allowedNow: false })).to.deep.equal({
        check: "anchor.signer",
        message: `signer ${SIGNER} has since been removed by the tenant`,
      });
    });
  });

  describe("anchor.binding", () => {
    it("fails for a chainscript of another tenant", async () => {
      expect(await failure({}, { tenantId: toOnchainId("studio-borealis") })).to.deep.equal({
        check: "anchor.binding",
        message: `the chainscript's tenant "studio-aurora" is not the anchored tenant`,
      });
    });

    it("fails for a chainscript of another chain id", async () => {
      expect(await failure({}, { chainId: toOnchainId("another-chain") })).to.deep.equal({
        check: "anchor.binding",
        message: `the chainscript's chain id ${run.built.chainscript.chainId} is not the anchored one`,
      });
    });

    it("fails for another chainHash than the anchored one", async () => {
      const chainHash: Hex = `0x${"00".repeat(32)}`;
      expect(await failure({}, { chainHash })).to.deep.equal({
        check: "anchor.binding",
        message: `the chainscript's chainHash 0x${run.built.chainscript.chainHash} is not the anchored ${chainHash}`,
      });
    });

    it("fails for an anchored ipfsCid that no content can match, and cannot complete for content no gateway has", async () => {
      const bad = await verify({}, { ipfsCid: "not-a-cid" });
      expect(bad.verdict).to.equal("invalid");
      expect(bad.firstFailure?.check).to.equal("anchor.binding");
      const missing = await verify({}, { ipfsCid: await contentCid(new TextEncoder().encode("nobody has this")) });
      expect(missing.verdict).to.equal("incomplete");
      expect(missing.firstFailure?.check).to.equal("chainscript.available");
    });
  });

  describe("content", () => {
    it("cannot complete while a packet is unavailable", async () => {
      // Dated a minute earlier than the main run, so none of its packets is already on the gateway.
      const start = (run.built.chainscript.entries[0]?.timestamp as number) - 60_000;
      const partial = await threeStageRun(undefined, undefined, "0d3f6a2e-9c41-4b7a-8e15-000000000001", start);
      for (const packet of partial.packets.slice(0, 2)) await store.add(packet.bytes);
      await store.add(partial.built.bytes);
      const report = await verify(
        {},
        {
          chainId: toOnchainId(partial.built.chainscript.chainId),
          chainHash: `0x${partial.built.chainscript.chainHash}`,
          ipfsCid: partial.built.cid,
        },
      );
      expect(report.verdict).to.equal("incomplete");
      expect(report.firstFailure).to.deep.include({ check: "packets.available", entry: 2 });
      expect(report.packets?.size).to.equal(2);
    });

    it("calls anchored content that is not a chainscript invalid (chainscript.format)", async () => {
      const bytes = new TextEncoder().encode("[]");
      await store.add(bytes);
      const report = await verify({}, { ipfsCid: await contentCid(bytes) });
      expect(report.verdict).to.equal("invalid");
      expect(report.firstFailure?.check).to.equal("chainscript.format");
      expect(report.checks.find((c) => c.id === "anchor.binding")?.status).to.equal("skip");
    });
  });

  describe("dates against the anchor's block time", () => {
    // The latest second of block time at which the last packet is not yet too late.
    const earliest = () => BigInt(Math.ceil((last - CLOCK_SKEW_MS) / 1000));

    it(`accepts packets dated up to ${CLOCK_SKEW_MS / 60_000} minutes after the anchor's block`, async () => {
      const report = await verify({}, { timestamp: earliest() });
      expect(report.verdict, JSON.stringify(report.firstFailure)).to.equal("valid");
    });

    it("rejects a chain whose last entry and packet are dated later than that", async () => {
      const report = await verify({}, { timestamp: earliest() - 1n });
      expect(report.verdict).to.equal("invalid");
      expect(report.firstFailure).to.deep.include({ check: "entries.time", entry: 2 });
      expect(report.checks.find((c) => c.id === "packets.time")).to.deep.include({ status: "fail", failed: 1 });
    });
  });

  describe("keys", () => {
    it("rejects packets signed after a revocation recorded after the anchor but effective before them", async () => {
      const first = run.built.chainscript.entries[0]?.timestamp as number;
      const keyNow = {
        ...KEY,
        revokedAt: BigInt(Math.floor(first / 1000)) + 1n,
        revocationRecordedAt: (log.timestamp as bigint) + 3_600n,
      };
      const report = await verify({ keyNow });
      expect(report.verdict).to.equal("invalid");
      expect(report.firstFailure?.check).to.equal("chain.key");
      const packets = report.checks.find((c) => c.id === "packets.key");
      expect(packets?.failures.map((f) => f.entry)).to.deep.equal([1, 2]);
      expect(packets?.failures[0]?.message).to.include("the tenant revoked the key from");
    });

    it("rejects a key the tenant registered only after the anchor", async () => {
      const report = await verify({ keyThen: NO_KEY });
      expect(report.firstFailure?.check).to.equal("chain.key");
      expect(report.firstFailure?.message).to.include(`had not registered the key at the anchor's block ${BLOCK}`);
    });
  });

  describe("with several endpoints (checkAnchoredIn)", () => {
    const rpcChecks = () => ({
      reachable: new Check("rpc.reachable", "every RPC endpoint answered"),
      agreement: new Check("rpc.agreement", "every RPC endpoint gives the same answers"),
    });
    const registry = "0x5FbDB2315678afecb367f032d93F642f64180aa3" as Address;
    const judge = async (states: Partial<RegistryState>[]) => {
      const rpc = rpcChecks();
      const views = states.map((state) => registryView(fakeClient(state).client, registry));
      const result = await checkAnchoredIn(agreeingView(views, 99n), log, parameters(), rpc);
      return summarize([rpc.reachable.result(), rpc.agreement.result(), ...result.checks], AVAILABILITY);
    };

    it("cannot complete when a lying first endpoint hides the revocation an honest one shows", async () => {
      const revoked = { keyNow: { ...KEY, revokedAt: 1n, revocationRecordedAt: 2n } };
      expect((await judge([revoked])).verdict).to.equal("invalid");
      const both = await judge([{}, revoked]);
      expect(both.verdict).to.equal("incomplete");
      expect(both.firstFailure?.check).to.equal("rpc.agreement");
      expect(both.firstFailure?.message).to.match(/^The RPC endpoints disagree about signingKey\(.*\) at block 99\./);
    });

    it("cannot complete when a lying first endpoint says a removed signer is still allowed", async () => {
      const both = await judge([{}, { allowedNow: false }]);
      expect(both.verdict).to.equal("incomplete");
      expect(both.firstFailure?.message).to.include(`isAnchorSigner(${log.tenantId}, ${SIGNER}) at block 99`);
    });

    it("reports an endpoint that fails a read as rpc.reachable; alone, checkAnchored throws it", async () => {
      const failing: ViewClient = { readContract: () => Promise.reject(new Error("connection refused")) };
      const rpc = rpcChecks();
      const result = await checkAnchoredIn(
        agreeingView([registryView(fakeClient().client, registry), registryView(failing, registry)], 99n),
        log,
        parameters(),
        rpc,
      );
      const report = summarize([rpc.reachable.result(), rpc.agreement.result(), ...result.checks], AVAILABILITY);
      expect(report.verdict).to.equal("incomplete");
      expect(report.firstFailure?.check).to.equal("rpc.reachable");
      expect(report.firstFailure?.message).to.match(/^RPC 2 did not answer/);
      let thrown: unknown;
      await checkAnchored(failing, log, parameters()).catch((error: unknown) => {
        thrown = error;
      });
      expect(thrown).to.be.instanceOf(RegistryError);
    });

    it("throws endpoint failures and disagreements when the caller gives no rpc checks to report them in", async () => {
      const failing: ViewClient = { readContract: () => Promise.reject(new Error("connection refused")) };
      const honest = registryView(fakeClient().client, registry);
      const thrown = async (view: ReturnType<typeof agreeingView>) =>
        checkAnchoredIn(view, log, parameters()).then(
          () => undefined,
          (error: unknown) => error,
        );
      expect(await thrown(agreeingView([honest, registryView(failing, registry)], 99n))).to.be.instanceOf(
        RpcUnreachableError,
      );
      const liar = registryView(fakeClient({ allowedNow: false }).client, registry);
      expect(await thrown(agreeingView([honest, liar], 99n))).to.be.instanceOf(RpcDisagreementError);
    });

    it("throws other errors even with rpc checks: only endpoint failures are reported as such", async () => {
      const failing: ViewClient = { readContract: () => Promise.reject(new Error("connection refused")) };
      const rpc = rpcChecks();
      let thrown: unknown;
      await checkAnchoredIn(registryView(failing, registry), log, parameters(), rpc).catch((error: unknown) => {
        thrown = error;
      });
      expect(thrown).to.be.instanceOf(RegistryError);
      expect(rpc.reachable.result().checked).to.equal(0);
      expect(rpc.agreement.result().checked).to.equal(0);
    });
  });
});

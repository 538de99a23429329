import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { createPublicClient, createWalletClient, type Hex, http } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { DEV_KEYS } from "../../scripts/demo/accounts.ts";
import { commitRegisterAbi } from "../../src/anchor/abi.ts";
import { main } from "../../src/cli/main.ts";
import { rawCid } from "../../src/evidence/cid.ts";
import type { SignedPacket } from "../../src/evidence/sign.ts";
import type { ArtifactCommit } from "../../src/jobs/artifact/format.ts";
import { verifyJobArtifact } from "../../src/jobs/artifact/verify.ts";
import { jobCommitData } from "../../src/jobs/commitData.ts";
import { type GatewayServer, startGateway } from "../../src/storage/gateway.ts";
import { LocalStore } from "../../src/storage/local.ts";
import { type LocalNumbersChain, startLocalNumbers } from "../helpers/localChain.ts";
import { pop } from "../helpers/pop.ts";
import { artifactOf, jobPackets } from "./artifactFixtures.ts";

const status = (report: Awaited<ReturnType<typeof verifyJobArtifact>>, id: string) =>
  report.checks.find((check) => check.id === id)?.status;

/** Runs `pop` in this process (main), capturing what it prints: cheaper than a child process. */
async function popHere(args: string[]): Promise<{ code: number; stdout: string }> {
  const write = process.stdout.write;
  let stdout = "";
  process.stdout.write = ((chunk: string) => {
    stdout += chunk;
    return true;
  }) as typeof process.stdout.write;
  try {
    return { code: await main(args), stdout };
  } finally {
    process.stdout.write = write;
  }
}

describe("jobs: artifacts against a Numbers chain and a gateway", function () {
  this.timeout(120_000);
  let numbers: LocalNumbersChain;
  let gateway: GatewayServer;
  let dir: string;
  let commits: Partial<ArtifactCommit>[];
  let packets: SignedPacket[];

  before(async () => {
    numbers = await startLocalNumbers();
    dir = await mkdtemp(join(tmpdir(), "pop-artifact-"));
    const store = new LocalStore(join(dir, "store"));
    gateway = await startGateway(store);
    // The job's packets, stored, and committed as the direct committer does.
    packets = await jobPackets();
    const wallet = createWalletClient({
      account: privateKeyToAccount(DEV_KEYS[0] as Hex),
      chain: numbers.chain,
      transport: http(numbers.url),
    });
    const client = createPublicClient({ chain: numbers.chain, transport: http(numbers.url) });
    commits = [];
    for (const packet of packets) {
      const cid = rawCid(packet.bytes);
      await store.put(packet.bytes, cid);
      const hash = await wallet.writeContract({
        chain: numbers.chain,
        address: numbers.commitRegister,
        abi: commitRegisterAbi,
        functionName: "commit",
        args: [cid, JSON.stringify(jobCommitData({ packet, packetCid: cid }))],
      });
      const receipt = await client.waitForTransactionReceipt({ hash });
      commits.push({ status: "committed", txHash: hash, blockNumber: String(receipt.blockNumber), explorerUrl: null });
    }
  });
  after(async () => {
    await gateway?.close();
    await numbers?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const numbersClient = () => createPublicClient({ transport: http(numbers.url) });

  it("checks every commit transaction and fetches every packet: valid", async () => {
    const { bytes } = await artifactOf({ commits, packets });
    const report = await verifyJobArtifact(bytes, { numbers: numbersClient(), gateways: [gateway.url] });
    expect(report.verdict, JSON.stringify(report.firstFailure)).to.equal("valid");
    expect(status(report, "numbers.commits")).to.equal("pass");
    expect(status(report, "packets.available")).to.equal("pass");
  });

  it("names a commit transaction that is not the packet's (signed, so only the chain can tell)", async () => {
    const swapped = [{ ...commits[0], txHash: commits[1]?.txHash ?? null }, commits[1] as Partial<ArtifactCommit>];
    const { bytes } = await artifactOf({ commits: swapped, packets });
    const report = await verifyJobArtifact(bytes, { numbers: numbersClient() });
    expect(report.verdict).to.equal("invalid");
    expect(report.firstFailure).to.include({ check: "numbers.commits", field: "proof.packets[0].numbers.txHash" });
  });

  it("is incomplete, not valid, when no gateway serves a packet", async () => {
    const { bytes } = await artifactOf({ commits, job: { seed: 9n } });
    const report = await verifyJobArtifact(bytes, { gateways: [gateway.url], fetchTimeoutMs: 2_000 });
    expect(report.verdict).to.equal("incomplete");
    expect(report.firstFailure).to.include({ check: "packets.available", field: "proof.packets[0].cid" });
  });

  it("pop verify-artifact: exit 0 for the file as downloaded, 1 naming the field of a changed one", async () => {
    const { bytes } = await artifactOf({ commits, packets });
    const file = join(dir, "job.pop-artifact.json");
    await writeFile(file, bytes);
    const valid = await pop(dir, ["verify-artifact", file, "--numbers-rpc", numbers.url, "--gateway", gateway.url]);
    expect(valid.code, valid.stdout + valid.stderr).to.equal(0);
    expect(valid.stdout)
      .to.match(/^verdict: valid/)
      .and.include("✔ numbers.commits");
    const changed = join(dir, "changed.json");
    await writeFile(changed, new TextDecoder().decode(bytes).replace('"worker-7"', '"worker-8"'));
    const invalid = await popHere(["verify-artifact", changed, "--json"]);
    expect(invalid.code).to.equal(1);
    expect(JSON.parse(invalid.stdout).firstFailure).to.include({ check: "artifact.summary", field: "job.executor" });
  });
});

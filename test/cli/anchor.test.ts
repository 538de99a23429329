import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import type { Address, Hex } from "viem";
import { DEV_KEYS } from "../../scripts/demo/accounts.ts";
import { processAnchorRegistryAbi } from "../../src/anchor/abi.ts";
import { certificateId } from "../../src/anchor/certificate.ts";
import { toOnchainId } from "../../src/anchor/ids.ts";
import { loadKeyFile } from "../../src/keys/keyFile.ts";
import { clients } from "../helpers/anchorRun.ts";
import { type LocalChain, startLocalBase } from "../helpers/localChain.ts";
import { registerTenantFor, writeManifest } from "../helpers/pipeline.ts";
import { pop, popGateway } from "../helpers/pop.ts";

const PASSPHRASE = "correct horse battery staple";

/** A JSON-RPC stand-in in front of `target` that counts the methods asked of it. */
async function countingRpc(target: string): Promise<{ url: string; methods: string[]; close(): Promise<void> }> {
  const methods: string[] = [];
  const server: Server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString();
    const parsed = JSON.parse(body) as { method: string } | { method: string }[];
    for (const call of Array.isArray(parsed) ? parsed : [parsed]) methods.push(call.method);
    const answer = await fetch(target, { method: "POST", headers: { "content-type": "application/json" }, body });
    response.writeHead(answer.status, { "content-type": "application/json" });
    response.end(await answer.text());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    methods,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe("pop anchor (command line against a local Base JSON-RPC chain)", () => {
  let chain: LocalChain;
  let dir: string;
  let env: Record<string, string>;
  let network: string[];

  before(async () => {
    chain = await startLocalBase();
    dir = await mkdtemp(join(tmpdir(), "pop-anchor-cli-"));
    const generated = await pop(
      dir,
      ["keys", "generate", "--key-id", "cli-key", "--out", "studio.key", "--scrypt-log-n", "14"],
      {
        POP_KEY_PASSPHRASE: PASSPHRASE,
      },
    );
    expect(generated.code, generated.stderr).to.equal(0);
    await registerTenantFor(chain, "studio-aurora", await loadKeyFile(join(dir, "studio.key"), PASSPHRASE));
    env = {
      POP_KEY_PASSPHRASE: PASSPHRASE,
      POP_ANCHOR_SIGNER_PRIVATE_KEY: DEV_KEYS[2] as Hex,
      POP_RELAYER_PRIVATE_KEY: DEV_KEYS[3] as Hex,
      POP_STATE_DIR: join(dir, "state"),
      POP_STORE_DIR: join(dir, "store"),
    };
    network = ["--key", "studio.key", "--network", "local", "--rpc", chain.url, "--registry", chain.registry];
  });
  after(async () => {
    await chain?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("anchors a manifest, writes its receipt, answers --json, and a second call sends nothing", async () => {
    const manifest = await writeManifest(dir, { label: "cli" });
    const first = await pop(dir, ["anchor", manifest, ...network], env);
    expect(first.code, first.stderr).to.equal(0);
    expect(first.stdout).to.match(/cli\.jsonl: anchored\n/);
    // Off a terminal: the first line before anything slow, then one plain line per step, all on stderr.
    const progress = first.stderr.split("\n").filter((line) => line.startsWith("pop anchor: "));
    expect(progress[0]).to.equal("pop anchor: anchoring cli.jsonl");
    for (const step of [
      /^pop anchor: local \(chain 31337\), registry 0x/,
      /^pop anchor: cli\.jsonl: signing packets 3\/3$/,
      /^pop anchor: cli\.jsonl: chainscript built bafkrei/,
      /^pop anchor: cli\.jsonl: stored$/,
      /^pop anchor: cli\.jsonl: anchor signed$/,
      /^pop anchor: transaction 0x[0-9a-f]{64} signed \(nonce \d+\), sending; waiting for 1 confirmation$/,
      /^pop anchor: transaction 0x[0-9a-f]{64} confirmed in block \d+$/,
      /^pop anchor: cli\.jsonl: receipt written .*cli\.receipt\.json$/,
    ])
      expect(
        progress.some((line) => step.test(line)),
        `${step} in\n${first.stderr}`,
      ).to.equal(true);
    expect(first.stdout).to.not.include("pop anchor:");
    const receipt = JSON.parse(await readFile(join(dir, "cli.receipt.json"), "utf8"));
    expect(first.stdout).to.include(`tx ${receipt.transaction.hash} block ${receipt.transaction.blockNumber}`);
    for (const key of DEV_KEYS) expect(first.stdout + first.stderr).to.not.include(key.slice(2));

    // The re-run answers from the state: no transaction, no waiting on blocks or receipts.
    const rpc = await countingRpc(chain.url);
    const second = await pop(dir, ["anchor", manifest, ...network, "--rpc", rpc.url, "--json", "--quiet"], env).finally(
      () => rpc.close(),
    );
    expect(second.code, second.stderr).to.equal(0);
    expect(rpc.methods).to.include("eth_chainId");
    for (const waiting of [
      "eth_sendRawTransaction",
      "eth_getTransactionReceipt",
      "eth_blockNumber",
      "eth_getTransactionCount",
      "eth_estimateGas",
    ])
      expect(rpc.methods, `${waiting} asked on a re-run`).to.not.include(waiting);
    expect(second.stderr).to.not.include("pop anchor:");
    const json = JSON.parse(second.stdout);
    expect(json.runs[0].status).to.equal("already-anchored");
    expect(json.runs[0].receipt.transaction.hash).to.equal(receipt.transaction.hash);
    expect(json.transaction).to.equal(undefined);
  });

  it("--help lists the manifest's fields and the environment variables it reads", async () => {
    const help = await pop(dir, ["anchor", "--help"]);
    expect(help.code).to.equal(0);
    for (const field of [
      "stageId",
      "output",
      "inputFiles",
      "externalInputFiles",
      "tenantId",
      "processId",
      "inputs",
      "execution",
      "outputs",
      "packetId",
      "timestamp",
    ])
      expect(help.stdout).to.match(new RegExp(`\\b${field}\\b`));
    for (const variable of [
      "POP_KEY_PASSPHRASE",
      "POP_ANCHOR_SIGNER_PRIVATE_KEY",
      "POP_RELAYER_PRIVATE_KEY",
      "POP_RPC_URL",
      "DATABASE_URL",
      "POP_STATE_DIR",
      "POP_STORE_PROVIDERS",
      "POP_STORE_QUORUM",
      "POP_STORE_DIR",
    ])
      expect(help.stdout).to.include(variable);
  });

  describe("when the local store is the only storage provider", () => {
    it("warns on stderr and in --json with the commands that make the anchor verifiable, and they do", async () => {
      const manifest = await writeManifest(dir, { label: "local-only" });
      const result = await pop(dir, ["anchor", manifest, ...network, "--json"], env);
      expect(result.code, result.stderr).to.equal(0);
      const { runs, warnings } = JSON.parse(result.stdout);
      expect(warnings).to.have.length(1);
      const [warning] = warnings;
      expect(warning.code).to.equal("local-store-only");
      const [serve, verify] = warning.commands as string[];
      expect(serve).to.equal(`POP_STORE_DIR=${env.POP_STORE_DIR} npx pop gateway --port 8080`);
      expect(verify?.toLowerCase()).to.equal(
        `npx pop verify --tenant studio-aurora --chain-id ${runs[0].chainId} --rpc ${chain.url} --registry ${chain.registry} --gateway http://127.0.0.1:8080`.toLowerCase(),
      );
      expect(result.stderr).to.include("pop: warning: stored only in the local store");
      expect(result.stderr).to.include(`  ${serve}\n  ${verify}\n`);

      // The commands as printed (on a free port instead of 8080) give a valid verdict.
      const gateway = await popGateway(dir, env);
      try {
        const args = (verify as string).replace("http://127.0.0.1:8080", gateway.url).split(" ").slice(2);
        const verified = await pop(dir, args, {});
        expect(verified.code, verified.stdout + verified.stderr).to.equal(0);
        expect(verified.stdout).to.match(/valid/);
      } finally {
        await gateway.close();
      }
    });
  });

  it("--dry-run reports the gas it would use and writes no receipt", async () => {
    const manifest = await writeManifest(dir, { label: "dry" });
    const result = await pop(dir, ["anchor", manifest, ...network, "--dry-run"], env);
    expect(result.code, result.stderr).to.equal(0);
    expect(result.stdout).to.match(/dry\.jsonl: dry-run\n/);
    expect(result.stdout).to.match(/^dry run: would use \d+ gas, at most \d+ wei at current fees$/m);
    await readFile(join(dir, "dry.receipt.json")).then(
      () => expect.fail("a dry run wrote a receipt"),
      (error: NodeJS.ErrnoException) => expect(error.code).to.equal("ENOENT"),
    );
  });

  describe("after a --dry-run of the same manifest", () => {
    const holder = "0x000000000000000000000000000000000000c0de" as Address;
    const balance = (tenant: string, chainId: string) =>
      clients(chain).publicClient.readContract({
        address: chain.registry,
        abi: processAnchorRegistryAbi,
        functionName: "balanceOf",
        args: [holder, certificateId(toOnchainId(tenant), toOnchainId(chainId))],
      });

    it("the real run anchors with the --certificate-to it is given, and a later different one is reported, not applied", async () => {
      const manifest = await writeManifest(dir, { label: "dry-then-real" });
      const dry = await pop(dir, ["anchor", manifest, ...network, "--dry-run"], env);
      expect(dry.code, dry.stderr).to.equal(0);

      const real = await pop(dir, ["anchor", manifest, ...network, "--certificate-to", holder, "--json"], env);
      expect(real.code, real.stderr).to.equal(0);
      const [run] = JSON.parse(real.stdout).runs;
      expect(run.status).to.equal("anchored");
      const receipt = JSON.parse(await readFile(join(dir, "dry-then-real.receipt.json"), "utf8"));
      expect(receipt.anchor.recipient.toLowerCase()).to.equal(holder);
      expect(receipt.anchor.amount).to.equal("1");
      expect(await balance("studio-aurora", run.chainId)).to.equal(1n);

      const other = "0x000000000000000000000000000000000000beef";
      const again = await pop(dir, ["anchor", manifest, ...network, "--certificate-to", other, "--json"], env);
      expect(again.code, again.stderr).to.equal(0);
      const { warnings } = JSON.parse(again.stdout);
      expect(warnings.map((w: { code: string }) => w.code)).to.include("certificate-not-applied");
      expect(again.stderr).to.match(
        /anchored before with its certificate to 0x0+c0de: --certificate-to 0x0+beef is not applied/i,
      );
    });
  });

  it("refuses, with exit 2 and a sentence naming the problem, before anything is sent", async () => {
    const manifest = await writeManifest(dir, { label: "refused" });
    const cases: [string[], Record<string, string>, RegExp][] = [
      [["anchor", ...network], env, /Name at least one manifest/],
      [["anchor", manifest, ...network.slice(2)], env, /Missing --key/],
      [
        ["anchor", manifest, ...network, "--network", "mars"],
        env,
        /--network must be one of local, base-sepolia, base/,
      ],
      [["anchor", manifest, ...network, "--confirmations", "0"], env, /--confirmations must be an integer from 1/],
      [["anchor", manifest, ...network, "--certificate-to", "0x12"], env, /--certificate-to must be an address/],
      [
        ["anchor", manifest, ...network],
        { ...env, POP_ANCHOR_SIGNER_PRIVATE_KEY: "" },
        /POP_ANCHOR_SIGNER_PRIVATE_KEY is not set/,
      ],
      [
        ["anchor", manifest, ...network],
        { ...env, POP_RELAYER_PRIVATE_KEY: "0x1234" },
        /POP_RELAYER_PRIVATE_KEY is not a private key/,
      ],
      [["anchor", manifest, ...network], { ...env, POP_KEY_PASSPHRASE: "wrong" }, /passphrase/i],
      [["anchor", manifest, ...network, "--network", "base"], env, /serves chain 31337, not base \(chain 8453\)/],
      [["anchor", join(dir, "missing.jsonl"), ...network], env, /Cannot read manifest .*missing\.jsonl: no such file/],
    ];
    for (const [args, variables, message] of cases) {
      const result = await pop(dir, args, variables);
      expect(result.code, `${args.join(" ")}: ${result.stderr}`).to.equal(2);
      expect(result.stderr).to.match(message);
    }
    await readFile(join(dir, "refused.receipt.json")).then(
      () => expect.fail("a refused call wrote a receipt"),
      (error: NodeJS.ErrnoException) => expect(error.code).to.equal("ENOENT"),
    );
  });
});

import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import type { Hex } from "viem";
import { DEV_KEYS } from "../../scripts/demo/accounts.ts";
import { loadKeyFile } from "../../src/keys/keyFile.ts";
import { type LocalChain, startLocalBase } from "../helpers/localChain.ts";
import { registerTenantFor, writeManifest } from "../helpers/pipeline.ts";
import { pop } from "../helpers/pop.ts";

const PASSPHRASE = "correct horse battery staple";

describe("pop anchor (command line against a local Base JSON-RPC chain)", function () {
  this.timeout(60_000);
  let chain: LocalChain;
  let dir: string;
  let env: Record<string, string>;
  let network: string[];

  before(async () => {
    chain = await startLocalBase();
    dir = await mkdtemp(join(tmpdir(), "pop-anchor-cli-"));
    const generated = await pop(dir, ["keys", "generate", "--key-id", "cli-key", "--out", "studio.key"], {
      POP_KEY_PASSPHRASE: PASSPHRASE,
    });
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
    const receipt = JSON.parse(await readFile(join(dir, "cli.receipt.json"), "utf8"));
    expect(first.stdout).to.include(`tx ${receipt.transaction.hash} block ${receipt.transaction.blockNumber}`);
    for (const key of DEV_KEYS) expect(first.stdout + first.stderr).to.not.include(key.slice(2));

    const second = await pop(dir, ["anchor", manifest, ...network, "--json"], env);
    expect(second.code, second.stderr).to.equal(0);
    const json = JSON.parse(second.stdout);
    expect(json.runs[0].status).to.equal("already-anchored");
    expect(json.runs[0].receipt.transaction.hash).to.equal(receipt.transaction.hash);
    expect(json.transaction).to.equal(undefined);
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

/**
 * The body of `npm start` (scripts/demo.ts parses the options and checks the
 * ports first): builds the contracts if needed, starts the local chains and the
 * gateway, registers the demo tenant, anchors examples/lighthouse through the
 * pipeline, verifies it with only the RPC and the gateway and prints what to do
 * next. Writes to `out` (emptied first: the chains are new each start).
 */
import { cp, mkdir, rm } from "node:fs/promises";
import { join, relative } from "node:path";
import hre from "hardhat";
import { anchorManifests } from "../../src/anchor/pipeline/pipeline.ts";
import { toHex } from "../../src/bytes.ts";
import { CHECK_MARK } from "../../src/cli/output.ts";
import { openPglite } from "../../src/db/pglite.ts";
import { DEFAULT_SCRYPT, loadKeyFile, PASSPHRASE_VARIABLE, writeKeyFile } from "../../src/keys/keyFile.ts";
import { type GatewayServer, startGateway } from "../../src/storage/gateway.ts";
import { LocalStore } from "../../src/storage/local.ts";
import { verifyAnchor } from "../../src/verify/verifyAnchor.ts";
import { demoAccounts, describeAccounts } from "./accounts.ts";
import { nextSteps } from "./advice.ts";
import { buildContracts } from "./build.ts";
import { registerDemoTenant, startLocalNetwork } from "./localNetwork.ts";
import { describeProgress, describeStep, type NarratorContext } from "./narrate.ts";
import type { DemoOptions } from "./options.ts";
import { LOCALHOST } from "./ports.ts";

const root = new URL("../..", import.meta.url).pathname;
const example = join(root, "examples/lighthouse");
/** Only for the throwaway key of a throwaway local chain; a real key's passphrase comes from POP_KEY_PASSPHRASE. */
const DEMO_PASSPHRASE = "local demo only";
const TENANT = "studio-aurora";
const rel = (path: string) => relative(process.cwd(), path) || ".";
const say = (line = "") => console.log(line);

/** Runs the demo; resolves when it is over (at once with `exit`, else on Ctrl-C). Returns the exit code. */
export async function runDemo(options: DemoOptions, out: string): Promise<number> {
  // Run by tsx, not `hardhat run`: nothing else builds the contracts (a fresh clone has no artifacts).
  await buildContracts(hre, say);
  for (const part of ["run", "state", "store", "demo.key"]) await rm(join(out, part), { recursive: true, force: true });
  await mkdir(out, { recursive: true });
  // The run is anchored from a copy, so its receipt lands in the demo directory, not in the source tree.
  const runDir = join(out, "run");
  await cp(example, runDir, { recursive: true });
  const manifest = join(runDir, "manifest.jsonl");
  const passphrase = process.env[PASSPHRASE_VARIABLE] || DEMO_PASSPHRASE;
  const keyPath = join(out, "demo.key");
  // The demo key only ever signs for this throwaway local chain: the cheapest scrypt cost (`pop keys --scrypt-log-n`).
  await writeKeyFile(keyPath, { keyId: "demo-key", passphrase, scryptParameters: { ...DEFAULT_SCRYPT, N: 2 ** 14 } });
  const signer = await loadKeyFile(keyPath, passphrase);

  const local = await startLocalNetwork({ ports: { base: options.ports.base, numbers: options.ports.numbers } });
  let gateway: GatewayServer | undefined;
  try {
    const storeDir = join(out, "store");
    const store = new LocalStore(storeDir);
    gateway = await startGateway(store, { host: LOCALHOST, port: options.ports.gateway });
    await registerDemoTenant(local, TENANT, signer);
    say(`local Base    ${local.baseUrl} (chain 31337)  registry ${local.registry}`);
    say(`local Numbers ${local.numbersUrl} (chain 31338)  commit register ${local.commitRegister}`);
    say(`gateway       ${gateway.url}  (store ${rel(storeDir)})`);
    say(`tenant        ${TENANT}, Ed25519 key ${signer.keyId} ${toHex(signer.publicKey)} (${rel(keyPath)})`);
    say();
    for (const line of describeAccounts()) say(line);
    say();

    const narrator: NarratorContext = {
      keyId: signer.keyId,
      anchorSigner: demoAccounts.signer.address,
      relayer: demoAccounts.relayer.address,
      store: `the local store (${rel(storeDir)})`,
      chain: "local Base",
    };
    const show = (line: string | undefined) => {
      if (line !== undefined) say(`  ${line}`);
    };
    say(`Anchoring ${rel(manifest)} (three stages of examples/lighthouse):`);
    const db = await openPglite(join(out, "state"));
    let result: Awaited<ReturnType<typeof anchorManifests>>;
    try {
      result = await anchorManifests(
        {
          db,
          publicClient: local.publicClient,
          registry: local.registry,
          evmChainId: 31337,
          packetSigner: signer,
          anchorSigner: demoAccounts.signer,
          relayer: demoAccounts.relayer,
          providers: [store],
          onStep: (step) => show(describeStep(step, narrator)),
          onProgress: (event) => show(describeProgress(event, narrator)),
        },
        { manifests: [manifest], confirmations: 1, pollingIntervalMs: 100 },
      );
    } finally {
      await db.close();
    }
    const [run] = result.runs;
    if (run?.receipt === undefined) throw new Error("the example was not anchored");
    const { transaction } = run.receipt;
    say(`\nanchored ${rel(manifest)}: ${run.packets} packets, chain ${run.chainId}`);
    say(`  chainscript ${run.chainscriptCid}`);
    say(`  tx ${transaction.hash}, block ${transaction.blockNumber}, gas ${transaction.gasUsed}`);
    say(`  receipt ${rel(run.receiptPath as string)}`);

    const report = await verifyAnchor([local.publicClient], {
      tenantId: run.tenantId,
      chainId: run.chainId,
      registry: local.registry,
      gateways: [gateway.url],
    });
    say(`\nverification (4-step protocol, RPC + gateway only): ${report.verdict}`);
    for (const check of report.checks) say(`  ${CHECK_MARK[check.status]} ${check.id}`);

    const advice = nextSteps(
      {
        tenantId: run.tenantId,
        chainId: run.chainId,
        keyId: signer.keyId,
        urls: { base: local.baseUrl, numbers: local.numbersUrl, gateway: gateway.url },
        paths: {
          runDir: rel(runDir),
          asset: rel(join(runDir, "outputs/lighthouse@2x-signed.png")),
          key: rel(keyPath),
          state: rel(join(out, "state")),
          store: rel(storeDir),
        },
        passphraseShown: passphrase === DEMO_PASSPHRASE ? DEMO_PASSPHRASE : "…",
      },
      options.exit,
    );
    if (options.exit) {
      // Stop first, then say so: nothing printed refers to a chain that is still up.
      await gateway.close();
      gateway = undefined;
      await local.close();
    }
    say(`\n${advice}`);
    if (!options.exit)
      await new Promise<void>((resolve) => {
        process.once("SIGINT", resolve);
        process.once("SIGTERM", resolve);
      });
    return report.verdict === "valid" ? 0 : 1;
  } finally {
    await gateway?.close();
    await local.close();
  }
}

/**
 * `npm start`: the system end to end on embedded defaults. Starts the local
 * Base and Numbers chains and a gateway, deploys the contracts with Ignition,
 * registers a demo tenant, then anchors the example manifest in
 * examples/lighthouse (real output files) through the anchoring pipeline —
 * packets, chainscript, CAR storage, EIP-712 anchor, relayed transaction,
 * receipt, state in PGlite — verifies it with only the RPC and the gateway,
 * and prints the commands to go on. `npm start -- --exit` stops after that.
 * Writes to .pop/demo/ (ignored by git), or to POP_DEMO_DIR; the chains are new
 * each start, so is everything there.
 */
import { cp, mkdir, rm } from "node:fs/promises";
import { join, relative } from "node:path";
import { anchorManifests } from "../src/anchor/pipeline/pipeline.ts";
import { toHex } from "../src/bytes.ts";
import { CHECK_MARK } from "../src/cli/output.ts";
import { openPglite } from "../src/db/pglite.ts";
import { loadKeyFile, PASSPHRASE_VARIABLE, writeKeyFile } from "../src/keys/keyFile.ts";
import { startGateway } from "../src/storage/gateway.ts";
import { LocalStore } from "../src/storage/local.ts";
import { verifyAnchor } from "../src/verify/verifyAnchor.ts";
import { DEV_KEYS } from "../test/helpers/localChain.ts";
import { BASE_RPC, demoAccounts, NUMBERS_RPC, registerDemoTenant, startLocalNetwork } from "./demo/localNetwork.ts";

const root = new URL("..", import.meta.url).pathname;
const example = join(root, "examples/lighthouse");
const out = process.env.POP_DEMO_DIR ?? join(root, ".pop/demo");
/** Only for the throwaway key of a throwaway local chain; a real key's passphrase comes from POP_KEY_PASSPHRASE. */
const DEMO_PASSPHRASE = "local demo only";
const rel = (path: string) => relative(process.cwd(), path) || ".";

async function main(): Promise<void> {
  for (const part of ["run", "state", "store", "demo.key"]) await rm(join(out, part), { recursive: true, force: true });
  await mkdir(out, { recursive: true });
  // The run is anchored from a copy, so its receipt lands in the demo directory, not in the source tree.
  const runDir = join(out, "run");
  await cp(example, runDir, { recursive: true });
  const manifest = join(runDir, "manifest.jsonl");
  const passphrase = process.env[PASSPHRASE_VARIABLE] || DEMO_PASSPHRASE;
  const keyPath = join(out, "demo.key");
  await writeKeyFile(keyPath, { keyId: "demo-key", passphrase });
  const signer = await loadKeyFile(keyPath, passphrase);
  console.log(`Ed25519 key ${signer.keyId}: ${toHex(signer.publicKey)} (${rel(keyPath)})`);

  const local = await startLocalNetwork();
  const store = new LocalStore(join(out, "store"));
  const gateway = await startGateway(store);
  try {
    await registerDemoTenant(local, "studio-aurora", signer);
    console.log(`local Base    ${BASE_RPC} (chain 31337)  registry ${local.registry}`);
    console.log(`local Numbers ${NUMBERS_RPC} (chain 31338)  commit register ${local.commitRegister}`);
    console.log(`gateway       ${gateway.url}  (store ${rel(join(out, "store"))})`);
    console.log(`tenant        studio-aurora: anchor signer ${demoAccounts.signer.address}, key ${signer.keyId}\n`);

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
          onStep: (step) => console.log(`  recorded ${step}`),
        },
        { manifests: [manifest], confirmations: 1, pollingIntervalMs: 100 },
      );
    } finally {
      await db.close();
    }
    const [run] = result.runs;
    if (run?.receipt === undefined) throw new Error("the example was not anchored");
    const { transaction } = run.receipt;
    console.log(`\nanchored ${rel(manifest)}: ${run.packets} packets, chain ${run.chainId}`);
    console.log(`  chainscript ${run.chainscriptCid}`);
    console.log(`  tx ${transaction.hash}, block ${transaction.blockNumber}, gas ${transaction.gasUsed}`);
    console.log(`  receipt ${rel(run.receiptPath as string)}`);

    const report = await verifyAnchor([local.publicClient], {
      tenantId: run.tenantId,
      chainId: run.chainId,
      registry: local.registry,
      gateways: [gateway.url],
    });
    console.log(`\nverification (4-step protocol, RPC + gateway only): ${report.verdict}`);
    for (const check of report.checks) console.log(`  ${CHECK_MARK[check.status]} ${check.id}`);
    if (report.verdict !== "valid") process.exitCode = 1;

    const where = `--rpc ${BASE_RPC} --gateway ${gateway.url}`;
    const ids = `--tenant ${run.tenantId} --chain-id ${run.chainId}`;
    console.log(`
Try, in another terminal while this runs:
  npx pop verify ${ids} ${where}
  npx pop verify-asset ${rel(join(runDir, "outputs/lighthouse@2x-signed.png"))} ${ids} ${where}
  npx pop tenant show ${run.tenantId} --rpc ${BASE_RPC} --key-id ${signer.keyId}
Anchor another run: copy ${rel(runDir)}, change its outputs and manifest, then
  POP_KEY_PASSPHRASE='${passphrase === DEMO_PASSPHRASE ? DEMO_PASSPHRASE : "…"}' \\
  POP_ANCHOR_SIGNER_PRIVATE_KEY=${DEV_KEYS[2]} \\
  POP_RELAYER_PRIVATE_KEY=${DEV_KEYS[3]} \\
  POP_STATE_DIR=${rel(join(out, "state"))} POP_STORE_DIR=${rel(join(out, "store"))} \\
  npx pop anchor <your manifest.jsonl> --key ${rel(keyPath)} --network local
(Hardhat's public development keys: for the local chain only.)
Index both chains into the audit API (GraphQL and REST on :42069), on a fresh database:
  rm -rf indexer/.ponder && POP_GATEWAYS=${gateway.url} npm run indexer`);
    if (!process.argv.includes("--exit")) {
      console.log("\nThe local chains and the gateway keep running; Ctrl-C stops them.");
      await new Promise<void>((resolve) => {
        process.once("SIGINT", resolve);
        process.once("SIGTERM", resolve);
      });
    }
  } finally {
    await gateway.close();
    await local.close();
  }
}

await main();
// Hardhat's in-process chains keep handles open after their servers close: end the script explicitly.
process.exit();

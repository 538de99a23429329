/**
 * `npm start`: the system end to end on embedded defaults. Signs one packet per
 * stage of the example pipeline in examples/lighthouse (hashing its real output
 * files), chains them, starts the local Base and Numbers chains and a gateway,
 * deploys the contracts with Ignition, registers a demo tenant, stores the run
 * as one CAR, anchors it through a relayer, verifies it with only the RPC and
 * the gateway, and prints the commands to go on. `npm start -- --exit` stops
 * after that. Writes to .pop/demo/ (ignored by git), or to POP_DEMO_DIR.
 */
import { createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { anchorTypedData } from "../src/anchor/eip712.ts";
import { toOnchainId } from "../src/anchor/ids.ts";
import { submitAnchor } from "../src/anchor/registryClient.ts";
import { toHex } from "../src/bytes.ts";
import { buildChainscript } from "../src/chainscript/build.ts";
import { CHECK_MARK } from "../src/cli/output.ts";
import { describeAssetFile } from "../src/evidence/assetFile.ts";
import { cidFromSha256 } from "../src/evidence/cid.ts";
import { createPacket } from "../src/evidence/sign.ts";
import { signerFromSeed } from "../src/keys/fileSigner.ts";
import { loadKeyFile, PASSPHRASE_VARIABLE, writeKeyFile } from "../src/keys/keyFile.ts";
import type { Signer } from "../src/keys/signer.ts";
import { storeBatch } from "../src/storage/batch.ts";
import { startGateway } from "../src/storage/gateway.ts";
import { LocalStore } from "../src/storage/local.ts";
import { verifyAnchor } from "../src/verify/verifyAnchor.ts";
import { BASE_RPC, demoAccounts, NUMBERS_RPC, registerDemoTenant, startLocalNetwork } from "./demo/localNetwork.ts";

interface Stage {
  stageId: string;
  output: string;
  inputs: string[];
  modelId: string;
  seed: string;
  parameters: Record<string, number | string>;
  deviceClass: string;
  durationMs: number;
  gpuUtilization?: number;
  resolution?: [number, number];
}

const root = new URL("..", import.meta.url).pathname;
const example = join(root, "examples/lighthouse");
const out = process.env.POP_DEMO_DIR ?? join(root, ".pop/demo");
const sha256 = (bytes: Uint8Array | string) => new Uint8Array(createHash("sha256").update(bytes).digest());

/** A key file when POP_KEY_PASSPHRASE is set; otherwise a throwaway in-memory key (nothing secret is written). */
async function demoSigner(): Promise<Signer> {
  const passphrase = process.env[PASSPHRASE_VARIABLE];
  if (passphrase === undefined || passphrase === "") {
    console.log(`(${PASSPHRASE_VARIABLE} is not set: using a throwaway in-memory key)`);
    return signerFromSeed("demo-key", randomBytes(32));
  }
  const path = join(out, "demo.key");
  if (!existsSync(path)) await writeKeyFile(path, { keyId: "demo-key", passphrase });
  return loadKeyFile(path, passphrase);
}

async function main(): Promise<void> {
  await rm(join(out, "packets"), { recursive: true, force: true });
  await mkdir(join(out, "packets"), { recursive: true });
  const pipelineBytes = await readFile(join(example, "pipeline.json"));
  const pipeline = JSON.parse(pipelineBytes.toString()) as { tenantId: string; processId: string; stages: Stage[] };
  const prompt = (await readFile(join(example, "prompt.txt"), "utf8")).normalize("NFC").trim();
  const signer = await demoSigner();
  console.log(`key ${signer.keyId}: ${toHex(signer.publicKey)}\n`);

  const steps = [];
  for (const stage of pipeline.stages) {
    const output = await describeAssetFile(join(example, stage.output));
    const inputs = await Promise.all(
      stage.inputs.map(async (file) => (await describeAssetFile(join(example, file))).assetHash),
    );
    const { bytes, packetHash } = await createPacket(
      {
        tenantId: pipeline.tenantId,
        processId: pipeline.processId,
        inputs: {
          promptHash: sha256(prompt),
          modelId: stage.modelId,
          seed: BigInt(stage.seed),
          parameters: stage.parameters,
          assetHashes: inputs,
        },
        execution: {
          durationMs: stage.durationMs,
          deviceClass: stage.deviceClass,
          pipelineHash: sha256(pipelineBytes),
          ...(stage.gpuUtilization === undefined ? {} : { gpuUtilization: stage.gpuUtilization }),
        },
        outputs: {
          ...output,
          ...(stage.resolution ? { resolutionW: stage.resolution[0], resolutionH: stage.resolution[1] } : {}),
        },
      },
      signer,
    );
    const cid = cidFromSha256(packetHash);
    await writeFile(join(out, "packets", `${cid}.cbor`), bytes);
    console.log(`packet  ${stage.stageId.padEnd(10)} ${cid}  (${bytes.length} bytes, output ${stage.output})`);
    steps.push({ bytes, stageId: stage.stageId });
  }

  const built = await buildChainscript({ steps, signer });
  await writeFile(join(out, "chain.json"), built.bytes);
  console.log(
    `\nchain   ${built.chainscript.chainId}\n  chainHash ${toHex(built.chainHash)}\n  cid       ${built.cid}`,
  );

  // The local network: chains, contracts, the demo tenant; then store, anchor and verify with nothing but RPC + gateway.
  const local = await startLocalNetwork();
  const store = new LocalStore(join(out, "store"));
  const gateway = await startGateway(store);
  try {
    await registerDemoTenant(local, pipeline.tenantId, signer);
    console.log(`\nlocal Base    ${BASE_RPC} (chain 31337)  registry ${local.registry}`);
    console.log(`local Numbers ${NUMBERS_RPC} (chain 31338)  commit register ${local.commitRegister}`);
    console.log(`gateway       ${gateway.url}  (store ${relative(process.cwd(), join(out, "store")) || "."})`);

    const stored = await storeBatch([store], { packets: steps.map((step) => step.bytes), chainscript: built.bytes });
    console.log(`stored        ${stored.packetCids.length} packets and the chainscript as one CAR`);

    const ids = { tenantId: pipeline.tenantId, chainId: built.chainscript.chainId };
    const anchor = {
      tenantId: toOnchainId(ids.tenantId),
      chainId: toOnchainId(ids.chainId),
      chainHash: `0x${built.chainscript.chainHash}` as const,
      ipfsCid: built.cid,
      signer: demoAccounts.signer.address,
      recipient: demoAccounts.admin.address,
      amount: 1n,
      deadline: BigInt(Math.floor(Date.now() / 1000) + 600),
    };
    const domain = { chainId: 31337, verifyingContract: local.registry };
    const signature = await demoAccounts.signer.signTypedData(anchorTypedData(domain, anchor));
    const relayer = { walletClient: local.wallet(demoAccounts.relayer), publicClient: local.publicClient };
    const tx = await submitAnchor(relayer, { registry: local.registry, anchor, signature, ids });
    console.log(`anchored      block ${tx.blockNumber}, tx ${tx.hash}, gas ${tx.gasUsed}`);

    const report = await verifyAnchor([local.publicClient], {
      ...ids,
      registry: local.registry,
      gateways: [gateway.url],
    });
    console.log(`\nverification (4-step protocol, RPC + gateway only): ${report.verdict}`);
    for (const check of report.checks) console.log(`  ${CHECK_MARK[check.status]} ${check.id}`);
    if (report.verdict !== "valid") process.exitCode = 1;

    const rel = relative(process.cwd(), out) || ".";
    const output = relative(process.cwd(), join(example, "outputs/lighthouse@2x-signed.png"));
    const where = `--rpc ${BASE_RPC} --gateway ${gateway.url}`;
    console.log(`
Try, in another terminal while this runs:
  npx pop verify --tenant ${ids.tenantId} --chain-id ${ids.chainId} ${where}
  npx pop verify-asset ${output} --tenant ${ids.tenantId} --chain-id ${ids.chainId} ${where}
  npx pop tenant show ${ids.tenantId} --rpc ${BASE_RPC} --key-id ${signer.keyId}
  npx pop packet inspect ${rel}/packets/${stored.packetCids[0]}.cbor
Make your own key and packets: see "Quickstart" in README.md.`);
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

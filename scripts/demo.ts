/**
 * `npm start`: the evidence core end to end on the example pipeline in
 * examples/lighthouse: hash its real output files, sign one packet per stage,
 * chain them, verify the chain, and print the equivalent `pop` commands.
 * Writes to .pop/demo/ (ignored by git), or to POP_DEMO_DIR.
 */
import { createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { toHex } from "../src/bytes.ts";
import { buildChainscript } from "../src/chainscript/build.ts";
import { verifyChainscript } from "../src/chainscript/verify.ts";
import { describeAssetFile } from "../src/evidence/assetFile.ts";
import { cidFromSha256 } from "../src/evidence/cid.ts";
import { createPacket } from "../src/evidence/sign.ts";
import { signerFromSeed } from "../src/keys/fileSigner.ts";
import { loadKeyFile, PASSPHRASE_VARIABLE, writeKeyFile } from "../src/keys/keyFile.ts";
import type { Signer } from "../src/keys/signer.ts";

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

  const packets = new Map(steps.map((step) => [cidFromSha256(sha256(step.bytes)), step.bytes]));
  const report = await verifyChainscript({
    bytes: built.bytes,
    packets,
    resolveKey: () => signer.publicKey,
    cid: built.cid,
  });
  console.log(`\nverification: ${report.verdict}`);
  for (const check of report.checks)
    console.log(`  ${check.status === "pass" ? "✔" : check.status === "fail" ? "✘" : "–"} ${check.id}`);

  const rel = relative(process.cwd(), out) || ".";
  console.log(`
Files are in ${rel}/. Verify them again, or tamper with one byte and watch it fail:
  npx pop chain verify ${rel}/chain.json --packets ${rel}/packets --public-key ${toHex(signer.publicKey)} --cid ${built.cid}
  npx pop packet inspect ${rel}/packets/${[...packets.keys()][0]}.cbor
Make your own key and packets: see "Quickstart" in README.md.`);
  if (report.verdict !== "valid") process.exitCode = 1;
}

await main();

/**
 * Writes the published test vectors of the version 1 formats to spec/vectors/
 * (docs/spec.md). Run it after a deliberate format change only:
 *
 *   npx tsx scripts/spec/vectors.ts            # write the files
 *   npx tsx scripts/spec/vectors.ts --annotate # print the worked example of docs/spec.md
 *
 * test/spec/vectors.test.ts checks the committed files against the code and
 * against independent implementations; it never runs this script.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { fromHex, toHex } from "../../src/bytes.ts";
import { CHAIN_CONTEXT, ENTRY_CONTEXT, PACKET_CONTEXT } from "../../src/evidence/context.ts";
import { anchorVectors } from "./anchors.ts";
import { annotate } from "./annotate.ts";
import { chainscriptVectors } from "./chainscripts.ts";
import { cidVectors } from "./cids.ts";
import { invalidPackets } from "./invalidPackets.ts";
import { keyVectors, signer } from "./keys.ts";
import { timestampVectors, validPackets } from "./packets.ts";

const dir = new URL("../../spec/vectors/", import.meta.url);
const SPEC = "docs/spec.md";

function write(name: string, section: string, description: string, data: Record<string, unknown>): void {
  const json = { description, spec: `${SPEC}#${section}`, ...data };
  writeFileSync(new URL(name, dir), `${JSON.stringify(json, null, 2)}\n`);
}

async function main(): Promise<void> {
  const { vectors: valid, signed } = await validPackets();
  if (process.argv.includes("--annotate")) {
    const minimal = valid.find((v) => v.name === "minimal");
    if (minimal === undefined) throw new Error("no minimal packet");
    console.log(annotate(fromHex(minimal.cbor) as Uint8Array));
    return;
  }
  mkdirSync(dir, { recursive: true });
  const rfcMessage = new Uint8Array(0);
  write("keys.json", "test-vectors", "Ed25519 keys from RFC 8032 §7.1 test seeds, with the key ids the vectors use.", {
    keys: keyVectors(),
    rfc8032Test1: {
      message: "",
      signature: toHex(await signer("key-1").sign(rfcMessage)),
    },
  });
  write("contexts.json", "signing-contexts", "Every signing context: ASCII label and a zero byte.", {
    contexts: [
      { label: "POP-PACKET-V1", hex: toHex(PACKET_CONTEXT), signs: "evidence packets" },
      { label: "POP-ENTRY-V1", hex: toHex(ENTRY_CONTEXT), signs: "chainscript entries" },
      { label: "POP-CHAIN-V1", hex: toHex(CHAIN_CONTEXT), signs: "chainscript chainHash" },
    ],
  });
  write("timestamps.json", "timestamp", "Packet timestamps (ms) and their Tag 1 encodings.", {
    timestamps: timestampVectors(),
  });
  write("packets.json", "evidence-packet", "Valid and invalid evidence packets.", {
    valid,
    invalid: await invalidPackets(signed),
  });
  const chains = await chainscriptVectors();
  write("chainscripts.json", "chainscript", "Chainscripts with their packets and the verifier's expected outcome.", {
    chainscripts: chains,
  });
  write("anchors.json", "on-chain-anchor", "On-chain ids, EIP-712 Anchor digests and certificate ids.", {
    ...(await anchorVectors(chains.filter((c) => c.expected.verdict === "valid"))),
  });
  write("cids.json", "content-cids", "Content CIDs: raw block up to 262144 bytes, UnixFS dag-pb beyond.", {
    cids: await cidVectors(),
  });
  // The files are committed biome-formatted; format them the same way here.
  execFileSync("npx", ["biome", "format", "--write", new URL(".", dir).pathname], { stdio: "inherit" });
}

await main();

/** Chainscript vectors (spec/vectors/chainscripts.json), made with the project's own builder and verifier. */
import { sha256 } from "#crypto";
import { toBase64Url, toHex } from "../../src/bytes.ts";
import { buildChainscript } from "../../src/chainscript/build.ts";
import type { ChainEntry, Chainscript } from "../../src/chainscript/chainscript.ts";
import { jcs } from "../../src/chainscript/jcs.ts";
import { chainSigningMessage, computeChainHash, entrySigningMessage } from "../../src/chainscript/signing.ts";
import { verifyChainscript } from "../../src/chainscript/verify.ts";
import { cidFromSha256, contentCid } from "../../src/evidence/cid.ts";
import { createPacket, type PacketFields, type SignedPacket } from "../../src/evidence/sign.ts";
import { type KeyName, keyVectors, signer } from "./keys.ts";
import { hashOf, lighthouseFields } from "./packets.ts";

export interface ChainscriptVector {
  readonly name: string;
  readonly description: string;
  /** Every packet a gateway would serve, by CID. */
  readonly packets: readonly { readonly cid: string; readonly cbor: string }[];
  /** The exact stored text (UTF-8). */
  readonly chainscript: string;
  /** The content CID of those bytes. */
  readonly cid: string;
  readonly expected: {
    readonly verdict: "valid" | "invalid" | "incomplete";
    /** The first failing check in protocol order (docs/spec.md, Verification). */
    readonly firstFailure?: string;
    readonly failedChecks: readonly string[];
    readonly chainHash?: string;
    readonly chainSigningMessage?: string;
    readonly entrySigningMessages?: readonly string[];
  };
}

/** A packet as a gateway serves it: normally under its own CID, in the tampering vector under another. */
type Served = SignedPacket | { readonly cid: string; readonly bytes: Uint8Array };
type Unsigned = Omit<ChainEntry, "eddsaSignature">;
type Mutable<T> = { -readonly [K in keyof T]: T[K] };

interface Run {
  readonly chainId: string;
  readonly chainKey: KeyName;
  readonly packets: SignedPacket[];
  readonly stages: string[];
  readonly externalInputs?: Uint8Array[];
}

async function lighthouseRun(): Promise<Run> {
  const stages = [
    { stageId: "generate", output: "lighthouse.png", inputs: [] as string[] },
    { stageId: "upscale", output: "lighthouse@4x.png", inputs: ["lighthouse.png"] },
    { stageId: "watermark", output: "lighthouse@4x-wm.png", inputs: ["lighthouse@4x.png"] },
  ];
  const base = lighthouseFields();
  const packets: SignedPacket[] = [];
  for (const [i, stage] of stages.entries()) {
    const fields: PacketFields = {
      ...base,
      packetId: `0f8fad5b-d9cb-469f-a165-70867728950${i}`,
      timestamp: (base.timestamp as number) + i * 5_000 + 123,
      inputs: { ...base.inputs, assetHashes: stage.inputs.map(hashOf) },
      outputs: { ...base.outputs, assetHash: hashOf(stage.output) },
    };
    packets.push(await createPacket(fields, signer("key-1")));
  }
  return {
    chainId: "7c9e6679-7425-40de-944b-e07fc1f90ae7",
    chainKey: "key-1",
    packets,
    stages: stages.map((s) => s.stageId),
  };
}

/** Two stages whose first consumes two assets from outside the run; packets signed by key-3, the chain by key-2. */
async function summaryRun(): Promise<Run> {
  const contract = hashOf("contract.pdf");
  const style = hashOf("house-style.md");
  const fields = (i: number, inputs: Uint8Array[], output: string): PacketFields => ({
    packetId: `f47ac10b-58cc-4372-a567-0e02b2c3d47${i}`,
    tenantId: "legal-team",
    processId: "contract-summary-v2",
    timestamp: 1_767_229_200_000 + i * 60_000,
    inputs: {
      promptHash: hashOf("Summarise the contract in plain English."),
      modelId: "llama-3.1-70b-instruct@7c4f21",
      seed: 7n,
      parameters: { temperature: 0.2, maxTokens: 1024 },
      assetHashes: inputs,
    },
    execution: { durationMs: 5_120 + i, deviceClass: "H100", pipelineHash: hashOf("summarise.yaml") },
    outputs: { assetHash: hashOf(output), assetSize: 2_311 + i, mimeType: "text/markdown" },
  });
  const packets = [
    await createPacket(fields(0, [contract, style], "draft.md"), signer("key-3")),
    await createPacket(fields(1, [hashOf("draft.md")], "final.md"), signer("key-3")),
  ];
  return {
    chainId: "16fd2706-8baf-433b-82eb-8c7fada847da",
    chainKey: "key-2",
    packets,
    stages: ["draft", "final"],
    externalInputs: [style, contract],
  };
}

const utf8 = new TextEncoder();
const publicKeys = new Map(keyVectors().map((k) => [k.keyId, Uint8Array.from(Buffer.from(k.publicKey, "hex"))]));

function unsignedEntries(run: Run): Unsigned[] {
  return run.packets.map((p, i) => ({
    sequence: i,
    packetCid: cidFromSha256(p.packetHash),
    packetHash: toHex(p.packetHash),
    previousHash: i === 0 ? null : toHex((run.packets[i - 1] as SignedPacket).packetHash),
    timestamp: p.packet.timestamp,
    stageId: run.stages[i] as string,
  }));
}

/** Signs entries and chain as the builder does, but over whatever content it is given (the builder refuses bad runs). */
async function signChain(
  run: Run,
  entries: Unsigned[],
  change: { chainHash?: Uint8Array; externalInputs?: string[] } = {},
): Promise<Mutable<Chainscript>> {
  const key = signer(run.chainKey);
  const signed: ChainEntry[] = [];
  for (const e of entries) signed.push({ ...e, eddsaSignature: toBase64Url(await key.sign(entrySigningMessage(e))) });
  const chainHash = change.chainHash ?? computeChainHash(run.packets.map((p) => p.packetHash));
  const first = (run.packets[0] as SignedPacket).packet;
  return {
    version: "1.0",
    chainId: run.chainId,
    tenantId: first.tenantId,
    processId: first.processId,
    signingKeyId: key.keyId,
    entries: signed,
    ...(change.externalInputs === undefined ? {} : { externalInputs: change.externalInputs }),
    chainHash: toHex(chainHash),
    chainSignature: toBase64Url(await key.sign(chainSigningMessage(chainHash))),
  };
}

async function vector(
  name: string,
  description: string,
  packets: readonly Served[],
  text: string,
  extra: Partial<ChainscriptVector["expected"]> = {},
): Promise<ChainscriptVector> {
  const bytes = utf8.encode(text);
  const served = packets.map((p) =>
    "packet" in p ? { cid: cidFromSha256(p.packetHash), bytes: p.bytes } : { cid: p.cid, bytes: p.bytes },
  );
  const cid = await contentCid(bytes);
  // The expected outcome is what the project's verifier says; the test checks it again, and docs/spec.md explains it.
  const report = await verifyChainscript({
    bytes,
    cid,
    packets: new Map(served.map((p) => [p.cid, p.bytes])),
    resolveKey: (keyId) => publicKeys.get(keyId),
    threads: 1,
  });
  const failedChecks = report.checks.filter((c) => c.status === "fail").map((c) => c.id);
  return {
    name,
    description,
    packets: served.map((p) => ({ cid: p.cid, cbor: toHex(p.bytes) })),
    chainscript: text,
    cid,
    expected: {
      verdict: report.verdict,
      ...(report.firstFailure === undefined ? {} : { firstFailure: report.firstFailure.check }),
      failedChecks,
      ...extra,
    },
  };
}

async function validVector(name: string, description: string, run: Run): Promise<ChainscriptVector> {
  const built = await buildChainscript({
    steps: run.packets.map((p, i) => ({ bytes: p.bytes, stageId: run.stages[i] as string })),
    signer: signer(run.chainKey),
    chainId: run.chainId,
    ...(run.externalInputs === undefined ? {} : { externalInputs: run.externalInputs }),
  });
  return vector(name, description, run.packets, new TextDecoder().decode(built.bytes), {
    chainHash: toHex(built.chainHash),
    chainSigningMessage: toHex(chainSigningMessage(built.chainHash)),
    entrySigningMessages: built.chainscript.entries.map(({ eddsaSignature: _, ...e }) => toHex(entrySigningMessage(e))),
  });
}

export async function chainscriptVectors(): Promise<ChainscriptVector[]> {
  const lighthouse = await lighthouseRun();
  const summary = await summaryRun();
  const out = [
    await validVector(
      "three-stages",
      "generate → upscale → watermark, each consuming the previous output.",
      lighthouse,
    ),
    await validVector(
      "external-inputs",
      "The first stage consumes two assets from outside the run, declared (sorted) in externalInputs; packets signed by key-3, the chain by key-2.",
      summary,
    ),
  ];
  const entries = unsignedEntries(lighthouse);
  const valid = await signChain(lighthouse, entries);
  const packets = lighthouse.packets;
  const add = async (name: string, description: string, text: string, served: readonly Served[] = packets) =>
    out.push(await vector(name, description, served, text));

  await add(
    "wrong-chain-hash",
    "chainHash is SHA-256 of the packet hashes in reverse order; chainSignature is re-signed over it, so only the hash check fails.",
    jcs(
      await signChain(lighthouse, entries, {
        chainHash: computeChainHash([...packets].reverse().map((p) => p.packetHash)),
      }),
    ),
  );
  const wrongPrevious = entries.map((e, i) => (i === 2 ? { ...e, previousHash: e.packetHash } : e));
  await add(
    "wrong-previous-hash",
    "Entry 2's previousHash is its own packetHash; the entry is re-signed, so only the link check fails.",
    jcs(await signChain(lighthouse, wrongPrevious)),
  );
  const swapped = entries.map((e, i) => (i === 1 ? { ...e, sequence: 2 } : i === 2 ? { ...e, sequence: 1 } : e));
  await add(
    "wrong-sequence",
    "Entries 1 and 2 carry sequence 2 and 1 (re-signed).",
    jcs(await signChain(lighthouse, swapped)),
  );
  await add(
    "not-jcs-whitespace",
    "The valid chainscript pretty-printed with two-space indentation: same JSON value, not the RFC 8785 bytes.",
    JSON.stringify(JSON.parse(jcs(valid)), null, 2),
  );
  const { version, ...rest } = valid;
  await add(
    "not-jcs-key-order",
    'The valid chainscript with "version" written first instead of in sorted position.',
    `{"version":${JSON.stringify(version)},${jcs(rest).slice(1)}`,
  );
  const badEntry = structuredClone(valid);
  const entry1 = badEntry.entries[1] as Mutable<ChainEntry>;
  entry1.eddsaSignature = toBase64Url(await signer("key-2").sign(entrySigningMessage(entries[1] as Unsigned)));
  await add("bad-entry-signature", "Entry 1 is signed by key-2, not the chain key (key-1).", jcs(badEntry));
  const badChain = structuredClone(valid);
  badChain.chainSignature = toBase64Url(await signer("key-1").sign(utf8.encode("POP-CHAIN-V1")));
  await add(
    "bad-chain-signature",
    "chainSignature is key-1's signature of the context without the zero byte and chainHash.",
    jcs(badChain),
  );
  const duplicate = [...packets.slice(0, 2), packets[1] as SignedPacket];
  const duplicateRun = { ...lighthouse, packets: duplicate, stages: ["generate", "upscale", "upscale-again"] };
  await add(
    "duplicate-packet",
    "The upscale packet appears as entries 1 and 2 (all links and signatures correct).",
    jcs(await signChain(duplicateRun, unsignedEntries(duplicateRun))),
    duplicate,
  );
  const brokenRun = {
    ...lighthouse,
    packets: [packets[0], packets[2]] as SignedPacket[],
    stages: ["generate", "watermark"],
  };
  await add(
    "broken-lineage",
    "generate → watermark: the watermark packet consumes lighthouse@4x.png, which no earlier entry produced.",
    jcs(await signChain(brokenRun, unsignedEntries(brokenRun))),
    brokenRun.packets,
  );
  const lateEntries = entries.map((e, i) => (i === 1 ? { ...e, timestamp: e.timestamp + 1 } : e));
  await add(
    "entry-timestamp-mismatch",
    "Entry 1's timestamp is 1 ms after its packet's (re-signed).",
    jcs(await signChain(lighthouse, lateEntries)),
  );
  const forged = Uint8Array.from((packets[1] as SignedPacket).bytes);
  forged[forged.length - 1] = (forged[forged.length - 1] as number) ^ 0x01; // the signature's last byte
  const forgedPacket = { ...(packets[1] as SignedPacket), bytes: forged, packetHash: sha256(forged) };
  const forgedRun = { ...lighthouse, packets: [packets[0], forgedPacket, packets[2]] as SignedPacket[] };
  const forgedEntries = unsignedEntries(forgedRun);
  await add(
    "bad-packet-signature",
    "Packet 1's signature has a bit flipped; the chain is built over those bytes (and is otherwise valid).",
    jcs(await signChain(forgedRun, forgedEntries)),
    forgedRun.packets,
  );
  const entry1Cid = cidFromSha256((packets[1] as SignedPacket).packetHash);
  await add("tampered-packet", "The gateway serves packet 2's bytes under entry 1's CID.", jcs(valid), [
    packets[0] as SignedPacket,
    { cid: entry1Cid, bytes: (packets[2] as SignedPacket).bytes },
    packets[2] as SignedPacket,
  ]);
  await add("missing-packet", "Packet 1 is not available: the verdict is incomplete, not invalid.", jcs(valid), [
    packets[0] as SignedPacket,
    packets[2] as SignedPacket,
  ]);
  const unknownKey = { ...valid, signingKeyId: "unknown-key" };
  await add("unknown-chain-key", 'signingKeyId "unknown-key" resolves to no key.', jcs(unknownKey));

  // Format: each breaks one rule of the text forms; verification stops at chainscript.format.
  const summaryValid = out[1] as ChainscriptVector;
  const summaryChain = JSON.parse(summaryValid.chainscript) as Mutable<Chainscript>;
  const reversed = [...(summaryChain.externalInputs ?? [])].reverse();
  const formatCase = (name: string, description: string, text: string, run = lighthouse) =>
    add(name, description, text, run.packets);
  await formatCase(
    "external-inputs-unsorted",
    "externalInputs in descending order.",
    jcs({ ...summaryChain, externalInputs: reversed }),
    summary,
  );
  await formatCase(
    "external-inputs-duplicate",
    "externalInputs lists the same hash twice.",
    jcs({ ...summaryChain, externalInputs: [reversed[1], reversed[1], reversed[0]] }),
    summary,
  );
  await formatCase(
    "external-inputs-empty",
    "externalInputs is [] (it must be omitted).",
    jcs({ ...valid, externalInputs: [] }),
  );
  const entry0 = valid.entries[0] as ChainEntry;
  await formatCase(
    "uppercase-hex",
    "Entry 0's packetHash in uppercase hex.",
    jcs(valid).replace(`"packetHash":"${entry0.packetHash}"`, `"packetHash":"${entry0.packetHash.toUpperCase()}"`),
  );
  await formatCase(
    "padded-base64url",
    "chainSignature with base64 padding (==).",
    jcs({ ...valid, chainSignature: `${valid.chainSignature}==` }),
  );
  await formatCase(
    "chain-id-uppercase",
    "chainId in uppercase.",
    jcs({ ...valid, chainId: valid.chainId.toUpperCase() }),
  );
  await formatCase(
    "lone-surrogate",
    'Entry 1\'s stageId is "up\\ud800scale": a lone surrogate has no UTF-8 form.',
    jcs(valid).replace('"stageId":"upscale"', '"stageId":"up\\ud800scale"'),
  );
  await formatCase("version-2", 'version is "2.0".', jcs({ ...valid, version: "2.0" }));
  return out;
}

import { sha256, verifyEd25519Batch } from "#crypto";
import { equalBytes, fromBase64Url, toHex } from "../bytes.ts";
import { BaseError } from "../errors.ts";
import { cidFromSha256, contentCid, sha256FromRawCid } from "../evidence/cid.ts";
import { type DecodedPacket, decodePacket } from "../evidence/codec.ts";
import type { SignatureCheck } from "../evidence/crypto/types.ts";
import {
  type Chainscript,
  hashBytes,
  InvalidChainscriptError,
  parseChainscript,
  serializeChainscript,
} from "./chainscript.ts";
import { checkLineage, type LineageStep } from "./lineage.ts";
import { buildReport, Check, type VerificationReport } from "./report.ts";
import { chainSigningMessage, computeChainHash, entrySigningMessage } from "./signing.ts";

/** A key that exists but does not count at the time asked, with the sentence that says why. */
export interface KeyRejection {
  readonly rejected: string;
}

/** A key's public key, a rejection with its reason, or undefined for a key id that resolves to nothing. */
export type KeyResolution = Uint8Array | KeyRejection | undefined;

/**
 * The Ed25519 public key of `keyId` that was valid at time `at` (ms), or why
 * there is none. The on-chain registry answers this for an anchored chain; a
 * fixed key answers it on the command line.
 */
export type KeyResolver = (keyId: string, at: number) => KeyResolution | Promise<KeyResolution>;

/** Packet bytes a source found for an entry, and where (a file): a failure of them names it. */
export interface FoundPacket {
  readonly bytes: Uint8Array;
  readonly origin: string;
}

/**
 * The packet of entry `entry` of `chainscript`, whose CID is `cid`: by that
 * CID, or, for a source that can tell, the bytes that claim to be the entry's
 * packet (a file named after it, say) even if they have another CID, so that
 * a tampered packet fails packets.integrity instead of counting as missing.
 * Undefined when unavailable. Bytes are checked against the entry here.
 */
export type PacketLookup = (
  cid: string,
  entry: number,
  chainscript: Chainscript,
) => Uint8Array | FoundPacket | undefined | Promise<Uint8Array | FoundPacket | undefined>;

/** Packet bytes by CID, or a lookup. */
export type PacketSource = ReadonlyMap<string, Uint8Array> | PacketLookup;

export interface VerifyChainscriptParameters {
  /** The chainscript as stored (RFC 8785 JSON). */
  readonly bytes: Uint8Array;
  readonly packets: PacketSource;
  readonly resolveKey: KeyResolver;
  /**
   * The content address the chainscript is known by (the anchored ipfsCid).
   * Only with it are the fields no signature covers (chainId, externalInputs)
   * bound: the chain key signs chainHash and each entry, not the whole file.
   */
  readonly cid?: string;
  /** Worker threads for signature checks; default one per core. */
  readonly threads?: number;
  /**
   * The latest time (ms) an entry or packet may carry: an anchored chain's
   * block time plus the clock skew. Without it, `entries.time` and
   * `packets.time` are not checked.
   */
  readonly notAfter?: number;
}

export interface ChainVerificationReport extends VerificationReport {
  readonly chainscript?: Chainscript;
}

/** The checks, in the order they are reported. */
function createChecks() {
  return {
    cid: new Check("chainscript.cid", "the bytes have the expected content address", { optional: true }),
    format: new Check("chainscript.format", "the chainscript is UTF-8 JSON with every version 1.0 field"),
    canonical: new Check("chainscript.canonical", "the bytes are exactly the RFC 8785 (JCS) serialization"),
    sequence: new Check("entries.sequence", "entry n has sequence n"),
    unique: new Check("entries.unique", "no packet appears twice"),
    links: new Check(
      "entries.previousHash",
      "each entry's previousHash is the packetHash before it (null for entry 0)",
    ),
    entriesTime: new Check("entries.time", "no entry is dated after the anchor's block time (beyond the clock skew)", {
      optional: true,
    }),
    chainHash: new Check("chain.hash", "chainHash is SHA-256 of the packet hashes in sequence order"),
    chainKey: new Check("chain.key", "the chain's signingKeyId resolves to a key valid at the chain's last entry"),
    chainSignature: new Check("chain.signature", "chainSignature verifies under the chain key"),
    entrySignatures: new Check("entries.signature", "every entry signature verifies under the chain key"),
    available: new Check("packets.available", "every packet is available"),
    integrity: new Check("packets.integrity", "packet bytes hash to the entry's packetHash and packetCid"),
    packetFormat: new Check(
      "packets.canonical",
      "every packet is a valid, deterministically encoded version 1.0 packet",
    ),
    binding: new Check("packets.binding", "every packet has the chain's tenant and process and the entry's timestamp"),
    packetsTime: new Check("packets.time", "no packet is dated after the anchor's block time (beyond the clock skew)", {
      optional: true,
    }),
    packetKeys: new Check("packets.key", "every packet's signingKeyId resolves to a key valid at the packet's time"),
    packetSignatures: new Check("packets.signature", "every packet signature verifies under its key"),
    lineage: new Check("lineage", "every input asset is an earlier entry's output or a declared external input"),
  };
}

const AVAILABILITY = new Set(["packets.available"]);

const isoMs = (ms: number) => new Date(ms).toISOString();

/** The sentence for a key that does not resolve to a public key. */
function keyProblem(keyId: string, at: number, resolved: KeyRejection | undefined): string {
  return resolved === undefined
    ? `no key "${keyId}" valid at ${isoMs(at)}`
    : `key "${keyId}" does not count at ${isoMs(at)}: ${resolved.rejected}`;
}

async function fetchPacket(
  source: PacketSource,
  entry: number,
  chainscript: Chainscript,
): Promise<Partial<FoundPacket> | undefined> {
  const cid = chainscript.entries[entry]?.packetCid as string;
  const found = typeof source === "function" ? await source(cid, entry, chainscript) : source.get(cid);
  return found instanceof Uint8Array ? { bytes: found } : found;
}

/** Which of the entry's fields the bytes contradict, and the packetId they claim when they decode as a packet. */
function integrityProblem(entry: number, chain: Chainscript, found: Partial<FoundPacket> & { bytes: Uint8Array }) {
  const { packetHash, packetCid } = chain.entries[entry] as Chainscript["entries"][number];
  if (found.origin === undefined) return "the packet bytes do not match packetHash and packetCid";
  let packetId = "";
  try {
    packetId = ` (packetId ${decodePacket(found.bytes).packet.packetId})`;
  } catch (error) {
    if (!(error instanceof BaseError)) throw error;
    // Not even a packet any more: the sentence names the file alone.
  }
  const digest = sha256(found.bytes);
  const hash = toHex(digest);
  const field =
    hash === packetHash
      ? `entries[${entry}].packetCid: the bytes have CID ${cidFromSha256(digest)}, the entry ${packetCid}`
      : `entries[${entry}].packetHash: the bytes hash to ${hash}, the entry says ${packetHash}`;
  return `the packet for entry ${entry}${packetId} in ${found.origin} does not match the chainscript's ${field}`;
}

/**
 * Verifies a chainscript and its packets: shape, canonical bytes, hash chain,
 * chain hash, every signature, packet integrity and binding, and lineage.
 * Signature checks run on worker threads.
 *
 * @example
 * const report = await verifyChainscript({ bytes, packets, resolveKey: () => publicKey });
 * report.verdict // "valid" | "invalid" | "incomplete"
 */
export async function verifyChainscript(parameters: VerifyChainscriptParameters): Promise<ChainVerificationReport> {
  const checks = createChecks();
  const all = Object.values(checks);
  if (parameters.cid !== undefined) {
    const actual = await contentCid(parameters.bytes);
    checks.cid.expect(actual === parameters.cid, `the bytes have CID ${actual}, expected ${parameters.cid}`);
  }
  let chain: Chainscript;
  try {
    chain = parseChainscript(parameters.bytes);
    checks.format.pass();
  } catch (error) {
    if (!(error instanceof InvalidChainscriptError)) throw error;
    checks.format.fail(error.shortMessage);
    return buildReport(all, AVAILABILITY);
  }
  const { entries } = chain;
  checks.canonical.expect(
    equalBytes(serializeChainscript(chain), parameters.bytes),
    "the bytes differ from the JCS serialization of their content",
  );

  const seen = new Map<string, number>();
  entries.forEach((entry, i) => {
    checks.sequence.expect(entry.sequence === i, `sequence is ${entry.sequence}, expected ${i}`, i);
    const previous = i === 0 ? null : (entries[i - 1]?.packetHash ?? null);
    checks.links.expect(
      entry.previousHash === previous,
      `previousHash is ${entry.previousHash}, expected ${previous}`,
      i,
    );
    if (parameters.notAfter !== undefined) {
      checks.entriesTime.expect(
        entry.timestamp <= parameters.notAfter,
        `the entry is dated ${isoMs(entry.timestamp)}, after ${isoMs(parameters.notAfter)} (the anchor's block time plus the clock skew)`,
        i,
      );
    }
    const earlier = seen.get(entry.packetHash);
    checks.unique.expect(earlier === undefined, `the packet of entry ${earlier} appears again`, i);
    seen.set(entry.packetHash, i);
  });
  const packetHashes = entries.map((entry) => hashBytes(entry.packetHash));
  checks.chainHash.expect(
    toHex(computeChainHash(packetHashes)) === chain.chainHash,
    "chainHash does not match the entries' packet hashes",
  );

  // Signatures are gathered first and verified together on worker threads.
  const signatures: SignatureCheck[] = [];
  const onResult: ((ok: boolean) => void)[] = [];
  const queue = (check: SignatureCheck, then: (ok: boolean) => void) => {
    signatures.push(check);
    onResult.push(then);
  };

  const chainTime = entries.reduce((latest, entry) => Math.max(latest, entry.timestamp), 0);
  const chainKey = await parameters.resolveKey(chain.signingKeyId, chainTime);
  if (chainKey instanceof Uint8Array) {
    checks.chainKey.pass();
    const publicKey = chainKey;
    queue(
      {
        publicKey,
        message: chainSigningMessage(hashBytes(chain.chainHash)),
        signature: fromBase64Url(chain.chainSignature) as Uint8Array,
      },
      (ok) => checks.chainSignature.expect(ok, "chainSignature does not verify under the chain key"),
    );
    entries.forEach((entry, i) => {
      const { eddsaSignature, ...unsigned } = entry;
      queue(
        { publicKey, message: entrySigningMessage(unsigned), signature: fromBase64Url(eddsaSignature) as Uint8Array },
        (ok) => checks.entrySignatures.expect(ok, "the entry signature does not verify under the chain key", i),
      );
    });
  } else {
    checks.chainKey.fail(keyProblem(chain.signingKeyId, chainTime, chainKey));
    checks.chainSignature.skip();
    checks.entrySignatures.skip(entries.length);
  }

  const lineageSteps: (LineageStep | undefined)[] = [];
  const packetChecks = [
    checks.integrity,
    checks.packetFormat,
    checks.binding,
    checks.packetsTime,
    checks.packetKeys,
    checks.packetSignatures,
  ];
  const skipFrom = (index: number, entry: number) => {
    for (const check of packetChecks.slice(index)) check.skip();
    lineageSteps[entry] = undefined;
  };
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i] as Chainscript["entries"][number];
    const cidDigest = sha256FromRawCid(entry.packetCid);
    // Not fetched at all: no packet has such a CID, and what it names could be a DAG of any size.
    if (cidDigest === undefined) {
      checks.integrity.fail(`packetCid ${entry.packetCid} is not a raw sha2-256 CIDv1`, i);
      skipFrom(1, i);
      continue;
    }
    const found = await fetchPacket(parameters.packets, i, chain);
    const bytes = found?.bytes;
    if (!checks.available.expect(bytes !== undefined, `packet ${entry.packetCid} is not available`, i)) {
      skipFrom(0, i);
      continue;
    }
    const packetBytes = bytes as Uint8Array;
    const hash = sha256(packetBytes);
    const intact =
      equalBytes(cidDigest, packetHashes[i] as Uint8Array) && equalBytes(hash, packetHashes[i] as Uint8Array);
    if (!intact) {
      checks.integrity.fail(integrityProblem(i, chain, { ...found, bytes: packetBytes }), i);
      skipFrom(1, i);
      continue;
    }
    checks.integrity.pass();
    let decoded: DecodedPacket;
    try {
      decoded = decodePacket(packetBytes);
      checks.packetFormat.pass();
    } catch (error) {
      if (!(error instanceof BaseError)) throw error;
      checks.packetFormat.fail(error.shortMessage, i);
      skipFrom(2, i);
      continue;
    }
    const { packet, signingMessage } = decoded;
    const mismatch =
      packet.tenantId !== chain.tenantId
        ? `the packet's tenant is "${packet.tenantId}", the chain's "${chain.tenantId}"`
        : packet.processId !== chain.processId
          ? `the packet's process is "${packet.processId}", the chain's "${chain.processId}"`
          : packet.timestamp !== entry.timestamp
            ? `the packet's timestamp is ${packet.timestamp}, the entry's ${entry.timestamp}`
            : undefined;
    checks.binding.expect(mismatch === undefined, mismatch ?? "", i);
    if (parameters.notAfter !== undefined) {
      checks.packetsTime.expect(
        packet.timestamp <= parameters.notAfter,
        `the packet is dated ${isoMs(packet.timestamp)}, after ${isoMs(parameters.notAfter)} (the anchor's block time plus the clock skew)`,
        i,
      );
    }
    lineageSteps[i] = { inputs: packet.inputs.assetHashes ?? [], output: packet.outputs.assetHash };
    const key = await parameters.resolveKey(packet.signingKeyId, packet.timestamp);
    if (!(key instanceof Uint8Array)) {
      checks.packetKeys.fail(keyProblem(packet.signingKeyId, packet.timestamp, key), i);
      checks.packetSignatures.skip();
      continue;
    }
    checks.packetKeys.pass();
    queue({ publicKey: key, message: signingMessage, signature: packet.signature }, (ok) =>
      checks.packetSignatures.expect(ok, "the packet signature does not verify under its key", i),
    );
  }

  const results = await verifyEd25519Batch(
    signatures,
    parameters.threads === undefined ? {} : { threads: parameters.threads },
  );
  for (const [i, ok] of results.entries()) onResult[i]?.(ok);

  // Lineage needs every entry's packet: one unreadable packet leaves it unchecked.
  const known = lineageSteps.filter((step): step is LineageStep => step !== undefined);
  if (known.length === entries.length) {
    const problems = checkLineage(known, new Set(chain.externalInputs ?? []));
    for (const problem of problems) checks.lineage.fail(problem.message, problem.entry);
    checks.lineage.pass(entries.length - new Set(problems.map((p) => p.entry)).size);
  } else {
    checks.lineage.skip(entries.length);
  }
  return { ...buildReport(all, AVAILABILITY), chainscript: chain };
}

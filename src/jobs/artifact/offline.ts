/**
 * The offline half of an artifact's verification: everything the document
 * proves by itself. Its bytes are the RFC 8785 form of its content, its fields
 * are well-formed, every packet hashes to its hash and CID and is signed by the
 * artifact's key, the job and results are what the packets sign, and the key
 * signed the whole document. Each failure names the field it is about.
 */
import { sha256, verifyEd25519 } from "#crypto";
import { equalBytes, fromBase64Url, fromHex } from "../../bytes.ts";
import { jcs } from "../../chainscript/jcs.ts";
import { Check, summarize, type VerificationReport } from "../../chainscript/report.ts";
import { BaseError } from "../../errors.ts";
import { cidFromSha256 } from "../../evidence/cid.ts";
import { decodePacket } from "../../evidence/codec.ts";
import type { EvidencePacket } from "../../evidence/packet.ts";
import { fieldPath, JobArtifact } from "./format.ts";
import { artifactSignatureValid } from "./sign.ts";
import { JobPacketsError, summarizeJobPackets } from "./summary.ts";

export function offlineChecks() {
  return {
    encoding: new Check("artifact.encoding", "the file is UTF-8 JSON in its RFC 8785 form (every byte is signed)", {
      optional: true,
    }),
    format: new Check("artifact.format", "the document is a pop-job-artifact/1 whose every field is well-formed"),
    integrity: new Check("packets.integrity", "each packet's bytes hash to its packetHash, whose raw CID is its cid"),
    packetSignatures: new Check(
      "packets.signature",
      "each packet is a canonical evidence packet of the job's tenant, signed by the artifact's key",
    ),
    summary: new Check("artifact.summary", "the job and results are what the signed packets say"),
    nid: new Check("numbers.nid", "each NID is its packet's CID, or is marked as differing (nidMatchesCid)"),
    signature: new Check("artifact.signature", "the embedded key signed the document (POP-ARTIFACT-V1)"),
  };
}

export type OfflineChecks = ReturnType<typeof offlineChecks>;

export interface OfflineOutcome {
  readonly checks: OfflineChecks;
  /** The document, once it parsed and had the format's shape. */
  readonly artifact?: JobArtifact;
  /** Each packet's bytes, once they hash to their CIDs. */
  readonly packetBytes?: readonly Uint8Array[];
  /** Sentences for the reader: what the verdict does and does not say. */
  readonly notes: string[];
}

const utf8 = new TextDecoder("utf-8", { fatal: true });
const encoder = new TextEncoder();

/** The text of `bytes`, checked for UTF-8, JSON and the RFC 8785 form; undefined (with the failure) otherwise. */
function parseText(bytes: Uint8Array, check: Check): unknown {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    check.fail("the file is not UTF-8 text", undefined, "");
    return undefined;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    check.fail(`the file is not JSON: ${(error as Error).message}`, undefined, "");
    return undefined;
  }
  let canonical: Uint8Array;
  try {
    canonical = encoder.encode(jcs(value));
  } catch (error) {
    check.fail(`the content has no RFC 8785 form: ${(error as Error).message}`, undefined, "");
    return undefined;
  }
  // One trailing newline is tolerated: it is not a byte of the content, and tools that print files add it.
  const body = bytes.at(-1) === 0x0a ? bytes.subarray(0, -1) : bytes;
  if (equalBytes(body, canonical)) check.pass();
  else {
    let at = 0;
    while (at < body.length && body[at] === canonical[at]) at++;
    check.fail(
      `byte ${at} differs from the RFC 8785 form of the content (whitespace, key order, escapes, number or duplicate key): the signed bytes were changed`,
      undefined,
      "",
    );
  }
  return value;
}

/** The first path at which `actual` differs from `expected`, or undefined when they are the same JSON. */
function firstDifference(
  expected: unknown,
  actual: unknown,
  path: (string | number)[],
): (string | number)[] | undefined {
  if (typeof expected !== "object" || expected === null || typeof actual !== "object" || actual === null)
    return expected === actual ? undefined : path;
  if (Array.isArray(expected) !== Array.isArray(actual)) return path;
  const keys = new Set([...Object.keys(expected), ...Object.keys(actual)]);
  for (const key of [...keys].sort()) {
    const index = Array.isArray(expected) ? Number(key) : key;
    const found = firstDifference(
      (expected as Record<string, unknown>)[key],
      (actual as Record<string, unknown>)[key],
      [...path, index],
    );
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * The offline checks of an artifact given as its file's bytes (every byte checked) or as a parsed value
 * (`artifact.encoding` then skipped: only the content is checked).
 *
 * @example
 * const { checks, artifact } = checkArtifactOffline(await readFile("job.artifact.json"));
 */
export function checkArtifactOffline(input: Uint8Array | unknown): OfflineOutcome {
  const checks = offlineChecks();
  const notes: string[] = [];
  let value: unknown = input;
  if (input instanceof Uint8Array) {
    value = parseText(input, checks.encoding);
    if (value === undefined) return { checks, notes };
  } else notes.push("The artifact was given as a JSON value, not a file: its content is checked, not its bytes.");

  const parsed = JobArtifact.safeParse(value);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const path = issue.code === "unrecognized_keys" ? [...issue.path, issue.keys[0] ?? ""] : issue.path;
      const field = fieldPath(path);
      const problem = issue.code === "unrecognized_keys" ? "is not a field of the format" : issue.message;
      checks.format.fail(`${field || "the document"} ${problem}`, undefined, field);
    }
    return { checks, notes };
  }
  checks.format.pass();
  const artifact = parsed.data;
  const { packets, anchor } = artifact.proof;
  const publicKey = fromHex(artifact.signature.publicKey) as Uint8Array;

  // Each packet: its bytes, hash and CID agree.
  const packetBytes: Uint8Array[] = [];
  for (const [i, packet] of packets.entries()) {
    const bytes = fromBase64Url(packet.bytes);
    const field = `proof.packets[${i}]`;
    if (bytes === undefined) {
      checks.integrity.fail("is not base64url", i, `${field}.bytes`);
      continue;
    }
    const hash = sha256(bytes);
    if (!equalBytes(hash, fromHex(packet.packetHash) as Uint8Array)) {
      checks.integrity.fail("is not the SHA-256 of the packet's bytes", i, `${field}.packetHash`);
      continue;
    }
    if (packet.cid !== cidFromSha256(hash)) {
      checks.integrity.fail(`is not the raw CID of the packet's hash (${cidFromSha256(hash)})`, i, `${field}.cid`);
      continue;
    }
    packetBytes.push(bytes);
    checks.integrity.pass();
  }
  const intact = packetBytes.length === packets.length;

  // Each packet: canonical, of the tenant, signed by the artifact's key.
  const decoded: EvidencePacket[] = [];
  if (!intact) checks.packetSignatures.skip(packets.length);
  else {
    let verified = 0;
    for (const [i, bytes] of packetBytes.entries()) {
      const field = `proof.packets[${i}].bytes`;
      let packet: EvidencePacket;
      let message: Uint8Array;
      try {
        ({ packet, signingMessage: message } = decodePacket(bytes));
      } catch (error) {
        if (!(error instanceof BaseError)) throw error;
        checks.packetSignatures.fail(`is not a canonical evidence packet: ${error.shortMessage}`, i, field);
        continue;
      }
      decoded.push(packet);
      if (packet.signingKeyId !== artifact.signature.keyId) {
        checks.packetSignatures.fail(
          `packet ${i} was signed by key "${packet.signingKeyId}", not the artifact's "${artifact.signature.keyId}"`,
          i,
          "signature.keyId",
        );
        continue;
      }
      if (packet.tenantId !== artifact.job.tenantId) {
        checks.packetSignatures.fail(
          `packet ${i} is tenant "${packet.tenantId}"'s, not "${artifact.job.tenantId}"`,
          i,
          "job.tenantId",
        );
        continue;
      }
      if (!verifyEd25519(publicKey, message, packet.signature)) {
        checks.packetSignatures.fail("the packet's signature does not verify under signature.publicKey", i, field);
        continue;
      }
      verified++;
      checks.packetSignatures.pass();
    }
    // No packet verifying under the key blames the key, not the packets.
    const failures = checks.packetSignatures.result().failures;
    if (verified === 0 && failures.every((f) => f.message.includes("does not verify")) && failures.length > 0) {
      checks.packetSignatures.fail(
        "no packet verifies under the embedded public key",
        undefined,
        "signature.publicKey",
      );
    }
  }

  // The job and results: recomputed from the packets, field by field.
  if (decoded.length !== packets.length) checks.summary.skip();
  else {
    try {
      const expected = summarizeJobPackets(decoded);
      const eventTypes = ["JobSubmitted", "JobCompleted"];
      const wrongEvent = packets.findIndex((packet, i) => packet.eventType !== eventTypes[i]);
      const difference =
        wrongEvent >= 0
          ? ["proof", "packets", wrongEvent, "eventType"]
          : firstDifference(
              { job: expected.job, results: expected.results },
              { job: artifact.job, results: artifact.results },
              [],
            );
      if (difference === undefined) checks.summary.pass();
      else {
        const field = fieldPath(difference);
        checks.summary.fail(`is not what the signed packets say`, undefined, field);
      }
    } catch (error) {
      if (!(error instanceof JobPacketsError)) throw error;
      checks.summary.fail(error.message, undefined, error.field);
    }
  }

  // NIDs: the CID, unless the Capture API answered another, which must be marked.
  for (const [i, packet] of packets.entries()) {
    const { nid, nidMatchesCid, status, txHash, blockNumber } = packet.numbers;
    const field = `proof.packets[${i}].numbers`;
    if ((nid === packet.cid) !== nidMatchesCid) {
      checks.nid.fail(
        nidMatchesCid
          ? "the NID differs from the CID, yet is marked as matching"
          : "the NID is the CID, yet is marked as differing",
        i,
        `${field}.nidMatchesCid`,
      );
      continue;
    }
    if (status === "committed" && (txHash === null || blockNumber === null)) {
      checks.nid.fail("a committed packet names no transaction and block", i, `${field}.txHash`);
      continue;
    }
    if (status === "pending" && (txHash !== null || blockNumber !== null)) {
      checks.nid.fail("a pending commit names a transaction", i, `${field}.status`);
      continue;
    }
    if (!nidMatchesCid)
      notes.push(`Packet ${i}'s NID ${nid} is not its CID ${packet.cid}: the Capture API answered it.`);
    checks.nid.pass();
  }
  const pending = packets.filter((packet) => packet.numbers.status === "pending").length;
  if (pending > 0)
    notes.push(`${pending} of ${packets.length} Numbers commits were not yet mined when the artifact was issued.`);

  checks.signature.expect(
    artifactSignatureValid(artifact),
    `the signature does not verify over the document's RFC 8785 bytes under key "${artifact.signature.keyId}": a field was changed after signing`,
  );
  notes.push(
    `Signed by key "${artifact.signature.keyId}" (public key ${artifact.signature.publicKey}); offline, that it is tenant "${artifact.job.tenantId}"'s key is not checked: give a Base RPC to check it in the registry.`,
  );
  if (anchor === null) notes.push("Not anchored yet: the job's packets have no Base anchor.");
  return { checks, artifact, ...(intact ? { packetBytes } : {}), notes };
}

/**
 * The offline checks alone, as a report with the reader's notes: what a browser runs on a downloaded
 * artifact (verify.ts adds the online checks, which need a Node-only deployment lookup).
 */
export function offlineReport(input: Uint8Array | unknown): VerificationReport & { readonly notes: readonly string[] } {
  const offline = checkArtifactOffline(input);
  return {
    ...summarize(
      Object.values(offline.checks).map((check) => check.result()),
      new Set(),
    ),
    notes: offline.notes,
  };
}

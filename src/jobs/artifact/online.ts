/**
 * The online half of an artifact's verification, each part run when its
 * endpoint is given: the packets from gateways, the Numbers commits from a
 * Numbers RPC, and from Base RPCs the anchor (through the verifier's 4-step
 * protocol) and the registry's record of the artifact's key for the tenant.
 */
import type { Address, Hex, PublicClient } from "viem";
import { deployedAddress } from "../../anchor/deployments.ts";
import { readSigningKey } from "../../anchor/registryReads.ts";
import { fromBase64Url } from "../../bytes.ts";
import { Check } from "../../chainscript/report.ts";
import { BaseError } from "../../errors.ts";
import { decodePacket } from "../../evidence/codec.ts";
import { type CommitChainReader, readCommit } from "../../numbers/readCommit.ts";
import { DEFAULT_RETRY } from "../../storage/http.ts";
import { PACKET_CONTENT, retrieve } from "../../storage/retrieve.ts";
import { describe } from "../../verify/describe.ts";
import { keyRejection } from "../../verify/keys.ts";
import { verifyAnchor } from "../../verify/verifyAnchor.ts";
import type { JobArtifact } from "./format.ts";

export interface ArtifactEndpoints {
  /** Trustless gateways to fetch the packets (and the anchored chainscript) from. */
  readonly gateways?: readonly string[];
  /** A client of the Numbers chain, for the commits. */
  readonly numbers?: CommitChainReader;
  /** Clients of Base, for the anchor and the key; every one is asked (verifyAnchor's agreement rule). */
  readonly base?: readonly PublicClient[];
  /** The registry to read the key from when the artifact has no anchor; default: the project's deployment on that chain. */
  readonly registry?: Address;
  /** How long one gateway may take to answer one fetch; default 30 s. */
  readonly fetchTimeoutMs?: number;
}

/** Checks that cannot pass without an endpoint's answer: failing, they make the verdict incomplete. */
export const ONLINE_AVAILABILITY = new Set(["packets.available", "rpc.reachable"]);

export function onlineChecks(endpoints: ArtifactEndpoints) {
  const optional = (given: unknown) => ({ optional: given === undefined });
  return {
    available: new Check(
      "packets.available",
      "a gateway serves each packet, its bytes checked against the CID",
      optional(endpoints.gateways?.length ? true : undefined),
    ),
    reachable: new Check("rpc.reachable", "every RPC endpoint asked answered", { optional: true }),
    commits: new Check(
      "numbers.commits",
      "each mined commit's transaction emitted an ERC-7053 Commit of the packet's NID with its packet hash",
      optional(endpoints.numbers),
    ),
    anchor: new Check(
      "anchor.verified",
      "the Base anchor verifies (4-step protocol), is the named transaction and holds the job's packets",
      { optional: true },
    ),
    key: new Check(
      "key.registered",
      "the registry on Base holds the artifact's key for the tenant, valid when each packet was signed",
      optional(endpoints.base?.length ? true : undefined),
    ),
  };
}

async function checkGateways(
  artifact: JobArtifact,
  gateways: readonly string[],
  check: Check,
  fetchTimeoutMs: number | undefined,
) {
  await Promise.all(
    artifact.proof.packets.map(async (packet, i) => {
      try {
        await retrieve(packet.cid, {
          gateways,
          ...PACKET_CONTENT,
          ...(fetchTimeoutMs === undefined ? {} : { retry: { ...DEFAULT_RETRY, timeoutMs: fetchTimeoutMs } }),
        });
        check.pass();
      } catch (error) {
        if (!(error instanceof BaseError)) throw error;
        check.fail(`no gateway served it: ${describe(error)}`, i, `proof.packets[${i}].cid`);
      }
    }),
  );
}

async function checkCommits(artifact: JobArtifact, client: CommitChainReader, checks: ReturnType<typeof onlineChecks>) {
  for (const [i, packet] of artifact.proof.packets.entries()) {
    const { status, nid, txHash, blockNumber } = packet.numbers;
    const field = `proof.packets[${i}].numbers`;
    if (status !== "committed" || txHash === null) {
      checks.commits.skip();
      continue;
    }
    let commit: Awaited<ReturnType<typeof readCommit>>;
    try {
      commit = await readCommit(client, { txHash: txHash as Hex, assetCid: nid });
    } catch (error) {
      // A transaction the chain does not know is the artifact's fault, not the endpoint's.
      if (error instanceof Error && /not be found|not found/i.test(error.message)) {
        checks.commits.fail(`the Numbers chain has no transaction ${txHash}`, i, `${field}.txHash`);
        continue;
      }
      checks.reachable.fail(`the Numbers RPC: ${describe(error)}`);
      checks.commits.skip();
      continue;
    }
    if (!commit.found) {
      checks.commits.fail(commit.reason, i, `${field}.txHash`);
      continue;
    }
    if (String(commit.blockNumber) !== blockNumber) {
      checks.commits.fail(
        `the commit was mined in block ${commit.blockNumber}, not ${blockNumber}`,
        i,
        `${field}.blockNumber`,
      );
      continue;
    }
    // Our committers write packetHash into commitData; one that did not (an older Capture API commit) is not judged on it.
    const { packetHash } = commit.commitData;
    if (packetHash !== undefined && packetHash !== `0x${packet.packetHash}`) {
      checks.commits.fail(
        `the commit's commitData names packet hash ${packetHash}`,
        i,
        `proof.packets[${i}].packetHash`,
      );
      continue;
    }
    checks.reachable.pass();
    checks.commits.pass();
  }
}

async function checkAnchor(
  artifact: JobArtifact,
  clients: readonly PublicClient[],
  gateways: readonly string[],
  check: Check,
  notes: string[],
): Promise<bigint | undefined> {
  const anchor = artifact.proof.anchor;
  if (anchor === null) return undefined;
  if (gateways.length === 0) {
    notes.push("The Base anchor was not verified: it needs a gateway for the anchored chainscript.");
    check.skip();
    return undefined;
  }
  if (anchor.tenantId !== artifact.job.tenantId) {
    check.fail(`the anchor is tenant "${anchor.tenantId}"'s, not the job's`, undefined, "proof.anchor.tenantId");
    return undefined;
  }
  const report = await verifyAnchor(clients, {
    tenantId: anchor.tenantId,
    chainId: anchor.chainId,
    registry: anchor.registry as Address,
    gateways,
  });
  if (report.verdict !== "valid") {
    const first = report.firstFailure;
    check.fail(
      `the anchor is ${report.verdict}${first ? `: ${first.check}: ${first.message}` : ""}`,
      undefined,
      "proof.anchor",
    );
    return undefined;
  }
  const facts = report.anchor;
  const entries = new Set(report.chainscript?.entries.map((entry) => entry.packetCid));
  const missing = artifact.proof.packets.findIndex((packet) => !entries.has(packet.cid));
  if (facts?.transactionHash.toLowerCase() !== anchor.txHash)
    check.fail(`the anchor was made by ${facts?.transactionHash}`, undefined, "proof.anchor.txHash");
  else if (String(facts.blockNumber) !== anchor.blockNumber)
    check.fail(`the anchor is in block ${facts.blockNumber}`, undefined, "proof.anchor.blockNumber");
  else if (facts.ipfsCid !== anchor.chainscriptCid)
    check.fail(`the anchored chainscript is ${facts.ipfsCid}`, undefined, "proof.anchor.chainscriptCid");
  else if (missing >= 0)
    check.fail("the anchored chainscript has no entry for this packet", missing, `proof.packets[${missing}].cid`);
  else {
    check.pass();
    return facts.timestamp;
  }
  return undefined;
}

async function checkKey(
  artifact: JobArtifact,
  client: PublicClient,
  registry: Address | undefined,
  anchoredAt: bigint | undefined,
  checks: ReturnType<typeof onlineChecks>,
) {
  const { keyId, publicKey } = artifact.signature;
  const tenantId = artifact.job.tenantId;
  let record: Awaited<ReturnType<typeof readSigningKey>>;
  try {
    const address =
      (artifact.proof.anchor?.registry as Address | undefined) ??
      registry ??
      (await deployedAddress(await client.getChainId(), "ProcessAnchorRegistry"));
    record = await readSigningKey(client, { registry: address, tenantId, keyId });
  } catch (error) {
    checks.reachable.fail(`the Base RPC: ${describe(error)}`);
    checks.key.skip();
    return;
  }
  checks.reachable.pass();
  if (record === null)
    return checks.key.fail(`tenant "${tenantId}" has no key "${keyId}" in the registry`, undefined, "signature.keyId");
  if (record.publicKey.toLowerCase() !== `0x${publicKey}`)
    return checks.key.fail(
      `the registry's key "${keyId}" of tenant "${tenantId}" is another public key`,
      undefined,
      "signature.publicKey",
    );
  for (const [i, packet] of artifact.proof.packets.entries()) {
    const { timestamp } = decodePacket(fromBase64Url(packet.bytes) as Uint8Array).packet;
    // Unanchored, no anchor time bounds a revocation: any revocation effective before the packet counts.
    const rejected = keyRejection(record, BigInt(Math.floor(timestamp / 1000)), anchoredAt ?? 0n);
    if (rejected !== undefined) return checks.key.fail(`packet ${i}: ${rejected}`, i, "signature.keyId");
  }
  checks.key.pass();
}

/**
 * The online checks of an artifact that passed its offline ones, against the endpoints given;
 * `notes` gets the sentences a reader needs (what was not checked, and why).
 */
export async function checkArtifactOnline(
  artifact: JobArtifact,
  endpoints: ArtifactEndpoints,
  notes: string[],
): Promise<ReturnType<typeof onlineChecks>> {
  const checks = onlineChecks(endpoints);
  const gateways = endpoints.gateways ?? [];
  const base = endpoints.base ?? [];
  const work: Promise<unknown>[] = [];
  if (gateways.length > 0) work.push(checkGateways(artifact, gateways, checks.available, endpoints.fetchTimeoutMs));
  if (endpoints.numbers !== undefined) work.push(checkCommits(artifact, endpoints.numbers, checks));
  if (base.length > 0)
    work.push(
      checkAnchor(artifact, base, gateways, checks.anchor, notes).then((anchoredAt) =>
        checkKey(artifact, base[0] as PublicClient, endpoints.registry, anchoredAt, checks),
      ),
    );
  else if (artifact.proof.anchor !== null) notes.push("The Base anchor was not verified: give a Base RPC (--rpc).");
  await Promise.all(work);
  return checks;
}

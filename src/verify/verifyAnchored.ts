import type { Address, Hex } from "viem";
import { toOnchainId } from "../anchor/ids.ts";
import { type Chainscript, InvalidChainscriptError, parseChainscript } from "../chainscript/chainscript.ts";
import { Check, type CheckResult, summarize, type VerificationReport } from "../chainscript/report.ts";
import { verifyChainscript } from "../chainscript/verify.ts";
import { BaseError } from "../errors.ts";
import { InvalidCidError } from "../storage/errors.ts";
import type { FsBlockstore } from "../storage/fsBlockstore.ts";
import { DEFAULT_RETRY } from "../storage/http.ts";
import { CHAINSCRIPT_CONTENT, PACKET_CONTENT, type RetrieveParameters, retrieve } from "../storage/retrieve.ts";
import { registryKeyResolver } from "./keys.ts";
import { registryView, type ViewClient } from "./registryView.ts";

/** How content is fetched: gateways, cache, limits. */
export interface ContentParameters {
  /** Trustless gateways to fetch the chainscript and packets from. */
  readonly gateways: readonly string[];
  /** Verified blocks are cached here (Node only). */
  readonly cache?: FsBlockstore;
  /** Worker threads for signatures (Node only). */
  readonly threads?: number;
  /** Parallel packet fetches; default 16. */
  readonly concurrency?: number;
  /** How long one gateway may take to answer one fetch; default 30 s. */
  readonly fetchTimeoutMs?: number;
  /** Stops fetching when aborted: what was not fetched by then counts as unavailable (verdict `incomplete`). */
  readonly signal?: AbortSignal;
}

/** What the chain says about the anchor, as every RPC agreed. */
export interface AnchorFacts {
  readonly blockNumber: bigint;
  readonly transactionHash: Hex;
  readonly chainHash: Hex;
  readonly ipfsCid: string;
  /** Block time of the anchor, unix seconds. */
  readonly timestamp: bigint;
  /** The account whose EIP-712 signature (or call) authorised it, when the transaction input shows it. */
  readonly signer?: Address;
  /** The tenant's anchorCount as of the anchor's block. */
  readonly anchorCount?: bigint;
}

/** One `ProcessAnchored` log with its on-chain ids, and the signer its transaction's input names. */
export interface AnchoredLog extends Omit<AnchorFacts, "anchorCount"> {
  /** keccak256 of the tenant's string id, as logged. */
  readonly tenantId: Hex;
  /** keccak256 of the chainscript's UUID, as logged. */
  readonly chainId: Hex;
}

export interface VerifyAnchoredParameters extends ContentParameters {
  readonly registry: Address;
}

export interface AnchorVerificationReport extends VerificationReport {
  readonly anchor?: AnchorFacts;
  readonly chainscript?: Chainscript;
  /** The packets fetched and checked, by CID (for callers that look into them, like verify-asset or the indexer). */
  readonly packets?: ReadonlyMap<string, Uint8Array>;
}

/** Content or chain data that could not be obtained: the verdict is then `incomplete`, never `valid`. */
export const AVAILABILITY: ReadonlySet<string> = new Set([
  "rpc.reachable",
  "rpc.agreement",
  "chainscript.available",
  "packets.available",
]);

/** One line about a failure: the short message and, for the project's errors, its details (e.g. each gateway's outcome). */
export function describe(error: unknown): string {
  if (error instanceof BaseError)
    return error.details === undefined ? error.shortMessage : `${error.shortMessage} ${error.details}`;
  return error instanceof Error ? (error.message.split("\n")[0] ?? "") : String(error);
}

function retrieval(parameters: ContentParameters): RetrieveParameters {
  return {
    gateways: parameters.gateways,
    ...(parameters.cache ? { cache: parameters.cache } : {}),
    ...(parameters.fetchTimeoutMs === undefined
      ? {}
      : { retry: { ...DEFAULT_RETRY, timeoutMs: parameters.fetchTimeoutMs } }),
    ...(parameters.signal ? { signal: parameters.signal } : {}),
  };
}

async function fetchAll(cids: readonly string[], parameters: ContentParameters): Promise<Map<string, Uint8Array>> {
  const packets = new Map<string, Uint8Array>();
  // Raw sha2-256 CIDs of at most MAX_PACKET_BYTES only: any other packet CID is refused before a request.
  const options = { ...retrieval(parameters), ...PACKET_CONTENT };
  let next = 0;
  const worker = async () => {
    while (next < cids.length && !parameters.signal?.aborted) {
      const cid = cids[next++] as string;
      try {
        packets.set(cid, (await retrieve(cid, options)).bytes);
      } catch (error) {
        if (!(error instanceof BaseError)) throw error;
        // Unavailable: verifyChainscript reports it under packets.available.
      }
    }
  };
  await Promise.all(Array.from({ length: parameters.concurrency ?? 16 }, worker));
  return packets;
}

/** The checks of steps 2 and 3 that come before the chainscript's own, in the order they are reported. */
export function anchoredChecks() {
  return {
    // Optional: a call through another contract (a multisig) does not show the signer; the contract checked it anyway.
    signer: new Check("anchor.signer", "the authorising signer was allowed at the anchor and still is", {
      optional: true,
    }),
    available: new Check("chainscript.available", "a gateway served bytes matching the anchored CID"),
    binding: new Check("anchor.binding", "the chainscript's tenant, chain id and chainHash are the anchored ones"),
  };
}

/**
 * Steps 2 to 4 of the verification protocol for an anchor whose log is known
 * (step 1 is `verifyAnchor`'s, or the indexer's, which saw the log): the
 * authorising signer and anchorCount at the anchor's block, the chainscript by
 * its anchored CID, its binding to the log, every packet under the keys the
 * registry held at the anchor's block, the hash chain, signatures and lineage.
 * Returns the check results in protocol order, to be summarised with step 1's.
 */
export async function checkAnchored(
  client: ViewClient,
  log: AnchoredLog,
  parameters: VerifyAnchoredParameters,
): Promise<{ checks: CheckResult[]; extra: Omit<AnchorVerificationReport, keyof VerificationReport> }> {
  const checks = anchoredChecks();
  const results = (chainChecks: readonly CheckResult[] = []) => [
    ...Object.values(checks).map((c) => c.result()),
    ...chainChecks,
  ];
  const registry = registryView(client, parameters.registry);
  const { tenantId, chainId, signer } = log;

  // The chain reads and the chainscript fetch are independent: run them together.
  const reads = Promise.all([
    registry.anchorCount(tenantId, log.blockNumber),
    signer === undefined
      ? undefined
      : Promise.all([
          registry.isAnchorSigner(tenantId, signer, log.blockNumber),
          registry.isAnchorSigner(tenantId, signer),
        ]),
  ]);
  const fetched = retrieve(log.ipfsCid, { ...retrieval(parameters), ...CHAINSCRIPT_CONTENT }).then(
    ({ bytes }) => bytes,
    (error: unknown) => {
      if (!(error instanceof BaseError)) throw error;
      return error;
    },
  );
  fetched.catch(() => undefined); // a failure is handled where it is awaited, below
  const [anchorCount, allowed] = await reads;
  const { tenantId: _tenant, chainId: _chain, ...facts } = log;
  const anchor: AnchorFacts = { ...facts, anchorCount };
  if (signer === undefined || allowed === undefined) {
    checks.signer.skip();
  } else {
    const [then, now] = allowed;
    checks.signer.expect(
      then && now,
      then
        ? `signer ${signer} has since been removed by the tenant`
        : `signer ${signer} was not allowed at block ${log.blockNumber}`,
    );
  }

  // Step 2: the chainscript by its anchored CID.
  const bytes = await fetched;
  if (bytes instanceof InvalidCidError) {
    // No content can ever match it: the anchor itself is wrong, not the gateways.
    checks.available.skip();
    checks.binding.fail(`the anchored ipfsCid: ${bytes.shortMessage}`);
    return { checks: results(), extra: { anchor } };
  }
  if (bytes instanceof BaseError) {
    checks.available.fail(describe(bytes));
    return { checks: results(), extra: { anchor } };
  }
  checks.available.pass();
  let chainscript: Chainscript | undefined;
  try {
    chainscript = parseChainscript(bytes);
  } catch (error) {
    if (!(error instanceof InvalidChainscriptError)) throw error;
    // Reported by verifyChainscript as chainscript.format.
  }
  if (chainscript !== undefined) {
    const expected = [
      [
        toOnchainId(chainscript.tenantId) === tenantId,
        `the chainscript's tenant "${chainscript.tenantId}" is not the anchored tenant`,
      ],
      [
        toOnchainId(chainscript.chainId) === chainId,
        `the chainscript's chain id ${chainscript.chainId} is not the anchored one`,
      ],
      [
        `0x${chainscript.chainHash}` === log.chainHash,
        `the chainscript's chainHash 0x${chainscript.chainHash} is not the anchored ${log.chainHash}`,
      ],
    ] as const;
    const wrong = expected.find(([ok]) => !ok);
    checks.binding.expect(wrong === undefined, wrong?.[1] ?? "");
  } else {
    checks.binding.skip();
  }

  // Steps 3 and 4: packets, keys as registered at the anchor's block, hash chain, signatures, lineage.
  const packets = await fetchAll(chainscript?.entries.map((entry) => entry.packetCid) ?? [], parameters);
  const resolveKey = registryKeyResolver(registry, {
    tenantId,
    blockNumber: log.blockNumber,
    anchoredAt: log.timestamp,
  });
  const chainReport = await verifyChainscript({
    bytes,
    packets,
    resolveKey,
    cid: log.ipfsCid,
    ...(parameters.threads === undefined ? {} : { threads: parameters.threads }),
  });
  return {
    checks: results(chainReport.checks),
    extra: { anchor, packets, ...(chainReport.chainscript ? { chainscript: chainReport.chainscript } : {}) },
  };
}

/**
 * Verifies an anchor whose `ProcessAnchored` log the caller has already read
 * and trusts (an indexer that saw it, or `verifyAnchor` after every RPC
 * agreed). `client` reads the registry: at the anchor's block for the signer,
 * anchorCount and keys, and at its current block for "the signer is still
 * allowed", so inside a Ponder handler `context.client` gives a verdict as of
 * the block being indexed.
 *
 * @example
 * const report = await verifyAnchored(context.client, { tenantId, chainId, chainHash, ipfsCid, blockNumber, transactionHash, timestamp, signer }, { registry, gateways, fetchTimeoutMs: 3_000 });
 */
export async function verifyAnchored(
  client: ViewClient,
  log: AnchoredLog,
  parameters: VerifyAnchoredParameters,
): Promise<AnchorVerificationReport> {
  const { checks, extra } = await checkAnchored(client, log, parameters);
  return { ...summarize(checks, AVAILABILITY), ...extra };
}

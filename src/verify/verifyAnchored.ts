import type { Address, Hex } from "viem";
import { toOnchainId } from "../anchor/ids.ts";
import { type Chainscript, InvalidChainscriptError, parseChainscript } from "../chainscript/chainscript.ts";
import { Check, type CheckResult, summarize, type VerificationReport } from "../chainscript/report.ts";
import { verifyChainscript } from "../chainscript/verify.ts";
import { BaseError } from "../errors.ts";
import { InvalidCidError } from "../storage/errors.ts";
import type { FsBlockstore } from "../storage/fsBlockstore.ts";
import { DEFAULT_RETRY } from "../storage/http.ts";
import { MAX_RUN_PACKET_BYTES } from "../storage/limits.ts";
import { CHAINSCRIPT_CONTENT, PACKET_CONTENT, type RetrieveParameters, retrieve } from "../storage/retrieve.ts";
import { RpcDisagreementError, RpcUnreachableError } from "./agreement.ts";
import { describe } from "./describe.ts";
import { registryKeyResolver } from "./keys.ts";
import { type RegistryView, registryView, type ViewClient } from "./registryView.ts";
import { signerProblem } from "./signer.ts";

export { describe } from "./describe.ts";

/**
 * How long after its anchor's block time a packet or entry may be dated (5
 * minutes): the pipeline's clocks and the block producer's differ by seconds,
 * not minutes, so anything later was dated after the fact.
 */
export const CLOCK_SKEW_MS = 5 * 60_000;

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
  /** Most packet bytes to hold for one run; default MAX_RUN_PACKET_BYTES (256 MiB). */
  readonly packetBudgetBytes?: number;
  /** Stops fetching when aborted: what was not fetched by then counts as unavailable (verdict `incomplete`). */
  readonly signal?: AbortSignal;
  /** Told what is settled as it is: for a page or a terminal that shows the checks as they complete. */
  readonly onProgress?: (progress: VerifyProgress) => void;
}

/**
 * A verification's progress: a check once its outcome can no longer change (`anchor.log`, `anchor.signer`,
 * `chainscript.available`, `anchor.binding`; the hash chain's and signatures' checks come with the report,
 * as they are decided together), and packets fetched (or given up on) out of those the chainscript lists.
 * The RPC checks come with the report only: every later read can still find an endpoint failing.
 */
export type VerifyProgress =
  | { readonly kind: "check"; readonly check: CheckResult }
  | { readonly kind: "packets"; readonly done: number; readonly total: number };

/** Reports `check` as settled. */
export function settled(parameters: ContentParameters, check: Check): void {
  parameters.onProgress?.({ kind: "check", check: check.result() });
}

/** What the chain says about the anchor, as every RPC agreed. */
export interface AnchorFacts {
  readonly blockNumber: bigint;
  readonly transactionHash: Hex;
  readonly chainHash: Hex;
  readonly ipfsCid: string;
  /** Block time of the anchor, unix seconds. */
  readonly timestamp: bigint;
  /**
   * The account whose EIP-712 signature (or `anchorDirect` call) authorised it, as the registry's
   * AnchorAuthorised event of the anchor's block names it; absent when no such event exists, and then
   * `anchor.signer` fails.
   */
  readonly signer?: Address;
  /** The tenant's anchorCount as of the anchor's block. */
  readonly anchorCount?: bigint;
}

/** One `ProcessAnchored` log with its on-chain ids, and the signer its block's AnchorAuthorised event names. */
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
  let held = 0;
  let done = 0;
  const budget = parameters.packetBudgetBytes ?? MAX_RUN_PACKET_BYTES;
  const progress = () => parameters.onProgress?.({ kind: "packets", done, total: cids.length });
  const worker = async () => {
    // Past the run's budget nothing more is fetched: what is missing makes the verdict incomplete, never valid.
    while (next < cids.length && !parameters.signal?.aborted && held < budget) {
      const cid = cids[next++] as string;
      try {
        const { bytes } = await retrieve(cid, options);
        held += bytes.length;
        packets.set(cid, bytes);
      } catch (error) {
        if (!(error instanceof BaseError)) throw error;
        // Unavailable: verifyChainscript reports it under packets.available.
      }
      done += 1;
      // Every 16 packets and the last: a page redraws at that rate, not per packet.
      if (done % 16 === 0 || done === cids.length) progress();
    }
  };
  await Promise.all(Array.from({ length: parameters.concurrency ?? 16 }, worker));
  return packets;
}

/** The checks of steps 2 and 3 that come before the chainscript's own, in the order they are reported. */
export function anchoredChecks() {
  return {
    signer: new Check(
      "anchor.signer",
      "the registry's AnchorAuthorised event names the authorising signer, allowed at the anchor and still",
    ),
    available: new Check("chainscript.available", "a gateway served bytes matching the anchored CID"),
    binding: new Check("anchor.binding", "the chainscript's tenant, chain id and chainHash are the anchored ones"),
  };
}

/** The step-1 checks a multi-endpoint caller owns, into which checkAnchoredIn reports endpoint failures. */
export interface RpcChecks {
  readonly reachable: Check;
  readonly agreement: Check;
}

interface AnchoredResults {
  checks: CheckResult[];
  extra: Omit<AnchorVerificationReport, keyof VerificationReport>;
}

/**
 * Steps 2 to 4 of the verification protocol for an anchor whose log is known
 * (step 1 is `verifyAnchor`'s, or the indexer's, which saw the log), reading
 * the registry through `view`: the authorising signer (anchor.signer) and
 * anchorCount, the chainscript by its anchored CID, its binding to the log,
 * every packet under the key rule (keys.ts), dates against the anchor's block
 * time, the hash chain, signatures and lineage. With `rpc`, endpoints that
 * fail or disagree are reported there (verdict incomplete) instead of thrown.
 * Returns the check results in protocol order, to be summarised with step 1's.
 */
export async function checkAnchoredIn(
  view: RegistryView,
  log: AnchoredLog,
  parameters: VerifyAnchoredParameters,
  rpc?: RpcChecks,
): Promise<AnchoredResults> {
  const checks = anchoredChecks();
  const { tenantId: _tenant, chainId: _chain, ...facts } = log;
  // What is known without the registry, in case an endpoint fails before more is.
  let outcome: { chainChecks: readonly CheckResult[]; extra: AnchoredResults["extra"] } = {
    chainChecks: [],
    extra: { anchor: facts },
  };
  try {
    outcome = await runAnchored(view, log, parameters, checks);
  } catch (error) {
    if (rpc !== undefined && error instanceof RpcDisagreementError) rpc.agreement.fail(describe(error));
    else if (rpc !== undefined && error instanceof RpcUnreachableError) rpc.reachable.fail(describe(error));
    else throw error;
  }
  return { checks: [...Object.values(checks).map((c) => c.result()), ...outcome.chainChecks], extra: outcome.extra };
}

async function runAnchored(
  registry: RegistryView,
  log: AnchoredLog,
  parameters: VerifyAnchoredParameters,
  checks: ReturnType<typeof anchoredChecks>,
): Promise<{ chainChecks: readonly CheckResult[]; extra: AnchoredResults["extra"] }> {
  const { tenantId, chainId, signer } = log;
  const { tenantId: _tenant, chainId: _chain, ...facts } = log;

  // The chain reads and the chainscript fetch are independent: run them together.
  const reads = Promise.all([
    registry.anchorCount(tenantId, log.blockNumber),
    signerProblem(registry, { tenantId, signer, blockNumber: log.blockNumber }),
  ]);
  const fetched = retrieve(log.ipfsCid, { ...retrieval(parameters), ...CHAINSCRIPT_CONTENT }).then(
    ({ bytes }) => bytes,
    (error: unknown) => {
      if (!(error instanceof BaseError)) throw error;
      return error;
    },
  );
  fetched.catch(() => undefined); // a failure is handled where it is awaited, below
  const [anchorCount, problem] = await reads;
  const anchor: AnchorFacts = { ...facts, anchorCount };
  checks.signer.expect(problem === undefined, problem ?? "");
  settled(parameters, checks.signer);

  // Step 2: the chainscript by its anchored CID.
  const bytes = await fetched;
  if (bytes instanceof InvalidCidError) {
    // No content can ever match it: the anchor itself is wrong, not the gateways.
    checks.available.skip();
    checks.binding.fail(`the anchored ipfsCid: ${bytes.shortMessage}`);
    return { chainChecks: [], extra: { anchor } };
  }
  if (bytes instanceof BaseError) {
    checks.available.fail(describe(bytes));
    settled(parameters, checks.available);
    return { chainChecks: [], extra: { anchor } };
  }
  checks.available.pass();
  settled(parameters, checks.available);
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
  settled(parameters, checks.binding);

  // Steps 3 and 4: packets, keys (registered at the anchor's block, valid now), dates, hash chain, signatures, lineage.
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
    notAfter: Number(log.timestamp) * 1000 + CLOCK_SKEW_MS,
    ...(parameters.threads === undefined ? {} : { threads: parameters.threads }),
  });
  return {
    chainChecks: chainReport.checks,
    extra: { anchor, packets, ...(chainReport.chainscript ? { chainscript: chainReport.chainscript } : {}) },
  };
}

/**
 * checkAnchoredIn with the registry as one `client` reads it (a public client,
 * or Ponder's `context.client`); its failures are thrown, as `RegistryError`.
 */
export async function checkAnchored(
  client: ViewClient,
  log: AnchoredLog,
  parameters: VerifyAnchoredParameters,
): Promise<AnchoredResults> {
  return checkAnchoredIn(registryView(client, parameters.registry), log, parameters);
}

/**
 * Verifies an anchor whose `ProcessAnchored` log (and AnchorAuthorised signer)
 * the caller has already read and trusts (an indexer that saw them). `client`
 * reads the registry: at the anchor's block for the signer, anchorCount and
 * "the key was registered", and at its current block for "the signer is still
 * allowed" and the key's current record, so inside a Ponder handler
 * `context.client` gives a verdict as of the block being indexed.
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

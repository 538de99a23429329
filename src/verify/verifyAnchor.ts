import { type Address, decodeFunctionData, type Hex, type PublicClient } from "viem";
import { processAnchorRegistryAbi } from "../anchor/abi.ts";
import { anchorSignerFromInput } from "../anchor/calls.ts";
import { toOnchainId } from "../anchor/ids.ts";
import { type AnchorLog, readAnchorLogs } from "../anchor/registryReads.ts";
import { type Chainscript, InvalidChainscriptError, parseChainscript } from "../chainscript/chainscript.ts";
import { Check, type CheckResult, summarize, type VerificationReport } from "../chainscript/report.ts";
import { verifyChainscript } from "../chainscript/verify.ts";
import { BaseError } from "../errors.ts";
import type { FsBlockstore } from "../storage/fsBlockstore.ts";
import { retrieve } from "../storage/retrieve.ts";
import { registryKeyResolver } from "./keys.ts";

export interface VerifyAnchorParameters {
  /** The tenant's string id (its on-chain id is keccak256 of it). */
  readonly tenantId: string;
  /** The chainscript's UUID. */
  readonly chainId: string;
  readonly registry: Address;
  /** Trustless gateways to fetch the chainscript and packets from. */
  readonly gateways: readonly string[];
  /** Verified blocks are cached here (Node only). */
  readonly cache?: FsBlockstore;
  /** Worker threads for signatures (Node only). */
  readonly threads?: number;
  /** Parallel packet fetches; default 16. */
  readonly concurrency?: number;
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

export interface AnchorVerificationReport extends VerificationReport {
  readonly anchor?: AnchorFacts;
  readonly chainscript?: Chainscript;
  /** The packets fetched and checked, by CID (for callers that look into them, like verify-asset). */
  readonly packets?: ReadonlyMap<string, Uint8Array>;
}

/** Content or chain data that could not be obtained: the verdict is then `incomplete`, never `valid`. */
const AVAILABILITY = new Set(["rpc.reachable", "rpc.agreement", "chainscript.available", "packets.available"]);

/** One line about a failure: the short message and, for the project's errors, its details (e.g. each gateway's outcome). */
function describe(error: unknown): string {
  if (error instanceof BaseError)
    return error.details === undefined ? error.shortMessage : `${error.shortMessage} ${error.details}`;
  return error instanceof Error ? (error.message.split("\n")[0] ?? "") : String(error);
}

/** The signer named in the anchoring call's input (anchor, anchorBatch or anchorDirect), if the call was direct. */
async function authorisingSigner(client: PublicClient, hash: Hex, chainId: Hex): Promise<Address | undefined> {
  const transaction = await client.getTransaction({ hash });
  return anchorSignerFromInput(transaction.input, chainId);
}

async function fetchAll(cids: readonly string[], parameters: VerifyAnchorParameters): Promise<Map<string, Uint8Array>> {
  const packets = new Map<string, Uint8Array>();
  let next = 0;
  const worker = async () => {
    while (next < cids.length) {
      const cid = cids[next++] as string;
      try {
        const { bytes } = await retrieve(cid, {
          gateways: parameters.gateways,
          ...(parameters.cache ? { cache: parameters.cache } : {}),
        });
        packets.set(cid, bytes);
      } catch (error) {
        if (!(error instanceof BaseError)) throw error;
        // Unavailable: verifyChainscript reports it under packets.available.
      }
    }
  };
  await Promise.all(Array.from({ length: parameters.concurrency ?? 16 }, worker));
  return packets;
}

/**
 * The 4-step verification protocol (DESIGN.md) with no data from the operator:
 * (1) the anchor's log from every RPC, which must agree; (2) the chainscript by
 * its anchored CID from gateways, its chainHash against the log's; (3) every
 * packet by CID, its signature under the tenant key the registry held at the
 * anchor's block; (4) the hash chain, entry and chain signatures and lineage.
 *
 * @example
 * const report = await verifyAnchor([client], { tenantId, chainId, registry, gateways });
 */
export async function verifyAnchor(
  clients: readonly PublicClient[],
  parameters: VerifyAnchorParameters,
): Promise<AnchorVerificationReport> {
  const checks = {
    reachable: new Check("rpc.reachable", "every RPC endpoint answered"),
    agreement: new Check("rpc.agreement", "every RPC endpoint reports the same anchor"),
    log: new Check("anchor.log", "the registry emitted ProcessAnchored for this tenant and chain"),
    // Optional: a call through another contract (a multisig) does not show the signer; the contract checked it anyway.
    signer: new Check("anchor.signer", "the authorising signer was allowed at the anchor and still is", {
      optional: true,
    }),
    available: new Check("chainscript.available", "a gateway served bytes matching the anchored CID"),
    binding: new Check("anchor.binding", "the chainscript's tenant, chain id and chainHash are the anchored ones"),
  };
  const done = (chainChecks: readonly CheckResult[] = [], extra: Partial<AnchorVerificationReport> = {}) => ({
    ...summarize([...Object.values(checks).map((c) => c.result()), ...chainChecks], AVAILABILITY),
    ...extra,
  });
  const tenantId = toOnchainId(parameters.tenantId);
  const chainId = toOnchainId(parameters.chainId);

  // Step 1: the log, from every RPC.
  const answers = await Promise.all(
    clients.map((client) =>
      readAnchorLogs(client, { registry: parameters.registry, tenantId, chainId }).catch(
        (error: unknown) => error as Error,
      ),
    ),
  );
  const reached = answers.filter((answer) => !(answer instanceof Error));
  answers.forEach((answer, i) => {
    checks.reachable.expect(!(answer instanceof Error), `RPC ${i + 1}: ${describe(answer)}`);
  });
  if (reached.length === 0) return done();
  const serialized = reached.map((answer) =>
    JSON.stringify(answer ?? null, (_, v) => (typeof v === "bigint" ? v.toString() : v)),
  );
  if (
    !checks.agreement.expect(
      new Set(serialized).size === 1,
      `the RPC endpoints disagree about the anchor: ${[...new Set(serialized)].join(" vs ")}`,
    )
  ) {
    return done();
  }
  const logs = reached[0] as AnchorLog[];
  if (
    !checks.log.expect(
      logs.length === 1,
      logs.length === 0
        ? `${parameters.chainId} was never anchored for tenant ${parameters.tenantId}`
        : `${logs.length} ProcessAnchored logs instead of one`,
    )
  ) {
    return done();
  }
  const log = logs[0] as AnchorLog;
  const client = clients[answers.findIndex((answer) => !(answer instanceof Error))] as PublicClient;
  const signer = await authorisingSigner(client, log.transactionHash, chainId);
  const anchorCount = await client.readContract({
    address: parameters.registry,
    abi: processAnchorRegistryAbi,
    functionName: "anchorCount",
    args: [tenantId],
    blockNumber: log.blockNumber,
  });
  const anchor: AnchorFacts = { ...log, anchorCount, ...(signer ? { signer } : {}) };
  if (signer === undefined) {
    checks.signer.skip();
  } else {
    const allowed = (blockNumber?: bigint) =>
      client.readContract({
        address: parameters.registry,
        abi: processAnchorRegistryAbi,
        functionName: "isAnchorSigner",
        args: [tenantId, signer],
        ...(blockNumber === undefined ? {} : { blockNumber }),
      });
    const [then, now] = await Promise.all([allowed(log.blockNumber), allowed()]);
    checks.signer.expect(
      then && now,
      then
        ? `signer ${signer} has since been removed by the tenant`
        : `signer ${signer} was not allowed at block ${log.blockNumber}`,
    );
  }

  // Step 2: the chainscript by its anchored CID.
  let bytes: Uint8Array;
  try {
    bytes = (
      await retrieve(log.ipfsCid, {
        gateways: parameters.gateways,
        ...(parameters.cache ? { cache: parameters.cache } : {}),
      })
    ).bytes;
    checks.available.pass();
  } catch (error) {
    if (!(error instanceof BaseError)) throw error;
    checks.available.fail(describe(error));
    return done([], { anchor });
  }
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
  const resolveKey = registryKeyResolver(client, {
    registry: parameters.registry,
    tenantId: parameters.tenantId,
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
  return done(chainReport.checks, {
    anchor,
    packets,
    ...(chainReport.chainscript ? { chainscript: chainReport.chainscript } : {}),
  });
}

import type { Address, Hex, PublicClient } from "viem";
import { toOnchainId } from "../anchor/ids.ts";
import type { AnchorLog } from "../anchor/registryReads.ts";
import { Check, summarize } from "../chainscript/report.ts";
import { agreeingView, askAll, pinnedBlock, RpcDisagreementError, RpcUnreachableError, rpcNames } from "./agreement.ts";
import { type AnchorRecord, readAnchorRecord } from "./anchorRecord.ts";
import { describe } from "./describe.ts";
import { registryView } from "./registryView.ts";
import {
  type AnchorVerificationReport,
  AVAILABILITY,
  anchoredChecks,
  type ContentParameters,
  checkAnchoredIn,
  settled,
} from "./verifyAnchored.ts";

export type { AnchorFacts, AnchorVerificationReport, VerifyProgress } from "./verifyAnchored.ts";

export interface VerifyAnchorParameters extends ContentParameters {
  /** The tenant's string id (its on-chain id is keccak256 of it). */
  readonly tenantId: string;
  /** The chainscript's UUID. */
  readonly chainId: string;
  readonly registry: Address;
}

/** An endpoint that answered with its latest block, named as the user numbered it. */
interface LiveEndpoint {
  readonly client: PublicClient;
  readonly head: bigint;
  readonly name: string;
}

/**
 * Step 1 as every live endpoint agrees: the block "now" is read at (see
 * pinnedBlock), and as of it the anchor's block, log and AnchorAuthorised signer.
 */
async function readAgreedAnchor(
  live: readonly LiveEndpoint[],
  ids: {
    readonly registry: Address;
    readonly tenantId: Hex;
    readonly chainId: Hex;
    /** The string ids, for sentences. */
    readonly names: { readonly tenant: string; readonly chain: string };
  },
): Promise<{ current: bigint; record: AnchorRecord }> {
  const names = live.map(({ name }) => name);
  const current = pinnedBlock(
    live.map(({ head }) => head),
    names,
  );
  const record = await askAll(
    `the anchor of tenant ${ids.names.tenant}, chain ${ids.names.chain} as of block ${current}`,
    live.map(
      ({ client }) =>
        () =>
          readAnchorRecord(client, { ...ids, blockNumber: current }),
    ),
    names,
  );
  return { current, record };
}

/**
 * The one ProcessAnchored log of the record and the signer its AnchorAuthorised
 * event names (undefined without one: anchor.signer then fails), or why there
 * is no such anchor (`never`: the sentence for no log at all).
 */
function theAnchor(record: AnchorRecord, never: string): { log: AnchorLog; signer: Address | undefined } | string {
  const [log, ...more] = record.logs;
  if (log === undefined) return never;
  if (more.length > 0) return `${record.logs.length} ProcessAnchored logs instead of one`;
  if (record.signers.length > 1)
    return `${record.signers.length} AnchorAuthorised events for one anchor instead of one`;
  return { log, signer: record.signers[0] };
}

/**
 * The 4-step verification protocol (DESIGN.md) with no data from the operator:
 * (1) the anchor's block, its ProcessAnchored log and the AnchorAuthorised
 * event naming its signer; (2) the chainscript by its anchored CID from
 * gateways, its chainHash against the log's; (3) every packet by CID, its
 * signature under a tenant key registered at the anchor's block and, by its
 * current record, valid at the packet's time; (4) the hash chain, entry and
 * chain signatures and lineage. Every read the verdict depends on is asked of
 * every client, "now" at one pinned block (agreement.ts); a disagreement makes
 * the verdict incomplete (`rpc.agreement`). Steps 2 to 4 are
 * `checkAnchoredIn`'s, which an indexer runs (as verifyAnchored) with a log it saw.
 *
 * @example
 * const report = await verifyAnchor([client], { tenantId, chainId, registry, gateways });
 */
export async function verifyAnchor(
  clients: readonly PublicClient[],
  parameters: VerifyAnchorParameters,
): Promise<AnchorVerificationReport> {
  const rpc = {
    reachable: new Check("rpc.reachable", "every RPC endpoint answered"),
    agreement: new Check("rpc.agreement", "every RPC endpoint gives the same answer to every read the verdict uses"),
  };
  const logCheck = new Check("anchor.log", "the registry emitted ProcessAnchored for this tenant and chain");
  const stepOne = () => [rpc.reachable.result(), rpc.agreement.result(), logCheck.result()];
  // Until the log is known, steps 2 to 4 cannot start: their checks are reported as skipped.
  const stopped = () =>
    summarize([...stepOne(), ...Object.values(anchoredChecks()).map((c) => c.result())], AVAILABILITY);
  const tenantId = toOnchainId(parameters.tenantId);
  const chainId = toOnchainId(parameters.chainId);

  const heads = await Promise.all(
    clients.map((client) => client.getBlockNumber({ cacheTime: 0 }).catch((error: unknown) => error as Error)),
  );
  const names = rpcNames(clients.length);
  // The endpoints that answered, with their names as the user numbered them.
  const live: LiveEndpoint[] = [];
  heads.forEach((head, i) => {
    if (rpc.reachable.expect(typeof head === "bigint", `${names[i]}: ${describe(head)}`)) {
      live.push({ client: clients[i] as PublicClient, head: head as bigint, name: names[i] as string });
    }
  });
  if (live.length === 0) return stopped();

  let step: { current: bigint; record: AnchorRecord };
  try {
    step = await readAgreedAnchor(live, {
      registry: parameters.registry,
      tenantId,
      chainId,
      names: { tenant: parameters.tenantId, chain: parameters.chainId },
    });
    rpc.agreement.pass();
  } catch (error) {
    if (error instanceof RpcDisagreementError) rpc.agreement.fail(describe(error));
    else if (error instanceof RpcUnreachableError) rpc.reachable.fail(describe(error));
    else throw error;
    return stopped();
  }
  const { current, record } = step;
  const found = theAnchor(
    record,
    `${parameters.chainId} was never anchored for tenant ${parameters.tenantId} (as of block ${current})`,
  );
  if (typeof found === "string") {
    logCheck.fail(found);
    return stopped();
  }
  logCheck.pass();
  settled(parameters, logCheck);
  const { log, signer } = found;

  const view = agreeingView(
    live.map(({ client }) => registryView(client, parameters.registry)),
    current,
    live.map(({ name }) => name),
  );
  const anchored = await checkAnchoredIn(
    view,
    { ...log, tenantId, chainId, ...(signer === undefined ? {} : { signer }) },
    parameters,
    rpc,
  );
  return { ...summarize([...stepOne(), ...anchored.checks], AVAILABILITY), ...anchored.extra };
}

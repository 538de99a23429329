import type { Address, Hex, PublicClient } from "viem";
import { anchorSignerFromInput } from "../anchor/calls.ts";
import { toOnchainId } from "../anchor/ids.ts";
import { type AnchorLog, readAnchorLogs } from "../anchor/registryReads.ts";
import { Check, summarize } from "../chainscript/report.ts";
import {
  type AnchorVerificationReport,
  AVAILABILITY,
  anchoredChecks,
  type ContentParameters,
  checkAnchored,
  describe,
} from "./verifyAnchored.ts";

export type { AnchorFacts, AnchorVerificationReport } from "./verifyAnchored.ts";

export interface VerifyAnchorParameters extends ContentParameters {
  /** The tenant's string id (its on-chain id is keccak256 of it). */
  readonly tenantId: string;
  /** The chainscript's UUID. */
  readonly chainId: string;
  readonly registry: Address;
}

/** The signer named in the anchoring call's input (anchor, anchorBatch or anchorDirect), if the call was direct. */
async function authorisingSigner(client: PublicClient, hash: Hex, chainId: Hex): Promise<Address | undefined> {
  const transaction = await client.getTransaction({ hash });
  return anchorSignerFromInput(transaction.input, chainId);
}

/**
 * The 4-step verification protocol (DESIGN.md) with no data from the operator:
 * (1) the anchor's log from every RPC, which must agree; (2) the chainscript by
 * its anchored CID from gateways, its chainHash against the log's; (3) every
 * packet by CID, its signature under the tenant key the registry held at the
 * anchor's block; (4) the hash chain, entry and chain signatures and lineage.
 * Steps 2 to 4 are `verifyAnchored`'s, which an indexer calls with a log it saw.
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
  };
  const stepOne = () => Object.values(checks).map((c) => c.result());
  const tenantId = toOnchainId(parameters.tenantId);
  const chainId = toOnchainId(parameters.chainId);

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
  // Until the log is known, steps 2 to 4 cannot start: their checks are reported as skipped.
  const stopped = () =>
    summarize([...stepOne(), ...Object.values(anchoredChecks()).map((c) => c.result())], AVAILABILITY);
  if (reached.length === 0) return stopped();
  const serialized = reached.map((answer) =>
    JSON.stringify(answer ?? null, (_, v) => (typeof v === "bigint" ? v.toString() : v)),
  );
  if (
    !checks.agreement.expect(
      new Set(serialized).size === 1,
      `the RPC endpoints disagree about the anchor: ${[...new Set(serialized)].join(" vs ")}`,
    )
  ) {
    return stopped();
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
    return stopped();
  }
  const log = logs[0] as AnchorLog;
  const client = clients[answers.findIndex((answer) => !(answer instanceof Error))] as PublicClient;
  const signer = await authorisingSigner(client, log.transactionHash, chainId);
  const anchored = await checkAnchored(
    client,
    { ...log, tenantId, chainId, ...(signer ? { signer } : {}) },
    parameters,
  );
  return { ...summarize([...stepOne(), ...anchored.checks], AVAILABILITY), ...anchored.extra };
}

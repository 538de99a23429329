import { rename, writeFile } from "node:fs/promises";
import { basename } from "node:path";
import type { Address, Hex } from "viem";
import type { MinedAnchor } from "./chainReads.ts";
import type { RunRecord } from "./state.ts";

/** What `pop anchor` writes next to a manifest once its chain is anchored with the confirmations asked for. */
export interface AnchorReceipt {
  readonly version: 1;
  readonly manifest: { readonly file: string; readonly sha256: string };
  /** The EVM chain and the registry the anchor is in. */
  readonly network: { readonly chainId: number; readonly registry: Address };
  readonly tenantId: string;
  readonly processId: string;
  /** The chainscript's UUID: with tenantId, what `pop verify` takes. */
  readonly chainId: string;
  readonly chainscriptCid: string;
  readonly chainHash: Hex;
  readonly packetCids: readonly string[];
  readonly anchor: { readonly signer: Address; readonly recipient: Address; readonly amount: string };
  readonly transaction: {
    readonly hash: Hex;
    readonly blockNumber: string;
    readonly gasUsed: string;
    /** Wei, L1 data fee included on OP Stack chains. */
    readonly fee: string;
    readonly sender: Address;
    /** How many chains the transaction anchored (anchorBatch when more than one). */
    readonly anchors: number;
    /**
     * `sent`: a transaction `pop anchor` signed and sent for this run. `found`: the anchor was already in the
     * registry, put there by a transaction sent by someone else (`sender`), typically a relayer that submitted
     * the signed anchor first; the chain holds exactly the chainHash and CID above either way.
     */
    readonly origin: ReceiptOrigin;
  };
}

export type ReceiptOrigin = "sent" | "found";

/** `run.jsonl` → `run.receipt.json`, beside it. */
export function receiptPathFor(manifestPath: string): string {
  return `${manifestPath.replace(/\.jsonl?$/i, "")}.receipt.json`;
}

export function buildReceipt(
  run: RunRecord,
  packetCids: readonly string[],
  transaction: MinedAnchor & { sender: Address; anchors: number; origin: ReceiptOrigin },
): AnchorReceipt {
  const anchor = run.anchor as NonNullable<RunRecord["anchor"]>;
  return {
    version: 1,
    manifest: { file: basename(run.manifestPath), sha256: run.manifestSha256 },
    network: { chainId: run.evmChainId, registry: run.registry },
    tenantId: run.tenantId,
    processId: run.processId,
    chainId: run.chainId,
    chainscriptCid: run.chainscriptCid as string,
    chainHash: run.chainHash as Hex,
    packetCids,
    anchor: { signer: anchor.signer, recipient: anchor.recipient, amount: anchor.amount.toString() },
    transaction: {
      hash: transaction.txHash,
      blockNumber: transaction.blockNumber.toString(),
      gasUsed: transaction.gasUsed.toString(),
      fee: transaction.fee.toString(),
      sender: transaction.sender,
      anchors: transaction.anchors,
      origin: transaction.origin,
    },
  };
}

/**
 * Writes the receipt whole or not at all (temporary file, then rename): a crash never leaves half a receipt,
 * and the next run replaces a temporary file a crash left behind.
 */
export async function writeReceipt(path: string, receipt: AnchorReceipt): Promise<void> {
  const temporary = `${path}.tmp`;
  await writeFile(temporary, `${JSON.stringify(receipt, null, 2)}\n`);
  await rename(temporary, path);
}

/**
 * A third party on the local chain: anyone may call `anchor()`, so anyone who
 * sees a signed anchor (in the mempool, in a leaked log) can relay it first.
 * Helpers for landed.test.ts and landedBatch.test.ts; no tests of its own.
 */
import { randomBytes } from "node:crypto";
import { createWalletClient, type Hex, http, type TransactionReceipt } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { DEV_KEYS } from "../../../../scripts/demo/accounts.ts";
import { processAnchorRegistryAbi } from "../../../../src/anchor/abi.ts";
import { type AnchorMessage, anchorTypedData } from "../../../../src/anchor/eip712.ts";
import { toOnchainId } from "../../../../src/anchor/ids.ts";
import {
  type RunRecord,
  readRun,
  readSubmission,
  type SubmissionRecord,
} from "../../../../src/anchor/pipeline/state.ts";
import type { Database } from "../../../../src/db/database.ts";
import { accounts, clients } from "../../../helpers/anchorRun.ts";
import type { LocalChain } from "../../../helpers/localChain.ts";

/** Dev account 4: neither the tenant's signer nor the pipeline's relayer. */
export const thirdParty = privateKeyToAccount(DEV_KEYS[4] as Hex);

export function thirdPartyWallet(chain: LocalChain) {
  return createWalletClient({ account: thirdParty, chain: chain.chain, transport: http(chain.url) });
}

/** The run the pipeline recorded for `manifest`. */
export async function recordedRun(db: Database, manifest: string): Promise<RunRecord> {
  const [row] = await db.query<{ run_key: string }>("select run_key from pop_anchor_run where manifest_path = $1", [
    manifest,
  ]);
  if (row === undefined) throw new Error(`no run is recorded for ${manifest}`);
  return readRun(db, row.run_key);
}

/** Every submission recorded, oldest first. */
export async function submissions(db: Database): Promise<SubmissionRecord[]> {
  const rows = await db.query<{ id: string }>("select id::text as id from pop_anchor_submission order by id");
  return Promise.all(rows.map((row) => readSubmission(db, row.id)));
}

async function mined(chain: LocalChain, hash: Hex): Promise<TransactionReceipt> {
  const receipt = await clients(chain).publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success") throw new Error(`the third party's transaction ${hash} reverted`);
  return receipt;
}

/** The third party submits the runs' recorded signed anchors: `anchor` for one, `anchorBatch` for several. */
export async function relay(chain: LocalChain, runs: readonly RunRecord[]): Promise<TransactionReceipt> {
  const anchors = runs.map((run) => {
    if (run.anchor === undefined || run.signature === undefined) throw new Error(`run ${run.chainId} is not signed`);
    return { anchor: run.anchor, signature: run.signature };
  });
  const wallet = thirdPartyWallet(chain);
  const [only] = anchors;
  const hash =
    anchors.length === 1 && only !== undefined
      ? await wallet.writeContract({
          chain: chain.chain,
          address: chain.registry,
          abi: processAnchorRegistryAbi,
          functionName: "anchor",
          args: [only.anchor, only.signature],
        })
      : await wallet.writeContract({
          chain: chain.chain,
          address: chain.registry,
          abi: processAnchorRegistryAbi,
          functionName: "anchorBatch",
          args: [anchors.map((a) => a.anchor), anchors.map((a) => a.signature)],
        });
  return mined(chain, hash);
}

/**
 * Anchors `chainId` of `tenant` with content of its own (a random chainHash and another CID), signed by the
 * tenant's anchor signer: what another process using the same chain id would leave in the registry.
 */
export async function anchorOtherContent(chain: LocalChain, tenant: string, chainId: string) {
  const anchor: AnchorMessage = {
    tenantId: toOnchainId(tenant),
    chainId: toOnchainId(chainId),
    chainHash: `0x${randomBytes(32).toString("hex")}`,
    ipfsCid: "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy",
    signer: accounts.signer.address,
    recipient: "0x0000000000000000000000000000000000000000",
    amount: 0n,
    deadline: 2n ** 40n,
  };
  const signature = await accounts.signer.signTypedData(
    anchorTypedData({ chainId: chain.chain.id, verifyingContract: chain.registry }, anchor),
  );
  const receipt = await mined(
    chain,
    await thirdPartyWallet(chain).writeContract({
      chain: chain.chain,
      address: chain.registry,
      abi: processAnchorRegistryAbi,
      functionName: "anchor",
      args: [anchor, signature],
    }),
  );
  return { receipt, chainHash: anchor.chainHash, ipfsCid: anchor.ipfsCid };
}

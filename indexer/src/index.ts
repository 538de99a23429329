/**
 * Event handlers: the registry's tenant, signer, key, anchor and ERC-1155
 * events on Base, and ERC-7053 commits on Numbers. Each writes Ponder's
 * tables only. An anchor is verified as it is indexed (verification.ts) and
 * written with its status; content no gateway serves leaves it `unresolved`,
 * and a registry change that may alter a verdict sends it back to `pending`
 * (reverify.ts), both verified again on the VerificationRetry beat.
 */
import { type Context, ponder } from "ponder:registry";
import {
  anchor,
  anchorAuthorisation,
  anchorKey,
  anchorSigner,
  certificateBalance,
  certificateTransfer,
  commit,
  entry,
  signingKey,
  tenant,
} from "ponder:schema";
import { and, asc, eq, or, sql } from "ponder";
import { type Hex, zeroAddress } from "viem";
import { certificateId } from "../../src/anchor/certificate.ts";
import { assetCidFromCommitInput, parseCommitData } from "../../src/numbers/commitInput.ts";
import { authorisedSigner } from "./authorisedSigner.ts";
import { indexerNetwork } from "./network.ts";
import { reverifyKeyAnchors, reverifySignerAnchors } from "./reverify.ts";
import { blockScopedReads, verificationOutcome, verificationSettings, verifyIndexedAnchor } from "./verification.ts";

const network = indexerNetwork();
const settings = verificationSettings();
/** Registry reads remembered while one block is indexed: a batch's anchors all read the same ones. */
const registryReads = blockScopedReads();

ponder.on("ProcessAnchorRegistry:TenantRegistered", async ({ event, context }) => {
  await context.db.insert(tenant).values({
    id: event.args.tenantId,
    admin: event.args.admin,
    registeredBlock: event.block.number,
    anchorCount: 0,
  });
});

ponder.on("ProcessAnchorRegistry:TenantAdminTransferStarted", async ({ event, context }) => {
  await context.db.update(tenant, { id: event.args.tenantId }).set({
    pendingAdmin: event.args.pendingAdmin === zeroAddress ? null : event.args.pendingAdmin,
  });
});

ponder.on("ProcessAnchorRegistry:TenantAdminTransferred", async ({ event, context }) => {
  await context.db.update(tenant, { id: event.args.tenantId }).set({ admin: event.args.newAdmin, pendingAdmin: null });
});

ponder.on("ProcessAnchorRegistry:AnchorSignerSet", async ({ event, context }) => {
  const { tenantId, signer, allowed } = event.args;
  await context.db
    .insert(anchorSigner)
    .values({ tenantId, signer, allowed, updatedBlock: event.block.number })
    .onConflictDoUpdate({ allowed, updatedBlock: event.block.number });
  await reverifySignerAnchors(context.db, tenantId, signer);
});

ponder.on("ProcessAnchorRegistry:SigningKeyRegistered", async ({ event, context }) => {
  const { tenantId, keyId, publicKey, validFrom, validUntil } = event.args;
  await context.db.insert(signingKey).values({
    tenantId,
    keyId,
    publicKey,
    validFrom,
    validUntil,
    registeredBlock: event.block.number,
  });
});

ponder.on("ProcessAnchorRegistry:SigningKeyRevoked", async ({ event, context }) => {
  const { tenantId, keyId, revokedAt } = event.args;
  await context.db.update(signingKey, { tenantId, keyId }).set({ revokedAt });
  await reverifyKeyAnchors(context.db, tenantId, keyId);
});

// Logged just before the ProcessAnchored it authorises, so stored for that handler to read.
ponder.on("ProcessAnchorRegistry:AnchorAuthorised", async ({ event, context }) => {
  const { tenantId, chainId, signer } = event.args;
  await context.db.insert(anchorAuthorisation).values({
    tenantId,
    chainId,
    signer,
    blockNumber: event.block.number,
    transactionHash: event.transaction.hash,
    logIndex: event.log.logIndex,
  });
});

ponder.on("ProcessAnchorRegistry:ProcessAnchored", async ({ event, context }) => {
  const { tenantId, chainId, chainHash, ipfsCid, timestamp } = event.args;
  const owner = await context.db.update(tenant, { id: tenantId }).set((row) => ({ anchorCount: row.anchorCount + 1 }));
  const id = `${tenantId}-${chainId}`;
  const authorisation = await context.db.find(anchorAuthorisation, { tenantId, chainId });
  const indexed = {
    tenantId,
    chainId,
    chainHash,
    ipfsCid,
    timestamp,
    blockNumber: event.block.number,
    transactionHash: event.transaction.hash,
    signer: authorisedSigner(authorisation, event),
  };
  // Verified before the row is written, so the row is written once; content no gateway serves leaves it unresolved.
  const report = await verifyIndexedAnchor(
    registryReads(context.client, event.block.hash),
    indexed,
    event.log.address,
    settings,
  );
  const outcome = verificationOutcome(id, indexed, report);
  await context.db.insert(anchor).values({
    id,
    ...indexed,
    logIndex: event.log.logIndex,
    submitter: event.transaction.from,
    certificateId: certificateId(tenantId, chainId),
    sequence: owner.anchorCount,
    ...outcome.anchor,
    attempts: 1,
    verifiedBlock: event.block.number,
  });
  // A new anchor has no entries yet (their ids are the anchor's): a plain insert, which on Postgres does not
  // look each row up first as onConflictDoNothing does.
  if (outcome.entries.length > 0) await context.db.insert(entry).values(outcome.entries);
  if (outcome.keys.length > 0) await context.db.insert(anchorKey).values(outcome.keys);
});

/**
 * Anchors pending or unresolved are verified again, a few per beat and all at
 * once (so a beat takes at most one verification budget), least recently
 * tried first. A pending anchor is due at once: the registry changed under its
 * verdict, and the beat after the change must judge it. An unresolved one waits
 * a back-off that doubles with its attempts (one beat interval after the first,
 * up to 1,024): content that never comes costs a handful of fetches over a long
 * backfill, not one per beat.
 */
ponder.on("VerificationRetry:block", async ({ event, context }) => {
  const interval = BigInt(network.retryInterval);
  const due = await context.db.sql
    .select()
    .from(anchor)
    .where(
      or(
        eq(anchor.status, "pending"),
        and(
          eq(anchor.status, "unresolved"),
          sql`coalesce(${anchor.verifiedBlock}, 0) + ${interval.toString()}::numeric * (1 << least(greatest(${anchor.attempts} - 1, 0), 10)) <= ${event.block.number.toString()}::numeric`,
        ),
      ),
    )
    .orderBy(asc(anchor.verifiedBlock), asc(anchor.id))
    .limit(settings.retryBatch);
  const registry = context.contracts.ProcessAnchorRegistry.address;
  const verified = await Promise.all(
    due.map(async (row) => ({
      row,
      report: await verifyIndexedAnchor(registryReads(context.client, event.block.hash), row, registry, settings),
    })),
  );
  for (const { row, report } of verified) {
    const outcome = verificationOutcome(row.id, row, report);
    await context.db
      .update(anchor, { id: row.id })
      .set({ ...outcome.anchor, attempts: row.attempts + 1, verifiedBlock: event.block.number });
    if (outcome.entries.length > 0) await context.db.insert(entry).values(outcome.entries).onConflictDoNothing();
    if (outcome.keys.length > 0) await context.db.insert(anchorKey).values(outcome.keys).onConflictDoNothing();
  }
});

async function transfer(
  context: Context<"ProcessAnchorRegistry:TransferSingle">,
  event: { id: string; block: { number: bigint }; transaction: { hash: Hex } },
  movement: { operator: Hex; from: Hex; to: Hex; tokenId: bigint; amount: bigint },
) {
  const { operator, from, to, tokenId, amount } = movement;
  await context.db.insert(certificateTransfer).values({
    id: event.id,
    tokenId,
    operator,
    from,
    to,
    amount,
    blockNumber: event.block.number,
    transactionHash: event.transaction.hash,
  });
  if (from !== zeroAddress)
    await context.db
      .update(certificateBalance, { tokenId, owner: from })
      .set((row) => ({ balance: row.balance - amount }));
  if (to !== zeroAddress)
    await context.db
      .insert(certificateBalance)
      .values({ tokenId, owner: to, balance: amount })
      .onConflictDoUpdate((row) => ({ balance: row.balance + amount }));
}

ponder.on("ProcessAnchorRegistry:TransferSingle", async ({ event, context }) => {
  const { operator, from, to, id, value } = event.args;
  await transfer(context, event, { operator, from, to, tokenId: id, amount: value });
});

ponder.on("ProcessAnchorRegistry:TransferBatch", async ({ event, context }) => {
  const { operator, from, to, ids, values } = event.args;
  for (const [i, tokenId] of ids.entries())
    await transfer(
      context,
      { ...event, id: `${event.id}-${i}` },
      { operator, from, to, tokenId, amount: values[i] ?? 0n },
    );
});

ponder.on("CommitRegister:Commit", async ({ event, context }) => {
  const { recorder, assetCid: assetCidHash, commitData } = event.args;
  const facts = parseCommitData(commitData);
  await context.db.insert(commit).values({
    id: `${context.chain.id}-${event.transaction.hash}-${event.log.logIndex}`,
    chainId: context.chain.id,
    recorder,
    assetCidHash: assetCidHash as Hex,
    assetCid: assetCidFromCommitInput(event.transaction.input, assetCidHash as Hex) ?? null,
    commitData,
    commitDataValid: facts.valid,
    commitJson: facts.json ?? null,
    jobId: facts.jobId ?? null,
    eventType: facts.eventType ?? null,
    packetHash: facts.packetHash ?? null,
    blockNumber: event.block.number,
    logIndex: event.log.logIndex,
    timestamp: event.block.timestamp,
    transactionHash: event.transaction.hash,
  });
});

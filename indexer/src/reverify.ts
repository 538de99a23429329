/**
 * Verdicts follow the registry: when the registry changes under an anchor's
 * verdict (a signer removed or allowed again, a key revoked), the anchors it
 * may change go back to `pending`, and the next VerificationRetry beat
 * verifies them against the registry as it is then. Only `valid` and
 * `invalid` anchors: pending and unresolved ones are verified on a beat anyway.
 */
import type { Context } from "ponder:registry";
import { anchor, anchorKey } from "ponder:schema";
import { and, eq, inArray } from "ponder";
import type { Address, Hex } from "viem";

/** Every handler's `context.db` is the same store. */
type Db = Context<"ProcessAnchorRegistry:AnchorSignerSet">["db"];

/**
 * Found with a read-only query and updated through the store API: a writing
 * raw SQL statement makes Ponder drop its in-memory tables for the rest of the
 * process, after which every insert reads the database first (on PGlite, 8 s
 * of a 21 s backfill of 1,000 anchors of 10 entries).
 */
async function sendBackToPending(db: Db, affected: ReturnType<typeof and>): Promise<void> {
  const decided = await db.sql
    .select({ id: anchor.id })
    .from(anchor)
    .where(and(inArray(anchor.status, ["valid", "invalid"]), affected));
  for (const { id } of decided) await db.update(anchor, { id }).set({ status: "pending" });
}

/**
 * The anchors `signer` authorised for the tenant: a verdict depends on the
 * signer being allowed still (decision 009).
 *
 * @example
 * await reverifySignerAnchors(context.db, event.args.tenantId, event.args.signer);
 */
export function reverifySignerAnchors(db: Db, tenantId: Hex, signer: Address): Promise<void> {
  return sendBackToPending(db, and(eq(anchor.tenantId, tenantId), eq(anchor.signer, signer)));
}

/**
 * The tenant's anchors whose chainscript or any packet names the key: a
 * revocation recorded after an anchor but effective before a packet's time
 * counts (DESIGN.md, step 3), which is how a tenant disowns a stolen key's
 * forgeries. Anchors judged invalid before their content was known (no
 * chainscript) name no keys: they stay as they are.
 *
 * @example
 * await reverifyKeyAnchors(context.db, event.args.tenantId, event.args.keyId);
 */
export function reverifyKeyAnchors(db: Db, tenantId: Hex, keyId: Hex): Promise<void> {
  const named = db.sql
    .select({ anchorId: anchorKey.anchorId })
    .from(anchorKey)
    .where(and(eq(anchorKey.tenantId, tenantId), eq(anchorKey.keyId, keyId)));
  return sendBackToPending(db, inArray(anchor.id, named));
}

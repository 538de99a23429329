/**
 * The engine's tables (pop_anchor_submission, pop_anchor_attempt) keep the
 * anchoring pipeline's names and migration namespace: they were born there,
 * and state directories written before the engine was shared must keep
 * working. Every user of the engine applies these migrations first.
 */

import { ANCHOR_MIGRATIONS, ANCHOR_SCHEMA } from "../anchor/pipeline/schema.ts";
import type { Database } from "../db/database.ts";
import { migrate } from "../db/migrate.ts";

export async function migrateTransactions(db: Database): Promise<void> {
  await migrate(db, ANCHOR_SCHEMA, ANCHOR_MIGRATIONS);
}

import { type Database, DatabaseError } from "./database.ts";

export interface Migration {
  /** 1, 2, 3, …: applied in order, each once. */
  readonly id: number;
  readonly name: string;
  readonly sql: string;
}

/**
 * Applies the migrations of one namespace that the database lacks, each in its
 * own transaction together with its record, so a crash leaves each either
 * applied and recorded or neither. A database migrated by a newer version is
 * refused rather than written with an older schema's assumptions.
 */
export async function migrate(db: Database, namespace: string, migrations: readonly Migration[]): Promise<number[]> {
  migrations.forEach((migration, i) => {
    if (migration.id !== i + 1)
      throw new DatabaseError(`Migration ${namespace} #${i + 1} is numbered ${migration.id}.`);
  });
  await db.transaction(async (sql) => {
    // `create table if not exists` is not safe against itself: two processes migrating a new database race on it.
    await sql.query("select pg_advisory_xact_lock(hashtext('pop_migration'))");
    await sql.query(
      `create table if not exists pop_migration (
         namespace text not null, id integer not null, name text not null,
         applied_at timestamptz not null default now(), primary key (namespace, id))`,
    );
  });
  const applied: number[] = [];
  for (const migration of migrations) {
    const done = await db.transaction(async (sql) => {
      // Two processes migrating one server at once: the second waits here, then sees the record.
      await sql.query("select pg_advisory_xact_lock(hashtext('pop_migration'))");
      const rows = await sql.query("select 1 from pop_migration where namespace = $1 and id = $2", [
        namespace,
        migration.id,
      ]);
      if (rows.length > 0) return false;
      await sql.query(migration.sql);
      await sql.query("insert into pop_migration (namespace, id, name) values ($1, $2, $3)", [
        namespace,
        migration.id,
        migration.name,
      ]);
      return true;
    });
    if (done) applied.push(migration.id);
  }
  const [newest] = await db.query<{ id: number }>(
    "select coalesce(max(id), 0)::integer as id from pop_migration where namespace = $1",
    [namespace],
  );
  if ((newest?.id ?? 0) > migrations.length)
    throw new DatabaseError(
      `The database at ${db.location} has ${namespace} schema version ${newest?.id}; this version of pop knows ${migrations.length}.`,
      { details: "Upgrade pop before using this database." },
    );
  return applied;
}

/**
 * One small interface over the two Postgres engines the project runs on:
 * PGlite (embedded, the default, a directory under `.pop/`) and a Postgres
 * server (through `DATABASE_URL`). Both take `$1` parameters and answer rows;
 * callers write plain SQL that both accept.
 */
import { BaseError } from "../errors.ts";

/** The database cannot be opened, or a statement failed. */
export class DatabaseError extends BaseError {
  override name = "DatabaseError";
}

export type Row = Record<string, unknown>;

/** Runs statements: the database itself, or one transaction of it. */
export interface Sql {
  query<R extends Row = Row>(text: string, params?: readonly unknown[]): Promise<R[]>;
}

export interface Database extends Sql {
  /** "pglite" (embedded) or "postgres" (a server). */
  readonly kind: "pglite" | "postgres";
  /** Where the data lives, for messages: a directory or the server URL without its password. */
  readonly location: string;
  /** Runs `work` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(work: (sql: Sql) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

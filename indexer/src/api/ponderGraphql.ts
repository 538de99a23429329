/**
 * Ponder's GraphQL schema for this app's tables and the per-request context
 * its resolvers read through. Ponder 0.16 builds both only inside its graphql()
 * middleware and exports neither (the package exports "." alone), so they are
 * reached by file: package.json pins Ponder to the exact version this was
 * written against, and the indexer's GraphQL tests fail if a new one moves
 * them. The context is what Ponder's middleware gives its resolvers, the
 * read-only query builder and a DataLoader cache for one request, except that
 * the query builder's `wrap` runs a read once, within the request's deadline:
 * Ponder's retries a failed read up to 9 times over about a minute, so a
 * `totalCount` cancelled by the statement timeout would run ten times.
 */
import type { GraphQLSchema } from "graphql";
import type * as PonderGraphql from "../../../node_modules/ponder/dist/types/graphql/index.js";
import type { Deadline } from "./deadline.ts";
import { normaliseDigestFilters } from "./graphqlDigests.ts";
import type { PonderDatabase } from "./readonlyPool.ts";

type Internals = typeof PonderGraphql;
type QueryBuilder = PonderDatabase["readonlyQB"];
/** What `wrap` hands a read: the last overload's `(db) => T` is `wrap({ label }, read)`. */
type Inner = Parameters<Parameters<QueryBuilder["wrap"]>[1]>[0];

const GRAPHQL_INTERNALS = "../../../node_modules/ponder/dist/esm/graphql/index.js";

type Tables = Parameters<Internals["buildGraphQLSchema"]>[0]["schema"];

/** Ponder's GraphQL schema for `tables`, its filters reading digests as REST does (graphqlDigests.ts). */
export async function ponderSchema(tables: Tables): Promise<GraphQLSchema> {
  const { buildGraphQLSchema } = (await import(GRAPHQL_INTERNALS)) as Internals;
  return normaliseDigestFilters(buildGraphQLSchema({ schema: tables }));
}

export async function ponderGraphql(
  schema: Tables,
  database: PonderDatabase,
): Promise<{ schema: GraphQLSchema; context: (deadline: Deadline) => unknown }> {
  const { buildDataLoaderCache } = (await import(GRAPHQL_INTERNALS)) as Internals;
  const qb = database.readonlyQB;
  return {
    schema: await ponderSchema(schema),
    context: (deadline) => {
      const once = readsOnce(qb, deadline);
      return { qb: once, getDataLoader: buildDataLoaderCache(once) };
    },
  };
}

/** `qb` with a `wrap` that checks the deadline and runs the read once, as its `raw` reads are run. */
function readsOnce(qb: QueryBuilder, deadline: Deadline): QueryBuilder {
  // Ponder's query builder is its Drizzle database with wrap and transaction added, and its wrap hands
  // the read that database itself: an object inheriting from it reads the same way.
  const once: QueryBuilder = Object.create(qb);
  const inner = qb as unknown as Inner;
  once.wrap = <T>(...args: [(db: Inner) => T, unknown?] | [{ label: string }, (db: Inner) => T, unknown?]) => {
    deadline.check();
    const read = typeof args[0] === "function" ? args[0] : args[1];
    if (typeof read !== "function") throw new TypeError("wrap() needs a read to run.");
    return read(inner);
  };
  return once;
}

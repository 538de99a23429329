/**
 * Ponder's GraphQL schema for this app's tables and the per-request context
 * its resolvers read through. Ponder 0.16 builds both only inside its graphql()
 * middleware and exports neither (the package exports "." alone), so they are
 * reached by file: package.json pins Ponder to the exact version this was
 * written against, and the indexer's GraphQL tests fail if a new one moves
 * them. The context is what Ponder's middleware gives its resolvers: the
 * read-only query builder and a DataLoader cache for one request.
 */
import type { GraphQLSchema } from "graphql";
import type * as PonderGraphql from "../../../node_modules/ponder/dist/types/graphql/index.js";

type Internals = typeof PonderGraphql;
type QueryBuilder = Parameters<Internals["buildDataLoaderCache"]>[0];

const GRAPHQL_INTERNALS = "../../../node_modules/ponder/dist/esm/graphql/index.js";

export async function ponderGraphql(
  schema: Parameters<Internals["buildGraphQLSchema"]>[0]["schema"],
): Promise<{ schema: GraphQLSchema; context: () => unknown }> {
  const { buildDataLoaderCache, buildGraphQLSchema } = (await import(GRAPHQL_INTERNALS)) as Internals;
  const database = (globalThis as { PONDER_DATABASE?: { readonlyQB: QueryBuilder } }).PONDER_DATABASE;
  if (database === undefined) throw new Error("Ponder's GraphQL context is only available inside `ponder start`.");
  const qb = database.readonlyQB;
  return {
    schema: buildGraphQLSchema({ schema }),
    context: () => ({ qb, getDataLoader: buildDataLoaderCache(qb) }),
  };
}

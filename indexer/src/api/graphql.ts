/**
 * Limits on GraphQL operations, checked before execution by Ponder's graphql()
 * middleware (GraphQL Armor). Ponder's schema has no relations, so a data
 * query is at most 3 deep (`{ anchors { items { id } } }`) and its cost is the
 * rows it asks for (up to 1,000 a page): aliases repeat a selection, so few are
 * allowed. Only introspection nests deeper: the query GraphiQL (GET /graphql)
 * sends to load the schema is 21 deep, and the depth limit admits it with a
 * little room. Beyond that, each level of `fields { type { ofType ... } }`
 * multiplies the answer; within these limits the largest introspection answer
 * measured on this schema is under 3 MB.
 */
export const GRAPHQL_LIMITS = {
  maxOperationDepth: 24,
  maxOperationAliases: 10,
  maxOperationTokens: 1000,
} as const;

/** Largest GraphQL request body accepted, in bytes (1,000 tokens fit in far less). */
export const GRAPHQL_MAX_BODY_BYTES = 64 * 1024;

/**
 * GraphQL over HTTP (POST, JSON) for Ponder's schema, with a cache of parsed
 * and validated documents.
 *
 * Ponder 0.16's graphql() middleware builds GraphQL Yoga with
 * `parserAndValidationCache: false`: every request is parsed and validated
 * again, which costs more than running the query (a quarter of the process's
 * CPU under load). Clients send the same few query texts with different
 * variables, so here a query text is parsed and validated once (with the
 * limits of graphqlLimits.ts), then only executed. Before it runs, a query
 * is refused if its lists ask for more rows than the budget (rowBudget.ts);
 * while it runs, its reads are bounded by the statement timeout (deadline.ts).
 * GET /graphql stays Ponder's (GraphiQL).
 */
import {
  type DocumentNode,
  type ExecutionResult,
  execute,
  GraphQLError,
  type GraphQLSchema,
  parse,
  specifiedRules,
  validate,
} from "graphql";
import type { Context } from "hono";
import { Deadline, timeoutAnswer, timeoutError } from "./deadline.ts";
import { GRAPHQL_LIMITS, operationLimitsRule } from "./graphqlLimits.ts";
import { rowCounter } from "./rowBudget.ts";

/** Query texts whose parsed, validated document is kept: the most recently used, up to this many. */
const CACHED_DOCUMENTS = 256;
/** Longer query texts are parsed each time, so the cache holds at most 1 MiB of query text (and its trees). */
const CACHED_QUERY_CHARS = 4 * 1024;

/** A query text parsed and validated: the document to execute, or why it cannot be. */
type Prepared = { readonly document: DocumentNode } | { readonly errors: readonly GraphQLError[] };

/** A GraphQL request as the body carries it, or why it is not one. */
type Request =
  | {
      readonly query: string;
      readonly variables: Record<string, unknown> | undefined;
      readonly operationName: string | undefined;
    }
  | { readonly problem: string };

export interface GraphqlEndpointOptions {
  /** The resolvers' context for one request, whose reads are to end by `deadline`. */
  readonly context: (deadline: Deadline) => unknown;
  /** How long one request's database reads may take (ms). */
  readonly statementTimeoutMs: number;
}

/**
 * The POST /graphql handler: `{ query, variables?, operationName? }` as
 * application/json. A request that is not one answers 400 (415 for another
 * content type) with `{ errors: [{ message }] }` naming the field, as does a
 * query over the row budget; one whose reads ran past the statement timeout
 * answers 503 so. A GraphQL request otherwise answers 200 with
 * `{ data?, errors? }`, as Ponder's middleware does.
 */
export function graphqlEndpoint(schema: GraphQLSchema, options: GraphqlEndpointOptions) {
  const countRows = rowCounter(schema);
  const rules = [...specifiedRules, operationLimitsRule];
  const prepare = (query: string): Prepared => {
    let document: DocumentNode;
    try {
      document = parse(query, { maxTokens: GRAPHQL_LIMITS.maxOperationTokens });
    } catch (error) {
      if (error instanceof GraphQLError) return { errors: [error] };
      throw error;
    }
    const errors = validate(schema, document, rules);
    return errors.length > 0 ? { errors } : { document };
  };
  const cache = new Map<string, Prepared>();
  const prepared = (query: string): Prepared => {
    if (query.length > CACHED_QUERY_CHARS) return prepare(query);
    let entry = cache.get(query);
    if (entry === undefined) {
      entry = prepare(query);
      if (cache.size >= CACHED_DOCUMENTS) cache.delete(cache.keys().next().value as string);
    } else cache.delete(query);
    // Re-inserted at the end: Map order is then least recently used first.
    cache.set(query, entry);
    return entry;
  };

  return async (c: Context) => {
    const contentType = c.req.header("content-type") ?? "";
    if (!/^application\/json\s*(;|$)/i.test(contentType))
      return c.json(
        failure(`Content-Type must be application/json for a GraphQL request, got "${contentType || "none"}".`),
        415,
      );
    const request = parseRequest(await c.req.text());
    if ("problem" in request) return c.json(failure(request.problem), 400);
    const ready = prepared(request.query);
    if ("errors" in ready) return c.json({ errors: ready.errors.map((e) => e.toJSON()) });
    const rows = countRows(ready.document, request.variables, request.operationName);
    if (rows !== undefined && rows > GRAPHQL_LIMITS.maxRows) return c.json(failure(overBudget(rows)), 400);
    const { statementTimeoutMs } = options;
    const deadline = new Deadline(statementTimeoutMs);
    const result: ExecutionResult = await execute({
      schema,
      document: ready.document,
      variableValues: request.variables,
      operationName: request.operationName,
      contextValue: options.context(deadline),
    });
    // A read stopped by a timeout leaves a partial answer: the whole request is answered 503 instead.
    const stopped = deadline.passed
      ? timeoutError(statementTimeoutMs)
      : result.errors?.map((e) => timeoutAnswer(e.originalError, statementTimeoutMs)).find((e) => e !== undefined);
    if (stopped !== undefined) return c.json(failure(stopped.message), 503);
    return c.json({
      ...(result.errors ? { errors: result.errors.map((e) => e.toJSON()) } : {}),
      ...(result.data !== undefined ? { data: result.data } : {}),
    });
  };
}

const failure = (message: string) => ({ errors: [{ message }] });

const overBudget = (rows: number) =>
  `The query asks for up to ${rows} rows (each list's limit plus offset, times the items of the lists it is inside), ` +
  `more than the ${GRAPHQL_LIMITS.maxRows} a query may: lower limit or offset, or page on with the after cursor.`;

function parseRequest(text: string): Request {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { problem: "The request body is not JSON: a GraphQL request is { query, variables?, operationName? }." };
  }
  if (typeof body !== "object" || body === null || Array.isArray(body))
    return { problem: "The request body must be a JSON object { query, variables?, operationName? }." };
  const { query, variables, operationName } = body as Record<string, unknown>;
  if (typeof query !== "string" || query.trim() === "")
    return { problem: "query must be a non-empty string holding the GraphQL document." };
  if (variables !== undefined && variables !== null && (typeof variables !== "object" || Array.isArray(variables)))
    return { problem: "variables must be an object mapping variable names to values, or null." };
  if (operationName !== undefined && operationName !== null && typeof operationName !== "string")
    return { problem: "operationName must be a string naming an operation of the document, or null." };
  return {
    query,
    variables: (variables ?? undefined) as Record<string, unknown> | undefined,
    operationName: operationName ?? undefined,
  };
}

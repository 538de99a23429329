/**
 * SHA-256 digests in GraphQL filters, read as the REST routes read them
 * (params.ts): with or without 0x, any letter case. Ponder stores hex columns
 * as lowercase 0x text and lowercases what a filter compares with them, but
 * leaves the 0x to the client: `assetHash: "9f…"` matched nothing, where
 * `GET /api/assets/9f…` found the asset. Here the resolvers of every field
 * that takes a `where` filter (Ponder's plural queries) get the digests in it
 * in the stored form, and a value that is no digest is refused with an error
 * naming the argument, as REST answers 400.
 */
import {
  defaultFieldResolver,
  GraphQLError,
  type GraphQLFieldResolver,
  type GraphQLSchema,
  isObjectType,
} from "graphql";
import { ApiError, parseHexPart, parseSha256 } from "./params.ts";

/** Columns of this app's tables (ponder.schema.ts) that hold a SHA-256 digest. */
export const DIGEST_COLUMNS: readonly string[] = ["assetHash", "packetHash"];

/** How each of Ponder's filter suffixes on a hex column takes its value: the whole digest, a list of them, or part of one. */
export const DIGEST_FILTER_SUFFIXES: Readonly<Record<string, "digest" | "digests" | "prefix" | "part">> = {
  "": "digest",
  _not: "digest",
  _in: "digests",
  _not_in: "digests",
  _starts_with: "prefix",
  _not_starts_with: "prefix",
  _contains: "part",
  _not_contains: "part",
  _ends_with: "part",
  _not_ends_with: "part",
};

type Where = Record<string, unknown>;

/** The filter key's column and suffix, when the column holds a digest. */
function digestKey(key: string): (typeof DIGEST_FILTER_SUFFIXES)[string] | undefined {
  const column = DIGEST_COLUMNS.find((c) => key.startsWith(c));
  const suffix = column === undefined ? undefined : key.slice(column.length);
  return suffix !== undefined && Object.hasOwn(DIGEST_FILTER_SUFFIXES, suffix)
    ? DIGEST_FILTER_SUFFIXES[suffix]
    : undefined;
}

function normalised(kind: NonNullable<ReturnType<typeof digestKey>>, value: unknown, argument: string): unknown {
  // null is Ponder's "is null" / "is not null"; anything not a string is GraphQL's to have refused.
  if (typeof value !== "string") {
    if (kind === "digests" && Array.isArray(value))
      return value.map((item, i) => normalised("digest", item, `${argument}[${i}]`));
    return value;
  }
  if (kind === "digest" || kind === "digests") return parseSha256(value, argument);
  const part = parseHexPart(value, argument);
  return kind === "prefix" && !part.startsWith("0x") ? `0x${part}` : part;
}

/** `where` with every digest in the stored form, through AND and OR. `argument` is its path, for errors. */
export function normaliseWhere(where: Where, argument = "where"): Where {
  return Object.fromEntries(
    Object.entries(where).map(([key, value]) => {
      if ((key === "AND" || key === "OR") && Array.isArray(value))
        return [
          key,
          value.map((inner, i) =>
            inner !== null && typeof inner === "object"
              ? normaliseWhere(inner as Where, `${argument}.${key}[${i}]`)
              : inner,
          ),
        ];
      const kind = digestKey(key);
      return [key, kind === undefined ? value : normalised(kind, value, `${argument}.${key}`)];
    }),
  );
}

function withDigests(resolve: GraphQLFieldResolver<unknown, unknown>): GraphQLFieldResolver<unknown, unknown> {
  return (source, args: Where, context, info) => {
    let where: Where | undefined;
    try {
      where = args.where && typeof args.where === "object" ? normaliseWhere(args.where as Where) : undefined;
    } catch (error) {
      if (error instanceof ApiError) throw new GraphQLError(error.message, { extensions: { code: "BAD_USER_INPUT" } });
      throw error;
    }
    return resolve(source, where === undefined ? args : { ...args, where }, context, info);
  };
}

/**
 * Makes `schema`'s fields that take a `where` filter read digests as REST
 * does (see the file's comment). Changes the schema's resolvers in place and
 * returns it.
 *
 * @example
 * const schema = normaliseDigestFilters(buildGraphQLSchema({ schema: tables }));
 */
export function normaliseDigestFilters(schema: GraphQLSchema): GraphQLSchema {
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith("__")) continue;
    for (const field of Object.values(type.getFields())) {
      if (field.args.some((arg) => arg.name === "where"))
        field.resolve = withDigests(field.resolve ?? defaultFieldResolver);
    }
  }
  return schema;
}

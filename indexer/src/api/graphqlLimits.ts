/**
 * Limits on GraphQL operations, checked before execution: depth 24, 10
 * aliases, 1,000 tokens, 64 KiB bodies, and 1,000 rows (rowBudget.ts, counted
 * with each request's variables). Ponder's schema has no relations, so a
 * data query is at most 3 deep (`{ anchors { items { id } } }`) and its cost
 * is the rows it asks for (up to 1,000 a page): aliases repeat a selection, so
 * few are allowed. Only introspection nests deeper: the query GraphiQL (GET
 * /graphql) sends to load the schema is 21 deep, and the depth limit admits it
 * with a little room. Beyond that, each level of `fields { type { ofType ... } }`
 * multiplies the answer; within these limits the largest introspection answer
 * measured on this schema is under 3 MB.
 */
import { GraphQLError, Kind, type SelectionSetNode, type ValidationContext, type ValidationRule } from "graphql";

export const GRAPHQL_LIMITS = {
  maxOperationDepth: 24,
  maxOperationAliases: 10,
  maxOperationTokens: 1000,
  /**
   * Rows one query may ask for: the limits (plus offsets) of its lists, multiplied through nesting.
   * One page at Ponder's largest limit; more is more requests, each bounded again.
   */
  maxRows: 1000,
} as const;

/** Largest GraphQL request body accepted, in bytes (1,000 tokens fit in far less). */
export const GRAPHQL_MAX_BODY_BYTES = 64 * 1024;

/**
 * Each operation's depth (fields on its longest path, introspection included)
 * and aliases (aliased fields as executed: a fragment counts each time it is
 * spread) against the limits. A fragment is measured once, so spreading
 * fragments within fragments cannot make the check itself expensive; a cycle
 * of fragments is left to graphql-js's NoFragmentCyclesRule.
 */
export const operationLimitsRule: ValidationRule = (context) => {
  const measure = measurer(context);
  return {
    OperationDefinition(operation) {
      const { depth, aliases } = measure(operation.selectionSet);
      const { maxOperationDepth: maxDepth, maxOperationAliases: maxAliases } = GRAPHQL_LIMITS;
      if (depth > maxDepth)
        context.reportError(
          new GraphQLError(`Query depth limit of ${maxDepth} exceeded, found ${depth}.`, { nodes: operation }),
        );
      if (aliases > maxAliases)
        context.reportError(
          new GraphQLError(`Aliases limit of ${maxAliases} exceeded, found ${aliases}.`, { nodes: operation }),
        );
    },
  };
};

interface Measure {
  readonly depth: number;
  readonly aliases: number;
}

function measurer(context: ValidationContext) {
  const fragments = new Map<string, Measure>();
  const onPath = new Set<string>();
  const measure = (set: SelectionSetNode): Measure => {
    let depth = 0;
    let aliases = 0;
    for (const selection of set.selections) {
      let inner: Measure = { depth: 0, aliases: 0 };
      if (selection.kind === Kind.FIELD) {
        const below = selection.selectionSet ? measure(selection.selectionSet) : inner;
        inner = { depth: below.depth + 1, aliases: below.aliases + (selection.alias ? 1 : 0) };
      } else if (selection.kind === Kind.INLINE_FRAGMENT) inner = measure(selection.selectionSet);
      else {
        const name = selection.name.value;
        const fragment = context.getFragment(name);
        const known = fragments.get(name);
        if (known !== undefined) inner = known;
        else if (fragment && !onPath.has(name)) {
          onPath.add(name);
          inner = measure(fragment.selectionSet);
          onPath.delete(name);
          fragments.set(name, inner);
        }
      }
      depth = Math.max(depth, inner.depth);
      aliases += inner.aliases;
    }
    return { depth, aliases };
  };
  return measure;
}

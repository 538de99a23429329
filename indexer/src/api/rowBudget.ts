/**
 * How many rows a GraphQL query may make the database read, counted before
 * it runs, with the request's variables. Ponder's list fields return a page
 * (`{ items, pageInfo, totalCount }`) of at most `limit` rows (default 50,
 * at most 1,000) after skipping `offset` rows, which the database reads and
 * throws away: a list costs limit + offset rows, and what is selected inside
 * its items costs that much once per item. A field returning one row (by
 * primary key, or a one-to-one relation) costs 1. The depth and alias limits
 * bound how many lists a query holds; this bounds what they add up to.
 */
import {
  type DocumentNode,
  type FieldNode,
  type GraphQLField,
  GraphQLInt,
  type GraphQLNamedType,
  type GraphQLSchema,
  getNamedType,
  getNullableType,
  getOperationAST,
  getVariableValues,
  isInterfaceType,
  isListType,
  isObjectType,
  Kind,
  type SelectionSetNode,
  valueFromAST,
} from "graphql";

/** Ponder's page size when a list is given no `limit` (DEFAULT_LIMIT in its graphql/index.js). */
export const DEFAULT_PAGE_LIMIT = 50;

/** The rows an operation asks for, or undefined when its variables do not fit it (execution then refuses it itself). */
export type RowCounter = (
  document: DocumentNode,
  variables: Readonly<Record<string, unknown>> | undefined,
  operationName: string | undefined,
) => number | undefined;

/**
 * A counter for the schema's operations. Fragments are counted once per page
 * size they are spread in, so fragments spreading fragments cannot make the
 * count itself expensive; a fragment spread twice counts twice (an upper bound:
 * execution merges the two).
 *
 * @example
 * const rows = rowCounter(schema)(parse('{ anchors(limit: 10, offset: 5) { items { id } } }'), undefined, undefined); // 15
 */
export function rowCounter(schema: GraphQLSchema): RowCounter {
  const { pages, rows } = shapes(schema);
  return (document, variables, operationName) => {
    const operation = getOperationAST(document, operationName);
    if (operation === null || operation === undefined) return undefined;
    const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables ?? {});
    if (coerced.errors !== undefined) return undefined;
    const values = coerced.coerced;
    const intArgument = (node: FieldNode, name: string): number | undefined => {
      const argument = node.arguments?.find((a) => a.name.value === name);
      const value = argument === undefined ? undefined : valueFromAST(argument.value, GraphQLInt, values);
      return typeof value === "number" ? value : undefined;
    };
    const definitions = new Map(
      document.definitions.flatMap((d) => (d.kind === Kind.FRAGMENT_DEFINITION ? [[d.name.value, d] as const] : [])),
    );
    const fragments = new Map<string, number>();
    const onPath = new Set<string>();

    /** Rows read by one selection set on `type`; `pageSize` when `type` is a page of that many items. */
    const count = (set: SelectionSetNode, type: GraphQLNamedType | undefined, pageSize: number): number => {
      let total = 0;
      for (const selection of set.selections) {
        if (selection.kind === Kind.FIELD) {
          const field: GraphQLField<unknown, unknown> | undefined = fieldsOf(type)[selection.name.value];
          if (field === undefined) continue; // __typename, and introspection, which reads no rows
          const named = getNamedType(field.type);
          const inner = selection.selectionSet;
          if (pages.has(named)) {
            const size = Math.max(0, intArgument(selection, "limit") ?? DEFAULT_PAGE_LIMIT);
            const skipped = Math.max(0, intArgument(selection, "offset") ?? 0);
            total += size + skipped + (inner ? count(inner, named, size) : 0);
          } else if (type !== undefined && pages.has(type) && selection.name.value === "items") {
            total += inner ? pageSize * count(inner, named, 0) : 0;
          } else if (rows.has(named)) total += 1 + (inner ? count(inner, named, 0) : 0);
          else if (inner) total += count(inner, named, 0);
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          const on = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : type;
          total += count(selection.selectionSet, on ?? undefined, pageSize);
        } else {
          const name = selection.name.value;
          const key = `${name}@${pageSize}`;
          const known = fragments.get(key);
          const fragment = definitions.get(name);
          if (known !== undefined) total += known;
          else if (fragment !== undefined && !onPath.has(name)) {
            onPath.add(name);
            const rowsOf = count(
              fragment.selectionSet,
              schema.getType(fragment.typeCondition.name.value) ?? undefined,
              pageSize,
            );
            onPath.delete(name);
            fragments.set(key, rowsOf);
            total += rowsOf;
          }
        }
      }
      return total;
    };
    return count(operation.selectionSet, schema.getRootType(operation.operation) ?? undefined, 0);
  };
}

function fieldsOf(type: GraphQLNamedType | undefined): Record<string, GraphQLField<unknown, unknown>> {
  return isObjectType(type) || isInterfaceType(type) ? type.getFields() : {};
}

/** Ponder's page types (an `items` list) and the row types they list. */
function shapes(schema: GraphQLSchema): { pages: Set<GraphQLNamedType>; rows: Set<GraphQLNamedType> } {
  const pages = new Set<GraphQLNamedType>();
  const rows = new Set<GraphQLNamedType>();
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith("__")) continue;
    const items = type.getFields().items;
    if (items === undefined || !isListType(getNullableType(items.type))) continue;
    pages.add(type);
    rows.add(getNamedType(items.type));
  }
  return { pages, rows };
}

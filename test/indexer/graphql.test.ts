import { expect } from "chai";
import {
  type GraphQLInputObjectType,
  GraphQLInt,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLSchema,
  GraphQLString,
} from "graphql";
import { Hono } from "hono";
import * as tables from "../../indexer/ponder.schema.ts";
import { graphqlEndpoint } from "../../indexer/src/api/graphql.ts";
import { DIGEST_COLUMNS, DIGEST_FILTER_SUFFIXES } from "../../indexer/src/api/graphqlDigests.ts";
import { GRAPHQL_LIMITS } from "../../indexer/src/api/graphqlLimits.ts";
import { ponderSchema } from "../../indexer/src/api/ponderGraphql.ts";
import { DEFAULT_PAGE_LIMIT } from "../../indexer/src/api/rowBudget.ts";

/**
 * A small schema of the same shape as Ponder's (pages of rows under `items`, with `limit` and `offset`),
 * answering from an array; `slow` answers after the milliseconds it is given, and `cancelled` fails as a
 * statement Postgres cancelled at its statement timeout.
 */
interface Row {
  id: string;
  size: number;
}
const ROWS: Row[] = [
  { id: "a", size: 1 },
  { id: "b", size: 2 },
  { id: "c", size: 3 },
];
const rowType: GraphQLObjectType = new GraphQLObjectType({
  name: "row",
  fields: () => ({
    id: { type: new GraphQLNonNull(GraphQLString) },
    size: {
      type: GraphQLInt,
      resolve: (row: Row) => {
        if (row.size < 0) throw new Error(`row ${row.id} has no size`);
        return row.size;
      },
    },
    next: { type: rowType, resolve: (row: Row) => ROWS[(ROWS.indexOf(row) + 1) % ROWS.length] },
    children: { type: rowPage, args: pageArgs, resolve: (_row: Row, args: PageArgs) => page(ROWS, args) },
  }),
});
interface PageArgs {
  where?: string;
  limit?: number;
  offset?: number;
}
const pageArgs = { where: { type: GraphQLString }, limit: { type: GraphQLInt }, offset: { type: GraphQLInt } };
const page = (rows: Row[], args: PageArgs) => {
  const offset = args.offset ?? 0;
  const matching = rows.filter((row) => args.where === undefined || row.id === args.where);
  return { items: matching.slice(offset, offset + (args.limit ?? DEFAULT_PAGE_LIMIT)) };
};
const rowPage: GraphQLObjectType = new GraphQLObjectType({
  name: "rowPage",
  fields: () => ({ items: { type: new GraphQLList(rowType) } }),
});
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const schema = new GraphQLSchema({
  query: new GraphQLObjectType({
    name: "Query",
    fields: {
      rows: {
        type: rowPage,
        args: pageArgs,
        resolve: (_root, args: PageArgs, context: { rows: Row[] }) => page(context.rows, args),
      },
      row: { type: rowType, resolve: (_root, _args, context: { rows: Row[] }) => context.rows[0] },
      slow: {
        type: GraphQLInt,
        args: { ms: { type: new GraphQLNonNull(GraphQLInt) } },
        resolve: async (_root, args: { ms: number }) => {
          await sleep(args.ms);
          return args.ms;
        },
      },
      cancelled: {
        type: GraphQLInt,
        resolve: () => {
          throw Object.assign(new Error("canceling statement due to statement timeout"), { code: "57014" });
        },
      },
    },
  }),
});

async function post(app: Hono, body: string, contentType = "application/json") {
  const response = await app.request("/graphql", { method: "POST", headers: { "content-type": contentType }, body });
  return { status: response.status, body: (await response.json()) as unknown };
}

describe("indexer GraphQL endpoint (graphqlEndpoint)", () => {
  let rows: Row[];
  let app: Hono;
  /** Requests that got as far as execution (each is given a context then). */
  let executed: number;
  beforeEach(() => {
    rows = ROWS;
    executed = 0;
    app = new Hono();
    const context = () => {
      executed++;
      return { rows };
    };
    app.post("/graphql", graphqlEndpoint(schema, { context, statementTimeoutMs: 100 }));
  });
  const ask = (query: string, variables?: Record<string, unknown>, operationName?: string) =>
    post(app, JSON.stringify({ query, variables, operationName }));

  it("executes a query text once parsed with whatever variables each request brings", async () => {
    const query = "query ($id: String) { rows(where: $id) { items { id size } } }";
    for (const row of ROWS)
      expect(await ask(query, { id: row.id })).to.deep.equal({
        status: 200,
        body: { data: { rows: { items: [row] } } },
      });
    expect(await ask(query, {})).to.deep.equal({ status: 200, body: { data: { rows: { items: ROWS } } } });
    // The context is made per request: answers follow the rows of the moment, not those of the first request.
    rows = [{ id: "z", size: 26 }];
    expect(await ask(query, {})).to.deep.equal({ status: 200, body: { data: { rows: { items: rows } } } });
  });

  it("runs the operation operationName names, and refuses a document of several operations without one", async () => {
    const query = 'query A { rows(where: "a") { items { id } } } query B { rows(where: "b") { items { id } } }';
    expect(await ask(query, undefined, "B")).to.deep.equal({
      status: 200,
      body: { data: { rows: { items: [{ id: "b" }] } } },
    });
    expect(await ask(query, undefined, "A")).to.deep.equal({
      status: 200,
      body: { data: { rows: { items: [{ id: "a" }] } } },
    });
    expect(await ask(query)).to.deep.equal({
      status: 200,
      body: { errors: [{ message: "Must provide operation name if query contains multiple operations." }] },
    });
  });

  it("answers GraphQL errors with 200 and { errors }, every time the same text comes", async () => {
    for (let i = 0; i < 2; i++) {
      expect(await ask("{ rows { items { nope } } }")).to.deep.equal({
        status: 200,
        body: {
          errors: [{ message: 'Cannot query field "nope" on type "row".', locations: [{ line: 1, column: 18 }] }],
        },
      });
      expect(await ask("{ rows { items { id }")).to.deep.include({ status: 200 });
    }
    expect((await ask("{ rows { items { id }")).body).to.deep.equal({
      errors: [{ message: "Syntax Error: Expected Name, found <EOF>.", locations: [{ line: 1, column: 22 }] }],
    });
    // A resolver's error: the data it could give, the error with its path.
    rows = [
      { id: "a", size: 1 },
      { id: "broken", size: -1 },
    ];
    expect(await ask("{ rows { items { id size } } }")).to.deep.equal({
      status: 200,
      body: {
        errors: [
          {
            message: "row broken has no size",
            locations: [{ line: 1, column: 21 }],
            path: ["rows", "items", 1, "size"],
          },
        ],
        data: {
          rows: {
            items: [
              { id: "a", size: 1 },
              { id: "broken", size: null },
            ],
          },
        },
      },
    });
  });

  it("refuses a body that is not a GraphQL request with 400 (415 for another content type), naming the field", async () => {
    const refusal = (status: number, message: string) => ({ status, body: { errors: [{ message }] } });
    expect(await post(app, "{ rows { items { id } } }", "application/graphql")).to.deep.equal(
      refusal(415, 'Content-Type must be application/json for a GraphQL request, got "application/graphql".'),
    );
    expect(await post(app, "{ not json")).to.deep.equal(
      refusal(400, "The request body is not JSON: a GraphQL request is { query, variables?, operationName? }."),
    );
    expect(await post(app, "[1]")).to.deep.equal(
      refusal(400, "The request body must be a JSON object { query, variables?, operationName? }."),
    );
    expect(await post(app, JSON.stringify({ query: " " }))).to.deep.equal(
      refusal(400, "query must be a non-empty string holding the GraphQL document."),
    );
    expect(await post(app, JSON.stringify({ query: "{ rows { items { id } } }", variables: [1] }))).to.deep.equal(
      refusal(400, "variables must be an object mapping variable names to values, or null."),
    );
    expect(await post(app, JSON.stringify({ query: "{ rows { items { id } } }", operationName: 7 }))).to.deep.equal(
      refusal(400, "operationName must be a string naming an operation of the document, or null."),
    );
    // application/json with a charset is JSON; null variables and operationName are absent ones.
    expect(
      await post(
        app,
        JSON.stringify({ query: '{ rows(where: "c") { items { id } } }', variables: null, operationName: null }),
        "application/json; charset=utf-8",
      ),
    ).to.deep.equal({ status: 200, body: { data: { rows: { items: [{ id: "c" }] } } } });
  });

  describe("limits", () => {
    const nested = (levels: number) =>
      `{ rows(limit: 3) { items { ${"next { ".repeat(levels)}id${" }".repeat(levels)} } } }`;

    it("counts depth as fields on the longest path, through fragments, and allows the limit exactly", async () => {
      const max = GRAPHQL_LIMITS.maxOperationDepth;
      // rows, items, then `next` levels, then id.
      expect((await ask(nested(max - 3))).body).to.have.property("data");
      expect((await ask(nested(max - 2))).body).to.deep.equal({
        errors: [
          { message: `Query depth limit of ${max} exceeded, found ${max + 1}.`, locations: [{ line: 1, column: 1 }] },
        ],
      });
      // The same depth reached through a fragment inside an inline fragment.
      const viaFragment = `{ rows { items { ... on row { ...deep } } } } fragment deep on row { ${"next { ".repeat(max - 2)}id${" }".repeat(max - 2)} }`;
      expect((await ask(viaFragment)).body).to.deep.include({
        errors: [
          { message: `Query depth limit of ${max} exceeded, found ${max + 1}.`, locations: [{ line: 1, column: 1 }] },
        ],
      });
    });

    it("counts aliases as executed: an aliased field in a fragment counts each time the fragment is spread", async () => {
      const max = GRAPHQL_LIMITS.maxOperationAliases;
      const aliased = (n: number) =>
        `{ ${Array.from({ length: n }, (_, i) => `a${i}: rows { items { id } }`).join(" ")} }`;
      expect((await ask(aliased(max))).body).to.have.property("data");
      expect((await ask(aliased(max + 1))).body).to.deep.equal({
        errors: [
          { message: `Aliases limit of ${max} exceeded, found ${max + 1}.`, locations: [{ line: 1, column: 1 }] },
        ],
      });
      // 2 aliases in a fragment spread 6 times: 12.
      const spread = `{ rows { items { ${"...two ".repeat(6)}} } } fragment two on row { x: id y: id }`;
      expect((await ask(spread)).body).to.deep.equal({
        errors: [{ message: `Aliases limit of ${max} exceeded, found 12.`, locations: [{ line: 1, column: 1 }] }],
      });
    });

    it("measures fragments spread within fragments once each: 30 levels of doubling are refused at once", async () => {
      // f0 spreads f1 twice, f1 spreads f2 twice, ...: 2^30 paths if each were walked.
      const levels = 30;
      const fragments = Array.from({ length: levels }, (_, i) =>
        i === levels - 1 ? `fragment f${i} on row { z: id }` : `fragment f${i} on row { ...f${i + 1} ...f${i + 1} }`,
      ).join(" ");
      const answer = await ask(`{ rows { items { ...f0 } } } ${fragments}`);
      expect(answer.body).to.deep.equal({
        errors: [
          { message: `Aliases limit of 10 exceeded, found ${2 ** (levels - 1)}.`, locations: [{ line: 1, column: 1 }] },
        ],
      });
    });

    it("refuses fragments that spread each other (graphql-js's rule) without looping", async () => {
      const answer = await ask("{ rows { items { ...a } } } fragment a on row { id ...b } fragment b on row { ...a }");
      expect((answer.body as { errors: { message: string }[] }).errors.map((e) => e.message)).to.include(
        'Cannot spread fragment "a" within itself via "b".',
      );
    });

    it("stops parsing at the token limit", async () => {
      const tokens = GRAPHQL_LIMITS.maxOperationTokens;
      const answer = await ask(`{ rows { items { ${"id ".repeat(tokens)}} } }`);
      expect((answer.body as { errors: { message: string }[] }).errors[0]?.message).to.equal(
        `Syntax Error: Document contains more that ${tokens} tokens. Parsing aborted.`,
      );
    });
  });

  describe("the row budget", () => {
    const max = GRAPHQL_LIMITS.maxRows;
    const over = (rows: number) => ({
      status: 400,
      body: {
        errors: [
          {
            message: `The query asks for up to ${rows} rows (each list's limit plus offset, times the items of the lists it is inside), more than the ${max} a query may: lower limit or offset, or page on with the after cursor.`,
          },
        ],
      },
    });

    it("counts each list's limit plus offset and refuses, before running it, a query asking for more than the budget", async () => {
      expect((await ask(`{ rows(limit: ${max}) { items { id } } }`)).body).to.have.property("data");
      expect(executed).to.equal(1);
      expect(await ask(`{ rows(limit: ${max}, offset: 1) { items { id } } }`)).to.deep.equal(over(max + 1));
      // Lists side by side add up, through fragments too; a list without limit counts Ponder's default.
      const most = max - DEFAULT_PAGE_LIMIT;
      const twoLists = (first: number) =>
        `{ rows(limit: ${first}) { items { id } } ...more } fragment more on Query { a: rows { items { id } } }`;
      expect((await ask(twoLists(most))).body).to.have.property("data");
      expect(await ask(twoLists(most + 1))).to.deep.equal(over(max + 1));
      expect(executed).to.equal(2);
    });

    it("multiplies what is inside a list's items by its limit, and counts a single row as one", async () => {
      const nested = (outer: number, inner: number) =>
        `{ rows(limit: ${outer}) { items { id children(limit: ${inner}) { items { id } } } } }`;
      expect((await ask(nested(30, 32))).body).to.have.property("data"); // 30 + 30 × 32 = 990
      expect(await ask(nested(30, 33))).to.deep.equal(over(1020));
      // row, then next 3 times inside each of 250 items: 1 + 250 + 250 × 3.
      expect(await ask(`{ row { id } rows(limit: 250) { items { next { next { next { id } } } } } }`)).to.deep.equal(
        over(1001),
      );
    });

    it("reads limit and offset from each request's variables", async () => {
      const query = "query ($n: Int, $skip: Int) { rows(limit: $n, offset: $skip) { items { id } } }";
      expect(await ask(query, { n: 2, skip: 1 })).to.deep.equal({
        status: 200,
        body: { data: { rows: { items: [{ id: "b" }, { id: "c" }] } } },
      });
      expect(await ask(query, { n: max, skip: 5 })).to.deep.equal(over(max + 5));
      expect((await ask(query, {})).body).to.have.property("data");
    });

    it("counts fragments spread within fragments once each: 30 levels of doubling are refused at once", async () => {
      const levels = 30;
      const fragments = Array.from({ length: levels }, (_, i) =>
        i === levels - 1
          ? `fragment f${i} on Query { rows(limit: 1) { items { id } } }`
          : `fragment f${i} on Query { ...f${i + 1} ...f${i + 1} }`,
      ).join(" ");
      expect(await ask(`{ ...f0 } ${fragments}`)).to.deep.equal(over(2 ** (levels - 1)));
    });
  });

  describe("the statement timeout", () => {
    const timeout = {
      status: 503,
      body: {
        errors: [
          {
            message:
              "The request's database reads ran past the API's statement timeout of 100 ms and were stopped: ask for fewer rows (a smaller limit) or try again later.",
          },
        ],
      },
    };

    it("answers 503 with a sentence, not a late answer, when the reads ran past it", async () => {
      expect(await ask("{ slow(ms: 1) }")).to.deep.equal({ status: 200, body: { data: { slow: 1 } } });
      expect(await ask("{ slow(ms: 150) rows { items { id } } }")).to.deep.equal(timeout);
    });

    it("answers 503, not a partial answer, when Postgres cancelled one of the reads", async () => {
      expect(await ask("{ rows { items { id } } cancelled }")).to.deep.equal(timeout);
    });
  });
});

describe("indexer GraphQL digest filters (Ponder's schema): assetHash and packetHash read as REST reads sha256", () => {
  const ASSET = `0x${"9f".repeat(16)}${"0a".repeat(16)}`;
  let schema: GraphQLSchema;
  let app: Hono;
  /** The values Ponder's resolvers bound into each SQL filter they built, in order. */
  let bound: unknown[][];
  before(async () => {
    schema = await ponderSchema(tables);
  });
  beforeEach(() => {
    bound = [];
    // Ponder's plural resolvers read `qb.raw.select().from(table).where(filter).orderBy().limit().offset()`.
    const read = {
      from: () => read,
      where: (filter: unknown) => {
        bound.push(boundValues(filter));
        return read;
      },
      orderBy: () => read,
      limit: () => read,
      offset: async () => [],
    };
    const qb = { raw: { select: () => read } };
    app = new Hono();
    app.post("/graphql", graphqlEndpoint(schema, { context: () => ({ qb }), statementTimeoutMs: 1_000 }));
  });
  const ask = (query: string, variables?: Record<string, unknown>) => post(app, JSON.stringify({ query, variables }));

  it("offers on every digest column exactly the filters it normalises", () => {
    for (const [type, columns] of [
      ["entryFilter", ["assetHash", "packetHash"]],
      ["commitFilter", ["packetHash"]],
    ] as const) {
      const fields = Object.keys((schema.getType(type) as GraphQLInputObjectType).getFields());
      for (const column of columns)
        expect(fields.filter((f) => f.startsWith(column)).sort()).to.deep.equal(
          Object.keys(DIGEST_FILTER_SUFFIXES)
            .map((suffix) => `${column}${suffix}`)
            .sort(),
        );
    }
    expect(DIGEST_COLUMNS).to.have.members(["assetHash", "packetHash"]);
  });

  it("filters by a digest given with or without 0x, in any case, as the stored lowercase 0x form", async () => {
    const bare = ASSET.slice(2).toUpperCase();
    const query = "query ($h: String) { entrys(where: { assetHash: $h }) { items { id } } }";
    for (const given of [ASSET, bare, `0X${bare}`]) {
      expect(await ask(query, { h: given })).to.deep.equal({ status: 200, body: { data: { entrys: { items: [] } } } });
    }
    expect(bound).to.deep.equal([[ASSET], [ASSET], [ASSET]]);
    bound = [];
    await ask(
      `{ entrys(where: { OR: [{ assetHash_in: ["${bare}"] }, { packetHash_not: "${bare.toLowerCase()}" }] }) { items { id } } }`,
    );
    await ask(`{ commits(where: { packetHash: "${bare}" }) { items { id } } }`);
    await ask(`{ entrys(where: { assetHash_starts_with: "9F9F", assetHash_ends_with: "0A" }) { items { id } } }`);
    expect(bound).to.deep.equal([[ASSET, ASSET], [ASSET], ["0x9f9f%", "%0a"]]);
  });

  it("refuses what is not a digest with a GraphQL error naming the argument, before any read", async () => {
    const refused = (argument: string, value: string, what = "64 hex digits") => ({
      status: 200,
      body: {
        errors: [
          {
            message: `${argument} must be ${what} (with or without 0x), got ${JSON.stringify(value)}.`,
            locations: [{ line: 1, column: 3 }],
            path: ["entrys"],
            extensions: { code: "BAD_USER_INPUT" },
          },
        ],
        data: null,
      },
    });
    expect(await ask('{ entrys(where: { assetHash: "zz" }) { items { id } } }')).to.deep.equal(
      refused("where.assetHash", "zz"),
    );
    expect(
      await ask(`{ entrys(where: { AND: [{ packetHash_in: ["${ASSET}", "0x12"] }] }) { items { id } } }`),
    ).to.deep.equal(refused("where.AND[0].packetHash_in[1]", "0x12"));
    expect(await ask('{ entrys(where: { assetHash_contains: "xyz" }) { items { id } } }')).to.deep.equal(
      refused("where.assetHash_contains", "xyz", "1 to 64 hex digits"),
    );
    expect(bound).to.deep.equal([]);
  });
});

/** The values a Drizzle SQL filter binds as parameters, in order (its Param chunks). */
function boundValues(filter: unknown): unknown[] {
  // A string among the chunks is a value (the SQL text is in StringChunk objects).
  if (typeof filter === "string") return [filter];
  if (Array.isArray(filter)) return filter.flatMap(boundValues);
  if (filter === null || typeof filter !== "object") return [];
  if ("encoder" in filter && "value" in filter) return [filter.value];
  if ("queryChunks" in filter && Array.isArray(filter.queryChunks)) return filter.queryChunks.flatMap(boundValues);
  return [];
}

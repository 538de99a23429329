/**
 * The indexer's HTTP API, served by Ponder next to its own /health, /ready,
 * /status and /metrics: GraphQL at /graphql (POST: graphql.ts over Ponder's
 * schema; GET: Ponder's GraphiQL) and the REST routes of app.ts. Its settings
 * come from the environment (config.ts): the statement timeout is set on
 * Ponder's read-only connections here, before anything reads through them.
 */
import { db, publicClients } from "ponder:api";
import schema from "ponder:schema";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import { graphql } from "ponder";
import config from "../../ponder.config.ts";
import { createApiApp } from "./app.ts";
import { apiConfig } from "./config.ts";
import { graphqlEndpoint } from "./graphql.ts";
import { GRAPHQL_MAX_BODY_BYTES } from "./graphqlLimits.ts";
import { ponderGraphql } from "./ponderGraphql.ts";
import { limitReadonlyStatements, ponderDatabase } from "./readonlyPool.ts";
import { clientReads, registryReader } from "./registry.ts";
import { createStore } from "./store.ts";

const settings = apiConfig();
const database = ponderDatabase();
limitReadonlyStatements(database, settings.statementTimeoutMs);

const app = new Hono();

// Public and read-only, as the REST routes (app.ts): a page of any origin (the audit web app) may query it.
app.use("/graphql", cors({ origin: "*", allowMethods: ["GET", "POST"], allowHeaders: ["content-type"] }));
app.use(
  "/graphql",
  bodyLimit({
    maxSize: GRAPHQL_MAX_BODY_BYTES,
    onError: (c) => c.json({ errors: [{ message: `The request body exceeds ${GRAPHQL_MAX_BODY_BYTES} bytes.` }] }, 413),
  }),
);
const graphqlSchema = await ponderGraphql(schema, database);
app.post(
  "/graphql",
  graphqlEndpoint(graphqlSchema.schema, {
    context: graphqlSchema.context,
    statementTimeoutMs: settings.statementTimeoutMs,
  }),
);
// GET answers with GraphiQL, which then POSTs.
app.get("/graphql", graphql({ db, schema }));

app.route(
  "/",
  createApiApp(
    {
      store: createStore(db, schema),
      registry: registryReader(clientReads(publicClients.base, config.contracts.ProcessAnchorRegistry.address)),
      baseChainId: config.chains.base.id,
      statementTimeoutMs: settings.statementTimeoutMs,
      publicUrl: settings.publicUrl,
    },
    (error) => console.error("indexer API:", error),
  ),
);

export default app;

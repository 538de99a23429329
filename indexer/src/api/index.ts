/**
 * The indexer's HTTP API, served by Ponder next to its own /health, /ready,
 * /status and /metrics: GraphQL at /graphql (POST: graphql.ts over Ponder's
 * schema; GET: Ponder's GraphiQL) and the REST routes of app.ts.
 */
import { db, publicClients } from "ponder:api";
import schema from "ponder:schema";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { graphql } from "ponder";
import config from "../../ponder.config.ts";
import { createApiApp } from "./app.ts";
import { graphqlEndpoint } from "./graphql.ts";
import { GRAPHQL_MAX_BODY_BYTES } from "./graphqlLimits.ts";
import { ponderGraphql } from "./ponderGraphql.ts";
import { registryReader } from "./registry.ts";
import { createStore } from "./store.ts";

const app = new Hono();

app.use(
  "/graphql",
  bodyLimit({
    maxSize: GRAPHQL_MAX_BODY_BYTES,
    onError: (c) => c.json({ errors: [{ message: `The request body exceeds ${GRAPHQL_MAX_BODY_BYTES} bytes.` }] }, 413),
  }),
);
const graphqlSchema = await ponderGraphql(schema);
app.post("/graphql", graphqlEndpoint(graphqlSchema.schema, graphqlSchema.context));
// GET answers with GraphiQL, which then POSTs.
app.get("/graphql", graphql({ db, schema }));

app.route(
  "/",
  createApiApp(
    {
      store: createStore(db, schema),
      registry: registryReader(publicClients.base, config.contracts.ProcessAnchorRegistry.address),
      baseChainId: config.chains.base.id,
    },
    (error) => console.error("indexer API:", error),
  ),
);

export default app;

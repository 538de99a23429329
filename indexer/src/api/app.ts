/**
 * The REST routes as a Hono app over {@link ApiDeps}: index.ts mounts it in
 * Ponder's server; tests run it over rows of their own. Every answer is JSON
 * (but GET /, which is HTML for a browser: home.ts);
 * errors are `{ "error": "<sentence naming the parameter and the problem>" }`
 * with 400 (malformed parameter), 404 (nothing indexed under it, or no such
 * route), 502 (the chain could not be read) or 503 (the database reads ran
 * past the statement timeout). Each request's reads share one deadline.
 */
import { type Context, Hono } from "hono";
import { cors } from "hono/cors";
import { anchorDetail } from "./anchors.ts";
import { assetProvenance } from "./assets.ts";
import { boundedStore } from "./boundedStore.ts";
import { Deadline, timeoutAnswer } from "./deadline.ts";
import type { ApiDeps } from "./deps.ts";
import { homePage, REST_ROUTES } from "./home.ts";
import { jobTimeline } from "./jobs.ts";
import { certificateMetadata } from "./metadata.ts";
import { ApiError } from "./params.ts";
import { tenantCompleteness } from "./tenants.ts";

export const ROUTES = REST_ROUTES.map(([route]) => route);

export function createApiApp(deps: ApiDeps, log: (error: unknown) => void = () => {}): Hono {
  const app = new Hono();
  /** The deps of one request: its reads bounded by a deadline of their own. */
  const request = (): ApiDeps => ({ ...deps, store: boundedStore(deps.store, new Deadline(deps.statementTimeoutMs)) });
  const limit = (c: Context) => c.req.queries("limit");
  // Public, read-only answers: any origin may read them (the audit web app runs on another origin).
  app.use("/api/*", cors({ origin: "*", allowMethods: ["GET", "HEAD"] }));
  app.use("/metadata/*", cors({ origin: "*", allowMethods: ["GET", "HEAD"] }));
  app.get("/", homePage(deps.publicUrl));
  app.get("/api/anchors/:tenant/:chainId", async (c) =>
    c.json(await anchorDetail(request(), c.req.param("tenant"), c.req.param("chainId"))),
  );
  app.get("/api/assets/:sha256", async (c) =>
    c.json(await assetProvenance(request(), c.req.param("sha256"), limit(c))),
  );
  app.get("/api/jobs/:jobId/timeline", async (c) =>
    c.json(await jobTimeline(request(), c.req.param("jobId"), limit(c))),
  );
  app.get("/api/tenants/:tenant/completeness", async (c) =>
    c.json(await tenantCompleteness(request(), c.req.param("tenant"))),
  );
  app.get("/metadata/:file", async (c) => {
    const file = c.req.param("file");
    if (!file.endsWith(".json"))
      throw new ApiError(404, `No route GET ${c.req.path}: certificate metadata is served at /metadata/{id}.json.`);
    return c.json(await certificateMetadata(request(), file.slice(0, -".json".length)));
  });
  app.all("/api/*", (c) =>
    c.json({ error: `No route ${c.req.method} ${c.req.path}: the REST routes are ${ROUTES.join(", ")}.` }, 404),
  );
  app.onError((error, c) => {
    const answer = error instanceof ApiError ? error : timeoutAnswer(error, deps.statementTimeoutMs);
    if (answer !== undefined) return c.json({ error: answer.message }, answer.status);
    log(error);
    return c.json({ error: `Internal error while answering ${c.req.method} ${c.req.path}.` }, 500);
  });
  return app;
}

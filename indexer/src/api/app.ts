/**
 * The REST routes as a Hono app over {@link ApiDeps}: index.ts mounts it in
 * Ponder's server; tests run it over rows of their own. Every answer is JSON;
 * errors are `{ "error": "<sentence naming the parameter and the problem>" }`
 * with 400 (malformed parameter), 404 (nothing indexed under it, or no such
 * route) or 502 (the chain could not be read).
 */
import { Hono } from "hono";
import { anchorDetail } from "./anchors.ts";
import { assetProvenance } from "./assets.ts";
import type { ApiDeps } from "./deps.ts";
import { jobTimeline } from "./jobs.ts";
import { certificateMetadata } from "./metadata.ts";
import { ApiError } from "./params.ts";
import { tenantCompleteness } from "./tenants.ts";

export const ROUTES = [
  "GET /api/anchors/:tenant/:chainId",
  "GET /api/assets/:sha256",
  "GET /api/jobs/:jobId/timeline",
  "GET /api/tenants/:tenant/completeness",
  "GET /metadata/:id.json",
] as const;

export function createApiApp(deps: ApiDeps, log: (error: unknown) => void = () => {}): Hono {
  const app = new Hono();
  app.get("/api/anchors/:tenant/:chainId", async (c) =>
    c.json(await anchorDetail(deps, c.req.param("tenant"), c.req.param("chainId"))),
  );
  app.get("/api/assets/:sha256", async (c) => c.json(await assetProvenance(deps, c.req.param("sha256"))));
  app.get("/api/jobs/:jobId/timeline", async (c) => c.json(await jobTimeline(deps, c.req.param("jobId"))));
  app.get("/api/tenants/:tenant/completeness", async (c) =>
    c.json(await tenantCompleteness(deps, c.req.param("tenant"))),
  );
  app.get("/metadata/:file", async (c) => {
    const file = c.req.param("file");
    if (!file.endsWith(".json"))
      throw new ApiError(404, `No route GET ${c.req.path}: certificate metadata is served at /metadata/{id}.json.`);
    return c.json(await certificateMetadata(deps, file.slice(0, -".json".length), new URL(c.req.url).origin));
  });
  app.all("/api/*", (c) =>
    c.json({ error: `No route ${c.req.method} ${c.req.path}: the REST routes are ${ROUTES.join(", ")}.` }, 404),
  );
  app.onError((error, c) => {
    if (error instanceof ApiError) return c.json({ error: error.message }, error.status);
    log(error);
    return c.json({ error: `Internal error while answering ${c.req.method} ${c.req.path}.` }, 500);
  });
  return app;
}

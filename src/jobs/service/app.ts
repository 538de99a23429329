/**
 * The receipts service's HTTP app (routes.ts for the paths and schemas).
 * Every error is JSON `{ error: { code, message, field? } }` (errors.ts); bad
 * input is always a 4xx naming the field, never a 500.
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import { HTTPException } from "hono/http-exception";
import type { ZodError } from "zod";
import type { WebApp } from "../../web/assets.ts";
import { serveWebApp, WEB_APP_PATHS, type WebDefaults } from "../../web/routes.ts";
import { type ArtifactDeps, downloadArtifact, verifyArtifactContent } from "./artifacts.ts";
import { type AuthVariables, apiKeyAuth } from "./auth.ts";
import { ServiceError } from "./errors.ts";
import { completeJob, type EventDeps, receiptByKey, submitJob } from "./events.ts";
import { type HealthDeps, health } from "./health.ts";
import { jobTimeline, listJobs } from "./queries.ts";
import { type RateLimit, TokenBuckets } from "./rateLimit.ts";
import {
  completeRoute,
  downloadRoute,
  healthRoute,
  listRoute,
  simulateRoute,
  submitRoute,
  timelineRoute,
  verifyArtifactAliasRoute,
  verifyArtifactRoute,
} from "./routes.ts";
import type { Receipt, VerifyArtifactBody } from "./schemas.ts";
import type { JobSimulator } from "./simulate.ts";

export interface AppDeps extends EventDeps, HealthDeps, ArtifactDeps {
  /** Largest request body accepted (413 beyond); default 1 MiB. */
  readonly bodyLimitBytes?: number;
  readonly rateLimit: RateLimit;
  /** How long `?wait=commit` waits for the commit before answering 202; default 30 s. */
  readonly waitTimeoutMs?: number;
  /** Reports unexpected errors (answered 500). */
  readonly log?: (error: unknown) => void;
  /**
   * Origins whose pages may call the routes (CORS: a static web app on another host), or `*`; none by
   * default. Keys travel in headers, never cookies, so an allowed origin gains nothing without a key.
   */
  readonly corsOrigins?: readonly string[];
  /** Runs simulated jobs for POST /api/jobs/simulate; the route answers 404 without it. */
  readonly simulator?: JobSimulator;
  /** The audit web app, served at `/` (src/web). */
  readonly web?: { readonly app: () => Promise<WebApp>; readonly defaults: WebDefaults };
}

export const PATHS = [
  "/api/health",
  "/api/jobs/submit",
  "/api/jobs/complete",
  "/api/jobs/simulate",
  "/api/jobs/list",
  "/api/jobs/timeline/{jobId}",
  "/api/artifacts/download/{jobId}",
  "/api/artifacts/verify-c2pa",
  "/api/artifacts/verify",
  "/api/openapi.json",
];

/** The first problem of a failed validation as a 400 naming its field; all of them under `issues`. */
function validationError(error: ZodError, target: string): ServiceError {
  const issues = error.issues.map((issue) => {
    const path = issue.code === "unrecognized_keys" ? [...issue.path, issue.keys[0] ?? ""] : issue.path;
    const field = path.length === 0 ? target : path.join(".");
    const problem = issue.code === "unrecognized_keys" ? "is not a field this route takes" : issue.message;
    return { field, message: `${field}: ${problem}.` };
  });
  const [first] = issues;
  return new ServiceError(400, "invalid_request", first?.message ?? `The ${target} is invalid.`, {
    field: first?.field ?? target,
    extra: { issues },
  });
}

const JSON_TYPE = /^application\/([\w.-]+\+)?json$/i;

export function createReceiptsApp(deps: AppDeps) {
  const app = new OpenAPIHono<{ Variables: AuthVariables }>({
    defaultHook: (result) => {
      if (!result.success) {
        const target = (result as { target?: string }).target ?? "body";
        throw validationError(result.error, target === "json" ? "body" : target);
      }
      return undefined;
    },
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", { type: "http", scheme: "bearer" });
  app.openAPIRegistry.registerComponent("securitySchemes", "apiKey", {
    type: "apiKey",
    in: "header",
    name: "x-api-key",
  });

  if (deps.corsOrigins !== undefined && deps.corsOrigins.length > 0) {
    const origins = deps.corsOrigins;
    app.use(
      "/api/*",
      cors({
        origin: origins.includes("*") ? "*" : [...origins],
        allowMethods: ["GET", "POST"],
        allowHeaders: ["authorization", "x-api-key", "content-type"],
        exposeHeaders: ["retry-after", "content-disposition"],
        maxAge: 600,
      }),
    );
  }
  const auth = apiKeyAuth(deps.db, new TokenBuckets(deps.rateLimit));
  const limit = bodyLimit({
    maxSize: deps.bodyLimitBytes ?? 1024 * 1024,
    onError: () => {
      throw new ServiceError(
        413,
        "body_too_large",
        `The request body is larger than ${deps.bodyLimitBytes ?? 1024 * 1024} bytes.`,
        {
          field: "body",
        },
      );
    },
  });
  const jsonOnly = async (c: Context, next: () => Promise<void>) => {
    const type = c.req.header("content-type")?.split(";")[0]?.trim() ?? "";
    if (!JSON_TYPE.test(type))
      throw new ServiceError(
        415,
        "unsupported_media_type",
        "The body must be JSON, sent with Content-Type: application/json.",
        {
          field: "content-type",
        },
      );
    await next();
  };
  for (const path of [
    "/api/jobs/submit",
    "/api/jobs/complete",
    "/api/jobs/simulate",
    "/api/artifacts/verify-c2pa",
    "/api/artifacts/verify",
  ])
    app.use(path, limit, auth, jsonOnly);
  for (const path of ["/api/jobs/list", "/api/jobs/timeline/*", "/api/artifacts/download/*"]) app.use(path, auth);

  /** 200 once committed; else 202. `?wait=commit` first polls the event until committed or the wait runs out. */
  const answer = async (c: Context, receipt: Receipt, wait: string | undefined) => {
    let current = receipt;
    if (wait === "commit") {
      const deadline = Date.now() + (deps.waitTimeoutMs ?? 30_000);
      while (current.status !== "committed" && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        current = (await receiptByKey(deps.db, receipt.idempotencyKey)) ?? current;
      }
    }
    return c.json(current, current.status === "committed" ? 200 : 202);
  };

  app.openapi(healthRoute, async (c) => {
    const report = await health(deps);
    return c.json(report, report.status === "down" ? 503 : 200);
  });
  app.openapi(submitRoute, async (c) =>
    answer(c, await submitJob(deps, c.get("tenantId"), c.req.valid("json")), c.req.valid("query").wait),
  );
  app.openapi(completeRoute, async (c) =>
    answer(c, await completeJob(deps, c.get("tenantId"), c.req.valid("json")), c.req.valid("query").wait),
  );
  app.openapi(simulateRoute, async (c) => {
    if (deps.simulator === undefined)
      throw new ServiceError(
        404,
        "simulator_off",
        "The job simulator is off on this service: it runs only for demos, when pop serve is started with POP_SERVE_SIMULATOR_TIME_SCALE.",
      );
    return c.json(await deps.simulator.start(c.get("tenantId"), c.req.valid("json")), 202);
  });
  app.openapi(listRoute, async (c) => c.json(await listJobs(deps.db, c.get("tenantId"), c.req.valid("query")), 200));
  app.openapi(timelineRoute, async (c) =>
    c.json(await jobTimeline(deps.db, c.get("tenantId"), c.req.valid("param").jobId), 200),
  );
  app.openapi(downloadRoute, async (c) => {
    const { jobId } = c.req.valid("param");
    const bytes = await downloadArtifact(deps, c.get("tenantId"), jobId);
    // The exact signed bytes: re-serialising (c.json) could change them.
    return c.body(bytes as Uint8Array<ArrayBuffer>, 200, {
      "content-type": "application/json",
      "content-disposition": `attachment; filename*=UTF-8''${encodeURIComponent(jobId)}.pop-artifact.json`,
    }) as never;
  });
  const verifyHandler = async (c: Context) => {
    const { artifactContent } = (c.req as unknown as { valid(target: "json"): VerifyArtifactBody }).valid("json");
    return c.json(await verifyArtifactContent(deps, artifactContent), 200);
  };
  app.openapi(verifyArtifactRoute, verifyHandler as never);
  app.openapi(verifyArtifactAliasRoute, verifyHandler as never);
  app.doc("/api/openapi.json", {
    openapi: "3.0.3",
    info: {
      title: "Proof of Process receipts service",
      version: "1.0.0",
      description:
        "GPU job lifecycle receipts: each event becomes a signed evidence packet, stored and committed on Numbers (ERC-7053).",
    },
  });

  if (deps.web !== undefined) serveWebApp(app, deps.web.app, deps.web.defaults);
  const paths = [...(deps.web === undefined ? [] : WEB_APP_PATHS), ...PATHS];
  app.notFound((c) =>
    c.json(
      {
        error: {
          code: "not_found",
          message: `No route ${c.req.method} ${c.req.path}: the routes are ${paths.join(", ")}.`,
        },
      },
      404,
    ),
  );
  app.onError((error, c) => {
    if (error instanceof ServiceError) {
      for (const [name, value] of Object.entries(error.headers ?? {})) c.header(name, value);
      return c.json(error.body(), error.status);
    }
    if (error instanceof HTTPException && error.status === 400)
      return c.json({ error: { code: "invalid_json", message: "The body is not valid JSON.", field: "body" } }, 400);
    deps.log?.(error);
    return c.json(
      { error: { code: "internal", message: `Internal error while answering ${c.req.method} ${c.req.path}.` } },
      500,
    );
  });
  return app;
}

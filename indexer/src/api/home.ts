/**
 * GET / — what this server is and where its API is, for whoever opens the
 * indexer's address: a small HTML page for a browser, the same as JSON for
 * anything else (curl asks for any type, and gets JSON like every other
 * route). Links are relative, or under POP_AUDIT_PUBLIC_URL when it is set (a
 * proxy may serve the API under a path).
 */
import type { Context } from "hono";
import { accepts } from "hono/accepts";
import { html, raw } from "hono/html";

export const SERVICE = "Proof of Process audit API";

/** The REST routes (app.ts serves them) and what each answers. */
export const REST_ROUTES = [
  ["GET /api/anchors/:tenant/:chainId", "one anchor, its chain and its verification report"],
  ["GET /api/assets/:sha256", "where an asset (by SHA-256, with or without 0x) was produced, oldest anchor first"],
  ["GET /api/jobs/:jobId/timeline", "a GPU job's Numbers commits and the Base anchors of their packets"],
  ["GET /api/tenants/:tenant/completeness", "whether the index holds every anchor of a tenant"],
  ["GET /metadata/:id.json", "ERC-1155 metadata of an anchor's certificate"],
] as const;

/** Ponder's own routes on the same server. */
const SERVER_ROUTES = [
  ["GET /health", "200 while the process serves"],
  ["GET /ready", "200 once indexing has caught up"],
  ["GET /status", "each chain's latest indexed block"],
  ["GET /metrics", "Prometheus metrics"],
] as const;

export interface HomeRoute {
  readonly route: string;
  readonly answers: string;
  /** Where to go: only for routes without parameters. */
  readonly href?: string;
}

export interface Home {
  readonly service: string;
  readonly rest: readonly HomeRoute[];
  readonly graphql: { readonly endpoint: string; readonly graphiql: string; readonly answers: string };
  readonly ponder: readonly HomeRoute[];
  readonly documentation: string;
}

/** The page's content, its links under `base` (no trailing slash; "" for relative links). */
export function home(base: string): Home {
  const route = ([route, answers]: readonly [string, string]): HomeRoute => {
    const path = route.slice(route.indexOf(" ") + 1);
    return path.includes(":") ? { route, answers } : { route, answers, href: `${base}${path}` };
  };
  return {
    service: SERVICE,
    rest: REST_ROUTES.map(route),
    graphql: {
      endpoint: `${base}/graphql`,
      graphiql: `${base}/graphql`,
      answers: "POST a JSON { query, variables?, operationName? }; open it in a browser for GraphiQL",
    },
    ponder: SERVER_ROUTES.map(route),
    documentation: "docs/indexer.md in the project's repository",
  };
}

function page(content: Home) {
  const rows = (routes: readonly HomeRoute[]) =>
    routes.map(
      ({ route, answers, href }) =>
        html`<li>${href === undefined ? html`<code>${route}</code>` : html`<a href="${href}"><code>${route}</code></a>`}: ${answers}</li>`,
    );
  return html`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>${content.service}</title></head>
<body>
<h1>${content.service}</h1>
<p>Anchors of process evidence on Base, their verification, and the Numbers commits of GPU jobs, as this indexer holds them.</p>
<h2>GraphQL</h2>
<p><a href="${content.graphql.graphiql}">GraphiQL</a> (in the browser); queries: <code>POST ${content.graphql.endpoint}</code> with <code>Content-Type: application/json</code>.</p>
<h2>REST</h2>
<ul>
${raw(rows(content.rest).join("\n"))}
</ul>
<h2>Service</h2>
<ul>
${raw(rows(content.ponder).join("\n"))}
</ul>
<p>Reference: ${content.documentation}.</p>
</body>
</html>
`;
}

/** The GET / handler. */
export function homePage(publicUrl: string | undefined) {
  const content = home(publicUrl ?? "");
  return (c: Context) => {
    const type = accepts(c, {
      header: "Accept",
      supports: ["application/json", "text/html"],
      default: "application/json",
    });
    return type === "text/html" ? c.html(page(content)) : c.json(content);
  };
}

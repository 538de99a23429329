import { expect } from "chai";
import { ServeConfigError, serveSettingsFromEnv } from "../../../src/jobs/service/config.ts";
import { freshDatabaseEach, sharedPgliteTarget } from "../../helpers/databases.ts";
import { apiKey, type Running, startService } from "./harness.ts";

const PAGE = "https://audit.example.org";

/** A browser's preflight for a POST with the key and a JSON body, from `origin`. */
const preflight = (url: string, origin: string) =>
  fetch(`${url}/api/jobs/submit`, {
    method: "OPTIONS",
    headers: {
      origin,
      "access-control-request-method": "POST",
      "access-control-request-headers": "x-api-key, content-type",
    },
  });

describe("receipts service: pages of other origins (POP_SERVE_CORS_ORIGINS)", function () {
  this.timeout(30_000);
  const db = freshDatabaseEach(sharedPgliteTarget);
  let running: Running | undefined;
  afterEach(async () => {
    await running?.close();
    running = undefined;
  });

  it("answers an allowed origin's preflight and requests, and gives other origins no CORS headers", async () => {
    running = await startService(db(), { worker: false, corsOrigins: [PAGE] });
    const allowed = await preflight(running.url, PAGE);
    expect(allowed.status).to.equal(204);
    expect(allowed.headers.get("access-control-allow-origin")).to.equal(PAGE);
    expect(allowed.headers.get("access-control-allow-headers")).to.include("x-api-key");
    const key = await apiKey(db());
    const list = await fetch(`${running.url}/api/jobs/list`, { headers: { origin: PAGE, "x-api-key": key } });
    expect(list.status).to.equal(200);
    expect(list.headers.get("access-control-allow-origin")).to.equal(PAGE);
    const other = await fetch(`${running.url}/api/jobs/list`, {
      headers: { origin: "https://elsewhere.example", "x-api-key": key },
    });
    expect(other.headers.get("access-control-allow-origin")).to.equal(null);
  });

  it("gives no CORS headers at all by default", async () => {
    running = await startService(db(), { worker: false });
    const answer = await preflight(running.url, PAGE);
    expect(answer.headers.get("access-control-allow-origin")).to.equal(null);
  });

  it("reads the origins from the environment and names a value that is not an origin", () => {
    expect(serveSettingsFromEnv({}).corsOrigins).to.equal(undefined);
    expect(
      serveSettingsFromEnv({ POP_SERVE_CORS_ORIGINS: " https://a.example , http://127.0.0.1:5173 " }).corsOrigins,
    ).to.deep.equal(["https://a.example", "http://127.0.0.1:5173"]);
    expect(serveSettingsFromEnv({ POP_SERVE_CORS_ORIGINS: "*" }).corsOrigins).to.deep.equal(["*"]);
    for (const bad of ["https://a.example/", "https://a.example/app", "a.example"])
      expect(() => serveSettingsFromEnv({ POP_SERVE_CORS_ORIGINS: bad }), bad).to.throw(
        ServeConfigError,
        /POP_SERVE_CORS_ORIGINS must list origins/,
      );
  });
});

/**
 * The audit web app (web/) as the files a browser loads: index.html, app.css, and app.js bundled by esbuild
 * from web/src with the project's own verifier (src/verify, src/evidence on its portable crypto backend).
 * Built in memory when first asked for (about half a second), so `npm ci` then `pop serve` needs no build
 * step, and a server nobody opens in a browser never builds it.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";

export interface WebFile {
  readonly bytes: Uint8Array;
  /** The same bytes gzipped, for browsers that accept it (the bundle: about 520 KB, 166 KB gzipped). */
  readonly gzip: Uint8Array;
  readonly contentType: string;
}

/** The app's files by the path a browser asks for them at ("/" is index.html). */
export type WebApp = ReadonlyMap<string, WebFile>;

/** The paths of {@link buildWebApp}'s files. */
export const WEB_PATHS = ["/", "/app.css", "/app.js"] as const;

const WEB_DIR = fileURLToPath(new URL("../../web/", import.meta.url));

/** Bundles web/src/main.ts for browsers: one minified ES module, no source read at run time. */
async function bundle(): Promise<Uint8Array> {
  const result = await build({
    entryPoints: [join(WEB_DIR, "src/main.ts")],
    bundle: true,
    format: "esm",
    platform: "browser",
    target: ["es2022"],
    minify: true,
    write: false,
    legalComments: "none",
    logLevel: "silent",
  });
  const [output] = result.outputFiles;
  if (output === undefined) throw new Error("esbuild wrote no bundle for the web app.");
  return output.contents;
}

/** Builds the web app's files. */
export async function buildWebApp(): Promise<WebApp> {
  const [html, css, js] = await Promise.all([
    readFile(join(WEB_DIR, "index.html")),
    readFile(join(WEB_DIR, "app.css")),
    bundle(),
  ]);
  const file = (bytes: Uint8Array, contentType: string): WebFile => ({
    bytes,
    gzip: gzipSync(bytes, { level: 9 }),
    contentType,
  });
  return new Map<string, WebFile>([
    ["/", file(html, "text/html; charset=utf-8")],
    ["/app.css", file(css, "text/css; charset=utf-8")],
    ["/app.js", file(js, "text/javascript; charset=utf-8")],
  ]);
}

/** The web app, built once on first use (a failed build is tried again on the next). */
export function lazyWebApp(): () => Promise<WebApp> {
  let built: Promise<WebApp> | undefined;
  return () => {
    built ??= buildWebApp().catch((error: unknown) => {
      built = undefined;
      throw error;
    });
    return built;
  };
}

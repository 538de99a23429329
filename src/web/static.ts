/**
 * The web app as static files for any host (`pop web build <dir>`): index.html, app.css, app.js and a
 * config.json with the endpoints its pages start from. The pages then read the chain, the gateways, the
 * indexer and the receipts service directly, so those must answer the host's origin (CORS).
 */
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { getAddress, isAddress } from "viem";
import { BaseError } from "../errors.ts";
import { buildWebApp } from "./assets.ts";
import { type WebDefaults, webConfig } from "./routes.ts";

/** A setting of the static build that cannot be used; `field` names it. */
export class WebBuildError extends BaseError {
  override name = "WebBuildError";
  readonly field: string;
  constructor(field: string, message: string) {
    super(`${field}: ${message}`);
    this.field = field;
  }
}

function httpUrl(field: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!URL.canParse(value) || !["http:", "https:"].includes(new URL(value).protocol))
    throw new WebBuildError(field, `must be an http:// or https:// URL, got ${JSON.stringify(value.slice(0, 200))}.`);
  return value;
}

/** The defaults checked: URLs are http(s), the registry an address (checksummed). */
export function checkWebDefaults(defaults: WebDefaults): WebDefaults {
  if (defaults.registry !== undefined && !isAddress(defaults.registry, { strict: false }))
    throw new WebBuildError(
      "registry",
      `must be a 0x address of 40 hexadecimal digits, got ${JSON.stringify(defaults.registry)}.`,
    );
  const receipts = httpUrl("receiptsApiUrl", defaults.receiptsApiUrl);
  return {
    rpcUrl: httpUrl("rpcUrl", defaults.rpcUrl),
    numbersRpcUrl: httpUrl("numbersRpcUrl", defaults.numbersRpcUrl),
    gateways: (defaults.gateways ?? []).map((gateway, i) => httpUrl(`gateways[${i}]`, gateway) as string),
    registry: defaults.registry === undefined ? undefined : getAddress(defaults.registry),
    auditApiUrl: httpUrl("auditApiUrl", defaults.auditApiUrl),
    // The pages join paths to it: one trailing slash, always.
    receiptsApiUrl: receipts === undefined ? undefined : `${receipts.replace(/\/+$/, "")}/`,
  };
}

/** File names in `dir` as a browser asks for them. */
const FILES: Record<string, string> = { "/": "index.html", "/app.css": "app.css", "/app.js": "app.js" };

/**
 * Writes the app into `dir` (made when missing; other files in it are left alone). Each file is written
 * beside its place and renamed into it, so none is ever left half-written.
 *
 * @throws {WebBuildError} naming the setting that cannot be used, before anything is written.
 * @example
 * await writeStaticWebApp("site", { rpcUrl: "https://mainnet.base.org", gateways: ["https://trustless-gateway.link"] });
 */
export async function writeStaticWebApp(dir: string, defaults: WebDefaults): Promise<string[]> {
  const checked = checkWebDefaults(defaults);
  const app = await buildWebApp();
  const files = [
    ...[...app].map(([path, file]) => [FILES[path] as string, file.bytes] as const),
    ["config.json", new TextEncoder().encode(webConfig(checked))] as const,
  ];
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  for (const [name, bytes] of files) {
    const target = join(dir, name);
    const partial = `${target}.partial`;
    try {
      await writeFile(partial, bytes);
      await rename(partial, target);
    } catch (error) {
      await rm(partial, { force: true });
      throw error;
    }
    written.push(target);
  }
  return written;
}

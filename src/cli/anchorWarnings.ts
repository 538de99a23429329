import { type Address, isAddressEqual, zeroAddress } from "viem";
import type { AnchoredRun } from "../anchor/pipeline/pipeline.ts";
import type { ContentProvider } from "../storage/provider.ts";

/** Something `pop anchor` did that worked but will not serve its purpose as things stand; `commands` fix it. */
export interface AnchorWarning {
  readonly code: "local-store-only" | "certificate-not-applied";
  readonly message: string;
  /** Shell commands to run, in order. */
  readonly commands: readonly string[];
}

export interface LocalStoreWarningParameters {
  readonly providers: readonly ContentProvider[];
  /** POP_STORE_DIR as given (undefined: the default `.pop/store`). */
  readonly storeDir: string | undefined;
  readonly rpcUrl: string;
  readonly registry: Address;
  readonly runs: readonly { readonly tenantId: string; readonly chainId: string }[];
}

/** Where `pop gateway` listens by default. */
export const DEFAULT_GATEWAY_PORT = 8080;
const DEFAULT_GATEWAY_URL = `http://127.0.0.1:${DEFAULT_GATEWAY_PORT}`;

/** A word a POSIX shell takes literally: quoted unless it is plainly safe. */
function shellWord(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`;
}

/**
 * The RPC URL to print in a command: an endpoint URL often carries an API key in its path or query
 * (`…/v2/<key>`), and a warning is no place to copy a secret to; such a URL becomes a placeholder.
 */
function printableRpc(url: string): string {
  const parsed = URL.parse(url);
  const plain = parsed !== null && parsed.pathname === "/" && parsed.search === "" && parsed.username === "";
  return plain ? url.replace(/\/$/, "") : "<your RPC URL>";
}

/**
 * The warning for a run stored only in the local store: no gateway serves that directory, so
 * `pop verify` cannot fetch the chainscript and says could-not-complete until `pop gateway` serves it
 * (or the run is stored on a provider that public gateways reach). Undefined when some provider is not
 * the local store.
 */
export function localStoreWarning(parameters: LocalStoreWarningParameters): AnchorWarning | undefined {
  if (!parameters.providers.every((provider) => provider.name === "local")) return undefined;
  const dir = parameters.storeDir ?? ".pop/store";
  const env = parameters.storeDir === undefined ? "" : `POP_STORE_DIR=${shellWord(parameters.storeDir)} `;
  const verify = parameters.runs.map(
    (run) =>
      `npx pop verify --tenant ${shellWord(run.tenantId)} --chain-id ${run.chainId} --rpc ${shellWord(printableRpc(parameters.rpcUrl))} --registry ${parameters.registry} --gateway ${DEFAULT_GATEWAY_URL}`,
  );
  return {
    code: "local-store-only",
    message: `stored only in the local store ${dir}, which no gateway serves: pop verify cannot fetch the chainscript and answers could-not-complete until the store is served. Serve it with pop gateway (keep it running) and verify against that gateway, or store to a pinning provider (POP_STORE_PROVIDERS, see docs/storage.md).`,
    commands: [`${env}npx pop gateway --port ${DEFAULT_GATEWAY_PORT}`, ...verify],
  };
}

/**
 * Warnings for runs whose anchor was recorded before this call with another certificate recipient than
 * `--certificate-to` asks for: an anchor is sent once, so the option cannot apply to them any more.
 */
export function certificateWarnings(runs: readonly AnchoredRun[], recipient: Address | undefined): AnchorWarning[] {
  if (recipient === undefined) return [];
  return runs.flatMap((run) => {
    const anchored = run.receipt?.anchor.recipient;
    if (anchored === undefined || isAddressEqual(anchored, recipient)) return [];
    const to = isAddressEqual(anchored, zeroAddress) ? "with no certificate" : `with its certificate to ${anchored}`;
    return [
      {
        code: "certificate-not-applied" as const,
        message: `${run.manifest} was anchored before ${to}: --certificate-to ${recipient} is not applied (a run is anchored once).`,
        commands: [],
      },
    ];
  });
}

/** A warning as lines for stderr. */
export function formatWarning(warning: AnchorWarning): string {
  return `pop: warning: ${warning.message}\n${warning.commands.map((command) => `  ${command}\n`).join("")}`;
}

/**
 * What the registry commands share: the network (--rpc or POP_RPC_URL), the
 * registry (--registry or Ignition's deployment for the RPC's chain id), the
 * sending account (POP_ADMIN_PRIVATE_KEY, never an argument) and the parsing
 * of addresses and times.
 */
import { type Address, createPublicClient, createWalletClient, defineChain, getAddress, http, isAddress } from "viem";
import { getBlock } from "viem/actions";
import { DeploymentNotFoundError, deployedAddress } from "../anchor/deployments.ts";
import { NETWORKS, type NetworkDefinition } from "../anchor/networks.ts";
import type { RegistryClients, RegistryTransaction } from "../anchor/registryClient.ts";
import { describeRegistryError, formatUnixSeconds } from "../anchor/registryErrors.ts";
import type { RegistryReader } from "../anchor/registryReads.ts";
import { AdminKeyError, accountFromEnv } from "../keys/account.ts";
import { integerOption, type OptionSpec, type ParsedArgs } from "./args.ts";
import { UsageError } from "./errors.ts";

export const RPC_URL_VARIABLE = "POP_RPC_URL";
export const ADMIN_KEY_VARIABLE = "POP_ADMIN_PRIVATE_KEY";
export { AdminKeyError, accountFromEnv };

/** Options of every registry command. */
export const NETWORK_OPTIONS: OptionSpec = { rpc: { type: "string" }, registry: { type: "string" } };
/** Options of the commands that send a transaction. */
export const WRITE_OPTIONS: OptionSpec = { ...NETWORK_OPTIONS, confirmations: { type: "string" } };
export const NETWORK_USAGE = "[--rpc <url>] [--registry <address>] [--json]";
export const WRITE_USAGE = "[--rpc <url>] [--registry <address>] [--confirmations <n>] [--json]";

export interface RegistryConnection {
  readonly publicClient: RegistryReader;
  readonly registry: Address;
  readonly chainId: number;
  readonly url: string;
}

function option(args: ParsedArgs, name: string): string | undefined {
  const value = args.values[name];
  return typeof value === "string" ? value : undefined;
}

/** The sending account from POP_ADMIN_PRIVATE_KEY; errors name the variable, never its value. */
export function adminAccountFromEnv(env: NodeJS.ProcessEnv = process.env) {
  try {
    return accountFromEnv(ADMIN_KEY_VARIABLE, "the account that sends", env);
  } catch (error) {
    if (!(error instanceof AdminKeyError) || !/is not set/.test(error.shortMessage)) throw error;
    throw new AdminKeyError(error.shortMessage, {
      details: `Set ${ADMIN_KEY_VARIABLE} to the registrar's key (pop tenant register) or the tenant admin's key (the other commands).`,
    });
  }
}

/** A checksummed address from the command line, or a usage error naming what it is. */
export function parseAddress(value: string, what: string): Address {
  if (!isAddress(value, { strict: false }))
    throw new UsageError(`${what} must be an address (0x and 40 hex digits), got "${value}".`);
  // Mixed case is a checksum: a typo in it is caught here rather than sending to a wrong account.
  if (value !== value.toLowerCase() && value.slice(2) !== value.slice(2).toUpperCase() && !isAddress(value))
    throw new UsageError(`${what} ${value} has a wrong checksum.`);
  return getAddress(value);
}

const UINT64_MAX = 2n ** 64n - 1n;

const ISO_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/** Unix seconds of an ISO 8601 date or date-time; undefined for anything else, including impossible dates (Feb 30). */
function isoSeconds(value: string): bigint | undefined {
  const match = ISO_TIME.exec(value);
  if (match === null) return undefined;
  // No offset means UTC, for a bare date as for a date-time (never this machine's local time).
  const [, year, month, day, hour = "0", minute = "0", second = "0", offset = "Z"] = match;
  const [y, mo, d, h, mi, s] = [year, month, day, hour, minute, second].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const utc = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  // Date.UTC rolls over (Feb 30 → Mar 2, 24:00 → next day): a date that does not read back was not a date.
  if (utc.getUTCFullYear() !== y || utc.getUTCMonth() !== mo - 1 || utc.getUTCDate() !== d) return undefined;
  if (h > 23 || mi > 59 || s > 59) return undefined;
  let offsetMs = 0;
  if (offset !== "Z") {
    const [, sign, oh, om] = /^([+-])(\d{2}):?(\d{2})$/.exec(offset) ?? [];
    if (Number(oh) > 23 || Number(om) > 59) return undefined;
    offsetMs = (sign === "-" ? -1 : 1) * (Number(oh) * 60 + Number(om)) * 60_000;
  }
  const ms = utc.getTime() - offsetMs;
  return ms < 0 ? undefined : BigInt(Math.floor(ms / 1000));
}

/** Unix seconds from `<unix seconds>` or an ISO 8601 date or date-time (UTC unless it names an offset). */
export function parseTime(value: string, name: string): bigint {
  const seconds = /^\d+$/.test(value) ? BigInt(value) : isoSeconds(value);
  if (seconds === undefined || seconds > UINT64_MAX)
    throw new UsageError(
      `--${name} must be unix seconds or an ISO 8601 time (2026-01-31 or 2026-01-31T12:00:00Z), got "${value}".`,
    );
  return seconds;
}

/** The same instant twelve calendar months later. */
export function addTwelveMonths(seconds: bigint): bigint {
  const date = new Date(Number(seconds) * 1000);
  date.setUTCFullYear(date.getUTCFullYear() + 1);
  const ms = date.getTime();
  // Beyond JavaScript's dates (year 275760) a year later is as good as never.
  return Number.isNaN(ms) ? UINT64_MAX : BigInt(Math.floor(ms / 1000));
}

/** Exactly `count` positionals, or a usage error. */
export function positionals(args: ParsedArgs, count: number, usage: string): string[] {
  if (args.positionals.length !== count)
    throw new UsageError(`Expected ${count} argument(s), got ${args.positionals.length}.`, {
      details: `Usage: ${usage}`,
    });
  for (const value of args.positionals)
    if (value.trim().length === 0) throw new UsageError("An id must not be empty.", { details: `Usage: ${usage}` });
  return args.positionals;
}

/** A public client on `url` and the registry on its chain (given, or from Ignition's deployment for that chain). */
async function connectTo(url: string, given: string | undefined, usage: string): Promise<RegistryConnection> {
  if (URL.parse(url)?.protocol.startsWith("http") !== true)
    throw new UsageError("The RPC URL must be an http(s) URL.", { details: `Usage: ${usage}` });
  const registry = given === undefined ? undefined : parseAddress(given, "--registry");
  const transport = http(url, { retryCount: 2 });
  let chainId: number;
  try {
    chainId = await createPublicClient({ transport }).getChainId();
  } catch (error) {
    throw describeRegistryError(error);
  }
  const chain = defineChain({
    id: chainId,
    name: `chain ${chainId}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [url] } },
  });
  const publicClient = createPublicClient({ chain, transport });
  if (registry !== undefined) return { publicClient, registry, chainId, url };
  try {
    return { publicClient, registry: await deployedAddress(chainId, "ProcessAnchorRegistry"), chainId, url };
  } catch (error) {
    if (!(error instanceof DeploymentNotFoundError)) throw error;
    throw new UsageError(`No --registry given, and ${error.shortMessage.replace(/^No/, "no")}`, {
      cause: error,
      details: `Pass --registry <address>, or record the deployment: ${error.details ?? "npm run deploy"}`,
    });
  }
}

/** A public client on --rpc (or POP_RPC_URL) and the registry on its chain. */
export async function connect(args: ParsedArgs, usage: string): Promise<RegistryConnection> {
  const url = option(args, "rpc") ?? process.env[RPC_URL_VARIABLE];
  if (url === undefined || url.length === 0)
    throw new UsageError(`Missing --rpc (or ${RPC_URL_VARIABLE}): the JSON-RPC URL of the network.`, {
      details: `Usage: ${usage}`,
    });
  return connectTo(url, option(args, "registry"), usage);
}

/**
 * The network named by --network (default `local`): its RPC is --rpc, else
 * POP_RPC_URL, else the network's public default, and must answer the
 * network's chain id, so a URL of another network is refused before anything
 * is signed.
 */
export async function connectNetwork(
  args: ParsedArgs,
  usage: string,
): Promise<RegistryConnection & { network: NetworkDefinition }> {
  const name = option(args, "network") ?? "local";
  const network = NETWORKS[name];
  if (network === undefined)
    throw new UsageError(`--network must be one of ${Object.keys(NETWORKS).join(", ")}, got "${name}".`);
  const url = option(args, "rpc") ?? process.env[RPC_URL_VARIABLE] ?? network.rpcUrl;
  const connection = await connectTo(url, option(args, "registry"), usage);
  if (connection.chainId !== network.chainId)
    throw new UsageError(
      `The RPC at ${URL.parse(url)?.origin} serves chain ${connection.chainId}, not ${network.name} (chain ${network.chainId}).`,
      { details: "Pass the RPC URL of the network you name, or name the network the RPC serves." },
    );
  return { ...connection, network };
}

/** `connect` plus a wallet client for POP_ADMIN_PRIVATE_KEY's account, checked before any network call. */
export async function connectWriter(args: ParsedArgs, usage: string) {
  const account = adminAccountFromEnv();
  const confirmations = integerOption(args, "confirmations", 1000) ?? 1;
  const connection = await connect(args, usage);
  const { publicClient, url } = connection;
  const walletClient = createWalletClient({
    account,
    chain: publicClient.chain,
    transport: http(url, { retryCount: 2 }),
  });
  const clients: RegistryClients = { walletClient, publicClient };
  return { ...connection, clients, account: account.address, confirmations };
}

/** The latest block's time: "now" as the registry sees it (a revocation may not be later than that). */
export async function chainNow(connection: RegistryConnection): Promise<bigint> {
  try {
    return (await getBlock(connection.publicClient, { blockTag: "latest" })).timestamp;
  } catch (error) {
    throw describeRegistryError(error);
  }
}

/** A transaction's fields for printing, with the account that sent it. */
export function transactionFields(tx: RegistryTransaction, from: Address) {
  return { from, transaction: tx.hash, blockNumber: Number(tx.blockNumber), gasUsed: Number(tx.gasUsed) };
}

/** A unix time for printing: ISO 8601, null for 0 (unset). */
export function timeField(seconds: bigint): string | null {
  return seconds === 0n ? null : formatUnixSeconds(seconds);
}

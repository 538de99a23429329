/**
 * A transaction as the chain's own RPC tells it (`#/tx?network=base|numbers&hash=0x…`): the page a job's
 * timeline links to on a chain with no explorer (the local ones), read from the endpoint in config.json
 * (`rpcUrl` for Base, `numbersRpcUrl` for Numbers) or the link's `rpc`.
 */
import { createPublicClient, formatEther, type Hash, http, isHash, type PublicClient } from "viem";
import { byId, type Defaults, element, setStatus } from "./dom.ts";

const title = byId<HTMLHeadingElement>("tx-title");
const status = byId<HTMLParagraphElement>("tx-status");
const facts = byId<HTMLDListElement>("tx-facts");
const logs = byId<HTMLOListElement>("tx-logs");

const NETWORKS = { base: "Base", numbers: "Numbers" } as const;
let endpoints: Record<keyof typeof NETWORKS, string | undefined> = { base: undefined, numbers: undefined };
let shown = "";

/** Where a transaction of `network` is shown: this app's own page (a chain with no explorer). */
export const txLink = (network: keyof typeof NETWORKS, hash: string): string =>
  `#/tx?${new URLSearchParams({ network, hash })}`;

const say = (kind: "ok" | "error" | "running", text: string) => setStatus(status, kind, text);

async function load(network: keyof typeof NETWORKS, hash: Hash, rpc: string) {
  const key = `${network} ${hash} ${rpc}`;
  shown = key;
  facts.replaceChildren();
  logs.replaceChildren();
  say("running", `Reading the transaction from ${rpc}…`);
  try {
    const client = createPublicClient({ transport: http(rpc, { retryCount: 1, timeout: 15_000 }) }) as PublicClient;
    const [tx, receipt] = await Promise.all([client.getTransaction({ hash }), client.getTransactionReceipt({ hash })]);
    const block = await client.getBlock({ blockNumber: receipt.blockNumber });
    if (shown !== key) return;
    const rows: [string, string][] = [
      ["Outcome", receipt.status === "success" ? "✓ succeeded" : "✗ reverted"],
      ["Block", `${receipt.blockNumber} at ${new Date(Number(block.timestamp) * 1000).toISOString()}`],
      ["From", tx.from],
      ["To", tx.to ?? "(contract creation)"],
      ["Value", `${formatEther(tx.value)} ETH`],
      ["Gas used", receipt.gasUsed.toLocaleString("en")],
      ["Input", `${(tx.input.length - 2) / 2} bytes, selector ${tx.input.slice(0, 10)}`],
      ["Read from", rpc],
    ];
    for (const [term, value] of rows) facts.append(element("dt", term), element("dd", value));
    logs.replaceChildren(
      ...receipt.logs.map((log) =>
        element(
          "li",
          `${log.address}: ${log.topics[0] ?? "(no topic)"} and ${log.topics.length - 1} more topics, ${(log.data.length - 2) / 2} bytes of data`,
        ),
      ),
    );
    say("ok", `${NETWORKS[network]} transaction ${hash}, as its RPC answers it.`);
  } catch (error) {
    if (shown !== key) return;
    say(
      "error",
      `! Could not read the transaction: ${error instanceof Error ? error.message.split("\n")[0] : String(error)} Check the RPC URL, then reload.`,
    );
  }
}

export function startTxPage(defaults: Defaults): void {
  endpoints = { base: defaults.rpcUrl, numbers: defaults.numbersRpcUrl };
}

/** What is wrong with the link, or the transaction and the endpoint to read it from. */
function linked(query: URLSearchParams): string | { network: keyof typeof NETWORKS; hash: Hash; rpc: string } {
  const network = query.get("network") ?? "";
  const hash = query.get("hash") ?? "";
  if (!(network in NETWORKS)) return 'The link names no network: it must be "base" or "numbers".';
  if (!isHash(hash)) return "The link's hash is not a transaction hash (0x and 64 hexadecimal digits).";
  const chosen = network as keyof typeof NETWORKS;
  const rpc = query.get("rpc") ?? endpoints[chosen];
  if (rpc === undefined || !/^https?:\/\//.test(rpc))
    return `No ${NETWORKS[chosen]} RPC endpoint is configured: add rpc=<url> to the link.`;
  return { network: chosen, hash, rpc };
}

/** Shows the transaction the link names, or says which part of the link is wrong. */
export function showTxPage(query: URLSearchParams | undefined): void {
  if (query === undefined) return;
  title.textContent = `Transaction ${(query.get("hash") ?? "").slice(0, 12)}…`;
  const target = linked(query);
  if (typeof target === "string") say("error", `! ${target}`);
  else void load(target.network, target.hash, target.rpc);
}

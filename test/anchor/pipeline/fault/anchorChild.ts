/**
 * The anchoring pipeline as a process of its own, for fault injection
 * (fault.test.ts spawns it with `process.execPath`): opens the state database,
 * anchors the manifests on the local chain the parent serves, prints every
 * recorded step as `step <name>` on stdout and, with KILL_AFTER_STEP=k, kills
 * itself with SIGKILL right after the k-th: no finally block, no close, no
 * flush beyond what was already written.
 *
 * Configuration (environment, all set by the parent):
 *   POP_FAULT_PGLITE_DIR or POP_FAULT_DATABASE_URL  the state database (PGlite directory or Postgres URL)
 *   POP_FAULT_RPC_URL, POP_FAULT_REGISTRY, POP_FAULT_EVM_CHAIN_ID  the chain and its registry
 *   POP_FAULT_SIGNER_KEY, POP_FAULT_RELAYER_KEY  the anchor signer's and the relayer's private keys
 *   POP_FAULT_STORE  the local content store's directory
 *   POP_FAULT_MANIFESTS, POP_FAULT_CHAIN_IDS  JSON arrays: the manifests and their chainscript UUIDs
 *   KILL_AFTER_STEP  optional: the step after which to die
 *
 * Loaded as a module (mocha loads every file under test/), it does nothing.
 */
import { writeSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type Address, createPublicClient, defineChain, type Hex, http } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { anchorManifests } from "../../../../src/anchor/pipeline/pipeline.ts";
import type { Database } from "../../../../src/db/database.ts";
import { openPglite } from "../../../../src/db/pglite.ts";
import { openServer } from "../../../../src/db/server.ts";
import { LocalStore } from "../../../../src/storage/local.ts";
import { fixedSigner } from "../../../helpers/fixtures.ts";

function required(name: string): string {
  const value = process.env[name];
  if (value === undefined || value.length === 0) throw new Error(`${name} is not set`);
  return value;
}

/** Straight to file descriptor 1: a line printed before the kill is never lost in a buffer. */
const print = (line: string) => writeSync(1, `${line}\n`);

async function main(): Promise<void> {
  const killAfter = process.env.KILL_AFTER_STEP === undefined ? undefined : Number(process.env.KILL_AFTER_STEP);
  if (killAfter !== undefined && !(Number.isInteger(killAfter) && killAfter > 0))
    throw new Error(`KILL_AFTER_STEP must be a positive integer, not ${process.env.KILL_AFTER_STEP}`);
  const url = process.env.POP_FAULT_DATABASE_URL;
  const db: Database =
    url === undefined || url.length === 0 ? await openPglite(required("POP_FAULT_PGLITE_DIR")) : await openServer(url);
  const rpc = required("POP_FAULT_RPC_URL");
  const evmChainId = Number(required("POP_FAULT_EVM_CHAIN_ID"));
  const chain = defineChain({
    id: evmChainId,
    name: "Base (local stand-in)",
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [rpc] } },
  });
  let steps = 0;
  const result = await anchorManifests(
    {
      db,
      publicClient: createPublicClient({ chain, transport: http(rpc) }),
      registry: required("POP_FAULT_REGISTRY") as Address,
      evmChainId,
      packetSigner: fixedSigner(),
      anchorSigner: privateKeyToAccount(required("POP_FAULT_SIGNER_KEY") as Hex),
      relayer: privateKeyToAccount(required("POP_FAULT_RELAYER_KEY") as Hex),
      providers: [new LocalStore(required("POP_FAULT_STORE"))],
      onStep(name) {
        print(`step ${name}`);
        if (++steps === killAfter) process.kill(process.pid, "SIGKILL");
      },
    },
    {
      manifests: JSON.parse(required("POP_FAULT_MANIFESTS")) as string[],
      chainIds: JSON.parse(required("POP_FAULT_CHAIN_IDS")) as string[],
      confirmations: 1,
      pollingIntervalMs: 20,
    },
  );
  print(`result ${JSON.stringify({ runs: result.runs.map((run) => run.status), tx: result.transaction?.txHash })}`);
  await db.close();
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}

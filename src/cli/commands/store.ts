import { storeObject } from "../../storage/batch.ts";
import { cacheFromEnv, gatewaysFromEnv, localStoreFromEnv, providersFromEnv } from "../../storage/config.ts";
import { startGateway } from "../../storage/gateway.ts";
import { retrieve } from "../../storage/retrieve.ts";
import { parseCid } from "../../storage/unixfs.ts";
import { DEFAULT_GATEWAY_PORT } from "../anchorWarnings.ts";
import { type Command, flag, requireString, strings } from "../args.ts";
import { EXIT, UsageError } from "../errors.ts";
import { readInput, writeOutput } from "../io.ts";
import { printResult } from "../output.ts";

export const storePut: Command = {
  usage: "pop store put <file>... [--json]",
  summary:
    "store files on the configured providers (POP_STORE_PROVIDERS, quorum POP_STORE_QUORUM); exit 2 if the quorum is not met",
  options: {},
  async run(args) {
    if (args.positionals.length === 0)
      throw new UsageError("Give at least one file.", { details: `Usage: ${storePut.usage}` });
    const { providers, quorum } = providersFromEnv();
    let allStored = true;
    const results = [];
    for (const file of args.positionals) {
      const result = await storeObject(providers, await readInput(file, "file"), { quorum });
      // Wait for the stragglers too: a command line that exits would abandon their retries.
      const statuses = await result.settled;
      allStored &&= result.stored;
      results.push({ file, cid: result.cid, stored: result.stored, providers: statuses });
    }
    printResult(
      flag(args, "json")
        ? { results }
        : Object.fromEntries(
            results.map((r) => [
              r.file,
              `${r.cid} ${r.stored ? "stored" : "NOT stored"} (${r.providers.map((p) => `${p.provider}: ${p.state}`).join(", ")})`,
            ]),
          ),
      flag(args, "json"),
    );
    return allStored ? EXIT.ok : EXIT.usage;
  },
};

export const storeGet: Command = {
  usage: "pop store get <cid> --out <file> [--gateway <url>]... [--force] [--json]",
  summary: "fetch content by CID from the local store or the fastest gateway (POP_GATEWAYS), verified against the CID",
  options: { out: { type: "string" }, gateway: { type: "string", multiple: true }, force: { type: "boolean" } },
  async run(args) {
    if (args.positionals.length !== 1)
      throw new UsageError("Give exactly one CID.", { details: `Usage: ${storeGet.usage}` });
    const cid = args.positionals[0] as string;
    parseCid(cid);
    const out = requireString(args, "out", storeGet.usage);
    const local = await localStoreFromEnv().get(cid);
    const result =
      local === undefined
        ? await retrieve(cid, { gateways: [...strings(args, "gateway"), ...gatewaysFromEnv()], cache: cacheFromEnv() })
        : { bytes: local, source: "local store", outcomes: [] };
    await writeOutput(out, result.bytes, flag(args, "force"));
    printResult(
      { cid, size: result.bytes.length, source: result.source, gateways: result.outcomes },
      flag(args, "json"),
    );
    return EXIT.ok;
  },
};

export const storeStatus: Command = {
  usage: "pop store status <cid> [--json]",
  summary: "which configured providers hold the content",
  options: {},
  async run(args) {
    if (args.positionals.length !== 1)
      throw new UsageError("Give exactly one CID.", { details: `Usage: ${storeStatus.usage}` });
    const cid = args.positionals[0] as string;
    parseCid(cid);
    const { providers } = providersFromEnv();
    const held = await Promise.all(
      providers.map(async (p) => {
        try {
          return [p.name, (await p.has(cid)) ? "held" : "missing"] as const;
        } catch (error) {
          return [p.name, `unknown (${(error as Error).message})`] as const;
        }
      }),
    );
    printResult({ cid, ...Object.fromEntries(held) }, flag(args, "json"));
    return EXIT.ok;
  },
};

export const gateway: Command = {
  usage: "pop gateway [--host <host>] [--port <port>]",
  summary: "serve the local store (POP_STORE_DIR) as an IPFS trustless gateway until interrupted",
  options: { host: { type: "string" }, port: { type: "string" } },
  async run(args) {
    const port = Number(args.values.port ?? DEFAULT_GATEWAY_PORT);
    if (!Number.isInteger(port) || port < 0 || port > 65_535)
      throw new UsageError(`--port must be 0–65535, got "${String(args.values.port)}".`);
    const host = typeof args.values.host === "string" ? args.values.host : "127.0.0.1";
    const server = await startGateway(localStoreFromEnv(), { host, port });
    process.stdout.write(
      `Serving ${process.env.POP_STORE_DIR ?? ".pop/store"} at ${server.url}/ipfs/<cid>?format=raw|car (Ctrl-C stops)\n`,
    );
    await new Promise<void>((resolve) => {
      process.once("SIGINT", resolve);
      process.once("SIGTERM", resolve);
    });
    await server.close();
    return EXIT.ok;
  },
};

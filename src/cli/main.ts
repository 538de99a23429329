import { BaseError } from "../errors.ts";
import { type Command, parse } from "./args.ts";
import { EXIT, UsageError } from "./errors.ts";

/**
 * Each command's module, loaded only when that command runs (or for the help): loading them all costs
 * about a second (viem, PGlite, the storage clients) before a command could print its first line.
 */
const COMMANDS: Record<string, () => Promise<Command>> = {
  "keys generate": async () => (await import("./commands/keys.ts")).keysGenerate,
  "keys import": async () => (await import("./commands/keys.ts")).keysImport,
  "packet create": async () => (await import("./commands/packet.ts")).packetCreate,
  "packet verify": async () => (await import("./commands/packet.ts")).packetVerify,
  "packet inspect": async () => (await import("./commands/packet.ts")).packetInspect,
  "chain build": async () => (await import("./commands/chain.ts")).chainBuild,
  "chain verify": async () => (await import("./commands/chain.ts")).chainVerify,
  "store put": async () => (await import("./commands/store.ts")).storePut,
  "store get": async () => (await import("./commands/store.ts")).storeGet,
  "store status": async () => (await import("./commands/store.ts")).storeStatus,
  gateway: async () => (await import("./commands/store.ts")).gateway,
  anchor: async () => (await import("./commands/anchor.ts")).anchor,
  verify: async () => (await import("./commands/verify.ts")).verify,
  "verify-asset": async () => (await import("./commands/verify.ts")).verifyAsset,
  "verify-artifact": async () => (await import("./commands/artifact.ts")).verifyArtifact,
  "tenant register": async () => (await import("./commands/tenant.ts")).tenantRegister,
  "tenant show": async () => (await import("./commands/tenant.ts")).tenantShow,
  "signer add": async () => (await import("./commands/tenant.ts")).signerAdd,
  "signer remove": async () => (await import("./commands/tenant.ts")).signerRemove,
  "key register": async () => (await import("./commands/tenant.ts")).keyRegister,
  "key revoke": async () => (await import("./commands/tenant.ts")).keyRevoke,
  serve: async () => (await import("./commands/serve.ts")).serve,
  "serve keys create": async () => (await import("./commands/serve.ts")).serveKeysCreate,
  "serve keys revoke": async () => (await import("./commands/serve.ts")).serveKeysRevoke,
  "job run": async () => (await import("./commands/job.ts")).jobRun,
  "job simulate": async () => (await import("./commands/job.ts")).jobSimulate,
  "web build": async () => (await import("./commands/web.ts")).webBuild,
};

async function help(): Promise<string> {
  const commands = await Promise.all(Object.values(COMMANDS).map((load) => load()));
  const lines = commands.map((c) => `  ${c.usage}\n      ${c.summary}`);
  return `pop: Proof of Process, verifiable evidence of how pipeline outputs were made.\n\nCommands:\n${lines.join("\n")}\n\nExit codes: 0 success or valid proof, 1 invalid proof, 2 usage or input error.\nKey files are encrypted with the passphrase in POP_KEY_PASSPHRASE.\nRegistry commands use the network at --rpc (or POP_RPC_URL) and send from the account of POP_ADMIN_PRIVATE_KEY.\npop anchor signs anchors with POP_ANCHOR_SIGNER_PRIVATE_KEY, sends from POP_RELAYER_PRIVATE_KEY (default: the signer),\nkeeps its state in DATABASE_URL (a Postgres server) or else PGlite in POP_STATE_DIR (default .pop/state),\nand stores to POP_STORE_PROVIDERS (default: the local store in POP_STORE_DIR, default .pop/store).\n`;
}

/** Runs the `pop` command line and returns its exit code. */
export async function main(argv: string[]): Promise<number> {
  const [group, action, ...rest] = argv;
  if (group === undefined || group === "--help" || group === "-h" || group === "help") {
    process.stdout.write(await help());
    return group === undefined ? EXIT.usage : EXIT.ok;
  }
  // `pop serve keys create|revoke` are three words deep; `pop gateway`, `pop anchor`, `pop serve`, `pop verify`,
  // `pop verify-asset` and `pop verify-artifact` have no sub-action.
  const triple = rest[0] === undefined ? undefined : COMMANDS[`${group} ${action} ${rest[0]}`];
  const single = triple === undefined ? COMMANDS[group] : undefined;
  const load = triple ?? single ?? COMMANDS[`${group} ${action}`];
  const commandArgs = triple !== undefined ? rest.slice(1) : single === undefined ? rest : argv.slice(1);
  try {
    const command = await load?.();
    if (command === undefined)
      throw new UsageError(`Unknown command "pop ${[group, action].filter(Boolean).join(" ")}".`, {
        details: "Run pop --help for the list of commands.",
      });
    const args = parse(command, commandArgs);
    if (args.values.help === true) {
      process.stdout.write(`Usage: ${command.usage}\n${command.summary}\n${command.help ?? ""}`);
      return EXIT.ok;
    }
    return await command.run(args);
  } catch (error) {
    if (error instanceof BaseError) {
      process.stderr.write(`pop: ${error.message}\n`);
      return EXIT.usage;
    }
    process.stderr.write(
      `pop: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    return EXIT.usage;
  }
}

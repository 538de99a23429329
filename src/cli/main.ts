import { BaseError } from "../errors.ts";
import { type Command, parse } from "./args.ts";
import { anchor } from "./commands/anchor.ts";
import { chainBuild, chainVerify } from "./commands/chain.ts";
import { keysGenerate, keysImport } from "./commands/keys.ts";
import { packetCreate, packetInspect, packetVerify } from "./commands/packet.ts";
import { gateway, storeGet, storePut, storeStatus } from "./commands/store.ts";
import { keyRegister, keyRevoke, signerAdd, signerRemove, tenantRegister, tenantShow } from "./commands/tenant.ts";
import { verify, verifyAsset } from "./commands/verify.ts";
import { EXIT, UsageError } from "./errors.ts";

const COMMANDS: Record<string, Command> = {
  "keys generate": keysGenerate,
  "keys import": keysImport,
  "packet create": packetCreate,
  "packet verify": packetVerify,
  "packet inspect": packetInspect,
  "chain build": chainBuild,
  "chain verify": chainVerify,
  "store put": storePut,
  "store get": storeGet,
  "store status": storeStatus,
  gateway,
  anchor,
  verify,
  "verify-asset": verifyAsset,
  "tenant register": tenantRegister,
  "tenant show": tenantShow,
  "signer add": signerAdd,
  "signer remove": signerRemove,
  "key register": keyRegister,
  "key revoke": keyRevoke,
};

function help(): string {
  const lines = Object.values(COMMANDS).map((c) => `  ${c.usage}\n      ${c.summary}`);
  return `pop: Proof of Process, verifiable evidence of how pipeline outputs were made.\n\nCommands:\n${lines.join("\n")}\n\nExit codes: 0 success or valid proof, 1 invalid proof, 2 usage or input error.\nKey files are encrypted with the passphrase in POP_KEY_PASSPHRASE.\nRegistry commands use the network at --rpc (or POP_RPC_URL) and send from the account of POP_ADMIN_PRIVATE_KEY.\npop anchor signs anchors with POP_ANCHOR_SIGNER_PRIVATE_KEY, sends from POP_RELAYER_PRIVATE_KEY (default: the signer),\nkeeps its state in DATABASE_URL (a Postgres server) or else PGlite in POP_STATE_DIR (default .pop/state),\nand stores to POP_STORE_PROVIDERS (default: the local store in POP_STORE_DIR, default .pop/store).\n`;
}

/** Runs the `pop` command line and returns its exit code. */
export async function main(argv: string[]): Promise<number> {
  const [group, action, ...rest] = argv;
  if (group === undefined || group === "--help" || group === "-h" || group === "help") {
    process.stdout.write(help());
    return group === undefined ? EXIT.usage : EXIT.ok;
  }
  // `pop gateway`, `pop anchor`, `pop verify` and `pop verify-asset` have no sub-action.
  const single = COMMANDS[group];
  const command = single ?? COMMANDS[`${group} ${action}`];
  const commandArgs = single === undefined ? rest : argv.slice(1);
  try {
    if (command === undefined)
      throw new UsageError(`Unknown command "pop ${[group, action].filter(Boolean).join(" ")}".`, {
        details: "Run pop --help for the list of commands.",
      });
    const args = parse(command, commandArgs);
    if (args.values.help === true) {
      process.stdout.write(`Usage: ${command.usage}\n${command.summary}\n`);
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

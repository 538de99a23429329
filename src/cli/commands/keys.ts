import { text } from "node:stream/consumers";
import { passphraseFromEnv, writeKeyFile } from "../../keys/keyFile.ts";
import { type Command, hexOption, type ParsedArgs, requireString } from "../args.ts";
import { EXIT } from "../errors.ts";
import { printResult } from "../output.ts";

async function write(args: ParsedArgs, usage: string, seed?: Uint8Array): Promise<number> {
  const keyId = requireString(args, "key-id", usage);
  const out = requireString(args, "out", usage);
  const passphrase = passphraseFromEnv();
  const contents = await writeKeyFile(out, { keyId, passphrase, ...(seed === undefined ? {} : { seed }) });
  printResult({ keyId: contents.keyId, publicKey: contents.publicKey }, args.values.json === true);
  return EXIT.ok;
}

export const keysGenerate: Command = {
  usage: "pop keys generate --key-id <id> --out <file> [--json]",
  summary: "create a new Ed25519 key, encrypted with POP_KEY_PASSPHRASE",
  options: { "key-id": { type: "string" }, out: { type: "string" } },
  run: (args) => write(args, keysGenerate.usage),
};

export const keysImport: Command = {
  usage: "pop keys import --key-id <id> --seed-hex <64 hex | -> --out <file> [--json]",
  summary: "encrypt an existing Ed25519 seed into a key file (--seed-hex - reads it from stdin)",
  options: { "key-id": { type: "string" }, "seed-hex": { type: "string" }, out: { type: "string" } },
  async run(args) {
    const given = requireString(args, "seed-hex", keysImport.usage);
    // "-" keeps the seed out of shell history and the process list.
    const seedHex = given === "-" ? (await text(process.stdin)).trim() : given;
    const seed = hexOption(seedHex, "seed-hex", 32);
    try {
      return await write(args, keysImport.usage, seed);
    } finally {
      seed.fill(0);
    }
  },
};

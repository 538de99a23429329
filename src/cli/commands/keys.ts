import { text } from "node:stream/consumers";
import { DEFAULT_SCRYPT, passphraseFromEnv, writeKeyFile } from "../../keys/keyFile.ts";
import { type Command, hexOption, integerOption, type ParsedArgs, requireString } from "../args.ts";
import { EXIT } from "../errors.ts";
import { printResult } from "../output.ts";

/**
 * scrypt's cost N as a power of two: 17 (OWASP's recommendation) unless given. Every command that opens the
 * key pays it (about 0.6 s of CPU at 17, 0.1 s at 14), and so does each guess at the passphrase: a lower one
 * is for throwaway keys (tests, demos). The key file records its cost, so any key opens the same way.
 */
const SCRYPT_LOG_N = { min: 14, max: 20 };
const SCRYPT_USAGE = `[--scrypt-log-n <${SCRYPT_LOG_N.min}-${SCRYPT_LOG_N.max}>]`;

async function write(args: ParsedArgs, usage: string, seed?: Uint8Array): Promise<number> {
  const keyId = requireString(args, "key-id", usage);
  const out = requireString(args, "out", usage);
  const logN = integerOption(args, "scrypt-log-n", SCRYPT_LOG_N.max, SCRYPT_LOG_N.min);
  const passphrase = passphraseFromEnv();
  const contents = await writeKeyFile(out, {
    keyId,
    passphrase,
    ...(seed === undefined ? {} : { seed }),
    ...(logN === undefined ? {} : { scryptParameters: { ...DEFAULT_SCRYPT, N: 2 ** logN } }),
  });
  printResult({ keyId: contents.keyId, publicKey: contents.publicKey }, args.values.json === true);
  return EXIT.ok;
}

export const keysGenerate: Command = {
  usage: `pop keys generate --key-id <id> --out <file> ${SCRYPT_USAGE} [--json]`,
  summary: "create a new Ed25519 key, encrypted with POP_KEY_PASSPHRASE",
  options: { "key-id": { type: "string" }, out: { type: "string" }, "scrypt-log-n": { type: "string" } },
  run: (args) => write(args, keysGenerate.usage),
};

export const keysImport: Command = {
  usage: `pop keys import --key-id <id> --seed-hex <64 hex | -> --out <file> ${SCRYPT_USAGE} [--json]`,
  summary: "encrypt an existing Ed25519 seed into a key file (--seed-hex - reads it from stdin)",
  options: {
    "key-id": { type: "string" },
    "seed-hex": { type: "string" },
    out: { type: "string" },
    "scrypt-log-n": { type: "string" },
  },
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

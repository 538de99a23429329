import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { toHex } from "../../bytes.ts";
import { buildChainscript } from "../../chainscript/build.ts";
import { type PacketFile, packetFileSource } from "../../chainscript/packetFiles.ts";
import { type KeyResolver, verifyChainscript } from "../../chainscript/verify.ts";
import { loadKeyFile, passphraseFromEnv } from "../../keys/keyFile.ts";
import { type Command, flag, hexOption, requireString, strings } from "../args.ts";
import { EXIT, UsageError } from "../errors.ts";
import { FileAccessError, readInput, writeOutput } from "../io.ts";
import { formatCheck, printResult } from "../output.ts";

export const chainBuild: Command = {
  usage:
    "pop chain build --key <keyfile> --out <chain.json> [--stage <id>]... [--external-input <sha256 hex>]... [--chain-id <uuid>] [--force] [--json] <packet.cbor>...",
  summary: "link packets, in the order given, into a signed chainscript",
  options: {
    key: { type: "string" },
    out: { type: "string" },
    stage: { type: "string", multiple: true },
    "external-input": { type: "string", multiple: true },
    "chain-id": { type: "string" },
    force: { type: "boolean" },
  },
  async run(args) {
    const { usage } = chainBuild;
    const keyFile = requireString(args, "key", usage);
    const out = requireString(args, "out", usage);
    const files = args.positionals;
    if (files.length === 0) throw new UsageError("Give at least one packet file.", { details: `Usage: ${usage}` });
    const stages = strings(args, "stage");
    if (stages.length !== 0 && stages.length !== files.length) {
      throw new UsageError(`Give one --stage per packet (${files.length}) or none; got ${stages.length}.`);
    }
    const externalInputs = strings(args, "external-input").map((hex) => hexOption(hex, "external-input", 32));
    const steps = await Promise.all(
      files.map(async (file, i) => ({ bytes: await readInput(file, "packet"), stageId: stages[i] ?? `stage-${i}` })),
    );
    const signer = await loadKeyFile(keyFile, passphraseFromEnv());
    const chainId = args.values["chain-id"];
    const built = await buildChainscript({
      steps,
      signer,
      externalInputs,
      ...(typeof chainId === "string" ? { chainId } : {}),
    });
    await writeOutput(out, built.bytes, flag(args, "force"));
    printResult(
      { chainId: built.chainscript.chainId, chainHash: toHex(built.chainHash), cid: built.cid },
      flag(args, "json"),
    );
    return EXIT.ok;
  },
};

/** Every file in `dir`, named by its path: which entry's packet each is, is packetFileSource's to tell. */
async function packetsIn(dir: string): Promise<PacketFile[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    throw new FileAccessError(`Cannot read the packet directory ${dir}: ${(error as NodeJS.ErrnoException).code}.`, {
      cause: error,
    });
  }
  const files: PacketFile[] = [];
  for (const name of names) files.push({ name: join(dir, name), bytes: await readInput(join(dir, name), "packet") });
  return files;
}

/** `--public-key <hex>` trusts one key for every key id; `--public-key <keyId>=<hex>` binds a key to an id. */
function keyResolver(values: string[]): KeyResolver {
  const byId = new Map<string, Uint8Array>();
  let anyId: Uint8Array | undefined;
  for (const value of values) {
    const at = value.lastIndexOf("=");
    if (at < 0) anyId = hexOption(value, "public-key", 32);
    else byId.set(value.slice(0, at), hexOption(value.slice(at + 1), "public-key", 32));
  }
  return (keyId) => byId.get(keyId) ?? anyId;
}

export const chainVerify: Command = {
  usage: "pop chain verify <chain.json> --packets <dir> --public-key <[keyId=]hex>... [--cid <cid>] [--json]",
  summary: "verify a chainscript and its packets (exit 0 valid, 1 invalid, 2 could not complete)",
  options: { packets: { type: "string" }, "public-key": { type: "string", multiple: true }, cid: { type: "string" } },
  async run(args) {
    const { usage } = chainVerify;
    if (args.positionals.length !== 1)
      throw new UsageError("Expected exactly one chainscript file.", { details: `Usage: ${usage}` });
    const keys = strings(args, "public-key");
    if (keys.length === 0) throw new UsageError("Missing --public-key.", { details: `Usage: ${usage}` });
    const resolveKey = keyResolver(keys);
    const bytes = await readInput(args.positionals[0] as string, "chainscript");
    const packets = packetFileSource(await packetsIn(requireString(args, "packets", usage)));
    const cid = args.values.cid;
    const report = await verifyChainscript({ bytes, packets, resolveKey, ...(typeof cid === "string" ? { cid } : {}) });
    const { chainscript, ...rest } = report;
    const summary = {
      chainId: chainscript?.chainId,
      chainHash: chainscript?.chainHash,
      entries: chainscript?.entries.length,
    };
    if (flag(args, "json")) {
      printResult({ ...summary, ...rest }, true);
    } else {
      process.stdout.write(
        `verdict: ${report.verdict}\nchainId: ${summary.chainId ?? "?"}\nentries: ${summary.entries ?? "?"}\n`,
      );
      process.stdout.write(`${report.checks.map(formatCheck).join("\n")}\n`);
    }
    return report.verdict === "valid" ? EXIT.ok : report.verdict === "invalid" ? EXIT.invalid : EXIT.usage;
  },
};

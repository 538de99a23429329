import { toHex } from "../../bytes.ts";
import { describeAssetFile } from "../../evidence/assetFile.ts";
import { cidFromSha256 } from "../../evidence/cid.ts";
import { decodePacket } from "../../evidence/codec.ts";
import { packetFieldsFromJson, packetToJson, parseJsonExact } from "../../evidence/json.ts";
import { createPacket, verifyPacket } from "../../evidence/sign.ts";
import { loadKeyFile, passphraseFromEnv } from "../../keys/keyFile.ts";
import { type Command, flag, hexOption, requireString, strings } from "../args.ts";
import { EXIT, UsageError } from "../errors.ts";
import { FileAccessError, readInput, writeOutput } from "../io.ts";
import { printResult } from "../output.ts";

function single(positionals: string[], usage: string): string {
  if (positionals.length !== 1)
    throw new UsageError("Expected exactly one packet file.", { details: `Usage: ${usage}` });
  return positionals[0] as string;
}

/**
 * Fills outputs.assetHash/assetSize/mimeType from `--output-file` and
 * inputs.assetHashes from `--input-file`, computed from the files themselves.
 */
async function withAssetFiles(json: unknown, output: string | undefined, inputs: string[]): Promise<unknown> {
  if (output === undefined && inputs.length === 0) return json;
  if (typeof json !== "object" || json === null || Array.isArray(json)) return json;
  const fields = json as { inputs?: Record<string, unknown>; outputs?: Record<string, unknown> };
  const out = output === undefined ? undefined : await describeAssetFile(output);
  const inputHashes = await Promise.all(inputs.map(async (file) => toHex((await describeAssetFile(file)).assetHash)));
  return {
    ...fields,
    ...(inputs.length > 0 ? { inputs: { ...fields.inputs, assetHashes: inputHashes } } : {}),
    ...(out === undefined
      ? {}
      : {
          outputs: {
            mimeType: out.mimeType,
            ...fields.outputs,
            assetHash: toHex(out.assetHash),
            assetSize: out.assetSize,
          },
        }),
  };
}

export const packetCreate: Command = {
  usage:
    "pop packet create --in <fields.json> --key <keyfile> --out <packet.cbor> [--output-file <file>] [--input-file <file>]... [--force] [--json]",
  summary: "validate, sign and encode one evidence packet (--output-file/--input-file hash real files into it)",
  options: {
    in: { type: "string" },
    key: { type: "string" },
    out: { type: "string" },
    "output-file": { type: "string" },
    "input-file": { type: "string", multiple: true },
    force: { type: "boolean" },
  },
  async run(args) {
    const { usage } = packetCreate;
    const input = requireString(args, "in", usage);
    const keyFile = requireString(args, "key", usage);
    const out = requireString(args, "out", usage);
    const text = new TextDecoder().decode(await readInput(input, "packet fields"));
    let json: unknown;
    try {
      json = parseJsonExact(text);
    } catch (error) {
      throw new FileAccessError(`${input} is not valid JSON: ${(error as Error).message}.`);
    }
    const outputFile = args.values["output-file"];
    json = await withAssetFiles(
      json,
      typeof outputFile === "string" ? outputFile : undefined,
      strings(args, "input-file"),
    );
    const signer = await loadKeyFile(keyFile, passphraseFromEnv());
    const { bytes, packetHash } = await createPacket(packetFieldsFromJson(json), signer);
    await writeOutput(out, bytes, flag(args, "force"));
    printResult(
      { packetHash: toHex(packetHash), packetCid: cidFromSha256(packetHash), size: bytes.length },
      flag(args, "json"),
    );
    return EXIT.ok;
  },
};

export const packetVerify: Command = {
  usage: "pop packet verify <packet.cbor> --public-key <hex> [--json]",
  summary: "check a packet is canonical and signed by the key (exit 0 valid, 1 invalid)",
  options: { "public-key": { type: "string" } },
  async run(args) {
    const file = single(args.positionals, packetVerify.usage);
    const publicKey = hexOption(requireString(args, "public-key", packetVerify.usage), "public-key", 32);
    const result = verifyPacket(await readInput(file, "packet"), publicKey);
    printResult(
      {
        valid: result.valid,
        packetHash: toHex(result.packetHash),
        packetCid: cidFromSha256(result.packetHash),
        ...(result.packet ? { packetId: result.packet.packetId, signingKeyId: result.packet.signingKeyId } : {}),
        ...(result.valid ? {} : { reason: result.reason }),
      },
      flag(args, "json"),
    );
    return result.valid ? EXIT.ok : EXIT.invalid;
  },
};

export const packetInspect: Command = {
  usage: "pop packet inspect <packet.cbor>",
  summary: "print a packet as JSON (exit 2 if the bytes are not a canonical packet)",
  options: {},
  async run(args) {
    const file = single(args.positionals, packetInspect.usage);
    const bytes = await readInput(file, "packet");
    const { packet } = decodePacket(bytes);
    process.stdout.write(`${JSON.stringify(packetToJson(packet), null, 2)}\n`);
    return EXIT.ok;
  },
};

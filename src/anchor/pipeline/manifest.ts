/**
 * A run's manifest: JSON Lines, one pipeline step per line, in execution order.
 * Each line holds the packet fields in their JSON form (as `pop packet create`
 * takes them) plus `stageId` and `output`, the path of the step's output file
 * (relative to the manifest). The output's SHA-256, size and media type are
 * computed from the file, never taken from the line; so are the hashes of
 * `inputFiles` (outputs of earlier lines) and `externalInputFiles` (assets from
 * outside the run). `inputs.prompt` may stand in for `inputs.promptHash`.
 * Everything is validated before anything is signed, and every error names the
 * line and the field.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { toHex } from "../../bytes.ts";
import { BaseError } from "../../errors.ts";
import { describeAssetFile } from "../../evidence/assetFile.ts";
import { InvalidPacketError } from "../../evidence/errors.ts";
import { packetFieldsFromJson, parseJsonExact } from "../../evidence/json.ts";
import { validateUnsignedPacket } from "../../evidence/packet.ts";
import type { PacketFields } from "../../evidence/sign.ts";

/** The manifest cannot be read or a line is wrong; the message names the line and field. */
export class ManifestError extends BaseError {
  override name = "ManifestError";
}

export interface ManifestStep {
  /** 1-based line number in the manifest, for messages. */
  readonly line: number;
  readonly stageId: string;
  /** Absolute path of the output file. */
  readonly outputPath: string;
  /** Packet fields with every computed value filled in. */
  readonly fields: PacketFields;
}

export interface Manifest {
  /** Absolute path of the manifest. */
  readonly path: string;
  /** Hex SHA-256 of the manifest's bytes. */
  readonly sha256: string;
  readonly tenantId: string;
  readonly processId: string;
  readonly steps: readonly ManifestStep[];
  /** SHA-256 of assets from outside the run, declared to the chainscript. */
  readonly externalInputs: readonly Uint8Array[];
}

/** Fields a line may carry besides the packet's own. */
const LINE_FIELDS = new Set(["stageId", "output", "inputFiles", "externalInputFiles"]);
/** Packet fields computed from files or set by the signer: a line that sets them is refused, not overruled. */
const COMPUTED = ["outputs.assetHash", "outputs.assetSize", "outputs.mimeType", "signature", "signingKeyId"];
/** A placeholder for validation only: the real id and time are set when the packet is created. */
const PLACEHOLDER_ID = "00000000-0000-4000-8000-000000000000";

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value);

function fileList(line: Json, name: string, fail: (problem: string) => never): string[] {
  const value = line[name];
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((item) => typeof item !== "string" || item.length === 0))
    fail(`"${name}" must be an array of file paths`);
  return value as string[];
}

async function hashFiles(paths: readonly string[], base: string, what: string, fail: (problem: string) => never) {
  return Promise.all(
    paths.map(async (path) => {
      try {
        return (await describeAssetFile(resolve(base, path))).assetHash;
      } catch (error) {
        return fail(`${what} ${(error as BaseError).shortMessage ?? String(error)}`);
      }
    }),
  );
}

/**
 * Reads, validates and completes a manifest.
 *
 * @throws {ManifestError} naming the line and field of the first problem.
 */
export async function readManifest(path: string): Promise<Manifest> {
  const absolute = resolve(path);
  let bytes: Buffer;
  try {
    bytes = await readFile(absolute);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ManifestError(`Cannot read manifest ${path}: ${code === "ENOENT" ? "no such file" : code}.`, {
      cause: error,
    });
  }
  const base = dirname(absolute);
  const lines = bytes.toString("utf8").split("\n");
  const steps: ManifestStep[] = [];
  const external = new Map<string, Uint8Array>();
  const outputsSoFar = new Set<string>();
  for (const [index, text] of lines.entries()) {
    if (text.trim().length === 0) continue;
    const number = index + 1;
    const fail = (problem: string): never => {
      // A problem may end with a quoted sentence's own full stop: one is enough.
      throw new ManifestError(`${path} line ${number}: ${problem.replace(/\.$/, "")}.`);
    };
    let line: unknown;
    try {
      line = parseJsonExact(text);
    } catch (error) {
      fail(`not JSON (${(error as Error).message})`);
    }
    if (!isObject(line)) return fail("must be a JSON object");
    const { stageId, output } = line;
    if (typeof stageId !== "string" || stageId.trim().length === 0) fail(`"stageId" must be a non-empty string`);
    if (typeof output !== "string" || output.length === 0) fail(`"output" must be the path of the step's output file`);
    for (const field of COMPUTED) {
      const [section, name] = field.includes(".") ? field.split(".") : [undefined, field];
      const holder = section === undefined ? line : line[section];
      if (isObject(holder) && name !== undefined && name in holder)
        fail(`"${field}" is computed (from the output file or the signing key), remove it from the line`);
    }
    const inputs = isObject(line.inputs) ? { ...line.inputs } : line.inputs;
    if (isObject(inputs)) {
      if ("prompt" in inputs && "promptHash" in inputs) fail(`give "inputs.prompt" or "inputs.promptHash", not both`);
      if ("prompt" in inputs) {
        if (typeof inputs.prompt !== "string") fail(`"inputs.prompt" must be a string`);
        // The packet format's promptHash: SHA-256 of the prompt normalised to NFC and trimmed.
        inputs.promptHash = createHash("sha256")
          .update((inputs.prompt as string).normalize("NFC").trim())
          .digest("hex");
        delete inputs.prompt;
      }
      if ("assetHashes" in inputs) fail(`"inputs.assetHashes" is computed: list the files in "inputFiles"`);
    }
    const inputFiles = fileList(line, "inputFiles", fail);
    const externalFiles = fileList(line, "externalInputFiles", fail);
    const [out, inputHashes, externalHashes] = await Promise.all([
      describeAssetFile(resolve(base, output as string)).catch((error: BaseError) =>
        fail(`"output": ${error.shortMessage}`),
      ),
      hashFiles(inputFiles, base, `"inputFiles":`, fail),
      hashFiles(externalFiles, base, `"externalInputFiles":`, fail),
    ]);
    inputHashes.forEach((hash, i) => {
      if (!outputsSoFar.has(toHex(hash)))
        fail(
          `"inputFiles" ${inputFiles[i]} is not the output of an earlier line (list assets from outside the run in "externalInputFiles")`,
        );
    });
    for (const hash of externalHashes) external.set(toHex(hash), hash);
    const packetJson: Json = Object.fromEntries(Object.entries(line).filter(([key]) => !LINE_FIELDS.has(key)));
    packetJson.inputs = isObject(inputs)
      ? { ...inputs, assetHashes: [...inputHashes, ...externalHashes].map(toHex) }
      : inputs;
    packetJson.outputs = {
      ...(isObject(line.outputs) ? line.outputs : {}),
      assetHash: toHex(out.assetHash),
      assetSize: out.assetSize,
      mimeType: out.mimeType,
    };
    let fields: PacketFields;
    try {
      fields = packetFieldsFromJson(packetJson);
      validateUnsignedPacket({
        version: "1.0",
        ...fields,
        packetId: fields.packetId ?? PLACEHOLDER_ID,
        timestamp: fields.timestamp ?? Date.now(),
        signingKeyId: "manifest-check",
      });
    } catch (error) {
      if (!(error instanceof InvalidPacketError)) throw error;
      return fail(`field "${error.field}" ${error.problem}`);
    }
    const first = steps[0]?.fields;
    if (first !== undefined && (fields.tenantId !== first.tenantId || fields.processId !== first.processId))
      fail(
        `tenantId "${fields.tenantId}" / processId "${fields.processId}" differ from line ${steps[0]?.line}'s "${first.tenantId}" / "${first.processId}": one manifest is one run`,
      );
    outputsSoFar.add(toHex(out.assetHash));
    steps.push({
      line: number,
      stageId: (stageId as string).trim(),
      outputPath: resolve(base, output as string),
      fields,
    });
  }
  const first = steps[0];
  if (first === undefined) throw new ManifestError(`${path} has no steps: one JSON object per line is expected.`);
  return {
    path: absolute,
    sha256: createHash("sha256").update(bytes).digest("hex"),
    tenantId: first.fields.tenantId,
    processId: first.fields.processId,
    steps,
    externalInputs: [...external.values()],
  };
}

/** Invalid packet vectors (spec/vectors/packets.json, `invalid`): each breaks one rule of docs/spec.md. */
import { concatBytes, toHex } from "../../src/bytes.ts";
import { decodeCanonicalMap } from "../../src/evidence/cbor/decode.ts";
import { encodeCanonical } from "../../src/evidence/cbor/encode.ts";
import { type CborMap, type CborValue, Tagged } from "../../src/evidence/cbor/types.ts";
import { PACKET_CONTEXT } from "../../src/evidence/context.ts";
import { MAX_TIMESTAMP_MS } from "../../src/evidence/packet.ts";
import type { SignedPacket } from "../../src/evidence/sign.ts";
import { type KeyName, signer } from "./keys.ts";
import { nest } from "./packets.ts";

const utf8 = new TextEncoder();

export type ErrorKind = "malformed-cbor" | "non-canonical" | "invalid-field" | "bad-signature";

export interface InvalidPacketVector {
  readonly name: string;
  readonly description: string;
  readonly key: KeyName;
  readonly cbor: string;
  readonly error: { readonly kind: ErrorKind; readonly field?: string };
  /** The signature verifies over the canonical encoding of what a lenient decoder reads: only the rule at issue rejects it. */
  readonly laxSignatureValid: boolean;
}

type Editable = Record<string, CborValue>;

/** A copy of `map` with the value at a dotted path replaced (or removed when `value` is undefined). */
function withField(map: CborMap, path: string, value: CborValue | undefined): Editable {
  const [head, ...rest] = path.split(".") as [string, ...string[]];
  const copy: Editable = { ...map };
  if (rest.length > 0) copy[head] = withField(map[head] as CborMap, rest.join("."), value);
  else if (value === undefined) delete copy[head];
  else copy[head] = value;
  return copy;
}

/** Canonical bytes of `map` with a fresh signature over everything but `signature`. */
async function resign(map: Editable, key: KeyName): Promise<Uint8Array> {
  const { signature: _old, ...unsigned } = map;
  const signature = await signer(key).sign(concatBytes(PACKET_CONTEXT, encodeCanonical(unsigned)));
  return encodeCanonical({ ...unsigned, signature });
}

/** Replaces the one occurrence of `from` (hex, byte-aligned) in `hex`. */
function replaceOnce(hex: string, from: string, to: string): string {
  const first = hex.indexOf(from);
  if (first < 0 || first % 2 !== 0 || hex.indexOf(from, first + 1) >= 0) throw new Error(`${from} is not unique`);
  return hex.slice(0, first) + to + hex.slice(first + from.length);
}

const text = (s: string): string => toHex(encodeCanonical(s));

function float64(value: number): string {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value);
  return toHex(new Uint8Array(view.buffer));
}

export async function invalidPackets(signed: Map<string, SignedPacket>): Promise<InvalidPacketVector[]> {
  const base = signed.get("all-optional-fields") as SignedPacket;
  const hex = toHex(base.bytes);
  const { map, spans } = decodeCanonicalMap(base.bytes, { allowedTags: new Set([1, 37]) });
  const out: InvalidPacketVector[] = [];
  const bytesCase = (
    name: string,
    description: string,
    cbor: string,
    error: InvalidPacketVector["error"],
    laxSignatureValid = true,
  ) => out.push({ name, description, key: "key-1", cbor, error, laxSignatureValid });
  const fieldCase = async (
    name: string,
    description: string,
    path: string,
    value: CborValue | undefined,
    error: InvalidPacketVector["error"],
  ) =>
    out.push({
      name,
      description,
      key: "key-1",
      cbor: toHex(await resign(withField(map, path, value), "key-1")),
      error,
      laxSignatureValid: true,
    });
  const entry = (key: string) => {
    const span = spans.find((s) => s.key === key) as { start: number; end: number };
    return hex.slice(span.start * 2, span.end * 2);
  };
  const durationMs = `${text("durationMs")}191072`;
  const timestamp = `${text("timestamp")}${toHex(encodeCanonical(new Tagged(1, 1767225605)))}`;

  // Encoding rules (RFC 8949 §4.2.1): the content is the valid packet's, only the bytes differ.
  bytesCase(
    "non-shortest-integer",
    "execution.durationMs 4210 with a 4-byte argument (1a 00001072) instead of 2 bytes (19 1072).",
    replaceOnce(hex, durationMs, `${text("durationMs")}1a00001072`),
    { kind: "non-canonical" },
  );
  bytesCase(
    "non-shortest-length",
    "The tenantId text length 13 written as 78 0d instead of 6d.",
    replaceOnce(hex, text("studio-aurora"), `780d${toHex(utf8.encode("studio-aurora"))}`),
    { kind: "non-canonical" },
  );
  bytesCase(
    "unsorted-keys",
    'Top-level entries "outputs" and "version" swapped (both 7-byte keys: "outputs" sorts first).',
    replaceOnce(hex, entry("outputs") + entry("version"), entry("version") + entry("outputs")),
    { kind: "non-canonical" },
  );
  const order = spans.map((s) => s.key).sort();
  bytesCase(
    "keys-in-text-order",
    "Top-level keys sorted as plain strings (execution, inputs, …) instead of by their encodings (shorter first).",
    hex.slice(0, 2) + order.map(entry).join(""),
    { kind: "non-canonical" },
  );
  const outputs = entry("outputs");
  bytesCase(
    "indefinite-length-map",
    "The outputs map written with an indefinite length (bf … ff).",
    replaceOnce(hex, outputs, `${text("outputs")}bf${outputs.slice(text("outputs").length + 2)}ff`),
    { kind: "non-canonical" },
  );
  bytesCase(
    "indefinite-length-text",
    "The tenantId written as an indefinite-length text string of two chunks (7f 66 … 67 … ff).",
    replaceOnce(hex, text("studio-aurora"), `7f${text("studio")}${text("-aurora")}ff`),
    { kind: "non-canonical" },
    false, // true in principle, but cborg (the test's lenient reader) cannot read chunked strings
  );
  bytesCase(
    "duplicate-key",
    'The "version" entry twice (map of 11 entries).',
    `ab${replaceOnce(hex.slice(2), entry("version"), entry("version") + entry("version"))}`,
    { kind: "non-canonical" },
  );
  bytesCase(
    "float-for-integer",
    "execution.durationMs 4210 written as float32 (fa 45839000): a whole number must be an integer.",
    replaceOnce(hex, durationMs, `${text("durationMs")}fa45839000`),
    { kind: "non-canonical" },
  );
  bytesCase(
    "non-shortest-float",
    "inputs.parameters.cfg 7.5 written as float32 (fa 40f00000) instead of float16 (f9 4780).",
    replaceOnce(hex, `${text("cfg")}f94780`, `${text("cfg")}fa40f00000`),
    { kind: "non-canonical" },
  );
  bytesCase(
    "trailing-bytes",
    "A valid packet followed by one more byte (00).",
    `${hex}00`,
    { kind: "malformed-cbor" },
    false,
  );
  bytesCase("truncated", "A valid packet without its last byte.", hex.slice(0, -2), { kind: "malformed-cbor" }, false);
  bytesCase(
    "invalid-utf8",
    "The deviceClass text holds the bytes 48 31 c3 28: not UTF-8.",
    replaceOnce(hex, text("H100"), "644831c328"),
    { kind: "malformed-cbor" },
    false,
  );
  bytesCase(
    "top-level-array",
    "An array holding the packet map: the top-level item must be a map.",
    `81${hex}`,
    { kind: "non-canonical" },
    false,
  );
  bytesCase(
    "wrong-tag-for-uuid",
    "packetId under tag 38 instead of tag 37: only tags 1 and 37 may appear.",
    replaceOnce(hex, `${text("packetId")}d825`, `${text("packetId")}d826`),
    { kind: "non-canonical" },
    false,
  );
  bytesCase(
    "timestamp-whole-float",
    "Tag 1 over 1767225605.0 as float64: a whole number of seconds must be an integer.",
    replaceOnce(hex, timestamp, `${text("timestamp")}c1fb${float64(1767225605)}`),
    { kind: "non-canonical" },
  );
  bytesCase(
    "timestamp-not-whole-ms",
    "Tag 1 over 1767225605.0001 (float64): not a whole number of milliseconds.",
    replaceOnce(hex, timestamp, `${text("timestamp")}${toHex(encodeCanonical(new Tagged(1, 1767225605.0001)))}`),
    { kind: "non-canonical" },
    false,
  );
  bytesCase(
    "undefined-in-parameters",
    "inputs.parameters.sampler is undefined (f7).",
    replaceOnce(hex, `${text("sampler")}${text("dpmpp_2m")}`, `${text("sampler")}f7`),
    { kind: "non-canonical" },
    false,
  );
  bytesCase(
    "nan-payload",
    "inputs.parameters.cfg is a NaN other than f9 7e00 (f9 7e01).",
    replaceOnce(hex, `${text("cfg")}f94780`, `${text("cfg")}f97e01`),
    { kind: "non-canonical" },
    false,
  );
  bytesCase(
    "integer-map-key",
    "inputs.parameters has an integer key (01) instead of a text key: map keys are text.",
    replaceOnce(hex, `${text("cfg")}f94780`, "01f94780"),
    { kind: "non-canonical" },
    false,
  );
  bytesCase(
    "seed-bignum",
    "inputs.seed 2^64 as tag 2 over 9 bytes: beyond the 64-bit range, and tag 2 is not allowed.",
    replaceOnce(
      hex,
      `${text("seed")}${toHex(encodeCanonical(1_234_567_890_123n))}`,
      `${text("seed")}c249010000000000000000`,
    ),
    { kind: "non-canonical" },
    false,
  );

  // Field rules: canonical bytes, freshly signed, that break a rule of the packet format.
  const packetIdBytes = (map.packetId as Tagged).value as Uint8Array;
  const v1 = Uint8Array.from(packetIdBytes);
  v1[6] = ((v1[6] as number) & 0x0f) | 0x10;
  await fieldCase("uuid-version-1", "packetId is tag 37 over a version 1 UUID.", "packetId", new Tagged(37, v1), {
    kind: "invalid-field",
    field: "packetId",
  });
  const badVariant = Uint8Array.from(packetIdBytes);
  badVariant[8] = (badVariant[8] as number) & 0x3f;
  await fieldCase(
    "uuid-variant",
    "packetId is tag 37 over a UUID whose variant bits are 00, not 10.",
    "packetId",
    new Tagged(37, badVariant),
    { kind: "invalid-field", field: "packetId" },
  );
  await fieldCase(
    "uuid-15-bytes",
    "packetId is tag 37 over 15 bytes.",
    "packetId",
    new Tagged(37, packetIdBytes.subarray(0, 15)),
    { kind: "invalid-field", field: "packetId" },
  );
  await fieldCase(
    "uuid-as-text",
    "packetId is a text UUID, not tag 37.",
    "packetId",
    "3b241101-e2bb-4255-8caf-4136c566a962",
    {
      kind: "invalid-field",
      field: "packetId",
    },
  );
  await fieldCase(
    "timestamp-under-tag-37",
    "timestamp is tag 37 over seconds instead of tag 1.",
    "timestamp",
    new Tagged(37, 1767225605),
    { kind: "invalid-field", field: "timestamp" },
  );
  await fieldCase("timestamp-negative", "timestamp is tag 1 over −1.", "timestamp", new Tagged(1, -1), {
    kind: "invalid-field",
    field: "timestamp",
  });
  await fieldCase(
    "timestamp-after-9999",
    "timestamp is tag 1 over 253402300800 (10000-01-01T00:00:00Z).",
    "timestamp",
    new Tagged(1, (MAX_TIMESTAMP_MS + 1) / 1000),
    { kind: "invalid-field", field: "timestamp" },
  );
  await fieldCase(
    "timestamp-negative-zero",
    "timestamp is tag 1 over −0.0 (f9 8000).",
    "timestamp",
    new Tagged(1, -0),
    {
      kind: "invalid-field",
      field: "timestamp",
    },
  );
  await fieldCase(
    "negative-zero-in-integer-field",
    "execution.durationMs is −0.0 (f9 8000): a float, where an unsigned integer is required.",
    "execution.durationMs",
    -0,
    { kind: "invalid-field", field: "execution.durationMs" },
  );
  await fieldCase("float-in-integer-field", "execution.durationMs is 4210.5.", "execution.durationMs", 4210.5, {
    kind: "invalid-field",
    field: "execution.durationMs",
  });
  await fieldCase("seed-negative-zero", "inputs.seed is −0.0 (f9 8000).", "inputs.seed", -0, {
    kind: "invalid-field",
    field: "inputs.seed",
  });
  await fieldCase("seed-negative", "inputs.seed is −1.", "inputs.seed", -1, {
    kind: "invalid-field",
    field: "inputs.seed",
  });
  await fieldCase("version-1.1", 'version is "1.1".', "version", "1.1", { kind: "invalid-field", field: "version" });
  await fieldCase("unknown-field", 'An extra top-level field "note".', "note", "hello", {
    kind: "invalid-field",
    field: "note",
  });
  await fieldCase("missing-field", "outputs.mimeType is absent.", "outputs.mimeType", undefined, {
    kind: "invalid-field",
    field: "outputs.mimeType",
  });
  await fieldCase("empty-text", 'tenantId is "".', "tenantId", "", { kind: "invalid-field", field: "tenantId" });
  await fieldCase("hash-31-bytes", "outputs.assetHash is 31 bytes.", "outputs.assetHash", new Uint8Array(31), {
    kind: "invalid-field",
    field: "outputs.assetHash",
  });
  await fieldCase("gpu-utilization-101", "execution.gpuUtilization is 101.", "execution.gpuUtilization", 101, {
    kind: "invalid-field",
    field: "execution.gpuUtilization",
  });
  await fieldCase("bad-mime-type", 'outputs.mimeType is "png".', "outputs.mimeType", "png", {
    kind: "invalid-field",
    field: "outputs.mimeType",
  });
  await fieldCase(
    "tag-in-parameters",
    "inputs.parameters.when is tag 1 over 0: parameters hold no tags.",
    "inputs.parameters.when",
    new Tagged(1, 0),
    { kind: "invalid-field", field: "inputs.parameters.when" },
  );
  await fieldCase(
    "parameters-too-deep",
    "inputs.parameters.deep is 32 nested arrays around 1: the 1 lies 33 levels below parameters.",
    "inputs.parameters.deep",
    nest(32),
    {
      kind: "invalid-field",
      field: "inputs.parameters.deep.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0",
    },
  );
  bytesCase(
    "missing-signature",
    "The signature entry is absent (a canonical map of 9 entries).",
    toHex(encodeCanonical(withField(map, "signature", undefined))),
    { kind: "invalid-field", field: "signature" },
    false,
  );

  // Signature: canonical and well-formed, but not signed by key-1 over these bytes.
  const flipped = Uint8Array.from(base.bytes);
  const signatureStart = (spans.find((s) => s.key === "signature") as { end: number }).end - 64;
  flipped[signatureStart] = (flipped[signatureStart] as number) ^ 0x01;
  bytesCase(
    "bad-signature",
    "The first signature byte has one bit flipped.",
    toHex(flipped),
    { kind: "bad-signature" },
    false,
  );
  bytesCase(
    "signature-by-another-key",
    "Signed by key-2 over the right message; checked against key-1.",
    toHex(await resign({ ...map }, "key-2")),
    { kind: "bad-signature" },
    false,
  );
  return out;
}

/**
 * Fuzzing the chainscript decoder with real signed chainscripts broken at the
 * byte level, and with JSON that looks right but is not: wrong types, huge
 * numbers, -0, lone surrogates, duplicate keys, non-canonical spellings.
 * parseChainscript must answer InvalidChainscriptError or a chainscript that
 * serializes; verifyChainscript must answer a verdict, never an exception,
 * and pass the canonical check only for bytes that are exactly the JCS form.
 */
import { expect } from "chai";
import fc from "fast-check";
import { equalBytes, toBase64Url, toHex } from "../../src/bytes.ts";
import { buildChainscript } from "../../src/chainscript/build.ts";
import {
  type Chainscript,
  InvalidChainscriptError,
  parseChainscript,
  serializeChainscript,
} from "../../src/chainscript/chainscript.ts";
import { type ChainVerificationReport, verifyChainscript } from "../../src/chainscript/verify.ts";
import { MAX_TIMESTAMP_MS } from "../../src/evidence/packet.ts";
import { fixedSigner, hashOf, RFC8032_PUBLIC_1 } from "../helpers/fixtures.ts";
import { decodeOrTypedError, describeError, fuzzInput, repeat, shortHex } from "../helpers/mutations.ts";
import { type Run, threeStageRun } from "../helpers/run.ts";

const SEED = 0xf022c5;
const params = (numRuns: number) => ({ seed: SEED, numRuns });
const utf8 = new TextEncoder();
const key = Buffer.from(RFC8032_PUBLIC_1, "hex");
const onlyKey = (keyId: string) => (keyId === "studio-key-2026" ? key : undefined);

const isChainscriptError = (error: unknown): boolean => error instanceof InvalidChainscriptError;

/**
 * parseChainscript's contract for one input: a typed error, or a chainscript
 * whose JCS serialization exists and is a fixed point (parsing it gives the same serialization).
 */
function checkParse(bytes: Uint8Array): Chainscript | undefined {
  const parsed = decodeOrTypedError(parseChainscript, bytes, isChainscriptError);
  if (parsed === undefined) return undefined;
  let serialized: Uint8Array;
  try {
    serialized = serializeChainscript(parsed);
  } catch (error) {
    expect.fail(`input ${shortHex(bytes)} parsed, but its chainscript does not serialize: ${describeError(error)}`);
  }
  expect(toHex(serializeChainscript(parseChainscript(serialized)))).to.equal(toHex(serialized));
  return parsed;
}

/** JSON text planted as is: the spellings JSON allows but JCS does not, and values no chainscript field holds. */
class Raw {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
}
type JsonLike = null | boolean | number | string | Raw | readonly JsonLike[] | { readonly [key: string]: JsonLike };

const RAW_VALUES = [
  "-0",
  "0.0",
  "1E0",
  "-1",
  "1.5",
  "1e400",
  "-1e400",
  "1e21",
  "9007199254740991",
  "9007199254740993",
  "8640000000000001",
  "253402300800000",
  '"\\ud800"',
  '"\\udfff"',
  '"a\\udc00b"',
  '"\\ud83d\\ude00"',
  '"\\u0000"',
  '""',
  '"0"',
  "[]",
  "{}",
  "null",
  "true",
  '{"toString":0}',
  '{"__proto__":1}',
  `"${"AB".repeat(32)}"`,
  `"${"A".repeat(85)}B"`,
  `"${"A".repeat(86)}="`,
  `${"[".repeat(10_000)}${"]".repeat(10_000)}`,
].map((text) => new Raw(text));

/** Every field of a chainscript and of its entries, and new keys beside them. */
const PATHS = [
  "version",
  "chainId",
  "tenantId",
  "processId",
  "signingKeyId",
  "entries",
  "externalInputs",
  "externalInputs.0",
  "chainHash",
  "chainSignature",
  "extra",
  "__proto__",
  ...[0, 1, 2].flatMap((i) =>
    ["sequence", "packetCid", "packetHash", "previousHash", "timestamp", "stageId", "eddsaSignature", "extra"].map(
      (field) => `entries.${i}.${field}`,
    ),
  ),
] as const;

interface Style {
  /** Keys sorted by UTF-16 code units, as JCS sorts them (else in the order they were parsed or added). */
  readonly sorted: boolean;
  /** Whitespace after separators. */
  readonly spaced: boolean;
  /** Keys in reverse order instead of the parsed (JCS) order. */
  readonly reversed: boolean;
  /** ASCII letters in strings written as \u00XX escapes. */
  readonly escaped: boolean;
  /** A key written twice in the first object that has it. */
  readonly duplicate: string | undefined;
}

/** JSON text for `value`: a JCS-like writer that can be told to deviate from JCS. */
function write(value: JsonLike, style: Style, duplicated = { done: false }): string {
  const comma = style.spaced ? ", " : ",";
  const colon = style.spaced ? ": " : ":";
  if (value instanceof Raw) return value.text;
  if (typeof value === "string") {
    const json = JSON.stringify(value);
    return style.escaped ? json.replace(/[a-z]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`) : json;
  }
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((item: JsonLike) => write(item, style, duplicated)).join(comma)}]`;
  const map = value as { readonly [key: string]: JsonLike };
  const keys = Object.keys(map);
  if (style.sorted) keys.sort();
  if (style.reversed) keys.reverse();
  const parts = keys.map((k) => `${JSON.stringify(k)}${colon}${write(map[k] as JsonLike, style, duplicated)}`);
  if (style.duplicate !== undefined && !duplicated.done && keys.includes(style.duplicate)) {
    duplicated.done = true;
    parts.push(
      `${JSON.stringify(style.duplicate)}${colon}${write(map[style.duplicate] as JsonLike, style, duplicated)}`,
    );
  }
  return `{${parts.join(comma)}}`;
}

/** A copy of `value` with the value at `path` set (undefined deletes it); unchanged where the path leads nowhere. */
function withEdit(value: JsonLike, path: readonly string[], next: JsonLike | undefined): JsonLike {
  const [head, ...rest] = path;
  if (head === undefined || value === null || typeof value !== "object" || value instanceof Raw) return value;
  if (Array.isArray(value)) {
    const index = Number(head);
    const items = value as readonly JsonLike[];
    if (!Number.isInteger(index) || index >= items.length) return value;
    if (rest.length === 0 && next === undefined) return items.filter((_, i) => i !== index);
    return items.map((item, i) =>
      i !== index ? item : rest.length === 0 ? (next as JsonLike) : withEdit(item, rest, next),
    );
  }
  const map = value as { readonly [key: string]: JsonLike };
  const copy: Record<string, JsonLike> = {};
  for (const k of Object.keys(map)) {
    Object.defineProperty(copy, k, { value: map[k], enumerable: true, writable: true, configurable: true });
  }
  if (rest.length === 0) {
    if (next === undefined) delete copy[head];
    else Object.defineProperty(copy, head, { value: next, enumerable: true, writable: true, configurable: true });
    return copy;
  }
  if (!Object.hasOwn(map, head)) return value;
  copy[head] = withEdit(map[head] as JsonLike, rest, next);
  return copy;
}

const hashHex = fc.uint8Array({ minLength: 32, maxLength: 32 }).map(toHex);
const signature = fc.uint8Array({ minLength: 64, maxLength: 64 }).map(toBase64Url);
/** Non-empty text, with lone surrogates among the code units. */
const text = fc.oneof(
  fc.string({ unit: fc.constantFrom("a", "é", "\ud800", "\udc00", "\u{1f600}"), minLength: 1, maxLength: 4 }),
  fc.constantFrom("studio-aurora", "sdxl-batch-v3", "studio-key-2026", "generate", "upscale", "bafkqaaa"),
);

/**
 * Values of the right shape for each field, by the field's name: they pass the format check and reach
 * every later one. Times go up to 2^53, past what a Date holds; text has lone surrogates.
 */
const WELL_SHAPED: Readonly<Record<string, fc.Arbitrary<JsonLike>>> = {
  version: fc.constant("1.0"),
  chainId: fc.uuid({ version: 4 }),
  tenantId: text,
  processId: text,
  signingKeyId: text,
  chainHash: hashHex,
  chainSignature: signature,
  sequence: fc.oneof(fc.nat({ max: 4 }), fc.maxSafeNat()),
  packetCid: text,
  packetHash: hashHex,
  previousHash: fc.option(hashHex, { nil: null }),
  timestamp: fc.oneof(
    fc.integer({ min: 0, max: MAX_TIMESTAMP_MS }),
    fc.integer({ min: MAX_TIMESTAMP_MS, max: Number.MAX_SAFE_INTEGER }),
  ),
  stageId: text,
  eddsaSignature: signature,
  externalInputs: fc.array(hashHex, { maxLength: 2 }),
  "0": hashHex,
};

const wellShapedEdit = fc
  .constantFrom(...PATHS.filter((path) => !path.endsWith("extra") && path !== "__proto__" && path !== "entries"))
  .chain((path) =>
    (WELL_SHAPED[path.split(".").at(-1) as string] ?? fc.constant(null)).map((value) => ({ path, value })),
  );

const plausible: fc.Arbitrary<JsonLike> = fc.oneof(...Object.values(WELL_SHAPED));

const edit = (values: fc.Arbitrary<JsonLike>) =>
  fc.record({ path: fc.constantFrom(...PATHS), value: fc.option(values, { nil: undefined, freq: 5 }) });

const anyValue = fc.oneof(
  { arbitrary: fc.constantFrom(...RAW_VALUES), weight: 3 },
  { arbitrary: plausible, weight: 2 },
  { arbitrary: fc.oneof(fc.integer(), fc.string({ maxLength: 8 }), fc.boolean()), weight: 1 },
);

const anyStyle: fc.Arbitrary<Style> = fc.record({
  sorted: fc.boolean(),
  spaced: fc.boolean(),
  reversed: fc.boolean(),
  escaped: fc.boolean(),
  duplicate: fc.option(fc.constantFrom("version", "tenantId", "entries", "sequence", "stageId", "chainHash"), {
    nil: undefined,
  }),
});

/** Exactly how JCS writes: what a careful forger would produce. */
const JCS_STYLE: Style = { sorted: true, spaced: false, reversed: false, escaped: false, duplicate: undefined };

/** Bytes worth planting in JSON: the same deviations as above, structural characters, and invalid UTF-8. */
const TOKENS: readonly Uint8Array[] = [
  ...RAW_VALUES.filter((raw) => raw.text.length < 100).map((raw) => utf8.encode(raw.text)),
  ...[" ", "\n", '"', "\\", "{", "}", "[", "]", ",", ":", '"x":1,', '"sequence":0,', "\u2028"].map((t) =>
    utf8.encode(t),
  ),
  Uint8Array.of(0xef, 0xbb, 0xbf), // a byte order mark
  Uint8Array.of(0xed, 0xa0, 0x80), // a surrogate in CESU-8, which is not UTF-8
  Uint8Array.of(0xc0, 0xa2), // an overlong quote
  Uint8Array.of(0xff),
  repeat([0x5b], 64),
];

/** What verifyChainscript must do for any input: answer, and be valid or canonical only where that is true. */
async function checkVerify(run: Run, originals: readonly Uint8Array[], bytes: Uint8Array): Promise<void> {
  let report: ChainVerificationReport;
  try {
    report = await verifyChainscript({ bytes, packets: run.store, resolveKey: onlyKey, threads: 1 });
  } catch (error) {
    expect.fail(`verifyChainscript threw on ${shortHex(bytes)}: ${describeError(error)}`);
  }
  const status = (id: string) => report.checks.find((check) => check.id === id)?.status;
  let canonical = false;
  try {
    canonical = equalBytes(serializeChainscript(parseChainscript(bytes)), bytes);
  } catch (error) {
    expect(isChainscriptError(error), describeError(error)).to.equal(true);
    expect(status("chainscript.format"), shortHex(bytes)).to.equal("fail");
  }
  if (status("chainscript.format") === "pass") {
    expect(status("chainscript.canonical"), shortHex(bytes)).to.equal(canonical ? "pass" : "fail");
  }
  // The chain key signs chainHash and each entry, not chainId or externalInputs: only an anchored CID binds
  // those, so a chainscript that differs from an original only there still verifies. Nothing else may differ.
  if (report.verdict === "valid") {
    const signed = (chainscript: Chainscript) => {
      const { chainId: _, externalInputs: __, ...rest } = chainscript;
      return JSON.stringify(rest);
    };
    const twin = originals.find((original) => signed(parseChainscript(original)) === signed(parseChainscript(bytes)));
    expect(twin, `a tampered chainscript verified: ${shortHex(bytes)}`).to.not.equal(undefined);
  }
}

describe("chainscript decoder fuzzing", () => {
  let run: Run;
  /** Real chainscripts: a three-stage run with lineage, and a one-entry chain with external inputs. */
  let originals: Uint8Array[];

  before(async () => {
    run = await threeStageRun();
    const single = await buildChainscript({
      steps: run.steps.slice(0, 1),
      signer: fixedSigner(),
      chainId: "9b2f0c8e-5d3a-4c1b-8e7f-6a5b4c3d2e1f",
      externalInputs: [hashOf("reference.png"), hashOf("palette.json")],
    });
    originals = [run.built.bytes, single.bytes];
  });

  const original = () => fc.nat({ max: 1 }).map((i) => originals[i] as Uint8Array);
  const rewritten = (edits: fc.Arbitrary<{ path: string; value: JsonLike | undefined }>, styles: fc.Arbitrary<Style>) =>
    fc.tuple(original(), fc.array(edits, { minLength: 1, maxLength: 3 }), styles).map(([bytes, edits, how]) => {
      const json = JSON.parse(new TextDecoder().decode(bytes)) as JsonLike;
      const changed = edits.reduce((value, e) => withEdit(value, e.path.split("."), e.value), json);
      return utf8.encode(write(changed, how));
    });

  it("answers mutated chainscript bytes with InvalidChainscriptError or a chainscript that serializes", () => {
    fc.assert(
      fc.property(fuzzInput(original(), TOKENS), (bytes) => {
        checkParse(bytes);
      }),
      params(2000),
    );
  });

  it("answers JSON with wrong types, huge numbers, -0, lone surrogates, duplicate keys or non-JCS spelling the same way", () => {
    fc.assert(
      fc.property(rewritten(edit(anyValue), anyStyle), (bytes) => {
        checkParse(bytes);
      }),
      params(2000),
    );
  });

  it("verifies mutated and rewritten chainscripts to a verdict, never an exception, valid only when untampered", async () => {
    // Most mutated bytes stop at the format check; JCS-written, well-shaped edits reach every later check.
    const input = fc.oneof(
      { arbitrary: fuzzInput(original(), TOKENS), weight: 1 },
      { arbitrary: rewritten(edit(anyValue), anyStyle), weight: 1 },
      { arbitrary: rewritten(wellShapedEdit, fc.constant(JCS_STYLE)), weight: 3 },
    );
    await fc.assert(
      fc.asyncProperty(input, async (bytes) => {
        await checkVerify(run, originals, bytes);
      }),
      params(400),
    );
  });

  it("rejects 100,000 levels of nested arrays in any field with InvalidChainscriptError, not a stack overflow", () => {
    const deep = `${"[".repeat(100_000)}${"]".repeat(100_000)}`;
    const text = new TextDecoder().decode(run.built.bytes);
    for (const field of ['"tenantId":"studio-aurora"', '"sequence":1', '"stageId":"upscale"']) {
      expect(text).to.contain(field);
      const bytes = utf8.encode(text.replace(field, `${field.split(":")[0]}:${deep}`));
      expect(() => parseChainscript(bytes), field).to.throw(InvalidChainscriptError);
    }
    expect(() => parseChainscript(utf8.encode(deep))).to.throw(InvalidChainscriptError, /must be an object/);
  });

  describe("regressions", () => {
    /** The shape of a chainscript with one entry; hashes and signatures are well-formed but sign nothing. */
    const shaped = (entry: string) =>
      utf8.encode(
        `{"chainHash":"${"00".repeat(32)}","chainId":"7c9e6679-7425-40de-944b-e07fc1f90ae7","chainSignature":"${"A".repeat(86)}",` +
          `"entries":[{"eddsaSignature":"${"A".repeat(86)}","packetCid":"bafkqaaa","packetHash":"${"00".repeat(32)}",` +
          `"previousHash":null,${entry}}],"processId":"p","signingKeyId":"studio-key-2026","tenantId":"t","version":"1.0"}`,
      );

    it("rejects a stageId holding a lone surrogate (\\ud800) when parsing, instead of a TypeError when serializing", async () => {
      const bytes = shaped(`"sequence":0,"stageId":"\\ud800","timestamp":0`);
      expect(() => parseChainscript(bytes)).to.throw(
        InvalidChainscriptError,
        /"entries\.0\.stageId": contains a lone UTF-16 surrogate/,
      );
      const report = await verifyChainscript({ bytes, packets: new Map(), resolveKey: onlyKey, threads: 1 });
      expect(report.checks.find((check) => check.id === "chainscript.format")?.status).to.equal("fail");
    });

    it("rejects an entry timestamp past year 9999 when parsing, instead of a RangeError from Date when verifying", async () => {
      const bytes = shaped(`"sequence":0,"stageId":"s","timestamp":9000000000000000`);
      expect(() => parseChainscript(bytes)).to.throw(
        InvalidChainscriptError,
        /"entries\.0\.timestamp": must be at most 253402300799999/,
      );
      const report = await verifyChainscript({ bytes, packets: new Map(), resolveKey: onlyKey, threads: 1 });
      expect(report.checks.find((check) => check.id === "chainscript.format")?.status).to.equal("fail");
    });

    it("reads -0, 1.0 and a duplicate key, which JSON allows, but reports the bytes as not canonical", async () => {
      for (const entry of [
        `"sequence":-0,"stageId":"s","timestamp":0`,
        `"sequence":0,"stageId":"s","timestamp":1.0`,
        `"sequence":0,"stageId":"s","stageId":"s","timestamp":0`,
      ]) {
        const bytes = shaped(entry);
        expect(parseChainscript(bytes).entries[0]?.stageId, entry).to.equal("s");
        const report = await verifyChainscript({ bytes, packets: new Map(), resolveKey: onlyKey, threads: 1 });
        expect(report.checks.find((check) => check.id === "chainscript.canonical")?.status, entry).to.equal("fail");
      }
    });
  });
});

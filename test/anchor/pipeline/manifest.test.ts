import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { expect } from "chai";
import fc from "fast-check";
import { ManifestError, readManifest } from "../../../src/anchor/pipeline/manifest.ts";
import { toHex } from "../../../src/bytes.ts";
import { rejection } from "../../helpers/rejection.ts";

const sha256 = (bytes: string | Uint8Array) => createHash("sha256").update(bytes).digest("hex");

type Line = Record<string, unknown>;

/** A valid line for `output`: everything a step needs, the prompt given as text. */
function line(output: string, extra: Line = {}): Line {
  return {
    stageId: "generate",
    output,
    tenantId: "studio-aurora",
    processId: "lighthouse-v1",
    inputs: { prompt: "a lighthouse at dusk", modelId: "sdxl@1", seed: "1000", parameters: { steps: 30 } },
    execution: { durationMs: 100, deviceClass: "H100", pipelineHash: "ab".repeat(32) },
    outputs: { resolutionW: 64, resolutionH: 64 },
    ...extra,
  };
}

describe("readManifest (JSONL manifest → packet fields computed from the files)", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "pop-manifest-"));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  /** Writes `files` (relative path → contents) under the test directory. */
  async function files(contents: Record<string, string | Uint8Array>) {
    for (const [path, data] of Object.entries(contents)) {
      await mkdir(dirname(join(dir, path)), { recursive: true });
      await writeFile(join(dir, path), data);
    }
  }

  /** Writes a manifest of `lines` (objects as JSON, strings verbatim), one per line; returns its path. */
  async function manifest(lines: readonly (Line | string)[], name = "run.jsonl"): Promise<string> {
    const path = join(dir, name);
    await writeFile(path, `${lines.map((l) => (typeof l === "string" ? l : JSON.stringify(l))).join("\n")}\n`);
    return path;
  }

  async function manifestError(path: string): Promise<ManifestError> {
    const error = await rejection(readManifest(path));
    expect(error).to.be.instanceOf(ManifestError);
    return error as ManifestError;
  }

  describe("what it computes", () => {
    it("takes each output's SHA-256, size and media type from the file, keeping the line's other output fields", async () => {
      const image = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 3, 255]);
      await files({ "out/lighthouse.png": image });
      const path = await manifest([line("out/lighthouse.png", { stageId: "  generate  " })]);
      const read = await readManifest(path);
      expect(read.path).to.equal(path);
      expect(read.tenantId).to.equal("studio-aurora");
      expect(read.processId).to.equal("lighthouse-v1");
      expect(read.steps).to.have.length(1);
      const [step] = read.steps as [(typeof read.steps)[number]];
      expect(step.line).to.equal(1);
      expect(step.stageId).to.equal("generate");
      expect(step.outputPath).to.equal(join(dir, "out/lighthouse.png"));
      expect(toHex(step.fields.outputs.assetHash)).to.equal(sha256(image));
      expect(step.fields.outputs.assetSize).to.equal(image.length);
      expect(step.fields.outputs.mimeType).to.equal("image/png");
      expect(step.fields.outputs).to.include({ resolutionW: 64, resolutionH: 64 });
      expect(step.fields.tenantId).to.equal("studio-aurora");
      // Manifest-only fields do not leak into the packet.
      expect(step.fields).to.not.have.any.keys("stageId", "output", "inputFiles", "externalInputFiles");
    });

    it("names the manifest by the SHA-256 of its bytes, so an edited manifest is another run", async () => {
      await files({ "a.bin": "a" });
      const first = await manifest([line("a.bin")]);
      const { sha256: before } = await readManifest(first);
      expect(before).to.equal(sha256(await readFile(first)));
      const edited = await manifest([line("a.bin", { stageId: "generate-v2" })]);
      expect((await readManifest(edited)).sha256).to.not.equal(before);
    });

    it("turns inputs.prompt into promptHash: SHA-256 of the text normalised to NFC and trimmed", async () => {
      await files({ "a.bin": "a", "b.bin": "b", "c.bin": "c" });
      const decomposed = "  Cafe\u0301 au lait \n"; // "e" + combining acute, with spaces around
      const composed = "Caf\u00e9 au lait";
      const path = await manifest([
        line("a.bin", { inputs: { prompt: decomposed, modelId: "m", seed: 1, parameters: {} } }),
        line("b.bin", { inputs: { prompt: composed, modelId: "m", seed: 1, parameters: {} } }),
        // A line may give the hash itself.
        line("c.bin", { inputs: { promptHash: "cd".repeat(32), modelId: "m", seed: 1, parameters: {} } }),
      ]);
      const [a, b, c] = (await readManifest(path)).steps.map((s) => s.fields.inputs);
      // Computed independently: sha256 of the UTF-8 bytes of "Café au lait" (U+00E9).
      const expected = "793e7643ce558259f6fe71f9ecaaf268acbcd011a2bb4c7f561df05a133d4d08";
      expect(toHex(a?.promptHash as Uint8Array)).to.equal(expected);
      expect(toHex(b?.promptHash as Uint8Array)).to.equal(expected);
      expect(expected).to.not.equal(sha256("Cafe\u0301 au lait")); // the normalisation is what makes them equal
      expect(a).to.not.have.property("prompt");
      expect(toHex(c?.promptHash as Uint8Array)).to.equal("cd".repeat(32));
    });

    it("hashes inputFiles (earlier outputs) and externalInputFiles into assetHashes, listing external ones once for the chain", async () => {
      await files({ "out/0.png": "first output", "out/1.png": "second output", "refs/style.png": "a style image" });
      const path = await manifest([
        line("out/0.png", { externalInputFiles: ["refs/style.png"] }),
        line("out/1.png", {
          stageId: "upscale",
          inputFiles: ["out/0.png"],
          externalInputFiles: ["refs/style.png"],
        }),
      ]);
      const read = await readManifest(path);
      const hashes = read.steps.map((s) => (s.fields.inputs.assetHashes ?? []).map(toHex));
      expect(hashes).to.deep.equal([[sha256("a style image")], [sha256("first output"), sha256("a style image")]]);
      expect(read.externalInputs.map(toHex)).to.deep.equal([sha256("a style image")]);
    });

    it("skips blank and whitespace-only lines, keeping the file's line numbers", async () => {
      await files({ "a.bin": "a", "b.bin": "b" });
      const path = await manifest(["", JSON.stringify(line("a.bin")), "   \t", "", JSON.stringify(line("b.bin")), ""]);
      expect((await readManifest(path)).steps.map((s) => s.line)).to.deep.equal([2, 5]);
      const bad = await manifest(["", "  ", JSON.stringify(line("a.bin")), "", "{oops"], "bad.jsonl");
      expect((await manifestError(bad)).message).to.include(`${bad} line 5: not JSON`);
    });

    it("takes any output's bytes: assetHash and assetSize are always those of the file", async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.uint8Array({ maxLength: 2_000 }), { minLength: 1, maxLength: 4 }),
          async (outputs) => {
            const case_ = await mkdtemp(join(dir, "case-"));
            const lines = [];
            for (const [i, bytes] of outputs.entries()) {
              await writeFile(join(case_, `${i}.bin`), bytes);
              lines.push(JSON.stringify(line(`${i}.bin`)));
            }
            await writeFile(join(case_, "run.jsonl"), lines.join("\n"));
            const read = await readManifest(join(case_, "run.jsonl"));
            expect(read.steps.map((s) => toHex(s.fields.outputs.assetHash))).to.deep.equal(
              outputs.map((b) => sha256(b)),
            );
            expect(read.steps.map((s) => s.fields.outputs.assetSize)).to.deep.equal(outputs.map((b) => b.length));
            expect(read.steps.map((s) => s.fields.outputs.mimeType)).to.deep.equal(
              outputs.map(() => "application/octet-stream"),
            );
          },
        ),
        { numRuns: 40 },
      );
    });
  });

  describe("errors name the manifest, the line and the field", () => {
    beforeEach(() => files({ "a.bin": "a", "b.bin": "b", "c.bin": "c" }));

    const cases: { title: string; lines: (Line | string)[]; line: number; says: string[] }[] = [
      { title: "a line that is not JSON", lines: [line("a.bin"), '{"stageId": '], line: 2, says: ["not JSON"] },
      { title: "an array line", lines: ["[1, 2]"], line: 1, says: ["must be a JSON object"] },
      { title: "a string line", lines: ['"generate"'], line: 1, says: ["must be a JSON object"] },
      { title: "a missing stageId", lines: [line("a.bin", { stageId: undefined })], line: 1, says: ['"stageId"'] },
      { title: "a blank stageId", lines: [line("a.bin", { stageId: "  " })], line: 1, says: ['"stageId"'] },
      { title: "a missing output", lines: [line("a.bin", { output: undefined })], line: 1, says: ['"output"'] },
      {
        title: "an output file that does not exist",
        lines: [line("gone.png")],
        line: 1,
        says: ['"output"', "gone.png"],
      },
      ...["assetHash", "assetSize", "mimeType"].map((name) => ({
        title: `a line setting outputs.${name}`,
        lines: [line("a.bin"), line("b.bin", { outputs: { resolutionW: 1, [name]: name === "assetSize" ? 1 : "x" } })],
        line: 2,
        says: [`"outputs.${name}" is computed`],
      })),
      ...["signature", "signingKeyId"].map((name) => ({
        title: `a line setting ${name}`,
        lines: [line("a.bin", { [name]: "ab".repeat(32) })],
        line: 1,
        says: [`"${name}" is computed`],
      })),
      {
        title: "a line setting inputs.assetHashes",
        lines: [
          line("a.bin", {
            inputs: { prompt: "p", modelId: "m", seed: 1, parameters: {}, assetHashes: ["ab".repeat(32)] },
          }),
        ],
        line: 1,
        says: ['"inputs.assetHashes" is computed', '"inputFiles"'],
      },
      {
        title: "both inputs.prompt and inputs.promptHash",
        lines: [
          line("a.bin", {
            inputs: { prompt: "p", promptHash: "ab".repeat(32), modelId: "m", seed: 1, parameters: {} },
          }),
        ],
        line: 1,
        says: ['"inputs.prompt"', '"inputs.promptHash"', "not both"],
      },
      {
        title: "an inputs.prompt that is not text",
        lines: [line("a.bin", { inputs: { prompt: 7, modelId: "m", seed: 1, parameters: {} } })],
        line: 1,
        says: ['"inputs.prompt" must be a string'],
      },
      {
        title: "inputFiles naming a file that is no earlier line's output",
        lines: [line("a.bin"), line("b.bin", { inputFiles: ["c.bin"] })],
        line: 2,
        says: ['"inputFiles" c.bin is not the output of an earlier line', '"externalInputFiles"'],
      },
      {
        title: "inputFiles naming the line's own output",
        lines: [line("a.bin"), line("b.bin", { inputFiles: ["b.bin"] })],
        line: 2,
        says: ['"inputFiles" b.bin is not the output of an earlier line'],
      },
      {
        title: "inputFiles naming a later line's output",
        lines: [line("a.bin", { inputFiles: ["b.bin"] }), line("b.bin")],
        line: 1,
        says: ['"inputFiles" b.bin'],
      },
      {
        title: "inputFiles naming a missing file",
        lines: [line("a.bin"), line("b.bin", { inputFiles: ["missing.bin"] })],
        line: 2,
        says: ['"inputFiles"', "missing.bin"],
      },
      {
        title: "inputFiles that is not a list of paths",
        lines: [line("a.bin"), line("b.bin", { inputFiles: "a.bin" })],
        line: 2,
        says: ['"inputFiles" must be an array of file paths'],
      },
      {
        title: "externalInputFiles naming a missing file",
        lines: [line("a.bin", { externalInputFiles: ["refs/none.png"] })],
        line: 1,
        says: ['"externalInputFiles"', "none.png"],
      },
      {
        title: "a negative execution.durationMs",
        lines: [
          line("a.bin"),
          line("b.bin", { execution: { durationMs: -5, deviceClass: "H100", pipelineHash: "ab".repeat(32) } }),
        ],
        line: 2,
        says: ['field "execution.durationMs"', "negative"],
      },
      {
        title: "a pipelineHash that is not 32 bytes",
        lines: [line("a.bin", { execution: { durationMs: 5, deviceClass: "H100", pipelineHash: "abcd" } })],
        line: 1,
        says: ['field "execution.pipelineHash"'],
      },
      {
        title: "a missing modelId",
        lines: [line("a.bin", { inputs: { prompt: "p", seed: 1, parameters: {} } })],
        line: 1,
        says: ['field "inputs'],
      },
      {
        title: "a tenant differing from the first line's",
        lines: [line("a.bin"), line("b.bin"), line("c.bin", { tenantId: "other-studio" })],
        line: 3,
        says: ['tenantId "other-studio"', "line 1", '"studio-aurora"', "one manifest is one run"],
      },
      {
        title: "a process differing from the first line's",
        lines: [line("a.bin"), line("b.bin", { processId: "lighthouse-v2" })],
        line: 2,
        says: ['processId "lighthouse-v2"', '"lighthouse-v1"'],
      },
    ];

    for (const { title, lines, line: number, says } of cases)
      it(`refuses ${title}`, async () => {
        const path = await manifest(lines);
        const error = await manifestError(path);
        expect(error.message).to.include(`${path} line ${number}: `);
        for (const words of says) expect(error.message).to.include(words);
        expect(error.message).to.match(/[^.]\.$/); // one sentence, one full stop
      });

    it("refuses a manifest with no steps, naming it", async () => {
      for (const text of ["", "\n", "  \n\t\n"]) {
        const path = join(dir, "empty.jsonl");
        await writeFile(path, text);
        const error = await manifestError(path);
        expect(error.message).to.equal(`${path} has no steps: one JSON object per line is expected.`);
      }
    });

    it("refuses a manifest it cannot read, naming it and why", async () => {
      const missing = join(dir, "nowhere.jsonl");
      expect((await manifestError(missing)).message).to.equal(`Cannot read manifest ${missing}: no such file.`);
      const directory = join(dir, "folder.jsonl");
      await mkdir(directory);
      expect((await manifestError(directory)).message).to.equal(`Cannot read manifest ${directory}: EISDIR.`);
    });
  });
});

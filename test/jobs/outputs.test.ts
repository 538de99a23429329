import { expect } from "chai";
import { sha256 } from "../../src/evidence/crypto/node.ts";
import { encodePng } from "../../src/jobs/outputs/png.ts";
import { planJob } from "../../src/jobs/plan.ts";
import { decodePng, findBox, parseJson, parseSafetensors, parseWav, walkBoxes } from "./formats.ts";

const plan = (taskType: string, seed: bigint) =>
  planJob({ seed, taskType, gpu: "H100", executor: "worker-1", failureRate: 0 });
const outputOf = (taskType: string, seed = 11n) => {
  const { request, outcome } = plan(taskType, seed);
  if (outcome.output === undefined) throw new Error("a job with failureRate 0 failed");
  return { request, output: outcome.output };
};

describe("jobs: output files", () => {
  describe("image generation", () => {
    it("writes a PNG that decodes: signature, CRCs, IHDR/IDAT/IEND, 64 × 64 RGB pixels", () => {
      const { output } = outputOf("image-generation");
      const png = decodePng(output.bytes);
      expect(png.chunkTypes).to.deep.equal(["IHDR", "IDAT", "IEND"]);
      expect([png.width, png.height]).to.deep.equal([64, 64]);
      expect(output.resolution).to.deep.equal({ width: 64, height: 64 });
      expect(output).to.include({ mimeType: "image/png", size: output.bytes.length });
      // A picture, not a flat fill: many distinct colours.
      const colours = new Set<string>();
      for (let i = 0; i < png.rgb.length; i += 3) colours.add(png.rgb.subarray(i, i + 3).join());
      expect(colours.size).to.be.greaterThan(100);
    });

    it("encodes the pixels it is given", () => {
      const rgb = Uint8Array.from({ length: 2 * 3 * 3 }, (_, i) => i * 13);
      expect(decodePng(encodePng(3, 2, rgb)).rgb).to.deep.equal(rgb);
    });
  });

  it("LLM inference writes a chat.completion JSON document naming the job's model", () => {
    const { request, output } = outputOf("llm-inference");
    const doc = parseJson(output.bytes) as {
      object: string;
      model: string;
      choices: { message: { role: string; content: string }; finish_reason: string }[];
      usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
    };
    expect(doc.object).to.equal("chat.completion");
    expect(doc.model).to.equal(request.modelId);
    expect(doc.choices[0]?.message.role).to.equal("assistant");
    expect(doc.choices[0]?.message.content.length).to.be.greaterThan(20);
    expect(doc.usage.total_tokens).to.equal(doc.usage.prompt_tokens + doc.usage.completion_tokens);
    expect(doc.usage.completion_tokens).to.be.at.most(request.parameters.maxTokens as number);
    expect(output.mimeType).to.equal("application/json");
  });

  it("fine-tuning writes a safetensors LoRA checkpoint whose tensors tile the data", () => {
    const { request, output } = outputOf("fine-tuning");
    const file = parseSafetensors(output.bytes);
    const rank = request.parameters.loraRank as number;
    const shapes = Object.values(file.tensors).map((tensor) => tensor.shape);
    expect(shapes).to.deep.include.members([
      [rank, 64],
      [64, rank],
    ]);
    expect(file.metadata).to.include({ base_model: request.modelId, job_id: request.jobId });
    // The header is padded so the tensor data starts on an 8-byte boundary.
    expect(Number(new DataView(output.bytes.buffer, output.bytes.byteOffset).getBigUint64(0, true)) % 8).to.equal(0);
    const first = Object.values(file.tensors)[0]?.data as Uint8Array;
    const value = new DataView(first.buffer, first.byteOffset).getFloat32(0, true);
    expect(Math.abs(value)).to.be.below(0.1);
    expect(output.fileName).to.match(/\.safetensors$/);
  });

  describe("video upscaling", () => {
    it("writes an MP4 whose boxes tile the file and whose track is the output resolution", () => {
      const { request, output } = outputOf("video-upscaling");
      const boxes = walkBoxes(output.bytes);
      expect(boxes.map((box) => box.type)).to.deep.equal(["ftyp", "moov", "mdat"]);
      expect(boxes.reduce((n, box) => n + box.size, 0)).to.equal(output.bytes.length);
      const tkhd = findBox(boxes, "tkhd")?.body as Uint8Array;
      const view = new DataView(tkhd.buffer, tkhd.byteOffset, tkhd.byteLength);
      const p = request.parameters;
      expect([view.getUint32(76) / 65536, view.getUint32(80) / 65536]).to.deep.equal([p.outputWidth, p.outputHeight]);
      const mvhd = findBox(boxes, "mvhd")?.body as Uint8Array;
      const movie = new DataView(mvhd.buffer, mvhd.byteOffset, mvhd.byteLength);
      expect(movie.getUint32(16) / movie.getUint32(12)).to.equal(p.clipSeconds);
      expect(output.resolution).to.deep.equal({ width: p.outputWidth, height: p.outputHeight });
      for (const type of ["mdhd", "hdlr", "vmhd", "dref", "stsd", "stts", "stsc", "stsz", "stco"])
        expect(findBox(boxes, type), type).to.not.equal(undefined);
    });

    it("upscales by the factor with the algorithm's model, from an input MP4 of the input resolution", () => {
      for (let seed = 0n; seed < 12n; seed++) {
        const { request } = outputOf("video-upscaling", seed);
        const p = request.parameters;
        expect(p.factor).to.be.oneOf([2, 4]);
        expect(p.algorithm).to.be.oneOf(["real-esrgan", "lanczos"]);
        expect(p.outputWidth).to.equal((p.inputWidth as number) * (p.factor as number));
        expect(request.modelId).to.equal(p.algorithm === "lanczos" ? "ffmpeg/lanczos" : "xinntao/Real-ESRGAN-x4plus");
        const input = request.inputs[0];
        expect(input?.resolution).to.deep.equal({ width: p.inputWidth, height: p.inputHeight });
        expect(walkBoxes(input?.bytes as Uint8Array).map((box) => box.type)).to.deep.equal(["ftyp", "moov", "mdat"]);
      }
    });
  });

  it("speech-to-text reads a WAV and writes a transcript whose segments tile the audio", () => {
    const { request, output } = outputOf("speech-to-text");
    const audio = request.inputs[0];
    const wav = parseWav(audio?.bytes as Uint8Array);
    const seconds = request.parameters.audioSeconds as number;
    expect(wav).to.deep.equal({ sampleRate: 8000, channels: 1, bits: 8, samples: seconds * 8000 });
    expect(audio?.mimeType).to.equal("audio/wav");
    const doc = parseJson(output.bytes) as {
      text: string;
      language: string;
      duration: number;
      segments: { id: number; start: number; end: number; text: string }[];
    };
    expect(doc.language).to.equal(request.parameters.language);
    expect(doc.duration).to.equal(seconds);
    expect(doc.segments[0]?.start).to.equal(0);
    expect(doc.segments.at(-1)?.end).to.equal(seconds);
    doc.segments.forEach((segment, i) => {
      expect(segment.id).to.equal(i);
      expect(segment.end).to.be.greaterThan(segment.start);
      if (i > 0) expect(segment.start).to.equal(doc.segments[i - 1]?.end);
    });
    expect(doc.text).to.equal(doc.segments.map((s) => s.text).join(" "));
  });

  it("fine-tuning reads a JSON Lines dataset of the declared size", () => {
    const { request } = outputOf("fine-tuning");
    const lines = new TextDecoder().decode(request.inputs[0]?.bytes).trimEnd().split("\n");
    expect(lines).to.have.length(request.parameters.datasetExamples as number);
    for (const line of lines) expect(Object.keys(JSON.parse(line))).to.deep.equal(["prompt", "completion"]);
  });

  it("every file's sha256 and size are those of its bytes", () => {
    for (const taskType of ["image-generation", "llm-inference", "fine-tuning", "video-upscaling", "speech-to-text"]) {
      const { request, output } = outputOf(taskType);
      for (const file of [output, ...request.inputs]) {
        expect(Buffer.from(file.sha256).toString("hex"), file.fileName).to.equal(
          Buffer.from(sha256(file.bytes)).toString("hex"),
        );
        expect(file.size).to.equal(file.bytes.length);
      }
    }
  });
});

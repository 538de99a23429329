/**
 * What a job of each task type is asked to do: its model, parameters, prompt
 * and input files, drawn from the seed. Kept apart from the outcome (./plan.ts)
 * so each reads as one table of choices.
 */
import { uuidFromBytes } from "../evidence/uuid.ts";
import { type TaskType, type TaskTypeId, UPSCALE_FACTORS, VIDEO_ALGORITHMS, type VideoAlgorithm } from "./catalog.ts";
import { type JobFile, jobFile } from "./files.ts";
import { generatedDataset } from "./outputs/dataset.ts";
import { generatedVideo } from "./outputs/mp4.ts";
import { imagePrompt, question } from "./outputs/text.ts";
import { generatedAudio } from "./outputs/wav.ts";
import type { SeededRandom } from "./random.ts";

/** Values a job parameter may take: they go into the packet's `inputs.parameters` as they are. */
export type ParameterValue = string | number | boolean;

export interface TaskRequest {
  readonly modelId: string;
  /** What was asked, in words: its SHA-256 (NFC, trimmed) is the packet's `inputs.promptHash`. */
  readonly prompt: string;
  readonly parameters: Readonly<Record<string, ParameterValue>>;
  /** Files the job reads (its external inputs), each with its real bytes. */
  readonly inputs: readonly JobFile[];
}

/** Generated images are 64 × 64: real PNGs that every decoder reads, small enough for thousands in a test run. */
export const IMAGE_SIZE = 64;
const VIDEO_INPUTS = [
  [640, 360],
  [854, 480],
  [1280, 720],
] as const;

/** A UUIDv4 (RFC 9562 §5.4) from 16 seeded bytes: version and variant bits set, the other 122 bits drawn. */
export function seededUuidV4(random: SeededRandom): string {
  const bytes = random.bytes(16);
  bytes[6] = ((bytes[6] as number) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80;
  return uuidFromBytes(bytes);
}

type Draw = (random: SeededRandom, task: TaskType, files: SeededRandom) => TaskRequest;

const DRAWS: Readonly<Record<TaskTypeId, Draw>> = {
  "image-generation": (random, task) => ({
    modelId: random.pick(task.models),
    prompt: imagePrompt(random),
    parameters: {
      width: IMAGE_SIZE,
      height: IMAGE_SIZE,
      steps: random.int(20, 50),
      guidanceScale: random.pick([5, 6, 7, 7.5, 8]),
      sampler: random.pick(["euler_a", "dpmpp_2m", "ddim"]),
    },
    inputs: [],
  }),
  "llm-inference": (random, task) => ({
    modelId: random.pick(task.models),
    prompt: question(random),
    parameters: {
      maxTokens: random.pick([256, 512, 1024]),
      temperature: random.pick([0, 0.2, 0.7, 1]),
      topP: random.pick([0.9, 0.95, 1]),
    },
    inputs: [],
  }),
  "fine-tuning": (random, task, files) => {
    const modelId = random.pick(task.models);
    const parameters = {
      method: "lora",
      loraRank: random.pick([8, 16]),
      epochs: random.int(1, 3),
      learningRate: random.pick([5e-5, 1e-4, 2e-4]),
      batchSize: random.pick([4, 8, 16]),
      datasetExamples: random.int(16, 48),
    };
    return {
      modelId,
      prompt: `Fine-tune ${modelId} with LoRA rank ${parameters.loraRank} on ${parameters.datasetExamples} examples`,
      parameters,
      inputs: [jobFile("dataset.jsonl", "application/jsonl", generatedDataset(files, parameters.datasetExamples))],
    };
  },
  "video-upscaling": (random, _task, files) => {
    const algorithm: VideoAlgorithm = random.pick(["real-esrgan", "lanczos"]);
    const factor = random.pick(UPSCALE_FACTORS);
    const [inputWidth, inputHeight] = random.pick(VIDEO_INPUTS);
    const clipSeconds = random.int(5, 20);
    const video = generatedVideo(files, {
      width: inputWidth,
      height: inputHeight,
      seconds: clipSeconds,
      mediaBytes: 2048,
    });
    return {
      modelId: VIDEO_ALGORITHMS[algorithm],
      prompt: `Upscale a ${inputWidth}x${inputHeight} clip ${factor}x with ${algorithm}`,
      parameters: {
        algorithm,
        factor,
        inputWidth,
        inputHeight,
        outputWidth: inputWidth * factor,
        outputHeight: inputHeight * factor,
        clipSeconds,
      },
      inputs: [jobFile("input.mp4", "video/mp4", video, { width: inputWidth, height: inputHeight })],
    };
  },
  "speech-to-text": (random, task, files) => {
    const language = random.pick(["en", "de", "fr", "es"]);
    const audioSeconds = random.int(3, 8);
    return {
      modelId: random.pick(task.models),
      prompt: `Transcribe ${audioSeconds} s of ${language} audio`,
      parameters: { language, audioSeconds, task: "transcribe" },
      inputs: [jobFile("audio.wav", "audio/wav", generatedAudio(files, audioSeconds))],
    };
  },
};

/** The request of a job of type `task`: `random` draws the choices, `files` the input files' bytes. */
export function drawTaskRequest(task: TaskType, random: SeededRandom, files: SeededRandom): TaskRequest {
  return DRAWS[task.id](random, task, files);
}

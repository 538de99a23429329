/**
 * What the GPU job simulator can run: five task types and five accelerators,
 * the ones operators of GPU fleets see in receipt trackers. Everything here is
 * data; the simulator and the packet mapping read it and nothing writes it.
 */
import { InvalidJobOptionError } from "./errors.ts";

export const TASK_TYPE_IDS = [
  "image-generation",
  "llm-inference",
  "fine-tuning",
  "video-upscaling",
  "speech-to-text",
] as const;
export type TaskTypeId = (typeof TASK_TYPE_IDS)[number];

export interface TaskType {
  readonly id: TaskTypeId;
  readonly name: string;
  /** Typical wall-clock seconds; a simulated run takes this ±20 %. */
  readonly estimateSeconds: number;
  /** Media type of the output file, as it goes into `outputs.mimeType`. */
  readonly mimeType: string;
  /** Extension of the output file, with its dot. */
  readonly extension: string;
  /** Model ids a job of this type picks from (Hugging Face style, as the packet's `inputs.modelId`). */
  readonly models: readonly string[];
  /** Share of the accelerator's memory a successful run uses: [min, max]. */
  readonly memoryShare: readonly [number, number];
}

export const TASK_TYPES: Readonly<Record<TaskTypeId, TaskType>> = {
  "image-generation": {
    id: "image-generation",
    name: "Stable Diffusion image generation",
    estimateSeconds: 45,
    mimeType: "image/png",
    extension: ".png",
    models: ["stabilityai/stable-diffusion-xl-base-1.0", "stabilityai/stable-diffusion-3.5-large"],
    memoryShare: [0.3, 0.6],
  },
  "llm-inference": {
    id: "llm-inference",
    name: "LLM inference",
    estimateSeconds: 12,
    mimeType: "application/json",
    extension: ".json",
    models: ["meta-llama/Llama-3.1-8B-Instruct", "mistralai/Mistral-7B-Instruct-v0.3", "Qwen/Qwen2.5-7B-Instruct"],
    memoryShare: [0.4, 0.85],
  },
  "fine-tuning": {
    id: "fine-tuning",
    name: "Model fine-tuning (LoRA)",
    estimateSeconds: 300,
    mimeType: "application/octet-stream",
    extension: ".safetensors",
    models: ["meta-llama/Llama-3.1-8B", "mistralai/Mistral-7B-v0.3"],
    memoryShare: [0.75, 0.98],
  },
  "video-upscaling": {
    id: "video-upscaling",
    name: "Video upscaling",
    estimateSeconds: 180,
    mimeType: "video/mp4",
    extension: ".mp4",
    // The model follows the algorithm (see VIDEO_ALGORITHMS), so this list is every model the type can name.
    models: ["xinntao/Real-ESRGAN-x4plus", "ffmpeg/lanczos"],
    memoryShare: [0.25, 0.7],
  },
  "speech-to-text": {
    id: "speech-to-text",
    name: "Speech-to-text",
    estimateSeconds: 30,
    mimeType: "application/json",
    extension: ".json",
    models: ["openai/whisper-large-v3", "openai/whisper-medium"],
    memoryShare: [0.15, 0.45],
  },
};

/** Video upscaling algorithms and the model id each one runs as. */
export const VIDEO_ALGORITHMS = { "real-esrgan": "xinntao/Real-ESRGAN-x4plus", lanczos: "ffmpeg/lanczos" } as const;
export type VideoAlgorithm = keyof typeof VIDEO_ALGORITHMS;
export const UPSCALE_FACTORS = [2, 4] as const;

/** The packet's `execution.deviceClass` spelling doubles as the GPU's id. */
export const GPU_IDS = ["A100", "H100", "RTX-4090", "MI300X", "TPU-v5e"] as const;
export type GpuId = (typeof GPU_IDS)[number];

export interface GpuType {
  readonly id: GpuId;
  readonly name: string;
  readonly vendor: "NVIDIA" | "AMD" | "Google";
  /** Accelerator memory in GB (HBM or GDDR). */
  readonly memoryGb: number;
}

export const GPU_TYPES: Readonly<Record<GpuId, GpuType>> = {
  A100: { id: "A100", name: "NVIDIA A100 80GB", vendor: "NVIDIA", memoryGb: 80 },
  H100: { id: "H100", name: "NVIDIA H100 SXM", vendor: "NVIDIA", memoryGb: 80 },
  "RTX-4090": { id: "RTX-4090", name: "NVIDIA RTX 4090", vendor: "NVIDIA", memoryGb: 24 },
  MI300X: { id: "MI300X", name: "AMD MI300X", vendor: "AMD", memoryGb: 192 },
  "TPU-v5e": { id: "TPU-v5e", name: "Google TPU v5e", vendor: "Google", memoryGb: 16 },
};

function oneOf<T extends string>(value: unknown, field: string, allowed: readonly T[]): T {
  if (typeof value === "string" && (allowed as readonly string[]).includes(value)) return value as T;
  const got = typeof value === "string" ? JSON.stringify(value) : typeof value;
  throw new InvalidJobOptionError(field, `must be one of ${allowed.map((a) => `"${a}"`).join(", ")}, got ${got}`);
}

/**
 * The task type named `value`.
 *
 * @example
 * taskTypeOf("fine-tuning").estimateSeconds // 300
 * @throws {InvalidJobOptionError} naming `field` and the allowed ids.
 */
export function taskTypeOf(value: unknown, field = "taskType"): TaskType {
  return TASK_TYPES[oneOf(value, field, TASK_TYPE_IDS)];
}

/**
 * The GPU named `value` (its device class: `A100`, `H100`, `RTX-4090`, `MI300X`, `TPU-v5e`).
 *
 * @throws {InvalidJobOptionError} naming `field` and the allowed ids.
 */
export function gpuTypeOf(value: unknown, field = "gpu"): GpuType {
  return GPU_TYPES[oneOf(value, field, GPU_IDS)];
}

/**
 * A fine-tuning checkpoint in the safetensors format (huggingface/safetensors):
 * an 8-byte little-endian header length N, N bytes of JSON mapping each tensor
 * name to its dtype, shape and [begin, end) byte offsets in the data that
 * follows, then the tensors' bytes, contiguous and in offset order. The
 * header is padded with spaces to a multiple of 8, as the reference writer
 * does, so the data starts aligned. Here: the A and B matrices of a LoRA
 * adapter for one attention projection, as float32.
 */
import { concatAll } from "../../bytes.ts";
import type { SeededRandom } from "../random.ts";

export interface CheckpointOptions {
  readonly baseModel: string;
  readonly rank: number;
  /** Width of the adapted layer (kept small: this is a file to hash, not to load into a model). */
  readonly hiddenSize: number;
  /** Free-form string metadata (`__metadata__` holds strings only). */
  readonly metadata: Readonly<Record<string, string>>;
}

function float32s(random: SeededRandom, count: number, scale: number): Uint8Array {
  const out = new Uint8Array(count * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < count; i++) view.setFloat32(i * 4, random.between(-scale, scale), true);
  return out;
}

/** A safetensors file holding a LoRA A (rank × hidden) and B (hidden × rank) pair. */
export function generatedCheckpoint(random: SeededRandom, options: CheckpointOptions): Uint8Array {
  const { rank, hiddenSize } = options;
  const prefix = "base_model.model.layers.0.self_attn.q_proj";
  const a = float32s(random, rank * hiddenSize, 0.02);
  const b = float32s(random, hiddenSize * rank, 0.002);
  const header = {
    __metadata__: { format: "pt", base_model: options.baseModel, ...options.metadata },
    [`${prefix}.lora_A.weight`]: { dtype: "F32", shape: [rank, hiddenSize], data_offsets: [0, a.length] },
    [`${prefix}.lora_B.weight`]: {
      dtype: "F32",
      shape: [hiddenSize, rank],
      data_offsets: [a.length, a.length + b.length],
    },
  };
  let json = JSON.stringify(header);
  json += " ".repeat((8 - ((8 + json.length) % 8)) % 8);
  const headerBytes = new TextEncoder().encode(json);
  const length = new Uint8Array(8);
  new DataView(length.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  return concatAll([length, headerBytes, a, b]);
}

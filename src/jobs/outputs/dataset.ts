/** Input data for fine-tuning jobs: JSON Lines of prompt/completion pairs, the shape most trainers take. */
import type { SeededRandom } from "../random.ts";
import { sentence } from "./text.ts";

export function generatedDataset(random: SeededRandom, examples: number): Uint8Array {
  const lines = Array.from({ length: examples }, () =>
    JSON.stringify({ prompt: sentence(random, random.int(5, 10)), completion: sentence(random, random.int(8, 16)) }),
  );
  return new TextEncoder().encode(`${lines.join("\n")}\n`);
}

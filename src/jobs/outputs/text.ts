/** Seeded stand-in text for prompts, completions and transcripts: plain ASCII words, so every format holds it. */
import type { SeededRandom } from "../random.ts";

const SUBJECTS = ["a lighthouse", "a fox", "an old tram", "a glass greenhouse", "a mountain village", "a koi pond"];
const SETTINGS = ["at dusk", "in the rain", "under northern lights", "at noon", "in autumn fog", "on a winter morning"];
const STYLES = ["oil on canvas", "watercolour", "35 mm photograph", "isometric render", "ink drawing", "pastel"];
const QUESTIONS = [
  "Summarise the main risks of running GPU jobs without receipts.",
  "Explain content addressing to a new engineer in three sentences.",
  "Draft a short status update about last night's batch run.",
  "List what an auditor needs to verify a generated image.",
  "Compare checkpoints and logs as evidence of a training run.",
];
// biome-ignore format: a word list reads best packed
const WORDS = [
  "the", "job", "model", "output", "each", "run", "records", "hash", "signed", "receipt", "batch", "input",
  "evidence", "operator", "auditor", "checks", "chain", "packet", "file", "proof", "time", "device", "memory",
  "result", "step", "and", "with", "for", "every", "is", "a", "of", "to", "that", "which", "can", "be", "later",
];

/** An image prompt: subject, setting, style. */
export function imagePrompt(random: SeededRandom): string {
  return `${random.pick(SUBJECTS)} ${random.pick(SETTINGS)}, ${random.pick(STYLES)}`;
}

export function question(random: SeededRandom): string {
  return random.pick(QUESTIONS);
}

/** A sentence of `count` words, capitalised, with a full stop. */
export function sentence(random: SeededRandom, count: number): string {
  const words = Array.from({ length: count }, () => random.pick(WORDS));
  const text = words.join(" ");
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}.`;
}

/**
 * An LLM inference result as OpenAI-compatible servers (vLLM, TGI, llama.cpp)
 * return it: a `chat.completion` object. No `created` time: the bytes depend
 * on the seed only, so the same seed gives the same file and the same hash.
 */
import type { SeededRandom } from "../random.ts";
import { sentence } from "./text.ts";

export interface CompletionOptions {
  readonly jobId: string;
  readonly modelId: string;
  readonly prompt: string;
  readonly maxTokens: number;
}

/** UTF-8 JSON of a chat completion answering `prompt`. */
export function generatedCompletion(random: SeededRandom, options: CompletionOptions): Uint8Array {
  const sentences = Array.from({ length: random.int(2, 5) }, () => sentence(random, random.int(6, 14)));
  const content = sentences.join(" ");
  // About four characters a token, as tokenizers of English text average; capped by max_tokens.
  const completionTokens = Math.min(options.maxTokens, Math.ceil(content.length / 4));
  const promptTokens = Math.ceil(options.prompt.length / 4);
  const document = {
    id: `chatcmpl-${options.jobId.replaceAll("-", "")}`,
    object: "chat.completion",
    model: options.modelId,
    choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }],
    usage: {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
    },
  };
  return new TextEncoder().encode(`${JSON.stringify(document, null, 2)}\n`);
}

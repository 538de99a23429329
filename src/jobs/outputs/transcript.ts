/**
 * A speech-to-text result in Whisper's `verbose_json` shape: the full text,
 * the language, the audio's duration and timed segments that tile it.
 */
import type { SeededRandom } from "../random.ts";
import { sentence } from "./text.ts";

export interface TranscriptSegment {
  readonly id: number;
  /** Seconds from the start of the audio, to the millisecond. */
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

/** UTF-8 JSON of a transcript of `audioSeconds` of audio in `language`. */
export function generatedTranscript(random: SeededRandom, audioSeconds: number, language: string): Uint8Array {
  const segments: TranscriptSegment[] = [];
  let start = 0;
  while (start < audioSeconds) {
    const end = Math.min(audioSeconds, Math.round((start + random.between(1.5, 4)) * 1000) / 1000);
    segments.push({ id: segments.length, start, end, text: sentence(random, random.int(3, 9)) });
    start = end;
  }
  const document = {
    text: segments.map((segment) => segment.text).join(" "),
    language,
    duration: audioSeconds,
    segments,
  };
  return new TextEncoder().encode(`${JSON.stringify(document, null, 2)}\n`);
}

/**
 * Input audio for speech-to-text jobs: a RIFF/WAVE file (PCM, 8 kHz, 8-bit
 * unsigned, mono) of seeded tone bursts. Small and real: any audio tool opens it.
 */
import { concatAll } from "../../bytes.ts";
import type { SeededRandom } from "../random.ts";

export const WAV_SAMPLE_RATE = 8000;

/** A WAV file of `seconds` (whole seconds) of tone bursts. */
export function generatedAudio(random: SeededRandom, seconds: number): Uint8Array {
  const samples = new Uint8Array(seconds * WAV_SAMPLE_RATE);
  for (let start = 0; start < samples.length; start += WAV_SAMPLE_RATE / 4) {
    const frequency = random.int(120, 400);
    const loud = random.float() < 0.7;
    for (let i = start; i < Math.min(start + WAV_SAMPLE_RATE / 4, samples.length); i++) {
      const tone = loud ? Math.sin((2 * Math.PI * frequency * i) / WAV_SAMPLE_RATE) * 60 : 0;
      samples[i] = 128 + Math.round(tone);
    }
  }
  const header = new Uint8Array(44);
  const view = new DataView(header.buffer);
  const ascii = (offset: number, text: string) => header.set(new TextEncoder().encode(text), offset);
  ascii(0, "RIFF");
  view.setUint32(4, 36 + samples.length, true);
  ascii(8, "WAVE");
  ascii(12, "fmt ");
  view.setUint32(16, 16, true); // fmt chunk size
  view.setUint16(20, 1, true); // PCM
  view.setUint16(22, 1, true); // mono
  view.setUint32(24, WAV_SAMPLE_RATE, true);
  view.setUint32(28, WAV_SAMPLE_RATE, true); // byte rate: 1 byte a sample
  view.setUint16(32, 1, true); // block align
  view.setUint16(34, 8, true); // bits per sample
  ascii(36, "data");
  view.setUint32(40, samples.length, true);
  return concatAll([header, samples]);
}

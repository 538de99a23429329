/**
 * A real PNG (ISO/IEC 15948, W3C PNG 3rd edition): the 8-byte signature, then
 * IHDR, one IDAT (zlib deflate of the filtered scanlines) and IEND, each chunk
 * with its CRC-32. 8-bit RGB, no interlace, filter type 0 on every row: the
 * simplest image every decoder reads.
 */
import { crc32, deflateSync } from "node:zlib";
import { concatAll } from "../../bytes.ts";
import type { SeededRandom } from "../random.ts";

const SIGNATURE = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const encoder = new TextEncoder();

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set(encoder.encode(type), 4);
  out.set(data, 8);
  // The CRC covers the type and the data, not the length.
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** Encodes `rgb` (width × height × 3 bytes, rows top to bottom) as a PNG. */
export function encodePng(width: number, height: number, rgb: Uint8Array): Uint8Array {
  if (rgb.length !== width * height * 3) throw new RangeError(`expected ${width * height * 3} RGB bytes`);
  const header = new Uint8Array(13);
  const view = new DataView(header.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  header.set([8, 2, 0, 0, 0], 8); // bit depth 8, colour type 2 (RGB), deflate, filter method 0, no interlace
  const rows = new Uint8Array(height * (1 + width * 3));
  for (let y = 0; y < height; y++) {
    // Byte 0 of each row is its filter type, 0 (None).
    rows.set(rgb.subarray(y * width * 3, (y + 1) * width * 3), y * (1 + width * 3) + 1);
  }
  const parts = [SIGNATURE, chunk("IHDR", header), chunk("IDAT", deflateSync(rows)), chunk("IEND", new Uint8Array())];
  return concatAll(parts);
}

/**
 * A deterministic picture for a seed: a diagonal gradient between two colours, a
 * disc of a third, and a little grain, so different seeds give visibly different images.
 */
export function generatedImage(random: SeededRandom, width: number, height: number): Uint8Array {
  const colour = () => [random.int(0, 255), random.int(0, 255), random.int(0, 255)] as const;
  const [from, to, disc] = [colour(), colour(), colour()];
  const cx = random.between(0.25, 0.75) * width;
  const cy = random.between(0.25, 0.75) * height;
  const radius = random.between(0.15, 0.35) * Math.min(width, height);
  const grain = random.bytes(width * height);
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const t = (x + y) / Math.max(1, width + height - 2);
      const inside = (x - cx) ** 2 + (y - cy) ** 2 <= radius ** 2;
      const noise = ((grain[y * width + x] as number) % 17) - 8;
      for (let c = 0; c < 3; c++) {
        const base = inside ? (disc[c] as number) : (from[c] as number) * (1 - t) + (to[c] as number) * t;
        rgb[(y * width + x) * 3 + c] = Math.max(0, Math.min(255, Math.round(base + noise)));
      }
    }
  }
  return encodePng(width, height, rgb);
}

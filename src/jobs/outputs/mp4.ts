/**
 * A minimal ISO base media file (ISO/IEC 14496-12, MP4): `ftyp`, then `moov`
 * with a movie header and one video track whose header carries the frame
 * size, then `mdat`. Every box is a 32-bit size and a four-character type,
 * sizes nest exactly. The sample tables are empty and `mdat` holds seeded
 * bytes rather than coded frames, so players open the file, read its size and
 * duration, and play nothing: it is a stand-in whose bytes are hashed, not a video.
 */
import { concatAll } from "../../bytes.ts";
import type { SeededRandom } from "../random.ts";

const encoder = new TextEncoder();
/** Unity matrix of tkhd/mvhd: a, b, u, c, d, v, x, y, w in 16.16 and 2.30 fixed point. */
const MATRIX = [0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000];
const TIMESCALE = 1000;

function box(type: string, ...content: Uint8Array[]): Uint8Array {
  const body = concatAll(content);
  const header = new Uint8Array(8);
  new DataView(header.buffer).setUint32(0, 8 + body.length);
  header.set(encoder.encode(type), 4);
  return concatAll([header, body]);
}

/** Big-endian fields: [value, width in bytes]. */
function fields(...values: readonly (readonly [number, 1 | 2 | 4])[]): Uint8Array {
  const out = new Uint8Array(values.reduce((n, [, width]) => n + width, 0));
  const view = new DataView(out.buffer);
  let offset = 0;
  for (const [value, width] of values) {
    if (width === 1) view.setUint8(offset, value);
    else if (width === 2) view.setUint16(offset, value);
    else view.setUint32(offset, value);
    offset += width;
  }
  return out;
}

const zeros = (length: number) => new Uint8Array(length);
const matrix = () => fields(...MATRIX.map((value) => [value, 4] as const));

export interface VideoOptions {
  readonly width: number;
  readonly height: number;
  readonly seconds: number;
  /** Bytes of stand-in media data. */
  readonly mediaBytes: number;
}

/** An MP4 container declaring a `width` × `height` video of `seconds`. */
export function generatedVideo(random: SeededRandom, options: VideoOptions): Uint8Array {
  const duration = Math.round(options.seconds * TIMESCALE);
  const mvhd = box(
    "mvhd",
    fields([0, 4], [0, 4], [0, 4], [TIMESCALE, 4], [duration, 4], [0x00010000, 4], [0x0100, 2]),
    zeros(10),
    matrix(),
    zeros(24),
    fields([2, 4]), // next track id
  );
  const tkhd = box(
    "tkhd",
    fields([0x000003, 4], [0, 4], [0, 4], [1, 4], [0, 4], [duration, 4]), // flags: enabled, in movie
    zeros(8),
    fields([0, 2], [0, 2], [0, 2], [0, 2]), // layer, alternate group, volume (0 for video), reserved
    matrix(),
    fields([options.width * 0x10000, 4], [options.height * 0x10000, 4]), // 16.16 fixed point
  );
  const mdhd = box("mdhd", fields([0, 4], [0, 4], [0, 4], [TIMESCALE, 4], [duration, 4], [0x55c4, 2], [0, 2])); // "und"
  const hdlr = box("hdlr", fields([0, 4], [0, 4]), encoder.encode("vide"), zeros(12), encoder.encode("VideoHandler\0"));
  const vmhd = box("vmhd", fields([1, 4]), zeros(8));
  const dinf = box("dinf", box("dref", fields([0, 4], [1, 4]), box("url ", fields([1, 4])))); // data in this file
  const emptyTable = (type: string) => box(type, fields([0, 4], [0, 4]));
  const stbl = box(
    "stbl",
    emptyTable("stsd"),
    emptyTable("stts"),
    emptyTable("stsc"),
    box("stsz", fields([0, 4], [0, 4], [0, 4])),
    emptyTable("stco"),
  );
  const trak = box("trak", tkhd, box("mdia", mdhd, hdlr, box("minf", vmhd, dinf, stbl)));
  const ftyp = box("ftyp", encoder.encode("isom"), fields([0x200, 4]), encoder.encode("isomiso2mp41"));
  return concatAll([ftyp, box("moov", mvhd, trak), box("mdat", random.bytes(options.mediaBytes))]);
}

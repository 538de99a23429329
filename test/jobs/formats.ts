/**
 * Readers for the simulator's file formats, written from the format
 * specifications and independent of src/jobs/outputs: a CRC-32 of our own,
 * inflate from node:zlib, box and header walks that check every length.
 */
import { inflateSync } from "node:zlib";

const decoder = new TextDecoder("utf-8", { fatal: true });

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

/** CRC-32 as the PNG specification's sample code computes it (ISO 3309 polynomial, reflected). */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of bytes) c = (CRC_TABLE[(c ^ byte) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export interface DecodedPng {
  readonly width: number;
  readonly height: number;
  readonly chunkTypes: readonly string[];
  /** RGB bytes, rows top to bottom (filter bytes removed; only filter type 0 is accepted). */
  readonly rgb: Uint8Array;
}

/** Decodes an 8-bit RGB, non-interlaced PNG, checking the signature, every CRC and the pixel data's length. */
export function decodePng(bytes: Uint8Array): DecodedPng {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const signature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (!signature.every((b, i) => bytes[i] === b)) throw new Error("no PNG signature");
  const chunkTypes: string[] = [];
  const idat: Uint8Array[] = [];
  let header: Uint8Array | undefined;
  let offset = 8;
  while (offset < bytes.length) {
    const length = view.getUint32(offset);
    const type = decoder.decode(bytes.subarray(offset + 4, offset + 8));
    const data = bytes.subarray(offset + 8, offset + 8 + length);
    if (offset + 12 + length > bytes.length) throw new Error(`chunk ${type} runs past the end`);
    if (view.getUint32(offset + 8 + length) !== crc32(bytes.subarray(offset + 4, offset + 8 + length)))
      throw new Error(`chunk ${type} has a bad CRC`);
    chunkTypes.push(type);
    if (type === "IHDR") header = data;
    if (type === "IDAT") idat.push(data);
    offset += 12 + length;
  }
  if (header === undefined || chunkTypes[0] !== "IHDR" || chunkTypes.at(-1) !== "IEND")
    throw new Error("IHDR first and IEND last are required");
  const headerView = new DataView(header.buffer, header.byteOffset, header.byteLength);
  const width = headerView.getUint32(0);
  const height = headerView.getUint32(4);
  if ([...header.subarray(8)].join() !== "8,2,0,0,0") throw new Error("not 8-bit RGB without interlace");
  const raw = inflateSync(Buffer.concat(idat));
  if (raw.length !== height * (1 + width * 3)) throw new Error(`inflated ${raw.length} bytes`);
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    if (raw[y * (1 + width * 3)] !== 0) throw new Error(`row ${y} uses a filter this reader does not undo`);
    rgb.set(raw.subarray(y * (1 + width * 3) + 1, (y + 1) * (1 + width * 3)), y * width * 3);
  }
  return { width, height, chunkTypes, rgb };
}

export interface Box {
  readonly type: string;
  readonly start: number;
  readonly size: number;
  readonly children: readonly Box[];
  readonly body: Uint8Array;
}

const CONTAINERS = new Set(["moov", "trak", "mdia", "minf", "dinf", "stbl"]);

/** Walks ISO-BMFF boxes, descending into containers; sizes must tile their parent exactly. */
export function walkBoxes(bytes: Uint8Array, start = 0): Box[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const boxes: Box[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    if (offset + 8 > bytes.length) throw new Error(`a box header at ${start + offset} is cut off`);
    const size = view.getUint32(offset);
    const type = decoder.decode(bytes.subarray(offset + 4, offset + 8));
    if (size < 8 || offset + size > bytes.length) throw new Error(`box ${type} at ${start + offset} has size ${size}`);
    const body = bytes.subarray(offset + 8, offset + size);
    const children = CONTAINERS.has(type) ? walkBoxes(body, start + offset + 8) : [];
    boxes.push({ type, start: start + offset, size, children, body });
    offset += size;
  }
  return boxes;
}

/** The first box of `type` anywhere below `boxes`. */
export function findBox(boxes: readonly Box[], type: string): Box | undefined {
  for (const box of boxes) {
    if (box.type === type) return box;
    const found = findBox(box.children, type);
    if (found !== undefined) return found;
  }
  return undefined;
}

export interface SafetensorsFile {
  readonly metadata: Record<string, string>;
  readonly tensors: Record<string, { dtype: string; shape: number[]; data: Uint8Array }>;
}

const DTYPE_SIZES: Record<string, number> = { F32: 4, F16: 2, BF16: 2, I64: 8 };

/** Parses safetensors: u64 LE header length, JSON header, tensors that tile the data with no gap or overlap. */
export function parseSafetensors(bytes: Uint8Array): SafetensorsFile {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (8 + headerLength > bytes.length) throw new Error("header runs past the end");
  const header = JSON.parse(decoder.decode(bytes.subarray(8, 8 + headerLength))) as Record<string, unknown>;
  const data = bytes.subarray(8 + headerLength);
  const { __metadata__: metadata = {}, ...entries } = header;
  const tensors: SafetensorsFile["tensors"] = {};
  const spans = Object.entries(
    entries as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>,
  )
    .map(([name, entry]) => ({ name, ...entry }))
    .sort((a, b) => a.data_offsets[0] - b.data_offsets[0]);
  let expected = 0;
  for (const {
    name,
    dtype,
    shape,
    data_offsets: [begin, end],
  } of spans) {
    if (begin !== expected) throw new Error(`tensor ${name} starts at ${begin}, expected ${expected}`);
    const size = DTYPE_SIZES[dtype];
    if (size === undefined) throw new Error(`tensor ${name} has dtype ${dtype}`);
    if (end - begin !== shape.reduce((n, d) => n * d, 1) * size) throw new Error(`tensor ${name} has the wrong length`);
    tensors[name] = { dtype, shape, data: data.subarray(begin, end) };
    expected = end;
  }
  if (expected !== data.length) throw new Error(`${data.length - expected} bytes after the last tensor`);
  return { metadata: metadata as Record<string, string>, tensors };
}

/** Parses a RIFF/WAVE file with one fmt and one data chunk, checking the RIFF length. */
export function parseWav(bytes: Uint8Array): { sampleRate: number; channels: number; bits: number; samples: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const ascii = (offset: number) => decoder.decode(bytes.subarray(offset, offset + 4));
  if (ascii(0) !== "RIFF" || ascii(8) !== "WAVE" || ascii(12) !== "fmt " || ascii(36) !== "data")
    throw new Error("not a canonical WAVE file");
  if (view.getUint32(4, true) !== bytes.length - 8) throw new Error("RIFF length does not match the file");
  if (view.getUint16(20, true) !== 1) throw new Error("not PCM");
  const dataLength = view.getUint32(40, true);
  if (44 + dataLength !== bytes.length) throw new Error("data chunk does not end the file");
  const channels = view.getUint16(22, true);
  const bits = view.getUint16(34, true);
  return { sampleRate: view.getUint32(24, true), channels, bits, samples: dataLength / ((bits / 8) * channels) };
}

export function parseJson(bytes: Uint8Array): unknown {
  return JSON.parse(decoder.decode(bytes));
}

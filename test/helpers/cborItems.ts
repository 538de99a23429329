/**
 * A minimal walker over well-formed, definite-length CBOR, for tests that
 * build non-canonical variants of canonical bytes. It trusts its input.
 */
export interface Item {
  readonly start: number;
  /** End of the header (initial byte and argument). */
  readonly headerEnd: number;
  readonly end: number;
  readonly major: number;
  readonly argument: number;
  /** For maps: the [keyStart, valueEnd) of each entry. */
  readonly entries?: { start: number; end: number }[];
}

export function walk(bytes: Uint8Array): Item[] {
  const items: Item[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const read = (at: number): number => {
    const initial = bytes[at] as number;
    const major = initial >> 5;
    const info = initial & 0x1f;
    const argumentLength = info < 24 ? 0 : 2 ** (info - 24);
    const headerEnd = at + 1 + argumentLength;
    let argument = info;
    if (info === 24) argument = bytes[at + 1] as number;
    else if (info === 25) argument = view.getUint16(at + 1);
    else if (info === 26) argument = view.getUint32(at + 1);
    else if (info === 27) argument = Number(view.getBigUint64(at + 1));
    const index = items.length;
    items.push({ start: at, headerEnd, end: 0, major, argument });
    let end = headerEnd;
    let entries: { start: number; end: number }[] | undefined;
    if (major === 2 || major === 3) {
      end = headerEnd + argument;
    } else if (major === 4) {
      for (let i = 0; i < argument; i++) end = read(end);
    } else if (major === 5) {
      entries = [];
      for (let i = 0; i < argument; i++) {
        const keyStart = end;
        end = read(read(end));
        entries.push({ start: keyStart, end });
      }
    } else if (major === 6) {
      end = read(end);
    }
    items[index] = { start: at, headerEnd, end, major, argument, ...(entries ? { entries } : {}) };
    return end;
  };
  read(0);
  return items;
}

const splice = (bytes: Uint8Array, start: number, end: number, insert: Uint8Array): Uint8Array => {
  const out = new Uint8Array(bytes.length - (end - start) + insert.length);
  out.set(bytes.subarray(0, start));
  out.set(insert, start);
  out.set(bytes.subarray(end), start + insert.length);
  return out;
};

/** Header of `major` with `argument` forced into the next longer argument form. */
function widenedHeader(major: number, argument: number, currentLength: number): Uint8Array | undefined {
  const type = major << 5;
  if (currentLength === 1) return Uint8Array.of(type | 24, argument);
  if (currentLength === 2) return Uint8Array.of(type | 25, 0, argument);
  if (currentLength === 3) return Uint8Array.of(type | 26, 0, 0, argument >> 8, argument & 0xff);
  if (currentLength === 5) {
    const out = new Uint8Array(9);
    out[0] = type | 27;
    new DataView(out.buffer).setUint32(5, argument);
    return out;
  }
  return undefined;
}

/**
 * Every non-canonical re-encoding of canonical `bytes` that means the same
 * thing: each header widened, each float widened, each string, array and map
 * made indefinite-length, and each pair of adjacent map entries swapped.
 */
export function nonCanonicalVariants(bytes: Uint8Array): { description: string; bytes: Uint8Array }[] {
  const variants: { description: string; bytes: Uint8Array }[] = [];
  for (const item of walk(bytes)) {
    const headerLength = item.headerEnd - item.start;
    const at = `item at byte ${item.start}`;
    if (item.major !== 7) {
      const header = widenedHeader(item.major, item.argument, headerLength);
      if (header)
        variants.push({
          description: `${at}: longer argument`,
          bytes: splice(bytes, item.start, item.headerEnd, header),
        });
    }
    if (item.major === 7 && headerLength > 1) {
      const view = new DataView(bytes.buffer, bytes.byteOffset + item.start + 1);
      const value =
        headerLength === 3
          ? halfToNumber(view.getUint16(0))
          : headerLength === 5
            ? view.getFloat32(0)
            : view.getFloat64(0);
      const wide = new Uint8Array(9);
      wide[0] = 0xfb;
      new DataView(wide.buffer).setFloat64(1, value);
      if (headerLength < 9)
        variants.push({
          description: `${at}: float widened to 64 bits`,
          bytes: splice(bytes, item.start, item.end, wide),
        });
    }
    if (item.major >= 2 && item.major <= 5) {
      const indefinite = new Uint8Array(item.end - item.start + 2 - (item.major <= 3 ? 0 : headerLength - 1));
      if (item.major <= 3) {
        // one definite chunk inside an indefinite string
        indefinite[0] = (item.major << 5) | 31;
        indefinite.set(bytes.subarray(item.start, item.end), 1);
      } else {
        indefinite[0] = (item.major << 5) | 31;
        indefinite.set(bytes.subarray(item.headerEnd, item.end), 1);
      }
      indefinite[indefinite.length - 1] = 0xff;
      variants.push({
        description: `${at}: indefinite length`,
        bytes: splice(bytes, item.start, item.end, indefinite),
      });
    }
    if (item.entries) {
      for (let i = 1; i < item.entries.length; i++) {
        const a = item.entries[i - 1] as { start: number; end: number };
        const b = item.entries[i] as { start: number; end: number };
        const swapped = new Uint8Array(b.end - a.start);
        swapped.set(bytes.subarray(b.start, b.end));
        swapped.set(bytes.subarray(a.start, a.end), b.end - b.start);
        variants.push({
          description: `${at}: entries ${i - 1} and ${i} swapped`,
          bytes: splice(bytes, a.start, b.end, swapped),
        });
      }
    }
  }
  return variants;
}

function halfToNumber(bits: number): number {
  const exponent = (bits >> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  const sign = bits & 0x8000 ? -1 : 1;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 31) return mantissa ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

/**
 * Annotated hex of a CBOR item, in the style of RFC 8949 Appendix A and
 * cbor.me: one line per header, its bytes, and what they mean. It is for the
 * worked example in docs/spec.md, where a reader checks an encoder by eye.
 */
import { toHex } from "../../src/bytes.ts";
import { fromHalfBits } from "../../src/evidence/cbor/float.ts";

const COLUMN = 44;

interface Cursor {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  pos: number;
}

function argument(cursor: Cursor, info: number): { value: bigint; size: number } {
  const size = info < 24 ? 0 : 2 ** (info - 24);
  let value = BigInt(info);
  if (size > 0) {
    value = 0n;
    for (let i = 0; i < size; i++) value = (value << 8n) | BigInt(cursor.bytes[cursor.pos + i] as number);
  }
  cursor.pos += size;
  return { value, size };
}

/** String(-0) is "0", which would hide the one float that looks like an integer. */
const number = (value: number): string => (Object.is(value, -0) ? "-0.0" : String(value));

function line(out: string[], depth: number, hex: string, comment: string): void {
  const left = `${"   ".repeat(depth)}${hex}`;
  out.push(`${left.padEnd(COLUMN)}# ${comment}`);
}

function item(cursor: Cursor, depth: number, out: string[]): void {
  const start = cursor.pos;
  const initial = cursor.bytes[cursor.pos++] as number;
  const major = initial >> 5;
  const info = initial & 0x1f;
  if (major === 7) {
    const size = info === 25 ? 2 : info === 26 ? 4 : info === 27 ? 8 : 0;
    cursor.pos += size;
    const hex = toHex(cursor.bytes.subarray(start, cursor.pos));
    let value: string;
    if (info === 25) value = `float16 ${number(fromHalfBits(cursor.view.getUint16(start + 1)))}`;
    else if (info === 26) value = `float32 ${number(cursor.view.getFloat32(start + 1))}`;
    else if (info === 27) value = `float64 ${number(cursor.view.getFloat64(start + 1))}`;
    else value = info === 20 ? "false" : info === 21 ? "true" : info === 22 ? "null" : `simple(${info})`;
    line(out, depth, hex, value);
    return;
  }
  const { value } = argument(cursor, info);
  const head = toHex(cursor.bytes.subarray(start, cursor.pos));
  const count = Number(value);
  switch (major) {
    case 0:
      line(out, depth, head, `unsigned(${value})`);
      return;
    case 1:
      line(out, depth, head, `negative(${-1n - value})`);
      return;
    case 2:
    case 3: {
      const content = cursor.bytes.subarray(cursor.pos, cursor.pos + count);
      cursor.pos += count;
      const what =
        major === 2 ? `bytes(${count})` : `text(${count}) ${JSON.stringify(new TextDecoder().decode(content))}`;
      const body = toHex(content);
      if (depth * 3 + head.length + 1 + body.length < COLUMN - 1) {
        line(out, depth, `${head} ${body}`, what);
        return;
      }
      // Long strings: the header carries the comment, the content follows 32 hex digits to a line.
      line(out, depth, head, what);
      for (let i = 0; i < body.length; i += 32) out.push(`${"   ".repeat(depth + 1)}${body.slice(i, i + 32)}`);
      return;
    }
    case 4:
      line(out, depth, head, `array(${count})`);
      for (let i = 0; i < count; i++) item(cursor, depth + 1, out);
      return;
    case 5:
      line(out, depth, head, `map(${count})`);
      for (let i = 0; i < count * 2; i++) item(cursor, depth + 1, out);
      return;
    default:
      line(out, depth, head, `tag(${value})`);
      item(cursor, depth + 1, out);
  }
}

/**
 * @example
 * annotate(Uint8Array.of(0xa1, 0x61, 0x61, 0x01))
 * // a1        # map(1)
 * //    61 61  # text(1) "a"
 * //    01     # unsigned(1)
 */
export function annotate(bytes: Uint8Array): string {
  const out: string[] = [];
  item({ bytes, view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), pos: 0 }, 0, out);
  return out.join("\n");
}

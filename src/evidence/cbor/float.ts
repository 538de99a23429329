/**
 * Shortest-float helpers for RFC 8949 preferred serialization: a float is
 * written as half, single or double precision, whichever is the shortest that
 * holds the value exactly; NaN is always the half-precision quiet NaN 0x7e00.
 */

const scratch = new DataView(new ArrayBuffer(8));
const TWO_POW_64 = 2 ** 64;

/** Half-precision bits of `value` if it is exactly representable as binary16, else -1. */
export function toHalfBits(value: number): number {
  if (Number.isNaN(value)) return 0x7e00;
  if (value === Number.POSITIVE_INFINITY) return 0x7c00;
  if (value === Number.NEGATIVE_INFINITY) return 0xfc00;
  if (Math.fround(value) !== value) return -1;
  scratch.setFloat32(0, value);
  const bits = scratch.getUint32(0);
  const sign = (bits >>> 16) & 0x8000;
  const exponent = ((bits >>> 23) & 0xff) - 127;
  const mantissa = bits & 0x7fffff;
  if (exponent === -127 && mantissa === 0) return sign; // ±0
  if (exponent >= -14 && exponent <= 15) {
    if ((mantissa & 0x1fff) !== 0) return -1;
    return sign | ((exponent + 15) << 10) | (mantissa >>> 13);
  }
  if (exponent >= -24 && exponent < -14) {
    // Subnormal half: value = m × 2^-24 with m < 2^10.
    const full = mantissa | 0x800000;
    const shift = -exponent - 1;
    if ((full & ((1 << shift) - 1)) !== 0) return -1;
    return sign | (full >>> shift);
  }
  return -1;
}

/** The number held by half-precision `bits`. */
export function fromHalfBits(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >>> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

/**
 * Whether a number is one the data model writes as an integer rather than a
 * float: whole, not −0, and inside the range CBOR's major types 0 and 1 hold.
 */
export function isIntegerValued(value: number): boolean {
  return Number.isInteger(value) && !Object.is(value, -0) && value < TWO_POW_64 && value >= -TWO_POW_64;
}

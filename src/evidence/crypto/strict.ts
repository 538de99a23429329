/**
 * The Ed25519 inputs every backend is held to before its own equation (decision 033). OpenSSL (Node),
 * BoringSSL (Chromium's WebCrypto) and @noble/ed25519 all check RFC 8032's equation, but they part on
 * inputs RFC 8032 leaves loose: encodings of A and R that are not canonical, public keys of small order,
 * and whether the equation is multiplied by the cofactor. A verdict must not depend on which of them ran,
 * so every backend first refuses what any of them might treat differently, and then uses the cofactorless
 * equation, which all three compute alike on what is left. Byte comparisons only: this runs per signature.
 */

/** L, the group order, little-endian. */
const ORDER = fromHex("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010");
/** p = 2^255 - 19, little-endian: a y coordinate at or above it is not canonical. */
const FIELD = fromHex("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f");
/** p - 1 and 1: the y of the two points with x = 0, whose encodings with the sign bit set are not canonical. */
const MINUS_ONE = fromHex("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f");
const ONE = fromHex("0100000000000000000000000000000000000000000000000000000000000000");

/**
 * The eight points of order dividing 8, canonically encoded: a public key among them verifies forgeries,
 * and OpenSSL refuses an R among them where noble accepts it.
 */
export const SMALL_ORDER_POINTS: readonly Uint8Array[] = [
  ONE,
  MINUS_ONE,
  "0000000000000000000000000000000000000000000000000000000000000000",
  "0000000000000000000000000000000000000000000000000000000000000080",
  "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
  "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
  "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
  "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
].map((point) => (typeof point === "string" ? fromHex(point) : point));

function fromHex(hex: string): Uint8Array {
  return Uint8Array.from(hex.match(/../g) ?? [], (byte) => Number.parseInt(byte, 16));
}

/** Whether the 32-byte little-endian `value`, its top bit masked by `topMask`, is below `bound`. */
function below(value: Uint8Array, bound: Uint8Array, topMask = 0xff): boolean {
  for (let i = 31; i >= 0; i--) {
    const byte = i === 31 ? (value[i] as number) & topMask : (value[i] as number);
    if (byte !== bound[i]) return byte < (bound[i] as number);
  }
  return false;
}

/** Equal as y coordinates: the sign bit (x's) aside. */
function sameY(point: Uint8Array, y: Uint8Array): boolean {
  for (let i = 0; i < 32; i++) if (((point[i] as number) & (i === 31 ? 0x7f : 0xff)) !== y[i]) return false;
  return true;
}

/** RFC 8032 §5.1.3 strictly: y below p, and no sign bit on a point whose x is 0. */
function canonicalPoint(point: Uint8Array): boolean {
  if (!below(point, FIELD, 0x7f)) return false;
  return ((point[31] as number) & 0x80) === 0 || !(sameY(point, ONE) || sameY(point, MINUS_ONE));
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < 32; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Whether a signature's inputs are ones every backend treats alike: 32- and 64-byte lengths, S below L,
 * canonical encodings of A and R, neither of small order. Anything else is refused, whatever its equation.
 */
export function strictEd25519Inputs(publicKey: Uint8Array, signature: Uint8Array): boolean {
  if (publicKey.length !== 32 || signature.length !== 64) return false;
  if (!below(signature.subarray(32), ORDER)) return false;
  if (!canonicalPoint(publicKey) || !canonicalPoint(signature.subarray(0, 32))) return false;
  const r = signature.subarray(0, 32);
  return !SMALL_ORDER_POINTS.some((point) => sameBytes(point, publicKey) || sameBytes(point, r));
}

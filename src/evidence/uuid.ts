import { fromHex, toHex } from "../bytes.ts";

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** Whether `text` is a UUIDv4 in canonical lowercase form (RFC 9562). */
export function isUuidV4(text: string): boolean {
  return UUID_V4.test(text);
}

export function isUuidV4Bytes(bytes: Uint8Array): boolean {
  return bytes.length === 16 && ((bytes[6] as number) & 0xf0) === 0x40 && ((bytes[8] as number) & 0xc0) === 0x80;
}

/** Bytes of a UUID already checked by {@link isUuidV4}. */
export function uuidToBytes(uuid: string): Uint8Array {
  return fromHex(uuid.replaceAll("-", "")) as Uint8Array;
}

export function uuidFromBytes(bytes: Uint8Array): string {
  const hex = toHex(bytes);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** A random UUIDv4 from the platform's CSPRNG. */
export function randomUuidV4(): string {
  return globalThis.crypto.randomUUID();
}

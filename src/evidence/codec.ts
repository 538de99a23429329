import { decodeCanonicalMap } from "./cbor/decode.ts";
import { encodeCanonical, encodeCanonicalMap } from "./cbor/encode.ts";
import { NonCanonicalEncodingError } from "./cbor/errors.ts";
import { type CborMap, type CborValue, Tagged } from "./cbor/types.ts";
import { PACKET_CONTEXT } from "./context.ts";
import { InvalidPacketError } from "./errors.ts";
import { type EvidencePacket, type UnsignedPacket, validatePacket } from "./packet.ts";
import { isUuidV4Bytes, uuidFromBytes, uuidToBytes } from "./uuid.ts";

/** RFC 8949 tag 1: epoch-based date/time. */
const TAG_EPOCH_TIME = 1;
/** IANA CBOR tag 37: binary UUID. */
const TAG_UUID = 37;
const PACKET_TAGS: ReadonlySet<number> = new Set([TAG_EPOCH_TIME, TAG_UUID]);

/** Seconds as Tag 1 holds them: ms/1000, which the encoder writes as an integer when whole, else the shortest exact float. */
function timestampToTag(ms: number): Tagged {
  return new Tagged(TAG_EPOCH_TIME, ms / 1000);
}

function toCborMap(packet: UnsignedPacket, signature?: Uint8Array): CborMap {
  const map: Record<string, CborValue> = {
    version: packet.version,
    packetId: new Tagged(TAG_UUID, uuidToBytes(packet.packetId)),
    tenantId: packet.tenantId,
    processId: packet.processId,
    timestamp: timestampToTag(packet.timestamp),
    inputs: packet.inputs as unknown as CborMap,
    execution: packet.execution as unknown as CborMap,
    outputs: packet.outputs as unknown as CborMap,
    signingKeyId: packet.signingKeyId,
  };
  if (signature !== undefined) map.signature = signature;
  return map;
}

/** The signature entry's key and byte-string header: `69 "signature" 58 40`. */
const SIGNATURE_ENTRY_HEAD = Uint8Array.from([0x69, ...new TextEncoder().encode("signature"), 0x58, 0x40]);

export interface PacketSigning {
  /** `POP-PACKET-V1\0` ‖ deterministic CBOR of the packet without its signature: what the signature covers. */
  readonly message: Uint8Array;
  /** The deterministic CBOR of the packet with `signature`, spliced into the message's encoding. */
  encodeSigned(signature: Uint8Array): Uint8Array;
}

/**
 * Encodes an unsigned packet once for both signing and storage: the signed
 * encoding is the same map with one more entry, so it is spliced, not re-encoded.
 */
export function preparePacketSigning(packet: UnsignedPacket): PacketSigning {
  const { bytes: message, spans } = encodeCanonicalMap(toCborMap(packet), PACKET_CONTEXT);
  // "signature" sorts right before "timestamp", a required key: that is where it goes.
  const insertAt = PACKET_CONTEXT.length + (spans.find((span) => span.key === "timestamp") as { start: number }).start;
  return {
    message,
    encodeSigned(signature: Uint8Array): Uint8Array {
      if (signature.length !== 64)
        throw new InvalidPacketError("signature", `must be 64 bytes, got ${signature.length}`);
      const cborLength = message.length - PACKET_CONTEXT.length;
      const out = new Uint8Array(cborLength + SIGNATURE_ENTRY_HEAD.length + 64);
      out[0] = (message[PACKET_CONTEXT.length] as number) + 1; // ≤ 23 entries: the count is in the first byte
      out.set(message.subarray(PACKET_CONTEXT.length + 1, insertAt), 1);
      let offset = insertAt - PACKET_CONTEXT.length;
      out.set(SIGNATURE_ENTRY_HEAD, offset);
      offset += SIGNATURE_ENTRY_HEAD.length;
      out.set(signature, offset);
      out.set(message.subarray(insertAt), offset + 64);
      return out;
    },
  };
}

/** The deterministic CBOR of a signed packet: the bytes that packetHash and packetCid identify. */
export function encodePacket(packet: EvidencePacket): Uint8Array {
  return encodeCanonical(toCborMap(packet, packet.signature));
}

function untag(map: CborMap, timestampOffset: number): Record<string, unknown> {
  const fields: Record<string, unknown> = { ...map };
  const id = map.packetId;
  if (!(id instanceof Tagged) || id.tag !== TAG_UUID) {
    throw new InvalidPacketError("packetId", "must be tag 37 over a 16-byte UUID");
  }
  if (!(id.value instanceof Uint8Array) || !isUuidV4Bytes(id.value)) {
    throw new InvalidPacketError("packetId", "must be a 16-byte UUIDv4");
  }
  fields.packetId = uuidFromBytes(id.value);
  const time = map.timestamp;
  if (!(time instanceof Tagged) || time.tag !== TAG_EPOCH_TIME || typeof time.value !== "number") {
    throw new InvalidPacketError("timestamp", "must be tag 1 over a number of seconds");
  }
  const ms = Math.round(time.value * 1000);
  // Readers round to the ms; any other value would not be what the encoder writes for that ms.
  if (!Number.isSafeInteger(ms) || timestampToTag(ms).value !== time.value) {
    throw new NonCanonicalEncodingError("the timestamp is not a whole number of milliseconds", timestampOffset);
  }
  fields.timestamp = ms;
  return fields;
}

export interface DecodedPacket {
  readonly packet: EvidencePacket;
  /** The exact message the packet's signature must verify against. */
  readonly signingMessage: Uint8Array;
}

/**
 * Strictly decodes packet bytes: they must be exactly the deterministic
 * encoding of a valid version 1.0 packet, and tags may appear only where the
 * format puts them.
 *
 * @throws {NonCanonicalEncodingError | MalformedCborError | InvalidPacketError}
 */
export function decodePacket(bytes: Uint8Array): DecodedPacket {
  const { map, spans } = decodeCanonicalMap(bytes, { allowedTags: PACKET_TAGS });
  const packet = validatePacket(untag(map, spans.find((span) => span.key === "timestamp")?.start ?? 0));
  // The signed message is the same canonical map minus the signature entry: cut it out, no re-encoding.
  const signature = spans.find((span) => span.key === "signature") as { start: number; end: number };
  const message = new Uint8Array(PACKET_CONTEXT.length + bytes.length - (signature.end - signature.start));
  message.set(PACKET_CONTEXT, 0);
  let offset = PACKET_CONTEXT.length;
  message[offset++] = (bytes[0] as number) - 1; // a map of ≤ 23 entries: the count is in the first byte
  message.set(bytes.subarray(1, signature.start), offset);
  offset += signature.start - 1;
  message.set(bytes.subarray(signature.end), offset);
  return { packet, signingMessage: message };
}

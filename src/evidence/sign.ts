import { sha256, verifyEd25519 } from "#crypto";
import { BaseError } from "../errors.ts";
import type { Signer } from "../keys/signer.ts";
import { type DecodedPacket, decodePacket, preparePacketSigning } from "./codec.ts";
import { type EvidencePacket, type UnsignedPacket, validateUnsignedPacket } from "./packet.ts";
import { randomUuidV4 } from "./uuid.ts";

/** Packet fields as a pipeline supplies them: id and time are filled in when absent, the key id comes from the signer. */
export type PacketFields = Omit<UnsignedPacket, "packetId" | "timestamp" | "signingKeyId" | "version"> & {
  readonly version?: UnsignedPacket["version"];
  readonly packetId?: string;
  readonly timestamp?: number;
};

export interface SignedPacket {
  readonly packet: EvidencePacket;
  /** Deterministic CBOR of the signed packet. */
  readonly bytes: Uint8Array;
  /** SHA-256 of `bytes`. */
  readonly packetHash: Uint8Array;
}

/**
 * Validates, signs and encodes one evidence packet.
 *
 * @example
 * const { bytes, packetHash } = await createPacket(fields, signer);
 * @throws {InvalidPacketError} naming the first bad field.
 */
export async function createPacket(fields: PacketFields, signer: Signer): Promise<SignedPacket> {
  const unsigned = validateUnsignedPacket({
    version: "1.0",
    ...fields,
    packetId: fields.packetId ?? randomUuidV4(),
    timestamp: fields.timestamp ?? Date.now(),
    signingKeyId: signer.keyId,
  });
  const signing = preparePacketSigning(unsigned);
  const signature = await signer.sign(signing.message);
  const bytes = signing.encodeSigned(signature);
  return { packet: { ...unsigned, signature }, bytes, packetHash: sha256(bytes) };
}

export type PacketVerification =
  | {
      readonly valid: true;
      readonly packet: EvidencePacket;
      readonly packetHash: Uint8Array;
    }
  | {
      readonly valid: false;
      /** Why: the signature, or the decoding error's message. */
      readonly reason: string;
      readonly packet?: EvidencePacket;
      readonly packetHash: Uint8Array;
    };

/**
 * Checks that `bytes` are a canonical version 1.0 packet whose signature
 * verifies under `publicKey`.
 */
export function verifyPacket(bytes: Uint8Array, publicKey: Uint8Array): PacketVerification {
  const packetHash = sha256(bytes);
  let decoded: DecodedPacket;
  try {
    decoded = decodePacket(bytes);
  } catch (error) {
    if (!(error instanceof BaseError)) throw error;
    return { valid: false, reason: error.shortMessage, packetHash };
  }
  const { packet, signingMessage } = decoded;
  if (!verifyEd25519(publicKey, signingMessage, packet.signature)) {
    return {
      valid: false,
      reason: "the packet signature does not verify under the given public key",
      packet,
      packetHash,
    };
  }
  return { valid: true, packet, packetHash };
}

import { sha256 } from "#crypto";

/** A file a job reads or writes: its real bytes and the facts a packet records about them. */
export interface JobFile {
  readonly fileName: string;
  readonly mimeType: string;
  readonly bytes: Uint8Array;
  /** SHA-256 of `bytes`. */
  readonly sha256: Uint8Array;
  readonly size: number;
  /** Pixels, for images and video. */
  readonly resolution?: { readonly width: number; readonly height: number };
}

export function jobFile(
  fileName: string,
  mimeType: string,
  bytes: Uint8Array,
  resolution?: { readonly width: number; readonly height: number },
): JobFile {
  const file = { fileName, mimeType, bytes, sha256: sha256(bytes), size: bytes.length };
  return resolution === undefined ? file : { ...file, resolution };
}

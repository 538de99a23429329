/** A file's SHA-256 in the page, without sending it anywhere, and without holding a large one in memory. */
import { sha256 } from "@noble/hashes/sha2.js";

/** Up to this size a file is hashed whole by WebCrypto (fast); a larger one in chunks, never all in memory. */
export const WHOLE_FILE_BYTES = 64 * 1024 * 1024;

/** How often a streamed hash reports how far it got. */
const PROGRESS_EVERY_BYTES = 16 * 1024 * 1024;

/**
 * The file's SHA-256: whole by WebCrypto up to `wholeFileBytes`, else streamed through noble's (a few
 * hundred MB/s), telling `progress` the bytes hashed every 16 MiB.
 */
export async function fileSha256(
  file: Blob,
  progress: (done: number) => void = () => {},
  wholeFileBytes = WHOLE_FILE_BYTES,
): Promise<Uint8Array> {
  if (file.size <= wholeFileBytes)
    return new Uint8Array(await crypto.subtle.digest("SHA-256", await file.arrayBuffer()));
  const hash = sha256.create();
  const reader = file.stream().getReader();
  let done = 0;
  let reported = 0;
  for (;;) {
    const chunk = await reader.read();
    if (chunk.done) return hash.digest();
    hash.update(chunk.value);
    done += chunk.value.length;
    if (done - reported >= PROGRESS_EVERY_BYTES) {
      reported = done;
      progress(done);
    }
  }
}

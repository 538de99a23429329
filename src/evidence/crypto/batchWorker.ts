/** Worker side of ./batch.ts: verifies a packed batch and answers one byte per check. */
import { parentPort } from "node:worker_threads";
import { verifyEd25519 } from "./node.ts";

parentPort?.on("message", ({ id, buffer }: { id: number; buffer: ArrayBuffer }) => {
  const bytes = new Uint8Array(buffer);
  const view = new DataView(buffer);
  const count = view.getUint32(0);
  const results = new Uint8Array(count);
  let offset = 4;
  for (let i = 0; i < count; i++) {
    const length = view.getUint32(offset + 96);
    const publicKey = bytes.subarray(offset, offset + 32);
    const signature = bytes.subarray(offset + 32, offset + 96);
    const message = bytes.subarray(offset + 100, offset + 100 + length);
    results[i] = verifyEd25519(publicKey, message, signature) ? 1 : 0;
    offset += 100 + length;
  }
  parentPort?.postMessage({ id, results }, [results.buffer]);
});

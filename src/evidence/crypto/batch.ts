/**
 * Ed25519 verification of many signatures at once, spread over worker threads:
 * verification is the floor of checking a large chainscript (two signatures per
 * entry), and it parallelises perfectly.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { verifyEd25519 } from "./node.ts";
import type { SignatureCheck } from "./types.ts";

/** Below this many checks the cost of handing work to threads outweighs the gain. */
const PARALLEL_THRESHOLD = 512;

interface PoolWorker {
  readonly worker: Worker;
  pending: Map<number, { resolve: (results: Uint8Array) => void; reject: (error: Error) => void }>;
}

let pool: PoolWorker[] | undefined;
let nextJob = 0;

function spawn(): Worker {
  const url = new URL("./batchWorker.ts", import.meta.url);
  if (process.features.typescript) return new Worker(url);
  // Node before 22.18 cannot run TypeScript by itself: load the worker through tsx.
  const tsx = import.meta.resolve("tsx/esm/api");
  const bootstrap = `import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(url.href)}); });`;
  return new Worker(bootstrap, { eval: true });
}

function getPool(size: number): PoolWorker[] {
  if (pool !== undefined && pool.length >= size) return pool;
  pool ??= [];
  while (pool.length < size) {
    const entry: PoolWorker = { worker: spawn(), pending: new Map() };
    entry.worker.unref(); // an idle pool must not keep the process alive
    entry.worker.on("message", ({ id, results }: { id: number; results: Uint8Array }) => {
      entry.pending.get(id)?.resolve(results);
      entry.pending.delete(id);
    });
    const fail = (error: Error) => {
      for (const job of entry.pending.values()) job.reject(error);
      entry.pending.clear();
      pool = pool?.filter((other) => other !== entry);
    };
    entry.worker.on("error", fail);
    entry.worker.on("exit", (code) => fail(new Error(`signature worker exited with code ${code}`)));
    pool.push(entry);
  }
  return pool;
}

/** Packs checks into one transferable buffer: [pub 32][sig 64][len u32][msg] per check. */
function pack(checks: readonly SignatureCheck[]): ArrayBuffer {
  let size = 4;
  for (const check of checks) size += 100 + check.message.length;
  const buffer = new ArrayBuffer(size);
  const bytes = new Uint8Array(buffer);
  const view = new DataView(buffer);
  view.setUint32(0, checks.length);
  let offset = 4;
  for (const { publicKey, signature, message } of checks) {
    if (publicKey.length === 32) bytes.set(publicKey, offset);
    if (signature.length === 64) bytes.set(signature, offset + 32);
    view.setUint32(offset + 96, message.length);
    bytes.set(message, offset + 100);
    offset += 100 + message.length;
  }
  return buffer;
}

function runOn(entry: PoolWorker, checks: readonly SignatureCheck[]): Promise<Uint8Array> {
  const id = nextJob++;
  const buffer = pack(checks);
  return new Promise((resolve, reject) => {
    entry.pending.set(id, { resolve, reject });
    entry.worker.ref(); // keep the process alive while a job is out
    entry.worker.postMessage({ id, buffer }, [buffer]);
  }).finally(() => {
    if (entry.pending.size === 0) entry.worker.unref();
  }) as Promise<Uint8Array>;
}

/**
 * Verifies every check and returns one boolean per check, in order. Large
 * batches run on worker threads (one per core by default).
 */
export async function verifyEd25519Batch(
  checks: readonly SignatureCheck[],
  options: { threads?: number } = {},
): Promise<boolean[]> {
  const threads = options.threads ?? availableParallelism();
  const malformed = (c: SignatureCheck) => c.publicKey.length !== 32 || c.signature.length !== 64;
  if (threads <= 1 || checks.length < PARALLEL_THRESHOLD) {
    return checks.map((c) => verifyEd25519(c.publicKey, c.message, c.signature));
  }
  const workers = getPool(threads).slice(0, threads);
  const chunk = Math.ceil(checks.length / workers.length);
  const parts = await Promise.all(workers.map((entry, i) => runOn(entry, checks.slice(i * chunk, (i + 1) * chunk))));
  const results: boolean[] = [];
  for (const part of parts) for (const ok of part) results.push(ok === 1);
  // The packed format cannot carry a wrong-sized key or signature: those never verify.
  return results.map((ok, i) => ok && !malformed(checks[i] as SignatureCheck));
}

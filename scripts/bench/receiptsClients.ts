/**
 * The bench's clients on a thread of their own (receiptsLoad.ts's runLoad in a worker): the service's event
 * loop then serves requests only, as it does in production where workers are other machines, and the
 * latency the clients see is not the time their own answers waited behind the service's work, or the
 * service's behind theirs. The restart halfway stays the main thread's: the worker asks for it by message.
 */
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { type LoadOptions, type LoadResult, runLoad } from "./receiptsLoad.ts";

type WorkerInput = Omit<LoadOptions, "halfway"> & { readonly restartHalfway: boolean };
type WorkerMessage = { readonly halfway: true } | { readonly result: LoadResult } | { readonly error: string };

/** runLoad on a worker thread; `halfway` runs here, on the caller's thread, and is awaited before answering. */
export function runLoadOnThread(options: LoadOptions): Promise<LoadResult> {
  const { halfway, ...rest } = options;
  const input: WorkerInput = { ...rest, restartHalfway: halfway !== undefined };
  const worker = new Worker(new URL(import.meta.url), { workerData: input });
  let restarted: Promise<void> | undefined;
  let result: LoadResult | undefined;
  return new Promise<LoadResult>((resolve, reject) => {
    worker.on("message", (message: WorkerMessage) => {
      if ("halfway" in message) restarted = halfway?.();
      else if ("error" in message) reject(new Error(message.error));
      else {
        result = message.result;
        // Its fetch may keep idle connections open, and then the thread would not end by itself.
        void worker.terminate();
      }
    });
    worker.once("error", reject);
    // The answer is taken once the thread is gone (however it ended) and the restart it asked for is done.
    worker.once("exit", (code) => {
      const answer = result;
      if (answer === undefined) reject(new Error(`The bench's client thread exited with ${code} before answering.`));
      else
        void (async () => {
          await restarted;
          resolve(answer);
        })().catch(reject);
    });
  });
}

if (!isMainThread && parentPort !== null) {
  const port = parentPort;
  const { restartHalfway, ...options } = workerData as WorkerInput;
  runLoad({
    ...options,
    ...(restartHalfway
      ? {
          halfway: async () => {
            port.postMessage({ halfway: true } satisfies WorkerMessage);
          },
        }
      : {}),
  }).then(
    (result) => port.postMessage({ result } satisfies WorkerMessage),
    (error: unknown) =>
      port.postMessage({ error: error instanceof Error ? error.message : String(error) } satisfies WorkerMessage),
  );
}

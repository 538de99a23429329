/**
 * The clients of the receipts bench: `clients` workers over HTTP, each taking
 * the next job, submitting it and then completing it with src/jobs/client.ts
 * (which retries connection errors, 429 and 5xx as a real worker does). Every
 * fifth event is sent twice, the second time after the first answer (a
 * worker's retry whose answer it had lost): it must come back 409 with the
 * original receipt. Every attempt's HTTP status is counted through the
 * client's `fetch`, so a 5xx that a retry hid is still seen.
 */
import {
  type CompleteRequest,
  DuplicateEventError,
  type Receipt,
  ReceiptsClient,
  type SubmitRequest,
} from "../../src/jobs/client.ts";

export interface LoadJob {
  readonly submit: SubmitRequest;
  readonly complete: CompleteRequest;
  /** `?wait=commit` for both events: answered 200 once mined, timed apart from the others. */
  readonly wait: boolean;
}

export interface LoadOptions {
  /** The service's URL; a restarted service listens on the same port. */
  readonly url: string;
  readonly apiKeys: readonly string[];
  readonly jobs: readonly LoadJob[];
  readonly clients: number;
  /** Called once, when half the events are accepted: the bench restarts the service meanwhile. */
  readonly halfway?: () => Promise<void>;
}

export interface LoadResult {
  readonly seconds: number;
  /** Events recorded by the service: answered 200/202, or 409 on a retry whose first attempt's answer was lost. */
  readonly accepted: number;
  /** Milliseconds per call, retries included. */
  readonly submitMs: number[];
  readonly completeMs: number[];
  readonly duplicateMs: number[];
  readonly waitMs: number[];
  /** Every HTTP attempt's status; 0 for a connection error. */
  readonly statuses: Map<number, number>;
  /** The receipt of each event, by idempotency key: what the run must find committed. */
  readonly receipts: Map<string, Receipt>;
  readonly duplicates: number;
  /** Events whose first attempt was recorded though its answer was lost (the restart): 409 on a retry. */
  readonly recoveredByRetry: number;
}

/** Whether event `n` (0-based, submits even, completes odd) is sent twice: every fifth. */
export const isDuplicated = (n: number) => n % 5 === 0;

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const statuses = new Map<number, number>();
  const count = (status: number) => statuses.set(status, (statuses.get(status) ?? 0) + 1);
  const countingFetch: typeof fetch = async (input, init) => {
    try {
      const response = await fetch(input, init);
      count(response.status);
      return response;
    } catch (error) {
      count(0);
      throw error;
    }
  };
  const clients = options.apiKeys.map(
    (apiKey) =>
      new ReceiptsClient({
        baseUrl: options.url,
        apiKey,
        fetch: countingFetch,
        // A restart takes about a second: the default 4 retries (250 ms doubling) cover it with room.
        retries: 6,
      }),
  );
  const result = {
    submitMs: [] as number[],
    completeMs: [] as number[],
    duplicateMs: [] as number[],
    waitMs: [] as number[],
    receipts: new Map<string, Receipt>(),
    duplicates: 0,
    recoveredByRetry: 0,
  };
  let accepted = 0;
  let halfway: Promise<void> | undefined;
  const total = options.jobs.length * 2;

  const send = async (
    client: ReceiptsClient,
    n: number,
    wait: boolean,
    post: (client: ReceiptsClient) => Promise<{ receipt: Receipt; repeated: boolean }>,
    times: number[],
  ) => {
    const start = performance.now();
    const answer = await post(client);
    (wait ? result.waitMs : times).push(performance.now() - start);
    const { receipt } = answer;
    if (answer.repeated) result.recoveredByRetry += 1;
    accepted += 1;
    // A 409 (a retry whose first attempt was recorded) answers at once, whatever `?wait=commit` asked.
    if (wait && !answer.repeated ? receipt.status !== "committed" : receipt.nid !== receipt.packetCid)
      throw new Error(
        wait
          ? `${receipt.idempotencyKey}: ?wait=commit answered status ${receipt.status}, not committed.`
          : `${receipt.idempotencyKey}: the answer's NID ${receipt.nid} is not the packet's CID ${receipt.packetCid}.`,
      );
    result.receipts.set(receipt.idempotencyKey, receipt);
    if (accepted >= total / 2 && halfway === undefined && options.halfway !== undefined) halfway = options.halfway();
    if (!isDuplicated(n)) return;
    const again = performance.now();
    // 409 on the first attempt is a DuplicateEventError; on a retry (the restart) the client answers `repeated`.
    const original = await post(client).then(
      (repeat) => {
        if (!repeat.repeated)
          throw new Error(`${receipt.idempotencyKey}: a repeat was accepted instead of answered 409.`);
        return repeat.receipt;
      },
      (error: unknown) => {
        if (error instanceof DuplicateEventError) return error.receipt;
        throw error;
      },
    );
    if (original.packetCid !== receipt.packetCid || original.idempotencyKey !== receipt.idempotencyKey)
      throw new Error(`${receipt.idempotencyKey}: the 409 carries another receipt than the original.`);
    result.duplicateMs.push(performance.now() - again);
    result.duplicates += 1;
  };

  let next = 0;
  const worker = async (client: ReceiptsClient) => {
    while (next < options.jobs.length) {
      const index = next++;
      const job = options.jobs[index] as LoadJob;
      const wait = { wait: job.wait };
      await send(client, 2 * index, job.wait, (c) => c.submit(job.submit, wait), result.submitMs);
      await send(client, 2 * index + 1, job.wait, (c) => c.complete(job.complete, wait), result.completeMs);
    }
  };
  const start = performance.now();
  await Promise.all(
    Array.from({ length: options.clients }, (_, i) => worker(clients[i % clients.length] as ReceiptsClient)),
  );
  const seconds = (performance.now() - start) / 1000;
  await halfway;
  return { ...result, seconds, accepted, statuses };
}

/** The `p`-th percentile (0–100) of `values`, nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

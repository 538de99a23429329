/**
 * Mutants that survive because they cannot change any outcome, each with the
 * reason. A mutant is matched by its file, a piece of its line and its change
 * (scripts/mutation/run.ts prints all three). Keep this list short and true:
 * anything a test could tell apart belongs in a test instead.
 */
export interface Equivalent {
  readonly file: string;
  /** A piece of the mutated line, as it reads in the source. */
  readonly code: string;
  /** The change as run.ts names it, e.g. "< → <=". */
  readonly change: string;
  readonly reason: string;
}

const THREADS = "parameters.threads === undefined ? {} : { threads: parameters.threads }";
const THREADS_REASON =
  "Passes the worker-thread count on or not: threads change how fast signatures are checked, never a result " +
  "(`{ threads: undefined }` is the default, one per core).";

export const EQUIVALENT: readonly Equivalent[] = [
  { file: "src/chainscript/verify.ts", code: THREADS, change: "=== → !==", reason: THREADS_REASON },
  { file: "src/verify/verifyAnchored.ts", code: THREADS, change: "=== → !==", reason: THREADS_REASON },
  {
    file: "src/verify/verifyAnchored.ts",
    code: "while (next < cids.length && !parameters.signal?.aborted)",
    change: "&& → left only",
    reason:
      "Fetching, not a rule: once the signal is aborted retrieve() fails every fetch (fetch with an aborted " +
      "signal), so packets not fetched by then are unavailable either way; the check only spares the calls.",
  },
  {
    file: "src/verify/verifyAnchored.ts",
    code: "while (next < cids.length && !parameters.signal?.aborted)",
    change: "< → <=",
    reason:
      "One more turn per worker takes cids[cids.length], undefined, which retrieve() rejects as not a CID " +
      "(InvalidCidError, a BaseError the loop passes over): no packet is added or lost.",
  },
];

/**
 * Node flags for the processes tests start (and for the test run itself: see `npm test`). Every process that
 * opens a PGlite database compiles its 8 MB WebAssembly module; V8's optimising tier then compiles it a
 * second time in the background, which more than doubles the CPU a short-lived process spends (opening an
 * existing database: 3.9 s of CPU, 1.6 s with Liftoff only). Tests' processes are short-lived and the
 * suite is CPU-bound on two cores, so they run on the baseline compiler; behaviour is the same.
 */
export const TEST_NODE_FLAGS: readonly string[] = ["--liftoff-only"];

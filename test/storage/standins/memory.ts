/** The most buffer memory (Buffers, typed arrays: where HTTP bodies and blocks live) grew while `work` ran. */
export interface MemoryGrowth {
  readonly arrayBuffers: number;
}

/**
 * Runs `work` while sampling process.memoryUsage() every millisecond or so,
 * and returns its result (or its error) with the peak growth above what it was
 * when `work` started. A body read whole shows up here as all of its bytes; a
 * bounded read as its budget and some garbage not yet collected.
 */
export async function measureGrowth<T>(
  work: () => Promise<T>,
): Promise<{ result: T | undefined; error: unknown; growth: MemoryGrowth }> {
  const start = process.memoryUsage().arrayBuffers;
  let peak = 0;
  const sample = () => {
    peak = Math.max(peak, process.memoryUsage().arrayBuffers - start);
  };
  const timer = setInterval(sample, 1);
  let result: T | undefined;
  let error: unknown;
  try {
    result = await work();
  } catch (thrown) {
    error = thrown;
  } finally {
    clearInterval(timer);
    sample();
  }
  return { result, error, growth: { arrayBuffers: peak } };
}

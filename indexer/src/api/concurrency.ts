/**
 * At most `max` tasks running at once; the others wait their turn, first come
 * first served. A finishing task hands its slot straight to the next waiter,
 * so a task arriving meanwhile cannot take it and make one too many.
 *
 * @example
 * const limited = concurrencyLimit(4);
 * await Promise.all(urls.map((url) => limited(() => fetch(url))));
 */
export function concurrencyLimit(max: number): <T>(task: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: (() => void)[] = [];
  const acquire = (): Promise<void> => {
    if (running < max) {
      running++;
      return Promise.resolve();
    }
    return new Promise((resolve) => waiting.push(resolve));
  };
  const release = () => {
    const next = waiting.shift();
    if (next === undefined) running--;
    else next();
  };
  return async (task) => {
    await acquire();
    try {
      return await task();
    } finally {
      release();
    }
  };
}

/** Small timing helpers: rates from repeated rounds, best of several, after a warm-up. */

export interface BenchLine {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  /** e.g. "≥ 0.6× bare sign": printed with whether it was met. */
  readonly target?: { readonly text: string; readonly met: boolean };
}

/** Operations per second of `op`, the best of `rounds` rounds of `seconds` each. */
export async function rate(op: () => unknown, options: { seconds?: number; rounds?: number } = {}): Promise<number> {
  const seconds = options.seconds ?? 1;
  const rounds = options.rounds ?? 3;
  const deadline = performance.now() + 200;
  while (performance.now() < deadline) await op();
  let best = 0;
  for (let round = 0; round < rounds; round++) {
    let count = 0;
    const start = performance.now();
    const end = start + seconds * 1000;
    let now = start;
    while (now < end) {
      for (let i = 0; i < 64; i++) await op();
      count += 64;
      now = performance.now();
    }
    best = Math.max(best, count / ((now - start) / 1000));
  }
  return best;
}

export async function timeOnce(op: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await op();
  return (performance.now() - start) / 1000;
}

export function print(line: BenchLine): void {
  const value = Number.isNaN(line.value)
    ? "-"
    : line.value >= 100
      ? Math.round(line.value).toLocaleString("en-US")
      : line.value.toFixed(3);
  const verdict = Number.isNaN(line.value) ? "NOT MEASURED" : line.target?.met ? "met" : "MISSED";
  const target = line.target ? `  [target ${line.target.text}: ${verdict}]` : "";
  process.stdout.write(`${line.name.padEnd(58)} ${value.padStart(12)} ${line.unit}${target}\n`);
}

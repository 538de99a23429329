import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";

const CHILD = join(import.meta.dirname, "lockChild.ts");

export interface ChildExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;
}

/** One lockChild.ts process (its header describes the modes and their environment). */
export interface LockChild {
  readonly pid: number;
  /** The first line it prints that matches `pattern`, once it prints it. */
  line(pattern: RegExp): Promise<string>;
  /** Starts it, once it is ready. */
  go(): void;
  /** Closes its stdin: a `once` winner releases the lock and exits. */
  endInput(): void;
  readonly exit: Promise<ChildExit>;
  /** SIGKILL, if it still runs: for cleanup after a failed test. */
  kill(): void;
}

export function spawnLockChild(env: Record<string, string>): LockChild {
  const loader = process.features.typescript ? [] : ["--import", "tsx"];
  const child: ChildProcess = spawn(process.execPath, [...loader, CHILD], {
    env: {
      ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("POP_LOCK_"))),
      ...env,
    },
    stdio: ["pipe", "pipe", "pipe"],
    // A hung child is ended rather than left holding the test; no assertion reads this signal as success.
    timeout: 170_000,
  });
  const { pid } = child;
  if (pid === undefined) throw new Error(`Cannot spawn ${CHILD}`);
  const lines: string[] = [];
  const waiting: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  let partial = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    const parts = (partial + chunk.toString()).split("\n");
    partial = parts.pop() ?? "";
    for (const line of parts) {
      lines.push(line);
      for (const wait of waiting.filter((w) => w.pattern.test(line))) {
        waiting.splice(waiting.indexOf(wait), 1);
        wait.resolve(line);
      }
    }
  });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exit = once(child, "close").then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
    stderr,
  }));
  return {
    pid,
    line(pattern) {
      const seen = lines.find((line) => pattern.test(line));
      if (seen !== undefined) return Promise.resolve(seen);
      // A child that exits without the line fails the wait instead of hanging it.
      return Promise.race([
        new Promise<string>((resolve) => waiting.push({ pattern, resolve })),
        exit.then(({ code, signal }) => {
          const late = lines.find((line) => pattern.test(line));
          if (late !== undefined) return late;
          throw new Error(`child ${pid} exited (${code ?? signal}) without printing ${pattern}: ${stderr}`);
        }),
      ]);
    },
    go: () => child.stdin?.write("go\n"),
    endInput: () => child.stdin?.end(),
    exit,
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    },
  };
}

/** Spawns `count` children and starts them together once every one is ready, so they race from the same moment. */
export async function raceChildren(
  count: number,
  env: (index: number) => Record<string, string>,
): Promise<LockChild[]> {
  const children = Array.from({ length: count }, (_, index) => spawnLockChild(env(index)));
  try {
    await Promise.all(children.map((child) => child.line(/^ready$/)));
  } catch (error) {
    for (const child of children) child.kill();
    throw error;
  }
  for (const child of children) child.go();
  return children;
}

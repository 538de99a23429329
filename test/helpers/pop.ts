import { execFile, spawn } from "node:child_process";
import { TEST_NODE_FLAGS } from "./node.ts";

/** The `pop` executable. */
export const POP = new URL("../../bin/pop.js", import.meta.url).pathname;

export interface PopResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** This process's environment without the POP_* variables and DATABASE_URL: a `pop` gets only those given. */
function inheritedEnv(): Record<string, string | undefined> {
  return Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith("POP_") && name !== "DATABASE_URL"),
  );
}

/** Runs the real `pop` with only the variables given (none of the POP_* ones, nor DATABASE_URL, are inherited). */
export function pop(cwd: string, args: string[], env: Record<string, string> = {}): Promise<PopResult> {
  const inherited = inheritedEnv();
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [...TEST_NODE_FLAGS, POP, ...args],
      { cwd, env: { ...inherited, ...env } },
      (error, stdout, stderr) => {
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

export interface PopDaemon {
  readonly url: string;
  /** What it wrote to stderr so far. */
  stderr(): string;
  /** SIGTERM, then waits for it to exit. */
  close(): Promise<void>;
}

/** A long-running `pop` (gateway, serve) as a child process, once it prints the URL it serves at. */
export async function popDaemon(cwd: string, args: string[], env: Record<string, string>): Promise<PopDaemon> {
  const child = spawn(process.execPath, [...TEST_NODE_FLAGS, POP, ...args], {
    cwd,
    env: { ...inheritedEnv(), ...env },
  });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on("data", (chunk: Buffer) => {
      const match = /at (http:\/\/127\.0\.0\.1:\d+)/.exec(chunk.toString());
      if (match) resolve(match[1] as string);
    });
    child.once("exit", (code) => reject(new Error(`pop ${args[0]} exited with ${code}: ${stderr}`)));
  });
  return {
    url,
    stderr: () => stderr,
    close: async () => {
      child.kill("SIGTERM");
      await exited;
    },
  };
}

/** `pop gateway` on a free port as a child process, until `close`. */
export function popGateway(cwd: string, env: Record<string, string>): Promise<PopDaemon> {
  return popDaemon(cwd, ["gateway", "--port", "0"], env);
}

import { execFile } from "node:child_process";

/** The `pop` executable. */
export const POP = new URL("../../bin/pop.js", import.meta.url).pathname;

export interface PopResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the real `pop` with only the variables given (none of the POP_* ones, nor DATABASE_URL, are inherited). */
export function pop(cwd: string, args: string[], env: Record<string, string> = {}): Promise<PopResult> {
  return new Promise((resolve) => {
    const inherited = Object.fromEntries(
      Object.entries(process.env).filter(([name]) => !name.startsWith("POP_") && name !== "DATABASE_URL"),
    );
    execFile(process.execPath, [POP, ...args], { cwd, env: { ...inherited, ...env } }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

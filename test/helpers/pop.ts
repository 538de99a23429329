import { execFile, spawn } from "node:child_process";

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

/** `pop gateway` on a free port as a child process, until `close`. */
export async function popGateway(cwd: string, env: Record<string, string>): Promise<{ url: string; close(): void }> {
  const server = spawn(process.execPath, [POP, "gateway", "--port", "0"], { cwd, env: { ...process.env, ...env } });
  const url = await new Promise<string>((resolve, reject) => {
    server.stdout.on("data", (chunk: Buffer) => {
      const match = /at (http:\/\/127\.0\.0\.1:\d+)/.exec(chunk.toString());
      if (match) resolve(match[1] as string);
    });
    server.once("exit", (code) => reject(new Error(`pop gateway exited with ${code}`)));
  });
  return { url, close: () => server.kill("SIGTERM") };
}

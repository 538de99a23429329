/**
 * Whether the ports `npm start` listens on are free, asked before anything
 * starts. Hardhat's JSON-RPC server does not reject `listen()` on a busy port:
 * the error surfaces as an uncaught exception with a stack trace, half-way
 * through the start. A probe that listens and closes again turns it into one
 * sentence first (a port taken in the instant between the two stays possible).
 */
import { createServer } from "node:net";
import { UsageError } from "../../src/cli/errors.ts";
import { PORTS, type PortName } from "./options.ts";

export const LOCALHOST = "127.0.0.1";

/** Resolves when `port` on `host` can be listened on; otherwise rejects with Node's error (EADDRINUSE, EACCES). */
export function probePort(port: number, host = LOCALHOST): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve()));
  });
}

/** One sentence for a port that cannot be listened on, naming the option and variable that change it. */
export function portProblem(name: PortName, port: number, code: string | undefined): string {
  const { option, variable, what } = PORTS[name];
  const reason =
    code === "EADDRINUSE"
      ? "is in use (another node, or another npm start?)"
      : code === "EACCES"
        ? "needs privileges this user lacks"
        : `cannot be listened on (${code ?? "unknown error"})`;
  const orStop = code === "EADDRINUSE" ? ", or stop what runs there" : "";
  return `Port ${port} on ${LOCALHOST} for ${what} ${reason}: choose another with ${option} <port> or ${variable}${orStop}.`;
}

/** Checks every non-zero port; the first that cannot be listened on is a UsageError (exit 2). */
export async function checkPortsFree(ports: Readonly<Record<PortName, number>>): Promise<void> {
  for (const name of Object.keys(PORTS) as PortName[]) {
    const port = ports[name];
    if (port === 0) continue;
    try {
      await probePort(port);
    } catch (error) {
      throw new UsageError(portProblem(name, port, (error as NodeJS.ErrnoException).code));
    }
  }
}

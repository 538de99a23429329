/**
 * `npm start`'s options: where the local chains and the gateway listen, and
 * whether to stop once the example is verified. Each port comes from its option,
 * else its variable, else the default; 0 takes a free port.
 */
import { parseArgs } from "node:util";
import { UsageError } from "../../src/cli/errors.ts";

export const DEMO_USAGE = "npm start -- [--base-port <n>] [--numbers-port <n>] [--gateway-port <n>] [--exit] [--help]";

/** The three listeners, their option, variable and default port (127.0.0.1). */
export const PORTS = {
  base: { option: "--base-port", variable: "POP_BASE_PORT", default: 8545, what: "the local Base chain" },
  numbers: { option: "--numbers-port", variable: "POP_NUMBERS_PORT", default: 8546, what: "the local Numbers chain" },
  gateway: { option: "--gateway-port", variable: "POP_GATEWAY_PORT", default: 8547, what: "the gateway" },
} as const;

export type PortName = keyof typeof PORTS;

export interface DemoOptions {
  readonly ports: Readonly<Record<PortName, number>>;
  /** Stop after the verification instead of keeping the chains running. */
  readonly exit: boolean;
  readonly help: boolean;
}

/** A TCP port, 0 to 65535, written in decimal; `source` names where it came from in the error. */
export function parsePort(text: string, source: string): number {
  const trimmed = text.trim();
  const port = /^\d{1,5}$/.test(trimmed) ? Number(trimmed) : Number.NaN;
  if (!(port <= 65_535))
    throw new UsageError(`${source} must be a port number from 0 to 65535 (0 takes a free port), not "${text}".`);
  return port;
}

export function parseDemoOptions(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): DemoOptions {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        "base-port": { type: "string" },
        "numbers-port": { type: "string" },
        "gateway-port": { type: "string" },
        exit: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError(`${(error as Error).message.replace(/\. To specify.*$/s, "")}.`, {
      details: `Usage: ${DEMO_USAGE}`,
    });
  }
  const ports = {} as Record<PortName, number>;
  for (const [name, port] of Object.entries(PORTS) as [PortName, (typeof PORTS)[PortName]][]) {
    const given = values[port.option.slice(2)];
    const fromEnv = env[port.variable];
    ports[name] =
      typeof given === "string"
        ? parsePort(given, port.option)
        : fromEnv !== undefined && fromEnv !== ""
          ? parsePort(fromEnv, `${port.variable} (or ${port.option})`)
          : port.default;
  }
  // Two listeners cannot share a port; the second would fail half-way through the start.
  const names = Object.keys(PORTS) as PortName[];
  for (const [i, a] of names.entries())
    for (const b of names.slice(i + 1))
      if (ports[a] !== 0 && ports[a] === ports[b])
        throw new UsageError(
          `${PORTS[a].option} and ${PORTS[b].option} are both ${ports[a]}: ${PORTS[a].what} and ${PORTS[b].what} need a port each.`,
        );
  return { ports, exit: values.exit === true, help: values.help === true };
}

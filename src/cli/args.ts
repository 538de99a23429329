import { parseArgs } from "node:util";
import { fromHex } from "../bytes.ts";
import { UsageError } from "./errors.ts";

export type OptionSpec = Record<string, { type: "string" | "boolean"; multiple?: boolean; short?: string }>;

export interface Command {
  readonly usage: string;
  readonly summary: string;
  /** More for `pop <command> --help`: formats read, environment variables (ends with a newline). */
  readonly help?: string;
  readonly options: OptionSpec;
  run(args: ParsedArgs): Promise<number>;
}

export interface ParsedArgs {
  readonly values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  readonly positionals: string[];
}

/** Options every command accepts. */
const COMMON: OptionSpec = { json: { type: "boolean" }, help: { type: "boolean", short: "h" } };

export function parse(command: Command, argv: string[]): ParsedArgs {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { ...COMMON, ...command.options },
      allowPositionals: true,
      strict: true,
    });
    return { values, positionals };
  } catch (error) {
    throw new UsageError(`${(error as Error).message.replace(/\. To specify.*$/s, "")}.`, {
      details: `Usage: ${command.usage}`,
    });
  }
}

export function requireString(args: ParsedArgs, name: string, usage: string): string {
  const value = args.values[name];
  if (typeof value !== "string" || value.length === 0)
    throw new UsageError(`Missing --${name}.`, { details: `Usage: ${usage}` });
  return value;
}

export function strings(args: ParsedArgs, name: string): string[] {
  const value = args.values[name];
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === "string") : [];
}

export function flag(args: ParsedArgs, name: string): boolean {
  return args.values[name] === true;
}

/** A hex value of `length` bytes from an option, or a usage error naming the option. */
export function hexOption(value: string, name: string, length: number): Uint8Array {
  const bytes = fromHex(value);
  if (bytes?.length !== length) throw new UsageError(`--${name} must be ${length * 2} hex digits (${length} bytes).`);
  return bytes;
}

/** An integer option from `min` to `max`, or undefined when absent; a usage error naming the option otherwise. */
export function integerOption(args: ParsedArgs, name: string, max: number, min = 1): number | undefined {
  const value = args.values[name];
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isInteger(number) || number < min || number > max)
    throw new UsageError(`--${name} must be an integer from ${min} to ${max}, got "${String(value)}".`);
  return number;
}

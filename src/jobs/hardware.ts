/**
 * What a real job ran on: the accelerator's model and, sampled while the job
 * runs, its utilisation and memory, read from `nvidia-smi` or `rocm-smi` when
 * one is on PATH, else the CPU's model. The tools' output is treated as
 * hostile: bounded, time-limited, and parsed strictly (a line that does not
 * parse is no reading, never a guess).
 */
import { execFile } from "node:child_process";
import { cpus } from "node:os";

export type AcceleratorSource = "nvidia-smi" | "rocm-smi" | "cpu";

export interface Accelerator {
  readonly source: AcceleratorSource;
  /** As the tool names it, e.g. `NVIDIA H100 80GB HBM3`, or the CPU model. */
  readonly name: string;
  /** The packet's `execution.deviceClass`: the catalog's spelling when the model is known (`H100`), else the name. */
  readonly deviceClass: string;
  /** Devices the tool lists; readings are over all of them. */
  readonly count: number;
  /** Memory of all devices, MiB; absent for a CPU. */
  readonly memoryTotalMb?: number;
}

export interface HardwareReading {
  /** Percent, averaged over the devices. */
  readonly utilisation: number;
  /** MiB, summed over the devices. */
  readonly memoryUsedMb: number;
}

/** Runs a tool and answers its stdout, or undefined when it is missing, fails, hangs or says too much. */
export type ToolRunner = (command: string, args: readonly string[]) => Promise<string | undefined>;

export interface ToolRunnerOptions {
  /** Where the tools are looked up (its PATH); the process's environment when absent. */
  readonly env?: NodeJS.ProcessEnv;
  /** A tool that has not answered by then counts as absent (default 5,000 ms). */
  readonly timeoutMs?: number;
  /** More output than this counts as no answer (default 64 KiB). */
  readonly maxBytes?: number;
}

export function toolRunner(options: ToolRunnerOptions = {}): ToolRunner {
  return (command, args) =>
    new Promise((resolve) => {
      execFile(
        command,
        args,
        {
          env: options.env ?? process.env,
          timeout: options.timeoutMs ?? 5_000,
          maxBuffer: options.maxBytes ?? 64 * 1024,
          windowsHide: true,
        },
        (error, stdout) => resolve(error ? undefined : stdout),
      );
    });
}

/** Known models, most specific first: the catalog's device classes plus the ones a fleet commonly has. */
const DEVICE_CLASSES: readonly (readonly [RegExp, string])[] = [
  [/\bH200\b/i, "H200"],
  [/\bH100\b/i, "H100"],
  [/\bA100\b/i, "A100"],
  [/\bRTX\s*4090\b/i, "RTX-4090"],
  [/\bMI300X\b/i, "MI300X"],
  [/\bL40S\b/i, "L40S"],
];

export function deviceClassOf(name: string): string {
  for (const [pattern, deviceClass] of DEVICE_CLASSES) if (pattern.test(name)) return deviceClass;
  return name;
}

const NVIDIA_QUERY = ["--query-gpu=name,utilization.gpu,memory.used,memory.total", "--format=csv,noheader,nounits"];

interface DeviceRow {
  readonly name: string;
  readonly utilisation: number;
  readonly memoryUsedMb: number;
  readonly memoryTotalMb: number;
}

/** A non-negative finite number, or undefined (nvidia-smi writes `[N/A]` or `[Not Supported]` for some fields). */
function reading(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d+(\.\d+)?$/.test(text.trim())) return undefined;
  return Number(text.trim());
}

/** `nvidia-smi --query-gpu=… --format=csv,noheader,nounits`: one device per line. */
export function parseNvidiaSmi(stdout: string): DeviceRow[] | undefined {
  const rows: DeviceRow[] = [];
  for (const line of stdout.split("\n").filter((l) => l.trim() !== "")) {
    const fields = line.split(",").map((f) => f.trim());
    if (fields.length !== 4 || fields[0] === "") return undefined;
    const [name, utilisation, used, total] = [fields[0] as string, ...fields.slice(1).map(reading)];
    if (utilisation === undefined || used === undefined || total === undefined || utilisation > 100) return undefined;
    rows.push({ name, utilisation, memoryUsedMb: used, memoryTotalMb: total });
  }
  return rows.length > 0 ? rows : undefined;
}

const ROCM_QUERY = ["--showproductname", "--showuse", "--showmeminfo", "vram", "--json"];
const MIB = 1024 * 1024;

/** `rocm-smi --showproductname --showuse --showmeminfo vram --json`: an object per card (`card0`, …). */
export function parseRocmSmi(stdout: string): DeviceRow[] | undefined {
  let json: unknown;
  try {
    json = JSON.parse(stdout);
  } catch {
    return undefined;
  }
  if (typeof json !== "object" || json === null) return undefined;
  const rows: DeviceRow[] = [];
  for (const [key, card] of Object.entries(json)) {
    if (!/^card\d+$/.test(key) || typeof card !== "object" || card === null) continue;
    const field = (name: string) => {
      const value = (card as Record<string, unknown>)[name];
      return typeof value === "string" ? value : undefined;
    };
    const name = field("Card Series") ?? field("Card series") ?? field("Card model");
    const utilisation = reading(field("GPU use (%)"));
    const used = reading(field("VRAM Total Used Memory (B)"));
    const total = reading(field("VRAM Total Memory (B)"));
    if (name === undefined || utilisation === undefined || used === undefined || total === undefined) return undefined;
    rows.push({ name, utilisation, memoryUsedMb: Math.round(used / MIB), memoryTotalMb: Math.round(total / MIB) });
  }
  return rows.length > 0 ? rows : undefined;
}

const TOOLS = [
  { source: "nvidia-smi", args: NVIDIA_QUERY, parse: parseNvidiaSmi },
  { source: "rocm-smi", args: ROCM_QUERY, parse: parseRocmSmi },
] as const;

export interface HardwareProbe {
  readonly accelerator: Accelerator;
  /** A reading now; undefined for a CPU or when the tool stopped answering. */
  read(): Promise<HardwareReading | undefined>;
}

const summed = (rows: readonly DeviceRow[]): HardwareReading => ({
  utilisation: Math.round(rows.reduce((sum, row) => sum + row.utilisation, 0) / rows.length),
  memoryUsedMb: rows.reduce((sum, row) => sum + row.memoryUsedMb, 0),
});

/** The first tool that answers with readings decides; with none, the job ran on the CPU. */
export async function probeHardware(run: ToolRunner = toolRunner()): Promise<HardwareProbe> {
  for (const tool of TOOLS) {
    const stdout = await run(tool.source, tool.args);
    const rows = stdout === undefined ? undefined : tool.parse(stdout);
    if (rows === undefined) continue;
    const name = (rows[0] as DeviceRow).name;
    return {
      accelerator: {
        source: tool.source,
        name,
        deviceClass: deviceClassOf(name),
        count: rows.length,
        memoryTotalMb: rows.reduce((sum, row) => sum + row.memoryTotalMb, 0),
      },
      async read() {
        const again = await run(tool.source, tool.args);
        const now = again === undefined ? undefined : tool.parse(again);
        return now === undefined ? undefined : summed(now);
      },
    };
  }
  const cpu = cpus()[0]?.model.trim() || "unknown CPU";
  return {
    accelerator: { source: "cpu", name: cpu, deviceClass: "CPU", count: cpus().length },
    read: async () => undefined,
  };
}

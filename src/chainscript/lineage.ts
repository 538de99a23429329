import { toHex } from "../bytes.ts";

/** What lineage needs from one entry's packet. */
export interface LineageStep {
  readonly inputs: readonly Uint8Array[];
  readonly output: Uint8Array;
}

export interface LineageProblem {
  readonly entry: number;
  /** Hex SHA-256 of the input asset that has no source. */
  readonly input: string;
  readonly message: string;
}

/**
 * Every input asset of entry n must be the output of an entry before n or a
 * declared external input. An input produced only later (or by the entry
 * itself) is reported as well: evidence cannot consume what did not exist yet.
 */
export function checkLineage(steps: readonly LineageStep[], externalInputs: ReadonlySet<string>): LineageProblem[] {
  const produced = new Map<string, number>();
  steps.forEach((step, i) => {
    const hex = toHex(step.output);
    if (!produced.has(hex)) produced.set(hex, i);
  });
  const problems: LineageProblem[] = [];
  steps.forEach((step, entry) => {
    for (const input of step.inputs) {
      const hex = toHex(input);
      if (externalInputs.has(hex)) continue;
      const source = produced.get(hex);
      if (source !== undefined && source < entry) continue;
      problems.push({
        entry,
        input: hex,
        message:
          source === undefined
            ? `input asset ${hex} is neither an output of an earlier entry nor a declared external input`
            : `input asset ${hex} is first produced by entry ${source}, not before entry ${entry}`,
      });
    }
  });
  return problems;
}

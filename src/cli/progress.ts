import type { ProgressEvent } from "../anchor/pipeline/pipeline.ts";

const WIDTH = 24;
const LABEL: Record<ProgressEvent["phase"], string> = {
  packets: "signing packets",
  chainscript: "chainscript built",
  storage: "stored",
  signing: "anchor signed",
  transaction: "transaction",
  receipt: "receipt written",
};

export interface Progress {
  /** A line of its own: on a terminal it goes above the bar. */
  line(text: string): void;
  update(event: ProgressEvent): void;
  done(): void;
}

/**
 * Progress of `pop anchor` on stderr, so stdout stays the result (or the JSON) for whoever reads it:
 * on a terminal a one-line bar redrawn in place; elsewhere (a log, a pipe, CI) one plain line per step.
 * `manifests` name the runs in the lines; nothing at all when `enabled` is false (`--quiet`).
 */
export function progress(
  manifests: readonly string[],
  enabled = true,
  stream: NodeJS.WriteStream = process.stderr,
): Progress {
  if (!enabled) return { line: () => {}, update: () => {}, done: () => {} };
  const prefix = (event: ProgressEvent) =>
    event.run === undefined ? "" : `${manifests[event.run] ?? `run ${event.run + 1}`}: `;
  const detail = (event: ProgressEvent) => (event.detail === undefined ? "" : ` ${event.detail}`);
  if (!stream.isTTY)
    return {
      line: (text) => stream.write(`pop anchor: ${text}\n`),
      update(event) {
        const count = event.total > 1 ? ` ${event.done}/${event.total}` : "";
        stream.write(`pop anchor: ${prefix(event)}${LABEL[event.phase]}${count}${detail(event)}\n`);
      },
      done: () => {},
    };
  let drawn = false;
  const clear = () => {
    if (drawn) stream.write("\r\x1b[K");
    drawn = false;
  };
  return {
    line(text) {
      clear();
      stream.write(`pop anchor: ${text}\n`);
    },
    update(event) {
      const filled = Math.round((event.done / Math.max(event.total, 1)) * WIDTH);
      const run = event.run === undefined || manifests.length === 1 ? "" : ` run ${event.run + 1}/${manifests.length}`;
      const count = event.total > 1 ? ` ${event.done}/${event.total}` : "";
      stream.write(`\r[${"#".repeat(filled)}${".".repeat(WIDTH - filled)}]${run} ${LABEL[event.phase]}${count}\x1b[K`);
      drawn = true;
    },
    done: clear,
  };
}

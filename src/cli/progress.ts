import type { ProgressEvent } from "../anchor/pipeline/pipeline.ts";

const WIDTH = 24;
const LABEL: Record<ProgressEvent["phase"], string> = {
  packets: "signing packets",
  chainscript: "building chainscript",
  storage: "stored",
  signing: "anchor signed",
  transaction: "transaction",
  receipt: "receipt written",
};

/**
 * A one-line progress bar on a terminal (stderr), redrawn in place; nothing
 * when stderr is not a terminal, so logs and pipes stay clean.
 */
export function progressBar(runs: number, enabled = true, stream: NodeJS.WriteStream = process.stderr) {
  if (!enabled || !stream.isTTY) return { update: (_event: ProgressEvent) => {}, done: () => {} };
  let drawn = false;
  return {
    update(event: ProgressEvent) {
      const filled = Math.round((event.done / Math.max(event.total, 1)) * WIDTH);
      const run = event.run === undefined || runs === 1 ? "" : ` run ${event.run + 1}/${runs}`;
      const count = event.total > 1 ? ` ${event.done}/${event.total}` : "";
      stream.write(`\r[${"#".repeat(filled)}${".".repeat(WIDTH - filled)}]${run} ${LABEL[event.phase]}${count}\x1b[K`);
      drawn = true;
    },
    done() {
      if (drawn) stream.write("\r\x1b[K");
    },
  };
}

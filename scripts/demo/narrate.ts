/**
 * The demo's account of what the anchoring pipeline just did, one plain
 * sentence per recorded step (the pipeline reports a step's name only, such as
 * `chained` or `submitted`; a newcomer should not need to know them).
 */
import type { ProgressEvent } from "../../src/anchor/pipeline/pipeline.ts";

export interface NarratorContext {
  readonly keyId: string;
  readonly anchorSigner: string;
  readonly relayer: string;
  /** Where the content is stored, e.g. "the local store (.pop/demo/store)". */
  readonly store: string;
  /** The chain the anchor goes to, e.g. "local Base". */
  readonly chain: string;
}

/** The sentence for a pipeline step (see the onStep calls in src/anchor/pipeline/), or undefined to say nothing. */
export function describeStep(step: string, context: NarratorContext): string | undefined {
  switch (step) {
    case "registered":
      return "recorded the run in the local state database (a re-run resumes from there)";
    case "packets":
      return undefined; // said with the count, by describeProgress
    case "chained":
      return `hash-linked the packets into a chainscript and signed it with key ${context.keyId}`;
    case "stored":
      return `stored the chainscript and its packets in ${context.store}`;
    case "signed":
      return `anchor signer ${context.anchorSigner} signed the EIP-712 anchor`;
    case "submitted":
      return `relayer ${context.relayer} signed the anchor transaction (recorded before it is sent)`;
    case "sent":
      return `anchor transaction sent to ${context.chain}`;
    case "bumped":
      return "the anchor transaction was slow to be mined: sending it again with a higher fee";
    case "dropped":
      return "the node dropped the anchor transaction: it will be sent anew";
    case "reverted":
      return "the anchor transaction reverted";
    case "found":
      return "found the anchor already in the registry (sent by another transaction)";
    case "confirmed":
      return "anchor transaction mined and confirmed";
    case "done":
      return "receipt written next to the manifest";
    default:
      return `pipeline step: ${step}`;
  }
}

/** The sentence for a progress event worth a line: all packets of a run signed. */
export function describeProgress(event: ProgressEvent, context: NarratorContext): string | undefined {
  if (event.phase === "packets" && event.done === event.total)
    return `signed ${event.total} evidence packet${event.total === 1 ? "" : "s"} with Ed25519 key ${context.keyId}`;
  return undefined;
}

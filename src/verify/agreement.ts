/**
 * Several RPC endpoints asked the same question: the verdict may only rest on
 * an answer all of them gave, so that one lying endpoint can at worst make it
 * `incomplete`, never turn what an honest endpoint shows into `valid`.
 */
import type { Address, Hex } from "viem";
import { BaseError } from "../errors.ts";
import { describe } from "./describe.ts";
import type { RegistryView } from "./registryView.ts";

/** The endpoints gave different answers to one read: which one lies cannot be told (`rpc.agreement`). */
export class RpcDisagreementError extends BaseError {
  override name = "RpcDisagreementError";
}

/** An endpoint did not answer a read the verdict depends on (`rpc.reachable`); asking again may succeed. */
export class RpcUnreachableError extends BaseError {
  override name = "RpcUnreachableError";
  constructor(shortMessage: string, options: { details?: string; cause?: unknown } = {}) {
    super(shortMessage, { ...options, retryable: true });
  }
}

/**
 * How many blocks the endpoints' latest blocks may lie apart (about a minute of
 * Base's 2-second blocks). Honest nodes trail each other by a block or two; a
 * wider gap is a node far behind, or one pretending to be, to have "now" read
 * before a recent revocation.
 */
export const MAX_HEAD_SPREAD = 32n;

/** An answer as comparable text: bigints as decimal strings, so equal values compare equal whatever their type. */
export function answerText(answer: unknown): string {
  return JSON.stringify(answer ?? null, (_, value) => (typeof value === "bigint" ? value.toString() : value));
}

/** How endpoints are named in sentences: "RPC n", n counting from 1 in the order the user gave them. */
export const rpcNames = (count: number): string[] => Array.from({ length: count }, (_, i) => `RPC ${i + 1}`);

/**
 * The one answer every endpoint gave to `what` (a phrase naming the read);
 * `names` name the endpoints, in the order of `answers`.
 *
 * @example
 * agreed("anchorCount(0x…) at block 12", [3n, 3n]) // 3n
 */
export function agreed<T>(what: string, answers: readonly T[], names = rpcNames(answers.length)): T {
  const texts = answers.map(answerText);
  const distinct = [...new Set(texts)];
  if (distinct.length !== 1) {
    throw new RpcDisagreementError(`The RPC endpoints disagree about ${what}.`, {
      details: texts.map((text, i) => `${names[i]}: ${text}`).join("; "),
    });
  }
  return answers[0] as T;
}

/**
 * Asks every endpoint (`reads`, one per endpoint, in order) and returns the
 * answer they all gave; the first endpoint that fails is named in an RpcUnreachableError.
 */
export async function askAll<T>(
  what: string,
  reads: readonly (() => Promise<T>)[],
  names = rpcNames(reads.length),
): Promise<T> {
  const settled = await Promise.allSettled(reads.map((read) => read()));
  const answers: T[] = [];
  for (const [i, outcome] of settled.entries()) {
    if (outcome.status === "rejected") {
      throw new RpcUnreachableError(`${names[i]} did not answer ${what}.`, {
        details: describe(outcome.reason),
        cause: outcome.reason,
      });
    }
    answers.push(outcome.value);
  }
  return agreed(what, answers, names);
}

/**
 * The block at which "now" is read from every endpoint: the lowest of their
 * latest blocks, which all of them have, so that honest nodes a block apart
 * still agree. A spread beyond MAX_HEAD_SPREAD is a disagreement: reading at a
 * laggard's block would let it hide what happened since.
 */
export function pinnedBlock(heads: readonly bigint[], names = rpcNames(heads.length)): bigint {
  if (heads.length === 0) throw new RpcUnreachableError("No RPC endpoint reported its latest block.");
  // Block numbers stay far below 2^53, so Number holds them exactly.
  const lowest = BigInt(Math.min(...heads.map(Number)));
  const highest = BigInt(Math.max(...heads.map(Number)));
  if (highest - lowest > MAX_HEAD_SPREAD) {
    throw new RpcDisagreementError(
      `The RPC endpoints' latest blocks lie ${highest - lowest} blocks apart, more than the ${MAX_HEAD_SPREAD} allowed.`,
      { details: heads.map((head, i) => `${names[i]}: block ${head}`).join("; ") },
    );
  }
  return lowest;
}

/**
 * A RegistryView that asks every one of `views` (one per endpoint) and returns
 * only what they all answer; a read without a block number is made at `current`
 * (see pinnedBlock), never at each endpoint's own latest block.
 *
 * @example
 * const view = agreeingView(clients.map((c) => registryView(c, registry)), pinnedBlock(heads));
 */
export function agreeingView(
  views: readonly RegistryView[],
  current: bigint,
  names = rpcNames(views.length),
): RegistryView {
  return {
    anchorCount: (tenantId: Hex, blockNumber: bigint) =>
      askAll(
        `anchorCount(${tenantId}) at block ${blockNumber}`,
        views.map((view) => () => view.anchorCount(tenantId, blockNumber)),
        names,
      ),
    isAnchorSigner: (tenantId: Hex, signer: Address, blockNumber = current) =>
      askAll(
        `isAnchorSigner(${tenantId}, ${signer}) at block ${blockNumber}`,
        views.map((view) => () => view.isAnchorSigner(tenantId, signer, blockNumber)),
        names,
      ),
    signingKey: (tenantId: Hex, keyId: Hex, blockNumber = current) =>
      askAll(
        `signingKey(${tenantId}, ${keyId}) at block ${blockNumber}`,
        views.map((view) => () => view.signingKey(tenantId, keyId, blockNumber)),
        names,
      ),
  };
}

/**
 * Reading ERC-7053 commits back. The `Commit` event's `assetCid` is an indexed
 * string, so the log holds only keccak256(assetCid): the CID is recovered, as
 * Numbers' own tools do, by decoding the transaction input as
 * `commit(string,string)` and checking its hash against the topic (NUMBERS.md).
 */
import { decodeFunctionData, type Hex, keccak256, stringToBytes } from "viem";
import { commitRegisterAbi } from "../anchor/abi.ts";

/** The asset CID of a direct `commit` call whose hash is `assetCidHash`; undefined otherwise (a call through another contract). */
export function assetCidFromCommitInput(input: Hex, assetCidHash: Hex): string | undefined {
  try {
    const call = decodeFunctionData({ abi: commitRegisterAbi, data: input });
    if (call.functionName !== "commit") return undefined;
    const [cid] = call.args;
    return keccak256(stringToBytes(cid)) === assetCidHash.toLowerCase() ? cid : undefined;
  } catch {
    return undefined;
  }
}

export interface CommitFacts {
  /** Whether commitData is a JSON object. */
  readonly valid: boolean;
  readonly json?: Record<string, unknown>;
  /** Our GPU-job receipts: `jobDetails.jobId`, `jobDetails.eventType` and `packetHash`. */
  readonly jobId?: string;
  readonly eventType?: string;
  readonly packetHash?: Hex;
}

/** What a commit's data says, never throwing: anything but a JSON object is reported as invalid and kept as it came. */
export function parseCommitData(text: string): CommitFacts {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { valid: false };
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) return { valid: false };
  const object = json as Record<string, unknown>;
  const details = object.jobDetails as Record<string, unknown> | undefined;
  const nonEmpty = (value: unknown) => (typeof value === "string" && value.length > 0 ? value : undefined);
  const jobId = nonEmpty(details?.jobId);
  const eventType = nonEmpty(details?.eventType);
  const hash = nonEmpty(object.packetHash);
  const packetHash =
    hash && /^(0x)?[0-9a-f]{64}$/i.test(hash) ? (`0x${hash.replace(/^0x/i, "").toLowerCase()}` as Hex) : undefined;
  return {
    valid: true,
    json: object,
    ...(jobId ? { jobId } : {}),
    ...(eventType ? { eventType } : {}),
    ...(packetHash ? { packetHash } : {}),
  };
}

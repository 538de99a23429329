/**
 * What every place content is written to implements: the embedded local store,
 * Pinata, a Kubo RPC node (self-hosted or Filebase). The CID is always computed
 * locally first; a provider that reports another CID has failed.
 */
export interface ContentProvider {
  /** Names the provider in status reports and errors ("local", "pinata", "filebase"). */
  readonly name: string;
  /** Stores one object (raw block or UnixFS file) whose locally computed CID is `cid`. */
  put(bytes: Uint8Array, cid: string, options?: { signal?: AbortSignal }): Promise<void>;
  /** Stores a CAR of many blocks whose roots are `roots`. */
  putCar(car: Uint8Array, roots: readonly string[], options?: { signal?: AbortSignal }): Promise<void>;
  /** Whether the provider holds (pins) `cid`. */
  has(cid: string, options?: { signal?: AbortSignal }): Promise<boolean>;
}

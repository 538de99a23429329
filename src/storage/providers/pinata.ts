import { type FileListResponse, PinataError, PinataSDK, type UploadResponse, ValidationError } from "pinata";
import { rawCid, UNIXFS_CHUNK_SIZE } from "../../evidence/cid.ts";
import { encodeCar } from "../car.ts";
import { CidMismatchError, type InvalidCidError, ProviderError } from "../errors.ts";
import { DEFAULT_RETRY, isRetryableStatus, type RetryPolicy } from "../http.ts";
import type { ContentProvider } from "../provider.ts";
import { fileBlocks, parseCid } from "../unixfs.ts";
import { assertCarRoots, type CarRootsError, sameCid } from "./cids.ts";
import { redact } from "./env.ts";
import { withRetry } from "./retry.ts";
import { type IncompleteDagError, splitCar } from "./splitCar.ts";

export interface PinataProviderOptions {
  /** The API key's JWT. It stays inside the SDK client and never reaches an error or a log. */
  readonly jwt: string;
  /** Upload API base; the SDK's default is https://uploads.pinata.cloud/v3. */
  readonly uploadUrl?: string;
  /** Files API base; the SDK's default is https://api.pinata.cloud/v3. */
  readonly endpointUrl?: string;
  /** The account's dedicated gateway domain. Unused by writes; reads go through trustless gateways. */
  readonly gatewayUrl?: string;
  /** Name in status reports and errors; default "pinata". */
  readonly name?: string;
  /** Attempts, backoff and per-attempt timeout for every SDK call; default DEFAULT_RETRY. */
  readonly retry?: RetryPolicy;
}

/** What the provider's methods throw; `retryable` on each says whether to try again. */
export type PinataProviderErrorType =
  | ProviderError
  | CidMismatchError
  | CarRootsError
  | IncompleteDagError
  | InvalidCidError;

const CAR_TYPE = "application/vnd.ipld.car";

/**
 * A Pinata SDK failure as a ProviderError: 429 and 5xx retryable, 401/403 and
 * other 4xx not, a failure without status (network) retryable. The SDK puts the
 * server's body in its messages, so secrets are redacted from them.
 */
function sdkFailure(provider: string, operation: string, error: unknown, secrets: readonly string[]): unknown {
  if (!(error instanceof PinataError)) return error;
  const body = redact(String(error.details?.error ?? error.message), secrets).slice(0, 300);
  if (error instanceof ValidationError) {
    return new ProviderError(provider, `${operation} refused by the SDK`, { retryable: false, details: body });
  }
  const status = error.statusCode;
  if (status === undefined || status === 0) {
    return new ProviderError(provider, `${operation} failed (${redact(error.message, secrets).slice(0, 200)})`, {
      retryable: true,
      details: body,
    });
  }
  return new ProviderError(provider, `HTTP ${status} from the ${operation} API`, {
    status,
    retryable: isRetryableStatus(status),
    details: body,
  });
}

/**
 * Pinata through its official SDK and the v3 Files API: public uploads, CIDv1.
 * Every CID Pinata reports is compared with the one computed here; another CID
 * is a CidMismatchError and the upload does not count. Content larger than one
 * chunk is sent as a CAR of the locally built DAG, because Pinata documents no
 * chunking parameters and its importer could otherwise pick a different CID.
 * A CAR with several roots is uploaded as one CAR per root, since Pinata
 * reports one CID per upload.
 *
 * The SDK takes no AbortSignal: a timed-out call is abandoned, not aborted
 * (docs/decisions/007-storage-providers.md).
 *
 * @example
 * const pinata = createPinataProvider(pinataFromEnv(process.env));
 * await pinata.put(bytes, await contentCid(bytes));
 */
export function createPinataProvider(options: PinataProviderOptions): ContentProvider {
  const name = options.name ?? "pinata";
  const policy = options.retry ?? DEFAULT_RETRY;
  const secrets = [options.jwt];
  // Kept in this closure, not on the returned object, so logging the provider cannot print the JWT.
  const sdk = new PinataSDK({
    pinataJwt: options.jwt,
    ...(options.uploadUrl === undefined ? {} : { uploadUrl: options.uploadUrl }),
    ...(options.endpointUrl === undefined ? {} : { endpointUrl: options.endpointUrl }),
    ...(options.gatewayUrl === undefined ? {} : { pinataGateway: options.gatewayUrl }),
  });

  const call = <T>(operation: string, work: () => PromiseLike<T>, signal: AbortSignal | undefined) =>
    withRetry(
      name,
      policy,
      async () => {
        try {
          return await work();
        } catch (error) {
          throw sdkFailure(name, operation, error, secrets);
        }
      },
      signal,
    );

  const upload = async (file: File, asCar: boolean, expected: string, signal: AbortSignal | undefined) => {
    const answer: UploadResponse | undefined = await call(
      "upload",
      () => {
        const builder = sdk.upload.public.file(file).name(file.name);
        return asCar ? builder.car() : builder.cidVersion("v1");
      },
      signal,
    );
    const reported = answer?.cid;
    if (typeof reported !== "string" || reported === "") {
      throw new ProviderError(name, "the upload answer carries no CID", { retryable: false });
    }
    if (!sameCid(reported, expected)) throw new CidMismatchError(name, expected, reported);
  };

  return {
    name,

    async put(bytes, cid, options) {
      parseCid(cid);
      if (bytes.length <= UNIXFS_CHUNK_SIZE) {
        const actual = rawCid(bytes);
        if (!sameCid(actual, cid)) throw new CidMismatchError("the bytes to store", cid, actual);
        await upload(new File([bytes], cid, { type: "application/octet-stream" }), false, cid, options?.signal);
        return;
      }
      const { root, blocks } = await fileBlocks(bytes);
      if (!sameCid(root.toString(), cid)) throw new CidMismatchError("the bytes to store", cid, root.toString());
      const car = encodeCar([root], blocks);
      await upload(new File([car], `${cid}.car`, { type: CAR_TYPE }), true, cid, options?.signal);
    },

    async putCar(car, roots, options) {
      for (const root of roots) parseCid(root);
      await assertCarRoots(car, roots);
      const [root] = roots;
      if (roots.length === 1 && root !== undefined) {
        await upload(new File([car], `${root}.car`, { type: CAR_TYPE }), true, root, options?.signal);
        return;
      }
      // Pinata's answer names one CID per upload, so a CAR with several roots (a batch) goes as one
      // single-root CAR per root: every root is then confirmed, at the price of one request each.
      for (const part of await splitCar(car, roots)) {
        await upload(new File([part.car], `${part.root}.car`, { type: CAR_TYPE }), true, part.root, options?.signal);
      }
    },

    async has(cid, options) {
      parseCid(cid);
      const answer: FileListResponse | undefined = await call(
        "file list",
        () => sdk.files.public.list().cid(cid).limit(10),
        options?.signal,
      );
      return (answer?.files ?? []).some((file) => typeof file.cid === "string" && sameCid(file.cid, cid));
    },
  };
}

/**
 * Turns what a registry call threw into one plain sentence: the contract's
 * custom errors with their arguments rendered (addresses, ISO times, the string
 * ids the caller used), transport failures marked retryable.
 */
import {
  type ContractErrorArgs,
  type ContractErrorName,
  ContractFunctionRevertedError,
  type Hex,
  HttpRequestError,
  SocketClosedError,
  TimeoutError,
  BaseError as ViemBaseError,
  WebSocketRequestError,
} from "viem";
import { BaseError } from "../errors.ts";
import type { processAnchorRegistryAbi } from "./abi.ts";
import { toOnchainId } from "./ids.ts";

type RegistryAbi = typeof processAnchorRegistryAbi;
export type RegistryErrorName = ContractErrorName<RegistryAbi>;

/** A registry call failed: a revert (never retryable), a transport failure (retryable) or anything else. */
export class RegistryError extends BaseError {
  override name = "RegistryError";
  /** The contract's custom error, when the call reverted with one. */
  readonly errorName: string | undefined;
  readonly args: readonly unknown[] | undefined;

  constructor(
    shortMessage: string,
    options: {
      details?: string;
      cause?: unknown;
      retryable?: boolean;
      errorName?: string;
      args?: readonly unknown[];
    } = {},
  ) {
    const { errorName, args, ...rest } = options;
    super(shortMessage, rest);
    this.errorName = errorName;
    this.args = args;
  }
}

export type RegistryErrorType = RegistryError;

export interface DescribeRegistryErrorOptions {
  /**
   * The string ids (tenant, chain, key) the call used: an on-chain id that is
   * the keccak256 of one of them is shown as that string instead of a hash.
   */
  readonly ids?: Iterable<string>;
}

interface Render {
  /** A bytes32 id: its string id when known, else the hex. */
  id(value: Hex): string;
  time(seconds: bigint): string;
}

type Sentences = {
  [N in RegistryErrorName]: (args: ContractErrorArgs<RegistryAbi, N>, r: Render) => string;
};

/** One sentence per custom error of the registry's ABI; the type makes a missing one a compile error. */
const SENTENCES: Sentences = {
  AnchorAlreadyExists: ([tenantId, chainId], r) =>
    `Chain ${r.id(chainId)} of tenant ${r.id(tenantId)} is already anchored; a chain is anchored once.`,
  AnchorExpired: ([deadline, nowTs], r) =>
    `The anchor's deadline ${r.time(deadline)} has passed (block time ${r.time(nowTs)}).`,
  EmptyIpfsCid: ([tenantId, chainId], r) =>
    `The anchor of chain ${r.id(chainId)} of tenant ${r.id(tenantId)} names no IPFS CID.`,
  InvalidAnchorSignature: ([tenantId, signer], r) =>
    `The signature is not ${signer}'s over this anchor of tenant ${r.id(tenantId)} (wrong key, EVM chain or registry).`,
  InvalidRevocationTime: ([revokedAt, validFrom, nowTs], r) =>
    `The revocation time ${r.time(revokedAt)} is in the future (block time ${r.time(nowTs)}; the key is valid from ${r.time(validFrom)}).`,
  InvalidSigningKey: ([tenantId, keyId], r) =>
    `Key ${r.id(keyId)} of tenant ${r.id(tenantId)} cannot be registered: its public key is zero or validUntil is not after validFrom.`,
  LengthMismatch: ([anchors, signatures]) =>
    `${anchors} anchors came with ${signatures} signatures; they must pair up one to one.`,
  MissingCertificateRecipient: ([tenantId, chainId], r) =>
    `The anchor of chain ${r.id(chainId)} of tenant ${r.id(tenantId)} mints certificates but names no recipient.`,
  NotPendingRegistrar: ([caller]) => `${caller} is not the pending registrar, so it cannot accept the role.`,
  NotPendingTenantAdmin: ([tenantId, caller], r) =>
    `${caller} is not the pending admin of tenant ${r.id(tenantId)}, so it cannot accept the role.`,
  NotRegistrar: ([caller]) => `${caller} is not the registrar; only the registrar registers tenants.`,
  NotTenantAdmin: ([tenantId, caller], r) => `${caller} is not the admin of tenant ${r.id(tenantId)}.`,
  SignerNotAllowed: ([tenantId, signer], r) => `${signer} is not an allowed anchor signer of tenant ${r.id(tenantId)}.`,
  SigningKeyAlreadyRegistered: ([tenantId, keyId], r) =>
    `Key ${r.id(keyId)} is already registered for tenant ${r.id(tenantId)}; a key id is registered once and never replaced.`,
  SigningKeyAlreadyRevoked: ([tenantId, keyId], r) =>
    `Key ${r.id(keyId)} of tenant ${r.id(tenantId)} is already revoked.`,
  SigningKeyNotRegistered: ([tenantId, keyId], r) => `Tenant ${r.id(tenantId)} has no key ${r.id(keyId)}.`,
  TenantAlreadyRegistered: ([tenantId], r) => `Tenant ${r.id(tenantId)} is already registered.`,
  TenantNotRegistered: ([tenantId], r) => `Tenant ${r.id(tenantId)} is not registered.`,
  ZeroAddress: () => "The zero address was given where an account is required.",
  // Inherited from OpenZeppelin (ERC-1155 certificates, EIP-712 short strings).
  ERC1155InsufficientBalance: ([sender, balance, needed, tokenId]) =>
    `${sender} holds ${balance} of certificate ${tokenId} but ${needed} are needed.`,
  ERC1155InvalidApprover: ([approver]) => `${approver} cannot approve certificate transfers.`,
  ERC1155InvalidArrayLength: ([ids, values]) =>
    `${ids} certificate ids came with ${values} amounts; they must pair up one to one.`,
  ERC1155InvalidOperator: ([operator]) => `${operator} cannot be a certificate operator.`,
  ERC1155InvalidReceiver: ([receiver]) =>
    `${receiver} cannot receive certificates (the zero address, or a contract that does not accept ERC-1155 tokens).`,
  ERC1155InvalidSender: ([sender]) => `${sender} cannot send certificates.`,
  ERC1155MissingApprovalForAll: ([operator, owner]) =>
    `${operator} is not approved to move the certificates of ${owner}.`,
  InvalidShortString: () => "A string given to the contract is not a valid short string.",
  StringTooLong: ([value]) => `The string "${value}" is too long for the contract's short-string storage.`,
};

/** Hints where the sentence alone could mislead. */
const DETAILS: Partial<Record<RegistryErrorName, string>> = {
  NotTenantAdmin:
    "An unregistered tenant has no admin, so this is also the answer for a tenant id that was never registered (readTenant or pop tenant show tells which).",
  InvalidRevocationTime:
    "A revocation may be back-dated to the suspected compromise (a time before the key's validFrom voids the whole key), but not set in the future: planned retirement is validUntil.",
};

/** ISO 8601 UTC to the second; the raw number when it is outside JavaScript's dates. */
export function formatUnixSeconds(seconds: bigint): string {
  if (seconds > 8_640_000_000_000n) return `${seconds} (unix seconds)`;
  return new Date(Number(seconds) * 1000).toISOString().replace(".000Z", "Z");
}

function renderer(ids: Iterable<string> | undefined): Render {
  const names = new Map<string, string>();
  for (const id of ids ?? []) names.set(toOnchainId(id), id);
  return {
    id: (value) => {
      const name = names.get(value.toLowerCase());
      return name === undefined ? value : JSON.stringify(name);
    },
    time: formatUnixSeconds,
  };
}

function isRegistryErrorName(name: string): name is RegistryErrorName {
  return Object.hasOwn(SENTENCES, name);
}

/** The sentence for a decoded custom error of the registry, or undefined for a name outside its ABI. */
export function registryErrorSentence(
  errorName: string,
  args: readonly unknown[],
  options: DescribeRegistryErrorOptions = {},
): string | undefined {
  if (!isRegistryErrorName(errorName)) return undefined;
  const sentence = SENTENCES[errorName] as (args: readonly unknown[], r: Render) => string;
  return sentence(args, renderer(options.ids));
}

/** Another sentence continued after a colon: "The request took long." → "the request took long". */
export function sentenceTail(sentence: string): string {
  return sentence.replace(/\.$/, "").replace(/^[A-Z](?=[a-z])/, (c) => c.toLowerCase());
}

function isTransportError(error: unknown): boolean {
  if (error instanceof HttpRequestError) {
    // No status: the request never got an answer (refused, reset, DNS). 4xx other than 408/429 will not change.
    const { status } = error;
    return status === undefined || status >= 500 || status === 408 || status === 429;
  }
  return error instanceof TimeoutError || error instanceof SocketClosedError || error instanceof WebSocketRequestError;
}

function describeRevert(revert: ContractFunctionRevertedError, cause: unknown, options: DescribeRegistryErrorOptions) {
  const decoded = revert.data;
  if (decoded !== undefined) {
    const args = decoded.args ?? [];
    const sentence = registryErrorSentence(decoded.errorName, args, options);
    if (sentence !== undefined) {
      const details = DETAILS[decoded.errorName as RegistryErrorName];
      return new RegistryError(sentence, {
        cause,
        errorName: decoded.errorName,
        args,
        ...(details === undefined ? {} : { details }),
      });
    }
    if (decoded.errorName === "Panic")
      return new RegistryError(`The registry panicked: ${revert.reason ?? "unknown panic code"}.`, {
        cause,
        errorName: "Panic",
        args,
      });
  }
  if (revert.signature !== undefined)
    return new RegistryError(
      `The contract reverted with error ${revert.signature}, which the registry does not have.`,
      {
        cause,
        details: "Check that the address is a ProcessAnchorRegistry (--registry).",
      },
    );
  if (revert.reason !== undefined && revert.reason !== "execution reverted")
    return new RegistryError(`The contract reverted: ${sentenceTail(revert.reason)}.`, { cause });
  return new RegistryError("The contract reverted without a reason.", {
    cause,
    details: "Check that the address is a ProcessAnchorRegistry (--registry) on this network.",
  });
}

/**
 * The `RegistryError` for whatever a registry read or write threw: a plain
 * sentence for each custom error of the contract, retryable only when the
 * transport failed.
 *
 * @example
 * try {
 *   await registerTenant(clients, { registry, tenantId: "studio-aurora", admin });
 * } catch (error) {
 *   console.error(describeRegistryError(error).shortMessage);
 *   // 0xf39F…2266 is not the registrar; only the registrar registers tenants.
 * }
 */
export function describeRegistryError(error: unknown, options: DescribeRegistryErrorOptions = {}): RegistryError {
  if (error instanceof RegistryError) return error;
  if (error instanceof ViemBaseError) {
    const revert = error.walk((e) => e instanceof ContractFunctionRevertedError);
    if (revert instanceof ContractFunctionRevertedError) return describeRevert(revert, error, options);
    const transport = error.walk(isTransportError);
    if (transport instanceof ViemBaseError) {
      // The origin only: RPC URLs often carry an API key in their path.
      const address = "url" in transport && typeof transport.url === "string" ? URL.parse(transport.url) : null;
      const url = address === null ? "" : ` at ${address.origin}`;
      return new RegistryError(`The network${url} did not answer: ${sentenceTail(transport.shortMessage)}.`, {
        cause: error,
        retryable: true,
      });
    }
    return new RegistryError(error.shortMessage, {
      cause: error,
      ...(error.details ? { details: error.details } : {}),
    });
  }
  if (error instanceof BaseError)
    return new RegistryError(error.shortMessage, {
      cause: error,
      retryable: error.retryable,
      ...(error.details === undefined ? {} : { details: error.details }),
    });
  return new RegistryError(error instanceof Error ? error.message : String(error), { cause: error });
}

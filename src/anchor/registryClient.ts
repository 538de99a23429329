/**
 * Tenant administration of the ProcessAnchorRegistry with viem, in the
 * `(client, parameters)` style of viem's actions. Every write simulates first,
 * so a revert is reported (as a plain sentence, see `registryErrors.ts`)
 * before anything is signed or paid for, then sends and waits for the receipt.
 * Ids are the off-chain string ids; `toOnchainId` turns them into bytes32.
 */
import {
  type Abi,
  type Account,
  type Address,
  type Chain,
  type Client,
  type ContractFunctionArgs,
  type ContractFunctionName,
  type Hex,
  type Transport,
  WaitForTransactionReceiptTimeoutError,
} from "viem";
import { getCode, simulateContract, waitForTransactionReceipt, writeContract } from "viem/actions";
import { processAnchorRegistryAbi } from "./abi.ts";
import type { AnchorMessage } from "./eip712.ts";
import { toOnchainId } from "./ids.ts";
import { describeRegistryError, RegistryError, sentenceTail } from "./registryErrors.ts";
import { type RegistryReader, readTenant } from "./registryReads.ts";

type RegistryAbi = typeof processAnchorRegistryAbi;
type WriteName = ContractFunctionName<RegistryAbi, "nonpayable">;

/**
 * The account that sends (a wallet client with an account) and the client that simulates, reads and waits.
 * Typed as viem's base `Client` so clients of any chain (with its formatters, like `base`) fit.
 */
export interface RegistryClients {
  readonly walletClient: Client<Transport, Chain | undefined, Account>;
  readonly publicClient: RegistryReader;
}

export interface RegistryWriteOptions {
  /** The ProcessAnchorRegistry's address. */
  readonly registry: Address;
  /** Blocks to wait for, the including block counting as the first (default 1). */
  readonly confirmations?: number;
  /** Milliseconds to wait for the receipt (default 180,000, viem's). */
  readonly timeout?: number;
}

/** A mined, successful registry transaction. */
export interface RegistryTransaction {
  readonly hash: Hex;
  readonly blockNumber: bigint;
  readonly gasUsed: bigint;
}

export type RegistryWriteErrorType = RegistryError;

/** Simulates, sends and waits: the one path every write takes. `ids` name the string ids in error sentences. */
async function write<F extends WriteName>(
  { walletClient, publicClient }: RegistryClients,
  options: RegistryWriteOptions,
  functionName: F,
  args: ContractFunctionArgs<RegistryAbi, "nonpayable", F>,
  ids: [tenantId: string, ...others: string[]],
): Promise<RegistryTransaction> {
  const { registry, confirmations = 1, timeout = 180_000 } = options;
  let hash: Hex;
  try {
    const [code, { request }] = await Promise.all([
      getCode(publicClient, { address: registry }),
      simulateContract(publicClient, {
        address: registry,
        // The arguments were checked against `F` by this function's signature; viem's generics cannot follow
        // a generic function name, so the call itself is made with the ABI widened.
        abi: processAnchorRegistryAbi as Abi,
        functionName,
        args: args as readonly unknown[],
        account: walletClient.account,
        chain: walletClient.chain,
      }),
    ]);
    // A call to an address without code "succeeds" and does nothing: refuse before paying for it.
    if (code === undefined || code === "0x")
      throw new RegistryError(`There is no contract at ${registry} on this network.`, {
        details: "Check the registry address (--registry) and the RPC URL's network.",
      });
    hash = await writeContract(walletClient, request);
  } catch (error) {
    throw await explainNotTenantAdmin(describeRegistryError(error, { ids }), publicClient, registry, ids[0]);
  }
  let receipt: Awaited<ReturnType<typeof waitForTransactionReceipt>>;
  try {
    receipt = await waitForTransactionReceipt(publicClient, { hash, confirmations, timeout });
  } catch (error) {
    // The transaction is out: retrying blindly could send it twice, so say what to check instead.
    const reason =
      error instanceof WaitForTransactionReceiptTimeoutError
        ? `no receipt with ${confirmations} confirmation(s) arrived within ${timeout} ms`
        : sentenceTail(describeRegistryError(error).shortMessage);
    throw new RegistryError(`Transaction ${hash} was sent, but ${reason}.`, {
      cause: error,
      details: "Look the transaction up before sending it again.",
    });
  }
  if (receipt.status !== "success")
    throw new RegistryError(`Transaction ${hash} reverted in block ${receipt.blockNumber}.`, {
      details: "Its simulation passed, so the registry's state changed in between; running it again tells why.",
    });
  return { hash, blockNumber: receipt.blockNumber, gasUsed: receipt.gasUsed };
}

/**
 * The contract answers NotTenantAdmin both to a stranger and for a tenant that was never registered (it has
 * no admin): one read says which, and who the admin is.
 */
async function explainNotTenantAdmin(
  error: RegistryError,
  publicClient: RegistryReader,
  registry: Address,
  tenantId: string,
): Promise<RegistryError> {
  if (error.errorName !== "NotTenantAdmin") return error;
  let admin: Address | null;
  try {
    ({ admin } = await readTenant(publicClient, { registry, tenantId }));
  } catch {
    return error; // The revert itself is the answer; the extra read was only a hint.
  }
  return new RegistryError(error.shortMessage, {
    cause: error.cause,
    details:
      admin === null ? `Tenant "${tenantId}" is not registered.` : `The admin of tenant "${tenantId}" is ${admin}.`,
    errorName: error.errorName,
    ...(error.args === undefined ? {} : { args: error.args }),
  });
}

export interface RegisterTenantParameters extends RegistryWriteOptions {
  readonly tenantId: string;
  /** The tenant's first admin. */
  readonly admin: Address;
}

/**
 * Registers a tenant with its first admin; the wallet's account must be the registrar.
 *
 * @example
 * await registerTenant({ walletClient, publicClient }, { registry, tenantId: "studio-aurora", admin })
 */
export function registerTenant(clients: RegistryClients, parameters: RegisterTenantParameters) {
  const { tenantId, admin } = parameters;
  return write(clients, parameters, "registerTenant", [toOnchainId(tenantId), admin], [tenantId]);
}

export interface SetAnchorSignerParameters extends RegistryWriteOptions {
  readonly tenantId: string;
  readonly signer: Address;
  /** true allows the signer to authorise the tenant's anchors, false withdraws it. */
  readonly allowed: boolean;
}

/**
 * Allows or disallows an anchor signer; the wallet's account must be the tenant's admin.
 *
 * @example
 * await setAnchorSigner(clients, { registry, tenantId: "studio-aurora", signer, allowed: true })
 */
export function setAnchorSigner(clients: RegistryClients, parameters: SetAnchorSignerParameters) {
  const { tenantId, signer, allowed } = parameters;
  return write(clients, parameters, "setAnchorSigner", [toOnchainId(tenantId), signer, allowed], [tenantId]);
}

export interface RegisterSigningKeyParameters extends RegistryWriteOptions {
  readonly tenantId: string;
  readonly keyId: string;
  /** The 32-byte Ed25519 public key, 0x-prefixed. */
  readonly publicKey: Hex;
  /** Unix seconds: first second at which signatures count. */
  readonly validFrom: bigint;
  /** Unix seconds: first second at which signatures no longer count. */
  readonly validUntil: bigint;
}

/**
 * Registers an Ed25519 evidence key of the tenant; the wallet's account must be the tenant's admin.
 *
 * @example
 * await registerSigningKey(clients, { registry, tenantId, keyId: "studio-key", publicKey, validFrom, validUntil })
 */
export function registerSigningKey(clients: RegistryClients, parameters: RegisterSigningKeyParameters) {
  const { tenantId, keyId, publicKey, validFrom, validUntil } = parameters;
  return write(
    clients,
    parameters,
    "registerSigningKey",
    [toOnchainId(tenantId), toOnchainId(keyId), publicKey, validFrom, validUntil],
    [tenantId, keyId],
  );
}

export interface RevokeSigningKeyParameters extends RegistryWriteOptions {
  readonly tenantId: string;
  readonly keyId: string;
  /** Unix seconds the revocation takes effect: between the key's validFrom and now. */
  readonly revokedAt: bigint;
}

/**
 * Revokes a compromised key, effective at `revokedAt`; the wallet's account must be the tenant's admin.
 *
 * @example
 * await revokeSigningKey(clients, { registry, tenantId, keyId: "studio-key", revokedAt: 1767225600n })
 */
export function revokeSigningKey(clients: RegistryClients, parameters: RevokeSigningKeyParameters) {
  const { tenantId, keyId, revokedAt } = parameters;
  return write(
    clients,
    parameters,
    "revokeSigningKey",
    [toOnchainId(tenantId), toOnchainId(keyId), revokedAt],
    [tenantId, keyId],
  );
}

export interface TransferTenantAdminParameters extends RegistryWriteOptions {
  readonly tenantId: string;
  /** The proposed admin, who must accept; the zero address cancels a pending transfer. */
  readonly newAdmin: Address;
}

/**
 * Proposes a new admin for the tenant; the wallet's account must be the current admin.
 *
 * @example
 * await transferTenantAdmin(clients, { registry, tenantId: "studio-aurora", newAdmin })
 */
export function transferTenantAdmin(clients: RegistryClients, parameters: TransferTenantAdminParameters) {
  const { tenantId, newAdmin } = parameters;
  return write(clients, parameters, "transferTenantAdmin", [toOnchainId(tenantId), newAdmin], [tenantId]);
}

export interface AcceptTenantAdminParameters extends RegistryWriteOptions {
  readonly tenantId: string;
}

/**
 * Accepts the tenant's admin role; the wallet's account must be the pending admin.
 *
 * @example
 * await acceptTenantAdmin(newAdminClients, { registry, tenantId: "studio-aurora" })
 */
export function acceptTenantAdmin(clients: RegistryClients, parameters: AcceptTenantAdminParameters) {
  const { tenantId } = parameters;
  return write(clients, parameters, "acceptTenantAdmin", [toOnchainId(tenantId)], [tenantId]);
}

export interface SubmitAnchorParameters extends RegistryWriteOptions {
  /** The EIP-712 `Anchor` the tenant's signer signed (see eip712.ts). */
  readonly anchor: AnchorMessage;
  readonly signature: Hex;
  /** The string ids behind `anchor.tenantId` and `anchor.chainId`, for error sentences. */
  readonly ids: { readonly tenantId: string; readonly chainId: string };
}

/**
 * Submits a signed anchor from any account (a relayer pays the gas).
 *
 * @example
 * await submitAnchor({ walletClient: relayer, publicClient }, { registry, anchor, signature, ids })
 */
export function submitAnchor(clients: RegistryClients, parameters: SubmitAnchorParameters) {
  const { anchor, signature, ids } = parameters;
  return write(clients, parameters, "anchor", [anchor, signature], [ids.tenantId, ids.chainId]);
}

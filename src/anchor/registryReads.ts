/**
 * Reads of the ProcessAnchorRegistry's tenant records with viem, by string
 * ids; failures come as `RegistryError` (see `registryErrors.ts`).
 */
import { type Address, type Chain, type Client, type Hex, type Transport, zeroAddress } from "viem";
import { getContractEvents, readContract } from "viem/actions";
import { processAnchorRegistryAbi } from "./abi.ts";
import { toOnchainId } from "./ids.ts";
import { describeRegistryError } from "./registryErrors.ts";

/**
 * Any viem client that can read: a public client, or a wallet client extended with public actions.
 * viem's base `Client`, so clients of any chain (with its formatters, like `base`) fit.
 */
export type RegistryReader = Client<Transport, Chain | undefined>;

export interface ReadTenantParameters {
  readonly registry: Address;
  readonly tenantId: string;
}

export interface TenantRecord {
  readonly tenantId: string;
  readonly onchainId: Hex;
  /** Whether the tenant has an admin (a registered tenant always does). */
  readonly registered: boolean;
  readonly admin: Address | null;
  /** The proposed admin who has not accepted yet. */
  readonly pendingAdmin: Address | null;
  readonly anchorCount: bigint;
}

const orNull = (address: Address) => (address === zeroAddress ? null : address);

/**
 * The tenant's admin, pending admin and anchor count.
 *
 * @example
 * const { admin, anchorCount } = await readTenant(publicClient, { registry, tenantId: "studio-aurora" })
 */
export async function readTenant(
  publicClient: RegistryReader,
  parameters: ReadTenantParameters,
): Promise<TenantRecord> {
  const { registry, tenantId } = parameters;
  const onchainId = toOnchainId(tenantId);
  try {
    const [[admin, pendingAdmin], anchorCount] = await Promise.all([
      readContract(publicClient, {
        address: registry,
        abi: processAnchorRegistryAbi,
        functionName: "tenantAdmin",
        args: [onchainId],
      }),
      readContract(publicClient, {
        address: registry,
        abi: processAnchorRegistryAbi,
        functionName: "anchorCount",
        args: [onchainId],
      }),
    ]);
    return {
      tenantId,
      onchainId,
      registered: admin !== zeroAddress,
      admin: orNull(admin),
      pendingAdmin: orNull(pendingAdmin),
      anchorCount,
    };
  } catch (error) {
    throw describeRegistryError(error, { ids: [tenantId] });
  }
}

export interface ReadSigningKeyParameters {
  readonly registry: Address;
  readonly tenantId: string;
  readonly keyId: string;
  /** Read the registry as it stood at this block (a verifier reads it at the anchor's block). */
  readonly blockNumber?: bigint;
}

/** A key's on-chain record; times in unix seconds, 0 where not revoked. */
export interface SigningKeyRecord {
  readonly publicKey: Hex;
  readonly validFrom: bigint;
  readonly validUntil: bigint;
  readonly revokedAt: bigint;
  readonly revocationRecordedAt: bigint;
}

/**
 * The key's record, or null when the tenant has no key with this id.
 *
 * @example
 * const key = await readSigningKey(publicClient, { registry, tenantId: "studio-aurora", keyId: "studio-key" })
 */
export async function readSigningKey(
  publicClient: RegistryReader,
  parameters: ReadSigningKeyParameters,
): Promise<SigningKeyRecord | null> {
  const { registry, tenantId, keyId, blockNumber } = parameters;
  try {
    const record = await readContract(publicClient, {
      address: registry,
      abi: processAnchorRegistryAbi,
      functionName: "signingKey",
      args: [toOnchainId(tenantId), toOnchainId(keyId)],
      ...(blockNumber === undefined ? {} : { blockNumber }),
    });
    return BigInt(record.publicKey) === 0n ? null : record;
  } catch (error) {
    throw describeRegistryError(error, { ids: [tenantId, keyId] });
  }
}

export interface IsAnchorSignerParameters {
  readonly registry: Address;
  readonly tenantId: string;
  readonly signer: Address;
}

/**
 * Whether `signer` may authorise the tenant's anchors.
 *
 * @example
 * await isAnchorSigner(publicClient, { registry, tenantId: "studio-aurora", signer })
 */
export async function isAnchorSigner(publicClient: RegistryReader, parameters: IsAnchorSignerParameters) {
  const { registry, tenantId, signer } = parameters;
  try {
    return await readContract(publicClient, {
      address: registry,
      abi: processAnchorRegistryAbi,
      functionName: "isAnchorSigner",
      args: [toOnchainId(tenantId), signer],
    });
  } catch (error) {
    throw describeRegistryError(error, { ids: [tenantId] });
  }
}

export interface ReadAnchorLogsParameters {
  readonly registry: Address;
  /** keccak256 of the tenant's string id. */
  readonly tenantId: Hex;
  /** keccak256 of the chainscript's UUID. */
  readonly chainId: Hex;
}

/** One `ProcessAnchored` log of a chain. */
export interface AnchorLog {
  readonly blockNumber: bigint;
  readonly transactionHash: Hex;
  readonly chainHash: Hex;
  readonly ipfsCid: string;
  readonly timestamp: bigint;
}

/**
 * The `ProcessAnchored` logs of one chain, found through the block the registry
 * records for it (`anchorBlock`), so no log range is scanned: empty when the
 * chain was never anchored. Errors propagate as viem's, for the caller to judge.
 */
export async function readAnchorLogs(
  publicClient: RegistryReader,
  parameters: ReadAnchorLogsParameters,
): Promise<AnchorLog[]> {
  const { registry, tenantId, chainId } = parameters;
  const blockNumber = await readContract(publicClient, {
    address: registry,
    abi: processAnchorRegistryAbi,
    functionName: "anchorBlock",
    args: [tenantId, chainId],
  });
  if (blockNumber === 0n) return [];
  const logs = await getContractEvents(publicClient, {
    address: registry,
    abi: processAnchorRegistryAbi,
    eventName: "ProcessAnchored",
    args: { tenantId, chainId },
    fromBlock: blockNumber,
    toBlock: blockNumber,
    strict: true,
  });
  return logs.map((log) => ({
    blockNumber: log.blockNumber,
    transactionHash: log.transactionHash,
    chainHash: log.args.chainHash,
    ipfsCid: log.args.ipfsCid,
    timestamp: log.args.timestamp,
  }));
}

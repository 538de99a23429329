/**
 * What the indexer keeps, all in Ponder's tables (so reorganisations are
 * Ponder's to undo): the registry's tenants, admins, anchor signers and
 * Ed25519 keys; who authorised each anchor, as the registry logged it; every
 * anchor with its transaction and verification status;
 * the chainscript entries and the packet facts users search by; certificate
 * transfers and balances; Numbers ERC-7053 commits. Ids of on-chain things
 * are the on-chain values (bytes32 tenant and chain ids, addresses); the
 * string ids come from the verified chainscript.
 */
import { index, onchainEnum, onchainTable, primaryKey } from "ponder";

export const verificationStatus = onchainEnum("verification_status", ["pending", "valid", "invalid", "unresolved"]);

export const tenant = onchainTable("tenant", (t) => ({
  id: t.hex().primaryKey(),
  admin: t.hex().notNull(),
  pendingAdmin: t.hex(),
  registeredBlock: t.bigint().notNull(),
  /** Anchors indexed for this tenant (compare with the registry's anchorCount). */
  anchorCount: t.integer().notNull(),
}));

export const anchorSigner = onchainTable(
  "anchor_signer",
  (t) => ({
    tenantId: t.hex().notNull(),
    signer: t.hex().notNull(),
    allowed: t.boolean().notNull(),
    updatedBlock: t.bigint().notNull(),
  }),
  (table) => ({ pk: primaryKey({ columns: [table.tenantId, table.signer] }) }),
);

export const signingKey = onchainTable(
  "signing_key",
  (t) => ({
    tenantId: t.hex().notNull(),
    keyId: t.hex().notNull(),
    publicKey: t.hex().notNull(),
    validFrom: t.bigint().notNull(),
    validUntil: t.bigint().notNull(),
    /** Effective time of a revocation, null while the key is not revoked. */
    revokedAt: t.bigint(),
    registeredBlock: t.bigint().notNull(),
  }),
  (table) => ({ pk: primaryKey({ columns: [table.tenantId, table.keyId] }) }),
);

/**
 * The registry's AnchorAuthorised, logged just before the ProcessAnchored of
 * the same (tenantId, chainId) in the same transaction: the one source of an
 * anchor's signer (never the transaction's input, which a relay contract
 * shapes as it likes). A registry anchors each (tenantId, chainId) once.
 */
export const anchorAuthorisation = onchainTable(
  "anchor_authorisation",
  (t) => ({
    tenantId: t.hex().notNull(),
    chainId: t.hex().notNull(),
    /** The EIP-712 signer the registry checked, or the allowed signer that called anchorDirect. */
    signer: t.hex().notNull(),
    blockNumber: t.bigint().notNull(),
    transactionHash: t.hex().notNull(),
    logIndex: t.integer().notNull(),
  }),
  (table) => ({ pk: primaryKey({ columns: [table.tenantId, table.chainId] }) }),
);

export const anchor = onchainTable(
  "anchor",
  (t) => ({
    /** `${tenantId}-${chainId}` (both bytes32). */
    id: t.text().primaryKey(),
    tenantId: t.hex().notNull(),
    chainId: t.hex().notNull(),
    chainHash: t.hex().notNull(),
    ipfsCid: t.text().notNull(),
    timestamp: t.bigint().notNull(),
    blockNumber: t.bigint().notNull(),
    transactionHash: t.hex().notNull(),
    logIndex: t.integer().notNull(),
    /** The account that sent the transaction (a relayer, perhaps). */
    submitter: t.hex().notNull(),
    /** The signer the registry's AnchorAuthorised named; null when none was logged (verification then fails anchor.signer). */
    signer: t.hex(),
    certificateId: t.bigint().notNull(),
    /** The tenant's n-th anchor, in indexing order. */
    sequence: t.integer().notNull(),
    /** String ids from the verified chainscript, once resolved. */
    tenantName: t.text(),
    chainUuid: t.text(),
    processId: t.text(),
    entryCount: t.integer(),
    status: verificationStatus("status").notNull(),
    /** The first failed check's id (invalid) or what was unavailable (unresolved). */
    failedCheck: t.text(),
    /** The verification report: every check with its outcome. */
    report: t.json(),
    attempts: t.integer().notNull(),
    verifiedBlock: t.bigint(),
  }),
  (table) => ({
    tenantIdx: index().on(table.tenantId),
    statusIdx: index().on(table.status),
    uuidIdx: index().on(table.chainUuid),
    certificateIdx: index().on(table.certificateId),
  }),
);

export const entry = onchainTable(
  "entry",
  (t) => ({
    /** `${anchorId}-${sequence}`. */
    id: t.text().primaryKey(),
    anchorId: t.text().notNull(),
    sequence: t.integer().notNull(),
    stageId: t.text().notNull(),
    packetCid: t.text().notNull(),
    packetHash: t.hex().notNull(),
    /** Facts from the packet. */
    assetHash: t.hex().notNull(),
    assetSize: t.bigint().notNull(),
    mimeType: t.text().notNull(),
    processId: t.text().notNull(),
    modelId: t.text().notNull(),
    deviceClass: t.text().notNull(),
    durationMs: t.bigint().notNull(),
    signingKeyId: t.text().notNull(),
    /** The packet's own time, ms since the epoch. */
    createdAt: t.bigint().notNull(),
  }),
  (table) => ({
    anchorIdx: index().on(table.anchorId),
    assetIdx: index().on(table.assetHash),
    packetIdx: index().on(table.packetCid),
    packetHashIdx: index().on(table.packetHash),
  }),
);

/**
 * Each key an anchor's verified content names, by on-chain id as
 * SigningKeyRevoked gives it: the chainscript's signingKeyId and every
 * packet's. Written with the entries, once the verdict is final; a revocation
 * of one of them sends the anchor back to be verified.
 */
export const anchorKey = onchainTable(
  "anchor_key",
  (t) => ({
    anchorId: t.text().notNull(),
    tenantId: t.hex().notNull(),
    keyId: t.hex().notNull(),
  }),
  (table) => ({
    pk: primaryKey({ columns: [table.anchorId, table.keyId] }),
    keyIdx: index().on(table.tenantId, table.keyId),
  }),
);

export const certificateTransfer = onchainTable(
  "certificate_transfer",
  (t) => ({
    id: t.text().primaryKey(),
    tokenId: t.bigint().notNull(),
    operator: t.hex().notNull(),
    from: t.hex().notNull(),
    to: t.hex().notNull(),
    amount: t.bigint().notNull(),
    blockNumber: t.bigint().notNull(),
    transactionHash: t.hex().notNull(),
  }),
  (table) => ({ tokenIdx: index().on(table.tokenId) }),
);

export const certificateBalance = onchainTable(
  "certificate_balance",
  (t) => ({
    tokenId: t.bigint().notNull(),
    owner: t.hex().notNull(),
    balance: t.bigint().notNull(),
  }),
  (table) => ({ pk: primaryKey({ columns: [table.tokenId, table.owner] }), ownerIdx: index().on(table.owner) }),
);

export const commit = onchainTable(
  "commit",
  (t) => ({
    /** `${chainId}-${transactionHash}-${logIndex}`. */
    id: t.text().primaryKey(),
    chainId: t.integer().notNull(),
    recorder: t.hex().notNull(),
    /** keccak256 of the CID: all the log holds of an indexed string. */
    assetCidHash: t.hex().notNull(),
    /** Recovered from the transaction input; null when the commit came through another contract. */
    assetCid: t.text(),
    commitData: t.text().notNull(),
    /** Whether commitData parsed as a JSON object; when not, it is kept as it came. */
    commitDataValid: t.boolean().notNull(),
    commitJson: t.json(),
    /** From commitData (our GPU-job receipts): the job, the event and the packet hash. */
    jobId: t.text(),
    eventType: t.text(),
    packetHash: t.hex(),
    blockNumber: t.bigint().notNull(),
    logIndex: t.integer().notNull(),
    timestamp: t.bigint().notNull(),
    transactionHash: t.hex().notNull(),
  }),
  (table) => ({
    cidIdx: index().on(table.assetCid),
    jobIdx: index().on(table.jobId),
  }),
);

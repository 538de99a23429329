/**
 * The batch anchoring pipeline: manifests in, anchored chains and receipts out.
 * Per manifest (a run): create and sign its packets, build and sign the
 * chainscript, store both (CAR, quorum), sign the EIP-712 `Anchor`; then one
 * transaction for all runs (`anchor`, or `anchorBatch` for several) sent by the
 * relayer, confirmations, and a receipt JSON beside each manifest. Each step is
 * committed to the database before the next begins (state.ts), so running the
 * same manifests again after a crash or a kill finishes the work: packets are
 * created once, and a transaction once recorded is looked up, never sent anew.
 * The registry has the last word (landed.ts): a run it already holds with the
 * same content finishes with whichever transaction put it there, and one it
 * holds with other content is reported once the other runs have finished.
 * Runs whose packets already exist (the receipts service's jobs) enter through
 * storedRuns.ts and share everything from the chainscript on (`advance`,
 * `sendAndFinish`).
 */
import { createHash } from "node:crypto";
import {
  type Abi,
  type Address,
  encodeFunctionData,
  type Hex,
  isAddressEqual,
  type LocalAccount,
  zeroAddress,
} from "viem";
import { estimateGas, getTransactionCount, simulateContract } from "viem/actions";
import { toHex } from "../../bytes.ts";
import { buildChainscript } from "../../chainscript/build.ts";
import type { Database } from "../../db/database.ts";
import { migrate } from "../../db/migrate.ts";
import { cidFromSha256 } from "../../evidence/cid.ts";
import { createPacket } from "../../evidence/sign.ts";
import { randomUuidV4 } from "../../evidence/uuid.ts";
import type { Signer } from "../../keys/signer.ts";
import { storeBatch } from "../../storage/batch.ts";
import type { ContentProvider } from "../../storage/provider.ts";
import { processAnchorRegistryAbi } from "../abi.ts";
import { type AnchorMessage, anchorTypedData } from "../eip712.ts";
import { toOnchainId } from "../ids.ts";
import { describeRegistryError } from "../registryErrors.ts";
import type { RegistryReader } from "../registryReads.ts";
import type { MinedAnchor } from "./chainReads.ts";
import { type AnchorConflict, AnchorConflictError, AnchorPipelineError } from "./errors.ts";
import { type FinishOptions, finishRun } from "./finish.ts";
import { lookUpRuns, recordFoundRuns } from "./landed.ts";
import { type Manifest, readManifest } from "./manifest.ts";
import type { AnchorReceipt } from "./receipt.ts";
import { ANCHOR_MIGRATIONS, ANCHOR_SCHEMA } from "./schema.ts";
import {
  countPackets,
  findOrCreateRun,
  type PacketRecord,
  type RunRecord,
  readChainscript,
  readPackets,
  readRun,
  recordChainscript,
  recordPackets,
  recordSigned,
  recordStored,
  recordSubmission,
  runsOfSubmission,
} from "./state.ts";
import {
  currentFees,
  type SenderContext,
  type SendOptions,
  settleSubmission,
  signAttempt,
  type UnsignedCall,
} from "./transactions.ts";

export type PipelinePhase = "packets" | "chainscript" | "storage" | "signing" | "transaction" | "receipt";

export interface ProgressEvent {
  readonly phase: PipelinePhase;
  /** Index of the manifest in the call; absent for the shared transaction. */
  readonly run?: number;
  readonly done: number;
  readonly total: number;
  /** What a person following along wants next to the step: a CID, a transaction hash, what is awaited. */
  readonly detail?: string;
}

/** What the pipeline needs whatever its runs are made of. */
export interface PipelineContext {
  readonly db: Database;
  readonly publicClient: RegistryReader;
  readonly registry: Address;
  /** The chain id the RPC answers: it signs the EIP-712 domain and the transaction. */
  readonly evmChainId: number;
  /** Signs the EIP-712 `Anchor`: an anchor signer allowed for the tenant. */
  readonly anchorSigner: LocalAccount;
  /** Sends and pays for the transaction; may be the anchor signer or a relayer. */
  readonly relayer: LocalAccount;
  readonly providers: readonly ContentProvider[];
  /** Providers that must confirm the batch before it is anchored (default all). */
  readonly quorum?: number;
  /** Called after each recorded step, with the step's name (state committed). */
  readonly onStep?: (step: string) => void | Promise<void>;
  readonly onProgress?: (event: ProgressEvent) => void;
}

export interface AnchorPipelineContext extends PipelineContext {
  /** Signs packets and chainscripts (Ed25519, a key registered for the tenant). */
  readonly packetSigner: Signer;
}

export interface AnchorManifestsParameters extends SendOptions {
  readonly manifests: readonly string[];
  /** Everything but the transaction: packets, chainscript, storage and signature are made and recorded. */
  readonly dryRun?: boolean;
  /** Receives one ERC-1155 certificate per anchor; none when absent. */
  readonly certificateRecipient?: Address;
  /** Lifetime of the anchor signature (default 3,600 s); one about to expire is signed again. */
  readonly signatureTtlSeconds?: number;
  /** The chainscripts' UUIDs, one per manifest, for runs that carry their own (default: new UUIDs). */
  readonly chainIds?: readonly string[];
  /** Packets committed per database transaction (default 1,000). */
  readonly packetChunk?: number;
}

/** What every entry point's runs share: how they are signed and sent (the manifests aside). */
export type PipelineParameters = Omit<AnchorManifestsParameters, "manifests" | "dryRun">;

export interface AnchoredRun {
  readonly manifest: string;
  /**
   * anchored now by our transaction; anchored now, found in the registry where another transaction (a relayer
   * that submitted the signed anchor first) had put it; anchored by an earlier call; or prepared only (dry run).
   */
  readonly status: "anchored" | "anchored-elsewhere" | "already-anchored" | "dry-run";
  readonly tenantId: string;
  readonly chainId: string;
  readonly chainscriptCid: string;
  readonly packets: number;
  readonly receiptPath?: string;
  readonly receipt?: AnchorReceipt;
}

export interface AnchorResult {
  readonly runs: readonly AnchoredRun[];
  /** The transaction of ours sent or looked up in this call, if any. */
  readonly transaction?: MinedAnchor;
  /** Dry run: the gas the transaction would use and its fee at current prices (wei). */
  readonly estimate?: { readonly gas: bigint; readonly fee: bigint };
  /** Wall time per phase in this call, ms. */
  readonly timings: Readonly<Record<"packets" | "chainscript" | "storage" | "transaction", number>>;
}

const SIGNATURE_MARGIN_SECONDS = 300n;
/** Gas estimates are exact for this call; the margin covers state changing between estimate and inclusion. */
const gasWithMargin = (gas: bigint) => gas + gas / 5n;

function runKeyOf(manifest: Manifest, evmChainId: number, registry: Address): string {
  // The same manifest with the same files, for the same registry, is the same run: found again on a re-run.
  const hash = createHash("sha256").update(`${evmChainId}\n${registry.toLowerCase()}\n${manifest.sha256}\n`);
  for (const step of manifest.steps) {
    hash.update(
      `${toHex(step.fields.outputs.assetHash)}:${(step.fields.inputs.assetHashes ?? []).map(toHex).join(",")}\n`,
    );
  }
  return hash.digest("hex");
}

/** What a run needs besides its record to reach `signed`. */
export interface RunSource {
  /** Records the run's packets and moves it from `registered` to `packets` (state.ts recordPackets). */
  readonly packets: (run: RunRecord) => Promise<void>;
  /** SHA-256 of the input assets from outside the run (the chainscript's lineage). */
  readonly externalInputs: readonly Uint8Array[];
  /** Signs the chainscript: the tenant's Ed25519 key, the one its packets are signed with. */
  readonly signer: Signer;
}

export class Pipeline {
  readonly timings = { packets: 0, chainscript: 0, storage: 0, transaction: 0 };
  /** Runs the registry holds with other content, by run key: reported once every other run has finished. */
  readonly conflicts = new Map<string, AnchorConflict>();
  // Plain fields, not parameter properties: Node runs these sources by stripping types, which those are not.
  readonly context: PipelineContext;
  private readonly parameters: PipelineParameters;
  private readonly sender: SenderContext;

  constructor(context: PipelineContext, parameters: PipelineParameters) {
    this.context = context;
    this.parameters = parameters;
    this.sender = {
      db: context.db,
      publicClient: context.publicClient,
      sender: context.relayer,
      evmChainId: context.evmChainId,
      ...(context.onStep ? { onStep: context.onStep } : {}),
    };
  }

  private async step(name: string): Promise<void> {
    await this.context.onStep?.(name);
  }

  async timed<T>(phase: keyof Pipeline["timings"], work: () => Promise<T>): Promise<T> {
    const start = performance.now();
    try {
      return await work();
    } finally {
      this.timings[phase] += performance.now() - start;
    }
  }

  /** Takes one manifest's run from wherever it stands to `signed` (or beyond, where an earlier call left it). */
  async prepare(manifest: Manifest, index: number, signer: Signer): Promise<RunRecord> {
    const { db, registry, evmChainId } = this.context;
    const chainId = this.parameters.chainIds?.[index] ?? randomUuidV4();
    const { run, created } = await findOrCreateRun(db, {
      runKey: runKeyOf(manifest, evmChainId, registry),
      evmChainId,
      registry,
      manifestPath: manifest.path,
      manifestSha256: manifest.sha256,
      tenantId: manifest.tenantId,
      processId: manifest.processId,
      chainId,
      packetCount: manifest.steps.length,
    });
    if (created) await this.step("registered");
    return this.advance(run, index, {
      packets: (registered) => this.createPackets(manifest, registered, index, signer),
      externalInputs: manifest.externalInputs,
      signer,
    });
  }

  /**
   * Takes a recorded run from wherever it stands to `signed`: its packets (made by `source.packets` while
   * it is `registered`), chainscript signed by `source.signer`, storage and the signed anchor.
   */
  async advance(run: RunRecord, index: number, source: RunSource): Promise<RunRecord> {
    const { db } = this.context;
    if (run.step === "registered") await this.timed("packets", () => source.packets(run));
    let current = await readRun(db, run.runKey);
    if (current.step === "packets") await this.timed("chainscript", () => this.chain(source, current, index));
    current = await readRun(db, run.runKey);
    if (current.step === "chained") await this.timed("storage", () => this.store(current, index));
    current = await readRun(db, run.runKey);
    // A signature recorded by an earlier call (a dry run, say) is reused only if it says what this call asks.
    if (current.step === "stored" || (current.step === "signed" && !this.reusable(current))) {
      await this.sign(current);
      this.context.onProgress?.({ phase: "signing", run: index, done: 1, total: 1 });
    }
    return readRun(db, run.runKey);
  }

  private async createPackets(manifest: Manifest, run: RunRecord, index: number, signer: Signer): Promise<void> {
    const chunk = this.parameters.packetChunk ?? 1_000;
    const total = manifest.steps.length;
    // Packets committed before a crash are kept: they may already be in someone's hands (a log, a store).
    for (let done = await countPackets(this.context.db, run.runKey); done < total; ) {
      const end = Math.min(done + chunk, total);
      const packets: PacketRecord[] = [];
      for (let sequence = done; sequence < end; sequence++) {
        const step = manifest.steps[sequence] as Manifest["steps"][number];
        const { bytes, packetHash } = await createPacket(step.fields, signer);
        packets.push({ sequence, stageId: step.stageId, cid: cidFromSha256(packetHash), bytes });
      }
      await recordPackets(this.context.db, run, packets, end === total);
      await this.step("packets");
      done = end;
      this.context.onProgress?.({ phase: "packets", run: index, done, total });
    }
  }

  private async chain(source: RunSource, run: RunRecord, index: number): Promise<void> {
    const packets = await readPackets(this.context.db, run.runKey);
    const built = await buildChainscript({
      steps: packets.map((p) => ({ bytes: p.bytes, stageId: p.stageId })),
      signer: source.signer,
      chainId: run.chainId,
      externalInputs: source.externalInputs,
    });
    await recordChainscript(this.context.db, run.runKey, {
      bytes: built.bytes,
      cid: built.cid,
      chainHash: `0x${built.chainscript.chainHash}`,
    });
    await this.step("chained");
    this.context.onProgress?.({ phase: "chainscript", run: index, done: 1, total: 1, detail: built.cid });
  }

  private async store(run: RunRecord, index: number): Promise<void> {
    const packets = await readPackets(this.context.db, run.runKey);
    const chainscript = (await readChainscript(this.context.db, run.runKey)) as Uint8Array;
    const stored = await storeBatch(
      this.context.providers,
      { packets: packets.map((p) => p.bytes), chainscript },
      this.context.quorum === undefined ? {} : { quorum: this.context.quorum },
    );
    if (!stored.stored) {
      const failures = stored.statuses.filter((s) => s.state !== "confirmed");
      throw new AnchorPipelineError(
        `Storage of run ${run.chainId} (${run.manifestPath}) was not confirmed by the quorum: nothing is anchored.`,
        {
          details: failures.map((s) => `${s.provider}: ${s.state}${s.error ? ` (${s.error})` : ""}`).join("; "),
          retryable: true,
        },
      );
    }
    await recordStored(this.context.db, run.runKey);
    await this.step("stored");
    this.context.onProgress?.({ phase: "storage", run: index, done: 1, total: 1 });
  }

  /** The anchor this call would sign: signer, certificate recipient and amount (the deadline aside). */
  private wanted(): Pick<AnchorMessage, "signer" | "recipient" | "amount"> {
    const recipient = this.parameters.certificateRecipient;
    return {
      signer: this.context.anchorSigner.address,
      recipient: recipient ?? zeroAddress,
      amount: recipient === undefined ? 0n : 1n,
    };
  }

  /**
   * Whether the run's recorded signed anchor can be sent as this call's: not about to expire, and signed
   * by this call's anchor signer for this call's certificate recipient and amount.
   */
  private reusable(run: RunRecord): boolean {
    const anchor = run.anchor;
    if (anchor === undefined) return false;
    const wanted = this.wanted();
    const deadline = anchor.deadline - BigInt(Math.floor(Date.now() / 1000));
    return (
      deadline >= SIGNATURE_MARGIN_SECONDS &&
      isAddressEqual(anchor.signer, wanted.signer) &&
      isAddressEqual(anchor.recipient, wanted.recipient) &&
      anchor.amount === wanted.amount
    );
  }

  private async sign(run: RunRecord): Promise<void> {
    const { anchorSigner, evmChainId, registry } = this.context;
    const ttl = BigInt(this.parameters.signatureTtlSeconds ?? 3_600);
    const anchor: AnchorMessage = {
      tenantId: toOnchainId(run.tenantId),
      chainId: toOnchainId(run.chainId),
      chainHash: run.chainHash as Hex,
      ipfsCid: run.chainscriptCid as string,
      ...this.wanted(),
      deadline: BigInt(Math.floor(Date.now() / 1000)) + ttl,
    };
    const signature = await anchorSigner.signTypedData(
      anchorTypedData({ chainId: evmChainId, verifyingContract: registry }, anchor),
    );
    await recordSigned(this.context.db, run.runKey, anchor, signature);
    await this.step("signed");
  }

  /** The registry call that anchors `runs`, simulated first so a revert is a plain sentence before anything is sent. */
  async call(runs: readonly RunRecord[]): Promise<UnsignedCall> {
    const { publicClient, registry, relayer } = this.context;
    const anchors = runs.map((run) => run.anchor as AnchorMessage);
    const signatures = runs.map((run) => run.signature as Hex);
    const ids =
      runs.length === 1 ? [runs[0]?.tenantId as string, runs[0]?.chainId as string] : [runs[0]?.tenantId as string];
    // One run is `anchor`, several `anchorBatch`; the ABI is widened because viem's generics cannot follow the choice.
    const request =
      runs.length === 1
        ? { functionName: "anchor", args: [anchors[0], signatures[0]] }
        : { functionName: "anchorBatch", args: [anchors, signatures] };
    const abi = processAnchorRegistryAbi as Abi;
    const data = encodeFunctionData({ abi, ...request });
    try {
      await simulateContract(publicClient, { address: registry, abi, ...request, account: relayer });
      const gas = await estimateGas(publicClient, { account: relayer, to: registry, data });
      return { to: registry, data, gas: gasWithMargin(gas) };
    } catch (error) {
      throw describeRegistryError(error, { ids: ids as [string, ...string[]] });
    }
  }

  /**
   * Takes the runs the registry already holds out of `runs`: those with the same content are recorded as
   * anchored by the transaction found, those with other content are set aside as conflicts.
   */
  private async withoutLanded(runs: readonly RunRecord[]): Promise<RunRecord[]> {
    const plan = await lookUpRuns(this.context.publicClient, runs);
    for (const conflict of plan.conflicts) this.conflicts.set(conflict.run.runKey, conflict);
    await recordFoundRuns(this.sender, this.context.registry, plan.found, this.parameters);
    return plan.absent;
  }

  /**
   * Sends (or settles the recorded) transaction for `runs`; sends anew only after a submission was released.
   * Resolves with our mined transaction, or undefined when the registry already held every run.
   */
  async send(runs: RunRecord[], existing?: string): Promise<MinedAnchor | undefined> {
    const { db, publicClient, registry, evmChainId, relayer } = this.context;
    let submissionId = existing;
    for (let drops = 0; drops < 3; ) {
      if (submissionId === undefined) {
        // Before simulating: a run anchored meanwhile (relayed by someone else) would make the whole call revert.
        runs = await this.withoutLanded(runs);
        if (runs.length === 0) return undefined;
        const call = await this.call(runs);
        const chainNonce = await getTransactionCount(publicClient, { address: relayer.address, blockTag: "pending" });
        const fees = await currentFees(publicClient);
        const submission = await recordSubmission(
          db,
          { evmChainId, registry, sender: relayer.address, chainNonce },
          (nonce) => signAttempt(this.sender, call, nonce, fees),
          runs.map((run) => run.runKey),
        );
        submissionId = submission.id;
        await this.step("submitted");
        this.context.onProgress?.({
          phase: "transaction",
          done: 0,
          total: 1,
          detail: `${submission.attempt.hash} signed (nonce ${submission.nonce}), sending; waiting for ${this.parameters.confirmations} confirmation${this.parameters.confirmations === 1 ? "" : "s"}`,
        });
      }
      const mined = await settleSubmission(this.sender, submissionId, runs, this.parameters);
      if (mined !== null) {
        this.context.onProgress?.({
          phase: "transaction",
          done: 1,
          total: 1,
          detail: `${mined.txHash} confirmed in block ${mined.blockNumber}`,
        });
        return mined;
      }
      submissionId = undefined; // released: its runs are back at `signed`, or anchored by another transaction
      const current = await Promise.all(runs.map((run) => readRun(db, run.runKey)));
      const released = current.filter((run) => run.step === "signed");
      // A release that found none of the runs anchored is a drop; several drops mean a competing sender.
      if (released.length === runs.length) drops++;
      runs = released;
    }
    throw new AnchorPipelineError("The anchoring transaction was dropped three times.", {
      details: "Another process is sending from the relayer account; stop it, then run pop anchor again.",
    });
  }

  async estimate(runs: readonly RunRecord[]): Promise<{ gas: bigint; fee: bigint }> {
    const call = await this.call(runs);
    const { maxFeePerGas } = await currentFees(this.context.publicClient);
    return { gas: call.gas, fee: call.gas * maxFeePerGas };
  }

  async finish(
    run: RunRecord,
    index: number,
    options: FinishOptions = {},
  ): Promise<{ receipt: AnchorReceipt; receiptPath?: string }> {
    const finished = await finishRun(this.sender, run, options);
    const earlier = run.step === "done" ? " (anchored by an earlier call; the registry still holds it)" : "";
    this.context.onProgress?.({
      phase: "receipt",
      run: index,
      done: 1,
      total: 1,
      detail: `${finished.receiptPath ?? run.manifestPath}${earlier}`,
    });
    return finished;
  }
}

/**
 * Anchors the runs the manifests describe, resuming whatever an earlier call
 * recorded.
 *
 * @example
 * const { runs } = await anchorManifests(context, { manifests: ["run.jsonl"], confirmations: 1 });
 * @throws {ManifestError} for a bad manifest (before anything is recorded),
 *   {RegistryError} when the registry would refuse the anchor (a plain sentence),
 *   {AnchorConflictError} after the other runs finished, when the registry holds some run's chain id with other content,
 *   {AnchorPipelineError} / {AnchorTransactionError} when a step cannot complete now (re-run to resume).
 */
export async function anchorManifests(
  context: AnchorPipelineContext,
  parameters: AnchorManifestsParameters,
): Promise<AnchorResult> {
  await migrate(context.db, ANCHOR_SCHEMA, ANCHOR_MIGRATIONS);
  // Every manifest is read and validated before anything is signed or recorded.
  const manifests = await Promise.all(parameters.manifests.map(readManifest));
  const pipeline = new Pipeline(context, parameters);
  const prepared: RunRecord[] = [];
  for (const [index, manifest] of manifests.entries()) {
    const run = await pipeline.prepare(manifest, index, context.packetSigner);
    // The same manifest twice in one call is one run.
    if (!prepared.some((p) => p.runKey === run.runKey)) prepared.push(run);
  }
  if (parameters.dryRun) {
    // What the registry already holds is not estimated (its simulation would revert); the real run records it.
    const plan = await lookUpRuns(
      context.publicClient,
      prepared.filter((run) => run.step === "signed"),
    );
    if (plan.conflicts.length > 0) throw new AnchorConflictError(plan.conflicts);
    const found = new Set(plan.found.map((held) => held.run.runKey));
    const estimate = plan.absent.length > 0 ? await pipeline.estimate(plan.absent) : undefined;
    const status = (run: RunRecord) =>
      run.step !== "signed" ? "already-anchored" : found.has(run.runKey) ? "anchored-elsewhere" : "dry-run";
    return {
      runs: prepared.map((run) => summary(run, status(run))),
      ...(estimate ? { estimate } : {}),
      timings: pipeline.timings,
    };
  }

  return sendAndFinish(pipeline, prepared);
}

/**
 * The shared end of every entry point: settles what earlier calls submitted, sends one transaction
 * (`anchor` or `anchorBatch`) for the signed runs, and finishes each (receipt files unless told not to).
 *
 * @throws {AnchorConflictError} after the other runs finished, when the registry holds some run's chain id with other content.
 */
export async function sendAndFinish(
  pipeline: Pipeline,
  prepared: readonly RunRecord[],
  options: FinishOptions = {},
): Promise<AnchorResult> {
  const { db } = pipeline.context;
  const indexOf = (run: RunRecord) => prepared.findIndex((p) => p.runKey === run.runKey);
  const wasDone = new Set(
    prepared.filter((run) => run.step === "confirmed" || run.step === "done").map((r) => r.runKey),
  );
  let transaction: MinedAnchor | undefined;
  await pipeline.timed("transaction", async () => {
    // Submissions an earlier call recorded: settled first (they may already be mined).
    const submitted = new Set(
      prepared.filter((run) => run.step === "submitted").map((run) => run.submissionId as string),
    );
    for (const id of submitted) {
      const runs = await runsOfSubmission(db, id);
      transaction = (await pipeline.send(runs, id)) ?? transaction;
    }
    const current = await Promise.all(prepared.map((run) => readRun(db, run.runKey)));
    const unsent = current.filter((run) => run.step === "signed");
    if (unsent.length > 0) transaction = (await pipeline.send(unsent)) ?? transaction;
  });

  const runs: AnchoredRun[] = [];
  for (const run of prepared) {
    // A conflict is no veto: the other runs finish, and the conflict is thrown once they have.
    if (pipeline.conflicts.has(run.runKey)) continue;
    const current = await readRun(db, run.runKey);
    const { receipt, receiptPath } = await pipeline.finish(current, indexOf(run), options);
    const status = wasDone.has(run.runKey)
      ? "already-anchored"
      : receipt.transaction.origin === "found"
        ? "anchored-elsewhere"
        : "anchored";
    runs.push({ ...summary(current, status), receipt, ...(receiptPath === undefined ? {} : { receiptPath }) });
  }
  if (pipeline.conflicts.size > 0)
    throw new AnchorConflictError(
      [...pipeline.conflicts.values()],
      runs.map((run) => run.manifest),
    );
  return { runs, ...(transaction ? { transaction } : {}), timings: pipeline.timings };
}

function summary(run: RunRecord, status: AnchoredRun["status"]): AnchoredRun {
  return {
    manifest: run.manifestPath,
    status,
    tenantId: run.tenantId,
    chainId: run.chainId,
    chainscriptCid: run.chainscriptCid as string,
    packets: run.packetCount,
  };
}

/**
 * The request and answer schemas of the receipts service. The same zod
 * objects validate requests (a failure is a 400 naming the field) and make the
 * OpenAPI document at /api/openapi.json, so the two cannot drift apart.
 */
import { z } from "@hono/zod-openapi";
import { JobArtifact } from "../artifact/format.ts";
import { GPU_IDS, TASK_TYPE_IDS } from "../catalog.ts";

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it looks for.
const NO_CONTROL = /^[^\u0000-\u001f\u007f]*$/;
const MAX_UINT64 = 2n ** 64n - 1n;
// The packet format's rule for outputs.mimeType (src/evidence/packet.ts), checked here so the 400 names the request's field.
const MIME_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}(?:\s*;.*)?$/i;
/** Names the packet mapping signs beside the task's parameters: a client may not set them. */
export const RESERVED_PARAMETERS = [
  "eventType",
  "jobId",
  "taskType",
  "executor",
  "gpu",
  "simulated",
  "status",
  "exitCode",
  "failureReason",
  "memoryUsedGb",
  "timeScale",
  "outputFileName",
] as const;

const id = (what: string) =>
  z
    .string()
    .min(1, `${what} must not be empty`)
    .max(256, `${what} must be at most 256 characters`)
    .regex(NO_CONTROL, `${what} must not contain control characters`);

const milliseconds = z
  .number()
  .int("must be whole milliseconds since the epoch")
  .min(0)
  .max(253_402_300_799_999, "must be a time before the year 10000");

export const JobId = id("jobId").openapi({ example: "3f1c7f7e-8f0e-4c59-9d43-1c2b8e6f0a11" });

export const FileFacts = z
  .object({
    fileName: id("fileName"),
    mimeType: z.string().regex(MIME_TYPE, "must be a media type such as image/png").openapi({ example: "image/png" }),
    sha256: z
      .string()
      .regex(/^(0x)?[0-9a-fA-F]{64}$/, "must be the file's SHA-256 as 64 hex digits")
      .openapi({ example: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08" }),
    size: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    resolution: z
      .object({ width: z.number().int().min(1).max(1_000_000), height: z.number().int().min(1).max(1_000_000) })
      .strict()
      .optional(),
  })
  .strict()
  .openapi("FileFacts", {
    description: "A file the job read or wrote, described by its hash (the bytes stay with the worker).",
  });

/**
 * A device class as a real worker reports it (`H100`, `CPU`, `Tesla T4`): printable, bounded. A simulated
 * job's must be one of the catalog's ({@link GPU_IDS}); the refinement on {@link SubmitBody} says so.
 */
const DeviceClass = z
  .string()
  .min(1, "gpu must not be empty")
  .max(128, "gpu must be at most 128 characters")
  .regex(NO_CONTROL, "gpu must not contain control characters")
  .regex(/\S/, "gpu must not be blank");

const parameterValue = z.union([z.string().max(4096), z.number(), z.boolean()]);

export const SubmitBody = z
  .object({
    jobId: JobId.optional().openapi({
      description: "The job's id; a UUIDv4 is drawn when absent. Send it so that a retried submit is recognised (409).",
    }),
    taskType: z.enum(TASK_TYPE_IDS),
    executor: id("executor").openapi({ example: "worker-1" }),
    gpu: DeviceClass.openapi({
      description:
        "The device class the job runs on: for a simulated job one of the catalog's (A100, H100, RTX-4090, MI300X, TPU-v5e); a real job's as its worker reads it (H200, L40S, CPU, …).",
      example: "H100",
    }),
    gpuName: id("gpuName").optional().openapi({
      description: "The accelerator's model as its tool names it (`NVIDIA H100 80GB HBM3`), or the CPU's.",
    }),
    modelId: id("modelId").openapi({ example: "stabilityai/stable-diffusion-xl-base-1.0" }),
    prompt: z.string().max(65_536).default(""),
    seed: z
      .union([z.number().int().min(0).max(Number.MAX_SAFE_INTEGER), z.string().regex(/^[0-9]{1,20}$/)])
      .refine((value) => BigInt(value) <= MAX_UINT64, "must be at most 2^64 - 1")
      .default(0)
      .openapi({ description: "Generation seed, 0 to 2^64 - 1 (a decimal string above 2^53 - 1).", type: "string" }),
    parameters: z
      .record(parameterValue)
      .superRefine((value, ctx) => {
        for (const name of RESERVED_PARAMETERS)
          if (Object.hasOwn(value, name))
            ctx.addIssue({ code: "custom", path: [name], message: "is set by the service, not the client" });
        if (Object.keys(value).length > 256) ctx.addIssue({ code: "custom", message: "must have at most 256 entries" });
      })
      .default({}),
    inputs: z.array(FileFacts).max(256).default([]),
    processId: id("processId").default("gpu-jobs-v1"),
    submittedAt: milliseconds.optional().openapi({ description: "When the job was submitted (ms); now when absent." }),
    simulated: z.boolean().default(false),
  })
  .strict()
  .superRefine((value, ctx) => {
    // The simulator's packets take the GPU's name and memory from the catalog entry.
    if (value.simulated && !(GPU_IDS as readonly string[]).includes(value.gpu))
      ctx.addIssue({
        code: "custom",
        path: ["gpu"],
        message: `must be one of ${GPU_IDS.join(", ")} for a simulated job`,
      });
  })
  .openapi("SubmitJob");
export type SubmitBody = z.infer<typeof SubmitBody>;

/** What the simulator route takes: the rest of the job is drawn from a fresh seed (src/jobs/plan.ts). */
export const SimulateBody = z
  .object({
    taskType: z.enum(TASK_TYPE_IDS),
    executor: id("executor").openapi({ example: "web-demo" }),
    gpu: z.enum(GPU_IDS).optional().openapi({ description: "The catalog's device class; drawn when absent." }),
  })
  .strict()
  .openapi("SimulateJob");
export type SimulateBody = z.infer<typeof SimulateBody>;

export const CompleteBody = z
  .object({
    jobId: JobId,
    exitCode: z.number().int().min(0).max(255),
    durationMs: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    gpuUtilization: z
      .number()
      .int()
      .min(0)
      .max(100)
      .optional()
      .openapi({ description: "Percent, averaged over the run; absent when nothing measured it (a CPU job)." }),
    memoryUsedGb: z
      .number()
      .min(0)
      .max(1_000_000)
      .optional()
      .openapi({ description: "Peak accelerator memory in use, GB; absent when nothing measured it." }),
    output: FileFacts.optional(),
    errorLog: FileFacts.optional(),
    failureReason: id("failureReason").optional(),
    completedAt: milliseconds.optional().openapi({ description: "When the job completed (ms); now when absent." }),
    timeScale: z.number().min(0).max(1_000_000).default(1),
  })
  .strict()
  .superRefine((value, ctx) => {
    if (value.output === undefined && value.errorLog === undefined)
      ctx.addIssue({
        code: "custom",
        path: ["output"],
        message: "is required (or errorLog, for a failed job): the completion describes a file",
      });
  })
  .openapi("CompleteJob");
export type CompleteBody = z.infer<typeof CompleteBody>;

export const EVENT_STATUSES = ["recorded", "stored", "submitted", "committed"] as const;

export const Receipt = z
  .object({
    jobId: z.string(),
    eventType: z.enum(["JobSubmitted", "JobCompleted"]),
    idempotencyKey: z.string().openapi({ example: "gpu-job-3f1c7f7e-8f0e-4c59-9d43-1c2b8e6f0a11-JobSubmitted" }),
    packetCid: z.string().openapi({ description: "CIDv1 (raw) of the signed evidence packet: the commit's assetCid." }),
    nid: z.string().openapi({ description: "The NID: the packet's CID, or what the Capture API answered." }),
    packetHash: z.string().openapi({ description: "SHA-256 of the packet's bytes, hex." }),
    status: z.enum(EVENT_STATUSES),
    recordedAt: z.string(),
    commit: z
      .object({
        committer: z.string(),
        nidMatchesCid: z.boolean(),
        txHash: z.string().nullable(),
        blockNumber: z.string().nullable(),
        explorerUrl: z.string().nullable(),
        committedAt: z.string().nullable(),
      })
      .nullable(),
    lastError: z.string().nullable(),
  })
  .openapi("Receipt");
export type Receipt = z.infer<typeof Receipt>;

export const ErrorBody = z
  .object({
    error: z.object({ code: z.string(), message: z.string(), field: z.string().optional() }),
  })
  .openapi("Error");

export const DuplicateBody = ErrorBody.extend({ receipt: Receipt }).openapi("Duplicate");

export const WaitQuery = z.object({
  wait: z
    .enum(["commit"])
    .optional()
    .openapi({ description: "`commit`: answer 200 once the commit is mined (202 if the wait runs out)." }),
});

export const JOB_STATUSES = ["submitted", "succeeded", "failed"] as const;

export const ListQuery = z.object({
  status: z.enum(JOB_STATUSES).optional(),
  taskType: z.enum(TASK_TYPE_IDS).optional(),
  executor: id("executor").optional(),
  limit: z
    .string()
    .regex(/^[0-9]{1,4}$/, "must be a whole number from 1 to 500")
    .transform(Number)
    .refine((n) => n >= 1 && n <= 500, "must be a whole number from 1 to 500")
    .optional(),
  cursor: z.string().max(200).optional().openapi({ description: "`nextCursor` of the previous page." }),
});

export const JobSummary = z
  .object({
    jobId: z.string(),
    taskType: z.string(),
    executor: z.string(),
    gpu: z.string(),
    status: z.enum(JOB_STATUSES),
    submittedAt: z.string(),
    completedAt: z.string().nullable(),
    events: z.array(z.object({ eventType: z.string(), packetCid: z.string(), status: z.enum(EVENT_STATUSES) })),
  })
  .openapi("JobSummary");

export const JobList = z.object({ jobs: z.array(JobSummary), nextCursor: z.string().nullable() }).openapi("JobList");

export const JobAnchor = z
  .object({
    status: z.enum(["pending", "anchored", "final"]),
    evmChainId: z.number().int().openapi({ description: "8453 Base, 84532 Base Sepolia, 31337 the local stand-in." }),
    registry: z.string(),
    tenantId: z.string(),
    chainId: z.string().openapi({ description: "The chainscript's UUID: with tenantId, what `pop verify` takes." }),
    chainscriptCid: z.string().nullable(),
    chainHash: z.string().nullable(),
    txHash: z.string().nullable(),
    blockNumber: z.string().nullable(),
    explorerUrl: z
      .string()
      .nullable()
      .openapi({ description: "The transaction on the explorer; null on local chains." }),
    blockExplorerUrl: z.string().nullable(),
    anchoredAt: z.string().nullable(),
    finalAt: z.string().nullable(),
    lastError: z.string().nullable(),
  })
  .openapi("JobAnchor");

export const TimelineStage = z
  .object({
    stage: z.enum(["submitted", "completed", "anchored", "final"]),
    at: z.string().openapi({ description: "When the service recorded the stage (ISO 8601)." }),
    chain: z.enum(["numbers", "base"]).openapi({ description: "The chain whose transaction the links point at." }),
    txHash: z.string().nullable().openapi({ description: "Numbers commit (submitted, completed) or Base anchor." }),
    blockNumber: z.string().nullable(),
    explorerUrl: z.string().nullable().openapi({
      description:
        "The transaction (the block, for final) on the chain's explorer; null until mined, or with no explorer.",
    }),
  })
  .openapi("TimelineStage");

export const Timeline = z
  .object({
    jobId: z.string(),
    status: z.enum(JOB_STATUSES),
    events: z.array(Receipt),
    stages: z.array(TimelineStage).openapi({ description: "submitted → completed → anchored → final, as reached." }),
    anchor: JobAnchor.nullable().openapi({ description: "The Base anchor, once the job is in a batch." }),
  })
  .openapi("Timeline");

const componentStatus = z.enum(["ok", "degraded", "down", "unconfigured"]);
export const Health = z
  .object({
    status: z.enum(["ok", "degraded", "down"]),
    components: z.record(z.object({ status: componentStatus, detail: z.string() })),
  })
  .openapi("Health");

export const JobArtifactSchema = JobArtifact.openapi("JobArtifact", {
  description: "pop-job-artifact/1 (docs/receipts.md, decision 027).",
});

export const VerifyArtifactBody = z
  .object({
    artifactContent: z.union([z.string().min(1, "must not be empty"), z.record(z.unknown())]).openapi({
      description:
        "The artifact: its file's text (every byte is then checked) or the parsed JSON object (its content is checked).",
    }),
  })
  .strict()
  .openapi("VerifyArtifact");

const CheckResultSchema = z.object({
  id: z.string(),
  description: z.string(),
  status: z.enum(["pass", "fail", "skip"]),
  checked: z.number(),
  skipped: z.number(),
  failed: z.number(),
  failures: z.array(z.object({ entry: z.number().optional(), field: z.string().optional(), message: z.string() })),
  optional: z.literal(true).optional(),
});

export const ArtifactReport = z
  .object({
    verdict: z.enum(["valid", "invalid", "incomplete"]),
    checks: z.array(CheckResultSchema),
    firstFailure: z
      .object({ check: z.string(), entry: z.number().optional(), field: z.string().optional(), message: z.string() })
      .optional(),
    notes: z.array(z.string()),
    jobId: z.string().optional(),
    tenantId: z.string().optional(),
    keyId: z.string().optional(),
    anchored: z.boolean().optional(),
  })
  .openapi("ArtifactVerification");
export type VerifyArtifactBody = z.infer<typeof VerifyArtifactBody>;

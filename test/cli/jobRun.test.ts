import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { toHex } from "../../src/bytes.ts";
import type { Database } from "../../src/db/database.ts";
import { decodePacket } from "../../src/evidence/codec.ts";
import { sharedPgliteTarget } from "../helpers/databases.ts";
import { pop } from "../helpers/pop.ts";
import { apiKey, call, type Running, startService } from "../jobs/service/harness.ts";

const sha256 = (bytes: string | Uint8Array) => createHash("sha256").update(bytes).digest("hex");

describe("pop job run (a real command's receipts, against the receipts service)", function () {
  this.timeout(120_000);
  let dir: string;
  let bin: string;
  let db: Database;
  let running: Running;
  let key: string;
  const at = (name: string) => join(dir, name);

  /** A stand-in tool first on PATH. */
  async function standIn(name: string, script: string) {
    await writeFile(join(bin, name), `#!/bin/sh\n${script}\n`);
    await chmod(join(bin, name), 0o755);
  }
  const env = (extra: Record<string, string> = {}) => ({
    PATH: `${bin}:${process.env.PATH}`,
    POP_SERVE_API_KEY: key,
    POP_SERVE_URL: running.url,
    // For the command to look its own job up: it never gets POP_SERVE_API_KEY.
    TEST_SERVE_URL: running.url,
    TEST_SERVE_KEY: key,
    ...extra,
  });
  const node = (script: string) => [process.execPath, "-e", script];

  async function packetOf(jobId: string, eventType: string) {
    const [row] = await db.query<{ packet: Uint8Array }>(
      "select packet from pop_jobs_event where job_id = $1 and event_type = $2",
      [jobId, eventType],
    );
    expect(row, `${eventType} of ${jobId}`).not.to.equal(undefined);
    return decodePacket(new Uint8Array((row as { packet: Uint8Array }).packet)).packet;
  }

  before(async () => {
    db = await sharedPgliteTarget.open();
    running = await startService(db);
    key = await apiKey(db);
  });
  after(async () => {
    await running.close();
    await db.close();
  });
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "pop-job-run-"));
    bin = join(dir, "bin");
    await mkdir(bin);
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it("records JobSubmitted before the command runs and JobCompleted after, with the stand-in nvidia-smi's GPU and utilisation", async () => {
    await standIn("nvidia-smi", "echo 'NVIDIA L40S, 77, 20480, 46068'");
    await writeFile(at("in.txt"), "what is a lighthouse?");
    // The command asks the service for its own job's timeline and writes what it saw into its output.
    const script = `
      const { writeFileSync } = require("node:fs");
      fetch(process.env.TEST_SERVE_URL + "/api/jobs/timeline/" + process.env.POP_JOB_ID, {
        headers: { authorization: "Bearer " + process.env.TEST_SERVE_KEY },
      }).then((r) => r.json()).then((timeline) => writeFileSync("out.json", JSON.stringify({
        seen: timeline.events.map((e) => e.eventType),
        apiKeyVisible: process.env.POP_SERVE_API_KEY !== undefined,
      })));`;
    const result = await pop(
      dir,
      [
        "job",
        "run",
        "--task-type",
        "llm-inference",
        "--input",
        "in.txt",
        "--output",
        "out.json",
        "--executor",
        "worker-7",
        "--model-id",
        "meta-llama/Llama-3.1-8B-Instruct",
        "--json",
        "--",
        ...node(script),
      ],
      env(),
    );
    expect(result.code, result.stderr).to.equal(0);
    const out = await readFile(at("out.json"));
    expect(JSON.parse(out.toString())).to.deep.equal({ seen: ["JobSubmitted"], apiKeyVisible: false });
    const report = JSON.parse(result.stdout);
    const { jobId } = report;
    expect(result.stderr).to.include(`JobSubmitted ${jobId}: ${report.submitted.nid}`);
    expect(result.stderr).to.include(`JobCompleted ${jobId}: ${report.completed.nid}`);

    const timeline = await call(running.url, `/api/jobs/timeline/${jobId}`, { key });
    expect(timeline.body.status).to.equal("succeeded");
    expect(timeline.body.events.map((e: { nid: string }) => e.nid)).to.deep.equal([
      report.submitted.nid,
      report.completed.nid,
    ]);

    const submitted = await packetOf(jobId, "JobSubmitted");
    expect(submitted.execution.deviceClass).to.equal("L40S");
    expect(submitted.inputs.assetHashes?.map(toHex)).to.deep.equal([sha256("what is a lighthouse?")]);
    const completed = await packetOf(jobId, "JobCompleted");
    expect(completed.execution.deviceClass).to.equal("L40S");
    expect(completed.execution.gpuUtilization).to.equal(77);
    expect(completed.inputs.modelId).to.equal("meta-llama/Llama-3.1-8B-Instruct");
    expect(completed.inputs.parameters).to.include({
      gpu: "NVIDIA L40S",
      executor: "worker-7",
      exitCode: 0,
      status: "succeeded",
      memoryUsedGb: 20,
      simulated: false,
      outputFileName: "out.json",
    });
    expect(toHex(completed.outputs.assetHash)).to.equal(sha256(out));
    expect(completed.outputs.assetSize).to.equal(out.length);
    expect(completed.execution.durationMs).to.equal(report.durationMs);
  });

  it("returns a failing command's exit code and records a JobCompleted with it and its stderr's tail as the error log", async () => {
    await standIn("nvidia-smi", "echo 'NVIDIA H100 80GB HBM3, 12, 1024, 81559'");
    const result = await pop(
      dir,
      [
        "job",
        "run",
        "--task-type",
        "fine-tuning",
        "--json",
        "--",
        ...node("process.stderr.write('boom\\n'); process.exit(3)"),
      ],
      env(),
    );
    expect(result.code).to.equal(3);
    expect(result.stderr).to.include("boom\n");
    const { jobId, exitCode } = JSON.parse(result.stdout);
    expect(exitCode).to.equal(3);
    const completed = await packetOf(jobId, "JobCompleted");
    expect(completed.inputs.parameters).to.include({ exitCode: 3, status: "failed", failureReason: "exit-3" });
    expect(toHex(completed.outputs.assetHash)).to.equal(sha256("boom\n"));
    expect(completed.outputs.mimeType).to.equal("text/plain");
    expect(completed.execution.deviceClass).to.equal("H100");
  });

  it("names the CPU when there is no nvidia-smi or rocm-smi, and signs no utilisation", async () => {
    await standIn("nvidia-smi", "exit 1");
    await standIn("rocm-smi", "exit 1");
    const result = await pop(dir, ["job", "run", "--task-type", "speech-to-text", "--json", "--", ...node("")], env());
    expect(result.code, result.stderr).to.equal(0);
    const { jobId, described, outputsManifest } = JSON.parse(result.stdout);
    const completed = await packetOf(jobId, "JobCompleted");
    expect(completed.execution.deviceClass).to.equal("CPU");
    expect(completed.inputs.parameters.gpu).to.equal(cpus()[0]?.model.trim());
    expect(completed.execution).not.to.have.property("gpuUtilization");
    // No output declared: the completion describes the (empty) outputs manifest.
    expect(JSON.parse(outputsManifest)).to.deep.equal({ jobId, outputs: [], missing: [] });
    expect(toHex(completed.outputs.assetHash)).to.equal(sha256(outputsManifest)).and.equal(described.sha256);
  });

  it("does not run the command when the service is down, and exits 2 saying why", async () => {
    await standIn("nvidia-smi", "exit 1");
    const closed = await startService(db);
    await closed.close();
    const result = await pop(
      dir,
      ["job", "run", "--task-type", "llm-inference", "--", ...node("require('fs').writeFileSync('ran', '')")],
      env({ POP_SERVE_URL: closed.url }),
    );
    expect(result.code).to.equal(2);
    expect(result.stderr).to.include("the command did not run").and.include("cannot reach");
    expect(existsSync(at("ran"))).to.equal(false);
  });

  it("exits 2 naming POP_SERVE_API_KEY when the key is refused or missing, without running the command", async () => {
    await standIn("nvidia-smi", "exit 1");
    const command = [
      "job",
      "run",
      "--task-type",
      "llm-inference",
      "--",
      ...node("require('fs').writeFileSync('ran', '')"),
    ];
    const refused = await pop(dir, command, env({ POP_SERVE_API_KEY: "pop_sk_not-a-key" }));
    expect(refused.code).to.equal(2);
    expect(refused.stderr).to.include("POP_SERVE_API_KEY").and.include("401");
    expect(refused.stderr).not.to.include("pop_sk_not-a-key");
    const { POP_SERVE_API_KEY: _key, ...without } = env();
    const missing = await pop(dir, command, without);
    expect(missing.code).to.equal(2);
    expect(missing.stderr).to.include("Set POP_SERVE_API_KEY");
    expect(existsSync(at("ran"))).to.equal(false);
  });

  it("records a command that cannot start as a failed job (exit code 127, not-started) and exits 127", async () => {
    await standIn("nvidia-smi", "exit 1");
    const result = await pop(
      dir,
      ["job", "run", "--task-type", "llm-inference", "--json", "--", join(dir, "no-such-program")],
      env(),
    );
    expect(result.code, result.stderr).to.equal(127);
    const { jobId } = JSON.parse(result.stdout);
    const completed = await packetOf(jobId, "JobCompleted");
    expect(completed.inputs.parameters).to.include({ exitCode: 127, status: "failed", failureReason: "not-started" });
  });
});

import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { InvalidJobOptionError } from "../../src/jobs/errors.ts";
import { probeHardware, toolRunner } from "../../src/jobs/hardware.ts";
import { type JobRunStart, runJob } from "../../src/jobs/runner.ts";
import { rejection } from "../helpers/rejection.ts";

const node = (script: string) => [process.execPath, "-e", script];
const sha256 = (text: string) => new Uint8Array(createHash("sha256").update(text).digest());

describe("runJob (a real command's receipts facts)", () => {
  let dir: string;
  const at = (name: string) => join(dir, name);
  /** The CPU probe: no tool on PATH. */
  const cpuProbe = () => probeHardware(toolRunner({ env: { PATH: dir } }));

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "pop-run-"));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it("hashes the inputs, hands over the start before the command runs, then hashes the outputs it wrote", async () => {
    await writeFile(at("prompt.txt"), "a lighthouse at dusk");
    const starts: { start: JobRunStart; outputExisted: boolean }[] = [];
    const end = await runJob({
      taskType: "image-generation",
      command: node(`require("fs").writeFileSync(${JSON.stringify(at("out.png"))}, "pixels")`),
      inputs: [at("prompt.txt")],
      outputs: [at("out.png")],
      probe: await cpuProbe(),
      stdio: "ignore",
      onStart: async (start) => {
        starts.push({ start, outputExisted: existsSync(at("out.png")) });
      },
    });
    expect(starts).to.have.length(1);
    const [{ start, outputExisted }] = starts as [(typeof starts)[number]];
    expect(outputExisted, "the command ran before the start was recorded").to.equal(false);
    expect(start.taskType).to.equal("image-generation");
    expect(start.accelerator.deviceClass).to.equal("CPU");
    expect(start.inputs).to.deep.equal([
      {
        path: at("prompt.txt"),
        fileName: "prompt.txt",
        assetHash: sha256("a lighthouse at dusk"),
        assetSize: 20,
        mimeType: "text/plain",
      },
    ]);
    expect(end).to.deep.include({ exitCode: 0, samples: 0, missingOutputs: [] });
    expect(end.outputs).to.deep.equal([
      { path: at("out.png"), fileName: "out.png", assetHash: sha256("pixels"), assetSize: 6, mimeType: "image/png" },
    ]);
    expect(end.endedAt - start.startedAt).to.equal(end.durationMs);
    expect(end).not.to.have.property("gpuUtilization");
  });

  it("runs nothing when recording the start fails", async () => {
    const error = await rejection(
      runJob({
        taskType: "llm-inference",
        command: node(`require("fs").writeFileSync(${JSON.stringify(at("ran"))}, "")`),
        probe: await cpuProbe(),
        onStart: async () => {
          throw new Error("the receipts service is down");
        },
      }),
    );
    expect(error.message).to.equal("the receipts service is down");
    expect(existsSync(at("ran"))).to.equal(false);
  });

  it("reports a failing command's exit code, and the outputs it did not leave", async () => {
    const end = await runJob({
      taskType: "fine-tuning",
      command: node("process.exit(3)"),
      outputs: [at("adapter.safetensors")],
      probe: await cpuProbe(),
      stdio: "ignore",
      onStart: async () => {},
    });
    expect(end).to.deep.include({ exitCode: 3, outputs: [], missingOutputs: [at("adapter.safetensors")] });
  });

  it("reports a command killed by a signal as 128 + the signal's number", async () => {
    const end = await runJob({
      taskType: "fine-tuning",
      command: node('process.kill(process.pid, "SIGKILL")'),
      probe: await cpuProbe(),
      onStart: async () => {},
    });
    expect(end).to.deep.include({ exitCode: 137, signal: "SIGKILL" });
  });

  it("samples the GPU while the command runs: mean utilisation and peak memory", async () => {
    // A stand-in nvidia-smi whose readings climb on each call: 60 %, 70 %, 80 %, … and 1000, 2000, … MiB.
    await writeFile(at("count"), "0");
    await writeFile(
      at("nvidia-smi"),
      `#!/bin/sh\nn=$(( $(cat "${at("count")}") + 1 )); echo $n > "${at("count")}"\necho "NVIDIA H100 80GB HBM3, $(( 50 + n * 10 > 100 ? 100 : 50 + n * 10 )), $(( n * 1000 )), 81559"\n`,
    );
    await chmod(at("nvidia-smi"), 0o755);
    const probe = await probeHardware(toolRunner({ env: { PATH: `${dir}:/bin:/usr/bin` } }));
    const end = await runJob({
      taskType: "llm-inference",
      command: node("setTimeout(() => {}, 400)"),
      probe,
      sampleIntervalMs: 50,
      stdio: "ignore",
      onStart: async (start) => {
        expect(start.accelerator.deviceClass).to.equal("H100");
      },
    });
    expect(end.samples).to.be.at.least(1);
    // Readings 2 … samples + 1 (the probe itself took reading 1).
    const readings = Array.from({ length: end.samples }, (_, i) => i + 2);
    const mean = readings.reduce((sum, n) => sum + Math.min(100, 50 + n * 10), 0) / readings.length;
    expect(end.gpuUtilization).to.equal(Math.round(mean));
    expect(end.memoryUsedMb).to.equal((end.samples + 1) * 1000);
  });

  it("refuses before recording anything: an unknown task type, no command, an input it cannot read", async () => {
    const cases = [
      { options: { taskType: "mining", command: ["true"] }, field: "taskType" },
      { options: { taskType: "llm-inference", command: [] }, field: "command" },
      { options: { taskType: "llm-inference", command: ["true"], inputs: [at("absent.txt")] }, field: "input" },
    ];
    for (const { options, field } of cases) {
      let started = false;
      const error = await rejection(
        runJob({
          ...options,
          probe: await cpuProbe(),
          onStart: async () => {
            started = true;
          },
        }),
      );
      expect(error).to.be.instanceOf(InvalidJobOptionError);
      expect((error as InvalidJobOptionError).field).to.equal(field);
      expect(started).to.equal(false);
    }
  });

  it("names a program that cannot be started, after the start was recorded", async () => {
    const error = await rejection(
      runJob({
        taskType: "llm-inference",
        command: [at("no-such-program")],
        probe: await cpuProbe(),
        onStart: async () => {},
      }),
    );
    expect(error).to.be.instanceOf(InvalidJobOptionError);
    expect(error.message).to.include("no-such-program").and.include("ENOENT");
  });

  it("keeps only the last stderrTailBytes of the command's stderr", async () => {
    const end = await runJob({
      taskType: "llm-inference",
      command: node("for (let i = 0; i < 2000; i++) process.stderr.write(String(i).padStart(5, '0') + '\\n')"),
      probe: await cpuProbe(),
      stdio: "ignore",
      stderrTailBytes: 12,
      onStart: async () => {},
    });
    expect(new TextDecoder().decode(end.stderrTail)).to.equal("01998\n01999\n");
  });
});

import { expect } from "chai";
import fc from "fast-check";
import { GPU_IDS, GPU_TYPES, TASK_TYPE_IDS, TASK_TYPES } from "../../src/jobs/catalog.ts";
import { InvalidJobOptionError } from "../../src/jobs/errors.ts";
import { FAILURES, planJob } from "../../src/jobs/plan.ts";
import { type SimulateJobParameters, simulateJob } from "../../src/jobs/simulator.ts";
import { decodePng, parseJson, parseSafetensors, walkBoxes } from "./formats.ts";

const SETTINGS = { seed: 20260112, numRuns: 120 };
const seeds = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });
const taskTypes = fc.constantFrom(...TASK_TYPE_IDS);
const gpus = fc.constantFrom(...GPU_IDS);
const BASE = { executor: "worker-1", timeScale: 0, now: () => 1_767_225_600_000 } as const;

/** A sleep that records what it was asked and returns at once: no test waits. */
function recordingSleep() {
  const calls: number[] = [];
  return { calls, sleep: async (ms: number) => void calls.push(ms) };
}

function expectOptionError(parameters: Partial<SimulateJobParameters>, field: string, problem: RegExp): void {
  expect(() => simulateJob({ seed: 1n, ...BASE, ...parameters } as SimulateJobParameters))
    .to.throw(InvalidJobOptionError, problem)
    .with.property("field", field);
}

describe("jobs: simulator", () => {
  describe("determinism", () => {
    it("gives identical facts and bytes for the same seed", async () => {
      for (const taskType of TASK_TYPE_IDS) {
        const [a, b] = [0, 1].map(() => simulateJob({ seed: 99n, taskType, ...BASE, failureRate: 0.5 }));
        expect(a?.submitted).to.deep.equal(b?.submitted);
        expect(await a?.complete()).to.deep.equal(await b?.complete());
      }
    });

    it("gives different job ids and output bytes for different seeds", () => {
      fc.assert(
        fc.property(seeds, seeds, taskTypes, (s1, s2, taskType) => {
          fc.pre(s1 !== s2);
          const [a, b] = [s1, s2].map((seed) => planJob({ seed, taskType, executor: "w", failureRate: 0 }));
          expect(a?.request.jobId).to.not.equal(b?.request.jobId);
          expect(a?.outcome.output?.sha256).to.not.deep.equal(b?.outcome.output?.sha256);
        }),
        { ...SETTINGS, numRuns: 40 },
      );
    });

    it("keeps a seed's job id and output bytes when the task type and GPU are named instead of drawn", () => {
      const drawn = planJob({ seed: 5n, executor: "w", failureRate: 0 });
      const named = planJob({
        seed: 5n,
        executor: "w",
        failureRate: 0,
        taskType: drawn.request.taskType.id,
        gpu: drawn.request.gpu.id,
      });
      expect(named).to.deep.equal(drawn);
    });

    it("draws every task type and GPU from seeds", () => {
      const plans = Array.from({ length: 200 }, (_, i) => planJob({ seed: i, executor: "w", failureRate: 0 }));
      expect(new Set(plans.map((p) => p.request.taskType.id))).to.have.property("size", TASK_TYPE_IDS.length);
      expect(new Set(plans.map((p) => p.request.gpu.id))).to.have.property("size", GPU_IDS.length);
    });
  });

  describe("ranges, for any seed, task type and GPU", () => {
    it("succeeds in the estimate ±20 % at 70–95 % utilisation within the GPU's memory, with a UUIDv4 id", () => {
      fc.assert(
        fc.property(seeds, taskTypes, gpus, (seed, taskType, gpu) => {
          const { request, outcome } = planJob({ seed, taskType, gpu, executor: "w", failureRate: 0 });
          const estimateMs = TASK_TYPES[taskType].estimateSeconds * 1000;
          expect(outcome.exitCode).to.equal(0);
          expect(outcome.durationMs).to.be.within(Math.floor(estimateMs * 0.8), Math.ceil(estimateMs * 1.2));
          expect(Number.isInteger(outcome.durationMs)).to.equal(true);
          expect(outcome.gpuUtilization).to.be.within(70, 95);
          expect(Number.isInteger(outcome.gpuUtilization)).to.equal(true);
          expect(outcome.memoryUsedGb).to.be.within(0.1, GPU_TYPES[gpu].memoryGb);
          expect(request.jobId).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
          expect(TASK_TYPES[taskType].models).to.include(request.modelId);
          expect(outcome.output?.mimeType).to.equal(TASK_TYPES[taskType].mimeType);
        }),
        SETTINGS,
      );
    });

    it("writes an output that parses as its format", () => {
      const parse = {
        "image-generation": decodePng,
        "llm-inference": parseJson,
        "fine-tuning": parseSafetensors,
        "video-upscaling": walkBoxes,
        "speech-to-text": parseJson,
      } as const;
      fc.assert(
        fc.property(seeds, taskTypes, (seed, taskType) => {
          const { outcome } = planJob({ seed, taskType, executor: "w", failureRate: 0 });
          expect(() => parse[taskType](outcome.output?.bytes as Uint8Array)).to.not.throw();
        }),
        { ...SETTINGS, numRuns: 60 },
      );
    });
  });

  describe("failures", () => {
    it("carry a non-zero exit code, no output and an error log, and stop within the estimate + 20 %", () => {
      fc.assert(
        fc.property(seeds, taskTypes, gpus, (seed, taskType, gpu) => {
          const { outcome } = planJob({ seed, taskType, gpu, executor: "w", failureRate: 1 });
          expect(FAILURES.map((f) => f.exitCode)).to.include(outcome.exitCode);
          expect(outcome.exitCode).to.not.equal(0);
          expect(outcome).to.not.have.property("output");
          expect(outcome.errorLog?.mimeType).to.equal("text/plain");
          expect(new TextDecoder().decode(outcome.errorLog?.bytes)).to.include(`exit code ${outcome.exitCode}`);
          expect(outcome.durationMs).to.be.within(0, TASK_TYPES[taskType].estimateSeconds * 1200);
          expect(outcome.memoryUsedGb).to.be.at.most(GPU_TYPES[gpu].memoryGb);
          if (outcome.exitCode === 137) expect(outcome.memoryUsedGb).to.equal(GPU_TYPES[gpu].memoryGb);
        }),
        SETTINGS,
      );
    });

    it("happen at about the failure rate, and never at rate 0", () => {
      const failed = (rate: number) =>
        Array.from({ length: 400 }, (_, seed) => planJob({ seed, executor: "w", failureRate: rate })).filter(
          (plan) => plan.outcome.exitCode !== 0,
        );
      expect(failed(0)).to.have.length(0);
      expect(failed(0.25).length).to.be.within(60, 140);
      expect(new Set(failed(1).map((plan) => plan.outcome.exitCode))).to.deep.equal(new Set([1, 124, 137]));
    });

    it("default to a 5 % failure rate", () => {
      const failures = Array.from({ length: 400 }, (_, seed) => planJob({ seed, executor: "w" })).filter(
        (plan) => plan.outcome.exitCode !== 0,
      );
      expect(failures.length).to.be.within(5, 40);
    });
  });

  describe("time scale", () => {
    it("sleeps durationMs × timeScale and reports the simulated duration, read at the clock's times", async () => {
      const { calls, sleep } = recordingSleep();
      let clock = 1_000_000;
      const job = simulateJob({
        seed: 3n,
        taskType: "fine-tuning",
        executor: "w",
        failureRate: 0,
        timeScale: 0.01,
        now: () => clock,
        sleep,
      });
      expect(job.submitted).to.include({ eventType: "JobSubmitted", submittedAt: 1_000_000 });
      expect(calls).to.deep.equal([]);
      clock += 3_000;
      const completed = await job.complete();
      const { outcome } = planJob({ seed: 3n, taskType: "fine-tuning", executor: "w", failureRate: 0 });
      expect(calls).to.deep.equal([Math.round(outcome.durationMs * 0.01)]);
      expect(job.waitMs).to.equal(calls[0]);
      expect(completed).to.include({
        eventType: "JobCompleted",
        jobId: job.submitted.jobId,
        durationMs: outcome.durationMs,
        completedAt: 1_003_000,
        timeScale: 0.01,
      });
      expect(await job.complete()).to.equal(completed);
      expect(calls).to.have.length(1);
    });

    it("does not sleep at time scale 0", async () => {
      const { calls, sleep } = recordingSleep();
      await simulateJob({ seed: 3n, ...BASE, sleep }).complete();
      expect(calls).to.deep.equal([]);
    });

    it("rejects complete() when its signal is aborted", async () => {
      const controller = new AbortController();
      controller.abort(new Error("worker stopping"));
      const job = simulateJob({ seed: 3n, ...BASE, signal: controller.signal });
      let error: unknown;
      await job.complete().catch((caught: unknown) => {
        error = caught;
      });
      expect((error as Error).message).to.equal("worker stopping");
    });
  });

  describe("invalid options", () => {
    it("are refused naming the option and the allowed values", () => {
      expectOptionError({ taskType: "image" }, "taskType", /one of "image-generation", "llm-inference", .*got "image"/);
      expectOptionError({ gpu: "A100 80GB" }, "gpu", /one of "A100", "H100", "RTX-4090", "MI300X", "TPU-v5e"/);
      expectOptionError({ executor: " " }, "executor", /non-empty string/);
      expectOptionError({ timeScale: -1 }, "timeScale", /≥ 0/);
      expectOptionError({ timeScale: Number.NaN }, "timeScale", /finite/);
      expectOptionError({ failureRate: 1.5 }, "failureRate", /from 0 to 1, got 1.5/);
      expectOptionError({ seed: -3 }, "seed", /between 0 and 2\^64 − 1/);
      expectOptionError({ now: () => 1.5 }, "now", /whole milliseconds/);
      expectOptionError({ sleep: 5 as unknown as () => Promise<void> }, "sleep", /function/);
    });
  });
});

/**
 * POST /api/jobs/simulate: the job simulator as a worker inside the service, for demos and the web app's
 * submission form. Off unless the service is given a time scale (POP_SERVE_SIMULATOR_TIME_SCALE): a
 * production service records its workers' jobs, it does not make up its own. A simulated job takes the
 * path a worker's requests take (submitJob now, completeJob after its scaled duration), and its packets
 * say `simulated`. A service stopped during the wait leaves the job submitted, as a worker that died would.
 */
import { randomBytes } from "node:crypto";
import { completeBodyOf, submitBodyOf } from "../drive.ts";
import { simulateJob } from "../simulator.ts";
import { completeJob, type EventDeps, submitJob } from "./events.ts";
import { CompleteBody, type Receipt, type SimulateBody, SubmitBody } from "./schemas.ts";

export interface SimulatorOptions {
  /** Real time per simulated time: 0.01 completes a 45 s image job in 0.45 s. */
  readonly timeScale: number;
}

export class JobSimulator {
  readonly #deps: EventDeps;
  readonly #options: SimulatorOptions;
  readonly #log: (error: unknown) => void;
  readonly #stop = new AbortController();
  readonly #running = new Set<Promise<void>>();

  constructor(deps: EventDeps, options: SimulatorOptions, log: (error: unknown) => void) {
    this.#deps = deps;
    this.#options = options;
    this.#log = log;
  }

  /** Records the job's JobSubmitted and answers its receipt; the JobCompleted follows after the wait. */
  async start(tenantId: string, body: SimulateBody): Promise<Receipt> {
    const job = simulateJob({
      seed: randomBytes(8).readBigUInt64BE(),
      taskType: body.taskType,
      ...(body.gpu === undefined ? {} : { gpu: body.gpu }),
      executor: body.executor,
      timeScale: this.#options.timeScale,
      now: this.#deps.now,
      signal: this.#stop.signal,
    });
    const receipt = await submitJob(this.#deps, tenantId, SubmitBody.parse(submitBodyOf(job.submitted)));
    const completion = job
      .complete()
      .then((outcome) => completeJob(this.#deps, tenantId, CompleteBody.parse(completeBodyOf(outcome))))
      .then(
        () => undefined,
        (error: unknown) => {
          if (!this.#stop.signal.aborted) this.#log(error);
        },
      );
    this.#running.add(completion);
    void completion.finally(() => this.#running.delete(completion));
    return receipt;
  }

  /** Stops the jobs still waiting (they stay submitted) and waits for those recording their completion. */
  async stop(): Promise<void> {
    this.#stop.abort(new Error("The receipts service stopped."));
    await Promise.all(this.#running);
  }
}

import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';
import { recordWorkflowSteps, type WorkflowStepWrite } from './transitions.js';

/** Steps written in one transaction at most (21 columns each: well within both stores' parameter limits). */
const MAX_STEPS_PER_TRANSACTION = 100;

interface Waiting {
  write: WorkflowStepWrite;
  resolve: (recorded: boolean) => void;
  reject: (error: unknown) => void;
}

/**
 * Records settled steps with group commit: a step is written at once when nothing is being
 * written, and the steps that settle while a transaction is in progress are written together in
 * the next one (recordWorkflowSteps). Each caller learns when its own step is committed, as it
 * did with a transaction of its own; with 1,000 runs in flight, a transaction per step was the
 * largest cost of a step (bench/workflow-runs). A transaction that fails is retried one step at
 * a time, so that one step's failure fails only that step.
 */
export class WorkflowStepRecorder {
  #waiting: Waiting[] = [];
  #writing = false;

  constructor(private readonly db: Kysely<Database>) {}

  /** Resolves once the step is committed (true) or dropped because its run is no longer live or it was recorded already (false). */
  record(write: WorkflowStepWrite): Promise<boolean> {
    const recorded = new Promise<boolean>((resolve, reject) => this.#waiting.push({ write, resolve, reject }));
    if (!this.#writing) {
      this.#writing = true;
      queueMicrotask(() => void this.#writeWaiting());
    }
    return recorded;
  }

  async #writeWaiting(): Promise<void> {
    while (this.#waiting.length > 0) {
      const batch = this.#waiting.splice(0, MAX_STEPS_PER_TRANSACTION);
      try {
        const recorded = await recordWorkflowSteps(this.db, batch.map((entry) => entry.write));
        batch.forEach((entry, index) => entry.resolve(recorded[index]!));
      } catch (error) {
        if (batch.length === 1) batch[0]!.reject(error);
        else for (const entry of batch) await recordWorkflowSteps(this.db, [entry.write]).then(([recorded]) => entry.resolve(recorded!), entry.reject);
      }
    }
    this.#writing = false;
  }
}

import type { RunPlan } from './plan.js';
import { RunScheduler, type HandlePayloads, type SchedulerEvent, type SchedulerStepStatus, type SchedulerUpdate } from './scheduler.js';

/** A step as the store holds it. `message` is the error of a step recorded as `error`. */
export interface RecordedStep {
  stepId: string;
  status: SchedulerStepStatus;
  handleOutputs: HandlePayloads;
  message?: string | null;
}

/** The status a step has once the store has written this event. */
const STATUS_AFTER: Record<SchedulerEvent['kind'], SchedulerStepStatus> = {
  created: 'pending',
  execute: 'running',
  skipped: 'skipped',
  loop_started: 'running',
  loop_completed: 'completed',
  failed: 'error',
  cancelled: 'cancelled',
};

function alreadyWritten(event: SchedulerEvent, recorded: RecordedStep | undefined): boolean {
  if (!recorded) return false;
  if (event.kind === 'created') return true;
  if (event.kind === 'loop_started') return recorded.status === 'running' || recorded.status === 'completed';
  return recorded.status === STATUS_AFTER[event.kind];
}

/**
 * A scheduler for a run that was interrupted (its worker died), rebuilt from the steps the store
 * recorded: the run is replayed, each executed step answered by its recorded outcome, and the
 * update holds only what the store does not have yet. A step recorded as running had no outcome:
 * it is handed out again. Replay is deterministic, so loops plan the same iterations and steps
 * get the same ids.
 */
export function resumeRun(plan: RunPlan, recordedSteps: readonly RecordedStep[]): { scheduler: RunScheduler; update: SchedulerUpdate } {
  const recorded = new Map(recordedSteps.map((step) => [step.stepId, step]));
  const scheduler = new RunScheduler(plan);
  const worklist = [...scheduler.start().events];
  const fresh: SchedulerEvent[] = [];
  for (let index = 0; index < worklist.length; index++) {
    const event = worklist[index]!;
    const step = recorded.get(event.step.stepId);
    if (event.kind === 'execute' && step?.status === 'completed') {
      worklist.push(...scheduler.complete(event.step.stepId, step.handleOutputs).events);
    } else if (event.kind === 'execute' && step?.status === 'error') {
      worklist.push(...scheduler.fail(event.step.stepId, step.message ?? 'The step failed.').events);
    } else if (event.kind === 'execute' && step?.status === 'running') {
      fresh.push(event);
    } else if (!alreadyWritten(event, step)) {
      fresh.push(event);
    }
  }
  // A step handed out before the replay reached a recorded failure was cancelled since.
  const events = fresh.filter((event) => event.kind !== 'execute' || scheduler.statusOf(event.step.stepId) === 'running');
  return { scheduler, update: { events, outcome: scheduler.outcome() } };
}

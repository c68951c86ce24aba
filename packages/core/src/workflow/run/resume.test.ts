import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { resumeRun, type RecordedStep } from './resume.js';
import type { SchedulerUpdate } from './scheduler.js';
import { block, defaultBehaviour, drive, edge, fn, mustPlan, statuses } from './test-support.js';

const plan = () =>
  mustPlan({
    blocks: [block('start', 'start_json'), block('loop', 'for_each', { map_source_path: 'data.items' }), fn('double', 'loop'), fn('after'), fn('side')],
    edges: [edge('start', 'loop'), edge('loop', 'double'), edge('loop', 'after'), edge('start', 'side')],
  });

/** The store's view after applying updates: each step's last status and outputs. */
function store(updates: SchedulerUpdate[], outcomes: Map<string, RecordedStep>): Map<string, RecordedStep> {
  const steps = new Map<string, RecordedStep>();
  const statusOf = { created: 'pending', execute: 'running', skipped: 'skipped', loop_started: 'running', loop_completed: 'completed', failed: 'error', cancelled: 'cancelled' } as const;
  for (const update of updates) {
    for (const event of update.events) {
      steps.set(event.step.stepId, { stepId: event.step.stepId, status: statusOf[event.kind], handleOutputs: event.kind === 'loop_completed' ? event.handleOutputs : {} });
      const outcome = outcomes.get(event.step.stepId);
      if (event.kind === 'execute' && outcome) steps.set(event.step.stepId, outcome);
    }
  }
  return steps;
}

describe('resumeRun', () => {
  test('a run cut short resumes where it stopped: finished steps stay finished, interrupted ones run again', () => {
    const runPlan = plan();
    const behaviour = defaultBehaviour(runPlan, { start: { items: [1, 2, 3] } });
    const full = drive(runPlan, behaviour);

    // The worker died after start, the loop's expansion and one iteration: the rest was running or pending.
    const finished = new Map<string, RecordedStep>(
      ['start', 'loop/0/double'].map((stepId) => [stepId, { stepId, status: 'completed', handleOutputs: full.steps.get(stepId)!.outputs! }]),
    );
    const upTo = full.updates.findIndex((update) => update.events.some((event) => event.kind === 'loop_started'));
    const recorded = store(full.updates.slice(0, upTo + 1), finished);
    assert.equal(recorded.get('loop/1/double')!.status, 'running');

    const { scheduler, update } = resumeRun(runPlan, [...recorded.values()]);
    const handedOut = update.events.filter((event) => event.kind === 'execute').map((event) => event.step.stepId).sort();
    assert.deepEqual(handedOut, ['loop/1/double', 'loop/2/double', 'side'], 'interrupted and never-started steps, not the finished ones');
    assert.equal(update.events.some((event) => event.kind === 'created' || event.kind === 'loop_started'), false, 'the store has those already');

    for (const stepId of handedOut) {
      const result = full.steps.get(stepId)!.outputs!;
      const next = scheduler.complete(stepId, result);
      for (const event of next.events) if (event.kind === 'execute') scheduler.complete(event.step.stepId, full.steps.get(event.step.stepId)!.outputs!);
    }
    assert.deepEqual(scheduler.outcome(), { status: 'completed' });
    assert.deepEqual(statuses(full.steps).after, 'completed');
  });

  test('a run whose failure was recorded resumes as failed, with nothing to execute', () => {
    const runPlan = plan();
    const recorded: RecordedStep[] = [
      { stepId: 'start', status: 'completed', handleOutputs: { 'output-json-0': { type: 'json', data: { items: [1] } } } },
      { stepId: 'side', status: 'error', handleOutputs: {}, message: 'boom' },
    ];
    const { update } = resumeRun(runPlan, recorded);
    assert.deepEqual(update.outcome, { status: 'error', failingStepId: 'side', message: 'boom' });
    assert.equal(update.events.some((event) => event.kind === 'execute'), false);
  });
});

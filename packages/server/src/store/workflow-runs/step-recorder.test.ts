import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Store } from '../database.js';
import { onEachStore } from '../../testing/run-state.js';
import { WorkflowStepRecorder } from './step-recorder.js';
import { cancelWorkflowRun, insertWorkflowRun, type WorkflowStepWrite } from './transitions.js';

const ORG = 'org_steps';
const NOW = '2026-12-03T00:00:00.000Z';

async function runningRun(store: Store, id: string): Promise<void> {
  await insertWorkflowRun(store.db, {
    id,
    organization_id: ORG,
    workflow_id: 'wf_1',
    version_id: 'ver_1',
    trigger: '{"type":"api"}',
    trigger_type: 'api',
    status: 'running',
    inputs: '{"documents":{},"json_data":{}}',
    metadata: null,
    cancel_reason: null,
    cancel_command_id: null,
    error: null,
    created_at: NOW,
    started_at: NOW,
    completed_at: null,
    attempts: 1,
  });
}

/** Step `stepId` of `runId`, with a function_invocation artifact of id `artifactId` (null: none). */
function stepWrite(runId: string, stepId: string, artifactId: string | null = `art_${runId}_${stepId}`): WorkflowStepWrite {
  return {
    step: {
      id: `row_${runId}_${stepId}_${Math.random().toString(36).slice(2)}`,
      organization_id: ORG,
      workflow_id: 'wf_1',
      run_id: runId,
      step_id: stepId,
      block_id: stepId,
      block_type: 'function',
      block_label: stepId,
      status: 'completed',
      lifecycle: '{"status":"completed"}',
      loop_containers: '[]',
      handle_inputs: '{}',
      handle_outputs: '{}',
      artifact_operation: artifactId ? 'function_invocation' : null,
      artifact_id: artifactId,
      model: null,
      retry_count: 0,
      created_at: NOW,
      started_at: NOW,
      completed_at: NOW,
    },
    artifact: artifactId
      ? { id: artifactId, organization_id: ORG, workflow_id: 'wf_1', run_id: runId, step_id: stepId, block_id: stepId, operation: 'function_invocation', body: '{}', created_at: NOW }
      : null,
  };
}

async function stepIdsOf(store: Store, runId: string): Promise<string[]> {
  return (await store.db.selectFrom('workflow_run_steps').select('step_id').where('run_id', '=', runId).orderBy('step_id').execute()).map((row) => row.step_id);
}

async function artifactIdsOf(store: Store, runId: string): Promise<string[]> {
  return (await store.db.selectFrom('workflow_artifacts').select('id').where('run_id', '=', runId).orderBy('id').execute()).map((row) => row.id);
}

onEachStore('recording workflow steps together', (store) => {
  test('steps settling at once are each recorded into their live run, with their artifacts; a cancelled run gets none, a step is recorded once', async () => {
    await runningRun(store(), 'wfrun_a');
    await runningRun(store(), 'wfrun_b');
    await runningRun(store(), 'wfrun_cancelled');
    await cancelWorkflowRun(store().db, ORG, 'wfrun_cancelled', { reason: null, commandId: null }, NOW);
    const recorder = new WorkflowStepRecorder(store().db);

    const writes = [
      ...Array.from({ length: 40 }, (_, n) => stepWrite('wfrun_a', `s${String(n).padStart(2, '0')}`)),
      stepWrite('wfrun_b', 'start', null),
      stepWrite('wfrun_b', 'total'),
      stepWrite('wfrun_cancelled', 'total'),
      stepWrite('wfrun_b', 'total', 'art_second_total'),
    ];
    const recorded = await Promise.all(writes.map((write) => recorder.record(write)));

    assert.deepEqual(recorded.slice(0, 42), Array(42).fill(true));
    assert.equal(recorded[42], false, 'nothing is recorded into a cancelled run');
    assert.equal(recorded[43], false, 'a step already recorded is not recorded again');
    assert.equal((await stepIdsOf(store(), 'wfrun_a')).length, 40);
    assert.deepEqual(await stepIdsOf(store(), 'wfrun_b'), ['start', 'total']);
    assert.deepEqual(await artifactIdsOf(store(), 'wfrun_b'), ['art_wfrun_b_total'], 'the dropped step left no artifact');
    assert.deepEqual(await stepIdsOf(store(), 'wfrun_cancelled'), []);
    assert.deepEqual(await artifactIdsOf(store(), 'wfrun_cancelled'), []);
  });

  test('a step whose write fails fails alone: the steps written in the same transaction are recorded', async () => {
    await runningRun(store(), 'wfrun_c');
    const recorder = new WorkflowStepRecorder(store().db);
    assert.equal(await recorder.record(stepWrite('wfrun_c', 'first', 'art_taken')), true);

    const writes = [stepWrite('wfrun_c', 'second'), stepWrite('wfrun_c', 'clashing', 'art_taken'), stepWrite('wfrun_c', 'third')];
    const outcomes = await Promise.allSettled(writes.map((write) => recorder.record(write)));

    assert.deepEqual(outcomes.map((outcome) => outcome.status), ['fulfilled', 'rejected', 'fulfilled']);
    assert.deepEqual(await stepIdsOf(store(), 'wfrun_c'), ['first', 'second', 'third']);
    assert.deepEqual(await artifactIdsOf(store(), 'wfrun_c'), ['art_taken', 'art_wfrun_c_second', 'art_wfrun_c_third']);
  });
});

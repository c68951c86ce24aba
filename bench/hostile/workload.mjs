// Workflows of function blocks and their tests, created through the API with an organization's key
// (so each tenant's data is made the way that tenant would make it), and waiting for runs.
import { sleep } from '../throughput/harness.mjs';
import { TimedOut } from './http.mjs';

const SETUP_TIMEOUT_MS = 30_000;
const TERMINAL = ['completed', 'error', 'cancelled'];

export const isFinished = (run) => TERMINAL.includes(run.lifecycle.status);

/** A test of a block: `data` frozen on `input-json-0`, one assertion on `output-json-0` (the whole output unless `path`). */
export function blockTest(condition, { data = {}, path = null } = {}) {
  return {
    source: { type: 'manual', handle_inputs: { 'input-json-0': { type: 'json', data } } },
    assertion: { target: { output_handle_id: 'output-json-0', path }, condition },
  };
}

/**
 * A workflow of JavaScript function blocks, each `{ code, timeoutSeconds, outputSchema, tests }`
 * with `tests` made by blockTest(); returns the workflow's id and its blocks' ids.
 */
export async function createWorkflow(call, name, blocks) {
  const workflow = await call('POST', '/v1/workflows', { name }, SETUP_TIMEOUT_MS);
  const blockIds = [];
  for (const [index, block] of blocks.entries()) {
    const config = { language: 'javascript', code: block.code, output_schema: block.outputSchema ?? {}, timeout_seconds: block.timeoutSeconds ?? 60 };
    const created = await call('POST', '/v1/workflows/blocks', { workflow_id: workflow.id, type: 'function', label: `block ${index}`, config }, SETUP_TIMEOUT_MS);
    blockIds.push(created.id);
    for (const test of block.tests) {
      await call('POST', '/v1/workflows/tests', { workflow_id: workflow.id, target: { type: 'block', block_id: created.id }, ...test }, SETUP_TIMEOUT_MS);
    }
  }
  return { workflowId: workflow.id, blockIds };
}

export async function startRun(call, workflowId, timeoutMs) {
  return call('POST', '/v1/workflows/tests/runs', { workflow_id: workflowId }, timeoutMs);
}

/**
 * Polls `GET run` every `everyMs` until it is finished or `timeoutMs` has passed since `startedAt`
 * (a performance.now() time); returns `{ run, seconds }` or `{ timedOut: true, seconds }`.
 * A poll that errs otherwise (refused, 5xx) ends the wait with that error.
 */
export async function waitForRun(call, runId, { startedAt = performance.now(), everyMs, timeoutMs }) {
  const deadline = startedAt + timeoutMs;
  const timedOut = () => ({ timedOut: true, seconds: (performance.now() - startedAt) / 1000 });
  for (;;) {
    const remaining = deadline - performance.now();
    if (remaining <= 0) return timedOut();
    let run;
    try {
      run = await call('GET', `/v1/workflows/tests/runs/${runId}`, undefined, remaining);
    } catch (error) {
      if (error instanceof TimedOut) return timedOut();
      throw error;
    }
    if (isFinished(run)) return { run, seconds: (performance.now() - startedAt) / 1000 };
    await sleep(Math.min(everyMs, Math.max(0, deadline - performance.now())));
  }
}

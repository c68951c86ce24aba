import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestApp, testStores, type TestApp } from '../../testing/harness.js';
import { createWorkflowGraph, functionConfig, waitForWorkflowRun } from '../../testing/workflow-graphs.js';

const BUSY_MS = 300;
const busyFunction = functionConfig(`function transform(input) { const end = Date.now() + ${BUSY_MS}; while (Date.now() < end) {} return { done: true }; }`);

for (const store of testStores()) {
  describe(`a function step's recorded duration (${store})`, () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp(store, { sandboxThreads: 1, concurrency: 4 });
    });
    after(() => app.close());

    test('is the function\'s own time, without the wait for a sandbox thread (as a test result records it)', async () => {
      // Two branches of 300 ms each on one sandbox thread: one waits ~300 ms for the other, so counted
      // with its wait it would record >= 600 ms; the margin is for a thread descheduled on a loaded machine.
      const { workflowId, ids } = await createWorkflowGraph(
        app,
        [
          { key: 'start', type: 'start_json' },
          { key: 'left', type: 'function', config: busyFunction },
          { key: 'right', type: 'function', config: busyFunction },
        ],
        [
          { from: 'start', to: 'left' },
          { from: 'start', to: 'right' },
        ],
      );
      const created = await app.request('POST', '/v1/workflows/runs', { workflow_id: workflowId, json_inputs: { [ids.start!]: {} } });
      assert.equal(created.status, 202, JSON.stringify(created.body));
      const run = await waitForWorkflowRun(app, created.body.id);
      assert.equal(run.lifecycle.status, 'completed', JSON.stringify(run.lifecycle));
      const artifacts = await app.request('GET', `/v1/workflows/artifacts?run_id=${run.id}`);
      const durations = artifacts.body.data.filter((artifact: any) => artifact.operation === 'function_invocation').map((artifact: any) => artifact.duration_ms);
      assert.equal(durations.length, 2);
      for (const duration of durations) assert.ok(duration >= BUSY_MS - 5, `each function ran ${BUSY_MS} ms: ${durations.join(', ')}`);
      // On one thread the two ran one after the other, inside the run's time: counting the wait, the
      // durations would add up to ~1.5 times it (300 + 600 in ~600 ms). A thread descheduled while a
      // function runs (nice 10, a loaded CI machine) lengthens that function and the run alike.
      const [first, second] = durations as [number, number];
      assert.ok(first + second <= run.timing.duration_ms + 20, `neither counts the other's ${BUSY_MS} ms as its own: ${first} + ${second} ms in a run of ${run.timing.duration_ms} ms`);
    });
  });
}

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startFakeModelServer, type FakeModelServer } from '../testing/fake-model-server.js';
import { asOrganization, otherOrganizationKey } from '../testing/fixtures.js';
import { startTestApp, testStores, type TestApp } from '../testing/harness.js';
import { createWorkflowGraph, waitForWorkflowRun } from '../testing/workflow-graphs.js';

/** start_json → extract reading JSON: each run waits on the (slow) model server, not on the CPU. */
function slowWorkflow(app: TestApp) {
  return createWorkflowGraph(
    app,
    [
      { key: 'start', type: 'start_json' },
      { key: 'read', type: 'extract', config: { inputs: [{ name: 'data', type: 'json' }], json_schema: { type: 'object' } } },
    ],
    [{ from: 'start', to: 'read', targetHandle: 'input-json-data' }],
  );
}

async function runsOf(app: TestApp, workflowId: string): Promise<any[]> {
  const response = await app.request('GET', `/v1/workflows/runs?workflow_id=${workflowId}&limit=100`);
  assert.equal(response.status, 200, JSON.stringify(response.body));
  return response.body.data;
}

for (const store of testStores()) {
  describe(`workflow runs executing at once in one process (${store})`, () => {
    let model: FakeModelServer;
    let app: TestApp;

    before(async () => {
      model = await startFakeModelServer({ chat: () => ({ content: '{"ok":true}', delayMs: 150 }) });
      app = await startTestApp(store, { maxRunningWorkflowRuns: 2 }, { VERDICT_MODEL_BASE_URL: model.baseURL, VERDICT_MODEL: 'fake-model' });
    });
    after(async () => {
      await app?.close();
      await model?.close();
    });

    test("runs beyond the cap wait pending, and another organization's run goes ahead of a tenant's line of 50", async () => {
      const a = await slowWorkflow(app);
      const tenantB = asOrganization(app, await otherOrganizationKey(app, 'admission-b'));
      const b = await slowWorkflow(tenantB);

      const aRunIds: string[] = [];
      for (let batch = 0; batch < 5; batch += 1) {
        const created = await Promise.all(
          Array.from({ length: 10 }, (_, i) => app.request('POST', '/v1/workflows/runs', { workflow_id: a.workflowId, json_inputs: { [a.ids.start!]: { i: batch * 10 + i } } })),
        );
        for (const response of created) {
          assert.equal(response.status, 202, JSON.stringify(response.body));
          aRunIds.push(response.body.id);
        }
      }
      const waiting = (await runsOf(app, a.workflowId)).filter((run) => run.lifecycle.status === 'pending');
      assert.ok(waiting.length > 0, 'runs beyond the cap wait pending');
      const bCreated = await tenantB.request('POST', '/v1/workflows/runs', { workflow_id: b.workflowId, json_inputs: { [b.ids.start!]: { tenant: 'b' } } });
      assert.equal(bCreated.status, 202, JSON.stringify(bCreated.body));

      const bRun = await waitForWorkflowRun(tenantB, bCreated.body.id);
      assert.equal(bRun.lifecycle.status, 'completed', JSON.stringify(bRun.lifecycle));
      // One poller at a time: fifty polling at once would compete with the runs for the store's connections.
      const aRuns = [];
      for (const id of aRunIds) aRuns.push(await waitForWorkflowRun(app, id, 60_000));
      for (const run of aRuns) assert.equal(run.lifecycle.status, 'completed', JSON.stringify(run.lifecycle));

      // Fair share: between B's creation and its start, at most the two of A's runs that held the places then began.
      const aheadOfB = aRuns.filter((run) => run.timing.started_at > bRun.timing.created_at && run.timing.started_at < bRun.timing.started_at).length;
      assert.ok(aheadOfB <= 2, `${aheadOfB} of A's runs started after B's run was created and before it started`);
      // The cap, from the recorded intervals: no instant had more than two runs executing.
      const intervals = [...aRuns, bRun].map((run) => [run.timing.started_at as string, run.timing.completed_at as string] as const);
      const mostAtOnce = Math.max(...intervals.map(([start]) => intervals.filter(([otherStart, otherEnd]) => otherStart <= start && start < otherEnd).length));
      assert.ok(mostAtOnce <= 2, `${mostAtOnce} runs executed at once with a cap of 2`);
    });
  });
}

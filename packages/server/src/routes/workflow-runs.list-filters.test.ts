import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestApp, testStores, type TestApp } from '../testing/harness.js';
import { createWorkflowGraph, functionConfig, waitForWorkflowRun } from '../testing/workflow-graphs.js';

const at = (seconds: number) => new Date(Date.UTC(2026, 0, 1) + seconds * 1000).toISOString();

/**
 * Four finished runs of one workflow whose timings are then set to known instants (the executor
 * cannot be told how long to take): created a < b < c < d, started c < b < a, completed c < a < b,
 * durations a 100 ms, b 20 s, c 5 s; d was cancelled before it started (no started_at, no duration).
 */
async function runsWithKnownTimings(app: TestApp) {
  const { workflowId, ids } = await createWorkflowGraph(
    app,
    [
      { key: 'start', type: 'start_json', config: { json_schema: { type: 'object' } } },
      { key: 'echo', type: 'function', config: functionConfig('function transform(input) { return input; }') },
    ],
    [{ from: 'start', to: 'echo' }],
  );
  const metadata = [{ customer: 'ACME-Corp' }, { customer: 'Globex' }, { customer: '50%_off' }, {}];
  const runIds: string[] = [];
  for (const runMetadata of metadata) {
    const created = await app.request('POST', '/v1/workflows/runs', { workflow_id: workflowId, json_inputs: { [ids.start!]: {} }, metadata: runMetadata });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    await waitForWorkflowRun(app, created.body.id);
    runIds.push(created.body.id);
  }
  const [a, b, c, d] = runIds as [string, string, string, string];
  const timings: [string, string, string | null, string | null, string][] = [
    [a, at(0), at(30), at(30.1), 'completed'],
    [b, at(1), at(20), at(40), 'completed'],
    [c, at(2), at(10), at(15), 'completed'],
    [d, at(3), null, null, 'cancelled'],
  ];
  const { db } = app.runtime.services.store;
  for (const [id, created_at, started_at, completed_at, status] of timings) {
    await db.updateTable('workflow_runs').set({ created_at, started_at, completed_at, status }).where('id', '=', id).execute();
  }
  await db.updateTable('workflows').set({ name: 'Invoice Router' }).where('id', '=', workflowId).execute();
  return { workflowId, a, b, c, d };
}

for (const store of testStores()) {
  describe(`GET /v1/workflows/runs filters and sort (${store})`, () => {
    let app: TestApp;
    let runs: Awaited<ReturnType<typeof runsWithKnownTimings>>;
    before(async () => {
      app = await startTestApp(store);
      runs = await runsWithKnownTimings(app);
    });
    after(() => app.close());

    async function listIds(query: string): Promise<string[]> {
      const response = await app.request('GET', `/v1/workflows/runs?workflow_id=${runs.workflowId}&${query}`);
      assert.equal(response.status, 200, JSON.stringify(response.body));
      return response.body.data.map((run: { id: string }) => run.id);
    }

    /** Every page of a list, one run a page, following `after` (and back again with `before`). */
    async function pageThrough(query: string): Promise<{ forward: string[]; backward: string[] }> {
      const forward: string[] = [];
      let cursor = '';
      let lastPage: any;
      for (let page = 0; page < 10; page++) {
        const response = await app.request('GET', `/v1/workflows/runs?workflow_id=${runs.workflowId}&${query}&limit=1${cursor}`);
        assert.equal(response.status, 200, JSON.stringify(response.body));
        forward.push(...response.body.data.map((run: { id: string }) => run.id));
        lastPage = response.body;
        if (!response.body.list_metadata.after) break;
        cursor = `&after=${response.body.list_metadata.after}`;
      }
      const backward: string[] = [];
      let before = lastPage.list_metadata.before;
      while (before) {
        const response = await app.request('GET', `/v1/workflows/runs?workflow_id=${runs.workflowId}&${query}&limit=1&before=${before}`);
        backward.unshift(...response.body.data.map((run: { id: string }) => run.id));
        before = response.body.list_metadata.before;
      }
      return { forward, backward };
    }

    test('min_duration_ms and max_duration_ms bound completed_at − started_at; a run without one matches neither', async () => {
      const { a, b, c } = runs;
      assert.deepEqual(await listIds('min_duration_ms=1000'), [c, b]);
      assert.deepEqual(await listIds('max_duration_ms=5000'), [c, a]);
      assert.deepEqual(await listIds('min_duration_ms=5000&max_duration_ms=5000'), [c]);
      assert.deepEqual(await listIds('min_duration_ms=0'), [c, b, a]);
      const listed = await app.request('GET', `/v1/workflows/runs?workflow_id=${runs.workflowId}&min_duration_ms=20000`);
      assert.equal(listed.body.data[0].timing.duration_ms, 20_000, 'the filter and the served duration agree');
    });

    test('sort_by started_at / timing.completed_at orders and paginates by that instant, runs without one at the start ascending', async () => {
      const { a, b, c, d } = runs;
      assert.deepEqual(await pageThrough('sort_by=timing.started_at&order=asc'), { forward: [d, c, b, a], backward: [d, c, b] });
      assert.deepEqual(await pageThrough('sort_by=started_at&order=desc'), { forward: [a, b, c, d], backward: [a, b, c] });
      assert.deepEqual(await pageThrough('sort_by=completed_at&order=asc'), { forward: [d, c, a, b], backward: [d, c, a] });
      assert.deepEqual(await pageThrough('sort_by=timing.created_at&order=asc'), { forward: [a, b, c, d], backward: [a, b, c] });
      assert.deepEqual(await listIds('sort_by=completed_at&order=desc&min_duration_ms=1000'), [b, c]);
    });

    test('search is a case-insensitive substring of the run id, a metadata value or the workflow name, its wildcards literal', async () => {
      const { a, b, c, d } = runs;
      assert.deepEqual(await listIds(`search=${b.slice(-8).toUpperCase()}`), [b]);
      assert.deepEqual(await listIds('search=acme-c'), [a]);
      assert.deepEqual(await listIds('search=customer'), [], 'metadata keys are not searched');
      assert.deepEqual(await listIds(`search=${encodeURIComponent('0%_o')}`), [c]);
      assert.deepEqual(await listIds(`search=${encodeURIComponent('%')}`), [c], '% is a literal character');
      assert.deepEqual(await listIds(`search=${encodeURIComponent('%_')}`), [c], '_ is a literal character (every run id has one)');
      assert.deepEqual(await listIds('search=invoice%20router'), [d, c, b, a]);
      assert.deepEqual(await listIds('search=no%20such%20thing'), []);
      assert.deepEqual(await listIds('search=router&metadata=' + encodeURIComponent('{"customer":"Globex"}')), [b]);
    });

    test('bad values are 422 naming the parameter', async () => {
      const cases: [string, string][] = [
        ['min_duration_ms=-1', 'querystring.min_duration_ms'],
        ['max_duration_ms=soon', 'querystring.max_duration_ms'],
        ['sort_by=updated_at', 'querystring.sort_by'],
        [`search=${'x'.repeat(201)}`, 'querystring.search'],
      ];
      for (const [query, path] of cases) {
        const response = await app.request('GET', `/v1/workflows/runs?${query}`);
        assert.equal(response.status, 422, query);
        assert.equal(response.body.detail.details.issues[0].path, path, query);
      }
    });
  });
}

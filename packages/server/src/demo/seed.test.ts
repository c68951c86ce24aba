import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { startTestApp, testStores, waitForRun, type TestApp } from '../testing/harness.js';
import { DEMO_FAILING_TESTS, DEMO_SLOW_TESTS, DEMO_TEST_COUNT, seedDemo } from './seed.js';

const README = new URL('../../../../README.md', import.meta.url);
const hasPython = spawnSync('python3', ['--version']).status === 0;

for (const store of testStores()) {
  describe(`the demo workflow (${store})`, () => {
    let server: TestApp;
    let organizationId: string;
    let workflowId: string;
    let blocks: any[];
    let run: any;
    let results: any[];

    before(async () => {
      server = await startTestApp(store);
      const db = server.runtime.services.store.db;
      ({ organization_id: organizationId } = await db.selectFrom('api_keys').select('organization_id').executeTakeFirstOrThrow());
      workflowId = (await seedDemo(server.runtime.services, organizationId))!;
      blocks = (await server.request('GET', `/v1/workflows/blocks?workflow_id=${workflowId}`)).body.data;
      // The batch tests do seconds of work each, many times that on a loaded machine.
      run = await waitForRun(server, (await server.request('POST', '/v1/workflows/tests/runs', { workflow_id: workflowId })).body.id, 180_000);
      results = (await server.request('GET', `/v1/workflows/tests/results?run_id=${run.id}&limit=100`)).body.data;
    });
    after(() => server.close());

    test('has a JavaScript block and a Python block written the Retab way, fed by one start_json block, and a slow batch block', async () => {
      const functions = blocks.filter((block) => block.type === 'function').map((block) => `${block.label}: ${block.config.language}`);
      assert.deepEqual(functions.sort(), ['Check totals (Python): python', 'Check totals: javascript', 'Reconcile a batch: javascript']);
      const python = blocks.find((block) => block.config?.language === 'python');
      assert.match(python.config.code, /^from models import Input, Output$/m);
      assert.match(python.config.code, /^def transform\(input_data: Input\) -> Output:$/m);
      const start = blocks.find((block) => block.label === 'Invoice JSON');
      assert.equal(start.config.json_schema.properties.line_items.type, 'array', 'Input is built from a real schema');
    });

    test(`runs ${DEMO_TEST_COUNT} tests: all pass but the one that fails on purpose`, () => {
      assert.equal(run.lifecycle.status, 'completed');
      assert.equal(results.length, DEMO_TEST_COUNT);
      const pythonBlock = blocks.find((block) => block.config?.language === 'python');
      const python = results.filter((result) => result.block_id === pythonBlock.id);
      assert.ok(python.length > 0);
      if (!hasPython) {
        // Without python3 the Python tests are blocked with a message that says what is missing, and nothing else changes.
        assert.ok(python.every((result) => result.verdict === 'blocked' && /python/i.test(result.error?.message ?? '')));
        assert.deepEqual(run.counts.outcome, { passed: DEMO_TEST_COUNT - DEMO_FAILING_TESTS - python.length, failed: DEMO_FAILING_TESTS, blocked: python.length });
        return;
      }
      assert.deepEqual(run.counts.outcome, { passed: DEMO_TEST_COUNT - DEMO_FAILING_TESTS, failed: DEMO_FAILING_TESTS, blocked: 0 }, JSON.stringify(results.filter((result) => result.verdict !== 'passed').map((result) => result.error ?? result.assertion_result?.failure)));
    });

    test(`its ${DEMO_SLOW_TESTS} batch tests pass after doing real work for a while each, so the run page stays live long enough to watch and cancel`, () => {
      const batchBlock = blocks.find((block) => block.label === 'Reconcile a batch');
      const slow = results.filter((result) => result.block_id === batchBlock.id);
      assert.equal(slow.length, DEMO_SLOW_TESTS);
      for (const result of slow) {
        assert.equal(result.verdict, 'passed', JSON.stringify(result.assertion_result?.failure ?? result.error));
        // A lower bound only: a slower machine makes them longer, never shorter.
        assert.ok(result.duration_ms >= 500, `a batch test ran for ${result.duration_ms} ms`);
      }
      assert.ok(run.timing.duration_ms >= 1000, `the run lasted ${run.timing.duration_ms} ms`);
    });

    test('README states the counts the demo gives', async () => {
      const readme = await readFile(README, 'utf8');
      assert.match(readme, new RegExp(`seeds a demo workflow with ${DEMO_TEST_COUNT} tests`));
      assert.match(readme, new RegExp(`${DEMO_TEST_COUNT - DEMO_FAILING_TESTS} of the demo's\\s+${DEMO_TEST_COUNT} tests\\s+pass`));
      assert.match(readme, new RegExp(`its ${['no', 'one', 'two', 'three', 'four', 'five'][DEMO_SLOW_TESTS]} tests take a second or two each`));
    });

    test('is seeded only into an empty store', async () => {
      assert.equal(await seedDemo(server.runtime.services, organizationId), null);
    });
  });
}

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { allResults, createFunctionWorkflow, createTests, sleep, startRun } from '../../testing/fixtures.js';
import { startTestApp, testStores, waitForRun, type TestApp } from '../../testing/harness.js';
import { CHECK_SCHEMA, childProcesses, INVOICE_SCHEMA, JAVASCRIPT_TWIN, RETAB_EXAMPLE, RETAB_SPECS, testProcesses, zygotePid } from './test-support.js';

async function verdictsOf(app: TestApp, code: string, language: 'javascript' | 'python') {
  const fixture = await createFunctionWorkflow(app, code, { language, inputSchema: INVOICE_SCHEMA, outputSchema: CHECK_SCHEMA });
  await createTests(app, fixture, RETAB_SPECS);
  const run = await waitForRun(app, (await startRun(app, fixture.workflowId)).id, 60_000);
  const rows = await allResults(app, run.id);
  return { run, rows: rows.map((row) => ({ name: row.test_name ?? row.name, verdict: row.verdict, output: row.outputs?.['output-json-0'] ?? null, row })) };
}

for (const store of testStores()) {
  describe(`Python function blocks, as Retab users write them (${store})`, () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp(store);
    });
    after(() => app.close());

    test("Retab's example in a start_json → function workflow gives the same verdicts and outputs as its JavaScript twin", async () => {
      const python = await verdictsOf(app, RETAB_EXAMPLE, 'python');
      const javascript = await verdictsOf(app, JAVASCRIPT_TWIN, 'javascript');
      assert.equal(python.run.lifecycle.status, 'completed');
      assert.deepEqual(
        python.rows.map(({ verdict, output }) => ({ verdict, output })),
        javascript.rows.map(({ verdict, output }) => ({ verdict, output })),
      );
      assert.deepEqual(python.run.counts.outcome, { passed: 9, failed: 1, blocked: 1 });
      const missing = python.rows.at(-1)!.row;
      assert.equal(missing.verdict, 'blocked');
      assert.equal(missing.error.context.reason, 'error');
    });

    test('what the code prints is in the result: execution_details.logs when it ran, error.context.logs when it failed', async () => {
      const code = 'import sys\ndef transform(input_data):\n    print("total of", input_data["n"])\n    print("x" * 20000, file=sys.stderr)\n    if input_data["n"] < 0:\n        raise ValueError("negative")\n    return {"n": input_data["n"]}\n';
      const fixture = await createFunctionWorkflow(app, code, { language: 'python' });
      await createTests(app, fixture, [
        { input: { n: 1 }, condition: { kind: 'exists' } },
        { input: { n: -1 }, condition: { kind: 'exists' } },
      ]);
      const run = await waitForRun(app, (await startRun(app, fixture.workflowId)).id, 60_000);
      const [ran, failed] = await allResults(app, run.id);
      assert.equal(ran.verdict, 'passed');
      for (const logs of [ran.execution_details.logs, failed.error.context.logs]) {
        assert.match(logs, /^total of -?1\nxxx/);
        assert.ok(logs.length < 17_000, `logs are bounded: ${logs.length} characters`);
        assert.match(logs, /more characters not kept\]$/);
      }
      assert.equal(failed.verdict, 'blocked');
      assert.match(failed.error.message, /ValueError: negative/);
    });
  });
}

describe('Python through the API: lazy start, cancel, and a server without Python', () => {
  test('a JavaScript-only run starts no Python; a cancel stops a running while True within 50 ms', async () => {
    const app = await startTestApp('sqlite');
    try {
      const javascript = await createFunctionWorkflow(app, JAVASCRIPT_TWIN, { inputSchema: INVOICE_SCHEMA });
      await createTests(app, javascript, RETAB_SPECS.slice(0, 3));
      await waitForRun(app, (await startRun(app, javascript.workflowId)).id);
      assert.equal(zygotePid(), undefined, 'JavaScript tests started a zygote');

      const spinning = await createFunctionWorkflow(app, 'def transform(input_data):\n    while True:\n        pass\n', { language: 'python', timeoutSeconds: 300 });
      await createTests(app, spinning, [{ input: {}, condition: { kind: 'exists' } }]);
      const run = await startRun(app, spinning.workflowId);
      const deadline = Date.now() + 20_000;
      let running: { template: number; child: number } | undefined;
      while (running === undefined && Date.now() < deadline) {
        const zygote = zygotePid();
        running = zygote === undefined ? undefined : testProcesses(zygote)[0];
        await sleep(5);
      }
      assert.ok(running, 'the Python test runs');
      const { template, child } = running;
      const sent = performance.now();
      const cancel = await app.request('POST', `/v1/workflows/tests/runs/${run.id}/cancel`);
      const answeredMs = performance.now() - sent;
      assert.equal(cancel.status, 200);
      while (childProcesses(template).includes(child) && performance.now() - sent < 5000) await sleep(1);
      const stoppedMs = performance.now() - sent;
      console.log(`# cancel through the API: answered in ${answeredMs.toFixed(1)} ms, the Python child gone ${stoppedMs.toFixed(1)} ms after the request`);
      assert.ok(stoppedMs < 250, `the child ran on for ${stoppedMs} ms after the cancel`);
    } finally {
      await app.close();
    }
  });

  test('VERDICT_PYTHON names a missing interpreter: Python tests are blocked saying so, JavaScript tests of the same run pass', async () => {
    const app = await startTestApp('sqlite', {}, { VERDICT_PYTHON: '/nonexistent/bin/python3' });
    try {
      const workflow = (await app.request('POST', '/v1/workflows', { name: 'mixed' })).body;
      const block = async (language: string, code: string) =>
        (await app.request('POST', '/v1/workflows/blocks', { workflow_id: workflow.id, type: 'function', label: language, config: { language, code, output_schema: {} } })).body.id;
      const pythonBlock = await block('python', RETAB_EXAMPLE);
      const javascriptBlock = await block('javascript', JAVASCRIPT_TWIN);
      await createTests(app, { workflowId: workflow.id, blockId: pythonBlock }, RETAB_SPECS.slice(0, 2));
      await createTests(app, { workflowId: workflow.id, blockId: javascriptBlock }, RETAB_SPECS.slice(0, 2));
      const run = await waitForRun(app, (await startRun(app, workflow.id)).id);
      assert.equal(run.lifecycle.status, 'completed');
      const rows = await allResults(app, run.id);
      const byBlock = (id: string) => rows.filter((row) => (row.target?.block_id ?? row.block_id) === id);
      assert.deepEqual(byBlock(javascriptBlock).map((row) => row.verdict), ['passed', 'passed']);
      for (const row of byBlock(pythonBlock)) {
        assert.equal(row.verdict, 'blocked');
        assert.equal(row.error.context.reason, 'unavailable');
        assert.match(row.error.message, /VERDICT_PYTHON=\/nonexistent\/bin\/python3: no such interpreter/);
      }
      assert.equal(byBlock(pythonBlock).length, 2);
    } finally {
      await app.close();
    }
  });
});

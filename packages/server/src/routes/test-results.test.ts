import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { allResults, createFunctionWorkflow, createTests, startRun } from '../testing/fixtures.js';
import { startTestApp, testStores, waitForRun, type TestApp } from '../testing/harness.js';
import { LIST_FIELD_BUDGET_BYTES, PREVIEW_CHARACTERS } from '../store/results.js';

const CODE = 'function transform(input) { return input.size ? { n: input.n, rows: "x".repeat(input.size) } : { n: input.n }; }';
const STORED_BYTES = 3 * 1024 * 1024;

for (const store of testStores()) {
  describe(`results lists carry bounded bytes; the single read is whole (${store})`, () => {
    let app: TestApp;
    let runId: string;
    let rows: any[];
    let storedOutput: { n: number; rows: string };
    before(async () => {
      app = await startTestApp(store);
      const fixture = await createFunctionWorkflow(app, CODE);
      await createTests(app, fixture, [
        { name: 'small', input: { n: 1 }, path: 'n', condition: { kind: 'equals', expected: 1 } },
        { name: 'long output, whole value compared', input: { n: 2, size: 200_000 }, condition: { kind: 'equals', expected: { n: 2 } } },
        { name: 'three megabytes stored', input: { n: 3 }, condition: { kind: 'equals', expected: { n: 3, rows: 'y' } } },
      ]);
      runId = (await startRun(app, fixture.workflowId)).id;
      await waitForRun(app, runId);
      rows = await allResults(app, runId);
      // A 3 MB output written straight into the store, as outputs were before the sandbox capped them.
      const third = rows[2];
      storedOutput = { n: 3, rows: 'z'.repeat(STORED_BYTES) };
      const assertionResult = { ...third.assertion_result, actual_value: storedOutput };
      await sql`update test_results set outputs = ${JSON.stringify({ 'output-json-0': storedOutput })}, assertion_result = ${JSON.stringify(assertionResult)} where id = ${third.id}`.execute(app.runtime.services.store.db);
    });
    after(() => app.close());

    test('a list answer stays small: long outputs and actual values are previews, flagged; everything else is whole', async () => {
      const response = await app.app.inject({ method: 'GET', url: `/v1/workflows/tests/results?run_id=${runId}&order=asc`, headers: { 'api-key': app.apiKey } });
      assert.equal(response.statusCode, 200);
      assert.ok(response.body.length < LIST_FIELD_BUDGET_BYTES, `${response.body.length} bytes`);
      const [small, long, stored] = response.json().data;

      assert.equal(small.outputs_truncated, false);
      assert.deepEqual(small.truncated_fields, []);
      assert.deepEqual(small.outputs, { 'output-json-0': { n: 1 } });

      for (const [row, letter] of [[long, 'x'], [stored, 'z']] as const) {
        assert.equal(row.outputs_truncated, true);
        assert.deepEqual(row.truncated_fields, ['outputs.output-json-0', 'assertion_result.actual_value']);
        const preview = row.outputs['output-json-0'];
        assert.equal(typeof preview, 'string', 'outputs stays a map of handle → value, as the SDK models it');
        assert.ok(preview.startsWith(`{"n":${row === long ? 2 : 3},"rows":"${letter}${letter}`) && preview.endsWith('…'), preview.slice(0, 40));
        assert.equal(preview.length, PREVIEW_CHARACTERS + 1);
        assert.deepEqual(row.handle_outputs, { 'output-json-0': { type: 'json', data: preview } }, 'the typed outputs carry the same preview');
        assert.equal(row.assertion_result.actual_value, preview);
        assert.equal(row.assertion_result.outcome, 'failed', 'the members around the cut one are whole');
        assert.equal(row.assertion_result.failure.code, 'condition_not_met');
        assert.deepEqual(row.assertion_result.expected_value, row === long ? { n: 2 } : { n: 3, rows: 'y' });
        assert.equal(row.verdict, 'failed');
      }
    });

    test('the single-result read returns the whole value, unflagged', async () => {
      const response = await app.request('GET', `/v1/workflows/tests/results/${rows[2].id}`);
      assert.equal(response.status, 200);
      assert.deepEqual(response.body.outputs, { 'output-json-0': storedOutput });
      assert.deepEqual(response.body.assertion_result.actual_value, storedOutput);
      assert.equal(response.body.outputs_truncated, false);
      assert.deepEqual(response.body.truncated_fields, []);
      const long = await app.request('GET', `/v1/workflows/tests/results/${rows[1].id}`);
      assert.equal(long.body.outputs['output-json-0'].rows.length, 200_000);
    });
  });
}

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { countsViolation, MAX_JSON_DEPTH } from '@verdict/core';
import { allResults, createFunctionWorkflow, createTests, startRun, whileAnotherTenantReads, type TestSpec } from '../testing/fixtures.js';
import { startTestApp, testStores, waitForRun, type TestApp } from '../testing/harness.js';

/** `{ doubled }` for ordinary inputs; an array nested `input.depth` deep, or a string of `input.bytes` characters, on request. */
const HOSTILE = `function transform(input) {
  if (input.depth) { let value = 1; for (let i = 0; i < input.depth; i++) value = [value]; return value; }
  if (input.bytes) return { s: 'x'.repeat(input.bytes - 8) };
  if (input.objects) return Array.from({ length: input.objects }, (_, i) => ({ a: 1, b: 2, c: 3, i }));
  if (input.strings) return Array(input.strings).fill('a');
  return { doubled: input.n * 2 };
}`;

const doubles = (count: number): TestSpec[] => Array.from({ length: count }, (_, n) => ({ input: { n }, path: 'doubled', condition: { kind: 'equals', expected: n * 2 } }));
const exists = (input: unknown): TestSpec => ({ input, condition: { kind: 'exists' } });

/** Polls another organization's GET every 20 ms while `work` runs; the slowest answer tells whether the event loop was held. */
async function runOf(app: TestApp, specs: TestSpec[], options: { outputSchema?: Record<string, unknown> } = {}) {
  const fixture = await createFunctionWorkflow(app, HOSTILE, options);
  await createTests(app, fixture, specs);
  const run = await waitForRun(app, (await startRun(app, fixture.workflowId)).id, 60_000);
  return { run, rows: await allResults(app, run.id) };
}

for (const store of testStores()) {
  describe(`hostile outputs stay with their test (${store})`, () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp(store);
    });
    after(() => app.close());

    test('a transform returning an array nested 6,000 deep blocks that test only: the other 400 pass and the run completes', async () => {
      const specs = doubles(400);
      specs.splice(150, 0, exists({ depth: 6000 }));
      const { run, rows } = await runOf(app, specs);
      assert.equal(run.lifecycle.status, 'completed');
      assert.deepEqual(run.counts.outcome, { passed: 400, failed: 0, blocked: 1 });
      assert.equal(countsViolation(run.counts, run.total_tests), null);
      const poisoned = rows[150];
      assert.equal(poisoned.verdict, 'blocked');
      assert.equal(poisoned.assertion_result.failure.code, 'block_execution_failed');
      assert.match(poisoned.error.message, new RegExp(`nested more than ${MAX_JSON_DEPTH} levels deep`));
      assert.equal(poisoned.outputs, null);
    });

    test('an output over the default 4 MiB is blocked with its size and the limit; the next GET is unaffected', async () => {
      const { result, slowestGetMs } = await whileAnotherTenantReads(app, () => runOf(app, [exists({ bytes: 6_000_000 }), ...doubles(3)]));
      const [huge] = result.rows;
      assert.equal(huge.verdict, 'blocked');
      assert.equal(
        huge.error.message,
        "transform returned 6,000,000 bytes (5.7 MiB) of JSON; a block's output may be at most 4,194,304 bytes (4.0 MiB) (VERDICT_MAX_OUTPUT_BYTES)",
      );
      assert.equal(huge.error.context.reason, 'output_too_large');
      assert.equal(result.run.counts.outcome.passed, 3);
      assert.ok(slowestGetMs < 500, `another organization's GET took ${slowestGetMs} ms`);
    });
  });

  describe(`VERDICT_MAX_OUTPUT_BYTES (${store})`, () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp(store, { maxOutputBytes: 2000 });
    });
    after(() => app.close());

    test('an output of exactly the limit passes, one byte more is blocked naming both sizes', async () => {
      const { rows } = await runOf(app, [exists({ bytes: 2000 }), exists({ bytes: 2001 })]);
      assert.equal(rows[0].verdict, 'passed');
      assert.equal(rows[0].outputs['output-json-0'].s.length, 1992);
      assert.equal(rows[1].verdict, 'blocked');
      assert.equal(rows[1].assertion_result.failure.code, 'block_execution_failed');
      assert.match(rows[1].error.message, /^transform returned 2,001 bytes \(2\.0 KiB\) of JSON; a block's output may be at most 2,000 bytes \(2\.0 KiB\)/);
      assert.deepEqual(rows[1].error.context, { reason: 'output_too_large', output_bytes: 2001, limit_bytes: 2000 });
    });
  });

  describe(`VERDICT_CHECK_TIMEOUT_MS (${store})`, () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp(store, { checkTimeoutMs: 1000 });
    });
    after(() => app.close());

    test('uniqueItems over 20,000 objects in output_schema is stopped at the deadline, and the test blocked saying so', async () => {
      const { result, slowestGetMs } = await whileAnotherTenantReads(app, () =>
        runOf(app, [exists({ objects: 20_000 }), exists({ objects: 3 })], { outputSchema: { type: 'array', uniqueItems: true } }),
      );
      const [slow, quick] = result.rows;
      assert.equal(slow.verdict, 'blocked');
      assert.equal(slow.assertion_result.failure.code, 'block_execution_failed');
      assert.equal(slow.error.message, 'checking the output against its JSON Schema took longer than the 1000 ms check deadline (VERDICT_CHECK_TIMEOUT_MS), and was stopped');
      assert.equal(quick.verdict, 'passed', JSON.stringify(quick.error));
      assert.ok(slowestGetMs < 500, `another organization's GET took ${slowestGetMs} ms`);
    });

    test('slow assertions (uniqueItems over 20,000 objects, a 20,000-object enum) are stopped, their tests blocked saying so', async () => {
      const bigEnum = Array.from({ length: 20_000 }, (_, i) => ({ a: 1, b: 2, c: 3, i: -i }));
      const specs: TestSpec[] = [
        { input: { objects: 20_000 }, condition: { kind: 'json_schema_valid', schema: { type: 'array', uniqueItems: true } } },
        { input: { objects: 5000 }, condition: { kind: 'json_schema_valid', schema: { type: 'array', items: { enum: bigEnum } } } },
        { input: { n: 1 }, path: 'doubled', condition: { kind: 'equals', expected: 2 } },
      ];
      const { result, slowestGetMs } = await whileAnotherTenantReads(app, () => runOf(app, specs));
      for (const row of result.rows.slice(0, 2)) {
        assert.equal(row.verdict, 'blocked');
        assert.equal(row.assertion_result.failure.code, 'execution_error');
        assert.equal(row.assertion_result.failure.message, 'evaluating the assertion took longer than the 1000 ms check deadline (VERDICT_CHECK_TIMEOUT_MS), and was stopped');
      }
      assert.equal(result.rows[2].verdict, 'passed');
      assert.ok(slowestGetMs < 500, `another organization's GET took ${slowestGetMs} ms`);
    });

    test('all_items_match over 1,000,000 strings is stopped at a short deadline', async () => {
      const short = await startTestApp(store, { checkTimeoutMs: 200 });
      try {
        const spec: TestSpec = { input: { strings: 1_000_000 }, condition: { kind: 'all_items_match', condition: { kind: 'matches_regex', pattern: '^a$' } } };
        const { result, slowestGetMs } = await whileAnotherTenantReads(short, () => runOf(short, [spec]));
        const [row] = result.rows;
        assert.equal(row.verdict, 'blocked');
        assert.equal(row.assertion_result.failure.message, 'evaluating the assertion took longer than the 200 ms check deadline (VERDICT_CHECK_TIMEOUT_MS), and was stopped');
        assert.ok(slowestGetMs < 500, `another organization's GET took ${slowestGetMs} ms`);
      } finally {
        await short.close();
      }
    });
  });
}

describe('a slow assertion within its deadline passes off the main thread', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp('sqlite', { checkTimeoutMs: 120_000 });
  });
  after(() => app.close());

  test('all_items_match over 300,000 strings passes while another organization reads at full speed', async () => {
    const spec: TestSpec = { input: { strings: 300_000 }, condition: { kind: 'all_items_match', condition: { kind: 'matches_regex', pattern: '^a$' } } };
    const { result, slowestGetMs } = await whileAnotherTenantReads(app, () => runOf(app, [spec]));
    assert.equal(result.rows[0].verdict, 'passed', JSON.stringify(result.rows[0].error));
    assert.ok(slowestGetMs < 500, `another organization's GET took ${slowestGetMs} ms`);
  });
});

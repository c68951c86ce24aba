import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { countsViolation } from '@verdict/core';
import { sleep } from '../testing/fixtures.js';
import { freshPostgresDatabase, testStores } from '../testing/harness.js';
import { freePort, jsonClient, spawnVerdict } from '../testing/processes.js';

const API_KEY = 'vk_restart_test_0123456789abcdef';
const WORK_20MS = 'function transform(input) { const end = Date.now() + 20; while (Date.now() < end) {} return { doubled: input.n * 2 }; }';
const TESTS = 120;

/**
 * The embedded executor after a crash: a server killed with SIGKILL mid-run leaves rows pending,
 * running or finished-but-unwritten; the next server on the same store picks the run up and every
 * test gets exactly one result.
 */
for (const kind of testStores()) {
  describe(`restart pick-up of an unfinished run (${kind})`, () => {
    test('a server killed mid-run: the next one on the same store finishes the run, every test once', async () => {
      const dataDir = await mkdtemp(join(tmpdir(), 'verdict-restart-'));
      const database = kind === 'postgres' ? await freshPostgresDatabase() : null;
      const port = await freePort();
      const env = {
        ...process.env,
        VERDICT_API_KEY: API_KEY,
        VERDICT_DATA_DIR: dataDir,
        VERDICT_SANDBOX_THREADS: '2',
        ...(database ? { VERDICT_DATABASE_URL: database.url } : {}),
      };
      const serve = () => spawnVerdict(['serve', '--no-demo', '--port', String(port)], env);
      const call = jsonClient(`http://127.0.0.1:${port}`, API_KEY);
      let server = serve();
      try {
        await server.line(/Verdict is serving/);
        const workflow = await call('POST', '/v1/workflows', { name: 'restart' });
        const block = await call('POST', '/v1/workflows/blocks', { workflow_id: workflow.id, type: 'function', config: { language: 'javascript', code: WORK_20MS, output_schema: {} } });
        for (let first = 0; first < TESTS; first += 20) {
          await Promise.all(
            Array.from({ length: 20 }, (_, index) =>
              call('POST', '/v1/workflows/tests', {
                workflow_id: workflow.id,
                target: { type: 'block', block_id: block.id },
                source: { type: 'manual', handle_inputs: { 'input-json-0': { type: 'json', data: { n: first + index } } } },
                assertion: { target: { output_handle_id: 'output-json-0', path: 'doubled' }, condition: { kind: 'equals', expected: (first + index) * 2 } },
              }),
            ),
          );
        }
        const run = await call('POST', '/v1/workflows/tests/runs', { workflow_id: workflow.id });
        for (let seen = 0; seen < 10; await sleep(10)) seen = (await call('GET', `/v1/workflows/tests/runs/${run.id}`)).counts.lifecycle_counts.completed;
        await server.kill();

        const left = await (async () => {
          server = serve();
          await server.line(/Verdict is serving/);
          return call('GET', `/v1/workflows/tests/runs/${run.id}`);
        })();
        assert.ok(left.counts.lifecycle_counts.completed < TESTS, 'the kill came before the run finished');

        let final = left;
        for (const deadline = Date.now() + 30_000; !['completed', 'error', 'cancelled'].includes(final.lifecycle.status); await sleep(50)) {
          assert.ok(Date.now() < deadline, `run still ${final.lifecycle.status}: ${JSON.stringify(final.counts)}`);
          final = await call('GET', `/v1/workflows/tests/runs/${run.id}`);
        }
        assert.equal(final.lifecycle.status, 'completed');
        assert.equal(countsViolation(final.counts, final.total_tests), null);
        assert.equal(final.counts.lifecycle_counts.completed, TESTS);
        assert.equal(final.counts.outcome.passed, TESTS);

        const rows: any[] = [];
        for (let after: string | null = null; ; ) {
          const page: any = await call('GET', `/v1/workflows/tests/results?run_id=${run.id}&limit=100&order=asc${after ? `&after=${after}` : ''}`);
          rows.push(...page.data);
          if (!(after = page.list_metadata.after)) break;
        }
        assert.equal(rows.length, TESTS);
        assert.equal(new Set(rows.map((row) => row.test_id)).size, TESTS, 'one row per test');
        assert.ok(rows.every((row) => row.lifecycle.status === 'completed' && row.verdict === 'passed'));
      } finally {
        await server.kill();
        await database?.drop();
        await rm(dataDir, { recursive: true, force: true });
      }
    });
  });
}

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { sleep } from '../../testing/fixtures.js';
import { freshPostgresDatabase, testStores } from '../../testing/harness.js';
import { freePort, jsonClient, spawnVerdict } from '../../testing/processes.js';
import { functionConfig } from '../../testing/workflow-graphs.js';

const API_KEY = 'vk_wfrun_restart_0123456789abcdef';

/**
 * A server killed with SIGKILL in the middle of a workflow run: the next server on the same store
 * resumes the run. The steps recorded before the kill are kept, and their recorded outputs (not
 * a second execution's) feed the rest: the first step's output carries its own clock.
 */
for (const kind of testStores()) {
  describe(`a workflow run resumes after kill -9 (${kind})`, () => {
    test('the steps recorded before the kill are kept and feed the rest; every step is recorded once', async () => {
      const dataDir = await mkdtemp(join(tmpdir(), 'verdict-wfrun-restart-'));
      const database = kind === 'postgres' ? await freshPostgresDatabase() : null;
      const port = await freePort();
      const env = { ...process.env, VERDICT_API_KEY: API_KEY, VERDICT_DATA_DIR: dataDir, VERDICT_SANDBOX_THREADS: '2', ...(database ? { VERDICT_DATABASE_URL: database.url } : {}) };
      const serve = () => spawnVerdict(['serve', '--no-demo', '--port', String(port)], env);
      const call = jsonClient(`http://127.0.0.1:${port}`, API_KEY);
      let server = serve();
      try {
        await server.line(/Verdict is serving/);
        const workflow = await call('POST', '/v1/workflows', { name: 'resume' });
        const block = async (type: string, config: object) => (await call('POST', '/v1/workflows/blocks', { workflow_id: workflow.id, type, config })).id as string;
        const start = await block('start_json', {});
        const stamp = await block('function', functionConfig('function transform(input) { return { stamped: Date.now() }; }'));
        const slow = await block('function', functionConfig('function transform(input) { const end = Date.now() + 1500; while (Date.now() < end) {} return { seen: input.stamped }; }'));
        for (const [source, target] of [[start, stamp], [stamp, slow]]) await call('POST', '/v1/workflows/edges', { workflow_id: workflow.id, source_block: source, target_block: target });

        const run = await call('POST', '/v1/workflows/runs', { workflow_id: workflow.id, json_inputs: { [start]: {} } });
        const stepsOf = async () => (await call('GET', `/v1/workflows/steps?run_id=${run.id}&order=asc&limit=100`)).data as any[];
        let before: any[] = [];
        for (const deadline = Date.now() + 20_000; !before.some((step) => step.block_id === stamp); await sleep(10)) {
          assert.ok(Date.now() < deadline, 'the first function step was never recorded');
          before = await stepsOf();
        }
        await server.kill();

        server = serve();
        await server.line(/Verdict is serving/);
        let final = await call('GET', `/v1/workflows/runs/${run.id}`);
        assert.ok(!['completed', 'error'].includes(final.lifecycle.status) || (await stepsOf()).length > before.length, 'the kill came before the run finished');
        for (const deadline = Date.now() + 30_000; !['completed', 'error', 'cancelled'].includes(final.lifecycle.status); await sleep(50)) {
          assert.ok(Date.now() < deadline, `run still ${final.lifecycle.status}`);
          final = await call('GET', `/v1/workflows/runs/${run.id}`);
        }
        assert.equal(final.lifecycle.status, 'completed', JSON.stringify(final.lifecycle));
        const steps = await stepsOf();
        assert.deepEqual(steps.map((step) => step.block_id).sort(), [start, stamp, slow].sort(), 'each step once');
        const stamped = steps.find((step) => step.block_id === stamp);
        assert.deepEqual(stamped, before.find((step) => step.block_id === stamp), 'the recorded step is kept as it was');
        assert.deepEqual(steps.find((step) => step.block_id === slow).handle_outputs['output-json-0'].data, { seen: stamped.handle_outputs['output-json-0'].data.stamped });
      } finally {
        await server.kill();
        await database?.drop();
        await rm(dataDir, { recursive: true, force: true });
      }
    });
  });
}

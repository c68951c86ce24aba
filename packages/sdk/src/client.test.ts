import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { Verdict } from './client.js';
import { VerdictError } from './errors.js';
import { startFakeServer } from './test-server.js';

describe('Verdict client configuration', () => {
  const savedEnv = { ...process.env };
  after(() => {
    process.env = savedEnv;
  });

  const withEnv = (vars: Record<string, string | undefined>) => {
    for (const name of ['VERDICT_API_KEY', 'VERDICT_BASE_URL', 'RETAB_API_KEY', 'RETAB_API_BASE_URL']) delete process.env[name];
    Object.assign(process.env, vars);
  };

  test('sends the key both as Api-Key and as a bearer token', async () => {
    const server = await startFakeServer(() => ({ json: { id: 'wf_1' } }));
    try {
      const client = new Verdict({ apiKey: 'key_abc', baseUrl: server.baseUrl });
      await client.workflows.get('wf_1');
      const [seen] = server.requests;
      assert.equal(seen.headers['api-key'], 'key_abc');
      assert.equal(seen.headers.authorization, 'Bearer key_abc');
      assert.equal(seen.headers['content-type'], undefined, 'no body, no content type');
    } finally {
      await server.close();
    }
  });

  test('prefers explicit options, then VERDICT_*, then RETAB_* variables', () => {
    withEnv({ RETAB_API_KEY: 'retab_key', RETAB_API_BASE_URL: 'http://retab.example' });
    assert.equal(new Verdict().baseUrl, 'http://retab.example');
    withEnv({ RETAB_API_KEY: 'retab_key', VERDICT_API_KEY: 'verdict_key', VERDICT_BASE_URL: 'http://verdict.example/' });
    assert.equal(new Verdict().baseUrl, 'http://verdict.example');
    assert.equal(new Verdict({ baseUrl: 'http://explicit.example/v1' }).baseUrl, 'http://explicit.example');
    withEnv({ VERDICT_API_KEY: 'k' });
    assert.equal(new Verdict().baseUrl, 'http://127.0.0.1:8787');
  });

  test('refuses to start without an API key', () => {
    withEnv({ VERDICT_API_KEY: '  ' });
    assert.throws(() => new Verdict(), (error: unknown) => error instanceof VerdictError && error.code === 'missing_api_key');
  });

  test('a base URL without its scheme is refused with the URL to write instead, not a connection error later', () => {
    const refusal = (baseUrl: string, expected: RegExp) =>
      assert.throws(() => new Verdict({ apiKey: 'k', baseUrl }), (error: unknown) => error instanceof VerdictError && error.code === 'invalid_base_url' && expected.test(error.message));
    refusal('localhost:8787', /no http:\/\/ or https:\/\/ scheme: write http:\/\/localhost:8787/);
    refusal('127.0.0.1:8787', /not a URL: .*http:\/\/127\.0\.0\.1:8787/);
    refusal('ftp://files.example', /no http:\/\/ or https:\/\/ scheme/);
    assert.equal(new Verdict({ apiKey: 'k', baseUrl: 'https://verdict.example/v1/' }).baseUrl, 'https://verdict.example');
  });

  test('encodes ids in paths and skips unset query values', async () => {
    const server = await startFakeServer(() => ({ json: { data: [], list_metadata: { before: null, after: null } } }));
    try {
      const client = new Verdict({ apiKey: 'k', baseUrl: server.baseUrl });
      await client.workflows.tests.runs.list({ workflow_id: 'wf 1', status: undefined, from_date: new Date('2026-01-02T03:04:05Z') });
      await client.workflows.tests.get('a/b?c').catch(() => undefined);
      const [list, get] = server.requests;
      assert.equal(list.path, '/v1/workflows/tests/runs');
      assert.deepEqual([...list.query], [['workflow_id', 'wf 1'], ['from_date', '2026-01-02T03:04:05.000Z']]);
      assert.equal(get.path, '/v1/workflows/tests/a%2Fb%3Fc');
    } finally {
      await server.close();
    }
  });

  test('evals speak Retab\'s current paths; tests, kept for older code, the paths before 2026-06-19', async () => {
    const server = await startFakeServer(() => ({ json: { data: [], list_metadata: { before: null, after: null } } }));
    try {
      const client = new Verdict({ apiKey: 'k', baseUrl: server.baseUrl });
      await client.workflows.evals.list({ workflow_id: 'wf_1' });
      await client.workflows.evals.get('wfnodetest_1');
      await client.workflows.evals.runs.list({ eval_id: 'wfnodetest_1' });
      await client.workflows.evals.runs.create({ workflow_id: 'wf_1', scope: { type: 'single', eval_id: 'wfnodetest_1' } });
      await client.workflows.evals.runs.cancel('wftestrun_1');
      await client.workflows.evals.results.get('wfnodetestrun_1');
      await client.workflows.tests.results.list({ run_id: 'wftestrun_1' });
      assert.deepEqual(
        server.requests.map((request) => `${request.method} ${request.path}`),
        [
          'GET /v1/workflows/evals',
          'GET /v1/workflows/evals/wfnodetest_1',
          'GET /v1/workflows/evals/runs',
          'POST /v1/workflows/evals/runs',
          'POST /v1/workflows/evals/runs/wftestrun_1/cancel',
          'GET /v1/workflows/evals/results/wfnodetestrun_1',
          'GET /v1/workflows/tests/results',
        ],
      );
      assert.deepEqual([...server.requests[2]!.query], [['eval_id', 'wfnodetest_1']]);
    } finally {
      await server.close();
    }
  });

  test('sends a JSON body only when there is one (cancel without a reason has none)', async () => {
    const server = await startFakeServer(() => ({ json: { id: 'wftestrun_1' } }));
    try {
      const client = new Verdict({ apiKey: 'k', baseUrl: server.baseUrl });
      await client.workflows.tests.runs.cancel('wftestrun_1');
      await client.workflows.tests.runs.cancel('wftestrun_1', { reason: 'superseded' });
      const [bare, withReason] = server.requests;
      assert.equal(bare.body, '');
      assert.equal(bare.headers['content-type'], undefined);
      assert.equal(withReason.path, '/v1/workflows/tests/runs/wftestrun_1/cancel');
      assert.deepEqual(JSON.parse(withReason.body), { reason: 'superseded' });
      assert.equal(withReason.headers['content-type'], 'application/json');
    } finally {
      await server.close();
    }
  });

  test('answers undefined for 204 No Content', async () => {
    const server = await startFakeServer(() => ({ status: 204 }));
    try {
      const client = new Verdict({ apiKey: 'k', baseUrl: server.baseUrl });
      assert.equal(await client.workflows.tests.delete('wfnodetest_1'), undefined);
      assert.equal(server.requests[0].method, 'DELETE');
    } finally {
      await server.close();
    }
  });
});

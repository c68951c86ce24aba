import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { WorkflowTestRun } from '@verdict/core';
import { Verdict } from './client.js';
import { ConnectionError, TimeoutError } from './errors.js';
import { startFakeServer } from './test-server.js';

function run(status: WorkflowTestRun['lifecycle']['status'], done: { passed?: number; failed?: number; running?: number } = {}): WorkflowTestRun {
  const passed = done.passed ?? 0;
  const failed = done.failed ?? 0;
  const running = done.running ?? 0;
  const lifecycle = status === 'cancelled' ? { status, reason: null } : status === 'error' ? { status, message: 'x' } : { status };
  return {
    id: 'wftestrun_1',
    workflow: { workflow_id: 'wf_1', version_id: 'ver_1' },
    workflow_id: 'wf_1',
    workflow_version_id: 'ver_1',
    trigger: { type: 'api', api_key_id: 'key_1' },
    lifecycle,
    timing: { created_at: '2026-01-01T00:00:00Z', started_at: null, completed_at: null, duration_ms: null },
    target: null,
    test_id: null,
    total_tests: 3,
    counts: {
      lifecycle_counts: { pending: 3 - passed - failed - running, queued: 0, running, completed: passed + failed, error: 0, cancelled: 0 },
      outcome: { passed, failed, blocked: 0 },
    },
  } as WorkflowTestRun;
}

describe('runs.wait', () => {
  test('polls until terminal and reports each change of status or counts once', async () => {
    const states = [run('pending'), run('running', { running: 1 }), run('running', { running: 1 }), run('running', { passed: 1, running: 2 }), run('completed', { passed: 2, failed: 1 })];
    const server = await startFakeServer((_, index) => ({ json: states[Math.min(index, states.length - 1)] }));
    try {
      const client = new Verdict({ apiKey: 'k', baseUrl: server.baseUrl });
      const seen: string[] = [];
      const final = await client.workflows.tests.runs.wait('wftestrun_1', {
        pollMs: 5,
        onProgress: (progress) => seen.push(`${progress.lifecycle.status}:${progress.counts.outcome.passed}/${progress.counts.lifecycle_counts.running}`),
      });
      assert.equal(final.lifecycle.status, 'completed');
      assert.equal(final.counts.outcome.failed, 1);
      assert.deepEqual(seen, ['pending:0/0', 'running:0/1', 'running:1/2', 'completed:2/0']);
      assert.equal(server.requests.length, 5);
      assert.ok(server.requests.every((request) => request.path === '/v1/workflows/tests/runs/wftestrun_1'));
    } finally {
      await server.close();
    }
  });

  test('gives up with TimeoutError after timeoutMs, and stops on abort', async () => {
    const server = await startFakeServer(() => ({ json: run('running', { running: 1 }) }));
    try {
      const runs = new Verdict({ apiKey: 'k', baseUrl: server.baseUrl }).workflows.tests.runs;
      await assert.rejects(runs.wait('wftestrun_1', { pollMs: 10, timeoutMs: 80 }), (error: unknown) => error instanceof TimeoutError && error.code === 'wait_timeout');
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 40);
      await assert.rejects(runs.wait('wftestrun_1', { pollMs: 10, signal: controller.signal }), { name: 'AbortError' });
    } finally {
      await server.close();
    }
  });

  test('a server that restarts under the wait (503s, then answers) does not end it; each failed poll is reported', async () => {
    const unavailable = { status: 503, json: { detail: { code: 'unavailable', message: 'restarting', details: {} } } };
    const server = await startFakeServer((_, index) => (index >= 1 && index <= 3 ? unavailable : { json: index === 0 ? run('running', { running: 1 }) : run('completed', { passed: 3 }) }));
    try {
      const runs = new Verdict({ apiKey: 'k', baseUrl: server.baseUrl, maxRetries: 0 }).workflows.tests.runs;
      const outages: number[] = [];
      const final = await runs.wait('wftestrun_1', { pollMs: 5, onOutage: (error) => outages.push(error.status!) });
      assert.equal(final.lifecycle.status, 'completed');
      assert.deepEqual(outages, [503, 503, 503]);
    } finally {
      await server.close();
    }
  });

  test('a server unreachable for longer than outageMs ends the wait with the connection error; a 4xx ends it at once', async () => {
    const closed = await startFakeServer(() => ({ json: run('running') }));
    const baseUrl = closed.baseUrl;
    await closed.close();
    const runs = new Verdict({ apiKey: 'k', baseUrl, maxRetries: 0 }).workflows.tests.runs;
    let polls = 0;
    await assert.rejects(runs.wait('wftestrun_1', { pollMs: 5, outageMs: 60, onOutage: () => polls++ }), (error: unknown) => error instanceof ConnectionError);
    assert.ok(polls >= 2, `kept polling through the outage (${polls} polls)`);

    const refusing = await startFakeServer(() => ({ status: 404, json: { detail: { code: 'run_not_found', message: 'No run.', details: {} } } }));
    try {
      const refused = new Verdict({ apiKey: 'k', baseUrl: refusing.baseUrl, maxRetries: 0 }).workflows.tests.runs;
      await assert.rejects(refused.wait('wftestrun_1', { pollMs: 5, onOutage: () => assert.fail('a 404 is an answer, not an outage') }), { code: 'run_not_found' });
      assert.equal(refusing.requests.length, 1);
    } finally {
      await refusing.close();
    }
  });
});

describe('history and comparison (Verdict extensions)', () => {
  test('compare asks for the run\'s comparison with its filters; history lists a test\'s results by test_id', async () => {
    const comparison = { run_id: 'wftestrun_2', base_run_id: 'wftestrun_1', summary: {}, changes: [], list_metadata: { before: null, after: null } };
    const server = await startFakeServer((request) => ({ json: request.path.endsWith('/comparison') ? comparison : { data: [], list_metadata: { before: null, after: null } } }));
    try {
      const client = new Verdict({ apiKey: 'k', baseUrl: server.baseUrl });
      assert.deepEqual(await client.workflows.tests.runs.compare('wftestrun_2', { base: 'wftestrun_1', change: 'new_failure' }), comparison);
      await client.workflows.tests.results.history({ test_id: 'wfnodetest_1', limit: 5 });
      assert.deepEqual(
        server.requests.map((request) => `${request.path}?${request.query}`),
        ['/v1/workflows/tests/runs/wftestrun_2/comparison?base=wftestrun_1&change=new_failure', '/v1/workflows/tests/results?test_id=wfnodetest_1&limit=5'],
      );
    } finally {
      await server.close();
    }
  });
});

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Verdict } from './client.js';
import {
  AuthenticationError,
  ConflictError,
  ConnectionError,
  InternalServerError,
  NotFoundError,
  RateLimitError,
  TimeoutError,
  ValidationError,
  VerdictError,
} from './errors.js';
import { backoffMs, parseRetryAfter } from './retry.js';
import { startFakeServer, type Reply } from './test-server.js';

const RUN = { id: 'wftestrun_1', lifecycle: { status: 'pending' } };

async function withServer<T>(answer: (index: number) => Reply, use: (client: Verdict, requestCount: () => number) => Promise<T>, options: { maxRetries?: number; timeoutMs?: number } = {}): Promise<T> {
  const server = await startFakeServer((_, index) => answer(index));
  try {
    return await use(new Verdict({ apiKey: 'k', baseUrl: server.baseUrl, ...options }), () => server.requests.length);
  } finally {
    await server.close();
  }
}

describe('retries', () => {
  test('a 429 is retried after the Retry-After pause, then succeeds', async () => {
    const started = Date.now();
    await withServer(
      (index) => (index === 0 ? { status: 429, headers: { 'retry-after': '1' }, json: { detail: { code: 'rate_limited', message: 'Slow down.', details: {} } } } : { json: RUN }),
      async (client, requestCount) => {
        const run = await client.workflows.tests.runs.get('wftestrun_1');
        assert.equal(run.id, 'wftestrun_1');
        assert.equal(requestCount(), 2);
      },
    );
    assert.ok(Date.now() - started >= 950, 'waited for Retry-After: 1');
  });

  test('a create (POST) is never retried, even on a 503', async () => {
    await withServer(
      () => ({ status: 503, json: { detail: { code: 'unavailable', message: 'Try later.', details: {} } } }),
      async (client, requestCount) => {
        await assert.rejects(client.workflows.tests.runs.create({ workflow_id: 'wf_1' }), InternalServerError);
        assert.equal(requestCount(), 1);
      },
    );
  });

  test('cancel is retried like a GET because a second cancel is harmless', async () => {
    await withServer(
      (index) => (index === 0 ? { status: 502, headers: { 'retry-after': '0' } } : { json: { ...RUN, lifecycle: { status: 'cancelled', reason: null } } }),
      async (client, requestCount) => {
        const run = await client.workflows.tests.runs.cancel('wftestrun_1');
        assert.equal(run.lifecycle.status, 'cancelled');
        assert.equal(requestCount(), 2);
      },
    );
  });

  test('gives up after maxRetries and raises the last error', async () => {
    await withServer(
      () => ({ status: 500, headers: { 'retry-after': '0' }, json: { detail: { code: 'internal_error', message: 'Boom.', details: {} } } }),
      async (client, requestCount) => {
        await assert.rejects(client.workflows.get('wf_1'), (error: unknown) => error instanceof InternalServerError && error.code === 'internal_error');
        assert.equal(requestCount(), 3);
      },
      { maxRetries: 2 },
    );
  });

  test('a 4xx other than 429 is final', async () => {
    await withServer(
      () => ({ status: 404, json: { detail: { code: 'not_found', message: 'No.', details: {} } } }),
      async (client, requestCount) => {
        await assert.rejects(client.workflows.get('wf_1'), NotFoundError);
        assert.equal(requestCount(), 1);
      },
    );
  });

  test('Retry-After reads seconds and HTTP dates; backoff grows with jitter inside its bounds', () => {
    assert.equal(parseRetryAfter('2'), 2000);
    assert.equal(parseRetryAfter('Thu, 01 Jan 2026 00:00:10 GMT', Date.parse('2026-01-01T00:00:00Z')), 10_000);
    assert.equal(parseRetryAfter('soon'), null);
    assert.equal(parseRetryAfter(null), null);
    assert.equal(backoffMs(0, () => 0), 250);
    assert.equal(backoffMs(0, () => 1), 500);
    assert.equal(backoffMs(3, () => 1), 4000);
    assert.equal(backoffMs(10, () => 1), 8000);
  });
});

describe('errors', () => {
  test('a 404 envelope becomes NotFoundError with status, code, message, details and request id', async () => {
    await withServer(
      () => ({
        status: 404,
        headers: { 'x-request-id': 'req_42' },
        json: { detail: { code: 'run_not_found', message: 'No test run `wftestrun_x`.', details: { run_id: 'wftestrun_x' } } },
      }),
      async (client) => {
        const error = await client.workflows.tests.runs.cancel('wftestrun_x').catch((caught: unknown) => caught);
        assert.ok(error instanceof NotFoundError && error instanceof VerdictError);
        assert.equal(error.status, 404);
        assert.equal(error.code, 'run_not_found');
        assert.equal(error.message, 'No test run `wftestrun_x`.');
        assert.deepEqual(error.details, { run_id: 'wftestrun_x' });
        assert.equal(error.requestId, 'req_42');
      },
    );
  });

  const cases: Array<[string, Reply, new (...args: never[]) => VerdictError, string, string]> = [
    ['401', { status: 401, json: { detail: { code: 'unauthorized', message: 'Bad key.', details: {} } } }, AuthenticationError, 'unauthorized', 'Bad key.'],
    ['409', { status: 409, json: { detail: { code: 'run_not_cancellable', message: 'Done.', details: { status: 'completed' } } } }, ConflictError, 'run_not_cancellable', 'Done.'],
    ['422 FastAPI list', { status: 422, json: { detail: [{ loc: ['body', 'x'], msg: 'bad', type: 'value_error' }] } }, ValidationError, 'validation_error', 'Request failed with status 422.'],
    ['plain detail', { status: 429, headers: { 'retry-after': '3600' }, json: { detail: 'Too many.' } }, RateLimitError, 'rate_limited', 'Too many.'],
  ];
  for (const [name, reply, type, code, message] of cases) {
    test(`maps ${name} to ${type.name}`, async () => {
      await withServer(
        () => reply,
        async (client) => {
          const error = await client.workflows.get('wf_1').catch((caught: unknown) => caught);
          assert.ok(error instanceof type, `got ${String(error)}`);
          assert.equal(error.code, code);
          assert.equal(error.message, message);
        },
      );
    });
  }

  test('a Retry-After longer than a minute is not waited for', async () => {
    await withServer(
      () => ({ status: 429, headers: { 'retry-after': '3600' } }),
      async (client, requestCount) => {
        await assert.rejects(client.workflows.get('wf_1'), RateLimitError);
        assert.equal(requestCount(), 1);
      },
    );
  });

  test('an unreachable server gives ConnectionError with no status', async () => {
    const server = await startFakeServer(() => ({}));
    await server.close();
    const client = new Verdict({ apiKey: 'k', baseUrl: server.baseUrl, maxRetries: 0 });
    const error = await client.workflows.get('wf_1').catch((caught: unknown) => caught);
    assert.ok(error instanceof ConnectionError, String(error));
    assert.equal(error.status, null);
    assert.equal(error.code, 'connection_error');
    assert.match(error.message, /ECONNREFUSED/);
  });
});

describe('timeouts and cancellation', () => {
  test('timeoutMs bounds each attempt; idempotent calls try again, then raise TimeoutError', async () => {
    await withServer(
      () => ({ delayMs: 1000, json: RUN }),
      async (client, requestCount) => {
        const started = Date.now();
        await assert.rejects(client.workflows.tests.runs.get('wftestrun_1', { timeoutMs: 50, maxRetries: 1 }), (error: unknown) => error instanceof TimeoutError && error.code === 'timeout');
        assert.equal(requestCount(), 2);
        assert.ok(Date.now() - started < 900);
      },
    );
  });

  test('an aborted signal stops the call at once with an AbortError and no retry', async () => {
    const controller = new AbortController();
    await withServer(
      () => {
        // Aborted once the server has the request (a fixed delay from the call raced it on a loaded machine).
        setTimeout(() => controller.abort(), 10);
        return { delayMs: 1000, json: RUN };
      },
      async (client, requestCount) => {
        await assert.rejects(client.workflows.tests.runs.get('wftestrun_1', { signal: controller.signal }), { name: 'AbortError' });
        assert.equal(requestCount(), 1);
        await assert.rejects(client.workflows.tests.runs.get('wftestrun_1', { signal: AbortSignal.abort() }), { name: 'AbortError' });
      },
    );
  });

  test('an abort during the pause between retries is honoured immediately', async () => {
    await withServer(
      () => ({ status: 503, headers: { 'retry-after': '30' } }),
      async (client) => {
        const controller = new AbortController();
        setTimeout(() => controller.abort(), 50);
        const started = Date.now();
        await assert.rejects(client.workflows.get('wf_1', { signal: controller.signal }), { name: 'AbortError' });
        assert.ok(Date.now() - started < 1000);
      },
    );
  });
});

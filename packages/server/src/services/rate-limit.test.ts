import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { createFunctionWorkflow, createTests, otherOrganizationKey } from '../testing/fixtures.js';
import { startTestApp, testStores, type TestApp } from '../testing/harness.js';
import { buildApp } from '../http/app.js';
import { ConcurrencyLimiter, DEFAULT_LIMITS, Limits, RateLimiter } from './rate-limit.js';

/** A small window, so that a test waits a fraction of a second for a limit to come back. */
const QUICK_WINDOW_MS = 300;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('rate limiters', () => {
  test('a token bucket allows `count` at once, then says how long to wait, and refills over its window', () => {
    let now = 0;
    const limiter = new RateLimiter({ count: 3, windowMs: 60_000 }, () => now);
    assert.deepEqual([limiter.take('a'), limiter.take('a'), limiter.take('a')], [0, 0, 0]);
    assert.equal(limiter.take('a'), 20, 'one token comes back every 20 s');
    assert.equal(limiter.take('b'), 0, 'keys are counted apart');
    now += 20_000;
    assert.equal(limiter.take('a'), 0);
    assert.equal(limiter.take('a'), 20);
    now += 60_000;
    assert.deepEqual([limiter.take('a'), limiter.take('a'), limiter.take('a'), limiter.take('a')], [0, 0, 0, 20], 'never more than `count` saved up');
  });

  test('a wait below one second is announced as 1 s (Retry-After counts whole seconds)', () => {
    const limiter = new RateLimiter({ count: 1, windowMs: 10 }, () => 0);
    limiter.take('a');
    assert.equal(limiter.take('a'), 1);
  });

  test('concurrency slots are taken under every key or none, and given back once', () => {
    const limiter = new ConcurrencyLimiter();
    const keys = (session: string) => [
      { key: session, limit: 2 },
      { key: 'org', limit: 3 },
    ];
    const first = limiter.tryAcquire(keys('s1'));
    const second = limiter.tryAcquire(keys('s1'));
    assert.ok(first && second);
    assert.equal(limiter.tryAcquire(keys('s1')), null, 'the session is full');
    assert.ok(limiter.tryAcquire(keys('s2')), 'another session of the organization');
    assert.equal(limiter.tryAcquire(keys('s3')), null, 'the organization is full');
    first();
    first();
    assert.ok(limiter.tryAcquire(keys('s1')), 'a released slot is free again');
    assert.equal(limiter.tryAcquire(keys('s1')), null, 'releasing twice frees one slot only');
  });
});

describe('rate limits over HTTP', () => {
  let server: TestApp;
  let quick: FastifyInstance;
  let behindProxy: FastifyInstance;
  before(async () => {
    // Windows of a minute: nothing refills while a test sends its burst, however loaded the machine.
    server = await startTestApp('sqlite', {
      limits: { ...DEFAULT_LIMITS, authFailuresPerAddress: { count: 3, windowMs: 60_000 }, requestsPerKey: { count: 5, windowMs: 60_000 } },
    });
    behindProxy = await buildApp({ services: server.runtime.services, trustProxy: 1 });
    // Small windows, to see a limit come back in a fraction of a second.
    const quickLimits = new Limits({ ...DEFAULT_LIMITS, authFailuresPerAddress: { count: 3, windowMs: QUICK_WINDOW_MS }, requestsPerKey: { count: 5, windowMs: QUICK_WINDOW_MS } });
    quick = await buildApp({ services: { ...server.runtime.services, limits: quickLimits } });
    await Promise.all([behindProxy.ready(), quick.ready()]);
  });
  after(async () => {
    await behindProxy.close();
    await quick.close();
    await server.close();
  });

  const call = (key: string, remoteAddress: string, headers: Record<string, string> = {}, app: FastifyInstance = server.app) =>
    app.inject({ method: 'GET', url: '/v1/workflows', remoteAddress, headers: { 'api-key': key, ...headers } });

  async function statuses(count: number, send: () => ReturnType<typeof call>): Promise<number[]> {
    const answers: number[] = [];
    for (let n = 0; n < count; n++) answers.push((await send()).statusCode);
    return answers;
  }

  /** Sends until the answer is 429 (whatever the machine's speed); fails if it never comes. */
  async function untilLimited(send: () => ReturnType<typeof call>): Promise<void> {
    for (let attempt = 0; attempt < 100; attempt++) if ((await send()).statusCode === 429) return;
    assert.fail('never limited');
  }

  test('wrong keys from one address: 401, then 429 rate_limited with Retry-After; other addresses are unaffected', async () => {
    assert.deepEqual(await statuses(3, () => call('vk_wrong', '192.0.2.1')), [401, 401, 401]);
    const limited = await call('vk_wrong_again', '192.0.2.1');
    assert.equal(limited.statusCode, 429);
    const wait = Number(limited.headers['retry-after']);
    assert.ok(wait > 15 && wait <= 20, `one failure comes back every 20 s; Retry-After: ${wait}`);
    const body = limited.json();
    assert.equal(body.detail.code, 'rate_limited');
    assert.match(body.detail.message, new RegExp(`wrong API keys from this address \\(the limit is 3 failures per 1 min\\); retry in ${wait} s`));
    assert.equal(body.detail.details.retry_after_seconds, wait);
    assert.equal((await call('vk_wrong', '192.0.2.2')).statusCode, 401, 'another address has its own count');
  });

  test("a valid key is served from an address whose neighbour's wrong keys are being refused", async () => {
    await statuses(5, () => call('vk_wrong', '192.0.2.3'));
    assert.equal((await call('vk_wrong', '192.0.2.3')).statusCode, 429);
    assert.equal((await call(server.apiKey, '192.0.2.3')).statusCode, 200);
  });

  test('each key has its own request budget; other keys are unaffected', async () => {
    const busy = await otherOrganizationKey(server, 'busy');
    const quiet = await otherOrganizationKey(server, 'quiet');
    assert.deepEqual(await statuses(6, () => call(busy, '192.0.2.5')), [200, 200, 200, 200, 200, 429]);
    const limited = await call(busy, '192.0.2.6');
    assert.equal(limited.statusCode, 429, 'counted per key, whatever the address');
    const wait = Number(limited.headers['retry-after']);
    assert.ok(wait > 8 && wait <= 12, `one request comes back every 12 s; Retry-After: ${wait}`);
    assert.match(limited.json().detail.message, new RegExp(`This API key sent more than 5 requests per 1 min; retry in ${wait} s`));
    assert.equal((await call(quiet, '192.0.2.5')).statusCode, 200);
  });

  test('the failure limit and a key budget come back after their window', async () => {
    await untilLimited(() => call('vk_wrong', '192.0.2.4', {}, quick));
    const key = await otherOrganizationKey(server, 'refilled');
    await untilLimited(() => call(key, '192.0.2.4', {}, quick));
    await sleep(QUICK_WINDOW_MS + 20);
    assert.equal((await call('vk_wrong', '192.0.2.4', {}, quick)).statusCode, 401);
    assert.equal((await call(key, '192.0.2.4', {}, quick)).statusCode, 200);
  });

  test('X-Forwarded-For names the client only when VERDICT_TRUST_PROXY trusts the proxy', async () => {
    // Untrusted: the header is ignored, so changing it does not escape the limit of the socket's address.
    const spoofing = (n: number) => call('vk_wrong', '192.0.2.7', { 'x-forwarded-for': `198.51.100.${n}` });
    assert.deepEqual([await spoofing(1), await spoofing(2), await spoofing(3), await spoofing(4)].map((answer) => answer.statusCode), [401, 401, 401, 429]);
    // Trusted (one proxy): the address the proxy appended is the client's; what the client wrote before it is not.
    const viaProxy = (client: string, claimed = '') => call('vk_wrong', '127.0.0.1', { 'x-forwarded-for': `${claimed}${client}` }, behindProxy);
    assert.deepEqual(await statuses(4, () => viaProxy('203.0.113.1')), [401, 401, 401, 429]);
    assert.equal((await viaProxy('203.0.113.2')).statusCode, 401, 'another client behind the same proxy');
    assert.equal((await viaProxy('203.0.113.1', '203.0.113.99, ')).statusCode, 429, 'a forged leading entry does not change the address');
  });
});

describe('the run-rows budget of an organization', () => {
  test('paid after the fact: any amount is spent, and an overdrawn key waits until it is repaid', () => {
    let now = 0;
    const limiter = new RateLimiter({ count: 100, windowMs: 60_000 }, () => now);
    assert.equal(limiter.overdrawn('a'), 0);
    limiter.spend('a', 250);
    assert.equal(limiter.overdrawn('a'), 90, '150 rows owed at 100 a minute');
    assert.equal(limiter.overdrawn('b'), 0, 'keys are counted apart');
    now += 89_000;
    assert.equal(limiter.overdrawn('a'), 1);
    now += 1_000;
    assert.equal(limiter.overdrawn('a'), 0);
  });

  for (const kind of testStores()) {
    test(`over HTTP (${kind}): creations sent at once take turns, and once the budget is overdrawn the next is 429 with Retry-After and writes no run; another organization is not limited`, async () => {
      const app = await startTestApp(kind, { limits: { ...DEFAULT_LIMITS, runRowsPerOrganization: { count: 5, windowMs: 60_000 } } });
      try {
        const workflow = await createFunctionWorkflow(app, 'function transform(input) { return input; }');
        await createTests(app, workflow, [1, 2, 3].map((n) => ({ input: { n }, condition: { kind: 'exists' } })));
        const create = (key = app.apiKey) => app.request('POST', '/v1/workflows/tests/runs', { workflow_id: workflow.workflowId }, { 'api-key': key });
        // 3 rows, then 3 more (the budget of 5 overdrawn by 1), then refused: sent at once, they still count one after the other.
        const answers = await Promise.all([create(), create(), create(), create()]);
        assert.deepEqual(answers.map((answer) => answer.status).sort(), [202, 202, 429, 429]);
        const refused = answers.find((answer) => answer.status === 429)!;
        assert.equal(refused.body.detail.code, 'rate_limited');
        assert.match(refused.body.detail.message, /more than 5 test results in runs per 1 min; retry in \d+ s/);
        assert.ok(Number(refused.headers['retry-after']) >= 1);
        const listed = await app.request('GET', `/v1/workflows/tests/runs?workflow_id=${workflow.workflowId}`);
        assert.equal(listed.body.data.length, 2, 'a refused creation writes nothing');

        const theirKey = await otherOrganizationKey(app);
        const asThem: TestApp = { ...app, request: (method, url, body, headers = {}) => app.request(method, url, body, { 'api-key': theirKey, ...headers }) };
        const theirs = await createFunctionWorkflow(asThem, 'function transform(input) { return input; }');
        await createTests(asThem, theirs, [{ input: { n: 1 }, condition: { kind: 'exists' } }]);
        assert.equal((await asThem.request('POST', '/v1/workflows/tests/runs', { workflow_id: theirs.workflowId })).status, 202);
      } finally {
        await app.close();
      }
    });
  }
});

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { modelConfigFromEnv } from '../config.js';
import { rateLimitedProvider, startFakeModelServer, type FakeModelServer } from '../testing/fake-model-server.js';
import { AdaptiveConcurrency, type Permit } from './adaptive-concurrency.js';
import { ModelClient, type ChatJsonRequest } from './client.js';

const never = new AbortController().signal;
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('AdaptiveConcurrency', () => {
  test('grants at most the limit, serves organizations in turn, and an aborted waiter takes no slot', async () => {
    const gate = new AdaptiveConcurrency({ ceiling: 1 });
    const permits: Permit[] = [await gate.acquire('flood', never)];
    const order: string[] = [];
    for (const organization of ['flood', 'flood', 'flood', 'other']) {
      void gate.acquire(organization, never).then((permit) => {
        order.push(organization);
        permits.push(permit);
      });
    }
    const controller = new AbortController();
    const aborted = gate.acquire('flood', controller.signal);
    controller.abort(new Error('cancelled'));
    await assert.rejects(aborted, /cancelled/);
    for (let granted = 1; granted <= 4; granted++) {
      await settle();
      assert.equal(order.length, granted - 1, 'one slot: the next call waits for the release');
      permits[granted - 1].release({ kind: 'failed' });
      await settle();
      assert.equal(gate.active, 1);
    }
    permits[4].release({ kind: 'failed' });
    // The newcomer's one call goes second, ahead of the flood's backlog.
    assert.deepEqual(order, ['flood', 'other', 'flood', 'flood']);
    assert.equal(gate.active, 0);
  });

  test('grows while answers come back and it is the bottleneck, never past the ceiling', async () => {
    const gate = new AdaptiveConcurrency({ ceiling: 12, initial: 2 });
    for (let round = 0; round < 20; round++) {
      // One call more than the limit: the others are granted while it waits.
      const waiting = Array.from({ length: gate.limit + 1 }, () => gate.acquire('o', never));
      for (const permit of await Promise.all(waiting.slice(0, -1))) permit.release({ kind: 'answered' });
      (await waiting.at(-1)!).release({ kind: 'answered' });
    }
    assert.equal(gate.limit, 12);
  });

  test('does not grow while calls do not wait for it', async () => {
    const gate = new AdaptiveConcurrency({ ceiling: 100, initial: 4 });
    for (let i = 0; i < 50; i++) (await gate.acquire('o', never)).release({ kind: 'answered' });
    assert.equal(gate.limit, 4);
  });

  test('a refusal shrinks the limit once for the calls in flight together and pauses every call for its length', async () => {
    const gate = new AdaptiveConcurrency({ ceiling: 100, initial: 10 });
    const permits = await Promise.all(Array.from({ length: 10 }, () => gate.acquire('o', never)));
    for (const permit of permits) permit.release({ kind: 'throttled', pauseMs: 200 });
    assert.equal(gate.limit, 8, 'ten refusals of one round shrink it once');
    const started = performance.now();
    await gate.acquire('o', never);
    assert.ok(performance.now() - started >= 195, `granted after ${performance.now() - started} ms of a 200 ms pause`);
  });
});

/** Each process's client sends the same question; the server tells processes apart by the model name. */
function ask(model: string, organizationId = 'org'): ChatJsonRequest {
  return { model, messages: [{ role: 'user', content: 'total?' }], jsonSchema: { type: 'object' }, organizationId, signal: never };
}

describe('ModelClient against a rate-limited provider', () => {
  let server: FakeModelServer;
  let dataDir: string;
  before(async () => {
    server = await startFakeModelServer();
    dataDir = await mkdtemp(join(tmpdir(), 'verdict-adaptive-'));
  });
  after(async () => {
    await server.close();
    await rm(dataDir, { recursive: true, force: true });
  });
  const client = (env: Record<string, string> = {}) =>
    new ModelClient(modelConfigFromEnv({ VERDICT_MODEL_BASE_URL: server.baseURL, VERDICT_MODEL: 'm', ...env }, dataDir)!, { retry: { baseDelayMs: 5, maxDelayMs: 20 } });

  test('finds the limit: settles near what the server admits, every call answered though no retries are allowed', async () => {
    // 20 a second at 200 ms: 4 calls in flight is what it admits (a few more when a loaded machine
    // slows the calls down); the search starts at 8 and doubles while answers come back.
    const provider = rateLimitedProvider({ ok: true }, { perSecond: 20, latencyMs: 200 });
    server.setChatHandler(provider);
    const models = client({ VERDICT_MODEL_MAX_RETRIES: '0' });
    const results = await Promise.all(Array.from({ length: 80 }, () => models.chatJson(ask('m'))));
    assert.ok(results.every((result) => (result.value as { ok: boolean }).ok));
    assert.equal(provider.log.admitted.length, 80);
    assert.ok(provider.log.refused.length > 0, 'the server refused calls beyond its limit');
    assert.ok(models.concurrencyLimit >= 2 && models.concurrencyLimit <= 12, `settled at ${models.concurrencyLimit}`);
  });

  test('grows past its starting point when the server admits more', async () => {
    server.setChatHandler(rateLimitedProvider({ ok: true }, { perSecond: 1000, latencyMs: 50 }));
    const models = client();
    await Promise.all(Array.from({ length: 200 }, () => models.chatJson(ask('m'))));
    assert.ok(models.concurrencyLimit > 16, `grew to ${models.concurrencyLimit}`);
  });

  test('honours Retry-After: no call is sent, by the refused call or those waiting, while the pause lasts', async () => {
    // One call in flight at a time, so that nothing is already on its way when a refusal is sent.
    const provider = rateLimitedProvider({ ok: true }, { perSecond: 3, latencyMs: 10 });
    server.setChatHandler(provider);
    const models = client({ VERDICT_MODEL_CONCURRENCY: '1', VERDICT_MODEL_MAX_RETRIES: '0' });
    const results = await Promise.all(Array.from({ length: 7 }, () => models.chatJson(ask('m'))));
    assert.equal(results.length, 7);
    assert.ok(provider.log.refused.length > 0, 'the server refused some calls');
    const arrivals = provider.log.admitted.concat(provider.log.refused);
    for (const refusal of provider.log.refused) {
      const early = arrivals.filter((call) => call.at > refusal.at + 1 && call.at < refusal.at + refusal.retryAfterMs - 2);
      assert.deepEqual(early, [], `calls arrived within the ${refusal.retryAfterMs} ms asked for by a refusal at ${refusal.at}`);
    }
  });

  test('VERDICT_MODEL_CONCURRENCY caps the limit it finds', async () => {
    const own = await startFakeModelServer({ chat: rateLimitedProvider({ ok: true }, { perSecond: 1000, latencyMs: 30 }) });
    try {
      const models = new ModelClient(modelConfigFromEnv({ VERDICT_MODEL_BASE_URL: own.baseURL, VERDICT_MODEL: 'm', VERDICT_MODEL_CONCURRENCY: '5' }, dataDir)!);
      await Promise.all(Array.from({ length: 100 }, () => models.chatJson(ask('m'))));
      assert.equal(models.concurrencyLimit, 5);
      assert.equal(own.peakConcurrentRequests(), 5);
    } finally {
      await own.close();
    }
  });
});

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { modelConfigFromEnv } from '../config.js';
import { startFakeModelServer, type FakeModelServer } from '../testing/fake-model-server.js';
import { ModelClient } from './client.js';
import { connectSharedThrottle } from './shared-throttle.js';

const REDIS_URL = process.env.VERDICT_TEST_REDIS_URL;
const never = new AbortController().signal;

describe('two workers sharing Redis keep to one model limit', { skip: REDIS_URL ? false : 'needs VERDICT_TEST_REDIS_URL' }, () => {
  let server: FakeModelServer;
  let dataDir: string;
  const connections: Array<{ close(): Promise<void> }> = [];
  before(async () => {
    server = await startFakeModelServer();
    dataDir = await mkdtemp(join(tmpdir(), 'verdict-shared-throttle-'));
  });
  after(async () => {
    await Promise.all(connections.map((connection) => connection.close()));
    await server.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  /** One worker's client, as `createRuntime` builds it in a distributed deployment, on its own Redis connection. */
  function worker(prefix: string, ceiling: number): ModelClient {
    const shared = connectSharedThrottle(REDIS_URL!, prefix);
    connections.push(shared);
    const config = modelConfigFromEnv({ VERDICT_MODEL_BASE_URL: server.baseURL, VERDICT_MODEL: 'm', VERDICT_MODEL_CONCURRENCY: String(ceiling), VERDICT_MODEL_MAX_RETRIES: '0' }, dataDir)!;
    return new ModelClient(config, { shared: shared.throttle });
  }

  test("a refusal to one worker pauses the other until its Retry-After has passed", async () => {
    const prefix = `verdict-test-${randomUUID()}`;
    const arrivals: Array<{ at: number; model: string }> = [];
    let refusal: { at: number; pauseMs: number } | null = null;
    server.setChatHandler((request) => {
      const at = performance.now();
      const model = request.body.model as string;
      arrivals.push({ at, model });
      // Worker A's third call is refused with a long pause; worker B is never refused itself.
      if (model === 'a' && refusal === null && arrivals.filter((call) => call.model === 'a').length === 3) {
        refusal = { at, pauseMs: 700 };
        return { status: 429, headers: { 'retry-after-ms': '700' }, body: { error: { message: 'Rate limit reached' } } };
      }
      return { content: '{"ok": true}', delayMs: 10 };
    });
    const a = worker(prefix, 1);
    const b = worker(prefix, 1);
    const ask = (model: string) => ({ model, messages: [{ role: 'user' as const, content: 'total?' }], organizationId: 'org', signal: never });
    const callsOf = async (client: ModelClient, model: string, count: number) => {
      for (let i = 0; i < count; i++) await client.chatJson(ask(model));
    };
    await Promise.all([callsOf(a, 'a', 6), callsOf(b, 'b', 60)]);
    assert.ok(refusal, 'worker A was refused');
    const { at, pauseMs } = refusal as { at: number; pauseMs: number };
    const duringPause = arrivals.filter((call) => call.at > at + 1 && call.at < at + pauseMs - 5);
    // B may have had one call on its way when A reported the refusal; nothing after that.
    assert.ok(duringPause.length <= 1, `${duringPause.length} calls arrived during the ${pauseMs} ms pause: ${JSON.stringify(duringPause.map((call) => call.model))}`);
    assert.equal(arrivals.filter((call) => call.model === 'b').length, 60, 'every call of B was answered');
  });
});

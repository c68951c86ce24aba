import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { after, before } from 'node:test';
import type { Transaction } from 'kysely';
import pg from 'pg';
import { configFromEnv, type ServerConfig } from '../config.js';
import { buildApp } from '../http/app.js';
import { createRuntime, type Runtime } from '../services/create.js';
import { openStore, type Store } from '../store/database.js';
import type { Database } from '../store/schema.js';

export type StoreKind = 'sqlite' | 'postgres';

/** SQLite always; PostgreSQL when scripts/test.mjs (or the caller) provides VERDICT_TEST_DATABASE_URL. */
export function testStores(): StoreKind[] {
  return process.env.VERDICT_TEST_DATABASE_URL ? ['sqlite', 'postgres'] : ['sqlite'];
}

/** False when the distributed executor's suites can run here (Redis and PostgreSQL given), else why they are skipped. */
export function skipWithoutRedisAndPostgres(): false | string {
  if (process.env.VERDICT_TEST_REDIS_URL && process.env.VERDICT_TEST_DATABASE_URL) return false;
  return 'needs VERDICT_TEST_REDIS_URL and VERDICT_TEST_DATABASE_URL (npm test starts both when redis-server and PostgreSQL are installed)';
}

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Record<string, unknown>;
}

export interface TestApp {
  app: FastifyInstance;
  runtime: Runtime;
  apiKey: string;
  config: ServerConfig;
  request<T = any>(method: string, url: string, body?: unknown, headers?: Record<string, string>): Promise<ApiResponse<T>>;
  close(): Promise<void>;
}

const TEST_KEY = 'vk_test_harness_key_0123456789';

/** A SQLite store in a fresh temporary directory; `remove` closes it and deletes the directory. */
export async function temporarySqliteStore(name: string): Promise<{ store: Store; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), `verdict-${name}-`));
  const store = await openStore({ dataDir: dir });
  return {
    store,
    async remove() {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A migrated store of either kind, made for one test file; `remove` closes it and deletes its data. */
export async function temporaryStore(kind: StoreKind, name: string): Promise<{ store: Store; remove(): Promise<void> }> {
  if (kind === 'sqlite') return temporarySqliteStore(name);
  const database = await freshPostgresDatabase();
  const store = await openStore({ databaseUrl: database.url, dataDir: join(tmpdir(), `verdict-${name}-unused`) });
  return {
    store,
    async remove() {
      await store.close();
      await database.drop();
    },
  };
}

/**
 * For a describe() block: a temporary store made before its tests and removed after them. Its
 * `store` and `db` are there once the tests run; `transaction` runs work in one transaction on it.
 */
export function storeForSuite(kind: StoreKind, name: string) {
  let temporary: Awaited<ReturnType<typeof temporaryStore>> | undefined;
  before(async () => {
    temporary = await temporaryStore(kind, name);
  });
  after(() => temporary?.remove());
  return {
    get store(): Store {
      if (!temporary) throw new Error('storeForSuite: the store is made before the first test runs');
      return temporary.store;
    },
    get db() {
      return this.store.db;
    },
    transaction<T>(work: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
      return this.store.db.transaction().execute(work);
    },
  };
}

/** A new, empty database on the test PostgreSQL server (VERDICT_TEST_DATABASE_URL); `drop` removes it. */
export async function freshPostgresDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const adminUrl = process.env.VERDICT_TEST_DATABASE_URL!;
  const name = `verdict_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        // Without FORCE: terminating sessions still closing would surface as errors in the test
        // process. Closed pools let go of their sessions within moments.
        for (let attempt = 0; ; attempt++) {
          try {
            await client.query(`DROP DATABASE IF EXISTS ${name}`);
            return;
          } catch (error) {
            if (attempt >= 40) throw error;
            await new Promise((resolve) => setTimeout(resolve, 50));
          }
        }
      } finally {
        await client.end();
      }
    },
  };
}

/** A real server (real store, real executor, real sandbox) on a throwaway database, driven through inject(). */
export async function startTestApp(store: StoreKind = 'sqlite', overrides: Partial<ServerConfig> = {}, env: NodeJS.ProcessEnv = {}): Promise<TestApp> {
  const dataDir = await mkdtemp(join(tmpdir(), 'verdict-test-'));
  const database = store === 'postgres' ? await freshPostgresDatabase() : null;
  const config = configFromEnv(env, { dataDir, databaseUrl: database?.url ?? null, apiKey: TEST_KEY, sandboxThreads: 2, concurrency: 8, seedDemo: false, ...overrides });
  const runtime = await createRuntime(config);
  await runtime.services.executor.start();
  await runtime.services.workflowRuns.start();
  const app = await buildApp({ services: runtime.services, bodyLimitBytes: config.bodyLimitBytes });
  await app.ready();
  return {
    app,
    runtime,
    apiKey: TEST_KEY,
    config,
    async request(method, url, body, headers = {}) {
      const response = await app.inject({
        method: method as 'GET',
        url,
        headers: { 'api-key': TEST_KEY, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
        payload: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = response.body;
      return { status: response.statusCode, body: text ? JSON.parse(text) : undefined, headers: response.headers };
    },
    async close() {
      await app.close();
      await runtime.close();
      await database?.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** A worker of `api`'s deployment in this process (its store, Redis and prefix), executing. */
export async function startWorkerRuntime(api: TestApp): Promise<Runtime> {
  const runtime = await createRuntime({ ...api.config, worker: true });
  await runtime.services.executor.start();
  return runtime;
}

/** Polls a run (under `segment`: `tests` or `evals`) until it is terminal (or the deadline passes) and returns it. */
export async function waitForRun(test: TestApp, runId: string, timeoutMs = 30_000, segment: 'tests' | 'evals' = 'tests'): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { body } = await test.request('GET', `/v1/workflows/${segment}/runs/${runId}`);
    if (['completed', 'error', 'cancelled'].includes(body.lifecycle.status)) return body;
    if (Date.now() > deadline) throw new Error(`run ${runId} still ${body.lifecycle.status} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { ConfigError, configFromEnv, hostSearchPath } from '../config.js';
import { DEFAULT_LIMITS } from '../services/rate-limit.js';
import { spawnVerdict } from '../testing/processes.js';
import { withConfigurationTable } from './table.js';
import { readVariables, VARIABLES } from './variables.js';

const PACKAGES = fileURLToPath(new URL('../../../', import.meta.url));
const README = join(PACKAGES, '..', 'README.md');

function refusal(env: NodeJS.ProcessEnv): ConfigError {
  try {
    configFromEnv(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error;
  }
  assert.fail(`${JSON.stringify(env)} was accepted`);
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'testing' ? [] : sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') && !entry.name.endsWith('test-support.ts') ? [path] : [];
  });
}

describe('configuration', () => {
  test('defaults: an empty environment is a working embedded server', () => {
    const config = configFromEnv({});
    const threads = availableParallelism();
    assert.deepEqual(
      { ...config, model: undefined },
      {
        port: 8787,
        host: '127.0.0.1',
        dataDir: resolve('.verdict'),
        databaseUrl: null,
        databasePoolSize: 10,
        redisUrl: null,
        apiKey: null,
        worker: true,
        seedDemo: true,
        concurrency: Math.max(32, threads * 16),
        maxUnwrittenResults: 2048,
        maxRunningWorkflowRuns: 64,
        sandboxThreads: threads,
        sandboxMemoryMb: 128,
        maxOutputBytes: 4 * 1024 * 1024,
        checkTimeoutMs: 10_000,
        python: { interpreter: 'python3', packagesDir: null, memoryMb: 256, processes: undefined, lookupPath: hostSearchPath() },
        bodyLimitBytes: 10 * 1024 * 1024,
        maxFileBytes: 20 * 1024 * 1024,
        publicUrl: null,
        logRequests: false,
        logLevel: 'info',
        trustProxy: false,
        keyCacheMs: 2000,
        limits: DEFAULT_LIMITS,
        metricsToken: null,
        metricsPort: null,
        model: undefined,
        distributed: { prefix: 'verdict', windowPerRun: 2000, modelRateLimitPerSecond: null, lockDurationMs: 3000, stalledIntervalMs: 1000, drainTimeoutMs: 10_000, blockExecutionPickupMs: 10_000 },
      },
    );
    assert.equal(config.model, null, 'no model server unless one is configured');
    assert.equal(configFromEnv({}, {}, { concurrency: 64 }).concurrency, 64, "a kind of process's own default");
    assert.equal(configFromEnv({ VERDICT_CONCURRENCY: '5' }, {}, { concurrency: 64 }).concurrency, 5, 'the variable wins over it');
    assert.deepEqual(configFromEnv({ PORT: '  ', VERDICT_MODEL_CACHE: '' }).port, 8787, 'empty is unset');
  });

  test('every variable is read into its setting', () => {
    const config = configFromEnv({
      PORT: '9000',
      HOST: '0.0.0.0',
      VERDICT_DATA_DIR: '/srv/verdict',
      VERDICT_API_KEY: 'vk_ci',
      VERDICT_LOG_REQUESTS: '1',
      VERDICT_LOG_LEVEL: 'WARN',
      VERDICT_DATABASE_URL: 'postgresql://verdict:pw@db:5432/verdict',
      VERDICT_DATABASE_POOL_SIZE: '4',
      VERDICT_REDIS_URL: 'rediss://redis:6380',
      VERDICT_REDIS_PREFIX: 'staging',
      VERDICT_QUEUE_WINDOW: '500',
      VERDICT_WORKER_LOCK_MS: '10000',
      VERDICT_WORKER_STALLED_CHECK_MS: '2000',
      VERDICT_WORKER_DRAIN_MS: '30000',
      VERDICT_CONCURRENCY: '12',
      VERDICT_MAX_UNWRITTEN_RESULTS: '100',
      VERDICT_SANDBOX_THREADS: '3',
      VERDICT_SANDBOX_MEMORY_MB: '64',
      VERDICT_MAX_OUTPUT_BYTES: '1000',
      VERDICT_CHECK_TIMEOUT_MS: '500',
      VERDICT_BODY_LIMIT_BYTES: '2048',
      VERDICT_MAX_FILE_BYTES: '4096',
      VERDICT_MODEL_BASE_URL: 'https://models.example/v1',
      VERDICT_MODEL_API_KEY: 'sk-1',
      VERDICT_MODEL: 'llama3',
      VERDICT_EMBEDDING_MODEL: 'nomic',
      VERDICT_MODEL_CONCURRENCY: '3',
      VERDICT_MODEL_TIMEOUT_MS: '5000',
      VERDICT_MODEL_MAX_RETRIES: '0',
      VERDICT_MODEL_STRUCTURED_OUTPUT: 'json_object',
      VERDICT_MODEL_CACHE: 'ReadWrite',
      VERDICT_MODEL_RATE_LIMIT: '2.5',
      VERDICT_METRICS_TOKEN: 'scrape',
      VERDICT_METRICS_PORT: '9100',
      VERDICT_TRUST_PROXY: '10.0.0.0/8, 127.0.0.1',
      VERDICT_KEY_CACHE_MS: '5000',
      VERDICT_RATE_LIMIT_AUTH_FAILURES: '5/30s',
      VERDICT_RATE_LIMIT_KEY_REQUESTS: 'off',
      VERDICT_RATE_LIMIT_SESSIONS: '2 / h',
      VERDICT_RATE_LIMIT_RUN_ROWS: '100000/10m',
      VERDICT_MAX_STREAMS_PER_SESSION: '2',
      VERDICT_MAX_STREAMS_PER_ORGANIZATION: '9',
    });
    assert.deepEqual(
      [config.port, config.host, config.dataDir, config.apiKey, config.logRequests, config.logLevel, config.databaseUrl, config.databasePoolSize, config.redisUrl],
      [9000, '0.0.0.0', '/srv/verdict', 'vk_ci', true, 'warn', 'postgresql://verdict:pw@db:5432/verdict', 4, 'rediss://redis:6380'],
    );
    assert.deepEqual(config.distributed, { prefix: 'staging', windowPerRun: 500, modelRateLimitPerSecond: 2.5, lockDurationMs: 10_000, stalledIntervalMs: 2000, drainTimeoutMs: 30_000, blockExecutionPickupMs: 10_000 });
    assert.deepEqual(
      [config.concurrency, config.maxUnwrittenResults, config.sandboxThreads, config.sandboxMemoryMb, config.maxOutputBytes, config.checkTimeoutMs, config.bodyLimitBytes, config.maxFileBytes],
      [12, 100, 3, 64, 1000, 500, 2048, 4096],
    );
    assert.deepEqual(config.model, {
      baseURL: 'https://models.example/v1',
      apiKey: 'sk-1',
      defaultModel: 'llama3',
      embeddingModel: 'nomic',
      concurrency: 3,
      timeoutMs: 5000,
      maxRetries: 0,
      cacheMode: 'readwrite',
      cacheDir: '/srv/verdict/model-cache',
      structuredOutput: 'json_object',
    });
    assert.deepEqual([config.metricsToken, config.metricsPort, config.trustProxy, config.keyCacheMs], ['scrape', 9100, '10.0.0.0/8,127.0.0.1', 5000]);
    assert.deepEqual(config.limits, {
      authFailuresPerAddress: { count: 5, windowMs: 30_000 },
      requestsPerKey: null,
      sessionsPerKey: { count: 2, windowMs: 3_600_000 },
      runRowsPerOrganization: { count: 100_000, windowMs: 600_000 },
      streamsPerSession: 2,
      streamsPerOrganization: 9,
    });
    assert.equal(configFromEnv({ VERDICT_TRUST_PROXY: '1' }).trustProxy, 1);
    assert.equal(configFromEnv({ VERDICT_TRUST_PROXY: 'true' }).trustProxy, true);
    assert.equal(configFromEnv({}, { dataDir: '/elsewhere' }).dataDir, '/elsewhere');
    assert.equal(configFromEnv({ VERDICT_MODEL_CACHE: 'replay' }, { dataDir: '/elsewhere' }).model?.cacheDir, '/elsewhere/model-cache', 'the cache follows the data dir');
  });

  test('each kind of bad value refuses the start, naming the variable, the value and what it accepts', () => {
    const cases: [NodeJS.ProcessEnv, string][] = [
      [{ PORT: 'eighty' }, 'PORT (or --port) must be a whole number from 0 to 65535; got "eighty".'],
      [{ PORT: '70000' }, 'PORT (or --port) must be a whole number from 0 to 65535; got "70000".'],
      [{ VERDICT_QUEUE_WINDOW: '10.5' }, 'VERDICT_QUEUE_WINDOW must be a whole number of at least 1; got "10.5".'],
      [{ VERDICT_CONCURRENCY: '0' }, 'VERDICT_CONCURRENCY must be a whole number of at least 1; got "0".'],
      [{ VERDICT_MODEL_MAX_RETRIES: '-1' }, 'VERDICT_MODEL_MAX_RETRIES must be a whole number of at least 0; got "-1".'],
      [{ VERDICT_KEY_CACHE_MS: '60000' }, 'VERDICT_KEY_CACHE_MS must be a whole number from 1 to 5000; got "60000".'],
      [{ VERDICT_MODEL_RATE_LIMIT: 'fast' }, 'VERDICT_MODEL_RATE_LIMIT must be a positive number; got "fast".'],
      [{ VERDICT_MODEL_CACHE: 'on' }, 'VERDICT_MODEL_CACHE must be one of off, readwrite, replay; got "on".'],
      [{ VERDICT_LOG_REQUESTS: 'yes' }, 'VERDICT_LOG_REQUESTS must be 1 or true (on), 0 or false (off); got "yes".'],
      [{ VERDICT_TRUST_PROXY: 'my-proxy' }, 'VERDICT_TRUST_PROXY must be true, false, a hop count such as 1, or addresses and CIDR ranges such as 10.0.0.0/8,127.0.0.1; got "my-proxy".'],
      [{ VERDICT_RATE_LIMIT_SESSIONS: '20/1w' }, 'VERDICT_RATE_LIMIT_SESSIONS must be a count per window such as 20/1m (the window in ms, s, m or h), or off; got "20/1w".'],
      [{ VERDICT_MODEL_BASE_URL: 'localhost:8000' }, 'VERDICT_MODEL_BASE_URL must be a URL starting with http:// or https://, such as http://127.0.0.1:11434/v1; got "localhost:8000".'],
      [
        { VERDICT_DATABASE_URL: 'mysql://verdict:s3cret@db/verdict' },
        'VERDICT_DATABASE_URL must be a URL starting with postgres:// or postgresql://, such as postgres://verdict@db/verdict; got "mysql://verdict:***@db/verdict".',
      ],
    ];
    for (const [env, message] of cases) {
      const error = refusal(env);
      assert.equal(error.message, message);
      assert.equal(error.variable, Object.keys(env)[0]);
    }
    assert.doesNotMatch(refusal({ VERDICT_DATABASE_URL: 'mysql://verdict:s3cret@db/verdict' }).message, /s3cret/, 'a password is never printed');
  });

  test('every variable that is not free text refuses garbage, and none is read silently as its default', () => {
    for (const [name, definition] of Object.entries(VARIABLES)) {
      if (definition.kind.accepted === 'any text') continue;
      assert.throws(() => readVariables({ [name]: 'not a value!' }), (error: unknown) => error instanceof ConfigError && error.variable === name, name);
    }
    for (const [name, kind] of [['VERDICT_RATE_LIMIT_AUTH_FAILURES', ['20', '20/', 'x/1m', '-1/1s', '0/1s', '1/0s']], ['VERDICT_TRUST_PROXY', ['10.0.0.0/33', '10.0.0.1,', 'TRUE-ish']]] as const) {
      for (const bad of kind) assert.throws(() => readVariables({ [name]: bad }), ConfigError, `${name}=${bad}`);
    }
  });

  test("the README's configuration table is the one generated from the variables, and lists each once", () => {
    const readme = readFileSync(README, 'utf8');
    assert.equal(readme, withConfigurationTable(readme), 'README.md is out of date: run node scripts/configuration-table.mjs');
    for (const name of Object.keys(VARIABLES)) assert.equal(readme.split(`| \`${name}\``).length - 1, 1, `${name} has one row`);
  });

  test('only the configuration module reads the environment', () => {
    const readers: string[] = [];
    for (const pkg of ['server', 'cli']) {
      const root = join(PACKAGES, pkg, 'src');
      for (const path of sourceFiles(root)) {
        const where = `${pkg}/${relative(root, path)}`;
        if (where === 'server/config.ts' || where.startsWith('server/config/')) continue;
        const code = readFileSync(path, 'utf8');
        // A read names a variable (`env.VERDICT_X`, `env['X']`, `env[name]`); writing a flag's value into a copy is not one.
        const reads = [...code.matchAll(/\benv(?:\.(?:VERDICT_\w+|PORT|HOST)\b(?!\s*=[^=])|\[)/g)].length + (pkg === 'server' ? [...code.matchAll(/process\.env/g)].length : 0);
        if (reads > 0) readers.push(where);
      }
    }
    assert.deepEqual(readers, []);
  });

  describe('a process that refuses to start', () => {
    for (const [command, variable, value] of [
      ['serve', 'VERDICT_SANDBOX_MEMORY_MB', 'lots'],
      ['worker', 'VERDICT_WORKER_DRAIN_MS', '-5'],
    ] as const) {
      test(`verdict ${command} with ${variable}=${value} exits non-zero with the message`, async () => {
        const dataDir = await mkdtemp(join(tmpdir(), 'verdict-config-'));
        try {
          const child = spawnVerdict([command], { PATH: process.env.PATH, VERDICT_DATA_DIR: dataDir, VERDICT_REDIS_URL: 'redis://127.0.0.1:9', [variable]: value });
          const [code] = (await once(child.child, 'close')) as [number | null];
          assert.equal(code, 3, child.output.join('\n'));
          assert.deepEqual(child.output, [`verdict: ${variable} must be a whole number of at least 1; got "${value}".`]);
        } finally {
          await rm(dataDir, { recursive: true, force: true });
        }
      });
    }
  });
});

import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sleep } from './fixtures.js';
import { freshPostgresDatabase } from './harness.js';

/** The `verdict` command of this checkout (run after the build). */
export const VERDICT_CLI = fileURLToPath(new URL('../../../cli/bin/verdict.js', import.meta.url));

export interface VerdictProcess {
  child: ChildProcess;
  output: string[];
  /** Resolves with the first output line matching `pattern` (already printed or to come). */
  line(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** SIGKILL, and waits for the process to be gone. */
  kill(): Promise<void>;
}

/** Starts `verdict <args>` as its own process, collecting what it prints. */
export function spawnVerdict(args: string[], env: NodeJS.ProcessEnv): VerdictProcess {
  const child = spawn(process.execPath, [VERDICT_CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  const collect = (chunk: Buffer) => output.push(...chunk.toString('utf8').split('\n').filter(Boolean));
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  return {
    child,
    output,
    async line(pattern, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = output.find((text) => pattern.test(text));
        if (found) return found;
        if (child.exitCode !== null || Date.now() > deadline) throw new Error(`verdict ${args.join(' ')} never printed ${pattern}:\n${output.join('\n')}`);
        await sleep(20);
      }
    },
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    },
  };
}

export async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  return port;
}

/** A JSON client of one server and key; an answer of 300 or more throws with its body. */
export function jsonClient(baseUrl: string, apiKey: string) {
  return async function call(method: string, path: string, body?: unknown): Promise<any> {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { 'api-key': apiKey, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${text}`);
    return text ? JSON.parse(text) : undefined;
  };
}

/**
 * A workflow of one JavaScript function block (`code`, which returns `{ doubled: input.n * 2 }`)
 * and `tests` tests of it, n = 0, 1, …, each expecting `doubled` to be 2n; created over HTTP with
 * `call` (jsonClient). Returns the workflow id.
 */
export async function doublingSuite(call: ReturnType<typeof jsonClient>, code: string, tests: number): Promise<string> {
  const workflow = await call('POST', '/v1/workflows', { name: 'doubling' });
  const block = await call('POST', '/v1/workflows/blocks', {
    workflow_id: workflow.id,
    type: 'function',
    config: { language: 'javascript', code, output_schema: {}, timeout_seconds: 60 },
  });
  for (let first = 0; first < tests; first += 25) {
    const batch = Array.from({ length: Math.min(25, tests - first) }, (_, index) => first + index);
    await Promise.all(
      batch.map((n) =>
        call('POST', '/v1/workflows/tests', {
          workflow_id: workflow.id,
          target: { type: 'block', block_id: block.id },
          source: { type: 'manual', handle_inputs: { 'input-json-0': { type: 'json', data: { n } } } },
          assertion: { target: { output_handle_id: 'output-json-0', path: 'doubled' }, condition: { kind: 'equals', expected: n * 2 } },
        }),
      ),
    );
  }
  return workflow.id;
}

export interface ApiOnlyDeployment {
  /** The environment of the deployment: `spawnVerdict(['worker', …], env)` starts a worker of it. */
  env: NodeJS.ProcessEnv;
  baseUrl: string;
  api: VerdictProcess;
  /** Kills the API process and removes its database and data directory (kill its workers first). */
  close(): Promise<void>;
}

/**
 * A scaled-out deployment's API process (`serve --no-worker`), serving, on a fresh PostgreSQL
 * database, a Redis prefix and a data directory of its own.
 */
export async function startApiOnlyProcess(name: string, apiKey: string, redisUrl: string, extraEnv: NodeJS.ProcessEnv = {}): Promise<ApiOnlyDeployment> {
  const database = await freshPostgresDatabase();
  const dataDir = await mkdtemp(join(tmpdir(), `verdict-${name}-`));
  const port = await freePort();
  const env = {
    ...process.env,
    VERDICT_DATABASE_URL: database.url,
    VERDICT_REDIS_URL: redisUrl,
    VERDICT_REDIS_PREFIX: `verdict-${name}-${randomUUID()}`,
    VERDICT_API_KEY: apiKey,
    VERDICT_DATA_DIR: dataDir,
    VERDICT_SANDBOX_THREADS: '2',
    ...extraEnv,
  };
  const api = spawnVerdict(['serve', '--no-worker', '--no-demo', '--port', String(port)], env);
  try {
    await api.line(/Verdict is serving/);
  } catch (error) {
    // A process left running keeps the test file's process alive after its suite failed.
    await api.kill();
    await database.drop();
    throw error;
  }
  return {
    env,
    baseUrl: `http://127.0.0.1:${port}`,
    api,
    async close() {
      await api.kill();
      await database.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

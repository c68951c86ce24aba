// What bench/throughput, bench/api and bench/cancel share: the workload, seeding a store before the
// server starts, starting `verdict serve` as a child process, an HTTP client, sampling, statistics.
// Build first (`npx tsc -b`): everything here uses the compiled server.
import { spawn, spawnSync } from 'node:child_process';
import http from 'node:http';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import { CreateWorkflowBlockRequest, CreateWorkflowEdgeRequest, CreateWorkflowTestRequest } from '../../packages/core/dist/index.js';
import { configFromEnv, createRuntime } from '../../packages/server/dist/index.js';
import { createBlock, createEdge } from '../../packages/server/dist/services/graph.js';
import { createTest } from '../../packages/server/dist/services/tests.js';
import { insertWorkflow } from '../../packages/server/dist/store/workflows.js';

export const API_KEY = 'vk_bench_0123456789abcdefghijklmnop';
const CLI = new URL('../../packages/cli/bin/verdict.js', import.meta.url).pathname;
/** The Node flags of the `verdict` command's `#!/usr/bin/env -S node …` line: the server runs as `npx verdict serve` would. */
const CLI_NODE_FLAGS = (await readFile(CLI, 'utf8')).split('\n', 1)[0].split(/\s+/).slice(3);
const TERMINAL = ['completed', 'error', 'cancelled'];

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A realistic small function block: the total of an invoice's five line items. */
export const LINE_ITEM_TOTAL = `function transform(input) {
  let total = 0;
  for (const item of input.line_items) total += item.price * item.qty;
  return { invoice: input.invoice, total: Math.round(total * 100) / 100 };
}`;

/** Invoice number n: its five line items and the total they must add up to. */
export function invoice(n) {
  const line_items = Array.from({ length: 5 }, (_, i) => ({ sku: `SKU-${n}-${i}`, price: 9.99 + i, qty: 1 + ((n + i) % 4) }));
  const total = Math.round(line_items.reduce((sum, item) => sum + item.price * item.qty, 0) * 100) / 100;
  return { input: { invoice: `INV-${n}`, line_items }, total };
}

/** The test of invoice n: its input frozen on `input-json-0`, `equals` on the output's `total`. */
export function lineItemTest(n) {
  const { input, total } = invoice(n);
  return {
    source: { type: 'manual', handle_inputs: { 'input-json-0': { type: 'json', data: input } } },
    assertion: { target: { output_handle_id: 'output-json-0', path: 'total' }, condition: { kind: 'equals', expected: total } },
  };
}

export function machineDescription() {
  const cpus = os.cpus();
  return `${cpus.length} CPUs (${cpus[0]?.model.trim() ?? 'unknown model'}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB memory, Node ${process.version}, ${os.type()} ${os.release()}`;
}

export async function temporaryDataDir(name) {
  const dir = await mkdtemp(join(os.tmpdir(), `verdict-bench-${name}-`));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * Creates a workflow with one function block and `count` tests in the SQLite store of `dataDir`,
 * before any server runs on it: the compiled services validate and write each test exactly as
 * `POST /v1/workflows/tests` does, without paying for an HTTP request per test. With `inputSchema`,
 * a start_json block of that `json_schema` feeds the function block (start_json → function), as
 * Retab's workflows do; `language` and `outputSchema` go to the function block's config.
 */
export async function seedWorkflow(dataDir, { name, code, language = 'javascript', inputSchema = null, outputSchema = {}, timeoutSeconds = 60, count, testFor }) {
  const started = performance.now();
  const runtime = await createRuntime(configFromEnv({ VERDICT_DATA_DIR: dataDir, VERDICT_API_KEY: API_KEY }, { worker: false, seedDemo: false }));
  try {
    const { services } = runtime;
    const { organization_id: organizationId } = await services.store.db.selectFrom('api_keys').select('organization_id').executeTakeFirstOrThrow();
    const workflow = await insertWorkflow(services.store.db, organizationId, { name, description: '' });
    const addBlock = (type, config) => createBlock(services, organizationId, CreateWorkflowBlockRequest.parse({ workflow_id: workflow.id, type, config }));
    const block = await addBlock('function', { language, code, output_schema: outputSchema, timeout_seconds: timeoutSeconds });
    if (inputSchema) {
      const start = await addBlock('start_json', { json_schema: inputSchema });
      await createEdge(services, organizationId, CreateWorkflowEdgeRequest.parse({ workflow_id: workflow.id, source_block: start.id, source_handle: 'output-json-0', target_block: block.id, target_handle: 'input-json-0' }));
    }
    for (let n = 0; n < count; n++) {
      await createTest(services, organizationId, CreateWorkflowTestRequest.parse({ workflow_id: workflow.id, target: { type: 'block', block_id: block.id }, ...testFor(n) }));
    }
    return { workflowId: workflow.id, blockId: block.id, seconds: (performance.now() - started) / 1000 };
  } finally {
    await runtime.close();
  }
}

async function freePort() {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  server.close();
  return port;
}

/**
 * `verdict serve` on `dataDir` as a child process. `script` replaces the CLI (a module that starts
 * the server itself, e.g. to report on its executor over IPC); `nodeArgs` go to node (--cpu-prof).
 */
export async function startVerdict(dataDir, { script = CLI, nodeArgs = [], env = {} } = {}) {
  const port = await freePort();
  // Unsupervised: the pid whose CPU and memory the benchmarks read must be the server's, not its supervisor's.
  const args = [...CLI_NODE_FLAGS, ...nodeArgs, script, 'serve', '--port', String(port), '--data-dir', dataDir, '--no-demo', ...(script === CLI ? ['--no-supervise'] : [])];
  const child = spawn(process.execPath, args, {
    env: { ...process.env, VERDICT_API_KEY: API_KEY, ...env },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const output = [];
  for (const stream of [child.stdout, child.stderr]) stream.on('data', (chunk) => output.push(...chunk.toString('utf8').split('\n').filter(Boolean)));
  const deadline = Date.now() + 30_000;
  while (!output.some((line) => line.includes('Verdict is serving'))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`verdict serve did not start:\n${output.join('\n')}`);
    }
    await sleep(20);
  }
  const baseUrl = `http://127.0.0.1:${port}`;
  return {
    child,
    pid: child.pid,
    baseUrl,
    call: client(baseUrl),
    async stop() {
      if (child.exitCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(killer);
    },
  };
}

/**
 * `call(method, path, body)`: the parsed answer; throws on any status of 300 or more. Over
 * node:http with a keep-alive agent: the client shares the machine's cores with the server, and
 * fetch() cost it 2-3x the CPU per request (0.6-1.1 ms vs 0.3 ms), 20-25 polls per timed run.
 */
export function client(baseUrl) {
  const { hostname, port } = new URL(baseUrl);
  const agent = new http.Agent({ keepAlive: true });
  return function call(method, path, body) {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers = { 'api-key': API_KEY, ...(payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }) };
    return new Promise((resolve, reject) => {
      const request = http.request({ agent, hostname, port, method, path, headers }, (response) => {
        const chunks = [];
        response.on('data', (chunk) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if (response.statusCode >= 300) reject(new Error(`${method} ${path}: ${response.statusCode} ${text}`));
          else resolve(text ? JSON.parse(text) : undefined);
        });
      });
      request.on('error', reject);
      request.end(payload);
    });
  };
}

export const isFinished = (run) => TERMINAL.includes(run.lifecycle.status);

/** Polls `GET run` every `everyMs` until `done(run)`; returns that run. */
export async function waitForRun(call, runId, { done = isFinished, everyMs = 10, timeoutMs = 900_000 } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const run = await call('GET', `/v1/workflows/tests/runs/${runId}`);
    if (done(run)) return run;
    if (Date.now() > deadline) throw new Error(`run ${runId} still ${run.lifecycle.status} after ${timeoutMs} ms: ${JSON.stringify(run.counts)}`);
    await sleep(everyMs);
  }
}

async function memoryStatusKb(pid) {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  return { rssKb: Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0), hwmKb: Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) };
}

const CLOCK_TICKS_PER_SECOND = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100;

/**
 * The text of /proc/<pid>/stat: the process's name, its parent, and the CPU seconds it has used in
 * user and kernel mode, alone and with those of the children it has reaped (a process that reaps
 * its workers, or a shell that waited for a command, accounts for all of them). `comm` may hold
 * spaces and parentheses, so the fields are split after the last ')'.
 */
export function parseProcStat(text) {
  const close = text.lastIndexOf(')');
  const fields = text.slice(close + 2).split(' '); // from field 3 (state) on
  const [utime, stime, cutime, cstime] = fields.slice(11, 15).map(Number);
  return {
    name: text.slice(text.indexOf('(') + 1, close),
    ppid: Number(fields[1]),
    cpuSeconds: { own: (utime + stime) / CLOCK_TICKS_PER_SECOND, withReapedChildren: (utime + stime + cutime + cstime) / CLOCK_TICKS_PER_SECOND },
  };
}

/** Resident memory of a process now, in MB. */
export async function residentMb(pid) {
  return (await memoryStatusKb(pid)).rssKb / 1024;
}

/** Samples the resident memory of a process from /proc every `everyMs`; `stop()` gives the peak seen and the kernel's high-water mark. */
export function sampleMemory(pid, everyMs = 100) {
  let peakRssKb = 0;
  let hwmKb = 0;
  const sample = async () => {
    const { rssKb, hwmKb: kernelPeakKb } = await memoryStatusKb(pid);
    peakRssKb = Math.max(peakRssKb, rssKb);
    hwmKb = Math.max(hwmKb, kernelPeakKb);
  };
  void sample();
  const timer = setInterval(() => void sample(), everyMs);
  return {
    async stop() {
      clearInterval(timer);
      await sample();
      return { peakRssMb: peakRssKb / 1024, hwmMb: hwmKb / 1024 };
    },
  };
}

/**
 * Sends `request()` every `everyMs` whether or not earlier ones have answered (open loop, so that
 * a server stall shows in every request it delays, not in one), until `stop()`, which gives each
 * answered request's send time and latency in ms, and the number that failed.
 */
export function latencyPoller(request, everyMs) {
  const samples = [];
  const outstanding = new Set();
  let failures = 0;
  const send = () => {
    const sentAt = performance.now();
    const answered = request().then(
      () => samples.push({ sentAt, ms: performance.now() - sentAt }),
      () => failures++,
    );
    outstanding.add(answered);
    void answered.finally(() => outstanding.delete(answered));
  };
  send();
  const timer = setInterval(send, everyMs);
  return {
    async stop() {
      clearInterval(timer);
      await Promise.all(outstanding);
      return { samples, failures };
    },
  };
}

export function percentile(values, fraction) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))];
}

/** `p50 1.2 ms, p99 3.4 ms, max 5.6 ms (n = 100)` */
export function latencySummary(values) {
  if (values.length === 0) return 'no samples';
  const ms = (value) => `${value.toFixed(value < 10 ? 2 : 1)} ms`;
  return `p50 ${ms(percentile(values, 0.5))}, p99 ${ms(percentile(values, 0.99))}, max ${ms(values.reduce((a, b) => Math.max(a, b), 0))} (n = ${values.length})`;
}

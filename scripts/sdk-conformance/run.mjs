#!/usr/bin/env node
// Starts a throwaway Verdict (this checkout, embedded SQLite in a temporary directory, a free
// port), runs the scenario of each official Retab SDK that setup.mjs built (Python and Node, at
// each commit) against it, and prints SDK × call → pass/fail. Exits 1 when any call failed.
//
//   node scripts/build.mjs
//   node scripts/sdk-conformance/run.mjs [--cache /work/sdk-check] [--commits 393edb37,61d9c44e] [--report report.md]
//
// Not part of `npm test`: it needs a clone of Retab's repository and network installs (setup.mjs).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DEFAULT_CACHE, DEFAULT_COMMITS, sdkPaths } from './setup.mjs';
import { startFakeModelServer } from '../../packages/server/dist/testing/fake-model-server.js';

const here = dirname(fileURLToPath(import.meta.url));
const projectRoot = resolve(here, '../..');

function freePort() {
  return new Promise((done, fail) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => done(port));
    });
    probe.on('error', fail);
  });
}

/**
 * The model behind extract blocks: voters that disagree (every third answer differs), so that an
 * experiment's metrics have something to measure; slow enough that a run can be cancelled while live.
 */
function disagreeingModel() {
  return startFakeModelServer({ chat: (request) => ({ content: JSON.stringify({ total: request.index % 3 === 2 ? 1200 : 1234.56 }), delayMs: 150 }) });
}

async function startVerdict() {
  const model = await disagreeingModel();
  const dataDir = mkdtempSync(join(tmpdir(), 'verdict-sdk-conformance-'));
  const port = await freePort();
  const apiKey = `vk_conformance_${randomBytes(12).toString('hex')}`;
  const server = spawn(process.execPath, [join(projectRoot, 'packages/cli/bin/verdict.js'), 'serve', '--port', String(port), '--data-dir', dataDir, '--no-demo'], {
    env: { ...process.env, VERDICT_API_KEY: apiKey, VERDICT_RATE_LIMIT_KEY_REQUESTS: 'off', VERDICT_LOG_REQUESTS: '0', VERDICT_MODEL_BASE_URL: model.baseURL, VERDICT_MODEL: 'fake-model' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  server.stdout.on('data', (chunk) => (log += chunk));
  server.stderr.on('data', (chunk) => (log += chunk));
  const baseUrl = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 150; i++) {
    if (server.exitCode !== null) throw new Error(`Verdict exited with ${server.exitCode}:\n${log}`);
    try {
      if ((await fetch(`${baseUrl}/healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    await new Promise((done) => setTimeout(done, 200));
  }
  const stop = async () => {
    if (server.exitCode === null) {
      server.kill('SIGTERM');
      await new Promise((done) => server.once('exit', done));
    }
    rmSync(dataDir, { recursive: true, force: true });
    await model.close();
  };
  return { baseUrl, apiKey, stop, log: () => log };
}

/** Runs one scenario process; its stdout is one JSON object per call. */
function runScenario(command, args) {
  return new Promise((done) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.stderr.on('data', (chunk) => (err += chunk));
    child.on('close', (code) => {
      const rows = out
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line));
      if (code !== 0) rows.push({ call: '(scenario crashed)', route: '-', ok: false, error: `exit ${code}: ${err.trim().split('\n').slice(-3).join(' | ')}` });
      done(rows);
    });
  });
}

function table(results) {
  const lines = [];
  for (const { sdk, rows } of results) {
    lines.push('', `== ${sdk}`);
    const width = Math.max(...rows.map((row) => row.call.length), 10);
    for (const row of rows) lines.push(`  ${row.ok ? 'pass' : 'FAIL'}  ${row.call.padEnd(width)}  ${row.route}${row.ok ? '' : `\n        ${row.error}`}`);
  }
  return lines.join('\n');
}

function markdown(results, passed, failed) {
  const lines = [`# Official Retab SDKs against Verdict`, '', `${passed} passed, ${failed} failed.`, '', '| SDK | passed | failed |', '|---|---|---|'];
  for (const { sdk, rows } of results) lines.push(`| ${sdk} | ${rows.filter((r) => r.ok).length} | ${rows.filter((r) => !r.ok).length} |`);
  for (const { sdk, rows } of results) {
    lines.push('', `## ${sdk}`, '', '| call | route | result | error |', '|---|---|---|---|');
    for (const row of rows) lines.push(`| ${row.call} | \`${row.route}\` | ${row.ok ? 'pass' : '**FAIL**'} | ${(row.error ?? '').replace(/\|/g, '\\|').replace(/\n/g, ' ')} |`);
  }
  return lines.join('\n') + '\n';
}

const { values } = parseArgs({
  options: {
    cache: { type: 'string', default: DEFAULT_CACHE },
    commits: { type: 'string', default: DEFAULT_COMMITS.join(',') },
    report: { type: 'string' },
  },
});
const commits = values.commits.split(',');
for (const commit of commits) {
  if (!existsSync(sdkPaths(resolve(values.cache), commit).built)) {
    console.error(`The SDKs of ${commit} are not built under ${values.cache}: run setup.mjs --retab-repo <clone> first.`);
    process.exit(2);
  }
}

const verdict = await startVerdict();
const results = [];
try {
  for (const commit of commits) {
    const paths = sdkPaths(resolve(values.cache), commit);
    const connection = ['--base-url', verdict.baseUrl, '--api-key', verdict.apiKey];
    results.push({ sdk: `python@${commit}`, rows: await runScenario(paths.python, [join(here, 'scenario.py'), ...connection]) });
    results.push({ sdk: `node@${commit}`, rows: await runScenario(process.execPath, [join(here, 'scenario.mjs'), '--sdk', paths.node, ...connection]) });
  }
} finally {
  await verdict.stop();
}

const all = results.flatMap((result) => result.rows);
const passed = all.filter((row) => row.ok).length;
const failed = all.length - passed;
console.log(table(results));
for (const { sdk, rows } of results) console.log(`${sdk}: ${rows.filter((r) => r.ok).length} passed, ${rows.filter((r) => !r.ok).length} failed`);
console.log(`${passed} passed, ${failed} failed`);
if (values.report) writeFileSync(values.report, markdown(results, passed, failed));
process.exit(failed === 0 && all.length > 0 ? 0 : 1);

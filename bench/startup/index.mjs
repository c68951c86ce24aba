#!/usr/bin/env node
// How long `verdict serve` (what `npm start` runs) takes to print "Verdict is serving", supervised
// (the default: a parent process that starts the server in a child) against --no-supervise, in
// alternating rounds on the same data directory (created by a first start that is not counted).
// Also the memory of the supervising parent, and a bare Node start for scale (what the parent adds at best). Run after the build: node bench/startup/index.mjs [rounds]
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const VERDICT = fileURLToPath(new URL('../../packages/cli/bin/verdict.js', import.meta.url));
const rounds = Number(process.argv[2] ?? 5);

/** Starts the server, waits for its first line, measures, and stops it with SIGTERM. */
async function timeToReady(dataDir, extraArgs) {
  const startedAt = performance.now();
  // Spawned through its shebang, as npm start does (the V8 flags of bin/verdict.js apply).
  const server = spawn(VERDICT, ['serve', '--no-demo', '--port', '0', ...extraArgs], { env: { ...process.env, VERDICT_DATA_DIR: dataDir }, stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  server.stdout.setEncoding('utf8');
  while (!output.includes('Verdict is serving')) {
    const [chunk] = await once(server.stdout, 'data');
    output += chunk;
  }
  const readyMs = performance.now() - startedAt;
  const status = await readFile(`/proc/${server.pid}/status`, 'utf8');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
  server.stdout.resume();
  server.kill('SIGTERM');
  await once(server, 'exit');
  return { readyMs, rssKb };
}

/** A Node process that does nothing: what the supervisor should add, at best. */
async function bareNodeMs() {
  const startedAt = performance.now();
  await once(spawn(process.execPath, ['-e', '0']), 'exit');
  return performance.now() - startedAt;
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

const dataDir = await mkdtemp(join(tmpdir(), 'verdict-bench-startup-'));
try {
  await timeToReady(dataDir, ['--no-supervise']);
  const samples = { supervised: [], unsupervised: [], bareNode: [] };
  const parentRss = [];
  const loadBefore = loadavg()[0];
  for (let round = 0; round < rounds; round++) {
    const supervised = await timeToReady(dataDir, []);
    samples.supervised.push(supervised.readyMs);
    parentRss.push(supervised.rssKb);
    samples.unsupervised.push((await timeToReady(dataDir, ['--no-supervise'])).readyMs);
    samples.bareNode.push(await bareNodeMs());
  }
  const supervisedMs = median(samples.supervised);
  const unsupervisedMs = median(samples.unsupervised);
  console.log(`rounds: ${rounds}; load average (1 min) before ${loadBefore.toFixed(2)}, after ${loadavg()[0].toFixed(2)}`);
  console.log(`--no-supervise: median ${unsupervisedMs.toFixed(0)} ms to ready (${samples.unsupervised.map((ms) => ms.toFixed(0)).join(', ')})`);
  console.log(`supervised:     median ${supervisedMs.toFixed(0)} ms to ready (${samples.supervised.map((ms) => ms.toFixed(0)).join(', ')})`);
  console.log(`a bare Node start (node -e 0): median ${median(samples.bareNode).toFixed(0)} ms`);
  console.log(`supervision adds ${(supervisedMs - unsupervisedMs).toFixed(0)} ms (median against median); the supervising parent holds ${(median(parentRss) / 1024).toFixed(0)} MB RSS`);
} finally {
  await rm(dataDir, { recursive: true, force: true });
}

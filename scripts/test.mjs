#!/usr/bin/env node
// Runs every compiled test file (packages/*/dist/**/*.test.js) with node:test.
// When PostgreSQL or Redis binaries are on this machine, starts throwaway servers on loopback for
// the run (see scripts/services.mjs) so the same suites also cover the scale-out stores.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { startTestServices } from './services.mjs';

function findTests(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (name === 'node_modules') continue;
    if (statSync(path).isDirectory()) findTests(path, out);
    else if (name.endsWith('.test.js')) out.push(path);
  }
  return out;
}

/** Suites this run cannot cover, each with why: a green run without them is not full coverage. */
function skippedSuites(env) {
  const skipped = [];
  if (!env.VERDICT_TEST_DATABASE_URL) skipped.push('PostgreSQL not installed or not started: every store test runs on SQLite only');
  if (!env.VERDICT_TEST_REDIS_URL) skipped.push('redis-server not installed or not started: distributed-executor and scale-out tests do not run');
  if (!existsSync('/usr/bin/chromium')) skipped.push('/usr/bin/chromium not installed: the dashboard tests in a browser do not run');
  return skipped;
}

const filters = process.argv.slice(2);
const files = ['core', 'sdk', 'server', 'cli']
  .flatMap((pkg) => {
    try {
      return findTests(join('packages', pkg, 'dist'));
    } catch {
      return [];
    }
  })
  .filter((file) => filters.length === 0 || filters.some((f) => file.includes(f)))
  .sort();

const services = await startTestServices();
const skipped = skippedSuites({ ...process.env, ...services.env });
for (const line of skipped) console.error(`# skipped: ${line}`);
if (skipped.length > 0 && process.env.CI === 'true') {
  console.error('# CI runs every suite: install what is missing (.ci/run does) or the run is not full coverage.');
  await services.stop();
  process.exit(1);
}
let status;
try {
  const result = spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...files], {
    stdio: 'inherit',
    env: { ...process.env, ...services.env },
  });
  status = result.status ?? 1;
} finally {
  await services.stop();
}
process.exit(status);

#!/usr/bin/env node
// Runs every compiled test file (packages/*/dist/**/*.test.js) with node:test.
// When PostgreSQL or Redis binaries are on this machine, starts throwaway servers on loopback for
// the run (see scripts/services.mjs) so the same suites also cover the scale-out stores.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
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
let status = 1;
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

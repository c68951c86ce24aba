#!/usr/bin/env node
// `npm run bench [name…]`: runs bench/<name>/index.mjs for each benchmark (all by default), one
// after another so they do not compete for the machine's cores.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const wanted = process.argv.slice(2);
const names = readdirSync('bench').filter((name) => existsSync(join('bench', name, 'index.mjs')) && (wanted.length === 0 || wanted.includes(name)));
let failed = 0;
for (const name of names) {
  console.log(`\n=== bench/${name} ===`);
  const result = spawnSync(process.execPath, [join('bench', name, 'index.mjs')], { stdio: 'inherit' });
  if (result.status !== 0) failed++;
}
process.exit(failed > 0 ? 1 : 0);

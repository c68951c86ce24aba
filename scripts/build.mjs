#!/usr/bin/env node
// `tsc -b` for every package. The `verdict` command (packages/cli/bin/verdict.js) is a versioned
// file that imports the build, so npm can link it before this has run.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const result = spawnSync(process.execPath, [tsc, '-b'], { stdio: 'inherit' });
if (result.status !== 0) process.exit(result.status ?? 1);

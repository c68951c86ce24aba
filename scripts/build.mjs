#!/usr/bin/env node
// `tsc -b` for every package, then make the CLI entry executable (tsc does not set modes, and
// npm linked the `verdict` bin before this build created the file).
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const result = spawnSync(process.execPath, [tsc, '-b'], { stdio: 'inherit' });
if (result.status !== 0) process.exit(result.status ?? 1);
const bin = 'packages/cli/dist/bin.js';
if (existsSync(bin)) chmodSync(bin, 0o755);

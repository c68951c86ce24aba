#!/usr/bin/env -S node --max-semi-space-size=2
// The server allocates short-lived rows and messages at a high rate: V8's default 16 MB young
// semi-spaces let a 100,000-test run peak at 336 MB RSS; 2 MB keep it under 280 MB at the same speed
// (docs/benchmarks.md). The flag lives here so `npx verdict`, `npm start` and the benchmarks agree.
import { buildProgram } from './program.js';

buildProgram()
  .parseAsync(process.argv)
  .catch((error: unknown) => {
    console.error(`verdict: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(3);
  });

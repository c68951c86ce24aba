#!/usr/bin/env -S node --max-semi-space-size=2
// The `verdict` command. This file is versioned (not built) so that `npm install` links it before
// the build has created dist/. The server allocates short-lived rows and messages at a high rate:
// V8's default 16 MB young semi-spaces let a 100,000-test run peak at 336 MB RSS; 2 MB keep it
// under 280 MB at the same speed (docs/benchmarks.md). `npm start` and the benchmarks run this file.
import '../dist/bin.js';

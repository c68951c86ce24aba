#!/usr/bin/env -S node --max-semi-space-size=4 --heap-growing-percent=50
// The `verdict` command. This file is versioned (not built) so that `npm install` links it before
// the build has created dist/. The server allocates short-lived rows and messages at a high rate,
// and V8's defaults let its heap swell between collections: a 100,000-test run peaked at 336 MB
// RSS with 16 MB young semi-spaces (311 MB with 8 MB). 4 MB semi-spaces and a 1.5x growth factor
// keep it near 250 MB; 2 MB ones cost ~10 % of throughput in promotions and full collections
// (docs/benchmarks.md). Helper threads size their young generation themselves (thread-entry.ts).
// `npm start` and the benchmarks run this file.
import '../dist/bin.js';

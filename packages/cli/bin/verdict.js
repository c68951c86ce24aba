#!/usr/bin/env -S node --max-semi-space-size=2 --heap-growing-percent=50
// The `verdict` command. This file is versioned (not built) so that `npm install` links it before
// the build has created dist/. The server allocates short-lived rows and messages at a high rate,
// and V8's defaults let its heap swell between collections: a 100,000-test run peaked at 336 MB
// RSS with 16 MB young semi-spaces, and at ~300 MB with 2 MB ones once runs went faster (its old
// generation grew 4x its 32 MB of live data before each full collection). 2 MB semi-spaces and a
// 1.5x growth factor keep it near 220 MB at about the same speed (docs/benchmarks.md).
// `npm start` and the benchmarks run this file.
import '../dist/bin.js';

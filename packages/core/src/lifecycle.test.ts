import assert from 'node:assert/strict';
import { test } from 'node:test';
import { progressOf } from './lifecycle.js';

test('progressOf counts cancelled tests apart from those that ran, and live ones apart from both', () => {
  const counts = {
    lifecycle_counts: { pending: 1, queued: 2, running: 3, completed: 4, error: 5, cancelled: 6 },
    outcome: { passed: 2, failed: 1, blocked: 1 },
  };
  assert.deepEqual(progressOf(counts), { ran: 9, cancelled: 6, live: 6 });
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CrashHistory, RESTART_LIMIT } from './restart-policy.js';

test('crashes in quick succession are restarted after doubling pauses, and the limit-th one within the window is not', () => {
  const history = new CrashHistory();
  const decisions = Array.from({ length: RESTART_LIMIT.crashes }, (_, index) => history.record(1_000 + index * 1_000));
  assert.deepEqual(decisions, [
    { restart: true, pauseMs: 500, recentCrashes: 1 },
    { restart: true, pauseMs: 1_000, recentCrashes: 2 },
    { restart: true, pauseMs: 2_000, recentCrashes: 3 },
    { restart: true, pauseMs: 4_000, recentCrashes: 4 },
    { restart: false, recentCrashes: 5 },
  ]);
});

test('crashes further apart than the window never add up to giving up, and each restarts after the shortest pause', () => {
  const history = new CrashHistory();
  for (let crash = 0; crash < RESTART_LIMIT.crashes * 3; crash++) {
    assert.deepEqual(history.record(crash * RESTART_LIMIT.windowMs), { restart: true, pauseMs: 500, recentCrashes: 1 });
  }
});

test('only the crashes within the last window count', () => {
  const history = new CrashHistory();
  for (const at of [0, 1, 2, 3]) history.record(at);
  assert.deepEqual(history.record(RESTART_LIMIT.windowMs + 1), { restart: true, pauseMs: 2_000, recentCrashes: 3 }, 'the crashes at 0 and 1 ms fell out');
  assert.deepEqual(history.record(2 * RESTART_LIMIT.windowMs + 2), { restart: true, pauseMs: 500, recentCrashes: 1 }, 'all earlier crashes fell out');
});

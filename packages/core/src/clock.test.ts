import assert from 'node:assert/strict';
import { mock, test } from 'node:test';
import { isoNow } from './clock.js';

test('isoNow is the current millisecond in ISO-8601 UTC, formatted anew when the clock moves', () => {
  mock.timers.enable({ apis: ['Date'], now: Date.parse('2026-11-29T10:00:00.000Z') });
  try {
    assert.equal(isoNow(), '2026-11-29T10:00:00.000Z');
    assert.equal(isoNow(), '2026-11-29T10:00:00.000Z');
    mock.timers.tick(1);
    assert.equal(isoNow(), '2026-11-29T10:00:00.001Z');
    mock.timers.tick(86_400_000);
    assert.equal(isoNow(), '2026-11-30T10:00:00.001Z');
  } finally {
    mock.timers.reset();
  }
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Backstop } from './backstop.js';
import { JobSlots } from './job-slots.js';

test("a job waiting for its thread's check engine to warm up is not on its check deadline; its first check starts it", () => {
  const slots = new JobSlots();
  const backstop = new Backstop(1000);
  slots.waitingForChecks(7);
  const waiting = slots.checkOf(7)!;
  assert.ok(waiting.sinceMs > Date.now() + 20_000, 'the deadline lies ahead while the engine warms up');
  const later = Date.now() + 5_000;
  assert.deepEqual(backstop.judge(1000, 5_000, waiting, later), { lookAgainInMs: 1000 }, 'not stopped, looked at again within a deadline');

  slots.checking(7, 'output_schema');
  const checking = slots.checkOf(7)!;
  assert.ok(Math.abs(checking.sinceMs - Date.now()) < 50, 'the deadline starts with the first check');
  assert.equal(checking.kind, 'output_schema');
  const verdict = backstop.judge(1000, 5_000, checking, checking.sinceMs + 1001);
  assert.ok('reason' in verdict && verdict.reason === 'check_timeout');

  slots.checking(7, 'assertion');
  assert.equal(slots.checkOf(7)!.sinceMs, checking.sinceMs, "a job's checks share one deadline");
  assert.equal(slots.checkOf(8), undefined);
});

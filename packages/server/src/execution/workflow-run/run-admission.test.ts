import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RunAdmission } from './run-admission.js';

function admissionOf(limit: number) {
  const begun: string[] = [];
  const admission = new RunAdmission(limit, (runId) => begun.push(runId));
  return { admission, begun };
}

test('at most `limit` runs execute; the others wait until one finishes', () => {
  const { admission, begun } = admissionOf(2);
  for (const id of ['a1', 'a2', 'a3', 'a4']) admission.submit(id, 'org_a');
  assert.deepEqual(begun, ['a1', 'a2']);
  assert.equal(admission.waiting, 2);
  admission.finished('org_a');
  assert.deepEqual(begun, ['a1', 'a2', 'a3']);
  admission.submit('a4', 'org_a');
  assert.equal(admission.waiting, 1, 'a waiting run is not queued twice');
});

test("another organization's run takes the next free place, ahead of a long line", () => {
  const { admission, begun } = admissionOf(2);
  for (let i = 0; i < 50; i += 1) admission.submit(`a${i}`, 'org_a');
  admission.submit('b0', 'org_b');
  admission.submit('b1', 'org_b');
  admission.finished('org_a');
  assert.deepEqual(begun, ['a0', 'a1', 'b0']);
  // org_a and org_b each hold one place: the next goes round-robin, org_a first (served longest ago).
  admission.finished('org_a');
  assert.deepEqual(begun.slice(3), ['a2']);
  admission.finished('org_b');
  assert.deepEqual(begun.slice(4), ['b1']);
});

test('a withdrawn run (cancelled while waiting) never begins', () => {
  const { admission, begun } = admissionOf(1);
  admission.submit('a0', 'org_a');
  admission.submit('a1', 'org_a');
  admission.submit('a2', 'org_a');
  assert.equal(admission.withdraw('a1'), true);
  assert.equal(admission.withdraw('a0'), false, 'a0 is executing, not waiting');
  admission.finished('org_a');
  assert.deepEqual(begun, ['a0', 'a2']);
  admission.finished('org_a');
  assert.equal(admission.waiting, 0);
});

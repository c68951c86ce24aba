import assert from 'node:assert/strict';
import { test } from 'node:test';
import { changedDependencies, classifyChange, isFlakyChange, runOutcome, stabilityOf, summarize, type ResultDependencies } from './history.js';

const deps = (overrides: Partial<ResultDependencies> = {}): ResultDependencies => ({
  handle_inputs_fingerprint: 'in',
  block_config_fingerprint: 'blk',
  assertion: '{"condition":{"kind":"exists"}}',
  workflow_draft_fingerprint: 'draft',
  ...overrides,
});

test('runOutcome: the verdict of a completed row, error for an execution error, not_run otherwise', () => {
  assert.equal(runOutcome('completed', 'failed'), 'failed');
  assert.equal(runOutcome('error', null), 'error');
  assert.equal(runOutcome('cancelled', null), 'not_run');
  assert.equal(runOutcome('running', null), 'not_run');
});

test('classifyChange names every transition between a base and a run', () => {
  assert.equal(classifyChange('passed', 'failed'), 'new_failure');
  assert.equal(classifyChange('passed', 'error'), 'new_failure');
  assert.equal(classifyChange('blocked', 'passed'), 'fixed');
  assert.equal(classifyChange('failed', 'blocked'), 'still_failing');
  assert.equal(classifyChange('passed', 'passed'), 'still_passing');
  assert.equal(classifyChange(null, 'failed'), 'added');
  assert.equal(classifyChange('passed', null), 'removed');
  assert.equal(classifyChange('passed', 'not_run'), 'not_run');
});

test('changedDependencies: an edit of the block is block_config alone; draft names a change elsewhere in the workflow', () => {
  assert.deepEqual(changedDependencies(deps(), deps()), []);
  assert.deepEqual(changedDependencies(deps(), deps({ block_config_fingerprint: 'blk2', workflow_draft_fingerprint: 'draft2' })), ['block_config']);
  assert.deepEqual(changedDependencies(deps(), deps({ workflow_draft_fingerprint: 'draft2' })), ['draft']);
  assert.deepEqual(changedDependencies(deps(), deps({ handle_inputs_fingerprint: 'in2', assertion: '{}' })), ['inputs', 'assertion']);
});

test('a verdict that changed with nothing changed is flaky; with a change, or not run, it is not', () => {
  assert.equal(isFlakyChange('passed', 'failed', []), true);
  assert.equal(isFlakyChange('passed', 'failed', ['block_config']), false);
  assert.equal(isFlakyChange('passed', 'passed', []), false);
  assert.equal(isFlakyChange('passed', 'not_run', []), false);
  assert.equal(isFlakyChange(null, 'failed', []), false);
});

test('stability counts flips among the latest 20 results that ran', () => {
  assert.deepEqual(stabilityOf(['passed', 'passed', 'passed']), { window: 20, runs: 3, flips: 0, flaky: false });
  assert.deepEqual(stabilityOf(['passed', 'not_run', 'failed', 'passed']), { window: 20, runs: 3, flips: 2, flaky: true });
  const old = [...Array<'passed'>(20).fill('passed'), 'failed' as const];
  assert.deepEqual(stabilityOf(old), { window: 20, runs: 20, flips: 0, flaky: false }, 'a flip older than the window does not count');
});

test('summarize counts each change kind and the flaky ones', () => {
  const summary = summarize([
    { change: 'new_failure', flaky: true },
    { change: 'new_failure', flaky: false },
    { change: 'fixed', flaky: false },
    { change: 'added', flaky: false },
  ]);
  assert.deepEqual(summary, { new_failures: 2, fixed: 1, still_failing: 0, still_passing: 0, added: 1, removed: 0, not_run: 0, flaky: 1 });
});

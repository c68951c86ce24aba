import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Semaphore } from './limiter.js';

const never = new AbortController().signal;

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

test('runs at most `limit` tasks at once and serves waiters in order', async () => {
  const semaphore = new Semaphore(2);
  const gates = [deferred(), deferred(), deferred()];
  const started: number[] = [];
  const runs = gates.map((gate, i) => semaphore.run(async () => {
    started.push(i);
    await gate.promise;
  }, never));
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(started, [0, 1]);
  assert.equal(semaphore.active, 2);
  gates[0].resolve();
  await runs[0];
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(started, [0, 1, 2]);
  gates[1].resolve();
  gates[2].resolve();
  await Promise.all(runs);
  assert.equal(semaphore.active, 0);
});

test('a waiter whose signal is aborted leaves the queue and never runs', async () => {
  const semaphore = new Semaphore(1);
  const gate = deferred();
  const holder = semaphore.run(() => gate.promise, never);
  const controller = new AbortController();
  let ran = false;
  const waiter = semaphore.run(async () => void (ran = true), controller.signal);
  controller.abort(new Error('cancelled'));
  await assert.rejects(waiter, /cancelled/);
  gate.resolve();
  await holder;
  assert.equal(ran, false);
  assert.equal(semaphore.active, 0);
  await semaphore.run(async () => undefined, never); // the slot is free again
});

test('releases the slot when the task throws', async () => {
  const semaphore = new Semaphore(1);
  await assert.rejects(semaphore.run(() => Promise.reject(new Error('boom')), never), /boom/);
  assert.equal(semaphore.active, 0);
});

test('refuses a limit below 1', () => {
  assert.throws(() => new Semaphore(0), RangeError);
});

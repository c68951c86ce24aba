import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TenantSlots } from './tenant-slots.js';

const never = new AbortController().signal;

/** Whether the promise has settled by the time queued microtasks have run, and how. */
async function state(promise: Promise<boolean>): Promise<'executes' | 'goes back' | 'parked'> {
  const pending = Symbol('pending');
  const settled = await Promise.race([promise, new Promise<typeof pending>((resolve) => setImmediate(() => resolve(pending)))]);
  return settled === pending ? 'parked' : settled ? 'executes' : 'goes back';
}

test('an organization executes at most three quarters of the slots (at least one slot is kept for others)', () => {
  assert.equal(new TenantSlots(32).cap, 24);
  assert.equal(new TenantSlots(8).cap, 6);
  assert.equal(new TenantSlots(2).cap, 1);
  assert.equal(new TenantSlots(1).cap, 1, 'a single slot cannot be shared');
});

test('a job beyond its organization\'s cap parks, and executes when one of its organization\'s tests ends', async () => {
  const slots = new TenantSlots(4);
  for (let n = 0; n < 3; n++) assert.equal(await slots.acquire('org_a', never), true);
  const parked = slots.acquire('org_a', never);
  assert.equal(await state(parked), 'parked');
  assert.equal(await slots.acquire('org_b', never), true, 'another organization executes at once');
  slots.release('org_b');
  assert.equal(await state(parked), 'parked', 'another organization\'s test ending frees nothing of A\'s');
  slots.release('org_a');
  assert.equal(await state(parked), 'executes');
  assert.equal(slots.executing('org_a'), 3);
  assert.equal(slots.parked, 0);
});

test('a parked job goes back to the queue when another organization\'s job is next and could execute here', async () => {
  const slots = new TenantSlots(8);
  for (let n = 0; n < 6; n++) await slots.acquire('org_a', never);
  await slots.acquire('org_c', never);
  const parkedA = [slots.acquire('org_a', never), slots.acquire('org_a', never)];
  assert.equal(slots.parked, 2);

  assert.equal(slots.yieldTo(['org_a', 'org_a']), 0, 'A\'s own next jobs take nothing from A');
  assert.equal(slots.yieldTo(['org_b']), 1);
  assert.deepEqual(await Promise.all(parkedA.map(state)), ['parked', 'goes back'], 'the latest parked goes back');
  assert.equal(slots.parked, 1);
});

test('with several organizations parked, the one next in the queue is made room for by another\'s latest parked job', async () => {
  const slots = new TenantSlots(4);
  for (let n = 0; n < 3; n++) await Promise.all([slots.acquire('org_a', never), slots.acquire('org_b', never)]);
  const parked = [slots.acquire('org_a', never), slots.acquire('org_b', never), slots.acquire('org_a', never)];
  assert.equal(slots.yieldTo(['org_c', 'org_b']), 1, 'B executes its cap: only C is made room for');
  assert.deepEqual(await Promise.all(parked.map(state)), ['parked', 'parked', 'goes back']);
});

test('an abort (cancel, shutdown) resolves a parked job at once; yieldAll sends every parked job back', async () => {
  const slots = new TenantSlots(2);
  await slots.acquire('org_a', never);
  const cancel = new AbortController();
  const cancelled = slots.acquire('org_a', cancel.signal);
  const stopping = slots.acquire('org_a', never);
  cancel.abort();
  assert.equal(await state(cancelled), 'goes back');
  assert.equal(await slots.acquire('org_a', AbortSignal.abort()), false);
  slots.yieldAll();
  assert.equal(await state(stopping), 'goes back');
  assert.equal(slots.parked, 0);
  assert.equal(slots.executing('org_a'), 1);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { JobTicket } from './job-ticket.js';
import { TenantQueues } from './tenant-queues.js';

let nextJobId = 1;
function ticket(tenant?: string): JobTicket {
  return new JobTicket(nextJobId++, { tenant, codeKey: 'k', code: '', timeoutMs: 1000 }, 'null');
}

test('each tenant has its own FIFO; a tenant served goes behind the others', () => {
  const queues = new TenantQueues();
  const [a1, a2, b1, c1] = [ticket('a'), ticket('a'), ticket('b'), ticket('c')];
  for (const queued of [a1, a2, b1, c1]) queues.push(queued);
  assert.deepEqual([...queues.tenants()], ['a', 'b', 'c']);
  assert.equal(queues.size, 4);

  assert.deepEqual(queues.take('a', 1), [a1]);
  assert.deepEqual([...queues.tenants()], ['b', 'c', 'a'], 'a was served last');
  assert.deepEqual(queues.take('b', 5), [b1]);
  assert.deepEqual([...queues.tenants()], ['c', 'a'], 'a tenant with nothing queued is forgotten');
  assert.equal(queues.count('a'), 1);
  assert.equal(queues.size, 2);
});

test('jobs taken back from threads return in front of their tenant\'s queue, in the order they were submitted', () => {
  const queues = new TenantQueues();
  const [a1, a2, a3, b1] = [ticket('a'), ticket('a'), ticket('a'), ticket('b')];
  queues.push(a3);
  queues.returnToFront([a2, b1, a1]);
  assert.deepEqual(queues.take('a', 10), [a1, a2, a3]);
  assert.deepEqual(queues.take('b', 10), [b1]);
  assert.equal(queues.size, 0);
});

test('a job without a tenant belongs to the unnamed one; remove and drain', () => {
  const queues = new TenantQueues();
  const [anonymous, a1] = [ticket(), ticket('a')];
  queues.push(anonymous);
  queues.push(a1);
  assert.deepEqual([...queues.tenants()], ['', 'a']);
  assert.equal(queues.oldestQueuedAt(''), anonymous.queuedAt);
  assert.equal(queues.remove(anonymous), true);
  assert.equal(queues.remove(anonymous), false);
  assert.equal(queues.oldestQueuedAt(''), undefined);
  assert.deepEqual(queues.drain(), [a1]);
  assert.equal(queues.size, 0);
  assert.deepEqual([...queues.tenants()], []);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ReadHolds, WriteTurns } from './sqlite-connections.js';

test('WriteTurns: turns are granted one at a time in the order asked; a `first` turn comes right after the current one', async () => {
  const turns = new WriteTurns();
  const order: string[] = [];
  const holder = await turns.take();
  const waiting = ['a', 'b'].map((name) => turns.take().then((end) => (order.push(name), end())));
  const first = turns.take({ first: true }).then((end) => (order.push('first'), end()));
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(order, [], 'nobody goes while the turn is held');
  holder();
  holder(); // ending a turn twice ends it once
  await Promise.all([...waiting, first]);
  assert.deepEqual(order, ['first', 'a', 'b']);
  const again = await turns.take();
  again();
});

test('ReadHolds: released once every hold is released, each release counting once', async () => {
  const holds = new ReadHolds();
  assert.equal(holds.held, false);
  const releaseOne = holds.hold();
  const releaseTwo = holds.hold();
  let passed = false;
  const reader = holds.released().then(() => (passed = true));
  releaseOne();
  releaseOne();
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(passed, false, 'one hold is left');
  releaseTwo();
  await reader;
  assert.equal(holds.held, false);
});

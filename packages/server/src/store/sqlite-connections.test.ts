import assert from 'node:assert/strict';
import { test } from 'node:test';
import type SQLite from 'better-sqlite3';
import { temporarySqliteStore } from '../testing/harness.js';
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

test('Store.writeNow: its work waits for the transaction in progress, runs as one transaction, and is rolled back whole when it throws', async () => {
  const { store, remove } = await temporarySqliteStore('write-now');
  try {
    const insert = (connection: SQLite.Database, id: string) => connection.prepare('insert into organizations (id, name, created_at) values (?, ?, ?)').run(id, id, '2026-12-03T00:00:00.000Z');
    const order: string[] = [];
    let begun = () => {};
    const hasBegun = new Promise<void>((resolve) => (begun = resolve));
    const inProgress = store.db.transaction().execute(async (trx) => {
      begun();
      await new Promise((resolve) => setTimeout(resolve, 20));
      await trx.insertInto('organizations').values({ id: 'org_first', name: 'org_first', created_at: '2026-12-03T00:00:00.000Z' }).execute();
      order.push('transaction');
    });
    await hasBegun;
    const written = store.writeNow!((connection) => {
      order.push('writeNow');
      return insert(connection, 'org_now').changes;
    });
    assert.equal(await written, 1);
    await inProgress;
    assert.deepEqual(order, ['transaction', 'writeNow']);

    await assert.rejects(
      store.writeNow!((connection) => {
        insert(connection, 'org_half');
        throw new Error('stop here');
      }),
      /stop here/,
    );
    const names = await store.db.selectFrom('organizations').select('id').where('id', 'in', ['org_first', 'org_now', 'org_half']).orderBy('id').execute();
    assert.deepEqual(names.map((row) => row.id), ['org_first', 'org_now']);
  } finally {
    await remove();
  }
});

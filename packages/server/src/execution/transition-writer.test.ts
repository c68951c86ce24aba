import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { isoNow } from '@verdict/core';
import { sql } from 'kysely';
import type { Store } from '../store/database.js';
import { cancelRun, queueResults } from '../store/transitions/index.js';
import { PENDING_RUN_ORG, passingResult, pendingRun } from '../testing/pending-run.js';
import { temporaryStore, testStores } from '../testing/harness.js';
import { TransitionWriter } from './transition-writer.js';

const COUNTS = ['n_pending', 'n_queued', 'n_running', 'n_completed', 'n_error', 'n_cancelled'] as const;

/** The run's counts, and the same counted from its rows, in one snapshot (PostgreSQL's READ COMMITTED reads each statement at its own time): they must always agree. */
async function countsOf(store: Store, runId: string) {
  const [run, rows] = await store.db.transaction().setIsolationLevel('repeatable read').execute(async (trx) => [
    await trx.selectFrom('test_runs').selectAll().where('id', '=', runId).executeTakeFirstOrThrow(),
    await trx.selectFrom('test_results').select(['status']).where('run_id', '=', runId).execute(),
  ] as const);
  const fromRows = Object.fromEntries(COUNTS.map((column) => [column, rows.filter((row) => `n_${row.status}` === column).length]));
  return { status: run.status, counts: Object.fromEntries(COUNTS.map((column) => [column, run[column]])), fromRows, passed: run.n_passed };
}

/**
 * Locks the run's row from another transaction (on SQLite, takes the write lock) and holds it until
 * `release`: a flush of the run waits for it meanwhile.
 */
async function holdRun(store: Store, runId: string): Promise<{ release(): Promise<void> }> {
  let release!: () => void;
  let locked!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const holding = new Promise<void>((resolve) => (locked = resolve));
  const transaction = store.db.transaction().execute(async (trx) => {
    await sql`UPDATE test_runs SET status = status WHERE id = ${runId}`.execute(trx);
    locked();
    await released;
  });
  await Promise.race([holding, transaction]);
  return {
    release: () => {
      release();
      return transaction;
    },
  };
}

for (const kind of testStores()) describe(`TransitionWriter (${kind})`, () => {
  let temporary: Awaited<ReturnType<typeof temporaryStore>>;
  let store: Store;
  let writer: TransitionWriter;
  before(async () => {
    temporary = await temporaryStore(kind, 'transition-writer');
    store = temporary.store;
    writer = new TransitionWriter(store);
  });
  after(async () => {
    await writer.close();
    await temporary.remove();
  });

  test('a row started and finished before a flush is written pending → completed in one go, with the times it happened', async () => {
    const [id] = await pendingRun(store, 'run_merge', 1);
    // Another transaction holds the run for a while: the flush waits, the times must not.
    const blocker = await holdRun(store, 'run_merge');
    const handedIn = Date.now();
    let written = false;
    const moves = Promise.all([writer.start('run_merge', id!, 'pending'), writer.finish('run_merge', passingResult('run_merge', id!))]).finally(() => (written = true));
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(written, false, 'the flush waits for the run');
    await blocker.release();
    assert.deepEqual(await moves, [true, true]);
    const row = await store.db.selectFrom('test_results').select(['status', 'verdict', 'attempts', 'started_at', 'completed_at']).where('id', '=', id!).executeTakeFirstOrThrow();
    assert.equal(row.status, 'completed');
    assert.equal(row.attempts, 1, 'the start counts as an attempt');
    assert.ok(row.started_at && row.completed_at && row.started_at <= row.completed_at);
    assert.ok(Date.parse(row.completed_at) - handedIn < 100, `completed_at is when the test finished, not when the write committed (${Date.parse(row.completed_at) - handedIn} ms later)`);
    const { status, counts, fromRows, passed } = await countsOf(store, 'run_merge');
    assert.deepEqual([status, passed], ['completed', 1]);
    assert.deepEqual(counts, fromRows);
  });

  test('a finish handed in after its start was written moves the row from running', async () => {
    const [id] = await pendingRun(store, 'run_steps', 1);
    assert.equal(await writer.start('run_steps', id!, 'pending'), true);
    assert.equal((await countsOf(store, 'run_steps')).status, 'running');
    assert.equal(await writer.finish('run_steps', passingResult('run_steps', id!)), true);
    const { status, counts, fromRows } = await countsOf(store, 'run_steps');
    assert.equal(status, 'completed');
    assert.deepEqual(counts, fromRows);
  });

  test('after a cancel, a start and a finish handed in together move nothing and say so', async () => {
    const ids = await pendingRun(store, 'run_cancel', 2);
    await store.db.transaction().execute((trx) => cancelRun(trx, PENDING_RUN_ORG, 'run_cancel', null, isoNow()));
    const moved = await Promise.all([writer.start('run_cancel', ids[0]!, 'pending'), writer.finish('run_cancel', passingResult('run_cancel', ids[0]!))]);
    assert.deepEqual(moved, [false, false]);
    const { status, counts, fromRows } = await countsOf(store, 'run_cancel');
    assert.equal(status, 'cancelled');
    assert.deepEqual(counts, { ...fromRows, n_cancelled: 2 });
  });

  test('whatever the interleaving of flushes, the counts of a run match its rows', async () => {
    const ids = await pendingRun(store, 'run_mix', 120);
    // Every third row is queued first, as the distributed executor does; the others start from pending.
    const queuedFirst = new Set(ids.filter((_, n) => n % 3 === 0));
    await store.db.transaction().execute((trx) => queueResults(trx, 'run_mix', [...queuedFirst]));
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const pause = () => (random() < 0.3 ? new Promise((resolve) => setTimeout(resolve, random() * 8)) : undefined);
    const lifecycles = ids.map(async (id, n) => {
      await new Promise((resolve) => setTimeout(resolve, n / 10));
      await pause();
      const started = writer.start('run_mix', id, queuedFirst.has(id) ? 'queued' : 'pending');
      await pause();
      const finished = writer.finish('run_mix', passingResult('run_mix', id));
      return Promise.all([started, finished]);
    });
    const checks: Promise<unknown>[] = [];
    for (let n = 0; n < 6; n++) {
      await new Promise((resolve) => setTimeout(resolve, 3));
      checks.push(countsOf(store, 'run_mix').then(({ counts, fromRows }) => assert.deepEqual(counts, fromRows, 'mid-run')));
    }
    for (const moved of await Promise.all(lifecycles)) assert.deepEqual(moved, [true, true]);
    await Promise.all(checks);
    const { status, counts, fromRows, passed } = await countsOf(store, 'run_mix');
    assert.deepEqual([status, passed, counts.n_completed], ['completed', 120, 120]);
    assert.deepEqual(counts, fromRows);
  });

  test('an outcome that cannot be encoded is recorded as blocked with the reason; the rest of its batch is written', async () => {
    const [poisoned, healthy] = await pendingRun(store, 'run_poison', 2);
    let deep: unknown = 1;
    for (let i = 0; i < 20_000; i++) deep = [deep];
    const unencodable = { ...passingResult('run_poison', poisoned!), outputs: { 'output-json-0': deep } };
    const moves = [poisoned!, healthy!].flatMap((id) => [writer.start('run_poison', id, 'pending')]);
    moves.push(writer.finish('run_poison', unencodable), writer.finish('run_poison', passingResult('run_poison', healthy!)));
    assert.deepEqual(await Promise.all(moves), [true, true, true, true]);
    const rows = await store.db.selectFrom('test_results').select(['id', 'status', 'verdict', 'outputs', 'error', 'assertion_result']).where('run_id', '=', 'run_poison').orderBy('position').execute();
    assert.deepEqual(rows.map((row) => [row.status, row.verdict]), [['completed', 'blocked'], ['completed', 'passed']]);
    assert.equal(rows[0]!.outputs, null);
    assert.match(JSON.parse(rows[0]!.error!).message, /^The result of this test could not be recorded: Maximum call stack size exceeded/);
    assert.equal(JSON.parse(rows[0]!.assertion_result!).failure.code, 'execution_error');
    const { status, counts, fromRows } = await countsOf(store, 'run_poison');
    assert.equal(status, 'completed');
    assert.deepEqual(counts, fromRows);
  });
});

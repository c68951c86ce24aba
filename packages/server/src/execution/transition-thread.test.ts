import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import type { Store } from '../store/database.js';
import { cancelRun } from '../store/transitions/index.js';
import { PENDING_RUN_ORG, passedOutcome, pendingRun } from '../testing/pending-run.js';
import { temporarySqliteStore } from '../testing/harness.js';
import { QUIET_BEFORE_TERMINATE_MS } from './thread-entry.js';
import { TransitionThread } from './transition-thread.js';

const NOW = '2026-11-29T00:00:00.000Z';
const STARTED = '2026-11-28T23:59:59.990Z';
const FIRST_STARTED = '2026-11-28T23:59:59.980Z';
const COMPLETED = '2026-11-28T23:59:59.995Z';

describe('TransitionThread (SQLite, a second connection)', () => {
  let temporary: Awaited<ReturnType<typeof temporarySqliteStore>>;
  let store: Store;
  let thread: TransitionThread;
  before(async () => {
    temporary = await temporarySqliteStore('transition-thread');
    store = temporary.store;
    thread = new TransitionThread(store.db, store.sqlitePath!);
  });
  after(async () => {
    await thread.close();
    await temporary.remove();
  });

  test('renew: requests sent before it are answered, its worker stops, and the next request runs on a fresh one', async () => {
    const ids = await pendingRun(store, 'run_renew', 2);
    const before = thread.writeCancelledRows('run_none', NOW);
    const renewed = thread.renew();
    const after = thread.writeCancelledRows('run_none', NOW);
    await Promise.all([before, renewed, after]);
    await store.db.transaction().execute((trx) => sql`UPDATE test_runs SET status = 'cancelled', completed_at = ${NOW} WHERE id = 'run_renew'`.execute(trx));
    await thread.writeCancelledRows('run_renew', NOW);
    const rows = await store.db.selectFrom('test_results').select('status').where('id', 'in', ids).execute();
    assert.deepEqual(rows.map((row) => row.status), ['cancelled', 'cancelled']);
  });

  test('renew: the worker set aside stops once quiet, and a request its successor holds meanwhile is answered', async () => {
    const ids = await pendingRun(store, 'run_successor', 5000);
    await store.db.transaction().execute((trx) => sql`UPDATE test_runs SET status = 'cancelled', completed_at = ${NOW} WHERE id = 'run_successor'`.execute(trx));
    await thread.writeCancelledRows('run_none', NOW);
    const answeredAt = performance.now();
    const stoppedAt = thread.renew().then(() => performance.now());
    // Starts the successor, and writes 5,000 rows on it while the old worker stops.
    const successor = thread.writeCancelledRows('run_successor', NOW).then(() => performance.now());
    assert.ok((await stoppedAt) - answeredAt >= QUIET_BEFORE_TERMINATE_MS - 1, 'stopped only once quiet');
    assert.ok((await successor) > (await stoppedAt), "the successor's request was in flight when the old worker stopped");
    const rows = await store.db.selectFrom('test_results').select('status').where('id', 'in', [ids[0]!, ids.at(-1)!]).execute();
    assert.deepEqual(rows.map((row) => row.status), ['cancelled', 'cancelled']);
  });

  test('applies a flush in one transaction; the server connection reads the rows and counts it wrote', async () => {
    const ids = await pendingRun(store, 'run_a', 4);
    const [moved] = await thread.apply({
      now: NOW,
      runs: [
        {
          runId: 'run_a',
          moves: {
            queue: [ids[3]!],
            start: [{ from: 'pending', rows: ids.slice(1, 3).map((id): [string, string] => [id, STARTED]) }],
            finish: [{ from: 'pending', outcomes: [passedOutcome('run_a', ids[0]!, { startedAt: FIRST_STARTED, completedAt: COMPLETED })] }],
          },
        },
      ],
    });
    assert.deepEqual(moved, { runId: 'run_a', unmoved: [] });
    const run = await store.db.selectFrom('test_runs').selectAll().where('id', '=', 'run_a').executeTakeFirstOrThrow();
    assert.deepEqual([run.status, run.n_pending, run.n_queued, run.n_running, run.n_completed, run.n_passed], ['running', 0, 1, 2, 1, 1]);
    assert.equal(run.started_at, FIRST_STARTED, 'the run started when its first test did, not when the write committed');
    const row = await store.db.selectFrom('test_results').select(['status', 'verdict', 'outputs', 'duration_ms', 'attempts', 'started_at', 'completed_at']).where('id', '=', ids[0]!).executeTakeFirstOrThrow();
    assert.deepEqual(
      row,
      { status: 'completed', verdict: 'passed', outputs: '{"output-json-0":{"total":0}}', duration_ms: 3, attempts: 1, started_at: FIRST_STARTED, completed_at: COMPLETED },
      'started and finished by one write, at the times the executor saw',
    );
    const started = await store.db.selectFrom('test_results').select('started_at').where('id', '=', ids[1]!).executeTakeFirstOrThrow();
    assert.equal(started.started_at, STARTED);
    const test = await store.db.selectFrom('tests').select(['latest_result_id', 'latest_passing_result_id', 'latest_failing_result_id']).where('id', '=', 'run_a_test0').executeTakeFirstOrThrow();
    assert.deepEqual(test, { latest_result_id: ids[0], latest_passing_result_id: ids[0], latest_failing_result_id: null });
  });

  test('a cancel committed on the server connection wins: results the thread writes after it move nothing', async () => {
    const ids = await pendingRun(store, 'run_b', 2);
    await thread.apply({ now: NOW, runs: [{ runId: 'run_b', moves: { start: [{ from: 'pending', rows: ids.map((id): [string, string] => [id, NOW]) }] } }] });
    const cancelled = await store.db.transaction().execute((trx) => cancelRun(trx, PENDING_RUN_ORG, 'run_b', 'stop', NOW));
    assert.equal(cancelled.outcome, 'cancelled');
    const [late] = await thread.apply({ now: NOW, runs: [{ runId: 'run_b', moves: { finish: [{ from: 'running', outcomes: ids.map((id) => passedOutcome('run_b', id)) }] } }] });
    assert.deepEqual(new Set(late!.unmoved), new Set(ids), 'the answer names the rows that did not move');
    const rows = await store.db.selectFrom('test_results').select('status').where('run_id', '=', 'run_b').execute();
    assert.deepEqual(rows.map((row) => row.status), ['cancelled', 'cancelled']);
  });

  test('both connections write at once without SQLITE_BUSY: they queue for the write lock', async () => {
    const ids = await pendingRun(store, 'run_c', 200);
    const flushes = ids.map((id) => thread.apply({ now: NOW, runs: [{ runId: 'run_c', moves: { finish: [{ from: 'pending', outcomes: [passedOutcome('run_c', id)] }] } }] }));
    // Meanwhile the server's connection writes, each transaction reading before it writes: without
    // a write lock taken at BEGIN, one that read before a thread commit could not write after it.
    for (let n = 0; n < 50; n++) {
      await store.db.transaction().execute(async (trx) => {
        const { count } = await trx.selectFrom('test_results').select((eb) => eb.fn.countAll<number>().as('count')).executeTakeFirstOrThrow();
        await new Promise((resolve) => setTimeout(resolve, 1));
        await trx.insertInto('organizations').values({ id: `org_${n}`, name: `seen ${count} rows (${n})`, created_at: NOW }).execute();
      });
    }
    const moves = await Promise.all(flushes);
    assert.deepEqual(moves.flatMap((move) => move[0]!.unmoved), []);
    const run = await store.db.selectFrom('test_runs').select(['status', 'n_passed']).where('id', '=', 'run_c').executeTakeFirstOrThrow();
    assert.deepEqual(run, { status: 'completed', n_passed: 200 });
  });

  test("the thread checkpoints the WAL; the server's connection does not while the thread runs", async () => {
    const pragma = async () => (await sql<{ wal_autocheckpoint: number }>`PRAGMA wal_autocheckpoint`.execute(store.db)).rows[0]!.wal_autocheckpoint;
    assert.equal(await pragma(), 0);
    const before = (await stat(store.sqlitePath!)).size;
    await pendingRun(store, 'run_wal', 2000);
    const deadline = Date.now() + 5000;
    while ((await stat(store.sqlitePath!)).size === before && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    assert.ok((await stat(store.sqlitePath!)).size > before, 'the thread copied them into the database file');
    await thread.close();
    assert.equal(await pragma(), 1000, "without the thread, the server's connection checkpoints again");
  });

  test('a thread that stopped is started again by the next flush', async () => {
    await thread.close();
    const ids = await pendingRun(store, 'run_d', 1);
    const [moved] = await thread.apply({ now: NOW, runs: [{ runId: 'run_d', moves: { queue: ids } }] });
    assert.deepEqual(moved, { runId: 'run_d', unmoved: [] });
  });
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PENDING_RUN_ORG, pendingRun } from '../../testing/pending-run.js';
import { countsDisagreement, inTransaction, onEachStore, outcomeOf, runState, statuses } from '../../testing/run-state.js';
import { cancelRun, decideCancel, decideCancelNow, finishCancelledRuns } from './cancel-run.js';
import { failRun } from './fail-run.js';
import { moveResults } from './move-results.js';
import { requeueResults } from './requeue-results.js';

const STARTED = '2026-11-29T00:00:01.000Z';
const FINISHED = '2026-11-29T00:00:05.000Z';
const CANCELLED_AT = '2026-11-29T00:00:07.000Z';
const LATER = '2026-11-29T00:00:09.000Z';

onEachStore('cancelRun', (store) => {
  const cancel = (runId: string, now = CANCELLED_AT, organizationId = PENDING_RUN_ORG) =>
    inTransaction(store(), (trx) => cancelRun(trx, organizationId, runId, 'stop', now)).then(({ outcome, status }) => ({ outcome, status }));

  test('a live run and its live rows become cancelled; finished rows keep their verdicts; counts and latest results follow', async () => {
    const ids = await pendingRun(store(), 'cr_live', 4);
    const { rows } = await runState(store(), 'cr_live');
    await inTransaction(store(), (trx) =>
      moveResults(trx, 'cr_live', { queue: [ids[2]!], start: [{ from: 'pending', rows: [[ids[1]!, STARTED]] }], finish: [{ from: 'pending', outcomes: [outcomeOf(rows[0]!, { verdict: 'failed' })] }] }, STARTED),
    );

    assert.deepEqual(await cancel('cr_live'), { outcome: 'cancelled', status: 'cancelled' });
    const state = await runState(store(), 'cr_live');
    assert.deepEqual([state.run.status, state.run.cancel_reason, state.run.completed_at], ['cancelled', 'stop', CANCELLED_AT]);
    assert.deepEqual(statuses(state), ['completed', 'cancelled', 'cancelled', 'cancelled']);
    assert.deepEqual(state.rows.map((row) => [row.verdict, row.completed_at]), [['failed', FINISHED], [null, CANCELLED_AT], [null, CANCELLED_AT], [null, CANCELLED_AT]]);
    assert.deepEqual([state.run.n_cancelled, state.run.n_completed, state.run.n_failed], [3, 1, 1]);
    assert.equal(countsDisagreement(state), null);
    assert.deepEqual(
      state.rows.map((row) => state.tests.get(row.test_id)).map((t) => [t!.latest_result_id, t!.latest_passing_result_id, t!.latest_failing_result_id]),
      [[ids[0], null, ids[0]], [ids[1], null, null], [ids[2], null, null], [ids[3], null, null]],
      'a cancelled row is its test\'s latest result, neither passing nor failing',
    );
  });

  test('after the cancel nothing of the run changes: late results, hand-backs, a failure, a second cancel', async () => {
    const ids = await pendingRun(store(), 'cr_final', 2);
    const { rows } = await runState(store(), 'cr_final');
    await inTransaction(store(), (trx) => moveResults(trx, 'cr_final', { start: [{ from: 'pending', rows: [[ids[0]!, STARTED]] }] }, STARTED));
    await cancel('cr_final');
    const cancelled = await runState(store(), 'cr_final');

    assert.deepEqual(await inTransaction(store(), (trx) => moveResults(trx, 'cr_final', { finish: [{ from: 'running', outcomes: [outcomeOf(rows[0]!)] }] }, LATER)), []);
    assert.equal(await inTransaction(store(), (trx) => requeueResults(trx, 'cr_final')), 0);
    assert.equal(await inTransaction(store(), (trx) => failRun(trx, 'cr_final', 'late', null, LATER)), false);
    assert.deepEqual(await cancel('cr_final', LATER), { outcome: 'already_cancelled', status: 'cancelled' }, 'a retried cancel is safe');
    assert.deepEqual(await runState(store(), 'cr_final'), cancelled, 'its reason, time, rows and counts stay');
  });

  test('a finished run is not cancellable and is left as it is; an unknown run, or another organization\'s, is not found', async () => {
    await pendingRun(store(), 'cr_done', 1);
    const { rows } = await runState(store(), 'cr_done');
    await inTransaction(store(), (trx) => moveResults(trx, 'cr_done', { finish: [{ from: 'pending', outcomes: [outcomeOf(rows[0]!)] }] }, STARTED));
    await pendingRun(store(), 'cr_failed', 1);
    await inTransaction(store(), (trx) => failRun(trx, 'cr_failed', 'broken', null, STARTED));
    const [done, failed] = [await runState(store(), 'cr_done'), await runState(store(), 'cr_failed')];

    assert.deepEqual(await cancel('cr_done'), { outcome: 'not_cancellable', status: 'completed' });
    assert.deepEqual(await cancel('cr_failed'), { outcome: 'not_cancellable', status: 'error' });
    assert.deepEqual([await runState(store(), 'cr_done'), await runState(store(), 'cr_failed')], [done, failed]);

    assert.deepEqual(await cancel('cr_unknown'), { outcome: 'not_found', status: null });
    await pendingRun(store(), 'cr_theirs', 1);
    assert.deepEqual(await cancel('cr_theirs', CANCELLED_AT, 'org_someone_else'), { outcome: 'not_found', status: null });
    assert.equal((await runState(store(), 'cr_theirs')).run.status, 'pending');
  });
});

onEachStore('decideCancel and finishCancelledRuns', (store) => {
  test('the decision alone moves the run and its counts and returns the cancelled run; finishCancelledRuns writes the rows a stopped process left, as cancelRun does', async () => {
    for (const runId of ['cr_whole', 'cr_halves']) {
      const ids = await pendingRun(store(), runId, 3);
      const { rows } = await runState(store(), runId);
      await inTransaction(store(), (trx) => moveResults(trx, runId, { start: [{ from: 'pending', rows: [[ids[1]!, STARTED]] }], finish: [{ from: 'pending', outcomes: [outcomeOf(rows[0]!)] }] }, STARTED));
    }
    await inTransaction(store(), (trx) => cancelRun(trx, PENDING_RUN_ORG, 'cr_whole', 'stop', CANCELLED_AT));
    const decided = await inTransaction(store(), (trx) => decideCancel(trx, PENDING_RUN_ORG, 'cr_halves', 'stop', CANCELLED_AT));
    assert.deepEqual([decided.outcome, decided.run?.status, decided.run?.n_cancelled, decided.run?.n_running], ['cancelled', 'cancelled', 2, 0]);
    const half = await runState(store(), 'cr_halves');
    assert.deepEqual(statuses(half), ['completed', 'running', 'pending'], 'rows are not written by the decision');

    assert.equal(await finishCancelledRuns(store().db), 1, 'only the run left half written');
    const [whole, halves] = [await runState(store(), 'cr_whole'), await runState(store(), 'cr_halves')];
    assert.deepEqual(statuses(halves), ['completed', 'cancelled', 'cancelled']);
    assert.deepEqual(halves.rows.map((row) => [row.verdict, row.completed_at]), whole.rows.map((row) => [row.verdict, row.completed_at]));
    assert.deepEqual(
      halves.rows.map((row) => halves.tests.get(row.test_id)!.latest_result_id),
      halves.rows.map((row) => row.id),
      'each row is its test\'s latest result',
    );
    assert.equal(countsDisagreement(halves), null);
    assert.equal(await finishCancelledRuns(store().db), 0);
  });
});

onEachStore('decideCancelNow', (store, kind) => {
  test('in one synchronous SQLite transaction: the decision decideCancel makes, with the draft revision; nothing past mostUnfinished', { skip: kind !== 'sqlite' }, async () => {
    for (const runId of ['cn_now', 'cn_kysely']) {
      const ids = await pendingRun(store(), runId, 3);
      const { rows } = await runState(store(), runId);
      await inTransaction(store(), (trx) => moveResults(trx, runId, { start: [{ from: 'pending', rows: [[ids[1]!, STARTED]] }], finish: [{ from: 'pending', outcomes: [outcomeOf(rows[0]!)] }] }, STARTED));
    }
    const decideNow = (runId: string, mostUnfinished = 2, organizationId = PENDING_RUN_ORG) =>
      store().writeNow!((connection) => decideCancelNow(connection, { organizationId, runId }, 'stop', CANCELLED_AT, mostUnfinished));

    const now = await decideNow('cn_now');
    const kysely = await inTransaction(store(), (trx) => decideCancel(trx, PENDING_RUN_ORG, 'cn_kysely', 'stop', CANCELLED_AT));
    assert.equal(now.outcome, 'cancelled');
    assert.deepEqual(now.outcome === 'cancelled' && { ...now.run, id: 'cn_kysely' }, kysely.run);
    assert.deepEqual(now.outcome === 'cancelled' && now.draftRevision, null, 'pendingRun writes no workflow row');
    assert.deepEqual(statuses(await runState(store(), 'cn_now')), ['completed', 'running', 'pending'], 'rows are not written by the decision');

    assert.deepEqual(await decideNow('cn_now'), { outcome: 'already_cancelled', status: 'cancelled' });
    assert.deepEqual(await decideNow('cn_now', 2, 'org_someone_else'), { outcome: 'not_found' });
    await pendingRun(store(), 'cn_large', 3);
    assert.deepEqual(await decideNow('cn_large'), { outcome: 'too_large' });
    assert.equal((await runState(store(), 'cn_large')).run.status, 'pending', 'a run past the bound is left as it is');
    const { rows } = await runState(store(), 'cn_large');
    await inTransaction(store(), (trx) => moveResults(trx, 'cn_large', { finish: [{ from: 'pending', outcomes: rows.map((row) => outcomeOf(row)) }] }, STARTED));
    assert.deepEqual(await decideNow('cn_large'), { outcome: 'not_cancellable', status: 'completed' });
  });
});

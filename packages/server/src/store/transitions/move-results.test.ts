import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PENDING_RUN_ORG, pendingRun } from '../../testing/pending-run.js';
import { countsDisagreement, inTransaction, onEachStore, outcomeOf, runState, statuses } from '../../testing/run-state.js';
import { JsonText } from './outcomes.js';
import { cancelRun } from './cancel-run.js';
import { moveResults, queueResults, startResults } from './move-results.js';

const STARTED = '2026-11-29T00:00:01.000Z';
const EARLIER = '2026-11-29T00:00:00.500Z';
const FINISHED = '2026-11-29T00:00:05.000Z';
const NOW = '2026-11-29T00:00:06.000Z';

onEachStore('moveResults', (store) => {
  const move = (runId: string, moves: Parameters<typeof moveResults>[2], now = NOW) => inTransaction(store(), (trx) => moveResults(trx, runId, moves, now));

  test('pending → queued: only pending rows of this run move; the run becomes queued', async () => {
    const [first, second] = await pendingRun(store(), 'mr_queue', 3);
    const [otherRun] = await pendingRun(store(), 'mr_queue_other', 1);
    assert.deepEqual(await inTransaction(store(), (trx) => queueResults(trx, 'mr_queue', [first!, otherRun!])), [first], 'a row of another run is not moved');
    assert.deepEqual(await inTransaction(store(), (trx) => queueResults(trx, 'mr_queue', [first!, second!])), [second], 'a row can only be queued if it was pending');
    const state = await runState(store(), 'mr_queue');
    assert.deepEqual([state.run.status, state.run.started_at], ['queued', null]);
    assert.deepEqual(statuses(state), ['queued', 'queued', 'pending']);
    assert.equal(countsDisagreement(state), null);
    assert.equal((await runState(store(), 'mr_queue_other')).rows[0]!.status, 'pending');
  });

  test('→ running: only from the status the caller names; attempts counted; the run starts when its first row did', async () => {
    const [queued, pending, other] = await pendingRun(store(), 'mr_start', 3);
    await inTransaction(store(), (trx) => queueResults(trx, 'mr_start', [queued!]));
    const moved = await move('mr_start', {
      start: [
        { from: 'queued', rows: [[queued!, EARLIER], [pending!, EARLIER]] },
        { from: 'pending', rows: [[pending!, STARTED]] },
      ],
    });
    assert.deepEqual(moved, [queued, pending], 'the pending row is not started as if it were queued');
    const state = await runState(store(), 'mr_start');
    assert.deepEqual(statuses(state), ['running', 'running', 'pending']);
    assert.deepEqual(state.rows.map((row) => [row.started_at, row.attempts]), [[EARLIER, 1], [STARTED, 1], [null, 0]]);
    assert.deepEqual([state.run.status, state.run.started_at], ['running', EARLIER], 'started_at is the earliest start, not the write time');
    assert.equal(countsDisagreement(state), null);

    assert.deepEqual(await inTransaction(store(), (trx) => startResults(trx, 'mr_start', [queued!, other!], NOW)), [], 'a running row is not started again; a pending one is not started as queued');
    await move('mr_start', { start: [{ from: 'pending', rows: [[other!, NOW]] }] });
    assert.equal((await runState(store(), 'mr_start')).run.started_at, EARLIER, "a later start does not move the run's start");
  });

  test('→ completed | error: counts, verdict counts, times and attempts; a finished row is never moved again', async () => {
    const ids = await pendingRun(store(), 'mr_finish', 4);
    const { rows } = await runState(store(), 'mr_finish');
    await move('mr_finish', { start: [{ from: 'pending', rows: [[ids[0]!, STARTED], [ids[1]!, STARTED]] }] });
    const moved = await move('mr_finish', {
      finish: [
        { from: 'running', outcomes: [outcomeOf(rows[0]!), outcomeOf(rows[1]!, { verdict: 'failed' })] },
        { from: 'pending', outcomes: [outcomeOf(rows[2]!, { status: 'error', verdict: null, error: { message: 'unreachable', error_code: 'x' } }, { startedAt: EARLIER, completedAt: FINISHED })] },
      ],
    });
    assert.deepEqual(moved, [ids[0], ids[1], ids[2]]);
    let state = await runState(store(), 'mr_finish');
    assert.deepEqual(state.rows.map((row) => [row.status, row.verdict, row.attempts, row.started_at, row.completed_at]), [
      ['completed', 'passed', 1, STARTED, FINISHED],
      ['completed', 'failed', 1, STARTED, FINISHED],
      ['error', null, 1, EARLIER, FINISHED],
      ['pending', null, 0, null, null],
    ]);
    assert.deepEqual([state.run.n_completed, state.run.n_error, state.run.n_passed, state.run.n_failed, state.run.status], [2, 1, 1, 1, 'running']);
    assert.equal(countsDisagreement(state), null);

    const again = await move('mr_finish', {
      finish: [
        { from: 'running', outcomes: [outcomeOf(rows[0]!, { verdict: 'blocked' })] },
        { from: 'pending', outcomes: [outcomeOf(rows[2]!)] },
      ],
    });
    assert.deepEqual(again, [], 'a finished row is never moved again');
    state = await runState(store(), 'mr_finish');
    assert.deepEqual(state.rows.slice(0, 3).map((row) => [row.status, row.verdict]), [['completed', 'passed'], ['completed', 'failed'], ['error', null]]);
    assert.equal(countsDisagreement(state), null);
  });

  test('the run completes, at `now`, when its last row is terminal, whatever the verdicts; not while a row is pending, queued or running', async () => {
    for (const live of ['pending', 'queued', 'running'] as const) {
      const runId = `mr_complete_${live}`;
      const ids = await pendingRun(store(), runId, 2);
      const { rows } = await runState(store(), runId);
      if (live === 'queued') await inTransaction(store(), (trx) => queueResults(trx, runId, [ids[1]!]));
      if (live === 'running') await move(runId, { start: [{ from: 'pending', rows: [[ids[1]!, STARTED]] }] });
      await move(runId, { finish: [{ from: 'pending', outcomes: [outcomeOf(rows[0]!, { verdict: 'blocked' }, { startedAt: STARTED })] }] });
      assert.deepEqual([(await runState(store(), runId)).run.status, live], ['running', live], 'not complete while a row is live');
      await move(runId, { finish: [{ from: live, outcomes: [outcomeOf(rows[1]!, { status: 'error', verdict: null }, { startedAt: STARTED })] }] });
      const state = await runState(store(), runId);
      assert.deepEqual([state.run.status, state.run.started_at, state.run.completed_at, live], ['completed', STARTED, NOW, live]);
      assert.deepEqual([state.run.n_blocked, state.run.n_error], [1, 1]);
      assert.equal(countsDisagreement(state), null);
      assert.deepEqual(await move(runId, { start: [{ from: 'pending', rows: [[ids[0]!, NOW]] }] }), [], 'a terminal run moves nothing');
    }
  });

  test('every column of an outcome is recorded in its own column, on either store', async () => {
    await pendingRun(store(), 'mr_columns', 1);
    const [row] = (await runState(store(), 'mr_columns')).rows;
    const outcome = outcomeOf(row!, {
      verdict: 'failed',
      outputs: new JsonText('{"output-json-0":{"total":7}}'),
      routing: ['blk_a', 'blk_b'],
      warnings: ['slow'],
      error: { message: 'close', error_code: 'assertion_failed' },
      assertionResult: { outcome: 'failed', score: 0.5 },
      details: { reasoning: 'because' },
      durationMs: 1234,
    });
    await move('mr_columns', { finish: [{ from: 'pending', outcomes: [outcome] }] });
    const [recorded] = (await runState(store(), 'mr_columns')).rows;
    assert.deepEqual(
      {
        status: recorded!.status,
        verdict: recorded!.verdict,
        outputs: recorded!.outputs,
        routing: recorded!.routing,
        warnings: recorded!.warnings,
        error: recorded!.error,
        assertion_result: recorded!.assertion_result,
        execution_details: recorded!.execution_details,
        duration_ms: recorded!.duration_ms,
        started_at: recorded!.started_at,
        completed_at: recorded!.completed_at,
        attempts: recorded!.attempts,
      },
      {
        status: 'completed',
        verdict: 'failed',
        outputs: '{"output-json-0":{"total":7}}',
        routing: '["blk_a","blk_b"]',
        warnings: '["slow"]',
        error: '{"message":"close","error_code":"assertion_failed"}',
        assertion_result: '{"outcome":"failed","score":0.5}',
        execution_details: '{"reasoning":"because"}',
        duration_ms: 1234,
        started_at: FINISHED,
        completed_at: FINISHED,
        attempts: 1,
      },
      'started by the same write: started_at falls back to the finish time, one attempt',
    );
  });

  test("the tests' latest summaries point at their newest terminal rows: passing, failing (failed, blocked, error)", async () => {
    const first = await pendingRun(store(), 'mr_latest', 4);
    const firstRows = (await runState(store(), 'mr_latest')).rows;
    await move('mr_latest', {
      finish: [
        {
          from: 'pending',
          outcomes: [outcomeOf(firstRows[0]!), outcomeOf(firstRows[1]!, { verdict: 'failed' }), outcomeOf(firstRows[2]!, { verdict: 'blocked' }), outcomeOf(firstRows[3]!, { status: 'error', verdict: null })],
        },
      ],
    });
    let { tests } = await runState(store(), 'mr_latest');
    const summaries = () => firstRows.map((row) => tests.get(row.test_id)).map((t) => [t!.latest_result_id, t!.latest_passing_result_id, t!.latest_failing_result_id]);
    assert.deepEqual(summaries(), [
      [first[0], first[0], null],
      [first[1], null, first[1]],
      [first[2], null, first[2]],
      [first[3], null, first[3]],
    ]);

    const second = await pendingRun(store(), 'mr_latest_again', 2, { testsOf: 'mr_latest' });
    const secondRows = (await runState(store(), 'mr_latest_again')).rows;
    await move('mr_latest_again', { finish: [{ from: 'pending', outcomes: [outcomeOf(secondRows[0]!, { verdict: 'failed' }), outcomeOf(secondRows[1]!)] }] });
    ({ tests } = await runState(store(), 'mr_latest'));
    assert.deepEqual(summaries().slice(0, 2), [
      [second[0], first[0], second[0]],
      [second[1], second[1], first[1]],
    ], 'the newer row is the latest; the other summary keeps its row');
  });

  test('a cancelled run moves nothing, and its counts stay', async () => {
    const ids = await pendingRun(store(), 'mr_cancelled', 2);
    const { rows } = await runState(store(), 'mr_cancelled');
    await move('mr_cancelled', { start: [{ from: 'pending', rows: [[ids[0]!, STARTED]] }] });
    await inTransaction(store(), (trx) => cancelRun(trx, PENDING_RUN_ORG, 'mr_cancelled', null, NOW));
    const before = await runState(store(), 'mr_cancelled');
    const moved = await move('mr_cancelled', {
      queue: [ids[1]!],
      start: [{ from: 'pending', rows: [[ids[1]!, NOW]] }],
      finish: [{ from: 'running', outcomes: [outcomeOf(rows[0]!)] }],
    });
    assert.deepEqual(moved, []);
    assert.deepEqual(await runState(store(), 'mr_cancelled'), before);
  });
});

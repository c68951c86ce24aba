import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PENDING_RUN_ORG, pendingRun } from '../../testing/pending-run.js';
import { countsDisagreement, inTransaction, onEachStore, outcomeOf, runState, statuses } from '../../testing/run-state.js';
import { applyFlush } from './apply-flush.js';
import { cancelRun } from './cancel-run.js';

const NOW = '2026-11-29T00:00:06.000Z';

onEachStore('applyFlush', (store) => {
  test("applies each run's moves in one transaction and names, per run, the rows that did not move", async () => {
    const live = await pendingRun(store(), 'af_live', 3);
    const ended = await pendingRun(store(), 'af_ended', 2);
    await inTransaction(store(), (trx) => cancelRun(trx, PENDING_RUN_ORG, 'af_ended', null, NOW));
    const [liveRows, endedRows] = [(await runState(store(), 'af_live')).rows, (await runState(store(), 'af_ended')).rows];

    const unmoved = await inTransaction(store(), (trx) =>
      applyFlush(trx, {
        now: NOW,
        runs: [
          { runId: 'af_live', moves: { queue: [live[2]!], start: [{ from: 'queued', rows: [[live[1]!, NOW]] }], finish: [{ from: 'pending', outcomes: [outcomeOf(liveRows[0]!)] }] } },
          { runId: 'af_ended', moves: { start: [{ from: 'pending', rows: [[ended[0]!, NOW]] }], finish: [{ from: 'pending', outcomes: [outcomeOf(endedRows[1]!)] }] } },
        ],
      }),
    );
    assert.deepEqual(unmoved, [
      { runId: 'af_live', unmoved: [live[1]] },
      { runId: 'af_ended', unmoved: [ended[0], ended[1]] },
    ]);
    const state = await runState(store(), 'af_live');
    assert.deepEqual(statuses(state), ['completed', 'pending', 'queued']);
    assert.equal(countsDisagreement(state), null);
    assert.deepEqual(statuses(await runState(store(), 'af_ended')), ['cancelled', 'cancelled']);
  });
});

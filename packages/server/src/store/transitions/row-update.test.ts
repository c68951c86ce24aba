import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pendingRun } from '../../testing/pending-run.js';
import { inTransaction, onEachStore, runState } from '../../testing/run-state.js';
import { expression, rowsOf } from './row-update.js';

interface Change {
  id: string;
  note: string | null;
  duration: number | null;
}

/** A description using every kind of term: text and integer values, one value twice, a shared parameter, a guard. */
const change = rowsOf<Change, { status: string; bonus: number }>();
const note = change.text((c) => c.note);
const WRITE_NOTES = change.update('test_results', {
  key: change.text((c) => c.id),
  set: {
    error: note,
    warnings: expression`coalesce(${note}, 'none')`,
    duration_ms: change.integer((c) => c.duration),
    attempts: expression`attempts + ${change.shared('bonus')}`,
  },
  where: expression`status = ${change.shared('status')}`,
});

change.update('test_results', {
  key: change.text((c) => c.id),
  set: {
    // @ts-expect-error a column the table does not have
    durations: change.integer((c) => c.duration),
  },
});
change.update('tests', {
  key: change.text((c) => c.id),
  set: {
    // @ts-expect-error a number for a text column
    latest_result_id: change.integer((c) => c.duration),
  },
});

onEachStore('RowUpdate', (store) => {
  test('each row sets its own values, read back with their types; only rows passing the guard change, and are returned', async () => {
    const ids = await pendingRun(store(), 'ru_rows', 3);
    await store().db.updateTable('test_results').set({ status: 'queued' }).where('id', '=', ids[2]!).execute();
    const changes: Change[] = [
      { id: ids[0]!, note: 'it\'s "quoted" \\ ünïcødé 😀 \n', duration: 2_000_000_000 },
      { id: ids[1]!, note: null, duration: null },
      { id: ids[2]!, note: 'not pending', duration: 1 },
      { id: 'ru_rows_missing', note: 'no such row', duration: 1 },
    ];
    const changed = await inTransaction(store(), (trx) => WRITE_NOTES.run(trx, changes, { status: 'pending', bonus: 2 }));
    assert.deepEqual(changed, changes.slice(0, 2));
    const { rows } = await runState(store(), 'ru_rows');
    assert.deepEqual(rows.map((row) => [row.error, row.warnings, row.duration_ms, row.attempts]), [
      [changes[0]!.note, changes[0]!.note, 2_000_000_000, 2],
      [null, 'none', null, 2],
      [null, null, null, 0],
    ]);
  });

  test('no rows: nothing is sent', async () => {
    assert.deepEqual(await inTransaction(store(), (trx) => WRITE_NOTES.run(trx, [], { status: 'pending', bonus: 1 })), []);
  });
});

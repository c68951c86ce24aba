import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createStyle, exitCodeForRun, exitCodeHelp, fields, formatDuration, formatTimestamp, safe, table } from './output.js';
import { plainProgressLine, progressLine } from './progress.js';
import { Capture, failedResult, resultFixture, runFixture } from './test-support.js';
import { NO_LABELS, resultsTable, runSummary } from './views.js';

const plain = createStyle(new Capture(false), {});
const coloured = createStyle(new Capture(true), {});

describe('colours', () => {
  test('only on a terminal, and never with NO_COLOR or TERM=dumb', () => {
    assert.equal(plain.red('x'), 'x');
    assert.equal(coloured.red('x'), '\x1b[31mx\x1b[39m');
    assert.equal(createStyle(new Capture(true), { NO_COLOR: '1' }).enabled, false);
    assert.equal(createStyle(new Capture(true), { TERM: 'dumb' }).enabled, false);
  });
});

describe('table', () => {
  test('aligns columns on visible width, colour codes included', () => {
    const text = table(['ID', 'STATUS', 'NOTE'], [[coloured.green('a'), 'passed', 'x'], ['bbbb', coloured.red('failed'), 'y']], plain);
    const lines = text.replace(/\x1b\[[0-9;]*m/g, '').split('\n');
    assert.deepEqual(lines, ['ID    STATUS  NOTE', 'a     passed  x', 'bbbb  failed  y', '']);
  });

  test('fields aligns labels', () => {
    assert.equal(fields([['Run', 'r'], ['Status', 's']], plain), 'Run     r\nStatus  s\n');
  });

  test('safe() neutralises escape sequences and line breaks from the server', () => {
    assert.equal(safe('evil\x1b[2Jname\nnext'), 'evil [2Jname next');
    assert.equal(safe(null), '');
  });
});

describe('formats', () => {
  test('durations and timestamps', () => {
    assert.equal(formatDuration(null), '-');
    assert.equal(formatDuration(250), '250 ms');
    assert.equal(formatDuration(1500), '1.5 s');
    assert.equal(formatDuration(125_000), '2 min 5 s');
    assert.equal(formatTimestamp('2026-05-29T10:00:00.123Z'), '2026-05-29 10:00:00Z');
    assert.equal(formatTimestamp('2026-05-29T10:00:00+02:00'), '2026-05-29T10:00:00+02:00');
    assert.equal(formatTimestamp(null), '-');
  });

  test('run summary and progress lines carry the counts', () => {
    const run = runFixture('running', { passed: 1, failed: 1 }, 4);
    assert.equal(runSummary(run, plain), 'Run wftestrun_1 running: 1 passed, 1 failed, 0 blocked, 2 waiting of 4 in 1.5 s');
    assert.equal(plainProgressLine(run, plain), 'run wftestrun_1 running: 2/4 ran, 1 passed, 1 failed, 0 blocked, 2 waiting of 4\n');
    assert.match(progressLine(run, plain), /^wftestrun_1 running \[█{6}█{6}░{12}\] 2\/4 {2}1 passed/);
  });

  test('a cancelled run does not read as done: cancelled tests are counted and drawn apart from those that ran', () => {
    const run = runFixture('cancelled', { passed: 1, failed: 1 }, 4);
    assert.equal(plainProgressLine(run, plain), 'run wftestrun_1 cancelled: 2/4 ran, 1 passed, 1 failed, 0 blocked, 2 cancelled of 4\n');
    assert.match(progressLine(run, plain), /^wftestrun_1 cancelled \[█{6}█{6}×{12}\] 2\/4 {2}/);
  });

  test('results table: failures first, names and block labels instead of ids, the check with expected and actual', () => {
    const labels = { ...NO_LABELS, tests: new Map([['wfnodetest_r1', 'Total is right']]), checks: new Map([['wfnodetest_r2', 'equals on output-json-0.total']]), blocks: new Map([['blk_extract', 'Extract invoice']]) };
    // A 3 s test that waited 7.5 s for a sandbox thread (issue 24 item 10): its row's span is 10.5 s.
    const waited = { ...failedResult('r2', 10, 12), duration_ms: 3000, queued_ms: 7500 };
    waited.timing = { ...waited.timing, duration_ms: 10_500 };
    const text = resultsTable([resultFixture('r1'), waited], labels, plain);
    const [header, first, second] = text.split('\n');
    assert.match(header, /^RESULT ID +TEST +BLOCK +OUTCOME +TIME +QUEUED +CHECK +EXPECTED +ACTUAL +DETAIL$/);
    assert.match(first, /^r2 +wfnodetest_r2 +Extract invoice +failed +3\.0 s +7\.5 s +equals on output-json-0\.total +10 +12 +condition_not_met: Values differ\.$/);
    assert.match(second, /^r1 +Total is right +Extract invoice +passed +250 ms +- +-$/);
    assert.match(resultsTable([resultFixture('r3')], NO_LABELS, plain).split('\n')[1]!, /^r3 +wfnodetest_r3 +blk_extract +passed/, 'ids when labels are unknown');
  });
});

describe('exit codes', () => {
  test('0 all passed, 1 a test failed, blocked or errored, 2 the run errored or was cancelled', () => {
    assert.equal(exitCodeForRun(runFixture('completed', { passed: 3 })), 0);
    assert.equal(exitCodeForRun(runFixture('completed', { passed: 2, blocked: 1 })), 1);
    assert.equal(exitCodeForRun(runFixture('completed', { passed: 2, failed: 1 })), 1);
    const errored = runFixture('completed', { passed: 2 });
    errored.counts.lifecycle_counts.error = 1;
    errored.counts.lifecycle_counts.pending = 0;
    assert.equal(exitCodeForRun(errored), 1);
    assert.equal(exitCodeForRun(runFixture('cancelled', { passed: 1 })), 2);
    assert.equal(exitCodeForRun(runFixture('error')), 2);
    assert.equal(exitCodeForRun(runFixture('running')), 2);
  });

  test('are documented for --help', () => {
    const help = exitCodeHelp();
    for (const code of ['0', '1', '2', '3', '130']) assert.match(help, new RegExp(`^  ${code} `, 'm'));
  });
});

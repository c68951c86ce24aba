import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { renderJUnit, xmlEscape } from './junit.js';
import { failedResult, resultFixture, runFixture } from './test-support.js';

describe('xmlEscape', () => {
  test('escapes the five XML specials and drops characters XML cannot carry', () => {
    assert.equal(xmlEscape(`a<b>&"c"'d'`), 'a&lt;b&gt;&amp;&quot;c&quot;&apos;d&apos;');
    assert.equal(xmlEscape('bell\x07 nul\x00 esc\x1b lone\uD800 ok\t\n'), 'bell nul esc lone ok\t\n');
    assert.equal(xmlEscape('emoji 🙂 stays'), 'emoji 🙂 stays');
  });
});

describe('renderJUnit', () => {
  const run = runFixture('completed', { passed: 1, failed: 1, blocked: 1 }, 5);
  const blocked = resultFixture('r3', {
    verdict: 'blocked',
    error: { message: 'Function threw: x is undefined', error_code: 'block_execution_failed' },
  });
  const errored = resultFixture('r4', { lifecycle: { status: 'error', message: 'Worker lost after 3 attempts' }, verdict: null });
  const cancelled = resultFixture('r5', { lifecycle: { status: 'cancelled', reason: 'user asked' }, verdict: null });
  const results = [resultFixture('r1'), failedResult('r2', { total: '<10 & "up">' }, 'it\'s\nwrong'), blocked, errored, cancelled];
  const names = new Map([['wfnodetest_r1', 'Total <is> right']]);
  const xml = renderJUnit({ run, results, testNames: names });

  test('one suite per run with totals, one testcase per result named by test name or id, classname = block', () => {
    assert.match(xml, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites name="verdict" tests="5" failures="2" errors="1" skipped="1" time="1.500">/);
    assert.match(xml, /<testsuite name="wf_1 wftestrun_1" tests="5" failures="2" errors="1" skipped="1" time="1.500" timestamp="2026-05-29T10:00:00.000Z">/);
    assert.equal(xml.match(/<testcase /g)?.length, 5);
    assert.match(xml, /<testcase name="Total &lt;is&gt; right" classname="blk_extract" time="0.250">/);
    assert.match(xml, /<testcase name="wfnodetest_r2" classname="blk_extract"/);
    assert.match(xml, /<property name="run_status" value="completed"\/>/);
  });

  test("a testcase's time is the block's execution, not its wait in the queue (issue 24 item 10)", () => {
    const waited = resultFixture('r6', { duration_ms: 3000, queued_ms: 7500 });
    waited.timing = { ...waited.timing, duration_ms: 10_500 };
    assert.match(renderJUnit({ run, results: [waited], testNames: names }), /<testcase name="wfnodetest_r6" classname="blk_extract" time="3.000">/);
  });

  test('failed: <failure type="verdict"> with expected and actual, escaped', () => {
    const failure = /<testcase name="wfnodetest_r2"[\s\S]*?<failure message="condition_not_met: Values differ\." type="verdict">([\s\S]*?)<\/failure>/.exec(xml);
    assert.ok(failure, xml);
    assert.equal(
      failure[1],
      'verdict: failed\nassertion: assert_1 (equals)\nexpected: {&quot;total&quot;:&quot;&lt;10 &amp; \\&quot;up\\&quot;&gt;&quot;}\nactual: &quot;it&apos;s\\nwrong&quot;\nreason: condition_not_met: Values differ.',
    );
  });

  test('blocked is a failure too; an errored row is <error>; a cancelled one <skipped>', () => {
    assert.match(xml, /<failure message="block_execution_failed: Function threw: x is undefined" type="verdict">verdict: blocked\n/);
    assert.match(xml, /<error message="Worker lost after 3 attempts" type="verdict">verdict: error\nreason: Worker lost after 3 attempts<\/error>/);
    assert.match(xml, /<skipped message="cancelled: user asked"\/>/);
    const passing = /<testcase name="Total[\s\S]*?<\/testcase>/.exec(xml)![0];
    assert.doesNotMatch(passing, /<failure|<error|<skipped/);
  });

  test('line breaks in attributes survive as character references, and the document stays balanced', () => {
    const multiline = renderJUnit({ run, results: [resultFixture('x', { lifecycle: { status: 'error', message: 'line 1\nline "2"' }, verdict: null })], testNames: new Map() });
    assert.match(multiline, /<error message="line 1&#10;line &quot;2&quot;"/);
    const opened = (xml.match(/<(testsuites|testsuite|testcase|failure|error|properties)[ >]/g) ?? []).length;
    const closed = (xml.match(/<\/(testsuites|testsuite|testcase|failure|error|properties)>/g) ?? []).length;
    assert.equal(opened, closed);
  });

  test('an errored run reports its message in <system-err>', () => {
    const errorXml = renderJUnit({ run: runFixture('error'), results: [], testNames: new Map() });
    assert.match(errorXml, /<system-err>Workflow draft could not be loaded\.<\/system-err>\n  <\/testsuite>/);
    assert.match(errorXml, /tests="0" failures="0" errors="0" skipped="0"/);
  });
});

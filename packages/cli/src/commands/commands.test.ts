import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Command, CommanderError } from 'commander';
import { Verdict, type WorkflowTestResult, type WorkflowTestRun } from '@verdict/sdk';
import { applyUsageExitCode } from '../output.js';
import { failedResult, fakeTerminal, page, resultFixture, runFixture, type FakeApi, type FakeTerminal } from '../test-support.js';
import { registerApplyCommands } from './apply.js';
import { registerResultsCommands } from './results.js';
import { registerRunsCommands } from './runs.js';
import { registerTestsCommands } from './tests.js';
import { registerWorkflowsCommands } from './workflows.js';

function program(terminal: FakeTerminal): Command {
  const root = new Command('verdict')
    .exitOverride()
    .configureOutput({ writeOut: (text) => terminal.stdout.write(text), writeErr: (text) => terminal.stderr.write(text) });
  for (const register of [registerWorkflowsCommands, registerTestsCommands, registerRunsCommands, registerResultsCommands, registerApplyCommands]) register(root, terminal.context);
  return root;
}

/** Runs `verdict …args` and answers its exit code (3 for commander's own usage errors). */
async function verdict(terminal: FakeTerminal, ...args: string[]): Promise<number | undefined> {
  try {
    await program(terminal).parseAsync(args, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) return 3;
    throw error;
  }
  return terminal.exitCode();
}

async function until(condition: () => boolean): Promise<void> {
  for (let waited = 0; !condition(); waited += 5) {
    if (waited > 2000) throw new Error('timed out waiting for a condition');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const notFound = { status: 404, json: { detail: { code: 'run_not_found', message: 'No test run `wftestrun_x` in this organization.', details: {} } } };

/** A run that goes through `states` one poll at a time, then stays on the last one. */
function runApi(states: WorkflowTestRun[], results: WorkflowTestResult[] = []): FakeApi {
  let polls = 0;
  return (method, url) => {
    const path = url.pathname;
    if (method === 'POST' && path === '/v1/workflows/evals/runs') return { status: 202, json: runFixture('pending') };
    if (method === 'POST' && path === '/v1/workflows/evals/runs/wftestrun_1/cancel') return { json: runFixture('cancelled', { passed: 1 }) };
    if (path === '/v1/workflows/evals/runs/wftestrun_1') return { json: states[Math.min(polls++, states.length - 1)] };
    if (path === '/v1/workflows/evals/results') return page(results);
    if (path === '/v1/workflows/evals') return page([{ id: 'wfnodetest_r1', name: 'Total is right' }]);
    return notFound;
  };
}

const progressing = (last: WorkflowTestRun) => [runFixture('running'), runFixture('running', { passed: 1 }), last];

describe('verdict runs create --wait', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'verdict-cli-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test('exit 1 when a test failed; writes JUnit; plain progress lines off a terminal', async () => {
    const terminal = fakeTerminal(runApi(progressing(runFixture('completed', { passed: 2, failed: 1 })), [resultFixture('r1'), failedResult('r2', 10, 11)]));
    const junit = join(dir, 'report.xml');
    assert.equal(await verdict(terminal, 'runs', 'create', 'wf_1', '--test', 'wfnodetest_r2', '--wait', '--poll-ms', '50', '--junit', junit), 1);
    assert.deepEqual(terminal.bodies[0], { workflow_id: 'wf_1', scope: { type: 'single', eval_id: 'wfnodetest_r2' } });
    assert.match(terminal.stderr.text, /run wftestrun_1 running: 1\/3 ran, 1 passed, 0 failed, 0 blocked, 2 waiting of 3\n/);
    assert.doesNotMatch(terminal.stderr.text, /\r|\x1b/);
    assert.match(terminal.stdout.text, /^Run wftestrun_1 completed: 2 passed, 1 failed, 0 blocked of 3/);
    assert.match(terminal.stdout.text, /r2 +wfnodetest_r2 +blk_extract +failed/);
    assert.doesNotMatch(terminal.stdout.text, /^r1 /m, 'passed rows are not listed');
    const xml = await readFile(junit, 'utf8');
    assert.match(xml, /<testcase name="Total is right" classname="blk_extract"/);
    assert.match(xml, /<failure message="condition_not_met: Values differ\." type="verdict">/);
    assert.ok(terminal.requests.includes('GET /v1/workflows/evals/results?run_id=wftestrun_1&order=asc&limit=100'));
  });

  test('--fail-on new-failures: exit 1 only for failures that are new against the base; --summary writes Markdown with new failures first', async () => {
    const change = (testId: string, kind: string, before: string | null, after: string | null, changed: string[] = []) => ({
      test_id: testId, test_name: testId === 'wfnodetest_r2' ? 'Total <b>is</b> | right' : testId, block_id: 'blk_extract', before, after, change: kind, changed, flaky: false, before_result_id: null, after_result_id: `res_${testId}`,
    });
    const comparisonWith = (newFailures: number) => ({
      run_id: 'wftestrun_1',
      base_run_id: 'wftestrun_0',
      summary: { new_failures: newFailures, fixed: 0, still_failing: 1 - newFailures, still_passing: 2, added: 0, removed: 0, not_run: 0, flaky: 0 },
      changes: [change('wfnodetest_r2', newFailures ? 'new_failure' : 'still_failing', newFailures ? 'passed' : 'failed', 'failed', newFailures ? ['block_config'] : [])],
      list_metadata: { before: null, after: null },
    });
    const withComparison = (newFailures: number): FakeApi => (method, url, body) =>
      url.pathname.endsWith('/comparison') ? { json: comparisonWith(newFailures) } : runApi([runFixture('completed', { passed: 2, failed: 1 })], [resultFixture('r1'), failedResult('r2', 10, 11)])(method, url, body);

    const known = fakeTerminal(withComparison(0));
    assert.equal(await verdict(known, 'runs', 'wait', 'wftestrun_1', '--poll-ms', '50', '--fail-on', 'new-failures'), 0, 'a known failure does not fail the build');
    const fresh = fakeTerminal(withComparison(1));
    const summaryFile = join(dir, 'summary.md');
    assert.equal(await verdict(fresh, '--base-url', 'http://verdict.test', 'runs', 'wait', 'wftestrun_1', '--poll-ms', '50', '--fail-on', 'new-failures', '--summary', summaryFile), 1);
    assert.match(fresh.stderr.text, /^Dashboard: http:\/\/verdict\.test\/runs\/wftestrun_1\n/);
    const markdown = await readFile(summaryFile, 'utf8');
    assert.match(markdown, /^## Verdict run \[wftestrun_1\]\(http:\/\/verdict\.test\/runs\/wftestrun_1\): completed\n/);
    assert.match(markdown, /\*\*1 new failures\*\*/);
    assert.match(markdown, /### New failures\n\n\| Test \| Before \| After \| Changed \|\n\|---\|---\|---\|---\|\n\| \[Total \\<b\\>is\\<\/b\\> \\\| right\]\(http:\/\/verdict\.test\/results\/res_wfnodetest_r2\) \| passed \| failed \| block_config \|/);
    assert.doesNotMatch(markdown, /### Other failures/, 'the new failure is not listed twice');
  });

  test('--rerun-failed asks for a restart of only the failures; the JUnit report carries the dashboard URL', async () => {
    const terminal = fakeTerminal(runApi([runFixture('completed', { passed: 3 })]));
    const junit = join(dir, 'rerun.xml');
    assert.equal(await verdict(terminal, '--base-url', 'http://verdict.test', 'runs', 'create', 'wf_1', '--rerun-failed', 'wftestrun_0', '--junit', junit, '--poll-ms', '50'), 0);
    assert.deepEqual(terminal.bodies[0], { workflow_id: 'wf_1', restart_of: 'wftestrun_0', only_failed: true });
    assert.match(await readFile(junit, 'utf8'), /<property name="dashboard_url" value="http:\/\/verdict\.test\/runs\/wftestrun_1"\/>/);
    assert.equal(await verdict(fakeTerminal(runApi([])), 'runs', 'create', 'wf_1', '--rerun-failed', 'wftestrun_0', '--block', 'b'), 3);
  });

  test('exit 0 when every test passed, and --json prints only the final run', async () => {
    const terminal = fakeTerminal(runApi(progressing(runFixture('completed', { passed: 3 }))));
    assert.equal(await verdict(terminal, 'runs', 'create', 'wf_1', '--block', 'blk_extract', '--wait', '--poll-ms', '50', '--json'), 0);
    assert.deepEqual(terminal.bodies[0], { workflow_id: 'wf_1', scope: { type: 'block', block_id: 'blk_extract' } });
    assert.equal(JSON.parse(terminal.stdout.text).lifecycle.status, 'completed');
  });

  test('exit 2 when the run errored', async () => {
    const terminal = fakeTerminal(runApi([runFixture('error')]));
    assert.equal(await verdict(terminal, 'runs', 'wait', 'wftestrun_1', '--poll-ms', '50'), 2);
    assert.match(terminal.stdout.text, /error \(Workflow draft could not be loaded\.\)/);
  });

  test('exit 2 when the run does not finish within --timeout', async () => {
    const terminal = fakeTerminal(runApi([runFixture('running')]));
    assert.equal(await verdict(terminal, 'runs', 'wait', 'wftestrun_1', '--poll-ms', '50', '--timeout', '1'), 2);
    assert.match(terminal.stderr.text, /did not finish within 1 s; it keeps running on the server/);
  });

  test('a live bar on a terminal, redrawn in place', async () => {
    const terminal = fakeTerminal(runApi(progressing(runFixture('completed', { passed: 3 }))), { tty: true });
    assert.equal(await verdict(terminal, 'runs', 'wait', 'wftestrun_1', '--poll-ms', '50'), 0);
    assert.match(terminal.stderr.text, /\r\x1b\[2Kwftestrun_1 running \[.*\] 1\/3/);
    assert.ok(terminal.stderr.text.endsWith('\n'), 'leaves a fresh line');
  });

  test('--test with --block is a usage error (exit 3), nothing is sent', async () => {
    const terminal = fakeTerminal(runApi([]));
    assert.equal(await verdict(terminal, 'runs', 'create', 'wf_1', '--test', 't', '--block', 'b'), 3);
    assert.match(terminal.stderr.text, /either --eval or --block/);
    assert.deepEqual(terminal.requests, []);
  });
});

describe('Ctrl-C during --wait', () => {
  const stillRunning = () => runApi([runFixture('running')]);

  test('a server restart under --wait: it keeps waiting and says so; an outage past --retry-for prints the command that resumes', async () => {
    let polls = 0;
    const restarting = fakeTerminal((method, url, body) => {
      if (url.pathname === '/v1/workflows/evals/runs/wftestrun_1' && ++polls <= 3) throw new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:8787') });
      return runApi([runFixture('completed', { passed: 3 })])(method, url, body);
    });
    assert.equal(await verdict(restarting, 'runs', 'wait', 'wftestrun_1', '--poll-ms', '50'), 0);
    assert.equal(restarting.stderr.text.match(/still waiting for run wftestrun_1/g)?.length, 1, 'the outage is reported once');
    assert.match(restarting.stderr.text, /The server answers again\./);

    const down = fakeTerminal(() => {
      throw new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:8787') });
    });
    assert.equal(await verdict(down, '--base-url', 'http://verdict.test', 'runs', 'wait', 'wftestrun_1', '--poll-ms', '50', '--retry-for', '1'), 3);
    assert.match(down.stderr.text, /did not answer for 1 s\. The run is kept on the server; resume with:\n {2}verdict --base-url http:\/\/verdict\.test runs wait wftestrun_1\n/);
  });

  test('off a terminal: cancels the run and exits 2', async () => {
    const terminal = fakeTerminal(stillRunning());
    const exit = verdict(terminal, 'runs', 'wait', 'wftestrun_1', '--poll-ms', '50');
    await until(() => terminal.requests.length >= 2);
    terminal.interrupt();
    assert.equal(await exit, 2);
    assert.ok(terminal.requests.includes('POST /v1/workflows/evals/runs/wftestrun_1/cancel'));
    assert.match(terminal.stdout.text, /cancelled/);
  });

  test('on a terminal: asks, and "y" cancels the run', async () => {
    const terminal = fakeTerminal(stillRunning(), { tty: true });
    const exit = verdict(terminal, 'runs', 'wait', 'wftestrun_1', '--poll-ms', '50');
    await until(() => terminal.requests.length >= 2);
    terminal.interrupt();
    await until(() => terminal.stderr.text.includes('Cancel run wftestrun_1? [y/N] '));
    terminal.stdin.write('y\n');
    assert.equal(await exit, 2);
    const cancelIndex = terminal.requests.indexOf('POST /v1/workflows/evals/runs/wftestrun_1/cancel');
    assert.ok(cancelIndex >= 0);
    assert.deepEqual(terminal.bodies[cancelIndex], { reason: 'Cancelled from the verdict CLI' });
  });

  test('runs cancel asks on a terminal ("n" cancels nothing, exit 3; --yes skips the question); a script is not asked', async () => {
    const asked = fakeTerminal(runApi([runFixture('running')]), { tty: true });
    const refused = verdict(asked, 'runs', 'cancel', 'wftestrun_1');
    await until(() => asked.stderr.text.includes('Cancel run wftestrun_1? Tests that have not finished will not run'));
    asked.stdin.write('n\n');
    assert.equal(await refused, 3);
    assert.ok(!asked.requests.some((request) => request.endsWith('/cancel')), 'nothing was cancelled');

    const confirmed = fakeTerminal(runApi([runFixture('running')]), { tty: true });
    assert.equal(await verdict(confirmed, 'runs', 'cancel', 'wftestrun_1', '--yes'), 0);
    assert.ok(confirmed.requests.includes('POST /v1/workflows/evals/runs/wftestrun_1/cancel'));
    assert.match(confirmed.stdout.text, /cancelled/);

    const script = fakeTerminal(runApi([runFixture('running')]));
    assert.equal(await verdict(script, 'runs', 'cancel', 'wftestrun_1'), 0);
    assert.ok(script.requests.includes('POST /v1/workflows/evals/runs/wftestrun_1/cancel'));
  });

  test('on a terminal: "n" keeps waiting, a second Ctrl-C at the prompt leaves without cancelling (130)', async () => {
    const terminal = fakeTerminal(stillRunning(), { tty: true });
    const exit = verdict(terminal, 'runs', 'wait', 'wftestrun_1', '--poll-ms', '50');
    await until(() => terminal.requests.length >= 2);
    terminal.interrupt();
    await until(() => terminal.stderr.text.includes('[y/N]'));
    terminal.stdin.write('n\n');
    const pollsBefore = terminal.requests.length;
    await until(() => terminal.requests.length > pollsBefore + 1);
    terminal.interrupt();
    await until(() => terminal.stderr.text.split('[y/N]').length === 3);
    terminal.interrupt();
    assert.equal(await exit, 130);
    assert.match(terminal.stderr.text, /Stopped waiting: run wftestrun_1 keeps running on the server\./);
    assert.ok(!terminal.requests.some((request) => request.startsWith('POST')));
  });
});

describe('other commands', () => {
  test('errors from the server: exit 3 with message, code and status', async () => {
    const terminal = fakeTerminal(() => notFound);
    assert.equal(await verdict(terminal, 'runs', 'cancel', 'wftestrun_x', '--reason', 'old'), 3);
    assert.deepEqual(terminal.bodies[0], { reason: 'old' });
    assert.match(terminal.stderr.text, /Error: No test run `wftestrun_x` in this organization\.\n\(run_not_found, HTTP 404\)/);
  });

  test('validation issues are listed one per line', async () => {
    const issues = [{ path: 'query.limit', message: 'Too big' }];
    const terminal = fakeTerminal(() => ({ status: 422, json: { detail: { code: 'validation_error', message: 'Invalid request.', details: { issues } } } }));
    assert.equal(await verdict(terminal, 'runs', 'list'), 3);
    assert.match(terminal.stderr.text, /\n {2}- query\.limit: Too big\n/);
  });

  test('an unreachable server: exit 3 with a hint', async () => {
    const terminal = fakeTerminal(() => {
      throw new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:8787') });
    });
    assert.equal(await verdict(terminal, 'workflows', 'list'), 3);
    assert.match(terminal.stderr.text, /ECONNREFUSED[\s\S]*--base-url or VERDICT_BASE_URL/);
  });

  test('a base URL without its scheme says what to write, not "is the server running?"', async () => {
    const terminal = fakeTerminal(() => page([]));
    assert.equal(await verdict(terminal, '--base-url', 'localhost:8787', 'workflows', 'list'), 3);
    assert.match(terminal.stderr.text, /write http:\/\/localhost:8787\. \(from --base-url or VERDICT_BASE_URL\)/);
    assert.doesNotMatch(terminal.stderr.text, /Is the server running/);
  });

  test('no API key: the message names the flag and the variable, not the SDK option', async () => {
    const terminal = fakeTerminal(() => page([]));
    const saved = { VERDICT_API_KEY: process.env.VERDICT_API_KEY, RETAB_API_KEY: process.env.RETAB_API_KEY };
    delete process.env.VERDICT_API_KEY;
    delete process.env.RETAB_API_KEY;
    try {
      terminal.context.createClient = (options) => new Verdict({ ...options, baseUrl: 'http://verdict.test' });
      await verdict(terminal, 'workflows', 'list');
    } finally {
      Object.assign(process.env, Object.fromEntries(Object.entries(saved).filter(([, value]) => value !== undefined)));
    }
    assert.equal(terminal.exitCode(), 3);
    assert.match(terminal.stderr.text, /No API key: pass --api-key <key> or set VERDICT_API_KEY/);
    assert.doesNotMatch(terminal.stderr.text, /`apiKey`/);
  });

  test('--base-url and --api-key reach the client, before or after the subcommand', async () => {
    const terminal = fakeTerminal(() => page([]));
    await verdict(terminal, '--base-url', 'http://a.test', 'workflows', 'list', '--api-key', 'key_b');
    assert.deepEqual(terminal.clientOptions, [{ baseUrl: 'http://a.test', apiKey: 'key_b' }]);
  });

  test('runs list: filters become query parameters; a table, or the page as JSON', async () => {
    const terminal = fakeTerminal(() => page([runFixture('completed', { passed: 3 })], 'wftestrun_1'));
    assert.equal(await verdict(terminal, 'runs', 'list', '--workflow', 'wf_1', '--status', 'completed', '--from', '2026-05-01', '--limit', '1'), 0);
    assert.equal(terminal.requests[0], 'GET /v1/workflows/evals/runs?limit=1&workflow_id=wf_1&status=completed&from_date=2026-05-01');
    assert.match(terminal.stdout.text, /^ID +WORKFLOW +STATUS +PASSED +FAILED +BLOCKED +TOTAL +CREATED +DURATION\nwftestrun_1 +wf_1 +completed +3 +0 +0 +3 +2026-05-29 10:00:00Z +1\.5 s\n$/);
    assert.match(terminal.stderr.text, /More runs: add --after wftestrun_1/);
    const jsonTerminal = fakeTerminal(() => page([]));
    await verdict(jsonTerminal, 'runs', 'list', '--json');
    assert.deepEqual(JSON.parse(jsonTerminal.stdout.text), { data: [], list_metadata: { before: null, after: null } });
  });

  test('--status takes only lifecycle statuses, --limit only 1-100 (usage errors)', async () => {
    assert.equal(await verdict(fakeTerminal(() => page([])), 'runs', 'list', '--status', 'done'), 3);
    assert.equal(await verdict(fakeTerminal(() => page([])), 'tests', 'list', 'wf_1', '--limit', '500'), 3);
  });

  test('runs compare: one table per kind of change, new failures first, the changed dependencies or "flaky"; passes only counted', async () => {
    const change = (testId: string, kind: string, before: string | null, after: string | null, changed: string[], flaky = false) => ({
      test_id: testId, test_name: `name ${testId}`, block_id: 'blk_extract', before, after, change: kind, changed, flaky, before_result_id: null, after_result_id: null,
    });
    const terminal = fakeTerminal((_, url) => {
      if (url.pathname.endsWith('/comparison')) {
        return {
          json: {
            run_id: 'wftestrun_1',
            base_run_id: 'wftestrun_0',
            summary: { new_failures: 2, fixed: 1, still_failing: 0, still_passing: 1, added: 0, removed: 0, not_run: 0, flaky: 1 },
            changes: [change('t1', 'new_failure', 'passed', 'failed', ['block_config']), change('t2', 'new_failure', 'passed', 'failed', [], true), change('t3', 'fixed', 'failed', 'passed', ['inputs', 'draft']), change('t4', 'still_passing', 'passed', 'passed', [])],
            list_metadata: { before: null, after: null },
          },
        };
      }
      if (url.pathname === '/v1/workflows/evals/runs/wftestrun_1') return { json: runFixture('completed') };
      if (url.pathname === '/v1/workflows/blocks') return page([{ id: 'blk_extract', label: 'Extract invoice' }]);
      return page([]);
    });
    assert.equal(await verdict(terminal, 'runs', 'compare', 'wftestrun_1'), 0);
    const text = terminal.stdout.text;
    assert.match(text, /^Run wftestrun_1 against wftestrun_0: 2 new failures, 1 fixed, 0 still failing, 1 still passing, 0 added, 0 removed, 1 flaky\n/);
    assert.match(text, /New failures \(2\)\nTEST +BLOCK +BEFORE +AFTER +CHANGED\nname t1 +Extract invoice +passed +failed +block_config\nname t2 +Extract invoice +passed +failed +nothing: flaky\n/);
    assert.ok(text.indexOf('New failures') < text.indexOf('Fixed (1)'));
    assert.match(text, /name t3 .* inputs, draft/);
    assert.match(text, /Still passing: 1 \(add --all to list them\)/);
    assert.doesNotMatch(text, /name t4/);
  });

  test('results list --all follows every page', async () => {
    const terminal = fakeTerminal((_, url) =>
      url.pathname === '/v1/workflows/evals' ? page([]) : url.searchParams.get('after') ? page([resultFixture('r2')]) : page([resultFixture('r1')], 'r1'),
    );
    assert.equal(await verdict(terminal, 'results', 'list', 'wftestrun_1', '--all', '--json'), 0);
    assert.deepEqual(JSON.parse(terminal.stdout.text).map((result: WorkflowTestResult) => result.id), ['r1', 'r2']);
  });

  test('results list --verdict failed reads every page and keeps only failures; block labels replace ids', async () => {
    const terminal = fakeTerminal((_, url) => {
      if (url.pathname === '/v1/workflows/evals') return page([]);
      if (url.pathname === '/v1/workflows/blocks') return page([{ id: 'blk_extract', label: 'Extract invoice' }]);
      return url.searchParams.get('after') ? page([failedResult('r2', 1, 2), resultFixture('r3')]) : page([resultFixture('r1')], 'r1');
    });
    assert.equal(await verdict(terminal, 'results', 'list', 'wftestrun_1', '--verdict', 'failed'), 0);
    const rows = terminal.stdout.text.trim().split('\n').slice(1);
    assert.equal(rows.length, 1);
    assert.match(rows[0]!, /^r2 +wfnodetest_r2 +Extract invoice +failed .* 1 +2 +condition_not_met/);
    assert.equal(await verdict(fakeTerminal(() => page([])), 'results', 'list', 'wftestrun_1', '--verdict', 'broken'), 3, 'only passed, failed or blocked');
  });

  test('evals is the command, tests its old name; runs take --eval, and --test as its old name', async () => {
    const terminal = fakeTerminal(() => page([]));
    assert.equal(await verdict(terminal, 'evals', 'list', 'wf_1', '--json'), 0);
    assert.equal(await verdict(terminal, 'tests', 'list', 'wf_1', '--json'), 0);
    assert.equal(await verdict(terminal, 'runs', 'list', '--eval', 'wfnodetest_1', '--json'), 0);
    assert.equal(await verdict(terminal, 'runs', 'list', '--test', 'wfnodetest_1', '--json'), 0);
    assert.deepEqual(terminal.requests, [
      'GET /v1/workflows/evals?workflow_id=wf_1',
      'GET /v1/workflows/evals?workflow_id=wf_1',
      'GET /v1/workflows/evals/runs?eval_id=wfnodetest_1',
      'GET /v1/workflows/evals/runs?eval_id=wfnodetest_1',
    ]);
    assert.equal(await verdict(fakeTerminal(() => page([])), 'runs', 'create', 'wf_1', '--eval', 'a', '--test', 'b'), 3);
  });

  test('tests delete asks on a terminal and needs --yes elsewhere', async () => {
    const api: FakeApi = () => ({ status: 204 });
    const offTerminal = fakeTerminal(api);
    assert.equal(await verdict(offTerminal, 'tests', 'delete', 'wfnodetest_1'), 3);
    assert.deepEqual(offTerminal.requests, []);
    assert.equal(await verdict(offTerminal, 'tests', 'delete', 'wfnodetest_1', '--yes'), 0);
    assert.deepEqual(offTerminal.requests, ['DELETE /v1/workflows/evals/wfnodetest_1']);

    const declined = fakeTerminal(api, { tty: true });
    const exit = verdict(declined, 'tests', 'delete', 'wfnodetest_1');
    await until(() => declined.stderr.text.includes('[y/N]'));
    declined.stdin.write('no\n');
    assert.equal(await exit, 0);
    assert.deepEqual(declined.requests, []);
  });

  test('tests create reads JSON files and stdin, and checks them before sending', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'verdict-tests-'));
    try {
      const assertionFile = join(dir, 'assertion.json');
      await writeFile(assertionFile, JSON.stringify({ target: { output_handle_id: 'output-json-0', path: 'total' }, condition: { kind: 'exists' } }));
      const created = { id: 'wfnodetest_new', name: 'T', workflow_id: 'wf_1', target: { type: 'block', block_id: 'blk_1' }, source: { type: 'manual', handle_inputs: {} }, assertion: null, validation_status: 'valid', latest_run_summary: null, updated_at: '2026-05-29T10:00:00Z' };
      const terminal = fakeTerminal(() => ({ status: 201, json: created }));
      const exit = verdict(terminal, 'tests', 'create', 'wf_1', '--name', 'T', '--block', 'blk_1', '--source-file', '-', '--assertion-file', assertionFile);
      terminal.stdin.end('{"type":"manual","handle_inputs":{"input-json-0":{"type":"json","data":{"a":1}}}}');
      assert.equal(await exit, 0);
      assert.deepEqual(terminal.bodies[0], {
        workflow_id: 'wf_1',
        name: 'T',
        target: { type: 'block', block_id: 'blk_1' },
        source: { type: 'manual', handle_inputs: { 'input-json-0': { type: 'json', data: { a: 1 } } } },
        assertion: { target: { output_handle_id: 'output-json-0', path: 'total' }, condition: { kind: 'exists' } },
      });
      assert.match(terminal.stdout.text, /Created test wfnodetest_new/);

      const invalid = fakeTerminal(() => ({ status: 201, json: created }));
      const invalidExit = verdict(invalid, 'tests', 'create', 'wf_1', '--block', 'blk_1', '--source-file', '-', '--assertion-file', assertionFile);
      invalid.stdin.end('{"type":"recorded"}');
      assert.equal(await invalidExit, 3);
      assert.match(invalid.stderr.text, /The test is not valid:\n {2}- source\.type: /);
      assert.deepEqual(invalid.requests, []);

      const broken = fakeTerminal(() => ({ status: 201, json: created }));
      assert.equal(await verdict(broken, 'tests', 'create', 'wf_1', '--block', 'b', '--source-file', join(dir, 'missing.json'), '--assertion-file', assertionFile), 3);
      assert.match(broken.stderr.text, /Cannot read .*missing\.json/);

      const sourceFile = join(dir, 'large-invoice.json');
      await writeFile(sourceFile, '{"type":"manual","handle_inputs":{"input-json-0":{"type":"json","data":{"a":1}}}}');
      const unnamed = fakeTerminal(() => ({ status: 201, json: created }));
      assert.equal(await verdict(unnamed, 'tests', 'create', 'wf_1', '--block', 'blk_1', '--source-file', sourceFile, '--assertion-file', assertionFile), 0);
      assert.equal((unnamed.bodies[0] as { name: string }).name, 'large-invoice · exists total', 'a test created without --name is named after its case and check');
      const fromStdin = fakeTerminal(() => ({ status: 201, json: created }));
      const stdinExit = verdict(fromStdin, 'tests', 'create', 'wf_1', '--block', 'blk_1', '--source-file', '-', '--assertion-file', assertionFile);
      fromStdin.stdin.end('{"type":"manual","handle_inputs":{}}');
      assert.equal(await stdinExit, 0);
      assert.equal((fromStdin.bodies[0] as { name: string }).name, 'blk_1 · exists total');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('verdict apply', () => {
  const plan = (destroy: number) => ({
    workflow_id: 'wf_demo',
    action: 'update',
    block_count: 2,
    edge_count: 1,
    diagnostics: { is_valid: true, issues: [{ severity: 'warning', code: 'W', message: 'Block has no label', path: 'spec.blocks.a' }] },
    format_version: 'workflows-plan/v1',
    summary: { add: 1, change: 0, destroy, replace: 0, noop: 1, total: 2, has_changes: true },
    resource_changes: [],
    rendered_plan: destroy ? '' : '+ block a\n  ~ label\n\nPlan: 1 to add.\n',
  });
  const specApi = (destroy: number): FakeApi => (_, url) =>
    url.pathname.endsWith('/plan') ? { json: plan(destroy) } : { json: { ...plan(destroy), created: false } };

  let dir: string;
  let file: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'verdict-apply-'));
    file = join(dir, 'wf.yaml');
    await writeFile(file, 'apiVersion: workflows.retab.com/v1alpha2\n');
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test('off a terminal: applies when nothing is destroyed, shows the plan and warnings', async () => {
    const terminal = fakeTerminal(specApi(0));
    assert.equal(await verdict(terminal, 'apply', file), 0);
    assert.deepEqual(terminal.requests, ['POST /v1/workflows/spec/plan', 'POST /v1/workflows/spec/apply']);
    assert.deepEqual(terminal.bodies[1], { yaml_definition: 'apiVersion: workflows.retab.com/v1alpha2\n' });
    assert.match(terminal.stdout.text, /^\+ block a\n {2}~ label\n\nPlan: 1 to add\.\nApplied/);
    assert.match(terminal.stdout.text, /Applied: workflow wf_demo updated \(1 added, 0 changed, 0 destroyed\)/);
    assert.match(terminal.stderr.text, /warning: spec\.blocks\.a: Block has no label/);
  });

  test('off a terminal: refuses to destroy without --yes (exit 3)', async () => {
    const terminal = fakeTerminal(specApi(2));
    assert.equal(await verdict(terminal, 'apply', file), 3);
    assert.deepEqual(terminal.requests, ['POST /v1/workflows/spec/plan']);
    assert.match(terminal.stdout.text, /^Plan: 1 to add, 0 to change, 2 to destroy\.\n/, 'counts stand in for an empty rendered plan');
    assert.match(terminal.stderr.text, /The plan destroys 2 resource\(s\): pass --yes/);
    assert.equal(await verdict(terminal, 'apply', file, '--yes'), 0);
    assert.equal(terminal.requests.at(-1), 'POST /v1/workflows/spec/apply');
  });

  test('on a terminal: asks first', async () => {
    const terminal = fakeTerminal(specApi(0), { tty: true });
    const exit = verdict(terminal, 'apply', file);
    await until(() => terminal.stderr.text.includes('Apply these changes to workflow wf_demo? [y/N] '));
    terminal.stdin.write('\n');
    assert.equal(await exit, 0);
    assert.deepEqual(terminal.requests, ['POST /v1/workflows/spec/plan']);
    assert.match(terminal.stderr.text, /Nothing applied\./);
  });
});

describe('usage errors', () => {
  test('applyUsageExitCode makes commander exit 3 on bad usage and 0 for --help', (t) => {
    const exits: number[] = [];
    t.mock.method(process, 'exit', (code: number) => {
      exits.push(code);
      throw new Error('exit');
    });
    const terminal = fakeTerminal(() => page([]));
    const root = program(terminal);
    applyUsageExitCode(root);
    assert.throws(() => root.parse(['runs', 'get'], { from: 'user' }), /exit/);
    assert.throws(() => root.parse(['runs', '--help'], { from: 'user' }), /exit/);
    assert.deepEqual(exits, [3, 0]);
  });
});

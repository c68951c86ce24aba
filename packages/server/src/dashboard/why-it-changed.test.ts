import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { testStores, waitForRun, type TestApp } from '../testing/harness.js';
import { allResults, createFunctionWorkflow, createTests, startRun, type FunctionWorkflow } from '../testing/fixtures.js';
import { postForm, signIn, startDashboardApp, type BrowserSession } from './test-support.js';
import { chartPoints, passRateChart } from './views/pass-rate-chart.js';

const IDENTITY = 'function transform(input) { return { v: input.n }; }';
const DOUBLE = 'function transform(input) { return { v: input.n * 2 }; }';
const COIN = 'function transform(input) { return { v: Math.random() < 0.5 ? 1 : 0 }; }';
const SLOW = 'function transform(input) { const end = Date.now() + 100; while (Date.now() < end) {} return { v: input.n }; }';

const equalsV = (name: string, n: number, expected: number) => ({ name, input: { n }, path: 'v', condition: { kind: 'equals', expected } });

/** The test names of a run page's result rows, in order. */
function rowNames(body: string): string[] {
  return [...body.matchAll(/<tr id="result-[^"]+"[^>]*>\s*<td[^>]*>\d+<\/td>\s*<td class="cell-primary"><a [^>]+>([^<]*)<\/a>/g)].map((match) => match[1]!);
}

for (const store of testStores()) {
  describe(`dashboard: why did it change (${store})`, () => {
    let server: TestApp;
    let session: BrowserSession;
    let fixture: FunctionWorkflow;
    let ids: Record<'breaks' | 'heals' | 'holds' | 'stuck', string>;
    let firstRun: string;
    let secondRun: string;

    const page = (url: string) => server.app.inject({ method: 'GET', url, headers: { cookie: session.cookie } });
    const completedRun = async (workflowId: string) => (await waitForRun(server, (await startRun(server, workflowId)).id)).id as string;

    before(async () => {
      server = await startDashboardApp(store);
      session = await signIn(server);
      fixture = await createFunctionWorkflow(server, IDENTITY);
      // `holds` has LIKE's wildcards in its name: a search must match them as plain text.
      const [breaks, heals, holds, stuck] = await createTests(server, fixture, [equalsV('breaks', 1, 1), equalsV('Heals', 2, 4), equalsV('100%_holds', 0, 0), equalsV('stuck', 3, 100)]);
      ids = { breaks: breaks!, heals: heals!, holds: holds!, stuck: stuck! };
      firstRun = await completedRun(fixture.workflowId);
      assert.equal((await server.request('PATCH', `/v1/workflows/blocks/${fixture.blockId}`, { config: { code: DOUBLE } })).status, 200);
      secondRun = await completedRun(fixture.workflowId);
    });
    after(() => server.close());

    describe('the run page says what changed since the previous run', () => {
      test('"1 new failure, 1 fixed since" the base run, linked, with the new failure first, then the fix, each changed by block_config', async () => {
        const body = (await page(`/runs/${secondRun}`)).body;
        assert.match(body, /<span data-summary="new_failures">1 new failure<\/span>, <span data-summary="fixed">1 fixed<\/span> since <a href="\/runs\/([^"]+)"/);
        assert.equal(/since <a href="\/runs\/([^"]+)"/.exec(body)![1], firstRun);
        const changes = [...body.matchAll(/<li data-change="([a-z_]+)" data-test-id="([^"]+)">([\s\S]*?)<\/li>/g)];
        assert.deepEqual(
          changes.map((match) => [match[1], match[2]]),
          [
            ['new_failure', ids.breaks],
            ['fixed', ids.heals],
          ],
          'only the changed tests, new failures first',
        );
        for (const match of changes) assert.match(match[3]!, /changed: <code>block_config<\/code>/);
        assert.ok(body.indexOf('comparison-heading') < body.indexOf('results-heading'), 'the changes come before the results');
      });

      test('the first run of a workflow has no base: no comparison at all', async () => {
        const body = (await page(`/runs/${firstRun}`)).body;
        assert.doesNotMatch(body, /comparison-heading|new failure/);
        assert.doesNotMatch(body, /<option value="new_failures"/, 'nor a "new failures" filter');
      });

      test('a verdict that changed while nothing it depends on did is shown as nondeterministic', async () => {
        const coin = await createFunctionWorkflow(server, COIN);
        await createTests(server, coin, Array.from({ length: 20 }, (_, n) => equalsV(`coin ${n}`, n, 1)));
        await completedRun(coin.workflowId);
        const body = (await page(`/runs/${await completedRun(coin.workflowId)}`)).body;
        // Twenty fair coins land the same in both runs once in a million.
        const changes = [...body.matchAll(/<li data-change="[a-z_]+"[^>]*>([\s\S]*?)<\/li>/g)];
        assert.ok(changes.length > 0, 'some coin flipped');
        for (const match of changes) {
          assert.match(match[1]!, />nondeterministic</);
          assert.doesNotMatch(match[1]!, /changed:/);
        }
      });
    });

    describe('filter and search, on the server', () => {
      test('failed, blocked and new failures show only those rows; an unknown filter shows all', async () => {
        assert.deepEqual(rowNames((await page(`/runs/${secondRun}?show=failed`)).body), ['breaks', 'stuck']);
        assert.deepEqual(rowNames((await page(`/runs/${secondRun}?show=new_failures`)).body), ['breaks']);
        const blocked = (await page(`/runs/${secondRun}?show=blocked`)).body;
        assert.deepEqual(rowNames(blocked), []);
        assert.match(blocked, /No result matches/);
        assert.deepEqual(rowNames((await page(`/runs/${secondRun}?show=everything`)).body), ['breaks', 'Heals', '100%_holds', 'stuck']);
        assert.match((await page(`/runs/${secondRun}?show=failed`)).body, /<option value="failed" selected>/, 'the form shows the filter in use');
      });

      test('the search matches a part of the test name as plain text, in any case, and combines with the filter', async () => {
        assert.deepEqual(rowNames((await page(`/runs/${secondRun}?q=HEAL`)).body), ['Heals']);
        assert.deepEqual(rowNames((await page(`/runs/${secondRun}?q=%25`)).body), ['100%_holds'], '% is not a wildcard');
        assert.deepEqual(rowNames((await page(`/runs/${secondRun}?q=_`)).body), ['100%_holds'], '_ is not a wildcard');
        assert.deepEqual(rowNames((await page(`/runs/${secondRun}?q=${encodeURIComponent('.*')}`)).body), [], 'nor is a regular expression');
        assert.deepEqual(rowNames((await page(`/runs/${secondRun}?show=failed&q=s`)).body), ['breaks', 'stuck']);
        assert.deepEqual(rowNames((await page(`/runs/${secondRun}?show=failed&q=heal`)).body), []);
      });

      test('a long search is cut to 100 characters; repeated or odd parameters are answered with a page', async () => {
        const long = await page(`/runs/${secondRun}?q=${'x'.repeat(5000)}`);
        assert.equal(long.statusCode, 200);
        assert.match(long.body, new RegExp(`name="q" id="result-search" value="${'x'.repeat(100)}" maxlength="100"`));
        for (const query of ['q=a&q=b', 'show[]=failed', 'q=%27%22%3Cb%3E', 'show=failed&show=blocked', 'q=%5C']) {
          assert.equal((await page(`/runs/${secondRun}?${query}`)).statusCode, 200, query);
        }
        assert.equal((await page(`/runs/${secondRun}?q=%00`)).statusCode, 422, 'NUL is refused as everywhere, with a page');
      });

      test('the event stream of a filtered page sends only the rows the filter shows', async () => {
        const slow = await createFunctionWorkflow(server, SLOW);
        await createTests(server, slow, [equalsV('slow pass', 1, 1), equalsV('slow fail', 2, 0), equalsV('slow pass again', 3, 3), equalsV('another fail', 4, 0)]);
        const live = await startRun(server, slow.workflowId);
        const body = (await page(`/runs/${live.id}?show=failed&q=slow`)).body;
        assert.match(body, new RegExp(`data-run-events="/runs/${live.id}/events\\?show=failed&amp;q=slow"`), 'the stream carries the filter');
        const stream = await page(`/runs/${live.id}/events?show=failed&q=slow`);
        const rows = stream.body
          .split('\n\n')
          .filter((block) => block.startsWith('event: results'))
          .flatMap((block) => JSON.parse(block.split('\n')[1]!.slice('data: '.length)).rows as { html: string }[]);
        assert.deepEqual(rows.map((row) => />(slow [a-z ]+)<\/a>/.exec(row.html)?.[1]), ['slow fail']);
        assert.match(stream.body, /event: finished/);
      });
    });

    describe('re-running from the run page', () => {
      const newRunOf = (response: { headers: Record<string, unknown> }) => String(response.headers.location).split('/').pop()!;

      test('a finished run with failures offers "Re-run failed" with their number, and "Re-run all"', async () => {
        const body = (await page(`/runs/${secondRun}`)).body;
        assert.match(body, new RegExp(`<form method="post" action="/runs/${secondRun}/rerun" class="inline-form">\\s*<input type="hidden" name="_csrf" value="${session.csrfToken}">\\s*<input type="hidden" name="only_failed" value="true">\\s*<button type="submit" >Re-run failed \\(2\\)</button>`));
        assert.match(body, />Re-run all</);
      });

      test('"Re-run failed" creates a restart of exactly the failed and blocked tests and opens it', async () => {
        const response = await postForm(server, session, `/runs/${secondRun}/rerun`, { _csrf: session.csrfToken, only_failed: 'true' });
        assert.equal(response.statusCode, 303);
        const runId = newRunOf(response);
        assert.equal(response.headers.location, `/runs/${runId}`);
        const run = (await server.request('GET', `/v1/workflows/tests/runs/${runId}`)).body;
        assert.deepEqual(run.trigger, { type: 'restart', parent_run_id: secondRun });
        await waitForRun(server, runId);
        assert.deepEqual((await allResults(server, runId)).map((result: any) => result.test_id ?? result.eval_id).sort(), [ids.breaks, ids.stuck].sort());
      });

      test('"Re-run all" restarts every test of the run', async () => {
        const response = await postForm(server, session, `/runs/${secondRun}/rerun`, { _csrf: session.csrfToken });
        const run = await waitForRun(server, newRunOf(response));
        assert.equal(run.total_tests, 4);
        assert.deepEqual(run.trigger, { type: 'restart', parent_run_id: secondRun });
      });

      test('without the CSRF token, or cross-site, nothing is created', async () => {
        const count = async () => (await server.request('GET', `/v1/workflows/tests/runs?workflow_id=${fixture.workflowId}&limit=100`)).body.data.length;
        const before = await count();
        assert.equal((await postForm(server, session, `/runs/${secondRun}/rerun`, { only_failed: 'true' })).statusCode, 403);
        assert.equal((await postForm(server, session, `/runs/${secondRun}/rerun`, { _csrf: session.csrfToken }, { 'sec-fetch-site': 'cross-site' })).statusCode, 403);
        assert.equal(await count(), before);
      });

      test('what cannot be re-run comes back as a readable message on the run page, never a 500', async () => {
        const passing = await createFunctionWorkflow(server, IDENTITY);
        await createTests(server, passing, [equalsV('fine', 1, 1)]);
        const allPassed = await completedRun(passing.workflowId);
        assert.doesNotMatch((await page(`/runs/${allPassed}`)).body, /Re-run failed/, 'no failures, no button');
        const refused = await postForm(server, session, `/runs/${allPassed}/rerun`, { _csrf: session.csrfToken, only_failed: 'true' });
        assert.equal(refused.statusCode, 303);
        assert.equal(refused.headers.location, `/runs/${allPassed}`);
        const flash = [refused.headers['set-cookie']].flat().find((header) => header?.startsWith('verdict_flash='))!.split(';')[0]!;
        const next = await server.app.inject({ method: 'GET', url: `/runs/${allPassed}`, headers: { cookie: `${session.cookie}; ${flash}` } });
        assert.match(next.body, /class="flash flash-error">Run `[^`]+` has no /);

        const slow = await createFunctionWorkflow(server, SLOW);
        await createTests(server, slow, Array.from({ length: 10 }, (_, n) => equalsV(`slow ${n}`, n, n)));
        const live = await startRun(server, slow.workflowId);
        assert.doesNotMatch((await page(`/runs/${live.id}`)).body, /Re-run/, 'a live run offers no re-run');
        const notFinished = await postForm(server, session, `/runs/${live.id}/rerun`, { _csrf: session.csrfToken });
        assert.equal(notFinished.statusCode, 303);
        assert.match(decodeURIComponent(String(notFinished.headers['set-cookie'])), /"kind":"error"/);
        await waitForRun(server, live.id);

        const missing = await postForm(server, session, '/runs/wftestrun_missing/rerun', { _csrf: session.csrfToken });
        assert.equal(missing.statusCode, 404);
        assert.match(missing.body, /<h1 id="error-heading">Not found<\/h1>/);
      });
    });

    describe('the workflow page charts its pass rate', () => {
      test('an inline SVG with a title, a description and one linked point per finished run, each at its pass rate', async () => {
        const chartFixture = await createFunctionWorkflow(server, IDENTITY);
        const [one] = await createTests(server, chartFixture, [equalsV('one', 1, 1), equalsV('two', 2, 2), equalsV('zero', 0, 0), equalsV('four', 4, 0)]);
        const allButOne = await completedRun(chartFixture.workflowId);
        await server.request('PATCH', `/v1/workflows/blocks/${chartFixture.blockId}`, { config: { code: DOUBLE } });
        const oneOfFour = await completedRun(chartFixture.workflowId);
        const single = (await waitForRun(server, (await startRun(server, chartFixture.workflowId, { type: 'single', test_id: one })).id)).id;

        const body = (await page(`/workflows/${chartFixture.workflowId}`)).body;
        const svg = /<svg id="pass-rate-chart"[\s\S]*?<\/svg>/.exec(body)?.[0] ?? '';
        assert.match(svg, /<title id="pass-rate-title">Pass rate of the last 3 finished runs<\/title>/);
        assert.match(svg, /<desc id="pass-rate-desc">3 finished runs, oldest first; the latest completed run passed 0%/);
        assert.match(svg, /aria-labelledby="pass-rate-title" aria-describedby="pass-rate-desc"/);
        const points = [...svg.matchAll(/<a href="\/runs\/([^"]+)" class="chart-point" data-run-id="[^"]+" data-status="([a-z]+)" data-pass-rate="([^"]*)" aria-label="([^"]+)"><title>/g)];
        assert.deepEqual(
          points.map((match) => [match[1], match[2], match[3]]),
          [
            [allButOne, 'completed', '75'],
            [oneOfFour, 'completed', '25'],
            [single, 'completed', '0'],
          ],
          'oldest first, each linked to its run',
        );
        assert.match(points[0]![4]!, /: 75% passed, 3 of 4$/);
        assert.match(svg, /<polyline class="chart-line" points="[\d.]+,[\d.]+ [\d.]+,[\d.]+ [\d.]+,[\d.]+"\/>/);
        assert.doesNotMatch(svg, /style=|<script|href="http/, 'nothing the Content-Security-Policy refuses, nothing external');
        assert.match(body, /<summary>The pass rates as a table<\/summary>/, 'the figures as text too');
      });

      test('a cancelled run is a hollow square and a run that ended in error a cross, both off the line', async () => {
        const run = (await server.request('GET', `/v1/workflows/tests/runs/${secondRun}`)).body;
        const as = (status: string) => ({ ...run, id: `${run.id}_${status}`, lifecycle: { status, reason: null, message: 'failed', details: null } });
        const svg = passRateChart(chartPoints([as('error'), as('cancelled'), run])).text;
        assert.match(svg, /data-status="cancelled"[^>]*><title>[^<]*<\/title><rect class="point point-cancelled"/);
        assert.match(svg, /data-status="error"[^>]*><title>[^<]*\(run error\)[^<]*<\/title><path class="point point-error"/);
        assert.doesNotMatch(svg, /<polyline/, 'one completed run: no line to draw');
      });

      test('a workflow without finished runs says so instead of drawing', async () => {
        const empty = await createFunctionWorkflow(server, IDENTITY);
        assert.match((await page(`/workflows/${empty.workflowId}`)).body, /No finished runs yet/);
      });
    });
  });
}

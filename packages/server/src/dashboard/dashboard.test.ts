import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { get } from 'node:http';
import { sha256Hex } from '@verdict/core';
import { testStores, waitForRun, type TestApp } from '../testing/harness.js';
import { createFunctionWorkflow, createTests, otherOrganizationKey, startRun, type FunctionWorkflow } from '../testing/fixtures.js';
import { parseEvents, postForm, postSignIn, signIn, startDashboardApp, type BrowserSession } from './test-support.js';

const XSS = '<img src=x onerror=alert(1)>';
const ESCAPED_XSS = '&lt;img src=x onerror=alert(1)&gt;';
const SUMMARY_CODE = 'function transform(input) { return { n: input.n, label: "item " + input.n }; }';
const SLOW_CODE = 'function transform(input) { const end = Date.now() + 100; while (Date.now() < end) {} return { n: input.n }; }';

for (const store of testStores()) {
  describe(`dashboard over HTTP (${store})`, () => {
    let server: TestApp;
    let session: BrowserSession;
    let workflow: FunctionWorkflow;
    let finishedRun: any;

    before(async () => {
      server = await startDashboardApp(store);
      session = await signIn(server);
      workflow = await createFunctionWorkflow(server, SUMMARY_CODE);
      await createTests(server, workflow, [
        { name: XSS, input: { n: 1 }, path: 'n', condition: { kind: 'equals', expected: 1 } },
        { name: 'Summary object (fails)', input: { n: 2 }, condition: { kind: 'equals', expected: { n: 2, label: 'item two' } } },
      ]);
      finishedRun = await waitForRun(server, (await startRun(server, workflow.workflowId)).id);
    });
    after(() => server.close());

    const page = (url: string, cookie: string | null = session.cookie) => server.app.inject({ method: 'GET', url, headers: cookie ? { cookie } : {} });

    describe('signing in and out', () => {
      test('/ leads to sign-in without a session and to the workflows with one', async () => {
        assert.equal((await page('/', null)).headers.location, '/login');
        assert.equal((await page('/')).headers.location, '/workflows');
      });

      test('pages without a session redirect to sign-in, remembering where the user was going', async () => {
        const response = await page('/runs?status=running', null);
        assert.equal(response.statusCode, 303);
        assert.equal(response.headers.location, `/login?next=${encodeURIComponent('/runs?status=running')}`);
      });

      test('a bad key is refused with 401, a message, and no session cookie', async () => {
        for (const key of ['vk_not_a_key', '']) {
          const response = await postSignIn(server, { api_key: key });
          assert.equal(response.statusCode, 401);
          assert.match(response.body, key ? /That API key is not valid/ : /Enter an API key/);
          assert.ok(![response.headers['set-cookie'] ?? []].flat().some((header) => header.startsWith('verdict_session=')));
        }
      });

      test('the session cookie is HttpOnly, SameSite=Strict, Path=/, and the store keeps only its hash', async () => {
        const response = await postSignIn(server, { api_key: server.apiKey });
        const cookie = [response.headers['set-cookie']].flat().find((header) => header?.startsWith('verdict_session='))!;
        assert.match(cookie, /; HttpOnly/);
        assert.match(cookie, /; SameSite=Strict/);
        assert.match(cookie, /; Path=\//);
        assert.doesNotMatch(cookie, /; Secure/, 'plain http here');
        const secret = cookie.split(';')[0]!.split('=')[1]!;
        const ids = (await server.runtime.services.store.db.selectFrom('sessions').select('id').execute()).map((row) => row.id);
        assert.ok(ids.includes(sha256Hex(secret)));
        assert.ok(!ids.includes(secret));
      });

      test('sign-in follows a local `next` path but never to another site', async () => {
        const signInTo = async (next: string) => (await postSignIn(server, { api_key: server.apiKey, next })).headers.location;
        assert.equal(await signInTo('/runs?status=running'), '/runs?status=running');
        assert.equal(await signInTo('//evil.example/x'), '/workflows');
        assert.equal(await signInTo('/\\evil.example'), '/workflows');
        assert.equal(await signInTo('https://evil.example'), '/workflows');
        assert.equal(await signInTo('/runs\u0001x'), '/workflows', 'control characters cannot reach the Location header');
      });

      test('sign-out needs the CSRF token, deletes the session and clears the cookie', async () => {
        const own = await signIn(server);
        assert.equal((await postForm(server, own, '/logout', {})).statusCode, 403);
        const response = await postForm(server, own, '/logout', { _csrf: own.csrfToken });
        assert.equal(response.statusCode, 303);
        assert.equal(response.headers.location, '/login');
        assert.match(String(response.headers['set-cookie']), /verdict_session=;.*Expires=Thu, 01 Jan 1970/);
        assert.equal((await page('/workflows', own.cookie)).statusCode, 303, 'the old cookie no longer opens pages');
      });

      test('a session ends with its API key', async () => {
        const key = await otherOrganizationKey(server, 'short-lived');
        const own = await signIn(server, key);
        await server.runtime.services.store.db.deleteFrom('api_keys').where('key_hash', '=', sha256Hex(key)).execute();
        assert.equal((await page('/workflows', own.cookie)).statusCode, 303);
      });

      test('a form posted after the session ended leads to sign-in; htmx is told where to go', async () => {
        const plain = await server.app.inject({ method: 'POST', url: `/runs/${finishedRun.id}/cancel`, payload: '_csrf=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
        assert.equal(plain.statusCode, 303);
        assert.equal(plain.headers.location, '/login');
        const htmx = await server.app.inject({
          method: 'POST',
          url: `/runs/${finishedRun.id}/cancel`,
          payload: '_csrf=x',
          headers: { 'content-type': 'application/x-www-form-urlencoded', 'hx-request': 'true' },
        });
        assert.equal(htmx.statusCode, 401);
        assert.equal(htmx.headers['hx-redirect'], '/login');
      });

      test('an expired session is not accepted', async () => {
        const own = await signIn(server);
        const id = sha256Hex(own.cookie.split('=')[1]!);
        await server.runtime.services.store.db.updateTable('sessions').set({ expires_at: '2000-01-01T00:00:00.000Z' }).where('id', '=', id).execute();
        assert.equal((await page('/workflows', own.cookie)).statusCode, 303);
      });
    });

    describe('forms', () => {
      const runsOfWorkflow = async () => (await server.request('GET', `/v1/workflows/tests/runs?workflow_id=${workflow.workflowId}`)).body.data.length;

      test('a form without the session CSRF token, or with a wrong one, is refused and starts nothing', async () => {
        const before = await runsOfWorkflow();
        const attempts: Record<string, string>[] = [{}, { _csrf: 'x'.repeat(session.csrfToken.length) }, { _csrf: 'short' }];
        for (const fields of attempts) {
          const response = await postForm(server, session, `/workflows/${workflow.workflowId}/runs`, fields);
          assert.equal(response.statusCode, 403);
          assert.match(response.body, /form has expired/);
        }
        assert.equal(await runsOfWorkflow(), before);
      });

      test('cross-site form posts are refused even with the token', async () => {
        const response = await postForm(server, session, `/workflows/${workflow.workflowId}/runs`, { _csrf: session.csrfToken }, { 'sec-fetch-site': 'cross-site' });
        assert.equal(response.statusCode, 403);
      });

      test('"Run all tests" starts a run triggered manually by the signed-in key and opens its page', async () => {
        const response = await postForm(server, session, `/workflows/${workflow.workflowId}/runs`, { _csrf: session.csrfToken });
        assert.equal(response.statusCode, 303);
        const runId = response.headers.location!.split('/').pop()!;
        const run = (await server.request('GET', `/v1/workflows/tests/runs/${runId}`)).body;
        const key = await server.runtime.services.store.db.selectFrom('api_keys').select('id').where('key_hash', '=', sha256Hex(server.apiKey)).executeTakeFirstOrThrow();
        assert.deepEqual(run.trigger, { type: 'manual', user_id: key.id });
        assert.equal(run.total_tests, 2);
        await waitForRun(server, runId);
      });

      test('"Run this block\'s tests" scopes the run to the block; an unknown block comes back as a message', async () => {
        const response = await postForm(server, session, `/workflows/${workflow.workflowId}/runs`, { _csrf: session.csrfToken, block_id: workflow.blockId });
        const run = (await server.request('GET', `/v1/workflows/tests/runs/${response.headers.location!.split('/').pop()}`)).body;
        assert.deepEqual(run.target, { type: 'block', block_id: workflow.blockId });
        await waitForRun(server, run.id);

        const refused = await postForm(server, session, `/workflows/${workflow.workflowId}/runs`, { _csrf: session.csrfToken, block_id: 'blk_missing' });
        assert.equal(refused.headers.location, `/workflows/${workflow.workflowId}`);
        const flashCookie = [refused.headers['set-cookie']].flat().find((header) => header?.startsWith('verdict_flash='))!;
        const next = await page(`/workflows/${workflow.workflowId}`, `${session.cookie}; ${flashCookie.split(';')[0]}`);
        assert.match(next.body, /class="flash flash-error">No block `blk_missing`/);
      });

      test('cancel: htmx gets a message for the page and the run is cancelled; a finished run explains why it cannot be', async () => {
        const slow = await createFunctionWorkflow(server, SLOW_CODE);
        await createTests(server, slow, Array.from({ length: 20 }, (_, n) => ({ input: { n }, path: 'n', condition: { kind: 'exists' } })));
        const run = await startRun(server, slow.workflowId);
        const response = await postForm(server, session, `/runs/${run.id}/cancel`, { _csrf: session.csrfToken }, { 'hx-request': 'true' });
        assert.equal(response.statusCode, 200);
        assert.equal(response.body, '<p class="flash flash-notice">Run cancelled.</p>');
        const cancelled = (await server.request('GET', `/v1/workflows/tests/runs/${run.id}`)).body;
        assert.deepEqual(cancelled.lifecycle, { status: 'cancelled', reason: 'Cancelled from the dashboard' });
        const { lifecycle_counts: counts } = cancelled.counts;
        const runPage = (await page(`/runs/${run.id}`)).body;
        assert.ok(counts.cancelled > 0);
        assert.match(runPage, new RegExp(`${counts.completed + counts.error} of 20 tests ran, ${counts.cancelled} cancelled before they ran`), 'cancelled tests are not counted as finished');
        assert.match((await page(`/workflows/${slow.workflowId}`)).body, new RegExp(`${counts.completed + counts.error} / 20 <span class="muted">· ${counts.cancelled} cancelled</span>`));

        const again = await postForm(server, session, `/runs/${finishedRun.id}/cancel`, { _csrf: session.csrfToken });
        assert.equal(again.statusCode, 303, 'without htmx: back to the run page with the message');
        assert.match(decodeURIComponent(String(again.headers['set-cookie'])), /is already completed; only pending, queued or running runs can be cancelled/);
      });
    });

    describe('pages', () => {
      test('user-provided strings render as text on every page', async () => {
        const hostile = await server.request('POST', '/v1/workflows', { name: XSS, description: XSS });
        const block = await server.request('POST', '/v1/workflows/blocks', {
          workflow_id: hostile.body.id,
          type: 'function',
          label: XSS,
          config: { language: 'javascript', code: SUMMARY_CODE, output_schema: {} },
        });
        await server.request('POST', '/v1/workflows/blocks', {
          workflow_id: hostile.body.id,
          type: 'start_json',
          label: XSS,
          config: { json_schema: { type: 'object', properties: { [XSS]: { type: 'string' } } } },
        });
        const [testId] = await createTests(server, { workflowId: hostile.body.id, blockId: block.body.id }, [{ name: XSS, input: { n: XSS }, condition: { kind: 'equals', expected: XSS } }]);
        const run = await waitForRun(server, (await startRun(server, hostile.body.id)).id);
        const result = (await server.request('GET', `/v1/workflows/tests/results?run_id=${run.id}`)).body.data[0];
        for (const url of ['/workflows', `/workflows/${hostile.body.id}`, '/runs', `/runs/${run.id}`, `/results/${result.id}`, `/tests/${testId}`]) {
          const body = (await page(url)).body;
          assert.ok(!body.includes('<img src=x'), `${url} contains raw markup`);
          assert.ok(body.includes(ESCAPED_XSS), `${url} does not show the name as text`);
        }
      });

      test('the workflow page lists blocks and tests with their latest verdict and run buttons', async () => {
        const body = (await page(`/workflows/${workflow.workflowId}`)).body;
        assert.match(body, /Function under test/);
        assert.match(body, /Run all tests/);
        assert.match(body, /Run this block&#39;s tests \(2\)/);
        assert.match(body, /Summary object \(fails\)<\/a><\/td>\s*<td data-label="Checks"><code>equals<\/code> on <code>output-json-0<\/code><\/td>\s*<td class="cell-status"><span class="badge badge-failed">failed/);
        assert.match(body, /badge-passed">passed/);
      });

      test('the workflow page links each test to its page, shows the block\'s code, and its runs without repeating the workflow', async () => {
        const body = (await page(`/workflows/${workflow.workflowId}`)).body;
        const tests = (await server.request('GET', `/v1/workflows/tests?workflow_id=${workflow.workflowId}`)).body.data;
        for (const test of tests) assert.ok(body.includes(`<a href="/tests/${test.id}">`), `no link to ${test.name}`);
        assert.match(body, /<details class="block-code" open><summary>JavaScript code<\/summary><pre class="code"[^>]*><code class="language-javascript">function transform\(input\) \{ return \{ n: input.n, label: &quot;item &quot; \+ input.n \}; \}<\/code><\/pre>/);
        const recentRuns = body.slice(body.indexOf('id="recent-runs"'), body.indexOf('id="blocks-heading"'));
        assert.ok(recentRuns.includes(`href="/runs/${finishedRun.id}"`));
        assert.doesNotMatch(recentRuns, /Workflow<\/th>|href="\/workflows\//, 'no column names the workflow the page is about');
        assert.match((await page('/runs')).body, /<th scope="col">Workflow<\/th>/, 'the runs list still names each run\'s workflow');
      });

      test('blocks that are not code show a summary of their configuration', async () => {
        const fresh = await server.request('POST', '/v1/workflows', { name: 'Config summary' });
        await server.request('POST', '/v1/workflows/blocks', {
          workflow_id: fresh.body.id,
          type: 'start_json',
          label: 'Order JSON',
          config: { json_schema: { type: 'object', properties: { order_id: { type: 'string' }, amount: { type: 'number' } } } },
        });
        const body = (await page(`/workflows/${fresh.body.id}`)).body;
        assert.match(body, /<dl class="config-summary" aria-label="Configuration of Order JSON">\s*<div><dt><code>json_schema<\/code><\/dt><dd>a schema with fields order_id, amount<\/dd><\/div>/);
        assert.doesNotMatch(body, /block-code/);
      });

      test('a test\'s page shows its block, inputs, assertion, latest verdicts and recent results, with links', async () => {
        const tests = (await server.request('GET', `/v1/workflows/tests?workflow_id=${workflow.workflowId}`)).body.data;
        const failing = tests.find((test: any) => test.name === 'Summary object (fails)');
        const results = (await server.request('GET', `/v1/workflows/tests/results?run_id=${finishedRun.id}`)).body.data;
        const result = results.find((item: any) => item.test_id === failing.id);
        const latestFailure = failing.latest_failing_run_summary.run_record_id;
        const response = await page(`/tests/${failing.id}`);
        assert.equal(response.statusCode, 200);
        const body = response.body;
        assert.match(body, /<h1>Summary object \(fails\) <span class="badge badge-failed">failed<\/span><\/h1>/);
        assert.match(body, new RegExp(`<a href="/workflows/${workflow.workflowId}#block-${workflow.blockId}">Function under test</a>`));
        assert.match(body, /<code class="language-javascript">function transform/, 'the block\'s code');
        assert.match(body, /<h2 id="inputs-heading">Inputs<\/h2><div class="input"><h3><code>input-json-0<\/code><\/h3><pre class="json"[^>]*>\{\n  &quot;n&quot;: 2\n\}<\/pre>/);
        assert.match(body, /<code>equals<\/code> on <code>output-json-0<\/code>/);
        assert.match(body, /&quot;label&quot;: &quot;item two&quot;/, 'the condition, expected value included');
        assert.match(body, new RegExp(`<dt>Latest failure</dt><dd><span class="badge badge-failed">failed</span> <a href="/results/${latestFailure}">`));
        assert.match(body, /<dt>Latest pass<\/dt><dd><span class="muted">none yet<\/span>/);
        const history = body.slice(body.indexOf('id="results-heading"'));
        assert.ok(history.includes(`<a href="/results/${result.id}">`) && history.includes(`<a href="/runs/${finishedRun.id}">`), 'each recent result links to itself and its run');
        assert.match((await page(`/results/${result.id}`)).body, new RegExp(`Test <a href="/tests/${failing.id}">`), 'the result page links back to its test');
      });

      test('a test\'s page lists its newest results first and still opens once its block is gone', async () => {
        const fresh = await createFunctionWorkflow(server, SUMMARY_CODE);
        const [testId] = await createTests(server, fresh, [{ name: 'Twice run', input: { n: 1 }, path: 'n', condition: { kind: 'equals', expected: 1 } }]);
        const first = await waitForRun(server, (await startRun(server, fresh.workflowId)).id);
        const second = await waitForRun(server, (await startRun(server, fresh.workflowId)).id);
        const body = (await page(`/tests/${testId}`)).body;
        const history = body.slice(body.indexOf('id="results-heading"'));
        assert.ok(history.indexOf(second.id) >= 0 && history.indexOf(second.id) < history.indexOf(first.id), 'newest run first');
        assert.doesNotMatch(history, /block_config/, 'nothing changed between the two runs');
        assert.equal((await server.request('PATCH', `/v1/workflows/blocks/${fresh.blockId}`, { label: 'Renamed', config: { code: SUMMARY_CODE + '\n// edited' } })).status, 200);
        const third = await waitForRun(server, (await startRun(server, fresh.workflowId)).id);
        const edited = (await page(`/tests/${testId}`)).body;
        const thirdRow = edited.slice(edited.indexOf(third.id), edited.indexOf('</tr>', edited.indexOf(third.id)));
        assert.match(thirdRow, /data-label="Changed" class="small">block_config</, 'the result after the code edit names what changed');
        assert.equal((await server.request('DELETE', `/v1/workflows/blocks/${fresh.blockId}`)).status, 204);
        const orphan = await page(`/tests/${testId}`);
        assert.equal(orphan.statusCode, 200);
        assert.match(orphan.body, /This test cannot run against the current draft:<\/p><ul><li><code>block_missing<\/code>/);
        assert.match(orphan.body, new RegExp(`Block <code>${fresh.blockId}</code> was removed from the workflow's draft`));
      });

      test('a Python function block is shown as Python: its language named on the workflow and result pages, its code under a Python label', async () => {
        const python = await server.request('POST', '/v1/workflows', { name: 'Python block' });
        const code = 'from models import Input, Output\n\ndef transform(input_data: Input) -> Output:\n    return {"n": input_data.n}\n';
        const block = await server.request('POST', '/v1/workflows/blocks', { workflow_id: python.body.id, type: 'function', label: 'Retab check', config: { language: 'python', code, output_schema: {} } });
        await createTests(server, { workflowId: python.body.id, blockId: block.body.id }, [{ name: 'n is kept', input: { n: 1 }, path: 'n', condition: { kind: 'equals', expected: 1 } }]);
        const run = await waitForRun(server, (await startRun(server, python.body.id)).id);

        const workflowPage = (await page(`/workflows/${python.body.id}`)).body;
        assert.match(workflowPage, /Retab check <span class="muted small">function · Python · <code>/);
        assert.match(workflowPage, /<summary>Python code<\/summary><pre class="code"[^>]*aria-label="Python code of Retab check"><code class="language-python">from models import Input, Output\n\ndef transform\(input_data: Input\) -&gt; Output:\n {4}return \{&quot;n&quot;: input_data.n\}\n<\/code><\/pre>/);
        assert.doesNotMatch(workflowPage, /JavaScript|language-javascript/);
        assert.match((await page(`/workflows/${workflow.workflowId}`)).body, /function · JavaScript · <code>[\s\S]*<summary>JavaScript code<\/summary>/, 'a JavaScript block says so too');

        const result = (await server.request('GET', `/v1/workflows/tests/results?run_id=${run.id}`)).body.data[0];
        assert.match((await page(`/results/${result.id}`)).body, /on block Retab check \(function, Python\) <code>/);
      });

      test('a workflow without runs shows its tests as never run', async () => {
        const fresh = await createFunctionWorkflow(server, SUMMARY_CODE);
        await createTests(server, fresh, [{ name: 'Untouched', input: { n: 1 }, condition: { kind: 'exists' } }]);
        assert.match((await page(`/workflows/${fresh.workflowId}`)).body, /badge-never-run">never run/);
      });

      test('the runs list filters by workflow and status', async () => {
        const byWorkflow = (await page(`/runs?workflow_id=${workflow.workflowId}&status=completed`)).body;
        assert.ok(byWorkflow.includes(finishedRun.id));
        const other = (await page(`/runs?workflow_id=${workflow.workflowId}&status=running`)).body;
        assert.ok(!other.includes(finishedRun.id));
        assert.match(other, /No runs yet/);
        assert.match((await page('/runs?status=nonsense')).body, /<option value="" selected>Any status/, 'an unknown status is ignored');
      });

      test('the run page of a finished run shows its counts and every result, with no event stream', async () => {
        const body = (await page(`/runs/${finishedRun.id}`)).body;
        assert.match(body, /2 of 2 tests ran</);
        assert.match(body, /data-count="passed">1</);
        assert.match(body, /data-count="failed">1</);
        assert.doesNotMatch(body, /data-run-events/);
        assert.doesNotMatch(body, /Cancel run/);
        assert.equal((body.match(/<tr id="result-/g) ?? []).length, 2);
      });

      test('the result page shows the failure, expected and actual side by side, and a line diff', async () => {
        const results = (await server.request('GET', `/v1/workflows/tests/results?run_id=${finishedRun.id}`)).body.data;
        const failed = results.find((result: any) => result.verdict === 'failed');
        const body = (await page(`/results/${failed.id}`)).body;
        assert.match(body, /<code class="failure-code">condition_not_met<\/code>/);
        assert.match(body, /<h3>Expected<\/h3>/);
        assert.match(body, /<h3>Actual<\/h3>/);
        assert.match(body, /<span class="diff-removed"><span class="diff-sign" aria-hidden="true">-<\/span>  &quot;label&quot;: &quot;item two&quot;<\/span>/);
        assert.match(body, /<span class="diff-added"><span class="diff-sign" aria-hidden="true">\+<\/span>  &quot;label&quot;: &quot;item 2&quot;<\/span>/);
        assert.match(body, /Inputs used/);
        assert.match(body, /<dt>Block execution<\/dt>/);
      });

      test('ids that do not exist, or belong to another organization, give a 404 page', async () => {
        const otherSession = await signIn(server, await otherOrganizationKey(server));
        for (const url of ['/workflows/wf_missing', '/runs/wftestrun_missing', '/results/wfnodetestrun_missing', '/tests/wftest_missing']) {
          const response = await page(url);
          assert.equal(response.statusCode, 404, url);
          assert.match(response.headers['content-type'] as string, /text\/html/);
        }
        const testId = (await server.request('GET', `/v1/workflows/tests?workflow_id=${workflow.workflowId}`)).body.data[0].id;
        for (const url of [`/workflows/${workflow.workflowId}`, `/runs/${finishedRun.id}`, `/runs/${finishedRun.id}/events`, `/tests/${testId}`]) {
          assert.equal((await page(url, otherSession.cookie)).statusCode, 404, url);
        }
      });

      test('odd query strings are answered with a page, never a crash', async () => {
        assert.equal((await page(`/runs?workflow_id=a&workflow_id=b&status=running&status=queued`)).statusCode, 200);
        assert.equal((await page('/login?next=/a&next=/b', null)).statusCode, 200);
        for (const url of ['/runs?after=not-a-run', '/workflows?after=not-a-workflow']) {
          const response = await page(url);
          assert.equal(response.statusCode, 422, url);
          assert.match(response.body, /is not an item of this list/);
        }
        const oversized = await postForm(server, session, `/workflows/${workflow.workflowId}/runs`, { _csrf: session.csrfToken, block_id: 'x'.repeat(20_000) });
        assert.equal(oversized.statusCode, 413);
      });

      test('pages forbid inline scripts and framing; assets carry a content hash and are cached for good', async () => {
        const response = await page('/workflows');
        assert.match(response.headers['content-security-policy'] as string, /script-src 'self';/);
        assert.equal(response.headers['x-frame-options'], 'DENY');
        assert.equal(response.headers['cache-control'], 'no-store', 'pages hold CSRF tokens and private data');
        const css = /href="(\/assets\/dashboard\.css\?v=[0-9a-f]+)"/.exec(response.body)![1]!;
        const asset = await page(css, null);
        assert.equal(asset.statusCode, 200);
        assert.match(asset.headers['content-type'] as string, /text\/css/);
        assert.match(asset.headers['cache-control'] as string, /immutable/);
        assert.match((await page('/assets/htmx.min.js', null)).body, /htmx/);
        assert.equal((await page('/assets/nope.js', null)).statusCode, 404);
      });
    });

    describe('event stream', () => {
      test('for a finished run: the summary, every row, then end, and the response closes', async () => {
        const response = await page(`/runs/${finishedRun.id}/events`);
        assert.match(response.headers['content-type'] as string, /^text\/event-stream/);
        const events = parseEvents(response.body);
        assert.deepEqual(events.map((event) => event.event), ['summary', 'results', 'finished', 'end']);
        assert.equal(events[0]!.data.terminal, true);
        assert.deepEqual(events[1]!.data.rows.map((row: any) => row.position), [0, 1]);
        assert.ok(events[1]!.data.rows[0].html.includes(ESCAPED_XSS));
        assert.match(events[2]!.data.html['run-actions'], /Re-run failed \(1\)/, 'a finished run offers its re-runs');
        assert.equal(events[2]!.data.html['run-comparison'], '', 'the first run has nothing to compare with');
        assert.deepEqual(events[3]!.data, { status: 'completed' });
      });

      test('for a live run: counts only grow, each row is sent at most once per state, and the last summary matches the API', async () => {
        const slow = await createFunctionWorkflow(server, SLOW_CODE);
        await createTests(server, slow, Array.from({ length: 12 }, (_, n) => ({ input: { n }, path: 'n', condition: { kind: 'exists' } })));
        const run = await startRun(server, slow.workflowId);
        const events = parseEvents((await page(`/runs/${run.id}/events`)).body);
        const summaries = events.filter((event) => event.event === 'summary');
        assert.ok(summaries.length >= 3, `expected progress updates, got ${summaries.length}`);
        const finished = summaries.map((event) => Number(/(\d+) of 12 tests ran/.exec(event.data.html)![1]));
        assert.deepEqual(finished, [...finished].sort((a, b) => a - b));
        assert.equal(finished.at(-1), 12);
        const rowStates = events.filter((event) => event.event === 'results').flatMap((event) => event.data.rows.map((row: any) => `${row.id}:${/badge-([a-z-]+)/.exec(row.html)![1]}`));
        assert.equal(new Set(rowStates).size, rowStates.length);
        assert.equal(new Set(rowStates.filter((state: string) => state.endsWith(':passed'))).size, 12);
        assert.equal(events.at(-1)!.event, 'end');
      });

      test('closing the server ends open streams instead of waiting for their runs', async () => {
        const own = await startDashboardApp(store, { concurrency: 1 });
        try {
          const ownSession = await signIn(own);
          const slow = await createFunctionWorkflow(own, SLOW_CODE);
          await createTests(own, slow, Array.from({ length: 100 }, (_, n) => ({ input: { n }, condition: { kind: 'exists' } })));
          const run = await startRun(own, slow.workflowId);
          const url = await own.app.listen({ port: 0, host: '127.0.0.1' });
          const firstChunk = await new Promise<string>((resolve, reject) => {
            get(`${url}/runs/${run.id}/events`, { headers: { cookie: ownSession.cookie } }, (response) => response.once('data', (chunk) => resolve(String(chunk)))).on('error', reject);
          });
          assert.match(firstChunk, /^retry: 3000/);
          const closing = Date.now();
          await own.app.close();
          assert.ok(Date.now() - closing < 2000, `close took ${Date.now() - closing} ms`);
        } finally {
          await own.close();
        }
      });

      test('without a session the stream is refused', async () => {
        assert.equal((await page(`/runs/${finishedRun.id}/events`, null)).statusCode, 401);
      });
    });

    describe('API calls with the session cookie', () => {
      test('reads work with the cookie alone; writes also need the X-CSRF-Token header', async () => {
        const headers = { cookie: session.cookie };
        const read = await server.app.inject({ method: 'GET', url: `/v1/workflows/tests/runs/${finishedRun.id}`, headers });
        assert.equal(read.statusCode, 200);
        const write = (extra: Record<string, string>) =>
          server.app.inject({ method: 'POST', url: '/v1/workflows', headers: { ...headers, ...extra, 'content-type': 'application/json' }, payload: { name: 'from a page' } });
        assert.equal((await write({})).statusCode, 401);
        assert.equal((await write({ 'x-csrf-token': 'wrong' })).statusCode, 401);
        assert.equal((await write({ 'x-csrf-token': session.csrfToken })).statusCode, 201);
      });
    });
  });
}

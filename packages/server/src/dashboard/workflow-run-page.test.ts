import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { testStores, waitForRun, type TestApp } from '../testing/harness.js';
import { createWorkflowGraph, functionConfig, lineItemsLoopWorkflow, stepsOfRun, waitForWorkflowRun } from '../testing/workflow-graphs.js';
import { otherOrganizationKey, sleep } from '../testing/fixtures.js';
import { parseEvents, postForm, routingWorkflow, signIn, startDashboardApp, XSS_LABEL, type BrowserSession } from './test-support.js';

/** The text of the step card of a block (its `<div class="step-card …">…</div>`), by the block id it shows. */
function stepCard(body: string, blockId: string): string {
  const cards = body.split('<div class="step-card').slice(1);
  const card = cards.find((candidate) => candidate.includes(`<code>${blockId}</code>`));
  assert.ok(card, `no step card for ${blockId}`);
  return card;
}

for (const store of testStores()) {
  describe(`workflow run pages (${store})`, () => {
    let server: TestApp;
    let session: BrowserSession;
    let routing: { workflowId: string; ids: Record<string, string> };
    let run: any;

    before(async () => {
      server = await startDashboardApp(store, { sandboxThreads: 2, concurrency: 4 });
      session = await signIn(server);
      routing = await routingWorkflow(server);
      const created = await server.request('POST', '/v1/workflows/runs', { workflow_id: routing.workflowId, json_inputs: { [routing.ids.start!]: { items: [{ price: 70 }, { price: 50 }] } } });
      run = await waitForWorkflowRun(server, created.body.id);
      assert.equal(run.lifecycle.status, 'completed', JSON.stringify(run.lifecycle));
    });
    after(() => server.close());

    const page = (url: string, cookie: string | null = session.cookie) => server.app.inject({ method: 'GET', url, headers: cookie ? { cookie } : {} });

    /** Starts a run of start_json → one function block (`key`) on `input`. */
    async function runOfOneFunction(key: string, code: string, input: unknown) {
      const { workflowId, ids } = await createWorkflowGraph(server, [{ key: 'start', type: 'start_json' }, { key, type: 'function', config: functionConfig(code) }], [{ from: 'start', to: key }]);
      const created = await server.request('POST', '/v1/workflows/runs', { workflow_id: workflowId, json_inputs: { [ids.start!]: input } });
      return { ids, created };
    }

    test("the workflow page lists the workflow's runs, newest first, each linking to its run page", async () => {
      const second = await server.request('POST', '/v1/workflows/runs', { workflow_id: routing.workflowId, json_inputs: { [routing.ids.start!]: { items: [] } } });
      await waitForWorkflowRun(server, second.body.id);
      const body = (await page(`/workflows/${routing.workflowId}`)).body;
      const section = body.slice(body.indexOf('id="workflow-runs-heading"'));
      const linked = [...section.matchAll(/href="\/workflow-runs\/([^"?]+)"/g)].map((match) => match[1]);
      assert.deepEqual(linked.slice(0, 2), [second.body.id, run.id]);
      assert.match(section, /badge-completed/);
      assert.match(section, /<td data-label="Trigger">API<\/td>/);
    });

    test('the run page shows the steps in dependency order, the untaken branch skipped with its reason', async () => {
      const response = await page(`/workflow-runs/${run.id}`);
      assert.equal(response.statusCode, 200);
      const body = response.body;
      const { ids } = routing;
      const order = ['start', 'total', 'route'].map((key) => body.indexOf(`<code>${ids[key]}</code>`));
      assert.ok(order.every((at, index) => at > 0 && (index === 0 || at > order[index - 1]!)), `dependency order: ${order}`);
      assert.equal((body.match(/class="graph-layer"/g) ?? []).length, 4, 'start, total, route, then both branches in one stage');
      assert.match(stepCard(body, ids.approve!), /data-step-status="completed"/);
      const skipped = stepCard(body, ids.auto!);
      assert.match(skipped, /data-step-status="skipped"/);
      assert.match(skipped, /badge-skipped">skipped</);
      assert.match(skipped, /Skipped: .*did not route to output-json-else/);
      assert.match(stepCard(body, ids.approve!), /after route/);
      assert.ok(body.includes('Total &lt;img src=x onerror=alert(1)&gt;') && !body.includes(XSS_LABEL), 'labels are escaped');
      assert.doesNotMatch(body, /data-run-events/, 'a finished run has no live updates');
      assert.doesNotMatch(body, /id="cancel-form"/);
      assert.match(body, /Select a step above/);
    });

    test("selecting a step shows its recorded inputs and outputs and offers Save as test; a skipped step offers none", async () => {
      const { ids } = routing;
      const body = (await page(`/workflow-runs/${run.id}?step=${ids.total}`)).body;
      const detail = body.slice(body.indexOf('id="step-detail"'));
      assert.match(detail, /<code>input-json-0<\/code>/);
      assert.match(detail, /&quot;price&quot;: 70/);
      assert.match(detail, /<code>output-json-0<\/code>[\s\S]*&quot;total&quot;: 120/);
      assert.match(detail, new RegExp(`href="/workflow-runs/${run.id}/save-as-test\\?step=${ids.total}"`));
      assert.match(stepCard(body, ids.total!), /aria-current="true"/);

      const skipped = (await page(`/workflow-runs/${run.id}?step=${ids.auto}`)).body;
      const skippedDetail = skipped.slice(skipped.indexOf('id="step-detail"'));
      assert.match(skippedDetail, /Skipped: /);
      assert.doesNotMatch(skippedDetail, /Save as test/);
      assert.doesNotMatch((await page(`/workflow-runs/${run.id}?step=${ids.route}`)).body, />Save as test</, 'a conditional is not a block tests run');
    });

    test('a large recorded value is cut on the page with a note saying where it is whole', async () => {
      const { ids, created } = await runOfOneFunction('echo', 'function transform(input) { return { text: input.text }; }', { text: 'x'.repeat(60_000) });
      const big = await waitForWorkflowRun(server, created.body.id);
      const body = (await page(`/workflow-runs/${big.id}?step=${ids.echo}`)).body;
      assert.ok(body.length < 100_000, `the page stays small: ${body.length}`);
      assert.match(body, /Cut here at 20,000 of 60,0\d\d characters/);
      assert.ok(body.includes(`GET /v1/workflows/steps/${ids.echo}?run_id=${big.id}`));
    });

    test("a failed step shows its error on its card and when selected, and the run's error links to it", async () => {
      const { ids, created } = await runOfOneFunction('boom', 'function transform(input) { throw new Error("no total on <invoice> " + input.id); }', { id: 'INV-9' });
      const failed = await waitForWorkflowRun(server, created.body.id);
      assert.equal(failed.lifecycle.status, 'error');
      const body = (await page(`/workflow-runs/${failed.id}`)).body;
      const summary = body.slice(body.indexOf('id="run-summary"'), body.indexOf('id="steps-heading"'));
      assert.match(summary, /badge-error/);
      assert.ok(summary.includes(`href="/workflow-runs/${failed.id}?step=${ids.boom}#step-detail"`), 'the error links to the failing step');
      const card = stepCard(body, ids.boom!);
      assert.match(card, /data-step-status="error"/);
      assert.match(card, /class="step-note step-error">[^<]*no total on &lt;invoice&gt; INV-9/);
      const detail = (await page(`/workflow-runs/${failed.id}?step=${ids.boom}`)).body;
      assert.match(detail.slice(detail.indexOf('id="step-detail"')), /class="failure-message">[^<]*no total on &lt;invoice&gt; INV-9/);
      assert.doesNotMatch(detail, />Save as test</, 'a failed step has no output to expect');
    });

    test('Save as test opens the assertion form prefilled from the step and creates a run_step test that passes', async () => {
      const { ids, workflowId } = routing;
      const form = await page(`/workflow-runs/${run.id}/save-as-test?step=${ids.total}`);
      assert.equal(form.statusCode, 200);
      assert.match(form.body, /<option value="output-json-0" selected>/);
      assert.match(form.body, /<textarea id="test-expected" name="expected"[^>]*>\{\n {2}&quot;total&quot;: 120\n\}<\/textarea>/);
      assert.match(form.body, new RegExp(`name="step_id" value="${ids.total}"`));

      const saved = await postForm(server, session, `/workflow-runs/${run.id}/save-as-test`, {
        _csrf: session.csrfToken,
        step_id: ids.total!,
        name: 'total of the run',
        output_handle_id: 'output-json-0',
        path: 'total',
        condition_kind: 'equals',
        expected: '120',
      });
      assert.equal(saved.statusCode, 303, saved.body);
      const testId = /^\/tests\/(.+)$/.exec(saved.headers.location as string)?.[1];
      assert.ok(testId, String(saved.headers.location));
      const created = await server.request('GET', `/v1/workflows/tests/${testId}`);
      assert.deepEqual(created.body.source, { type: 'run_step', run_id: run.id, step_id: ids.total });
      assert.deepEqual(created.body.assertion.condition, { kind: 'equals', expected: 120 });
      const flash = [saved.headers['set-cookie'] ?? []].flat().find((header) => header.startsWith('verdict_flash='))!.split(';')[0];
      assert.match((await page(`/tests/${testId}`, `${session.cookie}; ${flash}`)).body, /Test saved from step/);

      const testRun = await server.request('POST', '/v1/workflows/tests/runs', { workflow_id: workflowId });
      const finished = await waitForRun(server, testRun.body.id);
      assert.deepEqual(finished.counts.outcome, { passed: 1, failed: 0, blocked: 0 });
    });

    test('the form shows why a test was not saved, keeps what was typed, and saves nothing', async () => {
      const { ids, workflowId } = routing;
      const before = (await server.request('GET', `/v1/workflows/tests?workflow_id=${workflowId}`)).body.data.length;
      const fields = { _csrf: session.csrfToken, step_id: ids.total!, name: 'bad', output_handle_id: 'output-json-0', path: '', condition_kind: 'equals', expected: '{not json' };
      const notJson = await postForm(server, session, `/workflow-runs/${run.id}/save-as-test`, fields);
      assert.equal(notJson.statusCode, 422);
      assert.match(notJson.body, /The expected value is not JSON/);
      assert.match(notJson.body, />\{not json<\/textarea>/);
      const badHandle = await postForm(server, session, `/workflow-runs/${run.id}/save-as-test`, { ...fields, expected: '1', output_handle_id: 'output-json-nope' });
      assert.equal(badHandle.statusCode, 422);
      assert.match(badHandle.body, /is not an output handle of block/);
      const skipped = await postForm(server, session, `/workflow-runs/${run.id}/save-as-test`, { ...fields, expected: '1', step_id: ids.auto! });
      assert.equal(skipped.statusCode, 422);
      assert.match(skipped.body, /was skipped: it recorded no inputs to capture/);
      const noToken = await postForm(server, session, `/workflow-runs/${run.id}/save-as-test`, { ...fields, _csrf: 'forged', expected: '1' });
      assert.equal(noToken.statusCode, 403);
      assert.equal((await server.request('GET', `/v1/workflows/tests?workflow_id=${workflowId}`)).body.data.length, before);
    });

    test('a for_each lists its iterations under the loop with their index; a loop body step saves as a test of its own iteration', async () => {
      const { workflowId, ids } = await lineItemsLoopWorkflow(server);
      const items = [{ sku: 'a', qty: 2, price: 5 }, { sku: 'b', qty: 1, price: 7 }, { sku: 'c', qty: 3, price: 1 }];
      const created = await server.request('POST', '/v1/workflows/runs', { workflow_id: workflowId, json_inputs: { [ids.start!]: { line_items: items } } });
      const loopRun = await waitForWorkflowRun(server, created.body.id);
      assert.equal(loopRun.lifecycle.status, 'completed', JSON.stringify(loopRun.lifecycle));
      const body = (await page(`/workflow-runs/${loopRun.id}`)).body;
      const loopCard = body.indexOf(`<code>${ids.loop}</code>`);
      const iterations = body.slice(body.indexOf('class="loop-iterations"'));
      assert.ok(loopCard > 0 && body.indexOf('class="loop-iterations"') > loopCard, 'iterations are listed under the loop');
      assert.deepEqual([...iterations.matchAll(/Iteration (\d+)/g)].map((match) => match[1]), ['0', '1', '2']);
      const second = (await stepsOfRun(server, loopRun.id)).find((step) => step.block_id === ids.amount && step.loop_containers[0].iteration === 1);
      assert.ok(iterations.includes(`?step=${encodeURIComponent(second.step_id)}#step-detail`));

      const detail = (await page(`/workflow-runs/${loopRun.id}?step=${encodeURIComponent(second.step_id)}`)).body;
      assert.match(detail, /<dt>Iteration<\/dt><dd>1<\/dd>/);
      const form = await page(`/workflow-runs/${loopRun.id}/save-as-test?step=${encodeURIComponent(second.step_id)}`);
      assert.match(form.body, /iteration 1/);
      const saved = await postForm(server, session, `/workflow-runs/${loopRun.id}/save-as-test`, {
        _csrf: session.csrfToken,
        step_id: second.step_id,
        name: 'second line',
        output_handle_id: 'output-json-0',
        path: 'amount',
        condition_kind: 'equals',
        expected: '7',
      });
      assert.equal(saved.statusCode, 303, saved.body);
      const test = await server.request('GET', `/v1/workflows/tests/${String(saved.headers.location).slice('/tests/'.length)}`);
      assert.deepEqual(test.body.source, { type: 'run_step', run_id: loopRun.id, step_id: second.step_id });
    });

    test('a run of more steps than a page shows lists its first 500 and says where the rest are', async () => {
      const { workflowId, ids } = await createWorkflowGraph(
        server,
        [
          { key: 'start', type: 'start_json' },
          { key: 'loop', type: 'for_each', config: { map_method: 'iterate_array', map_source_path: 'data.items', reduce_strategy: 'concat_array', max_iterations: 600 } },
          { key: 'wrap', type: 'merge_dicts', parent: 'loop', config: { inputs: [{ name: 'item' }] } },
        ],
        [
          { from: 'start', to: 'loop' },
          { from: 'loop', to: 'wrap', targetHandle: 'input-json-item' },
        ],
      );
      const created = await server.request('POST', '/v1/workflows/runs', { workflow_id: workflowId, json_inputs: { [ids.start!]: { items: Array.from({ length: 520 }, (_, n) => n) } } });
      assert.equal(created.status, 202, JSON.stringify(created.body));
      const many = await waitForWorkflowRun(server, created.body.id);
      assert.equal(many.lifecycle.status, 'completed', JSON.stringify(many.lifecycle));
      const body = (await page(`/workflow-runs/${many.id}`)).body;
      assert.match(body, new RegExp(`Showing the first 500 steps; <code>GET /v1/workflows/steps\\?run_id=${many.id}</code> lists them all`));
      assert.equal((body.match(/class="step-card/g) ?? []).length, 500);
    });

    test('a live run streams its status and steps, and Cancel (CSRF-protected) stops it', async () => {
      const { ids, created } = await runOfOneFunction('slow', 'function transform(input) { const end = Date.now() + 20000; while (Date.now() < end) {} return input; }', { n: 1 });
      const runId = created.body.id;
      const startRecorded = async () => (await stepsOfRun(server, runId)).some((step) => step.block_id === ids.start);
      for (let tries = 0; !(await startRecorded()) && tries < 500; tries++) await sleep(20);
      const live = (await page(`/workflow-runs/${runId}`)).body;
      assert.match(stepCard(live, ids.start!), /data-step-status="completed"/);
      assert.match(stepCard(live, ids.slow!), /data-step-status="pending"/, 'a step is recorded once it settles: until then it is pending');
      assert.match(live, new RegExp(`data-run-events="/workflow-runs/${runId}/events"`));
      assert.match(live, new RegExp(`<form id="cancel-form" method="post" action="/workflow-runs/${runId}/cancel"`));

      assert.equal((await postForm(server, session, `/workflow-runs/${runId}/cancel`, { _csrf: 'forged' })).statusCode, 403);
      const cancelled = await postForm(server, session, `/workflow-runs/${runId}/cancel`, { _csrf: session.csrfToken }, { 'hx-request': 'true' });
      assert.equal(cancelled.statusCode, 200);
      assert.match(cancelled.body, /Workflow run cancelled/);
      assert.equal((await server.request('GET', `/v1/workflows/runs/${runId}`)).body.lifecycle.status, 'cancelled');

      const events = parseEvents((await page(`/workflow-runs/${runId}/events?step=${ids.start}`)).body);
      assert.deepEqual(events.map((event) => event.event), ['summary', 'parts', 'end']);
      assert.equal(events[0]!.data.terminal, true);
      assert.match(events[0]!.data.html, /badge-cancelled/);
      const graph = events[1]!.data.html['run-graph'];
      assert.match(stepCard(graph, ids.slow!), /data-step-status="not run"/, 'the step the cancel stopped never settled');
      assert.match(stepCard(graph, ids.start!), /aria-current="true"/);
      assert.match(events[1]!.data.html['step-detail'], /<code>input-json-0<\/code>|<code>output-json-0<\/code>/);
      assert.deepEqual(events[2]!.data, { status: 'cancelled' });
      const again = await postForm(server, session, `/workflow-runs/${runId}/cancel`, { _csrf: session.csrfToken });
      assert.equal(again.statusCode, 303, 'a second cancel tells the user why, on the page');
    });

    test("another organization's run is not found, and pages need a session", async () => {
      const other = await signIn(server, await otherOrganizationKey(server, 'workflow-run-pages'));
      assert.equal((await page(`/workflow-runs/${run.id}`, other.cookie)).statusCode, 404);
      assert.equal((await page(`/workflow-runs/${run.id}/save-as-test?step=${routing.ids.total}`, other.cookie)).statusCode, 404);
      assert.equal((await page(`/workflow-runs/${run.id}/events`, other.cookie)).statusCode, 404);
      assert.equal((await page(`/workflow-runs/${run.id}`, null)).statusCode, 303);
      assert.equal((await page(`/workflow-runs/${run.id}/events?step=x`, null)).statusCode, 401);
    });
  });
}

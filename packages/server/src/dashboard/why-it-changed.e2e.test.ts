import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { waitForRun, type TestApp } from '../testing/harness.js';
import { allResults, createFunctionWorkflow, createTests, startRun, type FunctionWorkflow } from '../testing/fixtures.js';
import { chromiumMissing, launchChromium, listenOnLoopback, signInWithKeyboard, watchForProblems } from './browser-test-support.js';
import { startDashboardApp } from './test-support.js';

const FILLER_TESTS = 120;
// ~40 ms of busy work per test, two at a time: the second run stays live for a few seconds, long enough to filter it.
const busyTimes = (factor: number) => `function transform(input) {
  const end = Date.now() + 40;
  while (Date.now() < end) {}
  return { v: input.n * ${factor} };
}`;

const equalsV = (name: string, n: number, expected: number) => ({ name, input: { n }, path: 'v', condition: { kind: 'equals', expected } });

// Run in the page (this file is compiled without the DOM library, hence the narrow types).
type PageGlobals = { document: { activeElement: { id: string } | null; querySelectorAll(selector: string): { length: number } } };
const focusedId = () => (globalThis as unknown as PageGlobals).document.activeElement?.id ?? '';
/** The run page of `runId` with this filter in its query string (as the form submits it, `show` and `q`). */
const filteredPage = (runId: string, show: string, search: string) => (url: URL) =>
  url.pathname === `/runs/${runId}` && url.searchParams.get('show') === show && url.searchParams.get('q') === search;
const rowsAtLeast = (n: number) => (globalThis as unknown as PageGlobals).document.querySelectorAll('#result-rows tr').length >= n;

describe('dashboard in headless Chromium: why did it change', { skip: chromiumMissing }, () => {
  let server: TestApp;
  let baseUrl: string;
  let browser: Browser;
  let page: Page;
  let fixture: FunctionWorkflow;
  let ids: Record<'breaks' | 'heals' | 'stuck', string>;
  let firstRun: string;
  let secondRun: string;
  let rerun: string;
  const problems: string[] = [];

  const rowNames = () => page.locator('#result-rows tr td.cell-primary a').allInnerTexts();

  before(async () => {
    server = await startDashboardApp('sqlite', { concurrency: 2 });
    baseUrl = await listenOnLoopback(server);
    fixture = await createFunctionWorkflow(server, busyTimes(1));
    await server.request('PATCH', `/v1/workflows/${fixture.workflowId}`, { name: 'Doubling' });
    const [breaks, heals, stuck] = await createTests(server, fixture, [
      equalsV('breaks', 1, 1),
      equalsV('heals', 2, 4),
      equalsV('stuck', 3, 100),
      ...Array.from({ length: FILLER_TESTS }, (_, index) => equalsV(`Total ${index + 1}`, 0, 0)),
    ]);
    ids = { breaks: breaks!, heals: heals!, stuck: stuck! };
    firstRun = (await waitForRun(server, (await startRun(server, fixture.workflowId)).id)).id;
    assert.equal((await server.request('PATCH', `/v1/workflows/blocks/${fixture.blockId}`, { config: { code: busyTimes(2) } })).status, 200);

    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    watchForProblems(page, problems, () => false);
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test('signs in and starts the second run from the workflow page', async () => {
    await page.goto(`${baseUrl}/workflows/${fixture.workflowId}`);
    await signInWithKeyboard(page, server.apiKey);
    await page.waitForURL(`${baseUrl}/workflows/${fixture.workflowId}`);
    await page.getByRole('button', { name: 'Run all tests' }).click();
    await page.waitForURL(/\/runs\/wftestrun_/);
    secondRun = new URL(page.url()).pathname.split('/').pop()!;
  });

  test('a search submitted while the run is live keeps filtering the rows the stream adds, and the search field keeps focus', async () => {
    const search = page.getByLabel('Test name contains');
    await search.focus();
    await page.keyboard.type('total');
    await page.keyboard.press('Enter');
    await page.waitForURL(filteredPage(secondRun, 'all', 'total'));
    assert.equal(await page.locator('[data-run-events]').count(), 1, 'the run is still live');
    await search.focus();
    const shown = (await rowNames()).length;
    await page.waitForFunction(rowsAtLeast, shown + 3);
    assert.equal(await page.evaluate(focusedId), 'result-search', 'live rows did not take the focus away');
    await page.locator('#comparison-heading').waitFor({ timeout: 120_000 });
    assert.equal(await page.evaluate(focusedId), 'result-search', 'nor did the end of the run');
    const names = await rowNames();
    assert.equal(names.length, FILLER_TESTS);
    assert.ok(names.every((name) => name.startsWith('Total ')), 'every row the stream added matches the search');
  });

  test('once finished, the page says "1 new failure, 1 fixed since" the first run, with the changes first and what changed', async () => {
    assert.equal(await page.locator('#comparison-heading').innerText(), '1 new failure, 1 fixed since the run of ' + (await page.locator('#comparison-heading time').innerText()));
    assert.equal(await page.locator('#comparison-heading a').getAttribute('href'), `/runs/${firstRun}`);
    const items = page.locator('#run-comparison li');
    assert.deepEqual(await items.evaluateAll((elements) => elements.map((element) => element.getAttribute('data-change'))), ['new_failure', 'fixed']);
    assert.match(await items.nth(0).innerText(), /breaks[\s\S]*passed → failed[\s\S]*changed: block_config/);
    assert.match(await items.nth(1).innerText(), /heals[\s\S]*failed → passed[\s\S]*changed: block_config/);
    await page.getByRole('button', { name: 'Re-run failed (2)' }).waitFor();
  });

  test('the "New failures" filter shows only the test that broke', async () => {
    await page.getByLabel('Test name contains').fill('');
    await page.getByLabel('Show').selectOption('new_failures');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(filteredPage(secondRun, 'new_failures', ''));
    assert.deepEqual(await rowNames(), ['breaks']);
    await page.getByLabel('Show').selectOption('failed');
    await page.getByLabel('Test name contains').fill('stu');
    await page.keyboard.press('Enter');
    await page.waitForURL(filteredPage(secondRun, 'failed', 'stu'));
    assert.deepEqual(await rowNames(), ['stuck']);
  });

  test('"Re-run failed" opens a new run of exactly the failed and blocked tests', async () => {
    await page.getByRole('button', { name: 'Re-run failed (2)' }).click();
    await page.waitForURL((url) => url.pathname.startsWith('/runs/') && !url.pathname.endsWith(secondRun));
    rerun = new URL(page.url()).pathname.split('/').pop()!;
    const run = await waitForRun(server, rerun);
    assert.deepEqual(run.trigger, { type: 'restart', parent_run_id: secondRun });
    assert.deepEqual((await allResults(server, rerun)).map((result: any) => result.test_id).sort(), [ids.breaks, ids.stuck].sort());
    await page.locator('#comparison-heading').waitFor();
  });

  test('the workflow page charts the pass rate of each run, each point a link to its run', async () => {
    await page.goto(`${baseUrl}/workflows/${fixture.workflowId}`);
    const chart = page.locator('svg#pass-rate-chart');
    assert.equal(await chart.locator('title').first().textContent(), 'Pass rate of the last 3 finished runs');
    const points = chart.locator('a.chart-point');
    const expected = [];
    for (const runId of [firstRun, secondRun, rerun]) {
      const run = (await server.request('GET', `/v1/workflows/tests/runs/${runId}`)).body;
      expected.push([runId, String(Math.round((run.counts.outcome.passed / run.total_tests) * 1000) / 10)]);
    }
    assert.deepEqual(await points.evaluateAll((elements) => elements.map((element) => [element.getAttribute('data-run-id'), element.getAttribute('data-pass-rate')])), expected);
    assert.equal(await chart.locator('circle.point-completed').count(), 3);
    await points.nth(1).click();
    await page.waitForURL(`${baseUrl}/runs/${secondRun}`);
  });

  test('nothing went wrong in the browser: no console errors, page errors or dialogs', () => {
    assert.deepEqual(problems, []);
  });
});

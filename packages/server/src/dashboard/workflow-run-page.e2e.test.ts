import { mkdirSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import type { TestApp } from '../testing/harness.js';
import { functionConfig } from '../testing/workflow-graphs.js';
import { chromiumMissing, launchChromium, listenOnLoopback, SCREENSHOTS_DIR, signInWithKeyboard, takeScreenshots, watchForProblems } from './browser-test-support.js';
import { routingWorkflow, startDashboardApp } from './test-support.js';

// The total step keeps the run live for a couple of seconds, long enough to watch the page follow it.
const SLOW_TOTAL = `function transform(input) {
  const end = Date.now() + 2500;
  while (Date.now() < end) {}
  return { total: input.items.reduce((sum, item) => sum + item.price, 0) };
}`;

// Run in the page (this file is compiled without the DOM library, hence the narrow types).
type PageGlobals = { verdictMarker?: string };
const markPage = () => ((globalThis as unknown as PageGlobals).verdictMarker = 'same page');
const pageMarker = () => (globalThis as unknown as PageGlobals).verdictMarker ?? 'reloaded';

describe('dashboard in headless Chromium: a workflow run page', { skip: chromiumMissing }, () => {
  let server: TestApp;
  let baseUrl: string;
  let browser: Browser;
  let page: Page;
  let workflowId: string;
  let ids: Record<string, string>;
  let runId: string;
  const problems: string[] = [];

  before(async () => {
    server = await startDashboardApp('sqlite', { sandboxThreads: 2, concurrency: 2 });
    baseUrl = await listenOnLoopback(server);
    ({ workflowId, ids } = await routingWorkflow(server));
    await server.request('PATCH', `/v1/workflows/${workflowId}`, { name: 'Invoice routing' });
    assert.equal((await server.request('PATCH', `/v1/workflows/blocks/${ids.total}`, { label: 'Total', config: functionConfig(SLOW_TOTAL) })).status, 200);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    watchForProblems(page, problems, () => false);
  });

  async function screenshot(name: string): Promise<void> {
    if (!takeScreenshots) return;
    mkdirSync(SCREENSHOTS_DIR, { recursive: true });
    await page.screenshot({ path: `${SCREENSHOTS_DIR}${name}.png`, fullPage: true });
  }

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test('signs in, and the workflow page lists a run started through the API', async () => {
    await page.goto(`${baseUrl}/workflows/${workflowId}`);
    await signInWithKeyboard(page, server.apiKey);
    await page.waitForURL(`${baseUrl}/workflows/${workflowId}`);
    const created = await server.request('POST', '/v1/workflows/runs', { workflow_id: workflowId, json_inputs: { [ids.start!]: { items: [{ price: 70 }, { price: 50 }] } } });
    assert.equal(created.status, 202);
    runId = created.body.id;
    await page.reload();
    const runs = page.getByRole('region', { name: 'Workflow runs' });
    const [served] = await Promise.all([page.waitForResponse(`${baseUrl}/workflow-runs/${runId}`), runs.locator(`a[href="/workflow-runs/${runId}"]`).click()]);
    await page.waitForURL(`${baseUrl}/workflow-runs/${runId}`);
    assert.match(await served.text(), /data-run-events=/, 'the run was still live when its page was served');
  });

  test('the live page follows the run to its end without a reload, the untaken branch shown as skipped', async () => {
    await page.evaluate(markPage);
    await page.locator('[data-run-status="completed"]').waitFor({ timeout: 30_000 });
    assert.equal(await page.evaluate(pageMarker), 'same page', 'the event stream updated the page in place');
    const skipped = page.locator('#run-graph .step-card[data-step-status="skipped"]');
    await skipped.waitFor();
    assert.equal(await skipped.count(), 1);
    assert.match(await skipped.innerText(), /auto[\s\S]*skipped[\s\S]*Skipped: .*did not route to output-json-else/);
    assert.equal(await page.locator('#run-graph .step-card[data-step-status="completed"]').count(), 4);
    assert.equal(await page.locator('#cancel-form').count(), 0, 'a finished run cannot be cancelled');
  });

  test("selecting a step shows the inputs it received and the outputs it produced", async () => {
    await page.locator('#run-graph').getByRole('link', { name: 'Total' }).click();
    await page.waitForURL((url) => url.searchParams.get('step') === ids.total);
    const detail = page.locator('#step-detail');
    assert.match(await detail.getByRole('heading', { level: 2 }).innerText(), /Step Total/);
    assert.match(await detail.getByLabel('Inputs input-json-0').innerText(), /"price": 70/);
    assert.match(await detail.getByLabel('Outputs output-json-0').innerText(), /"total": 120/);
    await screenshot('workflow-run');
  });

  test('Save as test creates a run_step test from the step, which passes when run', async () => {
    await page.locator('#step-detail').getByRole('link', { name: 'Save as test' }).click();
    await page.waitForURL(/\/save-as-test\?step=/);
    assert.equal(await page.getByLabel('Output handle').inputValue(), 'output-json-0');
    assert.match(await page.getByLabel(/Expected value/).inputValue(), /"total": 120/);
    await page.getByLabel('Test name').fill('Total of a real invoice');
    await page.getByRole('button', { name: 'Save test' }).click();
    await page.waitForURL(/\/tests\/wfnodetest_/);
    assert.match(await page.locator('#flash').innerText(), /Test saved from step/);
    const testId = new URL(page.url()).pathname.split('/').pop()!;
    const saved = await server.request('GET', `/v1/workflows/tests/${testId}`);
    assert.deepEqual(saved.body.source, { type: 'run_step', run_id: runId, step_id: ids.total });

    await page.goto(`${baseUrl}/workflows/${workflowId}`);
    await page.getByRole('button', { name: 'Run all tests' }).click();
    await page.waitForURL(/\/runs\/wftestrun_/);
    await page.locator('[data-run-status="completed"]').waitFor({ timeout: 30_000 });
    assert.equal(await page.locator('[data-count="passed"]').innerText(), '1');
    assert.equal(await page.locator('[data-count="failed"]').innerText(), '0');
  });

  test('nothing went wrong in the page (no script errors, no refused styles or scripts)', () => {
    assert.deepEqual(problems, []);
  });
});

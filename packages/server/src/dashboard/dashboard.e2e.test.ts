import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import type { TestApp } from '../testing/harness.js';
import { createFunctionWorkflow, createTests, type FunctionWorkflow } from '../testing/fixtures.js';
import { chromiumMissing, launchChromium, listenOnLoopback, SCREENSHOTS_DIR, signInWithKeyboard, takeScreenshots, watchForProblems } from './browser-test-support.js';
import { startDashboardApp } from './test-support.js';

const SCREENSHOT_MAX_HEIGHT = 1400;

const XSS = '<img src=x onerror=alert(1)>';
const SLOW_TESTS = 120;
// ~50 ms of busy work per test: with two tests at a time the run lasts about 3 s, long enough to watch and cancel.
const BUSY_50MS = `function transform(input) {
  const end = Date.now() + 50;
  while (Date.now() < end) {}
  return { invoice: input.invoice, total: input.total, currency: 'EUR', lines: input.lines };
}`;

// Functions run in the page (this file is compiled without the DOM library, hence the narrow type).
// Not strings: the pages' Content-Security-Policy rightly refuses to eval them.
type PageGlobals = { document: { querySelector(selector: string): { textContent: string | null } | null }; sameDocument?: boolean };
const markDocument = () => {
  (globalThis as unknown as PageGlobals).sameDocument = true;
};
const documentIsMarked = () => (globalThis as unknown as PageGlobals).sameDocument === true;
const passedAtLeast = (n: number) => Number((globalThis as unknown as PageGlobals).document.querySelector('[data-count="passed"]')?.textContent) >= n;

describe('dashboard in headless Chromium', { skip: chromiumMissing }, () => {
  let server: TestApp;
  let baseUrl: string;
  let browser: Browser;
  let page: Page;
  let fixture: FunctionWorkflow;
  let runId: string;
  const problems: string[] = [];
  const confirmations: string[] = [];
  /** The confirm() dialog a step expects; any other dialog is a problem. */
  let expectedConfirmation: RegExp | null = null;

  async function screenshot(name: string): Promise<void> {
    if (!takeScreenshots) return;
    mkdirSync(SCREENSHOTS_DIR, { recursive: true });
    await page.screenshot({ path: `${SCREENSHOTS_DIR}${name}.png`, fullPage: true, clip: { x: 0, y: 0, width: 1280, height: SCREENSHOT_MAX_HEIGHT } });
  }

  async function count(kind: string): Promise<number> {
    return Number(await page.locator(`[data-count="${kind}"]`).textContent());
  }

  before(async () => {
    server = await startDashboardApp('sqlite', { concurrency: 2 });
    baseUrl = await listenOnLoopback(server);

    fixture = await createFunctionWorkflow(server, BUSY_50MS);
    await server.request('PATCH', `/v1/workflows/${fixture.workflowId}`, { name: 'Invoice checks', description: 'Totals and currency of parsed invoices.' });
    const invoice = (n: number) => ({ invoice: `INV-${String(n).padStart(3, '0')}`, total: n * 10, lines: [{ sku: `A-${n}`, amount: n * 10 }] });
    await createTests(server, fixture, [
      { name: XSS, input: invoice(1), path: 'currency', condition: { kind: 'equals', expected: 'EUR' } },
      { name: 'Invoice 2 summary (fails)', input: invoice(2), condition: { kind: 'equals', expected: { ...invoice(2), total: 25, currency: 'EUR' } } },
      ...Array.from({ length: SLOW_TESTS - 2 }, (_, index) => ({
        name: `Total of invoice ${index + 3}`,
        input: invoice(index + 3),
        path: 'total',
        condition: { kind: 'number_compare', op: 'eq', expected: (index + 3) * 10 },
      })),
    ]);

    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    watchForProblems(page, problems, (message) => {
      const expected = expectedConfirmation?.test(message) ?? false;
      if (expected) confirmations.push(message);
      return expected;
    });
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test('signs in with an API key, using the keyboard', async () => {
    await page.goto(`${baseUrl}/`);
    assert.equal(new URL(page.url()).pathname, '/login');
    await screenshot('login');
    await signInWithKeyboard(page, server.apiKey);
    await page.waitForURL(`${baseUrl}/workflows`);
    await page.getByRole('link', { name: 'Invoice checks' }).click();
    await page.waitForURL(`${baseUrl}/workflows/${fixture.workflowId}`);
  });

  test('the workflow page lists its tests, a hostile test name as plain text', async () => {
    assert.equal(await page.locator('tbody tr[id^="test-"]').count(), SLOW_TESTS);
    await assertVisibleText(page, XSS);
    assert.equal(await page.locator('img').count(), 0);
    assert.equal(await page.locator('.badge-never-run').count(), SLOW_TESTS);
  });

  test('"Run all tests" opens the run page, which fills in live without reloading', async () => {
    await page.getByRole('button', { name: 'Run all tests' }).click();
    await page.waitForURL(/\/runs\/wftestrun_/);
    runId = new URL(page.url()).pathname.split('/').pop()!;
    await page.evaluate(markDocument);

    await page.waitForFunction(passedAtLeast, 4);
    const passedBefore = await count('passed');
    const rowsBefore = await page.locator('#result-rows tr').count();
    await page.waitForFunction(passedAtLeast, passedBefore + 1);
    assert.ok((await page.locator('#result-rows tr').count()) > rowsBefore, 'result rows are added as tests finish');
    assert.ok(Number(await page.locator('progress').getAttribute('value')) > 0);
    assert.equal(await page.evaluate(documentIsMarked), true, 'the page was not reloaded');
  });

  test('"Cancel run" asks first, then cancels: the page shows it without reloading, and so does the API', async () => {
    expectedConfirmation = /^Cancel this run\?/;
    await page.getByRole('button', { name: 'Cancel run' }).click();
    await page.locator('[data-run-status="cancelled"]').waitFor();
    await page.getByText('Run cancelled.').waitFor();
    await page.locator('#cancel-form').waitFor({ state: 'detached' });
    expectedConfirmation = null;
    assert.equal(confirmations.length, 1, 'the button asked for confirmation once');
    assert.ok((await count('cancelled')) > 0);
    assert.match(await page.locator('.run-status').innerText(), /\d+ of \d+ tests ran, \d+ cancelled before they ran/);
    assert.equal(await page.evaluate(documentIsMarked), true, 'the page was not reloaded');

    const response = await fetch(`${baseUrl}/v1/workflows/tests/runs/${runId}`, { headers: { 'Api-Key': server.apiKey } });
    const run = (await response.json()) as { lifecycle: { status: string }; trigger: { type: string; user_id: string | null } };
    assert.equal(run.lifecycle.status, 'cancelled');
    assert.equal(run.trigger.type, 'manual');
    assert.match(run.trigger.user_id ?? '', /^key_/);
  });

  test('a failed result shows actual versus expected and the difference', async () => {
    await page.locator('#result-rows tr', { has: page.locator('.badge-failed') }).getByRole('link').click();
    await page.waitForURL(/\/results\/wfnodetestrun_/);
    await page.getByRole('heading', { name: 'Expected' }).waitFor();
    await page.getByRole('heading', { name: 'Actual' }).waitFor();
    assert.match(await page.locator('.failure-code').textContent() ?? '', /condition_not_met/);
    assert.match(await page.locator('pre.diff .diff-removed').first().textContent() ?? '', /"total": 25/);
    assert.match(await page.locator('pre.diff .diff-added').first().textContent() ?? '', /"total": 20/);
    await screenshot('result');
  });

  test('the runs list and the workflow page show the outcome', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Runs' }).click();
    await page.locator(`a[href="/runs/${runId}"]`).waitFor();
    await screenshot('runs');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Workflows' }).click();
    await page.getByRole('link', { name: 'Invoice checks' }).click();
    assert.equal(await page.locator('section[aria-labelledby="recent-runs"] .badge-cancelled').count(), 1);
    assert.equal(await page.locator('tr', { hasText: 'Invoice 2 summary (fails)' }).locator('.badge-failed').count(), 1);
    await assertVisibleText(page, XSS);
    await screenshot('workflow');
  });

  test("a test's page shows a hostile test name as plain text", async () => {
    await page.getByRole('link', { name: XSS, exact: true }).click();
    await page.waitForURL(/\/tests\/wfnodetest_/);
    await page.getByRole('heading', { name: 'Recent results' }).waitFor();
    assert.ok((await page.getByRole('heading', { level: 1 }).innerText()).startsWith(XSS), 'the heading shows the name as text');
    assert.equal(await page.locator('img').count(), 0);
  });

  test('nothing went wrong in the browser: no console errors, page errors or dialogs', () => {
    assert.deepEqual(problems, []);
  });
});

async function assertVisibleText(page: Page, text: string): Promise<void> {
  assert.ok(await page.getByText(text, { exact: true }).first().isVisible(), `"${text}" is not shown as text`);
}

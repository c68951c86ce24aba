import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { DEMO_FAILING_TESTS, DEMO_SLOW_TESTS, DEMO_TEST_COUNT, seedDemo } from '../demo/seed.js';
import type { TestApp } from '../testing/harness.js';
import { chromiumMissing, launchChromium, listenOnLoopback, SCREENSHOTS_DIR, takeScreenshots, watchForProblems } from './browser-test-support.js';
import { signIn, startDashboardApp } from './test-support.js';

const PHONE = { width: 390, height: 844 };
/** The batch tests do seconds of work each, many times that on a loaded machine. */
const RUN_TIMEOUT_MS = 180_000;
/** Fewer characters than this on each line of a wrapped text is a word broken letter by letter. */
const MIN_CHARACTERS_PER_LINE = 4;

// Functions run in the page (this file is compiled without the DOM library, hence `any`).
// Not strings: the pages' Content-Security-Policy rightly refuses to eval them.

/** What makes a page unreadable on a phone: sideways scrolling, words wrapped letter by letter, a status out of sight. */
const layoutProblems = (minCharactersPerLine: number): string[] => {
  const { document, innerWidth, NodeFilter } = (globalThis as any);
  const problems: string[] = [];
  if (document.documentElement.scrollWidth > innerWidth) problems.push(`the page scrolls sideways: ${document.documentElement.scrollWidth} px wide in ${innerWidth} px`);
  const walker = document.createTreeWalker(document.querySelector('main'), NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = (node.textContent ?? '').trim();
    if (text.length < minCharactersPerLine) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    const rects = [...range.getClientRects()].filter((rect: any) => rect.width > 1);
    const lines = new Set(rects.map((rect: any) => Math.round(rect.top))).size;
    if (lines > 1 && text.length / lines < minCharactersPerLine) problems.push(`"${text.slice(0, 40)}" is wrapped over ${lines} lines of ${rects.map((rect: any) => Math.round(rect.width)).join('/')} px`);
  }
  for (const status of document.querySelectorAll('td .badge')) {
    const rect = status.getBoundingClientRect();
    const wrap = status.closest('.table-wrap').getBoundingClientRect();
    const row = status.closest('tr').textContent.trim().replace(/\s+/g, ' ').slice(0, 40);
    if (rect.width === 0) problems.push(`the status of "${row}" is hidden`);
    else if (rect.left < Math.max(0, wrap.left) || rect.right > Math.min(innerWidth, wrap.right)) problems.push(`the status of "${row}" is out of sight (${Math.round(rect.left)}–${Math.round(rect.right)} px)`);
  }
  return problems;
};

const focusedHref = (): string | null => (globalThis as any).document.activeElement?.getAttribute('href') ?? null;
const focusedDescription = (): string => {
  const active = (globalThis as any).document.activeElement;
  return active ? `${active.tagName.toLowerCase()}${active.id ? `#${active.id}` : ''} ${active.textContent.trim().slice(0, 30)}` : 'nothing';
};

describe('the demo workflow in headless Chromium', { skip: chromiumMissing }, () => {
  let server: TestApp;
  let baseUrl: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let demoWorkflowId: string;
  const problems: string[] = [];

  async function expectLayoutReadable(where: string): Promise<void> {
    assert.deepEqual(await page.evaluate(layoutProblems, MIN_CHARACTERS_PER_LINE), [], `${where} at ${PHONE.width} px`);
  }

  /** From the workflow page: "Run this block's tests" of the slow batch block, then its run page. */
  async function runBatchTests(): Promise<void> {
    const block = page.locator('section.block', { has: page.getByRole('heading', { name: /^Reconcile a batch/ }) });
    await block.getByRole('button', { name: `Run this block's tests (${DEMO_SLOW_TESTS})` }).click();
    await page.waitForURL(/\/runs\/wftestrun_/);
  }

  before(async () => {
    server = await startDashboardApp('sqlite');
    baseUrl = await listenOnLoopback(server);
    const db = server.runtime.services.store.db;
    const { organization_id: organizationId } = await db.selectFrom('api_keys').select('organization_id').executeTakeFirstOrThrow();
    demoWorkflowId = (await seedDemo(server.runtime.services, organizationId))!;

    const session = await signIn(server);
    const [name, value] = session.cookie.split('=') as [string, string];
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    await context.addCookies([{ name, value, url: baseUrl }]);
    page = await context.newPage();
    watchForProblems(page, problems, (message) => /^Cancel this run\?/.test(message));
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test('a demo run stays live long enough to watch: tests running, the Cancel button, counts filling in', async () => {
    await page.goto(`${baseUrl}/workflows/${demoWorkflowId}`);
    await page.getByRole('button', { name: 'Run all tests' }).click();
    await page.waitForURL(/\/runs\/wftestrun_/);
    const opened = Date.now();
    assert.ok(await page.getByRole('button', { name: 'Cancel run' }).isVisible());
    const slowRow = page.locator('#result-rows tr', { hasText: 'Batch B-' }).filter({ has: page.locator('.badge-running') }).first();
    await slowRow.waitFor({ timeout: RUN_TIMEOUT_MS });
    await page.waitForFunction(() => Number((globalThis as any).document.querySelector('[data-count="passed"]')?.textContent) >= 10, undefined, { timeout: RUN_TIMEOUT_MS });
    assert.equal(await page.locator('[data-run-status="running"]').count(), 1, 'still running with the fast tests done');
    if (takeScreenshots) {
      mkdirSync(SCREENSHOTS_DIR, { recursive: true });
      await page.screenshot({ path: `${SCREENSHOTS_DIR}run-in-progress.png`, fullPage: true });
    }
    await page.locator('[data-run-status="completed"]').waitFor({ timeout: RUN_TIMEOUT_MS });
    assert.ok(Date.now() - opened >= 1000, `the run page was live for ${Date.now() - opened} ms`);
    await page.locator('#cancel-form').waitFor({ state: 'detached' });
    const passed = Number(await page.locator('[data-count="passed"]').textContent());
    const blocked = Number(await page.locator('[data-count="blocked"]').textContent());
    assert.equal(Number(await page.locator('[data-count="failed"]').textContent()), DEMO_FAILING_TESTS);
    assert.equal(passed + blocked, DEMO_TEST_COUNT - DEMO_FAILING_TESTS, 'every other test passed, or is blocked for want of python3');
  });

  test(`at ${PHONE.width} px the run page keeps names whole and every status in sight; focus stays on a link whose row is updated`, async () => {
    await page.setViewportSize(PHONE);
    await page.goto(`${baseUrl}/workflows/${demoWorkflowId}`);
    await expectLayoutReadable('the workflow page');
    await runBatchTests();
    const running = page.locator('#result-rows tr').filter({ has: page.locator('.badge-running') }).first();
    await running.waitFor({ timeout: RUN_TIMEOUT_MS });
    await expectLayoutReadable('the live run page');

    const rowId = await running.getAttribute('id');
    const link = page.locator(`#${rowId}`).getByRole('link');
    const href = await link.getAttribute('href');
    await link.focus();
    assert.equal(await page.locator(`#${rowId} .badge-running`).count(), 1, 'the row is still to be updated once focused');
    await page.locator(`#${rowId} .badge-passed`).waitFor({ timeout: RUN_TIMEOUT_MS });
    assert.equal(await page.evaluate(focusedHref), href, `focus moved to ${await page.evaluate(focusedDescription)} when the row was updated`);
  });

  test('cancelling with the keyboard leaves focus on the run summary, not on the page body', async () => {
    await page.goto(`${baseUrl}/workflows/${demoWorkflowId}`);
    await runBatchTests();
    const cancel = page.getByRole('button', { name: 'Cancel run' });
    await cancel.focus();
    await page.keyboard.press('Enter');
    await page.locator('[data-run-status="cancelled"]').waitFor({ timeout: RUN_TIMEOUT_MS });
    await page.locator('#cancel-form').waitFor({ state: 'detached' });
    assert.equal(await page.evaluate(focusedDescription).then((text) => text.split(' ')[0]), 'section#run-summary');
    await expectLayoutReadable('the cancelled run page');
  });

  test(`at ${PHONE.width} px the runs list, a test's page and a result stay readable`, async () => {
    await page.goto(`${baseUrl}/runs`);
    await expectLayoutReadable('the runs list');
    await page.goto(`${baseUrl}/workflows/${demoWorkflowId}`);
    await page.getByRole('link', { name: 'Large invoice totals match (fails on purpose)' }).click();
    await page.waitForURL(/\/tests\/wfnodetest_/);
    await expectLayoutReadable("a test's page");
    await page.locator('section[aria-labelledby="results-heading"] tbody a').first().click();
    await page.waitForURL(/\/results\//);
    await expectLayoutReadable('a result page');
  });

  test('nothing went wrong in the browser: no console errors, page errors or dialogs', () => {
    assert.deepEqual(problems, []);
  });
});

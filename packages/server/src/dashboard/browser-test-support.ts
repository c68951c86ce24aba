import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { TestApp } from '../testing/harness.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

/** Why the browser suites cannot run here, or false when they can. */
export const chromiumMissing = existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing: install Debian's chromium (apt-get install chromium; .ci/run does it)`;

/** `VERDICT_SCREENSHOTS=1` refreshes the documentation's screenshots from the browser suites. */
export const SCREENSHOTS_DIR = fileURLToPath(new URL('../../../../docs/screenshots/', import.meta.url));
export const takeScreenshots = process.env.VERDICT_SCREENSHOTS === '1';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

/** Serves the dashboard app on a loopback port for the browser; answers its base URL. */
export async function listenOnLoopback(server: TestApp): Promise<string> {
  await server.app.listen({ port: 0, host: '127.0.0.1' });
  const address = server.app.server.address();
  return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
}

/**
 * Collects what should never happen in a page: console errors, page errors, and dialogs other
 * than the confirmations `isExpectedConfirmation` accepts.
 */
export function watchForProblems(page: Page, problems: string[], isExpectedConfirmation: (message: string) => boolean): void {
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('dialog', (dialog) => {
    if (dialog.type() === 'confirm' && isExpectedConfirmation(dialog.message())) {
      void dialog.accept();
      return;
    }
    problems.push(`dialog: ${dialog.message()}`);
    void dialog.dismiss();
  });
}

/**
 * Signs in on the sign-in page the browser was sent to, with the keyboard only: the key field's
 * autofocus is awaited first, since a loaded machine can fire `load` before Chromium applies it,
 * and keys typed meanwhile go nowhere.
 */
export async function signInWithKeyboard(page: Page, apiKey: string): Promise<void> {
  await page.locator('#api-key:focus').waitFor();
  await page.keyboard.type(apiKey);
  await page.keyboard.press('Enter');
}

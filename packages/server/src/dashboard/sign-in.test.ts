import assert from 'node:assert/strict';
import { get, type ClientRequest, type IncomingMessage } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { DEFAULT_LIMITS, Limits } from '../services/rate-limit.js';
import { buildApp } from '../http/app.js';
import { createApiKey, revokeApiKey } from '../services/auth.js';
import { createFunctionWorkflow, createTests, startRun } from '../testing/fixtures.js';
import { testStores, type TestApp } from '../testing/harness.js';
import { dashboardPlugin } from './index.js';
import { postSignIn, signIn, signInForm, startDashboardApp } from './test-support.js';

/** A small window, so that a test waits a fraction of a second for a limit to come back. */
const QUICK_WINDOW_MS = 300;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const setCookies = (response: { headers: Record<string, unknown> }) => [response.headers['set-cookie'] ?? []].flat() as string[];
const sessionCookieOf = (response: { headers: Record<string, unknown> }) => setCookies(response).find((header) => header.startsWith('verdict_session='));

/** Sends until the answer is 429 (whatever the machine's speed); fails if it never comes. */
async function untilLimited(send: () => Promise<{ statusCode: number }>): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) if ((await send()).statusCode === 429) return;
  assert.fail('never limited');
}

describe('sign-in form and dashboard limits (sqlite)', () => {
  let server: TestApp;
  let quick: TestApp;
  before(async () => {
    // Windows of a minute: nothing refills while a test sends its burst, however loaded the machine.
    server = await startDashboardApp('sqlite', {
      limits: {
        ...DEFAULT_LIMITS,
        authFailuresPerAddress: { count: 3, windowMs: 60_000 },
        sessionsPerKey: { count: 2, windowMs: 60_000 },
        streamsPerSession: 2,
        streamsPerOrganization: 3,
      },
    });
    const quickLimits = new Limits({ ...DEFAULT_LIMITS, authFailuresPerAddress: { count: 3, windowMs: QUICK_WINDOW_MS }, sessionsPerKey: { count: 2, windowMs: QUICK_WINDOW_MS } });
    const app = await buildApp({ services: { ...server.runtime.services, limits: quickLimits }, extensions: [dashboardPlugin] });
    await app.ready();
    quick = { ...server, app, close: () => app.close() };
  });
  after(async () => {
    await quick.close();
    await server.close();
  });

  const keyOf = async (organization: string) => (await createApiKey(server.runtime.services.store, organization)).key;
  const postLogin = (fields: Record<string, string>, cookie?: string) =>
    server.app.inject({
      method: 'POST',
      url: '/login',
      payload: new URLSearchParams(fields).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...(cookie ? { cookie } : {}) },
    });

  describe('CSRF token of the sign-in form', () => {
    test('the form carries the token of its HttpOnly, SameSite=Strict cookie', async () => {
      const page = await server.app.inject({ method: 'GET', url: '/login' });
      const cookie = setCookies(page).find((header) => header.startsWith('verdict_sign_in='))!;
      assert.match(cookie, /; HttpOnly/);
      assert.match(cookie, /; SameSite=Strict/);
      const token = cookie.split(';')[0]!.split('=')[1]!;
      assert.ok(page.body.includes(`name="_csrf" value="${token}"`));
    });

    test('a sign-in post without the token and its cookie, or with a mismatched pair, is refused with the form and no session', async () => {
      const mine = await signInForm(server);
      const theirs = await signInForm(server);
      const attempts: [Record<string, string>, string | undefined][] = [
        [{}, undefined],
        [{}, mine.cookie],
        [{ _csrf: mine.csrfToken }, undefined],
        [{ _csrf: theirs.csrfToken }, mine.cookie],
        [{ _csrf: '' }, 'verdict_sign_in='],
      ];
      for (const [fields, cookie] of attempts) {
        const response = await postLogin({ api_key: server.apiKey, ...fields }, cookie);
        assert.equal(response.statusCode, 403, JSON.stringify(fields));
        assert.match(response.body, /This sign-in form has expired or did not come from this dashboard/);
        assert.match(response.body, /name="_csrf" value="[A-Za-z0-9]{32}"/, 'the form comes back, ready to post again');
        assert.equal(sessionCookieOf(response), undefined);
      }
      const signedIn = await postLogin({ api_key: await keyOf('csrf'), _csrf: mine.csrfToken }, mine.cookie);
      assert.equal(signedIn.statusCode, 303);
      assert.ok(sessionCookieOf(signedIn));
    });
  });

  describe('behind a TLS proxy (VERDICT_TRUST_PROXY)', () => {
    let proxied: TestApp;
    before(async () => {
      const app = await buildApp({ services: server.runtime.services, trustProxy: 1, extensions: [dashboardPlugin] });
      await app.ready();
      proxied = { ...server, app, close: () => app.close() };
    });
    after(() => proxied.close());

    test('a trusted proxy saying https gets Secure cookies; the same header from an untrusted peer is ignored', async () => {
      const https = { headers: { 'x-forwarded-proto': 'https' } };
      const form = await proxied.app.inject({ method: 'GET', url: '/login', ...https });
      assert.match(setCookies(form).find((header) => header.startsWith('verdict_sign_in='))!, /; Secure/);
      assert.match(sessionCookieOf(await postSignIn(proxied, { api_key: await keyOf('tls') }, https))!, /; Secure/);
      assert.doesNotMatch(sessionCookieOf(await postSignIn(server, { api_key: await keyOf('tls') }, https))!, /; Secure/);
    });
  });

  describe('rate limits', () => {
    test('failed sign-ins from one address get 429 with Retry-After; a valid key from there still signs in', async () => {
      const from = { remoteAddress: '192.0.2.10' };
      for (let n = 0; n < 3; n++) assert.equal((await postSignIn(server, { api_key: 'vk_wrong' }, from)).statusCode, 401);
      const limited = await postSignIn(server, { api_key: 'vk_wrong' }, from);
      assert.equal(limited.statusCode, 429);
      const wait = Number(limited.headers['retry-after']);
      assert.ok(wait > 15 && wait <= 20, `Retry-After: ${wait}`);
      assert.match(limited.body, new RegExp(`Too many failed sign-ins from this address \\(the limit is 3 failures per 1 min\\)\\. Try again in ${wait} s\\.`));
      assert.equal(sessionCookieOf(limited), undefined);
      assert.equal((await postSignIn(server, { api_key: 'vk_wrong' }, { remoteAddress: '192.0.2.11' })).statusCode, 401, 'another address');
      assert.equal((await postSignIn(server, { api_key: await keyOf('neighbour') }, from)).statusCode, 303, "a neighbour's failures do not lock a valid key out");
    });

    test('wrong API keys and wrong sign-ins from one address share one count', async () => {
      const remoteAddress = '192.0.2.12';
      for (let n = 0; n < 3; n++) {
        assert.equal((await server.app.inject({ method: 'GET', url: '/v1/workflows', remoteAddress, headers: { 'api-key': 'vk_wrong' } })).statusCode, 401);
      }
      assert.equal((await postSignIn(server, { api_key: 'vk_wrong' }, { remoteAddress })).statusCode, 429);
    });

    test('a flood of sign-ins with one key gets 429 with Retry-After and no session; other keys sign in', async () => {
      const flooding = await keyOf('flooding');
      const from = { remoteAddress: '192.0.2.13' };
      for (let n = 0; n < 2; n++) assert.equal((await postSignIn(server, { api_key: flooding }, from)).statusCode, 303);
      const limited = await postSignIn(server, { api_key: flooding }, from);
      assert.equal(limited.statusCode, 429);
      assert.ok(Number(limited.headers['retry-after']) > 20, 'one session comes back every 30 s');
      assert.match(limited.body, /Too many sign-ins with this API key \(the limit is 2 sessions per 1 min\)/);
      assert.equal(sessionCookieOf(limited), undefined);
      assert.equal((await postSignIn(server, { api_key: await keyOf('calm') }, from)).statusCode, 303);
    });

    test('failed sign-ins and sessions per key come back after their window', async () => {
      const from = { remoteAddress: '192.0.2.14' };
      const key = await keyOf('refilled');
      await untilLimited(() => postSignIn(quick, { api_key: 'vk_wrong' }, from));
      await untilLimited(() => postSignIn(quick, { api_key: key }, from));
      await sleep(QUICK_WINDOW_MS + 20);
      assert.equal((await postSignIn(quick, { api_key: 'vk_wrong' }, from)).statusCode, 401);
      assert.equal((await postSignIn(quick, { api_key: key }, from)).statusCode, 303);
    });

    test('live streams: at most the limit per session and per organization; a closed stream frees its slot', async () => {
      const workflow = await createFunctionWorkflow(server, 'function transform(input) { while (true) {} }', { timeoutSeconds: 60 });
      await createTests(server, workflow, [{ input: {}, condition: { kind: 'exists' } }]);
      const run = await startRun(server, workflow.workflowId);
      const url = await server.app.listen({ port: 0, host: '127.0.0.1' });
      const open: ClientRequest[] = [];
      const stream = (cookie: string) =>
        new Promise<{ status: number; retryAfter: string | undefined }>((resolve, reject) => {
          const request = get(`${url}/runs/${run.id}/events`, { headers: { cookie } }, (response: IncomingMessage) => {
            if (response.statusCode === 200) response.once('data', () => resolve({ status: 200, retryAfter: undefined }));
            else resolve({ status: response.statusCode!, retryAfter: response.headers['retry-after'] });
            response.resume();
          });
          request.on('error', reject);
          open.push(request);
        });
      try {
        const sameOrganization = async () => signIn(server, await keyOf('default'));
        const [first, second, third] = [await sameOrganization(), await sameOrganization(), await sameOrganization()];
        assert.deepEqual([(await stream(first.cookie)).status, (await stream(first.cookie)).status], [200, 200]);
        assert.deepEqual(await stream(first.cookie), { status: 429, retryAfter: '5' }, 'a third stream of one session');
        assert.equal((await stream(second.cookie)).status, 200, 'another session of the organization');
        assert.deepEqual(await stream(third.cookie), { status: 429, retryAfter: '5' }, 'a fourth stream of one organization');
        open[0]!.destroy();
        let reopened = 0;
        for (let attempt = 0; attempt < 100 && reopened !== 200; attempt++) {
          await sleep(20);
          reopened = (await stream(first.cookie)).status;
        }
        assert.equal(reopened, 200);
      } finally {
        for (const request of open) request.destroy();
        await server.request('POST', `/v1/workflows/tests/runs/${run.id}/cancel`);
      }
    });
  });
});

for (const kind of testStores()) {
  describe(`revoked keys in the dashboard (${kind})`, () => {
    let server: TestApp;
    before(async () => {
      server = await startDashboardApp(kind, { keyCacheMs: 100 });
    });
    after(() => server.close());

    test("revoking a key ends its dashboard sessions at once, and it can no longer sign in", async () => {
      const { key } = await createApiKey(server.runtime.services.store, 'revoked-in-dashboard');
      const session = await signIn(server, key);
      const page = () => server.app.inject({ method: 'GET', url: '/workflows', headers: { cookie: session.cookie } });
      const apiWithCookie = () => server.app.inject({ method: 'GET', url: '/v1/workflows', headers: { cookie: session.cookie } });
      assert.equal((await page()).statusCode, 200);
      assert.equal((await apiWithCookie()).statusCode, 200);
      await revokeApiKey(server.runtime.services.store, key);
      assert.equal((await page()).headers.location, '/login?next=%2Fworkflows');
      assert.equal((await apiWithCookie()).statusCode, 401);
      await sleep(150);
      assert.equal((await postSignIn(server, { api_key: key })).statusCode, 401);
    });
  });
}

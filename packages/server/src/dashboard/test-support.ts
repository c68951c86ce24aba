import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configFromEnv, type ServerConfig } from '../config.js';
import { buildApp } from '../http/app.js';
import { createRuntime } from '../services/create.js';
import type { TestApp } from '../testing/harness.js';
import { createSessionPrincipal, dashboardPlugin } from './index.js';
import { SESSION_COOKIE } from './sessions.js';

const TEST_KEY = 'vk_dashboard_test_key_0123456789';

/** A real server with the dashboard registered, wired as server.ts wires it; usable with the API fixtures. */
export async function startDashboardApp(overrides: Partial<ServerConfig> = {}): Promise<TestApp> {
  const dataDir = await mkdtemp(join(tmpdir(), 'verdict-dashboard-'));
  const config = configFromEnv({}, { dataDir, apiKey: TEST_KEY, sandboxThreads: 2, concurrency: 4, seedDemo: false, ...overrides });
  const runtime = await createRuntime(config);
  runtime.services.sessionPrincipal = createSessionPrincipal(runtime.services.store);
  await runtime.services.executor.start();
  const app = await buildApp({ services: runtime.services, extensions: [dashboardPlugin] });
  await app.ready();
  return {
    app,
    runtime,
    apiKey: TEST_KEY,
    config,
    async request(method, url, body, headers = {}) {
      const response = await app.inject({
        method: method as 'GET',
        url,
        headers: { 'api-key': TEST_KEY, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
        payload: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: response.statusCode, body: response.body ? JSON.parse(response.body) : undefined, headers: response.headers };
    },
    async close() {
      await app.close();
      await runtime.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export interface BrowserSession {
  /** `verdict_session=…`, for a Cookie header. */
  cookie: string;
  csrfToken: string;
}

/** Signs in through the form as a browser would and reads the CSRF token from a page. */
export async function signIn(test: TestApp, key = test.apiKey): Promise<BrowserSession> {
  const login = await test.app.inject({ method: 'POST', url: '/login', payload: new URLSearchParams({ api_key: key }).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  const setCookie = [login.headers['set-cookie'] ?? []].flat().find((header) => header.startsWith(`${SESSION_COOKIE}=`));
  if (login.statusCode !== 303 || !setCookie) throw new Error(`sign-in failed: ${login.statusCode} ${login.body}`);
  const cookie = setCookie.split(';')[0]!;
  const page = await test.app.inject({ method: 'GET', url: '/workflows', headers: { cookie } });
  const csrfToken = /<meta name="csrf-token" content="([^"]+)">/.exec(page.body)?.[1];
  if (!csrfToken) throw new Error('no CSRF token on the workflows page');
  return { cookie, csrfToken };
}

/** Posts an urlencoded form with the session's cookie. */
export function postForm(test: TestApp, session: BrowserSession, url: string, fields: Record<string, string>, headers: Record<string, string> = {}) {
  return test.app.inject({
    method: 'POST',
    url,
    payload: new URLSearchParams(fields).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: session.cookie, ...headers },
  });
}

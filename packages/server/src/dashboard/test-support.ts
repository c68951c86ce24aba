import type { ServerConfig } from '../config.js';
import { buildApp } from '../http/app.js';
import { startTestApp, type StoreKind, type TestApp } from '../testing/harness.js';
import { createSessionPrincipal, dashboardPlugin } from './index.js';
import { SESSION_COOKIE } from './sessions.js';

/**
 * The test harness's server with the dashboard registered, wired as server.ts wires it. API calls
 * (`request`, and so the API fixtures) go to the harness's own app, which shares every service.
 */
export async function startDashboardApp(store: StoreKind = 'sqlite', overrides: Partial<ServerConfig> = {}): Promise<TestApp> {
  const base = await startTestApp(store, overrides);
  base.runtime.services.sessionPrincipal = createSessionPrincipal(base.runtime.services.store);
  const app = await buildApp({ services: base.runtime.services, extensions: [dashboardPlugin] });
  await app.ready();
  return {
    ...base,
    app,
    async close() {
      await app.close();
      await base.close();
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

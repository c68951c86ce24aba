import type { ServerConfig } from '../config.js';
import { buildApp } from '../http/app.js';
import { startTestApp, type StoreKind, type TestApp } from '../testing/harness.js';
import { createSessionPrincipal, SESSION_COOKIE } from '../services/sessions.js';
import { createWorkflowGraph, functionConfig } from '../testing/workflow-graphs.js';
import { dashboardPlugin } from './index.js';

/**
 * The test harness's server with the dashboard registered, wired as server.ts wires it. API calls
 * (`request`, and so the API fixtures) go to the harness's own app, which shares every service.
 */
export async function startDashboardApp(store: StoreKind = 'sqlite', overrides: Partial<ServerConfig> = {}, env: NodeJS.ProcessEnv = {}): Promise<TestApp> {
  const base = await startTestApp(store, overrides, env);
  base.runtime.services.sessionPrincipal = createSessionPrincipal(base.runtime.services);
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

/** Where a test's browser is and what it adds to its requests (a proxy's X-Forwarded-* headers, say). */
export interface BrowserOrigin {
  headers?: Record<string, string>;
  remoteAddress?: string;
}

/** The sign-in form as a browser gets it: the cookie and the `_csrf` field it must post back together. */
export async function signInForm(test: TestApp, origin: BrowserOrigin = {}): Promise<{ cookie: string; csrfToken: string }> {
  const form = await test.app.inject({ method: 'GET', url: '/login', headers: origin.headers, remoteAddress: origin.remoteAddress });
  const cookie = [form.headers['set-cookie'] ?? []].flat().find((header) => header.startsWith('verdict_sign_in='))?.split(';')[0];
  const csrfToken = /name="_csrf" value="([^"]+)"/.exec(form.body)?.[1];
  if (!cookie || !csrfToken) throw new Error(`no sign-in token on the sign-in page: ${form.statusCode}`);
  return { cookie, csrfToken };
}

/** Posts the sign-in form with the token of a sign-in page just fetched. */
export async function postSignIn(test: TestApp, fields: Record<string, string>, origin: BrowserOrigin = {}) {
  const form = await signInForm(test, origin);
  return test.app.inject({
    method: 'POST',
    url: '/login',
    remoteAddress: origin.remoteAddress,
    payload: new URLSearchParams({ _csrf: form.csrfToken, ...fields }).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: form.cookie, ...origin.headers },
  });
}

/** Signs in through the form as a browser would and reads the CSRF token from a page. */
export async function signIn(test: TestApp, key = test.apiKey): Promise<BrowserSession> {
  const login = await postSignIn(test, { api_key: key });
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

/** The events of a finished server-sent event stream, their data parsed. */
export function parseEvents(body: string): { event: string; data: any }[] {
  return body
    .split('\n\n')
    .filter((block) => block.startsWith('event: '))
    .map((block) => {
      const [eventLine, dataLine] = block.split('\n');
      return { event: eventLine!.slice('event: '.length), data: JSON.parse(dataLine!.slice('data: '.length)) };
    });
}

/** Markup in a block label, which every page must show as text. */
export const XSS_LABEL = '<img src=x onerror=alert(1)>';

/** start_json → function (total) → conditional (big / else) → one function per branch. */
export async function routingWorkflow(app: TestApp) {
  return createWorkflowGraph(
    app,
    [
      { key: 'start', type: 'start_json' },
      { key: 'total', label: `Total ${XSS_LABEL}`, type: 'function', config: functionConfig('function transform(input) { return { total: input.items.reduce((sum, item) => sum + item.price, 0) }; }') },
      {
        key: 'route',
        type: 'conditional',
        config: { conditions: [{ branch_name: 'big', sub_conditions: [{ path: 'data.total', operator: 'is_greater_than', value: 100 }], logical_operator: 'and' }], has_else: true },
      },
      { key: 'approve', type: 'function', config: functionConfig('function transform(input) { return { decision: "review", total: input.total }; }') },
      { key: 'auto', type: 'function', config: functionConfig('function transform(input) { return { decision: "auto", total: input.total }; }') },
    ],
    [
      { from: 'start', to: 'total' },
      { from: 'total', to: 'route' },
      { from: 'route', to: 'approve', sourceHandle: 'output-json-big' },
      { from: 'route', to: 'auto', sourceHandle: 'output-json-else' },
    ],
  );
}

import fastifyCookie from '@fastify/cookie';
import fastifyFormbody from '@fastify/formbody';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { logServerError } from '../http/error-handler.js';
import { createError, isAnswerable } from '../errors/index.js';
import { assertCsrfToken, sendPage } from './context.js';
import { assetRoutes } from './routes/assets.js';
import { experimentPages } from './routes/experiments.js';
import { authRoutes } from './routes/auth.js';
import { runEvents } from './routes/events.js';
import { resultPages } from './routes/results.js';
import { runPages } from './routes/runs.js';
import { testPages } from './routes/tests.js';
import { workflowPages } from './routes/workflows.js';
import { workflowRunPages } from './routes/workflow-runs.js';
import { findSession, SESSION_COOKIE } from '../services/sessions.js';
import { errorView } from './views/login.js';

const FORM_BODY_LIMIT_BYTES = 16 * 1024;

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
  'x-frame-options': 'DENY',
};

function renderError(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  const status = isAnswerable(error) ? error.statusCode : error.statusCode && error.statusCode < 500 ? error.statusCode : 500;
  if (status >= 500) logServerError(request, error, 'dashboard page failed');
  const message = status >= 500 ? 'The server failed to show this page; the error has been logged.' : error.message;
  if (isAnswerable(error)) reply.headers(error.headers);
  return sendPage(request, reply, { title: status === 404 ? 'Not found' : 'Error', main: errorView(status, message) }, status);
}

/** Cross-site form posts are refused outright (browsers say so in Sec-Fetch-Site); the CSRF token covers older ones. */
async function refuseCrossSitePosts(request: FastifyRequest): Promise<void> {
  const site = request.headers['sec-fetch-site'];
  if (request.method === 'POST' && site !== undefined && site !== 'same-origin') {
    throw createError('cross_site_request');
  }
}

/** Pages go to sign-in and come back; htmx is told to go there; the event stream is just refused. */
function sendToSignIn(request: FastifyRequest, reply: FastifyReply) {
  if (request.url.split('?')[0]!.endsWith('/events')) throw createError('unauthorized', 'Your session has ended. Sign in again.');
  const signIn = request.method === 'GET' ? `/login?next=${encodeURIComponent(request.url)}` : '/login';
  if (request.headers['hx-request'] === 'true') return reply.header('hx-redirect', signIn).status(401).send();
  return reply.redirect(signIn, 303);
}

/** Pages behind sign-in: a browser without a session is sent to the sign-in page, forms must carry the CSRF token. */
async function signedInPages(app: FastifyInstance): Promise<void> {
  app.addHook('preHandler', async (request, reply) => {
    if (!request.dashboardSession) return sendToSignIn(request, reply);
    if (request.method === 'POST') assertCsrfToken(request);
  });
  await app.register(workflowPages);
  await app.register(runPages);
  await app.register(workflowRunPages);
  await app.register(resultPages);
  await app.register(testPages);
  await app.register(experimentPages);
  await app.register(runEvents);
}

/** The dashboard: server-rendered pages on the same server as the API (registered by buildApp as an extension). */
export async function dashboardPlugin(app: FastifyInstance): Promise<void> {
  const { services } = app;
  await app.register(async (scope) => {
    await scope.register(fastifyCookie);
    await scope.register(fastifyFormbody, { bodyLimit: FORM_BODY_LIMIT_BYTES });
    scope.addHook('onSend', async (_request, reply) => {
      reply.headers(SECURITY_HEADERS);
    });
    scope.setErrorHandler(renderError);
    scope.decorateRequest('dashboardSession', null);
    await scope.register(assetRoutes);
    await scope.register(async (pages) => {
      pages.addHook('onRequest', async (request) => {
        const secret = request.cookies[SESSION_COOKIE];
        request.dashboardSession = secret ? await findSession(services, secret) : null;
      });
      pages.addHook('preHandler', refuseCrossSitePosts);
      await pages.register(authRoutes);
      await pages.register(signedInPages);
    });
  });
}

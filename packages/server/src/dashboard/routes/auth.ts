import { newSecret } from '@verdict/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { perWindow } from '../../services/rate-limit.js';
import { assertCsrfToken, cookieOptions, formField, localPath, sendPage, sessionOf } from '../context.js';
import { createSession, deleteSession, SESSION_COOKIE, SESSION_TTL_MS, tokensMatch } from '../../services/sessions.js';
import { loginView, logoutView } from '../views/login.js';

const HOME = '/workflows';
/** The sign-in form's CSRF token, double-submitted: in this cookie and in the form's `_csrf` field. */
const SIGN_IN_COOKIE = 'verdict_sign_in';
const SIGN_IN_TOKEN_MAX_AGE_S = 60 * 60;
const SIGN_IN_TOKEN = /^[A-Za-z0-9]{32}$/;

/** The browser's sign-in token (a new one when it has none), set again in its cookie. */
function signInToken(request: FastifyRequest, reply: FastifyReply): string {
  const current = request.cookies[SIGN_IN_COOKIE];
  const token = current && SIGN_IN_TOKEN.test(current) ? current : newSecret(32);
  reply.setCookie(SIGN_IN_COOKIE, token, { ...cookieOptions(request), maxAge: SIGN_IN_TOKEN_MAX_AGE_S });
  return token;
}

function signInPage(request: FastifyRequest, reply: FastifyReply, next: string, error: string | null = null, status = 200) {
  return sendPage(request, reply, { title: 'Sign in', main: loginView(next, error, signInToken(request, reply)) }, status);
}

function tooManyAttempts(request: FastifyRequest, reply: FastifyReply, next: string, message: string, waitSeconds: number) {
  reply.header('retry-after', String(waitSeconds));
  return signInPage(request, reply, next, `${message} Try again in ${waitSeconds} s.`, 429);
}

/** Sign-in with an API key, sign-out; `/` sends people where they belong. */
export async function authRoutes(app: FastifyInstance): Promise<void> {
  const { services } = app;
  const { auth, limits } = services;

  app.get('/', async (request, reply) => reply.redirect(request.dashboardSession ? HOME : '/login', 303));

  app.get('/login', async (request, reply) => {
    const next = localPath(formField(request.query, 'next'), HOME);
    if (request.dashboardSession) return reply.redirect(next, 303);
    return signInPage(request, reply, next);
  });

  app.post('/login', async (request, reply) => {
    const next = localPath(formField(request.body, 'next'), HOME);
    const expectedToken = request.cookies[SIGN_IN_COOKIE];
    if (!expectedToken || !tokensMatch(expectedToken, formField(request.body, '_csrf'))) {
      return signInPage(request, reply, next, 'This sign-in form has expired or did not come from this dashboard. Try again.', 403);
    }
    const key = formField(request.body, 'api_key').trim();
    if (!key) return signInPage(request, reply, next, 'Enter an API key to sign in.', 401);
    const principal = await auth.authenticate(key);
    if (!principal) {
      const wait = limits.countFailedAuthentication(request.ip);
      if (wait > 0) return tooManyAttempts(request, reply, next, `Too many failed sign-ins from this address (the limit is ${perWindow(limits.config.authFailuresPerAddress!, 'failures')}).`, wait);
      return signInPage(request, reply, next, 'That API key is not valid. Check it and try again.', 401);
    }
    const wait = limits.countSessionCreation(principal.apiKeyId);
    if (wait > 0) return tooManyAttempts(request, reply, next, `Too many sign-ins with this API key (the limit is ${perWindow(limits.config.sessionsPerKey!, 'sessions')}).`, wait);
    const { secret } = await createSession(services, principal);
    reply.clearCookie(SIGN_IN_COOKIE, cookieOptions(request));
    reply.setCookie(SESSION_COOKIE, secret, { ...cookieOptions(request), maxAge: SESSION_TTL_MS / 1000 });
    return reply.redirect(next, 303);
  });

  app.get('/logout', async (request, reply) => {
    if (!request.dashboardSession) return reply.redirect('/login', 303);
    return sendPage(request, reply, { title: 'Sign out', main: logoutView(sessionOf(request).csrfToken) });
  });

  app.post('/logout', async (request, reply) => {
    if (request.dashboardSession) assertCsrfToken(request);
    const secret = request.cookies[SESSION_COOKIE];
    if (secret) await deleteSession(services, secret);
    reply.clearCookie(SESSION_COOKIE, cookieOptions(request));
    return reply.redirect('/login', 303);
  });
}

import type { FastifyInstance } from 'fastify';
import { assertCsrfToken, cookieOptions, formField, localPath, sendPage, sessionOf } from '../context.js';
import { createSession, deleteSession, SESSION_COOKIE, SESSION_TTL_MS } from '../sessions.js';
import { loginView, logoutView } from '../views/login.js';

const HOME = '/workflows';

/** Sign-in with an API key, sign-out; `/` sends people where they belong. */
export async function authRoutes(app: FastifyInstance): Promise<void> {
  const { store, auth } = app.services;

  app.get('/', async (request, reply) => reply.redirect(request.dashboardSession ? HOME : '/login', 303));

  app.get('/login', async (request, reply) => {
    const next = localPath(formField(request.query, 'next'), HOME);
    if (request.dashboardSession) return reply.redirect(next, 303);
    return sendPage(request, reply, { title: 'Sign in', main: loginView(next, null) });
  });

  app.post('/login', async (request, reply) => {
    const next = localPath(formField(request.body, 'next'), HOME);
    const key = formField(request.body, 'api_key').trim();
    const principal = key ? await auth.authenticate(key) : null;
    if (!principal) {
      const message = key ? 'That API key is not valid. Check it and try again.' : 'Enter an API key to sign in.';
      return sendPage(request, reply, { title: 'Sign in', main: loginView(next, message) }, 401);
    }
    const { secret } = await createSession(store, principal);
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
    if (secret) await deleteSession(store, secret);
    reply.clearCookie(SESSION_COOKIE, cookieOptions(request));
    return reply.redirect('/login', 303);
  });
}

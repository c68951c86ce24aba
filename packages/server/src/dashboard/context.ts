import type { FastifyReply, FastifyRequest } from 'fastify';
import { createError } from '../errors/index.js';
import { flashMessage, renderPage, type Flash, type PageContent } from './layout.js';
import { tokensMatch, type Session } from '../services/sessions.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The dashboard session of the request's cookie, resolved by the dashboard's pages only. */
    dashboardSession: Session | null;
  }
}

const FLASH_COOKIE = 'verdict_flash';
const FLASH_MAX_CHARS = 600;

export function cookieOptions(request: FastifyRequest) {
  return { path: '/', httpOnly: true, sameSite: 'strict' as const, secure: request.protocol === 'https' };
}

/** The session of a page behind the sign-in check (the check guarantees there is one). */
export function sessionOf(request: FastifyRequest): Session {
  const session = request.dashboardSession;
  if (!session) throw new Error('a signed-in page was reached without a session');
  return session;
}

/** A string field of a form body or query string; anything else (missing, repeated, nested) reads as empty. */
export function formField(fields: unknown, name: string): string {
  if (typeof fields !== 'object' || fields === null) return '';
  const value = (fields as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : '';
}

/** Every form a session posts carries its CSRF token in `_csrf`. */
export function assertCsrfToken(request: FastifyRequest): void {
  if (!tokensMatch(sessionOf(request).csrfToken, formField(request.body, '_csrf'))) {
    throw createError('csrf_token_invalid');
  }
}

/** Only same-site paths of printable ASCII: `/runs/x`, never `//evil.example` or `/\evil.example`. */
export function localPath(candidate: string, fallback: string): string {
  return /^\/(?![/\\])[\x21-\x7e]*$/.test(candidate) ? candidate : fallback;
}

/** A message shown once on the next page, carried by a short-lived cookie across a redirect. */
export function setFlash(request: FastifyRequest, reply: FastifyReply, flash: Flash): void {
  const message = flash.message.slice(0, FLASH_MAX_CHARS);
  reply.setCookie(FLASH_COOKIE, JSON.stringify({ kind: flash.kind, message }), { ...cookieOptions(request), maxAge: 60 });
}

/** A posted form's outcome: with htmx, the message for the page's flash area; without, a redirect to `location` that shows it. */
export function answerForm(request: FastifyRequest, reply: FastifyReply, flash: Flash, location: string): FastifyReply {
  if (request.headers['hx-request'] === 'true') return reply.type('text/html; charset=utf-8').send(flashMessage(flash).text);
  setFlash(request, reply, flash);
  return reply.redirect(location, 303);
}

function takeFlash(request: FastifyRequest, reply: FastifyReply): Flash | null {
  const text = request.cookies[FLASH_COOKIE];
  if (!text) return null;
  reply.clearCookie(FLASH_COOKIE, cookieOptions(request));
  try {
    const parsed = JSON.parse(text) as Partial<Flash>;
    const kind = parsed.kind === 'error' ? 'error' : 'notice';
    return typeof parsed.message === 'string' ? { kind, message: parsed.message.slice(0, FLASH_MAX_CHARS) } : null;
  } catch {
    return null;
  }
}

/** Sends a full page with the request's session and any flash message waiting for it. */
export function sendPage(request: FastifyRequest, reply: FastifyReply, content: Omit<PageContent, 'session'>, status = 200): FastifyReply {
  const flash = content.flash ?? takeFlash(request, reply);
  return reply
    .status(status)
    .header('cache-control', 'no-store')
    .type('text/html; charset=utf-8')
    .send(renderPage({ ...content, flash, session: request.dashboardSession }));
}

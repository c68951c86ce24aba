import { timingSafeEqual } from 'node:crypto';
import { fastifyCookie } from '@fastify/cookie';
import { isoNow, newSecret, sha256Hex } from '@verdict/core';
import type { FastifyRequest } from 'fastify';
import type { Principal } from './auth.js';
import type { Services } from './index.js';

/** What the session functions use of the services: the store the `sessions` table is in. */
type SessionStore = Pick<Services, 'store'>;

export const SESSION_COOKIE = 'verdict_session';
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;
/** Header that API calls made by dashboard pages carry for unsafe methods (value from `<meta name="csrf-token">`). */
export const CSRF_HEADER = 'x-csrf-token';

export interface Session extends Principal {
  /** The hash of the cookie's secret, as the store keeps it. */
  id: string;
  csrfToken: string;
  expiresAt: string;
}

/** Creates a session for a signed-in key; the store keeps only a hash of the secret the cookie carries. */
export async function createSession({ store }: SessionStore, principal: Principal): Promise<{ secret: string; session: Session }> {
  const secret = newSecret(43);
  const now = Date.now();
  const session: Session = { ...principal, id: sha256Hex(secret), csrfToken: newSecret(32), expiresAt: new Date(now + SESSION_TTL_MS).toISOString() };
  await store.db.deleteFrom('sessions').where('expires_at', '<=', new Date(now).toISOString()).execute();
  await store.db
    .insertInto('sessions')
    .values({
      id: session.id,
      organization_id: principal.organizationId,
      api_key_id: principal.apiKeyId,
      csrf_token: session.csrfToken,
      created_at: new Date(now).toISOString(),
      expires_at: session.expiresAt,
    })
    .execute();
  return { secret, session };
}

/** The live session of a cookie's secret; a session ends when it expires or its API key is revoked. */
export async function findSession({ store }: SessionStore, secret: string): Promise<Session | null> {
  const row = await store.db
    .selectFrom('sessions')
    .innerJoin('api_keys', 'api_keys.id', 'sessions.api_key_id')
    .selectAll('sessions')
    .where('sessions.id', '=', sha256Hex(secret))
    .where('sessions.expires_at', '>', isoNow())
    .where('api_keys.revoked_at', 'is', null)
    .executeTakeFirst();
  return row ? { id: row.id, organizationId: row.organization_id, apiKeyId: row.api_key_id, csrfToken: row.csrf_token, expiresAt: row.expires_at } : null;
}

export async function deleteSession({ store }: SessionStore, secret: string): Promise<void> {
  await store.db.deleteFrom('sessions').where('id', '=', sha256Hex(secret)).execute();
}

export function sessionSecretOf(request: FastifyRequest): string | null {
  const header = request.headers.cookie;
  if (!header) return null;
  return fastifyCookie.parse(header)[SESSION_COOKIE] || null;
}

export function tokensMatch(expected: string, given: unknown): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * For `services.sessionPrincipal`: lets the dashboard's cookie authenticate API calls made by its
 * pages. Calls that change state must also send the session's CSRF token in `X-CSRF-Token`.
 */
export function createSessionPrincipal(services: SessionStore): (request: FastifyRequest) => Promise<Principal | null> {
  return async (request) => {
    const secret = sessionSecretOf(request);
    const session = secret ? await findSession(services, secret) : null;
    if (!session) return null;
    if (!SAFE_METHODS.has(request.method) && !tokensMatch(session.csrfToken, request.headers[CSRF_HEADER])) return null;
    return { organizationId: session.organizationId, apiKeyId: session.apiKeyId };
  };
}

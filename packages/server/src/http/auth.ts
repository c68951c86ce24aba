import type { FastifyInstance, FastifyRequest } from 'fastify';
import { keyFromHeaders, type ApiKeyAuthenticator, type Principal } from '../services/auth.js';
import { createError } from '../errors/index.js';
import { perWindow, type Limits } from '../services/rate-limit.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal;
  }
}

/**
 * A wrong key counts against the address it came from (`request.ip`: the socket's address, or
 * X-Forwarded-For's when VERDICT_TRUST_PROXY trusts the proxy). Valid keys never pass through this
 * limiter, so a neighbour's failures behind the same address never lock a valid key out.
 */
function refuseWrongKey(limits: Limits, request: FastifyRequest): never {
  const wait = limits.countFailedAuthentication(request.ip);
  if (wait > 0) {
    throw createError('rate_limited', `Too many requests with wrong API keys from this address (the limit is ${perWindow(limits.config.authFailuresPerAddress!, 'failures')}); retry in ${wait} s.`, wait);
  }
  throw createError('unauthorized', 'The API key is not valid. Send a key created by `verdict keys create` in the Api-Key header.');
}

/**
 * Requires an API key on every route of the plugin it is added to. A dashboard session (if the
 * dashboard registered a resolver) also counts, so pages can call the API with their cookie.
 * Each key (and the sessions made with it) gets its own request budget.
 */
export function requireApiKey(app: FastifyInstance, authenticator: ApiKeyAuthenticator, sessionPrincipal?: (request: FastifyRequest) => Promise<Principal | null>): void {
  const { limits } = app.services;
  app.decorateRequest('principal', null as unknown as Principal);
  app.addHook('onRequest', async (request) => {
    const key = keyFromHeaders(request.headers);
    const principal = key ? await authenticator.authenticate(key) : sessionPrincipal ? await sessionPrincipal(request) : null;
    if (!principal) {
      if (key) refuseWrongKey(limits, request);
      throw createError('unauthorized', 'Missing API key: send it as `Api-Key: <key>` or `Authorization: Bearer <key>`.');
    }
    limits.assertKeyRequest(principal.apiKeyId);
    request.principal = principal;
  });
}

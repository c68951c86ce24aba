import type { FastifyInstance, FastifyRequest } from 'fastify';
import { keyFromHeaders, type ApiKeyAuthenticator, type Principal } from '../services/auth.js';
import { unauthorized } from './errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal;
  }
}

/**
 * Requires an API key on every route of the plugin it is added to. A dashboard session (if the
 * dashboard registered a resolver) also counts, so pages can call the API with their cookie.
 */
export function requireApiKey(app: FastifyInstance, authenticator: ApiKeyAuthenticator, sessionPrincipal?: (request: FastifyRequest) => Promise<Principal | null>): void {
  app.decorateRequest('principal', null as unknown as Principal);
  app.addHook('onRequest', async (request) => {
    const key = keyFromHeaders(request.headers);
    if (key) {
      const principal = await authenticator.authenticate(key);
      if (!principal) throw unauthorized('The API key is not valid. Send a key created by `verdict keys create` in the Api-Key header.');
      request.principal = principal;
      return;
    }
    const fromSession = sessionPrincipal ? await sessionPrincipal(request) : null;
    if (fromSession) {
      request.principal = fromSession;
      return;
    }
    throw unauthorized('Missing API key: send it as `Api-Key: <key>` or `Authorization: Bearer <key>`.');
  });
}

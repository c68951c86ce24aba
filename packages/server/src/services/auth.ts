import { isoNow, newId, newSecret, sha256Hex } from '@verdict/core';
import type { Store } from '../store/database.js';

export interface Principal {
  organizationId: string;
  apiKeyId: string;
}

const KEY_PREFIX = 'vk_';
export const DEFAULT_ORGANIZATION = 'default';

export function hashApiKey(key: string): string {
  return sha256Hex(key);
}

async function findOrCreateOrganization(store: Store, name: string): Promise<string> {
  const existing = await store.db.selectFrom('organizations').select('id').where('name', '=', name).executeTakeFirst();
  if (existing) return existing.id;
  const id = newId('organization');
  await store.db.insertInto('organizations').values({ id, name, created_at: isoNow() }).onConflict((c) => c.column('name').doNothing()).execute();
  const row = await store.db.selectFrom('organizations').select('id').where('name', '=', name).executeTakeFirstOrThrow();
  return row.id;
}

async function insertKey(store: Store, organizationId: string, key: string): Promise<string> {
  const id = newId('apiKey');
  await store.db
    .insertInto('api_keys')
    .values({ id, organization_id: organizationId, key_hash: hashApiKey(key), key_prefix: key.slice(0, 7), created_at: isoNow() })
    .onConflict((c) => c.column('key_hash').doNothing())
    .execute();
  return id;
}

/** `verdict keys create`: a new key for an organization, created if it does not exist yet. */
export async function createApiKey(store: Store, organizationName: string): Promise<{ key: string; organizationId: string }> {
  const organizationId = await findOrCreateOrganization(store, organizationName);
  const key = KEY_PREFIX + newSecret(40);
  await insertKey(store, organizationId, key);
  return { key, organizationId };
}

/**
 * First start: creates the default organization and a key (the given one, e.g. from
 * VERDICT_API_KEY, or a new one). A given key is always made valid for the default organization,
 * so scripts can rely on it. Returns the key to print when one was created now.
 */
export async function ensureBootstrapKey(store: Store, givenKey: string | null): Promise<{ organizationId: string; newKey: string | null }> {
  const organizationId = await findOrCreateOrganization(store, DEFAULT_ORGANIZATION);
  if (givenKey) {
    const known = await store.db.selectFrom('api_keys').select('organization_id').where('key_hash', '=', hashApiKey(givenKey)).executeTakeFirst();
    if (!known) await insertKey(store, organizationId, givenKey);
    return { organizationId: known?.organization_id ?? organizationId, newKey: known ? null : givenKey };
  }
  const anyKey = await store.db.selectFrom('api_keys').select('id').limit(1).executeTakeFirst();
  if (anyKey) return { organizationId, newKey: null };
  const { key } = await createApiKey(store, DEFAULT_ORGANIZATION);
  return { organizationId, newKey: key };
}

export class ApiKeyAuthenticator {
  private readonly cache = new Map<string, Principal>();

  constructor(private readonly store: Store) {}

  async authenticate(key: string): Promise<Principal | null> {
    const hash = hashApiKey(key);
    const cached = this.cache.get(hash);
    if (cached) return cached;
    const row = await this.store.db.selectFrom('api_keys').select(['id', 'organization_id']).where('key_hash', '=', hash).executeTakeFirst();
    if (!row) return null;
    const principal = { organizationId: row.organization_id, apiKeyId: row.id };
    this.cache.set(hash, principal);
    return principal;
  }
}

/** The key from `Api-Key: <key>` or `Authorization: Bearer <key>` (DECISIONS §1). */
export function keyFromHeaders(headers: Record<string, string | string[] | undefined>): string | null {
  const apiKey = headers['api-key'];
  if (typeof apiKey === 'string' && apiKey.trim()) return apiKey.trim();
  const authorization = headers.authorization;
  if (typeof authorization === 'string') {
    const match = /^Bearer\s+(.+)$/i.exec(authorization.trim());
    if (match?.[1]) return match[1].trim();
  }
  return null;
}

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
 * VERDICT_API_KEY, or a new one). A given key new to the store is made valid for the default
 * organization, so scripts can rely on it; a given key that was revoked stays revoked (a restart
 * must not undo `verdict keys revoke`). Returns the key to print when one was created now.
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

/** What `verdict keys list` shows of a key: never the key, its hash or its prefix. */
export interface ApiKeySummary {
  id: string;
  organizationId: string;
  organizationName: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

function keySummaries(store: Store) {
  return store.db
    .selectFrom('api_keys')
    .innerJoin('organizations', 'organizations.id', 'api_keys.organization_id')
    .select(['api_keys.id', 'api_keys.organization_id', 'organizations.name', 'api_keys.created_at', 'api_keys.last_used_at', 'api_keys.revoked_at'])
    .orderBy('api_keys.created_at')
    .orderBy('api_keys.id');
}

type KeySummaryRow = Awaited<ReturnType<ReturnType<typeof keySummaries>['executeTakeFirstOrThrow']>>;

function keySummary(row: KeySummaryRow): ApiKeySummary {
  return {
    id: row.id,
    organizationId: row.organization_id,
    organizationName: row.name,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
  };
}

/** Every key (of one organization, when named), oldest first. */
export async function listApiKeys(store: Store, organizationName?: string): Promise<ApiKeySummary[]> {
  const query = organizationName === undefined ? keySummaries(store) : keySummaries(store).where('organizations.name', '=', organizationName);
  return (await query.execute()).map(keySummary);
}

/**
 * `verdict keys revoke`: marks the key with this id, or this key itself, revoked. The row stays,
 * so sessions and runs keep their key id. Null when nothing matches; revoking twice keeps the
 * first time.
 */
export async function revokeApiKey(store: Store, keyOrId: string): Promise<ApiKeySummary | null> {
  const row = await store.db
    .selectFrom('api_keys')
    .select('id')
    .where((eb) => eb.or([eb('id', '=', keyOrId), eb('key_hash', '=', hashApiKey(keyOrId))]))
    .executeTakeFirst();
  if (!row) return null;
  await store.db.updateTable('api_keys').set({ revoked_at: isoNow() }).where('id', '=', row.id).where('revoked_at', 'is', null).execute();
  return keySummary(await keySummaries(store).where('api_keys.id', '=', row.id).executeTakeFirstOrThrow());
}

/** How long a process believes a key it checked (VERDICT_KEY_CACHE_MS): revocation reaches it within this. */
export const KEY_CACHE_MS = 2000;
/** Revocation must reach every process within 5 s: a longer VERDICT_KEY_CACHE_MS refuses the start. */
export const MAX_KEY_CACHE_MS = 5000;
/** `last_used_at` is written at most this often per key and process, never once per request. */
export const LAST_USED_EVERY_MS = 60_000;

export interface AuthenticatorOptions {
  cacheMs?: number;
  lastUsedEveryMs?: number;
  now?: () => number;
}

/**
 * Checks API keys on every request. A valid key is remembered for `cacheMs` (a few seconds), so
 * the hot path is one hash and one map lookup, and a key revoked in the shared store is refused
 * by every process once that time has passed. Invalid keys are not remembered: a flood of random
 * keys cannot grow the cache (the failure rate limit bounds it instead).
 */
export class ApiKeyAuthenticator {
  private readonly valid = new Map<string, { principal: Principal; checkedAt: number }>();
  private readonly lookups = new Map<string, Promise<Principal | null>>();
  private readonly lastUsedWrittenAt = new Map<string, number>();
  private readonly cacheMs: number;
  private readonly lastUsedEveryMs: number;
  private readonly now: () => number;

  constructor(
    private readonly store: Store,
    options: AuthenticatorOptions = {},
  ) {
    this.cacheMs = options.cacheMs ?? KEY_CACHE_MS;
    this.lastUsedEveryMs = options.lastUsedEveryMs ?? LAST_USED_EVERY_MS;
    this.now = options.now ?? Date.now;
  }

  async authenticate(key: string): Promise<Principal | null> {
    const hash = hashApiKey(key);
    const cached = this.valid.get(hash);
    const principal = cached && this.now() - cached.checkedAt < this.cacheMs ? cached.principal : await this.lookUp(hash);
    if (principal) this.noteUse(principal.apiKeyId);
    return principal;
  }

  /** One query per key at a time, however many requests are waiting for its answer. */
  private lookUp(hash: string): Promise<Principal | null> {
    let lookup = this.lookups.get(hash);
    if (!lookup) {
      lookup = this.query(hash).finally(() => this.lookups.delete(hash));
      this.lookups.set(hash, lookup);
    }
    return lookup;
  }

  private async query(hash: string): Promise<Principal | null> {
    const checkedAt = this.now();
    const row = await this.store.db
      .selectFrom('api_keys')
      .select(['id', 'organization_id'])
      .where('key_hash', '=', hash)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    if (!row) {
      this.valid.delete(hash);
      return null;
    }
    const principal = { organizationId: row.organization_id, apiKeyId: row.id };
    this.valid.set(hash, { principal, checkedAt });
    return principal;
  }

  private noteUse(apiKeyId: string): void {
    const now = this.now();
    if (now - (this.lastUsedWrittenAt.get(apiKeyId) ?? -Infinity) < this.lastUsedEveryMs) return;
    this.lastUsedWrittenAt.set(apiKeyId, now);
    // Best effort and not awaited: a lost update only makes "last used" look older.
    this.store.db
      .updateTable('api_keys')
      .set({ last_used_at: new Date(now).toISOString() })
      .where('id', '=', apiKeyId)
      .execute()
      .catch(() => undefined);
  }
}

/** The key from `Api-Key: <key>` or `Authorization: Bearer <key>` (docs/decisions.md §1). */
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

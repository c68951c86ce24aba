import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openStore, type Store } from '../store/database.js';
import { freshPostgresDatabase, testStores } from '../testing/harness.js';
import { ApiKeyAuthenticator, createApiKey, ensureBootstrapKey, hashApiKey, listApiKeys, revokeApiKey } from './auth.js';

/** Two connections to one store, as two server processes sharing a SQLite file or a PostgreSQL database have. */
async function sharedStore(kind: string): Promise<{ first: Store; second: Store; close(): Promise<void> }> {
  if (kind === 'postgres') {
    const database = await freshPostgresDatabase();
    const first = await openStore({ databaseUrl: database.url, dataDir: tmpdir() });
    const second = await openStore({ databaseUrl: database.url, dataDir: tmpdir() });
    return {
      first,
      second,
      async close() {
        await first.close();
        await second.close();
        await database.drop();
      },
    };
  }
  const dataDir = await mkdtemp(join(tmpdir(), 'verdict-auth-'));
  const first = await openStore({ dataDir });
  const second = await openStore({ dataDir });
  return {
    first,
    second,
    async close() {
      await first.close();
      await second.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** A clock the test moves by hand. */
function manualClock(start = Date.parse('2026-06-01T12:00:00.000Z')) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

const lastUsedOf = async (store: Store, keyId: string) =>
  (await store.db.selectFrom('api_keys').select('last_used_at').where('id', '=', keyId).executeTakeFirstOrThrow()).last_used_at;

for (const kind of testStores()) {
  describe(`API keys (${kind})`, () => {
    let stores: Awaited<ReturnType<typeof sharedStore>>;
    before(async () => {
      stores = await sharedStore(kind);
    });
    after(() => stores.close());

    test('a key revoked through one connection is refused by another process once its cache time has passed', async () => {
      const { key } = await createApiKey(stores.first, 'revocation');
      const clock = manualClock();
      const otherProcess = new ApiKeyAuthenticator(stores.second, { cacheMs: 2000, now: clock.now });
      const principal = await otherProcess.authenticate(key);
      assert.ok(principal);
      const revoked = await revokeApiKey(stores.first, key);
      assert.equal(revoked?.id, principal.apiKeyId);
      clock.advance(1999);
      assert.deepEqual(await otherProcess.authenticate(key), principal, 'still believed from the cache: no query per request');
      clock.advance(1);
      assert.equal(await otherProcess.authenticate(key), null);
      assert.equal(await new ApiKeyAuthenticator(stores.second).authenticate(key), null);
    });

    test('revoking keeps the row (sessions and runs keep the key id) and keeps the first revocation time', async () => {
      const { key } = await createApiKey(stores.first, 'revoke-twice');
      const [listed] = await listApiKeys(stores.first, 'revoke-twice');
      const first = await revokeApiKey(stores.first, listed!.id);
      const second = await revokeApiKey(stores.second, key);
      assert.ok(first?.revokedAt);
      assert.equal(second?.revokedAt, first.revokedAt);
      assert.equal((await listApiKeys(stores.first, 'revoke-twice')).length, 1);
      assert.equal(await revokeApiKey(stores.first, 'key_does_not_exist'), null);
      assert.equal(await revokeApiKey(stores.first, 'vk_not_a_key_of_this_store'), null);
    });

    test('"last used" is written at most once per interval per key, not once per request', async () => {
      const { key } = await createApiKey(stores.first, 'last-used');
      const clock = manualClock();
      const authenticator = new ApiKeyAuthenticator(stores.first, { cacheMs: 2000, lastUsedEveryMs: 60_000, now: clock.now });
      const { apiKeyId } = (await authenticator.authenticate(key))!;
      await new Promise((resolve) => setTimeout(resolve, 50));
      const firstUse = await lastUsedOf(stores.first, apiKeyId);
      assert.equal(firstUse, new Date(clock.now()).toISOString());
      for (let second = 1; second < 60; second++) {
        clock.advance(1000);
        await authenticator.authenticate(key);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(await lastUsedOf(stores.first, apiKeyId), firstUse, 'no write within the interval');
      clock.advance(1000);
      await authenticator.authenticate(key);
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(await lastUsedOf(stores.first, apiKeyId), new Date(clock.now()).toISOString());
      const [listed] = await listApiKeys(stores.first, 'last-used');
      assert.equal(listed?.lastUsedAt, new Date(clock.now()).toISOString());
    });

    test('a burst of requests for an uncached key costs one query', async () => {
      const { key } = await createApiKey(stores.first, 'burst');
      const authenticator = new ApiKeyAuthenticator(stores.first);
      let queries = 0;
      const executor = stores.first.db.getExecutor();
      const execute = executor.executeQuery.bind(executor);
      executor.executeQuery = ((...args: Parameters<typeof execute>) => {
        if (/^select .* from "api_keys"/is.test(args[0].sql)) queries++;
        return execute(...args);
      }) as typeof executor.executeQuery;
      try {
        const principals = await Promise.all(Array.from({ length: 50 }, () => authenticator.authenticate(key)));
        assert.ok(principals.every((principal) => principal?.apiKeyId === principals[0]?.apiKeyId));
        assert.equal(queries, 1);
      } finally {
        executor.executeQuery = execute as typeof executor.executeQuery;
      }
    });

    test('the list shows id, organization and times, never the key, its hash or its prefix', async () => {
      const { key } = await createApiKey(stores.first, 'listed');
      const [listed] = await listApiKeys(stores.first, 'listed');
      assert.deepEqual(Object.keys(listed!).sort(), ['createdAt', 'id', 'lastUsedAt', 'organizationId', 'organizationName', 'revokedAt']);
      const text = JSON.stringify(await listApiKeys(stores.first));
      for (const secret of [key, hashApiKey(key), key.slice(0, 7)]) assert.ok(!text.includes(secret));
    });

    test('a restart with a revoked VERDICT_API_KEY keeps it revoked', async () => {
      const given = `vk_bootstrap_${kind}_revoked_0123456789`;
      await ensureBootstrapKey(stores.first, given);
      await revokeApiKey(stores.first, given);
      const { newKey } = await ensureBootstrapKey(stores.first, given);
      assert.equal(newKey, null);
      assert.equal(await new ApiKeyAuthenticator(stores.first).authenticate(given), null);
    });
  });
}

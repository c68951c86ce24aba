import assert from 'node:assert/strict';
import os from 'node:os';
import { after, before, describe, test } from 'node:test';
import { captureSchemaDep, testSourceFingerprint } from '@verdict/core';
import { sql } from 'kysely';
import { freshPostgresDatabase, temporarySqliteStore, testStores } from '../testing/harness.js';
import { ApiKeyAuthenticator, hashApiKey, revokeApiKey } from '../services/auth.js';
import { migratorOf, openStore, type Store } from './database.js';

const SOURCES = [
  { type: 'manual', handle_inputs: { 'input-json-0': { type: 'json', data: { invoice: 'INV-1', total: 12.5 } } } },
  { type: 'manual', handle_inputs: {} },
  { type: 'run_step', run_id: 'run_1', step_id: 'step_1' },
];

for (const kind of testStores()) {
  describe(`migrations on a store with data (${kind})`, () => {
    let store: Store;
    let cleanup: () => Promise<void>;
    before(async () => {
      if (kind === 'postgres') {
        const database = await freshPostgresDatabase();
        store = await openStore({ databaseUrl: database.url, dataDir: os.tmpdir() });
        cleanup = async () => {
          await store.close();
          await database.drop();
        };
      } else {
        const temporary = await temporarySqliteStore('migrations');
        store = temporary.store;
        cleanup = temporary.remove;
      }
    });
    after(async () => {
      await cleanup();
    });

    test('tests written before it get the fingerprint of their inputs', async () => {
      const migrator = migratorOf(store.db);
      const down = await migrator.migrateTo('001-initial');
      assert.equal(down.error, undefined);
      assert.ok(down.results?.some((result) => result.migrationName === '002-test-source-fingerprints' && result.direction === 'Down'));
      for (const [n, source] of SOURCES.entries()) {
        await sql`INSERT INTO tests (id, organization_id, workflow_id, block_id, name, source, assertion, created_at, updated_at)
          VALUES (${`test_${n}`}, 'org', 'wf', 'block', NULL, ${JSON.stringify(source)}, '{}', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')`.execute(store.db);
      }
      const up = await migrator.migrateToLatest();
      assert.equal(up.error, undefined);
      const rows = await store.db.selectFrom('tests').select(['id', 'handle_inputs_fingerprint']).orderBy('id').execute();
      assert.deepEqual(
        rows.map((row) => row.handle_inputs_fingerprint),
        SOURCES.map((source) => testSourceFingerprint(source as never)),
      );
      assert.notEqual(rows[0]!.handle_inputs_fingerprint, rows[1]!.handle_inputs_fingerprint);
    });

    test('003: keys written before it stay valid, and can then be revoked', async () => {
      const migrator = migratorOf(store.db);
      assert.equal((await migrator.migrateTo('002-test-source-fingerprints')).error, undefined);
      const key = 'vk_written_before_revocation_existed';
      await sql`INSERT INTO organizations (id, name, created_at) VALUES ('org_m3', 'm3', '2026-01-01T00:00:00Z')`.execute(store.db);
      await sql`INSERT INTO api_keys (id, organization_id, key_hash, key_prefix, created_at)
        VALUES ('key_m3', 'org_m3', ${hashApiKey(key)}, 'vk_writ', '2026-01-01T00:00:00Z')`.execute(store.db);
      assert.equal((await migrator.migrateToLatest()).error, undefined);
      assert.deepEqual(await new ApiKeyAuthenticator(store).authenticate(key), { organizationId: 'org_m3', apiKeyId: 'key_m3' });
      assert.ok((await revokeApiKey(store, 'key_m3'))?.revokedAt);
      assert.equal(await new ApiKeyAuthenticator(store).authenticate(key), null);
    });

    test('006: tests written before it depend on the schema their block declares, dated at their last update', async () => {
      const migrator = migratorOf(store.db);
      assert.equal((await migrator.migrateTo('004-files-by-sha256')).error, undefined);
      const schema = { type: 'object', properties: { total: { type: 'number' } } };
      const assertion = { id: 'a', target: { output_handle_id: 'output-json-0', path: 'total' }, condition: { kind: 'exists' }, label: null };
      await sql`INSERT INTO blocks (organization_id, id, workflow_id, type, label, position_x, position_y, config, created_at, updated_at)
        VALUES ('org_m6', 'blk_m6', 'wf_m6', 'function', 'f', 0, 0, ${JSON.stringify({ code: 'x', output_schema: schema })}, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')`.execute(store.db);
      for (const [id, block] of [['test_m6_a', 'blk_m6'], ['test_m6_b', 'blk_gone']]) {
        await sql`INSERT INTO tests (id, organization_id, workflow_id, block_id, name, source, assertion, created_at, updated_at)
          VALUES (${id}, 'org_m6', 'wf_m6', ${block}, NULL, '{"type":"manual","handle_inputs":{}}', ${JSON.stringify(assertion)}, '2026-01-01T00:00:00Z', '2026-01-05T00:00:00Z')`.execute(store.db);
      }
      assert.equal((await migrator.migrateToLatest()).error, undefined);
      const rows = await store.db.selectFrom('tests').select(['id', 'assertion_schema_dep']).where('organization_id', '=', 'org_m6').orderBy('id').execute();
      const block = { type: 'function' as const, config: { code: 'x', output_schema: schema }, parent_id: null };
      assert.deepEqual(JSON.parse(rows[0]!.assertion_schema_dep!), { dep: captureSchemaDep(block, assertion.target), captured_at: '2026-01-05T00:00:00Z' });
      assert.equal(JSON.parse(rows[0]!.assertion_schema_dep!).dep.schema_path, 'total');
      assert.deepEqual(JSON.parse(rows[1]!.assertion_schema_dep!), { dep: null, captured_at: '2026-01-05T00:00:00Z' });
    });
  });
}

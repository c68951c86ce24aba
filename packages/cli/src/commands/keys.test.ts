import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sha256Hex } from '@verdict/core';
import { buildApp, createRuntime, type Runtime } from '@verdict/server';
import { dashboardPlugin } from '@verdict/server/dashboard/index';
import { postSignIn, signIn, startDashboardApp } from '@verdict/server/dashboard/test-support';
import { testStores, type TestApp } from '@verdict/server/testing/harness';
import { Command, CommanderError } from 'commander';
import type { FastifyInstance } from 'fastify';
import { fakeTerminal, type FakeTerminal } from '../test-support.js';
import { registerKeysCommands } from './keys.js';

/** The promise of issue 18: a revoked key is refused by every process within this. */
const REVOCATION_DEADLINE_MS = 5000;

/** Runs `verdict keys …args` against the store in `env`; answers the terminal and the exit code (3 for usage errors). */
async function verdictKeys(env: Record<string, string>, ...args: string[]): Promise<{ terminal: FakeTerminal; exitCode: number | undefined }> {
  const terminal = fakeTerminal(() => ({ status: 404 }), { env });
  const program = new Command('verdict')
    .exitOverride()
    .configureOutput({ writeOut: (text) => terminal.stdout.write(text), writeErr: (text) => terminal.stderr.write(text) });
  registerKeysCommands(program, terminal.context);
  try {
    await program.parseAsync(['keys', ...args], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) return { terminal, exitCode: 3 };
    throw error;
  }
  return { terminal, exitCode: terminal.exitCode() };
}

for (const kind of testStores()) {
  describe(`verdict keys, with two servers sharing one store (${kind})`, () => {
    let first: TestApp;
    let second: { app: FastifyInstance; runtime: Runtime };
    let env: Record<string, string>;
    before(async () => {
      first = await startDashboardApp(kind);
      // A second process on the same store (SQLite file or PostgreSQL database), with the default key cache.
      const runtime = await createRuntime({ ...first.config, worker: false });
      const app = await buildApp({ services: runtime.services, extensions: [dashboardPlugin] });
      await app.ready();
      second = { app, runtime };
      env = { VERDICT_DATA_DIR: first.config.dataDir, VERDICT_DATABASE_URL: first.config.databaseUrl ?? '' };
    });
    after(async () => {
      await second.app.close();
      await second.runtime.close();
      await first.close();
    });

    const apiStatus = async (app: FastifyInstance, key: string) => (await app.inject({ method: 'GET', url: '/v1/workflows', headers: { 'api-key': key } })).statusCode;
    const pageStatus = async (app: FastifyInstance, cookie: string) => (await app.inject({ method: 'GET', url: '/workflows', headers: { cookie } })).statusCode;

    test('create, list (never a secret), revoke: every server refuses the key within 5 s, and its dashboard sessions at once', async () => {
      const created = await verdictKeys(env, 'create', '--org', 'acme');
      assert.equal(created.exitCode, 0);
      const key = created.terminal.stdout.text.trim().split('\n').at(-1)!;
      assert.match(key, /^vk_[A-Za-z0-9]{40}$/);
      assert.equal(await apiStatus(second.app, key), 200, "the second server now holds the key in its cache");
      const session = await signIn(first, key);
      assert.equal(await pageStatus(second.app, session.cookie), 200);

      const listed = await verdictKeys(env, 'list', '--org', 'acme');
      const listedJson = await verdictKeys(env, 'list', '--json');
      const [row] = JSON.parse(listedJson.terminal.stdout.text).filter((entry: { organizationName: string }) => entry.organizationName === 'acme');
      assert.match(listed.terminal.stdout.text, /^ID +ORGANIZATION +CREATED +LAST USED +STATUS\n/);
      assert.match(listed.terminal.stdout.text, new RegExp(`^${row.id} +acme +\\d{4}-\\d\\d-\\d\\d \\S+ +\\d{4}-\\d\\d-\\d\\d \\S+ +active$`, 'm'), 'last used is filled in');
      for (const output of [listed, listedJson]) {
        for (const secret of [key, sha256Hex(key), key.slice(0, 7)]) assert.ok(!output.terminal.stdout.text.includes(secret), `the list shows ${secret}`);
      }

      const revoked = await verdictKeys(env, 'revoke', key);
      assert.equal(revoked.exitCode, 0);
      assert.match(revoked.terminal.stdout.text, new RegExp(`^Revoked key ${row.id} of organization "acme"`));
      assert.ok(!revoked.terminal.stdout.text.includes(key));
      const revokedAt = Date.now();
      assert.equal(await pageStatus(first.app, session.cookie), 303, 'sessions are checked against the store on every page');
      assert.equal(await pageStatus(second.app, session.cookie), 303);
      assert.equal((await first.app.inject({ method: 'GET', url: '/v1/workflows', headers: { cookie: session.cookie } })).statusCode, 401);
      const refusedEverywhere = async () => (await apiStatus(first.app, key)) === 401 && (await apiStatus(second.app, key)) === 401;
      while (!(await refusedEverywhere())) {
        assert.ok(Date.now() - revokedAt < REVOCATION_DEADLINE_MS, `a server still accepts the key ${Date.now() - revokedAt} ms after the revocation`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.equal((await postSignIn({ ...first, app: second.app }, { api_key: key })).statusCode, 401, 'no new session either');

      const after = await verdictKeys(env, 'list', '--org', 'acme');
      assert.match(after.terminal.stdout.text, new RegExp(`^${row.id} .* revoked \\d{4}-`, 'm'));
      assert.equal((await verdictKeys(env, 'revoke', row.id)).exitCode, 0, 'revoking again is harmless');
    });

    test('revoking an unknown key or id exits 3 without echoing it', async () => {
      const unknown = await verdictKeys(env, 'revoke', 'vk_this_is_not_a_key_of_the_store');
      assert.equal(unknown.exitCode, 3);
      assert.match(unknown.terminal.stderr.text, /No API key has that id or value/);
      assert.ok(!unknown.terminal.stderr.text.includes('vk_this_is_not_a_key_of_the_store'));
    });
  });
}

describe('verdict keys, pointed at a directory with no store', () => {
  test('refuses to create a key there (the running server would reject it) and says where to point; --new-store creates one on purpose', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'verdict-no-store-'));
    try {
      const refused = await verdictKeys({ VERDICT_DATA_DIR: empty }, 'create');
      assert.equal(refused.exitCode, 3);
      assert.match(refused.terminal.stderr.text, /No Verdict store at .*verdict\.db.*--data-dir.*--new-store/s);
      assert.equal(refused.terminal.stdout.text, '', 'no key is printed');
      assert.ok(!existsSync(join(empty, 'verdict.db')), 'no store was created');

      const listed = await verdictKeys({ VERDICT_DATA_DIR: empty }, 'list');
      assert.equal(listed.exitCode, 3, 'an empty list from a store that does not exist would mislead too');

      const created = await verdictKeys({ VERDICT_DATA_DIR: empty }, 'create', '--new-store');
      assert.equal(created.exitCode, 0, created.terminal.stderr.text);
      assert.match(created.terminal.stdout.text, /vk_\S+\n$/);
      assert.equal((await verdictKeys({ VERDICT_DATA_DIR: empty }, 'list')).exitCode, 0, 'the store exists now');
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

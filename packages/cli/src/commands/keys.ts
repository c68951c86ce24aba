import type { ApiKeySummary, Store } from '@verdict/server';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { formatTimestamp, json, safe, table } from '../output.js';
import { action, defaultContext, jsonOption, loadServer, UsageError, type CliContext, type Invocation } from './context.js';

const DATA_DIR_OPTION = ['-d, --data-dir <dir>', 'data directory of the SQLite store (env VERDICT_DATA_DIR)'] as const;

/**
 * Keys are managed in the store itself (SQLite under the data dir, or VERDICT_DATABASE_URL), not
 * through the API. A missing SQLite store is refused rather than created: a key written to a new,
 * empty store is one the running server has never heard of.
 */
async function withStore<T>(invocation: Invocation, work: (store: Store, server: typeof import('@verdict/server')) => Promise<T>): Promise<T> {
  const { dataDir, newStore } = invocation.options<{ dataDir?: string; newStore?: boolean }>();
  const server = await loadServer();
  const { configFromEnv, openStore } = server;
  const config = configFromEnv({ ...invocation.io.env, ...(dataDir ? { VERDICT_DATA_DIR: dataDir } : {}) });
  const sqliteFile = join(config.dataDir, 'verdict.db');
  if (config.databaseUrl === null && !newStore && !existsSync(sqliteFile)) {
    throw new UsageError(
      `No Verdict store at ${sqliteFile}. Point at the running server's store with --data-dir <dir> (or VERDICT_DATA_DIR, ` +
        'or VERDICT_DATABASE_URL for PostgreSQL); `npm start` keeps it in ./.verdict of the directory it ran in.' +
        (invocation.command.name() === 'create' ? ' To start a new store here on purpose, add --new-store.' : ''),
    );
  }
  const store = await openStore(config);
  try {
    return await work(store, server);
  } finally {
    await store.close();
  }
}

/** Never the key, its hash or its prefix: a list may end up in a log or a ticket. */
function keysTable(keys: ApiKeySummary[], invocation: Invocation): string {
  const status = (key: ApiKeySummary) => (key.revokedAt ? `revoked ${formatTimestamp(key.revokedAt)}` : 'active');
  return table(
    ['ID', 'ORGANIZATION', 'CREATED', 'LAST USED', 'STATUS'],
    keys.map((key) => [safe(key.id), safe(key.organizationName), formatTimestamp(key.createdAt), formatTimestamp(key.lastUsedAt), status(key)]),
    invocation.style,
  );
}

export function registerKeysCommands(program: Command, context: CliContext = defaultContext()): void {
  const keys = program.command('keys').description('API keys (written straight to the store, not through the API)');
  keys
    .command('create')
    .description('Create an API key for an organization (created if needed); the key is the last line printed')
    .option('--org <name>', 'organization name (default: the server\'s default organization, "default")')
    .option(...DATA_DIR_OPTION)
    .option('--new-store', 'create the SQLite store when the data directory has none (otherwise refused)')
    .action(
      action(context, async (invocation) => {
        const { org: named } = invocation.options<{ org?: string }>();
        const { key, organizationId, org } = await withStore(invocation, async (store, server) => {
          const org = named ?? server.DEFAULT_ORGANIZATION;
          return { ...(await server.createApiKey(store, org)), org };
        });
        invocation.out(`Created a key for organization "${safe(org)}" (${organizationId}):\n${key}\n`);
      }),
    );

  jsonOption(
    keys
      .command('list')
      .description('List API keys: id, organization, created, last used (updated about once a minute), revoked; never the keys themselves')
      .option('--org <name>', 'only the keys of this organization')
      .option(...DATA_DIR_OPTION),
  ).action(
    action(context, async (invocation) => {
      const { org } = invocation.options<{ org?: string }>();
      const found = await withStore(invocation, (store, server) => server.listApiKeys(store, org));
      if (invocation.json) return invocation.out(json(found));
      invocation.out(found.length ? keysTable(found, invocation) : 'No API keys.\n');
    }),
  );

  keys
    .command('revoke')
    .argument('<key-or-id>', 'the key itself, or its id (key_…) from `verdict keys list`')
    .description('Revoke an API key: every server refuses it, and the dashboard sessions made with it, within 5 s')
    .option(...DATA_DIR_OPTION)
    .action(
      action(context, async (invocation, keyOrId) => {
        const revoked = await withStore(invocation, (store, server) => server.revokeApiKey(store, keyOrId!));
        // The argument may be a key: it is never echoed back.
        if (!revoked) throw new UsageError('No API key has that id or value. `verdict keys list` shows the ids.');
        invocation.out(`Revoked key ${revoked.id} of organization "${safe(revoked.organizationName)}" at ${formatTimestamp(revoked.revokedAt)}; servers refuse it within 5 s.\n`);
      }),
    );
}

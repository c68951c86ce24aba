import { configFromEnv, createApiKey, DEFAULT_ORGANIZATION, openStore } from '@verdict/server';
import type { Command } from 'commander';

export function registerKeysCommands(program: Command): void {
  const keys = program.command('keys').description('API keys (written straight to the store, not through the API)');
  keys
    .command('create')
    .description('Create an API key for an organization (created if needed); the key is the last line printed')
    .option('--org <name>', 'organization name', DEFAULT_ORGANIZATION)
    .option('-d, --data-dir <dir>', 'data directory of the SQLite store (env VERDICT_DATA_DIR)')
    .action(async (options: { org: string; dataDir?: string }) => {
      const env = { ...process.env, ...(options.dataDir ? { VERDICT_DATA_DIR: options.dataDir } : {}) };
      const config = configFromEnv(env);
      const store = await openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
      try {
        const { key, organizationId } = await createApiKey(store, options.org);
        console.log(`Created a key for organization "${options.org}" (${organizationId}):`);
        console.log(key);
      } finally {
        await store.close();
      }
    });
}

// `verdict serve` for bench/workflow-runs, answering two questions over IPC: `usage` (the process's
// CPU time, every thread included, and its memory) and `gc` (a full collection, then `usage`).
// Started with --expose-gc by the bench.
import { parseArgs } from 'node:util';
import { configFromEnv, startServer } from '../../packages/server/dist/index.js';

const { values } = parseArgs({ options: { port: { type: 'string' }, 'data-dir': { type: 'string' }, 'no-demo': { type: 'boolean' } }, allowPositionals: true });
const server = await startServer(configFromEnv({ ...process.env, PORT: values.port, VERDICT_DATA_DIR: values['data-dir'] }, { seedDemo: false }));

function usage() {
  const { user, system } = process.cpuUsage();
  const { rss, heapUsed } = process.memoryUsage();
  return { cpuMs: (user + system) / 1000, rssMb: rss / 2 ** 20, heapUsedMb: heapUsed / 2 ** 20 };
}

process.on('message', (message) => {
  if (message?.type === 'gc') globalThis.gc?.();
  if (message?.type === 'usage' || message?.type === 'gc') process.send?.({ id: message.id, ...usage() });
});

console.log(`Verdict is serving ${server.url} (observed for bench/workflow-runs)`);
process.once('SIGTERM', () => void server.close().then(() => process.exit(0)));

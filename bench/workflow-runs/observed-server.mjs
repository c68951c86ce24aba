// `verdict serve` for bench/workflow-runs, answering over IPC: `usage` (the process's CPU time,
// every thread included, and its memory), `gc` (a full collection, then `usage`; the bench starts
// it with --expose-gc), and `profile-start` / `profile-stop` (a CPU profile of the main thread
// between the two, written to `path`: the measured runs alone, not the server's whole life).
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { parseArgs } from 'node:util';
import { configFromEnv, startServer } from '../../packages/server/dist/index.js';

const { values } = parseArgs({ options: { port: { type: 'string' }, 'data-dir': { type: 'string' }, 'no-demo': { type: 'boolean' } }, allowPositionals: true });
const server = await startServer(configFromEnv({ ...process.env, PORT: values.port, VERDICT_DATA_DIR: values['data-dir'] }, { seedDemo: false }));

function usage() {
  const { user, system } = process.cpuUsage();
  const { rss, heapUsed } = process.memoryUsage();
  return { cpuMs: (user + system) / 1000, rssMb: rss / 2 ** 20, heapUsedMb: heapUsed / 2 ** 20 };
}

const inspector = new Session();
inspector.connect();

async function answer(message) {
  switch (message?.type) {
    case 'gc':
      globalThis.gc?.();
      return usage();
    case 'usage':
      return usage();
    case 'profile-start':
      await inspector.post('Profiler.enable');
      await inspector.post('Profiler.start');
      return {};
    case 'profile-stop': {
      const { profile } = await inspector.post('Profiler.stop');
      await writeFile(message.path, JSON.stringify(profile));
      return {};
    }
  }
  return {};
}

process.on('message', (message) => void answer(message).then((answered) => process.send?.({ id: message?.id, ...answered })));

console.log(`Verdict is serving ${server.url} (observed for bench/workflow-runs)`);
process.once('SIGTERM', () => void server.close().then(() => process.exit(0)));

// A fresh `verdict serve` for one phase of bench/hostile: a temporary SQLite data dir holding two
// organizations with a key each, the server process watched for a crash, and a stop that cannot
// hang (SIGTERM, then SIGKILL). Every server started here is also killed when this process exits.
import { once } from 'node:events';
import { configFromEnv, createApiKey, openStore } from '../../packages/server/dist/index.js';
import { residentMb, sampleMemory, startVerdict, temporaryDataDir } from '../throughput/harness.mjs';

const STOP_GRACE_MS = 5_000;
const OUTPUT_LINES_KEPT = 40;

const running = new Set();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** `verdict keys create --org <name>` for each name, in this process: the store the server will open. */
async function createOrganizationKeys(dataDir, organizations) {
  const store = await openStore(configFromEnv({ VERDICT_DATA_DIR: dataDir }));
  try {
    const keys = {};
    for (const organization of organizations) keys[organization] = (await createApiKey(store, organization)).key;
    return keys;
  } finally {
    await store.close();
  }
}

/** What became of the server process: when it exited and how, and its last lines of output. */
function watch(child, startedAt) {
  const state = { exit: null, lastLines: [] };
  const keep = (chunk) => {
    state.lastLines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    state.lastLines.splice(0, Math.max(0, state.lastLines.length - OUTPUT_LINES_KEPT));
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  state.exited = once(child, 'exit').then(([code, signal]) => {
    state.exit = { code, signal, afterSeconds: (performance.now() - startedAt) / 1000 };
    return state.exit;
  });
  return state;
}

/** The line of the server's output that says why it died, e.g. V8's "heap out of memory". */
function causeOfDeath(lastLines) {
  return lastLines.find((line) => /out of memory|FATAL|RangeError|Error:/i.test(line))?.trim() ?? 'no error in its output';
}

export async function startTenantServer(label, organizations) {
  const data = await temporaryDataDir(`hostile-${label}`);
  try {
    const keys = await createOrganizationKeys(data.dir, organizations);
    const server = await startVerdict(data.dir);
    running.add(server.child);
    const status = watch(server.child, performance.now());
    return {
      baseUrl: server.baseUrl,
      pid: server.pid,
      keys,
      status,
      /** Resolves when the server process exits on its own (or is stopped). */
      exited: status.exited,
      isUp: () => status.exit === null,
      describeExit() {
        const { code, signal, afterSeconds } = status.exit;
        return `exited after ${afterSeconds.toFixed(1)} s (${signal ? `signal ${signal}` : `code ${code}`}): ${causeOfDeath(status.lastLines)}`;
      },
      sampleMemory: (everyMs) => sampleMemory(server.pid, everyMs),
      residentMb: () => (status.exit === null ? residentMb(server.pid) : 0),
      async stop() {
        if (status.exit === null) {
          server.child.kill('SIGTERM');
          const killer = setTimeout(() => server.child.kill('SIGKILL'), STOP_GRACE_MS);
          await status.exited;
          clearTimeout(killer);
        }
        running.delete(server.child);
        await data.remove();
      },
    };
  } catch (error) {
    await data.remove();
    throw error;
  }
}

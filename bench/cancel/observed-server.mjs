// `verdict serve` for bench/cancel, with two observations added: when a run is aborted, report over
// IPC when the executor's last in-flight test of it has settled; and when each cancel request was
// received and its answer written. A running sandbox job settles only
// once its worker thread has terminated, so this is the moment the last in-flight sandbox stopped.
// Times are process.hrtime (CLOCK_MONOTONIC), comparable with the parent's.
import { parseArgs } from 'node:util';
import { configFromEnv, startServer } from '../../packages/server/dist/index.js';

const POLL_MS = 1;

const { values } = parseArgs({ options: { port: { type: 'string' }, 'data-dir': { type: 'string' }, 'no-demo': { type: 'boolean' } }, allowPositionals: true });
const server = await startServer(configFromEnv({ ...process.env, PORT: values.port, VERDICT_DATA_DIR: values['data-dir'] }, { seedDemo: false }));
const executor = server.runtime.services.executor;

const stopRun = executor.stopRun.bind(executor);
executor.stopRun = (runId) => {
  const abortedAt = process.hrtime.bigint();
  const inFlightAtAbort = executor.stats().inFlight;
  stopRun(runId);
  const watch = setInterval(() => {
    if (executor.stats().inFlight > 0) return;
    clearInterval(watch);
    process.send?.({ type: 'stopped', runId, inFlightAtAbort, abortedAt: String(abortedAt), idleAt: String(process.hrtime.bigint()) });
  }, POLL_MS);
};

// The cancel as the server sees it: from the request's headers parsed to the answer handed to the socket.
server.app.server.prependListener('request', (request, response) => {
  if (!request.url.endsWith('/cancel')) return;
  const receivedAt = process.hrtime.bigint();
  response.once('finish', () => process.send?.({ type: 'answered', url: request.url, receivedAt: String(receivedAt), writtenAt: String(process.hrtime.bigint()) }));
});

console.log(`Verdict is serving ${server.url} (observed for bench/cancel)`);
process.once('SIGTERM', () => void server.close().then(() => process.exit(0)));

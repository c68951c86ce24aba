// The hostile tenant's thread: its own event loop, so that the load it generates does not delay
// the victim's timers and skew B's figures in the main thread (the cores are still shared).
// workerData: { attack, baseUrl, key }. Posts `ready` once A's workflows exist, `attacking` once the
// load is in place; on `stop` it winds down and posts `done` with its report lines (or `failed`).
import { setMaxListeners } from 'node:events';
import { parentPort, workerData } from 'node:worker_threads';
import { ATTACKS } from './attacks.mjs';
import { apiClient, httpSender } from './http.mjs';

const SETUP_TIMEOUT_MS = 30_000;

const attack = ATTACKS[workerData.attack];
const send = httpSender(workerData.baseUrl);
const context = { send, call: apiClient(send, workerData.key, SETUP_TIMEOUT_MS), key: workerData.key, baseUrl: workerData.baseUrl };
const stop = new AbortController();
// Every request and live stream of the phase listens to it.
setMaxListeners(0, stop.signal);
parentPort.on('message', (message) => {
  if (message === 'stop') stop.abort();
});

try {
  const prepared = await attack.prepare(context);
  parentPort.postMessage({ type: 'ready' });
  const lines = await attack.attack(context, prepared, stop.signal, () => parentPort.postMessage({ type: 'attacking' }));
  parentPort.postMessage({ type: 'done', lines });
} catch (error) {
  parentPort.postMessage({ type: 'failed', message: error.message });
} finally {
  send.close();
  parentPort.close();
}

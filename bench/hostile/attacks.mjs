// Organization A, the hostile tenant: one attack per phase. Each phase prepares its workflows with
// A's key, then `attack(context, signal, started)` launches its load, calls started() once the load
// is in place, sustains it until `signal` aborts, and returns lines describing what A sent and got.
// Every loop is bounded in count and every request has a deadline.
import http from 'node:http';
import { sleep } from '../throughput/harness.mjs';
import { cookiesOf, hiddenFields, StatusTally } from './http.mjs';
import { blockTest, createWorkflow, isFinished, startRun } from './workload.mjs';

const REQUEST_TIMEOUT_MS = 10_000;
/** How long A waits for its report of a run at the end of a phase (the server may be stalled). */
const REPORT_TIMEOUT_MS = 5_000;
/** A's reads of its own huge results: long, since such a read is what brought the server down in issue 18. */
const HUGE_READ_TIMEOUT_MS = 60_000;
const MAX_RUNS_PER_PHASE = 20;

const EXISTS = { kind: 'exists' };
const SPIN = 'function transform(input) { while (true) {} }';
const MILLION_KEYS = 'function transform(input) { const out = {}; for (let i = 0; i < 1000000; i++) out["key" + i] = i; return out; }';
const SIXTY_MB_STRING = 'function transform(input) { return { text: "x".repeat(60 * 1000 * 1000) }; }';
const SIXTY_MB_ARRAY = 'function transform(input) { const item = "y".repeat(58); return Array.from({ length: 1000000 }, () => item); }';
const TWENTY_THOUSAND_OBJECTS = 'function transform(input) { return Array.from({ length: 20000 }, (_, i) => ({ id: i, name: "item " + i })); }';
const ONE_OBJECT = 'function transform(input) { return { id: -1, name: "none" }; }';
const MILLION_STRINGS = 'function transform(input) { return Array.from({ length: 1000000 }, (_, i) => "s" + i); }';
const UNIQUE_ARRAY_SCHEMA = { type: 'array', uniqueItems: true };
const TWENTY_THOUSAND_ENUM = { enum: Array.from({ length: 20_000 }, (_, i) => ({ id: i, name: `item ${i}` })) };

const times = (count, make) => Array.from({ length: count }, (_, n) => make(n));
const format = (value) => Math.round(value).toLocaleString('en-US');
const tallyLine = (label, tally) => `${label}: ${format(tally.total)} requests → ${Object.entries(tally.toJSON()).map(([status, count]) => `${status} ×${format(count)}`).join(', ') || 'none'}`;

/** Runs `work()` in `count` closed loops until `signal` aborts (each loop at most `maxEach` times). */
async function closedLoops(count, signal, work, maxEach = 1_000_000) {
  await Promise.all(
    times(count, async () => {
      for (let n = 0; n < maxEach && !signal.aborted; n++) await work();
    }),
  );
}

/** The state of A's run as a short text, or why it could not be read. */
async function describeRun(call, runId) {
  try {
    const run = await call('GET', `/v1/workflows/tests/runs/${runId}`, undefined, REPORT_TIMEOUT_MS);
    const { lifecycle_counts: lifecycle, outcome } = run.counts;
    return `${run.lifecycle.status}; tests ${Object.entries(lifecycle).filter(([, count]) => count > 0).map(([status, count]) => `${status} ${count}`).join(', ')}; verdicts ${Object.entries(outcome).map(([verdict, count]) => `${verdict} ${count}`).join(', ')}`;
  } catch (error) {
    return `unreadable (${error.message.slice(0, 160)})`;
  }
}

/**
 * Starts runs of `workflowId` one after another (the next when the last finished) until `signal`
 * aborts; calls started() after the first attempt, whether or not the server took it.
 */
async function runsBackToBack(call, workflowId, signal, started) {
  const runIds = [];
  const failures = new StatusTally();
  const attempt = async (request) => {
    try {
      return await request();
    } catch (error) {
      failures.add(error.message.replace(/^\S+ \S+: /, '').slice(0, 80));
      return null;
    }
  };
  for (let attempts = 0; attempts < MAX_RUNS_PER_PHASE && !signal.aborted; attempts++) {
    const run = await attempt(() => startRun(call, workflowId, REQUEST_TIMEOUT_MS));
    if (attempts === 0) started();
    if (run) runIds.push(run.id);
    while (run && !signal.aborted) {
      await sleep(500);
      const polled = await attempt(() => call('GET', `/v1/workflows/tests/runs/${run.id}`, undefined, REQUEST_TIMEOUT_MS));
      if (polled && isFinished(polled)) break;
    }
    if (!run) await sleep(1_000);
  }
  return { runIds, failures };
}

const spinningTests = {
  title: 'spinning tests',
  describe: '24 tests of `while (true) {}` with timeout_seconds 15, in one run started before B measures',
  async prepare({ call }) {
    return createWorkflow(call, 'hostile: spinning', [{ code: SPIN, timeoutSeconds: 15, tests: times(24, (n) => blockTest(EXISTS, { data: { n } })) }]);
  },
  async attack({ call }, { workflowId }, signal, started) {
    const { id } = await startRun(call, workflowId, REQUEST_TIMEOUT_MS);
    started();
    await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
    return [`A's run of 24 spinning tests at the end of the phase: ${await describeRun(call, id)}`];
  },
};

const hugeOutputs = {
  title: 'huge outputs',
  describe: '10 tests returning a 1,000,000-key object, 5 a 60 MB string, 5 a 60 MB array of strings; A lists its results (limit 20) every 2 s',
  async prepare({ call }) {
    return createWorkflow(call, 'hostile: huge outputs', [
      { code: MILLION_KEYS, timeoutSeconds: 60, tests: times(10, (n) => blockTest(EXISTS, { data: { n } })) },
      { code: SIXTY_MB_STRING, timeoutSeconds: 60, tests: times(5, (n) => blockTest(EXISTS, { data: { n } })) },
      { code: SIXTY_MB_ARRAY, timeoutSeconds: 60, tests: times(5, (n) => blockTest(EXISTS, { data: { n } })) },
    ]);
  },
  async attack({ call, send, key }, { workflowId }, signal, started) {
    const { id } = await startRun(call, workflowId, REQUEST_TIMEOUT_MS);
    started();
    const lists = new StatusTally();
    let largestAnswerBytes = 0;
    await closedLoops(1, signal, async () => {
      const answer = await lists.record(send, { path: `/v1/workflows/tests/results?run_id=${id}&limit=20`, headers: { 'api-key': key }, timeoutMs: HUGE_READ_TIMEOUT_MS, signal });
      if (answer) largestAnswerBytes = Math.max(largestAnswerBytes, answer.bytes);
      await sleep(2_000);
    }, 100);
    return [
      tallyLine(`A's GET …/results?run_id=…&limit=20 (every 2 s, largest answer ${(largestAnswerBytes / 1e6).toFixed(1)} MB)`, lists),
      `A's run at the end of the phase: ${await describeRun(call, id)}`,
    ];
  },
};

const slowChecks = {
  title: 'slow checks',
  describe: 'runs back to back of: json_schema_valid uniqueItems over 20,000 objects (×2), the same as a block output_schema (×1), a 20,000-object enum (×2), all_items_match over 1,000,000 strings (×2)',
  async prepare({ call }) {
    return createWorkflow(call, 'hostile: slow checks', [
      { code: TWENTY_THOUSAND_OBJECTS, tests: times(2, (n) => blockTest({ kind: 'json_schema_valid', schema: UNIQUE_ARRAY_SCHEMA }, { data: { n } })) },
      { code: TWENTY_THOUSAND_OBJECTS, outputSchema: UNIQUE_ARRAY_SCHEMA, tests: [blockTest(EXISTS)] },
      { code: ONE_OBJECT, tests: times(2, (n) => blockTest({ kind: 'json_schema_valid', schema: TWENTY_THOUSAND_ENUM }, { data: { n } })) },
      { code: MILLION_STRINGS, tests: times(2, (n) => blockTest({ kind: 'all_items_match', condition: { kind: 'starts_with', expected: 's' } }, { data: { n } })) },
    ]);
  },
  async attack({ call }, { workflowId }, signal, started) {
    const { runIds, failures } = await runsBackToBack(call, workflowId, signal, started);
    const lines = [`A started ${runIds.length} run(s) of 7 slow checks; the last one at the end of the phase: ${runIds.length ? await describeRun(call, runIds.at(-1)) : 'none'}`];
    return failures.total > 0 ? [...lines, tallyLine("A's requests that failed (run creations and polls)", failures)] : lines;
  },
};

/** `depth` nested arrays around a number, as JSON text built without recursion. */
const nestedJson = (depth) => `${'['.repeat(depth)}1${']'.repeat(depth)}`;
const randomKey = () => `vk_${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;

/** An SSE stream of the dashboard kept open until `signal` aborts; resolves with how it ended. */
function openEventStream(baseUrl, path, cookie, signal) {
  return new Promise((resolve) => {
    const request = http.get(`${baseUrl}${path}`, { agent: false, headers: { cookie, accept: 'text/event-stream' } }, (response) => {
      clearTimeout(timer);
      response.resume();
      response.on('close', () => resolve(`${response.statusCode}, ${signal.aborted ? 'open until the end' : 'ended by the server'}`));
    });
    const timer = setTimeout(() => request.destroy(new Error('timed out')), REQUEST_TIMEOUT_MS);
    const stop = () => request.destroy();
    signal.addEventListener('abort', stop, { once: true });
    request.on('error', (error) => resolve(error.message === 'timed out' ? 'timed out' : signal.aborted ? 'closed by A' : `error ${error.code ?? error.message}`));
    request.on('close', () => signal.removeEventListener('abort', stop));
  });
}

const floods = {
  title: 'floods',
  describe: 'at max rate: wrong keys (8 loops), wrong sign-ins (8), sign-ins making sessions (4), 10,000- and 100,000-deep JSON bodies (2), NUL in names (2); up to 500 live SSE streams of one session on a run with 1 spinning test',
  async prepare({ call }) {
    return createWorkflow(call, 'hostile: live run', [{ code: SPIN, timeoutSeconds: 60, tests: [blockTest(EXISTS)] }]);
  },
  async attack({ call, send, key, baseUrl }, { workflowId, blockIds }, signal, started) {
    const { id: liveRunId } = await startRun(call, workflowId, REQUEST_TIMEOUT_MS);
    const loginPage = await send({ path: '/login', timeoutMs: REQUEST_TIMEOUT_MS });
    const form = hiddenFields(loginPage.text);
    const pageCookies = cookiesOf(loginPage.headers);
    const signIn = (apiKey) => ({
      method: 'POST',
      path: '/login',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...(pageCookies ? { cookie: pageCookies } : {}) },
      body: new URLSearchParams({ ...form, api_key: apiKey }).toString(),
      timeoutMs: REQUEST_TIMEOUT_MS,
    });
    const session = await send(signIn(key));
    const sessionCookie = cookiesOf(session.headers);
    if (session.status !== 303 || !sessionCookie) throw new Error(`A could not sign in to the dashboard: ${session.status} ${session.text.slice(0, 200)}`);
    started();

    const tallies = { wrongKeys: new StatusTally(), wrongSignIns: new StatusTally(), sessions: new StatusTally(), deepBodies: new StatusTally(), nulNames: new StatusTally(), streams: new StatusTally() };
    const asA = (request) => ({ ...request, headers: { 'api-key': key, ...request.headers }, timeoutMs: REQUEST_TIMEOUT_MS, signal });
    let depthToggle = 0;
    let streamsOpened = 0;
    let liveStreams = 0;
    let mostLiveStreams = 0;
    await Promise.all([
      closedLoops(8, signal, () => tallies.wrongKeys.record(send, { path: '/v1/workflows/tests/runs?limit=20', headers: { 'api-key': randomKey() }, timeoutMs: REQUEST_TIMEOUT_MS, signal })),
      closedLoops(8, signal, () => tallies.wrongSignIns.record(send, { ...signIn(randomKey()), signal })),
      closedLoops(4, signal, () => tallies.sessions.record(send, { ...signIn(key), signal })),
      closedLoops(2, signal, () => {
        const depth = depthToggle++ % 2 === 0 ? 10_000 : 100_000;
        const body = `{"workflow_id":"${workflowId}","target":{"type":"block","block_id":"${blockIds[0]}"},"source":{"type":"manual","handle_inputs":{"input-json-0":{"type":"json","data":${nestedJson(depth)}}}},"assertion":{"target":{"output_handle_id":"output-json-0"},"condition":{"kind":"exists"}}}`;
        return tallies.deepBodies.record(send, asA({ method: 'POST', path: '/v1/workflows/tests', body, headers: { 'content-type': 'application/json' } }));
      }),
      closedLoops(2, signal, () => tallies.nulNames.record(send, asA({ method: 'POST', path: '/v1/workflows', body: { name: 'nul \u0000 name', description: 'nul \u0000' } }))),
      closedLoops(500, signal, async () => {
        streamsOpened++;
        liveStreams++;
        mostLiveStreams = Math.max(mostLiveStreams, liveStreams);
        tallies.streams.add(await openEventStream(baseUrl, `/runs/${liveRunId}/events`, sessionCookie, signal));
        liveStreams--;
      }, 10),
    ]);
    return [
      tallyLine('wrong keys (GET …/tests/runs)', tallies.wrongKeys),
      tallyLine('wrong sign-ins (POST /login)', tallies.wrongSignIns),
      tallyLine("sign-ins with A's key (new sessions)", tallies.sessions),
      tallyLine('JSON bodies nested 10,000 / 100,000 deep (POST …/tests)', tallies.deepBodies),
      tallyLine('NUL in name and description (POST /v1/workflows)', tallies.nulNames),
      `SSE streams of one session (GET /runs/{id}/events): ${format(streamsOpened)} opened, at most ${format(mostLiveStreams)} at once; how they ended: ${Object.entries(tallies.streams.toJSON()).map(([end, count]) => `${end} ×${format(count)}`).join(', ')}`,
    ];
  },
};

export const ATTACKS = { spin: spinningTests, huge: hugeOutputs, slow: slowChecks, flood: floods };

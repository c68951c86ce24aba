import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { sleep } from '../../testing/fixtures.js';
import type { SandboxOutcome } from '../sandbox/types.js';
import type { PythonJob } from './python-sandbox.js';
import { childProcesses, testProcesses, zygotePid, suiteSandboxes } from './test-support.js';

const SPIN = 'def transform(input_data):\n    while True:\n        pass\n';
const ECHO = 'def transform(input_data):\n    return {"n": input_data.n}\n';

function job(code: string, input: unknown, overrides: Partial<PythonJob> = {}): PythonJob {
  return {
    codeJson: JSON.stringify(code),
    sourceJson: JSON.stringify({ type: 'manual', handle_inputs: { 'input-json-0': { type: 'json', data: input } } }),
    inputSchemaJson: null,
    outputSchemaJson: null,
    timeoutMs: 30_000,
    tenant: 'org_a',
    ...overrides,
  };
}

function outputOf(outcome: SandboxOutcome): unknown {
  assert.ok(outcome.ok, JSON.stringify(outcome));
  return JSON.parse(outcome.outputJson);
}

interface TestProcess {
  zygote: number;
  template: number;
  child: number;
}

/** The processes of this process's zygotes running tests (children of templates), with their zygote and template. */
function runningChildren(): TestProcess[] {
  return childProcesses(process.pid, 'zygote.py').flatMap((zygote) => testProcesses(zygote).map((running) => ({ zygote, ...running })));
}

/** Waits until `count` tests run in children. */
async function childrenRunning(count: number, timeoutMs = 10_000): Promise<TestProcess[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const running = runningChildren();
    if (running.length >= count) return running;
    if (Date.now() > deadline) throw new Error(`${running.length} children running, waited for ${count}`);
    await sleep(5);
  }
}

describe('PythonSandbox', () => {
  const sandbox = suiteSandboxes();

  test('nothing starts before the first Python test; the zygote reports its confinement and RSS', async () => {
    const python = sandbox();
    await sleep(50);
    assert.equal(zygotePid(), undefined, 'no zygote before a Python test');
    assert.deepEqual(outputOf(await python.run(job(ECHO, { n: 7 }))), { n: 7 });
    const { report, starts } = python.stats();
    assert.equal(starts, 1);
    assert.ok(report && report.landlock_abi >= 1 && report.seccomp === true, JSON.stringify(report));
    console.log(`# zygote: Python ${report.python}, RSS ${(report.rss_kb / 1024).toFixed(1)} MB, started in ${report.start_ms} ms, Landlock ABI ${report.landlock_abi}, uid ${report.uid}`);
    await python.close();
    assert.equal(zygotePid(), undefined, 'close stops the zygote');
  });

  test('by default two tests per CPU core run at once (answers travel back while the others run)', () => {
    assert.equal(sandbox().stats().size, 2 * availableParallelism());
    assert.equal(sandbox({ processes: 3 }).stats().size, 3);
  });

  test('cancel stops a running while True within 50 ms (the child is gone)', async () => {
    const python = sandbox();
    await python.run(job(ECHO, { n: 1 }));
    const figures: number[] = [];
    const zygoteFigures: number[] = [];
    for (let round = 0; round < 5; round++) {
      const controller = new AbortController();
      const running = python.run(job(SPIN, {}, { signal: controller.signal }));
      const [{ template, child }] = await childrenRunning(1);
      await sleep(20);
      const abortedAt = performance.now();
      controller.abort();
      const outcome = await running;
      const answeredMs = performance.now() - abortedAt;
      assert.equal(outcome.ok, false);
      assert.equal(!outcome.ok && outcome.reason, 'aborted');
      assert.equal(childProcesses(template).includes(child), false, 'the child was reaped');
      figures.push(answeredMs);
      zygoteFigures.push(Number(!outcome.ok && outcome.details?.stopped_in_ms));
    }
    figures.sort((a, b) => a - b);
    zygoteFigures.sort((a, b) => a - b);
    console.log(`# cancel → child killed, reaped and answered: median ${figures[2].toFixed(2)} ms, max ${figures[4].toFixed(2)} ms (in the zygote, kill → reaped: median ${zygoteFigures[2].toFixed(2)} ms)`);
    assert.ok(figures[2] < 50, `median ${figures[2]} ms`);
    await python.close();
  });

  test("a cancel before the test starts settles it without a process; the timeout message names timeout_seconds", async () => {
    const python = sandbox({ processes: 1 });
    const blocker = python.run(job(SPIN, {}, { timeoutMs: 1500 }));
    const controller = new AbortController();
    const waiting = python.run(job(ECHO, { n: 1 }, { signal: controller.signal }));
    controller.abort();
    const cancelled = await waiting;
    assert.equal(!cancelled.ok && cancelled.message, 'cancelled before it started');
    const timedOut = await blocker;
    assert.equal(!timedOut.ok && timedOut.reason, 'timeout');
    assert.match(!timedOut.ok ? timedOut.message : '', /timeout_seconds of 1\.5 s/);
    await python.close();
  });

  test('a zygote that dies is replaced: its tests in flight are crashed, the next test runs', async () => {
    const python = sandbox();
    await python.run(job(ECHO, { n: 1 }));
    const running = python.run(job(SPIN, {}));
    const [{ zygote: first }] = await childrenRunning(1);
    process.kill(first, 'SIGKILL');
    const crashed = await running;
    assert.equal(!crashed.ok && crashed.reason, 'crashed');
    assert.match(!crashed.ok ? crashed.message : '', /Python runner stopped while this test ran/);
    assert.deepEqual(outputOf(await python.run(job(ECHO, { n: 2 }))), { n: 2 });
    assert.equal(childProcesses(process.pid, 'zygote.py').includes(first), false);
    assert.equal(python.stats().starts, 2);
    await python.close();
  });

  test("an organization's spinning tests on every process leave another organization's test waiting only for a fork", async () => {
    const python = sandbox({ processes: 2 });
    const spinning = Array.from({ length: 6 }, () => python.run(job(SPIN, {}, { timeoutMs: 4000, tenant: 'org_a' })));
    await childrenRunning(2);
    const started = performance.now();
    assert.deepEqual(outputOf(await python.run(job(ECHO, { n: 3 }, { tenant: 'org_b' }))), { n: 3 });
    const waitedMs = performance.now() - started;
    assert.ok(waitedMs < 1000, `organization B waited ${waitedMs} ms`);
    await python.close();
    for (const outcome of await Promise.all(spinning)) assert.equal(!outcome.ok && outcome.reason, 'aborted');
  });

  test('a missing interpreter: every test is unavailable, saying what is missing', async () => {
    const missing = sandbox({ interpreter: '/nonexistent/python3' });
    const outcome = await missing.run(job(ECHO, { n: 1 }));
    assert.equal(!outcome.ok && outcome.reason, 'unavailable');
    assert.match(!outcome.ok ? outcome.message : '', /VERDICT_PYTHON=\/nonexistent\/python3: no such interpreter/);
    const off = await sandbox({ interpreter: 'off' }).run(job(ECHO, { n: 1 }));
    assert.match(!off.ok ? off.message : '', /turned off on this server \(VERDICT_PYTHON=off\)/);
    const noPath = await sandbox({ env: { PATH: '/nonexistent' } }).run(job(ECHO, { n: 1 }));
    assert.match(!noPath.ok ? noPath.message : '', /need python3, which is not on this server's PATH/);
  });

  test("the operator's package directory is importable (and nothing beside it); a missing one makes Python unavailable, naming it", async () => {
    const packages = await mkdtemp(join(tmpdir(), 'verdict-packages-'));
    try {
      await writeFile(join(packages, 'house_rules.py'), 'def vat(amount):\n    return round(amount * 0.2, 2)\n');
      const python = sandbox({ packagesDir: packages });
      const code = 'import house_rules\ndef transform(input_data):\n    return {"vat": house_rules.vat(input_data.n)}\n';
      assert.deepEqual(outputOf(await python.run(job(code, { n: 10 }))), { vat: 2 });
      const missing = await sandbox({ packagesDir: join(packages, 'absent') }).run(job(code, { n: 10 }));
      assert.equal(!missing.ok && missing.reason, 'unavailable');
      assert.match(!missing.ok ? missing.message : '', /package directory .*absent \(VERDICT_PYTHON_PACKAGES\) does not exist/);
    } finally {
      await rm(packages, { recursive: true, force: true });
    }
  });

  test('the standard library, async transforms and the installed packages work inside the sandbox', async () => {
    const python = sandbox();
    const code = `import asyncio, collections, datetime, decimal, importlib.util, json, math, re, statistics, zoneinfo

async def transform(input_data):
    await asyncio.sleep(0.01)
    report = {
        'statistics': statistics.mean([1, 2, 3]),
        'decimal': str(decimal.Decimal('1.10') + decimal.Decimal('2.20')),
        'datetime': datetime.datetime(2024, 1, 1, tzinfo=zoneinfo.ZoneInfo('Europe/Paris')).isoformat(),
        'collections': collections.Counter('abca').most_common(1)[0][0],
        're': re.sub(r'\\d', '#', 'a1b2'),
    }
    for name in ('pydantic', 'numpy', 'scipy', 'dateutil', 'pandas'):
        if importlib.util.find_spec(name) is None:
            report[name] = 'not installed'
            continue
        module = __import__(name)
        report[name] = getattr(module, '__version__', 'imported')
    return report
`;
    const report = outputOf(await python.run(job(code, {}))) as Record<string, string>;
    console.log(`# packages here: ${JSON.stringify(report)}`);
    assert.equal(report.statistics, 2 as unknown as string);
    assert.equal(report.decimal, '3.30');
    assert.equal(report.datetime, '2024-01-01T00:00:00+01:00');
    assert.equal(report.collections, 'a');
    assert.equal(report.re, 'a#b#');
  });
});

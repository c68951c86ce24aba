import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, test } from 'node:test';
import { sleep } from '../../testing/fixtures.js';
import type { SandboxOutcome } from '../sandbox/types.js';
import { PythonOutput } from './answers.js';
import type { PythonJob } from './python-sandbox.js';
import { testProcesses, zygotePid, suiteSandboxes } from './test-support.js';

/**
 * Tests of one block share a template process (compiled once, forked per test): these check that
 * sharing one leaks nothing from test to test, that organizations never share one, and the
 * template's lifecycle (bounds, idle expiry, a crash). Each transform reports its parent's pid:
 * its template.
 */
const STATEFUL = `import json, os, sys
from models import Input
counter = 0

def transform(input_data):
    global counter
    counter += 1
    seen = {
        "template": os.getppid(),
        "counter": counter,
        "json_loads": json.loads("[1]"),
        "leaked_module": "leaked_by_test" in sys.modules,
        "input_class_patched": hasattr(Input, "patched"),
    }
    if input_data.mutate:
        json.loads = lambda *args, **kwargs: "patched"
        sys.modules["leaked_by_test"] = sys
        Input.patched = True
        print("mutated everything")
    return seen
`;
const PARENT = 'import os\ndef transform(input_data):\n    return {"template": os.getppid()}\n';
const SPIN = 'def transform(input_data):\n    while True:\n        pass\n';

function job(code: string, input: unknown, overrides: Partial<PythonJob> = {}): PythonJob {
  return {
    codeJson: JSON.stringify(code),
    sourceJson: JSON.stringify({ type: 'manual', handle_inputs: { 'input-json-0': { type: 'json', data: input } } }),
    inputSchemaJson: JSON.stringify({ type: 'object', properties: { mutate: { type: 'boolean' } } }),
    outputSchemaJson: null,
    timeoutMs: 30_000,
    tenant: 'org_a',
    ...overrides,
  };
}

function outputOf(outcome: SandboxOutcome): Record<string, unknown> {
  assert.ok(outcome.ok, JSON.stringify(outcome));
  return JSON.parse(outcome.outputJson);
}

const alive = (pid: unknown) => existsSync(`/proc/${String(pid)}`);

async function gone(pid: unknown, timeoutMs = 5000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (alive(pid)) {
    if (Date.now() > deadline) return false;
    await sleep(5);
  }
  return true;
}

describe('Python templates', () => {
  const sandbox = suiteSandboxes();

  test('tests sharing a template start fresh: a global, a stdlib monkey-patch, a sys.modules addition and a models class patch of one test are gone in the next', async () => {
    const python = sandbox();
    const first = await python.run(job(STATEFUL, { mutate: true }));
    const second = outputOf(await python.run(job(STATEFUL, { mutate: false })));
    const firstOutput = outputOf(first);
    assert.equal(second.template, firstOutput.template, 'both tests ran in children of one template');
    assert.deepEqual(second, { template: firstOutput.template, counter: 1, json_loads: [1], leaked_module: false, input_class_patched: false });
    assert.ok(first instanceof PythonOutput && first.logs === 'mutated everything\n', 'what the code printed comes back with its output');
    assert.equal(python.stats().templates.templates, 1);
    await python.close();
  });

  test('two organizations with identical code do not share a template', async () => {
    const python = sandbox();
    const a = outputOf(await python.run(job(PARENT, {}, { tenant: 'org_a' })));
    const b = outputOf(await python.run(job(PARENT, {}, { tenant: 'org_b' })));
    const aAgain = outputOf(await python.run(job(PARENT, {}, { tenant: 'org_a' })));
    assert.notEqual(a.template, b.template);
    assert.equal(aAgain.template, a.template);
    assert.deepEqual(python.stats().templates.perTenant, { org_a: 1, org_b: 1 });
    await python.close();
  });

  test("past an organization's bound its least recently used template process is stopped; another organization's is not", async () => {
    const python = sandbox({ templates: { perTenant: 2, total: 3 } });
    const other = outputOf(await python.run(job(PARENT, {}, { tenant: 'org_b' }))).template;
    const own: unknown[] = [];
    for (let version = 0; version < 4; version++) own.push(outputOf(await python.run(job(`${PARENT}# version ${version}\n`, {}))).template);
    assert.equal(new Set(own).size, 4, 'each code version has its template');
    assert.ok(await gone(own[0]), 'the least recently used went');
    assert.ok(await gone(own[1]));
    assert.ok(alive(own[2]) && alive(own[3]) && alive(other), "the newest two and the other organization's stay");
    assert.deepEqual(python.stats().templates.perTenant, { org_b: 1, org_a: 2 });
    const again = outputOf(await python.run(job(`${PARENT}# version 0\n`, {}))).template;
    assert.notEqual(again, own[0], 'a retired code version gets a new template');
    await python.close();
  });

  test('an idle template is stopped after idleMs', async () => {
    const python = sandbox({ templates: { idleMs: 100 } });
    const template = outputOf(await python.run(job(PARENT, {}))).template;
    assert.ok(alive(template));
    assert.ok(await gone(template, 3000), 'the idle template was stopped');
    assert.equal(python.stats().templates.templates, 0);
    assert.ok(zygotePid() !== undefined, 'the zygote stays');
    await python.close();
  });

  test('a template that dies fails its running tests as crashed and is started again for the next test', async () => {
    const python = sandbox();
    assert.equal(zygotePid(), undefined, 'no other zygote runs, so the one found below is this sandbox\'s');
    const before = outputOf(await python.run(job(PARENT, {}))).template as number;
    const running = python.run(job(SPIN, {}));
    const zygote = zygotePid()!;
    let spinning: { template: number; child: number } | undefined;
    while (spinning === undefined) {
      spinning = testProcesses(zygote).find(({ template }) => template !== before);
      await sleep(5);
    }
    process.kill(spinning.template, 'SIGKILL');
    const crashed = await running;
    assert.equal(!crashed.ok && crashed.reason, 'crashed');
    assert.match(!crashed.ok ? crashed.message : '', /stopped \(killed by SIGKILL\) while this test was in it/);
    assert.ok(await gone(spinning.child), 'its test process died with it');
    process.kill(before, 'SIGKILL');
    await sleep(50);
    const after = outputOf(await python.run(job(PARENT, {}))).template;
    assert.notEqual(after, before, 'a new template runs the next test');
    assert.equal(zygotePid(), zygote, 'the zygote was not restarted');
    await python.close();
  });

  test('a syntax error is every test’s answer, from a template that compiled it once', async () => {
    const python = sandbox();
    for (let round = 0; round < 2; round++) {
      const outcome = await python.run(job('def transform(input_data)\n    return 1\n', {}));
      assert.equal(!outcome.ok && outcome.reason, 'error');
      assert.match(!outcome.ok ? outcome.message : '', /SyntaxError.*line 1/);
    }
    await python.close();
  });
});

import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startTestApp, waitForRun, type TestApp } from '@verdict/server/testing/harness';
import { makeTextPdf } from '@verdict/server/testing/pdf-fixture';
import { createWorkflowGraph, functionConfig, lineItemsLoopWorkflow } from '@verdict/server/testing/workflow-graphs';
import { fakeTerminal, runVerdict, serverApi, type FakeTerminal } from '../test-support.js';
import { registerTestsCommands } from './tests.js';
import { registerWorkflowRunCommands } from './workflow-runs.js';

const verdict = (terminal: FakeTerminal, ...args: string[]) => runVerdict(terminal, [registerWorkflowRunCommands, registerTestsCommands], ...args);

describe('verdict run and verdict steps list against a server', () => {
  let app: TestApp;
  let dir: string;
  const terminal = () => fakeTerminal(serverApi(app));
  before(async () => {
    app = await startTestApp('sqlite', { sandboxThreads: 1, concurrency: 2 });
    dir = await mkdtemp(join(tmpdir(), 'verdict-run-'));
  });
  after(async () => {
    await app.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('runs a workflow on a JSON file, waits, and shows each step with the branch not taken skipped', async () => {
    const { workflowId, ids } = await createWorkflowGraph(
      app,
      [
        { key: 'start', type: 'start_json', config: { json_schema: { type: 'object' } } },
        { key: 'route', type: 'conditional', config: { conditions: [{ branch_name: 'big', sub_conditions: [{ path: 'data.total', operator: 'is_greater_than', value: 100 }] }] } },
        { key: 'big', type: 'function', config: functionConfig('function transform(input) { return { size: "big" }; }') },
        { key: 'small', type: 'function', config: functionConfig('function transform(input) { return { size: "small" }; }') },
      ],
      [
        { from: 'start', to: 'route' },
        { from: 'route', to: 'big', sourceHandle: 'output-json-big' },
        { from: 'route', to: 'small', sourceHandle: 'output-json-else' },
      ],
    );
    const input = join(dir, 'input.json');
    await writeFile(input, JSON.stringify({ total: 500 }));

    const run = terminal();
    assert.equal(await verdict(run, 'run', workflowId, '--input', `${ids.start}=${input}`, '--workflow-version', 'draft', '--wait', '--poll-ms', '50'), 0, run.stderr.text);
    const output = run.stdout.text;
    assert.match(output, /^Run run_\S+ completed/);
    assert.match(output, new RegExp(`${ids.small}\\s+function\\s+-\\s+skipped: .*did not route to output-json-else`));
    assert.deepEqual(run.bodies[0], { workflow_id: workflowId, json_inputs: { [ids.start!]: { total: 500 } }, documents: {}, version: 'draft' });

    const runId = /^Run (\S+)/.exec(output)![1]!;
    const steps = terminal();
    assert.equal(await verdict(steps, 'steps', 'list', runId, '--json'), 0, steps.stderr.text);
    assert.deepEqual(JSON.parse(steps.stdout.text).data.map((step: { block_id: string }) => step.block_id).sort(), [ids.big, ids.route, ids.small, ids.start].sort());

    const assertion = join(dir, 'assertion.json');
    await writeFile(assertion, JSON.stringify({ target: { output_handle_id: 'output-json-0', path: 'size' }, condition: { kind: 'equals', expected: 'big' } }));
    const captured = terminal();
    const created = await verdict(captured, 'tests', 'create', workflowId, '--block', ids.big!, '--from-step', runId, '--assertion-file', assertion, '--json');
    assert.equal(created, 0, captured.stderr.text);
    const test = JSON.parse(captured.stdout.text);
    assert.equal(test.source.type, 'run_step');
    assert.equal(test.source.run_id, runId);
    assert.equal(test.name.startsWith(runId), true, 'named after the run it was captured from');

    const both = terminal();
    assert.equal(await verdict(both, 'tests', 'create', workflowId, '--block', ids.big!, '--from-step', runId, '--source-file', assertion, '--assertion-file', assertion), 3);
    assert.match(both.stderr.text, /either --source-file <file> or --from-step <run-id>/);
  });

  test('a for_each over line items runs one step per item; a test captured from a loop body needs --step, and replays that item', async () => {
    const { workflowId, ids } = await lineItemsLoopWorkflow(app);
    const items = [{ sku: 'a', qty: 2, price: 5 }, { sku: 'b', qty: 1, price: 7 }, { sku: 'c', qty: 3, price: 1 }];
    const input = join(dir, 'lines.json');
    await writeFile(input, JSON.stringify({ line_items: items }));

    const run = terminal();
    assert.equal(await verdict(run, 'run', workflowId, '--input', `${ids.start}=${input}`, '--workflow-version', 'draft', '--wait', '--poll-ms', '50'), 0, run.stderr.text);
    const runId = /^Run (\S+) completed/.exec(run.stdout.text)![1]!;
    const steps = terminal();
    assert.equal(await verdict(steps, 'steps', 'list', runId, '--block', ids.amount!, '--json'), 0, steps.stderr.text);
    const iterations = (JSON.parse(steps.stdout.text).data as Array<{ step_id: string; loop_containers: Array<{ iteration: number }>; handle_outputs: Record<string, { data: unknown }> }>).sort(
      (a, b) => a.loop_containers[0]!.iteration - b.loop_containers[0]!.iteration,
    );
    assert.deepEqual(iterations.map((step) => step.handle_outputs['output-json-0']!.data), [{ sku: 'a', amount: 10 }, { sku: 'b', amount: 7 }, { sku: 'c', amount: 3 }]);

    const assertion = join(dir, 'loop-assertion.json');
    await writeFile(assertion, JSON.stringify({ target: { output_handle_id: 'output-json-0', path: 'amount' }, condition: { kind: 'equals', expected: 7 } }));
    const withoutStep = terminal();
    assert.notEqual(await verdict(withoutStep, 'tests', 'create', workflowId, '--block', ids.amount!, '--from-step', runId, '--assertion-file', assertion), 0);
    assert.match(withoutStep.stderr.text, /step_id/);

    const captured = terminal();
    assert.equal(await verdict(captured, 'tests', 'create', workflowId, '--block', ids.amount!, '--from-step', runId, '--step', iterations[1]!.step_id, '--assertion-file', assertion, '--json'), 0, captured.stderr.text);
    const testId = JSON.parse(captured.stdout.text).id as string;
    const started = await app.request('POST', '/v1/workflows/tests/runs', { workflow_id: workflowId, scope: { type: 'single', test_id: testId } });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const finished = await waitForRun(app, started.body.id);
    assert.equal(finished.counts.outcome.passed, 1, 'the captured second item replays to the amount its step recorded');
  });

  test('--document sends the file as a data URL and the run records it as a stored file', async () => {
    const { workflowId, ids } = await createWorkflowGraph(app, [{ key: 'doc', type: 'start_document' }], []);
    const pdf = join(dir, 'invoice.pdf');
    await writeFile(pdf, makeTextPdf(['Invoice 42']));
    const run = terminal();
    assert.equal(await verdict(run, 'run', workflowId, '--document', `${ids.doc}=${pdf}`, '--workflow-version', 'draft', '--wait', '--poll-ms', '50', '--json'), 0, run.stderr.text);
    const sent = run.bodies[0] as { documents: Record<string, { filename: string; url: string }> };
    assert.equal(sent.documents[ids.doc!]!.filename, 'invoice.pdf');
    assert.match(sent.documents[ids.doc!]!.url, /^data:application\/pdf;base64,JVBER/);
    const { run: finished } = JSON.parse(run.stdout.text);
    assert.equal(finished.lifecycle.status, 'completed');
    assert.equal(finished.inputs.documents[ids.doc!].filename, 'invoice.pdf');
  });

  test('a missing start input, and a malformed --input, exit 3 with a message', async () => {
    const { workflowId } = await createWorkflowGraph(app, [{ key: 'start', type: 'start_json', config: {} }], []);
    const missing = terminal();
    assert.equal(await verdict(missing, 'run', workflowId, '--workflow-version', 'draft'), 3);
    assert.match(missing.stderr.text, /start_json block/);
    const malformed = terminal();
    assert.equal(await verdict(malformed, 'run', workflowId, '--input', 'no-equals-sign'), 3);
    assert.match(malformed.stderr.text, /--input takes <block-id>=<file>/);
  });
});

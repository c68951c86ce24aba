import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from '@verdict/server/testing/harness';
import { fakeTerminal, runVerdict, serverApi, type FakeTerminal } from '../test-support.js';
import { registerApplyCommands } from './apply.js';
import { registerInitCommand } from './init.js';
import { registerRunsCommands } from './runs.js';
import { registerWorkflowsCommands } from './workflows.js';

const verdict = (terminal: FakeTerminal, ...args: string[]) =>
  runVerdict(terminal, [registerInitCommand, registerWorkflowsCommands, registerRunsCommands, registerApplyCommands], ...args);

describe('verdict init, apply and workflows export against a server', () => {
  let app: TestApp;
  let dir: string;
  const terminal = () => fakeTerminal(serverApi(app));
  const workflowIdOf = (yaml: string) => /^ {2}id: (\S+)$/m.exec(yaml)![1]!;
  before(async () => {
    app = await startTestApp('sqlite');
    dir = await mkdtemp(join(tmpdir(), 'verdict-spec-'));
  });
  after(async () => {
    await app.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('init writes a starter whose three tests pass once applied, and never overwrites', async () => {
    const file = join(dir, 'workflow.yaml');
    const first = terminal();
    assert.equal(await verdict(first, 'init', file), 0);
    assert.match(first.stdout.text, /Wrote .*workflow\.yaml: a workflow with three tests/);
    const yaml = await readFile(file, 'utf8');

    const again = terminal();
    assert.equal(await verdict(again, 'init', file), 3);
    assert.match(again.stderr.text, /already exists; init never overwrites/);
    assert.equal(await readFile(file, 'utf8'), yaml);

    const applied = terminal();
    assert.equal(await verdict(applied, 'apply', file), 0, applied.stderr.text);
    assert.match(applied.stdout.text, /\+ test "large invoice · equals is_valid"/);
    assert.match(applied.stdout.text, /Applied: workflow wf_invoices_\w+ created \(7 added/);
    const run = terminal();
    assert.equal(await verdict(run, 'runs', 'create', workflowIdOf(yaml), '--wait'), 0, run.stdout.text + run.stderr.text);
    assert.match(run.stdout.text + run.stderr.text, /3 passed/);

    const second = join(dir, 'second.yaml');
    assert.equal(await verdict(terminal(), 'init', second), 0);
    assert.notEqual(workflowIdOf(await readFile(second, 'utf8')), workflowIdOf(yaml), 'two starters never share ids');
  });

  test('workflows export writes the YAML that apply reads back without a change', async () => {
    const file = join(dir, 'export-source.yaml');
    await verdict(terminal(), 'init', file);
    const workflowId = workflowIdOf(await readFile(file, 'utf8'));
    assert.equal(await verdict(terminal(), 'apply', file), 0);
    const out = join(dir, 'exported.yaml');
    const exported = terminal();
    assert.equal(await verdict(exported, 'workflows', 'export', workflowId, '--out', out), 0, exported.stderr.text);
    const yaml = await readFile(out, 'utf8');
    assert.match(yaml, /tests:\n {4}- name: large invoice\n/);
    const stdout = terminal();
    assert.equal(await verdict(stdout, 'workflows', 'export', workflowId), 0);
    assert.equal(stdout.stdout.text, yaml);
    const reapplied = terminal();
    assert.equal(await verdict(reapplied, 'apply', out), 0);
    assert.equal(reapplied.stdout.text, `No changes: workflow ${workflowId} is up to date.\n`);
  });

  test('apply reads {file: path} inputs relative to the YAML; a missing file is named with its line', async () => {
    const sub = join(dir, 'docs');
    await rm(sub, { recursive: true, force: true });
    await mkdir(sub);
    await writeFile(join(sub, 'note.txt'), 'Invoice INV-9: total 42');
    const yaml = `apiVersion: workflows.retab.com/v1alpha2
kind: Workflow
metadata: {id: wf_cli_files}
spec:
  blocks:
    cli_files_read: {type: extract, config: {json_schema: {type: object, properties: {total: {type: number}}}}}
  tests:
    - name: note
      block: cli_files_read
      inputs:
        input-file-document: { file: note.txt }
      assert:
        - { path: total, kind: equals, expected: 42 }
`;
    await writeFile(join(sub, 'files.yaml'), yaml);
    const applied = terminal();
    assert.equal(await verdict(applied, 'apply', join(sub, 'files.yaml')), 0, applied.stderr.text);
    const tests = await app.request('GET', '/v1/workflows/tests?workflow_id=wf_cli_files');
    assert.equal(tests.body.data[0].name, 'note · equals total');
    assert.equal(tests.body.data[0].source.handle_inputs['input-file-document'].document.filename, 'note.txt');
    assert.equal(tests.body.data[0].source.handle_inputs['input-file-document'].document.mime_type, 'text/plain');
    const again = terminal();
    assert.equal(await verdict(again, 'apply', join(sub, 'files.yaml')), 0);
    assert.match(again.stdout.text, /No changes/);

    await writeFile(join(sub, 'missing.yaml'), yaml.replace('file: note.txt', 'file: gone.txt'));
    const missing = terminal();
    assert.equal(await verdict(missing, 'apply', join(sub, 'missing.yaml')), 3);
    assert.match(missing.stderr.text, /missing\.yaml line 11: cannot read the test input file gone\.txt/);
    assert.deepEqual(missing.requests, [], 'nothing is sent');
  });

  test('off a terminal, a plan that deletes tests needs --yes; an unknown field stops before anything is applied', async () => {
    const file = join(dir, 'deleting.yaml');
    await verdict(terminal(), 'init', file);
    assert.equal(await verdict(terminal(), 'apply', file), 0);
    const yaml = await readFile(file, 'utf8');
    const workflowId = workflowIdOf(yaml);
    const testCount = async () => (await app.request('GET', `/v1/workflows/tests?workflow_id=${workflowId}`)).body.data.length;
    await writeFile(file, yaml.replace(/ {4}- name: wrong total\n[\s\S]*$/, ''));

    const refused = terminal();
    assert.equal(await verdict(refused, 'apply', file), 3);
    assert.match(refused.stdout.text, /- test "wrong total · equals is_valid"/);
    assert.match(refused.stderr.text, /The plan destroys 1 resource\(s\): pass --yes/);
    assert.equal(await testCount(), 3);
    assert.equal(await verdict(terminal(), 'apply', file, '--yes'), 0);
    assert.equal(await testCount(), 2);

    await writeFile(file, yaml.replace('label: Validate total', 'lable: Checked total'));
    const typo = terminal();
    assert.equal(await verdict(typo, 'apply', file, '--yes'), 3);
    assert.match(typo.stderr.text, /lable.*did you mean "label"\?/);
    assert.deepEqual(typo.requests, ['POST /v1/workflows/spec/plan']);
    assert.equal(await testCount(), 2);
  });
});

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fakeTerminal, runVerdict, type FakeApi, type FakeTerminal } from '../test-support.js';
import { registerExperimentsCommands } from './experiments.js';

const verdict = (terminal: FakeTerminal, ...args: string[]) => runVerdict(terminal, [registerExperimentsCommands], ...args);

const RUN = { id: 'exprun_1', lifecycle: { status: 'completed' } };
const SUMMARY = {
  kind: 'summary',
  view: 'summary',
  run_id: 'exprun_1',
  experiment_id: 'exp_1',
  score: 0.8,
  prior_score: 0.6,
  prior_run_id: 'exprun_0',
  scored_document_count: 2,
  total_document_count: 2,
  documents: [{ id: 'expdoc_1', filename: 'inv-1.txt', score: 0.7, prior_score: null }],
  aggregate: { likelihoods: { vendor: 0.9 } },
};

const api: FakeApi = (method, url) => {
  if (method === 'POST' && url.pathname === '/v1/workflows/experiments') return { status: 201, json: { id: 'exp_1', document_count: 1, n_consensus: 5 } };
  if (method === 'POST' && url.pathname === '/v1/workflows/experiments/runs') return { status: 202, json: { ...RUN, lifecycle: { status: 'pending' } } };
  if (url.pathname === '/v1/workflows/experiments/runs/exprun_1') return { json: RUN };
  if (url.pathname === '/v1/workflows/experiments/metrics') return { json: url.searchParams.get('run_id') === 'exprun_stale' ? { kind: 'stale_metrics', message: 'changed', stale_reasons: ['block_config_changed'] } : SUMMARY };
  return { status: 404, json: { detail: { code: 'not_found', message: 'no', details: {} } } };
};

describe('verdict experiments', () => {
  test('run --wait prints the score beside the prior run, per document and per field', async () => {
    const terminal = fakeTerminal(api);
    assert.equal(await verdict(terminal, 'experiments', 'run', 'exp_1', '--wait'), 0);
    assert.match(terminal.stdout.text, /Score +80\.0% \(was 60\.0%\)/);
    assert.match(terminal.stdout.text, /inv-1\.txt +70\.0% +—/);
    assert.match(terminal.stdout.text, /vendor +90\.0%/);
    assert.deepEqual(terminal.bodies[0], { experiment_id: 'exp_1' });
  });

  test('metrics passes the view and the prior choice; a stale answer says why', async () => {
    const terminal = fakeTerminal(api);
    await verdict(terminal, 'experiments', 'metrics', 'exprun_stale', '--view', 'by_target', '--target', 'total', '--no-prior');
    assert.ok(terminal.requests.includes('GET /v1/workflows/experiments/metrics?run_id=exprun_stale&view=by_target&target_path=total&include_prior=false'), terminal.requests.join('\n'));
    assert.match(terminal.stdout.text, /Reasons: block_config_changed/);
  });

  test('create reads the documents file and refuses one that is not an array', async () => {
    const terminal = fakeTerminal(api);
    terminal.stdin.end('[{"handle_inputs": {"input-json-0": {"type": "json", "data": 1}}}]');
    assert.equal(await verdict(terminal, 'experiments', 'create', '--workflow', 'wf_1', '--block', 'blk_1', '--documents', '-', '--n-consensus', '5'), 0);
    assert.deepEqual(terminal.bodies[0], { workflow_id: 'wf_1', block_id: 'blk_1', documents: [{ handle_inputs: { 'input-json-0': { type: 'json', data: 1 } } }], n_consensus: 5 });
    const refused = fakeTerminal(api);
    refused.stdin.end('{}');
    assert.equal(await verdict(refused, 'experiments', 'create', '--workflow', 'wf_1', '--block', 'blk_1', '--documents', '-'), 3);
  });

  test('create --capture (repeatable) sends document_captures, with or without a step and beside --documents; neither is a usage error', async () => {
    const terminal = fakeTerminal(api);
    assert.equal(await verdict(terminal, 'experiments', 'create', '--workflow', 'wf_1', '--block', 'blk_1', '--capture', 'wfrun_1', '--capture', 'wfrun_2:for_each-0'), 0);
    assert.deepEqual(terminal.bodies[0], { workflow_id: 'wf_1', block_id: 'blk_1', document_captures: [{ run_id: 'wfrun_1' }, { run_id: 'wfrun_2', step_id: 'for_each-0' }], n_consensus: 3 });
    const both = fakeTerminal(api);
    both.stdin.end('[{"handle_inputs": {"input-json-0": {"type": "json", "data": 1}}}]');
    assert.equal(await verdict(both, 'experiments', 'create', '--workflow', 'wf_1', '--block', 'blk_1', '--capture', 'wfrun_1:a:b', '--documents', '-'), 0);
    const sent = both.bodies[0] as { document_captures: unknown; documents: unknown[] };
    assert.deepEqual(sent.document_captures, [{ run_id: 'wfrun_1', step_id: 'a:b' }]);
    assert.equal(sent.documents.length, 1);
    for (const args of [[], ['--capture', 'wfrun_1:'], ['--capture', ':step']]) {
      const refused = fakeTerminal(api);
      assert.equal(await verdict(refused, 'experiments', 'create', '--workflow', 'wf_1', '--block', 'blk_1', ...args), 3, args.join(' '));
      assert.equal(refused.bodies.length, 0);
    }
  });
});

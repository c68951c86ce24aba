import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { aggregateOf, byDocument, byTarget, scoreRun, votes } from './metrics.js';
import { blockExecutionFingerprint, staleReasons } from './staleness.js';
import { consensusOf, leaves, MAX_SCORED_PATHS, normalizedKey, UNASSIGNED_LABEL } from './votes.js';

/** The worked examples of docs/experiments.md, computed by hand there and checked here. */

const close = (actual: number | null, expected: number, label = '') => {
  assert.ok(actual !== null && Math.abs(actual - expected) < 1e-12, `${label}: ${actual} is not ${expected}`);
};

// docs/experiments.md, example 1: an extract block, n_consensus 5, two invoices.
const INV_1 = {
  id: 'expdoc_1',
  filename: 'inv-1.txt',
  votes: [
    { vendor: 'Acme', total: 10 },
    { vendor: 'acme ', total: 10 },
    { vendor: 'Acme', total: 12 },
    { vendor: 'ACME', total: 10.0 },
    { vendor: 'Beta', total: null },
  ],
};
const line = { vendor: 'Acme', total: 5, lines: [{ sku: 'A' }] };
const INV_2 = { id: 'expdoc_2', filename: 'inv-2.txt', votes: [line, line, line, line, { vendor: 'Acme', total: 5 }] };

describe('reconciling votes', () => {
  test('normalised keys: strings trimmed, collapsed, case-folded; numbers by value; null and absent alike', () => {
    assert.equal(normalizedKey(' Acme  Tools '), normalizedKey('acme tools'));
    assert.equal(normalizedKey(10), normalizedKey(10.0));
    assert.notEqual(normalizedKey(10), normalizedKey('10'));
    assert.equal(normalizedKey(undefined), normalizedKey(null));
    assert.equal(normalizedKey({ b: 1, a: 2 }), normalizedKey({ a: 2, b: 1 }));
  });

  test('the consensus is the majority, a tie goes to the earliest first vote, and is reported as that vote gave it', () => {
    assert.deepEqual(consensusOf(['b', 'A', 'a', 'b']), { consensus: 'b', agreeing: 2 });
    assert.deepEqual(consensusOf([null, 1, null]), { consensus: null, agreeing: 2 });
    assert.deepEqual(consensusOf(['acme ', 'Acme']), { consensus: 'acme ', agreeing: 2 });
  });

  test('a document is scored on at most MAX_SCORED_PATHS leaf paths, the first seen', () => {
    const wide = Object.fromEntries(Array.from({ length: MAX_SCORED_PATHS + 10 }, (_, i) => [`f${i}`, i]));
    const [document] = scoreRun('extract', [{ id: 'd', filename: 'd', votes: [wide, wide, wide] }]).documents;
    assert.equal(document.items.length, MAX_SCORED_PATHS);
    assert.equal(document.items.at(-1)!.path, `f${MAX_SCORED_PATHS - 1}`);
  });

  test('leaves are dotted paths, array items by index, an empty container a leaf', () => {
    assert.deepEqual([...leaves({ a: { b: 1 }, c: [{ d: 'x' }, 2], e: [], f: {} })], [
      ['a.b', 1],
      ['c.0.d', 'x'],
      ['c.1', 2],
      ['e', []],
      ['f', {}],
    ]);
  });
});

describe('example 1: extract, n_consensus 5', () => {
  const run = scoreRun('extract', [INV_1, INV_2]);

  test('per-field likelihoods per document, document scores and the run score', () => {
    const [first, second] = run.documents;
    assert.deepEqual(first.items.map((item) => [item.path, item.score, item.present]), [
      ['vendor', 4 / 5, 5],
      ['total', 3 / 5, 4],
    ]);
    close(first.score, (4 / 5 + 3 / 5) / 2, 'inv-1');
    assert.deepEqual(second.items.map((item) => [item.path, item.score]), [
      ['vendor', 1],
      ['total', 1],
      ['lines.0.sku', 4 / 5],
    ]);
    close(second.score, (1 + 1 + 4 / 5) / 3, 'inv-2');
    close(run.score, (0.7 + 14 / 15) / 2, 'run');
  });

  test('the summary likelihoods are each path\'s mean over the documents that have it', () => {
    const aggregate = aggregateOf(run) as { likelihoods: Record<string, number> };
    close(aggregate.likelihoods.vendor, 0.9, 'vendor');
    close(aggregate.likelihoods.total, 0.8, 'total');
    close(aggregate.likelihoods['lines.0.sku'], 0.8, 'lines.0.sku');
  });

  test('votes view: consensus as voted, votes per voter, presence', () => {
    const view = votes(run, null, 'exprun_1', run.documents[0], 'total');
    assert.deepEqual(view.rows, [{ path: 'total', consensus: 10, votes: [10, 10, 12, 10, null], score: 0.6, row_presence_score: 0.8, present_voter_count: 4, total_voter_count: 5 }]);
    assert.equal(votes(run, null, 'exprun_1', run.documents[1], 'lines').rows.length, 1, 'a prefix selects the paths under it');
  });

  test('prior comparison matches documents by id and targets by path', () => {
    const prior = scoreRun('extract', [{ ...INV_1, votes: INV_1.votes.map(() => ({ vendor: 'Acme', total: 10 })) }]);
    const view = byDocument(run, prior, 'exprun_2', run.documents[0]);
    assert.equal(view.prior_score, 1);
    assert.deepEqual(view.targets.map((target) => [target.path, target.prior_score, target.value]), [
      ['vendor', 1, 'Acme'],
      ['total', 1, 10],
    ]);
    const target = byTarget(run, prior, 'exprun_2', 'vendor');
    close(target.score, 0.9);
    assert.equal(target.prior_score, 1);
    assert.deepEqual(target.documents.map((document) => [document.id, document.score, document.prior_score]), [
      ['expdoc_1', 0.8, 1],
      ['expdoc_2', 1, null],
    ]);
  });
});

describe('example 2: classifier, n_consensus 3', () => {
  const run = scoreRun('classifier', [
    { id: 'd1', filename: 'd1.pdf', votes: ['invoice', 'invoice', 'receipt'] },
    { id: 'd2', filename: 'd2.pdf', votes: ['receipt', 'receipt', 'receipt'] },
    { id: 'd3', filename: 'd3.pdf', votes: ['invoice', 'receipt', 'receipt'] },
  ]);

  test('document scores, run score, diagonal and flows', () => {
    assert.deepEqual(run.documents.map((document) => document.score), [2 / 3, 1, 2 / 3]);
    close(run.score, 7 / 9);
    const aggregate = aggregateOf(run) as { diag: Record<string, number>; flows: unknown[] };
    assert.deepEqual(aggregate.diag, { invoice: 2 / 3, receipt: 5 / 6 });
    assert.deepEqual(aggregate.flows, [
      { source: 'invoice', target: 'receipt', score: 1 / 3 },
      { source: 'receipt', target: 'invoice', score: 1 / 6 },
    ]);
  });

  test('by_target of a label: its diagonal, flows in and out, the documents whose consensus it is', () => {
    const view = byTarget(run, null, 'r', 'receipt');
    close(view.score, 5 / 6, 'mean of the items whose consensus is receipt');
    assert.deepEqual(view.confusion, { self: 5 / 6, flow_from: { invoice: 1 / 3 }, flow_to: { invoice: 1 / 6 } });
    assert.deepEqual(view.documents.map((document) => [document.id, document.score, document.value]), [
      ['d2', 1, 'receipt'],
      ['d3', 2 / 3, 'receipt'],
    ]);
  });
});

describe('example 3: split, n_consensus 3, three pages', () => {
  const run = scoreRun('split', [
    {
      id: 'd1',
      filename: 'bundle.pdf',
      pageCount: 3,
      votes: [
        [{ name: 'A', pages: [1, 2] }, { name: 'B', pages: [3] }],
        [{ name: 'A', pages: [1] }, { name: 'B', pages: [2, 3] }],
        [{ name: 'A', pages: [1, 2] }],
      ],
    },
  ]);

  test('pages are the items; an unassigned page votes (none)', () => {
    const [document] = run.documents;
    assert.deepEqual(document.items.map((item) => [item.path, item.consensus, item.score]), [
      ['page.1', 'A', 1],
      ['page.2', 'A', 2 / 3],
      ['page.3', 'B', 2 / 3],
    ]);
    close(document.score, 7 / 9);
    const aggregate = aggregateOf(run) as { diag: Record<string, number>; flows: unknown[] };
    assert.deepEqual(aggregate.diag, { A: 5 / 6, B: 2 / 3 });
    assert.deepEqual(aggregate.flows, [
      { source: 'B', target: UNASSIGNED_LABEL, score: 1 / 3 },
      { source: 'A', target: 'B', score: 1 / 6 },
    ]);
    const view = byDocument(run, null, 'r', document);
    assert.deepEqual(view.targets.map((target) => [target.path, target.value]), [
      ['A', [1, 2]],
      ['B', [3]],
    ]);
  });
});

describe('staleness', () => {
  const definition = { blockConfigFingerprint: 'cfg1', nConsensus: 5, documentsFingerprint: 'docs1' };

  test('each change is its own reason; nothing changed, no reason', () => {
    assert.deepEqual(staleReasons(definition, definition), []);
    assert.deepEqual(staleReasons(definition, { ...definition, blockConfigFingerprint: 'cfg2' }), ['block_config_changed']);
    assert.deepEqual(staleReasons(definition, { blockConfigFingerprint: null, nConsensus: 3, documentsFingerprint: 'docs2' }), ['block_deleted', 'n_consensus_changed', 'documents_changed']);
  });

  test('the execution fingerprint follows the config and the vote count', () => {
    assert.notEqual(blockExecutionFingerprint('cfg1', 5), blockExecutionFingerprint('cfg1', 3));
    assert.notEqual(blockExecutionFingerprint('cfg1', 5), blockExecutionFingerprint('cfg2', 5));
  });
});

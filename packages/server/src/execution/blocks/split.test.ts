import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { answerJson } from '../../testing/fake-model-server.js';
import { blockRequest, startModelTestbed, type ModelTestbed } from '../../testing/model-fixtures.js';
import { makeTextPdf } from '../../testing/pdf-fixture.js';
import { SplitBlockExecutor } from './split.js';

const SUBDOCUMENTS = [
  { name: 'Invoice', description: 'A bill', allow_multiple_instances: true },
  { name: 'packing list', description: 'Items shipped' },
  { name: 'Terms', description: 'Conditions of sale', handle_key: 'conditions' },
];

let bed: ModelTestbed;
let split: SplitBlockExecutor;
before(async () => {
  bed = await startModelTestbed();
  split = new SplitBlockExecutor({ models: bed.models });
});
after(() => bed.close());

async function fivePages() {
  return bed.fileInput('bundle.pdf', 'application/pdf', makeTextPdf(['Invoice 1', 'Invoice 1 cont.', 'Packing list', 'Invoice 2', 'More packing']));
}

test('writes the splits manifest and each subdocument pages to its file handle', async () => {
  bed.server.setChatHandler(
    answerJson({
      splits: [
        { name: 'Invoice', pages: [2, 1] },
        { name: 'packing list', pages: [3] },
        { name: 'Invoice', pages: [4] },
        { name: 'packing list', pages: [5, 5] },
      ],
    }),
  );
  const document = await fivePages();
  const output = await split.execute(blockRequest('split', { subdocuments: SUBDOCUMENTS }, { 'input-file-0': document }));
  const file = { type: 'file', id: document.document.original_id, filename: 'bundle.pdf', mime_type: 'application/pdf' };
  assert.deepEqual(output.outputs, {
    'output-json-splits': {
      splits: [
        { name: 'Invoice', pages: [1, 2] },
        { name: 'packing list', pages: [3, 5] },
        { name: 'Invoice', pages: [4] },
      ],
    },
    'output-file-invoice': { ...file, pages: [1, 2, 4] },
    'output-file-packing-list': { ...file, pages: [3, 5] },
  });
  assert.deepEqual(output.routingDecision, ['output-file-invoice', 'output-file-packing-list']);
  assert.equal(output.details?.page_count, 5);

  const body = bed.server.chatRequests().at(-1)!.body;
  const pages = body.response_format.json_schema.schema.properties.splits.items.properties.pages;
  assert.deepEqual(pages.items, { type: 'integer', minimum: 1, maximum: 5 });
  assert.match(body.messages[0].content, /document of 5 pages[\s\S]*- Invoice: A bill \(may occur several times\)\n- packing list: Items shipped \(occurs at most once\)/);
});

test('a page number outside the document is repaired, then refused', async () => {
  bed.server.setChatHandler(answerJson({ splits: [{ name: 'Terms', pages: [9] }] }));
  const start = bed.server.chatRequests().length;
  await assert.rejects(split.execute(blockRequest('split', { subdocuments: SUBDOCUMENTS }, { 'input-file-0': await fivePages() })), {
    code: 'invalid_model_output',
  });
  assert.match(bed.server.chatRequests()[start + 1].body.messages.at(-1).content, /must be <= 5/);
});

test('uses handle_key, and routes nothing when no pages are assigned', async () => {
  bed.server.setChatHandler(answerJson({ splits: [{ name: 'Terms', pages: [5] }] }));
  const output = await split.execute(blockRequest('split', { subdocuments: SUBDOCUMENTS }, { 'input-file-0': await fivePages() }));
  assert.deepEqual(output.routingDecision, ['output-file-conditions']);
  bed.server.setChatHandler(answerJson({ splits: [] }));
  const empty = await split.execute(blockRequest('split', { subdocuments: SUBDOCUMENTS }, { 'input-file-0': await fivePages() }));
  assert.deepEqual(empty.outputs, { 'output-json-splits': { splits: [] } });
  assert.deepEqual(empty.routingDecision, []);
});

test('a split of a page subset names pages by their number in the file, and only those pages are read', async () => {
  bed.server.setChatHandler(answerJson({ splits: [{ name: 'Invoice', pages: [4] }, { name: 'packing list', pages: [5, 3] }] }));
  const document = await fivePages();
  const output = await split.execute(blockRequest('split', { subdocuments: SUBDOCUMENTS }, { 'input-file-0': { ...document, pages: [3, 4, 5] } }));
  const outputs = output.outputs as Record<string, { pages?: number[] }>;
  assert.deepEqual(outputs['output-file-invoice']!.pages, [4]);
  assert.deepEqual(outputs['output-file-packing-list']!.pages, [3, 5]);
  const body = bed.server.chatRequests().at(-1)!.body;
  assert.deepEqual(body.response_format.json_schema.schema.properties.splits.items.properties.pages.items, { type: 'integer', enum: [3, 4, 5] });
  const text = JSON.stringify(body.messages);
  assert.match(text, /document of 3 pages/);
  assert.doesNotMatch(text, /Invoice 1/, 'pages 1 and 2 are not the subset');
});

test('n_consensus keeps the majority split', async () => {
  const majority = { splits: [{ name: 'Invoice', pages: [1, 2, 3, 4, 5] }] };
  const answers = [majority, { splits: [{ name: 'Invoice', pages: [1, 2] }, { name: 'Terms', pages: [5] }] }, majority];
  bed.server.setChatHandler((request) => ({ content: JSON.stringify(answers[request.index % 3]) }));
  const output = await split.execute(blockRequest('split', { subdocuments: SUBDOCUMENTS, n_consensus: 3 }, { 'input-file-0': await fivePages() }));
  assert.deepEqual((output.outputs as Record<string, unknown>)['output-json-splits'], majority);
  assert.equal(output.details?.likelihoods, 2 / 3);
});

test('the document must come on input-file-0', async () => {
  await assert.rejects(split.execute(blockRequest('split', { subdocuments: SUBDOCUMENTS }, { 'input-file-document': await fivePages() })), {
    code: 'missing_input',
    message: /`input-file-0`/,
  });
});

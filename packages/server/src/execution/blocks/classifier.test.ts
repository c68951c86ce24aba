import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { answerJson } from '../../testing/fake-model-server.js';
import { blockRequest, startModelTestbed, type ModelTestbed } from '../../testing/model-fixtures.js';
import { makeTextPdf } from '../../testing/pdf-fixture.js';
import { ClassifierBlockExecutor } from './classifier.js';

const CATEGORIES = [
  { name: 'Invoice', description: 'A bill asking for payment' },
  { name: 'booking confirmation', description: 'A travel booking' },
  { name: 'Other', description: 'Anything else', handle_key: 'misc' },
];

let bed: ModelTestbed;
let classifier: ClassifierBlockExecutor;
before(async () => {
  bed = await startModelTestbed();
  classifier = new ClassifierBlockExecutor({ models: bed.models });
});
after(() => bed.close());

test('emits the document on the chosen category handle and routes to it, keeping the reasoning', async () => {
  bed.server.setChatHandler(answerJson({ reasoning: 'It lists a flight and a booking reference.', category: 'booking confirmation' }));
  const document = await bed.fileInput('trip.pdf', 'application/pdf', makeTextPdf(['Flight AF123', 'Booking ref XYZ']));
  const output = await classifier.execute(blockRequest('classifier', { categories: CATEGORIES }, { 'input-file-document': document }));
  assert.deepEqual(output, {
    outputs: { 'output-file-booking-confirmation': { type: 'file', id: document.document.original_id, filename: 'trip.pdf', mime_type: 'application/pdf' } },
    routingDecision: ['output-file-booking-confirmation'],
    warnings: [],
    details: { model: 'fake-model', model_calls: 1, cache_hits: 0, usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 }, category: 'booking confirmation', reasoning: 'It lists a flight and a booking reference.', n_consensus: 1 },
  });
  const body = bed.server.chatRequests().at(-1)!.body;
  assert.deepEqual(body.response_format.json_schema.schema.properties.category.enum, ['Invoice', 'booking confirmation', 'Other']);
  assert.match(body.messages[0].content, /- Invoice: A bill asking for payment\n- booking confirmation: A travel booking\n- Other: Anything else/);
});

test('uses the handle_key of a category when it has one', async () => {
  bed.server.setChatHandler(answerJson({ reasoning: 'Nothing matches.', category: 'Other' }));
  const document = await bed.fileInput('x.txt', 'text/plain', 'hello');
  const output = await classifier.execute(blockRequest('classifier', { categories: CATEGORIES }, { 'input-file-document': document }));
  assert.deepEqual(output.routingDecision, ['output-file-misc']);
  assert.deepEqual(Object.keys(output.outputs), ['output-file-misc']);
});

test('first_n_pages limits what the model reads', async () => {
  bed.server.setChatHandler(answerJson({ reasoning: 'r', category: 'Invoice' }));
  const document = await bed.fileInput('long.pdf', 'application/pdf', makeTextPdf(['one', 'two', 'three']));
  await classifier.execute(blockRequest('classifier', { categories: CATEGORIES, first_n_pages: 1 }, { 'input-file-document': document }));
  const parts = bed.server.chatRequests().at(-1)!.body.messages[1].content;
  assert.deepEqual(parts.map((part: { text: string }) => part.text), ['Document to classify: file "long.pdf" (application/pdf), 1 page.', '--- Page 1 ---\none']);
});

test('a page subset (a split subdocument) is all the model reads, and the document goes on with the same pages', async () => {
  bed.server.setChatHandler(answerJson({ reasoning: 'r', category: 'Invoice' }));
  const document = await bed.fileInput('long.pdf', 'application/pdf', makeTextPdf(['one', 'two', 'three']));
  const output = await classifier.execute(blockRequest('classifier', { categories: CATEGORIES }, { 'input-file-document': { ...document, pages: [2, 3] } }));
  const parts = bed.server.chatRequests().at(-1)!.body.messages[1].content;
  assert.deepEqual(parts.map((part: { text: string }) => part.text), ['Document to classify: file "long.pdf" (application/pdf), 2 pages of it (pages 2, 3).', '--- Page 2 ---\ntwo', '--- Page 3 ---\nthree']);
  assert.deepEqual((output.outputs as Record<string, { pages?: number[] }>)['output-file-invoice']!.pages, [2, 3]);
});

test('a page subset naming a page the file does not have fails the block naming the handle', async () => {
  const document = await bed.fileInput('long.pdf', 'application/pdf', makeTextPdf(['one', 'two', 'three']));
  await assert.rejects(classifier.execute(blockRequest('classifier', { categories: CATEGORIES }, { 'input-file-document': { ...document, pages: [3, 4] } })), {
    code: 'missing_input',
    message: /`input-file-document` has 3 pages, and its input names page 4/,
  });
});

test('n_consensus votes on the category and reports the share of each', async () => {
  const votes = ['Invoice', 'Other', 'Invoice', 'Invoice', 'booking confirmation'];
  bed.server.setChatHandler((request) => ({ content: JSON.stringify({ reasoning: `vote ${request.index}`, category: votes[request.index % 5] }) }));
  const document = await bed.fileInput('x.txt', 'text/plain', 'hello');
  const output = await classifier.execute(blockRequest('classifier', { categories: CATEGORIES, n_consensus: 5 }, { 'input-file-document': document }));
  assert.deepEqual(output.routingDecision, ['output-file-invoice']);
  assert.equal(output.details?.category, 'Invoice');
  assert.match(String(output.details?.reasoning), /^vote \d+$/);
  assert.deepEqual(output.details?.likelihoods, { Invoice: 0.6, 'booking confirmation': 0.2, Other: 0.2 });
});

test('a category outside the list is repaired, then refused', async () => {
  bed.server.setChatHandler(answerJson({ reasoning: 'r', category: 'Receipt' }));
  const document = await bed.fileInput('x.txt', 'text/plain', 'hello');
  await assert.rejects(classifier.execute(blockRequest('classifier', { categories: CATEGORIES }, { 'input-file-document': document })), {
    code: 'invalid_model_output',
  });
});

test('no categories, or no document, is a clear block failure', async () => {
  await assert.rejects(classifier.execute(blockRequest('classifier', {}, {})), { code: 'block_execution_failed', message: /has no categories/ });
  await assert.rejects(classifier.execute(blockRequest('classifier', { categories: CATEGORIES }, { 'input-file-document': { type: 'json', data: 1 } })), {
    code: 'missing_input',
    message: /gives it JSON/,
  });
});

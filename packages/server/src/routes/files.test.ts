import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { startFakeModelServer, type FakeModelServer } from '../testing/fake-model-server.js';
import { allResults, otherOrganizationKey, startRun } from '../testing/fixtures.js';
import { startTestApp, testStores, waitForRun, type TestApp } from '../testing/harness.js';
import { makeTextPdf, TINY_PNG } from '../testing/pdf-fixture.js';

const LETTER = 'Dear customer,\nthe PIN of your new card is 4821.\n';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const randomSha256 = () => randomBytes(32).toString('hex');
const blobDocument = (sha: string) => ({ original_id: 'file_guess', filename: 'letter.txt', mime_type: 'text/plain', gcs_uri: `verdict-blob://${sha}`, size_bytes: 0 });
const fileRef = (id: string) => ({ id, filename: 'letter.txt', mime_type: 'text/plain' });
const UNKNOWN_ID = 'file_0000000000000000000000';
/** An answer with the file id it names (the caller's own words) replaced, to compare two answers' shapes. */
const withoutId = (body: unknown, id: string) => JSON.parse(JSON.stringify(body).replaceAll(id, '<id>'));

async function upload(app: TestApp, contentType: string | undefined, bytes: Buffer, query = '', key = app.apiKey) {
  const response = await app.app.inject({
    method: 'POST',
    url: `/v1/files${query}`,
    headers: { 'api-key': key, ...(contentType ? { 'content-type': contentType } : {}) },
    payload: bytes,
  });
  return { status: response.statusCode, body: response.json() };
}

/** An extract block that answers the PIN found in the document it was given (or null). */
async function extractWorkflow(app: TestApp, key: string) {
  const headers = { 'api-key': key };
  const workflow = await app.request('POST', '/v1/workflows', { name: 'letters' }, headers);
  const block = await app.request(
    'POST',
    '/v1/workflows/blocks',
    { workflow_id: workflow.body.id, type: 'extract', config: { model: 'fake-model', json_schema: { type: 'object', properties: { pin: { type: ['string', 'null'] } } } } },
    headers,
  );
  assert.equal(block.status, 201, JSON.stringify(block.body));
  return { workflowId: workflow.body.id as string, blockId: block.body.id as string };
}

function testBody(fixture: { workflowId: string; blockId: string }, document: unknown) {
  return {
    workflow_id: fixture.workflowId,
    target: { type: 'block', block_id: fixture.blockId },
    source: { type: 'manual', handle_inputs: { 'input-file-document': { type: 'file', document } } },
    assertion: { target: { output_handle_id: 'output-json-0', path: 'pin' }, condition: { kind: 'equals', expected: '4821' } },
  };
}

for (const kind of testStores()) {
  describe(`a file input resolves only to a file its organization stored (${kind})`, () => {
    let model: FakeModelServer;
    let app: TestApp;
    let keyB: string;
    let letterId: string;
    let orgA: { workflowId: string; blockId: string };
    let orgB: { workflowId: string; blockId: string };
    const asB = { 'api-key': '' };

    before(async () => {
      model = await startFakeModelServer({
        chat: ({ body }) => ({ content: JSON.stringify({ pin: /PIN of your new card is (\d{4})/.exec(JSON.stringify(body.messages))?.[1] ?? null }) }),
      });
      app = await startTestApp(kind, {}, { VERDICT_MODEL_BASE_URL: model.baseURL, VERDICT_MODEL: 'fake-model' });
      keyB = await otherOrganizationKey(app, 'org-b');
      asB['api-key'] = keyB;
      const stored = await upload(app, 'text/plain', Buffer.from(LETTER), '?filename=letter.txt');
      assert.equal(stored.status, 201, JSON.stringify(stored.body));
      letterId = stored.body.id;
      orgA = await extractWorkflow(app, app.apiKey);
      orgB = await extractWorkflow(app, keyB);
    });
    after(async () => {
      await app.close();
      await model.close();
    });

    test("another organization's hash, file id or original id is refused exactly like one nobody stored", async () => {
      const create = (document: unknown) => app.request('POST', '/v1/workflows/tests', testBody(orgB, document), asB);
      const byHash = await create(blobDocument(sha256(LETTER)));
      assert.equal(byHash.status, 422);
      assert.deepEqual(byHash.body, (await create(blobDocument(randomSha256()))).body);
      assert.deepEqual(byHash.body.detail, {
        code: 'validation_error',
        message:
          'Invalid test: `body.source.handle_inputs.input-file-document.document`: This organization has no file with these bytes (sha256); upload the file (POST /v1/files/upload, PUT the bytes to its upload_url, POST /v1/files/upload/{file_id}/complete; or POST /v1/files) and pass {id, filename, mime_type} with its id, or send the bytes as a data: URL.',
        details: {
          issues: [
            {
              path: 'body.source.handle_inputs.input-file-document.document',
              message: 'This organization has no file with these bytes (sha256); upload the file (POST /v1/files/upload, PUT the bytes to its upload_url, POST /v1/files/upload/{file_id}/complete; or POST /v1/files) and pass {id, filename, mime_type} with its id, or send the bytes as a data: URL',
              code: 'file_not_found',
            },
          ],
        },
      });

      const byId = await create(fileRef(letterId));
      assert.equal(byId.status, 422);
      assert.equal(byId.body.detail.details.issues[0].message.includes(`no file \`${letterId}\``), true);
      assert.deepEqual(withoutId(byId.body, letterId), withoutId((await create(fileRef(UNKNOWN_ID))).body, UNKNOWN_ID));

      const byOriginalId = await create({ ...blobDocument('x'), original_id: letterId, gcs_uri: 'gs://retab-user-files/letter.txt' });
      assert.equal(byOriginalId.status, 422);
      assert.deepEqual(byOriginalId.body, (await create({ ...blobDocument('x'), original_id: 'file_0000000000000000000000', gcs_uri: 'gs://retab-user-files/letter.txt' })).body);
    });

    test("PATCH cannot probe for another organization's bytes, and leaves the test as it was", async () => {
      const own = await upload(app, 'text/plain', Buffer.from('my own letter'), '?filename=mine.txt', keyB);
      const created = await app.request('POST', '/v1/workflows/tests', testBody(orgB, own.body), asB);
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const patch = (document: unknown) =>
        app.request('PATCH', `/v1/workflows/tests/${created.body.id}`, { source: { type: 'manual', handle_inputs: { 'input-file-document': { type: 'file', document } } } }, asB);
      const guessed = await patch(blobDocument(sha256(LETTER)));
      assert.equal(guessed.status, 422);
      assert.deepEqual(guessed.body, (await patch(blobDocument(randomSha256()))).body);
      assert.deepEqual(withoutId((await patch(fileRef(letterId))).body, letterId), withoutId((await patch(fileRef(UNKNOWN_ID))).body, UNKNOWN_ID));
      const unchanged = await app.request('GET', `/v1/workflows/tests/${created.body.id}`, undefined, asB);
      assert.deepEqual(unchanged.body.source, created.body.source);
      assert.equal((await patch(blobDocument(sha256('my own letter')))).status, 200, 'its own bytes, by hash, are accepted');
    });

    test('GET /v1/files/:id answers another organization the same 404 as an unknown id', async () => {
      const unknownId = 'file_0000000000000000000000';
      const theirs = await app.request('GET', `/v1/files/${letterId}`, undefined, asB);
      const nobodys = await app.request('GET', `/v1/files/${unknownId}`, undefined, asB);
      assert.equal(theirs.status, 404);
      assert.deepEqual(JSON.parse(JSON.stringify(theirs.body).replaceAll(letterId, '<id>')), JSON.parse(JSON.stringify(nobodys.body).replaceAll(unknownId, '<id>')));
      assert.equal((await app.request('GET', `/v1/files/${letterId}`)).body.id, letterId);
    });

    test('the organization that stored a file uses it by id and by hash, and its tests run', async () => {
      const byId = await app.request('POST', '/v1/workflows/tests', testBody(orgA, fileRef(letterId)));
      const byHash = await app.request('POST', '/v1/workflows/tests', testBody(orgA, blobDocument(sha256(LETTER))));
      assert.deepEqual([byId.status, byHash.status], [201, 201], JSON.stringify([byId.body, byHash.body]));
      const run = await waitForRun(app, (await startRun(app, orgA.workflowId)).id, 60_000);
      const rows = await allResults(app, run.id);
      assert.deepEqual(
        rows.map((row) => [row.verdict, row.error?.message ?? null]),
        [
          ['passed', null],
          ['passed', null],
        ],
      );
    });

    test("a stored test whose reference is not its organization's is blocked at run time, and the bytes are never read", async () => {
      const own = await upload(app, 'text/plain', Buffer.from('no PIN in here'), '?filename=decoy.txt', keyB);
      const created = await app.request('POST', '/v1/workflows/tests', testBody(orgB, own.body), asB);
      assert.equal(created.status, 201);
      // As a test saved before references were checked against the organization's files would hold it.
      const forged = { type: 'manual', handle_inputs: { 'input-file-document': { type: 'file', document: { ...blobDocument(sha256(LETTER)), content_fingerprint: sha256(LETTER) } } } };
      await app.runtime.services.store.db.updateTable('tests').set({ source: JSON.stringify(forged) }).where('id', '=', created.body.id).execute();
      const modelCallsBefore = model.chatRequests().length;
      const started = await app.request('POST', '/v1/workflows/tests/runs', { workflow_id: orgB.workflowId }, asB);
      assert.equal(started.status, 202, JSON.stringify(started.body));
      let run = started.body;
      for (const deadline = Date.now() + 60_000; !['completed', 'error', 'cancelled'].includes(run.lifecycle.status) && Date.now() < deadline; ) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        run = (await app.request('GET', `/v1/workflows/tests/runs/${run.id}`, undefined, asB)).body;
      }
      assert.equal(run.lifecycle.status, 'completed');
      const results = await app.request('GET', `/v1/workflows/tests/results?run_id=${run.id}&limit=100`, undefined, asB);
      const row = results.body.data.find((result: any) => result.test_id === created.body.id);
      assert.equal(row.verdict, 'blocked');
      assert.equal(row.error.error_code, 'file_not_found');
      assert.match(row.error.message, /This organization has no file with these bytes/);
      const sentToModel = JSON.stringify(model.chatRequests().slice(modelCallsBefore).map((request) => request.body));
      assert.equal(sentToModel.includes('4821'), false, "org A's letter never reached org B's block");
    });
  });

  describe(`raw POST /v1/files takes the types the docs promise (${kind})`, () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp(kind);
    });
    after(() => app.close());

    test('text/plain, text/markdown, text/csv, image/png, application/pdf and octet-stream named by its extension are stored', async () => {
      const uploads: Array<[string | undefined, Buffer, string, string]> = [
        ['text/plain', Buffer.from('plain words'), '?filename=a.txt', 'text/plain'],
        ['text/plain; charset=utf-8', Buffer.from('plain words'), '', 'text/plain'],
        ['text/markdown', Buffer.from('# Title'), '?filename=notes.md', 'text/markdown'],
        ['text/csv', Buffer.from('a,b\n1,2'), '?filename=t.csv', 'text/csv'],
        ['image/png', TINY_PNG, '?filename=pixel.png', 'image/png'],
        ['application/pdf', makeTextPdf(['Invoice 7']), '?filename=i.pdf', 'application/pdf'],
        ['application/octet-stream', Buffer.from('{"a":1}'), '?filename=data.json', 'application/json'],
        [undefined, TINY_PNG, '', 'image/png'],
      ];
      for (const [contentType, bytes, query, mimeType] of uploads) {
        const stored = await upload(app, contentType, bytes, query);
        assert.equal(stored.status, 201, `${contentType}: ${JSON.stringify(stored.body)}`);
        assert.equal(stored.body.mime_type, mimeType);
        assert.deepEqual((await app.request('GET', `/v1/files/${stored.body.id}`)).body, stored.body);
      }
    });

    test('a raw body of an unsupported type is a 415 envelope listing what is accepted', async () => {
      for (const contentType of ['image/tiff', 'application/msword', 'application/octet-stream']) {
        const refused = await upload(app, contentType, Buffer.from('II*\u0000 not readable'), '?filename=scan');
        assert.equal(refused.status, 415, contentType);
        assert.equal(refused.body.detail.code, 'unsupported_media_type');
        assert.match(refused.body.detail.message, /Verdict reads text .*PDF with a text layer, and PNG, JPEG, GIF or WebP images/);
        for (const accepted of ['text/*', 'application/pdf', 'image/png', 'image/webp']) assert.ok(refused.body.detail.details.accepted.includes(accepted), accepted);
      }
    });

    test('a raw body that is not what it claims, and a JSON body that is not {filename, url}, are 422 saying what to send', async () => {
      const lying = await upload(app, 'image/png', Buffer.from('not a png'), '?filename=x.png');
      assert.equal(lying.status, 422);
      assert.equal(lying.body.detail.details.issues[0].code, 'corrupt_file');
      const json = await app.request('POST', '/v1/files?filename=data.json', { a: 1 });
      assert.equal(json.status, 422);
      assert.match(json.body.detail.message, /Send JSON \{filename, url\} with a data: URL, or send the bytes with the file's own Content-Type/);
      assert.match(json.body.detail.message, /a JSON file itself goes as application\/octet-stream/);
    });
  });
}
